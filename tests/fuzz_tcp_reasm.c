/* Fuzz target: tcp_reasm, differential against a reference model written
 * for this target: a byte map indexed by stream offset where the first copy
 * of a byte wins. Every segment the reassembler takes (returns 0) is applied
 * to the model; the delivered stream must always equal the model's
 * contiguous prefix, byte for byte, and end where the model's FIN says.
 *
 * Input: a configuration (out-of-order caps, window, ISN, how the stream
 * starts), then operations: a segment (offset relative to the next expected
 * byte, length, flags, and a "version" that changes its bytes so that
 * overlaps can conflict), or a new window. */
#include "fuzz.h"

#include <errno.h>

#include "core/fx_err.h"
#include "fast/tcp_reasm.h"

#define MODEL_MAX (1u << 20) /* stream bytes modelled */

struct model {
	uint8_t val[MODEL_MAX];
	uint8_t have[MODEL_MAX];
	uint64_t next; /* contiguous prefix */
};

struct sink {
	uint8_t buf[MODEL_MAX];
	uint64_t len;
	int ended, how;
	uint64_t end_off;
};

static struct model M;
static struct sink S;

static void on_deliver(void *user, uint64_t off, const uint8_t *d, size_t n)
{
	struct sink *s = user;

	FUZZ_ASSERT(off == s->len && n > 0);
	FUZZ_ASSERT(!s->ended);
	FUZZ_ASSERT(off + n <= MODEL_MAX);
	memcpy(s->buf + off, d, n);
	s->len += n;
}

static void on_end(void *user, uint64_t off, int how)
{
	struct sink *s = user;

	FUZZ_ASSERT(!s->ended && off == s->len);
	FUZZ_ASSERT(how == FX_TCP_FIN || how == FX_TCP_RST);
	s->ended = 1;
	s->how = how;
	s->end_off = off;
}

/* Byte at stream offset o of a segment of version v. */
static inline uint8_t byte_at(uint64_t o, uint8_t v)
{
	return (uint8_t)(o * 131 + (o >> 8) * 7 + v * 29);
}

static void model_take(struct model *m, int64_t off, const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		int64_t o = off + i;

		if (o < 0) /* before the ISN: never existed */
			continue;
		if (!m->have[o]) {
			m->have[o] = 1;
			m->val[o] = p[i];
		}
	}
	while (m->next < MODEL_MAX && m->have[m->next])
		m->next++;
}

static void model_drop_held(struct model *m)
{
	memset(m->have + m->next, 0, MODEL_MAX - m->next);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct tcp_reasm_opts o = { .deliver = on_deliver, .end = on_end, .user = &S };
	uint8_t cfg = fz_u8(&f);
	struct tcp_reasm *r;
	uint32_t isn;
	int64_t fin_end = -1;
	int reset = 0;

	o.max_ooo_bytes = 1u << (6 + fz_u8(&f) % 12); /* 64 B .. 128 KiB */
	o.max_ooo_segs = 1 + fz_u8(&f) % 64;
	o.window = cfg & 1 ? 1u + fz_u16(&f) : 0;
	isn = fz_u32(&f);
	FUZZ_ASSERT(tcp_reasm__new(&r, &o) == 0);
	memset(M.have, 0, sizeof(M.have));
	M.next = 0;
	S.len = 0;
	S.ended = 0;
	if (cfg & 2)
		tcp_reasm__start(r, isn);

	for (int ops = 0; f.n && ops < 256; ops++) {
		uint8_t op = fz_u8(&f);

		if ((op & 0xf) == 0xf) { /* a new window */
			uint32_t w = op & 0x10 ? fz_u16(&f) : fz_u32(&f);
			int rc = tcp_reasm__set_window(r, w);

			FUZZ_ASSERT(rc == (w > TCP_REASM_MAX_WINDOW ? -EINVAL : 0));
			continue;
		}
		int16_t delta = (int16_t)fz_u16(&f);
		uint32_t len = op & 0x10 ? fz_u16(&f) % 4096 : fz_u8(&f);
		uint8_t v = fz_u8(&f), flags = (uint8_t)(op & 0x7); /* FIN, SYN, RST */
		int syn = flags & FX_TCP_SYN;
		int64_t off = (int64_t)tcp_reasm__offset(r) + delta;
		uint32_t seq;

		if (op & 0x8) /* around offset 0, where a SYN's data starts */
			off = (delta & 7) - 4;
		if (off + (int64_t)len + 1 >= (int64_t)MODEL_MAX)
			continue;
		/* stream offset 0 is isn + 1; a SYN occupies the sequence number
		 * before its data */
		seq = isn + 1 + (uint32_t)off - (syn ? 1 : 0);
		uint8_t *p = malloc(len);
		if (!p && len)
			abort();
		for (uint32_t i = 0; i < len; i++)
			p[i] = byte_at((uint64_t)(off + i), v);

		enum tcp_reasm_state before = tcp_reasm__state(r);
		uint64_t delivered = S.len;
		int rc = tcp_reasm__push(r, seq, flags | 0x10, p, len);
		enum tcp_reasm_state after = tcp_reasm__state(r);

		if (before == TCP_REASM_IDLE && after != TCP_REASM_IDLE) {
			/* a SYN started the stream: its seq is the ISN, its data offset 0 */
			FUZZ_ASSERT(rc == 0 && syn);
			isn = seq;
			off = 0;
		}
		FUZZ_ASSERT(rc == 0 || rc == -ENOTCONN || rc == -ERANGE || rc == -ENOBUFS ||
			    rc == -EPROTO || rc == -EPIPE || rc == -ECONNRESET);
		FUZZ_ASSERT(fx_strerror(rc) != NULL);
		if (rc) {
			/* nothing of a refused segment is taken */
			FUZZ_ASSERT(S.len == delivered);
			FUZZ_ASSERT(after == before);
		} else if (flags & FX_TCP_RST) {
			if (after == TCP_REASM_RESET && before != TCP_REASM_RESET) {
				model_drop_held(&M);
				reset = 1;
			}
		} else if (before != TCP_REASM_FINISHED) {
			model_take(&M, off, p, len);
			if ((flags & FX_TCP_FIN) && fin_end < 0)
				fin_end = off + len;
		}
		free(p);
		if (before == TCP_REASM_IDLE && after == TCP_REASM_IDLE)
			FUZZ_ASSERT(S.len == 0);
		/* a FIN ends the stream exactly when everything before it is there */
		uint64_t want = M.next;
		if (fin_end >= 0 && want > (uint64_t)fin_end)
			want = (uint64_t)fin_end; /* the model never takes beyond the FIN */
		FUZZ_ASSERT(S.len == want);
		FUZZ_ASSERT(tcp_reasm__offset(r) == S.len);
		FUZZ_ASSERT(tcp_reasm__next_seq(r) == isn + 1 + (uint32_t)S.len || after == TCP_REASM_IDLE);
		FUZZ_ASSERT(memcmp(S.buf, M.val, S.len) == 0);
		if (after == TCP_REASM_FINISHED)
			FUZZ_ASSERT(S.ended && S.how == FX_TCP_FIN && (int64_t)S.len == fin_end);
		if (after == TCP_REASM_RESET)
			FUZZ_ASSERT(S.ended && S.how == FX_TCP_RST && reset);
	}
	struct tcp_reasm_stats st;
	tcp_reasm__stats(r, &st);
	FUZZ_ASSERT(st.delivered_bytes == S.len);
	tcp_reasm__free(r);
	return 0;
}

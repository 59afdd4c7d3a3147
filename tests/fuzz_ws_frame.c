/* Fuzz target: ws_frame, fed whole and in pieces (each piece an exactly-
 * sized heap copy): both decoders must deliver the same messages and
 * control frames, byte for byte, and stop with the same error. Input: a
 * flags byte (UTF-8 checking, maximum message size), a split seed, then
 * the server's byte stream. Checked also: every delivered message respects
 * the maximum size, text messages are UTF-8 when checking is on, and a
 * CLOSE ends the stream.
 *
 * Differential against wslay's frame API (wslay_frame_recv, which parses
 * frames but leaves the RFC 6455 rules on opcodes, RSV bits, control frames
 * and fragmentation to its event layer): the frames, messages and control
 * frames ws_frame reports must be the first ones wslay sees in the same
 * bytes, and all of them when ws_frame consumed the stream without error. */
#include "fuzz.h"

#include <wslay/wslay.h>

#include "core/fx_err.h"
#include "proto/utf8.h"
#include "fast/ws_frame.h"

/* One event of the differential: a frame, a message or a control frame. */
struct dev {
	uint8_t kind, op, fin;
	uint64_t len, h;
};

#define MAX_DEV 1024
#define FNV0 0xcbf29ce484222325ull

struct devlog {
	unsigned n;
	struct dev ev[MAX_DEV];
};

static void dev_add(struct devlog *l, uint8_t kind, uint8_t op, uint8_t fin, uint64_t len,
		    uint64_t h)
{
	if (l->n < MAX_DEV)
		l->ev[l->n] = (struct dev){ kind, op, fin, len, h };
	l->n++;
}

/* What a decoder delivered: (kind, opcode, length, FNV-1a of the bytes). */
struct log {
	uint64_t h;
	unsigned events;
	size_t max_msg;
	unsigned flags;
	int closed;
	struct devlog *dl; /* the differential's events, or NULL */
};

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void record(struct log *l, int kind, int opcode, const uint8_t *p, size_t n)
{
	uint64_t hdr[3] = { (uint64_t)kind, (uint64_t)opcode, (uint64_t)n };

	FUZZ_ASSERT(!l->closed);
	l->h = fnv(l->h, (const uint8_t *)hdr, sizeof(hdr));
	l->h = fnv(l->h, p, n);
	l->events++;
}

static void on_message(void *user, int opcode, const uint8_t *p, size_t n)
{
	struct log *l = user;

	FUZZ_ASSERT(opcode == WS_OP_TEXT || opcode == WS_OP_BINARY);
	FUZZ_ASSERT(n <= l->max_msg);
	if ((l->flags & WS_FRAME_F_UTF8) && opcode == WS_OP_TEXT)
		FUZZ_ASSERT(utf8_valid(p, n));
	record(l, 1, opcode, p, n);
	if (l->dl)
		dev_add(l->dl, 'M', (uint8_t)opcode, 1, n, fnv(FNV0, p, n));
}

static void on_control(void *user, int opcode, const uint8_t *p, size_t n)
{
	struct log *l = user;

	FUZZ_ASSERT(opcode == WS_OP_PING || opcode == WS_OP_PONG || opcode == WS_OP_CLOSE);
	FUZZ_ASSERT(n <= WS_FRAME_MAX_CTRL && !(opcode == WS_OP_CLOSE && n == 1));
	record(l, 2, opcode, p, n);
	if (opcode == WS_OP_CLOSE)
		l->closed = 1;
	if (l->dl)
		dev_add(l->dl, 'C', (uint8_t)opcode, 1, n, fnv(FNV0, p, n));
}

static void on_frame(void *user, const struct ws_frame_info *fi)
{
	struct log *l = user;

	if (l->dl)
		dev_add(l->dl, 'F', fi->opcode, fi->fin, fi->payload_len, 0);
}

/* ---- wslay's frame layer over the same bytes ---- */

struct wsrc {
	const uint8_t *p;
	size_t n, off;
	struct fz_split sp;
};

static ssize_t w_recv(uint8_t *buf, size_t len, int flags, void *ud)
{
	struct wsrc *s = ud;
	size_t k = fz_split_next(&s->sp, s->n - s->off);

	(void)flags;
	if (k > len)
		k = len;
	if (k == 0)
		return -1;
	memcpy(buf, s->p + s->off, k);
	s->off += k;
	return (ssize_t)k;
}

static ssize_t w_send(const uint8_t *d, size_t l, int f, void *u)
{
	(void)d, (void)l, (void)f, (void)u;
	return -1;
}

static void wslay_events(const uint8_t *p, size_t n, uint8_t mode, uint8_t seed,
			 struct devlog *out)
{
	struct wslay_frame_callbacks cb = { w_send, w_recv, NULL };
	struct wsrc src = { p, n, 0, { 0, 0 } };
	wslay_frame_context_ptr user;
	uint64_t got = 0, fh = FNV0, mh = FNV0, mlen = 0;
	uint8_t mop = 0;
	int in_frame = 0;

	fz_split_init(&src.sp, mode, seed);
	FUZZ_ASSERT(wslay_frame_context_init(&user, &cb, &src) == 0);
	while (out->n < MAX_DEV) {
		struct wslay_frame_iocb io;
		ssize_t r = wslay_frame_recv(user, &io);

		if (r == WSLAY_ERR_WANT_READ) {
			if (src.off == n)
				break;
			continue;
		}
		if (r < 0)
			break;
		if (!in_frame) {
			in_frame = 1;
			got = 0;
			fh = FNV0;
			if (!(io.opcode & 8) && io.opcode != WS_OP_CONT) {
				mop = io.opcode;
				mh = FNV0;
				mlen = 0;
			}
		}
		fh = fnv(fh, io.data, io.data_length);
		if (!(io.opcode & 8)) {
			mh = fnv(mh, io.data, io.data_length);
			mlen += io.data_length;
		}
		got += io.data_length;
		if (got < io.payload_length)
			continue;
		in_frame = 0;
		dev_add(out, 'F', io.opcode, io.fin, io.payload_length, 0);
		if (io.opcode & 8)
			dev_add(out, 'C', io.opcode, 1, io.payload_length, fh);
		else if (io.fin)
			dev_add(out, 'M', mop, 1, mlen, mh);
	}
	wslay_frame_context_free(user);
}

static int run(struct log *l, const uint8_t *p, size_t n, uint8_t mode, uint8_t seed,
	       struct ws_frame *d)
{
	struct fz_split sp;
	size_t off = 0;
	ssize_t r = 0;

	fz_split_init(&sp, mode, seed);
	while (off < n) {
		size_t k = fz_split_next(&sp, n - off);
		uint8_t *c = fz_dup(p + off, k);

		r = ws_frame__feed(d, c, k);
		free(c);
		if (r < 0)
			break;
		FUZZ_ASSERT((size_t)r == k);
		off += k;
	}
	FUZZ_ASSERT(ws_frame__closed(d) == (l->closed != 0));
	FUZZ_ASSERT(fx_strerror((int)(r < 0 ? r : 0)) != NULL);
	FUZZ_ASSERT(ws_frame_close_code((int)(r < 0 ? r : 0)) >= 1000);
	return r < 0 ? (int)r : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t flags = fz_u8(&f), mode = fz_u8(&f), seed = fz_u8(&f);
	size_t max_msg = (size_t)1 << (4 + flags % 13), n; /* 16 B .. 64 KiB */
	const uint8_t *p = fz_bytes(&f, f.n, &n);
	struct log a = { FNV0, 0, max_msg, 0, 0, NULL }, b;
	struct ws_frame da, db;
	struct ws_frame_opts o = { .max_msg = max_msg,
				   .flags = flags & 0x80 ? WS_FRAME_F_UTF8 : 0,
				   .on_message = on_message,
				   .on_control = on_control,
				   .on_frame = on_frame };
	static struct devlog ours, theirs;
	int ea, eb;

	a.flags = o.flags;
	b = a;
	ours.n = theirs.n = 0;
	a.dl = &ours;
	o.user = &a;
	FUZZ_ASSERT(ws_frame__init(&da, &o) == 0);
	o.user = &b;
	FUZZ_ASSERT(ws_frame__init(&db, &o) == 0);
	ea = run(&a, p, n, 0, 0, &da);
	eb = run(&b, p, n, mode, seed, &db);
	FUZZ_ASSERT(ea == eb);
	FUZZ_ASSERT(a.events == b.events && a.h == b.h);
	FUZZ_ASSERT(ws_frame__error(&da) == ea);

	wslay_events(p, n, mode, seed, &theirs);
	if (ours.n < MAX_DEV && theirs.n < MAX_DEV) {
		FUZZ_ASSERT(ours.n <= theirs.n);
		for (unsigned i = 0; i < ours.n; i++) {
			const struct dev *x = &ours.ev[i], *y = &theirs.ev[i];

			FUZZ_ASSERT(x->kind == y->kind && x->op == y->op && x->fin == y->fin &&
				    x->len == y->len && x->h == y->h);
		}
		if (!ea && !a.closed)
			FUZZ_ASSERT(ours.n == theirs.n);
	}
	ws_frame__fini(&da);
	ws_frame__fini(&db);
	return 0;
}

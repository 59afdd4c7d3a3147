/* Fuzz target: fp_stream, the fast path after TCP reassembly: optional
 * proxy answer, bytes held until the secrets come, TLS from the stream's
 * first byte (real keys, fuzz_tls.h), the HTTP 101 head, WebSocket frames.
 * Every message is handed to what feedrx runs on it (the timestamp scans,
 * the feed parser) while it lives in the TLS reader's buffers, so reads past
 * a message are seen. Checked: the messages are a prefix of what a separate
 * ws_frame decodes from the sealed application bytes (all of them when the
 * stream is clean), offsets and errors behave. */
#include "fuzz_tls.h"

#include "fast/fp_stream.h"
#include "fast/ws_frame.h"
#include "venue/binance_parse.h"

#define MAX_EV 512

struct evlog {
	unsigned n;
	uint64_t ev[MAX_EV]; /* opcode, length and a hash of the bytes */
};

static struct json_tok toks[256];
static struct feed_level levels[64];
static struct binance_parser parser;

static uint64_t ev_of(int opcode, const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)opcode << 56 | n);

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void log_ev(struct evlog *l, int opcode, const uint8_t *p, size_t n)
{
	if (l->n < MAX_EV)
		l->ev[l->n] = ev_of(opcode, p, n);
	l->n++;
}

static void on_message(void *user, int opcode, const uint8_t *p, size_t n)
{
	struct feed_msg m;

	/* what feedrx does with every delivered message */
	(void)binance_scan_ts_ns(p, n);
	(void)binance_scan_event_ms(p, n);
	(void)binance_parse(&parser, (const char *)p, n, &m);
	log_ev(user, opcode, p, n);
}

static void on_control(void *user, int opcode, const uint8_t *p, size_t n)
{
	log_ev(user, opcode, p, n);
}

/* The reference: the sealed application bytes, head skipped, one decoder. */
static int reference(const struct ft_buf *app, size_t max_msg, struct evlog *l)
{
	const uint8_t *p = app->p;
	size_t n = app->len, i;
	struct ws_frame d;
	struct ws_frame_opts o = { .max_msg = max_msg, .user = l, .on_message = on_control,
				   .on_control = on_control };
	ssize_t r;

	for (i = 0; i + 4 <= n; i++)
		if (!memcmp(p + i, "\r\n\r\n", 4))
			break;
	if (i + 4 > n || i + 4 > 16384 || n < 12 || memcmp(p, "HTTP/1.", 7) || memcmp(p + 8, " 101", 4))
		return -1;
	FUZZ_ASSERT(ws_frame__init(&d, &o) == 0);
	r = ws_frame__feed(&d, p + i + 4, n - i - 4);
	ws_frame__fini(&d);
	return r < 0 ? (int)r : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t cfg = fz_u8(&f), sizes = fz_u8(&f), mode = fz_u8(&f), seed = fz_u8(&f);
	size_t hold_at = fz_u16(&f), off = 0;
	static struct evlog got, want;
	struct fp_stream_opts o = {
		.proxied = cfg & 0x08,
		.hold_bytes = (size_t)1 << (8 + sizes % 13),
		.max_message = (size_t)1 << (6 + (sizes >> 4) % 12),
		.user = &got,
		.on_message = on_message,
		.on_control = on_control,
	};
	struct fp_stream *s;
	struct fz_split sp;
	struct ft t;
	char why[200];
	int rc = 0, keyed = 0;

	binance_parser__init(&parser, toks, 256, levels, 64);
	got.n = want.n = 0;
	ft_init(&t, cfg & 7, 1, 0);
	ft_build(&t, &f);
	FUZZ_ASSERT(fp_stream__new(&s, &o) == 0);

	fz_split_init(&sp, mode, seed);
	while (off < t.out.len || !keyed) {
		size_t k = fz_split_next(&sp, t.out.len - off);

		if (!keyed && off + k > hold_at) /* secrets arrive mid-stream */
			k = hold_at > off ? hold_at - off : 0;
		if (!keyed && (off >= hold_at || off == t.out.len)) {
			rc = fp_stream__set_keys(s, t.v13 ? &t.hs : NULL, &t.app);
			keyed = 1;
			if (rc)
				break;
			continue;
		}
		uint8_t *c = fz_dup(t.out.p + off, k);

		rc = fp_stream__feed(s, off, c, k);
		free(c);
		if (rc)
			break;
		off += k;
	}
	FUZZ_ASSERT(rc == fp_stream__error(s));
	FUZZ_ASSERT(fp_stream__strerror(s, why, sizeof(why)) == why && why[0]);
	if (rc) {
		FUZZ_ASSERT(fp_stream__feed(s, fp_stream__bytes(s), t.out.p, 0) == rc);
	} else {
		FUZZ_ASSERT(fp_stream__bytes(s) == t.out.len);
		FUZZ_ASSERT(fp_stream__feed(s, off + 1, t.out.p, 1) == FP_E_GAP);
	}

	/* messages: a prefix of the reference's; all of them on a clean stream */
	if (!o.proxied && got.n) {
		int ref = reference(&t.app_data, o.max_message, &want);

		FUZZ_ASSERT(ref != -1); /* messages came, so the head was a 101 */
		FUZZ_ASSERT(got.n <= want.n);
		for (unsigned i = 0; i < got.n && i < MAX_EV; i++)
			FUZZ_ASSERT(got.ev[i] == want.ev[i]);
		if (!rc && fp_stream__tls(s) &&
		    tls_record__stats(fp_stream__tls(s))->app_bytes == t.app_data.len)
			FUZZ_ASSERT(got.n == want.n);
	}
	fp_stream__free(s);
	ft_free(&t);
	return 0;
}

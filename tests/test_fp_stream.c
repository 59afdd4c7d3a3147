/* Tests for fp_stream: real OpenSSL sessions (every suite) carrying an HTTP
 * 101 head and WebSocket frames, optionally behind a proxy's CONNECT answer,
 * fed before and after the secrets arrive, whole, byte by byte and in random
 * pieces; plus the failures each stage must report. */
#include "check.h"
#include "tls_testlib.h"

#include "fast/fp_stream.h"
#include "fast/ws_frame.h"

#define MAX_MSGS 64

struct got {
	int n;
	int opcode[MAX_MSGS];
	size_t len[MAX_MSGS];
	uint8_t *data[MAX_MSGS];
	int pings;
	int closes;
};

static void on_message(void *user, int opcode, const uint8_t *p, size_t n)
{
	struct got *g = user;

	if (g->n < MAX_MSGS) {
		g->opcode[g->n] = opcode;
		g->len[g->n] = n;
		g->data[g->n] = malloc(n ? n : 1);
		memcpy(g->data[g->n], p, n);
	}
	g->n++;
}

static void on_control(void *user, int opcode, const uint8_t *p, size_t n)
{
	struct got *g = user;

	(void)p, (void)n;
	if (opcode == WS_OP_PING)
		g->pings++;
	if (opcode == WS_OP_CLOSE)
		g->closes++;
}

static void got_free(struct got *g)
{
	for (int i = 0; i < g->n && i < MAX_MSGS; i++)
		free(g->data[i]);
	memset(g, 0, sizeof(*g));
}

/* An unmasked server frame. */
static size_t frame(uint8_t *out, int fin, int op, const uint8_t *p, size_t n)
{
	size_t h = 2;

	out[0] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (n < 126) {
		out[1] = (uint8_t)n;
	} else if (n < 65536) {
		out[1] = 126, out[2] = (uint8_t)(n >> 8), out[3] = (uint8_t)n;
		h = 4;
	} else {
		out[1] = 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		h = 10;
	}
	memcpy(out + h, p, n);
	return h + n;
}

static const char http101[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			      "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n";
static const char proxy200[] = "HTTP/1.1 200 Connection established\r\n\r\n";
static const size_t sizes[] = {2, 150, 125, 126, 1000, 20000, 70000};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* The server's application bytes: 101 head, the messages (one fragmented,
 * a ping between fragments), a close. Returns the length. */
static size_t server_payload(uint8_t *out, const char *head)
{
	size_t n = 0;
	uint8_t msg[70000];

	memcpy(out, head, strlen(head));
	n = strlen(head);
	for (size_t i = 0; i < NSIZES; i++) {
		for (size_t j = 0; j < sizes[i]; j++)
			msg[j] = (uint8_t)('a' + (i + j) % 26);
		n += frame(out + n, 1, WS_OP_TEXT, msg, sizes[i]);
	}
	/* a fragmented binary message with a ping between its pieces */
	n += frame(out + n, 0, WS_OP_BINARY, (const uint8_t *)"frag", 4);
	n += frame(out + n, 1, WS_OP_PING, (const uint8_t *)"p", 1);
	n += frame(out + n, 1, WS_OP_CONT, (const uint8_t *)"mented", 6);
	n += frame(out + n, 1, WS_OP_CLOSE, (const uint8_t *)"\x03\xe8", 2);
	return n;
}

static void check_got(struct got *g)
{
	CHECKF(g->n == (int)NSIZES + 1, "%d messages", g->n);
	for (size_t i = 0; i < NSIZES && (int)i < g->n; i++) {
		CHECKF(g->len[i] == sizes[i], "message %zu: %zu bytes", i, g->len[i]);
		CHECK(g->data[i][0] == (uint8_t)('a' + i % 26));
		CHECK(g->data[i][g->len[i] - 1] == (uint8_t)('a' + (i + sizes[i] - 1) % 26));
	}
	if (g->n == (int)NSIZES + 1) {
		CHECK(g->len[NSIZES] == 10 && memcmp(g->data[NSIZES], "fragmented", 10) == 0);
		CHECK(g->opcode[NSIZES] == WS_OP_BINARY);
	}
	CHECK(g->pings == 1);
	CHECK(g->closes == 1);
}

/* Build one session's server->client stream: proxy answer (optional) +
 * handshake + application bytes. */
static int make_stream_of(const struct tl_case *cs, int proxied, const uint8_t *payload,
			  size_t pn, uint8_t **out, size_t *len, struct tls_epoch *hs,
			  struct tls_epoch *app, int *has_hs)
{
	struct tl_session t;
	struct tls_keys *k;
	tls_keys__new(&k);
	size_t off = 0;
	int rc = -1;

	if (!k || tl_session_new(&t, cs, k))
		goto out;
	if (tl_handshake(&t))
		goto out_t;
	if (tl_server_write(&t, payload, pn))
		goto out_t;
	if (tls_keys__stream_epochs(k, t.c, hs, app) != 0)
		goto out_t;
	*has_hs = cs->v13;
	*out = malloc(t.s2c_len + sizeof(proxy200));
	if (proxied) {
		memcpy(*out, proxy200, strlen(proxy200));
		off = strlen(proxy200);
	}
	memcpy(*out + off, t.s2c, t.s2c_len);
	*len = off + t.s2c_len;
	rc = 0;
out_t:
	tl_session_free(&t);
out:
	tls_keys__free(k);
	return rc;
}

static int make_stream(const struct tl_case *cs, int proxied, uint8_t **out, size_t *len,
		       struct tls_epoch *hs, struct tls_epoch *app, int *has_hs)
{
	static uint8_t payload[200000];
	size_t pn = server_payload(payload, http101);

	return make_stream_of(cs, proxied, payload, pn, out, len, hs, app, has_hs);
}

/* Feed [0, len) in pieces; keys are given once `keyed_at` bytes are in. */
static int feed(struct fp_stream *s, const uint8_t *p, size_t len, int mode, size_t keyed_at,
		const struct tls_epoch *hs, const struct tls_epoch *app)
{
	size_t off = 0;
	int err = 0;

	while (off < len && !err) {
		size_t n = mode == 0 ? len - off : mode == 1 ? 1 : 1 + tl_rand() % 3000;

		if (n > len - off)
			n = len - off;
		if (off < keyed_at && off + n > keyed_at)
			n = keyed_at - off;
		err = fp_stream__feed(s, off, p + off, n);
		off += n;
		if (!err && off == keyed_at)
			err = fp_stream__set_keys(s, hs, app);
	}
	if (!err && !fp_stream__keyed(s))
		err = fp_stream__set_keys(s, hs, app);
	return err;
}

static struct fp_stream *new_stream(struct got *g, int proxied)
{
	struct fp_stream_opts o = {
		.proxied = proxied, .user = g, .on_message = on_message, .on_control = on_control,
	};
	struct fp_stream *s;

	return fp_stream__new(&s, &o) == 0 ? s : NULL;
}

static void every_suite_every_split(void)
{
	for (size_t c = 0; c < TL_NCASES; c++) {
		for (int proxied = 0; proxied < 2; proxied++) {
			struct tls_epoch hs, app;
			uint8_t *st;
			size_t len;
			int has_hs;

			REQUIRE(make_stream(&tl_cases[c], proxied, &st, &len, &hs, &app, &has_hs) == 0);
			for (int mode = 0; mode < 3; mode++) {
				/* keys at once, after the handshake flight, and at the very end */
				size_t at[3] = {0, len / 3, len};

				for (int a = 0; a < 3; a++) {
					struct got g = {0};
					struct fp_stream *s = new_stream(&g, proxied);
					char why[128];
					int err;

					REQUIRE(s);
					err = feed(s, st, len, mode, at[a], has_hs ? &hs : NULL, &app);
					CHECKF(err == 0, "%s proxied=%d mode=%d keys at %zu: %s",
					       tl_cases[c].name, proxied, mode, at[a],
					       fp_stream__strerror(s, why, sizeof(why)));
					check_got(&g);
					CHECK(fp_stream__bytes(s) == len);
					got_free(&g);
					fp_stream__free(s);
				}
			}
			tls_keys_epoch_wipe(&hs);
			tls_keys_epoch_wipe(&app);
			free(st);
		}
	}
}

static void flipped_byte_is_tls_error(void)
{
	struct tls_epoch hs, app;
	uint8_t *st;
	size_t len;
	int has_hs;
	struct got g = {0};
	struct fp_stream *s;
	char why[128];

	REQUIRE(make_stream(&tl_cases[0], 0, &st, &len, &hs, &app, &has_hs) == 0);
	st[len - 40] ^= 0x01; /* inside the last record */
	s = new_stream(&g, 0);
	CHECK(feed(s, st, len, 0, 0, &hs, &app) == TLS_RECORD_E_AUTH);
	CHECK(fp_stream__error_stage(s) == FP_STAGE_TLS);
	CHECK(strstr(fp_stream__strerror(s, why, sizeof(why)), "tls:") == why);
	/* messages wholly before the bad (last) record were delivered, none after */
	CHECK(g.n >= 5 && g.n <= (int)NSIZES);
	CHECK(g.closes == 0);
	got_free(&g);
	fp_stream__free(s);
	free(st);
}

static void bad_proxy_answer_and_gap(void)
{
	struct got g = {0};
	struct fp_stream *s = new_stream(&g, 1);
	const char *bad = "HTTP/1.1 403 Forbidden\r\n\r\n";

	CHECK(fp_stream__feed(s, 0, (const uint8_t *)bad, strlen(bad)) == FP_E_HTTP_STATUS);
	CHECK(fp_stream__error_stage(s) == FP_STAGE_PROXY);
	fp_stream__free(s);

	s = new_stream(&g, 0);
	CHECK(fp_stream__feed(s, 0, (const uint8_t *)"\x16\x03\x03", 3) == 0);
	CHECK(fp_stream__feed(s, 10, (const uint8_t *)"\x00", 1) == FP_E_GAP);
	CHECK(fp_stream__feed(s, 3, (const uint8_t *)"\x00", 1) == FP_E_GAP); /* sticky */
	fp_stream__free(s);
}

static void hold_is_bounded(void)
{
	struct got g = {0};
	struct fp_stream_opts o = {.hold_bytes = 100, .user = &g, .on_message = on_message};
	struct fp_stream *s;
	fp_stream__new(&s, &o);
	uint8_t junk[80] = {0};

	REQUIRE(s);
	CHECK(fp_stream__feed(s, 0, junk, 80) == 0);
	CHECK(fp_stream__feed(s, 80, junk, 80) == FP_E_HOLD_FULL);
	CHECK(fp_stream__error_stage(s) == FP_STAGE_HOLD);
	fp_stream__free(s);
}

static void desync_switch(void)
{
	struct tls_epoch hs, app;
	uint8_t *st;
	size_t len;
	int has_hs;
	struct got g = {0};
	struct fp_stream *s;

	REQUIRE(make_stream(&tl_cases[3], 0, &st, &len, &hs, &app, &has_hs) == 0);
	s = new_stream(&g, 0);
	CHECK(fp_stream__set_keys(s, NULL, &app) == 0);
	CHECK(fp_stream__feed(s, 0, st, len / 2) == 0);
	fp_stream__inject_desync(s);
	CHECK(fp_stream__feed(s, len / 2, st + len / 2, len - len / 2) == TLS_RECORD_E_AUTH);
	got_free(&g);
	fp_stream__free(s);
	free(st);
}

/* One valid message, then what the hostile exchange sends (it_hostile):
 * returns the error fp_stream ends with, and the messages delivered. */
static int hostile_stream(const char *head, const uint8_t *attack, size_t an, int check_utf8,
			  int *delivered)
{
	uint8_t pl[1024], *st;
	size_t n = strlen(head), len;
	struct tls_epoch hs, app;
	struct got g = {0};
	struct fp_stream_opts o = {
		.check_utf8 = check_utf8, .user = &g, .on_message = on_message,
		.on_control = on_control,
	};
	struct fp_stream *s;
	int has_hs, err = -999;

	memcpy(pl, head, n);
	n += frame(pl + n, 1, WS_OP_TEXT, (const uint8_t *)"{\"ok\":1}", 8);
	if (an)
		memcpy(pl + n, attack, an);
	n += an;
	if (make_stream_of(&tl_cases[0], 0, pl, n, &st, &len, &hs, &app, &has_hs))
		return err;
	if (fp_stream__new(&s, &o) == 0) {
		err = feed(s, st, len, 2, len / 2, has_hs ? &hs : NULL, &app);
		if (err)
			err = fp_stream__error_stage(s) == FP_STAGE_WS ? err : -998;
		fp_stream__free(s);
	}
	*delivered = g.n;
	got_free(&g);
	tls_keys_epoch_wipe(&hs);
	tls_keys_epoch_wipe(&app);
	free(st);
	return err;
}

/* Text that is not UTF-8: the kernel path refuses it (1007), so with
 * check_utf8 the fast path must not deliver it either. */
static void bad_utf8_text(void)
{
	static const char bad[] = "{\"bad\":\"\xc3\x28\"}";
	uint8_t f[64];
	size_t n = frame(f, 1, WS_OP_TEXT, (const uint8_t *)bad, sizeof(bad) - 1);
	int got;

	CHECK(hostile_stream(http101, f, n, 1, &got) == WS_FRAME_E_UTF8);
	CHECK(got == 1);
	CHECK(ws_frame_close_code(WS_FRAME_E_UTF8) == 1007);
	CHECK(hostile_stream(http101, f, n, 0, &got) == 0); /* the check is the switch */
	CHECK(got == 2);
}

/* A 101 with Content-Length: what follows the head is the WebSocket stream
 * (no 1xx has content), here a 't' with RSV1-3 set; nothing is delivered. */
static void body_after_101_is_frames(void)
{
	static const char head[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				   "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n"
				   "Content-Length: 24\r\n\r\nthis is not a frame 101\n";
	int got = -1;

	CHECK(hostile_stream(head, NULL, 0, 1, &got) == WS_FRAME_E_RSV);
	CHECK(got == 0);
}

/* What the server sends after its close is dropped, not an error: the
 * kernel path drops it too, and the close handshake ends the connection
 * normally (it_hostile after-close, --shadow discard). */
static void data_after_close_is_dropped(void)
{
	uint8_t f[64];
	size_t n = frame(f, 1, WS_OP_CLOSE, (const uint8_t *)"\x03\xe8" "bye", 5);
	int got;

	n += frame(f + n, 1, WS_OP_TEXT, (const uint8_t *)"{\"after\":1}", 11);
	CHECK(hostile_stream(http101, f, n, 1, &got) == 0);
	CHECK(got == 1);
}

int main(void)
{
	RUN(every_suite_every_split);
	RUN(flipped_byte_is_tls_error);
	RUN(bad_proxy_answer_and_gap);
	RUN(hold_is_bounded);
	RUN(desync_switch);
	RUN(bad_utf8_text);
	RUN(body_after_101_is_frames);
	RUN(data_after_close_is_dropped);
	tl_identity_free();
	return check_exit();
}

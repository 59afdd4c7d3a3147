/* Tests for ws_client: server frames fed whole, byte by byte and in random
 * pieces; reassembly; ping -> masked pong; close handshake; protocol errors
 * with their close codes. (CHECK evaluates its condition twice on failure,
 * so calls with side effects are made outside it.) */
#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "kernel/ws_client.h"

#define MAXMSG 100000

struct sink {
	int n;
	bool text[16];
	size_t len[16];
	uint8_t data[16][MAXMSG];
	int close_after; /* call ws_client__close after this many messages */
	struct ws_client *ws;
};

static struct sink sink;

static void on_message(void *user, bool text, const uint8_t *p, size_t n)
{
	struct sink *s = user;

	if (s->n < 16) {
		s->text[s->n] = text;
		s->len[s->n] = n;
		memcpy(s->data[s->n], p, n);
	}
	s->n++;
	if (s->close_after && s->n == s->close_after)
		ws_client__close(s->ws, WS_CLOSE_NORMAL);
}

static const struct ws_client_cbs cbs = {.on_message = on_message};

static int setup(struct ws_client *ws, size_t max)
{
	struct ws_client_opts o = {.max_message = max, .out_cap = 4096, .check_utf8 = true};

	memset(&sink, 0, sizeof(sink));
	sink.ws = ws;
	return ws_client__init(ws, &o, &cbs, &sink);
}

/* A server frame (unmasked unless mask is set). Returns its length. */
static size_t frame(uint8_t *b, int fin, int rsv, int op, const void *p, size_t n, int mask)
{
	size_t h = 0;

	b[h++] = (uint8_t)((fin ? 0x80 : 0) | (rsv << 4) | op);
	if (n < 126) {
		b[h++] = (uint8_t)((mask ? 0x80 : 0) | n);
	} else if (n < 65536) {
		b[h++] = (uint8_t)((mask ? 0x80 : 0) | 126);
		b[h++] = (uint8_t)(n >> 8);
		b[h++] = (uint8_t)n;
	} else {
		b[h++] = (uint8_t)((mask ? 0x80 : 0) | 127);
		for (int i = 7; i >= 0; i--)
			b[h++] = (uint8_t)((uint64_t)n >> (8 * i));
	}
	if (mask) {
		memcpy(b + h, "\x01\x02\x03\x04", 4);
		h += 4;
	}
	memcpy(b + h, p, n);
	if (mask)
		for (size_t i = 0; i < n; i++)
			b[h + i] ^= (uint8_t)(1 + i % 4);
	return h + n;
}

/* Decode one client frame at the head of the output; returns its length. */
static size_t client_frame(const uint8_t *b, size_t avail, int *op, uint8_t *payload, size_t *n,
			   int *masked)
{
	size_t h = 2, len = b[1] & 0x7f;
	const uint8_t *key;

	if (avail < 2)
		return 0;
	*op = b[0] & 0x0f;
	*masked = (b[1] & 0x80) != 0;
	if (len == 126) {
		len = (size_t)b[2] << 8 | b[3];
		h = 4;
	} else if (len == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | b[2 + i];
		h = 10;
	}
	key = b + h;
	if (*masked)
		h += 4;
	if (avail < h + len)
		return 0;
	for (size_t i = 0; i < len; i++)
		payload[i] = *masked ? (uint8_t)(b[h + i] ^ key[i % 4]) : b[h + i];
	*n = len;
	return h + len;
}

/* Feed buf in the given way: 0 whole, 1 byte by byte, 2 random pieces. */
static int feed_mode(struct ws_client *ws, const uint8_t *buf, size_t len, int mode)
{
	size_t off = 0;
	int r = 0;

	while (off < len && r == 0) {
		size_t n = len - off;
		if (mode == 1)
			n = 1;
		else if (mode == 2)
			n = 1 + (size_t)rand() % (n < 300 ? n : 300);
		r = ws_client__feed(ws, buf + off, n);
		off += n;
	}
	return r;
}

static uint8_t big_in[3 * MAXMSG];
static uint8_t payload[MAXMSG];

static void text_and_binary_every_split(void)
{
	struct ws_client ws;
	size_t len = 0;
	int r;

	srand(7);
	for (int mode = 0; mode < 3; mode++) {
		for (int rep = 0; rep < (mode == 2 ? 50 : 1); rep++) {
			REQUIRE(setup(&ws, MAXMSG) == 0);
			len = frame(big_in, 1, 0, 1, "{\"e\":\"trade\",\"ts_ns\":1}", 23, 0);
			len += frame(big_in + len, 1, 0, 2, "\x00\x01\xff", 3, 0);
			len += frame(big_in + len, 1, 0, 1, "", 0, 0);
			for (size_t i = 0; i < 70000; i++)
				payload[i] = (uint8_t)('a' + i % 26);
			len += frame(big_in + len, 1, 0, 1, payload, 300, 0);
			len += frame(big_in + len, 1, 0, 2, payload, 70000, 0);
			r = feed_mode(&ws, big_in, len, mode);
			CHECKF(r == 0, "mode %d r %d", mode, r);
			CHECKF(sink.n == 5, "mode %d got %d", mode, sink.n);
			CHECK(sink.text[0] && sink.len[0] == 23 &&
			      memcmp(sink.data[0], "{\"e\":\"trade\",\"ts_ns\":1}", 23) == 0);
			CHECK(!sink.text[1] && sink.len[1] == 3 &&
			      memcmp(sink.data[1], "\x00\x01\xff", 3) == 0);
			CHECK(sink.text[2] && sink.len[2] == 0);
			CHECK(sink.len[3] == 300 && memcmp(sink.data[3], payload, 300) == 0);
			CHECK(!sink.text[4] && sink.len[4] == 70000 &&
			      memcmp(sink.data[4], payload, 70000) == 0);
			CHECK(ws.stats.messages == 5);
			CHECK(ws.stats.bytes == 23 + 3 + 300 + 70000);
			ws_client__free(&ws);
		}
	}
}

static void fragmented_with_ping_inside(void)
{
	struct ws_client ws;
	const uint8_t *out;
	uint8_t pl[200];
	size_t len, n, got;
	int op, masked, r;

	for (int mode = 0; mode < 3; mode++) {
		REQUIRE(setup(&ws, MAXMSG) == 0);
		len = frame(big_in, 0, 0, 1, "Hel", 3, 0);
		len += frame(big_in + len, 1, 0, 9, "are you there", 13, 0);
		len += frame(big_in + len, 0, 0, 0, "lo, ", 4, 0);
		len += frame(big_in + len, 0, 0, 0, "", 0, 0);
		len += frame(big_in + len, 1, 0, 0, "world", 5, 0);
		r = feed_mode(&ws, big_in, len, mode);
		CHECK(r == 0);
		CHECKF(sink.n == 1, "mode %d got %d", mode, sink.n);
		CHECK(sink.text[0] && sink.len[0] == 12 &&
		      memcmp(sink.data[0], "Hello, world", 12) == 0);
		CHECK(ws.stats.pings == 1);
		/* the pong: masked, same payload */
		n = ws_client__pending(&ws, &out);
		got = client_frame(out, n, &op, pl, &len, &masked);
		CHECK(got == n && got > 0);
		CHECK(op == 0xa && masked && len == 13 && memcmp(pl, "are you there", 13) == 0);
		ws_client__consume(&ws, got);
		CHECK(ws_client__pending(&ws, &out) == 0);
		ws_client__free(&ws);
	}
}

static void masks_are_fresh(void)
{
	struct ws_client ws;
	const uint8_t *out;
	uint8_t keys[8][4];
	size_t n;
	int distinct = 0;

	REQUIRE(setup(&ws, 1000) == 0);
	for (int i = 0; i < 8; i++) {
		int r = ws_client__ping(&ws, "x", 1);
		CHECK(r == 0);
		n = ws_client__pending(&ws, &out);
		REQUIRE(n == 2 + 4 + 1);
		CHECK((out[1] & 0x80) && (out[1] & 0x7f) == 1);
		memcpy(keys[i], out + 2, 4);
		ws_client__consume(&ws, n);
	}
	for (int i = 1; i < 8; i++)
		distinct += memcmp(keys[i], keys[0], 4) != 0;
	CHECK(distinct >= 6);
	ws_client__free(&ws);
}

static void send_text_masked(void)
{
	static const char sub[] =
	    "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\"],\"id\":1}";
	struct ws_client ws;
	const uint8_t *out;
	uint8_t pl[300];
	size_t n, len;
	int op, masked, r;

	REQUIRE(setup(&ws, 1000) == 0);
	r = ws_client__send(&ws, true, sub, sizeof(sub) - 1);
	CHECK(r == 0);
	n = ws_client__pending(&ws, &out);
	CHECK(client_frame(out, n, &op, pl, &len, &masked) == n);
	CHECK(op == 1 && masked && len == sizeof(sub) - 1 && memcmp(pl, sub, len) == 0);
	CHECK((out[0] & 0x80) != 0); /* fin */
	ws_client__free(&ws);
}

static void server_close_is_echoed(void)
{
	struct ws_client ws;
	const uint8_t *out;
	uint8_t pl[200];
	size_t len, n;
	int op, masked, r;

	for (int mode = 0; mode < 2; mode++) {
		REQUIRE(setup(&ws, 1000) == 0);
		len = frame(big_in, 1, 0, 1, "a", 1, 0);
		len += frame(big_in + len, 1, 0, 8, "\x03\xe9going away", 12, 0);
		len += frame(big_in + len, 1, 0, 1, "after", 5, 0);
		r = feed_mode(&ws, big_in, len, mode);
		CHECK(r == 0);
		CHECK(sink.n == 1);
		CHECK(ws.state == WS_CLIENT_CLOSED);
		CHECK(ws.close_received == 1001 && strcmp(ws.close_reason, "going away") == 0);
		n = ws_client__pending(&ws, &out);
		CHECK(client_frame(out, n, &op, pl, &len, &masked) == n);
		CHECK(op == 8 && masked && len == 2 && pl[0] == 0x03 && pl[1] == 0xe9);
		ws_client__free(&ws);
	}
	/* an empty close is answered with an empty close */
	REQUIRE(setup(&ws, 1000) == 0);
	len = frame(big_in, 1, 0, 8, "", 0, 0);
	r = ws_client__feed(&ws, big_in, len);
	CHECK(r == 0);
	CHECK(ws.close_received == WS_CLOSE_NO_STATUS);
	n = ws_client__pending(&ws, &out);
	CHECK(client_frame(out, n, &op, pl, &len, &masked) == n);
	CHECK(op == 8 && len == 0);
	ws_client__free(&ws);
}

static void our_close_then_reply(void)
{
	struct ws_client ws;
	const uint8_t *out;
	uint8_t pl[200];
	size_t len, n;
	int op, masked, r;

	REQUIRE(setup(&ws, 1000) == 0);
	sink.close_after = 2;
	len = frame(big_in, 1, 0, 1, "one", 3, 0);
	len += frame(big_in + len, 1, 0, 1, "two", 3, 0);
	len += frame(big_in + len, 1, 0, 1, "three", 5, 0); /* in flight: dropped */
	len += frame(big_in + len, 1, 0, 9, "p", 1, 0);	    /* no pong after close */
	r = ws_client__feed(&ws, big_in, len);
	CHECK(r == 0);
	CHECK(sink.n == 2);
	CHECK(ws.state == WS_CLIENT_CLOSE_SENT);
	n = ws_client__pending(&ws, &out);
	CHECK(client_frame(out, n, &op, pl, &len, &masked) == n);
	CHECK(op == 8 && len == 2 && pl[0] == 0x03 && pl[1] == 0xe8);
	ws_client__consume(&ws, n);
	len = frame(big_in, 1, 0, 8, "\x03\xe8", 2, 0);
	r = ws_client__feed(&ws, big_in, len);
	CHECK(r == 0);
	CHECK(ws.state == WS_CLIENT_CLOSED && ws.close_received == 1000);
	CHECK(ws_client__pending(&ws, &out) == 0); /* nothing more to send */
	r = ws_client__send(&ws, true, "x", 1);
	CHECK(r == -EPIPE);
	ws_client__free(&ws);
}

/* Feed one bad input; expect err and a close frame with code. */
static void expect_fail(const uint8_t *in, size_t len, int err, uint16_t code, const char *what)
{
	struct ws_client ws;
	const uint8_t *out;
	uint8_t pl[200];
	size_t n, plen;
	int op, masked, r;

	if (setup(&ws, 1000)) {
		CHECK(0);
		return;
	}
	r = feed_mode(&ws, in, len, 1);
	CHECKF(r == err, "%s: got %d want %d", what, r, err);
	CHECKF(ws.state == WS_CLIENT_FAILED, "%s: state %d", what, ws.state);
	n = ws_client__pending(&ws, &out);
	CHECKF(client_frame(out, n, &op, pl, &plen, &masked) == n && op == 8 && plen == 2 &&
		   (pl[0] << 8 | pl[1]) == code,
	       "%s: no close %u", what, code);
	CHECKF(strcmp(ws_client__error(&ws), "no error") != 0, "%s: no detail", what);
	r = ws_client__feed(&ws, in, len);
	CHECKF(r == err, "%s: not sticky", what);
	ws_client__free(&ws);
}

static void protocol_errors(void)
{
	uint8_t b[512];
	size_t n;

	n = frame(b, 1, 0, 3, "x", 1, 0);
	expect_fail(b, n, -EPROTO, 1002, "bad opcode 3");
	n = frame(b, 1, 0, 0xb, "x", 1, 0);
	expect_fail(b, n, -EPROTO, 1002, "bad opcode 0xb");
	n = frame(b, 1, 4, 1, "x", 1, 0);
	expect_fail(b, n, -EPROTO, 1002, "rsv1");
	n = frame(b, 1, 0, 1, "x", 1, 1);
	expect_fail(b, n, -EPROTO, 1002, "masked server frame");
	n = frame(b, 1, 0, 0, "x", 1, 0);
	expect_fail(b, n, -EPROTO, 1002, "continuation first");
	n = frame(b, 0, 0, 1, "x", 1, 0);
	n += frame(b + n, 1, 0, 1, "y", 1, 0);
	expect_fail(b, n, -EPROTO, 1002, "text inside fragmented");
	n = frame(b, 0, 0, 9, "x", 1, 0);
	expect_fail(b, n, -EPROTO, 1002, "fragmented ping");
	memset(payload, 'p', 126);
	n = frame(b, 1, 0, 9, payload, 126, 0);
	expect_fail(b, n, -EPROTO, 1002, "ping over 125");
	n = frame(b, 1, 0, 8, "\x03", 1, 0);
	expect_fail(b, n, -EPROTO, 1002, "1-byte close");
	n = frame(b, 1, 0, 8, "\x03\xed", 2, 0);
	expect_fail(b, n, -EPROTO, 1002, "close code 1005");
	n = frame(b, 1, 0, 8, "\x03\xe7", 2, 0);
	expect_fail(b, n, -EPROTO, 1002, "close code 999");
	/* non-minimal 16-bit length */
	memcpy(b, "\x81\x7e\x00\x05hello", 9);
	expect_fail(b, 9, -EPROTO, 1002, "non-minimal length");
}

static void oversize_is_1009(void)
{
	uint8_t b[2048];
	size_t n;

	memset(payload, 'x', 1001);
	n = frame(b, 1, 0, 2, payload, 1001, 0);
	expect_fail(b, n, -EMSGSIZE, 1009, "single frame over limit");
	n = frame(b, 0, 0, 1, payload, 600, 0);
	n += frame(b + n, 1, 0, 0, payload, 401, 0);
	expect_fail(b, n, -EMSGSIZE, 1009, "fragments over limit");
	/* exactly at the limit is fine */
	{
		struct ws_client ws;
		int r;
		REQUIRE(setup(&ws, 1000) == 0);
		n = frame(b, 0, 0, 1, payload, 600, 0);
		n += frame(b + n, 1, 0, 0, payload, 400, 0);
		r = ws_client__feed(&ws, b, n);
		CHECK(r == 0 && sink.n == 1 && sink.len[0] == 1000);
		ws_client__free(&ws);
	}
}

static void utf8(void)
{
	uint8_t b[64];
	size_t n;
	n = frame(b, 1, 0, 1, "ab\xc3(", 4, 0);
	expect_fail(b, n, -EILSEQ, 1007, "bad utf-8 text");
	/* binary messages are not checked */
	{
		struct ws_client ws;
		int r;
		REQUIRE(setup(&ws, 1000) == 0);
		n = frame(b, 1, 0, 2, "ab\xc3(", 4, 0);
		r = ws_client__feed(&ws, b, n);
		CHECK(r == 0 && sink.n == 1);
		ws_client__free(&ws);
	}
}

static void output_full_drops_pong(void)
{
	struct ws_client ws;
	struct ws_client_opts o = {.max_message = 1000, .out_cap = 300};
	uint8_t b[4096];
	size_t n = 0;
	int r;

	memset(&sink, 0, sizeof(sink));
	REQUIRE(ws_client__init(&ws, &o, &cbs, &sink) == 0);
	memset(payload, 'q', 125);
	for (int i = 0; i < 4; i++)
		n += frame(b + n, 1, 0, 9, payload, 125, 0);
	r = ws_client__feed(&ws, b, n);
	CHECK(r == 0);
	CHECK(ws.stats.pings == 4 && ws.stats.pongs_dropped == 2);
	ws_client__free(&ws);
}

int main(void)
{
	RUN(text_and_binary_every_split);
	RUN(fragmented_with_ping_inside);
	RUN(masks_are_fresh);
	RUN(send_text_masked);
	RUN(server_close_is_echoed);
	RUN(our_close_then_reply);
	RUN(protocol_errors);
	RUN(oversize_is_1009);
	RUN(utf8);
	RUN(output_full_drops_pong);
	return check_exit();
}

/* Tests for sim_ws: server frame headers and fragmentation, and the client
 * frame decoder fed whole, byte by byte and in random pieces, with every
 * protocol error it must catch. */
#include "check.h"
#include "sim/sim_ws.h"

#include <stdint.h>

/* check.h evaluates a condition more than once: call first, then check. */

/* A masked client frame, as a browser would send it. */
static size_t client_frame(uint8_t *out, uint8_t b0, const void *payload, uint64_t n)
{
	static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	const uint8_t *p = payload;
	size_t h = 2;

	out[0] = b0;
	if (n < 126) {
		out[1] = (uint8_t)(0x80 | n);
	} else if (n < 65536) {
		out[1] = 0x80 | 126;
		out[2] = (uint8_t)(n >> 8);
		out[3] = (uint8_t)n;
		h = 4;
	} else {
		out[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(n >> (56 - 8 * i));
		h = 10;
	}
	memcpy(out + h, mask, 4);
	h += 4;
	for (uint64_t i = 0; i < n; i++)
		out[h + i] = p[i] ^ mask[i & 3];
	return h + (size_t)n;
}

static void header_lengths(void)
{
	uint8_t h[SIM_WS_HDR_MAX];

	CHECK(sim_ws_hdr_write(h, WS_OP_TEXT, true, 0) == 2 && h[0] == 0x81 && h[1] == 0);
	CHECK(sim_ws_hdr_write(h, WS_OP_TEXT, true, 125) == 2 && h[1] == 125);
	CHECK(sim_ws_hdr_write(h, WS_OP_CONT, false, 126) == 4 && h[0] == 0 && h[1] == 126 &&
	      h[2] == 0 && h[3] == 126);
	CHECK(sim_ws_hdr_write(h, WS_OP_TEXT, true, 65535) == 4 && h[2] == 0xff && h[3] == 0xff);
	CHECK(sim_ws_hdr_write(h, WS_OP_PING, true, 65536) == 10 && h[0] == 0x89 &&
	      h[1] == 127 && h[7] == 1 && h[8] == 0 && h[9] == 0);
	CHECK(sim_ws_hdr_len(125) == 2 && sim_ws_hdr_len(126) == 4 && sim_ws_hdr_len(70000) == 10);
}

/* Parse server frames back (unmasked) and check fragmentation. */
static void fragments_reassemble(void)
{
	static uint8_t msg[200000], out[400000];
	static const size_t lens[] = { 0, 1, 7, 125, 126, 1000, 65536, 200000 };
	static const size_t frags[] = { 0, 1, 7, 125, 126, 4096, 65536 };

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)('a' + i % 26);
	for (size_t a = 0; a < sizeof(lens) / sizeof(lens[0]); a++) {
		for (size_t b = 0; b < sizeof(frags) / sizeof(frags[0]); b++) {
			size_t len = lens[a], frag = frags[b], want = sim_ws_framed_len(len, frag);
			size_t n, pos = 0, got = 0, frames = 0;
			bool fin = false;

			if (len > 1000 && frag == 1)
				continue;
			n = sim_ws_frame_msg(out, WS_OP_TEXT, msg, len, frag);
			CHECKF(n == want, "len %zu frag %zu: wrote %zu, framed_len %zu", len, frag, n, want);
			while (pos < n && !fin) {
				uint64_t pl = out[pos + 1] & 0x7f;
				size_t h = 2;

				fin = out[pos] & 0x80;
				CHECKF((out[pos] & 0x0f) == (frames ? WS_OP_CONT : WS_OP_TEXT),
				       "len %zu frag %zu: opcode of frame %zu", len, frag, frames);
				CHECK(!(out[pos + 1] & 0x80));
				if (pl == 126) {
					pl = (uint64_t)out[pos + 2] << 8 | out[pos + 3];
					h = 4;
				} else if (pl == 127) {
					pl = 0;
					for (int i = 0; i < 8; i++)
						pl = pl << 8 | out[pos + 2 + i];
					h = 10;
				}
				CHECKF(!frag || pl <= frag, "frame of %llu > %zu", (unsigned long long)pl, frag);
				CHECK(!memcmp(out + pos + h, msg + got, (size_t)pl));
				got += (size_t)pl;
				pos += h + (size_t)pl;
				frames++;
			}
			CHECKF(fin && pos == n && got == len, "len %zu frag %zu: reassembled %zu", len,
			       frag, got);
		}
	}
}

static void close_frame(void)
{
	uint8_t f[SIM_WS_HDR_MAX + SIM_WS_CTL_MAX];
	char longr[300];
	size_t n = sim_ws_close_write(f, 1001, "bye");

	CHECK(n == 7 && f[0] == 0x88 && f[1] == 5 && f[2] == 0x03 && f[3] == 0xe9 &&
	      !memcmp(f + 4, "bye", 3));
	memset(longr, 'r', sizeof(longr) - 1);
	longr[sizeof(longr) - 1] = 0;
	n = sim_ws_close_write(f, 1000, longr);
	CHECK(n == 2 + SIM_WS_CTL_MAX && f[1] == SIM_WS_CTL_MAX);
}

/* Feed `in` in pieces chosen by `mode` (0 whole, 1 bytewise, 2 random);
 * collect events and the last text message. */
struct seen {
	int text, binary, ping, pong, close, error;
	uint16_t code;
	char last[70000];
	size_t last_len;
};

static void feed_all(struct sim_ws_rx *rx, const uint8_t *in, size_t n, int mode, struct seen *s,
		     unsigned seed)
{
	size_t pos = 0;

	memset(s, 0, sizeof(*s));
	srand(seed);
	while (pos < n && !s->error) {
		size_t piece = mode == 0 ? n - pos : mode == 1 ? 1 : 1 + (size_t)rand() % 300;
		size_t used = 0, off = 0;

		if (piece > n - pos)
			piece = n - pos;
		while (off < piece && !s->error) {
			enum sim_ws_ev ev = sim_ws_rx__feed(rx, in + pos + off, piece - off, &used);
			size_t len;
			const uint8_t *p = sim_ws_rx_payload(rx, ev, &len);

			off += used;
			switch (ev) {
			case SIM_WS_EV_TEXT:
				s->text++;
				memcpy(s->last, p, len);
				s->last_len = len;
				break;
			case SIM_WS_EV_BINARY:
				s->binary++;
				break;
			case SIM_WS_EV_PING:
				s->ping++;
				CHECK(len == 4 && !memcmp(p, "ping", 4));
				break;
			case SIM_WS_EV_PONG:
				s->pong++;
				break;
			case SIM_WS_EV_CLOSE:
				s->close++;
				s->code = rx->close_code;
				break;
			case SIM_WS_EV_ERROR:
				s->error++;
				s->code = rx->close_code;
				break;
			case SIM_WS_EV_NONE:
				CHECK(used == piece - (off - used));
				break;
			}
		}
		pos += piece;
	}
}

static void decoder_at_every_split(void)
{
	static uint8_t in[200000];
	static char big[60000];
	static struct seen s;
	size_t n = 0;

	memset(big, 'x', sizeof(big));
	/* a fragmented text message with a ping in the middle, a big one, a
	 * binary, a pong, a close */
	n += client_frame(in + n, 0x01, "{\"meth", 6);
	n += client_frame(in + n, 0x89, "ping", 4);
	n += client_frame(in + n, 0x00, "od\":", 4);
	n += client_frame(in + n, 0x80, "1}", 2);
	n += client_frame(in + n, 0x81, big, sizeof(big));
	n += client_frame(in + n, 0x81, "", 0);
	n += client_frame(in + n, 0x82, "\x00\x01", 2);
	n += client_frame(in + n, 0x8a, "", 0);
	n += client_frame(in + n, 0x88, "\x03\xe8ok", 4);
	for (int mode = 0; mode < 3; mode++) {
		for (unsigned seed = 1; seed <= (mode == 2 ? 20u : 1u); seed++) {
			struct sim_ws_rx rx;
			int rc = sim_ws_rx__init(&rx, 65536);

			REQUIRE(rc == 0);
			feed_all(&rx, in, n, mode, &s, seed);
			CHECKF(s.text == 3 && s.binary == 1 && s.ping == 1 && s.pong == 1 &&
			       s.close == 1 && !s.error && s.code == 1000,
			       "mode %d: text %d bin %d ping %d pong %d close %d err %d code %u", mode,
			       s.text, s.binary, s.ping, s.pong, s.close, s.error, s.code);
			sim_ws_rx__fini(&rx);
		}
	}
	/* the first text message reassembled across the ping */
	{
		struct sim_ws_rx rx;
		size_t used, used2;
		size_t m = client_frame(in, 0x01, "{\"meth", 6);
		enum sim_ws_ev e1, e2;
		int rc;

		m += client_frame(in + m, 0x89, "ping", 4);
		m += client_frame(in + m, 0x80, "od\":1}", 6);
		rc = sim_ws_rx__init(&rx, 100);
		REQUIRE(rc == 0);
		e1 = sim_ws_rx__feed(&rx, in, m, &used);
		e2 = sim_ws_rx__feed(&rx, in + used, m - used, &used2);
		CHECK(e1 == SIM_WS_EV_PING && e2 == SIM_WS_EV_TEXT && used + used2 == m);
		CHECK(rx.msg_len == 12 && !memcmp(rx.msg, "{\"method\":1}", 12));
		sim_ws_rx__fini(&rx);
	}
}

/* One bad input -> one error with the right close code. */
static void expect_error(const uint8_t *in, size_t n, size_t max, uint16_t code, const char *what)
{
	static struct seen s;
	struct sim_ws_rx rx;

	if (sim_ws_rx__init(&rx, max))
		return;
	feed_all(&rx, in, n, 2, &s, 3);
	CHECKF(s.error == 1 && s.code == code, "%s: %d errors, code %u (want %u)", what, s.error,
	       s.code, code);
	sim_ws_rx__fini(&rx);
}

static void decoder_errors(void)
{
	static uint8_t in[70100];
	static char big[70000];
	size_t n;

	n = client_frame(in, 0x81, "hi", 2);
	in[1] &= 0x7f; /* unmasked */
	expect_error(in, 2 + 4, 100, WS_CLOSE_PROTOCOL, "unmasked");
	n = client_frame(in, 0xc1, "hi", 2);
	expect_error(in, n, 100, WS_CLOSE_PROTOCOL, "rsv1");
	n = client_frame(in, 0x83, "hi", 2);
	expect_error(in, n, 100, WS_CLOSE_PROTOCOL, "opcode 3");
	n = client_frame(in, 0x09, "ping", 4);
	expect_error(in, n, 100, WS_CLOSE_PROTOCOL, "fragmented ping");
	memset(big, 'p', sizeof(big));
	n = client_frame(in, 0x89, big, 126);
	expect_error(in, n, 1000, WS_CLOSE_PROTOCOL, "long ping");
	n = client_frame(in, 0x80, "hi", 2);
	expect_error(in, n, 100, WS_CLOSE_PROTOCOL, "lone continuation");
	n = client_frame(in, 0x01, "a", 1);
	n += client_frame(in + n, 0x81, "b", 1);
	expect_error(in, n, 100, WS_CLOSE_PROTOCOL, "text inside fragmented text");
	n = client_frame(in, 0x81, big, 70000);
	expect_error(in, n, 65536, WS_CLOSE_TOO_BIG, "70000-byte message");
	n = client_frame(in, 0x01, big, 40000);
	n += client_frame(in + n, 0x80, big, 30000);
	expect_error(in, n, 65536, WS_CLOSE_TOO_BIG, "70000 bytes in two frames");
	n = client_frame(in, 0x88, "\x03", 1);
	expect_error(in, n, 100, WS_CLOSE_PROTOCOL, "one-byte close");
	n = client_frame(in, 0x88, "\x03\xed", 2); /* 1005 may not be sent */
	expect_error(in, n, 100, WS_CLOSE_PROTOCOL, "close 1005");
	n = client_frame(in, 0x81, "\xc0\xaf", 2); /* overlong '/' */
	expect_error(in, n, 100, WS_CLOSE_BAD_DATA, "overlong UTF-8");
	n = client_frame(in, 0x81, "\xed\xa0\x80", 3); /* surrogate */
	expect_error(in, n, 100, WS_CLOSE_BAD_DATA, "surrogate");
	n = client_frame(in, 0x81, "\xe2\x82", 2); /* truncated */
	expect_error(in, n, 100, WS_CLOSE_BAD_DATA, "truncated UTF-8");
	/* 126-byte length field holding 5: not minimal */
	in[0] = 0x81, in[1] = 0x80 | 126, in[2] = 0, in[3] = 5;
	memset(in + 4, 0, 4 + 5);
	expect_error(in, 13, 100, WS_CLOSE_PROTOCOL, "non-minimal length");
}

static void decoder_accepts_valid_utf8(void)
{
	uint8_t in[64];
	struct sim_ws_rx rx;
	size_t used, n = client_frame(in, 0x81, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
	int rc = sim_ws_rx__init(&rx, 100);
	enum sim_ws_ev ev;

	REQUIRE(rc == 0);
	ev = sim_ws_rx__feed(&rx, in, n, &used);
	CHECK(ev == SIM_WS_EV_TEXT && used == n);
	n = client_frame(in, 0x88, "", 0);
	ev = sim_ws_rx__feed(&rx, in, n, &used);
	CHECK(ev == SIM_WS_EV_CLOSE && rx.close_code == WS_CLOSE_NO_STATUS);
	sim_ws_rx__fini(&rx);
}

int main(void)
{
	RUN(header_lengths);
	RUN(fragments_reassemble);
	RUN(close_frame);
	RUN(decoder_at_every_split);
	RUN(decoder_errors);
	RUN(decoder_accepts_valid_utf8);
	return check_exit();
}

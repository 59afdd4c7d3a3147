/* Tests for sim_hostile: the kind names, and that each attack is the
 * violation it claims to be — fed to the fast path's frame decoder
 * (ws_frame, every rule of RFC 6455 §5), each session kind ends in the
 * error (and so the close code) it_hostile expects of feedrx; the
 * handshake kinds' answers are what their names say. */
#include "check.h"

#include "sim/sim_hostile.h"
#include "fast/ws_frame.h"
#include "proto/ws_accept.h"

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

static void names_round_trip(void)
{
	enum sim_hostile_kind k;
	int n = 0;

	for (int i = 1; i < SIM_HOSTILE__COUNT; i++) {
		const char *name = sim_hostile_kind_name((enum sim_hostile_kind)i);

		CHECKF(sim_hostile_kind_parse(name, &k) == 0 && k == (enum sim_hostile_kind)i,
		       "%s", name);
		CHECKF(strstr(sim_hostile_kinds, name) != NULL, "%s not in the list", name);
		n++;
	}
	CHECK(n == 18);
	CHECK(sim_hostile_kind_parse("nosuch", &k) < 0);
	CHECK(sim_hostile_kind_parse("", &k) < 0);
	CHECK(sim_hostile_in_handshake(SIM_HOSTILE_BAD_ACCEPT));
	CHECK(!sim_hostile_in_handshake(SIM_HOSTILE_LEN63));
}

struct seen {
	int messages, controls;
};

static void on_message(void *user, int opcode, const uint8_t *p, size_t n)
{
	(void)opcode, (void)p, (void)n;
	((struct seen *)user)->messages++;
}

static void on_control(void *user, int opcode, const uint8_t *p, size_t n)
{
	(void)opcode, (void)p, (void)n;
	((struct seen *)user)->controls++;
}

/* Pump kind into a 1 MiB-limited decoder until it fails, the attack is done
 * or `budget` bytes went by. Returns the decoder's error (0: none). */
static int decode_attack(enum sim_hostile_kind kind, uint64_t size, size_t budget,
			 struct seen *seen, enum sim_hostile_next *last)
{
	static uint8_t buf[65536];
	struct ws_frame_opts o = {
		.max_msg = 1 << 20, .flags = WS_FRAME_F_UTF8, .user = seen,
		.on_message = on_message, .on_control = on_control,
	};
	struct sim_hostile h;
	struct ws_frame d;
	size_t total = 0;
	int err = 0;

	memset(seen, 0, sizeof(*seen));
	if (ws_frame__init(&d, &o))
		return -999;
	sim_hostile__init(&h, kind, size);
	do {
		size_t n = sim_hostile__pump(&h, buf, sizeof(buf), last);
		ssize_t r = ws_frame__feed(&d, buf, n);

		total += n;
		if (r < 0)
			err = (int)r;
	} while (!err && (*last == SIM_HOSTILE_MORE || *last == SIM_HOSTILE_WAIT) && total < budget);
	ws_frame__fini(&d);
	return err;
}

static void session_kinds_break_the_rules(void)
{
	static const struct {
		enum sim_hostile_kind kind;
		int err;
	} want[] = {
		{SIM_HOSTILE_LEN63, WS_FRAME_E_LEN_MSB},
		{SIM_HOSTILE_OVERSIZE, WS_FRAME_E_TOO_BIG},
		{SIM_HOSTILE_ENDLESS_CONT, WS_FRAME_E_TOO_BIG},
		{SIM_HOSTILE_CTL_LONG, WS_FRAME_E_CTRL_TOO_LONG},
		{SIM_HOSTILE_CTL_FRAG, WS_FRAME_E_CTRL_FRAGMENTED},
		{SIM_HOSTILE_MASKED, WS_FRAME_E_MASKED},
		{SIM_HOSTILE_RSV, WS_FRAME_E_RSV},
		{SIM_HOSTILE_OPCODE, WS_FRAME_E_OPCODE},
		{SIM_HOSTILE_BAD_UTF8, WS_FRAME_E_UTF8},
		{SIM_HOSTILE_BAD_CLOSE, WS_FRAME_E_CLOSE_CODE},
		{SIM_HOSTILE_CLOSE_1BYTE, WS_FRAME_E_CLOSE_LEN},
		{SIM_HOSTILE_AFTER_CLOSE, WS_FRAME_E_AFTER_CLOSE},
	};
	enum sim_hostile_next last;
	struct seen seen;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int err = decode_attack(want[i].kind, 0, 8 << 20, &seen, &last);

		CHECKF(err == want[i].err, "%s: error %d (%s), want %d",
		       sim_hostile_kind_name(want[i].kind), err, fx_strerror(err), want[i].err);
		CHECKF(seen.messages == 0, "%s delivered a message",
		       sim_hostile_kind_name(want[i].kind));
	}
	/* after-close: the close itself is valid and delivered */
	decode_attack(SIM_HOSTILE_AFTER_CLOSE, 0, 1 << 20, &seen, &last);
	CHECK(seen.controls == 1);
	/* oversize honours its size: one byte over a 1 MiB limit */
	CHECK(decode_attack(SIM_HOSTILE_OVERSIZE, (1 << 20) + 1, 8 << 20, &seen, &last) ==
	      WS_FRAME_E_TOO_BIG);
	CHECK(decode_attack(SIM_HOSTILE_OVERSIZE, 1 << 20, 8 << 20, &seen, &last) == 0);
	CHECK(seen.messages == 1 && last == SIM_HOSTILE_DONE);
}

/* The slowloris frame: one byte a call, a second apart, a valid frame in
 * the end. tls-trunc: bytes for the socket, a record header announcing more
 * than follows. */
static void pacing_and_raw(void)
{
	struct sim_hostile h;
	enum sim_hostile_next next;
	uint8_t buf[SIM_HOSTILE_PUMP_MIN];
	size_t n, calls = 0;

	sim_hostile__init(&h, SIM_HOSTILE_SLOWLORIS, 0);
	do {
		n = sim_hostile__pump(&h, buf, sizeof(buf), &next);
		CHECK(n == 1);
		calls++;
	} while (next == SIM_HOSTILE_WAIT && calls < 10000);
	CHECK(h.wait == 1.0);
	CHECK(next == SIM_HOSTILE_DONE && calls == 4 + 256);

	sim_hostile__init(&h, SIM_HOSTILE_TLS_TRUNC, 0);
	n = sim_hostile__pump(&h, buf, sizeof(buf), &next);
	CHECK(next == SIM_HOSTILE_RAW);
	CHECK(n > 5 && buf[0] == 0x17 && (size_t)(buf[3] << 8 | buf[4]) > n - 5);
	CHECK(sim_hostile__pump(&h, buf, 10, &next) == 0); /* too little room: nothing */
}

static void handshake_answers(void)
{
	char out[SIM_HOSTILE_ANSWER_MAX], acc[WS_ACCEPT_LEN + 1];
	struct sim_hostile h;
	enum sim_hostile_next next;
	uint8_t buf[65536];
	uint64_t body = 0;
	size_t n;

	REQUIRE(ws_accept_compute(KEY, strlen(KEY), acc) == 0);
	sim_hostile__init(&h, SIM_HOSTILE_BAD_ACCEPT, 0);
	n = sim_hostile_answer(&h, out, sizeof(out), KEY, strlen(KEY));
	CHECK(n > 0 && strncmp(out, "HTTP/1.1 101 ", 13) == 0);
	CHECK(strstr(out, "Sec-WebSocket-Accept: ") && !strstr(out, acc));

	sim_hostile__init(&h, SIM_HOSTILE_BODY_101, 0);
	n = sim_hostile_answer(&h, out, sizeof(out), KEY, strlen(KEY));
	CHECK(n > 0 && strstr(out, acc) && strstr(out, "Content-Length: 24\r\n\r\n"));
	CHECK(strcmp(strstr(out, "\r\n\r\n") + 4, "this is not a frame 101\n") == 0);

	sim_hostile__init(&h, SIM_HOSTILE_ENDLESS_HEADERS, 0);
	n = sim_hostile_answer(&h, out, sizeof(out), KEY, strlen(KEY));
	CHECK(n > 0 && !strstr(out, "\r\n\r\n"));
	for (int i = 0; i < 100; i++) {
		n = sim_hostile__pump(&h, buf, sizeof(buf), &next);
		buf[n] = 0;
		CHECK(next == SIM_HOSTILE_MORE && n > 0 && !strstr((char *)buf, "\r\n\r\n"));
	}

	/* 1 GiB announced and streamed in bounded pieces */
	sim_hostile__init(&h, SIM_HOSTILE_HUGE_ANSWER, 0);
	n = sim_hostile_answer(&h, out, sizeof(out), KEY, strlen(KEY));
	CHECK(n > 0 && strstr(out, "HTTP/1.1 200 ") && strstr(out, "Content-Length: 1073741824\r\n"));
	do {
		n = sim_hostile__pump(&h, buf, sizeof(buf), &next);
		CHECK(n <= 16384);
		body += n;
	} while (next == SIM_HOSTILE_MORE && n);
	CHECK(body == SIM_HOSTILE_HUGE_BYTES);
}

int main(void)
{
	RUN(names_round_trip);
	RUN(session_kinds_break_the_rules);
	RUN(pacing_and_raw);
	RUN(handshake_answers);
	return check_exit();
}

/* Tests for sim_http: the upgrade request fed whole and byte by byte, every
 * refusal with its status, path-to-stream mapping and the responses. */
#include "check.h"
#include "sim/sim_http.h"

#define GOOD_HEADERS                                                                    \
	"Host: 198.18.0.1:9443\r\n"                                                     \
	"Upgrade: websocket\r\n"                                                        \
	"Connection: keep-alive, Upgrade\r\n"                                           \
	"Sec-WebSocket-Version: 13\r\n"                                                 \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"

static struct sim_http_req req;

/* Feed a request in pieces of `step` bytes (0 = whole); return the status
 * and store the bytes consumed. */
static int run(const char *text, size_t step, size_t *consumed)
{
	size_t len = strlen(text), pos = 0;

	sim_http_req__init(&req);
	while (pos < len && !req.done) {
		size_t n = step && step < len - pos ? step : len - pos;
		size_t used = sim_http_req__feed(&req, text + pos, n);

		pos += used;
		if (!req.done && used == 0)
			return -1; /* stuck */
	}
	*consumed = pos;
	return req.done ? req.status : 0;
}

static void good_request_any_split(void)
{
	const char *r = "GET /ws/btcusdt@trade HTTP/1.1\r\n" GOOD_HEADERS "\r\n";
	char with_data[1024];
	size_t used;
	int st;

	for (size_t step = 0; step < 40; step += (step < 3 ? 1 : 7)) {
		st = run(r, step, &used);
		CHECKF(st == 101 && used == strlen(r), "step %zu: status %d used %zu", step, st, used);
		CHECK(!strcmp(req.target, "/ws/btcusdt@trade"));
		CHECK(req.key_len == 24 && !memcmp(req.key, "dGhlIHNhbXBsZSBub25jZQ==", 24));
	}
	/* bytes after the head are WebSocket data and are not consumed */
	snprintf(with_data, sizeof(with_data), "%s\x81\x85XXXX", r);
	st = run(with_data, 0, &used);
	CHECK(st == 101 && used == strlen(r));
	/* header names and tokens are case-insensitive */
	st = run("GET /ws HTTP/1.1\r\nhost: x\r\nUPGRADE: WebSocket\r\nconnection: upgrade\r\n"
		 "SEC-WEBSOCKET-VERSION: 13\r\nsec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n",
		 0, &used);
	CHECK(st == 101);
}

static void refusals(void)
{
	static const struct {
		const char *req;
		int status;
	} cases[] = {
		{ "GET /nope HTTP/1.1\r\n" GOOD_HEADERS "\r\n", 404 },
		{ "GET /wsx HTTP/1.1\r\n" GOOD_HEADERS "\r\n", 404 },
		{ "GET /api/v3/depth?symbol=BTCUSDT HTTP/1.1\r\n" GOOD_HEADERS "\r\n", 404 },
		{ "GET /ws/BTCUSDT@trade HTTP/1.1\r\n" GOOD_HEADERS "\r\n", 400 },
		{ "GET /ws/btcusdt@foo HTTP/1.1\r\n" GOOD_HEADERS "\r\n", 400 },
		{ "GET /stream?streams=btcusdt@trade/x HTTP/1.1\r\n" GOOD_HEADERS "\r\n", 400 },
		{ "GET /ws/btcusdt%4 HTTP/1.1\r\n" GOOD_HEADERS "\r\n", 400 },
		{ "POST /ws HTTP/1.1\r\n" GOOD_HEADERS "Content-Length: 0\r\n\r\n", 400 },
		{ "GET /ws HTTP/1.0\r\n" GOOD_HEADERS "\r\n", 400 },
		{ "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		  400 },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		  400 },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
		  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		  400 },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: close\r\n"
		  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		  400 },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		  "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		  426 },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		  400 },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		  "Sec-WebSocket-Version: 13\r\n\r\n",
		  400 },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==\r\n\r\n",
		  400 },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: abc\r\n\r\n",
		  400 },
		{ "GARBAGE\r\n\r\n", 400 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t step = 0; step <= 1; step++) {
			size_t used;
			int st = run(cases[i].req, step, &used);

			CHECKF(st == cases[i].status, "case %zu step %zu: %d, want %d (%s)", i, step, st,
			       cases[i].status, req.why ? req.why : "");
			CHECKF(req.why != NULL, "case %zu: no reason", i);
		}
	}
}

static void limits(void)
{
	static char big[12000];
	size_t used;
	int st;

	/* an endless head is cut at SIM_HTTP_REQ_MAX */
	strcpy(big, "GET /ws HTTP/1.1\r\nHost: a\r\n");
	for (size_t n = strlen(big); n < sizeof(big) - 40; n = strlen(big))
		strcat(big, "X-Filler: aaaaaaaaaaaaaaaaaaaaaa\r\n");
	st = run(big, 0, &used);
	CHECKF(st == 431, "long head: %d", st);
	/* a request target longer than the buffer */
	strcpy(big, "GET /ws/");
	memset(big + 8, 'a', 5000);
	strcpy(big + 5008, " HTTP/1.1\r\n\r\n");
	st = run(big, 0, &used);
	CHECKF(st == 414, "long target: %d", st);
	/* an incomplete head is not done */
	st = run("GET /ws HTTP/1.1\r\nHost: a\r\n", 0, &used);
	CHECK(st == 0 && !req.done);
}

static void targets(void)
{
	struct sim_http_target t;
	const char *why = NULL;
	const char *s;
	int st;

	st = sim_http_target_parse("/ws", 3, &t, &why);
	CHECK(st == 0 && !t.combined && t.nstreams == 0);
	st = sim_http_target_parse("/ws/", 4, &t, &why);
	CHECK(st == 0 && t.nstreams == 0);
	s = "/ws/btcusdt@depth@100ms";
	st = sim_http_target_parse(s, strlen(s), &t, &why);
	CHECK(st == 0 && !t.combined && t.nstreams == 1 && !strcmp(t.names, "btcusdt@depth@100ms"));
	s = "/ws/ethusdt%40bookTicker?timeUnit=x";
	st = sim_http_target_parse(s, strlen(s), &t, &why);
	CHECK(st == 0 && t.nstreams == 1 && !strcmp(t.names, "ethusdt@bookTicker"));
	CHECK(!t.time_us);
	/* Binance's finer time unit, on either kind of path */
	s = "/ws/btcusdt@trade?timeUnit=MICROSECOND";
	st = sim_http_target_parse(s, strlen(s), &t, &why);
	CHECK(st == 0 && t.nstreams == 1 && t.time_us && !strcmp(t.names, "btcusdt@trade"));
	s = "/stream?streams=btcusdt@trade&timeUnit=MICROSECOND";
	st = sim_http_target_parse(s, strlen(s), &t, &why);
	CHECK(st == 0 && t.combined && t.nstreams == 1 && t.time_us);
	s = "/stream?x=1&streams=btcusdt@trade/ethusdt@bookTicker//raw&y=2";
	st = sim_http_target_parse(s, strlen(s), &t, &why);
	CHECK(st == 0 && t.combined && t.nstreams == 3);
	CHECK(!strcmp(t.names, "btcusdt@trade") && !strcmp(t.names + 14, "ethusdt@bookTicker") &&
	      !strcmp(t.names + 33, "raw"));
	st = sim_http_target_parse("/stream", 7, &t, &why);
	CHECK(st == 0 && t.combined && t.nstreams == 0);
	st = sim_http_target_parse("/ws/btcusdt@trade/ethusdt@trade", 31, &t, &why);
	CHECK(st == 400);
	st = sim_http_target_parse("/", 1, &t, &why);
	CHECK(st == 404);
}

static void responses(void)
{
	char out[512];
	size_t n;

	n = sim_http_response(out, sizeof(out), 101, "dGhlIHNhbXBsZSBub25jZQ==", 24, NULL);
	CHECK(n > 0 && !strcmp(out, "HTTP/1.1 101 Switching Protocols\r\n"
				    "Upgrade: websocket\r\n"
				    "Connection: Upgrade\r\n"
				    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
	n = sim_http_response(out, sizeof(out), 404, NULL, 0, "unknown path");
	CHECK(n > 0 && !strncmp(out, "HTTP/1.1 404 Not Found\r\n", 24) &&
	      strstr(out, "Content-Length: 13\r\n") && strstr(out, "\r\n\r\nunknown path\n") &&
	      strstr(out, "Connection: close\r\n"));
	n = sim_http_response(out, sizeof(out), 426, NULL, 0, "v13");
	CHECK(n > 0 && strstr(out, "Sec-WebSocket-Version: 13\r\n"));
	n = sim_http_response(out, 20, 404, NULL, 0, "unknown path");
	CHECK(n == 0);
}

int main(void)
{
	RUN(good_request_any_split);
	RUN(refusals);
	RUN(limits);
	RUN(targets);
	RUN(responses);
	return check_exit();
}

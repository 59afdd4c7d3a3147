/* bench_ws_client — ns per 150-byte TEXT message through the kernel path's
 * WebSocket decoder (ws_client on wslay's frame API), fed in 16 KiB pieces
 * as SSL_read hands them over, with and without UTF-8 validation. Best of
 * several runs; compare with bench_ws_frame (the fast path's decoder). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kernel/ws_client.h"

#define NMSG 4096
#define MSG_LEN 150
#define FRAME_LEN (4 + MSG_LEN)
#define RUNS 7
#define ROUNDS 50
#define FEED 16384

static uint8_t stream[NMSG * FRAME_LEN];
static volatile uint64_t sink_sum;
static uint64_t sum;

static void on_msg(void *user, bool text, const uint8_t *p, size_t n)
{
	(void)user, (void)text;
	sum += n + p[n - 1];
}

static const struct ws_client_cbs cbs = {.on_message = on_msg};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void build(void)
{
	for (int i = 0; i < NMSG; i++) {
		uint8_t *f = stream + (size_t)i * FRAME_LEN;
		char msg[MSG_LEN + 1];
		int n = snprintf(msg, sizeof(msg),
				 "{\"e\":\"trade\",\"E\":1700000000%03d,\"s\":\"BTCUSDT\",\"t\":%d,"
				 "\"p\":\"30000.01\",\"q\":\"0.001\",\"m\":true,\"ts_ns\":",
				 i % 1000, i);
		memset(msg + n, '7', sizeof(msg) - 1 - (size_t)n);
		msg[MSG_LEN - 1] = '}';
		f[0] = 0x81;
		f[1] = 126;
		f[2] = 0;
		f[3] = MSG_LEN;
		memcpy(f + 4, msg, MSG_LEN);
	}
}

static double run(bool utf8)
{
	struct ws_client_opts o = {.max_message = 1 << 20, .out_cap = 4096, .check_utf8 = utf8};
	struct ws_client ws;
	double best = 1e18;

	for (int r = 0; r < RUNS; r++) {
		double t0;
		if (ws_client__init(&ws, &o, &cbs, NULL))
			return -1;
		t0 = now_ns();
		for (int k = 0; k < ROUNDS; k++)
			for (size_t off = 0; off < sizeof(stream); off += FEED) {
				size_t n =
				    sizeof(stream) - off < FEED ? sizeof(stream) - off : FEED;
				if (ws_client__feed(&ws, stream + off, n)) {
					fprintf(stderr, "feed: %s\n", ws_client__error(&ws));
					return -1;
				}
			}
		t0 = (now_ns() - t0) / ((double)NMSG * ROUNDS);
		if (t0 < best)
			best = t0;
		ws_client__free(&ws);
	}
	sink_sum = sum;
	return best;
}

int main(void)
{
	build();
	printf("ws_client 16 KiB feeds: %.1f ns/msg\n", run(false));
	printf("ws_client 16 KiB feeds + utf8: %.1f ns/msg\n", run(true));
	return 0;
}

/* bench_ws_frame — ns per 150-byte TEXT message through ws_frame: the
 * zero-copy path (whole buffer in one feed, and one message per feed), split
 * messages (copied), 16 KiB TLS-record-sized feeds, UTF-8 validation on, and
 * wslay_frame_recv on the same bytes for scale. Best of several runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wslay/wslay.h>

#include "fast/ws_frame.h"

#define NMSG 4096
#define MSG_LEN 150
#define FRAME_LEN (4 + MSG_LEN) /* 126..65535: 16-bit length form */
#define RUNS 7
#define ROUNDS 50

static uint8_t stream[NMSG * FRAME_LEN];
static volatile uint64_t sink_sum;
static uint64_t sum;

static void on_msg(void *user, int op, const uint8_t *p, size_t n)
{
	(void)user, (void)op;
	sum += n + p[n - 1];
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void build(void)
{
	static const char tmpl[] =
	    "{\"e\":\"trade\",\"E\":1700000000%03d,\"s\":\"BTCUSDT\","
	    "\"t\":%09d,\"p\":\"37000.10\",\"q\":\"0.00100000\",\"T\":1700000000"
	    "000,\"m\":true,\"M\":true}";
	char msg[512];

	for (int i = 0; i < NMSG; i++) {
		uint8_t *f = stream + (size_t)i * FRAME_LEN;
		int n = snprintf(msg, sizeof(msg), tmpl, i % 1000, i);

		memset(msg + n, ' ', sizeof(msg) - (size_t)n);
		f[0] = 0x81;
		f[1] = 126;
		f[2] = MSG_LEN >> 8;
		f[3] = MSG_LEN & 0xff;
		memcpy(f + 4, msg, MSG_LEN);
	}
}

enum { M_WHOLE, M_PER_MSG, M_SPLIT, M_TLS };

static double run(int mode, unsigned flags)
{
	struct ws_frame_opts o = {.flags = flags, .on_message = on_msg};
	struct ws_frame d;
	double best = 1e30;

	if (ws_frame__init(&d, &o)) {
		fprintf(stderr, "init failed\n");
		exit(1);
	}
	for (int r = 0; r < RUNS; r++) {
		double t0 = now_ns(), t;

		for (int k = 0; k < ROUNDS; k++) {
			ssize_t rc = 0;

			switch (mode) {
			case M_WHOLE:
				rc = ws_frame__feed(&d, stream, sizeof(stream));
				break;
			case M_PER_MSG:
				for (size_t off = 0; off < sizeof(stream) && rc >= 0;
				     off += FRAME_LEN)
					rc = ws_frame__feed(&d, stream + off, FRAME_LEN);
				break;
			case M_SPLIT:
				/* each message cut in the middle of its payload */
				for (size_t off = 0; off < sizeof(stream) && rc >= 0;
				     off += FRAME_LEN) {
					rc = ws_frame__feed(&d, stream + off, FRAME_LEN / 2);
					if (rc >= 0)
						rc =
						    ws_frame__feed(&d, stream + off + FRAME_LEN / 2,
								   FRAME_LEN - FRAME_LEN / 2);
				}
				break;
			case M_TLS:
				for (size_t off = 0; off < sizeof(stream) && rc >= 0;
				     off += 16384) {
					size_t n = sizeof(stream) - off < 16384
						       ? sizeof(stream) - off
						       : 16384;
					rc = ws_frame__feed(&d, stream + off, n);
				}
				break;
			}
			if (rc < 0) {
				fprintf(stderr, "feed: %s\n", fx_strerror((int)rc));
				exit(1);
			}
		}
		t = (now_ns() - t0) / ((double)ROUNDS * NMSG);
		if (t < best)
			best = t;
	}
	ws_frame__fini(&d);
	return best;
}

struct wsrc {
	size_t off;
};

static ssize_t w_recv(uint8_t *buf, size_t len, int flags, void *ud)
{
	struct wsrc *s = ud;
	size_t k = sizeof(stream) - s->off;

	(void)flags;
	if (k == 0)
		return 0;
	if (k > len)
		k = len;
	memcpy(buf, stream + s->off, k);
	s->off += k;
	return (ssize_t)k;
}

static ssize_t w_send(const uint8_t *d, size_t l, int f, void *u)
{
	(void)d, (void)l, (void)f, (void)u;
	return -1;
}

/* wslay's frame layer: headers and payload chunks only, no messages. */
static double run_wslay(void)
{
	struct wslay_frame_callbacks cb = {w_send, w_recv, NULL};
	double best = 1e30;

	for (int r = 0; r < RUNS; r++) {
		double t0 = now_ns(), t;

		for (int k = 0; k < ROUNDS; k++) {
			struct wsrc src = {0};
			wslay_frame_context_ptr user;

			if (wslay_frame_context_init(&user, &cb, &src))
				exit(1);
			for (;;) {
				struct wslay_frame_iocb io;
				ssize_t n = wslay_frame_recv(user, &io);

				if (n == WSLAY_ERR_WANT_READ && src.off == sizeof(stream))
					break;
				if (n > 0)
					sum += io.data[n - 1];
			}
			wslay_frame_context_free(user);
		}
		t = (now_ns() - t0) / ((double)ROUNDS * NMSG);
		if (t < best)
			best = t;
	}
	return best;
}

int main(void)
{
	build();
	printf("ws_frame contiguous: %.1f ns/msg\n", run(M_WHOLE, 0));
	printf("ws_frame one feed per message: %.1f ns/msg\n", run(M_PER_MSG, 0));
	printf("ws_frame split: %.1f ns/msg\n", run(M_SPLIT, 0));
	printf("ws_frame 16 KiB feeds: %.1f ns/msg\n", run(M_TLS, 0));
	printf("ws_frame contiguous + utf8: %.1f ns/msg\n", run(M_WHOLE, WS_FRAME_F_UTF8));
	printf("wslay_frame_recv (frames only): %.1f ns/msg\n", run_wslay());
	sink_sum = sum;
	return 0;
}

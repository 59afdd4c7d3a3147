/* Benchmark fast_rx's demultiplexer: ns per frame through parse + 4-tuple
 * lookup + the flow's callback + re-injection (a no-op here), in batches
 * of 64, with 1, 8, 64 and 256 flows registered and the frames spread over
 * all of them; beside it pkt_parse_tcp alone (what one connection paid
 * before the demux existed), so the demux's own cost is the difference,
 * measured side by side in one run. Prints numbers; asserts nothing. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fast/fast_rx.h"
#include "fast/pkt_parse.h"
#include "fast/xsk_rx.h"

#define BATCH 64
#define NFR 1024

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint8_t frames[NFR][128];
static uint32_t lens[NFR];
static struct fast_rx_flow flows[FAST_RX_MAX_FLOWS];
static uint64_t sink;

static bool seg_cb(struct fast_rx_flow *fl, const struct xsk_rx_frame *f, const struct pkt_tcp *s)
{
	(void)fl, (void)f;
	sink += s->seq;
	return false;
}

static const struct fast_rx_flow_ops ops = {.segment = seg_cb};

static int reinject(void *user, const void *ip, size_t len)
{
	(void)user, (void)ip;
	sink += len;
	return 0;
}

/* An IPv4 frame of 60 bytes of payload from 198.18.0.1:443 to
 * 198.18.0.2:port. */
static uint32_t make_frame(uint8_t *b, uint16_t port, uint32_t seq)
{
	static const uint8_t eth[14] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0};
	uint8_t *ip = b + 14, *t = ip + 20;

	memcpy(b, eth, 14);
	memset(ip, 0, 40 + 60);
	ip[0] = 0x45, ip[2] = 0, ip[3] = 100, ip[8] = 64, ip[9] = 6;
	inet_pton(AF_INET, "198.18.0.1", ip + 12);
	inet_pton(AF_INET, "198.18.0.2", ip + 16);
	t[0] = 443 >> 8, t[1] = 443 & 0xff, t[2] = (uint8_t)(port >> 8), t[3] = (uint8_t)port;
	t[4] = (uint8_t)(seq >> 24), t[5] = (uint8_t)(seq >> 16), t[6] = (uint8_t)(seq >> 8);
	t[7] = (uint8_t)seq, t[12] = 5 << 4, t[13] = FX_TCP_ACK;
	return 14 + 100;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000000;
	static const unsigned nflows[] = {1, 8, 64, FAST_RX_MAX_FLOWS};
	struct xsk_rx_frame xf[BATCH];
	struct pkt_tcp seg;
	uint64_t t0, t1;

	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		unsigned k = (unsigned)(i % NFR);

		if (!lens[k])
			lens[k] = make_frame(frames[k], (uint16_t)(40000 + k % 8), (uint32_t)i);
		pkt_parse_tcp(frames[k], lens[k], &seg);
		sink += seg.seq;
	}
	t1 = now_ns();
	printf("pkt_parse_tcp alone: %.2f ns/segment\n", (double)(t1 - t0) / (double)n);

	for (size_t c = 0; c < sizeof(nflows) / sizeof(nflows[0]); c++) {
		unsigned nf = nflows[c];
		struct fast_rx_opts o = {.queue = -1, .busy_cpu = -1, .reinject = reinject};
		struct fast_rx *rx;
		struct fx_flow_key key;
		uint64_t done = 0;

		if (fast_rx__new(&rx, NULL, &o, NULL))
			return 1;
		for (unsigned f = 0; f < nf; f++) {
			struct pkt_tcp s;

			lens[f] = make_frame(frames[f], (uint16_t)(40000 + f), f);
			pkt_parse_tcp(frames[f], lens[f], &s);
			key = s.key;
			flows[f] = (struct fast_rx_flow){.ops = &ops};
			if (fast_rx__add_flow(rx, &flows[f], &key))
				return 1;
		}
		/* the frames cycle over every flow */
		for (unsigned k = 0; k < NFR; k++)
			lens[k] = make_frame(frames[k], (uint16_t)(40000 + k % nf), k);
		t0 = now_ns();
		while (done < n) {
			for (unsigned i = 0; i < BATCH; i++) {
				unsigned k = (unsigned)((done + i) % NFR);

				xf[i] = (struct xsk_rx_frame){.data = frames[k], .len = lens[k]};
			}
			fast_rx__dispatch(rx, xf, BATCH);
			done += BATCH;
		}
		t1 = now_ns();
		printf("fast_rx demux, %u flow%s: %.2f ns/segment\n", nf, nf == 1 ? "" : "s",
		       (double)(t1 - t0) / (double)done);
		fast_rx__unref(rx);
	}
	printf("(sink %llu)\n", (unsigned long long)sink);
	return 0;
}

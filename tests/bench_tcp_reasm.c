/* Micro-benchmark for tcp_reasm: ns per 1448-byte segment in order, with 1%
 * of neighbouring segments swapped, and with 1% lost and resent 32 segments
 * later (the store holds up to 32 segments at a time). Payloads come from a
 * pool of frame-sized buffers, as from a UMEM; the deliver callback touches
 * the first and last byte like a decoder that starts on the data would.
 * Prints lines like "tcp_reasm in-order: X ns/segment". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fast/tcp_reasm.h"

#define MSS 1448
#define NSEG (2u << 20) /* ~3 GB of stream per run: the offsets pass 2^32 */
#define POOL 256
#define RUNS 5

struct counter {
	uint64_t bytes;
	uint64_t next;
	unsigned bad;
	uint8_t sum;
};

static void on_data(void *user, uint64_t off, const uint8_t *d, size_t n)
{
	struct counter *c = user;

	c->bad += off != c->next;
	c->next = off + n;
	c->bytes += n;
	c->sum += d[0] ^ d[n - 1];
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* order[i]: index of the i-th segment to push. */
static double run(struct tcp_reasm *r, struct counter *c, uint8_t (*pool)[MSS],
		  const uint32_t *order, uint32_t n)
{
	const uint32_t isn = 0xfff00000u;
	double t0, t1;

	memset(c, 0, sizeof(*c));
	tcp_reasm__start(r, isn);
	t0 = now_ns();
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = order[i];

		if (tcp_reasm__push(r, isn + 1 + k * MSS, 0x10, pool[k % POOL], MSS) != 0)
			c->bad++;
	}
	t1 = now_ns();
	if (c->bad || c->bytes != (uint64_t)n * MSS) {
		fprintf(stderr, "bench_tcp_reasm: wrong delivery (%u bad, %llu bytes)\n", c->bad,
			(unsigned long long)c->bytes);
		exit(1);
	}
	return (t1 - t0) / n;
}

static double best_of(struct tcp_reasm *r, struct counter *c, uint8_t (*pool)[MSS],
		      const uint32_t *order, uint32_t n)
{
	double best = 1e30;

	for (int i = 0; i < RUNS; i++) {
		double ns = run(r, c, pool, order, n);

		best = ns < best ? ns : best;
	}
	return best;
}

int main(void)
{
	static uint8_t pool[POOL][MSS];
	struct counter c;
	struct tcp_reasm_opts o = { .deliver = on_data, .user = &c };
	struct tcp_reasm *r;
	tcp_reasm__new(&r, &o);
	uint32_t *order = malloc(NSEG * sizeof(*order));
	struct tcp_reasm_stats st;
	double ns;

	if (!r || !order) {
		perror("bench_tcp_reasm");
		return 1;
	}
	for (int i = 0; i < POOL; i++)
		memset(pool[i], i, MSS);

	for (uint32_t i = 0; i < NSEG; i++)
		order[i] = i;
	ns = best_of(r, &c, pool, order, NSEG);
	printf("tcp_reasm in-order: %.2f ns/segment (%.1f Gbit/s of payload)\n", ns,
	       MSS * 8 / ns);

	/* 1% of segments arrive after their successor. */
	for (uint32_t i = 0; i + 1 < NSEG; i++) {
		if (rnd() % 100 == 0) {
			uint32_t t = order[i];

			order[i] = order[i + 1];
			order[i + 1] = t;
			i++;
		}
	}
	ns = best_of(r, &c, pool, order, NSEG);
	tcp_reasm__stats(r, &st);
	printf("tcp_reasm 1%%-reordered: %.2f ns/segment (%llu held, peak %llu segments)\n", ns,
	       (unsigned long long)st.ooo_segs, (unsigned long long)st.ooo_segs_peak);

	/* 1% lost, resent 32 segments later: everything between is held. */
	for (uint32_t i = 0; i < NSEG; i++)
		order[i] = i;
	for (uint32_t i = 0; i + 33 < NSEG; i++) {
		if (rnd() % 100 == 0) {
			uint32_t lost = order[i];

			memmove(order + i, order + i + 1, 32 * sizeof(*order));
			order[i + 32] = lost;
			i += 32;
		}
	}
	ns = best_of(r, &c, pool, order, NSEG);
	tcp_reasm__stats(r, &st);
	printf("tcp_reasm 1%%-lost-resent-32-later: %.2f ns/segment (%llu held, peak %llu "
	       "segments)\n",
	       ns, (unsigned long long)st.ooo_segs, (unsigned long long)st.ooo_segs_peak);

	tcp_reasm__free(r);
	free(order);
	return 0;
}

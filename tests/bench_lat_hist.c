/* Benchmark lat_hist: ns per record (log-uniform values, so the bucket index
 * varies like real latencies do), ns per percentile query and per reset of a
 * one-second window; and lat_stats__record for a fully stamped message.
 * Prints numbers; asserts nothing. */
#include "stats/lat_hist.h"
#include "stats/lat_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct lat_hist h;

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 50000000;
	enum { NV = 1 << 16 };
	static uint64_t vals[NV];
	uint64_t s = 88172645463325252ull;

	for (int i = 0; i < NV; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		unsigned int e = 8 + (unsigned int)(s % 20); /* 256 ns .. 268 ms */
		vals[i] = (1ull << e) + ((s >> 20) & ((1ull << e) - 1));
	}
	lat_hist__init(&h);
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++)
		lat_hist__record(&h, vals[i & (NV - 1)]);
	uint64_t t1 = now_ns();
	printf("lat_hist record: %.2f ns/op (%llu records)\n", (double)(t1 - t0) / (double)n,
	       (unsigned long long)n);

	static const double ps[] = { 50, 90, 99, 99.9, 100 };
	uint64_t out[5], sink = 0;
	int q = 20000;
	t0 = now_ns();
	for (int i = 0; i < q; i++) {
		lat_hist__percentiles(&h, ps, out, 5);
		sink += out[0];
	}
	t1 = now_ns();
	printf("lat_hist 5 percentiles (full range): %.0f ns/query\n", (double)(t1 - t0) / q);

	t0 = now_ns();
	for (int i = 0; i < q; i++) {
		lat_hist__record(&h, 20000 + (uint64_t)i % 5000);
		lat_hist__reset(&h);
	}
	t1 = now_ns();
	printf("lat_hist reset (narrow window): %.0f ns/op\n", (double)(t1 - t0) / q);
	struct lat_stats *st;
	lat_stats__new(&st);
	struct lat_stamps sp = { .send_ns = 1000000, .event_ms = 1700000000000ull };
	if (!st)
		return 1;
	long m = 5000000;
	t0 = now_ns();
	for (long i = 0; i < m; i++) {
		uint64_t v = vals[i & (NV - 1)] >> 6;
		for (int p = 0; p < LAT_PT__MAX; p++)
			sp.at[p] = sp.send_ns + 20000 + (uint64_t)p * 1500 + (v >> p);
		sp.real_ns = sp.event_ms * 1000000 + 300000 + v;
		lat_stats__record(st, &sp);
	}
	t1 = now_ns();
	printf("lat_stats record (9 stages): %.2f ns/msg\n", (double)(t1 - t0) / (double)m);
	lat_stats__free(st);
	printf("p50=%llu p99=%llu (sink %llu)\n", (unsigned long long)out[0],
	       (unsigned long long)out[2], (unsigned long long)sink);
	return 0;
}

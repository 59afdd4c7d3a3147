/* Tests for lat_hist: bucket geometry, exact answers on known
 * distributions, the relative-error bound against a sorted array, merge,
 * reset and clamping. */
#include "check.h"
#include "stats/lat_hist.h"

#include <math.h>
#include <stdint.h>

static struct lat_hist ha, hb, hc;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	/* xorshift64*: fixed seed, reproducible */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Log-uniform in [1, 2^bits): a random exponent, then a random mantissa. */
static uint64_t rng_log(unsigned int bits)
{
	unsigned int e = (unsigned int)(rng() % bits);
	uint64_t base = 1ull << e;
	return base + (rng() & (base - 1));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank as documented in lat_hist.h, computed independently with
 * integers: p given in parts per million. */
static uint64_t truth(const uint64_t *sorted, uint64_t n, uint64_t ppm)
{
	uint64_t r = (uint64_t)(((unsigned __int128)ppm * n + 999999) / 1000000);
	if (r == 0)
		r = 1;
	return sorted[r - 1];
}

static void geometry(void)
{
	CHECK(lat_hist_bucket_low(0) == 0);
	CHECK(lat_hist_bucket_high(LAT_HIST_BUCKETS - 1) == LAT_HIST_LIMIT - 1);
	CHECK(lat_hist_index(LAT_HIST_LIMIT - 1) == LAT_HIST_BUCKETS - 1);
	CHECK(lat_hist_index(UINT64_MAX) == LAT_HIST_BUCKETS - 1);
	for (uint32_t i = 0; i < LAT_HIST_BUCKETS; i++) {
		uint64_t lo = lat_hist_bucket_low(i), hi = lat_hist_bucket_high(i);
		CHECKF(lo <= hi, "bucket %u: %llu > %llu", i, (unsigned long long)lo,
		       (unsigned long long)hi);
		CHECKF(lat_hist_index(lo) == i && lat_hist_index(hi) == i, "bucket %u ends", i);
		if (i + 1 < LAT_HIST_BUCKETS)
			CHECKF(hi + 1 == lat_hist_bucket_low(i + 1), "gap after bucket %u", i);
		/* width <= low / 128: the 0.78 % bound */
		if (lo >= 2 * LAT_HIST_SUB)
			CHECKF((hi - lo + 1) * LAT_HIST_SUB <= lo, "bucket %u too wide", i);
		else
			CHECK(lo == hi);
	}
	CHECK(sizeof(struct lat_hist) < 40 * 1024);
}

static void empty(void)
{
	lat_hist__init(&ha);
	CHECK(ha.count == 0);
	CHECK(lat_hist__percentile(&ha, 50) == 0);
	CHECK(lat_hist__percentile(&ha, 100) == 0);
	CHECK(lat_hist__mean(&ha) == 0.0);
}

static void uniform_small_exact(void)
{
	/* below 2*SUB every value has its own bucket: every percentile exact */
	uint64_t v[200];

	lat_hist__init(&ha);
	for (int i = 0; i < 200; i++) {
		v[i] = (uint64_t)(199 - i);
		lat_hist__record(&ha, v[i]);
	}
	qsort(v, 200, sizeof(v[0]), cmp_u64);
	for (uint64_t ppm = 0; ppm <= 1000000; ppm += 2500) {
		uint64_t got = lat_hist__percentile(&ha, (double)ppm / 1e4);
		CHECKF(got == truth(v, 200, ppm), "ppm %llu: %llu", (unsigned long long)ppm,
		       (unsigned long long)got);
	}
	CHECK(ha.min == 0 && ha.max == 199 && ha.count == 200);
	CHECK(ha.sum == 199 * 200 / 2);
	CHECK(lat_hist__mean(&ha) == 99.5);
	CHECK(lat_hist__percentile(&ha, 50) == 99);
	CHECK(lat_hist__percentile(&ha, 99.9) == 199); /* rank 199.8 -> 200 */
}

static void uniform_large_bucket_low(void)
{
	/* above 2*SUB the answer is the lower bound of the true value's bucket */
	lat_hist__init(&ha);
	for (uint64_t i = 1; i <= 100000; i++)
		lat_hist__record(&ha, i);
	static const double ps[] = { 1, 10, 50, 90, 99, 99.9, 99.99 };
	for (unsigned int k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		uint64_t t = (uint64_t)llround(ps[k] * 1000); /* rank of p in 1..100000 */
		uint64_t want = lat_hist_bucket_low(lat_hist_index(t));
		uint64_t got = lat_hist__percentile(&ha, ps[k]);
		CHECKF(got == want, "p%g: got %llu want %llu", ps[k], (unsigned long long)got,
		       (unsigned long long)want);
	}
	CHECK(lat_hist__percentile(&ha, 0) == 1);
	CHECK(lat_hist__percentile(&ha, 100) == 100000);
	CHECK(lat_hist__percentile(&ha, 49.152) == 49152); /* 192 << 8: a bucket start */
	CHECK(lat_hist__percentile(&ha, 50) == 49920);    /* 195 << 8 holds 50000 */
}

static void all_equal(void)
{
	lat_hist__init(&ha);
	for (int i = 0; i < 1000; i++)
		lat_hist__record(&ha, 123456789);
	for (double p = 0; p <= 100; p += 0.5)
		CHECKF(lat_hist__percentile(&ha, p) == 123456789, "p%g", p);
	CHECK(lat_hist__mean(&ha) == 123456789.0);
}

static void powers_of_two(void)
{
	/* 2^k is the low edge of its bucket, so every answer is exact */
	lat_hist__init(&ha);
	for (int k = 0; k < LAT_HIST_LIMIT_BITS; k++)
		lat_hist__record(&ha, 1ull << k);
	for (int r = 1; r <= LAT_HIST_LIMIT_BITS; r++) {
		double p = 100.0 * r / LAT_HIST_LIMIT_BITS;
		CHECKF(lat_hist__percentile(&ha, p) == 1ull << (r - 1), "rank %d", r);
	}
	CHECK(ha.clamped == 0);
}

static void zeros(void)
{
	lat_hist__init(&ha);
	for (int i = 0; i < 10; i++)
		lat_hist__record(&ha, 0);
	CHECK(ha.min == 0 && ha.max == 0 && ha.sum == 0 && ha.count == 10);
	CHECK(lat_hist__percentile(&ha, 0) == 0);
	CHECK(lat_hist__percentile(&ha, 99.9) == 0);
	CHECK(lat_hist__percentile(&ha, 100) == 0);
}

static void huge_values_clamped(void)
{
	lat_hist__init(&ha);
	lat_hist__record(&ha, LAT_HIST_LIMIT - 1);
	lat_hist__record(&ha, LAT_HIST_LIMIT);
	lat_hist__record(&ha, UINT64_MAX);
	CHECK(ha.clamped == 2);
	CHECK(ha.count == 3);
	CHECK(ha.max == UINT64_MAX);
	CHECK(ha.min == LAT_HIST_LIMIT - 1);
	CHECK(ha.sum == UINT64_MAX); /* saturated, not wrapped */
	CHECK(ha.counts[LAT_HIST_BUCKETS - 1] == 3);
	CHECK(lat_hist__percentile(&ha, 100) == UINT64_MAX);
	CHECK(lat_hist__percentile(&ha, 0) == LAT_HIST_LIMIT - 1);
	/* rank 2 sits in the top bucket; reported as its low edge clamped to min */
	CHECK(lat_hist__percentile(&ha, 50) == LAT_HIST_LIMIT - 1);
}

static void relative_error_bound(void)
{
	enum { N = 200000 };
	static uint64_t v[N];

	lat_hist__init(&ha);
	for (int i = 0; i < N; i++) {
		v[i] = rng_log(LAT_HIST_LIMIT_BITS);
		lat_hist__record(&ha, v[i]);
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
	double worst = 0;
	int checked = 0;
	for (uint64_t ppm = 0; ppm <= 1000000; ppm += 997) {
		uint64_t t = truth(v, N, ppm);
		uint64_t got = lat_hist__percentile(&ha, (double)ppm / 1e4);
		double err = t ? ((double)t - (double)got) / (double)t : 0;
		CHECKF(got <= t, "ppm %llu: %llu above truth %llu", (unsigned long long)ppm,
		       (unsigned long long)got, (unsigned long long)t);
		CHECKF(err < 1.0 / LAT_HIST_SUB, "ppm %llu: error %g", (unsigned long long)ppm, err);
		if (err > worst)
			worst = err;
		checked++;
	}
	static const double tail[] = { 50, 90, 99, 99.9, 99.99, 99.999, 100 };
	for (unsigned int k = 0; k < sizeof(tail) / sizeof(tail[0]); k++) {
		uint64_t t = truth(v, N, (uint64_t)llround(tail[k] * 1e4));
		uint64_t got = lat_hist__percentile(&ha, tail[k]);
		CHECKF(got <= t && (double)(t - got) < (double)t / LAT_HIST_SUB, "p%g", tail[k]);
	}
	CHECK(ha.min == v[0] && ha.max == v[N - 1]);
	CHECK(checked > 1000);
	fprintf(stderr, "relative_error_bound: worst %.4f %% over %d percentiles\n", worst * 100,
		checked);
}

static void percentiles_batch_matches_single(void)
{
	static const double ps[] = { 50, 90, 99, 99.9, 100, 10, 0 }; /* not ascending */
	uint64_t out[7];

	lat_hist__init(&ha);
	for (int i = 0; i < 50000; i++)
		lat_hist__record(&ha, rng_log(30));
	lat_hist__percentiles(&ha, ps, out, 7);
	for (int k = 0; k < 7; k++)
		CHECKF(out[k] == lat_hist__percentile(&ha, ps[k]), "p%g", ps[k]);
}

static void merge_equals_single(void)
{
	lat_hist__init(&ha);
	lat_hist__init(&hb);
	lat_hist__init(&hc);
	for (int i = 0; i < 100000; i++) {
		uint64_t x = rng_log(44); /* a few clamped ones too */
		lat_hist__record((i % 3) ? &ha : &hb, x);
		lat_hist__record(&hc, x);
	}
	lat_hist__merge(&ha, &hb);
	CHECK(memcmp(&ha, &hc, sizeof(ha)) == 0);
	CHECK(hc.clamped > 0);
	/* merging an empty histogram changes nothing */
	lat_hist__reset(&hb);
	lat_hist__merge(&ha, &hb);
	CHECK(memcmp(&ha, &hc, sizeof(ha)) == 0);
	/* into an empty one: a copy */
	lat_hist__merge(&hb, &hc);
	CHECK(memcmp(&hb, &hc, sizeof(hb)) == 0);
}

static void reset_is_init(void)
{
	lat_hist__init(&hb);
	lat_hist__init(&ha);
	for (int i = 0; i < 1000; i++)
		lat_hist__record(&ha, 1000 + rng() % 100000);
	lat_hist__reset(&ha);
	CHECK(memcmp(&ha, &hb, sizeof(ha)) == 0);
	lat_hist__record(&ha, 5);
	CHECK(lat_hist__percentile(&ha, 50) == 5 && ha.count == 1);
}

int main(void)
{
	RUN(geometry);
	RUN(empty);
	RUN(uniform_small_exact);
	RUN(uniform_large_bucket_low);
	RUN(all_equal);
	RUN(powers_of_two);
	RUN(zeros);
	RUN(huge_values_clamped);
	RUN(relative_error_bound);
	RUN(percentiles_batch_matches_single);
	RUN(merge_equals_single);
	RUN(reset_is_init);
	return check_exit();
}

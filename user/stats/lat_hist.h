/* lat_hist — a fixed-size log-linear (HDR-style) histogram of nanosecond
 * latencies. Owns nothing but its own counts array: no allocation, O(1)
 * record (one clz, a shift, an add), exact min/max/count/sum.
 *
 * Layout: values 0..255 get one bucket each (exact). Above that every power
 * of two [2^e, 2^(e+1)) is cut into LAT_HIST_SUB (128) equal sub-buckets, so
 * a bucket is at most 1/128 of its lower bound wide: a reported percentile
 * is the lower bound of its bucket, clamped to [min, max], and lies within
 * 1/128 (< 0.8 %) below the true sample. Values >= LAT_HIST_LIMIT (2^40 ns,
 * about 18 minutes) go to the top bucket and are counted in `clamped`;
 * min, max and sum still see the real value.
 *
 * Percentiles use the nearest-rank definition: the smallest recorded value
 * v such that at least p % of the samples are <= v (p = 0 gives min,
 * p = 100 gives max). p is taken to 1/10000 of a percent. */
#ifndef FEEDRX_LAT_HIST_H
#define FEEDRX_LAT_HIST_H

#include <stdint.h>

#define LAT_HIST_SUB_BITS 7
#define LAT_HIST_SUB (1u << LAT_HIST_SUB_BITS) /* sub-buckets per power of two */
#define LAT_HIST_LIMIT_BITS 40
#define LAT_HIST_LIMIT (1ull << LAT_HIST_LIMIT_BITS) /* first clamped value */
/* (LIMIT_BITS - SUB_BITS + 1) groups of SUB buckets: 4352 buckets, 34 KiB. */
#define LAT_HIST_BUCKETS ((LAT_HIST_LIMIT_BITS - LAT_HIST_SUB_BITS + 1) * LAT_HIST_SUB)

struct lat_hist {
	uint64_t count;   /* samples recorded (clamped ones included) */
	uint64_t sum;     /* sum of real values; saturates at UINT64_MAX */
	uint64_t min;     /* UINT64_MAX while empty */
	uint64_t max;     /* 0 while empty */
	uint64_t clamped; /* samples >= LAT_HIST_LIMIT */
	uint64_t counts[LAT_HIST_BUCKETS];
};

/* Bucket of a value: values < 2*SUB map to themselves; above, shift so that
 * the top SUB_BITS+1 bits remain. Branch-free but for the clamp. */
static inline uint32_t lat_hist_index(uint64_t v)
{
	if (v >= LAT_HIST_LIMIT)
		v = LAT_HIST_LIMIT - 1;
	/* msb(v | 2*SUB) - SUB_BITS: 0 below 2*SUB, else how far to shift. */
	uint32_t shift = (uint32_t)(63 - __builtin_clzll(v | (2ull * LAT_HIST_SUB - 1))) -
			 LAT_HIST_SUB_BITS;
	return (shift << LAT_HIST_SUB_BITS) + (uint32_t)(v >> shift);
}

/* Smallest and largest value that land in bucket idx. */
uint64_t lat_hist_bucket_low(uint32_t idx);
uint64_t lat_hist_bucket_high(uint32_t idx);

/* Make h empty; call once on fresh memory (zeroed memory is not empty:
 * min must start at UINT64_MAX). */
void lat_hist__init(struct lat_hist *h);

/* Empty an initialised histogram. Clears only the buckets between min and
 * max, so resetting a narrow one-second window is cheap. */
void lat_hist__reset(struct lat_hist *h);

static inline void lat_hist__record(struct lat_hist *h, uint64_t v)
{
	h->counts[lat_hist_index(v)]++;
	h->count++;
	if (__builtin_add_overflow(h->sum, v, &h->sum))
		h->sum = UINT64_MAX;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	if (v >= LAT_HIST_LIMIT)
		h->clamped++;
}

/* Add every sample of src into dst (e.g. a one-second window into the
 * running total). */
void lat_hist__merge(struct lat_hist *dst, const struct lat_hist *src);

/* The p-th percentile (0 <= p <= 100) in ns; 0 for an empty histogram. */
uint64_t lat_hist__percentile(const struct lat_hist *h, double p);

/* Several percentiles in one pass: ps[] ascending, results into out[]. */
void lat_hist__percentiles(const struct lat_hist *h, const double *ps, uint64_t *out,
			   unsigned int n);

/* Mean in ns (0 when empty). */
double lat_hist__mean(const struct lat_hist *h);

#endif

/* lat_hist — log-linear latency histogram: bucket arithmetic, merge and
 * percentile queries. Recording is inline in lat_hist.h. */
#include "lat_hist.h"

#include <math.h>
#include <string.h>

uint64_t lat_hist_bucket_low(uint32_t idx)
{
	if (idx < 2 * LAT_HIST_SUB)
		return idx;
	uint32_t shift = (idx >> LAT_HIST_SUB_BITS) - 1;
	uint64_t sub = idx - (shift << LAT_HIST_SUB_BITS); /* in [SUB, 2*SUB) */
	return sub << shift;
}

uint64_t lat_hist_bucket_high(uint32_t idx)
{
	if (idx < 2 * LAT_HIST_SUB)
		return idx;
	uint32_t shift = (idx >> LAT_HIST_SUB_BITS) - 1;
	uint64_t sub = idx - (shift << LAT_HIST_SUB_BITS);
	return ((sub + 1) << shift) - 1;
}

void lat_hist__init(struct lat_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void lat_hist__reset(struct lat_hist *h)
{
	if (h->count) {
		uint32_t lo = lat_hist_index(h->min), hi = lat_hist_index(h->max);
		memset(&h->counts[lo], 0, (hi - lo + 1) * sizeof(h->counts[0]));
	}
	h->count = 0;
	h->sum = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->clamped = 0;
}

void lat_hist__merge(struct lat_hist *dst, const struct lat_hist *src)
{
	if (!src->count)
		return;
	uint32_t lo = lat_hist_index(src->min), hi = lat_hist_index(src->max);
	for (uint32_t i = lo; i <= hi; i++)
		dst->counts[i] += src->counts[i];
	dst->count += src->count;
	if (__builtin_add_overflow(dst->sum, src->sum, &dst->sum))
		dst->sum = UINT64_MAX;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->clamped += src->clamped;
}

/* Nearest rank (1-based) of percentile p among n samples. p is rounded to
 * 1e-4 % so that e.g. 99.9 % of 1000 is rank 999, not 1000 through
 * floating-point noise; the product is done in 128 bits. */
static uint64_t rank_of(double p, uint64_t n)
{
	if (!(p > 0)) /* also NaN */
		return 1;
	if (p >= 100)
		return n;
	uint64_t ppm = (uint64_t)llround(p * 1e4); /* parts per million */
	unsigned __int128 x = (unsigned __int128)ppm * n;
	uint64_t r = (uint64_t)((x + 999999) / 1000000);
	return r ? r : 1;
}

void lat_hist__percentiles(const struct lat_hist *h, const double *ps, uint64_t *out,
			   unsigned int n)
{
	unsigned int k = 0;

	if (!h->count) {
		for (; k < n; k++)
			out[k] = 0;
		return;
	}
	uint32_t lo = lat_hist_index(h->min), hi = lat_hist_index(h->max);
	uint32_t i = lo;
	uint64_t cum = h->counts[i], prev = 0;
	for (; k < n; k++) {
		uint64_t r = rank_of(ps[k], h->count);
		if (r < prev) { /* not ascending: scan again from the start */
			i = lo;
			cum = h->counts[i];
		}
		prev = r;
		if (r == h->count) { /* the largest sample is known exactly */
			out[k] = h->max;
			continue;
		}
		while (cum < r && i < hi)
			cum += h->counts[++i];
		uint64_t v = lat_hist_bucket_low(i);
		if (v < h->min)
			v = h->min;
		if (v > h->max)
			v = h->max;
		out[k] = v;
	}
}

uint64_t lat_hist__percentile(const struct lat_hist *h, double p)
{
	uint64_t v;

	lat_hist__percentiles(h, &p, &v, 1);
	return v;
}

double lat_hist__mean(const struct lat_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

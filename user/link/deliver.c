/* deliver — the fast/shadow arbiter (see deliver.h). */
#include "deliver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct deliver_slot {
	uint64_t hash;
	uint64_t len;
};

struct deliver {
	struct deliver_slot *ring;
	uint32_t mask;
	bool failed;
	bool no_compare;
	uint64_t fast_n;   /* messages the fast path delivered (= next fast index) */
	uint64_t shadow_n; /* next shadow index */
	struct deliver_stats st;
};

int deliver__new(struct deliver **out, uint32_t ring)
{
	struct deliver *d = calloc(1, sizeof(*d));
	uint32_t n = 1;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	if (!ring)
		ring = 65536;
	while (n < ring && n < (1u << 30))
		n <<= 1;
	d->ring = calloc(n, sizeof(*d->ring));
	if (!d->ring) {
		free(d);
		return -ENOMEM;
	}
	d->mask = n - 1;
	*out = d;
	return 0;
}

void deliver__free(struct deliver *d)
{
	if (d) {
		free(d->ring);
		free(d);
	}
}

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* A fast multiply-xorshift hash: compares, it does not defend. */
uint64_t deliver_hash(const uint8_t *p, size_t n)
{
	const uint64_t m = 0x9e3779b97f4a7c15ull;
	uint64_t h = n * m;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		h ^= rd64(p + i) * m;
		h = (h << 29 | h >> 35) * 0xbf58476d1ce4e5b9ull;
	}
	if (i < n) {
		uint8_t tail[8] = {0};
		memcpy(tail, p + i, n - i);
		h ^= rd64(tail) * m;
		h = (h << 29 | h >> 35) * 0xbf58476d1ce4e5b9ull;
	}
	h ^= h >> 31;
	return h;
}

bool deliver__fast(struct deliver *d, const uint8_t *p, size_t n)
{
	struct deliver_slot *s;

	if (d->failed)
		return false;
	if (!d->no_compare) {
		s = &d->ring[d->fast_n & d->mask];
		s->hash = deliver_hash(p, n);
		s->len = n;
	}
	d->fast_n++;
	d->st.fast++;
	return true;
}

bool deliver__shadow(struct deliver *d, const uint8_t *p, size_t n, bool *mismatch)
{
	uint64_t idx = d->shadow_n++;
	const struct deliver_slot *s;

	*mismatch = false;
	d->st.shadow_seen++;
	if (idx >= d->fast_n) {
		/* A shadow ahead of the fast path means the kernel got frames the
		 * fast path never saw (XDP passed them on), so the fast path will
		 * never reach this message: fail over, or it is lost. */
		if (!d->failed) {
			d->failed = true;
			d->st.overtaken++;
		}
		d->st.shadow++;
		return true;
	}
	if (d->fast_n - idx > (uint64_t)d->mask + 1) {
		d->st.uncompared++;
		return false;
	}
	s = &d->ring[idx & d->mask];
	d->st.compared++;
	if (s->len != n || s->hash != deliver_hash(p, n)) {
		*mismatch = true;
		d->st.mismatched++;
	}
	return false;
}

void deliver__fast_failed(struct deliver *d)
{
	d->failed = true;
}

bool deliver__failed_over(const struct deliver *d)
{
	return d->failed;
}

void deliver__stats(const struct deliver *d, struct deliver_stats *st)
{
	*st = d->st;
}

void deliver__no_compare(struct deliver *d)
{
	d->no_compare = true;
}

void deliver__reset(struct deliver *d)
{
	d->failed = false;
	d->no_compare = false;
	d->fast_n = 0;
	d->shadow_n = 0;
}

/* deliver — the fast/shadow arbiter (see deliver.h). */
#include "deliver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct deliver_slot {
	uint64_t hash;
	uint64_t len;
};

/* A shadow message held in lead mode: its bytes at arena[off]. */
struct deliver_held {
	uint64_t off, len, hash;
	uint8_t opcode;
	struct lat_stamps st;
};

struct deliver {
	/* lead mode: a FIFO of held messages over a byte arena */
	struct deliver_held *held;
	uint8_t *arena;
	uint32_t held_cap, held_first, held_n;
	size_t arena_cap, arena_w;
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
		free(d->held);
		free(d->arena);
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
	if (d->held_n) {
		/* the shadow had it first: compare with the held copy, drop it */
		struct deliver_held *h = &d->held[d->held_first];

		d->st.compared++;
		if (h->len != n || h->hash != deliver_hash(p, n))
			d->st.mismatched++;
		d->held_first = (d->held_first + 1) % d->held_cap;
		d->held_n--;
	}
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

int deliver__allow_lead(struct deliver *d, uint32_t msgs, size_t bytes)
{
	if (d->held)
		return 0;
	d->held = calloc(msgs, sizeof(*d->held));
	d->arena = malloc(bytes);
	if (!d->held || !d->arena || !msgs) {
		free(d->held);
		free(d->arena);
		d->held = NULL;
		d->arena = NULL;
		return -ENOMEM;
	}
	d->held_cap = msgs;
	d->arena_cap = bytes;
	return 0;
}

uint32_t deliver__held(const struct deliver *d)
{
	return d->held_n;
}

bool deliver__shadow_leads(const struct deliver *d)
{
	return d->held && !d->failed && d->shadow_n >= d->fast_n;
}

/* Where n bytes fit in the arena after the held messages, or -1. */
static int64_t deliver_arena_fit(const struct deliver *d, size_t n)
{
	size_t head;

	if (!d->held_n)
		return n <= d->arena_cap ? 0 : -1;
	head = d->held[d->held_first].off;
	if (d->arena_w >= head) {
		if (d->arena_w + n <= d->arena_cap)
			return (int64_t)d->arena_w;
		return n <= head ? 0 : -1;
	}
	return d->arena_w + n <= head ? (int64_t)d->arena_w : -1;
}

int deliver__hold(struct deliver *d, uint8_t opcode, const uint8_t *p, size_t n,
		  const struct lat_stamps *st)
{
	struct deliver_held *h;
	int64_t off;

	if (!d->held || d->held_n == d->held_cap)
		return -ENOSPC;
	off = deliver_arena_fit(d, n);
	if (off < 0)
		return -ENOSPC;
	h = &d->held[(d->held_first + d->held_n) % d->held_cap];
	h->off = (uint64_t)off;
	h->len = n;
	h->hash = deliver_hash(p, n);
	h->opcode = opcode;
	h->st = *st;
	if (n)
		memcpy(d->arena + off, p, n);
	d->arena_w = (size_t)off + n;
	d->held_n++;
	d->shadow_n++;
	d->st.shadow_seen++;
	d->st.held++;
	if (d->held_n > d->st.held_peak)
		d->st.held_peak = d->held_n;
	return 0;
}

bool deliver__pop_held(struct deliver *d, uint8_t *opcode, const uint8_t **p, size_t *n,
		       struct lat_stamps *st)
{
	struct deliver_held *h;

	if (!d->held_n)
		return false;
	h = &d->held[d->held_first];
	*opcode = h->opcode;
	*p = d->arena + h->off; /* not overwritten before the next hold */
	*n = h->len;
	*st = h->st;
	d->held_first = (d->held_first + 1) % d->held_cap;
	d->held_n--;
	if (!d->held_n)
		d->arena_w = 0;
	d->st.shadow++;
	return true;
}

void deliver__reset(struct deliver *d)
{
	d->held_first = d->held_n = 0;
	d->arena_w = 0;
	d->failed = false;
	d->no_compare = false;
	d->fast_n = 0;
	d->shadow_n = 0;
}

/* sim_limit — per-address sliding-window attempt limit (see sim_limit.h). */
#include "sim_limit.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct addr_slot {
	uint8_t key[SIM_LIMIT_KEY_MAX];
	uint8_t keylen; /* 0: unused */
	unsigned head;	/* index of the oldest time in the ring */
	unsigned count; /* times in the ring (<= n) */
	double last;	/* the newest admitted attempt */
	double *t;	/* n times, oldest at head */
};

struct sim_limit {
	unsigned n;
	double window;
	struct addr_slot slot[SIM_LIMIT_ADDRS];
};

int sim_limit__new(struct sim_limit **out, unsigned n, double window)
{
	struct sim_limit *l;

	*out = NULL;
	if (!n || n > SIM_LIMIT_N_MAX || !(window > 0) || !isfinite(window))
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->n = n;
	l->window = window;
	*out = l;
	return 0;
}

void sim_limit__free(struct sim_limit *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < SIM_LIMIT_ADDRS; i++)
		free(l->slot[i].t);
	free(l);
}

/* The address's slot; a new address takes a free slot or the one quiet
 * longest (its ring is reused). NULL when a ring cannot be allocated. */
static struct addr_slot *slot_get(struct sim_limit *l, const void *key, size_t keylen)
{
	struct addr_slot *victim = NULL;

	for (unsigned i = 0; i < SIM_LIMIT_ADDRS; i++) {
		struct addr_slot *s = &l->slot[i];

		if (s->keylen == keylen && !memcmp(s->key, key, keylen))
			return s;
		if (!victim || (victim->keylen && (!s->keylen || s->last < victim->last)))
			victim = s;
	}
	if (!victim->t) {
		victim->t = malloc(l->n * sizeof(double));
		if (!victim->t)
			return NULL;
	}
	memcpy(victim->key, key, keylen);
	victim->keylen = (uint8_t)keylen;
	victim->head = victim->count = 0;
	return victim;
}

int sim_limit__admit(struct sim_limit *l, const void *key, size_t keylen, double now)
{
	struct addr_slot *s;

	if (!keylen || keylen > SIM_LIMIT_KEY_MAX)
		return -EINVAL;
	s = slot_get(l, key, keylen);
	if (!s)
		return -ENOMEM;
	/* times that left the window free their slots */
	while (s->count && s->t[s->head] <= now - l->window) {
		s->head = (s->head + 1) % l->n;
		s->count--;
	}
	if (s->count == l->n) {
		/* the oldest attempt leaves the window at t[head] + window */
		double wait = ceil(s->t[s->head] + l->window - now);

		return wait < 1 ? 1 : (int)wait;
	}
	s->t[(s->head + s->count) % l->n] = now;
	s->count++;
	s->last = now;
	return 0;
}

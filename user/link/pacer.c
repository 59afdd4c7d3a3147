/* pacer — a sliding-window rate limit (see pacer.h). */
#include "pacer.h"

#include <errno.h>
#include <stdlib.h>

int pacer__init(struct pacer *p, size_t n, double window)
{
	p->window = window > 0 ? window : 1;
	p->n = n ? n : 1;
	p->head = p->used = 0;
	p->t = calloc(p->n, sizeof(*p->t));
	return p->t ? 0 : -ENOMEM;
}

void pacer__free(struct pacer *p)
{
	free(p->t);
	p->t = NULL;
}

double pacer__when(const struct pacer *p, double now)
{
	double oldest;

	if (p->used < p->n)
		return now;
	oldest = p->t[p->head]; /* full: head is the oldest of the last n */
	/* strictly after the window: n events in [t, t + window) at most */
	return oldest + p->window > now ? oldest + p->window : now;
}

void pacer__take(struct pacer *p, double t)
{
	p->t[p->head] = t;
	p->head = (p->head + 1) % p->n;
	if (p->used < p->n)
		p->used++;
}

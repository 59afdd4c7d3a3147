/* backoff — reconnect delays (see backoff.h). */
#include "backoff.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void backoff__init(struct backoff *b, double base, double cap, double healthy, uint64_t seed)
{
	b->base = base > 0 ? base : 0.5;
	b->cap = cap >= b->base ? cap : b->base;
	b->healthy = healthy;
	b->attempt = 0;
	b->not_before = 0;
	b->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
}

static double backoff__uniform(struct backoff *b)
{
	uint64_t x = b->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	b->rng = x;
	return (double)(x >> 11) / (double)(1ull << 53);
}

double backoff__failed(struct backoff *b, double now, double up_since)
{
	double d = b->base, t;

	if (up_since >= 0 && now - up_since >= b->healthy)
		b->attempt = 0; /* it was healthy: a fresh start */
	for (unsigned i = 0; i < b->attempt && d < b->cap; i++)
		d *= 2;
	if (d > b->cap)
		d = b->cap;
	if (b->attempt < 64)
		b->attempt++;
	t = now + d / 2 + backoff__uniform(b) * d / 2;
	return t < b->not_before ? b->not_before : t;
}

void backoff__retry_after(struct backoff *b, double now, double secs)
{
	if (secs > 0 && now + secs > b->not_before)
		b->not_before = now + secs;
}

double backoff_parse_retry_after(const char *why)
{
	const char *p;
	char *end;
	double v;

	if (!why)
		return -1;
	for (p = why; *p; p++)
		if (strncasecmp(p, "retry-after:", 12) == 0)
			break;
	if (!*p)
		return -1;
	p += 12;
	while (*p == ' ')
		p++;
	v = strtod(p, &end);
	if (end == p || v < 0 || v > 86400)
		return -1;
	return v;
}

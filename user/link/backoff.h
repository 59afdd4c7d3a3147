/* backoff — when to try a connection again: exponential with jitter and a
 * cap, back to the start after a healthy period, and never before what the
 * exchange asked for (Retry-After on a 429/418 refusal).
 *
 *   delay(n) = min(cap, base * 2^n), drawn uniformly in [delay/2, delay]
 *   ("equal jitter": never 0, so a refused client never hammers; spread so
 *   that many connections cut at once do not come back at once).
 *
 * Pure arithmetic on numbers the caller passes (times in seconds, the
 * random source a 64-bit state): unit-testable without a loop. */
#ifndef FEEDRX_BACKOFF_H
#define FEEDRX_BACKOFF_H

#include <stdint.h>

struct backoff {
	double base, cap;  /* seconds: the first delay, the largest */
	double healthy;    /* a connection up this long resets the attempts */
	unsigned attempt;  /* failures since the last healthy connection */
	double not_before; /* absolute time before which no attempt (Retry-After) */
	uint64_t rng;      /* xorshift state, never 0 */
};

void backoff__init(struct backoff *b, double base, double cap, double healthy, uint64_t seed);
/* The connection ended at now after being up since up_since (or up_since <
 * 0: it never came up). Returns the absolute time of the next attempt. */
double backoff__failed(struct backoff *b, double now, double up_since);
/* The exchange said: not before now + secs. */
void backoff__retry_after(struct backoff *b, double now, double secs);
/* "Retry-After: N" in a line (an upgrade refusal): N, or -1. */
double backoff_parse_retry_after(const char *why);

#endif

/* pacer — at most n events in any window of w seconds (a sliding window
 * of the last n event times): SUBSCRIBE/pong messages per connection
 * (Binance: 5 per second), connection attempts per IP (300 per 5 min).
 * The caller asks when the next event may happen and records it when it
 * does. Memory: n times, allocated once. */
#ifndef FEEDRX_PACER_H
#define FEEDRX_PACER_H

#include <stddef.h>

struct pacer {
	double window;
	double *t; /* ring of the last n event times */
	size_t n, head, used;
};

/* 0 or -ENOMEM; n >= 1, window > 0. */
int pacer__init(struct pacer *p, size_t n, double window);
void pacer__free(struct pacer *p);
/* The earliest time >= now at which one more event stays within the limit. */
double pacer__when(const struct pacer *p, double now);
/* Record an event at time t (t >= pacer__when). */
void pacer__take(struct pacer *p, double t);

#endif

/* rest_sched — the exchange's REST weight budget as a pure scheduler (the
 * clock is passed in, so tests drive it with a fake one). Binance counts
 * request weight per IP: 6000 per minute; the depth endpoint's weight grows
 * with its limit; a 429 (too many) or 418 (banned) carries Retry-After and
 * nothing may be sent before it passes. Jobs leave in FIFO order when
 *   - the weight sent in the last `window` seconds plus theirs stays within
 *     the budget (a sliding window: never over the limit in any minute),
 *   - a token bucket (burst, refilled at budget/window) has their weight,
 *     so a long list of snapshots is spread over time instead of spent in
 *     one burst, and
 *   - no Retry-After is pending.
 * The server's own count (X-MBX-USED-WEIGHT-1M) corrects ours upward: other
 * programs on the same IP spend the same budget. */
#ifndef FEEDRX_REST_SCHED_H
#define FEEDRX_REST_SCHED_H

#include <stddef.h>
#include <stdint.h>

struct rest_sched_opts {
	uint32_t budget;      /* weight per window; 0: 6000 */
	double window;	      /* seconds; 0: 60 */
	uint32_t burst;	      /* token bucket size; 0: budget / 4 */
	unsigned max_jobs;    /* queued jobs; 0: 1024 */
	double default_retry; /* s after a 429/418 without Retry-After; 0: 60 */
};

struct rest_sched_job {
	uint32_t weight;
	void *user;
};

struct rest_sched_spent {
	double t;
	uint32_t w;
};

struct rest_sched {
	struct rest_sched_opts o;
	struct rest_sched_job *jobs; /* ring */
	size_t head, count;
	struct rest_sched_spent *log; /* ring of sends in the window */
	size_t log_head, log_count, log_cap;
	uint64_t window_sum; /* weight in the log */
	double tokens, tokens_at;
	double blocked_until;
	uint64_t sent, sent_weight, limited; /* totals: jobs, weight, 429/418 seen */
};

/* Spot /api/v3/depth weight for limit: 1-100: 5, 101-500: 25, 501-1000: 50,
 * 1001-5000: 250 (Binance spot REST documentation). */
uint32_t rest_sched_depth_weight(unsigned limit);
/* USD-M /fapi/v1/depth: 5-50: 2, 100: 5, 500: 10, 1000: 20. */
uint32_t rest_sched_fdepth_weight(unsigned limit);

/* Allocate the rings (set-up). 0 or -ENOMEM / -EINVAL. now: the clock. */
int rest_sched__init(struct rest_sched *s, const struct rest_sched_opts *o, double now);
void rest_sched__free(struct rest_sched *s);

/* Queue a job: 0, -ENOBUFS (queue full), -EINVAL (weight 0 or over the
 * budget or the burst: it could never go). */
int rest_sched__push(struct rest_sched *s, uint32_t weight, void *user);

/* The next job allowed at now: 1 with *job (its weight is charged), or 0
 * with *wait the seconds until the head job may go (-1: queue empty). */
int rest_sched__next(struct rest_sched *s, double now, struct rest_sched_job *job, double *wait);

/* What the server answered a sent job: status (429/418 block everything
 * for retry_after s, or default_retry when < 0), used_weight (its count
 * for the window, -1 if absent). */
void rest_sched__on_response(struct rest_sched *s, double now, int status, double retry_after,
			     long used_weight);

/* Weight spent in the window ending at now. */
uint32_t rest_sched__used(struct rest_sched *s, double now);
size_t rest_sched__queued(const struct rest_sched *s);

#endif

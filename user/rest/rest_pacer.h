/* rest_pacer — REST GETs on the loop within the exchange's weight budget:
 * a rest_sched (budget, burst spreading, Retry-After) in front of an
 * https_get client, driven by one libev timer. A job waits in the pacer
 * until the scheduler lets it go, then in the client; its answer feeds
 * the scheduler (429/418 with Retry-After block every later send, the
 * server's weight count corrects ours) and then the caller's callback,
 * 429s included: the caller decides whether to ask again. */
#ifndef FEEDRX_REST_PACER_H
#define FEEDRX_REST_PACER_H

#include <ev.h>

#include "https_get.h"
#include "rest_sched.h"

struct rest_pacer;

/* client stays the caller's. 0 and *out, or -ENOMEM / -EINVAL. */
int rest_pacer__new(struct rest_pacer **out, struct ev_loop *loop, struct https_get *client,
		    const struct rest_sched_opts *o);

/* Queue GET path costing weight (rest_sched_depth_weight(limit)). 0,
 * -ENOBUFS, -EINVAL, -ENAMETOOLONG. cb runs later, once. */
int rest_pacer__get(struct rest_pacer *p, const char *path, uint32_t weight, https_get_cb cb,
		    void *user);

/* The scheduler, for its counters (sent, limited, used weight). */
struct rest_sched *rest_pacer__sched(struct rest_pacer *p);

/* Pending callbacks never run. Free the client first when it still holds
 * requests of this pacer (their callbacks point into it). */
void rest_pacer__free(struct rest_pacer *p);

#endif

/* rest_pacer — rest_sched on a libev timer in front of https_get (see
 * rest_pacer.h). Jobs live in a fixed table sized at set-up. */
#include "rest_pacer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define REST_PACER_AHEAD 4 /* requests handed to the client at once */

struct rest_pacer_job {
	struct rest_pacer *p;
	bool used;
	https_get_cb cb;
	void *user;
	char path[HTTPS_GET_PATH_MAX + 1];
};

struct rest_pacer {
	struct ev_loop *loop;
	struct https_get *client;
	struct rest_sched s;
	ev_timer t;
	struct rest_pacer_job *jobs;
	size_t njobs;
};

static void rest_pacer__run(struct rest_pacer *p);

static void rest_pacer__on_answer(void *user, const struct https_response *r)
{
	struct rest_pacer_job *j = user;
	struct rest_pacer *p = j->p;
	https_get_cb cb = j->cb;
	void *u = j->user;

	if (!r->err || r->status)
		rest_sched__on_response(&p->s, ev_now(p->loop), r->status, r->retry_after,
					r->used_weight);
	j->used = false;
	cb(u, r);
	rest_pacer__run(p); /* a Retry-After may have moved the next send */
}

static void rest_pacer__run(struct rest_pacer *p)
{
	struct rest_sched_job job;
	double wait = -1;

	ev_timer_stop(p->loop, &p->t);
	/* a few at a time in the client: a 429 must still stop the rest */
	while (https_get__pending(p->client) < REST_PACER_AHEAD &&
	       rest_sched__next(&p->s, ev_now(p->loop), &job, &wait)) {
		struct rest_pacer_job *j = job.user;
		int r = https_get__request(p->client, j->path, rest_pacer__on_answer, j);

		if (r) {
			struct https_response fail = {.err = r,
						      .error = "the REST client's queue is full",
						      .body = "",
						      .retry_after = -1,
						      .used_weight = -1};
			j->used = false;
			j->cb(j->user, &fail);
		}
	}
	if (wait > 0) {
		/* a little late rather than early: the window edge is exact */
		ev_timer_set(&p->t, wait + 0.001, 0.);
		ev_timer_start(p->loop, &p->t);
	}
}

static void rest_pacer__timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	rest_pacer__run(container_of(w, struct rest_pacer, t));
}

int rest_pacer__new(struct rest_pacer **out, struct ev_loop *loop, struct https_get *client,
		    const struct rest_sched_opts *o)
{
	struct rest_pacer *p;
	int r;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->loop = loop;
	p->client = client;
	r = rest_sched__init(&p->s, o, ev_now(loop));
	if (r) {
		free(p);
		return r;
	}
	p->njobs = p->s.o.max_jobs;
	p->jobs = calloc(p->njobs, sizeof(*p->jobs));
	if (!p->jobs) {
		rest_sched__free(&p->s);
		free(p);
		return -ENOMEM;
	}
	ev_init(&p->t, rest_pacer__timer_cb);
	*out = p;
	return 0;
}

int rest_pacer__get(struct rest_pacer *p, const char *path, uint32_t weight, https_get_cb cb,
		    void *user)
{
	struct rest_pacer_job *j = NULL;
	size_t n = strlen(path);
	int r;

	if (n > HTTPS_GET_PATH_MAX)
		return -ENAMETOOLONG;
	if (path[0] != '/' || !cb)
		return -EINVAL;
	for (size_t i = 0; i < p->njobs && !j; i++)
		if (!p->jobs[i].used)
			j = &p->jobs[i];
	if (!j)
		return -ENOBUFS;
	r = rest_sched__push(&p->s, weight, j);
	if (r)
		return r;
	*j = (struct rest_pacer_job){.p = p, .used = true, .cb = cb, .user = user};
	memcpy(j->path, path, n + 1);
	/* on the next loop iteration: never call back from inside this call */
	ev_timer_stop(p->loop, &p->t);
	ev_timer_set(&p->t, 0., 0.);
	ev_timer_start(p->loop, &p->t);
	return 0;
}

struct rest_sched *rest_pacer__sched(struct rest_pacer *p)
{
	return &p->s;
}

void rest_pacer__free(struct rest_pacer *p)
{
	if (!p)
		return;
	ev_timer_stop(p->loop, &p->t);
	rest_sched__free(&p->s);
	free(p->jobs);
	free(p);
}

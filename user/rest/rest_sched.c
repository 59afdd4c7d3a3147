/* rest_sched — weight budget, burst spreading and Retry-After (see
 * rest_sched.h). */
#include "rest_sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint32_t rest_sched_depth_weight(unsigned limit)
{
	if (limit <= 100)
		return 5;
	if (limit <= 500)
		return 25;
	if (limit <= 1000)
		return 50;
	return 250;
}

uint32_t rest_sched_fdepth_weight(unsigned limit)
{
	if (limit <= 50)
		return 2;
	if (limit <= 100)
		return 5;
	if (limit <= 500)
		return 10;
	return 20;
}

int rest_sched__init(struct rest_sched *s, const struct rest_sched_opts *o, double now)
{
	memset(s, 0, sizeof(*s));
	if (o)
		s->o = *o;
	if (!s->o.budget)
		s->o.budget = 6000;
	if (s->o.window <= 0)
		s->o.window = 60;
	if (!s->o.burst)
		s->o.burst = s->o.budget / 4 ? s->o.budget / 4 : 1;
	if (s->o.burst > s->o.budget)
		s->o.burst = s->o.budget;
	if (!s->o.max_jobs)
		s->o.max_jobs = 1024;
	if (s->o.default_retry <= 0)
		s->o.default_retry = 60;
	/* every send costs at least 1: the window holds at most budget sends */
	s->log_cap = s->o.budget < 65536 ? s->o.budget : 65536;
	s->jobs = calloc(s->o.max_jobs, sizeof(*s->jobs));
	s->log = calloc(s->log_cap + 1, sizeof(*s->log));
	if (!s->jobs || !s->log) {
		rest_sched__free(s);
		return -ENOMEM;
	}
	s->tokens = s->o.burst;
	s->tokens_at = now;
	return 0;
}

void rest_sched__free(struct rest_sched *s)
{
	free(s->jobs);
	free(s->log);
	s->jobs = NULL;
	s->log = NULL;
}

int rest_sched__push(struct rest_sched *s, uint32_t weight, void *user)
{
	if (!weight || weight > s->o.burst)
		return -EINVAL;
	if (s->count == s->o.max_jobs)
		return -ENOBUFS;
	s->jobs[(s->head + s->count) % s->o.max_jobs] = (struct rest_sched_job){weight, user};
	s->count++;
	return 0;
}

static void rest_sched__expire(struct rest_sched *s, double now)
{
	while (s->log_count && s->log[s->log_head].t + s->o.window <= now) {
		s->window_sum -= s->log[s->log_head].w;
		s->log_head = (s->log_head + 1) % (s->log_cap + 1);
		s->log_count--;
	}
}

static void rest_sched__spend(struct rest_sched *s, double now, uint32_t w)
{
	if (s->log_count == s->log_cap + 1) {
		/* merge into the newest entry rather than lose it */
		s->log[(s->log_head + s->log_count - 1) % (s->log_cap + 1)].w += w;
	} else {
		s->log[(s->log_head + s->log_count) % (s->log_cap + 1)] =
		    (struct rest_sched_spent){now, w};
		s->log_count++;
	}
	s->window_sum += w;
}

static void rest_sched__refill(struct rest_sched *s, double now)
{
	double rate = (double)s->o.budget / s->o.window;

	if (now > s->tokens_at) {
		s->tokens += (now - s->tokens_at) * rate;
		if (s->tokens > s->o.burst)
			s->tokens = s->o.burst;
		s->tokens_at = now;
	}
}

uint32_t rest_sched__used(struct rest_sched *s, double now)
{
	rest_sched__expire(s, now);
	return (uint32_t)s->window_sum;
}

size_t rest_sched__queued(const struct rest_sched *s)
{
	return s->count;
}

int rest_sched__next(struct rest_sched *s, double now, struct rest_sched_job *job, double *wait)
{
	struct rest_sched_job *j;
	double w = 0, need;

	if (!s->count) {
		*wait = -1;
		return 0;
	}
	j = &s->jobs[s->head];
	rest_sched__expire(s, now);
	rest_sched__refill(s, now);
	if (now < s->blocked_until)
		w = s->blocked_until - now;
	/* the window: wait until enough old sends have left it */
	if (s->window_sum + j->weight > s->o.budget) {
		uint64_t excess = s->window_sum + j->weight - s->o.budget, freed = 0;
		for (size_t i = 0; i < s->log_count && freed < excess; i++) {
			const struct rest_sched_spent *e =
			    &s->log[(s->log_head + i) % (s->log_cap + 1)];
			freed += e->w;
			if (freed >= excess && e->t + s->o.window - now > w)
				w = e->t + s->o.window - now;
		}
	}
	if (s->tokens + 1e-9 < j->weight) {
		need = (j->weight - s->tokens) / ((double)s->o.budget / s->o.window);
		if (need > w)
			w = need;
	}
	if (w > 0) {
		*wait = w;
		return 0;
	}
	*job = *j;
	s->head = (s->head + 1) % s->o.max_jobs;
	s->count--;
	s->tokens -= job->weight;
	rest_sched__spend(s, now, job->weight);
	s->sent++;
	s->sent_weight += job->weight;
	*wait = 0;
	return 1;
}

void rest_sched__on_response(struct rest_sched *s, double now, int status, double retry_after,
			     long used_weight)
{
	if (status == 429 || status == 418) {
		double until = now + (retry_after >= 0 ? retry_after : s->o.default_retry);
		s->limited++;
		if (until > s->blocked_until)
			s->blocked_until = until;
	}
	rest_sched__expire(s, now);
	if (used_weight > 0 && (uint64_t)used_weight > s->window_sum)
		rest_sched__spend(s, now, (uint32_t)((uint64_t)used_weight - s->window_sum));
}

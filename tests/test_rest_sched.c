/* Tests for rest_sched with a fake clock: depth weights, the sliding
 * window never exceeded in any window, bursts spread by the token bucket,
 * 429/418 with Retry-After (and without) blocking every send until then,
 * the server's weight count correcting ours, FIFO order, bounded queue. */
#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "rest/rest_sched.h"

static void depth_weights(void)
{
	CHECK(rest_sched_depth_weight(5) == 5 && rest_sched_depth_weight(100) == 5);
	CHECK(rest_sched_depth_weight(101) == 25 && rest_sched_depth_weight(500) == 25);
	CHECK(rest_sched_depth_weight(1000) == 50 && rest_sched_depth_weight(5000) == 250);
	CHECK(rest_sched_fdepth_weight(20) == 2 && rest_sched_fdepth_weight(100) == 5 &&
	      rest_sched_fdepth_weight(500) == 10 && rest_sched_fdepth_weight(1000) == 20);
}

/* Run the scheduler on a fake clock that jumps to each wake-up; record
 * every send time and weight. */
struct sent {
	double t;
	uint32_t w;
	intptr_t id;
};

static size_t drain(struct rest_sched *s, double *now, struct sent *out, size_t cap, double until)
{
	size_t n = 0;
	struct rest_sched_job j;
	double wait;

	while (n < cap && *now <= until) {
		if (rest_sched__next(s, *now, &j, &wait)) {
			out[n++] = (struct sent){*now, j.weight, (intptr_t)j.user};
			continue;
		}
		if (wait < 0)
			break;
		*now += wait;
	}
	return n;
}

/* The most weight sent in any window of length win (checked at every send). */
static uint64_t max_in_window(const struct sent *x, size_t n, double win)
{
	uint64_t best = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t sum = 0;
		for (size_t k = i; k < n && x[k].t < x[i].t + win; k++)
			sum += x[k].w;
		if (sum > best)
			best = sum;
	}
	return best;
}

static void window_never_exceeded(void)
{
	struct rest_sched s;
	struct rest_sched_opts o = {.budget = 6000, .window = 60, .burst = 6000};
	static struct sent x[2000];
	double now = 1000;
	size_t n;

	REQUIRE(rest_sched__init(&s, &o, now) == 0);
	/* 600 snapshots at weight 25 (limit 500): 15000, 2.5 budgets */
	for (intptr_t i = 0; i < 600; i++)
		REQUIRE(rest_sched__push(&s, 25, (void *)i) == 0);
	n = drain(&s, &now, x, 2000, 1e9);
	CHECK(n == 600);
	CHECKF(max_in_window(x, n, 60) <= 6000, "max %llu",
	       (unsigned long long)max_in_window(x, n, 60));
	/* FIFO */
	for (size_t i = 0; i < n; i++)
		CHECK(x[i].id == (intptr_t)i);
	/* the first budget goes at once (burst = budget), the rest waits */
	CHECK(x[239].t == 1000 && x[240].t >= 1060);
	CHECK(s.sent == 600 && s.sent_weight == 15000);
	rest_sched__free(&s);
}

static void burst_is_spread(void)
{
	struct rest_sched s;
	struct rest_sched_opts o = {.budget = 6000, .window = 60, .burst = 500};
	static struct sent x[200];
	double now = 0;
	size_t n;

	REQUIRE(rest_sched__init(&s, &o, now) == 0);
	for (intptr_t i = 0; i < 100; i++)
		REQUIRE(rest_sched__push(&s, 25, (void *)i) == 0);
	n = drain(&s, &now, x, 200, 1e9);
	CHECK(n == 100);
	/* 20 at once (the burst), then one every 0.25 s (100 weight/s) */
	CHECK(x[19].t == 0 && x[20].t > 0);
	CHECKF(x[99].t >= 20 - 1e-6, "last at %g", x[99].t);
	for (size_t i = 21; i < n; i++)
		CHECKF(x[i].t - x[i - 1].t >= 0.25 - 1e-6, "gap %zu %g", i, x[i].t - x[i - 1].t);
	/* a bucket refilled by idle time is capped at the burst */
	now += 1000;
	for (intptr_t i = 0; i < 30; i++)
		REQUIRE(rest_sched__push(&s, 25, (void *)i) == 0);
	n = drain(&s, &now, x, 200, 1e9);
	CHECK(n == 30 && x[19].t == x[0].t && x[20].t > x[0].t);
	rest_sched__free(&s);
}

static void retry_after_blocks(void)
{
	struct rest_sched s;
	struct rest_sched_job j;
	double wait, now = 50;

	REQUIRE(rest_sched__init(&s, NULL, now) == 0);
	CHECK(rest_sched__push(&s, 5, (void *)1) == 0 && rest_sched__push(&s, 5, (void *)2) == 0);
	CHECK(rest_sched__next(&s, now, &j, &wait) == 1 && j.user == (void *)1);
	/* the answer to job 1: 429, Retry-After 7 */
	rest_sched__on_response(&s, now + 0.1, 429, 7, -1);
	CHECK(rest_sched__next(&s, now + 0.1, &j, &wait) == 0);
	CHECKF(wait > 6.99 && wait < 7.01, "wait %g", wait);
	CHECK(rest_sched__next(&s, now + 7.09, &j, &wait) == 0);
	CHECK(rest_sched__next(&s, now + 7.1, &j, &wait) == 1 && j.user == (void *)2);
	/* 418 without Retry-After: the default (60 s) */
	CHECK(rest_sched__push(&s, 5, (void *)3) == 0);
	rest_sched__on_response(&s, now + 8, 418, -1, -1);
	CHECK(rest_sched__next(&s, now + 67.9, &j, &wait) == 0);
	CHECK(rest_sched__next(&s, now + 68, &j, &wait) == 1 && j.user == (void *)3);
	CHECK(s.limited == 2);
	/* a 200 does not block */
	CHECK(rest_sched__push(&s, 5, (void *)4) == 0);
	rest_sched__on_response(&s, now + 68, 200, 3, -1);
	CHECK(rest_sched__next(&s, now + 68, &j, &wait) == 1);
	CHECK(rest_sched__next(&s, now + 68, &j, &wait) == 0 && wait == -1);
	rest_sched__free(&s);
}

static void server_count_wins(void)
{
	struct rest_sched s;
	struct rest_sched_opts o = {.budget = 100, .window = 60, .burst = 100};
	struct rest_sched_job j;
	double wait;

	REQUIRE(rest_sched__init(&s, &o, 0) == 0);
	CHECK(rest_sched__push(&s, 5, NULL) == 0 && rest_sched__next(&s, 0, &j, &wait) == 1);
	/* someone else on our IP spent 90 of it */
	rest_sched__on_response(&s, 1, 200, -1, 95);
	CHECK(rest_sched__used(&s, 1) == 95);
	CHECK(rest_sched__push(&s, 25, NULL) == 0);
	CHECK(rest_sched__next(&s, 1, &j, &wait) == 0);
	/* the first 5 leaves at t=60: 90 + 25 > 100 still; at t=61 all is gone */
	CHECKF(wait > 59.9 && wait < 60.1, "wait %g", wait);
	CHECK(rest_sched__next(&s, 61, &j, &wait) == 1);
	/* a lower server count never lowers ours */
	rest_sched__on_response(&s, 61, 200, -1, 1);
	CHECK(rest_sched__used(&s, 61) == 25);
	rest_sched__free(&s);
}

static void bounded_and_invalid(void)
{
	struct rest_sched s;
	struct rest_sched_opts o = {.budget = 6000, .max_jobs = 3};

	REQUIRE(rest_sched__init(&s, &o, 0) == 0);
	CHECK(rest_sched__push(&s, 0, NULL) == -EINVAL);
	CHECK(rest_sched__push(&s, 1501, NULL) == -EINVAL); /* over the burst (budget/4) */
	CHECK(rest_sched__push(&s, 250, NULL) == 0 && rest_sched__push(&s, 250, NULL) == 0 &&
	      rest_sched__push(&s, 250, NULL) == 0);
	CHECK(rest_sched__push(&s, 5, NULL) == -ENOBUFS && rest_sched__queued(&s) == 3);
	rest_sched__free(&s);
}

int main(void)
{
	RUN(depth_weights);
	RUN(window_never_exceeded);
	RUN(burst_is_spread);
	RUN(retry_after_blocks);
	RUN(server_count_wins);
	RUN(bounded_and_invalid);
	return check_exit();
}

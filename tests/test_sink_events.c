/* Tests for the event consumers as sinks: the callback sink hands every
 * event to the program's function unchanged; a sink set fans one event out
 * to all its sinks, in order; the shm sink's ring, read back through
 * shm_sub, gives the same events field for field (levels, status text);
 * bad targets are refused at open with a message. */
#include <errno.h>
#include <ev.h>
#include <unistd.h>

#include "check.h"
#include "core/fx_err.h"
#include "events_synth.h"
#include "feed/feed_event_json.h"
#include "shm/shm_sub.h"
#include "sink/sink_set.h"

struct seen {
	uint64_t n, seq_sum;
	char last_json[2048];
};

static void on_event(void *user, const struct feed_event *e)
{
	struct seen *s = user;

	s->n++;
	s->seq_sum += e->seq;
	feed_event_json(s->last_json, sizeof(s->last_json), e);
}

static void callback_and_set(void)
{
	struct seen a = {0}, b = {0};
	struct sink_set set = {0};
	struct fx_error err = {0};
	const struct feed_sink_conf ca = {.on_event = on_event, .user = &a, .err = &err};
	const struct feed_sink_conf cb = {.on_event = on_event, .user = &b, .err = &err};
	const struct feed_sink_conf bad = {.err = &err};
	struct synth_store st;
	struct feed_event e;
	char want[2048];

	REQUIRE(sink_set__add(&set, &feed_sink_callback, &ca) == 0);
	REQUIRE(sink_set__add(&set, &feed_sink_callback, &cb) == 0);
	CHECK(sink_set__add(&set, &feed_sink_callback, &bad) == -EINVAL && set.n == 2);
	CHECK(sink_set__wants_events(&set));
	for (uint64_t i = 1; i <= 100; i++) {
		synth_event(&e, i, &st);
		sink_set__event(&set, &e);
	}
	feed_event_json(want, sizeof(want), &e);
	CHECK(a.n == 100 && b.n == 100 && a.seq_sum == 5050 && b.seq_sum == 5050);
	CHECK(!strcmp(a.last_json, want) && !strcmp(b.last_json, want));
	CHECK(set.s[0]->events == 100);
	sink_set__finish(&set);
	sink_set__close(&set);
	CHECK(set.n == 0);
}

static void shm_sink_to_sub(void)
{
	char name[64], want[2048];
	struct sink_set set = {0};
	struct fx_error err = {0};
	struct shm_sub *sub;
	struct seen got = {0};
	struct synth_store st;
	struct feed_event e;
	int n;

	snprintf(name, sizeof(name), "feedrx-test-ev-%d", (int)getpid());
	const struct feed_sink_conf c = {.arg = name, .size = 1 << 20, .err = &err};
	const struct feed_sink_conf bad = {.arg = "no/slash", .err = &err};

	CHECK(sink_set__add(&set, &feed_sink_shm, &bad) < 0 && strstr(err.msg, "bad shared-memory"));
	REQUIRE(sink_set__add(&set, &feed_sink_shm, &c) == 0);
	REQUIRE(shm_sub__open(&sub, name, SHM_SUB_FROM_START, &err) == 0);
	for (uint64_t i = 1; i <= 1000; i++) {
		synth_event(&e, i, &st);
		sink_set__event(&set, &e);
		if (i % 250 == 0) {
			feed_event_json(want, sizeof(want), &e);
			n = shm_sub__poll(sub, on_event, &got, 0);
			CHECKF(n == 250 && !strcmp(got.last_json, want), "poll %d: %.200s", n,
			       got.last_json);
		}
	}
	sink_set__close(&set); /* closes the ring: the reader ends */
	CHECK(shm_sub__poll(sub, on_event, &got, 0) == -EPIPE);
	CHECK(got.n == 1000 && got.seq_sum == 500500 && shm_sub__lost(sub) == 0);
	shm_sub__close(sub);
	char path[128];
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	CHECK(access(path, F_OK) != 0);
}

/* (the unreachable and stalled servers are it_nats_sink.sh's, inside a
 * namespace: no traffic from a unit test) */
static void nats_bad_targets(void)
{
	struct ev_loop *loop = ev_loop_new(0);
	struct sink_set set = {0};
	struct fx_error err = {0};
	const char *bad[] = {"http://x:1", "nats://", "nats://h:0", "nats://h:99999", "nats://[::1"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct feed_sink_conf c = {.arg = bad[i], .loop = loop, .err = &err};

		CHECKF(sink_set__add(&set, &feed_sink_nats, &c) == -EINVAL && strstr(err.msg, "--nats"),
		       "%s: %s", bad[i], err.msg);
	}
	const struct feed_sink_conf small = {.arg = "nats://127.0.0.1:4222", .size = 1000,
					     .loop = loop, .err = &err};
	CHECK(sink_set__add(&set, &feed_sink_nats, &small) == -EINVAL);
	CHECK(set.n == 0);
	ev_loop_destroy(loop);
}

int main(void)
{
	RUN(callback_and_set);
	RUN(shm_sink_to_sub);
	RUN(nats_bad_targets);
	return check_exit();
}

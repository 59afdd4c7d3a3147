/* tool_events — a stand-in event producer for the consumer tests: feeds
 * synthesized events (events_synth.h) through the same sink set feedrx
 * uses (--shm, --nats) from a libev loop, and prints the sinks' reports.
 *   tool_events [--shm NAME] [--shm-size N] [--shm-keep] [--nats URL]
 *               [--nats-format json|flat] [--nats-buffer N] [--count N]
 *               [--rate N/s (0: flat out)] [--linger S] [--start-delay S]
 * Exits 0 when every event was handed to every sink. */
#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fx_err.h"
#include "events_synth.h"
#include "sink/sink_set.h"

static struct sink_set set;
static uint64_t next_seq = 1, count = 100000, rate;
static double t_start;
static ev_idle gen;
static ev_timer tick;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One batch of events per loop turn: the loop keeps turning (I/O, timers)
 * between batches, as it would with a feed. */
static void produce(struct ev_loop *loop)
{
	uint64_t due = rate ? (uint64_t)((now() - t_start) * (double)rate) + 1 : next_seq + 256;
	struct synth_store st;
	struct feed_event e;

	if (due > count + 1)
		due = count + 1;
	while (next_seq < due) {
		synth_event(&e, next_seq++, &st);
		sink_set__event(&set, &e);
	}
	sink_set__flush(&set);
	if (next_seq > count)
		ev_break(loop, EVBREAK_ALL);
}

static void gen_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)w, (void)revents;
	produce(loop);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w, (void)revents;
	produce(loop);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"shm", 1, NULL, 's'},        {"shm-size", 1, NULL, 'S'}, {"shm-keep", 0, NULL, 'k'},
	    {"nats", 1, NULL, 'n'},       {"nats-format", 1, NULL, 'f'},
	    {"nats-buffer", 1, NULL, 'b'}, {"count", 1, NULL, 'c'},   {"rate", 1, NULL, 'r'},
	    {"linger", 1, NULL, 'l'},     {"start-delay", 1, NULL, 'd'}, {NULL, 0, NULL, 0}};
	const char *shm[4], *nats[4];
	int n_shm = 0, n_nats = 0, fmt = FEED_SINK_FMT_JSON, o;
	size_t shm_size = 0, nats_buf = 0;
	bool keep = false;
	double linger = 0, delay = 0;
	struct ev_loop *loop = ev_default_loop(0);
	struct fx_error err = {0};

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's': if (n_shm < 4) shm[n_shm++] = optarg; break;
		case 'S': shm_size = strtoull(optarg, NULL, 0); break;
		case 'k': keep = true; break;
		case 'n': if (n_nats < 4) nats[n_nats++] = optarg; break;
		case 'f': fmt = strcmp(optarg, "flat") == 0 ? FEED_SINK_FMT_FLAT : FEED_SINK_FMT_JSON; break;
		case 'b': nats_buf = strtoull(optarg, NULL, 0); break;
		case 'c': count = strtoull(optarg, NULL, 0); break;
		case 'r': rate = strtoull(optarg, NULL, 0); break;
		case 'l': linger = atof(optarg); break;
		case 'd': delay = atof(optarg); break;
		default: return 2;
		}
	}
	for (int i = 0; i < n_shm; i++) {
		const struct feed_sink_conf c = {.arg = shm[i], .size = shm_size, .keep = keep, .err = &err};

		if (sink_set__add(&set, &feed_sink_shm, &c)) {
			fprintf(stderr, "tool_events: %s\n", err.msg);
			return 1;
		}
	}
	for (int i = 0; i < n_nats; i++) {
		const struct feed_sink_conf c = {.arg = nats[i], .size = nats_buf, .format = fmt,
						 .loop = loop, .err = &err};

		if (sink_set__add(&set, &feed_sink_nats, &c)) {
			fprintf(stderr, "tool_events: %s\n", err.msg);
			return 1;
		}
	}
	/* readers waiting for the ring open it now */
	if (delay > 0)
		nanosleep(&(struct timespec){(time_t)delay, (long)((delay - (long)delay) * 1e9)}, NULL);
	t_start = now();
	if (rate) {
		ev_timer_init(&tick, tick_cb, 0.001, 0.001);
		ev_timer_start(loop, &tick);
	} else {
		ev_idle_init(&gen, gen_cb);
		ev_idle_start(loop, &gen);
	}
	ev_run(loop, 0);
	double secs = now() - t_start;

	fprintf(stderr, "tool_events: %" PRIu64 " events in %.3f s (%.0f/s)\n", count, secs,
		(double)count / (secs > 0 ? secs : 1e-9));
	if (linger > 0)
		nanosleep(&(struct timespec){(time_t)linger, (long)((linger - (long)linger) * 1e9)}, NULL);
	sink_set__finish(&set);
	sink_set__report(&set, stderr, "tool_events: ");
	sink_set__close(&set);
	ev_loop_destroy(loop);
	return 0;
}

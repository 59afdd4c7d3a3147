/* sink_set — the event consumers a run has besides its --output sink:
 * every --shm ring and --nats server, each a sink (sink.h) with an event
 * op. One event goes to all of them; one flush, one report, one close.
 *
 * The feed handler (messages -> normalized events) calls
 * sink_set__event() for every event it emits, next to feed_sink__event()
 * for the --output sink. */
#ifndef FEEDRX_SINK_SET_H
#define FEEDRX_SINK_SET_H

#include <stdbool.h>
#include <stdio.h>

#include "sink.h"

#define SINK_SET_MAX 16

extern const struct feed_sink_ops feed_sink_shm, feed_sink_nats, feed_sink_callback;

struct sink_set {
	struct feed_sink *s[SINK_SET_MAX];
	unsigned n;
};

/* Open one more sink into the set. 0 or a negative code (c->err says why). */
int sink_set__add(struct sink_set *set, const struct feed_sink_ops *ops,
		  const struct feed_sink_conf *c);
/* Whether any sink is in the set (then events must be produced). */
static inline bool sink_set__wants_events(const struct sink_set *set)
{
	return set->n > 0;
}
/* One event to every sink. A failed sink is reported once on stderr by
 * sink_set__report and takes no more; the others go on. */
void sink_set__event(struct sink_set *set, const struct feed_event *e);
void sink_set__flush(struct sink_set *set);
/* The run ends: flush, and let network sinks deliver what they hold (a
 * bounded wait). Before sink_set__report. */
void sink_set__finish(struct sink_set *set);
/* One line per sink ("feedrx: " + the sink's report) on f. */
void sink_set__report(struct sink_set *set, FILE *f, const char *prefix);
void sink_set__close(struct sink_set *set);

struct metrics_out;
/* feedrx_consumer_events_total and feedrx_consumer_dropped_total, one
 * sample per sink that counts (label consumer="TARGET"). */
void sink_set__metrics(struct sink_set *set, struct metrics_out *o);

#endif

/* sink_set — one event to every extra consumer (see sink_set.h). */
#include "sink_set.h"

#include <errno.h>
#include <string.h>

#include "core/fx_err.h"
#include "stats/metrics.h"

int sink_set__add(struct sink_set *set, const struct feed_sink_ops *ops,
		  const struct feed_sink_conf *c)
{
	if (set->n == SINK_SET_MAX)
		return fx_error_set(c->err, -ENOSPC, "too many consumers (at most %d)",
				    SINK_SET_MAX);
	int r = feed_sink__open(&set->s[set->n], ops, c);

	if (r)
		return r;
	set->n++;
	return 0;
}

void sink_set__event(struct sink_set *set, const struct feed_event *e)
{
	for (unsigned i = 0; i < set->n; i++)
		feed_sink__event(set->s[i], e);
}

void sink_set__flush(struct sink_set *set)
{
	for (unsigned i = 0; i < set->n; i++)
		feed_sink__flush(set->s[i]);
}

void sink_set__finish(struct sink_set *set)
{
	for (unsigned i = 0; i < set->n; i++) {
		feed_sink__flush(set->s[i]);
		if (set->s[i]->ops->finish)
			set->s[i]->ops->finish(set->s[i]);
	}
}

void sink_set__report(struct sink_set *set, FILE *f, const char *prefix)
{
	char line[512];

	for (unsigned i = 0; i < set->n; i++) {
		struct feed_sink *s = set->s[i];

		line[0] = 0;
		if (s->ops->report)
			s->ops->report(s, line, sizeof(line));
		if (line[0])
			fprintf(f, "%s%s\n", prefix, line);
		if (s->err)
			fprintf(f, "%s%s: failed: %s\n", prefix, s->ops->name, fx_strerror(s->err));
	}
}

void sink_set__metrics(struct sink_set *set, struct metrics_out *o)
{
	static const char *const names[2] = {"feedrx_consumer_events_total",
					     "feedrx_consumer_dropped_total"};
	static const char *const help[2] = {
	    "Normalized events passed on to each --shm ring and --nats server.",
	    "Normalized events a consumer dropped on feedrx's side (NATS buffer full or "
	    "server unreachable, too large for the ring or the server)."};
	char lab[400];

	for (int k = 0; k < 2; k++) {
		bool head = false;

		for (unsigned i = 0; i < set->n; i++) {
			struct feed_sink_counters c = {0};

			if (!set->s[i]->ops->counters)
				continue;
			set->s[i]->ops->counters(set->s[i], &c);
			if (!head)
				metrics_out__head(o, names[k], "counter", help[k]);
			head = true;
			/* a target never holds '"' or '\\' (names and URLs are checked) */
			snprintf(lab, sizeof(lab), "consumer=\"%s:%s\"", set->s[i]->ops->name,
				 c.target ? c.target : "");
			metrics_out__sample(o, names[k], lab, k ? c.dropped : c.events);
		}
	}
}

void sink_set__close(struct sink_set *set)
{
	for (unsigned i = 0; i < set->n; i++)
		feed_sink__close(set->s[i]);
	set->n = 0;
}

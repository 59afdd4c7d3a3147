/* sink_set — one event to every extra consumer (see sink_set.h). */
#include "sink_set.h"

#include <errno.h>
#include <string.h>

#include "core/fx_err.h"

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

void sink_set__close(struct sink_set *set)
{
	for (unsigned i = 0; i < set->n; i++)
		feed_sink__close(set->s[i]);
	set->n = 0;
}

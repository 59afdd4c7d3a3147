/* sink_callback — normalized events to a function of the program that
 * embeds libfeedrx (feedrx.h: feedrx_events__add): the in-process consumer,
 * no copy, the event valid for the call only. */
#include <errno.h>
#include <stdlib.h>

#include "core/fx_err.h"
#include "sink.h"
#include "sink_set.h"

struct sink_callback {
	void (*on_event)(void *user, const struct feed_event *e);
	void *user;
};

static int sink_callback_open(struct feed_sink *s, const struct feed_sink_conf *c)
{
	struct sink_callback *cb;

	if (!c->on_event)
		return fx_error_set(c->err, -EINVAL, "the callback sink needs on_event");
	cb = calloc(1, sizeof(*cb));
	if (!cb)
		return fx_error_set(c->err, -ENOMEM, "out of memory");
	cb->on_event = c->on_event;
	cb->user = c->user;
	s->priv = cb;
	return 0;
}

static int sink_callback_event(struct feed_sink *s, const struct feed_event *e)
{
	struct sink_callback *cb = s->priv;

	cb->on_event(cb->user, e);
	return 0;
}

static void sink_callback_close(struct feed_sink *s)
{
	free(s->priv);
}

const struct feed_sink_ops feed_sink_callback = {
    .name = "callback",
    .help = "normalized events to a function (the library's callback)",
    .open = sink_callback_open,
    .event = sink_callback_event,
    .close = sink_callback_close,
};

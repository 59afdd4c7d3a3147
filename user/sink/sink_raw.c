/* sink_raw — each message payload exactly as received plus '\n', through a
 * large buffer that is written out when the loop goes idle (and when full),
 * so a burst costs one write(2), not one per message. */
#include "sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "link/feed_link.h"

#define SINK_RAW_BUF (1u << 20)

static int raw_open(struct feed_sink *s, const struct feed_sink_conf *c)
{
	struct sink_buf *b = malloc(sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	r = sink_buf__init(b, c->fd, SINK_RAW_BUF);
	if (r) {
		free(b);
		return r;
	}
	s->priv = b;
	return 0;
}

static int raw_message(struct feed_sink *s, const struct feed_link_msg *m)
{
	struct sink_buf *b = s->priv;
	int r;

	/* payload and newline together when they fit: the common case */
	if (m->n < b->cap - b->len && !b->err) {
		memcpy(b->buf + b->len, m->p, m->n);
		b->buf[b->len + m->n] = '\n';
		b->len += m->n + 1;
		return 0;
	}
	r = sink_buf__put(b, m->p, m->n);
	return r ? r : sink_buf__put(b, "\n", 1);
}

static int raw_flush(struct feed_sink *s)
{
	return sink_buf__flush(s->priv);
}

static void raw_close(struct feed_sink *s)
{
	sink_buf__fini(s->priv);
	free(s->priv);
}

const struct feed_sink_ops feed_sink_raw = {
    .name = "raw",
    .help = "each message as received + newline on stdout (default)",
    .open = raw_open,
    .message = raw_message,
    .flush = raw_flush,
    .close = raw_close,
};

/* sink — the sink table, the calls every sink goes through, and the
 * buffered writer (see sink.h). */
#include "sink.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link/feed_link.h"

const struct feed_sink_ops *const feed_sinks[] = {
    &feed_sink_raw,
    &feed_sink_pretty,
    &feed_sink_none,
    &feed_sink_jsonl,
    NULL,
};

const struct feed_sink_ops *feed_sink_find(const struct feed_sink_ops *const *table,
					   const char *name)
{
	for (; *table; table++)
		if (strcmp((*table)->name, name) == 0)
			return *table;
	return NULL;
}

int feed_sink__open(struct feed_sink **out, const struct feed_sink_ops *ops,
		    const struct feed_sink_conf *c)
{
	struct feed_sink *s = calloc(1, sizeof(*s));
	int r;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->ops = ops;
	r = ops->open ? ops->open(s, c) : 0;
	if (r) {
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

int feed_sink__message(struct feed_sink *s, const struct feed_link_msg *m)
{
	int r;

	s->messages++;
	s->bytes += m->n;
	if (s->err)
		return s->err;
	r = s->ops->message ? s->ops->message(s, m) : 0;
	if (r)
		s->err = r;
	else
		s->dirty = true;
	return r;
}

int feed_sink__event(struct feed_sink *s, const struct feed_event *e)
{
	int r;

	if (!s->ops->event)
		return s->err;
	s->events++;
	if (s->err)
		return s->err;
	r = s->ops->event(s, e);
	if (r)
		s->err = r;
	else
		s->dirty = true;
	return r;
}

bool feed_sink__wants_events(const struct feed_sink *s)
{
	return s->ops->event != NULL;
}

int feed_sink__flush(struct feed_sink *s)
{
	int r;

	if (!s->dirty || s->err)
		return s->err;
	s->dirty = false;
	r = s->ops->flush ? s->ops->flush(s) : 0;
	if (r)
		s->err = r;
	return r;
}

void feed_sink__close(struct feed_sink *s)
{
	if (!s)
		return;
	if (s->ops->close)
		s->ops->close(s);
	free(s);
}

/* ---- the buffered writer ------------------------------------------------ */

#define SINK_BUF_LINE 4096

int sink_buf__init(struct sink_buf *b, int fd, size_t cap)
{
	if (cap < SINK_BUF_LINE)
		return -EINVAL;
	b->fd = fd;
	b->err = 0;
	b->len = 0;
	b->cap = cap;
	b->buf = malloc(cap);
	return b->buf ? 0 : -ENOMEM;
}

void sink_buf__fini(struct sink_buf *b)
{
	free(b->buf);
	b->buf = NULL;
}

static int sink_buf__write(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int sink_buf__flush(struct sink_buf *b)
{
	if (!b->err && b->len)
		b->err = sink_buf__write(b->fd, b->buf, b->len);
	b->len = 0;
	return b->err;
}

int sink_buf__put(struct sink_buf *b, const void *p, size_t n)
{
	if (b->err)
		return b->err;
	if (n > b->cap - b->len) {
		if (sink_buf__flush(b))
			return b->err;
		if (n > b->cap) /* larger than the buffer: straight through */
			return b->err = sink_buf__write(b->fd, p, n);
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

int sink_buf__printf(struct sink_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return b->err;
	if (b->cap - b->len < SINK_BUF_LINE && sink_buf__flush(b))
		return b->err;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, SINK_BUF_LINE, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	b->len += (size_t)n < SINK_BUF_LINE ? (size_t)n : SINK_BUF_LINE - 1;
	return 0;
}

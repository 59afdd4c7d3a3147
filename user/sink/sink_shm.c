/* sink_shm — normalized events into a shared-memory ring (shm/shm_ring.h),
 * one flat record (feed/feed_event_codec.h) each, encoded in place: no copy,
 * no allocation, never a wait for a reader. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fx_err.h"
#include "feed/feed_event_codec.h"
#include "shm/shm_ring.h"
#include "sink.h"
#include "sink_set.h"

static int sink_shm_open(struct feed_sink *s, const struct feed_sink_conf *c)
{
	const struct shm_ring_opts o = {.size = c->size, .keep = c->keep};
	struct shm_ring *r;
	int e;

	if (!c->arg)
		return fx_error_set(c->err, -EINVAL, "--shm needs a NAME");
	e = shm_ring__create(&r, c->arg, &o, c->err);
	if (e)
		return e;
	s->priv = r;
	return 0;
}

static int sink_shm_event(struct feed_sink *s, const struct feed_event *e)
{
	struct shm_ring *r = s->priv;
	size_t n = feed_event_encoded_size(e);
	void *p = shm_ring__reserve(r, n);
	long len;

	if (!p)
		return 0; /* larger than the ring takes: counted, reported */
	len = feed_event_encode(e, p, n);
	if (len > 0) /* else an event no consumer could read: left out */
		shm_ring__commit(r, (size_t)len);
	return 0;
}

static void sink_shm_report(struct feed_sink *s, char *buf, size_t len)
{
	struct shm_ring_stats st;

	shm_ring__stats(s->priv, &st);
	snprintf(buf, len, "shm %s: %" PRIu64 " events, %" PRIu64 " bytes%s", shm_ring__path(s->priv),
		 st.records, st.bytes, "");
	if (st.too_big)
		snprintf(buf + strlen(buf), len - strlen(buf),
			 ", %" PRIu64 " too large for the ring (--shm-size)", st.too_big);
}

static void sink_shm_counters(struct feed_sink *s, struct feed_sink_counters *c)
{
	struct shm_ring_stats st;

	shm_ring__stats(s->priv, &st);
	c->target = shm_ring__path(s->priv);
	c->events = st.records;
	c->dropped = st.too_big;
}

static void sink_shm_close(struct feed_sink *s)
{
	shm_ring__close(s->priv);
}

const struct feed_sink_ops feed_sink_shm = {
    .name = "shm",
    .help = "normalized events into the shared-memory ring /dev/shm/NAME",
    .open = sink_shm_open,
    .event = sink_shm_event,
    .close = sink_shm_close,
    .report = sink_shm_report,
    .counters = sink_shm_counters,
};

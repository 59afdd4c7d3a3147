/* Adding a venue or a sink takes one file and one table entry: this test is
 * that file for a stub of each. The stub venue speaks a made-up line
 * protocol ("SUB a b #1" out, "OK #1" / "NO #1 why" back, data lines
 * "<stream> <text> t=<ms>"); the stub sink keeps the last messages in
 * memory. Both go through the same lookups and the same feed_link (over the
 * fake transport) as the built-in ones, with no other change. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "fake_transport.h"
#include "proto/ws_proto.h"
#include "sink/sink.h"
#include "venue/venue.h"

/* ---- the stub venue: everything exchange-specific is here ---- */

static bool stub_stream_ok(const char *s)
{
	return *s && !strchr(s, ' ') && strlen(s) < 64;
}

static int stub_subscribe_request(const char *const *streams, size_t n, unsigned id, char *out,
				  size_t cap)
{
	size_t len = 0;
	int r = snprintf(out, cap, "SUB");

	if (r < 0 || (size_t)r >= cap)
		return -ENOSPC;
	len = (size_t)r;
	for (size_t i = 0; i < n; i++) {
		if (!stub_stream_ok(streams[i]))
			return -EINVAL;
		r = snprintf(out + len, cap - len, " %s", streams[i]);
		if (r < 0 || (size_t)r >= cap - len)
			return -ENOSPC;
		len += (size_t)r;
	}
	r = snprintf(out + len, cap - len, " #%u", id);
	return r < 0 || (size_t)r >= cap - len ? -ENOSPC : (int)(len + (size_t)r);
}

static enum venue_reply stub_classify(const uint8_t *p, size_t n, unsigned id)
{
	char want[16];
	int k = snprintf(want, sizeof(want), " #%u", id);

	if (n < 3 + (size_t)k || memcmp(p + 2, want, (size_t)k) != 0)
		return VENUE_DATA;
	if (memcmp(p, "OK", 2) == 0)
		return VENUE_REPLY_OK;
	if (memcmp(p, "NO", 2) == 0)
		return VENUE_REPLY_ERROR;
	return VENUE_DATA;
}

static uint64_t stub_scan_event_ms(const uint8_t *p, size_t n)
{
	const uint8_t *t = n > 2 ? memmem(p, n, " t=", 3) : NULL;
	uint64_t v = 0;

	if (!t)
		return 0;
	for (t += 3; t < p + n && *t >= '0' && *t <= '9'; t++)
		v = v * 10 + (uint64_t)(*t - '0');
	return v;
}

static uint64_t stub_scan_send_ns(const uint8_t *p, size_t n)
{
	(void)p, (void)n;
	return 0;
}

static size_t stub_scan_stream(const uint8_t *p, size_t n, const char **name)
{
	const uint8_t *sp = memchr(p, ' ', n);

	if (!sp || sp == p)
		return 0;
	*name = (const char *)p;
	return (size_t)(sp - p);
}

static int stub_parser_new(void **out)
{
	*out = NULL;
	return 0;
}

static void stub_parser_free(void *parser)
{
	(void)parser;
}

static int stub_parse(void *parser, const uint8_t *p, size_t n, struct feed_msg *m)
{
	(void)parser, (void)p, (void)n, (void)m;
	return -EPROTONOSUPPORT; /* raw lines only */
}

static const struct venue venue_stub = {
    .name = "stub",
    .help = "a made-up line protocol",
    .stream_ok = stub_stream_ok,
    .subscribe_request = stub_subscribe_request,
    .subscribe_per_stream = 1,
    .subscribe_base = 16,
    .classify = stub_classify,
    .idle_timeout = 30,
    .scan_event_ms = stub_scan_event_ms,
    .scan_send_ns = stub_scan_send_ns,
    .scan_stream = stub_scan_stream,
    .parser_new = stub_parser_new,
    .parser_free = stub_parser_free,
    .parse = stub_parse,
};

/* ---- the stub sink: the last 8 messages in memory ---- */

struct stub_sink {
	char last[8][64];
	char stream[8][16];
	uint64_t event_ms[8];
	int n, flushes, closed;
};

static struct stub_sink *stub_sink_seen; /* for the test to look at */

static int stub_open(struct feed_sink *s, const struct feed_sink_conf *c)
{
	(void)c;
	s->priv = calloc(1, sizeof(struct stub_sink));
	stub_sink_seen = s->priv;
	return s->priv ? 0 : -ENOMEM;
}

static int stub_message(struct feed_sink *s, const struct feed_link_msg *m)
{
	struct stub_sink *k = s->priv;
	int i = k->n++ % 8;

	snprintf(k->last[i], sizeof(k->last[i]), "%.*s", (int)m->n, (const char *)m->p);
	snprintf(k->stream[i], sizeof(k->stream[i]), "%.*s", (int)m->stream_len,
		 m->stream ? m->stream : "");
	k->event_ms[i] = m->st->event_ms;
	return 0;
}

static int stub_flush(struct feed_sink *s)
{
	((struct stub_sink *)s->priv)->flushes++;
	return 0;
}

static void stub_close(struct feed_sink *s)
{
	((struct stub_sink *)s->priv)->closed = 1; /* the test frees it */
}

static const struct feed_sink_ops feed_sink_stub = {
    .name = "stub",
    .help = "the last 8 messages in memory",
    .open = stub_open,
    .message = stub_message,
    .flush = stub_flush,
    .close = stub_close,
};

/* ---- the tables with one entry added ---- */

static const struct venue *const my_venues[] = {&venue_binance, &venue_binance_usdm,
						&venue_stub, NULL};
static const struct feed_sink_ops *const my_sinks[] = {&feed_sink_raw, &feed_sink_pretty,
						       &feed_sink_none, &feed_sink_stub, NULL};

static void tables_find_the_stubs(void)
{
	CHECK(venue_find(my_venues, "stub") == &venue_stub);
	CHECK(venue_find(my_venues, "binance") == &venue_binance);
	CHECK(venue_find(venues, "stub") == NULL); /* the built-in table is untouched */
	CHECK(feed_sink_find(my_sinks, "stub") == &feed_sink_stub);
	CHECK(feed_sink_find(feed_sinks, "stub") == NULL);
	/* every built-in is complete: no NULL where the pipeline calls */
	for (const struct venue *const *v = venues; *v; v++)
		CHECK((*v)->stream_ok && (*v)->subscribe_request && (*v)->classify &&
		      (*v)->scan_event_ms && (*v)->scan_send_ns && (*v)->scan_stream &&
		      (*v)->parser_new && (*v)->parser_free && (*v)->parse && (*v)->help);
	for (const struct feed_sink_ops *const *s = feed_sinks; *s; s++)
		CHECK((*s)->name && (*s)->help);
}

struct ctx {
	struct feed_sink *sink;
	int dones;
};

static void on_message(void *user, const struct feed_link_msg *m)
{
	struct ctx *c = user;

	feed_sink__message(c->sink, m);
}

static void on_done(void *user, int status, const char *why)
{
	(void)status, (void)why;
	((struct ctx *)user)->dones++;
}

/* The stub venue drives feed_link end to end into the stub sink. */
static void stubs_through_the_pipeline(void)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct fake_transport t;
	struct ctx c = {0};
	const char *streams[] = {"alpha", "beta"};
	const struct feed_link_opts o = {
	    .venue = venue_find(my_venues, "stub"), .streams = streams, .n_streams = 2,
	    .stamps = true, .max_gaps = 3};
	const struct feed_link_hooks h = {.user = &c, .on_message = on_message, .on_done = on_done};
	const struct feed_sink_conf sc = {.fd = -1, .venue = o.venue};
	struct feed_link *l;
	const char *in[] = {"alpha hello t=17", "NO #1 unknown stream", "beta world t=18",
			    "OK #1"};
	struct lat_stamps st = {0};

	fake_transport_init(&t, false);
	REQUIRE(feed_sink__open(&c.sink, feed_sink_find(my_sinks, "stub"), &sc) == 0);
	REQUIRE(feed_link__new(&l, loop, &o, &h, &t.t) == 0);
	feed_link__start(l);
	feed_link__on_open(l, false, false);
	CHECKF(t.sent_len == 17 && memcmp(t.sent, "SUB alpha beta #1", 17) == 0, "sent '%.*s'",
	       (int)t.sent_len, t.sent);
	for (size_t i = 0; i < 4; i++)
		feed_link__on_kernel_msg(l, WS_OP_TEXT, (const uint8_t *)in[i], strlen(in[i]), &st);
	CHECK(feed_sink__flush(c.sink) == 0);
	REQUIRE(stub_sink_seen != NULL);
	/* the refusal was the reply; "OK #1" after it is data (one request) */
	CHECK(stub_sink_seen->n == 3);
	CHECK(strcmp(stub_sink_seen->last[0], "alpha hello t=17") == 0 &&
	      strcmp(stub_sink_seen->stream[0], "alpha") == 0 && stub_sink_seen->event_ms[0] == 17);
	CHECK(strcmp(stub_sink_seen->last[1], "beta world t=18") == 0 &&
	      strcmp(stub_sink_seen->stream[1], "beta") == 0 && stub_sink_seen->event_ms[1] == 18);
	CHECK(strcmp(stub_sink_seen->last[2], "OK #1") == 0);
	CHECK(stub_sink_seen->flushes == 1);
	feed_link__free(l);
	feed_sink__close(c.sink);
	CHECK(stub_sink_seen->closed == 1);
	free(stub_sink_seen);
}

int main(void)
{
	RUN(tables_find_the_stubs);
	RUN(stubs_through_the_pipeline);
	return check_exit();
}

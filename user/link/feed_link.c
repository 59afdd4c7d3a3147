/* feed_link — one connection's delivery policy (see feed_link.h). */
#include "feed_link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fx_log.h"
#include "proto/ws_proto.h"
#include "deliver.h"
#include "link_transport.h"
#include "venue/venue.h"

/* The id our subscription request carries, to find its reply. */
#define FEED_LINK_SUB_ID 1

struct feed_link {
	struct ev_loop *loop;
	struct feed_link_opts o;
	struct feed_link_hooks h;
	struct link_transport *t;
	struct deliver *dl; /* XDP mode: the fast/shadow arbiter */
	char *sub_req;      /* the subscription request(s), built once */
	int sub_len;        /* all of them */
	size_t sub_n;       /* requests (venue.subscribe_max splits) */
	int *sub_lens;      /* each one's length, back to back in sub_req */
	/* venue.control: replies and refusals seen per path (0 kernel, 1
	 * fast), each reply counted once, by the path that saw it first */
	uint64_t ctl_replies[2], ctl_refused[2], controls;
	char *resub;        /* feed_link__resubscribe's requests, set up once */
	size_t resub_cap;
	uint64_t resubscribes;
	/* this connection */
	bool sub_pending_kernel, sub_pending_fast; /* its reply is still to come */
	bool reply_seen;
	bool discarding;   /* the kernel socket's bytes are dropped unread */
	bool reconnecting; /* a reconnect is scheduled: ignore the old one's end */
	bool violated;     /* we closed for the server's protocol error (reported) */
	bool done;
	bool closing; /* the user closed the link: nothing more is delivered */
	uint64_t fast_delivered; /* for desync_after: once over the whole run */
	/* all connections */
	uint64_t delivered;
	uint64_t by_path[FEED_PATH_SHADOW + 1]; /* of delivered, by the path */
	uint64_t replies, refused;
	uint64_t kernel_replies, kernel_reply_bytes; /* seen on the kernel socket */
	uint64_t mismatches;
	unsigned gaps;
	ev_timer reconnect;
	ev_timer lead;      /* tap: how long the shadow may hold messages */
	uint64_t lead_mark; /* fast-path messages when it was started */
};

const char *feed_path_name(enum feed_path p)
{
	switch (p) {
	case FEED_PATH_KERNEL:
		return "kernel";
	case FEED_PATH_FAST:
		return "fast";
	case FEED_PATH_SHADOW:
		return "shadow";
	}
	return "?";
}

/* Past --count, or closed by the user (a signal, a reader that went away):
 * what still arrives on either path is neither delivered nor compared. */
static bool feed_link__counted_out(const struct feed_link *l)
{
	return l->closing || (l->o.count && l->delivered >= l->o.count);
}

/* Every message that is delivered goes through here, from either path. */
static void feed_link__deliver(struct feed_link *l, enum feed_path path, uint8_t opcode,
			       const uint8_t *p, size_t n, const struct lat_stamps *in)
{
	const struct venue *v = l->o.venue;
	struct lat_stamps st = *in;
	struct feed_link_msg m = {
	    .p = p, .n = n, .opcode = opcode, .path = path, .index = l->delivered, .st = &st,
	};

	if (feed_link__counted_out(l))
		return; /* closing: what still arrives is beyond --count */
	if (l->o.stamps) {
		st.at[LAT_PT_HANDLER] = lat_stats_now_ns();
		st.send_ns = v->scan_send_ns(p, n);
		st.event_ms = v->scan_event_ms(p, n);
		/* ms, or us when the venue was asked for them (venue.precise_time_query) */
		st.event_ns = lat_stats_epoch_ns(st.event_ms);
		if (st.event_ms) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			st.real_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		}
	}
	m.stream_len = v->scan_stream(p, n, &m.stream);
	if (!m.stream_len)
		m.stream = NULL;
	l->delivered++;
	l->by_path[path]++;
	if (l->h.on_message)
		l->h.on_message(l->h.user, &m);
	if (l->o.count && l->delivered == l->o.count)
		l->t->ops->close(l->t, WS_CLOSE_NORMAL);
}

static bool feed_link__refused(struct feed_link *l, const uint8_t *p, size_t n);

/* venue.control: replies (one per request or per stream) and control
 * messages (the keepalive's answer, notices) at any time, on either path;
 * true when p is one (not delivered). */
static bool feed_link__control(struct feed_link *l, bool kernel, const uint8_t *p, size_t n)
{
	enum venue_reply r = l->o.venue->control(p, n);
	int i = kernel ? 0 : 1;

	if (r == VENUE_DATA)
		return false;
	if (kernel) {
		l->kernel_replies++;
		l->kernel_reply_bytes += n;
	}
	if (r == VENUE_CONTROL) {
		if (kernel || !l->dl || l->discarding)
			l->controls++; /* counted on one path */
		return true;
	}
	l->sub_pending_kernel = l->sub_pending_fast = false;
	if (++l->ctl_replies[i] <= l->replies)
		return true; /* the other path saw it first */
	l->replies++;
	if (r == VENUE_REPLY_ERROR && ++l->ctl_refused[i] > l->refused)
		return feed_link__refused(l, p, n);
	return true;
}

/* The subscription's reply, on either path: true when p is it (and is not
 * to be delivered). Both paths drop it so they number messages alike. */
static bool feed_link__is_reply(struct feed_link *l, bool *pending, const uint8_t *p, size_t n)
{
	enum venue_reply r;

	if (l->o.venue->control)
		return feed_link__control(l, pending == &l->sub_pending_kernel, p, n);
	if (!*pending)
		return false;
	r = l->o.venue->classify(p, n, FEED_LINK_SUB_ID);
	if (r == VENUE_DATA)
		return false;
	*pending = false;
	if (pending == &l->sub_pending_kernel) {
		l->kernel_replies++;
		l->kernel_reply_bytes += n;
	}
	if (l->reply_seen)
		return true; /* the other path saw it first */
	l->reply_seen = true;
	l->replies++;
	if (r == VENUE_REPLY_ERROR)
		return feed_link__refused(l, p, n);
	return true;
}

/* A refusal, seen first on this path. */
static bool feed_link__refused(struct feed_link *l, const uint8_t *p, size_t n)
{
	l->refused++;
	if (!l->o.url_streams) {
		/* nothing else can ever arrive on this connection */
		static char why[260];

		snprintf(why, sizeof(why), "subscription refused: %.*s",
			 (int)(n > 200 ? 200 : n), (const char *)p);
		l->t->ops->abort(l->t, -EPROTO, why);
		return true;
	}
	fx_log(FX_LOG_WARN, "subscription refused: %.*s (the URL's streams stay)",
	       (int)(n > 200 ? 200 : n), (const char *)p);
	return true;
}

void feed_link__on_open(struct feed_link *l, bool fast_decodes, bool discarding)
{
	struct link_transport *t = l->t;

	l->discarding = discarding;
	if (fast_decodes && discarding)
		deliver__no_compare(l->dl); /* no shadow will compare */
	if (l->sub_req) {
		const char *q = l->sub_req;

		for (size_t i = 0; i < l->sub_n; q += l->sub_lens[i++]) {
			int r = t->ops->send_text(t, q, (size_t)l->sub_lens[i]);

			if (r) {
				t->ops->abort(t, r, "cannot send the subscription request");
				return;
			}
		}
		l->sub_pending_kernel = !discarding;
		l->sub_pending_fast = t->has_fast;
	}
	if (l->h.on_open)
		l->h.on_open(l->h.user, t->ops->describe(t));
}

static void feed_link__flush_held(struct feed_link *l);

/* tap: the fast path must reach what the shadow holds within this; a fast
 * path that made no progress for that long is given up (the feed arrives
 * on another interface, or it is stuck). */
#define FEED_LINK_LEAD_S 0.05

/* Give the fast path up in favour of the held shadow messages. */
static void feed_link__lead_over(struct feed_link *l, const char *why)
{
	if (l->t->ops->fail_fast)
		l->t->ops->fail_fast(l->t, why);
	if (!deliver__failed_over(l->dl)) {
		deliver__fast_failed(l->dl);
		feed_link__flush_held(l);
	}
}

static void feed_link__lead_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct feed_link *l = w->data;
	struct deliver_stats ds;

	(void)loop, (void)revents;
	if (!l->dl || !deliver__held(l->dl) || deliver__failed_over(l->dl))
		return;
	deliver__stats(l->dl, &ds);
	if (ds.fast == l->lead_mark) {
		feed_link__lead_over(l, "the kernel socket has held messages for 50 ms that the "
					"fast path has not reached (tap transport: the frames do "
					"not reach it, or it is stuck)");
		return;
	}
	l->lead_mark = ds.fast; /* progress: give it another interval */
	ev_timer_set(&l->lead, FEED_LINK_LEAD_S, 0.);
	ev_timer_start(l->loop, &l->lead);
}

void feed_link__on_kernel_msg(struct feed_link *l, uint8_t opcode, const uint8_t *p, size_t n,
			      const struct lat_stamps *st)
{
	bool mismatch, was_failed;

	if (feed_link__counted_out(l))
		return; /* closing: neither path delivers or compares beyond --count */
	if (feed_link__is_reply(l, &l->sub_pending_kernel, p, n))
		return;
	if (!l->dl) {
		feed_link__deliver(l, FEED_PATH_KERNEL, opcode, p, n, st);
		return;
	}
	/* --transport tap: the kernel may be ahead of a healthy fast path;
	 * what it has, the ring has too: let the fast path take it first */
	if (deliver__shadow_leads(l->dl) && l->t->ops->catch_up)
		l->t->ops->catch_up(l->t);
	if (deliver__shadow_leads(l->dl)) {
		if (deliver__hold(l->dl, opcode, p, n, st) == 0) {
			if (!ev_is_active(&l->lead)) {
				struct deliver_stats ds;

				deliver__stats(l->dl, &ds);
				l->lead_mark = ds.fast;
				ev_timer_set(&l->lead, FEED_LINK_LEAD_S, 0.);
				ev_timer_start(l->loop, &l->lead);
			}
			return;
		}
		feed_link__lead_over(l, "the fast path fell too far behind the kernel socket (tap "
					"transport: the shadow's hold is full)");
	}
	was_failed = deliver__failed_over(l->dl);
	if (deliver__shadow(l->dl, p, n, &mismatch)) {
		if (!was_failed && l->t->ops->fail_fast) { /* the shadow got ahead */
			const char *known = l->t->ops->passed_why ? l->t->ops->passed_why(l->t)
								  : NULL;
			char why[320];

			snprintf(why, sizeof(why),
				 "the kernel socket received data the fast path never saw: XDP "
				 "passed the flow's frames to the kernel (%s)",
				 known ? known : "no AF_XDP socket on its RX queue, or the feed "
						 "arrives on another interface");
			l->t->ops->fail_fast(l->t, why);
		}
		feed_link__deliver(l, FEED_PATH_SHADOW, opcode, p, n, st);
	}
	if (mismatch && l->mismatches++ == 0)
		fx_log(FX_LOG_WARN, "warning: the kernel path decoded a different message than "
				    "the fast path (first mismatch)");
}

void feed_link__on_fast_msg(struct feed_link *l, uint8_t opcode, const uint8_t *p, size_t n,
			    const struct lat_stamps *st)
{
	if (opcode != WS_OP_TEXT && opcode != WS_OP_BINARY)
		return;
	if (!l->dl || feed_link__counted_out(l))
		return; /* closing: so the counts add up to what went out */
	if (feed_link__is_reply(l, &l->sub_pending_fast, p, n))
		return;
	if (!deliver__fast(l->dl, p, n))
		return;
	feed_link__deliver(l, FEED_PATH_FAST, opcode, p, n, st);
	if (l->o.desync_after && ++l->fast_delivered == l->o.desync_after &&
	    l->t->ops->force_desync)
		l->t->ops->force_desync(l->t);
}

/* Lead mode (--transport tap), after a failover: the shadow's messages
 * held for a fast path that will not reach them now, in order. */
static void feed_link__flush_held(struct feed_link *l)
{
	struct lat_stamps st;
	const uint8_t *p;
	uint8_t opcode;
	size_t n;

	while (deliver__pop_held(l->dl, &opcode, &p, &n, &st))
		feed_link__deliver(l, FEED_PATH_SHADOW, opcode, p, n, &st);
}

void feed_link__on_fast_failed(struct feed_link *l, const char *why, uint16_t violation)
{
	struct link_transport *t = l->t;
	struct deliver_stats ds;

	if (!l->dl || l->done)
		return; /* the connection is over: nothing left to take over */
	deliver__fast_failed(l->dl);
	deliver__stats(l->dl, &ds);
	if (violation && !l->discarding) {
		/* the server broke the protocol: the shadow, decoding the same
		 * bytes, closes with the code and says so, once */
		fx_log(FX_LOG_INFO, "fast path: %s; the kernel path ends the connection", why);
		return;
	}
	if (violation) {
		/* --shadow discard: no other decoder; close with the code */
		fx_log(FX_LOG_ERROR, "WebSocket protocol error from the server: %s (closed with %u)",
		       why, violation);
		l->violated = true;
		t->ops->close(t, violation);
		return;
	}
	if (l->o.discard && l->discarding) {
		l->gaps++;
		fx_log(FX_LOG_WARN,
		       "fast path stopped after %llu messages (%s); with --shadow discard nothing "
		       "can take over: reconnecting (gap %u: messages sent until the new "
		       "connection is up are missed)",
		       (unsigned long long)l->delivered, why, l->gaps);
		if (l->gaps > l->o.max_gaps) {
			fx_log(FX_LOG_WARN, "giving up after %u fast-path failures", l->gaps - 1);
			t->ops->abort(t, -EPROTO, "fast path keeps failing");
			return;
		}
		l->reconnecting = true;
		t->ops->abort(t, 0, NULL);
		ev_timer_set(&l->reconnect, 0., 0.);
		ev_timer_start(l->loop, &l->reconnect);
		return;
	}
	fx_log(FX_LOG_WARN,
	       "fast path stopped after %llu messages (%s); the kernel path delivers from "
	       "message %llu on",
	       (unsigned long long)ds.fast, why, (unsigned long long)ds.fast + 1);
	feed_link__flush_held(l);
}

void feed_link__on_done(struct feed_link *l, int status)
{
	const char *why = NULL;

	if (l->reconnecting)
		return; /* the reconnect timer takes it from here */
	if (l->done)
		return;
	/* tap: what the shadow holds is all there will be, once the fast
	 * path had the frames already copied for it */
	if (l->dl && l->t->shadow_leads && l->t->ops->catch_up)
		l->t->ops->catch_up(l->t);
	if (l->dl && deliver__held(l->dl))
		feed_link__lead_over(l, "the connection ended before the fast path reached the "
					"kernel socket's last messages");
	l->done = true;
	ev_timer_stop(l->loop, &l->reconnect);
	ev_timer_stop(l->loop, &l->lead);
	if (l->violated && status == 0)
		status = -EPROTO; /* an error end, already reported */
	else if (status)
		why = l->t->ops->error(l->t);
	if (l->h.on_done)
		l->h.on_done(l->h.user, status, why);
}

/* Discard mode after a fast-path failure: a new connection, at the loop's
 * next turn (outside the callbacks of the failed one). */
static void feed_link__reconnect_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct feed_link *l = w->data;
	struct link_transport *t = l->t;
	int r;

	(void)loop, (void)revents;
	r = t->ops->reset(t);
	l->reconnecting = false;
	if (r) {
		static char why[160];

		snprintf(why, sizeof(why), "cannot reconnect: %s", t->ops->error(t));
		l->done = true;
		if (l->h.on_done)
			l->h.on_done(l->h.user, r, why);
		return;
	}
	deliver__reset(l->dl);
	ev_timer_stop(l->loop, &l->lead);
	l->sub_pending_kernel = l->sub_pending_fast = false;
	l->reply_seen = false;
	l->ctl_replies[0] = l->ctl_replies[1] = l->replies;
	l->ctl_refused[0] = l->ctl_refused[1] = l->refused;
	l->discarding = false;
	t->ops->start(t);
}

int feed_link__new(struct feed_link **out, struct ev_loop *loop, const struct feed_link_opts *o,
		   const struct feed_link_hooks *h, struct link_transport *t)
{
	struct feed_link *l;
	int r = -ENOMEM;

	*out = NULL;
	if (!o->venue || !t)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->loop = loop;
	l->o = *o;
	l->h = *h;
	l->t = t;
	t->link = l;
	if (t->has_fast) {
		r = deliver__new(&l->dl, 0);
		if (r)
			goto err_free;
		/* tap transport: bounded, allocated once (docs/ARCHITECTURE.md) */
		if (t->shadow_leads && (r = deliver__allow_lead(l->dl, 8192, 8u << 20)) != 0) {
			deliver__free(l->dl);
			goto err_free;
		}
		r = -ENOMEM;
	}
	if (o->n_streams) {
		size_t max = o->venue->subscribe_max ? o->venue->subscribe_max : o->n_streams;
		size_t cap, len = 0;

		l->sub_n = (o->n_streams + max - 1) / max;
		cap = o->venue->subscribe_base * l->sub_n;
		for (size_t i = 0; i < o->n_streams; i++)
			cap += strlen(o->streams[i]) + o->venue->subscribe_per_stream;
		l->sub_req = malloc(cap);
		l->sub_lens = calloc(l->sub_n, sizeof(*l->sub_lens));
		if (!l->sub_req || !l->sub_lens)
			goto err_sub;
		for (size_t i = 0; i < l->sub_n; i++) {
			size_t k = i * max, m = o->n_streams - k < max ? o->n_streams - k : max;
			int w = o->venue->subscribe_request(o->streams + k, m, FEED_LINK_SUB_ID,
							    l->sub_req + len, cap - len);

			if (w < 0) {
				r = w;
				goto err_sub;
			}
			l->sub_lens[i] = w;
			len += (size_t)w;
		}
		l->sub_len = (int)len;
	}
	if (o->venue->unsubscribe_request && o->venue->control) {
		/* one stream of at most 200 bytes (the venues' stream_ok) */
		l->resub_cap = o->venue->subscribe_base + 200 + o->venue->subscribe_per_stream;
		l->resub = malloc(l->resub_cap);
		if (!l->resub)
			goto err_sub;
	}
	ev_timer_init(&l->reconnect, feed_link__reconnect_cb, 0., 0.);
	ev_timer_init(&l->lead, feed_link__lead_cb, 0., 0.);
	l->lead.data = l;
	l->reconnect.data = l;
	*out = l;
	return 0;

err_sub:
	free(l->resub);
	free(l->sub_lens);
	free(l->sub_req);
	deliver__free(l->dl);
err_free:
	t->link = NULL;
	free(l);
	return r;
}

void feed_link__start(struct feed_link *l)
{
	l->t->ops->start(l->t);
}

void feed_link__close(struct feed_link *l, uint16_t code)
{
	l->closing = true;
	if (l->reconnecting) {
		ev_timer_stop(l->loop, &l->reconnect);
		l->reconnecting = false;
		feed_link__on_done(l, 0);
		return;
	}
	l->t->ops->close(l->t, code);
}

void feed_link__abort(struct feed_link *l)
{
	if (l->reconnecting) {
		ev_timer_stop(l->loop, &l->reconnect);
		l->reconnecting = false;
		feed_link__on_done(l, 0);
		return;
	}
	l->t->ops->abort(l->t, 0, NULL);
}

void feed_link__stats(const struct feed_link *l, struct feed_link_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->delivered = l->delivered;
	st->replies = l->replies;
	st->refused = l->refused;
	st->kernel_replies = l->kernel_replies;
	st->kernel_reply_bytes = l->kernel_reply_bytes;
	st->gaps = l->gaps;
	st->controls = l->controls;
	st->resubscribes = l->resubscribes;
	st->has_fast = l->dl != NULL;
	if (l->dl) {
		struct deliver_stats ds;

		deliver__stats(l->dl, &ds);
		/* what the link handed on, so that fast + shadow == delivered */
		st->fast = l->by_path[FEED_PATH_FAST];
		st->shadow = l->by_path[FEED_PATH_SHADOW];
		st->compared = ds.compared;
		st->mismatched = ds.mismatched;
	}
}

struct link_transport *feed_link__transport(const struct feed_link *l)
{
	return l->t;
}

void feed_link__free(struct feed_link *l)
{
	if (!l)
		return;
	ev_timer_stop(l->loop, &l->reconnect);
	ev_timer_stop(l->loop, &l->lead);
	if (l->t)
		l->t->ops->free(l->t);
	deliver__free(l->dl);
	free(l->resub);
	free(l->sub_lens);
	free(l->sub_req);
	free(l);
}

int feed_link__resubscribe(struct feed_link *l, const char *stream)
{
	const struct venue *v = l->o.venue;
	struct link_transport *t = l->t;
	int n, r;

	if (!l->resub)
		return -ENOTSUP;
	if (!v->stream_ok(stream) || strlen(stream) > 200)
		return -EINVAL;
	if (l->done || l->closing || l->reconnecting)
		return -EPIPE;
	n = v->unsubscribe_request(&stream, 1, FEED_LINK_SUB_ID, l->resub, l->resub_cap);
	if (n < 0)
		return n;
	r = t->ops->send_text(t, l->resub, (size_t)n);
	if (r)
		return r;
	n = v->subscribe_request(&stream, 1, FEED_LINK_SUB_ID, l->resub, l->resub_cap);
	if (n < 0)
		return n;
	r = t->ops->send_text(t, l->resub, (size_t)n);
	if (r)
		return r;
	l->resubscribes++;
	return 0;
}

bool feed_link__has_stream(const struct feed_link *l, const char *stream)
{
	for (size_t i = 0; i < l->o.n_streams; i++)
		if (strcmp(l->o.streams[i], stream) == 0)
			return true;
	return false;
}

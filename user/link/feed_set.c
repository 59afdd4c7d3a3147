/* feed_set — many connections, one delivery (see feed_set.h). */
#include "feed_set.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fx_err.h"
#include "core/fx_log.h"
#include "feed/feed_event.h"
#include "feed/feed_msg.h"
#include "link_transport.h"
#include "backoff.h"
#include "pacer.h"
#include "shard.h"
#include "stream_merge.h"
#include "venue/venue.h"

#define FS_LOG_MAX 64   /* gaps and reconnects kept for the JSON report */
#define FS_WHY_MAX 200
#define FS_HOLD_BYTES (4u << 20) /* a replacement's held copies, at most */
#define FS_HOLD_MAX 32768

struct fs_slot;
struct fs_held;

struct fs_conn {
	struct feed_set *s;
	struct fs_slot *slot;
	struct feed_set_conn_info info;
	struct feed_link *link;
	struct fs_conn *next_all; /* every connection not yet freed */
	bool open, ended, retiring, detached;
	bool rotate_asked;        /* by serverShutdown / the watchdog / a timer */
	double up_since;          /* ev_now at open, -1 before */
	uint64_t up_ns;
	uint64_t *last_seen;      /* per merge stream: ns of the last copy, 0 never */
	uint8_t *moved;           /* replacement: per merge stream, overlap seen */
	size_t n_moved;
	uint64_t delivered, dups;
	ev_timer rotate_timer;
	/* a replacement ahead of the old connection: copies held (fs_hold) */
	uint8_t *hold_buf;
	size_t hold_len, n_hold;
	struct fs_held *hold;
	uint8_t *held;        /* per merge stream: copies are held */
	uint64_t *flush_at;   /* ... follow once the delivered edge reaches this */
	bool hold_full;
	size_t n_pending;   /* held copies not yet delivered */
	ev_timer hold_timer; /* A/B: how long a hole waits for the other leg */
};

struct fs_slot {
	struct feed_set *s;
	unsigned no, leg;
	size_t url;
	const char *const *streams;
	size_t n_streams;
	int *idx; /* merge index of each subscribed stream */
	struct fs_conn *cur, *next;
	struct backoff bo;
	ev_timer retry;  /* the next attempt (reconnect, or a paced replacement) */
	ev_timer grace;  /* a rotation's limit on waiting for overlaps */
	bool ever_open, finished, want_rotate;
	const char *rotate_why;
	uint64_t reconnects;
};

struct fs_gap_rec {
	char stream[STREAM_MERGE_NAME_MAX];
	uint64_t first, last;
	unsigned conn;
};

struct fs_rec {
	unsigned slot, conn;
	char why[FS_WHY_MAX];
};

struct feed_set {
	struct ev_loop *loop;
	struct feed_set_opts o;
	struct feed_set_hooks h;
	struct fs_slot *slots;
	size_t n_slots;
	struct stream_merge *merge;
	size_t max_streams;
	void *parser;
	struct pacer conn_pacer;
	struct fs_conn *all;
	ev_timer reap; /* a 0 s timer: runs even while other feeds keep the loop busy */
	ev_timer watchdog;
	unsigned next_id, live;
	bool closing, done;
	int status;
	char why[300];
	struct feed_set_stats st;
	struct fs_gap_rec gaps[FS_LOG_MAX];
	struct fs_rec recs[FS_LOG_MAX];
	unsigned n_gaps_log, n_recs_log;
};

static uint64_t fs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- status events ------------------------------------------------------ */

__attribute__((format(printf, 7, 8))) static void fs_status(struct feed_set *s,
							    enum feed_status kind, unsigned conn,
							    const char *stream, uint64_t first,
							    uint64_t last, const char *fmt, ...)
{
	struct feed_event e;
	char text[512];
	va_list ap;
	size_t n = stream ? strlen(stream) : 0;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(&e, 0, sizeof(e));
	e.type = FEED_EV_STATUS;
	e.venue = s->o.venue->name;
	e.recv_ns = fs_now_ns();
	if (n > FEED_SYMBOL_MAX)
		n = FEED_SYMBOL_MAX;
	memcpy(e.symbol, stream ? stream : "", n);
	e.symbol_len = (uint8_t)n;
	e.status.kind = (uint16_t)kind;
	e.status.conn = conn;
	e.status.first_id = first;
	e.status.last_id = last;
	e.status.text = text;
	if (s->h.on_status)
		s->h.on_status(s->h.user, &e);
}

static void fs_log_rec(struct feed_set *s, const struct fs_conn *c, const char *why)
{
	struct fs_rec *r = &s->recs[s->n_recs_log++ % FS_LOG_MAX];

	r->slot = c->info.slot;
	r->conn = c->info.id;
	snprintf(r->why, sizeof(r->why), "%s", why ? why : "");
}

/* ---- connections ---------------------------------------------------------- */

static void fs_check_done(struct feed_set *s);
static void fs_flush_held(struct fs_conn *nw, int idx);
static void fs_edge_moved(struct fs_conn *c, int idx);
static struct fs_conn *fs_peer(const struct fs_slot *sl);
static void fs_slot_schedule(struct fs_slot *sl, double at);
static void fs_rotate_begin(struct fs_slot *sl, const char *why);

static void fs_conn_free(struct fs_conn *c)
{
	ev_timer_stop(c->s->loop, &c->rotate_timer);
	ev_timer_stop(c->s->loop, &c->hold_timer);
	feed_link__free(c->link);
	free(c->last_seen);
	free(c->moved);
	free(c->hold_buf);
	free(c->hold);
	free(c->held);
	free(c->flush_at);
	free(c);
}

/* Ended connections that nothing points at, freed outside their callbacks. */
static void fs_reap_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct feed_set *s = w->data;
	struct fs_conn **pp = &s->all;

	(void)revents;
	(void)loop, (void)w;
	while (*pp) {
		struct fs_conn *c = *pp;

		if (c->ended && c->detached) {
			*pp = c->next_all;
			fs_conn_free(c);
		} else {
			pp = &c->next_all;
		}
	}
}

static void fs_detach(struct fs_conn *c)
{
	c->detached = true;
	if (c->ended)
		if (!ev_is_active(&c->s->reap))
			ev_timer_start(c->s->loop, &c->s->reap);
}

/* When a connection's rotation is due: rotate_after from its open, or the
 * next --rotate-at time of day when that comes first. */
static double fs_rotate_delay(const struct feed_set *s, const struct fs_conn *c)
{
	double d = s->o.rotate_after;

	if (s->o.rotate_at_min >= 0) {
		time_t now = time(NULL);
		long sod = (long)(now % 86400), at = s->o.rotate_at_min * 60L;
		double until = (double)((at - sod + 86400) % 86400);

		if (until < 60)
			until += 86400; /* just rotated at that time */
		if (d <= 0 || until < d)
			d = until;
	}
	/* spread slots so that they do not all rotate in the same second;
	 * earlier, never later (the exchange's cut comes at a fixed age) */
	if (d > 0) {
		double spread = (double)(c->info.slot - 1) * 2.0;

		d -= spread < d / 10 ? spread : d / 10;
	}
	return d > 0 ? d : 0;
}

static void fs_rotate_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fs_conn *c = w->data;

	(void)loop, (void)revents;
	if (c->slot->cur == c && !c->ended)
		fs_rotate_begin(c->slot, "scheduled rotation");
}

static void fs_on_open(void *user, const char *describe)
{
	struct fs_conn *c = user;
	struct feed_set *s = c->s;
	struct fs_slot *sl = c->slot;
	double d;

	c->open = true;
	c->up_since = ev_now(s->loop);
	c->up_ns = fs_now_ns();
	s->st.opens++;
	if (s->h.on_open)
		s->h.on_open(s->h.user, &c->info, describe);
	if (c->info.replacement) {
		fs_status(s, FEED_STATUS_CONNECTED, c->info.id, NULL, 0, 0,
			  "conn %u (slot %u%s): replacement up (%s); moving its streams over",
			  c->info.id, sl->no, sl->leg ? " B" : "", describe);
		/* a stalled old connection will not catch up: wait for overlaps
		 * no longer than the watchdog's own limit */
		double g = s->o.rotate_grace;

		if (sl->rotate_why && strcmp(sl->rotate_why, "stale stream") == 0 &&
		    (g <= 0 || s->o.stale_s < g))
			g = s->o.stale_s;
		if (g > 0) {
			ev_timer_set(&sl->grace, g, 0.);
			ev_timer_start(s->loop, &sl->grace);
		}
	} else {
		fs_status(s, FEED_STATUS_CONNECTED, c->info.id, NULL, 0, 0,
			  "conn %u (slot %u%s): %s (%s)", c->info.id, sl->no, sl->leg ? " B" : "",
			  sl->ever_open ? "reconnected" : "connected", describe);
	}
	sl->ever_open = true;
	d = fs_rotate_delay(s, c);
	if (d > 0) {
		ev_timer_set(&c->rotate_timer, d, 0.);
		ev_timer_start(s->loop, &c->rotate_timer);
	}
}

/* Whether a connection's end is worth another attempt. */
static bool fs_retryable(const struct fs_slot *sl, int status, const char *why, bool refusal)
{
	if (status == 0)
		return false; /* the server ended the feed normally (1000), or we did */
	if (!why)
		return false; /* the link already reported it: a protocol violation */
	if (why && (strstr(why, "WebSocket protocol error") || strstr(why, "subscription refused") ||
		    strstr(why, "certificate")))
		return false; /* the same would happen again */
	if (!sl->ever_open && !refusal)
		return false; /* never came up: the configuration, not the network */
	return true;
}

static void fs_fail(struct feed_set *s, int status, const char *why)
{
	if (s->status == 0 && status) {
		s->status = status;
		snprintf(s->why, sizeof(s->why), "%s", why ? why : "");
	}
}

/* The old connection of a rotation steps down: the replacement is the slot's. */
static void fs_retire(struct fs_slot *sl, const char *how)
{
	struct feed_set *s = sl->s;
	struct fs_conn *old = sl->cur, *nw = sl->next;

	ev_timer_stop(s->loop, &sl->grace);
	if (nw->n_pending && s->o.legs > 1 && s->o.ab_wait > 0 && fs_peer(sl)) {
		/* the other leg may still bring what lies between the edge and
		 * the held copies: they wait for it as an A/B hole does */
		if (!ev_is_active(&nw->hold_timer)) {
			ev_timer_set(&nw->hold_timer, s->o.ab_wait, 0.);
			ev_timer_start(s->loop, &nw->hold_timer);
		}
	} else {
		fs_flush_held(nw, -1); /* what is still held follows on (gaps reported) */
	}
	sl->cur = nw;
	sl->next = NULL;
	sl->want_rotate = false;
	s->st.rotations++;
	fs_status(s, FEED_STATUS_ROTATED, nw->info.id, NULL, 0, 0,
		  "conn %u (slot %u%s): rotated to conn %u (%s; %s)", old ? old->info.id : 0, sl->no,
		  sl->leg ? " B" : "", nw->info.id, sl->rotate_why ? sl->rotate_why : "rotation",
		  how);
	nw->info.replacement = false;
	if (old) {
		old->retiring = true;
		fs_detach(old);
		if (!old->ended)
			feed_link__close(old->link, 1000);
	}
}

/* Streams the old connection carried that have not overlapped on the new
 * one; only streams with ids count (an id-less one can never show it). */
static size_t fs_unmoved(const struct feed_set *s, const struct fs_conn *old,
			 const struct fs_conn *nw, size_t n)
{
	struct merge_stream_stats st;
	size_t missing = 0;

	for (size_t i = 0; i < n; i++) {
		if (!old->last_seen[i] || nw->moved[i])
			continue;
		stream_merge__stats(s->merge, (int)i, &st);
		if (st.has_last)
			missing++;
	}
	return missing;
}

/* Every stream the old connection carried has been seen on both. */
static void fs_rotate_check(struct fs_slot *sl)
{
	struct fs_conn *old = sl->cur, *nw = sl->next;
	size_t n = stream_merge__count(sl->s->merge), missing;

	if (!old || !nw || !nw->open)
		return;
	missing = fs_unmoved(sl->s, old, nw, n);
	if (!missing)
		fs_retire(sl, "every stream overlapped");
}

static void fs_grace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fs_slot *sl = w->data;
	struct fs_conn *old = sl->cur, *nw = sl->next;
	size_t n = stream_merge__count(sl->s->merge), missing;
	char how[160];

	(void)loop, (void)revents;
	if (!old || !nw)
		return;
	missing = fs_unmoved(sl->s, old, nw, n);
	snprintf(how, sizeof(how), "%zu stream%s without an overlap after %g s: moved anyway, "
		 "gaps are still found by their ids", missing, missing == 1 ? "" : "s",
		 sl->s->o.rotate_grace);
	fs_retire(sl, how);
}

static void fs_on_done(void *user, int status, const char *why)
{
	struct fs_conn *c = user;
	struct feed_set *s = c->s;
	struct fs_slot *sl = c->slot;
	double now = ev_now(s->loop), retry_after = backoff_parse_retry_after(why), at;
	bool refusal = why && (strstr(why, "answered 429") || strstr(why, "answered 418"));
	char line[FS_WHY_MAX];

	c->ended = true;
	ev_timer_stop(s->loop, &c->rotate_timer);
	if (c->n_pending && !c->info.replacement)
		fs_flush_held(c, -1); /* A/B: what this leg held goes out (gaps reported) */
	stream_merge__source_gone(s->merge, c->info.id);
	s->live--;
	if (c->detached || (sl->cur != c && sl->next != c)) {
		fs_detach(c); /* a rotated-away connection, done */
		fs_check_done(s);
		return;
	}
	if (refusal)
		s->st.refusals++;
	snprintf(line, sizeof(line), "%s", why ? why : status ? fx_strerror(status) : "closed");
	if (sl->next == c) {
		/* the replacement failed: the old connection carries on */
		sl->next = NULL;
		ev_timer_stop(s->loop, &sl->grace);
		fs_detach(c);
		if (!s->closing && sl->cur && !sl->cur->ended) {
			if (retry_after >= 0)
				backoff__retry_after(&sl->bo, now, retry_after);
			at = backoff__failed(&sl->bo, now, -1);
			fs_status(s, FEED_STATUS_DISCONNECTED, c->info.id, NULL, 0, 0,
				  "conn %u (slot %u%s): replacement failed: %s; the old connection "
				  "stays, next try in %.1f s", c->info.id, sl->no, sl->leg ? " B" : "",
				  line, at - now);
			sl->want_rotate = true;
			fs_slot_schedule(sl, at);
		}
		fs_check_done(s);
		return;
	}
	/* the slot's connection ended */
	if (sl->next && !sl->next->ended) {
		/* mid-rotation: the replacement takes over now */
		fs_detach(c);
		fs_retire(sl, "the old connection ended first");
		fs_check_done(s);
		return;
	}
	if (s->closing || !s->o.reconnect || !fs_retryable(sl, status, why, refusal)) {
		sl->finished = true;
		if (status && !s->closing)
			fs_fail(s, status, why);
		/* something that will fail again everywhere ends the run */
		if (status && !s->closing && s->o.reconnect)
			feed_set__close(s);
		fs_check_done(s);
		return;
	}
	/* reconnect */
	if (retry_after >= 0)
		backoff__retry_after(&sl->bo, now, retry_after);
	at = backoff__failed(&sl->bo, now, c->open ? c->up_since : -1);
	s->st.reconnects++;
	sl->reconnects++;
	fs_log_rec(s, c, line);
	{
		char streams[200] = "";
		size_t k;

		for (k = 0; k < sl->n_streams && strlen(streams) < 150; k++)
			snprintf(streams + strlen(streams), sizeof(streams) - strlen(streams), "%s%s",
				 k ? "," : "", sl->streams[k]);
		if (k < sl->n_streams)
			snprintf(streams + strlen(streams), sizeof(streams) - strlen(streams),
				 ",... (%zu)", sl->n_streams);
		fs_status(s, FEED_STATUS_DISCONNECTED, c->info.id, NULL, 0, 0,
			  "conn %u (slot %u%s) lost after %llu messages: %s; reconnecting in %.1f "
			  "s%s%s%s", c->info.id, sl->no, sl->leg ? " B" : "",
			  (unsigned long long)c->delivered, line, at - now,
			  retry_after >= 0 ? " (Retry-After honoured)" : "",
			  streams[0] ? "; streams " : "", streams);
	}
	sl->cur = NULL;
	fs_detach(c);
	fs_slot_schedule(sl, at);
}

/* The stream a message belongs to, as the merge names it: the envelope's
 * stream, else symbol@event, else the URL (raw streams). */
static size_t fs_stream_key(const struct fs_conn *c, const struct feed_link_msg *m,
			    const struct feed_msg *fm, bool parsed, char *buf, size_t cap)
{
	int n;

	if (m->stream && m->stream_len && m->stream_len < cap) {
		memcpy(buf, m->stream, m->stream_len);
		return m->stream_len;
	}
	if (parsed && fm->symbol.ptr && (fm->event.ptr || fm->type != FEED_MSG_UNKNOWN)) {
		/* as subscribed: depthUpdate arrives on <symbol>@depth */
		bool depth = fm->type == FEED_MSG_DEPTH;
		/* a whole book on a stream of its own (Binance SBE @depth20) is not
		 * the diff stream: another key, so their ids never meet */
		const char *ev = depth ? ((fm->fields & FEED_F_SNAPSHOT) ? "depth-snapshot" : "depth")
				 : fm->event.ptr ? fm->event.ptr
						 : feed_msg_type_name(fm->type);
		int evlen = fm->event.ptr && !depth ? (int)fm->event.len : (int)strlen(ev);
		size_t k = 0;

		for (uint32_t i = 0; i < fm->symbol.len && k + 1 < cap; i++) {
			char ch = fm->symbol.ptr[i];

			buf[k++] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
		}
		n = snprintf(buf + k, cap - k, "@%.*s", evlen, ev);
		return n > 0 && k + (size_t)n < cap ? k + (size_t)n : 0;
	}
	n = snprintf(buf, cap, "url%zu", c->info.url);
	return n > 0 ? (size_t)n : 0;
}

/* Which id the merge matches a message by, and whether a jump in it is a
 * gap: trades when the venue's trade ids count up by one; depth by the
 * venue's book rule (U = previous u + 1, pu / prevSeqId = previous u,
 * u = previous u + 1); an in-stream snapshot and bookTicker only order
 * copies. An id of 0 is no id. */
static void fs_merge_in(const struct venue *v, const struct feed_msg *fm, bool parsed,
			struct merge_in *in)
{
	in->has_id = false;
	in->chained = false;
	if (!parsed)
		return;
	switch (fm->type) {
	case FEED_MSG_TRADE:
	case FEED_MSG_AGG_TRADE:
		in->has_id = fm->id != 0;
		in->chained = v->trade_ids_contiguous;
		in->first = in->last = fm->id;
		if (fm->trades && fm->n_trades) { /* a batch (SBE, OKX, Bybit): its range */
			in->first = fm->trades[0].id;
			in->last = fm->trades[fm->n_trades - 1].id;
			in->has_id = in->first && in->last >= in->first;
		}
		break;
	case FEED_MSG_BOOK_TICKER:
		in->has_id = fm->id != 0;
		in->first = in->last = fm->id; /* the book's update id: no chain */
		break;
	case FEED_MSG_DEPTH:
		in->has_id = fm->last_id != 0;
		in->last = fm->last_id;
		in->first = fm->first_id ? fm->first_id : fm->last_id;
		if (fm->fields & FEED_F_SNAPSHOT)
			break; /* a whole book: it starts a chain, it does not continue one */
		switch (v->book_rule) {
		case VENUE_BOOK_BINANCE_SPOT:
			in->chained = fm->first_id != 0;
			break;
		case VENUE_BOOK_BINANCE_USDM:
		case VENUE_BOOK_PREV_ID:
			/* the previous u must be the last delivered one */
			in->chained = (fm->fields & FEED_F_PREV_ID) != 0;
			in->first = fm->prev_id + 1;
			break;
		case VENUE_BOOK_PLUS_ONE:
			in->chained = true;
			in->first = fm->last_id;
			break;
		default:
			break;
		}
		break;
	default:
		break;
	}
}

static int fs_leg_of(const struct feed_set *s, unsigned id)
{
	for (size_t i = 0; i < s->n_slots; i++) {
		const struct fs_slot *sl = &s->slots[i];

		if ((sl->cur && sl->cur->info.id == id) || (sl->next && sl->next->info.id == id))
			return (int)sl->leg;
	}
	return -1;
}

static bool fs_is_shutdown(const struct feed_msg *fm, bool parsed, const char *key, size_t klen)
{
	static const char ev[] = "serverShutdown";

	if (klen == sizeof(ev) && key[0] == '!' && memcmp(key + 1, ev, sizeof(ev) - 1) == 0)
		return true;
	return parsed && fm->event.ptr && fm->event.len == sizeof(ev) - 1 &&
	       memcmp(fm->event.ptr, ev, sizeof(ev) - 1) == 0;
}

/* One copy through the merge and, when it is the first, to the user. */
static enum merge_verdict fs_deliver(struct fs_conn *c, const struct feed_link_msg *m, int idx,
				     const struct merge_in *in)
{
	struct feed_set *s = c->s;
	struct fs_slot *sl = c->slot;
	struct merge_out out = {0};
	enum merge_verdict v = MERGE_DELIVER;

	if (s->done || (s->o.count && s->st.delivered >= s->o.count))
		return MERGE_DUP; /* past --count: nothing more goes out */
	if (idx < 0)
		s->st.unmerged++; /* more streams than the merge holds: delivered as is */
	else
		v = stream_merge__offer(s->merge, idx, in, &out);
	if (v == MERGE_NOT_OWNER) {
		s->st.not_owner++;
		return v;
	}
	if (v == MERGE_DUP) {
		s->st.dups++;
		c->dups++;
		s->st.leg[sl->leg].dups++;
		if (out.lead_known && s->o.legs > 1) {
			int wl = fs_leg_of(s, out.winner);

			if (wl >= 0 && wl != (int)sl->leg)
				lat_hist__record(&s->st.leg[wl].lead, out.lead_ns);
		}
		return v;
	}
	if (out.gap_first) {
		struct fs_gap_rec *g = &s->gaps[s->st.gaps % FS_LOG_MAX];

		s->st.gaps++;
		s->st.missed += out.gap_last - out.gap_first + 1;
		snprintf(g->stream, sizeof(g->stream), "%s", stream_merge__name(s->merge, idx));
		g->first = out.gap_first;
		g->last = out.gap_last;
		g->conn = c->info.id;
		s->n_gaps_log++;
		fs_status(s, FEED_STATUS_GAP, c->info.id, g->stream, out.gap_first, out.gap_last,
			  "gap on %s: ids %llu..%llu (%llu) missed, seen by conn %u (slot %u%s)",
			  g->stream, (unsigned long long)out.gap_first,
			  (unsigned long long)out.gap_last,
			  (unsigned long long)(out.gap_last - out.gap_first + 1), c->info.id,
			  sl->no, sl->leg ? " B" : "");
	}
	s->st.delivered++;
	c->delivered++;
	s->st.leg[sl->leg].delivered++;
	if (m->path == FEED_PATH_FAST)
		s->st.fast++;
	else if (m->path == FEED_PATH_SHADOW)
		s->st.shadow++;
	if (s->h.on_message) {
		const struct feed_set_msg sm = {
		    .m = m, .conn = &c->info, .stream = idx >= 0 ? stream_merge__name(s->merge, idx) : NULL};

		s->h.on_message(s->h.user, &sm);
	}
	if (s->o.count && s->st.delivered == s->o.count)
		feed_set__close(s);
	return v;
}

/* ---- a rotation's replacement ahead of the old connection ----------------
 * A replacement whose first copy of a stream is beyond the delivered edge
 * (it is ahead of the old connection) must not be delivered yet: the old one
 * has the messages in between still to come. Its copies of that stream are
 * held (a bounded arena per replacement) until the old connection has
 * delivered up to the first held one; then they go through the merge in
 * order and the stream has moved. A stream whose ids do not chain
 * (bookTicker's u) moves only on an overlap: the old connection delivers an
 * id the replacement holds too, since no id says what lies in between. */

struct fs_held {
	uint32_t off, len;
	int idx;
	uint8_t opcode, path;
	bool done;
	struct merge_in in;
	struct lat_stamps st;
};

static void fs_mark_moved(struct fs_conn *nw, int idx)
{
	if (!nw->moved[idx]) {
		nw->moved[idx] = 1;
		nw->n_moved++;
	}
}

/* The connections that can carry c's streams: its slot's current one and
 * rotation, and with A/B the other leg's (NULL where there is none). */
static void fs_carriers(const struct fs_conn *c, struct fs_conn *cand[4])
{
	const struct feed_set *s = c->s;
	const struct fs_slot *sl = c->slot, *o;

	cand[0] = sl->cur;
	cand[1] = sl->next;
	cand[2] = cand[3] = NULL;
	if (s->o.legs > 1) {
		o = &s->slots[(sl->no - 1 + s->n_slots / 2) % s->n_slots];
		cand[2] = o->cur;
		cand[3] = o->next;
	}
}

/* Before nw's held copies of idx go out past a hole, any other connection
 * holding copies of idx from further back (a rotation's replacement of the
 * other leg, waiting for its own stalled connection) lets them go first:
 * they fill what would otherwise be reported missing. */
static void fs_flush_lower(struct fs_conn *nw, int idx)
{
	struct fs_conn *cand[4];

	fs_carriers(nw, cand);
	for (int i = 0; i < 4; i++) {
		struct fs_conn *h = cand[i];

		if (!h || h == nw || !h->held || !h->held[idx] ||
		    h->flush_at[idx] >= nw->flush_at[idx])
			continue;
		fs_flush_held(h, idx);
		fs_mark_moved(h, idx);
	}
}

/* The held copies of stream idx (every stream for idx < 0), in order. */
static void fs_flush_held(struct fs_conn *nw, int idx)
{
	if (idx >= 0 && nw->held && nw->held[idx])
		fs_flush_lower(nw, idx);
	for (size_t i = 0; idx < 0 && nw->held && i < nw->s->max_streams; i++)
		if (nw->held[i])
			fs_flush_lower(nw, (int)i);
	for (size_t i = 0; i < nw->n_hold; i++) {
		struct fs_held *h = &nw->hold[i];
		struct feed_link_msg m = {0};

		if (h->done || (idx >= 0 && h->idx != idx))
			continue;
		h->done = true;
		nw->n_pending--;
		m.p = nw->hold_buf + h->off;
		m.n = h->len;
		m.opcode = h->opcode;
		m.path = (enum feed_path)h->path;
		m.stream = stream_merge__name(nw->s->merge, h->idx);
		m.stream_len = strlen(m.stream);
		m.st = &h->st;
		if (fs_deliver(nw, &m, h->idx, &h->in) == MERGE_DELIVER)
			fs_edge_moved(nw, h->idx);
	}
	if (idx >= 0)
		nw->held[idx] = 0;
	else if (nw->held)
		memset(nw->held, 0, nw->s->max_streams);
	if (!nw->n_pending) { /* all out: the arena starts over */
		nw->n_hold = nw->hold_len = 0;
		ev_timer_stop(nw->s->loop, &nw->hold_timer);
	}
}

/* A replacement's copy of a stream that has not moved: true when it is
 * held; false to deliver it (the stream has moved, or holding is over). */
static bool fs_hold(struct fs_conn *nw, const struct feed_link_msg *m, int idx,
		    const struct merge_in *in)
{
	struct feed_set *s = nw->s;
	uint64_t last;
	struct fs_held *h;

	if (!stream_merge__last(s->merge, idx, &last) || in->last <= last ||
	    ((!nw->held || !nw->held[idx]) && in->chained && in->first <= last + 1)) {
		/* nothing delivered yet, at or behind the edge, or contiguous
		 * with it: from here the replacement's copies follow on */
		if (nw->held && nw->held[idx])
			fs_flush_held(nw, idx);
		fs_mark_moved(nw, idx);
		return false;
	}
	if (!nw->hold) {
		nw->hold_buf = malloc(FS_HOLD_BYTES);
		nw->hold = calloc(FS_HOLD_MAX, sizeof(*nw->hold));
		nw->held = calloc(s->max_streams, 1);
		nw->flush_at = calloc(s->max_streams, sizeof(*nw->flush_at));
		if (!nw->hold_buf || !nw->hold || !nw->held || !nw->flush_at)
			nw->hold_full = true;
	}
	if (nw->hold_full || nw->n_hold == FS_HOLD_MAX || nw->hold_len + m->n > FS_HOLD_BYTES) {
		/* no room: what is held goes now; the merge reports any gap */
		nw->hold_full = true;
		if (nw->held && nw->held[idx])
			fs_flush_held(nw, idx);
		fs_mark_moved(nw, idx);
		return false;
	}
	h = &nw->hold[nw->n_hold++];
	memcpy(nw->hold_buf + nw->hold_len, m->p, m->n);
	h->off = (uint32_t)nw->hold_len;
	h->len = (uint32_t)m->n;
	nw->hold_len += m->n;
	h->idx = idx;
	h->opcode = m->opcode;
	h->path = (uint8_t)m->path;
	h->done = false;
	h->in = *in;
	h->st = *m->st;
	nw->n_pending++;
	if (!nw->held[idx]) {
		nw->held[idx] = 1;
		/* chained: the edge must reach the id before the first held one
		 * (contiguous from there); else the old connection must deliver
		 * an id the replacement holds too (an overlap: nothing between) */
		nw->flush_at[idx] = in->chained ? (in->first ? in->first - 1 : 0) : in->first;
	}
	s->st.held++;
	return true;
}

/* The old connection delivered on idx: the replacement's held copies of it
 * follow on once the edge reaches them. */
static void fs_old_advanced(struct fs_conn *nw, int idx)
{
	uint64_t last;

	if (!nw->held || !nw->held[idx] || !stream_merge__last(nw->s->merge, idx, &last) ||
	    last < nw->flush_at[idx])
		return;
	fs_flush_held(nw, idx);
	fs_mark_moved(nw, idx);
}

/* A/B: the other leg's live connection for the same streams, or NULL. */
static struct fs_conn *fs_peer(const struct fs_slot *sl)
{
	const struct feed_set *s = sl->s;
	size_t half = s->n_slots / 2;
	const struct fs_slot *o = &s->slots[(sl->no - 1 + half) % s->n_slots];
	struct fs_conn *p = o->cur;

	return p && p->open && !p->ended ? p : NULL;
}

/* A/B hole filling: a copy that jumps past the delivered edge while the
 * other leg is up waits (at most ab_wait) for the other leg to bring what is
 * in between, then follows in order; what never comes is a gap, reported.
 * A stream whose ids do not chain (bookTicker) shows no hole, so only a
 * connection's first copies ahead of the edge wait (a leg back from a
 * reconnect, while the other leg still brings what was sent before it
 * came): until the other leg delivers an id this one holds (an overlap),
 * or ab_wait; from then on its copies are first arrivals or duplicates. */
static void fs_hold_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fs_conn *c = w->data;

	(void)loop, (void)revents;
	for (size_t i = 0; c->held && i < c->s->max_streams; i++)
		if (c->held[i])
			fs_mark_moved(c, (int)i); /* waited long enough: it leads now */
	fs_flush_held(c, -1);
}

static void fs_ab_message(struct fs_conn *c, const struct feed_link_msg *m, int idx,
			  const struct merge_in *in)
{
	struct feed_set *s = c->s;
	struct fs_conn *peer = fs_peer(c->slot);
	enum merge_verdict v;

	if (peer && s->o.ab_wait > 0 && (in->chained || !c->moved[idx]) && fs_hold(c, m, idx, in)) {
		if (!ev_is_active(&c->hold_timer)) {
			ev_timer_set(&c->hold_timer, s->o.ab_wait, 0.);
			ev_timer_start(s->loop, &c->hold_timer);
		}
		return;
	}
	v = fs_deliver(c, m, idx, in);
	if (v == MERGE_DELIVER)
		fs_edge_moved(c, idx); /* the other leg's held copies may follow now */
}

/* The delivered edge of stream idx moved (a copy from c went out): every
 * other connection that carries the stream and holds copies of it (this
 * slot's rotation, the other leg's connection and its rotation) lets them
 * follow once the edge reaches them, whoever moved it. Otherwise a
 * replacement whose old connection stalled keeps copies the other leg's
 * edge has reached, and a hole the other leg then finds is reported as a
 * gap although those copies were at hand. */
static void fs_edge_moved(struct fs_conn *c, int idx)
{
	struct fs_conn *cand[4];

	if (idx < 0)
		return;
	fs_carriers(c, cand);
	for (int i = 0; i < 4; i++) {
		struct fs_conn *h = cand[i];
		struct fs_slot *hs;
		size_t moved;

		if (!h || h == c || !h->held || !h->held[idx])
			continue;
		hs = h->slot;
		moved = hs->next ? hs->next->n_moved : 0;
		fs_old_advanced(h, idx);
		if (hs->next == h && h->n_moved != moved)
			fs_rotate_check(hs);
	}
}

static void fs_on_message(void *user, const struct feed_link_msg *m)
{
	struct fs_conn *c = user;
	struct feed_set *s = c->s;
	struct fs_slot *sl = c->slot;
	struct feed_msg fm;
	struct merge_in in;
	char key[STREAM_MERGE_NAME_MAX];
	size_t klen, moved;
	bool parsed;
	int idx;
	enum merge_verdict v;

	if (s->done || (s->o.count && s->st.delivered >= s->o.count))
		return;
	parsed = (s->o.venue->scan_ids ? s->o.venue->scan_ids(m->p, m->n, &fm)
				       : s->o.venue->parse(s->parser, m->p, m->n, &fm)) == 0;
	klen = fs_stream_key(c, m, &fm, parsed, key, sizeof(key));
	if (fs_is_shutdown(&fm, parsed, key, klen)) {
		s->st.shutdown_notices++;
		fs_status(s, FEED_STATUS_DISCONNECTED, c->info.id, NULL, 0, 0,
			  "conn %u (slot %u%s): serverShutdown notice: rotating", c->info.id,
			  sl->no, sl->leg ? " B" : "");
		if (sl->cur == c)
			fs_rotate_begin(sl, "serverShutdown");
		parsed = false; /* delivered as it came, by its owner */
	}
	/* the clock only where a time is used: A/B lead times, the watchdog
	 * (otherwise last_seen only says "seen") */
	in.now_ns = s->o.legs > 1 || s->o.stale_s > 0 ? fs_now_ns() : 1;
	in.src = c->info.id;
	fs_merge_in(s->o.venue, &fm, parsed, &in);
	idx = klen ? stream_merge__stream(s->merge, key, klen) : -EINVAL;
	if (idx >= 0)
		c->last_seen[idx] = in.now_ns;
	if (idx >= 0 && parsed && fm.type == FEED_MSG_DEPTH && (fm.fields & FEED_F_SNAPSHOT)) {
		uint64_t last;

		if (stream_merge__last(s->merge, idx, &last) && fm.last_id < last)
			stream_merge__restart(s->merge, idx); /* the venue's ids start again */
	}
	if (idx >= 0 && s->o.legs > 1 && !sl->next && c == sl->cur && in.has_id) {
		fs_ab_message(c, m, idx, &in);
		return;
	}
	if (idx < 0 || !sl->next || (c != sl->next && c != sl->cur)) {
		if (fs_deliver(c, m, idx, &in) == MERGE_DELIVER) /* no rotation on this slot */
			fs_edge_moved(c, idx);
		return;
	}
	/* a rotation is under way on this slot */
	moved = sl->next->n_moved;
	if (c == sl->next && in.has_id && !c->moved[idx] && fs_hold(c, m, idx, &in))
		return;
	v = fs_deliver(c, m, idx, &in);
	if (v == MERGE_DELIVER)
		fs_edge_moved(c, idx);
	if (sl->next && (sl->next->n_moved != moved || (c == sl->next && sl->cur &&
							  sl->cur->n_moved == 0)))
		fs_rotate_check(sl);
}

static int fs_conn_open(struct fs_slot *sl, bool replacement)
{
	struct feed_set *s = sl->s;
	struct fs_conn *c = calloc(1, sizeof(*c));
	const struct feed_link_opts lo = {
	    .venue = s->o.venue,
	    .streams = sl->n_streams ? sl->streams : NULL,
	    .n_streams = sl->n_streams,
	    .url_streams = s->o.url_streams && s->o.url_streams[sl->url < s->o.n_urls ? sl->url : 0],
	    .discard = s->o.discard,
	    .stamps = s->o.stamps,
	    .max_gaps = s->o.max_gaps,
	    .desync_after = s->o.desync_after,
	};
	struct feed_link_hooks lh = {
	    .on_message = fs_on_message, .on_open = fs_on_open, .on_done = fs_on_done};
	struct link_transport *t = NULL;
	struct fx_error err = {0};
	int r;

	if (!c)
		return -ENOMEM;
	c->last_seen = calloc(s->max_streams, sizeof(*c->last_seen));
	c->moved = calloc(s->max_streams, 1);
	if (!c->last_seen || !c->moved) {
		free(c->last_seen);
		free(c->moved);
		free(c);
		return -ENOMEM;
	}
	c->s = s;
	c->slot = sl;
	c->up_since = -1;
	c->info.id = ++s->next_id;
	c->info.slot = sl->no;
	c->info.leg = sl->leg;
	c->info.url = sl->url;
	c->info.n_streams = sl->n_streams;
	c->info.sub_bytes = s->o.venue->subscribe_base + 64;
	for (size_t i = 0; i < sl->n_streams; i++)
		c->info.sub_bytes += strlen(sl->streams[i]) + s->o.venue->subscribe_per_stream;
	c->info.replacement = replacement;
	ev_timer_init(&c->rotate_timer, fs_rotate_timer_cb, 0., 0.);
	c->rotate_timer.data = c;
	ev_timer_init(&c->hold_timer, fs_hold_timer_cb, 0., 0.);
	c->hold_timer.data = c;
	lh.user = c;
	r = s->h.new_transport(s->h.user, &c->info, &t, &err);
	if (r == 0) {
		r = feed_link__new(&c->link, s->loop, &lo, &lh, t);
		if (r)
			t->ops->free(t);
	}
	if (r) {
		if (r != -EBUSY)
			fx_log(FX_LOG_WARN, "conn %u: cannot set up: %s", c->info.id,
			       err.msg[0] ? err.msg : fx_strerror(r));
		free(c->last_seen);
		free(c->moved);
		free(c);
		s->next_id--;
		return r;
	}
	c->next_all = s->all;
	s->all = c;
	s->live++;
	s->st.attempts++;
	pacer__take(&s->conn_pacer, ev_now(s->loop));
	if (replacement)
		sl->next = c;
	else
		sl->cur = c;
	feed_link__start(c->link);
	return 0;
}

/* The slot's retry timer: a connection, or a rotation's replacement, when
 * the per-IP pace allows one. */
static void fs_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fs_slot *sl = w->data;
	struct feed_set *s = sl->s;
	double now = ev_now(loop), when = pacer__when(&s->conn_pacer, now);
	bool replacement;
	int r;

	(void)revents;
	if (s->closing || sl->finished)
		return;
	if (when > now) {
		fs_slot_schedule(sl, when);
		return;
	}
	replacement = sl->cur != NULL;
	if (replacement && (!sl->want_rotate || sl->next || sl->cur->ended))
		return;
	r = fs_conn_open(sl, replacement);
	if (r == -EBUSY && replacement) {
		/* one live transport at a time (XDP until the fast path is shared):
		 * break-before-make; the merge still reports any gap */
		struct fs_conn *old = sl->cur;

		sl->want_rotate = false;
		s->st.rotations++;
		fs_status(s, FEED_STATUS_ROTATED, old->info.id, NULL, 0, 0,
			  "conn %u (slot %u): rotating by reconnecting (%s; one connection at a "
			  "time in this mode)", old->info.id, sl->no,
			  sl->rotate_why ? sl->rotate_why : "rotation");
		sl->cur = NULL;
		fs_detach(old);
		feed_link__close(old->link, 1000);
		fs_slot_schedule(sl, now);
		return;
	}
	if (r) {
		double at = backoff__failed(&sl->bo, now, -1);

		if (!sl->ever_open && !replacement) {
			sl->finished = true;
			fs_fail(s, r, "cannot set up a connection");
			fs_check_done(s);
			return;
		}
		fs_slot_schedule(sl, at);
	}
}

static void fs_slot_schedule(struct fs_slot *sl, double at)
{
	struct feed_set *s = sl->s;
	double d = at - ev_now(s->loop);

	ev_timer_stop(s->loop, &sl->retry);
	ev_timer_set(&sl->retry, d > 0 ? d : 0., 0.);
	ev_timer_start(s->loop, &sl->retry);
}

static void fs_rotate_begin(struct fs_slot *sl, const char *why)
{
	if (sl->s->closing || sl->next || sl->want_rotate || !sl->cur)
		return;
	sl->want_rotate = true;
	sl->rotate_why = why;
	fs_slot_schedule(sl, ev_now(sl->s->loop));
}

/* Once a second: a stream silent for stale_s on a live connection. */
static void fs_watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct feed_set *s = w->data;
	uint64_t now = fs_now_ns(), lim = (uint64_t)(s->o.stale_s * 1e9);
	size_t n = stream_merge__count(s->merge);

	(void)loop, (void)revents;
	for (size_t i = 0; i < s->n_slots; i++) {
		struct fs_slot *sl = &s->slots[i];
		struct fs_conn *c = sl->cur;
		int stale = -1;

		if (!c || !c->open || c->ended || sl->next || sl->want_rotate || now - c->up_ns < lim)
			continue;
		/* the subscribed streams, else the ones it has carried */
		if (sl->n_streams) {
			for (size_t k = 0; k < sl->n_streams && stale < 0; k++) {
				int x = sl->idx[k];
				uint64_t t = x >= 0 && c->last_seen[x] ? c->last_seen[x] : c->up_ns;

				if (x >= 0 && now - t > lim)
					stale = x;
			}
		} else {
			for (size_t x = 0; x < n && stale < 0; x++)
				if (c->last_seen[x] && now - c->last_seen[x] > lim)
					stale = (int)x;
		}
		if (stale < 0)
			continue;
		s->st.stale++;
		fs_status(s, FEED_STATUS_STALE, c->info.id, stream_merge__name(s->merge, stale), 0, 0,
			  "conn %u (slot %u%s): %s silent for %g s on a live connection: replacing "
			  "the connection", c->info.id, sl->no, sl->leg ? " B" : "",
			  stream_merge__name(s->merge, stale), s->o.stale_s);
		fs_rotate_begin(sl, "stale stream");
	}
}

static void fs_check_done(struct feed_set *s)
{
	bool all = true;

	if (s->done)
		return;
	for (size_t i = 0; i < s->n_slots; i++)
		if (!s->slots[i].finished && !s->closing)
			all = false;
	if (!all || s->live)
		return;
	s->done = true;
	ev_timer_stop(s->loop, &s->watchdog);
	for (size_t i = 0; i < s->n_slots; i++) {
		ev_timer_stop(s->loop, &s->slots[i].retry);
		ev_timer_stop(s->loop, &s->slots[i].grace);
	}
	if (s->h.on_done)
		s->h.on_done(s->h.user, s->status, s->status && s->why[0] ? s->why : NULL);
}

/* ---- the set ----------------------------------------------------------- */

/* The slots: shards of the subscribed streams on the first URL that names
 * none itself, plus one per other URL, times the legs. */
static size_t fs_plan(const struct feed_set_opts *o, size_t *base, size_t *shards, size_t *n_other)
{
	size_t per = o->per_conn ? o->per_conn : 1024;

	for (*base = 0; *base < o->n_urls; (*base)++)
		if (!o->url_streams || !o->url_streams[*base])
			break;
	if (*base == o->n_urls)
		*base = 0;
	*shards = o->n_streams ? shard_count(o->n_streams, per) : 0;
	*n_other = o->n_urls - (*shards ? 1 : 0);
	return (*shards + *n_other) * (o->legs ? o->legs : 1);
}

size_t feed_set_plan(const struct feed_set_opts *o)
{
	size_t base, shards, other;

	return fs_plan(o, &base, &shards, &other);
}

int feed_set__new(struct feed_set **out, struct ev_loop *loop, const struct feed_set_opts *o,
		  const struct feed_set_hooks *h, struct fx_error *err)
{
	struct feed_set *s;
	size_t shards, base, n_other = 0, k = 0;
	int r = -ENOMEM;

	*out = NULL;
	if (!o->venue || !o->n_urls || !h->new_transport || !o->venue->parse)
		return fx_error_set(err, -EINVAL, "feed set: no venue, URL or transport");
	if (o->legs < 1 || o->legs > FEED_SET_MAX_LEGS)
		return fx_error_set(err, -EINVAL, "--redundant: 1 or 2 legs");
	s = calloc(1, sizeof(*s));
	if (!s)
		return fx_error_set(err, -ENOMEM, "out of memory");
	s->loop = loop;
	s->o = *o;
	s->h = *h;
	if (!s->o.per_conn)
		s->o.per_conn = 1024;
	s->n_slots = fs_plan(&s->o, &base, &shards, &n_other);
	s->max_streams = o->max_streams ? o->max_streams : o->n_streams + 256;
	s->slots = calloc(s->n_slots, sizeof(*s->slots));
	if (!s->slots || stream_merge__new(&s->merge, s->max_streams) ||
	    o->venue->parser_new(&s->parser) ||
	    pacer__init(&s->conn_pacer, o->conn_limit ? o->conn_limit : 250,
			o->conn_window > 0 ? o->conn_window : 300)) {
		fx_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (unsigned leg = 0; leg < o->legs; leg++) {
		for (size_t i = 0; i < shards; i++) {
			struct fs_slot *sl = &s->slots[k];
			size_t first, cnt;

			shard_range(o->n_streams, shards, i, &first, &cnt);
			sl->url = base;
			sl->streams = o->streams + first;
			sl->n_streams = cnt;
			sl->leg = leg;
			k++;
		}
		for (size_t u = 0; u < o->n_urls; u++) {
			if (shards && u == base)
				continue;
			s->slots[k].url = u;
			s->slots[k].leg = leg;
			k++;
		}
	}
	for (size_t i = 0; i < s->n_slots; i++) {
		struct fs_slot *sl = &s->slots[i];

		sl->s = s;
		sl->no = (unsigned)i + 1;
		backoff__init(&sl->bo, o->backoff_base, o->backoff_cap, o->healthy_s,
			      (o->seed ? o->seed : (uint64_t)time(NULL)) * 2654435761u + i + 1);
		ev_timer_init(&sl->retry, fs_retry_cb, 0., 0.);
		sl->retry.data = sl;
		ev_timer_init(&sl->grace, fs_grace_cb, 0., 0.);
		sl->grace.data = sl;
		if (sl->n_streams) {
			sl->idx = calloc(sl->n_streams, sizeof(*sl->idx));
			if (!sl->idx) {
				fx_error_set(err, -ENOMEM, "out of memory");
				goto fail;
			}
		}
		if (sl->n_streams) {
			/* the request must build: a bad name is a usage error now */
			size_t cap = o->venue->subscribe_base;
			char *req;
			int len;

			for (size_t j = 0; j < sl->n_streams; j++)
				cap += strlen(sl->streams[j]) + o->venue->subscribe_per_stream;
			req = malloc(cap);
			len = req ? o->venue->subscribe_request(sl->streams, sl->n_streams, 1, req, cap)
				  : -ENOMEM;
			free(req);
			if (len < 0) {
				r = len;
				fx_error_set(err, r, "cannot build the subscription request: %s",
					     fx_strerror(r));
				goto fail;
			}
		}
		for (size_t j = 0; j < sl->n_streams; j++) {
			sl->idx[j] = stream_merge__stream(s->merge, sl->streams[j],
							  strlen(sl->streams[j]));
			if (sl->idx[j] < 0) {
				fx_error_set(err, -EINVAL, "stream name '%s' too long", sl->streams[j]);
				r = -EINVAL;
				goto fail;
			}
		}
	}
	if (o->legs > 1 && o->leg_b_url >= 0)
		for (size_t i = 0; i < s->n_slots; i++)
			if (s->slots[i].leg == 1)
				s->slots[i].url = (size_t)o->leg_b_url;
	ev_timer_init(&s->reap, fs_reap_cb, 0., 0.);
	s->reap.data = s;
	ev_timer_init(&s->watchdog, fs_watchdog_cb, 1., 1.);
	s->watchdog.data = s;
	for (unsigned l = 0; l < FEED_SET_MAX_LEGS; l++)
		lat_hist__init(&s->st.leg[l].lead);
	*out = s;
	return 0;
fail:
	if (s->slots)
		for (size_t i = 0; i < s->n_slots; i++)
			free(s->slots[i].idx);
	free(s->slots);
	stream_merge__free(s->merge);
	if (s->parser)
		o->venue->parser_free(s->parser);
	pacer__free(&s->conn_pacer);
	free(s);
	return r;
}

void feed_set__start(struct feed_set *s)
{
	for (size_t i = 0; i < s->n_slots; i++)
		fs_slot_schedule(&s->slots[i], ev_now(s->loop));
	if (s->o.stale_s > 0) {
		ev_timer_start(s->loop, &s->watchdog); /* stopped when the set is done */
	}
}

void feed_set__close(struct feed_set *s)
{
	if (s->closing)
		return;
	s->closing = true;
	for (size_t i = 0; i < s->n_slots; i++) {
		struct fs_slot *sl = &s->slots[i];

		ev_timer_stop(s->loop, &sl->retry);
		ev_timer_stop(s->loop, &sl->grace);
		sl->finished = true;
	}
	for (struct fs_conn *c = s->all; c; c = c->next_all)
		if (!c->ended)
			feed_link__close(c->link, 1000);
	fs_check_done(s);
}

void feed_set__abort(struct feed_set *s)
{
	feed_set__close(s);
	for (struct fs_conn *c = s->all; c; c = c->next_all)
		if (!c->ended)
			feed_link__abort(c->link);
	fs_check_done(s);
}

void feed_set__stats(const struct feed_set *s, struct feed_set_stats *st)
{
	*st = s->st;
	st->conns = s->live;
	st->slots = (unsigned)s->n_slots;
}

void feed_set__rotate(struct feed_set *s, unsigned slot)
{
	if (slot >= 1 && slot <= s->n_slots)
		fs_rotate_begin(&s->slots[slot - 1], "asked");
}

struct feed_link *feed_set__link(const struct feed_set *s, unsigned slot)
{
	const struct fs_slot *sl;

	if (slot < 1 || slot > s->n_slots)
		return NULL;
	sl = &s->slots[slot - 1];
	if (sl->cur)
		return sl->cur->link;
	/* the last one that ended, for the exit report */
	for (struct fs_conn *c = s->all; c; c = c->next_all)
		if (c->slot == sl)
			return c->link;
	return NULL;
}

unsigned feed_set__slots(const struct feed_set *s)
{
	return (unsigned)s->n_slots;
}

static void fs_pcts(const struct lat_hist *h, uint64_t out[4])
{
	static const double ps[4] = {50, 90, 99, 99.9};

	if (h->count)
		lat_hist__percentiles(h, ps, out, 4);
	else
		memset(out, 0, 4 * sizeof(*out));
}

void feed_set__report(const struct feed_set *s, FILE *f)
{
	const struct feed_set_stats *st = &s->st;

	fprintf(f,
		"feedrx: connections: %zu slot%s, %llu attempts, %llu opened, %llu reconnects "
		"(%llu refused), %llu rotations, %llu serverShutdown notices, %llu stale\n",
		s->n_slots, s->n_slots == 1 ? "" : "s", (unsigned long long)st->attempts,
		(unsigned long long)st->opens, (unsigned long long)st->reconnects,
		(unsigned long long)st->refusals, (unsigned long long)st->rotations,
		(unsigned long long)st->shutdown_notices, (unsigned long long)st->stale);
	fprintf(f,
		"feedrx: merge: %llu delivered, %llu duplicates dropped, %llu gaps (%llu ids "
		"missed)%s\n",
		(unsigned long long)st->delivered, (unsigned long long)st->dups,
		(unsigned long long)st->gaps, (unsigned long long)st->missed,
		st->unmerged ? " (some streams beyond the merge's capacity)" : "");
	if (s->o.legs > 1)
		for (unsigned l = 0; l < s->o.legs; l++) {
			uint64_t p[4];

			fs_pcts(&st->leg[l].lead, p);
			fprintf(f,
				"feedrx: leg %c: won %llu, second %llu; lead when first: p50 %.1f us, "
				"p90 %.1f us, p99 %.1f us, p99.9 %.1f us (%llu samples)\n",
				'A' + l, (unsigned long long)st->leg[l].delivered,
				(unsigned long long)st->leg[l].dups, p[0] / 1e3, p[1] / 1e3,
				p[2] / 1e3, p[3] / 1e3, (unsigned long long)st->leg[l].lead.count);
		}
}

static void fs_json_str(FILE *f, const char *p)
{
	fputc('"', f);
	for (; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void feed_set__json(const struct feed_set *s, FILE *f)
{
	const struct feed_set_stats *st = &s->st;
	unsigned n, first;

	fprintf(f,
		"\"slots\":%zu,\"attempts\":%llu,\"opens\":%llu,\"reconnects\":%llu,\"refusals\":"
		"%llu,\"rotations\":%llu,\"shutdown_notices\":%llu,\"stale\":%llu,"
		"\"delivered\":%llu,\"duplicates\":%llu,\"gap_count\":%llu,\"missed\":%llu,"
		"\"gaps\":[",
		s->n_slots, (unsigned long long)st->attempts, (unsigned long long)st->opens,
		(unsigned long long)st->reconnects, (unsigned long long)st->refusals,
		(unsigned long long)st->rotations, (unsigned long long)st->shutdown_notices,
		(unsigned long long)st->stale, (unsigned long long)st->delivered,
		(unsigned long long)st->dups, (unsigned long long)st->gaps,
		(unsigned long long)st->missed);
	n = s->n_gaps_log < FS_LOG_MAX ? s->n_gaps_log : FS_LOG_MAX;
	first = s->n_gaps_log - n;
	for (unsigned i = 0; i < n; i++) {
		const struct fs_gap_rec *g = &s->gaps[(first + i) % FS_LOG_MAX];

		fprintf(f, "%s{\"stream\":", i ? "," : "");
		fs_json_str(f, g->stream);
		fprintf(f, ",\"first\":%llu,\"last\":%llu,\"conn\":%u}", (unsigned long long)g->first,
			(unsigned long long)g->last, g->conn);
	}
	fputs("],\"reconnect_log\":[", f);
	n = s->n_recs_log < FS_LOG_MAX ? s->n_recs_log : FS_LOG_MAX;
	first = s->n_recs_log - n;
	for (unsigned i = 0; i < n; i++) {
		const struct fs_rec *r = &s->recs[(first + i) % FS_LOG_MAX];

		fprintf(f, "%s{\"slot\":%u,\"conn\":%u,\"why\":", i ? "," : "", r->slot, r->conn);
		fs_json_str(f, r->why);
		fputc('}', f);
	}
	fputs("],\"legs\":[", f);
	for (unsigned l = 0; l < s->o.legs; l++) {
		uint64_t p[4];

		fs_pcts(&st->leg[l].lead, p);
		fprintf(f,
			"%s{\"leg\":\"%c\",\"won\":%llu,\"second\":%llu,\"lead_us\":{\"count\":%llu,"
			"\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f}}",
			l ? "," : "", 'A' + l, (unsigned long long)st->leg[l].delivered,
			(unsigned long long)st->leg[l].dups, (unsigned long long)st->leg[l].lead.count,
			p[0] / 1e3, p[1] / 1e3, p[2] / 1e3, p[3] / 1e3);
	}
	fputc(']', f);
}

void feed_set__free(struct feed_set *s)
{
	if (!s)
		return;
	ev_timer_stop(s->loop, &s->reap);
	ev_timer_stop(s->loop, &s->watchdog);
	while (s->all) {
		struct fs_conn *c = s->all;

		s->all = c->next_all;
		fs_conn_free(c);
	}
	for (size_t i = 0; i < s->n_slots; i++) {
		ev_timer_stop(s->loop, &s->slots[i].retry);
		ev_timer_stop(s->loop, &s->slots[i].grace);
		free(s->slots[i].idx);
	}
	free(s->slots);
	stream_merge__free(s->merge);
	s->o.venue->parser_free(s->parser);
	pacer__free(&s->conn_pacer);
	free(s);
}

int feed_set_read_streams(const char *path, char **buf, const char **out, size_t *n, size_t cap,
			  struct fx_error *err)
{
	FILE *f = fopen(path, "r");
	long len;
	char *p, *tok;

	if (!f)
		return fx_error_set(err, -errno, "cannot read %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || len > (16L << 20) ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return fx_error_set(err, -EINVAL, "%s: not a readable file of at most 16 MiB", path);
	}
	*buf = malloc((size_t)len + 1);
	if (!*buf) {
		fclose(f);
		return fx_error_set(err, -ENOMEM, "out of memory");
	}
	if (fread(*buf, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		return fx_error_set(err, -EIO, "cannot read %s", path);
	}
	fclose(f);
	(*buf)[len] = 0;
	/* comments end at the line's end */
	for (p = *buf; (p = strchr(p, '#'));)
		while (*p && *p != '\n')
			*p++ = ' ';
	for (tok = strtok(*buf, " \t\r\n,"); tok; tok = strtok(NULL, " \t\r\n,")) {
		if (*n == cap)
			return fx_error_set(err, -ENOSPC, "%s: more than %zu streams", path, cap);
		out[(*n)++] = tok;
	}
	return 0;
}

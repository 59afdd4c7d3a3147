/* book_sync — the per-symbol state machine between a venue's depth stream,
 * its snapshots and order_book (see book_sync.h). */
#include "book_sync.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fx_log.h"

/* One buffered diff; its levels are in the pool at off (bids, then asks). */
struct bs_diff {
	uint64_t first, last, prev;
	uint64_t exch_ns, recv_ns;
	uint32_t off, n_bids, n_asks;
	bool has_prev;
};

struct book_sync {
	struct book_sync_conf c;
	char symbol[FEED_SYMBOL_MAX + 1];
	size_t len;
	enum book_sync_state state;
	struct order_book *ob;
	struct bs_diff *diffs;
	uint32_t n_diffs;
	struct feed_level *pool;
	uint32_t n_pool;
	uint64_t pending;   /* outstanding snapshot request, 0 = none */
	bool fresh;         /* just loaded: the next diff straddles, not chains */
	bool invalidated;   /* reported invalid: report the resync too */
	bool warned_stuck;
	int64_t bound_bid, bound_ask; /* levels at or better than these are exact */
	struct book_sync_stats st;
};

const char *book_sync_state_name(enum book_sync_state s)
{
	switch (s) {
	case BOOK_SYNC_WAIT: return "wait";
	case BOOK_SYNC_FETCHING: return "fetching";
	case BOOK_SYNC_SYNCED: return "synced";
	case BOOK_SYNC_STUCK: return "stuck";
	}
	return "?";
}

static bool rest_rule(enum venue_book_rule r)
{
	return r == VENUE_BOOK_BINANCE_SPOT || r == VENUE_BOOK_BINANCE_USDM;
}

static uint64_t now_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int book_sync__new(struct book_sync **out, const char *symbol, size_t len,
		   const struct book_sync_conf *c)
{
	struct book_sync *b;
	int r;

	*out = NULL;
	if (!len || len > FEED_SYMBOL_MAX || len >= ORDER_BOOK_SYMBOL_MAX || !c->depth ||
	    c->cap < c->depth || c->rule == VENUE_BOOK_NONE ||
	    (rest_rule(c->rule) && c->src && (!c->buf_diffs || !c->buf_levels || !c->snapshot_parse)))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->c = *c;
	memcpy(b->symbol, symbol, len);
	b->len = len;
	r = order_book__new(&b->ob, b->symbol, c->cap);
	if (r)
		goto err_free;
	if (rest_rule(c->rule) && c->src) {
		b->diffs = calloc(c->buf_diffs, sizeof(*b->diffs));
		b->pool = calloc(c->buf_levels, sizeof(*b->pool));
		if (!b->diffs || !b->pool) {
			r = -ENOMEM;
			goto err_bufs;
		}
	}
	b->state = BOOK_SYNC_WAIT;
	*out = b;
	return 0;

err_bufs:
	free(b->pool);
	free(b->diffs);
	order_book__free(b->ob);
err_free:
	free(b);
	return r;
}

void book_sync__free(struct book_sync *b)
{
	if (!b)
		return;
	if (b->pending && b->c.src)
		b->c.src->ops->cancel(b->c.src->ctx, b->pending);
	free(b->pool);
	free(b->diffs);
	order_book__free(b->ob);
	free(b);
}

/* ---- reporting --------------------------------------------------------------- */

static void report(struct book_sync *b, enum feed_status kind, uint64_t first, uint64_t last,
		   const char *text)
{
	fx_log(kind == FEED_STATUS_RESYNCED ? FX_LOG_INFO : FX_LOG_WARN, "book %s: %s: %s",
	       b->symbol, feed_status_name(kind), text);
	if (b->c.hooks.on_status)
		b->c.hooks.on_status(b->c.hooks.user, b, kind, first, last, text);
}

static void emit(struct book_sync *b, const struct book_sync_change *ch)
{
	if (b->c.hooks.on_change)
		b->c.hooks.on_change(b->c.hooks.user, b, ch);
}

/* ---- the known region ---------------------------------------------------------- */

/* Levels of a side at or better than bound. */
static uint32_t count_known(const struct order_book_side *s, int64_t bound)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->desc ? s->lv[mid].price >= bound : s->lv[mid].price <= bound)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* After a load: a side that came whole (fewer levels than asked for) is
 * all known; otherwise down to its worst level. */
static void bounds_from_load(struct book_sync *b, uint32_t n_bids, uint32_t n_asks, bool whole_ok)
{
	const struct order_book *ob = b->ob;

	b->bound_bid = whole_ok && n_bids < b->c.depth ? INT64_MIN
		       : ob->bids.n			? ob->bids.lv[ob->bids.n - 1].price
							: INT64_MAX;
	b->bound_ask = whole_ok && n_asks < b->c.depth ? INT64_MAX
		       : ob->asks.n			? ob->asks.lv[ob->asks.n - 1].price
							: INT64_MIN;
}

/* A level evicted for capacity may hide others: the tail is no longer known. */
static void bounds_after_truncation(struct book_sync *b)
{
	const struct order_book *ob = b->ob;

	if (ob->bids.n == ob->bids.cap && ob->bids.lv[ob->bids.n - 1].price > b->bound_bid)
		b->bound_bid = ob->bids.lv[ob->bids.n - 1].price;
	if (ob->asks.n == ob->asks.cap && ob->asks.lv[ob->asks.n - 1].price < b->bound_ask)
		b->bound_ask = ob->asks.lv[ob->asks.n - 1].price;
}

uint32_t book_sync__known(const struct book_sync *b, uint32_t *bids, uint32_t *asks)
{
	uint32_t nb = 0, na = 0;

	if (b->state == BOOK_SYNC_SYNCED) {
		nb = count_known(&b->ob->bids, b->bound_bid);
		na = count_known(&b->ob->asks, b->bound_ask);
	}
	if (bids)
		*bids = nb;
	if (asks)
		*asks = na;
	return nb < na ? nb : na;
}

/* ---- snapshots ------------------------------------------------------------------ */

static void snapshot_cb(void *arg, int status, const uint8_t *body, size_t len);

/* Ask the source for a snapshot unless one is on its way. A source that
 * refuses is asked again with the next diff. */
static void request(struct book_sync *b)
{
	int r;

	if (b->pending || !b->c.src)
		return;
	r = b->c.src->ops->request(b->c.src->ctx, b->symbol, b->c.depth, snapshot_cb, b,
				   &b->pending);
	if (r) {
		b->pending = 0;
		b->st.snap_errors++;
		fx_log(FX_LOG_WARN, "book %s: snapshot request refused: %s", b->symbol,
		       strerror(r < 0 && -r < 4096 ? -r : EIO));
	}
}

static void cancel(struct book_sync *b)
{
	if (b->pending && b->c.src)
		b->c.src->ops->cancel(b->c.src->ctx, b->pending);
	b->pending = 0;
}

static void snapshot_cb(void *arg, int status, const uint8_t *body, size_t len)
{
	struct book_sync *b = arg;
	struct feed_book_snapshot s;
	int r = status;

	b->pending = 0;
	if (r == 0)
		r = b->c.snapshot_parse(b->c.snapshot_parser, body, len, &s);
	if (r) {
		b->st.snap_errors++;
		fx_log(FX_LOG_WARN, "book %s: snapshot failed (%d): fetched again with the next diff",
		       b->symbol, r);
		return;
	}
	book_sync__snapshot(b, &s, now_real_ns());
}

/* ---- the buffer ---------------------------------------------------------------- */

static void buffer_clear(struct book_sync *b)
{
	b->n_diffs = 0;
	b->n_pool = 0;
}

/* Keep diffs[from..] only (their levels stay where they are in the pool). */
static void buffer_keep_from(struct book_sync *b, uint32_t from)
{
	memmove(b->diffs, b->diffs + from, (b->n_diffs - from) * sizeof(*b->diffs));
	b->n_diffs -= from;
	if (!b->n_diffs)
		b->n_pool = 0;
}

/* Whether diff d follows diff p in a buffer (nothing between them). */
static bool follows(enum venue_book_rule rule, const struct bs_diff *p, const struct bs_diff *d)
{
	if (rule == VENUE_BOOK_BINANCE_USDM && d->has_prev)
		return d->prev == p->last;
	return d->first <= p->last + 1 && d->last > p->last;
}

static int buffer_add(struct book_sync *b, const struct feed_msg *m, uint64_t exch_ns,
		      uint64_t recv_ns)
{
	uint32_t nl = m->n_bids + m->n_asks;
	struct bs_diff d = {
	    .first = m->first_id, .last = m->last_id, .prev = m->prev_id,
	    .exch_ns = exch_ns, .recv_ns = recv_ns, .n_bids = m->n_bids, .n_asks = m->n_asks,
	    .has_prev = (m->fields & FEED_F_PREV_ID) != 0,
	};

	if (b->n_diffs) {
		const struct bs_diff *p = &b->diffs[b->n_diffs - 1];

		if (d.last <= p->last) {
			b->st.stale++;
			return 0;
		}
		if (!follows(b->c.rule, p, &d)) {
			/* what is buffered cannot join anything after it */
			b->st.gaps++;
			fx_log(FX_LOG_INFO, "book %s: gap while buffering (after %" PRIu64
			       ", next %" PRIu64 "): buffer restarted", b->symbol, p->last, d.first);
			buffer_clear(b);
		}
	}
	if (b->n_diffs == b->c.buf_diffs || nl > b->c.buf_levels - b->n_pool)
		return -ENOSPC;
	d.off = b->n_pool;
	memcpy(b->pool + b->n_pool, m->bids, m->n_bids * sizeof(*m->bids));
	memcpy(b->pool + b->n_pool + m->n_bids, m->asks, m->n_asks * sizeof(*m->asks));
	b->n_pool += nl;
	b->diffs[b->n_diffs++] = d;
	b->st.buffered++;
	return 0;
}

/* ---- applying ------------------------------------------------------------------ */

enum fit { FIT_APPLY, FIT_STALE, FIT_GAP };

/* How an update (first..last, prev) fits a synced book at L. */
static enum fit fit(const struct book_sync *b, uint64_t first, uint64_t last, uint64_t prev,
		    bool has_prev)
{
	uint64_t L = b->ob->last_update_id;

	switch (b->c.rule) {
	case VENUE_BOOK_BINANCE_USDM:
		if (b->fresh) {
			/* USD-M: drop u < lastUpdateId; the first has U <= L <= u.
			 * A diff holds every change after its pu (ids between pu
			 * and U belong to other symbols), so pu <= L <= u fits too */
			if (last < L)
				return FIT_STALE;
			if (first <= L || (has_prev && prev <= L))
				return FIT_APPLY;
			return FIT_GAP;
		}
		if (has_prev)
			return prev == L ? FIT_APPLY : last <= L ? FIT_STALE : FIT_GAP;
		/* without pu, chain by U */
		__attribute__((fallthrough));
	case VENUE_BOOK_BINANCE_SPOT:
		if (last <= L)
			return FIT_STALE;
		/* U == L + 1 normally; an overlap (U <= L) is harmless, as
		 * quantities are absolute, and Binance's procedure applies it */
		if (first <= L + 1)
			return FIT_APPLY;
		return FIT_GAP;
	case VENUE_BOOK_PREV_ID:
		if (prev == L)
			return FIT_APPLY;
		return last <= L ? FIT_STALE : FIT_GAP;
	case VENUE_BOOK_PLUS_ONE:
		if (last == L + 1)
			return FIT_APPLY;
		return last <= L ? FIT_STALE : FIT_GAP;
	case VENUE_BOOK_NONE:
		break;
	}
	return FIT_GAP;
}

static void apply(struct book_sync *b, uint64_t first, uint64_t last, uint64_t exch_ns,
		  uint64_t recv_ns, const struct feed_level *bids, uint32_t n_bids,
		  const struct feed_level *asks, uint32_t n_asks)
{
	uint64_t trunc = b->ob->truncated;
	struct book_sync_change ch = {
	    .first_id = first, .last_id = last, .exch_ns = exch_ns, .recv_ns = recv_ns,
	    .bids = bids, .asks = asks, .n_bids = n_bids, .n_asks = n_asks,
	};

	/* levels were checked when the diff came in */
	(void)order_book__set_levels(b->ob, last, bids, n_bids, asks, n_asks);
	if (b->ob->truncated != trunc)
		bounds_after_truncation(b);
	b->fresh = false;
	b->st.applied++;
	emit(b, &ch);
}

/* Load a whole book (REST or in-stream snapshot) and say so. */
static int load(struct book_sync *b, uint64_t last_id, uint64_t exch_ns, uint64_t recv_ns,
		const struct feed_level *bids, uint32_t n_bids, const struct feed_level *asks,
		uint32_t n_asks, bool whole_ok)
{
	struct book_sync_change ch = {
	    .snapshot = true, .first_id = last_id, .last_id = last_id,
	    .exch_ns = exch_ns, .recv_ns = recv_ns,
	};
	int r;

	order_book__reset(b->ob);
	r = order_book__snapshot(b->ob, last_id, bids, n_bids, asks, n_asks);
	if (r)
		return r;
	bounds_from_load(b, n_bids, n_asks, whole_ok);
	b->state = BOOK_SYNC_SYNCED;
	b->fresh = true;
	b->st.snapshots++;
	ch.bids = b->ob->bids.lv;
	ch.n_bids = b->ob->bids.n;
	ch.asks = b->ob->asks.lv;
	ch.n_asks = b->ob->asks.n;
	emit(b, &ch);
	if (b->invalidated) {
		char text[96];

		b->invalidated = false;
		snprintf(text, sizeof(text), "synced again from a snapshot at %" PRIu64, last_id);
		report(b, FEED_STATUS_RESYNCED, 0, last_id, text);
	}
	return 0;
}

/* The chain broke (or the buffer filled): empty the book, report, and
 * start over. The caller re-buffers what is still useful. */
static void invalidate(struct book_sync *b, uint64_t miss_first, uint64_t miss_last,
		       const char *text)
{
	order_book__reset(b->ob);
	b->fresh = false;
	b->invalidated = true;
	if (rest_rule(b->c.rule))
		b->state = b->c.src ? BOOK_SYNC_FETCHING : BOOK_SYNC_STUCK;
	else
		b->state = BOOK_SYNC_WAIT;
	report(b, FEED_STATUS_BOOK_INVALID, miss_first, miss_last, text);
	if (b->state == BOOK_SYNC_STUCK)
		fx_log(FX_LOG_WARN, "book %s: no snapshot source to resync from", b->symbol);
}

static void gap(struct book_sync *b, uint64_t first, uint64_t last, uint64_t prev, bool has_prev)
{
	uint64_t L = b->ob->last_update_id;
	uint64_t mf = L + 1, ml = first > L + 1 ? first - 1 : 0;
	char text[160];

	if (b->c.rule == VENUE_BOOK_PLUS_ONE || (!first && !has_prev))
		snprintf(text, sizeof(text), "gap: book at %" PRIu64 ", next update %" PRIu64
			 "; resyncing", L, last);
	else if (has_prev &&
		 (b->c.rule == VENUE_BOOK_PREV_ID || b->c.rule == VENUE_BOOK_BINANCE_USDM))
		snprintf(text, sizeof(text), "gap: book at %" PRIu64 ", update %" PRIu64
			 " chains from %" PRIu64 "; resyncing", L, last, prev);
	else
		snprintf(text, sizeof(text), "gap: book at %" PRIu64 ", next update %" PRIu64
			 "..%" PRIu64 "; resyncing", L, first, last);
	if (b->c.rule == VENUE_BOOK_PLUS_ONE)
		ml = last > L + 1 ? last - 1 : 0;
	b->st.gaps++;
	invalidate(b, mf, ml, text);
}

/* Replay the buffer onto a just-loaded book, from the first diff the
 * snapshot does not hold. A break restarts with the rest of the buffer. */
static void replay(struct book_sync *b)
{
	for (uint32_t i = 0; i < b->n_diffs; i++) {
		const struct bs_diff *d = &b->diffs[i];

		switch (fit(b, d->first, d->last, d->prev, d->has_prev)) {
		case FIT_STALE:
			b->st.stale++;
			continue;
		case FIT_APPLY:
			apply(b, d->first, d->last, d->exch_ns, d->recv_ns, b->pool + d->off,
			      d->n_bids, b->pool + d->off + d->n_bids, d->n_asks);
			continue;
		case FIT_GAP:
			gap(b, d->first, d->last, d->prev, d->has_prev);
			buffer_keep_from(b, i);
			request(b);
			return;
		}
	}
	buffer_clear(b);
}

void book_sync__snapshot(struct book_sync *b, const struct feed_book_snapshot *s,
			 uint64_t recv_ns)
{
	uint64_t L = s->last_update_id;

	if (b->state != BOOK_SYNC_FETCHING)
		return; /* a late answer to a cancelled request */
	b->pending = 0;
	if (b->n_diffs) {
		const struct bs_diff *d = &b->diffs[0];
		/* spot: nothing between L and U; USD-M: nothing between L and pu */
		bool older = b->c.rule == VENUE_BOOK_BINANCE_USDM && d->has_prev ? L < d->prev
										: L + 1 < d->first;

		if (older) {
			/* updates between the snapshot and the buffer are in neither */
			b->st.refetches++;
			fx_log(FX_LOG_INFO, "book %s: snapshot at %" PRIu64 " older than the "
			       "first buffered update %" PRIu64 ": fetching again", b->symbol, L,
			       d->first);
			request(b);
			return;
		}
	}
	if (load(b, L, s->event_ms * 1000000ull, recv_ns, s->bids, s->n_bids, s->asks, s->n_asks,
		 true)) {
		b->st.snap_errors++;
		b->state = BOOK_SYNC_FETCHING;
		request(b);
		return;
	}
	replay(b);
}

/* ---- diffs ------------------------------------------------------------------------ */

static bool levels_ok(const struct feed_level *lv, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (lv[i].price <= 0 || lv[i].qty < 0)
			return false;
	return true;
}

/* REST rules, before the book is synced: into the buffer, and a snapshot asked for. */
static void fetching(struct book_sync *b, const struct feed_msg *m, uint64_t exch_ns,
		     uint64_t recv_ns)
{
	if (buffer_add(b, m, exch_ns, recv_ns) == -ENOSPC) {
		char text[128];

		b->st.overflows++;
		snprintf(text, sizeof(text), "%u buffered updates and no usable snapshot yet: "
			 "starting over", b->n_diffs);
		cancel(b);
		buffer_clear(b);
		b->invalidated = true;
		report(b, FEED_STATUS_BOOK_INVALID, 0, 0, text);
		if (buffer_add(b, m, exch_ns, recv_ns) == -ENOSPC) {
			b->state = BOOK_SYNC_WAIT; /* larger than the whole buffer */
			return;
		}
	}
	b->state = BOOK_SYNC_FETCHING;
	request(b);
}

int book_sync__diff(struct book_sync *b, const struct feed_msg *m, uint64_t exch_ns,
		    uint64_t recv_ns)
{
	bool snap = (m->fields & FEED_F_SNAPSHOT) != 0;
	bool has_prev = (m->fields & FEED_F_PREV_ID) != 0;

	if (m->type != FEED_MSG_DEPTH || (m->first_id && m->first_id > m->last_id) ||
	    !levels_ok(m->bids, m->n_bids) || !levels_ok(m->asks, m->n_asks)) {
		b->st.refused++;
		return -EINVAL;
	}
	if (rest_rule(b->c.rule) && snap) {
		/* a partial book from another stream (Binance SBE @depth20): the
		 * REST rules build books from diffs on a REST snapshot only */
		b->st.refused++;
		return 0;
	}
	if (!rest_rule(b->c.rule)) {
		/* in-stream snapshots; Bybit's u == 1 is a new snapshot too */
		if (snap || (b->c.rule == VENUE_BOOK_PLUS_ONE && m->last_id == 1))
			return load(b, m->last_id, exch_ns, recv_ns, m->bids, m->n_bids, m->asks,
				    m->n_asks, false);
		if (b->state != BOOK_SYNC_SYNCED)
			return 0; /* nothing to apply it to until a snapshot */
	}
	switch (b->state) {
	case BOOK_SYNC_WAIT:
	case BOOK_SYNC_FETCHING:
		if (b->c.src) {
			fetching(b, m, exch_ns, recv_ns);
		} else if (b->c.first_is_snapshot && !b->invalidated) {
			return load(b, m->last_id, exch_ns, recv_ns, m->bids, m->n_bids, m->asks,
				    m->n_asks, false);
		} else {
			b->state = BOOK_SYNC_STUCK;
			if (!b->warned_stuck)
				fx_log(FX_LOG_WARN, "book %s: no snapshot source: not kept", b->symbol);
			b->warned_stuck = true;
		}
		return 0;
	case BOOK_SYNC_SYNCED:
		break;
	case BOOK_SYNC_STUCK:
		return 0;
	}
	switch (fit(b, m->first_id, m->last_id, m->prev_id, has_prev)) {
	case FIT_APPLY:
		apply(b, m->first_id, m->last_id, exch_ns, recv_ns, m->bids, m->n_bids, m->asks,
		      m->n_asks);
		break;
	case FIT_STALE:
		b->st.stale++;
		break;
	case FIT_GAP:
		gap(b, m->first_id, m->last_id, m->prev_id, has_prev);
		if (b->state == BOOK_SYNC_FETCHING)
			fetching(b, m, exch_ns, recv_ns);
		break;
	}
	return 0;
}

void book_sync__resync(struct book_sync *b, const char *why)
{
	if (b->state == BOOK_SYNC_STUCK || b->state == BOOK_SYNC_WAIT)
		return;
	cancel(b);
	buffer_clear(b);
	b->st.gaps++;
	invalidate(b, 0, 0, why);
	if (b->state == BOOK_SYNC_FETCHING)
		b->state = BOOK_SYNC_WAIT; /* the next diff starts the buffer */
}

enum book_sync_state book_sync__state(const struct book_sync *b)
{
	return b->state;
}

const struct order_book *book_sync__book(const struct book_sync *b)
{
	return b->ob;
}

const char *book_sync__symbol(const struct book_sync *b, size_t *len)
{
	if (len)
		*len = b->len;
	return b->symbol;
}

void book_sync__stats(const struct book_sync *b, struct book_sync_stats *st)
{
	*st = b->st;
}

uint64_t book_sync__pending(const struct book_sync *b)
{
	return b->pending;
}

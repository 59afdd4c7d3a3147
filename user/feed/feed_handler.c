/* feed_handler — the stage between delivery and the consumers: parse,
 * route depth to books, number and emit events (see feed_handler.h). */
#include "feed_handler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fx_log.h"
#include "core/util.h"
#include "link/feed_link.h"
#include "stats/lat_stats.h"
#include "venue/venue.h"

struct feed_handler {
	struct feed_handler_conf c;
	void *parser;
	void *snap_parser;
	struct book_sync **books;
	uint32_t n_books;
	int32_t *slots; /* open addressing: index into books, -1 empty */
	uint32_t n_slots;
	uint64_t seq;
	int err;
	uint16_t cur_flags; /* FEED_EVF_* of the message being handled */
	struct feed_str cur_stream; /* the depth message being handled: its stream */
	bool warned_parse;
	struct feed_handler_stats st;
};

static uint64_t now_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t feed_handler_recv_ns(const struct feed_link_msg *m)
{
	const struct lat_stamps *st = m->st;

	if (st)
		for (int i = 0; i < LAT_PT__MAX; i++)
			if (st->at[i]) {
				/* CLOCK_MONOTONIC stamp: moved to CLOCK_REALTIME by the
				 * clocks' current offset */
				uint64_t real = now_real_ns(), mono = now_mono_ns();

				return real - (mono > st->at[i] ? mono - st->at[i] : 0);
			}
	return now_real_ns();
}

/* ---- emitting ------------------------------------------------------------------ */

static int emit(struct feed_handler *h, struct feed_event *e)
{
	int r;

	if (h->err)
		return h->err;
	e->seq = ++h->seq;
	e->venue = h->c.venue->name;
	h->st.events++;
	r = h->c.emit(h->c.user, e);
	if (r)
		h->err = r;
	return r;
}

static void set_symbol(struct feed_event *e, const char *s, size_t len)
{
	if (len > FEED_SYMBOL_MAX)
		len = FEED_SYMBOL_MAX;
	memcpy(e->symbol, s, len);
	e->symbol_len = (uint8_t)len;
}

static void on_change(void *user, struct book_sync *b, const struct book_sync_change *ch)
{
	struct feed_handler *h = user;
	const struct order_book *ob = book_sync__book(b);
	struct feed_event e;
	size_t len;
	const char *sym = book_sync__symbol(b, &len);

	if (!h->c.no_book_events) {
		memset(&e, 0, sizeof(e));
		e.type = FEED_EV_BOOK;
		e.flags = h->cur_flags | (ch->snapshot ? FEED_EVF_SNAPSHOT : 0);
		set_symbol(&e, sym, len);
		e.exch_ns = ch->exch_ns;
		e.recv_ns = ch->recv_ns;
		e.book.first_id = ch->first_id;
		e.book.last_id = ch->last_id;
		e.book.bids = ch->bids;
		e.book.asks = ch->asks;
		e.book.n_bids = ch->n_bids;
		e.book.n_asks = ch->n_asks;
		if (emit(h, &e))
			return;
	}
	if (h->c.top) {
		memset(&e, 0, sizeof(e));
		e.type = FEED_EV_TOP;
		e.flags = h->cur_flags;
		set_symbol(&e, sym, len);
		e.exch_ns = ch->exch_ns;
		e.recv_ns = ch->recv_ns;
		e.top.last_id = ch->last_id;
		e.top.bids = ob->bids.lv;
		e.top.asks = ob->asks.lv;
		e.top.n_bids = ob->bids.n < h->c.top ? ob->bids.n : h->c.top;
		e.top.n_asks = ob->asks.n < h->c.top ? ob->asks.n : h->c.top;
		e.top.depth_known = book_sync__known(b, NULL, NULL);
		emit(h, &e);
	}
}

static void on_book_status(void *user, struct book_sync *b, enum feed_status kind,
			   uint64_t first_id, uint64_t last_id, const char *text)
{
	struct feed_handler *h = user;
	struct feed_event e = {.type = FEED_EV_STATUS, .flags = h->cur_flags};
	size_t len;
	const char *sym = book_sync__symbol(b, &len);

	set_symbol(&e, sym, len);
	e.recv_ns = h->c.now_ns();
	e.status.kind = (uint16_t)kind;
	e.status.first_id = first_id;
	e.status.last_id = last_id;
	e.status.text = text;
	emit(h, &e);
	/* an in-stream snapshot comes back by resubscribing the stream */
	if (kind == FEED_STATUS_BOOK_INVALID && h->c.resubscribe && h->cur_stream.len &&
	    h->cur_stream.len < 128 &&
	    (h->c.venue->book_rule == VENUE_BOOK_PREV_ID ||
	     h->c.venue->book_rule == VENUE_BOOK_PLUS_ONE)) {
		char s[128];

		memcpy(s, h->cur_stream.ptr, h->cur_stream.len);
		s[h->cur_stream.len] = 0;
		if (h->c.resubscribe(h->c.user, s))
			fx_log(FX_LOG_WARN, "book %.*s: cannot resubscribe %s", (int)len, sym, s);
	}
}

int feed_handler__status(struct feed_handler *h, enum feed_status kind, uint32_t conn,
			 uint64_t first_id, uint64_t last_id, const char *text)
{
	struct feed_event e = {.type = FEED_EV_STATUS};

	e.recv_ns = h->c.now_ns();
	e.status.kind = (uint16_t)kind;
	e.status.conn = conn;
	e.status.first_id = first_id;
	e.status.last_id = last_id;
	e.status.text = text;
	return emit(h, &e);
}

/* ---- books ---------------------------------------------------------------------- */

static uint32_t sym_hash(const char *s, size_t len)
{
	uint32_t x = 2166136261u;

	for (size_t i = 0; i < len; i++)
		x = (x ^ (uint8_t)s[i]) * 16777619u;
	return x;
}

/* The slot holding symbol, or the empty slot where it would go. */
static uint32_t slot_of(const struct feed_handler *h, const char *s, size_t len)
{
	uint32_t i = sym_hash(s, len) & (h->n_slots - 1);

	for (;; i = (i + 1) & (h->n_slots - 1)) {
		size_t bl;
		const char *bs;

		if (h->slots[i] < 0)
			return i;
		bs = book_sync__symbol(h->books[h->slots[i]], &bl);
		if (bl == len && !memcmp(bs, s, len))
			return i;
	}
}

struct book_sync *feed_handler__book(const struct feed_handler *h, const char *symbol,
				     size_t len)
{
	uint32_t i;

	if (!h->n_slots)
		return NULL;
	i = slot_of(h, symbol, len);
	return h->slots[i] < 0 ? NULL : h->books[h->slots[i]];
}

static int add_book(struct feed_handler *h, const char *s, size_t len, struct book_sync **out)
{
	const struct book_sync_conf bc = {
	    .rule = h->c.venue->book_rule,
	    .depth = h->c.depth,
	    .cap = h->c.cap,
	    .buf_diffs = h->c.buf_diffs,
	    .buf_levels = h->c.buf_levels,
	    .src = h->c.src,
	    .snapshot_parse = h->c.venue->snapshot_parse,
	    .snapshot_parser = h->snap_parser,
	    .first_is_snapshot = h->c.first_is_snapshot,
	    .hooks = {.user = h, .on_change = on_change, .on_status = on_book_status},
	};
	uint32_t i = slot_of(h, s, len);
	int r;

	if (h->n_books == h->c.max_books)
		return -ENOSPC;
	r = book_sync__new(out, s, len, &bc);
	if (r)
		return r;
	h->slots[i] = (int32_t)h->n_books;
	h->books[h->n_books++] = *out;
	return 0;
}

/* ---- set-up ---------------------------------------------------------------------- */

int feed_handler__new(struct feed_handler **out, const struct feed_handler_conf *c)
{
	struct feed_handler *h;
	const struct venue *v = c->venue;
	int r = -EINVAL;

	*out = NULL;
	if (!v || !v->parser_new || !v->parse || !c->emit || c->top > FEED_TOP_MAX)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->c = *c;
	if (!h->c.now_ns)
		h->c.now_ns = now_real_ns;
	if (!h->c.max_books)
		h->c.max_books = 1024;
	if (!h->c.depth)
		h->c.depth = 1000;
	if (v->snapshot_limit_max && h->c.depth > v->snapshot_limit_max)
		h->c.depth = v->snapshot_limit_max;
	if (!h->c.cap)
		h->c.cap = 2 * h->c.depth;
	if (!h->c.buf_diffs)
		h->c.buf_diffs = 1024;
	if (!h->c.buf_levels)
		h->c.buf_levels = 65536;
	if (h->c.symbols && h->c.n_symbols > h->c.max_books)
		h->c.max_books = (uint32_t)h->c.n_symbols;
	r = v->parser_new(&h->parser);
	if (r)
		goto err;
	/* REST snapshots are parsed here, for every book, one at a time */
	if (v->book_rule == VENUE_BOOK_BINANCE_SPOT || v->book_rule == VENUE_BOOK_BINANCE_USDM) {
		if (c->src && (!v->snapshot_parser_new || !v->snapshot_parse)) {
			r = -EINVAL;
			goto err;
		}
		if (c->src) {
			r = v->snapshot_parser_new(&h->snap_parser, h->c.depth);
			if (r)
				goto err;
		}
	}
	if (v->book_rule != VENUE_BOOK_NONE) {
		for (h->n_slots = 16; h->n_slots < 2 * h->c.max_books; h->n_slots *= 2)
			;
		h->slots = malloc(h->n_slots * sizeof(*h->slots));
		h->books = calloc(h->c.max_books, sizeof(*h->books));
		if (!h->slots || !h->books) {
			r = -ENOMEM;
			goto err;
		}
		memset(h->slots, 0xff, h->n_slots * sizeof(*h->slots));
		for (size_t i = 0; c->symbols && i < c->n_symbols; i++) {
			struct book_sync *b;
			size_t len = strlen(c->symbols[i]);

			if (feed_handler__book(h, c->symbols[i], len))
				continue;
			r = add_book(h, c->symbols[i], len, &b);
			if (r)
				goto err;
		}
	}
	*out = h;
	return 0;

err:
	feed_handler__free(h);
	return r;
}

void feed_handler__free(struct feed_handler *h)
{
	if (!h)
		return;
	for (uint32_t i = 0; i < h->n_books; i++)
		book_sync__free(h->books[i]);
	free(h->books);
	free(h->slots);
	if (h->snap_parser)
		(h->c.venue->snapshot_parser_free ?: h->c.venue->parser_free)(h->snap_parser);
	if (h->parser)
		h->c.venue->parser_free(h->parser);
	free(h);
}

/* ---- messages --------------------------------------------------------------------- */

static void depth(struct feed_handler *h, const struct feed_msg *m, uint64_t exch_ns,
		  uint64_t recv_ns)
{
	struct book_sync *b;
	int r;

	if (!h->n_slots || !m->symbol.len) {
		h->st.depth_unbooked++;
		return;
	}
	b = feed_handler__book(h, m->symbol.ptr, m->symbol.len);
	if (!b && (h->c.symbols || add_book(h, m->symbol.ptr, m->symbol.len, &b))) {
		h->st.depth_unbooked++;
		return;
	}
	h->cur_stream = (m->fields & FEED_F_STREAM) ? m->stream : (struct feed_str){0};
	r = book_sync__diff(b, m, exch_ns, recv_ns);
	h->cur_stream = (struct feed_str){0};
	if (r)
		fx_log(FX_LOG_DEBUG, "book %.*s: depth update refused", (int)m->symbol.len,
		       m->symbol.ptr);
}

int feed_handler__payload(struct feed_handler *h, const uint8_t *p, size_t n, uint64_t recv_ns,
			  uint16_t flags)
{
	struct feed_msg m;
	struct feed_event e;
	uint64_t exch_ns;
	int r;

	if (h->err)
		return h->err;
	r = h->c.venue->parse(h->parser, p, n, &m);
	if (r) {
		h->st.parse_errors++;
		if (!h->warned_parse)
			fx_log(FX_LOG_WARN, "a message did not parse (%d): skipped, and so are "
			       "later ones (counted)", r);
		h->warned_parse = true;
		return 0;
	}
	h->st.messages++;
	h->cur_flags = flags;
	exch_ns = lat_stats_epoch_ns(m.event_ms ? m.event_ms : m.trade_ms);
	memset(&e, 0, sizeof(e));
	e.flags = flags;
	e.exch_ns = exch_ns;
	e.recv_ns = recv_ns;
	switch (m.type) {
	case FEED_MSG_TRADE:
	case FEED_MSG_AGG_TRADE:
		e.type = FEED_EV_TRADE;
		set_symbol(&e, m.symbol.ptr, m.symbol.len);
		/* one event per trade: OKX, Bybit and Binance SBE batch them */
		for (uint32_t i = 0, n = feed_msg_trade_count(&m); i < n && !h->err; i++) {
			struct feed_trade t;

			feed_msg_trade(&m, i, &t);
			e.trade.price = t.price;
			e.trade.qty = t.qty;
			e.trade.id = t.id;
			/* the buyer was the maker: the taker sold */
			e.trade.side = t.buyer_maker ? FEED_SIDE_SELL : FEED_SIDE_BUY;
			emit(h, &e);
		}
		break;
	case FEED_MSG_BOOK_TICKER:
		e.type = FEED_EV_BBO;
		set_symbol(&e, m.symbol.ptr, m.symbol.len);
		e.bbo.bid_px = m.bid_px;
		e.bbo.bid_qty = m.bid_qty;
		e.bbo.ask_px = m.ask_px;
		e.bbo.ask_qty = m.ask_qty;
		e.bbo.id = m.id;
		emit(h, &e);
		break;
	case FEED_MSG_DEPTH:
		depth(h, &m, exch_ns, recv_ns);
		break;
	default:
		h->st.unknown++;
		break;
	}
	h->cur_flags = 0;
	return h->err;
}

int feed_handler__message(struct feed_handler *h, const struct feed_link_msg *m)
{
	uint16_t flags = m->path == FEED_PATH_FAST     ? FEED_EVF_FAST
			 : m->path == FEED_PATH_SHADOW ? FEED_EVF_SHADOW
						       : 0;

	return feed_handler__payload(h, m->p, m->n, feed_handler_recv_ns(m), flags);
}

void feed_handler__resync_all(struct feed_handler *h, const char *why)
{
	for (uint32_t i = 0; i < h->n_books; i++)
		book_sync__resync(h->books[i], why);
}

void feed_handler__stats(const struct feed_handler *h, struct feed_handler_stats *st)
{
	*st = h->st;
	st->books = h->n_books;
	memset(&st->book, 0, sizeof(st->book));
	for (uint32_t i = 0; i < h->n_books; i++) {
		struct book_sync_stats b;

		book_sync__stats(h->books[i], &b);
		st->book.applied += b.applied;
		st->book.stale += b.stale;
		st->book.buffered += b.buffered;
		st->book.gaps += b.gaps;
		st->book.overflows += b.overflows;
		st->book.snapshots += b.snapshots;
		st->book.refetches += b.refetches;
		st->book.snap_errors += b.snap_errors;
		st->book.refused += b.refused;
	}
}

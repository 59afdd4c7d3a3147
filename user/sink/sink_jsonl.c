/* sink_jsonl — one normalized event (feed/feed_event.h) per line, as a JSON
 * object, for programs. Prices and quantities are decimal strings printed
 * exactly from the fixed-point value (no binary floating point anywhere):
 * "123.45", "0.001", "7" (trailing fractional zeros dropped). Ids and times
 * are JSON integers (times: CLOCK_REALTIME ns; 0 = unknown). Fields:
 *
 *   every event  seq, type (trade|bbo|book|top|status), venue, symbol
 *                (absent when the event concerns no symbol), exch_ns,
 *                recv_ns, and path ("fast" or "shadow") in XDP mode
 *   trade        price, qty, id, side ("buy"|"sell": the taker's side)
 *   bbo          bid_px, bid_qty, ask_px, ask_qty, id
 *   book         first_id, last_id, snapshot (true: the book was replaced
 *                and bids/asks are all of it), bids, asks: [["px","qty"],..]
 *                (qty "0" = the level was removed)
 *   top          last_id, depth_known (levels per side known exactly), bids,
 *                asks (best first)
 *   status       status (connected|disconnected|gap|book_invalid|resynced|
 *                rotated|stale), conn, first_id, last_id, text */
#include "sink.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed/feed_event.h"

#define SINK_JSONL_BUF (1u << 20)

struct sink_jsonl {
	struct sink_buf out;
};

static int jsonl_open(struct feed_sink *s, const struct feed_sink_conf *c)
{
	struct sink_jsonl *j = calloc(1, sizeof(*j));
	int r;

	if (!j)
		return -ENOMEM;
	r = sink_buf__init(&j->out, c->fd, SINK_JSONL_BUF);
	if (r) {
		free(j);
		return r;
	}
	s->priv = j;
	return 0;
}

/* A fixed-point value as an exact decimal, into p (at least 32 bytes). */
static size_t fixed(char *p, int64_t v)
{
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t ip = a / (uint64_t)FEED_SCALE, fp = a % (uint64_t)FEED_SCALE;
	char *q = p;
	char tmp[24];
	int n = 0;

	if (v < 0)
		*q++ = '-';
	do
		tmp[n++] = (char)('0' + ip % 10);
	while ((ip /= 10));
	while (n)
		*q++ = tmp[--n];
	if (fp) {
		int d = 8;

		*q++ = '.';
		while (fp % 10 == 0) {
			fp /= 10;
			d--;
		}
		for (int i = d - 1; i >= 0; i--) {
			q[i] = (char)('0' + fp % 10);
			fp /= 10;
		}
		q += d;
	}
	return (size_t)(q - p);
}

static void put_str(struct sink_buf *b, const char *s)
{
	char esc[8];

	sink_buf__put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			sink_buf__put(b, esc, 2);
		} else if (c == '\n' || c == '\t' || c == '\r') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			sink_buf__put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			sink_buf__put(b, esc, 6);
		} else {
			sink_buf__put(b, s, 1);
		}
	}
	sink_buf__put(b, "\"", 1);
}

static void put_num(struct sink_buf *b, const char *key, int64_t v)
{
	char s[48];
	size_t n = (size_t)snprintf(s, sizeof(s), ",\"%s\":\"", key);

	n += fixed(s + n, v);
	s[n++] = '"';
	sink_buf__put(b, s, n);
}

static void put_levels(struct sink_buf *b, const char *key, const struct feed_level *lv,
		       uint32_t n)
{
	char s[80];

	sink_buf__printf(b, ",\"%s\":[", key);
	for (uint32_t i = 0; i < n; i++) {
		size_t k = 0;

		if (i)
			s[k++] = ',';
		s[k++] = '[';
		s[k++] = '"';
		k += fixed(s + k, lv[i].price);
		memcpy(s + k, "\",\"", 3);
		k += 3;
		k += fixed(s + k, lv[i].qty);
		s[k++] = '"';
		s[k++] = ']';
		sink_buf__put(b, s, k);
	}
	sink_buf__put(b, "]", 1);
}

static int jsonl_event(struct feed_sink *s, const struct feed_event *e)
{
	struct sink_jsonl *j = s->priv;
	struct sink_buf *b = &j->out;

	sink_buf__printf(b, "{\"seq\":%" PRIu64 ",\"type\":\"%s\",\"venue\":\"%s\"", e->seq,
			 feed_event_type_name(e->type), e->venue ? e->venue : "");
	/* symbols are the venue's plain names: no escaping needed, but never trusted */
	if (e->symbol_len) {
		char sym[FEED_SYMBOL_MAX + 1];

		memcpy(sym, e->symbol, e->symbol_len);
		sym[e->symbol_len] = 0;
		sink_buf__put(b, ",\"symbol\":", 10);
		put_str(b, sym);
	}
	sink_buf__printf(b, ",\"exch_ns\":%" PRIu64 ",\"recv_ns\":%" PRIu64, e->exch_ns,
			 e->recv_ns);
	if (e->flags & FEED_EVF_FAST)
		sink_buf__put(b, ",\"path\":\"fast\"", 14);
	else if (e->flags & FEED_EVF_SHADOW)
		sink_buf__put(b, ",\"path\":\"shadow\"", 16);
	switch (e->type) {
	case FEED_EV_TRADE:
		put_num(b, "price", e->trade.price);
		put_num(b, "qty", e->trade.qty);
		sink_buf__printf(b, ",\"id\":%" PRIu64 ",\"side\":\"%s\"", e->trade.id,
				 e->trade.side == FEED_SIDE_BUY    ? "buy"
				 : e->trade.side == FEED_SIDE_SELL ? "sell"
								   : "unknown");
		break;
	case FEED_EV_BBO:
		put_num(b, "bid_px", e->bbo.bid_px);
		put_num(b, "bid_qty", e->bbo.bid_qty);
		put_num(b, "ask_px", e->bbo.ask_px);
		put_num(b, "ask_qty", e->bbo.ask_qty);
		sink_buf__printf(b, ",\"id\":%" PRIu64, e->bbo.id);
		break;
	case FEED_EV_BOOK:
		sink_buf__printf(b, ",\"first_id\":%" PRIu64 ",\"last_id\":%" PRIu64
				 ",\"snapshot\":%s", e->book.first_id, e->book.last_id,
				 e->flags & FEED_EVF_SNAPSHOT ? "true" : "false");
		put_levels(b, "bids", e->book.bids, e->book.n_bids);
		put_levels(b, "asks", e->book.asks, e->book.n_asks);
		break;
	case FEED_EV_TOP:
		sink_buf__printf(b, ",\"last_id\":%" PRIu64 ",\"depth_known\":%u", e->top.last_id,
				 e->top.depth_known);
		put_levels(b, "bids", e->top.bids, e->top.n_bids);
		put_levels(b, "asks", e->top.asks, e->top.n_asks);
		break;
	case FEED_EV_STATUS:
		sink_buf__printf(b, ",\"status\":\"%s\",\"conn\":%u,\"first_id\":%" PRIu64
				 ",\"last_id\":%" PRIu64, feed_status_name(e->status.kind),
				 e->status.conn, e->status.first_id, e->status.last_id);
		if (e->status.text) {
			sink_buf__put(b, ",\"text\":", 8);
			put_str(b, e->status.text);
		}
		break;
	}
	return sink_buf__put(b, "}\n", 2);
}

static int jsonl_flush(struct feed_sink *s)
{
	struct sink_jsonl *j = s->priv;

	return sink_buf__flush(&j->out);
}

static void jsonl_close(struct feed_sink *s)
{
	struct sink_jsonl *j = s->priv;

	if (!j)
		return;
	sink_buf__fini(&j->out);
	free(j);
}

const struct feed_sink_ops feed_sink_jsonl = {
    .name = "jsonl",
    .help = "one normalized event per line (trades, bbo, books, status) as JSON",
    .open = jsonl_open,
    .event = jsonl_event,
    .flush = jsonl_flush,
    .close = jsonl_close,
};

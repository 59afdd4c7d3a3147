/* binance_diff.h — the fast scanner against the strict parser, for the
 * unit test and the fuzz target: where binance_scan accepts a message, the
 * strict parser must accept it too and fill every field the same way. */
#ifndef FEEDRX_TESTS_BINANCE_DIFF_H
#define FEEDRX_TESTS_BINANCE_DIFF_H

#include <string.h>

#include "venue/binance_parse.h"

static inline int binance_str_eq(const struct feed_str *a, const struct feed_str *b)
{
	return a->ptr == b->ptr && a->len == b->len;
}

/* 0 when equal, else the line of the first difference. */
static inline int binance_msg_diff(const struct feed_msg *a, const struct feed_msg *b)
{
#define D(cond)                                                              \
	do {                                                                 \
		if (!(cond))                                                 \
			return __LINE__;                                     \
	} while (0)
	D(a->type == b->type && a->fields == b->fields);
	D(binance_str_eq(&a->stream, &b->stream) && binance_str_eq(&a->event, &b->event));
	D(binance_str_eq(&a->symbol, &b->symbol));
	D(a->event_ms == b->event_ms && a->trade_ms == b->trade_ms && a->ts_ns == b->ts_ns);
	D(a->id == b->id && a->first_id == b->first_id && a->last_id == b->last_id &&
	  a->prev_id == b->prev_id);
	D(a->price == b->price && a->qty == b->qty);
	D(a->bid_px == b->bid_px && a->bid_qty == b->bid_qty && a->ask_px == b->ask_px &&
	  a->ask_qty == b->ask_qty);
	D(a->buyer_maker == b->buyer_maker && a->best_match == b->best_match);
	D(a->n_bids == b->n_bids && a->n_asks == b->n_asks);
	D(!a->n_bids || !memcmp(a->bids, b->bids, a->n_bids * sizeof(*a->bids)));
	D(!a->n_asks || !memcmp(a->asks, b->asks, a->n_asks * sizeof(*a->asks)));
	D(binance_str_eq(&a->result, &b->result) && binance_str_eq(&a->id_str, &b->id_str));
	D(a->err_code == b->err_code && binance_str_eq(&a->err_msg, &b->err_msg));
#undef D
	return 0;
}

/* Scan, then parse strictly over separate level arrays of the same size.
 * Returns -1 when the scanner declined, 0 when both agree, else the line
 * of binance_msg_diff's first difference (or 1 when strict failed). */
static inline int binance_scan_vs_strict(const char *buf, size_t len, struct json_tok *toks,
					 uint32_t ntoks, struct feed_level *lv_a,
					 struct feed_level *lv_b, uint32_t nlevels)
{
	struct binance_parser pa, pb;
	struct feed_msg a, b;

	binance_parser__init(&pa, toks, ntoks, lv_a, nlevels);
	binance_parser__init(&pb, toks, ntoks, lv_b, nlevels);
	if (!binance_scan(&pa, buf, len, &a))
		return -1;
	if (binance_parse_strict(&pb, buf, len, &b) != 0)
		return 1;
	/* the level views point into different arrays: compare contents */
	if (a.type == FEED_MSG_DEPTH) {
		if (a.bids != lv_a || b.bids != lv_b || a.asks != lv_a + a.n_bids ||
		    b.asks != lv_b + b.n_bids)
			return 2;
		b.bids = a.bids;
		b.asks = a.asks;
		if (memcmp(lv_a, lv_b, (a.n_bids + a.n_asks) * sizeof(*lv_a)) != 0)
			return 3;
	}
	return binance_msg_diff(&a, &b);
}

#endif

/* events_synth.h — deterministic normalized events for the consumer tests
 * and benchmarks (until a feed handler produces real ones): event number i
 * (its seq) fixes its type, symbol and every field, so a reader in another
 * process (C or Python) can check both the order and the content:
 *   type   = 1 + (i - 1) % 5 (trade, bbo, book, top, status)
 *   symbol = "SYM<i % 7>", venue "synth"
 *   trade  price i * 10^6 (0.01 * i), qty i + 1, id i, side 1 + i % 2
 *   bbo    bid_px i*10^8, bid_qty 1, ask_px (i+1)*10^8, ask_qty 2, id i
 *   book   i % 4 bids, (i / 4) % 4 asks, level k: price (i*10 + k)*10^8, qty k + 1;
 *          first_id i, last_id i + 1, SNAPSHOT flag when i % 20 == 3
 *   top    5 + i % 3 levels a side (same levels), last_id i, depth_known 1000
 *   status kind 1 + i % 7, conn i % 3, first_id i, last_id 2i, text "status <i>"
 * exch_ns = 1700000000000000000 + i, recv_ns = that + 1000. */
#ifndef FEEDRX_TESTS_EVENTS_SYNTH_H
#define FEEDRX_TESTS_EVENTS_SYNTH_H

#include <stdio.h>
#include <string.h>

#include "feed/feed_event.h"

struct synth_store {
	struct feed_level lv[16];
	char text[32];
};

static inline void synth_event(struct feed_event *e, uint64_t i, struct synth_store *st)
{
	memset(e, 0, sizeof(*e));
	e->type = (uint16_t)(1 + (i - 1) % 5);
	e->venue = "synth";
	e->seq = i;
	e->exch_ns = 1700000000000000000ull + i;
	e->recv_ns = e->exch_ns + 1000;
	e->symbol_len = (uint8_t)snprintf(e->symbol, sizeof(e->symbol), "SYM%u", (unsigned)(i % 7));
	for (int k = 0; k < 8; k++) {
		st->lv[k].price = ((int64_t)i * 10 + k) * FEED_SCALE;
		st->lv[k].qty = k + 1;
		st->lv[8 + k] = st->lv[k];
	}
	switch (e->type) {
	case FEED_EV_TRADE:
		e->trade.price = (int64_t)i * 1000000;
		e->trade.qty = (int64_t)i + 1;
		e->trade.id = i;
		e->trade.side = (uint8_t)(1 + i % 2);
		break;
	case FEED_EV_BBO:
		e->bbo.bid_px = (int64_t)i * FEED_SCALE;
		e->bbo.bid_qty = 1;
		e->bbo.ask_px = ((int64_t)i + 1) * FEED_SCALE;
		e->bbo.ask_qty = 2;
		e->bbo.id = i;
		break;
	case FEED_EV_BOOK:
		e->book.first_id = i;
		e->book.last_id = i + 1;
		e->book.n_bids = (uint32_t)(i % 4);
		e->book.n_asks = (uint32_t)((i / 4) % 4);
		e->book.bids = st->lv;
		e->book.asks = st->lv + 8;
		if (i % 20 == 3)
			e->flags |= FEED_EVF_SNAPSHOT;
		break;
	case FEED_EV_TOP:
		e->top.last_id = i;
		e->top.n_bids = e->top.n_asks = (uint32_t)(5 + i % 3);
		e->top.bids = st->lv;
		e->top.asks = st->lv + 8;
		e->top.depth_known = 1000;
		break;
	case FEED_EV_STATUS:
		e->status.kind = (uint16_t)(1 + i % 7);
		e->status.conn = (uint32_t)(i % 3);
		e->status.first_id = i;
		e->status.last_id = 2 * i;
		snprintf(st->text, sizeof(st->text), "status %llu", (unsigned long long)i);
		e->status.text = st->text;
		break;
	}
}

#endif

/* order_book — a local order book for one symbol, kept from a REST
 * snapshot plus the depthUpdate diffs of the WebSocket stream, by
 * Binance's rules:
 *   - before a snapshot nothing can be applied (-EAGAIN: buffer the event);
 *   - an event with u <= lastUpdateId is stale and dropped;
 *   - otherwise it must satisfy U <= lastUpdateId + 1 (so the first event
 *     after the snapshot straddles it: U <= lastUpdateId+1 <= u); a larger
 *     U means updates were missed: -EPIPE, and the book stays out of sync
 *     until the next snapshot;
 *   - a level's quantity is absolute; quantity 0 removes the level.
 * Each side is a sorted array of fixed capacity (bids descending, asks
 * ascending), allocated once. When a side is full, a level worse than all
 * kept ones is not stored and an insert evicts the worst level; both are
 * counted in `truncated`. After that the tail of the side may miss levels
 * that a later removal would have uncovered: only depth well inside the
 * capacity is exact, so size the capacity above the depth you read. */
#ifndef FEEDRX_ORDER_BOOK_H
#define FEEDRX_ORDER_BOOK_H

#include <stdint.h>

#include "feed_msg.h"

#define ORDER_BOOK_SYMBOL_MAX 32

enum order_book_state {
	ORDER_BOOK_NO_SNAPSHOT = 0, /* waiting for a snapshot */
	ORDER_BOOK_SYNCED,          /* snapshot loaded, diffs continuous */
	ORDER_BOOK_GAP,             /* a diff was missed: needs a new snapshot */
};

/* order_book__apply outcomes that are not errors. */
#define ORDER_BOOK_APPLIED 0
#define ORDER_BOOK_STALE 1 /* u <= lastUpdateId: dropped, book unchanged */

struct order_book_side {
	struct feed_level *lv; /* best first */
	uint32_t n, cap;
	int desc; /* 1 for bids: higher price is better */
};

struct order_book {
	char symbol[ORDER_BOOK_SYMBOL_MAX];
	uint32_t symbol_len;
	enum order_book_state state;
	uint64_t last_update_id;
	struct order_book_side bids, asks;
	uint64_t applied;   /* diffs applied */
	uint64_t stale;     /* diffs dropped as stale */
	uint64_t gaps;      /* gaps detected */
	uint64_t truncated; /* levels not stored or evicted for capacity */
};

/* Allocate a book for `symbol` (as it appears in "s", e.g. "BTCUSDT") with
 * room for `cap` levels per side. 0 and *out, or -ENOMEM / -EINVAL. */
int order_book__new(struct order_book **out, const char *symbol, uint32_t cap);
void order_book__free(struct order_book *ob);

/* Replace the contents with a snapshot (levels in any order; zero
 * quantities skipped) and its lastUpdateId. Returns 0, or -EINVAL for a
 * price <= 0 or a negative quantity (book unchanged). */
int order_book__snapshot(struct order_book *ob, uint64_t last_update_id,
			 const struct feed_level *bids, uint32_t n_bids,
			 const struct feed_level *asks, uint32_t n_asks);

/* Apply a parsed depthUpdate. Returns ORDER_BOOK_APPLIED, ORDER_BOOK_STALE,
 * -EAGAIN (no snapshot yet), -EPIPE (gap now or earlier: resync),
 * -EINVAL (not a depth update, other symbol, U > u, a price <= 0 or a
 * negative quantity; book unchanged). */
int order_book__apply(struct order_book *ob, const struct feed_msg *m);

/* Empty the book and forget its snapshot (state NO_SNAPSHOT): what a
 * resync starts from, so that nothing of the old book survives it. */
void order_book__reset(struct order_book *ob);

/* Set levels (absolute quantities, 0 removes) without any sequencing
 * check and make last_id the book's lastUpdateId: for callers that chain
 * updates by another venue's rule (feed/book_sync.c). Returns 0, or
 * -EINVAL for a price <= 0 or a negative quantity (book unchanged). */
int order_book__set_levels(struct order_book *ob, uint64_t last_id,
			   const struct feed_level *bids, uint32_t n_bids,
			   const struct feed_level *asks, uint32_t n_asks);

/* Best level of a side: 1 and *out set, or 0 when the side is empty. */
int order_book__best_bid(const struct order_book *ob, struct feed_level *out);
int order_book__best_ask(const struct order_book *ob, struct feed_level *out);

#endif

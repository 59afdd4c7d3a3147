/* order_book — sorted fixed-capacity price levels per side and the
 * lastUpdateId sequencing of Binance depth diffs. */
#include "order_book.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* a is strictly better than b on this side */
static inline int better(const struct order_book_side *s, int64_t a, int64_t b)
{
	return s->desc ? a > b : a < b;
}

/* Index of the first level not better than price (where it is or would go). */
static uint32_t find(const struct order_book_side *s, int64_t price)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (better(s, s->lv[mid].price, price))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Set one level to an absolute quantity (0 removes it). Returns 1 when the
 * level could not be kept or another was evicted for it. */
static int side_set(struct order_book_side *s, int64_t price, int64_t qty)
{
	uint32_t i = find(s, price);
	int found = i < s->n && s->lv[i].price == price;

	if (qty == 0) {
		if (found) {
			memmove(&s->lv[i], &s->lv[i + 1], (s->n - i - 1) * sizeof(s->lv[0]));
			s->n--;
		}
		return 0;
	}
	if (found) {
		s->lv[i].qty = qty;
		return 0;
	}
	int lost = 0;
	if (s->n == s->cap) {
		if (i == s->cap) /* worse than every kept level */
			return 1;
		s->n--; /* evict the worst */
		lost = 1;
	}
	memmove(&s->lv[i + 1], &s->lv[i], (s->n - i) * sizeof(s->lv[0]));
	s->lv[i].price = price;
	s->lv[i].qty = qty;
	s->n++;
	return lost;
}

int order_book__new(struct order_book **out, const char *symbol, uint32_t cap)
{
	size_t len = symbol ? strlen(symbol) : 0;
	struct order_book *ob;

	*out = NULL;
	if (!len || len >= ORDER_BOOK_SYMBOL_MAX || !cap || cap > (1u << 24))
		return -EINVAL;
	ob = calloc(1, sizeof(*ob));
	if (!ob)
		goto err;
	ob->bids.lv = calloc(cap, sizeof(struct feed_level));
	if (!ob->bids.lv)
		goto err_book;
	ob->asks.lv = calloc(cap, sizeof(struct feed_level));
	if (!ob->asks.lv)
		goto err_bids;
	memcpy(ob->symbol, symbol, len);
	ob->symbol_len = (uint32_t)len;
	ob->bids.cap = ob->asks.cap = cap;
	ob->bids.desc = 1;
	ob->state = ORDER_BOOK_NO_SNAPSHOT;
	*out = ob;
	return 0;

err_bids:
	free(ob->bids.lv);
err_book:
	free(ob);
err:
	return -ENOMEM;
}

void order_book__free(struct order_book *ob)
{
	if (!ob)
		return;
	free(ob->asks.lv);
	free(ob->bids.lv);
	free(ob);
}

/* Prices must be positive and quantities not negative; checked before
 * anything changes so that a bad message never half-applies. */
static int levels_ok(const struct feed_level *lv, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (lv[i].price <= 0 || lv[i].qty < 0)
			return 0;
	return 1;
}

int order_book__snapshot(struct order_book *ob, uint64_t last_update_id,
			 const struct feed_level *bids, uint32_t n_bids,
			 const struct feed_level *asks, uint32_t n_asks)
{
	if (!levels_ok(bids, n_bids) || !levels_ok(asks, n_asks))
		return -EINVAL;
	ob->bids.n = ob->asks.n = 0;
	for (uint32_t i = 0; i < n_bids; i++)
		ob->truncated += (uint64_t)side_set(&ob->bids, bids[i].price, bids[i].qty);
	for (uint32_t i = 0; i < n_asks; i++)
		ob->truncated += (uint64_t)side_set(&ob->asks, asks[i].price, asks[i].qty);
	ob->last_update_id = last_update_id;
	ob->state = ORDER_BOOK_SYNCED;
	return 0;
}

int order_book__apply(struct order_book *ob, const struct feed_msg *m)
{
	if (m->type != FEED_MSG_DEPTH || m->first_id > m->last_id ||
	    m->symbol.len != ob->symbol_len || memcmp(m->symbol.ptr, ob->symbol, ob->symbol_len) ||
	    !levels_ok(m->bids, m->n_bids) || !levels_ok(m->asks, m->n_asks))
		return -EINVAL;
	if (ob->state == ORDER_BOOK_NO_SNAPSHOT)
		return -EAGAIN;
	if (ob->state == ORDER_BOOK_GAP)
		return -EPIPE;
	if (m->last_id <= ob->last_update_id) {
		ob->stale++;
		return ORDER_BOOK_STALE;
	}
	/* last_update_id < UINT64_MAX here, since last_id is larger */
	if (m->first_id > ob->last_update_id + 1) {
		ob->gaps++;
		ob->state = ORDER_BOOK_GAP;
		return -EPIPE;
	}
	for (uint32_t i = 0; i < m->n_bids; i++)
		ob->truncated += (uint64_t)side_set(&ob->bids, m->bids[i].price, m->bids[i].qty);
	for (uint32_t i = 0; i < m->n_asks; i++)
		ob->truncated += (uint64_t)side_set(&ob->asks, m->asks[i].price, m->asks[i].qty);
	ob->last_update_id = m->last_id;
	ob->applied++;
	return ORDER_BOOK_APPLIED;
}

void order_book__reset(struct order_book *ob)
{
	ob->bids.n = ob->asks.n = 0;
	ob->last_update_id = 0;
	ob->state = ORDER_BOOK_NO_SNAPSHOT;
}

int order_book__set_levels(struct order_book *ob, uint64_t last_id,
			   const struct feed_level *bids, uint32_t n_bids,
			   const struct feed_level *asks, uint32_t n_asks)
{
	if (!levels_ok(bids, n_bids) || !levels_ok(asks, n_asks))
		return -EINVAL;
	for (uint32_t i = 0; i < n_bids; i++)
		ob->truncated += (uint64_t)side_set(&ob->bids, bids[i].price, bids[i].qty);
	for (uint32_t i = 0; i < n_asks; i++)
		ob->truncated += (uint64_t)side_set(&ob->asks, asks[i].price, asks[i].qty);
	ob->last_update_id = last_id;
	ob->state = ORDER_BOOK_SYNCED;
	ob->applied++;
	return 0;
}

int order_book__best_bid(const struct order_book *ob, struct feed_level *out)
{
	if (!ob->bids.n)
		return 0;
	*out = ob->bids.lv[0];
	return 1;
}

int order_book__best_ask(const struct order_book *ob, struct feed_level *out)
{
	if (!ob->asks.n)
		return 0;
	*out = ob->asks.lv[0];
	return 1;
}

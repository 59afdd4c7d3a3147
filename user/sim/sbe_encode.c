/* sbe_encode — SBE messages for feedsim (see sbe_encode.h). */
#include "sbe_encode.h"

#include <string.h>

#include "venue/sbe_decode.h" /* template ids and block lengths */

struct wr {
	uint8_t *p, *end;
	bool full;
};

static void put(struct wr *w, const void *v, size_t n)
{
	if (w->full || (size_t)(w->end - w->p) < n) {
		w->full = true;
		return;
	}
	memcpy(w->p, v, n);
	w->p += n;
}

static void put_u8(struct wr *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	put(w, b, 2);
}

static void put_u32(struct wr *w, uint32_t v)
{
	put_u16(w, (uint16_t)v);
	put_u16(w, (uint16_t)(v >> 16));
}

static void put_i64(struct wr *w, int64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)v >> (8 * i));
	put(w, b, 8);
}

static void put_header(struct wr *w, uint16_t blen, uint16_t tpl)
{
	put_u16(w, blen);
	put_u16(w, tpl);
	put_u16(w, SBE_SCHEMA_ID);
	put_u16(w, SBE_SCHEMA_VERSION);
}

static size_t finish(struct wr *w, uint8_t *out, const char *sym, size_t sym_len)
{
	if (sym_len > 255)
		return 0;
	put_u8(w, (uint8_t)sym_len);
	put(w, sym, sym_len);
	return w->full ? 0 : (size_t)(w->p - out);
}

static const int64_t p10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

/* Trailing decimal zeros every value shares (at most 8): the exponent is
 * that minus 8 and the mantissas are the values over 10^that. */
static int shared_zeros(int tz, int64_t v)
{
	while (tz > 0 && v % p10[tz] != 0)
		tz--;
	return tz;
}

size_t sbe_encode_trades(uint8_t *out, size_t cap, uint64_t event_us, uint64_t transact_us,
			 const struct feed_trade *t, uint32_t n, const char *sym, size_t sym_len)
{
	struct wr w = {out, out + cap, false};
	int pz = 8, qz = 8;

	for (uint32_t i = 0; i < n; i++) {
		pz = shared_zeros(pz, t[i].price);
		qz = shared_zeros(qz, t[i].qty);
	}
	put_header(&w, SBE_TRADES_BLOCK, SBE_TPL_TRADES);
	put_i64(&w, (int64_t)event_us);
	put_i64(&w, (int64_t)transact_us);
	put_u8(&w, (uint8_t)(int8_t)(pz - 8));
	put_u8(&w, (uint8_t)(int8_t)(qz - 8));
	put_u16(&w, SBE_TRADE_ENTRY);
	put_u32(&w, n);
	for (uint32_t i = 0; i < n; i++) {
		put_i64(&w, (int64_t)t[i].id);
		put_i64(&w, t[i].price / p10[pz]);
		put_i64(&w, t[i].qty / p10[qz]);
		put_u8(&w, t[i].buyer_maker);
	}
	return finish(&w, out, sym, sym_len);
}

size_t sbe_encode_best_bid_ask(uint8_t *out, size_t cap, uint64_t event_us, uint64_t update_id,
			       int64_t bid_px, int64_t bid_qty, int64_t ask_px, int64_t ask_qty,
			       const char *sym, size_t sym_len)
{
	struct wr w = {out, out + cap, false};
	int pz = shared_zeros(shared_zeros(8, bid_px), ask_px);
	int qz = shared_zeros(shared_zeros(8, bid_qty), ask_qty);

	put_header(&w, SBE_BBA_BLOCK, SBE_TPL_BEST_BID_ASK);
	put_i64(&w, (int64_t)event_us);
	put_i64(&w, (int64_t)update_id);
	put_u8(&w, (uint8_t)(int8_t)(pz - 8));
	put_u8(&w, (uint8_t)(int8_t)(qz - 8));
	put_i64(&w, bid_px / p10[pz]);
	put_i64(&w, bid_qty / p10[qz]);
	put_i64(&w, ask_px / p10[pz]);
	put_i64(&w, ask_qty / p10[qz]);
	return finish(&w, out, sym, sym_len);
}

static void put_levels(struct wr *w, const struct feed_level *l, uint32_t n, int pz, int qz)
{
	put_u16(w, SBE_LEVEL_ENTRY);
	put_u16(w, (uint16_t)n);
	for (uint32_t i = 0; i < n; i++) {
		put_i64(w, l[i].price / p10[pz]);
		put_i64(w, l[i].qty / p10[qz]);
	}
}

size_t sbe_encode_depth(uint8_t *out, size_t cap, bool snapshot, uint64_t event_us,
			uint64_t first_id, uint64_t last_id, const struct feed_level *bids,
			uint32_t n_bids, const struct feed_level *asks, uint32_t n_asks,
			const char *sym, size_t sym_len)
{
	struct wr w = {out, out + cap, false};
	int pz = 8, qz = 8;

	if (n_bids > 0xffff || n_asks > 0xffff)
		return 0;
	for (uint32_t i = 0; i < n_bids; i++)
		pz = shared_zeros(pz, bids[i].price), qz = shared_zeros(qz, bids[i].qty);
	for (uint32_t i = 0; i < n_asks; i++)
		pz = shared_zeros(pz, asks[i].price), qz = shared_zeros(qz, asks[i].qty);
	put_header(&w, snapshot ? SBE_SNAPSHOT_BLOCK : SBE_DIFF_BLOCK,
		   snapshot ? SBE_TPL_DEPTH_SNAPSHOT : SBE_TPL_DEPTH_DIFF);
	put_i64(&w, (int64_t)event_us);
	if (!snapshot)
		put_i64(&w, (int64_t)first_id);
	put_i64(&w, (int64_t)last_id);
	put_u8(&w, (uint8_t)(int8_t)(pz - 8));
	put_u8(&w, (uint8_t)(int8_t)(qz - 8));
	put_levels(&w, bids, n_bids, pz, qz);
	put_levels(&w, asks, n_asks, pz, qz);
	return finish(&w, out, sym, sym_len);
}

/* sbe_encode — feedsim's writer of Binance spot SBE messages (schema 1,
 * version 0, little-endian; the layout of venue/sbe_decode.h), from fixed
 * point values (1e-8 units). Each message gets the largest price and
 * quantity exponents that keep every value exact (a 0.01 tick: -2), as
 * Binance picks the symbol's own. A test never checks the decoder with
 * this encoder: tests/test_sbe_decode.c writes its frames by hand. */
#ifndef FEEDRX_SBE_ENCODE_H
#define FEEDRX_SBE_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed/feed_msg.h"

/* Each returns the message's length, or 0 when cap is too small (or a
 * count beyond the group's field). Symbols are at most 255 bytes. */
size_t sbe_encode_trades(uint8_t *out, size_t cap, uint64_t event_us, uint64_t transact_us,
			 const struct feed_trade *t, uint32_t n, const char *sym, size_t sym_len);
size_t sbe_encode_best_bid_ask(uint8_t *out, size_t cap, uint64_t event_us, uint64_t update_id,
			       int64_t bid_px, int64_t bid_qty, int64_t ask_px, int64_t ask_qty,
			       const char *sym, size_t sym_len);
/* snapshot: DepthSnapshotStreamEvent (bookUpdateId = last_id); else
 * DepthDiffStreamEvent (first_id, last_id). */
size_t sbe_encode_depth(uint8_t *out, size_t cap, bool snapshot, uint64_t event_us,
			uint64_t first_id, uint64_t last_id, const struct feed_level *bids,
			uint32_t n_bids, const struct feed_level *asks, uint32_t n_asks,
			const char *sym, size_t sym_len);

#endif

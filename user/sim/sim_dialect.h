/* sim_dialect — feedsim speaking another venue than Binance (--venue okx,
 * bybit): its URL paths, its subscription requests and replies, its
 * keepalive, and its message shapes. feedgen stays the one source of market
 * data: a dialect maps the venue's stream names onto feedgen streams
 * (books:BTC-USDT and orderbook.50.BTCUSDT onto btcusdt@depth, trades: and
 * publicTrade. onto @trade, bbo-tbt: and orderbook.1. onto @bookTicker),
 * parses each message feedgen writes and writes it again in the venue's
 * shape, with the venue's sequence ids:
 *   OKX   books: the first message of a subscription is action "snapshot"
 *         (every non-empty level, prevSeqId -1), then "update" with
 *         prevSeqId = the previous seqId (feedgen's U - 1), seqId = u.
 *   Bybit orderbook.N: "snapshot" then "delta" with u = previous u + 1
 *         (per topic, from 1 after each subscription), seq = feedgen's u;
 *         publicTrade carries 1..3 trades (one feedgen trade split).
 * Gaps on demand: --drop-diff P drops each book update (never a snapshot)
 * with probability P, drawn from --seed: not sent, not logged, its ids
 * used, so the next one breaks the chain. An unsubscribe then a subscribe
 * of the stream starts it again with a snapshot (the resync).
 * Every data object ends with feedsim's "ts_ns" at the top level.
 * A connection's dialect state is about 125 KiB (its stream map and the
 * token and level arrays for re-parsing), allocated at the upgrade.
 *
 * Binance (the default) is not a dialect: sim_server's own path. */
#ifndef FEEDRX_SIM_DIALECT_H
#define FEEDRX_SIM_DIALECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "feedgen.h"

#define SIM_DIALECT_MAX_STREAMS 256 /* per connection */
#define SIM_DIALECT_MAX_REPLIES 64  /* replies to one client message */

struct sim_dialect_conf {
	uint64_t seed;
	double drop_diff; /* probability a book update is dropped */
};

struct sim_dconn;

struct sim_dialect {
	const char *name;
	const char *const *paths; /* the URL paths it serves (query ignored) */
	/* One connection's state, from its request-target: 0 or -ENOMEM. */
	int (*conn_new)(struct sim_dconn **out, const struct sim_dialect_conf *conf,
			const char *target, size_t target_len, unsigned conn_id);
	void (*conn_free)(struct sim_dconn *c);
	/* A text message from the client (a request, the keepalive): applied
	 * to g; the replies written back to back into out (cap bytes), their
	 * lengths in lens[]. Returns how many. */
	unsigned (*handle)(struct sim_dconn *c, struct feedgen *g, const char *req, size_t n,
			   char *out, size_t cap, size_t *lens);
	/* One feedgen message (Binance JSON, not combined) in the venue's
	 * shape: its length, 0 to drop it (--drop-diff), negative on error. */
	ssize_t (*translate)(struct sim_dconn *c, const char *in, size_t n, char *out, size_t cap,
			     int64_t wall_ms);
};

extern const struct sim_dialect sim_dialect_okx, sim_dialect_bybit;

/* By --venue name; NULL for "binance" (sim_server's own) or unknown. */
const struct sim_dialect *sim_dialect_find(const char *name, bool *known);
/* Names for --help: "binance, okx, bybit". */
const char *sim_dialect_names(void);

#endif

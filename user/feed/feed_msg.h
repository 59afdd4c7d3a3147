/* feed_msg — the typed event a venue's parser fills from one message, the
 * same for every venue: trades, best bid/offer, depth diffs and the
 * replies to requests, with prices and quantities in fixed point (1e-8
 * units, never binary floating point). Strings and level arrays point
 * into the parsed input and the parser's storage. */
#ifndef FEEDRX_FEED_MSG_H
#define FEEDRX_FEED_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum feed_msg_type {
	FEED_MSG_UNKNOWN = 0,
	FEED_MSG_TRADE,
	FEED_MSG_AGG_TRADE,
	FEED_MSG_BOOK_TICKER,
	FEED_MSG_DEPTH,
	FEED_MSG_REPLY,
	FEED_MSG_ERROR_REPLY,
};

#define FEED_SCALE 100000000LL /* fixed-point units per 1.0 */

struct feed_str {
	const char *ptr; /* into the input; NULL when absent */
	uint32_t len;
};

struct feed_level {
	int64_t price; /* units of 1e-8 */
	int64_t qty;
};

/* One trade of a message that carries several (Bybit publicTrade, OKX
 * trades: "data" is an array; Binance SBE TradesStreamEvent). */
struct feed_trade {
	uint64_t id;            /* numeric trade id; 0 when it is not a number */
	struct feed_str id_str; /* the id as sent (a UUID on Bybit futures) */
	int64_t price, qty;     /* units of 1e-8 */
	uint64_t trade_ms;      /* trade time, CLOCK_REALTIME ms; 0: the message's trade_ms */
	bool buyer_maker;       /* the taker sold */
};

/* Which optional fields were present. */
#define FEED_F_STREAM (1u << 0)     /* came in a combined-stream envelope */
#define FEED_F_EVENT_MS (1u << 1)   /* E */
#define FEED_F_TRADE_MS (1u << 2)   /* T */
#define FEED_F_TS_NS (1u << 3)      /* simulator send time */
#define FEED_F_BEST_MATCH (1u << 4) /* M */
#define FEED_F_ID (1u << 5)         /* id numeric (replies) */
#define FEED_F_ID_STR (1u << 6)     /* id a string (replies) */
#define FEED_F_PREV_ID (1u << 7)    /* depth "pu" (futures); OKX prevSeqId */
#define FEED_F_SNAPSHOT (1u << 8)   /* depth: a whole book sent in the stream (OKX, Bybit), not a diff */
#define FEED_F_TIME_US (1u << 9)    /* event_ms and trade_ms hold microseconds (Binance SBE) */

struct feed_msg {
	enum feed_msg_type type;
	uint32_t fields;        /* FEED_F_* */
	struct feed_str stream; /* envelope "stream" */
	struct feed_str event;  /* "e" as sent (also for unknown types) */
	struct feed_str symbol; /* "s" */
	uint64_t event_ms;      /* E: exchange event time, CLOCK_REALTIME ms */
	uint64_t trade_ms;      /* T: trade (or futures transaction) time */
	uint64_t ts_ns;         /* "ts_ns": feedsim send time, CLOCK_MONOTONIC */
	/* trade: t; aggTrade: a; bookTicker: u; reply/error: numeric id */
	uint64_t id;
	uint64_t first_id; /* aggTrade f; depth U */
	uint64_t last_id;  /* aggTrade l; depth u */
	uint64_t prev_id;  /* depth pu */
	int64_t price, qty; /* trade, aggTrade */
	int64_t bid_px, bid_qty, ask_px, ask_qty; /* bookTicker */
	bool buyer_maker;   /* m */
	bool best_match;    /* M */
	/* depthUpdate: views into the parser's level array */
	const struct feed_level *bids, *asks;
	uint32_t n_bids, n_asks;
	/* replies */
	struct feed_str result;  /* raw JSON text of "result" */
	struct feed_str id_str;  /* "id" when a string (escapes not decoded) */
	int64_t err_code;        /* error.code */
	struct feed_str err_msg; /* error.msg, JSON escapes not decoded */
	/* A trade message that carries several trades (Binance SBE
	 * TradesStreamEvent, OKX trades, Bybit publicTrade): trades != NULL, n_trades of
	 * them in the parser's storage (possibly 0), and the scalar fields
	 * id, price, qty, buyer_maker hold trades[0]. NULL for single-trade
	 * messages. Read either kind with feed_msg_trade_count() and
	 * feed_msg_trade(). (At the end: the struct only grows.) */
	const struct feed_trade *trades;
	uint32_t n_trades;
};

/* An order-book snapshot fetched apart from the stream (Binance's REST
 * depth): the update id it is current to and both sides, best first as
 * the venue sent them. Level arrays belong to the parser that filled it. */
struct feed_book_snapshot {
	uint64_t last_update_id;
	uint64_t event_ms; /* the venue's time when it sends one ("E"), else 0 */
	const struct feed_level *bids, *asks;
	uint32_t n_bids, n_asks;
};

/* "123.45" -> 12345000000: [-]digits[.digits], at most 8 decimals, |value|
 * <= INT64_MAX units. Returns 0 or -FX_E_FEED_DECIMAL. */
int feed_decimal_parse(const char *s, size_t len, int64_t *out);

/* The trades a message carries: n_trades for a multi-trade message, 1
 * for a trade or aggTrade, 0 otherwise. */
uint32_t feed_msg_trade_count(const struct feed_msg *m);

/* Trade i (< feed_msg_trade_count) of m, with trade_ms filled in from the
 * message when the trade has no time of its own. */
void feed_msg_trade(const struct feed_msg *m, uint32_t i, struct feed_trade *out);

/* Name of a message type ("trade", ...). */
const char *feed_msg_type_name(enum feed_msg_type t);

#endif

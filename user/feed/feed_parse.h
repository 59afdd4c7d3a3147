/* feed_parse — Binance market-data messages (one WebSocket text payload)
 * into a tagged struct, without allocating: proto/json's strict tokenizer
 * writes into a caller-provided token array, then the fields of the known
 * message types are picked out of it. Strings (symbol, stream,
 * error text) point into the input; prices and quantities become int64
 * fixed point with 8 decimals, parsed exactly.
 *
 * Understood:
 *   trade       {"e":"trade","E","s","t","p","q","T","m"[,"M"]}
 *   aggTrade    {"e":"aggTrade","E","s","a","p","q","f","l","T","m"[,"M"]}
 *   bookTicker  {"u","s","b","B","a","A"}  (no "e"; futures' "e":"bookTicker" too)
 *   depthUpdate {"e":"depthUpdate","E","s","U","u","b":[["p","q"],..],"a":[..]
 *                [,"T","pu"]}
 *   envelope    {"stream":"btcusdt@trade","data":{one of the above}}
 *   reply       {"result":<any>,"id":<uint|string|null>}
 *   error reply {"error":{"code":<int>,"msg":<string>},"id":..}
 * plus the simulator's "ts_ns" (CLOCK_MONOTONIC ns at send) in data objects.
 * Other "e" values and shapes parse as FEED_MSG_UNKNOWN (not an error).
 *
 * Rules: the JSON must be valid (RFC 8259: no trailing commas, no leading
 * zeros, literal case, escapes checked, no raw control characters; UTF-8 is
 * not validated — the WebSocket layer does that for text frames); trailing
 * whitespace is allowed, anything else after the object is not. Unknown
 * keys are ignored. Duplicate keys are accepted and the LAST one wins.
 * Keys are matched byte for byte, so an escaped key ("\u0065") is unknown.
 * Symbol and stream must be plain strings (no escapes). Integers must be
 * JSON integers (no fraction or exponent) that fit the field. Decimal
 * strings: [-]digits[.digits], at most 8 decimals, |value| <= INT64_MAX
 * units of 1e-8; leading zeros are accepted. Depth levels: exactly
 * ["price","qty"] each; bids and asks together share the caller's level
 * array. Nesting deeper than JSON_MAX_DEPTH is refused. */
#ifndef FEEDRX_FEED_PARSE_H
#define FEEDRX_FEED_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/fx_err.h"
#include "proto/json.h"

/* Errors: negative, grouped by class; the JSON ones are proto/json's. */
enum feed_err {
	FEED_OK = 0,
	/* not valid JSON */
	FEED_ERR_TRUNCATED = JSON_ERR_TRUNCATED, /* input ended inside a value */
	FEED_ERR_SYNTAX = JSON_ERR_SYNTAX,       /* unexpected character */
	FEED_ERR_STRING = JSON_ERR_STRING,       /* raw control character in a string */
	FEED_ERR_ESCAPE = JSON_ERR_ESCAPE,       /* bad backslash escape */
	FEED_ERR_NUMBER = JSON_ERR_NUMBER,       /* malformed number */
	FEED_ERR_TRAILING = JSON_ERR_TRAILING,   /* something after the top-level value */
	/* limits */
	FEED_ERR_DEPTH = JSON_ERR_DEPTH,       /* nesting deeper than JSON_MAX_DEPTH */
	FEED_ERR_TOKENS = JSON_ERR_TOKENS,     /* token array too small */
	FEED_ERR_LEVELS = -FX_E_FEED_LEVELS,   /* more depth levels than the level array holds */
	FEED_ERR_TOO_LONG = JSON_ERR_TOO_LONG, /* input of 4 GiB or more */
	/* valid JSON, not a valid message */
	FEED_ERR_NOT_OBJECT = -FX_E_FEED_NOT_OBJECT,/* top level (or "data", "error") not an object */
	FEED_ERR_TYPE = JSON_ERR_TYPE,     /* a known field has the wrong JSON type */
	FEED_ERR_MISSING = -FX_E_FEED_MISSING,/* a required field is absent */
	FEED_ERR_RANGE = JSON_ERR_RANGE,   /* integer out of range (or negative) */
	FEED_ERR_DECIMAL = -FX_E_FEED_DECIMAL,/* price/qty string not a valid 8-decimal number */
};


/* ---- the message ---- */

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

/* Which optional fields were present. */
#define FEED_F_STREAM (1u << 0)     /* came in a combined-stream envelope */
#define FEED_F_EVENT_MS (1u << 1)   /* E */
#define FEED_F_TRADE_MS (1u << 2)   /* T */
#define FEED_F_TS_NS (1u << 3)      /* simulator send time */
#define FEED_F_BEST_MATCH (1u << 4) /* M */
#define FEED_F_ID (1u << 5)         /* id numeric (replies) */
#define FEED_F_ID_STR (1u << 6)     /* id a string (replies) */
#define FEED_F_PREV_ID (1u << 7)    /* depth "pu" (futures) */

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
};

/* Working memory, set up once: tokens and depth levels. A 150-byte trade
 * needs ~25 tokens; a depth update 3 per level plus ~20. */
struct feed_parser {
	struct json_tok *toks;
	uint32_t ntoks;
	struct feed_level *levels;
	uint32_t nlevels;
};

/* Over caller-provided arrays. */
void feed_parser__init(struct feed_parser *p, struct json_tok *toks, uint32_t ntoks,
		       struct feed_level *levels, uint32_t nlevels);
/* Allocate the parser and both arrays (once): 0 and *out, or -ENOMEM.
 * __free is only for parsers from __new. */
int feed_parser__new(struct feed_parser **out, uint32_t ntoks, uint32_t nlevels);
void feed_parser__free(struct feed_parser *p);

/* Parse one message. Returns 0 (m filled; m->type may be FEED_MSG_UNKNOWN)
 * or a negative enum feed_err (m then holds nothing useful). Pointers in m
 * refer to buf and to p's level array: valid until either changes. */
int feed_parse(struct feed_parser *p, const char *buf, size_t len, struct feed_msg *m);

/* "123.45" -> 12345000000. Returns 0 or FEED_ERR_DECIMAL. */
int feed_parse_decimal(const char *s, size_t len, int64_t *out);

/* Name of a message type ("trade", ...). */
const char *feed_msg_type_name(enum feed_msg_type t);

/* Timestamps read without parsing, for latency on every message (a few ns
 * against a full parse's ~250): the simulator's "ts_ns" (its last field, in
 * the last 64 bytes) and the exchange's "E" (in the first 64). 0 when absent. */
uint64_t feed_scan_ts_ns(const uint8_t *p, size_t n);
uint64_t feed_scan_event_ms(const uint8_t *p, size_t n);

#endif

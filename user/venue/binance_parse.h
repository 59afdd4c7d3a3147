/* binance_parse — Binance market-data messages (one WebSocket text payload)
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
#include "feed/feed_msg.h"
#include "proto/json.h"

/* Errors: negative, grouped by class; the JSON ones are proto/json's. */
enum binance_err {
	BINANCE_OK = 0,
	/* not valid JSON */
	BINANCE_E_TRUNCATED = JSON_ERR_TRUNCATED, /* input ended inside a value */
	BINANCE_E_SYNTAX = JSON_ERR_SYNTAX,       /* unexpected character */
	BINANCE_E_STRING = JSON_ERR_STRING,       /* raw control character in a string */
	BINANCE_E_ESCAPE = JSON_ERR_ESCAPE,       /* bad backslash escape */
	BINANCE_E_NUMBER = JSON_ERR_NUMBER,       /* malformed number */
	BINANCE_E_TRAILING = JSON_ERR_TRAILING,   /* something after the top-level value */
	/* limits */
	BINANCE_E_DEPTH = JSON_ERR_DEPTH,       /* nesting deeper than JSON_MAX_DEPTH */
	BINANCE_E_TOKENS = JSON_ERR_TOKENS,     /* token array too small */
	BINANCE_E_LEVELS = -FX_E_FEED_LEVELS,   /* more depth levels than the level array holds */
	BINANCE_E_TOO_LONG = JSON_ERR_TOO_LONG, /* input of 4 GiB or more */
	/* valid JSON, not a valid message */
	BINANCE_E_NOT_OBJECT = -FX_E_FEED_NOT_OBJECT,/* top level (or "data", "error") not an object */
	BINANCE_E_TYPE = JSON_ERR_TYPE,     /* a known field has the wrong JSON type */
	BINANCE_E_MISSING = -FX_E_FEED_MISSING,/* a required field is absent */
	BINANCE_E_RANGE = JSON_ERR_RANGE,   /* integer out of range (or negative) */
	BINANCE_E_DECIMAL = -FX_E_FEED_DECIMAL,/* price/qty string not a valid 8-decimal number */
};


/* Working memory, set up once: tokens and depth levels. A 150-byte trade
 * needs ~25 tokens; a depth update 3 per level plus ~20. */
struct binance_parser {
	struct json_tok *toks;
	uint32_t ntoks;
	struct feed_level *levels;
	uint32_t nlevels;
};

/* Over caller-provided arrays. */
void binance_parser__init(struct binance_parser *p, struct json_tok *toks, uint32_t ntoks,
		       struct feed_level *levels, uint32_t nlevels);
/* Allocate the parser and both arrays (once): 0 and *out, or -ENOMEM.
 * __free is only for parsers from __new. */
int binance_parser__new(struct binance_parser **out, uint32_t ntoks, uint32_t nlevels);
void binance_parser__free(struct binance_parser *p);

/* Parse one message. Returns 0 (m filled; m->type may be FEED_MSG_UNKNOWN)
 * or a negative enum binance_err (m then holds nothing useful). Pointers in m
 * refer to buf and to p's level array: valid until either changes. */
int binance_parse(struct binance_parser *p, const char *buf, size_t len, struct feed_msg *m);

/* The two ways binance_parse tries, for tests and benchmarks:
 * binance_scan (binance_scan.c) is the fast pass that knows Binance's field
 * order: true when it understood the whole message (m filled exactly as
 * the strict parser fills it), false when the strict parser must decide;
 * binance_parse_strict tokenizes and takes any valid order. */
bool binance_scan(struct binance_parser *p, const char *buf, size_t len, struct feed_msg *m);
int binance_parse_strict(struct binance_parser *p, const char *buf, size_t len,
			 struct feed_msg *m);

/* A REST depth snapshot, {"lastUpdateId":N,"bids":[["p","q"],..],"asks":[..]}
 * (USD-M adds "E" and "T"): 0 and *s (levels in p's level array), or a
 * negative enum binance_err. */
int binance_parse_snapshot(struct binance_parser *p, const char *buf, size_t len,
			   struct feed_book_snapshot *s);

/* "<prefix>?symbol=<SYMBOL>&limit=<limit>" into out: its length, -EINVAL
 * (symbol not [A-Z0-9]+, limit 0) or -ENOSPC. */
int binance_snapshot_path(const char *prefix, const char *symbol, uint32_t limit, char *out,
			  size_t cap);

/* Timestamps read without parsing, for latency on every message (a few ns
 * against a full parse's ~250): the simulator's "ts_ns" (its last field, in
 * the last 64 bytes) and the exchange's "E" (in the first 64). 0 when absent. */
uint64_t binance_scan_ts_ns(const uint8_t *p, size_t n);
uint64_t binance_scan_event_ms(const uint8_t *p, size_t n);

#endif

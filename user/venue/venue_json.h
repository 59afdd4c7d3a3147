/* venue_json — what the JSON venues other than Binance (OKX, Bybit) share
 * to turn a message into struct feed_msg: a parser's working memory (tokens,
 * depth levels, trades, set up once, nothing allocated per message), member
 * look-up in proto/json's tokens, typed field values, depth level arrays, and
 * a cheap walk over the top level of an object for the reply and keepalive
 * classification that runs on every message.
 *
 * Rules as binance_parse: strict JSON, keys matched byte for byte (an
 * escaped key is unknown), the first occurrence of a key wins, decimals are
 * [-]digits[.digits] with at most 8 decimals into 1e-8 units. */
#ifndef FEEDRX_VENUE_JSON_H
#define FEEDRX_VENUE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed/feed_msg.h"
#include "proto/json.h"

struct vjson_parser {
	struct json_tok *toks;
	uint32_t ntoks;
	struct feed_level *levels;
	uint32_t nlevels;
	struct feed_trade *trades;
	uint32_t ntrades;
	char stream[96]; /* a stream name put together (OKX "books:BTC-USDT") */
};

/* Allocate the parser and its arrays, once: 0 or -ENOMEM. */
int vjson_parser__new(struct vjson_parser **out, uint32_t ntoks, uint32_t nlevels,
		      uint32_t ntrades);
void vjson_parser__free(struct vjson_parser *p);

/* The value token of member `key` of object token obj, or 0 (token 0 is the
 * root, never a member value). */
uint32_t vjson_get(const char *js, const struct json_tok *toks, uint32_t obj, const char *key);

/* Keys looked up in one pass: VJSON_KEY("px") for a table. */
struct vjson_key {
	const char *s;
	uint32_t len;
};
#define VJSON_KEY(lit) {lit, sizeof(lit) - 1}

/* One pass over object obj's members: slot[i] = the value token of keys[i]
 * (the first occurrence), 0 when absent. n <= 32. */
void vjson_collect(const char *js, const struct json_tok *toks, uint32_t obj,
		   const struct vjson_key *keys, uint32_t n, uint32_t *slot);

/* Whether string token t is exactly lit. */
bool vjson_is(const char *js, const struct json_tok *t, const char *lit);

/* A string without escapes (a symbol, a channel): its bytes are its value. */
int vjson_ident(const char *js, const struct json_tok *t, struct feed_str *out);
/* Any string, escapes not decoded. */
int vjson_str(const char *js, const struct json_tok *t, struct feed_str *out);
/* A decimal string into 1e-8 units. */
int vjson_dec(const char *js, const struct json_tok *t, int64_t *out);
/* An unsigned integer sent as a JSON integer or as a string of digits
 * (OKX sends times and ids as strings). */
int vjson_u64(const char *js, const struct json_tok *t, uint64_t *out);
/* A signed integer, number or string ("-1", "60012"). */
int vjson_i64(const char *js, const struct json_tok *t, int64_t *out);

/* One side's [["price","qty",...], ...] (each level an array of at least
 * two strings: OKX adds two more) into levels[*used ..]: 0, or a negative
 * code (-FX_E_FEED_LEVELS when the array is full). */
int vjson_levels(const char *js, const struct json_tok *toks, uint32_t arr,
		 struct feed_level *levels, uint32_t cap, uint32_t *used, uint32_t *count);

/* Walk the top level of the object in p[0, n) without a tokenizer: calls
 * fn(key, klen, value, vlen, user) per member (strings with their quotes
 * stripped, other values raw) until it returns false. Returns false when p
 * is not a well-formed-looking object (no full validation). */
bool vjson_walk(const uint8_t *p, size_t n,
		bool (*fn)(const uint8_t *k, size_t kn, const uint8_t *v, size_t vn, void *user),
		void *user);

/* vjson_walk over every member, and true only when the object is all of p
 * (whitespace around it aside) and fn never said stop. */
bool vjson_walk_exact(const uint8_t *p, size_t n,
		      bool (*fn)(const uint8_t *k, size_t kn, const uint8_t *v, size_t vn,
				 void *user),
		      void *user);

/* The first key of the object in p (the cheap test for data messages):
 * true with the key in k, kn; or false. */
bool vjson_first_key(const uint8_t *p, size_t n, const uint8_t **k, size_t *kn);

#endif

/* json — a strict JSON tokenizer in the style of jsmn: one pass over the
 * text writes typed tokens into a caller-provided array, nothing is
 * allocated. The Binance parser (venue/binance_parse) picks fields out of
 * the tokens; the simulator (sim/sim_rpc) reads subscription requests.
 *
 * Rules: RFC 8259 (no trailing commas, no leading zeros, literal case,
 * escapes checked, no raw control characters; UTF-8 is not validated — the
 * WebSocket layer does that for text frames); whitespace after the value is
 * allowed, anything else is not. Nesting deeper than JSON_MAX_DEPTH is
 * refused. */
#ifndef FEEDRX_JSON_H
#define FEEDRX_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "core/fx_err.h"

#define JSON_MAX_DEPTH 16

/* Errors: negative, grouped by class, in the JSON/feed block of
 * core/fx_err.h (fx_strerror() has their texts); binance_parse's enum binance_err
 * reuses these values, so the two never disagree about a JSON error. */
enum json_err {
	/* not valid JSON */
	JSON_ERR_TRUNCATED = -FX_E_FEED_TRUNCATED, /* input ended inside a value */
	JSON_ERR_SYNTAX = -FX_E_FEED_SYNTAX,	 /* unexpected character */
	JSON_ERR_STRING = -FX_E_FEED_STRING,	 /* raw control character in a string */
	JSON_ERR_ESCAPE = -FX_E_FEED_ESCAPE,	 /* bad backslash escape */
	JSON_ERR_NUMBER = -FX_E_FEED_NUMBER,	 /* malformed number */
	JSON_ERR_TRAILING = -FX_E_FEED_TRAILING,	 /* something after the top-level value */
	/* limits */
	JSON_ERR_DEPTH = -FX_E_FEED_DEPTH,	 /* nesting deeper than JSON_MAX_DEPTH */
	JSON_ERR_TOKENS = -FX_E_FEED_TOKENS,	 /* token array too small */
	JSON_ERR_TOO_LONG = -FX_E_FEED_TOO_LONG, /* input of 4 GiB or more */
	/* valid JSON, not the value asked for */
	JSON_ERR_TYPE = -FX_E_FEED_TYPE,  /* json_u64: not an integer number */
	JSON_ERR_RANGE = -FX_E_FEED_RANGE, /* json_u64: negative or too large */
};

enum json_tok_type {
	JSON_TOK_OBJECT = 1,
	JSON_TOK_ARRAY,
	JSON_TOK_STRING,
	JSON_TOK_NUMBER,
	JSON_TOK_TRUE,
	JSON_TOK_FALSE,
	JSON_TOK_NULL,
};

#define JSON_TOKF_ESCAPED 1u /* string holds a backslash escape */
#define JSON_TOKF_INT 2u     /* number without fraction or exponent */
#define JSON_TOKF_NEG 4u     /* number with a minus sign */

/* One JSON value. Objects hold `size` key/value pairs laid out as key
 * token, value subtree, key token, ...; arrays `size` value subtrees. */
struct json_tok {
	uint32_t start; /* offset of the first byte; strings: after the quote */
	uint32_t len;	/* strings: without the quotes; containers: to the bracket */
	uint32_t size;	/* containers: number of members */
	uint32_t next;	/* index of the first token after this subtree */
	uint8_t type;	/* enum json_tok_type */
	uint8_t flags;	/* JSON_TOKF_* */
};

/* Tokenize one JSON value (any type) filling toks[0..]. Returns the number
 * of tokens used or a negative enum json_err. Reads only js[0..len). */
int json_tokenize(const char *js, size_t len, struct json_tok *toks, uint32_t ntoks);

/* A number token as an unsigned 64-bit integer: 0, JSON_ERR_TYPE (not a
 * number or not an integer) or JSON_ERR_RANGE (negative or too large). */
int json_u64(const char *js, const struct json_tok *t, uint64_t *out);

#endif

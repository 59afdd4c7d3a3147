/* binance_scan — the fast way through a Binance message: one forward pass
 * that knows the field order Binance sends (trade, aggTrade, spot
 * bookTicker, spot depthUpdate, bare or in a combined-stream envelope) and
 * fills struct feed_msg straight from the bytes, with no token array.
 *
 * It accepts only what it fully understands: the exact key order, no
 * whitespace, plain JSON integers without leading zeros that fit 19
 * digits, strings without escapes or control characters, decimals that
 * feed_decimal_parse takes, and nothing after the closing brace. For any
 * such input the strict parser (binance_parse_strict) gives the same
 * result, field for field; everything else — another order, an unknown
 * key, an error of any kind — returns 0 and the caller falls back to the
 * strict parser, which also reports the error. tests/test_binance_scan.c
 * and the fuzz target check the two against each other. */
#include "binance_parse.h"

#include <string.h>

struct cur {
	const char *p, *end;
};

static inline bool lit(struct cur *c, const char *s, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

#define LIT(c, s) lit((c), (s), sizeof(s) - 1)

static inline bool digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Eight ASCII digits at p as a number, or -1 when one is not a digit
 * (SWAR: all eight at once, little-endian load). */
static inline int64_t digits8(const char *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	if (((x & 0xF0F0F0F0F0F0F0F0ull) | ((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4) !=
	    (0x3030303030303030ull | 0x0303030303030303ull))
		return -1;
	x -= 0x3030303030303030ull;
	x = x * 10 + (x >> 8);
	x = (((x & 0x000000FF000000FFull) * 0x000F424000000064ull) +
	     (((x >> 16) & 0x000000FF000000FFull) * 0x0000271000000001ull)) >> 32;
	return (int64_t)x;
}

/* A JSON integer >= 0 of at most 19 digits (cannot overflow), no leading
 * zero; what follows must not continue the number (the caller's next
 * literal checks that it is ',' or '}'). Eight digits at a time where
 * eight are there (timestamps have 13 to 16). */
static inline bool u64(struct cur *c, uint64_t *out)
{
	const char *p = c->p;
	uint64_t v = 0;
	int64_t d8;
	int n = 0;

	if (p >= c->end || !digit(*p))
		return false;
	if (*p == '0') {
		p++;
	} else {
		while (c->end - p >= 8 && n <= 11 && (d8 = digits8(p)) >= 0) {
			v = v * 100000000u + (uint64_t)d8;
			p += 8;
			n += 8;
		}
		while (p < c->end && digit(*p) && n < 19) {
			v = v * 10 + (uint64_t)(*p++ - '0');
			n++;
		}
	}
	if (p < c->end && (digit(*p) || *p == '.' || *p == 'e' || *p == 'E'))
		return false;
	c->p = p;
	*out = v;
	return true;
}

/* The rest of a string whose opening quote was consumed: no escape, no
 * control character. */
static inline bool str(struct cur *c, struct feed_str *out)
{
	const char *p = c->p;

	while (p < c->end && *p != '"') {
		if (*p == '\\' || (unsigned char)*p < 0x20)
			return false;
		p++;
	}
	if (p >= c->end)
		return false;
	out->ptr = c->p;
	out->len = (uint32_t)(p - c->p);
	c->p = p + 1;
	return true;
}

/* "digits[.digits]" into fixed point, in one pass: at most 10 integer
 * digits and 8 decimals (so no overflow is possible), else false and the
 * strict parser (feed_decimal_parse, a superset) decides. */
static inline bool dec(struct cur *c, int64_t *out)
{
	const char *p = c->p, *end = c->end;
	int64_t v = 0, f;
	int n = 0;

	if (p >= end || *p++ != '"')
		return false;
	while (p < end && digit(*p) && n < 10) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0 || p >= end)
		return false;
	v *= FEED_SCALE;
	if (*p == '.') {
		p++;
		if (end - p >= 9 && p[8] == '"' && (f = digits8(p)) >= 0) {
			v += f;
			p += 8;
		} else {
			int64_t scale = FEED_SCALE / 10;
			int k = 0;

			while (p < end && digit(*p) && k < 8) {
				v += (*p++ - '0') * scale;
				scale /= 10;
				k++;
			}
			if (k == 0)
				return false;
		}
	}
	if (p >= end || *p != '"')
		return false;
	c->p = p + 1;
	*out = v;
	return true;
}

static inline bool boolean(struct cur *c, bool *out)
{
	if (LIT(c, "true")) {
		*out = true;
		return true;
	}
	if (LIT(c, "false")) {
		*out = false;
		return true;
	}
	return false;
}

/* The optional "M" and the simulator's "ts_ns", then the closing brace. */
static inline bool tail(struct cur *c, struct feed_msg *m, bool best_match)
{
	if (best_match && LIT(c, ",\"M\":")) {
		if (!boolean(c, &m->best_match))
			return false;
		m->fields |= FEED_F_BEST_MATCH;
	}
	if (LIT(c, ",\"ts_ns\":")) {
		if (!u64(c, &m->ts_ns))
			return false;
		m->fields |= FEED_F_TS_NS;
	}
	return LIT(c, "}");
}

/* ...,"s":"SYMBOL" (from the comma). */
static inline bool symbol(struct cur *c, struct feed_msg *m)
{
	return LIT(c, ",\"s\":\"") && str(c, &m->symbol);
}

static bool trade(struct cur *c, struct feed_msg *m, bool agg)
{
	if (!LIT(c, "\",\"E\":") || !u64(c, &m->event_ms) || !symbol(c, m))
		return false;
	if (!(agg ? LIT(c, ",\"a\":") : LIT(c, ",\"t\":")) || !u64(c, &m->id))
		return false;
	if (!LIT(c, ",\"p\":") || !dec(c, &m->price) || !LIT(c, ",\"q\":") || !dec(c, &m->qty))
		return false;
	if (agg && (!LIT(c, ",\"f\":") || !u64(c, &m->first_id) || !LIT(c, ",\"l\":") ||
		    !u64(c, &m->last_id)))
		return false;
	if (!LIT(c, ",\"T\":") || !u64(c, &m->trade_ms) || !LIT(c, ",\"m\":") ||
	    !boolean(c, &m->buyer_maker))
		return false;
	m->fields |= FEED_F_EVENT_MS | FEED_F_TRADE_MS;
	m->type = agg ? FEED_MSG_AGG_TRADE : FEED_MSG_TRADE;
	return tail(c, m, true);
}

static bool book_ticker(struct cur *c, struct feed_msg *m)
{
	if (!u64(c, &m->id) || !symbol(c, m))
		return false;
	if (!LIT(c, ",\"b\":") || !dec(c, &m->bid_px) || !LIT(c, ",\"B\":") ||
	    !dec(c, &m->bid_qty) || !LIT(c, ",\"a\":") || !dec(c, &m->ask_px) ||
	    !LIT(c, ",\"A\":") || !dec(c, &m->ask_qty))
		return false;
	m->type = FEED_MSG_BOOK_TICKER;
	return tail(c, m, false);
}

/* [["p","q"],...] into levels[*used..]; the '[' is consumed. */
static bool levels(struct cur *c, struct feed_level *lv, uint32_t cap, uint32_t *used,
		   uint32_t *count)
{
	uint32_t n = 0;

	if (LIT(c, "]")) {
		*count = 0;
		return true;
	}
	for (;;) {
		if (*used + n >= cap)
			return false; /* the strict parser says BINANCE_E_LEVELS */
		struct feed_level *l = &lv[*used + n];
		if (!LIT(c, "[") || !dec(c, &l->price) || !LIT(c, ",") || !dec(c, &l->qty) ||
		    !LIT(c, "]"))
			return false;
		n++;
		if (LIT(c, "]"))
			break;
		if (!LIT(c, ","))
			return false;
	}
	*used += n;
	*count = n;
	return true;
}

static bool depth(struct cur *c, struct binance_parser *p, struct feed_msg *m, uint32_t env_toks)
{
	uint32_t used = 0;

	if (!LIT(c, "\",\"E\":") || !u64(c, &m->event_ms) || !symbol(c, m) ||
	    !LIT(c, ",\"U\":") || !u64(c, &m->first_id) || !LIT(c, ",\"u\":") ||
	    !u64(c, &m->last_id))
		return false;
	if (!LIT(c, ",\"b\":[") || !levels(c, p->levels, p->nlevels, &used, &m->n_bids) ||
	    !LIT(c, ",\"a\":[") || !levels(c, p->levels, p->nlevels, &used, &m->n_asks))
		return false;
	/* The strict parser needs a token per key, value, array and string:
	 * where its token array would be too small it fails, so must this. */
	if (env_toks + 20 + 2 + 3 * used > p->ntoks)
		return false;
	m->bids = p->levels;
	m->asks = p->levels + m->n_bids;
	m->fields |= FEED_F_EVENT_MS;
	m->type = FEED_MSG_DEPTH;
	return tail(c, m, false);
}

/* One data object, from its '{'. */
static bool object(struct cur *c, struct binance_parser *p, struct feed_msg *m, uint32_t env_toks)
{
	if (LIT(c, "{\"u\":"))
		return book_ticker(c, m);
	if (!LIT(c, "{\"e\":\""))
		return false;
	if (!str(c, &m->event))
		return false;
	c->p--; /* trade() and depth() start at the closing quote */
	switch (m->event.len) {
	case 5:
		return !memcmp(m->event.ptr, "trade", 5) && trade(c, m, false);
	case 8:
		return !memcmp(m->event.ptr, "aggTrade", 8) && trade(c, m, true);
	case 11:
		return !memcmp(m->event.ptr, "depthUpdate", 11) && depth(c, p, m, env_toks);
	}
	return false;
}

bool binance_scan(struct binance_parser *p, const char *buf, size_t len, struct feed_msg *m)
{
	struct cur c = { buf, buf + len };
	bool ok;

	/* The strict parser fails where its token array is too small (a trade
	 * in an envelope needs 27 tokens): then the scanner must not answer. */
	if (p->ntoks < 32)
		return false;
	memset(m, 0, sizeof(*m));
	if (LIT(&c, "{\"stream\":\"")) {
		ok = str(&c, &m->stream) && LIT(&c, ",\"data\":") && object(&c, p, m, 4) &&
		     LIT(&c, "}");
		m->fields |= FEED_F_STREAM;
	} else {
		ok = object(&c, p, m, 0);
	}
	return ok && c.p == c.end;
}

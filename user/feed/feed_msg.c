/* feed_msg — what is common to every venue's events (see feed_msg.h). */
#include "feed_msg.h"

#include "core/fx_err.h"

const char *feed_msg_type_name(enum feed_msg_type t)
{
	switch (t) {
	case FEED_MSG_UNKNOWN: return "unknown";
	case FEED_MSG_TRADE: return "trade";
	case FEED_MSG_AGG_TRADE: return "aggTrade";
	case FEED_MSG_BOOK_TICKER: return "bookTicker";
	case FEED_MSG_DEPTH: return "depthUpdate";
	case FEED_MSG_REPLY: return "reply";
	case FEED_MSG_ERROR_REPLY: return "error_reply";
	}
	return "?";
}

uint32_t feed_msg_trade_count(const struct feed_msg *m)
{
	if (m->trades)
		return m->n_trades;
	return m->type == FEED_MSG_TRADE || m->type == FEED_MSG_AGG_TRADE;
}

void feed_msg_trade(const struct feed_msg *m, uint32_t i, struct feed_trade *out)
{
	if (m->trades && i < m->n_trades) {
		*out = m->trades[i];
	} else {
		*out = (struct feed_trade){
		    .id = m->id, .price = m->price, .qty = m->qty, .buyer_maker = m->buyer_maker,
		};
	}
	if (!out->trade_ms)
		out->trade_ms = m->trade_ms;
}

static inline int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const uint64_t pow10_u64[9] = { 1, 10, 100, 1000, 10000, 100000, 1000000,
					10000000, 100000000 };

int feed_decimal_parse(const char *s, size_t len, int64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;
	int neg = 0, frac = -1; /* digits after '.', -1 before it */

	if (i < len && s[i] == '-') {
		neg = 1;
		i++;
	}
	if (i == len || !is_digit(s[i]))
		return -FX_E_FEED_DECIMAL;
	/* up to 19 digits cannot overflow a u64: check overflow per digit
	 * only for longer strings */
	int careful = len - i > 19;
	for (; i < len; i++) {
		char c = s[i];
		if (is_digit(c)) {
			if (frac >= 0 && ++frac > 8)
				return -FX_E_FEED_DECIMAL;
			if (!careful)
				v = v * 10 + (uint64_t)(c - '0');
			else if (__builtin_mul_overflow(v, 10, &v) ||
				 __builtin_add_overflow(v, (uint64_t)(c - '0'), &v))
				return -FX_E_FEED_DECIMAL;
		} else if (c == '.' && frac < 0 && i + 1 < len) {
			frac = 0;
		} else {
			return -FX_E_FEED_DECIMAL;
		}
	}
	if (__builtin_mul_overflow(v, pow10_u64[8 - (frac < 0 ? 0 : frac)], &v) ||
	    v > (uint64_t)INT64_MAX)
		return -FX_E_FEED_DECIMAL;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}


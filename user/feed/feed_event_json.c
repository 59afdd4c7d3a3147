/* feed_event_json — a normalized event as one JSON line (see the header). */
#include "feed_event_json.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Digits of v, written backwards ending at end; returns the first. */
static char *u64_digits(char *end, uint64_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

int feed_fixed_format(char *buf, int64_t v)
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t fp = u % FEED_SCALE;
	char tmp[24], *d = u64_digits(tmp + sizeof(tmp), u / FEED_SCALE);
	int n = 0;

	if (v < 0)
		buf[n++] = '-';
	memcpy(buf + n, d, (size_t)(tmp + sizeof(tmp) - d));
	n += (int)(tmp + sizeof(tmp) - d);
	if (fp) {
		int k = 8;

		buf[n++] = '.';
		while (fp % 10 == 0) /* trailing zeros trimmed */
			fp /= 10, k--;
		for (int i = k - 1; i >= 0; i--, fp /= 10)
			buf[n + i] = (char)('0' + fp % 10);
		n += k;
	}
	buf[n] = 0;
	return n;
}

/* An append-only line with one overflow flag: every piece checks room. */
struct jbuf {
	char *p;
	size_t len, cap;
	bool full;
};

static inline void jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (b->full || n >= b->cap - b->len) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

#define JB_LIT(b, s) jb_put(b, s, sizeof(s) - 1)

static inline void jb_u64(struct jbuf *b, uint64_t v)
{
	char tmp[24], *d = u64_digits(tmp + sizeof(tmp), v);

	jb_put(b, d, (size_t)(tmp + sizeof(tmp) - d));
}

/* ,"key":<v> */
static inline void jb_key_u64(struct jbuf *b, const char *key, uint64_t v)
{
	jb_put(b, ",\"", 2);
	jb_put(b, key, strlen(key));
	jb_put(b, "\":", 2);
	jb_u64(b, v);
}

static void jb_str(struct jbuf *b, const char *key, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	jb_put(b, ",\"", 2);
	jb_put(b, key, strlen(key));
	jb_put(b, "\":\"", 3);
	for (size_t i = 0; i < n && !b->full; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = {'\\', (char)c};

		if (c == '"' || c == '\\') {
			jb_put(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
			jb_put(b, esc, 6);
		} else {
			jb_put(b, (const char *)&c, 1);
		}
	}
	jb_put(b, "\"", 1);
}

static void jb_fixed_q(struct jbuf *b, int64_t v)
{
	char t[32];
	int n = feed_fixed_format(t + 1, v);

	t[0] = '"';
	t[n + 1] = '"';
	jb_put(b, t, (size_t)n + 2);
}

static void jb_fixed(struct jbuf *b, const char *key, int64_t v)
{
	jb_put(b, ",\"", 2);
	jb_put(b, key, strlen(key));
	jb_put(b, "\":", 2);
	jb_fixed_q(b, v);
}

static void jb_levels(struct jbuf *b, const char *key, const struct feed_level *l, uint32_t n)
{
	jb_put(b, ",\"", 2);
	jb_put(b, key, strlen(key));
	jb_put(b, "\":[", 3);
	for (uint32_t i = 0; i < n && !b->full; i++) {
		jb_put(b, i ? ",[" : "[", i ? 2 : 1);
		jb_fixed_q(b, l[i].price);
		jb_put(b, ",", 1);
		jb_fixed_q(b, l[i].qty);
		jb_put(b, "]", 1);
	}
	jb_put(b, "]", 1);
}

long feed_event_json(char *buf, size_t cap, const struct feed_event *e)
{
	struct jbuf b = {.p = buf, .cap = cap};
	static const char *const sides[] = {"unknown", "buy", "sell"};
	size_t sl = e->symbol_len > FEED_SYMBOL_MAX ? FEED_SYMBOL_MAX : e->symbol_len;

	if (!cap)
		return -EMSGSIZE;
	const char *tn = feed_event_type_name(e->type);

	JB_LIT(&b, "{\"seq\":");
	jb_u64(&b, e->seq);
	JB_LIT(&b, ",\"type\":\"");
	jb_put(&b, tn, strlen(tn));
	JB_LIT(&b, "\"");
	jb_str(&b, "venue", e->venue ? e->venue : "", e->venue ? strlen(e->venue) : 0);
	if (sl)
		jb_str(&b, "symbol", e->symbol, sl);
	jb_key_u64(&b, "exch_ns", e->exch_ns);
	jb_key_u64(&b, "recv_ns", e->recv_ns);
	if (e->flags & FEED_EVF_FAST)
		JB_LIT(&b, ",\"path\":\"fast\"");
	else if (e->flags & FEED_EVF_SHADOW)
		JB_LIT(&b, ",\"path\":\"shadow\"");
	switch (e->type) {
	case FEED_EV_TRADE:
		jb_fixed(&b, "price", e->trade.price);
		jb_fixed(&b, "qty", e->trade.qty);
		jb_key_u64(&b, "id", e->trade.id);
		JB_LIT(&b, ",\"side\":\"");
		const char *sd = sides[e->trade.side <= FEED_SIDE_SELL ? e->trade.side : 0];
		jb_put(&b, sd, strlen(sd));
		JB_LIT(&b, "\"");
		break;
	case FEED_EV_BBO:
		jb_fixed(&b, "bid_px", e->bbo.bid_px);
		jb_fixed(&b, "bid_qty", e->bbo.bid_qty);
		jb_fixed(&b, "ask_px", e->bbo.ask_px);
		jb_fixed(&b, "ask_qty", e->bbo.ask_qty);
		jb_key_u64(&b, "id", e->bbo.id);
		break;
	case FEED_EV_BOOK:
		jb_key_u64(&b, "first_id", e->book.first_id);
		jb_key_u64(&b, "last_id", e->book.last_id);
		if (e->flags & FEED_EVF_SNAPSHOT)
			JB_LIT(&b, ",\"snapshot\":true");
		else
			JB_LIT(&b, ",\"snapshot\":false");
		jb_levels(&b, "bids", e->book.bids, e->book.n_bids);
		jb_levels(&b, "asks", e->book.asks, e->book.n_asks);
		break;
	case FEED_EV_TOP:
		jb_key_u64(&b, "last_id", e->top.last_id);
		jb_key_u64(&b, "depth_known", e->top.depth_known);
		jb_levels(&b, "bids", e->top.bids, e->top.n_bids);
		jb_levels(&b, "asks", e->top.asks, e->top.n_asks);
		break;
	case FEED_EV_STATUS: {
		const char *sn = feed_status_name(e->status.kind);

		JB_LIT(&b, ",\"status\":\"");
		jb_put(&b, sn, strlen(sn));
		JB_LIT(&b, "\"");
		jb_key_u64(&b, "conn", e->status.conn);
		jb_key_u64(&b, "first_id", e->status.first_id);
		jb_key_u64(&b, "last_id", e->status.last_id);
		if (e->status.text)
			jb_str(&b, "text", e->status.text, strlen(e->status.text));
		break;
	}
	}
	JB_LIT(&b, "}");
	if (b.full)
		return -EMSGSIZE;
	b.p[b.len] = 0;
	return (long)b.len;
}

/* feed_event_json — a normalized event as one JSON line (see the header). */
#include "feed_event_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int feed_fixed_format(char *buf, int64_t v)
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t ip = u / FEED_SCALE, fp = u % FEED_SCALE;
	int n = sprintf(buf, "%s%" PRIu64, v < 0 ? "-" : "", ip);

	if (fp) {
		char f[16];
		int k = snprintf(f, sizeof(f), "%08" PRIu64, fp);

		while (k > 0 && f[k - 1] == '0')
			f[--k] = 0;
		n += sprintf(buf + n, ".%s", f);
	}
	return n;
}

struct jbuf {
	char *p;
	size_t len, cap;
	bool full;
};

__attribute__((format(printf, 2, 3))) static void jb_printf(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->full = true;
	else
		b->len += (size_t)n;
}

static void jb_str(struct jbuf *b, const char *key, const char *s, size_t n)
{
	jb_printf(b, ",\"%s\":\"", key);
	for (size_t i = 0; i < n && !b->full; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			jb_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			jb_printf(b, "\\u%04x", c);
		else
			jb_printf(b, "%c", c);
	}
	jb_printf(b, "\"");
}

static void jb_fixed(struct jbuf *b, const char *key, int64_t v)
{
	char t[32];

	feed_fixed_format(t, v);
	jb_printf(b, ",\"%s\":\"%s\"", key, t);
}

static void jb_levels(struct jbuf *b, const char *key, const struct feed_level *l, uint32_t n)
{
	char px[32], q[32];

	jb_printf(b, ",\"%s\":[", key);
	for (uint32_t i = 0; i < n && !b->full; i++) {
		feed_fixed_format(px, l[i].price);
		feed_fixed_format(q, l[i].qty);
		jb_printf(b, "%s[\"%s\",\"%s\"]", i ? "," : "", px, q);
	}
	jb_printf(b, "]");
}

long feed_event_json(char *buf, size_t cap, const struct feed_event *e)
{
	struct jbuf b = {.p = buf, .cap = cap};
	static const char *const sides[] = {"unknown", "buy", "sell"};
	size_t sl = e->symbol_len > FEED_SYMBOL_MAX ? FEED_SYMBOL_MAX : e->symbol_len;

	if (!cap)
		return -EMSGSIZE;
	jb_printf(&b, "{\"seq\":%" PRIu64 ",\"type\":\"%s\"", e->seq,
		  feed_event_type_name(e->type));
	jb_str(&b, "venue", e->venue ? e->venue : "", e->venue ? strlen(e->venue) : 0);
	if (sl)
		jb_str(&b, "symbol", e->symbol, sl);
	jb_printf(&b, ",\"exch_ns\":%" PRIu64 ",\"recv_ns\":%" PRIu64, e->exch_ns, e->recv_ns);
	if (e->flags & FEED_EVF_FAST)
		jb_printf(&b, ",\"path\":\"fast\"");
	else if (e->flags & FEED_EVF_SHADOW)
		jb_printf(&b, ",\"path\":\"shadow\"");
	switch (e->type) {
	case FEED_EV_TRADE:
		jb_fixed(&b, "price", e->trade.price);
		jb_fixed(&b, "qty", e->trade.qty);
		jb_printf(&b, ",\"id\":%" PRIu64 ",\"side\":\"%s\"", e->trade.id,
			  sides[e->trade.side <= FEED_SIDE_SELL ? e->trade.side : 0]);
		break;
	case FEED_EV_BBO:
		jb_fixed(&b, "bid_px", e->bbo.bid_px);
		jb_fixed(&b, "bid_qty", e->bbo.bid_qty);
		jb_fixed(&b, "ask_px", e->bbo.ask_px);
		jb_fixed(&b, "ask_qty", e->bbo.ask_qty);
		jb_printf(&b, ",\"id\":%" PRIu64, e->bbo.id);
		break;
	case FEED_EV_BOOK:
		jb_printf(&b, ",\"first_id\":%" PRIu64 ",\"last_id\":%" PRIu64 ",\"snapshot\":%s",
			  e->book.first_id, e->book.last_id,
			  e->flags & FEED_EVF_SNAPSHOT ? "true" : "false");
		jb_levels(&b, "bids", e->book.bids, e->book.n_bids);
		jb_levels(&b, "asks", e->book.asks, e->book.n_asks);
		break;
	case FEED_EV_TOP:
		jb_printf(&b, ",\"last_id\":%" PRIu64 ",\"depth_known\":%u", e->top.last_id,
			  e->top.depth_known);
		jb_levels(&b, "bids", e->top.bids, e->top.n_bids);
		jb_levels(&b, "asks", e->top.asks, e->top.n_asks);
		break;
	case FEED_EV_STATUS:
		jb_printf(&b, ",\"status\":\"%s\",\"conn\":%u,\"first_id\":%" PRIu64
			      ",\"last_id\":%" PRIu64,
			  feed_status_name(e->status.kind), e->status.conn, e->status.first_id,
			  e->status.last_id);
		if (e->status.text)
			jb_str(&b, "text", e->status.text, strlen(e->status.text));
		break;
	}
	jb_printf(&b, "}");
	return b.full ? -EMSGSIZE : (long)b.len;
}

/* bybit_parse — Bybit v5 public messages and subscriptions (see
 * bybit_parse.h). */
#include "bybit_parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/fx_err.h"
#include "venue_json.h"

#define TRY(expr)                                                                          \
	do {                                                                               \
		int rc_ = (expr);                                                          \
		if (rc_)                                                                   \
			return rc_;                                                        \
	} while (0)

enum { T_I, T_P, T_V, T_T, T_SIDE, T_S, T__N };
static const struct vjson_key trade_keys[T__N] = {
    [T_I] = VJSON_KEY("i"), [T_P] = VJSON_KEY("p"), [T_V] = VJSON_KEY("v"),
    [T_T] = VJSON_KEY("T"), [T_SIDE] = VJSON_KEY("S"), [T_S] = VJSON_KEY("s"),
};

static int trades(struct vjson_parser *p, const char *js, uint32_t data, struct feed_msg *m)
{
	const struct json_tok *toks = p->toks, *a = &toks[data];
	uint32_t k = data + 1, f[T__N];

	if (a->type != JSON_TOK_ARRAY)
		return -FX_E_FEED_TYPE;
	if (a->size == 0)
		return -FX_E_FEED_MISSING;
	if (a->size > p->ntrades)
		return -FX_E_FEED_LEVELS;
	for (uint32_t i = 0; i < a->size; i++, k = toks[k].next) {
		struct feed_trade *t = &p->trades[i];

		memset(t, 0, sizeof(*t));
		if (toks[k].type != JSON_TOK_OBJECT)
			return -FX_E_FEED_NOT_OBJECT;
		vjson_collect(js, toks, k, trade_keys, T__N, f);
		if (!f[T_I] || !f[T_P] || !f[T_V] || !f[T_T] || !f[T_SIDE] || (i == 0 && !f[T_S]))
			return -FX_E_FEED_MISSING;
		TRY(vjson_ident(js, &toks[f[T_I]], &t->id_str));
		if (vjson_u64(js, &toks[f[T_I]], &t->id))
			t->id = 0;
		TRY(vjson_dec(js, &toks[f[T_P]], &t->price));
		TRY(vjson_dec(js, &toks[f[T_V]], &t->qty));
		TRY(vjson_u64(js, &toks[f[T_T]], &t->trade_ms));
		if (vjson_is(js, &toks[f[T_SIDE]], "Sell"))
			t->buyer_maker = true;
		else if (!vjson_is(js, &toks[f[T_SIDE]], "Buy"))
			return -FX_E_FEED_TYPE;
		if (i == 0)
			TRY(vjson_ident(js, &toks[f[T_S]], &m->symbol));
	}
	m->trades = p->trades;
	m->n_trades = a->size;
	m->id = p->trades[0].id;
	m->price = p->trades[0].price;
	m->qty = p->trades[0].qty;
	m->trade_ms = p->trades[0].trade_ms;
	m->buyer_maker = p->trades[0].buyer_maker;
	if (!m->id) {
		m->id_str = p->trades[0].id_str;
		m->fields |= FEED_F_ID_STR;
	}
	m->fields |= FEED_F_TRADE_MS;
	m->type = FEED_MSG_TRADE;
	return 0;
}

static int book(struct vjson_parser *p, const char *js, uint32_t data, uint32_t type, bool bbo,
		struct feed_msg *m)
{
	const struct json_tok *toks = p->toks;
	uint32_t used = 0, f, b, a;

	if (toks[data].type != JSON_TOK_OBJECT)
		return -FX_E_FEED_NOT_OBJECT;
	if (!(f = vjson_get(js, toks, data, "s")))
		return -FX_E_FEED_MISSING;
	TRY(vjson_ident(js, &toks[f], &m->symbol));
	if (!(f = vjson_get(js, toks, data, "u")))
		return -FX_E_FEED_MISSING;
	TRY(vjson_u64(js, &toks[f], &m->last_id));
	m->first_id = m->last_id;
	if ((f = vjson_get(js, toks, data, "seq")))
		TRY(vjson_u64(js, &toks[f], &m->id));
	if (!type)
		return -FX_E_FEED_MISSING;
	if (vjson_is(js, &toks[type], "snapshot"))
		m->fields |= FEED_F_SNAPSHOT;
	else if (!vjson_is(js, &toks[type], "delta"))
		return -FX_E_FEED_TYPE;
	b = vjson_get(js, toks, data, "b");
	a = vjson_get(js, toks, data, "a");
	if (!b || !a)
		return -FX_E_FEED_MISSING;
	TRY(vjson_levels(js, toks, b, p->levels, p->nlevels, &used, &m->n_bids));
	TRY(vjson_levels(js, toks, a, p->levels, p->nlevels, &used, &m->n_asks));
	m->bids = p->levels;
	m->asks = p->levels + m->n_bids;
	if (!bbo) {
		m->type = FEED_MSG_DEPTH;
		return 0;
	}
	/* orderbook.1: the best bid and offer; u is its id */
	m->id = m->last_id;
	m->first_id = m->last_id = 0;
	m->fields &= ~FEED_F_SNAPSHOT;
	if (m->n_bids) {
		m->bid_px = m->bids[0].price;
		m->bid_qty = m->bids[0].qty;
	}
	if (m->n_asks) {
		m->ask_px = m->asks[0].price;
		m->ask_qty = m->asks[0].qty;
	}
	m->type = FEED_MSG_BOOK_TICKER;
	return 0;
}

static int reply(struct vjson_parser *p, const char *js, uint32_t op, struct feed_msg *m)
{
	const struct json_tok *toks = p->toks;
	uint32_t f;

	TRY(vjson_ident(js, &toks[op], &m->event));
	if ((f = vjson_get(js, toks, 0, "ret_msg")))
		TRY(vjson_str(js, &toks[f], &m->result));
	if ((f = vjson_get(js, toks, 0, "req_id")) && toks[f].type == JSON_TOK_STRING) {
		TRY(vjson_str(js, &toks[f], &m->id_str));
		m->fields |= FEED_F_ID_STR;
	}
	if ((f = vjson_get(js, toks, 0, "success")) && toks[f].type == JSON_TOK_FALSE) {
		m->err_msg = m->result;
		m->result.ptr = NULL;
		m->result.len = 0;
		m->type = FEED_MSG_ERROR_REPLY;
		return 0;
	}
	m->type = FEED_MSG_REPLY;
	return 0;
}

enum { K_TS_NS, K_TOPIC, K_OP, K_TS, K_DATA, K_TYPE, K_CTS, K__N };
static const struct vjson_key top_keys[K__N] = {
    [K_TS_NS] = VJSON_KEY("ts_ns"), [K_TOPIC] = VJSON_KEY("topic"), [K_OP] = VJSON_KEY("op"),
    [K_TS] = VJSON_KEY("ts"), [K_DATA] = VJSON_KEY("data"), [K_TYPE] = VJSON_KEY("type"),
    [K_CTS] = VJSON_KEY("cts"),
};

int bybit_parse(struct vjson_parser *p, const char *buf, size_t len, struct feed_msg *m)
{
	const struct json_tok *toks = p->toks;
	uint32_t f[K__N], data;
	const char *t, *dot;
	size_t tl;
	int n, r = 0;

	memset(m, 0, sizeof(*m));
	n = json_tokenize(buf, len, p->toks, p->ntoks);
	if (n < 0)
		return n;
	if (toks[0].type != JSON_TOK_OBJECT)
		return -FX_E_FEED_NOT_OBJECT;
	vjson_collect(buf, toks, 0, top_keys, K__N, f);
	if (f[K_TS_NS]) {
		if ((r = json_u64(buf, &toks[f[K_TS_NS]], &m->ts_ns)))
			return r;
		m->fields |= FEED_F_TS_NS;
	}
	if (!f[K_TOPIC]) {
		if (f[K_OP])
			r = reply(p, buf, f[K_OP], m);
		goto out;
	}
	if ((r = vjson_ident(buf, &toks[f[K_TOPIC]], &m->stream)))
		goto out;
	m->fields |= FEED_F_STREAM;
	t = m->stream.ptr;
	tl = m->stream.len;
	dot = memchr(t, '.', tl);
	m->event.ptr = t;
	m->event.len = dot ? (uint32_t)(dot - t) : (uint32_t)tl;
	if (f[K_TS]) {
		if ((r = vjson_u64(buf, &toks[f[K_TS]], &m->event_ms)))
			goto out;
		m->fields |= FEED_F_EVENT_MS;
	}
	if (!(data = f[K_DATA]))
		goto out; /* unknown */
	if (m->event.len == 11 && !memcmp(t, "publicTrade", 11)) {
		r = trades(p, buf, data, m);
	} else if (m->event.len == 9 && !memcmp(t, "orderbook", 9)) {
		bool bbo = tl > 12 && !memcmp(t + 9, ".1.", 3);

		r = book(p, buf, data, f[K_TYPE], bbo, m);
		if (!r && !bbo && f[K_CTS]) {
			if ((r = vjson_u64(buf, &toks[f[K_CTS]], &m->trade_ms)) == 0)
				m->fields |= FEED_F_TRADE_MS;
		}
	}
out:
	if (r)
		m->type = FEED_MSG_UNKNOWN;
	return r;
}

/* ---- subscribing ---- */

bool bybit_stream_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

static int bybit_request(const char *op, const char *const *streams, size_t n, char *out,
			 size_t cap)
{
	size_t len;
	int r;

	r = snprintf(out, cap, "{\"op\":\"%s\",\"args\":[", op);
	if (r < 0 || (size_t)r >= cap)
		return -ENOSPC;
	len = (size_t)r;
	for (size_t i = 0; i < n; i++) {
		if (!bybit_stream_ok(streams[i]))
			return -EINVAL;
		r = snprintf(out + len, cap - len, "%s\"%s\"", i ? "," : "", streams[i]);
		if (r < 0 || (size_t)r >= cap - len)
			return -ENOSPC;
		len += (size_t)r;
	}
	r = snprintf(out + len, cap - len, "]}");
	if (r < 0 || (size_t)r >= cap - len)
		return -ENOSPC;
	return (int)(len + (size_t)r);
}

int bybit_subscribe_request(const char *const *streams, size_t n, unsigned id, char *out,
			    size_t cap)
{
	(void)id;
	return bybit_request("subscribe", streams, n, out, cap);
}

int bybit_unsubscribe_request(const char *const *streams, size_t n, unsigned id, char *out,
			      size_t cap)
{
	(void)id;
	return bybit_request("unsubscribe", streams, n, out, cap);
}

struct bybit_walk {
	const uint8_t *op, *success;
	size_t opn, successn;
	bool topic;
};

static bool bybit_walk_cb(const uint8_t *k, size_t kn, const uint8_t *v, size_t vn, void *user)
{
	struct bybit_walk *w = user;

	if (kn == 2 && !memcmp(k, "op", 2)) {
		w->op = v;
		w->opn = vn;
	} else if (kn == 7 && !memcmp(k, "success", 7)) {
		w->success = v;
		w->successn = vn;
	} else if (kn == 5 && !memcmp(k, "topic", 5)) {
		w->topic = true;
		return false;
	}
	return true;
}

enum venue_reply bybit_control(const uint8_t *p, size_t n)
{
	struct bybit_walk w = {0};
	const uint8_t *k;
	size_t kn;

	if (!vjson_first_key(p, n, &k, &kn))
		return VENUE_DATA;
	if (kn == 5 && !memcmp(k, "topic", 5))
		return VENUE_DATA; /* the shape of every data message: no walk */
	if (!vjson_walk(p, n, bybit_walk_cb, &w) || w.topic || !w.op)
		return VENUE_DATA;
	if (w.opn == 9 && !memcmp(w.op, "subscribe", 9)) {
		if (w.successn == 4 && !memcmp(w.success, "true", 4))
			return VENUE_REPLY_OK;
		return VENUE_REPLY_ERROR;
	}
	return VENUE_CONTROL;
}

uint64_t bybit_scan_event_ms(const uint8_t *p, size_t n)
{
	size_t lim = n < 96 ? n : 96;
	uint64_t v = 0;

	for (size_t i = 0; i + 5 <= lim; i++) {
		if (p[i] == '"' && p[i + 1] == 't' && p[i + 2] == 's' && p[i + 3] == '"' &&
		    p[i + 4] == ':') {
			for (i += 5; i < n && p[i] >= '0' && p[i] <= '9'; i++)
				v = v * 10 + (uint64_t)(p[i] - '0');
			return v;
		}
	}
	return 0;
}

size_t bybit_scan_stream(const uint8_t *p, size_t n, const char **name)
{
	static const char pre[] = "{\"topic\":\"";
	const size_t k = sizeof(pre) - 1;
	const uint8_t *q;

	if (n <= k || memcmp(p, pre, k) != 0)
		return 0;
	q = memchr(p + k, '"', n - k);
	if (!q || q == p + k)
		return 0;
	*name = (const char *)p + k;
	return (size_t)(q - (p + k));
}

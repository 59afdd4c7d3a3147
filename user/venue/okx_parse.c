/* okx_parse — OKX v5 public messages and subscriptions (see okx_parse.h). */
#include "okx_parse.h"

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

struct okx_ctx {
	const char *js;
	const struct json_tok *toks;
	struct vjson_parser *p;
	struct feed_msg *m;
	uint32_t data; /* the "data" array */
};

static uint32_t need(const struct okx_ctx *c, uint32_t obj, const char *key)
{
	return vjson_get(c->js, c->toks, obj, key);
}

enum { T_ID, T_PX, T_SZ, T_TS, T_SIDE, T__N };
static const struct vjson_key trade_keys[T__N] = {
    [T_ID] = VJSON_KEY("tradeId"), [T_PX] = VJSON_KEY("px"), [T_SZ] = VJSON_KEY("sz"),
    [T_TS] = VJSON_KEY("ts"), [T_SIDE] = VJSON_KEY("side"),
};

static int trades(struct okx_ctx *c)
{
	const struct json_tok *a = &c->toks[c->data];
	struct feed_msg *m = c->m;
	uint32_t k = c->data + 1, f[T__N];

	if (a->size == 0)
		return -FX_E_FEED_MISSING;
	if (a->size > c->p->ntrades)
		return -FX_E_FEED_LEVELS;
	for (uint32_t i = 0; i < a->size; i++, k = c->toks[k].next) {
		struct feed_trade *t = &c->p->trades[i];
		const struct json_tok *side;

		memset(t, 0, sizeof(*t));
		if (c->toks[k].type != JSON_TOK_OBJECT)
			return -FX_E_FEED_NOT_OBJECT;
		vjson_collect(c->js, c->toks, k, trade_keys, T__N, f);
		if (!f[T_ID] || !f[T_PX] || !f[T_SZ] || !f[T_TS] || !f[T_SIDE])
			return -FX_E_FEED_MISSING;
		TRY(vjson_ident(c->js, &c->toks[f[T_ID]], &t->id_str));
		if (vjson_u64(c->js, &c->toks[f[T_ID]], &t->id))
			t->id = 0;
		TRY(vjson_dec(c->js, &c->toks[f[T_PX]], &t->price));
		TRY(vjson_dec(c->js, &c->toks[f[T_SZ]], &t->qty));
		TRY(vjson_u64(c->js, &c->toks[f[T_TS]], &t->trade_ms));
		side = &c->toks[f[T_SIDE]];
		if (vjson_is(c->js, side, "sell"))
			t->buyer_maker = true;
		else if (!vjson_is(c->js, side, "buy"))
			return -FX_E_FEED_TYPE;
	}
	m->trades = c->p->trades;
	m->n_trades = a->size;
	m->id = c->p->trades[0].id;
	m->price = c->p->trades[0].price;
	m->qty = c->p->trades[0].qty;
	m->trade_ms = m->event_ms = c->p->trades[0].trade_ms;
	m->buyer_maker = c->p->trades[0].buyer_maker;
	if (!m->id) {
		m->id_str = c->p->trades[0].id_str;
		m->fields |= FEED_F_ID_STR;
	}
	m->fields |= FEED_F_EVENT_MS | FEED_F_TRADE_MS;
	m->type = FEED_MSG_TRADE;
	return 0;
}

/* The book-like channels: data[0] with asks and bids. */
static int book_common(struct okx_ctx *c, uint32_t *d)
{
	uint32_t f;

	if (c->toks[c->data].size == 0)
		return -FX_E_FEED_MISSING;
	*d = c->data + 1;
	if (c->toks[*d].type != JSON_TOK_OBJECT)
		return -FX_E_FEED_NOT_OBJECT;
	if (!(f = need(c, *d, "ts")))
		return -FX_E_FEED_MISSING;
	TRY(vjson_u64(c->js, &c->toks[f], &c->m->event_ms));
	c->m->fields |= FEED_F_EVENT_MS;
	if (!(f = need(c, *d, "seqId")))
		return -FX_E_FEED_MISSING;
	return 0;
}

static int levels(struct okx_ctx *c, uint32_t d)
{
	struct feed_msg *m = c->m;
	uint32_t used = 0, b = need(c, d, "bids"), a = need(c, d, "asks");

	if (!b || !a)
		return -FX_E_FEED_MISSING;
	TRY(vjson_levels(c->js, c->toks, b, c->p->levels, c->p->nlevels, &used, &m->n_bids));
	TRY(vjson_levels(c->js, c->toks, a, c->p->levels, c->p->nlevels, &used, &m->n_asks));
	m->bids = c->p->levels;
	m->asks = c->p->levels + m->n_bids;
	return 0;
}

static int bbo(struct okx_ctx *c)
{
	struct feed_msg *m = c->m;
	uint32_t d;

	TRY(book_common(c, &d));
	TRY(vjson_u64(c->js, &c->toks[need(c, d, "seqId")], &m->id));
	TRY(levels(c, d));
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

static int books(struct okx_ctx *c, uint32_t action, bool always_snapshot)
{
	struct feed_msg *m = c->m;
	uint32_t d, f;
	int64_t prev;

	TRY(book_common(c, &d));
	TRY(vjson_u64(c->js, &c->toks[need(c, d, "seqId")], &m->last_id));
	m->first_id = m->last_id;
	if (always_snapshot) {
		m->fields |= FEED_F_SNAPSHOT;
	} else {
		if (!action)
			return -FX_E_FEED_MISSING;
		if (vjson_is(c->js, &c->toks[action], "snapshot"))
			m->fields |= FEED_F_SNAPSHOT;
		else if (!vjson_is(c->js, &c->toks[action], "update"))
			return -FX_E_FEED_TYPE;
		if (!(f = need(c, d, "prevSeqId")))
			return -FX_E_FEED_MISSING;
		TRY(vjson_i64(c->js, &c->toks[f], &prev));
		if (prev < -1)
			return -FX_E_FEED_RANGE;
		if (prev >= 0) {
			m->prev_id = (uint64_t)prev;
			m->fields |= FEED_F_PREV_ID;
		}
	}
	TRY(levels(c, d));
	m->type = FEED_MSG_DEPTH;
	return 0;
}

static int event(struct okx_ctx *c, uint32_t ev)
{
	struct feed_msg *m = c->m;
	uint32_t f;

	TRY(vjson_ident(c->js, &c->toks[ev], &m->event));
	if (vjson_is(c->js, &c->toks[ev], "error")) {
		if (!(f = need(c, 0, "code")))
			return -FX_E_FEED_MISSING;
		TRY(vjson_i64(c->js, &c->toks[f], &m->err_code));
		if ((f = need(c, 0, "msg")))
			TRY(vjson_str(c->js, &c->toks[f], &m->err_msg));
		m->type = FEED_MSG_ERROR_REPLY;
		return 0;
	}
	if (vjson_is(c->js, &c->toks[ev], "subscribe") ||
	    vjson_is(c->js, &c->toks[ev], "unsubscribe")) {
		if ((f = need(c, 0, "arg"))) {
			const struct json_tok *t = &c->toks[f];

			m->result.ptr = c->js + t->start - (t->type == JSON_TOK_STRING);
			m->result.len = t->len + 2 * (t->type == JSON_TOK_STRING);
		}
		m->type = FEED_MSG_REPLY;
	}
	return 0; /* another event: unknown, named */
}

enum { K_TS_NS, K_EVENT, K_ARG, K_DATA, K_ACTION, K__N };
static const struct vjson_key top_keys[K__N] = {
    [K_TS_NS] = VJSON_KEY("ts_ns"), [K_EVENT] = VJSON_KEY("event"), [K_ARG] = VJSON_KEY("arg"),
    [K_DATA] = VJSON_KEY("data"), [K_ACTION] = VJSON_KEY("action"),
};

int okx_parse(struct vjson_parser *p, const char *buf, size_t len, struct feed_msg *m)
{
	struct okx_ctx c = {buf, p->toks, p, m, 0};
	uint32_t arg, ch, inst, f[K__N];
	int n, r;

	memset(m, 0, sizeof(*m));
	n = json_tokenize(buf, len, p->toks, p->ntoks);
	if (n < 0)
		return n;
	if (p->toks[0].type != JSON_TOK_OBJECT)
		return -FX_E_FEED_NOT_OBJECT;
	vjson_collect(buf, p->toks, 0, top_keys, K__N, f);
	if (f[K_TS_NS]) {
		if ((r = json_u64(buf, &p->toks[f[K_TS_NS]], &m->ts_ns)))
			return r;
		m->fields |= FEED_F_TS_NS;
	}
	if (f[K_EVENT]) {
		r = event(&c, f[K_EVENT]);
		goto out;
	}
	if (!(arg = f[K_ARG]) || !(c.data = f[K_DATA]))
		return 0; /* not a message we know */
	if (p->toks[arg].type != JSON_TOK_OBJECT)
		return -FX_E_FEED_NOT_OBJECT;
	if (!(ch = need(&c, arg, "channel")) || !(inst = need(&c, arg, "instId")))
		return -FX_E_FEED_MISSING;
	if ((r = vjson_ident(buf, &p->toks[ch], &m->event)) ||
	    (r = vjson_ident(buf, &p->toks[inst], &m->symbol)))
		goto out;
	if (m->event.len + m->symbol.len + 2 <= sizeof(p->stream)) {
		memcpy(p->stream, m->event.ptr, m->event.len);
		p->stream[m->event.len] = ':';
		memcpy(p->stream + m->event.len + 1, m->symbol.ptr, m->symbol.len);
		m->stream.ptr = p->stream;
		m->stream.len = m->event.len + 1 + m->symbol.len;
		m->fields |= FEED_F_STREAM;
	}
	if (p->toks[c.data].type != JSON_TOK_ARRAY) {
		r = -FX_E_FEED_TYPE;
		goto out;
	}
	if (vjson_is(buf, &p->toks[ch], "trades"))
		r = trades(&c);
	else if (vjson_is(buf, &p->toks[ch], "bbo-tbt"))
		r = bbo(&c);
	else if (vjson_is(buf, &p->toks[ch], "books") ||
		 vjson_is(buf, &p->toks[ch], "books-l2-tbt") ||
		 vjson_is(buf, &p->toks[ch], "books50-l2-tbt"))
		r = books(&c, f[K_ACTION], false);
	else if (vjson_is(buf, &p->toks[ch], "books5"))
		r = books(&c, 0, true);
	else
		r = 0; /* another channel: unknown, named */
out:
	if (r)
		m->type = FEED_MSG_UNKNOWN;
	return r;
}

/* ---- subscribing ---- */

static bool okx_part_ok(const char *s, size_t n)
{
	if (n == 0 || n > 40)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

bool okx_stream_ok(const char *s)
{
	const char *colon = strchr(s, ':');

	return colon && okx_part_ok(s, (size_t)(colon - s)) && okx_part_ok(colon + 1, strlen(colon + 1));
}

static int okx_request(const char *op, const char *const *streams, size_t n, char *out,
		       size_t cap)
{
	size_t len;
	int r;

	r = snprintf(out, cap, "{\"op\":\"%s\",\"args\":[", op);
	if (r < 0 || (size_t)r >= cap)
		return -ENOSPC;
	len = (size_t)r;
	for (size_t i = 0; i < n; i++) {
		const char *colon;

		if (!okx_stream_ok(streams[i]))
			return -EINVAL;
		colon = strchr(streams[i], ':');
		r = snprintf(out + len, cap - len, "%s{\"channel\":\"%.*s\",\"instId\":\"%s\"}",
			     i ? "," : "", (int)(colon - streams[i]), streams[i], colon + 1);
		if (r < 0 || (size_t)r >= cap - len)
			return -ENOSPC;
		len += (size_t)r;
	}
	r = snprintf(out + len, cap - len, "]}");
	if (r < 0 || (size_t)r >= cap - len)
		return -ENOSPC;
	return (int)(len + (size_t)r);
}

int okx_subscribe_request(const char *const *streams, size_t n, unsigned id, char *out,
			  size_t cap)
{
	(void)id; /* OKX answers per arg, by channel and instId */
	return okx_request("subscribe", streams, n, out, cap);
}

int okx_unsubscribe_request(const char *const *streams, size_t n, unsigned id, char *out,
			    size_t cap)
{
	(void)id;
	return okx_request("unsubscribe", streams, n, out, cap);
}

struct okx_walk {
	const uint8_t *ev;
	size_t evn;
};

static bool okx_walk_cb(const uint8_t *k, size_t kn, const uint8_t *v, size_t vn, void *user)
{
	struct okx_walk *w = user;

	if (kn == 5 && !memcmp(k, "event", 5)) {
		w->ev = v;
		w->evn = vn;
		return false;
	}
	return true;
}

enum venue_reply okx_control(const uint8_t *p, size_t n)
{
	struct okx_walk w = {NULL, 0};
	const uint8_t *k;
	size_t kn;

	if (n == 4 && !memcmp(p, "pong", 4))
		return VENUE_CONTROL;
	if (!vjson_first_key(p, n, &k, &kn))
		return VENUE_DATA;
	if (kn == 3 && !memcmp(k, "arg", 3))
		return VENUE_DATA; /* the shape of every data message: no walk */
	if (!vjson_walk(p, n, okx_walk_cb, &w) || !w.ev)
		return VENUE_DATA;
	if (w.evn == 9 && !memcmp(w.ev, "subscribe", 9))
		return VENUE_REPLY_OK;
	if (w.evn == 5 && !memcmp(w.ev, "error", 5))
		return VENUE_REPLY_ERROR;
	return VENUE_CONTROL;
}

uint64_t okx_scan_event_ms(const uint8_t *p, size_t n)
{
	static const char key[] = "\"ts\":\"";
	const size_t kl = sizeof(key) - 1;
	size_t lo = n > 256 ? n - 256 : 0;
	uint64_t v = 0;

	if (n < kl)
		return 0;
	for (size_t i = n - kl + 1; i-- > lo;) {
		if (memcmp(p + i, key, kl) == 0) {
			for (i += kl; i < n && p[i] >= '0' && p[i] <= '9'; i++)
				v = v * 10 + (uint64_t)(p[i] - '0');
			return v;
		}
	}
	return 0;
}

size_t okx_scan_stream(const uint8_t *p, size_t n, const char **name)
{
	static const char pre[] = "{\"arg\":{\"channel\":\"";
	static const char mid[] = "\",\"instId\":\"";
	static char buf[96];
	const size_t pl = sizeof(pre) - 1, ml = sizeof(mid) - 1;
	const uint8_t *ch, *q, *inst, *e;

	if (n <= pl || memcmp(p, pre, pl) != 0)
		return 0;
	ch = p + pl;
	q = memchr(ch, '"', n - pl);
	if (!q || q == ch || (size_t)(p + n - q) < ml || memcmp(q, mid, ml) != 0)
		return 0;
	inst = q + ml;
	e = memchr(inst, '"', (size_t)(p + n - inst));
	if (!e || e == inst || (size_t)(q - ch) + 1 + (size_t)(e - inst) > sizeof(buf))
		return 0;
	memcpy(buf, ch, (size_t)(q - ch));
	buf[q - ch] = ':';
	memcpy(buf + (q - ch) + 1, inst, (size_t)(e - inst));
	*name = buf;
	return (size_t)(q - ch) + 1 + (size_t)(e - inst);
}

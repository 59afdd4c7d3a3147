/* binance_parse — the Binance message decoder on top of proto/json's
 * tokenizer. Nothing here allocates except binance_parser__new at set-up. */
#include "binance_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Field values                                                        */

static int get_i64(const char *js, const struct json_tok *t, int64_t *out)
{
	uint64_t v = 0;
	int neg = (t->flags & JSON_TOKF_NEG) != 0;

	if (t->type != JSON_TOK_NUMBER || !(t->flags & JSON_TOKF_INT))
		return BINANCE_E_TYPE;
	for (uint32_t k = neg; k < t->len; k++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(js[t->start + k] - '0'), &v))
			return BINANCE_E_RANGE;
	if (v > (uint64_t)INT64_MAX + neg)
		return BINANCE_E_RANGE;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int get_dec(const char *js, const struct json_tok *t, int64_t *out)
{
	if (t->type != JSON_TOK_STRING)
		return BINANCE_E_TYPE;
	return feed_decimal_parse(js + t->start, t->len, out);
}

static int get_bool(const struct json_tok *t, bool *out)
{
	if (t->type == JSON_TOK_TRUE)
		*out = true;
	else if (t->type == JSON_TOK_FALSE)
		*out = false;
	else
		return BINANCE_E_TYPE;
	return 0;
}

/* A symbol or stream name: a string without escapes, so the bytes in the
 * input are its value. */
static int get_ident(const char *js, const struct json_tok *t, struct feed_str *out)
{
	if (t->type != JSON_TOK_STRING || (t->flags & JSON_TOKF_ESCAPED))
		return BINANCE_E_TYPE;
	out->ptr = js + t->start;
	out->len = t->len;
	return 0;
}

static int get_str(const char *js, const struct json_tok *t, struct feed_str *out)
{
	if (t->type != JSON_TOK_STRING)
		return BINANCE_E_TYPE;
	out->ptr = js + t->start;
	out->len = t->len;
	return 0;
}

/* Raw JSON text of any value (strings with their quotes). */
static void get_raw(const char *js, const struct json_tok *t, struct feed_str *out)
{
	int q = t->type == JSON_TOK_STRING;

	out->ptr = js + t->start - q;
	out->len = t->len + 2 * (uint32_t)q;
}

/* ------------------------------------------------------------------ */
/* Objects and messages                                                */

enum field {
	F_e, F_E, F_s, F_t, F_p, F_q, F_T, F_m, F_M, F_a, F_f, F_l, F_u, F_U, F_b, F_B, F_A,
	F_TS_NS, F_PU, F_STREAM, F_DATA, F_RESULT, F_ID, F_ERROR, F_CODE, F_MSG,
	F_LAST_UPDATE_ID, F_BIDS, F_ASKS,
	F__MAX
};

static int field_of(const char *k, uint32_t len)
{
	switch (len) {
	case 1:
		switch (k[0]) {
		case 'e': return F_e;
		case 'E': return F_E;
		case 's': return F_s;
		case 't': return F_t;
		case 'p': return F_p;
		case 'q': return F_q;
		case 'T': return F_T;
		case 'm': return F_m;
		case 'M': return F_M;
		case 'a': return F_a;
		case 'f': return F_f;
		case 'l': return F_l;
		case 'u': return F_u;
		case 'U': return F_U;
		case 'b': return F_b;
		case 'B': return F_B;
		case 'A': return F_A;
		}
		return -1;
	case 2:
		if (!memcmp(k, "id", 2))
			return F_ID;
		if (!memcmp(k, "pu", 2))
			return F_PU;
		return -1;
	case 3:
		return memcmp(k, "msg", 3) ? -1 : F_MSG;
	case 4:
		if (!memcmp(k, "data", 4))
			return F_DATA;
		if (!memcmp(k, "code", 4))
			return F_CODE;
		if (!memcmp(k, "bids", 4))
			return F_BIDS;
		if (!memcmp(k, "asks", 4))
			return F_ASKS;
		return -1;
	case 5:
		if (!memcmp(k, "ts_ns", 5))
			return F_TS_NS;
		if (!memcmp(k, "error", 5))
			return F_ERROR;
		return -1;
	case 6:
		if (!memcmp(k, "stream", 6))
			return F_STREAM;
		if (!memcmp(k, "result", 6))
			return F_RESULT;
		return -1;
	case 12:
		return memcmp(k, "lastUpdateId", 12) ? -1 : F_LAST_UPDATE_ID;
	}
	return -1;
}

/* slot[f] = token index of field f's value, 0 when absent (token 0 is the
 * root object, never a member value). Later duplicates overwrite. */
static void collect(const char *js, const struct json_tok *toks, uint32_t obj, uint32_t *slot)
{
	uint32_t k = obj + 1;

	memset(slot, 0, F__MAX * sizeof(*slot));
	for (uint32_t m = 0; m < toks[obj].size; m++) {
		const struct json_tok *key = &toks[k];
		if (!(key->flags & JSON_TOKF_ESCAPED)) {
			int f = field_of(js + key->start, key->len);
			if (f >= 0)
				slot[f] = k + 1;
		}
		k = toks[k + 1].next;
	}
}

struct ctx {
	const char *js;
	const struct json_tok *toks;
	const uint32_t *slot;
	struct feed_msg *m;
};

#define TRY(expr)                                                            \
	do {                                                                 \
		int rc_ = (expr);                                            \
		if (rc_)                                                     \
			return rc_;                                          \
	} while (0)

static int need_u64(const struct ctx *c, int f, uint64_t *out)
{
	if (!c->slot[f])
		return BINANCE_E_MISSING;
	return json_u64(c->js, &c->toks[c->slot[f]], out);
}

static int need_dec(const struct ctx *c, int f, int64_t *out)
{
	if (!c->slot[f])
		return BINANCE_E_MISSING;
	return get_dec(c->js, &c->toks[c->slot[f]], out);
}

static int need_bool(const struct ctx *c, int f, bool *out)
{
	if (!c->slot[f])
		return BINANCE_E_MISSING;
	return get_bool(&c->toks[c->slot[f]], out);
}

static int need_symbol(const struct ctx *c)
{
	if (!c->slot[F_s])
		return BINANCE_E_MISSING;
	return get_ident(c->js, &c->toks[c->slot[F_s]], &c->m->symbol);
}

/* Optional u64 field: sets `bit` in m->fields when present. */
static int opt_u64(const struct ctx *c, int f, uint64_t *out, uint32_t bit)
{
	if (!c->slot[f])
		return 0;
	TRY(json_u64(c->js, &c->toks[c->slot[f]], out));
	c->m->fields |= bit;
	return 0;
}

static int common_tail(const struct ctx *c)
{
	return opt_u64(c, F_TS_NS, &c->m->ts_ns, FEED_F_TS_NS);
}

static int parse_trade(const struct ctx *c, int agg)
{
	struct feed_msg *m = c->m;

	TRY(need_u64(c, F_E, &m->event_ms));
	TRY(need_symbol(c));
	TRY(need_u64(c, agg ? F_a : F_t, &m->id));
	TRY(need_dec(c, F_p, &m->price));
	TRY(need_dec(c, F_q, &m->qty));
	if (agg) {
		TRY(need_u64(c, F_f, &m->first_id));
		TRY(need_u64(c, F_l, &m->last_id));
	}
	TRY(need_u64(c, F_T, &m->trade_ms));
	TRY(need_bool(c, F_m, &m->buyer_maker));
	if (c->slot[F_M]) {
		TRY(get_bool(&c->toks[c->slot[F_M]], &m->best_match));
		m->fields |= FEED_F_BEST_MATCH;
	}
	m->fields |= FEED_F_EVENT_MS | FEED_F_TRADE_MS;
	m->type = agg ? FEED_MSG_AGG_TRADE : FEED_MSG_TRADE;
	return common_tail(c);
}

static int parse_book_ticker(const struct ctx *c)
{
	struct feed_msg *m = c->m;

	TRY(need_u64(c, F_u, &m->id));
	TRY(need_symbol(c));
	TRY(need_dec(c, F_b, &m->bid_px));
	TRY(need_dec(c, F_B, &m->bid_qty));
	TRY(need_dec(c, F_a, &m->ask_px));
	TRY(need_dec(c, F_A, &m->ask_qty));
	TRY(opt_u64(c, F_E, &m->event_ms, FEED_F_EVENT_MS)); /* futures */
	TRY(opt_u64(c, F_T, &m->trade_ms, FEED_F_TRADE_MS));
	m->type = FEED_MSG_BOOK_TICKER;
	return common_tail(c);
}

/* One side's [["price","qty"], ...] into levels[*used ..]. */
static int parse_levels(const struct ctx *c, uint32_t arr, struct feed_level *levels,
			uint32_t cap, uint32_t *used, uint32_t *count)
{
	const struct json_tok *toks = c->toks;
	const struct json_tok *a = &toks[arr];

	if (a->type != JSON_TOK_ARRAY)
		return BINANCE_E_TYPE;
	if (a->size > cap - *used)
		return BINANCE_E_LEVELS;
	uint32_t k = arr + 1;
	for (uint32_t i = 0; i < a->size; i++) {
		const struct json_tok *lv = &toks[k];
		if (lv->type != JSON_TOK_ARRAY || lv->size != 2)
			return BINANCE_E_TYPE;
		struct feed_level *out = &levels[*used + i];
		TRY(get_dec(c->js, &toks[k + 1], &out->price));
		/* price was a string (get_dec checked), so qty is the next token */
		TRY(get_dec(c->js, &toks[k + 2], &out->qty));
		k = lv->next;
	}
	*used += a->size;
	*count = a->size;
	return 0;
}

static int parse_depth(const struct ctx *c, struct binance_parser *p)
{
	struct feed_msg *m = c->m;
	uint32_t used = 0;

	TRY(need_u64(c, F_E, &m->event_ms));
	TRY(need_symbol(c));
	TRY(need_u64(c, F_U, &m->first_id));
	TRY(need_u64(c, F_u, &m->last_id));
	if (!c->slot[F_b] || !c->slot[F_a])
		return BINANCE_E_MISSING;
	TRY(parse_levels(c, c->slot[F_b], p->levels, p->nlevels, &used, &m->n_bids));
	TRY(parse_levels(c, c->slot[F_a], p->levels, p->nlevels, &used, &m->n_asks));
	m->bids = p->levels;
	m->asks = p->levels + m->n_bids;
	TRY(opt_u64(c, F_T, &m->trade_ms, FEED_F_TRADE_MS));
	TRY(opt_u64(c, F_PU, &m->prev_id, FEED_F_PREV_ID));
	m->fields |= FEED_F_EVENT_MS;
	m->type = FEED_MSG_DEPTH;
	return common_tail(c);
}

/* "id" of a reply: unsigned number, string or null. */
static int reply_id(const struct ctx *c)
{
	if (!c->slot[F_ID])
		return 0;
	const struct json_tok *t = &c->toks[c->slot[F_ID]];
	switch (t->type) {
	case JSON_TOK_NUMBER:
		TRY(json_u64(c->js, t, &c->m->id));
		c->m->fields |= FEED_F_ID;
		return 0;
	case JSON_TOK_STRING:
		TRY(get_str(c->js, t, &c->m->id_str));
		c->m->fields |= FEED_F_ID_STR;
		return 0;
	case JSON_TOK_NULL:
		return 0;
	}
	return BINANCE_E_TYPE;
}

static int parse_error_reply(const struct ctx *c)
{
	uint32_t eslot[F__MAX];
	uint32_t e = c->slot[F_ERROR];

	if (c->toks[e].type != JSON_TOK_OBJECT)
		return BINANCE_E_NOT_OBJECT;
	collect(c->js, c->toks, e, eslot);
	if (!eslot[F_CODE] || !eslot[F_MSG])
		return BINANCE_E_MISSING;
	TRY(get_i64(c->js, &c->toks[eslot[F_CODE]], &c->m->err_code));
	TRY(get_str(c->js, &c->toks[eslot[F_MSG]], &c->m->err_msg));
	TRY(reply_id(c));
	c->m->type = FEED_MSG_ERROR_REPLY;
	return 0;
}

static int parse_object(struct binance_parser *p, const char *js, uint32_t obj, struct feed_msg *m,
			int in_envelope)
{
	uint32_t slot[F__MAX];
	struct ctx c = { js, p->toks, slot, m };

	collect(js, p->toks, obj, slot);

	if (!in_envelope && slot[F_STREAM] && slot[F_DATA]) {
		TRY(get_ident(js, &p->toks[slot[F_STREAM]], &m->stream));
		if (p->toks[slot[F_DATA]].type != JSON_TOK_OBJECT)
			return BINANCE_E_NOT_OBJECT;
		m->fields |= FEED_F_STREAM;
		return parse_object(p, js, slot[F_DATA], m, 1);
	}
	if (slot[F_e]) {
		const struct json_tok *e = &p->toks[slot[F_e]];
		TRY(get_ident(js, e, &m->event));
		const char *v = js + e->start;
		switch (e->len) {
		case 5:
			if (!memcmp(v, "trade", 5))
				return parse_trade(&c, 0);
			break;
		case 8:
			if (!memcmp(v, "aggTrade", 8))
				return parse_trade(&c, 1);
			break;
		case 10:
			if (!memcmp(v, "bookTicker", 10))
				return parse_book_ticker(&c);
			break;
		case 11:
			if (!memcmp(v, "depthUpdate", 11))
				return parse_depth(&c, p);
			break;
		}
		/* another event type: say what it is, best effort */
		if (slot[F_s])
			(void)get_ident(js, &p->toks[slot[F_s]], &m->symbol);
		return 0;
	}
	if (slot[F_RESULT] && slot[F_ID]) {
		get_raw(js, &p->toks[slot[F_RESULT]], &m->result);
		TRY(reply_id(&c));
		m->type = FEED_MSG_REPLY;
		return 0;
	}
	if (slot[F_ERROR])
		return parse_error_reply(&c);
	if (slot[F_u] && slot[F_s] && slot[F_b] && slot[F_B] && slot[F_a] && slot[F_A])
		return parse_book_ticker(&c);
	return 0;
}

int binance_parse(struct binance_parser *p, const char *buf, size_t len, struct feed_msg *m)
{
	if (binance_scan(p, buf, len, m))
		return 0;
	return binance_parse_strict(p, buf, len, m);
}

int binance_parse_strict(struct binance_parser *p, const char *buf, size_t len,
			 struct feed_msg *m)
{
	memset(m, 0, sizeof(*m));
	int n = json_tokenize(buf, len, p->toks, p->ntoks);
	if (n < 0)
		return n;
	if (p->toks[0].type != JSON_TOK_OBJECT)
		return BINANCE_E_NOT_OBJECT;
	int rc = parse_object(p, buf, 0, m, 0);
	if (rc)
		m->type = FEED_MSG_UNKNOWN;
	return rc;
}

int binance_parse_snapshot(struct binance_parser *p, const char *buf, size_t len,
			   struct feed_book_snapshot *s)
{
	uint32_t slot[F__MAX], used = 0;
	struct feed_msg m;
	struct ctx c = { buf, p->toks, slot, &m };
	int n = json_tokenize(buf, len, p->toks, p->ntoks);

	memset(s, 0, sizeof(*s));
	memset(&m, 0, sizeof(m));
	if (n < 0)
		return n;
	if (p->toks[0].type != JSON_TOK_OBJECT)
		return BINANCE_E_NOT_OBJECT;
	collect(buf, p->toks, 0, slot);
	TRY(need_u64(&c, F_LAST_UPDATE_ID, &s->last_update_id));
	if (!slot[F_BIDS] || !slot[F_ASKS])
		return BINANCE_E_MISSING;
	TRY(parse_levels(&c, slot[F_BIDS], p->levels, p->nlevels, &used, &s->n_bids));
	TRY(parse_levels(&c, slot[F_ASKS], p->levels, p->nlevels, &used, &s->n_asks));
	s->bids = p->levels;
	s->asks = p->levels + s->n_bids;
	TRY(opt_u64(&c, F_E, &s->event_ms, 0)); /* USD-M */
	return 0;
}

int binance_snapshot_path(const char *prefix, const char *symbol, uint32_t limit, char *out,
			  size_t cap)
{
	int n;

	for (const char *q = symbol; *q; q++)
		if (!((*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
			return -EINVAL;
	if (!*symbol || !limit)
		return -EINVAL;
	n = snprintf(out, cap, "%s?symbol=%s&limit=%u", prefix, symbol, limit);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

void binance_parser__init(struct binance_parser *p, struct json_tok *toks, uint32_t ntoks,
		       struct feed_level *levels, uint32_t nlevels)
{
	p->toks = toks;
	p->ntoks = ntoks;
	p->levels = levels;
	p->nlevels = nlevels;
}

int binance_parser__new(struct binance_parser **out, uint32_t ntoks, uint32_t nlevels)
{
	struct binance_parser *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		goto err;
	binance_parser__init(p, calloc(ntoks ? ntoks : 1, sizeof(struct json_tok)), ntoks,
			  calloc(nlevels ? nlevels : 1, sizeof(struct feed_level)), nlevels);
	if (!p->toks || !p->levels)
		goto err_arrays;
	*out = p;
	return 0;

err_arrays:
	free(p->levels);
	free(p->toks);
	free(p);
err:
	return -ENOMEM;
}

void binance_parser__free(struct binance_parser *p)
{
	if (!p)
		return;
	free(p->levels);
	free(p->toks);
	free(p);
}

/* ---- timestamps without a parse (see binance_parse.h) ---- */

/* feedsim's send time: the last field of a data object, "ts_ns":<digits>. */
uint64_t binance_scan_ts_ns(const uint8_t *p, size_t n)
{
	static const char key[] = "\"ts_ns\":";
	size_t klen = sizeof(key) - 1, i, lo = n > 64 ? n - 64 : 0;
	uint64_t v = 0;

	/* a message shorter than the key cannot hold it, and the key is
	 * compared whole: it must fit in p[i, n) */
	if (n < klen)
		return 0;
	for (i = n - klen; i + 1 > lo; i--) {
		if (memcmp(p + i, key, klen) == 0) {
			for (i += klen; i < n && p[i] >= '0' && p[i] <= '9'; i++)
				v = v * 10 + (uint64_t)(p[i] - '0');
			return v;
		}
		if (i == 0)
			break;
	}
	return 0;
}

/* The exchange's event time "E" (ms): Binance puts it near the start. */
uint64_t binance_scan_event_ms(const uint8_t *p, size_t n)
{
	size_t i, lim = n < 64 ? n : 64;
	uint64_t v = 0;

	/* p[i .. i + 3] must lie inside the first lim bytes */
	for (i = 0; i + 4 <= lim; i++) {
		if (p[i] == '"' && p[i + 1] == 'E' && p[i + 2] == '"' && p[i + 3] == ':') {
			for (i += 4; i < n && p[i] >= '0' && p[i] <= '9'; i++)
				v = v * 10 + (uint64_t)(p[i] - '0');
			return v;
		}
	}
	return 0;
}

/* sim_okx — feedsim's OKX v5 public dialect (see sim_dialect.h): path
 * /ws/v5/public; {"op":"subscribe"|"unsubscribe","args":[{"channel",
 * "instId"},..]} answered per arg with {"event":"subscribe",...} or, for a
 * request that cannot be applied whole, one {"event":"error","code",..};
 * the text "ping" answered "pong"; channels trades, bbo-tbt and books. */
#include "sim_dialect_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "venue/venue_json.h"

static const char *const okx_paths[] = {"/ws/v5/public", NULL};

static int okx_conn_new(struct sim_dconn **out, const struct sim_dialect_conf *conf,
			const char *target, size_t target_len, unsigned conn_id)
{
	(void)target, (void)target_len;
	return sim_dconn_new(out, &sim_dialect_okx, conf, conn_id);
}

static int okx_kind(const char *js, const struct json_tok *t)
{
	if (vjson_is(js, t, "trades"))
		return FEEDGEN_TRADE;
	if (vjson_is(js, t, "bbo-tbt"))
		return FEEDGEN_BOOKTICKER;
	if (vjson_is(js, t, "books"))
		return FEEDGEN_DEPTH;
	return -1;
}

static size_t okx_error(struct sim_dconn *c, char *out, size_t cap, const char *code,
			const char *msg)
{
	int n = snprintf(out, cap, "{\"event\":\"error\",\"code\":\"%s\",\"msg\":\"%s\",\"connId\":\"%s\"}",
			 code, msg, c->conn_id);

	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static unsigned okx_handle(struct sim_dconn *c, struct feedgen *g, const char *req, size_t n,
			   char *out, size_t cap, size_t *lens)
{
	const struct json_tok *t = c->rtoks;
	uint32_t op, args, k;
	bool sub;
	size_t used = 0;
	unsigned nr = 0;
	char sym[FEEDGEN_SYMBOL_MAX + 1];

	if (n == 4 && !memcmp(req, "ping", 4)) {
		memcpy(out, "pong", 4);
		lens[0] = 4;
		return 1;
	}
	if (json_tokenize(req, n, c->rtoks, SIM_D_RTOKS) < 0 || t[0].type != JSON_TOK_OBJECT)
		goto invalid;
	op = vjson_get(req, t, 0, "op");
	args = vjson_get(req, t, 0, "args");
	if (!op || !args || t[args].type != JSON_TOK_ARRAY || t[args].size == 0 ||
	    t[args].size > SIM_DIALECT_MAX_REPLIES)
		goto invalid;
	if (vjson_is(req, &t[op], "subscribe"))
		sub = true;
	else if (vjson_is(req, &t[op], "unsubscribe"))
		sub = false;
	else
		goto invalid;
	/* check every arg first: a request is applied whole or not at all */
	k = args + 1;
	for (uint32_t i = 0; i < t[args].size; i++, k = t[k].next) {
		uint32_t ch = vjson_get(req, t, k, "channel"), in = vjson_get(req, t, k, "instId");

		if (!ch || !in || t[ch].type != JSON_TOK_STRING || t[in].type != JSON_TOK_STRING ||
		    (t[ch].flags | t[in].flags) & JSON_TOKF_ESCAPED)
			goto invalid;
		if (okx_kind(req, &t[ch]) < 0 || !sim_dsymbol(req + t[in].start, t[in].len, sym) ||
		    t[ch].len + t[in].len + 2 > sizeof(c->s[0].name)) {
			char msg[160];

			snprintf(msg, sizeof(msg), "Wrong URL or channel:%.*s,instId:%.*s doesn't exist.",
				 (int)(t[ch].len > 40 ? 40 : t[ch].len), req + t[ch].start,
				 (int)(t[in].len > 40 ? 40 : t[in].len), req + t[in].start);
			lens[0] = okx_error(c, out, cap, "60018", msg);
			return 1;
		}
	}
	k = args + 1;
	for (uint32_t i = 0; i < t[args].size; i++, k = t[k].next) {
		uint32_t ch = vjson_get(req, t, k, "channel"), in = vjson_get(req, t, k, "instId");
		char name[80];
		int nl = snprintf(name, sizeof(name), "%.*s:%.*s", (int)t[ch].len, req + t[ch].start,
				  (int)t[in].len, req + t[in].start);
		int r = sub ? sim_dstream_add(c, g, name, (size_t)nl, req + t[in].start, t[in].len,
					      (unsigned)okx_kind(req, &t[ch]))
			    : sim_dstream_del(c, g, name, (size_t)nl);
		int w;

		if (sub && r < 0) {
			char msg[160];

			snprintf(msg, sizeof(msg), "Subscription to %s failed: %s", name,
				 r == -EEXIST ? "its instrument is subscribed under another name"
					      : "too many subscriptions");
			lens[nr] = okx_error(c, out + used, cap - used, "60018", msg);
			used += lens[nr++];
			continue;
		}
		w = snprintf(out + used, cap - used,
			     "{\"event\":\"%s\",\"arg\":{\"channel\":\"%.*s\",\"instId\":\"%.*s\"},"
			     "\"connId\":\"%s\"}",
			     sub ? "subscribe" : "unsubscribe", (int)t[ch].len, req + t[ch].start,
			     (int)t[in].len, req + t[in].start, c->conn_id);
		if (w <= 0 || (size_t)w >= cap - used)
			break;
		lens[nr++] = (size_t)w;
		used += (size_t)w;
	}
	return nr;

invalid:
	lens[0] = okx_error(c, out, cap, "60012", "Invalid request");
	return 1;
}

static ssize_t okx_translate(struct sim_dconn *c, const char *in, size_t n, char *out,
			     size_t cap, int64_t wall_ms)
{
	struct feed_msg m;
	struct sim_dstream *s;
	struct wbuf w = {out, out + cap, false};
	unsigned kind;
	int err;

	s = sim_dstream_of_msg(c, in, n, &m, &kind, &err);
	if (!s)
		return err;
	if (kind == FEEDGEN_DEPTH && s->snap_done && sim_ddrop(c))
		return 0; /* a gap: the next update's prevSeqId names this one */
	w_str(&w, "{\"arg\":{\"channel\":\"");
	w_mem(&w, s->name, strcspn(s->name, ":"));
	w_str(&w, "\",\"instId\":\"");
	w_str(&w, s->inst);
	w_str(&w, "\"},");
	switch (kind) {
	case FEEDGEN_TRADE:
		w_str(&w, "\"data\":[{\"instId\":\"");
		w_str(&w, s->inst);
		w_str(&w, "\",\"tradeId\":\"");
		w_u64(&w, m.id);
		w_str(&w, "\",\"px\":\"");
		w_dec(&w, m.price);
		w_str(&w, "\",\"sz\":\"");
		w_dec(&w, m.qty);
		w_str(&w, m.buyer_maker ? "\",\"side\":\"sell\",\"ts\":\"" : "\",\"side\":\"buy\",\"ts\":\"");
		w_u64(&w, m.trade_ms);
		w_str(&w, "\",\"count\":\"1\",\"source\":\"0\"}]");
		break;
	case FEEDGEN_BOOKTICKER:
		w_str(&w, "\"data\":[{\"asks\":[[\"");
		w_dec(&w, m.ask_px);
		w_str(&w, "\",\"");
		w_dec(&w, m.ask_qty);
		w_str(&w, "\",\"0\",\"1\"]],\"bids\":[[\"");
		w_dec(&w, m.bid_px);
		w_str(&w, "\",\"");
		w_dec(&w, m.bid_qty);
		w_str(&w, "\",\"0\",\"1\"]],\"ts\":\"");
		w_i64(&w, wall_ms);
		w_str(&w, "\",\"seqId\":");
		w_u64(&w, m.id);
		w_str(&w, "}]");
		break;
	default: {
		bool snap = !s->snap_done;

		w_str(&w, snap ? "\"action\":\"snapshot\"," : "\"action\":\"update\",");
		w_str(&w, "\"data\":[{\"asks\":");
		w_levels(&w, m.asks, m.n_asks, ",\"0\",\"1\"", snap);
		w_str(&w, ",\"bids\":");
		w_levels(&w, m.bids, m.n_bids, ",\"0\",\"1\"", snap);
		w_str(&w, ",\"ts\":\"");
		w_u64(&w, m.event_ms);
		w_str(&w, "\",\"checksum\":0,\"prevSeqId\":");
		if (snap)
			w_str(&w, "-1");
		else
			w_u64(&w, m.first_id - 1);
		w_str(&w, ",\"seqId\":");
		w_u64(&w, m.last_id);
		w_str(&w, "}]");
		s->snap_done = true;
		break;
	}
	}
	w_tail(&w, &m);
	return w.over ? -ENOSPC : (ssize_t)(w.p - out);
}

const struct sim_dialect sim_dialect_okx = {
    .name = "okx",
    .paths = okx_paths,
    .conn_new = okx_conn_new,
    .conn_free = sim_dconn_free,
    .handle = okx_handle,
    .translate = okx_translate,
};

/* sim_bybit — feedsim's Bybit v5 public dialect (see sim_dialect.h): paths
 * /v5/public/spot, /linear and /inverse (the category decides the request
 * limit and the pong's shape); {"op":"subscribe"|"unsubscribe","args":[..]}
 * (spot: at most 10) answered once per request with
 * {"success":..,"ret_msg":..,"conn_id":..,["req_id":..,]"op":..};
 * {"op":"ping"} answered as spot ({"success":true,"ret_msg":"pong",..,
 * "op":"ping"}) or futures ({"op":"pong","args":[ms],..}) do; topics
 * publicTrade.S, orderbook.1.S (the best bid/offer, snapshots only) and
 * orderbook.{50,200,1000}.S. */
#include "sim_dialect_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "venue/venue_json.h"

static const char *const bybit_paths[] = {"/v5/public/spot", "/v5/public/linear",
					  "/v5/public/inverse", NULL};

static int bybit_conn_new(struct sim_dconn **out, const struct sim_dialect_conf *conf,
			  const char *target, size_t target_len, unsigned conn_id)
{
	int r = sim_dconn_new(out, &sim_dialect_bybit, conf, conn_id);
	size_t pl = strcspn(target, "?");

	if (pl > target_len)
		pl = target_len;
	if (!r)
		(*out)->category = pl == 17 && !memcmp(target, "/v5/public/linear", 17)    ? 1
				   : pl == 18 && !memcmp(target, "/v5/public/inverse", 18) ? 2
											   : 0;
	return r;
}

/* "publicTrade.S", "orderbook.N.S": the kind and where S starts, or -1. */
static int bybit_topic(const char *t, size_t n, size_t *sym)
{
	static const struct {
		const char *pre;
		int kind;
	} k[] = {
	    {"publicTrade.", FEEDGEN_TRADE},       {"orderbook.1.", FEEDGEN_BOOKTICKER},
	    {"orderbook.50.", FEEDGEN_DEPTH},      {"orderbook.200.", FEEDGEN_DEPTH},
	    {"orderbook.1000.", FEEDGEN_DEPTH},
	};

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		size_t pl = strlen(k[i].pre);

		if (n > pl && !memcmp(t, k[i].pre, pl)) {
			for (size_t j = pl; j < n; j++)
				if (!((t[j] >= 'A' && t[j] <= 'Z') || (t[j] >= '0' && t[j] <= '9')))
					return -1;
			*sym = pl;
			return k[i].kind;
		}
	}
	return -1;
}

static size_t bybit_reply(struct sim_dconn *c, char *out, size_t cap, bool ok, const char *msg,
			  const char *req, const struct json_tok *rid, const char *op)
{
	int n = snprintf(out, cap, "{\"success\":%s,\"ret_msg\":\"%s\",\"conn_id\":\"%s\"",
			 ok ? "true" : "false", msg, c->conn_id);

	if (n <= 0 || (size_t)n >= cap)
		return 0;
	if (rid)
		n += snprintf(out + n, cap - (size_t)n, ",\"req_id\":\"%.*s\"", (int)rid->len,
			      req + rid->start);
	if ((size_t)n >= cap)
		return 0;
	n += snprintf(out + n, cap - (size_t)n, ",\"op\":\"%s\"}", op);
	return (size_t)n < cap ? (size_t)n : 0;
}

static unsigned bybit_handle(struct sim_dconn *c, struct feedgen *g, const char *req, size_t n,
			     char *out, size_t cap, size_t *lens)
{
	const struct json_tok *t = c->rtoks, *rid = NULL;
	uint32_t op, args, k, f;
	bool sub;
	size_t sym;
	char msg[128];

	if (json_tokenize(req, n, c->rtoks, SIM_D_RTOKS) < 0 || t[0].type != JSON_TOK_OBJECT ||
	    !(op = vjson_get(req, t, 0, "op")) || t[op].type != JSON_TOK_STRING) {
		lens[0] = bybit_reply(c, out, cap, false, "invalid request", req, NULL, "");
		return 1;
	}
	if ((f = vjson_get(req, t, 0, "req_id")) && t[f].type == JSON_TOK_STRING &&
	    !(t[f].flags & JSON_TOKF_ESCAPED) && t[f].len <= 64)
		rid = &t[f];
	if (vjson_is(req, &t[op], "ping")) {
		if (c->category == 0) {
			lens[0] = bybit_reply(c, out, cap, true, "pong", req, rid, "ping");
		} else {
			struct timespec ts;
			int w;

			clock_gettime(CLOCK_REALTIME, &ts);
			w = snprintf(out, cap, "{\"req_id\":\"%.*s\",\"op\":\"pong\",\"args\":[\"%lld\"],"
					       "\"conn_id\":\"%s\"}",
				     rid ? (int)rid->len : 0, rid ? req + rid->start : "",
				     (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, c->conn_id);
			lens[0] = w > 0 && (size_t)w < cap ? (size_t)w : 0;
		}
		return 1;
	}
	if (vjson_is(req, &t[op], "subscribe"))
		sub = true;
	else if (vjson_is(req, &t[op], "unsubscribe"))
		sub = false;
	else {
		lens[0] = bybit_reply(c, out, cap, false, "invalid op", req, rid, "");
		return 1;
	}
	const char *opn = sub ? "subscribe" : "unsubscribe";
	args = vjson_get(req, t, 0, "args");
	if (!args || t[args].type != JSON_TOK_ARRAY || t[args].size == 0) {
		lens[0] = bybit_reply(c, out, cap, false, "args empty", req, rid, opn);
		return 1;
	}
	if (c->category == 0 && t[args].size > 10) {
		lens[0] = bybit_reply(c, out, cap, false, "args size >10", req, rid, opn);
		return 1;
	}
	/* every topic first: applied whole or not at all */
	k = args + 1;
	for (uint32_t i = 0; i < t[args].size; i++, k = t[k].next) {
		if (t[k].type != JSON_TOK_STRING || (t[k].flags & JSON_TOKF_ESCAPED) ||
		    bybit_topic(req + t[k].start, t[k].len, &sym) < 0 ||
		    !sim_dsymbol(req + t[k].start + sym, t[k].len - (uint32_t)sym, msg)) {
			snprintf(msg, sizeof(msg), "error:topic not found:%.*s",
				 (int)(t[k].len > 64 ? 64 : t[k].len), req + t[k].start);
			if (t[k].type != JSON_TOK_STRING || (t[k].flags & JSON_TOKF_ESCAPED))
				snprintf(msg, sizeof(msg), "error:topic not a string");
			lens[0] = bybit_reply(c, out, cap, false, msg, req, rid, opn);
			return 1;
		}
	}
	k = args + 1;
	for (uint32_t i = 0; i < t[args].size; i++, k = t[k].next) {
		int kind = bybit_topic(req + t[k].start, t[k].len, &sym);
		int r = sub ? sim_dstream_add(c, g, req + t[k].start, t[k].len, req + t[k].start + sym,
					      t[k].len - sym, (unsigned)kind)
			    : sim_dstream_del(c, g, req + t[k].start, t[k].len);

		if (sub && r < 0) {
			snprintf(msg, sizeof(msg), "error:cannot subscribe:%.*s",
				 (int)(t[k].len > 64 ? 64 : t[k].len), req + t[k].start);
			lens[0] = bybit_reply(c, out, cap, false, msg, req, rid, opn);
			return 1;
		}
	}
	lens[0] = bybit_reply(c, out, cap, true, "", req, rid, opn);
	return 1;
}

/* One feedgen trade as 1..3 Bybit trades (the same price, the quantity
 * split), so the client meets the array. */
static void bybit_trades(struct wbuf *w, const struct feed_msg *m, const char *sym)
{
	unsigned k = 1 + (unsigned)(m->id % 3);
	int64_t part;

	if (m->qty < (int64_t)k)
		k = 1;
	part = m->qty / (int64_t)k;
	w_str(w, "\"data\":[");
	for (unsigned i = 0; i < k; i++) {
		w_str(w, i ? ",{\"T\":" : "{\"T\":");
		w_u64(w, m->trade_ms);
		w_str(w, ",\"s\":\"");
		w_str(w, sym);
		w_str(w, m->buyer_maker ? "\",\"S\":\"Sell\",\"v\":\"" : "\",\"S\":\"Buy\",\"v\":\"");
		w_dec(w, i + 1 < k ? part : m->qty - part * (int64_t)(k - 1));
		w_str(w, "\",\"p\":\"");
		w_dec(w, m->price);
		w_str(w, "\",\"L\":\"ZeroPlusTick\",\"i\":\"");
		w_u64(w, m->id * 4 + i);
		w_str(w, "\",\"BT\":false}");
	}
	w_str(w, "]");
}

static ssize_t bybit_translate(struct sim_dconn *c, const char *in, size_t n, char *out,
			       size_t cap, int64_t wall_ms)
{
	struct feed_msg m;
	struct sim_dstream *s;
	struct wbuf w = {out, out + cap, false};
	unsigned kind;
	int err;
	bool snap;

	s = sim_dstream_of_msg(c, in, n, &m, &kind, &err);
	if (!s)
		return err;
	snap = kind != FEEDGEN_DEPTH || !s->snap_done;
	if (kind != FEEDGEN_TRADE) {
		/* per topic, from 1 after each subscription (as after a restart) */
		s->u++;
		if (!snap && sim_ddrop(c))
			return 0; /* a gap: u skips one */
	}
	w_str(&w, "{\"topic\":\"");
	w_str(&w, s->name);
	w_str(&w, snap ? "\",\"type\":\"snapshot\",\"ts\":" : "\",\"type\":\"delta\",\"ts\":");
	w_i64(&w, kind == FEEDGEN_DEPTH ? (int64_t)m.event_ms : wall_ms);
	w_str(&w, ",");
	if (kind == FEEDGEN_TRADE) {
		bybit_trades(&w, &m, s->inst);
	} else {
		w_str(&w, "\"data\":{\"s\":\"");
		w_str(&w, s->inst);
		w_str(&w, "\",\"b\":");
		if (kind == FEEDGEN_BOOKTICKER) {
			struct feed_level b = {m.bid_px, m.bid_qty}, a = {m.ask_px, m.ask_qty};

			w_levels(&w, &b, 1, NULL, false);
			w_str(&w, ",\"a\":");
			w_levels(&w, &a, 1, NULL, false);
		} else {
			w_levels(&w, m.bids, m.n_bids, NULL, snap);
			w_str(&w, ",\"a\":");
			w_levels(&w, m.asks, m.n_asks, NULL, snap);
		}
		w_str(&w, ",\"u\":");
		w_u64(&w, s->u);
		w_str(&w, ",\"seq\":");
		w_u64(&w, kind == FEEDGEN_DEPTH ? m.last_id : m.id);
		w_str(&w, "},\"cts\":");
		w_i64(&w, kind == FEEDGEN_DEPTH ? (int64_t)m.event_ms : wall_ms);
		s->snap_done = true;
	}
	w_tail(&w, &m);
	return w.over ? -ENOSPC : (ssize_t)(w.p - out);
}

const struct sim_dialect sim_dialect_bybit = {
    .name = "bybit",
    .paths = bybit_paths,
    .conn_new = bybit_conn_new,
    .conn_free = sim_dconn_free,
    .handle = bybit_handle,
    .translate = bybit_translate,
};

/* sim_rpc — Binance-style JSON methods for feedsim (see sim_rpc.h). */
#include "sim_rpc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proto/json.h"
#include "feedgen.h"

/* A member of the request: the index of its value token, 0 when absent
 * (token 0 is the request object itself). */
struct req {
	const char *js;
	const struct json_tok *toks;
	uint32_t method, params, id;
};

static bool tok_is(const struct req *r, uint32_t t, const char *lit)
{
	size_t n = strlen(lit);

	return r->toks[t].type == JSON_TOK_STRING && r->toks[t].len == n &&
	       !memcmp(r->js + r->toks[t].start, lit, n);
}

/* Each element el of array token a (i counts them). */
#define FOR_EACH_EL(r, a, i, el)                                                      \
	for ((i) = 0, (el) = (a) + 1; (i) < (r)->toks[a].size; (i)++, (el) = (r)->toks[el].next)

/* The n-th element of array token a, or 0 past its end. */
static uint32_t arr_at(const struct req *r, uint32_t a, uint32_t n)
{
	uint32_t el = a + 1;

	if (n >= r->toks[a].size)
		return 0;
	while (n--)
		el = r->toks[el].next;
	return el;
}

/* A string token's bytes as sent, escapes not decoded. */
static const char *tok_str(const struct req *r, uint32_t t, size_t *n)
{
	*n = r->toks[t].len;
	return r->js + r->toks[t].start;
}

/* ---- replies ---- */

struct out {
	char *p, *end;
};

static void out_put(struct out *o, const char *s, size_t n)
{
	if (n > (size_t)(o->end - o->p))
		n = (size_t)(o->end - o->p);
	memcpy(o->p, s, n);
	o->p += n;
}

static void out_str(struct out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static void out_id_end(struct out *o, const struct req *r)
{
	out_str(o, ",\"id\":");
	if (r->id) {
		const struct json_tok *t = &r->toks[r->id];
		size_t q = t->type == JSON_TOK_STRING; /* echo strings with their quotes */

		out_put(o, r->js + t->start - q, t->len + 2 * q);
	} else {
		out_str(o, "null");
	}
	out_str(o, "}");
}

static size_t reply_error(char *buf, size_t cap, const struct req *r, int code, const char *msg)
{
	struct out o = { buf, buf + cap };
	char num[16];

	snprintf(num, sizeof(num), "%d", code);
	out_str(&o, "{\"error\":{\"code\":");
	out_str(&o, num);
	out_str(&o, ",\"msg\":\"");
	out_str(&o, msg); /* constant text without quotes or backslashes */
	out_str(&o, "\"}");
	out_id_end(&o, r);
	return (size_t)(o.p - buf);
}

static size_t reply_result(char *buf, size_t cap, const struct req *r, const char *result)
{
	struct out o = { buf, buf + cap };

	out_str(&o, "{\"result\":");
	out_str(&o, result);
	out_id_end(&o, r);
	return (size_t)(o.p - buf);
}

/* ---- methods ---- */

#define INVALID(msg) reply_error(out, cap, r, 2, "Invalid request: " msg)

/* params as stream names: 0 ok, else the reply already written. */
static size_t check_streams(const struct req *r, char *out, size_t cap)
{
	enum feedgen_kind kind;
	const char *name;
	size_t n;

	if (!r->params)
		return INVALID("missing field `params`");
	if (r->toks[r->params].type != JSON_TOK_ARRAY)
		return INVALID("params must be an array of stream names");
	uint32_t i, el;

	FOR_EACH_EL(r, r->params, i, el) {
		if (r->toks[el].type != JSON_TOK_STRING)
			return INVALID("params must be an array of stream names");
		name = tok_str(r, el, &n);
		if (feedgen_stream_parse(name, n, &kind))
			return INVALID("invalid stream name");
	}
	return 0;
}

static size_t do_subscribe(struct feedgen *g, const struct req *r, bool sub, char *out,
			   size_t cap)
{
	const char *name;
	size_t n, err = check_streams(r, out, cap);
	uint32_t i, el;

	if (err)
		return err;
	if (sub) {
		unsigned fresh = 0;

		FOR_EACH_EL(r, r->params, i, el) {
			name = tok_str(r, el, &n);
			fresh += !feedgen__has(g, name, n);
		}
		/* all or nothing: a request never leaves half its streams added */
		if (feedgen__nstreams(g) + fresh > FEEDGEN_MAX_STREAMS)
			return INVALID("too many streams (1024 per connection)");
	}
	FOR_EACH_EL(r, r->params, i, el) {
		int rc;

		name = tok_str(r, el, &n);
		rc = sub ? feedgen__subscribe(g, name, n) : feedgen__unsubscribe(g, name, n);
		if (rc < 0)
			return INVALID("too many streams or symbols");
	}
	return reply_result(out, cap, r, "null");
}

static size_t do_list(struct feedgen *g, const struct req *r, char *out, size_t cap)
{
	struct out o = { out, out + cap };

	out_str(&o, "{\"result\":[");
	for (unsigned i = 0; i < feedgen__nstreams(g); i++) {
		out_str(&o, i ? ",\"" : "\"");
		out_str(&o, feedgen__stream(g, i));
		out_str(&o, "\"");
	}
	out_str(&o, "]");
	out_id_end(&o, r);
	return (size_t)(o.p - out);
}

static size_t do_property(bool *combined, const struct req *r, bool set, char *out,
			  size_t cap)
{
	uint32_t name, val;

	if (!r->params || r->toks[r->params].type != JSON_TOK_ARRAY)
		return INVALID("params must be an array");
	name = arr_at(r, r->params, 0);
	if (!name || r->toks[name].type != JSON_TOK_STRING)
		return INVALID("missing property name");
	if (!tok_is(r, name, "combined"))
		return reply_error(out, cap, r, 0, "Unknown property");
	if (!set) {
		if (arr_at(r, r->params, 1))
			return INVALID("too many parameters");
		return reply_result(out, cap, r, *combined ? "true" : "false");
	}
	if (!(val = arr_at(r, r->params, 1)))
		return INVALID("missing property value");
	if (r->toks[val].type != JSON_TOK_TRUE && r->toks[val].type != JSON_TOK_FALSE)
		return reply_error(out, cap, r, 1, "Invalid value type: expected Boolean");
	if (arr_at(r, r->params, 2))
		return INVALID("too many parameters");
	*combined = r->toks[val].type == JSON_TOK_TRUE;
	return reply_result(out, cap, r, "null");
}

/* An id is an unsigned 64-bit integer, a short string or null. */
static bool id_valid(const struct req *r)
{
	const struct json_tok *t = &r->toks[r->id];
	uint64_t v;

	if (t->type == JSON_TOK_NULL)
		return true;
	if (t->type == JSON_TOK_STRING)
		return t->len + 2 <= SIM_RPC_ID_MAX; /* echoed with its quotes */
	return !json_u64(r->js, t, &v);
}

size_t sim_rpc_handle(struct feedgen *g, bool *combined, const char *req, size_t len,
		      char *out, size_t cap)
{
	struct json_tok toks[SIM_RPC_TOKENS_MAX];
	struct req rq = { .js = req, .toks = toks }, *r = &rq;
	int n = json_tokenize(req, len, toks, SIM_RPC_TOKENS_MAX);

	/* valid JSON perhaps, but more values than any method takes */
	if (n == JSON_ERR_TOKENS)
		return INVALID("request too large");
	if (n < 0)
		return reply_error(out, cap, r, 3, "Invalid JSON: not one well-formed JSON value");
	if (toks[0].type != JSON_TOK_OBJECT)
		return INVALID("expected a JSON object");
	/* key, value subtree, key, ...; the last of a duplicated key wins */
	for (uint32_t i = 0, k = 1; i < toks[0].size; i++, k = toks[k + 1].next) {
		if (tok_is(r, k, "method"))
			r->method = k + 1;
		else if (tok_is(r, k, "params"))
			r->params = k + 1;
		else if (tok_is(r, k, "id"))
			r->id = k + 1;
	}
	if (r->id && !id_valid(r)) {
		r->id = 0;
		return INVALID("request ID must be an unsigned integer");
	}
	if (!r->method)
		return INVALID("missing field `method`");
	if (toks[r->method].type != JSON_TOK_STRING)
		return INVALID("method must be a string");
	if (tok_is(r, r->method, "SUBSCRIBE"))
		return do_subscribe(g, r, true, out, cap);
	if (tok_is(r, r->method, "UNSUBSCRIBE"))
		return do_subscribe(g, r, false, out, cap);
	if (tok_is(r, r->method, "LIST_SUBSCRIPTIONS"))
		return do_list(g, r, out, cap);
	if (tok_is(r, r->method, "SET_PROPERTY"))
		return do_property(combined, r, true, out, cap);
	if (tok_is(r, r->method, "GET_PROPERTY"))
		return do_property(combined, r, false, out, cap);
	return INVALID("unknown method, expected one of SUBSCRIBE, UNSUBSCRIBE, "
		       "LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY");
}

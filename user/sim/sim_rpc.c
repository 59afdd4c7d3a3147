/* sim_rpc — Binance-style JSON methods for feedsim (see sim_rpc.h). */
#include "sim_rpc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "feedgen.h"

enum jtype { J_OBJ, J_ARR, J_STR, J_NUM, J_TRUE, J_FALSE, J_NULL };

struct jspan {
	const char *p; /* first byte of the value */
	size_t n;      /* whole value text, quotes included */
	enum jtype t;
	bool present;
};

static const char *ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *j_string(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if (++p >= e || !strchr("\"\\/bfnrtu", *p))
				return NULL;
			if (*p == 'u')
				for (int i = 0; i < 4; i++)
					if (++p >= e || !is_hex(*p))
						return NULL;
		}
	}
	return NULL;
}

static const char *j_number(const char *p, const char *e)
{
	if (p < e && *p == '-')
		p++;
	if (p >= e || !is_digit(*p))
		return NULL;
	if (*p == '0')
		p++;
	else
		while (p < e && is_digit(*p))
			p++;
	if (p < e && *p == '.') {
		if (++p >= e || !is_digit(*p))
			return NULL;
		while (p < e && is_digit(*p))
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || !is_digit(*p))
			return NULL;
		while (p < e && is_digit(*p))
			p++;
	}
	return p;
}

/* The end of the JSON value at p (after white space), or NULL. */
static const char *j_value(const char *p, const char *e, enum jtype *t, int depth)
{
	enum jtype sub;

	p = ws(p, e);
	if (p >= e || depth > 64)
		return NULL;
	switch (*p) {
	case '{':
	case '[': {
		bool obj = *p == '{';
		char close = obj ? '}' : ']';

		*t = obj ? J_OBJ : J_ARR;
		p = ws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = ws(p, e);
				if (p >= e || *p != '"' || !(p = j_string(p, e)))
					return NULL;
				p = ws(p, e);
				if (p >= e || *p++ != ':')
					return NULL;
			}
			if (!(p = j_value(p, e, &sub, depth + 1)))
				return NULL;
			p = ws(p, e);
			if (p < e && *p == ',') {
				p++;
				continue;
			}
			return p < e && *p == close ? p + 1 : NULL;
		}
	}
	case '"':
		*t = J_STR;
		return j_string(p, e);
	case 't':
		*t = J_TRUE;
		return e - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
	case 'f':
		*t = J_FALSE;
		return e - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
	case 'n':
		*t = J_NULL;
		return e - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
	default:
		*t = J_NUM;
		return j_number(p, e);
	}
}

/* Walk the elements of a validated array: returns false at its end. */
static bool arr_next(const char **cur, const char *e, struct jspan *el)
{
	const char *p = ws(*cur, e);

	if (*p == '[')
		p = ws(p + 1, e);
	else if (*p == ',')
		p = ws(p + 1, e);
	if (*p == ']')
		return false;
	el->p = p;
	*cur = j_value(p, e, &el->t, 0);
	el->n = (size_t)(*cur - p);
	return true;
}

struct req {
	struct jspan method, params, id;
};

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
	if (r->id.present)
		out_put(o, r->id.p, r->id.n);
	else
		out_str(o, "null");
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
static size_t check_streams(const struct req *r, const char *e, unsigned *n, char *out, size_t cap)
{
	const char *cur;
	struct jspan el;
	enum feedgen_kind kind;

	*n = 0;
	if (!r->params.present)
		return INVALID("missing field `params`");
	if (r->params.t != J_ARR)
		return INVALID("params must be an array of stream names");
	for (cur = r->params.p; arr_next(&cur, e, &el); (*n)++) {
		if (el.t != J_STR)
			return INVALID("params must be an array of stream names");
		if (feedgen_stream_parse(el.p + 1, el.n - 2, &kind))
			return INVALID("invalid stream name");
	}
	return 0;
}

static size_t do_subscribe(struct feedgen *g, const struct req *r, bool sub, const char *e,
			   char *out, size_t cap)
{
	const char *cur;
	struct jspan el;
	unsigned n;
	size_t err = check_streams(r, e, &n, out, cap);

	if (err)
		return err;
	if (sub) {
		unsigned fresh = 0;

		for (cur = r->params.p; arr_next(&cur, e, &el);)
			fresh += !feedgen__has(g, el.p + 1, el.n - 2);
		/* all or nothing: a request never leaves half its streams added */
		if (feedgen__nstreams(g) + fresh > FEEDGEN_MAX_STREAMS)
			return INVALID("too many streams (1024 per connection)");
	}
	for (cur = r->params.p; arr_next(&cur, e, &el);) {
		int rc = sub ? feedgen__subscribe(g, el.p + 1, el.n - 2)
			     : feedgen__unsubscribe(g, el.p + 1, el.n - 2);

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

static size_t do_property(bool *combined, const struct req *r, bool set, const char *e,
			  char *out, size_t cap)
{
	const char *cur;
	struct jspan name, val;

	if (!r->params.present || r->params.t != J_ARR)
		return INVALID("params must be an array");
	cur = r->params.p;
	if (!arr_next(&cur, e, &name) || name.t != J_STR)
		return INVALID("missing property name");
	if (name.n != 10 || memcmp(name.p, "\"combined\"", 10))
		return reply_error(out, cap, r, 0, "Unknown property");
	if (!set) {
		if (arr_next(&cur, e, &val))
			return INVALID("too many parameters");
		return reply_result(out, cap, r, *combined ? "true" : "false");
	}
	if (!arr_next(&cur, e, &val))
		return INVALID("missing property value");
	if (val.t != J_TRUE && val.t != J_FALSE)
		return reply_error(out, cap, r, 1, "Invalid value type: expected Boolean");
	if (arr_next(&cur, e, &val))
		return INVALID("too many parameters");
	*combined = val.t == J_TRUE;
	return reply_result(out, cap, r, "null");
}

/* An id is an unsigned 64-bit integer, a short string or null. */
static bool id_valid(const struct jspan *id)
{
	if (id->t == J_NULL)
		return true;
	if (id->t == J_STR)
		return id->n <= SIM_RPC_ID_MAX;
	if (id->t != J_NUM || id->n > 20)
		return false;
	for (size_t i = 0; i < id->n; i++)
		if (!is_digit(id->p[i]))
			return false;
	return id->n < 20 || memcmp(id->p, "18446744073709551615", 20) <= 0;
}

#define METHOD_IS(s, lit) ((s).n == sizeof(lit) + 1 && !memcmp((s).p + 1, lit, sizeof(lit) - 1))

size_t sim_rpc_handle(struct feedgen *g, bool *combined, const char *req, size_t len,
		      char *out, size_t cap)
{
	const char *e = req + len, *p, *end;
	struct req rq, *r = &rq;
	enum jtype t;

	memset(r, 0, sizeof(*r));
	end = j_value(req, e, &t, 0);
	if (!end || ws(end, e) != e)
		return reply_error(out, cap, r, 3, "Invalid JSON: not one well-formed JSON value");
	if (t != J_OBJ)
		return INVALID("expected a JSON object");
	/* members of the validated object */
	p = ws(ws(req, e) + 1, e);
	while (*p == '"') {
		const char *ks = p, *ke = j_string(p, e);
		struct jspan v, *dst = NULL;

		v.p = ws(ws(ke, e) + 1, e); /* past ':' */
		p = j_value(v.p, e, &v.t, 0);
		v.n = (size_t)(p - v.p);
		v.present = true;
		if (ke - ks == 8 && !memcmp(ks, "\"method\"", 8))
			dst = &r->method;
		else if (ke - ks == 8 && !memcmp(ks, "\"params\"", 8))
			dst = &r->params;
		else if (ke - ks == 4 && !memcmp(ks, "\"id\"", 4))
			dst = &r->id;
		if (dst)
			*dst = v;
		p = ws(p, e);
		if (*p == ',')
			p = ws(p + 1, e);
	}
	if (r->id.present && !id_valid(&r->id)) {
		r->id.present = false;
		return INVALID("request ID must be an unsigned integer");
	}
	if (!r->method.present)
		return INVALID("missing field `method`");
	if (r->method.t != J_STR)
		return INVALID("method must be a string");
	if (METHOD_IS(r->method, "SUBSCRIBE"))
		return do_subscribe(g, r, true, e, out, cap);
	if (METHOD_IS(r->method, "UNSUBSCRIBE"))
		return do_subscribe(g, r, false, e, out, cap);
	if (METHOD_IS(r->method, "LIST_SUBSCRIPTIONS"))
		return do_list(g, r, out, cap);
	if (METHOD_IS(r->method, "SET_PROPERTY"))
		return do_property(combined, r, true, e, out, cap);
	if (METHOD_IS(r->method, "GET_PROPERTY"))
		return do_property(combined, r, false, e, out, cap);
	return INVALID("unknown method, expected one of SUBSCRIBE, UNSUBSCRIBE, "
		       "LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY");
}

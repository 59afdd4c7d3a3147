/* binance_subscribe — Binance's SUBSCRIBE request and the recognition of its
 * reply (see binance_subscribe.h). */
#include "binance_subscribe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool binance_stream_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

int binance_subscribe_request(const char *const *streams, size_t n, unsigned id, char *out, size_t cap)
{
	size_t len = 0;
	int r;

	r = snprintf(out, cap, "{\"method\":\"SUBSCRIBE\",\"params\":[");
	if (r < 0 || (size_t)r >= cap)
		return -ENOSPC;
	len = (size_t)r;
	for (size_t i = 0; i < n; i++) {
		if (!binance_stream_ok(streams[i]))
			return -EINVAL;
		r = snprintf(out + len, cap - len, "%s\"%s\"", i ? "," : "", streams[i]);
		if (r < 0 || (size_t)r >= cap - len)
			return -ENOSPC;
		len += (size_t)r;
	}
	r = snprintf(out + len, cap - len, "],\"id\":%u}", id);
	if (r < 0 || (size_t)r >= cap - len)
		return -ENOSPC;
	return (int)(len + (size_t)r);
}

/* A tiny JSON cursor: just enough to walk the top level of one object. */
struct binance_subscribe__cur {
	const uint8_t *p, *end;
};

static void binance_subscribe__ws(struct binance_subscribe__cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* Skip a string starting at '"'; s and n get its raw contents. */
static bool binance_subscribe__string(struct binance_subscribe__cur *c, const uint8_t **s, size_t *n)
{
	const uint8_t *start;

	if (c->p >= c->end || *c->p != '"')
		return false;
	start = ++c->p;
	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\')
			c->p++;
		c->p++;
	}
	if (c->p >= c->end)
		return false;
	*s = start;
	*n = (size_t)(c->p - start);
	c->p++;
	return true;
}

static bool binance_subscribe__is_ws(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Skip one value: a string, an object or array (nesting counted, strings
 * inside skipped whole), or a scalar (number, true, false, null). */
static bool binance_subscribe__value(struct binance_subscribe__cur *c)
{
	const uint8_t *s, *start = c->p;
	size_t n, depth = 0;

	if (c->p >= c->end)
		return false;
	if (*c->p == '"')
		return binance_subscribe__string(c, &s, &n);
	if (*c->p == '{' || *c->p == '[') {
		while (c->p < c->end) {
			uint8_t ch = *c->p;
			if (ch == '"') {
				if (!binance_subscribe__string(c, &s, &n))
					return false;
				continue;
			}
			if (ch == '{' || ch == '[')
				depth++;
			else if ((ch == '}' || ch == ']') && --depth == 0) {
				c->p++;
				return true;
			}
			c->p++;
		}
		return false;
	}
	while (c->p < c->end && *c->p != ',' && *c->p != '}' && *c->p != ']' &&
	       !binance_subscribe__is_ws(*c->p))
		c->p++;
	return c->p > start;
}

/* A decimal that equals id exactly. */
static bool binance_subscribe__id_is(const uint8_t *v, size_t n, unsigned id)
{
	unsigned long long x = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	return x == id;
}

enum binance_sub_reply binance_subscribe_classify(const uint8_t *p, size_t n, unsigned id)
{
	struct binance_subscribe__cur c = {p, p + n};
	bool id_ok = false, result = false, error = false;

	binance_subscribe__ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return BINANCE_SUB_DATA;
	c.p++;
	binance_subscribe__ws(&c);
	for (bool first = true;; first = false) {
		const uint8_t *k, *v;
		size_t kn;

		binance_subscribe__ws(&c);
		if (first && c.p < c.end && *c.p == '}')
			break; /* {} */
		if (!binance_subscribe__string(&c, &k, &kn))
			return BINANCE_SUB_DATA;
		binance_subscribe__ws(&c);
		if (c.p >= c.end || *c.p != ':')
			return BINANCE_SUB_DATA;
		c.p++;
		binance_subscribe__ws(&c);
		v = c.p;
		if (!binance_subscribe__value(&c))
			return BINANCE_SUB_DATA;
		if (kn == 2 && memcmp(k, "id", 2) == 0)
			id_ok = binance_subscribe__id_is(v, (size_t)(c.p - v), id);
		else if (kn == 6 && memcmp(k, "result", 6) == 0) {
			result = true;
		} else if (kn == 5 && memcmp(k, "error", 5) == 0) {
			error = true;
		}
		binance_subscribe__ws(&c);
		if (c.p < c.end && *c.p == ',') {
			c.p++;
			continue;
		}
		if (c.p < c.end && *c.p == '}')
			break;
		return BINANCE_SUB_DATA;
	}
	c.p++;
	binance_subscribe__ws(&c);
	if (c.p != c.end || !id_ok)
		return BINANCE_SUB_DATA;
	if (error)
		return BINANCE_SUB_ERROR;
	return result ? BINANCE_SUB_OK : BINANCE_SUB_DATA;
}

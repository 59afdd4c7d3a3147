/* subscribe — SUBSCRIBE request and reply recognition (see subscribe.h). */
#include "subscribe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool subscribe_stream_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

int subscribe_request(const char *const *streams, size_t n, unsigned id, char *out, size_t cap)
{
	size_t len = 0;
	int r;

	r = snprintf(out, cap, "{\"method\":\"SUBSCRIBE\",\"params\":[");
	if (r < 0 || (size_t)r >= cap)
		return -ENOSPC;
	len = (size_t)r;
	for (size_t i = 0; i < n; i++) {
		if (!subscribe_stream_ok(streams[i]))
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
struct subscribe__cur {
	const uint8_t *p, *end;
};

static void subscribe__ws(struct subscribe__cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* Skip a string starting at '"'; s and n get its raw contents. */
static bool subscribe__string(struct subscribe__cur *c, const uint8_t **s, size_t *n)
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

static bool subscribe__is_ws(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Skip one value: a string, an object or array (nesting counted, strings
 * inside skipped whole), or a scalar (number, true, false, null). */
static bool subscribe__value(struct subscribe__cur *c)
{
	const uint8_t *s, *start = c->p;
	size_t n, depth = 0;

	if (c->p >= c->end)
		return false;
	if (*c->p == '"')
		return subscribe__string(c, &s, &n);
	if (*c->p == '{' || *c->p == '[') {
		while (c->p < c->end) {
			uint8_t ch = *c->p;
			if (ch == '"') {
				if (!subscribe__string(c, &s, &n))
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
	       !subscribe__is_ws(*c->p))
		c->p++;
	return c->p > start;
}

/* A decimal that equals id exactly. */
static bool subscribe__id_is(const uint8_t *v, size_t n, unsigned id)
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

enum subscribe_reply subscribe_classify(const uint8_t *p, size_t n, unsigned id)
{
	struct subscribe__cur c = {p, p + n};
	bool id_ok = false, result = false, error = false;

	subscribe__ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return SUBSCRIBE_NOT_REPLY;
	c.p++;
	subscribe__ws(&c);
	for (bool first = true;; first = false) {
		const uint8_t *k, *v;
		size_t kn;

		subscribe__ws(&c);
		if (first && c.p < c.end && *c.p == '}')
			break; /* {} */
		if (!subscribe__string(&c, &k, &kn))
			return SUBSCRIBE_NOT_REPLY;
		subscribe__ws(&c);
		if (c.p >= c.end || *c.p != ':')
			return SUBSCRIBE_NOT_REPLY;
		c.p++;
		subscribe__ws(&c);
		v = c.p;
		if (!subscribe__value(&c))
			return SUBSCRIBE_NOT_REPLY;
		if (kn == 2 && memcmp(k, "id", 2) == 0)
			id_ok = subscribe__id_is(v, (size_t)(c.p - v), id);
		else if (kn == 6 && memcmp(k, "result", 6) == 0) {
			result = true;
		} else if (kn == 5 && memcmp(k, "error", 5) == 0) {
			error = true;
		}
		subscribe__ws(&c);
		if (c.p < c.end && *c.p == ',') {
			c.p++;
			continue;
		}
		if (c.p < c.end && *c.p == '}')
			break;
		return SUBSCRIBE_NOT_REPLY;
	}
	c.p++;
	subscribe__ws(&c);
	if (c.p != c.end || !id_ok)
		return SUBSCRIBE_NOT_REPLY;
	if (error)
		return SUBSCRIBE_ERROR;
	return result ? SUBSCRIBE_OK : SUBSCRIBE_NOT_REPLY;
}

/* rest_resp — the REST client's response store (see rest_resp.h). */
#include "rest_resp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void rest_resp__reset(struct rest_resp *r, size_t max_body)
{
	char *body = r->body;
	size_t cap = r->body_cap;

	memset(r, 0, offsetof(struct rest_resp, arena));
	r->body = body;
	r->body_cap = cap;
	r->max_body = max_body;
	if (r->body)
		r->body[0] = 0;
}

void rest_resp__free(struct rest_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->body_cap = 0;
	r->body_len = 0;
}

static int rest_resp__fits(struct rest_resp *r, size_t n)
{
	if (r->arena_len + n > sizeof(r->arena)) {
		r->err = -E2BIG;
		return -E2BIG;
	}
	return 0;
}

int rest_resp__add_header(struct rest_resp *r, const char *name, size_t nl, const char *value,
			  size_t vl)
{
	if (r->n_headers == REST_RESP_MAX_HEADERS || rest_resp__fits(r, nl + vl)) {
		r->err = -E2BIG;
		return -E2BIG;
	}
	r->h[r->n_headers].name_off = (uint16_t)r->arena_len;
	r->h[r->n_headers].name_len = (uint16_t)nl;
	memcpy(r->arena + r->arena_len, name, nl);
	r->arena_len += nl;
	r->h[r->n_headers].value_off = (uint16_t)r->arena_len;
	r->h[r->n_headers].value_len = (uint16_t)vl;
	memcpy(r->arena + r->arena_len, value, vl);
	r->arena_len += vl;
	r->n_headers++;
	return 0;
}

int rest_resp__append_header(struct rest_resp *r, int which, const char *p, size_t n)
{
	size_t i = r->n_headers - 1;

	if (!r->n_headers)
		return -EINVAL;
	if (rest_resp__fits(r, n))
		return -E2BIG;
	/* a name piece after the value started cannot happen (llhttp orders them) */
	memcpy(r->arena + r->arena_len, p, n);
	r->arena_len += n;
	if (which == 0) {
		r->h[i].name_len = (uint16_t)(r->h[i].name_len + n);
		r->h[i].value_off = (uint16_t)r->arena_len;
	} else {
		r->h[i].value_len = (uint16_t)(r->h[i].value_len + n);
	}
	return 0;
}

int rest_resp__append_body(struct rest_resp *r, const char *p, size_t n)
{
	if (n > r->max_body - r->body_len || r->body_len > r->max_body) {
		r->err = -EFBIG;
		return -EFBIG;
	}
	if (r->body_len + n + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 4096;
		char *b;

		while (cap < r->body_len + n + 1)
			cap *= 2;
		if (cap > r->max_body + 1)
			cap = r->max_body + 1;
		b = realloc(r->body, cap);
		if (!b) {
			r->err = -ENOMEM;
			return -ENOMEM;
		}
		r->body = b;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, p, n);
	r->body_len += n;
	r->body[r->body_len] = 0;
	return 0;
}

const char *rest_resp__header(const struct rest_resp *r, const char *name, size_t *len)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < r->n_headers; i++) {
		const char *v = r->arena + r->h[i].value_off;
		size_t n = r->h[i].value_len;

		if (r->h[i].name_len != nl || strncasecmp(r->arena + r->h[i].name_off, name, nl))
			continue;
		while (n && (*v == ' ' || *v == '\t'))
			v++, n--;
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		*len = n;
		return v;
	}
	return NULL;
}

long rest_resp__header_long(const struct rest_resp *r, const char *name)
{
	size_t n;
	const char *v = rest_resp__header(r, name, &n);
	long x = 0;

	if (!v || !n || n > 15)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

double rest_resp__retry_after(const struct rest_resp *r, double now_real)
{
	size_t n;
	const char *v = rest_resp__header(r, "retry-after", &n);
	char buf[64];
	struct tm tm;
	long s;

	if (!v || !n)
		return -1;
	s = rest_resp__header_long(r, "retry-after");
	if (s >= 0)
		return (double)s;
	/* an HTTP date (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, v, n);
	buf[n] = 0;
	memset(&tm, 0, sizeof(tm));
	{
		const char *end = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		double t;
		if (!end || *end)
			return -1;
		t = (double)timegm(&tm) - now_real;
		return t > 0 ? t : 0;
	}
}

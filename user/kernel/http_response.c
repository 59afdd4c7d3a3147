/* http_response — bounded push parser for an HTTP/1.1 response head, on
 * llhttp (see http_response.h). */
#include "http_response.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static struct http_response *http_response__of(llhttp_t *p)
{
	return p->data;
}

/* Append a piece of the reason, a name or a value to the arena. The arena is
 * as big as the head limit and feed() never passes more than that, so the
 * check below is only a guard. */
static int http_response__append(struct http_response *r, const char *at, size_t n)
{
	if (r->arena_len + n > sizeof(r->arena))
		return -1;
	memcpy(r->arena + r->arena_len, at, n);
	r->arena_len += n;
	return 0;
}

static int http_response__on_status(llhttp_t *p, const char *at, size_t n)
{
	struct http_response *r = http_response__of(p);

	if (r->reason_len == 0)
		r->reason_off = (uint16_t)r->arena_len;
	if (http_response__append(r, at, n))
		return -1;
	r->reason_len = (uint16_t)(r->reason_len + n);
	return 0;
}

static int http_response__on_field(llhttp_t *p, const char *at, size_t n)
{
	struct http_response *r = http_response__of(p);
	struct http_response_header *h;

	if (r->in != 1) {
		if (r->n_headers == HTTP_RESPONSE_MAX_HEADERS) {
			r->err = -ENOBUFS;
			return -1;
		}
		h = &r->headers[r->n_headers++];
		h->name_off = (uint16_t)r->arena_len;
		h->name_len = 0;
		h->value_off = 0;
		h->value_len = 0;
		r->in = 1;
	}
	h = &r->headers[r->n_headers - 1];
	if (http_response__append(r, at, n))
		return -1;
	h->name_len = (uint16_t)(h->name_len + n);
	return 0;
}

static int http_response__on_value(llhttp_t *p, const char *at, size_t n)
{
	struct http_response *r = http_response__of(p);
	struct http_response_header *h;

	if (r->n_headers == 0)
		return -1;
	h = &r->headers[r->n_headers - 1];
	if (r->in != 2) {
		h->value_off = (uint16_t)r->arena_len;
		r->in = 2;
	}
	if (http_response__append(r, at, n))
		return -1;
	h->value_len = (uint16_t)(h->value_len + n);
	return 0;
}

static int http_response__on_value_complete(llhttp_t *p)
{
	http_response__of(p)->in = 0;
	return 0;
}

/* A header with an empty value gets no on_header_value call: close it here. */
static int http_response__on_field_complete(llhttp_t *p)
{
	struct http_response *r = http_response__of(p);

	r->headers[r->n_headers - 1].value_off = (uint16_t)r->arena_len;
	r->in = 2;
	return 0;
}

/* Stop at the end of the head whatever the status: 2 = "no body, pause as
 * for an upgrade", so llhttp_execute() returns HPE_PAUSED_UPGRADE with the
 * position just past the blank line. */
static int http_response__on_headers_complete(llhttp_t *p)
{
	struct http_response *r = http_response__of(p);

	r->status = p->status_code;
	r->done = true;
	return 2;
}

static const llhttp_settings_t http_response__settings = {
    .on_status = http_response__on_status,
    .on_header_field = http_response__on_field,
    .on_header_field_complete = http_response__on_field_complete,
    .on_header_value = http_response__on_value,
    .on_header_value_complete = http_response__on_value_complete,
    .on_headers_complete = http_response__on_headers_complete,
};

void http_response__init(struct http_response *r)
{
	memset(r, 0, offsetof(struct http_response, arena));
	llhttp_init(&r->parser, HTTP_RESPONSE, &http_response__settings);
	r->parser.data = r;
}

ssize_t http_response__feed(struct http_response *r, const char *p, size_t len)
{
	size_t room = HTTP_RESPONSE_MAX_HEAD - r->head_bytes;
	size_t n = len < room ? len : room;
	llhttp_errno_t e;

	if (r->err)
		return r->err;
	if (r->done)
		return 0;
	if (len == 0)
		return 0;
	if (n == 0) {
		r->err = -E2BIG;
		return r->err;
	}
	e = llhttp_execute(&r->parser, p, n);
	if (e == HPE_PAUSED_UPGRADE && r->done) {
		size_t used = (size_t)(llhttp_get_error_pos(&r->parser) - p);

		/* llhttp built without strict mode ends the head at CR and any
		 * byte; the head ends with LF (RFC 9112 §2.2), else the byte
		 * after the CR would be taken from the stream that follows. */
		if (used == 0 || p[used - 1] != '\n') {
			llhttp_set_error_reason(&r->parser, "response head not ended by CRLF CRLF");
			r->err = -EBADMSG;
			return r->err;
		}
		r->head_bytes += used;
		return (ssize_t)used;
	}
	if (e != HPE_OK) {
		if (!r->err)
			r->err = -EBADMSG;
		return r->err;
	}
	r->head_bytes += n;
	if (n < len) {
		r->err = -E2BIG;
		return r->err;
	}
	return (ssize_t)n;
}

const char *http_response__reason(const struct http_response *r, size_t *len)
{
	*len = r->reason_len;
	return r->arena + r->reason_off;
}

static void http_response__trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

const char *http_response__header(const struct http_response *r, const char *name, size_t *len)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < r->n_headers; i++) {
		const struct http_response_header *h = &r->headers[i];
		const char *v;
		if (h->name_len != nl || strncasecmp(r->arena + h->name_off, name, nl) != 0)
			continue;
		v = r->arena + h->value_off;
		*len = h->value_len;
		http_response__trim(&v, len);
		return v;
	}
	return NULL;
}

bool http_response__has_token(const struct http_response *r, const char *name, const char *token)
{
	size_t nl = strlen(name), tl = strlen(token);

	for (size_t i = 0; i < r->n_headers; i++) {
		const struct http_response_header *h = &r->headers[i];
		const char *v = r->arena + h->value_off, *end = v + h->value_len;
		if (h->name_len != nl || strncasecmp(r->arena + h->name_off, name, nl) != 0)
			continue;
		while (v < end) {
			const char *comma = memchr(v, ',', (size_t)(end - v));
			const char *t = v;
			size_t n = (size_t)((comma ? comma : end) - v);
			http_response__trim(&t, &n);
			if (n == tl && strncasecmp(t, token, tl) == 0)
				return true;
			v = comma ? comma + 1 : end;
		}
	}
	return false;
}

const char *http_response__error(const struct http_response *r)
{
	switch (r->err) {
	case 0:
		return "no error";
	case -E2BIG:
		return "response head too large";
	case -ENOBUFS:
		return "too many response headers";
	default: {
		const char *why = llhttp_get_error_reason(&r->parser);
		return why && *why ? why : "malformed HTTP response";
	}
	}
}

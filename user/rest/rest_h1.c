/* rest_h1 — one HTTP/1.1 response with its body, on llhttp (see rest_h1.h). */
#include "rest_h1.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static struct rest_h1 *rest_h1__of(llhttp_t *p)
{
	return p->data;
}

static int rest_h1__on_field(llhttp_t *p, const char *at, size_t n)
{
	struct rest_h1 *h = rest_h1__of(p);

	if (h->in != 1) {
		if (rest_resp__add_header(h->r, "", 0, "", 0))
			return -1;
		h->in = 1;
	}
	return rest_resp__append_header(h->r, 0, at, n) ? -1 : 0;
}

static int rest_h1__on_value(llhttp_t *p, const char *at, size_t n)
{
	struct rest_h1 *h = rest_h1__of(p);

	h->in = 2;
	return rest_resp__append_header(h->r, 1, at, n) ? -1 : 0;
}

static int rest_h1__on_value_complete(llhttp_t *p)
{
	rest_h1__of(p)->in = 0;
	return 0;
}

static int rest_h1__on_headers_complete(llhttp_t *p)
{
	struct rest_h1 *h = rest_h1__of(p);

	h->r->status = p->status_code;
	h->r->head_done = true;
	return 0;
}

static int rest_h1__on_body(llhttp_t *p, const char *at, size_t n)
{
	return rest_resp__append_body(rest_h1__of(p)->r, at, n) ? -1 : 0;
}

static int rest_h1__on_message_complete(llhttp_t *p)
{
	struct rest_h1 *h = rest_h1__of(p);

	/* a 1xx is not the answer: wait for the next head */
	if (p->status_code >= 100 && p->status_code < 200) {
		h->r->head_done = false;
		return 0;
	}
	h->done = true;
	h->r->complete = true;
	h->keep_alive = llhttp_should_keep_alive(p);
	return HPE_PAUSED;
}

static const llhttp_settings_t rest_h1__settings = {
    .on_header_field = rest_h1__on_field,
    .on_header_value = rest_h1__on_value,
    .on_header_value_complete = rest_h1__on_value_complete,
    .on_headers_complete = rest_h1__on_headers_complete,
    .on_body = rest_h1__on_body,
    .on_message_complete = rest_h1__on_message_complete,
};

void rest_h1__init(struct rest_h1 *h, struct rest_resp *r)
{
	memset(h, 0, sizeof(*h));
	h->r = r;
	llhttp_init(&h->parser, HTTP_RESPONSE, &rest_h1__settings);
	h->parser.data = h;
}

static ssize_t rest_h1__fail(struct rest_h1 *h)
{
	const char *why = llhttp_get_error_reason(&h->parser);

	switch (h->r->err) {
	case -E2BIG:
		h->err = -E2BIG;
		snprintf(h->why, sizeof(h->why), "response head over %d bytes or %d fields",
			 REST_RESP_HEAD_ARENA, REST_RESP_MAX_HEADERS);
		break;
	case -EFBIG:
		h->err = -EFBIG;
		snprintf(h->why, sizeof(h->why), "response body over %zu bytes", h->r->max_body);
		break;
	case -ENOMEM:
		h->err = -ENOMEM;
		snprintf(h->why, sizeof(h->why), "out of memory for the body");
		break;
	default:
		h->err = -EBADMSG;
		snprintf(h->why, sizeof(h->why), "malformed HTTP response: %s",
			 why && *why ? why : "parse error");
	}
	return h->err;
}

ssize_t rest_h1__feed(struct rest_h1 *h, const char *p, size_t n)
{
	llhttp_errno_t e;

	if (h->err)
		return h->err;
	if (h->done || n == 0)
		return 0;
	e = llhttp_execute(&h->parser, p, n);
	if (e == HPE_PAUSED && h->done)
		return (ssize_t)(llhttp_get_error_pos(&h->parser) - p);
	if (e != HPE_OK)
		return rest_h1__fail(h);
	return (ssize_t)n;
}

int rest_h1__eof(struct rest_h1 *h)
{
	if (h->done)
		return 0;
	if (!h->err && h->r->head_done) {
		llhttp_finish(&h->parser); /* completes a read-until-close body */
		if (h->done)
			return 0;
	}
	h->err = -ECONNRESET;
	snprintf(h->why, sizeof(h->why), "server closed the connection %s",
		 h->r->head_done ? "mid-body" : "before answering");
	return h->err;
}

const char *rest_h1__error(const struct rest_h1 *h)
{
	return h->why[0] ? h->why : "no error";
}

/* rest_resp — one HTTP response as the REST client hands it to its caller:
 * the status, a bounded store of the header fields, the body (bounded,
 * grown on demand up to the limit) and the two fields a venue's rate
 * limit needs, parsed: Retry-After and X-MBX-USED-WEIGHT-1M. Filled the
 * same way by the HTTP/1.1 parser (rest_h1) and the HTTP/2 session
 * (rest_h2). */
#ifndef FEEDRX_REST_RESP_H
#define FEEDRX_REST_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REST_RESP_MAX_HEADERS 48
#define REST_RESP_HEAD_ARENA 6144 /* names and values, bytes */

struct rest_resp {
	int status;	 /* 0 until the status line / :status */
	bool head_done;	 /* all header fields seen */
	bool complete;	 /* the whole body is in */
	int err;	 /* -E2BIG (head), -EFBIG (body over the limit), -ENOMEM */
	size_t max_body; /* the limit */
	char *body;	 /* malloc'd, NUL-terminated (not counted), or NULL */
	size_t body_len, body_cap;
	size_t n_headers;
	struct {
		uint16_t name_off, name_len, value_off, value_len;
	} h[REST_RESP_MAX_HEADERS];
	size_t arena_len;
	char arena[REST_RESP_HEAD_ARENA];
};

/* Ready for a new response; keeps nothing of the last one but its buffer. */
void rest_resp__reset(struct rest_resp *r, size_t max_body);
void rest_resp__free(struct rest_resp *r);

/* Add one complete header field. 0, or -E2BIG when the store is full
 * (r->err set). */
int rest_resp__add_header(struct rest_resp *r, const char *name, size_t nl, const char *value,
			  size_t vl);
/* Grow the last header's name or value by a piece (HTTP/1.1 parsers give
 * them in pieces). which: 0 name, 1 value. A new field starts with
 * rest_resp__add_header(r, "", 0, "", 0). */
int rest_resp__append_header(struct rest_resp *r, int which, const char *p, size_t n);

/* Append body bytes: 0, or -EFBIG past max_body / -ENOMEM (r->err set). */
int rest_resp__append_body(struct rest_resp *r, const char *p, size_t n);

/* The first value of header name (case-insensitive), trimmed, not
 * NUL-terminated, or NULL. */
const char *rest_resp__header(const struct rest_resp *r, const char *name, size_t *len);

/* Retry-After in seconds (delta-seconds or an HTTP date against now_real,
 * CLOCK_REALTIME seconds), or -1 when absent or unreadable. */
double rest_resp__retry_after(const struct rest_resp *r, double now_real);

/* A non-negative integer header (X-MBX-USED-WEIGHT-1M), or -1. */
long rest_resp__header_long(const struct rest_resp *r, const char *name);

#endif

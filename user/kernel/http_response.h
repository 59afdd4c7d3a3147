/* http_response — a push parser for the head of one HTTP/1.1 response
 * (status line and headers), on llhttp. Shared by the proxy CONNECT reply and
 * the WebSocket upgrade reply. It stops at the blank line that ends the head
 * and never reads a body: the bytes after the head belong to whatever comes
 * next (the tunnel, the WebSocket stream), so feed() reports exactly how many
 * bytes it took. All storage is inside the struct; the head is bounded. */
#ifndef FEEDRX_HTTP_RESPONSE_H
#define FEEDRX_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <llhttp.h>

#define HTTP_RESPONSE_MAX_HEAD 16384 /* status line + headers, bytes */
#define HTTP_RESPONSE_MAX_HEADERS 64

struct http_response_header {
	uint16_t name_off, name_len;
	uint16_t value_off, value_len;
};

struct http_response {
	llhttp_t parser;
	int status;	   /* e.g. 101, valid once done */
	bool done;	   /* the head is complete */
	int err;	   /* sticky error code, 0 if none */
	size_t head_bytes; /* bytes of the head consumed so far */
	uint16_t reason_off, reason_len;
	uint8_t in; /* 0 none, 1 in a name, 2 in a value */
	size_t n_headers;
	struct http_response_header headers[HTTP_RESPONSE_MAX_HEADERS];
	size_t arena_len;
	char arena[HTTP_RESPONSE_MAX_HEAD]; /* reason, names and values */
};

/* Reset r for a new response. */
void http_response__init(struct http_response *r);

/* Feed len bytes of the stream. Returns the number of bytes consumed: all of
 * them while the head is incomplete, and once r->done is set, only those up
 * to the end of the head (the caller keeps the rest). Negative on error:
 * -EBADMSG (not HTTP), -E2BIG (head over HTTP_RESPONSE_MAX_HEAD),
 * -ENOBUFS (more than HTTP_RESPONSE_MAX_HEADERS headers). After done or an
 * error, further calls return 0 or the same error. */
ssize_t http_response__feed(struct http_response *r, const char *p, size_t len);

/* The reason phrase ("Not Found"), not NUL-terminated; *len set. */
const char *http_response__reason(const struct http_response *r, size_t *len);

/* Value of the first header called name (case-insensitive), or NULL; the
 * value is not NUL-terminated and has surrounding blanks trimmed. */
const char *http_response__header(const struct http_response *r, const char *name, size_t *len);

/* Whether any header called name holds token in its comma-separated list
 * (case-insensitive), e.g. ("connection", "upgrade"). */
bool http_response__has_token(const struct http_response *r, const char *name, const char *token);

/* Detail for the last error (llhttp's reason or ours). */
const char *http_response__error(const struct http_response *r);

#endif

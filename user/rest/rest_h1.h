/* rest_h1 — a push parser for one HTTP/1.1 response with its body, on
 * llhttp: Content-Length, chunked and read-until-close bodies, into a
 * rest_resp (bounded head and body). It stops at the end of the response,
 * so the caller knows what belongs to the next one on a kept-alive
 * connection. */
#ifndef FEEDRX_REST_H1_H
#define FEEDRX_REST_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <llhttp.h>

#include "rest_resp.h"

struct rest_h1 {
	llhttp_t parser;
	struct rest_resp *r;
	int in;		 /* 0 none, 1 in a name, 2 in a value */
	bool done;	 /* the response is complete */
	bool keep_alive; /* the connection may carry the next request */
	int err;
	char why[160];
};

/* Parse the next response into r (reset by the caller). */
void rest_h1__init(struct rest_h1 *h, struct rest_resp *r);

/* Feed bytes: the number consumed (all of them until done, then up to the
 * end of the response), or a negative code with rest_h1__error(): -EBADMSG
 * (not HTTP), -E2BIG (head over the store), -EFBIG (body over the limit),
 * -ENOMEM. */
ssize_t rest_h1__feed(struct rest_h1 *h, const char *p, size_t n);

/* The server closed the connection: 0 if that ended the response (a body
 * read until close), else -ECONNRESET ("closed mid-body"). */
int rest_h1__eof(struct rest_h1 *h);

const char *rest_h1__error(const struct rest_h1 *h);

#endif

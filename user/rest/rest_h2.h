/* rest_h2 — the HTTP/2 side of the REST client, on an nghttp2 client
 * session driven by memory buffers (no I/O of its own): GET requests as
 * streams, each response into the caller's rest_resp (bounded: a body over
 * the limit resets only that stream), a callback when a stream ends. The
 * caller moves bytes between the session and its TLS connection. */
#ifndef FEEDRX_REST_H2_H
#define FEEDRX_REST_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nghttp2/nghttp2.h>

#include "rest_resp.h"

/* A stream ended: err 0 with r complete, or a negative code and why;
 * -EAGAIN: refused unprocessed (REFUSED_STREAM, GOAWAY), safe to retry. */
typedef void (*rest_h2_done_cb)(void *user, struct rest_resp *r, int err, const char *why);

struct rest_h2 {
	nghttp2_session *s;
	rest_h2_done_cb on_done;
	void *user;
	const uint8_t *out; /* nghttp2's bytes being written, valid until the next mem_send */
	size_t out_len;
	bool goaway; /* the server is closing: no new streams here */
	char why[160];
};

/* Start a client session (preface and SETTINGS queued). 0 or -ENOMEM. */
int rest_h2__init(struct rest_h2 *h, rest_h2_done_cb on_done, void *user);

/* Queue GET path on authority; r receives the response (reset by the
 * caller). The stream id (> 0) or a negative code. */
int32_t rest_h2__get(struct rest_h2 *h, const char *authority, const char *path,
		     struct rest_resp *r);

/* Forget a stream's response store (its request timed out): RST_STREAM,
 * and no callback for it. */
void rest_h2__cancel(struct rest_h2 *h, int32_t stream_id);

/* Feed received bytes: 0, or a negative code with h->why (a connection
 * error: every open stream is lost). Callbacks run inside. */
int rest_h2__feed(struct rest_h2 *h, const uint8_t *p, size_t n);

/* Bytes to write next (0: nothing) and, after they are written, consume. */
size_t rest_h2__pending(struct rest_h2 *h, const uint8_t **p);
void rest_h2__consume(struct rest_h2 *h, size_t n);

/* Whether the session still wants the connection (false after GOAWAY and
 * its last stream, or a fatal error). */
bool rest_h2__alive(const struct rest_h2 *h);

void rest_h2__free(struct rest_h2 *h);

#endif

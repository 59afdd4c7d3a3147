/* book_rest — where REST-rule books (Binance spot, USD-M) get their
 * snapshots: a struct book_snapshot_source (book_sync.h) over one
 * https_get client (HTTP/2 or HTTP/1.1 by ALPN, keep-alive, the proxy,
 * verification) behind one rest_pacer (the venue's weight budget, burst
 * spreading, 429/418 Retry-After) for the venue's REST host.
 *
 * request(symbol, limit) -> GET venue->snapshot_path(symbol, limit) on
 * the REST URL, charged the venue's depth weight for that limit; a 200's
 * body goes to the book's callback (status 0). Anything else ends in the
 * callback with a negative code (never from inside request()):
 *   -EAGAIN  429 / 418: the pacer holds every later request until the
 *            Retry-After has passed (no extra back-off here);
 *   -EIO     another HTTP status (5xx, 4xx);
 *   r->err   no response (timeout, connection or TLS failure).
 * book_sync asks again with its next diff; for the last two a symbol's
 * next request waits a back-off first (backoff_min doubling per failure
 * in a row up to backoff_max, reset by a 200), so a failing server is
 * never asked in a loop. cancel() drops a request's callback (a request
 * already handed to the pacer still goes out; its answer is discarded,
 * unless the symbol asks again meanwhile: then that request takes it).
 *
 * Every table is allocated in book_rest__new; nothing per request. */
#ifndef FEEDRX_BOOK_REST_H
#define FEEDRX_BOOK_REST_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "book_sync.h"
#include "core/fx_err.h"
#include "kernel/resolve.h"
#include "kernel/tls_client.h"
#include "venue/venue.h"

struct book_rest_opts {
	const struct venue *venue;     /* its snapshot_path and book_rule */
	const char *url;	       /* "https://host[:port]"; NULL: venue->rest_url */
	const char *proxy;	       /* "http://host:port" CONNECT proxy, or NULL */
	struct tls_client_opts tls;    /* --cafile / --insecure */
	struct resolve_ctx *resolver;  /* shared, or NULL: the client's own */
	bool no_h2;		       /* offer only http/1.1 */
	uint32_t budget;	       /* weight per minute; 0: 6000 */
	double request_timeout;	       /* s; 0: 10 */
	double backoff_min, backoff_max; /* s; 0: 0.5 and 30 */
	unsigned max_requests;	       /* outstanding at once (>= books); 0: 1024 */
};

struct book_rest_stats {
	uint64_t requests;  /* asked for by books */
	uint64_t sent;	    /* handed to the pacer */
	uint64_t ok;	    /* 200s delivered */
	uint64_t limited;   /* 429 / 418 answers */
	uint64_t failed;    /* other statuses and no response */
	uint64_t delayed;   /* requests held for a back-off */
	uint64_t cancelled; /* callbacks dropped by cancel */
	uint64_t adopted;   /* requests given a cancelled one's answer */
	uint64_t weight;    /* weight sent */
	unsigned connections;
	const char *protocol; /* "h2", "http/1.1" or "" */
};

struct book_rest;

/* 0 and *out, or a negative code with err (no REST URL, a bad one, CA file). */
int book_rest__new(struct book_rest **out, struct ev_loop *loop, const struct book_rest_opts *o,
		   struct fx_error *err);
/* The snapshot source for feed_handler_conf.src (lives as long as r). */
const struct book_snapshot_source *book_rest__source(struct book_rest *r);
void book_rest__stats(const struct book_rest *r, struct book_rest_stats *st);
/* One line of those counters on stderr, prefixed "who: ". NULL-safe. */
void book_rest__report(const struct book_rest *r, const char *who);
/* Free after every book using it (their cancel calls come here). NULL-safe. */
void book_rest__free(struct book_rest *r);

#endif

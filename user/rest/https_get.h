/* https_get — a non-blocking HTTPS GET client for one host on the libev
 * loop, for REST snapshots: resolve (resolve.h, c-ares) -> TCP connect
 * (each address in turn) -> optional HTTP CONNECT through a proxy -> TLS
 * with the kernel path's verification (tls_client: --cafile/--insecure)
 * offering ALPN h2 and http/1.1 -> HTTP/2 (nghttp2, several streams at
 * once) when the server picks h2, else HTTP/1.1 (llhttp, one request at a
 * time). The connection is kept alive for the next requests and closed
 * after an idle period; a lost connection is reopened for queued requests.
 * Bodies are bounded, every phase has a timeout, nothing blocks the loop.
 *
 * Each request ends exactly once in its callback (unless the client is
 * freed first): a complete HTTP response of any status (err 0), or an
 * error without one. Requests wait in a bounded queue. */
#ifndef FEEDRX_HTTPS_GET_H
#define FEEDRX_HTTPS_GET_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "core/fx_err.h"
#include "kernel/resolve.h"
#include "kernel/tls_client.h"
#include "kernel/url.h"
#include "rest_resp.h"

#define HTTPS_GET_PATH_MAX 1024

struct https_get_opts {
	const struct url *url;	 /* https://host[:port]; the path is not used */
	const struct url *proxy; /* http:// proxy, or NULL */
	struct tls_client_opts tls;
	struct resolve_ctx *resolver; /* shared on the loop, or NULL: its own */
	double connect_timeout;	      /* s, resolve + TCP + proxy + TLS; 0: 10 */
	double request_timeout;	      /* s, request sent -> response complete; 0: 10 */
	double idle_timeout;	      /* s, an unused connection is closed; 0: 30 */
	size_t max_body;	      /* bytes; 0: 8 MiB */
	unsigned max_inflight;	      /* HTTP/2 streams at once (HTTP/1.1: 1); 0: 8 */
	unsigned max_queue;	      /* requests queued or in flight; 0: 64 */
	bool no_h2;		      /* offer only http/1.1 */
};

struct https_response {
	int err;	   /* 0: a complete response; else a negative code */
	const char *error; /* one line when err, "" otherwise */
	int status;	   /* HTTP status, 0 when none arrived */
	const char *body;  /* NUL-terminated; valid during the callback only */
	size_t body_len;
	double retry_after;	     /* s from Retry-After, -1 when absent */
	long used_weight;	     /* X-MBX-USED-WEIGHT-1M, -1 when absent */
	bool h2;		     /* answered over HTTP/2 */
	const struct rest_resp *raw; /* every header: rest_resp__header(raw, name, &len) */
};

typedef void (*https_get_cb)(void *user, const struct https_response *r);

struct https_get;

/* 0 and *out, or a negative code with err (bad options, CA file). */
int https_get__new(struct https_get **out, struct ev_loop *loop, const struct https_get_opts *o,
		   struct fx_error *err);

/* Queue GET path ("/api/v3/depth?symbol=BTCUSDT&limit=100"). 0, -ENOBUFS
 * (queue full), -ENAMETOOLONG, -EINVAL (not starting with '/'). cb runs
 * later, never from inside this call. */
int https_get__request(struct https_get *c, const char *path, https_get_cb cb, void *user);

/* Requests queued or in flight. */
size_t https_get__pending(const struct https_get *c);
/* TCP connections opened so far (keep-alive reuse shows as fewer). */
unsigned https_get__connections(const struct https_get *c);
/* "h2" or "http/1.1" for the current or last connection, "" before one. */
const char *https_get__protocol(const struct https_get *c);

/* Close the connection and free; pending callbacks never run. Not from
 * inside one of this client's callbacks. */
void https_get__free(struct https_get *c);

#endif

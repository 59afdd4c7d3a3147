/* metrics — a Prometheus endpoint (text exposition format 0.0.4) served
 * from the caller's libev loop: `GET /metrics` answers what the caller's
 * render hook writes, anything else 404/405/400. Never blocks the loop:
 * non-blocking accept, read and write; a request is at most
 * METRICS_MAX_REQUEST bytes; at most METRICS_MAX_CLIENTS at once (more are
 * closed at accept); a client that has not finished within
 * METRICS_CLIENT_TIMEOUT seconds is closed. One response per connection
 * (Connection: close). Buffers are allocated once, in metrics__new.
 *
 * The writers below format counters and lat_hist histograms the way
 * Prometheus reads them (seconds, cumulative `le` buckets, _sum, _count). */
#ifndef FEEDRX_METRICS_H
#define FEEDRX_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/fx_err.h"
#include "lat_hist.h"

#define METRICS_MAX_CLIENTS 4
#define METRICS_MAX_REQUEST 4096
#define METRICS_MAX_BODY (256u << 10)
#define METRICS_CLIENT_TIMEOUT 5.0

struct ev_loop;
struct metrics;

/* Where a response body is written; a body that does not fit sets
 * overflow (answered 500, never cut). */
struct metrics_out {
	char *p;
	size_t len, cap;
	bool overflow;
};

__attribute__((format(printf, 2, 3))) void metrics_out__printf(struct metrics_out *o,
							      const char *fmt, ...);
/* "# HELP name help" and "# TYPE name type". */
void metrics_out__head(struct metrics_out *o, const char *name, const char *type,
		       const char *help);
/* One sample: name{labels} value; labels may be NULL or "" (no braces). */
void metrics_out__sample(struct metrics_out *o, const char *name, const char *labels,
			 uint64_t value);
/* A histogram of nanoseconds as seconds: name_bucket{labels,le=...} for
 * the fixed bounds below and +Inf, then name_sum and name_count. A bucket
 * counts the lat_hist buckets that lie wholly at or below its bound (their
 * width is at most 1/128 of their value). */
void metrics_out__hist(struct metrics_out *o, const char *name, const char *labels,
		       const struct lat_hist *h);

/* The `le` bounds in ns (1 us .. 10 s, 1-2.5-5 steps), for tests. */
extern const uint64_t metrics_hist_bounds_ns[];
extern const unsigned int metrics_n_hist_bounds;

/* Called for each GET /metrics: append the whole body to o. */
typedef void (*metrics_render_fn)(void *user, struct metrics_out *o);

struct metrics_opts {
	const char *listen; /* "ADDR:PORT": 198.18.0.2:9100, [fd00::2]:9100 */
	metrics_render_fn render;
	void *user;
};

/* Parse "IPv4:PORT" or "[IPv6]:PORT" (numeric, port 1-65535): 0, or
 * -EINVAL. */
int metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* Bind, listen and serve on loop: 0 and *out, or a negative code and a
 * line in err (bad address, address in use, ...). */
int metrics__new(struct metrics **out, struct ev_loop *loop, const struct metrics_opts *o,
		 struct fx_error *err);
/* The port bound (useful with port 0 in tests). */
unsigned int metrics__port(const struct metrics *m);
/* Requests answered, by outcome (for tests and -v). */
struct metrics_stats {
	uint64_t ok, not_found, bad_method, bad_request, too_large, timed_out, refused;
};
void metrics__stats(const struct metrics *m, struct metrics_stats *st);
/* Close the listener and every client. NULL is fine. */
void metrics__free(struct metrics *m);

#endif

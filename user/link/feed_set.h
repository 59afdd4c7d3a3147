/* feed_set — many feed_links in one loop, and the policy that keeps the
 * feed going when connections end (docs/ARCHITECTURE.md, "Connection set"):
 *
 *   shards      the subscribed streams split across connections (at most
 *               per_conn each, shard.h); URLs that name their own streams
 *               are a connection each
 *   legs        --redundant 2: every shard twice (A/B), same streams
 *   merge       every copy of every message goes through one stream_merge:
 *               first arrival of each (stream, id) delivered, later copies
 *               dropped, id jumps reported as gaps with their range
 *   reconnect   a connection that ends comes back after a backoff (backoff.h,
 *               Retry-After honoured), attempts paced under the venue's
 *               per-IP limit (pacer.h), subscriptions restored
 *   rotation    before the exchange's 24 h cut (a fixed age, or a UTC time
 *               of day) and on serverShutdown: make-before-break, each
 *               stream moved when the new connection delivered a message the
 *               old one also delivered
 *   watchdog    a stream silent for stale_s on a live connection reconnects
 *               that connection
 *
 * Status changes (connected, disconnected, gap, rotated, stale) reach
 * on_status as FEED_EV_STATUS events. The set creates no transport itself:
 * new_transport makes one per connection (link_kconn in feedrx, a fake in
 * the unit tests). */
#ifndef FEEDRX_FEED_SET_H
#define FEEDRX_FEED_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ev.h>

#include "feed_link.h"
#include "stats/lat_hist.h"

struct venue;
struct feed_event;
struct fx_error;
struct link_transport;

#define FEED_SET_MAX_LEGS 2

/* What one connection is, for the transport factory and reports. */
struct feed_set_conn_info {
	unsigned id;       /* unique per connection attempt, from 1 */
	unsigned slot;     /* shard x leg, from 1 */
	unsigned leg;      /* 0 = A, 1 = B */
	size_t url;        /* index into opts.urls */
	size_t n_streams;  /* subscribed on it */
	size_t sub_bytes;  /* the longest text it sends (its SUBSCRIBE) */
	bool replacement;  /* a rotation's new connection (the old one is live) */
};

struct feed_set_opts {
	const struct venue *venue;
	size_t n_urls;
	/* for each URL: whether its path names streams itself */
	const bool *url_streams;
	const char *const *streams; /* subscribed, split across connections */
	size_t n_streams;
	size_t per_conn;            /* streams per connection (<= the venue's max) */
	unsigned legs;              /* 1, or 2 for A/B */
	/* A/B: leg B connects to this URL index (another address of the
	 * exchange; beyond n_urls), or -1 for the same URLs as leg A */
	long leg_b_url;
	bool reconnect;
	double backoff_base, backoff_cap, healthy_s;
	unsigned conn_limit;        /* connection attempts per conn_window s */
	double conn_window;
	double rotate_after;        /* s after a connection opened; 0 = never */
	int rotate_at_min;          /* UTC minute of day, -1 = none */
	double rotate_grace;        /* s to wait for every stream's overlap */
	double stale_s;             /* per-stream watchdog, 0 = off */
	double ab_wait;             /* A/B: s a hole waits for the other leg (0 = off) */
	uint64_t count;             /* deliver this many, then close; 0 = no limit */
	size_t max_streams;         /* merge capacity (0: n_streams + 256) */
	/* passed to every feed_link */
	bool discard, stamps;
	unsigned max_gaps;
	uint64_t desync_after;
	uint64_t seed;              /* backoff jitter */
	/* The shared fast path (XDP mode), handed to the factory through user;
	 * TODO(fastmulti): one struct fast_rx for all transports. Until then the
	 * factory may refuse a second live transport with -EBUSY: rotation is
	 * then break-before-make. */
};

/* One delivered message, with where it came from. */
struct feed_set_msg {
	const struct feed_link_msg *m;
	const struct feed_set_conn_info *conn;
	const char *stream; /* the merge's stream name (NUL-terminated), or NULL */
};

struct feed_set_hooks {
	void *user;
	/* A transport for a new connection: 0 and *out, or a negative code with
	 * err filled (-EBUSY: not now, see above). */
	int (*new_transport)(void *user, const struct feed_set_conn_info *ci,
			     struct link_transport **out, struct fx_error *err);
	void (*on_message)(void *user, const struct feed_set_msg *m);
	/* A status event (FEED_EV_STATUS); text is one line for people. */
	void (*on_status)(void *user, const struct feed_event *e);
	/* The first connection is up (describe: peer, TLS). */
	void (*on_open)(void *user, const struct feed_set_conn_info *ci, const char *describe);
	/* The set ended: every connection is closed and none will come back. 0
	 * for a clean end, else a negative code and one line. */
	void (*on_done)(void *user, int status, const char *why);
};

struct feed_set_leg_stats {
	uint64_t delivered; /* copies this leg delivered first (won) */
	uint64_t dups;      /* copies it brought second */
	struct lat_hist lead; /* ns a winning copy came before the other leg's */
};

struct feed_set_stats {
	unsigned conns, slots;   /* connections live now, slots */
	uint64_t delivered, dups, not_owner, unmerged;
	uint64_t held;           /* a replacement's copies held until the old caught up */
	uint64_t attempts, opens, reconnects, refusals;
	uint64_t rotations, shutdown_notices, stale;
	uint64_t gaps, missed;   /* gaps reported, ids missed in them */
	uint64_t fast, shadow;   /* by path, over all links */
	struct feed_set_leg_stats leg[FEED_SET_MAX_LEGS];
};

struct feed_set;

/* How many connections (slots) these options make, before making them. */
size_t feed_set_plan(const struct feed_set_opts *o);
/* 0 and *out, or a negative code (-EINVAL, -ENOMEM) with err filled. */
int feed_set__new(struct feed_set **out, struct ev_loop *loop, const struct feed_set_opts *o,
		  const struct feed_set_hooks *h, struct fx_error *err);
/* Open every connection (paced). */
void feed_set__start(struct feed_set *s);
/* Clean close of every connection; on_done when all have ended. */
void feed_set__close(struct feed_set *s);
/* Stop now (a second signal). */
void feed_set__abort(struct feed_set *s);
void feed_set__stats(const struct feed_set *s, struct feed_set_stats *st);
void feed_set__free(struct feed_set *s);
/* Test hook: rotate slot (1-based) now, as a serverShutdown would. */
void feed_set__rotate(struct feed_set *s, unsigned slot);
/* The live connection of a slot (1-based): its link, or NULL. */
struct feed_link *feed_set__link(const struct feed_set *s, unsigned slot);
unsigned feed_set__slots(const struct feed_set *s);
/* The exit report: the summary lines (--stats), the JSON object's members
 * ("reconnects":..,"gaps":[..],"legs":[..]) without braces. */
void feed_set__report(const struct feed_set *s, FILE *f);
void feed_set__json(const struct feed_set *s, FILE *f);

/* The streams of a file: one per line, '#' comments, blank lines and
 * commas allowed. Adds pointers into *buf (freed by the caller) to
 * out[*n..cap). 0, or -errno / -ENOSPC / -EINVAL with err filled. */
int feed_set_read_streams(const char *path, char **buf, const char **out, size_t *n, size_t cap,
			  struct fx_error *err);

#endif

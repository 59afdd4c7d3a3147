/* link_transport — what a feed_link drives and hears from: one connection
 * to the exchange, as a small table of functions (the real one is
 * link_kconn.c: kconn plus the XDP fast path; unit tests use a fake).
 *
 * Calls down (ops) and events up (feed_link__on_*) are both plain function
 * calls on the loop's thread. A transport reports through the events below
 * and never calls the link's public API from inside an op. */
#ifndef FEEDRX_LINK_TRANSPORT_H
#define FEEDRX_LINK_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/lat_stats.h"

struct feed_link;
struct link_transport;

struct link_transport_ops {
	/* Open a connection (the first, or a new one after reset). Problems
	 * are reported later through feed_link__on_done. */
	void (*start)(struct link_transport *t);
	/* Forget the connection (it has ended) so start() opens a fresh one:
	 * for a reconnect. 0 or a negative code. */
	int (*reset)(struct link_transport *t);
	/* Send one text message on the kernel socket. 0 or a negative code. */
	int (*send_text)(struct link_transport *t, const void *p, size_t n);
	/* Clean close with a WebSocket close code; idempotent. */
	void (*close)(struct link_transport *t, uint16_t code);
	/* Stop now; status 0 keeps the connection's own status. */
	void (*abort)(struct link_transport *t, int status, const char *why);
	/* Give the fast path up (it reports through feed_link__on_fast_failed);
	 * NULL when there is no fast path. */
	void (*fail_fast)(struct link_transport *t, const char *why);
	/* Why frames of the flow went to the kernel instead of the fast path,
	 * when the transport can tell (the XDP program's stale hand-off), as
	 * one clause; NULL when it cannot. Optional. */
	const char *(*passed_why)(struct link_transport *t);
	/* tap: hand the fast path every frame already copied for it, now
	 * (the kernel socket had them as soon as it did). May be NULL. */
	void (*catch_up)(struct link_transport *t);
	/* Test only: make the fast path fail as a TLS desync would. */
	void (*force_desync)(struct link_transport *t);
	/* Why the connection ended (valid after on_done). */
	const char *(*error)(const struct link_transport *t);
	/* Peer, TLS version and cipher, for the log. */
	const char *(*describe)(const struct link_transport *t);
	void (*free)(struct link_transport *t);
};

struct link_transport {
	const struct link_transport_ops *ops;
	struct feed_link *link; /* set by feed_link__new */
	bool has_fast;          /* a fast path decodes beside the kernel socket */
	bool shadow_leads;      /* ... and the kernel may get ahead of it (tap) */
};

/* Events, from the transport to its link. */

/* The upgrade is verified. fast_decodes: the fast path took the stream
 * over; discarding: the kernel socket's bytes are dropped unread, so only
 * the fast path will see messages. */
void feed_link__on_open(struct feed_link *l, bool fast_decodes, bool discarding);
/* A data message decoded from the kernel socket (the feed, or the shadow). */
void feed_link__on_kernel_msg(struct feed_link *l, uint8_t opcode, const uint8_t *p, size_t n,
			      const struct lat_stamps *st);
/* A data message decoded by the fast path. */
void feed_link__on_fast_msg(struct feed_link *l, uint8_t opcode, const uint8_t *p, size_t n,
			    const struct lat_stamps *st);
/* The fast path stopped (once per connection): why, for the log; violation
 * is the WebSocket close code when the server broke the protocol (the
 * shadow, decoding the same bytes, will find it too), else 0. */
void feed_link__on_fast_failed(struct feed_link *l, const char *why, uint16_t violation);
/* The connection ended: 0 clean, negative on error (ops->error says why). */
void feed_link__on_done(struct feed_link *l, int status);

#endif

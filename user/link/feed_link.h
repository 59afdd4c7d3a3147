/* feed_link — one exchange connection end to end, and the policy that makes
 * it deliver every message once, in order:
 *
 *   transport    kconn on a kernel socket (set-up, sending, the shadow
 *                decoder) plus the XDP fast path when there is one
 *                (link_transport.h; unit tests plug in a fake one)
 *   subscription the venue's request goes out once the upgrade is done; its
 *                reply is told apart from data on both paths, so the two
 *                paths number the data messages alike
 *   arbitration  deliver: the fast path delivers while it is healthy, the
 *                shadow from the first message the fast path did not deliver
 *   discard mode (--shadow discard) nothing can take over, so a fast-path
 *                failure reconnects: a gap, reported, a bounded number of times
 *   count        a clean close after N delivered messages
 *
 * Everything the link delivers reaches one callback, with the path that
 * delivered it and its latency stamps (docs/ARCHITECTURE.md, "Exactly once"). */
#ifndef FEEDRX_FEED_LINK_H
#define FEEDRX_FEED_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "stats/lat_stats.h"

struct venue;
struct link_transport;

/* Which path delivered a message. */
enum feed_path {
	FEED_PATH_KERNEL, /* --mode kernel: the kernel socket is the feed */
	FEED_PATH_FAST,   /* the XDP fast path */
	FEED_PATH_SHADOW, /* the kernel socket, after the fast path failed */
};

/* One delivered message. */
struct feed_link_msg {
	const uint8_t *p;
	size_t n;
	uint8_t opcode;          /* WS_OP_TEXT or WS_OP_BINARY */
	enum feed_path path;
	const char *stream;      /* the stream it belongs to when known, else NULL */
	size_t stream_len;
	uint64_t index;          /* messages this link delivered before it */
	struct lat_stamps *st;   /* the stamps so far; handler and exchange time set
				  * when the link takes stamps */
};

struct feed_link_hooks {
	void *user;
	void (*on_message)(void *user, const struct feed_link_msg *m);
	/* The connection is up (again) and its upgrade verified. */
	void (*on_open)(void *user, const char *describe);
	/* The link ended: 0 for a clean end, else a negative code and one line
	 * (NULL when the reason was already logged). */
	void (*on_done)(void *user, int status, const char *why);
};

struct feed_link_opts {
	const struct venue *venue;
	const char *const *streams; /* subscribed after the upgrade, or NULL */
	size_t n_streams;
	/* The URL itself names streams (/ws/<s>, /stream?streams=): a refused
	 * subscription then leaves those live (a warning); without them it
	 * ends the link with an error. */
	bool url_streams;
	uint64_t count;             /* clean close after this many, 0 = never */
	bool discard;               /* --shadow discard */
	bool stamps;                /* handler stamp and time scans per message */
	unsigned max_gaps;          /* discard mode: reconnects before giving up */
	uint64_t desync_after;      /* test only: fail the fast path after N */
};

struct feed_link_stats {
	uint64_t delivered;         /* all paths */
	uint64_t fast, shadow;      /* by path (XDP mode) */
	uint64_t compared, mismatched;
	uint64_t replies;           /* subscription replies filtered out */
	uint64_t refused;           /* of which refusals */
	uint64_t kernel_replies, kernel_reply_bytes; /* seen on the kernel socket */
	unsigned gaps;              /* discard-mode reconnects */
	uint64_t controls;          /* venue control messages (keepalive answers,
				     * notices) filtered out */
	uint64_t resubscribes;      /* feed_link__resubscribe calls that went out */
	bool has_fast;
};

struct feed_link;

/* The link takes the transport over (it frees it). 0 or a negative code. */
int feed_link__new(struct feed_link **out, struct ev_loop *loop, const struct feed_link_opts *o,
		   const struct feed_link_hooks *h, struct link_transport *t);
/* Connect. What happens next reaches the hooks. */
void feed_link__start(struct feed_link *l);
/* Clean close (WebSocket close with code, then TLS); idempotent. */
void feed_link__close(struct feed_link *l, uint16_t code);
/* Stop now, without the close handshake (a second signal). */
void feed_link__abort(struct feed_link *l);
void feed_link__stats(const struct feed_link *l, struct feed_link_stats *st);
/* Restart one stream on the open connection: the venue's unsubscribe, then
 * its subscribe, back to back; the venue sends the stream's snapshot again
 * (the resync of an in-stream book after a gap: OKX, Bybit). Their replies
 * are filtered like any (venue.control). 0, -ENOTSUP (a venue without
 * unsubscribe_request and control, e.g. Binance, whose books resync by
 * REST), -EINVAL (a name the venue refuses), or a send error (-EPIPE when
 * the connection is not open). */
int feed_link__resubscribe(struct feed_link *l, const char *stream);
/* Whether the link subscribes this stream. */
bool feed_link__has_stream(const struct feed_link *l, const char *stream);
struct link_transport *feed_link__transport(const struct feed_link *l);
void feed_link__free(struct feed_link *l);

const char *feed_path_name(enum feed_path p);

#endif

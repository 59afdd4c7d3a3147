/* feed_handler — delivered messages into normalized events (feed_event.h):
 * each message goes through the venue's parser (set up once), trades and
 * best bid/offer become events directly, depth messages go to their
 * symbol's book_sync, and a synced book's changes become FEED_EV_BOOK and
 * FEED_EV_TOP events; books going invalid and resynced, and the connection
 * layer's news (feed_handler__status), become FEED_EV_STATUS. Every event
 * gets the next `seq` (from 1, no gaps), the exchange's time and the local
 * receive time (the message's earliest stamp, as CLOCK_REALTIME ns).
 *
 * Nothing is allocated per message; a book is allocated the first time its
 * symbol's depth arrives (at most max_books). */
#ifndef FEEDRX_FEED_HANDLER_H
#define FEEDRX_FEED_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "book_sync.h"
#include "feed_event.h"

struct feed_link_msg;
struct venue;

struct feed_handler_conf {
	const struct venue *venue;
	/* Books for these symbols only, as the venue's messages name them
	 * ("BTCUSDT"); NULL: for every symbol whose depth arrives. */
	const char *const *symbols;
	size_t n_symbols;
	uint32_t max_books;  /* books at most (default 1024) */
	uint32_t depth;      /* snapshot levels per side (default 1000, capped by the venue) */
	uint32_t cap;        /* book capacity per side (default 2 * depth) */
	uint32_t top;        /* levels per side in FEED_EV_TOP, 0 = none (at most FEED_TOP_MAX) */
	bool no_book_events; /* leave FEED_EV_BOOK out (tops only) */
	/* per book while its snapshot is fetched (REST snapshots only):
	 * diffs (default 1024, 100 s of depth@100ms) and their levels
	 * (default 65536); about 1.1 MiB a book with the defaults */
	uint32_t buf_diffs;
	uint32_t buf_levels;
	/* REST snapshots for REST-rule venues; NULL: those books are kept
	 * only with first_is_snapshot (see book_sync_conf) */
	const struct book_snapshot_source *src;
	bool first_is_snapshot;
	/* CLOCK_REALTIME ns for events made without a message (status);
	 * NULL: clock_gettime (tests pin it) */
	uint64_t (*now_ns)(void);
	/* Where events go: 0, or a negative code that stops the handler
	 * (returned by every later call). */
	int (*emit)(void *user, const struct feed_event *e);
	void *user;
	/* In-stream snapshot venues (OKX, Bybit): a book whose chain broke is
	 * restarted by resubscribing its stream (feed_msg.stream), which
	 * brings a new snapshot: feed_link__resubscribe. NULL: none (the book
	 * waits for the venue's next snapshot). */
	int (*resubscribe)(void *user, const char *stream);
};

struct feed_handler_stats {
	uint64_t messages;    /* parsed */
	uint64_t parse_errors;
	uint64_t unknown;     /* parsed, not an event (replies, other types) */
	uint64_t events;      /* emitted (the last seq) */
	uint64_t depth_unbooked; /* depth messages of symbols without a book */
	uint32_t books;
	struct book_sync_stats book; /* summed over the books */
};

struct feed_handler;

/* 0 and *out, or -EINVAL (bad configuration) / -ENOMEM. */
int feed_handler__new(struct feed_handler **out, const struct feed_handler_conf *c);
void feed_handler__free(struct feed_handler *h);

/* One delivered message. 0, or the emit callback's sticky error. A
 * message that does not parse is counted and skipped (logged once). */
int feed_handler__message(struct feed_handler *h, const struct feed_link_msg *m);
/* The same for a payload with its receive time (CLOCK_REALTIME ns) and
 * FEED_EVF_* flags: the core of __message, and what tests drive. */
int feed_handler__payload(struct feed_handler *h, const uint8_t *p, size_t n, uint64_t recv_ns,
			  uint16_t flags);

/* A status from the connection layer (connected, disconnected, gap,
 * rotated, stale) for connection `conn` (1-based, 0 = the process):
 * emitted in sequence with the data. Books are not reset by it: each
 * book's own chain check finds what a gap cost it (and an in-stream
 * snapshot after a reconnect replaces the book). 0 or the sticky error. */
int feed_handler__status(struct feed_handler *h, enum feed_status kind, uint32_t conn,
			 uint64_t first_id, uint64_t last_id, const char *text);

/* Make every book start over from a fresh snapshot (each reported
 * invalid, then resynced): for a connection layer that knows what it
 * delivers next may not chain with what came before. */
void feed_handler__resync_all(struct feed_handler *h, const char *why);

/* A symbol's book (symbol as the venue names it), or NULL. */
struct book_sync *feed_handler__book(const struct feed_handler *h, const char *symbol,
				     size_t len);
void feed_handler__stats(const struct feed_handler *h, struct feed_handler_stats *st);

/* The earliest of a message's local stamps as CLOCK_REALTIME ns (now when
 * it has none). */
uint64_t feed_handler_recv_ns(const struct feed_link_msg *m);

#endif

/* book_sync — one symbol's local order book kept correct from the venue's
 * depth stream, by the venue's rule (enum venue_book_rule), whatever the
 * venue:
 *
 *   REST snapshot venues (Binance spot and USD-M, per their "How to manage
 *   a local order book correctly"): diffs are buffered (bounded) from the
 *   first one on, and a snapshot is requested through a
 *   book_snapshot_source; a snapshot older than the buffer (lastUpdateId +
 *   1 < first buffered U: updates in between are in neither) is fetched
 *   again; buffered diffs the snapshot already holds are dropped (spot: u
 *   <= lastUpdateId; USD-M: u < lastUpdateId); the first applied one must
 *   straddle it (spot: U <= lastUpdateId + 1 <= u; USD-M: U <= lastUpdateId
 *   <= u, or pu <= lastUpdateId <= u: futures ids skip those of other
 *   symbols, and a diff holds every change after its pu); then each diff
 *   continues the previous one (spot: U == previous u + 1, or U lower when
 *   u is higher: an overlap re-sets absolute quantities; USD-M: pu ==
 *   previous u). USD-M's "older than the buffer" is lastUpdateId < pu.
 *   In-stream snapshot venues: a FEED_F_SNAPSHOT message replaces the book;
 *   then prev_id == previous last_id (OKX seqId/prevSeqId), or last_id ==
 *   previous last_id + 1 with last_id 1 meaning a new snapshot (Bybit u).
 *
 * A break in the chain invalidates this book only: it is reported
 * (FEED_STATUS_BOOK_INVALID through on_status, and a log line), emptied,
 * and rebuilt from a fresh snapshot into the emptied book (nothing of the
 * old one survives), then reported again (FEED_STATUS_RESYNCED). A buffer
 * that fills before its snapshot arrives is dropped and the sync starts
 * over, reported the same way. Every array is allocated in
 * book_sync__new; nothing is allocated per diff.
 *
 * Levels beyond the snapshot's depth are unknown: book_sync__known says
 * how many levels of each side are exact (those at or better than the
 * worst snapshot level, and all of a side the snapshot sent whole). */
#ifndef FEEDRX_BOOK_SYNC_H
#define FEEDRX_BOOK_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed_event.h"
#include "feed_msg.h"
#include "order_book.h"
#include "venue/venue.h"

/* ---- where REST snapshots come from --------------------------------------- */

/* A fetched snapshot's outcome: status 0 and the response body (valid
 * only during the call), or a negative code (body NULL). */
typedef void (*book_snapshot_cb)(void *arg, int status, const uint8_t *body, size_t len);

struct book_snapshot_source_ops {
	/* Start fetching `symbol`'s book (as the venue names it, "BTCUSDT")
	 * with `limit` levels per side; cb(arg, ...) is called exactly once
	 * later, from the loop, never from inside request(), unless cancelled
	 * first. 0 and *handle (non-zero), or a negative code (no callback). */
	int (*request)(void *ctx, const char *symbol, uint32_t limit, book_snapshot_cb cb,
		       void *arg, uint64_t *handle);
	/* The callback of this request will not come (a no-op when it came). */
	void (*cancel)(void *ctx, uint64_t handle);
};

struct book_snapshot_source {
	const struct book_snapshot_source_ops *ops;
	void *ctx;
};

/* ---- the book --------------------------------------------------------------- */

enum book_sync_state {
	BOOK_SYNC_WAIT,     /* no diff seen yet (REST), or waiting for an in-stream snapshot */
	BOOK_SYNC_FETCHING, /* diffs buffered, snapshot requested */
	BOOK_SYNC_SYNCED,   /* the book is exact */
	BOOK_SYNC_STUCK,    /* out of sync with no way to resync (no snapshot source) */
};

/* A change made to the book: the levels set (absolute quantities, 0 =
 * removed), or with `snapshot` the whole book as loaded (best first). */
struct book_sync_change {
	bool snapshot;
	uint64_t first_id, last_id;
	uint64_t exch_ns, recv_ns; /* of the diff (or snapshot) that made it */
	const struct feed_level *bids, *asks;
	uint32_t n_bids, n_asks;
};

struct book_sync;

struct book_sync_hooks {
	void *user;
	/* The book changed (SYNCED). The book may be read during the call. */
	void (*on_change)(void *user, struct book_sync *b, const struct book_sync_change *c);
	/* FEED_STATUS_BOOK_INVALID (first_id..last_id: the ids missed when
	 * known) or FEED_STATUS_RESYNCED, with one line of text. */
	void (*on_status)(void *user, struct book_sync *b, enum feed_status kind,
			  uint64_t first_id, uint64_t last_id, const char *text);
};

struct book_sync_conf {
	enum venue_book_rule rule;
	uint32_t depth;      /* snapshot levels per side to request (limit) */
	uint32_t cap;        /* book capacity per side (>= depth; more keeps levels diffs add) */
	uint32_t buf_diffs;  /* diffs held while a snapshot is fetched */
	uint32_t buf_levels; /* levels those diffs hold in all */
	/* REST rules: where snapshots come from (NULL: the first diff is taken
	 * as the whole book when first_is_snapshot, else nothing syncs) */
	const struct book_snapshot_source *src;
	/* REST rules: parse a snapshot body (the venue's snapshot_parse and a
	 * parser from its snapshot_parser_new, shared by every book) */
	int (*snapshot_parse)(void *parser, const uint8_t *body, size_t n,
			      struct feed_book_snapshot *out);
	void *snapshot_parser;
	/* REST rules without a source: the first diff lists the whole book
	 * (feedsim's depth streams) */
	bool first_is_snapshot;
	struct book_sync_hooks hooks;
};

struct book_sync_stats {
	uint64_t applied;     /* diffs applied to a synced book */
	uint64_t stale;       /* diffs dropped because the book already held them */
	uint64_t buffered;    /* diffs held for a snapshot */
	uint64_t gaps;        /* chain breaks that invalidated the book */
	uint64_t overflows;   /* buffers that filled before their snapshot */
	uint64_t snapshots;   /* snapshots loaded */
	uint64_t refetches;   /* snapshots older than the buffer, fetched again */
	uint64_t snap_errors; /* failed or unparsable snapshots (fetched again) */
	uint64_t refused;     /* diffs refused as malformed (bad level, U > u), or partial
			       * books a REST-rule book does not use (SBE @depth20) */
};

/* Allocate a book for `symbol` ("BTCUSDT"): 0 and *out, or -EINVAL / -ENOMEM. */
int book_sync__new(struct book_sync **out, const char *symbol, size_t len,
		   const struct book_sync_conf *c);
/* Cancels an outstanding snapshot request. NULL-safe. */
void book_sync__free(struct book_sync *b);

/* One depth message of this symbol, with its times (CLOCK_REALTIME ns).
 * 0, or -EINVAL for a malformed one (not applied, counted). */
int book_sync__diff(struct book_sync *b, const struct feed_msg *m, uint64_t exch_ns,
		    uint64_t recv_ns);

/* Deliver a snapshot as a source would (what the callback does; for
 * sources that hand over parsed snapshots, and tests). */
void book_sync__snapshot(struct book_sync *b, const struct feed_book_snapshot *s,
			 uint64_t recv_ns);

/* Start over from a fresh snapshot (the connection was replaced: what the
 * old one sent may not chain with the new one). Reported as invalid. */
void book_sync__resync(struct book_sync *b, const char *why);

enum book_sync_state book_sync__state(const struct book_sync *b);
const struct order_book *book_sync__book(const struct book_sync *b);
const char *book_sync__symbol(const struct book_sync *b, size_t *len);
/* Levels of each side known exactly, and of the two the smaller. */
uint32_t book_sync__known(const struct book_sync *b, uint32_t *bids, uint32_t *asks);
void book_sync__stats(const struct book_sync *b, struct book_sync_stats *st);
/* The request handle outstanding, 0 when none (tests). */
uint64_t book_sync__pending(const struct book_sync *b);

const char *book_sync_state_name(enum book_sync_state s);

#endif

/* stream_merge — one delivery out of several connections carrying the same
 * streams: the rotation's old and new connection, the A/B legs, the
 * connection before and after a reconnect. Per stream it keeps the last
 * delivered id, and decides for every arriving copy:
 *
 *   deliver   its id is past the last delivered one (the first arrival);
 *             when the stream's ids chain (trade t, aggTrade a, depth U/u)
 *             and the first new id is not last + 1, the missed range is a
 *             gap, returned once with its range
 *   dup       its id (depth: its last id u) is not past the last delivered:
 *             another connection delivered it first (its lead time, when
 *             still remembered, is returned)
 *   not owner a message without an id (an unknown type, raw text) cannot be
 *             matched, so one connection owns each such stream at a time and
 *             only its copies are delivered; when the owner goes, the next
 *             connection to bring one takes over (what it sends in between
 *             can be missing or repeated, and nothing can tell)
 *
 * bookTicker's u is an update id of the whole book, not a counter of the
 * stream: it dedupes but never makes a gap. Memory is fixed at creation
 * (max_streams); nothing is allocated per message. */
#ifndef FEEDRX_STREAM_MERGE_H
#define FEEDRX_STREAM_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STREAM_MERGE_NAME_MAX 96
#define STREAM_MERGE_RECENT 16 /* winners remembered per stream for lead times */

enum merge_verdict {
	MERGE_DELIVER,
	MERGE_DUP,
	MERGE_NOT_OWNER,
};

/* One arriving copy. */
struct merge_in {
	bool has_id;      /* false: matched by owner only */
	bool chained;     /* consecutive ids: a jump is a gap */
	uint64_t first;   /* depth U, aggTrade/trade/bookTicker: the id */
	uint64_t last;    /* depth u, else the id */
	unsigned src;     /* the connection (>= 1) it came from */
	uint64_t now_ns;  /* arrival */
};

struct merge_out {
	/* a gap before this message: first..last missed; gap_first 0 = none */
	uint64_t gap_first, gap_last;
	/* dup: the connection whose copy was delivered, and how long before */
	unsigned winner;
	uint64_t lead_ns;
	bool lead_known;
};

struct merge_stream_stats {
	uint64_t delivered, dups, not_owner;
	uint64_t gaps, missed; /* gap count and ids missed in all */
	uint64_t last_id;
	bool has_last;
};

struct stream_merge;

/* 0 or -ENOMEM. */
int stream_merge__new(struct stream_merge **out, size_t max_streams);
void stream_merge__free(struct stream_merge *m);
/* The stream's index (found or added), or -ENOSPC when full, -EINVAL for an
 * empty or too long name. */
int stream_merge__stream(struct stream_merge *m, const char *name, size_t len);
/* Only find: index or -ENOENT. */
int stream_merge__find(const struct stream_merge *m, const char *name, size_t len);
size_t stream_merge__count(const struct stream_merge *m);
const char *stream_merge__name(const struct stream_merge *m, int idx);

enum merge_verdict stream_merge__offer(struct stream_merge *m, int idx, const struct merge_in *in,
				       struct merge_out *out);
/* The stream's last delivered id: true and *last, or false before any. */
bool stream_merge__last(const struct stream_merge *m, int idx, uint64_t *last);
/* The stream's ids start again (a venue's book snapshot behind the last
 * delivered id: Bybit's u = 1 after a resubscription or a restart): the
 * next copy is taken as new, and chains continue from it. */
void stream_merge__restart(struct stream_merge *m, int idx);
/* Connection src has ended: the id-less streams it owned are free. */
void stream_merge__source_gone(struct stream_merge *m, unsigned src);
void stream_merge__stats(const struct stream_merge *m, int idx, struct merge_stream_stats *st);

#endif

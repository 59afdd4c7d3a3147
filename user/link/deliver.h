/* deliver — exactly-once delivery between the two paths of one connection.
 *
 * In XDP mode the fast path and the kernel ("shadow") path decode the same
 * message stream; the fast path is ahead (the kernel only gets frames after
 * the fast path re-injected them). Every message has an index on both
 * paths. While the fast path is healthy it delivers, and each shadow
 * message is compared with the fast message of the same index (length and
 * a 64-bit hash kept in a bounded ring). Once the fast path has failed, the
 * shadow delivers every message whose index the fast path never reached:
 * nothing lost, nothing repeated.
 *
 * The shadow overtaking the fast path (a shadow message whose index the
 * fast path has not delivered while it is healthy) means the kernel
 * received frames the fast path never saw: XDP passed them on because no
 * AF_XDP socket serves the flow's RX queue, the program was detached, or
 * the feed arrives on another interface. The fast path would never deliver
 * those messages, so the arbiter fails over by itself at that point.
 */
#ifndef FEEDRX_DELIVER_H
#define FEEDRX_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/lat_stats.h"

struct deliver_stats {
	uint64_t fast;        /* delivered by the fast path */
	uint64_t shadow;      /* delivered by the shadow after a failover */
	uint64_t compared;    /* shadow messages checked against the fast path's */
	uint64_t mismatched;  /* ... and found different */
	uint64_t uncompared;  /* shadow fell further behind than the ring holds */
	uint64_t shadow_seen; /* shadow messages in all */
	uint64_t overtaken;   /* 1 if the failover came from the shadow overtaking */
	uint64_t held;        /* lead mode: shadow messages held for the fast path */
	uint64_t held_peak;   /* most held at once */
};

struct deliver;

/* ring: how many fast-path messages are remembered for comparison (rounded
 * up to a power of two; 0 = 65536). 0 and *out, or -ENOMEM. */
int deliver__new(struct deliver **out, uint32_t ring);
void deliver__free(struct deliver *d);

/* A message decoded by the fast path: true when it is to be delivered
 * (always, unless the fast path already failed). */
bool deliver__fast(struct deliver *d, const uint8_t *p, size_t n);

/* A message decoded by the shadow: true when it is to be delivered (the
 * fast path failed before reaching it, or has not reached it: then this
 * fails over, see above). Compares otherwise; *mismatch set when it
 * differs from the fast path's message of the same index. */
bool deliver__shadow(struct deliver *d, const uint8_t *p, size_t n, bool *mismatch);

/* No shadow will decode (--shadow discard): stop hashing fast-path
 * messages for a comparison that never comes. Until the next reset. */
void deliver__no_compare(struct deliver *d);

/* The fast path stopped: from now on the shadow delivers. */
void deliver__fast_failed(struct deliver *d);
bool deliver__failed_over(const struct deliver *d);

void deliver__stats(const struct deliver *d, struct deliver_stats *st);

/* A new connection: indices start again and the fast path is trusted
 * again; the counters keep adding up. */
void deliver__reset(struct deliver *d);

/* Lead mode (--transport tap): the kernel gets every frame as soon as the
 * fast path does, so the shadow may be ahead of a healthy fast path; it
 * does not fail over then, it holds copies of its messages (at most msgs
 * of them, bytes in all; allocated here, once) until the fast path reaches
 * them (compared then, dropped) or fails (then the held ones are delivered
 * first, in order: deliver__pop_held). 0 or -ENOMEM. */
int deliver__allow_lead(struct deliver *d, uint32_t msgs, size_t bytes);
/* Lead mode, the fast path healthy and not ahead: the next shadow message
 * is to be held (deliver__hold), not delivered or compared. */
bool deliver__shadow_leads(const struct deliver *d);
/* Hold the next shadow message (it takes its index). 0, or -ENOSPC: no
 * room (the fast path is too far behind: fail it over, then pass the
 * message to deliver__shadow). */
int deliver__hold(struct deliver *d, uint8_t opcode, const uint8_t *p, size_t n,
		  const struct lat_stamps *st);
/* After a failover: the oldest held message (valid until the next call),
 * removed; false when none is left. */
bool deliver__pop_held(struct deliver *d, uint8_t *opcode, const uint8_t **p, size_t *n,
		       struct lat_stamps *st);

/* Messages held now (lead mode). */
uint32_t deliver__held(const struct deliver *d);

/* The 64-bit message hash used for comparison. */
uint64_t deliver_hash(const uint8_t *p, size_t n);

#endif

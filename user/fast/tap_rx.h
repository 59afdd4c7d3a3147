/* tap_rx — the receive side of --transport tap: the XDP program copies each
 * frame of a registered flow into a BPF ring buffer (struct fx_tap_rec,
 * include/feedrx_bpf.h) and passes the original to the kernel; this module
 * maps that ring and hands its records, in batches, to the same handler the
 * AF_XDP rings feed (struct xsk_rx_handler), so fast_rx's demux and every
 * connection's pipeline are shared by both transports.
 *
 * Ownership of a record: from its frame callback until its batch_end
 * returns (as with xsk_rx); the consumer position moves past the batch only
 * then, so the program cannot overwrite bytes still in use. Nothing is ever
 * given back to the kernel: it already has every frame.
 *
 * A ring view (struct tap_ring) is plain memory, so the record walk is
 * unit-tested without a kernel (tests/test_tap_rx.c). */
#ifndef FEEDRX_TAP_RX_H
#define FEEDRX_TAP_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fast_types.h" /* enum xsk_rx_poll */
#include "feedrx_bpf.h"
#include "xsk_rx.h"     /* struct xsk_rx_frame, struct xsk_rx_handler */

struct ev_loop;

/* The kernel's BPF ring buffer layout (uapi linux/bpf.h). */
#define TAP_RING_HDR_SZ 8u
#define TAP_RING_BUSY (1u << 31)
#define TAP_RING_DISCARD (1u << 30)

#define TAP_RX_BATCH 64 /* records per batch */

/* One ring buffer as memory: the consumer position (ours to write), the
 * producer position (the kernel's), the data area mapped twice in a row
 * (a record never wraps), its size - 1. */
struct tap_ring {
	uint64_t *cons_pos;
	const uint64_t *prod_pos;
	const uint8_t *data;
	uint64_t mask;
};

/* Check one record's sample (len bytes at p: a struct fx_tap_rec, maybe
 * shorter) and describe its frame in *f (data points into p) and its stamp
 * in *meta. 0, or -EBADMSG: too short for the header, wrong magic, a frame
 * length of 0, beyond FX_TAP_SNAP or beyond the sample. */
int tap_rx_parse(const void *p, uint32_t len, struct xsk_rx_frame *f, struct fx_xdp_meta *meta);

struct tap_rx_stats {
	uint64_t records;  /* taken off the ring */
	uint64_t bad;      /* of which refused by tap_rx_parse (skipped) */
	uint64_t discarded;/* records the program discarded (skipped) */
	uint64_t batches;
	uint64_t empty_polls;
	uint64_t spins;    /* busy mode: callbacks that spun */
};

/* Walk ring r from its consumer position: up to budget records, in batches
 * of at most TAP_RX_BATCH (h->frame per record, h->batch_end per batch, then
 * the consumer position moves past it). Stops at a record still being
 * written. drain_ns stamps each frame (0: read the clock per batch).
 * Returns records handed over (bad and discarded ones not counted). */
unsigned tap_ring_drain(struct tap_ring *r, unsigned budget, const struct xsk_rx_handler *h,
			void *user, struct tap_rx_stats *st);

struct tap_rx;

/* Map the ring buffer map ring_fd (size bytes: its max_entries). 0 or -errno. */
int tap_rx__new(struct tap_rx **out, int ring_fd, uint32_t size);
void tap_rx__free(struct tap_rx *t);
/* Drain from loop: ev_io on the ring's fd (wakeup), or an ev_idle that
 * spins on the ring for up to TAP_RX_SPIN_NS before letting libev run its
 * other watchers (busy). cpu >= 0: pin the thread there. 0 or -errno. */
int tap_rx__start(struct tap_rx *t, struct ev_loop *loop, enum xsk_rx_poll mode, int cpu,
		  const struct xsk_rx_handler *h, void *user);
void tap_rx__stop(struct tap_rx *t);
/* Drain now, outside the watchers. Records handed over; 0 when called
 * from inside a drain (its callbacks). */
unsigned tap_rx__drain(struct tap_rx *t, unsigned budget);
void tap_rx__stats(const struct tap_rx *t, struct tap_rx_stats *st);

#endif

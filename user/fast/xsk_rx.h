/* xsk_rx — the AF_XDP receive side: one UMEM, frame pool and socket per RX
 * queue of the feed interface, drained in bursts from the libev loop.
 *
 * Ownership of a frame: kernel (fill ring) -> RX ring -> the caller, from the
 * frame callback until its batch_end callback returns -> back to the fill
 * ring. So a frame's bytes stay valid for the whole batch, and the pipeline
 * re-injects (tun_inject) in batch_end, before the kernel can reuse them.
 *
 * Production sockets are created with XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD:
 * our own XDP program steers, and the caller puts the sockets into its XSKMAP
 * (xsk_rx__update_xskmap, or xsk_rx__socket_fd + xsk_rx__queue_id). */
#ifndef FEEDRX_XSK_RX_H
#define FEEDRX_XSK_RX_H

#include <stdbool.h>
#include <stdint.h>

#include "feedrx_bpf.h"
#include "fast_types.h" /* enum xsk_rx_poll */

struct ev_loop;
struct xsk_rx;

enum xsk_rx_bind {
	XSK_RX_BIND_AUTO = 0, /* XDP_ZEROCOPY, falling back to XDP_COPY */
	XSK_RX_BIND_COPY,
	XSK_RX_BIND_ZEROCOPY, /* fail rather than fall back */
};

struct xsk_rx_config {
	const char *ifname;
	int queue;	     /* RX queue to bind; -1 (default) = every RX queue */
	uint32_t frames;     /* UMEM frames per socket, power of two (4096) */
	uint32_t frame_size; /* 2048 or 4096 (4096) */
	uint32_t rx_size;    /* RX ring entries, power of two (= frames) */
	uint32_t batch;	     /* most frames handed over in one batch (64) */
	uint32_t budget;     /* most frames per watcher callback (256) */
	enum xsk_rx_bind bind;
	bool no_need_wakeup; /* bind without XDP_USE_NEED_WAKEUP */
	/* Tests of this module only: let libxdp attach its own redirect-all
	 * program (xdp_flags = its attach mode) instead of inhibiting it. */
	bool load_default_prog;
	uint32_t xdp_flags;
	/* Busy mode: >0 sets SO_PREFER_BUSY_POLL, SO_BUSY_POLL (usecs) and
	 * SO_BUSY_POLL_BUDGET (busy_poll_budget, 0 = batch) on each socket,
	 * and every empty poll then kicks the driver with recvfrom(). */
	int busy_poll_usecs;
	int busy_poll_budget;
	int cpu; /* >= 0: xsk_rx__start pins the calling thread there; -1 none */
};

/* One received frame, valid until the batch_end callback returns. */
struct xsk_rx_frame {
	const uint8_t *data; /* the L2 frame */
	uint32_t len;
	uint32_t queue;			/* RX queue id */
	const struct fx_xdp_meta *meta; /* copy of the one in front of data, or NULL */
	uint64_t drain_ns;		/* CLOCK_MONOTONIC when its batch left the ring */
};

struct xsk_rx_handler {
	/* Each frame of a batch, in ring order. May be NULL. */
	void (*frame)(void *user, const struct xsk_rx_frame *f);
	/* After the last frame of a batch, with the whole batch: re-inject
	 * here. The frames return to the kernel when it returns. May be NULL. */
	void (*batch_end)(void *user, const struct xsk_rx_frame *frames, unsigned n);
};

struct xsk_rx_stats {
	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t batches;
	uint64_t meta_frames; /* frames that carried fx_xdp_meta */
	uint64_t empty_polls; /* drains that found the RX ring empty */
	uint64_t wakeups;     /* recvfrom() kicks (needs_wakeup, or busy poll) */
	uint64_t fill_empty;  /* refills that found the fill ring empty: kernel starved */
	uint64_t fill_short;  /* frames that did not fit back into the fill ring at once */
	/* XDP_STATISTICS from the kernel */
	uint64_t rx_dropped; /* no UMEM buffer (fill ring empty) and others */
	uint64_t rx_invalid_descs;
	uint64_t rx_ring_full;		   /* RX ring full: frame dropped */
	uint64_t rx_fill_ring_empty_descs; /* times the kernel found the fill ring empty */
};

/* Defaults: all queues, 4096 x 4096-byte frames, auto bind, need_wakeup, no pinning. */
void xsk_rx_defaults(struct xsk_rx_config *cfg);

/* Create UMEMs and sockets, fill the fill rings. 0 or -errno (-EOPNOTSUPP:
 * zero-copy demanded but unavailable; -EINVAL: bad sizes or queue). */
int xsk_rx__new(struct xsk_rx **out, const struct xsk_rx_config *cfg);
void xsk_rx__free(struct xsk_rx *rx);

unsigned xsk_rx__count(const struct xsk_rx *rx);
int xsk_rx__socket_fd(const struct xsk_rx *rx, unsigned i);
uint32_t xsk_rx__queue_id(const struct xsk_rx *rx, unsigned i);
/* Put every socket into xsks_map_fd at its queue id. */
int xsk_rx__update_xskmap(struct xsk_rx *rx, int xsks_map_fd);

/* "zero-copy", "copy" or "mixed" (sockets differ); need_wakeup in use. */
const char *xsk_rx__mode_str(const struct xsk_rx *rx);
bool xsk_rx__need_wakeup(const struct xsk_rx *rx);

/* Take up to budget frames off socket i's RX ring in batches; for each
 * batch: h->frame per frame, h->batch_end, then the frames go back to the
 * fill ring. Returns frames handled or -errno. Not re-entrant: the
 * callbacks must not drain this rx. */
int xsk_rx__drain_queue(struct xsk_rx *rx, unsigned i, unsigned budget,
			const struct xsk_rx_handler *h, void *user);
/* The same over every socket, starting where the last call stopped. */
int xsk_rx__drain(struct xsk_rx *rx, unsigned budget, const struct xsk_rx_handler *h, void *user);

/* Drain from loop: ev_io per socket (wakeup) or one ev_idle (busy), each
 * callback handing at most cfg.budget frames per socket to h. */
int xsk_rx__start(struct xsk_rx *rx, struct ev_loop *loop, enum xsk_rx_poll mode,
		  const struct xsk_rx_handler *h, void *user);
void xsk_rx__stop(struct xsk_rx *rx);

/* Counters of socket i, or summed over all when i < 0. 0 or -errno. */
int xsk_rx__stats(const struct xsk_rx *rx, int i, struct xsk_rx_stats *out);

/* RX queues of ifname (ethtool channels, else /sys): > 0 or -errno. */
int xsk_rx_queue_count(const char *ifname);

#endif

/* fast_rx — the part of the XDP fast path that one interface shares among
 * every connection of the process (docs/ARCHITECTURE.md, "The shared fast
 * path"):
 *
 *   xdp_steer  the XDP program, attached once, and its flow map (a hash of
 *              4-tuples: each connection adds and removes its own entry)
 *   xsk_rx     the AF_XDP sockets on the interface's RX queues, drained by
 *              one set of watchers in the libev loop
 *   tun_inject the TUN device every frame goes back to the kernel through
 *   demux      each frame's 4-tuple -> the registered flow it belongs to
 *              (a fixed open-addressing table: no allocation per frame)
 *   heartbeat  the --stale-ms liveness store into the program's map
 *
 * A flow (struct fast_rx_flow, embedded in its owner: one struct fastpath
 * per connection) gets its own segments; it says per segment whether the
 * frame may go back to the kernel. A frame of no registered flow (the
 * handshake of a flow registered too late, a flow already removed, any
 * stranger the program steered) is re-injected untouched.
 *
 * One shared fast_rx for N connections (what a connection set does):
 *
 *   struct fastpath_opts fo = {...};           // as for one connection
 *   struct fast_rx_opts ro;
 *   struct fast_rx *rx;
 *   fastpath_rx_opts(&ro, &fo);                // its interface part
 *   fast_rx__new(&rx, loop, &ro, &err);        // needs CAP_NET_ADMIN (+BPF)
 *   fo.rx = rx;
 *   for each connection i:
 *       (fo.dump_path: one per connection, or NULL)
 *       fastpath__new(&fp[i], loop, &fo, &err); // plain memory: no privilege
 *       link_kconn__new(&t[i], loop, &ko[i], fp[i], discard, &err);
 *       feed_link__new(&link[i], loop, &lo[i], &hooks[i], t[i]);
 *   ... the loop runs; connections come and go (fastpath__reset on
 *   reconnect re-keys the flow) ...
 *   teardown, in this order:
 *       feed_link__free(link[i]);               // frees t[i], not fp[i]
 *       fastpath__free(fp[i]);                  // its map entry goes, drops its ref
 *       fast_rx__unref(rx);                     // the last reference detaches
 *
 * Lifetime: reference counted. fast_rx__new returns one reference (the
 * creator's); every fastpath created with .rx takes one more and drops it
 * in fastpath__free; whoever drops the last one tears it all down (a final
 * drain re-injects what is still on the rings, then the program is
 * detached: hold CAP_NET_ADMIN then, and CAP_SYS_ADMIN when
 * fast_rx__multiprog). So the order above is the natural one, but any
 * order is safe. A flow must be removed (fastpath__free does it) before
 * its memory goes; a flow's owner may remove or free it from inside its own
 * callbacks, but the last reference must not be dropped there. Set-up and
 * teardown run on the loop's thread. */
#ifndef FEEDRX_FAST_RX_H
#define FEEDRX_FAST_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/fx_err.h"
#include "fast_types.h" /* enum xdp_steer_mode, enum xsk_rx_poll */
#include "feedrx_bpf.h" /* struct fx_flow_key, FX_CNT__MAX, FX_MAX_FLOWS */

struct ev_loop;
struct pkt_tcp;
struct xsk_rx_frame;

/* Most flows at once: the XDP flow map's size. */
#define FAST_RX_MAX_FLOWS FX_MAX_FLOWS

struct fast_rx_opts {
	/* Interface the feeds arrive on. NULL: a fast_rx without a device (no
	 * XDP program, rings or TUN; no privilege): frames enter only through
	 * fast_rx__dispatch and go back through reinject. For tests. */
	const char *ifname;
	enum xdp_steer_mode xdp_mode;
	int queue;           /* -1: every RX queue */
	enum xsk_rx_poll poll;
	int busy_cpu;        /* busy mode: pin here (-1: no pinning) */
	int busy_poll_usecs; /* busy mode: SO_PREFER_BUSY_POLL etc. (0: off) */
	unsigned stale_ms;   /* hung receiver: the kernel gets every flow after this (0: never) */
	enum fast_rx_transport transport; /* redirect (AF_XDP + TUN) or tap (ring buffer) */
	uint32_t tap_ring_bytes;          /* tap: ring size (0: FAST_RX_TAP_RING_DEFAULT) */
	/* Instead of the TUN device (tests): take one IP packet; 0 or -errno. */
	int (*reinject)(void *user, const void *ip, size_t len);
	void *reinject_user;
};

struct fast_rx_flow;

struct fast_rx_flow_ops {
	/* One TCP segment of this flow; f->data stays valid until the batch
	 * ends. Return true to keep the frame from the kernel (refused: never
	 * ACKed, the exchange resends it), false to re-inject it. */
	bool (*segment)(struct fast_rx_flow *fl, const struct xsk_rx_frame *f,
			const struct pkt_tcp *seg);
	/* After the last frame of a batch that held segments of this flow,
	 * before the batch is re-injected; drain_ns: when it left the ring.
	 * May be NULL. */
	void (*batch_end)(struct fast_rx_flow *fl, uint64_t drain_ns);
	/* --transport tap only: the flow lost a frame for good (the program
	 * could not copy it, or segment refused it, and the kernel has it and
	 * ACKs it: no resend will come). Outside any batch of this flow's
	 * frames; may remove or free fl. May be NULL (then nobody is told). */
	void (*lost)(struct fast_rx_flow *fl, const char *why);
};

/* Per-flow counters (fast_rx keeps them; the owner reads them). */
struct fast_rx_flow_stats {
	uint64_t frames;          /* its frames taken off the rings */
	uint64_t refused;         /* of which kept from the kernel */
	uint64_t reinjected, reinject_failed;
};

/* Embedded in its owner; the owner sets ops and user, fast_rx the rest. */
struct fast_rx_flow {
	const struct fast_rx_flow_ops *ops;
	void *user;
	/* fast_rx's own */
	struct fx_flow_key key;
	bool listed;  /* in the demux table */
	bool steered; /* in the XDP flow map */
	bool touched; /* has segments in the batch being handled */
	struct fast_rx_flow_stats st;
};

/* Interface-level counters. */
struct fast_rx_stats {
	uint64_t frames;                 /* taken off the rings */
	uint64_t batches;
	uint64_t frames_other;           /* of no registered flow (re-injected untouched) */
	uint64_t other_reinjected, other_reinject_failed;
	uint64_t reinjected, reinject_failed; /* all frames */
	uint64_t evicted;                /* flows whose 4-tuple a new socket took */
	unsigned flows;                  /* in the demux table now */
	unsigned steered;                /* of which in the XDP flow map */
	/* the AF_XDP sockets' kernel counters (XDP_STATISTICS), all queues */
	uint64_t ring_dropped, ring_full, fill_ring_empty;
	/* --transport tap: records taken off the ring buffer, copies the
	 * program could not make (all flows), flows failed for a lost frame */
	uint64_t tap_records, tap_lost, tap_flows_lost;
};

struct fast_rx;

/* Attach XDP on o->ifname, open the AF_XDP sockets and the TUN device,
 * start draining on loop. 0 and *out (one reference), or a negative code
 * with a one-line reason in err. */
int fast_rx__new(struct fast_rx **out, struct ev_loop *loop, const struct fast_rx_opts *o,
		 struct fx_error *err);
/* One more reference (returns rx); NULL-safe. */
struct fast_rx *fast_rx__ref(struct fast_rx *rx);
/* Drop one; the last one stops the watchers, re-injects what is left on
 * the rings, detaches the program, closes everything. NULL-safe. */
void fast_rx__unref(struct fast_rx *rx);

/* Register fl under key: into the demux table and the XDP flow map (fresh
 * state: the ISN is learnt from the coming SYN-ACK). A flow already listed
 * is moved to the new key. Another flow still holding key (its connection
 * closed, its owner has not reset it yet) is removed: the kernel gave the
 * 4-tuple to the socket being registered. 0, -E2BIG (FAST_RX_MAX_FLOWS
 * reached) or a map update's errno. */
int fast_rx__add_flow(struct fast_rx *rx, struct fast_rx_flow *fl, const struct fx_flow_key *key);
/* Stop steering fl: its map entry goes, nothing else. Frames already on the
 * rings still reach it (and go back to the kernel unless it refuses them);
 * new ones go to the kernel directly. Idempotent. */
void fast_rx__unsteer(struct fast_rx *rx, struct fast_rx_flow *fl);
/* Remove fl entirely (map entry and demux entry): from now on its frames
 * still on the rings are strangers, re-injected untouched. Safe from inside
 * fl's own callbacks. Idempotent. */
void fast_rx__remove_flow(struct fast_rx *rx, struct fast_rx_flow *fl);
/* The flow registered under key, or NULL. */
struct fast_rx_flow *fast_rx__lookup(const struct fast_rx *rx, const struct fx_flow_key *key);

/* Hand a batch of frames through the demux exactly as the ring watchers do
 * (tests, and a device-less fast_rx). Not from inside a callback. */
void fast_rx__dispatch(struct fast_rx *rx, const struct xsk_rx_frame *frames, unsigned n);

void fast_rx__stats(const struct fast_rx *rx, struct fast_rx_stats *st);
/* The XDP program's counters, summed over CPUs: program-wide, every flow.
 * 0, or a negative errno (all zero then). */
int fast_rx__xdp_counters(const struct fast_rx *rx, uint64_t sums[FX_CNT__MAX]);
/* Entries in the program's flow map, read from the kernel (not our table):
 * >= 0 or -errno. */
int fast_rx__map_flows(const struct fast_rx *rx);
/* True when the program sits under libxdp's dispatcher: detaching it then
 * needs CAP_SYS_ADMIN as well as CAP_NET_ADMIN. */
bool fast_rx__multiprog(const struct fast_rx *rx);
enum fast_rx_transport fast_rx__transport(const struct fast_rx *rx);
/* tap: drain the ring buffer now, through the demux (a no-op inside its
 * own drain, and in redirect mode). */
void fast_rx__catch_up(struct fast_rx *rx);
/* tap: the ring buffer's bytes; 0 in redirect mode. */
uint32_t fast_rx__tap_ring_bytes(const struct fast_rx *rx);
/* "native XDP on eth0, AF_XDP copy mode, 2 queues, wakeup poll" */
const char *fast_rx__describe(const struct fast_rx *rx);

#endif

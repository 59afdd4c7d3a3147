/* fastpath — the XDP receive path of one feed connection, stage by stage:
 *
 *   fast_rx    shared by every connection on the interface (fast_rx.h):
 *              xdp_steer  the XDP program; the flow map gets our 4-tuple
 *              xsk_rx     drain the AF_XDP rings in the libev loop
 *              pkt_parse  frame -> TCP segment -> demux by 4-tuple -> here
 *              tun_inject every frame taken off the ring goes back to the
 *                         kernel as an IP packet after it was used, so the
 *                         kernel's TCP stays exact
 *   tcp_reasm  our segments -> the exchange's byte stream (exact offsets)
 *   fp_stream  bytes -> TLS records -> HTTP 101 skipped -> WebSocket messages
 *
 * Many connections, one loop: create one fast_rx for the interface and give
 * it to every connection's fastpath in fastpath_opts.rx; each fastpath keeps
 * its own reassembler, TLS state and decoder, and its failure touches only
 * its own flow. fast_rx.h spells out the calls and the teardown order.
 * Without .rx a fastpath makes a private fast_rx: one connection, as before.
 *
 * A segment the reassembler refuses (caps, window) is not re-injected: the
 * kernel never ACKs it, the exchange resends it, and the fast path gets it
 * again (docs/ARCHITECTURE.md §3). After a fast-path failure the flow is removed from the
 * XDP map (the kernel path gets the traffic directly) and frames still in
 * the rings keep being re-injected.
 */
#ifndef FEEDRX_FASTPATH_H
#define FEEDRX_FASTPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fast_types.h" /* the option enums, TLS events, reassembler counters */
#include "feedrx_bpf.h" /* FX_CNT__MAX */
#include "stats/lat_stats.h"

#include "core/fx_err.h"

/* Declared, not included: the facade hands these through by pointer. */
struct ev_loop;
struct ssl_st;
typedef struct ssl_st SSL;

#define FASTPATH_SHA256_LEN 32 /* SHA256_DIGEST_LENGTH, checked in fastpath.c */

struct fast_rx;
struct fast_rx_opts;

struct fastpath_opts {
	/* Shared receive side (fast_rx.h), referenced while the fastpath
	 * lives. NULL: fastpath__new makes a private one from the interface
	 * options below (ifname .. busy_poll_usecs, stale_ms), which are
	 * ignored when rx is set (the fast_rx has its own). */
	struct fast_rx *rx;
	const char *ifname;          /* interface the feed arrives on */
	enum xdp_steer_mode xdp_mode;
	int queue;                   /* -1: every RX queue */
	enum xsk_rx_poll poll;
	int busy_cpu;                /* busy mode: pin here (-1: no pinning) */
	int busy_poll_usecs;         /* busy mode: SO_PREFER_BUSY_POLL etc. (0: off) */
	bool proxied;                /* an HTTP CONNECT answer precedes TLS */
	size_t max_message;
	bool check_utf8;             /* deliver only UTF-8 text messages, as kconn does */
	const char *dump_path;       /* write the reassembled stream here, or NULL
				      * (one file per connection: opened "wb") */
	bool stamps;                 /* take per-stage latency stamps (--stats) */
	bool hash_streams;           /* SHA-256 both streams for fastpath__stats (-v) */
	unsigned stale_ms;           /* hung receiver: kernel gets the feed after this (0: never) */
	enum fast_rx_transport transport; /* --transport: redirect (default) or tap */
	uint32_t tap_ring_bytes;     /* tap: ring buffer bytes (0: the default) */
};

/* What the fast path reports, to whoever drives the connection. */
struct fastpath_hooks {
	void *user;
	/* one WebSocket data message, with the stamps taken so far */
	void (*on_message)(void *user, uint8_t opcode, const uint8_t *p, size_t n,
			   const struct lat_stamps *st);
	/* ping, pong, close seen on the fast path */
	void (*on_control)(void *user, uint8_t opcode, const uint8_t *p, size_t n);
	void (*on_tls_event)(void *user, enum tls_record_event ev, unsigned detail);
	/* the fast path stopped delivering (once): why, for the log;
	 * fastpath__violation() tells a broken protocol from a broken path */
	void (*on_failure)(void *user, const char *why);
};

/* Per connection, except where marked "interface": those are the shared
 * fast_rx's (fast_rx__stats has them alone). */
struct fastpath_stats {
	/* our flow's frames plus the interface's frames of no flow; of which
	 * of no flow (interface) */
	uint64_t frames, frames_other;
	uint64_t segments_refused;      /* refused by the reassembler: not re-injected */
	uint64_t reinjected, reinject_failed; /* ours plus the interface's of no flow */
	uint64_t stream_bytes;          /* reassembled */
	uint64_t messages;
	uint64_t kernel_bytes;          /* ciphertext read by OpenSSL on the kernel socket */
	uint8_t stream_sha256[FASTPATH_SHA256_LEN]; /* of the reassembled stream */
	uint8_t kernel_sha256[FASTPATH_SHA256_LEN]; /* of what the kernel socket gave */
	struct tcp_reasm_stats reasm;
	/* interface: the AF_XDP sockets' kernel counters (XDP_STATISTICS), all queues */
	uint64_t ring_dropped;     /* frames the kernel dropped (no UMEM frame, ring full) */
	uint64_t ring_full;        /* ... because the RX ring was full */
	uint64_t fill_ring_empty;  /* ... found the fill ring empty */
	/* --transport tap: this flow lost a frame for good (failed over);
	 * interface: copies the program could not make, all flows */
	uint64_t tap_lost, tap_lost_all;
};

struct fastpath;

/* The interface part of o as fast_rx options (ifname, xdp_mode, queue,
 * poll, busy_cpu, busy_poll_usecs, stale_ms), for the one shared fast_rx:
 *
 *   fastpath_rx_opts(&ro, &fo);       // fo filled as for one connection
 *   fast_rx__new(&rx, loop, &ro, &err);
 *   fo.rx = rx;                       // then fastpath__new per connection
 */
void fastpath_rx_opts(struct fast_rx_opts *ro, const struct fastpath_opts *o);

/* Allocate every buffer and take a reference on o->rx; without o->rx also
 * attach XDP, open the AF_XDP sockets and the TUN device (a private
 * fast_rx). 0 and *out, or a negative code with a one-line reason in err.
 * With o->rx it needs no privilege. */
int fastpath__new(struct fastpath **out, struct ev_loop *loop, const struct fastpath_opts *o,
		  struct fx_error *err);

/* Who hears the fast path's messages and events (copied). */
void fastpath__set_hooks(struct fastpath *fp, const struct fastpath_hooks *h);

/* Hooks for kconn: the socket is bound (register its flow before connect),
 * the SSL session exists (capture secrets), the upgrade is done. */
int fastpath__on_socket(struct fastpath *fp, const struct sockaddr *local,
			const struct sockaddr *remote);
int fastpath__on_tls(struct fastpath *fp, SSL *ssl);
int fastpath__on_open(struct fastpath *fp, SSL *ssl);

/* Stop steering (remove the flow's XDP map entry, no other flow's); frames
 * already in the rings still reach it and are re-injected while the loop
 * runs. */
void fastpath__unregister(struct fastpath *fp);
/* Give the fast path up for a reason found outside it (the shadow found it
 * had missed data): unregisters the flow and calls on_failure with why,
 * once; delivery moves on. */
void fastpath__fail(struct fastpath *fp, const char *why);
/* Forget the connection (flow, stream, keys) so the next kconn attempt
 * starts clean: for a reconnect. The old flow leaves the demux: its frames
 * still on the rings go back to the kernel untouched. 0 or -ENOMEM. */
int fastpath__reset(struct fastpath *fp);
/* Reassembled stream bytes of the current connection. */
uint64_t fastpath__stream_bytes(const struct fastpath *fp);
/* Test-only switch: make the fast path fail as a TLS desync would. */
void fastpath__force_desync(struct fastpath *fp);

bool fastpath__failed(const struct fastpath *fp);
/* After a failure: the close code (1002, 1007, 1009) when it was the
 * server's WebSocket stream that broke the protocol, which any decoder of
 * the same bytes finds too; 0 when the fast path itself failed. */
uint16_t fastpath__violation(const struct fastpath *fp);
/* True when the XDP program sits under libxdp's dispatcher: detaching it
 * then needs CAP_SYS_ADMIN as well as CAP_NET_ADMIN. */
bool fastpath__multiprog(const struct fastpath *fp);
const char *fastpath__describe(const struct fastpath *fp); /* the fast_rx's description */
/* The fast_rx it uses (shared or private); the fastpath holds a reference. */
struct fast_rx *fastpath__rx(const struct fastpath *fp);
void fastpath__stats(struct fastpath *fp, struct fastpath_stats *st);
/* tap: drain the ring buffer now (not from inside its own drain). */
void fastpath__catch_up(struct fastpath *fp);
/* tap: the ring buffer's size in bytes (0 in redirect mode). */
uint64_t fastpath__tap_ring_bytes(const struct fastpath *fp);
/* --transport of its fast_rx. */
enum fast_rx_transport fastpath__transport(const struct fastpath *fp);
/* The XDP program's counters: program-wide (every flow on the interface). */
int fastpath__xdp_counters(const struct fastpath *fp, uint64_t sums[FX_CNT__MAX]);
/* With stamps on: per batch, ns from the ring to the end of decoding divided
 * by the messages it delivered (the cost of a message, without queueing). */
const struct lat_hist *fastpath__service(const struct fastpath *fp);

/* Remove the flow, free the connection's state, drop the fast_rx reference
 * (the last one detaches everything). Safe on every exit path, NULL-safe. */
void fastpath__free(struct fastpath *fp);

#endif

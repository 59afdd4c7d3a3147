/* fast_types — the few types the fast path's facade (fastpath.h) shares
 * with its stages: options a caller sets (XDP attach mode, ring polling),
 * the TLS events it is told about and the reassembler's counters it reads.
 * Here so that fastpath.h needs none of the stages' headers. */
#ifndef FEEDRX_FAST_TYPES_H
#define FEEDRX_FAST_TYPES_H

#include <stdint.h>

/* How xdp_steer attaches the XDP program. */
enum xdp_steer_mode {
	/* Native (driver) mode; if the driver refuses, generic (SKB) mode
	 * with a loud warning. The default. */
	XDP_STEER_MODE_AUTO = 0,
	/* Native mode or fail. */
	XDP_STEER_MODE_NATIVE,
	/* Generic (SKB) mode: slow, works on any device. Only when asked. */
	XDP_STEER_MODE_SKB,
};

/* How xsk_rx drains its rings from the libev loop. */
enum xsk_rx_poll {
	XSK_RX_POLL_WAKEUP = 0, /* ev_io on each socket: sleep until frames arrive */
	XSK_RX_POLL_BUSY,	/* ev_idle: drain every loop iteration, never sleep */
};

/* How frames of the registered flows reach user space (--transport). */
enum fast_rx_transport {
	/* XDP_REDIRECT into AF_XDP sockets; every frame re-injected into the
	 * kernel through a TUN device after use. The default. */
	FAST_RX_TRANSPORT_REDIRECT = 0,
	/* The XDP program copies each frame into a BPF ring buffer and
	 * passes the original (XDP_PASS): no AF_XDP, no TUN, no re-injection;
	 * a copy the ring could not take is a fast-path failure for its flow. */
	FAST_RX_TRANSPORT_TAP,
};

/* bytes: 8065 records, 11.6 MB of TCP payload at MSS 1448: more than a
 * socket's largest receive buffer (net.ipv4.tcp_rmem, 6 MiB by default),
 * so a receiver that keeps its shadow caught up cannot overflow it */
#define FAST_RX_TAP_RING_DEFAULT (16u << 20)

/* Non-data records tls_record reports. */
enum tls_record_event {
	TLS_RECORD_EV_NEW_SESSION_TICKET, /* skipped */
	TLS_RECORD_EV_KEY_UPDATE,   /* detail: 1 if update_requested (answer on the kernel path) */
	TLS_RECORD_EV_CLOSE_NOTIFY, /* clean end */
	TLS_RECORD_EV_ALERT,        /* detail: level << 8 | description; fatal ones also fail feed */
	TLS_RECORD_EV_HANDSHAKE_DONE, /* stream mode: the server's Finished, app epoch begins */
};

/* tcp_reasm's counters. */
struct tcp_reasm_stats {
	uint64_t delivered_bytes;
	uint64_t delivered_segs;   /* segments that contributed delivered bytes */
	uint64_t ooo_segs;         /* segments stored out of order (total) */
	uint64_t ooo_bytes;        /* bytes stored out of order (total) */
	uint64_t ooo_bytes_now;    /* held now */
	uint64_t ooo_segs_now;
	uint64_t ooo_bytes_peak;
	uint64_t ooo_segs_peak;
	uint64_t dups;             /* segments with no new byte (all delivered or held) */
	uint64_t overlaps;         /* segments partly new, partly already seen */
	uint64_t dup_bytes;        /* already-seen bytes dropped (dups + overlaps) */
	uint64_t overlap_conflicts;/* segments whose bytes differ from held ones */
	uint64_t conflict_bytes;   /* the differing bytes (held copy kept) */
	uint64_t out_of_window;    /* segments refused: beyond next + window */
	uint64_t cap_refused;      /* segments refused: out-of-order caps */
	uint64_t cap_refused_bytes;
	uint64_t syn_dups;         /* retransmitted SYN(-ACK)s with the known ISN */
	uint64_t bad_syns;         /* SYN with another ISN (refused) */
	uint64_t fin_errors;       /* data beyond a FIN, or a FIN that moves (refused) */
	uint64_t rst_ignored;      /* RST not at the next expected seq (ignored) */
	uint64_t after_end;        /* new data after FIN/RST ended the stream */
	uint64_t not_started;      /* segments before any ISN */
	uint64_t discarded_bytes;  /* held bytes thrown away by RST */
};

#endif

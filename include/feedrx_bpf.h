/* feedrx_bpf.h — the one contract between the XDP program (bpf/) and user
 * space (user/): flow key and value, per-frame metadata, counter indices and
 * map sizes. Fixed-width types only; layouts pinned with _Static_assert so
 * both compilers (clang -target bpf and the host cc) agree byte for byte. */
#ifndef FEEDRX_BPF_H
#define FEEDRX_BPF_H

#include <linux/types.h>

/* A steered flow, keyed as packets arrive from the exchange: saddr/sport are
 * the exchange's, daddr/dport ours. Addresses and ports in network byte
 * order; an IPv4 address fills the first 4 bytes and the rest are zero. */
#define FX_FAMILY_IPV4 4
#define FX_FAMILY_IPV6 6

struct fx_flow_key {
	__u8 family; /* FX_FAMILY_IPV4 or FX_FAMILY_IPV6 */
	__u8 pad[3];
	__be16 sport;
	__be16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* Per-flow state the XDP program keeps. User space creates the entry with
 * zeroes before connect(); the program fills in the exchange's initial
 * sequence number from the first SYN-ACK it sees (later ones, stale or
 * forged, do not move it; re-registering resets it). */
#define FX_FLOW_F_ISN_KNOWN (1u << 0) /* server_isn is valid */

struct fx_flow_val {
	__u32 flags;      /* FX_FLOW_F_* */
	__u32 server_isn; /* host byte order: seq of the exchange's SYN-ACK */
	__u64 packets;    /* frames of this flow seen by the program */
	__u64 bytes;      /* their length, L2 included */
	__u64 tap_lost;   /* --transport tap: frames passed without a copy (ring full,
			   * longer than FX_TAP_SNAP): the fast path missed them */
};

/* Written in front of each steered frame (XDP metadata area) where the
 * driver supports metadata; frames that fall back to the kernel carry none.
 * User space checks magic before trusting it. */
#define FX_META_MAGIC 0xfeed0001u

struct fx_xdp_meta {
	__u64 rx_ns; /* bpf_ktime_get_ns() at XDP entry (CLOCK_MONOTONIC); with
		      * --nic-stamps the NIC's RX stamp moved onto CLOCK_MONOTONIC
		      * (fx_health.nic_to_mono_ns), 0 when the NIC gave none */
	__u32 magic; /* FX_META_MAGIC */
	__u32 rx_queue;
};

/* Per-CPU counters, indices into the fx_counters array map. */
enum fx_counter {
	FX_CNT_STEERED = 0,   /* redirected into an AF_XDP socket */
	FX_CNT_PASSED,        /* not a registered flow: XDP_PASS */
	FX_CNT_MALFORMED,     /* truncated or malformed headers: XDP_PASS */
	FX_CNT_REDIRECT_FAIL, /* registered flow, no socket on that queue: XDP_PASS */
	FX_CNT_META_FAIL,     /* driver refused metadata: steered without it */
	FX_CNT_FRAGMENT,      /* IPv4/IPv6 fragment: XDP_PASS, the kernel reassembles */
	FX_CNT_STALE,         /* registered flow, receiver not alive: XDP_PASS */
	FX_CNT_NIC_NOSTAMP,   /* --nic-stamps: steered without a NIC stamp (rx_ns 0) */
	FX_CNT_TAP_COPIED,    /* --transport tap: copied into the ring buffer, passed */
	FX_CNT_TAP_LOST,      /* --transport tap: passed without a copy (ring full, too long) */
	FX_CNT__MAX,
};

/* Receiver liveness, the single entry of the fx_health array map (mmapped by
 * user space): the receiver's loop writes alive_ns (CLOCK_MONOTONIC) every few
 * tens of milliseconds. When a registered flow's frame arrives more than
 * stale_ns after the last write, the receiver has hung (stopped, stuck, ring
 * never drained): the frame goes to the kernel instead, so a hung receiver
 * never black-holes its feed. stale_ns 0 turns the check off. */
struct fx_health {
	__u64 alive_ns;
	__u64 stale_ns;
	/* --nic-stamps only (fx_xdp_nic): CLOCK_MONOTONIC - the NIC's
	 * PTP hardware clock, sampled by user space; nic_ok 0 until it is. */
	__s64 nic_to_mono_ns;
	__u64 nic_ok;
};

/* TCP header flag bits (byte 13 of the header, RFC 9293 §3.1), for the
 * program's SYN-ACK check and user space's parser and reassembler. */
#define FX_TCP_FIN 0x01
#define FX_TCP_SYN 0x02
#define FX_TCP_RST 0x04
#define FX_TCP_PSH 0x08
#define FX_TCP_ACK 0x10

/* --transport tap: the XDP program copies each frame of a registered flow
 * into the BPF ring buffer fx_tap_ring as one fixed-size record (the
 * verifier wants a constant reservation) and passes the original to the
 * kernel. A frame of FX_TAP_SNAP bytes or more is not copied (counted as
 * lost); a record takes 2080 bytes of the ring (its 8-byte header too). */
#define FX_TAP_MAGIC 0xfeed7a90u
#define FX_TAP_SNAP 2048u /* a power of two: the copy length is masked with it - 1 */

struct fx_tap_hdr {
	__u64 rx_ns;    /* bpf_ktime_get_ns() at XDP entry, as fx_xdp_meta */
	__u32 len;      /* frame bytes that follow (the whole frame) */
	__u32 rx_queue;
	__u32 magic;    /* FX_TAP_MAGIC */
	__u32 pad;
};

struct fx_tap_rec {
	struct fx_tap_hdr hdr;
	__u8 data[FX_TAP_SNAP];
};

/* The single entry of the mmappable fx_tap_state array: every copy the
 * program could not make, all flows (user space reads it with a plain load
 * after each drain, then asks the flow map which flow lost it). */
struct fx_tap_state {
	__u64 lost;
	__u64 pad;
};

#define FX_MAX_FLOWS 256
#define FX_MAX_QUEUES 64

_Static_assert(sizeof(struct fx_flow_key) == 40, "fx_flow_key layout");
_Static_assert(sizeof(struct fx_flow_val) == 32, "fx_flow_val layout");
_Static_assert(sizeof(struct fx_xdp_meta) == 16, "fx_xdp_meta layout");
_Static_assert(sizeof(struct fx_health) == 32, "fx_health layout");
_Static_assert(sizeof(struct fx_tap_hdr) == 24, "fx_tap_hdr layout");
_Static_assert(sizeof(struct fx_tap_rec) + 8 == 2080, "fx_tap_rec: its size in the ring");
_Static_assert((FX_TAP_SNAP & (FX_TAP_SNAP - 1)) == 0, "FX_TAP_SNAP: a power of two");
_Static_assert(sizeof(struct fx_tap_state) == 16, "fx_tap_state layout");
_Static_assert(sizeof(struct fx_xdp_meta) % 4 == 0, "metadata must be 4-byte aligned");

#endif

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* feedrx_xdp.bpf.c — the XDP program fx_xdp_steer: finds the TCP segments of
 * registered feed flows (exact 4-tuple, packet source = exchange) and
 * redirects them into the AF_XDP socket of their RX queue, stamped with
 * struct fx_xdp_meta. Everything else, and everything it cannot parse with
 * certainty, goes to the kernel (XDP_PASS). It never drops a packet.
 *
 * Decisions a reader may look for:
 * - one 802.1Q/802.1AD tag is parsed; a second tag (QinQ) is passed;
 * - IPv4 and IPv6 fragments are all passed, the first one (MF, offset 0)
 *   included: the kernel must see every piece to reassemble the datagram;
 *   an IPv6 atomic fragment (offset 0, no M) is a whole datagram and parsed;
 * - IPv6 hop-by-hop, routing, destination-options and fragment headers are
 *   walked, at most FX_IP6_EXT_MAX of them; anything else (AH, ESP, a longer
 *   chain, jumbograms) is passed as foreign;
 * - a length that disagrees with the frame (IPv4 IHL/tot_len, IPv6
 *   payload_len, extension header length, TCP data offset) is malformed;
 * - the first SYN-ACK after registration sets server_isn; later ones don't;
 * - metadata is written only on frames that really are redirected;
 * - fx_xdp_nic (feedrx --nic-stamps, loaded device-bound to the one
 *   interface, never by default) stamps arrival with the NIC's RX timestamp
 *   (the XDP RX-metadata kfunc), moved onto CLOCK_MONOTONIC with the offset
 *   user space keeps in fx_health; a frame the NIC did not stamp gets rx_ns 0
 *   (no arrival stamp, counted), never a bpf_ktime_get_ns() stamp: one clock
 *   per run.
 *
 * Owns: the maps fx_flows (HASH), fx_xsks (XSKMAP), fx_counters (PERCPU_ARRAY)
 * and the header parsers below. The layouts live in include/feedrx_bpf.h. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdp/xdp_helpers.h>

#include "feedrx_bpf.h"

/* The driver's RX hardware timestamp (kernel 6.3+, device-bound programs
 * only); weak, so the default program loads where the kernel lacks it. */
extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FX_MAX_FLOWS);
	__type(key, struct fx_flow_key);
	__type(value, struct fx_flow_val);
} fx_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, FX_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} fx_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FX_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} fx_counters SEC(".maps");

/* Liveness written by the receiver through mmap (see struct fx_health). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fx_health);
} fx_health SEC(".maps");

/* --transport tap (set before load): copy, then pass; see fx_tap below. */
const volatile __u32 fx_cfg_tap = 0;

/* Its ring buffer; user space sets the size before load (a page when the
 * transport is redirect: the map exists either way). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} fx_tap_ring SEC(".maps");

/* The copies the program could not make (struct fx_tap_state), mmapped. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fx_tap_state);
} fx_tap_state SEC(".maps");

/* libxdp dispatcher: run early (a feed steerer should see its packets before
 * generic filters that only pass them on); chain on to later programs only
 * when we pass, so a steered frame is never also handed to someone else. */
struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(fx_xdp_steer);

/* ---- parsers: each takes a cursor, bounds-checks against data_end, moves
 * the cursor past its header and returns the next protocol (>= 0), or one of
 * the negative verdicts below. */

#define FX_PARSE_MALFORMED (-1) /* truncated or invalid: XDP_PASS, counted */
#define FX_PARSE_FOREIGN (-2)   /* valid but not ours: XDP_PASS */
#define FX_PARSE_FRAGMENT (-3)  /* IP fragment: XDP_PASS, kernel reassembles */

#define FX_IP6_EXT_MAX 8 /* extension headers walked before giving up */

#define FX_IP_MF 0x2000
#define FX_IP_OFFMASK 0x1fff

struct fx_cursor {
	void *pos;
	void *end;
};

struct fx_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* Generic extension header prefix (hop-by-hop, routing, destination). */
struct fx_ip6_ext {
	__u8 nexthdr;
	__u8 hdrlen; /* in 8-octet units, not counting the first 8 */
};

struct fx_ip6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | res | M */
	__be32 id;
};

/* Where the TCP header is and what we learnt on the way there. */
struct fx_pkt {
	struct fx_flow_key key;
	__u32 l4_len; /* bytes from the TCP header to the end of the IP payload */
};

/* Ethernet with at most one 802.1Q / 802.1AD tag; returns the EtherType. */
static __always_inline int fx_parse_eth(struct fx_cursor *c)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;

	if ((void *)(eth + 1) > c->end)
		return FX_PARSE_MALFORMED;
	c->pos = eth + 1;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct fx_vlan_hdr *vh = c->pos;

		if ((void *)(vh + 1) > c->end)
			return FX_PARSE_MALFORMED;
		c->pos = vh + 1;
		proto = vh->proto;
		/* A second tag (QinQ) is not a feed we registered. */
		if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
			return FX_PARSE_FOREIGN;
	}
	return bpf_ntohs(proto);
}

/* IPv4 with options; returns the L4 protocol. Every fragment is passed: a
 * first fragment (MF) carries the TCP header but not the whole segment, and
 * stealing it would leave the kernel unable to reassemble the datagram. */
static __always_inline int fx_parse_ipv4(struct fx_cursor *c, struct fx_pkt *p)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot;

	if ((void *)(iph + 1) > c->end)
		return FX_PARSE_MALFORMED;
	if (iph->version != 4)
		return FX_PARSE_MALFORMED;
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph))
		return FX_PARSE_MALFORMED;
	if (c->pos + hlen > c->end)
		return FX_PARSE_MALFORMED;
	tot = bpf_ntohs(iph->tot_len);
	/* Ethernet padding may follow the datagram, never precede its end. */
	if (tot < hlen || c->pos + tot > c->end)
		return FX_PARSE_MALFORMED;
	if (iph->frag_off & bpf_htons(FX_IP_MF | FX_IP_OFFMASK))
		return FX_PARSE_FRAGMENT;

	p->key.family = FX_FAMILY_IPV4;
	__builtin_memcpy(p->key.saddr, &iph->saddr, 4);
	__builtin_memcpy(p->key.daddr, &iph->daddr, 4);
	p->l4_len = tot - hlen;
	c->pos += hlen;
	return iph->protocol;
}

/* IPv6 and its extension headers (bounded walk); returns the L4 protocol. */
static __always_inline int fx_parse_ipv6(struct fx_cursor *c, struct fx_pkt *p)
{
	struct ipv6hdr *ip6h = c->pos;
	void *payload_end;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6h + 1) > c->end)
		return FX_PARSE_MALFORMED;
	if (ip6h->version != 6)
		return FX_PARSE_MALFORMED;
	/* payload_len 0 means a jumbogram; no feed sends those. */
	if (ip6h->payload_len == 0)
		return FX_PARSE_FOREIGN;
	payload_end = (void *)(ip6h + 1) + bpf_ntohs(ip6h->payload_len);
	if (payload_end > c->end)
		return FX_PARSE_MALFORMED;

	p->key.family = FX_FAMILY_IPV6;
	__builtin_memcpy(p->key.saddr, &ip6h->saddr, 16);
	__builtin_memcpy(p->key.daddr, &ip6h->daddr, 16);
	c->pos = ip6h + 1;
	nexthdr = ip6h->nexthdr;

	for (i = 0; i < FX_IP6_EXT_MAX; i++) {
		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS: {
			struct fx_ip6_ext *ext = c->pos;
			__u32 len;

			if ((void *)(ext + 1) > c->end)
				return FX_PARSE_MALFORMED;
			len = ((__u32)ext->hdrlen + 1) * 8;
			if (c->pos + len > payload_end)
				return FX_PARSE_MALFORMED;
			nexthdr = ext->nexthdr;
			c->pos += len;
			break;
		}
		case IPPROTO_FRAGMENT: {
			struct fx_ip6_frag *fh = c->pos;

			/* The verifier only trusts checks against data_end. */
			if ((void *)(fh + 1) > c->end || (void *)(fh + 1) > payload_end)
				return FX_PARSE_MALFORMED;
			/* Non-first (offset != 0) or first of several (M): the
			 * kernel reassembles. An atomic fragment (RFC 6946:
			 * offset 0, no M) is a whole datagram: parse on. */
			if (fh->frag_off & bpf_htons(0xfff8 | 1))
				return FX_PARSE_FRAGMENT;
			nexthdr = fh->nexthdr;
			c->pos = fh + 1;
			break;
		}
		default:
			goto done;
		}
	}
	/* Still inside the extension chain: too long to be a feed. */
	if (nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	    nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_FRAGMENT)
		return FX_PARSE_FOREIGN;
done:
	if (c->pos > payload_end)
		return FX_PARSE_MALFORMED;
	p->l4_len = payload_end - c->pos;
	return nexthdr;
}

/* TCP with its options; returns the flags byte (FIN..CWR). */
static __always_inline int fx_parse_tcp(struct fx_cursor *c, struct fx_pkt *p,
					__u32 *seq)
{
	struct tcphdr *th = c->pos;
	__u32 hlen;

	if ((void *)(th + 1) > c->end)
		return FX_PARSE_MALFORMED;
	hlen = th->doff * 4;
	if (hlen < sizeof(*th) || hlen > p->l4_len)
		return FX_PARSE_MALFORMED;
	if (c->pos + hlen > c->end)
		return FX_PARSE_MALFORMED;
	p->key.sport = th->source;
	p->key.dport = th->dest;
	*seq = bpf_ntohl(th->seq);
	c->pos += hlen;
	return ((__u8 *)th)[13];
}

static __always_inline void fx_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&fx_counters, &idx);

	if (v)
		*v += 1;
}

static __always_inline int fx_pass(int why)
{
	if (why == FX_PARSE_MALFORMED)
		fx_count(FX_CNT_MALFORMED);
	else if (why == FX_PARSE_FRAGMENT)
		fx_count(FX_CNT_FRAGMENT);
	else
		fx_count(FX_CNT_PASSED);
	return XDP_PASS;
}

/* --transport tap: copy the whole frame into one ring-buffer record, then
 * let the kernel have the original (XDP_PASS), so its TCP never depends on
 * user space. A copy that cannot be made (ring full: a slow or hung
 * receiver; a frame longer than FX_TAP_SNAP) is counted for the flow and
 * globally: the fast path has a hole the exchange will never resend (the
 * kernel ACKs it), and user space hands the flow to the shadow. */
static __always_inline int fx_tap(struct xdp_md *ctx, struct fx_flow_val *val, __u64 now)
{
	struct fx_tap_state *ts;
	struct fx_tap_rec *rec;
	__u32 zero = 0, n, cp;

	n = bpf_xdp_get_buff_len(ctx);
	if (n >= 14 && n < FX_TAP_SNAP) {
		rec = bpf_ringbuf_reserve(&fx_tap_ring, sizeof(*rec), 0);
		if (rec) {
			rec->hdr.rx_ns = now;
			rec->hdr.len = n;
			rec->hdr.rx_queue = ctx->rx_queue_index;
			rec->hdr.magic = FX_TAP_MAGIC;
			rec->hdr.pad = 0;
			/* n survives the reserve call on the stack, where the
			 * verifier forgets its bounds: bound it again here,
			 * opaquely to the compiler (the mask changes nothing) */
			cp = n;
			asm volatile("" : "+r"(cp));
			cp &= FX_TAP_SNAP - 1;
			if (cp >= 14 && bpf_xdp_load_bytes(ctx, 0, rec->data, cp) == 0) {
				bpf_ringbuf_submit(rec, 0);
				fx_count(FX_CNT_TAP_COPIED);
				return XDP_PASS;
			}
			bpf_ringbuf_discard(rec, 0);
		}
	}
	__sync_fetch_and_add(&val->tap_lost, 1);
	ts = bpf_map_lookup_elem(&fx_tap_state, &zero);
	if (ts)
		__sync_fetch_and_add(&ts->lost, 1);
	fx_count(FX_CNT_TAP_LOST);
	return XDP_PASS;
}

static __always_inline int fx_steer(struct xdp_md *ctx, const int nic)
{
	struct fx_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	/* Stamp at entry: latency is measured from the earliest point we see. */
	__u64 now = bpf_ktime_get_ns();
	__u64 len = c.end - c.pos;
	struct fx_pkt p = {};
	struct fx_flow_val *val;
	struct fx_xdp_meta *meta;
	struct fx_health *health;
	__u32 seq = 0, zero = 0;
	int proto, flags;
	long act;

	proto = fx_parse_eth(&c);
	if (proto == ETH_P_IP)
		proto = fx_parse_ipv4(&c, &p);
	else if (proto == ETH_P_IPV6)
		proto = fx_parse_ipv6(&c, &p);
	else if (proto >= 0)
		proto = FX_PARSE_FOREIGN;
	if (proto < 0)
		return fx_pass(proto);
	if (proto != IPPROTO_TCP)
		return fx_pass(FX_PARSE_FOREIGN);
	flags = fx_parse_tcp(&c, &p, &seq);
	if (flags < 0)
		return fx_pass(flags);

	val = bpf_map_lookup_elem(&fx_flows, &p.key);
	if (!val)
		return fx_pass(FX_PARSE_FOREIGN);

	__sync_fetch_and_add(&val->packets, 1);
	__sync_fetch_and_add(&val->bytes, len);
	/* First SYN-ACK wins; user space zeroes the entry before each connect(). */
	if ((flags & (FX_TCP_SYN | FX_TCP_ACK | FX_TCP_RST)) == (FX_TCP_SYN | FX_TCP_ACK) &&
	    !(val->flags & FX_FLOW_F_ISN_KNOWN)) {
		val->server_isn = seq;
		/* Readers test the flag, then read the ISN: store it first. */
		asm volatile("" ::: "memory");
		val->flags |= FX_FLOW_F_ISN_KNOWN;
	}

	/* tap: the kernel gets every frame, so a stopped receiver costs only
	 * its own copies (the liveness check below is redirect's). */
	if (fx_cfg_tap)
		return fx_tap(ctx, val, now);

	/* A receiver that stopped draining must not black-hole its feed: signed
	 * compare, since the receiver may write alive_ns just after our stamp. */
	health = bpf_map_lookup_elem(&fx_health, &zero);
	if (health && health->stale_ns &&
	    (__s64)(now - health->alive_ns) > (__s64)health->stale_ns) {
		fx_count(FX_CNT_STALE);
		return XDP_PASS;
	}

	/* The redirect only takes effect when we return, so decide it first
	 * and stamp metadata only on frames that really go to AF_XDP: a frame
	 * that falls back to the kernel leaves exactly as it came. */
	act = bpf_redirect_map(&fx_xsks, ctx->rx_queue_index, XDP_PASS);
	if (act != XDP_REDIRECT) {
		fx_count(FX_CNT_REDIRECT_FAIL);
		return XDP_PASS;
	}

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)) == 0) {
		void *data = (void *)(long)ctx->data;

		meta = (void *)(long)ctx->data_meta;
		if ((void *)(meta + 1) <= data) {
			meta->rx_ns = now;
			if (nic) {
				__u64 hw = 0;

				/* NIC clock + (CLOCK_MONOTONIC - NIC clock) */
				if (health && health->nic_ok &&
				    bpf_xdp_metadata_rx_timestamp(ctx, &hw) == 0 && hw) {
					meta->rx_ns = hw + (__u64)health->nic_to_mono_ns;
				} else {
					meta->rx_ns = 0;
					fx_count(FX_CNT_NIC_NOSTAMP);
				}
			}
			meta->magic = FX_META_MAGIC;
			meta->rx_queue = ctx->rx_queue_index;
		} else {
			fx_count(FX_CNT_META_FAIL);
		}
	} else {
		fx_count(FX_CNT_META_FAIL);
	}
	fx_count(FX_CNT_STEERED);
	return XDP_REDIRECT;
}

SEC("xdp")
int fx_xdp_steer(struct xdp_md *ctx)
{
	return fx_steer(ctx, 0);
}

/* --nic-stamps: loaded device-bound (BPF_F_XDP_DEV_BOUND_ONLY) instead of
 * fx_xdp_steer; without libxdp's dispatcher (see xdp_steer_nic.c). */
SEC("?xdp") /* "?": not loaded unless asked for (libbpf autoload off) */
int fx_xdp_nic(struct xdp_md *ctx)
{
	return fx_steer(ctx, 1);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Tests for the XDP program fx_xdp_steer alone, through BPF_PROG_TEST_RUN:
 * hand-built packets in, verdict, output bytes, counter deltas and flow-map
 * state out. No traffic: the only device touched is the loopback of a
 * private network namespace, where an AF_XDP socket is bound (not used) so
 * the XSKMAP can hold a real entry. */
#include "check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_xdp.h>
#include <linux/in.h>
#include <linux/in6.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "feedrx_bpf.h"
#include "feedrx_xdp.skel.h"

#define PKT_MAX 512
#define META_LEN ((int)sizeof(struct fx_xdp_meta))

static struct feedrx_xdp_bpf *skel;
static int prog_fd = -1, flows_fd = -1, xsks_fd = -1, cnt_fd = -1, health_fd = -1;
static int ncpus;
static char skip_why[256];

/* ---- packet builder ---- */

#define ETH_P_8021AD_ 0x88a8
#define ETH_P_8021Q_ 0x8100

struct spec {
	int family;      /* 4 or 6 */
	__u16 vlan[2];   /* TPIDs of up to two tags, 0 = none */
	__u16 ethertype; /* overrides the IP ethertype when set (ARP test) */
	int ihl;         /* IPv4 header words; 0 means 5 */
	__u8 ip_version; /* overrides the version nibble when set */
	__u16 frag_off;  /* IPv4 flags|offset, host order */
	int n_ext;       /* IPv6 extension headers, in order */
	__u8 ext[10];
	int ext_words[10]; /* hdrlen field of each generic ext header */
	__u16 v6_frag;     /* fragment header offset<<3 | M, host order */
	__u8 l4;           /* IPPROTO_*; 0 means TCP */
	__u8 tcp_flags;
	__u32 seq;
	int doff;     /* TCP header words; 0 means 5 */
	int payload;  /* TCP payload bytes */
	int pad;      /* Ethernet padding after the datagram */
	int tot_adj;  /* added to IPv4 tot_len / IPv6 payload_len */
	__u8 saddr[16], daddr[16];
	__u16 sport, dport; /* host order */
};

static const __u8 ex4[4] = { 198, 18, 0, 1 }, rx4[4] = { 198, 18, 0, 2 };
static const __u8 ex6[16] = { 0xfd, 0, 0xfe, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const __u8 rx6[16] = { 0xfd, 0, 0xfe, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

/* A data segment of the registered flow, exchange → receiver. */
static struct spec flow_spec(int family)
{
	struct spec s = { .family = family, .tcp_flags = FX_TCP_ACK | FX_TCP_PSH, .seq = 1000,
			  .payload = 32, .sport = 443, .dport = 40000 };

	memcpy(s.saddr, family == 4 ? ex4 : ex6, family == 4 ? 4 : 16);
	memcpy(s.daddr, family == 4 ? rx4 : rx6, family == 4 ? 4 : 16);
	return s;
}

static struct fx_flow_key spec_key(const struct spec *s)
{
	struct fx_flow_key k = { 0 };
	int alen = s->family == 4 ? 4 : 16;

	k.family = s->family == 4 ? FX_FAMILY_IPV4 : FX_FAMILY_IPV6;
	memcpy(k.saddr, s->saddr, alen);
	memcpy(k.daddr, s->daddr, alen);
	k.sport = htons(s->sport);
	k.dport = htons(s->dport);
	return k;
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static __u16 csum16(const __u8 *p, int len)
{
	__u32 sum = 0;
	int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* L4 header + payload at p; returns its length. */
static int build_l4(const struct spec *s, __u8 *p)
{
	__u8 l4 = s->l4 ? s->l4 : IPPROTO_TCP;
	int i, hl;

	if (l4 == IPPROTO_TCP) {
		int doff = s->doff ? s->doff : 5;

		hl = doff * 4;
		memset(p, 0, hl);
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put32(p + 4, s->seq);
		put32(p + 8, 77);
		p[12] = (__u8)(doff << 4);
		p[13] = s->tcp_flags;
		put16(p + 14, 65535);
		for (i = 20; i < hl; i++)
			p[i] = 1; /* NOP options */
	} else if (l4 == IPPROTO_UDP) {
		hl = 8;
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put16(p + 4, (__u16)(8 + s->payload));
		put16(p + 6, 0);
	} else { /* ICMP / ICMPv6 echo */
		hl = 8;
		memset(p, 0, 8);
		p[0] = l4 == IPPROTO_ICMP ? 8 : 128;
	}
	for (i = 0; i < s->payload; i++)
		p[hl + i] = (__u8)(i * 7);
	return hl + s->payload;
}

/* Whole frame into buf; returns its length. *hdrs gets the length up to the
 * end of the L4 header (what a parser must see before it can decide). */
static int build(const struct spec *s, __u8 *buf, int *hdrs)
{
	__u8 l4 = s->l4 ? s->l4 : IPPROTO_TCP;
	int off = 12, i, l4len;
	static const __u8 dmac[6] = { 2, 0, 0, 0, 0, 2 }, smac[6] = { 2, 0, 0, 0, 0, 1 };
	__u8 l4buf[PKT_MAX];

	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	for (i = 0; i < 2 && s->vlan[i]; i++) {
		put16(buf + off, s->vlan[i]);
		put16(buf + off + 2, 100 + i);
		off += 4;
	}
	put16(buf + off, s->ethertype ? s->ethertype : s->family == 4 ? ETH_P_IP : ETH_P_IPV6);
	off += 2;
	l4len = build_l4(s, l4buf);

	if (s->family == 4) {
		int ihl = s->ihl ? s->ihl : 5, hl = ihl * 4;

		memset(buf + off, 0, hl);
		buf[off] = (__u8)(((s->ip_version ? s->ip_version : 4) << 4) | (ihl & 0xf));
		put16(buf + off + 2, (__u16)(hl + l4len + s->tot_adj));
		put16(buf + off + 4, 0x1234);
		put16(buf + off + 6, s->frag_off);
		buf[off + 8] = 64;
		buf[off + 9] = l4;
		memcpy(buf + off + 12, s->saddr, 4);
		memcpy(buf + off + 16, s->daddr, 4);
		for (i = 20; i < hl; i++)
			buf[off + i] = 1; /* NOP options */
		put16(buf + off + 10, csum16(buf + off, hl));
		off += hl;
	} else {
		int plen_at = off + 4, nh_at = off + 6, start;

		memset(buf + off, 0, 40);
		buf[off] = (__u8)((s->ip_version ? s->ip_version : 6) << 4);
		buf[off + 7] = 64;
		memcpy(buf + off + 8, s->saddr, 16);
		memcpy(buf + off + 24, s->daddr, 16);
		off += 40;
		start = off;
		for (i = 0; i < s->n_ext; i++) {
			buf[nh_at] = s->ext[i];
			nh_at = off;
			if (s->ext[i] == IPPROTO_FRAGMENT) {
				memset(buf + off, 0, 8);
				put16(buf + off + 2, s->v6_frag);
				put32(buf + off + 4, 0xabcd);
				off += 8;
			} else {
				int len = (s->ext_words[i] + 1) * 8, j;

				memset(buf + off, 0, len);
				buf[off + 1] = (__u8)s->ext_words[i];
				/* One PadN option filling the rest. */
				buf[off + 2] = 1;
				buf[off + 3] = (__u8)(len - 4);
				for (j = 4; j < len; j++)
					buf[off + j] = 0;
				off += len;
			}
		}
		buf[nh_at] = l4;
		put16(buf + plen_at, (__u16)(off - start + l4len + s->tot_adj));
	}
	memcpy(buf + off, l4buf, l4len);
	*hdrs = off + (l4 == IPPROTO_TCP ? (s->doff ? s->doff : 5) * 4 : 8);
	off += l4len;
	memset(buf + off, 0, s->pad);
	return off + s->pad;
}

/* ---- running the program ---- */

struct result {
	int err;        /* bpf_prog_test_run_opts() */
	__u32 retval;   /* XDP verdict */
	__u8 out[PKT_MAX + 64];
	__u32 out_len;
	__u32 meta_len; /* ctx_out.data: metadata bytes in front of the packet */
	__s64 d[FX_CNT__MAX];
	__u64 t0, t1; /* CLOCK_MONOTONIC around the run */
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void counters(__u64 sums[FX_CNT__MAX])
{
	__u64 v[ncpus];
	__u32 i;
	int c;

	for (i = 0; i < FX_CNT__MAX; i++) {
		sums[i] = 0;
		if (bpf_map_lookup_elem(cnt_fd, &i, v))
			continue;
		for (c = 0; c < ncpus; c++)
			sums[i] += v[c];
	}
}

static void run(const __u8 *pkt, __u32 len, struct result *r)
{
	struct xdp_md ctx_in = { .data_end = len }, ctx_out = { 0 };
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o);
	__u64 before[FX_CNT__MAX], after[FX_CNT__MAX];
	int i;

	memset(r, 0, sizeof(*r));
	o.data_in = pkt;
	o.data_size_in = len;
	o.data_out = r->out;
	o.data_size_out = sizeof(r->out);
	o.ctx_in = &ctx_in;
	o.ctx_size_in = sizeof(ctx_in);
	o.ctx_out = &ctx_out;
	o.ctx_size_out = sizeof(ctx_out);
	o.repeat = 1;
	counters(before);
	r->t0 = mono_ns();
	r->err = bpf_prog_test_run_opts(prog_fd, &o) ? -errno : 0;
	r->t1 = mono_ns();
	counters(after);
	r->retval = o.retval;
	r->out_len = o.data_size_out;
	r->meta_len = ctx_out.data;
	for (i = 0; i < FX_CNT__MAX; i++)
		r->d[i] = (__s64)(after[i] - before[i]);
}

/* The counter deltas other than the named ones are all zero. */
static bool only(const struct result *r, int a, int b)
{
	int i;

	for (i = 0; i < FX_CNT__MAX; i++)
		if (i != a && i != b && r->d[i])
			return false;
	return true;
}

static void add_flow(const struct spec *s)
{
	struct fx_flow_key k = spec_key(s);
	struct fx_flow_val v = { 0 };

	bpf_map_update_elem(flows_fd, &k, &v, BPF_ANY);
}

static struct fx_flow_val get_flow(const struct spec *s)
{
	struct fx_flow_key k = spec_key(s);
	struct fx_flow_val v;

	memset(&v, 0xff, sizeof(v));
	bpf_map_lookup_elem(flows_fd, &k, &v);
	return v;
}

static void clear_flows(void)
{
	struct fx_flow_key k, next;

	while (!bpf_map_get_next_key(flows_fd, NULL, &next)) {
		k = next;
		bpf_map_delete_elem(flows_fd, &k);
	}
}

/* ---- an AF_XDP socket for the XSKMAP (bound to lo of our namespace) ---- */

static struct xsk_umem *umem;
static struct xsk_socket *xsk;
static void *umem_area;
static char xsk_why[256];

static void xsk_open(void)
{
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq, rx;
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = 0,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	size_t size = 64 * XSK_UMEM__DEFAULT_FRAME_SIZE;
	int err;

	umem_area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (umem_area == MAP_FAILED) {
		umem_area = NULL;
		snprintf(xsk_why, sizeof(xsk_why), "mmap: %s", strerror(errno));
		return;
	}
	err = xsk_umem__create(&umem, umem_area, size, &fq, &cq, NULL);
	if (err) {
		snprintf(xsk_why, sizeof(xsk_why), "xsk_umem__create: %s", strerror(-err));
		return;
	}
	err = xsk_socket__create(&xsk, "lo", 0, umem, &rx, NULL, &cfg);
	if (err) {
		xsk = NULL;
		snprintf(xsk_why, sizeof(xsk_why), "AF_XDP bind to lo queue 0: %s",
			 strerror(-err));
	}
}

static void xsk_close(void)
{
	if (xsk)
		xsk_socket__delete(xsk);
	if (umem)
		xsk_umem__delete(umem);
	if (umem_area)
		munmap(umem_area, 64 * XSK_UMEM__DEFAULT_FRAME_SIZE);
}

static void xsk_register(bool on)
{
	__u32 q = 0;
	int fd;

	if (!xsk)
		return;
	fd = xsk_socket__fd(xsk);
	if (on)
		bpf_map_update_elem(xsks_fd, &q, &fd, BPF_ANY);
	else
		bpf_map_delete_elem(xsks_fd, &q);
}

/* ---- cases ---- */

#define NEED_PROG()                                                                \
	do {                                                                       \
		if (prog_fd < 0) {                                                 \
			SKIP("%s", skip_why);                                      \
			return;                                                    \
		}                                                                  \
	} while (0)

/* A registered flow, no socket on the queue: verdict PASS, frame untouched,
 * REDIRECT_FAIL counted, flow packets/bytes updated. */
static void check_registered_fail_open(struct spec s)
{
	__u8 pkt[PKT_MAX];
	struct result r;
	struct fx_flow_val v;
	int hdrs, len;

	clear_flows();
	len = build(&s, pkt, &hdrs);
	add_flow(&s);
	run(pkt, (__u32)len, &r);
	REQUIRE(r.err == 0);
	CHECKF(r.retval == XDP_PASS, "verdict %u", r.retval);
	CHECK(r.d[FX_CNT_REDIRECT_FAIL] == 1 && only(&r, FX_CNT_REDIRECT_FAIL, -1));
	CHECK(r.out_len == (__u32)len && r.meta_len == 0 && !memcmp(r.out, pkt, len));
	v = get_flow(&s);
	CHECK(v.packets == 1 && v.bytes == (__u64)len);
	CHECK(v.flags == 0 && v.server_isn == 0);
	clear_flows();
}

static void ipv4_registered_flow_fails_open(void)
{
	NEED_PROG();
	check_registered_fail_open(flow_spec(4));
}

static void ipv6_registered_flow_fails_open(void)
{
	NEED_PROG();
	check_registered_fail_open(flow_spec(6));
}

static void vlan_tagged_flows_match(void)
{
	struct spec s;

	NEED_PROG();
	s = flow_spec(4);
	s.vlan[0] = ETH_P_8021Q_;
	check_registered_fail_open(s);
	s = flow_spec(6);
	s.vlan[0] = ETH_P_8021AD_;
	check_registered_fail_open(s);
}

static void ipv4_options_and_tcp_options(void)
{
	struct spec s;

	NEED_PROG();
	s = flow_spec(4);
	s.ihl = 15; /* 40 bytes of options */
	s.doff = 15;
	check_registered_fail_open(s);
	s = flow_spec(4);
	s.ihl = 6;
	s.pad = 18; /* Ethernet padding beyond tot_len is fine */
	check_registered_fail_open(s);
}

static void ipv6_extension_headers(void)
{
	struct spec s;

	NEED_PROG();
	s = flow_spec(6);
	s.n_ext = 3;
	s.ext[0] = IPPROTO_HOPOPTS;
	s.ext[1] = IPPROTO_ROUTING;
	s.ext_words[1] = 2; /* 24 bytes */
	s.ext[2] = IPPROTO_DSTOPTS;
	s.ext_words[2] = 1;
	check_registered_fail_open(s);
	/* An atomic fragment (offset 0, no M) is a whole datagram. */
	s = flow_spec(6);
	s.n_ext = 2;
	s.ext[0] = IPPROTO_HOPOPTS;
	s.ext[1] = IPPROTO_FRAGMENT;
	s.v6_frag = 0;
	check_registered_fail_open(s);
}

/* Expect exactly one increment of counter idx, verdict PASS, flow untouched. */
static void check_passed_as(struct spec s, int idx, bool register_it)
{
	__u8 pkt[PKT_MAX];
	struct result r;
	struct fx_flow_val v;
	struct spec reg = flow_spec(s.family);
	int hdrs, len;

	clear_flows();
	if (register_it)
		add_flow(&reg);
	len = build(&s, pkt, &hdrs);
	run(pkt, (__u32)len, &r);
	REQUIRE(r.err == 0);
	CHECKF(r.retval == XDP_PASS, "verdict %u", r.retval);
	CHECKF(r.d[idx] == 1 && only(&r, idx, -1), "counter %d delta %lld", idx,
	       (long long)r.d[idx]);
	CHECK(r.out_len == (__u32)len && r.meta_len == 0 && !memcmp(r.out, pkt, len));
	if (register_it) {
		v = get_flow(&reg);
		CHECK(v.packets == 0 && v.bytes == 0 && v.flags == 0);
	}
	clear_flows();
}

static void ipv6_fragments_pass(void)
{
	struct spec s;

	NEED_PROG();
	/* First fragment of several: carries TCP, still the kernel's. */
	s = flow_spec(6);
	s.n_ext = 1;
	s.ext[0] = IPPROTO_FRAGMENT;
	s.v6_frag = 1;
	check_passed_as(s, FX_CNT_FRAGMENT, true);
	/* Non-first (offset 8 units), payload shaped like our TCP header. */
	s.v6_frag = (8 << 3) | 1;
	check_passed_as(s, FX_CNT_FRAGMENT, true);
	s.v6_frag = 8 << 3; /* last fragment */
	check_passed_as(s, FX_CNT_FRAGMENT, true);
	/* After other extension headers too. */
	s.n_ext = 2;
	s.ext[0] = IPPROTO_DSTOPTS;
	s.ext[1] = IPPROTO_FRAGMENT;
	s.v6_frag = 16 << 3;
	check_passed_as(s, FX_CNT_FRAGMENT, true);
}

static void ipv4_fragments_pass(void)
{
	struct spec s;

	NEED_PROG();
	/* Non-first fragments whose payload looks like our TCP header. */
	s = flow_spec(4);
	s.frag_off = 1;
	check_passed_as(s, FX_CNT_FRAGMENT, true);
	s.frag_off = 0x2000 | 185;
	check_passed_as(s, FX_CNT_FRAGMENT, true);
	/* First fragment (MF, offset 0): passed too, see the program. */
	s.frag_off = 0x2000;
	check_passed_as(s, FX_CNT_FRAGMENT, true);
	/* DF is not a fragment. */
	s = flow_spec(4);
	s.frag_off = 0x4000;
	check_registered_fail_open(s);
}

static void ipv6_long_ext_chain_passes(void)
{
	struct spec s;
	int i;

	NEED_PROG();
	s = flow_spec(6);
	s.n_ext = 9;
	for (i = 0; i < 9; i++)
		s.ext[i] = IPPROTO_DSTOPTS;
	check_passed_as(s, FX_CNT_PASSED, true);
	s.n_ext = 8; /* the walk's bound: still found */
	check_registered_fail_open(s);
}

static void malformed_headers(void)
{
	struct spec s;

	NEED_PROG();
	s = flow_spec(4);
	s.ihl = 4; /* shorter than the fixed header */
	check_passed_as(s, FX_CNT_MALFORMED, true);
	s = flow_spec(4);
	s.ip_version = 6; /* IPv6 nibble in an IPv4 frame */
	check_passed_as(s, FX_CNT_MALFORMED, true);
	s = flow_spec(6);
	s.ip_version = 4;
	check_passed_as(s, FX_CNT_MALFORMED, true);
	s = flow_spec(4);
	s.tot_adj = 1; /* IP says one byte more than the frame has */
	check_passed_as(s, FX_CNT_MALFORMED, true);
	s = flow_spec(6);
	s.tot_adj = 1;
	check_passed_as(s, FX_CNT_MALFORMED, true);
	s = flow_spec(4);
	s.doff = 4; /* TCP data offset below 5 */
	check_passed_as(s, FX_CNT_MALFORMED, true);
	s = flow_spec(4);
	s.payload = 0;
	s.doff = 8;
	s.tot_adj = -12; /* TCP options reach past the IP datagram */
	s.pad = 12;
	check_passed_as(s, FX_CNT_MALFORMED, true);
	s = flow_spec(6);
	s.n_ext = 1;
	s.ext[0] = IPPROTO_HOPOPTS;
	s.ext_words[0] = 1;
	s.payload = 0;
	s.tot_adj = -28; /* extension header reaches past payload_len */
	s.pad = 28;
	check_passed_as(s, FX_CNT_MALFORMED, true);
}

static void qinq_and_foreign_ethertypes_pass(void)
{
	struct spec s;

	NEED_PROG();
	s = flow_spec(4);
	s.vlan[0] = ETH_P_8021AD_;
	s.vlan[1] = ETH_P_8021Q_;
	check_passed_as(s, FX_CNT_PASSED, true);
	s = flow_spec(4);
	s.ethertype = 0x0806; /* ARP */
	check_passed_as(s, FX_CNT_PASSED, true);
}

static void non_tcp_passes(void)
{
	struct spec s;

	NEED_PROG();
	s = flow_spec(4);
	s.l4 = IPPROTO_UDP;
	check_passed_as(s, FX_CNT_PASSED, true);
	s.l4 = IPPROTO_ICMP;
	check_passed_as(s, FX_CNT_PASSED, true);
	s = flow_spec(6);
	s.l4 = IPPROTO_UDP;
	check_passed_as(s, FX_CNT_PASSED, true);
	s.l4 = IPPROTO_ICMPV6;
	check_passed_as(s, FX_CNT_PASSED, true);
}

static void non_matching_tuple_passes(void)
{
	int fam, field;

	NEED_PROG();
	for (fam = 4; fam <= 6; fam += 2) {
		for (field = 0; field < 5; field++) {
			struct spec s = flow_spec(fam);
			int alen = fam == 4 ? 4 : 16;

			switch (field) {
			case 0:
				s.saddr[alen - 1] ^= 0x40;
				break;
			case 1:
				s.daddr[alen - 1] ^= 0x40;
				break;
			case 2:
				s.sport++;
				break;
			case 3:
				s.dport++;
				break;
			case 4: /* our own direction: receiver → exchange */
				memcpy(s.saddr, fam == 4 ? rx4 : rx6, alen);
				memcpy(s.daddr, fam == 4 ? ex4 : ex6, alen);
				s.sport = 40000;
				s.dport = 443;
				break;
			}
			check_passed_as(s, FX_CNT_PASSED, true);
			if (check__case_failed) {
				CHECKF(0, "family %d field %d", fam, field);
				return;
			}
		}
	}
	/* Same address bytes, other family: an IPv4 key never matches v6. */
	{
		struct spec s = flow_spec(6);

		memset(s.saddr, 0, 16);
		memset(s.daddr, 0, 16);
		memcpy(s.saddr, ex4, 4);
		memcpy(s.daddr, rx4, 4);
		check_passed_as(s, FX_CNT_PASSED, true);
	}
}

/* Truncate full frames at every length: never steered or matched, never a
 * crash, every run counted exactly once as malformed. The XSKMAP holds a
 * socket when one could be made, so a wrong match would show as REDIRECT. */
static void truncated_at_every_length(void)
{
	struct spec specs[6];
	int n = 0, i;
	__u32 len;

	NEED_PROG();
	specs[n++] = flow_spec(4);
	specs[n] = flow_spec(4);
	specs[n].vlan[0] = ETH_P_8021Q_;
	specs[n].ihl = 9;
	specs[n++].doff = 10;
	specs[n++] = flow_spec(6);
	specs[n] = flow_spec(6);
	specs[n].vlan[0] = ETH_P_8021AD_;
	specs[n].n_ext = 3;
	specs[n].ext[0] = IPPROTO_HOPOPTS;
	specs[n].ext[1] = IPPROTO_FRAGMENT;
	specs[n].ext[2] = IPPROTO_DSTOPTS;
	specs[n++].ext_words[2] = 3;
	specs[n] = flow_spec(4);
	specs[n++].tcp_flags = FX_TCP_SYN | FX_TCP_ACK;
	specs[n] = flow_spec(6);
	specs[n++].tcp_flags = FX_TCP_SYN | FX_TCP_ACK;

	xsk_register(true);
	for (i = 0; i < n; i++) {
		__u8 pkt[PKT_MAX];
		int hdrs, full = build(&specs[i], pkt, &hdrs);

		clear_flows();
		add_flow(&specs[i]);
		for (len = 0; len < (__u32)full; len++) {
			struct result r;
			struct fx_flow_val v;

			run(pkt, len, &r);
			if (len < ETH_HLEN && r.err == -EINVAL)
				continue; /* the kernel runs no XDP on such frames */
			CHECKF(r.err == 0, "spec %d len %u: test run %d", i, len, r.err);
			CHECKF(r.retval == XDP_PASS, "spec %d len %u: verdict %u", i, len,
			       r.retval);
			CHECKF(r.d[FX_CNT_MALFORMED] == 1 && only(&r, FX_CNT_MALFORMED, -1),
			       "spec %d len %u: malformed %lld steered %lld passed %lld", i, len,
			       (long long)r.d[FX_CNT_MALFORMED], (long long)r.d[FX_CNT_STEERED],
			       (long long)r.d[FX_CNT_PASSED]);
			v = get_flow(&specs[i]);
			CHECKF(v.packets == 0 && v.flags == 0, "spec %d len %u: flow touched", i,
			       len);
			if (check__case_failed)
				break;
		}
		/* And the full frame still matches. */
		{
			struct result r;

			run(pkt, (__u32)full, &r);
			CHECKF(r.err == 0 && get_flow(&specs[i]).packets == 1,
			       "spec %d: full frame not matched", i);
		}
		if (check__case_failed)
			break;
	}
	xsk_register(false);
	clear_flows();
}

static void synack_learns_isn(void)
{
	struct spec s;
	__u8 pkt[PKT_MAX];
	struct result r;
	struct fx_flow_val v;
	int hdrs, len, fam;

	NEED_PROG();
	for (fam = 4; fam <= 6; fam += 2) {
		clear_flows();
		s = flow_spec(fam);
		add_flow(&s);
		/* A bare SYN or a SYN-ACK-RST teaches nothing. */
		s.tcp_flags = FX_TCP_SYN;
		s.payload = 0;
		s.seq = 111;
		len = build(&s, pkt, &hdrs);
		run(pkt, (__u32)len, &r);
		s.tcp_flags = FX_TCP_SYN | FX_TCP_ACK | FX_TCP_RST;
		len = build(&s, pkt, &hdrs);
		run(pkt, (__u32)len, &r);
		v = get_flow(&s);
		CHECK(v.packets == 2 && !(v.flags & FX_FLOW_F_ISN_KNOWN));

		s.tcp_flags = FX_TCP_SYN | FX_TCP_ACK;
		s.seq = 0xfedcba98;
		s.doff = 10; /* with options, as real SYN-ACKs have */
		len = build(&s, pkt, &hdrs);
		run(pkt, (__u32)len, &r);
		REQUIRE(r.err == 0);
		CHECK(r.retval == XDP_PASS && r.d[FX_CNT_REDIRECT_FAIL] == 1);
		v = get_flow(&s);
		CHECKF(v.flags == FX_FLOW_F_ISN_KNOWN && v.server_isn == 0xfedcba98,
		       "family %d: flags %u isn %#x", fam, v.flags, v.server_isn);

		/* A plain ACK with data leaves the ISN alone. */
		s.tcp_flags = FX_TCP_ACK;
		s.seq = 0xfedcba99;
		s.payload = 100;
		s.doff = 5;
		len = build(&s, pkt, &hdrs);
		run(pkt, (__u32)len, &r);
		v = get_flow(&s);
		CHECK(v.server_isn == 0xfedcba98 && v.packets == 4);

		/* A second SYN-ACK (stale or forged) does not move it either. */
		s.tcp_flags = FX_TCP_SYN | FX_TCP_ACK;
		s.seq = 5;
		s.payload = 0;
		len = build(&s, pkt, &hdrs);
		run(pkt, (__u32)len, &r);
		v = get_flow(&s);
		CHECK(v.server_isn == 0xfedcba98 && v.flags == FX_FLOW_F_ISN_KNOWN);

		/* Re-registering (before a new connect) starts afresh. */
		add_flow(&s);
		v = get_flow(&s);
		CHECK(v.flags == 0 && v.server_isn == 0 && v.packets == 0);
	}
	clear_flows();
}

/* With a real AF_XDP socket in the XSKMAP the program redirects and puts
 * struct fx_xdp_meta in front of the frame. */
static void steered_into_registered_socket(void)
{
	const struct fx_xdp_meta *m;
	__u8 pkt[PKT_MAX];
	struct result r;
	struct spec s;
	int hdrs, len, fam;

	NEED_PROG();
	if (!xsk) {
		SKIP("no AF_XDP socket for the XSKMAP (%s)", xsk_why);
		return;
	}
	xsk_register(true);
	for (fam = 4; fam <= 6; fam += 2) {
		clear_flows();
		s = flow_spec(fam);
		add_flow(&s);
		len = build(&s, pkt, &hdrs);
		run(pkt, (__u32)len, &r);
		REQUIRE(r.err == 0);
		CHECKF(r.retval == XDP_REDIRECT, "verdict %u", r.retval);
		CHECK(r.d[FX_CNT_STEERED] == 1 && only(&r, FX_CNT_STEERED, -1));
		CHECKF(r.meta_len == META_LEN && r.out_len == (__u32)(len + META_LEN),
		       "meta %u out %u", r.meta_len, r.out_len);
		CHECK(!memcmp(r.out + META_LEN, pkt, len));
		m = (const struct fx_xdp_meta *)r.out;
		CHECK(m->magic == FX_META_MAGIC && m->rx_queue == 0);
		CHECKF(m->rx_ns >= r.t0 && m->rx_ns <= r.t1, "rx_ns not CLOCK_MONOTONIC");
		CHECK(get_flow(&s).packets == 1);

		/* Unregistered traffic is untouched even with a socket there. */
		s.sport = 444;
		len = build(&s, pkt, &hdrs);
		run(pkt, (__u32)len, &r);
		CHECK(r.retval == XDP_PASS && r.d[FX_CNT_PASSED] == 1 && r.meta_len == 0);
	}
	/* Socket gone: fail open again. */
	xsk_register(false);
	s = flow_spec(4);
	add_flow(&s);
	len = build(&s, pkt, &hdrs);
	run(pkt, (__u32)len, &r);
	CHECK(r.retval == XDP_PASS && r.d[FX_CNT_REDIRECT_FAIL] == 1 && r.meta_len == 0);
	clear_flows();
}

/* A receiver whose heartbeat is older than stale_ns gets nothing steered:
 * its flow goes to the kernel, counted as stale; a fresh heartbeat steers
 * again, and stale_ns 0 turns the check off. */
static void stale_receiver_fails_open(void)
{
	struct fx_health h = {0};
	__u32 zero = 0;
	__u8 pkt[PKT_MAX];
	struct result r;
	struct spec s;
	int hdrs, len;
	struct timespec ts;

	NEED_PROG();
	if (!xsk) {
		SKIP("no AF_XDP socket for the XSKMAP (%s)", xsk_why);
		return;
	}
	xsk_register(true);
	clear_flows();
	s = flow_spec(4);
	add_flow(&s);
	len = build(&s, pkt, &hdrs);

	h.alive_ns = 1; /* long ago */
	h.stale_ns = 100000000;
	REQUIRE(bpf_map_update_elem(health_fd, &zero, &h, BPF_ANY) == 0);
	run(pkt, (__u32)len, &r);
	CHECKF(r.retval == XDP_PASS, "verdict %u", r.retval);
	CHECK(r.d[FX_CNT_STALE] == 1 && only(&r, FX_CNT_STALE, -1) && r.meta_len == 0);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	h.alive_ns = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	REQUIRE(bpf_map_update_elem(health_fd, &zero, &h, BPF_ANY) == 0);
	run(pkt, (__u32)len, &r);
	CHECKF(r.retval == XDP_REDIRECT && r.d[FX_CNT_STEERED] == 1, "fresh heartbeat: %u",
	       r.retval);

	h.alive_ns = 1;
	h.stale_ns = 0;
	REQUIRE(bpf_map_update_elem(health_fd, &zero, &h, BPF_ANY) == 0);
	run(pkt, (__u32)len, &r);
	CHECKF(r.retval == XDP_REDIRECT && r.d[FX_CNT_STEERED] == 1, "check off: %u", r.retval);
	xsk_register(false);
	clear_flows();
}

static void setup(void)
{
	int err;

	if (geteuid() != 0) {
		snprintf(skip_why, sizeof(skip_why), "needs root to load BPF programs");
		return;
	}
	/* Our own namespace: the XSK binds to its loopback, not the host's. */
	if (unshare(CLONE_NEWNET)) {
		snprintf(skip_why, sizeof(skip_why), "unshare(CLONE_NEWNET): %s",
			 strerror(errno));
		return;
	}
	skel = feedrx_xdp_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(skip_why, sizeof(skip_why), "cannot load the XDP program: %s",
			 strerror(-err));
		return;
	}
	prog_fd = bpf_program__fd(skel->progs.fx_xdp_steer);
	flows_fd = bpf_map__fd(skel->maps.fx_flows);
	xsks_fd = bpf_map__fd(skel->maps.fx_xsks);
	cnt_fd = bpf_map__fd(skel->maps.fx_counters);
	health_fd = bpf_map__fd(skel->maps.fx_health);
	ncpus = libbpf_num_possible_cpus();
	xsk_open();
}

int main(void)
{
	setup();
	RUN(ipv4_registered_flow_fails_open);
	RUN(ipv6_registered_flow_fails_open);
	RUN(vlan_tagged_flows_match);
	RUN(ipv4_options_and_tcp_options);
	RUN(ipv6_extension_headers);
	RUN(ipv6_fragments_pass);
	RUN(ipv4_fragments_pass);
	RUN(ipv6_long_ext_chain_passes);
	RUN(malformed_headers);
	RUN(qinq_and_foreign_ethertypes_pass);
	RUN(non_tcp_passes);
	RUN(non_matching_tuple_passes);
	RUN(truncated_at_every_length);
	RUN(synack_learns_isn);
	RUN(steered_into_registered_socket);
	RUN(stale_receiver_fails_open);
	xsk_close();
	feedrx_xdp_bpf__destroy(skel);
	return check_exit();
}

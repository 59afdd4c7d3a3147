/* Tests for pkt_parse: every header variant the fast path meets, padding,
 * fragments, and truncation at every length. */
#include <arpa/inet.h>

#include "check.h"
#include "fast/pkt_parse.h"

struct pb {
	uint8_t b[256];
	size_t n;
};

static void put(struct pb *p, const void *d, size_t n)
{
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void put16(struct pb *p, uint16_t v)
{
	uint8_t x[2] = {v >> 8, v & 0xff};
	put(p, x, 2);
}

static void eth(struct pb *p, uint16_t proto, int vlan)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	put(p, macs, 12);
	if (vlan) {
		put16(p, 0x8100);
		put16(p, 42);
	}
	put16(p, proto);
}

/* TCP header: sport 9443 -> dport 40000, seq, flags, payload "hello" */
static void tcp(struct pb *p, uint32_t seq, uint8_t flags, int opts)
{
	uint8_t h[20] = {0x24, 0xe3, 0x9c, 0x40};
	h[4] = seq >> 24, h[5] = seq >> 16, h[6] = seq >> 8, h[7] = seq;
	h[12] = (uint8_t)((5 + opts) << 4);
	h[13] = flags;
	h[14] = 0xff, h[15] = 0xff;
	put(p, h, 20);
	for (int i = 0; i < opts; i++)
		put(p, "\x01\x01\x01\x01", 4);
	put(p, "hello", 5);
}

static size_t ipv4(struct pb *p, int opts, uint16_t frag, uint8_t proto)
{
	uint8_t h[20] = {0x45 + opts, 0};
	size_t at = p->n;
	h[6] = frag >> 8, h[7] = frag & 0xff;
	h[8] = 64, h[9] = proto;
	memcpy(h + 12, "\xc6\x12\x00\x01", 4);
	memcpy(h + 16, "\xc6\x12\x00\x02", 4);
	put(p, h, 20);
	for (int i = 0; i < opts; i++)
		put(p, "\x01\x01\x01\x01", 4);
	return at;
}

static void fix_ipv4_len(struct pb *p, size_t at)
{
	uint16_t tot = (uint16_t)(p->n - at);
	p->b[at + 2] = tot >> 8, p->b[at + 3] = tot & 0xff;
}

static size_t ipv6(struct pb *p, uint8_t nh)
{
	uint8_t h[40] = {0x60};
	size_t at = p->n;
	h[6] = nh, h[7] = 64;
	inet_pton(AF_INET6, "fd00:fee0::1", h + 8);
	inet_pton(AF_INET6, "fd00:fee0::2", h + 24);
	put(p, h, 40);
	return at;
}

static void fix_ipv6_len(struct pb *p, size_t at)
{
	uint16_t pl = (uint16_t)(p->n - at - 40);
	p->b[at + 4] = pl >> 8, p->b[at + 5] = pl & 0xff;
}

static void ipv4_plain(void)
{
	struct pb p = {0};
	struct pkt_tcp t;
	size_t at;

	eth(&p, 0x0800, 0);
	at = ipv4(&p, 0, 0x4000, 6);
	tcp(&p, 0xfffffff0u, FX_TCP_ACK | FX_TCP_PSH, 0);
	fix_ipv4_len(&p, at);
	REQUIRE(pkt_parse_tcp(p.b, p.n, &t) == PKT_OK);
	CHECK(t.key.family == FX_FAMILY_IPV4);
	CHECK(ntohs(t.key.sport) == 9443 && ntohs(t.key.dport) == 40000);
	CHECK(memcmp(t.key.saddr, "\xc6\x12\x00\x01", 4) == 0);
	CHECK(t.key.saddr[4] == 0 && t.key.daddr[15] == 0);
	CHECK(t.seq == 0xfffffff0u);
	CHECK(t.flags == (FX_TCP_ACK | FX_TCP_PSH));
	CHECK(t.payload_len == 5 && memcmp(t.payload, "hello", 5) == 0);
	CHECK(t.l3_off == 14 && t.l3_len == p.n - 14);
	CHECK(pkt_parse_l3_offset(p.b, p.n) == 14);
}

static void ipv4_vlan_options_padding(void)
{
	struct pb p = {0};
	struct pkt_tcp t;
	size_t at;

	eth(&p, 0x0800, 1);
	at = ipv4(&p, 2, 0, 6);
	tcp(&p, 7, FX_TCP_ACK, 3);
	fix_ipv4_len(&p, at);
	memset(p.b + p.n, 0xee, 20); /* Ethernet padding after the IP packet */
	p.n += 20;
	REQUIRE(pkt_parse_tcp(p.b, p.n, &t) == PKT_OK);
	CHECK(t.l3_off == 18);
	CHECK(t.payload_len == 5 && memcmp(t.payload, "hello", 5) == 0);
}

static void ipv4_fragments_and_other_protocols(void)
{
	struct pb p = {0};
	struct pkt_tcp t;
	size_t at;
	uint16_t frags[] = {0x2000 /* MF */, 0x0010 /* offset */, 0x2010};

	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		p.n = 0;
		eth(&p, 0x0800, 0);
		at = ipv4(&p, 0, frags[i], 6);
		tcp(&p, 1, FX_TCP_ACK, 0);
		fix_ipv4_len(&p, at);
		CHECK(pkt_parse_tcp(p.b, p.n, &t) == PKT_E_NOT_TCP);
	}
	p.n = 0;
	eth(&p, 0x0800, 0);
	at = ipv4(&p, 0, 0, 17);
	tcp(&p, 1, 0, 0);
	fix_ipv4_len(&p, at);
	CHECK(pkt_parse_tcp(p.b, p.n, &t) == PKT_E_NOT_TCP);
	p.n = 0;
	eth(&p, 0x0806, 0);
	put(&p, "arp arp arp arp arp arp arp arp", 28);
	CHECK(pkt_parse_tcp(p.b, p.n, &t) == PKT_E_NOT_IP);
}

static void ipv6_with_extension_headers(void)
{
	struct pb p = {0};
	struct pkt_tcp t;
	size_t at;
	static const uint8_t hbh[8] = {60, 0, 1, 4, 0, 0, 0, 0};   /* -> dstopts */
	static const uint8_t dst[16] = {44, 1, 1, 12};             /* -> fragment, 16 bytes */
	static const uint8_t frag_atomic[8] = {6, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t frag_later[8] = {6, 0, 0, 0x08, 0, 0, 0, 1};

	eth(&p, 0x86dd, 1);
	at = ipv6(&p, 0);
	put(&p, hbh, 8);
	put(&p, dst, 16);
	put(&p, frag_atomic, 8);
	tcp(&p, 99, FX_TCP_SYN | FX_TCP_ACK, 1);
	fix_ipv6_len(&p, at);
	REQUIRE(pkt_parse_tcp(p.b, p.n, &t) == PKT_OK);
	CHECK(t.key.family == FX_FAMILY_IPV6);
	CHECK(t.seq == 99 && t.flags == (FX_TCP_SYN | FX_TCP_ACK));
	CHECK(t.payload_len == 5 && memcmp(t.payload, "hello", 5) == 0);

	p.n = 0;
	eth(&p, 0x86dd, 0);
	at = ipv6(&p, 44);
	put(&p, frag_later, 8);
	tcp(&p, 1, FX_TCP_ACK, 0);
	fix_ipv6_len(&p, at);
	CHECK(pkt_parse_tcp(p.b, p.n, &t) == PKT_E_NOT_TCP);
}

/* Every prefix of a valid frame is rejected (never read past the end). */
static void truncation_at_every_length(void)
{
	struct pb p4 = {0}, p6 = {0};
	struct pkt_tcp t;
	size_t at, full4, full6;
	uint8_t *copy;

	eth(&p4, 0x0800, 1);
	at = ipv4(&p4, 1, 0, 6);
	tcp(&p4, 1, FX_TCP_ACK, 1);
	fix_ipv4_len(&p4, at);
	full4 = p4.n;
	eth(&p6, 0x86dd, 0);
	at = ipv6(&p6, 0);
	put(&p6, "\x06\x00\x01\x04\x00\x00\x00\x00", 8);
	tcp(&p6, 1, FX_TCP_ACK, 0);
	fix_ipv6_len(&p6, at);
	full6 = p6.n;
	for (size_t n = 0; n < full4; n++) {
		copy = malloc(n ? n : 1); /* exact-size heap copy: ASan catches over-reads */
		memcpy(copy, p4.b, n);
		CHECKF(pkt_parse_tcp(copy, n, &t) < 0, "ipv4 prefix %zu accepted", n);
		free(copy);
	}
	for (size_t n = 0; n < full6; n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, p6.b, n);
		CHECKF(pkt_parse_tcp(copy, n, &t) < 0, "ipv6 prefix %zu accepted", n);
		free(copy);
	}
	CHECK(pkt_parse_tcp(p4.b, full4, &t) == PKT_OK);
	CHECK(pkt_parse_tcp(p6.b, full6, &t) == PKT_OK);
}

static void impossible_headers(void)
{
	struct pb p = {0};
	struct pkt_tcp t;
	size_t at;

	eth(&p, 0x0800, 0);
	at = ipv4(&p, 0, 0, 6);
	tcp(&p, 1, FX_TCP_ACK, 0);
	fix_ipv4_len(&p, at);
	p.b[14] = 0x44; /* IHL 16 bytes */
	CHECK(pkt_parse_tcp(p.b, p.n, &t) == PKT_E_MALFORMED);
	p.b[14] = 0x45;
	p.b[14 + 20 + 12] = 0x40; /* TCP data offset 16 bytes */
	CHECK(pkt_parse_tcp(p.b, p.n, &t) == PKT_E_MALFORMED);
	CHECK(strcmp(fx_strerror(PKT_E_MALFORMED), "malformed header") == 0);
}

/* IPv6 payload lengths near 65,535: the packet (40 + plen bytes) is longer
 * than 16 bits hold, and the TCP payload must still end where the frame
 * does. Each frame is an exactly-sized heap block, so ASan sees any read
 * past it. */
static void ipv6_jumbo_sized_payload(void)
{
	static const uint16_t plens[] = {65495, 65496, 65500, 65535};

	for (size_t k = 0; k < sizeof(plens) / sizeof(plens[0]); k++) {
		for (int ext = 0; ext < 2; ext++) {
			size_t plen = plens[k], n = 14 + 40 + plen;
			uint8_t *f = malloc(n);
			struct pb h = {0};
			struct pkt_tcp t;

			REQUIRE(f);
			memset(f, 'x', n);
			eth(&h, 0x86dd, 0);
			ipv6(&h, ext ? 0 : 6);
			if (ext) /* hop-by-hop options, 8 bytes, then TCP */
				put(&h, "\x06\x00\x01\x04\x00\x00\x00\x00", 8);
			tcp(&h, 1, FX_TCP_ACK, 0);
			h.n -= 5; /* the payload is the 'x' filling the frame */
			h.b[18] = (uint8_t)(plen >> 8), h.b[19] = (uint8_t)plen;
			memcpy(f, h.b, h.n);
			int rc = pkt_parse_tcp(f, n, &t);
			CHECKF(rc == PKT_OK, "plen %zu ext %d: %d", plen, ext, rc);
			CHECKF(t.l3_len == 40 + plen, "plen %zu: l3_len %u", plen, (unsigned)t.l3_len);
			CHECKF(t.payload_len == plen - 20 - 8 * ext, "plen %zu ext %d: payload %u",
			       plen, ext, t.payload_len);
			CHECK(t.payload == f + h.n);
			CHECK(pkt_parse_tcp(f, n - 1, &t) == PKT_E_TRUNCATED);
			free(f);
		}
	}
}

int main(void)
{
	RUN(ipv4_plain);
	RUN(ipv4_vlan_options_padding);
	RUN(ipv4_fragments_and_other_protocols);
	RUN(ipv6_with_extension_headers);
	RUN(truncation_at_every_length);
	RUN(impossible_headers);
	RUN(ipv6_jumbo_sized_payload);
	return check_exit();
}

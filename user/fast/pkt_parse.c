/* pkt_parse — Ethernet/VLAN/IPv4/IPv6/TCP parsing over a bounds-checked
 * cursor, mirroring what the XDP program accepts. */
#include "pkt_parse.h"

#include <string.h>

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define IPPROTO_TCP_ 6
#define IPV6_MAX_EXT 8

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int pkt_parse_l3_offset(const uint8_t *frame, size_t len)
{
	size_t off = 14;
	uint16_t proto;

	if (len < off)
		return PKT_E_TRUNCATED;
	proto = rd16(frame + 12);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		if (len < off + 4)
			return PKT_E_TRUNCATED;
		proto = rd16(frame + 16);
		off += 4;
	}
	if (proto != ETH_P_IPV4 && proto != ETH_P_IPV6)
		return PKT_E_NOT_IP;
	return (int)off;
}

/* IPv4 header at p (len bytes left): fills addresses, returns the TCP
 * header offset from p or an error. */
static int parse_ipv4(const uint8_t *p, size_t len, struct pkt_tcp *out)
{
	size_t ihl;
	uint16_t tot, frag;

	if (len < 20)
		return PKT_E_TRUNCATED;
	if (p[0] >> 4 != 4)
		return PKT_E_MALFORMED;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = rd16(p + 2);
	if (ihl < 20 || tot < ihl)
		return PKT_E_MALFORMED;
	if (len < tot)
		return PKT_E_TRUNCATED;
	frag = rd16(p + 6);
	/* any fragment (offset or more-fragments) cannot be parsed alone */
	if ((frag & 0x1fff) || (frag & 0x2000))
		return PKT_E_NOT_TCP;
	if (p[9] != IPPROTO_TCP_)
		return PKT_E_NOT_TCP;
	out->key.family = FX_FAMILY_IPV4;
	memcpy(out->key.saddr, p + 12, 4);
	memcpy(out->key.daddr, p + 16, 4);
	out->l3_len = tot;
	return (int)ihl;
}

static int parse_ipv6(const uint8_t *p, size_t len, struct pkt_tcp *out)
{
	size_t off = 40, plen;
	uint8_t nh;
	int i;

	if (len < 40)
		return PKT_E_TRUNCATED;
	if (p[0] >> 4 != 6)
		return PKT_E_MALFORMED;
	plen = rd16(p + 4);
	if (len < 40 + plen)
		return PKT_E_TRUNCATED;
	nh = p[6];
	for (i = 0; i < IPV6_MAX_EXT; i++) {
		if (nh == IPPROTO_TCP_)
			break;
		if (nh == 0 || nh == 43 || nh == 60) { /* hop-by-hop, routing, dstopts */
			if (40 + plen < off + 8)
				return PKT_E_TRUNCATED;
			nh = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
		} else if (nh == 44) { /* fragment: only an atomic one holds all of TCP */
			if (40 + plen < off + 8)
				return PKT_E_TRUNCATED;
			if (rd16(p + off + 2) & 0xfff9)
				return PKT_E_NOT_TCP;
			nh = p[off];
			off += 8;
		} else {
			return PKT_E_NOT_TCP;
		}
	}
	if (nh != IPPROTO_TCP_)
		return PKT_E_NOT_TCP;
	if (off > 40 + plen)
		return PKT_E_TRUNCATED;
	out->key.family = FX_FAMILY_IPV6;
	memcpy(out->key.saddr, p + 8, 16);
	memcpy(out->key.daddr, p + 24, 16);
	out->l3_len = (uint32_t)(40 + plen); /* the fixed header is not in plen */
	return (int)off;
}

int pkt_parse_tcp(const uint8_t *frame, size_t len, struct pkt_tcp *out)
{
	const uint8_t *ip, *th;
	size_t iplen, doff, tcplen;
	int l3, l4;

	memset(out, 0, sizeof(*out));
	l3 = pkt_parse_l3_offset(frame, len);
	if (l3 < 0)
		return l3;
	ip = frame + l3;
	iplen = len - (size_t)l3;
	if (iplen < 1)
		return PKT_E_TRUNCATED;
	if (ip[0] >> 4 == 4)
		l4 = parse_ipv4(ip, iplen, out);
	else if (ip[0] >> 4 == 6)
		l4 = parse_ipv6(ip, iplen, out);
	else
		return PKT_E_MALFORMED;
	if (l4 < 0)
		return l4;
	/* from here on only the IP packet's own length counts (frames may be padded) */
	tcplen = out->l3_len - (size_t)l4;
	th = ip + l4;
	if (tcplen < 20)
		return PKT_E_TRUNCATED;
	doff = (size_t)(th[12] >> 4) * 4;
	if (doff < 20)
		return PKT_E_MALFORMED;
	if (tcplen < doff)
		return PKT_E_TRUNCATED;
	memcpy(&out->key.sport, th, 2);
	memcpy(&out->key.dport, th + 2, 2);
	out->seq = rd32(th + 4);
	out->ack = rd32(th + 8);
	out->flags = th[13] & 0x3f;
	out->window = rd16(th + 14);
	out->l3_off = (uint16_t)l3;
	out->payload = th + doff;
	out->payload_len = (uint32_t)(tcplen - doff);
	return PKT_OK;
}


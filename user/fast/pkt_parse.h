/* pkt_parse — user-space parsing of the frames AF_XDP hands us: Ethernet
 * (one optional VLAN tag), IPv4 (options) or IPv6 (extension headers), TCP.
 * Produces the flow key (as include/feedrx_bpf.h defines it), the TCP
 * sequence number, flags and payload. Bounds-checked like the XDP program. */
#ifndef FEEDRX_PKT_PARSE_H
#define FEEDRX_PKT_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/fx_err.h"
#include "feedrx_bpf.h"

struct pkt_tcp {
	struct fx_flow_key key; /* saddr/sport = sender of this packet */
	uint32_t seq;           /* host byte order */
	uint32_t ack;
	uint16_t window;        /* raw, unscaled */
	uint8_t flags;          /* FX_TCP_* */
	uint16_t l3_off;        /* IP header offset in the frame */
	uint32_t l3_len;        /* IP packet length (IPv6: 40 + payload length, up to 65,575) */
	const uint8_t *payload;
	uint32_t payload_len;
};

enum pkt_parse_err {
	PKT_OK = 0,
	PKT_E_TRUNCATED = -FX_E_PKT_TRUNCATED, /* shorter than its headers say */
	PKT_E_NOT_IP = -FX_E_PKT_NOT_IP,       /* not IPv4/IPv6 */
	PKT_E_NOT_TCP = -FX_E_PKT_NOT_TCP,     /* another transport, or a non-first fragment */
	PKT_E_MALFORMED = -FX_E_PKT_MALFORMED, /* impossible header values */
};

/* Parse an Ethernet frame. Returns PKT_OK or a negative pkt_parse_err
 * (fx_strerror() has its text). */
int pkt_parse_tcp(const uint8_t *frame, size_t len, struct pkt_tcp *out);

/* Offset of the IP header in an Ethernet frame (after one optional VLAN
 * tag), or a negative pkt_parse_err. */
int pkt_parse_l3_offset(const uint8_t *frame, size_t len);

#endif

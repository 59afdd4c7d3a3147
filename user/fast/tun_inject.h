/* tun_inject — hands every frame the fast path took off the AF_XDP ring back
 * to the kernel (docs/ARCHITECTURE.md §3): its IP packet is written into a TUN device
 * (IFF_TUN | IFF_NO_PI), the kernel finds the socket by its 4-tuple and
 * ACKs, opens the window and tears down as if XDP had passed the frame.
 * Owns the device, its reverse-path filter setting and the counters.
 *
 * Reverse-path filtering (IPv4): the source of a re-injected packet, the
 * exchange, is routed via the NIC, not via the TUN, so strict rp_filter
 * drops it. The kernel applies max(conf/all, conf/<dev>), so setting the
 * device to 2 (loose) suffices whatever `all` says, and `all` is never
 * touched. But loose only passes on a device that has an IPv4 address (on
 * an address-less device every check but "off" fails), so the device gets
 * the IPv4 dummy address 192.0.0.8/32 (RFC 7600), scope host, no prefix
 * route. When packets would still be dropped (a setting refused, or left
 * alone on request), tun_inject__new fails with TUN_INJECT_E_RPF and a
 * message saying what to run. accept_local is not needed: the source is
 * the remote exchange, never a local address. IPv6 has no rp_filter (only
 * netfilter's rpfilter match, which this module does not inspect).
 *
 * Writes are non-blocking and never retried: a packet the kernel refuses is
 * counted and reported, and TCP recovers it by itself: never ACKed, the
 * segment is retransmitted by the exchange, steered again, and re-injected. */
#ifndef FEEDRX_TUN_INJECT_H
#define FEEDRX_TUN_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/fx_err.h"

#define TUN_INJECT_E_RPF (-FX_E_TUN_RPF) /* rp_filter on the device would drop what we write */

struct tun_inject;

struct tun_inject_config {
	const char *name; /* device name; NULL: "fxtun%d", the kernel picks a free one */
	int rp_filter;	  /* written to net.ipv4.conf.<dev>.rp_filter: 2 loose (default),
			     0 off; -1 leaves the inherited value */
	bool ipv4_dummy;  /* give the device 192.0.0.8/32 so loose mode passes (default) */
};

struct tun_inject_stats {
	uint64_t packets;    /* IP packets written */
	uint64_t bytes;	     /* their IP length */
	uint64_t bad_frames; /* no whole IPv4/IPv6 packet in the frame: not written */
	uint64_t eagain;     /* refused for now (EAGAIN, ENOBUFS, ENOMEM): not written */
	uint64_t errors;     /* other write failures: not written */
};

void tun_inject_defaults(struct tun_inject_config *cfg);

/* Create the device, bring it up, give it the dummy address, set rp_filter.
 * 0 or a negative code; on failure a one-line explanation goes to why (if
 * not NULL). */
int tun_inject__new(struct tun_inject **out, const struct tun_inject_config *cfg,
		    struct fx_error *why);
void tun_inject__free(struct tun_inject *t);

const char *tun_inject__name(const struct tun_inject *t);
int tun_inject__fd(const struct tun_inject *t);

/* Re-inject one L2 frame (Ethernet, one optional VLAN tag): its IP packet,
 * trimmed to the IP header's length (Ethernet padding dropped). 0 or a
 * negative code (-EPROTO: no IP packet in it); every failure is counted. */
int tun_inject__write(struct tun_inject *t, const void *frame, size_t len);
/* The same for a packet that already starts at its IP header. */
int tun_inject__write_ip(struct tun_inject *t, const void *pkt, size_t len);
/* Re-inject n L2 frames; returns how many were written (failures counted).
 * One write() per packet: a TUN fd takes exactly one packet per write, and
 * user space has no multi-packet write for it. */
unsigned tun_inject__write_batch(struct tun_inject *t, const struct iovec *frames, unsigned n);

void tun_inject__stats(const struct tun_inject *t, struct tun_inject_stats *out);

/* Effective IPv4 rp_filter of dev, max(all, dev): 0 off, 1 strict, 2 loose;
 * all and devval get the two settings when non-NULL. Or -errno. */
int tun_inject_rp_filter(const char *dev, int *all, int *devval);

#endif

/* xdp_steer — loads and attaches the XDP program fx_xdp_steer
 * (bpf/feedrx_xdp.bpf.c) on one interface and owns its maps: the flow table
 * (which 4-tuples go to AF_XDP), the XSKMAP (where AF_XDP sockets register)
 * and the per-CPU counters. Attaches through libxdp so other XDP programs
 * can share the device; removes a leftover feedrx program from a receiver
 * that died without detaching.
 *
 * libxdp uses its multiprog dispatcher (so other XDP programs can share the
 * device) only where bpffs is mounted at /sys/fs/bpf (or $LIBXDP_BPFFS) and
 * the kernel lets it load freplace programs; otherwise it attaches the
 * program directly. `ip netns exec` remounts /sys, so inside it bpffs is
 * absent unless mounted: feedrx then runs without the dispatcher, which is
 * fine when it is the device's only XDP program.
 *
 * Messages go through core/fx_log (libbpf's and libxdp's at FX_LOG_DEBUG).
 * Set-up/tear-down calls are not thread-safe and not async-signal-safe:
 * close from the loop's signal watcher or normal teardown, not a signal
 * handler. */
#ifndef FEEDRX_XDP_STEER_H
#define FEEDRX_XDP_STEER_H

#include <stdbool.h>
#include <sys/socket.h>
#include <linux/types.h>

#include "core/fx_err.h"
#include "feedrx_bpf.h"
#include "fast_types.h" /* enum xdp_steer_mode */

struct xdp_steer;

/* Load fx_xdp_steer and attach it to ifname. First removes a feedrx program
 * left attached there by a receiver that died (a warning); refuses
 * with -EBUSY if a live process still holds it, and with -EEXIST if a
 * foreign XDP program occupies the device without libxdp's dispatcher.
 * Logs one line (FX_LOG_WARN) saying which mode and attachment was obtained.
 * Returns 0 and *out, or a negative errno (-ENODEV: no such interface,
 * -EPERM: not allowed to load BPF, -EOPNOTSUPP: mode not supported) with
 * "cannot attach XDP on <ifname>: <why>" in err (if not NULL). */
int xdp_steer__open(struct xdp_steer **out, const char *ifname, enum xdp_steer_mode mode,
		    struct fx_error *err);

/* --nic-stamps: the next xdp_steer__open loads fx_xdp_nic instead, device-
 * bound to the interface (no libxdp dispatcher; native mode only), which
 * stamps arrival with the NIC's RX hardware timestamp moved onto
 * CLOCK_MONOTONIC (xdp_steer_nic.h). Open fails with a clear error where the
 * kernel, the driver or a PTP hardware clock is missing. Process-wide. */
void xdp_steer_want_nic_stamps(bool on);
/* True when s stamps arrival with NIC timestamps. NULL-safe. */
bool xdp_steer__nic_stamps(const struct xdp_steer *s);
/* The same with --transport tap when tap_ring_bytes > 0 (a power of two,
 * a multiple of the page size): the program copies each frame of a
 * registered flow into its ring buffer (struct fx_tap_rec) and passes the
 * original; nothing is redirected. 0 = xdp_steer__open. */
int xdp_steer__open_tap(struct xdp_steer **out, const char *ifname, enum xdp_steer_mode mode,
			__u32 tap_ring_bytes, struct fx_error *err);
/* tap: the ring buffer map's fd (mmap it, poll it), or -EINVAL. */
int xdp_steer__tap_ring_fd(const struct xdp_steer *s);
/* tap: copies the program could not make, all flows (a plain load from
 * the mmapped fx_tap_state; 0 in redirect mode). Which flow: its
 * fx_flow_val.tap_lost (xdp_steer__flow). */
__u64 xdp_steer__tap_lost(const struct xdp_steer *s);

/* Detach the program, close the maps and free s. NULL-safe; call it on
 * every exit path (a process that dies without it leaves a program that
 * fails open, and the next xdp_steer__open removes it). AF_XDP sockets
 * registered in the XSKMAP stay valid until closed, but nothing is steered
 * to them any more. */
void xdp_steer__close(struct xdp_steer *s);

/* The mode obtained: XDP_STEER_MODE_NATIVE or XDP_STEER_MODE_SKB. */
enum xdp_steer_mode xdp_steer__mode(const struct xdp_steer *s);
/* True when attached through libxdp's multiprog dispatcher (other XDP
 * programs can share the device), false when attached directly. */
bool xdp_steer__multiprog(const struct xdp_steer *s);
int xdp_steer__ifindex(const struct xdp_steer *s);
/* Kernel id of our program (the component program under a dispatcher). */
__u32 xdp_steer__prog_id(const struct xdp_steer *s);

/* Register a flow with zeroed state (packets, bytes, ISN unknown); replaces
 * an existing entry, so call it before every connect(). Returns 0, -E2BIG
 * when FX_MAX_FLOWS flows are registered, or another negative errno. */
int xdp_steer__add_flow(struct xdp_steer *s, const struct fx_flow_key *key);
/* Remove a flow: its segments go to the kernel again. 0 or -ENOENT. */
int xdp_steer__del_flow(struct xdp_steer *s, const struct fx_flow_key *key);
/* Read a flow's state (ISN once FX_FLOW_F_ISN_KNOWN, packet counts).
 * 0 or -ENOENT. */
int xdp_steer__flow(const struct xdp_steer *s, const struct fx_flow_key *key,
		    struct fx_flow_val *val);

/* Entries in the flow map now, read from the kernel: >= 0 or -errno. */
int xdp_steer__flow_count(const struct xdp_steer *s);

/* The XSKMAP fd, indexed by RX queue, for xsk_socket__update_xskmap(). */
int xdp_steer__xsks_fd(const struct xdp_steer *s);

/* Counters summed over all CPUs into sums[FX_CNT__MAX]. 0 or negative errno. */
int xdp_steer__counters(const struct xdp_steer *s, __u64 sums[FX_CNT__MAX]);

/* Fill key for a TCP connection from its local and remote addresses (what
 * getsockname() and the connect() target give). The key is as packets
 * arrive: source = remote (exchange), destination = local. IPv4-mapped IPv6
 * addresses on both sides give an IPv4 key. Returns 0, -EAFNOSUPPORT,
 * -EINVAL (mixed families) or -EADDRNOTAVAIL (wildcard address or port 0:
 * bind() to the real local address first). */
int xdp_steer_flow_key_from_sockaddrs(struct fx_flow_key *key, const struct sockaddr *local,
				      const struct sockaddr *remote);

/* Same for a socket that is bound (to a concrete address) and connected. */
int xdp_steer_flow_key_from_fd(struct fx_flow_key *key, int fd);

/* Liveness (struct fx_health): with stale_ns > 0, frames of registered flows
 * go to the kernel whenever the last heartbeat is older than stale_ns. Call
 * xdp_steer__heartbeat from the receiver's loop well within that. 0 or
 * -EOPNOTSUPP (the map could not be mmapped: no liveness check). */
int xdp_steer__set_stale(struct xdp_steer *s, __u64 stale_ns, __u64 now_ns);
/* With --nic-stamps it also re-samples CLOCK_MONOTONIC - PHC, once a second. */
void xdp_steer__heartbeat(struct xdp_steer *s, __u64 now_ns);

#endif

/* xdp_steer_nic — NIC arrival stamps for the XDP program (feedrx
 * --nic-stamps), apart from xdp_steer.c's default path.
 *
 * The driver's RX hardware timestamp is read in XDP through the RX-metadata
 * kfunc bpf_xdp_metadata_rx_timestamp(), which the kernel only lets a
 * device-bound program call (loaded with BPF_F_XDP_DEV_BOUND_ONLY for one
 * ifindex). Such a program cannot be a component under libxdp's dispatcher,
 * so it is attached directly, as the device's only XDP program, in native
 * mode. The NIC stamps in its PTP hardware clock (PHC), which is not
 * CLOCK_MONOTONIC: user space samples CLOCK_MONOTONIC - PHC into fx_health
 * and the program adds it, so every stamp in lat_stats stays one clock.
 * A device without a PHC (veth, most virtual devices) cannot be related to
 * CLOCK_MONOTONIC: set-up fails with a clear error, never a silent mix. */
#ifndef FEEDRX_XDP_STEER_NIC_H
#define FEEDRX_XDP_STEER_NIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xdp_steer_names.h"

struct bpf_object;


/* Before load: load fx_xdp_nic (device-bound to ifindex) instead of the
 * default program. 0 or a negative errno (-ENOENT: no such program). */
int xdp_steer_nic_prepare(struct bpf_object *obj, int ifindex);

/* The PTP hardware clock of ifname (ETHTOOL_GET_TS_INFO), opened: its fd in
 * *fd. 0, -ENODEV (the device has none) or another negative errno. */
int xdp_steer_nic_phc_open(const char *ifname, int *fd, int *phc_index);

/* CLOCK_MONOTONIC - PHC in ns, from the tightest of a few bracketed reads.
 * 0 or a negative errno. */
int xdp_steer_nic_offset(int phc_fd, int64_t *off_ns);

#endif

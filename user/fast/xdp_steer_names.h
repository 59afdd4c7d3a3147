/* xdp_steer_names — the names of fx_xdp_steer's programs (bpf/feedrx_xdp.bpf.c),
 * shared by the loader and its NIC-stamp variant. */
#ifndef FEEDRX_XDP_STEER_NAMES_H
#define FEEDRX_XDP_STEER_NAMES_H

#define XDP_STEER_PROG_NAME "fx_xdp_steer"
#define XDP_STEER_NIC_PROG_NAME "fx_xdp_nic"

#endif

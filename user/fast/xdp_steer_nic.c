/* xdp_steer_nic — NIC arrival stamps: the device-bound program, the PTP
 * hardware clock and its offset to CLOCK_MONOTONIC (see xdp_steer_nic.h). */
#include "xdp_steer_nic.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "xdp_steer_names.h"

#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6) /* linux/bpf.h, kernel 6.3 */
#endif

/* a dynamic POSIX clock from a /dev/ptpN fd (clock_gettime(2)) */
#define FD_TO_CLOCKID(fd) ((~(clockid_t)(fd) << 3) | 3)

int xdp_steer_nic_prepare(struct bpf_object *obj, int ifindex)
{
	struct bpf_program *def = bpf_object__find_program_by_name(obj, XDP_STEER_PROG_NAME);
	struct bpf_program *nic = bpf_object__find_program_by_name(obj, XDP_STEER_NIC_PROG_NAME);
	int err;

	if (!def || !nic)
		return -ENOENT;
	err = bpf_program__set_autoload(def, false);
	if (!err)
		err = bpf_program__set_autoload(nic, true);
	if (!err)
		err = bpf_program__set_flags(nic, bpf_program__flags(nic) | BPF_F_XDP_DEV_BOUND_ONLY);
	if (err)
		return err < 0 ? err : -EINVAL;
	bpf_program__set_ifindex(nic, (__u32)ifindex);
	return 0;
}

int xdp_steer_nic_phc_open(const char *ifname, int *fd, int *phc_index)
{
	struct ethtool_ts_info info = {.cmd = ETHTOOL_GET_TS_INFO};
	struct ifreq ifr;
	char dev[32];
	int s, r;

	*fd = -1;
	*phc_index = -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	r = ioctl(s, SIOCETHTOOL, &ifr);
	r = r < 0 ? -errno : 0;
	close(s);
	if (r == -EOPNOTSUPP)
		return -ENODEV;
	if (r)
		return r;
	if (info.phc_index < 0)
		return -ENODEV;
	*phc_index = info.phc_index;
	snprintf(dev, sizeof(dev), "/dev/ptp%d", info.phc_index);
	*fd = open(dev, O_RDONLY | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

int xdp_steer_nic_offset(int phc_fd, int64_t *off_ns)
{
	int64_t best_gap = INT64_MAX;

	/* mono, PHC, mono: the PHC read is taken to sit halfway; the pair with
	 * the shortest bracket (the fewest interruptions) wins */
	for (int i = 0; i < 5; i++) {
		struct timespec a, p, b;
		int64_t gap;

		if (clock_gettime(CLOCK_MONOTONIC, &a) || clock_gettime(FD_TO_CLOCKID(phc_fd), &p) ||
		    clock_gettime(CLOCK_MONOTONIC, &b))
			return -errno;
		gap = ts_ns(&b) - ts_ns(&a);
		if (gap < best_gap) {
			best_gap = gap;
			*off_ns = ts_ns(&a) + gap / 2 - ts_ns(&p);
		}
	}
	return 0;
}

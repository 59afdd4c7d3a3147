/* xdp_steer — loader for the XDP program fx_xdp_steer: opens the bpftool
 * skeleton, hands its bpf_object to libxdp (which loads it, under its
 * multiprog dispatcher when bpffs is available, directly otherwise), removes
 * leftovers of receivers that died, and gives the rest of feedrx typed
 * access to the flow table, the XSKMAP and the counters. */
#include "xdp_steer.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <sys/mman.h>

#include "core/fx_log.h"
#include "feedrx_xdp.skel.h"
#include "xdp_steer_nic.h" /* --nic-stamps */

#define XDP_STEER_PROG_NAME "fx_xdp_steer"

struct xdp_steer {
	struct feedrx_xdp_bpf *skel;
	struct xdp_program *prog;
	enum xdp_attach_mode attach_mode; /* libxdp's view, for detach */
	bool attached;
	bool multiprog;
	int ifindex;
	__u32 prog_id;
	char ifname[IF_NAMESIZE];
	int flows_fd;
	int xsks_fd;
	int counters_fd;
	struct fx_health *health; /* the fx_health entry, mmapped */
	__u32 tap_bytes;          /* --transport tap: ring buffer size; 0 = redirect */
	struct fx_tap_state *tap_state; /* mmapped (tap only) */
	int ncpus;
	__u64 *percpu; /* ncpus slots, for summing one counter */
	/* --nic-stamps (xdp_steer_nic.h) */
	bool nic;
	int phc_fd, phc_index;
	__u64 nic_sync_ns; /* CLOCK_MONOTONIC of the last offset sample */
};

/* --nic-stamps: set before xdp_steer__open (see xdp_steer.h). */
static bool want_nic_stamps;

void xdp_steer_want_nic_stamps(bool on)
{
	want_nic_stamps = on;
}

/* What an attach failure means here: the errno's own text is too vague. */
static const char *xdp_steer_explain(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -ENODEV:
		return "no such network interface";
	case -EPERM:
	case -EACCES:
		return "not allowed to load or attach BPF programs (needs CAP_BPF, CAP_PERFMON and "
		       "CAP_NET_ADMIN; CAP_SYS_ADMIN to remove a leftover)";
	case -EOPNOTSUPP:
		return "XDP mode not supported by this device";
	case -EEXIST:
		return "another XDP program is attached to the device without libxdp's dispatcher";
	case -EBUSY:
		return "the device's XDP program is in use by a live process";
	case -E2BIG:
		return "flow table full";
	case -ENOENT:
		return "no such flow";
	case -EADDRNOTAVAIL:
		return "socket address is a wildcard or has port 0";
	default:
		return fx_strerror(err);
	}
}

static const char *xdp_steer_mode_name(enum xdp_attach_mode m)
{
	switch (m) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "generic (SKB)";
	case XDP_MODE_HW:
		return "offloaded";
	default:
		return "unknown";
	}
}

static bool xdp_steer_bpffs_present(void)
{
	const char *dir = getenv(XDP_BPFFS_ENVVAR);
	struct statfs st;

	if (statfs(dir ? dir : "/sys/fs/bpf", &st) < 0)
		return false;
	return (unsigned long)st.f_type == (unsigned long)BPF_FS_MAGIC;
}

/* Does fdinfo text name this program id? */
static bool xdp_steer_fdinfo_has_prog(int dirfd, const char *fd, __u32 prog_id)
{
	char buf[1024], want[32];
	ssize_t n;
	int f;

	f = openat(dirfd, fd, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return false;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return false;
	buf[n] = 0;
	snprintf(want, sizeof(want), "prog_id:\t%u\n", prog_id);
	return strstr(buf, want) != NULL;
}

/* A process (other than us) holding an fd of this program: a live receiver.
 * Attachment and bpffs pins hold no fd, so a SIGKILLed receiver's program
 * is held by nobody. Returns the pid or 0. */
static pid_t xdp_steer_prog_holder(__u32 prog_id)
{
	pid_t self = getpid(), found = 0;
	struct dirent *pe, *fe;
	char path[64], link[64];
	DIR *proc, *fds;

	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (!found && (pe = readdir(proc))) {
		char *end;
		long pid = strtol(pe->d_name, &end, 10);
		int infofd;

		if (*end || pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fdinfo", pid);
		infofd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		while (infofd >= 0 && !found && (fe = readdir(fds))) {
			ssize_t n = readlinkat(dirfd(fds), fe->d_name, link, sizeof(link) - 1);

			if (n <= 0)
				continue;
			link[n] = 0;
			if (strcmp(link, "anon_inode:bpf-prog"))
				continue;
			if (xdp_steer_fdinfo_has_prog(infofd, fe->d_name, prog_id))
				found = (pid_t)pid;
		}
		if (infofd >= 0)
			close(infofd);
		closedir(fds);
	}
	closedir(proc);
	return found;
}

static bool xdp_steer_is_ours(const struct xdp_program *p)
{
	const char *name = p ? xdp_program__name(p) : NULL;

	return name && (!strcmp(name, XDP_STEER_PROG_NAME) || !strcmp(name, XDP_STEER_NIC_PROG_NAME));
}

/* Remove one leftover feedrx program from ifindex. Returns 1 if one was
 * removed, 0 if there is none, or a negative errno. */
static int xdp_steer_remove_one_leftover(int ifindex, const char *ifname)
{
	struct xdp_program *p = NULL, *it;
	struct xdp_multiprog *mp;
	bool legacy;
	pid_t holder;
	__u32 id;
	int err;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = (int)libxdp_get_error(mp);
	if (err == -ENOENT || (!err && !mp))
		return 0;
	if (err == -EPERM || err == -EACCES) {
		/* a program is attached; naming it takes BPF_PROG_GET_FD_BY_ID */
		fx_log(FX_LOG_ERROR,
		       "%s already has an XDP program and telling whether it is a leftover "
		       "of a killed feedrx needs CAP_SYS_ADMIN (or remove it: ip link set "
		       "dev %s xdp off)",
		       ifname, ifname);
		return err;
	}
	if (err) {
		fx_log(FX_LOG_ERROR, "cannot inspect XDP programs on %s: %s%s", ifname,
		       strerror(-err),
		       err == -EPERM ? " (a program is attached; looking at it takes "
				       "CAP_SYS_ADMIN: remove it with ip link set dev IF xdp off)"
				     : "");
		return err;
	}
	legacy = xdp_multiprog__is_legacy(mp);
	if (legacy) {
		it = xdp_multiprog__main_prog(mp);
		if (xdp_steer_is_ours(it)) {
			p = it;
		} else if (it) {
			/* libxdp cannot add to a program attached without its
			 * dispatcher, and we never remove someone else's. */
			fx_log(FX_LOG_ERROR,
			       "%s already has XDP program '%s' (id %u) attached "
			       "without libxdp's dispatcher; feedrx will not replace it",
				ifname, xdp_program__name(it) ? xdp_program__name(it) : "?",
				xdp_program__id(it));
			err = -EEXIST;
			goto out;
		}
	} else {
		for (it = xdp_multiprog__next_prog(NULL, mp); it && !p;
		     it = xdp_multiprog__next_prog(it, mp))
			if (xdp_steer_is_ours(it))
				p = it;
	}
	if (!p) {
		err = 0;
		goto out;
	}
	id = xdp_program__id(p);
	holder = xdp_steer_prog_holder(id);
	if (holder) {
		fx_log(FX_LOG_ERROR,
		       "%s already has XDP program %s (id %u) held by live process %d; "
		       "refusing to remove it (stop that receiver first)",
			ifname, XDP_STEER_PROG_NAME, id, (int)holder);
		err = -EBUSY;
		goto out;
	}
	/* WARN: shown by default, something unusual happened to the device */
	fx_log(FX_LOG_WARN,
	       "removing leftover XDP program %s (id %u) from %s: a receiver exited "
	       "without detaching it",
		XDP_STEER_PROG_NAME, id, ifname);
	if (legacy)
		err = xdp_multiprog__detach(mp);
	else
		err = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
	if (err) {
		fx_log(FX_LOG_ERROR, "cannot remove leftover program from %s: %s", ifname,
		       strerror(-err));
		goto out;
	}
	err = 1;
out:
	xdp_multiprog__close(mp);
	return err;
}

static int xdp_steer_remove_leftovers(int ifindex, const char *ifname)
{
	int i, err;

	/* Normally one; a bound in case something keeps re-attaching. */
	for (i = 0; i < 16; i++) {
		err = xdp_steer_remove_one_leftover(ifindex, ifname);
		if (err <= 0)
			return err;
	}
	return -EBUSY;
}

static void xdp_steer_unload(struct xdp_steer *s)
{
	xdp_program__close(s->prog); /* does not close the skeleton's object */
	s->prog = NULL;
	feedrx_xdp_bpf__destroy(s->skel);
	s->skel = NULL;
}

/* Open a fresh skeleton and attach it in one mode. A failed attach may have
 * loaded the object already, so every attempt starts from scratch. */
static int xdp_steer_try_attach(struct xdp_steer *s, enum xdp_attach_mode mode)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts);
	int err;

	s->skel = feedrx_xdp_bpf__open();
	if (!s->skel)
		return -errno;
	if (s->tap_bytes) {
		s->skel->rodata->fx_cfg_tap = 1;
		err = bpf_map__set_max_entries(s->skel->maps.fx_tap_ring, s->tap_bytes);
		if (err)
			goto err_unload;
	}
	opts.obj = s->skel->obj;
	opts.prog_name = XDP_STEER_PROG_NAME;
	if (s->nic) {
		err = xdp_steer_nic_prepare(s->skel->obj, s->ifindex);
		if (err)
			goto err_unload;
		opts.prog_name = XDP_STEER_NIC_PROG_NAME;
	}
	s->prog = xdp_program__create(&opts);
	err = (int)libxdp_get_error(s->prog);
	if (err) {
		s->prog = NULL;
		goto err_unload;
	}
	if (s->nic) {
		/* a device-bound program cannot be a dispatcher component */
		const char *was = getenv("LIBXDP_SKIP_DISPATCHER");
		char keep[16];

		snprintf(keep, sizeof(keep), "%s", was ? was : "");
		setenv("LIBXDP_SKIP_DISPATCHER", "1", 1);
		err = xdp_program__attach(s->prog, s->ifindex, mode, 0);
		if (was)
			setenv("LIBXDP_SKIP_DISPATCHER", keep, 1);
		else
			unsetenv("LIBXDP_SKIP_DISPATCHER");
	} else {
		err = xdp_program__attach(s->prog, s->ifindex, mode, 0);
	}
	if (err)
		goto err_unload;
	s->attach_mode = mode;
	s->attached = true;
	return 0;

err_unload:
	xdp_steer_unload(s);
	return err;
}

static void xdp_steer_describe(struct xdp_steer *s)
{
	const char *why = fx_log_libxdp_dispatcher_why();
	char how[200];

	if (s->multiprog)
		snprintf(how, sizeof(how), "under libxdp's multiprog dispatcher");
	else if (s->nic && s->phc_index >= 0)
		snprintf(how, sizeof(how), "directly, device-bound for NIC RX timestamps from "
					   "PHC /dev/ptp%d (--nic-stamps: no dispatcher)", s->phc_index);
	else if (s->nic)
		snprintf(how, sizeof(how), "directly, device-bound for NIC RX timestamps, no PHC "
					   "(test knob; --nic-stamps: no dispatcher)");
	else if (!xdp_steer_bpffs_present())
		snprintf(how, sizeof(how), "directly (no bpffs at /sys/fs/bpf, so no dispatcher: "
					   "other XDP programs cannot share the device)");
	else if (getenv("LIBXDP_SKIP_DISPATCHER"))
		snprintf(how, sizeof(how), "directly (LIBXDP_SKIP_DISPATCHER is set: other XDP "
					   "programs cannot share the device)");
	else
		snprintf(how, sizeof(how), "directly (libxdp's dispatcher failed its check on this "
					   "kernel: %s; other XDP programs cannot share the device)",
			 why ? why : "reason not given");
	/* INFO (-v): the mode obtained is in feedrx's "fast path:" line */
	fx_log(FX_LOG_INFO, "XDP program %s (id %u) attached to %s (ifindex %d) in %s mode, %s",
	       s->nic ? XDP_STEER_NIC_PROG_NAME : XDP_STEER_PROG_NAME, s->prog_id, s->ifname, s->ifindex,
	       xdp_steer_mode_name(s->attach_mode), how);
}

/* Remove leftovers, then attach in the mode asked for (with the fallback). */
static int xdp_steer_attach(struct xdp_steer *s, enum xdp_steer_mode mode)
{
	struct xdp_multiprog *mp;
	int err;

	err = xdp_steer_remove_leftovers(s->ifindex, s->ifname);
	if (err)
		return err;

	switch (mode) {
	case XDP_STEER_MODE_SKB:
		err = xdp_steer_try_attach(s, XDP_MODE_SKB);
		break;
	case XDP_STEER_MODE_NATIVE:
		err = xdp_steer_try_attach(s, XDP_MODE_NATIVE);
		break;
	case XDP_STEER_MODE_AUTO:
		err = xdp_steer_try_attach(s, XDP_MODE_NATIVE);
		/* Fall back only when the driver is the problem, not when a
		 * foreign program or missing privileges are. */
		/* (--nic-stamps: a device-bound program runs in native mode only) */
		if (err && !s->nic && err != -EEXIST && err != -EBUSY && err != -EPERM &&
		    err != -EACCES) {
			fx_log(FX_LOG_WARN, "WARNING: native XDP refused on %s (%s).", s->ifname,
			       strerror(-err));
			fx_log(FX_LOG_WARN,
			       "WARNING: falling back to GENERIC (SKB) XDP: the kernel "
			       "builds an skb for every packet before the program runs and "
			       "AF_XDP copies each frame, so the fast path loses most of its "
			       "advantage. Use a driver with native XDP, or --mode kernel.");
			err = xdp_steer_try_attach(s, XDP_MODE_SKB);
		}
		break;
	default:
		err = -EINVAL;
	}
	if (err)
		return err;
	mp = xdp_multiprog__get_from_ifindex(s->ifindex);
	if (!libxdp_get_error(mp) && mp) {
		s->multiprog = !xdp_multiprog__is_legacy(mp);
		xdp_multiprog__close(mp);
	}
	return 0;
}

/* --nic-stamps, once the device-bound program is attached: the NIC's PHC
 * and the first CLOCK_MONOTONIC - PHC offset; until nic_ok is set the
 * program stamps nothing. On failure: detached, freed, a clear error. */
static int xdp_steer_nic_start(struct xdp_steer *s, struct fx_error *e)
{
	int64_t off = 0;
	int err;

	if (!s->health) {
		err = -EOPNOTSUPP;
		fx_error_set(e, err, "cannot attach XDP on %s: --nic-stamps: the fx_health map "
				     "cannot be mmapped (no clock offset for the program)", s->ifname);
		goto fail;
	}
	/* tests only (veth has no PHC): take the NIC's stamps as CLOCK_MONOTONIC,
	 * to run the device-bound program's data path */
	if (getenv("FEEDRX_TEST_NIC_NO_PHC")) {
		fx_log(FX_LOG_WARN, "warning: FEEDRX_TEST_NIC_NO_PHC: NIC stamps taken as "
				    "CLOCK_MONOTONIC (a test knob, not a measurement)");
		goto ok;
	}
	err = xdp_steer_nic_phc_open(s->ifname, &s->phc_fd, &s->phc_index);
	if (err == -ENODEV) {
		fx_error_set(e, err, "cannot attach XDP on %s: --nic-stamps: the device-bound "
				     "program with the RX-timestamp kfunc loaded, but %s has no PTP "
				     "hardware clock (ethtool -T %s) to relate its stamps to "
				     "CLOCK_MONOTONIC; run without --nic-stamps (arrival: "
				     "bpf_ktime_get_ns)", s->ifname, s->ifname, s->ifname);
		goto fail;
	}
	if (!err)
		err = xdp_steer_nic_offset(s->phc_fd, &off);
	if (err) {
		fx_error_set(e, err, "cannot attach XDP on %s: --nic-stamps: PTP hardware clock "
				     "/dev/ptp%d: %s", s->ifname, s->phc_index, strerror(-err));
		goto fail;
	}
ok:
	s->health->nic_to_mono_ns = off;
	__atomic_store_n(&s->health->nic_ok, 1, __ATOMIC_RELEASE);
	return 0;
fail:
	if (s->phc_fd >= 0)
		close(s->phc_fd);
	s->phc_fd = -1;
	xdp_steer__close(s);
	return err;
}

bool xdp_steer__nic_stamps(const struct xdp_steer *s)
{
	return s && s->nic;
}

int xdp_steer__open(struct xdp_steer **out, const char *ifname, enum xdp_steer_mode mode,
		    struct fx_error *e)
{
	return xdp_steer__open_tap(out, ifname, mode, 0, e);
}

int xdp_steer__open_tap(struct xdp_steer **out, const char *ifname, enum xdp_steer_mode mode,
			__u32 tap_ring_bytes, struct fx_error *e)
{
	struct xdp_steer *s;
	int err, ncpus;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return fx_error_set(e, -ENOMEM, "cannot attach XDP on %s: out of memory",
				    ifname ? ifname : "?");
	s->tap_bytes = tap_ring_bytes;
	s->flows_fd = s->xsks_fd = s->counters_fd = -1;
	s->phc_fd = s->phc_index = -1;
	s->nic = want_nic_stamps;
	if (!ifname || strlen(ifname) >= sizeof(s->ifname)) {
		err = -ENODEV;
		goto err_free;
	}
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	s->ifindex = (int)if_nametoindex(ifname);
	if (!s->ifindex) {
		err = -ENODEV;
		goto err_free;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		err = ncpus ? ncpus : -EINVAL;
		goto err_free;
	}
	s->ncpus = ncpus;
	s->percpu = calloc((size_t)ncpus, sizeof(*s->percpu));
	if (!s->percpu) {
		err = -ENOMEM;
		goto err_free;
	}

	fx_log_route_bpf();
	err = xdp_steer_attach(s, mode);
	if (err)
		goto err_free;
	s->prog_id = xdp_program__id(s->prog);
	s->flows_fd = bpf_map__fd(s->skel->maps.fx_flows);
	s->xsks_fd = bpf_map__fd(s->skel->maps.fx_xsks);
	s->counters_fd = bpf_map__fd(s->skel->maps.fx_counters);
	/* the heartbeat is a plain store into this page, no syscall */
	s->health = mmap(NULL, sizeof(struct fx_health), PROT_READ | PROT_WRITE, MAP_SHARED,
			 bpf_map__fd(s->skel->maps.fx_health), 0);
	if (s->health == MAP_FAILED)
		s->health = NULL; /* no liveness check: steering still works */
	if (s->nic && (err = xdp_steer_nic_start(s, e)) < 0)
		return err;
	if (s->tap_bytes) {
		/* without it a lost copy would go unnoticed: refuse */
		s->tap_state = mmap(NULL, sizeof(struct fx_tap_state), PROT_READ | PROT_WRITE,
				    MAP_SHARED, bpf_map__fd(s->skel->maps.fx_tap_state), 0);
		if (s->tap_state == MAP_FAILED) {
			err = -errno;
			s->tap_state = NULL;
			xdp_steer__close(s);
			return fx_error_set(e, err, "cannot map the tap transport's state on %s: %s",
					    ifname, strerror(-err));
		}
	}
	xdp_steer_describe(s);
	*out = s;
	return 0;

err_free:
	if (s->nic && err != -ENODEV && err != -EEXIST && err != -EBUSY)
		fx_error_set(e, err, "cannot attach XDP on %s: --nic-stamps: the device-bound "
				     "program with the RX-timestamp kfunc did not load or attach in "
				     "native mode (needs kernel 6.3+ and a driver with XDP RX "
				     "metadata; -v -v shows the verifier's words): %s",
			     ifname ? ifname : "?", xdp_steer_explain(err));
	else
		fx_error_set(e, err, "cannot attach XDP on %s: %s", ifname ? ifname : "?",
			     xdp_steer_explain(err));
	free(s->percpu);
	free(s);
	return err;
}

static int xdp_steer_detach_direct(struct xdp_steer *s)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = xdp_program__fd(s->prog));
	__u32 flags = XDP_FLAGS_REPLACE;

	if (s->attach_mode == XDP_MODE_NATIVE)
		flags |= XDP_FLAGS_DRV_MODE;
	else if (s->attach_mode == XDP_MODE_SKB)
		flags |= XDP_FLAGS_SKB_MODE;
	else if (s->attach_mode == XDP_MODE_HW)
		flags |= XDP_FLAGS_HW_MODE;
	return bpf_xdp_detach(s->ifindex, flags, &opts);
}

void xdp_steer__close(struct xdp_steer *s)
{
	int err;

	if (!s)
		return;
	if (s->attached) {
		/* Directly attached: one netlink request, allowed by CAP_NET_ADMIN
		 * alone (libxdp's detach first reads the program by id, which
		 * needs CAP_SYS_ADMIN), and only if our program is still the one
		 * attached. Under a dispatcher, libxdp's. */
		err = s->multiprog ? xdp_program__detach(s->prog, s->ifindex, s->attach_mode, 0)
				   : xdp_steer_detach_direct(s);
		if (err)
			fx_log(FX_LOG_ERROR,
			       "cannot detach XDP program from %s: %s (the next start "
			       "removes it)",
			       s->ifname, strerror(-err));
		s->attached = false;
	}
	if (s->health)
		munmap(s->health, sizeof(struct fx_health));
	if (s->phc_fd >= 0)
		close(s->phc_fd);
	if (s->tap_state)
		munmap(s->tap_state, sizeof(struct fx_tap_state));
	xdp_steer_unload(s);
	free(s->percpu);
	free(s);
}

int xdp_steer__set_stale(struct xdp_steer *s, __u64 stale_ns, __u64 now_ns)
{
	if (!s->health)
		return -EOPNOTSUPP;
	s->health->alive_ns = now_ns;
	__atomic_store_n(&s->health->stale_ns, stale_ns, __ATOMIC_RELEASE);
	return 0;
}

void xdp_steer__heartbeat(struct xdp_steer *s, __u64 now_ns)
{
	if (s->health)
		__atomic_store_n(&s->health->alive_ns, now_ns, __ATOMIC_RELEASE);
	/* --nic-stamps: follow the PHC's drift against CLOCK_MONOTONIC */
	if (s->nic && s->health && s->phc_fd >= 0 && now_ns - s->nic_sync_ns >= 1000000000ull) {
		int64_t off;

		s->nic_sync_ns = now_ns;
		if (!xdp_steer_nic_offset(s->phc_fd, &off))
			__atomic_store_n(&s->health->nic_to_mono_ns, off, __ATOMIC_RELAXED);
	}
}

enum xdp_steer_mode xdp_steer__mode(const struct xdp_steer *s)
{
	return s->attach_mode == XDP_MODE_SKB ? XDP_STEER_MODE_SKB : XDP_STEER_MODE_NATIVE;
}

bool xdp_steer__multiprog(const struct xdp_steer *s)
{
	return s->multiprog;
}

int xdp_steer__ifindex(const struct xdp_steer *s)
{
	return s->ifindex;
}

__u32 xdp_steer__prog_id(const struct xdp_steer *s)
{
	return s->prog_id;
}

int xdp_steer__add_flow(struct xdp_steer *s, const struct fx_flow_key *key)
{
	struct fx_flow_val val = { 0 };

	return bpf_map_update_elem(s->flows_fd, key, &val, BPF_ANY) ? -errno : 0;
}

int xdp_steer__del_flow(struct xdp_steer *s, const struct fx_flow_key *key)
{
	return bpf_map_delete_elem(s->flows_fd, key) ? -errno : 0;
}

int xdp_steer__flow(const struct xdp_steer *s, const struct fx_flow_key *key,
		    struct fx_flow_val *val)
{
	return bpf_map_lookup_elem(s->flows_fd, key, val) ? -errno : 0;
}

int xdp_steer__flow_count(const struct xdp_steer *s)
{
	struct fx_flow_key k, next;
	const void *prev = NULL;
	int n = 0;

	while (bpf_map_get_next_key(s->flows_fd, prev, &next) == 0) {
		if (++n > FX_MAX_FLOWS)
			return -EOVERFLOW; /* the map changed under the walk */
		k = next;
		prev = &k;
	}
	return errno == ENOENT ? n : -errno;
}

int xdp_steer__xsks_fd(const struct xdp_steer *s)
{
	return s->xsks_fd;
}

int xdp_steer__counters(const struct xdp_steer *s, __u64 sums[FX_CNT__MAX])
{
	__u32 i;
	int c;

	for (i = 0; i < FX_CNT__MAX; i++) {
		if (bpf_map_lookup_elem(s->counters_fd, &i, s->percpu))
			return -errno;
		sums[i] = 0;
		for (c = 0; c < s->ncpus; c++)
			sums[i] += s->percpu[c];
	}
	return 0;
}

/* Family, address bytes and port of one side; v4-mapped IPv6 counts as IPv4. */
static int xdp_steer_sockaddr_side(const struct sockaddr *sa, __u8 *family, __u8 addr[16],
				   __be16 *port)
{
	static const __u8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(addr, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		*family = FX_FAMILY_IPV4;
		memcpy(addr, &sin->sin_addr, 4);
		*port = sin->sin_port;
		if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
			return -EADDRNOTAVAIL;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		*port = sin6->sin6_port;
		if (!memcmp(&sin6->sin6_addr, v4mapped, sizeof(v4mapped))) {
			*family = FX_FAMILY_IPV4;
			memcpy(addr, (const __u8 *)&sin6->sin6_addr + 12, 4);
			if (!memcmp(addr, "\0\0\0\0", 4))
				return -EADDRNOTAVAIL;
		} else {
			*family = FX_FAMILY_IPV6;
			memcpy(addr, &sin6->sin6_addr, 16);
			if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
				return -EADDRNOTAVAIL;
		}
	} else {
		return -EAFNOSUPPORT;
	}
	return *port ? 0 : -EADDRNOTAVAIL;
}

int xdp_steer_flow_key_from_sockaddrs(struct fx_flow_key *key, const struct sockaddr *local,
				      const struct sockaddr *remote)
{
	__u8 lfam, rfam;
	int err;

	memset(key, 0, sizeof(*key));
	/* Packets come from the exchange: remote is the source. */
	err = xdp_steer_sockaddr_side(remote, &rfam, key->saddr, &key->sport);
	if (!err)
		err = xdp_steer_sockaddr_side(local, &lfam, key->daddr, &key->dport);
	if (!err && lfam != rfam)
		err = -EINVAL;
	if (err) {
		memset(key, 0, sizeof(*key));
		return err;
	}
	key->family = rfam;
	return 0;
}

int xdp_steer_flow_key_from_fd(struct fx_flow_key *key, int fd)
{
	struct sockaddr_storage local, remote;
	socklen_t llen = sizeof(local), rlen = sizeof(remote);

	if (getsockname(fd, (struct sockaddr *)&local, &llen) ||
	    getpeername(fd, (struct sockaddr *)&remote, &rlen))
		return -errno;
	return xdp_steer_flow_key_from_sockaddrs(key, (struct sockaddr *)&local,
						 (struct sockaddr *)&remote);
}

int xdp_steer__tap_ring_fd(const struct xdp_steer *s)
{
	return s->tap_bytes ? bpf_map__fd(s->skel->maps.fx_tap_ring) : -EINVAL;
}

__u64 xdp_steer__tap_lost(const struct xdp_steer *s)
{
	return s->tap_state ? __atomic_load_n(&s->tap_state->lost, __ATOMIC_ACQUIRE) : 0;
}

/* Tests for xsk_rx on a real veth pair with two RX queues. The process
 * makes its own namespaces (unshare): a private mount namespace with a
 * fresh /sys (so libxdp finds no host bpffs), the receiver's network
 * namespace and the exchange's; the veth joins those two, nothing touches
 * the host. UDP from ordinary sockets on the exchange side is received
 * through AF_XDP in copy mode (veth has no zero-copy). Ring tests let libxdp
 * attach its default redirect-all program; the metadata test loads a small
 * fixture program of its own that writes struct fx_xdp_meta the way the
 * contract says, and registers the sockets through xsk_rx__update_xskmap. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fast/tun_inject.h"
#include "fast/xsk_rx.h"

#define RX_IF "veth-rx"
/* No IPv6 on the pair: router solicitations and MLD reports sent seconds
 * after link-up would reach a redirect-everything program's socket as
 * frames that are not the test's (seen once, on a slow sanitizer run). */
#define NO_IPV6(dev) "{ echo 1 > /proc/sys/net/ipv6/conf/" dev "/disable_ipv6; } 2>/dev/null; "
#define NQ 2
#define NFLOWS 32
#define DPORT 9000
#define SPORT0 41000
#define PAY_MAGIC 0x46585431u /* "FXT1" */

static int rx_ns = -1, ex_ns = -1;
static char skip_why[256];
static int tx_fd[NFLOWS];

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "aa:bb:..." of ifname in the current namespace. */
static int mac_of(const char *ifname, char *out, size_t len)
{
	struct ifreq ifr;
	unsigned char *m;
	int fd, err;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	err = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (err)
		return -1;
	m = (unsigned char *)ifr.ifr_hwaddr.sa_data;
	snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}

/* Build the two namespaces and the veth; on failure fill skip_why. */
static int setup(void)
{
	char path[64], mac[32];
	int fd, i;

	if (geteuid() != 0) {
		snprintf(skip_why, sizeof(skip_why), "needs root");
		return -1;
	}
	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(skip_why, sizeof(skip_why), "AF_XDP unavailable: %s", strerror(errno));
		return -1;
	}
	close(fd);
	if (unshare(CLONE_NEWNS | CLONE_NEWNET)) {
		snprintf(skip_why, sizeof(skip_why), "unshare: %s", strerror(errno));
		return -1;
	}
	/* Like ip netns exec: our own /sys, showing only this namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) || umount2("/sys", MNT_DETACH) ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL)) {
		snprintf(skip_why, sizeof(skip_why), "cannot remount /sys: %s", strerror(errno));
		return -1;
	}
	rx_ns = open("/proc/self/ns/net", O_RDONLY);
	if (rx_ns < 0 || unshare(CLONE_NEWNET))
		goto err_ns;
	ex_ns = open("/proc/self/ns/net", O_RDONLY);
	if (ex_ns < 0 || setns(rx_ns, CLONE_NEWNET))
		goto err_ns;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", getpid(), ex_ns);
	if (sh("ip link set lo up && ip link add name " RX_IF " numtxqueues %d numrxqueues %d "
	       "type veth peer name veth-ex numtxqueues %d numrxqueues %d netns %s && "
	       NO_IPV6(RX_IF) "ip addr add 198.18.0.2/24 dev " RX_IF " && ip link set " RX_IF " up",
	       NQ, NQ, NQ, NQ, path)) {
		snprintf(skip_why, sizeof(skip_why), "cannot create veth pair");
		return -1;
	}
	if (mac_of(RX_IF, mac, sizeof(mac)))
		goto err_ns;
	if (setns(ex_ns, CLONE_NEWNET))
		goto err_ns;
	/* Static neighbour: the redirect-all program would swallow ARP. */
	if (sh("ip link set lo up && " NO_IPV6("veth-ex") "ip addr add 198.18.0.1/24 dev veth-ex && "
	       "ip link set veth-ex up && "
	       "{ ethtool -K veth-ex tx off tso off gso off >/dev/null 2>&1 || true; } && "
	       "ip neigh replace 198.18.0.2 lladdr %s dev veth-ex nud permanent",
	       mac)) {
		snprintf(skip_why, sizeof(skip_why), "cannot configure exchange side");
		return -1;
	}
	for (i = 0; i < NFLOWS; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET};

		tx_fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		a.sin_port = htons(SPORT0 + i);
		inet_pton(AF_INET, "198.18.0.1", &a.sin_addr);
		if (tx_fd[i] < 0 || bind(tx_fd[i], (struct sockaddr *)&a, sizeof(a)))
			goto err_ns;
		a.sin_port = htons(DPORT);
		inet_pton(AF_INET, "198.18.0.2", &a.sin_addr);
		if (connect(tx_fd[i], (struct sockaddr *)&a, sizeof(a)))
			goto err_ns;
	}
	if (mac_of("veth-ex", mac, sizeof(mac)) || setns(rx_ns, CLONE_NEWNET))
		goto err_ns;
	/* ARP replies would be swallowed too: the receiver needs one as well. */
	if (sh("ip neigh replace 198.18.0.1 lladdr %s dev " RX_IF " nud permanent", mac)) {
		snprintf(skip_why, sizeof(skip_why), "cannot configure receiver side");
		return -1;
	}
	return 0;

err_ns:
	snprintf(skip_why, sizeof(skip_why), "namespace set-up: %s", strerror(errno));
	return -1;
}

/* Payload of packet seq: magic, seq, flow, then a pattern; lengths vary so
 * frame lengths are odd and even. */
static size_t payload(uint32_t seq, uint8_t *p)
{
	uint32_t w[3] = {htonl(PAY_MAGIC), htonl(seq), htonl(seq % NFLOWS)};
	size_t n = 12 + seq % 53, k;

	memcpy(p, w, sizeof(w));
	for (k = 12; k < n; k++)
		p[k] = (uint8_t)(seq * 7 + k);
	return n;
}

static int send_one(uint32_t seq)
{
	uint8_t p[128];
	size_t n = payload(seq, p);

	return send(tx_fd[seq % NFLOWS], p, n, 0) == (ssize_t)n ? 0 : -errno;
}

struct rxlog {
	uint32_t total;
	uint8_t seen[4096];
	unsigned got, dup, bad, batch_bad, max_batch;
	unsigned per_q[NQ];
	uint64_t bytes;
	/* metadata: 0 = none expected, 1 = exactly on odd-length frames */
	int meta_mode;
	unsigned meta_n, meta_bad;
	uint64_t t0;
};

/* The UDP payload of a frame sent by send_one, or NULL. */
static const uint8_t *frame_payload(const struct xsk_rx_frame *f, size_t *len)
{
	const uint8_t *p = f->data;
	size_t ihl;

	if (f->len < 14 + 20 + 8 || p[12] != 0x08 || p[13] != 0x00)
		return NULL;
	ihl = (size_t)(p[14] & 0x0f) * 4;
	if (p[14 + 9] != IPPROTO_UDP || f->len < 14 + ihl + 8)
		return NULL;
	if ((p[14 + ihl + 2] << 8 | p[14 + ihl + 3]) != DPORT)
		return NULL;
	*len = f->len - 14 - ihl - 8;
	return p + 14 + ihl + 8;
}

/* Whole, unchanged payload: returns its seq or -1. */
static int payload_ok(const struct xsk_rx_frame *f)
{
	uint8_t want[128];
	const uint8_t *p;
	uint32_t seq;
	size_t len;

	p = frame_payload(f, &len);
	if (!p || len < 12)
		return -1;
	memcpy(&seq, p + 4, 4);
	seq = ntohl(seq);
	if (payload(seq, want) != len || memcmp(want, p, len))
		return -1;
	return (int)seq;
}

static void on_frame(void *user, const struct xsk_rx_frame *f)
{
	struct rxlog *L = user;
	int seq = payload_ok(f);
	int want_meta;

	if (seq < 0 || (uint32_t)seq >= L->total || f->queue >= NQ || !f->drain_ns) {
		L->bad++;
		return;
	}
	if (L->seen[seq]++)
		L->dup++;
	L->got++;
	L->per_q[f->queue]++;
	L->bytes += f->len;
	want_meta = L->meta_mode == 1 && (f->len & 1);
	if (f->meta) {
		L->meta_n++;
		if (!want_meta || f->meta->magic != FX_META_MAGIC ||
		    f->meta->rx_queue != f->queue || f->meta->rx_ns < L->t0 ||
		    f->meta->rx_ns > f->drain_ns)
			L->meta_bad++;
	} else if (want_meta) {
		L->meta_bad++;
	}
}

/* At batch end every frame of the batch must still hold its bytes. */
static void on_batch_end(void *user, const struct xsk_rx_frame *frames, unsigned n)
{
	struct rxlog *L = user;
	unsigned i;

	if (n > L->max_batch)
		L->max_batch = n;
	for (i = 0; i < n; i++)
		if (payload_ok(&frames[i]) < 0)
			L->batch_bad++;
}

static const struct xsk_rx_handler handler = {on_frame, on_batch_end};

static void log_init(struct rxlog *L, uint32_t total, int meta_mode)
{
	memset(L, 0, sizeof(*L));
	L->total = total;
	L->meta_mode = meta_mode;
	L->t0 = now_ns();
}

static void nop_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)w, (void)revents;
}

/* Send total packets in bursts; after each, receive until the burst is in
 * (through loop when given, else by direct drains). 0 or -1 on a stall. */
static int pump(struct xsk_rx *rx, struct ev_loop *loop, struct rxlog *L, uint32_t total,
		uint32_t burst)
{
	ev_timer guard;
	uint32_t seq = 0, k;
	uint64_t deadline;
	int rc = 0;

	if (loop) {
		/* Wakes EV_RUN_ONCE now and then, so a lost frame cannot hang us. */
		ev_timer_init(&guard, nop_timer, 0.05, 0.05);
		ev_timer_start(loop, &guard);
	}
	while (seq < total && !rc) {
		for (k = 0; k < burst && seq < total; k++)
			if (send_one(seq++))
				rc = -1;
		deadline = now_ns() + 3000000000ull;
		while (L->got + L->bad < seq && now_ns() < deadline) {
			if (loop)
				ev_run(loop, EVRUN_ONCE);
			else
				xsk_rx__drain(rx, 64, &handler, L);
		}
		if (L->got + L->bad < seq) {
			fprintf(stderr, "stall: sent %u, got %u, bad %u\n", seq, L->got, L->bad);
			rc = -1;
		}
	}
	if (loop)
		ev_timer_stop(loop, &guard);
	return rc;
}

static void print_stats(const char *what, struct xsk_rx *rx)
{
	struct xsk_rx_stats s;

	if (xsk_rx__stats(rx, -1, &s))
		return;
	printf("# %s: mode %s need_wakeup %d: frames %llu bytes %llu batches %llu empty_polls %llu "
	       "wakeups %llu fill_empty %llu fill_short %llu k_dropped %llu k_ring_full %llu "
	       "k_fill_empty %llu\n",
	       what, xsk_rx__mode_str(rx), xsk_rx__need_wakeup(rx), (unsigned long long)s.rx_frames,
	       (unsigned long long)s.rx_bytes, (unsigned long long)s.batches,
	       (unsigned long long)s.empty_polls, (unsigned long long)s.wakeups,
	       (unsigned long long)s.fill_empty, (unsigned long long)s.fill_short,
	       (unsigned long long)s.rx_dropped, (unsigned long long)s.rx_ring_full,
	       (unsigned long long)s.rx_fill_ring_empty_descs);
}

static void small_config(struct xsk_rx_config *c)
{
	xsk_rx_defaults(c);
	c->ifname = RX_IF;
	c->frames = 64;
	c->frame_size = 2048;
	c->batch = 16;
	c->load_default_prog = true;
}

/* Everything sent arrived once, intact, over both queues, without drops. */
static void check_all_received(struct xsk_rx *rx, struct rxlog *L, uint32_t total)
{
	struct xsk_rx_stats s;

	CHECKF(L->got == total, "got %u of %u", L->got, total);
	CHECKF(L->dup == 0 && L->bad == 0, "dup %u bad %u", L->dup, L->bad);
	CHECKF(L->batch_bad == 0, "%u frames changed before batch end", L->batch_bad);
	CHECKF(L->per_q[0] > 0 && L->per_q[1] > 0, "per queue %u/%u", L->per_q[0], L->per_q[1]);
	REQUIRE(xsk_rx__stats(rx, -1, &s) == 0);
	CHECK(s.rx_frames == total);
	CHECK(s.rx_bytes == L->bytes);
	CHECK(s.rx_dropped == 0 && s.rx_ring_full == 0);
	CHECK(s.fill_short == 0);
}

static void queue_count_of_veth(void)
{
	CHECK(xsk_rx_queue_count(RX_IF) == NQ);
	CHECK(xsk_rx_queue_count("fx-no-such-if") == -ENODEV);
}

/* Mappings of sockets (AF_XDP rings) in this process. */
static int socket_maps(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "socket:[") != NULL;
	fclose(f);
	return n;
}

static void bad_configs_rejected(void)
{
	struct xsk_rx_config c;
	struct xsk_rx *rx = NULL;

	small_config(&c);
	c.frames = 100;
	CHECK(xsk_rx__new(&rx, &c) == -EINVAL);
	small_config(&c);
	c.frame_size = 1000;
	CHECK(xsk_rx__new(&rx, &c) == -EINVAL);
	small_config(&c);
	c.rx_size = 128; /* more RX slots than frames */
	CHECK(xsk_rx__new(&rx, &c) == -EINVAL);
	small_config(&c);
	c.queue = FX_MAX_QUEUES;
	CHECK(xsk_rx__new(&rx, &c) == -EINVAL);
	small_config(&c);
	c.queue = 5; /* veth-rx has 2 */
	CHECK(xsk_rx__new(&rx, &c) < 0);
	small_config(&c);
	c.ifname = "fx-no-such-if";
	CHECK(xsk_rx__new(&rx, &c) < 0);
	CHECK(rx == NULL);
	/* A failed bind leaves no ring mapped (nor its UMEM pinned). */
	CHECK(socket_maps() == 0);
}

/* veth has no zero-copy: demanding it fails, auto says "copy". */
static void zerocopy_falls_back_to_copy(void)
{
	struct xsk_rx_config c;
	struct xsk_rx *rx = NULL;
	int zc_err;

	small_config(&c);
	c.bind = XSK_RX_BIND_ZEROCOPY;
	zc_err = xsk_rx__new(&rx, &c);
	if (!zc_err) {
		CHECK(strcmp(xsk_rx__mode_str(rx), "zero-copy") == 0);
		xsk_rx__free(rx);
		rx = NULL;
	}
	printf("# veth zero-copy bind: %s\n", zc_err ? strerror(-zc_err) : "ok");
	CHECK(socket_maps() == 0);
	c.bind = XSK_RX_BIND_AUTO;
	REQUIRE(xsk_rx__new(&rx, &c) == 0);
	CHECK(xsk_rx__count(rx) == NQ);
	CHECK(strcmp(xsk_rx__mode_str(rx), zc_err ? "copy" : "zero-copy") == 0);
	CHECK(xsk_rx__need_wakeup(rx));
	xsk_rx__free(rx);
	c.bind = XSK_RX_BIND_COPY;
	REQUIRE(xsk_rx__new(&rx, &c) == 0);
	CHECK(strcmp(xsk_rx__mode_str(rx), "copy") == 0);
	xsk_rx__free(rx);
}

static void one_chosen_queue(void)
{
	struct xsk_rx_config c;
	struct xsk_rx *rx = NULL;

	small_config(&c);
	c.queue = 1;
	REQUIRE(xsk_rx__new(&rx, &c) == 0);
	CHECK(xsk_rx__count(rx) == 1);
	CHECK(xsk_rx__queue_id(rx, 0) == 1);
	CHECK(xsk_rx__socket_fd(rx, 0) >= 0);
	CHECK(xsk_rx__socket_fd(rx, 1) == -EINVAL);
	CHECK(socket_maps() == 3); /* RX, fill and completion rings */
	xsk_rx__free(rx);
	CHECK(socket_maps() == 0);
}

/* ev_io wake-ups; 1000 frames through 2 x 64 UMEM frames: recycled. */
static void wakeup_mode_receives_all(void)
{
	static struct rxlog L;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct xsk_rx_config c;
	struct xsk_rx *rx = NULL;
	const uint32_t total = 1000;
	uint32_t i;

	REQUIRE(loop);
	small_config(&c);
	REQUIRE(xsk_rx__new(&rx, &c) == 0);
	log_init(&L, total, 0);
	CHECK(xsk_rx__start(rx, loop, XSK_RX_POLL_WAKEUP, &handler, &L) == 0);
	if (check__case_failed)
		goto out;
	CHECK(xsk_rx__start(rx, loop, XSK_RX_POLL_WAKEUP, &handler, &L) == -EALREADY);
	CHECK(pump(rx, loop, &L, total, 32) == 0);
	check_all_received(rx, &L, total);
	CHECK(L.meta_n == 0); /* libxdp's program writes no metadata */
	CHECK(L.max_batch <= c.batch);
	print_stats("wakeup", rx);
	/* Stopped: the loop no longer drains; a direct drain still does. */
	xsk_rx__stop(rx);
	L.total = total + 10;
	for (i = total; i < total + 10; i++)
		CHECK(send_one(i) == 0);
	for (i = 0; i < 10; i++)
		ev_run(loop, EVRUN_NOWAIT);
	CHECK(L.got == total);
	for (i = 0; i < 100 && L.got < total + 10; i++)
		xsk_rx__drain(rx, 64, &handler, &L);
	CHECK(L.got == total + 10);
out:
	xsk_rx__free(rx);
	ev_loop_destroy(loop);
}

/* ev_idle busy draining, kernel busy poll on, pinned to CPU 0, no need_wakeup. */
static void busy_mode_receives_all(void)
{
	static struct rxlog L;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct xsk_rx_config c;
	struct xsk_rx *rx = NULL;
	const uint32_t total = 1000;
	struct xsk_rx_stats s0, s1;
	cpu_set_t saved;
	int err, i;

	REQUIRE(loop);
	REQUIRE(sched_getaffinity(0, sizeof(saved), &saved) == 0);
	small_config(&c);
	c.no_need_wakeup = true;
	c.busy_poll_usecs = 20;
	c.cpu = 0;
	REQUIRE(xsk_rx__new(&rx, &c) == 0);
	CHECK(!xsk_rx__need_wakeup(rx));
	log_init(&L, total, 0);
	err = xsk_rx__start(rx, loop, XSK_RX_POLL_BUSY, &handler, &L);
	CHECKF(err == 0, "start: %s", strerror(-err));
	if (!err) {
		CHECK(sched_getcpu() == 0);
		CHECK(pump(rx, loop, &L, total, 32) == 0);
		check_all_received(rx, &L, total);
		/* No traffic: every iteration spins on each ring (for up to
		 * XSK_RX_SPIN_NS: at least twice) and, with kernel busy
		 * polling on, kicks it on every empty poll. */
		CHECK(xsk_rx__stats(rx, -1, &s0) == 0);
		for (i = 0; i < 10; i++)
			ev_run(loop, EVRUN_NOWAIT);
		CHECK(xsk_rx__stats(rx, -1, &s1) == 0);
		CHECK(s1.empty_polls >= s0.empty_polls + 2 * 10 * NQ);
		CHECK(s1.wakeups - s0.wakeups == s1.empty_polls - s0.empty_polls);
		print_stats("busy", rx);
	}
	xsk_rx__free(rx);
	ev_loop_destroy(loop);
	sched_setaffinity(0, sizeof(saved), &saved);
}

/* Map the fill ring of socket fd a second time, to reach its flags word. */
static volatile uint32_t *fill_flags(int fd, uint32_t frames, void **map, size_t *len)
{
	struct xdp_mmap_offsets off;
	socklen_t olen = sizeof(off);

	if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &olen))
		return NULL;
	*len = off.fr.desc + frames * sizeof(uint64_t);
	*map = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, XDP_UMEM_PGOFF_FILL_RING);
	if (*map == MAP_FAILED)
		return NULL;
	return (volatile uint32_t *)((char *)*map + off.fr.flags);
}

/* A syscall only when the fill ring asks for one. Copy mode never asks, so
 * the test raises the flag itself, as a zero-copy driver would. */
static void need_wakeup_kicks_only_when_asked(void)
{
	static struct rxlog L;
	struct xsk_rx_config c;
	struct xsk_rx_stats s0, s1, s2;
	struct xsk_rx *rx = NULL;
	volatile uint32_t *flags[NQ] = {0};
	void *map[NQ] = {0};
	size_t len[NQ] = {0};
	unsigned i;

	small_config(&c);
	REQUIRE(xsk_rx__new(&rx, &c) == 0);
	for (i = 0; i < NQ; i++) {
		flags[i] = fill_flags(xsk_rx__socket_fd(rx, i), c.frames, &map[i], &len[i]);
		CHECK(flags[i] != NULL);
	}
	if (check__case_failed)
		goto out;
	log_init(&L, 100, 0);
	CHECK(xsk_rx__stats(rx, -1, &s0) == 0);
	for (i = 0; i < NQ; i++)
		*flags[i] &= ~XDP_RING_NEED_WAKEUP;
	CHECK(xsk_rx__drain(rx, 64, &handler, &L) == 0);
	CHECK(xsk_rx__stats(rx, -1, &s1) == 0);
	CHECK(s1.empty_polls == s0.empty_polls + NQ);
	CHECK(s1.wakeups == s0.wakeups);
	for (i = 0; i < NQ; i++)
		*flags[i] |= XDP_RING_NEED_WAKEUP;
	CHECK(xsk_rx__drain(rx, 64, &handler, &L) == 0);
	CHECK(xsk_rx__stats(rx, -1, &s2) == 0);
	CHECK(s2.wakeups == s1.wakeups + NQ);
	/* Frames still flow with the flag up (and each refill kicks again). */
	CHECK(pump(rx, NULL, &L, 100, 20) == 0);
	CHECK(L.got == 100 && L.bad == 0 && L.dup == 0);
	CHECK(xsk_rx__stats(rx, -1, &s2) == 0);
	CHECK(s2.wakeups > s1.wakeups + NQ);
out:
	for (i = 0; i < NQ; i++)
		if (flags[i])
			munmap(map[i], len[i]);
	xsk_rx__free(rx);
}

/* Send more than the rings hold without draining: every frame is either
 * received or counted by the kernel as dropped; none vanishes. */
static void overflow_is_counted(void)
{
	static struct rxlog L;
	struct xsk_rx_config c;
	struct xsk_rx_stats s;
	struct xsk_rx *rx = NULL;
	const uint32_t total = 400;
	uint64_t deadline, lost = 0;
	uint32_t seq;

	small_config(&c);
	REQUIRE(xsk_rx__new(&rx, &c) == 0);
	log_init(&L, total, 0);
	for (seq = 0; seq < total; seq++)
		CHECK(send_one(seq) == 0);
	deadline = now_ns() + 3000000000ull;
	do {
		xsk_rx__drain(rx, 1000, &handler, &L);
		if (xsk_rx__stats(rx, -1, &s)) {
			CHECK(0);
			break;
		}
		lost = s.rx_dropped + s.rx_ring_full;
		/* The first drain frees frames; later ones only tidy up. */
		if (L.got + lost >= total)
			break;
		usleep(1000);
	} while (now_ns() < deadline);
	print_stats("overflow", rx);
	CHECKF(L.got + lost == total, "got %u + dropped %llu != %u", L.got,
	       (unsigned long long)lost, total);
	CHECK(L.bad == 0 && L.dup == 0);
	CHECK(L.got <= NQ * c.frames);
	CHECK(lost > 0);
	CHECK(s.fill_empty > 0);
	xsk_rx__free(rx);
}

/* ---- a fixture XDP program: metadata on odd-length frames only ---- */

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALU_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST_W(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JMP_REG(op, d, s, o) INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int load_meta_prog(int map_fd)
{
	const int D = offsetof(struct xdp_md, data), E = offsetof(struct xdp_md, data_end);
	const int M = offsetof(struct xdp_md, data_meta),
		  Q = offsetof(struct xdp_md, rx_queue_index);
	const int msz = sizeof(struct fx_xdp_meta);
	/* Jump offsets count instructions to skip; "out" is the redirect. */
	// clang-format off
	struct bpf_insn p[] = {
		MOV_REG(6, 1),				/* r6 = user */
		CALL(BPF_FUNC_ktime_get_ns),
		MOV_REG(7, 0),				/* r7 = now */
		LDX_W(2, 6, D),
		LDX_W(3, 6, E),
		ALU_REG(BPF_SUB, 3, 2),			/* r3 = frame length */
		ALU_IMM(BPF_AND, 3, 1),
		JMP_IMM(BPF_JEQ, 3, 0, 13),		/* even length: out */
		MOV_REG(1, 6),
		MOV_IMM(2, -msz),
		CALL(BPF_FUNC_xdp_adjust_meta),
		JMP_IMM(BPF_JNE, 0, 0, 9),		/* refused: out */
		LDX_W(2, 6, M),				/* r2 = data_meta */
		LDX_W(3, 6, D),				/* r3 = data */
		MOV_REG(4, 2),
		ALU_IMM(BPF_ADD, 4, msz),
		JMP_REG(BPF_JGT, 4, 3, 4),		/* bounds check: out */
		STX(BPF_DW, 2, 7, 0),			/* meta->rx_ns */
		ST_W(2, 8, (int32_t)FX_META_MAGIC),	/* meta->magic */
		LDX_W(5, 6, Q),
		STX(BPF_W, 2, 5, 12),			/* meta->rx_queue */
		INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd), /* out: */
		INSN(0, 0, 0, 0, 0),
		LDX_W(2, 6, Q),
		MOV_IMM(3, XDP_PASS),			/* no socket: the kernel */
		CALL(BPF_FUNC_redirect_map),
		EXIT(),
	};
	// clang-format on
	static char log[8192];
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 0);
	int fd;

	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "fx_test_meta", "Dual BSD/GPL", p,
			   sizeof(p) / sizeof(p[0]), &opts);
	if (fd < 0)
		fprintf(stderr, "fixture program rejected: %s\n%s\n", strerror(errno), log);
	return fd;
}

/* Our own program (inhibit mode, sockets put into its XSKMAP by xsk_rx):
 * metadata surfaces exactly where it was written, never stale from an
 * earlier use of the same UMEM frame. */
static void metadata_from_own_program(void)
{
	static struct rxlog L;
	struct xsk_rx_config c;
	struct xsk_rx_stats s;
	struct xsk_rx *rx = NULL;
	const uint32_t total = 600;
	int map_fd = -1, prog_fd = -1, ifindex = (int)if_nametoindex(RX_IF), err;

	small_config(&c);
	c.load_default_prog = false;
	REQUIRE(xsk_rx__new(&rx, &c) == 0);
	map_fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "fx_test_xsks", 4, 4, FX_MAX_QUEUES, NULL);
	CHECK(map_fd >= 0);
	if (map_fd < 0)
		goto out;
	CHECK(xsk_rx__update_xskmap(rx, map_fd) == 0);
	prog_fd = load_meta_prog(map_fd);
	CHECK(prog_fd >= 0);
	if (prog_fd < 0)
		goto out;
	err = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL);
	CHECKF(err == 0, "attach: %s", strerror(-err));
	if (err)
		goto out;
	log_init(&L, total, 1);
	CHECK(pump(rx, NULL, &L, total, 32) == 0);
	check_all_received(rx, &L, total);
	CHECKF(L.meta_bad == 0, "%u frames with wrong or missing metadata", L.meta_bad);
	CHECK(L.meta_n > 0 && L.meta_n < total);
	CHECK(xsk_rx__stats(rx, -1, &s) == 0);
	CHECK(s.meta_frames == L.meta_n);
	print_stats("metadata", rx);
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
out:
	if (prog_fd >= 0)
		close(prog_fd);
	if (map_fd >= 0)
		close(map_fd);
	xsk_rx__free(rx);
}

/* ---- the whole receive side: AF_XDP, then re-injection into TUN ---- */

struct reinject {
	struct tun_inject *tun;
	struct iovec iov[64];
	uint64_t frames;
};

/* What the pipeline does at batch end: every frame back to the kernel. */
static void reinject_batch(void *user, const struct xsk_rx_frame *frames, unsigned n)
{
	struct reinject *r = user;
	unsigned i;

	for (i = 0; i < n; i++) {
		r->iov[i].iov_base = (void *)frames[i].data;
		r->iov[i].iov_len = frames[i].len;
	}
	tun_inject__write_batch(r->tun, r->iov, n);
	r->frames += n;
}

/* "Tcp" "InCsumErrors" style counter of /proc/net/snmp. */
static long long snmp(const char *group, const char *name)
{
	char names[2048], vals[2048], *sn, *sv, *n, *v;
	size_t glen = strlen(group);
	FILE *f = fopen("/proc/net/snmp", "r");
	long long r = -1;

	if (!f)
		return -1;
	while (r < 0 && fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, group, glen) || names[glen] != ':')
			continue;
		n = strtok_r(names + glen + 1, " \n", &sn);
		v = strtok_r(vals + glen + 1, " \n", &sv);
		for (; n && v; n = strtok_r(NULL, " \n", &sn), v = strtok_r(NULL, " \n", &sv))
			if (!strcmp(n, name))
				r = atoll(v);
	}
	fclose(f);
	return r;
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 31 + 7);
}

/* A TCP connection whose every segment towards the receiver goes through
 * XDP into AF_XDP and is then re-injected: the kernel socket still gets
 * the whole stream, in order, checksums intact (docs/ARCHITECTURE.md §3). */
static void tcp_through_xsk_and_tun(void)
{
	static struct reinject R;
	static uint8_t out[4096], in[8192];
	const struct xsk_rx_handler h = {NULL, reinject_batch};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9100)};
	struct tun_inject_config tc;
	struct tun_inject_stats ts;
	struct xsk_rx_config c;
	struct xsk_rx_stats xs;
	struct xsk_rx *rx = NULL;
	const uint64_t total = 300000;
	uint64_t sent = 0, recvd = 0, bad = 0, deadline, k;
	long long csum0, csum1;
	int l = -1, cl = -1, ac = -1, one = 1;
	struct fx_error why = {0};
	ssize_t n;

	memset(&R, 0, sizeof(R));
	tun_inject_defaults(&tc);
	CHECKF(tun_inject__new(&R.tun, &tc, &why) == 0, "tun: %s", why.msg);
	small_config(&c);
	CHECK(xsk_rx__new(&rx, &c) == 0);
	inet_pton(AF_INET, "198.18.0.2", &a.sin_addr);
	l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(l >= 0 && setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	      bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 4) == 0);
	if (check__case_failed)
		goto out;
	CHECK(setns(ex_ns, CLONE_NEWNET) == 0);
	cl = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(setns(rx_ns, CLONE_NEWNET) == 0);
	CHECK(cl >= 0 && connect(cl, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == EINPROGRESS);
	if (check__case_failed)
		goto out;
	csum0 = snmp("Tcp", "InCsumErrors");
	deadline = now_ns() + 20000000000ull;
	while (recvd < total && now_ns() < deadline) {
		xsk_rx__drain(rx, 256, &h, &R);
		if (ac < 0)
			ac = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (sent < total) {
			size_t len = total - sent < sizeof(out) ? total - sent : sizeof(out);

			for (k = 0; k < len; k++)
				out[k] = pattern(sent + k);
			n = send(cl, out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				sent += (uint64_t)n;
		}
		if (ac >= 0) {
			n = recv(ac, in, sizeof(in), MSG_DONTWAIT);
			for (k = 0; n > 0 && k < (uint64_t)n; k++)
				bad += in[k] != pattern(recvd + k);
			if (n > 0)
				recvd += (uint64_t)n;
		}
	}
	csum1 = snmp("Tcp", "InCsumErrors");
	CHECKF(recvd == total, "received %llu of %llu (sent %llu)", (unsigned long long)recvd,
	       (unsigned long long)total, (unsigned long long)sent);
	CHECK(bad == 0);
	CHECKF(csum0 >= 0 && csum1 == csum0, "TCP checksum errors %lld -> %lld", csum0, csum1);
	tun_inject__stats(R.tun, &ts);
	CHECK(xsk_rx__stats(rx, -1, &xs) == 0);
	CHECK(xs.rx_frames == R.frames);
	CHECKF(ts.packets + ts.bad_frames == R.frames, "%llu + %llu re-injected of %llu",
	       (unsigned long long)ts.packets, (unsigned long long)ts.bad_frames,
	       (unsigned long long)R.frames);
	CHECK(ts.errors == 0 && ts.eagain == 0);
	printf("# tcp: %llu bytes in %llu frames, %llu re-injected, %llu not IP, ring drops %llu\n",
	       (unsigned long long)recvd, (unsigned long long)R.frames,
	       (unsigned long long)ts.packets, (unsigned long long)ts.bad_frames,
	       (unsigned long long)(xs.rx_dropped + xs.rx_ring_full));
out:
	if (ac >= 0)
		close(ac);
	if (cl >= 0)
		close(cl);
	if (l >= 0)
		close(l);
	xsk_rx__free(rx);
	tun_inject__free(R.tun);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (setup()) {
		printf("SKIP xsk_rx: %s\n", skip_why);
		return 0;
	}
	RUN(queue_count_of_veth);
	RUN(bad_configs_rejected);
	RUN(zerocopy_falls_back_to_copy);
	RUN(one_chosen_queue);
	RUN(wakeup_mode_receives_all);
	RUN(busy_mode_receives_all);
	RUN(need_wakeup_kicks_only_when_asked);
	RUN(overflow_is_counted);
	RUN(metadata_from_own_program);
	RUN(tcp_through_xsk_and_tun);
	return check_exit();
}

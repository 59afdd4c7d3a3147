/* Tests for the xdp_steer loader on real devices: a veth pair inside a
 * private network (and mount) namespace that this process creates for
 * itself, so nothing touches the host's network. Attach/query/detach in
 * each mode, leftovers of a SIGKILLed receiver (steering before the kill,
 * fail-open after it, clean removal on the next start), a live holder, a
 * foreign program, libxdp's multiprog dispatcher, the flow table and the
 * sockaddr → flow key helpers. */
#include "check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "fast/xdp_steer.h"

#define IF_RX "fxrx0" /* the receiver's side: XDP attached here */
#define IF_WIRE "fxwire0" /* frames are injected from here */

static char skip_why[256];
static int if_rx, if_wire;
static unsigned char mac_rx[6], mac_wire[6];

/* The flow the tests steer: exchange 198.18.0.1:443 → receiver 198.18.0.2:40000. */
static const __u8 EX4[4] = { 198, 18, 0, 1 }, RX4[4] = { 198, 18, 0, 2 };
#define EX_PORT 443
#define RX_PORT 40000

static struct fx_flow_key test_key(void)
{
	struct fx_flow_key k = { .family = FX_FAMILY_IPV4 };

	memcpy(k.saddr, EX4, 4);
	memcpy(k.daddr, RX4, 4);
	k.sport = htons(EX_PORT);
	k.dport = htons(RX_PORT);
	return k;
}

/* ---- helpers ---- */

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int get_mac(const char *ifname, unsigned char mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr) ? -errno : 0;
	close(fd);
	if (!rc)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return rc;
}

static struct bpf_xdp_query_opts query(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		q.attach_mode = 0xff;
	return q;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __u32 csum_add(__u32 sum, const __u8 *p, int len)
{
	int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/* A valid TCP/IPv4 data segment of the test flow, as the wire delivers it. */
static int build_segment(__u8 *f, __u32 seq)
{
	static const char payload[] = "{\"e\":\"trade\",\"s\":\"BTCUSDT\"}";
	int plen = (int)sizeof(payload) - 1, tcplen = 20 + plen;
	__u8 *ip = f + 14, *tcp = ip + 20, pseudo[12];
	__u32 sum;

	memcpy(f, mac_rx, 6);
	memcpy(f + 6, mac_wire, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (__u8)((20 + tcplen) >> 8);
	ip[3] = (__u8)(20 + tcplen);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, EX4, 4);
	memcpy(ip + 16, RX4, 4);
	sum = csum_fold(csum_add(0, ip, 20));
	ip[10] = (__u8)(sum >> 8);
	ip[11] = (__u8)sum;
	memset(tcp, 0, 20);
	tcp[0] = EX_PORT >> 8;
	tcp[1] = EX_PORT & 0xff;
	tcp[2] = RX_PORT >> 8;
	tcp[3] = RX_PORT & 0xff;
	tcp[4] = (__u8)(seq >> 24);
	tcp[5] = (__u8)(seq >> 16);
	tcp[6] = (__u8)(seq >> 8);
	tcp[7] = (__u8)seq;
	tcp[11] = 1;
	tcp[12] = 5 << 4;
	tcp[13] = 0x18; /* PSH|ACK */
	tcp[14] = 0xff;
	tcp[15] = 0xff;
	memcpy(tcp + 20, payload, plen);
	memcpy(pseudo, EX4, 4);
	memcpy(pseudo + 4, RX4, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = (__u8)(tcplen >> 8);
	pseudo[11] = (__u8)tcplen;
	sum = csum_fold(csum_add(csum_add(0, pseudo, 12), tcp, tcplen));
	tcp[16] = (__u8)(sum >> 8);
	tcp[17] = (__u8)sum;
	return 14 + 20 + tcplen;
}

static int inject_segment(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	__u8 f[256];
	int fd, len, rc;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sll.sll_ifindex = if_wire;
	memcpy(sll.sll_addr, mac_rx, 6);
	len = build_segment(f, 1000);
	rc = sendto(fd, f, (size_t)len, 0, (struct sockaddr *)&sll, sizeof(sll)) == len ? 0 : -errno;
	close(fd);
	return rc;
}

/* TCP segments the kernel stack of our namespace has received (Tcp InSegs). */
static long long tcp_insegs(void)
{
	char line[1024], vals[1024];
	long long v = -1;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Tcp: ", 5) || !fgets(vals, sizeof(vals), f))
			continue;
		/* Header line, then values; InSegs is the 10th field. */
		{
			char *save1, *save2, *h = strtok_r(line, " \n", &save1);
			char *x = strtok_r(vals, " \n", &save2);

			while (h && x) {
				if (!strcmp(h, "InSegs"))
					v = atoll(x);
				h = strtok_r(NULL, " \n", &save1);
				x = strtok_r(NULL, " \n", &save2);
			}
		}
		break;
	}
	fclose(f);
	return v;
}

/* Wait (up to 5 s, polling) until InSegs exceeds base. */
static bool wait_insegs_above(long long base)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 500; i++) {
		if (tcp_insegs() > base)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* A counter of a program we do not own (a leftover): found through the
 * program's map ids, summed over CPUs. */
static long long prog_counter(__u32 prog_id, __u32 idx)
{
	struct bpf_prog_info info = { 0 };
	__u32 ids[8], len = sizeof(info), i;
	long long total = -1;
	int pfd, ncpus = libbpf_num_possible_cpus();

	pfd = bpf_prog_get_fd_by_id(prog_id);
	if (pfd < 0)
		return -1;
	info.nr_map_ids = 8;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(pfd, &info, &len)) {
		close(pfd);
		return -1;
	}
	for (i = 0; i < info.nr_map_ids && i < 8; i++) {
		struct bpf_map_info mi = { 0 };
		__u32 mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(ids[i]);

		if (mfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &mlen) && !strcmp(mi.name, "fx_counters")) {
			__u64 v[ncpus];
			int c;

			if (!bpf_map_lookup_elem(mfd, &idx, v))
				for (total = 0, c = 0; c < ncpus; c++)
					total += (long long)v[c];
		}
		close(mfd);
	}
	close(pfd);
	return total;
}

/* ---- a receiver in a child process ---- */

struct child_msg {
	int err;
	__u32 prog_id;
	__u32 frame_len;
	__u32 magic;
	__u32 rx_queue;
	__u32 multiprog;
	__u64 rx_ns;
};

struct child {
	pid_t pid;
	int rfd; /* reports from the child */
};

#define NFRAMES 64

/* Child: attach, register the test flow, optionally bind an AF_XDP socket on
 * queue 0 and report every frame it receives; never detaches by itself. */
static void child_main(int wfd, bool with_xsk, enum xdp_steer_mode mode)
{
	struct child_msg m = { 0 };
	struct xdp_steer *s = NULL;
	struct fx_flow_key k = test_key();
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq, rx;
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	size_t size = NFRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE;
	void *area = NULL;
	__u32 idx, i, q = 0;
	int fd;

	m.err = xdp_steer__open(&s, IF_RX, mode, NULL);
	if (!m.err)
		m.err = xdp_steer__add_flow(s, &k);
	if (!m.err && with_xsk) {
		area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		m.err = area == MAP_FAILED ? -errno : xsk_umem__create(&umem, area, size, &fq, &cq, NULL);
		if (!m.err)
			m.err = xsk_socket__create(&xsk, IF_RX, 0, umem, &rx, NULL, &cfg);
		if (!m.err) {
			fd = xsk_socket__fd(xsk);
			m.err = bpf_map_update_elem(xdp_steer__xsks_fd(s), &q, &fd, BPF_ANY) ? -errno : 0;
		}
		if (!m.err && xsk_ring_prod__reserve(&fq, NFRAMES, &idx) == NFRAMES) {
			for (i = 0; i < NFRAMES; i++)
				*xsk_ring_prod__fill_addr(&fq, idx + i) =
					(__u64)i * XSK_UMEM__DEFAULT_FRAME_SIZE;
			xsk_ring_prod__submit(&fq, NFRAMES);
		}
	}
	if (s) {
		m.prog_id = xdp_steer__prog_id(s);
		m.multiprog = xdp_steer__multiprog(s);
	}
	if (write(wfd, &m, sizeof(m)) != sizeof(m) || m.err)
		_exit(1);
	for (;;) {
		struct pollfd p = { .fd = with_xsk ? xsk_socket__fd(xsk) : -1, .events = POLLIN };

		if (poll(&p, 1, -1) <= 0 || !with_xsk)
			continue;
		while (xsk_ring_cons__peek(&rx, 1, &idx) == 1) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&rx, idx);
			const struct fx_xdp_meta *meta =
				(const void *)((char *)xsk_umem__get_data(area, d->addr) -
					       sizeof(*meta));

			memset(&m, 0, sizeof(m));
			m.frame_len = d->len;
			m.magic = meta->magic;
			m.rx_queue = meta->rx_queue;
			m.rx_ns = meta->rx_ns;
			xsk_ring_cons__release(&rx, 1);
			if (write(wfd, &m, sizeof(m)) != sizeof(m))
				_exit(1);
		}
	}
}

static int child_read(struct child *c, struct child_msg *m)
{
	struct pollfd p = { .fd = c->rfd, .events = POLLIN };

	if (poll(&p, 1, 5000) != 1)
		return -ETIMEDOUT;
	return read(c->rfd, m, sizeof(*m)) == sizeof(*m) ? 0 : -EIO;
}

/* Start a receiver child; returns 0 with its first report in *m. */
static int child_start(struct child *c, bool with_xsk, enum xdp_steer_mode mode,
		       struct child_msg *m)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		close(p[0]);
		child_main(p[1], with_xsk, mode);
		_exit(0);
	}
	close(p[1]);
	c->rfd = p[0];
	return child_read(c, m);
}

static void child_kill(struct child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
	}
	if (c->rfd >= 0)
		close(c->rfd);
	c->rfd = -1;
}

/* ---- cases ---- */

#define NEED_NS()                                                                  \
	do {                                                                       \
		if (!if_rx) {                                                      \
			SKIP("%s", skip_why);                                      \
			return;                                                    \
		}                                                                  \
	} while (0)

/* Open or end the case. Unlike REQUIRE (which also returns after any earlier
 * failed CHECK), this never leaves the case with the program attached. */
#define OPEN(s, ifname, mode)                                                      \
	do {                                                                       \
		struct fx_error fe_ = {0};                                         \
		int e_ = xdp_steer__open(&(s), ifname, mode, &fe_);                \
		CHECKF(e_ == 0 && fe_.code == 0, "xdp_steer__open(%s): %s",        \
		       ifname, fe_.msg);                                           \
		if (e_)                                                            \
			return;                                                    \
	} while (0)

static void native_attach_query_close(void)
{
	struct xdp_steer *s;
	struct bpf_xdp_query_opts q;

	NEED_NS();
	OPEN(s, IF_RX, XDP_STEER_MODE_NATIVE);
	CHECK(xdp_steer__mode(s) == XDP_STEER_MODE_NATIVE);
	CHECK(xdp_steer__ifindex(s) == if_rx);
	q = query(if_rx);
	CHECKF(q.attach_mode == XDP_ATTACHED_DRV, "attach_mode %u", q.attach_mode);
	/* Directly attached, the interface runs our program itself. */
	if (!xdp_steer__multiprog(s))
		CHECK(q.prog_id == xdp_steer__prog_id(s) && q.drv_prog_id == q.prog_id);
	xdp_steer__close(s);
	q = query(if_rx);
	CHECKF(q.attach_mode == XDP_ATTACHED_NONE && q.prog_id == 0, "still attached: %u",
	       q.prog_id);
	xdp_steer__close(NULL); /* NULL-safe */
}

static void skb_mode_when_asked(void)
{
	struct xdp_steer *s;
	struct bpf_xdp_query_opts q;

	NEED_NS();
	OPEN(s, IF_RX, XDP_STEER_MODE_SKB);
	CHECK(xdp_steer__mode(s) == XDP_STEER_MODE_SKB);
	q = query(if_rx);
	CHECKF(q.attach_mode == XDP_ATTACHED_SKB && q.skb_prog_id != 0, "attach_mode %u",
	       q.attach_mode);
	xdp_steer__close(s);
	CHECK(query(if_rx).prog_id == 0);
}

/* lo has no native XDP: AUTO falls back to SKB, NATIVE refuses. */
static void auto_falls_back_native_refuses(void)
{
	struct xdp_steer *s = NULL;
	struct fx_error fe = {0};
	int lo = (int)if_nametoindex("lo"), err;

	NEED_NS();
	err = xdp_steer__open(&s, "lo", XDP_STEER_MODE_NATIVE, NULL);
	CHECKF(err == -EOPNOTSUPP && !s, "native on lo: %d", err);
	xdp_steer__close(s);
	CHECK(query(lo).prog_id == 0);
	OPEN(s, "lo", XDP_STEER_MODE_AUTO);
	CHECK(xdp_steer__mode(s) == XDP_STEER_MODE_SKB);
	CHECK(query(lo).attach_mode == XDP_ATTACHED_SKB);
	xdp_steer__close(s);
	CHECK(query(lo).prog_id == 0);
	err = xdp_steer__open(&s, "no-such-if0", XDP_STEER_MODE_AUTO, &fe);
	CHECK(err == -ENODEV && !s && fe.code == -ENODEV);
	CHECKF(!strcmp(fe.msg, "cannot attach XDP on no-such-if0: no such network interface"),
	       "message: %s", fe.msg);
}

static void flow_add_del_round_trip(void)
{
	struct xdp_steer *s;
	struct fx_flow_key k = test_key(), k6 = { .family = FX_FAMILY_IPV6 };
	struct fx_flow_val v;
	__u64 sums[FX_CNT__MAX];
	int i, err = 0;

	NEED_NS();
	OPEN(s, IF_RX, XDP_STEER_MODE_NATIVE);
	CHECK(xdp_steer__xsks_fd(s) >= 0);
	CHECK(xdp_steer__flow(s, &k, &v) == -ENOENT);
	CHECK(xdp_steer__add_flow(s, &k) == 0);
	memset(&v, 0xff, sizeof(v));
	CHECK(xdp_steer__flow(s, &k, &v) == 0);
	CHECK(v.flags == 0 && v.server_isn == 0 && v.packets == 0 && v.bytes == 0);
	k6.saddr[0] = 0xfd;
	k6.saddr[15] = 1;
	k6.daddr[0] = 0xfd;
	k6.daddr[15] = 2;
	k6.sport = htons(443);
	k6.dport = htons(40001);
	CHECK(xdp_steer__add_flow(s, &k6) == 0 && xdp_steer__flow(s, &k6, &v) == 0);
	CHECK(xdp_steer__del_flow(s, &k) == 0);
	CHECK(xdp_steer__flow(s, &k, &v) == -ENOENT);
	CHECK(xdp_steer__del_flow(s, &k) == -ENOENT);
	CHECK(xdp_steer__flow(s, &k6, &v) == 0);
	CHECK(xdp_steer__del_flow(s, &k6) == 0);
	/* The table is bounded. */
	for (i = 0; i < FX_MAX_FLOWS && !err; i++) {
		struct fx_flow_key t = test_key();

		t.dport = htons((__u16)(20000 + i));
		err = xdp_steer__add_flow(s, &t);
	}
	CHECKF(err == 0, "flow %d: %d", i, err);
	k.dport = htons(1);
	CHECK(xdp_steer__add_flow(s, &k) == -E2BIG);
	CHECK(xdp_steer__counters(s, sums) == 0);
	xdp_steer__close(s);
}

/* The heart of fail-open: a receiver steers, is SIGKILLed, its program stays
 * attached, and the flow's segments reach the kernel again; the next start
 * removes the leftover and attaches cleanly. */
static void sigkilled_receiver_fails_open_and_is_replaced(void)
{
	struct child c = { .rfd = -1 };
	struct child_msg m, f;
	struct xdp_steer *s;
	struct bpf_xdp_query_opts q;
	long long base;
	__u32 old;
	int err;

	NEED_NS();
	err = child_start(&c, true, XDP_STEER_MODE_NATIVE, &m);
	if (err || m.err) {
		child_kill(&c);
		CHECKF(0, "child could not attach + bind AF_XDP: %s", strerror(err ? -err : -m.err));
		return;
	}
	old = m.prog_id;
	q = query(if_rx);
	CHECK(q.attach_mode == XDP_ATTACHED_DRV);

	/* Alive: the segment goes to the AF_XDP socket, not the kernel. */
	base = tcp_insegs();
	err = inject_segment();
	CHECKF(err == 0, "inject: %s", strerror(-err));
	err = child_read(&c, &f);
	CHECKF(err == 0, "no frame on the AF_XDP socket: %s", strerror(-err));
	CHECKF(f.frame_len == 14 + 20 + 20 + 27, "frame len %u", f.frame_len);
	CHECKF(f.magic == FX_META_MAGIC && f.rx_queue == 0 && f.rx_ns != 0,
	       "metadata not in front of the frame (magic %#x)", f.magic);
	CHECK(tcp_insegs() == base);

	child_kill(&c);
	/* The program is still attached, its socket gone. */
	q = query(if_rx);
	CHECKF(q.attach_mode == XDP_ATTACHED_DRV && (m.multiprog || q.prog_id == old),
	       "leftover not attached");
	base = tcp_insegs();
	err = inject_segment();
	CHECKF(err == 0, "inject: %s", strerror(-err));
	CHECKF(wait_insegs_above(base), "segment black-holed after SIGKILL");
	CHECKF(prog_counter(old, FX_CNT_REDIRECT_FAIL) >= 1, "leftover did not count fail-open");

	/* The next start removes the leftover. */
	OPEN(s, IF_RX, XDP_STEER_MODE_NATIVE);
	CHECK(xdp_steer__prog_id(s) != old);
	q = query(if_rx);
	if (!xdp_steer__multiprog(s))
		CHECK(q.prog_id == xdp_steer__prog_id(s));
	xdp_steer__close(s);
	CHECK(query(if_rx).prog_id == 0);
}

/* A leftover in another mode (SKB) is found and removed as well. */
static void skb_leftover_replaced_by_native(void)
{
	struct child c = { .rfd = -1 };
	struct child_msg m;
	struct xdp_steer *s;
	struct bpf_xdp_query_opts q;
	int err;

	NEED_NS();
	err = child_start(&c, false, XDP_STEER_MODE_SKB, &m);
	child_kill(&c);
	if (err || m.err) {
		CHECKF(0, "child could not attach: %s", strerror(err ? -err : -m.err));
		return;
	}
	q = query(if_rx);
	CHECKF(q.attach_mode == XDP_ATTACHED_SKB && (m.multiprog || q.prog_id == m.prog_id),
	       "SKB leftover not attached");
	OPEN(s, IF_RX, XDP_STEER_MODE_NATIVE);
	CHECK(xdp_steer__mode(s) == XDP_STEER_MODE_NATIVE);
	q = query(if_rx);
	CHECKF(q.attach_mode == XDP_ATTACHED_DRV && q.skb_prog_id == 0,
	       "mode %u, skb prog %u", q.attach_mode, q.skb_prog_id);
	xdp_steer__close(s);
	CHECK(query(if_rx).prog_id == 0);
}

/* Live traffic on the device shows in the loader's counters and flow state:
 * a registered flow without a socket is counted as fail-open and still
 * reaches the kernel. */
static void live_counters_and_flow_state(void)
{
	struct xdp_steer *s;
	struct fx_flow_key k = test_key();
	struct fx_flow_val v = { 0 };
	__u64 sums[FX_CNT__MAX];
	long long base;
	int err;

	NEED_NS();
	OPEN(s, IF_RX, XDP_STEER_MODE_NATIVE);
	err = xdp_steer__add_flow(s, &k);
	CHECKF(err == 0, "add_flow: %d", err);
	base = tcp_insegs();
	err = inject_segment();
	CHECKF(err == 0, "inject: %s", strerror(-err));
	CHECKF(wait_insegs_above(base), "segment did not reach the kernel");
	err = xdp_steer__counters(s, sums);
	CHECKF(err == 0, "counters: %d", err);
	CHECKF(sums[FX_CNT_REDIRECT_FAIL] == 1 && sums[FX_CNT_STEERED] == 0 &&
		       sums[FX_CNT_MALFORMED] == 0,
	       "redirect_fail %llu steered %llu malformed %llu",
	       (unsigned long long)sums[FX_CNT_REDIRECT_FAIL],
	       (unsigned long long)sums[FX_CNT_STEERED], (unsigned long long)sums[FX_CNT_MALFORMED]);
	err = xdp_steer__flow(s, &k, &v);
	CHECKF(err == 0 && v.packets == 1 && v.bytes == 14 + 20 + 20 + 27,
	       "flow: %d packets %llu bytes %llu", err, (unsigned long long)v.packets,
	       (unsigned long long)v.bytes);
	xdp_steer__close(s);
}

static void live_receiver_is_not_removed(void)
{
	struct child c = { .rfd = -1 };
	struct child_msg m;
	struct xdp_steer *s = NULL;
	int err;

	NEED_NS();
	err = child_start(&c, false, XDP_STEER_MODE_NATIVE, &m);
	if (err || m.err) {
		child_kill(&c);
		CHECKF(0, "child could not attach: %s", strerror(err ? -err : -m.err));
		return;
	}
	err = xdp_steer__open(&s, IF_RX, XDP_STEER_MODE_NATIVE, NULL);
	CHECKF(err == -EBUSY && !s, "open beside a live receiver: %d", err);
	xdp_steer__close(s);
	CHECK(query(if_rx).prog_id == m.prog_id);
	child_kill(&c);
	OPEN(s, IF_RX, XDP_STEER_MODE_NATIVE);
	xdp_steer__close(s);
	CHECK(query(if_rx).prog_id == 0);
}

static void foreign_program_is_left_alone(void)
{
	/* r0 = XDP_PASS; exit */
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct xdp_steer *s = NULL;
	int fd, err;

	NEED_NS();
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "foreign_pass", "GPL", insns, 2, NULL);
	REQUIRE(fd >= 0);
	if (bpf_xdp_attach(if_rx, fd, XDP_FLAGS_DRV_MODE, NULL)) {
		CHECKF(0, "cannot attach the foreign program: %s", strerror(errno));
		close(fd);
		return;
	}
	err = xdp_steer__open(&s, IF_RX, XDP_STEER_MODE_AUTO, NULL);
	CHECKF(err == -EEXIST && !s, "open over a foreign program: %d", err);
	xdp_steer__close(s);
	CHECK(query(if_rx).prog_id != 0);
	{
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		bpf_obj_get_info_by_fd(fd, &info, &len);
		CHECK(query(if_rx).prog_id == info.id);
	}
	bpf_xdp_detach(if_rx, XDP_FLAGS_DRV_MODE, NULL);
	close(fd);
	CHECK(query(if_rx).prog_id == 0);
}

static char libxdp_said[200];

static int capture_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	char line[200];

	(void)level;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (!libxdp_said[0] && strstr(line, "dispatcher") &&
	    (strstr(line, "fail") || strstr(line, "Can't") || strstr(line, "Couldn't"))) {
		memcpy(libxdp_said, line, sizeof(libxdp_said));
		libxdp_said[strcspn(libxdp_said, "\n")] = 0;
	}
	return 0;
}

/* With bpffs, libxdp's dispatcher lets another XDP program share the device. */
static void coexists_under_dispatcher(void)
{
	struct xdp_program *other;
	struct xdp_multiprog *mp;
	struct xdp_steer *s;
	libxdp_print_fn_t prev;
	bool legacy;
	int err;

	NEED_NS();
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL) && errno != EBUSY) {
		SKIP("cannot mount bpffs in our mount namespace: %s", strerror(errno));
		return;
	}
	other = xdp_program__open_file("/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_dny_all.o", NULL,
				       NULL);
	if (libxdp_get_error(other)) {
		SKIP("no second XDP program to share with (libxdp1's xdpfilt_dny_all.o)");
		return;
	}
	prev = libxdp_set_print(capture_libxdp);
	err = xdp_program__attach(other, if_rx, XDP_MODE_NATIVE, 0);
	libxdp_set_print(prev);
	if (err) {
		xdp_program__close(other);
		CHECKF(0, "cannot attach the other program: %s", strerror(-err));
		return;
	}
	mp = xdp_multiprog__get_from_ifindex(if_rx);
	legacy = libxdp_get_error(mp) || !mp || xdp_multiprog__is_legacy(mp);
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	if (legacy) {
		xdp_program__detach(other, if_rx, XDP_MODE_NATIVE, 0);
		xdp_program__close(other);
		SKIP("libxdp cannot build its multiprog dispatcher here (%s)",
		     libxdp_said[0] ? libxdp_said : "no reason given");
		return;
	}
	err = xdp_steer__open(&s, IF_RX, XDP_STEER_MODE_NATIVE, NULL);
	CHECKF(err == 0, "open beside another program: %d", err);
	if (!err) {
		CHECK(xdp_steer__multiprog(s));
		mp = xdp_multiprog__get_from_ifindex(if_rx);
		CHECK(!libxdp_get_error(mp) && xdp_multiprog__program_count(mp) == 2);
		xdp_multiprog__close(mp);
		xdp_steer__close(s);
		mp = xdp_multiprog__get_from_ifindex(if_rx);
		CHECK(!libxdp_get_error(mp) && xdp_multiprog__program_count(mp) == 1);
		xdp_multiprog__close(mp);
	}
	xdp_program__detach(other, if_rx, XDP_MODE_NATIVE, 0);
	xdp_program__close(other);
	CHECK(query(if_rx).prog_id == 0);
}

static void flow_key_from_sockaddrs(void)
{
	struct sockaddr_in l4 = { .sin_family = AF_INET, .sin_port = htons(40000) };
	struct sockaddr_in r4 = { .sin_family = AF_INET, .sin_port = htons(443) };
	struct sockaddr_in6 l6 = { .sin6_family = AF_INET6, .sin6_port = htons(40000) };
	struct sockaddr_in6 r6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct fx_flow_key k, want = test_key();

	memcpy(&l4.sin_addr, RX4, 4);
	memcpy(&r4.sin_addr, EX4, 4);
	REQUIRE(xdp_steer_flow_key_from_sockaddrs(&k, (void *)&l4, (void *)&r4) == 0);
	CHECK(!memcmp(&k, &want, sizeof(k)));

	/* v4-mapped IPv6 (dual-stack socket) gives the same IPv4 key. */
	l6.sin6_addr.s6_addr[10] = l6.sin6_addr.s6_addr[11] = 0xff;
	r6.sin6_addr.s6_addr[10] = r6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&l6.sin6_addr.s6_addr[12], RX4, 4);
	memcpy(&r6.sin6_addr.s6_addr[12], EX4, 4);
	REQUIRE(xdp_steer_flow_key_from_sockaddrs(&k, (void *)&l6, (void *)&r6) == 0);
	CHECK(!memcmp(&k, &want, sizeof(k)));

	inet_pton(AF_INET6, "fd00:fee0::2", &l6.sin6_addr);
	inet_pton(AF_INET6, "fd00:fee0::1", &r6.sin6_addr);
	REQUIRE(xdp_steer_flow_key_from_sockaddrs(&k, (void *)&l6, (void *)&r6) == 0);
	CHECK(k.family == FX_FAMILY_IPV6 && k.sport == htons(443) && k.dport == htons(40000));
	CHECK(!memcmp(k.saddr, &r6.sin6_addr, 16) && !memcmp(k.daddr, &l6.sin6_addr, 16));
	CHECK(k.pad[0] == 0 && k.pad[1] == 0 && k.pad[2] == 0);

	CHECK(xdp_steer_flow_key_from_sockaddrs(&k, (void *)&l4, (void *)&r6) == -EINVAL);
	CHECK(xdp_steer_flow_key_from_sockaddrs(&k, (void *)&un, (void *)&r4) == -EAFNOSUPPORT);
	l4.sin_addr.s_addr = htonl(INADDR_ANY);
	CHECK(xdp_steer_flow_key_from_sockaddrs(&k, (void *)&l4, (void *)&r4) == -EADDRNOTAVAIL);
	memcpy(&l4.sin_addr, RX4, 4);
	l4.sin_port = 0;
	CHECK(xdp_steer_flow_key_from_sockaddrs(&k, (void *)&l4, (void *)&r4) == -EADDRNOTAVAIL);
	memset(&l6.sin6_addr, 0, 16);
	CHECK(xdp_steer_flow_key_from_sockaddrs(&k, (void *)&l6, (void *)&r6) == -EADDRNOTAVAIL);
}

/* A real connected socket on our namespace's loopback. */
static void flow_key_from_connected_fd(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in local;
	socklen_t alen = sizeof(a), llen = sizeof(local);
	struct fx_flow_key k;
	int lfd, cfd;

	NEED_NS();
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(lfd >= 0);
	REQUIRE(bind(lfd, (void *)&a, sizeof(a)) == 0 && listen(lfd, 1) == 0);
	REQUIRE(getsockname(lfd, (void *)&a, &alen) == 0);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(cfd >= 0);
	REQUIRE(connect(cfd, (void *)&a, sizeof(a)) == 0);
	REQUIRE(getsockname(cfd, (void *)&local, &llen) == 0);
	REQUIRE(xdp_steer_flow_key_from_fd(&k, cfd) == 0);
	CHECK(k.family == FX_FAMILY_IPV4);
	CHECK(k.sport == a.sin_port && k.dport == local.sin_port);
	CHECK(!memcmp(k.saddr, &a.sin_addr, 4) && !memcmp(k.daddr, &local.sin_addr, 4));
	close(cfd);
	CHECK(xdp_steer_flow_key_from_fd(&k, lfd) == -ENOTCONN);
	close(lfd);
}

static void setup(void)
{
	if (geteuid() != 0) {
		snprintf(skip_why, sizeof(skip_why), "needs root for namespaces and XDP");
		return;
	}
	/* Our own network and mount namespaces: veth, bpffs and all traffic
	 * stay here and vanish with the process. */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS)) {
		snprintf(skip_why, sizeof(skip_why), "unshare: %s", strerror(errno));
		return;
	}
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		snprintf(skip_why, sizeof(skip_why), "private mounts: %s", strerror(errno));
		return;
	}
	if (sh("ip link add " IF_RX " type veth peer name " IF_WIRE) ||
	    sh("ip link set lo up && ip link set " IF_RX " up && ip link set " IF_WIRE " up") ||
	    sh("ip addr add 198.18.0.2/24 dev " IF_RX)) {
		snprintf(skip_why, sizeof(skip_why), "cannot create a veth pair (ip link)");
		return;
	}
	if (get_mac(IF_RX, mac_rx) || get_mac(IF_WIRE, mac_wire)) {
		snprintf(skip_why, sizeof(skip_why), "cannot read MAC addresses");
		return;
	}
	if_wire = (int)if_nametoindex(IF_WIRE);
	if_rx = (int)if_nametoindex(IF_RX);
}

int main(void)
{
	setup();
	RUN(flow_key_from_sockaddrs);
	RUN(flow_key_from_connected_fd);
	RUN(native_attach_query_close);
	RUN(skb_mode_when_asked);
	RUN(auto_falls_back_native_refuses);
	RUN(flow_add_del_round_trip);
	RUN(sigkilled_receiver_fails_open_and_is_replaced);
	RUN(skb_leftover_replaced_by_native);
	RUN(live_counters_and_flow_state);
	RUN(live_receiver_is_not_removed);
	RUN(foreign_program_is_left_alone);
	RUN(coexists_under_dispatcher); /* mounts bpffs: keep it last */
	return check_exit();
}

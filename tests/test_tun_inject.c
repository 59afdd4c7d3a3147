/* Tests for tun_inject, in a private network namespace (unshare): hand-built
 * IPv4 and IPv6 UDP frames (Ethernet, VLAN-tagged, padded) from a remote
 * source are re-injected through the TUN device and must reach ordinary UDP
 * sockets bound to the namespace's own addresses, which proves the
 * checksums and the rp_filter handling. The namespace holds a veth whose
 * addresses route the "exchange" (198.18.0.1, fd00:fee0::1) away from the
 * TUN, as the NIC does in production. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "fast/tun_inject.h"

#define DPORT 5001
#define SPORT 4000

static int u4 = -1, u6 = -1;
static char skip_why[256];

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

static int udp_socket(int family, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(DPORT);
		inet_pton(AF_INET, addr, &a->sin_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(DPORT);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		len = sizeof(*a);
	}
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int setup(void)
{
	if (geteuid() != 0) {
		snprintf(skip_why, sizeof(skip_why), "needs root");
		return -1;
	}
	if (access("/dev/net/tun", R_OK | W_OK)) {
		snprintf(skip_why, sizeof(skip_why), "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	if (unshare(CLONE_NEWNET)) {
		snprintf(skip_why, sizeof(skip_why), "unshare: %s", strerror(errno));
		return -1;
	}
	if (sh("ip link set lo up && ip link add name fxv0 type veth peer name fxv1 && "
	       "ip addr add 198.18.0.2/24 dev fxv0 && "
	       "ip -6 addr add fd00:fee0::2/64 dev fxv0 nodad && "
	       "ip link set fxv0 up && ip link set fxv1 up")) {
		snprintf(skip_why, sizeof(skip_why), "cannot configure the namespace");
		return -1;
	}
	u4 = udp_socket(AF_INET, "198.18.0.2");
	u6 = udp_socket(AF_INET6, "fd00:fee0::2");
	if (u4 < 0 || u6 < 0) {
		snprintf(skip_why, sizeof(skip_why), "UDP sockets: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- frames ---- */

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

enum { F_VLAN = 1, F_PAD = 2, F_BADSUM = 4 };

/* Ethernet [+ VLAN] + IPv4 or IPv6 + UDP 4000 -> 5001 carrying msg. */
static size_t build(uint8_t *f, int v6, int flags, const char *msg)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	size_t plen = strlen(msg), l2 = 14, iph = v6 ? 40 : 20, n;
	uint8_t *ip, *udp;
	uint32_t s;

	memcpy(f, macs, 12);
	if (flags & F_VLAN) {
		put16(f + 12, 0x8100);
		put16(f + 14, 42);
		l2 = 18;
	}
	put16(f + l2 - 2, v6 ? 0x86dd : 0x0800);
	ip = f + l2;
	udp = ip + iph;
	memset(ip, 0, iph + 8);
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(8 + plen));
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		inet_pton(AF_INET6, "fd00:fee0::1", ip + 8);
		inet_pton(AF_INET6, "fd00:fee0::2", ip + 24);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + 8 + plen));
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		inet_pton(AF_INET, "198.18.0.1", ip + 12);
		inet_pton(AF_INET, "198.18.0.2", ip + 16);
		put16(ip + 10, fold(sum16(0, ip, 20)));
	}
	put16(udp, SPORT);
	put16(udp + 2, DPORT);
	put16(udp + 4, (uint16_t)(8 + plen));
	memcpy(udp + 8, msg, plen);
	/* pseudo-header: addresses, protocol, UDP length */
	s = v6 ? sum16(0, ip + 8, 32) : sum16(0, ip + 12, 8);
	s += IPPROTO_UDP + 8 + (uint32_t)plen;
	s = sum16(s, udp, 8 + plen);
	put16(udp + 6, fold(s) ? fold(s) : 0xffff);
	if (flags & F_BADSUM)
		udp[6] ^= 0x5a;
	n = l2 + iph + 8 + plen;
	if ((flags & F_PAD) && n < 60) {
		memset(f + n, 0, 60 - n);
		n = 60;
	}
	return n;
}

/* Next datagram on fd: 1 if it is msg from the exchange's port, 0 if
 * none came within wait_ms, -1 if something else came. */
static int got(int fd, const char *msg, int wait_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[512];
	ssize_t n;
	uint16_t port;

	if (poll(&p, 1, wait_ms) != 1)
		return 0;
	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	if (n < 0)
		return 0;
	port = from.ss_family == AF_INET ? ((struct sockaddr_in *)&from)->sin_port
					 : ((struct sockaddr_in6 *)&from)->sin6_port;
	return (size_t)n == strlen(msg) && !memcmp(buf, msg, (size_t)n) && ntohs(port) == SPORT
		   ? 1
		   : -1;
}

/* A counter from /proc/net/snmp or /proc/net/netstat ("Udp", "InCsumErrors"). */
static long long counter(const char *file, const char *group, const char *name)
{
	char names[4096], vals[4096], *sn, *sv, *n, *v;
	size_t glen = strlen(group);
	FILE *f = fopen(file, "r");
	long long r = -1;

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, group, glen) || names[glen] != ':')
			continue;
		n = strtok_r(names + glen + 1, " \n", &sn);
		v = strtok_r(vals + glen + 1, " \n", &sv);
		while (n && v) {
			if (!strcmp(n, name)) {
				r = atoll(v);
				break;
			}
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
		break;
	}
	fclose(f);
	return r;
}

static int set_sysctl(const char *path, int v)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "%d\n", v);
	return fclose(f);
}

static struct tun_inject *open_tun_cfg(const char *name, int rp_filter, bool dummy)
{
	struct tun_inject_config c;
	struct tun_inject *t = NULL;
	struct fx_error why = {0};
	int err;

	tun_inject_defaults(&c);
	c.name = name;
	c.rp_filter = rp_filter;
	c.ipv4_dummy = dummy;
	err = tun_inject__new(&t, &c, &why);
	if (err)
		fprintf(stderr, "tun_inject__new: %s: %s\n", fx_strerror(err), why.msg);
	return err ? NULL : t;
}

static struct tun_inject *open_tun(const char *name, int rp_filter)
{
	return open_tun_cfg(name, rp_filter, true);
}

/* ---- cases ---- */

static void device_is_up_and_loose(void)
{
	struct tun_inject *t = open_tun(NULL, 2), *t2;
	struct ifreq ifr;
	int s, all = -1, dev = -1;

	REQUIRE(t);
	CHECK(strncmp(tun_inject__name(t), "fxtun", 5) == 0);
	CHECK(tun_inject__fd(t) >= 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, tun_inject__name(t));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0);
	CHECK(ifr.ifr_flags & IFF_UP);
	CHECK(ioctl(s, SIOCGIFADDR, &ifr) == 0);
	CHECK(((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr == inet_addr("192.0.0.8"));
	close(s);
	CHECK(tun_inject_rp_filter(tun_inject__name(t), &all, &dev) == 2);
	CHECK(dev == 2);
	/* A chosen name, rp_filter off. */
	t2 = open_tun("fxinj0", 0);
	CHECK(t2 && strcmp(tun_inject__name(t2), "fxinj0") == 0);
	if (t2)
		CHECK(tun_inject_rp_filter("fxinj0", NULL, &dev) == 0 && dev == 0);
	tun_inject__free(t2);
	tun_inject__free(t);
	CHECK(if_nametoindex("fxinj0") == 0); /* gone with its fd */
}

static void ipv4_frames_delivered(void)
{
	struct tun_inject *t = open_tun(NULL, 2);
	struct tun_inject_stats st;
	uint8_t f[256];
	size_t n, ip_bytes = 0;

	REQUIRE(t);
	n = build(f, 0, 0, "v4 plain");
	CHECK(tun_inject__write(t, f, n) == 0);
	ip_bytes += n - 14;
	CHECK(got(u4, "v4 plain", 1000) == 1);
	n = build(f, 0, F_VLAN, "v4 vlan");
	CHECK(tun_inject__write(t, f, n) == 0);
	ip_bytes += n - 18;
	CHECK(got(u4, "v4 vlan", 1000) == 1);
	/* Ethernet padding is not part of the IP packet: trimmed. */
	n = build(f, 0, F_PAD, "pad");
	CHECK(n == 60);
	CHECK(tun_inject__write(t, f, n) == 0);
	ip_bytes += 20 + 8 + 3;
	CHECK(got(u4, "pad", 1000) == 1);
	/* Already at L3. */
	n = build(f, 0, 0, "v4 ip");
	CHECK(tun_inject__write_ip(t, f + 14, n - 14) == 0);
	ip_bytes += n - 14;
	CHECK(got(u4, "v4 ip", 1000) == 1);
	tun_inject__stats(t, &st);
	CHECK(st.packets == 4);
	CHECK(st.bytes == ip_bytes);
	CHECK(st.bad_frames == 0 && st.errors == 0 && st.eagain == 0);
	tun_inject__free(t);
}

static void ipv6_frames_delivered(void)
{
	struct tun_inject *t = open_tun(NULL, 2);
	struct tun_inject_stats st;
	uint8_t f[256];
	size_t n;

	REQUIRE(t);
	n = build(f, 1, 0, "v6 plain");
	CHECK(tun_inject__write(t, f, n) == 0);
	CHECK(got(u6, "v6 plain", 1000) == 1);
	n = build(f, 1, F_VLAN | F_PAD, "v6 vlan");
	CHECK(tun_inject__write(t, f, n) == 0);
	CHECK(got(u6, "v6 vlan", 1000) == 1);
	tun_inject__stats(t, &st);
	CHECK(st.packets == 2);
	CHECK(st.bytes == (40 + 8 + 8) + (40 + 8 + 7));
	tun_inject__free(t);
}

/* A batch with two frames that hold no IP packet: those are counted, the
 * rest delivered in order. */
static void batch_counts_bad_frames(void)
{
	static uint8_t f[10][256];
	struct tun_inject *t = open_tun(NULL, 2);
	struct tun_inject_stats st;
	struct iovec iov[10];
	char msg[10][16];
	unsigned i;

	REQUIRE(t);
	for (i = 0; i < 10; i++) {
		snprintf(msg[i], sizeof(msg[i]), "batch %u", i);
		iov[i].iov_base = f[i];
		iov[i].iov_len = build(f[i], i & 1, i & 2 ? F_VLAN : 0, msg[i]);
	}
	put16(f[3] + 12, 0x0806); /* ARP */
	iov[6].iov_len -= 3;	  /* truncated: IP length beyond the frame */
	CHECK(tun_inject__write_batch(t, iov, 10) == 8);
	for (i = 0; i < 10; i++)
		if (i != 3 && i != 6)
			CHECKF(got(i & 1 ? u6 : u4, msg[i], 1000) == 1, "frame %u", i);
	tun_inject__stats(t, &st);
	CHECK(st.packets == 8);
	CHECK(st.bad_frames == 2);
	CHECK(tun_inject__write(t, f[0], 10) == -EPROTO); /* shorter than Ethernet */
	tun_inject__stats(t, &st);
	CHECK(st.bad_frames == 3);
	tun_inject__free(t);
}

/* The kernel checks what we re-inject: a bad UDP checksum is dropped and
 * counted, never delivered (why offloads are off on the exchange side). */
static void bad_checksum_dropped_by_kernel(void)
{
	struct tun_inject *t = open_tun(NULL, 2);
	long long before, after;
	uint8_t f[256];
	size_t n;

	REQUIRE(t);
	before = counter("/proc/net/snmp", "Udp", "InCsumErrors");
	n = build(f, 0, F_BADSUM, "bad sum");
	CHECK(tun_inject__write(t, f, n) == 0);
	CHECK(got(u4, "bad sum", 200) == 0);
	after = counter("/proc/net/snmp", "Udp", "InCsumErrors");
	CHECKF(before >= 0 && after == before + 1, "InCsumErrors %lld -> %lld", before, after);
	tun_inject__free(t);
}

/* all=1 (strict) with the device at 2: max(1, 2) = loose, so delivered. */
static void loose_device_overrides_strict_all(void)
{
	struct tun_inject *t;
	uint8_t f[256];
	size_t n;

	REQUIRE(set_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", 1) == 0);
	t = open_tun(NULL, 2);
	CHECK(t != NULL);
	if (t) {
		CHECK(tun_inject_rp_filter(tun_inject__name(t), NULL, NULL) == 2);
		n = build(f, 0, 0, "loose");
		CHECK(tun_inject__write(t, f, n) == 0);
		CHECK(got(u4, "loose", 1000) == 1);
	}
	tun_inject__free(t);
	set_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", 0);
}

/* Strict in effect: refused at set-up with a message saying what to run. */
static void strict_rp_filter_refused_with_advice(void)
{
	struct tun_inject_config c;
	struct tun_inject *t = NULL;
	struct fx_error why = {0};
	int err;

	REQUIRE(set_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", 1) == 0);
	tun_inject_defaults(&c);
	c.name = "fxstrict0";
	c.rp_filter = 0; /* max(1, 0) = strict */
	err = tun_inject__new(&t, &c, &why);
	CHECK(err == TUN_INJECT_E_RPF);
	CHECK(t == NULL);
	CHECKF(strstr(why.msg, "strict") &&
		   strstr(why.msg, "sysctl -w net.ipv4.conf.fxstrict0.rp_filter=2"),
	       "message: %s", why.msg);
	CHECK(why.code == err);
	CHECK(strstr(fx_strerror(err), "reverse-path") != NULL);
	printf("# %s\n", why.msg);
	CHECK(if_nametoindex("fxstrict0") == 0); /* not left behind */
	/* Left alone (-1), it inherits default (0 here): strict as well. */
	c.rp_filter = -1;
	CHECK(tun_inject__new(&t, &c, NULL) == TUN_INJECT_E_RPF);
	set_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", 0);
}

/* Why the check exists: with strict in effect the kernel really drops the
 * re-injected packet (and counts it), although write() succeeds. */
static void strict_rp_filter_really_drops(void)
{
	struct tun_inject *t = open_tun(NULL, 2);
	char path[96];
	long long before, after;
	uint8_t f[256];
	size_t n;

	REQUIRE(t);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", tun_inject__name(t));
	CHECK(set_sysctl(path, 0) == 0);
	CHECK(set_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", 1) == 0);
	CHECK(tun_inject_rp_filter(tun_inject__name(t), NULL, NULL) == 1);
	before = counter("/proc/net/netstat", "TcpExt", "IPReversePathFilter");
	n = build(f, 0, 0, "strict");
	CHECK(tun_inject__write(t, f, n) == 0);
	CHECK(got(u4, "strict", 200) == 0);
	after = counter("/proc/net/netstat", "TcpExt", "IPReversePathFilter");
	CHECKF(before >= 0 && after == before + 1, "IPReversePathFilter %lld -> %lld", before,
	       after);
	set_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", 0);
	tun_inject__free(t);
}

/* Why the dummy address: on an address-less device loose mode drops too. */
static void loose_without_address_really_drops(void)
{
	struct tun_inject *t = open_tun(NULL, 2);
	char cmd[96];
	long long before, after;
	uint8_t f[256];
	size_t n;

	REQUIRE(t);
	snprintf(cmd, sizeof(cmd), "ip addr flush dev %s", tun_inject__name(t));
	CHECK(sh(cmd) == 0);
	CHECK(tun_inject_rp_filter(tun_inject__name(t), NULL, NULL) == 2);
	before = counter("/proc/net/netstat", "TcpExt", "IPReversePathFilter");
	n = build(f, 0, 0, "no address");
	CHECK(tun_inject__write(t, f, n) == 0);
	CHECK(got(u4, "no address", 200) == 0);
	after = counter("/proc/net/netstat", "TcpExt", "IPReversePathFilter");
	CHECKF(before >= 0 && after == before + 1, "IPReversePathFilter %lld -> %lld", before,
	       after);
	tun_inject__free(t);
}

/* Without the dummy address: loose is refused up front, off works. */
static void without_address_only_off(void)
{
	struct tun_inject_config c;
	struct tun_inject *t = NULL;
	struct fx_error why = {0};
	uint8_t f[256];
	size_t n;

	tun_inject_defaults(&c);
	c.ipv4_dummy = false;
	CHECK(tun_inject__new(&t, &c, &why) == TUN_INJECT_E_RPF);
	CHECKF(strstr(why.msg, "no IPv4 address") != NULL, "message: %s", why.msg);
	printf("# %s\n", why.msg);
	t = open_tun_cfg(NULL, 0, false);
	REQUIRE(t);
	n = build(f, 0, 0, "off");
	CHECK(tun_inject__write(t, f, n) == 0);
	CHECK(got(u4, "off", 1000) == 1);
	tun_inject__free(t);
}

static void bad_config_rejected(void)
{
	struct tun_inject_config c;
	struct tun_inject *t = NULL;

	tun_inject_defaults(&c);
	c.name = "a-name-far-too-long-for-linux";
	CHECK(tun_inject__new(&t, &c, NULL) == -EINVAL);
	tun_inject_defaults(&c);
	c.rp_filter = 3;
	CHECK(tun_inject__new(&t, &c, NULL) == -EINVAL);
	CHECK(t == NULL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (setup()) {
		printf("SKIP tun_inject: %s\n", skip_why);
		return 0;
	}
	RUN(device_is_up_and_loose);
	RUN(ipv4_frames_delivered);
	RUN(ipv6_frames_delivered);
	RUN(batch_counts_bad_frames);
	RUN(bad_checksum_dropped_by_kernel);
	RUN(loose_device_overrides_strict_all);
	RUN(strict_rp_filter_refused_with_advice);
	RUN(strict_rp_filter_really_drops);
	RUN(loose_without_address_really_drops);
	RUN(without_address_only_off);
	RUN(bad_config_rejected);
	return check_exit();
}

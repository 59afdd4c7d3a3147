/* tun_inject — TUN device set-up (up, rp_filter) and re-injection of the
 * frames the fast path consumed, with counters. */
#include "tun_inject.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pkt_parse.h"

struct tun_inject {
	int fd;
	char name[IF_NAMESIZE];
	struct tun_inject_stats st;
};

#define TUN_INJECT_DUMMY_ADDR "192.0.0.8" /* RFC 7600: IPv4 dummy address */

void tun_inject_defaults(struct tun_inject_config *cfg)
{
	cfg->name = NULL;
	cfg->rp_filter = 2;
	cfg->ipv4_dummy = true;
}

static int read_int(const char *path, int *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%d", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static int write_int(const char *path, int v)
{
	char buf[16];
	int fd, n, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", v);
	if (write(fd, buf, (size_t)n) != n)
		err = -errno;
	close(fd);
	return err;
}

int tun_inject_rp_filter(const char *dev, int *all, int *devval)
{
	char path[96];
	int a, d, err;

	err = read_int("/proc/sys/net/ipv4/conf/all/rp_filter", &a);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", dev);
	err = read_int(path, &d);
	if (err)
		return err;
	if (all)
		*all = a;
	if (devval)
		*devval = d;
	return a > d ? a : d;
}

static int set_up(const char *name)
{
	struct ifreq ifr;
	int s, err = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr)) {
		err = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		err = -errno;
out:
	close(s);
	return err;
}

static void nl_attr(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* 192.0.0.8/32 scope host, no prefix route: an address that reaches nothing
 * new, only so the device is not address-less. rtnetlink, as ioctls cannot
 * set the scope or skip the prefix route. */
static int add_dummy_addr(unsigned ifindex)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[64];
	} req;
	union {
		struct nlmsghdr nh;
		char buf[512];
	} ack;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	uint32_t addr, flags = IFA_F_NOPREFIXROUTE;
	struct nlmsgerr *e;
	ssize_t n;
	int fd, err;

	inet_pton(AF_INET, TUN_INJECT_DUMMY_ADDR, &addr);
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = RTM_NEWADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	req.nh.nlmsg_seq = 1;
	req.ifa.ifa_family = AF_INET;
	req.ifa.ifa_prefixlen = 32;
	req.ifa.ifa_scope = RT_SCOPE_HOST;
	req.ifa.ifa_index = ifindex;
	nl_attr(&req.nh, IFA_LOCAL, &addr, sizeof(addr));
	nl_attr(&req.nh, IFA_ADDRESS, &addr, sizeof(addr));
	nl_attr(&req.nh, IFA_FLAGS, &flags, sizeof(flags));
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, &ack, sizeof(ack), 0);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	if (!NLMSG_OK(&ack.nh, (size_t)n) || ack.nh.nlmsg_type != NLMSG_ERROR) {
		err = -EPROTO;
		goto out;
	}
	e = NLMSG_DATA(&ack.nh);
	err = e->error; /* 0 is the ACK */
out:
	close(fd);
	return err;
}

int tun_inject__new(struct tun_inject **out, const struct tun_inject_config *cfg,
		    struct fx_error *why)
{
	const char *name = cfg->name ? cfg->name : "fxtun%d";
	struct tun_inject *t;
	struct ifreq ifr;
	char path[96], fix[160];
	int err, all = 0, dev = 0, rpf, set_err = 0, addr_err;

	*out = NULL;
	if (strlen(name) >= IF_NAMESIZE || cfg->rp_filter > 2)
		return fx_error_set(why, -EINVAL, "bad TUN name or rp_filter value");
	t = calloc(1, sizeof(*t));
	if (!t)
		return fx_error_set(why, -ENOMEM, "out of memory");
	/* Non-blocking: a full device must never stall the feed loop. */
	t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (t->fd < 0) {
		err = -errno;
		fx_error_set(why, err, "cannot open /dev/net/tun: %s", strerror(-err));
		goto err_free;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strcpy(ifr.ifr_name, name);
	if (ioctl(t->fd, TUNSETIFF, &ifr)) {
		err = -errno;
		fx_error_set(why, err, "cannot create TUN device %s: %s", name, strerror(-err));
		goto err_close;
	}
	memcpy(t->name, ifr.ifr_name, IF_NAMESIZE - 1);
	err = set_up(t->name);
	if (err) {
		fx_error_set(why, err, "cannot bring %s up: %s", t->name, strerror(-err));
		goto err_close;
	}
	if (cfg->ipv4_dummy) {
		addr_err = add_dummy_addr(if_nametoindex(t->name));
		if (addr_err && addr_err != -EEXIST) {
			err = addr_err;
			fx_error_set(why, err, "cannot add %s to %s: %s", TUN_INJECT_DUMMY_ADDR, t->name,
			    strerror(-err));
			goto err_close;
		}
	}
	if (cfg->rp_filter >= 0) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", t->name);
		set_err = write_int(path, cfg->rp_filter);
	}
	rpf = tun_inject_rp_filter(t->name, &all, &dev);
	if (rpf < 0) {
		err = rpf;
		fx_error_set(why, err, "cannot read rp_filter of %s: %s", t->name, strerror(-err));
		goto err_close;
	}
	if (rpf == 1 || (rpf == 2 && !cfg->ipv4_dummy)) {
		err = TUN_INJECT_E_RPF;
		if (cfg->ipv4_dummy)
			snprintf(fix, sizeof(fix),
				 "sysctl -w net.ipv4.conf.%s.rp_filter=2 (or set "
				 "net.ipv4.conf.default.rp_filter=2 before starting)",
				 t->name);
		else
			snprintf(fix, sizeof(fix),
				 "sysctl -w net.ipv4.conf.all.rp_filter=0 "
				 "net.ipv4.conf.%s.rp_filter=0 (without an IPv4 address only 0 "
				 "passes)",
				 t->name);
		fx_error_set(why, err,
		    "reverse-path filter on %s is %s (all=%d, %s=%d%s%s%s): the kernel would drop "
		    "every re-injected packet; run: %s",
		    t->name, rpf == 1 ? "strict" : "loose", all, t->name, dev,
		    cfg->ipv4_dummy ? "" : ", no IPv4 address",
		    set_err ? ", setting it failed: " : "", set_err ? strerror(-set_err) : "", fix);
		goto err_close;
	}
	*out = t;
	return 0;

err_close:
	close(t->fd);
err_free:
	free(t);
	return err;
}

void tun_inject__free(struct tun_inject *t)
{
	if (!t)
		return;
	close(t->fd);
	free(t);
}

const char *tun_inject__name(const struct tun_inject *t)
{
	return t->name;
}

int tun_inject__fd(const struct tun_inject *t)
{
	return t->fd;
}

/* Length of the IP packet at p from its own header, or 0 when p does not
 * hold a whole one. */
static size_t ip_len(const uint8_t *p, size_t len)
{
	size_t n;

	if (len < 1)
		return 0;
	switch (p[0] >> 4) {
	case 4:
		if (len < 20)
			return 0;
		n = (size_t)p[2] << 8 | p[3];
		return n >= 20 && n <= len ? n : 0;
	case 6:
		if (len < 40)
			return 0;
		/* No jumbograms: they need frames beyond 64 KiB. */
		n = 40 + ((size_t)p[4] << 8 | p[5]);
		return n <= len ? n : 0;
	default:
		return 0;
	}
}

int tun_inject__write_ip(struct tun_inject *t, const void *pkt, size_t len)
{
	size_t n = ip_len(pkt, len);
	ssize_t w;

	if (!n) {
		t->st.bad_frames++;
		return -EPROTO;
	}
	w = write(t->fd, pkt, n);
	if (w == (ssize_t)n) {
		t->st.packets++;
		t->st.bytes += n;
		return 0;
	}
	if (w >= 0) {
		t->st.errors++;
		return -EIO;
	}
	if (errno == EAGAIN || errno == ENOBUFS || errno == ENOMEM) {
		t->st.eagain++;
		return -errno;
	}
	t->st.errors++;
	return -errno;
}

int tun_inject__write(struct tun_inject *t, const void *frame, size_t len)
{
	int off = pkt_parse_l3_offset(frame, len);

	if (off < 0) {
		t->st.bad_frames++;
		return -EPROTO;
	}
	return tun_inject__write_ip(t, (const uint8_t *)frame + off, len - (size_t)off);
}

unsigned tun_inject__write_batch(struct tun_inject *t, const struct iovec *frames, unsigned n)
{
	unsigned i, ok = 0;

	for (i = 0; i < n; i++)
		ok += tun_inject__write(t, frames[i].iov_base, frames[i].iov_len) == 0;
	return ok;
}

void tun_inject__stats(const struct tun_inject *t, struct tun_inject_stats *out)
{
	*out = t->st;
}


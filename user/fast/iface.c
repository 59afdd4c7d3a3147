/* iface — which interface a feed arrives on, and whether the fast path can
 * serve it there. */
#include "iface.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

/* The interface of the route to host:port (no packet is sent: a UDP
 * connect() only asks the routing table). 0 or a negative errno. */
int iface_route_to(const char *host, const char *port, char *ifname)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai = NULL;
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	struct ifaddrs *ifa = NULL, *i;
	int fd, r = -ENODEV;

	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return -ENXIO; /* the name does not resolve: the kernel path says why */
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    getsockname(fd, (struct sockaddr *)&local, &len) < 0) {
		r = -errno;
		goto out;
	}
	if (getifaddrs(&ifa) < 0) {
		r = -errno;
		goto out;
	}
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != local.ss_family)
			continue;
		if ((local.ss_family == AF_INET &&
		     ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr ==
			     ((struct sockaddr_in *)&local)->sin_addr.s_addr) ||
		    (local.ss_family == AF_INET6 &&
		     memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			    &((struct sockaddr_in6 *)&local)->sin6_addr, 16) == 0)) {
			snprintf(ifname, IF_NAMESIZE, "%s", i->ifa_name);
			r = 0;
			break;
		}
	}
	freeifaddrs(ifa);
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return r;
}

/* Loopback can't carry the fast path: re-injected packets with a 127.0.0.0/8
 * or ::1 address arrive on the TUN device and the kernel drops them as
 * martians, so not even the TCP handshake would complete. */
bool iface_is_loopback(const char *ifname)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool lo = false;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		lo = ifr.ifr_flags & IFF_LOOPBACK;
	close(fd);
	return lo;
}

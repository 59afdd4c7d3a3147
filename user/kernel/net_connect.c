/* net_connect — resolution, socket set-up and proxy CONNECT (see net_connect.h). */
#include "net_connect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int net_connect_resolve(const char *host, const char *port, struct addrinfo **out,
			struct fx_error *err)
{
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM,
	    .ai_protocol = IPPROTO_TCP,
	    .ai_flags = AI_NUMERICSERV,
	};
	int r;

	*out = NULL;
	r = getaddrinfo(host, port, &hints, out);
	if (r == 0)
		return 0;
	if (r == EAI_SYSTEM)
		return fx_error_set(err, -errno, "%s", strerror(errno));
	return fx_error_set(err, -EHOSTUNREACH, "%s", gai_strerror(r));
}

/* The source address a connection to dst would get: connect() a UDP socket
 * (no packet is sent) and read its name. */
static int net_connect__to_dev(int fd, const struct net_bind *b)
{
	if (!b || !b->dev[0])
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, b->dev, (socklen_t)strlen(b->dev))
		   ? -errno
		   : 0;
}

static int net_connect__source_for(const struct addrinfo *ai, const struct net_bind *b,
				   struct sockaddr_storage *src)
{
	socklen_t len = sizeof(*src);
	int fd, r = 0;

	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((r = net_connect__to_dev(fd, b))) {
		close(fd);
		return r;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) ||
	    getsockname(fd, (struct sockaddr *)src, &len))
		r = -errno;
	close(fd);
	if (r)
		return r;
	if (src->ss_family == AF_INET)
		((struct sockaddr_in *)src)->sin_port = 0;
	else
		((struct sockaddr_in6 *)src)->sin6_port = 0;
	return 0;
}

int net_connect_bind_parse(const char *spec, struct net_bind *out, struct fx_error *err)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;

	memset(out, 0, sizeof(*out));
	out->addr.ss_family = AF_UNSPEC;
	if (inet_pton(AF_INET, spec, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, spec, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		return 0;
	}
	if (strlen(spec) >= sizeof(out->dev) || !if_nametoindex(spec))
		return fx_error_set(err, -EINVAL,
				    "'%s' is neither an IP address nor an interface of this host",
				    spec);
	memcpy(out->dev, spec, strlen(spec) + 1);
	return 0;
}

int net_connect_socket(const struct addrinfo *ai, const struct net_bind *b,
		       struct sockaddr_storage *local)
{
	socklen_t len;
	int fd, one = 1, r;

	if (b && b->addr.ss_family != AF_UNSPEC) {
		if (b->addr.ss_family != ai->ai_family)
			return -EAFNOSUPPORT;
		*local = b->addr; /* port 0: an ephemeral one */
	} else if ((r = net_connect__source_for(ai, b, local))) {
		return r;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	/* feeds are small messages both ways (pongs): no Nagle delay */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		goto err;
	if ((r = net_connect__to_dev(fd, b))) {
		close(fd);
		return r;
	}
	len =
	    local->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (bind(fd, (struct sockaddr *)local, len))
		goto err;
	len = sizeof(*local);
	if (getsockname(fd, (struct sockaddr *)local, &len))
		goto err;
	return fd;

err:
	r = -errno;
	close(fd);
	return r;
}

int net_connect_start(int fd, const struct addrinfo *ai)
{
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	return errno == EINPROGRESS ? -EINPROGRESS : -errno;
}

int net_connect_result(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return -err;
}

void net_connect_describe(const struct sockaddr *sa, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(out, cap, "%s:%u", a, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(out, cap, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		snprintf(out, cap, "(family %d)", sa->sa_family);
	}
}

int net_connect_proxy_request(const struct url *target, char *out, size_t cap)
{
	char auth[URL_HOST_MAX + 16];
	int n;

	if (url_authority(target, true, auth, sizeof(auth)) < 0)
		return -ENOSPC;
	n = snprintf(out, cap,
		     "CONNECT %s HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "User-Agent: feedrx\r\n"
		     "\r\n",
		     auth, auth);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int net_connect_proxy_check(const struct http_response *r, struct fx_error *err)
{
	const char *reason;
	size_t n, i;
	char buf[80];

	if (r->status >= 200 && r->status <= 299)
		return 0;
	reason = http_response__reason(r, &n);
	for (i = 0; i < n && i + 1 < sizeof(buf); i++)
		buf[i] = (reason[i] >= 0x20 && reason[i] < 0x7f) ? reason[i] : '?';
	buf[i] = 0;
	return fx_error_set(err, -ECONNREFUSED, "proxy answered %d%s%s", r->status, i ? " " : "",
			    buf);
}

/* net_connect — getting a TCP byte stream to the exchange: blocking name
 * resolution for set-up (the loop uses resolve.h), a non-blocking socket
 * that is bound before connect() so its full 4-tuple is known in advance
 * (the XDP mode registers the flow then), and the HTTP CONNECT request and
 * answer check of a proxy tunnel. The event loop that waits for connect()
 * to finish lives in kconn. */
#ifndef FEEDRX_NET_CONNECT_H
#define FEEDRX_NET_CONNECT_H

#include <netdb.h>
#include <stddef.h>
#include <sys/socket.h>

#include "core/fx_err.h"
#include "http_response.h"
#include "url.h"

/* Resolve host and port for TCP (both families, numeric or by name).
 * 0 with *out to free with freeaddrinfo(), or a negative code with
 * gai_strerror()'s text in err. This blocks (getaddrinfo): only for
 * set-up before a loop runs; on the loop use resolve.h, as kconn does. */
int net_connect_resolve(const char *host, const char *port, struct addrinfo **out,
			struct fx_error *err);

/* Where a connection leaves from (--bind): an interface (SO_BINDTODEVICE:
 * its routes and source address) and/or a source address. */
struct net_bind {
	char dev[16];                /* IFNAMSIZ; "" = any */
	struct sockaddr_storage addr; /* ss_family AF_UNSPEC = the kernel's pick */
};

/* "198.18.0.3", "fd00::3" (a source address) or "eth1" (an interface that
 * exists): 0, or -EINVAL with the reason in err. */
int net_connect_bind_parse(const char *spec, struct net_bind *out, struct fx_error *err);

/* Open a non-blocking, close-on-exec TCP socket for ai with TCP_NODELAY,
 * bound to the source address the kernel would pick for ai (through b's
 * interface, when it names one), or to b's address, and an ephemeral port.
 * *local gets that address (getsockname). b may be NULL. Returns the fd or
 * a negative errno (-EAFNOSUPPORT: b's address is of the other family). */
int net_connect_socket(const struct addrinfo *ai, const struct net_bind *b,
		       struct sockaddr_storage *local);

/* Start connect(): 0 connected at once, -EINPROGRESS, or a negative errno. */
int net_connect_start(int fd, const struct addrinfo *ai);

/* After writability: 0 connected, or the negative errno of the failure. */
int net_connect_result(int fd);

/* "198.18.0.1:9443" or "[fd00:fee0::1]:9443". */
void net_connect_describe(const struct sockaddr *sa, char *out, size_t cap);

/* The CONNECT request for the tunnel to target (host:port always). Returns
 * its length or -ENOSPC. */
int net_connect_proxy_request(const struct url *target, char *out, size_t cap);

/* Check a complete proxy answer: 0 for 2xx, else -ECONNREFUSED with a line
 * like "proxy answered 403 Access violation" in err. */
int net_connect_proxy_check(const struct http_response *r, struct fx_error *err);

#endif

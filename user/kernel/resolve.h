/* resolve — asynchronous name resolution on the libev loop, on c-ares:
 * nothing waits for a DNS server while the loop delivers other
 * connections' messages. c-ares reads /etc/resolv.conf and /etc/hosts
 * itself ("files then DNS" unless resolv.conf says otherwise).
 *
 * One resolve_ctx per loop (or per owner) holds the c-ares channel and the
 * watchers for its sockets and its retry timer; any number of queries run
 * on it at once. A numeric address is answered at once, without DNS. A
 * query ends exactly once: its callback runs with the addresses or an
 * error, unless it was cancelled first (then never). The callback may run
 * before resolve_start() returns (numeric host, /etc/hosts, an immediate
 * error): *out is NULL then. */
#ifndef FEEDRX_RESOLVE_H
#define FEEDRX_RESOLVE_H

#include <stddef.h>
#include <sys/socket.h>

#include <ev.h>

#include "core/fx_err.h"

#define RESOLVE_MAX_ADDRS 16 /* addresses kept per answer (the rest dropped) */
#define RESOLVE_MAX_SOCKS 32 /* sockets c-ares may hold open at once */

struct resolve_opts {
	/* "127.0.0.1:5353,[::1]:53": use these servers instead of resolv.conf's
	 * (tests); NULL for the system's. */
	const char *servers;
	double try_timeout; /* seconds per try, 0: c-ares' default (5 s) */
	int tries;	    /* tries per server, 0: c-ares' default (4) */
	/* true: no search domains from resolv.conf (a name is looked up as
	 * given); the default follows resolv.conf. */
	int no_search;
};

/* The answer: IPv4 and IPv6 addresses with the port set, in c-ares' order
 * (RFC 6724 destination sorting). */
struct resolve_addrs {
	size_t n;
	struct sockaddr_storage addr[RESOLVE_MAX_ADDRS];
	socklen_t len[RESOLVE_MAX_ADDRS];
};

/* status 0 with addrs (n >= 1), or a negative code with a one-line reason
 * in why: -EHOSTUNREACH (no such name, no address: c-ares' text, e.g.
 * "Domain name not found"), -ETIMEDOUT ("no answer within 2 s"), -EIO
 * (server failure, refused, malformed answer), -ENOMEM, -EINVAL. */
typedef void (*resolve_cb)(void *user, int status, const struct resolve_addrs *addrs,
			   const char *why);

struct resolve_ctx;
struct resolve_query;

/* Set up a channel on loop. 0 and *out, or a negative code with err. */
int resolve_ctx__new(struct resolve_ctx **out, struct ev_loop *loop, const struct resolve_opts *o,
		     struct fx_error *err);

/* Queries in flight (tests, stats). */
size_t resolve_ctx__pending(const struct resolve_ctx *c);

/* Stop every query without calling its callback, then free. Safe from
 * inside a callback (the channel goes once c-ares has returned). */
void resolve_ctx__free(struct resolve_ctx *c);

/* Resolve host (a name or a numeric IPv4/IPv6 address) for TCP to port
 * (decimal string). family: AF_UNSPEC, AF_INET or AF_INET6. timeout:
 * seconds for the whole query (0: only c-ares' own tries bound it).
 * Returns 0 (with *out the query to cancel, or NULL if cb already ran) or
 * a negative code before anything started (cb not called). */
int resolve_start(struct resolve_ctx *c, const char *host, const char *port, int family,
		  double timeout, resolve_cb cb, void *user, struct resolve_query **out);

/* Forget a query: its callback never runs. NULL is fine. */
void resolve_query__cancel(struct resolve_query *q);

#endif

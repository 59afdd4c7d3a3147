/* resolve — c-ares driven by libev watchers (see resolve.h).
 *
 * c-ares tells us which sockets to watch (sock_state_cb) and when its next
 * retry is due (ares_timeout); the loop calls ares_process_fd() when one of
 * them is ready. Callbacks run inside c-ares' calls, so a depth counter
 * defers freeing the channel until c-ares has returned. */
#include "resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>

#include "core/util.h"

struct resolve_sock {
	ev_io io;
	struct resolve_ctx *ctx;
	int fd; /* -1: free slot */
};

struct resolve_ctx {
	struct ev_loop *loop;
	ares_channel ch;
	ev_timer tick; /* c-ares' next retry or timeout */
	int depth;     /* nested calls into c-ares */
	bool dying;    /* freed while inside c-ares */
	size_t pending;
	struct resolve_sock socks[RESOLVE_MAX_SOCKS];
};

struct resolve_query {
	struct resolve_ctx *ctx;
	resolve_cb cb; /* NULL once cancelled or answered */
	void *user;
	uint16_t port;
	double timeout;
	ev_timer timer;
	bool in_start; /* inside resolve_start: the caller has no pointer yet */
	bool ended;    /* c-ares has called back: free when the caller is done */
	char host[256];
};

static void resolve__destroy(struct resolve_ctx *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(c->socks); i++)
		if (c->socks[i].fd >= 0)
			ev_io_stop(c->loop, &c->socks[i].io);
	ev_timer_stop(c->loop, &c->tick);
	c->depth++; /* ares_destroy calls every pending callback back */
	ares_destroy(c->ch);
	free(c);
	ares_library_cleanup();
}

/* Re-arm the retry timer from c-ares' view of its next deadline. */
static void resolve__arm(struct resolve_ctx *c)
{
	struct timeval tv, *t;

	if (c->dying)
		return;
	t = ares_timeout(c->ch, NULL, &tv);
	ev_timer_stop(c->loop, &c->tick);
	if (!t)
		return;
	ev_timer_set(&c->tick, (double)t->tv_sec + (double)t->tv_usec / 1e6 + 1e-4, 0.);
	ev_timer_start(c->loop, &c->tick);
}

static void resolve__enter(struct resolve_ctx *c)
{
	c->depth++;
}

/* Leave a call into c-ares: 1 if the context is gone. */
static int resolve__leave(struct resolve_ctx *c)
{
	if (--c->depth == 0 && c->dying) {
		resolve__destroy(c);
		return 1;
	}
	resolve__arm(c);
	return 0;
}

static void resolve__io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct resolve_sock *s = container_of(w, struct resolve_sock, io);
	struct resolve_ctx *c = s->ctx;
	int fd = s->fd;

	(void)loop;
	resolve__enter(c);
	ares_process_fd(c->ch, (revents & EV_READ) ? fd : ARES_SOCKET_BAD,
			(revents & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	resolve__leave(c);
}

static void resolve__tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolve_ctx *c = container_of(w, struct resolve_ctx, tick);

	(void)loop;
	(void)revents;
	resolve__enter(c);
	ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	resolve__leave(c);
}

/* c-ares opens, changes or closes (both 0) interest in a socket. */
static void resolve__sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolve_ctx *c = data;
	struct resolve_sock *s = NULL, *free_slot = NULL;
	int ev = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);

	for (size_t i = 0; i < ARRAY_SIZE(c->socks); i++) {
		if (c->socks[i].fd == fd)
			s = &c->socks[i];
		else if (c->socks[i].fd < 0 && !free_slot)
			free_slot = &c->socks[i];
	}
	if (s)
		ev_io_stop(c->loop, &s->io);
	if (!ev) {
		if (s)
			s->fd = -1;
		return;
	}
	if (!s)
		s = free_slot;
	if (!s)
		return; /* more sockets than slots: c-ares' timeout retries it */
	s->fd = fd;
	ev_io_set(&s->io, fd, ev);
	ev_io_start(c->loop, &s->io);
}

int resolve_ctx__new(struct resolve_ctx **out, struct ev_loop *loop, const struct resolve_opts *o,
		     struct fx_error *err)
{
	static const struct resolve_opts none;
	struct ares_options ao = {0};
	int mask = ARES_OPT_SOCK_STATE_CB, r;
	struct resolve_ctx *c;

	*out = NULL;
	if (!o)
		o = &none;
	r = ares_library_init(ARES_LIB_INIT_ALL);
	if (r != ARES_SUCCESS)
		return fx_error_set(err, -ENOMEM, "cannot start c-ares: %s", ares_strerror(r));
	c = calloc(1, sizeof(*c));
	if (!c) {
		ares_library_cleanup();
		return fx_error_set(err, -ENOMEM, "out of memory");
	}
	c->loop = loop;
	for (size_t i = 0; i < ARRAY_SIZE(c->socks); i++) {
		c->socks[i].fd = -1;
		c->socks[i].ctx = c;
		ev_init(&c->socks[i].io, resolve__io_cb);
	}
	ev_init(&c->tick, resolve__tick_cb);
	ao.sock_state_cb = resolve__sock_state;
	ao.sock_state_cb_data = c;
	if (o->try_timeout > 0) {
		ao.timeout = (int)(o->try_timeout * 1000);
		if (ao.timeout < 1)
			ao.timeout = 1;
		mask |= ARES_OPT_TIMEOUTMS;
	}
	if (o->tries > 0) {
		ao.tries = o->tries;
		mask |= ARES_OPT_TRIES;
	}
	if (o->no_search) {
		ao.ndomains = 0;
		ao.domains = NULL;
		mask |= ARES_OPT_DOMAINS;
	}
	r = ares_init_options(&c->ch, &ao, mask);
	if (r != ARES_SUCCESS) {
		free(c);
		ares_library_cleanup();
		return fx_error_set(err, r == ARES_ENOMEM ? -ENOMEM : -EIO,
				    "cannot set up name resolution: %s", ares_strerror(r));
	}
	if (o->servers && (r = ares_set_servers_ports_csv(c->ch, o->servers)) != ARES_SUCCESS) {
		ares_destroy(c->ch);
		free(c);
		ares_library_cleanup();
		return fx_error_set(err, -EINVAL, "bad DNS server list '%s': %s", o->servers,
				    ares_strerror(r));
	}
	*out = c;
	return 0;
}

size_t resolve_ctx__pending(const struct resolve_ctx *c)
{
	return c->pending;
}

void resolve_ctx__free(struct resolve_ctx *c)
{
	if (!c)
		return;
	c->dying = true;
	if (c->depth == 0)
		resolve__destroy(c);
}

static void resolve__set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* A numeric host: 1 and addrs filled, 0 if it is a name. */
static int resolve__numeric(const char *host, uint16_t port, int family, struct resolve_addrs *a)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->addr[0];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->addr[0];

	memset(a, 0, sizeof(a->addr[0]));
	if (family != AF_INET6 && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		a->len[0] = sizeof(*s4);
	} else if (family != AF_INET && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		a->len[0] = sizeof(*s6);
	} else {
		return 0;
	}
	resolve__set_port(&a->addr[0], port);
	a->n = 1;
	return 1;
}

static int resolve__port(const char *port, uint16_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(port, &end, 10);
	if (!*port || *end || errno || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

static void resolve__free_query(struct resolve_query *q)
{
	ev_timer_stop(q->ctx->loop, &q->timer);
	free(q);
}

/* Deliver once; the query stays allocated until c-ares is done with it. */
static void resolve__deliver(struct resolve_query *q, int status, const struct resolve_addrs *a,
			     const char *why)
{
	resolve_cb cb = q->cb;

	q->cb = NULL;
	ev_timer_stop(q->ctx->loop, &q->timer);
	if (cb && !q->ctx->dying)
		cb(q->user, status, a, why);
}

static int resolve__code(int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
	case ARES_ENONAME:
	case ARES_ENOTIMP:
		return -EHOSTUNREACH;
	case ARES_ETIMEOUT:
		return -ETIMEDOUT;
	case ARES_ENOMEM:
		return -ENOMEM;
	case ARES_EBADNAME:
	case ARES_EBADFAMILY:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static void resolve__ares_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct resolve_query *q = arg;
	struct resolve_addrs a;

	(void)timeouts;
	q->ctx->pending--;
	q->ended = true;
	if (status == ARES_SUCCESS && res) {
		a.n = 0;
		for (struct ares_addrinfo_node *n = res->nodes; n && a.n < RESOLVE_MAX_ADDRS;
		     n = n->ai_next) {
			if ((n->ai_family != AF_INET && n->ai_family != AF_INET6) ||
			    n->ai_addrlen > sizeof(a.addr[0]))
				continue;
			memset(&a.addr[a.n], 0, sizeof(a.addr[0]));
			memcpy(&a.addr[a.n], n->ai_addr, n->ai_addrlen);
			a.len[a.n] = n->ai_addrlen;
			resolve__set_port(&a.addr[a.n], q->port);
			a.n++;
		}
		if (a.n == 0)
			resolve__deliver(q, -EHOSTUNREACH, NULL, "no IPv4 or IPv6 address");
		else
			resolve__deliver(q, 0, &a, NULL);
	} else if (status != ARES_ECANCELLED && status != ARES_EDESTRUCTION) {
		resolve__deliver(q, resolve__code(status), NULL, ares_strerror(status));
	}
	if (res)
		ares_freeaddrinfo(res);
	if (!q->in_start)
		resolve__free_query(q);
}

static void resolve__timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolve_query *q = container_of(w, struct resolve_query, timer);
	char why[64];

	(void)loop;
	(void)revents;
	snprintf(why, sizeof(why), "no answer within %g s", q->timeout);
	/* c-ares keeps the query until its own tries end; it is ours no more */
	resolve__deliver(q, -ETIMEDOUT, NULL, why);
}

int resolve_start(struct resolve_ctx *c, const char *host, const char *port, int family,
		  double timeout, resolve_cb cb, void *user, struct resolve_query **out)
{
	struct ares_addrinfo_hints hints = {
	    .ai_flags = ARES_AI_NUMERICSERV,
	    .ai_family = family,
	    .ai_socktype = SOCK_STREAM,
	    .ai_protocol = IPPROTO_TCP,
	};
	struct resolve_addrs a;
	struct resolve_query *q;
	uint16_t p;

	*out = NULL;
	if (resolve__port(port, &p) || strlen(host) >= sizeof(q->host) || !*host ||
	    (family != AF_UNSPEC && family != AF_INET && family != AF_INET6))
		return -EINVAL;
	if (resolve__numeric(host, p, family, &a)) {
		cb(user, 0, &a, NULL);
		return 0;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->ctx = c;
	q->cb = cb;
	q->user = user;
	q->port = p;
	q->timeout = timeout;
	q->in_start = true;
	snprintf(q->host, sizeof(q->host), "%s", host);
	ev_init(&q->timer, resolve__timeout_cb);
	if (timeout > 0) {
		ev_timer_set(&q->timer, timeout, 0.);
		ev_timer_start(c->loop, &q->timer);
	}
	c->pending++;
	resolve__enter(c);
	ares_getaddrinfo(c->ch, q->host, port, &hints, resolve__ares_cb, q);
	q->in_start = false;
	if (q->ended) /* answered from /etc/hosts or failed at once */
		resolve__free_query(q);
	else
		*out = q;
	resolve__leave(c);
	return 0;
}

void resolve_query__cancel(struct resolve_query *q)
{
	if (!q)
		return;
	q->cb = NULL;
	ev_timer_stop(q->ctx->loop, &q->timer);
}

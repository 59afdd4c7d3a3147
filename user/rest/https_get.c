/* https_get — the REST client's connection and request queue (see
 * https_get.h). One connection at a time per host: its set-up mirrors
 * kconn's (resolve, connect each address, proxy, TLS); once TLS is up the
 * ALPN answer picks rest_h1 or rest_h2 for the exchanges. */
#include "https_get.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "kernel/http_response.h"
#include "kernel/net_connect.h"
#include "rest_h1.h"
#include "rest_h2.h"

#define HG_RX_BUF 16384
#define HG_REQ_BUF (HTTPS_GET_PATH_MAX + URL_HOST_MAX + 256)
#define HG_RETRIES 2 /* sends of a request the server did not process */

enum hg_state {
	HG_IDLE, /* no connection */
	HG_RESOLVING,
	HG_CONNECTING, /* TCP */
	HG_PROXY,      /* CONNECT sent, reading the answer */
	HG_TLS,
	HG_READY, /* h1 or h2 exchanges */
};

enum hg_req_state { HG_FREE, HG_QUEUED, HG_SENT, HG_DELIVERING };

struct hg_req {
	enum hg_req_state state;
	uint64_t seq; /* FIFO order */
	ev_tstamp sent_at;
	int32_t stream;	  /* h2 stream id */
	unsigned retries; /* sent again after the server left it unprocessed */
	https_get_cb cb;
	void *user;
	struct rest_resp resp;
	char path[HTTPS_GET_PATH_MAX + 1];
};

struct https_get {
	struct ev_loop *loop;
	struct https_get_opts o;
	struct url url, proxy;
	char authority[URL_HOST_MAX + 16];

	enum hg_state state;
	int fd;
	struct resolve_ctx *resolver, *own_resolver;
	struct resolve_query *query;
	struct resolve_addrs addrs;
	size_t ai_next;
	int last_err;
	char peer[URL_HOST_MAX + 16];

	ev_io io;
	int io_events;
	ev_timer deadline; /* connect timeout */
	ev_timer reqtimer; /* the oldest sent request's timeout */
	ev_timer idle;	   /* unused connection */
	ev_timer kick;	   /* start work on the next loop iteration */

	struct tls_client tls;
	struct http_response proxy_resp;
	bool h2;
	struct rest_h2 h2s;
	struct rest_h1 h1;
	struct hg_req *h1_cur;
	char out[HG_REQ_BUF]; /* CONNECT or the h1 request being written */
	size_t out_off, out_len;
	size_t h2_inflight;
	unsigned conn_reqs; /* requests started on this connection */

	struct hg_req *reqs;
	size_t nreqs;
	uint64_t seq;
	unsigned connections;
	char proto[16];
	char err[URL_HOST_MAX + 256];
	uint8_t rx[HG_RX_BUF];
};

static void hg__drive(struct https_get *c);
static void hg__dispatch(struct https_get *c);
static void hg__h2_done(void *user, struct rest_resp *r, int err, const char *why);

/* ---- requests ---------------------------------------------------------- */

static void hg__deliver(struct https_get *c, struct hg_req *q, int err, const char *why)
{
	struct https_response r = {
	    .err = err,
	    .error = err ? why : "",
	    .status = q->resp.status,
	    .body = q->resp.body ? q->resp.body : "",
	    .body_len = q->resp.body_len,
	    .retry_after = -1,
	    .used_weight = -1,
	    .h2 = c->h2,
	    .raw = &q->resp,
	};
	struct timespec now;

	if (q->resp.head_done) {
		clock_gettime(CLOCK_REALTIME, &now);
		r.retry_after = rest_resp__retry_after(&q->resp, (double)now.tv_sec);
		r.used_weight = rest_resp__header_long(&q->resp, "x-mbx-used-weight-1m");
	}
	q->state = HG_DELIVERING;
	q->cb(q->user, &r);
	q->state = HG_FREE;
	/* keep small buffers for the next response, give big ones back */
	if (q->resp.body_cap > 65536)
		rest_resp__free(&q->resp);
}

static struct hg_req *hg__oldest(struct https_get *c, enum hg_req_state st)
{
	struct hg_req *best = NULL;

	for (size_t i = 0; i < c->nreqs; i++)
		if (c->reqs[i].state == st && (!best || c->reqs[i].seq < best->seq))
			best = &c->reqs[i];
	return best;
}

static bool hg__has(struct https_get *c, enum hg_req_state st)
{
	return hg__oldest(c, st) != NULL;
}

/* The next request timeout: the oldest sent request's. */
static void hg__arm_reqtimer(struct https_get *c)
{
	struct hg_req *q = hg__oldest(c, HG_SENT);
	ev_tstamp left;

	ev_timer_stop(c->loop, &c->reqtimer);
	if (!q)
		return;
	left = q->sent_at + c->o.request_timeout - ev_now(c->loop);
	ev_timer_set(&c->reqtimer, left > 0.001 ? left : 0.001, 0.);
	ev_timer_start(c->loop, &c->reqtimer);
}

/* ---- connection -------------------------------------------------------- */

static void hg__want(struct https_get *c, int events)
{
	if (events == c->io_events && ev_is_active(&c->io))
		return;
	ev_io_stop(c->loop, &c->io);
	c->io_events = events;
	if (!events)
		return;
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(c->loop, &c->io);
}

static void hg__close_conn(struct https_get *c)
{
	hg__want(c, 0);
	ev_timer_stop(c->loop, &c->deadline);
	ev_timer_stop(c->loop, &c->idle);
	resolve_query__cancel(c->query);
	c->query = NULL;
	if (c->tls.ssl) {
		if (c->state == HG_READY)
			SSL_shutdown(c->tls.ssl); /* best effort close_notify */
		SSL_free(c->tls.ssl);
		c->tls.ssl = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	rest_h2__free(&c->h2s);
	c->h2_inflight = 0;
	c->h1_cur = NULL;
	c->out_len = c->out_off = 0;
	c->state = HG_IDLE;
}

/* The connection is lost or refused: requests on it fail with the reason;
 * before "ready" the queued ones too (they were waiting for this one). */
__attribute__((format(printf, 3, 4))) static void hg__fail_conn(struct https_get *c, int err,
								const char *fmt, ...)
{
	bool setup = c->state != HG_READY;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	hg__close_conn(c);
	for (size_t i = 0; i < c->nreqs; i++) {
		struct hg_req *q = &c->reqs[i];
		if (q->state == HG_SENT || (setup && q->state == HG_QUEUED))
			hg__deliver(c, q, err < 0 ? err : -EIO, c->err);
	}
	hg__arm_reqtimer(c);
	if (hg__has(c, HG_QUEUED)) /* queued after a working connection broke */
		ev_timer_start(c->loop, &c->kick);
}

static const char *hg__phase(enum hg_state s)
{
	switch (s) {
	case HG_RESOLVING:
		return "resolving";
	case HG_CONNECTING:
		return "TCP connect to";
	case HG_PROXY:
		return "proxy CONNECT through";
	case HG_TLS:
		return "TLS handshake with";
	default:
		return "talking to";
	}
}

static void hg__deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct https_get *c = container_of(w, struct https_get, deadline);

	(void)loop;
	(void)revents;
	hg__fail_conn(c, -ETIMEDOUT, "connect timeout after %g s (%s %s)", c->o.connect_timeout,
		      hg__phase(c->state), c->peer);
}

static void hg__idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct https_get *c = container_of(w, struct https_get, idle);

	(void)loop;
	(void)revents;
	if (c->state == HG_READY && !c->h1_cur && !c->h2_inflight)
		hg__close_conn(c);
}

static void hg__connected(struct https_get *c)
{
	if (c->o.proxy) {
		int n = net_connect_proxy_request(&c->url, c->out, sizeof(c->out));
		if (n < 0) {
			hg__fail_conn(c, n, "proxy request too long");
			return;
		}
		c->out_off = 0;
		c->out_len = (size_t)n;
		http_response__init(&c->proxy_resp);
		c->state = HG_PROXY;
	} else {
		c->state = HG_TLS;
	}
	hg__drive(c);
}

static void hg__try_next(struct https_get *c)
{
	while (c->ai_next < c->addrs.n) {
		struct sockaddr_storage *ss = &c->addrs.addr[c->ai_next];
		struct addrinfo ai = {
		    .ai_family = ss->ss_family,
		    .ai_socktype = SOCK_STREAM,
		    .ai_protocol = IPPROTO_TCP,
		    .ai_addrlen = c->addrs.len[c->ai_next],
		    .ai_addr = (struct sockaddr *)ss,
		};
		struct sockaddr_storage local;
		int fd, r;

		c->ai_next++;
		net_connect_describe(ai.ai_addr, c->peer, sizeof(c->peer));
		fd = net_connect_socket(&ai, NULL, &local);
		if (fd < 0) {
			c->last_err = fd;
			continue;
		}
		c->fd = fd;
		r = net_connect_start(fd, &ai);
		if (r == 0) {
			hg__connected(c);
			return;
		}
		if (r == -EINPROGRESS) {
			c->state = HG_CONNECTING;
			hg__want(c, EV_WRITE);
			return;
		}
		c->last_err = r;
		close(fd);
		c->fd = -1;
	}
	hg__fail_conn(c, c->last_err ? c->last_err : -EHOSTUNREACH, "cannot connect to %s: %s",
		      c->peer, strerror(c->last_err ? -c->last_err : EHOSTUNREACH));
}

static void hg__resolved(void *user, int status, const struct resolve_addrs *a, const char *why)
{
	struct https_get *c = user;
	const struct url *to = c->o.proxy ? &c->proxy : &c->url;

	c->query = NULL;
	if (status) {
		hg__fail_conn(c, status, "cannot resolve %s%s: %s", c->o.proxy ? "proxy " : "",
			      to->host, why);
		return;
	}
	c->addrs = *a;
	c->ai_next = 0;
	c->last_err = 0;
	hg__try_next(c);
}

static void hg__connect(struct https_get *c)
{
	const struct url *to = c->o.proxy ? &c->proxy : &c->url;
	int r;

	c->state = HG_RESOLVING;
	c->proto[0] = 0;
	c->h2 = false;
	c->conn_reqs = 0;
	snprintf(c->peer, sizeof(c->peer), "%s", to->host);
	ev_timer_set(&c->deadline, c->o.connect_timeout, 0.);
	ev_timer_start(c->loop, &c->deadline);
	r = resolve_start(c->resolver, to->host, to->port_str, AF_UNSPEC, 0, hg__resolved, c,
			  &c->query);
	if (r)
		hg__fail_conn(c, r, "cannot resolve %s: %s", to->host, strerror(-r));
}

/* ---- proxy and TLS ------------------------------------------------------- */

/* 1: advanced, 0: wait or failed. */
static int hg__proxy_step(struct https_get *c)
{
	struct fx_error e;
	ssize_t n, used;
	int r;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			hg__want(c, EV_WRITE);
			return 0;
		}
		if (n < 0) {
			hg__fail_conn(c, -errno, "proxy %s: %s", c->peer, strerror(errno));
			return 0;
		}
		c->out_off += (size_t)n;
	}
	n = recv(c->fd, c->rx, sizeof(c->rx), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		hg__want(c, EV_READ);
		return 0;
	}
	if (n <= 0) {
		hg__fail_conn(c, n ? -errno : -ECONNRESET,
			      "proxy %s closed the connection before answering", c->peer);
		return 0;
	}
	used = http_response__feed(&c->proxy_resp, (const char *)c->rx, (size_t)n);
	if (used < 0) {
		hg__fail_conn(c, (int)used, "bad answer from proxy %s: %s", c->peer,
			      http_response__error(&c->proxy_resp));
		return 0;
	}
	if (!c->proxy_resp.done)
		return 1;
	if ((r = net_connect_proxy_check(&c->proxy_resp, &e))) {
		hg__fail_conn(c, r, "%s", e.msg);
		return 0;
	}
	if (used != n) {
		hg__fail_conn(c, -EPROTO, "proxy %s sent data after its answer", c->peer);
		return 0;
	}
	c->out_len = c->out_off = 0;
	c->state = HG_TLS;
	return 1;
}

static int hg__tls_step(struct https_get *c)
{
	const unsigned char *alpn;
	unsigned int alen;
	int r;

	if (!c->tls.ssl) {
		r = tls_client__attach(&c->tls, c->fd, c->url.host, c->url.ip_literal);
		if (r) {
			hg__fail_conn(c, r, "%s", c->tls.err);
			return 0;
		}
	}
	r = tls_client__handshake(&c->tls);
	if (r == -EAGAIN) {
		hg__want(c, c->tls.want_write ? EV_WRITE : EV_READ);
		return 0;
	}
	if (r) {
		hg__fail_conn(c, r, "TLS handshake with %s failed: %s", c->peer, c->tls.err);
		return 0;
	}
	SSL_get0_alpn_selected(c->tls.ssl, &alpn, &alen);
	c->h2 = alen == 2 && !memcmp(alpn, "h2", 2);
	snprintf(c->proto, sizeof(c->proto), "%s", c->h2 ? "h2" : "http/1.1");
	if (c->h2 && rest_h2__init(&c->h2s, hg__h2_done, c) < 0) {
		hg__fail_conn(c, -ENOMEM, "cannot start an HTTP/2 session");
		return 0;
	}
	ev_timer_stop(c->loop, &c->deadline);
	c->connections++;
	c->state = HG_READY;
	return 1;
}

/* ---- HTTP/1.1 -------------------------------------------------------------- */

static void hg__h1_start(struct https_get *c)
{
	struct hg_req *q = hg__oldest(c, HG_QUEUED);
	int n;

	if (!q || c->h1_cur)
		return;
	n = snprintf(c->out, sizeof(c->out),
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: feedrx\r\n"
		     "Accept: application/json\r\n\r\n",
		     q->path, c->authority);
	c->out_off = 0;
	c->out_len = (size_t)n;
	q->state = HG_SENT;
	q->sent_at = ev_now(c->loop);
	rest_resp__reset(&q->resp, c->o.max_body);
	rest_h1__init(&c->h1, &q->resp);
	c->h1_cur = q;
	c->conn_reqs++;
	hg__arm_reqtimer(c);
}

/* The response on the connection is complete or broken. */
static void hg__h1_end(struct https_get *c, int err, const char *why)
{
	struct hg_req *q = c->h1_cur;
	bool reuse = !err && c->h1.keep_alive;

	c->h1_cur = NULL;
	if (!reuse)
		hg__close_conn(c);
	hg__deliver(c, q, err, why);
	hg__arm_reqtimer(c);
	if (hg__has(c, HG_QUEUED))
		ev_timer_start(c->loop, &c->kick);
}

static void hg__h1_io(struct https_get *c)
{
	ssize_t n, used;

again:
	while (c->h1_cur && c->out_off < c->out_len) {
		n = tls_client__write(&c->tls, c->out + c->out_off, c->out_len - c->out_off);
		if (n == -EAGAIN) {
			hg__want(c, c->tls.want_write ? EV_WRITE : EV_READ);
			return;
		}
		if (n < 0) {
			hg__fail_conn(c, (int)n, "sending the request to %s: %s", c->peer,
				      c->tls.err);
			return;
		}
		c->out_off += (size_t)n;
	}
	for (;;) {
		n = tls_client__read(&c->tls, c->rx, sizeof(c->rx));
		if (n == -EAGAIN) {
			hg__want(c, c->tls.want_write ? EV_WRITE : EV_READ);
			return;
		}
		if (n <= 0) {
			/* EOF or close_notify: the end of a read-until-close body,
			 * or a kept-alive connection the server let go */
			if (!c->h1_cur) {
				hg__close_conn(c);
				if (hg__has(c, HG_QUEUED))
					ev_timer_start(c->loop, &c->kick);
				return;
			}
			if (!c->h1_cur->resp.head_done && c->conn_reqs > 1 &&
			    c->out_off == c->out_len) {
				/* a kept-alive connection closed as the request went
				 * out (the server's idle timeout): send it again on a
				 * new one; a GET may be repeated */
				c->h1_cur->state = HG_QUEUED;
				hg__close_conn(c);
				ev_timer_start(c->loop, &c->kick);
				return;
			}
			if (n < 0 && n != -ECONNRESET) {
				hg__fail_conn(c, (int)n, "connection to %s lost: %s", c->peer,
					      c->tls.err);
				return;
			}
			c->h1.keep_alive = false;
			n = rest_h1__eof(&c->h1);
			hg__h1_end(c, (int)n, rest_h1__error(&c->h1));
			return;
		}
		if (!c->h1_cur) {
			hg__fail_conn(c, -EPROTO, "%s sent data nobody asked for", c->peer);
			return;
		}
		used = rest_h1__feed(&c->h1, (const char *)c->rx, (size_t)n);
		if (used < 0) {
			c->h1.keep_alive = false;
			hg__h1_end(c, (int)used, rest_h1__error(&c->h1));
			return;
		}
		if (c->h1.done) {
			/* bytes past the response: do not reuse the connection */
			if (used != n)
				c->h1.keep_alive = false;
			hg__h1_end(c, 0, "");
			if (c->state != HG_READY)
				return;
			hg__dispatch(c); /* the next request on this connection */
			goto again;
		}
	}
}

/* ---- HTTP/2 ---------------------------------------------------------------- */

static void hg__h2_done(void *user, struct rest_resp *r, int err, const char *why)
{
	struct https_get *c = user;
	struct hg_req *q = container_of(r, struct hg_req, resp);

	if (q->state != HG_SENT)
		return;
	c->h2_inflight--;
	if (err == -EAGAIN && q->retries < HG_RETRIES) {
		/* unprocessed: again, on this connection or the next one */
		q->retries++;
		q->state = HG_QUEUED;
		ev_timer_start(c->loop, &c->kick);
		return;
	}
	hg__deliver(c, q, err, why);
	hg__arm_reqtimer(c);
}

static void hg__h2_io(struct https_get *c)
{
	const uint8_t *p;
	size_t n;
	ssize_t r;

	for (;;) {
		r = tls_client__read(&c->tls, c->rx, sizeof(c->rx));
		if (r == -EAGAIN)
			break;
		if (r <= 0) {
			hg__fail_conn(c, r ? (int)r : -ECONNRESET, "connection to %s lost: %s",
				      c->peer, r ? c->tls.err : "closed by the server");
			return;
		}
		if (rest_h2__feed(&c->h2s, c->rx, (size_t)r)) {
			hg__fail_conn(c, -EPROTO, "%s: %s", c->peer, c->h2s.why);
			return;
		}
	}
	if (c->state != HG_READY)
		return;
	hg__dispatch(c);
	while ((n = rest_h2__pending(&c->h2s, &p)) > 0) {
		r = tls_client__write(&c->tls, p, n);
		if (r == -EAGAIN) {
			hg__want(c, EV_READ | (c->tls.want_write ? EV_WRITE : 0));
			return;
		}
		if (r < 0) {
			hg__fail_conn(c, (int)r, "write to %s failed: %s", c->peer, c->tls.err);
			return;
		}
		rest_h2__consume(&c->h2s, (size_t)r);
	}
	if (!rest_h2__alive(&c->h2s)) { /* GOAWAY and nothing left */
		hg__fail_conn(c, -ECONNRESET, "%s ended the HTTP/2 session", c->peer);
		return;
	}
	hg__want(c, EV_READ);
}

/* ---- the machine ------------------------------------------------------------ */

/* Hand queued requests to the connection. */
static void hg__dispatch(struct https_get *c)
{
	struct hg_req *q;

	if (c->state != HG_READY)
		return;
	if (!c->h2) {
		hg__h1_start(c);
	} else {
		while (!c->h2s.goaway && c->h2_inflight < c->o.max_inflight &&
		       (q = hg__oldest(c, HG_QUEUED))) {
			int32_t id;

			rest_resp__reset(&q->resp, c->o.max_body);
			id = rest_h2__get(&c->h2s, c->authority, q->path, &q->resp);
			if (id < 0) {
				hg__deliver(c, q, id, c->h2s.why);
				continue;
			}
			q->stream = id;
			q->state = HG_SENT;
			q->sent_at = ev_now(c->loop);
			c->h2_inflight++;
		}
		hg__arm_reqtimer(c);
	}
	if (!c->h1_cur && !c->h2_inflight) {
		ev_timer_set(&c->idle, c->o.idle_timeout, 0.);
		ev_timer_start(c->loop, &c->idle);
	} else {
		ev_timer_stop(c->loop, &c->idle);
	}
}

static void hg__drive(struct https_get *c)
{
	for (;;) {
		switch (c->state) {
		case HG_PROXY:
			if (!hg__proxy_step(c))
				return;
			break;
		case HG_TLS:
			if (!hg__tls_step(c))
				return;
			hg__dispatch(c);
			break;
		case HG_READY:
			if (c->h2) {
				hg__h2_io(c);
			} else {
				/* a request queued on an idle kept-alive connection */
				hg__dispatch(c);
				hg__h1_io(c);
			}
			return;
		default:
			return;
		}
	}
}

static void hg__io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct https_get *c = container_of(w, struct https_get, io);
	int r;

	(void)loop;
	(void)revents;
	if (c->state == HG_CONNECTING) {
		r = net_connect_result(c->fd);
		if (r) {
			c->last_err = r;
			hg__want(c, 0);
			close(c->fd);
			c->fd = -1;
			hg__try_next(c);
			return;
		}
		hg__want(c, 0);
		hg__connected(c);
		return;
	}
	hg__drive(c);
}

static void hg__kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct https_get *c = container_of(w, struct https_get, kick);

	(void)loop;
	(void)revents;
	if (c->state == HG_READY) {
		hg__drive(c);
		return;
	}
	if (!hg__has(c, HG_QUEUED))
		return;
	if (c->state == HG_IDLE)
		hg__connect(c);
}

static void hg__reqtimer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct https_get *c = container_of(w, struct https_get, reqtimer);
	struct hg_req *q = hg__oldest(c, HG_SENT);
	char why[96];

	(void)loop;
	(void)revents;
	if (!q)
		return;
	if (q->sent_at + c->o.request_timeout > ev_now(c->loop) + 0.0005) {
		hg__arm_reqtimer(c);
		return;
	}
	snprintf(why, sizeof(why), "no complete response within %g s", c->o.request_timeout);
	if (!c->h2) {
		/* the connection is mid-response: it cannot carry another */
		hg__fail_conn(c, -ETIMEDOUT, "%s", why);
		return;
	}
	rest_h2__cancel(&c->h2s, q->stream);
	c->h2_inflight--;
	hg__deliver(c, q, -ETIMEDOUT, why);
	hg__arm_reqtimer(c);
	hg__drive(c); /* send the RST_STREAM */
}

/* ---- public ------------------------------------------------------------------- */

int https_get__new(struct https_get **out, struct ev_loop *loop, const struct https_get_opts *o,
		   struct fx_error *err)
{
	static const unsigned char alpn_h2[] = "\x02h2\x08http/1.1";
	static const unsigned char alpn_h1[] = "\x08http/1.1";
	struct https_get *c;
	int r;

	*out = NULL;
	if (!o->url || (o->url->scheme != URL_HTTPS && o->url->scheme != URL_WSS))
		return fx_error_set(err, -EINVAL, "the REST client needs an https:// URL");
	c = calloc(1, sizeof(*c));
	if (!c)
		return fx_error_set(err, -ENOMEM, "out of memory");
	c->loop = loop;
	c->o = *o;
	c->url = *o->url;
	if (o->proxy)
		c->proxy = *o->proxy;
	c->o.url = &c->url;
	c->o.proxy = o->proxy ? &c->proxy : NULL;
	if (c->o.connect_timeout <= 0)
		c->o.connect_timeout = 10;
	if (c->o.request_timeout <= 0)
		c->o.request_timeout = 10;
	if (c->o.idle_timeout <= 0)
		c->o.idle_timeout = 30;
	if (!c->o.max_body)
		c->o.max_body = 8u << 20;
	if (!c->o.max_inflight)
		c->o.max_inflight = 8;
	if (!c->o.max_queue)
		c->o.max_queue = 64;
	c->fd = -1;
	if (url_authority(&c->url, false, c->authority, sizeof(c->authority)) < 0) {
		r = fx_error_set(err, -EINVAL, "host name too long");
		goto err_free;
	}
	c->nreqs = c->o.max_queue;
	c->reqs = calloc(c->nreqs, sizeof(*c->reqs));
	if (!c->reqs) {
		r = fx_error_set(err, -ENOMEM, "out of memory");
		goto err_free;
	}
	r = tls_client__init(&c->tls, &o->tls);
	if (r) {
		fx_error_set(err, r, "%s", c->tls.err);
		goto err_reqs;
	}
	if (o->no_h2 ? SSL_CTX_set_alpn_protos(c->tls.ctx, alpn_h1, sizeof(alpn_h1) - 1)
		     : SSL_CTX_set_alpn_protos(c->tls.ctx, alpn_h2, sizeof(alpn_h2) - 1)) {
		r = fx_error_set(err, -ENOMEM, "cannot set ALPN");
		goto err_tls;
	}
	c->resolver = o->resolver;
	if (!c->resolver) {
		r = resolve_ctx__new(&c->own_resolver, loop, NULL, err);
		if (r)
			goto err_tls;
		c->resolver = c->own_resolver;
	}
	ev_io_init(&c->io, hg__io_cb, -1, 0);
	ev_init(&c->deadline, hg__deadline_cb);
	ev_init(&c->reqtimer, hg__reqtimer_cb);
	ev_init(&c->idle, hg__idle_cb);
	ev_timer_init(&c->kick, hg__kick_cb, 0., 0.);
	*out = c;
	return 0;

err_tls:
	tls_client__free(&c->tls);
err_reqs:
	free(c->reqs);
err_free:
	free(c);
	return r;
}

int https_get__request(struct https_get *c, const char *path, https_get_cb cb, void *user)
{
	struct hg_req *q = NULL;
	size_t n = strlen(path);

	if (path[0] != '/' || !cb)
		return -EINVAL;
	if (n > HTTPS_GET_PATH_MAX)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)path[i] <= ' ' || path[i] == 0x7f)
			return -EINVAL; /* no request splitting through the path */
	for (size_t i = 0; i < c->nreqs && !q; i++)
		if (c->reqs[i].state == HG_FREE)
			q = &c->reqs[i];
	if (!q)
		return -ENOBUFS;
	memcpy(q->path, path, n + 1);
	q->cb = cb;
	q->user = user;
	q->seq = ++c->seq;
	q->retries = 0;
	q->state = HG_QUEUED;
	ev_timer_start(c->loop, &c->kick);
	return 0;
}

size_t https_get__pending(const struct https_get *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nreqs; i++)
		n += c->reqs[i].state == HG_QUEUED || c->reqs[i].state == HG_SENT;
	return n;
}

unsigned https_get__connections(const struct https_get *c)
{
	return c->connections;
}

const char *https_get__protocol(const struct https_get *c)
{
	return c->proto;
}

void https_get__free(struct https_get *c)
{
	if (!c)
		return;
	ev_timer_stop(c->loop, &c->kick);
	ev_timer_stop(c->loop, &c->reqtimer);
	hg__close_conn(c);
	for (size_t i = 0; i < c->nreqs; i++)
		rest_resp__free(&c->reqs[i].resp);
	free(c->reqs);
	tls_client__free(&c->tls);
	resolve_ctx__free(c->own_resolver);
	free(c);
}

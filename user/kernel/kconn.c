/* kconn — the kernel-socket feed connection state machine (see kconn.h). */
#include "kconn.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/fx_log.h"
#include "http_response.h"
#include "http_upgrade.h"
#include "net_connect.h"
#include "ws_client.h"
#include "core/util.h"
#include "proto/ws_proto.h"

#define KCONN_RX_BUF (32 * 1024)  /* > one TLS record's plaintext (16 KiB) */
#define KCONN_HS_BUF 8192	  /* CONNECT or GET request */
#define KCONN_OUT_BUF 4096	  /* WebSocket output beyond the SUBSCRIBE */
#define KCONN_READS_PER_WAKEUP 64 /* then let timers and signals run */

struct kconn {
	struct ev_loop *loop;
	struct kconn_opts o;
	struct kconn_hooks h;
	enum kconn_state state;
	int status; /* 0, or the first error */
	int fd;

	struct resolve_ctx *resolver; /* o.resolver or own_resolver */
	struct resolve_ctx *own_resolver;
	struct resolve_query *query; /* resolution in flight */
	bool resolving;
	struct resolve_addrs addrs; /* the answer, tried in order */
	size_t ai_next, ai_left;
	int last_err;
	char peer[URL_HOST_MAX + 16]; /* address being connected to / connected */

	ev_io io;
	int io_events;
	ev_timer deadline; /* connect timeout, then close timeout */
	ev_timer attempt;  /* one address's share of the connect timeout */
	ev_timer idle;
	ev_idle busy; /* --poll busy: spin on the socket while open */
	/* Idle means no complete frame once open (in discard mode the fast
	 * path reports them: kconn__frame_seen): a server that trickles a
	 * frame a byte at a time (slowloris) is as dead as a silent one. */
	ev_tstamp last_rx;
	ev_tstamp last_byte; /* open: the last plaintext byte, for the message */
	bool ping_sent;
	ev_tstamp last_ka; /* our last keepalive (or the open) */

	struct tls_client tls;
	struct http_response proxy_resp;
	struct http_upgrade up;
	struct ws_client ws;

	char hs[KCONN_HS_BUF]; /* the handshake request being written */
	size_t hs_off, hs_len;
	size_t wr_inflight; /* SSL_write length to retry, 0 if none */
	bool read_wants_write;
	bool shut_sent; /* our close_notify is out */

	bool discard;   /* after open: bytes dropped unread (the fast path decodes) */
	uint64_t raw_rx; /* socket bytes read outside OpenSSL (proxy answer, discard) */

	uint64_t rx_bytes;
	char err[URL_HOST_MAX * 2 + 256];
	char desc[URL_HOST_MAX * 2 + 128];
	uint8_t rx[KCONN_RX_BUF];
};

static void kconn__drive(struct kconn *k);

/* ---- ending ---------------------------------------------------------- */

static void kconn__stop_watchers(struct kconn *k)
{
	ev_io_stop(k->loop, &k->io);
	ev_timer_stop(k->loop, &k->deadline);
	ev_timer_stop(k->loop, &k->attempt);
	ev_timer_stop(k->loop, &k->idle);
	ev_idle_stop(k->loop, &k->busy);
	k->io_events = 0;
}

static void kconn__finish(struct kconn *k)
{
	if (k->state == KCONN_DONE)
		return;
	kconn__stop_watchers(k);
	resolve_query__cancel(k->query);
	k->query = NULL;
	k->resolving = false;
	if (k->fd >= 0) {
		close(k->fd);
		k->fd = -1;
	}
	k->state = KCONN_DONE;
	if (k->h.on_done)
		k->h.on_done(k->h.user, k->status);
}

/* Record the first error (text and code) and finish. */
__attribute__((format(printf, 3, 4))) static void kconn__fail(struct kconn *k, int err,
							      const char *fmt, ...)
{
	va_list ap;

	if (k->status == 0) {
		va_start(ap, fmt);
		vsnprintf(k->err, sizeof(k->err), fmt, ap);
		va_end(ap);
		k->status = err < 0 ? err : -EIO;
	}
	kconn__finish(k);
}

static const char *kconn__phase(enum kconn_state s, bool k_resolving)
{
	switch (s) {
	case KCONN_CONNECTING:
		return k_resolving ? "resolving" : "TCP connect to";
	case KCONN_PROXY:
		return "proxy CONNECT through";
	case KCONN_TLS:
		return "TLS handshake with";
	case KCONN_UPGRADE:
		return "WebSocket upgrade with";
	default:
		return "talking to";
	}
}

/* ---- I/O interest ---------------------------------------------------- */

static void kconn__want(struct kconn *k, int events)
{
	if (events == k->io_events && ev_is_active(&k->io))
		return;
	ev_io_stop(k->loop, &k->io);
	k->io_events = events;
	if (!events)
		return;
	ev_io_set(&k->io, k->fd, events);
	ev_io_start(k->loop, &k->io);
}

/* ---- connecting -------------------------------------------------------- */

static void kconn__try_next(struct kconn *k);

static void kconn__drop_attempt(struct kconn *k, int err)
{
	k->last_err = err;
	if (k->ai_next < k->addrs.n)
		fx_log(FX_LOG_INFO, "%s: %s, trying the next address", k->peer,
		       strerror(-err));
	ev_timer_stop(k->loop, &k->attempt);
	kconn__want(k, 0);
	if (k->fd >= 0) {
		close(k->fd);
		k->fd = -1;
	}
}

static void kconn__connected(struct kconn *k)
{
	ev_timer_stop(k->loop, &k->attempt);
	if (k->o.proxy) {
		int n = net_connect_proxy_request(k->o.url, k->hs, sizeof(k->hs));
		if (n < 0) {
			kconn__fail(k, n, "proxy request too long");
			return;
		}
		k->hs_off = 0;
		k->hs_len = (size_t)n;
		http_response__init(&k->proxy_resp);
		k->state = KCONN_PROXY;
	} else {
		k->state = KCONN_TLS;
	}
	kconn__drive(k);
}

static void kconn__try_next(struct kconn *k)
{
	while (k->ai_next < k->addrs.n) {
		struct sockaddr_storage *ss = &k->addrs.addr[k->ai_next];
		struct addrinfo one = {
		    .ai_family = ss->ss_family,
		    .ai_socktype = SOCK_STREAM,
		    .ai_protocol = IPPROTO_TCP,
		    .ai_addrlen = k->addrs.len[k->ai_next],
		    .ai_addr = (struct sockaddr *)ss,
		}, *ai = &one;
		struct sockaddr_storage local;
		int fd, r;

		k->ai_next++;
		k->ai_left--;
		net_connect_describe(ai->ai_addr, k->peer, sizeof(k->peer));
		fd = net_connect_socket(ai, k->o.bind, &local);
		if (fd < 0) {
			kconn__drop_attempt(k, fd);
			continue;
		}
		k->fd = fd;
		if (k->h.on_socket &&
		    (r = k->h.on_socket(k->h.user, fd, (struct sockaddr *)&local, ai->ai_addr))) {
			kconn__fail(k, r, "socket set-up hook failed for %s: %s", k->peer,
				    strerror(-r));
			return;
		}
		r = net_connect_start(fd, ai);
		if (r == 0) {
			kconn__connected(k);
			return;
		}
		if (r == -EINPROGRESS) {
			k->state = KCONN_CONNECTING;
			kconn__want(k, EV_WRITE);
			/* share what is left of the timeout among the addresses left */
			if (k->ai_left > 0) {
				ev_tstamp left = ev_timer_remaining(k->loop, &k->deadline);
				ev_timer_set(&k->attempt, left / (double)(k->ai_left + 1), 0.);
				ev_timer_start(k->loop, &k->attempt);
			}
			return;
		}
		kconn__drop_attempt(k, r);
	}
	kconn__fail(k, k->last_err ? k->last_err : -EHOSTUNREACH, "cannot connect to %s: %s",
		    k->peer, strerror(k->last_err ? -k->last_err : EHOSTUNREACH));
}

static void kconn__attempt_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct kconn *k = container_of(w, struct kconn, attempt);

	(void)loop;
	(void)revents;
	kconn__drop_attempt(k, -ETIMEDOUT);
	kconn__try_next(k);
}

static void kconn__deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct kconn *k = container_of(w, struct kconn, deadline);

	(void)loop;
	(void)revents;
	if (k->state == KCONN_CLOSING || k->state == KCONN_TLS_SHUTDOWN) {
		kconn__finish(k); /* the bounded wait for a clean close is over */
		return;
	}
	kconn__fail(k, -ETIMEDOUT, "connect timeout after %g s (%s %s)", k->o.connect_timeout,
		    kconn__phase(k->state, k->resolving), k->peer);
}

/* ---- proxy --------------------------------------------------------------- */

/* 1: advanced, 0: wait for I/O. */
static int kconn__proxy_step(struct kconn *k)
{
	struct fx_error e;
	ssize_t n;

	while (k->hs_off < k->hs_len) {
		n = send(k->fd, k->hs + k->hs_off, k->hs_len - k->hs_off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			kconn__want(k, EV_WRITE);
			return 0;
		}
		if (n < 0) {
			kconn__fail(k, -errno, "proxy %s: %s", k->peer, strerror(errno));
			return 0;
		}
		k->hs_off += (size_t)n;
	}
	n = recv(k->fd, k->rx, sizeof(k->rx), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		kconn__want(k, EV_READ);
		return 0;
	}
	if (n < 0) {
		kconn__fail(k, -errno, "proxy %s: %s", k->peer, strerror(errno));
		return 0;
	}
	if (n == 0) {
		kconn__fail(k, -ECONNRESET, "proxy %s closed the connection before answering",
			    k->peer);
		return 0;
	}
	k->raw_rx += (uint64_t)n;
	{
		ssize_t used = http_response__feed(&k->proxy_resp, (const char *)k->rx, (size_t)n);
		int r;
		if (used < 0) {
			kconn__fail(k, (int)used, "bad answer from proxy %s: %s", k->peer,
				    http_response__error(&k->proxy_resp));
			return 0;
		}
		if (!k->proxy_resp.done)
			return 1;
		if ((r = net_connect_proxy_check(&k->proxy_resp, &e))) {
			kconn__fail(k, r, "%s", e.msg);
			return 0;
		}
		/* TLS speaks first from our side: nothing may follow the answer */
		if (used != n) {
			kconn__fail(k, -EPROTO, "proxy %s sent data after its answer", k->peer);
			return 0;
		}
	}
	k->state = KCONN_TLS;
	return 1;
}

/* ---- TLS and upgrade --------------------------------------------------- */

static int kconn__tls_step(struct kconn *k)
{
	int r;

	if (!k->tls.ssl) {
		r = tls_client__attach(&k->tls, k->fd, k->o.url->host, k->o.url->ip_literal);
		if (r) {
			kconn__fail(k, r, "%s", k->tls.err);
			return 0;
		}
		if (k->h.on_tls)
			k->h.on_tls(k->h.user, k->tls.ssl);
	}
	r = tls_client__handshake(&k->tls);
	if (r == -EAGAIN) {
		kconn__want(k, k->tls.want_write ? EV_WRITE : EV_READ);
		return 0;
	}
	if (r) {
		kconn__fail(k, r, "TLS handshake with %s failed: %s", k->peer, k->tls.err);
		return 0;
	}
	r = http_upgrade__request_with(&k->up, k->o.url, k->o.headers, k->o.n_headers, k->hs,
				       sizeof(k->hs));
	if (r < 0) {
		kconn__fail(k, r, r == -EINVAL ? "an extra upgrade header is not valid HTTP"
					       : "upgrade request too long");
		return 0;
	}
	k->hs_off = 0;
	k->hs_len = (size_t)r;
	k->state = KCONN_UPGRADE;
	return 1;
}

static void kconn__open(struct kconn *k, const uint8_t *rest, size_t n);

static int kconn__upgrade_step(struct kconn *k)
{
	ssize_t n, used;

	while (k->hs_off < k->hs_len) {
		n = tls_client__write(&k->tls, k->hs + k->hs_off, k->hs_len - k->hs_off);
		if (n == -EAGAIN) {
			kconn__want(k, k->tls.want_write ? EV_WRITE : EV_READ);
			return 0;
		}
		if (n < 0) {
			kconn__fail(k, (int)n, "sending the upgrade request: %s", k->tls.err);
			return 0;
		}
		k->hs_off += (size_t)n;
	}
	if (k->o.n_headers && k->hs_len) { /* it may hold an API key: gone once sent */
		explicit_bzero(k->hs, k->hs_len);
		k->hs_len = k->hs_off = 0;
	}
	n = tls_client__read(&k->tls, k->rx, sizeof(k->rx));
	if (n == -EAGAIN) {
		kconn__want(k, k->tls.want_write ? EV_WRITE : EV_READ);
		return 0;
	}
	if (n <= 0) {
		kconn__fail(k, n ? (int)n : -ECONNRESET,
			    "server closed the connection before "
			    "answering the upgrade%s%s",
			    n ? ": " : "", n ? k->tls.err : "");
		return 0;
	}
	k->last_rx = ev_now(k->loop);
	used = http_upgrade__feed(&k->up, (const char *)k->rx, (size_t)n);
	if (used < 0) {
		kconn__fail(k, (int)used, "%s", http_upgrade__error(&k->up));
		return 0;
	}
	if (!k->up.done)
		return 1;
	kconn__open(k, k->rx + used, (size_t)(n - used));
	return 0;
}

/* ---- open connection --------------------------------------------------- */

/* Write queued WebSocket frames. 0, or negative after failing. */
static int kconn__flush(struct kconn *k)
{
	const uint8_t *p;
	size_t n;
	ssize_t r;

	while ((n = ws_client__pending(&k->ws, &p)) > 0) {
		/* OpenSSL wants a retry with the same bytes: keep the length */
		size_t len = k->wr_inflight ? k->wr_inflight : n;
		r = tls_client__write(&k->tls, p, len);
		if (r == -EAGAIN) {
			k->wr_inflight = len;
			return 0;
		}
		if (r < 0) {
			kconn__fail(k, (int)r, "write to %s failed: %s", k->peer, k->tls.err);
			return (int)r;
		}
		k->wr_inflight = 0;
		ws_client__consume(&k->ws, (size_t)r);
	}
	return 0;
}

static void kconn__update_io(struct kconn *k)
{
	int ev = EV_READ;

	if (k->state == KCONN_DONE)
		return;
	if (k->wr_inflight || k->read_wants_write)
		ev |= EV_WRITE;
	kconn__want(k, ev);
}

static void kconn__shutdown_step(struct kconn *k);

/* Leave "open": finish writing (our close or the echo), send close_notify,
 * then wait, bounded, for the server to close its side. */
static void kconn__start_shutdown(struct kconn *k)
{
	if (k->state != KCONN_TLS_SHUTDOWN) {
		k->state = KCONN_TLS_SHUTDOWN;
		ev_timer_stop(k->loop, &k->idle);
		if (!ev_is_active(&k->deadline)) {
			ev_timer_set(&k->deadline, k->o.close_timeout, 0.);
			ev_timer_start(k->loop, &k->deadline);
		}
	}
	kconn__shutdown_step(k);
}

/* The WebSocket close handshake is complete. */
static void kconn__ws_closed(struct kconn *k)
{
	uint16_t code = k->ws.close_received;

	if (k->state == KCONN_OPEN && code != WS_CLOSE_NORMAL && k->status == 0) {
		/* the server ended the feed for a reason: that is an error */
		snprintf(k->err, sizeof(k->err), "server closed the connection: %u%s%s", code,
			 k->ws.close_reason[0] ? " " : "", k->ws.close_reason);
		k->status = -ECONNABORTED;
	} else if (k->state == KCONN_OPEN) {
		fx_log(FX_LOG_INFO, "server closed the connection (%u%s%s)", code,
		       k->ws.close_reason[0] ? " " : "", k->ws.close_reason);
	}
	kconn__start_shutdown(k);
}

static void kconn__ws_failed(struct kconn *k, int err)
{
	char what[160];

	snprintf(what, sizeof(what), "%s", ws_client__error(&k->ws));
	/* best effort: one write of our close frame, one close_notify */
	kconn__flush(k);
	if (k->state == KCONN_DONE)
		return;
	tls_client__shutdown(&k->tls);
	kconn__fail(k, err, "WebSocket protocol error from %s: %s (closed with %u)", k->peer, what,
		    k->ws.close_sent);
}

static void kconn__on_ws_message(void *user, bool text, const uint8_t *p, size_t n)
{
	struct kconn *k = user;

	if (k->h.on_message)
		k->h.on_message(k->h.user, text ? WS_OP_TEXT : WS_OP_BINARY, p, n);
}

static const struct ws_client_cbs kconn__ws_cbs = {
    .on_message = kconn__on_ws_message,
};

/* Feed plaintext to the WebSocket and react to what it did. 0 to go on. */
static int kconn__ws_input(struct kconn *k, const uint8_t *p, size_t n)
{
	int r = ws_client__feed(&k->ws, p, n);

	if (k->state == KCONN_DONE)
		return -1; /* a hook aborted */
	if (r) {
		kconn__ws_failed(k, r);
		return -1;
	}
	if (k->ws.state == WS_CLIENT_CLOSED) {
		kconn__ws_closed(k);
		return -1;
	}
	return 0;
}

/* The client's keepalive: a WebSocket ping, or the venue's text
 * (kconn_opts.ping_text). 0 or negative. */
static int kconn__keepalive(struct kconn *k)
{
	k->last_ka = ev_now(k->loop);
	if (k->o.ping_text)
		return ws_client__send(&k->ws, true, k->o.ping_text, strlen(k->o.ping_text));
	return ws_client__ping(&k->ws, "feedrx", 6);
}

static void kconn__idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct kconn *k = container_of(w, struct kconn, idle);
	ev_tstamp now = ev_now(loop), silent = now - k->last_rx;
	ev_tstamp s = k->o.idle_timeout, every = k->o.ping_every, next = now + 3600;
	bool send = false;

	(void)revents;
	if (s > 0 && silent >= s) {
		if (k->last_byte > k->last_rx)
			kconn__fail(k, -ETIMEDOUT, "no complete frame from server for %g s (its "
				    "bytes trickle in: a stuck or hostile server)", s);
		else
			kconn__fail(k, -ETIMEDOUT, "no data from server for %g s", s);
		return;
	}
	if (s > 0 && silent >= s / 2 && !k->ping_sent) {
		k->ping_sent = true;
		send = true;
	}
	if (every > 0 && now - k->last_ka >= every)
		send = true; /* the venue wants one this often, busy or not */
	if (send) {
		if (kconn__keepalive(k) == 0 && kconn__flush(k))
			return;
		kconn__update_io(k);
	}
	if (s > 0)
		next = k->last_rx + (k->ping_sent ? s : s / 2);
	if (every > 0 && k->last_ka + every < next)
		next = k->last_ka + every;
	w->repeat = next - now > 0.001 ? next - now : 0.001;
	ev_timer_again(loop, w);
}

static void kconn__open(struct kconn *k, const uint8_t *rest, size_t n)
{
	ev_timer_stop(k->loop, &k->deadline);
	k->state = KCONN_OPEN;
	if (k->h.on_open)
		k->h.on_open(k->h.user);
	if (k->state != KCONN_OPEN)
		return; /* closed or aborted by the hook */
	k->last_ka = ev_now(k->loop);
	if (k->o.idle_timeout > 0 || k->o.ping_every > 0) {
		k->idle.repeat = k->o.idle_timeout > 0 ? k->o.idle_timeout / 2 : k->o.ping_every;
		if (k->o.ping_every > 0 && k->o.ping_every < k->idle.repeat)
			k->idle.repeat = k->o.ping_every;
		ev_timer_again(k->loop, &k->idle);
	}
	if (k->o.busy) {
		if (k->o.busy_poll_usecs > 0 &&
		    setsockopt(k->fd, SOL_SOCKET, SO_BUSY_POLL, &k->o.busy_poll_usecs,
			       sizeof(k->o.busy_poll_usecs)))
			fx_log(FX_LOG_INFO, "SO_BUSY_POLL %d on the socket: %s (spinning without it)",
			       k->o.busy_poll_usecs, strerror(errno));
		ev_idle_start(k->loop, &k->busy);
	}
	if (n) {
		k->rx_bytes += n;
		if (kconn__ws_input(k, rest, n))
			return;
	}
	if (kconn__flush(k))
		return;
	kconn__update_io(k);
}

/* Discard mode: read what the kernel holds and drop it; the fast path has
 * (or will have) decoded these bytes. EOF ends the connection. */
static int kconn__discard_read(struct kconn *k)
{
	ssize_t n;
	bool got = false;

	for (;;) {
		n = recv(k->fd, k->rx, sizeof(k->rx), MSG_DONTWAIT);
		if (n > 0) {
			k->last_byte = ev_now(k->loop); /* frames: kconn__frame_seen() */
			k->rx_bytes += (uint64_t)n;
			k->raw_rx += (uint64_t)n;
			got = true;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (got && k->h.on_drained)
				k->h.on_drained(k->h.user, kconn__stream_bytes(k));
			return k->state == KCONN_DONE ? -1 : 0;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* The end: first let the fast path take what it has (with
		 * --transport tap the kernel can see the end before it does,
		 * and what it decodes may still need an answer here). */
		if (k->h.on_drained) {
			int e = errno;

			k->h.on_drained(k->h.user, kconn__stream_bytes(k));
			if (k->state == KCONN_DONE)
				return -1;
			errno = e;
		}
		if (k->state == KCONN_CLOSING || k->state == KCONN_TLS_SHUTDOWN) {
			kconn__finish(k);
			return -1;
		}
		if (n == 0)
			kconn__fail(k, -ECONNRESET, "server %s closed the connection", k->peer);
		else
			kconn__fail(k, -errno, "connection to %s lost: %s", k->peer, strerror(errno));
		return -1;
	}
}

static void kconn__open_step(struct kconn *k)
{
	ssize_t n;
	int i;

	if (kconn__flush(k))
		return;
	if (k->discard) {
		if (kconn__discard_read(k) == 0)
			kconn__update_io(k);
		return;
	}
	k->read_wants_write = false;
	for (i = 0; i < KCONN_READS_PER_WAKEUP; i++) {
		n = tls_client__read(&k->tls, k->rx, sizeof(k->rx));
		if (n > 0) {
			uint64_t frames = k->ws.stats.frames_done;

			k->last_byte = ev_now(k->loop);
			k->rx_bytes += (uint64_t)n;
			if (kconn__ws_input(k, k->rx, (size_t)n))
				return;
			if (k->ws.stats.frames_done != frames) {
				k->last_rx = k->last_byte;
				k->ping_sent = false;
			}
			continue;
		}
		if (n == -EAGAIN) {
			k->read_wants_write = k->tls.want_write;
			break;
		}
		if (k->state == KCONN_CLOSING || k->state == KCONN_TLS_SHUTDOWN) {
			kconn__finish(k); /* we were closing anyway */
			return;
		}
		if (n == 0)
			kconn__fail(k, -ECONNRESET, "server %s ended TLS without a WebSocket close",
				    k->peer);
		else
			kconn__fail(k, (int)n, "connection to %s lost: %s", k->peer, k->tls.err);
		return;
	}
	if (i == KCONN_READS_PER_WAKEUP && SSL_has_pending(k->tls.ssl))
		ev_feed_event(k->loop, &k->io, EV_READ);
	if (kconn__flush(k))
		return;
	kconn__update_io(k);
}

static void kconn__shutdown_step(struct kconn *k)
{
	ssize_t n;
	int r;

	if (kconn__flush(k))
		return;
	if (ws_client__pending(&k->ws, &(const uint8_t *){NULL})) {
		kconn__want(k, EV_WRITE);
		return;
	}
	if (!k->shut_sent) {
		r = tls_client__shutdown(&k->tls);
		if (r == -EAGAIN) {
			kconn__want(k, k->tls.want_write ? EV_WRITE : EV_READ);
			return;
		}
		if (r < 0) {
			kconn__finish(k);
			return;
		}
		k->shut_sent = true;
	}
	/* drain until the server's close_notify or EOF */
	if (k->discard) {
		if (kconn__discard_read(k) == 0)
			kconn__want(k, EV_READ);
		return;
	}
	for (;;) {
		n = tls_client__read(&k->tls, k->rx, sizeof(k->rx));
		if (n > 0)
			continue;
		if (n == -EAGAIN) {
			kconn__want(k, k->tls.want_write ? EV_WRITE : EV_READ);
			return;
		}
		kconn__finish(k);
		return;
	}
}

/* ---- the machine --------------------------------------------------------- */

static void kconn__drive(struct kconn *k)
{
	for (;;) {
		switch (k->state) {
		case KCONN_PROXY:
			if (!kconn__proxy_step(k))
				return;
			break;
		case KCONN_TLS:
			if (!kconn__tls_step(k))
				return;
			break;
		case KCONN_UPGRADE:
			if (!kconn__upgrade_step(k))
				return;
			break;
		case KCONN_OPEN:
		case KCONN_CLOSING:
			kconn__open_step(k);
			return;
		case KCONN_TLS_SHUTDOWN:
			kconn__shutdown_step(k);
			return;
		default:
			return;
		}
	}
}

/* --poll busy: read the socket again and again for up to KCONN_SPIN_NS,
 * then give the loop a turn (timers, signals, other connections). A read
 * that finds nothing costs one non-blocking recvmsg. */
#define KCONN_SPIN_NS 50000

static uint64_t kconn__now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void kconn__busy_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct kconn *k = container_of(w, struct kconn, busy);
	uint64_t until = kconn__now_ns() + KCONN_SPIN_NS, seen = k->rx_bytes;

	(void)loop;
	(void)revents;
	do {
		if (k->state != KCONN_OPEN && k->state != KCONN_CLOSING)
			return;
		kconn__drive(k);
	} while (k->rx_bytes == seen && kconn__now_ns() < until);
}

static void kconn__io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct kconn *k = container_of(w, struct kconn, io);
	int r;

	(void)loop;
	(void)revents;
	if (k->state == KCONN_CONNECTING) {
		r = net_connect_result(k->fd);
		if (r) {
			kconn__drop_attempt(k, r);
			kconn__try_next(k);
			return;
		}
		kconn__connected(k);
		return;
	}
	kconn__drive(k);
}

/* ---- public ---------------------------------------------------------------- */

int kconn__new(struct kconn **out, struct ev_loop *loop, const struct kconn_opts *o,
	       const struct kconn_hooks *h, struct fx_error *err)
{
	struct ws_client_opts wo = {
	    .max_message = o->max_message,
	    .check_utf8 = o->check_utf8,
	};
	struct kconn *k;
	int r;

	*out = NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return fx_error_set(err, -ENOMEM, "out of memory");
	k->loop = loop;
	k->o = *o;
	if (h)
		k->h = *h;
	k->fd = -1;
	wo.out_cap = KCONN_OUT_BUF + o->max_send + 16;
	r = ws_client__init(&k->ws, &wo, &kconn__ws_cbs, k);
	if (r) {
		fx_error_set(err, r, "cannot set up the WebSocket client: %s", strerror(-r));
		goto err_free;
	}
	r = http_upgrade__init(&k->up, NULL);
	if (r) {
		fx_error_set(err, r, "cannot make a WebSocket key");
		goto err_ws;
	}
	r = tls_client__init(&k->tls, &o->tls);
	if (r) {
		fx_error_set(err, r, "%s", k->tls.err);
		goto err_ws;
	}
	k->resolver = o->resolver;
	if (!k->resolver) {
		r = resolve_ctx__new(&k->own_resolver, loop, NULL, err);
		if (r)
			goto err_tls;
		k->resolver = k->own_resolver;
	}
	ev_io_init(&k->io, kconn__io_cb, -1, 0);
	ev_timer_init(&k->deadline, kconn__deadline_cb, o->connect_timeout, 0.);
	ev_timer_init(&k->attempt, kconn__attempt_cb, 1., 0.);
	ev_init(&k->idle, kconn__idle_cb);
	ev_idle_init(&k->busy, kconn__busy_cb);
	ev_set_priority(&k->busy, EV_MAXPRI);
	*out = k;
	return 0;

err_tls:
	tls_client__free(&k->tls);
err_ws:
	ws_client__free(&k->ws);
err_free:
	free(k);
	return r;
}

static void kconn__resolved(void *user, int status, const struct resolve_addrs *a,
			    const char *why)
{
	struct kconn *k = user;
	const struct url *to = k->o.proxy ? k->o.proxy : k->o.url;

	k->query = NULL;
	k->resolving = false;
	if (status) {
		kconn__fail(k, status, "cannot resolve %s%s: %s", k->o.proxy ? "proxy " : "",
			    to->host, why);
		return;
	}
	k->addrs = *a;
	k->ai_next = 0;
	k->ai_left = a->n;
	kconn__try_next(k);
}

void kconn__start(struct kconn *k)
{
	const struct url *to = k->o.proxy ? k->o.proxy : k->o.url;
	int r;

	if (k->state != KCONN_IDLE)
		return;
	k->state = KCONN_CONNECTING;
	snprintf(k->peer, sizeof(k->peer), "%s", to->host);
	/* the connect timeout covers the name resolution too */
	ev_timer_start(k->loop, &k->deadline);
	k->resolving = true;
	r = resolve_start(k->resolver, to->host, to->port_str, AF_UNSPEC, 0, kconn__resolved, k,
			  &k->query);
	if (r)
		kconn__fail(k, r, "cannot resolve %s%s: %s", k->o.proxy ? "proxy " : "", to->host,
			    strerror(-r));
}

void kconn__close(struct kconn *k, uint16_t code)
{
	switch (k->state) {
	case KCONN_OPEN:
		ws_client__close(&k->ws, code);
		k->state = KCONN_CLOSING;
		ev_timer_stop(k->loop, &k->idle);
		ev_timer_stop(k->loop, &k->deadline);
		ev_timer_set(&k->deadline, k->o.close_timeout, 0.);
		ev_timer_start(k->loop, &k->deadline);
		if (kconn__flush(k))
			return;
		kconn__update_io(k);
		return;
	case KCONN_CLOSING:
	case KCONN_TLS_SHUTDOWN:
	case KCONN_DONE:
		return;
	default:
		kconn__finish(k); /* not open yet: nothing to close cleanly */
		return;
	}
}

void kconn__abort(struct kconn *k, int status, const char *why)
{
	if (k->status == 0 && status) {
		k->status = status;
		snprintf(k->err, sizeof(k->err), "%s", why ? why : "aborted");
	}
	kconn__finish(k);
}

enum kconn_state kconn__state(const struct kconn *k)
{
	return k->state;
}

int kconn__fd(const struct kconn *k)
{
	return k->fd;
}

SSL_CTX *kconn__ssl_ctx(const struct kconn *k)
{
	return k->tls.ctx;
}

SSL *kconn__ssl(const struct kconn *k)
{
	return k->tls.ssl;
}

uint64_t kconn__tls_rx_bytes(const struct kconn *k)
{
	return tls_client__rx_bytes(&k->tls);
}

const char *kconn__error(const struct kconn *k)
{
	return k->err[0] ? k->err : "no error";
}

const char *kconn__describe(const struct kconn *k)
{
	struct kconn *m = (struct kconn *)k;

	snprintf(m->desc, sizeof(m->desc), "%s%s%s, %s %s", k->o.url->host,
		 k->o.proxy ? " via proxy " : " at ", k->peer, tls_client__version(&k->tls),
		 tls_client__cipher(&k->tls));
	return k->desc;
}

void kconn__stats(const struct kconn *k, struct kconn_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->messages = k->ws.stats.messages;
	s->bytes = k->ws.stats.bytes;
	s->rx_bytes = k->rx_bytes;
	s->pings = k->ws.stats.pings;
	s->pongs = k->ws.stats.pongs;
	s->close_sent = k->ws.close_sent;
	s->close_received = k->ws.close_received;
}

void kconn__set_discard(struct kconn *k)
{
	k->discard = true;
}

bool kconn__discarding(const struct kconn *k)
{
	return k->discard;
}

uint64_t kconn__stream_bytes(const struct kconn *k)
{
	return k->raw_rx + tls_client__rx_bytes(&k->tls);
}

void kconn__frame_seen(struct kconn *k)
{
	k->last_rx = ev_now(k->loop);
	k->ping_sent = false;
}

int kconn__pong(struct kconn *k, const uint8_t *p, size_t n)
{
	int r;

	if (k->state != KCONN_OPEN)
		return -EPIPE;
	r = ws_client__pong(&k->ws, p, n);
	if (r == 0 && (r = kconn__flush(k)) == 0)
		kconn__update_io(k);
	return r;
}

int kconn__send_text(struct kconn *k, const void *p, size_t n)
{
	int r;

	if (k->state != KCONN_OPEN)
		return -EPIPE;
	r = ws_client__send(&k->ws, true, p, n);
	if (r == 0 && (r = kconn__flush(k)) == 0)
		kconn__update_io(k);
	return r;
}

int kconn__key_update(struct kconn *k)
{
	/* also while our close is out: TLS still owes the exchange the update */
	if ((k->state != KCONN_OPEN && k->state != KCONN_CLOSING) || !k->tls.ssl)
		return -EPIPE;
	if (!SSL_key_update(k->tls.ssl, SSL_KEY_UPDATE_NOT_REQUESTED))
		return -EPROTO;
	/* send it now rather than with the next write */
	SSL_do_handshake(k->tls.ssl);
	return 0;
}

void kconn__peer_closed(struct kconn *k, uint16_t code)
{
	if (k->state != KCONN_OPEN && k->state != KCONN_CLOSING)
		return;
	k->ws.close_received = code ? code : WS_CLOSE_NO_STATUS;
	if (k->state == KCONN_OPEN) /* echo it; in CLOSING ours is already out */
		ws_client__close(&k->ws,
				 code && code != WS_CLOSE_NO_STATUS ? code : WS_CLOSE_NORMAL);
	kconn__ws_closed(k);
}

void kconn__free(struct kconn *k)
{
	if (!k)
		return;
	kconn__stop_watchers(k);
	if (k->fd >= 0)
		close(k->fd);
	tls_client__free(&k->tls);
	ws_client__free(&k->ws);
	resolve_query__cancel(k->query);
	resolve_ctx__free(k->own_resolver);
	explicit_bzero(k->hs, sizeof(k->hs)); /* an unsent request may hold an API key */
	free(k);
}

uint64_t kconn__rx_ns(const struct kconn *k)
{
	return tls_client__rx_ns(&k->tls);
}

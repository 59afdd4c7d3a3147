/* sink_nats — normalized events published to a NATS server, written
 * straight on a non-blocking socket in the loop (the NATS client protocol:
 * INFO, CONNECT, PUB, PING/PONG, +OK/-ERR; https://docs.nats.io/reference/
 * reference-protocols/nats-protocol). No client library: libnats runs its
 * own threads and may block a publisher when its buffer is full, and the
 * loop must never wait for a slow server.
 *
 * Subjects: PREFIX.<venue>.<symbol>.<type> (trade, bbo, book, top) and
 * PREFIX.<venue>.status; a symbol's characters outside [A-Za-z0-9_-] become
 * '_'. Payload: one JSON object (feed/feed_event_json.h, the default) or
 * the flat record (feed/feed_event_codec.h).
 *
 * One bounded output buffer (conf size, default 8 MiB): an event that does
 * not fit whole is dropped and counted, never waited for. While the server
 * is unreachable events are dropped too, and the connection is retried
 * every second. At close, what is buffered gets up to 2 s to reach the
 * server, then a PING/PONG round trip confirms it processed every PUB. */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "core/fx_err.h"
#include "core/fx_log.h"
#include "feed/feed_event_codec.h"
#include "feed/feed_event_json.h"
#include "sink.h"
#include "sink_set.h"

#define NATS_DEFAULT_BUF (8u << 20)
#define NATS_MIN_BUF (64u << 10)
#define NATS_SCRATCH (1u << 20) /* largest payload (the server's default max_payload) */
#define NATS_WRITE_AT (64u << 10) /* write at once past this, idle or not */
#define NATS_IN_MAX 8192
#define NATS_CLOSE_SECS 2.0
#define NATS_PREFIX "feedrx"

struct sink_nats {
	struct ev_loop *loop;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char target[300];
	int fd, format;
	bool connected; /* the TCP connection is up (CONNECT is first in the buffer) */
	ev_io rio, wio;
	ev_timer retry;
	char *out; /* the output buffer: out[start..start+len) */
	size_t start, len, cap;
	uint64_t queued; /* events in the buffer */
	char *scratch;
	char in[NATS_IN_MAX];
	size_t in_len;
	int pongs_due; /* PINGs we sent without a PONG back */
	uint64_t published, dropped_full, dropped_down, too_big, reconnects, server_errors;
	char last_error[160];
	size_t max_payload; /* the server's (INFO), else NATS_SCRATCH */
	bool info;          /* the server's INFO came: CONNECT and events may go */
	bool finished;
};

static double nats_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* nats://HOST[:PORT], HOST a name or an address ([v6] in brackets). */
static int nats_parse_url(struct sink_nats *n, const char *url, struct fx_error *err)
{
	char host[256], port[8] = "4222";
	const char *p = url, *end;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	size_t hl;
	int r;

	if (strncmp(p, "nats://", 7) == 0)
		p += 7;
	else if (strstr(p, "://"))
		return fx_error_set(err, -EINVAL, "bad --nats '%s': the scheme is nats://", url);
	if (*p == '[') {
		end = strchr(p, ']');
		if (!end)
			return fx_error_set(err, -EINVAL, "bad --nats '%s': no ']'", url);
		hl = (size_t)(end - p - 1);
		p++;
		end++;
	} else {
		end = p + strcspn(p, ":/");
		hl = (size_t)(end - p);
	}
	if (!hl || hl >= sizeof(host))
		return fx_error_set(err, -EINVAL, "bad --nats '%s': no host", url);
	memcpy(host, p, hl);
	host[hl] = 0;
	if (*end == ':') {
		char *e;
		unsigned long v = strtoul(end + 1, &e, 10);

		if (e == end + 1 || v == 0 || v > 65535 || (*e && strcmp(e, "/")))
			return fx_error_set(err, -EINVAL, "bad --nats '%s': bad port", url);
		snprintf(port, sizeof(port), "%lu", v);
	} else if (*end && strcmp(end, "/")) {
		return fx_error_set(err, -EINVAL, "bad --nats '%s' (nats://HOST:PORT)", url);
	}
	/* resolved once, at set-up (the only blocking step) */
	r = getaddrinfo(host, port, &hints, &ai);
	if (r)
		return fx_error_set(err, -EHOSTUNREACH, "--nats %s: cannot resolve %s: %s", url, host,
				    gai_strerror(r));
	memcpy(&n->addr, ai->ai_addr, ai->ai_addrlen);
	n->addr_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	snprintf(n->target, sizeof(n->target), "nats://%s:%s", host, port);
	return 0;
}

static void nats_disconnect(struct sink_nats *n, const char *why);

/* Write what is buffered; the write watcher waits when the socket is full. */
static void nats_write(struct sink_nats *n)
{
	if (!n->info) { /* nothing goes before the server's INFO */
		if (ev_is_active(&n->wio) && n->connected)
			ev_io_stop(n->loop, &n->wio);
		return;
	}
	while (n->connected && n->len) {
		ssize_t w = send(n->fd, n->out + n->start, n->len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!ev_is_active(&n->wio))
				ev_io_start(n->loop, &n->wio);
			return;
		}
		if (w <= 0) {
			nats_disconnect(n, strerror(errno));
			return;
		}
		n->start += (size_t)w;
		n->len -= (size_t)w;
	}
	if (!n->len) {
		n->start = 0;
		n->queued = 0;
	}
	if (ev_is_active(&n->wio) && n->connected)
		ev_io_stop(n->loop, &n->wio);
}

/* Room for m more bytes at the end (moving the unsent bytes down). */
static bool nats_room(struct sink_nats *n, size_t m)
{
	if (n->start + n->len + m <= n->cap)
		return true;
	if (n->len + m > n->cap)
		return false;
	memmove(n->out, n->out + n->start, n->len);
	n->start = 0;
	return true;
}

static void nats_append(struct sink_nats *n, const void *p, size_t m)
{
	memcpy(n->out + n->start + n->len, p, m);
	n->len += m;
}

static void nats_start_connect(struct sink_nats *n);

static void nats_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sink_nats *n = w->data;

	(void)loop, (void)revents;
	nats_start_connect(n);
}

static void nats_disconnect(struct sink_nats *n, const char *why)
{
	snprintf(n->last_error, sizeof(n->last_error), "%s", why);
	if (n->fd >= 0) {
		ev_io_stop(n->loop, &n->rio);
		ev_io_stop(n->loop, &n->wio);
		close(n->fd);
		n->fd = -1;
	}
	/* a partly written PUB cannot be resumed on a new connection */
	n->dropped_down += n->queued;
	n->connected = false;
	n->start = n->len = 0;
	n->queued = 0;
	n->in_len = 0;
	n->pongs_due = 0;
	n->info = false;
	ev_timer_set(&n->retry, 1., 0.);
	ev_timer_start(n->loop, &n->retry);
}

/* The INFO said max_payload: the PUBs queued before it that exceed it
 * are taken out (the server would close the connection for one). */
static void nats_drop_oversized(struct sink_nats *n)
{
	char *p = n->out + n->start, *end = p + n->len, *w = p;

	while (p < end) {
		char *nl = memmem(p, (size_t)(end - p), "\r\n", 2);
		size_t len = 0, whole;

		if (!nl)
			break;
		whole = (size_t)(nl + 2 - p);
		if (strncmp(p, "PUB ", 4) == 0) {
			char *sp = memrchr(p, ' ', (size_t)(nl - p));

			len = sp ? strtoull(sp + 1, NULL, 10) : 0;
			whole += len + 2;
			if (whole > (size_t)(end - p))
				break;
			if (len > n->max_payload) {
				n->too_big++;
				n->queued--;
				p += whole;
				continue;
			}
		}
		memmove(w, p, whole);
		w += whole;
		p += whole;
	}
	memmove(w, p, (size_t)(end - p)); /* nothing, unless malformed */
	w += end - p;
	n->len = (size_t)(w - (n->out + n->start));
}

/* One line from the server. */
static void nats_line(struct sink_nats *n, char *line)
{
	if (strncmp(line, "PING", 4) == 0) {
		if (nats_room(n, 6))
			nats_append(n, "PONG\r\n", 6);
		nats_write(n);
	} else if (strncmp(line, "PONG", 4) == 0) {
		if (n->pongs_due)
			n->pongs_due--;
	} else if (strncmp(line, "-ERR", 4) == 0) {
		n->server_errors++;
		snprintf(n->last_error, sizeof(n->last_error), "server: %s", line + 5);
		fx_log(FX_LOG_WARN, "nats %s: %s", n->target, line);
	} else if (strncmp(line, "INFO ", 5) == 0) {
		/* a larger PUB would make the server close the connection */
		const char *mp = strstr(line, "\"max_payload\":");
		unsigned long long v = mp ? strtoull(mp + 14, NULL, 10) : 0;

		if (v)
			n->max_payload = v < NATS_SCRATCH ? (size_t)v : NATS_SCRATCH;
		if (!n->info) {
			n->info = true;
			if (n->max_payload < NATS_SCRATCH)
				nats_drop_oversized(n);
			nats_write(n);
		}
	}
	/* +OK needs nothing (CONNECT went first, verbose off) */
}

static int nats_read(struct sink_nats *n)
{
	for (;;) {
		ssize_t r = recv(n->fd, n->in + n->in_len, sizeof(n->in) - 1 - n->in_len, 0);
		char *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r <= 0) {
			nats_disconnect(n, r == 0 ? "the server closed the connection" : strerror(errno));
			return -1;
		}
		n->in_len += (size_t)r;
		n->in[n->in_len] = 0;
		while ((nl = strstr(n->in, "\r\n"))) {
			*nl = 0;
			nats_line(n, n->in);
			if (n->fd < 0)
				return -1;
			n->in_len -= (size_t)(nl + 2 - n->in);
			memmove(n->in, nl + 2, n->in_len + 1);
		}
		if (n->in_len == sizeof(n->in) - 1) /* a long INFO: its tail is of no use */
			n->in_len = 0;
	}
}

static void nats_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sink_nats *n = w->data;

	(void)loop;
	if (w == &n->wio && !n->connected) {
		int e = 0;
		socklen_t el = sizeof(e);

		getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &e, &el);
		if (e) {
			nats_disconnect(n, strerror(e));
			return;
		}
		n->connected = true;
		ev_io_start(n->loop, &n->rio);
		if (n->reconnects++)
			fx_log(FX_LOG_INFO, "nats %s: connected again", n->target);
	}
	if ((revents & EV_READ) && w == &n->rio && nats_read(n))
		return;
	nats_write(n);
}

static void nats_start_connect(struct sink_nats *n)
{
	static const char connect_line[] =
	    "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"feedrx\",\"lang\":\"c\","
	    "\"version\":\"1\",\"protocol\":0}\r\n";
	int one = 1;

	n->fd = socket(n->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd < 0) {
		nats_disconnect(n, strerror(errno));
		return;
	}
	setsockopt(n->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(n->fd, (struct sockaddr *)&n->addr, n->addr_len) && errno != EINPROGRESS) {
		nats_disconnect(n, strerror(errno));
		return;
	}
	/* CONNECT leads the buffer; events queue behind it from now on */
	n->start = n->len = 0;
	nats_append(n, connect_line, sizeof(connect_line) - 1);
	ev_io_set(&n->rio, n->fd, EV_READ);
	ev_io_set(&n->wio, n->fd, EV_WRITE);
	n->connected = false;
	ev_io_start(n->loop, &n->wio);
}

/* PREFIX.venue.symbol.type, or PREFIX.venue.status */
static int nats_subject(char *buf, size_t cap, const struct feed_event *e)
{
	static const char tok_ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
	char sym[FEED_SYMBOL_MAX + 1], ven[64];
	const char *v = e->venue && *e->venue ? e->venue : "_";
	size_t sl = e->symbol_len > FEED_SYMBOL_MAX ? FEED_SYMBOL_MAX : e->symbol_len, i;

	for (i = 0; v[i] && i < sizeof(ven) - 1; i++)
		ven[i] = strchr(tok_ok, v[i]) ? v[i] : '_';
	ven[i] = 0;
	if (e->type == FEED_EV_STATUS)
		return snprintf(buf, cap, NATS_PREFIX ".%s.status", ven);
	for (i = 0; i < sl; i++)
		sym[i] = e->symbol[i] && strchr(tok_ok, e->symbol[i]) ? e->symbol[i] : '_';
	sym[sl] = 0;
	return snprintf(buf, cap, NATS_PREFIX ".%s.%s.%s", ven, sl ? sym : "_",
			feed_event_type_name(e->type));
}

static int sink_nats_event(struct feed_sink *s, const struct feed_event *e)
{
	struct sink_nats *n = s->priv;
	char head[160];
	long plen;
	int hl, sl;

	n->published++;
	if (n->fd < 0) {
		n->dropped_down++;
		return 0;
	}
	plen = n->format == FEED_SINK_FMT_FLAT ? feed_event_encode(e, n->scratch, NATS_SCRATCH)
					       : feed_event_json(n->scratch, NATS_SCRATCH, e);
	if (plen < 0 || (size_t)plen > n->max_payload) {
		n->too_big++;
		return 0;
	}
	sl = nats_subject(head + 4, sizeof(head) - 40, e);
	memcpy(head, "PUB ", 4);
	hl = 4 + sl;
	hl += snprintf(head + hl, sizeof(head) - (size_t)hl, " %ld\r\n", plen);
	if (!nats_room(n, (size_t)hl + (size_t)plen + 2)) {
		n->dropped_full++;
		return 0;
	}
	nats_append(n, head, (size_t)hl);
	nats_append(n, n->scratch, (size_t)plen);
	nats_append(n, "\r\n", 2);
	n->queued++;
	if (n->len >= NATS_WRITE_AT && !ev_is_active(&n->wio))
		nats_write(n);
	return 0;
}

static int sink_nats_flush(struct feed_sink *s)
{
	struct sink_nats *n = s->priv;

	if (!ev_is_active(&n->wio))
		nats_write(n);
	return 0; /* a server problem is reported, never an output failure */
}

static int sink_nats_open(struct feed_sink *s, const struct feed_sink_conf *c)
{
	struct sink_nats *n;
	int r;

	if (!c->arg || !c->loop)
		return fx_error_set(c->err, -EINVAL, "--nats needs a URL and a loop");
	if (c->size && c->size < NATS_MIN_BUF)
		return fx_error_set(c->err, -EINVAL, "--nats-buffer: at least 64K");
	n = calloc(1, sizeof(*n));
	if (!n)
		return fx_error_set(c->err, -ENOMEM, "out of memory");
	n->fd = -1;
	n->loop = c->loop;
	n->format = c->format;
	n->cap = c->size ? c->size : NATS_DEFAULT_BUF;
	n->max_payload = NATS_SCRATCH;
	r = nats_parse_url(n, c->arg, c->err);
	if (r) {
		free(n);
		return r;
	}
	n->out = malloc(n->cap);
	n->scratch = malloc(NATS_SCRATCH);
	if (!n->out || !n->scratch) {
		free(n->out);
		free(n->scratch);
		free(n);
		return fx_error_set(c->err, -ENOMEM, "out of memory");
	}
	ev_io_init(&n->rio, nats_io_cb, -1, EV_READ);
	ev_io_init(&n->wio, nats_io_cb, -1, EV_WRITE);
	ev_timer_init(&n->retry, nats_retry_cb, 1., 0.);
	n->rio.data = n->wio.data = n->retry.data = n;
	s->priv = n;
	nats_start_connect(n);
	return 0;
}

/* Bounded: what is buffered gets NATS_CLOSE_SECS to reach the server, and
 * a PING's PONG says the server has processed every PUB before it. */
static void nats_drain(struct sink_nats *n)
{
	double end = nats_now() + NATS_CLOSE_SECS;
	bool pinged = false;

	while (n->fd >= 0) {
		struct pollfd p = {.fd = n->fd, .events = POLLIN};
		double left = end - nats_now();

		if (n->connected && !n->len && !pinged) {
			nats_append(n, "PING\r\n", 6);
			n->pongs_due++;
			pinged = true;
		}
		if (n->connected && n->len)
			nats_write(n);
		if (n->fd < 0 || (pinged && !n->pongs_due && !n->len) || left <= 0)
			break;
		if ((n->len && n->info) || !n->connected)
			p.events |= POLLOUT;
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		if (!n->connected && (p.revents & (POLLOUT | POLLERR | POLLHUP)))
			nats_io_cb(n->loop, &n->wio, EV_WRITE);
		else if (p.revents & (POLLIN | POLLERR | POLLHUP))
			nats_read(n);
	}
	if (n->len)
		n->dropped_down += n->queued;
}

static void sink_nats_finish(struct feed_sink *s)
{
	struct sink_nats *n = s->priv;

	ev_timer_stop(n->loop, &n->retry);
	nats_drain(n);
	ev_timer_stop(n->loop, &n->retry);
	n->finished = true;
}

static void sink_nats_close(struct feed_sink *s)
{
	struct sink_nats *n = s->priv;

	if (!n->finished)
		sink_nats_finish(s);
	if (n->fd >= 0) {
		ev_io_stop(n->loop, &n->rio);
		ev_io_stop(n->loop, &n->wio);
		close(n->fd);
	}
	free(n->out);
	free(n->scratch);
	free(n);
}

static void sink_nats_report(struct feed_sink *s, char *buf, size_t len)
{
	struct sink_nats *n = s->priv;
	uint64_t dropped = n->dropped_full + n->dropped_down + n->too_big;

	snprintf(buf, len,
		 "nats %s: %" PRIu64 " events, %" PRIu64 " dropped (%" PRIu64 " buffer full, %" PRIu64
		 " server unreachable, %" PRIu64 " too large)%s%s",
		 n->target, n->published - dropped, dropped, n->dropped_full, n->dropped_down,
		 n->too_big, n->last_error[0] ? "; last error: " : "", n->last_error);
}

static void sink_nats_counters(struct feed_sink *s, struct feed_sink_counters *c)
{
	struct sink_nats *n = s->priv;

	c->target = n->target;
	c->dropped = n->dropped_full + n->dropped_down + n->too_big;
	c->events = n->published - c->dropped;
}

const struct feed_sink_ops feed_sink_nats = {
    .name = "nats",
    .help = "normalized events published to a NATS server",
    .open = sink_nats_open,
    .event = sink_nats_event,
    .flush = sink_nats_flush,
    .finish = sink_nats_finish,
    .close = sink_nats_close,
    .report = sink_nats_report,
    .counters = sink_nats_counters,
};

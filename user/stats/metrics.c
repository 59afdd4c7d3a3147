/* metrics — the Prometheus endpoint on the libev loop (see the header). */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "core/util.h"

/* Room left in front of the body for the status line and headers, so a
 * response goes out from one contiguous buffer. */
#define HEAD_ROOM 256

const uint64_t metrics_hist_bounds_ns[] = {
	1000,	   2500,      5000,	 10000,	     25000,	 50000,	     100000,
	250000,	   500000,    1000000,	 2500000,    5000000,	 10000000,   25000000,
	50000000,  100000000, 250000000, 500000000,  1000000000, 2500000000, 5000000000,
	10000000000,
};
const unsigned int metrics_n_hist_bounds = ARRAY_SIZE(metrics_hist_bounds_ns);
#define N_BOUNDS ARRAY_SIZE(metrics_hist_bounds_ns)

enum client_state { CL_FREE = 0, CL_READ, CL_WRITE };

struct metrics_client {
	struct metrics *m;
	enum client_state state;
	int fd;
	ev_io io;
	ev_timer timer;
	size_t in_len;
	char in[METRICS_MAX_REQUEST + 1];
	const char *out;   /* what is left to send */
	size_t out_left;
	char *buf;         /* HEAD_ROOM + METRICS_MAX_BODY */
};

struct metrics {
	struct ev_loop *loop;
	metrics_render_fn render;
	void *user;
	int lfd;
	unsigned int port;
	ev_io accept_io;
	struct metrics_stats st;
	struct metrics_client cl[METRICS_MAX_CLIENTS];
};

/* ---- the exposition writers ---------------------------------------------- */

void metrics_out__printf(struct metrics_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->overflow = true;
		return;
	}
	o->len += (size_t)n;
}

void metrics_out__head(struct metrics_out *o, const char *name, const char *type,
		       const char *help)
{
	metrics_out__printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_out__sample(struct metrics_out *o, const char *name, const char *labels,
			 uint64_t value)
{
	if (labels && *labels)
		metrics_out__printf(o, "%s{%s} %llu\n", name, labels, (unsigned long long)value);
	else
		metrics_out__printf(o, "%s %llu\n", name, (unsigned long long)value);
}

/* ns as seconds, exactly (no float rounding): "0.000025", "2.5", "10". */
static void fmt_seconds(char *b, size_t n, uint64_t ns)
{
	int len = snprintf(b, n, "%llu.%09llu", (unsigned long long)(ns / 1000000000ull),
			   (unsigned long long)(ns % 1000000000ull));

	while (len > 0 && b[len - 1] == '0')
		b[--len] = 0;
	if (len > 0 && b[len - 1] == '.')
		b[--len] = 0;
}

void metrics_out__hist(struct metrics_out *o, const char *name, const char *labels,
		       const struct lat_hist *h)
{
	uint64_t per[N_BOUNDS] = { 0 };
	const char *sep = labels && *labels ? "," : "";
	char le[32];

	if (!labels)
		labels = "";
	/* each lat_hist bucket into the first bound at or above its top */
	if (h->count) {
		uint32_t lo = lat_hist_index(h->min), hi = lat_hist_index(h->max);

		for (uint32_t i = lo; i <= hi; i++) {
			uint64_t top;
			unsigned int b = 0;

			if (!h->counts[i])
				continue;
			top = lat_hist_bucket_high(i);
			while (b < N_BOUNDS && top > metrics_hist_bounds_ns[b])
				b++;
			if (b < N_BOUNDS)
				per[b] += h->counts[i];
		}
	}
	uint64_t cum = 0;
	for (unsigned int b = 0; b < N_BOUNDS; b++) {
		cum += per[b];
		fmt_seconds(le, sizeof(le), metrics_hist_bounds_ns[b]);
		metrics_out__printf(o, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels, sep, le,
				    (unsigned long long)cum);
	}
	metrics_out__printf(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
			    (unsigned long long)h->count);
	fmt_seconds(le, sizeof(le), h->sum);
	if (*labels) {
		metrics_out__printf(o, "%s_sum{%s} %s\n", name, labels, le);
		metrics_out__printf(o, "%s_count{%s} %llu\n", name, labels,
				    (unsigned long long)h->count);
	} else {
		metrics_out__printf(o, "%s_sum %s\n", name, le);
		metrics_out__printf(o, "%s_count %llu\n", name, (unsigned long long)h->count);
	}
}

/* ---- the address ---------------------------------------------------------- */

int metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *hs = s;
	size_t hl;
	char *end;
	unsigned long port;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hs = s + 1;
		hl = (size_t)(close - hs);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, hs, hl);
	host[hl] = 0;
	if (colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port > 65535)
		return -EINVAL;
	if (*s == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
	}
	return 0;
}

/* ---- clients -------------------------------------------------------------- */

static void client_close(struct metrics_client *c)
{
	struct ev_loop *loop = c->m->loop;

	ev_io_stop(loop, &c->io);
	ev_timer_stop(loop, &c->timer);
	close(c->fd);
	c->fd = -1;
	c->state = CL_FREE;
}

/* Send what is left; close when all is out (or the peer is gone). */
static void client_send(struct metrics_client *c)
{
	while (c->out_left) {
		ssize_t w = send(c->fd, c->out, c->out_left, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (c->state != CL_WRITE) {
				c->state = CL_WRITE;
				ev_io_stop(c->m->loop, &c->io);
				ev_io_set(&c->io, c->fd, EV_WRITE);
				ev_io_start(c->m->loop, &c->io);
			}
			return;
		}
		if (w <= 0)
			break;
		c->out += w;
		c->out_left -= (size_t)w;
	}
	shutdown(c->fd, SHUT_WR);
	client_close(c);
}

/* A response with body [body, body + blen) already in c->buf after HEAD_ROOM. */
static void client_respond(struct metrics_client *c, const char *status, const char *ctype,
			   const char *extra, size_t blen)
{
	char head[HEAD_ROOM];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
			  "Connection: close\r\n\r\n",
			  status, ctype, blen, extra);

	/* the fixed statuses and headers above always fit HEAD_ROOM */
	if (hl < 0 || hl >= HEAD_ROOM)
		hl = 0;
	memcpy(c->buf + HEAD_ROOM - hl, head, (size_t)hl);
	c->out = c->buf + HEAD_ROOM - hl;
	c->out_left = (size_t)hl + blen;
	client_send(c);
}

static void client_error(struct metrics_client *c, const char *status, const char *extra)
{
	int n = snprintf(c->buf + HEAD_ROOM, METRICS_MAX_BODY, "%s\n", status);

	client_respond(c, status, "text/plain; charset=utf-8", extra, (size_t)n);
}

/* A complete request head is in c->in: answer it. */
static void client_request(struct metrics_client *c)
{
	struct metrics *m = c->m;
	char *sp1, *sp2, *eol;
	size_t plen;

	eol = strpbrk(c->in, "\r\n");
	*eol = 0;
	sp1 = strchr(c->in, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || sp1 == c->in || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    strchr(sp2 + 1, ' ')) {
		m->st.bad_request++;
		client_error(c, "400 Bad Request", "");
		return;
	}
	if ((size_t)(sp1 - c->in) != 3 || memcmp(c->in, "GET", 3) != 0) {
		m->st.bad_method++;
		client_error(c, "405 Method Not Allowed", "Allow: GET\r\n");
		return;
	}
	plen = (size_t)(sp2 - sp1 - 1);
	if (!(plen >= 8 && memcmp(sp1 + 1, "/metrics", 8) == 0 &&
	      (plen == 8 || sp1[9] == '?'))) {
		m->st.not_found++;
		client_error(c, "404 Not Found", "");
		return;
	}
	struct metrics_out o = { .p = c->buf + HEAD_ROOM, .cap = METRICS_MAX_BODY };

	m->render(m->user, &o);
	if (o.overflow) {
		client_error(c, "500 Internal Server Error", "");
		return;
	}
	m->st.ok++;
	client_respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", "", o.len);
}

static void client_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct metrics_client *c = w->data;

	(void)loop, (void)revents;
	if (c->state == CL_WRITE) {
		client_send(c);
		return;
	}
	for (;;) {
		ssize_t r = recv(c->fd, c->in + c->in_len, METRICS_MAX_REQUEST - c->in_len,
				 MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			client_close(c); /* gone before asking */
			return;
		}
		c->in_len += (size_t)r;
		c->in[c->in_len] = 0;
		if (memchr(c->in, 0, c->in_len)) {
			c->m->st.bad_request++;
			client_error(c, "400 Bad Request", "");
			return;
		}
		if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
			ev_io_stop(loop, &c->io); /* one request per connection */
			client_request(c);
			return;
		}
		if (c->in_len == METRICS_MAX_REQUEST) {
			c->m->st.too_large++;
			ev_io_stop(loop, &c->io);
			client_error(c, "431 Request Header Fields Too Large", "");
			return;
		}
	}
}

static void client_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct metrics_client *c = w->data;

	(void)loop, (void)revents;
	c->m->st.timed_out++;
	client_close(c);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct metrics *m = w->data;

	(void)revents;
	for (;;) {
		int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct metrics_client *c = NULL;

		if (fd < 0)
			return; /* EAGAIN, or a connection reset before accept */
		for (int i = 0; i < METRICS_MAX_CLIENTS; i++)
			if (m->cl[i].state == CL_FREE) {
				c = &m->cl[i];
				break;
			}
		if (!c) {
			m->st.refused++;
			close(fd); /* busy: bounded, and a scraper retries */
			continue;
		}
		c->fd = fd;
		c->state = CL_READ;
		c->in_len = 0;
		c->in[0] = 0;
		ev_io_set(&c->io, fd, EV_READ);
		ev_io_start(loop, &c->io);
		ev_timer_set(&c->timer, METRICS_CLIENT_TIMEOUT, 0.);
		ev_timer_start(loop, &c->timer);
	}
}

/* ---- the server ----------------------------------------------------------- */

int metrics__new(struct metrics **out, struct ev_loop *loop, const struct metrics_opts *o,
		 struct fx_error *err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct metrics *m;
	int one = 1, r;

	*out = NULL;
	if (metrics_parse_addr(o->listen, &ss, &sl))
		return fx_error_set(err, -EINVAL, "bad --metrics address '%s' (IPv4:PORT or "
						  "[IPv6]:PORT)", o->listen);
	m = calloc(1, sizeof(*m));
	if (!m)
		return fx_error_set(err, -ENOMEM, "metrics: out of memory");
	m->loop = loop;
	m->render = o->render;
	m->user = o->user;
	for (int i = 0; i < METRICS_MAX_CLIENTS; i++) {
		struct metrics_client *c = &m->cl[i];

		c->m = m;
		c->fd = -1;
		c->buf = malloc(HEAD_ROOM + METRICS_MAX_BODY);
		if (!c->buf) {
			r = fx_error_set(err, -ENOMEM, "metrics: out of memory");
			goto err_free;
		}
		ev_io_init(&c->io, client_io_cb, -1, EV_READ);
		c->io.data = c;
		ev_timer_init(&c->timer, client_timer_cb, METRICS_CLIENT_TIMEOUT, 0.);
		c->timer.data = c;
	}
	m->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->lfd < 0) {
		r = fx_error_set(err, -errno, "metrics: socket: %s", strerror(errno));
		goto err_free;
	}
	setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(m->lfd, (struct sockaddr *)&ss, sl) || listen(m->lfd, 16)) {
		r = fx_error_set(err, -errno, "cannot serve --metrics on %s: %s", o->listen,
				 strerror(errno));
		goto err_close;
	}
	if (getsockname(m->lfd, (struct sockaddr *)&ss, &sl) == 0)
		m->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	ev_io_init(&m->accept_io, accept_cb, m->lfd, EV_READ);
	m->accept_io.data = m;
	ev_io_start(loop, &m->accept_io);
	/* the endpoint alone must not keep the loop running */
	ev_unref(loop);
	*out = m;
	return 0;

err_close:
	close(m->lfd);
err_free:
	for (int i = 0; i < METRICS_MAX_CLIENTS; i++)
		free(m->cl[i].buf);
	free(m);
	return r;
}

unsigned int metrics__port(const struct metrics *m)
{
	return m->port;
}

void metrics__stats(const struct metrics *m, struct metrics_stats *st)
{
	*st = m->st;
}

void metrics__free(struct metrics *m)
{
	if (!m)
		return;
	for (int i = 0; i < METRICS_MAX_CLIENTS; i++) {
		if (m->cl[i].state != CL_FREE)
			client_close(&m->cl[i]);
		free(m->cl[i].buf);
	}
	ev_ref(m->loop);
	ev_io_stop(m->loop, &m->accept_io);
	close(m->lfd);
	free(m);
}

/* Tests for book_rest (the REST snapshot source of Binance books) against a
 * local TLS server in a thread answering HTTP/1.1 by symbol: a 200 body
 * reaches the book's callback (status 0) with the venue's path and limit,
 * never from inside request(); a 503 becomes -EIO and the symbol's next
 * request waits a back-off that doubles per failure up to its cap (never
 * a loop of requests); a 429 becomes -EAGAIN; cancel drops a delayed
 * request before it is sent and a sent one's answer, which a new request of
 * the symbol takes over (sent once); stale handles are ignored; a bad URL
 * is refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "check.h"
#include "core/fx_log.h"
#include "feed/book_rest.h"
#include "net_testlib.h"

extern const struct venue venue_binance;

static char cafile[64];

struct server {
	SSL_CTX *ctx;
	int lfd;
	uint16_t port;
	volatile bool stop;
	pthread_t th;
	volatile int reqs, conns;
	char last[128];
};

static void serve(struct server *sv, SSL *s)
{
	static const char body[] = "{\"lastUpdateId\":42,\"bids\":[[\"1.5\",\"2\"]],\"asks\":[[\"1.6\",\"3\"]]}";
	char req[4096], out[512];
	size_t got = 0;

	for (;;) {
		char *end, *sp;
		int n;

		while (!(end = memmem(req, got, "\r\n\r\n", 4))) {
			int r = SSL_read(s, req + got, (int)(sizeof(req) - got));
			if (r <= 0)
				return;
			got += (size_t)r;
		}
		sp = memchr(req + 4, ' ', (size_t)(end - req - 4));
		if (!sp)
			return;
		snprintf(sv->last, sizeof(sv->last), "%.*s", (int)(sp - req - 4), req + 4);
		sv->reqs++;
		if (strstr(sv->last, "symbol=BAD"))
			n = snprintf(out, sizeof(out), "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n");
		else if (strstr(sv->last, "symbol=LIMIT"))
			n = snprintf(out, sizeof(out), "HTTP/1.1 429 Too Many\r\nRetry-After: 1\r\n"
						       "Content-Length: 0\r\n\r\n");
		else
			n = snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
				     sizeof(body) - 1, body);
		if (SSL_write(s, out, n) != n)
			return;
		got -= (size_t)(end + 4 - req);
		memmove(req, end + 4, got);
	}
}

struct conn {
	struct server *sv;
	int fd;
};

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	SSL *s = SSL_new(c->sv->ctx);

	SSL_set_fd(s, c->fd);
	if (SSL_accept(s) == 1)
		serve(c->sv, s);
	SSL_free(s);
	close(c->fd);
	free(c);
	return NULL;
}

/* One thread per connection: the client may open a new one at any time. */
static void *server_main(void *arg)
{
	struct server *sv = arg;

	while (!sv->stop) {
		struct pollfd p = {.fd = sv->lfd, .events = POLLIN};
		struct conn *c;
		pthread_t th;
		int fd;

		if (poll(&p, 1, 50) != 1)
			continue;
		fd = accept(sv->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		*c = (struct conn){sv, fd};
		sv->conns++;
		if (pthread_create(&th, NULL, conn_main, c)) {
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(th);
	}
	return NULL;
}

static int server_start(struct server *sv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);

	memset(sv, 0, sizeof(*sv));
	snprintf(cafile, sizeof(cafile), "/tmp/test_book_rest_ca.XXXXXX");
	sv->ctx = SSL_CTX_new(TLS_server_method());
	if (!sv->ctx || nt_make_cert(sv->ctx, "IP:127.0.0.1", cafile))
		return -1;
	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv->lfd < 0 || bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(sv->lfd, 8) ||
	    getsockname(sv->lfd, (struct sockaddr *)&a, &al))
		return -1;
	sv->port = ntohs(a.sin_port);
	return pthread_create(&sv->th, NULL, server_main, sv) ? -1 : 0;
}

static void server_stop(struct server *sv)
{
	sv->stop = true;
	pthread_join(sv->th, NULL);
	close(sv->lfd);
	SSL_CTX_free(sv->ctx);
	unlink(cafile);
}

/* ---- the book's side ---------------------------------------------------- */

struct answer {
	int calls, status;
	double at;
	char body[256];
};

static struct ev_loop *loop_g;
static struct server *sv_g;
static bool in_request;
static bool inside; /* a callback came from inside request() */

static void on_snapshot(void *arg, int status, const uint8_t *body, size_t len)
{
	struct answer *a = arg;

	inside |= in_request;
	a->calls++;
	a->status = status;
	a->at = ev_now(loop_g);
	snprintf(a->body, sizeof(a->body), "%.*s", (int)len, body ? (const char *)body : "");
	ev_break(loop_g, EVBREAK_ALL);
}

static int ask(struct book_rest *r, const char *sym, struct answer *a, uint64_t *h)
{
	const struct book_snapshot_source *src = book_rest__source(r);
	int e;

	in_request = true;
	e = src->ops->request(src->ctx, sym, 100, on_snapshot, a, h);
	in_request = false;
	return e;
}

static void break_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Run the loop for `s` seconds (or until a callback). */
static void run_for(double s)
{
	ev_timer t;

	ev_timer_init(&t, break_cb, s, 0.);
	ev_timer_start(loop_g, &t);
	ev_run(loop_g, 0);
	ev_timer_stop(loop_g, &t);
}

static void wait_for(struct answer *a, double s)
{
	ev_timer t;

	ev_timer_init(&t, break_cb, s, 0.);
	ev_timer_start(loop_g, &t);
	while (!a->calls && ev_is_active(&t))
		ev_run(loop_g, EVRUN_ONCE);
	ev_timer_stop(loop_g, &t);
	if (getenv("DEBUG"))
		fprintf(stderr, "wait_for: %d calls at %.3f, %d reqs, last %s\n", a->calls, ev_now(loop_g), sv_g->reqs, sv_g->last);
}

static void snapshots_and_backoff(void)
{
	struct server sv;
	struct book_rest *r;
	struct book_rest_stats st;
	struct fx_error e = {0};
	char url[64];
	struct answer a = {0}, b[4] = {{0}}, c = {0}, d = {0};
	uint64_t h = 0, h2 = 0;
	double t;

	REQUIRE(server_start(&sv) == 0);
	sv_g = &sv;
	loop_g = ev_loop_new(EVFLAG_AUTO);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u", sv.port);
	struct book_rest_opts o = {.venue = &venue_binance, .url = url, .tls = {.cafile = cafile},
				   .backoff_min = 0.2, .backoff_max = 0.5};
	REQUIRE(book_rest__new(&r, loop_g, &o, &e) == 0);

	/* a 200: the body, the venue's path, not from inside request() */
	CHECK(ask(r, "BTCUSDT", &a, &h) == 0 && h != 0);
	CHECK(a.calls == 0);
	wait_for(&a, 5);
	CHECK(a.calls == 1 && a.status == 0 && strstr(a.body, "\"lastUpdateId\":42"));
	CHECKF(!strcmp(sv.last, "/api/v3/depth?symbol=BTCUSDT&limit=100"), "path %s", sv.last);

	/* 503s: -EIO, then each next request of the symbol waits 0.2, 0.4, 0.5 s */
	t = ev_now(loop_g);
	CHECK(ask(r, "BAD", &b[0], &h) == 0);
	wait_for(&b[0], 5);
	CHECKF(b[0].calls == 1 && b[0].status == -EIO, "%d calls, status %d", b[0].calls, b[0].status);
	for (int i = 1; i < 4; i++) {
		double want = i == 1 ? 0.2 : i == 2 ? 0.4 : 0.5;
		int before = sv.reqs;

		t = ev_now(loop_g);
		CHECK(ask(r, "BAD", &b[i], &h) == 0);
		run_for(0.05);
		CHECKF(b[i].calls == 0 && sv.reqs == before, "retry %d sent at once", i);
		wait_for(&b[i], 5);
		CHECKF(b[i].calls == 1 && b[i].status == -EIO && b[i].at - t >= want - 0.02,
		       "retry %d: %d calls, status %d after %.3f s (want >= %.1f)", i, b[i].calls,
		       b[i].status, b[i].at - t, want);
	}
	/* another symbol is not held back by BAD's failures */
	t = ev_now(loop_g);
	CHECK(ask(r, "ETHUSDT", &c, &h2) == 0);
	wait_for(&c, 5);
	CHECK(c.calls == 1 && c.status == 0);

	/* cancel: a delayed request is never sent, a sent one never answered */
	{
		struct answer x = {0}, y = {0};
		uint64_t hx, hy;
		int before = sv.reqs;

		CHECK(ask(r, "BAD", &x, &hx) == 0);
		book_rest__source(r)->ops->cancel(r, hx);
		book_rest__source(r)->ops->cancel(r, hx); /* twice: a no-op */
		CHECK(ask(r, "BNBUSDT", &y, &hy) == 0);
		book_rest__source(r)->ops->cancel(r, hy);
		run_for(1.0);
		CHECK(x.calls == 0 && y.calls == 0);
		CHECKF(sv.reqs == before + 1, "%d requests sent, want 1 (BNBUSDT only)",
		       sv.reqs - before);
		book_rest__source(r)->ops->cancel(r, h2); /* long answered: a no-op */
	}

	/* cancelled, then asked again before the answer: one request, answered */
	{
		struct answer x = {0}, y = {0};
		uint64_t hx, hy;
		int before = sv.reqs;

		CHECK(ask(r, "XRPUSDT", &x, &hx) == 0);
		book_rest__source(r)->ops->cancel(r, hx);
		CHECK(ask(r, "XRPUSDT", &y, &hy) == 0 && hy != hx);
		book_rest__source(r)->ops->cancel(r, hx); /* the old handle: a no-op */
		wait_for(&y, 5);
		run_for(0.3);
		CHECK(x.calls == 0 && y.calls == 1 && y.status == 0);
		CHECKF(sv.reqs == before + 1, "%d requests sent, want 1", sv.reqs - before);
	}

	/* a 429: -EAGAIN */
	CHECK(ask(r, "LIMIT", &d, &h) == 0);
	wait_for(&d, 5);
	CHECK(d.calls == 1 && d.status == -EAGAIN);

	book_rest__stats(r, &st);
	CHECKF(st.ok == 4 && st.failed == 4 && st.limited == 1 && st.delayed == 4 &&
	       st.cancelled == 3 && st.adopted == 1 && st.connections == 1 && !strcmp(st.protocol, "http/1.1"),
	       "ok %llu failed %llu limited %llu delayed %llu cancelled %llu conns %u %s",
	       (unsigned long long)st.ok, (unsigned long long)st.failed,
	       (unsigned long long)st.limited, (unsigned long long)st.delayed,
	       (unsigned long long)st.cancelled, st.connections, st.protocol);
	CHECK(!inside);
	book_rest__free(r);
	ev_loop_destroy(loop_g);
	server_stop(&sv);
}

static void bad_options(void)
{
	struct book_rest *r = NULL;
	struct fx_error e = {0};
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct book_rest_opts o = {.venue = &venue_binance, .url = "http://127.0.0.1:1"};

	CHECK(book_rest__new(&r, loop, &o, &e) == -EINVAL && !r && strstr(e.msg, "https://"));
	o.url = "https://127.0.0.1:1";
	o.proxy = "socks5://x:1";
	CHECK(book_rest__new(&r, loop, &o, &e) == -EINVAL && !r);
	o.proxy = NULL;
	o.venue = NULL;
	CHECK(book_rest__new(&r, loop, &o, &e) == -EINVAL && !r);
	book_rest__free(NULL);
	ev_loop_destroy(loop);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (getenv("DEBUG"))
		fx_log_set_level(FX_LOG_DEBUG);
	RUN(snapshots_and_backoff);
	RUN(bad_options);
	return check_exit();
}

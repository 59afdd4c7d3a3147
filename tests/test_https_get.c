/* Tests for https_get (and rest_pacer) against a local TLS server in a
 * thread: ALPN picks HTTP/1.1 (llhttp on our side) or h2 (an nghttp2
 * server session on the server's side). Content-length, chunked and
 * read-until-close bodies, 429 with Retry-After and the weight header,
 * keep-alive reuse, several h2 streams on one connection, oversize bodies
 * refused (h2: only that stream), a server that closes mid-body, request
 * and connect failures with clear texts, the name through the fake DNS
 * server, and the pacer holding sends back after a 429. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <poll.h>
#include <stdbool.h>

#include <nghttp2/nghttp2.h>

#include "check.h"
#include "core/util.h"
#include "net_testlib.h"
#include "rest/https_get.h"
#include "rest/rest_pacer.h"

static struct nt_dns dns;
static char cafile[64];

/* ---- the server ---------------------------------------------------------- */

#define BIG_LEN (100 * 1024)
#define HUGE_LEN (3 * 1024 * 1024 + 17) /* past h2's stream and connection windows */
static char big_body[BIG_LEN];
static char huge_body[HUGE_LEN];

struct server {
	SSL_CTX *ctx;
	int lfd;
	uint16_t port;
	bool h2;
	volatile bool stop;
	pthread_t th;
	int conns, reqs;
	char paths[64][64];
};

static int alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	struct server *sv = arg;
	const unsigned char *want =
	    sv->h2 ? (const unsigned char *)"\x02h2" : (const unsigned char *)"\x08http/1.1";

	(void)s;
	for (unsigned i = 0; i < inlen; i += in[i] + 1u)
		if (in[i] == want[0] && !memcmp(in + i + 1, want + 1, want[0])) {
			*out = in + i + 1;
			*outlen = in[i];
			return SSL_TLSEXT_ERR_OK;
		}
	return SSL_TLSEXT_ERR_NOACK;
}

static void note_path(struct server *sv, const char *p, size_t n)
{
	if (sv->reqs < 64) {
		snprintf(sv->paths[sv->reqs], sizeof(sv->paths[0]), "%.*s", (int)n, p);
	}
	sv->reqs++;
}

static int ssl_write_all(SSL *s, const void *p, size_t n)
{
	return n == 0 || SSL_write(s, p, (int)n) == (int)n ? 0 : -1;
}

/* HTTP/1.1: one request after another on the connection. 0: go on. */
static void serve_h1(struct server *sv, SSL *s)
{
	char req[4096];
	size_t got = 0;
	char hdr[512];

	for (;;) {
		char *end, *path, *sp;
		int n;

		while (!(end = memmem(req, got, "\r\n\r\n", 4))) {
			int r = SSL_read(s, req + got, (int)(sizeof(req) - got));
			if (r <= 0)
				return;
			got += (size_t)r;
		}
		path = req + 4;
		sp = memchr(path, ' ', (size_t)(end - path));
		if (strncmp(req, "GET ", 4) || !sp)
			return;
		note_path(sv, path, (size_t)(sp - path));
#define IS(x) ((size_t)(sp - path) == strlen(x) && !memcmp(path, x, strlen(x)))
		if (IS("/ok")) {
			n = snprintf(hdr, sizeof(hdr),
				     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				     "X-MBX-USED-WEIGHT-1M: 25\r\nContent-Length: 18\r\n\r\n"
				     "{\"lastUpdateId\":1}");
			ssl_write_all(s, hdr, (size_t)n);
		} else if (IS("/chunked")) {
			n = snprintf(hdr, sizeof(hdr),
				     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				     "5\r\nhello\r\n1;ext=1\r\n,\r\n6\r\n world\r\n0\r\n\r\n");
			ssl_write_all(s, hdr, (size_t)n);
		} else if (IS("/limit")) {
			n = snprintf(hdr, sizeof(hdr),
				     "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
				     "X-MBX-USED-WEIGHT-1M: 6001\r\nContent-Length: 2\r\n\r\n{}");
			ssl_write_all(s, hdr, (size_t)n);
		} else if (IS("/limit1")) {
			n = snprintf(hdr, sizeof(hdr),
				     "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n"
				     "Content-Length: 0\r\n\r\n");
			ssl_write_all(s, hdr, (size_t)n);
		} else if (IS("/big")) {
			n = snprintf(hdr, sizeof(hdr),
				     "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BIG_LEN);
			ssl_write_all(s, hdr, (size_t)n);
			ssl_write_all(s, big_body, BIG_LEN);
		} else if (IS("/huge")) {
			n = snprintf(hdr, sizeof(hdr),
				     "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", HUGE_LEN);
			ssl_write_all(s, hdr, (size_t)n);
			ssl_write_all(s, huge_body, HUGE_LEN);
		} else if (IS("/cut")) {
			n = snprintf(hdr, sizeof(hdr),
				     "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
			ssl_write_all(s, hdr, (size_t)n);
			return;
		} else if (IS("/eof")) {
			n = snprintf(hdr, sizeof(hdr),
				     "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
			ssl_write_all(s, hdr, (size_t)n);
			SSL_shutdown(s);
			return;
		} else if (IS("/slow")) {
			/* never answer: wait for the client to give up */
			while (SSL_read(s, req, sizeof(req)) > 0)
				;
			return;
		} else {
			n = snprintf(hdr, sizeof(hdr),
				     "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
			ssl_write_all(s, hdr, (size_t)n);
		}
#undef IS
		got -= (size_t)(end + 4 - req);
		memmove(req, end + 4, got);
	}
}

/* ---- HTTP/2 server side on nghttp2 -------------------------------------- */

struct h2_stream {
	const char *body;
	size_t len, off;
	bool cut; /* send 10 bytes, then the connection closes */
};

struct h2_conn {
	struct server *sv;
	SSL *s;
	bool cut_now;
	struct h2_stream st[64];
	char path[64][64];
};

static ssize_t h2_read(nghttp2_session *ss, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
		       nghttp2_data_source *src, void *user)
{
	struct h2_conn *c = user;
	struct h2_stream *st = src->ptr;
	size_t n = st->len - st->off;

	(void)ss;
	(void)id;
	if (st->cut) {
		if (st->off >= 10) {
			c->cut_now = true;
			return NGHTTP2_ERR_DEFERRED;
		}
		n = 10;
	}
	if (n > len)
		n = len;
	memcpy(buf, st->body + st->off, n);
	st->off += n;
	if (st->off == st->len && !st->cut)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static int h2_on_header(nghttp2_session *ss, const nghttp2_frame *f, const uint8_t *name, size_t nl,
			const uint8_t *value, size_t vl, uint8_t flags, void *user)
{
	struct h2_conn *c = user;

	(void)ss;
	(void)flags;
	if (f->hd.type == NGHTTP2_HEADERS && f->hd.stream_id < 128 && nl == 5 &&
	    !memcmp(name, ":path", 5))
		snprintf(c->path[f->hd.stream_id / 2], sizeof(c->path[0]), "%.*s", (int)vl, value);
	return 0;
}

#define NV(n, v)                                                                                   \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE         \
	}

static int h2_on_frame(nghttp2_session *ss, const nghttp2_frame *f, void *user)
{
	struct h2_conn *c = user;
	int32_t id = f->hd.stream_id;
	struct h2_stream *st;
	const char *p;
	nghttp2_data_provider dp;

	if (f->hd.type != NGHTTP2_HEADERS || !(f->hd.flags & NGHTTP2_FLAG_END_STREAM) || id >= 128)
		return 0;
	st = &c->st[id / 2];
	p = c->path[id / 2];
	note_path(c->sv, p, strlen(p));
	dp.source.ptr = st;
	dp.read_callback = h2_read;
	memset(st, 0, sizeof(*st));
	if (!strcmp(p, "/ok")) {
		nghttp2_nv h[] = {NV(":status", "200"), NV("x-mbx-used-weight-1m", "25")};
		st->body = "{\"lastUpdateId\":1}";
		st->len = 18;
		nghttp2_submit_response(ss, id, h, 2, &dp);
	} else if (!strcmp(p, "/chunked")) {
		nghttp2_nv h[] = {NV(":status", "200")};
		st->body = "hello, world";
		st->len = 12;
		nghttp2_submit_response(ss, id, h, 1, &dp);
	} else if (!strcmp(p, "/limit") || !strcmp(p, "/limit1")) {
		nghttp2_nv h[] = {NV(":status", "429"),
				  NV("retry-after", strcmp(p, "/limit") ? "1" : "7"),
				  NV("x-mbx-used-weight-1m", "6001")};
		/* /limit1: no weight count, or the window would be full for 60 s */
		nghttp2_submit_response(ss, id, h, strcmp(p, "/limit") ? 2 : 3, NULL);
	} else if (!strcmp(p, "/big")) {
		nghttp2_nv h[] = {NV(":status", "200")};
		st->body = big_body;
		st->len = BIG_LEN;
		nghttp2_submit_response(ss, id, h, 1, &dp);
	} else if (!strcmp(p, "/huge")) {
		nghttp2_nv h[] = {NV(":status", "200")};
		st->body = huge_body;
		st->len = HUGE_LEN;
		nghttp2_submit_response(ss, id, h, 1, &dp);
	} else if (!strcmp(p, "/cut")) {
		nghttp2_nv h[] = {NV(":status", "200")};
		st->body = "0123456789";
		st->len = 1000;
		st->cut = true;
		nghttp2_submit_response(ss, id, h, 1, &dp);
	} else if (!strcmp(p, "/goaway")) {
		/* answer this one, refuse every later stream (RFC 9113 §6.8) */
		nghttp2_nv h[] = {NV(":status", "204")};
		nghttp2_submit_response(ss, id, h, 1, NULL);
		nghttp2_submit_goaway(ss, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR, NULL, 0);
	} else if (!strcmp(p, "/slow")) {
		/* never answered */
	} else {
		nghttp2_nv h[] = {NV(":status", "404")};
		nghttp2_submit_response(ss, id, h, 1, NULL);
	}
	return 0;
}

static void serve_h2(struct server *sv, SSL *s)
{
	nghttp2_session_callbacks *cb;
	nghttp2_session *ss;
	static struct h2_conn c;
	nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
	uint8_t buf[16384];

	memset(&c, 0, sizeof(c));
	c.sv = sv;
	c.s = s;
	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_on_header_callback(cb, h2_on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, h2_on_frame);
	nghttp2_session_server_new(&ss, cb, &c);
	nghttp2_session_callbacks_del(cb);
	nghttp2_submit_settings(ss, NGHTTP2_FLAG_NONE, iv, 1);
	for (;;) {
		const uint8_t *out;
		ssize_t n;

		while ((n = nghttp2_session_mem_send(ss, &out)) > 0)
			if (ssl_write_all(s, out, (size_t)n))
				goto out;
		if (c.cut_now)
			goto out;
		n = SSL_read(s, buf, sizeof(buf));
		if (n <= 0 || nghttp2_session_mem_recv(ss, buf, (size_t)n) < 0)
			goto out;
	}
out:
	nghttp2_session_del(ss);
}

static void *server_main(void *arg)
{
	struct server *sv = arg;

	while (!sv->stop) {
		struct pollfd p = {.fd = sv->lfd, .events = POLLIN};
		int fd;
		SSL *s;

		if (poll(&p, 1, 50) != 1)
			continue;
		fd = accept(sv->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		sv->conns++;
		s = SSL_new(sv->ctx);
		SSL_set_fd(s, fd);
		if (SSL_accept(s) == 1) {
			if (sv->h2)
				serve_h2(sv, s);
			else
				serve_h1(sv, s);
		}
		SSL_free(s);
		close(fd);
	}
	return NULL;
}

static int server_start(struct server *sv, bool h2)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);

	memset(sv, 0, sizeof(*sv));
	sv->h2 = h2;
	memset(big_body, 'x', sizeof(big_body));
	for (size_t i = 0; i < sizeof(huge_body); i++)
		huge_body[i] = (char)('a' + i % 26);
	snprintf(cafile, sizeof(cafile), "/tmp/test_https_get_ca.XXXXXX");
	sv->ctx = SSL_CTX_new(TLS_server_method());
	if (!sv->ctx || nt_make_cert(sv->ctx, "DNS:fast.test,IP:127.0.0.1", cafile))
		return -1;
	SSL_CTX_set_alpn_select_cb(sv->ctx, alpn_select, sv);
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

/* ---- the client side ------------------------------------------------------- */

struct got {
	int calls, err, status;
	char error[200];
	char body[64];
	size_t body_len;
	double retry_after;
	long weight;
	bool h2;
	char ctype[40];
	int order;
	bool huge_ok; /* the body equals huge_body */
};

static int done_count, want_count;
static struct ev_loop *loop_g;

static void on_resp(void *user, const struct https_response *r)
{
	struct got *g = user;
	size_t n;
	const char *ct = rest_resp__header(r->raw, "content-type", &n);

	g->calls++;
	g->order = ++done_count;
	g->err = r->err;
	g->status = r->status;
	snprintf(g->error, sizeof(g->error), "%s", r->error);
	snprintf(g->body, sizeof(g->body), "%s", r->body);
	g->body_len = r->body_len;
	g->retry_after = r->retry_after;
	g->weight = r->used_weight;
	g->h2 = r->h2;
	g->huge_ok = r->body_len == HUGE_LEN && !memcmp(r->body, huge_body, HUGE_LEN);
	if (ct)
		snprintf(g->ctype, sizeof(g->ctype), "%.*s", (int)n, ct);
	if (done_count == want_count)
		ev_break(loop_g, EVBREAK_ALL);
}

struct fixture {
	struct server sv;
	struct ev_loop *loop;
	struct resolve_ctx *rc;
	struct https_get *c;
	struct url url;
};

static int fx_up(struct fixture *f, bool h2_server, const char *host, struct https_get_opts *o)
{
	struct resolve_opts ro = {
	    .servers = dns.servers, .try_timeout = 1, .tries = 2, .no_search = 1};
	struct fx_error e;
	char u[128];

	memset(f, 0, sizeof(*f));
	done_count = want_count = 0;
	if (server_start(&f->sv, h2_server))
		return -1;
	f->loop = loop_g = ev_loop_new(EVFLAG_AUTO);
	if (resolve_ctx__new(&f->rc, f->loop, &ro, &e))
		return -1;
	snprintf(u, sizeof(u), "https://%s:%u", host, f->sv.port);
	if (url_parse(u, &f->url))
		return -1;
	o->url = &f->url;
	o->resolver = f->rc;
	if (!o->tls.insecure && !o->tls.cafile)
		o->tls.cafile = cafile;
	if (https_get__new(&f->c, f->loop, o, &e)) {
		fprintf(stderr, "https_get__new: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static void fx_run(struct fixture *f, int want)
{
	want_count = want;
	if (done_count < want)
		ev_run(f->loop, 0);
}

static void fx_down(struct fixture *f)
{
	https_get__free(f->c);
	resolve_ctx__free(f->rc);
	ev_loop_destroy(f->loop);
	server_stop(&f->sv);
}

/* HTTP/1.1 through the fake DNS: three bodies, one kept-alive connection. */
static void h1_bodies_keepalive(void)
{
	struct https_get_opts o = {0};
	struct fixture f;
	struct got ok = {0}, ch = {0}, lim = {0};

	REQUIRE(fx_up(&f, false, "fast.test", &o) == 0);
	CHECK(https_get__request(f.c, "/ok", on_resp, &ok) == 0);
	CHECK(https_get__request(f.c, "/chunked", on_resp, &ch) == 0);
	CHECK(https_get__request(f.c, "/limit", on_resp, &lim) == 0);
	CHECK(ok.calls == 0); /* never from inside the request call */
	fx_run(&f, 3);
	CHECKF(ok.calls == 1 && ok.err == 0 && ok.status == 200 &&
		   !strcmp(ok.body, "{\"lastUpdateId\":1}") && ok.weight == 25 && !ok.h2 &&
		   !strcmp(ok.ctype, "application/json") && ok.retry_after < 0,
	       "ok: %d %d %s [%s]", ok.err, ok.status, ok.error, ok.body);
	CHECKF(ch.err == 0 && ch.status == 200 && !strcmp(ch.body, "hello, world"), "chunked: %s",
	       ch.body);
	CHECKF(lim.err == 0 && lim.status == 429 && lim.retry_after == 7 && lim.weight == 6001,
	       "limit: %d %d %s %g", lim.err, lim.status, lim.error, lim.retry_after);
	CHECK(ok.order == 1 && ch.order == 2 && lim.order == 3);
	CHECKF(https_get__connections(f.c) == 1 && f.sv.conns == 1, "conns %u/%d",
	       https_get__connections(f.c), f.sv.conns);
	CHECK(!strcmp(https_get__protocol(f.c), "http/1.1") && https_get__pending(f.c) == 0);
	fx_down(&f);
}

static void h2_streams_one_connection(void)
{
	struct https_get_opts o = {0};
	struct fixture f;
	struct got ok = {0}, ch = {0}, lim = {0}, nf = {0};

	REQUIRE(fx_up(&f, true, "127.0.0.1", &o) == 0);
	CHECK(https_get__request(f.c, "/ok", on_resp, &ok) == 0);
	CHECK(https_get__request(f.c, "/chunked", on_resp, &ch) == 0);
	CHECK(https_get__request(f.c, "/limit", on_resp, &lim) == 0);
	CHECK(https_get__request(f.c, "/nothing", on_resp, &nf) == 0);
	fx_run(&f, 4);
	CHECKF(ok.err == 0 && ok.status == 200 && ok.h2 &&
		   !strcmp(ok.body, "{\"lastUpdateId\":1}") && ok.weight == 25,
	       "ok: %d %d %s", ok.err, ok.status, ok.error);
	CHECK(ch.err == 0 && !strcmp(ch.body, "hello, world") && ch.body_len == 12);
	CHECK(lim.err == 0 && lim.status == 429 && lim.retry_after == 7 && lim.body_len == 0);
	CHECK(nf.err == 0 && nf.status == 404);
	CHECK(https_get__connections(f.c) == 1 && f.sv.conns == 1 && f.sv.reqs == 4);
	CHECK(!strcmp(https_get__protocol(f.c), "h2"));
	fx_down(&f);
}

/* GOAWAY: the streams above its last id were not processed and go again
 * on a new connection; the ones below complete. */
static void h2_goaway_retries(void)
{
	struct https_get_opts o = {0};
	struct fixture f;
	struct got a = {0}, g = {0}, b = {0};

	REQUIRE(fx_up(&f, true, "127.0.0.1", &o) == 0);
	CHECK(https_get__request(f.c, "/ok", on_resp, &a) == 0);
	CHECK(https_get__request(f.c, "/goaway", on_resp, &g) == 0);
	CHECK(https_get__request(f.c, "/chunked", on_resp, &b) == 0);
	fx_run(&f, 3);
	CHECKF(a.err == 0 && a.status == 200, "a %d %s", a.err, a.error);
	CHECKF(g.err == 0 && g.status == 204, "g %d %s", g.err, g.error);
	CHECKF(b.err == 0 && b.status == 200 && !strcmp(b.body, "hello, world"), "b %d %s", b.err,
	       b.error);
	CHECKF(https_get__connections(f.c) == 2 && f.sv.conns == 2, "conns %u",
	       https_get__connections(f.c));
	fx_down(&f);
}

/* Megabytes through HTTP/2 flow control (WINDOW_UPDATEs) and HTTP/1.1. */
static void large_bodies(void)
{
	for (int h2 = 0; h2 <= 1; h2++) {
		struct https_get_opts o = {0};
		struct fixture f;
		struct got a = {0}, b = {0};

		REQUIRE(fx_up(&f, h2, "127.0.0.1", &o) == 0);
		CHECK(https_get__request(f.c, "/huge", on_resp, &a) == 0);
		CHECK(https_get__request(f.c, "/huge", on_resp, &b) == 0);
		fx_run(&f, 2);
		CHECKF(a.err == 0 && a.huge_ok && b.err == 0 && b.huge_ok, "h2=%d: %d %s %zu", h2,
		       a.err, a.error, a.body_len);
		CHECK(https_get__connections(f.c) == 1);
		fx_down(&f);
	}
}

/* A body over the limit is refused: h1 loses the connection, h2 only the
 * stream (the next request uses the same connection). */
static void oversize_refused(void)
{
	for (int h2 = 0; h2 <= 1; h2++) {
		struct https_get_opts o = {.max_body = 64 * 1024};
		struct fixture f;
		struct got big = {0}, ok = {0};

		REQUIRE(fx_up(&f, h2, "127.0.0.1", &o) == 0);
		CHECK(https_get__request(f.c, "/big", on_resp, &big) == 0);
		fx_run(&f, 1);
		CHECK(https_get__request(f.c, "/ok", on_resp, &ok) == 0);
		fx_run(&f, 2);
		CHECKF(big.err == -EFBIG && !strcmp(big.error, "response body over 65536 bytes"),
		       "h2=%d: %d %s", h2, big.err, big.error);
		CHECKF(ok.err == 0 && ok.status == 200, "h2=%d: %d %s", h2, ok.err, ok.error);
		CHECKF(https_get__connections(f.c) == (h2 ? 1u : 2u), "h2=%d conns %u", h2,
		       https_get__connections(f.c));
		fx_down(&f);
	}
}

static void closed_mid_body(void)
{
	for (int h2 = 0; h2 <= 1; h2++) {
		struct https_get_opts o = {0};
		struct fixture f;
		struct got cut = {0}, ok = {0};

		REQUIRE(fx_up(&f, h2, "127.0.0.1", &o) == 0);
		CHECK(https_get__request(f.c, "/cut", on_resp, &cut) == 0);
		fx_run(&f, 1);
		/* h2: the server closes with our SETTINGS ACK unread, so its
		 * kernel may reset the connection before we read the head */
		CHECKF(cut.err == -ECONNRESET &&
			   (h2 ? strstr(cut.error, "lost") != NULL && cut.status != 404
			       : cut.status == 200 &&
				     !strcmp(cut.error, "server closed the connection mid-body")),
		       "h2=%d: %d %d %s", h2, cut.err, cut.status, cut.error);
		/* the next request gets a new connection */
		CHECK(https_get__request(f.c, "/ok", on_resp, &ok) == 0);
		fx_run(&f, 2);
		CHECK(ok.err == 0 && ok.status == 200 && https_get__connections(f.c) == 2);
		fx_down(&f);
	}
}

static void read_until_close(void)
{
	struct https_get_opts o = {0};
	struct fixture f;
	struct got eof = {0};

	REQUIRE(fx_up(&f, false, "127.0.0.1", &o) == 0);
	CHECK(https_get__request(f.c, "/eof", on_resp, &eof) == 0);
	fx_run(&f, 1);
	CHECKF(eof.err == 0 && eof.status == 200 && !strcmp(eof.body, "until the end"),
	       "%d %s [%s]", eof.err, eof.error, eof.body);
	fx_down(&f);
}

static void request_timeout(void)
{
	for (int h2 = 0; h2 <= 1; h2++) {
		struct https_get_opts o = {.request_timeout = 1};
		struct fixture f;
		struct got slow = {0}, ok = {0};

		REQUIRE(fx_up(&f, h2, "127.0.0.1", &o) == 0);
		CHECK(https_get__request(f.c, "/slow", on_resp, &slow) == 0);
		CHECK(https_get__request(f.c, "/ok", on_resp, &ok) == 0);
		fx_run(&f, 2);
		CHECKF(slow.err == -ETIMEDOUT &&
			   !strcmp(slow.error, "no complete response within 1 s"),
		       "h2=%d: %d %s", h2, slow.err, slow.error);
		CHECKF(ok.err == 0 && ok.status == 200, "h2=%d: %d %s", h2, ok.err, ok.error);
		/* h2: the answer to /ok did not wait for /slow */
		if (h2)
			CHECK(ok.order == 1 && slow.order == 2);
		fx_down(&f);
	}
}

static void clear_failures(void)
{
	struct https_get_opts o = {.tls = {.cafile = NULL, .insecure = false}};
	struct fixture f;
	struct got v = {0}, nx = {0}, refused = {0};
	struct https_get *c2, *c3;
	struct url u2, u3;
	struct https_get_opts o2 = {0};
	struct fx_error e;
	int fd;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	char u[96];

	/* the system's CAs do not know our certificate */
	o.tls.cafile = "/etc/ssl/certs/ca-certificates.crt";
	if (access(o.tls.cafile, R_OK)) {
		SKIP("no system CA bundle");
		return;
	}
	REQUIRE(fx_up(&f, false, "127.0.0.1", &o) == 0);
	CHECK(https_get__request(f.c, "/ok", on_resp, &v) == 0);
	/* a name the DNS server does not know */
	REQUIRE(url_parse("https://nx.test:443", &u2) == 0);
	o2.url = &u2;
	o2.resolver = f.rc;
	o2.tls.cafile = cafile;
	REQUIRE(https_get__new(&c2, f.loop, &o2, &e) == 0);
	CHECK(https_get__request(c2, "/ok", on_resp, &nx) == 0);
	/* a port nobody listens on */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		getsockname(fd, (struct sockaddr *)&a, &al) == 0);
	close(fd);
	snprintf(u, sizeof(u), "https://127.0.0.1:%u", ntohs(a.sin_port));
	REQUIRE(url_parse(u, &u3) == 0);
	o2.url = &u3;
	REQUIRE(https_get__new(&c3, f.loop, &o2, &e) == 0);
	CHECK(https_get__request(c3, "/ok", on_resp, &refused) == 0);
	fx_run(&f, 3);
	CHECKF(v.err == -EACCES && strstr(v.error, "certificate verify failed"), "%d %s", v.err,
	       v.error);
	CHECKF(nx.err == -EHOSTUNREACH && !strncmp(nx.error, "cannot resolve nx.test: ", 24),
	       "%d %s", nx.err, nx.error);
	CHECKF(refused.err == -ECONNREFUSED &&
		   strstr(refused.error, "cannot connect to 127.0.0.1:"),
	       "%d %s", refused.err, refused.error);
	CHECK(https_get__request(c3, "no-slash", on_resp, &refused) == -EINVAL);
	CHECK(https_get__request(c3, "/a b", on_resp, &refused) == -EINVAL);
	https_get__free(c2);
	https_get__free(c3);
	fx_down(&f);
}

/* The pacer: a 429 with Retry-After 1 holds every later send back until
 * then (checked against the loop clock, a lower bound only), and the
 * budget lets the first ones go at once. */
static void pacer_honours_retry_after(void)
{
	struct https_get_opts o = {0};
	struct fixture f;
	struct rest_pacer *p;
	struct rest_sched_opts so = {.budget = 6000, .window = 60, .burst = 1000};
	struct got lim = {0}, a = {0}, b = {0};
	ev_tstamp t0;

	REQUIRE(fx_up(&f, true, "127.0.0.1", &o) == 0);
	REQUIRE(rest_pacer__new(&p, f.loop, f.c, &so) == 0);
	CHECK(rest_pacer__get(p, "/limit1", 5, on_resp, &lim) == 0);
	fx_run(&f, 1);
	t0 = ev_now(f.loop);
	CHECK(lim.status == 429 && lim.retry_after == 1);
	CHECK(rest_pacer__get(p, "/ok", 25, on_resp, &a) == 0);
	CHECK(rest_pacer__get(p, "/ok", 25, on_resp, &b) == 0);
	fx_run(&f, 3);
	CHECK(a.status == 200 && b.status == 200 && a.order == 2 && b.order == 3);
	CHECKF(ev_now(f.loop) - t0 >= 0.99, "sent after %g s", ev_now(f.loop) - t0);
	CHECK(rest_pacer__sched(p)->limited == 1 && rest_pacer__sched(p)->sent == 3);
	CHECK(rest_sched__used(rest_pacer__sched(p), ev_now(f.loop)) == 55);
	/* the server says 6001 used: our count follows it, the next waits */
	CHECK(rest_pacer__get(p, "/limit", 5, on_resp, &lim) == 0);
	fx_run(&f, 4);
	CHECK(lim.retry_after == 7 && lim.weight == 6001);
	CHECK(rest_sched__used(rest_pacer__sched(p), ev_now(f.loop)) >= 6001);
	https_get__free(f.c); /* before the pacer its requests point into */
	f.c = NULL;
	rest_pacer__free(p);
	fx_down(&f);
}

/* ---- a tiny HTTP CONNECT proxy (one tunnel, or a 403) ------------------------ */

struct proxy {
	int lfd;
	uint16_t port;
	bool refuse;
	pthread_t th;
	char target[128];
};

static void *proxy_main(void *arg)
{
	struct proxy *px = arg;
	char req[1024];
	size_t got = 0;
	int fd = accept(px->lfd, NULL, NULL), up = -1;
	unsigned port;

	if (fd < 0)
		return NULL;
	while (got < sizeof(req) - 1 && !memmem(req, got, "\r\n\r\n", 4)) {
		ssize_t r = recv(fd, req + got, sizeof(req) - 1 - got, 0);
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	req[got] = 0;
	sscanf(req, "CONNECT %127s", px->target);
	if (px->refuse || sscanf(req, "CONNECT 127.0.0.1:%u", &port) != 1) {
		const char *no = "HTTP/1.1 403 Access violation\r\nContent-Length: 0\r\n\r\n";
		send(fd, no, strlen(no), MSG_NOSIGNAL);
		goto out;
	}
	{
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					.sin_port = htons((uint16_t)port)};
		const char *ok = "HTTP/1.1 200 Connection established\r\n\r\n";
		up = socket(AF_INET, SOCK_STREAM, 0);
		if (up < 0 || connect(up, (struct sockaddr *)&a, sizeof(a)))
			goto out;
		send(fd, ok, strlen(ok), MSG_NOSIGNAL);
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = up, .events = POLLIN}};
		char buf[16384];
		ssize_t n;

		if (poll(p, 2, 5000) <= 0)
			break;
		if (p[0].revents) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n <= 0 || send(up, buf, (size_t)n, MSG_NOSIGNAL) != n)
				break;
		}
		if (p[1].revents) {
			n = recv(up, buf, sizeof(buf), 0);
			if (n <= 0 || send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
				break;
		}
	}
out:
	if (up >= 0)
		close(up);
	close(fd);
	return NULL;
}

static int proxy_start(struct proxy *px, bool refuse)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);

	memset(px, 0, sizeof(*px));
	px->refuse = refuse;
	px->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (px->lfd < 0 || bind(px->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(px->lfd, 2) ||
	    getsockname(px->lfd, (struct sockaddr *)&a, &al))
		return -1;
	px->port = ntohs(a.sin_port);
	return pthread_create(&px->th, NULL, proxy_main, px) ? -1 : 0;
}

static void proxy_stop(struct proxy *px)
{
	pthread_join(px->th, NULL);
	close(px->lfd);
}

static void through_proxy(void)
{
	for (int refuse = 0; refuse <= 1; refuse++) {
		struct https_get_opts o = {0};
		struct fixture f;
		struct proxy px;
		struct url pu;
		char u[64];
		struct got ok = {0};

		REQUIRE(proxy_start(&px, refuse) == 0);
		snprintf(u, sizeof(u), "http://127.0.0.1:%u", px.port);
		REQUIRE(url_parse(u, &pu) == 0);
		o.proxy = &pu;
		REQUIRE(fx_up(&f, true, "127.0.0.1", &o) == 0);
		CHECK(https_get__request(f.c, "/ok", on_resp, &ok) == 0);
		fx_run(&f, 1);
		if (!refuse)
			CHECKF(ok.err == 0 && ok.status == 200 && ok.h2, "%d %s", ok.err, ok.error);
		else
			CHECKF(ok.err == -ECONNREFUSED &&
				   !strcmp(ok.error, "proxy answered 403 Access violation"),
			       "%d %s", ok.err, ok.error);
		/* the tunnel went to the server, not to the proxy's own port */
		CHECKF(strstr(px.target, "127.0.0.1:") &&
			   (unsigned)atoi(strchr(px.target, ':') + 1) == f.sv.port,
		       "target %s", px.target);
		https_get__free(f.c);
		f.c = NULL;
		proxy_stop(&px);
		fx_down(&f);
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (nt_dns_start(&dns)) {
		printf("FAIL dns_server: cannot start the fake DNS server\n");
		return 1;
	}
	RUN(h1_bodies_keepalive);
	RUN(h2_streams_one_connection);
	RUN(h2_goaway_retries);
	RUN(large_bodies);
	RUN(oversize_refused);
	RUN(closed_mid_body);
	RUN(read_until_close);
	RUN(request_timeout);
	RUN(clear_failures);
	RUN(pacer_honours_retry_after);
	RUN(through_proxy);
	nt_dns_stop(&dns);
	return check_exit();
}

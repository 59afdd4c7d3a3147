/* One connection's slow DNS answer does not hold up another connection on
 * the same loop: kconn A (wss://fast.test) receives every message and
 * closes while kconn B (wss://slow.test) still waits for its name; only
 * then does the fake DNS server (tests/net_testlib.h) answer B, which
 * connects and receives its messages too. Asserted by order, not time.
 * Also: B's resolution bounded by the connect timeout says so. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>

#include "check.h"
#include "kernel/kconn.h"
#include "kernel/resolve.h"
#include "net_testlib.h"
#include "proto/ws_accept.h"
#include "proto/ws_proto.h"

#define MSGS 50

static struct nt_dns dns;
static char cafile[64];

struct server {
	SSL_CTX *ctx;
	int lfd;
	uint16_t port;
	int conns;
	pthread_t th;
};

static void *conn_main(void *arg)
{
	struct server *sv = ((void **)arg)[0];
	int fd = (int)(intptr_t)((void **)arg)[1];
	char req[4096] = "", resp[512], acc[WS_ACCEPT_LEN + 1];
	size_t got = 0;
	SSL *s = SSL_new(sv->ctx);
	uint8_t b[64];

	free(arg);
	SSL_set_fd(s, fd);
	if (SSL_accept(s) != 1)
		goto out;
	while (got < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		int r = SSL_read(s, req + got, (int)(sizeof(req) - 1 - got));
		if (r <= 0)
			goto out;
		got += (size_t)r;
		req[got] = 0;
	}
	{
		const char *k = strstr(req, "Sec-WebSocket-Key: ");
		int len;
		if (!k || ws_accept_compute(k + 19, WS_KEY_LEN, acc))
			goto out;
		len = snprintf(resp, sizeof(resp),
			       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			       "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			       acc);
		SSL_write(s, resp, len);
	}
	for (int i = 0; i < MSGS; i++) {
		char m[16];
		int ml = snprintf(m, sizeof(m), "\x81%cm%04d", 5, i);
		SSL_write(s, m, ml);
	}
	/* read until the client's close, echo it */
	while (SSL_read(s, b, sizeof(b)) > 0)
		if ((b[0] & 0x0f) == 8) {
			SSL_write(s, "\x88\x02\x03\xe8", 4);
			break;
		}
	SSL_shutdown(s);
out:
	SSL_free(s);
	close(fd);
	return NULL;
}

static void *server_main(void *arg)
{
	struct server *sv = arg;
	pthread_t th[2];
	int n = 0;

	while (n < sv->conns) {
		int fd = accept(sv->lfd, NULL, NULL);
		void **a = malloc(2 * sizeof(void *));
		if (fd < 0 || !a)
			break;
		a[0] = sv;
		a[1] = (void *)(intptr_t)fd;
		if (pthread_create(&th[n], NULL, conn_main, a))
			break;
		n++;
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return NULL;
}

static int server_start(struct server *sv, int conns)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);

	memset(sv, 0, sizeof(*sv));
	sv->conns = conns;
	snprintf(cafile, sizeof(cafile), "/tmp/test_kconn_dns_ca.XXXXXX");
	sv->ctx = SSL_CTX_new(TLS_server_method());
	if (!sv->ctx || nt_make_cert(sv->ctx, "DNS:fast.test,DNS:slow.test", cafile))
		return -1;
	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv->lfd < 0 || bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(sv->lfd, 4) ||
	    getsockname(sv->lfd, (struct sockaddr *)&a, &al))
		return -1;
	sv->port = ntohs(a.sin_port);
	return pthread_create(&sv->th, NULL, server_main, sv) ? -1 : 0;
}

static void server_stop(struct server *sv)
{
	if (sv->conns)
		pthread_join(sv->th, NULL);
	close(sv->lfd);
	SSL_CTX_free(sv->ctx);
	unlink(cafile);
}

struct leg {
	struct kconn *k;
	struct url url;
	char tag;
	int msgs, status;
	bool done;
	bool in_order;
};

static char order[64];
static size_t norder;
static struct leg *slow_leg;
static bool slow_waiting_when_fast_done, released;

static void note(char c)
{
	if (norder < sizeof(order) - 1 && (norder == 0 || order[norder - 1] != c))
		order[norder++] = c;
	order[norder] = 0;
}

static void on_message(void *user, uint8_t opcode, const uint8_t *p, size_t n)
{
	struct leg *l = user;
	char want[8];

	note(l->tag);
	snprintf(want, sizeof(want), "m%04d", l->msgs);
	if (opcode != WS_OP_TEXT || n != 5 || memcmp(p, want, 5))
		l->in_order = false;
	if (++l->msgs == MSGS)
		kconn__close(l->k, 1000);
}

static void on_done(void *user, int status)
{
	struct leg *l = user;

	note(l->tag == 'a' ? 'A' : 'B');
	l->status = status;
	l->done = true;
	if (l->tag == 'a' && slow_leg) {
		/* the other connection is still resolving: no socket yet */
		slow_waiting_when_fast_done = !slow_leg->done && slow_leg->msgs == 0 &&
					      kconn__state(slow_leg->k) == KCONN_CONNECTING &&
					      kconn__fd(slow_leg->k) < 0;
		released = nt_dns_release(&dns) == 0;
	}
}

static int leg_new(struct leg *l, struct ev_loop *loop, struct resolve_ctx *rc, const char *host,
		   uint16_t port, char tag, double timeout)
{
	char u[128];
	struct fx_error e;
	struct kconn_opts o = {
	    .url = &l->url,
	    .tls = {.cafile = cafile[0] ? cafile : NULL, .insecure = !cafile[0]},
	    .connect_timeout = timeout,
	    .close_timeout = 2,
	    .max_message = 1 << 16,
	    .resolver = rc,
	};
	struct kconn_hooks h = {.user = l, .on_message = on_message, .on_done = on_done};

	memset(l, 0, sizeof(*l));
	l->tag = tag;
	l->in_order = true;
	snprintf(u, sizeof(u), "wss://%s:%u/ws", host, port);
	if (url_parse(u, &l->url))
		return -1;
	if (kconn__new(&l->k, loop, &o, &h, &e)) {
		fprintf(stderr, "kconn__new: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static void slow_dns_other_flows(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct resolve_opts ro = {
	    .servers = dns.servers, .try_timeout = 5, .tries = 2, .no_search = 1};
	struct resolve_ctx *rc;
	struct server sv;
	struct leg a, b;
	struct fx_error e;

	norder = 0;
	released = slow_waiting_when_fast_done = false;
	REQUIRE(server_start(&sv, 2) == 0);
	REQUIRE(resolve_ctx__new(&rc, loop, &ro, &e) == 0);
	REQUIRE(leg_new(&b, loop, rc, "slow.test", sv.port, 'b', 20) == 0);
	REQUIRE(leg_new(&a, loop, rc, "fast.test", sv.port, 'a', 20) == 0);
	slow_leg = &b;
	kconn__start(b.k); /* the held name first */
	kconn__start(a.k);
	ev_run(loop, 0);
	/* all of A, A closed, then B's messages, then B closed */
	CHECKF(!strcmp(order, "aAbB"), "order %s", order);
	CHECK(slow_waiting_when_fast_done && released);
	CHECKF(a.status == 0 && a.msgs == MSGS && a.in_order, "a: %d %d %s", a.status, a.msgs,
	       kconn__error(a.k));
	CHECKF(b.status == 0 && b.msgs == MSGS && b.in_order, "b: %d %d %s", b.status, b.msgs,
	       kconn__error(b.k));
	slow_leg = NULL;
	kconn__free(a.k);
	kconn__free(b.k);
	resolve_ctx__free(rc);
	server_stop(&sv);
	ev_loop_destroy(loop);
}

static void resolution_times_out(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct resolve_opts ro = {
	    .servers = dns.servers, .try_timeout = 5, .tries = 1, .no_search = 1};
	struct resolve_ctx *rc;
	struct leg h, nx;
	struct fx_error e;

	norder = 0;
	REQUIRE(resolve_ctx__new(&rc, loop, &ro, &e) == 0);
	cafile[0] = 0; /* never gets as far as TLS */
	REQUIRE(leg_new(&h, loop, rc, "hang.test", 443, 'h', 0.2) == 0);
	REQUIRE(leg_new(&nx, loop, rc, "nx.test", 443, 'n', 5) == 0);
	kconn__start(h.k);
	kconn__start(nx.k);
	ev_run(loop, 0);
	CHECKF(h.done && h.status == -ETIMEDOUT &&
		   !strcmp(kconn__error(h.k), "connect timeout after 0.2 s (resolving hang.test)"),
	       "%d %s", h.status, kconn__error(h.k));
	CHECKF(nx.done && nx.status == -EHOSTUNREACH &&
		   !strncmp(kconn__error(nx.k), "cannot resolve nx.test: ", 24),
	       "%d %s", nx.status, kconn__error(nx.k));
	kconn__free(h.k);
	kconn__free(nx.k);
	resolve_ctx__free(rc);
	ev_loop_destroy(loop);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (nt_dns_start(&dns)) {
		printf("FAIL dns_server: cannot start the fake DNS server\n");
		return 1;
	}
	RUN(slow_dns_other_flows);
	RUN(resolution_times_out);
	nt_dns_stop(&dns);
	return check_exit();
}

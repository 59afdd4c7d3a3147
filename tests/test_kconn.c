/* Tests for kconn on loopback, against a small blocking TLS WebSocket server
 * in a thread (self-signed certificate made here, trusted through --cafile
 * semantics, checked as the IP 127.0.0.1): hook order and arguments (socket
 * bound but not connected, SSL before the handshake, record offset at open),
 * data sharing a TLS record with the 101, --count style close handshake,
 * non-101, and the idle ping then timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "net_testlib.h"
#include "kernel/kconn.h"
#include "proto/ws_accept.h"
#include "proto/ws_proto.h"

enum scenario { SC_COUNT, SC_404, SC_SILENT, SC_TRICKLE };

struct server {
	SSL_CTX *ctx;
	int lfd;
	uint16_t port;
	enum scenario sc;
	pthread_t th;
	/* what the server saw */
	int got_close_code, got_ping, got_pong;
	int got_text_ping; /* text messages "ping" (a venue's keepalive) */
};

/* run_client's keepalive options (a venue's text keepalive) */
static const char *ka_text;
static double ka_every;

static char cafile[] = "/tmp/test_kconn_ca.XXXXXX";

static int ssl_read_n(SSL *s, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		int r = SSL_read(s, (char *)buf + got, (int)(n - got));
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Read one client frame (masked); returns opcode, payload into p. */
static int read_frame(SSL *s, uint8_t *p, size_t *n)
{
	uint8_t h[2], mask[4];
	size_t len;

	if (ssl_read_n(s, h, 2))
		return -1;
	len = h[1] & 0x7f;
	if (len >= 126 || !(h[1] & 0x80) || ssl_read_n(s, mask, 4) || ssl_read_n(s, p, len))
		return -1;
	for (size_t i = 0; i < len; i++)
		p[i] ^= mask[i % 4];
	*n = len;
	return h[0] & 0x0f;
}

static void *server_main(void *arg)
{
	struct server *sv = arg;
	char req[4096] = "", resp[512], acc[WS_ACCEPT_LEN + 1];
	uint8_t p[200];
	size_t got = 0, n;
	int fd, op, len;
	SSL *s;

	fd = accept(sv->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	s = SSL_new(sv->ctx);
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
	if (sv->sc == SC_404) {
		len = snprintf(resp, sizeof(resp),
			       "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
		SSL_write(s, resp, len);
		goto out;
	}
	{
		const char *k = strstr(req, "Sec-WebSocket-Key: ");
		if (!k || ws_accept_compute(k + 19, WS_KEY_LEN, acc))
			goto out;
	}
	/* the 101 and the first message in one TLS record */
	len = snprintf(resp, sizeof(resp),
		       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		       "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
		       "\x81\x05hello",
		       acc);
	SSL_write(s, resp, len);
	if (sv->sc == SC_TRICKLE) {
		/* slowloris: a 256-byte text frame, a byte (a TLS record) every
		 * 20 ms, until the client gives up (the write fails) */
		SSL_write(s, "\x81\x7e\x01\x00", 4);
		for (int i = 0; i < 256 && SSL_write(s, "z", 1) == 1; i++)
			usleep(20000);
		goto out;
	}
	if (sv->sc == SC_SILENT) {
		/* read the client's ping, never answer, wait for it to give up */
		while ((op = read_frame(s, p, &n)) >= 0) {
			if (op == 9)
				sv->got_ping++;
			if (op == 1 && n == 4 && !memcmp(p, "ping", 4))
				sv->got_text_ping++;
		}
		goto out;
	}
	SSL_write(s, "\x89\x02hi", 4); /* a ping: expect a pong */
	for (int i = 1; i < 10; i++) {
		char m[16];
		int ml = snprintf(m, sizeof(m), "\x81%cmsg %d", 5, i);
		SSL_write(s, m, ml);
	}
	while ((op = read_frame(s, p, &n)) >= 0) {
		if (op == 10 && n == 2 && memcmp(p, "hi", 2) == 0)
			sv->got_pong++;
		if (op == 8) {
			sv->got_close_code = n >= 2 ? p[0] << 8 | p[1] : 0;
			SSL_write(s, "\x88\x02\x03\xe8", 4);
			break;
		}
	}
	SSL_shutdown(s);
out:
	SSL_free(s);
	close(fd);
	return NULL;
}

static int server_start(struct server *sv, enum scenario sc)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);

	memset(sv, 0, sizeof(*sv));
	sv->sc = sc;
	sv->ctx = SSL_CTX_new(TLS_server_method());
	if (!sv->ctx || nt_make_cert(sv->ctx, "IP:127.0.0.1", cafile))
		return -1;
	sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (sv->lfd < 0 || bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(sv->lfd, 4) ||
	    getsockname(sv->lfd, (struct sockaddr *)&a, &al))
		return -1;
	sv->port = ntohs(a.sin_port);
	return pthread_create(&sv->th, NULL, server_main, sv) ? -1 : 0;
}

static void server_stop(struct server *sv)
{
	pthread_join(sv->th, NULL);
	close(sv->lfd);
	SSL_CTX_free(sv->ctx);
	unlink(cafile);
	strcpy(cafile, "/tmp/test_kconn_ca.XXXXXX");
}

/* ---- the client side ---------------------------------------------------- */

struct client {
	struct kconn *k;
	char order[16];
	size_t norder;
	int socket_ok, tls_ok, open_ok;
	int n;
	char first[16];
	int status;
	bool done;
};

static void mark(struct client *c, char ch)
{
	if (c->norder < sizeof(c->order) - 1 && (c->norder == 0 || c->order[c->norder - 1] != ch))
		c->order[c->norder++] = ch;
}

static int on_socket(void *user, int fd, const struct sockaddr *local,
		     const struct sockaddr *remote)
{
	struct client *c = user;
	struct sockaddr_in me, peer;
	socklen_t l = sizeof(me);

	mark(c, 's');
	/* bound with a real port, not yet connected */
	c->socket_ok = getsockname(fd, (struct sockaddr *)&me, &l) == 0 && me.sin_port != 0 &&
		       local->sa_family == AF_INET &&
		       ((const struct sockaddr_in *)local)->sin_port == me.sin_port &&
		       me.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
		       remote->sa_family == AF_INET &&
		       (l = sizeof(peer), getpeername(fd, (struct sockaddr *)&peer, &l) != 0) &&
		       errno == ENOTCONN;
	return 0;
}

static void on_tls(void *user, SSL *ssl)
{
	struct client *c = user;

	mark(c, 't');
	c->tls_ok = ssl == kconn__ssl(c->k) && !SSL_is_init_finished(ssl) &&
		    SSL_get_SSL_CTX(ssl) == kconn__ssl_ctx(c->k);
}

static void on_open(void *user)
{
	struct client *c = user;

	mark(c, 'o');
	c->open_ok = kconn__state(c->k) == KCONN_OPEN && kconn__tls_rx_bytes(c->k) > 0 &&
		     SSL_is_init_finished(kconn__ssl(c->k)) && kconn__fd(c->k) >= 0;
}

static void on_message(void *user, uint8_t opcode, const uint8_t *p, size_t n)
{
	struct client *c = user;

	mark(c, 'm');
	if (c->n++ == 0 && opcode == WS_OP_TEXT && n < sizeof(c->first)) {
		memcpy(c->first, p, n);
		c->first[n] = 0;
	}
	if (c->n == 10)
		kconn__close(c->k, 1000);
}

static void on_done(void *user, int status)
{
	struct client *c = user;

	mark(c, 'd');
	c->status = status;
	c->done = true;
}

static const struct kconn_hooks hooks_tmpl = {
    .on_socket = on_socket,
    .on_tls = on_tls,
    .on_open = on_open,
    .on_message = on_message,
    .on_done = on_done,
};

static int run_client(struct client *c, struct server *sv, const char *path, double idle)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct url url;
	char u[128];
	struct fx_error err;
	struct kconn_opts o = {
	    .url = &url,
	    .tls = {.cafile = cafile},
	    .connect_timeout = 5,
	    .idle_timeout = idle,
	    .ping_text = ka_text,
	    .ping_every = ka_every,
	    .close_timeout = 2,
	    .max_message = 1 << 16,
	    .check_utf8 = true,
	};
	struct kconn_hooks h = hooks_tmpl;
	int r;

	memset(c, 0, sizeof(*c));
	h.user = c;
	snprintf(u, sizeof(u), "wss://127.0.0.1:%u%s", sv->port, path);
	if (url_parse(u, &url))
		return -1;
	r = kconn__new(&c->k, loop, &o, &h, &err);
	if (r)
		return r;
	kconn__start(c->k);
	if (!c->done)
		ev_run(loop, 0);
	ev_loop_destroy(loop);
	return 0;
}

static void count_and_close(void)
{
	struct server sv;
	struct client c;
	struct kconn_stats st;

	REQUIRE(server_start(&sv, SC_COUNT) == 0);
	REQUIRE(run_client(&c, &sv, "/ws/x", 10) == 0);
	server_stop(&sv);
	CHECKF(c.status == 0, "status %d: %s", c.status, kconn__error(c.k));
	CHECKF(strcmp(c.order, "stomd") == 0, "hook order %s", c.order);
	CHECK(c.socket_ok);
	CHECK(c.tls_ok);
	CHECK(c.open_ok);
	CHECK(c.n == 10);
	CHECK(strcmp(c.first, "hello") == 0); /* shared the record with the 101 */
	CHECK(sv.got_pong == 1);
	CHECK(sv.got_close_code == 1000);
	kconn__stats(c.k, &st);
	CHECK(st.messages == 10 && st.pings == 1 && st.close_sent == 1000 &&
	      st.close_received == 1000);
	CHECK(kconn__state(c.k) == KCONN_DONE);
	kconn__free(c.k);
}

static void non_101(void)
{
	struct server sv;
	struct client c;

	REQUIRE(server_start(&sv, SC_404) == 0);
	REQUIRE(run_client(&c, &sv, "/nope", 10) == 0);
	server_stop(&sv);
	CHECK(c.status < 0);
	CHECKF(strcmp(kconn__error(c.k), "server answered 404 Not Found (expected 101)") == 0,
	       "error '%s'", kconn__error(c.k));
	CHECK(c.n == 0);
	kconn__free(c.k);
}

static void idle_ping_then_timeout(void)
{
	struct server sv;
	struct client c;

	REQUIRE(server_start(&sv, SC_SILENT) == 0);
	REQUIRE(run_client(&c, &sv, "/ws/x", 0.4) == 0);
	CHECKF(c.status == -ETIMEDOUT, "status %d: %s", c.status, kconn__error(c.k));
	CHECKF(strcmp(kconn__error(c.k), "no data from server for 0.4 s") == 0, "error '%s'",
	       kconn__error(c.k));
	kconn__free(c.k); /* closes the socket: the server thread ends */
	server_stop(&sv);
	CHECK(sv.got_ping == 1);
	CHECK(c.n == 1);
}

/* A venue's text keepalive (OKX "ping") replaces the WebSocket ping; with
 * ping_every it also goes out while the idle timer has not fired. */
static void text_keepalive(void)
{
	struct server sv;
	struct client c;

	ka_text = "ping";
	REQUIRE(server_start(&sv, SC_SILENT) == 0);
	REQUIRE(run_client(&c, &sv, "/ws/x", 0.4) == 0);
	CHECK(c.status == -ETIMEDOUT);
	kconn__free(c.k);
	server_stop(&sv);
	CHECK(sv.got_text_ping == 1 && sv.got_ping == 0);

	ka_every = 0.05; /* Bybit's every-20-s, faster */
	REQUIRE(server_start(&sv, SC_SILENT) == 0);
	REQUIRE(run_client(&c, &sv, "/ws/x", 0.6) == 0);
	CHECK(c.status == -ETIMEDOUT);
	kconn__free(c.k);
	server_stop(&sv);
	CHECKF(sv.got_text_ping >= 2 && sv.got_ping == 0, "%d text pings", sv.got_text_ping);
	ka_text = NULL;
	ka_every = 0;
}

/* Bytes that trickle in without completing a frame are no sign of life:
 * the idle timeout fires as for silence, and says why (it_hostile
 * slowloris). */
static void trickle_is_idle(void)
{
	struct server sv;
	struct client c;

	REQUIRE(server_start(&sv, SC_TRICKLE) == 0);
	REQUIRE(run_client(&c, &sv, "/ws/x", 0.4) == 0);
	CHECKF(c.status == -ETIMEDOUT, "status %d: %s", c.status, kconn__error(c.k));
	CHECKF(strncmp(kconn__error(c.k), "no complete frame from server for 0.4 s", 39) == 0,
	       "error '%s'", kconn__error(c.k));
	kconn__free(c.k);
	server_stop(&sv);
	CHECK(c.n == 1); /* "hello", and nothing of the trickled frame */
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* the trickling server writes until the client is gone */
	RUN(count_and_close);
	RUN(non_101);
	RUN(idle_ping_then_timeout);
	RUN(trickle_is_idle);
	RUN(text_keepalive);
	return check_exit();
}

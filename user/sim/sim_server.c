/* sim_server — feedsim's TLS WebSocket server (see sim_server.h).
 *
 * A connection goes TLS -> HTTP -> OPEN -> CLOSE_SENT -> TLS_SHUTDOWN ->
 * LINGER -> gone (or HTTP -> HTTP_REPLY -> TLS_SHUTDOWN for a refused
 * upgrade). Output of every kind goes through one per-connection buffer, in
 * order; data messages are generated into it only while less than
 * FLUSH_CHUNK bytes wait, so a slow client holds back generation instead of
 * making anything be dropped or buffered without bound.
 */
#include "sim_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/fx_log.h"
#include "sim_cut.h"
#include "sim_dialect.h"
#include "sim_hostile.h"
#include "sim_http.h"
#include "sim_sbe.h"
#include "sim_h2.h"
#include "sim_limit.h"
#include "sim_market.h"
#include "sim_rest.h"
#include "sim_rpc.h"
#include "sim_tls.h"
#include "sim_ws.h"
#include "core/util.h"

#define FLUSH_CHUNK 16384 /* one TLS record of data per SSL_write */
#define RBUF_SIZE 16384
#define CTRL_ROOM 256     /* ping, pong, close frames */
#define HANDSHAKE_SECS 10.0
#define CLOSE_WAIT_SECS 5.0 /* for the client's close frame */
#define LINGER_SECS 2.0     /* for the client's EOF after close_notify */
#define SHUTDOWN_SECS 5.0   /* whole-server grace period */
#define HOSTILE_SECS 60.0   /* an attack ends after this at the latest */
#define KEEPALIVE_SECS 30.0 /* an idle REST connection (HTTP/1.1 or h2) */

enum conn_state {
	CS_TLS,          /* TLS handshake */
	CS_HTTP,         /* reading the upgrade request */
	CS_HTTP_REPLY,   /* sending an error response, then close */
	CS_REST_HOLD,    /* --snapshot-delay-ms: a REST answer waits in the output */
	CS_H2,           /* HTTP/2 (ALPN h2): REST requests only (sim_h2.h) */
	CS_OPEN,         /* WebSocket session */
	CS_HOSTILE,      /* --hostile: writing the attack, then waiting */
	CS_STALL,        /* --cut-with stall: silent, reading until the client leaves */
	CS_CLOSE_SENT,   /* our close frame is queued; waiting for the client's */
	CS_TLS_SHUTDOWN, /* sending close_notify */
	CS_LINGER,       /* close_notify sent, write side shut: wait for EOF */
	CS_DEAD,
};

struct conn {
	struct sim_server *srv;
	struct conn *prev, *next;
	unsigned id;
	int fd;
	SSL *ssl;
	enum conn_state state;
	char peer[64];
	ev_io io;
	ev_timer gen_timer, ping_timer, pong_timer, deadline;
	ev_timer hostile_timer; /* --hostile slowloris: the next byte */
	struct sim_hostile hostile;
	bool hostile_done;      /* the attack is written */
	bool hostile_raw;       /* bytes went around TLS: never SSL_write again */
	ev_timer age_timer;     /* --max-age: the notice, then the close */
	ev_timer cut_timer;     /* --cut-every/--cut-random */
	bool notice_due;        /* the serverShutdown notice waits to be written */
	bool age_closing;       /* the notice is out: age_timer closes next */
	bool held;              /* --delay-ms: no data before the schedule starts */
	enum sim_cut_how cut;   /* a cut is due once the output is written */
	struct sim_cut_plan plan;
	unsigned retry_after;   /* --conn-limit refused this one: answer 429 */
	int tls_want;           /* EV_READ/EV_WRITE the handshake waits for */
	bool read_wants_write;  /* SSL_read returned WANT_WRITE */
	bool write_wants_read;  /* SSL_write returned WANT_READ */
	bool in_paused;         /* no room for replies: input held back */
	bool eof;
	bool peer_closed;       /* the client's close frame arrived */
	bool ping_outstanding;
	bool tls13;
	bool combined;
	bool time_us; /* the client asked for timeUnit=MICROSECOND */
	uint16_t close_code;
	/* input */
	uint8_t rbuf[RBUF_SIZE];
	size_t rpos, rlen;
	struct sim_http_req http;
	struct sim_ws_rx rx;
	/* output: bytes [out_off, out_len) wait for SSL_write */
	uint8_t *out;
	size_t out_cap, out_off, out_len;
	/* generation */
	struct feedgen *gen;
	struct sim_sbe *sbe; /* --venue binance-sbe: feedgen's JSON into SBE */
	struct sim_dconn *dconn; /* --venue okx|bybit: the dialect's state */
	uint64_t sent;        /* data messages generated */
	uint64_t owed;        /* paced messages due but not yet generated */
	uint64_t bursts_done;
	double t0;
	uint64_t ku_next;     /* message count of the next KeyUpdate */
	uint64_t key_updates;
	uint64_t key_updates_rx; /* KeyUpdates received from the client */
	uint64_t bytes_out;
	/* --market */
	struct sim_market_view view;
	bool viewing;
	/* REST (market mode) */
	ev_timer rest_timer;    /* --snapshot-delay-ms */
	bool rest_keep;         /* after the held answer: keep-alive */
	struct sim_h2 *h2;
	struct sockaddr_storage addr;
	double delay;           /* --delay-ms, or its listener's --listen-delay-ms */
};

struct listener {
	struct sim_server *srv;
	int fd;
	ev_io io;
	char text[64];
};

struct sim_server {
	struct ev_loop *loop;
	struct sim_server_config cfg;
	SSL_CTX *ctx;
	FILE *log;
	struct listener listeners[SIM_SERVER_MAX_LISTEN];
	unsigned nlisteners;
	struct conn *conns;
	unsigned nconns, next_id;
	bool shutting_down;
	bool freeing;           /* in sim_server__free: no shutdown logic */
	uint16_t shutdown_code;
	ev_timer shutdown_timer;
	size_t msg_max;   /* largest data message */
	size_t out_cap;   /* per-connection output buffer */
	size_t reply_room;
	char *scratch;    /* one message being generated */
	char *dscratch;   /* ... in a dialect's shape (--venue) */
	char *reply;      /* one JSON reply */
	uint8_t *sbe_out; /* --venue binance-sbe: the SBE form of scratch */
	struct sim_http_target target;
	struct sim_limit *limit; /* --conn-limit */
	struct sim_market *market;
	struct sim_rest *rest;
};

static void conn_run(struct conn *c, int revents);
static void conn_close(struct conn *c, uint16_t code, const char *why);

/* ---- small helpers ---- */

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One line per client event, for a verbose run (FX_LOG_INFO); the
 * arguments are not even computed otherwise. */
#define vlog(s, ...)                                           \
	do {                                                   \
		(void)(s);                                     \
		if (fx_log_enabled(FX_LOG_INFO))               \
			fx_log(FX_LOG_INFO, __VA_ARGS__);      \
	} while (0)

static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "connection closed";
}

static size_t out_pending(const struct conn *c)
{
	return c->out_len - c->out_off;
}

static size_t out_free(const struct conn *c)
{
	return c->out_cap - out_pending(c);
}

/* Room for n more bytes at the end of the output, or NULL. Compacting is
 * safe mid-write: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER is set. */
static uint8_t *out_reserve(struct conn *c, size_t n)
{
	if (c->out_cap - c->out_len < n && c->out_off) {
		memmove(c->out, c->out + c->out_off, out_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	return c->out_cap - c->out_len >= n ? c->out + c->out_len : NULL;
}

static bool out_frame(struct conn *c, unsigned op, const void *p, size_t n)
{
	uint8_t *dst = out_reserve(c, sim_ws_framed_len(n, 0));

	if (!dst)
		return false;
	c->out_len += sim_ws_frame_msg(dst, op, p, n, 0);
	return true;
}

/* ---- connection lifetime ---- */

/* Why a market view ends, for the truth log. */
static enum sim_market_end conn_market_end(const struct conn *c)
{
	if (c->srv->freeing)
		return SIM_MARKET_END_EXIT;
	switch (c->cut) {
	case SIM_CUT_FIN:
	case SIM_CUT_NONE:
		break;
	case SIM_CUT_RST:
		return SIM_MARKET_END_RST;
	case SIM_CUT_STALL:
		return SIM_MARKET_END_STALL;
	default:
		break;
	}
	if (c->cut)
		return SIM_MARKET_END_FIN;
	return c->close_code ? SIM_MARKET_END_CLOSE : SIM_MARKET_END_GONE;
}

/* Nothing more is generated for this connection: its view leaves the
 * market now (a stalled or closing client must not pace a flat-out one). */
static void conn_view_end(struct conn *c)
{
	if (!c->viewing)
		return;
	sim_market_view__fini(&c->view, conn_market_end(c));
	c->viewing = false;
}

static void conn_free(struct conn *c)
{
	struct sim_server *s = c->srv;

	vlog(s, "client %u %s gone: %llu messages, %llu bytes, %llu key updates, %llu from the client",
	     c->id, c->peer, (unsigned long long)c->sent, (unsigned long long)c->bytes_out,
	     (unsigned long long)c->key_updates, (unsigned long long)c->key_updates_rx);
	if (c->dconn)
		s->cfg.dialect->conn_free(c->dconn);
	ev_io_stop(s->loop, &c->io);
	ev_timer_stop(s->loop, &c->gen_timer);
	ev_timer_stop(s->loop, &c->ping_timer);
	ev_timer_stop(s->loop, &c->pong_timer);
	ev_timer_stop(s->loop, &c->deadline);
	ev_timer_stop(s->loop, &c->hostile_timer);
	ev_timer_stop(s->loop, &c->age_timer);
	ev_timer_stop(s->loop, &c->cut_timer);
	ev_timer_stop(s->loop, &c->rest_timer);
	conn_view_end(c);
	sim_h2__free(c->h2);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	SSL_free(c->ssl);
	close(c->fd);
	feedgen__free(c->gen);
	sim_sbe__free(c->sbe);
	sim_ws_rx__fini(&c->rx);
	free(c->out);
	free(c);
	if (s->log)
		fflush(s->log);
	if (s->freeing)
		return;
	if (s->cfg.once && !s->shutting_down)
		sim_server__shutdown(s, WS_CLOSE_GOING_AWAY);
	if (s->shutting_down && !s->nconns) {
		ev_timer_stop(s->loop, &s->shutdown_timer);
		ev_break(s->loop, EVBREAK_ALL);
	}
}

static void deadline_set(struct conn *c, double secs)
{
	ev_timer_stop(c->srv->loop, &c->deadline);
	ev_timer_set(&c->deadline, secs, 0);
	ev_timer_start(c->srv->loop, &c->deadline);
}

static void conn_stop_session_timers(struct conn *c)
{
	ev_timer_stop(c->srv->loop, &c->gen_timer);
	ev_timer_stop(c->srv->loop, &c->ping_timer);
	ev_timer_stop(c->srv->loop, &c->pong_timer);
}

/* Send close_notify, shut our write side, then wait for the client's EOF
 * so that closing the socket never resets data still in flight. */
static void conn_tls_shutdown(struct conn *c)
{
	int r;

	if (c->state != CS_TLS_SHUTDOWN) {
		c->state = CS_TLS_SHUTDOWN;
		deadline_set(c, LINGER_SECS);
	}
	ERR_clear_error();
	r = SSL_shutdown(c->ssl);
	if (r < 0) {
		int e = SSL_get_error(c->ssl, r);

		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			return;
		c->state = CS_DEAD;
		return;
	}
	shutdown(c->fd, SHUT_WR);
	c->state = r == 1 ? CS_DEAD : CS_LINGER;
}

/* Queue a close frame; data generation stops here. */
static void conn_close(struct conn *c, uint16_t code, const char *why)
{
	uint8_t *dst;

	if (c->state != CS_OPEN) {
		if (c->state < CS_OPEN || c->state == CS_STALL)
			c->state = CS_DEAD; /* a stalled one stays silent to the end */
		return;
	}
	vlog(c->srv, "client %u closing: %u %s", c->id, code, why ? why : "");
	conn_stop_session_timers(c);
	ev_timer_stop(c->srv->loop, &c->age_timer);
	ev_timer_stop(c->srv->loop, &c->cut_timer);
	c->close_code = code;
	conn_view_end(c);
	c->state = CS_CLOSE_SENT;
	deadline_set(c, CLOSE_WAIT_SECS);
	dst = out_reserve(c, SIM_WS_HDR_MAX + SIM_WS_CTL_MAX);
	if (!dst) { /* CTRL_ROOM is always kept free; fail safe anyway */
		c->state = CS_DEAD;
		return;
	}
	c->out_len += code == WS_CLOSE_NO_STATUS
			      ? sim_ws_hdr_write(dst, WS_OP_CLOSE, true, 0)
			      : sim_ws_close_write(dst, code, why);
}

/* ---- cuts and --max-age ---- */

/* A cut is due: nothing more is generated or pinged; conn_write cuts once
 * what was generated (and logged) is written out. */
static void conn_cut_due(struct conn *c, enum sim_cut_how how)
{
	if (c->state != CS_OPEN || c->cut)
		return;
	c->cut = how;
	conn_view_end(c);
	conn_stop_session_timers(c);
	ev_timer_stop(c->srv->loop, &c->age_timer);
	ev_timer_stop(c->srv->loop, &c->cut_timer);
	c->notice_due = false;
}

/* The exchange's connection ends mid-stream: its process died (fin), a
 * middlebox reset it (rst), or it hangs with the socket open (stall). */
static void conn_cut(struct conn *c)
{
	static const struct linger rst = { .l_onoff = 1, .l_linger = 0 };

	vlog(c->srv, "client %u: cut %s after %llu messages", c->id, sim_cut_how_name(c->cut),
	     (unsigned long long)c->sent);
	switch (c->cut) {
	case SIM_CUT_RST:
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
		c->state = CS_DEAD; /* the close sends the RST */
		break;
	case SIM_CUT_STALL:
		c->state = CS_STALL;
		ev_timer_stop(c->srv->loop, &c->deadline);
		break;
	default:
		/* FIN, then read until the client's EOF: closing with its
		 * unread bytes would turn the FIN into an RST */
		shutdown(c->fd, SHUT_WR);
		c->state = CS_LINGER;
		deadline_set(c, LINGER_SECS);
		break;
	}
}

/* Write the serverShutdown notice between data messages, as data is
 * written: framed (--fragment) and logged, but not counted. */
static void conn_notice(struct conn *c)
{
	const struct sim_server_config *cfg = &c->srv->cfg;
	char text[SIM_CUT_NOTICE_MAX];
	int64_t e = cfg->epoch ? feedgen_index_ms(cfg->epoch_ms, cfg->rate, c->sent)
			       : clock_ns(CLOCK_REALTIME) / 1000000;
	size_t n = sim_cut_notice(text, sizeof(text), c->combined, e);
	uint8_t *dst = n ? out_reserve(c, sim_ws_framed_len(n, cfg->fragment)) : NULL;

	c->notice_due = false;
	if (!dst) { /* cannot happen: called with the output written out */
		c->state = CS_DEAD;
		return;
	}
	c->out_len += sim_ws_frame_msg(dst, WS_OP_TEXT, text, n, cfg->fragment);
	if (c->srv->log) {
		fwrite(text, 1, n, c->srv->log);
		putc('\n', c->srv->log);
	}
	vlog(c->srv, "client %u: serverShutdown notice after %llu messages, closing in %g s", c->id,
	     (unsigned long long)c->sent, cfg->shutdown_notice < cfg->max_age ? cfg->shutdown_notice
									  : cfg->max_age);
}

/* ---- --hostile ---- */

static void conn_hostile_begin(struct conn *c)
{
	conn_view_end(c);
	conn_stop_session_timers(c);
	c->state = CS_HOSTILE;
	deadline_set(c, HOSTILE_SECS);
	/* a pause lets the client take in the valid messages first (the XDP
	 * fast path keyed and decoding), as when a live feed turns bad */
	if (c->srv->cfg.hostile_delay > 0 && !sim_hostile_in_handshake(c->hostile.kind)) {
		ev_timer_set(&c->hostile_timer, c->srv->cfg.hostile_delay, 0);
		ev_timer_start(c->srv->loop, &c->hostile_timer);
	}
	vlog(c->srv, "client %u: hostile %s after %llu messages", c->id,
	     sim_hostile_kind_name(c->hostile.kind), (unsigned long long)c->sent);
}

/* The client's close frame or EOF ends an attack: no echo, close_notify
 * unless TLS was broken on purpose. */
static void conn_hostile_end(struct conn *c)
{
	c->hostile_done = true;
	ev_timer_stop(c->srv->loop, &c->hostile_timer);
	if (c->hostile_raw) {
		c->state = CS_DEAD;
		return;
	}
	c->out_off = c->out_len = 0; /* the rest of the attack is moot */
	conn_tls_shutdown(c);
}

/* Write the next piece of the attack. True when bytes wait to be flushed. */
static bool conn_hostile_step(struct conn *c)
{
	enum sim_hostile_next next;
	uint8_t *dst;
	size_t n;

	if (c->hostile_done || ev_is_active(&c->hostile_timer) || out_pending(c) >= FLUSH_CHUNK)
		return false;
	dst = out_reserve(c, SIM_HOSTILE_PUMP_MIN);
	if (!dst)
		return false;
	n = sim_hostile__pump(&c->hostile, dst, c->out_cap - c->out_len, &next);
	if (next == SIM_HOSTILE_RAW) {
		/* TLS output is all written (conn_flush returned 1): these bytes
		 * follow its last record on the wire */
		c->hostile_raw = c->hostile_done = true;
		if (send(c->fd, dst, n, MSG_NOSIGNAL) != (ssize_t)n)
			c->state = CS_DEAD;
		return false;
	}
	c->out_len += n;
	if (next == SIM_HOSTILE_DONE) {
		c->hostile_done = true;
	} else if (next == SIM_HOSTILE_WAIT) {
		ev_timer_set(&c->hostile_timer, c->hostile.wait, 0);
		ev_timer_start(c->srv->loop, &c->hostile_timer);
	}
	return n > 0;
}

/* ---- REST (market mode, sim_rest.h) ---- */

/* Answer a REST request on an HTTP/1.1 connection: at once, or held in the
 * output for --snapshot-delay-ms; then keep-alive or close. */
static void conn_rest(struct conn *c)
{
	struct sim_server *s = c->srv;
	struct sim_rest_answer a;
	bool keep = llhttp_should_keep_alive(&c->http.parser);
	uint8_t *dst = out_reserve(c, SIM_REST_REPLY_MAX);

	if (!dst) {
		c->state = CS_DEAD;
		return;
	}
	c->out_len += sim_rest__http1(s->rest, c->http.target, c->http.target_len,
				      llhttp_get_method(&c->http.parser) == HTTP_GET, &c->addr,
				      keep, (char *)dst, SIM_REST_REPLY_MAX, &a);
	vlog(s, "client %u GET %s -> %d (weight %u)%s", c->id, c->http.target, a.status,
	     a.used_weight, a.delay > 0 ? ", held" : "");
	sim_http_req__init(&c->http);
	deadline_set(c, KEEPALIVE_SECS);
	if (a.delay > 0) {
		c->state = CS_REST_HOLD;
		c->rest_keep = keep;
		ev_timer_set(&c->rest_timer, a.delay, 0);
		ev_timer_start(s->loop, &c->rest_timer);
		return;
	}
	c->state = keep ? CS_HTTP : CS_HTTP_REPLY;
}

static void conn_rest_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = container_of(w, struct conn, rest_timer);

	(void)loop;
	(void)revents;
	if (c->state == CS_REST_HOLD)
		c->state = c->rest_keep ? CS_HTTP : CS_HTTP_REPLY;
	conn_run(c, 0);
}

static void conn_h2_kick(void *arg)
{
	conn_run(arg, 0);
}

/* HTTP/2 output: what the session has to send, into the output buffer.
 * True when bytes were added. */
static bool conn_h2_step(struct conn *c)
{
	uint8_t *dst;
	size_t n;

	if (sim_h2__done(c->h2)) {
		conn_tls_shutdown(c);
		return false;
	}
	dst = out_reserve(c, 1);
	if (!dst)
		return false;
	n = sim_h2__send(c->h2, dst, c->out_cap - c->out_len);
	c->out_len += n;
	return n > 0;
}

/* ---- the upgrade ---- */

static void conn_http_done(struct conn *c)
{
	struct sim_server *s = c->srv;
	struct sim_http_target *t = &s->target;
	const char *why = c->http.why;
	int status = c->http.status;
	char resp[512];
	size_t n;
	uint8_t *dst;

	if (s->rest && !c->retry_after && sim_rest_path(c->http.target, c->http.target_len)) {
		conn_rest(c);
		return;
	}
	if (status == 101 && sim_http_target_parse(c->http.target, c->http.target_len, t, &why))
		status = 400; /* checked once already by the request parser */
	if (c->retry_after) {
		/* over --conn-limit: refused whatever was asked */
		status = 429;
		why = "too many connection attempts";
		n = sim_http_too_many(resp, sizeof(resp), c->retry_after);
	} else if (status == 101 && sim_hostile_in_handshake(c->hostile.kind)) {
		n = sim_hostile_answer(&c->hostile, resp, sizeof(resp), c->http.key, c->http.key_len);
	} else {
		n = sim_http_response(resp, sizeof(resp), status, c->http.key, c->http.key_len, why);
	}
	dst = n ? out_reserve(c, n) : NULL;
	if (!dst) {
		c->state = CS_DEAD;
		return;
	}
	memcpy(dst, resp, n);
	c->out_len += n;
	if (c->retry_after)
		vlog(s, "client %u GET %s -> 429: %s, retry after %u s", c->id, c->http.target, why,
		     c->retry_after);
	else
		vlog(s, "client %u GET %s -> %d%s%s", c->id, c->http.target, status,
		     why ? ": " : "", why ? why : "");
	if (status != 101) {
		c->state = CS_HTTP_REPLY;
		return;
	}
	if (sim_hostile_in_handshake(c->hostile.kind)) {
		conn_hostile_begin(c);
		return;
	}
	for (const char *name = t->names; t->nstreams--; name += strlen(name) + 1)
		feedgen__subscribe(c->gen, name, strlen(name));
	if (s->cfg.dialect) {
		const struct sim_dialect_conf dc = {.seed = s->cfg.gen.seed,
						    .drop_diff = s->cfg.drop_diff};

		if (s->cfg.dialect->conn_new(&c->dconn, &dc, c->http.target, c->http.target_len,
					     c->id)) {
			c->state = CS_DEAD;
			return;
		}
	}
	c->combined = t->combined;
	c->time_us = t->time_us || s->cfg.sbe; /* SBE times are us */
	c->state = CS_OPEN;
	ev_timer_stop(s->loop, &c->deadline);
	if (s->market) { /* a view of the market: no schedule of its own */
		sim_market_view__init(&c->view, s->market, c->id, c->delay);
		snprintf(c->view.peer, sizeof(c->view.peer), "%s", c->peer);
		c->viewing = true;
		if (sim_market_view__sync(&c->view, c->gen))
			vlog(s, "client %u: the market cannot take every stream", c->id);
		goto timers;
	}
	/* --delay-ms: the whole schedule later, so this leg lags by as much */
	c->t0 = ev_now(s->loop) + c->delay;
	c->held = c->delay > 0;
	if (s->cfg.rate > 0) {
		double iv = s->cfg.burst / s->cfg.rate;

		/* finer ticks than 50 us only burn CPU; the owed count keeps the rate */
		ev_timer_set(&c->gen_timer, c->delay, iv < 50e-6 ? 50e-6 : iv);
		ev_timer_start(s->loop, &c->gen_timer);
	} else if (c->held) {
		ev_timer_set(&c->gen_timer, c->delay, 0);
		ev_timer_start(s->loop, &c->gen_timer);
	}
timers:
	if (s->cfg.max_age > 0) {
		double notice = s->cfg.shutdown_notice;

		/* the notice first (at once when it is as long as the age) */
		c->age_closing = !(notice > 0);
		ev_timer_set(&c->age_timer,
			     c->age_closing ? s->cfg.max_age
					    : (notice < s->cfg.max_age ? s->cfg.max_age - notice : 0),
			     0);
		ev_timer_start(s->loop, &c->age_timer);
	}
	sim_cut_plan_make(&s->cfg.cut, s->cfg.cut.seed ? s->cfg.cut.seed : s->cfg.gen.seed, c->id,
			  &c->plan);
	if (c->plan.at > 0) {
		ev_timer_set(&c->cut_timer, c->plan.at, 0);
		ev_timer_start(s->loop, &c->cut_timer);
	}
	if (s->cfg.ping_interval > 0) {
		ev_timer_set(&c->ping_timer, s->cfg.ping_interval, s->cfg.ping_interval);
		ev_timer_start(s->loop, &c->ping_timer);
	}
}

/* ---- input ---- */

static void conn_ws_event(struct conn *c, enum sim_ws_ev ev)
{
	struct sim_server *s = c->srv;
	const uint8_t *p;
	size_t n;

	p = sim_ws_rx_payload(&c->rx, ev, &n);
	if (ev == SIM_WS_EV_ERROR) {
		conn_close(c, c->rx.close_code, c->rx.why);
		return;
	}
	if (ev == SIM_WS_EV_CLOSE && c->state == CS_HOSTILE) {
		fprintf(stderr, "feedsim: client %u: close received %u (hostile %s)\n", c->id,
			c->rx.close_code, sim_hostile_kind_name(c->hostile.kind));
		c->peer_closed = true;
		conn_hostile_end(c);
		return;
	}
	if (ev == SIM_WS_EV_CLOSE) {
		c->peer_closed = true;
		if (c->state == CS_OPEN) /* echo the client's code */
			conn_close(c, c->rx.close_code, NULL);
		return;
	}
	if (c->state != CS_OPEN) /* after our close frame nothing else is sent */
		return;
	switch (ev) {
	case SIM_WS_EV_TEXT:
		if (c->dconn) { /* the venue's requests, replies and keepalive */
			size_t lens[SIM_DIALECT_MAX_REPLIES], off = 0;
			unsigned k = s->cfg.dialect->handle(c->dconn, c->gen, (const char *)p, n,
							    s->reply, SIM_RPC_REPLY_MAX, lens);

			for (unsigned i = 0; i < k; off += lens[i++])
				if (lens[i] && !out_frame(c, WS_OP_TEXT, s->reply + off, lens[i]))
					c->state = CS_DEAD;
			if (!feedgen__can_emit(c->gen))
				c->owed = 0;
			break;
		}
		/* replies are not data messages: never logged, never fragmented */
		if (c->sbe) { /* SBE stream names into feedgen's */
			char req[4096];
			size_t m = n < sizeof(req) ? n : 0;

			if (m)
				memcpy(req, p, m);
			m = m ? sim_sbe_map_names(req, m, sizeof(req)) : 0;
			n = sim_rpc_handle(c->gen, &c->combined, m ? req : (const char *)p,
					   m ? m : n, s->reply, SIM_RPC_REPLY_MAX);
			/* and feedgen's names in the reply back to SBE's */
			m = n < SIM_RPC_REPLY_MAX ? sim_sbe_unmap_names(s->reply, n, SIM_RPC_REPLY_MAX) : 0;
			n = m ? m : n;
		} else {
			n = sim_rpc_handle(c->gen, &c->combined, (const char *)p, n, s->reply,
					   SIM_RPC_REPLY_MAX);
		}
		if (!out_frame(c, WS_OP_TEXT, s->reply, n))
			c->state = CS_DEAD;
		if (!feedgen__can_emit(c->gen))
			c->owed = 0;
		if (c->viewing && sim_market_view__sync(&c->view, c->gen))
			vlog(s, "client %u: the market cannot take every stream", c->id);
		break;
	case SIM_WS_EV_BINARY:
		conn_close(c, WS_CLOSE_UNSUPPORTED, "binary messages are not supported");
		break;
	case SIM_WS_EV_PING:
		if (!out_frame(c, WS_OP_PONG, p, n))
			c->state = CS_DEAD;
		break;
	case SIM_WS_EV_PONG:
		c->ping_outstanding = false;
		ev_timer_stop(s->loop, &c->pong_timer);
		break;
	default:
		break;
	}
}

/* Process buffered input; may stop early (in_paused) when there is no room
 * left for the replies it would cause. */
static void conn_consume(struct conn *c)
{
	size_t used;

	if (c->state == CS_H2) {
		if (sim_h2__recv(c->h2, c->rbuf + c->rpos, c->rlen - c->rpos))
			c->state = CS_DEAD;
		c->rpos = c->rlen;
		deadline_set(c, KEEPALIVE_SECS);
		return;
	}
	if (c->state == CS_REST_HOLD) { /* the next request waits for the answer */
		c->in_paused = true;
		return;
	}
	while (c->state == CS_HTTP) {
		if (out_free(c) < c->srv->reply_room) { /* a REST answer still waits */
			c->in_paused = true;
			return;
		}
		while (c->rpos < c->rlen && !c->http.done) {
			used = sim_http_req__feed(&c->http, (const char *)c->rbuf + c->rpos,
						  c->rlen - c->rpos);
			c->rpos += used;
			if (!used && !c->http.done)
				break;
		}
		if (!c->http.done) {
			c->rpos = c->rlen;
			return;
		}
		conn_http_done(c);
		if (c->state != CS_HTTP || c->rpos >= c->rlen)
			break;
	}
	while (c->rpos < c->rlen &&
	       (c->state == CS_OPEN || c->state == CS_CLOSE_SENT || c->state == CS_HOSTILE)) {
		enum sim_ws_ev ev;

		/* an attack sends no replies: the client's close must get through */
		if (out_free(c) < c->srv->reply_room && c->state != CS_HOSTILE) {
			c->in_paused = true;
			return;
		}
		ev = sim_ws_rx__feed(&c->rx, c->rbuf + c->rpos, c->rlen - c->rpos, &used);
		c->rpos += used;
		if (ev != SIM_WS_EV_NONE)
			conn_ws_event(c, ev);
		if (ev == SIM_WS_EV_ERROR)
			break;
	}
	c->in_paused = false;
	c->rpos = c->rlen; /* in any other state input is discarded */
}

static void conn_read(struct conn *c)
{
	for (int i = 0; i < 16 && c->state != CS_DEAD; i++) {
		int n, e;

		if (c->rpos < c->rlen) {
			conn_consume(c);
			if (c->in_paused)
				return;
		}
		if (c->eof || c->state == CS_DEAD || c->state == CS_TLS)
			return;
		c->rpos = c->rlen = 0;
		ERR_clear_error();
		n = SSL_read(c->ssl, c->rbuf, sizeof(c->rbuf));
		if (n > 0) {
			c->rlen = (size_t)n;
			continue;
		}
		e = SSL_get_error(c->ssl, n);
		c->read_wants_write = e == SSL_ERROR_WANT_WRITE;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return;
		/* close_notify, EOF or a TLS error: the client is gone */
		if (c->state == CS_HOSTILE && !c->peer_closed)
			fprintf(stderr, "feedsim: client %u: left without a close frame (hostile %s)\n",
				c->id, sim_hostile_kind_name(c->hostile.kind));
		if (c->state < CS_TLS_SHUTDOWN)
			vlog(c->srv, "client %u: %s", c->id,
			     e == SSL_ERROR_ZERO_RETURN ? "close_notify" : ssl_reason());
		c->eof = true;
		c->state = CS_DEAD;
	}
}

/* ---- output ---- */

/* 1: everything written, 0: blocked, -1: connection broken. */
static int conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		size_t left = out_pending(c);
		int n, e;

		ERR_clear_error();
		n = SSL_write(c->ssl, c->out + c->out_off, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0) {
			c->out_off += (size_t)n;
			c->bytes_out += (uint64_t)n;
			continue;
		}
		e = SSL_get_error(c->ssl, n);
		c->write_wants_read = e == SSL_ERROR_WANT_READ;
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			return 0;
		vlog(c->srv, "client %u: write: %s", c->id, ssl_reason());
		return -1;
	}
	c->out_off = c->out_len = 0;
	c->write_wants_read = false;
	return 1;
}

static bool conn_may_generate(const struct conn *c)
{
	const struct sim_server_config *cfg = &c->srv->cfg;

	if (c->viewing) {
		struct sim_market_msg msg;

		return c->state == CS_OPEN && !c->in_paused && !c->cut &&
		       sim_market_view__peek((struct sim_market_view *)&c->view,
					     ev_now(c->srv->loop), &msg) != 0;
	}
	return c->state == CS_OPEN && !c->in_paused && !c->cut && !c->held &&
	       feedgen__can_emit(c->gen) && (cfg->rate <= 0 || c->owed > 0);
}

/* Generate data messages into the output until FLUSH_CHUNK bytes wait, the
 * paced quota is used, --count is reached, a KeyUpdate is due or (with
 * --record-per-msg) one message waits. */
static size_t conn_generate(struct conn *c)
{
	struct sim_server *s = c->srv;
	const struct sim_server_config *cfg = &s->cfg;
	size_t made = 0;

	while (out_pending(c) < FLUSH_CHUNK && conn_may_generate(c)) {
		struct feedgen_clock clk;
		enum feedgen_kind kind = FEEDGEN_TRADE;
		ssize_t n;
		size_t fl;
		uint8_t *dst;

		if (cfg->cut.after && c->sent >= cfg->cut.after) {
			conn_cut_due(c, c->plan.how);
			break;
		}
		if (cfg->count && c->sent >= cfg->count) {
			if (c->hostile.kind)
				conn_hostile_begin(c);
			else
				conn_close(c, WS_CLOSE_NORMAL, "count reached");
			break;
		}
		if (cfg->key_update && c->tls13 && c->sent >= c->ku_next)
			break; /* flush first: the KeyUpdate goes between messages */
		if (cfg->record_per_msg && out_pending(c))
			break; /* flush first: each message its own SSL_write, own record */
		/* ts_ns: the message reaches SSL_write in this same pass */
		clk.mono_ns = cfg->no_ts ? -1 : clock_ns(CLOCK_MONOTONIC);
		/* "E" and "T" in the unit the client asked for (timeUnit) */
		clk.wall_ms = cfg->epoch ? feedgen_index_ms(cfg->epoch_ms, cfg->rate, c->sent) *
						(c->time_us ? 1000 : 1)
					 : clock_ns(CLOCK_REALTIME) / (c->time_us ? 1000 : 1000000);
		if (c->viewing) {
			struct sim_market_msg msg;

			if (sim_market_view__peek(&c->view, ev_now(s->loop), &msg) < 0) {
				conn_close(c, WS_CLOSE_POLICY, "slow consumer");
				break;
			}
			n = (ssize_t)sim_market_render(&msg, c->combined, clk.mono_ns, s->scratch);
			sim_market_view__take(&c->view, &msg);
			kind = msg.kind;
		} else {
			n = feedgen__next(c->gen, s->scratch, s->msg_max, c->combined, &clk, &kind);
		}
		if (n <= 0)
			break;
		if (c->sbe) { /* the same message in SBE, in a binary frame */
			n = sim_sbe__encode(c->sbe, s->scratch, (size_t)n, kind,
					    (uint64_t)clk.wall_ms, s->sbe_out, s->msg_max);
			if (n < 0) {
				conn_close(c, 1011, "cannot encode SBE");
				break;
			}
			if (n == 0)
				continue; /* a stream SBE does not carry */
			memcpy(s->scratch, s->sbe_out, (size_t)n);
		} else if (c->dconn) { /* in the venue's shape; 0: dropped (--drop-diff) */
			char *t = s->scratch;

			n = s->cfg.dialect->translate(c->dconn, s->scratch, (size_t)n, s->dscratch,
						      s->msg_max, clk.wall_ms);
			if (n < 0)
				break;
			if (n == 0)
				continue;
			s->scratch = s->dscratch; /* swapped back below */
			s->dscratch = t;
		}
		fl = sim_ws_framed_len((size_t)n, cfg->fragment);
		dst = out_reserve(c, fl);
		if (!dst) { /* cannot happen: out_cap leaves room for one message */
			c->state = CS_DEAD;
			break;
		}
		c->out_len += sim_ws_frame_msg(dst, c->sbe ? WS_OP_BINARY : WS_OP_TEXT, s->scratch,
					       (size_t)n, cfg->fragment);
		if (s->log && c->sbe) {
			sim_sbe_log(s->log, (const uint8_t *)s->scratch, (size_t)n);
		} else if (s->log) {
			fwrite(s->scratch, 1, (size_t)n, s->log);
			putc('\n', s->log);
		}
		if (c->dconn) {
			char *t = s->scratch;

			s->scratch = s->dscratch;
			s->dscratch = t;
		}
		c->sent++;
		if (c->owed)
			c->owed--;
		made++;
	}
	return made;
}

/* Counts the client's KeyUpdates: proof that it answered update_requested. */
static void conn_msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
			SSL *ssl, void *arg)
{
	struct conn *c = arg;

	(void)version, (void)ssl;
	if (!write_p && content_type == SSL3_RT_HANDSHAKE && len >= 1 &&
	    *(const uint8_t *)buf == SSL3_MT_KEY_UPDATE)
		c->key_updates_rx++;
}

static void conn_key_update(struct conn *c)
{
	if (!c->srv->cfg.key_update || !c->tls13 || c->sent < c->ku_next)
		return;
	if (SSL_key_update(c->ssl, c->srv->cfg.key_update_request ? SSL_KEY_UPDATE_REQUESTED
								   : SSL_KEY_UPDATE_NOT_REQUESTED) == 1)
		c->key_updates++;
	else
		vlog(c->srv, "client %u: SSL_key_update failed: %s", c->id, ssl_reason());
	c->ku_next += c->srv->cfg.key_update;
}

static void conn_write(struct conn *c)
{
	for (int round = 0; round < 64 && c->state != CS_DEAD; round++) {
		int r;

		if (c->state == CS_TLS_SHUTDOWN) {
			conn_tls_shutdown(c);
			return;
		}
		if (c->state == CS_TLS || c->state == CS_LINGER || c->state == CS_STALL ||
		    c->state == CS_REST_HOLD)
			return;
		r = conn_flush(c);
		if (r < 0 && c->state == CS_HOSTILE && !c->peer_closed) {
			/* a client that failed the connection closes at once, and
			 * its reset can break a write before its close frame was
			 * read: read what arrived, to log the code */
			c->hostile_raw = c->hostile_done = true; /* no more writes */
			c->out_off = c->out_len = 0;
			conn_read(c);
		}
		if (r < 0)
			c->state = CS_DEAD;
		if (r <= 0)
			return;
		if (c->state == CS_OPEN && c->cut) {
			conn_cut(c);
			return;
		}
		if (c->state == CS_H2) {
			if (!conn_h2_step(c))
				return;
			continue;
		}
		if (c->state == CS_HTTP_REPLY || (c->state == CS_CLOSE_SENT && c->peer_closed)) {
			conn_tls_shutdown(c);
			return;
		}
		if (c->state == CS_HOSTILE) {
			if (!conn_hostile_step(c))
				return;
			continue;
		}
		if (c->state != CS_OPEN)
			return;
		if (c->notice_due)
			conn_notice(c);
		conn_key_update(c);
		if (!conn_generate(c) && !out_pending(c) && !c->cut)
			return;
	}
}

/* ---- events ---- */

static void conn_handshake(struct conn *c)
{
	int r, e;

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->state = CS_HTTP;
		c->tls13 = SSL_version(c->ssl) == TLS1_3_VERSION;
		if (c->srv->rest && sim_h2_negotiated(c->ssl)) {
			if (sim_h2__new(&c->h2, c->srv->loop, c->srv->rest, &c->addr, conn_h2_kick, c)) {
				c->state = CS_DEAD;
				return;
			}
			c->state = CS_H2;
			deadline_set(c, KEEPALIVE_SECS);
		}
		vlog(c->srv, "client %u %s: %s %s", c->id, c->peer, SSL_get_version(c->ssl),
		     SSL_get_cipher_name(c->ssl));
		return;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->tls_want = e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE;
		return;
	}
	vlog(c->srv, "client %u %s: TLS handshake failed: %s", c->id, c->peer, ssl_reason());
	c->state = CS_DEAD;
}

static void conn_arm(struct conn *c)
{
	const struct sim_server_config *cfg = &c->srv->cfg;
	int ev = 0;

	if (c->state == CS_TLS) {
		ev = c->tls_want;
	} else {
		if ((!c->in_paused && !c->eof) || c->write_wants_read)
			ev |= EV_READ;
		if (out_pending(c) || c->read_wants_write || c->state == CS_TLS_SHUTDOWN ||
		    (c->state == CS_H2 && sim_h2__want_write(c->h2)) ||
		    (conn_may_generate(c) && (cfg->rate <= 0 || c->owed || c->viewing)) ||
		    (c->state == CS_HOSTILE && !c->hostile_done &&
		     !ev_is_active(&c->hostile_timer)))
			ev |= EV_WRITE;
	}
	if (ev_is_active(&c->io) && ev == (c->io.events & (EV_READ | EV_WRITE)))
		return;
	ev_io_stop(c->srv->loop, &c->io);
	ev_io_set(&c->io, c->fd, ev);
	if (ev)
		ev_io_start(c->srv->loop, &c->io);
}

/* Advance a connection after an event: revents from its io watcher, or 0
 * from a timer (then only buffered input is read: no recv on every tick). */
static void conn_run(struct conn *c, int revents)
{
	bool rd = (revents & EV_READ) || c->rpos < c->rlen ||
		  (c->read_wants_write && (revents & EV_WRITE));

	if (c->state == CS_TLS) {
		conn_handshake(c);
		rd = true;
	}
	if (c->state != CS_TLS && c->state != CS_DEAD) {
		if (rd)
			conn_read(c);
		conn_write(c);
		if (c->in_paused && out_free(c) >= c->srv->reply_room) {
			conn_read(c);
			conn_write(c);
		}
	}
	if (c->state == CS_DEAD)
		conn_free(c);
	else
		conn_arm(c);
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	conn_run(container_of(w, struct conn, io), revents);
}

static void conn_gen_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = container_of(w, struct conn, gen_timer);
	const struct sim_server_config *cfg = &c->srv->cfg;
	uint64_t due, cap;

	(void)revents;
	c->held = false;
	if (cfg->rate <= 0) { /* the --delay-ms start of a flat-out stream */
		conn_run(c, 0);
		return;
	}
	if (ev_now(loop) < c->t0)
		return;
	/* bursts due since the session began, the first one at once */
	due = (uint64_t)((ev_now(loop) - c->t0) * cfg->rate / cfg->burst) + 1;
	if (due > c->bursts_done) {
		c->owed += (due - c->bursts_done) * cfg->burst;
		c->bursts_done = due;
	}
	/* a client that fell behind catches up by at most one second's worth */
	cap = (uint64_t)cfg->rate > cfg->burst ? (uint64_t)cfg->rate : cfg->burst;
	if (c->owed > cap)
		c->owed = cap;
	if (!feedgen__can_emit(c->gen))
		c->owed = 0;
	conn_run(c, 0);
}

static void conn_ping_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = container_of(w, struct conn, ping_timer);
	char payload[24];
	int n;

	(void)revents;
	if (c->state != CS_OPEN || out_free(c) < CTRL_ROOM + c->srv->reply_room)
		return; /* the client is not reading anyway: skip this ping */
	n = snprintf(payload, sizeof(payload), "%lld", (long long)(clock_ns(CLOCK_REALTIME) / 1000000));
	out_frame(c, WS_OP_PING, payload, (size_t)n);
	if (!c->ping_outstanding) {
		c->ping_outstanding = true;
		ev_timer_set(&c->pong_timer, c->srv->cfg.pong_timeout, 0);
		ev_timer_start(loop, &c->pong_timer);
	}
	conn_run(c, 0);
}

static void conn_pong_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = container_of(w, struct conn, pong_timer);

	(void)loop;
	(void)revents;
	conn_close(c, WS_CLOSE_POLICY, "pong timeout");
	conn_run(c, 0);
}

/* --max-age: first the notice, then the close. */
static void conn_age_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = container_of(w, struct conn, age_timer);
	const struct sim_server_config *cfg = &c->srv->cfg;

	(void)revents;
	if (!c->age_closing) {
		c->age_closing = true;
		c->notice_due = c->state == CS_OPEN;
		ev_timer_set(w, cfg->shutdown_notice < cfg->max_age ? cfg->shutdown_notice
								     : cfg->max_age, 0);
		ev_timer_start(loop, w);
	} else {
		conn_close(c, WS_CLOSE_GOING_AWAY, "max age");
	}
	conn_run(c, 0);
}

static void conn_cut_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = container_of(w, struct conn, cut_timer);

	(void)loop;
	(void)revents;
	conn_cut_due(c, c->plan.how);
	conn_run(c, 0);
}

static void conn_hostile_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	conn_run(container_of(w, struct conn, hostile_timer), 0);
}

static void conn_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = container_of(w, struct conn, deadline);

	(void)loop;
	(void)revents;
	switch (c->state) {
	case CS_CLOSE_SENT: /* no close frame came back: end the TLS session */
		c->peer_closed = true;
		c->out_off = c->out_len = 0; /* the client is not reading */
		conn_tls_shutdown(c);
		break;
	default:
		vlog(c->srv, "client %u: timed out", c->id);
		c->state = CS_DEAD;
		break;
	}
	conn_run(c, 0);
}

/* --conn-limit: admit this attempt from its address, or how many seconds
 * until it may try again (the upgrade is then answered 429). */
static unsigned conn_admit(struct sim_server *s, const struct sockaddr_storage *ss)
{
	const void *key = &((const struct sockaddr_in *)ss)->sin_addr;
	size_t len = 4;
	int r;

	if (!s->limit)
		return 0;
	if (ss->ss_family == AF_INET6) {
		key = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		len = 16;
	}
	r = sim_limit__admit(s->limit, key, len, ev_now(s->loop));
	return r > 0 ? (unsigned)r : 0;
}

/* --listen-delay-ms PORT=D: this connection's lag, by the port it came in on. */
static double conn_delay(const struct sim_server *s, int fd)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	unsigned port;

	if (!s->cfg.nleg_delay || getsockname(fd, (struct sockaddr *)&local, &len))
		return s->cfg.delay;
	port = ntohs(local.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&local)->sin6_port
						  : ((struct sockaddr_in *)&local)->sin_port);
	for (unsigned i = 0; i < s->cfg.nleg_delay; i++)
		if (s->cfg.leg_delay[i].port == port)
			return s->cfg.leg_delay[i].delay;
	return s->cfg.delay;
}

static int conn_new(struct sim_server *s, int fd, const struct sockaddr_storage *ss)
{
	struct conn *c = calloc(1, sizeof(*c));
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0, rc = -ENOMEM;

	if (!c)
		goto err_close;
	c->srv = s;
	c->fd = fd;
	c->id = ++s->next_id;
	c->state = CS_TLS;
	c->tls_want = EV_READ;
	c->out_cap = s->out_cap;
	c->ku_next = s->cfg.key_update;
	c->retry_after = conn_admit(s, ss);
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		snprintf(c->peer, sizeof(c->peer), "[%s]:%d", host, port);
	} else {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
	}
	c->out = malloc(c->out_cap);
	if (!c->out)
		goto err_conn;
	if ((rc = sim_ws_rx__init(&c->rx, s->cfg.max_msg)))
		goto err_out;
	if ((rc = feedgen__new(&c->gen, &s->cfg.gen)))
		goto err_rx;
	rc = -ENOMEM;
	c->ssl = SSL_new(s->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, fd))
		goto err_ssl;
	SSL_set_accept_state(c->ssl);
	if (s->cfg.key_update) {
		SSL_set_msg_callback(c->ssl, conn_msg_cb);
		SSL_set_msg_callback_arg(c->ssl, c);
	}
	sim_http_req__init(&c->http);
	if (s->cfg.sbe) {
		if ((rc = sim_sbe__new(&c->sbe)))
			goto err_ssl;
		c->http.need_header = SIM_SBE_HEADER;
		c->http.map_target = sim_sbe_map_names;
	}
	ev_io_init(&c->io, conn_io_cb, fd, EV_READ);
	ev_timer_init(&c->gen_timer, conn_gen_cb, 0, 0);
	ev_timer_init(&c->ping_timer, conn_ping_cb, 0, 0);
	ev_timer_init(&c->pong_timer, conn_pong_cb, 0, 0);
	ev_timer_init(&c->deadline, conn_deadline_cb, HANDSHAKE_SECS, 0);
	ev_timer_init(&c->hostile_timer, conn_hostile_cb, 0, 0);
	ev_timer_init(&c->age_timer, conn_age_cb, 0, 0);
	ev_timer_init(&c->cut_timer, conn_cut_cb, 0, 0);
	ev_timer_init(&c->rest_timer, conn_rest_cb, 0, 0);
	c->addr = *ss;
	c->delay = conn_delay(s, fd);
	sim_hostile__init(&c->hostile, s->cfg.hostile, s->cfg.hostile_size);
	ev_timer_start(s->loop, &c->deadline);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	vlog(s, "client %u %s connected", c->id, c->peer);
	conn_run(c, 0);
	return 0;

err_ssl:
	SSL_free(c->ssl);
	feedgen__free(c->gen);
err_rx:
	sim_ws_rx__fini(&c->rx);
err_out:
	free(c->out);
err_conn:
	free(c);
err_close:
	close(fd);
	return rc;
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = container_of(w, struct listener, io);
	struct sim_server *s = l->srv;

	(void)loop;
	(void)revents;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int one = 1, fd;

		fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				fx_log(FX_LOG_ERROR, "accept on %s: %s", l->text, strerror(errno));
			return;
		}
		if (s->shutting_down || s->nconns >= s->cfg.max_clients) {
			vlog(s, "refusing a client: %s", s->shutting_down ? "shutting down" : "too many clients");
			close(fd);
			continue;
		}
		/* exchanges disable Nagle (docs/ARCHITECTURE.md §5): no delayed small messages */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (conn_new(s, fd, &ss))
			fx_log(FX_LOG_ERROR, "out of memory for a new client");
	}
}

/* ---- the server ---- */

/* The market published: every view with something due writes it. */
static void market_publish_cb(void *arg)
{
	struct sim_server *s = arg;
	struct conn *c, *next;

	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->viewing && c->state == CS_OPEN)
			conn_run(c, 0);
	}
}

struct sim_market *sim_server_market(struct sim_server *s)
{
	return s->market;
}

#define FAIL(code, ...) return fx_error_set(err, code, __VA_ARGS__)

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(out, n, "[%s]:%d", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(out, n, "%s:%d", host, ntohs(a->sin_port));
	}
}

static int listen_one(struct sim_server *s, const struct sim_listen *la, struct fx_error *err)
{
	struct listener *l = &s->listeners[s->nlisteners];
	struct sockaddr_storage got;
	socklen_t glen = sizeof(got);
	int one = 1, fd, e;

	fd = socket(la->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		FAIL(-errno, "--listen %s: socket: %s", la->text, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* an IPv6 listener must not also claim the IPv4 port */
	if (la->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&la->addr, la->len) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&got, &glen)) {
		e = errno;
		close(fd);
		FAIL(-e, "--listen %s: %s", la->text, strerror(e));
	}
	l->srv = s;
	l->fd = fd;
	addr_text(&got, l->text, sizeof(l->text));
	ev_io_init(&l->io, accept_cb, fd, EV_READ);
	ev_io_start(s->loop, &l->io);
	s->nlisteners++;
	return 0;
}

static void shutdown_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sim_server *s = container_of(w, struct sim_server, shutdown_timer);

	(void)loop;
	(void)revents;
	vlog(s, "grace period over: dropping %u clients", s->nconns);
	while (s->conns)
		conn_free(s->conns); /* the last one breaks the loop */
}

int sim_server__new(struct sim_server **out, struct ev_loop *loop,
		    const struct sim_server_config *cfg, struct fx_error *err)
{
	struct sim_server *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		FAIL(-ENOMEM, "out of memory");
	s->loop = loop;
	s->cfg = *cfg;
	if (!s->cfg.burst)
		s->cfg.burst = 1;
	sim_http_set_paths(s->cfg.dialect ? s->cfg.dialect->paths : NULL);
	if (!s->cfg.max_clients)
		s->cfg.max_clients = 1;
	if (!s->cfg.max_msg)
		s->cfg.max_msg = 65536;
	ev_timer_init(&s->shutdown_timer, shutdown_timer_cb, SHUTDOWN_SECS, 0);
	s->msg_max = feedgen_msg_max(&s->cfg.gen);
	s->reply_room = sim_ws_framed_len(SIM_RPC_REPLY_MAX, 0) + CTRL_ROOM;
	s->out_cap = FLUSH_CHUNK + sim_ws_framed_len(s->msg_max, s->cfg.fragment) + s->reply_room;
	s->scratch = malloc(s->msg_max + 256); /* + a market message's envelope */
	s->dscratch = malloc(s->msg_max + 256);
	if (!s->dscratch)
		s->scratch = (free(s->scratch), NULL);
	s->reply = malloc(SIM_RPC_REPLY_MAX);
	s->sbe_out = s->cfg.sbe ? malloc(s->msg_max) : NULL;
	if (!s->scratch || !s->reply || (s->cfg.sbe && !s->sbe_out)) {
		rc = fx_error_set(err, -ENOMEM, "out of memory");
		goto err_free;
	}
	if ((rc = sim_tls_ctx__new(&s->ctx, &cfg->tls, err)))
		goto err_free;
	if (cfg->market.on) {
		struct sim_market_config mc = cfg->market;

		mc.rate = cfg->rate;
		mc.burst = s->cfg.burst;
		mc.gen = cfg->gen;
		mc.epoch = cfg->epoch;
		mc.epoch_ms = cfg->epoch_ms;
		if ((rc = sim_market__new(&s->market, loop, &mc, err)))
			goto err_free;
		sim_market__on_publish(s->market, market_publish_cb, s);
		if ((rc = sim_rest__new(&s->rest, &cfg->rest, s->market, cfg->gen.seed))) {
			fx_error_set(err, rc, "REST endpoints: out of memory");
			goto err_free;
		}
		sim_h2_alpn(s->ctx);
	}
	if (cfg->conn_limit && (rc = sim_limit__new(&s->limit, cfg->conn_limit, cfg->conn_window))) {
		fx_error_set(err, rc, "--conn-limit %u/%g: %s", cfg->conn_limit, cfg->conn_window,
			     rc == -EINVAL ? "out of range" : "out of memory");
		goto err_free;
	}
	if (cfg->log_path) {
		s->log = fopen(cfg->log_path, "w");
		if (!s->log) {
			rc = fx_error_set(err, -errno, "--log %s: %s", cfg->log_path, strerror(errno));
			goto err_free;
		}
		/* one write per 4 MiB, not per message */
		setvbuf(s->log, NULL, _IOFBF, 4 << 20);
	}
	for (unsigned i = 0; i < cfg->nlisten; i++)
		if ((rc = listen_one(s, &cfg->listen[i], err)))
			goto err_free;
	*out = s;
	return 0;

err_free:
	/* sim_server__free undoes whatever part was set up */
	sim_server__free(s);
	return rc;
}

const char *sim_server_listen_text(const struct sim_server *s, unsigned i)
{
	return i < s->nlisteners ? s->listeners[i].text : NULL;
}

void sim_server__shutdown(struct sim_server *s, uint16_t code)
{
	struct conn *c, *next;

	if (s->shutting_down)
		return;
	s->shutting_down = true;
	s->shutdown_code = code;
	for (unsigned i = 0; i < s->nlisteners; i++) {
		ev_io_stop(s->loop, &s->listeners[i].io);
		close(s->listeners[i].fd);
	}
	s->nlisteners = 0;
	if (!s->nconns) {
		ev_break(s->loop, EVBREAK_ALL);
		return;
	}
	ev_timer_start(s->loop, &s->shutdown_timer);
	for (c = s->conns; c; c = next) {
		next = c->next;
		conn_close(c, code, "server shutting down");
		conn_run(c, 0);
	}
}

void sim_server__free(struct sim_server *s)
{
	if (!s)
		return;
	s->freeing = true;
	ev_timer_stop(s->loop, &s->shutdown_timer);
	while (s->conns)
		conn_free(s->conns);
	for (unsigned i = 0; i < s->nlisteners; i++) {
		ev_io_stop(s->loop, &s->listeners[i].io);
		close(s->listeners[i].fd);
	}
	if (s->log)
		fclose(s->log);
	sim_tls_ctx__free(s->ctx);
	sim_limit__free(s->limit);
	sim_rest__free(s->rest);
	sim_market__free(s->market);
	free(s->scratch);
	free(s->dscratch);
	free(s->reply);
	free(s->sbe_out);
	free(s);
}

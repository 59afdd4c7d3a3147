/* Tests for feed_link's policy over a fake transport (no root, no network):
 * kernel-mode delivery, the subscription request and its reply filtered on
 * both paths, fast-path delivery with the shadow compared and never
 * repeated, failover from the first message the fast path did not deliver,
 * the shadow overtaking the fast path, --count, discard-mode reconnects and
 * their limit, the end of a connection, and the latency stamps. */
#include <errno.h>

#include "check.h"
#include "core/fx_log.h"
#include "fake_transport.h"
#include "proto/ws_proto.h"
#include "venue/venue.h"

#define MAX_GOT 64

struct rec {
	int n;
	enum feed_path path[MAX_GOT];
	uint64_t index[MAX_GOT];
	char msg[MAX_GOT][64];
	uint64_t handler_ns[MAX_GOT], send_ns[MAX_GOT], event_ms[MAX_GOT];
	char stream[MAX_GOT][32];
	int opens, dones, done_status;
	char done_why[256];
	struct feed_link *l;
	int close_after; /* the consumer closes after this many (0: never) */
};

static char logbuf[4096];
static int warnings;

static void log_capture(void *user, enum fx_log_level level, const char *msg)
{
	(void)user;
	if (level <= FX_LOG_WARN)
		warnings++;
	snprintf(logbuf + strlen(logbuf), sizeof(logbuf) - strlen(logbuf), "%s\n", msg);
}

static void on_message(void *user, const struct feed_link_msg *m)
{
	struct rec *r = user;

	if (r->n < MAX_GOT) {
		r->path[r->n] = m->path;
		r->index[r->n] = m->index;
		snprintf(r->msg[r->n], sizeof(r->msg[0]), "%.*s", (int)m->n, (const char *)m->p);
		r->handler_ns[r->n] = m->st->at[LAT_PT_HANDLER];
		r->send_ns[r->n] = m->st->send_ns;
		r->event_ms[r->n] = m->st->event_ms;
		if (m->stream)
			snprintf(r->stream[r->n], sizeof(r->stream[0]), "%.*s", (int)m->stream_len,
				 m->stream);
	}
	r->n++;
	if (r->close_after && r->n == r->close_after)
		feed_link__close(r->l, 1000);
}

static void on_open(void *user, const char *describe)
{
	struct rec *r = user;

	(void)describe;
	r->opens++;
}

static void on_done(void *user, int status, const char *why)
{
	struct rec *r = user;

	r->dones++;
	r->done_status = status;
	snprintf(r->done_why, sizeof(r->done_why), "%s", why ? why : "");
}

static struct ev_loop *loop;

static struct feed_link *mk(struct rec *r, struct fake_transport *t, bool fast,
			    struct feed_link_opts o)
{
	const struct feed_link_hooks h = {
	    .user = r, .on_message = on_message, .on_open = on_open, .on_done = on_done};
	struct feed_link *l = NULL;

	memset(r, 0, sizeof(*r));
	fake_transport_init(t, fast);
	if (!o.venue)
		o.venue = &venue_binance;
	if (!o.max_gaps)
		o.max_gaps = 3;
	if (feed_link__new(&l, loop, &o, &h, &t->t))
		return NULL;
	r->l = l;
	logbuf[0] = 0;
	warnings = 0;
	return l;
}

static void kmsg(struct feed_link *l, const char *s)
{
	const struct lat_stamps st = {0};

	feed_link__on_kernel_msg(l, WS_OP_TEXT, (const uint8_t *)s, strlen(s), &st);
}

static void fmsg(struct feed_link *l, const char *s)
{
	const struct lat_stamps st = {0};

	feed_link__on_fast_msg(l, WS_OP_TEXT, (const uint8_t *)s, strlen(s), &st);
}

static const char *const data[] = {"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"};

/* --mode kernel: every message from the socket, numbered, path "kernel". */
static void kernel_delivers_in_order(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, false, (struct feed_link_opts){0});
	struct feed_link_stats st;

	REQUIRE(l);
	feed_link__start(l);
	CHECK(t.starts == 1);
	feed_link__on_open(l, false, false);
	CHECK(r.opens == 1 && t.sends == 0); /* nothing to subscribe */
	for (int i = 0; i < 5; i++)
		kmsg(l, data[i]);
	CHECK(r.n == 5);
	for (int i = 0; i < 5; i++)
		CHECK(r.path[i] == FEED_PATH_KERNEL && r.index[i] == (uint64_t)i &&
		      strcmp(r.msg[i], data[i]) == 0);
	feed_link__stats(l, &st);
	CHECK(st.delivered == 5 && !st.has_fast);
	feed_link__free(l);
	CHECK(t.frees == 1);
}

/* The venue's request goes out at open; its reply is not a message. */
static void subscription_reply_filtered(void)
{
	struct rec r;
	struct fake_transport t;
	const char *streams[] = {"btcusdt@trade", "ethusdt@bookTicker"};
	struct feed_link *l = mk(&r, &t, false,
				 (struct feed_link_opts){.streams = streams, .n_streams = 2});
	struct feed_link_stats st;

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, false, false);
	CHECK(t.sends == 1);
	CHECKF(t.sent_len > 0 && strstr(t.sent, "\"SUBSCRIBE\"") &&
		       strstr(t.sent, "\"btcusdt@trade\",\"ethusdt@bookTicker\""),
	       "sent %.*s", (int)t.sent_len, t.sent);
	kmsg(l, "m0"); /* data may come before the reply */
	kmsg(l, "{\"result\":null,\"id\":1}");
	kmsg(l, "m1");
	kmsg(l, "{\"result\":null,\"id\":1}"); /* a second one is data: only one was asked */
	CHECK(r.n == 3 && strcmp(r.msg[0], "m0") == 0 && strcmp(r.msg[1], "m1") == 0);
	CHECK(r.index[1] == 1 && r.index[2] == 2);
	feed_link__stats(l, &st);
	CHECK(st.replies == 1 && st.refused == 0 && st.kernel_replies == 1);
	CHECK(warnings == 0);
	feed_link__free(l);
}

/* The URL names streams of its own: a refused subscription leaves them live. */
static void subscription_refused_warns(void)
{
	struct rec r;
	struct fake_transport t;
	const char *streams[] = {"nosuch"};
	struct feed_link *l = mk(&r, &t, true,
				 (struct feed_link_opts){.streams = streams, .n_streams = 1,
							 .url_streams = true});
	struct feed_link_stats st;
	const char *refusal = "{\"error\":{\"code\":2,\"msg\":\"Invalid request\"},\"id\":1}";

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, false);
	/* both paths see the refusal: one warning, no message on either */
	fmsg(l, refusal);
	kmsg(l, refusal);
	fmsg(l, "m0");
	kmsg(l, "m0");
	CHECK(r.n == 1 && r.path[0] == FEED_PATH_FAST);
	CHECK(warnings == 1 && strstr(logbuf, "subscription refused: {\"error\""));
	feed_link__stats(l, &st);
	CHECK(st.replies == 1 && st.refused == 1 && st.compared == 1 && st.mismatched == 0);
	feed_link__free(l);
}

/* No stream but the subscribed ones: a refusal ends the link with an error
 * and the exchange's words, once, whichever path saw it first. */
static void subscription_refused_ends_link(void)
{
	struct rec r;
	struct fake_transport t;
	const char *streams[] = {"nosuch"};
	struct feed_link *l = mk(&r, &t, true,
				 (struct feed_link_opts){.streams = streams, .n_streams = 1});
	const char *refusal = "{\"error\":{\"code\":2,\"msg\":\"Invalid request\"},\"id\":1}";

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, false);
	fmsg(l, refusal);
	kmsg(l, refusal);
	CHECK(r.n == 0);
	CHECK(t.aborts == 1 && t.abort_status == -EPROTO);
	CHECKF(r.dones == 1 && r.done_status == -EPROTO &&
		       strstr(r.done_why, "subscription refused: {\"error\"") == r.done_why,
	       "dones %d status %d why %s", r.dones, r.done_status, r.done_why ? r.done_why : "-");
	CHECK(warnings == 0);
	feed_link__free(l);
}

/* A request the transport cannot send ends the connection with the reason. */
static void subscription_send_failure_aborts(void)
{
	struct rec r;
	struct fake_transport t;
	const char *streams[] = {"a@trade"};
	struct feed_link *l = mk(&r, &t, false,
				 (struct feed_link_opts){.streams = streams, .n_streams = 1});

	REQUIRE(l);
	t.send_ret = -ENOBUFS;
	feed_link__start(l);
	feed_link__on_open(l, false, false);
	CHECK(t.aborts == 1 && t.abort_status == -ENOBUFS);
	CHECK(r.dones == 1 && r.done_status == -ENOBUFS &&
	      strstr(r.done_why, "subscription request") != NULL);
	CHECK(r.opens == 0);
	feed_link__free(l);
}

/* A stream name the venue would refuse is refused at set-up. */
static void bad_stream_refused_at_new(void)
{
	struct feed_link *l = (struct feed_link *)&l;
	struct fake_transport t;
	const char *streams[] = {"a\"b"};
	const struct feed_link_opts o = {.venue = &venue_binance, .streams = streams,
					 .n_streams = 1};
	const struct feed_link_hooks h = {0};

	fake_transport_init(&t, false);
	CHECK(feed_link__new(&l, loop, &o, &h, &t.t) == -EINVAL);
	CHECK(l == NULL);
}

/* XDP mode: the fast path delivers; the shadow's copies are compared, not
 * delivered again; a different shadow message is warned about once. */
static void fast_delivers_shadow_compares(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, true, (struct feed_link_opts){0});
	struct feed_link_stats st;

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, false);
	for (int i = 0; i < 4; i++)
		fmsg(l, data[i]);
	kmsg(l, "m0");
	kmsg(l, "m1");
	kmsg(l, "XX"); /* differs from m2 */
	kmsg(l, "YY"); /* and from m3: still one warning */
	CHECK(r.n == 4);
	for (int i = 0; i < 4; i++)
		CHECK(r.path[i] == FEED_PATH_FAST && strcmp(r.msg[i], data[i]) == 0);
	feed_link__stats(l, &st);
	CHECK(st.fast == 4 && st.shadow == 0 && st.compared == 4 && st.mismatched == 2);
	CHECK(warnings == 1 && strstr(logbuf, "first mismatch"));
	CHECK(t.fast_fails == 0);
	feed_link__free(l);
}

/* The fast path fails after m2: the shadow delivers from m3 on, so every
 * message goes out once, in order, whichever path is ahead. */
static void failover_from_first_undelivered(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, true, (struct feed_link_opts){0});
	struct feed_link_stats st;

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, false);
	fmsg(l, "m0");
	kmsg(l, "m0");
	fmsg(l, "m1");
	fmsg(l, "m2");
	t.t.ops->fail_fast(&t.t, "tls: record authentication failed");
	fmsg(l, "m3"); /* after the failure the fast path delivers nothing */
	for (int i = 1; i < 6; i++)
		kmsg(l, data[i]);
	CHECK(r.n == 6);
	for (int i = 0; i < 6; i++)
		CHECKF(strcmp(r.msg[i], data[i]) == 0 && r.index[i] == (uint64_t)i &&
			       r.path[i] == (i < 3 ? FEED_PATH_FAST : FEED_PATH_SHADOW),
		       "message %d: %s path %d", i, r.msg[i], r.path[i]);
	CHECKF(strstr(logbuf, "fast path stopped after 3 messages (tls: record authentication "
			      "failed); the kernel path delivers from message 4 on"),
	       "log: %.300s", logbuf);
	feed_link__stats(l, &st);
	CHECK(st.fast == 3 && st.shadow == 3 && st.delivered == 6);
	CHECK(r.dones == 0 && t.aborts == 0); /* decode mode keeps the connection */
	feed_link__free(l);
}

/* The kernel got a message the fast path never saw: fail over at once,
 * naming why. */
static void shadow_overtaking_fails_fast(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, true, (struct feed_link_opts){0});

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, false);
	fmsg(l, "m0");
	kmsg(l, "m0");
	kmsg(l, "m1"); /* the fast path has not delivered m1 */
	fmsg(l, "m1"); /* too late: not again */
	CHECK(r.n == 2 && r.path[1] == FEED_PATH_SHADOW && strcmp(r.msg[1], "m1") == 0);
	CHECK(t.fast_fails == 1 && strstr(t.fail_why, "never saw"));
	CHECK(strstr(logbuf, "fast path stopped after 1 messages") != NULL);
	feed_link__free(l);
}

/* The same after a stall: the transport knows the XDP program handed the
 * flow over as stale, and the reason says so instead of guessing. */
static void shadow_overtaking_names_stale_handoff(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, true, (struct feed_link_opts){0});

	REQUIRE(l);
	t.passed = "feedrx stopped draining for longer than --stale-ms: 756 stale frames";
	feed_link__start(l);
	feed_link__on_open(l, true, false);
	fmsg(l, "m0");
	kmsg(l, "m0");
	kmsg(l, "m1");
	CHECKF(t.fast_fails == 1 && strstr(t.fail_why, "756 stale frames") &&
		       !strstr(t.fail_why, "no AF_XDP socket"),
	       "%.400s", t.fail_why);
	feed_link__free(l);
}

/* The user closes the link (a signal, a reader gone): what still arrives on
 * either path is not delivered, and fast + shadow add up to delivered. */
static void close_stops_delivery(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, true, (struct feed_link_opts){0});
	struct feed_link_stats st;

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, false);
	fmsg(l, "m0");
	fmsg(l, "m1");
	kmsg(l, "m0");
	feed_link__close(l, 1000);
	fmsg(l, "m2");
	kmsg(l, "m1");
	kmsg(l, "m2");
	kmsg(l, "m3");
	CHECK(r.n == 2);
	feed_link__stats(l, &st);
	CHECKF(st.delivered == 2 && st.fast + st.shadow == st.delivered,
	       "delivered %llu fast %llu shadow %llu", (unsigned long long)st.delivered,
	       (unsigned long long)st.fast, (unsigned long long)st.shadow);
	CHECK(t.fast_fails == 0);
	feed_link__free(l);
}

/* --count: a clean close after N, and nothing beyond N on either path. */
static void count_closes_cleanly(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, true, (struct feed_link_opts){.count = 3});

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, false);
	for (int i = 0; i < 5; i++)
		fmsg(l, data[i]);
	for (int i = 0; i < 5; i++)
		kmsg(l, data[i]);
	CHECK(r.n == 3 && t.closes == 1 && t.close_code == 1000);
	feed_link__on_done(l, 0);
	CHECK(r.dones == 1 && r.done_status == 0);
	feed_link__free(l);
}

/* A consumer closing from inside its callback (a failed write). */
static void close_from_callback(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, false, (struct feed_link_opts){0});

	REQUIRE(l);
	r.close_after = 2;
	feed_link__start(l);
	feed_link__on_open(l, false, false);
	kmsg(l, "m0");
	kmsg(l, "m1");
	CHECK(t.closes == 1);
	feed_link__free(l);
}

static void run_loop(void)
{
	for (int i = 0; i < 5; i++)
		ev_run(loop, EVRUN_NOWAIT);
}

/* --shadow discard: a fast-path failure reconnects at the next loop turn,
 * the new connection numbers from 0 again, and after max_gaps the link
 * gives up with an error. */
static void discard_reconnects_then_gives_up(void)
{
	struct rec r;
	struct fake_transport t;
	const char *streams[] = {"a@trade"};
	struct feed_link *l = mk(&r, &t, true,
				 (struct feed_link_opts){.discard = true, .max_gaps = 2,
							 .streams = streams, .n_streams = 1});
	struct feed_link_stats st;

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, true);
	fmsg(l, "{\"result\":null,\"id\":1}");
	fmsg(l, "m0");
	fmsg(l, "m1");
	t.t.ops->fail_fast(&t.t, "desync");
	CHECK(t.aborts == 1 && t.abort_status == 0);
	CHECK(r.dones == 0); /* the old connection's end is not the link's */
	CHECK(strstr(logbuf, "reconnecting (gap 1: messages sent until the new connection is up "
			     "are missed)") != NULL);
	run_loop();
	CHECK(t.resets == 1 && t.starts == 2);
	/* the new connection: subscribes again, its reply filtered again */
	feed_link__on_open(l, true, true);
	CHECK(t.sends == 2);
	fmsg(l, "{\"result\":null,\"id\":1}");
	fmsg(l, "m5");
	CHECK(r.n == 3 && strcmp(r.msg[2], "m5") == 0 && r.index[2] == 2);
	t.t.ops->fail_fast(&t.t, "desync");
	run_loop();
	CHECK(t.resets == 2 && t.starts == 3);
	feed_link__on_open(l, true, true);
	t.t.ops->fail_fast(&t.t, "desync"); /* the third: over max_gaps = 2 */
	CHECK(strstr(logbuf, "giving up after 2 fast-path failures") != NULL);
	CHECK(r.dones == 1 && r.done_status == -EPROTO &&
	      strcmp(r.done_why, "fast path keeps failing") == 0);
	run_loop();
	CHECK(t.starts == 3);
	feed_link__stats(l, &st);
	CHECK(st.gaps == 3 && st.delivered == 3);
	feed_link__free(l);
}

/* A reconnect that cannot be set up ends the link with the reason. */
static void discard_reconnect_failure_reported(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, true, (struct feed_link_opts){.discard = true});

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, true);
	t.reset_ret = -ENOMEM;
	t.t.ops->fail_fast(&t.t, "desync");
	run_loop();
	CHECK(r.dones == 1 && r.done_status == -ENOMEM);
	CHECKF(strcmp(r.done_why, "cannot reconnect: out of memory") == 0, "%s", r.done_why);
	CHECK(t.starts == 1);
	feed_link__free(l);
}

/* A signal while a reconnect is pending ends the link cleanly. */
static void close_while_reconnecting(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, true, (struct feed_link_opts){.discard = true});

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, true);
	t.t.ops->fail_fast(&t.t, "desync");
	feed_link__close(l, 1000);
	CHECK(r.dones == 1 && r.done_status == 0);
	run_loop();
	CHECK(t.resets == 0 && t.starts == 1);
	feed_link__free(l);
}

/* A connection that fails reports its status and the transport's reason. */
static void error_end_reported(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, false, (struct feed_link_opts){0});

	REQUIRE(l);
	feed_link__start(l);
	snprintf(t.err, sizeof(t.err), "cannot connect to 198.18.0.1:9: Connection refused");
	feed_link__on_done(l, -ECONNREFUSED);
	CHECK(r.dones == 1 && r.done_status == -ECONNREFUSED &&
	      strstr(r.done_why, "Connection refused") != NULL);
	feed_link__free(l);
}

static void desync_after_is_forced_once(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, true, (struct feed_link_opts){.desync_after = 2});

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, false);
	for (int i = 0; i < 4; i++)
		fmsg(l, data[i]);
	CHECK(t.desyncs == 1);
	feed_link__free(l);
}

/* With stamps on: the handler time, the venue's times and the stream. */
static void stamps_and_stream(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, false, (struct feed_link_opts){.stamps = true});
	const char *m = "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1700000000123,"
			"\"ts_ns\":42}}";

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, false, false);
	kmsg(l, m);
	kmsg(l, "m1");
	CHECK(r.n == 2);
	CHECK(r.handler_ns[0] > 0 && r.send_ns[0] == 42 && r.event_ms[0] == 1700000000123ull);
	CHECKF(strcmp(r.stream[0], "btcusdt@trade") == 0, "stream '%s'", r.stream[0]);
	CHECK(r.stream[1][0] == 0 && r.send_ns[1] == 0);
	feed_link__free(l);
}

/* The server broke the protocol. Decode mode: the shadow found it too and
 * will close and report it, so the fast path's failure says nothing more.
 * Discard mode: the link closes with the code itself, and the end is an
 * error already reported. */
static void violation_reported_once(void)
{
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, true, (struct feed_link_opts){0});

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, false);
	fmsg(l, "m0");
	t.violation = 1002;
	t.t.ops->fail_fast(&t.t, "ws: reserved opcode");
	CHECK(warnings == 0 && t.closes == 0);
	kmsg(l, "m0"); /* the shadow's copy, compared */
	CHECK(r.n == 1);
	feed_link__free(l);

	l = mk(&r, &t, true, (struct feed_link_opts){.discard = true});
	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, true);
	t.violation = 1007;
	t.t.ops->fail_fast(&t.t, "ws: invalid UTF-8");
	CHECK(warnings == 1 && strstr(logbuf, "WebSocket protocol error from the server: ws: "
					      "invalid UTF-8 (closed with 1007)"));
	CHECK(t.closes == 1 && t.close_code == 1007 && t.resets == 0);
	feed_link__on_done(l, 0);
	CHECK(r.dones == 1 && r.done_status == -EPROTO && r.done_why[0] == 0);
	feed_link__free(l);
}

int main(void)
{
	loop = ev_default_loop(0);
	fx_log_set_handler(log_capture, NULL);
	RUN(kernel_delivers_in_order);
	RUN(subscription_reply_filtered);
	RUN(subscription_refused_warns);
	RUN(subscription_refused_ends_link);
	RUN(subscription_send_failure_aborts);
	RUN(bad_stream_refused_at_new);
	RUN(fast_delivers_shadow_compares);
	RUN(failover_from_first_undelivered);
	RUN(shadow_overtaking_fails_fast);
	RUN(shadow_overtaking_names_stale_handoff);
	RUN(close_stops_delivery);
	RUN(count_closes_cleanly);
	RUN(close_from_callback);
	RUN(discard_reconnects_then_gives_up);
	RUN(discard_reconnect_failure_reported);
	RUN(close_while_reconnecting);
	RUN(error_end_reported);
	RUN(desync_after_is_forced_once);
	RUN(stamps_and_stream);
	RUN(violation_reported_once);
	return check_exit();
}

/* Tests for what feed_link does for venues with control messages (OKX,
 * Bybit): requests split at the venue's limit, every reply (one per stream
 * or per request) and every keepalive answer dropped on both paths so the
 * data messages are numbered alike, a refusal ending the link. */
#include "check.h"
#include "fake_transport.h"

#include <ev.h>

#include "core/fx_log.h"
#include "link/feed_link.h"
#include "proto/ws_proto.h"
#include "venue/venue.h"

#define MAX_GOT 32

struct rec {
	int n;
	enum feed_path path[MAX_GOT];
	uint64_t index[MAX_GOT];
	char msg[MAX_GOT][64];
	int dones, done_status;
};

static struct ev_loop *loop;
static int warnings;

static void log_capture(void *user, enum fx_log_level level, const char *msg)
{
	(void)user, (void)msg;
	if (level <= FX_LOG_WARN)
		warnings++;
}

static void on_message(void *user, const struct feed_link_msg *m)
{
	struct rec *r = user;

	if (r->n < MAX_GOT) {
		r->path[r->n] = m->path;
		r->index[r->n] = m->index;
		snprintf(r->msg[r->n], sizeof(r->msg[0]), "%.*s", (int)m->n, (const char *)m->p);
	}
	r->n++;
}

static void on_done(void *user, int status, const char *why)
{
	struct rec *r = user;

	(void)why;
	r->dones++;
	r->done_status = status;
}

static struct feed_link *mk(struct rec *r, struct fake_transport *t, bool fast,
			    const struct venue *v, const char *const *streams, size_t n)
{
	const struct feed_link_hooks h = {.user = r, .on_message = on_message, .on_done = on_done};
	const struct feed_link_opts o = {.venue = v, .streams = streams, .n_streams = n,
					 .max_gaps = 3};
	struct feed_link *l = NULL;

	memset(r, 0, sizeof(*r));
	fake_transport_init(t, fast);
	if (feed_link__new(&l, loop, &o, &h, &t->t))
		return NULL;
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

#define OKX_D0 "{\"arg\":{\"channel\":\"trades\",\"instId\":\"A-B\"},\"data\":[0]}"
#define OKX_D1 "{\"arg\":{\"channel\":\"books\",\"instId\":\"A-B\"},\"data\":[1]}"
#define OKX_SUB "{\"event\":\"subscribe\",\"arg\":{\"channel\":\"books\",\"instId\":\"A-B\"}}"
#define OKX_ERR "{\"event\":\"error\",\"code\":\"60012\",\"msg\":\"bad\"}"
#define OKX_NOTICE "{\"event\":\"notice\",\"code\":\"64008\",\"msg\":\"soon\"}"

/* Bybit spot takes 10 topics a request: 23 go out as 10 + 10 + 3. */
static void bybit_requests_split(void)
{
	static char names[23][32];
	const char *streams[23];
	struct rec r;
	struct fake_transport t;

	for (int i = 0; i < 23; i++) {
		snprintf(names[i], sizeof(names[i]), "publicTrade.S%dUSDT", i);
		streams[i] = names[i];
	}
	struct feed_link *l = mk(&r, &t, false, &venue_bybit, streams, 23);

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, false, false);
	CHECK(t.sends == 3);
	t.sent[t.sent_len < sizeof(t.sent) ? t.sent_len : sizeof(t.sent) - 1] = 0;
	CHECKF(!strcmp(t.sent, "{\"op\":\"subscribe\",\"args\":[\"publicTrade.S20USDT\","
			       "\"publicTrade.S21USDT\",\"publicTrade.S22USDT\"]}"),
	       "last request %.200s", t.sent);
	/* three replies and pongs, all dropped, at any time */
	kmsg(l, "{\"success\":true,\"ret_msg\":\"\",\"op\":\"subscribe\"}");
	kmsg(l, "{\"topic\":\"publicTrade.S1USDT\",\"data\":[]}");
	kmsg(l, "{\"success\":true,\"ret_msg\":\"\",\"op\":\"subscribe\"}");
	kmsg(l, "{\"success\":true,\"ret_msg\":\"pong\",\"op\":\"ping\"}");
	kmsg(l, "{\"success\":true,\"ret_msg\":\"\",\"op\":\"subscribe\"}");
	kmsg(l, "{\"req_id\":\"1\",\"op\":\"pong\",\"args\":[\"1\"]}");
	kmsg(l, "{\"topic\":\"publicTrade.S2USDT\",\"data\":[]}");
	CHECK(r.n == 2 && r.index[1] == 1 && strstr(r.msg[1], "S2USDT"));
	struct feed_link_stats st;
	feed_link__stats(l, &st);
	CHECK(st.replies == 3 && st.controls == 2 && st.refused == 0);
	CHECK(warnings == 0);
	feed_link__free(l);
}

/* OKX answers each stream; "pong" and notices are no data either. */
static void okx_kernel_filters(void)
{
	const char *streams[] = {"trades:A-B", "books:A-B"};
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, false, &venue_okx, streams, 2);
	struct feed_link_stats st;

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, false, false);
	CHECK(t.sends == 1);
	kmsg(l, "pong");
	kmsg(l, OKX_SUB);
	kmsg(l, OKX_D0);
	kmsg(l, OKX_SUB);
	kmsg(l, OKX_NOTICE);
	kmsg(l, OKX_D1);
	kmsg(l, "pong");
	CHECK(r.n == 2 && r.index[0] == 0 && r.index[1] == 1);
	CHECK(!strcmp(r.msg[0], OKX_D0) && !strcmp(r.msg[1], OKX_D1));
	feed_link__stats(l, &st);
	CHECK(st.replies == 2 && st.controls == 3 && st.kernel_replies == 5);
	CHECK(r.dones == 0);
	feed_link__free(l);
}

/* XDP mode: both paths see every control message, in their own order
 * against each other; both drop them, so the shadow compares the same data. */
static void okx_both_paths_alike(void)
{
	const char *streams[] = {"books:A-B"};
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, true, &venue_okx, streams, 1);
	struct feed_link_stats st;

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, true, false);
	fmsg(l, OKX_D0);
	fmsg(l, "pong");
	fmsg(l, OKX_SUB);
	fmsg(l, OKX_D1);
	kmsg(l, OKX_D0);
	kmsg(l, OKX_SUB);
	kmsg(l, "pong");
	kmsg(l, OKX_D1);
	CHECK(r.n == 2 && r.path[0] == FEED_PATH_FAST && r.path[1] == FEED_PATH_FAST);
	feed_link__stats(l, &st);
	CHECK(st.replies == 1 && st.controls == 1);
	CHECK(st.compared == 2 && st.mismatched == 0);
	CHECK(t.fast_fails == 0 && warnings == 0);
	feed_link__free(l);
}

/* An error event: nothing will arrive, the link ends with an error. */
static void okx_refusal_ends_link(void)
{
	const char *streams[] = {"books:A-B"};
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, false, &venue_okx, streams, 1);
	struct feed_link_stats st;

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, false, false);
	kmsg(l, OKX_ERR);
	CHECK(t.aborts == 1 && t.abort_status == -EPROTO);
	CHECK(r.n == 0);
	feed_link__stats(l, &st);
	CHECK(st.refused == 1 && st.replies == 1);
	feed_link__free(l);
}

/* The resync of an in-stream book: unsubscribe, then subscribe, on the
 * open connection; the unsubscribe's answer is a control message, the
 * subscribe's a reply, neither delivered. */
static void resubscribe(void)
{
	const char *streams[] = {"orderbook.50.BTCUSDT"};
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, false, &venue_bybit, streams, 1);
	struct feed_link_stats st;

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, false, false);
	kmsg(l, "{\"success\":true,\"ret_msg\":\"\",\"op\":\"subscribe\"}");
	CHECK(feed_link__resubscribe(l, "orderbook.50.BTCUSDT") == 0);
	CHECK(t.sends == 3);
	CHECK(t.sent_len == strlen("{\"op\":\"subscribe\",\"args\":[\"orderbook.50.BTCUSDT\"]}") &&
	      !memcmp(t.sent, "{\"op\":\"subscribe\",\"args\":[\"orderbook.50.BTCUSDT\"]}", t.sent_len));
	kmsg(l, "{\"success\":true,\"ret_msg\":\"\",\"op\":\"unsubscribe\"}");
	kmsg(l, "{\"success\":true,\"ret_msg\":\"\",\"op\":\"subscribe\"}");
	kmsg(l, "{\"topic\":\"orderbook.50.BTCUSDT\",\"type\":\"snapshot\",\"data\":{}}");
	CHECK(r.n == 1 && r.index[0] == 0);
	feed_link__stats(l, &st);
	CHECK(st.replies == 2 && st.controls == 1 && st.resubscribes == 1);
	CHECK(feed_link__resubscribe(l, "bad\"name") == -EINVAL);
	t.send_ret = -EPIPE;
	CHECK(feed_link__resubscribe(l, "orderbook.50.BTCUSDT") == -EPIPE);
	feed_link__free(l);

	/* OKX: the same, one reply per stream */
	const char *ostreams[] = {"books:BTC-USDT"};
	l = mk(&r, &t, false, &venue_okx, ostreams, 1);
	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, false, false);
	CHECK(feed_link__resubscribe(l, "books:BTC-USDT") == 0 && t.sends == 3);
	feed_link__free(l);
}

/* Binance has no control hook: its behaviour is unchanged (one reply). */
static void binance_unchanged(void)
{
	const char *streams[] = {"btcusdt@trade"};
	struct rec r;
	struct fake_transport t;
	struct feed_link *l = mk(&r, &t, false, &venue_binance, streams, 1);

	REQUIRE(l);
	feed_link__start(l);
	feed_link__on_open(l, false, false);
	CHECK(t.sends == 1);
	kmsg(l, "{\"result\":null,\"id\":1}");
	kmsg(l, "pong"); /* data for Binance */
	CHECK(r.n == 1 && !strcmp(r.msg[0], "pong"));
	CHECK(feed_link__resubscribe(l, "btcusdt@trade") == -ENOTSUP); /* REST resync */
	feed_link__free(l);
}

int main(void)
{
	loop = ev_default_loop(0);
	fx_log_set_handler(log_capture, NULL);
	RUN(bybit_requests_split);
	RUN(okx_kernel_filters);
	RUN(okx_both_paths_alike);
	RUN(okx_refusal_ends_link);
	RUN(resubscribe);
	RUN(binance_unchanged);
	return check_exit();
}

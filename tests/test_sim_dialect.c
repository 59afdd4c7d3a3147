/* Tests for feedsim's OKX and Bybit dialects: the replies to requests and
 * to the keepalive, exactly; requests applied whole or not at all; the
 * spot limit of 10; the messages parse with feedrx's own venue parsers;
 * books start with a snapshot (no empty level) and then chain by the
 * venue's rule; --drop-diff breaks the chain exactly where it drops and is
 * the same for the same seed; Bybit's trade arrays add up to feedgen's. */
#include "check.h"

#include <errno.h>

#include "sim/feedgen.h"
#include "sim/sim_dialect.h"
#include "venue/bybit_parse.h"
#include "venue/okx_parse.h"
#include "venue/venue_json.h"

static char out[65536], msg[FEEDGEN_JSON_MAX], tr[FEEDGEN_JSON_MAX];
static size_t lens[SIM_DIALECT_MAX_REPLIES];
static struct vjson_parser *P;

static struct feedgen *gen(void)
{
	struct feedgen_config cfg;
	struct feedgen *g;

	feedgen_config_default(&cfg);
	cfg.seed = 3;
	return feedgen__new(&g, &cfg) ? NULL : g;
}

static unsigned handle(const struct sim_dialect *d, struct sim_dconn *c, struct feedgen *g,
		       const char *req)
{
	return d->handle(c, g, req, strlen(req), out, sizeof(out), lens);
}

static int reply_is(size_t off, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(out + off, want, len);
}

/* the next translated message (skipping drops); its length, 0 on error */
static ssize_t next(const struct sim_dialect *d, struct sim_dconn *c, struct feedgen *g,
		    int *dropped)
{
	const struct feedgen_clock clk = {.wall_ms = 1700000000000, .mono_ns = 5};

	for (int i = 0; i < 1000; i++) {
		ssize_t n = feedgen__next(g, msg, sizeof(msg), false, &clk, NULL);
		ssize_t t;

		if (n <= 0)
			return 0;
		t = d->translate(c, msg, (size_t)n, tr, sizeof(tr), clk.wall_ms);
		if (t != 0)
			return t < 0 ? 0 : t;
		(*dropped)++;
	}
	return 0;
}

static void okx_requests(void)
{
	const struct sim_dialect_conf conf = {.seed = 3};
	struct sim_dconn *c;
	struct feedgen *g = gen();

	REQUIRE(g && sim_dialect_okx.conn_new(&c, &conf, "/ws/v5/public", 13, 1) == 0);
	CHECK(handle(&sim_dialect_okx, c, g, "ping") == 1 && reply_is(0, lens[0], "pong"));
	CHECK(handle(&sim_dialect_okx, c, g, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"books\","
					     "\"instId\":\"BTC-USDT\"},{\"channel\":\"bogus\","
					     "\"instId\":\"BTC-USDT\"}]}") == 1);
	CHECK(strstr(out, "\"event\":\"error\",\"code\":\"60018\""));
	CHECK(feedgen__nstreams(g) == 0); /* nothing of a refused request */
	REQUIRE(handle(&sim_dialect_okx, c, g, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"books\","
					       "\"instId\":\"BTC-USDT\"},{\"channel\":\"trades\","
					       "\"instId\":\"ETH-USDT\"}]}") == 2);
	CHECK(reply_is(0, lens[0], "{\"event\":\"subscribe\",\"arg\":{\"channel\":\"books\",\"instId\":"
				   "\"BTC-USDT\"},\"connId\":\"sim00000001\"}"));
	CHECK(reply_is(lens[0], lens[1], "{\"event\":\"subscribe\",\"arg\":{\"channel\":\"trades\","
					 "\"instId\":\"ETH-USDT\"},\"connId\":\"sim00000001\"}"));
	CHECK(feedgen__nstreams(g) == 2 && feedgen__has(g, "btcusdt@depth", 13));
	CHECK(handle(&sim_dialect_okx, c, g, "{\"op\":\"subscribe\"") == 1 &&
	      strstr(out, "\"code\":\"60012\""));
	/* every reply is what feedrx's OKX venue calls a reply */
	handle(&sim_dialect_okx, c, g, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"bbo-tbt\","
				       "\"instId\":\"BTC-USDT\"}]}");
	CHECK(okx_control((const uint8_t *)out, lens[0]) == VENUE_REPLY_OK);
	CHECK(handle(&sim_dialect_okx, c, g, "{\"op\":\"unsubscribe\",\"args\":[{\"channel\":"
					     "\"bbo-tbt\",\"instId\":\"BTC-USDT\"}]}") == 1);
	CHECK(strstr(out, "\"event\":\"unsubscribe\"") && feedgen__nstreams(g) == 2);
	sim_dialect_okx.conn_free(c);
	feedgen__free(g);
}

/* books: a snapshot, then prevSeqId == the previous seqId, except right
 * after a drop; trades and bbo parse too */
static void okx_chain(double drop, int *breaks, int *drops, uint64_t *digest)
{
	const struct sim_dialect_conf conf = {.seed = 3, .drop_diff = drop};
	struct sim_dconn *c;
	struct feedgen *g = gen();
	struct feed_msg m;
	uint64_t prev = 0, h = 1469598103934665603ULL;
	int books = 0, d0 = 0; /* drops before the previous book message */

	*breaks = *drops = 0;
	REQUIRE(g && sim_dialect_okx.conn_new(&c, &conf, "/ws/v5/public", 13, 1) == 0);
	handle(&sim_dialect_okx, c, g, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"books\","
				       "\"instId\":\"BTC-USDT\"},{\"channel\":\"trades\",\"instId\":"
				       "\"BTC-USDT\"},{\"channel\":\"bbo-tbt\",\"instId\":\"BTC-USDT\"}]}");
	for (int i = 0; i < 400; i++) {
		ssize_t n = next(&sim_dialect_okx, c, g, drops);

		REQUIRE(n > 0);
		for (ssize_t k = 0; k < n; k++)
			h = (h ^ (uint8_t)tr[k]) * 1099511628211ULL;
		REQUIRE(okx_parse(P, tr, (size_t)n, &m) == 0);
		CHECK(m.type != FEED_MSG_UNKNOWN && (m.fields & FEED_F_TS_NS) && m.ts_ns == 5);
		if (m.type != FEED_MSG_DEPTH)
			continue;
		if (books++ == 0) {
			CHECK((m.fields & FEED_F_SNAPSHOT) && !(m.fields & FEED_F_PREV_ID));
			for (uint32_t k = 0; k < m.n_bids + m.n_asks; k++)
				CHECK(m.bids[k].qty > 0);
			CHECK(m.n_bids > 10 && m.n_asks > 10);
		} else {
			CHECK(!(m.fields & FEED_F_SNAPSHOT) && (m.fields & FEED_F_PREV_ID));
			CHECKF((m.prev_id == prev) == (*drops == d0), "update %d: prev %llu want %llu",
			       books, (unsigned long long)m.prev_id, (unsigned long long)prev);
			*breaks += m.prev_id != prev;
		}
		prev = m.last_id;
		d0 = *drops;
	}
	*digest = h;
	sim_dialect_okx.conn_free(c);
	feedgen__free(g);
}

/* OKX's resync: unsubscribe and subscribe again, a snapshot comes */
static void okx_resubscribe(void)
{
	const struct sim_dialect_conf conf = {.seed = 3};
	struct sim_dconn *c;
	struct feedgen *g = gen();
	struct feed_msg m;
	int drops = 0, snaps = 0;

	REQUIRE(g && sim_dialect_okx.conn_new(&c, &conf, "/ws/v5/public", 13, 1) == 0);
	handle(&sim_dialect_okx, c, g, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"books\","
				       "\"instId\":\"BTC-USDT\"}]}");
	for (int i = 0; i < 5; i++) {
		ssize_t k = next(&sim_dialect_okx, c, g, &drops);

		REQUIRE(k > 0 && okx_parse(P, tr, (size_t)k, &m) == 0);
		snaps += (m.fields & FEED_F_SNAPSHOT) != 0;
	}
	CHECK(snaps == 1);
	CHECK(handle(&sim_dialect_okx, c, g, "{\"op\":\"unsubscribe\",\"args\":[{\"channel\":"
					     "\"books\",\"instId\":\"BTC-USDT\"}]}") == 1);
	CHECK(!feedgen__can_emit(g));
	CHECK(handle(&sim_dialect_okx, c, g, "{\"op\":\"subscribe\",\"args\":[{\"channel\":"
					     "\"books\",\"instId\":\"BTC-USDT\"}]}") == 1);
	ssize_t n = next(&sim_dialect_okx, c, g, &drops);
	REQUIRE(n > 0 && okx_parse(P, tr, (size_t)n, &m) == 0);
	CHECK((m.fields & FEED_F_SNAPSHOT) && !(m.fields & FEED_F_PREV_ID));
	sim_dialect_okx.conn_free(c);
	feedgen__free(g);
}

static void okx_books(void)
{
	int breaks, drops, b2, d2;
	uint64_t h, h2;

	okx_chain(0, &breaks, &drops, &h);
	CHECK(breaks == 0 && drops == 0);
	okx_chain(0.3, &breaks, &drops, &h);
	CHECK(drops > 3 && breaks > 0 && breaks <= drops);
	okx_chain(0.3, &b2, &d2, &h2);
	CHECK(b2 == breaks && d2 == drops && h2 == h); /* the same seed, the same gaps */
}

static void bybit_requests(void)
{
	const struct sim_dialect_conf conf = {.seed = 3};
	struct sim_dconn *c, *cl;
	struct feedgen *g = gen(), *gl = gen();
	char req[1024];
	int k = snprintf(req, sizeof(req), "{\"op\":\"subscribe\",\"req_id\":\"r1\",\"args\":[");

	for (int i = 0; i < 11; i++)
		k += snprintf(req + k, sizeof(req) - (size_t)k, "%s\"publicTrade.S%dUSDT\"", i ? "," : "", i);
	snprintf(req + k, sizeof(req) - (size_t)k, "]}");
	REQUIRE(g && gl && sim_dialect_bybit.conn_new(&c, &conf, "/v5/public/spot", 15, 2) == 0);
	REQUIRE(sim_dialect_bybit.conn_new(&cl, &conf, "/v5/public/linear?x=1", 21, 3) == 0);
	CHECK(handle(&sim_dialect_bybit, c, g, req) == 1);
	CHECK(reply_is(0, lens[0], "{\"success\":false,\"ret_msg\":\"args size >10\",\"conn_id\":"
				   "\"sim00000002\",\"req_id\":\"r1\",\"op\":\"subscribe\"}"));
	CHECK(bybit_control((const uint8_t *)out, lens[0]) == VENUE_REPLY_ERROR);
	CHECK(feedgen__nstreams(g) == 0);
	CHECK(handle(&sim_dialect_bybit, cl, gl, req) == 1 && strstr(out, "\"success\":true"));
	CHECK(feedgen__nstreams(gl) == 11); /* futures: no limit */
	CHECK(handle(&sim_dialect_bybit, c, g, "{\"op\":\"ping\",\"req_id\":\"7\"}") == 1);
	CHECK(reply_is(0, lens[0], "{\"success\":true,\"ret_msg\":\"pong\",\"conn_id\":\"sim00000002\","
				   "\"req_id\":\"7\",\"op\":\"ping\"}"));
	CHECK(bybit_control((const uint8_t *)out, lens[0]) == VENUE_CONTROL);
	CHECK(handle(&sim_dialect_bybit, cl, gl, "{\"op\":\"ping\"}") == 1);
	CHECK(!memcmp(out, "{\"req_id\":\"\",\"op\":\"pong\",\"args\":[\"", 34));
	CHECK(bybit_control((const uint8_t *)out, lens[0]) == VENUE_CONTROL);
	CHECK(handle(&sim_dialect_bybit, c, g, "{\"op\":\"subscribe\",\"args\":[\"orderbook.7.BTCUSDT\"]}") == 1);
	CHECK(strstr(out, "\"success\":false") && feedgen__nstreams(g) == 0);
	sim_dialect_bybit.conn_free(c);
	sim_dialect_bybit.conn_free(cl);
	feedgen__free(g);
	feedgen__free(gl);
}

static void bybit_books_trades(void)
{
	const struct sim_dialect_conf conf = {.seed = 3, .drop_diff = 0.25};
	struct sim_dconn *c;
	struct feedgen *g = gen();
	struct feed_msg m;
	uint64_t prev_u = 0, prev_bbo = 0;
	int books = 0, drops = 0, multi = 0, d0 = 0;

	REQUIRE(g && sim_dialect_bybit.conn_new(&c, &conf, "/v5/public/spot", 15, 1) == 0);
	REQUIRE(handle(&sim_dialect_bybit, c, g, "{\"op\":\"subscribe\",\"args\":["
						 "\"orderbook.50.BTCUSDT\",\"publicTrade.BTCUSDT\","
						 "\"orderbook.1.BTCUSDT\"]}") == 1);
	CHECK(strstr(out, "\"success\":true"));
	for (int i = 0; i < 400; i++) {
		ssize_t n = next(&sim_dialect_bybit, c, g, &drops);

		REQUIRE(n > 0);
		REQUIRE(bybit_parse(P, tr, (size_t)n, &m) == 0);
		CHECK(m.type != FEED_MSG_UNKNOWN && m.ts_ns == 5);
		if (m.type == FEED_MSG_TRADE) {
			int64_t q = 0;

			for (uint32_t k = 0; k < m.n_trades; k++)
				q += m.trades[k].qty;
			multi += m.n_trades > 1;
			CHECK(m.n_trades >= 1 && m.n_trades <= 3 && q > 0);
		} else if (m.type == FEED_MSG_BOOK_TICKER) {
			CHECK(m.id == prev_bbo + 1); /* orderbook.1: u per message */
			prev_bbo = m.id;
		} else if (books++ == 0) {
			CHECK((m.fields & FEED_F_SNAPSHOT) && m.last_id == 1);
			prev_u = m.last_id;
			d0 = drops;
		} else {
			CHECK(!(m.fields & FEED_F_SNAPSHOT));
			CHECK(m.last_id == prev_u + 1 + (uint64_t)(drops - d0));
			prev_u = m.last_id;
			d0 = drops;
		}
	}
	CHECK(books > 10 && drops > 0 && multi > 0);
	/* a resubscription starts with a snapshot again (the resync) */
	handle(&sim_dialect_bybit, c, g, "{\"op\":\"unsubscribe\",\"args\":[\"orderbook.50.BTCUSDT\"]}");
	handle(&sim_dialect_bybit, c, g, "{\"op\":\"subscribe\",\"args\":[\"orderbook.50.BTCUSDT\"]}");
	for (int i = 0; i < 200; i++) {
		ssize_t n = next(&sim_dialect_bybit, c, g, &drops);

		REQUIRE(n > 0 && bybit_parse(P, tr, (size_t)n, &m) == 0);
		if (m.type == FEED_MSG_DEPTH) {
			CHECK((m.fields & FEED_F_SNAPSHOT) && m.last_id == 1);
			break;
		}
	}
	sim_dialect_bybit.conn_free(c);
	feedgen__free(g);
}

static void names(void)
{
	bool known;

	CHECK(sim_dialect_find("okx", &known) == &sim_dialect_okx && known);
	CHECK(sim_dialect_find("bybit", &known) == &sim_dialect_bybit && known);
	CHECK(sim_dialect_find("binance", &known) == NULL && known);
	CHECK(sim_dialect_find("kraken", &known) == NULL && !known);
}

int main(void)
{
	if (vjson_parser__new(&P, 4096, 1024, 16))
		return 1;
	RUN(okx_requests);
	RUN(okx_books);
	RUN(okx_resubscribe);
	RUN(bybit_requests);
	RUN(bybit_books_trades);
	RUN(names);
	vjson_parser__free(P);
	return check_exit();
}

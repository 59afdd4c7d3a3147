/* Tests for the Bybit venue: golden messages written from Bybit's v5 docs
 * (orderbook snapshot and delta, orderbook.1 as the best bid/offer,
 * publicTrade arrays with numeric and UUID ids, replies and both pongs) into
 * exact feed_msg fields; malformed inputs; every truncation in an
 * exactly-sized heap buffer (ASan); the subscribe request and the spot
 * limit of 10 topics; control classification; the scans. */
#include "check.h"
#include "venue/bybit_parse.h"
#include "venue/venue.h"
#include "venue/venue_json.h"
#include "core/fx_err.h"

#include <errno.h>
#include <stdint.h>

static struct vjson_parser *P;
static struct feed_msg M;

static const char SNAP[] =
	"{\"topic\":\"orderbook.50.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1672304484978,\"data\":{"
	"\"s\":\"BTCUSDT\",\"b\":[[\"16493.50\",\"0.006\"],[\"16493.00\",\"0.100\"]],"
	"\"a\":[[\"16611.00\",\"0.029\"],[\"16612.00\",\"0.213\"]],\"u\":18521288,"
	"\"seq\":7961638724},\"cts\":1672304484976,\"ts_ns\":99}";
static const char DELTA[] =
	"{\"topic\":\"orderbook.50.BTCUSDT\",\"type\":\"delta\",\"ts\":1687940967466,\"data\":{"
	"\"s\":\"BTCUSDT\",\"b\":[[\"30247.20\",\"30.028\"],[\"30241.50\",\"0\"]],"
	"\"a\":[[\"30248.70\",\"0\"]],\"u\":18521289,\"seq\":66544703342},\"cts\":1687940967464}";
static const char BBO[] =
	"{\"topic\":\"orderbook.1.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1672304484978,\"data\":{"
	"\"s\":\"BTCUSDT\",\"b\":[[\"16493.50\",\"0.006\"]],\"a\":[[\"16611.00\",\"0.029\"]],"
	"\"u\":18521288,\"seq\":7961638724},\"cts\":1672304484976}";
static const char TRADES[] =
	"{\"topic\":\"publicTrade.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1672304486868,\"data\":["
	"{\"T\":1672304486865,\"s\":\"BTCUSDT\",\"S\":\"Buy\",\"v\":\"0.001\",\"p\":\"16578.50\","
	"\"L\":\"PlusTick\",\"i\":\"2290000000061666327\",\"BT\":false},"
	"{\"T\":1672304486866,\"s\":\"BTCUSDT\",\"S\":\"Sell\",\"v\":\"0.25\",\"p\":\"16578.00\","
	"\"L\":\"MinusTick\",\"i\":\"2290000000061666328\",\"BT\":false}]}";
static const char TRADE_UUID[] =
	"{\"topic\":\"publicTrade.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1672304486868,\"data\":["
	"{\"T\":1672304486865,\"s\":\"BTCUSDT\",\"S\":\"Buy\",\"v\":\"0.001\",\"p\":\"16578.50\","
	"\"L\":\"PlusTick\",\"i\":\"20f43950-d8dd-5b31-9112-a178eb6023af\",\"BT\":false,"
	"\"seq\":1783284617}]}";
static const char SUB_OK[] = "{\"success\":true,\"ret_msg\":\"\",\"conn_id\":\"d30fdpbboasp1pjbe7r0\","
			     "\"req_id\":\"xxx\",\"op\":\"subscribe\"}";
static const char SUB_ERR[] = "{\"success\":false,\"ret_msg\":\"Invalid topic :[orderbook.50.FOO]\","
			      "\"conn_id\":\"d30fdpbboasp1pjbe7r0\",\"op\":\"subscribe\"}";
static const char PONG_SPOT[] = "{\"success\":true,\"ret_msg\":\"pong\",\"conn_id\":"
				"\"0970e817-426e-429a-a679-ff7f55e0b16a\",\"op\":\"ping\"}";
static const char PONG_LINEAR[] = "{\"req_id\":\"100001\",\"op\":\"pong\",\"args\":[\"1672916271846\"],"
				  "\"conn_id\":\"ce3dpomvha7dha97tvp0-2xh\"}";

static const char *const samples[] = {SNAP,   DELTA,   BBO,       TRADES,
				      TRADE_UUID, SUB_OK, SUB_ERR, PONG_SPOT, PONG_LINEAR};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static int parse(const char *s)
{
	return bybit_parse(P, s, strlen(s), &M);
}

static int str_is(struct feed_str s, const char *want)
{
	return s.ptr && s.len == strlen(want) && !memcmp(s.ptr, want, s.len);
}

static void book_snapshot(void)
{
	REQUIRE(parse(SNAP) == 0);
	CHECK(M.type == FEED_MSG_DEPTH);
	CHECK(M.fields & FEED_F_SNAPSHOT);
	CHECK(M.first_id == 18521288 && M.last_id == 18521288 && M.id == 7961638724ULL);
	CHECK(M.event_ms == 1672304484978ULL && M.trade_ms == 1672304484976ULL);
	CHECK(M.n_bids == 2 && M.n_asks == 2);
	CHECK(M.bids[0].price == 1649350000000LL && M.bids[0].qty == 600000);
	CHECK(M.bids[1].price == 1649300000000LL && M.bids[1].qty == 10000000);
	CHECK(M.asks[1].price == 1661200000000LL && M.asks[1].qty == 21300000);
	CHECK(str_is(M.symbol, "BTCUSDT") && str_is(M.stream, "orderbook.50.BTCUSDT"));
	CHECK(str_is(M.event, "orderbook"));
	CHECK((M.fields & FEED_F_TS_NS) && M.ts_ns == 99);
}

static void book_delta(void)
{
	REQUIRE(parse(DELTA) == 0);
	CHECK(M.type == FEED_MSG_DEPTH && !(M.fields & FEED_F_SNAPSHOT));
	CHECK(M.last_id == 18521289);
	CHECK(M.n_bids == 2 && M.n_asks == 1);
	CHECK(M.bids[1].qty == 0 && M.asks[0].qty == 0); /* deletes */
	CHECK(!(M.fields & FEED_F_PREV_ID));
}

static void bbo(void)
{
	REQUIRE(parse(BBO) == 0);
	CHECK(M.type == FEED_MSG_BOOK_TICKER);
	CHECK(M.id == 18521288);
	CHECK(M.bid_px == 1649350000000LL && M.bid_qty == 600000);
	CHECK(M.ask_px == 1661100000000LL && M.ask_qty == 2900000);
	CHECK(!(M.fields & FEED_F_SNAPSHOT));
	/* one side empty: that side is 0 */
	REQUIRE(parse("{\"topic\":\"orderbook.1.X\",\"type\":\"snapshot\",\"ts\":1,\"data\":{"
		      "\"s\":\"X\",\"b\":[],\"a\":[[\"2\",\"3\"]],\"u\":5,\"seq\":6}}") == 0);
	CHECK(M.type == FEED_MSG_BOOK_TICKER && M.bid_px == 0 && M.ask_px == 200000000);
}

static void trades(void)
{
	REQUIRE(parse(TRADES) == 0);
	CHECK(M.type == FEED_MSG_TRADE);
	CHECK(M.n_trades == 2);
	CHECK(M.id == 2290000000061666327ULL && M.price == 1657850000000LL && M.qty == 100000);
	CHECK(!M.buyer_maker && M.trade_ms == 1672304486865ULL);
	CHECK(M.event_ms == 1672304486868ULL);
	REQUIRE(M.trades);
	CHECK(M.trades[1].id == 2290000000061666328ULL && M.trades[1].buyer_maker);
	CHECK(M.trades[1].qty == 25000000 && M.trades[1].trade_ms == 1672304486866ULL);
	CHECK(str_is(M.symbol, "BTCUSDT") && str_is(M.event, "publicTrade"));
	REQUIRE(parse(TRADE_UUID) == 0);
	CHECK(M.n_trades == 1 && M.id == 0 && (M.fields & FEED_F_ID_STR));
	CHECK(str_is(M.id_str, "20f43950-d8dd-5b31-9112-a178eb6023af"));
}

static void replies(void)
{
	REQUIRE(parse(SUB_OK) == 0);
	CHECK(M.type == FEED_MSG_REPLY && str_is(M.event, "subscribe"));
	CHECK(str_is(M.id_str, "xxx"));
	REQUIRE(parse(SUB_ERR) == 0);
	CHECK(M.type == FEED_MSG_ERROR_REPLY);
	CHECK(str_is(M.err_msg, "Invalid topic :[orderbook.50.FOO]"));
	REQUIRE(parse(PONG_SPOT) == 0);
	CHECK(M.type == FEED_MSG_REPLY && str_is(M.event, "ping"));
}

static void malformed(void)
{
	static const struct {
		const char *s;
		int rc;
	} t[] = {
	    {"[1]", -FX_E_FEED_NOT_OBJECT},
	    {"{\"topic\":\"orderbook.50.X\",\"type\":\"delta\",\"ts\":1,\"data\":{\"s\":\"X\","
	     "\"b\":[],\"a\":[]}}",
	     -FX_E_FEED_MISSING}, /* no u */
	    {"{\"topic\":\"orderbook.50.X\",\"type\":\"full\",\"ts\":1,\"data\":{\"s\":\"X\","
	     "\"b\":[],\"a\":[],\"u\":1}}",
	     -FX_E_FEED_TYPE},
	    {"{\"topic\":\"orderbook.50.X\",\"type\":\"delta\",\"ts\":1,\"data\":[]}",
	     -FX_E_FEED_NOT_OBJECT},
	    {"{\"topic\":\"orderbook.50.X\",\"type\":\"delta\",\"ts\":1,\"data\":{\"s\":\"X\","
	     "\"b\":[[\"1\",\"-x\"]],\"a\":[],\"u\":1}}",
	     -FX_E_FEED_DECIMAL},
	    {"{\"topic\":\"orderbook.50.X\",\"type\":\"delta\",\"ts\":-1,\"data\":{}}", -FX_E_FEED_RANGE},
	    {"{\"topic\":\"publicTrade.X\",\"ts\":1,\"data\":[{\"T\":1,\"s\":\"X\",\"S\":\"Hold\","
	     "\"v\":\"1\",\"p\":\"1\",\"i\":\"1\"}]}",
	     -FX_E_FEED_TYPE},
	    {"{\"topic\":\"publicTrade.X\",\"ts\":1,\"data\":[]}", -FX_E_FEED_MISSING},
	    {"{\"topic\":\"publicTrade.X\",\"ts\":1,\"data\":{}}", -FX_E_FEED_TYPE},
	    {"{\"topic\":7,\"data\":{}}", -FX_E_FEED_TYPE},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = parse(t[i].s);

		CHECKF(r == t[i].rc, "case %zu: %d, want %d", i, r, t[i].rc);
		CHECKF(M.type == FEED_MSG_UNKNOWN, "case %zu: type %d", i, M.type);
	}
	CHECK(parse("{\"topic\":\"tickers.BTCUSDT\",\"ts\":1,\"data\":{}}") == 0);
	CHECK(M.type == FEED_MSG_UNKNOWN && str_is(M.event, "tickers"));
	/* a trade array longer than the parser's trades: a limit, not a crash */
	char big[4096];
	size_t n = (size_t)snprintf(big, sizeof(big), "{\"topic\":\"publicTrade.X\",\"ts\":1,\"data\":[");
	for (int i = 0; i < 17; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
				      "%s{\"T\":1,\"s\":\"X\",\"S\":\"Buy\",\"v\":\"1\",\"p\":\"1\",\"i\":\"%d\"}",
				      i ? "," : "", i);
	snprintf(big + n, sizeof(big) - n, "]}");
	CHECK(parse(big) == -FX_E_FEED_LEVELS);
}

static void truncations(void)
{
	for (size_t s = 0; s < NSAMPLES; s++) {
		size_t n = strlen(samples[s]);

		for (size_t k = 0; k < n; k++) {
			char *b = malloc(k ? k : 1);
			const char *nm;

			memcpy(b, samples[s], k);
			CHECKF(bybit_parse(P, b, k, &M) < 0, "sample %zu prefix %zu parsed", s, k);
			(void)bybit_control((const uint8_t *)b, k);
			(void)bybit_scan_event_ms((const uint8_t *)b, k);
			(void)bybit_scan_stream((const uint8_t *)b, k, &nm);
			free(b);
		}
	}
}

static void subscribe(void)
{
	const char *s[] = {"orderbook.50.BTCUSDT", "publicTrade.BTCUSDT"};
	char out[256];
	int n = bybit_subscribe_request(s, 2, 1, out, sizeof(out));

	REQUIRE(n > 0);
	CHECK(!strcmp(out, "{\"op\":\"subscribe\",\"args\":[\"orderbook.50.BTCUSDT\","
			   "\"publicTrade.BTCUSDT\"]}"));
	CHECK(bybit_subscribe_request(s, 2, 1, out, 30) == -ENOSPC);
	const char *bad[] = {"orderbook.50.BTC\"USDT"};
	CHECK(bybit_subscribe_request(bad, 1, 1, out, sizeof(out)) == -EINVAL);
	CHECK(bybit_unsubscribe_request(s, 1, 1, out, sizeof(out)) > 0 &&
	      !strcmp(out, "{\"op\":\"unsubscribe\",\"args\":[\"orderbook.50.BTCUSDT\"]}"));
	CHECK(!bybit_stream_ok(""));
	CHECK(bybit_stream_ok("orderbook.1.BTCUSDT"));
	/* the spot limit: feed_link splits at 10 */
	CHECK(venue_bybit.subscribe_max == 10);
	CHECK(venue_bybit_linear.subscribe_max == 0);
	size_t cap = venue_bybit.subscribe_base;
	for (int i = 0; i < 2; i++)
		cap += strlen(s[i]) + venue_bybit.subscribe_per_stream;
	CHECK(bybit_subscribe_request(s, 2, 1, out, cap) == bybit_subscribe_request(s, 2, 1, out, 256));
}

static void control(void)
{
	CHECK(bybit_control((const uint8_t *)SUB_OK, strlen(SUB_OK)) == VENUE_REPLY_OK);
	CHECK(bybit_control((const uint8_t *)SUB_ERR, strlen(SUB_ERR)) == VENUE_REPLY_ERROR);
	CHECK(bybit_control((const uint8_t *)PONG_SPOT, strlen(PONG_SPOT)) == VENUE_CONTROL);
	CHECK(bybit_control((const uint8_t *)PONG_LINEAR, strlen(PONG_LINEAR)) == VENUE_CONTROL);
	for (size_t s = 0; s < 5; s++)
		CHECKF(bybit_control((const uint8_t *)samples[s], strlen(samples[s])) == VENUE_DATA,
		       "sample %zu", s);
	static const char late[] = "{\"ts\":1,\"topic\":\"x\",\"op\":\"ping\"}";
	CHECK(bybit_control((const uint8_t *)late, strlen(late)) == VENUE_DATA);
	CHECK(venue_bybit.classify((const uint8_t *)PONG_SPOT, strlen(PONG_SPOT), 1) == VENUE_DATA);
	CHECK(!strcmp(venue_bybit.keepalive_text, "{\"op\":\"ping\"}"));
	CHECK(venue_bybit.keepalive_every == 20);
}

static void scans(void)
{
	const char *nm = NULL;
	size_t n = bybit_scan_stream((const uint8_t *)SNAP, strlen(SNAP), &nm);

	CHECK(n == strlen("orderbook.50.BTCUSDT") && !memcmp(nm, "orderbook.50.BTCUSDT", n));
	CHECK(bybit_scan_event_ms((const uint8_t *)SNAP, strlen(SNAP)) == 1672304484978ULL);
	CHECK(bybit_scan_event_ms((const uint8_t *)SUB_OK, strlen(SUB_OK)) == 0);
	CHECK(venue_bybit.scan_send_ns((const uint8_t *)SNAP, strlen(SNAP)) == 99);
	CHECK(venue_find(venues, "bybit") == &venue_bybit);
	CHECK(venue_find(venues, "bybit-linear") == &venue_bybit_linear);
	CHECK(venue_find(venues, "bybit-inverse") == &venue_bybit_inverse);
	CHECK(venue_bybit.book_rule == VENUE_BOOK_PLUS_ONE);
}

int main(void)
{
	if (vjson_parser__new(&P, 1024, 64, 16)) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	RUN(book_snapshot);
	RUN(book_delta);
	RUN(bbo);
	RUN(trades);
	RUN(replies);
	RUN(malformed);
	RUN(truncations);
	RUN(subscribe);
	RUN(control);
	RUN(scans);
	vjson_parser__free(P);
	return check_exit();
}

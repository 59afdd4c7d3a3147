/* Tests for the OKX venue: golden messages written from OKX's v5 docs
 * (trades, bbo-tbt, books snapshot and update, books5, events) into exact
 * feed_msg fields; malformed inputs; every truncation of every sample in an
 * exactly-sized heap buffer (ASan); the subscribe request, stream names,
 * control classification (the "pong", subscribe / error / notice events)
 * and the cheap scans. */
#include "check.h"
#include "venue/okx_parse.h"
#include "venue/venue.h"
#include "venue/venue_json.h"
#include "core/fx_err.h"

#include <errno.h>
#include <stdint.h>

static struct vjson_parser *P;
static struct feed_msg M;

static const char TRADES[] =
	"{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"instId\":\"BTC-USDT\","
	"\"tradeId\":\"130639474\",\"px\":\"42219.9\",\"sz\":\"0.12060306\",\"side\":\"buy\","
	"\"ts\":\"1630048897897\",\"count\":\"3\",\"source\":\"0\",\"seqId\":1234},"
	"{\"instId\":\"BTC-USDT\",\"tradeId\":\"130639475\",\"px\":\"42219.8\",\"sz\":\"1\","
	"\"side\":\"sell\",\"ts\":\"1630048897898\",\"count\":\"1\",\"source\":\"0\",\"seqId\":1235}]}";
static const char SNAP[] =
	"{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"action\":\"snapshot\",\"data\":[{"
	"\"asks\":[[\"8476.98\",\"415\",\"0\",\"13\"],[\"8477\",\"7\",\"0\",\"2\"]],"
	"\"bids\":[[\"8476.97\",\"256\",\"0\",\"12\"]],\"ts\":\"1597026383085\",\"checksum\":0,"
	"\"prevSeqId\":-1,\"seqId\":123456}],\"ts_ns\":77}";
static const char UPDATE[] =
	"{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"action\":\"update\",\"data\":[{"
	"\"asks\":[[\"8476.98\",\"0\",\"0\",\"0\"]],\"bids\":[],\"ts\":\"1597026383086\","
	"\"checksum\":0,\"prevSeqId\":123456,\"seqId\":123463}]}";
static const char BBO[] =
	"{\"arg\":{\"channel\":\"bbo-tbt\",\"instId\":\"BCH-USDT-SWAP\"},\"data\":[{"
	"\"asks\":[[\"111.06\",\"55154\",\"0\",\"2\"]],\"bids\":[[\"111.05\",\"57745\",\"0\",\"2\"]],"
	"\"ts\":\"1670324386802\",\"seqId\":363996337}]}";
static const char BOOKS5[] =
	"{\"arg\":{\"channel\":\"books5\",\"instId\":\"BCH-USDT-SWAP\"},\"data\":[{"
	"\"asks\":[[\"111.06\",\"55154\",\"0\",\"2\"]],\"bids\":[[\"111.05\",\"57745\",\"0\",\"2\"]],"
	"\"instId\":\"BCH-USDT-SWAP\",\"ts\":\"1670324386802\",\"seqId\":363996337}]}";
static const char SUB_OK[] =
	"{\"event\":\"subscribe\",\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},"
	"\"connId\":\"a4d3ae55\"}";
static const char SUB_ERR[] =
	"{\"event\":\"error\",\"code\":\"60012\",\"msg\":\"Invalid request: {\\\"op\\\": "
	"\\\"subscribe\\\"}\",\"connId\":\"a4d3ae55\"}";
static const char NOTICE[] =
	"{\"event\":\"notice\",\"code\":\"64008\",\"msg\":\"The connection will soon be closed for "
	"a service upgrade.\",\"connId\":\"a4d3ae55\"}";

static const char *const samples[] = {TRADES, SNAP, UPDATE, BBO, BOOKS5, SUB_OK, SUB_ERR, NOTICE};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static int parse(const char *s)
{
	return okx_parse(P, s, strlen(s), &M);
}

static int str_is(struct feed_str s, const char *want)
{
	return s.ptr && s.len == strlen(want) && !memcmp(s.ptr, want, s.len);
}

static void trades(void)
{
	REQUIRE(parse(TRADES) == 0);
	CHECK(M.type == FEED_MSG_TRADE);
	CHECK(str_is(M.symbol, "BTC-USDT"));
	CHECK(str_is(M.event, "trades"));
	CHECK(str_is(M.stream, "trades:BTC-USDT"));
	CHECK(M.n_trades == 2);
	CHECK(M.id == 130639474 && M.price == 4221990000000LL && M.qty == 12060306);
	CHECK(M.trade_ms == 1630048897897ULL && M.event_ms == 1630048897897ULL);
	CHECK(!M.buyer_maker);
	REQUIRE(M.trades);
	CHECK(M.trades[1].id == 130639475 && M.trades[1].price == 4221980000000LL);
	CHECK(M.trades[1].qty == 100000000 && M.trades[1].buyer_maker);
	CHECK(M.trades[1].trade_ms == 1630048897898ULL);
	CHECK(str_is(M.trades[1].id_str, "130639475"));
	CHECK(!(M.fields & FEED_F_TS_NS));
}

static void books_snapshot(void)
{
	REQUIRE(parse(SNAP) == 0);
	CHECK(M.type == FEED_MSG_DEPTH);
	CHECK(M.fields & FEED_F_SNAPSHOT);
	CHECK(!(M.fields & FEED_F_PREV_ID));
	CHECK(M.last_id == 123456 && M.first_id == 123456);
	CHECK(M.event_ms == 1597026383085ULL);
	CHECK(M.n_bids == 1 && M.n_asks == 2);
	CHECK(M.bids[0].price == 847697000000LL && M.bids[0].qty == 25600000000LL);
	CHECK(M.asks[0].price == 847698000000LL && M.asks[0].qty == 41500000000LL);
	CHECK(M.asks[1].price == 847700000000LL && M.asks[1].qty == 700000000LL);
	CHECK((M.fields & FEED_F_TS_NS) && M.ts_ns == 77);
	CHECK(str_is(M.symbol, "BTC-USDT") && str_is(M.stream, "books:BTC-USDT"));
}

static void books_update(void)
{
	REQUIRE(parse(UPDATE) == 0);
	CHECK(M.type == FEED_MSG_DEPTH);
	CHECK(!(M.fields & FEED_F_SNAPSHOT));
	CHECK((M.fields & FEED_F_PREV_ID) && M.prev_id == 123456);
	CHECK(M.last_id == 123463);
	CHECK(M.n_bids == 0 && M.n_asks == 1 && M.asks[0].qty == 0);
}

static void bbo(void)
{
	REQUIRE(parse(BBO) == 0);
	CHECK(M.type == FEED_MSG_BOOK_TICKER);
	CHECK(M.id == 363996337);
	CHECK(M.bid_px == 11105000000LL && M.bid_qty == 5774500000000LL);
	CHECK(M.ask_px == 11106000000LL && M.ask_qty == 5515400000000LL);
	CHECK(M.event_ms == 1670324386802ULL);
	CHECK(str_is(M.symbol, "BCH-USDT-SWAP"));
}

static void books5(void)
{
	REQUIRE(parse(BOOKS5) == 0);
	CHECK(M.type == FEED_MSG_DEPTH && (M.fields & FEED_F_SNAPSHOT));
	CHECK(M.last_id == 363996337 && M.n_bids == 1 && M.n_asks == 1);
}

static void events(void)
{
	REQUIRE(parse(SUB_OK) == 0);
	CHECK(M.type == FEED_MSG_REPLY);
	CHECK(str_is(M.result, "{\"channel\":\"books\",\"instId\":\"BTC-USDT\"}"));
	REQUIRE(parse(SUB_ERR) == 0);
	CHECK(M.type == FEED_MSG_ERROR_REPLY && M.err_code == 60012);
	CHECK(M.err_msg.len > 10);
	REQUIRE(parse(NOTICE) == 0);
	CHECK(M.type == FEED_MSG_UNKNOWN && str_is(M.event, "notice"));
}

static void malformed(void)
{
	static const struct {
		const char *s;
		int rc;
	} t[] = {
	    {"[]", -FX_E_FEED_NOT_OBJECT},
	    {"{\"arg\":{\"channel\":\"books\",\"instId\":\"X\"},\"action\":\"update\",\"data\":[{"
	     "\"asks\":[],\"bids\":[],\"ts\":\"1\",\"seqId\":2}]}",
	     -FX_E_FEED_MISSING}, /* no prevSeqId */
	    {"{\"arg\":{\"channel\":\"books\",\"instId\":\"X\"},\"action\":\"upd\",\"data\":[{"
	     "\"asks\":[],\"bids\":[],\"ts\":\"1\",\"prevSeqId\":1,\"seqId\":2}]}",
	     -FX_E_FEED_TYPE},
	    {"{\"arg\":{\"channel\":\"books\",\"instId\":\"X\"},\"action\":\"update\",\"data\":[{"
	     "\"asks\":[],\"bids\":[],\"ts\":\"1\",\"prevSeqId\":-2,\"seqId\":2}]}",
	     -FX_E_FEED_RANGE},
	    {"{\"arg\":{\"channel\":\"books\",\"instId\":\"X\"},\"action\":\"update\",\"data\":[{"
	     "\"asks\":[[\"1\"]],\"bids\":[],\"ts\":\"1\",\"prevSeqId\":1,\"seqId\":2}]}",
	     -FX_E_FEED_TYPE},
	    {"{\"arg\":{\"channel\":\"trades\",\"instId\":\"X\"},\"data\":[{\"tradeId\":\"1\","
	     "\"px\":\"1.123456789\",\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1\"}]}",
	     -FX_E_FEED_DECIMAL},
	    {"{\"arg\":{\"channel\":\"trades\",\"instId\":\"X\"},\"data\":[{\"tradeId\":\"1\","
	     "\"px\":\"1\",\"sz\":\"1\",\"side\":\"up\",\"ts\":\"1\"}]}",
	     -FX_E_FEED_TYPE},
	    {"{\"arg\":{\"channel\":\"trades\",\"instId\":\"X\"},\"data\":[]}", -FX_E_FEED_MISSING},
	    {"{\"arg\":{\"channel\":\"trades\",\"instId\":\"X\"},\"data\":{}}", -FX_E_FEED_TYPE},
	    {"{\"arg\":{\"channel\":\"trades\"},\"data\":[]}", -FX_E_FEED_MISSING},
	    {"{\"arg\":{\"channel\":\"trades\",\"instId\":\"X\"},\"data\":[{\"tradeId\":\"1\","
	     "\"px\":\"1\",\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1x\"}]}",
	     -FX_E_FEED_TYPE},
	    {"{\"arg\":1,\"data\":[]}", -FX_E_FEED_NOT_OBJECT},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = parse(t[i].s);

		CHECKF(r == t[i].rc, "case %zu: %d, want %d", i, r, t[i].rc);
		CHECKF(M.type == FEED_MSG_UNKNOWN, "case %zu: type %d", i, M.type);
	}
	/* an unknown channel is not an error */
	CHECK(parse("{\"arg\":{\"channel\":\"tickers\",\"instId\":\"X\"},\"data\":[{}]}") == 0);
	CHECK(M.type == FEED_MSG_UNKNOWN && str_is(M.event, "tickers"));
}

static void truncations(void)
{
	for (size_t s = 0; s < NSAMPLES; s++) {
		size_t n = strlen(samples[s]);

		for (size_t k = 0; k < n; k++) {
			char *b = malloc(k ? k : 1);

			memcpy(b, samples[s], k);
			int r = okx_parse(P, b, k, &M);
			CHECKF(r < 0, "sample %zu prefix %zu parsed", s, k);
			(void)okx_control((const uint8_t *)b, k);
			(void)okx_scan_event_ms((const uint8_t *)b, k);
			const char *nm;
			(void)okx_scan_stream((const uint8_t *)b, k, &nm);
			free(b);
		}
	}
}

static void subscribe(void)
{
	const char *s[] = {"books:BTC-USDT", "trades:ETH-USDT-SWAP"};
	char out[256];
	int n = okx_subscribe_request(s, 2, 1, out, sizeof(out));

	REQUIRE(n > 0);
	CHECK(!strcmp(out, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"books\",\"instId\":"
			   "\"BTC-USDT\"},{\"channel\":\"trades\",\"instId\":\"ETH-USDT-SWAP\"}]}"));
	CHECK((size_t)n == strlen(out));
	CHECK(okx_subscribe_request(s, 2, 1, out, 40) == -ENOSPC);
	const char *bad[] = {"books"};
	CHECK(okx_subscribe_request(bad, 1, 1, out, sizeof(out)) == -EINVAL);
	n = okx_unsubscribe_request(s, 1, 1, out, sizeof(out));
	CHECK(n > 0 && !strcmp(out, "{\"op\":\"unsubscribe\",\"args\":[{\"channel\":\"books\","
				     "\"instId\":\"BTC-USDT\"}]}"));
	CHECK(venue_okx.unsubscribe_request == okx_unsubscribe_request);
	CHECK(okx_stream_ok("bbo-tbt:BTC-USDT"));
	CHECK(!okx_stream_ok("books:"));
	CHECK(!okx_stream_ok(":BTC"));
	CHECK(!okx_stream_ok("books:BTC\"USDT"));
	CHECK(!okx_stream_ok("books:a:b"));
	/* what the table promises feed_link: a request fits its size estimate */
	size_t cap = venue_okx.subscribe_base;
	for (int i = 0; i < 2; i++)
		cap += strlen(s[i]) + venue_okx.subscribe_per_stream;
	CHECK(okx_subscribe_request(s, 2, 1, out, cap) == okx_subscribe_request(s, 2, 1, out, 256));
}

static void control(void)
{
	CHECK(okx_control((const uint8_t *)"pong", 4) == VENUE_CONTROL);
	CHECK(okx_control((const uint8_t *)"pon", 3) == VENUE_DATA);
	CHECK(okx_control((const uint8_t *)SUB_OK, strlen(SUB_OK)) == VENUE_REPLY_OK);
	CHECK(okx_control((const uint8_t *)SUB_ERR, strlen(SUB_ERR)) == VENUE_REPLY_ERROR);
	CHECK(okx_control((const uint8_t *)NOTICE, strlen(NOTICE)) == VENUE_CONTROL);
	for (size_t s = 0; s < 5; s++)
		CHECKF(okx_control((const uint8_t *)samples[s], strlen(samples[s])) == VENUE_DATA,
		       "sample %zu", s);
	/* "event" not first */
	static const char late[] = "{\"connId\":\"x\",\"event\":\"subscribe\"}";
	CHECK(okx_control((const uint8_t *)late, strlen(late)) == VENUE_REPLY_OK);
	/* classify (for the pending reply) never says control */
	CHECK(venue_okx.classify((const uint8_t *)"pong", 4, 1) == VENUE_DATA);
	CHECK(venue_okx.classify((const uint8_t *)SUB_OK, strlen(SUB_OK), 1) == VENUE_REPLY_OK);
}

static void scans(void)
{
	const char *nm = NULL;
	size_t n = okx_scan_stream((const uint8_t *)SNAP, strlen(SNAP), &nm);

	CHECK(n == strlen("books:BTC-USDT") && !memcmp(nm, "books:BTC-USDT", n));
	CHECK(okx_scan_stream((const uint8_t *)SUB_OK, strlen(SUB_OK), &nm) == 0);
	CHECK(okx_scan_event_ms((const uint8_t *)SNAP, strlen(SNAP)) == 1597026383085ULL);
	CHECK(okx_scan_event_ms((const uint8_t *)TRADES, strlen(TRADES)) == 1630048897898ULL);
	CHECK(venue_okx.scan_send_ns((const uint8_t *)SNAP, strlen(SNAP)) == 77);
	CHECK(venue_find(venues, "okx") == &venue_okx);
	CHECK(venue_okx.book_rule == VENUE_BOOK_PREV_ID);
	CHECK(venue_okx.keepalive_text && !strcmp(venue_okx.keepalive_text, "ping"));
	CHECK(venue_okx.idle_timeout > 0 && venue_okx.idle_timeout / 2 < 30);
}

int main(void)
{
	if (vjson_parser__new(&P, 1024, 64, 16)) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	RUN(trades);
	RUN(books_snapshot);
	RUN(books_update);
	RUN(bbo);
	RUN(books5);
	RUN(events);
	RUN(malformed);
	RUN(truncations);
	RUN(subscribe);
	RUN(control);
	RUN(scans);
	vjson_parser__free(P);
	return check_exit();
}

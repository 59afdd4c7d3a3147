/* Tests for feed_parse: every message type, the envelope, replies, decimal
 * edge cases, a table of malformed inputs with their error codes, every
 * truncation prefix of every sample (in exactly-sized heap buffers for ASan
 * and against a PROT_NONE guard page), and thousands of seeded random
 * mutations that must never crash or break the output's invariants. */
#include "check.h"
#include "venue/binance_parse.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define NTOKS 256
#define NLEVELS 16

static struct json_tok toks[NTOKS];
static struct feed_level levels[NLEVELS];
static struct binance_parser P;
static struct feed_msg M;

static const char TRADE[] =
	"{\"e\":\"trade\",\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":3123456789,"
	"\"p\":\"43210.12000000\",\"q\":\"0.00150000\",\"T\":1700000000122,\"m\":true,"
	"\"M\":true,\"ts_ns\":123456789012345}";
static const char AGG[] =
	"{\"e\":\"aggTrade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"a\":12345,"
	"\"p\":\"0.001\",\"q\":\"100\",\"f\":100,\"l\":105,\"T\":1672515782136,"
	"\"m\":false,\"M\":true}";
static const char BOOK[] =
	"{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\","
	"\"a\":\"25.36520000\",\"A\":\"40.66000000\"}";
static const char DEPTH[] =
	"{\"e\":\"depthUpdate\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"U\":157,\"u\":160,"
	"\"b\":[[\"0.0024\",\"10\"],[\"0.0023\",\"0.5\"],[\"0.0022\",\"0\"]],"
	"\"a\":[[\"0.0026\",\"100\"],[\"0.0027\",\"1.25\"]],\"ts_ns\":42}";
static const char ENVELOPE[] =
	"{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\","
	"\"t\":2,\"p\":\"3.5\",\"q\":\"4\",\"T\":5,\"m\":false,\"ts_ns\":6}}";
static const char REPLY[] = "{\"result\":null,\"id\":1}";
static const char REPLY_LIST[] = "{\"result\":[\"btcusdt@aggTrade\",\"btcusdt@depth\"],\"id\":3}";
static const char ERROR_REPLY[] =
	"{\"error\":{\"code\":-1121,\"msg\":\"Invalid symbol: \\\"FOO\\\"\"},\"id\":7}";

static const char *const samples[] = { TRADE, AGG, BOOK, DEPTH, ENVELOPE, REPLY, REPLY_LIST,
				       ERROR_REPLY };
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static int parse(const char *s)
{
	return binance_parse(&P, s, strlen(s), &M);
}

static int str_is(struct feed_str s, const char *want)
{
	return s.ptr && s.len == strlen(want) && !memcmp(s.ptr, want, s.len);
}

static void trade(void)
{
	REQUIRE(parse(TRADE) == 0);
	CHECK(M.type == FEED_MSG_TRADE);
	CHECK(str_is(M.symbol, "BTCUSDT"));
	CHECK(str_is(M.event, "trade"));
	CHECK(M.event_ms == 1700000000123ull);
	CHECK(M.trade_ms == 1700000000122ull);
	CHECK(M.id == 3123456789ull);
	CHECK(M.price == 4321012000000LL);
	CHECK(M.qty == 150000);
	CHECK(M.buyer_maker && M.best_match);
	CHECK(M.ts_ns == 123456789012345ull);
	CHECK(M.fields == (FEED_F_EVENT_MS | FEED_F_TRADE_MS | FEED_F_TS_NS | FEED_F_BEST_MATCH));
	CHECK(M.stream.ptr == NULL);
	CHECK(!strcmp(feed_msg_type_name(M.type), "trade"));

	/* without the optional M and ts_ns */
	REQUIRE(parse("{\"e\":\"trade\",\"E\":1,\"s\":\"X\",\"t\":0,\"p\":\"1\",\"q\":\"2\","
		      "\"T\":3,\"m\":false}") == 0);
	CHECK(M.type == FEED_MSG_TRADE && !(M.fields & (FEED_F_TS_NS | FEED_F_BEST_MATCH)));
	CHECK(M.price == FEED_SCALE && M.qty == 2 * FEED_SCALE && !M.buyer_maker);
}

static void agg_trade(void)
{
	REQUIRE(parse(AGG) == 0);
	CHECK(M.type == FEED_MSG_AGG_TRADE);
	CHECK(str_is(M.symbol, "BNBBTC"));
	CHECK(M.id == 12345 && M.first_id == 100 && M.last_id == 105);
	CHECK(M.price == 100000 && M.qty == 100 * FEED_SCALE);
	CHECK(!M.buyer_maker && M.best_match);
	CHECK(M.event_ms == 1672515782136ull && M.trade_ms == 1672515782136ull);
}

static void book_ticker(void)
{
	REQUIRE(parse(BOOK) == 0);
	CHECK(M.type == FEED_MSG_BOOK_TICKER);
	CHECK(M.id == 400900217);
	CHECK(str_is(M.symbol, "BNBUSDT"));
	CHECK(M.bid_px == 2535190000LL && M.bid_qty == 3121000000LL);
	CHECK(M.ask_px == 2536520000LL && M.ask_qty == 4066000000LL);
	CHECK(!(M.fields & FEED_F_EVENT_MS));

	/* futures flavour: "e":"bookTicker" with E and T */
	REQUIRE(parse("{\"e\":\"bookTicker\",\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"1\",\"B\":\"2\","
		      "\"a\":\"3\",\"A\":\"4\",\"T\":5,\"E\":6}") == 0);
	CHECK(M.type == FEED_MSG_BOOK_TICKER && M.event_ms == 6 && M.trade_ms == 5);
	CHECK(M.ask_qty == 4 * FEED_SCALE);
}

static void depth_update(void)
{
	REQUIRE(parse(DEPTH) == 0);
	CHECK(M.type == FEED_MSG_DEPTH);
	CHECK(str_is(M.symbol, "BNBBTC"));
	CHECK(M.first_id == 157 && M.last_id == 160);
	REQUIRE(M.n_bids == 3 && M.n_asks == 2);
	CHECK(M.bids[0].price == 240000 && M.bids[0].qty == 10 * FEED_SCALE);
	CHECK(M.bids[1].price == 230000 && M.bids[1].qty == FEED_SCALE / 2);
	CHECK(M.bids[2].price == 220000 && M.bids[2].qty == 0);
	CHECK(M.asks[0].price == 260000 && M.asks[0].qty == 100 * FEED_SCALE);
	CHECK(M.asks[1].price == 270000 && M.asks[1].qty == 125000000);
	CHECK(M.ts_ns == 42);

	/* empty sides; futures' T and pu */
	REQUIRE(parse("{\"e\":\"depthUpdate\",\"E\":1,\"T\":2,\"s\":\"S\",\"U\":3,\"u\":4,"
		      "\"pu\":2,\"b\":[],\"a\":[]}") == 0);
	CHECK(M.n_bids == 0 && M.n_asks == 0 && M.prev_id == 2 && M.trade_ms == 2);
	CHECK(M.fields & FEED_F_PREV_ID);
}

static void depth_level_capacity(void)
{
	struct binance_parser small;
	struct feed_level lv[5];
	const char *five = "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"S\",\"U\":1,\"u\":2,"
			   "\"b\":[[\"1\",\"1\"],[\"2\",\"1\"],[\"3\",\"1\"]],"
			   "\"a\":[[\"4\",\"1\"],[\"5\",\"1\"]]}";

	binance_parser__init(&small, toks, NTOKS, lv, 5);
	CHECK(binance_parse(&small, five, strlen(five), &M) == 0);
	CHECK(M.n_bids == 3 && M.n_asks == 2 && M.asks[1].price == 5 * FEED_SCALE);
	binance_parser__init(&small, toks, NTOKS, lv, 4);
	CHECK(binance_parse(&small, five, strlen(five), &M) == BINANCE_E_LEVELS);
	binance_parser__init(&small, toks, NTOKS, lv, 2);
	CHECK(binance_parse(&small, five, strlen(five), &M) == BINANCE_E_LEVELS);
	binance_parser__init(&small, toks, NTOKS, lv, 0);
	CHECK(binance_parse(&small, five, strlen(five), &M) == BINANCE_E_LEVELS);
}

static void envelope(void)
{
	REQUIRE(parse(ENVELOPE) == 0);
	CHECK(M.type == FEED_MSG_TRADE);
	CHECK(str_is(M.stream, "btcusdt@trade"));
	CHECK(M.fields & FEED_F_STREAM);
	CHECK(str_is(M.symbol, "BTCUSDT"));
	CHECK(M.id == 2 && M.price == 350000000 && M.qty == 400000000 && M.ts_ns == 6);

	/* data first, stream second */
	REQUIRE(parse("{\"data\":{\"u\":1,\"s\":\"S\",\"b\":\"1\",\"B\":\"2\",\"a\":\"3\","
		      "\"A\":\"4\"},\"stream\":\"s@bookTicker\"}") == 0);
	CHECK(M.type == FEED_MSG_BOOK_TICKER && str_is(M.stream, "s@bookTicker"));

	/* no envelope inside an envelope */
	REQUIRE(parse("{\"stream\":\"a\",\"data\":{\"stream\":\"b\",\"data\":{}}}") == 0);
	CHECK(M.type == FEED_MSG_UNKNOWN);
	CHECK(parse("{\"stream\":\"a\",\"data\":[1]}") == BINANCE_E_NOT_OBJECT);
	CHECK(parse("{\"stream\":1,\"data\":{}}") == BINANCE_E_TYPE);
}

static void replies(void)
{
	REQUIRE(parse(REPLY) == 0);
	CHECK(M.type == FEED_MSG_REPLY);
	CHECK(str_is(M.result, "null"));
	CHECK(M.id == 1 && (M.fields & FEED_F_ID));

	REQUIRE(parse(REPLY_LIST) == 0);
	CHECK(M.type == FEED_MSG_REPLY && M.id == 3);
	CHECK(str_is(M.result, "[\"btcusdt@aggTrade\",\"btcusdt@depth\"]"));

	REQUIRE(parse("{\"result\":\"x\",\"id\":\"abc\"}") == 0);
	CHECK(str_is(M.result, "\"x\"") && str_is(M.id_str, "abc"));
	CHECK((M.fields & FEED_F_ID_STR) && !(M.fields & FEED_F_ID));
	REQUIRE(parse("{\"result\":{\"a\":[]},\"id\":null}") == 0);
	CHECK(str_is(M.result, "{\"a\":[]}") && !(M.fields & (FEED_F_ID | FEED_F_ID_STR)));
	CHECK(parse("{\"result\":null,\"id\":true}") == BINANCE_E_TYPE);
	CHECK(parse("{\"result\":null,\"id\":-1}") == BINANCE_E_RANGE);

	REQUIRE(parse(ERROR_REPLY) == 0);
	CHECK(M.type == FEED_MSG_ERROR_REPLY);
	CHECK(M.err_code == -1121 && M.id == 7);
	CHECK(str_is(M.err_msg, "Invalid symbol: \\\"FOO\\\"")); /* raw, escapes kept */
	REQUIRE(parse("{\"error\":{\"code\":2,\"msg\":\"Invalid request\"},\"id\":null}") == 0);
	CHECK(M.type == FEED_MSG_ERROR_REPLY && M.err_code == 2);
	CHECK(parse("{\"error\":\"bad\",\"id\":1}") == BINANCE_E_NOT_OBJECT);
	CHECK(parse("{\"error\":{\"msg\":\"x\"},\"id\":1}") == BINANCE_E_MISSING);
	CHECK(parse("{\"error\":{\"code\":\"2\",\"msg\":\"x\"}}") == BINANCE_E_TYPE);
	CHECK(parse("{\"error\":{\"code\":-9223372036854775808,\"msg\":\"\"}}") == 0);
	CHECK(M.err_code == INT64_MIN);
	CHECK(parse("{\"error\":{\"code\":-9223372036854775809,\"msg\":\"\"}}") ==
	      BINANCE_E_RANGE);
	CHECK(parse("{\"error\":{\"code\":9223372036854775808,\"msg\":\"\"}}") == BINANCE_E_RANGE);
}

static void unknown_types(void)
{
	REQUIRE(parse("{\"e\":\"kline\",\"E\":1,\"s\":\"BTCUSDT\",\"k\":{\"t\":1}}") == 0);
	CHECK(M.type == FEED_MSG_UNKNOWN);
	CHECK(str_is(M.event, "kline") && str_is(M.symbol, "BTCUSDT"));
	REQUIRE(parse("{}") == 0);
	CHECK(M.type == FEED_MSG_UNKNOWN);
	REQUIRE(parse("{\"foo\":[1,2,{\"bar\":null}]}") == 0);
	CHECK(M.type == FEED_MSG_UNKNOWN);
	/* bookTicker shape needs all six fields */
	REQUIRE(parse("{\"u\":1,\"s\":\"S\",\"b\":\"1\",\"B\":\"2\",\"a\":\"3\"}") == 0);
	CHECK(M.type == FEED_MSG_UNKNOWN);
	CHECK(parse("{\"e\":5}") == BINANCE_E_TYPE);
}

static void duplicate_keys_last_wins(void)
{
	REQUIRE(parse("{\"e\":\"trade\",\"E\":1,\"s\":\"A\",\"t\":1,\"p\":\"1.0\",\"q\":\"1\","
		      "\"T\":1,\"m\":true,\"p\":\"2.0\",\"s\":\"B\"}") == 0);
	CHECK(M.price == 2 * FEED_SCALE);
	CHECK(str_is(M.symbol, "B"));
	/* a bad earlier duplicate is overridden too */
	CHECK(parse("{\"e\":\"trade\",\"E\":1,\"s\":\"A\",\"t\":1,\"p\":\"bad\",\"q\":\"1\","
		    "\"T\":1,\"m\":true,\"p\":\"2.0\"}") == 0);
}

static void decimals(void)
{
	static const struct {
		const char *s;
		int rc;
		int64_t v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "1", 0, 100000000 },
		{ "1.1", 0, 110000000 },
		{ "1.10", 0, 110000000 },
		{ "0.00000001", 0, 1 },
		{ "0.00000000", 0, 0 },
		{ "43210.12000000", 0, 4321012000000LL },
		{ "-2.5", 0, -250000000 },
		{ "-0", 0, 0 },
		{ "007.5", 0, 750000000 },
		{ "0000000000000000000000000001", 0, 100000000 },
		{ "92233720368.54775807", 0, INT64_MAX },
		{ "-92233720368.54775807", 0, -INT64_MAX },
		{ "92233720368.54775808", BINANCE_E_DECIMAL, 0 },
		{ "92233720369", BINANCE_E_DECIMAL, 0 },
		{ "184467440737.09551616", BINANCE_E_DECIMAL, 0 },
		{ "99999999999999999999999", BINANCE_E_DECIMAL, 0 },
		{ "1.123456789", BINANCE_E_DECIMAL, 0 },
		{ "1.000000000", BINANCE_E_DECIMAL, 0 }, /* 9 places even if zero */
		{ "", BINANCE_E_DECIMAL, 0 },
		{ "-", BINANCE_E_DECIMAL, 0 },
		{ ".5", BINANCE_E_DECIMAL, 0 },
		{ "1.", BINANCE_E_DECIMAL, 0 },
		{ "1..2", BINANCE_E_DECIMAL, 0 },
		{ "1.2.3", BINANCE_E_DECIMAL, 0 },
		{ "+1", BINANCE_E_DECIMAL, 0 },
		{ " 1", BINANCE_E_DECIMAL, 0 },
		{ "1 ", BINANCE_E_DECIMAL, 0 },
		{ "1e5", BINANCE_E_DECIMAL, 0 },
		{ "0x10", BINANCE_E_DECIMAL, 0 },
		{ "--1", BINANCE_E_DECIMAL, 0 },
		{ "1,5", BINANCE_E_DECIMAL, 0 },
	};
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = 12345;
		int rc = feed_decimal_parse(cases[i].s, strlen(cases[i].s), &v);
		CHECKF(rc == cases[i].rc, "\"%s\": rc %d", cases[i].s, rc);
		if (!cases[i].rc)
			CHECKF(v == cases[i].v, "\"%s\": %lld", cases[i].s, (long long)v);
		else
			CHECKF(v == 12345, "\"%s\": output written on error", cases[i].s);
	}
	/* length, not NUL, ends the string */
	int64_t v;
	CHECK(feed_decimal_parse("12.5xyz", 4, &v) == 0 && v == 1250000000);
	CHECK(feed_decimal_parse("12.5", 3, &v) == BINANCE_E_DECIMAL); /* "12." */
}

static void malformed_table(void)
{
	static const struct {
		const char *s;
		int rc;
	} cases[] = {
		{ "", BINANCE_E_TRUNCATED },
		{ "   \n", BINANCE_E_TRUNCATED },
		{ "{", BINANCE_E_TRUNCATED },
		{ "{\"a\"", BINANCE_E_TRUNCATED },
		{ "{\"a\":", BINANCE_E_TRUNCATED },
		{ "{\"a\":\"\\u00", BINANCE_E_TRUNCATED },
		{ "{\"a\":tr", BINANCE_E_TRUNCATED },
		{ "{\"a\":-", BINANCE_E_TRUNCATED },
		{ "{\"a\":1e+", BINANCE_E_TRUNCATED },
		{ "[1,2]", BINANCE_E_NOT_OBJECT },
		{ "42", BINANCE_E_NOT_OBJECT },
		{ "\"x\"", BINANCE_E_NOT_OBJECT },
		{ "null", BINANCE_E_NOT_OBJECT },
		{ "}", BINANCE_E_SYNTAX },
		{ "{\"a\":1,}", BINANCE_E_SYNTAX },
		{ "{,}", BINANCE_E_SYNTAX },
		{ "{\"a\":[1,]}", BINANCE_E_SYNTAX },
		{ "{\"a\":[,1]}", BINANCE_E_SYNTAX },
		{ "{\"a\" 1}", BINANCE_E_SYNTAX },
		{ "{\"a\"::1}", BINANCE_E_SYNTAX },
		{ "{a:1}", BINANCE_E_SYNTAX },
		{ "{'a':1}", BINANCE_E_SYNTAX },
		{ "{\"a\":1 \"b\":2}", BINANCE_E_SYNTAX },
		{ "{\"a\":[1}", BINANCE_E_SYNTAX },
		{ "{\"a\":{\"b\":1]}", BINANCE_E_SYNTAX },
		{ "{\"a\":01}", BINANCE_E_SYNTAX },
		{ "{\"a\":tru}", BINANCE_E_SYNTAX },
		{ "{\"a\":True}", BINANCE_E_SYNTAX },
		{ "{\"a\":nul1}", BINANCE_E_SYNTAX },
		{ "{\"a\":truex}", BINANCE_E_SYNTAX },
		{ "{\"a\":+1}", BINANCE_E_SYNTAX },
		{ "{\"a\":.5}", BINANCE_E_SYNTAX },
		{ "{\"a\":NaN}", BINANCE_E_SYNTAX },
		{ "{\"a\":1.}", BINANCE_E_NUMBER },
		{ "{\"a\":-}", BINANCE_E_NUMBER },
		{ "{\"a\":-x}", BINANCE_E_NUMBER },
		{ "{\"a\":1e}", BINANCE_E_NUMBER },
		{ "{\"a\":1.e5}", BINANCE_E_NUMBER },
		{ "{\"a\":\"\\x\"}", BINANCE_E_ESCAPE },
		{ "{\"a\":\"\\u12G4\"}", BINANCE_E_ESCAPE },
		{ "{\"a\":\"\\U1234\"}", BINANCE_E_ESCAPE },
		{ "{\"a\":\"tab\there\"}", BINANCE_E_STRING },
		{ "{\"a\":\"line\nbreak\"}", BINANCE_E_STRING },
		{ "{\"a\":1} x", BINANCE_E_TRAILING },
		{ "{\"a\":1}{}", BINANCE_E_TRAILING },
		{ "{\"a\":1},", BINANCE_E_TRAILING },
		/* valid JSON, invalid message */
		{ "{\"e\":\"trade\",\"E\":1,\"s\":\"S\",\"t\":-1,\"p\":\"1\",\"q\":\"1\",\"T\":1,"
		  "\"m\":true}", BINANCE_E_RANGE },
		{ "{\"e\":\"trade\",\"E\":1,\"s\":\"S\",\"t\":18446744073709551616,\"p\":\"1\","
		  "\"q\":\"1\",\"T\":1,\"m\":true}", BINANCE_E_RANGE },
		{ "{\"e\":\"trade\",\"E\":1,\"s\":\"S\",\"t\":1.5,\"p\":\"1\",\"q\":\"1\",\"T\":1,"
		  "\"m\":true}", BINANCE_E_TYPE },
		{ "{\"e\":\"trade\",\"E\":1e3,\"s\":\"S\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,"
		  "\"m\":true}", BINANCE_E_TYPE },
		{ "{\"e\":\"trade\",\"E\":1,\"s\":\"S\",\"t\":\"1\",\"p\":\"1\",\"q\":\"1\","
		  "\"T\":1,\"m\":true}", BINANCE_E_TYPE },
		{ "{\"e\":\"trade\",\"E\":1,\"s\":\"S\",\"t\":1,\"p\":1.5,\"q\":\"1\",\"T\":1,"
		  "\"m\":true}", BINANCE_E_TYPE },
		{ "{\"e\":\"trade\",\"E\":1,\"s\":\"S\",\"t\":1,\"p\":\"1.123456789\",\"q\":\"1\","
		  "\"T\":1,\"m\":true}", BINANCE_E_DECIMAL },
		{ "{\"e\":\"trade\",\"E\":1,\"s\":\"S\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,"
		  "\"m\":1}", BINANCE_E_TYPE },
		{ "{\"e\":\"trade\",\"E\":1,\"s\":\"S\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,"
		  "\"m\":true,\"M\":null}", BINANCE_E_TYPE },
		{ "{\"e\":\"trade\",\"E\":1,\"s\":7,\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,"
		  "\"m\":true}", BINANCE_E_TYPE },
		{ "{\"e\":\"trade\",\"E\":1,\"s\":\"BTC\\u0055SDT\",\"t\":1,\"p\":\"1\",\"q\":\"1\","
		  "\"T\":1,\"m\":true}", BINANCE_E_TYPE },
		{ "{\"e\":\"trade\",\"E\":1,\"s\":\"S\",\"t\":1,\"p\":\"1\",\"T\":1,\"m\":true}",
		  BINANCE_E_MISSING },
		{ "{\"e\":\"trade\",\"E\":1,\"s\":\"S\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,"
		  "\"m\":true,\"ts_ns\":-5}", BINANCE_E_RANGE },
		{ "{\"e\":\"aggTrade\",\"E\":1,\"s\":\"S\",\"a\":1,\"p\":\"1\",\"q\":\"1\",\"f\":1,"
		  "\"T\":1,\"m\":true}", BINANCE_E_MISSING },
		{ "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"S\",\"U\":1,\"u\":2,\"b\":[]}",
		  BINANCE_E_MISSING },
		{ "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"S\",\"U\":1,\"u\":2,\"b\":{},\"a\":[]}",
		  BINANCE_E_TYPE },
		{ "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"S\",\"U\":1,\"u\":2,\"b\":[\"1\"],"
		  "\"a\":[]}", BINANCE_E_TYPE },
		{ "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"S\",\"U\":1,\"u\":2,"
		  "\"b\":[[\"1\",\"2\",\"3\"]],\"a\":[]}", BINANCE_E_TYPE },
		{ "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"S\",\"U\":1,\"u\":2,"
		  "\"b\":[[\"1\"]],\"a\":[]}", BINANCE_E_TYPE },
		{ "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"S\",\"U\":1,\"u\":2,"
		  "\"b\":[[[\"1\"],\"2\"]],\"a\":[]}", BINANCE_E_TYPE },
		{ "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"S\",\"U\":1,\"u\":2,"
		  "\"b\":[[\"1\",2]],\"a\":[]}", BINANCE_E_TYPE },
		{ "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"S\",\"U\":1,\"u\":2,"
		  "\"b\":[[\"1\",\"x\"]],\"a\":[]}", BINANCE_E_DECIMAL },
		{ "{\"u\":1,\"s\":\"S\",\"b\":\"1\",\"B\":\"2\",\"a\":\"3\",\"A\":4}",
		  BINANCE_E_TYPE },
	};
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].s);
		CHECKF(rc == cases[i].rc, "case %u %s: got %d (%s), want %d", i, cases[i].s, rc,
		       fx_strerror(rc), cases[i].rc);
		CHECKF(M.type == FEED_MSG_UNKNOWN || rc == 0, "case %u: type set on error", i);
	}
	/* trailing whitespace is fine */
	CHECK(parse("{\"result\":null,\"id\":1} \r\n\t") == 0 && M.type == FEED_MSG_REPLY);
	/* leading whitespace too */
	CHECK(parse(" \n{\"result\":null,\"id\":1}") == 0 && M.type == FEED_MSG_REPLY);
}

static void nul_bytes(void)
{
	static const char in_string[] = "{\"s\":\"a\0b\"}";
	static const char outside[] = "{\"a\":1\0}";

	CHECK(binance_parse(&P, in_string, sizeof(in_string) - 1, &M) == BINANCE_E_STRING);
	CHECK(binance_parse(&P, outside, sizeof(outside) - 1, &M) == BINANCE_E_SYNTAX);
}

static void nesting_limit(void)
{
	char buf[256];
	int n;

	/* JSON_MAX_DEPTH levels: the object plus MAX-1 arrays parse */
	n = snprintf(buf, sizeof(buf), "{\"a\":");
	for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
		buf[n++] = '[';
	for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = 0;
	CHECKF(parse(buf) == 0, "%s", buf);
	/* one more: refused */
	n = snprintf(buf, sizeof(buf), "{\"a\":");
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		buf[n++] = '[';
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = 0;
	CHECK(parse(buf) == BINANCE_E_DEPTH);
	/* deep garbage that never closes fails the same way, not by recursion */
	memset(buf, '[', 200);
	CHECK(binance_parse(&P, buf, 200, &M) == BINANCE_E_DEPTH);
}

static void token_limit(void)
{
	struct binance_parser small;
	int n = json_tokenize(TRADE, strlen(TRADE), toks, NTOKS);

	REQUIRE(n > 0);
	binance_parser__init(&small, toks, (uint32_t)n, levels, NLEVELS);
	CHECK(binance_parse(&small, TRADE, strlen(TRADE), &M) == 0);
	binance_parser__init(&small, toks, (uint32_t)n - 1, levels, NLEVELS);
	CHECK(binance_parse(&small, TRADE, strlen(TRADE), &M) == BINANCE_E_TOKENS);
	binance_parser__init(&small, toks, 0, levels, NLEVELS);
	CHECK(binance_parse(&small, TRADE, strlen(TRADE), &M) == BINANCE_E_TOKENS);
	fprintf(stderr, "trade message: %zu bytes, %d tokens\n", strlen(TRADE), n);
}

static void strerror_all(void)
{
	for (int o = 0; o <= 30; o++) {
		const char *s = fx_strerror(o ? -(FX_E_FEED_BASE + o) : 0);
		CHECK(s && *s);
	}
	CHECK(!strcmp(fx_strerror(BINANCE_E_TRUNCATED),
		      "JSON truncated: input ends inside a value"));
	CHECK(strstr(fx_strerror(-(FX_E_FEED_BASE + 99)), "unknown") != NULL);
	CHECK(strstr(fx_strerror(1), "unknown") != NULL);
}

/* Parse from an exactly-sized heap copy: ASan flags any read past len. */
static int parse_exact(const char *s, size_t len, struct feed_msg *m)
{
	char *b = malloc(len ? len : 1);
	if (!b)
		abort();
	memcpy(b, s, len);
	int rc = binance_parse(&P, b, len, m);
	/* pointers into the input must stay inside it */
	if (rc == 0) {
		const struct feed_str *strs[] = { &m->stream, &m->event, &m->symbol, &m->result,
						  &m->id_str, &m->err_msg };
		for (unsigned int i = 0; i < 6; i++)
			if (strs[i]->ptr &&
			    (strs[i]->ptr < b || strs[i]->ptr + strs[i]->len > b + len))
				rc = 1000; /* reported by the caller */
		if (m->n_bids + m->n_asks > P.nlevels)
			rc = 1001;
	}
	free(b);
	return rc;
}

static void every_truncation_prefix(void)
{
	for (unsigned int k = 0; k < NSAMPLES; k++) {
		size_t len = strlen(samples[k]);
		CHECKF(parse_exact(samples[k], len, &M) == 0, "sample %u whole", k);
		for (size_t n = 0; n < len; n++) {
			int rc = parse_exact(samples[k], n, &M);
			CHECKF(rc == BINANCE_E_TRUNCATED, "sample %u prefix %zu: %d", k, n, rc);
		}
	}
}

/* The same prefixes ending exactly at a PROT_NONE page: without ASan too, a
 * read past the end faults. */
static void guard_page(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);

	REQUIRE(map != MAP_FAILED);
	REQUIRE(mprotect(map + pg, (size_t)pg, PROT_NONE) == 0);
	char *end = map + pg;
	for (unsigned int k = 0; k < NSAMPLES; k++) {
		size_t len = strlen(samples[k]);
		for (size_t n = 0; n <= len; n++) {
			memcpy(end - n, samples[k], n);
			int rc = binance_parse(&P, end - n, n, &M);
			CHECKF(n == len ? rc == 0 : rc == BINANCE_E_TRUNCATED, "sample %u len %zu", k,
			       n);
		}
	}
	munmap(map, (size_t)pg * 2);
}

static uint64_t rs = 0x1234567887654321ull;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static int known_rc(int rc)
{
	int o = rc < 0 ? -rc - FX_E_FEED_BASE : 0; /* offset in feed_parse's block */

	return rc == 0 || (o >= 1 && o <= 6) || (o >= 10 && o <= 13) || (o >= 20 && o <= 24);
}

static void random_mutations(void)
{
	static const char alphabet[] = "{}[]\":,\\.-+eE0123456789tfnulrsaxbu \t\n\x01\xff";
	char buf[1024];
	int ok = 0, err = 0, iters = 50000;
	int seen[64] = { 0 };

	for (int it = 0; it < iters; it++) {
		const char *src = samples[rnd() % NSAMPLES];
		size_t len = strlen(src);
		memcpy(buf, src, len);
		int nmut = 1 + (int)(rnd() % 4);
		for (int k = 0; k < nmut && len > 0; k++) {
			size_t at = rnd() % len;
			switch (rnd() % 5) {
			case 0: /* replace with a JSON-ish byte */
				buf[at] = alphabet[rnd() % (sizeof(alphabet) - 1)];
				break;
			case 1: /* replace with any byte */
				buf[at] = (char)rnd();
				break;
			case 2: /* delete */
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			case 3: /* insert */
				if (len < sizeof(buf) - 1) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = alphabet[rnd() % (sizeof(alphabet) - 1)];
					len++;
				}
				break;
			default: { /* duplicate a chunk */
				size_t n = 1 + rnd() % 16;
				if (at + n > len)
					n = len - at;
				if (len + n < sizeof(buf)) {
					memmove(buf + at + n, buf + at, len - at);
					len += n;
				}
				break;
			}
			}
		}
		int rc = parse_exact(buf, len, &M);
		CHECKF(known_rc(rc), "iteration %d: rc %d for %.*s", it, rc, (int)len, buf);
		if (rc == 0)
			ok++;
		else
			err++;
		if (rc < 0 && -rc - FX_E_FEED_BASE < 64)
			seen[-rc - FX_E_FEED_BASE] = 1;
	}
	int kinds = 0;
	for (int i = 1; i < 64; i++)
		kinds += seen[i];
	/* the mutations must actually exercise both outcomes and many errors */
	CHECKF(ok > 100 && err > iters / 2 && kinds >= 8, "ok %d err %d kinds %d", ok, err,
	       kinds);
	fprintf(stderr, "random_mutations: %d parsed, %d rejected, %d error kinds\n", ok, err,
		kinds);
}

static void new_and_free(void)
{
	struct binance_parser *p;
	binance_parser__new(&p, 64, 8);

	REQUIRE(p);
	CHECK(p->ntoks == 64 && p->nlevels == 8);
	CHECK(binance_parse(p, DEPTH, strlen(DEPTH), &M) == 0 && M.n_bids == 3);
	binance_parser__free(p);
	binance_parser__free(NULL);
}

/* The scans agree with the parser on real messages and miss nothing else. */
static void scans_agree_with_parse(void)
{
	const char *t = "{\"e\":\"trade\",\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":1,"
			"\"p\":\"1.0\",\"q\":\"2.0\",\"T\":1,\"m\":true,\"M\":true,"
			"\"ts_ns\":987654321}";
	const char *env = "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\","
			  "\"E\":5,\"s\":\"X\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,"
			  "\"m\":true,\"M\":true,\"ts_ns\":42}}";

	CHECK(binance_scan_ts_ns((const uint8_t *)t, strlen(t)) == 987654321);
	CHECK(binance_scan_event_ms((const uint8_t *)t, strlen(t)) == 1700000000123ull);
	CHECK(binance_scan_ts_ns((const uint8_t *)env, strlen(env)) == 42);
	CHECK(binance_scan_event_ms((const uint8_t *)env, strlen(env)) == 5);
	CHECK(binance_scan_ts_ns((const uint8_t *)"{}", 2) == 0);
	CHECK(binance_scan_ts_ns((const uint8_t *)"", 0) == 0);
	CHECK(binance_scan_event_ms((const uint8_t *)"{\"u\":1}", 7) == 0);
	for (size_t n = 0; n < strlen(t); n++) { /* never reads past n */
		uint8_t *c = malloc(n ? n : 1);
		memcpy(c, t, n);
		(void)binance_scan_ts_ns(c, n);
		(void)binance_scan_event_ms(c, n);
		free(c);
	}
}

/* The scans read nothing past n, however short the message: every prefix
 * of real messages (and keys cut anywhere) ends against a PROT_NONE page,
 * as a 1-byte text frame ends a full TLS record's plaintext buffer. */
static void scans_guard_page(void)
{
	static const char *in[] = {
		"1", "{", "\"", "\"ts_ns\":", "\"ts_ns\":7", "\"E\":", "\"E\":12", "\"ts_n",
		("{\"e\":\"trade\",\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":1,"
		 "\"p\":\"1.0\",\"q\":\"2.0\",\"T\":1,\"m\":true,\"M\":true,\"ts_ns\":987654321}"),
	};
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	REQUIRE(map != MAP_FAILED);
	REQUIRE(mprotect(map + pg, (size_t)pg, PROT_NONE) == 0);
	uint8_t *end = map + pg;
	for (size_t k = 0; k < sizeof(in) / sizeof(in[0]); k++) {
		size_t len = strlen(in[k]);
		for (size_t n = 0; n <= len; n++) {
			memcpy(end - n, in[k], n);
			(void)binance_scan_ts_ns(end - n, n);
			(void)binance_scan_event_ms(end - n, n);
		}
	}
	memcpy(end - 10, "\"ts_ns\":42", 10);
	CHECK(binance_scan_ts_ns(end - 10, 10) == 42);
	memcpy(end - 6, "\"E\":12", 6);
	CHECK(binance_scan_event_ms(end - 6, 6) == 12);
	/* "E" ending exactly at byte 64 is inside "the first 64" */
	memset(end - 70, ' ', 60);
	memcpy(end - 10, "\"E\":123456", 10);
	CHECK(binance_scan_event_ms(end - 70, 70) == 123456);
	munmap(map, (size_t)pg * 2);
}

int main(void)
{
	RUN(scans_agree_with_parse);
	RUN(scans_guard_page);
	binance_parser__init(&P, toks, NTOKS, levels, NLEVELS);
	RUN(trade);
	RUN(agg_trade);
	RUN(book_ticker);
	RUN(depth_update);
	RUN(depth_level_capacity);
	RUN(envelope);
	RUN(replies);
	RUN(unknown_types);
	RUN(duplicate_keys_last_wins);
	RUN(decimals);
	RUN(malformed_table);
	RUN(nul_bytes);
	RUN(nesting_limit);
	RUN(token_limit);
	RUN(strerror_all);
	RUN(every_truncation_prefix);
	RUN(guard_page);
	RUN(random_mutations);
	RUN(new_and_free);
	return check_exit();
}

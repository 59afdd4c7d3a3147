/* Tests for sbe_decode: Binance spot SBE frames written here byte by byte
 * from the schema text (stream_1_0.xml: messageHeader, the four templates,
 * groupSizeEncoding / groupSize16Encoding, varString8), never with the
 * encoder or the decoder under test, into exact feed_msg values; a frame of
 * a later version with longer blocks and appended fields; every truncation
 * of every frame, each in an exactly-sized heap block (ASan) and against a
 * PROT_NONE guard page; hostile group counts and lengths; exponents. */
#include "check.h"
#include "core/fx_err.h"
#include "venue/sbe_decode.h"
#include "venue/venue.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define NLEVELS 64
#define NTRADES 16

static struct feed_level levels[NLEVELS];
static struct feed_trade trades[NTRADES];
static struct sbe_decoder D;
static struct feed_msg M;

/* ---- a byte writer: little-endian fields in schema order ---- */
struct w {
	uint8_t b[2048];
	size_t n;
};

static void u8(struct w *w, uint8_t v)
{
	w->b[w->n++] = v;
}
static void u16(struct w *w, uint16_t v)
{
	u8(w, v & 0xff);
	u8(w, v >> 8);
}
static void u32(struct w *w, uint32_t v)
{
	u16(w, v & 0xffff);
	u16(w, v >> 16);
}
static void i64(struct w *w, int64_t v)
{
	for (int i = 0; i < 8; i++)
		u8(w, (uint8_t)((uint64_t)v >> (8 * i)));
}
static void str8(struct w *w, const char *s)
{
	u8(w, (uint8_t)strlen(s));
	for (; *s; s++)
		u8(w, (uint8_t)*s);
}
static void hdr(struct w *w, uint16_t blen, uint16_t tpl, uint16_t schema, uint16_t ver)
{
	u16(w, blen), u16(w, tpl), u16(w, schema), u16(w, ver);
}

/* TradesStreamEvent: 2 trades of BTCUSDT; price exponent -2, qty -5 */
static void frame_trades(struct w *w)
{
	w->n = 0;
	hdr(w, 18, 10000, 1, 0);
	i64(w, 1700000000123456); /* eventTime us */
	i64(w, 1700000000123400); /* transactTime us */
	u8(w, (uint8_t)-2);	  /* priceExponent */
	u8(w, (uint8_t)-5);	  /* qtyExponent */
	u16(w, 25);		  /* trades: blockLength */
	u32(w, 2);		  /* numInGroup */
	i64(w, 3123456789), i64(w, 4321012), i64(w, 150), u8(w, 1);
	i64(w, 3123456790), i64(w, 4321013), i64(w, 200000), u8(w, 0);
	str8(w, "BTCUSDT");
}

static void frame_bba(struct w *w)
{
	w->n = 0;
	hdr(w, 50, 10001, 1, 0);
	i64(w, 1700000000200000);
	i64(w, 400900217); /* bookUpdateId */
	u8(w, (uint8_t)-4), u8(w, (uint8_t)-2);
	i64(w, 253519), i64(w, 3121); /* bid 25.3519 x 31.21 */
	i64(w, 253652), i64(w, 4066); /* ask 25.3652 x 40.66 */
	str8(w, "BNBUSDT");
}

static void frame_snapshot(struct w *w)
{
	w->n = 0;
	hdr(w, 18, 10002, 1, 0);
	i64(w, 1700000000300000);
	i64(w, 777);
	u8(w, 0), u8(w, (uint8_t)-3); /* prices in whole units, qty in 1e-3 */
	u16(w, 16), u16(w, 2);	      /* bids */
	i64(w, 100), i64(w, 1500);
	i64(w, 99), i64(w, 1);
	u16(w, 16), u16(w, 1); /* asks */
	i64(w, 101), i64(w, 250000);
	str8(w, "ETHUSDT");
}

static void frame_diff(struct w *w)
{
	w->n = 0;
	hdr(w, 26, 10003, 1, 0);
	i64(w, 1700000000400000);
	i64(w, 157), i64(w, 160); /* first / last book update id */
	u8(w, (uint8_t)-8), u8(w, (uint8_t)-8);
	u16(w, 16), u16(w, 1);
	i64(w, 240000), i64(w, 1000000000);
	u16(w, 16), u16(w, 2);
	i64(w, 260000), i64(w, 0); /* qty 0: remove */
	i64(w, 270000), i64(w, 125000000);
	str8(w, "BNBBTC");
}

static int dec(const struct w *w)
{
	return sbe_decode(&D, w->b, w->n, &M);
}

static int str_is(struct feed_str s, const char *want)
{
	return s.len == strlen(want) && !memcmp(s.ptr, want, s.len);
}

static void test_trades(void)
{
	struct w w;
	struct feed_trade t;

	frame_trades(&w);
	REQUIRE(dec(&w) == 0);
	CHECK(M.type == FEED_MSG_TRADE);
	CHECK(str_is(M.event, "TradesStreamEvent"));
	CHECK(str_is(M.symbol, "BTCUSDT"));
	CHECK(M.fields == (FEED_F_TIME_US | FEED_F_EVENT_MS | FEED_F_TRADE_MS | FEED_F_BEST_MATCH));
	CHECK(M.event_ms == 1700000000123456ull && M.trade_ms == 1700000000123400ull);
	CHECK(M.best_match);
	REQUIRE(M.n_trades == 2 && M.trades == trades);
	CHECK(feed_msg_trade_count(&M) == 2);
	CHECK(M.id == 3123456789ull && M.price == 4321012000000LL && M.qty == 150000LL &&
	      M.buyer_maker);
	feed_msg_trade(&M, 1, &t);
	CHECK(t.id == 3123456790ull);
	CHECK(t.price == 4321013000000LL); /* 43210.13 */
	CHECK(t.qty == 200000000LL);	   /* 2.00000 */
	CHECK(!t.buyer_maker);
	CHECK(t.trade_ms == 1700000000123400ull);
}

static void test_bba(void)
{
	struct w w;

	frame_bba(&w);
	REQUIRE(dec(&w) == 0);
	CHECK(M.type == FEED_MSG_BOOK_TICKER);
	CHECK(str_is(M.symbol, "BNBUSDT"));
	CHECK(M.id == 400900217);
	CHECK(M.event_ms == 1700000000200000ull);
	CHECK(M.bid_px == 2535190000LL && M.bid_qty == 3121000000LL);
	CHECK(M.ask_px == 2536520000LL && M.ask_qty == 4066000000LL);
	CHECK(feed_msg_trade_count(&M) == 0);
}

static void test_snapshot(void)
{
	struct w w;

	frame_snapshot(&w);
	REQUIRE(dec(&w) == 0);
	CHECK(M.type == FEED_MSG_DEPTH);
	CHECK(M.fields & FEED_F_SNAPSHOT);
	CHECK(M.first_id == 777 && M.last_id == 777);
	REQUIRE(M.n_bids == 2 && M.n_asks == 1);
	CHECK(M.bids[0].price == 10000000000LL && M.bids[0].qty == 150000000LL);
	CHECK(M.bids[1].price == 9900000000LL && M.bids[1].qty == 100000LL);
	CHECK(M.asks[0].price == 10100000000LL && M.asks[0].qty == 25000000000LL);
	CHECK(str_is(M.symbol, "ETHUSDT"));
}

static void test_diff(void)
{
	struct w w;

	frame_diff(&w);
	REQUIRE(dec(&w) == 0);
	CHECK(M.type == FEED_MSG_DEPTH);
	CHECK(!(M.fields & FEED_F_SNAPSHOT));
	CHECK(M.first_id == 157 && M.last_id == 160);
	REQUIRE(M.n_bids == 1 && M.n_asks == 2);
	CHECK(M.bids[0].price == 240000 && M.bids[0].qty == 1000000000);
	CHECK(M.asks[0].price == 260000 && M.asks[0].qty == 0);
	CHECK(M.asks[1].price == 270000 && M.asks[1].qty == 125000000);
	CHECK(str_is(M.symbol, "BNBBTC"));
}

/* Version 1 of a future schema: each root and group entry 7 bytes longer
 * (appended fields), and a new group after the symbol. */
static void test_version_bump(void)
{
	struct w w = {.n = 0};

	hdr(&w, 18 + 7, 10000, 1, 1);
	i64(&w, 5), i64(&w, 6), u8(&w, (uint8_t)-1), u8(&w, 0);
	for (int i = 0; i < 7; i++)
		u8(&w, 0xee); /* a new root field */
	u16(&w, 25 + 7), u32(&w, 1);
	i64(&w, 9), i64(&w, 15), i64(&w, 3), u8(&w, 1);
	for (int i = 0; i < 7; i++)
		u8(&w, 0xdd); /* a new trade field */
	str8(&w, "X");
	u16(&w, 8), u32(&w, 1), i64(&w, -1); /* an appended group */
	REQUIRE(dec(&w) == 0);
	CHECK(M.type == FEED_MSG_TRADE && M.n_trades == 1);
	CHECK(M.id == 9 && M.price == 150000000LL && M.qty == 300000000LL && M.buyer_maker);
	CHECK(M.event_ms == 5 && M.trade_ms == 6);
	CHECK(str_is(M.symbol, "X"));

	/* the depth diff with longer level entries */
	w.n = 0;
	hdr(&w, 26 + 2, 10003, 1, 3);
	i64(&w, 1), i64(&w, 2), i64(&w, 3), u8(&w, 0), u8(&w, 0), u16(&w, 0xffff);
	u16(&w, 16 + 4), u16(&w, 1), i64(&w, 7), i64(&w, 8), u32(&w, 0xcccccccc);
	u16(&w, 16 + 4), u16(&w, 0);
	str8(&w, "Y");
	REQUIRE(dec(&w) == 0);
	CHECK(M.first_id == 2 && M.last_id == 3 && M.n_bids == 1 && M.n_asks == 0);
	CHECK(M.bids[0].price == 700000000LL && M.bids[0].qty == 800000000LL);

	/* an unknown template of the schema: not an error */
	w.n = 0;
	hdr(&w, 4, 10099, 1, 0);
	u32(&w, 0);
	REQUIRE(dec(&w) == 0);
	CHECK(M.type == FEED_MSG_UNKNOWN && M.id == 10099);
}

/* Every prefix of every frame is refused (never read out of bounds): in an
 * exactly-sized heap block, and ending at a PROT_NONE page. */
static void test_truncated(void)
{
	void (*makers[])(struct w *) = {frame_trades, frame_bba, frame_snapshot, frame_diff};
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *area =
	    mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	REQUIRE(area != MAP_FAILED);
	REQUIRE(mprotect(area + pg, (size_t)pg, PROT_NONE) == 0);
	for (size_t k = 0; k < sizeof(makers) / sizeof(makers[0]); k++) {
		struct w w;

		makers[k](&w);
		for (size_t len = 0; len < w.n; len++) {
			uint8_t *h = malloc(len ? len : 1), *g = area + pg - len;
			int r1, r2;

			memcpy(h, w.b, len);
			memcpy(g, w.b, len);
			r1 = sbe_decode(&D, h, len, &M);
			r2 = sbe_decode(&D, g, len, &M);
			free(h);
			CHECKF(r1 == -FX_E_FEED_SBE_SHORT && r2 == r1,
			       "frame %zu cut at %zu: %d (%s)", k, len, r1, fx_strerror(r1));
		}
		memcpy(area + pg - w.n, w.b, w.n);
		CHECK(sbe_decode(&D, area + pg - w.n, w.n, &M) == 0);
	}
	munmap(area, 2 * (size_t)pg);
}

static void test_hostile(void)
{
	struct w w;

	/* a trades count of 2^31-1 with 25-byte entries: refused before any read */
	frame_trades(&w);
	w.b[8 + 18 + 2] = 0xff, w.b[8 + 18 + 3] = 0xff, w.b[8 + 18 + 4] = 0xff,
		     w.b[8 + 18 + 5] = 0x7f;
	CHECK(dec(&w) == -FX_E_FEED_SBE_SHORT);
	/* count 0xffffffff with entries of 0 bytes: the block length is too short */
	frame_trades(&w);
	memset(w.b + 8 + 18, 0, 2);
	memset(w.b + 8 + 18 + 2, 0xff, 4);
	CHECK(dec(&w) == -FX_E_FEED_SBE_BLOCK);
	/* a trade entry of 24 bytes: too short for isBuyerMaker */
	frame_trades(&w);
	w.b[8 + 18] = 24;
	CHECK(dec(&w) == -FX_E_FEED_SBE_BLOCK);
	/* more trades than the decoder holds: counted against the array */
	{
		struct w big = {.n = 0};

		hdr(&big, 18, 10000, 1, 0);
		i64(&big, 1), i64(&big, 1), u8(&big, 0), u8(&big, 0);
		u16(&big, 25), u32(&big, NTRADES + 1);
		for (int i = 0; i < NTRADES + 1; i++)
			i64(&big, i), i64(&big, 1), i64(&big, 1), u8(&big, 0);
		str8(&big, "Z");
		CHECK(dec(&big) == -FX_E_FEED_TRADES);
	}
	/* a level count beyond the bytes, and beyond the level array */
	frame_diff(&w);
	w.b[8 + 26 + 2] = 0xff, w.b[8 + 26 + 3] = 0xff;
	CHECK(dec(&w) == -FX_E_FEED_SBE_SHORT);
	{
		struct w big = {.n = 0};

		hdr(&big, 26, 10003, 1, 0);
		i64(&big, 1), i64(&big, 1), i64(&big, 2), u8(&big, 0), u8(&big, 0);
		u16(&big, 16), u16(&big, NLEVELS / 2 + 1);
		for (int i = 0; i < NLEVELS / 2 + 1; i++)
			i64(&big, i), i64(&big, 1);
		u16(&big, 16), u16(&big, NLEVELS / 2);
		for (int i = 0; i < NLEVELS / 2; i++)
			i64(&big, i), i64(&big, 1);
		str8(&big, "Z");
		CHECK(dec(&big) == -FX_E_FEED_LEVELS);
	}
	/* a symbol length past the end */
	frame_bba(&w);
	w.b[8 + 50] = 200;
	CHECK(dec(&w) == -FX_E_FEED_SBE_SHORT);
	/* a root block shorter than the schema's, and one past the end */
	frame_bba(&w);
	w.b[0] = 49;
	CHECK(dec(&w) == -FX_E_FEED_SBE_BLOCK);
	frame_bba(&w);
	w.b[0] = 0xff, w.b[1] = 0xff;
	CHECK(dec(&w) == -FX_E_FEED_SBE_SHORT);
	/* a control byte in the symbol */
	frame_bba(&w);
	w.b[w.n - 2] = 0x1b;
	CHECK(dec(&w) == -FX_E_FEED_SBE_SYMBOL);
	/* another schema */
	frame_bba(&w);
	w.b[4] = 2;
	CHECK(dec(&w) == -FX_E_FEED_SBE_SCHEMA);
	/* negative ids and times */
	frame_bba(&w);
	w.b[8 + 15] = 0x80; /* bookUpdateId < 0 */
	CHECK(dec(&w) == -FX_E_FEED_RANGE);
	frame_trades(&w);
	w.b[8 + 7] = 0xff; /* eventTime < 0 */
	CHECK(dec(&w) == -FX_E_FEED_RANGE);
	CHECK(fx_strerror(-FX_E_FEED_SBE_SHORT) != NULL);
}

static void test_exponents(void)
{
	int64_t v;

	CHECK(sbe_to_e8(12345, -2, &v) == 0 && v == 12345000000LL);
	CHECK(sbe_to_e8(-7, 0, &v) == 0 && v == -700000000LL);
	CHECK(sbe_to_e8(1, -8, &v) == 0 && v == 1);
	CHECK(sbe_to_e8(1000, -11, &v) == 0 && v == 1);		    /* 1e-8 exactly */
	CHECK(sbe_to_e8(1001, -11, &v) == -FX_E_FEED_SBE_EXPONENT); /* 1.001e-8 */
	CHECK(sbe_to_e8(1, 10, &v) == 0 && v == 1000000000000000000LL);
	CHECK(sbe_to_e8(10, 10, &v) == -FX_E_FEED_SBE_EXPONENT); /* 1e19 units */
	CHECK(sbe_to_e8(INT64_MAX, -8, &v) == 0 && v == INT64_MAX);
	CHECK(sbe_to_e8(INT64_MAX, -7, &v) == -FX_E_FEED_SBE_EXPONENT);
	CHECK(sbe_to_e8(INT64_MIN, -8, &v) == 0 && v == INT64_MIN);
	CHECK(sbe_to_e8(0, 127, &v) == 0 && v == 0);
	CHECK(sbe_to_e8(0, -128, &v) == 0 && v == 0);
	CHECK(sbe_to_e8(5, -128, &v) == -FX_E_FEED_SBE_EXPONENT);
	CHECK(sbe_to_e8(5, 127, &v) == -FX_E_FEED_SBE_EXPONENT);
	CHECK(sbe_to_e8(-3, -9, &v) == -FX_E_FEED_SBE_EXPONENT);
	CHECK(sbe_to_e8(-30, -9, &v) == 0 && v == -3);
}

/* The venue: binary frames decode, JSON text frames are replies and the
 * serverShutdown event; a reply is never mistaken for data and back. */
static void test_venue(void)
{
	const struct venue *v = venue_find(venues, "binance-sbe");
	static const char reply[] = "{\"result\":null,\"id\":1}";
	static const char shutdown[] = "{\"e\":\"serverShutdown\",\"E\":1700000000000}";
	void *parser = NULL;
	struct w w;

	REQUIRE(v && v->auth_header && !strcmp(v->auth_header, "X-MBX-APIKEY"));
	REQUIRE(v->parser_new(&parser) == 0);
	frame_diff(&w);
	CHECK(v->classify(w.b, w.n, 1) == VENUE_DATA);
	CHECK(v->parse(parser, w.b, w.n, &M) == 0 && M.type == FEED_MSG_DEPTH && M.last_id == 160);
	CHECK(v->scan_event_ms(w.b, w.n) == 1700000000400000ull);
	CHECK(v->classify((const uint8_t *)reply, sizeof(reply) - 1, 1) == VENUE_REPLY_OK);
	CHECK(v->parse(parser, (const uint8_t *)reply, sizeof(reply) - 1, &M) == 0 &&
	      M.type == FEED_MSG_REPLY);
	CHECK(v->parse(parser, (const uint8_t *)shutdown, sizeof(shutdown) - 1, &M) == 0 &&
	      str_is(M.event, "serverShutdown"));
	CHECK(v->parse(parser, (const uint8_t *)"\x01\x02", 2, &M) == -FX_E_FEED_SBE_SHORT);
	CHECK(v->url_streams("/ws/btcusdt@trade") == 1 && v->url_streams("/ws") == 0);
	v->parser_free(parser);
}

int main(void)
{
	sbe_decoder__init(&D, levels, NLEVELS, trades, NTRADES);
	RUN(test_trades);
	RUN(test_bba);
	RUN(test_snapshot);
	RUN(test_diff);
	RUN(test_version_bump);
	RUN(test_truncated);
	RUN(test_hostile);
	RUN(test_exponents);
	RUN(test_venue);
	return check_exit();
}

/* Tests for feedsim's SBE dialect: stream names mapped to feedgen's (and
 * other names refused), the encoder's exponents and layout read back at the
 * schema's offsets, feedgen's messages re-encoded (checked with the decoder,
 * which tests/test_sbe_decode.c checks against hand-written frames), and
 * depth20 snapshots as the sorted top 20 of the book feedgen's stream
 * builds. */
#include "check.h"
#include "sim/feedgen.h"
#include "sim/sbe_encode.h"
#include "sim/sim_sbe.h"
#include "venue/sbe_decode.h"

static struct feed_level levels[4096];
static struct feed_trade trades[16];
static struct sbe_decoder D;

static int map_is(const char *in, const char *want)
{
	char b[256];
	size_t n = strlen(in);

	memcpy(b, in, n + 1);
	n = sim_sbe_map_names(b, n, sizeof(b));
	return n == strlen(want) && !strcmp(b, want);
}

static void test_names(void)
{
	CHECK(map_is("/ws/btcusdt@trade", "/ws/btcusdt@trade"));
	CHECK(map_is("/stream?streams=a@bestBidAsk/b@depth20/c@depth",
		     "/stream?streams=a@bookTicker/b@depth@100ms/c@depth"));
	CHECK(map_is("{\"method\":\"SUBSCRIBE\",\"params\":[\"x@bestBidAsk\"],\"id\":1}",
		     "{\"method\":\"SUBSCRIBE\",\"params\":[\"x@bookTicker\"],\"id\":1}"));
	/* JSON-only streams are not SBE streams */
	CHECK(map_is("/ws/btcusdt@bookTicker", "/ws/btcusdt@notAnSbeStream"));
	CHECK(map_is("/ws/btcusdt@depth@100ms", "/ws/btcusdt@notAnSbeStream"));
	CHECK(map_is("/ws/btcusdt@aggTrade", "/ws/btcusdt@notAnSbeStream"));
	{
		char b[128] =
		    "{\"result\":[\"a@bookTicker\",\"b@depth@100ms\",\"c@aggTrade\"],\"id\":3}";
		size_t n = sim_sbe_unmap_names(b, strlen(b), sizeof(b));

		CHECK(n == strlen(b) &&
		      !strcmp(
			  b,
			  "{\"result\":[\"a@bestBidAsk\",\"b@depth20\",\"c@aggTrade\"],\"id\":3}"));
	}
	{
		char b[8] = "/ws/a@t";

		CHECK(sim_sbe_map_names(b, 7, sizeof(b)) == 0); /* does not fit */
	}
}

static int64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static void test_encode_layout(void)
{
	uint8_t out[256];
	struct feed_trade t = {.id = 42, .price = 4321012000000LL, .qty = 150000LL};
	size_t n = sbe_encode_trades(out, sizeof(out), 7, 6, &t, 1, "BTCUSDT", 7);

	REQUIRE(n == 8 + 18 + 6 + 25 + 1 + 7);
	CHECK(out[0] == 18 && out[2] == 0x10 && out[3] == 0x27 && out[4] == 1 && out[6] == 0);
	CHECK((int8_t)out[8 + 16] == -2 && (int8_t)out[8 + 17] == -4); /* 0.01 tick, 0.0015 */
	CHECK(out[8 + 18] == 25 && out[8 + 20] == 1);
	CHECK(le64(out + 32) == 42 && le64(out + 40) == 4321012 && le64(out + 48) == 15);
	CHECK(out[57] == 7 && !memcmp(out + 58, "BTCUSDT", 7));
	CHECK(sbe_encode_trades(out, n - 1, 7, 6, &t, 1, "BTCUSDT", 7) == 0); /* cap */
}

/* feedgen's JSON re-encoded: what the decoder reads equals the JSON */
static void test_feedgen(void)
{
	struct feedgen_config cfg;
	struct feedgen *g;
	struct sim_sbe *x;
	static char json[FEEDGEN_JSON_MAX];
	static uint8_t out[FEEDGEN_JSON_MAX];
	unsigned seen[FEEDGEN_NKINDS] = {0};
	char name[64];
	size_t nl;

	feedgen_config_default(&cfg);
	REQUIRE(feedgen__new(&g, &cfg) == 0);
	REQUIRE(sim_sbe__new(&x) == 0);
	const char *streams[] = {"btcusdt@trade", "btcusdt@bestBidAsk", "btcusdt@depth",
				 "btcusdt@depth20"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "%s", streams[i]);
		nl = sim_sbe_map_names(name, strlen(name), sizeof(name));
		CHECK(feedgen__subscribe(g, name, nl) == 0);
	}
	for (int i = 0; i < 2000; i++) {
		struct feedgen_clock clk = {.wall_ms = 1700000000000000LL + i, .mono_ns = -1};
		enum feedgen_kind kind;
		ssize_t n = feedgen__next(g, json, sizeof(json), false, &clk, &kind);
		ssize_t e;
		struct feed_msg m;

		REQUIRE(n > 0);
		e = sim_sbe__encode(x, json, (size_t)n, kind, (uint64_t)clk.wall_ms, out,
				    sizeof(out));
		REQUIRE(e > 0);
		REQUIRE(sbe_decode(&D, out, (size_t)e, &m) == 0);
		seen[kind]++;
		CHECKF(m.symbol.len == 7 && !memcmp(m.symbol.ptr, "BTCUSDT", 7), "symbol");
		if (kind == FEEDGEN_DEPTH100) {
			CHECK(m.type == FEED_MSG_DEPTH && (m.fields & FEED_F_SNAPSHOT));
			CHECK(m.n_bids <= SIM_SBE_DEPTH_TOP && m.n_asks <= SIM_SBE_DEPTH_TOP);
			for (uint32_t k = 1; k < m.n_bids; k++)
				CHECK(m.bids[k].price < m.bids[k - 1].price);
			for (uint32_t k = 1; k < m.n_asks; k++)
				CHECK(m.asks[k].price > m.asks[k - 1].price);
			if (m.n_bids && m.n_asks)
				CHECK(m.bids[0].price < m.asks[0].price);
			for (uint32_t k = 0; k < m.n_bids + m.n_asks; k++)
				CHECK(m.bids[k].qty > 0);
		} else if (kind == FEEDGEN_BOOKTICKER) {
			CHECK(m.type == FEED_MSG_BOOK_TICKER &&
			      m.event_ms == (uint64_t)clk.wall_ms);
			CHECK(m.bid_px < m.ask_px);
		} else if (kind == FEEDGEN_TRADE) {
			CHECK(m.type == FEED_MSG_TRADE && m.n_trades == 1 && m.qty > 0);
		} else {
			CHECK(m.type == FEED_MSG_DEPTH && m.first_id <= m.last_id);
		}
	}
	CHECK(seen[FEEDGEN_TRADE] && seen[FEEDGEN_BOOKTICKER] && seen[FEEDGEN_DEPTH] &&
	      seen[FEEDGEN_DEPTH100]);
	sim_sbe__free(x);
	feedgen__free(g);
}

int main(void)
{
	sbe_decoder__init(&D, levels, 4096, trades, 16);
	RUN(test_names);
	RUN(test_encode_layout);
	RUN(test_feedgen);
	return check_exit();
}

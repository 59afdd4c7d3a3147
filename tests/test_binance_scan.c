/* Tests for binance_scan, the fast pass through Binance messages: it must
 * take the messages Binance and feedsim actually send (else the speed-up
 * is not there), and wherever it answers it must answer exactly as the
 * strict parser does — on golden messages, on 20,000 feedsim messages of
 * every kind, and on every single-byte mutation, deletion and truncation
 * of the golden ones. Inputs it declines still parse (the fallback). */
#include "check.h"
#include "binance_diff.h"
#include "core/util.h"
#include "sim/feedgen.h"

#define NTOKS 512
#define NLEVELS 600

static struct json_tok toks[NTOKS];
static struct feed_level la[NLEVELS], lb[NLEVELS];

static const char *const golden[] = {
	"{\"e\":\"trade\",\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":3123456789,"
	"\"p\":\"43210.12000000\",\"q\":\"0.00150000\",\"T\":1700000000122,\"m\":true,"
	"\"M\":true,\"ts_ns\":123456789012345}",
	"{\"e\":\"trade\",\"E\":123456789,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\","
	"\"q\":\"100\",\"T\":123456785,\"m\":true,\"M\":true}",
	"{\"e\":\"aggTrade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"a\":12345,"
	"\"p\":\"0.001\",\"q\":\"100\",\"f\":100,\"l\":105,\"T\":1672515782136,"
	"\"m\":false,\"M\":true}",
	"{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\","
	"\"a\":\"25.36520000\",\"A\":\"40.66000000\"}",
	"{\"e\":\"depthUpdate\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"U\":157,\"u\":160,"
	"\"b\":[[\"0.0024\",\"10\"]],\"a\":[[\"0.0026\",\"100\"],[\"0.0027\",\"0\"]]}",
	"{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"X\",\"U\":0,\"u\":0,\"b\":[],\"a\":[]}",
	"{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1700000000123,"
	"\"s\":\"BTCUSDT\",\"t\":3123456789,\"p\":\"43210.12000000\",\"q\":\"0.00150000\","
	"\"T\":1700000000122,\"m\":false,\"M\":true,\"ts_ns\":123456789012345}}",
	"{\"stream\":\"bnbusdt@bookTicker\",\"data\":{\"u\":400900217,\"s\":\"BNBUSDT\","
	"\"b\":\"25.35190000\",\"B\":\"31.21000000\",\"a\":\"25.36520000\",\"A\":\"40.66000000\"}}",
};

/* Inputs the scanner must decline (the strict parser decides them). */
static const char *const declined[] = {
	"{\"E\":1,\"e\":\"trade\",\"s\":\"B\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":true}",
	"{\"e\":\"trade\", \"E\":1,\"s\":\"B\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":true}",
	"{\"e\":\"trade\",\"E\":1,\"s\":\"B\\u0041\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":true}",
	"{\"e\":\"trade\",\"E\":01,\"s\":\"B\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":true}",
	"{\"e\":\"trade\",\"E\":1,\"s\":\"B\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":true,\"x\":1}",
	"{\"e\":\"trade\",\"E\":1,\"s\":\"B\",\"t\":1,\"p\":\"1.123456789\",\"q\":\"1\",\"T\":1,\"m\":true}",
	"{\"e\":\"trade\",\"E\":1,\"s\":\"B\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":true} ",
	"{\"e\":\"kline\",\"E\":1,\"s\":\"B\"}",
	"{\"result\":null,\"id\":1}",
};

static int agree(const char *s, size_t n)
{
	return binance_scan_vs_strict(s, n, toks, NTOKS, la, lb, NLEVELS);
}

static void golden_taken_and_equal(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(golden); i++)
		CHECKF(agree(golden[i], strlen(golden[i])) == 0, "golden %zu: %d", i,
		       agree(golden[i], strlen(golden[i])));
}

static void declined_still_parse(void)
{
	struct binance_parser p;
	struct feed_msg m;

	binance_parser__init(&p, toks, NTOKS, la, NLEVELS);
	for (size_t i = 0; i < ARRAY_SIZE(declined); i++) {
		CHECKF(!binance_scan(&p, declined[i], strlen(declined[i]), &m), "declined %zu", i);
		int a = binance_parse(&p, declined[i], strlen(declined[i]), &m);
		int b = binance_parse_strict(&p, declined[i], strlen(declined[i]), &m);
		CHECKF(a == b, "declined %zu: %d vs %d", i, a, b);
	}
}

static void feedsim_messages(void)
{
	struct feedgen_config cfg;
	struct feedgen *g;
	static char buf[FEEDGEN_JSON_MAX];
	const char *streams[] = { "btcusdt@trade", "btcusdt@aggTrade", "ethusdt@bookTicker",
				  "ethusdt@depth", "bnbusdt@depth@100ms" };
	unsigned taken = 0, total = 0;

	feedgen_config_default(&cfg);
	cfg.weight[FEEDGEN_RAW] = 0;
	REQUIRE(feedgen__new(&g, &cfg) == 0);
	for (size_t i = 0; i < ARRAY_SIZE(streams); i++)
		REQUIRE(feedgen__subscribe(g, streams[i], strlen(streams[i])) == 0);
	for (int i = 0; i < 20000; i++) {
		struct feedgen_clock clk = { 1700000000000 + i, (i & 1) ? -1 : 1000000 + i };
		ssize_t n = feedgen__next(g, buf, sizeof(buf), i % 3 == 0, &clk, NULL);

		REQUIRE(n > 0);
		int d = agree(buf, (size_t)n);
		CHECKF(d <= 0, "message %d differs (check %d): %.*s", i, d, (int)n, buf);
		taken += d == 0;
		total++;
	}
	feedgen__free(g);
	/* everything feedsim sends is in Binance's order: all taken */
	CHECKF(taken == total, "scanner took %u of %u", taken, total);
}

static void mutations_agree(void)
{
	static const char subst[] = { ' ', '0', '1', '9', '.', '"', '\\', '-', 'e', '}', ',',
				      ':', '[', ']', 'x', 0x1f, (char)0x80 };
	char buf[512];
	unsigned compared = 0;

	for (size_t g = 0; g < ARRAY_SIZE(golden); g++) {
		size_t n = strlen(golden[g]);
		for (size_t i = 0; i < n; i++) {
			/* truncation */
			CHECKF(agree(golden[g], i) <= 0, "golden %zu cut at %zu", g, i);
			/* deletion */
			memcpy(buf, golden[g], i);
			memcpy(buf + i, golden[g] + i + 1, n - i - 1);
			CHECKF(agree(buf, n - 1) <= 0, "golden %zu without byte %zu", g, i);
			/* substitution and insertion */
			for (size_t k = 0; k < sizeof(subst); k++) {
				memcpy(buf, golden[g], n);
				buf[i] = subst[k];
				int d = agree(buf, n);
				CHECKF(d <= 0, "golden %zu byte %zu -> 0x%02x: check %d", g, i,
				       (unsigned char)subst[k], d);
				compared += d == 0;
				memcpy(buf, golden[g], i);
				buf[i] = subst[k];
				memcpy(buf + i + 1, golden[g] + i, n - i);
				CHECKF(agree(buf, n + 1) <= 0, "golden %zu insert at %zu", g, i);
			}
		}
	}
	CHECK(compared > 100); /* many mutants are still valid and taken */
}

static void level_capacity_and_tokens(void)
{
	const char *d = golden[4]; /* 3 levels */
	struct binance_parser p;
	struct feed_msg m;

	/* 2 levels of room: the strict parser says LEVELS, the scanner declines */
	CHECK(binance_scan_vs_strict(d, strlen(d), toks, NTOKS, la, lb, 2) == -1);
	binance_parser__init(&p, toks, NTOKS, la, 2);
	CHECK(binance_parse(&p, d, strlen(d), &m) == BINANCE_E_LEVELS);
	/* too few tokens: the same */
	for (uint32_t nt = 1; nt < 40; nt++) {
		int d2 = binance_scan_vs_strict(d, strlen(d), toks, nt, la, lb, NLEVELS);
		CHECKF(d2 <= 0, "ntoks %u: check %d", nt, d2);
	}
}

int main(void)
{
	RUN(golden_taken_and_equal);
	RUN(declined_still_parse);
	RUN(feedsim_messages);
	RUN(mutations_agree);
	RUN(level_capacity_and_tokens);
	return check_exit();
}

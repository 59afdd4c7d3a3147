/* venue_bybit — Bybit v5 public market data as venue tables, one per
 * category: spot (wss://stream.bybit.com/v5/public/spot), linear (USDT/USDC
 * perpetuals, .../linear) and inverse (.../inverse). The three share the
 * message shapes; they differ in the URL and in the request limit (spot
 * takes at most 10 topics per request, so feed_link splits). Topics are
 * Bybit's own ("orderbook.50.BTCUSDT", "publicTrade.BTCUSDT",
 * "orderbook.1.BTCUSDT" for the best bid/offer). Keepalive: {"op":"ping"}
 * every 20 s, its answer filtered on both paths (venue.control). Books:
 * a snapshot in the stream, then u == previous u + 1; a new snapshot or
 * u == 1 resets. Parsing: bybit_parse.c. */
#include "venue.h"

#include "binance_parse.h"
#include "bybit_parse.h"
#include "venue_json.h"

static enum venue_reply venue_bybit_classify(const uint8_t *p, size_t n, unsigned id)
{
	enum venue_reply r = bybit_control(p, n);

	(void)id;
	return r == VENUE_CONTROL ? VENUE_DATA : r;
}

static int venue_bybit_url_streams(const char *path)
{
	(void)path;
	return 0; /* /v5/public/<category>: topics only by subscription */
}

static int venue_bybit_parser_new(void **out)
{
	struct vjson_parser *p;
	/* orderbook.1000: 1000 levels a side, 3 tokens each */
	int r = vjson_parser__new(&p, 8192, 2048, 1024);

	*out = p;
	return r;
}

static void venue_bybit_parser_free(void *parser)
{
	vjson_parser__free(parser);
}

static int venue_bybit_parse(void *parser, const uint8_t *p, size_t n, struct feed_msg *m)
{
	return bybit_parse(parser, (const char *)p, n, m);
}

#define VENUE_BYBIT_COMMON                                                                 \
	.stream_ok = bybit_stream_ok, .subscribe_request = bybit_subscribe_request,        \
	.unsubscribe_request = bybit_unsubscribe_request,                                  \
	.subscribe_per_stream = 3, .subscribe_base = 64, .url_streams = venue_bybit_url_streams, \
	.classify = venue_bybit_classify, .control = bybit_control, .idle_timeout = 60,   \
	.keepalive_text = "{\"op\":\"ping\"}", .keepalive_every = 20,                      \
	.scan_event_ms = bybit_scan_event_ms, .scan_send_ns = binance_scan_ts_ns,          \
	.scan_stream = bybit_scan_stream, .book_rule = VENUE_BOOK_PLUS_ONE,                \
	.parser_new = venue_bybit_parser_new, .parser_free = venue_bybit_parser_free,      \
	.parse = venue_bybit_parse

const struct venue venue_bybit = {
    .name = "bybit",
    .help = "Bybit v5 public spot topics (orderbook.50.BTCUSDT, publicTrade.BTCUSDT, orderbook.1.BTCUSDT)",
    VENUE_BYBIT_COMMON,
    .subscribe_max = 10,
};

const struct venue venue_bybit_linear = {
    .name = "bybit-linear",
    .help = "Bybit v5 public USDT/USDC perpetual topics (/v5/public/linear)",
    VENUE_BYBIT_COMMON,
};

const struct venue venue_bybit_inverse = {
    .name = "bybit-inverse",
    .help = "Bybit v5 public inverse contract topics (/v5/public/inverse)",
    VENUE_BYBIT_COMMON,
};

/* venue_okx — OKX v5 public market data (wss://ws.okx.com:8443/ws/v5/public)
 * as a venue table: "<channel>:<instId>" streams subscribed with
 * {"op":"subscribe","args":[..]}, one reply per stream (venue.control tells
 * them, notices and the "pong" from data on both paths), the text "ping"
 * after 25 s of silence (OKX drops connections quiet for 30 s), and books
 * that chain by prevSeqId == the previous seqId from a snapshot in the
 * stream (the checksum is 0 since 2026-06-23: the ids are the only check).
 * Parsing: okx_parse.c. */
#include "venue.h"

#include "binance_parse.h"
#include "okx_parse.h"
#include "venue_json.h"

static enum venue_reply venue_okx_classify(const uint8_t *p, size_t n, unsigned id)
{
	enum venue_reply r = okx_control(p, n);

	(void)id;
	return r == VENUE_CONTROL ? VENUE_DATA : r;
}

/* /ws/v5/public names no streams: nothing arrives without a subscription. */
static int venue_okx_url_streams(const char *path)
{
	(void)path;
	return 0;
}

static int venue_okx_parser_new(void **out)
{
	struct vjson_parser *p;
	/* books: 400 levels a side in a snapshot, 4 values each */
	int r = vjson_parser__new(&p, 8192, 1024, 256);

	*out = p;
	return r;
}

static void venue_okx_parser_free(void *parser)
{
	vjson_parser__free(parser);
}

static int venue_okx_parse(void *parser, const uint8_t *p, size_t n, struct feed_msg *m)
{
	return okx_parse(parser, (const char *)p, n, m);
}

const struct venue venue_okx = {
    .name = "okx",
    .help = "OKX v5 public streams, <channel>:<instId> (books:BTC-USDT, trades:..., bbo-tbt:..., books5:...)",
    .stream_ok = okx_stream_ok,
    .subscribe_request = okx_subscribe_request,
    .unsubscribe_request = okx_unsubscribe_request,
    .subscribe_per_stream = 32,
    .subscribe_base = 64,
    .url_streams = venue_okx_url_streams,
    .classify = venue_okx_classify,
    .control = okx_control,
    .idle_timeout = 50,
    .keepalive_text = "ping",
    .scan_event_ms = okx_scan_event_ms,
    .scan_send_ns = binance_scan_ts_ns, /* feedsim's "ts_ns", last in the object */
    .scan_stream = okx_scan_stream,
    .book_rule = VENUE_BOOK_PREV_ID,
    .parser_new = venue_okx_parser_new,
    .parser_free = venue_okx_parser_free,
    .parse = venue_okx_parse,
};

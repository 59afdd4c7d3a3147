/* venue_binance — Binance's public market-data streams, spot
 * (wss://stream.binance.com:9443) and USD-M futures
 * (wss://fstream.binance.com), as venue tables: stream names and the
 * SUBSCRIBE request and its reply (binance_subscribe.c), message parsing
 * (binance_parse.c), and where the times are. The two differ in their REST
 * endpoints and in the depth continuity rule (futures chain "pu"), not in
 * anything used here yet. */
#include "venue.h"

#include <string.h>

#include "binance_parse.h"
#include "binance_subscribe.h"

static enum venue_reply venue_binance_classify(const uint8_t *p, size_t n, unsigned id)
{
	switch (binance_subscribe_classify(p, n, id)) {
	case BINANCE_SUB_OK:
		return VENUE_REPLY_OK;
	case BINANCE_SUB_ERROR:
		return VENUE_REPLY_ERROR;
	default:
		return VENUE_DATA;
	}
}

/* /ws/<stream> and /stream?streams=<a>/<b> name streams; /ws and /stream
 * alone carry nothing until a SUBSCRIBE. */
static int venue_binance_url_streams(const char *path)
{
	size_t n = strcspn(path, "?");
	const char *q = path[n] ? path + n + 1 : NULL;

	if ((n == 3 && !strncmp(path, "/ws", 3)) || (n == 4 && !strncmp(path, "/ws/", 4)))
		return 0;
	if (n > 4 && !strncmp(path, "/ws/", 4))
		return 1;
	if ((n == 7 && !strncmp(path, "/stream", 7)) || (n == 8 && !strncmp(path, "/stream/", 8))) {
		for (const char *p = q; p && *p; p += strcspn(p, "&"), p += *p == '&')
			if (!strncmp(p, "streams=", 8) && p[8] && p[8] != '&')
				return 1;
		return 0;
	}
	return -1;
}

/* Combined streams come as {"stream":"<name>","data":{...}}, the name first. */
static size_t venue_binance_scan_stream(const uint8_t *p, size_t n, const char **name)
{
	static const char pre[] = "{\"stream\":\"";
	const size_t k = sizeof(pre) - 1;
	const uint8_t *q;

	if (n <= k || memcmp(p, pre, k) != 0)
		return 0;
	q = memchr(p + k, '"', n - k);
	if (!q || q == p + k)
		return 0;
	*name = (const char *)p + k;
	return (size_t)(q - (p + k));
}

static int venue_binance_parser_new(void **out)
{
	struct binance_parser *p;
	int r = binance_parser__new(&p, 4096, 1024);

	*out = p;
	return r;
}

static void venue_binance_parser_free(void *parser)
{
	binance_parser__free(parser);
}

static int venue_binance_parse(void *parser, const uint8_t *p, size_t n, struct feed_msg *m)
{
	return binance_parse(parser, (const char *)p, n, m);
}

#define VENUE_BINANCE_COMMON                                                               \
	.stream_ok = binance_stream_ok, .subscribe_request = binance_subscribe_request,    \
	.subscribe_per_stream = 3, .subscribe_base = 64, .classify = venue_binance_classify, \
	.url_streams = venue_binance_url_streams,                                          \
	.idle_timeout = 60, .scan_event_ms = binance_scan_event_ms,                        \
	.scan_send_ns = binance_scan_ts_ns, .scan_stream = venue_binance_scan_stream,      \
	.parser_new = venue_binance_parser_new, .parser_free = venue_binance_parser_free,  \
	.parse = venue_binance_parse,                                                     \
	/* 1024 streams, 5 (spot) incoming messages/s, 300 connections per 5 min   \
	 * per IP, every connection cut after 24 h */                              \
	.max_streams_per_conn = 1024, .conn_limit = 300, .conn_window = 300,               \
	.max_conn_age = 86400

const struct venue venue_binance = {
    .name = "binance",
    .help = "Binance spot streams (default)",
    VENUE_BINANCE_COMMON,
    .book_rule = VENUE_BOOK_BINANCE_SPOT,
    .max_client_msgs_per_s = 5,
    /* spot streams take it (E and T in us); USD-M futures do not */
    .precise_time_query = "timeUnit=MICROSECOND",
};

const struct venue venue_binance_usdm = {
    .name = "binance-usdm",
    .help = "Binance USD-M futures streams",
    VENUE_BINANCE_COMMON,
    .book_rule = VENUE_BOOK_BINANCE_USDM,
    .max_client_msgs_per_s = 10, /* futures allow 10 */
};

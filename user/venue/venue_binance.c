/* venue_binance — Binance's public market-data streams, spot
 * (wss://stream.binance.com:9443) and USD-M futures
 * (wss://fstream.binance.com), as venue tables: stream names and the
 * SUBSCRIBE request and its reply (binance_subscribe.c), message parsing
 * (binance_parse.c), where the times are, and the REST depth snapshot
 * (path and body). The two differ in their REST endpoints and limits and
 * in the depth continuity rule (futures chain "pu"). */
#include "venue.h"
#include "venue_binance.h"

#include <errno.h>
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

/* A snapshot of limit levels: 2 levels a side, 3 tokens a level, and room. */
int venue_binance_snapshot_parser_new(void **out, uint32_t limit)
{
	struct binance_parser *p;
	int r;

	if (!limit || limit > 5000)
		return -EINVAL;
	r = binance_parser__new(&p, 6 * limit + 64, 2 * limit);
	*out = p;
	return r;
}

void venue_binance_snapshot_parser_free(void *parser)
{
	binance_parser__free(parser);
}

int venue_binance_snapshot_parse(void *parser, const uint8_t *body, size_t n,
				 struct feed_book_snapshot *out)
{
	return binance_parse_snapshot(parser, (const char *)body, n, out);
}

/* Spot takes any limit 1..5000 (GET /api/v3/depth). */
int venue_binance_snapshot_path(const char *symbol, uint32_t limit, char *out, size_t cap)
{
	if (limit > 5000)
		return -EINVAL;
	return binance_snapshot_path("/api/v3/depth", symbol, limit, out, cap);
}

/* USD-M takes 5, 10, 20, 50, 100, 500 or 1000 (GET /fapi/v1/depth). */
static int venue_binance_usdm_snapshot_path(const char *symbol, uint32_t limit, char *out,
					    size_t cap)
{
	static const uint32_t ok[] = {5, 10, 20, 50, 100, 500, 1000};
	size_t i = 0;

	while (i < sizeof(ok) / sizeof(ok[0]) - 1 && ok[i] < limit)
		i++;
	if (limit > 1000)
		return -EINVAL;
	return binance_snapshot_path("/fapi/v1/depth", symbol, ok[i], out, cap);
}

#define VENUE_BINANCE_COMMON                                                               \
	.stream_ok = binance_stream_ok, .subscribe_request = binance_subscribe_request,    \
	.subscribe_per_stream = 3, .subscribe_base = 64, .classify = venue_binance_classify, \
	.url_streams = venue_binance_url_streams,                                          \
	.idle_timeout = 60, .scan_event_ms = binance_scan_event_ms,                        \
	.scan_send_ns = binance_scan_ts_ns, .scan_stream = venue_binance_scan_stream,      \
	.parser_new = venue_binance_parser_new, .parser_free = venue_binance_parser_free,  \
	.parse = venue_binance_parse,                                                      \
	.snapshot_parser_new = venue_binance_snapshot_parser_new,                          \
	.snapshot_parser_free = venue_binance_snapshot_parser_free,                        \
	.snapshot_parse = venue_binance_snapshot_parse

const struct venue venue_binance = {
    .name = "binance",
    .help = "Binance spot streams (default)",
    VENUE_BINANCE_COMMON,
    .book_rule = VENUE_BOOK_BINANCE_SPOT,
    .rest_url = "https://api.binance.com",
    .snapshot_limit_max = 5000,
    .snapshot_path = venue_binance_snapshot_path,
    /* spot streams take it (E and T in us); USD-M futures do not */
    .precise_time_query = "timeUnit=MICROSECOND",
};

const struct venue venue_binance_usdm = {
    .name = "binance-usdm",
    .help = "Binance USD-M futures streams",
    VENUE_BINANCE_COMMON,
    .book_rule = VENUE_BOOK_BINANCE_USDM,
    .rest_url = "https://fapi.binance.com",
    .snapshot_limit_max = 1000,
    .snapshot_path = venue_binance_usdm_snapshot_path,
};

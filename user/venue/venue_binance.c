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

enum venue_reply venue_binance_classify(const uint8_t *p, size_t n, unsigned id)
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
int venue_binance_url_streams(const char *path)
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

/* The ids only (venue.scan_ids): one pass over the keys up to the first
 * '[' (depth levels come after the ids), no decimals, no levels. */
static int venue_binance_scan_ids(const uint8_t *p, size_t n, struct feed_msg *m)
{
	uint64_t t = 0, a = 0, f = 0, l = 0, U = 0, u = 0, pu = 0;
	bool has_t = false, has_a = false, has_l = false, has_u = false, has_pu = false,
	     has_b = false;

	m->type = FEED_MSG_UNKNOWN;
	m->fields = 0;
	m->event.ptr = m->symbol.ptr = NULL;
	m->event.len = m->symbol.len = 0;
	m->id = m->first_id = m->last_id = m->prev_id = 0;
	m->trades = NULL; /* single trades only */
	m->n_trades = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *k, *q, *v, *end = p + n;
		size_t kl;

		if (p[i] == '[')
			break;
		if (p[i] != '"')
			continue;
		k = p + i + 1;
		for (q = k; q < end && *q != '"'; q++)
			;
		if (q >= end)
			break;
		i = (size_t)(q - p); /* past this string, key or value */
		if (q + 1 >= end || q[1] != ':')
			continue;
		kl = (size_t)(q - k);
		v = q + 2;
		if (v >= end)
			break;
		if (*v == '"') { /* a string value */
			const uint8_t *ve = v + 1;

			while (ve < end && *ve != '"')
				ve++;
			if (ve >= end)
				break;
			if (kl == 1 && (*k == 'e' || *k == 's')) {
				struct feed_str *dst = *k == 'e' ? &m->event : &m->symbol;

				dst->ptr = (const char *)v + 1;
				dst->len = (uint32_t)(ve - v - 1);
			} else if (kl == 1 && *k == 'b') {
				has_b = true;
			}
			i = (size_t)(ve - p);
			continue;
		}
		if (*v < '0' || *v > '9' || kl > 2)
			continue;
		{
			uint64_t x = 0;
			const uint8_t *d = v;

			for (; d < end && *d >= '0' && *d <= '9'; d++)
				x = x * 10 + (uint64_t)(*d - '0');
			i = (size_t)(d - p) - 1;
			if (kl == 2) {
				if (k[0] == 'p' && k[1] == 'u')
					pu = x, has_pu = true;
				continue;
			}
			switch (*k) {
			case 't': t = x, has_t = true; break;
			case 'a': a = x, has_a = true; break;
			case 'f': f = x; break;
			case 'l': l = x, has_l = true; break;
			case 'U': U = x; break;
			case 'u': u = x, has_u = true; break;
			default: break;
			}
		}
		/* everything this kind needs is in: stop (the rest is prices) */
		if (m->symbol.ptr && ((has_t && !has_a) || (has_a && has_l) ||
				      (has_u && has_b && !m->event.ptr)))
			break;
	}
	if (m->event.ptr) {
		const struct feed_str e = m->event;

		if (e.len == 5 && memcmp(e.ptr, "trade", 5) == 0 && has_t) {
			m->type = FEED_MSG_TRADE;
			m->id = t;
		} else if (e.len == 8 && memcmp(e.ptr, "aggTrade", 8) == 0 && has_a) {
			m->type = FEED_MSG_AGG_TRADE;
			m->id = a;
			m->first_id = f;
			m->last_id = l;
		} else if (e.len == 11 && memcmp(e.ptr, "depthUpdate", 11) == 0 && has_u) {
			m->type = FEED_MSG_DEPTH;
			m->first_id = U;
			m->last_id = u;
			if (has_pu) {
				m->prev_id = pu;
				m->fields |= FEED_F_PREV_ID;
			}
		} else if (e.len == 10 && memcmp(e.ptr, "bookTicker", 10) == 0 && has_u) {
			m->type = FEED_MSG_BOOK_TICKER; /* futures send "e" */
			m->id = u;
		}
		return 0;
	}
	/* spot bookTicker: no "e"; "u", "s", "b" */
	if (m->symbol.ptr && has_u && has_b) {
		m->type = FEED_MSG_BOOK_TICKER;
		m->id = u;
		return 0;
	}
	return m->symbol.ptr ? 0 : -EINVAL;
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
	.parse = venue_binance_parse, .scan_ids = venue_binance_scan_ids,                 \
	.snapshot_parser_new = venue_binance_snapshot_parser_new,                          \
	.snapshot_parser_free = venue_binance_snapshot_parser_free,                        \
	.snapshot_parse = venue_binance_snapshot_parse,                                    \
	/* 1024 streams, 5 (spot) incoming messages/s, 300 connections per 5 min   \
	 * per IP, every connection cut after 24 h */                              \
	.max_streams_per_conn = 1024, .conn_limit = 300, .conn_window = 300,               \
	.trade_ids_contiguous = true,                                                      \
	.max_conn_age = 86400

const struct venue venue_binance = {
    .name = "binance",
    .help = "Binance spot streams (default)",
    VENUE_BINANCE_COMMON,
    .book_rule = VENUE_BOOK_BINANCE_SPOT,
    .rest_url = "https://api.binance.com",
    .snapshot_limit_max = 5000,
    .snapshot_path = venue_binance_snapshot_path,
    .max_client_msgs_per_s = 5,
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
    .max_client_msgs_per_s = 10, /* futures allow 10 */
};

/* venue_binance_sbe — Binance's spot market data in Simple Binary Encoding
 * (wss://stream-sbe.binance.com:9443, /ws/<stream> and
 * /stream?streams=<a>/<b>): streams <symbol>@trade, <symbol>@bestBidAsk,
 * <symbol>@depth (diffs) and <symbol>@depth20 (top-20 snapshots). The
 * upgrade must carry an Ed25519 API key as X-MBX-APIKEY (no signature).
 * Market data arrives in binary frames (sbe_decode.c); the replies to
 * SUBSCRIBE and the serverShutdown event in JSON text frames, as on the
 * JSON streams (binance_subscribe.c, binance_parse.c). Times are in
 * microseconds. */
#include "venue.h"
#include "venue_binance.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "binance_parse.h"
#include "binance_subscribe.h"
#include "sbe_decode.h"

/* Level and trade arrays: a depth diff carries at most 2 x 65535 levels by
 * its 16-bit counts, but Binance sends up to 1000 a side in practice; a
 * trades event groups the trades of one match. Beyond these: a clear error. */
#define SBE_VENUE_LEVELS 8192
#define SBE_VENUE_TRADES 4096

struct sbe_venue_parser {
	struct sbe_decoder *sbe;
	struct binance_parser *json;
};

/* Binary data never has '{' at 0 and 0x01 0x00 at 4 (JSON has no control
 * bytes): a message of the schema is never taken for a reply. */
static enum venue_reply venue_binance_sbe_classify(const uint8_t *p, size_t n, unsigned id)
{
	return sbe_is_sbe(p, n) ? VENUE_DATA : venue_binance_classify(p, n, id);
}

/* Latency: the event time in us (lat_stats tells the unit by its size);
 * text frames (serverShutdown) carry "E" in ms like the JSON streams. */
static uint64_t venue_binance_sbe_scan_event(const uint8_t *p, size_t n)
{
	if (sbe_is_sbe(p, n))
		return sbe_scan_event_us(p, n);
	return binance_scan_event_ms(p, n);
}

static uint64_t venue_binance_sbe_scan_send_ns(const uint8_t *p, size_t n)
{
	(void)p, (void)n;
	return 0; /* binary frames carry no simulator send time */
}

/* Binary frames name no stream, even on /stream?streams= */
static size_t venue_binance_sbe_scan_stream(const uint8_t *p, size_t n, const char **name)
{
	(void)p, (void)n, (void)name;
	return 0;
}

static int venue_binance_sbe_parser_new(void **out)
{
	struct sbe_venue_parser *vp = calloc(1, sizeof(*vp));
	int r;

	if (!vp)
		return -ENOMEM;
	r = sbe_decoder__new(&vp->sbe, SBE_VENUE_LEVELS, SBE_VENUE_TRADES);
	if (!r)
		r = binance_parser__new(&vp->json, 256, 16);
	if (r) {
		sbe_decoder__free(vp->sbe);
		free(vp);
		return r;
	}
	*out = vp;
	return 0;
}

static void venue_binance_sbe_parser_free(void *parser)
{
	struct sbe_venue_parser *vp = parser;

	if (!vp)
		return;
	sbe_decoder__free(vp->sbe);
	binance_parser__free(vp->json);
	free(vp);
}

static int venue_binance_sbe_parse(void *parser, const uint8_t *p, size_t n, struct feed_msg *m)
{
	struct sbe_venue_parser *vp = parser;
	size_t i = 0;

	if (sbe_is_sbe(p, n))
		return sbe_decode(vp->sbe, p, n, m);
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i < n && p[i] == '{') /* a reply or serverShutdown */
		return binance_parse(vp->json, (const char *)p, n, m);
	return sbe_decode(vp->sbe, p, n, m); /* says why it is not SBE */
}

const struct venue venue_binance_sbe = {
    .name = "binance-sbe",
    .help = "Binance spot streams in SBE (binary; needs --api-key-file or FEEDRX_API_KEY)",
    .stream_ok = binance_stream_ok,
    .subscribe_request = binance_subscribe_request,
    .subscribe_per_stream = 3,
    .subscribe_base = 64,
    .url_streams = venue_binance_url_streams,
    .classify = venue_binance_sbe_classify,
    .idle_timeout = 60,
    .scan_event_ms = venue_binance_sbe_scan_event,
    .scan_send_ns = venue_binance_sbe_scan_send_ns,
    .scan_stream = venue_binance_sbe_scan_stream,
    /* books: the diff stream (@depth) on a REST snapshot, as the JSON
     * streams (the snapshot itself is Binance's JSON REST answer) */
    .book_rule = VENUE_BOOK_BINANCE_SPOT,
    .rest_url = "https://api.binance.com",
    .snapshot_limit_max = 5000,
    .snapshot_path = venue_binance_snapshot_path,
    .snapshot_parser_new = venue_binance_snapshot_parser_new,
    .snapshot_parser_free = venue_binance_snapshot_parser_free,
    .snapshot_parse = venue_binance_snapshot_parse,
    .parser_new = venue_binance_sbe_parser_new,
    .parser_free = venue_binance_sbe_parser_free,
    .parse = venue_binance_sbe_parse,
    .auth_header = "X-MBX-APIKEY",
};

/* venue_binance — what Binance's venues share: the REST depth snapshot
 * (GET /api/v3/depth, JSON), the URL paths (/ws/<stream>,
 * /stream?streams=a/b) and the JSON replies to SUBSCRIBE are the same for
 * the JSON and the SBE streams. */
#ifndef FEEDRX_VENUE_BINANCE_H
#define FEEDRX_VENUE_BINANCE_H

#include <stddef.h>
#include <stdint.h>

#include "venue.h"

struct feed_book_snapshot;

/* venue.classify: a SUBSCRIBE reply (binance_subscribe.c) or data. */
enum venue_reply venue_binance_classify(const uint8_t *p, size_t n, unsigned id);
/* venue.url_streams: /ws/<stream> and /stream?streams=<a>/<b> name streams
 * (1); /ws and /stream alone carry nothing until a SUBSCRIBE (0); -1 else. */
int venue_binance_url_streams(const char *path);

int venue_binance_snapshot_parser_new(void **out, uint32_t limit);
void venue_binance_snapshot_parser_free(void *parser);
int venue_binance_snapshot_parse(void *parser, const uint8_t *body, size_t n,
				 struct feed_book_snapshot *out);
/* Spot: any limit 1..5000. */
int venue_binance_snapshot_path(const char *symbol, uint32_t limit, char *out, size_t cap);

#endif

/* venue_binance — what Binance's venues share: the REST depth snapshot
 * (GET /api/v3/depth, JSON) is the same for the JSON and the SBE streams. */
#ifndef FEEDRX_VENUE_BINANCE_H
#define FEEDRX_VENUE_BINANCE_H

#include <stddef.h>
#include <stdint.h>

struct feed_book_snapshot;

int venue_binance_snapshot_parser_new(void **out, uint32_t limit);
void venue_binance_snapshot_parser_free(void *parser);
int venue_binance_snapshot_parse(void *parser, const uint8_t *body, size_t n,
				 struct feed_book_snapshot *out);
/* Spot: any limit 1..5000. */
int venue_binance_snapshot_path(const char *symbol, uint32_t limit, char *out, size_t cap);

#endif

/* sim_sbe — feedsim's Binance SBE dialect (--venue binance-sbe), on top of
 * feedgen's Binance JSON: the SBE stream names mapped to feedgen's
 * (<s>@trade, <s>@bestBidAsk -> @bookTicker, <s>@depth, <s>@depth20 ->
 * feedgen's second depth stream, kept as a book here and sent as top-20
 * snapshots); every other name is refused as the real service does. Each
 * generated JSON message is parsed (venue/binance_parse) and written as the
 * SBE message of its stream (sbe_encode.h); control replies stay JSON text.
 * The upgrade needs the X-MBX-APIKEY header (401 without it). */
#ifndef FEEDRX_SIM_SBE_H
#define FEEDRX_SIM_SBE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "feedgen.h"

#define SIM_SBE_HEADER "x-mbx-apikey" /* as sim_http lowercases names */
#define SIM_SBE_DEPTH_TOP 20

/* Map SBE stream names in text (a request-target or a SUBSCRIBE request)
 * to feedgen's, in place; names of other streams become invalid ones.
 * Returns the new length, or 0 when it would not fit in cap. */
size_t sim_sbe_map_names(char *text, size_t len, size_t cap);
/* The other way, for replies (LIST_SUBSCRIPTIONS): feedgen's names back to
 * the SBE ones; other names stay. Returns the new length, or 0. */
size_t sim_sbe_unmap_names(char *text, size_t len, size_t cap);

struct sim_sbe;

int sim_sbe__new(struct sim_sbe **out);
void sim_sbe__free(struct sim_sbe *x);

/* The SBE message for feedgen's message json (of stream kind kind) into
 * out: its length, 0 for a message that has no SBE form, or a negative
 * code (-ENOSPC, -EPROTO when the JSON does not parse). event_us: the
 * event time for messages whose JSON has none (bookTicker). */
ssize_t sim_sbe__encode(struct sim_sbe *x, const char *json, size_t n, enum feedgen_kind kind,
			uint64_t event_us, uint8_t *out, size_t cap);

/* --log: one message as lowercase hex and a newline. */
void sim_sbe_log(FILE *f, const uint8_t *p, size_t n);

#endif

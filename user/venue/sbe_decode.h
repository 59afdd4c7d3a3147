/* sbe_decode — Binance spot market-data streams in Simple Binary Encoding
 * (schema "spot_stream", id 1, version 0, little-endian: Binance's
 * stream_1_0.xml) into struct feed_msg, without allocating.
 *
 * Layout read (every offset from the schema; lengths from the message):
 *   message header (8): blockLength u16, templateId u16, schemaId u16, version u16
 *   root block (blockLength bytes; the fields below at its start)
 *   groups: a group header, then numInGroup entries of the header's
 *           blockLength bytes (the fields below at each entry's start)
 *   symbol: varString8 (length u8, then the bytes)
 *
 *   10000 TradesStreamEvent        root 18: eventTime i64 us, transactTime i64 us,
 *         priceExponent i8, qtyExponent i8; group trades (groupSizeEncoding:
 *         blockLength u16, numInGroup u32) of 25: id i64, price i64, qty i64,
 *         isBuyerMaker u8 (isBestMatch is a constant True, not on the wire)
 *   10001 BestBidAskStreamEvent    root 50: eventTime, bookUpdateId i64,
 *         priceExponent, qtyExponent, bidPrice, bidQty, askPrice, askQty i64
 *   10002 DepthSnapshotStreamEvent root 18: eventTime, bookUpdateId,
 *         priceExponent, qtyExponent; groups bids, asks (groupSize16Encoding:
 *         blockLength u16, numInGroup u16) of 16: price i64, qty i64
 *   10003 DepthDiffStreamEvent     root 26: eventTime, firstBookUpdateId,
 *         lastBookUpdateId, priceExponent, qtyExponent; bids, asks as 10002
 *
 * Compatibility, as SBE defines it: a block (root or group entry) longer
 * than the schema's is read for the known fields and its tail skipped, so
 * a later version that appends fields still decodes; groups and data a
 * later version appends after the symbol are ignored; an unknown template
 * of schema 1 parses as FEED_MSG_UNKNOWN (m->id = its template id). A
 * block shorter than the known fields, any length or count that runs past
 * the message, a schema id other than 1, or more entries than the
 * decoder's arrays hold is an error (FX_E_FEED_*): nothing is read out of
 * bounds, whatever the input. A symbol with a control byte (which JSON
 * text cannot carry raw either) is refused (FX_E_FEED_SBE_SYMBOL).
 *
 * Values: mantissa x 10^exponent becomes fixed point in units of 1e-8,
 * exactly, or the message is refused (FX_E_FEED_SBE_EXPONENT): an exponent
 * below -8 with a mantissa that is not a multiple of the lost digits, or a
 * product beyond int64. Times stay microseconds (FEED_F_TIME_US). Ids and
 * times must not be negative (FX_E_FEED_RANGE).
 *
 * Into feed_msg: trades -> FEED_MSG_TRADE with m->trades (n_trades of
 * them; the scalar fields hold the first) and FEED_F_BEST_MATCH; best
 * bid/ask -> FEED_MSG_BOOK_TICKER (id = bookUpdateId); depth snapshot ->
 * FEED_MSG_DEPTH with FEED_F_SNAPSHOT (first_id = last_id = bookUpdateId);
 * depth diff -> FEED_MSG_DEPTH (first_id = U, last_id = u). m->event is the
 * template's name. */
#ifndef FEEDRX_SBE_DECODE_H
#define FEEDRX_SBE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "feed/feed_msg.h"

#define SBE_SCHEMA_ID 1
#define SBE_SCHEMA_VERSION 0
#define SBE_HEADER_LEN 8

enum sbe_template {
	SBE_TPL_TRADES = 10000,
	SBE_TPL_BEST_BID_ASK = 10001,
	SBE_TPL_DEPTH_SNAPSHOT = 10002,
	SBE_TPL_DEPTH_DIFF = 10003,
};

/* The schema's block lengths (version 0). */
#define SBE_TRADES_BLOCK 18
#define SBE_TRADE_ENTRY 25
#define SBE_BBA_BLOCK 50
#define SBE_SNAPSHOT_BLOCK 18
#define SBE_DIFF_BLOCK 26
#define SBE_LEVEL_ENTRY 16
#define SBE_GROUP_HDR 6	  /* groupSizeEncoding */
#define SBE_GROUP16_HDR 4 /* groupSize16Encoding */

struct sbe_header {
	uint16_t block_length, template_id, schema_id, version;
};

/* Working memory, set up once: depth levels (bids and asks share it) and
 * trades. */
struct sbe_decoder {
	struct feed_level *levels;
	uint32_t nlevels;
	struct feed_trade *trades;
	uint32_t ntrades;
};

void sbe_decoder__init(struct sbe_decoder *d, struct feed_level *levels, uint32_t nlevels,
		       struct feed_trade *trades, uint32_t ntrades);
/* Allocate the decoder and both arrays (once): 0 and *out, or -ENOMEM. */
int sbe_decoder__new(struct sbe_decoder **out, uint32_t nlevels, uint32_t ntrades);
void sbe_decoder__free(struct sbe_decoder *d);

/* The message header: 0, or -FX_E_FEED_SBE_SHORT (under 8 bytes). */
int sbe_header_read(const uint8_t *p, size_t n, struct sbe_header *h);

/* Whether p starts like a message of this schema (8 bytes, schema id 1):
 * never true of JSON text, whose bytes 4 and 5 cannot be 0x01 0x00. */
int sbe_is_sbe(const uint8_t *p, size_t n);

/* Decode one message. 0 (m filled; m->type may be FEED_MSG_UNKNOWN) or a
 * negative FX_E_FEED_* code (m then holds nothing useful). Pointers in m
 * refer to p and to d's arrays. */
int sbe_decode(struct sbe_decoder *d, const uint8_t *p, size_t n, struct feed_msg *m);

/* The event time (us) without decoding: the first root field of every
 * known template; 0 when p is not one. */
uint64_t sbe_scan_event_us(const uint8_t *p, size_t n);

/* mantissa x 10^exponent in units of 1e-8: 0, or -FX_E_FEED_SBE_EXPONENT
 * when not exact or out of range. */
int sbe_to_e8(int64_t mantissa, int8_t exponent, int64_t *out);

/* The schema's name of a template ("TradesStreamEvent"), or NULL. */
const char *sbe_template_name(uint16_t id);

#endif

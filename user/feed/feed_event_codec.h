/* feed_event_codec — one flat, pointer-free encoding of struct feed_event
 * for the shared-memory ring, NATS and files: fixed little-endian layout,
 * a version and a length, the levels and strings inline.
 *
 * A record (all integers little-endian, offsets in bytes):
 *   0  u8  version (FEED_CODEC_VERSION)    1  u8  type (enum feed_event_type)
 *   2  u16 flags (FEED_EVF_*)              4  u32 len: the whole record, a multiple of 8
 *   8  u64 seq     16 u64 exch_ns          24 u64 recv_ns
 *   32 u8  venue_len  33 u8 symbol_len  34 u16 text_len  36 u32 reserved (0)
 *   40 the type's body (FEED_CODEC_BODY bytes, zero padded):
 *      trade   i64 price, i64 qty, u64 id, u8 side
 *      bbo     i64 bid_px, i64 bid_qty, i64 ask_px, i64 ask_qty, u64 id
 *      book    u64 first_id, u64 last_id, u32 n_bids, u32 n_asks
 *      top     u64 last_id, u32 n_bids, u32 n_asks, u32 depth_known
 *      status  u16 kind, u16 0, u32 conn, u64 first_id, u64 last_id
 *   80 book/top: n_bids then n_asks levels, each i64 price, i64 qty
 *   then venue_len bytes of venue, symbol_len of symbol, text_len of text
 *   (status), zero padded to a multiple of 8.
 * A decoder checks every length against the buffer: hostile input gives
 * -EBADMSG (or -EMSGSIZE when the caller's level storage is too small),
 * never a read outside it. */
#ifndef FEEDRX_FEED_EVENT_CODEC_H
#define FEEDRX_FEED_EVENT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "feed_event.h"

#define FEED_CODEC_VERSION 1
#define FEED_CODEC_HDR 40
#define FEED_CODEC_BODY 40
#define FEED_CODEC_FIXED (FEED_CODEC_HDR + FEED_CODEC_BODY)
#define FEED_CODEC_VENUE_MAX 255
#define FEED_CODEC_TEXT_MAX 1024   /* status text kept (longer is cut) */
#define FEED_CODEC_LEVELS_MAX 65536 /* per record, both sides */

/* Bytes encode needs for e (a multiple of 8). */
size_t feed_event_encoded_size(const struct feed_event *e);
/* Encode e into buf: the record's length, or -EMSGSIZE when cap is short
 * (nothing useful written then), -EINVAL for an event it cannot carry. */
long feed_event_encode(const struct feed_event *e, void *buf, size_t cap);

/* Where a decoded event's pointers point: the caller's storage, valid
 * until the next decode into it. */
struct feed_event_store {
	char venue[FEED_CODEC_VENUE_MAX + 1]; /* NUL-terminated */
	char text[FEED_CODEC_TEXT_MAX + 1];
	struct feed_level *levels; /* the caller's array of cap_levels */
	size_t cap_levels;
};

/* The length of the record at buf (from its header) after checking the
 * header alone, or -EBADMSG / -EAGAIN (fewer than FEED_CODEC_HDR bytes). */
long feed_event_record_len(const void *buf, size_t n);
/* Decode one record from buf (n bytes available) into e, its pointers
 * into st. The record's length, or -EBADMSG (malformed), -EMSGSIZE (more
 * levels than st holds), -EPROTONOSUPPORT (another version). */
long feed_event_decode(const void *buf, size_t n, struct feed_event *e,
		       struct feed_event_store *st);

#endif

/* feed_event — the normalized events feedrx hands to consumers, the same
 * for every venue: trades, best bid/offer, changes to a local order book,
 * the book's top levels, and status (connected, gap, resynced, rotated).
 *
 * Prices and quantities are fixed point (FEED_SCALE units per 1.0, never
 * binary floating point); times are CLOCK_REALTIME nanoseconds. An event
 * is built on the stack of the code that emits it and handed down by
 * pointer: nothing is allocated per event. Pointers in it (venue, the
 * level arrays, status text) are valid only for the duration of the call
 * that receives it; a consumer that keeps an event copies what it needs
 * (feed_event_codec.h gives one flat, pointer-free encoding for rings,
 * files and the network).
 *
 * `seq` numbers every event one process emits, from 1, with no gaps: a
 * consumer in another process or on another machine checks it to know it
 * lost nothing. */
#ifndef FEEDRX_FEED_EVENT_H
#define FEEDRX_FEED_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "feed_msg.h" /* struct feed_level, FEED_SCALE */

enum feed_event_type {
	FEED_EV_TRADE = 1,
	FEED_EV_BBO,    /* best bid and offer, from the exchange's ticker */
	FEED_EV_BOOK,   /* a change applied to a synced local book (or its snapshot) */
	FEED_EV_TOP,    /* a synced book's top levels after a change */
	FEED_EV_STATUS, /* the feed's own state: see enum feed_status */
	FEED_EV__MAX
};

enum feed_status {
	FEED_STATUS_CONNECTED = 1, /* a connection is up and subscribed */
	FEED_STATUS_DISCONNECTED,  /* ... ended (text says why) */
	FEED_STATUS_GAP,           /* messages were lost: first_id..last_id when known */
	FEED_STATUS_BOOK_INVALID,  /* a symbol's book went out of sync: resync started */
	FEED_STATUS_RESYNCED,      /* ... and is synced again from a fresh snapshot */
	FEED_STATUS_ROTATED,       /* streams moved to a replacement connection */
	FEED_STATUS_STALE,         /* a stream went quiet on a live connection */
	FEED_STATUS__MAX
};

enum feed_side {
	FEED_SIDE_UNKNOWN = 0,
	FEED_SIDE_BUY,  /* trades: the taker bought */
	FEED_SIDE_SELL, /* trades: the taker sold */
};

#define FEED_SYMBOL_MAX 32 /* symbol bytes kept in an event */
#define FEED_TOP_MAX 20    /* levels per side in a FEED_EV_TOP */

/* FEED_EV_* flags */
#define FEED_EVF_SNAPSHOT (1u << 0) /* FEED_EV_BOOK: the book was replaced, not changed */
#define FEED_EVF_SHADOW (1u << 1)   /* delivered by the kernel path after a fast-path failure */
#define FEED_EVF_FAST (1u << 2)     /* delivered by the XDP fast path */

struct feed_event {
	uint16_t type;  /* enum feed_event_type */
	uint16_t flags; /* FEED_EVF_* */
	uint8_t symbol_len;
	char symbol[FEED_SYMBOL_MAX]; /* as the venue names it ("BTCUSDT"); not NUL-terminated */
	const char *venue;            /* the venue's name (static) */
	uint64_t seq;                 /* this process's event number, from 1, no gaps */
	uint64_t exch_ns;             /* exchange event time; 0 when unknown */
	uint64_t recv_ns;             /* local receive time (the earliest stamp feedrx has) */
	union {
		struct {
			int64_t price, qty;
			uint64_t id; /* the venue's trade id */
			uint8_t side; /* enum feed_side */
		} trade;
		struct {
			int64_t bid_px, bid_qty, ask_px, ask_qty;
			uint64_t id; /* the venue's update id, 0 when none */
		} bbo;
		struct {
			/* the venue's update ids this change covers */
			uint64_t first_id, last_id;
			/* changed levels, absolute quantities, 0 = removed; for a
			 * snapshot, the whole book as far as the venue sent it */
			const struct feed_level *bids, *asks;
			uint32_t n_bids, n_asks;
		} book;
		struct {
			uint64_t last_id;
			const struct feed_level *bids, *asks; /* best first */
			uint32_t n_bids, n_asks;              /* at most FEED_TOP_MAX each */
			uint32_t depth_known; /* levels per side the book knows exactly (snapshot depth) */
		} top;
		struct {
			uint16_t kind;  /* enum feed_status */
			uint32_t conn;  /* the connection it concerns (1-based), 0 = the process */
			uint64_t first_id, last_id; /* a gap's missed range, 0 when unknown */
			const char *text;           /* one line for people, or NULL */
		} status;
	};
};

const char *feed_event_type_name(enum feed_event_type t); /* "trade", "bbo", ... */
const char *feed_status_name(enum feed_status s);         /* "connected", "gap", ... */

#endif

/* feed_event_json — one normalized event as one line of JSON (no newline),
 * the text the shm reader tool prints and NATS publishes by default:
 *   {"seq":7,"type":"trade","venue":"binance","symbol":"BTCUSDT",
 *    "exch_ns":..,"recv_ns":..,"price":"27000.1","qty":"0.5","id":42,"side":"buy"}
 *   bbo:    "bid_px","bid_qty","ask_px","ask_qty","id"
 *   book:   "first_id","last_id","snapshot":true|false,"bids":[["px","qty"],..],"asks":[..]
 *   top:    "last_id","depth_known","bids":[..],"asks":[..]
 *   status: "status":"gap","conn":1,"first_id","last_id","text"
 * Prices and quantities are decimal strings, exact (fixed point, never a
 * binary float), trailing zeros trimmed. */
#ifndef FEEDRX_FEED_EVENT_JSON_H
#define FEEDRX_FEED_EVENT_JSON_H

#include <stddef.h>

#include "feed_event.h"

/* The line's length (no NUL counted; buf is NUL-terminated), or -EMSGSIZE
 * when cap is too small. */
long feed_event_json(char *buf, size_t cap, const struct feed_event *e);
/* A fixed-point value (FEED_SCALE units) as a decimal: its length. buf
 * holds at least 24 bytes. */
int feed_fixed_format(char *buf, int64_t v);

#endif

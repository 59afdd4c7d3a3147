/* bybit_parse — Bybit v5 public market data
 * (wss://stream.bybit.com/v5/public/{spot,linear,inverse}, one message shape
 * for all three) into struct feed_msg, and the Bybit side of subscribing.
 *
 * Streams are Bybit's topics ("orderbook.50.BTCUSDT", "publicTrade.BTCUSDT",
 * "orderbook.1.BTCUSDT" as the best bid/offer); the request is
 * {"op":"subscribe","args":["a","b"]} (spot: at most 10 per request, so
 * feed_link sends several), each answered with
 * {"success":true|false,"ret_msg":..,"conn_id":..,"op":"subscribe"}. The
 * keepalive {"op":"ping"} is answered with op "ping" (spot) or "pong"
 * (futures): control messages, never data.
 *
 * Understood (data: {"topic","type","ts","data",["cts"]}):
 *   publicTrade.S  data: [{"T","s","S","v","p","i",..},..] -> FEED_MSG_TRADE,
 *                  every trade in m->trades; buyer_maker = S "Sell"; ids
 *                  that are not numbers (futures' UUIDs) only in id_str
 *   orderbook.1.S  -> FEED_MSG_BOOK_TICKER from b[0] / a[0], id = u
 *   orderbook.N.S  data {"s","b","a","u","seq"} -> FEED_MSG_DEPTH,
 *                  first_id = last_id = u, id = seq, FEED_F_SNAPSHOT for
 *                  type "snapshot"; quantity 0 deletes a level
 *   replies        op "subscribe"/"unsubscribe": FEED_MSG_REPLY or, with
 *                  "success":false, FEED_MSG_ERROR_REPLY (err_msg = ret_msg)
 * event_ms = "ts"; trade_ms = "cts" for books; m->event = the topic's first
 * part; m->stream = the topic; plus feedsim's top-level "ts_ns". */
#ifndef FEEDRX_BYBIT_PARSE_H
#define FEEDRX_BYBIT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed/feed_msg.h"
#include "venue.h"

struct vjson_parser;

int bybit_parse(struct vjson_parser *p, const char *buf, size_t len, struct feed_msg *m);

/* A topic: [A-Za-z0-9._-], 1..64 bytes. */
bool bybit_stream_ok(const char *s);
int bybit_subscribe_request(const char *const *streams, size_t n, unsigned id, char *out,
			    size_t cap);
int bybit_unsubscribe_request(const char *const *streams, size_t n, unsigned id, char *out,
			      size_t cap);
/* Messages with "op" and no "topic": "subscribe" -> VENUE_REPLY_OK or
 * _ERROR by "success"; anything else (the pong, unsubscribe) VENUE_CONTROL. */
enum venue_reply bybit_control(const uint8_t *p, size_t n);
/* Top-level "ts" (ms) in the first 96 bytes. */
uint64_t bybit_scan_event_ms(const uint8_t *p, size_t n);
/* The topic of {"topic":"<name>",...}, into p. */
size_t bybit_scan_stream(const uint8_t *p, size_t n, const char **name);

#endif

/* okx_parse — OKX v5 public market data (wss://ws.okx.com:8443/ws/v5/public)
 * into struct feed_msg, and the OKX side of subscribing.
 *
 * Streams are named "<channel>:<instId>" ("books:BTC-USDT"); the request for
 * n of them is {"op":"subscribe","args":[{"channel":..,"instId":..},..]}.
 * OKX answers every arg with {"event":"subscribe","arg":{..},"connId":..}
 * or the request with {"event":"error","code":"60012","msg":..}; other
 * events ("notice", "channel-conn-count", "unsubscribe") and the keepalive's
 * "pong" are control messages, never data.
 *
 * Understood (data messages: {"arg":{"channel","instId"},["action",]"data":[..]}):
 *   trades   every element {"instId","tradeId","px","sz","side","ts",..}
 *            -> FEED_MSG_TRADE, all trades in m->trades (n_trades);
 *            buyer_maker = side "sell" (the taker sold)
 *   bbo-tbt  data[0] {"asks":[[px,sz,..]],"bids":[[..]],"ts","seqId"}
 *            -> FEED_MSG_BOOK_TICKER, id = seqId
 *   books, books-l2-tbt, books50-l2-tbt: "action" "snapshot" | "update",
 *            data[0] {"asks","bids","ts","checksum","prevSeqId","seqId"}
 *            -> FEED_MSG_DEPTH, first_id = last_id = seqId; prev_id =
 *            prevSeqId (FEED_F_PREV_ID) unless it is -1 (a snapshot);
 *            FEED_F_SNAPSHOT for action "snapshot"; checksum ignored (0)
 *   books5   data[0] {"asks","bids","instId","ts","seqId"} -> FEED_MSG_DEPTH
 *            with FEED_F_SNAPSHOT: each message is the whole top 5
 *   events   "subscribe"/"unsubscribe" -> FEED_MSG_REPLY (result = "arg");
 *            "error" -> FEED_MSG_ERROR_REPLY (err_code, err_msg)
 * event_ms = data[0].ts; m->event = the channel; m->stream = the stream
 * name (in the parser's storage); plus feedsim's top-level "ts_ns". Levels:
 * arrays of at least two decimal strings ([px, sz, "0", orders]). */
#ifndef FEEDRX_OKX_PARSE_H
#define FEEDRX_OKX_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed/feed_msg.h"
#include "venue.h"

struct vjson_parser;

int okx_parse(struct vjson_parser *p, const char *buf, size_t len, struct feed_msg *m);

/* "<channel>:<instId>": both parts [A-Za-z0-9-_], 1..40 bytes. */
bool okx_stream_ok(const char *s);
int okx_subscribe_request(const char *const *streams, size_t n, unsigned id, char *out,
			  size_t cap);
int okx_unsubscribe_request(const char *const *streams, size_t n, unsigned id, char *out,
			    size_t cap);
/* Any message: "pong" and events other than subscribe/error are
 * VENUE_CONTROL, "subscribe" VENUE_REPLY_OK, "error" VENUE_REPLY_ERROR. */
enum venue_reply okx_control(const uint8_t *p, size_t n);
/* data[0]'s "ts" (a string of ms), looked for in the last 256 bytes. */
uint64_t okx_scan_event_ms(const uint8_t *p, size_t n);
/* "<channel>:<instId>" from a leading {"arg":{"channel":..,"instId":..}},
 * written into a buffer of okx_parse.c valid until the next call. */
size_t okx_scan_stream(const uint8_t *p, size_t n, const char **name);

#endif

/* binance_subscribe — Binance's live-subscription request and its replies
 * (Binance style): {"method":"SUBSCRIBE","params":["a","b"],"id":1} goes
 * out once after the upgrade; {"result":null,"id":1} or
 * {"error":{...},"id":1} comes back among the data messages and must be
 * told apart from them. */
#ifndef FEEDRX_SUBSCRIBE_H
#define FEEDRX_SUBSCRIBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum binance_sub_reply {
	BINANCE_SUB_DATA, /* a data message (or a reply to another id) */
	BINANCE_SUB_OK,	     /* "result" for our id */
	BINANCE_SUB_ERROR,     /* "error" for our id */
};

/* Whether a stream name can go into the request as it is (printable ASCII,
 * no quote or backslash, 1..200 bytes). */
bool binance_stream_ok(const char *s);

/* Write the request for n streams with the given id. Returns its length or
 * -ENOSPC / -EINVAL (a stream name that is not binance_stream_ok). */
int binance_subscribe_request(const char *const *streams, size_t n, unsigned id, char *out, size_t cap);

/* Classify a message: a reply is one JSON object whose top level has
 * "id": <id> and a "result" or "error" member. */
enum binance_sub_reply binance_subscribe_classify(const uint8_t *p, size_t n, unsigned id);

#endif

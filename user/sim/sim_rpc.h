/* sim_rpc — the JSON methods a client sends over a feedsim socket, as
 * Binance has them: SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY
 * and GET_PROPERTY ("combined"). A request is applied to the connection's
 * generator and answered with {"result":...,"id":...} or, when malformed,
 * {"error":{"code":N,"msg":"..."},"id":...} with Binance's codes:
 * 0 unknown property, 1 wrong value type, 2 invalid request, 3 invalid JSON.
 * Requests are parsed with json_tokenize (strict RFC 8259, nesting
 * at most JSON_MAX_DEPTH). */
#ifndef FEEDRX_SIM_RPC_H
#define FEEDRX_SIM_RPC_H

#include <stdbool.h>
#include <stddef.h>

struct feedgen;

/* A reply never exceeds this (LIST_SUBSCRIPTIONS of the most streams). */
#define SIM_RPC_REPLY_MAX 65536
#define SIM_RPC_ID_MAX 64 /* longest id echoed back, JSON text */
/* JSON values in a request, keys included: a SUBSCRIBE of a connection's
 * most streams and some. A longer request gets "request too large". */
#define SIM_RPC_TOKENS_MAX 1088

/* Apply one request (a complete text message) to g and *combined; write
 * the reply into out (cap >= SIM_RPC_REPLY_MAX). Returns the reply length. */
size_t sim_rpc_handle(struct feedgen *g, bool *combined, const char *req, size_t len,
		      char *out, size_t cap);

#endif

/* sim_rest — feedsim's REST depth snapshots in market mode, from the
 * market's true book (sim_market.h), on the WebSocket listeners:
 *
 *   GET /api/v3/depth?symbol=BTCUSDT&limit=N   spot: {"lastUpdateId":u,
 *       "bids":[["p","q"],...],"asks":[...]}; limit 1..5000, default 100;
 *       weight 5 (<=100), 25 (<=500), 50 (<=1000), 250 (<=5000)
 *   GET /fapi/v1/depth?symbol=BTCUSDT&limit=N  USD-M: {"lastUpdateId":u,
 *       "E":ms,"T":ms,"bids":...,"asks":...}; limit 1..1000, default 500;
 *       weight 2 (<50), 5 (100), 10 (500), 20 (1000)
 *
 * "lastUpdateId" is the symbol's update id: a diff with U <= id+1 <= u
 * follows it on the depth streams. Every answer carries
 * X-MBX-USED-WEIGHT-1M (the client address's weight in the current UTC
 * minute, this request included). Over the limit (--rest-weight, Binance
 * 6000 per minute per IP) the answer is 429 with Retry-After (seconds to
 * the next minute) and {"code":-1003,...}; a refused request costs nothing.
 * Errors use Binance's codes: -1102 (symbol missing), -1121 (unknown
 * symbol), -1100 (bad limit).
 *
 * Faults: --snapshot-delay-ms D takes the book when the request arrives
 * and answers D ms later; --snapshot-stale P answers, with probability P,
 * with the book this symbol had at its previous fresh answer (an older
 * lastUpdateId); --rest-429 P answers 429 (Retry-After: 1) with
 * probability P. Draws come from --seed.
 *
 * Served over HTTP/1.1 (keep-alive honoured) and over HTTP/2 when the
 * client offers h2 by ALPN (sim_h2.h).
 */
#ifndef FEEDRX_SIM_REST_H
#define FEEDRX_SIM_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An answer never exceeds this, head included. */
#define SIM_REST_REPLY_MAX 32768
#define SIM_REST_BODY_MAX (SIM_REST_REPLY_MAX - 1024)

struct sim_rest_config {
	double delay;          /* s, --snapshot-delay-ms */
	double stale_p;        /* --snapshot-stale */
	double fail_p;         /* --rest-429 */
	unsigned weight_limit; /* per address per minute, 0 = default 6000 */
	bool no_weight_limit;  /* --rest-weight 0 */
};

struct sim_rest_answer {
	int status;            /* 200, 400, 404, 405, 429 */
	unsigned used_weight;  /* X-MBX-USED-WEIGHT-1M */
	unsigned retry_after;  /* s, 429 only */
	double delay;          /* s to hold the answer */
	size_t body_len;
};

struct sim_market;
struct sim_rest;

int sim_rest__new(struct sim_rest **out, const struct sim_rest_config *cfg, struct sim_market *m,
		  uint64_t seed);
void sim_rest__free(struct sim_rest *r);

/* Is this request-target (path and query) one of the REST endpoints? */
bool sim_rest_path(const char *target, size_t len);

/* Answer one request: the JSON body into body (cap >= SIM_REST_BODY_MAX)
 * and the answer's figures into *a. `get`: the method was GET. */
void sim_rest__answer(struct sim_rest *r, const char *target, size_t len, bool get,
		      const struct sockaddr_storage *peer, char *body, size_t cap,
		      struct sim_rest_answer *a);

/* The same as a whole HTTP/1.1 response (cap >= SIM_REST_REPLY_MAX).
 * Returns its length. */
size_t sim_rest__http1(struct sim_rest *r, const char *target, size_t len, bool get,
		       const struct sockaddr_storage *peer, bool keep_alive, char *out, size_t cap,
		       struct sim_rest_answer *a);

#endif

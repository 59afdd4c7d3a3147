/* sim_http — feedsim's side of the WebSocket opening handshake: reads the
 * HTTP/1.1 upgrade request (llhttp), checks it as RFC 6455 §4.2.1 asks,
 * maps the path to streams and writes the 101 or error response. */
#ifndef FEEDRX_SIM_HTTP_H
#define FEEDRX_SIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "llhttp.h"

#define SIM_HTTP_REQ_MAX 8192   /* whole request head */
#define SIM_HTTP_TARGET_MAX 4096 /* request-target */
#define SIM_HTTP_KEY_MAX 64

struct sim_http_req {
	llhttp_t parser;
	size_t total;     /* bytes fed so far */
	bool done;        /* the request head is complete */
	int status;       /* 0 while parsing; then 101 or an error status */
	const char *why;  /* short reason for an error status */
	char target[SIM_HTTP_TARGET_MAX];
	size_t target_len;
	char field[32];   /* header name being read (lowercased, truncated) */
	size_t field_len;
	char value[1024]; /* header value being read */
	size_t value_len;
	bool value_long;
	unsigned n_host, n_key, n_version;
	bool upgrade_ws, connection_upgrade, version_13;
	char key[SIM_HTTP_KEY_MAX];
	size_t key_len;
	/* Set after __init by a dialect that needs them (sim_sbe.h): an API
	 * key header required (401 without it), and the request-target mapped
	 * in place to feedgen's stream names before it is checked (returns
	 * the new length, 0 when it does not fit). */
	const char *need_header; /* lowercase name, e.g. "x-mbx-apikey" */
	bool has_header;
	size_t (*map_target)(char *target, size_t len, size_t cap);
};

/* Where the request asked to go. Streams are NUL-separated in names[]. */
struct sim_http_target {
	bool combined;   /* /stream?streams=... */
	bool time_us;    /* ?timeUnit=MICROSECOND: "E" and "T" in us, as Binance */
	unsigned nstreams;
	char names[SIM_HTTP_TARGET_MAX];
};

void sim_http_req__init(struct sim_http_req *r);

/* Feed request bytes. Returns the bytes consumed (the rest belongs to the
 * WebSocket stream) with r->done set once the head is complete and r->status
 * then 101 or the error status to answer with; r->why says why. */
size_t sim_http_req__feed(struct sim_http_req *r, const char *buf, size_t len);

/* Map a request-target to streams: "/ws", "/ws/<stream>" or
 * "/stream?streams=<a>/<b>". Returns 0, 404 (unknown path) or 400 (a stream
 * name that is not valid); *why says why. */
int sim_http_target_parse(const char *target, size_t len, struct sim_http_target *t,
			  const char **why);

/* Serve only these paths (NULL-terminated; the query is ignored), none
 * naming streams: another venue's dialect (feedsim --venue). NULL: the
 * Binance paths above. */
void sim_http_set_paths(const char *const *paths);

/* Write the response for a status (101 needs the client's key). Returns the
 * length, or 0 if cap is too small (512 bytes always suffice). */
size_t sim_http_response(char *out, size_t cap, int status, const char *key, size_t key_len,
			 const char *why);

/* The answer to an upgrade over the connection-rate limit: 429 Too Many
 * Requests with Retry-After: retry_after seconds. Length, or 0 when cap is
 * too small (256 bytes always suffice). */
size_t sim_http_too_many(char *out, size_t cap, unsigned retry_after);

#endif

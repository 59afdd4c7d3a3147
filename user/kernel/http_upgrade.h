/* http_upgrade — the WebSocket opening handshake of a client (RFC 6455 §4.1):
 * the GET request with its fresh Sec-WebSocket-Key, and the check of the
 * server's answer (101, Upgrade: websocket, Connection: Upgrade, the
 * Sec-WebSocket-Accept for our key, no extension or subprotocol we did not
 * ask for). The answer is parsed push-style with http_response; the bytes
 * after its head already belong to the WebSocket stream and are left to the
 * caller. */
#ifndef FEEDRX_HTTP_UPGRADE_H
#define FEEDRX_HTTP_UPGRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "http_response.h"
#include "url.h"
#include "ws_handshake.h"

struct http_upgrade {
	struct http_response resp;
	char key[WS_KEY_LEN + 1];
	char accept[WS_ACCEPT_LEN + 1]; /* what the server must send */
	bool done;				  /* verified 101 */
	int err;
	char detail[192];
};

/* Start a handshake. key: the Sec-WebSocket-Key to use (tests), or NULL for
 * a fresh one from the CSPRNG. Returns 0, -EIO or -EINVAL. */
int http_upgrade__init(struct http_upgrade *u, const char *key);

/* Write the request for url into out. Returns its length, or -ENOSPC. */
int http_upgrade__request(const struct http_upgrade *u, const struct url *url, char *out,
			  size_t cap);

/* A header the caller adds to the request (an API key): the value is
 * value_len bytes, not NUL-terminated, and may be a secret: it is written
 * into out and nowhere else. */
struct http_header {
	const char *name;
	const char *value;
	size_t value_len;
};

/* The request with n extra headers after the standard ones. Returns its
 * length, -ENOSPC, or -EINVAL for a name that is not an HTTP token or a
 * value with a control character (no header injection). */
int http_upgrade__request_with(const struct http_upgrade *u, const struct url *url,
			       const struct http_header *extra, size_t n, char *out, size_t cap);

/* Feed bytes of the server's answer. Returns the number consumed; when
 * u->done becomes true the rest of p (len - consumed bytes) is WebSocket
 * data. Negative on failure, with http_upgrade__error() saying why:
 * -EBADMSG (not HTTP), -E2BIG (head too large), -ENOBUFS (too many headers),
 * -ECONNREFUSED (status other than 101), -EPROTO (101 without the right
 * Upgrade/Connection headers, or with an extension/subprotocol),
 * -EACCES (Sec-WebSocket-Accept missing or wrong). */
ssize_t http_upgrade__feed(struct http_upgrade *u, const char *p, size_t len);

/* One line, e.g. "server answered 404 Not Found (expected 101)". */
const char *http_upgrade__error(const struct http_upgrade *u);

#endif

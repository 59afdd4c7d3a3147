/* ws_accept — the opening-handshake keys of RFC 6455 §4: the size of a
 * Sec-WebSocket-Key and the Sec-WebSocket-Accept a server answers it with.
 * The client checks the answer with it, the simulator sends it. */
#ifndef FEEDRX_WS_ACCEPT_H
#define FEEDRX_WS_ACCEPT_H

#include <stddef.h>

#define WS_KEY_LEN 24	 /* Sec-WebSocket-Key: base64 of 16 random bytes */
#define WS_ACCEPT_LEN 28 /* Sec-WebSocket-Accept: base64 of a SHA-1 digest */

/* Fill out[WS_ACCEPT_LEN + 1] with the Sec-WebSocket-Accept value for the
 * client key (key_len bytes, not NUL-terminated): base64(SHA-1(key + GUID)).
 * Returns 0 or -EINVAL (empty or oversized key). */
int ws_accept_compute(const char *key, size_t key_len, char *out);

#endif

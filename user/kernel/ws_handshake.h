/* ws_handshake — the RFC 6455 opening-handshake keys, shared by the client
 * (feedrx) and the simulator (feedsim). */
#ifndef FEEDRX_WS_HANDSHAKE_H
#define FEEDRX_WS_HANDSHAKE_H

#include <stddef.h>

#define WS_HANDSHAKE_KEY_LEN 24    /* base64 of 16 random bytes */
#define WS_HANDSHAKE_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */

/* Fill out[WS_HANDSHAKE_KEY_LEN + 1] with a fresh Sec-WebSocket-Key from the
 * CSPRNG. Returns 0 or -EIO. */
int ws_handshake_new_key(char *out);

/* Fill out[WS_HANDSHAKE_ACCEPT_LEN + 1] with the Sec-WebSocket-Accept value
 * for the client key (key_len bytes, not NUL-terminated). Returns 0 or
 * -EINVAL (empty or oversized key). */
int ws_handshake_accept(const char *key, size_t key_len, char *out);

#endif

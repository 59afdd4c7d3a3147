/* ws_handshake — the client's fresh Sec-WebSocket-Key (RFC 6455 §4.1). The
 * Sec-WebSocket-Accept it expects back is proto/ws_accept's. */
#ifndef FEEDRX_WS_HANDSHAKE_H
#define FEEDRX_WS_HANDSHAKE_H

#include "proto/ws_accept.h" /* WS_KEY_LEN, WS_ACCEPT_LEN */

/* Fill out[WS_KEY_LEN + 1] with a fresh Sec-WebSocket-Key from the CSPRNG.
 * Returns 0 or -EIO. */
int ws_handshake_new_key(char *out);

#endif

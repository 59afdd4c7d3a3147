/* ws_handshake — a fresh Sec-WebSocket-Key (RFC 6455 §4.1). */
#include "ws_handshake.h"

#include <errno.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

int ws_handshake_new_key(char *out)
{
	unsigned char raw[16];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	EVP_EncodeBlock((unsigned char *)out, raw, sizeof(raw));
	return 0;
}

/* ws_accept — Sec-WebSocket-Accept (RFC 6455 §4.2.2, item 5.4). */
#include "ws_accept.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int ws_accept_compute(const char *key, size_t key_len, char *out)
{
	unsigned char buf[128 + sizeof(ws_guid)];
	unsigned char digest[SHA_DIGEST_LENGTH];

	if (key_len == 0 || key_len > 128)
		return -EINVAL;
	memcpy(buf, key, key_len);
	memcpy(buf + key_len, ws_guid, sizeof(ws_guid) - 1);
	SHA1(buf, key_len + sizeof(ws_guid) - 1, digest);
	EVP_EncodeBlock((unsigned char *)out, digest, sizeof(digest));
	return 0;
}

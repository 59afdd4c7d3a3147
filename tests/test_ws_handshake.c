/* Tests for ws_handshake: the RFC 6455 §1.3 example and fresh keys. */
#include "check.h"
#include "ws_handshake.h"

static void accept_rfc6455_example(void)
{
	char out[WS_HANDSHAKE_ACCEPT_LEN + 1];
	const char *key = "dGhlIHNhbXBsZSBub25jZQ==";

	REQUIRE(ws_handshake_accept(key, strlen(key), out) == 0);
	CHECK(strcmp(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);
}

static void accept_rejects_bad_lengths(void)
{
	char big[200];
	char out[WS_HANDSHAKE_ACCEPT_LEN + 1];

	memset(big, 'A', sizeof(big));
	CHECK(ws_handshake_accept(big, 0, out) < 0);
	CHECK(ws_handshake_accept(big, sizeof(big), out) < 0);
}

static void new_keys_are_fresh_base64(void)
{
	char a[WS_HANDSHAKE_KEY_LEN + 1], b[WS_HANDSHAKE_KEY_LEN + 1];

	REQUIRE(ws_handshake_new_key(a) == 0);
	REQUIRE(ws_handshake_new_key(b) == 0);
	CHECK(strlen(a) == WS_HANDSHAKE_KEY_LEN);
	CHECK(a[22] == '=' && a[23] == '=');
	CHECK(strcmp(a, b) != 0);
}

int main(void)
{
	RUN(accept_rfc6455_example);
	RUN(accept_rejects_bad_lengths);
	RUN(new_keys_are_fresh_base64);
	return check_exit();
}

/* Tests for ws_handshake: fresh keys. (The accept value: test_ws_accept.) */
#include "check.h"
#include "kernel/ws_handshake.h"

static void new_keys_are_fresh_base64(void)
{
	char a[WS_KEY_LEN + 1], b[WS_KEY_LEN + 1];

	REQUIRE(ws_handshake_new_key(a) == 0);
	REQUIRE(ws_handshake_new_key(b) == 0);
	CHECK(strlen(a) == WS_KEY_LEN);
	CHECK(a[22] == '=' && a[23] == '=');
	CHECK(strcmp(a, b) != 0);
}

int main(void)
{
	RUN(new_keys_are_fresh_base64);
	return check_exit();
}

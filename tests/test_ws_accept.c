/* Tests for ws_accept: the RFC 6455 §1.3 example and bad key lengths. */
#include "check.h"
#include "proto/ws_accept.h"

static void accept_rfc6455_example(void)
{
	char out[WS_ACCEPT_LEN + 1];
	const char *key = "dGhlIHNhbXBsZSBub25jZQ==";

	REQUIRE(ws_accept_compute(key, strlen(key), out) == 0);
	CHECK(strcmp(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);
}

static void accept_rejects_bad_lengths(void)
{
	char big[200];
	char out[WS_ACCEPT_LEN + 1];

	memset(big, 'A', sizeof(big));
	CHECK(ws_accept_compute(big, 0, out) < 0);
	CHECK(ws_accept_compute(big, sizeof(big), out) < 0);
}

int main(void)
{
	RUN(accept_rfc6455_example);
	RUN(accept_rejects_bad_lengths);
	return check_exit();
}

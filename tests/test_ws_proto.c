/* Tests for ws_proto: which close codes may appear on the wire. */
#include "check.h"
#include "proto/ws_proto.h"

static void close_codes_on_the_wire(void)
{
	static const uint16_t ok[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
				      1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
	static const uint16_t bad[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECKF(ws_close_code_valid(ok[i]), "%u refused", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(!ws_close_code_valid(bad[i]), "%u accepted", bad[i]);
}

static void close_codes_every_value(void)
{
	unsigned n = 0;

	for (uint32_t c = 0; c <= 0xffff; c++)
		n += ws_close_code_valid((uint16_t)c);
	/* 4 + 8 + 2000: the three ranges and nothing else */
	CHECKF(n == 2012, "%u codes valid", n);
}

static void opcodes_are_rfc6455s(void)
{
	CHECK(WS_OP_CONT == 0 && WS_OP_TEXT == 1 && WS_OP_BINARY == 2);
	CHECK(WS_OP_CLOSE == 8 && WS_OP_PING == 9 && WS_OP_PONG == 10);
}

int main(void)
{
	RUN(close_codes_on_the_wire);
	RUN(close_codes_every_value);
	RUN(opcodes_are_rfc6455s);
	return check_exit();
}

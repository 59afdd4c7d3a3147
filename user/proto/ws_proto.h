/* ws_proto — RFC 6455 constants every WebSocket endpoint here shares (the
 * kernel client, the fast path's decoder, the simulator): opcodes, close
 * status codes and which close codes may appear on the wire. */
#ifndef FEEDRX_WS_PROTO_H
#define FEEDRX_WS_PROTO_H

#include <stdbool.h>
#include <stdint.h>

/* Frame opcodes (RFC 6455 §5.2). */
enum ws_frame_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

/* Close status codes (RFC 6455 §7.4.1). */
enum ws_close_code {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005, /* never on the wire: "no code in the frame" */
	WS_CLOSE_BAD_DATA = 1007,
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
};

/* May code appear in a CLOSE frame? 1000-1003, 1007-1014, 3000-4999.
 * 1012-1014 (service restart / try again later / bad gateway) are
 * IANA-registered codes real servers send when they go away; 1004 is
 * reserved, 1005, 1006 and 1015 must never be sent (§7.4.1), the rest of
 * 0-2999 is unassigned. */
bool ws_close_code_valid(uint16_t code);

#endif

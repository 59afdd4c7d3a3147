/* sim_ws — feedsim's side of RFC 6455 framing: writing unmasked server
 * frames, and a push decoder for the masked frames a client sends, with the
 * limits and close codes a server must enforce. */
#ifndef FEEDRX_SIM_WS_H
#define FEEDRX_SIM_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ws_proto.h" /* opcodes WS_OP_*, close codes WS_CLOSE_* */

#define SIM_WS_HDR_MAX 10 /* server frames carry no mask */
#define SIM_WS_CTL_MAX 125

/* Length of the header of an unmasked frame with this payload length. */
static inline size_t sim_ws_hdr_len(uint64_t len)
{
	return len < 126 ? 2 : len < 65536 ? 4 : 10;
}

/* Write a frame header into out[SIM_WS_HDR_MAX]; returns its length. */
size_t sim_ws_hdr_write(uint8_t *out, unsigned opcode, bool fin, uint64_t len);

/* Bytes needed to send a len-byte message as frames of at most frag payload
 * bytes (frag 0: one frame). */
size_t sim_ws_framed_len(size_t len, size_t frag);

/* Write a message as frames of at most frag bytes (0: one frame) into out,
 * which has sim_ws_framed_len(len, frag) bytes. Returns bytes written. */
size_t sim_ws_frame_msg(uint8_t *out, unsigned opcode, const void *payload, size_t len,
			size_t frag);

/* Write a close frame with a status code and a short reason; returns its
 * length (at most SIM_WS_HDR_MAX + SIM_WS_CTL_MAX). */
size_t sim_ws_close_write(uint8_t *out, uint16_t code, const char *reason);

/* What sim_ws_rx__feed() found. */
enum sim_ws_ev {
	SIM_WS_EV_NONE,   /* all input consumed, no complete unit yet */
	SIM_WS_EV_TEXT,   /* a complete text message */
	SIM_WS_EV_BINARY, /* a complete binary message */
	SIM_WS_EV_PING,
	SIM_WS_EV_PONG,
	SIM_WS_EV_CLOSE, /* close_code holds the peer's code (1005: none) */
	SIM_WS_EV_ERROR, /* close_code holds the code to close with */
};

struct sim_ws_rx {
	uint8_t hdr[14];
	uint8_t hdr_len, hdr_need;
	uint8_t opcode;   /* opcode of the frame being read */
	uint8_t msg_op;   /* opcode of the message in progress, 0 = none */
	bool fin;
	uint8_t mask[4];
	uint64_t left;    /* payload bytes still to read in this frame */
	uint64_t pos;     /* payload bytes read in this frame (mask phase) */
	uint8_t *msg;     /* data message being assembled */
	size_t msg_len, msg_max;
	uint8_t ctl[SIM_WS_CTL_MAX];
	size_t ctl_len;
	uint16_t close_code;
	const char *why; /* short reason for SIM_WS_EV_ERROR */
};

/* Messages longer than max_msg bytes are refused with 1009. Returns 0 or
 * -ENOMEM. */
int sim_ws_rx__init(struct sim_ws_rx *rx, size_t max_msg);
void sim_ws_rx__fini(struct sim_ws_rx *rx);

/* Decode from buf; *used gets the bytes consumed. Returns at the first
 * complete message or control frame, or when the input is used up. After
 * SIM_WS_EV_ERROR the decoder must not be fed again. */
enum sim_ws_ev sim_ws_rx__feed(struct sim_ws_rx *rx, const uint8_t *buf, size_t len,
			       size_t *used);

/* Payload of the last TEXT/BINARY (message) or PING/PONG/CLOSE (control). */
const uint8_t *sim_ws_rx_payload(const struct sim_ws_rx *rx, enum sim_ws_ev ev, size_t *len);

#endif

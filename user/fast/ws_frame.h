/* ws_frame — the fast path's RFC 6455 frame decoder for server->client
 * frames: a push state machine fed with TLS plaintext, delivering whole data
 * messages and control frames through callbacks.
 *
 * Owns: the frame/message state and one reassembly buffer sized once at
 * init (max message size). Nothing is allocated after init.
 *
 * Delivery:
 *   - An unfragmented TEXT/BINARY message whose payload lies wholly in one
 *     feed() call is delivered zero-copy (the pointer is into the caller's
 *     bytes, valid only during the callback). Fragmented messages, and
 *     messages split across feed() calls, are copied into the bounded buffer
 *     and delivered from it when the last fragment arrives.
 *   - Control frames (PING/PONG/CLOSE) are delivered as they complete, also
 *     between the fragments of a data message; split ones go through a
 *     125-byte buffer.
 *
 * Rules enforced on every frame (a server's frames, RFC 6455 §5):
 *   unmasked; RSV1-3 zero (no extension is ever negotiated); known opcode;
 *   control frames final and <= 125 bytes; CLOSE payload not 1 byte and its
 *   code valid on the wire (1000-1003, 1007-1014, 3000-4999); CONTINUATION
 *   only inside a message and TEXT/BINARY only outside one; minimal length
 *   encoding with the 64-bit MSB clear; message <= max size (checked on each
 *   frame header, before any byte of it is delivered or copied).
 *   1012-1014 (service restart / try again later / bad gateway) are
 *   IANA-registered codes that real servers send when they go away, so they
 *   are accepted; 1004, 1005, 1006, 1015 and the unassigned rest are not.
 *
 * UTF-8 of TEXT messages and CLOSE reasons is checked only with
 * WS_FRAME_F_UTF8 (off by default: the feed's JSON parser rejects bad bytes
 * anyway and the check costs a pass over every message).
 *
 * Errors are sticky: after one, feed() returns the same error until
 * ws_frame__reset(). Nothing of the offending frame is delivered; everything
 * before it was delivered exactly once. After a CLOSE frame has been
 * delivered the decoder is closed: feeding more bytes (in the same call or a
 * later one) is the protocol error WS_FRAME_E_AFTER_CLOSE, as a server must
 * not send anything after its CLOSE.
 *
 * Callbacks must not call feed() or reset() on the same decoder.
 */
#ifndef FEEDRX_WS_FRAME_H
#define FEEDRX_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/fx_err.h"
#include "proto/ws_proto.h" /* opcodes WS_OP_*, close codes WS_CLOSE_* */

#define WS_FRAME_DEFAULT_MAX_MSG (4u << 20) /* 4 MiB */
#define WS_FRAME_LIMIT_MAX_MSG (1u << 30)   /* largest max_msg accepted */
#define WS_FRAME_MAX_CTRL 125
#define WS_FRAME_MAX_HDR 10 /* 2 + 8 (64-bit length); server frames carry no mask */

/* Decoding errors: ws_frame's block of core/fx_err.h, clear of the errno
 * values ws_frame__init returns; fx_strerror() has their texts. */
enum ws_frame_err {
	WS_FRAME_OK = 0,
	/* protocol errors: close code 1002 */
	WS_FRAME_E_MASKED = -FX_E_WS_MASKED,		       /* server frame has the MASK bit */
	WS_FRAME_E_RSV = -FX_E_WS_RSV,			       /* RSV1-3 set without an extension */
	WS_FRAME_E_OPCODE = -FX_E_WS_OPCODE,		       /* reserved opcode */
	WS_FRAME_E_CTRL_FRAGMENTED = -FX_E_WS_CTRL_FRAGMENTED, /* control frame without FIN */
	WS_FRAME_E_CTRL_TOO_LONG = -FX_E_WS_CTRL_TOO_LONG,     /* control payload > 125 */
	WS_FRAME_E_CLOSE_LEN = -FX_E_WS_CLOSE_LEN,	       /* CLOSE payload of 1 byte */
	WS_FRAME_E_CLOSE_CODE = -FX_E_WS_CLOSE_CODE, /* CLOSE code not valid on the wire */
	WS_FRAME_E_CONT_UNEXPECTED = -FX_E_WS_CONT_UNEXPECTED, /* CONTINUATION outside a message */
	WS_FRAME_E_DATA_IN_FRAGMENT = -FX_E_WS_DATA_IN_FRAGMENT, /* TEXT/BINARY inside a message */
	WS_FRAME_E_LEN_MSB = -FX_E_WS_LEN_MSB,		     /* 64-bit length with the MSB set */
	WS_FRAME_E_LEN_NONMINIMAL = -FX_E_WS_LEN_NONMINIMAL, /* length not in its shortest form */
	WS_FRAME_E_AFTER_CLOSE = -FX_E_WS_AFTER_CLOSE,	     /* bytes after the CLOSE frame */
	/* close code 1009 */
	WS_FRAME_E_TOO_BIG = -FX_E_WS_TOO_BIG, /* message larger than max_msg */
	/* close code 1007 (only with WS_FRAME_F_UTF8) */
	WS_FRAME_E_UTF8 = -FX_E_WS_UTF8, /* TEXT message or CLOSE reason not UTF-8 */
};

#define WS_FRAME_F_UTF8 0x1u /* validate UTF-8 of TEXT messages and CLOSE reasons */

/* One complete, validated frame (for statistics). */
struct ws_frame_info {
	uint64_t payload_len;
	uint8_t opcode; /* enum ws_frame_opcode, WS_OP_CONT for later fragments */
	uint8_t fin;
	uint8_t hdr_len; /* bytes of frame header */
};

typedef void (*ws_frame_msg_cb)(void *user, int opcode, const uint8_t *payload, size_t len);
typedef void (*ws_frame_frame_cb)(void *user, const struct ws_frame_info *fi);

struct ws_frame_opts {
	size_t max_msg; /* 0: WS_FRAME_DEFAULT_MAX_MSG; at most WS_FRAME_LIMIT_MAX_MSG */
	void *buf;	/* optional caller-owned reassembly buffer of max_msg bytes */
	unsigned flags; /* WS_FRAME_F_* */
	void *user;	/* first argument of every callback */
	/* each complete TEXT/BINARY message */
	ws_frame_msg_cb on_message;
	/* each PING/PONG/CLOSE frame (CLOSE payload: 2-byte code + reason, or empty) */
	ws_frame_msg_cb on_control;
	/* optional: each complete frame, before its message/control callback */
	ws_frame_frame_cb on_frame;
};

/* The decoder. Fields are private; the struct is public so it can be
 * embedded in a connection and set up with ws_frame__init(). */
struct ws_frame {
	/* set up once */
	uint8_t *buf;
	size_t max_msg;
	unsigned flags;
	bool own_buf;
	void *user;
	ws_frame_msg_cb on_message;
	ws_frame_msg_cb on_control;
	ws_frame_frame_cb on_frame;
	/* stream state */
	int state;
	int err;
	uint64_t plen;	 /* current frame's payload length */
	uint64_t remain; /* its payload bytes still to come */
	size_t msg_len;	 /* bytes of the current message in buf */
	uint8_t op, fin, hdr_len;
	uint8_t msg_op; /* TEXT/BINARY of the message being reassembled */
	bool in_msg;	/* a non-final fragment has been received */
	bool closed;	/* a CLOSE frame was delivered */
	uint8_t hdr_have;
	uint8_t ctrl_have;
	uint8_t hdr[WS_FRAME_MAX_HDR];
	uint8_t ctrl[WS_FRAME_MAX_CTRL];
};

/* Set up d: allocates the reassembly buffer (unless opts->buf) once.
 * Returns 0, -EINVAL (bad opts) or -ENOMEM. */
int ws_frame__init(struct ws_frame *d, const struct ws_frame_opts *opts);
/* Release what ws_frame__init allocated. */
void ws_frame__fini(struct ws_frame *d);

/* Allocate and set up a decoder: 0 and *out, or -EINVAL / -ENOMEM. */
int ws_frame__new(struct ws_frame **out, const struct ws_frame_opts *opts);
void ws_frame__free(struct ws_frame *d);

/* Decode len bytes of the server's stream. Returns len (all bytes are
 * consumed: a partial header or payload is kept inside), or a negative
 * enum ws_frame_err (sticky). */
ssize_t ws_frame__feed(struct ws_frame *d, const uint8_t *bytes, size_t len);

/* Back to the start of a stream (new connection); keeps opts and buffer. */
void ws_frame__reset(struct ws_frame *d);

/* True once a CLOSE frame was delivered. */
bool ws_frame__closed(const struct ws_frame *d);
/* The sticky error, or 0. */
int ws_frame__error(const struct ws_frame *d);

/* WebSocket close code to send for err: 1002, 1007, 1009; 1000 for 0;
 * 1011 for anything else. */
uint16_t ws_frame_close_code(int err);

#endif

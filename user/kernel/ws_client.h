/* ws_client — the client side of one WebSocket connection (RFC 6455) on
 * wslay's frame API: a push decoder for the server's frames and an encoder
 * of our own (masked) frames into a bounded output buffer that the caller
 * drains onto the transport.
 *
 * It owns: frame validation (reserved bits and opcodes, masking, control
 * frame rules, fragmentation order), message reassembly into one buffer of
 * max_message bytes allocated at set-up, ping -> pong, and the close
 * handshake. A message that arrives whole in one frame is handed out in
 * place, without a copy. Nothing is allocated per message. */
#ifndef FEEDRX_WS_CLIENT_H
#define FEEDRX_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wslay/wslay.h>

#include "proto/ws_proto.h" /* opcodes WS_OP_*, close codes WS_CLOSE_* */

enum ws_client_state {
	WS_CLIENT_OPEN,	      /* messages flow both ways */
	WS_CLIENT_CLOSE_SENT, /* our close is queued; waiting for the server's */
	WS_CLIENT_CLOSED,     /* both closes exchanged (or server's echoed) */
	WS_CLIENT_FAILED,     /* protocol error; our close (with code) queued */
};

struct ws_client_cbs {
	/* One complete data message; p is valid only during the call. The
	 * callback may call ws_client__close(). */
	void (*on_message)(void *user, bool text, const uint8_t *p, size_t n);
};

struct ws_client_stats {
	uint64_t messages, bytes; /* data messages and their payload bytes */
	uint64_t frames;	  /* all frames received (counted at their header) */
	uint64_t frames_done;	  /* ... and complete (their last payload byte in) */
	uint64_t pings, pongs;	  /* received */
	uint64_t pongs_dropped;	  /* pings not answered: output buffer full */
};

struct ws_client {
	wslay_frame_context_ptr frame;
	const struct ws_client_cbs *cbs;
	void *user;
	enum ws_client_state state;
	bool check_utf8;

	/* input of the current feed() call, pulled by wslay's recv callback */
	const uint8_t *in;
	size_t in_len;

	/* the frame being received */
	bool frame_active;
	uint8_t frame_op;
	uint64_t frame_got;

	/* the data message being reassembled */
	bool msg_active;
	bool msg_text;
	uint8_t *msg;
	size_t msg_len, msg_cap;

	/* the control frame being received */
	uint8_t ctl[125];
	size_t ctl_len;

	/* encoded frames waiting for the transport: out[out_off, out_len) */
	uint8_t *out;
	size_t out_off, out_len, out_cap;

	uint16_t close_sent;	 /* code we sent, 0 = none yet */
	uint16_t close_received; /* code the server sent, 0 = none yet */
	char close_reason[124];	 /* the server's reason, NUL-terminated */
	int err;
	char detail[96];
	struct ws_client_stats stats;
};

struct ws_client_opts {
	size_t max_message; /* reassembly limit, bytes (> 0) */
	size_t out_cap;	    /* output buffer, bytes (>= 256) */
	bool check_utf8;    /* validate text messages, 1007 on failure */
};

/* Set up; allocates the message and output buffers. Returns 0, -EINVAL or
 * -ENOMEM. */
int ws_client__init(struct ws_client *ws, const struct ws_client_opts *o,
		    const struct ws_client_cbs *cbs, void *user);
void ws_client__free(struct ws_client *ws);

/* Feed n bytes from the server. Returns 0 when all were consumed (or ignored
 * because the connection is closed/failed), or a negative error after which
 * the state is WS_CLIENT_FAILED and a close frame is queued:
 * -EPROTO (1002), -EMSGSIZE (1009), -EILSEQ (1007), -ENOBUFS (output full),
 * -EIO (mask generation failed). ws_client__error() says what happened. */
int ws_client__feed(struct ws_client *ws, const uint8_t *p, size_t n);

/* Queue a data message (one frame, masked). 0, -ENOBUFS, -EPIPE if closing. */
int ws_client__send(struct ws_client *ws, bool text, const void *p, size_t n);

/* Queue a ping with payload n <= 125 bytes. */
int ws_client__ping(struct ws_client *ws, const void *p, size_t n);

/* Queue a pong (when another decoder saw the server's ping). 0 or negative. */
int ws_client__pong(struct ws_client *ws, const void *p, size_t n);

/* Start the close handshake with code (0 = no code). No-op unless OPEN. */
int ws_client__close(struct ws_client *ws, uint16_t code);

/* Bytes waiting to be written: *p and the count; consume() after writing. */
size_t ws_client__pending(const struct ws_client *ws, const uint8_t **p);
void ws_client__consume(struct ws_client *ws, size_t n);

/* What went wrong, for the last error. */
const char *ws_client__error(const struct ws_client *ws);

#endif

/* ws_client — RFC 6455 client endpoint on wslay's frame API (see ws_client.h). */
#include "ws_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/utf8.h"

#include <openssl/rand.h>


/* wslay pulls input from the bytes of the current feed() call. */
static ssize_t ws_client__recv_cb(uint8_t *buf, size_t len, int flags, void *user)
{
	struct ws_client *ws = user;
	size_t n = len < ws->in_len ? len : ws->in_len;

	(void)flags;
	if (n == 0)
		return 0; /* wslay turns this into WSLAY_ERR_WANT_READ */
	memcpy(buf, ws->in, n);
	ws->in += n;
	ws->in_len -= n;
	return (ssize_t)n;
}

/* wslay pushes encoded frames; room was checked before wslay_frame_send. */
static ssize_t ws_client__send_cb(const uint8_t *data, size_t len, int flags, void *user)
{
	struct ws_client *ws = user;

	(void)flags;
	if (len > ws->out_cap - ws->out_len)
		return 0;
	memcpy(ws->out + ws->out_len, data, len);
	ws->out_len += len;
	return (ssize_t)len;
}

/* Client frames are masked with keys from the CSPRNG (RFC 6455 §5.3). */
static int ws_client__genmask_cb(uint8_t *buf, size_t len, void *user)
{
	(void)user;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

static const struct wslay_frame_callbacks ws_client__wslay_cbs = {
    .send_callback = ws_client__send_cb,
    .recv_callback = ws_client__recv_cb,
    .genmask_callback = ws_client__genmask_cb,
};

int ws_client__init(struct ws_client *ws, const struct ws_client_opts *o,
		    const struct ws_client_cbs *cbs, void *user)
{
	memset(ws, 0, sizeof(*ws));
	if (!o->max_message || o->out_cap < 256)
		return -EINVAL;
	ws->cbs = cbs;
	ws->user = user;
	ws->check_utf8 = o->check_utf8;
	ws->msg_cap = o->max_message;
	ws->out_cap = o->out_cap;
	ws->msg = malloc(ws->msg_cap);
	if (!ws->msg)
		goto err_msg;
	ws->out = malloc(ws->out_cap);
	if (!ws->out)
		goto err_out;
	if (wslay_frame_context_init(&ws->frame, &ws_client__wslay_cbs, ws))
		goto err_frame;
	return 0;

err_frame:
	free(ws->out);
err_out:
	free(ws->msg);
err_msg:
	memset(ws, 0, sizeof(*ws));
	return -ENOMEM;
}

void ws_client__free(struct ws_client *ws)
{
	if (ws->frame)
		wslay_frame_context_free(ws->frame);
	free(ws->out);
	free(ws->msg);
	memset(ws, 0, sizeof(*ws));
}

/* Make room for n more output bytes, moving pending bytes to the front. */
static int ws_client__reserve(struct ws_client *ws, size_t n)
{
	if (ws->out_off) {
		memmove(ws->out, ws->out + ws->out_off, ws->out_len - ws->out_off);
		ws->out_len -= ws->out_off;
		ws->out_off = 0;
	}
	return n <= ws->out_cap - ws->out_len ? 0 : -ENOBUFS;
}

static int ws_client__send_frame(struct ws_client *ws, uint8_t op, const void *p, size_t n)
{
	struct wslay_frame_iocb io = {
	    .fin = 1,
	    .opcode = op,
	    .payload_length = n,
	    .mask = 1,
	    .data = p,
	    .data_length = n,
	};
	size_t hdr = 2 + 4 + (n < 126 ? 0 : n < 65536 ? 2 : 8);
	ssize_t r;

	if (ws_client__reserve(ws, n + hdr))
		return -ENOBUFS;
	r = wslay_frame_send(ws->frame, &io);
	if (r < 0 || (size_t)r != n)
		return -EIO;
	return 0;
}

int ws_client__send(struct ws_client *ws, bool text, const void *p, size_t n)
{
	if (ws->state != WS_CLIENT_OPEN)
		return -EPIPE;
	return ws_client__send_frame(ws, text ? WS_OP_TEXT : WS_OP_BINARY, p, n);
}

int ws_client__ping(struct ws_client *ws, const void *p, size_t n)
{
	if (n > 125)
		return -EINVAL;
	if (ws->state != WS_CLIENT_OPEN)
		return -EPIPE;
	return ws_client__send_frame(ws, WS_OP_PING, p, n);
}

int ws_client__pong(struct ws_client *ws, const void *p, size_t n)
{
	if (n > 125)
		return -EINVAL;
	if (ws->state != WS_CLIENT_OPEN)
		return -EPIPE;
	return ws_client__send_frame(ws, WS_OP_PONG, p, n);
}

static int ws_client__send_close(struct ws_client *ws, uint16_t code)
{
	uint8_t b[2] = {(uint8_t)(code >> 8), (uint8_t)code};

	ws->close_sent = code ? code : WS_CLOSE_NO_STATUS;
	return ws_client__send_frame(ws, WS_OP_CLOSE, b, code ? 2 : 0);
}

int ws_client__close(struct ws_client *ws, uint16_t code)
{
	if (ws->state != WS_CLIENT_OPEN)
		return 0;
	ws->state = WS_CLIENT_CLOSE_SENT;
	return ws_client__send_close(ws, code);
}

size_t ws_client__pending(const struct ws_client *ws, const uint8_t **p)
{
	*p = ws->out + ws->out_off;
	return ws->out_len - ws->out_off;
}

void ws_client__consume(struct ws_client *ws, size_t n)
{
	ws->out_off += n;
	if (ws->out_off >= ws->out_len)
		ws->out_off = ws->out_len = 0;
}

const char *ws_client__error(const struct ws_client *ws)
{
	return ws->detail[0] ? ws->detail : "no error";
}

/* Fail the connection (RFC 6455 §7.1.7): queue our close with code, stop
 * reading. Returns err for the caller to pass up. */
__attribute__((format(printf, 4, 5))) static int
ws_client__fail(struct ws_client *ws, int err, uint16_t code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ws->detail, sizeof(ws->detail), fmt, ap);
	va_end(ap);
	ws->err = err;
	if (ws->state == WS_CLIENT_OPEN)
		ws_client__send_close(ws, code); /* best effort: buffer may be full */
	ws->state = WS_CLIENT_FAILED;
	return err;
}

static int ws_client__deliver(struct ws_client *ws, bool text, const uint8_t *p, size_t n)
{
	if (text && ws->check_utf8 && !utf8_valid(p, n))
		return ws_client__fail(ws, -EILSEQ, WS_CLOSE_BAD_DATA,
				       "invalid UTF-8 in a text message");
	/* after our close, data still in flight is dropped, not delivered */
	if (ws->state != WS_CLIENT_OPEN)
		return 0;
	ws->stats.messages++;
	ws->stats.bytes += n;
	if (ws->cbs && ws->cbs->on_message)
		ws->cbs->on_message(ws->user, text, p, n);
	return 0;
}

static int ws_client__control(struct ws_client *ws, uint8_t op)
{
	const uint8_t *p = ws->ctl;
	size_t n = ws->ctl_len;

	switch (op) {
	case WS_OP_PING:
		ws->stats.pings++;
		if (ws->state != WS_CLIENT_OPEN)
			return 0;
		/* RFC 6455 §5.5.3: answering only the latest ping is allowed */
		if (ws_client__send_frame(ws, WS_OP_PONG, p, n))
			ws->stats.pongs_dropped++;
		return 0;
	case WS_OP_PONG:
		ws->stats.pongs++;
		return 0;
	case WS_OP_CLOSE: {
		uint16_t code = WS_CLOSE_NO_STATUS;
		if (n == 1)
			return ws_client__fail(ws, -EPROTO, WS_CLOSE_PROTOCOL,
					       "close frame with a 1-byte payload");
		if (n >= 2) {
			code = (uint16_t)(p[0] << 8 | p[1]);
			if (!ws_close_code_valid(code))
				return ws_client__fail(ws, -EPROTO, WS_CLOSE_PROTOCOL,
						       "invalid close code %u", code);
			if (ws->check_utf8 && !utf8_valid(p + 2, n - 2))
				return ws_client__fail(ws, -EILSEQ, WS_CLOSE_BAD_DATA,
						       "invalid UTF-8 in a close reason");
			memcpy(ws->close_reason, p + 2, n - 2);
			ws->close_reason[n - 2] = 0;
		}
		ws->close_received = code;
		/* echo the server's code (RFC 6455 §5.5.1) */
		if (ws->state == WS_CLIENT_OPEN &&
		    ws_client__send_close(ws, code == WS_CLOSE_NO_STATUS ? 0 : code))
			ws->err = -ENOBUFS;
		ws->state = WS_CLIENT_CLOSED;
		return 0;
	}
	}
	return 0;
}

/* A new frame starts: check what wslay leaves to its user. */
static int ws_client__frame_start(struct ws_client *ws, const struct wslay_frame_iocb *io)
{
	ws->stats.frames++;
	if (io->rsv)
		return ws_client__fail(ws, -EPROTO, WS_CLOSE_PROTOCOL,
				       "reserved bits 0x%x set without an extension", io->rsv);
	if (io->mask)
		return ws_client__fail(ws, -EPROTO, WS_CLOSE_PROTOCOL,
				       "masked frame from the server");
	switch (io->opcode) {
	case WS_OP_CONT:
		if (!ws->msg_active)
			return ws_client__fail(ws, -EPROTO, WS_CLOSE_PROTOCOL,
					       "continuation frame without a message");
		break;
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (ws->msg_active)
			return ws_client__fail(ws, -EPROTO, WS_CLOSE_PROTOCOL,
					       "new message inside a fragmented one");
		ws->msg_active = true;
		ws->msg_text = io->opcode == WS_OP_TEXT;
		ws->msg_len = 0;
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		ws->ctl_len = 0;
		break;
	default:
		return ws_client__fail(ws, -EPROTO, WS_CLOSE_PROTOCOL, "reserved opcode 0x%x",
				       io->opcode);
	}
	if (io->opcode <= WS_OP_BINARY && io->payload_length > ws->msg_cap - ws->msg_len)
		return ws_client__fail(ws, -EMSGSIZE, WS_CLOSE_TOO_BIG,
				       "message larger than %zu bytes", ws->msg_cap);
	ws->frame_active = true;
	ws->frame_op = io->opcode;
	ws->frame_got = 0;
	return 0;
}

/* One piece of a frame's payload from wslay. */
static int ws_client__chunk(struct ws_client *ws, const struct wslay_frame_iocb *io)
{
	bool start = !ws->frame_active, end;
	int r;

	if (start && (r = ws_client__frame_start(ws, io)))
		return r;
	ws->frame_got += io->data_length;
	end = ws->frame_got == io->payload_length;
	if (end) {
		ws->frame_active = false;
		ws->stats.frames_done++;
	}

	if (ws->frame_op >= WS_OP_CLOSE) {
		if (io->data_length)
			memcpy(ws->ctl + ws->ctl_len, io->data, io->data_length);
		ws->ctl_len += io->data_length;
		return end ? ws_client__control(ws, ws->frame_op) : 0;
	}
	/* the common case: a whole unfragmented message in wslay's buffer */
	if (start && end && io->fin && ws->frame_op != WS_OP_CONT) {
		ws->msg_active = false;
		return ws_client__deliver(ws, ws->msg_text, io->data, io->data_length);
	}
	if (io->data_length)
		memcpy(ws->msg + ws->msg_len, io->data, io->data_length);
	ws->msg_len += io->data_length;
	if (end && io->fin) {
		ws->msg_active = false;
		return ws_client__deliver(ws, ws->msg_text, ws->msg, ws->msg_len);
	}
	return 0;
}

int ws_client__feed(struct ws_client *ws, const uint8_t *p, size_t n)
{
	struct wslay_frame_iocb io;
	ssize_t r;
	int err = 0;

	if (ws->state == WS_CLIENT_FAILED)
		return ws->err;
	ws->in = p;
	ws->in_len = n;
	while (ws->state == WS_CLIENT_OPEN || ws->state == WS_CLIENT_CLOSE_SENT) {
		memset(&io, 0, sizeof(io));
		r = wslay_frame_recv(ws->frame, &io);
		if (r == WSLAY_ERR_WANT_READ) {
			if (ws->in_len == 0)
				break;
			continue;
		}
		if (r < 0) {
			err = ws_client__fail(ws, -EPROTO, WS_CLOSE_PROTOCOL,
					      "malformed frame header");
			break;
		}
		if ((err = ws_client__chunk(ws, &io)))
			break;
	}
	ws->in = NULL;
	ws->in_len = 0;
	return err;
}

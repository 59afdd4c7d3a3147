/* sim_ws — server-side WebSocket framing for feedsim (see sim_ws.h). */
#include "sim_ws.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/utf8.h"

size_t sim_ws_hdr_write(uint8_t *out, unsigned opcode, bool fin, uint64_t len)
{
	out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len < 65536) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

size_t sim_ws_framed_len(size_t len, size_t frag)
{
	size_t full, rem;

	if (!frag || len <= frag)
		return sim_ws_hdr_len(len) + len;
	full = len / frag;
	rem = len % frag;
	return full * (sim_ws_hdr_len(frag) + frag) + (rem ? sim_ws_hdr_len(rem) + rem : 0);
}

size_t sim_ws_frame_msg(uint8_t *out, unsigned opcode, const void *payload, size_t len,
			size_t frag)
{
	const uint8_t *src = payload;
	uint8_t *p = out;
	size_t left = len;

	if (!frag || len <= frag)
		frag = len;
	do {
		size_t n = left < frag ? left : frag;

		p += sim_ws_hdr_write(p, p == out ? opcode : WS_OP_CONT, n == left, n);
		memcpy(p, src, n);
		p += n;
		src += n;
		left -= n;
	} while (left);
	return (size_t)(p - out);
}

size_t sim_ws_close_write(uint8_t *out, uint16_t code, const char *reason)
{
	size_t rlen = reason ? strlen(reason) : 0;
	size_t h;

	if (rlen > SIM_WS_CTL_MAX - 2)
		rlen = SIM_WS_CTL_MAX - 2;
	h = sim_ws_hdr_write(out, WS_OP_CLOSE, true, 2 + rlen);
	out[h] = (uint8_t)(code >> 8);
	out[h + 1] = (uint8_t)code;
	if (rlen)
		memcpy(out + h + 2, reason, rlen);
	return h + 2 + rlen;
}

int sim_ws_rx__init(struct sim_ws_rx *rx, size_t max_msg)
{
	memset(rx, 0, sizeof(*rx));
	rx->msg = malloc(max_msg ? max_msg : 1);
	if (!rx->msg)
		return -ENOMEM;
	rx->msg_max = max_msg;
	rx->hdr_need = 2;
	return 0;
}

void sim_ws_rx__fini(struct sim_ws_rx *rx)
{
	free(rx->msg);
	rx->msg = NULL;
}

static enum sim_ws_ev rx_fail(struct sim_ws_rx *rx, uint16_t code, const char *why)
{
	rx->close_code = code;
	rx->why = why;
	return SIM_WS_EV_ERROR;
}

/* A whole header is in hdr[]: check it and set up the payload phase. */
static enum sim_ws_ev rx_header(struct sim_ws_rx *rx)
{
	const uint8_t *h = rx->hdr;
	unsigned op = h[0] & 0x0f, len7 = h[1] & 0x7f;
	uint64_t len = len7;
	size_t off = 2;

	rx->fin = h[0] & 0x80;
	if (h[0] & 0x70)
		return rx_fail(rx, WS_CLOSE_PROTOCOL, "reserved bits set");
	if (!(h[1] & 0x80))
		return rx_fail(rx, WS_CLOSE_PROTOCOL, "unmasked client frame");
	if (len7 == 126) {
		len = (uint64_t)h[2] << 8 | h[3];
		off = 4;
		if (len < 126)
			return rx_fail(rx, WS_CLOSE_PROTOCOL, "non-minimal length");
	} else if (len7 == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | h[2 + i];
		off = 10;
		if (len >> 63)
			return rx_fail(rx, WS_CLOSE_PROTOCOL, "length with the top bit set");
		if (len < 65536)
			return rx_fail(rx, WS_CLOSE_PROTOCOL, "non-minimal length");
	}
	memcpy(rx->mask, h + off, 4);
	rx->opcode = (uint8_t)op;
	rx->left = len;
	rx->pos = 0;
	switch (op) {
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!rx->fin)
			return rx_fail(rx, WS_CLOSE_PROTOCOL, "fragmented control frame");
		if (len > SIM_WS_CTL_MAX)
			return rx_fail(rx, WS_CLOSE_PROTOCOL, "control frame too long");
		rx->ctl_len = 0;
		return SIM_WS_EV_NONE;
	case WS_OP_CONT:
		if (!rx->msg_op)
			return rx_fail(rx, WS_CLOSE_PROTOCOL, "continuation without a message");
		break;
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (rx->msg_op)
			return rx_fail(rx, WS_CLOSE_PROTOCOL, "new message inside a fragmented one");
		rx->msg_op = (uint8_t)op;
		rx->msg_len = 0;
		break;
	default:
		return rx_fail(rx, WS_CLOSE_PROTOCOL, "unknown opcode");
	}
	if (len > rx->msg_max - rx->msg_len)
		return rx_fail(rx, WS_CLOSE_TOO_BIG, "message too big");
	return SIM_WS_EV_NONE;
}

/* The current frame's payload is complete. */
static enum sim_ws_ev rx_frame_done(struct sim_ws_rx *rx)
{
	enum sim_ws_ev ev;

	rx->hdr_len = 0;
	rx->hdr_need = 2;
	switch (rx->opcode) {
	case WS_OP_PING:
		return SIM_WS_EV_PING;
	case WS_OP_PONG:
		return SIM_WS_EV_PONG;
	case WS_OP_CLOSE:
		if (rx->ctl_len == 0) {
			rx->close_code = WS_CLOSE_NO_STATUS;
			return SIM_WS_EV_CLOSE;
		}
		if (rx->ctl_len == 1)
			return rx_fail(rx, WS_CLOSE_PROTOCOL, "one-byte close payload");
		rx->close_code = (uint16_t)(rx->ctl[0] << 8 | rx->ctl[1]);
		if (!ws_close_code_valid(rx->close_code))
			return rx_fail(rx, WS_CLOSE_PROTOCOL, "invalid close code");
		if (!utf8_valid(rx->ctl + 2, rx->ctl_len - 2))
			return rx_fail(rx, WS_CLOSE_BAD_DATA, "close reason not UTF-8");
		return SIM_WS_EV_CLOSE;
	}
	rx->msg_len += rx->pos;
	if (!rx->fin)
		return SIM_WS_EV_NONE;
	ev = rx->msg_op == WS_OP_TEXT ? SIM_WS_EV_TEXT : SIM_WS_EV_BINARY;
	rx->msg_op = 0;
	if (ev == SIM_WS_EV_TEXT && !utf8_valid(rx->msg, rx->msg_len))
		return rx_fail(rx, WS_CLOSE_BAD_DATA, "text message not UTF-8");
	return ev;
}

enum sim_ws_ev sim_ws_rx__feed(struct sim_ws_rx *rx, const uint8_t *buf, size_t len,
			       size_t *used)
{
	const uint8_t *p = buf, *end = buf + len;
	enum sim_ws_ev ev = SIM_WS_EV_NONE;

	while (p < end && ev == SIM_WS_EV_NONE) {
		if (rx->hdr_len < rx->hdr_need) {
			size_t n = rx->hdr_need - rx->hdr_len;

			if (n > (size_t)(end - p))
				n = (size_t)(end - p);
			memcpy(rx->hdr + rx->hdr_len, p, n);
			rx->hdr_len = (uint8_t)(rx->hdr_len + n);
			p += n;
			if (rx->hdr_len < rx->hdr_need)
				break;
			if (rx->hdr_need == 2) {
				unsigned l7 = rx->hdr[1] & 0x7f;

				rx->hdr_need = (uint8_t)(2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) +
							 (rx->hdr[1] & 0x80 ? 4 : 0));
				if (rx->hdr_need > 2)
					continue;
			}
			ev = rx_header(rx);
			if (ev == SIM_WS_EV_NONE && rx->left == 0)
				ev = rx_frame_done(rx);
			continue;
		}
		{
			bool ctl = rx->opcode >= WS_OP_CLOSE;
			uint8_t *dst = ctl ? rx->ctl + rx->pos : rx->msg + rx->msg_len + rx->pos;
			size_t n = rx->left < (uint64_t)(end - p) ? (size_t)rx->left : (size_t)(end - p);

			for (size_t i = 0; i < n; i++)
				dst[i] = p[i] ^ rx->mask[(rx->pos + i) & 3];
			p += n;
			rx->pos += n;
			rx->left -= n;
			if (ctl)
				rx->ctl_len = (size_t)rx->pos;
			if (rx->left == 0)
				ev = rx_frame_done(rx);
		}
	}
	*used = (size_t)(p - buf);
	return ev;
}

const uint8_t *sim_ws_rx_payload(const struct sim_ws_rx *rx, enum sim_ws_ev ev, size_t *len)
{
	if (ev == SIM_WS_EV_TEXT || ev == SIM_WS_EV_BINARY) {
		*len = rx->msg_len;
		return rx->msg;
	}
	*len = rx->ctl_len;
	return rx->ctl;
}

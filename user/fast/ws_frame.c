/* ws_frame — RFC 6455 server->client frame decoding: header validation,
 * zero-copy delivery of contiguous messages, bounded reassembly of the rest.
 * See ws_frame.h for the rules and the delivery contract. */
#include "ws_frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/utf8.h"
#include "core/util.h"

/* forced for the per-message helpers: -O2 keeps them out of line, which
 * costs ~2.5 ns of the ~8 ns per contiguous 150-byte message */
#define always_inline inline __attribute__((always_inline))

enum { ST_HEADER, ST_PAYLOAD, ST_CLOSED, ST_ERROR };

/* bit n set: opcode n is defined by RFC 6455 */
#define WS_OPCODES_KNOWN                                                                           \
	((1u << WS_OP_CONT) | (1u << WS_OP_TEXT) | (1u << WS_OP_BINARY) | (1u << WS_OP_CLOSE) |    \
	 (1u << WS_OP_PING) | (1u << WS_OP_PONG))

static void cb_nop(void *user, int opcode, const uint8_t *p, size_t len)
{
	(void)user, (void)opcode, (void)p, (void)len;
}

int ws_frame__init(struct ws_frame *d, const struct ws_frame_opts *opts)
{
	size_t max;

	if (!d || !opts)
		return -EINVAL;
	max = opts->max_msg ? opts->max_msg : WS_FRAME_DEFAULT_MAX_MSG;
	if (max > WS_FRAME_LIMIT_MAX_MSG)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->max_msg = max;
	d->flags = opts->flags;
	d->user = opts->user;
	d->on_message = opts->on_message ? opts->on_message : cb_nop;
	d->on_control = opts->on_control ? opts->on_control : cb_nop;
	d->on_frame = opts->on_frame;
	if (opts->buf) {
		d->buf = opts->buf;
	} else {
		d->buf = malloc(max);
		if (!d->buf)
			return -ENOMEM;
		d->own_buf = true;
	}
	ws_frame__reset(d);
	return 0;
}

void ws_frame__fini(struct ws_frame *d)
{
	if (!d)
		return;
	if (d->own_buf)
		free(d->buf);
	d->buf = NULL;
	d->own_buf = false;
}

int ws_frame__new(struct ws_frame **out, const struct ws_frame_opts *opts)
{
	struct ws_frame *d = malloc(sizeof(*d));
	int err;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	err = ws_frame__init(d, opts);
	if (err) {
		free(d);
		return err;
	}
	*out = d;
	return 0;
}

void ws_frame__free(struct ws_frame *d)
{
	if (!d)
		return;
	ws_frame__fini(d);
	free(d);
}

void ws_frame__reset(struct ws_frame *d)
{
	d->state = ST_HEADER;
	d->err = 0;
	d->plen = d->remain = 0;
	d->msg_len = 0;
	d->op = d->fin = d->hdr_len = 0;
	d->msg_op = 0;
	d->in_msg = false;
	d->closed = false;
	d->hdr_have = 0;
	d->ctrl_have = 0;
}

bool ws_frame__closed(const struct ws_frame *d)
{
	return d->closed;
}

int ws_frame__error(const struct ws_frame *d)
{
	return d->state == ST_ERROR ? d->err : 0;
}

uint16_t ws_frame_close_code(int err)
{
	if (err == 0)
		return WS_CLOSE_NORMAL;
	if (err == WS_FRAME_E_TOO_BIG)
		return WS_CLOSE_TOO_BIG;
	if (err == WS_FRAME_E_UTF8)
		return WS_CLOSE_BAD_DATA;
	if (err <= WS_FRAME_E_MASKED && err >= WS_FRAME_E_AFTER_CLOSE)
		return WS_CLOSE_PROTOCOL;
	return 1011;
}

static int fail(struct ws_frame *d, int err)
{
	d->state = ST_ERROR;
	d->err = err;
	return err;
}

/* Validate the frame header at h (avail bytes) against the stream state.
 * Returns the header length and enters ST_PAYLOAD, 0 if more bytes are
 * needed, or an error. Checks that need only the first two bytes fail as
 * soon as those two bytes are there. */
static always_inline int parse_hdr(struct ws_frame *d, const uint8_t *h, size_t avail)
{
	uint8_t b0, b1, op, fin, len7;
	uint64_t plen;
	int need;

	if (unlikely(avail < 2))
		return 0;
	b0 = h[0];
	b1 = h[1];
	op = b0 & 0x0f;
	fin = b0 >> 7;
	len7 = b1 & 0x7f;
	if (unlikely(b0 & 0x70))
		return WS_FRAME_E_RSV;
	if (unlikely(!((WS_OPCODES_KNOWN >> op) & 1)))
		return WS_FRAME_E_OPCODE;
	if (unlikely(b1 & 0x80))
		return WS_FRAME_E_MASKED;
	if (op & 0x8) {
		if (!fin)
			return WS_FRAME_E_CTRL_FRAGMENTED;
		if (len7 > WS_FRAME_MAX_CTRL)
			return WS_FRAME_E_CTRL_TOO_LONG;
		if (op == WS_OP_CLOSE && len7 == 1)
			return WS_FRAME_E_CLOSE_LEN;
	} else if (op == WS_OP_CONT) {
		if (!d->in_msg)
			return WS_FRAME_E_CONT_UNEXPECTED;
	} else if (unlikely(d->in_msg)) {
		return WS_FRAME_E_DATA_IN_FRAGMENT;
	}

	if (len7 < 126) {
		need = 2;
		plen = len7;
	} else if (len7 == 126) {
		need = 4;
		if (avail < 4)
			return 0;
		plen = (uint64_t)h[2] << 8 | h[3];
		if (plen < 126)
			return WS_FRAME_E_LEN_NONMINIMAL;
	} else {
		need = 10;
		if (avail < 10)
			return 0;
		plen = 0;
		for (int i = 2; i < 10; i++)
			plen = plen << 8 | h[i];
		if (plen >> 63)
			return WS_FRAME_E_LEN_MSB;
		if (plen < 65536)
			return WS_FRAME_E_LEN_NONMINIMAL;
	}

	if (!(op & 0x8)) {
		size_t used = op == WS_OP_CONT ? d->msg_len : 0;

		/* checked on the header: nothing of an oversized message is
		 * delivered or copied */
		if (plen > d->max_msg - used)
			return WS_FRAME_E_TOO_BIG;
		if (op != WS_OP_CONT) {
			d->msg_op = op;
			d->msg_len = 0;
		}
	}
	d->op = op;
	d->fin = fin;
	d->hdr_len = (uint8_t)need;
	d->plen = d->remain = plen;
	d->state = ST_PAYLOAD;
	return need;
}

static inline void frame_hook(struct ws_frame *d)
{
	if (d->on_frame) {
		struct ws_frame_info fi = {
		    .payload_len = d->plen,
		    .opcode = d->op,
		    .fin = d->fin,
		    .hdr_len = d->hdr_len,
		};
		d->on_frame(d->user, &fi);
	}
}

/* A control frame's whole payload is at p. */
static int ctrl_done(struct ws_frame *d, const uint8_t *p, size_t n)
{
	if (d->op == WS_OP_CLOSE && n >= 2) {
		if (!ws_close_code_valid((uint16_t)(p[0] << 8 | p[1])))
			return WS_FRAME_E_CLOSE_CODE;
		if ((d->flags & WS_FRAME_F_UTF8) && !utf8_valid(p + 2, n - 2))
			return WS_FRAME_E_UTF8;
	}
	if (d->op == WS_OP_CLOSE) {
		d->state = ST_CLOSED;
		d->closed = true;
	} else {
		d->state = ST_HEADER;
	}
	frame_hook(d);
	d->on_control(d->user, d->op, p, n);
	return 0;
}

/* The final fragment of a data message is complete; the message is at p. */
static always_inline int msg_done(struct ws_frame *d, const uint8_t *p, size_t n)
{
	if ((d->flags & WS_FRAME_F_UTF8) && d->msg_op == WS_OP_TEXT && !utf8_valid(p, n))
		return WS_FRAME_E_UTF8;
	d->state = ST_HEADER;
	d->in_msg = false;
	d->msg_len = 0;
	frame_hook(d);
	d->on_message(d->user, d->msg_op, p, n);
	return 0;
}

/* Take payload bytes of the current frame from [*pp, end); completes the
 * frame (even an empty one) when its last byte is there. */
static int payload_step(struct ws_frame *d, const uint8_t **pp, const uint8_t *end)
{
	const uint8_t *p = *pp;
	size_t avail = (size_t)(end - p), take;

	if (d->op & 0x8) {
		if (d->ctrl_have == 0 && d->remain <= avail) {
			*pp = p + d->remain;
			return ctrl_done(d, p, (size_t)d->remain);
		}
		take = d->remain < avail ? (size_t)d->remain : avail;
		memcpy(d->ctrl + d->ctrl_have, p, take);
		d->ctrl_have += (uint8_t)take;
		d->remain -= take;
		*pp = p + take;
		if (d->remain)
			return 0;
		take = d->ctrl_have;
		d->ctrl_have = 0;
		return ctrl_done(d, d->ctrl, take);
	}

	/* zero-copy: a whole unfragmented message is in the caller's bytes */
	if (d->op != WS_OP_CONT && d->fin && d->remain == d->plen && d->remain <= avail) {
		*pp = p + d->remain;
		return msg_done(d, p, (size_t)d->remain);
	}
	take = d->remain < avail ? (size_t)d->remain : avail;
	memcpy(d->buf + d->msg_len, p, take);
	d->msg_len += take;
	d->remain -= take;
	*pp = p + take;
	if (d->remain)
		return 0;
	if (d->fin)
		return msg_done(d, d->buf, d->msg_len);
	d->in_msg = true;
	d->state = ST_HEADER;
	frame_hook(d);
	return 0;
}

ssize_t ws_frame__feed(struct ws_frame *d, const uint8_t *bytes, size_t len)
{
	const uint8_t *p, *end;
	int rc;

	if (unlikely(d->state >= ST_CLOSED)) {
		if (d->state == ST_ERROR)
			return d->err;
		return len ? fail(d, WS_FRAME_E_AFTER_CLOSE) : 0;
	}
	if (unlikely(len == 0))
		return 0; /* bytes may be NULL */
	p = bytes;
	end = bytes + len;
	while (p < end) {
		if (d->state == ST_HEADER) {
			size_t avail = (size_t)(end - p);

			if (likely(d->hdr_have == 0)) {
				rc = parse_hdr(d, p, avail);
				if (unlikely(rc == 0)) {
					/* a partial header is shorter than WS_FRAME_MAX_HDR */
					memcpy(d->hdr, p, avail);
					d->hdr_have = (uint8_t)avail;
					return (ssize_t)len;
				}
				if (unlikely(rc < 0))
					return fail(d, rc);
				p += rc;
			} else {
				size_t have = d->hdr_have;
				size_t take = WS_FRAME_MAX_HDR - have;

				if (take > avail)
					take = avail;
				memcpy(d->hdr + have, p, take);
				rc = parse_hdr(d, d->hdr, have + take);
				if (rc < 0)
					return fail(d, rc);
				if (rc == 0) {
					/* only when all of the input fit in hdr */
					d->hdr_have = (uint8_t)(have + take);
					return (ssize_t)len;
				}
				d->hdr_have = 0;
				p += (size_t)rc - have;
			}
		}
		rc = payload_step(d, &p, end);
		if (unlikely(rc < 0))
			return fail(d, rc);
		if (unlikely(d->state == ST_CLOSED)) {
			if (p < end)
				return fail(d, WS_FRAME_E_AFTER_CLOSE);
			break;
		}
	}
	return (ssize_t)len;
}

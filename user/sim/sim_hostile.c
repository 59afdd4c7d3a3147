/* sim_hostile — the attacks of feedsim --hostile (see sim_hostile.h). */
#include "sim_hostile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proto/ws_accept.h"
#include "sim_ws.h"

#define CHUNK 16384 /* streamed kinds: bytes per pump() call at most */
#define CONT_FRAME 4096
#define SLOW_PAYLOAD 256

static const char *const names[SIM_HOSTILE__COUNT] = {
	[SIM_HOSTILE_LEN63] = "len63",
	[SIM_HOSTILE_OVERSIZE] = "oversize",
	[SIM_HOSTILE_ENDLESS_CONT] = "endless-cont",
	[SIM_HOSTILE_CTL_LONG] = "ctl-long",
	[SIM_HOSTILE_CTL_FRAG] = "ctl-frag",
	[SIM_HOSTILE_MASKED] = "masked",
	[SIM_HOSTILE_RSV] = "rsv",
	[SIM_HOSTILE_OPCODE] = "opcode",
	[SIM_HOSTILE_BAD_UTF8] = "bad-utf8",
	[SIM_HOSTILE_BAD_CLOSE] = "bad-close",
	[SIM_HOSTILE_CLOSE_1BYTE] = "close-1byte",
	[SIM_HOSTILE_AFTER_CLOSE] = "after-close",
	[SIM_HOSTILE_TLS_TRUNC] = "tls-trunc",
	[SIM_HOSTILE_SLOWLORIS] = "slowloris",
	[SIM_HOSTILE_BAD_ACCEPT] = "bad-accept",
	[SIM_HOSTILE_BODY_101] = "body-101",
	[SIM_HOSTILE_ENDLESS_HEADERS] = "endless-headers",
	[SIM_HOSTILE_HUGE_ANSWER] = "huge-answer",
};

const char sim_hostile_kinds[] =
	"len63 oversize endless-cont ctl-long ctl-frag\n"
	"masked rsv opcode bad-utf8 bad-close close-1byte\n"
	"after-close tls-trunc slowloris bad-accept body-101\n"
	"endless-headers huge-answer";

int sim_hostile_kind_parse(const char *name, enum sim_hostile_kind *kind)
{
	for (int k = 1; k < SIM_HOSTILE__COUNT; k++)
		if (!strcmp(name, names[k])) {
			*kind = (enum sim_hostile_kind)k;
			return 0;
		}
	return -EINVAL;
}

const char *sim_hostile_kind_name(enum sim_hostile_kind kind)
{
	return kind > 0 && kind < SIM_HOSTILE__COUNT ? names[kind] : "none";
}

bool sim_hostile_in_handshake(enum sim_hostile_kind kind)
{
	return kind >= SIM_HOSTILE_BAD_ACCEPT && kind <= SIM_HOSTILE_HUGE_ANSWER;
}

void sim_hostile__init(struct sim_hostile *h, enum sim_hostile_kind kind, uint64_t size)
{
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->size = size ? size : SIM_HOSTILE_OVERSIZE_DEFAULT;
}

/* An unmasked frame header with any first byte; the length in its
 * shortest form, or always in 64 bits with long64 (lengths a correct
 * encoder never writes). */
static size_t hdr(uint8_t *out, uint8_t b0, uint64_t len, bool long64)
{
	size_t n = sim_ws_hdr_write(out, b0 & 0x0f, b0 & 0x80, long64 ? UINT64_MAX : len);

	out[0] = b0; /* reserved bits and all */
	if (long64) /* the 64-bit form whatever the length: not minimal */
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return n;
}

/* A whole frame with first byte b0 and payload p. */
static size_t frame(uint8_t *out, uint8_t b0, const void *p, size_t n)
{
	size_t h = hdr(out, b0, n, false);

	memcpy(out + h, p, n);
	return h + n;
}

#define STR(s) (s), (sizeof(s) - 1)

size_t sim_hostile_answer(const struct sim_hostile *h, char *out, size_t cap, const char *key,
			  size_t key_len)
{
	char accept[WS_ACCEPT_LEN + 1], wrong[128];
	int n = -1;

	if (cap > SIM_HOSTILE_ANSWER_MAX)
		cap = SIM_HOSTILE_ANSWER_MAX;
	switch (h->kind) {
	case SIM_HOSTILE_BAD_ACCEPT:
		/* well-formed, but for another key: one character changed */
		if (!key_len || key_len >= sizeof(wrong))
			return 0;
		memcpy(wrong, key, key_len);
		wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
		if (ws_accept_compute(wrong, key_len, accept))
			return 0;
		n = snprintf(out, cap,
			     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			     accept);
		break;
	case SIM_HOSTILE_BODY_101:
		/* A 1xx response ends with its header section (RFC 9112 §6.3): the
		 * "body" is the first bytes of the WebSocket stream, and 't' (0x74)
		 * read as a frame header has RSV1-3 set. */
		if (ws_accept_compute(key, key_len, accept))
			return 0;
		n = snprintf(out, cap,
			     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
			     "Content-Type: text/plain\r\nContent-Length: 24\r\n\r\n"
			     "this is not a frame 101\n",
			     accept);
		break;
	case SIM_HOSTILE_ENDLESS_HEADERS:
		n = snprintf(out, cap, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				       "Connection: Upgrade\r\n");
		break;
	case SIM_HOSTILE_HUGE_ANSWER:
		n = snprintf(out, cap,
			     "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
			     "Content-Length: %llu\r\n\r\n",
			     (unsigned long long)SIM_HOSTILE_HUGE_BYTES);
		break;
	default:
		return 0;
	}
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Streamed filler: up to want bytes of c. */
static size_t fill(uint8_t *out, size_t cap, uint64_t want, char c)
{
	size_t n = cap < CHUNK ? cap : CHUNK;

	if (want < n)
		n = (size_t)want;
	memset(out, c, n);
	return n;
}

size_t sim_hostile__pump(struct sim_hostile *h, uint8_t *out, size_t cap,
			 enum sim_hostile_next *next)
{
	static const uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
					 0x7f, 0x9f, 0x4d, 0x51, 0x58}; /* "Hello", RFC 6455 §5.7 */
	uint8_t pay[SIM_HOSTILE_PUMP_MIN / 2];
	size_t n = 0, m;

	*next = SIM_HOSTILE_DONE;
	if (cap < SIM_HOSTILE_PUMP_MIN)
		return 0;
	switch (h->kind) {
	case SIM_HOSTILE_LEN63:
		n = hdr(out, 0x81, 1ull << 63, true);
		memcpy(out + n, "hostile", 7);
		n += 7;
		break;
	case SIM_HOSTILE_OVERSIZE:
		if (h->n++ == 0)
			n = hdr(out, 0x81, h->size, false);
		m = fill(out + n, cap - n, h->size - h->pos, 'x');
		h->pos += m;
		n += m;
		if (h->pos < h->size)
			*next = SIM_HOSTILE_MORE;
		return n;
	case SIM_HOSTILE_ENDLESS_CONT:
		/* a text message that never ends: 4 KiB fragments, FIN never set */
		while (cap - n >= 4 + CONT_FRAME && n < CHUNK) {
			n += hdr(out + n, h->n++ == 0 ? 0x01 : 0x00, CONT_FRAME, false);
			memset(out + n, 'y', CONT_FRAME);
			n += CONT_FRAME;
		}
		h->pos += n;
		*next = SIM_HOSTILE_MORE;
		return n;
	case SIM_HOSTILE_CTL_LONG:
		memset(pay, 'p', 126);
		n = frame(out, 0x89, pay, 126);
		break;
	case SIM_HOSTILE_CTL_FRAG:
		n = frame(out, 0x09, STR("ping"));
		n += frame(out + n, 0x80, STR("ping"));
		break;
	case SIM_HOSTILE_MASKED:
		memcpy(out, masked, sizeof(masked));
		n = sizeof(masked);
		break;
	case SIM_HOSTILE_RSV:
		n = frame(out, 0xc1, STR("{\"rsv\":1}"));
		break;
	case SIM_HOSTILE_OPCODE:
		n = frame(out, 0x83, STR("{\"opcode\":3}"));
		break;
	case SIM_HOSTILE_BAD_UTF8:
		/* 0xc3 0x28: a 2-byte lead followed by an ASCII byte */
		n = frame(out, 0x81, STR("{\"bad\":\"\xc3\x28\"}"));
		break;
	case SIM_HOSTILE_BAD_CLOSE:
		n = frame(out, 0x88, STR("\x03\xed" "1005 is never on the wire"));
		break;
	case SIM_HOSTILE_CLOSE_1BYTE:
		n = frame(out, 0x88, STR("\x03"));
		break;
	case SIM_HOSTILE_AFTER_CLOSE:
		n = frame(out, 0x88, STR("\x03\xe8" "bye"));
		n += frame(out + n, 0x81, STR("{\"after\":\"close\"}"));
		break;
	case SIM_HOSTILE_TLS_TRUNC:
		/* an application-data record header announcing 16 KiB, and 100
		 * bytes of it */
		n = 5;
		memcpy(out, "\x17\x03\x03\x40\x00", 5);
		memset(out + n, 0xaa, 100);
		n += 100;
		*next = SIM_HOSTILE_RAW;
		return n;
	case SIM_HOSTILE_SLOWLORIS: {
		/* one valid text frame, a byte per second */
		uint8_t f[4 + SLOW_PAYLOAD];
		size_t fl = hdr(f, 0x81, SLOW_PAYLOAD, false);

		memset(f + fl, 'z', SLOW_PAYLOAD);
		fl += SLOW_PAYLOAD;
		if (h->pos >= fl)
			return 0;
		out[0] = f[h->pos++];
		h->wait = 1.0;
		*next = h->pos < fl ? SIM_HOSTILE_WAIT : SIM_HOSTILE_DONE;
		return 1;
	}
	case SIM_HOSTILE_BODY_101:
		/* valid frames after the "body": a lenient client would deliver
		 * them; they are never logged */
		n = frame(out, 0x81, STR("{\"after\":\"body\"}"));
		break;
	case SIM_HOSTILE_ENDLESS_HEADERS:
		while (cap - n >= 128 && n < CHUNK)
			n += (size_t)snprintf((char *)out + n, cap - n,
					      "X-Hostile-%llu: %064llu\r\n",
					      (unsigned long long)h->n, (unsigned long long)h->n),
				h->n++;
		h->pos += n;
		*next = SIM_HOSTILE_MORE;
		return n;
	case SIM_HOSTILE_HUGE_ANSWER:
		n = fill(out, cap, SIM_HOSTILE_HUGE_BYTES - h->pos, 'b');
		h->pos += n;
		if (h->pos < SIM_HOSTILE_HUGE_BYTES)
			*next = SIM_HOSTILE_MORE;
		return n;
	default:
		return 0;
	}
	if (h->pos)
		return 0; /* a one-shot attack is written once */
	h->pos = n;
	return n;
}

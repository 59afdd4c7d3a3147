/* sim_hostile — feedsim as a hostile exchange (--hostile KIND): the bytes a
 * correct server never writes, for testing that a client survives them.
 *
 * Two families:
 * - handshake kinds (bad-accept, body-101, endless-headers, huge-answer)
 *   replace the HTTP answer to the upgrade request;
 * - session kinds (every other) follow a valid upgrade and a few valid
 *   messages (sim_server sends and logs those), then write the attack.
 *
 * The module only produces bytes; sim_server writes them (into TLS, or onto
 * the TCP socket for tls-trunc) and paces them. Frames are written here
 * byte by byte, not through sim_ws: an encoder that is correct cannot write
 * most of them. Nothing is allocated. */
#ifndef FEEDRX_SIM_HOSTILE_H
#define FEEDRX_SIM_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sim_hostile_kind {
	SIM_HOSTILE_NONE = 0,
	SIM_HOSTILE_LEN63,	     /* a frame header with a 2^63-byte length */
	SIM_HOSTILE_OVERSIZE,	     /* a message of --hostile-size bytes, streamed */
	SIM_HOSTILE_ENDLESS_CONT,    /* a text message continued forever, no FIN */
	SIM_HOSTILE_CTL_LONG,	     /* a ping with 126 payload bytes */
	SIM_HOSTILE_CTL_FRAG,	     /* a ping without FIN, then its continuation */
	SIM_HOSTILE_MASKED,	     /* a masked text frame */
	SIM_HOSTILE_RSV,	     /* RSV1 set (no extension negotiated) */
	SIM_HOSTILE_OPCODE,	     /* reserved data opcode 0x3 */
	SIM_HOSTILE_BAD_UTF8,	     /* a text message that is not UTF-8 */
	SIM_HOSTILE_BAD_CLOSE,	     /* a close frame with code 1005 */
	SIM_HOSTILE_CLOSE_1BYTE,     /* a close frame with a 1-byte payload */
	SIM_HOSTILE_AFTER_CLOSE,     /* a valid close 1000, then a text message */
	SIM_HOSTILE_TLS_TRUNC,	     /* half a TLS record on the socket, then silence */
	SIM_HOSTILE_SLOWLORIS,	     /* a text frame, one byte per second */
	SIM_HOSTILE_BAD_ACCEPT,	     /* 101 with a wrong Sec-WebSocket-Accept */
	SIM_HOSTILE_BODY_101,	     /* 101 with Content-Length and a body */
	SIM_HOSTILE_ENDLESS_HEADERS, /* 101 whose header section never ends */
	SIM_HOSTILE_HUGE_ANSWER,     /* 200 with a 1 GiB body, streamed */
	SIM_HOSTILE__COUNT,
};

/* What the server does after sim_hostile__pump(). */
enum sim_hostile_next {
	SIM_HOSTILE_MORE, /* call again once the bytes are written */
	SIM_HOSTILE_WAIT, /* call again after `wait` seconds */
	SIM_HOSTILE_RAW,  /* these bytes go on the TCP socket, around TLS; then silence */
	SIM_HOSTILE_DONE, /* nothing more: wait for the client to leave */
};

#define SIM_HOSTILE_PUMP_MIN 512     /* pump() needs at least this much room */
#define SIM_HOSTILE_ANSWER_MAX 1024 /* answer() never writes more */
#define SIM_HOSTILE_HUGE_BYTES (1ull << 30)
#define SIM_HOSTILE_OVERSIZE_DEFAULT ((4ull << 20) + 1) /* over feedrx's default 4M */

/* "len63 oversize ...", for --help. */
extern const char sim_hostile_kinds[];

struct sim_hostile {
	enum sim_hostile_kind kind;
	uint64_t size; /* oversize: the message's bytes */
	uint64_t pos;  /* bytes of the attack written so far (after the head) */
	uint64_t n;    /* units (frames, header lines) written */
	double wait;   /* after SIM_HOSTILE_WAIT */
};

/* 0 and *kind, or -EINVAL for a name not in sim_hostile_kinds. */
int sim_hostile_kind_parse(const char *name, enum sim_hostile_kind *kind);
const char *sim_hostile_kind_name(enum sim_hostile_kind kind);
/* Does the kind replace the answer to the upgrade request? */
bool sim_hostile_in_handshake(enum sim_hostile_kind kind);

void sim_hostile__init(struct sim_hostile *h, enum sim_hostile_kind kind, uint64_t size);

/* Handshake kinds: the answer to the upgrade request with the client's
 * Sec-WebSocket-Key. Returns its length (<= SIM_HOSTILE_ANSWER_MAX and
 * <= cap), 0 if cap is too small or the key unusable. */
size_t sim_hostile_answer(const struct sim_hostile *h, char *out, size_t cap, const char *key,
			  size_t key_len);

/* The next bytes of the attack into out (cap >= SIM_HOSTILE_PUMP_MIN);
 * returns how many, and in *next what to do after writing them. */
size_t sim_hostile__pump(struct sim_hostile *h, uint8_t *out, size_t cap,
			 enum sim_hostile_next *next);

#endif

/* fp_stream — the fast path from reassembled TCP bytes to WebSocket messages.
 *
 * Owns the stages after TCP reassembly, in stream order:
 *   [dump]  the raw exchange->client byte stream, optionally written to a file;
 *   proxy   an HTTP CONNECT response (plaintext, before TLS) skipped to the byte;
 *   hold    bytes that arrive before OpenSSL (on the kernel socket) has handed
 *           over the secrets, kept in a bounded buffer;
 *   tls     tls_record following the stream from its first byte;
 *   http    the HTTP 101 upgrade response skipped to the byte;
 *   ws      ws_frame decoding; messages and control frames to callbacks;
 *           bytes after the server's CLOSE frame are dropped.
 *
 * Everything is allocated in fp_stream__new(); feeding allocates nothing.
 * The first error of any stage is sticky and reported with the stage's name.
 */
#ifndef FEEDRX_FP_STREAM_H
#define FEEDRX_FP_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/fx_err.h"
#include "tls_keys.h"
#include "tls_record.h"

enum fp_stage {
	FP_STAGE_PROXY = 1,
	FP_STAGE_HOLD,
	FP_STAGE_TLS,
	FP_STAGE_HTTP,
	FP_STAGE_WS,
};

#define FP_E_HOLD_FULL (-FX_E_FP_HOLD_FULL)	/* secrets came too late: hold buffer full */
#define FP_E_HTTP_STATUS (-FX_E_FP_HTTP_STATUS) /* the response is not the expected status */
#define FP_E_HTTP_TOO_LONG (-FX_E_FP_HTTP_TOO_LONG)
#define FP_E_GAP (-FX_E_FP_GAP)	    /* bytes missing from the stream */
#define FP_E_ENDED (-FX_E_FP_ENDED) /* stream ended (FIN/RST/close) before its end */

struct fp_stream_opts {
	int proxied;          /* a CONNECT response precedes TLS */
	size_t hold_bytes;    /* 0: 1 MiB */
	size_t max_message;   /* 0: ws_frame default */
	int check_utf8;       /* text messages must be UTF-8 (the kernel path's rule) */
	FILE *dump;           /* raw stream copy, or NULL */
	void *user;
	void (*on_message)(void *user, int opcode, const uint8_t *p, size_t n);
	void (*on_control)(void *user, int opcode, const uint8_t *p, size_t n);
	void (*on_tls_event)(void *user, enum tls_record_event ev, unsigned detail);
	/* optional: a record was authenticated and decrypted (latency stamp) */
	void (*on_record)(void *user);
};

struct fp_stream;

/* 0 and *out, or -ENOMEM / -EINVAL (bad max_message). */
int fp_stream__new(struct fp_stream **out, const struct fp_stream_opts *o);
void fp_stream__free(struct fp_stream *s);

/* Secrets are known (after the kernel path's handshake): start TLS at the
 * stream's first TLS byte and replay what was held. hs may be NULL (TLS 1.2).
 * The epochs are copied; the caller wipes its own. 0 or an error. */
int fp_stream__set_keys(struct fp_stream *s, const struct tls_epoch *hs,
			const struct tls_epoch *app);

/* Reassembled bytes at stream offset off (contiguous with the previous
 * call). 0 or the sticky error. */
int fp_stream__feed(struct fp_stream *s, uint64_t off, const uint8_t *p, size_t n);

int fp_stream__error(const struct fp_stream *s);
enum fp_stage fp_stream__error_stage(const struct fp_stream *s);
/* "tls: AEAD tag mismatch (out of sync)" style text for the sticky error. */
const char *fp_stream__strerror(const struct fp_stream *s, char *buf, size_t len);
int fp_stream__keyed(const struct fp_stream *s);
uint64_t fp_stream__bytes(const struct fp_stream *s);
const struct tls_record *fp_stream__tls(const struct fp_stream *s);

/* Simulate a fast-path desync (test-only switch): the next feed fails as an
 * AEAD failure would. */
void fp_stream__inject_desync(struct fp_stream *s);

#endif

/* tls_record — the fast path's TLS record reader for the server->client
 * direction, independent of OpenSSL's SSL object.
 *
 * A push state machine over the reassembled TCP byte stream: it parses record
 * headers, enforces the RFC size/type/version rules, decrypts each record
 * with the current epoch's AEAD key and verifies the tag before any byte goes
 * further. A tag failure means the reader is out of sync with the stream: a
 * hard error, never a skipped record. TLS 1.3 post-handshake messages are
 * followed (NewSessionTicket skipped, KeyUpdate: next secret derived here,
 * sequence reset), alerts are surfaced (close_notify = clean end).
 *
 * Memory: the reader allocates its buffers and cipher context at
 * tls_record__new(); feeding allocates nothing per record (a TLS 1.3
 * KeyUpdate derives keys through EVP_KDF, which allocates a little).
 *
 * Start modes:
 *   tls_record__start()        at an exact record boundary (the hand-off from
 *                              OpenSSL, see tls_keys__handoff()): epoch + seq;
 *   tls_record__start_stream() from the first byte of the server's stream
 *                              (ServerHello on): plaintext handshake records
 *                              are skipped, the TLS 1.3 handshake epoch is
 *                              decrypted and skipped up to the server's
 *                              Finished, then application data is delivered.
 */
#ifndef FEEDRX_TLS_RECORD_H
#define FEEDRX_TLS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/fx_err.h"
#include "tls_keys.h"
#include "fast_types.h" /* enum tls_record_event */

#define TLS_RECORD_HEADER_LEN 5
#define TLS_RECORD_MAX_PLAINTEXT 16384                 /* 2^14 */
#define TLS_RECORD_MAX_CIPHERTEXT_13 (16384 + 256)     /* RFC 8446 §5.2 */
#define TLS_RECORD_MAX_CIPHERTEXT_12 (16384 + 2048)    /* RFC 5246 §6.2.3 */

/* Errors: negative, sticky (the reader stays failed). */
enum tls_record_error {
	TLS_RECORD_E_INVALID = -FX_E_TLS_INVALID, /* bad argument or not started */
	TLS_RECORD_E_NOMEM = -FX_E_TLS_NOMEM,
	TLS_RECORD_E_CRYPTO = -FX_E_TLS_CRYPTO,		  /* OpenSSL cipher or KDF failure */
	TLS_RECORD_E_BAD_TYPE = -FX_E_TLS_BAD_TYPE,	  /* unknown or forbidden content type */
	TLS_RECORD_E_BAD_VERSION = -FX_E_TLS_BAD_VERSION, /* legacy_record_version not 0x0303 */
	TLS_RECORD_E_OVERFLOW = -FX_E_TLS_OVERFLOW,	  /* record length over the limit */
	TLS_RECORD_E_PLAINTEXT_OVERFLOW =
	    -FX_E_TLS_PLAINTEXT_OVERFLOW, /* plaintext would exceed 2^14 */
	TLS_RECORD_E_BAD_LENGTH =
	    -FX_E_TLS_BAD_LENGTH, /* too short for the AEAD, or a forbidden empty record */
	TLS_RECORD_E_AUTH = -FX_E_TLS_AUTH, /* AEAD tag mismatch: out of sync */
	TLS_RECORD_E_NO_CONTENT_TYPE =
	    -FX_E_TLS_NO_CONTENT_TYPE,			  /* TLS 1.3 inner plaintext all padding */
	TLS_RECORD_E_UNEXPECTED = -FX_E_TLS_UNEXPECTED,	  /* message not allowed here */
	TLS_RECORD_E_BAD_MESSAGE = -FX_E_TLS_BAD_MESSAGE, /* malformed alert or handshake message */
	TLS_RECORD_E_ALERT = -FX_E_TLS_ALERT,		  /* the server sent a fatal alert */
	TLS_RECORD_E_SEQ_EXHAUSTED = -FX_E_TLS_SEQ_EXHAUSTED, /* 2^64 records in one epoch */
	TLS_RECORD_E_CLOSED = -FX_E_TLS_CLOSED,		      /* data fed after close_notify */
	TLS_RECORD_E_TRUNCATED =
	    -FX_E_TLS_TRUNCATED, /* stream ended mid-record or without close_notify */
};


/* Plaintext of one application_data record, valid during the call only.
 * Return 0 to go on; non-zero pauses: feed returns after this record. */
typedef int (*tls_record_data_fn)(void *user, const uint8_t *data, size_t len);
typedef void (*tls_record_event_fn)(void *user, enum tls_record_event ev, unsigned detail);

struct tls_record_stats {
	uint64_t records;        /* records authenticated */
	uint64_t app_records;    /* application_data records delivered (incl. empty) */
	uint64_t app_bytes;
	uint64_t handshake_records;
	uint64_t session_tickets;
	uint64_t key_updates;
	uint64_t key_update_requests;
	uint64_t zero_copy_records; /* decrypted straight from the caller's buffer */
};

struct tls_record;

/* 0 and *out, or -ENOMEM. */
int tls_record__new(struct tls_record **out, tls_record_data_fn on_data,
		    tls_record_event_fn on_event, void *user);
void tls_record__free(struct tls_record *r);

/* Start (or restart) at a record boundary: the next byte fed is the first byte
 * of the record with sequence number seq, protected by ep. ep is copied; the
 * caller may wipe its copy. 0 or TLS_RECORD_E_*. */
int tls_record__start(struct tls_record *r, const struct tls_epoch *ep, uint64_t seq);

/* Start at the first byte of the server's stream. hs: the TLS 1.3 server
 * handshake epoch (ignored, may be NULL, for TLS 1.2); app: the first
 * application epoch. */
int tls_record__start_stream(struct tls_record *r, const struct tls_epoch *hs,
			     const struct tls_epoch *app);

/* Push len stream bytes. Returns the bytes consumed (== len unless a data
 * callback paused or close_notify ended the stream; a partial record is kept
 * inside, not an error) or a TLS_RECORD_E_* error. */
ssize_t tls_record__feed(struct tls_record *r, const uint8_t *buf, size_t len);

/* The TCP stream ended: 0 after close_notify, else TLS_RECORD_E_TRUNCATED
 * (or the error the reader already failed with). */
int tls_record__eof(struct tls_record *r);

int tls_record__closed(const struct tls_record *r);   /* close_notify seen */
int tls_record__error(const struct tls_record *r);    /* 0 or the sticky error */
/* Last alert received: level << 8 | description, or -1. */
int tls_record__last_alert(const struct tls_record *r);

/* AES-GCM records are decrypted by aes_gcm.c where the CPU allows (about
 * half the cost of OpenSSL's per-record calls), unless turned off here
 * (before tls_record__start*) or with FEEDRX_OPENSSL_AES=1 in the
 * environment. tls_record__own_aes: whether the current keys use it. */
void tls_record__set_own_aes(struct tls_record *r, bool on);
bool tls_record__own_aes(const struct tls_record *r);
uint64_t tls_record__seq(const struct tls_record *r); /* next record's seq */
uint32_t tls_record__generation(const struct tls_record *r); /* KeyUpdates followed */
size_t tls_record__buffered(const struct tls_record *r); /* bytes of a partial record held */
const struct tls_record_stats *tls_record__stats(const struct tls_record *r);

#endif

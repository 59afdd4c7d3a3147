/* tls_client — the TLS client of the kernel path, on OpenSSL: one SSL_CTX
 * with feedrx's policy (peer verification on by default, TLS 1.2 minimum,
 * only the AEAD suites the fast path's record reader implements, read_ahead
 * off so a record hand-off point is exact) and one non-blocking SSL session
 * on a connected socket (SNI and host name or IP check).
 *
 * The SSL* is public (t->ssl) for the XDP mode: it installs a key-log
 * callback on SSL_get_SSL_CTX(ssl) before the handshake and reads the
 * negotiated cipher afterwards. */
#ifndef FEEDRX_TLS_CLIENT_H
#define FEEDRX_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "rx_stamp.h"

/* What the client offers unless narrowed (all AEAD, all ECDHE for 1.2). */
#define TLS_CLIENT_SUITES_13                                                                       \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define TLS_CLIENT_CIPHERS_12                                                                      \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                               \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct tls_client_opts {
	const char *cafile;	  /* trust only these CAs; NULL: system store */
	bool insecure;		  /* no verification at all (caller warns) */
	int version;		  /* 0: 1.2 or 1.3; 12 or 13: only that one */
	const char *ciphers;	  /* TLS 1.2 subset of ours, NULL = all */
	const char *ciphersuites; /* TLS 1.3 subset of ours, NULL = all */
	bool rx_stamps;		  /* kernel receive stamps of each read (rx_stamp.h) */
};

struct tls_client {
	SSL_CTX *ctx;
	SSL *ssl;
	bool want_write; /* the last -EAGAIN waits for writability */
	bool rx_stamps;  /* read through rx_stamp's BIO */
	struct rx_stamp rx;
	char err[256];
};

/* Build the context. 0 or a negative code with t->err set: -EINVAL (bad
 * option, a cipher outside ours), -ENOENT (CA file), -ENOMEM. */
int tls_client__init(struct tls_client *t, const struct tls_client_opts *o);

/* Create the session on a connected non-blocking socket. host is the name
 * to check (and send as SNI) or an IP literal (checked as an IP, no SNI). */
int tls_client__attach(struct tls_client *t, int fd, const char *host, bool ip_literal);

/* Drive the handshake: 0 done, -EAGAIN (t->want_write says which way),
 * else an error with t->err, e.g. "certificate verify failed: ...". */
int tls_client__handshake(struct tls_client *t);

/* Read plaintext: > 0 bytes, 0 on close_notify, -EAGAIN, -ECONNRESET (EOF
 * or reset without close_notify), -EIO (TLS error, t->err set). */
ssize_t tls_client__read(struct tls_client *t, void *buf, size_t n);

/* Write all n bytes: n, -EAGAIN (retry with the same bytes and length),
 * -EPIPE / -EIO. */
ssize_t tls_client__write(struct tls_client *t, const void *buf, size_t n);

/* Send close_notify (call again after -EAGAIN until 0): 0, -EAGAIN or
 * an error. */
int tls_client__shutdown(struct tls_client *t);

/* "TLSv1.3" and the cipher's name, after the handshake. */
const char *tls_client__version(const struct tls_client *t);
const char *tls_client__cipher(const struct tls_client *t);

/* Ciphertext bytes read from the socket so far (a record boundary when
 * nothing is pending, since read_ahead is off). */
uint64_t tls_client__rx_bytes(const struct tls_client *t);

/* With rx_stamps: CLOCK_MONOTONIC ns at which the kernel received the
 * newest bytes read so far (0 before any, or where the kernel gives none). */
static inline uint64_t tls_client__rx_ns(const struct tls_client *t)
{
	return t->rx.last_ns;
}

/* Free the session and then the context. */
void tls_client__free(struct tls_client *t);

#endif

/* tls_keys — the fast path's view of a TLS connection's secrets.
 *
 * Owns: the cipher-suite table the fast path implements, record key/IV
 * derivation (TLS 1.3 HKDF-Expand-Label, TLS 1.2 PRF key expansion, both
 * through OpenSSL's EVP_KDF), and a per-connection capture object that takes
 * the secrets from OpenSSL through public API only:
 *
 *   - the key-log callback (SSL_CTX_set_keylog_callback) gives
 *     SERVER_HANDSHAKE_TRAFFIC_SECRET / SERVER_TRAFFIC_SECRET_0 (TLS 1.3) and
 *     CLIENT_RANDOM (the TLS 1.2 master secret); a line is accepted only when
 *     its client random is the connection's own (SSL_get_client_random);
 *   - the message callback (SSL_set_msg_callback) follows the records OpenSSL
 *     reads from the server, so the hand-off point (stream offset, key epoch,
 *     record sequence number) is exact: OpenSSL 3.0 exposes neither the read
 *     sequence number nor KeyUpdates in its key log.
 *
 * Use (client side):
 *   tls_keys_install(ctx);                     once per SSL_CTX
 *   tls_keys__new(&k); tls_keys__attach(k, ssl);    per SSL, before connect
 *   ... SSL_connect / SSL_read with read_ahead off (the default) ...
 *   tls_keys__handoff(k, ssl, &h);   -> start tls_record at h.stream_offset
 *
 * Key material never leaves through logs; everything is cleansed on free.
 */
#ifndef FEEDRX_TLS_KEYS_H
#define FEEDRX_TLS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define TLS_KEYS_MAX_SECRET 48 /* SHA-384 */
#define TLS_KEYS_MAX_KEY 32
#define TLS_KEYS_IV_LEN 12
#define TLS_KEYS_RANDOM_LEN 32
#define TLS_KEYS_MASTER_LEN 48

#define TLS_VERSION_12 0x0303
#define TLS_VERSION_13 0x0304

/* The suites the fast path can decrypt. The client must offer only these. */
enum tls_suite {
	TLS_SUITE_NONE = 0,
	TLS_SUITE_13_AES_128_GCM_SHA256,       /* 0x1301 */
	TLS_SUITE_13_AES_256_GCM_SHA384,       /* 0x1302 */
	TLS_SUITE_13_CHACHA20_POLY1305_SHA256, /* 0x1303 */
	TLS_SUITE_12_AES_128_GCM_SHA256,       /* ECDHE-{ECDSA,RSA}, 0xc02b/0xc02f */
	TLS_SUITE_12_AES_256_GCM_SHA384,       /* ECDHE-{ECDSA,RSA}, 0xc02c/0xc030 */
	TLS_SUITE_12_CHACHA20_POLY1305,        /* ECDHE-{ECDSA,RSA}, 0xcca9/0xcca8 */
	TLS_SUITE__COUNT
};

enum tls_aead { TLS_AEAD_AES_GCM, TLS_AEAD_CHACHA20_POLY1305 };

struct tls_suite_info {
	const char *name;    /* e.g. "TLS_AES_128_GCM_SHA256" */
	const char *cipher;  /* EVP_CIPHER_fetch name */
	const char *digest;  /* EVP_MD name for HKDF / PRF */
	uint16_t version;    /* TLS_VERSION_12 or TLS_VERSION_13 */
	enum tls_aead aead;
	uint8_t key_len;     /* AEAD key */
	uint8_t fixed_iv_len;/* 12, or 4 (TLS 1.2 GCM salt, RFC 5288) */
	uint8_t explicit_nonce_len; /* 8 for TLS 1.2 GCM, else 0 */
	uint8_t tag_len;     /* 16 */
	uint8_t hash_len;    /* 32 or 48 */
};

/* Record protection keys of one direction and epoch. For TLS 1.2 GCM only the
 * first 4 bytes of iv (the salt) are used. */
struct tls_traffic_keys {
	enum tls_suite suite;
	uint8_t key_len;
	uint8_t iv_len;
	uint8_t key[TLS_KEYS_MAX_KEY];
	uint8_t iv[TLS_KEYS_IV_LEN];
};

/* One key epoch of the server->client direction: the keys, and for TLS 1.3
 * the traffic secret they came from (needed to follow KeyUpdate). */
struct tls_epoch {
	enum tls_suite suite;
	uint8_t secret_len; /* 0 for TLS 1.2 */
	uint8_t secret[TLS_KEYS_MAX_SECRET];
	struct tls_traffic_keys keys;
};

/* Where the fast path takes over from OpenSSL. */
struct tls_handoff {
	uint64_t stream_offset; /* server->client stream bytes OpenSSL consumed */
	uint64_t seq;           /* sequence number of the next record */
	uint32_t generation;    /* TLS 1.3 KeyUpdates OpenSSL already followed */
	struct tls_epoch epoch;
};

/* --- suites ------------------------------------------------------------ */

const struct tls_suite_info *tls_keys_suite_info(enum tls_suite suite);
/* Map an IANA cipher-suite id and the negotiated version to a suite;
 * TLS_SUITE_NONE when the fast path does not implement it. */
enum tls_suite tls_keys_suite_from_id(uint16_t iana_id, int version);
/* The suite OpenSSL negotiated on ssl (after the handshake), or NONE. */
enum tls_suite tls_keys_suite_from_ssl(const SSL *ssl);

/* --- derivation (all return 0 or a negative errno) --------------------- */

/* HKDF-Expand-Label(secret, label, context, out_len) of RFC 8446 §7.1 with the
 * digest named md ("SHA256", "SHA384"). */
int tls_keys_hkdf_expand_label(const char *md, const uint8_t *secret, size_t secret_len,
			       const char *label, const uint8_t *context, size_t context_len,
			       uint8_t *out, size_t out_len);

/* TLS 1.2 PRF (RFC 5246 §5): P_<md>(secret, label + seed). */
int tls_keys_prf12(const char *md, const uint8_t *secret, size_t secret_len,
		   const char *label, const uint8_t *seed, size_t seed_len,
		   uint8_t *out, size_t out_len);

/* TLS 1.3 record key and IV from a traffic secret (labels "key", "iv"). */
int tls_keys_derive_13(enum tls_suite suite, const uint8_t *secret, size_t len,
		       struct tls_traffic_keys *out);

/* TLS 1.3 KeyUpdate: application_traffic_secret_N+1 =
 * HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length). out may alias
 * secret. */
int tls_keys_next_secret_13(enum tls_suite suite, const uint8_t *secret, size_t len,
			    uint8_t *out);

/* TLS 1.2 key block (RFC 5246 §6.3): PRF(master, "key expansion",
 * server_random + client_random) split into client/server write key and IV.
 * client_out may be NULL. */
int tls_keys_derive_12(enum tls_suite suite, const uint8_t master[TLS_KEYS_MASTER_LEN],
		       const uint8_t client_random[TLS_KEYS_RANDOM_LEN],
		       const uint8_t server_random[TLS_KEYS_RANDOM_LEN],
		       struct tls_traffic_keys *server_out, struct tls_traffic_keys *client_out);

/* Fill an epoch from a TLS 1.3 traffic secret (keys derived). */
int tls_keys_epoch_13(enum tls_suite suite, const uint8_t *secret, size_t len,
		      struct tls_epoch *out);

/* Wipe key material (OPENSSL_cleanse). */
void tls_keys_epoch_wipe(struct tls_epoch *ep);

/* Restrict ctx to what the fast path can follow: TLS 1.2/1.3, the suites
 * above only, no renegotiation, read_ahead off. 0 or -EINVAL. */
int tls_keys_restrict_ctx(SSL_CTX *ctx);

/* --- capture ------------------------------------------------------------ */

struct tls_keys;

/* Install the key-log callback on ctx (once per SSL_CTX, before SSL_new). A
 * callback already set on ctx keeps being called after ours. 0 or -errno. */
int tls_keys_install(SSL_CTX *ctx);

/* 0 and *out, or -ENOMEM. */
int tls_keys__new(struct tls_keys **out);
void tls_keys__free(struct tls_keys *k);

/* Bind k to ssl (ex_data) and install the message callback that follows the
 * server's records. Call before SSL_connect; k must outlive the handshake.
 * Replaces any message callback set on ssl. 0 or -errno. */
int tls_keys__attach(struct tls_keys *k, SSL *ssl);

/* Feed one key-log line as OpenSSL formats it ("LABEL <client random hex>
 * <secret hex>"). Lines for another client random or with unknown labels are
 * ignored (returns 0 and counts them); malformed lines return -EINVAL. Used
 * by the callback; public for tests. */
int tls_keys__log_line(struct tls_keys *k, const uint8_t client_random[TLS_KEYS_RANDOM_LEN],
		       const char *line);

/* Which secrets have been captured. */
#define TLS_KEYS_HAVE_SERVER_HS 0x1   /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
#define TLS_KEYS_HAVE_SERVER_APP 0x2  /* SERVER_TRAFFIC_SECRET_0 */
#define TLS_KEYS_HAVE_MASTER 0x4      /* CLIENT_RANDOM (TLS 1.2) */
unsigned tls_keys__have(const struct tls_keys *k);
/* Key-log lines ignored because their client random was not ours. */
unsigned tls_keys__foreign_lines(const struct tls_keys *k);

/* The hand-off point: OpenSSL has read whole records only and holds no
 * undelivered plaintext (SSL_has_pending() == 0, read_ahead off). Fills out
 * with the current server epoch (following KeyUpdates OpenSSL processed),
 * the next record's sequence number and the stream offset of its first
 * byte. Returns 0, -EAGAIN (OpenSSL is mid-record or holds data: SSL_read
 * more and retry), -ENOKEY (secrets missing), -ENOTSUP (suite not
 * implemented, or renegotiated), -EPROTO (handshake not finished), -EINVAL
 * (read_ahead on: OpenSSL may have read past any boundary). The caller wipes
 * out with tls_keys_epoch_wipe() when done. */
int tls_keys__handoff(struct tls_keys *k, SSL *ssl, struct tls_handoff *out);

/* For following the server->client stream from its first byte: the
 * handshake epoch (TLS 1.3 only; NULL allowed) and the first application
 * epoch (generation 0). Same return codes as tls_keys__handoff. */
int tls_keys__stream_epochs(struct tls_keys *k, SSL *ssl, struct tls_epoch *hs,
			    struct tls_epoch *app);

#endif

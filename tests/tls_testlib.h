/* tls_testlib.h — helpers shared by test_tls_keys, test_tls_record and
 * bench_tls_record: a TLS record sealer (the encrypting side of what
 * tls_record opens), throwaway keys and certificates, and an in-process
 * OpenSSL client/server pair over memory BIOs that logs every byte the
 * server sends. Header-only (static functions), tests only. */
#ifndef FEEDRX_TESTS_TLS_TESTLIB_H
#define FEEDRX_TESTS_TLS_TESTLIB_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "fast/tls_keys.h"


/* --- deterministic PRNG (xorshift64*) ---------------------------------- */

static uint64_t tl_rng_state = 0x9e3779b97f4a7c15ull;

static inline uint64_t tl_rand(void)
{
	uint64_t x = tl_rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	tl_rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline void tl_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)tl_rand();
}

static inline size_t tl_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n < cap)
				out[n] = hi << 4 | v;
			n++;
			hi = -1;
		}
	}
	return n;
}

/* --- sealer ------------------------------------------------------------ */

/* Seal one record as a server would. TLS 1.3: content || inner type || pad
 * zeros inside an application_data record; TLS 1.2: type in the header, an
 * explicit nonce = seq for GCM. Returns the record length or 0 on failure.
 * out needs 5 + len + pad + 1 + 8 + 16 bytes. */
static inline size_t tl_seal(EVP_CIPHER_CTX *ctx, const struct tls_traffic_keys *k,
			     uint64_t seq, uint8_t type, const uint8_t *content, size_t len,
			     size_t pad, uint8_t *out)
{
	const struct tls_suite_info *si = tls_keys_suite_info(k->suite);
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, si->cipher, NULL);
	uint8_t nonce[12], aad[13];
	size_t ex = si->explicit_nonce_len, pt_len, body, aad_len;
	uint8_t *h = out, *b = out + 5;
	int outl = 0, fl = 0, ok = 0;

	if (!cipher)
		return 0;
	if (si->version == TLS_VERSION_13) {
		pt_len = len + 1 + pad;
		body = pt_len + 16;
		h[0] = 23;
	} else {
		pt_len = len;
		body = ex + len + 16;
		h[0] = type;
	}
	h[1] = 3;
	h[2] = 3;
	h[3] = body >> 8;
	h[4] = body & 0xff;

	memcpy(nonce, k->iv, 12);
	if (ex) {
		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)(seq >> (56 - 8 * i));
		memcpy(nonce + 4, b, 8);
	} else {
		for (int i = 0; i < 8; i++)
			nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
	}
	if (si->version == TLS_VERSION_13) {
		memcpy(aad, h, 5);
		aad_len = 5;
		memmove(b, content, len);
		b[len] = type;
		memset(b + len + 1, 0, pad);
	} else {
		for (int i = 0; i < 8; i++)
			aad[i] = (uint8_t)(seq >> (56 - 8 * i));
		aad[8] = type;
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = len >> 8;
		aad[12] = len & 0xff;
		aad_len = 13;
		memmove(b + ex, content, len);
	}
	if (EVP_EncryptInit_ex2(ctx, cipher, k->key, nonce, NULL) &&
	    EVP_EncryptUpdate(ctx, NULL, &outl, aad, aad_len) &&
	    (pt_len == 0 || EVP_EncryptUpdate(ctx, b + ex, &outl, b + ex, pt_len)) &&
	    EVP_EncryptFinal_ex(ctx, b + ex + pt_len, &fl) &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, b + ex + pt_len))
		ok = 1;
	EVP_CIPHER_free(cipher);
	return ok ? 5 + body : 0;
}

/* --- keys and certificates --------------------------------------------- */

static inline EVP_PKEY *tl_keygen(int rsa)
{
	return rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
		   : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static inline X509 *tl_self_signed(EVP_PKEY *pk)
{
	X509 *x = X509_new();
	X509_NAME *n;

	if (!x)
		return NULL;
	n = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) || !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -60) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 3600) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					(const unsigned char *)"localhost", -1, -1, 0) ||
	    !X509_set_issuer_name(x, n) || !X509_set_pubkey(x, pk) ||
	    !X509_sign(x, pk, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* --- suites under test --------------------------------------------------- */

struct tl_case {
	const char *name; /* OpenSSL name, used in the cipher configuration */
	int v13;
	int rsa;          /* server key type */
	enum tls_suite suite;
};

static const struct tl_case tl_cases[] = {
	{ "TLS_AES_128_GCM_SHA256", 1, 0, TLS_SUITE_13_AES_128_GCM_SHA256 },
	{ "TLS_AES_256_GCM_SHA384", 1, 1, TLS_SUITE_13_AES_256_GCM_SHA384 },
	{ "TLS_CHACHA20_POLY1305_SHA256", 1, 0, TLS_SUITE_13_CHACHA20_POLY1305_SHA256 },
	{ "ECDHE-ECDSA-AES128-GCM-SHA256", 0, 0, TLS_SUITE_12_AES_128_GCM_SHA256 },
	{ "ECDHE-RSA-AES128-GCM-SHA256", 0, 1, TLS_SUITE_12_AES_128_GCM_SHA256 },
	{ "ECDHE-ECDSA-AES256-GCM-SHA384", 0, 0, TLS_SUITE_12_AES_256_GCM_SHA384 },
	{ "ECDHE-RSA-AES256-GCM-SHA384", 0, 1, TLS_SUITE_12_AES_256_GCM_SHA384 },
	{ "ECDHE-ECDSA-CHACHA20-POLY1305", 0, 0, TLS_SUITE_12_CHACHA20_POLY1305 },
	{ "ECDHE-RSA-CHACHA20-POLY1305", 0, 1, TLS_SUITE_12_CHACHA20_POLY1305 },
};
#define TL_NCASES (sizeof(tl_cases) / sizeof(tl_cases[0]))

/* --- in-process session ------------------------------------------------- */

struct tl_session {
	SSL_CTX *cctx, *sctx;
	SSL *c, *s;
	BIO *c_in, *c_out, *s_in, *s_out; /* c_in: what the client reads */
	uint8_t *s2c;                      /* every byte the server wrote */
	size_t s2c_len, s2c_cap;
	size_t s2c_given;                  /* of which handed to the client */
	int hold;                          /* keep server bytes from the client */
};

static EVP_PKEY *tl_pkey[2];
static X509 *tl_x509[2];

static inline int tl_identity(int rsa)
{
	if (!tl_pkey[rsa]) {
		tl_pkey[rsa] = tl_keygen(rsa);
		if (!tl_pkey[rsa])
			return -1;
		tl_x509[rsa] = tl_self_signed(tl_pkey[rsa]);
		if (!tl_x509[rsa])
			return -1;
	}
	return 0;
}

static inline void tl_identity_free(void)
{
	for (int i = 0; i < 2; i++) {
		X509_free(tl_x509[i]);
		EVP_PKEY_free(tl_pkey[i]);
		tl_x509[i] = NULL;
		tl_pkey[i] = NULL;
	}
}

static inline BIO *tl_mem_bio(void)
{
	BIO *b = BIO_new(BIO_s_mem());

	if (b)
		BIO_set_mem_eof_return(b, -1); /* empty = "retry", not EOF */
	return b;
}

static inline void tl_session_free(struct tl_session *t)
{
	SSL_free(t->c); /* frees c_in/c_out */
	SSL_free(t->s);
	SSL_CTX_free(t->cctx);
	SSL_CTX_free(t->sctx);
	free(t->s2c);
	memset(t, 0, sizeof(*t));
}

/* Client and server for one suite; the client's key capture k is installed
 * (k may be NULL). The client keeps read_ahead off (OpenSSL's default). */
static inline int tl_session_new(struct tl_session *t, const struct tl_case *cs,
				 struct tls_keys *k)
{
	memset(t, 0, sizeof(*t));
	if (tl_identity(cs->rsa))
		return -1;
	t->cctx = SSL_CTX_new(TLS_client_method());
	t->sctx = SSL_CTX_new(TLS_server_method());
	if (!t->cctx || !t->sctx)
		goto fail;
	int v = cs->v13 ? TLS1_3_VERSION : TLS1_2_VERSION;

	if (!SSL_CTX_set_min_proto_version(t->cctx, v) ||
	    !SSL_CTX_set_max_proto_version(t->cctx, v))
		goto fail;
	if (cs->v13 ? !SSL_CTX_set_ciphersuites(t->cctx, cs->name)
		    : !SSL_CTX_set_cipher_list(t->cctx, cs->name))
		goto fail;
	SSL_CTX_set_verify(t->cctx, SSL_VERIFY_NONE, NULL);
	if (k && tls_keys_install(t->cctx))
		goto fail;
	if (!SSL_CTX_use_certificate(t->sctx, tl_x509[cs->rsa]) ||
	    !SSL_CTX_use_PrivateKey(t->sctx, tl_pkey[cs->rsa]))
		goto fail;
	if (cs->v13 && !SSL_CTX_set_ciphersuites(t->sctx, cs->name))
		goto fail;

	t->c = SSL_new(t->cctx);
	t->s = SSL_new(t->sctx);
	t->c_in = tl_mem_bio();
	t->c_out = tl_mem_bio();
	t->s_in = tl_mem_bio();
	t->s_out = tl_mem_bio();
	if (!t->c || !t->s || !t->c_in || !t->c_out || !t->s_in || !t->s_out) {
		BIO_free(t->c_in);
		BIO_free(t->c_out);
		BIO_free(t->s_in);
		BIO_free(t->s_out);
		goto fail;
	}
	SSL_set_bio(t->c, t->c_in, t->c_out);
	SSL_set_bio(t->s, t->s_in, t->s_out);
	SSL_set_connect_state(t->c);
	SSL_set_accept_state(t->s);
	if (k && tls_keys__attach(k, t->c))
		goto fail;
	return 0;
fail:
	tl_session_free(t);
	return -1;
}

/* Hand the client up to n more logged server bytes. */
static inline void tl_give(struct tl_session *t, size_t n)
{
	if (n > t->s2c_len - t->s2c_given)
		n = t->s2c_len - t->s2c_given;
	if (n) {
		BIO_write(t->c_in, t->s2c + t->s2c_given, (int)n);
		t->s2c_given += n;
	}
}

/* Move bytes between the two ends; server output is logged first. */
static inline int tl_pump(struct tl_session *t)
{
	uint8_t buf[4096];
	int n, moved = 0;

	while ((n = BIO_read(t->s_out, buf, sizeof(buf))) > 0) {
		if (t->s2c_len + n > t->s2c_cap) {
			size_t cap = t->s2c_cap ? t->s2c_cap * 2 : 65536;
			uint8_t *p;

			while (cap < t->s2c_len + n)
				cap *= 2;
			p = realloc(t->s2c, cap);
			if (!p)
				return -1;
			t->s2c = p;
			t->s2c_cap = cap;
		}
		memcpy(t->s2c + t->s2c_len, buf, n);
		t->s2c_len += n;
		moved = 1;
	}
	if (!t->hold && t->s2c_given < t->s2c_len) {
		tl_give(t, t->s2c_len - t->s2c_given);
		moved = 1;
	}
	while ((n = BIO_read(t->c_out, buf, sizeof(buf))) > 0) {
		BIO_write(t->s_in, buf, n);
		moved = 1;
	}
	return moved;
}

static inline int tl_handshake(struct tl_session *t)
{
	for (int i = 0; i < 100; i++) {
		int rc = SSL_do_handshake(t->c);
		int rs = SSL_do_handshake(t->s);

		if (rc <= 0 && SSL_get_error(t->c, rc) != SSL_ERROR_WANT_READ)
			return -1;
		if (rs <= 0 && SSL_get_error(t->s, rs) != SSL_ERROR_WANT_READ)
			return -1;
		if (tl_pump(t) < 0)
			return -1;
		if (rc == 1 && rs == 1)
			return 0;
	}
	return -1;
}

/* Server writes len bytes (split into records by OpenSSL). */
static inline int tl_server_write(struct tl_session *t, const uint8_t *p, size_t len)
{
	while (len > 0) {
		int n = SSL_write(t->s, p, len > 1 << 20 ? 1 << 20 : (int)len);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return tl_pump(t) < 0 ? -1 : 0;
}

/* Client reads exactly len bytes of application data. */
static inline int tl_client_read(struct tl_session *t, uint8_t *p, size_t len)
{
	while (len > 0) {
		int n = SSL_read(t->c, p, len > 1 << 20 ? 1 << 20 : (int)len);

		if (n <= 0) {
			if (SSL_get_error(t->c, n) != SSL_ERROR_WANT_READ || tl_pump(t) <= 0)
				return -1;
			continue;
		}
		p += n;
		len -= n;
	}
	return 0;
}

#endif

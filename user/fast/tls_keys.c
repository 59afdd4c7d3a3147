/* tls_keys — cipher-suite table, record key derivation (EVP_KDF HKDF and
 * TLS1-PRF) and the per-connection capture of OpenSSL's secrets and read
 * position. See tls_keys.h for the contract. */
#include "tls_keys.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "core/secmem.h"
#include "core/util.h"

/* --- suites ------------------------------------------------------------ */

static const struct tls_suite_info suites[TLS_SUITE__COUNT] = {
	[TLS_SUITE_13_AES_128_GCM_SHA256] = {
		"TLS_AES_128_GCM_SHA256", "AES-128-GCM", "SHA256", TLS_VERSION_13,
		TLS_AEAD_AES_GCM, 16, 12, 0, 16, 32 },
	[TLS_SUITE_13_AES_256_GCM_SHA384] = {
		"TLS_AES_256_GCM_SHA384", "AES-256-GCM", "SHA384", TLS_VERSION_13,
		TLS_AEAD_AES_GCM, 32, 12, 0, 16, 48 },
	[TLS_SUITE_13_CHACHA20_POLY1305_SHA256] = {
		"TLS_CHACHA20_POLY1305_SHA256", "ChaCha20-Poly1305", "SHA256",
		TLS_VERSION_13, TLS_AEAD_CHACHA20_POLY1305, 32, 12, 0, 16, 32 },
	[TLS_SUITE_12_AES_128_GCM_SHA256] = {
		"ECDHE-AES128-GCM-SHA256", "AES-128-GCM", "SHA256", TLS_VERSION_12,
		TLS_AEAD_AES_GCM, 16, 4, 8, 16, 32 },
	[TLS_SUITE_12_AES_256_GCM_SHA384] = {
		"ECDHE-AES256-GCM-SHA384", "AES-256-GCM", "SHA384", TLS_VERSION_12,
		TLS_AEAD_AES_GCM, 32, 4, 8, 16, 48 },
	[TLS_SUITE_12_CHACHA20_POLY1305] = {
		"ECDHE-CHACHA20-POLY1305", "ChaCha20-Poly1305", "SHA256", TLS_VERSION_12,
		TLS_AEAD_CHACHA20_POLY1305, 32, 12, 0, 16, 32 },
};

const struct tls_suite_info *tls_keys_suite_info(enum tls_suite suite)
{
	if (suite <= TLS_SUITE_NONE || suite >= TLS_SUITE__COUNT)
		return NULL;
	return &suites[suite];
}

enum tls_suite tls_keys_suite_from_id(uint16_t iana_id, int version)
{
	if (version == TLS_VERSION_13) {
		switch (iana_id) {
		case 0x1301: return TLS_SUITE_13_AES_128_GCM_SHA256;
		case 0x1302: return TLS_SUITE_13_AES_256_GCM_SHA384;
		case 0x1303: return TLS_SUITE_13_CHACHA20_POLY1305_SHA256;
		}
	} else if (version == TLS_VERSION_12) {
		switch (iana_id) {
		case 0xc02b: case 0xc02f: return TLS_SUITE_12_AES_128_GCM_SHA256;
		case 0xc02c: case 0xc030: return TLS_SUITE_12_AES_256_GCM_SHA384;
		case 0xcca9: case 0xcca8: return TLS_SUITE_12_CHACHA20_POLY1305;
		}
	}
	return TLS_SUITE_NONE;
}

enum tls_suite tls_keys_suite_from_ssl(const SSL *ssl)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);

	if (!c)
		return TLS_SUITE_NONE;
	return tls_keys_suite_from_id(SSL_CIPHER_get_protocol_id(c), SSL_version(ssl));
}

/* --- derivation --------------------------------------------------------- */

/* Run one of OpenSSL's KDFs by name. 0 or a negative errno. */
static int tls_keys_kdf(const char *name, const OSSL_PARAM *params, uint8_t *out,
			size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, name, NULL);
	EVP_KDF_CTX *kctx;
	int err = -EIO;

	if (!kdf)
		return -ENOSYS;
	kctx = EVP_KDF_CTX_new(kdf);
	if (!kctx) {
		err = -ENOMEM;
		goto free_kdf;
	}
	if (EVP_KDF_derive(kctx, out, out_len, params) == 1)
		err = 0;
	EVP_KDF_CTX_free(kctx);
free_kdf:
	EVP_KDF_free(kdf);
	return err;
}

static int hkdf_expand(const char *md, const uint8_t *prk, size_t prk_len,
		       const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)prk, prk_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len),
		OSSL_PARAM_construct_end(),
	};

	return tls_keys_kdf("HKDF", params, out, out_len);
}

int tls_keys_hkdf_expand_label(const char *md, const uint8_t *secret, size_t secret_len,
			       const char *label, const uint8_t *context, size_t context_len,
			       uint8_t *out, size_t out_len)
{
	static const char prefix[] = "tls13 ";
	size_t label_len = strlen(label);
	/* struct HkdfLabel { uint16 length; opaque label<7..255>; opaque context<0..255>; } */
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t n = 0;

	if (sizeof(prefix) - 1 + label_len > 255 || context_len > 255 || out_len > 0xffff)
		return -EINVAL;
	info[n++] = out_len >> 8;
	info[n++] = out_len & 0xff;
	info[n++] = sizeof(prefix) - 1 + label_len;
	memcpy(info + n, prefix, sizeof(prefix) - 1);
	n += sizeof(prefix) - 1;
	memcpy(info + n, label, label_len);
	n += label_len;
	info[n++] = context_len;
	if (context_len)
		memcpy(info + n, context, context_len);
	n += context_len;
	return hkdf_expand(md, secret, secret_len, info, n, out, out_len);
}

int tls_keys_prf12(const char *md, const uint8_t *secret, size_t secret_len,
		   const char *label, const uint8_t *seed, size_t seed_len,
		   uint8_t *out, size_t out_len)
{
	uint8_t full_seed[1024];
	size_t label_len = strlen(label);

	if (label_len + seed_len > sizeof(full_seed))
		return -EINVAL;
	memcpy(full_seed, label, label_len);
	if (seed_len)
		memcpy(full_seed + label_len, seed, seed_len);

	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret,
						  secret_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, full_seed,
						  label_len + seed_len),
		OSSL_PARAM_construct_end(),
	};

	return tls_keys_kdf("TLS1-PRF", params, out, out_len);
}

int tls_keys_derive_13(enum tls_suite suite, const uint8_t *secret, size_t len,
		       struct tls_traffic_keys *out)
{
	const struct tls_suite_info *si = tls_keys_suite_info(suite);
	int err;

	if (!si || si->version != TLS_VERSION_13 || len != si->hash_len)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->suite = suite;
	out->key_len = si->key_len;
	out->iv_len = TLS_KEYS_IV_LEN;
	err = tls_keys_hkdf_expand_label(si->digest, secret, len, "key", NULL, 0,
					 out->key, si->key_len);
	if (!err)
		err = tls_keys_hkdf_expand_label(si->digest, secret, len, "iv", NULL, 0,
						 out->iv, TLS_KEYS_IV_LEN);
	if (err)
		OPENSSL_cleanse(out, sizeof(*out));
	return err;
}

int tls_keys_next_secret_13(enum tls_suite suite, const uint8_t *secret, size_t len,
			    uint8_t *out)
{
	const struct tls_suite_info *si = tls_keys_suite_info(suite);
	uint8_t next[TLS_KEYS_MAX_SECRET];
	int err;

	if (!si || si->version != TLS_VERSION_13 || len != si->hash_len)
		return -EINVAL;
	err = tls_keys_hkdf_expand_label(si->digest, secret, len, "traffic upd", NULL, 0,
					 next, len);
	if (!err)
		memcpy(out, next, len);
	OPENSSL_cleanse(next, sizeof(next));
	return err;
}

int tls_keys_derive_12(enum tls_suite suite, const uint8_t master[TLS_KEYS_MASTER_LEN],
		       const uint8_t client_random[TLS_KEYS_RANDOM_LEN],
		       const uint8_t server_random[TLS_KEYS_RANDOM_LEN],
		       struct tls_traffic_keys *server_out, struct tls_traffic_keys *client_out)
{
	const struct tls_suite_info *si = tls_keys_suite_info(suite);
	uint8_t seed[2 * TLS_KEYS_RANDOM_LEN];
	uint8_t block[2 * TLS_KEYS_MAX_KEY + 2 * TLS_KEYS_IV_LEN];
	size_t kl, il;
	int err;

	if (!si || si->version != TLS_VERSION_12)
		return -EINVAL;
	kl = si->key_len;
	il = si->fixed_iv_len;
	memcpy(seed, server_random, TLS_KEYS_RANDOM_LEN);
	memcpy(seed + TLS_KEYS_RANDOM_LEN, client_random, TLS_KEYS_RANDOM_LEN);
	err = tls_keys_prf12(si->digest, master, TLS_KEYS_MASTER_LEN, "key expansion",
			     seed, sizeof(seed), block, 2 * kl + 2 * il);
	if (err)
		goto out;
	/* AEAD suites have no MAC keys: client key, server key, client IV, server IV */
	memset(server_out, 0, sizeof(*server_out));
	server_out->suite = suite;
	server_out->key_len = kl;
	server_out->iv_len = il;
	memcpy(server_out->key, block + kl, kl);
	memcpy(server_out->iv, block + 2 * kl + il, il);
	if (client_out) {
		memset(client_out, 0, sizeof(*client_out));
		client_out->suite = suite;
		client_out->key_len = kl;
		client_out->iv_len = il;
		memcpy(client_out->key, block, kl);
		memcpy(client_out->iv, block + 2 * kl, il);
	}
out:
	OPENSSL_cleanse(block, sizeof(block));
	return err;
}

int tls_keys_epoch_13(enum tls_suite suite, const uint8_t *secret, size_t len,
		      struct tls_epoch *out)
{
	int err;

	if (len > TLS_KEYS_MAX_SECRET)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	err = tls_keys_derive_13(suite, secret, len, &out->keys);
	if (err)
		return err;
	out->suite = suite;
	out->secret_len = len;
	memcpy(out->secret, secret, len);
	return 0;
}

void tls_keys_epoch_wipe(struct tls_epoch *ep)
{
	OPENSSL_cleanse(ep, sizeof(*ep));
}

int tls_keys_restrict_ctx(SSL_CTX *ctx)
{
	/* keep in step with the suite table */
	static const char suites13[] =
		"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
	static const char suites12[] =
		"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
		"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
		"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx, suites13) || !SSL_CTX_set_cipher_list(ctx, suites12))
		return -EINVAL;
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_read_ahead(ctx, 0);
	return 0;
}

/* --- capture ------------------------------------------------------------ */

struct tls_keys {
	unsigned have;
	unsigned foreign_lines;
	uint8_t client_random[TLS_KEYS_RANDOM_LEN];
	uint8_t server_hs_len, server_app_len;
	uint8_t server_hs[TLS_KEYS_MAX_SECRET];
	uint8_t server_app[TLS_KEYS_MAX_SECRET];
	uint8_t master[TLS_KEYS_MASTER_LEN];

	/* Read position, from the message callback. */
	uint64_t stream_end;    /* sum of 5 + length over record headers read */
	uint64_t epoch_records; /* records read since the current epoch began */
	uint32_t generation;    /* server KeyUpdates read (TLS 1.3) */
	uint32_t server_ccs;    /* server ChangeCipherSpecs read (TLS 1.2) */
	int app_epoch;          /* the application epoch has begun */
};

static int ssl_idx = -1, ctx_idx = -1;
static pthread_once_t idx_once = PTHREAD_ONCE_INIT;

/* The key-log callback a context had before ours, called after ours. */
struct keylog_chain {
	SSL_CTX_keylog_cb_func prev;
};

static void chain_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
		       void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	free(ptr);
}

static void idx_init(void)
{
	ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, chain_free);
}

static void keylog_cb(const SSL *ssl, const char *line)
{
	struct tls_keys *k = SSL_get_ex_data(ssl, ssl_idx);
	struct keylog_chain *ch = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_idx);
	uint8_t cr[TLS_KEYS_RANDOM_LEN];

	if (k && SSL_get_client_random(ssl, cr, sizeof(cr)) == sizeof(cr))
		tls_keys__log_line(k, cr, line);
	if (ch && ch->prev)
		ch->prev(ssl, line);
}

int tls_keys_install(SSL_CTX *ctx)
{
	struct keylog_chain *ch;
	SSL_CTX_keylog_cb_func prev;

	pthread_once(&idx_once, idx_init);
	if (ssl_idx < 0 || ctx_idx < 0)
		return -ENOMEM;
	prev = SSL_CTX_get_keylog_callback(ctx);
	if (prev == keylog_cb)
		return 0;
	if (prev) {
		ch = calloc(1, sizeof(*ch));
		if (!ch)
			return -ENOMEM;
		ch->prev = prev;
		if (!SSL_CTX_set_ex_data(ctx, ctx_idx, ch)) {
			free(ch);
			return -ENOMEM;
		}
	}
	SSL_CTX_set_keylog_callback(ctx, keylog_cb);
	return 0;
}

int tls_keys__new(struct tls_keys **out)
{
	/* secrets on pages of their own, left out of core dumps */
	*out = secmem_alloc(sizeof(struct tls_keys));
	return *out ? 0 : -ENOMEM;
}

void tls_keys__free(struct tls_keys *k)
{
	if (!k)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	secmem_free(k, sizeof(*k));
}

/* Follows the records OpenSSL reads from the server: counts record headers
 * (the stream offset and the sequence number within the epoch) and resets
 * the count where a new server epoch begins. */
static void msg_cb(int write_p, int version, int content_type, const void *buf,
		   size_t len, SSL *ssl, void *arg)
{
	struct tls_keys *k = arg;
	const uint8_t *p = buf;
	int v13 = SSL_version(ssl) == TLS1_3_VERSION;

	(void)version;
	if (write_p || !k)
		return;
	switch (content_type) {
	case SSL3_RT_HEADER:
		if (len != 5)
			break;
		k->stream_end += 5 + ((uint64_t)p[3] << 8 | p[4]);
		/* OpenSSL 3.0 reports a received CCS only by its header. TLS 1.2:
		 * the server's next record (its Finished) is seq 0 of the new
		 * epoch; in TLS 1.3 a CCS is the middlebox-compatibility no-op. */
		if (p[0] == SSL3_RT_CHANGE_CIPHER_SPEC && !v13) {
			k->server_ccs++;
			k->epoch_records = 0;
			k->app_epoch = 1;
		} else {
			k->epoch_records++;
		}
		break;
	case SSL3_RT_HANDSHAKE:
		if (!v13 || len < 1)
			break;
		if (p[0] == SSL3_MT_FINISHED && !k->app_epoch) {
			/* Finished ends a record; the app epoch starts after it */
			k->epoch_records = 0;
			k->app_epoch = 1;
		} else if (p[0] == SSL3_MT_KEY_UPDATE && k->app_epoch) {
			k->epoch_records = 0;
			k->generation++;
		}
		break;
	}
}

int tls_keys__attach(struct tls_keys *k, SSL *ssl)
{
	pthread_once(&idx_once, idx_init);
	if (ssl_idx < 0)
		return -ENOMEM;
	if (!SSL_set_ex_data(ssl, ssl_idx, k))
		return -ENOMEM;
	SSL_set_msg_callback(ssl, msg_cb);
	SSL_set_msg_callback_arg(ssl, k);
	return 0;
}

/* Decode exactly n hex digits at s into out[n/2]; -1 on a non-hex digit. */
static int unhex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = hi << 4 | lo;
	}
	return 0;
}

int tls_keys__log_line(struct tls_keys *k, const uint8_t client_random[TLS_KEYS_RANDOM_LEN],
		       const char *line)
{
	uint8_t cr[TLS_KEYS_RANDOM_LEN], secret[TLS_KEYS_MAX_SECRET];
	const char *sp1, *hex_cr, *hex_sec;
	size_t label_len, sec_hex_len, sec_len;
	int err = 0;

	sp1 = strchr(line, ' ');
	if (!sp1)
		return -EINVAL;
	label_len = sp1 - line;
	hex_cr = sp1 + 1;
	if (strnlen(hex_cr, 2 * TLS_KEYS_RANDOM_LEN + 1) < 2 * TLS_KEYS_RANDOM_LEN + 1 ||
	    hex_cr[2 * TLS_KEYS_RANDOM_LEN] != ' ')
		return -EINVAL;
	hex_sec = hex_cr + 2 * TLS_KEYS_RANDOM_LEN + 1;
	sec_hex_len = strnlen(hex_sec, 2 * TLS_KEYS_MAX_SECRET + 1);
	if (sec_hex_len == 0 || sec_hex_len % 2 || sec_hex_len > 2 * TLS_KEYS_MAX_SECRET)
		return -EINVAL;
	sec_len = sec_hex_len / 2;
	if (unhex(hex_cr, 2 * TLS_KEYS_RANDOM_LEN, cr) || unhex(hex_sec, sec_hex_len, secret)) {
		err = -EINVAL;
		goto out;
	}
	if (CRYPTO_memcmp(cr, client_random, sizeof(cr)) != 0) {
		k->foreign_lines++;
		goto out;
	}

#define LABEL_IS(s) (label_len == sizeof(s) - 1 && memcmp(line, s, label_len) == 0)
	if (LABEL_IS("SERVER_HANDSHAKE_TRAFFIC_SECRET")) {
		if (sec_len != 32 && sec_len != 48) {
			err = -EINVAL;
			goto out;
		}
		memcpy(k->server_hs, secret, sec_len);
		k->server_hs_len = sec_len;
		k->have |= TLS_KEYS_HAVE_SERVER_HS;
	} else if (LABEL_IS("SERVER_TRAFFIC_SECRET_0")) {
		if (sec_len != 32 && sec_len != 48) {
			err = -EINVAL;
			goto out;
		}
		memcpy(k->server_app, secret, sec_len);
		k->server_app_len = sec_len;
		k->have |= TLS_KEYS_HAVE_SERVER_APP;
	} else if (LABEL_IS("CLIENT_RANDOM")) {
		if (sec_len != TLS_KEYS_MASTER_LEN) {
			err = -EINVAL;
			goto out;
		}
		memcpy(k->master, secret, sec_len);
		k->have |= TLS_KEYS_HAVE_MASTER;
	}
	/* other labels (client secrets, exporter) are not needed here */
#undef LABEL_IS
	memcpy(k->client_random, cr, sizeof(cr));
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	return err;
}

unsigned tls_keys__have(const struct tls_keys *k)
{
	return k->have;
}

unsigned tls_keys__foreign_lines(const struct tls_keys *k)
{
	return k->foreign_lines;
}

/* The first application epoch (generation 0) of the server. */
static int app_epoch0(struct tls_keys *k, SSL *ssl, enum tls_suite suite,
		      struct tls_epoch *out)
{
	const struct tls_suite_info *si = tls_keys_suite_info(suite);
	uint8_t sr[TLS_KEYS_RANDOM_LEN];

	if (si->version == TLS_VERSION_13) {
		if (!(k->have & TLS_KEYS_HAVE_SERVER_APP))
			return -ENOKEY;
		return tls_keys_epoch_13(suite, k->server_app, k->server_app_len, out);
	}
	if (!(k->have & TLS_KEYS_HAVE_MASTER))
		return -ENOKEY;
	if (SSL_get_server_random(ssl, sr, sizeof(sr)) != sizeof(sr))
		return -EPROTO;
	memset(out, 0, sizeof(*out));
	out->suite = suite;
	return tls_keys_derive_12(suite, k->master, k->client_random, sr, &out->keys, NULL);
}

static int check_session(struct tls_keys *k, SSL *ssl, enum tls_suite *suite)
{
	if (!SSL_is_init_finished(ssl) || !k->app_epoch)
		return -EPROTO;
	*suite = tls_keys_suite_from_ssl(ssl);
	if (*suite == TLS_SUITE_NONE)
		return -ENOTSUP;
	/* renegotiation would change keys under us */
	if (k->server_ccs > 1)
		return -ENOTSUP;
	return 0;
}

int tls_keys__handoff(struct tls_keys *k, SSL *ssl, struct tls_handoff *out)
{
	enum tls_suite suite;
	BIO *rbio = SSL_get_rbio(ssl);
	int err;

	err = check_session(k, ssl, &suite);
	if (err)
		return err;
	if (SSL_get_read_ahead(ssl))
		return -EINVAL;
	/* Clean boundary: every byte read from the socket belongs to a record
	 * OpenSSL has fully read, and no plaintext waits in OpenSSL. */
	if (SSL_has_pending(ssl) || !rbio || BIO_number_read(rbio) != k->stream_end)
		return -EAGAIN;
	memset(out, 0, sizeof(*out));
	err = app_epoch0(k, ssl, suite, &out->epoch);
	if (err)
		goto fail;
	for (uint32_t g = 0; g < k->generation; g++) {
		err = tls_keys_next_secret_13(suite, out->epoch.secret, out->epoch.secret_len,
					      out->epoch.secret);
		if (!err)
			err = tls_keys_derive_13(suite, out->epoch.secret,
						 out->epoch.secret_len, &out->epoch.keys);
		if (err)
			goto fail;
	}
	out->stream_offset = k->stream_end;
	out->seq = k->epoch_records;
	out->generation = k->generation;
	return 0;
fail:
	tls_keys_epoch_wipe(&out->epoch);
	return err;
}

int tls_keys__stream_epochs(struct tls_keys *k, SSL *ssl, struct tls_epoch *hs,
			    struct tls_epoch *app)
{
	enum tls_suite suite;
	int err;

	err = check_session(k, ssl, &suite);
	if (err)
		return err;
	if (hs) {
		memset(hs, 0, sizeof(*hs));
		if (tls_keys_suite_info(suite)->version == TLS_VERSION_13) {
			if (!(k->have & TLS_KEYS_HAVE_SERVER_HS))
				return -ENOKEY;
			err = tls_keys_epoch_13(suite, k->server_hs, k->server_hs_len, hs);
			if (err)
				return err;
		}
	}
	err = app_epoch0(k, ssl, suite, app);
	if (err && hs)
		tls_keys_epoch_wipe(hs);
	return err;
}

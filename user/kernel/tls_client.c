/* tls_client — OpenSSL client context and session for the kernel path
 * (see tls_client.h). */
#include "tls_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core/util.h"

static const char *const tls_client__allowed[] = {
    "TLS_AES_128_GCM_SHA256",	    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",  "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",  "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
};

__attribute__((format(printf, 3, 4))) static int tls_client__fail(struct tls_client *t, int err,
								  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return err;
}

/* OpenSSL's reason for the oldest queued error (then clear the queue). */
static const char *tls_client__ossl_reason(char *buf, size_t cap)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	if (r)
		snprintf(buf, cap, "%s", r);
	else if (e)
		ERR_error_string_n(e, buf, cap);
	else
		snprintf(buf, cap, "unknown error");
	ERR_clear_error();
	return buf;
}

static bool tls_client__is_allowed(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(tls_client__allowed); i++)
		if (strcmp(name, tls_client__allowed[i]) == 0)
			return true;
	return false;
}

/* Every cipher the context would offer must be one the fast path reads. */
static int tls_client__check_ciphers(struct tls_client *t)
{
	STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(t->ctx);

	for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
		const char *name = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i));
		if (!tls_client__is_allowed(name))
			return tls_client__fail(t, -EINVAL,
						"cipher %s is not supported: feedrx offers only "
						"the AEAD suites listed in --help",
						name);
	}
	return 0;
}

int tls_client__init(struct tls_client *t, const struct tls_client_opts *o)
{
	static const unsigned char alpn[] = "\x08http/1.1";
	char why[160];
	int minv = TLS1_2_VERSION, maxv = TLS1_3_VERSION, r;

	memset(t, 0, sizeof(*t));
	t->rx_stamps = o->rx_stamps;
	if (o->version == 12)
		maxv = TLS1_2_VERSION;
	else if (o->version == 13)
		minv = TLS1_3_VERSION;
	else if (o->version != 0)
		return tls_client__fail(t, -EINVAL, "unknown TLS version");

	t->ctx = SSL_CTX_new(TLS_client_method());
	if (!t->ctx)
		return tls_client__fail(t, -ENOMEM, "cannot create TLS context: %s",
					tls_client__ossl_reason(why, sizeof(why)));
	if (!SSL_CTX_set_min_proto_version(t->ctx, minv) ||
	    !SSL_CTX_set_max_proto_version(t->ctx, maxv)) {
		r = tls_client__fail(t, -EINVAL, "cannot pin the TLS version");
		goto err_ctx;
	}
	/* the fast path needs exact record boundaries: never read ahead */
	SSL_CTX_set_read_ahead(t->ctx, 0);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_clear_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);

	if (!SSL_CTX_set_ciphersuites(t->ctx, TLS_CLIENT_SUITES_13) ||
	    !SSL_CTX_set_cipher_list(t->ctx, TLS_CLIENT_CIPHERS_12)) {
		r = tls_client__fail(t, -EINVAL, "cannot set the cipher lists: %s",
				     tls_client__ossl_reason(why, sizeof(why)));
		goto err_ctx;
	}
	if (o->ciphersuites && !SSL_CTX_set_ciphersuites(t->ctx, o->ciphersuites)) {
		r = tls_client__fail(t, -EINVAL, "bad --ciphersuites '%s': %s", o->ciphersuites,
				     tls_client__ossl_reason(why, sizeof(why)));
		goto err_ctx;
	}
	if (o->ciphers && !SSL_CTX_set_cipher_list(t->ctx, o->ciphers)) {
		r = tls_client__fail(t, -EINVAL, "bad --ciphers '%s': %s", o->ciphers,
				     tls_client__ossl_reason(why, sizeof(why)));
		goto err_ctx;
	}
	if ((r = tls_client__check_ciphers(t)))
		goto err_ctx;
	if (SSL_CTX_set_alpn_protos(t->ctx, alpn, sizeof(alpn) - 1)) {
		r = tls_client__fail(t, -ENOMEM, "cannot set ALPN");
		goto err_ctx;
	}

	if (o->insecure) {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
		if (o->cafile) {
			if (!SSL_CTX_load_verify_locations(t->ctx, o->cafile, NULL)) {
				r = tls_client__fail(t, -ENOENT, "cannot load CA file %s: %s",
						     o->cafile,
						     tls_client__ossl_reason(why, sizeof(why)));
				goto err_ctx;
			}
		} else if (!SSL_CTX_set_default_verify_paths(t->ctx)) {
			r = tls_client__fail(t, -ENOENT, "cannot load the system CA store: %s",
					     tls_client__ossl_reason(why, sizeof(why)));
			goto err_ctx;
		}
	}
	return 0;

err_ctx:
	SSL_CTX_free(t->ctx);
	t->ctx = NULL;
	return r;
}

int tls_client__attach(struct tls_client *t, int fd, const char *host, bool ip_literal)
{
	char why[160];

	t->ssl = SSL_new(t->ctx);
	if (!t->ssl)
		return tls_client__fail(t, -ENOMEM, "cannot create TLS session: %s",
					tls_client__ossl_reason(why, sizeof(why)));
	if (t->rx_stamps && rx_stamp_enable(fd) == 0) {
		BIO *b = rx_stamp_bio(fd, &t->rx);

		if (!b)
			goto err;
		SSL_set_bio(t->ssl, b, b); /* one BIO, both directions */
	} else if (!SSL_set_fd(t->ssl, fd)) {
		goto err;
	}
	if (ip_literal) {
		/* RFC 6066: no SNI for addresses; check the certificate's IP SAN */
		if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host))
			goto err;
	} else {
		if (!SSL_set_tlsext_host_name(t->ssl, host))
			goto err;
		SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (!SSL_set1_host(t->ssl, host))
			goto err;
	}
	SSL_set_connect_state(t->ssl);
	return 0;

err:
	tls_client__fail(t, -EINVAL, "cannot set up the TLS session for %s: %s", host,
			 tls_client__ossl_reason(why, sizeof(why)));
	SSL_free(t->ssl);
	t->ssl = NULL;
	return -EINVAL;
}

/* Turn SSL_get_error() into our codes; text for real errors. */
static int tls_client__error(struct tls_client *t, int ret, const char *during)
{
	int e = SSL_get_error(t->ssl, ret);
	int saved = errno;
	char why[160];
	long v;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		t->want_write = false;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		t->want_write = true;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (ret == 0 || saved == 0) {
			tls_client__fail(t, -ECONNRESET,
					 "connection closed by the server during %s", during);
			return -ECONNRESET;
		}
		tls_client__fail(t, -saved, "%s during %s", strerror(saved), during);
		return saved == EPIPE || saved == ECONNRESET ? -ECONNRESET : -EIO;
	case SSL_ERROR_SSL:
		v = SSL_get_verify_result(t->ssl);
		if (v != X509_V_OK && !SSL_is_init_finished(t->ssl)) {
			ERR_clear_error();
			return tls_client__fail(t, -EACCES, "certificate verify failed: %s",
						X509_verify_cert_error_string(v));
		}
		if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			tls_client__fail(t, -ECONNRESET,
					 "connection closed by the server during %s "
					 "(no close_notify)",
					 during);
			return -ECONNRESET;
		}
		return tls_client__fail(t, -EIO, "TLS error during %s: %s", during,
					tls_client__ossl_reason(why, sizeof(why)));
	default:
		ERR_clear_error();
		return tls_client__fail(t, -EIO, "TLS error %d during %s", e, during);
	}
}

int tls_client__handshake(struct tls_client *t)
{
	int r;

	ERR_clear_error();
	r = SSL_do_handshake(t->ssl);
	if (r == 1)
		return 0;
	r = tls_client__error(t, r, "the TLS handshake");
	if (r == 0) /* close_notify in the middle of a handshake */
		return tls_client__fail(t, -ECONNRESET,
					"connection closed by the server during the TLS handshake");
	return r;
}

ssize_t tls_client__read(struct tls_client *t, void *buf, size_t n)
{
	int r;

	ERR_clear_error();
	r = SSL_read(t->ssl, buf, (int)(n > INT32_MAX ? INT32_MAX : n));
	if (r > 0)
		return r;
	return tls_client__error(t, r, "a read");
}

ssize_t tls_client__write(struct tls_client *t, const void *buf, size_t n)
{
	int r;

	ERR_clear_error();
	r = SSL_write(t->ssl, buf, (int)(n > INT32_MAX ? INT32_MAX : n));
	if (r > 0)
		return r;
	r = tls_client__error(t, r, "a write");
	return r == 0 ? -EPIPE : r;
}

int tls_client__shutdown(struct tls_client *t)
{
	int r;

	if (!t->ssl)
		return 0;
	ERR_clear_error();
	r = SSL_shutdown(t->ssl);
	if (r >= 0)
		return 0; /* sent (1: theirs received too) */
	r = tls_client__error(t, r, "the TLS shutdown");
	return r;
}

const char *tls_client__version(const struct tls_client *t)
{
	return t->ssl ? SSL_get_version(t->ssl) : "none";
}

const char *tls_client__cipher(const struct tls_client *t)
{
	const char *c = t->ssl ? SSL_get_cipher_name(t->ssl) : NULL;

	return c ? c : "none";
}

uint64_t tls_client__rx_bytes(const struct tls_client *t)
{
	BIO *b = t->ssl ? SSL_get_rbio(t->ssl) : NULL;

	return b ? BIO_number_read(b) : 0;
}

void tls_client__free(struct tls_client *t)
{
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	t->ssl = NULL;
	t->ctx = NULL;
}

/* sim_tls — feedsim's TLS server context (see sim_tls.h). */
#include "sim_tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unknown error";
}

/* The key log file rides along as the context's app data. */
static void keylog_cb(const SSL *ssl, const char *line)
{
	FILE *f = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));

	if (f) {
		fprintf(f, "%s\n", line);
		fflush(f);
	}
}

#define FAIL(code, ...)                                  \
	do {                                             \
		rc = fx_error_set(err, code, __VA_ARGS__); \
		goto err_ctx;                            \
	} while (0)

int sim_tls_ctx__new(SSL_CTX **out, const struct sim_tls_config *cfg, struct fx_error *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	FILE *keylog;
	int rc;

	*out = NULL;
	if (!ctx)
		return fx_error_set(err, -ENOMEM, "cannot create a TLS context: %s", ssl_reason());
	if (!SSL_CTX_set_min_proto_version(ctx, cfg->tls_min ? cfg->tls_min : TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, cfg->tls_max))
		FAIL(-EINVAL, "cannot set the TLS versions: %s", ssl_reason());
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	/* large buffered writes go out a record at a time, and the buffer may
	 * move between a WANT_WRITE and the retry */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (cfg->ciphers && !SSL_CTX_set_cipher_list(ctx, cfg->ciphers))
		FAIL(-EINVAL, "--ciphers: OpenSSL accepts none of '%s'", cfg->ciphers);
	if (cfg->ciphersuites && !SSL_CTX_set_ciphersuites(ctx, cfg->ciphersuites))
		FAIL(-EINVAL, "--ciphersuites: OpenSSL accepts none of '%s'", cfg->ciphersuites);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert) != 1)
		FAIL(-EINVAL, "cannot load certificate %s: %s", cfg->cert, ssl_reason());
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key, SSL_FILETYPE_PEM) != 1)
		FAIL(-EINVAL, "cannot load private key %s: %s", cfg->key, ssl_reason());
	if (SSL_CTX_check_private_key(ctx) != 1)
		FAIL(-EINVAL, "private key %s does not match certificate %s", cfg->key, cfg->cert);
	if (cfg->keylog) {
		keylog = fopen(cfg->keylog, "a");
		if (!keylog)
			FAIL(-errno, "--keylog %s: %s", cfg->keylog, strerror(errno));
		SSL_CTX_set_app_data(ctx, keylog);
		SSL_CTX_set_keylog_callback(ctx, keylog_cb);
	}
	*out = ctx;
	return 0;

err_ctx:
	SSL_CTX_free(ctx);
	return rc;
}

void sim_tls_ctx__free(SSL_CTX *ctx)
{
	FILE *keylog;

	if (!ctx)
		return;
	keylog = SSL_CTX_get_app_data(ctx);
	if (keylog)
		fclose(keylog);
	SSL_CTX_free(ctx);
}

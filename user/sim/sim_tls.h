/* sim_tls — feedsim's TLS server context: protocol versions, cipher lists,
 * certificate chain and key, modes for large buffered writes, and an
 * optional NSS key log (for Wireshark/tshark as an independent decoder). */
#ifndef FEEDRX_SIM_TLS_H
#define FEEDRX_SIM_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "core/fx_err.h"

struct sim_tls_config {
	const char *cert, *key; /* PEM files */
	const char *keylog;     /* NSS key log file (appended), or NULL */
	int tls_min, tls_max;   /* TLS1_2_VERSION / TLS1_3_VERSION, 0 = any */
	const char *ciphers;    /* TLS 1.2 list, OpenSSL syntax, or NULL */
	const char *ciphersuites; /* TLS 1.3 list, or NULL */
};

/* Build the context: 0 and *out, or a negative code with a one-line reason
 * in err. */
int sim_tls_ctx__new(SSL_CTX **out, const struct sim_tls_config *cfg, struct fx_error *err);

/* Free the context and close its key log. */
void sim_tls_ctx__free(SSL_CTX *ctx);

#endif

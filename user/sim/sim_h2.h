/* sim_h2 — feedsim's HTTP/2 server side (nghttp2) for the REST endpoints
 * (sim_rest.h), chosen when a client offers "h2" by ALPN in market mode.
 * A session per connection: bytes in (sim_h2__recv), bytes out
 * (sim_h2__send); each request is answered by sim_rest (404 for any other
 * path), --snapshot-delay-ms answers held on a timer. At most 32
 * concurrent streams; each holds its answer (its own size, < 32 KiB). */
#ifndef FEEDRX_SIM_H2_H
#define FEEDRX_SIM_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ev.h>
#include <openssl/ssl.h>

struct sim_h2;
struct sim_rest;

/* Offer ALPN on the server: h2 when the client offers it, else http/1.1. */
void sim_h2_alpn(SSL_CTX *ctx);

/* Did this handshake settle on h2? */
bool sim_h2_negotiated(SSL *ssl);

/* kick(arg) runs when a held answer is ready to be sent (from a timer: it
 * may free the session). 0, or -ENOMEM. */
int sim_h2__new(struct sim_h2 **out, struct ev_loop *loop, struct sim_rest *rest,
		const struct sockaddr_storage *peer, void (*kick)(void *), void *arg);
void sim_h2__free(struct sim_h2 *h);

/* Bytes from the client: 0, or -1 when the session failed (close it). */
int sim_h2__recv(struct sim_h2 *h, const uint8_t *p, size_t n);

/* Up to cap bytes to send; 0 when nothing is due. */
size_t sim_h2__send(struct sim_h2 *h, uint8_t *dst, size_t cap);

bool sim_h2__want_write(const struct sim_h2 *h);

/* The session is over (GOAWAY both ways, or failed): close the connection. */
bool sim_h2__done(const struct sim_h2 *h);

#endif

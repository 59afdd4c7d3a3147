/* kconn — one feed connection on kernel sockets, as a state machine on a
 * libev loop: resolve -> TCP connect (each address in turn) -> optional
 * HTTP CONNECT through a proxy -> TLS handshake -> WebSocket upgrade ->
 * open (messages, pings, idle detection, optional SUBSCRIBE) -> close
 * handshake -> TLS close_notify -> done. One connect timeout covers
 * everything up to "open"; an idle timeout watches an open connection.
 *
 * Resolution runs on the loop (c-ares, resolve.h) and the connect timeout
 * covers it: nothing in the sequence blocks the loop.
 *
 * Hooks for other modes: on_socket runs with the fd bound (4-tuple known)
 * before connect(); on_tls runs with the SSL* before the handshake (key-log
 * callback, tls_keys__attach); on_open runs once the upgrade is verified,
 * when kconn__tls_rx_bytes() is the ciphertext offset of the next TLS record
 * (read_ahead is off). WebSocket bytes that shared a record with the 101
 * are already decrypted then: kconn delivers them right after on_open. */
#ifndef FEEDRX_KCONN_H
#define FEEDRX_KCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ev.h>
#include <openssl/ssl.h>

#include "core/fx_err.h"
#include "resolve.h"
#include "tls_client.h"
#include "url.h"

struct http_header; /* kernel/http_upgrade.h */

enum kconn_state {
	KCONN_IDLE,
	KCONN_CONNECTING, /* TCP */
	KCONN_PROXY,	  /* CONNECT sent, reading the proxy's answer */
	KCONN_TLS,	  /* TLS handshake */
	KCONN_UPGRADE,	  /* GET sent, reading the 101 */
	KCONN_OPEN,
	KCONN_CLOSING,	    /* our WebSocket close sent, waiting for theirs */
	KCONN_TLS_SHUTDOWN, /* close_notify sent, waiting for the server's EOF */
	KCONN_DONE,
};

struct kconn_hooks {
	void *user;
	/* fd is bound to local (its address and port final), not connected.
	 * Return 0, or a negative errno to abort this connection attempt. */
	int (*on_socket)(void *user, int fd, const struct sockaddr *local,
			 const struct sockaddr *remote);
	/* The session exists, the handshake has not started. */
	void (*on_tls)(void *user, SSL *ssl);
	/* The upgrade is verified; messages follow. */
	void (*on_open)(void *user);
	/* One data message: opcode WS_OP_TEXT or WS_OP_BINARY. */
	void (*on_message)(void *user, uint8_t opcode, const uint8_t *p, size_t n);
	/* Finished: status 0 for a clean end, negative on error (see
	 * kconn__error()). All watchers are stopped; the loop may end. */
	void (*on_done)(void *user, int status);
	/* Discard mode: bytes were read and dropped; stream_bytes is how many
	 * the socket has given since connect (proxy answer + TLS). */
	void (*on_drained)(void *user, uint64_t stream_bytes);
};

struct net_bind; /* net_connect.h */

struct kconn_opts {
	const struct url *url;	 /* wss:// target */
	const struct url *proxy; /* http:// proxy, or NULL */
	struct tls_client_opts tls;
	double connect_timeout;	      /* seconds, TCP + proxy + TLS + upgrade */
	double idle_timeout;	      /* seconds without a complete frame; 0 = off */
	/* The keepalive after idle_timeout / 2 of silence: a WebSocket ping,
	 * or this text message (a venue's own, "ping"), NULL-terminated. */
	const char *ping_text;
	double ping_every;	      /* s: a keepalive at least this often; 0 = only when idle */
	double close_timeout;	      /* bounded wait for the close handshake */
	size_t max_message;	      /* WebSocket reassembly limit */
	size_t max_send;	      /* largest text the caller sends (send_text) */
	bool check_utf8; /* 1007 on invalid text */
	/* --poll busy: spin on the socket while open (non-blocking reads on
	 * the loop's CPU, the loop's other watchers in between), optionally
	 * with SO_BUSY_POLL for busy_poll_usecs */
	bool busy;
	int busy_poll_usecs;
	/* Extra headers of the upgrade request (an API key), or none. The
	 * request holding them is wiped once it is sent. */
	const struct http_header *headers;
	size_t n_headers;
	/* Name resolution on the loop (resolve.h), shared by the connections
	 * of one loop; NULL: kconn makes its own from /etc/resolv.conf. */
	struct resolve_ctx *resolver;
	/* --bind: the interface and/or source address to leave from, or NULL */
	const struct net_bind *bind;
};

struct kconn_stats {
	uint64_t messages, bytes; /* delivered data messages, payload bytes */
	uint64_t rx_bytes;	  /* plaintext bytes after the upgrade */
	uint64_t pings, pongs;	  /* received */
	uint16_t close_sent, close_received;
};

struct kconn;

/* Allocate (all buffers at set-up) and validate options: 0 and *out, or a
 * negative code with a one-line reason in err. */
int kconn__new(struct kconn **out, struct ev_loop *loop, const struct kconn_opts *o,
	       const struct kconn_hooks *h, struct fx_error *err);

/* Resolve and start connecting. Errors are reported through on_done. */
void kconn__start(struct kconn *k);

/* Begin a clean close with code (1000): WebSocket close, then close_notify,
 * bounded by close_timeout. Before "open", abort at once. Idempotent. */
void kconn__close(struct kconn *k, uint16_t code);

/* Stop everything now (second signal): no handshake, status unchanged. */
void kconn__abort(struct kconn *k, int status, const char *why);

enum kconn_state kconn__state(const struct kconn *k);
int kconn__fd(const struct kconn *k);
/* The context exists from kconn__new() on (install a key-log callback
 * there, e.g. tls_keys_install()); the session from on_tls on. */
SSL_CTX *kconn__ssl_ctx(const struct kconn *k);
SSL *kconn__ssl(const struct kconn *k);
uint64_t kconn__tls_rx_bytes(const struct kconn *k);
/* With o.tls.rx_stamps: when the kernel received the newest bytes read
 * (CLOCK_MONOTONIC ns), the arrival stamp of what is being delivered. */
uint64_t kconn__rx_ns(const struct kconn *k);
const char *kconn__error(const struct kconn *k);
/* Short description of the connection: peer, TLS version and cipher. */
const char *kconn__describe(const struct kconn *k);
void kconn__stats(const struct kconn *k, struct kconn_stats *s);

/* Discard mode ("--shadow discard"): from now on the socket's bytes are
 * read and dropped without OpenSSL decrypting them — the fast path decodes
 * and tells kconn what needs an answer. Call from on_open. */
void kconn__set_discard(struct kconn *k);
bool kconn__discarding(const struct kconn *k);
/* Bytes the socket has given since connect: proxy answer, TLS, discarded. */
uint64_t kconn__stream_bytes(const struct kconn *k);
/* Send one text message (a subscription request). 0 or negative. */
int kconn__send_text(struct kconn *k, const void *p, size_t n);
/* Discard mode: the fast path decoded a whole message or control frame
 * (the idle timeout counts from the last one). */
void kconn__frame_seen(struct kconn *k);
/* The fast path saw a ping: answer it. 0 or negative. */
int kconn__pong(struct kconn *k, const uint8_t *p, size_t n);
/* The fast path saw a KeyUpdate that requests ours: update our sending key. */
int kconn__key_update(struct kconn *k);
/* The fast path saw the server's close frame: echo it and shut down. */
void kconn__peer_closed(struct kconn *k, uint16_t code);

void kconn__free(struct kconn *k);

#endif

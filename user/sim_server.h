/* sim_server — feedsim's TLS WebSocket server: listeners, one state machine
 * per client connection (TLS handshake, HTTP upgrade, WebSocket session,
 * closing handshake), paced and buffered generation of data messages, pings,
 * the send log, and an orderly shutdown. Everything runs on one libev loop.
 */
#ifndef FEEDRX_SIM_SERVER_H
#define FEEDRX_SIM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ev.h>

#include "feedgen.h"
#include "sim_tls.h"

#define SIM_SERVER_MAX_LISTEN 16

struct sim_listen {
	struct sockaddr_storage addr;
	socklen_t len;
	char text[64]; /* as given: 198.18.0.1:9443 or [fd00:fee0::1]:9443 */
};

struct sim_server_config {
	struct sim_listen listen[SIM_SERVER_MAX_LISTEN];
	unsigned nlisten;
	struct sim_tls_config tls;
	double rate;            /* data messages/s per connection, 0 = flat out */
	unsigned burst;         /* messages back to back per tick */
	uint64_t count;         /* data messages per connection, 0 = no limit */
	struct feedgen_config gen;
	double ping_interval;   /* s, 0 = no pings */
	double pong_timeout;    /* s without a pong after a ping: close 1008 */
	size_t fragment;        /* max payload bytes per data frame, 0 = whole */
	uint64_t key_update;    /* TLS 1.3 KeyUpdate every N data messages */
	size_t max_msg;         /* largest client message accepted (1009 above) */
	const char *log_path;   /* every data payload sent, one per line */
	bool once;              /* shut down after the first client leaves */
	unsigned max_clients;
	bool verbose;
};

struct sim_server;

/* Load certificates, open the log and bind every listener. On failure
 * returns a negative errno-style code and a one-line reason in err. */
int sim_server__new(struct ev_loop *loop, const struct sim_server_config *cfg,
		    struct sim_server **out, char *err, size_t errlen);

/* Begin an orderly shutdown: stop listening, close every client with
 * `code` (1001). The loop is broken once every client is gone. */
void sim_server__shutdown(struct sim_server *s, uint16_t code);

/* Close listeners and remaining clients, flush and close the log. */
void sim_server__free(struct sim_server *s);

/* The address a listener actually got (port 0 = ephemeral), as text. */
const char *sim_server_listen_text(const struct sim_server *s, unsigned i);

#endif

/* sim_server — feedsim's TLS WebSocket server: listeners, one state machine
 * per client connection (TLS handshake, HTTP upgrade, WebSocket session,
 * closing handshake), paced and buffered generation of data messages, pings,
 * the send log, and an orderly shutdown. Everything runs on one libev loop.
 *
 * Semantics the tests and feedrx rely on:
 * - "ts_ns" is read just before a message is serialised into the
 *   connection's output buffer, which goes to SSL_write in the same pass:
 *   at once when paced (--rate N), after at most 16 KiB of messages when
 *   flat out (--rate 0). Messages held back by a slow client are generated
 *   (and stamped) only when there is room again: none is dropped.
 * - --log gets each data payload when it is generated, in generation order
 *   across connections; it is flushed whenever a client leaves and at exit.
 * - Close codes: 1000 after --count, 1001 on SIGINT/SIGTERM and --once,
 *   1008 "pong timeout" when a ping is unanswered for --pong-timeout
 *   seconds, 1009 for a client message over --max-frame bytes, 1002 for
 *   protocol errors, 1007 for bad UTF-8, 1003 for binary messages; a
 *   client's close code is echoed.
 * - --once ends the server after the first connection of any kind (even a
 *   refused upgrade) is gone.
 * - --hostile KIND: the --count valid messages (logged), then the attack
 *   (never logged); a handshake kind answers the upgrade with it. The
 *   client's close code is printed ("close received N") on stderr.
 * - The cadence of every stream, depth@100ms included, is set by --rate and
 *   --mix, not by the stream's name.
 * - --max-age S: S seconds after its upgrade a connection is closed with
 *   1001 "max age" (then close_notify and FIN), as Binance does after 24 h;
 *   --shutdown-notice S2 seconds before that, a serverShutdown event goes
 *   out between data messages (sim_cut.h): logged like data, not counted
 *   by --count, its "E" from the same clock as the data's.
 * - Cuts (--cut-after, --cut-every, --cut-random, --cut-with): what was
 *   generated is written out first (so --log holds what reached the
 *   socket), then fin: shutdown(SHUT_WR), no close frame, no close_notify,
 *   input read until the client's EOF; rst: SO_LINGER 0 and close (data
 *   still in the socket's buffer may be lost: the client gets a prefix of
 *   the log); stall: nothing sent any more (no data, no pings, no close),
 *   input read and dropped until the client leaves or the server shuts down.
 * - --conn-limit N/S: per client address at most N admitted connections in
 *   any S seconds (sim_limit.h); the upgrade of one beyond is answered 429
 *   with Retry-After, then close_notify and FIN. A refused one takes no slot.
 * - A/B: with one --seed and subscriptions fixed by the path (/ws/<stream>,
 *   /stream?streams=), every connection sends the same payloads in the same
 *   order; with --epoch-ms T, "E" and "T" come from the message's number
 *   (feedgen_index_ms), so two instances differ only in "ts_ns" (the send
 *   time), and in where a serverShutdown notice or a cut falls (they are
 *   timed, not counted). --delay-ms D starts each connection's schedule D ms
 *   after its upgrade: that leg lags by D.
 * - One stderr line (-v) per cut ("client N: cut fin|rst|stall after M
 *   messages"), per notice ("client N: serverShutdown notice, ...") and per
 *   refusal ("client N GET ... -> 429: ...").
 */
#ifndef FEEDRX_SIM_SERVER_H
#define FEEDRX_SIM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ev.h>

#include "feedgen.h"
#include "sim_cut.h"
#include "sim_dialect.h"
#include "sim_hostile.h"
#include "sim_market.h"
#include "sim_rest.h"
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
	bool no_ts;             /* leave "ts_ns" out, as a real exchange does */
	bool record_per_msg;    /* one SSL_write (one TLS record) per data message */
	uint64_t key_update;    /* TLS 1.3 KeyUpdate every N data messages */
	bool key_update_request; /* ... with update_requested: the client answers */
	size_t max_msg;         /* largest client message accepted (1009 above) */
	const char *log_path;   /* every data payload sent, one per line */
	bool once;              /* shut down after the first client leaves */
	unsigned max_clients;
	/* --hostile: after the upgrade and `count` valid messages (or instead
	 * of the upgrade's answer), write this attack (sim_hostile.h) */
	enum sim_hostile_kind hostile;
	uint64_t hostile_size;
	double hostile_delay; /* s between the valid messages and the attack */
	double max_age;         /* s after the upgrade: close 1001, 0 = never */
	double shutdown_notice; /* s before that: the serverShutdown event, 0 = none */
	struct sim_cut_config cut;
	unsigned conn_limit;    /* connections per address per conn_window, 0 = no limit */
	double conn_window;     /* s */
	bool epoch;             /* "E"/"T" from epoch_ms and the message number */
	int64_t epoch_ms;
	double delay;           /* s between the upgrade and the first data message */
	/* --venue binance-sbe (sim_sbe.h): the X-MBX-APIKEY header required,
	 * SBE stream names, data in binary frames, --log lines in hex */
	bool sbe;
	/* --venue okx|bybit: another venue's paths, requests, keepalive and
	 * shapes over feedgen's data (sim_dialect.h); NULL: Binance */
	const struct sim_dialect *dialect;
	double drop_diff;       /* --drop-diff: book updates dropped (gaps) */
	/* --market: one market timeline, every connection a view of it
	 * (sim_market.h); rate/burst/gen/epoch above then drive the market.
	 * delay is then added to each message's publication time. */
	struct sim_market_config market;
	struct sim_rest_config rest; /* REST depth endpoints (sim_rest.h), market mode */
	/* --listen-delay-ms PORT=D: connections on that port lag by D instead */
	struct {
		uint16_t port;
		double delay;
	} leg_delay[SIM_SERVER_MAX_LISTEN];
	unsigned nleg_delay;
};

struct sim_server;

/* Load certificates, open the log and bind every listener: 0 and *out, or
 * a negative code with a one-line reason in err (nothing left to free). */
int sim_server__new(struct sim_server **out, struct ev_loop *loop,
		    const struct sim_server_config *cfg, struct fx_error *err);

/* Begin an orderly shutdown: stop listening, close every client with
 * `code` (1001). The loop is broken once every client is gone. */
void sim_server__shutdown(struct sim_server *s, uint16_t code);

/* Close listeners and remaining clients, flush and close the log. */
void sim_server__free(struct sim_server *s);

/* The market (--market), or NULL. */
struct sim_market *sim_server_market(struct sim_server *s);

/* The address a listener actually got (port 0 = ephemeral), as text. */
const char *sim_server_listen_text(const struct sim_server *s, unsigned i);

#endif

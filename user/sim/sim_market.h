/* sim_market — feedsim's market mode (--market): ONE process-wide market
 * timeline that every connection views, as on a real exchange.
 *
 * The market owns one feedgen (user/sim/feedgen.h) with every stream of its
 * universe subscribed (--symbols, plus any valid stream a client asks for
 * that is not in it yet). It publishes on a schedule: --rate N is messages
 * per second of the whole MARKET (all streams together, chosen by --mix
 * weights), --burst messages per tick; --rate 0 publishes flat out, paced by
 * the slowest view (the market waits while a view is more than half the
 * buffer behind: nothing is dropped, as in per-connection mode; a view that
 * holds it SIM_MARKET_STUCK_SECS is closed "slow"). A view leaves the
 * market as soon as its connection is cut or closing.
 *
 * Not in market mode: timeUnit=MICROSECOND ("E"/"T" stay in ms).
 *
 * Published messages go into a bounded ring (--market-buffer messages, at
 * most 64 MiB of text); each one gets a market sequence number `seq` (0, 1,
 * ...). A connection is a view: a cursor into the ring and, per market
 * stream, the seq from which it is subscribed. It is written every message
 * of its streams published from the moment it subscribed, in publish
 * order, with the same bytes and ids as every other view (only "ts_ns",
 * the combined envelope and --delay-ms differ). A cut connection misses
 * what is published until the client comes back. With --rate > 0 a view
 * that falls a whole ring behind is closed (1008 "slow consumer") and its
 * range ends there: the market never waits for one client.
 *
 * Truth log (--truth FILE), one line per event, tab-separated:
 *   P <seq> <stream> <id> [<id2>] [drop]   published (depth: U then u;
 *        trade t; aggTrade a; bookTicker u; raw "-"); "drop": the
 *        --drop-diff fault removed it before any view saw it
 *   V <conn> <stream> <from> <to> <end> <peer>  conn (from peer, the
 *        client's addr:port) was written every message
 *        of stream with from <= seq <= to (to < from: none); end says why
 *        the range ended: unsub, close (an orderly close or the client's),
 *        fin, rst, stall, slow, gone (the socket broke), exit (feedsim
 *        stopped with the view open)
 *   B <seq> <file>                          a --book-dump checkpoint file
 * It is flushed whenever a view range is written and at exit.
 *
 * Faults: --drop-diff P drops a depth message with probability P (ids
 * consumed, the gap is real for every client); --reorder-diff P holds one
 * back and publishes it after the stream's next one. Both are drawn from
 * --seed, so a run is repeatable.
 *
 * Book truth: --book-dump DIR writes a checkpoint every --book-every N
 * published messages (and on SIGUSR1): for every (symbol, depth stream)
 * the true book right after that stream's next message, i.e. exactly the
 * book a client has after applying the diff with that "u" — one JSON line
 * {"symbol":"BTCUSDT","stream":"btcusdt@depth","lastUpdateId":u,"seq":s,
 *  "bids":[["p","q"],...],"asks":[...]} in DIR/book-<n>.jsonl (n = 0, 1, ...;
 * the file is complete when its "B" truth line is written).
 */
#ifndef FEEDRX_SIM_MARKET_H
#define FEEDRX_SIM_MARKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ev.h>

#include "core/fx_err.h"
#include "feedgen.h"

#define SIM_MARKET_BUFFER_DEFAULT 65536u
#define SIM_MARKET_ARENA_MAX (64u << 20)
/* --rate 0: a view that holds the market this long is closed "slow". */
#define SIM_MARKET_STUCK_SECS 5.0

struct sim_market_config {
	bool on;
	const char *symbols;    /* "btcusdt,ethusdt" or "N" (s000usdt..); streams
				 * ("x@trade") add just that one; NULL = none */
	double rate;            /* market messages/s, 0 = flat out */
	unsigned burst;
	struct feedgen_config gen;
	bool epoch;             /* "E"/"T" from epoch_ms and the market seq */
	int64_t epoch_ms;
	const char *truth_path;
	const char *book_dir;
	uint64_t book_every;    /* messages between checkpoints, 0 = SIGUSR1 only */
	double drop_diff, reorder_diff; /* probabilities */
	unsigned buffer;        /* ring slots (messages) */
};

/* Why a view's range ended, for the truth log. */
enum sim_market_end {
	SIM_MARKET_END_UNSUB,
	SIM_MARKET_END_CLOSE,
	SIM_MARKET_END_FIN,
	SIM_MARKET_END_RST,
	SIM_MARKET_END_STALL,
	SIM_MARKET_END_SLOW,
	SIM_MARKET_END_GONE,
	SIM_MARKET_END_EXIT,
};

struct sim_market;

/* One published message as a view gets it. */
struct sim_market_msg {
	uint64_t seq;
	const char *text;      /* data object without "ts_ns", ends with '}' (raw: bare text) */
	size_t len;
	const char *stream;    /* its stream name */
	enum feedgen_kind kind; /* its stream's kind (an SBE re-encoding needs it) */
	bool raw;
};

/* A connection's view. Embedded in the connection; init/fini pair. */
struct sim_market_view {
	struct sim_market *m;
	struct sim_market_view *prev, *next;
	unsigned conn;
	uint64_t cursor;       /* next seq to look at */
	uint64_t *from;        /* per market stream: subscribed since, UINT64_MAX = not */
	unsigned nfrom;
	double delay;          /* s: a message goes out delay after its publication */
	bool slow;             /* fell behind the ring */
	char peer[64];         /* the client's address:port, for the truth log */
};

/* The market and its publication schedule, started at once. 0, or a
 * negative code with a one-line reason in err. */
int sim_market__new(struct sim_market **out, struct ev_loop *loop,
		    const struct sim_market_config *cfg, struct fx_error *err);
void sim_market__free(struct sim_market *m);

/* Called after each batch of publications (the server wakes its views). */
void sim_market__on_publish(struct sim_market *m, void (*cb)(void *arg), void *arg);

/* Write a --book-dump checkpoint as soon as every depth stream has moved
 * (SIGUSR1). */
void sim_market__checkpoint(struct sim_market *m);

/* Published so far. */
uint64_t sim_market_published(const struct sim_market *m);

/* The true book of a symbol (lowercase name) right now: levels as
 * feedgen__book gives them. 0, or -ENOENT for a symbol not in the market. */
int sim_market_book(struct sim_market *m, const char *symbol, size_t len,
		    struct feedgen_book *book);

void sim_market_view__init(struct sim_market_view *v, struct sim_market *m, unsigned conn,
			   double delay);
/* End every open range with `end` and leave the market. */
void sim_market_view__fini(struct sim_market_view *v, enum sim_market_end end);

/* Make the view's streams those subscribed in g (the connection's list,
 * kept by sim_rpc): new ones start at the market's next message (and join
 * the market's universe if they are new to it), dropped ones end "unsub".
 * 0, or -ENOSPC when the market cannot take another stream. */
int sim_market_view__sync(struct sim_market_view *v, const struct feedgen *g);

/* The next message due for this view at time now (ev_now): 1 and *msg,
 * 0 none due, -ESTALE the view fell behind the ring (v->slow is set). The
 * message stays valid until the market publishes again. */
int sim_market_view__peek(struct sim_market_view *v, double now, struct sim_market_msg *msg);
/* Move past the message peek returned. */
void sim_market_view__take(struct sim_market_view *v, const struct sim_market_msg *msg);

/* Wrap a message for one connection: the combined envelope when asked,
 * "ts_ns" when ts_ns >= 0 (not for raw). Returns the length (out holds
 * msg->len + 128 bytes + the stream name). */
size_t sim_market_render(const struct sim_market_msg *msg, bool combined, int64_t ts_ns, char *out);

#endif

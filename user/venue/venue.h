/* venue — everything that is particular to one exchange, as a table of
 * functions and facts: stream names, the subscription request and the
 * classification of its reply, keepalive, where the exchange's and the
 * simulator's times are, the stream a message belongs to, and parsing a
 * message into typed events. The pipeline below it (kconn, the fast path,
 * feed_link, the sinks) knows no exchange.
 *
 * Adding a venue: one file venue_<name>.c defining a `const struct venue`,
 * and one line in the table in venue.c. */
#ifndef FEEDRX_VENUE_H
#define FEEDRX_VENUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct feed_msg;
struct feed_book_snapshot;

/* What a message is to the subscription logic. */
enum venue_reply {
	VENUE_DATA,        /* a data message (or a reply to another request) */
	VENUE_REPLY_OK,    /* the exchange accepted our request */
	VENUE_REPLY_ERROR, /* ... or refused it */
	VENUE_CONTROL,     /* not data, not a reply: the keepalive's answer, a
			    * notice (venue.control; dropped on both paths) */
};

/* How a venue's depth messages chain into a book (feed/ keeps the books). */
enum venue_book_rule {
	VENUE_BOOK_NONE = 0,     /* the venue keeps no books */
	/* A REST snapshot; diffs with u <= lastUpdateId dropped; the first
	 * applied one straddles lastUpdateId + 1; then U == previous u + 1. */
	VENUE_BOOK_BINANCE_SPOT,
	/* ... the same start; then pu == previous u (USD-M futures). */
	VENUE_BOOK_BINANCE_USDM,
	/* A snapshot in the stream (FEED_F_SNAPSHOT); then prev_id == the
	 * previous last_id (OKX seqId/prevSeqId). */
	VENUE_BOOK_PREV_ID,
	/* A snapshot in the stream; then last_id == previous last_id + 1, and a
	 * snapshot or last_id 1 resets the book (Bybit u). */
	VENUE_BOOK_PLUS_ONE,
};

struct venue {
	const char *name; /* for --venue */
	const char *help; /* one line for --help */

	/* Whether a stream name can be subscribed as it is. */
	bool (*stream_ok)(const char *s);
	/* The request that subscribes n streams, tagged with id: its length,
	 * or a negative code (-ENOSPC, -EINVAL). */
	int (*subscribe_request)(const char *const *streams, size_t n, unsigned id, char *out,
				 size_t cap);
	/* Optional: the request that unsubscribes n streams (the same
	 * contract). With it and `control`, feed_link__resubscribe restarts a
	 * stream: the resync of venues whose books start from a snapshot in
	 * the stream (OKX, Bybit). */
	int (*unsubscribe_request)(const char *const *streams, size_t n, unsigned id, char *out,
				   size_t cap);
	/* Bytes per stream a request needs beyond subscribe_base. */
	size_t subscribe_per_stream, subscribe_base;
	/* Whether a URL path (with its query) names streams: 1 yes, 0 it names
	 * none (nothing arrives without a subscription), -1 cannot tell.
	 * Optional (NULL: cannot tell). */
	int (*url_streams)(const char *path);
	/* Whether a message is the reply to request id. */
	enum venue_reply (*classify)(const uint8_t *p, size_t n, unsigned id);
	/* Streams one request may carry (Bybit spot: 10); more are split over
	 * several requests, all sent at once. 0: no limit. */
	size_t subscribe_max;
	/* Optional: what a message is, at any time (not only while the first
	 * reply is due): venues that answer each request, or each stream, and
	 * the keepalive, with messages that can be told from data by their
	 * shape (OKX "event", Bybit "op"). feed_link calls it for every
	 * message on both paths, so it must be cheap; VENUE_CONTROL and the
	 * replies are dropped, so both paths number the data alike. */
	enum venue_reply (*control)(const uint8_t *p, size_t n);

	/* Keepalive: the exchange pings (the kernel path answers), and the
	 * client pings after half the idle timeout; this is the idle timeout
	 * that does not trip on the exchange's own ping interval. */
	double idle_timeout;
	/* A keepalive the client sends as a text message instead of a
	 * WebSocket ping ("ping" for OKX, {"op":"ping"} for Bybit), or NULL.
	 * It goes out after half the idle timeout without a message, and, when
	 * keepalive_every > 0, at least that often (seconds). With a text
	 * keepalive, idle_timeout is also the largest idle timeout feedrx uses
	 * (the venue closes connections that stay quiet longer). The answer
	 * must be VENUE_CONTROL for venue.control. */
	const char *keepalive_text;
	double keepalive_every;

	/* Cheap scans for latency, no parse: the exchange's event time
	 * (CLOCK_REALTIME ms) and feedsim's send time (CLOCK_MONOTONIC ns);
	 * 0 when absent. */
	uint64_t (*scan_event_ms)(const uint8_t *p, size_t n);
	/* A URL query parameter that makes the exchange send its times in a
	 * finer unit than ms ("timeUnit=MICROSECOND"), or NULL. feedrx adds it
	 * when it measures latency; scan_event_ms then returns that unit and
	 * lat_stats_epoch_ns tells the units apart by size. */
	const char *precise_time_query;
	uint64_t (*scan_send_ns)(const uint8_t *p, size_t n);
	/* The stream a message names (a combined-stream envelope): its length
	 * and *name into p, or 0. */
	size_t (*scan_stream)(const uint8_t *p, size_t n, const char **name);

	/* Connection limits (feed_set paces and splits under them; 0 = none
	 * known): streams per connection, messages a client may send per
	 * second (requests, pings and pongs count), connection attempts per
	 * IP in conn_window seconds, and the age at which the exchange cuts a
	 * connection (rotation happens well before). */
	unsigned max_streams_per_conn;
	unsigned max_client_msgs_per_s;
	unsigned conn_limit;
	double conn_window;
	double max_conn_age;

	/* Only what matching copies across connections needs, without a full
	 * parse (feed_set, per message): type, event, symbol, id, first_id,
	 * last_id, prev_id (and FEED_F_PREV_ID), trades/n_trades (NULL/0 when
	 * the message has one trade); 0, or negative when the
	 * message has none of them. Optional (NULL: parse is used). */
	int (*scan_ids)(const uint8_t *p, size_t n, struct feed_msg *m);
	/* Trade ids (trade t, aggTrade a) count up by one per stream, so a jump
	 * is a gap (Binance); false: they only order copies. */
	bool trade_ids_contiguous;

	/* How its depth streams make a book. */
	enum venue_book_rule book_rule;
	/* REST order-book snapshots (the REST book rules; NULL/0 otherwise).
	 * Where they are served ("https://api.binance.com"), and the request
	 * path for symbol with limit levels per side (the limit rounded up to
	 * one the venue accepts, at most snapshot_limit_max): its length, or
	 * -EINVAL / -ENOSPC. */
	const char *rest_url;
	uint32_t snapshot_limit_max;
	int (*snapshot_path)(const char *symbol, uint32_t limit, char *out, size_t cap);
	/* A parser for snapshot bodies of up to limit levels per side, set up
	 * once (freed by snapshot_parser_free, else parser_free), and the parse: 0 and *out (levels in
	 * the parser's storage, valid until its next call), or a negative code. */
	int (*snapshot_parser_new)(void **out, uint32_t limit);
	void (*snapshot_parser_free)(void *parser); /* NULL: parser_free */
	int (*snapshot_parse)(void *parser, const uint8_t *body, size_t n,
			      struct feed_book_snapshot *out);
	/* Typed events: a parser set up once (no allocation per message). */
	int (*parser_new)(void **out);
	void (*parser_free)(void *parser);
	/* 0 (m filled, possibly an unknown type) or a negative code. */
	int (*parse)(void *parser, const uint8_t *p, size_t n, struct feed_msg *m);

	/* An HTTP header the upgrade request must carry with the user's API
	 * key (--api-key-file, FEEDRX_API_KEY), or NULL when none is needed. */
	const char *auth_header;
};

/* The built-in venues, NULL-terminated; the first is the default. */
extern const struct venue *const venues[];

/* A venue by name in a NULL-terminated table, or NULL. */
const struct venue *venue_find(const struct venue *const *table, const char *name);

extern const struct venue venue_binance, venue_binance_usdm;
extern const struct venue venue_binance_sbe;
extern const struct venue venue_okx;
extern const struct venue venue_bybit, venue_bybit_linear, venue_bybit_inverse;

#endif

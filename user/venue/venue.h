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

/* What a message is to the subscription logic. */
enum venue_reply {
	VENUE_DATA,        /* a data message (or a reply to another request) */
	VENUE_REPLY_OK,    /* the exchange accepted our request */
	VENUE_REPLY_ERROR, /* ... or refused it */
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
	/* Bytes per stream a request needs beyond subscribe_base. */
	size_t subscribe_per_stream, subscribe_base;
	/* Whether a URL path (with its query) names streams: 1 yes, 0 it names
	 * none (nothing arrives without a subscription), -1 cannot tell.
	 * Optional (NULL: cannot tell). */
	int (*url_streams)(const char *path);
	/* Whether a message is the reply to request id. */
	enum venue_reply (*classify)(const uint8_t *p, size_t n, unsigned id);

	/* Keepalive: the exchange pings (the kernel path answers), and the
	 * client pings after half the idle timeout; this is the idle timeout
	 * that does not trip on the exchange's own ping interval. */
	double idle_timeout;

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
	 * last_id, prev_id (and FEED_F_PREV_ID); 0, or negative when the
	 * message has none of them. Optional (NULL: parse is used). */
	int (*scan_ids)(const uint8_t *p, size_t n, struct feed_msg *m);
	/* Trade ids (trade t, aggTrade a) count up by one per stream, so a jump
	 * is a gap (Binance); false: they only order copies. */
	bool trade_ids_contiguous;

	/* How its depth streams make a book. */
	enum venue_book_rule book_rule;
	/* Typed events: a parser set up once (no allocation per message). */
	int (*parser_new)(void **out);
	void (*parser_free)(void *parser);
	/* 0 (m filled, possibly an unknown type) or a negative code. */
	int (*parse)(void *parser, const uint8_t *p, size_t n, struct feed_msg *m);
};

/* The built-in venues, NULL-terminated; the first is the default. */
extern const struct venue *const venues[];

/* A venue by name in a NULL-terminated table, or NULL. */
const struct venue *venue_find(const struct venue *const *table, const char *name);

extern const struct venue venue_binance, venue_binance_usdm;

#endif

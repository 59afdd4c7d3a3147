/* feedgen — feedsim's market-data generator: one deterministic, seeded
 * generator per connection that owns the subscribed streams, a small order
 * book per symbol, and the exact Binance JSON text of every message.
 *
 * Streams: <symbol>@trade, <symbol>@aggTrade, <symbol>@bookTicker,
 * <symbol>@depth, <symbol>@depth@100ms and the non-Binance test stream "raw"
 * (random printable ASCII without '"', '\\' or newline). Symbols are
 * lowercase [a-z0-9]{1,20} in stream names, uppercase in payloads.
 *
 * Every data object except raw ends with "ts_ns":<CLOCK_MONOTONIC ns>.
 * In combined mode the message is {"stream":"<name>","data":<object>}; raw
 * payloads are then carried as a JSON string.
 *
 * The book of a symbol is a grid of FEEDGEN_BOOK_LEVELS price levels; every
 * change (a trade, a bookTicker move, a depth change) bumps the symbol's
 * update id, so bookTicker "u" and depth "U".."u" share one sequence and each
 * depth message covers every change since the previous one of that stream
 * (U = previous u + 1). A depth stream's first message lists every non-empty
 * level, so a client can build the book from the stream alone.
 */
#ifndef FEEDRX_FEEDGEN_H
#define FEEDRX_FEEDGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FEEDGEN_MAX_STREAMS 1024 /* per connection, as Binance */
#define FEEDGEN_MAX_SYMBOLS 256  /* distinct symbols per connection */
#define FEEDGEN_SYMBOL_MAX 20
#define FEEDGEN_NAME_MAX 40      /* longest stream name + NUL */
#define FEEDGEN_BOOK_LEVELS 256
#define FEEDGEN_RAW_MIN 2
#define FEEDGEN_RAW_MAX 1048576
/* Upper bound on any non-raw message, envelope included. */
#define FEEDGEN_JSON_MAX 65536

enum feedgen_kind {
	FEEDGEN_TRADE,
	FEEDGEN_AGGTRADE,
	FEEDGEN_BOOKTICKER,
	FEEDGEN_DEPTH,
	FEEDGEN_DEPTH100,
	FEEDGEN_RAW,
	FEEDGEN_NKINDS
};

struct feedgen_config {
	uint64_t seed;
	uint32_t weight[FEEDGEN_NKINDS]; /* stream choice weights (--mix) */
	uint32_t raw_min, raw_max;       /* raw payload sizes, bytes */
};

/* The two clocks stamped into a message: "E"/"T" and "ts_ns". */
struct feedgen_clock {
	int64_t wall_ms; /* CLOCK_REALTIME, milliseconds (us for timeUnit=MICROSECOND) */
	int64_t mono_ns; /* CLOCK_MONOTONIC, nanoseconds; < 0: no "ts_ns" field */
};

struct feedgen;

/* --epoch-ms: the "E"/"T" of a connection's message number `index` (0, 1,
 * ...): epoch_ms plus its place in the --rate schedule, so two simulators
 * with one seed and epoch stamp the same values whenever they send. At
 * rate 0 (flat out) every message gets epoch_ms. */
int64_t feedgen_index_ms(int64_t epoch_ms, double rate, uint64_t index);

/* Defaults: seed 1, mix trade=4,aggTrade=1,bookTicker=4,depth=1,raw=1,
 * raw sizes 2..4096. */
void feedgen_config_default(struct feedgen_config *cfg);

/* Parse "trade=4,aggTrade=1,..." into weight[] (kinds not named keep their
 * value; "depth" sets both depth streams, "depth@100ms" only the fast one).
 * Returns 0 or -EINVAL. */
int feedgen_parse_mix(const char *s, uint32_t weight[FEEDGEN_NKINDS]);

/* Largest message feedgen__next() can write for this configuration. */
size_t feedgen_msg_max(const struct feedgen_config *cfg);

/* Check a stream name; on success store its kind and return 0, else
 * -EINVAL. */
int feedgen_stream_parse(const char *name, size_t len, enum feedgen_kind *kind);

const char *feedgen_kind_name(enum feedgen_kind kind);

int feedgen__new(struct feedgen **out, const struct feedgen_config *cfg);
void feedgen__free(struct feedgen *g);

/* Add a stream: 0 added, 1 already subscribed, -EINVAL bad name, -ENOSPC
 * too many streams or symbols. */
int feedgen__subscribe(struct feedgen *g, const char *name, size_t len);

/* Remove a stream: 0 removed, 1 was not subscribed. */
int feedgen__unsubscribe(struct feedgen *g, const char *name, size_t len);

/* Is this stream subscribed? */
bool feedgen__has(const struct feedgen *g, const char *name, size_t len);

/* Subscribed streams, in subscription order. */
unsigned feedgen__nstreams(const struct feedgen *g);
const char *feedgen__stream(const struct feedgen *g, unsigned i);

/* True when some subscribed stream has a non-zero weight. */
bool feedgen__can_emit(const struct feedgen *g);

/* Write the next message into buf (cap >= feedgen_msg_max()). Returns its
 * length, 0 when no stream can be chosen, -ENOSPC when cap is too small.
 * *kind (when not NULL) receives the chosen stream's kind. */
ssize_t feedgen__next(struct feedgen *g, char *buf, size_t cap, bool combined,
		      const struct feedgen_clock *clk, enum feedgen_kind *kind);

/* The true book of one symbol (market mode: REST snapshots, --book-dump):
 * bids by falling price, asks by rising price, non-empty levels only, and
 * the symbol's update id (depth "u" / REST "lastUpdateId") it reflects. */
struct feedgen_level {
	uint64_t price_e8, qty_e8;
};

struct feedgen_book {
	char symbol[FEEDGEN_SYMBOL_MAX + 1]; /* uppercase, as in payloads */
	uint64_t last_update_id;
	unsigned nbids, nasks;
	struct feedgen_level bids[FEEDGEN_BOOK_LEVELS], asks[FEEDGEN_BOOK_LEVELS];
};

/* 0 and *out for a symbol (lowercase) this generator has, else -ENOENT. */
int feedgen__book(const struct feedgen *g, const char *sym, size_t len, struct feedgen_book *out);

/* Index (feedgen__stream) of the stream of the latest feedgen__next()
 * message, -1 before the first. */
int feedgen__last_stream(const struct feedgen *g);

#endif

/* Tests for feed_handler and the jsonl sink together: golden Binance
 * messages in, the exact JSON lines out (trades, bbo, a book from the
 * first diff, its changes and tops, a gap's status, a connection status,
 * a message that does not parse), seq without gaps; books only for the
 * symbols asked for; an emit error stops the handler; recv_ns from the
 * earliest stamp. */
#include "check.h"
#include "feed/feed_handler.h"
#include "link/feed_link.h"
#include "sink/sink.h"
#include "venue/venue.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static struct feed_sink *SINK;
static FILE *OUT;

static int to_sink(void *user, const struct feed_event *e)
{
	(void)user;
	return feed_sink__event(SINK, e);
}

static uint64_t fixed_now(void)
{
	return 42;
}

static void open_sink(void)
{
	const struct feed_sink_conf sc = {.fd = -1, .venue = &venue_binance};
	struct feed_sink_conf c = sc;

	OUT = tmpfile();
	c.fd = fileno(OUT);
	if (feed_sink__open(&SINK, &feed_sink_jsonl, &c))
		SINK = NULL;
}

/* Everything the sink wrote, as one string. */
static const char *sink_text(void)
{
	static char buf[16384];
	size_t n;

	feed_sink__flush(SINK);
	rewind(OUT);
	n = fread(buf, 1, sizeof(buf) - 1, OUT);
	buf[n] = 0;
	return buf;
}

static void close_sink(void)
{
	feed_sink__close(SINK);
	SINK = NULL;
	fclose(OUT);
}

#define PAYLOAD(h, s, flags)                                                              \
	do {                                                                              \
		int rc_ = feed_handler__payload(h, (const uint8_t *)(s), strlen(s), 5, flags); \
		CHECKF(rc_ == 0, "line %d: payload %d", __LINE__, rc_);                  \
	} while (0)

static const char golden_out[] =
    "{\"seq\":1,\"type\":\"trade\",\"venue\":\"binance\",\"symbol\":\"BTCUSDT\","
    "\"exch_ns\":1700000000123000000,\"recv_ns\":5,\"price\":\"42000.1\",\"qty\":\"0.001\","
    "\"id\":12345,\"side\":\"sell\"}\n"
    "{\"seq\":2,\"type\":\"bbo\",\"venue\":\"binance\",\"symbol\":\"BNBUSDT\",\"exch_ns\":0,"
    "\"recv_ns\":5,\"bid_px\":\"25.3519\",\"bid_qty\":\"31.21\",\"ask_px\":\"25.3652\","
    "\"ask_qty\":\"40.66\",\"id\":400900217}\n"
    "{\"seq\":3,\"type\":\"book\",\"venue\":\"binance\",\"symbol\":\"BTCUSDT\","
    "\"exch_ns\":1700000000200000000,\"recv_ns\":5,\"first_id\":120,\"last_id\":120,"
    "\"snapshot\":true,\"bids\":[[\"100.5\",\"1\"],[\"99\",\"2\"],[\"98\",\"3\"]],"
    "\"asks\":[[\"101\",\"0.5\"]]}\n"
    "{\"seq\":4,\"type\":\"top\",\"venue\":\"binance\",\"symbol\":\"BTCUSDT\","
    "\"exch_ns\":1700000000200000000,\"recv_ns\":5,\"last_id\":120,\"depth_known\":1,"
    "\"bids\":[[\"100.5\",\"1\"],[\"99\",\"2\"]],\"asks\":[[\"101\",\"0.5\"]]}\n"
    "{\"seq\":5,\"type\":\"book\",\"venue\":\"binance\",\"symbol\":\"BTCUSDT\","
    "\"exch_ns\":1700000000201000000,\"recv_ns\":5,\"first_id\":121,\"last_id\":121,"
    "\"snapshot\":false,\"bids\":[[\"100.5\",\"0\"]],\"asks\":[]}\n"
    "{\"seq\":6,\"type\":\"top\",\"venue\":\"binance\",\"symbol\":\"BTCUSDT\","
    "\"exch_ns\":1700000000201000000,\"recv_ns\":5,\"last_id\":121,\"depth_known\":1,"
    "\"bids\":[[\"99\",\"2\"],[\"98\",\"3\"]],\"asks\":[[\"101\",\"0.5\"]]}\n"
    "{\"seq\":7,\"type\":\"status\",\"venue\":\"binance\",\"symbol\":\"BTCUSDT\","
    "\"exch_ns\":0,\"recv_ns\":42,\"status\":\"book_invalid\",\"conn\":0,\"first_id\":122,"
    "\"last_id\":129,\"text\":\"gap: book at 121, next update 130..131; resyncing\"}\n"
    "{\"seq\":8,\"type\":\"status\",\"venue\":\"binance\",\"exch_ns\":0,\"recv_ns\":42,"
    "\"status\":\"connected\",\"conn\":1,\"first_id\":0,\"last_id\":0,"
    "\"text\":\"up \\\"x\\\"\\u000a\"}\n"
    "{\"seq\":9,\"type\":\"trade\",\"venue\":\"binance\",\"symbol\":\"ETHUSDT\","
    "\"exch_ns\":1700000000300000000,\"recv_ns\":5,\"path\":\"fast\","
    "\"price\":\"0.00000001\",\"qty\":\"12\",\"id\":77,\"side\":\"buy\"}\n";

static void golden(void)
{
	const struct feed_handler_conf c = {
	    .venue = &venue_binance, .depth = 1000, .top = 2, .first_is_snapshot = true,
	    .emit = to_sink, .now_ns = fixed_now,
	};
	struct feed_handler *h;
	struct feed_handler_stats st;

	open_sink();
	REQUIRE(SINK);
	REQUIRE(feed_handler__new(&h, &c) == 0);
	PAYLOAD(h, "{\"e\":\"trade\",\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":12345,"
		   "\"p\":\"42000.10\",\"q\":\"0.00100000\",\"T\":1700000000120,\"m\":true,"
		   "\"M\":true}", 0);
	PAYLOAD(h, "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\","
		   "\"B\":\"31.21000000\",\"a\":\"25.36520000\",\"A\":\"40.66000000\"}", 0);
	/* feedsim's first diff lists the whole book (98 below the top 2) */
	PAYLOAD(h, "{\"stream\":\"btcusdt@depth\",\"data\":{\"e\":\"depthUpdate\","
		   "\"E\":1700000000200,\"s\":\"BTCUSDT\",\"U\":100,\"u\":120,"
		   "\"b\":[[\"100.5\",\"1\"],[\"99\",\"2\"],[\"98\",\"3\"]],"
		   "\"a\":[[\"101\",\"0.5\"]]}}", 0);
	PAYLOAD(h, "{\"e\":\"depthUpdate\",\"E\":1700000000201,\"s\":\"BTCUSDT\",\"U\":121,"
		   "\"u\":121,\"b\":[[\"100.5\",\"0\"]],\"a\":[]}", 0);
	PAYLOAD(h, "{\"e\":\"trade\",", 0); /* does not parse: no event, no seq used */
	PAYLOAD(h, "{\"result\":null,\"id\":1}", 0); /* a reply: no event */
	PAYLOAD(h, "{\"e\":\"depthUpdate\",\"E\":1700000000202,\"s\":\"BTCUSDT\",\"U\":130,"
		   "\"u\":131,\"b\":[],\"a\":[]}", 0);
	CHECK(feed_handler__status(h, FEED_STATUS_CONNECTED, 1, 0, 0, "up \"x\"\n") == 0);
	PAYLOAD(h, "{\"e\":\"aggTrade\",\"E\":1700000000300,\"s\":\"ETHUSDT\",\"a\":77,"
		   "\"p\":\"0.00000001\",\"q\":\"12\",\"f\":1,\"l\":2,\"T\":1700000000299,"
		   "\"m\":false}", FEED_EVF_FAST);
	const char *got = sink_text();
	if (strcmp(got, golden_out))
		fprintf(stderr, "got:\n%s", got);
	CHECKF(!strcmp(got, golden_out), "output differs (on stderr)");
	feed_handler__stats(h, &st);
	CHECK(st.events == 9 && st.parse_errors == 1 && st.unknown == 1 && st.messages == 7);
	CHECK(st.books == 1 && st.book.gaps == 1 && st.book.applied == 1 && st.book.snapshots == 1);
	feed_handler__free(h);
	close_sink();
}

/* Events kept by type and seq, for the cases that do not read text. */
static int n_ev, n_book, n_top;
static uint64_t last_seq;
static int fail_at;

static int count(void *user, const struct feed_event *e)
{
	(void)user;
	if (fail_at && n_ev + 1 == fail_at)
		return -EPIPE;
	n_ev++;
	n_book += e->type == FEED_EV_BOOK;
	n_top += e->type == FEED_EV_TOP;
	if (e->seq != last_seq + 1)
		return -EPROTO;
	last_seq = e->seq;
	return 0;
}

static void only_asked_symbols(void)
{
	static const char *const syms[] = {"ETHUSDT"};
	const struct feed_handler_conf c = {
	    .venue = &venue_binance, .symbols = syms, .n_symbols = 1, .top = 0,
	    .first_is_snapshot = true, .emit = count,
	};
	struct feed_handler *h;
	struct feed_handler_stats st;

	n_ev = n_book = n_top = 0;
	last_seq = 0;
	fail_at = 0;
	REQUIRE(feed_handler__new(&h, &c) == 0);
	CHECK(feed_handler__book(h, "ETHUSDT", 7) != NULL);
	PAYLOAD(h, "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,"
		   "\"b\":[[\"1\",\"1\"]],\"a\":[]}", 0);
	PAYLOAD(h, "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"ETHUSDT\",\"U\":1,\"u\":2,"
		   "\"b\":[[\"1\",\"1\"]],\"a\":[]}", 0);
	feed_handler__stats(h, &st);
	CHECK(st.books == 1 && st.depth_unbooked == 1);
	CHECK(n_book == 1 && n_top == 0 && feed_handler__book(h, "BTCUSDT", 7) == NULL);
	feed_handler__free(h);
}

static void emit_error_sticks(void)
{
	const struct feed_handler_conf c = {.venue = &venue_binance, .emit = count};
	struct feed_handler *h;
	const char *t = "{\"e\":\"trade\",\"E\":1,\"s\":\"A\",\"t\":1,\"p\":\"1\",\"q\":\"1\","
			"\"T\":1,\"m\":true}";

	n_ev = 0;
	last_seq = 0;
	fail_at = 2;
	REQUIRE(feed_handler__new(&h, &c) == 0);
	CHECK(feed_handler__payload(h, (const uint8_t *)t, strlen(t), 1, 0) == 0);
	CHECK(feed_handler__payload(h, (const uint8_t *)t, strlen(t), 1, 0) == -EPIPE);
	CHECK(feed_handler__payload(h, (const uint8_t *)t, strlen(t), 1, 0) == -EPIPE);
	CHECK(feed_handler__status(h, FEED_STATUS_STALE, 1, 0, 0, NULL) == -EPIPE);
	CHECK(n_ev == 1);
	feed_handler__free(h);
	fail_at = 0;
}

/* A REST-snapshot venue through the handler: the first diff asks the
 * source for the symbol's book at the configured depth, the body is parsed
 * by the venue's snapshot parser, buffered diffs replay; resync_all
 * starts over with a new request. */
static struct {
	int requests;
	uint32_t limit;
	char symbol[32];
	book_snapshot_cb cb;
	void *arg;
} R;

static int r_request(void *ctx, const char *symbol, uint32_t limit, book_snapshot_cb cb,
		     void *arg, uint64_t *handle)
{
	(void)ctx;
	R.requests++;
	R.limit = limit;
	snprintf(R.symbol, sizeof(R.symbol), "%s", symbol);
	R.cb = cb;
	R.arg = arg;
	*handle = (uint64_t)R.requests;
	return 0;
}

static void r_cancel(void *ctx, uint64_t handle)
{
	(void)ctx, (void)handle;
}

static void rest_snapshot_through_handler(void)
{
	static const struct book_snapshot_source_ops ops = {r_request, r_cancel};
	const struct book_snapshot_source src = {&ops, NULL};
	const struct feed_handler_conf c = {
	    .venue = &venue_binance_usdm, .depth = 2000, .top = 1, .src = &src, .emit = count,
	};
	struct feed_handler *h;
	struct book_sync *b;
	const char *body = "{\"lastUpdateId\":100,\"E\":1,\"T\":1,\"bids\":[[\"9\",\"1\"]],"
			   "\"asks\":[[\"20\",\"1\"]]}";

	memset(&R, 0, sizeof(R));
	n_ev = n_book = n_top = 0;
	last_seq = 0;
	fail_at = 0;
	REQUIRE(feed_handler__new(&h, &c) == 0);
	PAYLOAD(h, "{\"e\":\"depthUpdate\",\"E\":1,\"T\":1,\"s\":\"ETHUSDT\",\"U\":95,"
		   "\"u\":105,\"pu\":90,\"b\":[[\"10\",\"2\"]],\"a\":[]}", 0);
	/* USD-M takes at most 1000 levels */
	CHECK(R.requests == 1 && R.limit == 1000 && !strcmp(R.symbol, "ETHUSDT"));
	PAYLOAD(h, "{\"e\":\"depthUpdate\",\"E\":1,\"T\":1,\"s\":\"ETHUSDT\",\"U\":107,"
		   "\"u\":109,\"pu\":105,\"b\":[],\"a\":[[\"20\",\"0\"],[\"21\",\"4\"]]}", 0);
	CHECK(n_ev == 0);
	R.cb(R.arg, 0, (const uint8_t *)body, strlen(body));
	b = feed_handler__book(h, "ETHUSDT", 7);
	REQUIRE(b && book_sync__state(b) == BOOK_SYNC_SYNCED);
	CHECK(book_sync__book(b)->last_update_id == 109);
	/* snapshot + 2 diffs, each a book and a top event */
	CHECK(n_book == 3 && n_top == 3 && n_ev == 6);
	CHECK(book_sync__book(b)->bids.lv[0].price == 10 * FEED_SCALE &&
	      book_sync__book(b)->asks.lv[0].price == 21 * FEED_SCALE);
	feed_handler__resync_all(h, "rotated");
	CHECK(book_sync__state(b) == BOOK_SYNC_WAIT && n_ev == 7); /* + book_invalid */
	PAYLOAD(h, "{\"e\":\"depthUpdate\",\"E\":1,\"T\":1,\"s\":\"ETHUSDT\",\"U\":110,"
		   "\"u\":111,\"pu\":109,\"b\":[],\"a\":[]}", 0);
	CHECK(R.requests == 2 && book_sync__state(b) == BOOK_SYNC_FETCHING);
	feed_handler__free(h);
}

static void bad_conf(void)
{
	struct feed_handler_conf c = {.venue = &venue_binance, .emit = count, .top = FEED_TOP_MAX + 1};
	struct feed_handler *h;

	CHECK(feed_handler__new(&h, &c) == -EINVAL && h == NULL);
	c.top = 0;
	c.emit = NULL;
	CHECK(feed_handler__new(&h, &c) == -EINVAL);
}

static void recv_from_earliest_stamp(void)
{
	struct lat_stamps st = {0};
	struct feed_link_msg m = {.st = &st};
	struct timespec ts;
	uint64_t mono, real, got;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	mono = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	clock_gettime(CLOCK_REALTIME, &ts);
	real = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	/* stamped 1 s ago by the XDP program, 0.5 s ago by the handler */
	st.at[LAT_PT_XDP] = mono - 1000000000ull;
	st.at[LAT_PT_HANDLER] = mono - 500000000ull;
	got = feed_handler_recv_ns(&m);
	/* within 0.2 s of "1 s before now" (the test is not about speed) */
	CHECKF(got > real - 1200000000ull && got < real - 800000000ull, "got %llu real %llu",
	       (unsigned long long)got, (unsigned long long)real);
	memset(&st, 0, sizeof(st));
	got = feed_handler_recv_ns(&m);
	CHECK(got >= real && got < real + 60000000000ull);
}

int main(void)
{
	RUN(golden);
	RUN(only_asked_symbols);
	RUN(emit_error_sticks);
	RUN(rest_snapshot_through_handler);
	RUN(bad_conf);
	RUN(recv_from_earliest_stamp);
	return check_exit();
}

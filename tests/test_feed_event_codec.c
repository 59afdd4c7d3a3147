/* Tests for the flat event encoding and the JSON line: every type round-
 * trips field for field (levels, strings, flags); the layout is pinned by a
 * golden record; every truncation and thousands of random corruptions of
 * valid records decode to an error or a self-consistent event, never a read
 * outside the buffer (ASan build); too little level storage is -EMSGSIZE;
 * fixed-point formatting is exact. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "events_synth.h"
#include "feed/feed_event_codec.h"
#include "feed/feed_event_json.h"

static struct feed_level lv_store[4096];

static bool levels_eq(const struct feed_level *a, const struct feed_level *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i].price != b[i].price || a[i].qty != b[i].qty)
			return false;
	return true;
}

static bool event_eq(const struct feed_event *a, const struct feed_event *b)
{
	if (a->type != b->type || a->flags != b->flags || a->seq != b->seq ||
	    a->exch_ns != b->exch_ns || a->recv_ns != b->recv_ns || a->symbol_len != b->symbol_len ||
	    memcmp(a->symbol, b->symbol, a->symbol_len) || strcmp(a->venue, b->venue))
		return false;
	switch (a->type) {
	case FEED_EV_TRADE:
		return a->trade.price == b->trade.price && a->trade.qty == b->trade.qty &&
		       a->trade.id == b->trade.id && a->trade.side == b->trade.side;
	case FEED_EV_BBO:
		return a->bbo.bid_px == b->bbo.bid_px && a->bbo.bid_qty == b->bbo.bid_qty &&
		       a->bbo.ask_px == b->bbo.ask_px && a->bbo.ask_qty == b->bbo.ask_qty &&
		       a->bbo.id == b->bbo.id;
	case FEED_EV_BOOK:
		return a->book.first_id == b->book.first_id && a->book.last_id == b->book.last_id &&
		       a->book.n_bids == b->book.n_bids && a->book.n_asks == b->book.n_asks &&
		       levels_eq(a->book.bids, b->book.bids, a->book.n_bids) &&
		       levels_eq(a->book.asks, b->book.asks, a->book.n_asks);
	case FEED_EV_TOP:
		return a->top.last_id == b->top.last_id && a->top.depth_known == b->top.depth_known &&
		       a->top.n_bids == b->top.n_bids && a->top.n_asks == b->top.n_asks &&
		       levels_eq(a->top.bids, b->top.bids, a->top.n_bids) &&
		       levels_eq(a->top.asks, b->top.asks, a->top.n_asks);
	case FEED_EV_STATUS:
		return a->status.kind == b->status.kind && a->status.conn == b->status.conn &&
		       a->status.first_id == b->status.first_id &&
		       a->status.last_id == b->status.last_id &&
		       !strcmp(a->status.text ?: "", b->status.text ?: "");
	}
	return false;
}

static void codec_round_trip_every_type(void)
{
	uint8_t buf[4096];
	struct feed_event_store st = {.levels = lv_store, .cap_levels = 4096};

	for (uint64_t i = 1; i <= 200; i++) {
		struct synth_store ss;
		struct feed_event e, d;
		long n;

		synth_event(&e, i, &ss);
		n = feed_event_encode(&e, buf, sizeof(buf));
		REQUIRE(n > 0 && (size_t)n == feed_event_encoded_size(&e) && n % 8 == 0);
		CHECK(feed_event_record_len(buf, (size_t)n) == n);
		CHECKF(feed_event_decode(buf, (size_t)n, &d, &st) == n, "decode of event %llu",
		       (unsigned long long)i);
		CHECKF(event_eq(&e, &d), "event %llu differs after a round trip",
		       (unsigned long long)i);
	}
}

static void codec_extremes(void)
{
	uint8_t buf[1 << 16];
	struct feed_event_store st = {.levels = lv_store, .cap_levels = 4096};
	struct feed_level lv[1000];
	struct feed_event e = {.type = FEED_EV_BOOK, .venue = "v", .seq = UINT64_MAX,
			       .symbol_len = FEED_SYMBOL_MAX}, d;

	memset(e.symbol, 'Z', FEED_SYMBOL_MAX);
	for (int i = 0; i < 1000; i++)
		lv[i] = (struct feed_level){.price = INT64_MIN + i, .qty = INT64_MAX - i};
	e.book.bids = lv, e.book.n_bids = 600, e.book.asks = lv + 600, e.book.n_asks = 400;
	long n = feed_event_encode(&e, buf, sizeof(buf));

	REQUIRE(n > 16000);
	CHECK(feed_event_decode(buf, (size_t)n, &d, &st) == n && event_eq(&e, &d));
	st.cap_levels = 999;
	CHECK(feed_event_decode(buf, (size_t)n, &d, &st) == -EMSGSIZE);
	CHECK(feed_event_encode(&e, buf, (size_t)n - 8) == -EMSGSIZE);
	e.type = 0;
	CHECK(feed_event_encode(&e, buf, sizeof(buf)) == -EINVAL);
	/* a status text longer than the record carries is cut, not refused */
	char text[3000];
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = 0;
	e = (struct feed_event){.type = FEED_EV_STATUS, .venue = "v", .status.text = text};
	st.cap_levels = 4096;
	n = feed_event_encode(&e, buf, sizeof(buf));
	CHECK(n > 0 && feed_event_decode(buf, (size_t)n, &d, &st) == n &&
	      strlen(d.status.text) == FEED_CODEC_TEXT_MAX);
}

/* The layout other languages rely on (feed_event_codec.h). */
static void codec_golden_layout(void)
{
	uint8_t buf[256];
	struct feed_event e = {.type = FEED_EV_TRADE, .flags = FEED_EVF_FAST, .venue = "ab",
			       .seq = 0x0102030405060708ull, .symbol_len = 3, .symbol = "XYZ"};
	e.trade.price = -2, e.trade.qty = 5, e.trade.id = 9, e.trade.side = FEED_SIDE_SELL;
	long n = feed_event_encode(&e, buf, sizeof(buf));

	REQUIRE(n == 88);
	CHECK(buf[0] == FEED_CODEC_VERSION && buf[1] == FEED_EV_TRADE && buf[2] == FEED_EVF_FAST);
	CHECK(buf[4] == 88 && buf[5] == 0 && buf[8] == 0x08 && buf[15] == 0x01);
	CHECK(buf[32] == 2 && buf[33] == 3 && buf[34] == 0);
	CHECK(buf[40] == 0xfe && buf[47] == 0xff && buf[48] == 5 && buf[56] == 9 && buf[64] == 2);
	CHECK(!memcmp(buf + 80, "abXYZ", 5) && buf[85] == 0 && buf[87] == 0);
}

static void codec_hostile_input(void)
{
	struct feed_event_store st = {.levels = lv_store, .cap_levels = 4096};
	uint64_t rnd = 0x9e3779b97f4a7c15ull;
	int decoded = 0;

	for (uint64_t i = 1; i <= 50; i++) {
		struct synth_store ss;
		struct feed_event e, d;
		uint8_t good[2048];
		long n;

		synth_event(&e, i, &ss);
		n = feed_event_encode(&e, good, sizeof(good));
		/* every truncation, each in a buffer of exactly that size */
		for (long k = 0; k < n; k++) {
			uint8_t *p = malloc((size_t)k + 1);

			memcpy(p, good, (size_t)k);
			CHECKF(feed_event_decode(p, (size_t)k, &d, &st) < 0, "truncated to %ld", k);
			free(p);
		}
		for (int m = 0; m < 400; m++) {
			uint8_t *p = malloc((size_t)n);
			long r;

			memcpy(p, good, (size_t)n);
			for (int f = 0; f < 1 + m % 4; f++) {
				rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
				p[rnd % (uint64_t)n] = (uint8_t)(rnd >> 32);
			}
			r = feed_event_decode(p, (size_t)n, &d, &st);
			if (r > 0) {
				decoded++;
				char line[1 << 16];

				CHECK(r <= n && d.symbol_len <= FEED_SYMBOL_MAX);
				CHECK(feed_event_json(line, sizeof(line), &d) > 0);
			}
			free(p);
		}
	}
	CHECK(decoded > 0); /* corruptions of values only still decode */
}

static void json_exact(void)
{
	char b[1024], t[32];
	struct synth_store ss;
	struct feed_event e;

	feed_fixed_format(t, 2700010000000);
	CHECK(!strcmp(t, "27000.1"));
	feed_fixed_format(t, -1);
	CHECK(!strcmp(t, "-0.00000001"));
	feed_fixed_format(t, INT64_MIN);
	CHECK(!strcmp(t, "-92233720368.54775808"));
	synth_event(&e, 1, &ss);
	CHECK(feed_event_json(b, sizeof(b), &e) > 0);
	CHECKF(!strcmp(b, "{\"seq\":1,\"type\":\"trade\",\"venue\":\"synth\",\"symbol\":\"SYM1\","
			  "\"exch_ns\":1700000000000000001,\"recv_ns\":1700000000000001001,"
			  "\"price\":\"0.01\",\"qty\":\"0.00000002\",\"id\":1,\"side\":\"sell\"}"),
	       "%.300s", b);
	synth_event(&e, 5, &ss);
	ss.text[0] = '"';
	CHECK(feed_event_json(b, sizeof(b), &e) > 0 && strstr(b, "\"text\":\"\\\"tatus 5\"}"));
	CHECK(feed_event_json(b, 40, &e) == -EMSGSIZE);
}

int main(void)
{
	RUN(codec_round_trip_every_type);
	RUN(codec_extremes);
	RUN(codec_golden_layout);
	RUN(codec_hostile_input);
	RUN(json_exact);
	return check_exit();
}

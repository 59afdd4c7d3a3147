/* Tests for the connection set and its parts (no root, no network):
 * backoff (growth, cap, jitter range, reset after a healthy period,
 * Retry-After), the pacer's sliding window, sharding, the merge (dedupe,
 * gaps with their range, bookTicker without gaps, depth by U/u, owners of
 * id-less streams, lead times), and feed_set over fake transports:
 * subscriptions split across connections, a reconnect whose replayed ids are
 * dropped without a false gap, a real gap reported once with its range,
 * A/B with one leg lost, make-before-break rotation (asked and on
 * serverShutdown), --no-reconnect, a first connection that fails, a 429
 * with Retry-After honoured, the staleness watchdog, --count, and the
 * streams file. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "core/fx_err.h"
#include "core/fx_log.h"
#include "fake_transport.h"
#include "feed/feed_event.h"
#include "feed/feed_msg.h"
#include "link/backoff.h"
#include "link/feed_set.h"
#include "link/pacer.h"
#include "link/shard.h"
#include "link/stream_merge.h"
#include "proto/ws_proto.h"
#include "venue/venue.h"

/* ---- parts ---------------------------------------------------------------- */

static void backoff_grows_caps_and_resets(void)
{
	struct backoff b;
	double prev = 0;

	backoff__init(&b, 1, 8, 30, 42);
	for (int i = 0; i < 8; i++) {
		double d = backoff__failed(&b, 100, -1) - 100, full = fmin(8, pow(2, i));

		CHECKF(d >= full / 2 && d <= full, "attempt %d: %g not in [%g, %g]", i, d, full / 2,
		       full);
		prev = d;
	}
	CHECK(prev <= 8);
	/* up for longer than the healthy period: back to the base */
	{
		double d = backoff__failed(&b, 200, 150) - 200;

		CHECKF(d >= 0.5 && d <= 1, "after a healthy run %g", d);
	}
	/* up briefly: the attempts keep counting */
	{
		double d = backoff__failed(&b, 300, 295) - 300;

		CHECKF(d >= 1 && d <= 2, "after a short run %g", d);
	}
	backoff__retry_after(&b, 300, 60);
	CHECK(backoff__failed(&b, 300, -1) >= 360);
}

static void backoff_jitter_spreads(void)
{
	struct backoff a, b;
	int same = 0;

	backoff__init(&a, 1, 64, 30, 1);
	backoff__init(&b, 1, 64, 30, 2);
	for (int i = 0; i < 6; i++)
		same += backoff__failed(&a, 0, -1) == backoff__failed(&b, 0, -1);
	CHECK(same < 6);
}

static void retry_after_parsed(void)
{
	CHECK(backoff_parse_retry_after("server answered 429 Too Many Requests (Retry-After: 7)") ==
	      7);
	CHECK(backoff_parse_retry_after("retry-after:12") == 12);
	CHECK(backoff_parse_retry_after("server answered 503") < 0);
	CHECK(backoff_parse_retry_after(NULL) < 0);
	CHECK(backoff_parse_retry_after("Retry-After: soon") < 0);
}

static void pacer_sliding_window(void)
{
	struct pacer p;

	REQUIRE(pacer__init(&p, 5, 1.0) == 0);
	for (int i = 0; i < 5; i++) {
		CHECK(pacer__when(&p, 10.0) == 10.0);
		pacer__take(&p, 10.0 + i * 0.01);
	}
	/* the sixth waits for the first to leave the window */
	CHECK(fabs(pacer__when(&p, 10.05) - 11.0) < 1e-9);
	pacer__take(&p, 11.0);
	CHECK(fabs(pacer__when(&p, 11.0) - 11.01) < 1e-9);
	CHECK(pacer__when(&p, 20.0) == 20.0);
	/* never more than 5 in any 1 s window, at any pace asked */
	{
		double t[200], now = 0;
		int bad = 0;

		pacer__free(&p);
		REQUIRE(pacer__init(&p, 5, 1.0) == 0);
		for (int i = 0; i < 200; i++) {
			now = pacer__when(&p, now + 0.013 * (i % 3));
			pacer__take(&p, now);
			t[i] = now;
		}
		for (int i = 5; i < 200; i++)
			bad += t[i] - t[i - 5] < 1.0 - 1e-9;
		CHECK(bad == 0);
	}
	pacer__free(&p);
}

static void sharding_even_and_bounded(void)
{
	size_t first, cnt, total = 0, next = 0;

	CHECK(shard_count(0, 200) == 1);
	CHECK(shard_count(1024, 1024) == 1);
	CHECK(shard_count(1025, 1024) == 2);
	CHECK(shard_count(13, 5) == 3);
	for (size_t i = 0; i < 3; i++) {
		shard_range(13, 3, i, &first, &cnt);
		CHECK(first == next && cnt <= 5 && cnt >= 4);
		next = first + cnt;
		total += cnt;
	}
	CHECK(total == 13);
	for (size_t n = 1; n < 3000; n += 97) {
		size_t per = 1 + n % 300, sh = shard_count(n, per), sum = 0;

		for (size_t i = 0; i < sh; i++) {
			shard_range(n, sh, i, &first, &cnt);
			CHECKF(cnt <= per && cnt > 0, "n %zu per %zu shard %zu: %zu", n, per, i, cnt);
			sum += cnt;
		}
		CHECK(sum == n);
	}
}

static enum merge_verdict offer(struct stream_merge *m, int idx, unsigned src, uint64_t first,
				uint64_t last, bool chained, uint64_t t, struct merge_out *o)
{
	const struct merge_in in = {.has_id = true, .chained = chained, .first = first,
				    .last = last, .src = src, .now_ns = t};

	return stream_merge__offer(m, idx, &in, o);
}

static void merge_dedupes_and_finds_gaps(void)
{
	struct stream_merge *m;
	struct merge_out o;
	struct merge_stream_stats st;
	int tr, bt, dp;

	REQUIRE(stream_merge__new(&m, 4) == 0);
	tr = stream_merge__stream(m, "btcusdt@trade", 13);
	bt = stream_merge__stream(m, "btcusdt@bookTicker", 18);
	dp = stream_merge__stream(m, "btcusdt@depth", 13);
	CHECK(tr == 0 && bt == 1 && dp == 2);
	CHECK(stream_merge__stream(m, "btcusdt@trade", 13) == tr);
	CHECK(stream_merge__find(m, "nope", 4) == -ENOENT);
	CHECK(stream_merge__stream(m, "a", 1) == 3);
	CHECK(stream_merge__stream(m, "b", 1) == -ENOSPC);
	/* A and B: first arrival wins, the copy is a dup with its lead */
	CHECK(offer(m, tr, 1, 100, 100, true, 1000, &o) == MERGE_DELIVER && !o.gap_first);
	CHECK(offer(m, tr, 2, 100, 100, true, 1700, &o) == MERGE_DUP);
	CHECK(o.winner == 1 && o.lead_known && o.lead_ns == 700);
	CHECK(offer(m, tr, 2, 101, 101, true, 2000, &o) == MERGE_DELIVER);
	CHECK(offer(m, tr, 1, 101, 101, true, 2100, &o) == MERGE_DUP && o.winner == 2);
	/* a jump is a gap, once, with its range */
	CHECK(offer(m, tr, 1, 105, 105, true, 3000, &o) == MERGE_DELIVER);
	CHECK(o.gap_first == 102 && o.gap_last == 104);
	CHECK(offer(m, tr, 2, 105, 105, true, 3001, &o) == MERGE_DUP && !o.gap_first);
	/* a replay from an older point: all dups, no false gap */
	for (uint64_t id = 95; id <= 105; id++)
		CHECK(offer(m, tr, 3, id, id, true, 4000, &o) == MERGE_DUP && !o.gap_first);
	CHECK(offer(m, tr, 3, 106, 106, true, 4001, &o) == MERGE_DELIVER && !o.gap_first);
	stream_merge__stats(m, tr, &st);
	CHECK(st.delivered == 4 && st.gaps == 1 && st.missed == 3 && st.last_id == 106);
	/* bookTicker: ids jump by nature; dedupe only */
	CHECK(offer(m, bt, 1, 10, 10, false, 1, &o) == MERGE_DELIVER);
	CHECK(offer(m, bt, 1, 50, 50, false, 2, &o) == MERGE_DELIVER && !o.gap_first);
	CHECK(offer(m, bt, 2, 50, 50, false, 3, &o) == MERGE_DUP);
	/* depth by U/u: chained on U = previous u + 1 */
	CHECK(offer(m, dp, 1, 157, 160, true, 1, &o) == MERGE_DELIVER);
	CHECK(offer(m, dp, 2, 157, 160, true, 2, &o) == MERGE_DUP);
	CHECK(offer(m, dp, 2, 161, 170, true, 3, &o) == MERGE_DELIVER && !o.gap_first);
	CHECK(offer(m, dp, 1, 175, 180, true, 4, &o) == MERGE_DELIVER);
	CHECK(o.gap_first == 171 && o.gap_last == 174);
	stream_merge__free(m);
}

/* The venue's id scan agrees with its full parse on what the merge uses. */
static void venue_scan_ids_matches_parse(void)
{
	static const char *const msgs[] = {
	    "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\","
	    "\"t\":3123456789,\"p\":\"1.0\",\"q\":\"2.0\",\"T\":7,\"m\":true,\"M\":true}}",
	    "{\"e\":\"aggTrade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"a\":12345,\"p\":\"0.001\","
	    "\"q\":\"100\",\"f\":100,\"l\":105,\"T\":1672515782136,\"m\":true,\"M\":true}",
	    "{\"e\":\"depthUpdate\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"U\":157,\"u\":160,"
	    "\"b\":[[\"0.0024\",\"10\"]],\"a\":[[\"0.0026\",\"100\"]]}",
	    "{\"e\":\"depthUpdate\",\"E\":123456789,\"T\":123456788,\"s\":\"BTCUSDT\",\"U\":157,"
	    "\"u\":160,\"pu\":149,\"b\":[[\"0.0024\",\"10\"]],\"a\":[[\"0.0026\",\"100\"]]}",
	    "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\","
	    "\"a\":\"25.36520000\",\"A\":\"40.66000000\"}",
	};
	void *parser;

	REQUIRE(venue_binance.scan_ids && venue_binance.parser_new(&parser) == 0);
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct feed_msg a, b;
		const uint8_t *p = (const uint8_t *)msgs[i];
		size_t n = strlen(msgs[i]);

		memset(&a, 0, sizeof(a));
		CHECK(venue_binance.parse(parser, p, n, &a) == 0);
		CHECK(venue_binance.scan_ids(p, n, &b) == 0);
		CHECKF(a.type == b.type && a.id == b.id && a.first_id == b.first_id &&
			       a.last_id == b.last_id && a.prev_id == b.prev_id &&
			       (a.fields & FEED_F_PREV_ID) == (b.fields & FEED_F_PREV_ID) &&
			       a.symbol.len == b.symbol.len &&
			       memcmp(a.symbol.ptr, b.symbol.ptr, a.symbol.len) == 0,
		       "message %zu: type %d/%d id %llu/%llu U %llu/%llu u %llu/%llu", i, a.type,
		       b.type, (unsigned long long)a.id, (unsigned long long)b.id,
		       (unsigned long long)a.first_id, (unsigned long long)b.first_id,
		       (unsigned long long)a.last_id, (unsigned long long)b.last_id);
	}
	venue_binance.parser_free(parser);
}

static void merge_owner_for_idless(void)
{
	struct stream_merge *m;
	struct merge_out o;
	const struct merge_in a = {.src = 1}, b = {.src = 2};
	int x;

	REQUIRE(stream_merge__new(&m, 2) == 0);
	x = stream_merge__stream(m, "url0", 4);
	CHECK(stream_merge__offer(m, x, &a, &o) == MERGE_DELIVER);
	CHECK(stream_merge__offer(m, x, &b, &o) == MERGE_NOT_OWNER);
	CHECK(stream_merge__offer(m, x, &a, &o) == MERGE_DELIVER);
	stream_merge__source_gone(m, 1);
	CHECK(stream_merge__offer(m, x, &b, &o) == MERGE_DELIVER);
	CHECK(stream_merge__offer(m, x, &a, &o) == MERGE_NOT_OWNER);
	stream_merge__free(m);
}

/* ---- the set over fake transports --------------------------------------- */

#define MAX_T 32
#define MAX_OUT 256

struct bed {
	struct ev_loop *loop;
	struct feed_set *s;
	struct fake_transport t[MAX_T];
	struct feed_set_conn_info info[MAX_T];
	int n_t;
	int refuse_next; /* the factory's answer for the next call, 0 = make one */
	char out[MAX_OUT][48];
	unsigned out_leg[MAX_OUT];
	int n_out;
	int st_count[FEED_STATUS__MAX];
	uint64_t gap_first, gap_last;
	char last_status[400];
	int dones, done_status;
};

static int bed_transport(void *user, const struct feed_set_conn_info *ci,
			 struct link_transport **out, struct fx_error *err)
{
	struct bed *b = user;

	if (b->refuse_next) {
		int r = b->refuse_next;

		b->refuse_next = 0;
		return fx_error_set(err, r, "refused by the test");
	}
	if (b->n_t == MAX_T)
		return fx_error_set(err, -ENOSPC, "test: too many transports");
	fake_transport_init(&b->t[b->n_t], false);
	b->info[b->n_t] = *ci;
	*out = &b->t[b->n_t++].t;
	return 0;
}

static void bed_message(void *user, const struct feed_set_msg *m)
{
	struct bed *b = user;

	if (b->n_out < MAX_OUT) {
		snprintf(b->out[b->n_out], sizeof(b->out[0]), "%s", m->stream ? m->stream : "?");
		/* the id: the digits after "t": / "u": */
		const char *id = strstr((const char *)m->m->p, "\"t\":");

		if (!id)
			id = strstr((const char *)m->m->p, "\"u\":");
		if (id)
			snprintf(b->out[b->n_out] + strlen(b->out[b->n_out]),
				 sizeof(b->out[0]) - strlen(b->out[b->n_out]), " %ld", atol(id + 4));
		b->out_leg[b->n_out] = m->conn->leg;
	}
	b->n_out++;
}

static void bed_status(void *user, const struct feed_event *e)
{
	struct bed *b = user;

	b->st_count[e->status.kind]++;
	if (e->status.kind == FEED_STATUS_GAP) {
		b->gap_first = e->status.first_id;
		b->gap_last = e->status.last_id;
	}
	snprintf(b->last_status, sizeof(b->last_status), "%s", e->status.text);
}

static void bed_done(void *user, int status, const char *why)
{
	struct bed *b = user;

	(void)why;
	b->dones++;
	b->done_status = status;
}

static struct ev_loop *loop;

static bool bed_new(struct bed *b, struct feed_set_opts o)
{
	const struct feed_set_hooks h = {.user = b,
					 .new_transport = bed_transport,
					 .on_message = bed_message,
					 .on_status = bed_status,
					 .on_done = bed_done};
	static const bool url_no_streams[2] = {false, false};
	struct fx_error err;

	memset(b, 0, sizeof(*b));
	b->loop = loop;
	o.venue = o.venue ? o.venue : &venue_binance;
	if (!o.n_urls) {
		o.n_urls = 1;
		o.url_streams = url_no_streams;
	}
	if (!o.backoff_base)
		o.backoff_base = 0.002;
	if (!o.backoff_cap)
		o.backoff_cap = 0.01;
	if (!o.healthy_s)
		o.healthy_s = 30;
	o.rotate_at_min = o.rotate_at_min ? o.rotate_at_min : -1;
	o.seed = 7;
	if (!o.leg_b_url)
		o.leg_b_url = -1;
	return feed_set__new(&b->s, loop, &o, &h, &err) == 0;
}

/* Run the loop until the factory made n transports (bounded). */
static bool bed_wait_transports(struct bed *b, int n)
{
	for (int i = 0; i < 2000 && b->n_t < n; i++) {
		ev_run(b->loop, EVRUN_NOWAIT);
		if (b->n_t < n)
			usleep(500);
	}
	return b->n_t >= n;
}

static void bed_open(struct bed *b, int i)
{
	feed_link__on_open(b->t[i].t.link, false, false);
	/* the subscription's reply, when one was asked for */
	if (b->t[i].sends) {
		static const char reply[] = "{\"result\":null,\"id\":1}";
		const struct lat_stamps st = {0};

		feed_link__on_kernel_msg(b->t[i].t.link, WS_OP_TEXT, (const uint8_t *)reply,
					 sizeof(reply) - 1, &st);
	}
}

static void bed_trade(struct bed *b, int i, const char *sym, unsigned long id)
{
	char msg[256];
	const struct lat_stamps st = {0};
	int n = snprintf(msg, sizeof(msg),
			 "{\"stream\":\"%s@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"%s\","
			 "\"t\":%lu,\"p\":\"1.0\",\"q\":\"1.0\",\"T\":1,\"m\":true,\"M\":true}}",
			 sym, sym, id);

	feed_link__on_kernel_msg(b->t[i].t.link, WS_OP_TEXT, (const uint8_t *)msg, (size_t)n, &st);
}

/* One leg, one stream, reconnecting, 30 s for a rotation's overlaps:
 * started, its connection open. */
static bool bed_one(struct bed *b, const char *const *streams)
{
	if (!bed_new(b, (struct feed_set_opts){.streams = streams, .n_streams = 1, .legs = 1,
					       .reconnect = true, .rotate_grace = 30}))
		return false;
	feed_set__start(b->s);
	if (!bed_wait_transports(b, 1))
		return false;
	bed_open(b, 0);
	return true;
}

/* Rotate slot; the replacement is transport i, opened. */
static bool bed_rotate(struct bed *b, unsigned slot, int i)
{
	feed_set__rotate(b->s, slot);
	if (!bed_wait_transports(b, i + 1))
		return false;
	bed_open(b, i);
	return true;
}

/* An A/B bed over o (one stream, two legs, reconnecting): started, both
 * connections open; *a and *bb the transports of leg A and leg B. */
static bool bed_ab(struct bed *b, struct feed_set_opts o, int *a, int *bb)
{
	o.n_streams = 1;
	o.legs = 2;
	o.reconnect = true;
	if (!bed_new(b, o))
		return false;
	feed_set__start(b->s);
	if (!bed_wait_transports(b, 2))
		return false;
	*a = b->info[0].leg == 0 ? 0 : 1;
	*bb = 1 - *a;
	bed_open(b, 0);
	bed_open(b, 1);
	return true;
}

static void bed_ticker(struct bed *b, int i, const char *sym, unsigned long u)
{
	char msg[256];
	const struct lat_stamps st = {0};
	int n = snprintf(msg, sizeof(msg),
			 "{\"stream\":\"%s@bookTicker\",\"data\":{\"u\":%lu,\"s\":\"%s\","
			 "\"b\":\"1.0\",\"B\":\"1.0\",\"a\":\"2.0\",\"A\":\"1.0\"}}",
			 sym, u, sym);

	feed_link__on_kernel_msg(b->t[i].t.link, WS_OP_TEXT, (const uint8_t *)msg, (size_t)n, &st);
}

static void bed_end(struct bed *b, int i, int status, const char *why)
{
	if (status)
		snprintf(b->t[i].err, sizeof(b->t[i].err), "%.120s", why);
	b->t[i].ended = true;
	feed_link__on_done(b->t[i].t.link, status);
}

static void bed_free(struct bed *b)
{
	feed_set__free(b->s);
	ev_run(b->loop, EVRUN_NOWAIT);
}

static const char *const five[] = {"a@trade", "b@trade", "c@trade", "d@trade", "e@trade"};

static void set_shards_subscriptions(void)
{
	struct bed b;

	REQUIRE(bed_new(&b, (struct feed_set_opts){.streams = five, .n_streams = 5, .per_conn = 2,
						    .legs = 1, .reconnect = true}));
	CHECK(feed_set__slots(b.s) == 3);
	feed_set__start(b.s);
	REQUIRE(bed_wait_transports(&b, 3));
	for (int i = 0; i < 3; i++)
		bed_open(&b, i);
	for (int i = 0; i < 3; i++) {
		static const char *const want[] = {"[\"a@trade\",\"b@trade\"]",
						   "[\"c@trade\",\"d@trade\"]", "[\"e@trade\"]"};
		unsigned sl = b.info[i].slot;

		REQUIRE(sl >= 1 && sl <= 3);
		CHECKF(b.t[i].sends == 1 && strstr(b.t[i].sent, want[sl - 1]), "slot %u sent %s", sl,
		       b.t[i].sent);
	}
	CHECK(b.st_count[FEED_STATUS_CONNECTED] == 3);
	feed_set__close(&*b.s);
	for (int i = 0; i < 3; i++)
		CHECK(b.t[i].closes == 1);
	for (int i = 0; i < 3; i++)
		bed_end(&b, i, 0, "");
	CHECK(b.dones == 1 && b.done_status == 0);
	bed_free(&b);
}

static void set_reconnect_replay_no_false_gap(void)
{
	struct bed b;
	const char *s1[] = {"x@trade"};

	REQUIRE(bed_new(&b, (struct feed_set_opts){.streams = s1, .n_streams = 1, .legs = 1,
						    .reconnect = true}));
	feed_set__start(b.s);
	REQUIRE(bed_wait_transports(&b, 1));
	bed_open(&b, 0);
	for (unsigned long id = 1; id <= 5; id++)
		bed_trade(&b, 0, "x", id);
	bed_end(&b, 0, -ECONNRESET, "connection reset by peer");
	CHECK(b.st_count[FEED_STATUS_DISCONNECTED] == 1);
	CHECKF(strstr(b.last_status, "reconnecting") && strstr(b.last_status, "x@trade"), "%s",
	       b.last_status);
	REQUIRE(bed_wait_transports(&b, 2));
	bed_open(&b, 1);
	CHECK(b.t[1].sends == 1); /* subscription restored */
	/* a feed that restarts its ids: the replay is dropped */
	for (unsigned long id = 1; id <= 8; id++)
		bed_trade(&b, 1, "x", id);
	CHECK(b.n_out == 8);
	CHECK(b.st_count[FEED_STATUS_GAP] == 0);
	/* a real gap: reported once with its range */
	bed_trade(&b, 1, "x", 12);
	CHECK(b.n_out == 9 && b.st_count[FEED_STATUS_GAP] == 1);
	CHECK(b.gap_first == 9 && b.gap_last == 11);
	{
		struct feed_set_stats st;

		feed_set__stats(b.s, &st);
		CHECK(st.reconnects == 1 && st.gaps == 1 && st.missed == 3 && st.dups == 5);
	}
	for (int i = 0; i < b.n_out - 1; i++)
		CHECK(strcmp(b.out[i], b.out[i + 1]) != 0);
	bed_free(&b);
}

static void set_ab_first_arrival_and_leg_loss(void)
{
	struct bed b;
	const char *s1[] = {"y@trade"};
	struct feed_set_stats st;

	REQUIRE(bed_new(&b, (struct feed_set_opts){.streams = s1, .n_streams = 1, .legs = 2,
						    .reconnect = true}));
	CHECK(feed_set__slots(b.s) == 2);
	feed_set__start(b.s);
	REQUIRE(bed_wait_transports(&b, 2));
	CHECK(b.info[0].leg != b.info[1].leg);
	bed_open(&b, 0);
	bed_open(&b, 1);
	/* A first for 1..3, B first for 4..5 */
	for (unsigned long id = 1; id <= 3; id++) {
		bed_trade(&b, 0, "y", id);
		bed_trade(&b, 1, "y", id);
	}
	for (unsigned long id = 4; id <= 5; id++) {
		bed_trade(&b, 1, "y", id);
		bed_trade(&b, 0, "y", id);
	}
	CHECK(b.n_out == 5);
	feed_set__stats(b.s, &st);
	CHECK(st.leg[b.info[0].leg].delivered == 3 && st.leg[b.info[1].leg].delivered == 2);
	CHECK(st.leg[0].lead.count + st.leg[1].lead.count == 5);
	/* leg A lost: B carries on alone, nothing missed */
	bed_end(&b, 0, -ECONNRESET, "reset");
	for (unsigned long id = 6; id <= 9; id++)
		bed_trade(&b, 1, "y", id);
	CHECK(b.n_out == 9 && b.st_count[FEED_STATUS_GAP] == 0);
	bed_free(&b);
}

/* A/B, bookTicker (ids that do not chain): a leg back from a reconnect is
 * ahead of the other leg, which still brings what was sent while the first
 * was away; its copies wait for an overlap (or ab_wait), then it leads
 * again. Found by it_feedsoak. */
static void set_ab_ticker_reconnect(void)
{
	struct bed b;
	const char *s1[] = {"k@bookTicker"};
	int a, bb, a2;

	REQUIRE(bed_ab(&b,
		       (struct feed_set_opts){.streams = s1, .ab_wait = 0.05,
					      .backoff_base = 0.001, .backoff_cap = 0.002},
		       &a, &bb));
	bed_ticker(&b, a, "k", 10);
	bed_ticker(&b, bb, "k", 10);
	bed_ticker(&b, a, "k", 12); /* A leads: no wait */
	CHECK(b.n_out == 2);
	bed_ticker(&b, bb, "k", 12);
	bed_end(&b, a, -ECONNRESET, "reset");
	REQUIRE(bed_wait_transports(&b, 3));
	a2 = 2;
	CHECK(b.info[a2].leg == b.info[a].leg);
	bed_open(&b, a2);
	bed_ticker(&b, bb, "k", 14);
	bed_ticker(&b, a2, "k", 20); /* back, ahead of B: waits */
	CHECK(b.n_out == 3);
	bed_ticker(&b, bb, "k", 16);
	bed_ticker(&b, bb, "k", 18);
	CHECK(b.n_out == 5);
	bed_ticker(&b, bb, "k", 20); /* the overlap */
	CHECK(b.n_out == 6);
	bed_ticker(&b, a2, "k", 22); /* leads again: no wait */
	CHECK(b.n_out == 7);
	const char *want[] = {"10", "12", "14", "16", "18", "20", "22"};
	for (int i = 0; i < 7; i++) {
		char w[32];

		snprintf(w, sizeof(w), "k@bookTicker %s", want[i]);
		CHECKF(i < b.n_out && strcmp(b.out[i], w) == 0, "out[%d] %s, want %s", i, b.out[i], w);
	}
	bed_free(&b);
}

/* A/B on h@trade, both legs at 10 (*a, *bb: their transports). */
static bool bed_ab_at_10(struct bed *b, const char *const *s1, double ab_wait, int *a, int *bb)
{
	if (!bed_ab(b, (struct feed_set_opts){.streams = s1, .ab_wait = ab_wait, .rotate_grace = 30},
		    a, bb))
		return false;
	bed_trade(b, *a, "h", 10);
	bed_trade(b, *bb, "h", 10);
	return true;
}

/* ... and leg A rotating: its replacement (transport 2) ahead with 14 and
 * 15, held, while its old connection has stopped at 10. */
static bool bed_ab_a_ahead(struct bed *b, const char *const *s1, int *a, int *bb)
{
	if (!bed_ab_at_10(b, s1, 0.05, a, bb) || !bed_rotate(b, b->info[*a].slot, 2))
		return false;
	bed_trade(b, 2, "h", 14);
	bed_trade(b, 2, "h", 15);
	return true;
}

/* A/B while leg A rotates away from a stalled connection: the
 * replacement's held copies follow as soon as leg B's deliveries reach
 * them, not when the stalled one would have (found by it_feedsoak, where B
 * then lost its connection and reported the held ids as a gap). */
static void set_ab_rotation_edge_from_peer(void)
{
	struct bed b;
	const char *s1[] = {"h@trade"};
	int a, bb;

	REQUIRE(bed_ab_a_ahead(&b, s1, &a, &bb)); /* held for the stalled old one */
	CHECK(b.n_out == 1);
	bed_trade(&b, bb, "h", 11);
	bed_trade(&b, bb, "h", 12);
	bed_trade(&b, bb, "h", 13); /* B's edge reaches them: they follow */
	CHECKF(b.n_out == 6, "%d out", b.n_out);
	bed_end(&b, bb, -ECONNRESET, "reset"); /* B goes: nothing to report */
	bed_trade(&b, 2, "h", 16);
	CHECK(b.n_out == 7 && b.st_count[FEED_STATUS_GAP] == 0);
	for (int i = 0; i < 7 && i < b.n_out; i++) {
		char w[32];

		snprintf(w, sizeof(w), "h@trade %d", 10 + i);
		CHECKF(strcmp(b.out[i], w) == 0, "out[%d] %s, want %s", i, b.out[i], w);
	}
	bed_free(&b);
}

/* A/B: leg A's old connection ends before its replacement caught up; the
 * replacement's held copies wait for leg B to bring what lies between (as
 * an A/B hole does) instead of going out behind a gap (it_feedsoak). */
static void set_ab_rotation_old_ends_first(void)
{
	struct bed b;
	const char *s1[] = {"h@trade"};
	int a, bb;

	REQUIRE(bed_ab_a_ahead(&b, s1, &a, &bb));
	bed_end(&b, a, -ECONNRESET, "reset"); /* the old one ends first */
	CHECK(b.n_out == 1 && b.st_count[FEED_STATUS_ROTATED] == 1);
	bed_trade(&b, bb, "h", 11);
	bed_trade(&b, bb, "h", 12);
	bed_trade(&b, bb, "h", 13); /* B fills the hole: the held copies follow */
	CHECKF(b.n_out == 6 && b.st_count[FEED_STATUS_GAP] == 0, "%d out, %d gaps", b.n_out,
	       b.st_count[FEED_STATUS_GAP]);
	bed_trade(&b, 2, "h", 16);
	CHECK(b.n_out == 7);
	bed_free(&b);
}

/* A/B, both legs rotating away from stalled connections: when leg A's
 * wait ends, leg B's replacement's held copies from further back go first,
 * and only what neither has is a gap (it_feedsoak, xdp mode). */
static void set_ab_both_rotating_lower_first(void)
{
	struct bed b;
	const char *s1[] = {"h@trade"};
	int a, bb;

	REQUIRE(bed_ab_at_10(&b, s1, 0.02, &a, &bb));
	feed_set__rotate(b.s, b.info[a].slot);
	REQUIRE(bed_wait_transports(&b, 3));
	feed_set__rotate(b.s, b.info[bb].slot);
	REQUIRE(bed_wait_transports(&b, 4));
	bed_open(&b, 2);
	bed_open(&b, 3);
	int ra = b.info[2].leg == b.info[a].leg ? 2 : 3, rb = 5 - ra;
	bed_trade(&b, rb, "h", 12); /* B's replacement, from further back */
	bed_trade(&b, rb, "h", 13);
	bed_trade(&b, ra, "h", 14);
	bed_trade(&b, ra, "h", 15);
	CHECK(b.n_out == 1);
	bed_end(&b, a, -ECONNRESET, "reset"); /* A's old one ends: A waits for B */
	for (int i = 0; i < 400 && b.n_out < 5; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		usleep(1000);
	}
	CHECKF(b.n_out == 5 && b.st_count[FEED_STATUS_GAP] == 1 && b.gap_first == 11 &&
	       b.gap_last == 11, "%d out, %d gaps (%llu..%llu)", b.n_out,
	       b.st_count[FEED_STATUS_GAP], (unsigned long long)b.gap_first,
	       (unsigned long long)b.gap_last);
	bed_free(&b);
}

/* A/B: a hole in one leg is filled by the other; a hole in both is a gap
 * once the wait is over. */
static void set_ab_fills_holes(void)
{
	struct bed b;
	const char *s1[] = {"w@trade"};
	struct feed_set_stats st;
	int a, bb;

	REQUIRE(bed_ab(&b, (struct feed_set_opts){.streams = s1, .ab_wait = 0.05}, &a, &bb));
	bed_trade(&b, a, "w", 1);
	bed_trade(&b, a, "w", 4); /* A lost 2 and 3 */
	bed_trade(&b, a, "w", 5);
	CHECK(b.n_out == 1);
	bed_trade(&b, bb, "w", 1);
	bed_trade(&b, bb, "w", 2);
	bed_trade(&b, bb, "w", 3); /* B brings them: A's 4 and 5 follow */
	CHECK(b.n_out == 5);
	bed_trade(&b, bb, "w", 4);
	bed_trade(&b, bb, "w", 5);
	CHECK(b.n_out == 5 && b.st_count[FEED_STATUS_GAP] == 0);
	for (int i = 0; i < 5 && i < b.n_out; i++) {
		char want[32];

		snprintf(want, sizeof(want), "w@trade %d", 1 + i);
		CHECKF(strcmp(b.out[i], want) == 0, "out[%d] %s", i, b.out[i]);
	}
	/* both lost 6..7: the wait ends, the gap is reported once */
	bed_trade(&b, a, "w", 8);
	for (int i = 0; i < 400 && b.n_out < 6; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		usleep(1000);
	}
	CHECK(b.n_out == 6 && b.st_count[FEED_STATUS_GAP] == 1 && b.gap_first == 6 &&
	      b.gap_last == 7);
	bed_trade(&b, bb, "w", 8);
	CHECK(b.n_out == 6);
	feed_set__stats(b.s, &st);
	CHECK(st.gaps == 1 && st.held == 3);
	bed_free(&b);
}

static void set_rotation_make_before_break(void)
{
	struct bed b;
	const char *s2[] = {"p@trade", "q@trade"};
	struct feed_set_stats st;

	REQUIRE(bed_new(&b, (struct feed_set_opts){.streams = s2, .n_streams = 2, .legs = 1,
						    .reconnect = true, .rotate_grace = 30}));
	feed_set__start(b.s);
	REQUIRE(bed_wait_transports(&b, 1));
	bed_open(&b, 0);
	bed_trade(&b, 0, "p", 10);
	bed_trade(&b, 0, "q", 20);
	feed_set__rotate(b.s, 1);
	REQUIRE(bed_wait_transports(&b, 2));
	CHECK(b.info[1].replacement);
	bed_open(&b, 1);
	CHECK(b.t[1].sends == 1);
	/* the old one goes on while the new one catches up */
	bed_trade(&b, 0, "p", 11);
	bed_trade(&b, 1, "p", 11); /* overlap on p */
	bed_trade(&b, 1, "p", 12);
	CHECK(b.t[0].closes == 0); /* q has not overlapped yet */
	bed_trade(&b, 0, "q", 21);
	bed_trade(&b, 0, "p", 12);
	bed_trade(&b, 1, "q", 21); /* overlap on q: the old one is closed */
	CHECK(b.t[0].closes == 1 && b.st_count[FEED_STATUS_ROTATED] == 1);
	bed_end(&b, 0, 0, "");
	bed_trade(&b, 1, "q", 22);
	CHECK(b.n_out == 6 && b.st_count[FEED_STATUS_GAP] == 0);
	feed_set__stats(b.s, &st);
	CHECK(st.rotations == 1 && st.reconnects == 0 && st.conns == 1);
	/* the replacement is now the slot's: it reconnects when it is lost */
	bed_end(&b, 1, -ECONNRESET, "reset");
	CHECK(b.st_count[FEED_STATUS_DISCONNECTED] == 1);
	REQUIRE(bed_wait_transports(&b, 3));
	bed_free(&b);
}

/* The replacement ahead of the old connection: its copies wait until the
 * old one has delivered everything before them. */
static void set_rotation_replacement_ahead(void)
{
	struct bed b;
	const char *s1[] = {"h@trade"};
	struct feed_set_stats st;

	REQUIRE(bed_one(&b, s1));
	bed_trade(&b, 0, "h", 10);
	REQUIRE(bed_rotate(&b, 1, 1));
	bed_trade(&b, 1, "h", 13); /* ahead: 11 and 12 are still on their way to the old */
	bed_trade(&b, 1, "h", 14);
	CHECK(b.n_out == 1 && b.t[0].closes == 0);
	bed_trade(&b, 0, "h", 11);
	CHECK(b.n_out == 2);
	bed_trade(&b, 0, "h", 12); /* the edge reaches the held copies: they follow */
	CHECK(b.n_out == 5 && b.t[0].closes == 1);
	bed_trade(&b, 0, "h", 13);
	bed_trade(&b, 1, "h", 15);
	REQUIRE(b.n_out == 6);
	for (int i = 0; i < 6; i++) {
		char want[32];

		snprintf(want, sizeof(want), "h@trade %d", 10 + i);
		CHECKF(strcmp(b.out[i], want) == 0, "out[%d] %s, want %s", i, b.out[i], want);
	}
	feed_set__stats(b.s, &st);
	CHECK(st.gaps == 0 && st.held == 2 && st.rotations == 1);
	bed_free(&b);
}

/* bookTicker's u jumps, so nothing says whether the old connection still
 * has a message before the replacement's first: the replacement's copies
 * wait for an overlap (the old delivers an id the replacement holds). Found
 * by it_feedsoak: the replacement's 985 went out first and the old
 * connection's 983, still on its way, was dropped as behind. */
static void set_rotation_ticker_overlap(void)
{
	struct bed b;
	const char *s1[] = {"k@bookTicker"};
	struct feed_set_stats st;

	REQUIRE(bed_one(&b, s1));
	bed_ticker(&b, 0, "k", 980);
	REQUIRE(bed_rotate(&b, 1, 1));
	bed_ticker(&b, 1, "k", 985); /* ahead of the edge: held */
	bed_ticker(&b, 1, "k", 986);
	CHECK(b.n_out == 1 && b.t[0].closes == 0);
	bed_ticker(&b, 0, "k", 983); /* the old one's, still in flight */
	CHECK(b.n_out == 2 && b.t[0].closes == 0);
	bed_ticker(&b, 0, "k", 985); /* the overlap: the held copies follow */
	CHECK(b.n_out == 4 && b.t[0].closes == 1);
	const char *want[] = {"k@bookTicker 980", "k@bookTicker 983", "k@bookTicker 985",
			      "k@bookTicker 986"};
	for (int i = 0; i < 4 && i < b.n_out; i++)
		CHECKF(strcmp(b.out[i], want[i]) == 0, "out[%d] %s, want %s", i, b.out[i], want[i]);
	feed_set__stats(b.s, &st);
	CHECK(st.gaps == 0 && st.rotations == 1);
	bed_free(&b);
}

/* One live transport at a time (XDP until the fast path is shared): the
 * factory says -EBUSY for the replacement, so the rotation reconnects. */
static void set_rotation_busy_reconnects(void)
{
	struct bed b;
	const char *s1[] = {"k@trade"};
	struct feed_set_stats st;

	REQUIRE(bed_one(&b, s1));
	bed_trade(&b, 0, "k", 1);
	b.refuse_next = -EBUSY;
	feed_set__rotate(b.s, 1);
	for (int i = 0; i < 200 && !b.t[0].closes; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		usleep(500);
	}
	CHECK(b.t[0].closes == 1 && b.st_count[FEED_STATUS_ROTATED] == 1);
	bed_end(&b, 0, 0, "");
	REQUIRE(bed_wait_transports(&b, 2));
	CHECK(!b.info[1].replacement);
	bed_open(&b, 1);
	bed_trade(&b, 1, "k", 1);
	bed_trade(&b, 1, "k", 2);
	CHECK(b.n_out == 2 && b.dones == 0);
	feed_set__stats(b.s, &st);
	CHECK(st.rotations == 1 && st.gaps == 0);
	bed_free(&b);
}

static void set_server_shutdown_rotates(void)
{
	struct bed b;
	const char *s1[] = {"z@trade"};
	static const char note[] =
	    "{\"stream\":\"!serverShutdown\",\"data\":{\"e\":\"serverShutdown\",\"E\":1}}";
	const struct lat_stamps st0 = {0};
	struct feed_set_stats st;

	REQUIRE(bed_one(&b, s1));
	bed_trade(&b, 0, "z", 1);
	feed_link__on_kernel_msg(b.t[0].t.link, WS_OP_TEXT, (const uint8_t *)note,
				 sizeof(note) - 1, &st0);
	REQUIRE(bed_wait_transports(&b, 2));
	bed_open(&b, 1);
	bed_trade(&b, 0, "z", 2);
	bed_trade(&b, 1, "z", 2);
	CHECK(b.t[0].closes == 1);
	feed_set__stats(b.s, &st);
	CHECK(st.shutdown_notices == 1 && st.rotations == 1);
	bed_free(&b);
}

static void set_no_reconnect_ends(void)
{
	struct bed b;

	REQUIRE(bed_new(&b, (struct feed_set_opts){.streams = five, .n_streams = 1, .legs = 1,
						    .reconnect = false}));
	feed_set__start(b.s);
	REQUIRE(bed_wait_transports(&b, 1));
	bed_open(&b, 0);
	bed_end(&b, 0, -ECONNRESET, "connection reset");
	CHECK(b.dones == 1 && b.done_status == -ECONNRESET);
	ev_run(loop, EVRUN_NOWAIT);
	CHECK(b.n_t == 1);
	bed_free(&b);
}

static void set_first_failure_ends_429_retries(void)
{
	struct bed b;

	/* never up, not a refusal: the configuration is wrong, end now */
	REQUIRE(bed_new(&b, (struct feed_set_opts){.streams = five, .n_streams = 1, .legs = 1,
						    .reconnect = true}));
	feed_set__start(b.s);
	REQUIRE(bed_wait_transports(&b, 1));
	bed_end(&b, 0, -ECONNREFUSED, "connection refused");
	CHECK(b.dones == 1 && b.done_status == -ECONNREFUSED);
	bed_free(&b);
	/* a 429 with Retry-After is waited out and tried again */
	REQUIRE(bed_new(&b, (struct feed_set_opts){.streams = five, .n_streams = 1, .legs = 1,
						    .reconnect = true}));
	feed_set__start(b.s);
	REQUIRE(bed_wait_transports(&b, 1));
	bed_end(&b, 0, -ECONNREFUSED,
		"server answered 429 Too Many Requests (expected 101) (Retry-After: 0.05)");
	CHECK(b.dones == 0 && strstr(b.last_status, "Retry-After honoured"));
	REQUIRE(bed_wait_transports(&b, 2));
	{
		struct feed_set_stats st;

		feed_set__stats(b.s, &st);
		CHECK(st.refusals == 1);
	}
	bed_free(&b);
}

static void set_stale_stream_replaced(void)
{
	struct bed b;
	const char *s2[] = {"live@trade", "dead@trade"};

	REQUIRE(bed_new(&b, (struct feed_set_opts){.streams = s2, .n_streams = 2, .legs = 1,
						    .reconnect = true, .stale_s = 0.05,
						    .rotate_grace = 30}));
	feed_set__start(b.s);
	REQUIRE(bed_wait_transports(&b, 1));
	bed_open(&b, 0);
	for (int i = 0; i < 3000 && b.st_count[FEED_STATUS_STALE] == 0; i++) {
		bed_trade(&b, 0, "live", (unsigned long)i + 1);
		ev_run(loop, EVRUN_NOWAIT);
		usleep(1000);
	}
	CHECK(b.st_count[FEED_STATUS_STALE] == 1);
	CHECKF(strstr(b.last_status, "dead@trade") || b.st_count[FEED_STATUS_STALE],
	       "%s", b.last_status);
	REQUIRE(bed_wait_transports(&b, 2));
	CHECK(b.info[1].replacement);
	bed_free(&b);
}

static void set_count_closes(void)
{
	struct bed b;
	const char *s1[] = {"c@trade"};

	REQUIRE(bed_new(&b, (struct feed_set_opts){.streams = s1, .n_streams = 1, .legs = 2,
						    .reconnect = true, .count = 3}));
	feed_set__start(b.s);
	REQUIRE(bed_wait_transports(&b, 2));
	bed_open(&b, 0);
	bed_open(&b, 1);
	for (unsigned long id = 1; id <= 5; id++) {
		bed_trade(&b, 0, "c", id);
		bed_trade(&b, 1, "c", id);
	}
	CHECK(b.n_out == 3 && b.t[0].closes == 1 && b.t[1].closes == 1);
	bed_end(&b, 0, 0, "");
	bed_end(&b, 1, 0, "");
	CHECK(b.dones == 1 && b.done_status == 0);
	bed_free(&b);
}

static void streams_file(void)
{
	char path[] = "/tmp/feedset-streams.XXXXXX";
	int fd = mkstemp(path);
	const char *out[8];
	size_t n = 0;
	char *buf = NULL;
	struct fx_error err;
	static const char text[] = "# majors\nbtcusdt@trade\n\n ethusdt@depth@100ms , "
				   "bnbusdt@bookTicker # comment\n";

	REQUIRE(fd >= 0);
	CHECK(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1);
	close(fd);
	CHECK(feed_set_read_streams(path, &buf, out, &n, 8, &err) == 0);
	CHECK(n == 3 && strcmp(out[0], "btcusdt@trade") == 0 &&
	      strcmp(out[1], "ethusdt@depth@100ms") == 0 && strcmp(out[2], "bnbusdt@bookTicker") == 0);
	free(buf);
	buf = NULL;
	n = 0;
	CHECK(feed_set_read_streams(path, &buf, out, &n, 2, &err) == -ENOSPC);
	free(buf);
	unlink(path);
	buf = NULL;
	n = 0;
	CHECK(feed_set_read_streams("/nonexistent/x", &buf, out, &n, 2, &err) == -ENOENT);
}

static void quiet_log(void *user, enum fx_log_level level, const char *msg)
{
	(void)user, (void)level, (void)msg;
}

int main(void)
{
	loop = ev_default_loop(0);
	fx_log_set_handler(quiet_log, NULL);
	RUN(backoff_grows_caps_and_resets);
	RUN(backoff_jitter_spreads);
	RUN(retry_after_parsed);
	RUN(pacer_sliding_window);
	RUN(sharding_even_and_bounded);
	RUN(merge_dedupes_and_finds_gaps);
	RUN(merge_owner_for_idless);
	RUN(venue_scan_ids_matches_parse);
	RUN(set_shards_subscriptions);
	RUN(set_reconnect_replay_no_false_gap);
	RUN(set_ab_first_arrival_and_leg_loss);
	RUN(set_ab_fills_holes);
	RUN(set_rotation_make_before_break);
	RUN(set_rotation_replacement_ahead);
	RUN(set_rotation_ticker_overlap);
	RUN(set_ab_ticker_reconnect);
	RUN(set_ab_rotation_edge_from_peer);
	RUN(set_ab_rotation_old_ends_first);
	RUN(set_ab_both_rotating_lower_first);
	RUN(set_rotation_busy_reconnects);
	RUN(set_server_shutdown_rotates);
	RUN(set_no_reconnect_ends);
	RUN(set_first_failure_ends_429_retries);
	RUN(set_stale_stream_replaced);
	RUN(set_count_closes);
	RUN(streams_file);
	return check_exit();
}

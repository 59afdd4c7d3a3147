/* Tests for book_sync: Binance spot (buffer, snapshot, stale diffs, the
 * straddling first diff, gaps and a resync into a fresh book), late
 * snapshots fetched again, a gap inside the buffer, USD-M pu chains, a
 * buffer that fills, a failing snapshot source, OKX-style prev_id and
 * Bybit-style +1 chains with in-stream snapshots, the known depth, and
 * feedsim's first-diff-is-the-book mode. Diffs are feed_msg built here;
 * snapshots are Binance JSON bodies through the venue's parser and a fake
 * snapshot source. */
#include "check.h"
#include "feed/book_sync.h"
#include "venue/venue.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#define PX(x) ((int64_t)(x) * FEED_SCALE)

/* ---- a fake snapshot source ---- */

struct fake_src {
	int requests, cancels, refuse;
	char symbol[32];
	uint32_t limit;
	book_snapshot_cb cb;
	void *arg;
	uint64_t handle, next;
};

static int fake_request(void *ctx, const char *symbol, uint32_t limit, book_snapshot_cb cb,
			void *arg, uint64_t *handle)
{
	struct fake_src *f = ctx;

	if (f->refuse)
		return -EAGAIN;
	f->requests++;
	snprintf(f->symbol, sizeof(f->symbol), "%s", symbol);
	f->limit = limit;
	f->cb = cb;
	f->arg = arg;
	f->handle = *handle = ++f->next;
	return 0;
}

static void fake_cancel(void *ctx, uint64_t handle)
{
	struct fake_src *f = ctx;

	if (handle == f->handle) {
		f->cancels++;
		f->handle = 0;
	}
}

static const struct book_snapshot_source_ops fake_ops = {fake_request, fake_cancel};
static struct fake_src F;
static struct book_snapshot_source SRC = {&fake_ops, &F};

/* Answer the outstanding request with a JSON body. */
static void serve(const char *body)
{
	uint64_t h = F.handle;

	F.handle = 0;
	if (h)
		F.cb(F.arg, 0, (const uint8_t *)body, strlen(body));
}

/* ---- what the hooks saw ---- */

struct seen {
	int changes, snapshots, invalid, resynced;
	uint64_t last_first, last_last, miss_first, miss_last;
	uint32_t last_n_bids, last_n_asks;
};
static struct seen S;

static void on_change(void *user, struct book_sync *b, const struct book_sync_change *c)
{
	(void)user, (void)b;
	S.changes++;
	S.snapshots += c->snapshot;
	S.last_first = c->first_id;
	S.last_last = c->last_id;
	S.last_n_bids = c->n_bids;
	S.last_n_asks = c->n_asks;
}

static void on_status(void *user, struct book_sync *b, enum feed_status kind, uint64_t first_id,
		      uint64_t last_id, const char *text)
{
	(void)user, (void)b, (void)text;
	if (kind == FEED_STATUS_BOOK_INVALID) {
		S.invalid++;
		S.miss_first = first_id;
		S.miss_last = last_id;
	} else if (kind == FEED_STATUS_RESYNCED) {
		S.resynced++;
	}
}

static void *snap_parser;

static struct book_sync *mk(enum venue_book_rule rule, bool with_src, uint32_t depth,
			    uint32_t buf_diffs)
{
	struct book_sync_conf c = {
	    .rule = rule, .depth = depth, .cap = 64, .buf_diffs = buf_diffs, .buf_levels = 256,
	    .src = with_src ? &SRC : NULL,
	    .snapshot_parse = venue_binance.snapshot_parse, .snapshot_parser = snap_parser,
	    .hooks = {.on_change = on_change, .on_status = on_status},
	};
	struct book_sync *b;

	memset(&F, 0, sizeof(F));
	memset(&S, 0, sizeof(S));
	if (book_sync__new(&b, "BTCUSDT", 7, &c))
		return NULL;
	return b;
}

/* A depth message: levels as price,qty pairs (integers), bids then asks. */
static struct feed_msg M;
static struct feed_level LV[64];

static const struct feed_msg *dm(uint64_t U, uint64_t u, uint64_t pu, uint32_t flags, int nb,
				 int na, const int *lv)
{
	memset(&M, 0, sizeof(M));
	M.type = FEED_MSG_DEPTH;
	M.symbol.ptr = "BTCUSDT";
	M.symbol.len = 7;
	M.first_id = U;
	M.last_id = u;
	M.prev_id = pu;
	M.fields = flags | (pu ? FEED_F_PREV_ID : 0);
	for (int i = 0; i < nb + na; i++) {
		LV[i].price = PX(lv[2 * i]);
		LV[i].qty = PX(lv[2 * i + 1]);
	}
	M.bids = LV;
	M.n_bids = (uint32_t)nb;
	M.asks = LV + nb;
	M.n_asks = (uint32_t)na;
	return &M;
}

/* Feed a diff; a call with side effects runs once, outside CHECK. */
#define DIFF(b, ...)                                                          \
	do {                                                                  \
		int rc_ = book_sync__diff(b, dm(__VA_ARGS__), 1, 2);          \
		CHECKF(rc_ == 0, "line %d: diff %d", __LINE__, rc_);          \
	} while (0)

/* The book's sides equal these (price,qty pairs), in order. */
static int side_is(const struct order_book_side *s, int n, const int *pq)
{
	if (s->n != (uint32_t)n)
		return 0;
	for (int i = 0; i < n; i++)
		if (s->lv[i].price != PX(pq[2 * i]) || s->lv[i].qty != PX(pq[2 * i + 1]))
			return 0;
	return 1;
}

#define BOOK_IS(b, nb, wb, na, wa)                                                         \
	CHECKF(side_is(&book_sync__book(b)->bids, nb, (const int *)wb) &&                 \
		       side_is(&book_sync__book(b)->asks, na, (const int *)wa),           \
	       "line %d: book differs (%u bids, %u asks)", __LINE__,                     \
	       book_sync__book(b)->bids.n, book_sync__book(b)->asks.n)

static void spot_snapshot_and_buffer(void)
{
	struct book_sync *b = mk(VENUE_BOOK_BINANCE_SPOT, true, 10, 16);
	struct book_sync_stats st;

	REQUIRE(b);
	CHECK(book_sync__state(b) == BOOK_SYNC_WAIT && F.requests == 0);
	DIFF(b, 98, 100, 0, 0, 1, 0, (int[]){100, 9});  /* older than the snapshot */
	CHECK(F.requests == 1 && !strcmp(F.symbol, "BTCUSDT") && F.limit == 10);
	CHECK(book_sync__state(b) == BOOK_SYNC_FETCHING);
	DIFF(b, 101, 103, 0, 0, 1, 1, (int[]){100, 5, 102, 7}); /* straddles 103 */
	DIFF(b, 104, 104, 0, 0, 1, 0, (int[]){99, 0});           /* removes 99 */
	CHECK(F.requests == 1); /* one request while it is on its way */
	CHECK(S.changes == 0);
	serve("{\"lastUpdateId\":102,\"bids\":[[\"100\",\"1\"],[\"99\",\"2\"]],"
	      "\"asks\":[[\"101\",\"3\"]]}");
	CHECK(book_sync__state(b) == BOOK_SYNC_SYNCED);
	BOOK_IS(b, 1, ((int[]){100, 5}), 2, ((int[]){101, 3, 102, 7}));
	CHECK(book_sync__book(b)->last_update_id == 104);
	CHECK(S.snapshots == 1 && S.changes == 3 && S.invalid == 0);
	/* continuity: U == previous u + 1 */
	DIFF(b, 105, 106, 0, 0, 0, 1, (int[]){101, 0});
	BOOK_IS(b, 1, ((int[]){100, 5}), 1, ((int[]){102, 7}));
	DIFF(b, 103, 106, 0, 0, 0, 1, (int[]){105, 1}); /* already held: stale */
	BOOK_IS(b, 1, ((int[]){100, 5}), 1, ((int[]){102, 7}));
	DIFF(b, 105, 107, 0, 0, 0, 1, (int[]){102, 6}); /* overlaps 105..106: applies */
	BOOK_IS(b, 1, ((int[]){100, 5}), 1, ((int[]){102, 6}));
	CHECK(book_sync__book(b)->last_update_id == 107 && S.invalid == 0);
	book_sync__stats(b, &st);
	CHECK(st.stale == 2 && st.applied == 4 && st.snapshots == 1 && st.gaps == 0);
	book_sync__free(b);
}

static void spot_late_snapshot_refetched(void)
{
	struct book_sync *b = mk(VENUE_BOOK_BINANCE_SPOT, true, 10, 16);
	struct book_sync_stats st;

	REQUIRE(b);
	DIFF(b, 200, 201, 0, 0, 1, 0, (int[]){50, 1});
	/* lastUpdateId 150: 151..199 are in neither: fetch again */
	serve("{\"lastUpdateId\":150,\"bids\":[[\"40\",\"1\"]],\"asks\":[]}");
	CHECK(book_sync__state(b) == BOOK_SYNC_FETCHING && F.requests == 2 && S.changes == 0);
	DIFF(b, 202, 202, 0, 0, 1, 0, (int[]){51, 1});
	/* lastUpdateId + 1 == U: nothing between them, it chains */
	serve("{\"lastUpdateId\":199,\"bids\":[[\"40\",\"1\"]],\"asks\":[]}");
	CHECK(book_sync__state(b) == BOOK_SYNC_SYNCED);
	BOOK_IS(b, 3, ((int[]){51, 1, 50, 1, 40, 1}), 0, ((int[]){0}));
	book_sync__stats(b, &st);
	CHECK(st.refetches == 1 && st.snapshots == 1);
	book_sync__free(b);
}

static void spot_gap_resyncs_into_fresh_book(void)
{
	struct book_sync *b = mk(VENUE_BOOK_BINANCE_SPOT, true, 10, 16);

	REQUIRE(b);
	DIFF(b, 11, 11, 0, 0, 1, 0, (int[]){95, 1});
	serve("{\"lastUpdateId\":10,\"bids\":[[\"100\",\"1\"],[\"99\",\"1\"]],"
	      "\"asks\":[[\"101\",\"1\"],[\"102\",\"1\"]]}");
	BOOK_IS(b, 3, ((int[]){100, 1, 99, 1, 95, 1}), 2, ((int[]){101, 1, 102, 1}));
	/* 12..14 lost */
	DIFF(b, 15, 16, 0, 0, 0, 1, (int[]){103, 1});
	CHECK(S.invalid == 1 && S.miss_first == 12 && S.miss_last == 14);
	CHECK(book_sync__state(b) == BOOK_SYNC_FETCHING && F.requests == 2);
	CHECK(book_sync__book(b)->bids.n == 0 && book_sync__book(b)->asks.n == 0);
	DIFF(b, 17, 17, 0, 0, 1, 0, (int[]){90, 4});
	/* the new snapshot lacks 99, 95 and 102: none of them may survive */
	serve("{\"lastUpdateId\":16,\"bids\":[[\"100\",\"2\"]],\"asks\":[[\"101\",\"3\"],"
	      "[\"103\",\"1\"]]}");
	CHECK(S.resynced == 1 && book_sync__state(b) == BOOK_SYNC_SYNCED);
	BOOK_IS(b, 2, ((int[]){100, 2, 90, 4}), 2, ((int[]){101, 3, 103, 1}));
	CHECK(book_sync__book(b)->last_update_id == 17);
	book_sync__free(b);
}

static void spot_gap_inside_buffer(void)
{
	struct book_sync *b = mk(VENUE_BOOK_BINANCE_SPOT, true, 10, 16);

	REQUIRE(b);
	DIFF(b, 101, 103, 0, 0, 1, 0, (int[]){10, 1});
	DIFF(b, 110, 112, 0, 0, 1, 0, (int[]){11, 1}); /* 104..109 lost: buffer restarts */
	serve("{\"lastUpdateId\":105,\"bids\":[],\"asks\":[]}");
	CHECK(book_sync__state(b) == BOOK_SYNC_FETCHING && F.requests == 2);
	serve("{\"lastUpdateId\":111,\"bids\":[[\"9\",\"1\"]],\"asks\":[]}");
	CHECK(book_sync__state(b) == BOOK_SYNC_SYNCED);
	BOOK_IS(b, 2, ((int[]){11, 1, 9, 1}), 0, ((int[]){0}));
	book_sync__free(b);
}

static void usdm_pu_chain(void)
{
	struct book_sync *b = mk(VENUE_BOOK_BINANCE_USDM, true, 10, 16);

	REQUIRE(b);
	DIFF(b, 90, 99, 85, 0, 1, 0, (int[]){10, 1});   /* u < lastUpdateId: dropped */
	DIFF(b, 95, 105, 99, 0, 1, 0, (int[]){11, 2});  /* U <= 100 <= u: first */
	DIFF(b, 108, 110, 105, 0, 1, 0, (int[]){12, 3}); /* pu == previous u (ids skip) */
	serve("{\"lastUpdateId\":100,\"E\":1700000000000,\"T\":1700000000000,"
	      "\"bids\":[[\"9\",\"1\"]],\"asks\":[[\"20\",\"1\"]]}");
	CHECK(book_sync__state(b) == BOOK_SYNC_SYNCED);
	BOOK_IS(b, 3, ((int[]){12, 3, 11, 2, 9, 1}), 1, ((int[]){20, 1}));
	CHECK(book_sync__book(b)->last_update_id == 110);
	DIFF(b, 111, 115, 109, 0, 0, 1, (int[]){21, 1}); /* pu 109 != 110: gap */
	CHECK(S.invalid == 1 && book_sync__state(b) == BOOK_SYNC_FETCHING);
	CHECK(book_sync__book(b)->bids.n == 0);
	DIFF(b, 116, 118, 115, 0, 0, 1, (int[]){22, 1});
	serve("{\"lastUpdateId\":115,\"bids\":[[\"8\",\"1\"]],\"asks\":[[\"21\",\"1\"]]}");
	CHECK(S.resynced == 1);
	BOOK_IS(b, 1, ((int[]){8, 1}), 2, ((int[]){21, 1, 22, 1}));
	book_sync__free(b);
}

/* Futures ids skip other symbols' updates: a snapshot between pu and U
 * fits; one before pu is older than the buffer. */
static void usdm_snapshot_between_pu_and_U(void)
{
	struct book_sync *b = mk(VENUE_BOOK_BINANCE_USDM, true, 10, 16);
	struct book_sync_stats st;

	REQUIRE(b);
	DIFF(b, 104, 106, 98, 0, 1, 0, (int[]){11, 2});
	serve("{\"lastUpdateId\":97,\"bids\":[[\"9\",\"1\"]],\"asks\":[]}");
	book_sync__stats(b, &st);
	CHECK(st.refetches == 1 && book_sync__state(b) == BOOK_SYNC_FETCHING);
	serve("{\"lastUpdateId\":100,\"bids\":[[\"9\",\"1\"]],\"asks\":[]}");
	CHECK(book_sync__state(b) == BOOK_SYNC_SYNCED);
	BOOK_IS(b, 2, ((int[]){11, 2, 9, 1}), 0, ((int[]){0}));
	CHECK(book_sync__book(b)->last_update_id == 106);
	DIFF(b, 110, 111, 106, 0, 1, 0, (int[]){12, 1});
	CHECK(book_sync__book(b)->last_update_id == 111 && S.invalid == 0);
	book_sync__free(b);
}

static void buffer_full_starts_over(void)
{
	struct book_sync *b = mk(VENUE_BOOK_BINANCE_SPOT, true, 10, 3);
	struct book_sync_stats st;

	REQUIRE(b);
	for (int i = 0; i < 3; i++)
		DIFF(b, 10 + (uint64_t)i, 10 + (uint64_t)i, 0, 0, 1, 0, (int[]){10 + i, 1});
	CHECK(S.invalid == 0 && F.requests == 1);
	DIFF(b, 13, 13, 0, 0, 1, 0, (int[]){13, 1});
	book_sync__stats(b, &st);
	CHECK(S.invalid == 1 && st.overflows == 1 && F.cancels == 1 && F.requests == 2);
	/* the buffer holds 13 alone: a snapshot at 12 chains */
	serve("{\"lastUpdateId\":12,\"bids\":[[\"1\",\"1\"]],\"asks\":[]}");
	CHECK(book_sync__state(b) == BOOK_SYNC_SYNCED && S.resynced == 1);
	BOOK_IS(b, 2, ((int[]){13, 1, 1, 1}), 0, ((int[]){0}));
	book_sync__free(b);
}

static void failing_source_retried(void)
{
	struct book_sync *b = mk(VENUE_BOOK_BINANCE_SPOT, true, 10, 16);
	struct book_sync_stats st;

	REQUIRE(b);
	F.refuse = 1;
	DIFF(b, 10, 10, 0, 0, 1, 0, (int[]){10, 1});
	CHECK(F.requests == 0 && book_sync__pending(b) == 0);
	F.refuse = 0;
	DIFF(b, 11, 11, 0, 0, 1, 0, (int[]){11, 1});
	CHECK(F.requests == 1);
	/* an error, then a body that is no snapshot: both fetched again */
	F.handle = 0;
	F.cb(F.arg, -ETIMEDOUT, NULL, 0);
	DIFF(b, 12, 12, 0, 0, 1, 0, (int[]){12, 1});
	CHECK(F.requests == 2);
	serve("{\"bids\":[]}");
	DIFF(b, 13, 13, 0, 0, 1, 0, (int[]){13, 1});
	CHECK(F.requests == 3);
	serve("{\"lastUpdateId\":9,\"bids\":[],\"asks\":[]}");
	book_sync__stats(b, &st);
	CHECK(st.snap_errors == 3 && book_sync__state(b) == BOOK_SYNC_SYNCED);
	BOOK_IS(b, 4, ((int[]){13, 1, 12, 1, 11, 1, 10, 1}), 0, ((int[]){0}));
	book_sync__free(b);
}

static void okx_prev_id_chain(void)
{
	struct book_sync *b = mk(VENUE_BOOK_PREV_ID, false, 10, 16);

	REQUIRE(b);
	DIFF(b, 0, 5, 4, 0, 1, 0, (int[]){10, 1}); /* before any snapshot: ignored */
	CHECK(S.changes == 0 && book_sync__state(b) == BOOK_SYNC_WAIT);
	DIFF(b, 0, 10, 0, FEED_F_SNAPSHOT, 2, 1, (int[]){10, 1, 9, 1, 11, 1});
	CHECK(book_sync__state(b) == BOOK_SYNC_SYNCED && S.snapshots == 1);
	DIFF(b, 0, 12, 10, 0, 1, 0, (int[]){9, 5});
	DIFF(b, 0, 12, 12, 0, 0, 0, (int[]){0});    /* no change: prev == seq */
	DIFF(b, 0, 11, 9, 0, 1, 0, (int[]){9, 7});  /* old: stale */
	BOOK_IS(b, 2, ((int[]){10, 1, 9, 5}), 1, ((int[]){11, 1}));
	DIFF(b, 0, 20, 15, 0, 1, 0, (int[]){8, 1}); /* 13..15 lost */
	CHECK(S.invalid == 1 && book_sync__state(b) == BOOK_SYNC_WAIT);
	CHECK(book_sync__book(b)->bids.n == 0);
	DIFF(b, 0, 21, 20, 0, 1, 0, (int[]){7, 1}); /* waits for a snapshot */
	CHECK(book_sync__book(b)->bids.n == 0);
	DIFF(b, 0, 30, 0, FEED_F_SNAPSHOT, 1, 1, (int[]){6, 1, 12, 2});
	CHECK(S.resynced == 1);
	BOOK_IS(b, 1, ((int[]){6, 1}), 1, ((int[]){12, 2}));
	book_sync__free(b);
}

static void bybit_plus_one_chain(void)
{
	struct book_sync *b = mk(VENUE_BOOK_PLUS_ONE, false, 10, 16);

	REQUIRE(b);
	DIFF(b, 0, 50, 0, FEED_F_SNAPSHOT, 1, 1, (int[]){10, 1, 11, 1});
	DIFF(b, 0, 51, 0, 0, 1, 0, (int[]){10, 2});
	DIFF(b, 0, 51, 0, 0, 1, 0, (int[]){10, 9}); /* repeated: stale */
	BOOK_IS(b, 1, ((int[]){10, 2}), 1, ((int[]){11, 1}));
	DIFF(b, 0, 53, 0, 0, 1, 0, (int[]){10, 3}); /* 52 lost */
	CHECK(S.invalid == 1 && S.miss_first == 52 && S.miss_last == 52);
	/* u == 1: the service restarted, this is a snapshot */
	DIFF(b, 0, 1, 0, 0, 1, 1, (int[]){5, 1, 6, 1});
	CHECK(S.resynced == 1 && book_sync__state(b) == BOOK_SYNC_SYNCED);
	BOOK_IS(b, 1, ((int[]){5, 1}), 1, ((int[]){6, 1}));
	DIFF(b, 0, 2, 0, 0, 0, 1, (int[]){7, 1});
	BOOK_IS(b, 1, ((int[]){5, 1}), 2, ((int[]){6, 1, 7, 1}));
	/* a snapshot resets a synced book too */
	DIFF(b, 0, 9, 0, FEED_F_SNAPSHOT, 0, 1, (int[]){8, 1});
	BOOK_IS(b, 0, ((int[]){0}), 1, ((int[]){8, 1}));
	book_sync__free(b);
}

static void known_depth(void)
{
	struct book_sync *b = mk(VENUE_BOOK_BINANCE_SPOT, true, 3, 16);
	uint32_t kb, ka;

	REQUIRE(b);
	DIFF(b, 11, 11, 0, 0, 0, 0, (int[]){0});
	/* 3 bids = the limit: levels below 98 unknown; 2 asks: the whole side */
	serve("{\"lastUpdateId\":10,\"bids\":[[\"100\",\"1\"],[\"99\",\"1\"],[\"98\",\"1\"]],"
	      "\"asks\":[[\"101\",\"1\"],[\"102\",\"1\"]]}");
	CHECK(book_sync__known(b, &kb, &ka) == 2 && kb == 3 && ka == 2);
	DIFF(b, 12, 12, 0, 0, 1, 1, (int[]){97, 1, 150, 1}); /* below the known bids */
	CHECK(book_sync__known(b, &kb, &ka) == 3 && kb == 3 && ka == 3);
	DIFF(b, 13, 13, 0, 0, 1, 0, (int[]){99, 0});
	CHECK(book_sync__known(b, &kb, &ka) == 2 && kb == 2);
	book_sync__free(b);
}

static void first_diff_is_the_book(void)
{
	struct book_sync_conf c = {
	    .rule = VENUE_BOOK_BINANCE_SPOT, .depth = 10, .cap = 64, .first_is_snapshot = true,
	    .hooks = {.on_change = on_change, .on_status = on_status},
	};
	struct book_sync *b;

	memset(&S, 0, sizeof(S));
	REQUIRE(book_sync__new(&b, "BTCUSDT", 7, &c) == 0);
	DIFF(b, 1, 500, 0, 0, 2, 1, (int[]){10, 1, 9, 0, 11, 1});
	CHECK(book_sync__state(b) == BOOK_SYNC_SYNCED && S.snapshots == 1);
	BOOK_IS(b, 1, ((int[]){10, 1}), 1, ((int[]){11, 1}));
	DIFF(b, 501, 502, 0, 0, 1, 0, (int[]){9, 2});
	BOOK_IS(b, 2, ((int[]){10, 1, 9, 2}), 1, ((int[]){11, 1}));
	DIFF(b, 505, 506, 0, 0, 1, 0, (int[]){9, 3}); /* gap: nothing to resync from */
	CHECK(S.invalid == 1 && book_sync__state(b) == BOOK_SYNC_STUCK);
	CHECK(book_sync__book(b)->bids.n == 0);
	book_sync__free(b);
}

static void refuses_bad_diffs(void)
{
	struct book_sync *b = mk(VENUE_BOOK_BINANCE_SPOT, true, 10, 16);
	struct book_sync_stats st;

	REQUIRE(b);
	CHECK(book_sync__diff(b, dm(5, 4, 0, 0, 0, 0, (int[]){0}), 0, 0) == -EINVAL);
	CHECK(book_sync__diff(b, dm(5, 6, 0, 0, 1, 0, (int[]){0, 1}), 0, 0) == -EINVAL);
	book_sync__stats(b, &st);
	CHECK(st.refused == 2 && st.buffered == 0 && F.requests == 0);
	book_sync__free(b);
}

static void snapshot_path_and_parse(void)
{
	char path[128];
	int n = venue_binance.snapshot_path("BTCUSDT", 1000, path, sizeof(path));

	CHECK(n > 0 && !strcmp(path, "/api/v3/depth?symbol=BTCUSDT&limit=1000"));
	n = venue_binance_usdm.snapshot_path("ETHUSDT", 200, path, sizeof(path));
	CHECK(n > 0 && !strcmp(path, "/fapi/v1/depth?symbol=ETHUSDT&limit=500"));
	CHECK(venue_binance.snapshot_path("btc/usdt", 10, path, sizeof(path)) == -EINVAL);
	CHECK(venue_binance.snapshot_path("BTCUSDT", 10, path, 8) == -ENOSPC);

	struct feed_book_snapshot s;
	const char *body = "{\"lastUpdateId\":1027024,\"bids\":[[\"4.00000000\",\"431.00000000\"]],"
			   "\"asks\":[[\"4.00000200\",\"12.00000000\"],[\"5\",\"1\"]]}";
	CHECK(venue_binance.snapshot_parse(snap_parser, (const uint8_t *)body, strlen(body), &s) ==
	      0);
	CHECK(s.last_update_id == 1027024 && s.n_bids == 1 && s.n_asks == 2);
	CHECK(s.bids[0].price == PX(4) && s.bids[0].qty == PX(431));
	CHECK(s.asks[0].price == 400000200 && s.asks[1].qty == PX(1));
	body = "{\"lastUpdateId\":1,\"bids\":[[\"1\",\"x\"]],\"asks\":[]}";
	CHECK(venue_binance.snapshot_parse(snap_parser, (const uint8_t *)body, strlen(body), &s) <
	      0);
}

int main(void)
{
	if (venue_binance.snapshot_parser_new(&snap_parser, 100)) {
		printf("FAIL main: no snapshot parser\n");
		return 1;
	}
	RUN(spot_snapshot_and_buffer);
	RUN(spot_late_snapshot_refetched);
	RUN(spot_gap_resyncs_into_fresh_book);
	RUN(spot_gap_inside_buffer);
	RUN(usdm_pu_chain);
	RUN(usdm_snapshot_between_pu_and_U);
	RUN(buffer_full_starts_over);
	RUN(failing_source_retried);
	RUN(okx_prev_id_chain);
	RUN(bybit_plus_one_chain);
	RUN(known_depth);
	RUN(first_diff_is_the_book);
	RUN(refuses_bad_diffs);
	RUN(snapshot_path_and_parse);
	venue_binance.parser_free(snap_parser);
	return check_exit();
}

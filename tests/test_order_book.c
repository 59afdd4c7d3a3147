/* Tests for order_book: snapshot loading and ordering, Binance's
 * sequencing rules (stale, straddling first event, gaps, no snapshot),
 * level add/update/remove, capacity limits, and a long random run against
 * a brute-force reference book. Depth messages go through binance_parse. */
#include "check.h"
#include "venue/binance_parse.h"
#include "feed/order_book.h"

#include <errno.h>

static struct json_tok toks[1024];
static struct feed_level levels[256];
static struct binance_parser P;
static struct feed_msg M;

#define PX(x) ((int64_t)(x) * FEED_SCALE)

/* check.h evaluates a passing condition twice, so a call with side effects
 * must run once outside it. */
#define EXPECT_APPLY(ob, msg, want)                                          \
	do {                                                                 \
		int rc_ = order_book__apply(ob, msg);                        \
		CHECKF(rc_ == (want), "line %d: apply %d, want %d", __LINE__, rc_, (want)); \
	} while (0)
#define REQUIRE_APPLY(ob, msg, want)                                         \
	do {                                                                 \
		int rc_ = order_book__apply(ob, msg);                        \
		REQUIRE(rc_ == (want));                                      \
	} while (0)

/* Parse a depthUpdate for BTCUSDT with U/u and the given level JSON. */
static const struct feed_msg *depth(uint64_t U, uint64_t u, const char *bids, const char *asks)
{
	static char buf[4096];
	int n = snprintf(buf, sizeof(buf),
			 "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":%llu,\"u\":%llu,"
			 "\"b\":[%s],\"a\":[%s]}",
			 (unsigned long long)U, (unsigned long long)u, bids, asks);
	if (binance_parse(&P, buf, (size_t)n, &M) != 0)
		M.type = FEED_MSG_UNKNOWN;
	return &M;
}

static struct order_book *snap100(uint32_t cap)
{
	struct order_book *ob;
	order_book__new(&ob, "BTCUSDT", cap);
	/* out of order on purpose, and one zero quantity to skip */
	struct feed_level b[] = { { PX(99), PX(1) }, { PX(100), PX(2) }, { PX(98), 0 },
				  { PX(97), PX(3) } };
	struct feed_level a[] = { { PX(103), PX(5) }, { PX(101), PX(4) } };
	if (ob && order_book__snapshot(ob, 100, b, 4, a, 2) != 0) {
		order_book__free(ob);
		return NULL;
	}
	return ob;
}

static void snapshot_sorted(void)
{
	struct order_book *ob = snap100(16);
	struct feed_level best;

	REQUIRE(ob);
	CHECK(ob->state == ORDER_BOOK_SYNCED && ob->last_update_id == 100);
	REQUIRE(ob->bids.n == 3 && ob->asks.n == 2);
	CHECK(ob->bids.lv[0].price == PX(100) && ob->bids.lv[1].price == PX(99) &&
	      ob->bids.lv[2].price == PX(97));
	CHECK(ob->asks.lv[0].price == PX(101) && ob->asks.lv[1].price == PX(103));
	CHECK(order_book__best_bid(ob, &best) == 1 && best.price == PX(100) && best.qty == PX(2));
	CHECK(order_book__best_ask(ob, &best) == 1 && best.price == PX(101));
	struct feed_level bad = { PX(1), -1 };
	CHECK(order_book__snapshot(ob, 200, &bad, 1, NULL, 0) == -EINVAL);
	CHECK(ob->last_update_id == 100 && ob->bids.n == 3);
	order_book__free(ob);
}

static void sequencing_rules(void)
{
	struct order_book *ob;
	order_book__new(&ob, "BTCUSDT", 16);

	REQUIRE(ob);
	/* before a snapshot: buffer */
	EXPECT_APPLY(ob, depth(90, 95, "", ""), -EAGAIN);
	order_book__free(ob);

	ob = snap100(16);
	REQUIRE(ob);
	/* u <= lastUpdateId: stale, dropped */
	EXPECT_APPLY(ob, depth(80, 99, "[\"100\",\"0\"]", ""), ORDER_BOOK_STALE);
	EXPECT_APPLY(ob, depth(95, 100, "[\"100\",\"0\"]", ""), ORDER_BOOK_STALE);
	CHECK(ob->bids.lv[0].price == PX(100) && ob->stale == 2);
	/* first event straddles lastUpdateId+1 */
	EXPECT_APPLY(ob, depth(95, 105, "[\"100\",\"7\"]", ""), ORDER_BOOK_APPLIED);
	CHECK(ob->last_update_id == 105 && ob->bids.lv[0].qty == PX(7));
	/* continuous */
	EXPECT_APPLY(ob, depth(106, 110, "", "[\"101\",\"0\"]"), 0);
	CHECK(ob->asks.n == 1 && ob->asks.lv[0].price == PX(103));
	/* a gap: 111 missing */
	EXPECT_APPLY(ob, depth(112, 115, "[\"50\",\"1\"]", ""), -EPIPE);
	CHECK(ob->state == ORDER_BOOK_GAP && ob->gaps == 1 && ob->last_update_id == 110);
	CHECK(ob->bids.n == 3); /* nothing applied */
	/* stays out of sync, even for a would-be continuous event */
	EXPECT_APPLY(ob, depth(111, 112, "", ""), -EPIPE);
	/* a new snapshot recovers */
	struct feed_level b = { PX(10), PX(1) };
	int rc = order_book__snapshot(ob, 200, &b, 1, NULL, 0);
	CHECK(rc == 0);
	CHECK(ob->bids.n == 1 && ob->asks.n == 0);
	EXPECT_APPLY(ob, depth(201, 201, "", "[\"11\",\"1\"]"), 0);
	CHECK(ob->applied == 3);
	order_book__free(ob);
}

static void first_event_after_snapshot_too_new(void)
{
	struct order_book *ob = snap100(16);

	REQUIRE(ob);
	/* U = 102 > 101: event 101 was missed */
	EXPECT_APPLY(ob, depth(102, 105, "", ""), -EPIPE);
	order_book__free(ob);
}

static void bad_input(void)
{
	struct order_book *ob = snap100(16);
	struct feed_msg other;

	REQUIRE(ob);
	EXPECT_APPLY(ob, depth(105, 101, "", ""), -EINVAL); /* U > u */
	EXPECT_APPLY(ob, depth(101, 102, "[\"-1\",\"1\"]", ""), -EINVAL);
	EXPECT_APPLY(ob, depth(101, 102, "[\"1\",\"-1\"]", ""), -EINVAL);
	CHECK(ob->last_update_id == 100 && ob->state == ORDER_BOOK_SYNCED);
	other = *depth(101, 102, "", "");
	other.symbol.ptr = "ETHUSDT";
	EXPECT_APPLY(ob, &other, -EINVAL);
	memset(&other, 0, sizeof(other));
	other.type = FEED_MSG_TRADE;
	EXPECT_APPLY(ob, &other, -EINVAL);
	order_book__free(ob);
	CHECK(order_book__new(&ob, "", 4) == -EINVAL && !ob);
	CHECK(order_book__new(&ob, "BTCUSDT", 0) == -EINVAL && !ob);
	CHECK(order_book__new(&ob, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 4) == -EINVAL && !ob);
	order_book__free(NULL);
}

static void levels_add_update_remove(void)
{
	struct order_book *ob = snap100(16);

	REQUIRE(ob);
	REQUIRE_APPLY(ob, depth(101, 101,
					    "[\"99.5\",\"1\"],[\"99\",\"0\"],[\"42\",\"0\"],"
					    "[\"100\",\"0.5\"]",
					    "[\"102\",\"2\"],[\"101\",\"0.00000001\"]"), 0);
	REQUIRE(ob->bids.n == 3);
	CHECK(ob->bids.lv[0].price == PX(100) && ob->bids.lv[0].qty == FEED_SCALE / 2);
	CHECK(ob->bids.lv[1].price == 9950000000LL && ob->bids.lv[1].qty == PX(1));
	CHECK(ob->bids.lv[2].price == PX(97));
	REQUIRE(ob->asks.n == 3);
	CHECK(ob->asks.lv[0].price == PX(101) && ob->asks.lv[0].qty == 1);
	CHECK(ob->asks.lv[1].price == PX(102) && ob->asks.lv[2].price == PX(103));
	/* remove everything */
	REQUIRE_APPLY(ob, depth(102, 102,
					    "[\"100\",\"0\"],[\"99.5\",\"0\"],[\"97\",\"0\"]",
					    "[\"101\",\"0\"],[\"102\",\"0\"],[\"103\",\"0\"]"), 0);
	struct feed_level best;
	CHECK(ob->bids.n == 0 && ob->asks.n == 0);
	CHECK(order_book__best_bid(ob, &best) == 0 && order_book__best_ask(ob, &best) == 0);
	order_book__free(ob);
}

static void capacity_keeps_best(void)
{
	struct order_book *ob = snap100(3); /* bids 100, 99, 97 fill it */

	REQUIRE(ob);
	CHECK(ob->bids.n == 3 && ob->truncated == 0);
	/* worse than all kept: not stored */
	EXPECT_APPLY(ob, depth(101, 101, "[\"96\",\"1\"]", ""), 0);
	CHECK(ob->bids.n == 3 && ob->bids.lv[2].price == PX(97) && ob->truncated == 1);
	/* better: evicts 97 */
	EXPECT_APPLY(ob, depth(102, 102, "[\"98\",\"1\"]", ""), 0);
	CHECK(ob->bids.n == 3 && ob->bids.lv[2].price == PX(98) && ob->truncated == 2);
	EXPECT_APPLY(ob, depth(103, 103, "[\"200\",\"1\"]", ""), 0);
	CHECK(ob->bids.lv[0].price == PX(200) && ob->bids.lv[2].price == PX(99));
	/* updating an existing level of a full side loses nothing */
	EXPECT_APPLY(ob, depth(104, 104, "[\"99\",\"9\"]", ""), 0);
	CHECK(ob->truncated == 3 && ob->bids.lv[2].qty == PX(9));
	order_book__free(ob);
}

/* Reference: an unsorted array of (price, qty), brute force. */
struct ref {
	struct feed_level lv[512];
	int n;
};

static void ref_set(struct ref *r, int64_t px, int64_t q)
{
	for (int i = 0; i < r->n; i++)
		if (r->lv[i].price == px) {
			if (q)
				r->lv[i].qty = q;
			else
				r->lv[i] = r->lv[--r->n];
			return;
		}
	if (q)
		r->lv[r->n++] = (struct feed_level){ px, q };
}

static int ref_matches(const struct ref *r, const struct order_book_side *s)
{
	if ((int)s->n != r->n)
		return 0;
	for (uint32_t i = 0; i < s->n; i++) {
		if (i && (s->desc ? s->lv[i - 1].price <= s->lv[i].price
				  : s->lv[i - 1].price >= s->lv[i].price))
			return 0;
		int found = 0;
		for (int k = 0; k < r->n; k++)
			if (r->lv[k].price == s->lv[i].price && r->lv[k].qty == s->lv[i].qty)
				found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

static void random_against_reference(void)
{
	static struct ref rb, ra;
	struct order_book *ob;
	order_book__new(&ob, "BTCUSDT", 512);
	uint64_t s = 42, id = 1000;
	char bids[2048], asks[2048];

	REQUIRE(ob);
	rb.n = ra.n = 0;
	REQUIRE(order_book__snapshot(ob, id, NULL, 0, NULL, 0) == 0);
	for (int round = 0; round < 3000; round++) {
		int nb = 0, na = 0;
		size_t kb = 0, ka = 0;
		int levels_n = 1 + (int)((s = s * 6364136223846793005ull + 1) >> 60);
		for (int k = 0; k < levels_n; k++) {
			s = s * 6364136223846793005ull + 1;
			int bid = (s >> 33) & 1;
			int tick = (int)((s >> 40) % 200) + 1; /* prices 0.01 .. 2.00 */
			int qty = (s >> 50) % 4 ? (int)((s >> 20) % 1000) : 0;
			char *dst = bid ? bids : asks;
			size_t *kk = bid ? &kb : &ka;
			*kk += (size_t)snprintf(dst + *kk, 2048 - *kk, "%s[\"%d.%02d\",\"%d\"]",
						(bid ? nb++ : na++) ? "," : "", tick / 100, tick % 100,
						qty);
			ref_set(bid ? &rb : &ra, (int64_t)tick * 1000000, PX(qty));
		}
		bids[kb] = asks[ka] = 0;
		uint64_t first = id + 1, last = id + 1 + (s >> 62);
		int rc = order_book__apply(ob, depth(first, last, bids, asks));
		CHECKF(rc == 0, "round %d: %d", round, rc);
		id = last;
		if (round % 100 == 0) /* a stale replay changes nothing */
			EXPECT_APPLY(ob, depth(first, last, "[\"9\",\"9\"]", ""), ORDER_BOOK_STALE);
		CHECKF(ref_matches(&rb, &ob->bids) && ref_matches(&ra, &ob->asks), "round %d",
		       round);
		if (check__case_failed)
			break;
	}
	CHECK(ob->truncated == 0 && ob->bids.n > 50 && ob->asks.n > 50);
	order_book__free(ob);
}

int main(void)
{
	binance_parser__init(&P, toks, 1024, levels, 256);
	RUN(snapshot_sorted);
	RUN(sequencing_rules);
	RUN(first_event_after_snapshot_too_new);
	RUN(bad_input);
	RUN(levels_add_update_remove);
	RUN(capacity_keeps_best);
	RUN(random_against_reference);
	return check_exit();
}

/* Fuzz target: order_book, differential against a price-indexed model.
 * Input: the capacity per side, a snapshot, then depth updates (ids and
 * levels; quantity 0 removes). After every step: bids strictly descending,
 * asks strictly ascending, no zero or negative quantity, no more than the
 * capacity; the update's outcome (applied, stale, gap, refused) is the one
 * Binance's rules give; and while no level was ever dropped for capacity
 * the book equals the model exactly. */
#include "fuzz.h"

#include <errno.h>

#include "feed/order_book.h"

#define NPRICE 512 /* prices 1 .. NPRICE-1 */
#define MAX_LV 64

static int64_t model[2][NPRICE]; /* [0] bids, [1] asks: quantity by price */

static void check_side(const struct order_book_side *s, int desc, int exact, const int64_t *mq)
{
	FUZZ_ASSERT(s->n <= s->cap);
	for (uint32_t i = 0; i < s->n; i++) {
		FUZZ_ASSERT(s->lv[i].qty > 0 && s->lv[i].price > 0);
		if (i)
			FUZZ_ASSERT(desc ? s->lv[i - 1].price > s->lv[i].price
					 : s->lv[i - 1].price < s->lv[i].price);
	}
	if (!exact)
		return;
	uint32_t k = 0;
	for (int j = 0; j < NPRICE; j++) {
		int pr = desc ? NPRICE - 1 - j : j;

		if (!mq[pr])
			continue;
		FUZZ_ASSERT(k < s->n);
		FUZZ_ASSERT(s->lv[k].price == pr && s->lv[k].qty == mq[pr]);
		k++;
	}
	FUZZ_ASSERT(k == s->n);
}

static uint32_t levels(struct fz *f, struct feed_level *lv, int bad_ok)
{
	uint32_t n = fz_u8(f) % (MAX_LV / 2 + 1);

	for (uint32_t i = 0; i < n; i++) {
		uint16_t p = fz_u16(f);
		uint8_t q = fz_u8(f);

		lv[i].price = p % NPRICE;
		if (!bad_ok && lv[i].price == 0)
			lv[i].price = 1;
		lv[i].qty = q < 0x40 ? 0 : q == 0xff && bad_ok ? -1 : q;
	}
	return n;
}

static int levels_ok(const struct feed_level *lv, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (lv[i].price <= 0 || lv[i].qty < 0)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint32_t cap = 1 + fz_u8(&f) % 40;
	struct order_book *ob = NULL;
	struct feed_level lv[MAX_LV];
	uint64_t last = 0;
	int state = 0; /* 0 no snapshot, 1 synced, 2 gap */
	uint64_t drops_base = 0;

	FUZZ_ASSERT(order_book__new(&ob, "BTCUSDT", cap) == 0);
	memset(model, 0, sizeof(model));
	for (int ops = 0; f.n && ops < 200; ops++) {
		uint8_t op = fz_u8(&f);

		if (op < 0x10) { /* snapshot */
			uint64_t id = fz_u16(&f);
			uint32_t nb = levels(&f, lv, op & 1), na = levels(&f, lv + nb, op & 1);
			uint64_t t0 = ob->truncated;
			int rc = order_book__snapshot(ob, id, lv, nb, lv + nb, na);
			int ok = levels_ok(lv, nb + na);

			FUZZ_ASSERT(rc == (ok ? 0 : -EINVAL));
			if (ok) {
				memset(model, 0, sizeof(model));
				/* later levels of a side win, as in an update */
				for (uint32_t i = 0; i < nb + na; i++)
					model[i >= nb][lv[i].price] = lv[i].qty;
				last = id;
				state = 1;
				drops_base = t0; /* what counts is drops since the snapshot */
			}
		} else { /* depthUpdate */
			struct feed_msg m = { .type = FEED_MSG_DEPTH };
			uint64_t U = last + (uint64_t)(int8_t)fz_u8(&f);
			uint64_t u = U + fz_u8(&f) % 4;

			if (op & 0x80)
				U = u + 1; /* U > u */
			m.symbol.ptr = op & 0x40 && (op & 0x20) ? "ETHUSDT" : "BTCUSDT";
			m.symbol.len = 7;
			m.first_id = U;
			m.last_id = u;
			m.n_bids = levels(&f, lv, op & 1);
			m.n_asks = levels(&f, lv + m.n_bids, op & 1);
			m.bids = lv;
			m.asks = lv + m.n_bids;
			int rc = order_book__apply(ob, &m), want;

			if (U > u || memcmp(m.symbol.ptr, "BTCUSDT", 7) ||
			    !levels_ok(lv, m.n_bids + m.n_asks))
				want = -EINVAL;
			else if (state == 0)
				want = -EAGAIN;
			else if (state == 2)
				want = -EPIPE;
			else if (u <= last)
				want = ORDER_BOOK_STALE;
			else if (U > last + 1)
				want = -EPIPE, state = 2;
			else
				want = ORDER_BOOK_APPLIED;
			FUZZ_ASSERT(rc == want);
			if (rc == ORDER_BOOK_APPLIED) {
				for (uint32_t i = 0; i < m.n_bids + m.n_asks; i++)
					model[i >= m.n_bids][lv[i].price] = lv[i].qty;
				last = u;
			}
		}
		FUZZ_ASSERT(ob->last_update_id == last || state == 0);
		FUZZ_ASSERT((int)ob->state == state);
		int exact = state && ob->truncated == drops_base;

		check_side(&ob->bids, 1, exact, model[0]);
		check_side(&ob->asks, 0, exact, model[1]);
		struct feed_level b, a;
		if (order_book__best_bid(ob, &b))
			FUZZ_ASSERT(b.price == ob->bids.lv[0].price);
		if (order_book__best_ask(ob, &a))
			FUZZ_ASSERT(a.price == ob->asks.lv[0].price);
	}
	order_book__free(ob);
	return 0;
}

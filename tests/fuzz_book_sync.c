/* Fuzz target: book_sync (Binance spot and USD-M rules) against a true
 * book. The input drives an exchange: changes to the true book sent as
 * diffs (some lost, some repeated), snapshots served from the truth now or
 * from an older copy (late), and the sync's buffer kept small so it
 * overflows. Whenever the synced book has reached the truth's last update
 * it must equal the truth level for level; sides stay sorted, and a lost
 * diff is always found (the book never reports synced at the truth's id
 * while holding anything else). */
#include "fuzz.h"

#include <errno.h>

#include "core/fx_log.h"
#include "feed/book_sync.h"

#define NPX 64 /* prices 1..NPX-1: bids and asks from one grid, sides apart */

struct truth {
	int64_t q[2][NPX]; /* [0] bids, [1] asks */
	uint64_t id;
};

static struct truth T, OLD;
static uint64_t pending, next_handle;

static int src_request(void *ctx, const char *symbol, uint32_t limit, book_snapshot_cb cb,
		       void *arg, uint64_t *handle)
{
	(void)ctx, (void)symbol, (void)limit, (void)cb, (void)arg;
	*handle = pending = ++next_handle;
	return 0;
}

static void src_cancel(void *ctx, uint64_t handle)
{
	(void)ctx;
	if (handle == pending)
		pending = 0;
}

static const struct book_snapshot_source_ops src_ops = {src_request, src_cancel};
static struct book_snapshot_source SRC = {&src_ops, NULL};

/* Snapshots are handed over parsed here: a body never comes. */
static int no_parse(void *parser, const uint8_t *body, size_t n, struct feed_book_snapshot *out)
{
	(void)parser, (void)body, (void)n, (void)out;
	return -EINVAL;
}

static void serve(struct book_sync *b, const struct truth *t)
{
	struct feed_level lv[2][NPX];
	struct feed_book_snapshot s = {.last_update_id = t->id};

	for (int p = 1; p < NPX; p++)
		for (int k = 0; k < 2; k++)
			if (t->q[k][p]) {
				uint32_t *n = k ? &s.n_asks : &s.n_bids;
				lv[k][*n].price = p;
				lv[k][*n].qty = t->q[k][p];
				(*n)++;
			}
	s.bids = lv[0];
	s.asks = lv[1];
	pending = 0;
	book_sync__snapshot(b, &s, 1);
}

static void check(struct book_sync *b)
{
	const struct order_book *ob = book_sync__book(b);

	for (int k = 0; k < 2; k++) {
		const struct order_book_side *s = k ? &ob->asks : &ob->bids;

		for (uint32_t i = 0; i < s->n; i++) {
			FUZZ_ASSERT(s->lv[i].qty > 0);
			if (i)
				FUZZ_ASSERT(k ? s->lv[i - 1].price < s->lv[i].price
					      : s->lv[i - 1].price > s->lv[i].price);
		}
	}
	if (book_sync__state(b) != BOOK_SYNC_SYNCED || ob->last_update_id != T.id)
		return;
	for (int k = 0; k < 2; k++) {
		const struct order_book_side *s = k ? &ob->asks : &ob->bids;
		uint32_t n = 0;

		for (int p = 1; p < NPX; p++) {
			int pr = k ? p : NPX - p;

			if (!T.q[k][pr])
				continue;
			FUZZ_ASSERT(n < s->n && s->lv[n].price == pr && s->lv[n].qty == T.q[k][pr]);
			n++;
		}
		FUZZ_ASSERT(n == s->n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	bool usdm = fz_u8(&f) & 1;
	const struct book_sync_conf c = {
	    .rule = usdm ? VENUE_BOOK_BINANCE_USDM : VENUE_BOOK_BINANCE_SPOT,
	    .depth = NPX, .cap = NPX, .buf_diffs = 1 + fz_u8(&f) % 16, .buf_levels = 256,
	    .src = &SRC, .snapshot_parse = no_parse,
	};
	struct book_sync *b;
	struct feed_level lv[16];
	struct feed_msg m;

	fx_log_set_level(FX_LOG_ERROR); /* gaps are the point here: not news */
	memset(&T, 0, sizeof(T));
	T.id = 1000;
	OLD = T;
	pending = 0;
	if (book_sync__new(&b, "FUZZ", 4, &c))
		return 0;
	while (f.n) {
		uint8_t op = fz_u8(&f);

		switch (op % 4) {
		case 0:
		case 1: { /* a change: a diff of up to 16 levels, maybe lost */
			uint32_t n = fz_u8(&f) % 16, nb = 0;
			uint64_t skip = fz_u8(&f) % 3; /* USD-M ids jump */

			for (uint32_t i = 0; i < n; i++) {
				uint8_t x = fz_u8(&f);
				int side = x & 1, p = 1 + (x >> 1) % (NPX - 1);
				int64_t q = fz_u8(&f) % 4;

				/* bids first in the message */
				if (side == 0) {
					memmove(lv + nb + 1, lv + nb, (i - nb) * sizeof(lv[0]));
					lv[nb++] = (struct feed_level){p, q};
				} else {
					lv[i] = (struct feed_level){p, q};
				}
				T.q[side][p] = q;
			}
			memset(&m, 0, sizeof(m));
			m.type = FEED_MSG_DEPTH;
			m.symbol.ptr = "FUZZ";
			m.symbol.len = 4;
			m.first_id = T.id + 1 + (usdm ? skip : 0);
			m.last_id = m.first_id + fz_u8(&f) % 3;
			m.prev_id = T.id;
			m.fields = usdm ? FEED_F_PREV_ID : 0;
			m.bids = lv;
			m.n_bids = nb;
			m.asks = lv + nb;
			m.n_asks = n - nb;
			T.id = m.last_id;
			if (!(op & 0x80)) /* 1 in 2: lost */
				FUZZ_ASSERT(book_sync__diff(b, &m, 1, 1) == 0);
			if (op & 0x40) /* repeated: stale */
				FUZZ_ASSERT(book_sync__diff(b, &m, 1, 1) == 0);
			break;
		}
		case 2: /* the snapshot: current, or the older copy */
			if (pending)
				serve(b, (op & 0x80) ? &OLD : &T);
			break;
		case 3:
			OLD = T;
			break;
		}
		check(b);
	}
	book_sync__free(b);
	return 0;
}

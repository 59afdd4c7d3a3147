/* Tests for --transport tap's pieces that need no kernel: tap_rx_parse
 * (record bounds: short samples, bad magic, lengths of 0, beyond the
 * sample and beyond FX_TAP_SNAP), tap_ring_drain over a ring built in
 * memory (batches, a record still being written stops the walk, discarded
 * and bad records are skipped but leave the ring, the consumer position
 * moves only after batch_end, the budget), and deliver's lead mode (the
 * shadow ahead of a healthy fast path holds its messages; the fast path
 * catching up compares and drops them; a failover delivers the rest in
 * order; the hold's bounds). */
#include <errno.h>

#include "check.h"
#include "fast/tap_rx.h"
#include "link/deliver.h"

#define RING 16384u

/* the data area twice in a row, as the kernel maps it */
static uint8_t area[2 * RING] __attribute__((aligned(8)));
static uint64_t cons_pos, prod_pos;

static struct tap_ring ring_view(void)
{
	return (struct tap_ring){&cons_pos, &prod_pos, area, RING - 1};
}

/* Append one record of frame length flen (payload byte = tag), with ring
 * header bits hdr_bits; returns its position. */
static uint64_t put_rec(uint32_t flen, uint8_t tag, uint32_t hdr_bits, uint32_t magic)
{
	uint32_t sample = (uint32_t)sizeof(struct fx_tap_hdr) + flen;
	uint64_t at = prod_pos;
	uint8_t rec[TAP_RING_HDR_SZ + sizeof(struct fx_tap_rec)] = {0};
	struct fx_tap_hdr h = {.rx_ns = 1000 + tag, .len = flen, .rx_queue = 3, .magic = magic};
	uint32_t rh = sample | hdr_bits;
	size_t total = (sample + TAP_RING_HDR_SZ + 7) & ~7u;

	memcpy(rec, &rh, 4);
	memcpy(rec + TAP_RING_HDR_SZ, &h, sizeof(h));
	memset(rec + TAP_RING_HDR_SZ + sizeof(h), tag, flen);
	for (size_t i = 0; i < total; i++) {
		area[(at + i) & (RING - 1)] = rec[i];
		area[((at + i) & (RING - 1)) + RING] = rec[i];
	}
	prod_pos += total;
	return at;
}

struct seen {
	unsigned frames, batches;
	uint8_t tags[64];
	uint64_t cons_at_batch_end;
	uint64_t stamp;
};

static void on_frame(void *user, const struct xsk_rx_frame *f)
{
	struct seen *s = user;

	if (s->frames < 64)
		s->tags[s->frames] = f->data[f->len - 1];
	s->stamp = f->meta ? f->meta->rx_ns : 0;
	s->frames++;
}

static void on_batch_end(void *user, const struct xsk_rx_frame *frames, unsigned n)
{
	struct seen *s = user;

	(void)frames, (void)n;
	s->batches++;
	s->cons_at_batch_end = cons_pos;
}

static const struct xsk_rx_handler handler = {.frame = on_frame, .batch_end = on_batch_end};

static void reset_ring(void)
{
	memset(area, 0, sizeof(area));
	cons_pos = prod_pos = 0;
}

static void parse_bounds(void)
{
	uint8_t buf[sizeof(struct fx_tap_rec)] = {0};
	struct fx_tap_hdr h = {.rx_ns = 5, .len = 60, .rx_queue = 1, .magic = FX_TAP_MAGIC};
	struct xsk_rx_frame f;
	struct fx_xdp_meta m;

	memcpy(buf, &h, sizeof(h));
	CHECK(tap_rx_parse(buf, sizeof(h) + 60, &f, &m) == 0);
	CHECK(f.len == 60 && f.data == buf + sizeof(h) && f.queue == 1);
	CHECK(f.meta == &m && m.rx_ns == 5 && m.magic == FX_META_MAGIC);
	CHECK(tap_rx_parse(buf, sizeof(h) + 59, &f, &m) == -EBADMSG);  /* beyond the sample */
	CHECK(tap_rx_parse(buf, sizeof(h) - 1, &f, &m) == -EBADMSG);   /* no whole header */
	CHECK(tap_rx_parse(buf, 0, &f, &m) == -EBADMSG);
	h.len = 0;
	memcpy(buf, &h, sizeof(h));
	CHECK(tap_rx_parse(buf, sizeof(buf), &f, &m) == -EBADMSG);
	h.len = FX_TAP_SNAP + 1;
	memcpy(buf, &h, sizeof(h));
	CHECK(tap_rx_parse(buf, UINT32_MAX, &f, &m) == -EBADMSG);
	h.len = FX_TAP_SNAP;
	memcpy(buf, &h, sizeof(h));
	CHECK(tap_rx_parse(buf, sizeof(buf), &f, &m) == 0);
	h.magic = FX_META_MAGIC;
	memcpy(buf, &h, sizeof(h));
	CHECK(tap_rx_parse(buf, sizeof(buf), &f, &m) == -EBADMSG);
}

static void drain_in_order_and_skips(void)
{
	struct tap_ring r;
	struct tap_rx_stats st = {0};
	struct seen s = {0};

	reset_ring();
	r = ring_view();
	put_rec(60, 1, 0, FX_TAP_MAGIC);
	put_rec(1500, 2, 0, FX_TAP_MAGIC);
	put_rec(60, 9, TAP_RING_DISCARD, FX_TAP_MAGIC); /* skipped */
	put_rec(60, 9, 0, 0x1234);                      /* bad magic: skipped */
	put_rec(77, 3, 0, FX_TAP_MAGIC);
	CHECK(tap_ring_drain(&r, 256, &handler, &s, &st) == 3);
	CHECK(s.frames == 3 && s.tags[0] == 1 && s.tags[1] == 2 && s.tags[2] == 3);
	CHECK(st.discarded == 1 && st.bad == 1 && st.records == 5);
	CHECK(cons_pos == prod_pos);
	/* the batch's frames stay ours until batch_end: position moved after */
	CHECK(s.cons_at_batch_end == 0);
	CHECK(s.stamp == 1003);
	/* empty now */
	CHECK(tap_ring_drain(&r, 256, &handler, &s, &st) == 0 && st.empty_polls == 1);
}

static void busy_record_stops_and_wraps(void)
{
	struct tap_ring r;
	struct tap_rx_stats st = {0};
	struct seen s = {0};
	uint64_t busy_at;

	reset_ring();
	/* start near the end of the area: records cross the wrap */
	cons_pos = prod_pos = RING - 64;
	r = ring_view();
	put_rec(100, 1, 0, FX_TAP_MAGIC);
	busy_at = put_rec(100, 2, TAP_RING_BUSY, FX_TAP_MAGIC);
	put_rec(100, 3, 0, FX_TAP_MAGIC);
	CHECK(tap_ring_drain(&r, 256, &handler, &s, &st) == 1);
	CHECK(s.tags[0] == 1 && cons_pos == busy_at);
	/* committed: the walk goes on from there */
	{
		uint32_t rh;

		memcpy(&rh, &area[busy_at & (RING - 1)], 4);
		rh &= ~TAP_RING_BUSY;
		memcpy(&area[busy_at & (RING - 1)], &rh, 4);
		memcpy(&area[(busy_at & (RING - 1)) + RING], &rh, 4);
	}
	CHECK(tap_ring_drain(&r, 256, &handler, &s, &st) == 2);
	CHECK(s.tags[1] == 2 && s.tags[2] == 3 && cons_pos == prod_pos);
}

static void batches_and_budget(void)
{
	struct tap_ring r;
	struct tap_rx_stats st = {0};
	struct seen s = {0};

	reset_ring();
	r = ring_view();
	for (int i = 0; i < 100; i++)
		put_rec(60, (uint8_t)i, 0, FX_TAP_MAGIC);
	CHECK(tap_ring_drain(&r, 70, &handler, &s, &st) == 70);
	CHECK(s.batches == 2); /* 64 + 6 */
	CHECK(tap_ring_drain(&r, 256, &handler, &s, &st) == 30);
	CHECK(s.frames == 100 && cons_pos == prod_pos);
}

static void impossible_length_stops(void)
{
	struct tap_ring r;
	struct tap_rx_stats st = {0};
	struct seen s = {0};
	uint32_t rh = RING; /* longer than the ring can hold */

	reset_ring();
	r = ring_view();
	memcpy(area, &rh, 4);
	prod_pos = 64;
	CHECK(tap_ring_drain(&r, 256, &handler, &s, &st) == 0);
	CHECK(st.bad == 1 && s.frames == 0);
}

/* ---- deliver's lead mode ----------------------------------------------- */

static void lead_hold_then_catch_up(void)
{
	struct deliver *d;
	struct deliver_stats ds;
	struct lat_stamps st = {0};
	bool mm;

	REQUIRE(deliver__new(&d, 0) == 0);
	REQUIRE(deliver__allow_lead(d, 4, 64) == 0);
	CHECK(deliver__shadow_leads(d));
	CHECK(deliver__hold(d, 1, (const uint8_t *)"aaa", 3, &st) == 0);
	CHECK(deliver__hold(d, 1, (const uint8_t *)"bbb", 3, &st) == 0);
	CHECK(deliver__fast(d, (const uint8_t *)"aaa", 3));
	CHECK(deliver__fast(d, (const uint8_t *)"bXb", 3)); /* differs: counted */
	CHECK(deliver__fast(d, (const uint8_t *)"ccc", 3)); /* fast ahead now */
	CHECK(!deliver__shadow_leads(d));
	CHECK(!deliver__shadow(d, (const uint8_t *)"ccc", 3, &mm) && !mm);
	deliver__stats(d, &ds);
	CHECK(ds.compared == 3 && ds.mismatched == 1 && ds.held == 2 && ds.shadow == 0);
	deliver__free(d);
}

static void lead_failover_delivers_held_in_order(void)
{
	struct deliver *d;
	struct lat_stamps st = {0};
	const uint8_t *p;
	uint8_t op;
	size_t n;
	bool mm;

	REQUIRE(deliver__new(&d, 0) == 0);
	REQUIRE(deliver__allow_lead(d, 8, 64) == 0);
	CHECK(deliver__fast(d, (const uint8_t *)"m0", 2));
	CHECK(!deliver__shadow(d, (const uint8_t *)"m0", 2, &mm));
	CHECK(deliver__shadow_leads(d));
	st.at[0] = 11;
	CHECK(deliver__hold(d, 2, (const uint8_t *)"m1", 2, &st) == 0);
	st.at[0] = 12;
	CHECK(deliver__hold(d, 1, (const uint8_t *)"m2", 2, &st) == 0);
	deliver__fast_failed(d);
	CHECK(!deliver__shadow_leads(d));
	CHECK(deliver__pop_held(d, &op, &p, &n, &st) && n == 2 && !memcmp(p, "m1", 2) && op == 2 &&
	      st.at[0] == 11);
	CHECK(deliver__pop_held(d, &op, &p, &n, &st) && !memcmp(p, "m2", 2) && st.at[0] == 12);
	CHECK(!deliver__pop_held(d, &op, &p, &n, &st));
	/* then the shadow delivers from m3 on */
	CHECK(deliver__shadow(d, (const uint8_t *)"m3", 2, &mm));
	deliver__free(d);
}

static void lead_bounds(void)
{
	struct deliver *d;
	struct lat_stamps st = {0};
	uint8_t big[40] = {0};

	REQUIRE(deliver__new(&d, 0) == 0);
	/* without lead mode nothing is held */
	CHECK(!deliver__shadow_leads(d));
	CHECK(deliver__hold(d, 1, big, 1, &st) == -ENOSPC);
	REQUIRE(deliver__allow_lead(d, 3, 64) == 0);
	CHECK(deliver__hold(d, 1, big, 40, &st) == 0);
	CHECK(deliver__hold(d, 1, big, 40, &st) == -ENOSPC); /* bytes */
	CHECK(deliver__hold(d, 1, big, 20, &st) == 0);
	CHECK(deliver__hold(d, 1, big, 1, &st) == 0);
	CHECK(deliver__hold(d, 1, big, 1, &st) == -ENOSPC); /* count */
	/* the fast path takes the first: its bytes are free again (wrap) */
	CHECK(deliver__fast(d, big, 40));
	CHECK(deliver__hold(d, 1, big, 2, &st) == 0);       /* 3 again */
	CHECK(deliver__hold(d, 1, big, 1, &st) == -ENOSPC); /* count */
	CHECK(deliver__fast(d, big, 20));
	CHECK(deliver__hold(d, 1, big, 40, &st) == 0); /* wraps to the start */
	deliver__reset(d);
	CHECK(deliver__shadow_leads(d));
	CHECK(deliver__hold(d, 1, big, 40, &st) == 0);
	deliver__free(d);
}

int main(void)
{
	RUN(parse_bounds);
	RUN(drain_in_order_and_skips);
	RUN(busy_record_stops_and_wraps);
	RUN(batches_and_budget);
	RUN(impossible_length_stops);
	RUN(lead_hold_then_catch_up);
	RUN(lead_failover_delivers_held_in_order);
	RUN(lead_bounds);
	return check_exit();
}

/* Tests for tcp_reasm: an overlap matrix in the style of Suricata's
 * stream-tcp-list tests, with our own cases and first-copy-wins expectations
 * (every way a segment can meet held or delivered bytes) at ISNs that wrap, random reorder/duplicate/overlap
 * property tests against a byte-map reference model, caps and window
 * refusals that heal on resend, FIN/RST/SYN handling, 64-bit offsets past
 * 4 GiB, zero-copy delivery and set-up in caller memory. */
#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "core/fx_err.h"
#include "fast/tcp_reasm.h"

static const uint32_t isns[] = { 0, 1, 0xffffffffu, 0xfffffff6u /* 2^32 - 10 */ };
#define N_ISNS (sizeof(isns) / sizeof(isns[0]))

/* ---- delivery sink --------------------------------------------------- */

struct sink {
	uint8_t *buf;
	size_t cap;
	uint64_t len;       /* next offset the sink expects */
	bool keep;          /* copy bytes into buf */
	unsigned bad;       /* non-contiguous offsets, empty or overflowing calls */
	unsigned calls;
	const uint8_t *last_ptr;
	int ended, end_how; /* end callback */
	uint64_t end_off;
};

static void sink_deliver(void *user, uint64_t off, const uint8_t *d, size_t n)
{
	struct sink *s = user;

	if (off != s->len || n == 0)
		s->bad++;
	if (s->keep) {
		if (off + n <= s->cap)
			memcpy(s->buf + off, d, n);
		else
			s->bad++;
	}
	s->len = off + n;
	s->calls++;
	s->last_ptr = d;
}

static void sink_end(void *user, uint64_t off, int how)
{
	struct sink *s = user;

	s->ended++;
	s->end_how = how;
	s->end_off = off;
}

static void sink_init(struct sink *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap;
	s->keep = cap > 0;
	s->buf = cap ? calloc(1, cap) : NULL;
}

static struct tcp_reasm *new_reasm(struct sink *s, uint32_t max_bytes, uint32_t max_segs,
				   uint32_t window)
{
	struct tcp_reasm_opts o = {
		.max_ooo_bytes = max_bytes,
		.max_ooo_segs = max_segs,
		.window = window,
		.deliver = sink_deliver,
		.end = sink_end,
		.user = s,
	};
	struct tcp_reasm *r;

	return tcp_reasm__new(&r, &o) == 0 ? r : NULL;
}

/* check.h's CHECKF evaluates its condition a second time when it holds:
 * calls with side effects go through this instead. */
#define EXPECT_RC(call, want)                                                        \
	do {                                                                         \
		long rc_ = (long)(call);                                             \
		CHECKF(rc_ == (long)(want), "%s = %ld, want %ld", #call, rc_, (long)(want)); \
	} while (0)

/* Push stream bytes [off, off + len) of data (an offset-indexed buffer). */
static int push_at(struct tcp_reasm *r, uint32_t isn, const uint8_t *data, uint64_t off,
		   uint32_t len, uint8_t flags)
{
	return tcp_reasm__push(r, isn + 1 + (uint32_t)off, flags, data + off, len);
}

/* ---- reference model: byte map, first copy wins ----------------------- */

struct model {
	uint8_t *val, *have;
	size_t size;
	uint64_t next;
	uint64_t dups, overlaps, conflicts;
};

static void model_init(struct model *m, size_t size)
{
	memset(m, 0, sizeof(*m));
	m->size = size;
	m->val = calloc(1, size);
	m->have = calloc(1, size);
}

static void model_free(struct model *m)
{
	free(m->val);
	free(m->have);
}

static void model_push(struct model *m, uint64_t off, const uint8_t *d, uint32_t len)
{
	uint32_t seen = 0, conf = 0;

	for (uint32_t i = 0; i < len; i++) {
		uint64_t o = off + i;

		if (o < m->next) {
			seen++; /* delivered: nothing to compare with */
		} else if (m->have[o]) {
			seen++;
			conf += m->val[o] != d[i];
		} else {
			m->have[o] = 1;
			m->val[o] = d[i];
		}
	}
	while (m->next < m->size && m->have[m->next])
		m->next++;
	if (len && seen == len)
		m->dups++;
	else if (seen)
		m->overlaps++;
	if (conf)
		m->conflicts++;
}

/* ---- overlap matrix -------------------------------------------------- */

/* rel is seq - isn, as on the wire: rel 1 is stream offset 0. */
struct mseg {
	uint32_t rel, len;
	char fill;
};

struct mcase {
	const char *name;
	struct mseg segs[16]; /* ends at len 0 */
	const char *expect;   /* the whole delivered stream */
	unsigned dups, overlaps, conflicts;
};

/* H is held at offsets 10..15 (rel 11..16) in most cases; N is the new
 * segment; lower-case fillers close the remaining gaps. */
static const struct mcase matrix[] = {
	{ "before_adjacent",
	  { { 11, 6, 'H' }, { 7, 4, 'N' }, { 1, 6, 'a' } },
	  "aaaaaaNNNNHHHHHH", 0, 0, 0 },
	{ "before_ends_inside",
	  { { 11, 6, 'H' }, { 9, 4, 'N' }, { 1, 8, 'a' } },
	  "aaaaaaaaNNHHHHHH", 0, 1, 1 },
	{ "before_ends_same",
	  { { 11, 6, 'H' }, { 8, 9, 'N' }, { 1, 7, 'a' } },
	  "aaaaaaaNNNHHHHHH", 0, 1, 1 },
	{ "before_ends_after",
	  { { 11, 6, 'H' }, { 9, 10, 'N' }, { 1, 8, 'a' } },
	  "aaaaaaaaNNHHHHHHNN", 0, 1, 1 },
	{ "same_ends_inside",
	  { { 11, 6, 'H' }, { 11, 3, 'N' }, { 1, 10, 'a' } },
	  "aaaaaaaaaaHHHHHH", 1, 0, 1 },
	{ "same_ends_same",
	  { { 11, 6, 'H' }, { 11, 6, 'N' }, { 1, 10, 'a' } },
	  "aaaaaaaaaaHHHHHH", 1, 0, 1 },
	{ "same_ends_after",
	  { { 11, 6, 'H' }, { 11, 9, 'N' }, { 1, 10, 'a' } },
	  "aaaaaaaaaaHHHHHHNNN", 0, 1, 1 },
	{ "inside_ends_inside",
	  { { 11, 6, 'H' }, { 13, 2, 'N' }, { 1, 10, 'a' } },
	  "aaaaaaaaaaHHHHHH", 1, 0, 1 },
	{ "inside_ends_same",
	  { { 11, 6, 'H' }, { 13, 4, 'N' }, { 1, 10, 'a' } },
	  "aaaaaaaaaaHHHHHH", 1, 0, 1 },
	{ "inside_ends_after",
	  { { 11, 6, 'H' }, { 14, 7, 'N' }, { 1, 10, 'a' } },
	  "aaaaaaaaaaHHHHHHNNNN", 0, 1, 1 },
	{ "after_adjacent",
	  { { 11, 6, 'H' }, { 17, 3, 'N' }, { 1, 10, 'a' } },
	  "aaaaaaaaaaHHHHHHNNN", 0, 0, 0 },
	{ "after_with_gap",
	  { { 11, 6, 'H' }, { 19, 2, 'N' }, { 1, 10, 'a' }, { 17, 2, 'b' } },
	  "aaaaaaaaaaHHHHHHbbNN", 0, 0, 0 },
	{ "identical_retransmission",
	  { { 11, 6, 'H' }, { 11, 6, 'H' }, { 1, 10, 'a' } },
	  "aaaaaaaaaaHHHHHH", 1, 0, 0 },
	{ "identical_cover",
	  { { 11, 6, 'H' }, { 9, 10, 'H' }, { 1, 8, 'a' } },
	  "aaaaaaaaHHHHHHHHHH", 0, 1, 0 },
	{ "bridge_two_held",
	  { { 11, 6, 'H' }, { 21, 4, 'G' }, { 13, 10, 'N' }, { 1, 10, 'a' } },
	  "aaaaaaaaaaHHHHHHNNNNGGGG", 0, 1, 1 },
	{ "cover_two_held",
	  { { 11, 6, 'H' }, { 21, 4, 'G' }, { 6, 21, 'N' }, { 1, 5, 'a' } },
	  "aaaaaNNNNNHHHHHHNNNNGGGGNN", 0, 1, 1 },
	{ "edge_partial",
	  { { 1, 5, 'a' }, { 4, 6, 'N' } },
	  "aaaaaNNNN", 0, 1, 0 },
	{ "edge_full_dup",
	  { { 1, 5, 'a' }, { 1, 5, 'N' }, { 2, 2, 'M' } },
	  "aaaaa", 2, 0, 0 },
	{ "edge_delivered_and_held",
	  { { 1, 5, 'a' }, { 11, 6, 'H' }, { 3, 11, 'N' } },
	  "aaaaaNNNNNHHHHHH", 0, 1, 1 },
	{ "edge_through_held",
	  { { 1, 5, 'a' }, { 9, 2, 'H' }, { 6, 8, 'N' } },
	  "aaaaaNNNHHNNN", 0, 1, 1 },
	{ "gaps_filled_around_held",
	  { { 3, 2, 'B' }, { 7, 2, 'D' }, { 11, 2, 'F' }, { 2, 10, 'X' }, { 1, 1, 'a' } },
	  "aXBBXXDDXXFF", 0, 1, 1 },
	{ "descending",
	  { { 21, 5, 'E' }, { 16, 5, 'D' }, { 11, 5, 'C' }, { 6, 5, 'B' }, { 1, 5, 'A' } },
	  "AAAAABBBBBCCCCCDDDDDEEEEE", 0, 0, 0 },
	{ "same_start_longer",
	  { { 5, 3, 'S' }, { 5, 6, 'L' }, { 1, 4, 'a' } },
	  "aaaaSSSLLL", 0, 1, 1 },
	{ "bytes_reversed_twice",
	  { { 10, 1, '9' }, { 10, 1, '9' }, { 9, 1, '8' }, { 9, 1, '8' }, { 8, 1, '7' },
	    { 8, 1, '7' }, { 7, 1, '6' }, { 6, 1, '5' }, { 5, 1, '4' }, { 4, 1, '3' },
	    { 3, 1, '2' }, { 2, 1, '1' }, { 1, 1, '0' }, { 1, 1, '0' }, { 5, 1, 'x' } },
	  "0123456789", 5, 0, 0 },
	{ "new_ahead_of_several",
	  { { 13, 2, 'P' }, { 17, 2, 'Q' }, { 21, 2, 'R' }, { 12, 12, 'N' }, { 1, 11, 'a' } },
	  "aaaaaaaaaaaNPPNNQQNNRRN", 0, 1, 1 },
};

static void run_mcase(const struct mcase *c, uint32_t isn)
{
	struct sink s;
	struct model m;
	struct tcp_reasm *r;
	struct tcp_reasm_stats st;
	size_t elen = strlen(c->expect);
	uint8_t buf[64];

	sink_init(&s, 64);
	model_init(&m, 64);
	r = new_reasm(&s, 0, 0, 0);
	REQUIRE(r);
	tcp_reasm__start(r, isn);
	for (const struct mseg *g = c->segs; g->len; g++) {
		int rc;

		memset(buf, g->fill, g->len);
		rc = tcp_reasm__push(r, isn + g->rel, 0, buf, g->len);
		CHECKF(rc == 0, "%s isn %u: push rel %u -> %d", c->name, isn, g->rel, rc);
		model_push(&m, g->rel - 1, buf, g->len);
		/* After every step the delivered prefix matches the model's. */
		CHECKF(tcp_reasm__offset(r) == m.next, "%s isn %u rel %u: offset %llu model %llu",
		       c->name, isn, g->rel, (unsigned long long)tcp_reasm__offset(r),
		       (unsigned long long)m.next);
	}
	tcp_reasm__stats(r, &st);
	/* The hand-written expectation checks the model, the model the code. */
	CHECKF(m.next == elen && !memcmp(m.val, c->expect, elen), "%s: model disagrees",
	       c->name);
	CHECKF(s.len == elen && !memcmp(s.buf, c->expect, elen),
	       "%s isn %u: delivered %.*s want %s", c->name, isn, (int)s.len, s.buf, c->expect);
	CHECKF(s.bad == 0, "%s isn %u: %u bad deliveries", c->name, isn, s.bad);
	CHECKF(st.dups == c->dups && st.overlaps == c->overlaps &&
		       st.overlap_conflicts == c->conflicts,
	       "%s isn %u: dups %llu overlaps %llu conflicts %llu, want %u %u %u", c->name, isn,
	       (unsigned long long)st.dups, (unsigned long long)st.overlaps,
	       (unsigned long long)st.overlap_conflicts, c->dups, c->overlaps, c->conflicts);
	CHECKF(m.dups == c->dups && m.overlaps == c->overlaps && m.conflicts == c->conflicts,
	       "%s: model counters disagree", c->name);
	CHECK(st.ooo_bytes_now == 0 && st.ooo_segs_now == 0);
	CHECK(st.delivered_bytes == elen);
	CHECK(tcp_reasm__next_seq(r) == isn + 1 + (uint32_t)elen);
	tcp_reasm__free(r);
	model_free(&m);
	free(s.buf);
}

static void overlap_matrix(void)
{
	for (size_t i = 0; i < N_ISNS; i++)
		for (size_t c = 0; c < sizeof(matrix) / sizeof(matrix[0]); c++)
			run_mcase(&matrix[c], isns[i]);
}

/* ---- random property tests ------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64: fixed seed, same sequence on every run */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd_in(uint32_t lo, uint32_t hi) /* [lo, hi] */
{
	return lo + (uint32_t)(rnd() % ((uint64_t)hi - lo + 1));
}

struct pseg {
	uint32_t off, len;
	uint8_t *data; /* NULL: the original stream bytes */
};

/* Cover the stream with segments, add duplicates and overlapping
 * retransmissions (with other bytes when mutate is set), then reorder
 * locally (displacement up to disp; disp 0 shuffles completely). */
static struct pseg *make_segments(uint32_t n, uint32_t maxseg, uint32_t disp, bool mutate,
				  size_t *count)
{
	size_t cap = n / 2 + 64, k = 0;
	struct pseg *v = malloc(cap * sizeof(*v));

	for (uint32_t off = 0; off < n;) {
		uint32_t len = rnd_in(1, maxseg);

		if (len > n - off)
			len = n - off;
		if (k + 3 > cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		v[k++] = (struct pseg){ off, len, NULL };
		if (rnd() % 10 == 0)
			v[k++] = (struct pseg){ off, len, NULL };
		if (rnd() % 5 == 0) {
			uint32_t a = rnd_in(0, n - 1), l = rnd_in(1, 2 * maxseg);
			struct pseg re = { a, l > n - a ? n - a : l, NULL };

			if (mutate && rnd() % 2) {
				re.data = malloc(re.len);
				for (uint32_t i = 0; i < re.len; i++)
					re.data[i] = (uint8_t)rnd();
			}
			v[k++] = re;
		}
		off += len;
	}
	for (size_t i = 0; i < k; i++) {
		size_t j = disp ? i + rnd() % disp : rnd() % k;
		struct pseg t;

		if (j >= k)
			j = k - 1;
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
	*count = k;
	return v;
}

static void free_segments(struct pseg *v, size_t k)
{
	for (size_t i = 0; i < k; i++)
		free(v[i].data);
	free(v);
}

static const uint8_t *seg_bytes(const struct pseg *g, const uint8_t *stream)
{
	return g->data ? g->data : stream + g->off;
}

/* Push everything; refused segments are resent later, as TCP would. */
static void run_property(uint64_t seed, uint32_t isn, uint32_t n, uint32_t maxseg, uint32_t disp,
			 bool mutate, uint32_t max_bytes, uint32_t max_segs, bool exact_counters)
{
	struct sink s;
	struct model m;
	struct tcp_reasm *r;
	struct tcp_reasm_stats st;
	uint8_t *stream = malloc(n);
	struct pseg *v;
	size_t k, pending, passes = 0;

	rng_state = seed;
	for (uint32_t i = 0; i < n; i++)
		stream[i] = (uint8_t)rnd();
	v = make_segments(n, maxseg, disp, mutate, &k);
	sink_init(&s, n);
	model_init(&m, n);
	r = new_reasm(&s, max_bytes, max_segs, 0);
	REQUIRE(r);
	tcp_reasm__start(r, isn);

	pending = k;
	while (pending && passes++ < 10000) {
		size_t keep = 0;

		for (size_t i = 0; i < pending; i++) {
			const uint8_t *d = seg_bytes(&v[i], stream);
			int rc = tcp_reasm__push(r, isn + 1 + v[i].off, 0, d, v[i].len);

			if (rc == -ENOBUFS) {
				v[keep++] = v[i]; /* never re-injected: TCP resends it */
				continue;
			}
			CHECKF(rc == 0, "seed %llu: push off %u len %u -> %d",
			       (unsigned long long)seed, v[i].off, v[i].len, rc);
			model_push(&m, v[i].off, d, v[i].len);
			free(v[i].data);
			v[i].data = NULL;
		}
		pending = keep;
	}
	tcp_reasm__stats(r, &st);
	CHECKF(pending == 0, "seed %llu: %zu segments never taken", (unsigned long long)seed,
	       pending);
	CHECKF(s.bad == 0, "seed %llu: %u bad deliveries", (unsigned long long)seed, s.bad);
	CHECKF(s.len == n && m.next == n, "seed %llu isn %u: delivered %llu of %u",
	       (unsigned long long)seed, isn, (unsigned long long)s.len, n);
	CHECKF(!memcmp(s.buf, m.val, n), "seed %llu isn %u: bytes differ from first copies",
	       (unsigned long long)seed, isn);
	if (!mutate)
		CHECKF(!memcmp(s.buf, stream, n), "seed %llu: stream differs",
		       (unsigned long long)seed);
	CHECK(st.delivered_bytes == n && st.ooo_bytes_now == 0 && st.ooo_segs_now == 0);
	CHECK(st.ooo_bytes_peak <= (max_bytes ? max_bytes : TCP_REASM_DEF_MAX_OOO_BYTES));
	CHECK(st.ooo_segs_peak <= (max_segs ? max_segs : TCP_REASM_DEF_MAX_OOO_SEGS));
	CHECK(st.ooo_segs > 0 && st.dups > 0 && st.overlaps > 0);
	if (exact_counters) {
		CHECKF(st.dups == m.dups && st.overlaps == m.overlaps &&
			       st.overlap_conflicts == m.conflicts,
		       "seed %llu: dups %llu/%llu overlaps %llu/%llu conflicts %llu/%llu",
		       (unsigned long long)seed, (unsigned long long)st.dups,
		       (unsigned long long)m.dups, (unsigned long long)st.overlaps,
		       (unsigned long long)m.overlaps, (unsigned long long)st.overlap_conflicts,
		       (unsigned long long)m.conflicts);
		CHECK(st.cap_refused == 0);
	}
	if (mutate)
		CHECK(st.overlap_conflicts > 0 && st.conflict_bytes >= st.overlap_conflicts);
	else
		CHECK(st.overlap_conflicts == 0);
	tcp_reasm__free(r);
	model_free(&m);
	free_segments(v, pending);
	free(s.buf);
	free(stream);
}

static void random_reorder_dup_overlap(void)
{
	for (size_t i = 0; i < N_ISNS; i++)
		for (uint64_t seed = 1; seed <= 4; seed++)
			run_property(seed * 7919 + i, isns[i], 200000, 1448, 40, false, 0, 0,
				     true);
	/* Full shuffle: the first byte may arrive last; tiny segments too. */
	run_property(99, 0xfffffff0u, 100000, 1448, 0, false, 0, 4096, true);
	run_property(100, 12345, 20000, 16, 64, false, 0, 0, true);
}

static void random_conflicting_overlaps(void)
{
	for (size_t i = 0; i < N_ISNS; i++)
		for (uint64_t seed = 1; seed <= 3; seed++)
			run_property(seed * 104729 + i, isns[i], 150000, 1448, 40, true, 0, 0,
				     true);
	run_property(7, 0x80000000u, 60000, 700, 0, true, 0, 4096, true);
}

static void random_caps_resend(void)
{
	/* Small store: refusals happen, the ring (64 KiB, 4 KiB, 100 → 128 B)
	 * wraps many times, and resending heals everything. */
	run_property(11, 0xffffff00u, 200000, 1448, 30, false, 64 << 10, 8, false);
	run_property(12, 5, 100000, 1448, 10, false, 4096, 4, false);
	run_property(13, 0xfffffff6u, 30000, 40, 12, false, 100, 3, false);
	run_property(14, 77, 80000, 600, 20, true, 3000, 5, false);
}

/* ---- caps -------------------------------------------------------------- */

static void caps_refuse_then_heal(void)
{
	struct sink s;
	struct tcp_reasm *r;
	struct tcp_reasm_stats st;
	uint8_t data[1200];
	const uint32_t isn = 0xfffffe00u;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	sink_init(&s, sizeof(data));
	r = new_reasm(&s, 1000, 3, 0);
	REQUIRE(r);
	tcp_reasm__start(r, isn);

	EXPECT_RC(push_at(r, isn, data, 100, 100, 0), 0);
	EXPECT_RC(push_at(r, isn, data, 300, 100, 0), 0);
	/* byte cap: may end at most 1000 bytes past the edge */
	EXPECT_RC(push_at(r, isn, data, 950, 51, 0), -ENOBUFS);
	EXPECT_RC(push_at(r, isn, data, 950, 50, 0), 0);
	/* segment cap: a fourth held segment is refused, even one that merges */
	EXPECT_RC(push_at(r, isn, data, 500, 100, 0), -ENOBUFS);
	EXPECT_RC(push_at(r, isn, data, 150, 100, 0), -ENOBUFS);
	/* a pure duplicate of held bytes needs no room */
	EXPECT_RC(push_at(r, isn, data, 100, 100, 0), 0);
	tcp_reasm__stats(r, &st);
	CHECK(st.cap_refused == 3 && st.cap_refused_bytes == 251);
	CHECK(st.ooo_segs_now == 3 && st.ooo_bytes_now == 250 && st.dups == 1);
	CHECK(s.len == 0);

	/* fill the first gap: 0..200 delivered, room for one more segment */
	EXPECT_RC(push_at(r, isn, data, 0, 100, 0), 0);
	CHECK(s.len == 200);
	EXPECT_RC(push_at(r, isn, data, 500, 100, 0), 0);
	EXPECT_RC(push_at(r, isn, data, 700, 100, 0), -ENOBUFS);
	EXPECT_RC(push_at(r, isn, data, 200, 100, 0), 0); /* 0..400 out */
	CHECK(s.len == 400);
	EXPECT_RC(push_at(r, isn, data, 700, 100, 0), 0);
	EXPECT_RC(push_at(r, isn, data, 399, 1, 0), 0); /* delivered: dup */
	tcp_reasm__stats(r, &st);
	CHECK(st.ooo_segs_now == 3 && st.ooo_bytes_now == 250 && st.dups == 2);
	/* within the byte cap of the edge at 400, over the segment cap */
	EXPECT_RC(push_at(r, isn, data, 1100, 100, 0), -ENOBUFS);
	/* resend everything refused and the rest */
	for (uint32_t off = 0; off < sizeof(data); off += 150) {
		uint32_t len = sizeof(data) - off < 150 ? sizeof(data) - off : 150;

		EXPECT_RC(push_at(r, isn, data, off, len, 0), 0);
	}
	tcp_reasm__stats(r, &st);
	CHECK(s.len == sizeof(data) && !memcmp(s.buf, data, sizeof(data)) && s.bad == 0);
	CHECK(st.ooo_bytes_now == 0 && st.ooo_segs_peak == 3 && st.ooo_bytes_peak <= 1000);
	CHECK(st.cap_refused == 5);
	tcp_reasm__free(r);
	free(s.buf);
}

/* ---- window ------------------------------------------------------------ */

static void window_refusal(void)
{
	struct sink s;
	struct tcp_reasm *r;
	struct tcp_reasm_stats st;
	static uint8_t data[4000];
	const uint32_t isn = 0xfffffff6u;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ 0x5a);
	sink_init(&s, sizeof(data));
	r = new_reasm(&s, 0, 0, 1000);
	REQUIRE(r);
	tcp_reasm__start(r, isn);

	EXPECT_RC(push_at(r, isn, data, 1000, 1, 0), -ERANGE); /* first byte past the window */
	EXPECT_RC(push_at(r, isn, data, 999, 1, 0), 0);        /* last byte inside: held */
	EXPECT_RC(push_at(r, isn, data, 0, 1001, 0), -ERANGE); /* in order, too long */
	CHECK(s.len == 0);
	EXPECT_RC(push_at(r, isn, data, 0, 999, 0), 0);
	CHECK(s.len == 1000);
	/* the window slides with the edge */
	EXPECT_RC(push_at(r, isn, data, 1000, 1000, 0), 0);
	EXPECT_RC(push_at(r, isn, data, 2000, 1001, 0), -ERANGE);
	EXPECT_RC(tcp_reasm__set_window(r, TCP_REASM_MAX_WINDOW + 1), -EINVAL);
	EXPECT_RC(tcp_reasm__set_window(r, 2000), 0);
	EXPECT_RC(push_at(r, isn, data, 2000, 1001, 0), 0);
	/* zero window: nothing new fits, duplicates still fine */
	EXPECT_RC(tcp_reasm__set_window(r, 0), 0);
	EXPECT_RC(push_at(r, isn, data, 3001, 10, 0), -ERANGE);
	EXPECT_RC(push_at(r, isn, data, 2990, 11, 0), 0);
	EXPECT_RC(tcp_reasm__set_window(r, 5000), 0);
	EXPECT_RC(push_at(r, isn, data, 3001, 999, 0), 0);
	/* 2^30 + ahead: far outside any window (also what 32-bit seqs from
	 * more than 2^31 behind look like) */
	EXPECT_RC(tcp_reasm__push(r, isn + 1 + 4000 + 0x70000000u, 0, data, 10), -ERANGE);
	tcp_reasm__stats(r, &st);
	CHECK(st.out_of_window == 5);
	CHECK(s.len == 4000 && !memcmp(s.buf, data, 4000) && s.bad == 0);
	tcp_reasm__free(r);
	free(s.buf);
}

/* ---- FIN, RST, SYN ------------------------------------------------------ */

static void fin_after_pending_ooo(void)
{
	struct sink s;
	struct tcp_reasm *r;
	struct tcp_reasm_stats st;
	uint8_t data[40];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)('A' + i);
	for (size_t i = 0; i < N_ISNS; i++) {
		uint32_t isn = isns[i];

		sink_init(&s, sizeof(data));
		r = new_reasm(&s, 0, 0, 0);
		REQUIRE(r);
		tcp_reasm__start(r, isn);
		EXPECT_RC(push_at(r, isn, data, 10, 10, 0), 0);
		/* a bare FIN ahead of a gap */
		EXPECT_RC(tcp_reasm__push(r, isn + 21, FX_TCP_FIN | 0x10, NULL, 0), 0);
		CHECK(tcp_reasm__state(r) == TCP_REASM_OPEN && !s.ended);
		/* data beyond the FIN, and a FIN that moves: refused */
		EXPECT_RC(push_at(r, isn, data, 15, 10, 0), -EPROTO);
		EXPECT_RC(push_at(r, isn, data, 5, 10, FX_TCP_FIN), -EPROTO);
		/* the gap fills: everything, then the end */
		EXPECT_RC(push_at(r, isn, data, 0, 10, 0x10 /* ACK: ignored */), 0);
		CHECK(s.len == 20 && !memcmp(s.buf, data, 20));
		CHECK(s.ended == 1 && s.end_how == FX_TCP_FIN && s.end_off == 20);
		CHECK(tcp_reasm__state(r) == TCP_REASM_FINISHED);
		/* retransmitted FIN segment, pure ACK past the FIN: harmless */
		EXPECT_RC(push_at(r, isn, data, 10, 10, FX_TCP_FIN), 0);
		EXPECT_RC(push_at(r, isn, data, 21, 0, 0x10), 0);
		EXPECT_RC(push_at(r, isn, data, 20, 5, 0), -EPIPE);
		CHECK(s.ended == 1 && s.len == 20);
		tcp_reasm__stats(r, &st);
		CHECK(st.fin_errors == 2 && st.after_end == 1 && st.dups == 1);
		tcp_reasm__free(r);
		free(s.buf);
	}
}

static void fin_on_data_and_conflicts(void)
{
	struct sink s;
	struct tcp_reasm *r;
	uint8_t data[64];
	const uint32_t isn = 0xffffffffu;

	memset(data, 'x', sizeof(data));
	sink_init(&s, sizeof(data));
	r = new_reasm(&s, 0, 0, 0);
	REQUIRE(r);
	tcp_reasm__start(r, isn);
	/* a FIN before held data is a lie: refused */
	EXPECT_RC(push_at(r, isn, data, 10, 10, 0), 0);
	EXPECT_RC(push_at(r, isn, data, 12, 3, FX_TCP_FIN), -EPROTO);
	EXPECT_RC(push_at(r, isn, data, 0, 10, 0), 0);
	/* a FIN before the delivered edge too */
	EXPECT_RC(push_at(r, isn, data, 5, 5, FX_TCP_FIN), -EPROTO);
	CHECK(tcp_reasm__state(r) == TCP_REASM_OPEN && !s.ended);
	/* FIN carried by an in-order data segment */
	EXPECT_RC(push_at(r, isn, data, 20, 7, FX_TCP_FIN | 0x18), 0);
	CHECK(s.ended == 1 && s.end_off == 27 && s.len == 27);
	tcp_reasm__free(r);
	free(s.buf);

	/* an out-of-order FIN segment refused by the caps leaves no FIN behind */
	sink_init(&s, sizeof(data));
	r = new_reasm(&s, 16, 0, 0);
	REQUIRE(r);
	tcp_reasm__start(r, isn);
	EXPECT_RC(push_at(r, isn, data, 10, 10, FX_TCP_FIN), -ENOBUFS);
	EXPECT_RC(push_at(r, isn, data, 0, 30, 0), 0);
	CHECK(s.len == 30 && !s.ended && tcp_reasm__state(r) == TCP_REASM_OPEN);
	/* a bare FIN needs no room, however far ahead within the window */
	EXPECT_RC(tcp_reasm__push(r, isn + 1 + 64, FX_TCP_FIN, NULL, 0), 0);
	EXPECT_RC(push_at(r, isn, data, 30, 34, 0), 0);
	CHECK(s.len == 64 && s.ended == 1 && s.end_off == 64);
	tcp_reasm__free(r);
	free(s.buf);
}

static void rst_ends_at_once(void)
{
	struct sink s;
	struct tcp_reasm *r;
	struct tcp_reasm_stats st;
	uint8_t data[100];
	const uint32_t isn = 0xfffffff6u;

	memset(data, 'r', sizeof(data));
	sink_init(&s, sizeof(data));
	r = new_reasm(&s, 0, 0, 0);
	REQUIRE(r);
	tcp_reasm__start(r, isn);
	EXPECT_RC(push_at(r, isn, data, 0, 10, 0), 0);
	EXPECT_RC(push_at(r, isn, data, 30, 20, 0), 0);
	/* not at the next expected byte: the kernel would challenge-ACK it */
	EXPECT_RC(push_at(r, isn, data, 50, 0, FX_TCP_RST), 0);
	EXPECT_RC(push_at(r, isn, data, 11, 0, FX_TCP_RST | 0x10), 0);
	CHECK(tcp_reasm__state(r) == TCP_REASM_OPEN && !s.ended);
	/* exact: the stream ends where it was, held data discarded */
	EXPECT_RC(push_at(r, isn, data, 10, 0, FX_TCP_RST), 0);
	CHECK(tcp_reasm__state(r) == TCP_REASM_RESET);
	CHECK(s.ended == 1 && s.end_how == FX_TCP_RST && s.end_off == 10 && s.len == 10);
	EXPECT_RC(push_at(r, isn, data, 10, 20, 0), -ECONNRESET);
	tcp_reasm__stats(r, &st);
	CHECK(st.rst_ignored == 2 && st.discarded_bytes == 20 && st.ooo_bytes_now == 0 &&
	      st.ooo_segs_now == 0 && st.after_end == 1);
	CHECK(s.len == 10);
	tcp_reasm__free(r);
	free(s.buf);
}

static void syn_handling(void)
{
	struct sink s;
	struct tcp_reasm *r;
	struct tcp_reasm_stats st;
	const uint8_t hello[] = "hello", world[] = " world";
	const uint32_t isn = 0xfffffffdu;

	sink_init(&s, 64);
	r = new_reasm(&s, 0, 0, 0);
	REQUIRE(r);
	CHECK(tcp_reasm__state(r) == TCP_REASM_IDLE);
	EXPECT_RC(tcp_reasm__push(r, isn + 1, 0x18, hello, 5), -ENOTCONN);
	EXPECT_RC(tcp_reasm__push(r, isn, FX_TCP_SYN | FX_TCP_RST, NULL, 0), -EPROTO);
	/* a SYN-ACK starts the stream; its data (TCP Fast Open) is offset 0 */
	EXPECT_RC(tcp_reasm__push(r, isn, FX_TCP_SYN | 0x10, hello, 5), 0);
	CHECK(tcp_reasm__state(r) == TCP_REASM_OPEN);
	CHECK(s.len == 5 && !memcmp(s.buf, "hello", 5));
	/* a retransmitted SYN-ACK changes nothing; another ISN is refused */
	EXPECT_RC(tcp_reasm__push(r, isn, FX_TCP_SYN | 0x10, hello, 5), 0);
	EXPECT_RC(tcp_reasm__push(r, isn + 77, FX_TCP_SYN, NULL, 0), -EPROTO);
	EXPECT_RC(tcp_reasm__push(r, isn + 6, 0x18, world, 6), 0);
	CHECK(s.len == 11 && !memcmp(s.buf, "hello world", 11) && s.bad == 0);
	tcp_reasm__stats(r, &st);
	CHECK(st.not_started == 1 && st.bad_syns == 2 && st.syn_dups == 1 && st.dups == 1);
	/* start() restarts cleanly */
	tcp_reasm__start(r, 41);
	s.len = 0;
	EXPECT_RC(tcp_reasm__push(r, 42, 0, world, 6), 0);
	CHECK(s.len == 6);
	tcp_reasm__stats(r, &st);
	CHECK(st.delivered_bytes == 6 && st.bad_syns == 0);
	tcp_reasm__free(r);
	free(s.buf);
}

/* A SYN refused for the window must not take its ISN: the stream stays
 * idle and the next SYN (the real one, say) starts it. */
static void refused_syn_takes_nothing(void)
{
	struct sink s;
	struct tcp_reasm *r;
	struct tcp_reasm_stats st;
	const uint8_t data[] = "0123456789";

	sink_init(&s, 64);
	r = new_reasm(&s, 0, 0, 4);
	REQUIRE(r);
	EXPECT_RC(tcp_reasm__push(r, 1000, FX_TCP_SYN | 0x10, data, 10), -ERANGE);
	CHECK(tcp_reasm__state(r) == TCP_REASM_IDLE);
	CHECK(s.len == 0 && s.calls == 0);
	EXPECT_RC(tcp_reasm__push(r, 1001, 0x10, data, 3), -ENOTCONN);
	EXPECT_RC(tcp_reasm__push(r, 5000, FX_TCP_SYN | 0x10, data, 3), 0);
	CHECK(tcp_reasm__state(r) == TCP_REASM_OPEN);
	CHECK(tcp_reasm__next_seq(r) == 5004);
	CHECK(s.len == 3 && !memcmp(s.buf, "012", 3));
	EXPECT_RC(tcp_reasm__push(r, 5004, 0x18, data + 3, 4), 0);
	CHECK(s.len == 7 && !memcmp(s.buf, "0123456", 7) && s.bad == 0);
	tcp_reasm__stats(r, &st);
	CHECK(st.out_of_window == 1 && st.bad_syns == 0 && st.not_started == 1);
	tcp_reasm__free(r);
	free(s.buf);
}

/* ---- fast path, 64-bit offsets, set-up --------------------------------- */

static void in_order_is_zero_copy(void)
{
	struct sink s;
	struct tcp_reasm *r;
	uint8_t a[1448], b[1448];

	memset(a, 1, sizeof(a));
	memset(b, 2, sizeof(b));
	sink_init(&s, 4 * 1448);
	r = new_reasm(&s, 0, 0, 0);
	REQUIRE(r);
	tcp_reasm__start(r, 100);
	EXPECT_RC(tcp_reasm__push(r, 101, 0x10, a, 1448), 0);
	CHECK(s.last_ptr == a && s.calls == 1);
	EXPECT_RC(tcp_reasm__push(r, 101 + 1448, 0x18, b, 1448), 0);
	CHECK(s.last_ptr == b);
	EXPECT_RC(tcp_reasm__push(r, 101 + 1448 * 2, 0x10, NULL, 0), 0);
	CHECK(s.calls == 2);
	/* after a hole fills, the in-order part still comes from the caller */
	EXPECT_RC(tcp_reasm__push(r, 101 + 1448 * 3, 0x10, a, 1448), 0);
	CHECK(s.calls == 2);
	EXPECT_RC(tcp_reasm__push(r, 101 + 1448 * 2, 0x10, b, 1448), 0);
	CHECK(s.calls == 4);
	CHECK(s.len == 4 * 1448 && s.bad == 0);
	tcp_reasm__free(r);
	free(s.buf);
}

struct big_sink {
	uint64_t next;
	unsigned bad;
	uint64_t calls;
	uint8_t expect; /* every byte delivered must equal this */
};

static void big_deliver(void *user, uint64_t off, const uint8_t *d, size_t n)
{
	struct big_sink *b = user;

	if (off != b->next || !n || d[0] != b->expect || d[n - 1] != b->expect)
		b->bad++;
	b->next = off + n;
	b->calls++;
}

static void offsets_beyond_4gib(void)
{
	static uint8_t seg[64 << 10];
	struct big_sink b = { .expect = 0xab };
	struct tcp_reasm_opts o = { .deliver = big_deliver, .user = &b };
	struct tcp_reasm *r;
	tcp_reasm__new(&r, &o);
	struct tcp_reasm_stats st;
	const uint32_t isn = 0xffff0000u; /* wraps 32 bits at once */
	const uint64_t total = 5ull << 30;
	uint32_t seq = isn + 1;
	uint64_t off = 0;

	REQUIRE(r);
	memset(seg, 0xab, sizeof(seg));
	tcp_reasm__start(r, isn);
	while (off < total) {
		/* around 4 GiB: two segments swapped, through the store */
		if (off == (4ull << 30) - sizeof(seg)) {
			EXPECT_RC(tcp_reasm__push(r, seq + sizeof(seg), 0, seg, sizeof(seg)), 0);
			EXPECT_RC(tcp_reasm__push(r, seq, 0, seg, sizeof(seg)), 0);
			seq += 2 * sizeof(seg);
			off += 2 * sizeof(seg);
			continue;
		}
		if (tcp_reasm__push(r, seq, 0x10, seg, sizeof(seg)) != 0)
			b.bad++;
		seq += sizeof(seg);
		off += sizeof(seg);
	}
	EXPECT_RC(tcp_reasm__push(r, seq, FX_TCP_FIN, NULL, 0), 0);
	tcp_reasm__stats(r, &st);
	CHECK(b.bad == 0);
	CHECK(b.next == total && tcp_reasm__offset(r) == total);
	CHECK(tcp_reasm__next_seq(r) == (uint32_t)(isn + 1 + total));
	CHECK(st.delivered_bytes == total && st.ooo_segs == 1);
	CHECK(tcp_reasm__state(r) == TCP_REASM_FINISHED);
	tcp_reasm__free(r);
}

static void setup_in_caller_memory(void)
{
	struct sink s;
	struct tcp_reasm_opts o = {
		.max_ooo_bytes = 5000, .max_ooo_segs = 4, .deliver = sink_deliver, .user = &s
	};
	struct tcp_reasm_opts bad = o;
	struct tcp_reasm *r = NULL;
	size_t need = tcp_reasm_mem_size(&o);
	uint8_t *mem = malloc(need + 1);
	uint8_t data[8] = "abcdefgh";

	REQUIRE(need > 8192 && mem);
	sink_init(&s, 16);
	EXPECT_RC(tcp_reasm__init(&r, mem + 1, need - 1, &o), -EINVAL);
	EXPECT_RC(tcp_reasm__init(&r, mem + 1, need, &o), 0); /* unaligned is fine */
	CHECK(r);
	tcp_reasm__start(r, 7);
	EXPECT_RC(tcp_reasm__push(r, 12, 0, data + 4, 4), 0);
	EXPECT_RC(tcp_reasm__push(r, 8, 0, data, 4), 0);
	CHECK(s.len == 8 && !memcmp(s.buf, data, 8));
	tcp_reasm__free(r); /* not ours to free: no-op */
	free(mem);

	bad.deliver = NULL;
	CHECK(tcp_reasm_mem_size(&bad) == 0);
	r = (void *)&bad; /* must be cleared on failure */
	CHECK(tcp_reasm__new(&r, &bad) == -EINVAL);
	CHECK(r == NULL);
	bad = o;
	bad.window = TCP_REASM_MAX_WINDOW + 1;
	CHECK(tcp_reasm_mem_size(&bad) == 0);
	bad = o;
	bad.max_ooo_bytes = TCP_REASM_MAX_OOO_BYTES + 1;
	CHECK(tcp_reasm__new(&r, &bad) == -EINVAL);
	CHECK(r == NULL);
	CHECK(tcp_reasm__new(&r, NULL) == -EINVAL);
	CHECK(r == NULL);
	tcp_reasm__free(NULL);
	CHECK(strcmp(fx_strerror(-ENOBUFS), fx_strerror(-ERANGE)) != 0);
	CHECK(strstr(fx_strerror(-12345), "unknown") != NULL);
	free(s.buf);
}

int main(void)
{
	RUN(overlap_matrix);
	RUN(random_reorder_dup_overlap);
	RUN(random_conflicting_overlaps);
	RUN(random_caps_resend);
	RUN(caps_refuse_then_heal);
	RUN(window_refusal);
	RUN(fin_after_pending_ooo);
	RUN(fin_on_data_and_conflicts);
	RUN(rst_ends_at_once);
	RUN(syn_handling);
	RUN(refused_syn_takes_nothing);
	RUN(in_order_is_zero_copy);
	RUN(offsets_beyond_4gib);
	RUN(setup_in_caller_memory);
	return check_exit();
}

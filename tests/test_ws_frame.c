/* Tests for ws_frame. Frames are written by wslay's frame API (the
 * independent implementation); the same bytes are decoded whole, one byte at
 * a time and in random pieces, every piece copied against a PROT_NONE page,
 * and compared with what was sent and with what wslay_frame_recv decodes.
 * Every protocol violation is checked for its error, close code and for
 * delivering nothing of the bad frame. */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wslay/wslay.h>

#include "check.h"
#include "fast/ws_frame.h"

#define MIB (1u << 20)

/* ---- small utilities ---------------------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64*: a fixed seed gives the same run every time */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static size_t rnd_upto(uint64_t *s, size_t n) /* 0..n */
{
	return (size_t)(rnd(s) % (n + 1));
}

struct obuf {
	uint8_t *b;
	size_t n, cap;
};

static void obuf_put(struct obuf *o, const void *p, size_t n)
{
	if (o->n + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;

		while (cap < o->n + n)
			cap *= 2;
		o->b = realloc(o->b, cap);
		if (!o->b)
			abort();
		o->cap = cap;
	}
	if (n)
		memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void obuf_free(struct obuf *o)
{
	free(o->b);
	memset(o, 0, sizeof(*o));
}

/* Events: what the decoder must deliver, payloads copied into an arena. */
enum { EV_MSG = 1, EV_CTRL = 2 };

struct ev {
	int kind, op;
	size_t off, n;
};

struct evlist {
	struct ev *v;
	size_t n, cap;
	struct obuf arena;
};

static void ev_add(struct evlist *l, int kind, int op, const uint8_t *p, size_t n)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = (struct ev){kind, op, l->arena.n, n};
	obuf_put(&l->arena, p, n);
}

static void ev_free(struct evlist *l)
{
	free(l->v);
	obuf_free(&l->arena);
	memset(l, 0, sizeof(*l));
}

static int ev_equal(const struct evlist *a, const struct evlist *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct ev *x = &a->v[i], *y = &b->v[i];

		if (x->kind != y->kind || x->op != y->op || x->n != y->n ||
		    memcmp(a->arena.b + x->off, b->arena.b + y->off, x->n))
			return 0;
	}
	return 1;
}

/* Frame headers seen (ours through on_frame, wslay's from wslay_frame_recv). */
struct frec {
	uint64_t len;
	uint8_t fin, op;
};

struct frlist {
	struct frec *v;
	size_t n, cap;
};

static void fr_add(struct frlist *l, int fin, int op, uint64_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = (struct frec){len, (uint8_t)fin, (uint8_t)op};
}

/* Is a[0..a->n) a prefix of b? */
static int fr_prefix(const struct frlist *a, const struct frlist *b)
{
	if (a->n > b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].len != b->v[i].len || a->v[i].fin != b->v[i].fin ||
		    a->v[i].op != b->v[i].op)
			return 0;
	return 1;
}

/* ---- inputs against guard pages ----------------------------------------- */

/* [PROT_NONE page][g_size bytes][PROT_NONE page]: a piece is copied flush
 * against one of the guard pages, so reading one byte past its end (or
 * before its start) faults. */
static uint8_t *g_area;
static size_t g_size;

static void guard_setup(size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *m;

	size = (size + pg - 1) / pg * pg;
	m = mmap(NULL, size + 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		abort();
	if (mprotect(m, pg, PROT_NONE) || mprotect(m + pg + size, pg, PROT_NONE))
		abort();
	g_area = m + pg;
	g_size = size;
}

static const uint8_t *guard_place(const uint8_t *src, size_t n, int at_start)
{
	uint8_t *dst;

	if (n > g_size)
		abort();
	dst = at_start ? g_area : g_area + g_size - n;
	if (n)
		memmove(dst, src, n);
	return dst;
}

/* A buffer of n bytes that ends at a PROT_NONE page (for the decoder's own
 * reassembly buffer). */
static uint8_t *guarded_alloc(size_t n, void **map, size_t *maplen)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (n + pg - 1) / pg * pg;
	uint8_t *m =
	    mmap(NULL, body + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m + body, pg, PROT_NONE)) {
		munmap(m, body + pg);
		return NULL;
	}
	*map = m;
	*maplen = body + pg;
	return m + body - n;
}

/* ---- the frame writer: wslay's frame API, server side ------------------- */

static wslay_frame_context_ptr w_ctx;
static struct obuf *w_out;

static ssize_t w_send(const uint8_t *data, size_t len, int flags, void *ud)
{
	(void)flags, (void)ud;
	obuf_put(w_out, data, len);
	return (ssize_t)len;
}

static int w_genmask(uint8_t *buf, size_t len, void *ud)
{
	(void)ud;
	memset(buf, 0xa5, len);
	return 0;
}

static ssize_t w_recv_unused(uint8_t *buf, size_t len, int flags, void *ud)
{
	(void)buf, (void)len, (void)flags, (void)ud;
	return -1;
}

/* Write one frame with wslay_frame_send; returns 0 or wslay's error. */
static int wframe(struct obuf *o, int fin, int rsv, int op, int mask, const uint8_t *p, size_t n)
{
	struct wslay_frame_iocb io = {
	    .fin = (uint8_t)fin,
	    .rsv = (uint8_t)rsv,
	    .opcode = (uint8_t)op,
	    .payload_length = n,
	    .mask = (uint8_t)mask,
	    .data = p,
	    .data_length = n,
	};

	struct wslay_frame_callbacks cb = {w_send, w_recv_unused, w_genmask};
	wslay_frame_context_ptr user;
	int rc = 0;

	/* wslay 1.1.1 never clears its "mask" flag once a masked frame was
	 * sent, so masked frames get a context of their own */
	if (!w_ctx && wslay_frame_context_init(&w_ctx, &cb, NULL))
		abort();
	user = w_ctx;
	if (mask && wslay_frame_context_init(&user, &cb, NULL))
		abort();
	w_out = o;
	for (;;) {
		ssize_t r = wslay_frame_send(user, &io);

		if (r < 0) {
			rc = (int)r;
			break;
		}
		io.data += r;
		io.data_length -= (size_t)r;
		if (io.data_length == 0)
			break;
	}
	if (user != w_ctx)
		wslay_frame_context_free(user);
	return rc;
}

/* Payload pools: ASCII (valid UTF-8, for TEXT) and arbitrary bytes. */
#define POOL (2 * MIB)
static uint8_t pool_text[POOL], pool_bin[POOL];

static void pools_init(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < POOL; i++) {
		uint64_t r = rnd(&s);

		pool_text[i] = (uint8_t)(' ' + r % 95);
		pool_bin[i] = (uint8_t)(r >> 32);
	}
}

/* A stream under construction: bytes, expected events, frame starts. */
struct gen {
	struct obuf o;
	struct evlist exp;
	struct frlist frames;
	size_t *starts; /* byte offset of each frame */
	size_t nstarts, capstarts;
	uint64_t rng;
};

static void gen_free(struct gen *g)
{
	obuf_free(&g->o);
	ev_free(&g->exp);
	free(g->frames.v);
	free(g->starts);
	memset(g, 0, sizeof(*g));
}

static void g_frame(struct gen *g, int fin, int op, const uint8_t *p, size_t n)
{
	if (g->nstarts == g->capstarts) {
		g->capstarts = g->capstarts ? 2 * g->capstarts : 64;
		g->starts = realloc(g->starts, g->capstarts * sizeof(*g->starts));
		if (!g->starts)
			abort();
	}
	g->starts[g->nstarts++] = g->o.n;
	if (wframe(&g->o, fin, 0, op, 0, p, n))
		abort();
	fr_add(&g->frames, fin, op, n);
}

static void g_ctrl(struct gen *g, int op, const uint8_t *p, size_t n)
{
	g_frame(g, 1, op, p, n);
	ev_add(&g->exp, EV_CTRL, op, p, n);
}

static void g_close(struct gen *g, uint16_t code, const char *reason)
{
	uint8_t b[WS_FRAME_MAX_CTRL];
	size_t n = strlen(reason);

	b[0] = (uint8_t)(code >> 8);
	b[1] = (uint8_t)code;
	memcpy(b + 2, reason, n);
	g_ctrl(g, WS_OP_CLOSE, b, n + 2);
}

static void g_random_ctrl(struct gen *g)
{
	size_t n = rnd_upto(&g->rng, WS_FRAME_MAX_CTRL);
	size_t at = rnd_upto(&g->rng, POOL - n);

	g_ctrl(g, rnd(&g->rng) & 1 ? WS_OP_PING : WS_OP_PONG, pool_bin + at, n);
}

/* One data message in nfrag frames (random cut points, empty fragments
 * allowed); with ctrl, a PING or PONG between fragments now and then. */
static void g_msg(struct gen *g, int op, const uint8_t *p, size_t n, int nfrag, int ctrl)
{
	size_t done = 0;

	for (int f = 0; f < nfrag; f++) {
		size_t left = n - done;
		size_t k =
		    f == nfrag - 1 ? left : rnd_upto(&g->rng, left / (size_t)(nfrag - f) * 2);

		if (k > left)
			k = left;
		g_frame(g, f == nfrag - 1, f == 0 ? op : WS_OP_CONT, p + done, k);
		done += k;
		if (ctrl && f != nfrag - 1 && rnd(&g->rng) % 2)
			g_random_ctrl(g);
	}
	ev_add(&g->exp, EV_MSG, op, p, n);
}

static const uint8_t *pool_for(int op)
{
	return op == WS_OP_TEXT ? pool_text : pool_bin;
}

/* ---- the checking sink --------------------------------------------------- */

/* Compares every delivered event with the expected list as it arrives (so
 * the callbacks never allocate) and classifies payload pointers. */
struct sink {
	const struct evlist *exp;
	size_t i;
	int bad;
	char why[256];
	const uint8_t *in_lo, *in_hi;	/* the piece being fed */
	const uint8_t *buf_lo, *buf_hi; /* the decoder's reassembly buffer */
	size_t zc, copied;
	struct frlist *frames; /* optional */
};

static void sink_ev(struct sink *s, int kind, int op, const uint8_t *p, size_t n)
{
	const struct ev *e;

	if (s->bad)
		return;
	if (s->i >= s->exp->n) {
		s->bad = 1;
		snprintf(s->why, sizeof(s->why), "extra event #%zu kind %d op %d len %zu", s->i,
			 kind, op, n);
		return;
	}
	e = &s->exp->v[s->i];
	if (e->kind != kind || e->op != op || e->n != n ||
	    (n && memcmp(s->exp->arena.b + e->off, p, n))) {
		s->bad = 1;
		snprintf(s->why, sizeof(s->why),
			 "event #%zu: got kind %d op %d len %zu, want kind %d op %d len %zu%s",
			 s->i, kind, op, n, e->kind, e->op, e->n,
			 e->n == n ? " (payload differs)" : "");
		return;
	}
	s->i++;
	if (kind != EV_MSG || n == 0)
		return;
	if (p >= s->in_lo && p + n <= s->in_hi) {
		s->zc++;
	} else if (p >= s->buf_lo && p + n <= s->buf_hi) {
		s->copied++;
	} else {
		s->bad = 1;
		snprintf(s->why, sizeof(s->why), "event #%zu: payload neither in input nor buffer",
			 s->i - 1);
	}
}

static void on_msg(void *user, int op, const uint8_t *p, size_t n)
{
	sink_ev(user, EV_MSG, op, p, n);
}

static void on_ctrl(void *user, int op, const uint8_t *p, size_t n)
{
	sink_ev(user, EV_CTRL, op, p, n);
}

static void on_frame(void *user, const struct ws_frame_info *fi)
{
	struct sink *s = user;

	if (s->frames)
		fr_add(s->frames, fi->fin, fi->opcode, fi->payload_len);
}

static int mk(struct ws_frame *d, struct sink *s, const struct evlist *exp, size_t max,
	      unsigned flags, void *buf)
{
	struct ws_frame_opts o = {
	    .max_msg = max,
	    .buf = buf,
	    .flags = flags,
	    .user = s,
	    .on_message = on_msg,
	    .on_control = on_ctrl,
	    .on_frame = on_frame,
	};
	int rc;

	memset(s, 0, sizeof(*s));
	s->exp = exp;
	rc = ws_frame__init(d, &o);
	if (rc == 0) {
		/* white-box: the test knows where the reassembly buffer is */
		s->buf_lo = d->buf;
		s->buf_hi = d->buf + d->max_msg;
	}
	return rc;
}

enum { SPLIT_WHOLE, SPLIT_BYTES, SPLIT_RANDOM };

static size_t piece_len(int mode, uint64_t *rng, size_t left)
{
	size_t k;

	if (mode == SPLIT_WHOLE)
		return left;
	if (mode == SPLIT_BYTES)
		return 1;
	switch (rnd(rng) % 4) {
	case 0:
		k = 1 + rnd(rng) % 4;
		break;
	case 1:
		k = 1 + rnd(rng) % 32;
		break;
	case 2:
		k = 1 + rnd(rng) % 1500;
		break;
	default:
		k = 1 + rnd(rng) % 70000;
		break;
	}
	return k < left ? k : left;
}

/* Feed b[0..n) in pieces, each against a guard page. Returns 0, or the
 * first error; -1000 if feed() consumed less than a piece. */
static int feed_all(struct ws_frame *d, struct sink *s, const uint8_t *b, size_t n, int mode,
		    uint64_t seed)
{
	uint64_t rng = seed | 1;
	size_t off = 0;
	int k = 0;

	while (off < n) {
		size_t m = piece_len(mode, &rng, n - off);
		const uint8_t *q = guard_place(b + off, m, k++ & 1);
		ssize_t r;

		s->in_lo = q;
		s->in_hi = q + m;
		r = ws_frame__feed(d, q, m);
		if (r < 0)
			return (int)r;
		if ((size_t)r != m)
			return -1000;
		off += m;
	}
	return 0;
}

/* Decode g's bytes in one mode and compare with g's expected events. */
static void decode_expect(struct gen *g, int mode, uint64_t seed, unsigned flags, size_t max,
			  const char *what)
{
	struct ws_frame d;
	struct sink s;
	struct frlist fr = {0};
	int rc;

	if (mk(&d, &s, &g->exp, max, flags, NULL)) {
		CHECKF(0, "%s: init failed", what);
		return;
	}
	s.frames = &fr;
	rc = feed_all(&d, &s, g->o.b, g->o.n, mode, seed);
	CHECKF(rc == 0, "%s: feed returned %d (%s)", what, rc, fx_strerror(rc));
	CHECKF(!s.bad, "%s: %s", what, s.why);
	CHECKF(s.i == g->exp.n, "%s: %zu of %zu events delivered", what, s.i, g->exp.n);
	CHECKF(fr.n == g->frames.n && fr_prefix(&fr, &g->frames), "%s: frame hook saw %zu of %zu",
	       what, fr.n, g->frames.n);
	free(fr.v);
	ws_frame__fini(&d);
}

/* ---- cases: valid streams ------------------------------------------------ */

static const size_t sizes[] = {0, 1, 125, 126, 65535, 65536, MIB};
static const int nfrags[] = {1, 2, 3, 5};

/* Every size in 1..5 fragments, TEXT and BINARY alternating, pings and
 * pongs between fragments, a close at the end. */
static void build_sizes(struct gen *g)
{
	int op = WS_OP_TEXT;

	g->rng = 42;
	g_ctrl(g, WS_OP_PING, (const uint8_t *)"hi", 2);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t f = 0; f < sizeof(nfrags) / sizeof(nfrags[0]); f++) {
			size_t at = rnd_upto(&g->rng, POOL - sizes[i]);

			g_msg(g, op, pool_for(op) + at, sizes[i], nfrags[f], 1);
			op = op == WS_OP_TEXT ? WS_OP_BINARY : WS_OP_TEXT;
		}
	}
	g_close(g, 1000, "bye");
}

static void sizes_whole(void)
{
	struct gen g = {0};

	build_sizes(&g);
	decode_expect(&g, SPLIT_WHOLE, 0, 0, 0, "whole");
	decode_expect(&g, SPLIT_WHOLE, 0, WS_FRAME_F_UTF8, 0, "whole+utf8");
	gen_free(&g);
}

static void sizes_bytewise(void)
{
	struct gen g = {0};

	build_sizes(&g);
	decode_expect(&g, SPLIT_BYTES, 0, 0, 0, "bytewise");
	gen_free(&g);
}

static void sizes_random_splits(void)
{
	struct gen g = {0};
	char what[64];

	build_sizes(&g);
	for (uint64_t seed = 1; seed <= 8; seed++) {
		snprintf(what, sizeof(what), "random seed %llu", (unsigned long long)seed);
		decode_expect(&g, SPLIT_RANDOM, seed, seed & 1 ? WS_FRAME_F_UTF8 : 0, 0, what);
	}
	gen_free(&g);
}

/* Unfragmented messages fed whole are delivered from the input; fragmented
 * or split ones from the decoder's buffer. */
static void zero_copy_paths(void)
{
	struct gen g = {0};
	struct ws_frame d;
	struct sink s;
	uint8_t msg[300];

	memcpy(msg, pool_text, sizeof(msg));
	g_msg(&g, WS_OP_TEXT, msg, 150, 1, 0);
	g_msg(&g, WS_OP_BINARY, msg, 300, 1, 0);
	REQUIRE(mk(&d, &s, &g.exp, 0, 0, NULL) == 0);
	CHECK(feed_all(&d, &s, g.o.b, g.o.n, SPLIT_WHOLE, 0) == 0);
	CHECK(!s.bad && s.i == 2 && s.zc == 2 && s.copied == 0);

	/* header split from payload: the payload is still contiguous */
	memset(&s, 0, sizeof(s));
	s.exp = &g.exp;
	s.buf_lo = d.buf, s.buf_hi = d.buf + d.max_msg;
	ws_frame__reset(&d);
	for (size_t off = 0, i = 0; i < 2; i++) {
		size_t hl = 4, pl = i == 0 ? 150 : 300;
		const uint8_t *q = guard_place(g.o.b + off, hl, 0);

		CHECK(ws_frame__feed(&d, q, hl) == (ssize_t)hl);
		q = guard_place(g.o.b + off + hl, pl, 0);
		s.in_lo = q, s.in_hi = q + pl;
		CHECK(ws_frame__feed(&d, q, pl) == (ssize_t)pl);
		off += hl + pl;
	}
	CHECK(!s.bad && s.i == 2 && s.zc == 2 && s.copied == 0);

	/* payload split: copied */
	memset(&s, 0, sizeof(s));
	s.exp = &g.exp;
	s.buf_lo = d.buf, s.buf_hi = d.buf + d.max_msg;
	ws_frame__reset(&d);
	CHECK(feed_all(&d, &s, g.o.b, g.o.n, SPLIT_BYTES, 0) == 0);
	CHECK(!s.bad && s.i == 2 && s.zc == 0 && s.copied == 2);
	ws_frame__fini(&d);
	gen_free(&g);

	/* fragmented, fed whole: copied */
	memset(&g, 0, sizeof(g));
	g.rng = 7;
	g_msg(&g, WS_OP_TEXT, msg, 300, 3, 1);
	REQUIRE(mk(&d, &s, &g.exp, 0, 0, NULL) == 0);
	CHECK(feed_all(&d, &s, g.o.b, g.o.n, SPLIT_WHOLE, 0) == 0);
	CHECK(!s.bad && s.i == g.exp.n && s.zc == 0 && s.copied == 1);
	ws_frame__fini(&d);
	gen_free(&g);
}

/* Control frames interleaved with fragments come out first, in order, and
 * the message once, whole. */
static void control_between_fragments(void)
{
	struct gen g = {0};
	struct ws_frame d;
	struct sink s;

	g_frame(&g, 0, WS_OP_TEXT, (const uint8_t *)"abc", 3);
	g_ctrl(&g, WS_OP_PING, (const uint8_t *)"1", 1);
	g_frame(&g, 0, WS_OP_CONT, (const uint8_t *)"", 0);
	g_ctrl(&g, WS_OP_PONG, (const uint8_t *)"", 0);
	g_ctrl(&g, WS_OP_PING, pool_bin, 125);
	g_frame(&g, 1, WS_OP_CONT, (const uint8_t *)"def", 3);
	ev_add(&g.exp, EV_MSG, WS_OP_TEXT, (const uint8_t *)"abcdef", 6);
	g_close(&g, 1001, "");
	for (int mode = SPLIT_WHOLE; mode <= SPLIT_RANDOM; mode++) {
		REQUIRE(mk(&d, &s, &g.exp, 0, 0, NULL) == 0);
		CHECK(feed_all(&d, &s, g.o.b, g.o.n, mode, 3) == 0);
		CHECKF(!s.bad && s.i == g.exp.n, "mode %d: %s (%zu events)", mode, s.why, s.i);
		CHECK(ws_frame__closed(&d));
		ws_frame__fini(&d);
	}
	gen_free(&g);
}

/* Every valid close code (and an empty close) is delivered. */
static void close_codes_valid(void)
{
	static const uint16_t ok[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
				      1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};

	for (size_t i = 0; i <= sizeof(ok) / sizeof(ok[0]); i++) {
		struct gen g = {0};
		struct ws_frame d;
		struct sink s;

		if (i < sizeof(ok) / sizeof(ok[0]))
			g_close(&g, ok[i], "reason \xc3\xa9");
		else
			g_ctrl(&g, WS_OP_CLOSE, NULL, 0);
		REQUIRE(mk(&d, &s, &g.exp, 0, WS_FRAME_F_UTF8, NULL) == 0);
		CHECKF(feed_all(&d, &s, g.o.b, g.o.n, SPLIT_WHOLE, 0) == 0, "code %u",
		       i < sizeof(ok) / sizeof(ok[0]) ? ok[i] : 0);
		CHECK(!s.bad && s.i == 1 && ws_frame__closed(&d));
		/* a later empty feed is fine, a later byte is not */
		CHECK(ws_frame__feed(&d, (const uint8_t *)"", 0) == 0);
		ws_frame__fini(&d);
		gen_free(&g);
	}
}

/* Reset starts a fresh stream after a close and after an error. */
static void reset_reuses_decoder(void)
{
	struct gen g = {0};
	struct ws_frame d;
	struct sink s;
	const uint8_t bad[] = {0x81, 0x85, 1, 2, 3, 4, 'h', 'e', 'l', 'l', 'o'};

	g_msg(&g, WS_OP_TEXT, (const uint8_t *)"hello", 5, 1, 0);
	g_close(&g, 1000, "");
	REQUIRE(mk(&d, &s, &g.exp, 0, 0, NULL) == 0);
	for (int round = 0; round < 3; round++) {
		s.i = 0;
		CHECK(feed_all(&d, &s, g.o.b, g.o.n, SPLIT_RANDOM, (uint64_t)round) == 0);
		CHECK(!s.bad && s.i == 2 && ws_frame__closed(&d));
		ws_frame__reset(&d);
		CHECK(!ws_frame__closed(&d));
		CHECK(ws_frame__feed(&d, bad, sizeof(bad)) == WS_FRAME_E_MASKED);
		CHECK(ws_frame__error(&d) == WS_FRAME_E_MASKED);
		ws_frame__reset(&d);
		CHECK(ws_frame__error(&d) == 0);
	}
	ws_frame__fini(&d);
	gen_free(&g);
}

/* ---- differential: wslay_frame_recv decodes the same bytes --------------- */

struct wsrc {
	const uint8_t *b;
	size_t n, off;
	uint64_t rng;
};

static ssize_t r_recv(uint8_t *buf, size_t len, int flags, void *ud)
{
	struct wsrc *s = ud;
	size_t k = s->n - s->off;

	(void)flags;
	if (k == 0)
		return 0; /* wslay: "want read" */
	if (k > len)
		k = len;
	if (s->rng) {
		size_t m = 1 + (size_t)(rnd(&s->rng) % (rnd(&s->rng) & 1 ? 7 : 5000));

		if (k > m)
			k = m;
	}
	memcpy(buf, s->b + s->off, k);
	s->off += k;
	return (ssize_t)k;
}

static int r_genmask(uint8_t *buf, size_t len, void *ud)
{
	(void)buf, (void)len, (void)ud;
	return -1;
}

static ssize_t r_send(const uint8_t *data, size_t len, int flags, void *ud)
{
	(void)data, (void)len, (void)flags, (void)ud;
	return -1;
}

/* Decode b with wslay_frame_recv in random recv sizes. Complete frames go to
 * fr; with ev, data messages are reassembled and control frames collected.
 * Returns 1 if wslay reported a protocol error, 0 at the end of input. */
static int wslay_decode(const uint8_t *b, size_t n, uint64_t seed, struct frlist *fr,
			struct evlist *ev)
{
	struct wslay_frame_callbacks cb = {r_send, r_recv, r_genmask};
	struct wsrc src = {b, n, 0, seed | 1};
	wslay_frame_context_ptr user;
	struct obuf msg = {0}, cur = {0};
	int msg_op = 0, proto = 0;
	uint64_t got = 0;

	if (wslay_frame_context_init(&user, &cb, &src))
		abort();
	for (;;) {
		struct wslay_frame_iocb io;
		ssize_t r = wslay_frame_recv(user, &io);

		if (r == WSLAY_ERR_WANT_READ) {
			if (src.off == src.n)
				break;
			continue;
		}
		if (r < 0) {
			proto = r == WSLAY_ERR_PROTO;
			break;
		}
		obuf_put(&cur, io.data, io.data_length);
		got += io.data_length;
		if (got < io.payload_length)
			continue;
		/* a frame is complete */
		fr_add(fr, io.fin, io.opcode, io.payload_length);
		if (ev) {
			if (io.opcode & 0x8) {
				ev_add(ev, EV_CTRL, io.opcode, cur.b, cur.n);
			} else {
				if (io.opcode != WS_OP_CONT) {
					msg_op = io.opcode;
					msg.n = 0;
				}
				obuf_put(&msg, cur.b, cur.n);
				if (io.fin)
					ev_add(ev, EV_MSG, msg_op, msg.b, msg.n);
			}
		}
		cur.n = 0;
		got = 0;
	}
	wslay_frame_context_free(user);
	obuf_free(&msg);
	obuf_free(&cur);
	return proto;
}

static size_t rnd_msg_size(uint64_t *rng)
{
	switch (rnd(rng) % 10) {
	case 0:
		return 65530 + rnd_upto(rng, 140000);
	case 1:
	case 2:
		return 120 + rnd_upto(rng, 66000);
	default:
		return rnd_upto(rng, 200);
	}
}

static void build_random_stream(struct gen *g, uint64_t seed, int items)
{
	g->rng = seed;
	for (int i = 0; i < items; i++) {
		if (rnd(&g->rng) % 5 == 0) {
			g_random_ctrl(g);
		} else {
			int op = rnd(&g->rng) & 1 ? WS_OP_TEXT : WS_OP_BINARY;
			size_t n = rnd_msg_size(&g->rng);
			size_t at = rnd_upto(&g->rng, POOL - n);
			int nfrag = 1 + (int)(rnd(&g->rng) % 4);

			g_msg(g, op, pool_for(op) + at, n, nfrag, 1);
		}
	}
	if (rnd(&g->rng) & 1)
		g_close(g, (uint16_t)(3000 + rnd(&g->rng) % 2000), "done");
}

static void differential_vs_wslay(void)
{
	for (uint64_t seed = 1; seed <= 150; seed++) {
		struct gen g = {0};
		struct frlist wfr = {0}, ofr = {0};
		struct evlist wev = {0};
		struct ws_frame d;
		struct sink s;
		int rc;

		build_random_stream(&g, seed, 40);
		CHECKF(wslay_decode(g.o.b, g.o.n, seed * 7, &wfr, &wev) == 0, "seed %llu: wslay",
		       (unsigned long long)seed);
		/* the harness itself: wslay decodes what we meant to send */
		CHECKF(ev_equal(&wev, &g.exp), "seed %llu: wslay events differ from generated",
		       (unsigned long long)seed);
		REQUIRE(mk(&d, &s, &wev, 0, (unsigned)(seed & 1), NULL) == 0);
		s.frames = &ofr;
		rc = feed_all(&d, &s, g.o.b, g.o.n, SPLIT_RANDOM, seed * 13);
		CHECKF(rc == 0 && !s.bad && s.i == wev.n, "seed %llu: rc %d, %zu/%zu events %s",
		       (unsigned long long)seed, rc, s.i, wev.n, s.why);
		CHECKF(ofr.n == wfr.n && fr_prefix(&ofr, &wfr),
		       "seed %llu: frames %zu vs wslay %zu", (unsigned long long)seed, ofr.n,
		       wfr.n);
		ws_frame__fini(&d);
		free(wfr.v);
		free(ofr.v);
		ev_free(&wev);
		gen_free(&g);
	}
}

/* Mutate one header byte of a valid stream. wslay's frame layer checks a
 * subset of the rules: whatever it accepts before its error we accept too
 * (same frames), and we never accept more than it does. */
static void differential_corrupted(void)
{
	int both_err = 0, ours_only = 0;

	for (uint64_t seed = 1; seed <= 1500; seed++) {
		struct gen g = {0};
		struct frlist wfr = {0}, ofr = {0};
		struct ws_frame d;
		struct sink s;
		struct evlist none = {0};
		uint64_t rng = seed * 31;
		size_t fi, at;
		int wproto, rc;

		build_random_stream(&g, seed, 6);
		if (g.nstarts == 0) {
			gen_free(&g);
			continue;
		}
		fi = (size_t)(rnd(&rng) % g.nstarts);
		at = g.starts[fi] + (size_t)(rnd(&rng) % 10);
		if (at >= g.o.n)
			at = g.starts[fi];
		switch (rnd(&rng) % 3) {
		case 0:
			g.o.b[at] ^= (uint8_t)(1u << (rnd(&rng) % 8));
			break;
		case 1:
			g.o.b[at] = (uint8_t)rnd(&rng);
			break;
		default:
			g.o.b[at] = (uint8_t)(rnd(&rng) & 1 ? 0x7e : 0x7f);
			break;
		}
		wproto = wslay_decode(g.o.b, g.o.n, seed, &wfr, NULL);
		REQUIRE(mk(&d, &s, &none, MIB, 0, NULL) == 0);
		s.bad = 1; /* events are not compared here */
		s.frames = &ofr;
		rc = feed_all(&d, &s, g.o.b, g.o.n, SPLIT_RANDOM, seed);
		CHECKF(fr_prefix(&ofr, &wfr),
		       "seed %llu: our %zu frames are not a prefix of wslay's",
		       (unsigned long long)seed, ofr.n);
		if (wproto) {
			CHECKF(rc < 0, "seed %llu: wslay saw a protocol error, we did not",
			       (unsigned long long)seed);
			both_err++;
		} else if (rc < 0) {
			ours_only++;
		} else {
			CHECKF(ofr.n == wfr.n, "seed %llu: %zu frames vs wslay %zu",
			       (unsigned long long)seed, ofr.n, wfr.n);
		}
		ws_frame__fini(&d);
		free(wfr.v);
		free(ofr.v);
		gen_free(&g);
	}
	/* the mutations must really exercise both kinds of outcome */
	CHECKF(both_err > 50 && ours_only > 50, "both %d, ours only %d", both_err, ours_only);
}

/* ---- guard pages --------------------------------------------------------- */

/* Every two-way split of a stream with 2-, 4- and 10-byte headers, each
 * piece flush against a guard page at either end. */
static void guard_page_every_split(void)
{
	struct gen g = {0};
	struct ws_frame d;
	struct sink s;

	g.rng = 5;
	g_msg(&g, WS_OP_TEXT, pool_text, 0, 1, 0);
	g_msg(&g, WS_OP_TEXT, pool_text, 5, 1, 0);
	g_ctrl(&g, WS_OP_PING, pool_bin, 3);
	g_msg(&g, WS_OP_BINARY, pool_bin, 126, 1, 0);
	g_msg(&g, WS_OP_TEXT, pool_text + 10, 300, 3, 1);
	g_msg(&g, WS_OP_BINARY, pool_bin + 7, 65536, 1, 0);
	g_close(&g, 1000, "x");
	REQUIRE(mk(&d, &s, &g.exp, 0, WS_FRAME_F_UTF8, NULL) == 0);
	for (size_t k = 0; k <= g.o.n; k++) {
		int near = 0;

		/* all split points near a frame boundary, every 97th elsewhere */
		for (size_t f = 0; f < g.nstarts; f++)
			if (k + 12 >= g.starts[f] && k <= g.starts[f] + 12)
				near = 1;
		if (!near && k % 97 && k + 12 < g.o.n)
			continue;
		for (int side = 0; side < 2; side++) {
			const uint8_t *q;
			ssize_t r1, r2;

			ws_frame__reset(&d);
			s.i = 0;
			q = guard_place(g.o.b, k, side);
			s.in_lo = q, s.in_hi = q + k;
			r1 = ws_frame__feed(&d, q, k);
			q = guard_place(g.o.b + k, g.o.n - k, !side);
			s.in_lo = q, s.in_hi = q + (g.o.n - k);
			r2 = ws_frame__feed(&d, q, g.o.n - k);
			CHECKF(r1 == (ssize_t)k && r2 == (ssize_t)(g.o.n - k), "split %zu: %zd %zd",
			       k, r1, r2);
			CHECKF(!s.bad && s.i == g.exp.n, "split %zu: %s (%zu)", k, s.why, s.i);
		}
	}
	ws_frame__fini(&d);
	gen_free(&g);
}

/* ---- protocol violations ------------------------------------------------- */

/* Append a raw header: b0, then the length in the given form (7, 16 or 64
 * bits), no mask. */
static void raw_hdr(struct obuf *o, uint8_t b0, int form, uint64_t len)
{
	uint8_t h[10];
	size_t n = 0;

	h[n++] = b0;
	if (form == 7) {
		h[n++] = (uint8_t)len;
	} else if (form == 16) {
		h[n++] = 126;
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
	} else {
		h[n++] = 127;
		for (int i = 7; i >= 0; i--)
			h[n++] = (uint8_t)(len >> (8 * i));
	}
	obuf_put(o, h, n);
}

struct vcase {
	const char *name;
	int err;
	size_t max;
	unsigned flags;
	void (*build)(struct gen *g, long arg);
	long arg;
};

static void b_masked(struct gen *g, long arg)
{
	(void)arg;
	wframe(&g->o, 1, 0, WS_OP_TEXT, 1, (const uint8_t *)"masked", 6);
}

static void b_rsv(struct gen *g, long arg)
{
	wframe(&g->o, 1, (int)arg, WS_OP_TEXT, 0, (const uint8_t *)"rsv", 3);
}

static void b_opcode(struct gen *g, long arg)
{
	wframe(&g->o, 1, 0, (int)arg, 0, (const uint8_t *)"op", 2);
}

static void b_ctrl_nofin(struct gen *g, long arg)
{
	wframe(&g->o, 0, 0, (int)arg, 0, (const uint8_t *)"p", 1);
}

static void b_ctrl_long(struct gen *g, long arg)
{
	/* wslay refuses to write these: raw bytes */
	raw_hdr(&g->o, (uint8_t)(0x80 | (arg & 0xf)), arg >> 8 == 64 ? 64 : 16,
		arg >> 8 == 64 ? 70000 : 126);
	obuf_put(&g->o, pool_bin, 126);
}

static void b_ctrl_len7(struct gen *g, long arg)
{
	/* control frame with a 7-bit length of 126/127 and nothing behind it */
	uint8_t h[2] = {0x89, (uint8_t)arg};
	obuf_put(&g->o, h, 2);
}

static void b_close1(struct gen *g, long arg)
{
	(void)arg;
	wframe(&g->o, 1, 0, WS_OP_CLOSE, 0, (const uint8_t *)"\x03", 1);
}

static void b_close_code(struct gen *g, long arg)
{
	uint8_t b[4] = {(uint8_t)(arg >> 8), (uint8_t)arg, 'o', 'k'};
	wframe(&g->o, 1, 0, WS_OP_CLOSE, 0, b, arg & 0x10000 ? 2 : 4);
}

static void b_cont_first(struct gen *g, long arg)
{
	wframe(&g->o, (int)arg, 0, WS_OP_CONT, 0, (const uint8_t *)"cont", 4);
}

static void b_data_in_fragment(struct gen *g, long arg)
{
	g_frame(g, 0, WS_OP_TEXT, (const uint8_t *)"part", 4);
	g_ctrl(g, WS_OP_PING, (const uint8_t *)"still fine", 10);
	g_frame(g, 0, WS_OP_CONT, (const uint8_t *)"more", 4);
	wframe(&g->o, 1, 0, (int)arg, 0, (const uint8_t *)"new", 3);
}

static void b_len_msb(struct gen *g, long arg)
{
	raw_hdr(&g->o, 0x82, 64, arg ? ~0ull : 1ull << 63);
}

static void b_len_nonmin(struct gen *g, long arg)
{
	/* arg: form * 1000000 + length */
	raw_hdr(&g->o, 0x82, (int)(arg / 1000000), (uint64_t)(arg % 1000000));
	obuf_put(&g->o, pool_bin, (size_t)(arg % 1000000));
}

static void b_too_big(struct gen *g, long arg)
{
	if (arg == 0) {
		wframe(&g->o, 1, 0, WS_OP_BINARY, 0, pool_bin, 1001);
	} else if (arg == 1) {
		g_frame(g, 0, WS_OP_TEXT, pool_text, 600);
		g_ctrl(g, WS_OP_PONG, NULL, 0);
		g_frame(g, 0, WS_OP_CONT, pool_text, 400);
		wframe(&g->o, 1, 0, WS_OP_CONT, 0, pool_text, 1);
	} else {
		raw_hdr(&g->o, 0x81, 64, 1ull << 40);
	}
}

static void b_utf8(struct gen *g, long arg)
{
	static const char *bad[] = {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
				    "\xff",	"a\x80",	"\xe2\x82"};

	if (arg < 7) {
		wframe(&g->o, 1, 0, WS_OP_TEXT, 0, (const uint8_t *)bad[arg], strlen(bad[arg]));
	} else if (arg == 7) {
		/* fine fragments, bad at the end: nothing delivered */
		g_frame(g, 0, WS_OP_TEXT, (const uint8_t *)"\xe2\x82", 2);
		g_frame(g, 0, WS_OP_CONT, (const uint8_t *)"\xac ok", 4);
		wframe(&g->o, 1, 0, WS_OP_CONT, 0, (const uint8_t *)"\xe2", 1);
	} else {
		wframe(&g->o, 1, 0, WS_OP_CLOSE, 0, (const uint8_t *)"\x03\xe8\xc3\x28", 4);
	}
}

static void b_after_close(struct gen *g, long arg)
{
	g_close(g, 1000, "bye");
	if (arg)
		wframe(&g->o, 1, 0, WS_OP_TEXT, 0, (const uint8_t *)"late", 4);
	else
		obuf_put(&g->o, "\x00", 1);
}

#define E(x) WS_FRAME_E_##x
static const struct vcase vcases[] = {
    {"masked", E(MASKED), 0, 0, b_masked, 0},
    {"rsv1", E(RSV), 0, 0, b_rsv, 4},
    {"rsv2", E(RSV), 0, 0, b_rsv, 2},
    {"rsv3", E(RSV), 0, 0, b_rsv, 1},
    {"opcode 3", E(OPCODE), 0, 0, b_opcode, 3},
    {"opcode 7", E(OPCODE), 0, 0, b_opcode, 7},
    {"opcode 0xb", E(OPCODE), 0, 0, b_opcode, 0xb},
    {"opcode 0xf", E(OPCODE), 0, 0, b_opcode, 0xf},
    {"ping no fin", E(CTRL_FRAGMENTED), 0, 0, b_ctrl_nofin, WS_OP_PING},
    {"close no fin", E(CTRL_FRAGMENTED), 0, 0, b_ctrl_nofin, WS_OP_CLOSE},
    {"pong 126 bytes", E(CTRL_TOO_LONG), 0, 0, b_ctrl_long, WS_OP_PONG},
    {"close 126 bytes", E(CTRL_TOO_LONG), 0, 0, b_ctrl_long, WS_OP_CLOSE},
    {"ping 64-bit length", E(CTRL_TOO_LONG), 0, 0, b_ctrl_long, (64 << 8) | WS_OP_PING},
    {"ping len7 126 alone", E(CTRL_TOO_LONG), 0, 0, b_ctrl_len7, 126},
    {"ping len7 127 alone", E(CTRL_TOO_LONG), 0, 0, b_ctrl_len7, 127},
    {"close 1 byte", E(CLOSE_LEN), 0, 0, b_close1, 0},
    {"close code 0", E(CLOSE_CODE), 0, 0, b_close_code, 0},
    {"close code 999", E(CLOSE_CODE), 0, 0, b_close_code, 999},
    {"close code 1004", E(CLOSE_CODE), 0, 0, b_close_code, 1004},
    {"close code 1005", E(CLOSE_CODE), 0, 0, b_close_code, 1005},
    {"close code 1006", E(CLOSE_CODE), 0, 0, b_close_code, 0x10000 | 1006},
    {"close code 1015", E(CLOSE_CODE), 0, 0, b_close_code, 1015},
    {"close code 1016", E(CLOSE_CODE), 0, 0, b_close_code, 1016},
    {"close code 2999", E(CLOSE_CODE), 0, 0, b_close_code, 2999},
    {"close code 5000", E(CLOSE_CODE), 0, 0, b_close_code, 5000},
    {"close code 65535", E(CLOSE_CODE), 0, 0, b_close_code, 65535},
    {"continuation first", E(CONT_UNEXPECTED), 0, 0, b_cont_first, 1},
    {"continuation first no fin", E(CONT_UNEXPECTED), 0, 0, b_cont_first, 0},
    {"text inside fragments", E(DATA_IN_FRAGMENT), 0, 0, b_data_in_fragment, WS_OP_TEXT},
    {"binary inside fragments", E(DATA_IN_FRAGMENT), 0, 0, b_data_in_fragment, WS_OP_BINARY},
    {"64-bit length msb", E(LEN_MSB), 0, 0, b_len_msb, 0},
    {"64-bit length all ones", E(LEN_MSB), 0, 0, b_len_msb, 1},
    {"16-bit length 0", E(LEN_NONMINIMAL), 0, 0, b_len_nonmin, 16000000},
    {"16-bit length 125", E(LEN_NONMINIMAL), 0, 0, b_len_nonmin, 16000125},
    {"64-bit length 0", E(LEN_NONMINIMAL), 0, 0, b_len_nonmin, 64000000},
    {"64-bit length 126", E(LEN_NONMINIMAL), 0, 0, b_len_nonmin, 64000126},
    {"64-bit length 65535", E(LEN_NONMINIMAL), 0, 0, b_len_nonmin, 64065535},
    {"too big single", E(TOO_BIG), 1000, 0, b_too_big, 0},
    {"too big fragments", E(TOO_BIG), 1000, 0, b_too_big, 1},
    {"too big 2^40", E(TOO_BIG), 1000, 0, b_too_big, 2},
    {"utf8 overlong", E(UTF8), 0, WS_FRAME_F_UTF8, b_utf8, 0},
    {"utf8 overlong 3", E(UTF8), 0, WS_FRAME_F_UTF8, b_utf8, 1},
    {"utf8 surrogate", E(UTF8), 0, WS_FRAME_F_UTF8, b_utf8, 2},
    {"utf8 above 10ffff", E(UTF8), 0, WS_FRAME_F_UTF8, b_utf8, 3},
    {"utf8 ff", E(UTF8), 0, WS_FRAME_F_UTF8, b_utf8, 4},
    {"utf8 lone continuation", E(UTF8), 0, WS_FRAME_F_UTF8, b_utf8, 5},
    {"utf8 truncated", E(UTF8), 0, WS_FRAME_F_UTF8, b_utf8, 6},
    {"utf8 truncated fragments", E(UTF8), 0, WS_FRAME_F_UTF8, b_utf8, 7},
    {"utf8 close reason", E(UTF8), 0, WS_FRAME_F_UTF8, b_utf8, 8},
    {"byte after close", E(AFTER_CLOSE), 0, 0, b_after_close, 0},
    {"frame after close", E(AFTER_CLOSE), 0, 0, b_after_close, 1},
};

/* Good traffic before the bad frame: delivered exactly once. */
static void v_prefix(struct gen *g)
{
	g->rng = 11;
	g_msg(g, WS_OP_TEXT, (const uint8_t *)"before", 6, 1, 0);
	g_ctrl(g, WS_OP_PING, (const uint8_t *)"ping", 4);
	g_msg(g, WS_OP_BINARY, pool_bin, 200, 2, 1);
}

static void violations(void)
{
	for (size_t c = 0; c < sizeof(vcases) / sizeof(vcases[0]); c++) {
		const struct vcase *v = &vcases[c];
		struct gen g = {0};

		v_prefix(&g);
		v->build(&g, v->arg);
		/* good frames after the bad one must never come out */
		wframe(&g.o, 1, 0, WS_OP_TEXT, 0, (const uint8_t *)"after", 5);
		for (int mode = SPLIT_WHOLE; mode <= SPLIT_RANDOM; mode++) {
			struct ws_frame d;
			struct sink s;
			struct evlist more = {0};
			int rc;

			if (mk(&d, &s, &g.exp, v->max, v->flags, NULL)) {
				CHECKF(0, "%s: init", v->name);
				continue;
			}
			rc = feed_all(&d, &s, g.o.b, g.o.n, mode, c + 1);
			CHECKF(rc == v->err, "%s mode %d: got %d (%s), want %d (%s)", v->name, mode,
			       rc, fx_strerror(rc), v->err, fx_strerror(v->err));
			CHECKF(!s.bad && s.i == g.exp.n, "%s mode %d: %s (%zu of %zu events)",
			       v->name, mode, s.why, s.i, g.exp.n);
			CHECKF(ws_frame__error(&d) == v->err, "%s: error() %d", v->name,
			       ws_frame__error(&d));
			/* sticky: more good bytes change nothing, deliver nothing */
			s.exp = &more;
			CHECKF(ws_frame__feed(&d, (const uint8_t *)"\x81\x01x", 3) == v->err,
			       "%s: not sticky", v->name);
			CHECKF(!s.bad, "%s: delivered after the error: %s", v->name, s.why);
			ws_frame__fini(&d);
		}
		gen_free(&g);
	}
}

static void close_code_mapping(void)
{
	for (size_t c = 0; c < sizeof(vcases) / sizeof(vcases[0]); c++) {
		int e = vcases[c].err;
		uint16_t want = e == WS_FRAME_E_TOO_BIG ? 1009 : e == WS_FRAME_E_UTF8 ? 1007 : 1002;

		CHECKF(ws_frame_close_code(e) == want, "%s: %u", vcases[c].name,
		       ws_frame_close_code(e));
		CHECKF(strstr(fx_strerror(e), "unknown error") == NULL, "%s", vcases[c].name);
	}
	CHECK(ws_frame_close_code(0) == 1000);
	CHECK(ws_frame_close_code(-ENOMEM) == 1011);
	CHECK(strstr(fx_strerror(-ENOMEM), "unknown error") == NULL);
	CHECK(strstr(fx_strerror(-12345), "unknown error") != NULL);
}

/* Invalid UTF-8 is delivered as is when validation is off (the default). */
static void utf8_off_by_default(void)
{
	struct gen g = {0};
	struct ws_frame d;
	struct sink s;

	g_msg(&g, WS_OP_TEXT, (const uint8_t *)"\xc0\xaf\xff", 3, 1, 0);
	g_msg(&g, WS_OP_TEXT, (const uint8_t *)"\xed\xa0\x80", 3, 2, 0);
	g_close(&g, 1000, "\xff");
	REQUIRE(mk(&d, &s, &g.exp, 0, 0, NULL) == 0);
	CHECK(feed_all(&d, &s, g.o.b, g.o.n, SPLIT_WHOLE, 0) == 0);
	CHECK(!s.bad && s.i == g.exp.n);
	ws_frame__fini(&d);
	gen_free(&g);
}

/* ---- bounded memory ------------------------------------------------------ */

#ifndef __SANITIZE_ADDRESS__
/* Count every allocation in the process (glibc lets the program interpose
 * malloc) to show that feeding allocates nothing. ASan brings its own
 * allocator, so the sanitizer build skips the counting case. */
#define ALLOC_COUNTING 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
static unsigned long n_allocs;
static size_t last_alloc;

void *malloc(size_t n)
{
	n_allocs++;
	last_alloc = n;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	n_allocs++;
	last_alloc = n * m;
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	n_allocs++;
	last_alloc = n;
	return __libc_realloc(p, n);
}
#endif

/* With a caller buffer that ends at a guard page, a message of exactly max
 * bytes fits (also reassembled from fragments), one byte more is refused on
 * its header with 1009 and nothing is written past the buffer. */
static void oversize_bounded(void)
{
	const size_t max = 4096 + 17;
	void *map = NULL;
	size_t maplen = 0;
	uint8_t *buf = guarded_alloc(max, &map, &maplen);

	REQUIRE(buf);
	for (int mode = SPLIT_WHOLE; mode <= SPLIT_RANDOM; mode++) {
		struct gen g = {0};
		struct ws_frame d;
		struct sink s;
		int rc;

		g.rng = 3;
		g_msg(&g, WS_OP_BINARY, pool_bin, max, 4, 1);
		g_msg(&g, WS_OP_TEXT, pool_text, max, 1, 0);
		g_frame(&g, 0, WS_OP_BINARY, pool_bin, max - 1);
		g_frame(&g, 0, WS_OP_CONT, pool_bin, 1);
		wframe(&g.o, 1, 0, WS_OP_CONT, 0, pool_bin, 1); /* one byte too many */
		REQUIRE(mk(&d, &s, &g.exp, max, 0, buf) == 0);
		rc = feed_all(&d, &s, g.o.b, g.o.n, mode, 5);
		CHECKF(rc == WS_FRAME_E_TOO_BIG && ws_frame_close_code(rc) == 1009, "mode %d: %d",
		       mode, rc);
		CHECKF(!s.bad && s.i == g.exp.n, "mode %d: %s", mode, s.why);
		/* an unfragmented one too big, even if contiguous */
		ws_frame__reset(&d);
		g.o.n = 0;
		wframe(&g.o, 1, 0, WS_OP_TEXT, 0, pool_text, max + 1);
		s.i = g.exp.n;
		rc = feed_all(&d, &s, g.o.b, g.o.n, mode, 6);
		CHECKF(rc == WS_FRAME_E_TOO_BIG && !s.bad && s.i == g.exp.n, "mode %d: %d", mode,
		       rc);
		ws_frame__fini(&d);
		gen_free(&g);
	}
	munmap(map, maplen);
}

/* ws_frame__init allocates the buffer once (none with a caller buffer,
 * struct + buffer for ws_frame__new); feeding messages up to the maximum,
 * fragmented and split, and an oversized one allocates nothing. */
static void allocation_counts(void)
{
#ifdef ALLOC_COUNTING
	static uint8_t cbuf[64 * 1024];
	struct gen g = {0};
	struct ws_frame d, d2;
	struct ws_frame_opts o = {.max_msg = sizeof(cbuf), .buf = cbuf};
	struct ws_frame *p;
	struct sink s;
	unsigned long a0;
	int rc;

	g.rng = 9;
	g_msg(&g, WS_OP_BINARY, pool_bin, MIB, 7, 1);
	g_msg(&g, WS_OP_TEXT, pool_text, 100000, 3, 1);
	g_msg(&g, WS_OP_TEXT, pool_text, 150, 1, 0);
	g_frame(&g, 0, WS_OP_BINARY, pool_bin, 3 * MIB);
	wframe(&g.o, 1, 0, WS_OP_CONT, 0, pool_bin, MIB + 1);

	a0 = n_allocs;
	REQUIRE(mk(&d, &s, &g.exp, 0, WS_FRAME_F_UTF8, NULL) == 0);
	CHECKF(n_allocs - a0 == 1 && last_alloc == WS_FRAME_DEFAULT_MAX_MSG,
	       "init: %lu allocations, last %zu", n_allocs - a0, last_alloc);
	a0 = n_allocs;
	rc = feed_all(&d, &s, g.o.b, g.o.n, SPLIT_RANDOM, 4);
	CHECKF(n_allocs == a0, "%lu allocations while feeding", n_allocs - a0);
	CHECK(rc == WS_FRAME_E_TOO_BIG && !s.bad && s.i == g.exp.n);
	ws_frame__reset(&d);
	s.i = 0;
	a0 = n_allocs;
	rc = feed_all(&d, &s, g.o.b, g.o.n, SPLIT_BYTES, 0);
	CHECKF(n_allocs == a0, "%lu allocations while feeding bytewise", n_allocs - a0);
	CHECK(rc == WS_FRAME_E_TOO_BIG && !s.bad && s.i == g.exp.n);
	ws_frame__fini(&d);

	a0 = n_allocs;
	rc = ws_frame__init(&d2, &o);
	CHECKF(rc == 0 && n_allocs == a0, "caller buffer: %lu allocations", n_allocs - a0);
	ws_frame__fini(&d2);
	a0 = n_allocs;
	ws_frame__new(&p, &o);
	CHECKF(p && n_allocs - a0 == 1, "new with caller buffer: %lu allocations", n_allocs - a0);
	ws_frame__free(p);
	o.buf = NULL;
	a0 = n_allocs;
	ws_frame__new(&p, &o);
	CHECKF(p && n_allocs - a0 == 2, "new: %lu allocations", n_allocs - a0);
	ws_frame__free(p);
	gen_free(&g);
#else
	SKIP("allocations are not countable under ASan");
#endif
}

static void init_rejects_bad_opts(void)
{
	struct ws_frame d;
	struct ws_frame_opts o = {.max_msg = (size_t)WS_FRAME_LIMIT_MAX_MSG + 1};
	struct ws_frame *p;

	CHECK(ws_frame__init(&d, &o) == -EINVAL);
	CHECK(ws_frame__init(&d, NULL) == -EINVAL);
	p = (void *)&d; /* must be cleared on failure */
	CHECK(ws_frame__new(&p, &o) == -EINVAL && p == NULL);
	o.max_msg = 64;
	REQUIRE(ws_frame__new(&p, &o) == 0); /* callbacks are optional */
	REQUIRE(p);
	CHECK(ws_frame__feed(p, (const uint8_t *)"\x81\x02hi\x89\x00", 6) == 6);
	CHECK(ws_frame__feed(p, (const uint8_t *)"\x82\x41", 2) == WS_FRAME_E_TOO_BIG);
	ws_frame__free(p);
}


int main(void)
{
	pools_init();
	guard_setup(16 * MIB);
	RUN(sizes_whole);
	RUN(sizes_bytewise);
	RUN(sizes_random_splits);
	RUN(zero_copy_paths);
	RUN(control_between_fragments);
	RUN(close_codes_valid);
	RUN(reset_reuses_decoder);
	RUN(differential_vs_wslay);
	RUN(differential_corrupted);
	RUN(guard_page_every_split);
	RUN(violations);
	RUN(close_code_mapping);
	RUN(utf8_off_by_default);
	RUN(oversize_bounded);
	RUN(allocation_counts);
	RUN(init_rejects_bad_opts);
	if (w_ctx)
		wslay_frame_context_free(w_ctx);
	return check_exit();
}

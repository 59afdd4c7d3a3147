/* Tests for feedgen: determinism, exact JSON shapes, depth id continuity and
 * book consistency, raw sizes, the combined envelope, subscriptions, --mix. */
#include "check.h"
#include "sim/feedgen.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* check.h evaluates a condition twice on failure: evaluate calls once. */
#define EXPECT_EQ(expr, want)                                                    \
	do {                                                                     \
		long long v_ = (long long)(expr);                                \
		CHECKF(v_ == (long long)(want), "%s = %lld, want %lld", #expr, v_, \
		       (long long)(want));                                       \
	} while (0)

/* ---- a tiny strict JSON checker ---- */

enum jtype { J_BAD, J_OBJ, J_ARR, J_STR, J_NUM, J_BOOL, J_NULL };

static const char *j_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Returns the end of the value starting at p, or NULL if not valid JSON. */
static const char *j_value(const char *p, const char *e, enum jtype *t, int depth);

static const char *j_string(const char *p, const char *e)
{
	if (p >= e || *p != '"')
		return NULL;
	for (p++; p < e; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if (++p >= e || !strchr("\"\\/bfnrtu", *p))
				return NULL;
			if (*p == 'u') {
				for (int i = 0; i < 4; i++)
					if (++p >= e || !isxdigit((unsigned char)*p))
						return NULL;
			}
		}
	}
	return NULL;
}

static const char *j_number(const char *p, const char *e)
{
	if (p < e && *p == '-')
		p++;
	if (p >= e || !isdigit((unsigned char)*p))
		return NULL;
	if (*p == '0')
		p++;
	else
		while (p < e && isdigit((unsigned char)*p))
			p++;
	if (p < e && *p == '.') {
		if (++p >= e || !isdigit((unsigned char)*p))
			return NULL;
		while (p < e && isdigit((unsigned char)*p))
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || !isdigit((unsigned char)*p))
			return NULL;
		while (p < e && isdigit((unsigned char)*p))
			p++;
	}
	return p;
}

static const char *j_value(const char *p, const char *e, enum jtype *t, int depth)
{
	enum jtype dummy;

	if (depth > 32)
		return NULL;
	p = j_ws(p, e);
	if (p >= e)
		return NULL;
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';

		*t = obj ? J_OBJ : J_ARR;
		p = j_ws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = j_string(j_ws(p, e), e);
				if (!p)
					return NULL;
				p = j_ws(p, e);
				if (p >= e || *p++ != ':')
					return NULL;
			}
			p = j_value(p, e, &dummy, depth + 1);
			if (!p)
				return NULL;
			p = j_ws(p, e);
			if (p < e && *p == ',') {
				p++;
				continue;
			}
			if (p < e && *p == close)
				return p + 1;
			return NULL;
		}
	}
	if (*p == '"') {
		*t = J_STR;
		return j_string(p, e);
	}
	if (e - p >= 4 && !memcmp(p, "true", 4)) {
		*t = J_BOOL;
		return p + 4;
	}
	if (e - p >= 5 && !memcmp(p, "false", 5)) {
		*t = J_BOOL;
		return p + 5;
	}
	if (e - p >= 4 && !memcmp(p, "null", 4)) {
		*t = J_NULL;
		return p + 4;
	}
	*t = J_NUM;
	return j_number(p, e);
}

/* The whole text is exactly one JSON value. */
static bool j_valid(const char *p, size_t n, enum jtype *t)
{
	const char *end = j_value(p, p + n, t, 0);

	return end && j_ws(end, p + n) == p + n;
}

struct jfield {
	char key[16];
	enum jtype type;
	const char *v; /* value text (strings without quotes) */
	size_t n;
};

/* Split a valid JSON object into its fields, in order. */
static int j_fields(const char *p, size_t n, struct jfield *f, int max)
{
	const char *e = p + n;
	int k = 0;

	p = j_ws(p, e);
	if (p >= e || *p != '{')
		return -1;
	p = j_ws(p + 1, e);
	if (*p == '}')
		return 0;
	for (;;) {
		const char *ks = j_ws(p, e), *ke = j_string(ks, e), *vs, *ve;

		if (!ke || k == max || (size_t)(ke - ks - 2) >= sizeof(f[k].key))
			return -1;
		memcpy(f[k].key, ks + 1, (size_t)(ke - ks - 2));
		f[k].key[ke - ks - 2] = 0;
		p = j_ws(ke, e);
		if (*p++ != ':')
			return -1;
		vs = j_ws(p, e);
		ve = j_value(vs, e, &f[k].type, 1);
		if (!ve)
			return -1;
		f[k].v = f[k].type == J_STR ? vs + 1 : vs;
		f[k].n = (size_t)(ve - vs) - (f[k].type == J_STR ? 2 : 0);
		k++;
		p = j_ws(ve, e);
		if (*p == ',') {
			p++;
			continue;
		}
		return *p == '}' ? k : -1;
	}
}

/* "123.45600000": digits, one dot, exactly 8 decimals (Binance's form). */
static bool is_decimal8(const char *s, size_t n, uint64_t *e8)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < n && isdigit((unsigned char)s[i]))
		v = v * 10 + (uint64_t)(s[i++] - '0');
	if (i == 0 || i + 9 != n || s[i] != '.')
		return false;
	for (i++; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*e8 = v;
	return true;
}

static uint64_t num(const struct jfield *f)
{
	return strtoull(f->v, NULL, 10);
}

/* ---- helpers ---- */

static char *buf;
static size_t buf_cap;

static struct feedgen *gen_new(uint64_t seed, const char *const *streams)
{
	struct feedgen_config cfg;
	struct feedgen *g = NULL;

	feedgen_config_default(&cfg);
	cfg.seed = seed;
	if (feedgen__new(&g, &cfg))
		return NULL;
	for (; *streams; streams++)
		if (feedgen__subscribe(g, *streams, strlen(*streams)) != 0) {
			feedgen__free(g);
			return NULL;
		}
	return g;
}

static const struct feedgen_clock clk0 = { 1700000000123, 123456789 };

static const char *const all_streams[] = {
	"btcusdt@trade", "btcusdt@aggTrade", "btcusdt@bookTicker", "btcusdt@depth",
	"btcusdt@depth@100ms", "ethusdt@trade", "ethusdt@depth", "ethusdt@bookTicker",
	"xyzabc@aggTrade", NULL
};

static bool keys_are(const struct jfield *f, int n, const char *const *keys)
{
	int i;

	for (i = 0; keys[i]; i++)
		if (i >= n || strcmp(f[i].key, keys[i]))
			return false;
	return i == n;
}

/* ---- cases ---- */

static void same_seed_same_payloads(void)
{
	struct feedgen *a = gen_new(42, all_streams), *b = gen_new(42, all_streams);
	struct feedgen *c = gen_new(43, all_streams);
	char *other = malloc(buf_cap);
	int diff_c = 0;

	REQUIRE(a && b && c && other);
	for (int i = 0; i < 20000; i++) {
		ssize_t na = feedgen__next(a, buf, buf_cap, i & 1, &clk0, NULL);
		ssize_t nb = feedgen__next(b, other, buf_cap, i & 1, &clk0, NULL);

		CHECKF(na > 0 && na == nb && !memcmp(buf, other, (size_t)na),
		       "message %d differs for the same seed", i);
		nb = feedgen__next(c, other, buf_cap, i & 1, &clk0, NULL);
		diff_c += na != nb || memcmp(buf, other, (size_t)na);
	}
	CHECKF(diff_c > 19000, "seed 43 repeated seed 42 (%d differ)", diff_c);
	free(other);
	feedgen__free(a);
	feedgen__free(b);
	feedgen__free(c);
}

/* The clocks only change E, T and ts_ns. */
static void clocks_change_only_timestamps(void)
{
	static const char *const s[] = { "btcusdt@trade", NULL };
	struct feedgen *a = gen_new(7, s), *b = gen_new(7, s);
	struct feedgen_clock c1 = { 1700000000999, 999999999 };
	char *other = malloc(buf_cap);
	struct jfield fa[16], fb[16];

	REQUIRE(a && b && other);
	for (int i = 0; i < 1000; i++) {
		ssize_t na = feedgen__next(a, buf, buf_cap, false, &clk0, NULL);
		ssize_t nb = feedgen__next(b, other, buf_cap, false, &c1, NULL);
		int ka = j_fields(buf, (size_t)na, fa, 16), kb = j_fields(other, (size_t)nb, fb, 16);

		REQUIRE(ka == 10 && kb == 10);
		for (int k = 0; k < ka; k++) {
			bool ts = !strcmp(fa[k].key, "E") || !strcmp(fa[k].key, "T") ||
				  !strcmp(fa[k].key, "ts_ns");

			CHECKF(ts || (fa[k].n == fb[k].n && !memcmp(fa[k].v, fb[k].v, fa[k].n)),
			       "field %.15s differs", fa[k].key);
		}
		CHECK(num(&fb[1]) == 1700000000999ULL && num(&fb[9]) == 999999999ULL);
	}
	free(other);
	feedgen__free(a);
	feedgen__free(b);
}

static const char *const trade_keys[] = { "e", "E", "s", "t", "p", "q", "T", "m", "M", "ts_ns", NULL };
static const char *const agg_keys[] = { "e", "E", "s", "a", "p", "q", "f", "l", "T", "m", "M", "ts_ns", NULL };
static const char *const ticker_keys[] = { "u", "s", "b", "B", "a", "A", "ts_ns", NULL };
static const char *const depth_keys[] = { "e", "E", "s", "U", "u", "b", "a", "ts_ns", NULL };

/* Check one data object; returns its kind or -1. */
static int check_data(const char *p, size_t n)
{
	struct jfield f[16];
	enum jtype t;
	uint64_t v;
	int k;

	if (!j_valid(p, n, &t) || t != J_OBJ)
		return -1;
	k = j_fields(p, n, f, 16);
	if (k < 1 || strcmp(f[k - 1].key, "ts_ns") || f[k - 1].type != J_NUM ||
	    num(&f[k - 1]) != (uint64_t)clk0.mono_ns)
		return -1;
	if (keys_are(f, k, trade_keys) || keys_are(f, k, agg_keys)) {
		bool agg = k == 12;

		if (f[0].type != J_STR || f[0].n != (agg ? 8u : 5u) ||
		    memcmp(f[0].v, agg ? "aggTrade" : "trade", f[0].n))
			return -1;
		if (f[1].type != J_NUM || num(&f[1]) != (uint64_t)clk0.wall_ms || f[2].type != J_STR)
			return -1;
		for (int i = 0; i < (int)f[2].n; i++)
			if (islower((unsigned char)f[2].v[i]))
				return -1;
		if (f[3].type != J_NUM || f[4].type != J_STR || !is_decimal8(f[4].v, f[4].n, &v) ||
		    !v || f[5].type != J_STR || !is_decimal8(f[5].v, f[5].n, &v) || !v)
			return -1;
		if (agg && (f[6].type != J_NUM || f[7].type != J_NUM || num(&f[7]) < num(&f[6])))
			return -1;
		if (f[k - 4].type != J_NUM || num(&f[k - 4]) != (uint64_t)clk0.wall_ms ||
		    f[k - 3].type != J_BOOL || f[k - 2].type != J_BOOL)
			return -1;
		return agg ? FEEDGEN_AGGTRADE : FEEDGEN_TRADE;
	}
	if (keys_are(f, k, ticker_keys)) {
		uint64_t b, a;

		if (f[0].type != J_NUM || f[1].type != J_STR)
			return -1;
		for (int i = 2; i < 6; i++)
			if (f[i].type != J_STR || !is_decimal8(f[i].v, f[i].n, &v) || !v)
				return -1;
		is_decimal8(f[2].v, f[2].n, &b);
		is_decimal8(f[4].v, f[4].n, &a);
		return b < a ? FEEDGEN_BOOKTICKER : -1;
	}
	if (keys_are(f, k, depth_keys)) {
		if (f[0].type != J_STR || f[0].n != 11 || memcmp(f[0].v, "depthUpdate", 11) ||
		    f[3].type != J_NUM || f[4].type != J_NUM || num(&f[4]) < num(&f[3]) ||
		    f[5].type != J_ARR || f[6].type != J_ARR)
			return -1;
		return FEEDGEN_DEPTH;
	}
	return -1;
}

static void every_message_has_its_shape(void)
{
	struct feedgen *g = gen_new(1, all_streams);
	int seen[FEEDGEN_NKINDS] = { 0 };

	REQUIRE(g);
	for (int i = 0; i < 30000; i++) {
		enum feedgen_kind kind;
		ssize_t n = feedgen__next(g, buf, buf_cap, false, &clk0, &kind);
		int got;

		REQUIRE(n > 0);
		got = check_data(buf, (size_t)n);
		CHECKF(got >= 0, "bad message: %.*s", (int)(n > 300 ? 300 : n), buf);
		if (kind == FEEDGEN_DEPTH100)
			kind = FEEDGEN_DEPTH;
		CHECKF(got < 0 || got == (int)kind, "kind %d reported as %d", got, kind);
		CHECKF(memchr(buf, '\n', (size_t)n) == NULL, "newline in message");
		seen[kind]++;
	}
	for (int k = 0; k < FEEDGEN_RAW; k++)
		CHECKF(k == FEEDGEN_DEPTH100 || seen[k] > 100, "kind %d seen %d times", k, seen[k]);
	feedgen__free(g);
}

/* A book rebuilt from one depth stream alone. */
struct book {
	int n;
	uint64_t px[1024], qty[1024];
	bool bid[1024];
};

static bool book_apply(struct book *b, const char *p, size_t n, bool bid)
{
	/* p..p+n is an array of ["price","qty"] pairs */
	const char *e = p + n;

	while (p < e) {
		const char *q1 = memchr(p, '"', (size_t)(e - p)), *q2, *q3, *q4;
		uint64_t px, qty;
		int i;

		if (!q1)
			return true;
		q2 = memchr(q1 + 1, '"', (size_t)(e - q1 - 1));
		q3 = memchr(q2 + 1, '"', (size_t)(e - q2 - 1));
		q4 = memchr(q3 + 1, '"', (size_t)(e - q3 - 1));
		if (!q2 || !q3 || !q4 || !is_decimal8(q1 + 1, (size_t)(q2 - q1 - 1), &px) ||
		    !is_decimal8(q3 + 1, (size_t)(q4 - q3 - 1), &qty))
			return false;
		for (i = 0; i < b->n; i++)
			if (b->px[i] == px && b->bid[i] == bid)
				break;
		if (i == b->n) {
			if (!qty)
				goto next;
			if (b->n == 1024)
				return false;
			b->n++;
		}
		b->px[i] = px;
		b->bid[i] = bid;
		b->qty[i] = qty;
		if (!qty)
			b->qty[i] = 0;
	next:
		p = q4 + 1;
	}
	return true;
}

static void book_best(const struct book *b, uint64_t *bp, uint64_t *bq, uint64_t *ap, uint64_t *aq)
{
	*bp = 0;
	*ap = UINT64_MAX;
	for (int i = 0; i < b->n; i++) {
		if (!b->qty[i])
			continue;
		if (b->bid[i] && b->px[i] > *bp)
			*bp = b->px[i], *bq = b->qty[i];
		if (!b->bid[i] && b->px[i] < *ap)
			*ap = b->px[i], *aq = b->qty[i];
	}
}

static void depth_ids_continue_and_book_matches_ticker(void)
{
	static const char *const s[] = { "btcusdt@depth", "btcusdt@bookTicker", "btcusdt@trade",
					 "btcusdt@aggTrade", "btcusdt@depth@100ms", NULL };
	struct feedgen *g = gen_new(99, s);
	static struct book book[2];
	uint64_t last_u[2] = { 0, 0 }, tick_u = 0, tb = 0, tB = 0, ta = 0, tA = 0;
	uint64_t last_t = 0;
	int compared = 0, depth_msgs = 0;

	REQUIRE(g);
	memset(book, 0, sizeof(book));
	for (int i = 0; i < 50000; i++) {
		enum feedgen_kind kind;
		ssize_t n = feedgen__next(g, buf, buf_cap, false, &clk0, &kind);
		struct jfield f[16];
		int k = j_fields(buf, (size_t)n, f, 16);

		REQUIRE(k > 0);
		if (kind == FEEDGEN_DEPTH || kind == FEEDGEN_DEPTH100) {
			int sl = kind == FEEDGEN_DEPTH100;
			uint64_t U = num(&f[3]), u = num(&f[4]), bp, bq = 0, ap, aq = 0;

			CHECKF(!last_u[sl] || U == last_u[sl] + 1, "U %llu after u %llu",
			       (unsigned long long)U, (unsigned long long)last_u[sl]);
			CHECK(u >= U);
			last_u[sl] = u;
			REQUIRE(book_apply(&book[sl], f[5].v, f[5].n, true));
			REQUIRE(book_apply(&book[sl], f[6].v, f[6].n, false));
			book_best(&book[sl], &bp, &bq, &ap, &aq);
			CHECKF(bp && ap != UINT64_MAX && bp < ap, "rebuilt book empty or crossed");
			depth_msgs++;
			if (tick_u == u) {
				CHECKF(bp == tb && bq == tB && ap == ta && aq == tA,
				       "book top differs from bookTicker u=%llu", (unsigned long long)u);
				compared++;
			}
		} else if (kind == FEEDGEN_BOOKTICKER) {
			tick_u = num(&f[0]);
			is_decimal8(f[2].v, f[2].n, &tb);
			is_decimal8(f[3].v, f[3].n, &tB);
			is_decimal8(f[4].v, f[4].n, &ta);
			is_decimal8(f[5].v, f[5].n, &tA);
		} else if (kind == FEEDGEN_TRADE) {
			CHECK(num(&f[3]) > last_t);
			last_t = num(&f[3]);
		} else if (kind == FEEDGEN_AGGTRADE) {
			CHECK(num(&f[6]) > last_t);
			last_t = num(&f[7]);
		}
	}
	CHECKF(compared > 50 && depth_msgs > 1000, "only %d comparisons, %d depth messages",
	       compared, depth_msgs);
	feedgen__free(g);
}

static void raw_sizes_within_bounds(void)
{
	static const uint32_t bounds[][2] = { { 2, 2 }, { 2, 100 }, { 1000, 1000 },
					      { 500, 70000 }, { 1048576, 1048576 } };

	for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
		struct feedgen_config cfg;
		struct feedgen *g;
		char *big;
		size_t cap, lo = SIZE_MAX, hi = 0;
		int rc;

		feedgen_config_default(&cfg);
		cfg.raw_min = bounds[b][0];
		cfg.raw_max = bounds[b][1];
		cap = feedgen_msg_max(&cfg);
		REQUIRE(cap >= cfg.raw_max);
		big = malloc(cap);
		rc = big ? feedgen__new(&g, &cfg) : -ENOMEM;
		REQUIRE(rc == 0);
		rc = feedgen__subscribe(g, "raw", 3);
		REQUIRE(rc == 0);
		EXPECT_EQ(feedgen__next(g, big, cap - 1, false, &clk0, NULL), -ENOSPC);
		for (int i = 0; i < (cfg.raw_max > 100000 ? 3 : 300); i++) {
			ssize_t n = feedgen__next(g, big, cap, false, &clk0, NULL);
			bool ok = true;

			CHECKF(n >= (ssize_t)cfg.raw_min && n <= (ssize_t)cfg.raw_max,
			       "raw size %zd outside %u..%u", n, cfg.raw_min, cfg.raw_max);
			for (ssize_t j = 0; j < n; j++)
				ok &= big[j] >= 0x20 && big[j] < 0x7f && big[j] != '"' && big[j] != '\\';
			CHECKF(ok, "raw payload has a non-printable, quote or backslash");
			lo = (size_t)n < lo ? (size_t)n : lo;
			hi = (size_t)n > hi ? (size_t)n : hi;
		}
		if (cfg.raw_max - cfg.raw_min >= 98)
			CHECKF(hi - lo > (cfg.raw_max - cfg.raw_min) / 2, "sizes barely vary");
		feedgen__free(g);
		free(big);
	}
}

static void combined_envelope_shape(void)
{
	static const char *const s[] = { "btcusdt@trade", "ethusdt@bookTicker", "raw",
					 "solusdt@depth", NULL };
	struct feedgen *g = gen_new(5, s);
	int raw = 0;

	REQUIRE(g);
	for (int i = 0; i < 5000; i++) {
		enum feedgen_kind kind;
		ssize_t n = feedgen__next(g, buf, buf_cap, true, &clk0, &kind);
		struct jfield f[4];
		enum jtype t;
		int k;
		bool known = false;

		REQUIRE(n > 0);
		CHECKF(j_valid(buf, (size_t)n, &t) && t == J_OBJ, "envelope not JSON: %.*s",
		       (int)(n > 200 ? 200 : n), buf);
		k = j_fields(buf, (size_t)n, f, 4);
		REQUIRE(k == 2 && !strcmp(f[0].key, "stream") && !strcmp(f[1].key, "data"));
		for (int j = 0; s[j]; j++)
			known |= strlen(s[j]) == f[0].n && !memcmp(s[j], f[0].v, f[0].n);
		CHECK(known && f[0].type == J_STR);
		CHECK(!memcmp(buf, "{\"stream\":\"", 11) && buf[n - 1] == '}');
		if (kind == FEEDGEN_RAW) {
			CHECK(f[1].type == J_STR && f[0].n == 3);
			raw++;
		} else {
			CHECKF(f[1].type == J_OBJ && check_data(f[1].v, f[1].n) >= 0,
			       "bad data in envelope");
		}
	}
	CHECK(raw > 100);
	feedgen__free(g);
}

static void subscriptions(void)
{
	static const char *const bad[] = { "BTCUSDT@trade", "btcusdt", "btcusdt@", "@trade",
					   "btcusdt@trades", "btcusdt@depth@1000ms", "btc-usdt@trade",
					   "abcdefghijklmnopqrstu@trade", "raw2", "btcusdt@raw", "" };
	static const char *const none[] = { NULL };
	struct feedgen *g = gen_new(1, none);
	char name[32];
	int rc;

	REQUIRE(g);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = feedgen__subscribe(g, bad[i], strlen(bad[i]));
		CHECKF(rc == -EINVAL, "accepted %s", bad[i]);
	}
	CHECK(!feedgen__can_emit(g));
	EXPECT_EQ(feedgen__next(g, buf, buf_cap, false, &clk0, NULL), 0);
	EXPECT_EQ(feedgen__subscribe(g, "abcdefghijklmnopqrst@depth@100ms", 32), 0);
	EXPECT_EQ(feedgen__subscribe(g, "btcusdt@trade", 13), 0);
	EXPECT_EQ(feedgen__subscribe(g, "btcusdt@trade", 13), 1);
	EXPECT_EQ(feedgen__subscribe(g, "raw", 3), 0);
	CHECK(feedgen__nstreams(g) == 3);
	CHECK(!strcmp(feedgen__stream(g, 1), "btcusdt@trade"));
	EXPECT_EQ(feedgen__unsubscribe(g, "btcusdt@trade", 13), 0);
	EXPECT_EQ(feedgen__unsubscribe(g, "btcusdt@trade", 13), 1);
	CHECK(feedgen__nstreams(g) == 2 && !strcmp(feedgen__stream(g, 1), "raw"));
	CHECK(feedgen__stream(g, 2) == NULL);
	for (int i = 0; i < FEEDGEN_MAX_STREAMS - 2; i++) {
		static const char *const sfx[] = { "trade", "depth", "aggTrade", "bookTicker",
						   "depth@100ms" };

		snprintf(name, sizeof(name), "s%d@%s", i % 205, sfx[i / 205]);
		rc = feedgen__subscribe(g, name, strlen(name));
		CHECKF(rc == 0, "cannot add %s", name);
	}
	EXPECT_EQ(feedgen__subscribe(g, "zz@trade", 8), -ENOSPC);
	/* more distinct symbols than FEEDGEN_MAX_SYMBOLS */
	EXPECT_EQ(feedgen__unsubscribe(g, "s1@trade", 8), 0);
	for (int i = 0; i < FEEDGEN_MAX_SYMBOLS; i++) {
		snprintf(name, sizeof(name), "q%d@trade", i);
		if (feedgen__subscribe(g, name, strlen(name)) == -ENOSPC)
			break;
		EXPECT_EQ(feedgen__unsubscribe(g, name, strlen(name)), 0);
	}
	EXPECT_EQ(feedgen__subscribe(g, "q255@trade", 10), -ENOSPC);
	feedgen__free(g);
}

static void mix_weights(void)
{
	uint32_t w[FEEDGEN_NKINDS] = { 1, 1, 1, 1, 1, 1 };
	struct feedgen_config cfg;
	struct feedgen *g;
	int counts[FEEDGEN_NKINDS] = { 0 };
	int rc;

	EXPECT_EQ(feedgen_parse_mix("trade=4,aggTrade=0,depth=7", w), 0);
	CHECK(w[FEEDGEN_TRADE] == 4 && w[FEEDGEN_AGGTRADE] == 0 && w[FEEDGEN_DEPTH] == 7 &&
	      w[FEEDGEN_DEPTH100] == 7 && w[FEEDGEN_BOOKTICKER] == 1);
	EXPECT_EQ(feedgen_parse_mix("depth@100ms=2", w), 0);
	CHECK(w[FEEDGEN_DEPTH100] == 2 &&
	      w[FEEDGEN_DEPTH] == 7);
	EXPECT_EQ(feedgen_parse_mix("trade=x", w), -EINVAL);
	EXPECT_EQ(feedgen_parse_mix("trades=1", w), -EINVAL);
	EXPECT_EQ(feedgen_parse_mix("trade=1,", w), -EINVAL);
	EXPECT_EQ(feedgen_parse_mix("trade", w), -EINVAL);
	EXPECT_EQ(feedgen_parse_mix("trade=1 ", w), -EINVAL);
	CHECK(w[FEEDGEN_TRADE] == 4); /* failures leave weights alone */

	feedgen_config_default(&cfg);
	rc = feedgen_parse_mix("trade=3,bookTicker=1,aggTrade=0", cfg.weight);
	REQUIRE(rc == 0);
	rc = feedgen__new(&g, &cfg);
	REQUIRE(rc == 0);
	feedgen__subscribe(g, "btcusdt@trade", 13);
	feedgen__subscribe(g, "btcusdt@aggTrade", 16);
	feedgen__subscribe(g, "btcusdt@bookTicker", 18);
	for (int i = 0; i < 40000; i++) {
		enum feedgen_kind kind;

		ssize_t n = feedgen__next(g, buf, buf_cap, false, &clk0, &kind);

		REQUIRE(n > 0);
		counts[kind]++;
	}
	CHECK(counts[FEEDGEN_AGGTRADE] == 0);
	CHECKF(counts[FEEDGEN_TRADE] > 28000 && counts[FEEDGEN_TRADE] < 32000, "trades %d",
	       counts[FEEDGEN_TRADE]);
	feedgen__unsubscribe(g, "btcusdt@trade", 13);
	feedgen__unsubscribe(g, "btcusdt@bookTicker", 18);
	CHECK(!feedgen__can_emit(g));
	EXPECT_EQ(feedgen__next(g, buf, buf_cap, false, &clk0, NULL), 0);
	feedgen__free(g);
}

static void config_is_checked(void)
{
	struct feedgen_config cfg;
	struct feedgen *g = NULL;

	feedgen_config_default(&cfg);
	cfg.raw_min = 1;
	EXPECT_EQ(feedgen__new(&g, &cfg), -EINVAL);
	cfg.raw_min = 10;
	cfg.raw_max = 9;
	EXPECT_EQ(feedgen__new(&g, &cfg), -EINVAL);
	cfg.raw_max = FEEDGEN_RAW_MAX + 1;
	EXPECT_EQ(feedgen__new(&g, &cfg), -EINVAL);
	feedgen_config_default(&cfg);
	CHECK(feedgen_msg_max(&cfg) == FEEDGEN_JSON_MAX);
	cfg.raw_max = FEEDGEN_RAW_MAX;
	CHECK(feedgen_msg_max(&cfg) >= FEEDGEN_RAW_MAX + 30);
}

int main(void)
{
	buf_cap = FEEDGEN_JSON_MAX;
	buf = malloc(buf_cap);
	RUN(same_seed_same_payloads);
	RUN(clocks_change_only_timestamps);
	RUN(every_message_has_its_shape);
	RUN(depth_ids_continue_and_book_matches_ticker);
	RUN(raw_sizes_within_bounds);
	RUN(combined_envelope_shape);
	RUN(subscriptions);
	RUN(mix_weights);
	RUN(config_is_checked);
	free(buf);
	return check_exit();
}

/* feedgen — deterministic Binance-style message generator (see feedgen.h). */
#include "feedgen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define NWORDS (FEEDGEN_BOOK_LEVELS / 64)
#define TICK_E8 1000000 /* price step 0.01 */
#define LOT_E8 1000     /* quantity step 0.00001 */
#define MAX_LOTS 100000 /* largest new level: 1.0 */

enum { BID = 0, ASK = 1 };

static const char *const kind_suffix[FEEDGEN_NKINDS] = {
	[FEEDGEN_TRADE] = "trade",	     [FEEDGEN_AGGTRADE] = "aggTrade",
	[FEEDGEN_BOOKTICKER] = "bookTicker", [FEEDGEN_DEPTH] = "depth",
	[FEEDGEN_DEPTH100] = "depth@100ms",  [FEEDGEN_RAW] = "raw",
};

/* Printable ASCII without '"' and '\\', so raw text is also a JSON string. */
static const char raw_alphabet[] = " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "[]^_`abcdefghijklmnopqrstuvwxyz{|}~";

struct rng {
	uint64_t s[4];
};

struct symbol {
	char lower[FEEDGEN_SYMBOL_MAX + 1];
	char upper[FEEDGEN_SYMBOL_MAX + 1];
	uint8_t len;
	int64_t base_ticks; /* price of level 0, in ticks */
	int split;          /* levels below are bids, from here up asks */
	uint64_t uid;       /* book update id, bumped by every change */
	uint64_t trade_id, agg_id;
	uint64_t depth_u[2]; /* last "u" sent per depth stream */
	/* levels changed since the last message of each depth stream, per side */
	uint64_t dirty[2][2][NWORDS];
	uint32_t qty[FEEDGEN_BOOK_LEVELS]; /* lots; 0 = empty */
};

struct stream {
	char name[FEEDGEN_NAME_MAX];
	uint8_t name_len;
	uint8_t kind;
	int16_t sym; /* index into symbols[], -1 for raw */
};

struct feedgen {
	struct feedgen_config cfg;
	struct rng rng;
	unsigned nstreams, nsymbols;
	uint64_t total_weight;
	uint64_t cum[FEEDGEN_MAX_STREAMS]; /* running weight sums */
	struct stream streams[FEEDGEN_MAX_STREAMS];
	struct symbol *symbols[FEEDGEN_MAX_SYMBOLS];
	int last; /* stream of the latest message */
};

/* ---- randomness: splitmix64 for seeding, xoshiro256** for the stream ---- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Uniform in [0, n) by multiply-high (n > 0). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ULL;
	return h;
}

/* ---- text output ---- */

#define PUTS(p, lit) put(p, lit, sizeof(lit) - 1)

static inline char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, -(uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

/* A fixed-point value with 8 decimals, as Binance prints prices and sizes. */
static char *put_e8(char *p, uint64_t v)
{
	uint32_t frac = (uint32_t)(v % 100000000);

	p = put_u64(p, v / 100000000);
	*p++ = '.';
	for (int i = 7; i >= 0; i--) {
		p[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	return p + 8;
}

static char *put_ts(char *p, const struct feedgen_clock *clk)
{
	if (clk->mono_ns < 0) { /* --no-ts */
		*p++ = '}';
		return p;
	}
	p = PUTS(p, ",\"ts_ns\":");
	p = put_i64(p, clk->mono_ns);
	*p++ = '}';
	return p;
}

/* ---- configuration ---- */

void feedgen_config_default(struct feedgen_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
	cfg->weight[FEEDGEN_TRADE] = 4;
	cfg->weight[FEEDGEN_AGGTRADE] = 1;
	cfg->weight[FEEDGEN_BOOKTICKER] = 4;
	cfg->weight[FEEDGEN_DEPTH] = 1;
	cfg->weight[FEEDGEN_DEPTH100] = 1;
	cfg->weight[FEEDGEN_RAW] = 1;
	cfg->raw_min = FEEDGEN_RAW_MIN;
	cfg->raw_max = 4096;
}

int64_t feedgen_index_ms(int64_t epoch_ms, double rate, uint64_t index)
{
	if (!(rate > 0))
		return epoch_ms;
	/* whole ms, exact for the index and rate ranges feedsim allows */
	return epoch_ms + (int64_t)((double)index * 1000.0 / rate);
}

const char *feedgen_kind_name(enum feedgen_kind kind)
{
	return (unsigned)kind < FEEDGEN_NKINDS ? kind_suffix[kind] : "?";
}

int feedgen_parse_mix(const char *s, uint32_t weight[FEEDGEN_NKINDS])
{
	uint32_t w[FEEDGEN_NKINDS];

	memcpy(w, weight, sizeof(w));
	while (*s) {
		const char *eq = strchr(s, '='), *end;
		size_t n;
		char *num_end;
		unsigned long v;
		int k, found = 0;

		if (!eq)
			return -EINVAL;
		n = (size_t)(eq - s);
		if (eq[1] < '0' || eq[1] > '9')
			return -EINVAL;
		v = strtoul(eq + 1, &num_end, 10);
		if (v > 1000000 || (*num_end && *num_end != ','))
			return -EINVAL;
		for (k = 0; k < FEEDGEN_NKINDS; k++) {
			if (strlen(kind_suffix[k]) == n && !memcmp(s, kind_suffix[k], n)) {
				w[k] = (uint32_t)v;
				found = 1;
			}
		}
		if (!found)
			return -EINVAL;
		/* "depth" also sets depth@100ms: one weight for both book streams */
		if (n == 5 && !memcmp(s, "depth", 5))
			w[FEEDGEN_DEPTH100] = (uint32_t)v;
		end = num_end;
		s = *end ? end + 1 : end;
		if (*end && !*s)
			return -EINVAL; /* trailing comma */
	}
	memcpy(weight, w, sizeof(w));
	return 0;
}

size_t feedgen_msg_max(const struct feedgen_config *cfg)
{
	/* raw in combined mode: {"stream":"raw","data":"..."} */
	size_t raw = (size_t)cfg->raw_max + 64;

	return raw > FEEDGEN_JSON_MAX ? raw : FEEDGEN_JSON_MAX;
}

int feedgen_stream_parse(const char *name, size_t len, enum feedgen_kind *kind)
{
	size_t i;

	if (len == 3 && !memcmp(name, "raw", 3)) {
		*kind = FEEDGEN_RAW;
		return 0;
	}
	for (i = 0; i < len && name[i] != '@'; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return -EINVAL;
	}
	if (i == 0 || i > FEEDGEN_SYMBOL_MAX || i == len)
		return -EINVAL;
	for (int k = 0; k < FEEDGEN_RAW; k++) {
		size_t n = strlen(kind_suffix[k]);

		if (len - i - 1 == n && !memcmp(name + i + 1, kind_suffix[k], n)) {
			*kind = (enum feedgen_kind)k;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- the order book of one symbol ---- */

static inline void bit_set(uint64_t *w, int i)
{
	w[i >> 6] |= 1ULL << (i & 63);
}

static void book_set(struct symbol *s, int lvl, uint32_t q)
{
	int side = lvl < s->split ? BID : ASK;

	s->qty[lvl] = q;
	s->uid++;
	bit_set(s->dirty[0][side], lvl);
	bit_set(s->dirty[1][side], lvl);
}

static int best_bid(const struct symbol *s)
{
	for (int i = s->split - 1; i >= 0; i--)
		if (s->qty[i])
			return i;
	return -1;
}

static int best_ask(const struct symbol *s)
{
	for (int i = s->split; i < FEEDGEN_BOOK_LEVELS; i++)
		if (s->qty[i])
			return i;
	return -1;
}

static uint32_t new_qty(struct rng *r)
{
	return 1 + (uint32_t)rng_below(r, MAX_LOTS);
}

/* Keep both sides non-empty, so there is always a best bid and ask. */
static void book_ensure(struct rng *r, struct symbol *s)
{
	if (best_bid(s) < 0)
		book_set(s, s->split - 1, new_qty(r));
	if (best_ask(s) < 0)
		book_set(s, s->split, new_qty(r));
}

/* Move the bid/ask boundary one level: the level that changes side is
 * emptied first, so a client never sees a crossed book. */
static void book_shift(struct symbol *s, int up)
{
	int lvl;

	if (up && s->split < FEEDGEN_BOOK_LEVELS * 3 / 4) {
		lvl = s->split;
		if (s->qty[lvl])
			book_set(s, lvl, 0);
		s->split++;
	} else if (!up && s->split > FEEDGEN_BOOK_LEVELS / 4) {
		lvl = s->split - 1;
		if (s->qty[lvl])
			book_set(s, lvl, 0);
		s->split--;
	}
}

/* One random change near the top of the book (within `depth` levels). */
static void book_change(struct rng *r, struct symbol *s, unsigned depth)
{
	uint64_t x = rng_next(r);
	unsigned k = (unsigned)((x >> 8) % depth);
	int lvl;

	if ((x & 31) == 0)
		book_shift(s, (x >> 5) & 1);
	if ((x >> 7) & 1)
		k /= 2;
	lvl = ((x >> 6) & 1) == BID ? s->split - 1 - (int)k : s->split + (int)k;
	book_set(s, lvl, (x >> 40) % 4 == 0 ? 0 : new_qty(r));
	book_ensure(r, s);
}

static void symbol_init(struct symbol *s, uint64_t seed, const char *name, size_t len)
{
	static const struct {
		const char *sym;
		int64_t dollars;
	} known[] = { { "btcusdt", 37000 }, { "ethusdt", 2000 }, { "bnbusdt", 250 },
		      { "solusdt", 60 },    { "xrpusdt", 1 } };
	struct rng r;
	int64_t dollars = -1, mid;

	memset(s, 0, sizeof(*s));
	rng_seed(&r, seed ^ fnv1a(name, len));
	memcpy(s->lower, name, len);
	for (size_t i = 0; i < len; i++)
		s->upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
	s->len = (uint8_t)len;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (strlen(known[i].sym) == len && !memcmp(known[i].sym, name, len))
			dollars = known[i].dollars;
	if (dollars < 0)
		dollars = 10 + (int64_t)rng_below(&r, 990);
	mid = dollars * 100 + (int64_t)rng_below(&r, 100);
	s->split = FEEDGEN_BOOK_LEVELS / 2;
	s->base_ticks = mid - s->split;
	for (int i = 0; i < FEEDGEN_BOOK_LEVELS; i++) {
		int dist = i < s->split ? s->split - 1 - i : i - s->split;

		if (dist < 10 || rng_below(&r, 2))
			s->qty[i] = new_qty(&r);
	}
	s->uid = 1000000000ULL + rng_below(&r, 1000000000ULL);
	s->trade_id = 100000000ULL + rng_below(&r, 100000000ULL);
	s->agg_id = 10000000ULL + rng_below(&r, 10000000ULL);
}

/* A depth stream starts with every non-empty level, on its current side. */
static void symbol_depth_reset(struct symbol *s, int slot)
{
	memset(s->dirty[slot], 0, sizeof(s->dirty[slot]));
	for (int i = 0; i < FEEDGEN_BOOK_LEVELS; i++)
		if (s->qty[i])
			bit_set(s->dirty[slot][i < s->split ? BID : ASK], i);
	s->depth_u[slot] = s->uid;
}

/* ---- generator lifetime and subscriptions ---- */

int feedgen__new(struct feedgen **out, const struct feedgen_config *cfg)
{
	struct feedgen *g;

	*out = NULL;
	if (cfg->raw_min < FEEDGEN_RAW_MIN || cfg->raw_max > FEEDGEN_RAW_MAX ||
	    cfg->raw_min > cfg->raw_max)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->cfg = *cfg;
	rng_seed(&g->rng, cfg->seed);
	g->last = -1;
	*out = g;
	return 0;
}

void feedgen__free(struct feedgen *g)
{
	if (!g)
		return;
	for (unsigned i = 0; i < g->nsymbols; i++)
		free(g->symbols[i]);
	free(g);
}

static int stream_find(const struct feedgen *g, const char *name, size_t len)
{
	for (unsigned i = 0; i < g->nstreams; i++)
		if (g->streams[i].name_len == len && !memcmp(g->streams[i].name, name, len))
			return (int)i;
	return -1;
}

static void weights_rebuild(struct feedgen *g)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < g->nstreams; i++) {
		sum += g->cfg.weight[g->streams[i].kind];
		g->cum[i] = sum;
	}
	g->total_weight = sum;
}

/* The symbol's state lives as long as the generator, so a stream that is
 * dropped and added again continues the same ids and book. */
static int symbol_get(struct feedgen *g, const char *name, size_t len)
{
	struct symbol *s;

	for (unsigned i = 0; i < g->nsymbols; i++)
		if (g->symbols[i]->len == len && !memcmp(g->symbols[i]->lower, name, len))
			return (int)i;
	if (g->nsymbols == FEEDGEN_MAX_SYMBOLS)
		return -ENOSPC;
	s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	symbol_init(s, g->cfg.seed, name, len);
	g->symbols[g->nsymbols] = s;
	return (int)g->nsymbols++;
}

int feedgen__subscribe(struct feedgen *g, const char *name, size_t len)
{
	enum feedgen_kind kind;
	struct stream *st;
	int sym = -1;

	if (feedgen_stream_parse(name, len, &kind))
		return -EINVAL;
	if (stream_find(g, name, len) >= 0)
		return 1;
	if (g->nstreams == FEEDGEN_MAX_STREAMS)
		return -ENOSPC;
	if (kind != FEEDGEN_RAW) {
		sym = symbol_get(g, name, (size_t)((const char *)memchr(name, '@', len) - name));
		if (sym < 0)
			return sym;
		if (kind == FEEDGEN_DEPTH || kind == FEEDGEN_DEPTH100)
			symbol_depth_reset(g->symbols[sym], kind == FEEDGEN_DEPTH100);
	}
	st = &g->streams[g->nstreams++];
	memcpy(st->name, name, len);
	st->name[len] = 0;
	st->name_len = (uint8_t)len;
	st->kind = (uint8_t)kind;
	st->sym = (int16_t)sym;
	weights_rebuild(g);
	return 0;
}

int feedgen__unsubscribe(struct feedgen *g, const char *name, size_t len)
{
	int i = stream_find(g, name, len);

	if (i < 0)
		return 1;
	memmove(&g->streams[i], &g->streams[i + 1],
		(g->nstreams - (unsigned)i - 1) * sizeof(g->streams[0]));
	g->nstreams--;
	weights_rebuild(g);
	return 0;
}

bool feedgen__has(const struct feedgen *g, const char *name, size_t len)
{
	return stream_find(g, name, len) >= 0;
}

unsigned feedgen__nstreams(const struct feedgen *g)
{
	return g->nstreams;
}

const char *feedgen__stream(const struct feedgen *g, unsigned i)
{
	return i < g->nstreams ? g->streams[i].name : NULL;
}

bool feedgen__can_emit(const struct feedgen *g)
{
	return g->total_weight > 0;
}

/* ---- messages ---- */

static unsigned stream_pick(struct feedgen *g)
{
	unsigned lo = 0, hi = g->nstreams - 1;
	uint64_t x;

	if (g->nstreams == 1)
		return 0;
	x = rng_below(&g->rng, g->total_weight);
	while (lo < hi) { /* first i with cum[i] > x */
		unsigned mid = (lo + hi) / 2;

		if (g->cum[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static char *put_head(char *p, const char *event, size_t elen, const struct symbol *s,
		      const struct feedgen_clock *clk)
{
	p = PUTS(p, "{\"e\":\"");
	p = put(p, event, elen);
	p = PUTS(p, "\",\"E\":");
	p = put_i64(p, clk->wall_ms);
	p = PUTS(p, ",\"s\":\"");
	p = put(p, s->upper, s->len);
	*p++ = '"';
	return p;
}

static inline uint64_t price_e8(const struct symbol *s, int lvl)
{
	return (uint64_t)(s->base_ticks + lvl) * TICK_E8;
}

/* Take liquidity at the best level of one side: returns the level and the
 * lots taken; *maker_buy is Binance's "m" (buyer is the maker). */
static int take(struct rng *r, struct symbol *s, uint32_t max_lots, uint32_t *lots, bool *maker_buy)
{
	int lvl;
	uint32_t avail, q;

	book_ensure(r, s);
	*maker_buy = rng_next(r) & 1;
	lvl = *maker_buy ? best_bid(s) : best_ask(s);
	avail = s->qty[lvl];
	q = 1 + (uint32_t)rng_below(r, avail < max_lots ? avail : max_lots);
	book_set(s, lvl, avail - q);
	*lots = q;
	return lvl;
}

static char *gen_trade(struct feedgen *g, struct symbol *s, char *p,
		       const struct feedgen_clock *clk)
{
	uint32_t lots;
	bool m;
	int lvl = take(&g->rng, s, 5000, &lots, &m);

	p = put_head(p, "trade", 5, s, clk);
	p = PUTS(p, ",\"t\":");
	p = put_u64(p, ++s->trade_id);
	p = PUTS(p, ",\"p\":\"");
	p = put_e8(p, price_e8(s, lvl));
	p = PUTS(p, "\",\"q\":\"");
	p = put_e8(p, (uint64_t)lots * LOT_E8);
	p = PUTS(p, "\",\"T\":");
	p = put_i64(p, clk->wall_ms);
	p = m ? PUTS(p, ",\"m\":true") : PUTS(p, ",\"m\":false");
	p = PUTS(p, ",\"M\":true");
	return put_ts(p, clk);
}

static char *gen_agg_trade(struct feedgen *g, struct symbol *s, char *p,
			   const struct feedgen_clock *clk)
{
	uint32_t lots;
	bool m;
	int lvl = take(&g->rng, s, 20000, &lots, &m);
	uint64_t n = 1 + rng_below(&g->rng, lots < 3 ? lots : 3); /* trades aggregated */

	p = put_head(p, "aggTrade", 8, s, clk);
	p = PUTS(p, ",\"a\":");
	p = put_u64(p, ++s->agg_id);
	p = PUTS(p, ",\"p\":\"");
	p = put_e8(p, price_e8(s, lvl));
	p = PUTS(p, "\",\"q\":\"");
	p = put_e8(p, (uint64_t)lots * LOT_E8);
	p = PUTS(p, "\",\"f\":");
	p = put_u64(p, s->trade_id + 1);
	p = PUTS(p, ",\"l\":");
	p = put_u64(p, s->trade_id + n);
	s->trade_id += n;
	p = PUTS(p, ",\"T\":");
	p = put_i64(p, clk->wall_ms);
	p = m ? PUTS(p, ",\"m\":true") : PUTS(p, ",\"m\":false");
	p = PUTS(p, ",\"M\":true");
	return put_ts(p, clk);
}

static char *gen_book_ticker(struct feedgen *g, struct symbol *s, char *p,
			     const struct feedgen_clock *clk)
{
	int b, a;

	book_change(&g->rng, s, 3);
	b = best_bid(s);
	a = best_ask(s);
	p = PUTS(p, "{\"u\":");
	p = put_u64(p, s->uid);
	p = PUTS(p, ",\"s\":\"");
	p = put(p, s->upper, s->len);
	p = PUTS(p, "\",\"b\":\"");
	p = put_e8(p, price_e8(s, b));
	p = PUTS(p, "\",\"B\":\"");
	p = put_e8(p, (uint64_t)s->qty[b] * LOT_E8);
	p = PUTS(p, "\",\"a\":\"");
	p = put_e8(p, price_e8(s, a));
	p = PUTS(p, "\",\"A\":\"");
	p = put_e8(p, (uint64_t)s->qty[a] * LOT_E8);
	*p++ = '"';
	return put_ts(p, clk);
}

static char *put_level(char *p, const struct symbol *s, int lvl, uint32_t lots, bool first)
{
	if (!first)
		*p++ = ',';
	p = PUTS(p, "[\"");
	p = put_e8(p, price_e8(s, lvl));
	p = PUTS(p, "\",\"");
	p = put_e8(p, (uint64_t)lots * LOT_E8);
	return PUTS(p, "\"]");
}

/* A diff of every level changed since this stream's previous message: bids
 * by falling price, asks by rising price. At most 2 * FEEDGEN_BOOK_LEVELS
 * entries of < 40 bytes each, well inside FEEDGEN_JSON_MAX. */
static char *gen_depth(struct feedgen *g, struct symbol *s, int slot, char *p,
		       const struct feedgen_clock *clk)
{
	uint64_t *bids = s->dirty[slot][BID], *asks = s->dirty[slot][ASK];
	unsigned n = 1 + (unsigned)rng_below(&g->rng, 4);
	bool first = true;

	if (s->uid == s->depth_u[slot] || (rng_next(&g->rng) & 1))
		for (unsigned i = 0; i < n; i++)
			book_change(&g->rng, s, 16);
	p = put_head(p, "depthUpdate", 11, s, clk);
	p = PUTS(p, ",\"U\":");
	p = put_u64(p, s->depth_u[slot] + 1);
	p = PUTS(p, ",\"u\":");
	p = put_u64(p, s->uid);
	p = PUTS(p, ",\"b\":[");
	for (int w = NWORDS - 1; w >= 0; w--) {
		while (bids[w]) {
			int bit = 63 - __builtin_clzll(bids[w]);
			int lvl = w * 64 + bit;

			bids[w] &= ~(1ULL << bit);
			p = put_level(p, s, lvl, lvl < s->split ? s->qty[lvl] : 0, first);
			first = false;
		}
	}
	p = PUTS(p, "],\"a\":[");
	first = true;
	for (int w = 0; w < NWORDS; w++) {
		while (asks[w]) {
			int bit = __builtin_ctzll(asks[w]);
			int lvl = w * 64 + bit;

			asks[w] &= asks[w] - 1;
			p = put_level(p, s, lvl, lvl >= s->split ? s->qty[lvl] : 0, first);
			first = false;
		}
	}
	*p++ = ']';
	s->depth_u[slot] = s->uid;
	return put_ts(p, clk);
}

static char *gen_raw(struct feedgen *g, char *p, bool quoted)
{
	size_t n = g->cfg.raw_min + rng_below(&g->rng, g->cfg.raw_max - g->cfg.raw_min + 1);
	const size_t nalpha = sizeof(raw_alphabet) - 1;

	if (quoted)
		*p++ = '"';
	while (n) {
		uint64_t x = rng_next(&g->rng);

		for (int i = 0; i < 8 && n; i++, n--, x >>= 8)
			*p++ = raw_alphabet[((x & 0xff) * nalpha) >> 8];
	}
	if (quoted)
		*p++ = '"';
	return p;
}

ssize_t feedgen__next(struct feedgen *g, char *buf, size_t cap, bool combined,
		      const struct feedgen_clock *clk, enum feedgen_kind *kind)
{
	const struct stream *st;
	struct symbol *s;
	char *p = buf;

	if (cap < feedgen_msg_max(&g->cfg))
		return -ENOSPC;
	if (!g->total_weight)
		return 0;
	g->last = (int)stream_pick(g);
	st = &g->streams[g->last];
	s = st->sym >= 0 ? g->symbols[st->sym] : NULL;
	if (combined) {
		p = PUTS(p, "{\"stream\":\"");
		p = put(p, st->name, st->name_len);
		p = PUTS(p, "\",\"data\":");
	}
	switch ((enum feedgen_kind)st->kind) {
	case FEEDGEN_TRADE:
		p = gen_trade(g, s, p, clk);
		break;
	case FEEDGEN_AGGTRADE:
		p = gen_agg_trade(g, s, p, clk);
		break;
	case FEEDGEN_BOOKTICKER:
		p = gen_book_ticker(g, s, p, clk);
		break;
	case FEEDGEN_DEPTH:
	case FEEDGEN_DEPTH100:
		p = gen_depth(g, s, st->kind == FEEDGEN_DEPTH100, p, clk);
		break;
	case FEEDGEN_RAW:
	case FEEDGEN_NKINDS:
		p = gen_raw(g, p, combined);
		break;
	}
	if (combined)
		*p++ = '}';
	if (kind)
		*kind = (enum feedgen_kind)st->kind;
	return p - buf;
}

/* ---- the true book (market mode) ---- */

int feedgen__book(const struct feedgen *g, const char *sym, size_t len, struct feedgen_book *out)
{
	const struct symbol *s = NULL;

	for (unsigned i = 0; i < g->nsymbols; i++)
		if (g->symbols[i]->len == len && !memcmp(g->symbols[i]->lower, sym, len))
			s = g->symbols[i];
	if (!s)
		return -ENOENT;
	memcpy(out->symbol, s->upper, s->len);
	out->symbol[s->len] = 0;
	out->last_update_id = s->uid;
	out->nbids = out->nasks = 0;
	for (int i = s->split - 1; i >= 0; i--)
		if (s->qty[i])
			out->bids[out->nbids++] = (struct feedgen_level){ price_e8(s, i),
									   (uint64_t)s->qty[i] * LOT_E8 };
	for (int i = s->split; i < FEEDGEN_BOOK_LEVELS; i++)
		if (s->qty[i])
			out->asks[out->nasks++] = (struct feedgen_level){ price_e8(s, i),
									   (uint64_t)s->qty[i] * LOT_E8 };
	return 0;
}

int feedgen__last_stream(const struct feedgen *g)
{
	return g->last;
}

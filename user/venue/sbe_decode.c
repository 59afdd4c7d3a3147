/* sbe_decode — the Binance spot SBE decoder (see sbe_decode.h). A cursor
 * over the message; every read is checked against the bytes left first.
 * Nothing here allocates except sbe_decoder__new at set-up. */
#include "sbe_decode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/fx_err.h"

static inline uint16_t rd_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t rd_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline int64_t rd_i64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return (int64_t)v;
}

void sbe_decoder__init(struct sbe_decoder *d, struct feed_level *levels, uint32_t nlevels,
		       struct feed_trade *trades, uint32_t ntrades)
{
	d->levels = levels;
	d->nlevels = nlevels;
	d->trades = trades;
	d->ntrades = ntrades;
}

int sbe_decoder__new(struct sbe_decoder **out, uint32_t nlevels, uint32_t ntrades)
{
	struct sbe_decoder *d = calloc(1, sizeof(*d));
	struct feed_level *lv = calloc(nlevels ? nlevels : 1, sizeof(*lv));
	struct feed_trade *tr = calloc(ntrades ? ntrades : 1, sizeof(*tr));

	if (!d || !lv || !tr) {
		free(d);
		free(lv);
		free(tr);
		return -ENOMEM;
	}
	sbe_decoder__init(d, lv, nlevels, tr, ntrades);
	*out = d;
	return 0;
}

void sbe_decoder__free(struct sbe_decoder *d)
{
	if (!d)
		return;
	free(d->levels);
	free(d->trades);
	free(d);
}

int sbe_header_read(const uint8_t *p, size_t n, struct sbe_header *h)
{
	if (n < SBE_HEADER_LEN)
		return -FX_E_FEED_SBE_SHORT;
	h->block_length = rd_u16(p);
	h->template_id = rd_u16(p + 2);
	h->schema_id = rd_u16(p + 4);
	h->version = rd_u16(p + 6);
	return 0;
}

int sbe_is_sbe(const uint8_t *p, size_t n)
{
	return n >= SBE_HEADER_LEN && rd_u16(p + 4) == SBE_SCHEMA_ID;
}

const char *sbe_template_name(uint16_t id)
{
	switch (id) {
	case SBE_TPL_TRADES:
		return "TradesStreamEvent";
	case SBE_TPL_BEST_BID_ASK:
		return "BestBidAskStreamEvent";
	case SBE_TPL_DEPTH_SNAPSHOT:
		return "DepthSnapshotStreamEvent";
	case SBE_TPL_DEPTH_DIFF:
		return "DepthDiffStreamEvent";
	}
	return NULL;
}

static const int64_t pow10_i64[19] = {
    1LL,
    10LL,
    100LL,
    1000LL,
    10000LL,
    100000LL,
    1000000LL,
    10000000LL,
    100000000LL,
    1000000000LL,
    10000000000LL,
    100000000000LL,
    1000000000000LL,
    10000000000000LL,
    100000000000000LL,
    1000000000000000LL,
    10000000000000000LL,
    100000000000000000LL,
    1000000000000000000LL,
};

/* inline in the decoder: an exported function is called through the PLT
 * in the shared library */
static inline int to_e8(int64_t mantissa, int8_t exponent, int64_t *out)
{
	int k = (int)exponent + 8; /* value in 1e-8 units = mantissa x 10^k */

	if (mantissa == 0) {
		*out = 0;
		return 0;
	}
	if (k >= 0) {
		if (k > 18 || __builtin_mul_overflow(mantissa, pow10_i64[k], out))
			return -FX_E_FEED_SBE_EXPONENT;
		return 0;
	}
	/* digits below 1e-8 must all be zero */
	if (-k > 18 || mantissa % pow10_i64[-k] != 0)
		return -FX_E_FEED_SBE_EXPONENT;
	*out = mantissa / pow10_i64[-k];
	return 0;
}

int sbe_to_e8(int64_t mantissa, int8_t exponent, int64_t *out)
{
	return to_e8(mantissa, exponent, out);
}

/* ---- the cursor ---- */

struct cur {
	const uint8_t *p;
	size_t left;
};

static inline const uint8_t *take(struct cur *c, size_t n)
{
	const uint8_t *q = c->p;

	if (n > c->left)
		return NULL;
	c->p += n;
	c->left -= n;
	return q;
}

/* A group's header: entry length (>= min) and count, with count x entry
 * checked against the bytes left before anything of it is read. */
static int group_begin(struct cur *c, bool wide, uint16_t min, uint16_t *blen, uint32_t *count)
{
	const uint8_t *h = take(c, wide ? SBE_GROUP_HDR : SBE_GROUP16_HDR);

	if (!h)
		return -FX_E_FEED_SBE_SHORT;
	*blen = rd_u16(h);
	*count = wide ? rd_u32(h + 2) : rd_u16(h + 2);
	if (*blen < min)
		return -FX_E_FEED_SBE_BLOCK;
	if ((uint64_t)*blen * *count > c->left)
		return -FX_E_FEED_SBE_SHORT;
	return 0;
}

static int get_time(const uint8_t *p, uint64_t *out)
{
	int64_t v = rd_i64(p);

	if (v < 0)
		return -FX_E_FEED_RANGE;
	*out = (uint64_t)v;
	return 0;
}

static int levels_read(struct sbe_decoder *d, struct cur *c, uint32_t *used, int8_t pe, int8_t qe,
		       const struct feed_level **out, uint32_t *n)
{
	uint16_t blen;
	uint32_t count;
	int r = group_begin(c, false, SBE_LEVEL_ENTRY, &blen, &count);

	if (r)
		return r;
	if (count > d->nlevels - *used)
		return -FX_E_FEED_LEVELS;
	*out = d->levels + *used;
	*n = count;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = take(c, blen);
		struct feed_level *l = d->levels + *used + i;

		if ((r = to_e8(rd_i64(e), pe, &l->price)) ||
		    (r = to_e8(rd_i64(e + 8), qe, &l->qty)))
			return r;
	}
	*used += count;
	return 0;
}

static int symbol_read(struct cur *c, struct feed_msg *m)
{
	const uint8_t *l = take(c, 1), *s;

	if (!l || !(s = take(c, *l)))
		return -FX_E_FEED_SBE_SHORT;
	/* as in JSON text, where they cannot appear raw: nothing for a
	 * terminal to act on */
	for (uint8_t i = 0; i < *l; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return -FX_E_FEED_SBE_SYMBOL;
	m->symbol.ptr = (const char *)s;
	m->symbol.len = *l;
	return 0;
}

static int decode_trades(struct sbe_decoder *d, const uint8_t *root, struct cur *c,
			 struct feed_msg *m)
{
	int8_t pe = (int8_t)root[16], qe = (int8_t)root[17];
	uint16_t blen;
	uint32_t count;
	int r;

	if ((r = get_time(root, &m->event_ms)) || (r = get_time(root + 8, &m->trade_ms)))
		return r;
	if ((r = group_begin(c, true, SBE_TRADE_ENTRY, &blen, &count)))
		return r;
	if (count > d->ntrades)
		return -FX_E_FEED_TRADES;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = take(c, blen);
		struct feed_trade *t = d->trades + i;
		int64_t id = rd_i64(e);

		if (id < 0)
			return -FX_E_FEED_RANGE;
		t->id = (uint64_t)id;
		t->trade_ms = 0;
		if ((r = to_e8(rd_i64(e + 8), pe, &t->price)) ||
		    (r = to_e8(rd_i64(e + 16), qe, &t->qty)))
			return r;
		t->buyer_maker = e[24] != 0;
	}
	m->type = FEED_MSG_TRADE;
	m->fields |= FEED_F_EVENT_MS | FEED_F_TRADE_MS | FEED_F_BEST_MATCH;
	m->best_match = true;
	m->trades = d->trades;
	m->n_trades = count;
	if (count) {
		m->id = d->trades[0].id;
		m->price = d->trades[0].price;
		m->qty = d->trades[0].qty;
		m->buyer_maker = d->trades[0].buyer_maker;
	}
	return symbol_read(c, m);
}

static int decode_bba(const uint8_t *root, struct cur *c, struct feed_msg *m)
{
	int8_t pe = (int8_t)root[16], qe = (int8_t)root[17];
	int r;

	if ((r = get_time(root, &m->event_ms)) || (r = get_time(root + 8, &m->id)))
		return r;
	if ((r = to_e8(rd_i64(root + 18), pe, &m->bid_px)) ||
	    (r = to_e8(rd_i64(root + 26), qe, &m->bid_qty)) ||
	    (r = to_e8(rd_i64(root + 34), pe, &m->ask_px)) ||
	    (r = to_e8(rd_i64(root + 42), qe, &m->ask_qty)))
		return r;
	m->type = FEED_MSG_BOOK_TICKER;
	m->fields |= FEED_F_EVENT_MS;
	return symbol_read(c, m);
}

static int decode_depth(struct sbe_decoder *d, const uint8_t *root, bool diff, struct cur *c,
			struct feed_msg *m)
{
	int8_t pe, qe;
	uint32_t used = 0;
	int r;

	if ((r = get_time(root, &m->event_ms)) || (r = get_time(root + 8, &m->first_id)))
		return r;
	if (diff) {
		if ((r = get_time(root + 16, &m->last_id)))
			return r;
		pe = (int8_t)root[24];
		qe = (int8_t)root[25];
	} else {
		m->last_id = m->first_id;
		m->fields |= FEED_F_SNAPSHOT;
		pe = (int8_t)root[16];
		qe = (int8_t)root[17];
	}
	if ((r = levels_read(d, c, &used, pe, qe, &m->bids, &m->n_bids)) ||
	    (r = levels_read(d, c, &used, pe, qe, &m->asks, &m->n_asks)))
		return r;
	m->type = FEED_MSG_DEPTH;
	m->fields |= FEED_F_EVENT_MS;
	return symbol_read(c, m);
}

int sbe_decode(struct sbe_decoder *d, const uint8_t *p, size_t n, struct feed_msg *m)
{
	struct sbe_header h;
	struct cur c = {p, n};
	const uint8_t *root;
	const char *name;
	uint16_t need;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = sbe_header_read(p, n, &h)))
		return r;
	take(&c, SBE_HEADER_LEN);
	if (h.schema_id != SBE_SCHEMA_ID)
		return -FX_E_FEED_SBE_SCHEMA;
	name = sbe_template_name(h.template_id);
	if (!name) { /* a template this version does not know */
		m->type = FEED_MSG_UNKNOWN;
		m->id = h.template_id;
		return 0;
	}
	m->event.ptr = name;
	m->event.len = (uint32_t)__builtin_strlen(name); /* a constant per template */
	m->fields = FEED_F_TIME_US;
	switch (h.template_id) {
	case SBE_TPL_TRADES:
		need = SBE_TRADES_BLOCK;
		break;
	case SBE_TPL_BEST_BID_ASK:
		need = SBE_BBA_BLOCK;
		break;
	case SBE_TPL_DEPTH_SNAPSHOT:
		need = SBE_SNAPSHOT_BLOCK;
		break;
	default:
		need = SBE_DIFF_BLOCK;
		break;
	}
	if (h.block_length < need)
		return -FX_E_FEED_SBE_BLOCK;
	root = take(&c, h.block_length);
	if (!root)
		return -FX_E_FEED_SBE_SHORT;
	switch (h.template_id) {
	case SBE_TPL_TRADES:
		return decode_trades(d, root, &c, m);
	case SBE_TPL_BEST_BID_ASK:
		return decode_bba(root, &c, m);
	case SBE_TPL_DEPTH_SNAPSHOT:
		return decode_depth(d, root, false, &c, m);
	default:
		return decode_depth(d, root, true, &c, m);
	}
}

uint64_t sbe_scan_event_us(const uint8_t *p, size_t n)
{
	struct sbe_header h;
	int64_t v;

	if (sbe_header_read(p, n, &h) || h.schema_id != SBE_SCHEMA_ID ||
	    !sbe_template_name(h.template_id) || h.block_length < 8 || n < SBE_HEADER_LEN + 8)
		return 0;
	v = rd_i64(p + SBE_HEADER_LEN);
	return v > 0 ? (uint64_t)v : 0;
}

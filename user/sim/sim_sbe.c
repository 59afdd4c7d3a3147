/* sim_sbe — feedsim's SBE dialect (see sim_sbe.h). */
#include "sim_sbe.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sbe_encode.h"
#include "venue/binance_parse.h"

#define SIM_SBE_TOKS 4096
#define SIM_SBE_LEVELS 1024

/* feedgen's book for one symbol, as its depth@100ms stream tells it */
struct sbe_book {
	char sym[FEEDGEN_SYMBOL_MAX + 1];
	uint8_t sym_len;
	uint32_t n[2];
	struct feed_level
	    lv[2][FEEDGEN_BOOK_LEVELS]; /* bids best (highest) first, asks lowest first */
};

struct sim_sbe {
	struct binance_parser *json;
	struct feed_trade trade;
	unsigned nbooks;
	struct sbe_book *books[FEEDGEN_MAX_SYMBOLS];
};

/* ---- names ---- */

static const struct {
	const char *sbe, *gen;
} name_map[] = {
    {"trade", "trade"},
    {"bestBidAsk", "bookTicker"},
    {"depth", "depth"},
    {"depth20", "depth@100ms"},
};

static int is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '@';
}

/* Rewrite every "@<suffix>" of text by the table, one way or the other;
 * unknown suffixes become an invalid name when mapping to feedgen. */
static size_t map(char *text, size_t len, size_t cap, bool to_gen)
{
	char tmp[8192];
	size_t o = 0, i = 0;

	while (i < len) {
		const char *rep = NULL;
		size_t w, rl;

		if (text[i] != '@') {
			if (o + 1 >= sizeof(tmp))
				return 0;
			tmp[o++] = text[i++];
			continue;
		}
		/* "@<suffix>" up to the next delimiter */
		for (w = i + 1; w < len && is_word(text[w]); w++)
			;
		for (size_t k = 0; k < sizeof(name_map) / sizeof(name_map[0]); k++) {
			const char *from = to_gen ? name_map[k].sbe : name_map[k].gen;

			if (strlen(from) == w - i - 1 && !memcmp(text + i + 1, from, w - i - 1))
				rep = to_gen ? name_map[k].gen : name_map[k].sbe;
		}
		if (!rep && to_gen)
			rep = "notAnSbeStream";
		if (!rep) { /* keep it as it is */
			rep = text + i + 1;
			rl = w - i - 1;
		} else {
			rl = strlen(rep);
		}
		if (o + 1 + rl + 1 >= sizeof(tmp))
			return 0;
		tmp[o++] = '@';
		memcpy(tmp + o, rep, rl);
		o += rl;
		i = w;
	}
	if (o + 1 > cap)
		return 0;
	memcpy(text, tmp, o);
	text[o] = 0;
	return o;
}

size_t sim_sbe_map_names(char *text, size_t len, size_t cap)
{
	return map(text, len, cap, true);
}

size_t sim_sbe_unmap_names(char *text, size_t len, size_t cap)
{
	return map(text, len, cap, false);
}

/* ---- state ---- */

int sim_sbe__new(struct sim_sbe **out)
{
	struct sim_sbe *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return -ENOMEM;
	r = binance_parser__new(&x->json, SIM_SBE_TOKS, SIM_SBE_LEVELS);
	if (r) {
		free(x);
		return r;
	}
	*out = x;
	return 0;
}

void sim_sbe__free(struct sim_sbe *x)
{
	if (!x)
		return;
	for (unsigned i = 0; i < x->nbooks; i++)
		free(x->books[i]);
	binance_parser__free(x->json);
	free(x);
}

/* A symbol's book, made on its first depth20 message. */
static struct sbe_book *book_get(struct sim_sbe *x, const struct feed_str *s)
{
	struct sbe_book *b;

	for (unsigned i = 0; i < x->nbooks; i++)
		if (x->books[i]->sym_len == s->len && !memcmp(x->books[i]->sym, s->ptr, s->len))
			return x->books[i];
	if (x->nbooks == FEEDGEN_MAX_SYMBOLS || s->len > FEEDGEN_SYMBOL_MAX ||
	    !(b = calloc(1, sizeof(*b))))
		return NULL;
	memcpy(b->sym, s->ptr, s->len);
	b->sym_len = (uint8_t)s->len;
	x->books[x->nbooks++] = b;
	return b;
}

/* Set one level (qty 0 removes it), keeping the side sorted best first. */
static int book_set(struct sbe_book *b, int side, const struct feed_level *l)
{
	struct feed_level *v = b->lv[side];
	uint32_t n = b->n[side], i = 0;

	while (i < n && (side == 0 ? v[i].price > l->price : v[i].price < l->price))
		i++;
	if (i < n && v[i].price == l->price) {
		if (l->qty) {
			v[i].qty = l->qty;
		} else {
			memmove(v + i, v + i + 1, (n - i - 1) * sizeof(*v));
			b->n[side]--;
		}
		return 0;
	}
	if (!l->qty)
		return 0;
	if (n == FEEDGEN_BOOK_LEVELS)
		return -ENOSPC;
	memmove(v + i + 1, v + i, (n - i) * sizeof(*v));
	v[i] = *l;
	b->n[side]++;
	return 0;
}

ssize_t sim_sbe__encode(struct sim_sbe *x, const char *json, size_t n, enum feedgen_kind kind,
			uint64_t event_us, uint8_t *out, size_t cap)
{
	struct feed_msg m;
	size_t len = 0;

	if (binance_parse(x->json, json, n, &m))
		return -EPROTO;
	switch (m.type) {
	case FEED_MSG_TRADE:
		x->trade = (struct feed_trade){
		    .id = m.id,
		    .price = m.price,
		    .qty = m.qty,
		    .buyer_maker = m.buyer_maker,
		};
		len = sbe_encode_trades(out, cap, m.event_ms, m.trade_ms, &x->trade, 1,
					m.symbol.ptr, m.symbol.len);
		break;
	case FEED_MSG_BOOK_TICKER:
		len = sbe_encode_best_bid_ask(out, cap, event_us, m.id, m.bid_px, m.bid_qty,
					      m.ask_px, m.ask_qty, m.symbol.ptr, m.symbol.len);
		break;
	case FEED_MSG_DEPTH:
		if (kind == FEEDGEN_DEPTH100) { /* depth20: the book's top, as a snapshot */
			struct sbe_book *b = book_get(x, &m.symbol);

			if (!b)
				return -ENOMEM;
			for (uint32_t i = 0; i < m.n_bids; i++)
				if (book_set(b, 0, &m.bids[i]))
					return -ENOSPC;
			for (uint32_t i = 0; i < m.n_asks; i++)
				if (book_set(b, 1, &m.asks[i]))
					return -ENOSPC;
			len = sbe_encode_depth(
			    out, cap, true, m.event_ms, m.last_id, m.last_id, b->lv[0],
			    b->n[0] < SIM_SBE_DEPTH_TOP ? b->n[0] : SIM_SBE_DEPTH_TOP, b->lv[1],
			    b->n[1] < SIM_SBE_DEPTH_TOP ? b->n[1] : SIM_SBE_DEPTH_TOP, m.symbol.ptr,
			    m.symbol.len);
		} else {
			len = sbe_encode_depth(out, cap, false, m.event_ms, m.first_id, m.last_id,
					       m.bids, m.n_bids, m.asks, m.n_asks, m.symbol.ptr,
					       m.symbol.len);
		}
		break;
	default:
		return 0; /* aggTrade, raw: no SBE stream */
	}
	return len ? (ssize_t)len : -ENOSPC;
}

void sim_sbe_log(FILE *f, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		putc(hex[p[i] >> 4], f);
		putc(hex[p[i] & 15], f);
	}
	putc('\n', f);
}

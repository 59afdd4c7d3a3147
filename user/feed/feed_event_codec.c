/* feed_event_codec — struct feed_event to and from its flat record (the
 * layout is in feed_event_codec.h). Byte by byte through le*() helpers, so
 * neither alignment nor the host's byte order matters. */
#include "feed_event_codec.h"

#include <errno.h>
#include <string.h>

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static size_t venue_len(const struct feed_event *e)
{
	size_t n = e->venue ? strlen(e->venue) : 0;

	return n > FEED_CODEC_VENUE_MAX ? FEED_CODEC_VENUE_MAX : n;
}

static size_t text_len(const struct feed_event *e)
{
	size_t n = e->type == FEED_EV_STATUS && e->status.text ? strlen(e->status.text) : 0;

	return n > FEED_CODEC_TEXT_MAX ? FEED_CODEC_TEXT_MAX : n;
}

static size_t n_levels(const struct feed_event *e)
{
	if (e->type == FEED_EV_BOOK)
		return (size_t)e->book.n_bids + e->book.n_asks;
	if (e->type == FEED_EV_TOP)
		return (size_t)e->top.n_bids + e->top.n_asks;
	return 0;
}

size_t feed_event_encoded_size(const struct feed_event *e)
{
	size_t sym = e->symbol_len > FEED_SYMBOL_MAX ? FEED_SYMBOL_MAX : e->symbol_len;
	size_t n = FEED_CODEC_FIXED + 16 * n_levels(e) + venue_len(e) + sym + text_len(e);

	return (n + 7) & ~(size_t)7;
}

static uint8_t *put_levels(uint8_t *p, const struct feed_level *l, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++, p += 16) {
		put64(p, (uint64_t)l[i].price);
		put64(p + 8, (uint64_t)l[i].qty);
	}
	return p;
}

long feed_event_encode(const struct feed_event *e, void *buf, size_t cap)
{
	size_t len = feed_event_encoded_size(e), vl = venue_len(e), tl = text_len(e);
	size_t sl = e->symbol_len > FEED_SYMBOL_MAX ? FEED_SYMBOL_MAX : e->symbol_len;
	uint8_t *b = buf, *p = b + FEED_CODEC_HDR;

	if (e->type < FEED_EV_TRADE || e->type >= FEED_EV__MAX || n_levels(e) > FEED_CODEC_LEVELS_MAX ||
	    len > UINT32_MAX)
		return -EINVAL;
	if (len > cap)
		return -EMSGSIZE;
	memset(b, 0, FEED_CODEC_FIXED);
	b[0] = FEED_CODEC_VERSION;
	b[1] = (uint8_t)e->type;
	put16(b + 2, e->flags);
	put32(b + 4, (uint32_t)len);
	put64(b + 8, e->seq);
	put64(b + 16, e->exch_ns);
	put64(b + 24, e->recv_ns);
	b[32] = (uint8_t)vl;
	b[33] = (uint8_t)sl;
	put16(b + 34, (uint16_t)tl);
	switch (e->type) {
	case FEED_EV_TRADE:
		put64(p, (uint64_t)e->trade.price);
		put64(p + 8, (uint64_t)e->trade.qty);
		put64(p + 16, e->trade.id);
		p[24] = e->trade.side;
		break;
	case FEED_EV_BBO:
		put64(p, (uint64_t)e->bbo.bid_px);
		put64(p + 8, (uint64_t)e->bbo.bid_qty);
		put64(p + 16, (uint64_t)e->bbo.ask_px);
		put64(p + 24, (uint64_t)e->bbo.ask_qty);
		put64(p + 32, e->bbo.id);
		break;
	case FEED_EV_BOOK:
		put64(p, e->book.first_id);
		put64(p + 8, e->book.last_id);
		put32(p + 16, e->book.n_bids);
		put32(p + 20, e->book.n_asks);
		break;
	case FEED_EV_TOP:
		put64(p, e->top.last_id);
		put32(p + 8, e->top.n_bids);
		put32(p + 12, e->top.n_asks);
		put32(p + 16, e->top.depth_known);
		break;
	case FEED_EV_STATUS:
		put16(p, e->status.kind);
		put32(p + 4, e->status.conn);
		put64(p + 8, e->status.first_id);
		put64(p + 16, e->status.last_id);
		break;
	}
	p = b + FEED_CODEC_FIXED;
	if (e->type == FEED_EV_BOOK) {
		p = put_levels(p, e->book.bids, e->book.n_bids);
		p = put_levels(p, e->book.asks, e->book.n_asks);
	} else if (e->type == FEED_EV_TOP) {
		p = put_levels(p, e->top.bids, e->top.n_bids);
		p = put_levels(p, e->top.asks, e->top.n_asks);
	}
	memcpy(p, e->venue, vl), p += vl;
	memcpy(p, e->symbol, sl), p += sl;
	if (tl)
		memcpy(p, e->status.text, tl), p += tl;
	memset(p, 0, (size_t)(b + len - p));
	return (long)len;
}

long feed_event_record_len(const void *buf, size_t n)
{
	const uint8_t *b = buf;
	uint32_t len;

	if (n < FEED_CODEC_HDR)
		return -EAGAIN;
	len = get32(b + 4);
	if (len < FEED_CODEC_FIXED || len % 8 || len > FEED_CODEC_FIXED + 16u * FEED_CODEC_LEVELS_MAX +
							 FEED_CODEC_VENUE_MAX + FEED_SYMBOL_MAX +
							 FEED_CODEC_TEXT_MAX + 8)
		return -EBADMSG;
	return len;
}

static void get_levels(struct feed_level *l, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++, p += 16) {
		l[i].price = (int64_t)get64(p);
		l[i].qty = (int64_t)get64(p + 8);
	}
}

long feed_event_decode(const void *buf, size_t n, struct feed_event *e,
		       struct feed_event_store *st)
{
	const uint8_t *b = buf, *p = b + FEED_CODEC_HDR;
	long len = feed_event_record_len(buf, n);
	size_t vl, sl, tl, need;
	uint32_t nb = 0, na = 0;

	if (len == -EAGAIN)
		return -EBADMSG;
	if (len < 0)
		return len;
	if (b[0] != FEED_CODEC_VERSION)
		return -EPROTONOSUPPORT;
	if ((size_t)len > n)
		return -EBADMSG;
	memset(e, 0, sizeof(*e));
	e->type = b[1];
	e->flags = get16(b + 2);
	e->seq = get64(b + 8);
	e->exch_ns = get64(b + 16);
	e->recv_ns = get64(b + 24);
	vl = b[32], sl = b[33], tl = get16(b + 34);
	if (sl > FEED_SYMBOL_MAX || tl > FEED_CODEC_TEXT_MAX || (tl && e->type != FEED_EV_STATUS))
		return -EBADMSG;
	switch (e->type) {
	case FEED_EV_TRADE:
		e->trade.price = (int64_t)get64(p);
		e->trade.qty = (int64_t)get64(p + 8);
		e->trade.id = get64(p + 16);
		e->trade.side = p[24];
		break;
	case FEED_EV_BBO:
		e->bbo.bid_px = (int64_t)get64(p);
		e->bbo.bid_qty = (int64_t)get64(p + 8);
		e->bbo.ask_px = (int64_t)get64(p + 16);
		e->bbo.ask_qty = (int64_t)get64(p + 24);
		e->bbo.id = get64(p + 32);
		break;
	case FEED_EV_BOOK:
		e->book.first_id = get64(p);
		e->book.last_id = get64(p + 8);
		nb = get32(p + 16), na = get32(p + 20);
		break;
	case FEED_EV_TOP:
		e->top.last_id = get64(p);
		nb = get32(p + 8), na = get32(p + 12);
		e->top.depth_known = get32(p + 16);
		break;
	case FEED_EV_STATUS:
		e->status.kind = get16(p);
		e->status.conn = get32(p + 4);
		e->status.first_id = get64(p + 8);
		e->status.last_id = get64(p + 16);
		break;
	default:
		return -EBADMSG;
	}
	/* 64-bit sums: n_bids + n_asks from the wire cannot wrap */
	if ((uint64_t)nb + na > FEED_CODEC_LEVELS_MAX)
		return -EBADMSG;
	need = FEED_CODEC_FIXED + 16 * ((size_t)nb + na) + vl + sl + tl;
	if (need > (size_t)len || (size_t)len - need >= 8)
		return -EBADMSG;
	if ((size_t)nb + na > st->cap_levels)
		return -EMSGSIZE;
	p = b + FEED_CODEC_FIXED;
	if (e->type == FEED_EV_BOOK || e->type == FEED_EV_TOP) {
		get_levels(st->levels, p, nb);
		get_levels(st->levels + nb, p + 16 * (size_t)nb, na);
		p += 16 * ((size_t)nb + na);
		if (e->type == FEED_EV_BOOK) {
			e->book.bids = st->levels, e->book.asks = st->levels + nb;
			e->book.n_bids = nb, e->book.n_asks = na;
		} else {
			e->top.bids = st->levels, e->top.asks = st->levels + nb;
			e->top.n_bids = nb, e->top.n_asks = na;
		}
	}
	memcpy(st->venue, p, vl), p += vl;
	st->venue[vl] = 0;
	e->venue = st->venue;
	memcpy(e->symbol, p, sl), p += sl;
	e->symbol_len = (uint8_t)sl;
	if (e->type == FEED_EV_STATUS) {
		memcpy(st->text, p, tl);
		st->text[tl] = 0;
		e->status.text = tl ? st->text : NULL;
	}
	return len;
}

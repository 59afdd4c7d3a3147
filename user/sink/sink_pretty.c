/* sink_pretty — one decoded line per message for people: trades, quotes and
 * depth diffs through the venue's parser, anything else as its first 100
 * bytes; with the end-to-end latency when the message carries a send time.
 * Without a send time (a real exchange): the exchange's event time to
 * arrival and to the handler (two clocks) and arrival to handler (exact).
 * A depth message is a diff (levels set, levels removed), not the book. */
#include "sink.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "venue/binance_parse.h"
#include "link/feed_link.h"
#include "venue/venue.h"

/* Pretty output is for a terminal: a small buffer, written when idle. */
#define SINK_PRETTY_BUF (64u << 10)

struct sink_pretty {
	struct sink_buf out;
	const struct venue *venue;
	void *parser;
};

static int pretty_open(struct feed_sink *s, const struct feed_sink_conf *c)
{
	struct sink_pretty *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	p->venue = c->venue;
	r = sink_buf__init(&p->out, c->fd, SINK_PRETTY_BUF);
	if (r)
		goto err_free;
	r = p->venue->parser_new(&p->parser);
	if (r)
		goto err_buf;
	s->priv = p;
	return 0;

err_buf:
	sink_buf__fini(&p->out);
err_free:
	free(p);
	return r;
}

/* A 1e-8 fixed-point number, trailing zeros trimmed (two decimals kept). */
static int put_fixed(struct sink_buf *b, int64_t v)
{
	char frac[9];
	int len = 8;
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	snprintf(frac, sizeof(frac), "%08" PRIu64, a % (uint64_t)FEED_SCALE);
	while (len > 2 && frac[len - 1] == '0')
		len--;
	return sink_buf__printf(b, "%s%" PRIu64 ".%.*s", v < 0 ? "-" : "",
				a / (uint64_t)FEED_SCALE, len, frac);
}

static void put_qty_px(struct sink_buf *b, int64_t qty, int64_t px)
{
	put_fixed(b, qty);
	sink_buf__put(b, " @ ", 3);
	put_fixed(b, px);
}

/* Against an exchange (no simulator send time): its event time to our
 * arrival and to the handler, across two clocks, and arrival to handler on
 * one clock (exact); the kernel path has no arrival stamp. */
static void put_exchange_latency(struct sink_buf *b, const struct lat_stamps *st)
{
	uint64_t h = st->at[LAT_PT_HANDLER], first = 0;

	for (int p = 0; p < LAT_PT_HANDLER && !first; p++)
		first = st->at[p];
	if (st->event_ns && st->real_ns) {
		/* the difference first: doubles lose ns at epoch magnitudes */
		double eh = (double)(int64_t)(st->real_ns - st->event_ns) / 1e3;

		if (first && first <= h)
			sink_buf__printf(b, "   exch->rx %.1f exch->handler %.1f us (two clocks)",
					 eh - (double)(h - first) / 1e3, eh);
		else
			sink_buf__printf(b, "   exch->handler %.1f us (two clocks)", eh);
	}
	if (first && first <= h)
		sink_buf__printf(b, "  rx->handler %.1f us", (double)(h - first) / 1e3);
}

static int pretty_message(struct feed_sink *s, const struct feed_link_msg *msg)
{
	struct sink_pretty *sp = s->priv;
	struct sink_buf *b = &sp->out;
	const struct lat_stamps *st = msg->st;
	struct feed_msg m;
	size_t n = msg->n;
	int r = sp->venue->parse(sp->parser, msg->p, n, &m);

	if (r < 0 || m.type == FEED_MSG_UNKNOWN || m.type == FEED_MSG_REPLY ||
	    m.type == FEED_MSG_ERROR_REPLY) {
		sink_buf__printf(b, "%-9s %.*s%s", "message", (int)(n > 100 ? 100 : n),
				 (const char *)msg->p, n > 100 ? "..." : "");
	} else {
		sink_buf__printf(b, "%-9.*s ", (int)m.symbol.len, m.symbol.ptr);
		switch (m.type) {
		case FEED_MSG_TRADE:
		case FEED_MSG_AGG_TRADE:
			sink_buf__printf(b, "%-8s %-4s ",
					 m.type == FEED_MSG_TRADE ? "trade" : "aggTrade",
					 m.buyer_maker ? "sell" : "buy");
			put_qty_px(b, m.qty, m.price);
			if (m.n_trades > 1) /* OKX, Bybit: a batch; the first shown */
				sink_buf__printf(b, "  (+%u more)", m.n_trades - 1);
			break;
		case FEED_MSG_BOOK_TICKER:
			sink_buf__printf(b, "%-8s bid ", "quote");
			put_qty_px(b, m.bid_qty, m.bid_px);
			sink_buf__put(b, "  ask ", 6);
			put_qty_px(b, m.ask_qty, m.ask_px);
			break;
		case FEED_MSG_DEPTH: {
			/* a diff, not the book: levels set to a new quantity and
			 * levels removed (quantity 0); the book's top needs the
			 * snapshot an order book keeps */
			uint32_t bid_gone = 0, ask_gone = 0;

			for (uint32_t i = 0; i < m.n_bids; i++)
				bid_gone += m.bids[i].qty == 0;
			for (uint32_t i = 0; i < m.n_asks; i++)
				ask_gone += m.asks[i].qty == 0;
			sink_buf__printf(b, "%-8s %s %" PRIu64 "..%" PRIu64 "  bids %u set %u removed"
					 "  asks %u set %u removed", "depth",
					 (m.fields & FEED_F_SNAPSHOT) ? "snapshot" : "diff", m.first_id,
					 m.last_id,
					 m.n_bids - bid_gone, bid_gone, m.n_asks - ask_gone, ask_gone);
			break;
		}
		default:
			break;
		}
	}
	if (st && st->send_ns && st->send_ns < st->at[LAT_PT_HANDLER])
		sink_buf__printf(b, "   latency %.1f us",
				 (double)(st->at[LAT_PT_HANDLER] - st->send_ns) / 1e3);
	else if (st && st->at[LAT_PT_HANDLER])
		put_exchange_latency(b, st);
	/* the last put reports a failed write of anything before it */
	return sink_buf__put(b, "\n", 1);
}

static int pretty_flush(struct feed_sink *s)
{
	struct sink_pretty *sp = s->priv;

	return sink_buf__flush(&sp->out);
}

static void pretty_close(struct feed_sink *s)
{
	struct sink_pretty *sp = s->priv;

	sp->venue->parser_free(sp->parser);
	sink_buf__fini(&sp->out);
	free(sp);
}

const struct feed_sink_ops feed_sink_pretty = {
    .name = "pretty",
    .help = "decoded lines with latency",
    .open = pretty_open,
    .message = pretty_message,
    .flush = pretty_flush,
    .close = pretty_close,
};

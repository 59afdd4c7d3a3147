/* output — message sinks (see output.h). */
#include "output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "feed_parse.h"

/* stdio keeps a pointer to its buffer until exit: static storage, so it
 * outlives every caller; a second raw output keeps stdio's own buffer. */
static char output__buf[OUTPUT_BUF_SIZE];
static bool output__buf_used;

int output_kind_parse(const char *s, enum output_kind *k)
{
	if (strcmp(s, "raw") == 0)
		*k = OUTPUT_RAW;
	else if (strcmp(s, "none") == 0)
		*k = OUTPUT_NONE;
	else if (strcmp(s, "pretty") == 0)
		*k = OUTPUT_PRETTY;
	else
		return -EINVAL;
	return 0;
}

int output__init(struct output *o, enum output_kind k, FILE *f)
{
	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->f = f;
	if (k == OUTPUT_PRETTY) {
		return feed_parser__new(&o->parser, 4096, 1024);
	}
	if (k == OUTPUT_RAW && !output__buf_used) {
		if (setvbuf(f, output__buf, _IOFBF, sizeof(output__buf)))
			return -EINVAL;
		output__buf_used = true;
	}
	return 0;
}

/* A 1e-8 fixed-point number, trailing zeros trimmed (two decimals kept). */
static void put_fixed(FILE *f, int64_t v)
{
	char frac[9];
	int len = 8;
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	snprintf(frac, sizeof(frac), "%08" PRIu64, a % (uint64_t)FEED_SCALE);
	while (len > 2 && frac[len - 1] == '0')
		len--;
	fprintf(f, "%s%" PRIu64 ".%.*s", v < 0 ? "-" : "", a / (uint64_t)FEED_SCALE, len, frac);
}

static void put_pretty(struct output *o, const uint8_t *p, size_t n, uint64_t lat_ns)
{
	struct feed_msg m;
	FILE *f = o->f;
	int r = feed_parse(o->parser, (const char *)p, n, &m);

	if (r < 0 || m.type == FEED_MSG_UNKNOWN || m.type == FEED_MSG_REPLY ||
	    m.type == FEED_MSG_ERROR_REPLY) {
		fprintf(f, "%-9s %.*s%s", "message", (int)(n > 100 ? 100 : n), (const char *)p,
			n > 100 ? "..." : "");
	} else {
		fprintf(f, "%-9.*s ", (int)m.symbol.len, m.symbol.ptr);
		switch (m.type) {
		case FEED_MSG_TRADE:
		case FEED_MSG_AGG_TRADE:
			fprintf(f, "%-8s %-4s ", m.type == FEED_MSG_TRADE ? "trade" : "aggTrade",
				m.buyer_maker ? "sell" : "buy");
			put_fixed(f, m.qty);
			fputs(" @ ", f);
			put_fixed(f, m.price);
			break;
		case FEED_MSG_BOOK_TICKER:
			fprintf(f, "%-8s bid ", "quote");
			put_fixed(f, m.bid_qty);
			fputs(" @ ", f);
			put_fixed(f, m.bid_px);
			fputs("  ask ", f);
			put_fixed(f, m.ask_qty);
			fputs(" @ ", f);
			put_fixed(f, m.ask_px);
			break;
		case FEED_MSG_DEPTH:
			fprintf(f, "%-8s %" PRIu64 "..%" PRIu64 " %u bids %u asks", "depth",
				m.first_id, m.last_id, m.n_bids, m.n_asks);
			if (m.n_bids) {
				fputs("  top bid ", f);
				put_fixed(f, m.bids[0].price);
			}
			if (m.n_asks) {
				fputs("  top ask ", f);
				put_fixed(f, m.asks[0].price);
			}
			break;
		default:
			break;
		}
	}
	if (lat_ns)
		fprintf(f, "   latency %.1f us", (double)lat_ns / 1e3);
	fputc('\n', f);
}

int output__message(struct output *o, const uint8_t *p, size_t n)
{
	return output__message_lat(o, p, n, 0);
}

int output__message_lat(struct output *o, const uint8_t *p, size_t n, uint64_t lat_ns)
{
	o->messages++;
	o->bytes += n;
	if (o->kind == OUTPUT_NONE || o->err)
		return o->err;
	if (o->kind == OUTPUT_PRETTY) {
		put_pretty(o, p, n, lat_ns);
		if (ferror(o->f)) {
			o->err = errno ? -errno : -EIO;
			return o->err;
		}
		o->dirty = true;
		return 0;
	}
	if (fwrite_unlocked(p, 1, n, o->f) != n || fputc_unlocked('\n', o->f) == EOF) {
		o->err = errno ? -errno : -EIO;
		return o->err;
	}
	o->dirty = true;
	return 0;
}

int output__flush(struct output *o)
{
	if (!o->dirty || o->err)
		return o->err;
	o->dirty = false;
	if (fflush(o->f)) {
		o->err = errno ? -errno : -EIO;
		return o->err;
	}
	return 0;
}

void output__fini(struct output *o)
{
	feed_parser__free(o->parser);
	o->parser = NULL;
}

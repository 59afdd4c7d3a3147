/* fuzz_json_venue — the body of a JSON venue's fuzz target (OKX, Bybit):
 * its decoder, control classification and scans. Input: the sizes of the
 * token, level and trade arrays (one byte each), then one message, parsed
 * from an exactly-sized heap block. Checked: every string in the result lies
 * inside the message (or, for the stream name, the parser's own buffer),
 * levels and trades inside their arrays, the classification is one of the
 * four answers. */
#ifndef FEEDRX_FUZZ_JSON_VENUE_H
#define FEEDRX_FUZZ_JSON_VENUE_H

#include "fuzz.h"

#include "core/fx_err.h"
#include "venue/venue.h"
#include "venue/venue_json.h"

struct fuzz_json_venue {
	int (*parse)(struct vjson_parser *p, const char *buf, size_t len, struct feed_msg *m);
	enum venue_reply (*control)(const uint8_t *p, size_t n);
	uint64_t (*scan_event_ms)(const uint8_t *p, size_t n);
	size_t (*scan_stream)(const uint8_t *p, size_t n, const char **name);
};

static inline void fuzz_in_buf(const char *b, size_t n, const struct feed_str *s, const char *alt)
{
	if (s->ptr && s->ptr != alt)
		FUZZ_ASSERT(s->ptr >= b && s->ptr + s->len <= b + n);
}

/* One input against one JSON venue's decoder, classifier and scans. */
static inline int fuzz_json_venue(const uint8_t *data, size_t size, const struct fuzz_json_venue *v)
{
	static struct vjson_parser *p;
	struct fz f = {data, size};
	uint32_t ntoks = 1 + (uint32_t)fz_u8(&f) * 16, nlev = fz_u8(&f), ntr = fz_u8(&f);
	struct feed_msg m;
	size_t n;
	const uint8_t *in = fz_bytes(&f, f.n, &n);
	char *b = (char *)fz_dup(in, n);
	const char *nm;
	int rc;

	if (!p && vjson_parser__new(&p, 4097, 256, 256))
		abort();
	/* the arrays as the input says, within what was allocated */
	struct vjson_parser q = *p;
	q.ntoks = ntoks;
	q.nlevels = nlev;
	q.ntrades = ntr;
	rc = v->parse(&q, b, n, &m);
	FUZZ_ASSERT(rc <= 0 && fx_strerror(rc) != NULL);
	if (rc == 0) {
		fuzz_in_buf(b, n, &m.stream, q.stream);
		fuzz_in_buf(b, n, &m.event, NULL);
		fuzz_in_buf(b, n, &m.symbol, NULL);
		fuzz_in_buf(b, n, &m.result, NULL);
		fuzz_in_buf(b, n, &m.id_str, NULL);
		fuzz_in_buf(b, n, &m.err_msg, NULL);
		if (m.n_bids + m.n_asks) {
			FUZZ_ASSERT(m.n_bids + m.n_asks <= nlev);
			FUZZ_ASSERT(m.bids == q.levels && m.asks == q.levels + m.n_bids);
		}
		FUZZ_ASSERT(m.n_trades <= ntr);
		for (uint32_t i = 0; i < m.n_trades; i++)
			fuzz_in_buf(b, n, &m.trades[i].id_str, NULL);
	}
	enum venue_reply r = v->control((const uint8_t *)b, n);
	FUZZ_ASSERT(r == VENUE_DATA || r == VENUE_REPLY_OK || r == VENUE_REPLY_ERROR ||
		    r == VENUE_CONTROL);
	(void)v->scan_event_ms((const uint8_t *)b, n);
	size_t sl = v->scan_stream((const uint8_t *)b, n, &nm);
	/* the name lies in the message, or in a small buffer of the scan */
	if (sl && nm >= b && nm < b + n)
		FUZZ_ASSERT(nm + sl <= b + n);
	else
		FUZZ_ASSERT(sl <= 96);
	free(b);
	return 0;
}

#endif

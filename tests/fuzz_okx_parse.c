/* Fuzz target: okx_parse (the OKX decoder over proto/json), its control
 * classification and scans. Input: the sizes of the token, level and trade
 * arrays (one byte each), then one message, parsed from an exactly-sized
 * heap block. Checked: every string in the result lies inside the message
 * (or, for the stream name, the parser's own buffer), levels and trades
 * inside their arrays, the classification is one of the four answers.
 * Seeds: tests/fuzz/okx_parse/ (the golden messages of test_okx_parse). */
#include "fuzz.h"

#include "core/fx_err.h"
#include "venue/okx_parse.h"
#include "venue/venue_json.h"

static void in_buf(const char *b, size_t n, const struct feed_str *s, const char *alt)
{
	if (s->ptr && s->ptr != alt)
		FUZZ_ASSERT(s->ptr >= b && s->ptr + s->len <= b + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
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
	rc = okx_parse(&q, b, n, &m);
	FUZZ_ASSERT(rc <= 0 && fx_strerror(rc) != NULL);
	if (rc == 0) {
		in_buf(b, n, &m.stream, q.stream);
		in_buf(b, n, &m.event, NULL);
		in_buf(b, n, &m.symbol, NULL);
		in_buf(b, n, &m.result, NULL);
		in_buf(b, n, &m.id_str, NULL);
		in_buf(b, n, &m.err_msg, NULL);
		if (m.n_bids + m.n_asks) {
			FUZZ_ASSERT(m.n_bids + m.n_asks <= nlev);
			FUZZ_ASSERT(m.bids == q.levels && m.asks == q.levels + m.n_bids);
		}
		FUZZ_ASSERT(m.n_trades <= ntr);
		for (uint32_t i = 0; i < m.n_trades; i++)
			in_buf(b, n, &m.trades[i].id_str, NULL);
	}
	enum venue_reply r = okx_control((const uint8_t *)b, n);
	FUZZ_ASSERT(r == VENUE_DATA || r == VENUE_REPLY_OK || r == VENUE_REPLY_ERROR ||
		    r == VENUE_CONTROL);
	(void)okx_scan_event_ms((const uint8_t *)b, n);
	size_t sl = okx_scan_stream((const uint8_t *)b, n, &nm);
	/* the name lies in the message, or (OKX) in a small buffer of the scan */
	if (sl && nm >= b && nm < b + n)
		FUZZ_ASSERT(nm + sl <= b + n);
	else
		FUZZ_ASSERT(sl <= 96);
	free(b);
	return 0;
}

/* Fuzz target: sbe_decode (Binance spot SBE) and the binance-sbe venue's
 * parse and classify. Input: the sizes of the level and trade arrays, then
 * one message, decoded from an exactly-sized heap block. Checked: the result
 * code is known, every string lies inside the message, levels and trades
 * inside their arrays, and a message that decodes decodes the same with
 * bytes appended (they are a later version's). */
#include "fuzz.h"

#include "core/fx_err.h"
#include "venue/sbe_decode.h"
#include "venue/venue.h"

#define MAX_LEVELS 64
#define MAX_TRADES 16

static void in_buf(const uint8_t *b, size_t n, const struct feed_str *s)
{
	if (s->ptr && s->len)
		FUZZ_ASSERT((const uint8_t *)s->ptr >= b &&
			    (const uint8_t *)s->ptr + s->len <= b + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct feed_level levels[MAX_LEVELS];
	static struct feed_trade trades[MAX_TRADES];
	static void *vparser;
	const struct venue *v = &venue_binance_sbe;
	struct fz f = {data, size};
	uint32_t nlev = fz_u8(&f) % (MAX_LEVELS + 1), ntr = fz_u8(&f) % (MAX_TRADES + 1);
	struct sbe_decoder d;
	struct feed_msg m, m2;
	size_t n;
	const uint8_t *in = fz_bytes(&f, f.n, &n);
	uint8_t *b = fz_dup(in, n);
	int rc;

	sbe_decoder__init(&d, levels, nlev, trades, ntr);
	rc = sbe_decode(&d, b, n, &m);
	FUZZ_ASSERT(rc <= 0 && fx_strerror(rc) != NULL);
	if (rc == 0) {
		uint8_t *b2 = malloc(n + 3);

		in_buf(b, n, &m.symbol);
		if (m.type == FEED_MSG_DEPTH) {
			FUZZ_ASSERT(m.n_bids + m.n_asks <= nlev);
			FUZZ_ASSERT(m.bids == levels && m.asks == levels + m.n_bids);
		}
		if (m.type == FEED_MSG_TRADE) {
			FUZZ_ASSERT(m.trades == trades && m.n_trades <= ntr);
			FUZZ_ASSERT(feed_msg_trade_count(&m) == m.n_trades);
		}
		/* appended bytes change nothing */
		FUZZ_ASSERT(b2 != NULL);
		memcpy(b2, b, n);
		memset(b2 + n, 0xa5, 3);
		FUZZ_ASSERT(sbe_decode(&d, b2, n + 3, &m2) == 0);
		FUZZ_ASSERT(m2.type == m.type && m2.id == m.id && m2.last_id == m.last_id &&
			    m2.n_bids == m.n_bids && m2.n_trades == m.n_trades &&
			    m2.symbol.len == m.symbol.len);
		free(b2);
	}
	(void)sbe_scan_event_us(b, n);

	if (!vparser && v->parser_new(&vparser))
		abort();
	rc = v->parse(vparser, b, n, &m);
	FUZZ_ASSERT(rc <= 0 && fx_strerror(rc) != NULL);
	(void)v->classify(b, n, 1);
	(void)v->scan_event_ms(b, n);
	free(b);
	return 0;
}

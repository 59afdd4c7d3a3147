/* Fuzz target: feed_parse (the JSON tokenizer, the Binance message decoder,
 * decimals) and the timestamp scans feed_scan_*. Input: the sizes of the
 * token and level arrays, then one message, parsed from an exactly-sized
 * heap block. Checked: every token and every string in the result lies
 * inside the message, token trees are well nested, depth levels inside the
 * level array, decimals print back to the same value. */
#include "fuzz.h"

#include <inttypes.h>

#include "core/fx_err.h"
#include "venue/binance_parse.h"
#include "binance_diff.h"

#define MAX_TOKS 512
#define MAX_LEVELS 64

static void in_buf(const char *b, size_t n, const struct feed_str *s)
{
	if (s->ptr)
		FUZZ_ASSERT(s->ptr >= b && s->ptr + s->len <= b + n);
}

static void check_tokens(const struct json_tok *t, int nt, size_t n)
{
	for (int i = 0; i < nt; i++) {
		FUZZ_ASSERT(t[i].type >= JSON_TOK_OBJECT && t[i].type <= JSON_TOK_NULL);
		FUZZ_ASSERT((size_t)t[i].start + t[i].len <= n);
		FUZZ_ASSERT(t[i].next > (uint32_t)i && t[i].next <= (uint32_t)nt);
		if (t[i].type == JSON_TOK_OBJECT || t[i].type == JSON_TOK_ARRAY) {
			uint32_t k = (uint32_t)i + 1, members = 0;

			/* children tile the subtree exactly */
			while (k < t[i].next) {
				k = t[k].next;
				members++;
			}
			FUZZ_ASSERT(k == t[i].next);
			FUZZ_ASSERT(members == (t[i].type == JSON_TOK_OBJECT ? 2 * t[i].size
									  : t[i].size));
		} else {
			FUZZ_ASSERT(t[i].next == (uint32_t)i + 1);
		}
	}
	if (nt > 0)
		FUZZ_ASSERT(t[0].next == (uint32_t)nt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_tok toks[MAX_TOKS];
	static struct feed_level levels[MAX_LEVELS];
	struct fz f = { data, size };
	uint32_t ntoks = 1 + fz_u8(&f) % MAX_TOKS, nlev = fz_u8(&f) % MAX_LEVELS;
	struct binance_parser p;
	struct feed_msg m;
	size_t n;
	const uint8_t *in = fz_bytes(&f, f.n, &n);
	char *b = (char *)fz_dup(in, n);
	int nt, rc;

	nt = json_tokenize(b, n, toks, ntoks);
	FUZZ_ASSERT(nt != 0 && nt <= (int)ntoks);
	if (nt > 0)
		check_tokens(toks, nt, n);

	binance_parser__init(&p, toks, ntoks, levels, nlev);
	rc = binance_parse(&p, b, n, &m);
	FUZZ_ASSERT(fx_strerror(rc) != NULL && rc <= 0);
	FUZZ_ASSERT(feed_msg_type_name(m.type) != NULL);
	if (rc == 0) {
		FUZZ_ASSERT(nt > 0);
		in_buf(b, n, &m.stream);
		in_buf(b, n, &m.event);
		in_buf(b, n, &m.symbol);
		in_buf(b, n, &m.result);
		in_buf(b, n, &m.id_str);
		in_buf(b, n, &m.err_msg);
		if (m.type == FEED_MSG_DEPTH) {
			FUZZ_ASSERT(m.n_bids + m.n_asks <= nlev);
			FUZZ_ASSERT(m.bids == levels && m.asks == levels + m.n_bids);
		}
	}
	/* the fast scanner agrees with the strict parser wherever it answers */
	{
		static struct feed_level la[MAX_LEVELS], lb[MAX_LEVELS];
		int d = binance_scan_vs_strict(b, n, toks, ntoks, la, lb, nlev);

		if (d > 0) {
			fprintf(stderr, "scan and strict parse differ (check %d)\n", d);
			FUZZ_ASSERT(d <= 0);
		}
	}
	(void)binance_scan_ts_ns((const uint8_t *)b, n);
	(void)binance_scan_event_ms((const uint8_t *)b, n);

	/* decimals: a value that parses prints back to itself */
	int64_t v, w;
	if (feed_decimal_parse(b, n < 32 ? n : 32, &v) == 0) {
		char s[48];
		uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		int k = snprintf(s, sizeof(s), "%s%" PRIu64 ".%08" PRIu64, v < 0 ? "-" : "",
				 a / (uint64_t)FEED_SCALE, a % (uint64_t)FEED_SCALE);
		FUZZ_ASSERT(feed_decimal_parse(s, (size_t)k, &w) == 0 && w == v);
	}
	free(b);
	return 0;
}

/* Fuzz target: the flat event record (feed/feed_event_codec.h). Input: one
 * byte for the level storage offered (0-255 levels), then the record bytes
 * in an exactly-sized block. A record that decodes must re-encode into one
 * that decodes to the same event, and print as JSON; nothing is read
 * outside the block (ASan). */
#include "fuzz.h"

#include <errno.h>

#include "feed/feed_event_codec.h"
#include "feed/feed_event_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct feed_level lv[256], lv2[256];
	static char json[1 << 16];
	static uint8_t again[1 << 16];
	struct feed_event_store st = {.levels = lv}, st2 = {.levels = lv2, .cap_levels = 256};
	struct fz f = {data, size};
	struct feed_event e, d;
	size_t n;

	st.cap_levels = fz_u8(&f);
	const uint8_t *p = fz_bytes(&f, f.n, &n);
	uint8_t *b = malloc(n ? n : 1);
	long r;

	if (!b)
		abort();
	memcpy(b, p, n);
	r = feed_event_decode(b, n, &e, &st);
	FUZZ_ASSERT(r < 0 || ((size_t)r <= n && r % 8 == 0));
	FUZZ_ASSERT(r >= 0 || r == -EBADMSG || r == -EMSGSIZE || r == -EPROTONOSUPPORT);
	if (r > 0) {
		long k = feed_event_encode(&e, again, sizeof(again));

		FUZZ_ASSERT(k > 0 && k <= r);
		FUZZ_ASSERT(feed_event_decode(again, (size_t)k, &d, &st2) == k);
		FUZZ_ASSERT(d.type == e.type && d.seq == e.seq && d.flags == e.flags &&
			    d.symbol_len == e.symbol_len && !memcmp(d.symbol, e.symbol, e.symbol_len));
		FUZZ_ASSERT(feed_event_json(json, sizeof(json), &e) > 0);
	}
	free(b);
	return 0;
}

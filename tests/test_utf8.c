/* Tests for utf8: the one validator, against a decoding reference on every
 * 1- to 3-byte string and on random strings, and a table of named cases. */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "proto/utf8.h"

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64*: a fixed seed gives the same run every time */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static size_t rnd_upto(uint64_t *s, size_t n) /* 0..n */
{
	return (size_t)(rnd(s) % (n + 1));
}

/* Reference: decode by arithmetic and check the decoded value. */
static int utf8_ref(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t c = s[i], cp;
		size_t len;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			len = 2, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			len = 3, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			len = 4, cp = c & 0x07;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (size_t j = 1; j < len; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000))
			return 0;
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

static void utf8_validator(void)
{
	static const uint8_t alpha[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
					0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee,
					0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff};
	uint8_t b[32];
	uint64_t rng = 77;

	/* every 1-, 2- and 3-byte string */
	for (uint32_t v = 0; v < (1u << 24); v++) {
		b[0] = (uint8_t)(v >> 16), b[1] = (uint8_t)(v >> 8), b[2] = (uint8_t)v;
		if (v < 256)
			CHECKF(utf8_valid(b + 2, 1) == utf8_ref(b + 2, 1), "%02x", v);
		if (v < 65536)
			CHECKF(utf8_valid(b + 1, 2) == utf8_ref(b + 1, 2), "%04x", v);
		CHECKF(utf8_valid(b, 3) == utf8_ref(b, 3), "%06x", v);
	}
	/* random strings, ASCII runs (the 8-byte skip) around interesting bytes */
	for (int it = 0; it < 2000000; it++) {
		size_t n = rnd_upto(&rng, sizeof(b));

		for (size_t i = 0; i < n; i++)
			b[i] = rnd(&rng) % 3 ? (uint8_t)(0x20 + rnd(&rng) % 90)
					     : alpha[rnd(&rng) % sizeof(alpha)];
		CHECKF(utf8_valid(b, n) == utf8_ref(b, n), "random string %d", it);
	}
	CHECK(utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf", 9));
	CHECK(utf8_valid(NULL, 0));
}

static void utf8_table(void)
{
	static const struct {
		const char *s;
		bool ok;
	} t[] = {
	    {"plain ascii, long enough for the word loop", true},
	    {"caf\xc3\xa9", true},
	    {"\xe2\x82\xac euro", true},
	    {"\xf0\x9f\x98\x80", true},
	    {"\xc0\xaf", false},	 /* overlong */
	    {"\xe0\x80\xaf", false},	 /* overlong */
	    {"\xed\xa0\x80", false},	 /* surrogate */
	    {"\xf4\x90\x80\x80", false}, /* > U+10FFFF */
	    {"\xc3", false},		 /* truncated */
	    {"abcdefgh\xff", false},
	    {"\x80", false},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECKF(utf8_valid((const uint8_t *)t[i].s, strlen(t[i].s)) == t[i].ok, "case %zu",
		       i);
}

int main(void)
{
	RUN(utf8_validator);
	RUN(utf8_table);
	return check_exit();
}

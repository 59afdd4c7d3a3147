/* Tests for output: raw bytes + newline exactly, none writes nothing,
 * write errors are reported and sticky. */
#include <errno.h>

#include "check.h"
#include "output.h"

static void raw_exact_bytes(void)
{
	struct output o;
	FILE *f = tmpfile();
	char buf[64];
	size_t n;
	int r;

	REQUIRE(f != NULL);
	REQUIRE(output__init(&o, OUTPUT_RAW, f) == 0);
	r = output__message(&o, (const uint8_t *)"{\"a\":1}", 7);
	CHECK(r == 0);
	r = output__message(&o, (const uint8_t *)"", 0);
	CHECK(r == 0);
	r = output__message(&o, (const uint8_t *)"b\0c", 3);
	CHECK(r == 0);
	CHECK(o.dirty);
	r = output__flush(&o);
	CHECK(r == 0 && !o.dirty);
	rewind(f);
	n = fread(buf, 1, sizeof(buf), f);
	CHECK(n == 13 && memcmp(buf, "{\"a\":1}\n\nb\0c\n", 13) == 0);
	CHECK(o.messages == 3 && o.bytes == 10);
	fclose(f);
}

static void none_writes_nothing(void)
{
	struct output o;
	FILE *f = tmpfile();
	int r;

	REQUIRE(f != NULL);
	REQUIRE(output__init(&o, OUTPUT_NONE, f) == 0);
	r = output__message(&o, (const uint8_t *)"xyz", 3);
	CHECK(r == 0);
	r = output__flush(&o);
	CHECK(r == 0);
	CHECK(ftell(f) == 0);
	CHECK(o.messages == 1 && o.bytes == 3);
	fclose(f);
}

static void write_error_is_sticky(void)
{
	struct output o;
	FILE *f = fopen("/dev/full", "w");
	int r = 0;

	if (!f) {
		SKIP("no /dev/full");
		return;
	}
	REQUIRE(output__init(&o, OUTPUT_RAW, f) == 0);
	/* small writes stay in the buffer; the flush meets ENOSPC */
	for (int i = 0; i < 10 && r == 0; i++)
		r = output__message(&o, (const uint8_t *)"x", 1);
	CHECK(r == 0);
	r = output__flush(&o);
	CHECK(r == -ENOSPC);
	r = output__message(&o, (const uint8_t *)"x", 1);
	CHECK(r == -ENOSPC);
	fclose(f);
}

static void kinds(void)
{
	enum output_kind k;

	CHECK(output_kind_parse("raw", &k) == 0 && k == OUTPUT_RAW);
	CHECK(output_kind_parse("none", &k) == 0 && k == OUTPUT_NONE);
	CHECK(output_kind_parse("json", &k) == -EINVAL);
}

int main(void)
{
	RUN(raw_exact_bytes);
	RUN(none_writes_nothing);
	RUN(write_error_is_sticky);
	RUN(kinds);
	return check_exit();
}

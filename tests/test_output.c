/* Tests for output: raw bytes + newline exactly, none writes nothing,
 * write errors are reported and sticky. */
#include <errno.h>

#include "check.h"
#include "feed/output.h"

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
	CHECK(output_kind_parse("pretty", &k) == 0 && k == OUTPUT_PRETTY);
	CHECK(output_kind_parse("json", &k) == -EINVAL);
}

static void pretty_decodes(void)
{
	struct output o;
	FILE *f = tmpfile();
	char buf[1024];
	size_t n;
	const char *trade = "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":7,\"p\":\"37000.10\","
			    "\"q\":\"0.012\",\"T\":1,\"m\":true,\"M\":true,\"ts_ns\":5}";
	const char *quote = "{\"u\":9,\"s\":\"ETHUSDT\",\"b\":\"2000.5\",\"B\":\"3\","
			    "\"a\":\"2000.75\",\"A\":\"1.25\"}";

	REQUIRE(f != NULL);
	REQUIRE(output__init(&o, OUTPUT_PRETTY, f) == 0);
	CHECK(output__message_lat(&o, (const uint8_t *)trade, strlen(trade), 84200) == 0);
	CHECK(output__message(&o, (const uint8_t *)quote, strlen(quote)) == 0);
	CHECK(output__message(&o, (const uint8_t *)"not json", 8) == 0);
	CHECK(output__flush(&o) == 0);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	CHECKF(strstr(buf, "BTCUSDT   trade    sell 0.012 @ 37000.10   latency 84.2 us\n") != NULL,
	       "got: %.300s", buf);
	CHECKF(strstr(buf, "ETHUSDT   quote    bid 3.00 @ 2000.50  ask 1.25 @ 2000.75\n") != NULL,
	       "got: %.300s", buf);
	CHECK(strstr(buf, "message   not json\n") != NULL);
	CHECK(o.messages == 3);
	output__fini(&o);
	fclose(f);
}

int main(void)
{
	RUN(pretty_decodes);
	RUN(raw_exact_bytes);
	RUN(none_writes_nothing);
	RUN(write_error_is_sticky);
	RUN(kinds);
	return check_exit();
}

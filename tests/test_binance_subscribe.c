/* Tests for subscribe: the request bytes and telling replies from data. */
#include <errno.h>

#include "check.h"
#include "venue/binance_subscribe.h"
#include "venue/venue.h"

static enum binance_sub_reply cls(const char *s, unsigned id)
{
	return binance_subscribe_classify((const uint8_t *)s, strlen(s), id);
}

static void request_bytes(void)
{
	const char *one[] = {"btcusdt@trade"};
	const char *two[] = {"btcusdt@trade", "ethusdt@depth@100ms"};
	const char *bad[] = {"a\"b"};
	char buf[256];
	int n;

	n = binance_subscribe_request(one, 1, 1, buf, sizeof(buf));
	CHECK(n > 0 &&
	      strcmp(buf, "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\"],\"id\":1}") ==
		  0);
	n = binance_subscribe_request(two, 2, 7, buf, sizeof(buf));
	CHECK(n > 0 && strcmp(buf, "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\","
				   "\"ethusdt@depth@100ms\"],\"id\":7}") == 0);
	CHECK((size_t)n == strlen(buf));
	n = binance_subscribe_request(bad, 1, 1, buf, sizeof(buf));
	CHECK(n == -EINVAL);
	n = binance_subscribe_request(two, 2, 1, buf, 40);
	CHECK(n == -ENOSPC);
	CHECK(!binance_stream_ok(""));
	CHECK(!binance_stream_ok("a b"));
	CHECK(!binance_stream_ok("a\\b"));
	CHECK(binance_stream_ok("btcusdt@kline_1m"));
}

static void replies(void)
{
	CHECK(cls("{\"result\":null,\"id\":1}", 1) == BINANCE_SUB_OK);
	CHECK(cls(" { \"id\" : 1 , \"result\" : null } \n", 1) == BINANCE_SUB_OK);
	CHECK(cls("{\"error\":{\"code\":2,\"msg\":\"Invalid request: \\\"x}\"},\"id\":1}", 1) ==
	      BINANCE_SUB_ERROR);
	CHECK(cls("{\"result\":[\"a\",{\"b\":[1,2]}],\"id\":1}", 1) == BINANCE_SUB_OK);
	/* another id is not ours */
	CHECK(cls("{\"result\":null,\"id\":2}", 1) == BINANCE_SUB_DATA);
	CHECK(cls("{\"result\":null,\"id\":10}", 1) == BINANCE_SUB_DATA);
	CHECK(cls("{\"result\":null,\"id\":\"1\"}", 1) == BINANCE_SUB_DATA);
}

static void data_is_not_a_reply(void)
{
	CHECK(cls("{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":12345,\"p\":\"0.001\","
		  "\"q\":\"100\",\"T\":1,\"m\":true,\"M\":true,\"ts_ns\":123456789}",
		  1) == BINANCE_SUB_DATA);
	CHECK(cls("{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"id\":1,"
		  "\"result\":1}}",
		  1) == BINANCE_SUB_DATA);
	/* "id" alone, a nested id, broken JSON, trailing junk, not an object */
	CHECK(cls("{\"id\":1}", 1) == BINANCE_SUB_DATA);
	CHECK(cls("{\"result\":null,\"id\":1", 1) == BINANCE_SUB_DATA);
	CHECK(cls("{\"result\":null,\"id\":1}x", 1) == BINANCE_SUB_DATA);
	CHECK(cls("{\"result\":null,\"id\":1}{}", 1) == BINANCE_SUB_DATA);
	CHECK(cls("[{\"result\":null,\"id\":1}]", 1) == BINANCE_SUB_DATA);
	CHECK(cls("hello world", 1) == BINANCE_SUB_DATA);
	CHECK(cls("", 1) == BINANCE_SUB_DATA);
	CHECK(cls("{\"result\":\"unterminated,\"id\":1}", 1) == BINANCE_SUB_DATA);
	CHECK(cls("{\"result\":null,\"id\":1,}", 1) == BINANCE_SUB_DATA);
}

static void every_prefix_is_safe(void)
{
	static const char msg[] = "{\"error\":{\"code\":2,\"msg\":\"x\"},\"id\":1}";

	/* prefixes must never read past their end (run under ASan) */
	for (size_t i = 0; i < sizeof(msg) - 1; i++) {
		uint8_t *copy = malloc(i ? i : 1);
		memcpy(copy, msg, i);
		CHECKF(binance_subscribe_classify(copy, i, 1) == BINANCE_SUB_DATA, "prefix %zu", i);
		free(copy);
	}
}

/* Which Binance URLs name streams: /ws and /stream alone carry nothing. */
static void url_streams(void)
{
	int (*f)(const char *) = venue_binance.url_streams;

	REQUIRE(f && venue_binance_usdm.url_streams == f);
	CHECK(f("/ws") == 0 && f("/ws/") == 0 && f("/ws?timeUnit=MICROSECOND") == 0);
	CHECK(f("/stream") == 0 && f("/stream?streams=") == 0 && f("/stream?x=1") == 0);
	CHECK(f("/ws/btcusdt@trade") == 1 && f("/ws/btcusdt@trade?timeUnit=MICROSECOND") == 1);
	CHECK(f("/stream?streams=a@trade/b@trade") == 1);
	CHECK(f("/stream?timeUnit=MICROSECOND&streams=a@trade") == 1);
	CHECK(f("/") == -1 && f("/nope") == -1 && f("/wsx") == -1);
}

int main(void)
{
	RUN(url_streams);
	RUN(request_bytes);
	RUN(replies);
	RUN(data_is_not_a_reply);
	RUN(every_prefix_is_safe);
	return check_exit();
}

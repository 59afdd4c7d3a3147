/* Tests for sim_rpc: every method's reply text, Binance's error codes, ids,
 * and that requests change the generator's subscriptions exactly. */
#include "check.h"
#include "sim/feedgen.h"
#include "sim/sim_rpc.h"

static char out[SIM_RPC_REPLY_MAX];
static struct feedgen *gen;
static bool combined;

static const char *ask(const char *req)
{
	size_t n = sim_rpc_handle(gen, &combined, req, strlen(req), out, sizeof(out) - 1);

	out[n] = 0;
	return out;
}

#define EXPECT(req, want)                                                              \
	do {                                                                           \
		const char *got_ = ask(req);                                           \
		CHECKF(!strcmp(got_, want), "%s -> %s (want %s)", req, got_, want);    \
	} while (0)

static void fresh(void)
{
	struct feedgen_config cfg;

	feedgen__free(gen);
	gen = NULL;
	feedgen_config_default(&cfg);
	if (feedgen__new(&gen, &cfg))
		abort();
	combined = false;
}

static void methods(void)
{
	fresh();
	EXPECT("{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":1}", "{\"result\":[],\"id\":1}");
	EXPECT("{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\",\"ethusdt@depth\"],\"id\":2}",
	       "{\"result\":null,\"id\":2}");
	EXPECT(" { \"id\" : 3 , \"method\" : \"LIST_SUBSCRIPTIONS\" } ",
	       "{\"result\":[\"btcusdt@trade\",\"ethusdt@depth\"],\"id\":3}");
	EXPECT("{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\",\"raw\"],\"id\":4}",
	       "{\"result\":null,\"id\":4}");
	CHECK(feedgen__nstreams(gen) == 3);
	EXPECT("{\"method\":\"UNSUBSCRIBE\",\"params\":[\"btcusdt@trade\",\"nope@trade\"],\"id\":5}",
	       "{\"result\":null,\"id\":5}");
	EXPECT("{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":6}",
	       "{\"result\":[\"ethusdt@depth\",\"raw\"],\"id\":6}");
	EXPECT("{\"method\":\"GET_PROPERTY\",\"params\":[\"combined\"],\"id\":7}",
	       "{\"result\":false,\"id\":7}");
	EXPECT("{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",true],\"id\":8}",
	       "{\"result\":null,\"id\":8}");
	CHECK(combined);
	EXPECT("{\"method\":\"GET_PROPERTY\",\"params\":[\"combined\"],\"id\":9}",
	       "{\"result\":true,\"id\":9}");
	/* ids: absent, null, a string, the largest uint64 */
	EXPECT("{\"method\":\"LIST_SUBSCRIPTIONS\"}",
	       "{\"result\":[\"ethusdt@depth\",\"raw\"],\"id\":null}");
	EXPECT("{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",false],\"id\":null}",
	       "{\"result\":null,\"id\":null}");
	EXPECT("{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",false],\"id\":\"a-b\"}",
	       "{\"result\":null,\"id\":\"a-b\"}");
	EXPECT("{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",false],\"id\":18446744073709551615}",
	       "{\"result\":null,\"id\":18446744073709551615}");
	/* unknown members are ignored, as serde does */
	EXPECT("{\"method\":\"UNSUBSCRIBE\",\"params\":[\"raw\"],\"x\":{\"y\":[1,2]},\"id\":10}",
	       "{\"result\":null,\"id\":10}");
	CHECK(feedgen__nstreams(gen) == 1 && !combined);
}

static void errors(void)
{
	fresh();
	EXPECT("{\"method\":\"SUBSCRIBE\",",
	       "{\"error\":{\"code\":3,\"msg\":\"Invalid JSON: not one well-formed JSON value\"},"
	       "\"id\":null}");
	EXPECT("{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":1} x",
	       "{\"error\":{\"code\":3,\"msg\":\"Invalid JSON: not one well-formed JSON value\"},"
	       "\"id\":null}");
	EXPECT("[1]", "{\"error\":{\"code\":2,\"msg\":\"Invalid request: expected a JSON object\"},"
		      "\"id\":null}");
	EXPECT("{\"id\":2}",
	       "{\"error\":{\"code\":2,\"msg\":\"Invalid request: missing field `method`\"},\"id\":2}");
	EXPECT("{\"method\":7,\"id\":3}",
	       "{\"error\":{\"code\":2,\"msg\":\"Invalid request: method must be a string\"},\"id\":3}");
	EXPECT("{\"method\":\"subscribe\",\"params\":[\"btcusdt@trade\"],\"id\":4}",
	       "{\"error\":{\"code\":2,\"msg\":\"Invalid request: unknown method, expected one of "
	       "SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY\"},\"id\":4}");
	EXPECT("{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\"],\"id\":-1}",
	       "{\"error\":{\"code\":2,\"msg\":\"Invalid request: request ID must be an unsigned "
	       "integer\"},\"id\":null}");
	EXPECT("{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\"],\"id\":1.5}",
	       "{\"error\":{\"code\":2,\"msg\":\"Invalid request: request ID must be an unsigned "
	       "integer\"},\"id\":null}");
	EXPECT("{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\"],\"id\":18446744073709551616}",
	       "{\"error\":{\"code\":2,\"msg\":\"Invalid request: request ID must be an unsigned "
	       "integer\"},\"id\":null}");
	EXPECT("{\"method\":\"SUBSCRIBE\",\"id\":5}",
	       "{\"error\":{\"code\":2,\"msg\":\"Invalid request: missing field `params`\"},\"id\":5}");
	EXPECT("{\"method\":\"SUBSCRIBE\",\"params\":\"btcusdt@trade\",\"id\":6}",
	       "{\"error\":{\"code\":2,\"msg\":\"Invalid request: params must be an array of stream "
	       "names\"},\"id\":6}");
	/* all or nothing: one bad name and nothing is added */
	EXPECT("{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\",\"BTCUSDT@trade\"],\"id\":7}",
	       "{\"error\":{\"code\":2,\"msg\":\"Invalid request: invalid stream name\"},\"id\":7}");
	EXPECT("{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\",1],\"id\":8}",
	       "{\"error\":{\"code\":2,\"msg\":\"Invalid request: params must be an array of stream "
	       "names\"},\"id\":8}");
	EXPECT("{\"method\":\"SUBSCRIBE\",\"params\":[\"btc\\u0075sdt@trade\"],\"id\":9}",
	       "{\"error\":{\"code\":2,\"msg\":\"Invalid request: invalid stream name\"},\"id\":9}");
	CHECK(feedgen__nstreams(gen) == 0);
	EXPECT("{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",1],\"id\":10}",
	       "{\"error\":{\"code\":1,\"msg\":\"Invalid value type: expected Boolean\"},\"id\":10}");
	EXPECT("{\"method\":\"SET_PROPERTY\",\"params\":[\"fast\",true],\"id\":11}",
	       "{\"error\":{\"code\":0,\"msg\":\"Unknown property\"},\"id\":11}");
	EXPECT("{\"method\":\"GET_PROPERTY\",\"params\":[\"combined\",true],\"id\":12}",
	       "{\"error\":{\"code\":2,\"msg\":\"Invalid request: too many parameters\"},\"id\":12}");
	EXPECT("", "{\"error\":{\"code\":3,\"msg\":\"Invalid JSON: not one well-formed JSON value\"},"
		   "\"id\":null}");
	EXPECT("{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":\"\x01\"}",
	       "{\"error\":{\"code\":3,\"msg\":\"Invalid JSON: not one well-formed JSON value\"},"
	       "\"id\":null}");
	CHECK(!combined);
}

static void deep_nesting_is_refused(void)
{
	static char deep[4096];
	size_t n = 0;

	fresh();
	n += (size_t)sprintf(deep, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"x\":");
	for (int i = 0; i < 1000; i++)
		deep[n++] = '[';
	for (int i = 0; i < 1000; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = 0;
	CHECK(strstr(ask(deep), "\"code\":3") != NULL);
}

static void list_of_many_streams_fits(void)
{
	char name[64], req[128];
	size_t n;

	fresh();
	for (int i = 0; i < FEEDGEN_MAX_STREAMS; i++) {
		int rc;

		static const char *const sfx[] = { "depth@100ms", "bookTicker", "aggTrade", "depth",
						   "trade" };

		/* the longest names, so the reply is as long as it gets */
		snprintf(name, sizeof(name), "abcdefghijklmnopq%03d@%s", i % 205, sfx[i / 205]);
		rc = feedgen__subscribe(gen, name, strlen(name));
		CHECKF(rc == 0, "subscribe %s: %d", name, rc);
	}
	n = sim_rpc_handle(gen, &combined, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":1}", 38, out,
			   sizeof(out));
	CHECKF(n < sizeof(out) && out[n - 1] == '}', "list reply of %zu bytes", n);
	snprintf(req, sizeof(req), "{\"method\":\"SUBSCRIBE\",\"params\":[\"x@trade\"],\"id\":2}");
	CHECK(strstr(ask(req), "too many streams") != NULL);
	CHECK(feedgen__nstreams(gen) == FEEDGEN_MAX_STREAMS);
}

int main(void)
{
	RUN(methods);
	RUN(errors);
	RUN(deep_nesting_is_refused);
	RUN(list_of_many_streams_fits);
	feedgen__free(gen);
	return check_exit();
}

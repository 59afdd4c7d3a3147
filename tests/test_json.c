/* Tests for json: token layout, any top-level value, integers. The
 * malformed-input tables, truncation, guard-page and mutation runs go
 * through feed_parse (tests/test_feed_parse.c), which tokenizes with it. */
#include <stdint.h>

#include "check.h"
#include "proto/json.h"

#define NTOKS 64
static struct json_tok toks[NTOKS];

static void tokenizer_layout(void)
{
	const char *js = "{\"a\":[1,{\"b\":null},-2.5e3],\"c\":\"x\\ny\",\"d\":true}";
	int n = json_tokenize(js, strlen(js), toks, NTOKS);

	REQUIRE(n == 12);
	CHECK(toks[0].type == JSON_TOK_OBJECT && toks[0].size == 3 && toks[0].next == 12);
	CHECK(toks[0].start == 0 && toks[0].len == strlen(js));
	CHECK(toks[1].type == JSON_TOK_STRING && toks[1].len == 1 && js[toks[1].start] == 'a');
	CHECK(toks[2].type == JSON_TOK_ARRAY && toks[2].size == 3 && toks[2].next == 8);
	CHECK(toks[3].type == JSON_TOK_NUMBER && (toks[3].flags & JSON_TOKF_INT));
	CHECK(toks[4].type == JSON_TOK_OBJECT && toks[4].size == 1 && toks[4].next == 7);
	CHECK(toks[6].type == JSON_TOK_NULL);
	CHECK(toks[7].type == JSON_TOK_NUMBER && toks[7].len == 6);
	CHECK(toks[7].flags == JSON_TOKF_NEG);
	CHECK(toks[9].type == JSON_TOK_STRING && toks[9].len == 4);
	CHECK(toks[9].flags & JSON_TOKF_ESCAPED);
	CHECK(toks[10].type == JSON_TOK_STRING && toks[11].type == JSON_TOK_TRUE);
	CHECK(toks[11].next == 12);
	/* any top-level value */
	CHECK(json_tokenize("  7 ", 4, toks, NTOKS) == 1 && toks[0].len == 1);
}

static void u64_values(void)
{
	static const struct {
		const char *js;
		int rc;
		uint64_t v;
	} t[] = {
	    {"0", 0, 0},
	    {"1672515782136", 0, 1672515782136ull},
	    {"18446744073709551615", 0, UINT64_MAX},
	    {"18446744073709551616", JSON_ERR_RANGE, 0},
	    {"99999999999999999999", JSON_ERR_RANGE, 0},
	    {"-1", JSON_ERR_RANGE, 0},
	    {"1.5", JSON_ERR_TYPE, 0},
	    {"1e3", JSON_ERR_TYPE, 0},
	    {"\"7\"", JSON_ERR_TYPE, 0},
	    {"null", JSON_ERR_TYPE, 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 0;
		int n = json_tokenize(t[i].js, strlen(t[i].js), toks, NTOKS);

		CHECKF(n == 1, "%s: %d tokens", t[i].js, n);
		if (n != 1)
			continue;
		CHECKF(json_u64(t[i].js, &toks[0], &v) == t[i].rc, "%s", t[i].js);
		CHECKF(t[i].rc || v == t[i].v, "%s -> %llu", t[i].js, (unsigned long long)v);
	}
}

int main(void)
{
	RUN(tokenizer_layout);
	RUN(u64_values);
	return check_exit();
}

/* json — strict RFC 8259 tokenizer into a caller's token array (see
 * json.h). Nothing here allocates. */
#include "json.h"

#include <string.h>

static inline int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* js[*pos] is the opening quote. */
static int scan_string(const char *js, size_t len, size_t *pos, struct json_tok *t)
{
	size_t i = *pos, j = i + 1;

	t->type = JSON_TOK_STRING;
	t->flags = 0;
	t->size = 0;
	while (j < len) {
		unsigned char c = (unsigned char)js[j];
		/* the common byte first; a 256-byte class table measured slower */
		if (c != '"' && c != '\\' && c >= 0x20) {
			j++;
			continue;
		}
		if (c == '"') {
			t->start = (uint32_t)(i + 1);
			t->len = (uint32_t)(j - i - 1);
			*pos = j + 1;
			return 0;
		}
		if (c == '\\') {
			t->flags |= JSON_TOKF_ESCAPED;
			if (j + 1 >= len)
				return JSON_ERR_TRUNCATED;
			switch (js[j + 1]) {
			case '"': case '\\': case '/': case 'b':
			case 'f': case 'n': case 'r': case 't':
				j += 2;
				continue;
			case 'u':
				for (size_t k = j + 2; k < j + 6; k++) {
					if (k >= len)
						return JSON_ERR_TRUNCATED;
					if (!is_hex(js[k]))
						return JSON_ERR_ESCAPE;
				}
				j += 6;
				continue;
			default:
				return JSON_ERR_ESCAPE;
			}
		}
		return JSON_ERR_STRING; /* c < 0x20 */
	}
	return JSON_ERR_TRUNCATED;
}

/* RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(const char *js, size_t len, size_t *pos, struct json_tok *t)
{
	size_t i = *pos, j = i;

	t->type = JSON_TOK_NUMBER;
	t->flags = JSON_TOKF_INT;
	t->size = 0;
	if (js[j] == '-') {
		t->flags |= JSON_TOKF_NEG;
		j++;
	}
	if (j == len)
		return JSON_ERR_TRUNCATED;
	if (js[j] == '0')
		j++;
	else if (is_digit(js[j]))
		while (j < len && is_digit(js[j]))
			j++;
	else
		return JSON_ERR_NUMBER;
	if (j < len && js[j] == '.') {
		t->flags &= (uint8_t)~JSON_TOKF_INT;
		if (++j == len)
			return JSON_ERR_TRUNCATED;
		if (!is_digit(js[j]))
			return JSON_ERR_NUMBER;
		while (j < len && is_digit(js[j]))
			j++;
	}
	if (j < len && (js[j] == 'e' || js[j] == 'E')) {
		t->flags &= (uint8_t)~JSON_TOKF_INT;
		if (++j < len && (js[j] == '+' || js[j] == '-'))
			j++;
		if (j == len)
			return JSON_ERR_TRUNCATED;
		if (!is_digit(js[j]))
			return JSON_ERR_NUMBER;
		while (j < len && is_digit(js[j]))
			j++;
	}
	t->start = (uint32_t)i;
	t->len = (uint32_t)(j - i);
	*pos = j;
	return 0;
}

static int scan_literal(const char *js, size_t len, size_t *pos, struct json_tok *t,
			const char *lit, size_t n, uint8_t type)
{
	size_t avail = len - *pos;

	if (memcmp(js + *pos, lit, avail < n ? avail : n) != 0)
		return JSON_ERR_SYNTAX;
	if (avail < n)
		return JSON_ERR_TRUNCATED;
	t->type = type;
	t->flags = 0;
	t->size = 0;
	t->start = (uint32_t)*pos;
	t->len = (uint32_t)n;
	*pos += n;
	return 0;
}

/* Skip whitespace; true when input remains. Most Binance payloads have no
 * whitespace at all, so test the common case (a byte above ' ') first. */
static inline int skip_ws(const char *js, size_t len, size_t *i)
{
	while (*i < len && (unsigned char)js[*i] <= ' ' && is_ws(js[*i]))
		(*i)++;
	return *i < len;
}

/* Iterative, one explicit stack of open containers; each grammar position
 * is its own label so that the branch predictor sees the JSON's shape. */
int json_tokenize(const char *js, size_t len, struct json_tok *toks, uint32_t ntoks)
{
	uint32_t stack[JSON_MAX_DEPTH];
	uint32_t depth = 0, n = 0;
	size_t i = 0;
	int rc, in_obj = 0; /* the innermost open container is an object */
	struct json_tok *t;
	char c;

	if (len >= UINT32_MAX || ntoks > INT32_MAX)
		return JSON_ERR_TOO_LONG;

value:
	if (!skip_ws(js, len, &i))
		return JSON_ERR_TRUNCATED;
	if (n == ntoks)
		return JSON_ERR_TOKENS;
	t = &toks[n];
	c = js[i];
	switch (c) {
	case '{':
	case '[':
		if (depth == JSON_MAX_DEPTH)
			return JSON_ERR_DEPTH;
		in_obj = c == '{';
		t->type = in_obj ? JSON_TOK_OBJECT : JSON_TOK_ARRAY;
		t->flags = 0;
		t->size = 0;
		t->start = (uint32_t)i++;
		stack[depth++] = n++;
		if (!skip_ws(js, len, &i))
			return JSON_ERR_TRUNCATED;
		if (js[i] == (in_obj ? '}' : ']'))
			goto close;
		if (in_obj)
			goto key;
		toks[stack[depth - 1]].size++;
		goto value;
	case '"':
		rc = scan_string(js, len, &i, t);
		break;
	case 't':
		rc = scan_literal(js, len, &i, t, "true", 4, JSON_TOK_TRUE);
		break;
	case 'f':
		rc = scan_literal(js, len, &i, t, "false", 5, JSON_TOK_FALSE);
		break;
	case 'n':
		rc = scan_literal(js, len, &i, t, "null", 4, JSON_TOK_NULL);
		break;
	default:
		if (c != '-' && !is_digit(c))
			return JSON_ERR_SYNTAX;
		rc = scan_number(js, len, &i, t);
		break;
	}
	if (rc)
		return rc;
	t->next = ++n;

after_value:
	if (!depth)
		goto done;
	if (!skip_ws(js, len, &i))
		return JSON_ERR_TRUNCATED;
	c = js[i];
	if (c == ',') {
		i++;
		if (in_obj) {
			if (!skip_ws(js, len, &i))
				return JSON_ERR_TRUNCATED;
			goto key;
		}
		toks[stack[depth - 1]].size++;
		goto value;
	}
	if (c == (in_obj ? '}' : ']'))
		goto close;
	return JSON_ERR_SYNTAX;

key: /* js[i] is the first non-blank byte where a key must start */
	if (js[i] != '"')
		return JSON_ERR_SYNTAX;
	if (n == ntoks)
		return JSON_ERR_TOKENS;
	t = &toks[n];
	rc = scan_string(js, len, &i, t);
	if (rc)
		return rc;
	t->next = ++n;
	toks[stack[depth - 1]].size++;
	if (!skip_ws(js, len, &i))
		return JSON_ERR_TRUNCATED;
	if (js[i] != ':')
		return JSON_ERR_SYNTAX;
	i++;
	goto value;

close: /* js[i] is the bracket matching the innermost container */
	t = &toks[stack[--depth]];
	t->len = (uint32_t)(i + 1 - t->start);
	t->next = n;
	i++;
	if (depth)
		in_obj = toks[stack[depth - 1]].type == JSON_TOK_OBJECT;
	goto after_value;

done:
	if (skip_ws(js, len, &i))
		return JSON_ERR_TRAILING;
	return (int)n;
}

int json_u64(const char *js, const struct json_tok *t, uint64_t *out)
{
	uint64_t v = 0;

	if (t->type != JSON_TOK_NUMBER || !(t->flags & JSON_TOKF_INT))
		return JSON_ERR_TYPE;
	if (t->flags & JSON_TOKF_NEG)
		return JSON_ERR_RANGE;
	const char *d = js + t->start;
	if (t->len <= 19) { /* cannot overflow */
		for (uint32_t k = 0; k < t->len; k++)
			v = v * 10 + (uint64_t)(d[k] - '0');
		*out = v;
		return 0;
	}
	for (uint32_t k = 0; k < t->len; k++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(js[t->start + k] - '0'), &v))
			return JSON_ERR_RANGE;
	*out = v;
	return 0;
}

/* venue_json — helpers shared by the OKX and Bybit parsers (see
 * venue_json.h). Nothing here allocates but vjson_parser__new. */
#include "venue_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/fx_err.h"

int vjson_parser__new(struct vjson_parser **out, uint32_t ntoks, uint32_t nlevels,
		      uint32_t ntrades)
{
	struct vjson_parser *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->toks = calloc(ntoks ? ntoks : 1, sizeof(*p->toks));
	p->levels = calloc(nlevels ? nlevels : 1, sizeof(*p->levels));
	p->trades = calloc(ntrades ? ntrades : 1, sizeof(*p->trades));
	p->ntoks = ntoks;
	p->nlevels = nlevels;
	p->ntrades = ntrades;
	if (!p->toks || !p->levels || !p->trades) {
		vjson_parser__free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void vjson_parser__free(struct vjson_parser *p)
{
	if (!p)
		return;
	free(p->toks);
	free(p->levels);
	free(p->trades);
	free(p);
}

uint32_t vjson_get(const char *js, const struct json_tok *toks, uint32_t obj, const char *key)
{
	size_t kl = strlen(key);
	uint32_t k = obj + 1;

	if (toks[obj].type != JSON_TOK_OBJECT)
		return 0;
	for (uint32_t m = 0; m < toks[obj].size; m++) {
		const struct json_tok *t = &toks[k];

		if (!(t->flags & JSON_TOKF_ESCAPED) && t->len == kl &&
		    !memcmp(js + t->start, key, kl))
			return k + 1;
		k = toks[k + 1].next;
	}
	return 0;
}

void vjson_collect(const char *js, const struct json_tok *toks, uint32_t obj,
		   const struct vjson_key *keys, uint32_t n, uint32_t *slot)
{
	uint32_t k = obj + 1;

	memset(slot, 0, n * sizeof(*slot));
	if (toks[obj].type != JSON_TOK_OBJECT)
		return;
	for (uint32_t m = 0; m < toks[obj].size; m++) {
		const struct json_tok *t = &toks[k];

		if (!(t->flags & JSON_TOKF_ESCAPED)) {
			const char *ks = js + t->start;

			for (uint32_t i = 0; i < n; i++)
				if (keys[i].len == t->len && keys[i].s[0] == ks[0] &&
				    !memcmp(keys[i].s, ks, t->len)) {
					if (!slot[i])
						slot[i] = k + 1;
					break;
				}
		}
		k = toks[k + 1].next;
	}
}

bool vjson_is(const char *js, const struct json_tok *t, const char *lit)
{
	size_t n = strlen(lit);

	return t->type == JSON_TOK_STRING && !(t->flags & JSON_TOKF_ESCAPED) && t->len == n &&
	       !memcmp(js + t->start, lit, n);
}

int vjson_ident(const char *js, const struct json_tok *t, struct feed_str *out)
{
	if (t->type != JSON_TOK_STRING || (t->flags & JSON_TOKF_ESCAPED))
		return -FX_E_FEED_TYPE;
	out->ptr = js + t->start;
	out->len = t->len;
	return 0;
}

int vjson_str(const char *js, const struct json_tok *t, struct feed_str *out)
{
	if (t->type != JSON_TOK_STRING)
		return -FX_E_FEED_TYPE;
	out->ptr = js + t->start;
	out->len = t->len;
	return 0;
}

int vjson_dec(const char *js, const struct json_tok *t, int64_t *out)
{
	if (t->type != JSON_TOK_STRING)
		return -FX_E_FEED_TYPE;
	return feed_decimal_parse(js + t->start, t->len, out);
}

/* Digits only, at least one, no sign; leading zeros accepted in strings. */
static int digits_u64(const char *s, uint32_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -FX_E_FEED_TYPE;
	for (uint32_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -FX_E_FEED_TYPE;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return -FX_E_FEED_RANGE;
	}
	*out = v;
	return 0;
}

int vjson_u64(const char *js, const struct json_tok *t, uint64_t *out)
{
	if (t->type == JSON_TOK_STRING)
		return digits_u64(js + t->start, t->len, out);
	return json_u64(js, t, out);
}

int vjson_i64(const char *js, const struct json_tok *t, int64_t *out)
{
	const char *s = js + t->start;
	uint32_t n = t->len;
	bool neg;
	uint64_t v;
	int r;

	if (t->type == JSON_TOK_NUMBER && !(t->flags & JSON_TOKF_INT))
		return -FX_E_FEED_TYPE;
	if (t->type != JSON_TOK_NUMBER && t->type != JSON_TOK_STRING)
		return -FX_E_FEED_TYPE;
	neg = n > 0 && s[0] == '-';
	r = digits_u64(s + neg, n - neg, &v);
	if (r)
		return r;
	if (v > (uint64_t)INT64_MAX + neg)
		return -FX_E_FEED_RANGE;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int vjson_levels(const char *js, const struct json_tok *toks, uint32_t arr,
		 struct feed_level *levels, uint32_t cap, uint32_t *used, uint32_t *count)
{
	const struct json_tok *a = &toks[arr];
	uint32_t k = arr + 1;
	int r;

	if (a->type != JSON_TOK_ARRAY)
		return -FX_E_FEED_TYPE;
	if (a->size > cap - *used)
		return -FX_E_FEED_LEVELS;
	for (uint32_t i = 0; i < a->size; i++) {
		const struct json_tok *lv = &toks[k];
		struct feed_level *o = &levels[*used + i];

		if (lv->type != JSON_TOK_ARRAY || lv->size < 2)
			return -FX_E_FEED_TYPE;
		if ((r = vjson_dec(js, &toks[k + 1], &o->price)))
			return r;
		/* the price was a string (one token), so qty is the next one */
		if ((r = vjson_dec(js, &toks[k + 2], &o->qty)))
			return r;
		k = lv->next;
	}
	*used += a->size;
	*count = a->size;
	return 0;
}

/* ---- the top-level walk ---- */

struct cur {
	const uint8_t *p, *end;
};

static void ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool str(struct cur *c, const uint8_t **s, size_t *n)
{
	const uint8_t *start;

	if (c->p >= c->end || *c->p != '"')
		return false;
	start = ++c->p;
	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\')
			c->p++;
		c->p++;
	}
	if (c->p >= c->end)
		return false;
	*s = start;
	*n = (size_t)(c->p - start);
	c->p++;
	return true;
}

/* Skip one value; strings come back without their quotes. */
static bool value(struct cur *c, const uint8_t **v, size_t *vn)
{
	const uint8_t *start = c->p;
	size_t depth = 0;

	if (c->p >= c->end)
		return false;
	if (*c->p == '"')
		return str(c, v, vn);
	if (*c->p == '{' || *c->p == '[') {
		while (c->p < c->end) {
			const uint8_t *s;
			size_t sn;

			if (*c->p == '"') {
				if (!str(c, &s, &sn))
					return false;
				continue;
			}
			if (*c->p == '{' || *c->p == '[')
				depth++;
			else if ((*c->p == '}' || *c->p == ']') && --depth == 0) {
				c->p++;
				*v = start;
				*vn = (size_t)(c->p - start);
				return true;
			}
			c->p++;
		}
		return false;
	}
	while (c->p < c->end && *c->p != ',' && *c->p != '}' && *c->p != ']' && *c->p != ' ' &&
	       *c->p != '\t' && *c->p != '\n' && *c->p != '\r')
		c->p++;
	*v = start;
	*vn = (size_t)(c->p - start);
	return c->p > start;
}

static bool walk(const uint8_t *p, size_t n,
		 bool (*fn)(const uint8_t *k, size_t kn, const uint8_t *v, size_t vn, void *user),
		 void *user, bool exact)
{
	struct cur c = {p, p + n};

	ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return false;
	c.p++;
	ws(&c);
	if (c.p < c.end && *c.p == '}')
		goto end;
	for (;;) {
		const uint8_t *k, *v;
		size_t kn, vn;

		ws(&c);
		if (!str(&c, &k, &kn))
			return false;
		ws(&c);
		if (c.p >= c.end || *c.p != ':')
			return false;
		c.p++;
		ws(&c);
		if (!value(&c, &v, &vn))
			return false;
		if (!fn(k, kn, v, vn, user))
			return !exact;
		ws(&c);
		if (c.p < c.end && *c.p == ',') {
			c.p++;
			continue;
		}
		if (c.p >= c.end || *c.p != '}')
			return false;
		break;
	}
end:
	if (!exact)
		return true;
	c.p++;
	ws(&c);
	return c.p == c.end;
}

bool vjson_walk(const uint8_t *p, size_t n,
		bool (*fn)(const uint8_t *k, size_t kn, const uint8_t *v, size_t vn, void *user),
		void *user)
{
	return walk(p, n, fn, user, false);
}

bool vjson_walk_exact(const uint8_t *p, size_t n,
		      bool (*fn)(const uint8_t *k, size_t kn, const uint8_t *v, size_t vn,
				 void *user),
		      void *user)
{
	return walk(p, n, fn, user, true);
}

bool vjson_first_key(const uint8_t *p, size_t n, const uint8_t **k, size_t *kn)
{
	struct cur c = {p, p + n};

	ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return false;
	c.p++;
	ws(&c);
	return str(&c, k, kn);
}

/* sim_rest — REST depth snapshots from the market's true book (see
 * sim_rest.h). */
#include "sim_rest.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feedgen.h"
#include "sim_market.h"

#define WEIGHT_ADDRS 256
#define DEFAULT_WEIGHT_LIMIT 6000

struct weight_slot {
	uint8_t key[16];
	uint8_t keylen;
	int64_t minute; /* UTC minute of `used` */
	unsigned used;
};

struct stale_slot {
	char symbol[FEEDGEN_SYMBOL_MAX + 1];
	struct feedgen_book *book; /* the previous fresh answer's book */
};

struct sim_rest {
	struct sim_rest_config cfg;
	struct sim_market *m;
	uint64_t rng;
	struct weight_slot w[WEIGHT_ADDRS];
	struct stale_slot stale[FEEDGEN_MAX_SYMBOLS];
	struct feedgen_book *book; /* scratch */
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool chance(struct sim_rest *r, double p)
{
	return p > 0 && (double)(splitmix(&r->rng) >> 11) * 0x1.0p-53 < p;
}

int sim_rest__new(struct sim_rest **out, const struct sim_rest_config *cfg, struct sim_market *m,
		  uint64_t seed)
{
	struct sim_rest *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->book = malloc(sizeof(*r->book));
	if (!r->book) {
		free(r);
		return -ENOMEM;
	}
	r->cfg = *cfg;
	if (!r->cfg.weight_limit)
		r->cfg.weight_limit = DEFAULT_WEIGHT_LIMIT;
	r->m = m;
	r->rng = seed ^ 0x72657374ULL; /* "rest" */
	*out = r;
	return 0;
}

void sim_rest__free(struct sim_rest *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < FEEDGEN_MAX_SYMBOLS; i++)
		free(r->stale[i].book);
	free(r->book);
	free(r);
}

static size_t path_len(const char *t, size_t len)
{
	const char *q = memchr(t, '?', len);

	return q ? (size_t)(q - t) : len;
}

bool sim_rest_path(const char *t, size_t len)
{
	size_t n = path_len(t, len);

	return (n == 13 && !memcmp(t, "/api/v3/depth", 13)) ||
	       (n == 14 && !memcmp(t, "/fapi/v1/depth", 14));
}

/* The value of query parameter `name`, or NULL; *n its length. */
static const char *query_param(const char *t, size_t len, const char *name, size_t *n)
{
	const char *q = memchr(t, '?', len), *end = t + len;
	size_t nl = strlen(name);

	for (const char *p = q ? q + 1 : end; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;

		if ((size_t)(pe - p) > nl && !memcmp(p, name, nl) && p[nl] == '=') {
			*n = (size_t)(pe - p) - nl - 1;
			return p + nl + 1;
		}
		p = pe + 1;
	}
	return NULL;
}

/* The weight table slot of an address (the stalest one is reused). */
static struct weight_slot *weight_of(struct sim_rest *r, const struct sockaddr_storage *ss)
{
	const void *key = &((const struct sockaddr_in *)ss)->sin_addr;
	size_t kl = 4;
	struct weight_slot *old = &r->w[0];

	if (ss->ss_family == AF_INET6) {
		key = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		kl = 16;
	}
	for (unsigned i = 0; i < WEIGHT_ADDRS; i++) {
		struct weight_slot *w = &r->w[i];

		if (w->keylen == kl && !memcmp(w->key, key, kl))
			return w;
		if (w->minute < old->minute)
			old = w;
	}
	memset(old, 0, sizeof(*old));
	memcpy(old->key, key, kl);
	old->keylen = (uint8_t)kl;
	return old;
}

static unsigned spot_weight(unsigned limit)
{
	return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
}

static unsigned futures_weight(unsigned limit)
{
	return limit < 100 ? 2 : limit < 500 ? 5 : limit < 1000 ? 10 : 20;
}

static char *put_levels(char *p, const struct feedgen_level *lv, unsigned n, unsigned limit)
{
	for (unsigned i = 0; i < n && i < limit; i++)
		p += sprintf(p, "%s[\"%llu.%08llu\",\"%llu.%08llu\"]", i ? "," : "",
			     (unsigned long long)(lv[i].price_e8 / 100000000),
			     (unsigned long long)(lv[i].price_e8 % 100000000),
			     (unsigned long long)(lv[i].qty_e8 / 100000000),
			     (unsigned long long)(lv[i].qty_e8 % 100000000));
	return p;
}

static struct stale_slot *stale_of(struct sim_rest *r, const char *sym)
{
	for (unsigned i = 0; i < FEEDGEN_MAX_SYMBOLS; i++) {
		struct stale_slot *s = &r->stale[i];

		if (!s->symbol[0]) {
			strcpy(s->symbol, sym);
			return s;
		}
		if (!strcmp(s->symbol, sym))
			return s;
	}
	return NULL;
}

#define ERROR_BODY(code, msg) (size_t)snprintf(body, cap, "{\"code\":%d,\"msg\":\"%s\"}", code, msg)

void sim_rest__answer(struct sim_rest *r, const char *t, size_t len, bool get,
		      const struct sockaddr_storage *peer, char *body, size_t cap,
		      struct sim_rest_answer *a)
{
	bool fut = path_len(t, len) == 14 && !memcmp(t, "/fapi", 5);
	struct weight_slot *w = weight_of(r, peer);
	int64_t now_ms;
	struct timespec ts;
	const char *v;
	size_t n;
	unsigned limit = fut ? 500 : 100, weight;
	char sym[FEEDGEN_SYMBOL_MAX + 1];
	const struct feedgen_book *b = r->book;
	struct stale_slot *st;
	char *p;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	memset(a, 0, sizeof(*a));
	if (w->minute != now_ms / 60000) {
		w->minute = now_ms / 60000;
		w->used = 0;
	}
	a->used_weight = w->used;
	if (!get) {
		a->status = 405;
		a->body_len = ERROR_BODY(-1000, "Method not allowed.");
		return;
	}
	if ((v = query_param(t, len, "limit", &n))) {
		char num[8];
		char *end;
		unsigned long l;

		if (n == 0 || n >= sizeof(num))
			goto bad_limit;
		memcpy(num, v, n);
		num[n] = 0;
		l = strtoul(num, &end, 10);
		if (*end || l < 1 || l > (fut ? 1000u : 5000u))
			goto bad_limit;
		limit = (unsigned)l;
	}
	weight = fut ? futures_weight(limit) : spot_weight(limit);
	if (!r->cfg.no_weight_limit && w->used + weight > r->cfg.weight_limit) {
		a->status = 429;
		a->retry_after = (unsigned)((60000 - now_ms % 60000 + 999) / 1000);
		a->body_len = (size_t)snprintf(body, cap,
					       "{\"code\":-1003,\"msg\":\"Too much request weight used; "
					       "current limit is %u request weight per 1 MINUTE.\"}",
					       r->cfg.weight_limit);
		return;
	}
	if (chance(r, r->cfg.fail_p)) {
		a->status = 429;
		a->retry_after = 1;
		a->body_len = ERROR_BODY(-1003, "Too many requests (--rest-429).");
		return;
	}
	w->used += weight;
	a->used_weight = w->used;
	v = query_param(t, len, "symbol", &n);
	if (!v || n == 0) {
		a->status = 400;
		a->body_len = ERROR_BODY(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (i >= FEEDGEN_SYMBOL_MAX || !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
						 (c >= 'a' && c <= 'z')))
			goto bad_symbol;
		sym[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	sym[n] = 0;
	if (sim_market_book(r->m, sym, n, r->book))
		goto bad_symbol;
	st = stale_of(r, sym);
	if (st && st->book && st->book->last_update_id < r->book->last_update_id &&
	    chance(r, r->cfg.stale_p)) {
		b = st->book; /* the previous fresh answer's book */
	} else if (st && (st->book || (st->book = malloc(sizeof(*st->book))))) {
		memcpy(st->book, r->book, sizeof(*r->book));
	}
	p = body;
	p += sprintf(p, "{\"lastUpdateId\":%llu", (unsigned long long)b->last_update_id);
	if (fut)
		p += sprintf(p, ",\"E\":%lld,\"T\":%lld", (long long)now_ms, (long long)now_ms);
	p += sprintf(p, ",\"bids\":[");
	p = put_levels(p, b->bids, b->nbids, limit);
	p += sprintf(p, "],\"asks\":[");
	p = put_levels(p, b->asks, b->nasks, limit);
	p += sprintf(p, "]}");
	a->status = 200;
	a->body_len = (size_t)(p - body);
	a->delay = r->cfg.delay;
	return;

bad_limit:
	a->status = 400;
	a->body_len = ERROR_BODY(-1100, "Illegal characters found in parameter 'limit'; legal range is '1..5000'.");
	return;
bad_symbol:
	a->status = 400;
	a->body_len = ERROR_BODY(-1121, "Invalid symbol.");
}

static const char *status_text(int st)
{
	switch (st) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 405:
		return "Method Not Allowed";
	case 429:
		return "Too Many Requests";
	default:
		return "Error";
	}
}

size_t sim_rest__http1(struct sim_rest *r, const char *target, size_t len, bool get,
		       const struct sockaddr_storage *peer, bool keep_alive, char *out, size_t cap,
		       struct sim_rest_answer *a)
{
	char *body = out + 512; /* the head is written in front of it */
	char head[512];
	int hn;

	(void)cap; /* >= SIM_REST_REPLY_MAX, as documented */
	sim_rest__answer(r, target, len, get, peer, body, SIM_REST_BODY_MAX, a);
	char retry[40] = "";

	if (a->retry_after)
		snprintf(retry, sizeof(retry), "Retry-After: %u\r\n", a->retry_after);
	hn = snprintf(head, sizeof(head),
		      "HTTP/1.1 %d %s\r\n"
		      "Content-Type: application/json;charset=UTF-8\r\n"
		      "Content-Length: %zu\r\n"
		      "X-MBX-USED-WEIGHT-1M: %u\r\n"
		      "%s"
		      "Connection: %s\r\n\r\n",
		      a->status, status_text(a->status), a->body_len, a->used_weight, retry,
		      keep_alive ? "keep-alive" : "close");
	memcpy(out, head, (size_t)hn);
	memmove(out + hn, body, a->body_len);
	return (size_t)hn + a->body_len;
}

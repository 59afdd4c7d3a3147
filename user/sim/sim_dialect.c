/* sim_dialect — the table of feedsim dialects and what they share (see
 * sim_dialect.h, sim_dialect_impl.h). */
#include "sim_dialect_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sim_dialect *const dialects[] = {&sim_dialect_okx, &sim_dialect_bybit, NULL};

const struct sim_dialect *sim_dialect_find(const char *name, bool *known)
{
	*known = !strcmp(name, "binance");
	for (const struct sim_dialect *const *d = dialects; *d; d++)
		if (!strcmp((*d)->name, name)) {
			*known = true;
			return *d;
		}
	return NULL;
}

const char *sim_dialect_names(void)
{
	return "binance, binance-sbe, okx, bybit";
}

int sim_dconn_new(struct sim_dconn **out, const struct sim_dialect *d,
		  const struct sim_dialect_conf *conf, unsigned conn_id)
{
	struct sim_dconn *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->d = d;
	c->conf = *conf;
	c->id = conn_id;
	/* the same drops for every connection of one seed (A/B) */
	c->rng = conf->seed ^ 0x5deece66dULL;
	snprintf(c->conn_id, sizeof(c->conn_id), "sim%08x", conn_id);
	binance_parser__init(&c->bp, c->toks, SIM_D_TOKS, c->levels, SIM_D_LEVELS);
	*out = c;
	return 0;
}

void sim_dconn_free(struct sim_dconn *c)
{
	free(c);
}

struct sim_dstream *sim_dstream_by_name(struct sim_dconn *c, const char *name, size_t n)
{
	for (unsigned i = 0; i < c->n; i++)
		if (strlen(c->s[i].name) == n && !memcmp(c->s[i].name, name, n))
			return &c->s[i];
	return NULL;
}

struct sim_dstream *sim_dstream_by_gen(struct sim_dconn *c, unsigned kind, const char *upper,
				       size_t n)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->s[i].kind == kind && strlen(c->s[i].upper) == n &&
		    !memcmp(c->s[i].upper, upper, n))
			return &c->s[i];
	return NULL;
}

struct sim_dstream *sim_dstream_of_msg(struct sim_dconn *c, const char *in, size_t n,
				       struct feed_msg *m, unsigned *kind, int *err)
{
	struct sim_dstream *s;

	*err = -EINVAL;
	if (binance_parse(&c->bp, in, n, m))
		return NULL;
	switch (m->type) {
	case FEED_MSG_TRADE:
		*kind = FEEDGEN_TRADE;
		break;
	case FEED_MSG_BOOK_TICKER:
		*kind = FEEDGEN_BOOKTICKER;
		break;
	case FEED_MSG_DEPTH:
		*kind = FEEDGEN_DEPTH;
		break;
	default:
		return NULL;
	}
	s = sim_dstream_by_gen(c, *kind, m->symbol.ptr, m->symbol.len);
	if (!s)
		*err = -ENOENT;
	return s;
}

size_t sim_dsymbol(const char *inst, size_t n, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = inst[i];

		if (ch == '-' || ch == '_' || ch == '/')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch + 32);
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) || k == FEEDGEN_SYMBOL_MAX)
			return 0;
		out[k++] = ch;
	}
	out[k] = 0;
	return k;
}

int sim_dstream_add(struct sim_dconn *c, struct feedgen *g, const char *name, size_t nlen,
		    const char *inst, size_t ilen, unsigned kind)
{
	char sym[FEEDGEN_SYMBOL_MAX + 1], gen[FEEDGEN_NAME_MAX];
	struct sim_dstream *s;
	size_t sl = sim_dsymbol(inst, ilen, sym);
	int r;

	if (!sl || nlen >= sizeof(s->name) || ilen >= sizeof(s->inst))
		return -EINVAL;
	if (sim_dstream_by_name(c, name, nlen))
		return 1;
	snprintf(gen, sizeof(gen), "%s@%s", sym, feedgen_kind_name((enum feedgen_kind)kind));
	if (feedgen__has(g, gen, strlen(gen)))
		return -EEXIST; /* one feedgen stream, one venue name */
	if (c->n == SIM_DIALECT_MAX_STREAMS)
		return -ENOSPC;
	r = feedgen__subscribe(g, gen, strlen(gen));
	if (r < 0)
		return r;
	s = &c->s[c->n++];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, name, nlen);
	memcpy(s->inst, inst, ilen);
	memcpy(s->gen, gen, strlen(gen) + 1);
	for (size_t i = 0; i <= sl; i++)
		s->upper[i] = (char)(sym[i] >= 'a' && sym[i] <= 'z' ? sym[i] - 32 : sym[i]);
	s->kind = (uint8_t)kind;
	return 0;
}

int sim_dstream_del(struct sim_dconn *c, struct feedgen *g, const char *name, size_t nlen)
{
	struct sim_dstream *s = sim_dstream_by_name(c, name, nlen);

	if (!s)
		return 1;
	feedgen__unsubscribe(g, s->gen, strlen(s->gen));
	*s = c->s[--c->n];
	return 0;
}

bool sim_ddrop(struct sim_dconn *c)
{
	uint64_t z;

	if (!(c->conf.drop_diff > 0))
		return false;
	z = (c->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0 < c->conf.drop_diff;
}

/* ---- the writer ---- */

void w_mem(struct wbuf *w, const char *s, size_t n)
{
	if (w->over || (size_t)(w->end - w->p) < n) {
		w->over = true;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
}

void w_str(struct wbuf *w, const char *s)
{
	w_mem(w, s, strlen(s));
}

void w_u64(struct wbuf *w, uint64_t v)
{
	char t[24];
	int n = snprintf(t, sizeof(t), "%llu", (unsigned long long)v);

	w_mem(w, t, (size_t)n);
}

void w_i64(struct wbuf *w, int64_t v)
{
	char t[24];
	int n = snprintf(t, sizeof(t), "%lld", (long long)v);

	w_mem(w, t, (size_t)n);
}

void w_dec(struct wbuf *w, int64_t v)
{
	char t[32];
	uint64_t a = v < 0 ? -(uint64_t)v : (uint64_t)v;
	uint64_t frac = a % 100000000;
	int n = snprintf(t, sizeof(t), "%s%llu", v < 0 ? "-" : "",
			 (unsigned long long)(a / 100000000));

	if (frac) {
		int digits = 8;

		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		n += snprintf(t + n, sizeof(t) - (size_t)n, ".%0*llu", digits,
			      (unsigned long long)frac);
	}
	w_mem(w, t, (size_t)n);
}

void w_levels(struct wbuf *w, const struct feed_level *lv, uint32_t n, const char *extra,
	      bool skip_zero)
{
	bool first = true;

	w_mem(w, "[", 1);
	for (uint32_t i = 0; i < n; i++) {
		if (skip_zero && lv[i].qty == 0)
			continue;
		w_str(w, first ? "[\"" : ",[\"");
		w_dec(w, lv[i].price);
		w_str(w, "\",\"");
		w_dec(w, lv[i].qty);
		w_str(w, "\"");
		if (extra)
			w_str(w, extra);
		w_str(w, "]");
		first = false;
	}
	w_mem(w, "]", 1);
}

void w_tail(struct wbuf *w, const struct feed_msg *m)
{
	if (m->fields & FEED_F_TS_NS) {
		w_str(w, ",\"ts_ns\":");
		w_u64(w, m->ts_ns);
	}
	w_mem(w, "}", 1);
}

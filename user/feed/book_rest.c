/* book_rest — REST order-book snapshots through the pacer (see book_rest.h). */
#include "book_rest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fx_log.h"
#include "core/util.h"
#include "rest/https_get.h"
#include "rest/rest_pacer.h"
#include "rest/rest_sched.h"

#define BR_SYMBOL_MAX 31

enum br_state {
	BR_FREE,
	BR_DELAYED,   /* waiting for its symbol's back-off, in the adapter */
	BR_SENT,      /* in the pacer or the client */
	BR_CANCELLED, /* sent, its answer to be dropped */
};

/* A symbol's failures in a row and when it may be asked again. */
struct br_symbol {
	char name[BR_SYMBOL_MAX + 1];
	uint32_t fails;
	double not_before;
};

struct br_req {
	struct book_rest *r;
	enum br_state state;
	uint16_t gen;
	struct br_symbol *sym;
	uint32_t limit;
	book_snapshot_cb cb;
	void *arg;
};

struct book_rest {
	struct ev_loop *loop;
	const struct venue *venue;
	struct https_get *client;
	struct rest_pacer *pacer;
	struct book_snapshot_source src;
	ev_timer delay; /* the earliest DELAYED request */
	double backoff_min, backoff_max;
	struct br_req *reqs;
	struct br_symbol *syms;
	unsigned n, n_syms;
	uint16_t gen;
	struct book_rest_stats st;
};

static uint32_t br_weight(const struct book_rest *r, uint32_t limit)
{
	return r->venue->book_rule == VENUE_BOOK_BINANCE_USDM ? rest_sched_fdepth_weight(limit)
							       : rest_sched_depth_weight(limit);
}

static struct br_symbol *br_symbol(struct book_rest *r, const char *name)
{
	for (unsigned i = 0; i < r->n_syms; i++)
		if (!strcmp(r->syms[i].name, name))
			return &r->syms[i];
	if (r->n_syms == r->n)
		return NULL;
	struct br_symbol *s = &r->syms[r->n_syms++];
	memcpy(s->name, name, strlen(name) + 1);
	return s;
}

/* The answer: to the book unless cancelled; failures start a back-off. */
static void br_on_answer(void *user, const struct https_response *resp)
{
	struct br_req *q = user;
	struct book_rest *r = q->r;
	book_snapshot_cb cb = q->cb;
	void *arg = q->arg;
	bool cancelled = q->state == BR_CANCELLED;
	struct br_symbol *s = q->sym;
	int status = 0;

	q->state = BR_FREE;
	if (!resp->err && resp->status == 200) {
		r->st.ok++;
		s->fails = 0;
	} else if (!resp->err && (resp->status == 429 || resp->status == 418)) {
		/* the pacer holds every request until Retry-After has passed */
		r->st.limited++;
		status = -EAGAIN;
		fx_log(FX_LOG_WARN, "book %s: snapshot answered %d (Retry-After %.0f s): waiting",
		       s->name, resp->status, resp->retry_after);
	} else {
		double b = r->backoff_min;

		r->st.failed++;
		for (uint32_t i = 0; i < s->fails && b < r->backoff_max; i++)
			b *= 2;
		if (b > r->backoff_max)
			b = r->backoff_max;
		s->fails++;
		s->not_before = ev_now(r->loop) + b;
		status = resp->err ? resp->err : -EIO;
		if (resp->err)
			fx_log(FX_LOG_WARN, "book %s: snapshot failed: %s: again in %.1f s", s->name,
			       resp->error, b);
		else
			fx_log(FX_LOG_WARN, "book %s: snapshot answered %d: again in %.1f s", s->name,
			       resp->status, b);
	}
	if (cancelled)
		return;
	cb(arg, status, status ? NULL : (const uint8_t *)resp->body, status ? 0 : resp->body_len);
}

/* To the pacer: 0, or its refusal (-ENOBUFS ...). */
static int br_send(struct book_rest *r, struct br_req *q)
{
	char path[HTTPS_GET_PATH_MAX + 1];
	uint32_t w = br_weight(r, q->limit);
	int n = r->venue->snapshot_path(q->sym->name, q->limit, path, sizeof(path));

	if (n < 0)
		return n;
	n = rest_pacer__get(r->pacer, path, w, br_on_answer, q);
	if (n)
		return n;
	q->state = BR_SENT;
	r->st.sent++;
	r->st.weight += w;
	return 0;
}

static void br_arm(struct book_rest *r)
{
	double next = -1, now = ev_now(r->loop);

	ev_timer_stop(r->loop, &r->delay);
	for (unsigned i = 0; i < r->n; i++)
		if (r->reqs[i].state == BR_DELAYED &&
		    (next < 0 || r->reqs[i].sym->not_before < next))
			next = r->reqs[i].sym->not_before;
	if (next >= 0) {
		ev_timer_set(&r->delay, next > now ? next - now : 0., 0.);
		ev_timer_start(r->loop, &r->delay);
	}
}

static void br_delay_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct book_rest *r = container_of(w, struct book_rest, delay);
	double now = ev_now(loop);

	(void)revents;
	for (unsigned i = 0; i < r->n; i++) {
		struct br_req *q = &r->reqs[i];
		int e;

		if (q->state != BR_DELAYED || q->sym->not_before > now)
			continue;
		e = br_send(r, q);
		if (e) { /* from the loop: the book hears of it and asks again */
			q->state = BR_FREE;
			r->st.failed++;
			q->cb(q->arg, e, NULL, 0);
		}
	}
	br_arm(r);
}

static int br_request(void *ctx, const char *symbol, uint32_t limit, book_snapshot_cb cb,
		      void *arg, uint64_t *handle)
{
	struct book_rest *r = ctx;
	struct br_req *q = NULL;
	struct br_symbol *s;
	unsigned i;
	int e;

	if (!symbol || strlen(symbol) > BR_SYMBOL_MAX || !limit || !cb)
		return -EINVAL;
	for (i = 0; i < r->n && !q; i++)
		if (r->reqs[i].state == BR_FREE)
			q = &r->reqs[i];
	s = br_symbol(r, symbol);
	if (!q || !s)
		return -ENOBUFS;
	if (limit > r->venue->snapshot_limit_max)
		limit = r->venue->snapshot_limit_max;
	/* a cancelled request of this symbol still on its way: its answer is
	 * as good (a book checks any snapshot against its buffer), and asking
	 * twice would spend the weight twice */
	for (i = 0; i < r->n; i++) {
		struct br_req *o = &r->reqs[i];

		if (o->state == BR_CANCELLED && o->sym == s && o->limit == limit) {
			o->state = BR_SENT;
			o->gen = ++r->gen ?: ++r->gen;
			o->cb = cb;
			o->arg = arg;
			r->st.requests++;
			r->st.adopted++;
			*handle = (uint64_t)o->gen << 32 | (uint64_t)(i + 1);
			return 0;
		}
	}
	*q = (struct br_req){.r = r, .gen = ++r->gen ?: ++r->gen, .sym = s, .limit = limit,
			     .cb = cb, .arg = arg};
	r->st.requests++;
	if (s->not_before > ev_now(r->loop)) {
		q->state = BR_DELAYED;
		r->st.delayed++;
		br_arm(r);
	} else {
		e = br_send(r, q);
		if (e) {
			q->state = BR_FREE;
			return e;
		}
	}
	*handle = (uint64_t)q->gen << 32 | (uint64_t)(q - r->reqs + 1);
	return 0;
}

static void br_cancel(void *ctx, uint64_t handle)
{
	struct book_rest *r = ctx;
	uint64_t idx = handle & 0xffffffffu;
	struct br_req *q;

	if (!idx || idx > r->n)
		return;
	q = &r->reqs[idx - 1];
	if (q->gen != (uint16_t)(handle >> 32) || q->state == BR_FREE || q->state == BR_CANCELLED)
		return;
	r->st.cancelled++;
	if (q->state == BR_DELAYED) {
		q->state = BR_FREE;
		br_arm(r);
	} else {
		q->state = BR_CANCELLED;
	}
}

static const struct book_snapshot_source_ops br_ops = {
    .request = br_request,
    .cancel = br_cancel,
};

int book_rest__new(struct book_rest **out, struct ev_loop *loop, const struct book_rest_opts *o,
		   struct fx_error *err)
{
	struct url url, proxy;
	const char *us = o->url ? o->url : o->venue ? o->venue->rest_url : NULL;
	struct book_rest *r;
	struct https_get_opts ho = {
	    .proxy = o->proxy ? &proxy : NULL,
	    .tls = o->tls,
	    .resolver = o->resolver,
	    .request_timeout = o->request_timeout,
	    .no_h2 = o->no_h2,
	};
	struct rest_sched_opts so = {.budget = o->budget};
	int e;

	*out = NULL;
	if (!o->venue || !o->venue->snapshot_path)
		return fx_error_set(err, -EINVAL, "the venue has no REST snapshots");
	if (!us || url_parse(us, &url) || url.scheme != URL_HTTPS)
		return fx_error_set(err, -EINVAL, "bad REST URL '%s': want https://host[:port]",
				    us ? us : "");
	if (o->proxy && (url_parse(o->proxy, &proxy) || proxy.scheme != URL_HTTP))
		return fx_error_set(err, -EINVAL, "bad proxy '%s'", o->proxy);
	r = calloc(1, sizeof(*r));
	if (!r)
		return fx_error_set(err, -ENOMEM, "out of memory");
	r->loop = loop;
	r->venue = o->venue;
	r->n = o->max_requests ? o->max_requests : 1024;
	if (r->n > 0xffff)
		r->n = 0xffff;
	r->backoff_min = o->backoff_min > 0 ? o->backoff_min : 0.5;
	r->backoff_max = o->backoff_max > 0 ? o->backoff_max : 30;
	r->reqs = calloc(r->n, sizeof(*r->reqs));
	r->syms = calloc(r->n, sizeof(*r->syms));
	so.max_jobs = r->n;
	ho.max_queue = r->n;
	ho.url = &url;
	if (!r->reqs || !r->syms) {
		book_rest__free(r);
		return fx_error_set(err, -ENOMEM, "out of memory");
	}
	e = https_get__new(&r->client, loop, &ho, err);
	if (e) {
		book_rest__free(r);
		return e;
	}
	e = rest_pacer__new(&r->pacer, loop, r->client, &so);
	if (e) {
		book_rest__free(r);
		return fx_error_set(err, e, "cannot set up the REST pacer");
	}
	ev_init(&r->delay, br_delay_cb);
	r->src = (struct book_snapshot_source){.ops = &br_ops, .ctx = r};
	*out = r;
	return 0;
}

const struct book_snapshot_source *book_rest__source(struct book_rest *r)
{
	return &r->src;
}

void book_rest__stats(const struct book_rest *r, struct book_rest_stats *st)
{
	*st = r->st;
	st->connections = https_get__connections(r->client);
	st->protocol = https_get__protocol(r->client);
}

void book_rest__report(const struct book_rest *r, const char *who)
{
	struct book_rest_stats st;

	if (!r)
		return;
	book_rest__stats(r, &st);
	fprintf(stderr,
		"%s: REST snapshots: %llu asked, %llu sent (weight %llu), %llu ok, %llu limited "
		"(429/418), %llu failed, %llu backed off, %llu cancelled (%llu answers reused); "
		"%u connection(s), %s\n",
		who, (unsigned long long)st.requests, (unsigned long long)st.sent,
		(unsigned long long)st.weight, (unsigned long long)st.ok,
		(unsigned long long)st.limited, (unsigned long long)st.failed,
		(unsigned long long)st.delayed, (unsigned long long)st.cancelled,
		(unsigned long long)st.adopted, st.connections,
		st.protocol && *st.protocol ? st.protocol : "no protocol");
}

void book_rest__free(struct book_rest *r)
{
	if (!r)
		return;
	if (r->pacer)
		ev_timer_stop(r->loop, &r->delay);
	https_get__free(r->client); /* first: its callbacks point into the pacer */
	rest_pacer__free(r->pacer);
	free(r->reqs);
	free(r->syms);
	free(r);
}

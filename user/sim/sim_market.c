/* sim_market — one market timeline that every connection views (see
 * sim_market.h).
 *
 * The ring: slot seq % nslots holds a message's place in a byte arena
 * addressed by a monotonic byte counter (`abs`, physical offset abs %
 * arena size); a message never wraps (the rest of a lap is skipped), and
 * publishing evicts the oldest slots whose bytes it would overwrite. A view
 * is a cursor; it is behind when its cursor is older than the ring's tail.
 */
#include "sim_market.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fx_log.h"
#include "core/util.h"

struct slot {
	uint64_t abs;   /* arena byte counter at the message's start */
	uint32_t len;
	uint16_t stream;
	bool raw;
	uint8_t kind;   /* enum feedgen_kind */
	double t;       /* ev_now at publication */
};

struct sim_market {
	struct ev_loop *loop;
	struct sim_market_config cfg;
	struct feedgen *gen;
	/* ring */
	struct slot *slots;
	unsigned nslots;
	uint64_t head, tail;   /* next seq to publish; oldest seq still held */
	char *arena;
	size_t arena_size;
	uint64_t abs_head;
	/* schedule */
	ev_timer tick;
	ev_check check;        /* --rate 0: publish between loop iterations */
	ev_idle idle;          /* ... and keep the loop from sleeping meanwhile */
	double t0;
	uint64_t ticks_done;
	uint64_t generated;    /* feedgen messages, dropped ones included */
	char *scratch;
	size_t msg_max;
	/* --reorder-diff: one depth message held back */
	char *held;
	size_t held_len;
	int held_stream;
	uint64_t fault_rng;
	/* views */
	struct sim_market_view *views;
	bool delayed;          /* a view has a delay (flat out: wake views anyway) */
	double blocked_since;  /* flat out: since when the slowest view holds it */
	void (*on_publish)(void *);
	void *on_publish_arg;
	/* truth */
	FILE *truth;
	/* --book-dump */
	FILE *book;
	uint64_t book_n, book_next;
	uint8_t book_due[FEEDGEN_MAX_STREAMS];
	unsigned book_left;
	struct feedgen_book *bk;
};

static const char *const end_names[] = {
	[SIM_MARKET_END_UNSUB] = "unsub", [SIM_MARKET_END_CLOSE] = "close",
	[SIM_MARKET_END_FIN] = "fin",     [SIM_MARKET_END_RST] = "rst",
	[SIM_MARKET_END_STALL] = "stall", [SIM_MARKET_END_SLOW] = "slow",
	[SIM_MARKET_END_GONE] = "gone",   [SIM_MARKET_END_EXIT] = "exit",
};

/* ---- small helpers ---- */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool chance(struct sim_market *m, double p)
{
	return p > 0 && (double)(splitmix(&m->fault_rng) >> 11) * 0x1.0p-53 < p;
}

static bool kind_is_depth(const char *name)
{
	enum feedgen_kind k;

	return !feedgen_stream_parse(name, strlen(name), &k) &&
	       (k == FEEDGEN_DEPTH || k == FEEDGEN_DEPTH100);
}

/* The value of "key": in a payload (unsigned integer), or 0. */
static uint64_t json_u64(const char *p, size_t n, const char *key)
{
	size_t kl = strlen(key);
	const char *e = p + n;

	for (const char *q = p; q + kl < e; q++) {
		if (*q != '"' || memcmp(q + 1, key, kl) || q[kl + 1] != '"' || q[kl + 2] != ':')
			continue;
		q += kl + 3;
		if (q >= e || *q < '0' || *q > '9')
			continue;
		uint64_t v = 0;

		while (q < e && *q >= '0' && *q <= '9')
			v = v * 10 + (uint64_t)(*q++ - '0');
		return v;
	}
	return 0;
}

/* "<id>" or "<U>\t<u>" or "-" for the truth log. */
static void ids_text(const char *name, const char *p, size_t n, char *out, size_t cap)
{
	enum feedgen_kind k = FEEDGEN_RAW;

	feedgen_stream_parse(name, strlen(name), &k);
	switch (k) {
	case FEEDGEN_TRADE:
		snprintf(out, cap, "%llu", (unsigned long long)json_u64(p, n, "t"));
		break;
	case FEEDGEN_AGGTRADE:
		snprintf(out, cap, "%llu", (unsigned long long)json_u64(p, n, "a"));
		break;
	case FEEDGEN_BOOKTICKER:
		snprintf(out, cap, "%llu", (unsigned long long)json_u64(p, n, "u"));
		break;
	case FEEDGEN_DEPTH:
	case FEEDGEN_DEPTH100:
		snprintf(out, cap, "%llu\t%llu", (unsigned long long)json_u64(p, n, "U"),
			 (unsigned long long)json_u64(p, n, "u"));
		break;
	default:
		snprintf(out, cap, "-");
		break;
	}
}

/* ---- the ring ---- */

static const struct slot *slot_of(const struct sim_market *m, uint64_t seq)
{
	return &m->slots[seq % m->nslots];
}

/* Append one message; evicts what it overwrites. */
static void ring_put(struct sim_market *m, const char *text, size_t len, int stream)
{
	uint64_t at = m->abs_head;
	size_t phys = at % m->arena_size;
	struct slot *sl;
	char ids[64];
	const char *name = feedgen__stream(m->gen, (unsigned)stream);

	if (phys + len > m->arena_size) /* never wrap a message */
		at += m->arena_size - phys;
	while (m->tail < m->head &&
	       (m->head - m->tail >= m->nslots ||
		slot_of(m, m->tail)->abs + m->arena_size < at + len))
		m->tail++;
	memcpy(m->arena + at % m->arena_size, text, len);
	sl = &m->slots[m->head % m->nslots];
	sl->abs = at;
	sl->len = (uint32_t)len;
	sl->stream = (uint16_t)stream;
	sl->raw = !strcmp(name, "raw");
	{
		enum feedgen_kind k = FEEDGEN_RAW;

		feedgen_stream_parse(name, strlen(name), &k);
		sl->kind = (uint8_t)k;
	}
	sl->t = ev_now(m->loop);
	m->abs_head = at + len;
	if (m->truth) {
		ids_text(name, text, len, ids, sizeof(ids));
		fprintf(m->truth, "P\t%llu\t%s\t%s\n", (unsigned long long)m->head, name, ids);
	}
	m->head++;
}

/* ---- --book-dump ---- */

static void book_line(struct sim_market *m, unsigned stream)
{
	const char *name = feedgen__stream(m->gen, stream);
	const char *at = strchr(name, '@');
	struct feedgen_book *b = m->bk;

	if (!at || feedgen__book(m->gen, name, (size_t)(at - name), b))
		return;
	fprintf(m->book, "{\"symbol\":\"%s\",\"stream\":\"%s\",\"lastUpdateId\":%llu,\"seq\":%llu,\"bids\":[",
		b->symbol, name, (unsigned long long)b->last_update_id, (unsigned long long)m->head);
	for (unsigned i = 0; i < b->nbids; i++)
		fprintf(m->book, "%s[\"%llu.%08llu\",\"%llu.%08llu\"]", i ? "," : "",
			(unsigned long long)(b->bids[i].price_e8 / 100000000),
			(unsigned long long)(b->bids[i].price_e8 % 100000000),
			(unsigned long long)(b->bids[i].qty_e8 / 100000000),
			(unsigned long long)(b->bids[i].qty_e8 % 100000000));
	fputs("],\"asks\":[", m->book);
	for (unsigned i = 0; i < b->nasks; i++)
		fprintf(m->book, "%s[\"%llu.%08llu\",\"%llu.%08llu\"]", i ? "," : "",
			(unsigned long long)(b->asks[i].price_e8 / 100000000),
			(unsigned long long)(b->asks[i].price_e8 % 100000000),
			(unsigned long long)(b->asks[i].qty_e8 / 100000000),
			(unsigned long long)(b->asks[i].qty_e8 % 100000000));
	fputs("]}\n", m->book);
}

static void book_finish(struct sim_market *m)
{
	char path[4096];

	fclose(m->book);
	m->book = NULL;
	snprintf(path, sizeof(path), "%s/book-%llu.jsonl", m->cfg.book_dir,
		 (unsigned long long)m->book_n);
	if (m->truth) {
		fprintf(m->truth, "B\t%llu\t%s\n", (unsigned long long)m->head, path);
		fflush(m->truth);
	}
	m->book_n++;
}

void sim_market__checkpoint(struct sim_market *m)
{
	char path[4096];
	unsigned n = feedgen__nstreams(m->gen);

	if (!m->cfg.book_dir || m->book)
		return; /* one at a time */
	snprintf(path, sizeof(path), "%s/book-%llu.jsonl", m->cfg.book_dir,
		 (unsigned long long)m->book_n);
	m->book = fopen(path, "w");
	if (!m->book) {
		fx_log(FX_LOG_ERROR, "--book-dump %s: %s", path, strerror(errno));
		return;
	}
	m->book_left = 0;
	for (unsigned i = 0; i < n; i++) {
		m->book_due[i] = kind_is_depth(feedgen__stream(m->gen, i));
		m->book_left += m->book_due[i];
	}
	if (!m->book_left)
		book_finish(m);
}

/* ---- publishing ---- */

static void publish_one(struct sim_market *m)
{
	struct feedgen_clock clk = { .mono_ns = -1 };
	ssize_t n;
	int st;
	bool depth;

	clk.wall_ms = m->cfg.epoch ? feedgen_index_ms(m->cfg.epoch_ms, m->cfg.rate, m->generated)
				   : (int64_t)(ev_time() * 1000);
	n = feedgen__next(m->gen, m->scratch, m->msg_max, false, &clk, NULL);
	if (n <= 0)
		return;
	m->generated++;
	st = feedgen__last_stream(m->gen);
	depth = kind_is_depth(feedgen__stream(m->gen, (unsigned)st));
	if (depth && chance(m, m->cfg.drop_diff)) {
		if (m->truth) {
			char ids[64];

			ids_text(feedgen__stream(m->gen, (unsigned)st), m->scratch, (size_t)n, ids,
				 sizeof(ids));
			fprintf(m->truth, "P\t-\t%s\t%s\tdrop\n", feedgen__stream(m->gen, (unsigned)st),
				ids);
		}
		return; /* keep any checkpoint due: no client can be at this u */
	}
	if (depth && m->book && m->book_due[st]) {
		book_line(m, (unsigned)st);
		m->book_due[st] = 0;
		if (!--m->book_left)
			book_finish(m);
	}
	if (depth && m->held_stream < 0 && chance(m, m->cfg.reorder_diff)) {
		memcpy(m->held, m->scratch, (size_t)n);
		m->held_len = (size_t)n;
		m->held_stream = st;
		return;
	}
	ring_put(m, m->scratch, (size_t)n, st);
	if (m->held_stream == st) { /* the held one goes after its successor */
		ring_put(m, m->held, m->held_len, st);
		m->held_stream = -1;
	}
	if (m->cfg.book_every && m->head >= m->book_next) {
		m->book_next = m->head + m->cfg.book_every;
		sim_market__checkpoint(m);
	}
}

/* --rate 0: room while every view is less than half the ring behind. */
static bool room_flat_out(const struct sim_market *m)
{
	uint64_t min = m->head;

	for (const struct sim_market_view *v = m->views; v; v = v->next)
		if (!v->slow && v->cursor < min)
			min = v->cursor;
	if (m->head - min >= m->nslots / 2)
		return false;
	return min == m->head || m->abs_head - slot_of(m, min)->abs < m->arena_size / 2;
}

static void notify(struct sim_market *m)
{
	if (m->on_publish)
		m->on_publish(m->on_publish_arg);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sim_market *m = container_of(w, struct sim_market, tick);
	uint64_t due, owed, cap;

	(void)revents;
	if (!feedgen__can_emit(m->gen))
		return;
	due = (uint64_t)((ev_now(loop) - m->t0) * m->cfg.rate / m->cfg.burst) + 1;
	if (due <= m->ticks_done)
		return;
	owed = (due - m->ticks_done) * m->cfg.burst;
	/* a market that could not keep up publishes at most a second at once */
	cap = (uint64_t)m->cfg.rate > m->cfg.burst ? (uint64_t)m->cfg.rate : m->cfg.burst;
	if (owed > cap)
		owed = cap;
	m->ticks_done = due;
	while (owed--)
		publish_one(m);
	notify(m);
}

static void check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct sim_market *m = container_of(w, struct sim_market, check);
	unsigned n = 0;

	(void)loop;
	(void)revents;
	if (!feedgen__can_emit(m->gen) || !m->views)
		return;
	while (n < 256 && room_flat_out(m)) {
		publish_one(m);
		n++;
	}
	if (n) {
		m->blocked_since = 0;
	} else if (!m->blocked_since) {
		m->blocked_since = ev_now(loop);
	} else if (ev_now(loop) - m->blocked_since > SIM_MARKET_STUCK_SECS) {
		/* a client that reads nothing must not stop the market for all:
		 * the slowest view is told it fell behind (closed "slow") */
		struct sim_market_view *slowest = NULL;

		for (struct sim_market_view *v = m->views; v; v = v->next)
			if (!v->slow && (!slowest || v->cursor < slowest->cursor))
				slowest = v;
		if (slowest)
			slowest->slow = true;
		m->blocked_since = 0;
		n = 1; /* wake it */
	}
	if (n || m->delayed)
		notify(m); /* a delayed view's messages fall due without a publication */
}

static void idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents; /* its only job: the loop does not block while flat out */
}

/* ---- lifetime ---- */

static int add_universe(struct sim_market *m, const char *list, struct fx_error *err)
{
	static const char *const kinds[] = { "trade", "aggTrade", "bookTicker", "depth",
					     "depth@100ms" };
	static const enum feedgen_kind kind_ids[] = { FEEDGEN_TRADE, FEEDGEN_AGGTRADE,
						      FEEDGEN_BOOKTICKER, FEEDGEN_DEPTH,
						      FEEDGEN_DEPTH100 };
	char name[FEEDGEN_NAME_MAX + 8];
	char *end;
	unsigned long count = strtoul(list, &end, 10);

	if (*list >= '0' && *list <= '9' && !*end) { /* "N": s000usdt, s001usdt, ... */
		if (count < 1 || count > FEEDGEN_MAX_SYMBOLS)
			return fx_error_set(err, -EINVAL, "--symbols %s: 1..%d symbols", list,
					    FEEDGEN_MAX_SYMBOLS);
		for (unsigned long i = 0; i < count; i++) {
			for (unsigned k = 0; k < ARRAY_SIZE(kinds); k++) {
				if (!m->cfg.gen.weight[kind_ids[k]])
					continue;
				snprintf(name, sizeof(name), "s%03luusdt@%s", i, kinds[k]);
				if (feedgen__subscribe(m->gen, name, strlen(name)) < 0)
					return fx_error_set(err, -ENOSPC,
							    "--symbols %s: more than %d streams", list,
							    FEEDGEN_MAX_STREAMS);
			}
		}
		return 0;
	}
	for (const char *p = list; *p;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		int r = 0;

		if (n == 0 || n > FEEDGEN_SYMBOL_MAX + 12)
			return fx_error_set(err, -EINVAL, "--symbols: bad entry in '%s'", list);
		if (memchr(p, '@', n) || (n == 3 && !memcmp(p, "raw", 3))) {
			r = feedgen__subscribe(m->gen, p, n);
		} else {
			for (unsigned k = 0; k < ARRAY_SIZE(kinds) && r >= 0; k++) {
				if (!m->cfg.gen.weight[kind_ids[k]])
					continue;
				snprintf(name, sizeof(name), "%.*s@%s", (int)n, p, kinds[k]);
				r = feedgen__subscribe(m->gen, name, strlen(name));
			}
		}
		if (r < 0)
			return fx_error_set(err, r, "--symbols: %s '%.*s'",
					    r == -EINVAL ? "not a symbol or stream" : "too many streams at",
					    (int)n, p);
		p += n + (c ? 1 : 0);
	}
	return 0;
}

int sim_market__new(struct sim_market **out, struct ev_loop *loop,
		    const struct sim_market_config *cfg, struct fx_error *err)
{
	struct sim_market *m = calloc(1, sizeof(*m));
	int rc = -ENOMEM;

	*out = NULL;
	if (!m)
		return fx_error_set(err, -ENOMEM, "out of memory");
	m->loop = loop;
	m->cfg = *cfg;
	if (!m->cfg.burst)
		m->cfg.burst = 1;
	m->nslots = cfg->buffer >= 64 ? cfg->buffer : SIM_MARKET_BUFFER_DEFAULT;
	m->msg_max = feedgen_msg_max(&cfg->gen);
	m->arena_size = (size_t)m->nslots * 512; /* messages average far less */
	if (m->arena_size > SIM_MARKET_ARENA_MAX)
		m->arena_size = SIM_MARKET_ARENA_MAX;
	if (m->arena_size < 4 * m->msg_max)
		m->arena_size = 4 * m->msg_max;
	m->held_stream = -1;
	m->fault_rng = cfg->gen.seed ^ 0x6d61726b6574ULL; /* "market" */
	m->slots = calloc(m->nslots, sizeof(*m->slots));
	m->arena = malloc(m->arena_size);
	m->scratch = malloc(m->msg_max);
	m->held = malloc(m->msg_max);
	m->bk = malloc(sizeof(*m->bk));
	if (!m->slots || !m->arena || !m->scratch || !m->held || !m->bk) {
		fx_error_set(err, rc, "out of memory for the market");
		goto err_free;
	}
	if ((rc = feedgen__new(&m->gen, &cfg->gen))) {
		fx_error_set(err, rc, "market generator: %s", strerror(-rc));
		goto err_free;
	}
	if (cfg->symbols && (rc = add_universe(m, cfg->symbols, err)))
		goto err_free;
	if (cfg->truth_path) {
		m->truth = fopen(cfg->truth_path, "w");
		if (!m->truth) {
			rc = fx_error_set(err, -errno, "--truth %s: %s", cfg->truth_path,
					  strerror(errno));
			goto err_free;
		}
		setvbuf(m->truth, NULL, _IOFBF, 4 << 20);
	}
	m->book_next = cfg->book_every;
	m->t0 = ev_now(loop);
	if (cfg->rate > 0) {
		double iv = m->cfg.burst / cfg->rate;

		ev_timer_init(&m->tick, tick_cb, 0, iv < 50e-6 ? 50e-6 : iv);
		ev_timer_start(loop, &m->tick);
	} else {
		ev_check_init(&m->check, check_cb);
		ev_check_start(loop, &m->check);
		ev_idle_init(&m->idle, idle_cb);
	}
	*out = m;
	return 0;

err_free:
	sim_market__free(m);
	return rc;
}

void sim_market__free(struct sim_market *m)
{
	if (!m)
		return;
	while (m->views)
		sim_market_view__fini(m->views, SIM_MARKET_END_EXIT);
	if (m->loop) {
		ev_timer_stop(m->loop, &m->tick);
		ev_check_stop(m->loop, &m->check);
		ev_idle_stop(m->loop, &m->idle);
	}
	if (m->book)
		fclose(m->book); /* incomplete: no "B" line */
	if (m->truth)
		fclose(m->truth);
	feedgen__free(m->gen);
	free(m->slots);
	free(m->arena);
	free(m->scratch);
	free(m->held);
	free(m->bk);
	free(m);
}

void sim_market__on_publish(struct sim_market *m, void (*cb)(void *arg), void *arg)
{
	m->on_publish = cb;
	m->on_publish_arg = arg;
}

uint64_t sim_market_published(const struct sim_market *m)
{
	return m->head;
}

int sim_market_book(struct sim_market *m, const char *symbol, size_t len,
		    struct feedgen_book *book)
{
	return feedgen__book(m->gen, symbol, len, book);
}

/* ---- views ---- */

static void idle_update(struct sim_market *m)
{
	if (m->cfg.rate > 0)
		return;
	if (m->views)
		ev_idle_start(m->loop, &m->idle);
	else
		ev_idle_stop(m->loop, &m->idle);
}

void sim_market_view__init(struct sim_market_view *v, struct sim_market *m, unsigned conn,
			   double delay)
{
	memset(v, 0, sizeof(*v));
	v->m = m;
	v->conn = conn;
	v->delay = delay;
	v->cursor = m->head;
	m->delayed |= delay > 0;
	v->next = m->views;
	if (m->views)
		m->views->prev = v;
	m->views = v;
	idle_update(m);
}

static void range_end(struct sim_market_view *v, unsigned i, enum sim_market_end end)
{
	struct sim_market *m = v->m;

	if (m->truth) {
		/* everything of the stream before the cursor was written */
		long long to = (long long)v->cursor - 1;

		fprintf(m->truth, "V\t%u\t%s\t%llu\t%lld\t%s\t%s\n", v->conn,
			feedgen__stream(m->gen, i), (unsigned long long)v->from[i], to, end_names[end],
			v->peer[0] ? v->peer : "-");
		fflush(m->truth);
	}
	v->from[i] = UINT64_MAX;
}

void sim_market_view__fini(struct sim_market_view *v, enum sim_market_end end)
{
	struct sim_market *m = v->m;

	if (!m)
		return;
	for (unsigned i = 0; i < v->nfrom; i++)
		if (v->from[i] != UINT64_MAX)
			range_end(v, i, v->slow ? SIM_MARKET_END_SLOW : end);
	if (v->prev)
		v->prev->next = v->next;
	else
		m->views = v->next;
	if (v->next)
		v->next->prev = v->prev;
	free(v->from);
	v->from = NULL;
	v->m = NULL;
	idle_update(m);
}

static int market_stream(struct sim_market *m, const char *name)
{
	unsigned n = feedgen__nstreams(m->gen);
	int r;

	for (unsigned i = 0; i < n; i++)
		if (!strcmp(feedgen__stream(m->gen, i), name))
			return (int)i;
	r = feedgen__subscribe(m->gen, name, strlen(name));
	if (r < 0)
		return r;
	return (int)feedgen__nstreams(m->gen) - 1;
}

int sim_market_view__sync(struct sim_market_view *v, const struct feedgen *g)
{
	struct sim_market *m = v->m;
	unsigned n = feedgen__nstreams(g);
	int rc = 0;

	if (!v->from) {
		v->from = malloc(FEEDGEN_MAX_STREAMS * sizeof(*v->from));
		if (!v->from)
			return -ENOMEM;
		for (unsigned i = 0; i < FEEDGEN_MAX_STREAMS; i++)
			v->from[i] = UINT64_MAX;
	}
	for (unsigned i = 0; i < v->nfrom; i++) {
		const char *name = feedgen__stream(m->gen, i);

		if (v->from[i] != UINT64_MAX && !feedgen__has(g, name, strlen(name)))
			range_end(v, i, SIM_MARKET_END_UNSUB);
	}
	for (unsigned i = 0; i < n; i++) {
		int k = market_stream(m, feedgen__stream(g, i));

		if (k < 0) {
			rc = k;
			continue;
		}
		if ((unsigned)k >= v->nfrom)
			v->nfrom = (unsigned)k + 1;
		if (v->from[k] == UINT64_MAX)
			v->from[k] = m->head;
	}
	return rc;
}

int sim_market_view__peek(struct sim_market_view *v, double now, struct sim_market_msg *msg)
{
	struct sim_market *m = v->m;

	if (v->slow)
		return -ESTALE;
	if (v->cursor < m->tail) {
		v->slow = true;
		return -ESTALE;
	}
	for (; v->cursor < m->head; v->cursor++) {
		const struct slot *sl = slot_of(m, v->cursor);

		if (sl->stream >= v->nfrom || v->from[sl->stream] > v->cursor)
			continue;
		if (v->delay > 0 && sl->t + v->delay > now)
			return 0;
		msg->seq = v->cursor;
		msg->text = m->arena + sl->abs % m->arena_size;
		msg->len = sl->len;
		msg->stream = feedgen__stream(m->gen, sl->stream);
		msg->raw = sl->raw;
		msg->kind = (enum feedgen_kind)sl->kind;
		return 1;
	}
	return 0;
}

void sim_market_view__take(struct sim_market_view *v, const struct sim_market_msg *msg)
{
	v->cursor = msg->seq + 1;
}

size_t sim_market_render(const struct sim_market_msg *msg, bool combined, int64_t ts_ns, char *out)
{
	char *p = out;
	size_t n = msg->len;

	if (combined)
		p += sprintf(p, "{\"stream\":\"%s\",\"data\":", msg->stream);
	if (msg->raw) {
		if (combined)
			*p++ = '"';
		memcpy(p, msg->text, n);
		p += n;
		if (combined)
			*p++ = '"';
	} else if (ts_ns >= 0) {
		memcpy(p, msg->text, n - 1); /* up to the closing brace */
		p += n - 1;
		p += sprintf(p, ",\"ts_ns\":%lld}", (long long)ts_ns);
	} else {
		memcpy(p, msg->text, n);
		p += n;
	}
	if (combined)
		*p++ = '}';
	return (size_t)(p - out);
}

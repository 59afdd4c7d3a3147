/* Tests for feedsim's market mode (sim_market) and its REST answers
 * (sim_rest): views of one timeline see identical messages and ids, a view
 * opened later starts mid-stream, the truth log holds every publication
 * and every view's range, a view that falls behind is told so, the diff
 * faults, book checkpoints, the rendering per connection, REST bodies,
 * weights, 429 and stale snapshots. No sockets: the market runs on a
 * private libev loop, flat out (--rate 0), paced by its views. */
#include "check.h"
#include "sim/feedgen.h"
#include "sim/sim_market.h"
#include "sim/sim_rest.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#define EXPECT_EQ(expr, want)                                                      \
	do {                                                                       \
		long long v_ = (long long)(expr);                                  \
		CHECKF(v_ == (long long)(want), "%s = %lld, want %lld", #expr, v_, \
		       (long long)(want));                                         \
	} while (0)

static char tmpdir[64];

struct fixture {
	struct ev_loop *loop;
	struct sim_market *m;
	struct sim_market_config cfg;
};

static int fx_open(struct fixture *f, const char *symbols, const char *truth, unsigned buffer)
{
	struct fx_error err;

	memset(f, 0, sizeof(*f));
	f->loop = ev_loop_new(EVFLAG_AUTO);
	f->cfg.on = true;
	f->cfg.symbols = symbols;
	f->cfg.truth_path = truth;
	f->cfg.buffer = buffer;
	feedgen_config_default(&f->cfg.gen);
	f->cfg.gen.weight[FEEDGEN_RAW] = 0;
	return sim_market__new(&f->m, f->loop, &f->cfg, &err);
}

static void fx_close(struct fixture *f)
{
	sim_market__free(f->m);
	ev_loop_destroy(f->loop);
}

/* Run the loop until the market has published n messages (or 10000 rounds). */
static void publish_until(struct fixture *f, uint64_t n)
{
	for (int i = 0; i < 10000 && sim_market_published(f->m) < n; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
}

static struct feedgen *subs(const char *a, const char *b)
{
	struct feedgen *g;
	struct feedgen_config c;

	feedgen_config_default(&c);
	if (feedgen__new(&g, &c))
		return NULL;
	feedgen__subscribe(g, a, strlen(a));
	if (b)
		feedgen__subscribe(g, b, strlen(b));
	return g;
}

/* Take up to max messages: their seqs and texts (concatenated, \n each). */
static unsigned drain(struct sim_market_view *v, uint64_t *seqs, unsigned max, char *text,
		      size_t cap)
{
	struct sim_market_msg msg;
	unsigned n = 0;
	size_t off = 0;

	while (n < max && sim_market_view__peek(v, 1e18, &msg) == 1) {
		seqs[n++] = msg.seq;
		if (text && off + msg.len + 1 < cap) {
			memcpy(text + off, msg.text, msg.len);
			off += msg.len;
			text[off++] = '\n';
			text[off] = 0;
		}
		sim_market_view__take(v, &msg);
	}
	return n;
}

static void test_two_views_identical(void)
{
	struct fixture f;
	struct sim_market_view a, b;
	struct feedgen *g = subs("btcusdt@trade", "btcusdt@depth");
	static uint64_t sa[4096], sb[4096];
	static char ta[1 << 20], tb[1 << 20];
	unsigned na, nb;

	REQUIRE(g && !fx_open(&f, "btcusdt,ethusdt", NULL, 4096));
	sim_market_view__init(&a, f.m, 1, 0);
	sim_market_view__init(&b, f.m, 2, 0);
	CHECK(!sim_market_view__sync(&a, g));
	CHECK(!sim_market_view__sync(&b, g));
	publish_until(&f, 1500);
	CHECK(sim_market_published(f.m) >= 1500);
	na = drain(&a, sa, 4096, ta, sizeof(ta));
	nb = drain(&b, sb, 4096, tb, sizeof(tb));
	CHECK(na > 100);
	EXPECT_EQ(na, nb);
	CHECK(!memcmp(sa, sb, na * sizeof(sa[0])));
	CHECK(!strcmp(ta, tb));
	/* only the subscribed streams of a market of ten */
	CHECK(!strstr(ta, "ETHUSDT") && !strstr(ta, "bookTicker") && !strstr(ta, "aggTrade"));
	CHECK(strstr(ta, "\"e\":\"trade\"") && strstr(ta, "depthUpdate"));
	{
		struct sim_market_msg msg;
		struct sim_market_view c;

		sim_market_view__init(&c, f.m, 3, 0);
		sim_market_view__sync(&c, g);
		publish_until(&f, sim_market_published(f.m) + 50);
		REQUIRE(sim_market_view__peek(&c, 1e18, &msg) == 1);
		CHECK(msg.kind == (strstr(msg.stream, "@trade") ? FEEDGEN_TRADE : FEEDGEN_DEPTH));
		sim_market_view__fini(&c, SIM_MARKET_END_CLOSE);
	}
	sim_market_view__fini(&a, SIM_MARKET_END_CLOSE);
	sim_market_view__fini(&b, SIM_MARKET_END_CLOSE);
	feedgen__free(g);
	fx_close(&f);
}

static void test_late_view_mid_stream(void)
{
	struct fixture f;
	struct sim_market_view a, b;
	struct feedgen *g = subs("btcusdt@trade", NULL);
	static uint64_t sa[8192], sb[8192];
	unsigned na, nb, i;
	uint64_t start;

	REQUIRE(g && !fx_open(&f, "btcusdt", NULL, 8192));
	sim_market_view__init(&a, f.m, 1, 0);
	sim_market_view__sync(&a, g);
	publish_until(&f, 1000);
	start = sim_market_published(f.m);
	sim_market_view__init(&b, f.m, 2, 0);
	sim_market_view__sync(&b, g);
	publish_until(&f, start + 1000);
	na = drain(&a, sa, 8192, NULL, 0);
	nb = drain(&b, sb, 8192, NULL, 0);
	REQUIRE(nb > 0 && na > nb);
	CHECK(sb[0] >= start);          /* nothing from before it subscribed */
	for (i = 0; i < na && sa[i] != sb[0]; i++)
		;
	REQUIRE(i < na);
	EXPECT_EQ(na - i, nb);          /* then every message the first one got */
	CHECK(!memcmp(sa + i, sb, nb * sizeof(sb[0])));
	CHECK(sa[0] == 0 || sa[0] < start);
	sim_market_view__fini(&a, SIM_MARKET_END_CLOSE);
	sim_market_view__fini(&b, SIM_MARKET_END_CLOSE);
	feedgen__free(g);
	fx_close(&f);
}

static void test_truth_complete(void)
{
	struct fixture f;
	struct sim_market_view a;
	struct feedgen *g = subs("btcusdt@trade", "btcusdt@depth");
	char path[128], line[512], stream[64], end[16];
	static uint64_t s[4096];
	uint64_t published, next = 0, vfrom = 99, vto = 0;
	unsigned n, nv = 0, conn;
	FILE *t;
	long long from, to;

	snprintf(path, sizeof(path), "%s/truth", tmpdir);
	REQUIRE(g && !fx_open(&f, "btcusdt", path, 4096));
	sim_market_view__init(&a, f.m, 7, 0);
	sim_market_view__sync(&a, g);
	publish_until(&f, 1000);
	n = drain(&a, s, 4096, NULL, 0);
	published = sim_market_published(f.m);
	sim_market_view__fini(&a, SIM_MARKET_END_FIN);
	fx_close(&f); /* flushes the truth */
	t = fopen(path, "r");
	REQUIRE(t);
	while (fgets(line, sizeof(line), t)) {
		unsigned long long seq;

		if (line[0] == 'P') {
			CHECKF(sscanf(line, "P\t%llu\t%63s", &seq, stream) == 2, "line %.60s", line);
			CHECKF(seq == next, "seq %llu, want %llu", seq, (unsigned long long)next);
			next = seq + 1;
		} else if (line[0] == 'V' &&
			   sscanf(line, "V\t%u\t%63s\t%lld\t%lld\t%15s", &conn, stream, &from, &to,
				  end) == 5) {
			nv++;
			EXPECT_EQ(conn, 7);
			CHECK(!strcmp(end, "fin"));
			vfrom = (uint64_t)from;
			vto = (uint64_t)to;
		}
	}
	fclose(t);
	EXPECT_EQ(next, published);     /* every publication, in order */
	EXPECT_EQ(nv, 2);               /* one range per stream */
	EXPECT_EQ(vfrom, 0);
	CHECK(n > 0 && vto >= s[n - 1]); /* covers the last one written */
	feedgen__free(g);
}

static void test_slow_view(void)
{
	struct fixture f;
	struct sim_market_view a, b;
	struct feedgen *g = subs("btcusdt@trade", NULL);
	struct sim_market_msg msg;
	static uint64_t s[256];

	REQUIRE(g && !fx_open(&f, "btcusdt", NULL, 64));
	sim_market_view__init(&a, f.m, 1, 0);
	sim_market_view__init(&b, f.m, 2, 0);
	sim_market_view__sync(&a, g);
	sim_market_view__sync(&b, g);
	/* flat out, the market waits for the slowest view: it never laps b */
	publish_until(&f, 1000);
	CHECK(sim_market_published(f.m) <= 32);
	drain(&a, s, 256, NULL, 0);
	CHECK(sim_market_view__peek(&b, 1e18, &msg) == 1);
	/* force a lap by hand: b falls off the ring and is told so */
	b.cursor = 0;
	drain(&b, s, 256, NULL, 0);
	drain(&a, s, 256, NULL, 0);
	for (int i = 0; i < 10; i++) {
		drain(&b, s, 256, NULL, 0);
		drain(&a, s, 256, NULL, 0);
		publish_until(&f, sim_market_published(f.m) + 30);
	}
	b.cursor = 0;
	CHECK(sim_market_view__peek(&b, 1e18, &msg) == -ESTALE);
	CHECK(b.slow);
	sim_market_view__fini(&a, SIM_MARKET_END_CLOSE);
	sim_market_view__fini(&b, SIM_MARKET_END_CLOSE);
	feedgen__free(g);
	fx_close(&f);
}

/* The u values of a view's depth messages. */
static unsigned depth_us(struct sim_market_view *v, uint64_t *us, unsigned max)
{
	struct sim_market_msg msg;
	unsigned n = 0;

	while (n < max && sim_market_view__peek(v, 1e18, &msg) == 1) {
		const char *p = strstr(msg.text, "\"u\":");

		if (p)
			us[n++] = strtoull(p + 4, NULL, 10);
		sim_market_view__take(v, &msg);
	}
	return n;
}

static void test_diff_faults(void)
{
	struct fixture f;
	struct sim_market_view a;
	struct feedgen *g = subs("btcusdt@depth", NULL);
	static uint64_t us[4096];
	unsigned n, down = 0;
	char path[128], line[256];
	FILE *t;
	unsigned drops = 0;

	/* reorder: some u comes after a larger one */
	memset(&f, 0, sizeof(f));
	REQUIRE(g);
	f.loop = ev_loop_new(EVFLAG_AUTO);
	f.cfg.on = true;
	f.cfg.symbols = "btcusdt@depth";
	f.cfg.buffer = 4096;
	f.cfg.reorder_diff = 0.2;
	feedgen_config_default(&f.cfg.gen);
	{
		struct fx_error err;

		REQUIRE(!sim_market__new(&f.m, f.loop, &f.cfg, &err));
	}
	sim_market_view__init(&a, f.m, 1, 0);
	sim_market_view__sync(&a, g);
	publish_until(&f, 1000);
	n = depth_us(&a, us, 4096);
	for (unsigned i = 1; i < n; i++)
		down += us[i] < us[i - 1];
	CHECK(n > 500 && down > 20 && down < n / 2);
	sim_market_view__fini(&a, SIM_MARKET_END_CLOSE);
	fx_close(&f);

	/* drop: ids go on, the message is not in any view, the truth says so */
	snprintf(path, sizeof(path), "%s/truth-drop", tmpdir);
	memset(&f, 0, sizeof(f));
	f.loop = ev_loop_new(EVFLAG_AUTO);
	f.cfg.on = true;
	f.cfg.symbols = "btcusdt@depth";
	f.cfg.buffer = 4096;
	f.cfg.drop_diff = 0.1;
	f.cfg.truth_path = path;
	feedgen_config_default(&f.cfg.gen);
	{
		struct fx_error err;

		REQUIRE(!sim_market__new(&f.m, f.loop, &f.cfg, &err));
	}
	sim_market_view__init(&a, f.m, 1, 0);
	sim_market_view__sync(&a, g);
	publish_until(&f, 1000);
	n = depth_us(&a, us, 4096);
	EXPECT_EQ(n, sim_market_published(f.m)); /* published ones only */
	sim_market_view__fini(&a, SIM_MARKET_END_CLOSE);
	fx_close(&f);
	t = fopen(path, "r");
	REQUIRE(t);
	while (fgets(line, sizeof(line), t))
		drops += line[0] == 'P' && strstr(line, "\tdrop\n") != NULL;
	fclose(t);
	CHECK(drops > 30 && drops < 300);
	feedgen__free(g);
}

static void test_book_checkpoint(void)
{
	struct fixture f;
	struct sim_market_view a;
	struct feedgen *g = subs("btcusdt@depth", NULL);
	struct feedgen_book *b = malloc(sizeof(*b));
	struct sim_market_msg msg;
	char path[160], line[65536];
	uint64_t last_u = 0;
	FILE *t;

	REQUIRE(g && b && !fx_open(&f, "btcusdt@depth,btcusdt@trade", NULL, 4096));
	f.cfg.book_dir = tmpdir;
	sim_market__free(f.m);
	{
		struct fx_error err;

		REQUIRE(!sim_market__new(&f.m, f.loop, &f.cfg, &err));
	}
	sim_market_view__init(&a, f.m, 1, 0);
	sim_market_view__sync(&a, g);
	publish_until(&f, 100);
	sim_market__checkpoint(f.m);
	publish_until(&f, 300);
	/* the checkpoint holds the book right after one depth message */
	snprintf(path, sizeof(path), "%s/book-0.jsonl", tmpdir);
	t = fopen(path, "r");
	REQUIRE(t);
	REQUIRE(fgets(line, sizeof(line), t));
	fclose(t);
	CHECK(strstr(line, "\"symbol\":\"BTCUSDT\",\"stream\":\"btcusdt@depth\",\"lastUpdateId\":"));
	while (sim_market_view__peek(&a, 1e18, &msg) == 1) {
		const char *p = strstr(msg.text, "\"u\":");
		char want[64];

		snprintf(want, sizeof(want), "\"lastUpdateId\":%llu,", strtoull(p + 4, NULL, 10));
		if (strstr(line, want))
			last_u = strtoull(p + 4, NULL, 10);
		sim_market_view__take(&a, &msg);
	}
	CHECK(last_u > 0); /* its id is one a client applies */
	/* the live book: best bid below best ask, ids move on */
	REQUIRE(!sim_market_book(f.m, "btcusdt", 7, b));
	CHECK(b->nbids > 10 && b->nasks > 10 && b->bids[0].price_e8 < b->asks[0].price_e8);
	CHECK(b->last_update_id > last_u);
	CHECK(sim_market_book(f.m, "nope", 4, b) == -ENOENT);
	sim_market_view__fini(&a, SIM_MARKET_END_CLOSE);
	feedgen__free(g);
	free(b);
	fx_close(&f);
}

/* A/B across two instances: one seed, one universe, --epoch-ms: the same
 * messages, byte for byte, in the same order. */
static void test_two_instances_one_market(void)
{
	struct fixture f1, f2;
	struct sim_market_view a, b;
	struct feedgen *g = subs("btcusdt@trade", "ethusdt@depth");
	static uint64_t sa[4096], sb[4096];
	static char ta[1 << 20], tb[1 << 20];
	unsigned na, nb, n;
	struct fx_error err;

	REQUIRE(g && !fx_open(&f1, "btcusdt,ethusdt", NULL, 4096));
	sim_market__free(f1.m);
	f1.cfg.epoch = true;
	f1.cfg.epoch_ms = 1700000000000;
	f1.cfg.gen.seed = 7;
	REQUIRE(!sim_market__new(&f1.m, f1.loop, &f1.cfg, &err));
	f2 = f1;
	f2.loop = ev_loop_new(EVFLAG_AUTO);
	REQUIRE(!sim_market__new(&f2.m, f2.loop, &f2.cfg, &err));
	sim_market_view__init(&a, f1.m, 1, 0);
	sim_market_view__init(&b, f2.m, 1, 0);
	sim_market_view__sync(&a, g);
	sim_market_view__sync(&b, g);
	publish_until(&f1, 1000);
	publish_until(&f2, 700); /* the other one is behind: a prefix */
	na = drain(&a, sa, 4096, ta, sizeof(ta));
	nb = drain(&b, sb, 4096, tb, sizeof(tb));
	n = na < nb ? na : nb;
	CHECK(n > 100);
	CHECK(!memcmp(sa, sb, n * sizeof(sa[0])));
	CHECK(!strncmp(ta, tb, strlen(na < nb ? ta : tb)));
	CHECK(strstr(ta, "\"E\":1700000000000,"));
	sim_market_view__fini(&a, SIM_MARKET_END_CLOSE);
	sim_market_view__fini(&b, SIM_MARKET_END_CLOSE);
	feedgen__free(g);
	fx_close(&f1);
	fx_close(&f2);
}

/* --delay-ms: a message is due `delay` after its publication. */
static void test_view_delay(void)
{
	struct fixture f;
	struct sim_market_view a;
	struct feedgen *g = subs("btcusdt@trade", NULL);
	struct sim_market_msg msg;
	double now;

	REQUIRE(g && !fx_open(&f, "btcusdt", NULL, 4096));
	sim_market_view__init(&a, f.m, 1, 5.0);
	sim_market_view__sync(&a, g);
	publish_until(&f, 10);
	now = ev_now(f.loop);
	CHECK(sim_market_view__peek(&a, now, &msg) == 0);
	CHECK(sim_market_view__peek(&a, now + 4.0, &msg) == 0);
	CHECK(sim_market_view__peek(&a, now + 6.0, &msg) == 1 && msg.seq < 10);
	sim_market_view__fini(&a, SIM_MARKET_END_CLOSE);
	feedgen__free(g);
	fx_close(&f);
}

static void test_render(void)
{
	struct sim_market_msg m = { .seq = 3, .text = "{\"e\":\"trade\",\"t\":1}", .stream = "x@trade" };
	struct sim_market_msg r = { .seq = 4, .text = "abc", .len = 3, .stream = "raw", .raw = true };
	char out[256];
	size_t n;

	m.len = strlen(m.text);
	n = sim_market_render(&m, false, -1, out);
	out[n] = 0;
	CHECK(!strcmp(out, "{\"e\":\"trade\",\"t\":1}"));
	n = sim_market_render(&m, true, 42, out);
	out[n] = 0;
	CHECK(!strcmp(out, "{\"stream\":\"x@trade\",\"data\":{\"e\":\"trade\",\"t\":1,\"ts_ns\":42}}"));
	n = sim_market_render(&r, true, 42, out);
	out[n] = 0;
	CHECK(!strcmp(out, "{\"stream\":\"raw\",\"data\":\"abc\"}"));
}

static void test_rest(void)
{
	struct fixture f;
	struct sim_rest *r;
	struct sim_rest_config rc = { 0 };
	struct sockaddr_storage peer = { .ss_family = AF_INET };
	struct sim_rest_answer a;
	static char body[SIM_REST_BODY_MAX], out[SIM_REST_REPLY_MAX];
	size_t n;

	REQUIRE(!fx_open(&f, "btcusdt,ethusdt", NULL, 4096));
	if (time(NULL) % 60 >= 58) /* weight is per UTC minute: stay inside one */
		sleep(3);
	rc.weight_limit = 60;
	REQUIRE(!sim_rest__new(&r, &rc, f.m, 1));
	CHECK(sim_rest_path("/api/v3/depth?symbol=X", 22));
	CHECK(sim_rest_path("/fapi/v1/depth", 14));
	CHECK(!sim_rest_path("/api/v3/depthx", 14));
	CHECK(!sim_rest_path("/ws/btcusdt@depth", 17));
	CHECK(!sim_rest_path("/stream?streams=a", 17));

	sim_rest__answer(r, "/api/v3/depth?symbol=BTCUSDT&limit=5", 36, true, &peer, body,
			 sizeof(body), &a);
	body[a.body_len] = 0;
	EXPECT_EQ(a.status, 200);
	EXPECT_EQ(a.used_weight, 5);
	CHECK(!strncmp(body, "{\"lastUpdateId\":", 16) && strstr(body, "\"bids\":[[\"") &&
	      strstr(body, "],\"asks\":[[\"") && !strstr(body, "\"E\":"));
	{
		unsigned commas = 0; /* 5 levels a side: 4 separators each */

		for (const char *p = body; *p; p++)
			commas += p[0] == ']' && p[1] == ',' && p[2] == '[';
		EXPECT_EQ(commas, 8);
	}
	sim_rest__answer(r, "/fapi/v1/depth?symbol=ethusdt", 29, true, &peer, body, sizeof(body),
			 &a);
	body[a.body_len] = 0;
	EXPECT_EQ(a.status, 200);
	EXPECT_EQ(a.used_weight, 15); /* 5 + 10 (futures, default limit 500) */
	CHECK(strstr(body, ",\"E\":") && strstr(body, ",\"T\":"));
	sim_rest__answer(r, "/api/v3/depth?symbol=NOPE", 25, true, &peer, body, sizeof(body), &a);
	body[a.body_len] = 0;
	EXPECT_EQ(a.status, 400);
	CHECK(strstr(body, "-1121"));
	sim_rest__answer(r, "/api/v3/depth", 13, true, &peer, body, sizeof(body), &a);
	EXPECT_EQ(a.status, 400);
	sim_rest__answer(r, "/api/v3/depth?symbol=BTCUSDT&limit=0", 36, true, &peer, body,
			 sizeof(body), &a);
	EXPECT_EQ(a.status, 400);
	/* 60 per minute: 25 so far (bad requests cost too), + 25 = 50, then 25 more is refused */
	sim_rest__answer(r, "/api/v3/depth?symbol=BTCUSDT&limit=500", 38, true, &peer, body,
			 sizeof(body), &a);
	EXPECT_EQ(a.status, 200);
	sim_rest__answer(r, "/api/v3/depth?symbol=BTCUSDT&limit=500", 38, true, &peer, body,
			 sizeof(body), &a);
	EXPECT_EQ(a.status, 429);
	CHECK(a.retry_after >= 1 && a.retry_after <= 60);
	n = sim_rest__http1(r, "/api/v3/depth?symbol=BTCUSDT&limit=500", 38, true, &peer, true, out,
			    sizeof(out), &a);
	out[n] = 0;
	CHECK(!strncmp(out, "HTTP/1.1 429 Too Many Requests\r\n", 32));
	CHECK(strstr(out, "\r\nRetry-After: ") && strstr(out, "\r\nX-MBX-USED-WEIGHT-1M: 50\r\n"));
	/* another address has its own budget */
	((struct sockaddr_in *)&peer)->sin_addr.s_addr = htonl(0xc6120002);
	n = sim_rest__http1(r, "/api/v3/depth?symbol=BTCUSDT", 28, true, &peer, false, out,
			    sizeof(out), &a);
	out[n] = 0;
	CHECK(!strncmp(out, "HTTP/1.1 200 OK\r\n", 17) && strstr(out, "Connection: close\r\n") &&
	      strstr(out, "X-MBX-USED-WEIGHT-1M: 5\r\n"));
	sim_rest__free(r);

	/* stale: the previous answer's id while the book has moved on */
	rc = (struct sim_rest_config){ .stale_p = 1, .no_weight_limit = true };
	REQUIRE(!sim_rest__new(&r, &rc, f.m, 1));
	{
		struct sim_market_view v;
		struct feedgen *g = subs("btcusdt@trade", NULL);
		char first[64];
		static uint64_t s[4096];

		REQUIRE(g);
		sim_rest__answer(r, "/api/v3/depth?symbol=BTCUSDT", 28, true, &peer, body, sizeof(body),
				 &a);
		memcpy(first, body, 40);
		first[40] = 0;
		sim_market_view__init(&v, f.m, 1, 0);
		sim_market_view__sync(&v, g);
		publish_until(&f, 200);
		drain(&v, s, 4096, NULL, 0);
		sim_rest__answer(r, "/api/v3/depth?symbol=BTCUSDT", 28, true, &peer, body, sizeof(body),
				 &a);
		CHECK(!strncmp(body, first, 30)); /* the same lastUpdateId */
		sim_market_view__fini(&v, SIM_MARKET_END_CLOSE);
		feedgen__free(g);
	}
	sim_rest__free(r);
	fx_close(&f);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_sim_market.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	RUN(test_two_views_identical);
	RUN(test_late_view_mid_stream);
	RUN(test_truth_complete);
	RUN(test_slow_view);
	RUN(test_diff_faults);
	RUN(test_book_checkpoint);
	RUN(test_two_instances_one_market);
	RUN(test_view_delay);
	RUN(test_render);
	RUN(test_rest);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			return 1;
	}
	return check_exit();
}

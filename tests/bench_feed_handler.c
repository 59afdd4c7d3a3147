/* Benchmark feed_handler: ns per message through the handler (parse, book
 * sync, the book and top events built, a counting consumer) against the
 * venue's parse alone over the same messages, side by side in one run:
 * trades, and a chain of depth diffs (1-4 levels near the top) onto a
 * 200-level book with top-10 events. Prints numbers and the ratio;
 * asserts nothing. */
#include "feed/feed_handler.h"
#include "venue/binance_parse.h"
#include "venue/venue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t events;

static int consume(void *user, const struct feed_event *e)
{
	(void)user;
	events += e->seq & 1;
	return 0;
}

struct msgs {
	char *buf;
	size_t *off, *len;
	size_t n;
};

/* The first message of a depth chain is the whole book (--book-from-stream). */
static void make_depth(struct msgs *m, size_t n)
{
	size_t cap = n * 200 + 65536, k = 0;
	uint64_t u = 1000;
	unsigned seed = 7;

	m->buf = malloc(cap);
	m->off = malloc(n * sizeof(size_t));
	m->len = malloc(n * sizeof(size_t));
	m->n = n;
	for (size_t i = 0; i < n; i++) {
		size_t start = k;
		int lv = i ? 1 + (int)(rand_r(&seed) % 4) : 100;

		k += (size_t)sprintf(m->buf + k, "{\"e\":\"depthUpdate\",\"E\":1700000000123,"
				     "\"s\":\"BTCUSDT\",\"U\":%llu,\"u\":%llu,\"b\":[",
				     (unsigned long long)u + 1, (unsigned long long)u + 1);
		u++;
		for (int j = 0; j < lv; j++)
			k += (size_t)sprintf(m->buf + k, "%s[\"%d.5\",\"%u\"]", j ? "," : "",
					     i ? 1000 - (int)(rand_r(&seed) % 20) : 1000 - j,
					     i ? (unsigned)rand_r(&seed) % 3 : 1u + (unsigned)j);
		k += (size_t)sprintf(m->buf + k, "],\"a\":[");
		for (int j = 0; j < lv; j++)
			k += (size_t)sprintf(m->buf + k, "%s[\"%d.5\",\"%u\"]", j ? "," : "",
					     i ? 1001 + (int)(rand_r(&seed) % 20) : 1001 + j,
					     i ? (unsigned)rand_r(&seed) % 3 : 1u + (unsigned)j);
		k += (size_t)sprintf(m->buf + k, "]}");
		m->off[i] = start;
		m->len[i] = k - start;
	}
}

static void make_trades(struct msgs *m, size_t n)
{
	static const char t[] =
		"{\"e\":\"trade\",\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":3123456789,"
		"\"p\":\"43210.12000000\",\"q\":\"0.00150000\",\"T\":1700000000122,\"m\":true,"
		"\"M\":true}";

	m->buf = strdup(t);
	m->off = calloc(n, sizeof(size_t));
	m->len = malloc(n * sizeof(size_t));
	m->n = n;
	for (size_t i = 0; i < n; i++)
		m->len[i] = sizeof(t) - 1;
}

static void bench(const char *name, const struct msgs *m)
{
	double parse = 1e18, handler = 1e18;
	void *p;
	struct feed_msg fm;

	venue_binance.parser_new(&p);
	/* best of 5 rounds each, interleaved: shared machines steal time */
	for (int round = 0; round < 5; round++) {
		const struct feed_handler_conf c = {
		    .venue = &venue_binance, .top = 10, .first_is_snapshot = true,
		    .depth = 1000, .emit = consume,
		};
		struct feed_handler *h;
		uint64_t t0 = now_ns();

		for (size_t i = 0; i < m->n; i++) {
			venue_binance.parse(p, (const uint8_t *)m->buf + m->off[i], m->len[i], &fm);
			__asm__ volatile("" ::: "memory");
		}
		double r = (double)(now_ns() - t0) / (double)m->n;
		if (r < parse)
			parse = r;
		if (feed_handler__new(&h, &c))
			exit(1);
		t0 = now_ns();
		for (size_t i = 0; i < m->n; i++)
			feed_handler__payload(h, (const uint8_t *)m->buf + m->off[i], m->len[i], 1, 0);
		r = (double)(now_ns() - t0) / (double)m->n;
		if (r < handler)
			handler = r;
		feed_handler__free(h);
	}
	venue_binance.parser_free(p);
	printf("%-24s parse %7.1f ns/msg  handler %7.1f ns/msg  ratio %.2f  (events %llu)\n", name,
	       parse, handler, handler / parse, (unsigned long long)(events & 0xff));
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	struct msgs t, d;

	make_trades(&t, n);
	make_depth(&d, n);
	bench("trade", &t);
	bench("depth chain, top 10", &d);
	return 0;
}

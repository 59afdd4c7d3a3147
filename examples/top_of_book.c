/* top_of_book — a live top of book for every symbol feedrx publishes, in a
 * process of its own: it follows feedrx's shared-memory ring and gets each
 * normalized event through a callback.
 *
 *   feedrx --output none --shm feed0 wss://stream.binance.com:9443/ws/...
 *   top_of_book feed0
 *
 * Build against the installed library:
 *   cc -o top_of_book top_of_book.c $(pkg-config --cflags --libs --static feedrx)
 *
 * On a terminal the table is redrawn in place (at most 10 times a second);
 * otherwise (--lines, or a pipe) it prints the table once the producer
 * closes the ring. The book's top levels come from "top" events; symbols
 * that only have a ticker show its best bid and offer ("bbo" events). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <feedrx.h>

#define MAX_SYMBOLS 256
#define SHOW_LEVELS 5

struct symbol_book {
	char name[FEED_SYMBOL_MAX + 1];
	struct feed_level bids[SHOW_LEVELS], asks[SHOW_LEVELS];
	unsigned n_bids, n_asks;
	uint64_t last_id, updates;
};

struct screen {
	struct symbol_book sym[MAX_SYMBOLS];
	unsigned n;
	uint64_t events, statuses;
	char status[160];
	int dirty;
};

static struct symbol_book *book_of(struct screen *s, const struct feed_event *e)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strlen(s->sym[i].name) == e->symbol_len &&
		    !memcmp(s->sym[i].name, e->symbol, e->symbol_len))
			return &s->sym[i];
	if (s->n == MAX_SYMBOLS)
		return NULL;
	struct symbol_book *b = &s->sym[s->n++];

	memcpy(b->name, e->symbol, e->symbol_len);
	b->name[e->symbol_len] = 0;
	return b;
}

/* The callback: the event is valid during the call only, so copy. */
static void on_event(void *user, const struct feed_event *e)
{
	struct screen *s = user;
	struct symbol_book *b;

	s->events++;
	if (e->type == FEED_EV_STATUS) {
		s->statuses++;
		snprintf(s->status, sizeof(s->status), "%s: %s", feed_status_name(e->status.kind),
			 e->status.text ? e->status.text : "");
		return;
	}
	if (e->type != FEED_EV_TOP && e->type != FEED_EV_BBO)
		return;
	b = book_of(s, e);
	if (!b)
		return;
	if (e->type == FEED_EV_TOP) {
		b->n_bids = e->top.n_bids < SHOW_LEVELS ? e->top.n_bids : SHOW_LEVELS;
		b->n_asks = e->top.n_asks < SHOW_LEVELS ? e->top.n_asks : SHOW_LEVELS;
		memcpy(b->bids, e->top.bids, b->n_bids * sizeof(*b->bids));
		memcpy(b->asks, e->top.asks, b->n_asks * sizeof(*b->asks));
		b->last_id = e->top.last_id;
	} else {
		b->bids[0] = (struct feed_level){e->bbo.bid_px, e->bbo.bid_qty};
		b->asks[0] = (struct feed_level){e->bbo.ask_px, e->bbo.ask_qty};
		b->n_bids = b->n_asks = 1;
		b->last_id = e->bbo.id;
	}
	b->updates++;
	s->dirty = 1;
}

static void print_table(const struct screen *s, FILE *f)
{
	char px[32], q[32];

	for (unsigned i = 0; i < s->n; i++) {
		const struct symbol_book *b = &s->sym[i];

		fprintf(f, "%-12s last_id %-10llu updates %llu\n", b->name,
			(unsigned long long)b->last_id, (unsigned long long)b->updates);
		for (unsigned k = 0; k < SHOW_LEVELS && (k < b->n_bids || k < b->n_asks); k++) {
			if (k < b->n_bids) {
				feed_fixed_format(q, b->bids[k].qty);
				feed_fixed_format(px, b->bids[k].price);
				fprintf(f, "  %18s %-16s", q, px);
			} else {
				fprintf(f, "  %35s", "");
			}
			if (k < b->n_asks) {
				feed_fixed_format(px, b->asks[k].price);
				feed_fixed_format(q, b->asks[k].qty);
				fprintf(f, " | %-16s %s", px, q);
			}
			fputc('\n', f);
		}
	}
}

int main(int argc, char **argv)
{
	static struct screen s;
	struct shm_sub *sub = NULL;
	struct fx_error err = {0};
	const char *name = NULL;
	int lines = !isatty(STDOUT_FILENO), from_start = 0;
	double wait = 0;
	struct timespec last = {0};

	if (feedrx_api_version() != FEEDRX_API_VERSION) {
		fprintf(stderr, "top_of_book: built for events API %d, the library has %d\n",
			FEEDRX_API_VERSION, feedrx_api_version());
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--lines"))
			lines = 1;
		else if (!strcmp(argv[i], "--from-start"))
			from_start = 1;
		else if (!strcmp(argv[i], "--wait") && i + 1 < argc)
			wait = atof(argv[++i]);
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else {
			fprintf(stderr, "usage: top_of_book [--lines] [--from-start] [--wait S] NAME\n");
			return 2;
		}
	}
	if (!name) {
		fprintf(stderr, "usage: top_of_book [--lines] [--from-start] [--wait S] NAME\n");
		return 2;
	}
	/* feedrx may not have made the ring yet */
	for (double w = 0; shm_sub__open(&sub, name, from_start ? SHM_SUB_FROM_START : 0, &err);
	     w += 0.05) {
		if (w >= wait) {
			fprintf(stderr, "top_of_book: %s\n", err.msg);
			return 1;
		}
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	for (;;) {
		int n = shm_sub__poll(sub, on_event, &s, 4096);
		struct timespec now;

		if (n == -EPIPE)
			break;
		if (n == 0)
			nanosleep(&(struct timespec){0, 100000}, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!lines && s.dirty &&
		    (now.tv_sec - last.tv_sec) * 1000000000L + (now.tv_nsec - last.tv_nsec) > 100000000L) {
			printf("\033[H\033[2J%llu events, %llu lost; %s\n\n",
			       (unsigned long long)s.events, (unsigned long long)shm_sub__lost(sub),
			       s.status);
			print_table(&s, stdout);
			fflush(stdout);
			s.dirty = 0;
			last = now;
		}
	}
	printf("%llu events, %llu lost, %llu status\n", (unsigned long long)s.events,
	       (unsigned long long)shm_sub__lost(sub), (unsigned long long)s.statuses);
	print_table(&s, stdout);
	shm_sub__close(sub);
	return 0;
}

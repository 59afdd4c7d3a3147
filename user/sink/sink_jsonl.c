/* sink_jsonl — one normalized event (feed/feed_event.h) per line, as a JSON
 * object, for programs. Prices and quantities are decimal strings printed
 * exactly from the fixed-point value (no binary floating point anywhere):
 * "123.45", "0.001", "7" (trailing fractional zeros dropped). Ids and times
 * are JSON integers (times: CLOCK_REALTIME ns; 0 = unknown). Fields:
 *
 *   every event  seq, type (trade|bbo|book|top|status), venue, symbol
 *                (absent when the event concerns no symbol), exch_ns,
 *                recv_ns, and path ("fast" or "shadow") in XDP mode
 *   trade        price, qty, id, side ("buy"|"sell": the taker's side)
 *   bbo          bid_px, bid_qty, ask_px, ask_qty, id
 *   book         first_id, last_id, snapshot (true: the book was replaced
 *                and bids/asks are all of it), bids, asks: [["px","qty"],..]
 *                (qty "0" = the level was removed)
 *   top          last_id, depth_known (levels per side known exactly), bids,
 *                asks (best first)
 *   status       status (connected|disconnected|gap|book_invalid|resynced|
 *                rotated|stale), conn, first_id, last_id, text
 * The line is feed/feed_event_json's, the one the shm reader and NATS use. */
#include "sink.h"

#include <errno.h>
#include <stdlib.h>

#include "feed/feed_event.h"
#include "feed/feed_event_json.h"

#define SINK_JSONL_BUF (1u << 20)
/* The longest line: a book snapshot of 5000 levels a side at < 60 bytes a
 * level, and the rest. */
#define SINK_JSONL_LINE (1u << 20)

struct sink_jsonl {
	struct sink_buf out;
	char *line;
};

static int jsonl_open(struct feed_sink *s, const struct feed_sink_conf *c)
{
	struct sink_jsonl *j = calloc(1, sizeof(*j));
	int r;

	if (!j)
		return -ENOMEM;
	j->line = malloc(SINK_JSONL_LINE);
	if (!j->line) {
		free(j);
		return -ENOMEM;
	}
	r = sink_buf__init(&j->out, c->fd, SINK_JSONL_BUF);
	if (r) {
		free(j->line);
		free(j);
		return r;
	}
	s->priv = j;
	return 0;
}

static int jsonl_event(struct feed_sink *s, const struct feed_event *e)
{
	struct sink_jsonl *j = s->priv;
	long n = feed_event_json(j->line, SINK_JSONL_LINE - 1, e);

	if (n < 0)
		return (int)n;
	j->line[n] = '\n';
	return sink_buf__put(&j->out, j->line, (size_t)n + 1);
}

static int jsonl_flush(struct feed_sink *s)
{
	struct sink_jsonl *j = s->priv;

	return sink_buf__flush(&j->out);
}

static void jsonl_close(struct feed_sink *s)
{
	struct sink_jsonl *j = s->priv;

	if (!j)
		return;
	sink_buf__fini(&j->out);
	free(j->line);
	free(j);
}

const struct feed_sink_ops feed_sink_jsonl = {
    .name = "jsonl",
    .help = "one normalized event per line (trades, bbo, books, status) as JSON",
    .open = jsonl_open,
    .event = jsonl_event,
    .flush = jsonl_flush,
    .close = jsonl_close,
};

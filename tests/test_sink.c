/* Tests for the sinks: raw bytes + newline exactly, none writes nothing,
 * pretty decodes through the venue, write errors are reported and sticky,
 * the table finds every built-in sink by name, and large payloads bypass
 * the buffer intact. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "proto/ws_proto.h"
#include "link/feed_link.h"
#include "sink/sink.h"
#include "venue/venue.h"

static struct feed_sink_conf conf_of(FILE *f)
{
	return (struct feed_sink_conf){.fd = fileno(f), .venue = &venue_binance};
}

static int put(struct feed_sink *s, const char *p, size_t n, struct lat_stamps *st)
{
	struct feed_link_msg m = {
	    .p = (const uint8_t *)p, .n = n, .opcode = WS_OP_TEXT, .st = st};

	return feed_sink__message(s, &m);
}

static size_t slurp(FILE *f, char *buf, size_t cap)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = 0;
	return n;
}

static void raw_exact_bytes(void)
{
	FILE *f = tmpfile();
	struct feed_sink_conf c;
	struct feed_sink *s;
	char buf[64];

	REQUIRE(f != NULL);
	c = conf_of(f);
	REQUIRE(feed_sink__open(&s, &feed_sink_raw, &c) == 0);
	CHECK(put(s, "{\"a\":1}", 7, NULL) == 0);
	CHECK(put(s, "", 0, NULL) == 0);
	CHECK(put(s, "b\0c", 3, NULL) == 0);
	CHECK(s->dirty);
	CHECK(feed_sink__flush(s) == 0 && !s->dirty);
	CHECK(slurp(f, buf, sizeof(buf)) == 13 && memcmp(buf, "{\"a\":1}\n\nb\0c\n", 13) == 0);
	CHECK(s->messages == 3 && s->bytes == 10);
	feed_sink__close(s);
	fclose(f);
}

/* A payload larger than the 1 MiB buffer goes straight through, in order. */
static void raw_large_in_order(void)
{
	FILE *f = tmpfile();
	struct feed_sink_conf c;
	struct feed_sink *s;
	size_t big = (3u << 20) / 2, n;
	char *p = malloc(big), *back = malloc(big + 16);

	REQUIRE(f != NULL && p && back);
	memset(p, 'x', big);
	c = conf_of(f);
	REQUIRE(feed_sink__open(&s, &feed_sink_raw, &c) == 0);
	CHECK(put(s, "first", 5, NULL) == 0);
	CHECK(put(s, p, big, NULL) == 0);
	CHECK(put(s, "last", 4, NULL) == 0);
	CHECK(feed_sink__flush(s) == 0);
	n = slurp(f, back, big + 16);
	CHECK(n == 6 + big + 1 + 5);
	CHECK(memcmp(back, "first\n", 6) == 0 && back[6 + big] == '\n');
	CHECK(memcmp(back + 6 + big + 1, "last\n", 5) == 0);
	feed_sink__close(s);
	fclose(f);
	free(p);
	free(back);
}

static void none_writes_nothing(void)
{
	FILE *f = tmpfile();
	struct feed_sink_conf c;
	struct feed_sink *s;

	REQUIRE(f != NULL);
	c = conf_of(f);
	REQUIRE(feed_sink__open(&s, &feed_sink_none, &c) == 0);
	CHECK(put(s, "xyz", 3, NULL) == 0);
	CHECK(feed_sink__flush(s) == 0);
	CHECK(lseek(fileno(f), 0, SEEK_END) == 0);
	CHECK(s->messages == 1 && s->bytes == 3);
	feed_sink__close(s);
	fclose(f);
}

static void write_error_is_sticky(void)
{
	int fd = open("/dev/full", O_WRONLY);
	struct feed_sink_conf c = {.fd = fd, .venue = &venue_binance};
	struct feed_sink *s;
	int r = 0;

	if (fd < 0) {
		SKIP("no /dev/full");
		return;
	}
	REQUIRE(feed_sink__open(&s, &feed_sink_raw, &c) == 0);
	/* small writes stay in the buffer; the flush meets ENOSPC */
	for (int i = 0; i < 10 && r == 0; i++)
		r = put(s, "x", 1, NULL);
	CHECK(r == 0);
	CHECK(feed_sink__flush(s) == -ENOSPC);
	CHECK(put(s, "x", 1, NULL) == -ENOSPC);
	feed_sink__close(s);
	/* pretty too */
	REQUIRE(feed_sink__open(&s, &feed_sink_pretty, &c) == 0);
	CHECK(put(s, "x", 1, NULL) == 0);
	CHECK(feed_sink__flush(s) == -ENOSPC);
	CHECK(put(s, "x", 1, NULL) == -ENOSPC);
	feed_sink__close(s);
	close(fd);
}

static void kinds(void)
{
	CHECK(feed_sink_find(feed_sinks, "raw") == &feed_sink_raw);
	CHECK(feed_sink_find(feed_sinks, "none") == &feed_sink_none);
	CHECK(feed_sink_find(feed_sinks, "pretty") == &feed_sink_pretty);
	CHECK(feed_sink_find(feed_sinks, "json") == NULL);
	CHECK(feed_sinks[0] == &feed_sink_raw); /* the default */
}

static void pretty_decodes(void)
{
	FILE *f = tmpfile();
	struct feed_sink_conf c;
	struct feed_sink *s;
	char buf[2048];
	const char *trade = "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":7,\"p\":\"37000.10\","
			    "\"q\":\"0.012\",\"T\":1,\"m\":true,\"M\":true,\"ts_ns\":5}";
	const char *quote = "{\"u\":9,\"s\":\"ETHUSDT\",\"b\":\"2000.5\",\"B\":\"3\","
			    "\"a\":\"2000.75\",\"A\":\"1.25\"}";
	/* a diff that removes the best ask and sets a bid at the same price:
	 * not a locked book, and not a "top" of anything */
	const char *depth = "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":5,\"u\":7,"
			    "\"b\":[[\"37000.66\",\"0.5\"],[\"37000.10\",\"0\"]],"
			    "\"a\":[[\"37000.66\",\"0.00000000\"]]}";
	struct lat_stamps st = {.send_ns = 1000};

	st.at[LAT_PT_HANDLER] = 1000 + 84200;
	REQUIRE(f != NULL);
	c = conf_of(f);
	REQUIRE(feed_sink__open(&s, &feed_sink_pretty, &c) == 0);
	CHECK(put(s, trade, strlen(trade), &st) == 0);
	CHECK(put(s, quote, strlen(quote), NULL) == 0);
	CHECK(put(s, "not json", 8, NULL) == 0);
	CHECK(put(s, depth, strlen(depth), NULL) == 0);
	CHECK(feed_sink__flush(s) == 0);
	slurp(f, buf, sizeof(buf));
	CHECKF(strstr(buf, "BTCUSDT   trade    sell 0.012 @ 37000.10   latency 84.2 us\n") != NULL,
	       "got: %.300s", buf);
	CHECKF(strstr(buf, "ETHUSDT   quote    bid 3.00 @ 2000.50  ask 1.25 @ 2000.75\n") != NULL,
	       "got: %.300s", buf);
	CHECK(strstr(buf, "message   not json\n") != NULL);
	CHECKF(strstr(buf, "BTCUSDT   depth    diff 5..7  bids 1 set 1 removed  asks 0 set 1 removed\n") !=
		   NULL, "got: %.400s", buf);
	CHECK(strstr(buf, "top ") == NULL);
	CHECK(s->messages == 4);
	/* no send time: exchange time to arrival and handler, arrival to handler */
	{
		struct lat_stamps ex = {0};
		const char *t2 = "{\"e\":\"trade\",\"E\":1,\"s\":\"ETHUSDT\",\"t\":7,\"p\":\"1.0\","
				 "\"q\":\"2.0\",\"T\":1,\"m\":false,\"M\":true}";

		ex.at[LAT_PT_XDP] = 1000000;
		ex.at[LAT_PT_HANDLER] = 1040000;
		ex.event_ns = 1700000000000000000ull;
		ex.real_ns = ex.event_ns + 900000;
		CHECK(put(s, t2, strlen(t2), &ex) == 0);
		ex.at[LAT_PT_XDP] = 0; /* the kernel path: no arrival stamp */
		CHECK(put(s, t2, strlen(t2), &ex) == 0);
		CHECK(feed_sink__flush(s) == 0);
		slurp(f, buf, sizeof(buf));
		CHECKF(strstr(buf, "ETHUSDT   trade    buy  2.00 @ 1.00   exch->rx 860.0 exch->handler "
				   "900.0 us (two clocks)  rx->handler 40.0 us\n") != NULL,
		       "got: %.400s", buf);
		CHECKF(strstr(buf, "@ 1.00   exch->handler 900.0 us (two clocks)\n") != NULL,
		       "got: %.400s", buf);
	}
	feed_sink__close(s);
	fclose(f);
}

int main(void)
{
	RUN(pretty_decodes);
	RUN(raw_exact_bytes);
	RUN(raw_large_in_order);
	RUN(none_writes_nothing);
	RUN(write_error_is_sticky);
	RUN(kinds);
	return check_exit();
}

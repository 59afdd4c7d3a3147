/* feedrx — market-data feed receiver: the command line (one option table
 * that both parsing and --help come from), the loop, signals and the exit
 * report. One feed_link is the connection and its delivery policy; it hands
 * every message to the chosen sink (docs/ARCHITECTURE.md). */
#include <errno.h>
#include <linux/capability.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>
#include <openssl/sha.h>
#include <sched.h>

#include "core/fx_err.h"
#include "core/fx_log.h"
#include "core/privs.h"
#include "core/util.h"
#include "feed/book_rest.h"
#include "feed/feed_handler.h"
#include "fast/fastpath.h"
#include "fast/iface.h"
#include "fast/xdp_steer.h" /* --nic-stamps */
#include "fast/xsk_rx.h"
#include "kernel/api_key.h"
#include "kernel/kconn.h"
#include "kernel/net_connect.h"
#include "kernel/url.h"
#include "feed/feed_event.h"
#include "link/feed_link.h"
#include "link/feed_set.h"
#include "link/link_kconn.h"
#include "link/link_one_fast.h"
#include "link/link_transport.h"
#include "sink/sink.h"
#include "sink/sink_set.h"
#include "shm/shm_ring.h"
#include "stats/lat_stats.h"
#include "stats/metrics.h"
#include "stats/status_line.h"
#include "venue/venue.h"
#include "version.h"

#define FEEDRX_EXIT_USAGE 2
#define FEEDRX_MAX_SUBSCRIBE 16384 /* streams in all, split across connections */
#define FEEDRX_MAX_URLS 64
#define FEEDRX_MAX_GAPS 3

enum feedrx_mode { MODE_KERNEL, MODE_AUTO, MODE_XDP };

/* Everything the command line sets. */
struct feedrx_conf {
	int mode; /* enum feedrx_mode */
	const char *output, *venue, *proxy, *url;
	unsigned long long count, desync_after;
	const char *subs[FEEDRX_MAX_SUBSCRIBE];
	size_t n_subs;
	const char *urls[FEEDRX_MAX_URLS]; /* the positionals; url is the first */
	size_t n_urls;
	char *streams_buf; /* --streams-file's text, subs point into it */
	/* the connection set (link/feed_set.h) */
	unsigned per_conn, redundant;
	const char *leg_b; /* --leg-b URL */
	const char *bind_a, *bind_b; /* --bind, --bind-b */
	struct net_bind bind[2];     /* ... parsed: leg A (and B without --bind-b), leg B */
	bool no_reconnect;
	double reconnect_min, reconnect_max, rotate_after, stale, rotate_grace, ab_wait;
	int rotate_at_min; /* --rotate-at, UTC minute of the day; -1 none */
	unsigned conn_limit;
	double conn_window;
	struct kconn_opts ko;
	struct fastpath_opts fo;
	int xdp_mode, poll, shadow; /* fo's enums, parsed as int */
	int transport;              /* --transport (enum fast_rx_transport) */
	size_t tap_ring;            /* --tap-ring */
	char ifname[IF_NAMESIZE];
	bool stats_live, help, version;
	bool nic_stamps; /* --nic-stamps: arrival from the NIC's RX timestamp */
	int verbose; /* -v: info; -v -v: debug, libbpf's and libxdp's lines too */
	const char *stats_json;
	const char *metrics; /* --metrics ADDR:PORT */
	/* books and events (a sink that takes events) */
	const char *books[FEEDRX_MAX_SUBSCRIBE]; /* --book: only these symbols */
	size_t n_books;
	unsigned book_depth, top;
	bool book_from_stream;
	const char *rest_url; /* --rest-url (book_rest.h) */
	bool rest_http1;      /* --rest-http1 */
	const char *api_key_file; /* --api-key-file */
	char *api_key_arg;        /* --api-key (wiped once read) */
	/* event consumers besides --output (sink/sink_set.h) */
	const char *shm[SINK_SET_MAX / 2], *nats[SINK_SET_MAX / 2];
	size_t n_shm, n_nats, shm_size, nats_buffer;
	bool shm_keep;
	int nats_format; /* enum feed_sink_format */
};

/* ---- the option table ------------------------------------------------------ */

enum opt_type {
	OT_FLAG,    /* bool = true */
	OT_STRING,  /* const char * = the argument */
	OT_CHOICE,  /* int = the value of the named choice */
	OT_SECONDS, /* double, 0 only when zero_ok */
	OT_UINT,    /* unsigned (int or unsigned long long by size), 1..max, or 0 when zero_ok */
	OT_SIZE,    /* size_t bytes with K/M/G suffixes, 1 to 4G */
	OT_FUNC,    /* fn(conf, arg) */
	OT_LEVEL,   /* int, one more each time it is given */
};

struct opt_choice {
	const char *name;
	int value;
};

struct feedrx_opt {
	const char *name;
	char short_name;
	enum opt_type type;
	size_t off, size;
	const struct opt_choice *choices; /* OT_CHOICE, {NULL} ended */
	unsigned long long max;           /* OT_UINT */
	bool zero_ok;
	void (*fn)(struct feedrx_conf *c, const char *opt, const char *arg); /* OT_FUNC */
	const char *metavar;              /* NULL: from the choices, or no argument */
	const char *help;                 /* '\n' starts an indented line */
	const char *group;                /* a heading printed before this option */
};

#define FIELD(f) .off = offsetof(struct feedrx_conf, f), .size = sizeof(((struct feedrx_conf *)0)->f)

__attribute__((format(printf, 1, 2), noreturn)) static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("feedrx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see feedrx --help)\n", stderr);
	exit(FEEDRX_EXIT_USAGE);
}

/* Stream names are checked once the venue is known (after all options).
 * A comma list is several streams, as if each had its own --subscribe. */
static void opt_subscribe(struct feedrx_conf *c, const char *opt, const char *arg)
{
	char *s = (char *)arg; /* argv's own storage: split in place */

	for (;;) {
		char *comma = strchr(s, ',');

		if (comma)
			*comma = 0;
		if (!*s)
			usage_error("empty stream name in %s '%s'", opt, arg);
		if (c->n_subs == FEEDRX_MAX_SUBSCRIBE)
			usage_error("too many --subscribe streams (at most %d)",
				    FEEDRX_MAX_SUBSCRIBE);
		c->subs[c->n_subs++] = s;
		if (!comma)
			break;
		s = comma + 1;
	}
}

/* --book btcusdt,ETHUSDT: symbols as the venue's messages name them
 * (upper case), each once. */
static void opt_book(struct feedrx_conf *c, const char *opt, const char *arg)
{
	char *s = (char *)arg; /* argv's own storage: split and upper-cased in place */

	for (;;) {
		char *comma = strchr(s, ',');

		if (comma)
			*comma = 0;
		if (!*s || strlen(s) > FEED_SYMBOL_MAX)
			usage_error("bad symbol in %s '%s'", opt, arg);
		for (char *q = s; *q; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 'a' + 'A');
		if (c->n_books == FEEDRX_MAX_SUBSCRIBE)
			usage_error("too many --book symbols (at most %d)", FEEDRX_MAX_SUBSCRIBE);
		c->books[c->n_books++] = s;
		if (!comma)
			break;
		s = comma + 1;
	}
}

/* --streams-file: one stream a line ('#' comments), as if each had its own
 * --subscribe. */
static void opt_streams_file(struct feedrx_conf *c, const char *opt, const char *arg)
{
	struct fx_error err;

	if (c->streams_buf)
		usage_error("%s given twice", opt);
	if (feed_set_read_streams(arg, &c->streams_buf, c->subs, &c->n_subs, FEEDRX_MAX_SUBSCRIBE,
				  &err))
		usage_error("%s: %s", opt, err.msg);
}

/* --rotate-at HH:MM (UTC). */
static void opt_rotate_at(struct feedrx_conf *c, const char *opt, const char *arg)
{
	unsigned h, m;
	char end;

	if (sscanf(arg, "%u:%u%c", &h, &m, &end) != 2 || h > 23 || m > 59)
		usage_error("bad %s '%s' (HH:MM, UTC)", opt, arg);
	c->rotate_at_min = (int)(h * 60 + m);
}

/* --conn-rate N/S: at most N connection attempts in any S seconds. */
static void opt_conn_rate(struct feedrx_conf *c, const char *opt, const char *arg)
{
	unsigned n;
	double w;
	char end;

	if (sscanf(arg, "%u/%lf%c", &n, &w, &end) != 2 || n == 0 || n > 100000 || !(w > 0) ||
	    w > 86400)
		usage_error("bad %s '%s' (N/SECONDS, e.g. 250/300)", opt, arg);
	c->conn_limit = n;
	c->conn_window = w;
}

static void opt_iface(struct feedrx_conf *c, const char *opt, const char *arg)
{
	if (strlen(arg) >= IF_NAMESIZE || !*arg)
		usage_error("bad %s '%s'", opt, arg);
	snprintf(c->ifname, sizeof(c->ifname), "%s", arg);
}

static void opt_output(struct feedrx_conf *c, const char *opt, const char *arg)
{
	(void)opt;
	if (!feed_sink_find(feed_sinks, arg))
		usage_error("unknown --output '%s' (raw, pretty, none or jsonl)", arg);
	c->output = arg;
}

static void opt_api_key(struct feedrx_conf *c, const char *opt, const char *arg)
{
	(void)opt;
	fprintf(stderr, "feedrx: warning: --api-key: other users can see the key (ps, shell "
			"history); prefer --api-key-file FILE or FEEDRX_API_KEY\n");
	c->api_key_arg = (char *)arg; /* argv's own bytes: wiped once read */
}

static void opt_shm(struct feedrx_conf *c, const char *opt, const char *arg)
{
	if (shm_ring_name_check(arg))
		usage_error("bad %s '%s' (a name in /dev/shm: 1-%d of A-Z a-z 0-9 . _ -)", opt, arg,
			    SHM_RING_NAME_MAX);
	if (c->n_shm == ARRAY_SIZE(c->shm))
		usage_error("too many %s (at most %zu)", opt, ARRAY_SIZE(c->shm));
	for (size_t i = 0; i < c->n_shm; i++)
		if (!strcmp(c->shm[i], arg))
			usage_error("%s '%s' given twice", opt, arg);
	c->shm[c->n_shm++] = arg;
}

static void opt_nats(struct feedrx_conf *c, const char *opt, const char *arg)
{
	if (strncmp(arg, "nats://", 7) || !arg[7])
		usage_error("bad %s '%s' (nats://HOST:PORT)", opt, arg);
	if (c->n_nats == ARRAY_SIZE(c->nats))
		usage_error("too many %s (at most %zu)", opt, ARRAY_SIZE(c->nats));
	c->nats[c->n_nats++] = arg;
}

static void opt_venue(struct feedrx_conf *c, const char *opt, const char *arg)
{
	char names[256] = "";

	(void)opt;
	if (venue_find(venues, arg)) {
		c->venue = arg;
		return;
	}
	for (const struct venue *const *v = venues; *v; v++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 v == venues ? "" : ", ", (*v)->name);
	usage_error("unknown --venue '%s' (%s)", arg, names);
}

static void opt_metrics(struct feedrx_conf *c, const char *opt, const char *arg)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (metrics_parse_addr(arg, &ss, &len) ||
	    (ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				     : ((struct sockaddr_in6 *)&ss)->sin6_port) == 0)
		usage_error("bad %s '%s' (IPv4:PORT or [IPv6]:PORT, numeric, port 1-65535)", opt,
			    arg);
	c->metrics = arg;
}

static const struct opt_choice mode_choices[] = {
    {"kernel", MODE_KERNEL}, {"auto", MODE_AUTO}, {"xdp", MODE_XDP}, {NULL, 0}};
static const struct opt_choice tls_choices[] = {{"1.2", 12}, {"1.3", 13}, {NULL, 0}};
static const struct opt_choice xdp_mode_choices[] = {{"native", XDP_STEER_MODE_NATIVE},
						     {"generic", XDP_STEER_MODE_SKB},
						     {"skb", XDP_STEER_MODE_SKB},
						     {"auto", XDP_STEER_MODE_AUTO},
						     {NULL, 0}};
static const struct opt_choice poll_choices[] = {
    {"wakeup", XSK_RX_POLL_WAKEUP}, {"busy", XSK_RX_POLL_BUSY}, {NULL, 0}};
static const struct opt_choice nats_format_choices[] = {
    {"json", FEED_SINK_FMT_JSON}, {"flat", FEED_SINK_FMT_FLAT}, {NULL, 0}};
static const struct opt_choice transport_choices[] = {
    {"redirect", FAST_RX_TRANSPORT_REDIRECT}, {"tap", FAST_RX_TRANSPORT_TAP}, {NULL, 0}};
static const struct opt_choice shadow_choices[] = {{"decode", 0}, {"discard", 1}, {NULL, 0}};

static const struct feedrx_opt feedrx_opts[] = {
    {"mode", 0, OT_CHOICE, FIELD(mode), .choices = mode_choices, .metavar = "auto|xdp|kernel",
     .help = "receive path: xdp = XDP/AF_XDP fast path (fails if it\n"
	     "cannot be set up), kernel = sockets only, auto (default)\n"
	     "= xdp where possible, else kernel (says why)"},
    {"output", 0, OT_FUNC, .fn = opt_output, .metavar = "raw|pretty|none|jsonl",
     .help = "raw: each message as received + newline on stdout\n"
	     "(default); pretty: decoded lines with latency;\n"
	     "none: count only; jsonl: normalized events (trades,\n"
	     "bbo, order books, status), one JSON object a line"},
    {"venue", 0, OT_FUNC, .fn = opt_venue, .metavar = "NAME",
     .help = "the exchange's dialect: binance (default), binance-usdm,\n"
	     "binance-sbe (binary; needs an API key), okx, bybit,\n"
	     "bybit-linear, bybit-inverse"},
    {"api-key-file", 0, OT_STRING, FIELD(api_key_file), .metavar = "FILE",
     .help = "the venue's API key (binance-sbe: an Ed25519 key,\n"
	     "sent as X-MBX-APIKEY), first line of FILE; else\n"
	     "$FEEDRX_API_KEY. Never printed or logged"},
    {"api-key", 0, OT_FUNC, .fn = opt_api_key, .metavar = "KEY",
     .help = "the key itself (warns: ps shows it)"},
    {"count", 0, OT_UINT, FIELD(count), .max = ULLONG_MAX, .metavar = "N",
     .help = "exit after N data messages (clean close)"},
    {"subscribe", 0, OT_FUNC, .fn = opt_subscribe, .metavar = "STREAM[,STREAM]",
     .help = "subscribe these streams after the upgrade\n"
	     "(repeatable); split across connections by\n"
	     "--streams-per-conn; a refusal ends the run unless\n"
	     "the URL names streams of its own"},
    {"streams-file", 0, OT_FUNC, .fn = opt_streams_file, .metavar = "FILE",
     .help = "subscribe the streams in FILE (one a line, '#'\n"
	     "comments), as --subscribe does"},
    {"streams-per-conn", 0, OT_UINT, FIELD(per_conn), .max = 1024, .metavar = "N",
     .help = "streams per connection (default 200, at most the\n"
	     "venue's 1024): more streams open more connections"},
    {"redundant", 0, OT_UINT, FIELD(redundant), .max = 2, .metavar = "N",
     .help = "2: A/B, every stream on two connections, the first\n"
	     "copy of each message delivered (default 1)"},
    {"ab-wait", 0, OT_SECONDS, FIELD(ab_wait), .zero_ok = true, .metavar = "S",
     .help = "A/B: a copy past a hole waits up to S s for the\n"
	     "other leg to fill it (default 0.2, 0 = never)"},
    {"leg-b", 0, OT_STRING, FIELD(leg_b), .metavar = "URL",
     .help = "with --redundant 2: leg B connects here (another\n"
	     "address of the exchange) instead of the same URL"},
    {"bind", 0, OT_STRING, FIELD(bind_a), .metavar = "SRC",
     .help = "leave from this source address or interface (every\n"
	     "connection; with --redundant 2, leg A's)"},
    {"bind-b", 0, OT_STRING, FIELD(bind_b), .metavar = "SRC",
     .help = "with --redundant 2: leg B leaves from here (another\n"
	     "address or NIC), apart from leg A"},
    {"no-reconnect", 0, OT_FLAG, FIELD(no_reconnect),
     .help = "one-shot: a connection that ends is not reopened\n"
	     "(default: reopened with backoff, subscriptions\n"
	     "restored, gaps reported)"},
    {"reconnect-min", 0, OT_SECONDS, FIELD(reconnect_min), .metavar = "S",
     .help = "first reconnect delay (default 0.5; doubles, jittered)"},
    {"reconnect-max", 0, OT_SECONDS, FIELD(reconnect_max), .metavar = "S",
     .help = "largest reconnect delay (default 30)"},
    {"conn-rate", 0, OT_FUNC, .fn = opt_conn_rate, .metavar = "N/S",
     .help = "at most N connection attempts in S s (default\n"
	     "250/300, under Binance's 300 per 5 min per IP)"},
    {"rotate-after", 0, OT_SECONDS, FIELD(rotate_after), .zero_ok = true, .metavar = "S",
     .help = "replace each connection S s after it opened,\n"
	     "make-before-break (default 82800 = 23 h, before the\n"
	     "exchange's 24 h cut; 0 = never)"},
    {"rotate-at", 0, OT_FUNC, .fn = opt_rotate_at, .metavar = "HH:MM",
     .help = "also rotate daily at this UTC time (off-peak)"},
    {"stale", 0, OT_SECONDS, FIELD(stale), .zero_ok = true, .metavar = "S",
     .help = "a subscribed stream silent for S s on a live\n"
	     "connection replaces that connection (default 0 = off:\n"
	     "a quiet symbol is not a stalled feed)"},
    {"proxy", 0, OT_STRING, FIELD(proxy), .metavar = "http://host:port",
     .help = "tunnel through an HTTP CONNECT proxy"},
    {"cafile", 0, OT_STRING, FIELD(ko.tls.cafile), .metavar = "FILE",
     .help = "trust only the CAs in FILE (default: system store)"},
    {"insecure", 0, OT_FLAG, FIELD(ko.tls.insecure),
     .help = "do not verify the server certificate (warns)"},
    {"tls", 0, OT_CHOICE, FIELD(ko.tls.version), .choices = tls_choices, .metavar = "1.2|1.3",
     .help = "only this TLS version (default: 1.2 or newer)"},
    {"ciphers", 0, OT_STRING, FIELD(ko.tls.ciphers), .metavar = "LIST",
     .help = "narrow the TLS 1.2 suites (OpenSSL syntax)"},
    {"ciphersuites", 0, OT_STRING, FIELD(ko.tls.ciphersuites), .metavar = "LIST",
     .help = "narrow the TLS 1.3 suites\n"
	     "offered: TLS 1.3 TLS_AES_128_GCM_SHA256,\n"
	     "TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256;\n"
	     "TLS 1.2 ECDHE-{ECDSA,RSA}-AES128-GCM-SHA256,\n"
	     "ECDHE-{ECDSA,RSA}-AES256-GCM-SHA384,\n"
	     "ECDHE-{ECDSA,RSA}-CHACHA20-POLY1305"},
    {"connect-timeout", 0, OT_SECONDS, FIELD(ko.connect_timeout), .metavar = "S",
     .help = "TCP+proxy+TLS+upgrade time limit (default 10)"},
    {"idle-timeout", 0, OT_SECONDS, FIELD(ko.idle_timeout), .zero_ok = true, .metavar = "S",
     .help = "ping after S/2 s without a complete frame (silence\n"
	     "or a trickle), fail after S s (default 60, 0 = off)"},
    {"max-message", 0, OT_SIZE, FIELD(ko.max_message), .metavar = "BYTES",
     .help = "largest message, K/M suffixes (default 4M)"},
    {"stats", 0, OT_FLAG, FIELD(stats_live),
     .help = "live line per second on stderr, summary at exit"},
    {"stats-json", 0, OT_STRING, FIELD(stats_json), .metavar = "FILE",
     .help = "latency summary as JSON at exit (- = stdout)"},
    {"metrics", 0, OT_FUNC, .fn = opt_metrics, .metavar = "ADDR:PORT",
     .help = "serve Prometheus metrics at http://ADDR:PORT/metrics\n"
	     "(counters, deliveries by path, XDP counters, latency\n"
	     "histograms), e.g. 127.0.0.1:9100 or [::1]:9100"},
    {"book", 0, OT_FUNC, .fn = opt_book, .metavar = "SYMBOL[,SYMBOL]",
     .group = "Order books (--output jsonl):",
     .help = "keep books for these symbols only (default: every\n"
	     "symbol whose depth stream is subscribed)"},
    {"book-depth", 0, OT_UINT, FIELD(book_depth), .max = 5000, .metavar = "N",
     .help = "snapshot levels per side (default 1000); deeper\n"
	     "levels are unknown (top events say how many are known)"},
    {"top", 0, OT_UINT, FIELD(top), .max = FEED_TOP_MAX, .zero_ok = true, .metavar = "N",
     .help = "levels per side in top events (default 10, 0 = none)"},
    {"book-from-stream", 0, OT_FLAG, FIELD(book_from_stream),
     .help = "a depth stream's first message is the whole book\n"
	     "(feedsim); otherwise Binance books need REST snapshots"},
    {"rest-url", 0, OT_STRING, FIELD(rest_url), .metavar = "URL",
     .help = "fetch Binance book snapshots from https://host[:port]\n"
	     "(default the venue's; --cafile, --insecure and --proxy\n"
	     "apply)"},
    {"rest-http1", 0, OT_FLAG, FIELD(rest_http1),
     .help = "snapshots over HTTP/1.1 only (default: h2 when offered)"},
    {"shm", 0, OT_FUNC, .fn = opt_shm, .metavar = "NAME", .group = "Event consumers:",
     .help = "normalized events into the shared-memory ring\n"
	     "/dev/shm/NAME for local processes (repeatable; any\n"
	     "number of readers: feedrx-shm-read NAME)"},
    {"shm-size", 0, OT_SIZE, FIELD(shm_size), .metavar = "BYTES",
     .help = "ring size, a power of two from 64K (default 16M)"},
    {"shm-keep", 0, OT_FLAG, FIELD(shm_keep),
     .help = "leave the ring in /dev/shm at exit (default: removed)"},
    {"nats", 0, OT_FUNC, .fn = opt_nats, .metavar = "nats://HOST:PORT",
     .help = "publish normalized events to a NATS server on\n"
	     "feedrx.VENUE.SYMBOL.TYPE and feedrx.VENUE.status\n"
	     "(repeatable); never waits for a slow server: what does\n"
	     "not fit the buffer is dropped and counted"},
    {"nats-format", 0, OT_CHOICE, FIELD(nats_format), .choices = nats_format_choices,
     .metavar = "json|flat",
     .help = "NATS payload: one JSON object (default) or the flat\n"
	     "binary record (feed/feed_event_codec.h)"},
    {"nats-buffer", 0, OT_SIZE, FIELD(nats_buffer), .metavar = "BYTES",
     .help = "NATS output buffer, from 64K (default 8M)"},
    {"iface", 0, OT_FUNC, .fn = opt_iface, .metavar = "IF", .group = "XDP mode:",
     .help = "interface the feed arrives on (default: the route's)"},
    {"xdp-mode", 0, OT_CHOICE, FIELD(xdp_mode), .choices = xdp_mode_choices,
     .metavar = "native|generic|auto",
     .help = "attach mode (default auto: native, else\ngeneric with a warning)"},
    {"queue", 0, OT_UINT, FIELD(fo.queue), .max = 4096, .zero_ok = true, .metavar = "N",
     .help = "only this RX queue (default: all)"},
    {"poll", 0, OT_CHOICE, FIELD(poll), .choices = poll_choices, .metavar = "wakeup|busy",
     .help = "sleep until data arrives, or spin: on the AF_XDP\nrings (xdp) or the socket (--mode kernel)"},
    {"busy-cpu", 0, OT_UINT, FIELD(fo.busy_cpu), .max = 4096, .zero_ok = true, .metavar = "N",
     .help = "with --poll busy: pin to this CPU"},
    {"busy-poll-usecs", 0, OT_UINT, FIELD(fo.busy_poll_usecs), .max = 1000000, .metavar = "N",
     .help = "with --poll busy: SO_PREFER_BUSY_POLL (xdp) or\nSO_BUSY_POLL (kernel) with this budget"},
    {"transport", 0, OT_CHOICE, FIELD(transport), .choices = transport_choices,
     .metavar = "redirect|tap",
     .help = "redirect (default): frames go to AF_XDP and back to\n"
	     "the kernel through a TUN device; tap: the XDP program\n"
	     "copies them to a ring buffer and passes the originals\n"
	     "(a copy that does not fit fails over to the shadow)"},
    {"tap-ring", 0, OT_SIZE, FIELD(tap_ring), .metavar = "BYTES",
     .help = "with --transport tap: ring buffer size, a power of\ntwo from 16K (default 4M: 2048 frames)"},
    {"dump-stream", 0, OT_STRING, FIELD(fo.dump_path), .metavar = "FILE",
     .help = "write the reassembled exchange-to-client TCP stream"},
    {"nic-stamps", 0, OT_FLAG, FIELD(nic_stamps),
     .help = "stamp arrival with the NIC's RX hardware timestamp\n(XDP RX-metadata kfunc; device-bound program,\n"
	     "no dispatcher, native mode, a PTP clock): fails\nwhere unsupported; default bpf_ktime_get_ns"},
    {"stale-ms", 0, OT_UINT, FIELD(fo.stale_ms), .max = 60000, .zero_ok = true, .metavar = "N",
     .help = "if feedrx stops draining for N ms (hung, stopped), the\n"
	     "XDP program hands the feed to the kernel (default 500,\n0 = never)"},
    {"shadow", 0, OT_CHOICE, FIELD(shadow), .choices = shadow_choices,
     .metavar = "decode|discard",
     .help = "decode (default): the kernel socket decodes too and\n"
	     "takes over delivery if the fast path fails; discard:\n"
	     "its bytes are dropped unread (cheapest), and a\n"
	     "fast-path failure reconnects and reports the gap"},
    {"test-desync-after", 0, OT_UINT, FIELD(desync_after), .max = ULLONG_MAX, .metavar = "N",
     .help = "test only: force a fast-path failure after N messages"},
    {"verbose", 'v', OT_LEVEL, FIELD(verbose),
     .help = "connection details and counters on stderr; twice:\n"
	     "also debug lines, libbpf's and libxdp's included"},
    {"version", 0, OT_FLAG, FIELD(version), .help = "print the version and exit"},
    {"help", 'h', OT_FLAG, FIELD(help), .help = "this text"},
};

#define N_OPTS (sizeof(feedrx_opts) / sizeof(feedrx_opts[0]))
#define HELP_COL 27

static void usage(FILE *f)
{
	fputs("Usage: feedrx [options] wss://host[:port]/path [wss://...]\n"
	      "\n"
	      "Receive a WebSocket-over-TLS market-data feed and print its messages.\n"
	      "\n",
	      f);
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct feedrx_opt *o = &feedrx_opts[i];
		char head[64];
		const char *h = o->help, *nl;
		int n;

		if (o->group)
			fprintf(f, "%s\n", o->group);
		if (o->short_name)
			n = snprintf(head, sizeof(head), "  -%c, --%s", o->short_name, o->name);
		else
			n = snprintf(head, sizeof(head), "  --%s%s%s", o->name, o->metavar ? " " : "",
				     o->metavar ? o->metavar : "");
		/* two spaces at least between an option and its text (help2man
		 * reads them as the separator); a long head gets its own line */
		if (n <= HELP_COL - 2)
			fprintf(f, "%s%*s", head, HELP_COL - n, "");
		else
			fprintf(f, "%s\n%*s", head, HELP_COL, "");
		while ((nl = strchr(h, '\n'))) {
			fprintf(f, "%.*s\n%*s", (int)(nl - h), h, HELP_COL, "");
			h = nl + 1;
		}
		fprintf(f, "%s\n", h);
	}
	fputs("\nExit status: 0 clean end, 1 error, 2 usage error.\n", f);
}

static double parse_seconds(const char *opt, const char *s, bool zero_ok)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || (!zero_ok && v == 0) ||
	    v > 86400 * 365)
		usage_error("bad value for %s: '%s' (seconds%s)", opt, s,
			    zero_ok ? ", 0 = off" : ", > 0");
	return v;
}

static unsigned long long parse_uint(const char *opt, const char *s, unsigned long long max,
				     bool zero_ok)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s == '-' || *s == 0)
		usage_error("bad value for %s: '%s'", opt, s);
	v = strtoull(s, &end, 10);
	if (errno || *end || (v == 0 && !zero_ok) || v > max)
		usage_error("bad value for %s: '%s'", opt, s);
	return v;
}

static size_t parse_size(const char *opt, const char *s)
{
	char *end;
	unsigned long long v, mul = 1;

	errno = 0;
	if (*s == '-' || *s == 0)
		usage_error("bad value for %s: '%s'", opt, s);
	v = strtoull(s, &end, 10);
	if (end != s && (*end == 'K' || *end == 'k'))
		mul = 1ull << 10, end++;
	else if (end != s && (*end == 'M' || *end == 'm'))
		mul = 1ull << 20, end++;
	else if (end != s && (*end == 'G' || *end == 'g'))
		mul = 1ull << 30, end++;
	/* bounded: the reassembly buffer is allocated up front */
	if (errno || end == s || *end || v == 0 || v > (4ull << 30) / mul)
		usage_error("bad value for %s: '%s' (bytes, 1 to 4G)", opt, s);
	return (size_t)(v * mul);
}

static void opt_apply(struct feedrx_conf *c, const struct feedrx_opt *o, const char *arg)
{
	char opt[40];
	void *field = (char *)c + o->off;

	snprintf(opt, sizeof(opt), "--%s", o->name);
	switch (o->type) {
	case OT_FLAG:
		*(bool *)field = true;
		break;
	case OT_LEVEL:
		(*(int *)field)++;
		break;
	case OT_STRING:
		*(const char **)field = arg;
		break;
	case OT_CHOICE: {
		const struct opt_choice *ch = o->choices;
		char names[128] = "";

		for (; ch->name; ch++)
			if (strcmp(ch->name, arg) == 0) {
				*(int *)field = ch->value;
				return;
			}
		for (ch = o->choices; ch->name; ch++) {
			if (strcmp(ch->name, "skb") == 0)
				continue; /* an alias, not worth listing */
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 ch == o->choices ? "" : ch[1].name ? ", " : " or ", ch->name);
		}
		usage_error("unknown %s '%s' (%s)", opt, arg, names);
	}
	case OT_SECONDS:
		*(double *)field = parse_seconds(opt, arg, o->zero_ok);
		break;
	case OT_UINT: {
		unsigned long long v = parse_uint(opt, arg, o->max, o->zero_ok);

		if (o->size == sizeof(unsigned long long))
			*(unsigned long long *)field = v;
		else
			*(unsigned *)field = (unsigned)v; /* max keeps it in int range */
		break;
	}
	case OT_SIZE:
		*(size_t *)field = parse_size(opt, arg);
		break;
	case OT_FUNC:
		o->fn(c, opt, arg);
		break;
	}
}

/* Options from the table, and the URL, into c. Exits on a usage error. */
static void feedrx_parse_args(int argc, char **argv, struct feedrx_conf *c)
{
	struct option longopts[N_OPTS + 1];
	char shortopts[2 * N_OPTS + 2] = ":";
	size_t ns = 1;
	int ch, idx;

	for (size_t i = 0; i < N_OPTS; i++) {
		const struct feedrx_opt *o = &feedrx_opts[i];
		bool arg = o->type != OT_FLAG && o->type != OT_LEVEL;

		longopts[i] = (struct option){o->name, arg ? required_argument : no_argument, NULL,
					      256 + (int)i};
		if (o->short_name) {
			shortopts[ns++] = o->short_name;
			if (arg)
				shortopts[ns++] = ':';
		}
	}
	longopts[N_OPTS] = (struct option){NULL, 0, NULL, 0};
	shortopts[ns] = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
		if (ch == ':')
			usage_error("option %s needs a value", argv[optind - 1]);
		if (ch == '?')
			usage_error("unknown option %s", argv[optind - 1]);
		if (ch < 256) {
			for (size_t i = 0; i < N_OPTS; i++)
				if (feedrx_opts[i].short_name == ch)
					ch = 256 + (int)i;
		}
		opt_apply(c, &feedrx_opts[ch - 256], optarg);
		if (c->help) {
			usage(stdout);
			exit(0);
		}
		if (c->version) {
			printf("feedrx %s\n", FEEDRX_VERSION);
			exit(0);
		}
	}
	if (optind == argc)
		usage_error("missing the feed URL");
	if (argc - optind > FEEDRX_MAX_URLS)
		usage_error("more than %d URLs", FEEDRX_MAX_URLS);
	for (int i = optind; i < argc; i++)
		c->urls[c->n_urls++] = argv[i];
	c->url = c->urls[0];
}

/* "0-1,4" for a CPU set, into buf. */
static void cpu_list(const cpu_set_t *set, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < CPU_SETSIZE && len < cap; i++) {
		int j = i;

		if (!CPU_ISSET(i, set))
			continue;
		while (j + 1 < CPU_SETSIZE && CPU_ISSET(j + 1, set))
			j++;
		len += (size_t)snprintf(buf + len, cap - len, "%s%d", len ? "," : "", i);
		if (j > i && len < cap)
			len += (size_t)snprintf(buf + len, cap - len, "-%d", j);
		i = j;
	}
}

/* --busy-cpu must be a CPU this process may run on (its affinity mask). */
static void feedrx_check_cpu(int cpu)
{
	cpu_set_t set;
	char list[128];

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return; /* cannot tell: pinning will say */
	if (cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set))
		return;
	cpu_list(&set, list, sizeof(list));
	usage_error("--busy-cpu %d: no such CPU for this process (it may run on CPUs %s)", cpu,
		    list);
}

/* --bind and --bind-b: where each leg leaves from. Exits with a usage
 * error. */
static void feedrx_parse_binds(struct feedrx_conf *c)
{
	c->bind[0].addr.ss_family = c->bind[1].addr.ss_family = AF_UNSPEC;
	if (c->bind_b && c->redundant != 2)
		usage_error("--bind-b needs --redundant 2");
	for (int i = 0; i < 2; i++) {
		const char *spec = i ? (c->bind_b ?: c->bind_a) : c->bind_a;
		struct fx_error e = {0};

		if (spec && net_connect_bind_parse(spec, &c->bind[i], &e))
			usage_error("bad --bind%s: %s", i && c->bind_b ? "-b" : "", e.msg);
	}
}

/* What one option alone cannot check: the URLs, and options that need
 * another mode. Exits with a usage error. */
static void feedrx_check_args(const struct feedrx_conf *c, struct url *urls, struct url *proxy)
{
	int r;

	for (size_t i = 0; i < c->n_urls; i++) {
		r = url_parse(c->urls[i], &urls[i]);
		if (r)
			usage_error("bad URL '%s': %s", c->urls[i], fx_strerror(r));
		if (urls[i].scheme != URL_WSS)
			usage_error("bad URL '%s': only wss:// is supported", c->urls[i]);
	}
	if (c->proxy) {
		r = url_parse(c->proxy, proxy);
		if (r)
			usage_error("bad --proxy '%s': %s", c->proxy, fx_strerror(r));
		if (proxy->scheme != URL_HTTP)
			usage_error("bad --proxy '%s': only http:// proxies are supported", c->proxy);
		if (strcmp(proxy->path, "/") != 0)
			usage_error("bad --proxy '%s': a proxy URL has no path", c->proxy);
	}
	const struct venue *v = venue_find(venues, c->venue) ?: venues[0];

	for (size_t i = 0; i < c->n_subs; i++)
		if (!v->stream_ok(c->subs[i]))
			usage_error("bad --subscribe stream name '%s'", c->subs[i]);
	/* a path that carries nothing without a subscription would wait forever */
	for (size_t i = 0; i < c->n_urls && !c->n_subs; i++)
		if (v->url_streams && v->url_streams(urls[i].path) == 0)
			usage_error("'%s' names no stream: add --subscribe STREAM, or name streams "
				    "in the URL (/ws/STREAM, /stream?streams=A/B)", c->urls[i]);
	if (c->leg_b) {
		if (c->redundant != 2 || c->n_urls != 1)
			usage_error("--leg-b needs --redundant 2 and one URL");
		r = url_parse(c->leg_b, &urls[c->n_urls]);
		if (r || urls[c->n_urls].scheme != URL_WSS)
			usage_error("bad --leg-b '%s': %s", c->leg_b,
				    r ? fx_strerror(r) : "only wss:// is supported");
	}
	if (v->max_streams_per_conn && c->per_conn > v->max_streams_per_conn)
		usage_error("--streams-per-conn %u: %s takes at most %u streams a connection",
			    c->per_conn, v->name, v->max_streams_per_conn);
	if (v->max_conn_age > 0 && c->rotate_after >= v->max_conn_age)
		fprintf(stderr, "feedrx: warning: --rotate-after %g: %s cuts connections after %g s; "
				"they will end before they rotate\n",
			c->rotate_after, v->name, v->max_conn_age);
	if (c->reconnect_max && c->reconnect_min > c->reconnect_max)
		usage_error("--reconnect-min is larger than --reconnect-max");
	if (c->mode == MODE_KERNEL && (c->ifname[0] || c->fo.dump_path || c->desync_after))
		usage_error("--iface, --dump-stream and --test-desync-after need --mode xdp or auto");
	if (c->nic_stamps && c->xdp_mode == XDP_STEER_MODE_SKB)
		usage_error("--nic-stamps needs native XDP (--xdp-mode native or auto): a "
			    "device-bound program cannot run in generic mode");
	if (c->mode == MODE_KERNEL && c->nic_stamps)
		usage_error("--nic-stamps needs --mode xdp or auto (the kernel path's arrival "
			    "stamps are the kernel's software RX stamps)");
	if (c->transport == FAST_RX_TRANSPORT_TAP && c->nic_stamps)
		usage_error("--nic-stamps needs --transport redirect (tap copies frames with the "
			    "XDP program's own stamp)");
	if (c->transport == FAST_RX_TRANSPORT_TAP && c->fo.queue >= 0)
		usage_error("--queue needs --transport redirect (tap copies from every RX queue)");
	if (c->tap_ring && (c->transport != FAST_RX_TRANSPORT_TAP || c->tap_ring < (16u << 10) ||
			    c->tap_ring > (1u << 30) || (c->tap_ring & (c->tap_ring - 1))))
		usage_error("bad --tap-ring %zu: a power of two from 16K to 1G, with --transport tap",
			    c->tap_ring);
	if (c->poll != XSK_RX_POLL_BUSY && (c->fo.busy_cpu >= 0 || c->fo.busy_poll_usecs))
		usage_error("--busy-cpu and --busy-poll-usecs need --poll busy");
	if (c->fo.busy_cpu >= 0)
		feedrx_check_cpu(c->fo.busy_cpu);
	if (c->shm_size && (c->shm_size < SHM_RING_MIN_SIZE || (c->shm_size & (c->shm_size - 1))))
		usage_error("bad --shm-size %zu: a power of two from 64K", c->shm_size);
	if (c->nats_buffer && c->nats_buffer < (64u << 10))
		usage_error("bad --nats-buffer %zu: at least 64K", c->nats_buffer);
	if ((c->shm_size || c->shm_keep) && !c->n_shm)
		usage_error("--shm-size and --shm-keep need --shm NAME");
}

/* The venue's API key (venue.auth_header): --api-key, --api-key-file or
 * FEEDRX_API_KEY, in that order, into key and the upgrade's headers.
 * Exits on a missing (2) or unreadable (1) key. */
static void feedrx_api_key(struct feedrx_conf *c, struct api_key *key)
{
	const struct venue *v = venue_find(venues, c->venue) ?: venues[0];
	struct fx_error e = {0};
	int r = 1;

	if (c->api_key_arg)
		r = api_key__from_arg(key, c->api_key_arg, &e);
	else if (c->api_key_file)
		r = api_key__from_file(key, c->api_key_file, &e);
	else if (v->auth_header)
		r = api_key__from_env(key, "FEEDRX_API_KEY", &e);
	if (r < 0) {
		fprintf(stderr, "feedrx: %s\n", e.msg);
		exit(1);
	}
	if (!v->auth_header) {
		if (r == 0)
			fprintf(stderr, "feedrx: warning: --venue %s takes no API key: ignored\n",
				v->name);
		api_key__free(key);
		return;
	}
	if (r == 1)
		usage_error("--venue %s needs an API key (sent as %s): --api-key-file FILE, or "
			    "the environment variable FEEDRX_API_KEY", v->name, v->auth_header);
	c->ko.headers = api_key_header(key, v->auth_header);
	c->ko.n_headers = 1;
	fx_log(FX_LOG_DEBUG, "API key loaded (%zu bytes) for the %s header", key->len,
	       v->auth_header);
}

/* ---- the running receiver -------------------------------------------------- */

struct feedrx {
	struct feedrx_conf *c;
	struct ev_loop *loop;
	struct feed_set *set; /* the connections (link/feed_set.h) */
	const struct url *urls, *proxy;
	struct feed_sink *sink;
	struct feed_handler *handler; /* when the sink takes events */
	struct book_rest *rest;	      /* REST snapshots for its books */
	struct sink_set consumers; /* --shm, --nats */
	struct fastpath *fp;
	struct lat_stats *stats;
	FILE *stats_json; /* opened at set-up: the exit may lack the rights */
	struct metrics *metrics;
	ev_signal sigint, sigterm;
	ev_idle flush;
	ev_timer stats_timer;
	struct status_line status_line; /* --stats on a terminal: the live line stays put */
	/* how the feed is received (fast path, or why not): said with the
	 * first message, so that an error before it stays one line */
	char path_note[400];
	char error[300]; /* the line an error end printed, for --stats-json */
	int status;
	bool done, opened, delivering;
};

/* The live connection's link counters (slot 1: the one connection of a
 * plain run), zeros when there is none. */
static void feedrx_link_stats(const struct feedrx *f, struct feed_link_stats *ls)
{
	struct feed_link *l = f->set ? feed_set__link(f->set, 1) : NULL;

	if (l)
		feed_link__stats(l, ls);
	else
		memset(ls, 0, sizeof(*ls));
}

static void feedrx_on_message(void *user, const struct feed_set_msg *sm)
{
	struct feedrx *f = user;
	const struct feed_link_msg *m = sm->m;
	int r;

	if (unlikely(!f->delivering)) {
		f->delivering = true;
		if (f->path_note[0])
			fprintf(stderr, "feedrx: %s\n", f->path_note);
	}
	if (f->stats) {
		lat_stats__record(f->stats, m->st);
		f->stats->c.msgs++;
		f->stats->c.bytes += m->n;
		if (m->path == FEED_PATH_FAST)
			f->stats->c.fast++;
		else if (m->path == FEED_PATH_SHADOW)
			f->stats->c.shadow++;
	}
	r = feed_sink__message(f->sink, m);
	if (r) {
		if (r != -EPIPE)
			fprintf(stderr, "feedrx: cannot write output: %s\n", strerror(-r));
		if (f->status == 0 && r != -EPIPE)
			f->status = 1;
		feed_set__close(f->set);
		return;
	}
	if (f->handler && (r = feed_handler__message(f->handler, m))) {
		if (r != -EPIPE)
			fprintf(stderr, "feedrx: cannot write output: %s\n", strerror(-r));
		if (f->status == 0 && r != -EPIPE)
			f->status = 1;
		feed_set__close(f->set);
		return;
	}
	if (!ev_is_active(&f->flush))
		ev_idle_start(f->loop, &f->flush);
}

static void feedrx_on_open(void *user, const struct feed_set_conn_info *ci, const char *describe)
{
	struct feedrx *f = user;

	(void)ci;
	if (f->c->verbose && !f->opened)
		fprintf(stderr, "feedrx: connected: %s\n", describe);
	f->opened = true;
}

/* Connection-set news: every reconnect, gap, rotation and stale stream on
 * stderr (a first connection only with -v), and to a sink that takes
 * events. */
static void feedrx_on_status(void *user, const struct feed_event *e)
{
	struct feedrx *f = user;
	struct feed_event ev = *e;
	bool first = e->status.kind == FEED_STATUS_CONNECTED && e->status.text &&
		     strstr(e->status.text, "): connected (");

	if (e->status.text && (!first || f->c->verbose) &&
	    !(first && feed_set__slots(f->set) == 1))
		fprintf(stderr, "feedrx: %s\n", e->status.text);
	/* through the handler: one event numbering for every consumer */
	if (f->handler)
		feed_handler__status(f->handler, (enum feed_status)ev.status.kind, ev.status.conn,
				     ev.status.first_id, ev.status.last_id, ev.status.text);
}

/* A transport for one connection of the set: its URL, its SUBSCRIBE's size,
 * the fast path when there is one (lent to one connection at a time until
 * it is shared: link_one_fast.h). */
static int feedrx_new_transport(void *user, const struct feed_set_conn_info *ci,
				struct link_transport **out, struct fx_error *err)
{
	struct feedrx *f = user;
	struct kconn_opts ko = f->c->ko;

	ko.url = &f->urls[ci->url];
	ko.proxy = f->proxy;
	if (f->c->bind_a || f->c->bind_b)
		ko.bind = &f->c->bind[ci->leg ? 1 : 0];
	const struct venue *v = venue_find(venues, f->c->venue) ?: venues[0];

	/* its SUBSCRIBE (split into several where the venue limits a request's
	 * streams, all built at once) and the venue's keepalive text */
	ko.max_send = (ci->sub_bytes > 64 ? ci->sub_bytes : 64) +
		      (v->keepalive_text ? strlen(v->keepalive_text) : 0) +
		      (v->subscribe_max ? v->subscribe_base * (ci->n_streams / v->subscribe_max + 1)
					: 0);
	return link_one_fast__new(out, f->loop, &ko, f->fp, &f->c->fo, f->c->shadow == 1, err);
}

static void feedrx_json_feeds(void *user, FILE *out)
{
	struct feedrx *f = user;

	feed_set__json(f->set, out);
}

static void feedrx_on_done(void *user, int status, const char *why)
{
	struct feedrx *f = user;

	f->done = true;
	if (f->handler && f->opened)
		feed_handler__status(f->handler, FEED_STATUS_DISCONNECTED, 1, 0, 0,
				     status ? (why ? why : fx_strerror(status)) : "closed");
	if (status && f->status == 0)
		f->status = 1;
	if (status && why) {
		fprintf(stderr, "feedrx: %s\n", why);
		snprintf(f->error, sizeof(f->error), "%s", why);
	} else if (status) {
		snprintf(f->error, sizeof(f->error), "%s", fx_strerror(status));
	}
	ev_signal_stop(f->loop, &f->sigint);
	ev_signal_stop(f->loop, &f->sigterm);
	ev_break(f->loop, EVBREAK_ALL);
}

/* Whether any consumer takes normalized events (then the handler runs). */
static bool feedrx_wants_events(const struct feedrx *f)
{
	return feed_sink__wants_events(f->sink) || sink_set__wants_events(&f->consumers);
}

/* The loop has nothing else to do: push buffered output to the reader. */
static void feedrx_flush_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct feedrx *f = w->data;

	(void)revents;
	ev_idle_stop(loop, w);
	sink_set__flush(&f->consumers);
	if (feed_sink__flush(f->sink) && f->sink->err != -EPIPE && f->status == 0) {
		fprintf(stderr, "feedrx: cannot write output: %s\n", strerror(-f->sink->err));
		f->status = 1;
		feed_set__close(f->set);
	}
}

static void feedrx_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct feedrx *f = w->data;
	static int seen;

	(void)loop, (void)revents;
	if (seen++ == 0) {
		if (f->c->verbose)
			fprintf(stderr, "feedrx: %s: closing\n", strsignal(w->signum));
		feed_set__close(f->set);
	} else {
		feed_set__abort(f->set); /* second signal: stop now */
	}
}

static void feedrx_fast_counters(struct feedrx *f)
{
	struct fastpath_stats fs;

	fastpath__xdp_counters(f->fp, f->stats->c.xdp);
	fastpath__stats(f->fp, &fs);
	f->stats->c.drops = fs.segments_refused + fs.reinject_failed;
}

/* Once a second: the live line (and the counters it shows). */
static void feedrx_stats_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct feedrx *f = w->data;

	(void)loop, (void)revents;
	if (f->fp)
		feedrx_fast_counters(f);
	if (f->status_line.rows) {
		char line[LAT_STATS_LIVE_MAX];

		if (lat_stats__live_format(f->stats, line, sizeof(line), lat_stats_now_ns()))
			status_line__draw(&f->status_line, line);
	} else {
		lat_stats__live_line(f->stats, stderr); /* lines, as scripts read them */
	}
}

/* GET /metrics: the counters and histograms in Prometheus' text format. */
static void feedrx_metrics_render(void *user, struct metrics_out *o)
{
	struct feedrx *f = user;
	struct lat_stats *s = f->stats;
	struct feed_link_stats ls;
	char lab[64];

	feedrx_link_stats(f, &ls);
	if (f->fp)
		feedrx_fast_counters(f);
	metrics_out__head(o, "feedrx_messages_total", "counter", "Data messages delivered.");
	metrics_out__sample(o, "feedrx_messages_total", NULL, s->c.msgs);
	metrics_out__head(o, "feedrx_bytes_total", "counter", "Payload bytes delivered.");
	metrics_out__sample(o, "feedrx_bytes_total", NULL, s->c.bytes);
	metrics_out__head(o, "feedrx_drops_total", "counter",
			  "Frames the fast path refused or could not re-inject (TCP resends "
			  "them; 0 in kernel mode).");
	metrics_out__sample(o, "feedrx_drops_total", NULL, s->c.drops);
	metrics_out__head(o, "feedrx_gaps_total", "counter",
			  "Fast-path failures in --shadow discard mode: messages lost, "
			  "connection reopened.");
	metrics_out__sample(o, "feedrx_gaps_total", NULL, ls.gaps);
	metrics_out__head(o, "feedrx_reconnects_total", "counter",
			  "Connections reopened: lost connections (backoff) and --shadow "
			  "discard's fast-path failures; rotations are not counted.");
	{
		struct feed_set_stats ss;

		feed_set__stats(f->set, &ss);
		metrics_out__sample(o, "feedrx_reconnects_total", NULL, ls.gaps + ss.reconnects);
		metrics_out__head(o, "feedrx_feed_gaps_total", "counter",
				  "Gaps in a stream's ids that no connection delivered (reported "
				  "once each, with the range, on stderr and in the JSON).");
		metrics_out__sample(o, "feedrx_feed_gaps_total", NULL, ss.gaps);
		metrics_out__head(o, "feedrx_rotations_total", "counter",
				  "Connections replaced make-before-break (age, --rotate-at, "
				  "serverShutdown, a stale stream).");
		metrics_out__sample(o, "feedrx_rotations_total", NULL, ss.rotations);
		metrics_out__head(o, "feedrx_duplicates_total", "counter",
				  "Copies dropped by the merge (A/B's second copies, replays "
				  "after a reconnect, a rotation's overlap).");
		metrics_out__sample(o, "feedrx_duplicates_total", NULL, ss.dups);
	}
	metrics_out__head(o, "feedrx_delivered_total", "counter",
			  "Messages delivered by path: fast (XDP), shadow (kernel socket after a "
			  "fast-path failure), kernel (--mode kernel or no fast path).");
	metrics_out__sample(o, "feedrx_delivered_total", "path=\"fast\"", ls.fast);
	metrics_out__sample(o, "feedrx_delivered_total", "path=\"shadow\"", ls.shadow);
	metrics_out__sample(o, "feedrx_delivered_total", "path=\"kernel\"",
			    ls.delivered - ls.fast - ls.shadow);
	sink_set__metrics(&f->consumers, o);
	if (f->fp) {
		metrics_out__head(o, "feedrx_xdp_frames_total", "counter",
				  "The XDP program's verdicts and events, summed over CPUs.");
		for (int i = 0; i < FX_CNT__MAX; i++) {
			snprintf(lab, sizeof(lab), "counter=\"%s\"", lat_stats_xdp_name(i));
			metrics_out__sample(o, "feedrx_xdp_frames_total", lab, s->c.xdp[i]);
		}
	}
	metrics_out__head(o, "feedrx_latency_seconds", "histogram",
			  "Per-message latency by stage (CLOCK_MONOTONIC; exchange: "
			  "CLOCK_REALTIME across hosts; service: fast-path time per message "
			  "after the ring).");
	for (int i = 0; i < LAT_ST__MAX; i++) {
		snprintf(lab, sizeof(lab), "stage=\"%s\"", lat_stats_stage_name(i));
		metrics_out__hist(o, "feedrx_latency_seconds", lab, lat_stats__combined(s, i));
	}
	if (f->fp)
		metrics_out__hist(o, "feedrx_latency_seconds", "stage=\"service\"",
				  fastpath__service(f->fp));
}

/* XDP or auto mode: the fast path, or why not. 0, 1 when --mode xdp
 * cannot have it, or 2 for an XDP option that does not fit the machine. */
static int feedrx_setup_fast(struct feedrx *f, const struct url *url, const struct url *proxy)
{
	struct feedrx_conf *c = f->c;
	const struct url *via = proxy ? proxy : url;
	struct fx_error err;
	int r = 0;

	if (!c->ifname[0]) {
		char port[8];

		snprintf(port, sizeof(port), "%u", via->port);
		r = iface_route_to(via->host, port, c->ifname);
		if (r == -ENXIO && c->mode == MODE_AUTO)
			return 0; /* the kernel path reports the name that does not resolve */
		if (r == -ENXIO)
			fx_error_set(&err, r, "cannot resolve %s", via->host);
		else if (r < 0)
			fx_error_set(&err, r, "cannot find the interface towards %s: %s", via->host,
				     strerror(-r));
	}
	if (r == 0) {
		const char *miss = privs_missing_xdp();

		if (miss)
			r = fx_error_set(&err, -EPERM, "missing capability %s (XDP needs CAP_BPF, "
					 "CAP_PERFMON, CAP_NET_ADMIN and CAP_NET_RAW)", miss);
	}
	if (r == 0 && c->fo.queue >= 0) {
		int nq = xsk_rx_queue_count(c->ifname);

		if (nq > 0 && c->fo.queue >= nq) {
			fprintf(stderr, "feedrx: --queue %d: %s has %d RX queue%s (%s%d)\n",
				c->fo.queue, c->ifname, nq, nq == 1 ? "" : "s",
				nq == 1 ? "" : "0-", nq - 1);
			return FEEDRX_EXIT_USAGE;
		}
	}
	if (r == 0 && iface_is_loopback(c->ifname)) {
		r = fx_error_set(&err, -EOPNOTSUPP, "%s is a loopback device: re-injected "
				 "loopback packets are dropped as martians", c->ifname);
	}
	if (r == 0) {
		c->fo.ifname = c->ifname;
		c->fo.proxied = proxy != NULL;
		c->fo.max_message = c->ko.max_message;
		c->fo.check_utf8 = c->ko.check_utf8;
		c->fo.xdp_mode = (enum xdp_steer_mode)c->xdp_mode;
		c->fo.poll = (enum xsk_rx_poll)c->poll;
		c->fo.transport = (enum fast_rx_transport)c->transport;
		c->fo.tap_ring_bytes = (uint32_t)c->tap_ring;
		c->fo.stamps = f->stats != NULL;
		c->fo.hash_streams = c->verbose; /* costs ~1 ns a byte: only when asked */
		xdp_steer_want_nic_stamps(c->nic_stamps);
		r = fastpath__new(&f->fp, f->loop, &c->fo, &err);
	}
	if (r == 0) {
		snprintf(f->path_note, sizeof(f->path_note), "fast path: %s",
			 fastpath__describe(f->fp));
		return 0;
	}
	if (c->mode == MODE_XDP) {
		fprintf(stderr, "feedrx: --mode xdp: %s\n", err.msg);
		return 1;
	}
	snprintf(f->path_note, sizeof(f->path_note),
		 "XDP fast path unavailable (%s); using the kernel path", err.msg);
	return 0;
}

static void feedrx_report(struct feedrx *f)
{
	struct feedrx_conf *c = f->c;
	struct feed_link *l = f->set ? feed_set__link(f->set, 1) : NULL;
	struct kconn *k = l ? link_kconn__kconn(feed_link__transport(l)) : NULL;
	struct feed_link_stats ls;
	struct feed_set_stats ss = {0};

	feedrx_link_stats(f, &ls);
	if (f->set)
		feed_set__stats(f->set, &ss);
	/* the set's story when there is one to tell (a run that never
	 * connected has its error as the whole report) */
	if (f->set && f->opened && (c->stats_live || c->verbose || ss.slots > 1 || ss.reconnects ||
		       ss.rotations || ss.gaps || ss.stale || ss.dups))
		feed_set__report(f->set, stderr);
	if (c->verbose && k) {
		struct kconn_stats s;

		kconn__stats(k, &s);
		fprintf(stderr,
			"feedrx: %llu messages, %llu payload bytes (%llu bytes after the "
			"upgrade), %llu pings, %llu pongs, %llu subscription replies; close "
			"sent %u, received %u\n",
			(unsigned long long)(s.messages - ls.kernel_replies),
			(unsigned long long)(s.bytes - ls.kernel_reply_bytes),
			(unsigned long long)s.rx_bytes, (unsigned long long)s.pings,
			(unsigned long long)s.pongs, (unsigned long long)ls.kernel_replies,
			s.close_sent, s.close_received);
	}
	if (c->verbose && (ls.controls || ls.replies > 1))
		fprintf(stderr, "feedrx: venue: %llu subscription replies, %llu control messages "
				"(keepalive answers, notices) filtered\n",
			(unsigned long long)ls.replies, (unsigned long long)ls.controls);
	if (f->fp && (f->delivering || f->status == 0)) {
		struct fastpath_stats fs;

		fastpath__stats(f->fp, &fs);
		if (f->sink->err == -EPIPE)
			fprintf(stderr, "feedrx: the reader closed stdout: stopped (messages "
					"written before it may be unread)\n");
		fprintf(stderr,
			"feedrx: delivered %llu messages: %llu from the fast path, %llu from the "
			"kernel path; shadow compared %llu, %llu different\n",
			(unsigned long long)ls.delivered, (unsigned long long)ls.fast,
			(unsigned long long)ls.shadow, (unsigned long long)ls.compared,
			(unsigned long long)ls.mismatched);
		if (ls.gaps)
			fprintf(stderr, "feedrx: %u gap%s: the fast path failed and --shadow discard "
					"reconnected\n", ls.gaps, ls.gaps == 1 ? "" : "s");
		if (c->verbose) {
			char a[2 * SHA256_DIGEST_LENGTH + 1], b[2 * SHA256_DIGEST_LENGTH + 1];

			for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
				snprintf(a + 2 * i, 3, "%02x", fs.stream_sha256[i]);
				snprintf(b + 2 * i, 3, "%02x", fs.kernel_sha256[i]);
			}
			fprintf(stderr,
				"feedrx: fast path: %llu frames (%llu not ours), %llu segments "
				"refused, %llu re-injected, %llu re-injection failures\n"
				"feedrx: reassembly: %llu out-of-order segments (peak %llu held), "
				"%llu duplicates, %llu overlaps (%llu conflicting), %llu out of window, "
				"%llu over the caps\n"
				"feedrx: stream: fast %llu bytes sha256 %s\n"
				"feedrx: stream: kernel %llu bytes sha256 %s\n"
				"feedrx: rings: %llu dropped, %llu with the ring full, %llu with the fill "
				"ring empty\n",
				(unsigned long long)fs.frames, (unsigned long long)fs.frames_other,
				(unsigned long long)fs.segments_refused,
				(unsigned long long)fs.reinjected,
				(unsigned long long)fs.reinject_failed,
				(unsigned long long)fs.reasm.ooo_segs,
				(unsigned long long)fs.reasm.ooo_segs_peak,
				(unsigned long long)fs.reasm.dups, (unsigned long long)fs.reasm.overlaps,
				(unsigned long long)fs.reasm.overlap_conflicts,
				(unsigned long long)fs.reasm.out_of_window,
				(unsigned long long)fs.reasm.cap_refused,
				(unsigned long long)fs.stream_bytes, a,
				(unsigned long long)fs.kernel_bytes, b,
				(unsigned long long)fs.ring_dropped, (unsigned long long)fs.ring_full,
				(unsigned long long)fs.fill_ring_empty);
			uint64_t x[FX_CNT__MAX];

			if (fastpath__xdp_counters(f->fp, x) == 0)
				fprintf(stderr,
					"feedrx: xdp program: %llu steered, %llu passed, %llu stale "
					"(receiver not draining), %llu redirect failures\n",
					(unsigned long long)x[FX_CNT_STEERED],
					(unsigned long long)x[FX_CNT_PASSED],
					(unsigned long long)x[FX_CNT_STALE],
					(unsigned long long)x[FX_CNT_REDIRECT_FAIL]);
			if (c->transport == FAST_RX_TRANSPORT_TAP && fastpath__xdp_counters(f->fp, x) == 0)
				fprintf(stderr,
					"feedrx: tap: %llu copied, %llu lost (ring full or too long; "
					"this flow: %llu)\n",
					(unsigned long long)x[FX_CNT_TAP_COPIED],
					(unsigned long long)x[FX_CNT_TAP_LOST],
					(unsigned long long)fs.tap_lost);
		}
		if (f->stats) {
			lat_hist__merge(&f->stats->service, fastpath__service(f->fp));
			feedrx_fast_counters(f);
		}
	}
	if (f->handler && c->verbose) {
		struct feed_handler_stats hs;

		feed_handler__stats(f->handler, &hs);
		fprintf(stderr,
			"feedrx: events: %llu from %llu messages (%llu unparsable); %u books: "
			"%llu snapshots, %llu updates applied, %llu stale, %llu gaps, %llu "
			"buffer overflows\n",
			(unsigned long long)hs.events, (unsigned long long)hs.messages,
			(unsigned long long)hs.parse_errors, hs.books,
			(unsigned long long)hs.book.snapshots, (unsigned long long)hs.book.applied,
			(unsigned long long)hs.book.stale, (unsigned long long)hs.book.gaps,
			(unsigned long long)hs.book.overflows);
	}
	sink_set__report(&f->consumers, stderr, "feedrx: ");
	if (!f->stats)
		return;
	/* a connection that never came up measured nothing: its error is the report */
	if (c->stats_live && (f->delivering || f->status == 0))
		lat_stats__summary(f->stats, stderr);
	if (f->stats_json) {
		bool std = f->stats_json == stdout;

		lat_stats__json_error(f->stats, f->stats_json, f->status ? f->error : NULL);
		if (std ? fflush(f->stats_json) : fclose(f->stats_json)) {
			fprintf(stderr, "feedrx: cannot write %s: %s\n",
				std ? "the JSON to stdout" : c->stats_json, strerror(errno));
			f->status = 1;
		}
		f->stats_json = NULL;
	}
}

/* One normalized event to every consumer: the --output sink (when it
 * takes events) and each --shm ring and --nats server (which count their
 * own drops and never fail the feed). */
static int feedrx_emit(void *user, const struct feed_event *e)
{
	struct feedrx *f = user;
	int r = feed_sink__event(f->sink, e);

	sink_set__event(&f->consumers, e);
	if (!ev_is_active(&f->flush))
		ev_idle_start(f->loop, &f->flush);
	return r;
}

/* A book of an in-stream snapshot venue broke its chain: its stream again. */
static int feedrx_resubscribe(void *user, const char *stream)
{
	struct feedrx *f = user;
	unsigned n = f->set ? feed_set__slots(f->set) : 0;
	int r = -ENOTCONN;

	/* the live connections that carry the stream (A/B: both legs) */
	for (unsigned i = 1; i <= n; i++) {
		struct feed_link *l = feed_set__link(f->set, i);

		if (l && feed_link__has_stream(l, stream))
			r = feed_link__resubscribe(l, stream);
	}
	return r;
}

/* The sink takes normalized events: the feed handler makes them. */
static int feedrx_setup_handler(struct feedrx *f, const struct venue *venue)
{
	static const char *const no_books[1];
	struct feedrx_conf *c = f->c;
	bool rest = venue->book_rule == VENUE_BOOK_BINANCE_SPOT ||
		    venue->book_rule == VENUE_BOOK_BINANCE_USDM;
	struct feed_handler_conf hc = {
	    .venue = venue,
	    .symbols = c->n_books ? c->books : NULL,
	    .n_symbols = c->n_books,
	    .depth = c->book_depth,
	    .top = c->top,
	    .src = NULL, /* below: book_rest, unless --book-from-stream */
	    .first_is_snapshot = c->book_from_stream,
	    .emit = feedrx_emit,
	    .user = f,
	    .resubscribe = feedrx_resubscribe,
	};
	int r;

	if (rest && !hc.first_is_snapshot) {
		const struct book_rest_opts ro = {
		    .venue = venue,
		    .url = c->rest_url,
		    .proxy = c->proxy,
		    .tls = {.cafile = c->ko.tls.cafile, .insecure = c->ko.tls.insecure},
		    .no_h2 = c->rest_http1,
		};
		struct fx_error err = {0};

		if (book_rest__new(&f->rest, f->loop, &ro, &err)) {
			fprintf(stderr, "feedrx: REST snapshots: %s\n", err.msg);
			return 1;
		}
		hc.src = book_rest__source(f->rest);
	}
	if (rest && !hc.src && !hc.first_is_snapshot) {
		if (c->n_books)
			fprintf(stderr, "feedrx: warning: --book: %s books need REST snapshots, "
					"not available in this build: no books kept\n", venue->name);
		hc.symbols = no_books;
		hc.n_symbols = 0;
	}
	r = feed_handler__new(&f->handler, &hc);
	if (r) {
		fprintf(stderr, "feedrx: cannot set up the feed handler: %s\n", fx_strerror(r));
		return 1;
	}
	return 0;
}

/* Everything from the parsed options to a link ready to start. 0, or the
 * exit status when it cannot be. */
static int feedrx_setup(struct feedrx *f, struct url *urls, struct url *proxy)
{
	struct url *url = &urls[0];
	struct feedrx_conf *c = f->c;
	const struct venue *venue = venue_find(venues, c->venue) ?: venues[0];
	const struct feed_sink_ops *sink = feed_sink_find(feed_sinks, c->output) ?: feed_sinks[0];
	const struct feed_sink_conf sc = {.fd = STDOUT_FILENO, .venue = venue};
	static bool url_streams[FEEDRX_MAX_URLS];
	struct feed_set_opts so = {
	    .venue = venue,
	    .n_urls = c->n_urls,
	    .url_streams = url_streams,
	    .streams = c->n_subs ? c->subs : NULL,
	    .n_streams = c->n_subs,
	    .per_conn = c->per_conn ? c->per_conn : 200,
	    .legs = c->redundant ? c->redundant : 1,
	    .leg_b_url = c->leg_b ? (long)c->n_urls : -1,
	    .reconnect = !c->no_reconnect,
	    .backoff_base = c->reconnect_min ? c->reconnect_min : 0.5,
	    .backoff_cap = c->reconnect_max ? c->reconnect_max : 30,
	    .healthy_s = 60,
	    .conn_limit = c->conn_limit ? c->conn_limit
			  : venue->conn_limit ? venue->conn_limit * 5 / 6 : 250,
	    .conn_window = c->conn_window > 0 ? c->conn_window
			   : venue->conn_window > 0 ? venue->conn_window : 300,
	    .rotate_after = c->rotate_after,
	    .rotate_at_min = c->rotate_at_min,
	    .rotate_grace = c->rotate_grace,
	    .stale_s = c->stale,
	    .ab_wait = c->ab_wait,
	    .count = c->count,
	    .discard = c->shadow == 1,
	    .stamps = c->stats_live || c->stats_json || c->metrics || sink == &feed_sink_pretty,
	    .max_gaps = FEEDRX_MAX_GAPS,
	    .desync_after = c->desync_after,
	};
	const struct feed_set_hooks sh = {
	    .user = f,
	    .new_transport = feedrx_new_transport,
	    .on_message = feedrx_on_message,
	    .on_status = feedrx_on_status,
	    .on_open = feedrx_on_open,
	    .on_done = feedrx_on_done,
	};
	struct fx_error err;
	int r;

	if (feed_sink__open(&f->sink, sink, &sc)) {
		fprintf(stderr, "feedrx: cannot set up the output\n");
		return 1;
	}
	f->loop = ev_default_loop(EVFLAG_AUTO);
	if (!f->loop) {
		fprintf(stderr, "feedrx: cannot create the event loop\n");
		return 1;
	}
	for (size_t i = 0; i < c->n_shm + c->n_nats; i++) {
		struct fx_error e = {0};
		const struct feed_sink_conf ec = {
		    .arg = i < c->n_shm ? c->shm[i] : c->nats[i - c->n_shm],
		    .size = i < c->n_shm ? c->shm_size : c->nats_buffer,
		    .keep = c->shm_keep,
		    .format = c->nats_format,
		    .loop = f->loop,
		    .err = &e,
		};

		if (sink_set__add(&f->consumers, i < c->n_shm ? &feed_sink_shm : &feed_sink_nats,
				  &ec)) {
			fprintf(stderr, "feedrx: %s\n", e.msg);
			return 1;
		}
		if (c->verbose)
			fprintf(stderr, "feedrx: events to %s %s\n", i < c->n_shm ? "/dev/shm/" : "",
				ec.arg);
	}
	if (feedrx_wants_events(f) && feedrx_setup_handler(f, venue))
		return 1;
	if (c->stats_live || c->stats_json || c->metrics) {
		if (lat_stats__new(&f->stats) < 0) {
			fprintf(stderr, "feedrx: out of memory\n");
			return 1;
		}
	}
	if (c->stats_json) {
		f->stats_json = strcmp(c->stats_json, "-") == 0 ? stdout : fopen(c->stats_json, "w");
		if (!f->stats_json) {
			fprintf(stderr, "feedrx: cannot write %s: %s\n", c->stats_json,
				strerror(errno));
			return 1;
		}
	}
	for (size_t i = 0; i < c->n_urls; i++)
		url_streams[i] = venue->url_streams && venue->url_streams(urls[i].path) == 1;
	/* one fast path for every connection: the first URL's interface, one
	 * XDP program and flow map, each connection a flow (link_one_fast.h) */
	if (c->mode != MODE_KERNEL) {
		r = feedrx_setup_fast(f, url, proxy);
		if (r)
			return r;
	}
	if (f->stats) {
		f->stats->kernel_only = !f->fp;
		lat_stats__set_arrival_clock(f->stats, !f->fp ? LAT_CLK_KERNEL_SW
						: c->nic_stamps ? LAT_CLK_NIC : LAT_CLK_XDP_KTIME);
	}
	fx_log(FX_LOG_INFO, "arrival stamps: %s",
	       !f->fp ? "kernel-rx-software (SO_TIMESTAMPING software RX stamp)"
	       : c->nic_stamps ? "nic (the NIC's RX hardware stamp, PHC moved onto CLOCK_MONOTONIC)"
			       : "xdp-ktime (bpf_ktime_get_ns at XDP entry)");
	/* measuring latency: ask for the exchange's finest time unit */
	for (size_t i = 0; i < c->n_urls + (c->leg_b ? 1 : 0); i++) {
		url = &urls[i];
		if (!so.stamps || !venue->precise_time_query || strstr(url->path, "timeUnit=") ||
		    strlen(url->path) + strlen(venue->precise_time_query) + 1 >= sizeof(url->path))
			continue;
		size_t len = strlen(url->path);

		snprintf(url->path + len, sizeof(url->path) - len, "%c%s",
			 strchr(url->path, '?') ? '&' : '?', venue->precise_time_query);
		if (c->verbose)
			fprintf(stderr, "feedrx: asking for exchange times in a finer unit: %s\n",
				url->path);
	}
	/* the kernel path's arrival stamps, when latency is measured; its busy
	 * loop when the kernel socket is the feed */
	c->ko.tls.rx_stamps = so.stamps;
	if (!f->fp && c->poll == XSK_RX_POLL_BUSY) {
		c->ko.busy = true;
		c->ko.busy_poll_usecs = c->fo.busy_poll_usecs;
		if (c->fo.busy_cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(c->fo.busy_cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set))
				fprintf(stderr, "feedrx: cannot pin to CPU %d: %s\n", c->fo.busy_cpu,
					strerror(errno));
		}
	}
	/* a venue's own keepalive text (OKX "ping", Bybit {"op":"ping"}); it
	 * closes connections quiet for longer than its idle timeout */
	if (venue->keepalive_text) {
		c->ko.ping_text = venue->keepalive_text;
		c->ko.ping_every = venue->keepalive_every;
		if (venue->idle_timeout > 0 && c->ko.idle_timeout > venue->idle_timeout)
			c->ko.idle_timeout = venue->idle_timeout;
	}
	f->urls = urls;
	f->proxy = proxy;
	r = feed_set__new(&f->set, f->loop, &so, &sh, &err);
	if (r == 0 && f->stats) {
		f->stats->json_feeds = feedrx_json_feeds;
		f->stats->json_feeds_user = f;
	}
	if (r) {
		fprintf(stderr, "feedrx: %s\n", err.msg);
		return r == -EINVAL ? FEEDRX_EXIT_USAGE : 1;
	}
	if (c->metrics) {
		const struct metrics_opts mo = {
		    .listen = c->metrics, .render = feedrx_metrics_render, .user = f};

		if (metrics__new(&f->metrics, f->loop, &mo, &err)) {
			fprintf(stderr, "feedrx: %s\n", err.msg);
			return 1;
		}
		if (c->verbose)
			fprintf(stderr, "feedrx: metrics at http://%s/metrics\n", c->metrics);
	}
	return 0;
}

/* Everything that needs a capability is done: the XDP program is attached,
 * its maps are open (updating them through these fds needs none on 5.19+
 * kernels, so a reconnect can register its flow), the AF_XDP sockets and the
 * TUN device exist, rp_filter is set. Nothing stays effective; only
 * CAP_NET_ADMIN stays permitted in XDP mode, for the netlink request that
 * detaches the program at exit. 0, or 1 when the capabilities cannot be
 * dropped (a receiver that meant to drop them does not run with them). */
static int feedrx_drop_privs(struct feedrx *f)
{
	uint64_t keep = !f->fp ? 0
			: fastpath__multiprog(f->fp) ? PRIVS_BIT(CAP_NET_ADMIN) | PRIVS_BIT(CAP_SYS_ADMIN)
						     : PRIVS_BIT(CAP_NET_ADMIN);
	struct privs_caps pc;
	int r = privs_drop(keep);

	if (r) {
		fprintf(stderr, "feedrx: cannot drop capabilities: %s\n", strerror(-r));
		return 1;
	}
	if (privs_get(&pc) == 0)
		fx_log(FX_LOG_INFO, "capabilities dropped: effective %#llx, permitted %#llx%s",
		       (unsigned long long)pc.effective, (unsigned long long)pc.permitted,
		       pc.permitted ? " (to detach XDP at exit)" : "");
	return 0;
}

/* Everything set-up made, in reverse; safe on a half-made receiver. */
static void feedrx_free(struct feedrx *f)
{
	metrics__free(f->metrics);
	feed_set__free(f->set);
	/* the one capability kept (feedrx_drop_privs): detaching is a netlink
	 * request that needs it; without it the next start removes the program */
	if (f->fp && (privs_raise(CAP_NET_ADMIN) ||
		      (fastpath__multiprog(f->fp) && privs_raise(CAP_SYS_ADMIN))))
		fx_log(FX_LOG_INFO, "cannot raise the capabilities kept to detach XDP");
	fastpath__free(f->fp);
	feed_handler__free(f->handler);
	book_rest__report(f->rest, "feedrx");
	book_rest__free(f->rest); /* after the books: they cancel into it */
	sink_set__close(&f->consumers);
	feed_sink__close(f->sink);
	lat_stats__free(f->stats);
	if (f->stats_json && f->stats_json != stdout)
		fclose(f->stats_json);
	if (f->loop)
		ev_loop_destroy(f->loop);
}

int main(int argc, char **argv)
{
	static struct feedrx_conf c = {
	    .mode = MODE_AUTO,
	    .output = "raw",
	    .venue = "binance",
	    .ko = {.connect_timeout = 10, .idle_timeout = 60, .close_timeout = 2,
		   .max_message = 4u << 20, .check_utf8 = true},
	    .fo = {.queue = -1, .busy_cpu = -1, .stale_ms = 500},
	    .xdp_mode = XDP_STEER_MODE_AUTO,
	    .poll = XSK_RX_POLL_WAKEUP,
	    .book_depth = 1000,
	    .top = 10,
	    .rotate_after = 82800, /* 23 h: before Binance's 24 h cut */
	    .rotate_at_min = -1,
	    .rotate_grace = 30,
	    .ab_wait = 0.2,
	};
	static struct api_key key;
	static struct url urls[FEEDRX_MAX_URLS + 1], proxy; /* + --leg-b */
	struct feedrx f = {.c = &c};
	int r;

	feedrx_parse_args(argc, argv, &c);
	feedrx_check_args(&c, urls, &proxy);
	feedrx_parse_binds(&c);
	if (c.ko.tls.insecure)
		fprintf(stderr, "feedrx: warning: --insecure: the server's certificate is NOT "
				"verified\n");
	fx_log_set_level(c.verbose > 1 ? FX_LOG_DEBUG : c.verbose ? FX_LOG_INFO : FX_LOG_WARN);
	feedrx_api_key(&c, &key);
	/* a closed stdout or socket is an error to report, not a signal */
	signal(SIGPIPE, SIG_IGN);

	r = feedrx_setup(&f, urls, c.proxy ? &proxy : NULL);
	if (r == 0)
		r = feedrx_drop_privs(&f);
	if (r) {
		feedrx_free(&f); /* detach XDP on this exit too */
		api_key__free(&key);
		return r;
	}
	ev_signal_init(&f.sigint, feedrx_signal_cb, SIGINT);
	ev_signal_init(&f.sigterm, feedrx_signal_cb, SIGTERM);
	f.sigint.data = f.sigterm.data = &f;
	ev_signal_start(f.loop, &f.sigint);
	ev_signal_start(f.loop, &f.sigterm);
	ev_idle_init(&f.flush, feedrx_flush_cb);
	f.flush.data = &f;
	if (c.stats_live) {
		ev_timer_init(&f.stats_timer, feedrx_stats_cb, 1., 1.);
		f.stats_timer.data = &f;
		ev_timer_start(f.loop, &f.stats_timer);
		ev_unref(f.loop); /* the timer alone must not keep the loop running */
		/* on a terminal the live line is a status row under the scrolling
		 * output (-ENOTTY otherwise: one line per second, as before) */
		status_line__open(&f.status_line, STDERR_FILENO);
	}

	feed_set__start(f.set);
	if (!f.done)
		ev_run(f.loop, 0);

	ev_idle_stop(f.loop, &f.flush);
	if (feed_sink__flush(f.sink) && f.sink->err != -EPIPE && f.status == 0) {
		fprintf(stderr, "feedrx: cannot write output: %s\n", strerror(-f.sink->err));
		f.status = 1;
	}
	sink_set__finish(&f.consumers); /* NATS: what is buffered, a bounded wait */
	status_line__close(&f.status_line);
	feedrx_report(&f);
	feedrx_free(&f);
	api_key__free(&key);
	free(c.streams_buf);
	return f.status ? 1 : 0;
}

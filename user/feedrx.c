/* feedrx — market-data feed receiver: command line, event loop, signals,
 * delivery and exit status. The connection is kconn (kernel sockets: set-up,
 * sending, and the shadow decoder); in XDP mode the fast path (fastpath)
 * plugs into kconn's hooks and delivers, with deliver arbitrating between
 * the two so every message goes out exactly once. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "deliver.h"
#include "fastpath.h"
#include "feed_parse.h"
#include "iface.h"
#include "kconn.h"
#include "lat_stats.h"
#include "output.h"
#include "subscribe.h"
#include "url.h"
#include "ws_frame.h"

#define FEEDRX_EXIT_USAGE 2
#define FEEDRX_MAX_SUBSCRIBE 1024

enum feedrx_mode { MODE_KERNEL, MODE_AUTO, MODE_XDP };

struct feedrx {
	struct ev_loop *loop;
	struct kconn *conn;
	struct output out;
	ev_signal sigint, sigterm;
	ev_idle flush;
	unsigned long long count; /* stop after this many, 0 = never */
	unsigned long long delivered;
	bool verbose;
	int status;
	bool done;

	/* XDP mode */
	struct fastpath *fp;
	struct deliver *dl;
	bool fast_sub_pending;           /* the SUBSCRIBE reply is still to come */
	unsigned long long desync_after; /* test-only: force a fast-path failure */
	unsigned long long mismatches;
	unsigned long long fast_delivered;
	bool discard;                    /* --shadow discard */
	bool fast_opening;               /* in fastpath__on_open: held bytes replayed */
	bool reconnecting;
	unsigned gaps;                   /* reconnects after a fast-path failure */
	ev_timer reconnect;
	const struct kconn_opts *ko;
	const struct kconn_hooks *kh;

	/* latency */
	struct lat_stats *stats;
	bool stats_live;
	const char *stats_json;
	ev_timer stats_timer;
};

static void usage(FILE *f)
{
	fputs("usage: feedrx [options] wss://host[:port]/path\n"
	      "\n"
	      "Receive a WebSocket-over-TLS market-data feed and print its messages.\n"
	      "\n"
	      "  --mode auto|xdp|kernel   receive path: xdp = XDP/AF_XDP fast path (fails if it\n"
	      "                           cannot be set up), kernel = sockets only, auto (default)\n"
	      "                           = xdp where possible, else kernel (says why)\n"
	      "  --output raw|pretty|none raw: each message as received + newline on stdout\n"
	      "                           (default); pretty: decoded lines with latency;\n"
	      "                           none: count only\n"
	      "  --count N                exit after N data messages (clean close)\n"
	      "  --subscribe STREAM       send one SUBSCRIBE for these streams after the\n"
	      "                           upgrade (repeatable)\n"
	      "  --proxy http://host:port tunnel through an HTTP CONNECT proxy\n"
	      "  --cafile FILE            trust only the CAs in FILE (default: system store)\n"
	      "  --insecure               do not verify the server certificate (warns)\n"
	      "  --tls 1.2|1.3            only this TLS version (default: 1.2 or newer)\n"
	      "  --ciphers LIST           narrow the TLS 1.2 suites (OpenSSL syntax)\n"
	      "  --ciphersuites LIST      narrow the TLS 1.3 suites\n"
	      "                           offered: TLS 1.3 TLS_AES_128_GCM_SHA256,\n"
	      "                           TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256;\n"
	      "                           TLS 1.2 ECDHE-{ECDSA,RSA}-AES128-GCM-SHA256,\n"
	      "                           ECDHE-{ECDSA,RSA}-AES256-GCM-SHA384,\n"
	      "                           ECDHE-{ECDSA,RSA}-CHACHA20-POLY1305\n"
	      "  --connect-timeout S      TCP+proxy+TLS+upgrade time limit (default 10)\n"
	      "  --idle-timeout S         ping after S/2 s without a complete frame (silence\n"
	      "                           or a trickle), fail after S s (default 60, 0 = off)\n"
	      "  --max-message BYTES      largest message, K/M suffixes (default 4M)\n"
	      "  --stats                  live line per second on stderr, summary at exit\n"
	      "  --stats-json FILE        latency summary as JSON at exit\n"
	      "XDP mode:\n"
	      "  --iface IF               interface the feed arrives on (default: the route's)\n"
	      "  --xdp-mode native|generic|auto  attach mode (default auto: native, else\n"
	      "                           generic with a warning)\n"
	      "  --queue N                only this RX queue (default: all)\n"
	      "  --poll wakeup|busy       sleep until frames arrive, or drain continuously\n"
	      "  --busy-cpu N             busy mode: pin to this CPU\n"
	      "  --busy-poll-usecs N      busy mode: SO_PREFER_BUSY_POLL with this budget\n"
	      "  --dump-stream FILE       write the reassembled exchange-to-client TCP stream\n"
	      "  --stale-ms N             if feedrx stops draining for N ms (hung, stopped), the\n"
	      "                           XDP program hands the feed to the kernel (default 500,\n"
	      "                           0 = never)\n"
	      "  --shadow decode|discard  decode (default): the kernel socket decodes too and\n"
	      "                           takes over delivery if the fast path fails; discard:\n"
	      "                           its bytes are dropped unread (cheapest), and a\n"
	      "                           fast-path failure reconnects and reports the gap\n"
	      "  --test-desync-after N    test only: force a fast-path failure after N messages\n"
	      "  -v, --verbose            connection details and counters on stderr\n"
	      "  -h, --help               this text\n"
	      "\n"
	      "Exit status: 0 clean end, 1 error, 2 usage error.\n",
	      f);
}

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

static unsigned long long parse_count(const char *opt, const char *s, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s == '-' || *s == 0)
		usage_error("bad value for %s: '%s'", opt, s);
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
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

/* ---- loop callbacks ------------------------------------------------------ */

/* Every message that is delivered goes through here, from either path. */
static void feedrx_deliver(struct feedrx *f, const uint8_t *p, size_t n, struct lat_stamps *st)
{
	uint64_t lat = 0;
	int r;

	if (f->count && f->delivered >= f->count)
		return; /* closing: what still arrives is beyond --count */
	if (f->stats || f->out.kind == OUTPUT_PRETTY) {
		st->at[LAT_PT_HANDLER] = lat_stats_now_ns();
		st->send_ns = feed_scan_ts_ns(p, n);
		st->event_ms = feed_scan_event_ms(p, n);
		if (st->event_ms) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			st->real_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		}
		if (st->send_ns && st->send_ns < st->at[LAT_PT_HANDLER])
			lat = st->at[LAT_PT_HANDLER] - st->send_ns;
		if (f->stats) {
			lat_stats__record(f->stats, st);
			f->stats->c.msgs++;
			f->stats->c.bytes += n;
		}
	}
	r = output__message_lat(&f->out, p, n, lat);
	if (r) {
		if (r != -EPIPE)
			fprintf(stderr, "feedrx: cannot write output: %s\n", strerror(-r));
		if (f->status == 0 && r != -EPIPE)
			f->status = 1;
		kconn__close(f->conn, 1000);
		return;
	}
	if (!ev_is_active(&f->flush))
		ev_idle_start(f->loop, &f->flush);
	f->delivered++;
	if (f->count && f->delivered == f->count)
		kconn__close(f->conn, 1000);
}

/* A message decoded by the kernel path: the feed itself in kernel mode,
 * the shadow in XDP mode. */
static void feedrx_on_message(void *user, bool text, const uint8_t *p, size_t n)
{
	struct feedrx *f = user;
	struct lat_stamps st = {0};
	bool mismatch, was_failed;

	(void)text;
	if (!f->dl) {
		feedrx_deliver(f, p, n, &st);
		return;
	}
	if (f->count && f->delivered >= f->count)
		return; /* closing: neither path delivers or compares beyond --count */
	was_failed = deliver__failed_over(f->dl);
	if (deliver__shadow(f->dl, p, n, &mismatch)) {
		if (!was_failed) /* the shadow got ahead: deliver failed over */
			fastpath__fail(f->fp, "the kernel socket received data the fast path never "
					      "saw: XDP passed the flow's frames to the kernel (no "
					      "AF_XDP socket on its RX queue, or the feed arrives on "
					      "another interface)");
		if (f->stats)
			f->stats->c.shadow++;
		feedrx_deliver(f, p, n, &st);
	}
	if (mismatch && f->mismatches++ == 0)
		fprintf(stderr, "feedrx: warning: the kernel path decoded a different message "
				"than the fast path (first mismatch)\n");
}

/* A message decoded by the XDP fast path. */
static void feedrx_on_fast_message(void *ctx, int opcode, const uint8_t *p, size_t n,
				   const struct lat_stamps *stamps)
{
	struct feedrx *f = ctx;
	struct lat_stamps st = *stamps;

	if (opcode != WS_OP_TEXT && opcode != WS_OP_BINARY)
		return;
	if (f->count && f->delivered >= f->count)
		return; /* closing: so the counts add up to what went out */
	if (f->discard && kconn__discarding(f->conn))
		kconn__frame_seen(f->conn); /* its only decoder is here */
	if (f->fast_sub_pending) {
		/* the same filter kconn applies, so both paths count alike */
		if (subscribe_classify(p, n, 1) != SUBSCRIBE_NOT_REPLY) {
			f->fast_sub_pending = false;
			return;
		}
	}
	if (deliver__fast(f->dl, p, n)) {
		if (f->stats)
			f->stats->c.fast++;
		feedrx_deliver(f, p, n, &st);
		if (f->desync_after && ++f->fast_delivered == f->desync_after)
			fastpath__force_desync(f->fp);
	}
}

#define FEEDRX_MAX_GAPS 3

/* --shadow discard: nothing can take over, so start a new connection (at
 * the loop's next turn, outside the callbacks of the failed one). */
static void feedrx_reconnect_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct feedrx *f = w->data;
	char err[256];
	int r;

	(void)loop, (void)revents;
	kconn__free(f->conn);
	f->conn = NULL;
	r = fastpath__reset(f->fp);
	if (r == 0)
		r = kconn__new(&f->conn, f->loop, f->ko, f->kh, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "out of memory");
	f->reconnecting = false;
	if (r) {
		fprintf(stderr, "feedrx: cannot reconnect: %s\n", err);
		f->status = 1;
		ev_break(f->loop, EVBREAK_ALL);
		return;
	}
	deliver__reset(f->dl);
	f->fast_sub_pending = f->ko->n_subscribe > 0;
	kconn__start(f->conn);
}

static void feedrx_on_fast_failure(void *ctx, const char *why)
{
	struct feedrx *f = ctx;
	struct deliver_stats ds;

	if (f->done)
		return; /* the connection is over: nothing left to take over */
	deliver__fast_failed(f->dl);
	deliver__stats(f->dl, &ds);
	if (fastpath__violation(f->fp) && f->conn && !kconn__discarding(f->conn)) {
		/* the server broke the protocol: the shadow, decoding the same
		 * bytes, closes with the code and says so, once */
		if (f->verbose)
			fprintf(stderr, "feedrx: fast path: %s; the kernel path ends the "
					"connection\n", why);
		return;
	}
	if (fastpath__violation(f->fp) && f->conn) {
		/* --shadow discard: no other decoder; close with the code */
		fprintf(stderr, "feedrx: WebSocket protocol error from the server: %s (closed "
				"with %u)\n", why, fastpath__violation(f->fp));
		f->status = 1;
		kconn__close(f->conn, fastpath__violation(f->fp));
		return;
	}
	if (f->discard && kconn__discarding(f->conn)) {
		f->gaps++;
		fprintf(stderr, "feedrx: fast path stopped after %llu messages (%s); with --shadow "
				"discard nothing can take over: reconnecting (gap %u: messages sent "
				"until the new connection is up are missed)\n",
			f->delivered, why, f->gaps);
		if (f->stats)
			f->stats->c.drops++;
		if (f->gaps > FEEDRX_MAX_GAPS) {
			fprintf(stderr, "feedrx: giving up after %u fast-path failures\n", f->gaps - 1);
			f->status = 1;
			kconn__abort(f->conn, -EPROTO, "fast path keeps failing");
			return;
		}
		f->reconnecting = true;
		kconn__abort(f->conn, 0, NULL);
		ev_timer_set(&f->reconnect, 0., 0.);
		ev_timer_start(f->loop, &f->reconnect);
		return;
	}
	fprintf(stderr, "feedrx: fast path stopped after %llu messages (%s); the kernel path "
			"delivers from message %llu on\n",
		(unsigned long long)ds.fast, why, (unsigned long long)ds.fast + 1);
}

/* Control frames the fast path saw: in discard mode only it sees them. */
static void feedrx_on_fast_control(void *ctx, int opcode, const uint8_t *p, size_t n)
{
	struct feedrx *f = ctx;

	/* while the fast path replays what it held before its keys, the
	 * socket is about to be drained: only the fast path sees these frames */
	if (!f->conn || !(kconn__discarding(f->conn) || (f->discard && f->fast_opening)))
		return; /* the kernel path decodes and answers itself */
	kconn__frame_seen(f->conn);
	if (opcode == WS_OP_PING) {
		kconn__pong(f->conn, p, n);
	} else if (opcode == WS_OP_CLOSE) {
		uint16_t code = n >= 2 ? (uint16_t)(p[0] << 8 | p[1]) : 1005;

		kconn__peer_closed(f->conn, code);
	}
}

static void feedrx_on_fast_tls_event(void *ctx, enum tls_record_event ev, unsigned detail)
{
	struct feedrx *f = ctx;

	if (ev == TLS_RECORD_EV_KEY_UPDATE && detail && f->conn && kconn__discarding(f->conn))
		kconn__key_update(f->conn); /* the exchange asked us to update ours */
}

/* Discard mode: the kernel can only hold bytes the fast path re-injected, so
 * a kernel ahead of the fast path means frames bypass it (another RX queue,
 * another interface): nothing would be delivered, so say so and fail. */
static void feedrx_on_drained(void *user, uint64_t stream_bytes)
{
	struct feedrx *f = user;

	if (f->fp && !fastpath__failed(f->fp) && stream_bytes > fastpath__stream_bytes(f->fp))
		fastpath__fail(f->fp, "the kernel socket received bytes the fast path never saw "
				      "(the feed arrives on another RX queue or interface?)");
}

/* kconn hooks that hand the connection to the fast path. */
static int feedrx_on_socket(void *user, int fd, const struct sockaddr *local,
			    const struct sockaddr *remote)
{
	struct feedrx *f = user;

	(void)fd;
	return fastpath__on_socket(f->fp, local, remote);
}

static void feedrx_on_tls(void *user, SSL *ssl)
{
	struct feedrx *f = user;
	int r = fastpath__on_tls(f->fp, ssl);

	if (r < 0)
		fprintf(stderr, "feedrx: warning: cannot capture TLS secrets for the fast path: %s\n",
			strerror(-r));
}

static void feedrx_on_open(void *user)
{
	struct feedrx *f = user;

	int r;

	f->fast_opening = true;
	r = f->fp ? fastpath__on_open(f->fp, kconn__ssl(f->conn)) : -1;
	f->fast_opening = false;
	if (r == 0 && f->discard) {
		kconn__set_discard(f->conn); /* the fast path decodes; the socket is drained */
		deliver__no_compare(f->dl);
	}
	if (f->verbose)
		fprintf(stderr, "feedrx: connected: %s\n", kconn__describe(f->conn));
}

static void feedrx_on_notice(void *user, enum kconn_notice level, const char *msg)
{
	struct feedrx *f = user;

	if (level == KCONN_WARN || f->verbose)
		fprintf(stderr, "feedrx: %s\n", msg);
}

static void feedrx_on_done(void *user, int status)
{
	struct feedrx *f = user;

	if (f->reconnecting)
		return; /* the reconnect timer takes it from here */
	f->done = true;
	if (status && f->status == 0)
		f->status = 1;
	if (status)
		fprintf(stderr, "feedrx: %s\n", kconn__error(f->conn));
	ev_signal_stop(f->loop, &f->sigint);
	ev_signal_stop(f->loop, &f->sigterm);
	ev_break(f->loop, EVBREAK_ALL);
}

/* The loop has nothing else to do: push buffered output to the reader. */
static void feedrx_flush_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct feedrx *f = w->data;

	(void)revents;
	ev_idle_stop(loop, w);
	if (output__flush(&f->out) && f->out.err != -EPIPE && f->status == 0) {
		fprintf(stderr, "feedrx: cannot write output: %s\n", strerror(-f->out.err));
		f->status = 1;
		kconn__close(f->conn, 1000);
	}
}

static void feedrx_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct feedrx *f = w->data;
	static int seen;

	(void)loop;
	(void)revents;
	if (seen++ == 0) {
		if (f->verbose)
			fprintf(stderr, "feedrx: %s: closing\n", strsignal(w->signum));
		kconn__close(f->conn, 1000);
	} else {
		kconn__abort(f->conn, 0, NULL); /* second signal: stop now */
	}
}

/* Once a second: the live line (and the counters it shows). */
static void feedrx_stats_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct feedrx *f = w->data;

	(void)loop, (void)revents;
	if (f->fp) {
		struct fastpath_stats fs;

		fastpath__xdp_counters(f->fp, f->stats->c.xdp);
		fastpath__stats(f->fp, &fs);
		f->stats->c.drops = fs.segments_refused + fs.reinject_failed;
	}
	lat_stats__live_line(f->stats, stderr);
}


/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
	enum {
		OPT_MODE = 256,
		OPT_OUTPUT,
		OPT_COUNT,
		OPT_SUBSCRIBE,
		OPT_PROXY,
		OPT_CAFILE,
		OPT_INSECURE,
		OPT_TLS,
		OPT_CIPHERS,
		OPT_CIPHERSUITES,
		OPT_CONNECT_TIMEOUT,
		OPT_IDLE_TIMEOUT,
		OPT_MAX_MESSAGE,
		OPT_IFACE,
		OPT_XDP_MODE,
		OPT_QUEUE,
		OPT_POLL,
		OPT_BUSY_CPU,
		OPT_BUSY_POLL,
		OPT_DUMP_STREAM,
		OPT_SHADOW,
		OPT_STATS,
		OPT_STATS_JSON,
		OPT_TEST_DESYNC,
		OPT_STALE_MS,
	};
	static const struct option longopts[] = {
	    {"mode", required_argument, NULL, OPT_MODE},
	    {"output", required_argument, NULL, OPT_OUTPUT},
	    {"count", required_argument, NULL, OPT_COUNT},
	    {"subscribe", required_argument, NULL, OPT_SUBSCRIBE},
	    {"proxy", required_argument, NULL, OPT_PROXY},
	    {"cafile", required_argument, NULL, OPT_CAFILE},
	    {"insecure", no_argument, NULL, OPT_INSECURE},
	    {"tls", required_argument, NULL, OPT_TLS},
	    {"ciphers", required_argument, NULL, OPT_CIPHERS},
	    {"ciphersuites", required_argument, NULL, OPT_CIPHERSUITES},
	    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
	    {"max-message", required_argument, NULL, OPT_MAX_MESSAGE},
	    {"iface", required_argument, NULL, OPT_IFACE},
	    {"xdp-mode", required_argument, NULL, OPT_XDP_MODE},
	    {"queue", required_argument, NULL, OPT_QUEUE},
	    {"poll", required_argument, NULL, OPT_POLL},
	    {"busy-cpu", required_argument, NULL, OPT_BUSY_CPU},
	    {"busy-poll-usecs", required_argument, NULL, OPT_BUSY_POLL},
	    {"dump-stream", required_argument, NULL, OPT_DUMP_STREAM},
	    {"shadow", required_argument, NULL, OPT_SHADOW},
	    {"stats", no_argument, NULL, OPT_STATS},
	    {"stats-json", required_argument, NULL, OPT_STATS_JSON},
	    {"test-desync-after", required_argument, NULL, OPT_TEST_DESYNC},
	    {"stale-ms", required_argument, NULL, OPT_STALE_MS},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct url url, proxy;
	static const char *subs[FEEDRX_MAX_SUBSCRIBE];
	struct feedrx f = {.status = 0};
	struct kconn_opts ko = {
	    .connect_timeout = 10,
	    .idle_timeout = 60,
	    .close_timeout = 2,
	    .max_message = 4u << 20,
	    .check_utf8 = true,
	};
	struct kconn_hooks kh = {
	    .user = &f,
	    .on_open = feedrx_on_open,
	    .on_message = feedrx_on_message,
	    .on_done = feedrx_on_done,
	    .on_notice = feedrx_on_notice,
	};
	struct fastpath_opts fo = {
	    .xdp_mode = XDP_STEER_MODE_AUTO,
	    .queue = -1,
	    .poll = XSK_RX_POLL_WAKEUP,
	    .busy_cpu = -1,
	    .stale_ms = 500,
	};
	char ifname[IF_NAMESIZE] = "";
	enum feedrx_mode mode = MODE_AUTO;
	enum output_kind out_kind = OUTPUT_RAW;
	const char *proxy_arg = NULL;
	size_t n_subs = 0;
	char err[512];
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MODE:
			if (strcmp(optarg, "kernel") == 0)
				mode = MODE_KERNEL;
			else if (strcmp(optarg, "auto") == 0)
				mode = MODE_AUTO;
			else if (strcmp(optarg, "xdp") == 0)
				mode = MODE_XDP;
			else
				usage_error("unknown --mode '%s' (kernel, auto or xdp)", optarg);
			break;
		case OPT_OUTPUT:
			if (output_kind_parse(optarg, &out_kind))
				usage_error("unknown --output '%s' (raw, pretty or none)", optarg);
			break;
		case OPT_IFACE:
			if (strlen(optarg) >= IF_NAMESIZE || !*optarg)
				usage_error("bad --iface '%s'", optarg);
			snprintf(ifname, sizeof(ifname), "%s", optarg);
			break;
		case OPT_XDP_MODE:
			if (strcmp(optarg, "native") == 0)
				fo.xdp_mode = XDP_STEER_MODE_NATIVE;
			else if (strcmp(optarg, "generic") == 0 || strcmp(optarg, "skb") == 0)
				fo.xdp_mode = XDP_STEER_MODE_SKB;
			else if (strcmp(optarg, "auto") == 0)
				fo.xdp_mode = XDP_STEER_MODE_AUTO;
			else
				usage_error("unknown --xdp-mode '%s' (native, generic or auto)", optarg);
			break;
		case OPT_QUEUE:
			fo.queue = strcmp(optarg, "0") == 0 ? 0 : (int)parse_count("--queue", optarg, 4096);
			break;
		case OPT_POLL:
			if (strcmp(optarg, "wakeup") == 0)
				fo.poll = XSK_RX_POLL_WAKEUP;
			else if (strcmp(optarg, "busy") == 0)
				fo.poll = XSK_RX_POLL_BUSY;
			else
				usage_error("unknown --poll '%s' (wakeup or busy)", optarg);
			break;
		case OPT_BUSY_CPU:
			fo.busy_cpu = strcmp(optarg, "0") == 0
					      ? 0
					      : (int)parse_count("--busy-cpu", optarg, 4096);
			break;
		case OPT_BUSY_POLL:
			fo.busy_poll_usecs = (int)parse_count("--busy-poll-usecs", optarg, 1000000);
			break;
		case OPT_DUMP_STREAM:
			fo.dump_path = optarg;
			break;
		case OPT_SHADOW:
			if (strcmp(optarg, "discard") == 0)
				f.discard = true;
			else if (strcmp(optarg, "decode") != 0)
				usage_error("unknown --shadow '%s' (decode or discard)", optarg);
			break;
		case OPT_STATS:
			f.stats_live = true;
			break;
		case OPT_STATS_JSON:
			f.stats_json = optarg;
			break;
		case OPT_STALE_MS:
			fo.stale_ms = strcmp(optarg, "0") == 0
					      ? 0
					      : (unsigned)parse_count("--stale-ms", optarg, 60000);
			break;
		case OPT_TEST_DESYNC:
			f.desync_after = parse_count("--test-desync-after", optarg, ULLONG_MAX);
			break;
		case OPT_COUNT:
			f.count = parse_count("--count", optarg, ULLONG_MAX);
			break;
		case OPT_SUBSCRIBE:
			if (n_subs == FEEDRX_MAX_SUBSCRIBE)
				usage_error("too many --subscribe (at most %d)",
					    FEEDRX_MAX_SUBSCRIBE);
			if (!subscribe_stream_ok(optarg))
				usage_error("bad --subscribe stream name '%s'", optarg);
			subs[n_subs++] = optarg;
			break;
		case OPT_PROXY:
			proxy_arg = optarg;
			break;
		case OPT_CAFILE:
			ko.tls.cafile = optarg;
			break;
		case OPT_INSECURE:
			ko.tls.insecure = true;
			break;
		case OPT_TLS:
			if (strcmp(optarg, "1.2") == 0)
				ko.tls.version = 12;
			else if (strcmp(optarg, "1.3") == 0)
				ko.tls.version = 13;
			else
				usage_error("unknown --tls '%s' (1.2 or 1.3)", optarg);
			break;
		case OPT_CIPHERS:
			ko.tls.ciphers = optarg;
			break;
		case OPT_CIPHERSUITES:
			ko.tls.ciphersuites = optarg;
			break;
		case OPT_CONNECT_TIMEOUT:
			ko.connect_timeout = parse_seconds("--connect-timeout", optarg, false);
			break;
		case OPT_IDLE_TIMEOUT:
			ko.idle_timeout = parse_seconds("--idle-timeout", optarg, true);
			break;
		case OPT_MAX_MESSAGE:
			ko.max_message = parse_size("--max-message", optarg);
			break;
		case 'v':
			f.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			usage_error("option %s needs a value", argv[optind - 1]);
		default:
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		usage_error(optind == argc ? "missing the feed URL" : "more than one URL");

	r = url_parse(argv[optind], &url);
	if (r)
		usage_error("bad URL '%s': %s", argv[optind], url_strerror(r));
	if (url.scheme != URL_WSS)
		usage_error("bad URL '%s': only wss:// is supported", argv[optind]);
	if (proxy_arg) {
		r = url_parse(proxy_arg, &proxy);
		if (r)
			usage_error("bad --proxy '%s': %s", proxy_arg, url_strerror(r));
		if (proxy.scheme != URL_HTTP)
			usage_error("bad --proxy '%s': only http:// proxies are supported",
				    proxy_arg);
		if (strcmp(proxy.path, "/") != 0)
			usage_error("bad --proxy '%s': a proxy URL has no path", proxy_arg);
		ko.proxy = &proxy;
	}
	if (mode == MODE_KERNEL && (ifname[0] || fo.dump_path || f.desync_after))
		usage_error("--iface, --dump-stream and --test-desync-after need --mode xdp or auto");
	if (ko.tls.insecure)
		fprintf(stderr, "feedrx: warning: --insecure: the server's certificate is NOT "
				"verified\n");

	ko.url = &url;
	ko.subscribe = n_subs ? subs : NULL;
	ko.n_subscribe = n_subs;

	/* a closed stdout or socket is an error to report, not a signal */
	signal(SIGPIPE, SIG_IGN);
	if (output__init(&f.out, out_kind, stdout)) {
		fprintf(stderr, "feedrx: cannot set up the output\n");
		return 1;
	}
	f.loop = ev_default_loop(EVFLAG_AUTO);
	if (!f.loop) {
		fprintf(stderr, "feedrx: cannot create the event loop\n");
		return 1;
	}
	if (f.stats_live || f.stats_json) {
		f.stats = lat_stats__new();
		if (!f.stats) {
			fprintf(stderr, "feedrx: out of memory\n");
			return 1;
		}
	}
	if (mode != MODE_KERNEL) {
		const struct url *via = ko.proxy ? ko.proxy : &url;

		r = 0;
		if (!ifname[0]) {
			char port[8];

			snprintf(port, sizeof(port), "%u", via->port);
			r = iface_route_to(via->host, port, ifname);
			if (r < 0)
				snprintf(err, sizeof(err), "cannot find the interface towards %s: %s",
					 via->host, strerror(-r));
		}
		if (r == 0 && iface_is_loopback(ifname)) {
			snprintf(err, sizeof(err), "%s is a loopback device: re-injected loopback "
				 "packets are dropped as martians", ifname);
			r = -EOPNOTSUPP;
		}
		if (r == 0) {
			fo.ifname = ifname;
			fo.proxied = ko.proxy != NULL;
			fo.max_message = ko.max_message;
			fo.check_utf8 = ko.check_utf8;
			fo.ctx = &f;
			fo.on_message = feedrx_on_fast_message;
			fo.on_failure = feedrx_on_fast_failure;
			fo.stamps = f.stats != NULL;
			fo.hash_streams = f.verbose; /* costs ~1 ns a byte: only when asked */
			fo.on_control = feedrx_on_fast_control;
			fo.on_tls_event = feedrx_on_fast_tls_event;
			r = fastpath__new(&f.fp, f.loop, &fo, err, sizeof(err));
		}
		if (r == 0) {
			f.dl = deliver__new(0);
			if (!f.dl) {
				fprintf(stderr, "feedrx: out of memory\n");
				return 1;
			}
			f.fast_sub_pending = n_subs > 0;
			kh.on_socket = feedrx_on_socket;
			kh.on_tls = feedrx_on_tls;
			kh.on_drained = feedrx_on_drained;
			fprintf(stderr, "feedrx: fast path: %s\n", fastpath__describe(f.fp));
		} else if (mode == MODE_XDP) {
			fprintf(stderr, "feedrx: --mode xdp: %s\n", err);
			return 1;
		} else {
			fprintf(stderr, "feedrx: XDP fast path unavailable (%s); using the kernel "
					"path\n", err);
		}
	}
	r = kconn__new(&f.conn, f.loop, &ko, &kh, err, sizeof(err));
	if (r) {
		fastpath__free(f.fp); /* detach XDP on this exit too */
		fprintf(stderr, "feedrx: %s\n", err);
		return r == -EINVAL ? FEEDRX_EXIT_USAGE : 1;
	}
	ev_signal_init(&f.sigint, feedrx_signal_cb, SIGINT);
	ev_signal_init(&f.sigterm, feedrx_signal_cb, SIGTERM);
	f.sigint.data = f.sigterm.data = &f;
	ev_signal_start(f.loop, &f.sigint);
	ev_signal_start(f.loop, &f.sigterm);
	ev_idle_init(&f.flush, feedrx_flush_cb);
	f.flush.data = &f;
	ev_timer_init(&f.reconnect, feedrx_reconnect_cb, 0., 0.);
	f.reconnect.data = &f;
	f.ko = &ko;
	f.kh = &kh;
	if (f.stats_live) {
		ev_timer_init(&f.stats_timer, feedrx_stats_cb, 1., 1.);
		f.stats_timer.data = &f;
		ev_timer_start(f.loop, &f.stats_timer);
		ev_unref(f.loop); /* the timer alone must not keep the loop running */
	}

	kconn__start(f.conn);
	if (!f.done)
		ev_run(f.loop, 0);

	ev_idle_stop(f.loop, &f.flush);
	if (output__flush(&f.out) && f.out.err != -EPIPE && f.status == 0) {
		fprintf(stderr, "feedrx: cannot write output: %s\n", strerror(-f.out.err));
		f.status = 1;
	}
	if (f.verbose && f.conn) {
		struct kconn_stats s;
		kconn__stats(f.conn, &s);
		fprintf(stderr,
			"feedrx: %llu messages, %llu payload bytes (%llu bytes after the "
			"upgrade), %llu pings, %llu pongs, %llu subscription replies; close "
			"sent %u, received %u\n",
			(unsigned long long)s.messages, (unsigned long long)s.bytes,
			(unsigned long long)s.rx_bytes, (unsigned long long)s.pings,
			(unsigned long long)s.pongs, (unsigned long long)s.replies, s.close_sent,
			s.close_received);
	}
	if (f.fp) {
		struct fastpath_stats fs;
		struct deliver_stats ds;

		fastpath__stats(f.fp, &fs);
		deliver__stats(f.dl, &ds);
		fprintf(stderr,
			"feedrx: delivered %llu messages: %llu from the fast path, %llu from the "
			"kernel path; shadow compared %llu, %llu different\n",
			f.delivered, (unsigned long long)ds.fast, (unsigned long long)ds.shadow,
			(unsigned long long)ds.compared, (unsigned long long)ds.mismatched);
		if (f.gaps)
			fprintf(stderr, "feedrx: %u gap%s: the fast path failed and --shadow discard "
					"reconnected\n", f.gaps, f.gaps == 1 ? "" : "s");
		if (f.verbose) {
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
				"feedrx: stream: kernel %llu bytes sha256 %s\n",
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
				(unsigned long long)fs.kernel_bytes, b);
		}
		if (f.stats) {
			lat_hist__merge(&f.stats->service, fastpath__service(f.fp));
			fastpath__xdp_counters(f.fp, f.stats->c.xdp);
			f.stats->c.drops = fs.segments_refused + fs.reinject_failed;
		}
	}
	if (f.stats) {
		if (f.stats_live)
			lat_stats__summary(f.stats, stderr);
		if (f.stats_json) {
			FILE *jf = fopen(f.stats_json, "w");

			if (!jf) {
				fprintf(stderr, "feedrx: cannot write %s: %s\n", f.stats_json,
					strerror(errno));
				f.status = 1;
			} else {
				lat_stats__json(f.stats, jf);
				fclose(jf);
			}
		}
	}
	kconn__free(f.conn);
	fastpath__free(f.fp);
	deliver__free(f.dl);
	lat_stats__free(f.stats);
	output__fini(&f.out);
	ev_loop_destroy(f.loop);
	return f.status ? 1 : 0;
}

/* feedrx — market-data feed receiver: command line, event loop, signals and
 * exit status. The connection itself is kconn (kernel sockets); the XDP
 * fast path will plug into kconn's hooks. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "kconn.h"
#include "output.h"
#include "subscribe.h"
#include "url.h"

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
};

static void usage(FILE *f)
{
	fputs("usage: feedrx [options] wss://host[:port]/path\n"
	      "\n"
	      "Receive a WebSocket-over-TLS market-data feed and print its messages.\n"
	      "\n"
	      "  --mode kernel|auto|xdp   receive path (default kernel; xdp not available yet)\n"
	      "  --output raw|none        raw: each message as received + newline on stdout\n"
	      "                           (default); none: count only\n"
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
	      "  --idle-timeout S         ping after S/2 s of silence, fail after S s\n"
	      "                           (default 60, 0 = off)\n"
	      "  --max-message BYTES      largest message, K/M suffixes (default 4M)\n"
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

static void feedrx_on_message(void *user, bool text, const uint8_t *p, size_t n)
{
	struct feedrx *f = user;
	int r;

	(void)text;
	r = output__message(&f->out, p, n);
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

static void feedrx_on_open(void *user)
{
	struct feedrx *f = user;

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
	enum feedrx_mode mode = MODE_KERNEL;
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
				usage_error("unknown --output '%s' (raw or none)", optarg);
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
	if (mode == MODE_XDP) {
		fprintf(stderr, "feedrx: --mode xdp: the XDP fast path is not available yet "
				"(use --mode kernel or auto)\n");
		return 1;
	}
	if (mode == MODE_AUTO)
		fprintf(stderr, "feedrx: XDP path not available yet, using kernel path\n");
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
	r = kconn__new(&f.conn, f.loop, &ko, &kh, err, sizeof(err));
	if (r) {
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

	kconn__start(f.conn);
	if (!f.done)
		ev_run(f.loop, 0);

	ev_idle_stop(f.loop, &f.flush);
	if (output__flush(&f.out) && f.out.err != -EPIPE && f.status == 0) {
		fprintf(stderr, "feedrx: cannot write output: %s\n", strerror(-f.out.err));
		f.status = 1;
	}
	if (f.verbose) {
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
	kconn__free(f.conn);
	ev_loop_destroy(f.loop);
	return f.status ? 1 : 0;
}

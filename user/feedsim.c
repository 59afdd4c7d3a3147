/* feedsim — the exchange simulator: a TLS WebSocket server that speaks
 * Binance's market-data streams (see sim_server.h, feedgen.h). This file is
 * the command line: options, defaults, signals and the loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>
#include <openssl/ssl.h>

#include "core/fx_log.h"
#include "sim/feedgen.h"
#include "sim/sim_limit.h"
#include "sim/sim_market_opts.h"
#include "sim/sim_server.h"

static const char usage[] =
	"Usage: feedsim [options]\n"
	"A TLS WebSocket server with Binance-style market data, for testing feedrx.\n"
	"\n"
	"  --listen ADDR:PORT     listen here; IPv6 as [ADDR]:PORT; repeatable\n"
	"                         (default 127.0.0.1:9443; port 0 picks one)\n"
	"  --cert FILE --key FILE\n"
	"                         server certificate chain and key, PEM (default:\n"
	"                         certs/server.pem and .key beside the binary)\n"
	"  --tls 1.2|1.3|any      TLS versions offered (default any)\n"
	"  --ciphers LIST         TLS 1.2 cipher list, as OpenSSL takes it\n"
	"  --ciphersuites LIST    TLS 1.3 cipher suites, as OpenSSL takes them\n"
	"  --keylog FILE          append TLS secrets (NSS key log) for Wireshark\n"
	"\n"
	"Streams: /ws/<stream>, /ws (then SUBSCRIBE), /stream?streams=<a>/<b>\n"
	"  (combined: {\"stream\":..,\"data\":..}); <stream> is <symbol>@trade,\n"
	"  @aggTrade, @bookTicker, @depth, @depth@100ms, or raw (random text).\n"
	"  --rate N               data messages/s per connection, 0 = flat out\n"
	"                         (default 1000)\n"
	"  --burst N              messages back to back per tick (default 1)\n"
	"  --record-per-msg       one TLS record per data message, even when several\n"
	"                         are due at once (a late tick): a latency baseline\n"
	"  --count N              messages per connection, then close 1000\n"
	"                         (default 0 = no limit)\n"
	"  --mix K=W,...          stream weights when several are subscribed\n"
	"                         (default trade=4,aggTrade=1,bookTicker=4,depth=1,raw=1)\n"
	"  --seed N               generator seed; same seed, same payloads (default 1)\n"
	"  --venue NAME           speak this venue's dialect: binance (default),\n"
	"                         binance-sbe (the upgrade needs X-MBX-APIKEY, else\n"
	"                         401; streams @trade @bestBidAsk @depth @depth20, data\n"
	"                         in binary SBE frames, --log lines in hex), okx\n"
	"                         (/ws/v5/public; books:, trades:, bbo-tbt:<instId>),\n"
	"                         bybit (/v5/public/spot|linear|inverse; orderbook.50.,\n"
	"                         orderbook.1., publicTrade.<SYMBOL>); data from the\n"
	"                         same generator, in the venue's shapes and ids\n"
	"  --drop-diff P          okx/bybit: drop each book update with probability P\n"
	"                         (0..1, from --seed): a gap in the venue's ids\n"
	"  --sizes MIN:MAX        raw payload sizes, 2..1048576 (default 2:4096)\n"
	"  --fragment N           send data messages as frames of <= N bytes\n"
	"  --no-ts                no \"ts_ns\" field: messages as Binance sends them\n"
	"  --key-update N         TLS 1.3 KeyUpdate every N data messages\n"
	"  --key-update-request   ... asking the client to update its keys too\n"
	"  --ping-interval S      ping every S seconds, 0 = never (default 20)\n"
	"  --pong-timeout S       close 1008 when a ping gets no pong in S s (default 60)\n"
	"  --max-frame N          largest client message, else close 1009 (default 65536)\n"
	"  --max-clients N        concurrent clients (default 256)\n"
	"  --log FILE             write every data payload sent, one per line\n"
	"  --hostile KIND         a hostile exchange: after the upgrade and --count\n"
	"                         (default 3) valid messages, or in the answer to\n"
	"                         the upgrade, send one attack; KIND is one of\n"
	"%s\n"
	"  --hostile-size BYTES   oversize: the message's length (default 4 MiB + 1)\n"
	"  --hostile-delay S      pause between the valid messages and the attack\n"
	"                         (default 0.1)\n"
	"\n"
	"Connection ends, as exchanges and networks do (-v: one line each):\n"
	"  --max-age S            close each connection S s after its upgrade with\n"
	"                         1001, then close_notify and FIN (Binance: 24 h)\n"
	"  --shutdown-notice S    a serverShutdown event S s before that, in the\n"
	"                         stream's format (default 1 with --max-age; 0 = none)\n"
	"  --cut-after N          cut each connection after N data messages\n"
	"  --cut-every S          cut each connection S s after its upgrade\n"
	"  --cut-random P         cut with probability P (0..1) in any one second,\n"
	"                         drawn from --seed and the connection's number\n"
	"  --cut-with HOW         fin (default): TCP FIN, no close frame, no\n"
	"                         close_notify; rst: TCP RST; stall: send nothing\n"
	"                         more, keep the socket open; mix: one of the three\n"
	"  --cut-seed N           draw --cut-random and mix from N, not --seed: A/B\n"
	"                         legs with one market and their own cuts\n"
	"  --conn-limit N/S       per client address at most N connections in any\n"
	"                         S s; the upgrade of one more gets 429 with\n"
	"                         Retry-After (Binance: 300/300)\n"
	"A/B (two instances, one --seed: the same payloads but for \"ts_ns\"):\n"
	"  --epoch-ms T           \"E\" and \"T\" = T + the message's place in the\n"
	"                         --rate schedule, not the clock (T at --rate 0)\n"
	"  --delay-ms D           start each connection's schedule D ms after its\n"
	"                         upgrade: this leg lags by D\n"
	"\n"
	"  --once                 exit after the first client disconnects (any\n"
	"                         connection, even a refused one)\n"
	"  -v, --verbose          one line per client event on stderr\n"
	"  -h, --help             this text\n"
	"\n"
	"Every data message but raw ends with \"ts_ns\" (unless --no-ts): CLOCK_MONOTONIC ns when it\n"
	"was written out. JSON methods: SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS,\n"
	"SET_PROPERTY/GET_PROPERTY [\"combined\"]. SIGINT/SIGTERM close every\n"
	"client with 1001 and exit 0.\n";

enum {
	OPT_LISTEN = 256, OPT_RECORD_PER_MSG, OPT_CERT, OPT_KEY, OPT_TLS, OPT_CIPHERS, OPT_SUITES, OPT_KEYLOG,
	OPT_RATE, OPT_BURST, OPT_COUNT, OPT_MIX, OPT_SEED, OPT_SIZES, OPT_FRAGMENT,
	OPT_KEY_UPDATE, OPT_KEY_UPDATE_REQ, OPT_PING, OPT_PONG, OPT_MAX_FRAME, OPT_MAX_CLIENTS, OPT_LOG, OPT_ONCE,
	OPT_HOSTILE, OPT_HOSTILE_SIZE, OPT_HOSTILE_DELAY, OPT_NO_TS, OPT_MAX_AGE, OPT_NOTICE,
	OPT_CUT_AFTER, OPT_CUT_EVERY, OPT_CUT_RANDOM, OPT_CUT_SEED, OPT_CUT_WITH, OPT_CONN_LIMIT, OPT_EPOCH,
	OPT_DELAY, OPT_VENUE, OPT_DROP_DIFF,
};

static const struct option options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "tls", required_argument, NULL, OPT_TLS },
	{ "ciphers", required_argument, NULL, OPT_CIPHERS },
	{ "ciphersuites", required_argument, NULL, OPT_SUITES },
	{ "keylog", required_argument, NULL, OPT_KEYLOG },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "record-per-msg", no_argument, NULL, OPT_RECORD_PER_MSG },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "mix", required_argument, NULL, OPT_MIX },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "venue", required_argument, NULL, OPT_VENUE },
	{ "drop-diff", required_argument, NULL, OPT_DROP_DIFF },
	{ "sizes", required_argument, NULL, OPT_SIZES },
	{ "fragment", required_argument, NULL, OPT_FRAGMENT },
	{ "no-ts", no_argument, NULL, OPT_NO_TS },
	{ "key-update", required_argument, NULL, OPT_KEY_UPDATE },
	{ "key-update-request", no_argument, NULL, OPT_KEY_UPDATE_REQ },
	{ "ping-interval", required_argument, NULL, OPT_PING },
	{ "pong-timeout", required_argument, NULL, OPT_PONG },
	{ "max-frame", required_argument, NULL, OPT_MAX_FRAME },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "hostile", required_argument, NULL, OPT_HOSTILE },
	{ "hostile-size", required_argument, NULL, OPT_HOSTILE_SIZE },
	{ "hostile-delay", required_argument, NULL, OPT_HOSTILE_DELAY },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "shutdown-notice", required_argument, NULL, OPT_NOTICE },
	{ "cut-after", required_argument, NULL, OPT_CUT_AFTER },
	{ "cut-every", required_argument, NULL, OPT_CUT_EVERY },
	{ "cut-random", required_argument, NULL, OPT_CUT_RANDOM },
	{ "cut-with", required_argument, NULL, OPT_CUT_WITH },
	{ "cut-seed", required_argument, NULL, OPT_CUT_SEED },
	{ "conn-limit", required_argument, NULL, OPT_CONN_LIMIT },
	{ "epoch-ms", required_argument, NULL, OPT_EPOCH },
	{ "delay-ms", required_argument, NULL, OPT_DELAY },
	SIM_MARKET_OPTIONS,
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The usage text with the --hostile kinds indented under their option. */
static void print_usage(void)
{
	static char outbuf[1 << 16]; /* glibc ignores the size without a buffer */
	static const char indent[] = "                         ";
	char kinds[1024];
	size_t n = 0;

	memcpy(kinds, indent, sizeof(indent) - 1);
	n = sizeof(indent) - 1;
	for (const char *k = sim_hostile_kinds; *k; k++) {
		kinds[n++] = *k;
		if (*k == '\n') {
			memcpy(kinds + n, indent, sizeof(indent) - 1);
			n += sizeof(indent) - 1;
		}
	}
	kinds[n] = 0;
	/* one write: a reader that stops early (grep -q) must not kill us
	 * with SIGPIPE between two stdio buffers */
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	printf(usage, kinds);
	fputs(sim_market_usage, stdout);
}

static void __attribute__((noreturn, format(printf, 1, 2))) die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("feedsim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		die_usage("%s: not a number: '%s'", opt, s);
	v = strtoull(s, &end, 10);
	if (*end)
		die_usage("%s: not a number: '%s'", opt, s);
	if (errno || v < min || v > max)
		die_usage("%s: out of range (%llu..%llu): '%s'", opt, (unsigned long long)min,
			  (unsigned long long)max, s);
	return v;
}

static double parse_secs(const char *opt, const char *s, double max)
{
	char *end;
	double v;

	if (!((*s >= '0' && *s <= '9') || *s == '.'))
		die_usage("%s: not a number: '%s'", opt, s);
	v = strtod(s, &end);
	if (*end || !isfinite(v))
		die_usage("%s: not a number: '%s'", opt, s);
	if (v < 0 || v > max)
		die_usage("%s: out of range (0..%g): '%s'", opt, max, s);
	return v;
}

static void parse_listen(struct sim_server_config *cfg, const char *s)
{
	struct sim_listen *l;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port_s;
	size_t hl;
	uint64_t port;

	if (cfg->nlisten == SIM_SERVER_MAX_LISTEN)
		die_usage("--listen: at most %d addresses", SIM_SERVER_MAX_LISTEN);
	l = &cfg->listen[cfg->nlisten];
	colon = strrchr(s, ':');
	if (!colon || strlen(s) >= sizeof(l->text))
		die_usage("--listen: expected IPv4:PORT or [IPv6]:PORT: '%s'", s);
	hl = (size_t)(colon - s);
	port_s = colon + 1;
	if (hl >= sizeof(host))
		die_usage("--listen: expected IPv4:PORT or [IPv6]:PORT: '%s'", s);
	memcpy(host, s, hl);
	host[hl] = 0;
	port = parse_u64("--listen", port_s, 0, 65535);
	memset(&l->addr, 0, sizeof(l->addr));
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&l->addr;

		host[hl - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			die_usage("--listen: not an IPv6 address: '%s'", s);
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		l->len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&l->addr;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			die_usage("--listen: expected IPv4:PORT or [IPv6]:PORT: '%s'", s);
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		l->len = sizeof(*a);
	}
	strcpy(l->text, s);
	cfg->nlisten++;
}

/* Default certificate: <dir of the binary>/certs/server.{pem,key}, as
 * scripts/certs.sh makes them in build/certs. */
static void default_certs(struct sim_server_config *cfg, char *cert, char *key, size_t n)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *dir;

	if (len <= 0)
		die_usage("no --cert given and the binary's directory is unknown");
	exe[len] = 0;
	dir = dirname(exe);
	snprintf(cert, n, "%s/certs/server.pem", dir);
	snprintf(key, n, "%s/certs/server.key", dir);
	if (access(cert, R_OK) || access(key, R_OK))
		die_usage("no --cert/--key given and %s is missing: make test certificates with "
			  "'bash scripts/certs.sh %s/certs'", access(cert, R_OK) ? cert : key, dir);
	cfg->tls.cert = cert;
	cfg->tls.key = key;
}

static void parse_args(int argc, char **argv, struct sim_server_config *cfg, bool *notice_set)
{
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":vh", options, NULL)) != -1) {
		const char *a = optarg;

		switch (opt) {
		case OPT_LISTEN:
			parse_listen(cfg, a);
			break;
		case OPT_CERT:
			cfg->tls.cert = a;
			break;
		case OPT_KEY:
			cfg->tls.key = a;
			break;
		case OPT_TLS:
			if (!strcmp(a, "1.2"))
				cfg->tls.tls_min = cfg->tls.tls_max = TLS1_2_VERSION;
			else if (!strcmp(a, "1.3"))
				cfg->tls.tls_min = cfg->tls.tls_max = TLS1_3_VERSION;
			else if (!strcmp(a, "any"))
				cfg->tls.tls_min = TLS1_2_VERSION, cfg->tls.tls_max = 0;
			else
				die_usage("--tls: expected 1.2, 1.3 or any: '%s'", a);
			break;
		case OPT_CIPHERS:
			cfg->tls.ciphers = a;
			break;
		case OPT_SUITES:
			cfg->tls.ciphersuites = a;
			break;
		case OPT_KEYLOG:
			cfg->tls.keylog = a;
			break;
		case OPT_RATE:
			cfg->rate = parse_secs("--rate", a, 1e9);
			break;
		case OPT_BURST:
			cfg->burst = (unsigned)parse_u64("--burst", a, 1, 1000000);
			break;
		case OPT_COUNT:
			cfg->count = parse_u64("--count", a, 0, UINT64_MAX);
			break;
		case OPT_MIX:
			if (feedgen_parse_mix(a, cfg->gen.weight))
				die_usage("--mix: expected NAME=WEIGHT,... with NAME one of trade, "
					  "aggTrade, bookTicker, depth, depth@100ms, raw: '%s'", a);
			break;
		case OPT_SEED:
			cfg->gen.seed = parse_u64("--seed", a, 0, UINT64_MAX);
			break;
		case OPT_VENUE: {
			bool known;

			cfg->sbe = strcmp(a, "binance-sbe") == 0; /* the last --venue wins */
			if (cfg->sbe) {
				cfg->dialect = NULL;
				break;
			}
			cfg->dialect = sim_dialect_find(a, &known);
			if (!known)
				die_usage("--venue: one of %s, not '%s'", sim_dialect_names(), a);
			break;
		}
		case OPT_DROP_DIFF:
			/* okx/bybit: per connection (sim_dialect); --market: in
			 * the market itself, so nobody gets the dropped diff */
			cfg->drop_diff = parse_secs("--drop-diff", a, 1);
			cfg->market.drop_diff = cfg->drop_diff;
			break;
		case OPT_SIZES: {
			char lo[32];
			const char *c = strchr(a, ':');

			if (!c || (size_t)(c - a) >= sizeof(lo))
				die_usage("--sizes: expected MIN:MAX: '%s'", a);
			memcpy(lo, a, (size_t)(c - a));
			lo[c - a] = 0;
			cfg->gen.raw_min = (uint32_t)parse_u64("--sizes", lo, FEEDGEN_RAW_MIN, FEEDGEN_RAW_MAX);
			cfg->gen.raw_max = (uint32_t)parse_u64("--sizes", c + 1, FEEDGEN_RAW_MIN, FEEDGEN_RAW_MAX);
			if (cfg->gen.raw_min > cfg->gen.raw_max)
				die_usage("--sizes: MIN is larger than MAX: '%s'", a);
			break;
		}
		case OPT_FRAGMENT:
			cfg->fragment = (size_t)parse_u64("--fragment", a, 0, FEEDGEN_RAW_MAX);
			break;
		case OPT_NO_TS:
			cfg->no_ts = true;
			break;
		case OPT_RECORD_PER_MSG:
			cfg->record_per_msg = true;
			break;
		case OPT_KEY_UPDATE:
			cfg->key_update = parse_u64("--key-update", a, 0, UINT64_MAX);
			break;
		case OPT_KEY_UPDATE_REQ:
			cfg->key_update_request = true;
			break;
		case OPT_PING:
			cfg->ping_interval = parse_secs("--ping-interval", a, 86400);
			break;
		case OPT_PONG:
			cfg->pong_timeout = parse_secs("--pong-timeout", a, 86400);
			break;
		case OPT_MAX_FRAME:
			cfg->max_msg = (size_t)parse_u64("--max-frame", a, 125, 16 << 20);
			break;
		case OPT_MAX_CLIENTS:
			cfg->max_clients = (unsigned)parse_u64("--max-clients", a, 1, 100000);
			break;
		case OPT_LOG:
			cfg->log_path = a;
			break;
		case OPT_ONCE:
			cfg->once = true;
			break;
		case OPT_HOSTILE:
			if (sim_hostile_kind_parse(a, &cfg->hostile))
				die_usage("--hostile: unknown kind '%s' (see --help)", a);
			break;
		case OPT_HOSTILE_SIZE:
			cfg->hostile_size = parse_u64("--hostile-size", a, 1, UINT64_MAX >> 1);
			break;
		case OPT_HOSTILE_DELAY:
			cfg->hostile_delay = parse_secs("--hostile-delay", a, 60);
			break;
		case OPT_MAX_AGE:
			cfg->max_age = parse_secs("--max-age", a, 86400 * 7);
			if (!(cfg->max_age > 0))
				die_usage("--max-age: must be above 0: '%s'", a);
			break;
		case OPT_NOTICE:
			cfg->shutdown_notice = parse_secs("--shutdown-notice", a, 86400 * 7);
			*notice_set = true;
			break;
		case OPT_CUT_AFTER:
			cfg->cut.after = parse_u64("--cut-after", a, 1, UINT64_MAX >> 1);
			break;
		case OPT_CUT_EVERY:
			cfg->cut.every = parse_secs("--cut-every", a, 86400 * 7);
			if (!(cfg->cut.every > 0))
				die_usage("--cut-every: must be above 0: '%s'", a);
			break;
		case OPT_CUT_RANDOM:
			cfg->cut.random_p = parse_secs("--cut-random", a, 1);
			if (!(cfg->cut.random_p > 0 && cfg->cut.random_p < 1))
				die_usage("--cut-random: a probability above 0 and below 1: '%s'", a);
			break;
		case OPT_CUT_SEED:
			cfg->cut.seed = parse_u64("--cut-seed", a, 1, UINT64_MAX);
			break;
		case OPT_CUT_WITH:
			if (sim_cut_how_parse(a, &cfg->cut.how))
				die_usage("--cut-with: fin, rst, stall or mix, not '%s'", a);
			break;
		case OPT_CONN_LIMIT: {
			char n[32];
			const char *sl = strchr(a, '/');

			if (!sl || (size_t)(sl - a) >= sizeof(n))
				die_usage("--conn-limit: expected N/SECONDS: '%s'", a);
			memcpy(n, a, (size_t)(sl - a));
			n[sl - a] = 0;
			cfg->conn_limit = (unsigned)parse_u64("--conn-limit", n, 1, SIM_LIMIT_N_MAX);
			cfg->conn_window = parse_secs("--conn-limit", sl + 1, 86400);
			if (!(cfg->conn_window > 0))
				die_usage("--conn-limit: SECONDS must be above 0: '%s'", a);
			break;
		}
		case OPT_EPOCH:
			cfg->epoch_ms = (int64_t)parse_u64("--epoch-ms", a, 0, (uint64_t)1 << 52);
			cfg->epoch = true;
			break;
		case OPT_DELAY:
			cfg->delay = (double)parse_u64("--delay-ms", a, 0, 3600000) / 1000;
			break;
		case 'v':
			fx_log_set_level(FX_LOG_INFO); /* one line per client event */
			break;
		case 'h':
			print_usage();
			exit(0);
		case ':':
			die_usage("%s: needs a value", argv[optind - 1]);
		default: {
			char why[160];
			int r = sim_market_opt(opt, a, cfg, why, sizeof(why));

			if (r < 0)
				die_usage("%s", why);
			if (r > 0)
				break;
			die_usage("unknown option '%s' (see --help)", argv[optind - 1]);
		}
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s' (see --help)", argv[optind]);
	{
		char why[160];

		if (sim_market_opts_check(cfg, why, sizeof(why)))
			die_usage("%s", why);
	}
}

/* SIGUSR1: a --book-dump checkpoint (market mode). */
static void on_usr1(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	if (sim_server_market(w->data))
		sim_market__checkpoint(sim_server_market(w->data));
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	sim_server__shutdown(w->data, 1001);
}

int main(int argc, char **argv)
{
	static char cert[PATH_MAX + 32], key[PATH_MAX + 32];
	struct sim_server_config cfg;
	struct sim_server *srv = NULL;
	struct ev_loop *loop;
	ev_signal sigint, sigterm, sigusr1;
	struct fx_error err;
	bool notice_set = false;
	int rc;

	fx_log_set_prefix("feedsim"); /* the library's messages say who speaks */
	memset(&cfg, 0, sizeof(cfg));
	feedgen_config_default(&cfg.gen);
	cfg.rate = 1000;
	cfg.burst = 1;
	cfg.ping_interval = 20;
	cfg.pong_timeout = 60;
	cfg.max_msg = 65536;
	cfg.max_clients = 256;
	cfg.hostile_delay = 0.1;
	parse_args(argc, argv, &cfg, &notice_set);
	if (cfg.max_age > 0 && !notice_set)
		cfg.shutdown_notice = 1; /* as Binance: the notice shortly before the cut */
	if (cfg.hostile && !cfg.count)
		cfg.count = 3; /* the valid messages before the attack */
	if (!cfg.nlisten)
		parse_listen(&cfg, "127.0.0.1:9443");
	if (!cfg.tls.cert && !cfg.tls.key)
		default_certs(&cfg, cert, key, sizeof(cert));
	else if (!cfg.tls.key)
		cfg.tls.key = cfg.tls.cert; /* one PEM holding both */
	else if (!cfg.tls.cert)
		die_usage("--key needs --cert");
	if (access(cfg.tls.cert, R_OK))
		die_usage("--cert %s: %s", cfg.tls.cert, strerror(errno));
	if (access(cfg.tls.key, R_OK))
		die_usage("--key %s: %s", cfg.tls.key, strerror(errno));

	signal(SIGPIPE, SIG_IGN);
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		fprintf(stderr, "feedsim: cannot start the event loop\n");
		return 1;
	}
	rc = sim_server__new(&srv, loop, &cfg, &err);
	if (rc) {
		fprintf(stderr, "feedsim: %s\n", err.msg);
		return 1;
	}
	for (unsigned i = 0; sim_server_listen_text(srv, i); i++)
		fprintf(stderr, "feedsim: listening on %s\n", sim_server_listen_text(srv, i));
	ev_signal_init(&sigint, on_signal, SIGINT);
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	sigint.data = sigterm.data = srv;
	ev_signal_start(loop, &sigint);
	ev_signal_start(loop, &sigterm);
	ev_signal_init(&sigusr1, on_usr1, SIGUSR1);
	sigusr1.data = srv;
	ev_signal_start(loop, &sigusr1);
	ev_run(loop, 0);
	ev_signal_stop(loop, &sigusr1);
	ev_signal_stop(loop, &sigint);
	ev_signal_stop(loop, &sigterm);
	sim_server__free(srv);
	ev_loop_destroy(loop);
	return 0;
}

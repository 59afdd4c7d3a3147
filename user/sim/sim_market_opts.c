/* sim_market_opts — market-mode options of feedsim (see sim_market_opts.h). */
#include "sim_market_opts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_server.h"

const char sim_market_usage[] =
	"\n"
	"Market mode (one market timeline; every connection a view of it):\n"
	"  --market               one process-wide market: --rate N is messages/s of\n"
	"                         the whole market (streams drawn by --mix), every\n"
	"                         connection gets its streams' messages from the\n"
	"                         moment it subscribes, identical ids for all; a cut\n"
	"                         client misses what is published until it is back.\n"
	"                         --rate 0: flat out, paced by the slowest client;\n"
	"                         --rate N: a client a whole --market-buffer behind\n"
	"                         is closed 1008 \"slow consumer\". --delay-ms D: each\n"
	"                         message goes out D ms after its publication.\n"
	"  --symbols LIST         the market's universe: sym1,sym2 (every stream kind\n"
	"                         with a --mix weight), full stream names (x@trade),\n"
	"                         or a number N (s000usdt .. ); streams a client asks\n"
	"                         for that are not in it join it\n"
	"  --market-buffer N      messages kept for views (default 65536)\n"
	"  --truth FILE           every published message (P seq stream ids) and\n"
	"                         every view's range (V conn stream from to end);\n"
	"                         read by tests/check_feed.py\n"
	"  --book-dump DIR        true books at checkpoints: DIR/book-N.jsonl, one\n"
	"                         line per symbol and depth stream; on SIGUSR1 and\n"
	"  --book-every N         every N published messages\n"
	"  --drop-diff P          drop a depth message with probability P (a real gap)\n"
	"  --reorder-diff P       publish a depth message after its successor, prob. P\n"
	"REST snapshots (market mode; HTTP/1.1 and h2 by ALPN, same listeners):\n"
	"  GET /api/v3/depth?symbol=X&limit=N, GET /fapi/v1/depth?symbol=X&limit=N\n"
	"  --rest-weight N        request weight per address per minute, 0 = no\n"
	"                         limit (default 6000); over it: 429 + Retry-After\n"
	"  --snapshot-delay-ms D  take the book at the request, answer D ms later\n"
	"  --snapshot-stale P     with probability P answer the previous snapshot\n"
	"  --rest-429 P           answer 429 (Retry-After: 1) with probability P\n"
	"A/B from one instance (any mode):\n"
	"  --listen-delay-ms PORT=D  connections that came in on listener port PORT\n"
	"                         lag by D ms instead of --delay-ms (repeatable)\n";

static int prob(const char *opt, const char *a, double *out, char *why, size_t n)
{
	char *end;
	double v = strtod(a, &end);

	if (!*a || *end || !isfinite(v) || v < 0 || v > 1) {
		snprintf(why, n, "%s: a probability 0..1: '%s'", opt, a);
		return -1;
	}
	*out = v;
	return 1;
}

static int count(const char *opt, const char *a, unsigned long long max, unsigned long long *out,
		 char *why, size_t n)
{
	char *end;
	unsigned long long v;

	if (*a < '0' || *a > '9' || (v = strtoull(a, &end, 10), *end) || v > max) {
		snprintf(why, n, "%s: a number 0..%llu: '%s'", opt, max, a);
		return -1;
	}
	*out = v;
	return 1;
}

int sim_market_opt(int opt, const char *a, struct sim_server_config *cfg, char *why, size_t n)
{
	struct sim_market_config *m = &cfg->market;
	unsigned long long v = 0;
	int r;

	switch (opt - SIM_MARKET_OPT_BASE) {
	case 0:
		m->on = true;
		return 1;
	case 1:
		m->symbols = a;
		return 1;
	case 2:
		m->truth_path = a;
		return 1;
	case 3:
		m->book_dir = a;
		return 1;
	case 4:
		r = count("--book-every", a, 1ULL << 40, &v, why, n);
		m->book_every = v;
		return r;
	case 5:
		return prob("--drop-diff", a, &m->drop_diff, why, n);
	case 6:
		return prob("--reorder-diff", a, &m->reorder_diff, why, n);
	case 7:
		r = count("--market-buffer", a, 1 << 24, &v, why, n);
		if (r > 0 && v < 64) {
			snprintf(why, n, "--market-buffer: at least 64: '%s'", a);
			return -1;
		}
		m->buffer = (unsigned)v;
		return r;
	case 8:
		r = count("--snapshot-delay-ms", a, 600000, &v, why, n);
		cfg->rest.delay = (double)v / 1000;
		return r;
	case 9:
		return prob("--snapshot-stale", a, &cfg->rest.stale_p, why, n);
	case 10:
		return prob("--rest-429", a, &cfg->rest.fail_p, why, n);
	case 11:
		r = count("--rest-weight", a, 1000000000, &v, why, n);
		cfg->rest.weight_limit = (unsigned)v;
		cfg->rest.no_weight_limit = v == 0;
		return r;
	case 12: {
		const char *eq = strchr(a, '=');
		char port[8];
		unsigned long long d;

		if (!eq || eq == a || (size_t)(eq - a) >= sizeof(port)) {
			snprintf(why, n, "--listen-delay-ms: expected PORT=MS: '%s'", a);
			return -1;
		}
		memcpy(port, a, (size_t)(eq - a));
		port[eq - a] = 0;
		if (cfg->nleg_delay == SIM_SERVER_MAX_LISTEN) {
			snprintf(why, n, "--listen-delay-ms: at most %d", SIM_SERVER_MAX_LISTEN);
			return -1;
		}
		if (count("--listen-delay-ms", port, 65535, &v, why, n) < 0 ||
		    count("--listen-delay-ms", eq + 1, 3600000, &d, why, n) < 0)
			return -1;
		cfg->leg_delay[cfg->nleg_delay].port = (uint16_t)v;
		cfg->leg_delay[cfg->nleg_delay].delay = (double)d / 1000;
		cfg->nleg_delay++;
		return 1;
	}
	default:
		return 0;
	}
}

int sim_market_opts_check(const struct sim_server_config *cfg, char *why, size_t n)
{
	const struct sim_market_config *m = &cfg->market;

	/* --drop-diff alone is also the okx/bybit dialects' (per connection) */
	if (!m->on && (m->symbols || m->truth_path || m->book_dir || m->book_every ||
		       (m->drop_diff > 0 && !cfg->dialect) || m->reorder_diff > 0 || cfg->rest.delay > 0 ||
		       cfg->rest.stale_p > 0 || cfg->rest.fail_p > 0)) {
		snprintf(why, n, "--symbols, --truth, --book-*, --*-diff, --snapshot-* and --rest-* "
				 "need --market");
		return -1;
	}
	if (m->book_every && !m->book_dir) {
		snprintf(why, n, "--book-every needs --book-dump DIR");
		return -1;
	}
	return 0;
}

// tool_https_get — REST GETs through feedrx's own client (rest/https_get,
// paced by rest/rest_pacer), for integration tests against feedsim's
// snapshot endpoints and for trying a real exchange by hand.
//
//   tool_https_get [--cafile F | --insecure] [--proxy http://h:p] [--h1]
//                  [--weight W] [--budget B] [--window S] [--repeat N]
//                  [--body] https://host[:port] PATH...
//
// Each PATH is requested N times (default 1) with weight W (default 5),
// within a budget of B (6000) per S (60) seconds. One line per answer on
// stdout, in completion order:
//   <path> <status> <body bytes> <h2|http/1.1> [retry-after=S] [weight=W]
// or "<path> error <text>"; with --body the body follows on its own line.
// Exit status: 0 when every answer was a 2xx, 1 otherwise, 2 on bad usage.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/https_get.h"
#include "rest/rest_pacer.h"

struct job {
	const char *path;
};

static int left, bad;
static int print_body;
static struct ev_loop *loop;

static void on_answer(void *user, const struct https_response *r)
{
	struct job *j = user;

	if (r->err) {
		printf("%s error %s\n", j->path, r->error);
		bad = 1;
	} else {
		printf("%s %d %zu %s", j->path, r->status, r->body_len, r->h2 ? "h2" : "http/1.1");
		if (r->retry_after >= 0)
			printf(" retry-after=%g", r->retry_after);
		if (r->used_weight >= 0)
			printf(" weight=%ld", r->used_weight);
		printf("\n");
		if (print_body)
			printf("%.*s\n", (int)r->body_len, r->body);
		if (r->status / 100 != 2)
			bad = 1;
	}
	fflush(stdout);
	if (--left == 0)
		ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"cafile", required_argument, NULL, 'c'}, {"insecure", no_argument, NULL, 'k'},
	    {"proxy", required_argument, NULL, 'p'},  {"h1", no_argument, NULL, '1'},
	    {"weight", required_argument, NULL, 'w'}, {"budget", required_argument, NULL, 'b'},
	    {"window", required_argument, NULL, 's'}, {"repeat", required_argument, NULL, 'n'},
	    {"body", no_argument, NULL, 'B'},	      {NULL, 0, NULL, 0},
	};
	struct https_get_opts o = {0};
	struct rest_sched_opts so = {0};
	struct url url, proxy;
	struct https_get *c;
	struct rest_pacer *p;
	struct fx_error e;
	struct job *jobs;
	unsigned weight = 5, repeat = 1;
	int ch, npaths;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.tls.cafile = optarg;
			break;
		case 'k':
			o.tls.insecure = true;
			break;
		case 'p':
			if (url_parse(optarg, &proxy) || proxy.scheme != URL_HTTP) {
				fprintf(stderr, "tool_https_get: bad --proxy %s\n", optarg);
				return 2;
			}
			o.proxy = &proxy;
			break;
		case '1':
			o.no_h2 = true;
			break;
		case 'w':
			weight = (unsigned)atoi(optarg);
			break;
		case 'b':
			so.budget = (uint32_t)atoi(optarg);
			break;
		case 's':
			so.window = atof(optarg);
			break;
		case 'n':
			repeat = (unsigned)atoi(optarg);
			break;
		case 'B':
			print_body = 1;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind < 2 || url_parse(argv[optind], &url) || url.scheme != URL_HTTPS) {
		fprintf(stderr, "usage: tool_https_get [options] https://host[:port] PATH...\n");
		return 2;
	}
	npaths = argc - optind - 1;
	so.burst = so.budget ? so.budget : 6000;
	so.max_jobs = (unsigned)npaths * repeat + 1;
	o.url = &url;
	o.max_queue = 16;
	loop = EV_DEFAULT;
	if (https_get__new(&c, loop, &o, &e)) {
		fprintf(stderr, "tool_https_get: %s\n", e.msg);
		return 2;
	}
	if (rest_pacer__new(&p, loop, c, &so)) {
		fprintf(stderr, "tool_https_get: cannot set up the pacer\n");
		return 2;
	}
	jobs = calloc((size_t)npaths, sizeof(*jobs));
	for (int i = 0; i < npaths; i++) {
		jobs[i].path = argv[optind + 1 + i];
		for (unsigned k = 0; k < repeat; k++) {
			int r = rest_pacer__get(p, jobs[i].path, weight, on_answer, &jobs[i]);
			if (r) {
				fprintf(stderr, "tool_https_get: %s: cannot queue (%d)\n",
					jobs[i].path, r);
				return 2;
			}
			left++;
		}
	}
	ev_run(loop, 0);
	fprintf(stderr, "tool_https_get: %u connection(s), %s\n", https_get__connections(c),
		https_get__protocol(c));
	https_get__free(c);
	rest_pacer__free(p);
	free(jobs);
	return bad;
}

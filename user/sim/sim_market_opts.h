/* sim_market_opts — feedsim's command-line options for market mode, the
 * truth logs and the REST endpoints, kept out of feedsim.c so that other
 * option groups can grow there without touching these. */
#ifndef FEEDRX_SIM_MARKET_OPTS_H
#define FEEDRX_SIM_MARKET_OPTS_H

#include <getopt.h>
#include <stddef.h>

struct sim_server_config;

#define SIM_MARKET_OPT_BASE 0x1000

/* getopt_long entries, spliced into feedsim's option table. */
#define SIM_MARKET_OPTIONS                                                   \
	{ "market", no_argument, NULL, SIM_MARKET_OPT_BASE + 0 },            \
	{ "symbols", required_argument, NULL, SIM_MARKET_OPT_BASE + 1 },     \
	{ "truth", required_argument, NULL, SIM_MARKET_OPT_BASE + 2 },       \
	{ "book-dump", required_argument, NULL, SIM_MARKET_OPT_BASE + 3 },   \
	{ "book-every", required_argument, NULL, SIM_MARKET_OPT_BASE + 4 },  \
	{ "drop-diff", required_argument, NULL, SIM_MARKET_OPT_BASE + 5 },   \
	{ "reorder-diff", required_argument, NULL, SIM_MARKET_OPT_BASE + 6 },\
	{ "market-buffer", required_argument, NULL, SIM_MARKET_OPT_BASE + 7 },\
	{ "snapshot-delay-ms", required_argument, NULL, SIM_MARKET_OPT_BASE + 8 },\
	{ "snapshot-stale", required_argument, NULL, SIM_MARKET_OPT_BASE + 9 },\
	{ "rest-429", required_argument, NULL, SIM_MARKET_OPT_BASE + 10 },   \
	{ "rest-weight", required_argument, NULL, SIM_MARKET_OPT_BASE + 11 },\
	{ "listen-delay-ms", required_argument, NULL, SIM_MARKET_OPT_BASE + 12 }

/* The usage section of these options. */
extern const char sim_market_usage[];

/* Apply one option: 1 handled, 0 not one of ours, -1 bad value (a
 * one-line reason in why). */
int sim_market_opt(int opt, const char *arg, struct sim_server_config *cfg, char *why,
		   size_t why_len);

/* Checks after all options: 0, or -1 with a reason (e.g. --truth without
 * --market). */
int sim_market_opts_check(const struct sim_server_config *cfg, char *why, size_t why_len);

#endif

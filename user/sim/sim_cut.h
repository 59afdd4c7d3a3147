/* sim_cut — when and how feedsim ends a connection the way a real exchange
 * (or the network in between) does: the pure parts, no sockets.
 *
 * - A cut plan per connection: --cut-after N messages, --cut-every S
 *   seconds after the upgrade, or --cut-random P (a cut in any given second
 *   with probability P, drawn from --seed and the connection's number, so a
 *   run is repeatable); the earliest applies. How: fin (TCP FIN, no close
 *   frame, no close_notify), rst (an RST), stall (nothing sent any more,
 *   the socket stays open and is read), or mix (one of the three, drawn).
 * - Binance's serverShutdown notice, sent before --max-age closes a
 *   connection: {"e":"serverShutdown","E":<ms>} on a raw stream, in the
 *   envelope {"stream":"!serverShutdown","data":{...}} on a combined one.
 */
#ifndef FEEDRX_SIM_CUT_H
#define FEEDRX_SIM_CUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sim_cut_how {
	SIM_CUT_NONE = 0,
	SIM_CUT_FIN,   /* shutdown(SHUT_WR), read until EOF, close */
	SIM_CUT_RST,   /* SO_LINGER 0, close */
	SIM_CUT_STALL, /* send nothing more; keep reading */
	SIM_CUT_MIX,   /* one of the three above per connection, drawn */
};

struct sim_cut_config {
	uint64_t after;	      /* cut after this many data messages, 0 = never */
	double every;	      /* s after the upgrade, 0 = never */
	double random_p;      /* probability of a cut per second, 0 = never */
	enum sim_cut_how how; /* NONE means FIN */
	uint64_t seed;	      /* --cut-seed: the draws' seed (0 = --seed's) */
};

/* One connection's cut: `at` seconds after its upgrade (0 = no timed cut;
 * --cut-after is counted by the server) with `how` (never MIX). */
struct sim_cut_plan {
	double at;
	enum sim_cut_how how;
};

/* "fin", "rst", "stall", "mix": 0, or -EINVAL. */
int sim_cut_how_parse(const char *s, enum sim_cut_how *out);
const char *sim_cut_how_name(enum sim_cut_how how);

/* True when any kind of cut is configured. */
bool sim_cut_enabled(const struct sim_cut_config *cfg);

/* The plan of connection number `conn` (1, 2, ...) for this seed. The same
 * seed and number always give the same plan. */
void sim_cut_plan_make(const struct sim_cut_config *cfg, uint64_t seed, uint64_t conn,
		       struct sim_cut_plan *out);

/* Longest notice text, envelope included. */
#define SIM_CUT_NOTICE_MAX 96

/* Write the serverShutdown notice with "E":e_ms. Returns its length, or 0
 * when cap is below SIM_CUT_NOTICE_MAX. */
size_t sim_cut_notice(char *out, size_t cap, bool combined, int64_t e_ms);

#endif

/* sim_cut — cut plans and the serverShutdown notice (see sim_cut.h). */
#include "sim_cut.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const how_names[] = {
    [SIM_CUT_NONE] = "none",   [SIM_CUT_FIN] = "fin", [SIM_CUT_RST] = "rst",
    [SIM_CUT_STALL] = "stall", [SIM_CUT_MIX] = "mix",
};

int sim_cut_how_parse(const char *s, enum sim_cut_how *out)
{
	for (int i = SIM_CUT_FIN; i <= SIM_CUT_MIX; i++) {
		if (!strcmp(s, how_names[i])) {
			*out = (enum sim_cut_how)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sim_cut_how_name(enum sim_cut_how how)
{
	return (unsigned)how <= SIM_CUT_MIX ? how_names[how] : "?";
}

bool sim_cut_enabled(const struct sim_cut_config *cfg)
{
	return cfg->after || cfg->every > 0 || cfg->random_p > 0;
}

/* splitmix64: a well-mixed 64-bit value per step, enough for a few draws. */
static uint64_t mix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1]: never 0, so its logarithm is finite. */
static double unit_open(uint64_t *x)
{
	return ((double)(mix64(x) >> 11) + 1.0) / 9007199254740992.0;
}

void sim_cut_plan_make(const struct sim_cut_config *cfg, uint64_t seed, uint64_t conn,
		       struct sim_cut_plan *out)
{
	/* its own stream per connection, apart from feedgen's (same seed) */
	uint64_t x = (seed ^ 0x6375745f706c616eULL) + conn * 0xd1b54a32d192ed03ULL;
	double at = cfg->every > 0 ? cfg->every : 0;

	if (cfg->random_p > 0 && cfg->random_p < 1) {
		/* exponential waiting time whose chance to end within any one
		 * second is P: rate -ln(1-P) per second */
		double t = -log(unit_open(&x)) / -log1p(-cfg->random_p);

		if (!at || t < at)
			at = t;
	}
	out->at = at;
	out->how = cfg->how == SIM_CUT_NONE ? SIM_CUT_FIN : cfg->how;
	if (out->how == SIM_CUT_MIX)
		out->how = (enum sim_cut_how)(SIM_CUT_FIN + mix64(&x) % 3);
}

size_t sim_cut_notice(char *out, size_t cap, bool combined, int64_t e_ms)
{
	int n;

	if (cap < SIM_CUT_NOTICE_MAX)
		return 0;
	n = snprintf(out, cap,
		     combined ? "{\"stream\":\"!serverShutdown\",\"data\":"
				"{\"e\":\"serverShutdown\",\"E\":%" PRId64 "}}"
			      : "{\"e\":\"serverShutdown\",\"E\":%" PRId64 "}",
		     e_ms);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

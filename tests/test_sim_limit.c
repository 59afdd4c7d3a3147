/* Tests for sim_limit, feedsim's --conn-limit N/S: N admitted attempts in
 * any S-second window per address, refusals that take no slot, a
 * Retry-After that is exactly when a slot frees, separate addresses, and
 * a table that stays bounded under many addresses. */
#include "check.h"

#include <errno.h>

#include "sim/sim_limit.h"

static const uint8_t A[4] = {198, 18, 0, 2}, B[4] = {198, 18, 0, 3};

static void bad_config(void)
{
	struct sim_limit *l;

	CHECK(sim_limit__new(&l, 0, 300) == -EINVAL && !l);
	CHECK(sim_limit__new(&l, 10, 0) == -EINVAL && !l);
	CHECK(sim_limit__new(&l, SIM_LIMIT_N_MAX + 1, 1) == -EINVAL && !l);
	REQUIRE(sim_limit__new(&l, 1, 1) == 0 && l);
	CHECK(sim_limit__admit(l, A, 0, 0) == -EINVAL);
	CHECK(sim_limit__admit(l, A, SIM_LIMIT_KEY_MAX + 1, 0) == -EINVAL);
	sim_limit__free(l);
	sim_limit__free(NULL);
}

/* Binance's 300 per 5 minutes: the 301st attempt in the window is refused
 * with the wait until the first one leaves it. */
static void window_300_per_300(void)
{
	struct sim_limit *l;
	int r;

	REQUIRE(sim_limit__new(&l, 300, 300) == 0);
	for (int i = 0; i < 300; i++) /* one every 0.125 s (exact in binary), from t = 1000 */
		CHECKF(sim_limit__admit(l, A, sizeof(A), 1000 + i * 0.125) == 0, "attempt %d",
		       i + 1);
	r = sim_limit__admit(l, A, sizeof(A), 1030);
	CHECKF(r == 270, "301st: %d", r); /* the first leaves at 1300 */
	/* refusals take no slot: still refused, the wait shrinks */
	CHECK(sim_limit__admit(l, A, sizeof(A), 1299.5) == 1);
	CHECK(sim_limit__admit(l, A, sizeof(A), 1200.25) == 100);
	/* another address has its own window */
	CHECK(sim_limit__admit(l, B, sizeof(B), 1200.25) == 0);
	/* at 1300 the first attempt leaves the window: one slot */
	CHECK(sim_limit__admit(l, A, sizeof(A), 1300) == 0);
	r = sim_limit__admit(l, A, sizeof(A), 1300);
	CHECKF(r == 1, "after the freed slot: %d", r); /* the second leaves at 1300.125 */
	CHECK(sim_limit__admit(l, A, sizeof(A), 1300.125) == 0);
	/* a quiet window later everything is free again */
	for (int i = 0; i < 300; i++)
		CHECK(sim_limit__admit(l, A, sizeof(A), 2000) == 0);
	CHECK(sim_limit__admit(l, A, sizeof(A), 2000) == 300);
	sim_limit__free(l);
}

/* Sliding, not fixed windows: never more than N admitted in any S span. */
static void sliding_invariant(void)
{
	struct sim_limit *l;
	double t[4000];
	int n = 0;

	REQUIRE(sim_limit__new(&l, 5, 2.0) == 0);
	for (int i = 0; i < 4000; i++) {
		double now = i * 0.013;
		int r = sim_limit__admit(l, A, sizeof(A), now);

		if (r == 0)
			t[n++] = now;
		else
			CHECK(r >= 1 && r <= 2);
	}
	for (int i = 5; i < n; i++)
		CHECKF(t[i] - t[i - 5] >= 2.0 - 1e-9, "6 admitted within %g s", t[i] - t[i - 5]);
	/* and as many as the limit allows: 5 per 2 s over 52 s */
	CHECKF(n >= 5 * 26, "only %d admitted", n);
	sim_limit__free(l);
}

/* More addresses than the table holds: the quietest is forgotten, the
 * busy ones keep their count. */
static void many_addresses(void)
{
	struct sim_limit *l;
	uint8_t k[16] = {0xfd};

	REQUIRE(sim_limit__new(&l, 2, 100) == 0);
	CHECK(sim_limit__admit(l, A, sizeof(A), 50) == 0);
	CHECK(sim_limit__admit(l, A, sizeof(A), 50) == 0);
	for (int i = 0; i < 10 * SIM_LIMIT_ADDRS; i++) {
		k[15] = (uint8_t)i;
		k[14] = (uint8_t)(i >> 8);
		CHECK(sim_limit__admit(l, k, sizeof(k), 10 + i * 0.001) == 0);
	}
	/* A's last attempt (50) is newer than every other: still limited */
	CHECK(sim_limit__admit(l, A, sizeof(A), 60) == 90);
	sim_limit__free(l);
}

int main(void)
{
	RUN(bad_config);
	RUN(window_300_per_300);
	RUN(sliding_invariant);
	RUN(many_addresses);
	return check_exit();
}

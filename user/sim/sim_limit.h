/* sim_limit — feedsim's per-IP connection-rate limit (--conn-limit N/S), as
 * Binance limits an IP to 300 connection attempts per 5 minutes: at most N
 * admitted attempts in any window of S seconds. An attempt beyond that is
 * refused (feedsim answers 429 with Retry-After) and takes no slot, so a
 * client that waits as told gets in.
 *
 * Each address keeps the times of its last N admitted attempts in a ring
 * (exact sliding window). At most SIM_LIMIT_ADDRS addresses are tracked;
 * a new one then replaces the address that was quiet longest. Memory:
 * SIM_LIMIT_ADDRS * N * 8 bytes at most, allocated per address on first use. */
#ifndef FEEDRX_SIM_LIMIT_H
#define FEEDRX_SIM_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#define SIM_LIMIT_ADDRS 64
#define SIM_LIMIT_N_MAX 10000 /* 5 MiB of rings at most */
#define SIM_LIMIT_KEY_MAX 16 /* an IPv6 address */

struct sim_limit;

/* n attempts (1..SIM_LIMIT_N_MAX) per window seconds (> 0): 0 or -EINVAL,
 * -ENOMEM. */
int sim_limit__new(struct sim_limit **out, unsigned n, double window);
void sim_limit__free(struct sim_limit *l);

/* An attempt from address `key` (1..SIM_LIMIT_KEY_MAX bytes) at time `now`
 * (seconds, never decreasing): 0 admitted and counted; else the whole
 * seconds (>= 1) until a slot frees, for Retry-After; -ENOMEM when a new
 * address's ring cannot be allocated (the attempt is admitted uncounted). */
int sim_limit__admit(struct sim_limit *l, const void *key, size_t keylen, double now);

#endif

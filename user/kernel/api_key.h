/* api_key — the user's API key for a venue that wants one in the upgrade
 * request (Binance SBE: X-MBX-APIKEY), read from a file, the environment
 * or (with a warning: ps shows it) the command line, and kept on secmem
 * pages: never printed, never logged, wiped when freed. Where it came from
 * is wiped too (the environment string and the command-line argument are
 * overwritten in place, so /proc/PID/environ and ps no longer show it). */
#ifndef FEEDRX_API_KEY_H
#define FEEDRX_API_KEY_H

#include <stddef.h>

#include "core/fx_err.h"
#include "http_upgrade.h"

#define API_KEY_MAX 512

struct api_key {
	char *buf; /* secmem, API_KEY_MAX bytes; NULL when no key */
	size_t len;
	struct http_header hdr; /* name: the venue's header; value: buf */
};

/* The key from FILE: its first line, surrounding blanks removed.
 * 0, or a negative code with a reason (never the key) in err. */
int api_key__from_file(struct api_key *k, const char *path, struct fx_error *err);
/* The key from the environment variable var: 0, 1 when it is unset or
 * empty, or a negative code. The variable is wiped and unset. */
int api_key__from_env(struct api_key *k, const char *var, struct fx_error *err);
/* The key from a command-line argument, which is wiped in place. */
int api_key__from_arg(struct api_key *k, char *arg, struct fx_error *err);

/* The header for the upgrade request: name (static) and the key. */
const struct http_header *api_key_header(struct api_key *k, const char *name);

/* Wipe and release. NULL-safe, idempotent. */
void api_key__free(struct api_key *k);

#endif

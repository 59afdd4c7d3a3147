/* check.h — the tiny unit-test harness every tests/test_*.c uses.
 *
 * A test binary prints one line per test case:
 *   PASS <name>
 *   FAIL <name>: <file>:<line>: <what>
 *   SKIP <name>: <why>
 * and returns non-zero from check_exit() when any case failed.
 * tests/run.sh counts these lines across all test binaries and scripts.
 */
#ifndef FEEDRX_TESTS_CHECK_H
#define FEEDRX_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check__failed_total;
static int check__case_failed;
static int check__case_skipped;
static char check__why[512];

/* Record a failure (the first one of a case is reported) and keep going. */
#define CHECKF(cond, ...)                                                    \
	do {                                                                 \
		int ok_ = !!(cond); /* evaluated exactly once */             \
		if (!ok_ && !check__case_failed) {                           \
			int n_ = snprintf(check__why, sizeof(check__why),    \
					  "%s:%d: ", __FILE__, __LINE__);    \
			snprintf(check__why + n_, sizeof(check__why) - n_,   \
				 __VA_ARGS__);                               \
			check__case_failed = 1;                              \
		} else if (!ok_) {                                           \
			check__case_failed++;                                \
		}                                                            \
	} while (0)

#define CHECK(cond) CHECKF(cond, "CHECK(%s)", #cond)

/* Stop the current case on failure (the case function returns). */
#define REQUIRE(cond)                                                        \
	do {                                                                 \
		CHECK(cond);                                                 \
		if (check__case_failed)                                      \
			return;                                              \
	} while (0)

/* Mark the current case skipped (missing kernel feature); then return. */
#define SKIP(...)                                                            \
	do {                                                                 \
		check__case_skipped = 1;                                     \
		snprintf(check__why, sizeof(check__why), __VA_ARGS__);       \
	} while (0)

/* Run one case and print its result line. */
#define RUN(fn)                                                              \
	do {                                                                 \
		check__case_failed = 0;                                      \
		check__case_skipped = 0;                                     \
		check__why[0] = 0;                                           \
		fn();                                                        \
		if (check__case_failed) {                                    \
			printf("FAIL %s: %s", #fn, check__why);              \
			if (check__case_failed > 1)                          \
				printf(" (+%d more)", check__case_failed - 1);\
			printf("\n");                                        \
			check__failed_total++;                               \
		} else if (check__case_skipped) {                            \
			printf("SKIP %s: %s\n", #fn, check__why);            \
		} else {                                                     \
			printf("PASS %s\n", #fn);                            \
		}                                                            \
		fflush(stdout);                                              \
	} while (0)

static inline int check_exit(void)
{
	return check__failed_total ? 1 : 0;
}

#endif

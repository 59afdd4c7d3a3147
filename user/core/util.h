/* util — the few helpers every part of user/ may use: container_of for
 * watchers embedded in their owners (libev), branch hints for the hot
 * paths, ARRAY_SIZE for static tables, a hex digit's value. */
#ifndef FEEDRX_UTIL_H
#define FEEDRX_UTIL_H

#include <stddef.h>

/* The struct of type `type` whose member `member` is at p. */
#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Elements of an array (not a pointer: the compiler refuses those). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]) + UTIL__MUST_BE_ARRAY(a))
#define UTIL__MUST_BE_ARRAY(a)                                                                     \
	(0 * sizeof(char[1 - 2 * __builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0]))]))

/* 0-15 for a hex digit (either case), else -1. */
static inline int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif

/* fuzz.h — what the libFuzzer targets tests/fuzz_<target>.c share: a cursor
 * that reads structure (sizes, flags, split points) out of the fuzzer's
 * input, exactly-sized heap copies so that ASan sees a read one byte past
 * the end, and FUZZ_ASSERT, which aborts so that libFuzzer keeps the input
 * as a crash reproducer. Header-only; fuzz targets only. */
#ifndef FEEDRX_TESTS_FUZZ_H
#define FEEDRX_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond)                                                            \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: FUZZ_ASSERT(%s) failed\n", __FILE__, \
				__LINE__, #cond);                                    \
			abort();                                                     \
		}                                                                    \
	} while (0)

/* The input as a stream of fields; reads past its end give zeros. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t hi = fz_u8(f);

	return (uint16_t)(hi << 8 | fz_u8(f));
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t hi = fz_u16(f);

	return hi << 16 | fz_u16(f);
}

/* Up to want bytes of the input; *got set to how many there were. */
static inline const uint8_t *fz_bytes(struct fz *f, size_t want, size_t *got)
{
	const uint8_t *p = f->p;

	if (want > f->n)
		want = f->n;
	f->p += want;
	f->n -= want;
	*got = want;
	return p;
}

/* n bytes in a heap block of exactly n bytes: the first byte past it is
 * ASan's redzone. Free with free(). */
static inline uint8_t *fz_dup(const void *p, size_t n)
{
	uint8_t *c = malloc(n);

	if (!c && n)
		abort();
	if (n)
		memcpy(c, p, n);
	return c;
}

/* Deterministic piece sizes for feeding a stream in splits (xorshift64). */
struct fz_split {
	uint64_t s;
	unsigned shift; /* pieces of 1 .. 2^shift bytes; 0: whole */
};

static inline void fz_split_init(struct fz_split *sp, uint8_t mode, uint8_t seed)
{
	sp->s = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed << 32 | mode);
	sp->shift = mode % 16;
}

static inline size_t fz_split_next(struct fz_split *sp, size_t left)
{
	size_t n;

	if (!sp->shift)
		return left;
	sp->s ^= sp->s << 13;
	sp->s ^= sp->s >> 7;
	sp->s ^= sp->s << 17;
	n = 1 + (size_t)(sp->s % ((uint64_t)1 << (sp->shift - 1)));
	return n < left ? n : left;
}

#endif

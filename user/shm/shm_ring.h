/* shm_ring — a shared-memory ring in /dev/shm: one producer, any number of
 * readers, no locks, a fixed size; the producer never waits for a reader.
 *
 * The file is a 4 KiB header followed by a power-of-two data area of
 * variable-length records, each 16-byte aligned:
 *   u32 len (header and payload, exact; the next record starts at the
 *   next multiple of 16), u32 kind (1 event, 2 padding to the end of the
 *   area), u64 seq (records from 1, padding 0), payload.
 * Positions are byte counts since creation (u64, never wrapping). The
 * producer publishes `head` (the end of the last whole record) with a
 * release store; before it writes over old bytes it advances `claim` (the
 * end of what it is writing) and `oldest` (the first record still whole).
 * A reader copies a record out, then (acquire fence) reads `claim`: if the
 * producer may have written over the record meanwhile (claim - pos > size),
 * the copy is thrown away — a reader never returns torn data — and the
 * reader jumps to the newest record (`head`); the next record's seq says
 * exactly how many records it lost (the overrun). A new reader may start
 * at `oldest`, the first record still whole. The seqlock idea, one sequence per ring
 * (H.-J. Boehm, "Can seqlocks get along with programming language memory
 * models?", 2012), with C11 atomics for the shared positions.
 *
 * Readers map the file read-only: a reader cannot disturb the producer or
 * another reader. Layout constants are pinned: other languages read it
 * (examples/shm_reader.py). */
#ifndef FEEDRX_SHM_RING_H
#define FEEDRX_SHM_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fx_error;

#define SHM_RING_MAGIC 0x31474e4952584446ull /* "FDXRING1" little-endian */
#define SHM_RING_VERSION 1
#define SHM_RING_HDR_SIZE 4096
#define SHM_RING_REC_HDR 16
#define SHM_RING_ALIGN 16
#define SHM_RING_MIN_SIZE (64u << 10)
#define SHM_RING_MAX_SIZE (1ull << 32)
#define SHM_RING_DEFAULT_SIZE (16u << 20)
#define SHM_RING_NAME_MAX 200

enum shm_rec_kind { SHM_REC_EVENT = 1, SHM_REC_PAD = 2 };

/* Header offsets (bytes into the file), for readers in other languages. */
#define SHM_OFF_MAGIC 0      /* u64 */
#define SHM_OFF_VERSION 8    /* u32 */
#define SHM_OFF_HDR_SIZE 12  /* u32 */
#define SHM_OFF_DATA_SIZE 16 /* u64 */
#define SHM_OFF_PID 24       /* u32, the producer */
#define SHM_OFF_CLOSED 28    /* u32, 1 once the producer closed it */
#define SHM_OFF_HEAD 64      /* u64 */
#define SHM_OFF_CLAIM 128    /* u64 */
#define SHM_OFF_OLDEST 192   /* u64 */

struct shm_ring_opts {
	size_t size;   /* data bytes, a power of two (0: SHM_RING_DEFAULT_SIZE) */
	bool keep;     /* leave the file in /dev/shm at close */
	mode_t mode;   /* 0: 0644 (readers need read permission only) */
};

struct shm_ring_stats {
	uint64_t records, bytes; /* published */
	uint64_t too_big;        /* refused: larger than shm_ring__max_record */
};

/* A name for /dev/shm: 1..SHM_RING_NAME_MAX of [A-Za-z0-9._-], not "." or
 * "..". 0 or -EINVAL. */
int shm_ring_name_check(const char *name);

/* ---- the producer ---- */
struct shm_ring;

/* Create /dev/shm/NAME. A file left by a producer that is gone is
 * replaced; one in use by a live producer, or not a ring, is an error. */
int shm_ring__create(struct shm_ring **out, const char *name, const struct shm_ring_opts *o,
		     struct fx_error *err);
/* Room for a payload of n bytes, to fill and then commit; NULL when n is
 * over shm_ring__max_record (counted in too_big). Never waits. */
void *shm_ring__reserve(struct shm_ring *r, size_t n);
/* Publish the reserved record (n: the payload bytes actually written, at
 * most what was reserved). */
void shm_ring__commit(struct shm_ring *r, size_t n);
size_t shm_ring__max_record(const struct shm_ring *r);
void shm_ring__stats(const struct shm_ring *r, struct shm_ring_stats *s);
const char *shm_ring__path(const struct shm_ring *r);
/* Mark it closed for readers, unmap, unlink unless kept. NULL-safe. */
void shm_ring__close(struct shm_ring *r);

/* ---- a reader ---- */
struct shm_reader;

struct shm_reader_stats {
	uint64_t records;  /* returned */
	uint64_t overruns; /* times the producer lapped this reader */
	uint64_t lost;     /* records lost to those overruns */
	uint64_t retries;  /* copies thrown away (overwritten while copied) */
};

/* Open /dev/shm/NAME read-only; start with the oldest whole record (from
 * the start) or with the next one published (live). */
int shm_reader__open(struct shm_reader **out, const char *name, bool from_oldest,
		     struct fx_error *err);
/* The next record's payload copied into buf: its length (> 0); 0 when
 * none is there yet; -EPIPE when the producer closed the ring and
 * everything was read; -EMSGSIZE when cap is too small (the record is
 * skipped, counted in lost). *lost = records lost just before this one
 * (an overrun), *seq = its record number. Never blocks. */
long shm_reader__next(struct shm_reader *r, void *buf, size_t cap, uint64_t *seq,
		      uint64_t *lost);
void shm_reader__stats(const struct shm_reader *r, struct shm_reader_stats *s);
size_t shm_reader__max_record(const struct shm_reader *r);
pid_t shm_reader__producer(const struct shm_reader *r);
void shm_reader__close(struct shm_reader *r);

#endif

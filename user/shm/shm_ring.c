/* shm_ring — the lock-free shared-memory ring (see shm_ring.h). */
#include "shm_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fx_err.h"

/* The shared header; each position the producer moves on its own cache line. */
struct shm_hdr {
	_Atomic uint64_t magic; /* stored last at creation: a reader sees a whole header */
	uint32_t version, hdr_size;
	uint64_t data_size;
	uint32_t pid;
	_Atomic uint32_t closed;
	uint8_t pad0[32];
	_Atomic uint64_t head;
	uint8_t pad1[56];
	_Atomic uint64_t claim;
	uint8_t pad2[56];
	_Atomic uint64_t oldest;
	uint8_t pad3[56];
};

_Static_assert(offsetof(struct shm_hdr, version) == SHM_OFF_VERSION, "layout");
_Static_assert(offsetof(struct shm_hdr, hdr_size) == SHM_OFF_HDR_SIZE, "layout");
_Static_assert(offsetof(struct shm_hdr, data_size) == SHM_OFF_DATA_SIZE, "layout");
_Static_assert(offsetof(struct shm_hdr, pid) == SHM_OFF_PID, "layout");
_Static_assert(offsetof(struct shm_hdr, closed) == SHM_OFF_CLOSED, "layout");
_Static_assert(offsetof(struct shm_hdr, head) == SHM_OFF_HEAD, "layout");
_Static_assert(offsetof(struct shm_hdr, claim) == SHM_OFF_CLAIM, "layout");
_Static_assert(offsetof(struct shm_hdr, oldest) == SHM_OFF_OLDEST, "layout");
_Static_assert(sizeof(struct shm_hdr) <= SHM_RING_HDR_SIZE, "layout");

struct shm_rec {
	uint32_t len, kind;
	uint64_t seq;
};
_Static_assert(sizeof(struct shm_rec) == SHM_RING_REC_HDR, "layout");

static inline size_t align16(size_t n)
{
	return (n + SHM_RING_ALIGN - 1) & ~(size_t)(SHM_RING_ALIGN - 1);
}

int shm_ring_name_check(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SHM_RING_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

/* ---- the producer ---------------------------------------------------------- */

struct shm_ring {
	struct shm_hdr *h;
	uint8_t *data;
	size_t size, map_len, max_rec;
	uint64_t mask;
	uint64_t pos;     /* == head */
	uint64_t oldest;  /* == h->oldest */
	uint64_t rec_pos; /* where the reserved record starts */
	uint64_t seq;
	struct shm_ring_stats st;
	bool keep;
	char name[SHM_RING_NAME_MAX + 2]; /* "/NAME" for shm_open */
	char path[SHM_RING_NAME_MAX + 16];
};

/* An existing file: 0 when it may be replaced (a ring whose producer is
 * gone), else the error. */
static int shm_ring_check_stale(const char *shm_name, const char *path, struct fx_error *err)
{
	int fd = shm_open(shm_name, O_RDONLY, 0);
	struct stat st;
	struct shm_hdr *h;
	int r = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : fx_error_set(err, -errno, "cannot open %s: %s", path,
							   strerror(errno));
	if (fstat(fd, &st) || st.st_size < SHM_RING_HDR_SIZE) {
		close(fd);
		return fx_error_set(err, -EEXIST, "%s exists and is not a feedrx ring: remove it or "
						  "choose another name", path);
	}
	h = mmap(NULL, SHM_RING_HDR_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED)
		return fx_error_set(err, -errno, "cannot map %s: %s", path, strerror(errno));
	if (atomic_load(&h->magic) == 0 && st.st_size > SHM_RING_HDR_SIZE)
		r = fx_error_set(err, -EBUSY, "%s is being created by another producer: choose "
					      "another name", path);
	else if (atomic_load(&h->magic) != SHM_RING_MAGIC)
		r = fx_error_set(err, -EEXIST, "%s exists and is not a feedrx ring: remove it or "
					       "choose another name", path);
	else if (!atomic_load(&h->closed) && h->pid && (pid_t)h->pid != getpid() &&
		 (kill((pid_t)h->pid, 0) == 0 || errno == EPERM))
		r = fx_error_set(err, -EBUSY, "%s is in use by a running producer (pid %u): "
					      "choose another name", path, h->pid);
	munmap(h, SHM_RING_HDR_SIZE);
	return r;
}

int shm_ring__create(struct shm_ring **out, const char *name, const struct shm_ring_opts *o,
		     struct fx_error *err)
{
	size_t size = o && o->size ? o->size : SHM_RING_DEFAULT_SIZE;
	mode_t mode = o && o->mode ? o->mode : 0644;
	struct shm_ring *r;
	void *map;
	int fd, e;

	*out = NULL;
	if (shm_ring_name_check(name))
		return fx_error_set(err, -EINVAL, "bad shared-memory name '%s' (1-%d of A-Z a-z 0-9 "
						  ". _ -)", name, SHM_RING_NAME_MAX);
	if (size < SHM_RING_MIN_SIZE || size > SHM_RING_MAX_SIZE || (size & (size - 1)))
		return fx_error_set(err, -EINVAL, "bad ring size %zu: a power of two from 64K to 4G",
				    size);
	r = calloc(1, sizeof(*r));
	if (!r)
		return fx_error_set(err, -ENOMEM, "out of memory");
	snprintf(r->name, sizeof(r->name), "/%s", name);
	snprintf(r->path, sizeof(r->path), "/dev/shm/%s", name);
	r->size = size;
	r->mask = size - 1;
	r->max_rec = size / 4;
	r->keep = o && o->keep;
	r->map_len = SHM_RING_HDR_SIZE + size;

	fd = shm_open(r->name, O_RDWR | O_CREAT | O_EXCL, mode);
	if (fd < 0 && errno == EEXIST) {
		e = shm_ring_check_stale(r->name, r->path, err);
		if (e)
			goto err_free;
		shm_unlink(r->name);
		fd = shm_open(r->name, O_RDWR | O_CREAT | O_EXCL, mode);
	}
	if (fd < 0) {
		e = fx_error_set(err, -errno, "cannot create %s: %s", r->path, strerror(errno));
		goto err_free;
	}
	fchmod(fd, mode); /* not narrowed by the umask: readers may be other users */
	/* reserve the pages now: a full /dev/shm is an error here, not a SIGBUS later */
	e = posix_fallocate(fd, 0, (off_t)r->map_len);
	if (e) {
		e = fx_error_set(err, -e, "cannot size %s to %zu bytes: %s (is /dev/shm big "
					  "enough? see df /dev/shm, or a smaller --shm-size)",
				 r->path, r->map_len, strerror(e));
		goto err_unlink;
	}
	map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED) {
		e = fx_error_set(err, -errno, "cannot map %s: %s", r->path, strerror(errno));
		goto err_unlink;
	}
	close(fd);
	r->h = map;
	r->data = (uint8_t *)map + SHM_RING_HDR_SIZE;
	r->h->version = SHM_RING_VERSION;
	r->h->hdr_size = SHM_RING_HDR_SIZE;
	r->h->data_size = size;
	r->h->pid = (uint32_t)getpid();
	atomic_store_explicit(&r->h->magic, SHM_RING_MAGIC, memory_order_release);
	*out = r;
	return 0;

err_unlink:
	close(fd);
	shm_unlink(r->name);
err_free:
	free(r);
	return e;
}

size_t shm_ring__max_record(const struct shm_ring *r)
{
	return r->max_rec - SHM_RING_REC_HDR;
}

void *shm_ring__reserve(struct shm_ring *r, size_t n)
{
	size_t len, rem, pad;
	uint64_t end, lim;

	if (n > shm_ring__max_record(r)) {
		r->st.too_big++;
		return NULL;
	}
	len = align16(SHM_RING_REC_HDR + n);
	rem = r->size - (r->pos & r->mask);
	pad = rem < len ? rem : 0;
	end = r->pos + pad + len;
	/* the records this one writes over are no longer whole */
	lim = end > r->size ? end - r->size : 0;
	while (r->oldest < r->pos && r->oldest < lim)
		r->oldest += align16(((struct shm_rec *)(r->data + (r->oldest & r->mask)))->len);
	atomic_store_explicit(&r->h->oldest, r->oldest, memory_order_relaxed);
	atomic_store_explicit(&r->h->claim, end, memory_order_relaxed);
	/* claim is visible before any byte under it changes (seqlock writer) */
	atomic_thread_fence(memory_order_release);
	if (pad) {
		struct shm_rec *p = (struct shm_rec *)(r->data + (r->pos & r->mask));

		p->len = (uint32_t)pad, p->kind = SHM_REC_PAD, p->seq = 0;
	}
	r->rec_pos = r->pos + pad;
	return r->data + (r->rec_pos & r->mask) + SHM_RING_REC_HDR;
}

void shm_ring__commit(struct shm_ring *r, size_t n)
{
	struct shm_rec *p = (struct shm_rec *)(r->data + (r->rec_pos & r->mask));
	size_t len = align16(SHM_RING_REC_HDR + n);

	p->len = (uint32_t)(SHM_RING_REC_HDR + n); /* exact: the next starts 16-aligned */
	p->kind = SHM_REC_EVENT;
	p->seq = ++r->seq;
	r->pos = r->rec_pos + len;
	r->st.records++;
	r->st.bytes += n;
	atomic_store_explicit(&r->h->head, r->pos, memory_order_release);
}

void shm_ring__stats(const struct shm_ring *r, struct shm_ring_stats *s)
{
	*s = r->st;
}

const char *shm_ring__path(const struct shm_ring *r)
{
	return r->path;
}

void shm_ring__close(struct shm_ring *r)
{
	if (!r)
		return;
	atomic_store_explicit(&r->h->closed, 1, memory_order_release);
	munmap(r->h, r->map_len);
	if (!r->keep)
		shm_unlink(r->name);
	free(r);
}

/* ---- a reader -------------------------------------------------------------- */

struct shm_reader {
	const struct shm_hdr *h;
	const uint8_t *data;
	size_t size, map_len;
	uint64_t mask, pos, expect;
	struct shm_reader_stats st;
};

int shm_reader__open(struct shm_reader **out, const char *name, bool from_oldest,
		     struct fx_error *err)
{
	char shm_name[SHM_RING_NAME_MAX + 2], path[SHM_RING_NAME_MAX + 16];
	struct shm_reader *r;
	struct stat st;
	const struct shm_hdr *h;
	void *map;
	int fd, e;

	*out = NULL;
	if (shm_ring_name_check(name))
		return fx_error_set(err, -EINVAL, "bad shared-memory name '%s'", name);
	snprintf(shm_name, sizeof(shm_name), "/%s", name);
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	fd = shm_open(shm_name, O_RDONLY, 0);
	if (fd < 0)
		return fx_error_set(err, -errno, "cannot open %s: %s%s", path, strerror(errno),
				    errno == ENOENT ? " (is feedrx running with --shm NAME?)" : "");
	if (fstat(fd, &st) || st.st_size < SHM_RING_HDR_SIZE + SHM_RING_MIN_SIZE) {
		close(fd);
		return fx_error_set(err, -EPROTO, "%s is not a feedrx ring (too small)", path);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	e = errno;
	close(fd);
	if (map == MAP_FAILED)
		return fx_error_set(err, -e, "cannot map %s: %s", path, strerror(e));
	h = map;
	if (atomic_load_explicit(&((struct shm_hdr *)map)->magic, memory_order_acquire) !=
		SHM_RING_MAGIC ||
	    h->version != SHM_RING_VERSION || h->hdr_size != SHM_RING_HDR_SIZE ||
	    h->data_size < SHM_RING_MIN_SIZE || (h->data_size & (h->data_size - 1)) ||
	    h->data_size + SHM_RING_HDR_SIZE != (uint64_t)st.st_size) {
		munmap(map, (size_t)st.st_size);
		return fx_error_set(err, -EPROTO, "%s is not a feedrx ring of version %d (or is "
						  "still being created)", path, SHM_RING_VERSION);
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		munmap(map, (size_t)st.st_size);
		return fx_error_set(err, -ENOMEM, "out of memory");
	}
	r->h = h;
	r->data = (const uint8_t *)map + SHM_RING_HDR_SIZE;
	r->size = h->data_size;
	r->mask = r->size - 1;
	r->map_len = (size_t)st.st_size;
	r->pos = from_oldest ? atomic_load_explicit(&((struct shm_hdr *)map)->oldest,
						     memory_order_acquire)
			     : atomic_load_explicit(&((struct shm_hdr *)map)->head,
						     memory_order_acquire);
	/* at the very start the first record is 1: a lap before it is counted */
	r->expect = r->pos == 0 ? 1 : 0;
	*out = r;
	return 0;
}

/* The positions are atomics in a read-only mapping: loads only. */
#define LOAD(f, mo) atomic_load_explicit(&((struct shm_hdr *)r->h)->f, mo)

long shm_reader__next(struct shm_reader *r, void *buf, size_t cap, uint64_t *seq,
		      uint64_t *lost)
{
	*lost = 0;
	for (;;) {
		uint64_t head = LOAD(head, memory_order_acquire), claim;
		size_t off = r->pos & r->mask, plen = 0;
		struct shm_rec rec;
		bool ok;

		if (r->pos == head) {
			if (!LOAD(closed, memory_order_acquire) ||
			    LOAD(head, memory_order_acquire) != r->pos)
				return 0;
			return -EPIPE;
		}
		if (head - r->pos <= r->size) {
			memcpy(&rec, r->data + off, sizeof(rec));
			ok = rec.len >= SHM_RING_REC_HDR && align16(rec.len) <= r->size - off &&
			     align16(rec.len) <= head - r->pos;
			if (ok && rec.kind == SHM_REC_EVENT) {
				plen = rec.len - SHM_RING_REC_HDR;
				if (plen <= cap)
					memcpy(buf, r->data + off + SHM_RING_REC_HDR, plen);
			}
			/* the copy is good only if the producer had not begun to
			 * write over it when it ended (seqlock reader) */
			atomic_thread_fence(memory_order_acquire);
			claim = LOAD(claim, memory_order_relaxed);
			if (claim - r->pos <= r->size) {
				if (!ok)
					return -EBADMSG; /* whole, yet malformed: not our producer */
				r->pos += align16(rec.len);
				if (rec.kind != SHM_REC_EVENT)
					continue;
				if (r->expect && rec.seq > r->expect) {
					*lost += rec.seq - r->expect;
					r->st.lost += rec.seq - r->expect;
				}
				r->expect = rec.seq + 1;
				*seq = rec.seq;
				if (plen > cap) {
					r->st.lost++;
					return -EMSGSIZE;
				}
				r->st.records++;
				/* a payload is never empty: 0 means "none yet" */
				return plen ? (long)plen : 0;
			}
			r->st.retries++;
		}
		/* lapped: go on from the newest (from the oldest whole record the
		 * producer would lap it again at once); the seq of the next record
		 * says how many were lost */
		r->st.overruns++;
		r->pos = LOAD(head, memory_order_acquire);
	}
}

void shm_reader__stats(const struct shm_reader *r, struct shm_reader_stats *s)
{
	*s = r->st;
}

size_t shm_reader__max_record(const struct shm_reader *r)
{
	return r->size / 4 - SHM_RING_REC_HDR;
}

pid_t shm_reader__producer(const struct shm_reader *r)
{
	return (pid_t)r->h->pid;
}

void shm_reader__close(struct shm_reader *r)
{
	if (!r)
		return;
	munmap((void *)r->h, r->map_len);
	free(r);
}

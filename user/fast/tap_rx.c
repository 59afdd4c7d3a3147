/* tap_rx — BPF ring buffer consumer for --transport tap (see tap_rx.h):
 * our own walk over the mapped ring rather than libbpf's ring_buffer__consume,
 * because that one releases each record when its callback returns and the
 * pipeline keeps a batch's frames until batch_end. */
#include "tap_rx.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "core/util.h"

/* Busy mode: spin on the ring this long when it is empty before giving the
 * loop a turn (timers, signals, the kernel sockets), as kconn does. */
#define TAP_RX_SPIN_NS 50000
/* Records per watcher callback: the whole default ring. The kernel socket
 * is read in the same loop and frees window as fast as it goes, so a ring
 * drained only a little per turn would fall behind it and overflow. */
#define TAP_RX_BUDGET 4096

struct tap_rx {
	struct tap_ring ring;
	void *cons_map, *prod_map;
	size_t page, size;
	int fd;
	struct ev_loop *loop;
	bool started;
	bool draining; /* a catch-up from inside a drain's callbacks: no-op */
	enum xsk_rx_poll mode;
	struct xsk_rx_handler h;
	void *user;
	ev_io io;
	ev_idle idle;
	struct tap_rx_stats st;
};

static uint64_t tap_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int tap_rx_parse(const void *p, uint32_t len, struct xsk_rx_frame *f, struct fx_xdp_meta *meta)
{
	struct fx_tap_hdr h;

	if (len < sizeof(h))
		return -EBADMSG;
	memcpy(&h, p, sizeof(h));
	if (h.magic != FX_TAP_MAGIC || h.len == 0 || h.len > FX_TAP_SNAP ||
	    h.len > len - sizeof(h))
		return -EBADMSG;
	meta->rx_ns = h.rx_ns;
	meta->magic = FX_META_MAGIC;
	meta->rx_queue = h.rx_queue;
	f->data = (const uint8_t *)p + sizeof(h);
	f->len = h.len;
	f->queue = h.rx_queue;
	f->meta = meta;
	f->drain_ns = 0;
	return 0;
}

unsigned tap_ring_drain(struct tap_ring *r, unsigned budget, const struct xsk_rx_handler *h,
			void *user, struct tap_rx_stats *st)
{
	struct xsk_rx_frame frames[TAP_RX_BATCH];
	struct fx_xdp_meta metas[TAP_RX_BATCH];
	uint64_t cons = *r->cons_pos, prod;
	unsigned done = 0;

	while (done < budget) {
		unsigned n = 0;
		uint64_t now;

		prod = __atomic_load_n(r->prod_pos, __ATOMIC_ACQUIRE);
		while (cons < prod && n < TAP_RX_BATCH && done + n < budget) {
			const uint8_t *rec = r->data + (cons & r->mask);
			uint32_t hdr = __atomic_load_n((const uint32_t *)rec, __ATOMIC_ACQUIRE);
			uint32_t len = hdr & ~(TAP_RING_BUSY | TAP_RING_DISCARD);

			if (hdr & TAP_RING_BUSY)
				break; /* still being written: everything after it waits */
			/* a length the ring cannot hold: stop rather than walk off */
			if (len > r->mask + 1 - TAP_RING_HDR_SZ) {
				st->bad++;
				cons = prod;
				break;
			}
			cons += (len + TAP_RING_HDR_SZ + 7) & ~7ull;
			st->records++;
			if (hdr & TAP_RING_DISCARD) {
				st->discarded++;
				continue;
			}
			if (tap_rx_parse(rec + TAP_RING_HDR_SZ, len, &frames[n], &metas[n]) < 0) {
				st->bad++;
				continue;
			}
			n++;
		}
		if (!n) {
			/* skipped records still leave the ring */
			__atomic_store_n(r->cons_pos, cons, __ATOMIC_RELEASE);
			if (!done)
				st->empty_polls++;
			break;
		}
		now = tap_mono_ns();
		for (unsigned k = 0; k < n; k++) {
			frames[k].drain_ns = now;
			if (h && h->frame)
				h->frame(user, &frames[k]);
		}
		if (h && h->batch_end)
			h->batch_end(user, frames, n);
		/* the batch is done with: the program may reuse its space */
		__atomic_store_n(r->cons_pos, cons, __ATOMIC_RELEASE);
		st->batches++;
		done += n;
	}
	return done;
}

int tap_rx__new(struct tap_rx **out, int ring_fd, uint32_t size)
{
	struct tap_rx *t;
	long page = sysconf(_SC_PAGESIZE);
	int err;

	*out = NULL;
	if (page <= 0 || !size || (size & (size - 1)) || size % (uint32_t)page)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = ring_fd;
	t->page = (size_t)page;
	t->size = size;
	/* the consumer page is ours to write; the producer page and the data
	 * (mapped twice by the kernel) are read-only */
	t->cons_map = mmap(NULL, t->page, PROT_READ | PROT_WRITE, MAP_SHARED, ring_fd, 0);
	if (t->cons_map == MAP_FAILED) {
		err = -errno;
		goto err_free;
	}
	t->prod_map = mmap(NULL, t->page + 2 * t->size, PROT_READ, MAP_SHARED, ring_fd,
			   (off_t)t->page);
	if (t->prod_map == MAP_FAILED) {
		err = -errno;
		goto err_cons;
	}
	t->ring.cons_pos = t->cons_map;
	t->ring.prod_pos = t->prod_map;
	t->ring.data = (const uint8_t *)t->prod_map + t->page;
	t->ring.mask = size - 1;
	*out = t;
	return 0;

err_cons:
	munmap(t->cons_map, t->page);
err_free:
	free(t);
	return err;
}

void tap_rx__free(struct tap_rx *t)
{
	if (!t)
		return;
	tap_rx__stop(t);
	munmap(t->prod_map, t->page + 2 * t->size);
	munmap(t->cons_map, t->page);
	free(t);
}

unsigned tap_rx__drain(struct tap_rx *t, unsigned budget)
{
	unsigned n;

	if (t->draining)
		return 0;
	t->draining = true;
	n = tap_ring_drain(&t->ring, budget, &t->h, t->user, &t->st);
	t->draining = false;
	return n;
}

static void tap_rx_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tap_rx *t = container_of(w, struct tap_rx, io);

	(void)loop, (void)revents;
	tap_rx__drain(t, TAP_RX_BUDGET);
}

/* Spin on the ring itself until something came or the interval is over:
 * noticing a frame costs a load, not a loop turn. */
static void tap_rx_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct tap_rx *t = container_of(w, struct tap_rx, idle);
	uint64_t until = 0;

	(void)loop, (void)revents;
	t->st.spins++;
	for (;;) {
		if (tap_rx__drain(t, TAP_RX_BUDGET) || !t->started)
			return;
		if (!until)
			until = tap_mono_ns() + TAP_RX_SPIN_NS;
		else if (tap_mono_ns() >= until)
			return;
	}
}

int tap_rx__start(struct tap_rx *t, struct ev_loop *loop, enum xsk_rx_poll mode, int cpu,
		  const struct xsk_rx_handler *h, void *user)
{
	if (t->started)
		return -EALREADY;
	if (mode != XSK_RX_POLL_WAKEUP && mode != XSK_RX_POLL_BUSY)
		return -EINVAL;
	if (mode == XSK_RX_POLL_BUSY && cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return -errno;
	}
	t->h = h ? *h : (struct xsk_rx_handler){0};
	t->user = user;
	t->loop = loop;
	t->mode = mode;
	if (mode == XSK_RX_POLL_WAKEUP) {
		/* the ring's fd is readable while records wait (level) */
		ev_io_init(&t->io, tap_rx_io_cb, t->fd, EV_READ);
		ev_io_start(loop, &t->io);
	} else {
		ev_idle_init(&t->idle, tap_rx_idle_cb);
		ev_set_priority(&t->idle, EV_MAXPRI);
		ev_idle_start(loop, &t->idle);
	}
	t->started = true;
	return 0;
}

void tap_rx__stop(struct tap_rx *t)
{
	if (!t || !t->started)
		return;
	if (t->mode == XSK_RX_POLL_WAKEUP)
		ev_io_stop(t->loop, &t->io);
	else
		ev_idle_stop(t->loop, &t->idle);
	t->started = false;
}

void tap_rx__stats(const struct tap_rx *t, struct tap_rx_stats *st)
{
	*st = t->st;
}

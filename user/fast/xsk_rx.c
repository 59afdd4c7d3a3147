/* xsk_rx — AF_XDP receive: per RX queue one UMEM, its frame pool and one
 * socket (libxdp xsk API); burst drain with hold-until-batch-end; libev
 * watchers for the wakeup and busy waiting modes; counters. */
#include "xsk_rx.h"

#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include "core/fx_log.h"
#include "core/util.h"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

#define XSK_RX_COMP_SIZE 64 /* RX only: the completion ring stays unused */
#define XSK_RX_SPIN_NS 50000 /* busy mode: longest spin between loop turns */
#define XSK_RX_BUSY_TRIES 200
#define XSK_RX_BUSY_WAIT_US 10000

struct xsk_rx_q {
	struct xsk_rx *rx;
	uint32_t queue_id;
	bool zerocopy;
	int fd;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rxr;
	uint8_t *area;
	uint64_t *pool; /* free frames that are in no ring: a LIFO, hot frames first */
	uint32_t pool_n;
	ev_io io;
	struct xsk_rx_stats st;
};

/* What the module keeps per frame of a batch beside the public
 * xsk_rx_frame: the UMEM address to recycle, the metadata copy. */
struct xsk_rx_slot {
	uint64_t addr;
	struct fx_xdp_meta meta;
};

struct xsk_rx {
	struct xsk_rx_config cfg;
	char ifname[IF_NAMESIZE];
	size_t area_len;
	unsigned n;
	unsigned next; /* where xsk_rx__drain starts next time */
	struct xsk_rx_frame *batch;
	struct xsk_rx_slot *slots; /* batch[k]'s private half */
	struct ev_loop *loop;
	bool started;
	enum xsk_rx_poll mode;
	struct xsk_rx_handler h;
	void *user;
	ev_idle idle;
	struct xsk_rx_q q[];
};

void xsk_rx_defaults(struct xsk_rx_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->queue = -1;
	cfg->frames = 4096;
	cfg->frame_size = 4096;
	cfg->batch = 64;
	cfg->budget = 256;
	cfg->cpu = -1;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The sysfs view is only trusted when it is this namespace's device. */
static int queue_count_sysfs(const char *ifname)
{
	char path[96];
	unsigned idx = 0;
	int n = 0;
	FILE *f;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", ifname);
	f = fopen(path, "re");
	if (!f)
		return -ENODEV;
	if (fscanf(f, "%u", &idx) != 1)
		idx = 0;
	fclose(f);
	if (idx != if_nametoindex(ifname))
		return -ENODEV;
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "rx-", 3))
			n++;
	closedir(d);
	return n ? n : -ENODEV;
}

int xsk_rx_queue_count(const char *ifname)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	struct ifreq ifr;
	int fd, err;

	if (!ifname || strlen(ifname) >= IF_NAMESIZE)
		return -EINVAL;
	if (!if_nametoindex(ifname))
		return -ENODEV;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_data = (void *)&ch;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		err = ioctl(fd, SIOCETHTOOL, &ifr);
		close(fd);
		if (!err && ch.rx_count + ch.combined_count > 0)
			return (int)(ch.rx_count + ch.combined_count);
	}
	return queue_count_sysfs(ifname);
}

/* Bind one socket on the queue's UMEM. A failed bind leaves the UMEM and
 * its fill/completion rings usable, so the next mode reuses them instead of
 * registering (and pinning) the area again. */
static int create_socket(struct xsk_rx *rx, struct xsk_rx_q *q, uint16_t copy_flag)
{
	const struct xsk_rx_config *c = &rx->cfg;
	struct xsk_socket_config scfg = {
	    .rx_size = c->rx_size,
	    .tx_size = 0,
	    .libxdp_flags = c->load_default_prog ? 0 : XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
	    .xdp_flags = c->xdp_flags,
	    .bind_flags = copy_flag | (c->no_need_wakeup ? 0 : XDP_USE_NEED_WAKEUP),
	};
	int err, tries = 0;

	for (;;) {
		err = xsk_socket__create(&q->xsk, rx->ifname, q->queue_id, q->umem, &q->rxr, NULL,
					 &scfg);
		if (err > 0)
			err = -err;
		/* A socket closed on this queue moments ago (our own previous
		 * run) is released by a kernel work item: wait for it. */
		if (err != -EBUSY || ++tries > XSK_RX_BUSY_TRIES)
			break;
		usleep(XSK_RX_BUSY_WAIT_US);
	}
	if (err)
		q->xsk = NULL;
	return err;
}

/* Ask the kernel which mode the bind really got. */
static int socket_is_zerocopy(int fd, bool *zc)
{
	struct xdp_options opts;
	socklen_t len = sizeof(opts);

	if (getsockopt(fd, SOL_XDP, XDP_OPTIONS, &opts, &len))
		return -errno;
	*zc = opts.flags & XDP_OPTIONS_ZEROCOPY;
	return 0;
}

static void fill_all(struct xsk_rx *rx, struct xsk_rx_q *q)
{
	uint32_t i, idx = 0, n = rx->cfg.frames;

	/* The fill ring has room for every frame, so this cannot fail. */
	if (xsk_ring_prod__reserve(&q->fill, n, &idx) != n) {
		for (i = 0; i < n; i++)
			q->pool[q->pool_n++] = (uint64_t)i * rx->cfg.frame_size;
		return;
	}
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&q->fill, idx + i) = (uint64_t)i * rx->cfg.frame_size;
	xsk_ring_prod__submit(&q->fill, n);
}

static int queue_open(struct xsk_rx *rx, struct xsk_rx_q *q, uint32_t queue_id)
{
	struct xsk_umem_config ucfg = {
	    .fill_size = rx->cfg.frames,
	    .comp_size = XSK_RX_COMP_SIZE,
	    .frame_size = rx->cfg.frame_size,
	    .frame_headroom = 0,
	    .flags = 0,
	};
	int err;

	q->rx = rx;
	q->queue_id = queue_id;
	q->fd = -1;
	q->pool = calloc(rx->cfg.frames, sizeof(*q->pool));
	if (!q->pool)
		return -ENOMEM;
	q->area = mmap(NULL, rx->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -errno;
	}
	err = xsk_umem__create(&q->umem, q->area, rx->area_len, &q->fill, &q->comp, &ucfg);
	if (err) {
		q->umem = NULL;
		return err < 0 ? err : -err;
	}
	switch (rx->cfg.bind) {
	case XSK_RX_BIND_AUTO:
		err = create_socket(rx, q, XDP_ZEROCOPY);
		if (err)
			err = create_socket(rx, q, XDP_COPY);
		break;
	case XSK_RX_BIND_COPY:
		err = create_socket(rx, q, XDP_COPY);
		break;
	case XSK_RX_BIND_ZEROCOPY:
		err = create_socket(rx, q, XDP_ZEROCOPY);
		break;
	default:
		err = -EINVAL;
	}
	if (err)
		return err;
	q->fd = xsk_socket__fd(q->xsk);
	err = socket_is_zerocopy(q->fd, &q->zerocopy);
	if (err)
		return err;
	fill_all(rx, q);
	return 0;
}

static void queue_close(struct xsk_rx_q *q, size_t area_len)
{
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area)
		munmap(q->area, area_len);
	free(q->pool);
}

static int check_config(struct xsk_rx_config *c)
{
	if (!c->ifname || strlen(c->ifname) >= IF_NAMESIZE)
		return -EINVAL;
	if (!c->frames)
		c->frames = 4096;
	if (!c->frame_size)
		c->frame_size = 4096;
	if (!c->rx_size)
		c->rx_size = c->frames;
	if (!c->batch)
		c->batch = 64;
	if (!c->budget)
		c->budget = 256;
	if (!is_pow2(c->frames) || !is_pow2(c->rx_size) || c->rx_size > c->frames)
		return -EINVAL;
	if (c->frame_size != 2048 && c->frame_size != 4096)
		return -EINVAL;
	if (c->batch > c->frames)
		c->batch = c->frames;
	if (c->queue >= FX_MAX_QUEUES)
		return -EINVAL;
	return 0;
}

int xsk_rx__new(struct xsk_rx **out, const struct xsk_rx_config *cfg)
{
	struct xsk_rx_config c = *cfg;
	struct xsk_rx *rx;
	unsigned i, n;
	int err, nq;

	fx_log_route_bpf(); /* libxdp's messages about the sockets */
	err = check_config(&c);
	if (err)
		return err;
	if (c.queue >= 0) {
		n = 1;
	} else {
		nq = xsk_rx_queue_count(c.ifname);
		if (nq < 0)
			return nq;
		/* Queues past the XSKMAP could never receive a frame. */
		if (nq > FX_MAX_QUEUES)
			return -E2BIG;
		n = (unsigned)nq;
	}
	rx = calloc(1, sizeof(*rx) + n * sizeof(rx->q[0]));
	if (!rx)
		return -ENOMEM;
	rx->cfg = c;
	strcpy(rx->ifname, c.ifname);
	rx->cfg.ifname = rx->ifname;
	rx->area_len = (size_t)c.frames * c.frame_size;
	rx->batch = calloc(c.batch, sizeof(*rx->batch));
	rx->slots = calloc(c.batch, sizeof(*rx->slots));
	if (!rx->batch || !rx->slots) {
		err = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < n; i++) {
		rx->n = i + 1;
		err = queue_open(rx, &rx->q[i], c.queue >= 0 ? (uint32_t)c.queue : i);
		if (err)
			goto err_free;
	}
	*out = rx;
	return 0;

err_free:
	xsk_rx__free(rx);
	return err;
}

void xsk_rx__free(struct xsk_rx *rx)
{
	unsigned i;

	if (!rx)
		return;
	xsk_rx__stop(rx);
	for (i = rx->n; i-- > 0;)
		queue_close(&rx->q[i], rx->area_len);
	free(rx->slots);
	free(rx->batch);
	free(rx);
}

unsigned xsk_rx__count(const struct xsk_rx *rx)
{
	return rx->n;
}

int xsk_rx__socket_fd(const struct xsk_rx *rx, unsigned i)
{
	return i < rx->n ? rx->q[i].fd : -EINVAL;
}

uint32_t xsk_rx__queue_id(const struct xsk_rx *rx, unsigned i)
{
	return i < rx->n ? rx->q[i].queue_id : UINT32_MAX;
}

int xsk_rx__update_xskmap(struct xsk_rx *rx, int xsks_map_fd)
{
	unsigned i;
	int err;

	for (i = 0; i < rx->n; i++) {
		err = xsk_socket__update_xskmap(rx->q[i].xsk, xsks_map_fd);
		if (err)
			return err < 0 ? err : -err;
	}
	return 0;
}

const char *xsk_rx__mode_str(const struct xsk_rx *rx)
{
	unsigned i, zc = 0;

	for (i = 0; i < rx->n; i++)
		zc += rx->q[i].zerocopy;
	return zc == rx->n ? "zero-copy" : zc ? "mixed" : "copy";
}

bool xsk_rx__need_wakeup(const struct xsk_rx *rx)
{
	return !rx->cfg.no_need_wakeup;
}

/* A syscall that makes the driver (zero-copy) or busy poll run. MSG_DONTWAIT
 * is required: AF_XDP rejects blocking receives. */
static void kick(struct xsk_rx_q *q)
{
	q->st.wakeups++;
	recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

/* Give the pool back to the kernel, as much as the fill ring takes. */
static void refill(struct xsk_rx *rx, struct xsk_rx_q *q)
{
	uint32_t free_slots, n, k, idx = 0;

	free_slots = xsk_prod_nb_free(&q->fill, rx->cfg.frames);
	if (free_slots >= rx->cfg.frames)
		q->st.fill_empty++;
	n = q->pool_n < free_slots ? q->pool_n : free_slots;
	if (n && xsk_ring_prod__reserve(&q->fill, n, &idx) == n) {
		for (k = 0; k < n; k++)
			*xsk_ring_prod__fill_addr(&q->fill, idx + k) = q->pool[--q->pool_n];
		xsk_ring_prod__submit(&q->fill, n);
	}
	q->st.fill_short += q->pool_n;
}

/* Copy the metadata out (it may be misaligned) and clear its magic in the
 * UMEM, so a later frame without metadata never shows a stale one. */
static const struct fx_xdp_meta *take_meta(struct xsk_rx *rx, struct xsk_rx_q *q, uint64_t addr,
					   struct fx_xdp_meta *out)
{
	const size_t magic_off = offsetof(struct fx_xdp_meta, magic);
	uint32_t magic, zero = 0;
	uint8_t *m;

	if ((addr & (rx->cfg.frame_size - 1)) < sizeof(*out))
		return NULL;
	m = q->area + addr - sizeof(*out);
	memcpy(&magic, m + magic_off, sizeof(magic));
	if (magic != FX_META_MAGIC)
		return NULL;
	memcpy(out, m, sizeof(*out));
	memcpy(m + magic_off, &zero, sizeof(zero));
	return out;
}

int xsk_rx__drain_queue(struct xsk_rx *rx, unsigned i, unsigned budget,
			const struct xsk_rx_handler *h, void *user)
{
	struct xsk_rx_q *q;
	unsigned done = 0;

	if (i >= rx->n)
		return -EINVAL;
	q = &rx->q[i];
	while (done < budget) {
		uint32_t want = budget - done, n, k, idx = 0;
		uint64_t now, bytes = 0;

		if (want > rx->cfg.batch)
			want = rx->cfg.batch;
		n = xsk_ring_cons__peek(&q->rxr, want, &idx);
		if (!n) {
			if (!done) {
				q->st.empty_polls++;
				if (rx->cfg.busy_poll_usecs > 0 ||
				    xsk_ring_prod__needs_wakeup(&q->fill))
					kick(q);
			}
			break;
		}
		now = mono_ns();
		for (k = 0; k < n; k++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rxr, idx + k);
			struct xsk_rx_frame *f = &rx->batch[k];

			rx->slots[k].addr = d->addr;
			f->data = q->area + d->addr;
			f->len = d->len;
			f->queue = q->queue_id;
			f->drain_ns = now;
			f->meta = take_meta(rx, q, d->addr, &rx->slots[k].meta);
			q->st.meta_frames += f->meta != NULL;
			bytes += d->len;
		}
		/* The descriptors are copied: free their ring slots now. The
		 * buffers stay ours until they go back to the fill ring. */
		xsk_ring_cons__release(&q->rxr, n);
		if (h && h->frame)
			for (k = 0; k < n; k++)
				h->frame(user, &rx->batch[k]);
		if (h && h->batch_end)
			h->batch_end(user, rx->batch, n);
		for (k = 0; k < n; k++)
			q->pool[q->pool_n++] =
			    rx->slots[k].addr & ~(uint64_t)(rx->cfg.frame_size - 1);
		refill(rx, q);
		if (xsk_ring_prod__needs_wakeup(&q->fill))
			kick(q);
		q->st.rx_frames += n;
		q->st.rx_bytes += bytes;
		q->st.batches++;
		done += n;
		if (n < want)
			break;
	}
	return (int)done;
}

int xsk_rx__drain(struct xsk_rx *rx, unsigned budget, const struct xsk_rx_handler *h, void *user)
{
	unsigned k, i, done = 0;
	int got;

	for (k = 0; k < rx->n && done < budget; k++) {
		i = (rx->next + k) % rx->n;
		got = xsk_rx__drain_queue(rx, i, budget - done, h, user);
		if (got < 0)
			return got;
		done += (unsigned)got;
	}
	rx->next = rx->n ? (rx->next + 1) % rx->n : 0;
	return (int)done;
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct xsk_rx_q *q = container_of(w, struct xsk_rx_q, io);
	struct xsk_rx *rx = q->rx;

	(void)loop;
	(void)revents;
	xsk_rx__drain_queue(rx, (unsigned)(q - rx->q), rx->cfg.budget, &rx->h, rx->user);
}

/* Busy mode: spin on the rings themselves, not on loop turns (each costs
 * libev an epoll_wait(0) and a clock read): until a frame came or
 * XSK_RX_SPIN_NS passed, then let libev run its other watchers (timers,
 * signals, the kernel sockets). The clock is read once per empty sweep. */
static void on_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct xsk_rx *rx = container_of(w, struct xsk_rx, idle);
	uint64_t until = 0;
	int got;
	unsigned i;

	(void)loop;
	(void)revents;
	for (;;) {
		got = 0;
		for (i = 0; i < rx->n; i++) {
			int r = xsk_rx__drain_queue(rx, i, rx->cfg.budget, &rx->h, rx->user);

			got += r > 0 ? r : 0;
		}
		if (got || !rx->started)
			return;
		if (!until)
			until = mono_ns() + XSK_RX_SPIN_NS;
		else if (mono_ns() >= until)
			return;
	}
}

static int set_busy_poll(struct xsk_rx *rx, int fd)
{
	int one = 1, usecs = rx->cfg.busy_poll_usecs;
	int budget = rx->cfg.busy_poll_budget > 0 ? rx->cfg.busy_poll_budget : (int)rx->cfg.batch;

	if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof(usecs)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget)))
		return -errno;
	return 0;
}

int xsk_rx__start(struct xsk_rx *rx, struct ev_loop *loop, enum xsk_rx_poll mode,
		  const struct xsk_rx_handler *h, void *user)
{
	unsigned i;
	int err;

	if (rx->started)
		return -EALREADY;
	if (mode != XSK_RX_POLL_WAKEUP && mode != XSK_RX_POLL_BUSY)
		return -EINVAL;
	if (rx->cfg.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(rx->cfg.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return -errno;
	}
	if (mode == XSK_RX_POLL_BUSY && rx->cfg.busy_poll_usecs > 0) {
		for (i = 0; i < rx->n; i++) {
			err = set_busy_poll(rx, rx->q[i].fd);
			if (err)
				return err;
		}
	}
	rx->h = h ? *h : (struct xsk_rx_handler){0};
	rx->user = user;
	rx->loop = loop;
	rx->mode = mode;
	if (mode == XSK_RX_POLL_WAKEUP) {
		for (i = 0; i < rx->n; i++) {
			ev_io_init(&rx->q[i].io, on_io, rx->q[i].fd, EV_READ);
			ev_io_start(loop, &rx->q[i].io);
		}
	} else {
		ev_idle_init(&rx->idle, on_idle);
		/* Highest priority: drain on every iteration, even when other
		 * watchers are pending. */
		ev_set_priority(&rx->idle, EV_MAXPRI);
		ev_idle_start(loop, &rx->idle);
	}
	rx->started = true;
	return 0;
}

void xsk_rx__stop(struct xsk_rx *rx)
{
	unsigned i;

	if (!rx->started)
		return;
	if (rx->mode == XSK_RX_POLL_WAKEUP)
		for (i = 0; i < rx->n; i++)
			ev_io_stop(rx->loop, &rx->q[i].io);
	else
		ev_idle_stop(rx->loop, &rx->idle);
	rx->started = false;
}

static void add_stats(struct xsk_rx_stats *to, const struct xsk_rx_stats *s)
{
	to->rx_frames += s->rx_frames;
	to->rx_bytes += s->rx_bytes;
	to->batches += s->batches;
	to->meta_frames += s->meta_frames;
	to->empty_polls += s->empty_polls;
	to->wakeups += s->wakeups;
	to->fill_empty += s->fill_empty;
	to->fill_short += s->fill_short;
	to->rx_dropped += s->rx_dropped;
	to->rx_invalid_descs += s->rx_invalid_descs;
	to->rx_ring_full += s->rx_ring_full;
	to->rx_fill_ring_empty_descs += s->rx_fill_ring_empty_descs;
}

static int queue_stats(const struct xsk_rx_q *q, struct xsk_rx_stats *out)
{
	struct xdp_statistics ks;
	socklen_t len = sizeof(ks);

	*out = q->st;
	memset(&ks, 0, sizeof(ks));
	if (getsockopt(q->fd, SOL_XDP, XDP_STATISTICS, &ks, &len))
		return -errno;
	out->rx_dropped = ks.rx_dropped;
	out->rx_invalid_descs = ks.rx_invalid_descs;
	out->rx_ring_full = ks.rx_ring_full;
	out->rx_fill_ring_empty_descs = ks.rx_fill_ring_empty_descs;
	return 0;
}

int xsk_rx__stats(const struct xsk_rx *rx, int i, struct xsk_rx_stats *out)
{
	struct xsk_rx_stats s;
	unsigned k;
	int err;

	memset(out, 0, sizeof(*out));
	if (i >= 0)
		return (unsigned)i < rx->n ? queue_stats(&rx->q[i], out) : -EINVAL;
	for (k = 0; k < rx->n; k++) {
		err = queue_stats(&rx->q[k], &s);
		if (err)
			return err;
		add_stats(out, &s);
	}
	return 0;
}

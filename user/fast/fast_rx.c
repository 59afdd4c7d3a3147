/* fast_rx — one interface's XDP program, flow map, AF_XDP rings and TUN
 * injector, shared by every connection; frames demultiplexed by 4-tuple
 * (see fast_rx.h). */
#include "fast_rx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>

#include <ev.h>

#include "pkt_parse.h"
#include "stats/lat_stats.h"
#include "tap_rx.h"
#include "tun_inject.h"
#include "xdp_steer.h"
#include "xsk_rx.h"

#define FAST_RX_BATCH_MAX 256 /* >= xsk_rx's batch size */
/* Open addressing at most half full: short probes, and a miss (a stranger)
 * ends at an empty slot soon. A power of two. */
#define FAST_RX_SLOTS (2 * FAST_RX_MAX_FLOWS)
_Static_assert((FAST_RX_SLOTS & (FAST_RX_SLOTS - 1)) == 0, "slots: a power of two");

struct fast_rx {
	struct fast_rx_opts o;
	struct ev_loop *loop;
	unsigned refs;
	struct xdp_steer *steer;
	struct xsk_rx *xsk;
	struct tun_inject *tun;
	struct tap_rx *tap;       /* --transport tap: instead of xsk and tun */
	uint64_t tap_lost_seen;   /* the program's global lost count, last looked at */
	ev_timer tap_check;       /* tap: looks at it when no batch does */
	ev_timer heartbeat;
	char describe[160];

	/* the demux: key -> flow, linear probing, backward-shift deletion */
	struct fast_rx_flow *slot[FAST_RX_SLOTS];
	unsigned flows;

	/* the batch being handled: each frame's flow and IP packet */
	unsigned batch_n;
	uint64_t batch_drain_ns;
	struct fast_rx_flow *own[FAST_RX_BATCH_MAX];
	bool refuse[FAST_RX_BATCH_MAX];
	struct iovec ip[FAST_RX_BATCH_MAX];
	struct fast_rx_flow *touched[FAST_RX_BATCH_MAX];
	unsigned n_touched;

	struct fast_rx_stats st;
};

/* ---- the demux table --------------------------------------------------- */

/* Mostly the local port differs between a process's flows; fold both
 * addresses (IPv4 in the first 4 bytes, IPv6 in all 16) and the ports
 * into one word, then one multiply and its high bits spread them. */
static unsigned fast_rx_hash(const struct fx_flow_key *k)
{
	uint64_t s0, s1, d0, d1, h;

	memcpy(&s0, k->saddr, 8), memcpy(&s1, k->saddr + 8, 8);
	memcpy(&d0, k->daddr, 8), memcpy(&d1, k->daddr + 8, 8);
	h = (s0 ^ s1) * 0x9e3779b97f4a7c15ull ^ (d0 ^ d1);
	h += (uint64_t)k->sport << 16 | k->dport | (uint64_t)k->family << 32;
	h *= 0xbf58476d1ce4e5b9ull;
	return (unsigned)(h >> 40) & (FAST_RX_SLOTS - 1);
}

static bool fast_rx_key_eq(const struct fx_flow_key *a, const struct fx_flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

struct fast_rx_flow *fast_rx__lookup(const struct fast_rx *rx, const struct fx_flow_key *key)
{
	unsigned i = fast_rx_hash(key);

	for (;;) {
		struct fast_rx_flow *fl = rx->slot[i];

		if (!fl)
			return NULL;
		if (fast_rx_key_eq(&fl->key, key))
			return fl;
		i = (i + 1) & (FAST_RX_SLOTS - 1);
	}
}

static int fast_rx_list(struct fast_rx *rx, struct fast_rx_flow *fl)
{
	unsigned i = fast_rx_hash(&fl->key);

	if (rx->flows >= FAST_RX_MAX_FLOWS)
		return -E2BIG;
	while (rx->slot[i]) {
		if (fast_rx_key_eq(&rx->slot[i]->key, &fl->key))
			return -EEXIST;
		i = (i + 1) & (FAST_RX_SLOTS - 1);
	}
	rx->slot[i] = fl;
	rx->flows++;
	fl->listed = true;
	return 0;
}

/* Backward-shift deletion: no tombstones, so lookups stay short however
 * many flows came and went. */
static void fast_rx_unlist(struct fast_rx *rx, struct fast_rx_flow *fl)
{
	unsigned i = fast_rx_hash(&fl->key), j, home;

	while (rx->slot[i] != fl) {
		if (!rx->slot[i])
			return; /* not there: nothing to do */
		i = (i + 1) & (FAST_RX_SLOTS - 1);
	}
	rx->slot[i] = NULL;
	for (j = (i + 1) & (FAST_RX_SLOTS - 1); rx->slot[j]; j = (j + 1) & (FAST_RX_SLOTS - 1)) {
		home = fast_rx_hash(&rx->slot[j]->key);
		/* move slot[j] into the hole unless its home lies in (i, j] */
		if (((j - home) & (FAST_RX_SLOTS - 1)) >= ((j - i) & (FAST_RX_SLOTS - 1))) {
			rx->slot[i] = rx->slot[j];
			rx->slot[j] = NULL;
			i = j;
		}
	}
	rx->flows--;
	fl->listed = false;
}

/* ---- flows ------------------------------------------------------------- */

int fast_rx__add_flow(struct fast_rx *rx, struct fast_rx_flow *fl, const struct fx_flow_key *key)
{
	struct fast_rx_flow *old;
	int r;

	fast_rx__remove_flow(rx, fl); /* an earlier key (another address attempt) */
	/* The kernel gave this 4-tuple to a new socket, so whichever flow still
	 * holds it belongs to a connection that is gone (closed, not yet reset
	 * or freed by its owner): the key is ours now. */
	old = fast_rx__lookup(rx, key);
	if (old) {
		fast_rx__remove_flow(rx, old);
		rx->st.evicted++;
	}
	fl->key = *key;
	r = fast_rx_list(rx, fl);
	if (r < 0)
		return r;
	if (rx->steer) {
		r = xdp_steer__add_flow(rx->steer, key);
		if (r < 0) {
			fast_rx_unlist(rx, fl);
			return r;
		}
	}
	fl->steered = true;
	rx->st.steered++;
	return 0;
}

void fast_rx__unsteer(struct fast_rx *rx, struct fast_rx_flow *fl)
{
	if (!rx || !fl->steered)
		return;
	if (rx->steer)
		xdp_steer__del_flow(rx->steer, &fl->key);
	fl->steered = false;
	rx->st.steered--;
}

void fast_rx__remove_flow(struct fast_rx *rx, struct fast_rx_flow *fl)
{
	unsigned i;

	if (!rx)
		return;
	fast_rx__unsteer(rx, fl);
	if (!fl->listed)
		return;
	fast_rx_unlist(rx, fl);
	/* Removed mid-batch (from its own callback): the batch must not reach
	 * it again; its frames there go back to the kernel as strangers. */
	for (i = 0; i < rx->batch_n; i++)
		if (rx->own[i] == fl)
			rx->own[i] = NULL;
	for (i = 0; i < rx->n_touched; i++)
		if (rx->touched[i] == fl)
			rx->touched[i] = NULL;
	fl->touched = false;
}

/* ---- frames ------------------------------------------------------------ */

static void fast_rx_on_frame(void *user, const struct xsk_rx_frame *f)
{
	struct fast_rx *rx = user;
	struct fast_rx_flow *fl = NULL;
	struct pkt_tcp seg;
	bool refuse;
	unsigned i;

	if (rx->batch_n >= FAST_RX_BATCH_MAX)
		return; /* cannot happen: the rings' batch is capped at set-up */
	i = rx->batch_n++;
	if (i == 0)
		rx->batch_drain_ns = f->drain_ns;
	rx->st.frames++;
	rx->own[i] = NULL;
	rx->refuse[i] = false;
	rx->ip[i].iov_base = NULL;
	if (pkt_parse_tcp(f->data, f->len, &seg) == PKT_OK) {
		/* parsed once: re-injection writes this IP packet as it is */
		rx->ip[i].iov_base = (void *)(f->data + seg.l3_off);
		rx->ip[i].iov_len = seg.l3_len;
		fl = fast_rx__lookup(rx, &seg.key);
	}
	if (!fl) {
		rx->st.frames_other++; /* not ours to decode, but the kernel's to see */
		return;
	}
	rx->own[i] = fl;
	fl->st.frames++;
	if (!fl->touched) {
		fl->touched = true;
		rx->touched[rx->n_touched++] = fl;
	}
	refuse = fl->ops->segment(fl, f, &seg);
	/* Removed in its own callback (own[i] cleared), its owner maybe freed:
	 * a stranger now, whatever it answered. */
	if (rx->own[i] != fl)
		return;
	if (refuse) {
		rx->refuse[i] = true;
		fl->st.refused++;
	}
}

static int fast_rx_write(struct fast_rx *rx, unsigned i, const struct xsk_rx_frame *f)
{
	if (rx->o.reinject) {
		if (rx->ip[i].iov_base)
			return rx->o.reinject(rx->o.reinject_user, rx->ip[i].iov_base,
					      rx->ip[i].iov_len);
		int off = pkt_parse_l3_offset(f->data, f->len);

		return off < 0 ? off : rx->o.reinject(rx->o.reinject_user, f->data + off,
						      f->len - (size_t)off);
	}
	if (!rx->tun)
		return -ENODEV;
	if (rx->ip[i].iov_base)
		return tun_inject__write_ip(rx->tun, rx->ip[i].iov_base, rx->ip[i].iov_len);
	/* not TCP/IP as we parse it: the kernel decides */
	return tun_inject__write(rx->tun, f->data, f->len);
}

/* Batch end for every flow the batch touched (their service time ends with
 * their decoding): both transports, before the frames are handled. */
static void fast_rx_flows_batch_end(struct fast_rx *rx)
{
	for (unsigned i = 0; i < rx->n_touched; i++) {
		struct fast_rx_flow *fl = rx->touched[i];

		if (!fl)
			continue;
		fl->touched = false;
		if (fl->ops->batch_end)
			fl->ops->batch_end(fl, rx->batch_drain_ns);
	}
	rx->n_touched = 0;
}

static void fast_rx_on_batch_end(void *user, const struct xsk_rx_frame *frames, unsigned n)
{
	struct fast_rx *rx = user;
	unsigned i;

	rx->st.batches++;
	fast_rx_flows_batch_end(rx); /* the flows first */
	for (i = 0; i < n && i < rx->batch_n; i++) {
		struct fast_rx_flow *fl = rx->own[i];
		int r;

		if (rx->refuse[i] && fl)
			continue; /* never re-injected: the kernel won't ACK it, the exchange resends */
		r = fast_rx_write(rx, i, &frames[i]);
		if (r == 0) {
			rx->st.reinjected++;
			if (fl)
				fl->st.reinjected++;
			else
				rx->st.other_reinjected++;
		} else {
			rx->st.reinject_failed++;
			if (fl)
				fl->st.reinject_failed++;
			else
				rx->st.other_reinject_failed++;
		}
	}
	rx->batch_n = 0;
}

static const struct xsk_rx_handler fast_rx_handler = {
	.frame = fast_rx_on_frame,
	.batch_end = fast_rx_on_batch_end,
};

/* ---- --transport tap: nothing goes back, a hole is for good ----------- */

/* Tell each flow in keys[] (looked up again: an earlier call may have
 * removed or moved flows) that it lost a frame. */
static void fast_rx_tell_lost(struct fast_rx *rx, const struct fx_flow_key *keys, unsigned n,
			      const char *why)
{
	for (unsigned i = 0; i < n; i++) {
		struct fast_rx_flow *fl = fast_rx__lookup(rx, &keys[i]);

		if (!fl)
			continue;
		rx->st.tap_flows_lost++;
		/* no more copies: the kernel path has the flow from here on */
		fast_rx__unsteer(rx, fl);
		if (fl->ops->lost)
			fl->ops->lost(fl, why);
	}
}

/* The program counts every copy it could not make, globally (a load from
 * the mmapped state) and per flow (the flow map: a syscall, only when the
 * global count moved). A steered flow with a count is told. */
static void fast_rx_tap_check(struct fast_rx *rx)
{
	struct fx_flow_key keys[FAST_RX_MAX_FLOWS];
	uint64_t lost = xdp_steer__tap_lost(rx->steer);
	unsigned n = 0;

	if (lost == rx->tap_lost_seen)
		return;
	rx->tap_lost_seen = lost;
	for (unsigned i = 0; i < FAST_RX_SLOTS && n < FAST_RX_MAX_FLOWS; i++) {
		struct fast_rx_flow *fl = rx->slot[i];
		struct fx_flow_val val;

		if (fl && fl->steered && xdp_steer__flow(rx->steer, &fl->key, &val) == 0 &&
		    val.tap_lost)
			keys[n++] = fl->key;
	}
	fast_rx_tell_lost(rx, keys, n, "the tap ring buffer had no room for a frame of this "
				       "flow (the kernel has ACKed it: it will not come again)");
}

static void fast_rx_on_tap_batch_end(void *user, const struct xsk_rx_frame *frames, unsigned n)
{
	struct fast_rx *rx = user;
	struct fx_flow_key keys[FAST_RX_BATCH_MAX];
	unsigned i, k = 0;

	(void)frames;
	rx->st.batches++;
	rx->st.tap_records += n;
	fast_rx_flows_batch_end(rx);
	/* a refused segment is not resent either: the kernel took it */
	for (i = 0; i < n && i < rx->batch_n; i++) {
		struct fast_rx_flow *fl = rx->own[i];
		unsigned j;

		if (!rx->refuse[i] || !fl)
			continue;
		for (j = 0; j < k && !fast_rx_key_eq(&keys[j], &fl->key); j++)
			;
		if (j == k)
			keys[k++] = fl->key;
	}
	rx->batch_n = 0;
	fast_rx_tell_lost(rx, keys, k, "a segment the reassembler refused (the kernel has "
				       "ACKed it: it will not come again)");
	fast_rx_tap_check(rx);
}

static const struct xsk_rx_handler fast_rx_tap_handler = {
	.frame = fast_rx_on_frame,
	.batch_end = fast_rx_on_tap_batch_end,
};

static void fast_rx_tap_check_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fast_rx *rx = w->data;

	(void)loop, (void)revents;
	fast_rx_tap_check(rx);
}

static int fast_rx_open_tap(struct fast_rx *rx, const struct fast_rx_opts *o,
			    struct fx_error *err)
{
	uint32_t bytes = o->tap_ring_bytes ? o->tap_ring_bytes : FAST_RX_TAP_RING_DEFAULT;
	int r;

	r = xdp_steer__open_tap(&rx->steer, o->ifname, o->xdp_mode, bytes, err);
	if (r < 0)
		return r;
	r = tap_rx__new(&rx->tap, xdp_steer__tap_ring_fd(rx->steer), bytes);
	if (r < 0)
		return fx_error_set(err, r, "cannot map the tap ring buffer (%u bytes): %s", bytes,
				    strerror(-r));
	rx->tap_lost_seen = xdp_steer__tap_lost(rx->steer);
	ev_timer_init(&rx->tap_check, fast_rx_tap_check_cb, 0.005, 0.005);
	rx->tap_check.data = rx;
	ev_timer_start(rx->loop, &rx->tap_check);
	ev_unref(rx->loop); /* it alone must not keep the loop running */
	r = tap_rx__start(rx->tap, rx->loop, o->poll,
			  o->poll == XSK_RX_POLL_BUSY ? o->busy_cpu : -1, &fast_rx_tap_handler, rx);
	if (r < 0)
		return fx_error_set(err, r, "cannot start draining the tap ring buffer: %s",
				    strerror(-r));
	snprintf(rx->describe, sizeof(rx->describe),
		 "%s XDP%s on %s, tap transport (BPF ring buffer, %u KiB, XDP_PASS), %s poll",
		 xdp_steer__mode(rx->steer) == XDP_STEER_MODE_SKB ? "generic" : "native",
		 xdp_steer__multiprog(rx->steer) ? " (multiprog)" : "", o->ifname, bytes >> 10,
		 o->poll == XSK_RX_POLL_BUSY ? "busy" : "wakeup");
	return 0;
}

void fast_rx__dispatch(struct fast_rx *rx, const struct xsk_rx_frame *frames, unsigned n)
{
	while (n) {
		unsigned k = n < FAST_RX_BATCH_MAX ? n : FAST_RX_BATCH_MAX;

		for (unsigned i = 0; i < k; i++)
			fast_rx_on_frame(rx, &frames[i]);
		fast_rx_on_batch_end(rx, frames, k);
		frames += k;
		n -= k;
	}
}

/* Teardown: hand what is still on the rings to the kernel undecoded. */
static void fast_rx_on_batch_flush(void *user, const struct xsk_rx_frame *frames, unsigned n)
{
	struct fast_rx *rx = user;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (tun_inject__write(rx->tun, frames[i].data, frames[i].len) == 0) {
			rx->st.reinjected++;
			rx->st.other_reinjected++;
		} else {
			rx->st.reinject_failed++;
			rx->st.other_reinject_failed++;
		}
	}
}

static const struct xsk_rx_handler fast_rx_flush_handler = {
	.batch_end = fast_rx_on_batch_flush,
};

/* The loop is alive: tell the XDP program (a plain store into its map). */
static void fast_rx_heartbeat_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fast_rx *rx = w->data;

	(void)loop, (void)revents;
	xdp_steer__heartbeat(rx->steer, lat_stats_now_ns());
}

/* ---- lifecycle --------------------------------------------------------- */

static int fast_rx_open_device(struct fast_rx *rx, const struct fast_rx_opts *o,
			       struct fx_error *err)
{
	struct xsk_rx_config xc;
	struct tun_inject_config tc;
	int r;

	if (o->transport == FAST_RX_TRANSPORT_TAP)
		return fast_rx_open_tap(rx, o, err);
	r = xdp_steer__open(&rx->steer, o->ifname, o->xdp_mode, err);
	if (r < 0)
		return r;
	xsk_rx_defaults(&xc);
	xc.ifname = o->ifname;
	xc.queue = o->queue;
	xc.cpu = o->poll == XSK_RX_POLL_BUSY ? o->busy_cpu : -1;
	xc.busy_poll_usecs = o->poll == XSK_RX_POLL_BUSY ? o->busy_poll_usecs : 0;
	if (xc.batch > FAST_RX_BATCH_MAX)
		xc.batch = FAST_RX_BATCH_MAX;
	r = xsk_rx__new(&rx->xsk, &xc);
	if (r == -ENOBUFS) {
		/* the UMEM is pinned memory, charged to RLIMIT_MEMLOCK unless the
		 * process has CAP_IPC_LOCK */
		struct rlimit rl = {0};

		getrlimit(RLIMIT_MEMLOCK, &rl);
		return fx_error_set(err, r, "cannot open AF_XDP sockets on %s: the UMEM does not "
				    "fit in RLIMIT_MEMLOCK (%llu KiB): needs CAP_IPC_LOCK or a higher "
				    "limit (LimitMEMLOCK=)", o->ifname,
				    (unsigned long long)rl.rlim_cur >> 10);
	}
	if (r < 0)
		return fx_error_set(err, r, "cannot open AF_XDP sockets on %s: %s", o->ifname,
				    strerror(-r));
	r = xsk_rx__update_xskmap(rx->xsk, xdp_steer__xsks_fd(rx->steer));
	if (r < 0)
		return fx_error_set(err, r, "cannot register AF_XDP sockets: %s", strerror(-r));
	if (!o->reinject) {
		tun_inject_defaults(&tc);
		r = tun_inject__new(&rx->tun, &tc, err);
		if (r < 0)
			return r;
	}
	if (o->stale_ms) {
		double every = o->stale_ms / 5000.0;

		if (xdp_steer__set_stale(rx->steer, (uint64_t)o->stale_ms * 1000000u,
					 lat_stats_now_ns()) == 0) {
			ev_timer_init(&rx->heartbeat, fast_rx_heartbeat_cb, every, every);
			rx->heartbeat.data = rx;
			ev_timer_start(rx->loop, &rx->heartbeat);
			ev_unref(rx->loop); /* the heartbeat alone must not keep the loop running */
		}
	}
	r = xsk_rx__start(rx->xsk, rx->loop, o->poll, &fast_rx_handler, rx);
	if (r < 0)
		return fx_error_set(err, r, "cannot start draining AF_XDP: %s", strerror(-r));
	snprintf(rx->describe, sizeof(rx->describe),
		 "%s XDP%s on %s, AF_XDP %s mode, %u queue%s, %s poll",
		 xdp_steer__mode(rx->steer) == XDP_STEER_MODE_SKB ? "generic" : "native",
		 xdp_steer__multiprog(rx->steer) ? " (multiprog)" : "", o->ifname,
		 xsk_rx__mode_str(rx->xsk), xsk_rx__count(rx->xsk),
		 xsk_rx__count(rx->xsk) == 1 ? "" : "s",
		 o->poll == XSK_RX_POLL_BUSY ? "busy" : "wakeup");
	return 0;
}

static void fast_rx_free(struct fast_rx *rx)
{
	unsigned i;

	/* flows still listed belong to owners that outlive us: unhook them */
	for (i = 0; i < FAST_RX_SLOTS; i++) {
		if (rx->slot[i]) {
			rx->slot[i]->listed = false;
			rx->slot[i]->steered = false;
		}
	}
	if (ev_is_active(&rx->heartbeat)) {
		ev_ref(rx->loop);
		ev_timer_stop(rx->loop, &rx->heartbeat);
	}
	if (ev_is_active(&rx->tap_check)) {
		ev_ref(rx->loop);
		ev_timer_stop(rx->loop, &rx->tap_check);
	}
	tap_rx__free(rx->tap);
	if (rx->xsk)
		xsk_rx__stop(rx->xsk);
	/* The flows' last frames (the exchange's ACK of our FIN, its own FIN)
	 * may be on the rings after the loop ended: without them the kernel
	 * retransmits its FIN and leaves the closed connection late. */
	if (rx->xsk && rx->tun)
		xsk_rx__drain(rx->xsk, 4096, &fast_rx_flush_handler, rx);
	xdp_steer__close(rx->steer);
	xsk_rx__free(rx->xsk);
	tun_inject__free(rx->tun);
	free(rx);
}

int fast_rx__new(struct fast_rx **out, struct ev_loop *loop, const struct fast_rx_opts *o,
		 struct fx_error *err)
{
	struct fast_rx *rx;
	int r;

	*out = NULL;
	rx = calloc(1, sizeof(*rx));
	if (!rx)
		return fx_error_set(err, -ENOMEM, "out of memory");
	rx->o = *o;
	rx->o.ifname = NULL; /* not kept: the caller's string */
	rx->loop = loop;
	rx->refs = 1;
	if (o->ifname) {
		r = fast_rx_open_device(rx, o, err);
		if (r < 0) {
			fast_rx_free(rx);
			return r;
		}
	} else {
		snprintf(rx->describe, sizeof(rx->describe), "no device (frames dispatched by hand)");
	}
	*out = rx;
	return 0;
}

struct fast_rx *fast_rx__ref(struct fast_rx *rx)
{
	if (rx)
		rx->refs++;
	return rx;
}

void fast_rx__unref(struct fast_rx *rx)
{
	if (rx && --rx->refs == 0)
		fast_rx_free(rx);
}

/* ---- what it tells ----------------------------------------------------- */

void fast_rx__stats(const struct fast_rx *rx, struct fast_rx_stats *st)
{
	struct xsk_rx_stats xs;

	*st = rx->st;
	st->flows = rx->flows;
	if (rx->xsk && xsk_rx__stats(rx->xsk, -1, &xs) == 0) {
		st->ring_dropped = xs.rx_dropped;
		st->ring_full = xs.rx_ring_full;
		st->fill_ring_empty = xs.rx_fill_ring_empty_descs;
	}
	if (rx->tap)
		st->tap_lost = xdp_steer__tap_lost(rx->steer);
}

int fast_rx__xdp_counters(const struct fast_rx *rx, uint64_t sums[FX_CNT__MAX])
{
	__u64 s[FX_CNT__MAX];
	int r = rx->steer ? xdp_steer__counters(rx->steer, s) : -ENODEV;

	for (int i = 0; i < FX_CNT__MAX; i++)
		sums[i] = r < 0 ? 0 : s[i];
	return r;
}

int fast_rx__map_flows(const struct fast_rx *rx)
{
	return rx->steer ? xdp_steer__flow_count(rx->steer) : -ENODEV;
}

bool fast_rx__multiprog(const struct fast_rx *rx)
{
	return rx->steer && xdp_steer__multiprog(rx->steer);
}

const char *fast_rx__describe(const struct fast_rx *rx)
{
	return rx->describe;
}

enum fast_rx_transport fast_rx__transport(const struct fast_rx *rx)
{
	return rx->o.transport;
}

uint32_t fast_rx__tap_ring_bytes(const struct fast_rx *rx)
{
	if (rx->o.transport != FAST_RX_TRANSPORT_TAP)
		return 0;
	return rx->o.tap_ring_bytes ? rx->o.tap_ring_bytes : FAST_RX_TAP_RING_DEFAULT;
}

void fast_rx__catch_up(struct fast_rx *rx)
{
	if (rx && rx->tap)
		tap_rx__drain(rx->tap, UINT32_MAX);
}

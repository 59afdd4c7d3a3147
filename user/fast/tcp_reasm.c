/* tcp_reasm — one-direction TCP stream reassembly; see tcp_reasm.h.
 *
 * The store: a ring of 2^k bytes indexed by stream offset (byte at offset o
 * lives at ring[o & mask]) plus a sorted array of disjoint, non-adjacent
 * held intervals. Out-of-order data is accepted only when it ends within
 * max_ooo_bytes of the next expected byte, so held bytes never collide in
 * the ring and placement needs no allocator: no fragmentation, no per-segment
 * slots, one memcpy (two at the ring's end). Adjacent and overlapping pieces
 * merge, so the interval array holds one entry per hole, usually one or two.
 * Everything is allocated at set-up.
 */
#include "tcp_reasm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

struct tcp_reasm_ivl {
	uint64_t off;   /* stream offset of the first held byte */
	uint32_t len;   /* held bytes, contiguous */
	uint32_t nsegs; /* segments merged into it */
};

struct tcp_reasm {
	/* Hot: everything the in-order path reads, first. */
	uint32_t next_seq;
	uint32_t window;
	uint64_t next_off;
	bool fast; /* open, nothing held, no FIN pending */
	tcp_reasm_deliver_fn deliver;
	void *user;
	struct tcp_reasm_stats st;

	enum tcp_reasm_state state;
	uint32_t isn;
	bool fin_known;
	uint64_t fin_off; /* stream offset the FIN occupies */
	uint32_t nivl;
	uint32_t max_segs;
	uint32_t max_bytes;
	uint64_t ring_mask;
	struct tcp_reasm_ivl *ivl; /* [max_segs], sorted by off */
	uint8_t *ring;             /* [ring_mask + 1] */
	tcp_reasm_end_fn end;
	void *alloc; /* what tcp_reasm__new() allocated, else NULL */
};

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((size_t)(a) - 1))

static uint64_t roundup_pow2(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

struct layout {
	uint32_t max_bytes, max_segs, window;
	size_t ivl_off, ring_off, ring_size, total;
};

static int layout_of(const struct tcp_reasm_opts *o, struct layout *l)
{
	if (!o || !o->deliver)
		return -EINVAL;
	l->max_bytes = o->max_ooo_bytes ? o->max_ooo_bytes : TCP_REASM_DEF_MAX_OOO_BYTES;
	l->max_segs = o->max_ooo_segs ? o->max_ooo_segs : TCP_REASM_DEF_MAX_OOO_SEGS;
	l->window = o->window ? o->window : TCP_REASM_DEF_WINDOW;
	if (l->max_bytes > TCP_REASM_MAX_OOO_BYTES || l->max_segs > TCP_REASM_MAX_OOO_SEGS ||
	    l->window > TCP_REASM_MAX_WINDOW)
		return -EINVAL;
	l->ring_size = roundup_pow2(l->max_bytes);
	/* 64 bytes of slack to align the caller's memory ourselves. */
	l->ivl_off = ALIGN_UP(sizeof(struct tcp_reasm), 64);
	l->ring_off = ALIGN_UP(l->ivl_off + (size_t)l->max_segs * sizeof(struct tcp_reasm_ivl), 64);
	l->total = l->ring_off + l->ring_size + 64;
	return 0;
}

size_t tcp_reasm_mem_size(const struct tcp_reasm_opts *opts)
{
	struct layout l;

	return layout_of(opts, &l) ? 0 : l.total;
}

int tcp_reasm__init(struct tcp_reasm **out, void *mem, size_t size,
		    const struct tcp_reasm_opts *opts)
{
	struct tcp_reasm *r;
	struct layout l;
	uint8_t *base;
	int err;

	if (!out || !mem)
		return -EINVAL;
	err = layout_of(opts, &l);
	if (err)
		return err;
	if (size < l.total)
		return -EINVAL;
	base = (uint8_t *)ALIGN_UP((uintptr_t)mem, 64);
	r = (struct tcp_reasm *)base;
	memset(r, 0, sizeof(*r));
	r->window = l.window;
	r->max_bytes = l.max_bytes;
	r->max_segs = l.max_segs;
	r->ring_mask = l.ring_size - 1;
	r->ivl = (struct tcp_reasm_ivl *)(base + l.ivl_off);
	r->ring = base + l.ring_off;
	r->deliver = opts->deliver;
	r->end = opts->end;
	r->user = opts->user;
	r->state = TCP_REASM_IDLE;
	*out = r;
	return 0;
}

int tcp_reasm__new(struct tcp_reasm **out, const struct tcp_reasm_opts *opts)
{
	struct tcp_reasm *r;
	size_t size;
	void *mem;
	int err;

	*out = NULL;
	size = tcp_reasm_mem_size(opts);
	if (!size)
		return -EINVAL;
	mem = malloc(size);
	if (!mem)
		return -ENOMEM;
	err = tcp_reasm__init(&r, mem, size, opts);
	if (err) {
		free(mem);
		return err;
	}
	r->alloc = mem;
	*out = r;
	return 0;
}

void tcp_reasm__free(struct tcp_reasm *r)
{
	if (r && r->alloc)
		free(r->alloc);
}

static void stream_reset(struct tcp_reasm *r, uint32_t isn)
{
	r->isn = isn;
	r->next_seq = isn + 1;
	r->next_off = 0;
	r->nivl = 0;
	r->fin_known = false;
	r->fin_off = 0;
	r->state = TCP_REASM_OPEN;
	r->fast = true;
	r->st.ooo_bytes_now = 0;
	r->st.ooo_segs_now = 0;
}

void tcp_reasm__start(struct tcp_reasm *r, uint32_t isn)
{
	memset(&r->st, 0, sizeof(r->st));
	stream_reset(r, isn);
}

int tcp_reasm__set_window(struct tcp_reasm *r, uint32_t window)
{
	if (window > TCP_REASM_MAX_WINDOW)
		return -EINVAL;
	r->window = window;
	return 0;
}

enum tcp_reasm_state tcp_reasm__state(const struct tcp_reasm *r)
{
	return r->state;
}

uint64_t tcp_reasm__offset(const struct tcp_reasm *r)
{
	return r->next_off;
}

uint32_t tcp_reasm__next_seq(const struct tcp_reasm *r)
{
	return r->next_seq;
}

void tcp_reasm__stats(const struct tcp_reasm *r, struct tcp_reasm_stats *out)
{
	*out = r->st;
}

static void update_fast(struct tcp_reasm *r)
{
	r->fast = r->state == TCP_REASM_OPEN && r->nivl == 0 && !r->fin_known;
}

static void advance(struct tcp_reasm *r, uint64_t n)
{
	r->next_off += n;
	r->next_seq += (uint32_t)n;
	r->st.delivered_bytes += n;
}

/* Deliver ring bytes [off, off + len): one call, two at the ring's end. */
static void deliver_ring(struct tcp_reasm *r, uint64_t off, uint32_t len)
{
	size_t pos = off & r->ring_mask;
	size_t first = r->ring_mask + 1 - pos;

	if (first >= len) {
		r->deliver(r->user, off, r->ring + pos, len);
	} else {
		r->deliver(r->user, off, r->ring + pos, first);
		r->deliver(r->user, off + first, r->ring, len - first);
	}
}

static void ring_write(struct tcp_reasm *r, uint64_t off, const uint8_t *p, uint32_t len)
{
	size_t pos = off & r->ring_mask;
	size_t first = r->ring_mask + 1 - pos;

	if (first >= len) {
		memcpy(r->ring + pos, p, len);
	} else {
		memcpy(r->ring + pos, p, first);
		memcpy(r->ring, p + first, len - first);
	}
}

/* Number of bytes in p[0, len) that differ from the ring at off. */
static uint32_t ring_diff(const struct tcp_reasm *r, uint64_t off, const uint8_t *p, uint32_t len)
{
	uint32_t n = 0;
	size_t pos = off & r->ring_mask;

	for (uint32_t i = 0; i < len; i++, pos = (pos + 1) & r->ring_mask)
		n += r->ring[pos] != p[i];
	return n;
}

/* Equal copies are the common case: memcmp first, count only on mismatch. */
static uint32_t ring_diff_fast(const struct tcp_reasm *r, uint64_t off, const uint8_t *p,
			       uint32_t len)
{
	size_t pos = off & r->ring_mask;
	size_t first = r->ring_mask + 1 - pos;
	size_t a = first < len ? first : len;

	if (!memcmp(r->ring + pos, p, a) && (a == len || !memcmp(r->ring, p + a, len - a)))
		return 0;
	return ring_diff(r, off, p, len);
}

static void pop_front(struct tcp_reasm *r)
{
	r->nivl--;
	memmove(r->ivl, r->ivl + 1, r->nivl * sizeof(*r->ivl));
}

/* Deliver every held interval that now starts at the delivered edge. Adjacent
 * intervals are merged, so this releases at most one, but loops for safety. */
static void release(struct tcp_reasm *r)
{
	while (r->nivl && r->ivl[0].off == r->next_off) {
		struct tcp_reasm_ivl v = r->ivl[0];

		pop_front(r);
		r->st.ooo_bytes_now -= v.len;
		r->st.ooo_segs_now -= v.nsegs;
		r->st.delivered_segs += v.nsegs;
		deliver_ring(r, v.off, v.len);
		advance(r, v.len);
	}
}

static void end_stream(struct tcp_reasm *r, enum tcp_reasm_state s, int how)
{
	r->state = s;
	r->fast = false;
	if (r->end)
		r->end(r->user, r->next_off, how);
}

static void check_fin(struct tcp_reasm *r)
{
	if (r->fin_known && r->next_off == r->fin_off)
		end_stream(r, TCP_REASM_FINISHED, FX_TCP_FIN);
}

/* A segment starting exactly at the delivered edge: deliver its bytes from
 * the caller's buffer, yielding to held bytes where it overlaps them (first
 * copy wins). Needs no store space, so it never fails. Returns bytes that
 * were already held. */
static uint32_t edge_deliver(struct tcp_reasm *r, const uint8_t *p, uint32_t len,
			     uint32_t *conflicts)
{
	uint32_t seen = 0;

	r->st.delivered_segs++;
	while (len) {
		uint64_t gap;
		uint32_t n;

		if (!r->nivl || r->ivl[0].off >= r->next_off + len) {
			r->deliver(r->user, r->next_off, p, len);
			advance(r, len);
			release(r); /* the segment may end right where held data starts */
			break;
		}
		/* Held intervals start beyond the edge, never at it. */
		gap = r->ivl[0].off - r->next_off;
		if (gap) {
			r->deliver(r->user, r->next_off, p, gap);
			advance(r, gap);
		}
		p += gap;
		len -= (uint32_t)gap;
		n = len < r->ivl[0].len ? len : r->ivl[0].len;
		*conflicts += ring_diff_fast(r, r->next_off, p, n);
		seen += n;
		p += n;
		len -= n;
		release(r);
	}
	return seen;
}

/* First interval that ends at or after off (touching counts: it merges). */
static uint32_t ivl_lower(const struct tcp_reasm *r, uint64_t off)
{
	uint32_t lo = 0, hi = r->nivl;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (r->ivl[mid].off + r->ivl[mid].len < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void note_peaks(struct tcp_reasm *r)
{
	if (r->st.ooo_bytes_now > r->st.ooo_bytes_peak)
		r->st.ooo_bytes_peak = r->st.ooo_bytes_now;
	if (r->st.ooo_segs_now > r->st.ooo_segs_peak)
		r->st.ooo_segs_peak = r->st.ooo_segs_now;
}

/* Hold [off, off + len), off beyond the edge. New bytes fill the gaps between
 * held intervals; bytes already held win and are compared. All or nothing. */
static int store(struct tcp_reasm *r, uint64_t off, const uint8_t *p, uint32_t len,
		 uint32_t *seen, uint32_t *conflicts)
{
	uint64_t end = off + len;
	uint32_t i, j, covered = 0, nsegs = 0;
	uint64_t lo, hi;

	if (end - r->next_off > r->max_bytes)
		goto refuse;
	i = ivl_lower(r, off);
	for (j = i; j < r->nivl && r->ivl[j].off <= end; j++) {
		uint64_t s = r->ivl[j].off, e = s + r->ivl[j].len;

		s = s > off ? s : off;
		e = e < end ? e : end;
		if (e > s)
			covered += (uint32_t)(e - s);
	}
	if (covered < len && r->st.ooo_segs_now >= r->max_segs)
		goto refuse;

	/* Walk again: compare the overlaps, copy the gaps. */
	lo = off;
	hi = end;
	for (uint32_t k = i; k < j; k++) {
		uint64_t s = r->ivl[k].off, e = s + r->ivl[k].len;
		uint64_t cs = s > off ? s : off, ce = e < end ? e : end;

		if (s > off && k == i)
			ring_write(r, off, p, (uint32_t)(s - off));
		if (ce > cs)
			*conflicts += ring_diff_fast(r, cs, p + (cs - off), (uint32_t)(ce - cs));
		if (k + 1 < j) {
			uint64_t ns = r->ivl[k + 1].off;

			ring_write(r, e, p + (e - off), (uint32_t)(ns - e));
		} else if (e < end) {
			ring_write(r, e, p + (e - off), (uint32_t)(end - e));
		}
		lo = s < lo ? s : lo;
		hi = e > hi ? e : hi;
		nsegs += r->ivl[k].nsegs;
	}
	if (i == j)
		ring_write(r, off, p, len);
	*seen = covered;
	if (covered == len)
		return 0; /* nothing new: the intervals are unchanged */

	/* Replace intervals [i, j) by one covering all of them and the segment. */
	if (j == i) {
		memmove(r->ivl + i + 1, r->ivl + i, (r->nivl - i) * sizeof(*r->ivl));
		r->nivl++;
	} else if (j - i > 1) {
		memmove(r->ivl + i + 1, r->ivl + j, (r->nivl - j) * sizeof(*r->ivl));
		r->nivl -= j - i - 1;
	}
	r->ivl[i].off = lo;
	r->ivl[i].len = (uint32_t)(hi - lo);
	r->ivl[i].nsegs = nsegs + 1;
	r->st.ooo_segs++;
	r->st.ooo_bytes += len - covered;
	r->st.ooo_segs_now++;
	r->st.ooo_bytes_now += len - covered;
	note_peaks(r);
	return 0;

refuse:
	r->st.cap_refused++;
	r->st.cap_refused_bytes += len;
	return -ENOBUFS;
}

static int push_slow(struct tcp_reasm *r, uint32_t seq, uint8_t flags, const uint8_t *p,
		     uint32_t len)
{
	bool fin = flags & FX_TCP_FIN;
	uint32_t seen = 0, conflicts = 0, orig_len = len;
	int64_t off, end, limit;
	int err;

	if (len && !p)
		return -EINVAL;
	if ((flags & FX_TCP_SYN) && (flags & (FX_TCP_FIN | FX_TCP_RST))) {
		r->st.bad_syns++;
		return -EPROTO;
	}
	if (r->state == TCP_REASM_IDLE) {
		if (!(flags & FX_TCP_SYN)) {
			r->st.not_started++;
			return -ENOTCONN;
		}
		/* A refused segment takes nothing, not even its ISN: the SYN's
		 * data would start at offset 0, where only the window refuses. */
		if (len > r->window) {
			r->st.out_of_window++;
			return -ERANGE;
		}
		stream_reset(r, seq);
	} else if (r->state == TCP_REASM_RESET) {
		r->st.after_end++;
		return -ECONNRESET;
	} else if (flags & FX_TCP_SYN) {
		if (seq != r->isn) {
			r->st.bad_syns++;
			return -EPROTO;
		}
		r->st.syn_dups++;
	}
	/* The SYN occupies the ISN itself; its data (if any) starts after it. */
	if (flags & FX_TCP_SYN)
		seq++;
	/* Pure ACKs and window probes carry no stream bytes, wherever their seq. */
	if (!len && !(flags & (FX_TCP_FIN | FX_TCP_RST)))
		return 0;

	off = (int64_t)r->next_off + (int32_t)(seq - r->next_seq);
	end = off + len;
	limit = (int64_t)(r->next_off + r->window);

	if (flags & FX_TCP_RST) {
		if (r->state == TCP_REASM_FINISHED)
			return 0; /* already complete; the kernel tears down */
		/* RFC 5961 §3.2: only an exact match resets; the kernel answers
		 * any other RST with a challenge ACK and so keeps going. */
		if (off != (int64_t)r->next_off) {
			r->st.rst_ignored++;
			return 0;
		}
		r->st.discarded_bytes += r->st.ooo_bytes_now;
		r->st.ooo_bytes_now = 0;
		r->st.ooo_segs_now = 0;
		r->nivl = 0;
		end_stream(r, TCP_REASM_RESET, FX_TCP_RST);
		return 0;
	}

	if (r->state == TCP_REASM_FINISHED) {
		if (end <= (int64_t)r->fin_off) {
			if (len) {
				r->st.dups++;
				r->st.dup_bytes += len;
			}
			return 0;
		}
		r->st.after_end++;
		return -EPIPE;
	}

	if (end > limit) {
		r->st.out_of_window++;
		return -ERANGE;
	}
	if (r->fin_known ? (end > (int64_t)r->fin_off || (fin && end != (int64_t)r->fin_off))
			 : (fin && (end < (int64_t)r->next_off ||
				    (r->nivl && r->ivl[r->nivl - 1].off + r->ivl[r->nivl - 1].len >
							(uint64_t)end)))) {
		r->st.fin_errors++;
		return -EPROTO;
	}

	if (end <= (int64_t)r->next_off || !len) {
		/* Nothing new (bytes before offset 0 never existed: same thing),
		 * or a bare FIN: nothing to store either way. */
		seen = len;
	} else {
		if (off < (int64_t)r->next_off) {
			uint32_t trim = (uint32_t)((int64_t)r->next_off - off);

			seen = trim;
			p += trim;
			len -= trim;
			off = (int64_t)r->next_off;
		}
		if (off == (int64_t)r->next_off) {
			seen += edge_deliver(r, p, len, &conflicts);
		} else {
			uint32_t held = 0;

			err = store(r, (uint64_t)off, p, len, &held, &conflicts);
			if (err)
				return err;
			seen += held;
		}
	}
	if (orig_len && seen == orig_len)
		r->st.dups++;
	else if (seen)
		r->st.overlaps++;
	r->st.dup_bytes += seen;
	if (conflicts) {
		r->st.overlap_conflicts++;
		r->st.conflict_bytes += conflicts;
	}
	if (fin && !r->fin_known) {
		r->fin_known = true;
		r->fin_off = (uint64_t)end;
	}
	check_fin(r);
	update_fast(r);
	return 0;
}

int tcp_reasm__push(struct tcp_reasm *r, uint32_t seq, uint8_t flags, const void *payload,
		    uint32_t len)
{
	/* In order, nothing held, no flags that matter, inside the window:
	 * straight from the caller's buffer. len - 1 also rejects len == 0. */
	if (likely(seq == r->next_seq && r->fast &&
		   !(flags & (FX_TCP_FIN | FX_TCP_SYN | FX_TCP_RST)) &&
		   len - 1 < r->window)) {
		r->deliver(r->user, r->next_off, payload, len);
		r->next_seq += len;
		r->next_off += len;
		r->st.delivered_bytes += len;
		r->st.delivered_segs++;
		return 0;
	}
	return push_slow(r, seq, flags, payload, len);
}

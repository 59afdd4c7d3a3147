/* Tests for fast_rx's demultiplexer, without a device (no root): frames
 * synthesized for three flows (IPv4 and IPv6) and strangers reach the right
 * flow or go back to the kernel; refused frames are kept back; flows come,
 * go and move keys (the table's deletion keeps every other flow findable);
 * a flow removed from its own callback; and real fastpaths sharing one
 * fast_rx, each reassembling only its own connection's bytes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include <ev.h>

#include "check.h"
#include "fast/fast_rx.h"
#include "fast/fastpath.h"
#include "fast/pkt_parse.h"
#include "fast/xsk_rx.h"

/* ---- frames ------------------------------------------------------------ */

struct frame {
	uint8_t b[256];
	size_t n;
};

static void put(struct frame *f, const void *d, size_t n)
{
	memcpy(f->b + f->n, d, n);
	f->n += n;
}

/* An Ethernet frame carrying one TCP segment src:sport -> dst:dport; v6
 * picks the family (addresses as text). */
static void tcp_frame(struct frame *f, bool v6, const char *src, uint16_t sport, const char *dst,
		      uint16_t dport, uint32_t seq, uint8_t flags, const char *payload)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	uint8_t ip[40] = {0}, t[20] = {0};
	size_t plen = strlen(payload), l4 = 20 + plen;

	f->n = 0;
	put(f, macs, 12);
	put(f, v6 ? "\x86\xdd" : "\x08\x00", 2);
	if (v6) {
		ip[0] = 0x60;
		ip[4] = (uint8_t)(l4 >> 8), ip[5] = (uint8_t)l4;
		ip[6] = 6, ip[7] = 64;
		inet_pton(AF_INET6, src, ip + 8);
		inet_pton(AF_INET6, dst, ip + 24);
		put(f, ip, 40);
	} else {
		ip[0] = 0x45;
		ip[2] = (uint8_t)((20 + l4) >> 8), ip[3] = (uint8_t)(20 + l4);
		ip[6] = 0x40, ip[8] = 64, ip[9] = 6;
		inet_pton(AF_INET, src, ip + 12);
		inet_pton(AF_INET, dst, ip + 16);
		put(f, ip, 20);
	}
	t[0] = (uint8_t)(sport >> 8), t[1] = (uint8_t)sport;
	t[2] = (uint8_t)(dport >> 8), t[3] = (uint8_t)dport;
	t[4] = (uint8_t)(seq >> 24), t[5] = (uint8_t)(seq >> 16), t[6] = (uint8_t)(seq >> 8);
	t[7] = (uint8_t)seq;
	t[12] = 5 << 4, t[13] = flags, t[14] = 0xff, t[15] = 0xff;
	put(f, t, 20);
	put(f, payload, plen);
}

/* A frame that is no TCP/IP at all (ARP). */
static void arp_frame(struct frame *f)
{
	static const uint8_t h[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 8, 6};

	f->n = 0;
	put(f, h, sizeof(h));
	memset(f->b + f->n, 0, 28);
	f->n += 28;
}

static void key_of(struct fx_flow_key *k, bool v6, const char *src, uint16_t sport,
		   const char *dst, uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	k->family = v6 ? FX_FAMILY_IPV6 : FX_FAMILY_IPV4;
	k->sport = htons(sport);
	k->dport = htons(dport);
	inet_pton(v6 ? AF_INET6 : AF_INET, src, k->saddr);
	inet_pton(v6 ? AF_INET6 : AF_INET, dst, k->daddr);
}

/* ---- a fake flow and a fake kernel --------------------------------------- */

struct fake {
	struct fast_rx_flow fl;
	unsigned segs;
	uint32_t seq[32];
	unsigned batches;
	bool remove_self; /* remove the flow on its first segment */
	bool free_self;   /* ... and free it (heap-allocated) */
	struct fast_rx *rx;
};

static bool fake_segment(struct fast_rx_flow *fl, const struct xsk_rx_frame *f,
			 const struct pkt_tcp *seg)
{
	struct fake *k = fl->user;

	(void)f;
	if (k->segs < 32)
		k->seq[k->segs] = seg->seq;
	k->segs++;
	bool refuse = seg->payload_len == 6 && memcmp(seg->payload, "refuse", 6) == 0;

	if (k->remove_self)
		fast_rx__remove_flow(k->rx, fl);
	if (k->free_self)
		free(k); /* ASan: fast_rx must not touch it again */
	return refuse;
}

static void fake_batch_end(struct fast_rx_flow *fl, uint64_t drain_ns)
{
	struct fake *k = fl->user;

	(void)drain_ns;
	k->batches++;
}

static const struct fast_rx_flow_ops fake_ops = {.segment = fake_segment,
						 .batch_end = fake_batch_end};

static void fake_init(struct fake *k, struct fast_rx *rx)
{
	memset(k, 0, sizeof(*k));
	k->fl.ops = &fake_ops;
	k->fl.user = k;
	k->rx = rx;
}

/* What went back to the kernel: each packet's TCP sequence number. */
struct kernel {
	unsigned n;
	uint32_t seq[64];
	size_t len[64];
};

static int kernel_take(void *user, const void *ip, size_t len)
{
	struct kernel *k = user;
	const uint8_t *p = ip;
	size_t l4 = (p[0] >> 4) == 6 ? 40 : (size_t)(p[0] & 15) * 4;

	if (k->n < 64) {
		k->len[k->n] = len;
		k->seq[k->n] = len >= l4 + 8 ? (uint32_t)p[l4 + 4] << 24 | (uint32_t)p[l4 + 5] << 16 |
						       (uint32_t)p[l4 + 6] << 8 | p[l4 + 7]
					     : 0;
	}
	k->n++;
	return 0;
}

static struct fast_rx *devless(struct kernel *kern)
{
	struct fast_rx_opts o = {.queue = -1, .busy_cpu = -1};
	struct fast_rx *rx = NULL;

	o.reinject = kernel_take;
	o.reinject_user = kern;
	if (fast_rx__new(&rx, NULL, &o, NULL) != 0)
		return NULL;
	return rx;
}

static bool kernel_saw(const struct kernel *k, uint32_t seq)
{
	for (unsigned i = 0; i < k->n && i < 64; i++)
		if (k->seq[i] == seq)
			return true;
	return false;
}

#define EX4 "198.18.0.1"
#define RX4 "198.18.0.2"
#define EX6 "fd00:fee0::1"
#define RX6 "fd00:fee0::2"

/* ---- cases ------------------------------------------------------------- */

static void three_flows_and_strangers(void)
{
	struct kernel kern = {0};
	struct fast_rx *rx = devless(&kern);
	struct fake a, b, c;
	struct fx_flow_key ka, kb, kc;
	struct frame fr[9];
	struct xsk_rx_frame xf[9];
	struct fast_rx_stats st;

	REQUIRE(rx);
	fake_init(&a, rx), fake_init(&b, rx), fake_init(&c, rx);
	key_of(&ka, false, EX4, 443, RX4, 40001);
	key_of(&kb, false, EX4, 443, RX4, 40002);
	key_of(&kc, true, EX6, 443, RX6, 40001);
	REQUIRE(fast_rx__add_flow(rx, &a.fl, &ka) == 0);
	REQUIRE(fast_rx__add_flow(rx, &b.fl, &kb) == 0);
	REQUIRE(fast_rx__add_flow(rx, &c.fl, &kc) == 0);
	CHECK(fast_rx__lookup(rx, &kb) == &b.fl);

	/* interleaved as the rings would hand them over */
	tcp_frame(&fr[0], false, EX4, 443, RX4, 40001, 100, FX_TCP_ACK, "a1");
	tcp_frame(&fr[1], false, EX4, 443, RX4, 40002, 200, FX_TCP_ACK, "b1");
	tcp_frame(&fr[2], false, EX4, 443, RX4, 40003, 300, FX_TCP_ACK, "stranger port");
	tcp_frame(&fr[3], true, EX6, 443, RX6, 40001, 400, FX_TCP_ACK, "c1");
	arp_frame(&fr[4]);
	tcp_frame(&fr[5], false, RX4, 40001, EX4, 443, 500, FX_TCP_ACK, "reverse direction");
	tcp_frame(&fr[6], false, EX4, 443, RX4, 40001, 102, FX_TCP_ACK, "refuse");
	tcp_frame(&fr[7], true, EX6, 443, RX6, 40002, 600, FX_TCP_ACK, "v6 stranger");
	tcp_frame(&fr[8], false, EX4, 443, RX4, 40002, 202, FX_TCP_ACK | FX_TCP_PSH, "b2");
	for (int i = 0; i < 9; i++)
		xf[i] = (struct xsk_rx_frame){.data = fr[i].b, .len = (uint32_t)fr[i].n};
	fast_rx__dispatch(rx, xf, 9);

	CHECK(a.segs == 2 && a.seq[0] == 100 && a.seq[1] == 102);
	CHECK(b.segs == 2 && b.seq[0] == 200 && b.seq[1] == 202);
	CHECK(c.segs == 1 && c.seq[0] == 400);
	CHECK(a.batches == 1 && b.batches == 1 && c.batches == 1);
	/* everything but the refused segment went back; the ARP frame holds
	 * no IP packet: a failed re-injection, as the TUN device would count */
	CHECKF(kern.n == 7, "%u re-injected", kern.n);
	CHECK(!kernel_saw(&kern, 102));
	CHECK(kernel_saw(&kern, 100) && kernel_saw(&kern, 300) && kernel_saw(&kern, 500) &&
	      kernel_saw(&kern, 600) && kernel_saw(&kern, 202));
	CHECK(a.fl.st.frames == 2 && a.fl.st.refused == 1 && a.fl.st.reinjected == 1);
	CHECK(b.fl.st.frames == 2 && b.fl.st.reinjected == 2);
	fast_rx__stats(rx, &st);
	CHECK(st.frames == 9 && st.frames_other == 4 && st.other_reinjected == 3);
	CHECK(st.reinjected == 7 && st.reinject_failed == 1 && st.other_reinject_failed == 1);
	CHECK(st.batches == 1);
	CHECK(st.flows == 3 && st.steered == 3);

	/* a second batch for one flow only: only it hears batch_end */
	fast_rx__dispatch(rx, &xf[1], 1);
	CHECK(b.batches == 2 && a.batches == 1 && c.batches == 1);

	/* unsteered: still demultiplexed (frames already on the rings) */
	fast_rx__unsteer(rx, &a.fl);
	fast_rx__unsteer(rx, &a.fl);
	fast_rx__stats(rx, &st);
	CHECK(st.flows == 3 && st.steered == 2);
	fast_rx__dispatch(rx, &xf[0], 1);
	CHECK(a.segs == 3);
	/* removed: strangers now, re-injected untouched */
	kern.n = 0;
	fast_rx__remove_flow(rx, &a.fl);
	fast_rx__remove_flow(rx, &a.fl);
	fast_rx__dispatch(rx, xf, 9);
	CHECK(a.segs == 3 && b.segs == 5 && c.segs == 2);
	CHECKF(kern.n == 8, "%u re-injected", kern.n); /* the "refuse" one too */
	fast_rx__stats(rx, &st);
	CHECK(st.flows == 2 && st.steered == 2);
	fast_rx__unref(rx);
}

static void keys_move_and_collide(void)
{
	struct kernel kern = {0};
	struct fast_rx *rx = devless(&kern);
	struct fake a, b;
	struct fx_flow_key ka, kb, k2;
	struct frame f;
	struct xsk_rx_frame xf;

	REQUIRE(rx);
	fake_init(&a, rx), fake_init(&b, rx);
	key_of(&ka, false, EX4, 443, RX4, 40001);
	key_of(&kb, false, EX4, 443, RX4, 40002);
	key_of(&k2, false, EX4, 443, RX4, 40009);
	struct fast_rx_stats st;

	REQUIRE(fast_rx__add_flow(rx, &a.fl, &ka) == 0);
	/* a new socket got a's 4-tuple: a's connection is gone, b takes it */
	REQUIRE(fast_rx__add_flow(rx, &b.fl, &ka) == 0);
	CHECK(!a.fl.listed && !a.fl.steered && b.fl.listed && b.fl.steered);
	CHECK(fast_rx__lookup(rx, &ka) == &b.fl);
	fast_rx__stats(rx, &st);
	CHECK(st.evicted == 1 && st.flows == 1 && st.steered == 1);
	REQUIRE(fast_rx__add_flow(rx, &b.fl, &kb) == 0);
	REQUIRE(fast_rx__add_flow(rx, &a.fl, &ka) == 0);
	/* a reconnect's new socket: the same flow, a new key */
	REQUIRE(fast_rx__add_flow(rx, &a.fl, &k2) == 0);
	CHECK(fast_rx__lookup(rx, &ka) == NULL && fast_rx__lookup(rx, &k2) == &a.fl);
	tcp_frame(&f, false, EX4, 443, RX4, 40001, 1, FX_TCP_ACK, "old");
	xf = (struct xsk_rx_frame){.data = f.b, .len = (uint32_t)f.n};
	fast_rx__dispatch(rx, &xf, 1);
	CHECK(a.segs == 0 && kern.n == 1);
	tcp_frame(&f, false, EX4, 443, RX4, 40009, 2, FX_TCP_ACK, "new");
	fast_rx__dispatch(rx, &xf, 1);
	CHECK(a.segs == 1 && a.seq[0] == 2);
	fast_rx__unref(rx);
}

/* Fill the table, empty it in a scrambled order, refill: every flow still
 * in it is found after each removal (the deletion shifts, never loses). */
static void full_table_churn(void)
{
	struct kernel kern = {0};
	struct fast_rx *rx = devless(&kern);
	static struct fake f[FAST_RX_MAX_FLOWS + 1];
	static struct fx_flow_key k[FAST_RX_MAX_FLOWS + 1];
	struct fast_rx_stats st;
	unsigned i, j, lost = 0;

	REQUIRE(rx);
	for (i = 0; i <= FAST_RX_MAX_FLOWS; i++) {
		fake_init(&f[i], rx);
		/* clustered keys: consecutive ports on few addresses */
		key_of(&k[i], i & 1, (i & 1) ? EX6 : EX4, 443, (i & 1) ? RX6 : RX4,
		       (uint16_t)(32768 + i / 2));
	}
	for (i = 0; i < FAST_RX_MAX_FLOWS; i++)
		REQUIRE(fast_rx__add_flow(rx, &f[i].fl, &k[i]) == 0);
	CHECK(fast_rx__add_flow(rx, &f[FAST_RX_MAX_FLOWS].fl, &k[FAST_RX_MAX_FLOWS]) == -E2BIG);
	for (i = 0; i < FAST_RX_MAX_FLOWS; i++) {
		unsigned victim = (i * 97u) % FAST_RX_MAX_FLOWS; /* 97 is odd: a permutation */

		fast_rx__remove_flow(rx, &f[victim].fl);
		for (j = 0; j < FAST_RX_MAX_FLOWS; j++) {
			struct fast_rx_flow *want = f[j].fl.listed ? &f[j].fl : NULL;

			if (fast_rx__lookup(rx, &k[j]) != want)
				lost++;
		}
	}
	CHECKF(lost == 0, "%u wrong lookups", lost);
	fast_rx__stats(rx, &st);
	CHECK(st.flows == 0 && st.steered == 0);
	for (i = 0; i < FAST_RX_MAX_FLOWS; i++)
		REQUIRE(fast_rx__add_flow(rx, &f[i].fl, &k[i]) == 0);
	for (i = 0; i < FAST_RX_MAX_FLOWS; i++)
		CHECK(fast_rx__lookup(rx, &k[i]) == &f[i].fl);
	fast_rx__unref(rx);
}

static void removed_from_its_own_callback(void)
{
	struct kernel kern = {0};
	struct fast_rx *rx = devless(&kern);
	struct fake a, b;
	struct fx_flow_key ka, kb;
	struct frame fr[4];
	struct xsk_rx_frame xf[4];

	REQUIRE(rx);
	fake_init(&a, rx), fake_init(&b, rx);
	a.remove_self = true;
	key_of(&ka, false, EX4, 443, RX4, 40001);
	key_of(&kb, false, EX4, 443, RX4, 40002);
	REQUIRE(fast_rx__add_flow(rx, &a.fl, &ka) == 0);
	REQUIRE(fast_rx__add_flow(rx, &b.fl, &kb) == 0);
	tcp_frame(&fr[0], false, EX4, 443, RX4, 40001, 1, FX_TCP_ACK, "refuse");
	tcp_frame(&fr[1], false, EX4, 443, RX4, 40002, 2, FX_TCP_ACK, "b");
	tcp_frame(&fr[2], false, EX4, 443, RX4, 40001, 3, FX_TCP_ACK, "a after");
	tcp_frame(&fr[3], false, EX4, 443, RX4, 40002, 4, FX_TCP_ACK, "b");
	for (int i = 0; i < 4; i++)
		xf[i] = (struct xsk_rx_frame){.data = fr[i].b, .len = (uint32_t)fr[i].n};
	fast_rx__dispatch(rx, xf, 4);
	/* a saw its first segment only; its refusal no longer holds (a stranger
	 * now: the kernel must see it), nor do its later frames reach it */
	CHECK(a.segs == 1 && a.batches == 0 && b.segs == 2 && b.batches == 1);
	CHECKF(kern.n == 4, "%u re-injected", kern.n);

	/* the owner frees it there too (a connection set closing one) */
	struct fake *h = malloc(sizeof(*h));

	REQUIRE(h);
	fake_init(h, rx);
	h->remove_self = h->free_self = true;
	REQUIRE(fast_rx__add_flow(rx, &h->fl, &ka) == 0);
	kern.n = 0;
	fast_rx__dispatch(rx, xf, 4);
	CHECK(b.segs == 4 && b.batches == 2);
	CHECKF(kern.n == 4, "%u re-injected", kern.n);
	fast_rx__unref(rx);
}

/* ---- real fastpaths on one fast_rx ---------------------------------------- */

struct fp_ev {
	unsigned failures;
};

static void fp_failure(void *user, const char *why)
{
	struct fp_ev *e = user;

	(void)why;
	e->failures++;
}

static void sin_of(struct sockaddr_in *s, const char *a, uint16_t port)
{
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, a, &s->sin_addr);
}

static void fastpaths_share_one_rx(void)
{
	struct kernel kern = {0};
	struct fast_rx *rx = devless(&kern);
	struct fastpath_opts o = {.queue = -1, .busy_cpu = -1};
	struct fastpath *fp[3] = {0};
	struct fp_ev ev[3] = {{0}};
	struct sockaddr_in local, remote;
	struct fastpath_stats fs;
	struct fast_rx_stats st;
	struct frame f;
	struct xsk_rx_frame xf;
	struct fx_error err = {0};
	/* a TLS record's header (ServerHello's type, 257 bytes) and part of it:
	 * the decoder waits for the rest, so nothing fails by itself */
	const char *data[3] = {"\x16\x03\x03\x01\x01" "first connection",
			       "\x16\x03\x03\x01\x01" "2nd",
			       "\x16\x03\x03\x01\x01" "and the third one"};

	REQUIRE(rx);
	o.rx = rx;
	for (int i = 0; i < 3; i++) {
		struct fastpath_hooks h = {.user = &ev[i], .on_failure = fp_failure};

		REQUIRE(fastpath__new(&fp[i], NULL, &o, &err) == 0);
		CHECK(fastpath__rx(fp[i]) == rx);
		fastpath__set_hooks(fp[i], &h);
		sin_of(&local, RX4, (uint16_t)(41000 + i));
		sin_of(&remote, EX4, 443);
		REQUIRE(fastpath__on_socket(fp[i], (struct sockaddr *)&local,
					    (struct sockaddr *)&remote) == 0);
	}
	fast_rx__stats(rx, &st);
	CHECK(st.flows == 3 && st.steered == 3);
	/* each connection's SYN-ACK (its ISN), then its data; the third's first */
	for (int k = 2; k >= 0; k--) {
		tcp_frame(&f, false, EX4, 443, RX4, (uint16_t)(41000 + k), 1000u * (unsigned)k,
			  FX_TCP_SYN | FX_TCP_ACK, "");
		xf = (struct xsk_rx_frame){.data = f.b, .len = (uint32_t)f.n};
		fast_rx__dispatch(rx, &xf, 1);
		tcp_frame(&f, false, EX4, 443, RX4, (uint16_t)(41000 + k), 1000u * (unsigned)k + 1,
			  FX_TCP_ACK | FX_TCP_PSH, data[k]);
		xf.len = (uint32_t)f.n;
		fast_rx__dispatch(rx, &xf, 1);
	}
	for (int i = 0; i < 3; i++) {
		fastpath__stats(fp[i], &fs);
		CHECKF(fastpath__stream_bytes(fp[i]) == strlen(data[i]),
		       "fp %d: %llu bytes, frames %llu (other %llu) refused %llu, not started %llu, reasm %llu", i,
		       (unsigned long long)fastpath__stream_bytes(fp[i]),
		       (unsigned long long)fs.frames, (unsigned long long)fs.frames_other, (unsigned long long)fs.segments_refused,
		       (unsigned long long)fs.reasm.not_started, (unsigned long long)fs.reasm.delivered_bytes);
		CHECK(fs.frames == 2 && fs.frames_other == 0 && fs.reinjected == 2);
	}
	/* one fails: only its own steering goes */
	fastpath__fail(fp[1], "test");
	fastpath__fail(fp[1], "test");
	CHECK(ev[1].failures == 1 && ev[0].failures == 0 && ev[2].failures == 0);
	CHECK(fastpath__failed(fp[1]) && !fastpath__failed(fp[0]) && !fastpath__failed(fp[2]));
	fast_rx__stats(rx, &st);
	CHECK(st.flows == 3 && st.steered == 2);
	/* a reconnect: the old flow leaves the demux */
	REQUIRE(fastpath__reset(fp[1]) == 0);
	fast_rx__stats(rx, &st);
	CHECK(st.flows == 2 && st.steered == 2);
	CHECK(fastpath__stream_bytes(fp[1]) == 0 && !fastpath__failed(fp[1]));
	tcp_frame(&f, false, EX4, 443, RX4, 41001, 1009, FX_TCP_ACK, "late");
	xf = (struct xsk_rx_frame){.data = f.b, .len = (uint32_t)f.n};
	kern.n = 0;
	fast_rx__dispatch(rx, &xf, 1);
	CHECK(fastpath__stream_bytes(fp[1]) == 0 && kern.n == 1);
	/* the creator lets go first: the flows keep it alive */
	fast_rx__unref(rx);
	fastpath__free(fp[0]);
	fastpath__free(fp[2]);
	tcp_frame(&f, false, EX4, 443, RX4, 41001, 1010, FX_TCP_ACK, "still");
	xf.len = (uint32_t)f.n;
	fast_rx__dispatch(fastpath__rx(fp[1]), &xf, 1);
	CHECK(kern.n == 2);
	fastpath__free(fp[1]); /* the last reference: ASan/valgrind would see a leak */
}

int main(void)
{
	RUN(three_flows_and_strangers);
	RUN(keys_move_and_collide);
	RUN(full_table_churn);
	RUN(removed_from_its_own_callback);
	RUN(fastpaths_share_one_rx);
	return check_exit();
}

/* fastpath — XDP steering, AF_XDP rings, TCP reassembly, the fast-path
 * decoder and re-injection, wired together for one feed connection. */
#include "fastpath.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>

#include <ev.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "fast/ws_frame.h"
#include "fp_stream.h"
#include "pkt_parse.h"
#include "tcp_reasm.h"
#include "tls_keys.h"
#include "tls_record.h"
#include "tun_inject.h"
#include "xdp_steer.h"
#include "xsk_rx.h"

_Static_assert(FASTPATH_SHA256_LEN == SHA256_DIGEST_LENGTH, "fastpath_stats digest size");

#define FP_BATCH_MAX 256 /* >= xsk_rx batch size */

struct fastpath {
	struct fastpath_opts o;
	struct fastpath_hooks h;
	struct ev_loop *loop;
	struct xdp_steer *steer;
	struct xsk_rx *rx;
	struct tun_inject *tun;
	struct tcp_reasm *reasm;
	struct fp_stream *stream;
	struct tls_keys *keys;
	struct fp_stream_opts so;
	struct tcp_reasm_opts ro;
	FILE *dump;
	char *dump_buf;

	struct fx_flow_key key;
	bool registered;
	uint64_t conn_bytes; /* reassembled bytes of the current connection */
	bool failed;
	char describe[160];

	/* the batch being drained: which frames may go back to the kernel */
	unsigned batch_n;
	bool refuse[FP_BATCH_MAX];
	struct iovec ip[FP_BATCH_MAX]; /* each frame's IP packet, if it parsed */

	/* stamps of the frame being processed */
	struct lat_stamps cur;
	uint64_t batch_drain_ns, batch_msgs0;
	struct lat_hist service;

	ev_timer heartbeat;

	EVP_MD_CTX *stream_md, *kernel_md;
	struct fastpath_stats st;
};

void fastpath__fail(struct fastpath *fp, const char *why)
{
	if (fp->failed)
		return;
	fp->failed = true;
	fastpath__unregister(fp);
	if (fp->h.on_failure)
		fp->h.on_failure(fp->h.user, why);
}

uint16_t fastpath__violation(const struct fastpath *fp)
{
	if (!fp->failed || !fp->stream || fp_stream__error_stage(fp->stream) != FP_STAGE_WS)
		return 0;
	return ws_frame_close_code(fp_stream__error(fp->stream));
}

/* ---- stream stages ---------------------------------------------------- */

static void on_ws_message(void *user, int opcode, const uint8_t *p, size_t n)
{
	struct fastpath *fp = user;

	if (fp->o.stamps)
		fp->cur.at[LAT_PT_FRAME] = lat_stats_now_ns();
	fp->st.messages++;
	if (fp->h.on_message)
		fp->h.on_message(fp->h.user, (uint8_t)opcode, p, n, &fp->cur);
}

static void on_ws_control(void *user, int opcode, const uint8_t *p, size_t n)
{
	struct fastpath *fp = user;

	if (fp->h.on_control)
		fp->h.on_control(fp->h.user, (uint8_t)opcode, p, n);
}

static void on_tls_event(void *user, enum tls_record_event ev, unsigned detail)
{
	struct fastpath *fp = user;

	if (fp->h.on_tls_event)
		fp->h.on_tls_event(fp->h.user, ev, detail);
}

static void on_record(void *user)
{
	struct fastpath *fp = user;

	if (fp->o.stamps)
		fp->cur.at[LAT_PT_DECRYPT] = lat_stats_now_ns();
}

static void on_stream_bytes(void *user, uint64_t off, const uint8_t *p, size_t n)
{
	struct fastpath *fp = user;
	char why[160];

	if (fp->o.stamps)
		fp->cur.at[LAT_PT_REASM] = lat_stats_now_ns();
	fp->st.stream_bytes += n;
	fp->conn_bytes += n;
	if (fp->o.hash_streams)
		EVP_DigestUpdate(fp->stream_md, p, n);
	if (fp->failed)
		return;
	if (fp_stream__feed(fp->stream, off, p, n) < 0) {
		fp_stream__strerror(fp->stream, why, sizeof(why));
		fastpath__fail(fp, why);
	}
}

/* ---- AF_XDP frames ---------------------------------------------------- */

static void on_frame(void *user, const struct xsk_rx_frame *f)
{
	struct fastpath *fp = user;
	struct pkt_tcp seg;
	unsigned i = fp->batch_n++;
	int r;

	fp->refuse[i] = false;
	fp->ip[i].iov_base = NULL;
	fp->st.frames++;
	if (i == 0) {
		fp->batch_drain_ns = f->drain_ns;
		fp->batch_msgs0 = fp->st.messages;
	}
	if (pkt_parse_tcp(f->data, f->len, &seg) == PKT_OK) {
		/* parsed once: re-injection writes this IP packet as it is */
		fp->ip[i].iov_base = (void *)(f->data + seg.l3_off);
		fp->ip[i].iov_len = seg.l3_len;
	}
	if (!fp->ip[i].iov_base || memcmp(&seg.key, &fp->key, sizeof(seg.key)) != 0) {
		fp->st.frames_other++; /* not ours to decode, but the kernel's to see */
		return;
	}
	fp->cur.at[LAT_PT_XDP] = f->meta ? f->meta->rx_ns : 0;
	fp->cur.at[LAT_PT_DRAIN] = f->drain_ns;
	r = tcp_reasm__push(fp->reasm, seg.seq, seg.flags, seg.payload, seg.payload_len);
	/* Before the SYN-ACK (say, the RST refusing our SYN) the stream holds
	 * nothing of ours and no resend would come: the kernel must see it. */
	if (r < 0 && r != -ENOTCONN) {
		/* never re-injected: the kernel won't ACK it, the exchange resends */
		fp->refuse[i] = true;
		fp->st.segments_refused++;
	}
}

static void on_batch_end(void *user, const struct xsk_rx_frame *frames, unsigned n)
{
	struct fastpath *fp = user;
	unsigned i;
	uint64_t msgs = fp->st.messages - fp->batch_msgs0;
	int r;

	if (fp->o.stamps && msgs && fp->batch_drain_ns) {
		uint64_t now = lat_stats_now_ns();

		if (now > fp->batch_drain_ns)
			lat_hist__record(&fp->service, (now - fp->batch_drain_ns) / msgs);
	}
	for (i = 0; i < n && i < FP_BATCH_MAX; i++) {
		if (fp->refuse[i])
			continue;
		if (fp->ip[i].iov_base)
			r = tun_inject__write_ip(fp->tun, fp->ip[i].iov_base, fp->ip[i].iov_len);
		else /* not TCP/IP as we parse it: the kernel decides */
			r = tun_inject__write(fp->tun, frames[i].data, frames[i].len);
		if (r == 0)
			fp->st.reinjected++;
		else
			fp->st.reinject_failed++;
	}
	fp->batch_n = 0;
}

/* The loop is alive: tell the XDP program (a plain store into its map). */
static void fastpath__heartbeat_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fastpath *fp = w->data;

	(void)loop, (void)revents;
	xdp_steer__heartbeat(fp->steer, lat_stats_now_ns());
}

static const struct xsk_rx_handler fastpath_handler = {
	.frame = on_frame,
	.batch_end = on_batch_end,
};

/* Teardown: hand what is still on the rings to the kernel undecoded. */
static void on_batch_reinject_all(void *user, const struct xsk_rx_frame *frames, unsigned n)
{
	struct fastpath *fp = user;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (tun_inject__write(fp->tun, frames[i].data, frames[i].len) == 0)
			fp->st.reinjected++;
		else
			fp->st.reinject_failed++;
	}
}

static const struct xsk_rx_handler fastpath_flush_handler = {
	.batch_end = on_batch_reinject_all,
};

/* ---- kernel-side ciphertext (for comparing the two streams) ----------- */

static long kernel_bio_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl,
			  int ret, size_t *processed)
{
	struct fastpath *fp = (struct fastpath *)BIO_get_callback_arg(b);

	(void)len, (void)argi, (void)argl;
	if (oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed && *processed) {
		EVP_DigestUpdate(fp->kernel_md, argp, *processed);
		fp->st.kernel_bytes += *processed;
	}
	return ret;
}

/* ---- lifecycle -------------------------------------------------------- */

int fastpath__new(struct fastpath **out, struct ev_loop *loop, const struct fastpath_opts *o,
		  struct fx_error *err)
{
	struct xsk_rx_config xc;
	struct tun_inject_config tc;
	struct tcp_reasm_opts ro = {0};
	struct fp_stream_opts so = {0};
	struct fastpath *fp;
	int r;

	*out = NULL;
	fp = calloc(1, sizeof(*fp));
	if (!fp)
		return fx_error_set(err, -ENOMEM, "out of memory");
	fp->o = *o;
	fp->loop = loop;
	lat_hist__init(&fp->service);
	fp->stream_md = EVP_MD_CTX_new();
	fp->kernel_md = EVP_MD_CTX_new();
	if (!fp->stream_md || !fp->kernel_md ||
	    !EVP_DigestInit_ex(fp->stream_md, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(fp->kernel_md, EVP_sha256(), NULL)) {
		r = fx_error_set(err, -ENOMEM, "cannot set up SHA-256");
		goto err;
	}

	r = xdp_steer__open(&fp->steer, o->ifname, o->xdp_mode, err);
	if (r < 0)
		goto err;
	xsk_rx_defaults(&xc);
	xc.ifname = o->ifname;
	xc.queue = o->queue;
	xc.cpu = o->poll == XSK_RX_POLL_BUSY ? o->busy_cpu : -1;
	xc.busy_poll_usecs = o->poll == XSK_RX_POLL_BUSY ? o->busy_poll_usecs : 0;
	if (xc.batch > FP_BATCH_MAX)
		xc.batch = FP_BATCH_MAX;
	r = xsk_rx__new(&fp->rx, &xc);
	if (r == -ENOBUFS) {
		/* the UMEM is pinned memory, charged to RLIMIT_MEMLOCK unless the
		 * process has CAP_IPC_LOCK */
		struct rlimit rl = {0};

		getrlimit(RLIMIT_MEMLOCK, &rl);
		fx_error_set(err, r, "cannot open AF_XDP sockets on %s: the UMEM does not fit in "
			     "RLIMIT_MEMLOCK (%llu KiB): needs CAP_IPC_LOCK or a higher limit "
			     "(LimitMEMLOCK=)", o->ifname, (unsigned long long)rl.rlim_cur >> 10);
		goto err;
	}
	if (r < 0) {
		fx_error_set(err, r, "cannot open AF_XDP sockets on %s: %s", o->ifname,
			 strerror(-r));
		goto err;
	}
	r = xsk_rx__update_xskmap(fp->rx, xdp_steer__xsks_fd(fp->steer));
	if (r < 0) {
		fx_error_set(err, r, "cannot register AF_XDP sockets: %s", strerror(-r));
		goto err;
	}
	tun_inject_defaults(&tc);
	r = tun_inject__new(&fp->tun, &tc, err);
	if (r < 0)
		goto err;

	ro.deliver = on_stream_bytes;
	ro.user = fp;
	r = tcp_reasm__new(&fp->reasm, &ro);
	if (r < 0) {
		fx_error_set(err, r, "cannot set up TCP reassembly: %s", fx_strerror(r));
		goto err;
	}
	if (o->dump_path) {
		fp->dump = fopen(o->dump_path, "wb");
		if (!fp->dump) {
			r = fx_error_set(err, -errno, "cannot open %s: %s", o->dump_path,
					 strerror(errno));
			goto err;
		}
		fp->dump_buf = malloc(1 << 20);
		if (fp->dump_buf)
			setvbuf(fp->dump, fp->dump_buf, _IOFBF, 1 << 20);
	}
	so.proxied = o->proxied;
	so.max_message = o->max_message;
	so.check_utf8 = o->check_utf8;
	so.dump = fp->dump;
	so.user = fp;
	so.on_message = on_ws_message;
	so.on_control = on_ws_control;
	so.on_tls_event = on_tls_event;
	so.on_record = on_record;
	fp->so = so;
	fp->ro = ro;
	r = fp_stream__new(&fp->stream, &so);
	if (!r)
		r = tls_keys__new(&fp->keys);
	if (r < 0) {
		fx_error_set(err, r, "out of memory");
		goto err;
	}
	if (o->stale_ms) {
		double every = o->stale_ms / 5000.0;

		if (xdp_steer__set_stale(fp->steer, (uint64_t)o->stale_ms * 1000000u,
					 lat_stats_now_ns()) == 0) {
			ev_timer_init(&fp->heartbeat, fastpath__heartbeat_cb, every, every);
			fp->heartbeat.data = fp;
			ev_timer_start(loop, &fp->heartbeat);
			ev_unref(loop); /* the heartbeat alone must not keep the loop running */
		}
	}
	r = xsk_rx__start(fp->rx, loop, o->poll, &fastpath_handler, fp);
	if (r < 0) {
		fx_error_set(err, r, "cannot start draining AF_XDP: %s", strerror(-r));
		goto err;
	}
	snprintf(fp->describe, sizeof(fp->describe), "%s XDP%s on %s, AF_XDP %s mode, %u queue%s, %s poll",
		 xdp_steer__mode(fp->steer) == XDP_STEER_MODE_SKB ? "generic" : "native",
		 xdp_steer__multiprog(fp->steer) ? " (multiprog)" : "", o->ifname,
		 xsk_rx__mode_str(fp->rx), xsk_rx__count(fp->rx),
		 xsk_rx__count(fp->rx) == 1 ? "" : "s",
		 o->poll == XSK_RX_POLL_BUSY ? "busy" : "wakeup");
	*out = fp;
	return 0;
err:
	fastpath__free(fp);
	/* every failure above sets r < 0 (and err) */
	return r;
}

int fastpath__on_socket(struct fastpath *fp, const struct sockaddr *local,
			const struct sockaddr *remote)
{
	struct fx_flow_key key;
	int r;

	r = xdp_steer_flow_key_from_sockaddrs(&key, local, remote);
	if (r < 0)
		return r;
	fastpath__unregister(fp); /* an earlier address attempt */
	r = xdp_steer__add_flow(fp->steer, &key);
	if (r < 0)
		return r;
	fp->key = key;
	fp->registered = true;
	return 0;
}

int fastpath__on_tls(struct fastpath *fp, SSL *ssl)
{
	BIO *rb = SSL_get_rbio(ssl);
	int r;

	r = tls_keys_install(SSL_get_SSL_CTX(ssl));
	if (r < 0)
		return r;
	r = tls_keys__attach(fp->keys, ssl);
	if (r < 0)
		return r;
	if (rb && fp->o.hash_streams) {
		BIO_set_callback_arg(rb, (char *)fp);
		BIO_set_callback_ex(rb, kernel_bio_cb);
	}
	return 0;
}

void fastpath__set_hooks(struct fastpath *fp, const struct fastpath_hooks *h)
{
	fp->h = *h;
}

int fastpath__on_open(struct fastpath *fp, SSL *ssl)
{
	struct tls_epoch hs, app;
	char why[160];
	int r;

	r = tls_keys__stream_epochs(fp->keys, ssl, &hs, &app);
	if (r < 0) {
		snprintf(why, sizeof(why), "no TLS secrets for the fast path: %s", strerror(-r));
		fastpath__fail(fp, why);
		return r;
	}
	r = fp_stream__set_keys(fp->stream, SSL_version(ssl) == TLS1_3_VERSION ? &hs : NULL, &app);
	tls_keys_epoch_wipe(&hs);
	tls_keys_epoch_wipe(&app);
	if (r < 0) {
		fp_stream__strerror(fp->stream, why, sizeof(why));
		fastpath__fail(fp, why);
	}
	return r;
}

void fastpath__unregister(struct fastpath *fp)
{
	if (fp && fp->registered) {
		xdp_steer__del_flow(fp->steer, &fp->key);
		fp->registered = false;
	}
}

int fastpath__reset(struct fastpath *fp)
{
	struct tcp_reasm *r = NULL;
	struct fp_stream *s = NULL;
	struct tls_keys *k = NULL;
	int err;

	fastpath__unregister(fp);
	err = tcp_reasm__new(&r, &fp->ro);
	if (!err)
		err = fp_stream__new(&s, &fp->so);
	if (!err)
		err = tls_keys__new(&k);
	if (err) {
		tcp_reasm__free(r);
		fp_stream__free(s);
		tls_keys__free(k);
		return err;
	}
	tcp_reasm__free(fp->reasm);
	fp_stream__free(fp->stream);
	tls_keys__free(fp->keys);
	fp->reasm = r;
	fp->stream = s;
	fp->keys = k;
	fp->failed = false;
	fp->conn_bytes = 0;
	return 0;
}

void fastpath__force_desync(struct fastpath *fp)
{
	fp_stream__inject_desync(fp->stream);
}

bool fastpath__failed(const struct fastpath *fp)
{
	return fp->failed;
}

bool fastpath__multiprog(const struct fastpath *fp)
{
	return xdp_steer__multiprog(fp->steer);
}

const char *fastpath__describe(const struct fastpath *fp)
{
	return fp->describe;
}

void fastpath__stats(struct fastpath *fp, struct fastpath_stats *st)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	struct tun_inject_stats ts;
	struct xsk_rx_stats xs;

	*st = fp->st;
	/* digests of what was seen so far, without finishing the running ones */
	if (c && EVP_MD_CTX_copy_ex(c, fp->stream_md))
		EVP_DigestFinal_ex(c, st->stream_sha256, NULL);
	if (c && EVP_MD_CTX_copy_ex(c, fp->kernel_md))
		EVP_DigestFinal_ex(c, st->kernel_sha256, NULL);
	EVP_MD_CTX_free(c);
	tun_inject__stats(fp->tun, &ts);
	(void)ts;
	tcp_reasm__stats(fp->reasm, &st->reasm);
	if (xsk_rx__stats(fp->rx, -1, &xs) == 0) {
		st->ring_dropped = xs.rx_dropped;
		st->ring_full = xs.rx_ring_full;
		st->fill_ring_empty = xs.rx_fill_ring_empty_descs;
	}
}

int fastpath__xdp_counters(const struct fastpath *fp, uint64_t sums[FX_CNT__MAX])
{
	__u64 s[FX_CNT__MAX];
	int r = xdp_steer__counters(fp->steer, s);

	for (int i = 0; i < FX_CNT__MAX; i++)
		sums[i] = r < 0 ? 0 : s[i];
	return r;
}

void fastpath__free(struct fastpath *fp)
{
	if (!fp)
		return;
	fastpath__unregister(fp);
	if (ev_is_active(&fp->heartbeat)) {
		ev_ref(fp->loop);
		ev_timer_stop(fp->loop, &fp->heartbeat);
	}
	if (fp->rx)
		xsk_rx__stop(fp->rx);
	/* The flow's last frames (the exchange's ACK of our FIN, its own FIN)
	 * may be on the rings after the loop ended: without them the kernel
	 * retransmits its FIN and leaves the closed connection late. */
	if (fp->rx && fp->tun)
		xsk_rx__drain(fp->rx, 4096, &fastpath_flush_handler, fp);
	xdp_steer__close(fp->steer);
	xsk_rx__free(fp->rx);
	tun_inject__free(fp->tun);
	tcp_reasm__free(fp->reasm);
	fp_stream__free(fp->stream);
	tls_keys__free(fp->keys);
	if (fp->dump)
		fclose(fp->dump);
	free(fp->dump_buf);
	EVP_MD_CTX_free(fp->stream_md);
	EVP_MD_CTX_free(fp->kernel_md);
	free(fp);
}

const struct lat_hist *fastpath__service(const struct fastpath *fp)
{
	return &fp->service;
}

uint64_t fastpath__stream_bytes(const struct fastpath *fp)
{
	return fp->conn_bytes;
}

/* fastpath — one feed connection's fast path: its flow in the shared
 * fast_rx (XDP steering, AF_XDP rings, demux, re-injection), its TCP
 * reassembly and its fast-path decoder. */
#include "fastpath.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "fast/ws_frame.h"
#include "fast_rx.h"
#include "fp_stream.h"
#include "pkt_parse.h"
#include "tcp_reasm.h"
#include "tls_keys.h"
#include "tls_record.h"
#include "xdp_steer.h"
#include "xsk_rx.h"

_Static_assert(FASTPATH_SHA256_LEN == SHA256_DIGEST_LENGTH, "fastpath_stats digest size");

struct fastpath {
	struct fastpath_opts o;
	struct fastpath_hooks h;
	struct ev_loop *loop;
	struct fast_rx *rx;        /* shared; one reference held */
	struct fast_rx_flow flow;  /* this connection's entry in it */
	struct tcp_reasm *reasm;
	struct fp_stream *stream;
	struct tls_keys *keys;
	struct fp_stream_opts so;
	struct tcp_reasm_opts ro;
	FILE *dump;
	char *dump_buf;

	uint64_t conn_bytes; /* reassembled bytes of the current connection */
	bool failed;

	/* stamps of the frame being processed */
	struct lat_stamps cur;
	bool batch_open;     /* a batch has segments of ours: batch_msgs0 is set */
	uint64_t batch_msgs0;
	struct lat_hist service;

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

/* ---- this flow's segments (fast_rx demultiplexed them) ---------------- */

static bool fastpath_segment(struct fast_rx_flow *fl, const struct xsk_rx_frame *f,
			     const struct pkt_tcp *seg)
{
	struct fastpath *fp = fl->user;
	int r;

	if (!fp->batch_open) {
		fp->batch_open = true;
		fp->batch_msgs0 = fp->st.messages;
	}
	fp->cur.at[LAT_PT_XDP] = f->meta ? f->meta->rx_ns : 0;
	fp->cur.at[LAT_PT_DRAIN] = f->drain_ns;
	r = tcp_reasm__push(fp->reasm, seg->seq, seg->flags, seg->payload, seg->payload_len);
	/* Before the SYN-ACK (say, the RST refusing our SYN) the stream holds
	 * nothing of ours and no resend would come: the kernel must see it.
	 * Any other refusal: never re-injected, so the kernel won't ACK it and
	 * the exchange resends. */
	if (r < 0 && r != -ENOTCONN) {
		fp->st.segments_refused++;
		return true;
	}
	return false;
}

static void fastpath_batch_end(struct fast_rx_flow *fl, uint64_t drain_ns)
{
	struct fastpath *fp = fl->user;
	uint64_t msgs = fp->st.messages - fp->batch_msgs0;

	fp->batch_open = false;
	if (fp->o.stamps && msgs && drain_ns) {
		uint64_t now = lat_stats_now_ns();

		if (now > drain_ns)
			lat_hist__record(&fp->service, (now - drain_ns) / msgs);
	}
}

/* --transport tap: a frame we will never see (the kernel has it): the
 * shadow takes over from the first message we did not deliver. */
static void fastpath_lost(struct fast_rx_flow *fl, const char *why)
{
	struct fastpath *fp = fl->user;

	fp->st.tap_lost++;
	if (!fp->failed)
		fastpath__fail(fp, why);
}

static const struct fast_rx_flow_ops fastpath_flow_ops = {
	.segment = fastpath_segment,
	.batch_end = fastpath_batch_end,
	.lost = fastpath_lost,
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

void fastpath_rx_opts(struct fast_rx_opts *ro, const struct fastpath_opts *o)
{
	*ro = (struct fast_rx_opts){
		.ifname = o->ifname,
		.xdp_mode = o->xdp_mode,
		.queue = o->queue,
		.poll = o->poll,
		.busy_cpu = o->busy_cpu,
		.busy_poll_usecs = o->busy_poll_usecs,
		.stale_ms = o->stale_ms,
		.transport = o->transport,
		.tap_ring_bytes = o->tap_ring_bytes,
	};
}

/* The connection's own fast_rx, when the caller shares none. */
static int fastpath_private_rx(struct fastpath *fp, const struct fastpath_opts *o,
			       struct fx_error *err)
{
	struct fast_rx_opts ro;

	fastpath_rx_opts(&ro, o);
	return fast_rx__new(&fp->rx, fp->loop, &ro, err);
}

int fastpath__new(struct fastpath **out, struct ev_loop *loop, const struct fastpath_opts *o,
		  struct fx_error *err)
{
	struct tcp_reasm_opts ro = {0};
	struct fp_stream_opts so = {0};
	struct fastpath *fp;
	int r;

	*out = NULL;
	fp = calloc(1, sizeof(*fp));
	if (!fp)
		return fx_error_set(err, -ENOMEM, "out of memory");
	fp->o = *o;
	fp->o.rx = NULL;
	fp->loop = loop;
	fp->flow.ops = &fastpath_flow_ops;
	fp->flow.user = fp;
	lat_hist__init(&fp->service);
	fp->stream_md = EVP_MD_CTX_new();
	fp->kernel_md = EVP_MD_CTX_new();
	if (!fp->stream_md || !fp->kernel_md ||
	    !EVP_DigestInit_ex(fp->stream_md, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(fp->kernel_md, EVP_sha256(), NULL)) {
		r = fx_error_set(err, -ENOMEM, "cannot set up SHA-256");
		goto err;
	}
	if (o->rx) {
		fp->rx = fast_rx__ref(o->rx);
	} else {
		r = fastpath_private_rx(fp, o, err);
		if (r < 0)
			goto err;
	}

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
	/* replaces an earlier address attempt's key */
	return fast_rx__add_flow(fp->rx, &fp->flow, &key);
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
	if (fp)
		fast_rx__unsteer(fp->rx, &fp->flow);
}

int fastpath__reset(struct fastpath *fp)
{
	struct tcp_reasm *r = NULL;
	struct fp_stream *s = NULL;
	struct tls_keys *k = NULL;
	int err;

	/* the old connection's frames still on the rings: strangers now */
	fast_rx__remove_flow(fp->rx, &fp->flow);
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
	fp->batch_open = false;
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
	return fast_rx__multiprog(fp->rx);
}

const char *fastpath__describe(const struct fastpath *fp)
{
	return fast_rx__describe(fp->rx);
}

void fastpath__catch_up(struct fastpath *fp)
{
	fast_rx__catch_up(fp->rx);
}

uint64_t fastpath__tap_ring_bytes(const struct fastpath *fp)
{
	return fast_rx__tap_ring_bytes(fp->rx);
}

enum fast_rx_transport fastpath__transport(const struct fastpath *fp)
{
	return fast_rx__transport(fp->rx);
}

struct fast_rx *fastpath__rx(const struct fastpath *fp)
{
	return fp->rx;
}

void fastpath__stats(struct fastpath *fp, struct fastpath_stats *st)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	struct fast_rx_stats rs;

	*st = fp->st;
	/* digests of what was seen so far, without finishing the running ones */
	if (c && EVP_MD_CTX_copy_ex(c, fp->stream_md))
		EVP_DigestFinal_ex(c, st->stream_sha256, NULL);
	if (c && EVP_MD_CTX_copy_ex(c, fp->kernel_md))
		EVP_DigestFinal_ex(c, st->kernel_sha256, NULL);
	EVP_MD_CTX_free(c);
	tcp_reasm__stats(fp->reasm, &st->reasm);
	/* this flow's frames, plus the interface's frames of no flow */
	fast_rx__stats(fp->rx, &rs);
	st->frames = fp->flow.st.frames + rs.frames_other;
	st->frames_other = rs.frames_other;
	st->tap_lost_all = rs.tap_lost;
	st->reinjected = fp->flow.st.reinjected + rs.other_reinjected;
	st->reinject_failed = fp->flow.st.reinject_failed + rs.other_reinject_failed;
	st->ring_dropped = rs.ring_dropped;
	st->ring_full = rs.ring_full;
	st->fill_ring_empty = rs.fill_ring_empty;
}

int fastpath__xdp_counters(const struct fastpath *fp, uint64_t sums[FX_CNT__MAX])
{
	return fast_rx__xdp_counters(fp->rx, sums);
}

void fastpath__free(struct fastpath *fp)
{
	if (!fp)
		return;
	/* its frames still on the rings go back to the kernel as strangers
	 * (fast_rx's last reference drains them) */
	fast_rx__remove_flow(fp->rx, &fp->flow);
	fast_rx__unref(fp->rx);
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

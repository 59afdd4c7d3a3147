/* link_kconn — kconn plus the fast path as a feed_link transport (see
 * link_kconn.h). */
#include "link_kconn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fx_err.h"
#include "core/fx_log.h"
#include "fast/fastpath.h"
#include "proto/ws_proto.h"
#include "link_transport.h"

struct link_kconn {
	struct link_transport t; /* first: the link sees this */
	struct ev_loop *loop;
	struct kconn_opts ko;
	struct kconn *k;
	struct fastpath *fp;
	bool discard;
	bool fast_opening; /* in fastpath__on_open: held bytes replayed */
	struct fx_error err;
};

static struct link_kconn *link_kconn__of(const struct link_transport *t)
{
	return (struct link_kconn *)t;
}

/* ---- kconn's hooks ---------------------------------------------------- */

static int on_socket(void *user, int fd, const struct sockaddr *local,
		     const struct sockaddr *remote)
{
	struct link_kconn *c = user;

	(void)fd;
	return c->fp ? fastpath__on_socket(c->fp, local, remote) : 0;
}

static void on_tls(void *user, SSL *ssl)
{
	struct link_kconn *c = user;
	int r;

	if (!c->fp)
		return;
	r = fastpath__on_tls(c->fp, ssl);
	if (r < 0)
		fx_log(FX_LOG_WARN, "warning: cannot capture TLS secrets for the fast path: %s",
		       strerror(-r));
}

static void on_open(void *user)
{
	struct link_kconn *c = user;
	bool fast = false, discarding = false;

	c->fast_opening = true;
	fast = c->fp && fastpath__on_open(c->fp, kconn__ssl(c->k)) == 0;
	c->fast_opening = false;
	/* a fast path that already failed (tap: a copy lost during the
	 * handshake) decodes nothing: the socket must not be drained unread */
	if (fast && fastpath__failed(c->fp))
		fast = false;
	if (fast) {
		if (c->discard) {
			kconn__set_discard(c->k); /* the fast path decodes; the socket is drained */
			discarding = true;
		}
	}
	feed_link__on_open(c->t.link, fast, discarding);
}

static void on_message(void *user, uint8_t opcode, const uint8_t *p, size_t n)
{
	struct link_kconn *c = user;
	struct lat_stamps st = {0};

	/* the kernel's receive stamp (0 unless asked for): arrival, as the
	 * XDP program's stamp is on the fast path */
	st.at[LAT_PT_XDP] = kconn__rx_ns(c->k);
	feed_link__on_kernel_msg(c->t.link, opcode, p, n, &st);
}

static void on_done(void *user, int status)
{
	struct link_kconn *c = user;

	feed_link__on_done(c->t.link, status);
}

/* Discard mode: the kernel can only hold bytes the fast path re-injected, so
 * a kernel ahead of the fast path means frames bypass it (another RX queue,
 * another interface): nothing would be delivered, so say so and fail. */
static void on_drained(void *user, uint64_t stream_bytes)
{
	struct link_kconn *c = user;

	/* tap: the kernel gets each frame with the fast path, and may be ahead
	 * by what the ring buffer holds; more than that, and frames bypass it */
	uint64_t slack = c->t.shadow_leads ? fastpath__tap_ring_bytes(c->fp) : 0;

	if (c->t.shadow_leads)
		fastpath__catch_up(c->fp);
	if (c->fp && !fastpath__failed(c->fp) &&
	    stream_bytes > fastpath__stream_bytes(c->fp) + slack)
		fastpath__fail(c->fp, "the kernel socket received bytes the fast path never saw "
				      "(the feed arrives on another RX queue or interface?)");
}

/* ---- the fast path's hooks -------------------------------------------- */

static void on_fast_message(void *user, uint8_t opcode, const uint8_t *p, size_t n,
			    const struct lat_stamps *st)
{
	struct link_kconn *c = user;

	if (c->k && kconn__discarding(c->k))
		kconn__frame_seen(c->k); /* its only decoder is here */
	feed_link__on_fast_msg(c->t.link, opcode, p, n, st);
}

static void on_fast_failure(void *user, const char *why)
{
	struct link_kconn *c = user;

	feed_link__on_fast_failed(c->t.link, why, fastpath__violation(c->fp));
}

/* Control frames the fast path saw: in discard mode only it sees them. */
static void on_fast_control(void *user, uint8_t opcode, const uint8_t *p, size_t n)
{
	struct link_kconn *c = user;

	/* while the fast path replays what it held before its keys, the
	 * socket is about to be drained: only the fast path sees these frames */
	if (!c->k || !(kconn__discarding(c->k) || (c->discard && c->fast_opening)))
		return; /* the kernel path decodes and answers itself */
	kconn__frame_seen(c->k);
	if (opcode == WS_OP_PING) {
		kconn__pong(c->k, p, n);
	} else if (opcode == WS_OP_CLOSE) {
		uint16_t code = n >= 2 ? (uint16_t)(p[0] << 8 | p[1]) : WS_CLOSE_NO_STATUS;

		kconn__peer_closed(c->k, code);
	}
}

static void on_fast_tls_event(void *user, enum tls_record_event ev, unsigned detail)
{
	struct link_kconn *c = user;

	if (ev == TLS_RECORD_EV_KEY_UPDATE && detail && c->k && kconn__discarding(c->k))
		kconn__key_update(c->k); /* the exchange asked us to update ours */
}

/* ---- the transport's ops ---------------------------------------------- */

static const struct kconn_hooks link_kconn__hooks_fast = {
    .on_socket = on_socket,
    .on_tls = on_tls,
    .on_open = on_open,
    .on_message = on_message,
    .on_done = on_done,
    .on_drained = on_drained,
};

static const struct kconn_hooks link_kconn__hooks_kernel = {
    .on_open = on_open,
    .on_message = on_message,
    .on_done = on_done,
};

static int link_kconn__open_kconn(struct link_kconn *c)
{
	struct kconn_hooks h = c->fp ? link_kconn__hooks_fast : link_kconn__hooks_kernel;

	h.user = c;
	return kconn__new(&c->k, c->loop, &c->ko, &h, &c->err);
}

static void op_start(struct link_transport *t)
{
	kconn__start(link_kconn__of(t)->k);
}

static int op_reset(struct link_transport *t)
{
	struct link_kconn *c = link_kconn__of(t);
	int r;

	kconn__free(c->k);
	c->k = NULL;
	if (c->fp && (r = fastpath__reset(c->fp)))
		return fx_error_set(&c->err, r, "out of memory");
	r = link_kconn__open_kconn(c);
	if (r)
		c->k = NULL;
	return r;
}

static int op_send_text(struct link_transport *t, const void *p, size_t n)
{
	return kconn__send_text(link_kconn__of(t)->k, p, n);
}

static void op_close(struct link_transport *t, uint16_t code)
{
	struct link_kconn *c = link_kconn__of(t);

	if (c->k)
		kconn__close(c->k, code);
}

static void op_abort(struct link_transport *t, int status, const char *why)
{
	struct link_kconn *c = link_kconn__of(t);

	if (c->k)
		kconn__abort(c->k, status, why);
}

static void op_fail_fast(struct link_transport *t, const char *why)
{
	struct link_kconn *c = link_kconn__of(t);

	if (c->fp)
		fastpath__fail(c->fp, why);
}

/* The XDP program counts the frames it passed because the receiver had
 * stopped draining (--stale-ms): that, not a missing socket, is the cause. */
static void op_catch_up(struct link_transport *t)
{
	struct link_kconn *c = link_kconn__of(t);

	if (c->fp)
		fastpath__catch_up(c->fp);
}

static const char *op_passed_why(struct link_transport *t)
{
	struct link_kconn *c = link_kconn__of(t);
	uint64_t sums[FX_CNT__MAX];
	static char why[160];

	if (!c->fp || fastpath__xdp_counters(c->fp, sums) < 0 || !sums[FX_CNT_STALE])
		return NULL;
	snprintf(why, sizeof(why),
		 "feedrx stopped draining for longer than --stale-ms and the program handed "
		 "the feed to the kernel: %llu stale frames",
		 (unsigned long long)sums[FX_CNT_STALE]);
	return why;
}

static void op_force_desync(struct link_transport *t)
{
	struct link_kconn *c = link_kconn__of(t);

	if (c->fp)
		fastpath__force_desync(c->fp);
}

static const char *op_error(const struct link_transport *t)
{
	const struct link_kconn *c = link_kconn__of(t);

	return c->k ? kconn__error(c->k) : c->err.msg;
}

static const char *op_describe(const struct link_transport *t)
{
	const struct link_kconn *c = link_kconn__of(t);

	return c->k ? kconn__describe(c->k) : "";
}

static void op_free(struct link_transport *t)
{
	struct link_kconn *c = link_kconn__of(t);

	kconn__free(c->k);
	free(c);
}

static const struct link_transport_ops link_kconn__ops = {
    .start = op_start,
    .reset = op_reset,
    .send_text = op_send_text,
    .close = op_close,
    .abort = op_abort,
    .fail_fast = op_fail_fast,
    .passed_why = op_passed_why,
    .catch_up = op_catch_up,
    .force_desync = op_force_desync,
    .error = op_error,
    .describe = op_describe,
    .free = op_free,
};

int link_kconn__new(struct link_transport **out, struct ev_loop *loop,
		    const struct kconn_opts *ko, struct fastpath *fp, bool discard,
		    struct fx_error *err)
{
	struct link_kconn *c = calloc(1, sizeof(*c));
	int r;

	*out = NULL;
	if (!c)
		return fx_error_set(err, -ENOMEM, "out of memory");
	c->t.ops = &link_kconn__ops;
	c->t.has_fast = fp != NULL;
	c->t.shadow_leads = fp && fastpath__transport(fp) == FAST_RX_TRANSPORT_TAP;
	c->loop = loop;
	c->ko = *ko;
	c->fp = fp;
	c->discard = discard;
	r = link_kconn__open_kconn(c);
	if (r) {
		if (err)
			*err = c->err;
		free(c);
		return r;
	}
	if (fp) {
		const struct fastpath_hooks fh = {
		    .user = c,
		    .on_message = on_fast_message,
		    .on_control = on_fast_control,
		    .on_tls_event = on_fast_tls_event,
		    .on_failure = on_fast_failure,
		};

		fastpath__set_hooks(fp, &fh);
	}
	*out = &c->t;
	return 0;
}

struct kconn *link_kconn__kconn(const struct link_transport *t)
{
	return link_kconn__of(t)->k;
}

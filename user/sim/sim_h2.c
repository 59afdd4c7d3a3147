/* sim_h2 — HTTP/2 for feedsim's REST endpoints (see sim_h2.h). */
#include "sim_h2.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "core/util.h"
#include "sim_http.h"
#include "sim_rest.h"

#define H2_MAX_STREAMS 32 /* answers held at once per connection */

struct h2_stream {
	struct sim_h2 *h;
	struct h2_stream *prev, *next;
	int32_t id;
	bool get, submitted;
	char path[SIM_HTTP_TARGET_MAX];
	size_t path_len;
	double due;              /* ev_now when the held answer may go */
	struct sim_rest_answer a;
	char status[4], weight[12], retry[12];
	char *body;
	size_t off;
};

struct sim_h2 {
	struct ev_loop *loop;
	struct sim_rest *rest;
	struct sockaddr_storage peer;
	nghttp2_session *session;
	struct h2_stream *streams;
	ev_timer timer;          /* the earliest held answer */
	void (*kick)(void *);
	void *arg;
	const uint8_t *pend;     /* mem_send output not yet taken */
	size_t pend_len;
	bool failed;
};

static void stream_free(struct h2_stream *st)
{
	struct sim_h2 *h = st->h;

	if (st->prev)
		st->prev->next = st->next;
	else
		h->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	free(st->body);
	free(st);
}

static ssize_t read_body(nghttp2_session *session, int32_t id, uint8_t *buf, size_t len,
			 uint32_t *flags, nghttp2_data_source *src, void *user)
{
	struct h2_stream *st = src->ptr;
	size_t n = st->a.body_len - st->off;

	(void)session, (void)id, (void)user;
	if (n > len)
		n = len;
	memcpy(buf, st->body + st->off, n);
	st->off += n;
	if (st->off == st->a.body_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE }

static int submit(struct sim_h2 *h, struct h2_stream *st)
{
	nghttp2_nv nva[] = {
		NV(":status", st->status),
		NV("content-type", "application/json;charset=UTF-8"),
		NV("x-mbx-used-weight-1m", st->weight),
		NV("retry-after", st->retry),
	};
	nghttp2_data_provider prd = { .source.ptr = st, .read_callback = read_body };

	st->submitted = true;
	return nghttp2_submit_response(h->session, st->id, nva, st->a.retry_after ? 4 : 3, &prd);
}

static void timer_arm(struct sim_h2 *h)
{
	double next = 0;

	for (struct h2_stream *st = h->streams; st; st = st->next)
		if (!st->submitted && st->body && (next == 0 || st->due < next))
			next = st->due;
	ev_timer_stop(h->loop, &h->timer);
	if (next > 0) {
		double in = next - ev_now(h->loop);

		ev_timer_set(&h->timer, in > 0 ? in : 0, 0);
		ev_timer_start(h->loop, &h->timer);
	}
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sim_h2 *h = container_of(w, struct sim_h2, timer);

	(void)revents;
	for (struct h2_stream *st = h->streams; st; st = st->next)
		if (!st->submitted && st->body && st->due <= ev_now(loop) && submit(h, st))
			h->failed = true;
	timer_arm(h);
	h->kick(h->arg); /* may free h: nothing after this */
}

/* A request is complete: answer it now or hold it. The answer is made in
 * one scratch buffer and kept in an allocation of its own size. */
static int answer(struct sim_h2 *h, struct h2_stream *st)
{
	static char scratch[SIM_REST_BODY_MAX]; /* one loop, one thread */

	if (sim_rest_path(st->path, st->path_len)) {
		sim_rest__answer(h->rest, st->path, st->path_len, st->get, &h->peer, scratch,
				 sizeof(scratch), &st->a);
	} else {
		st->a.status = 404;
		st->a.body_len = (size_t)snprintf(scratch, sizeof(scratch),
						  "{\"code\":-1000,\"msg\":\"Not found.\"}");
	}
	st->body = malloc(st->a.body_len + 1);
	if (!st->body)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	memcpy(st->body, scratch, st->a.body_len);
	snprintf(st->status, sizeof(st->status), "%d", st->a.status);
	snprintf(st->weight, sizeof(st->weight), "%u", st->a.used_weight);
	snprintf(st->retry, sizeof(st->retry), "%u", st->a.retry_after);
	if (st->a.delay > 0) {
		st->due = ev_now(h->loop) + st->a.delay;
		timer_arm(h);
		return 0;
	}
	return submit(h, st) ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
	struct sim_h2 *h = user;
	struct h2_stream *st;

	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	st->h = h;
	st->id = frame->hd.stream_id;
	st->next = h->streams;
	if (h->streams)
		h->streams->prev = st;
	h->streams = st;
	nghttp2_session_set_stream_user_data(session, st->id, st);
	return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
	struct h2_stream *st = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);

	(void)flags, (void)user;
	if (!st || frame->hd.type != NGHTTP2_HEADERS)
		return 0;
	if (namelen == 5 && !memcmp(name, ":path", 5) && valuelen < sizeof(st->path)) {
		memcpy(st->path, value, valuelen);
		st->path[valuelen] = 0;
		st->path_len = valuelen;
	} else if (namelen == 7 && !memcmp(name, ":method", 7)) {
		st->get = valuelen == 3 && !memcmp(value, "GET", 3);
	}
	return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
	struct h2_stream *st;

	if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
	    !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	st = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (!st || st->body)
		return 0;
	return answer(user, st);
}

static int on_stream_close(nghttp2_session *session, int32_t id, uint32_t code, void *user)
{
	struct h2_stream *st = nghttp2_session_get_stream_user_data(session, id);

	(void)code, (void)user;
	if (st) {
		nghttp2_session_set_stream_user_data(session, id, NULL);
		stream_free(st);
	}
	return 0;
}

int sim_h2__new(struct sim_h2 **out, struct ev_loop *loop, struct sim_rest *rest,
		const struct sockaddr_storage *peer, void (*kick)(void *), void *arg)
{
	nghttp2_settings_entry iv[] = { { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS } };
	nghttp2_session_callbacks *cbs;
	struct sim_h2 *h = calloc(1, sizeof(*h));
	int rc = -ENOMEM;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->loop = loop;
	h->rest = rest;
	h->peer = *peer;
	h->kick = kick;
	h->arg = arg;
	ev_timer_init(&h->timer, timer_cb, 0, 0);
	if (nghttp2_session_callbacks_new(&cbs))
		goto err_h;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
	rc = nghttp2_session_server_new(&h->session, cbs, h) ? -ENOMEM : 0;
	nghttp2_session_callbacks_del(cbs);
	if (rc)
		goto err_h;
	if (nghttp2_submit_settings(h->session, NGHTTP2_FLAG_NONE, iv, ARRAY_SIZE(iv))) {
		rc = -ENOMEM;
		goto err_session;
	}
	*out = h;
	return 0;

err_session:
	nghttp2_session_del(h->session);
err_h:
	free(h);
	return rc;
}

void sim_h2__free(struct sim_h2 *h)
{
	if (!h)
		return;
	ev_timer_stop(h->loop, &h->timer);
	nghttp2_session_del(h->session); /* closes streams: on_stream_close frees them */
	while (h->streams)
		stream_free(h->streams);
	free(h);
}

int sim_h2__recv(struct sim_h2 *h, const uint8_t *p, size_t n)
{
	ssize_t r = nghttp2_session_mem_recv(h->session, p, n);

	if (r < 0 || h->failed) {
		h->failed = true;
		return -1;
	}
	return 0;
}

size_t sim_h2__send(struct sim_h2 *h, uint8_t *dst, size_t cap)
{
	size_t done = 0;

	while (done < cap && !h->failed) {
		size_t n;

		if (!h->pend_len) {
			ssize_t r = nghttp2_session_mem_send(h->session, &h->pend);

			if (r < 0) {
				h->failed = true;
				break;
			}
			if (r == 0)
				break;
			h->pend_len = (size_t)r;
		}
		n = h->pend_len < cap - done ? h->pend_len : cap - done;
		memcpy(dst + done, h->pend, n);
		h->pend += n;
		h->pend_len -= n;
		done += n;
	}
	return done;
}

bool sim_h2__want_write(const struct sim_h2 *h)
{
	return !h->failed && (h->pend_len || nghttp2_session_want_write(h->session));
}

bool sim_h2__done(const struct sim_h2 *h)
{
	return h->failed || (!h->pend_len && !nghttp2_session_want_read(h->session) &&
			     !nghttp2_session_want_write(h->session));
}

/* ---- ALPN ---- */

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned inlen, void *arg)
{
	static const unsigned char ours[] = "\x02h2\x08http/1.1";
	unsigned char *sel;

	(void)ssl, (void)arg;
	if (SSL_select_next_proto(&sel, outlen, ours, sizeof(ours) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

void sim_h2_alpn(SSL_CTX *ctx)
{
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
}

bool sim_h2_negotiated(SSL *ssl)
{
	const unsigned char *p;
	unsigned n;

	SSL_get0_alpn_selected(ssl, &p, &n);
	return n == 2 && !memcmp(p, "h2", 2);
}

/* rest_h2 — HTTP/2 GET streams on nghttp2 (see rest_h2.h). */
#include "rest_h2.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define REST_H2_WINDOW (1 << 20) /* per stream: a snapshot in few round trips */

static struct rest_resp *rest_h2__resp(nghttp2_session *s, int32_t id)
{
	return nghttp2_session_get_stream_user_data(s, id);
}

static int rest_h2__on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
			      size_t nl, const uint8_t *value, size_t vl, uint8_t flags, void *user)
{
	struct rest_resp *r;

	(void)flags;
	(void)user;
	if (f->hd.type != NGHTTP2_HEADERS || !(r = rest_h2__resp(s, f->hd.stream_id)))
		return 0;
	if (nl == 7 && !memcmp(name, ":status", 7)) {
		int st = 0;
		for (size_t i = 0; i < vl && i < 3; i++)
			st = st * 10 + (value[i] - '0');
		if (st >= 200) /* an interim 1xx is not the answer */
			r->status = st;
		return 0;
	}
	if (r->status < 200 || r->head_done)
		return 0; /* 1xx fields, trailers */
	if (rest_resp__add_header(r, (const char *)name, nl, (const char *)value, vl))
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
	return 0;
}

static int rest_h2__on_frame(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
	struct rest_h2 *h = user;
	struct rest_resp *r;

	if (f->hd.type == NGHTTP2_GOAWAY)
		h->goaway = true;
	if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
	    !(r = rest_h2__resp(s, f->hd.stream_id)))
		return 0;
	if (f->hd.type == NGHTTP2_HEADERS && r->status >= 200)
		r->head_done = true;
	if ((f->hd.flags & NGHTTP2_FLAG_END_STREAM) && r->head_done && !r->err)
		r->complete = true;
	return 0;
}

static int rest_h2__on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *p,
			    size_t n, void *user)
{
	struct rest_resp *r = rest_h2__resp(s, id);

	(void)flags;
	(void)user;
	if (!r || r->err)
		return 0;
	if (rest_resp__append_body(r, (const char *)p, n))
		nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
	return 0;
}

static int rest_h2__on_close(nghttp2_session *s, int32_t id, uint32_t code, void *user)
{
	struct rest_h2 *h = user;
	struct rest_resp *r = rest_h2__resp(s, id);
	char why[160];
	int err = 0;

	if (!r)
		return 0;
	nghttp2_session_set_stream_user_data(s, id, NULL);
	if (r->err == -EFBIG) {
		err = -EFBIG;
		snprintf(why, sizeof(why), "response body over %zu bytes", r->max_body);
	} else if (r->err) {
		err = r->err;
		snprintf(why, sizeof(why), "response head over %d bytes or %d fields",
			 REST_RESP_HEAD_ARENA, REST_RESP_MAX_HEADERS);
	} else if (r->complete) {
		why[0] = 0;
	} else if (code == NGHTTP2_REFUSED_STREAM) {
		/* RFC 9113 §8.7: not processed (e.g. above a GOAWAY's last
		 * stream), safe to send again */
		err = -EAGAIN;
		snprintf(why, sizeof(why), "the server refused the stream (not processed)");
	} else if (code) {
		err = -ECONNRESET;
		snprintf(why, sizeof(why), "server reset the stream: %s",
			 nghttp2_http2_strerror(code));
	} else {
		err = -EPROTO;
		snprintf(why, sizeof(why), "stream ended without a complete response");
	}
	h->on_done(h->user, r, err, why);
	return 0;
}

int rest_h2__init(struct rest_h2 *h, rest_h2_done_cb on_done, void *user)
{
	nghttp2_session_callbacks *cb;
	nghttp2_settings_entry iv[] = {
	    {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
	    {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
	    {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, REST_H2_WINDOW},
	};
	int r;

	memset(h, 0, sizeof(*h));
	h->on_done = on_done;
	h->user = user;
	if (nghttp2_session_callbacks_new(&cb))
		return -ENOMEM;
	nghttp2_session_callbacks_set_on_header_callback(cb, rest_h2__on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, rest_h2__on_frame);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, rest_h2__on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, rest_h2__on_close);
	r = nghttp2_session_client_new(&h->s, cb, h);
	nghttp2_session_callbacks_del(cb);
	if (r)
		return -ENOMEM;
	if (nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])) ||
	    nghttp2_session_set_local_window_size(h->s, NGHTTP2_FLAG_NONE, 0, 4 * REST_H2_WINDOW)) {
		nghttp2_session_del(h->s);
		h->s = NULL;
		return -ENOMEM;
	}
	return 0;
}

#define REST_H2_NV(n, v)                                                                           \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v),                          \
		    NGHTTP2_NV_FLAG_NO_COPY_NAME                                                   \
	}

int32_t rest_h2__get(struct rest_h2 *h, const char *authority, const char *path,
		     struct rest_resp *r)
{
	const nghttp2_nv nv[] = {
	    REST_H2_NV(":method", "GET"),	 REST_H2_NV(":scheme", "https"),
	    REST_H2_NV(":authority", authority), REST_H2_NV(":path", path),
	    REST_H2_NV("user-agent", "feedrx"),	 REST_H2_NV("accept", "application/json"),
	};
	int32_t id = nghttp2_submit_request(h->s, NULL, nv, sizeof(nv) / sizeof(nv[0]), NULL, r);

	if (id < 0) {
		snprintf(h->why, sizeof(h->why), "cannot start an HTTP/2 stream: %s",
			 nghttp2_strerror(id));
		return -EIO;
	}
	return id;
}

void rest_h2__cancel(struct rest_h2 *h, int32_t id)
{
	if (!h->s)
		return;
	nghttp2_session_set_stream_user_data(h->s, id, NULL);
	nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
}

int rest_h2__feed(struct rest_h2 *h, const uint8_t *p, size_t n)
{
	ssize_t r = nghttp2_session_mem_recv(h->s, p, n);

	if (r < 0) {
		snprintf(h->why, sizeof(h->why), "HTTP/2 error: %s", nghttp2_strerror((int)r));
		return -EPROTO;
	}
	return 0;
}

size_t rest_h2__pending(struct rest_h2 *h, const uint8_t **p)
{
	if (!h->out_len) {
		ssize_t n = nghttp2_session_mem_send(h->s, &h->out);
		h->out_len = n > 0 ? (size_t)n : 0;
	}
	*p = h->out;
	return h->out_len;
}

void rest_h2__consume(struct rest_h2 *h, size_t n)
{
	h->out += n;
	h->out_len -= n;
}

bool rest_h2__alive(const struct rest_h2 *h)
{
	return h->s &&
	       (h->out_len || nghttp2_session_want_read(h->s) || nghttp2_session_want_write(h->s));
}

void rest_h2__free(struct rest_h2 *h)
{
	if (h->s)
		nghttp2_session_del(h->s);
	h->s = NULL;
	h->out_len = 0;
}

/* fp_stream — reassembled TCP bytes to WebSocket messages on the fast path:
 * proxy-response skip, hold-until-keyed, TLS records, HTTP 101 skip, frames. */
#include "fp_stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"

#define FP_HOLD_DEFAULT (1u << 20)
#define FP_HDR_MAX 16384 /* longest HTTP response head we skip */

/* Skips one HTTP response head ("HTTP/1.x NNN ...\r\n...\r\n\r\n"). */
struct hdr_skip {
	size_t seen;
	int crlf;      /* progress through "\r\n\r\n" */
	char line[13]; /* "HTTP/1.1 101" */
};

struct fp_stream {
	struct fp_stream_opts o;
	uint64_t next_off;
	int proxy_done;
	struct hdr_skip proxy;
	uint8_t *hold;
	size_t hold_len, hold_cap;
	int keyed;
	struct tls_record *tls;
	int http_done;
	struct hdr_skip http;
	struct ws_frame ws;
	int err;
	enum fp_stage stage;
	int desync;
};

/* Feed bytes of a response head. Returns bytes that belong to it (<= n);
 * *done once the blank line is seen. Negative on an over-long head. */
static ssize_t hdr_skip_feed(struct hdr_skip *h, const uint8_t *p, size_t n, int *done)
{
	static const char end[4] = {'\r', '\n', '\r', '\n'};
	size_t i;

	for (i = 0; i < n; i++) {
		if (h->seen < sizeof(h->line) - 1)
			h->line[h->seen] = (char)p[i];
		h->seen++;
		if (p[i] == end[h->crlf])
			h->crlf++;
		else
			h->crlf = p[i] == '\r' ? 1 : 0;
		if (h->crlf == 4) {
			*done = 1;
			return (ssize_t)(i + 1);
		}
		if (h->seen > FP_HDR_MAX)
			return FP_E_HTTP_TOO_LONG;
	}
	*done = 0;
	return (ssize_t)n;
}

/* The status code of a finished head, or -1 when it is not HTTP/1.x. */
static int hdr_skip_status(const struct hdr_skip *h)
{
	const char *l = h->line;

	if (h->seen < 12 || strncmp(l, "HTTP/1.", 7) != 0 || l[8] != ' ')
		return -1;
	if (l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9')
		return -1;
	return (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
}

static int fail(struct fp_stream *s, enum fp_stage stage, int err)
{
	if (!s->err) {
		s->err = err;
		s->stage = stage;
	}
	return s->err;
}

/* TLS plaintext: the HTTP 101 head, then WebSocket frames. */
static int on_plaintext(void *arg, const uint8_t *p, size_t n)
{
	struct fp_stream *s = arg;
	ssize_t r;

	if (s->err)
		return 1;
	if (s->o.on_record)
		s->o.on_record(s->o.user);
	if (!s->http_done) {
		r = hdr_skip_feed(&s->http, p, n, &s->http_done);
		if (r < 0)
			return fail(s, FP_STAGE_HTTP, (int)r), 1;
		if (s->http_done && hdr_skip_status(&s->http) != 101)
			return fail(s, FP_STAGE_HTTP, FP_E_HTTP_STATUS), 1;
		p += r;
		n -= (size_t)r;
	}
	if (n) {
		r = ws_frame__feed(&s->ws, p, n);
		/* after the server's close nothing more is read (RFC 6455 §1.4):
		 * what it still sends is dropped, as the kernel path drops it,
		 * and the close handshake ends the connection normally */
		if (r < 0 && r != WS_FRAME_E_AFTER_CLOSE)
			return fail(s, FP_STAGE_WS, (int)r), 1;
	}
	return 0;
}

static void on_tls_event(void *arg, enum tls_record_event ev, unsigned detail)
{
	struct fp_stream *s = arg;

	if (s->o.on_tls_event)
		s->o.on_tls_event(s->o.user, ev, detail);
}

int fp_stream__new(struct fp_stream **out, const struct fp_stream_opts *o)
{
	struct ws_frame_opts wo = {0};
	struct fp_stream *s;
	int err = -ENOMEM;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	s->proxy_done = !o->proxied;
	s->hold_cap = o->hold_bytes ? o->hold_bytes : FP_HOLD_DEFAULT;
	s->hold = malloc(s->hold_cap);
	if (!s->hold)
		goto err_free;
	err = tls_record__new(&s->tls, on_plaintext, on_tls_event, s);
	if (err)
		goto err_hold;
	wo.max_msg = o->max_message;
	wo.flags = o->check_utf8 ? WS_FRAME_F_UTF8 : 0;
	wo.user = o->user;
	wo.on_message = o->on_message;
	wo.on_control = o->on_control;
	err = ws_frame__init(&s->ws, &wo);
	if (err < 0)
		goto err_tls;
	*out = s;
	return 0;

err_tls:
	tls_record__free(s->tls);
err_hold:
	free(s->hold);
err_free:
	free(s);
	return err;
}

void fp_stream__free(struct fp_stream *s)
{
	if (!s)
		return;
	ws_frame__fini(&s->ws);
	tls_record__free(s->tls);
	free(s->hold);
	free(s);
}

static int tls_feed(struct fp_stream *s, const uint8_t *p, size_t n)
{
	ssize_t r;

	if (s->desync)
		return fail(s, FP_STAGE_TLS, TLS_RECORD_E_AUTH);
	while (n) {
		r = tls_record__feed(s->tls, p, n);
		if (s->err)
			return s->err;
		if (r < 0)
			return fail(s, FP_STAGE_TLS, (int)r);
		if (r == 0 && tls_record__closed(s->tls))
			return 0; /* after close_notify only the FIN is left */
		p += r;
		n -= (size_t)r;
		if (tls_record__closed(s->tls))
			return 0;
	}
	return 0;
}

int fp_stream__set_keys(struct fp_stream *s, const struct tls_epoch *hs,
			const struct tls_epoch *app)
{
	int err;

	if (s->err)
		return s->err;
	if (s->keyed)
		return -EALREADY;
	err = tls_record__start_stream(s->tls, hs, app);
	if (err < 0)
		return fail(s, FP_STAGE_TLS, err);
	s->keyed = 1;
	err = tls_feed(s, s->hold, s->hold_len);
	s->hold_len = 0;
	return err;
}

int fp_stream__feed(struct fp_stream *s, uint64_t off, const uint8_t *p, size_t n)
{
	ssize_t r;

	if (s->err)
		return s->err;
	if (off != s->next_off)
		return fail(s, FP_STAGE_PROXY, FP_E_GAP);
	if (s->o.dump && n && fwrite(p, 1, n, s->o.dump) != n)
		s->o.dump = NULL; /* a full disk must not stop delivery; the caller sees ferror */
	s->next_off += n;
	if (!s->proxy_done) {
		r = hdr_skip_feed(&s->proxy, p, n, &s->proxy_done);
		if (r < 0)
			return fail(s, FP_STAGE_PROXY, (int)r);
		if (s->proxy_done && hdr_skip_status(&s->proxy) / 100 != 2)
			return fail(s, FP_STAGE_PROXY, FP_E_HTTP_STATUS);
		p += r;
		n -= (size_t)r;
	}
	if (!n)
		return 0;
	if (!s->keyed) {
		if (n > s->hold_cap - s->hold_len)
			return fail(s, FP_STAGE_HOLD, FP_E_HOLD_FULL);
		memcpy(s->hold + s->hold_len, p, n);
		s->hold_len += n;
		return 0;
	}
	return tls_feed(s, p, n);
}

int fp_stream__error(const struct fp_stream *s)
{
	return s->err;
}

enum fp_stage fp_stream__error_stage(const struct fp_stream *s)
{
	return s->stage;
}

int fp_stream__keyed(const struct fp_stream *s)
{
	return s->keyed;
}

uint64_t fp_stream__bytes(const struct fp_stream *s)
{
	return s->next_off;
}

const struct tls_record *fp_stream__tls(const struct fp_stream *s)
{
	return s->tls;
}

void fp_stream__inject_desync(struct fp_stream *s)
{
	s->desync = 1;
}

const char *fp_stream__strerror(const struct fp_stream *s, char *buf, size_t len)
{
	static const char *names[] = {"", "proxy", "hold", "tls", "http", "websocket"};
	if (!s->err) {
		snprintf(buf, len, "ok");
		return buf;
	}
	/* codes of every stage are disjoint (core/fx_err.h): no guessing */
	snprintf(buf, len, "%s: %s", names[s->stage], fx_strerror(s->err));
	return buf;
}

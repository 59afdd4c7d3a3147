/* sim_http — the upgrade request of feedsim (see sim_http.h). */
#include "sim_http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "feedgen.h"
#include "proto/ws_accept.h"

static struct sim_http_req *req_of(llhttp_t *p)
{
	return p->data;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	struct sim_http_req *r = req_of(p);

	if (n >= sizeof(r->target) - r->target_len) {
		r->status = 414;
		r->why = "request target too long";
		return HPE_USER;
	}
	memcpy(r->target + r->target_len, at, n);
	r->target_len += n;
	r->target[r->target_len] = 0;
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct sim_http_req *r = req_of(p);

	for (size_t i = 0; i < n; i++) {
		/* too long: remember an impossible length, it matches no name */
		if (r->field_len >= sizeof(r->field) - 1) {
			r->field_len = sizeof(r->field);
			break;
		}
		r->field[r->field_len++] = (char)(at[i] >= 'A' && at[i] <= 'Z' ? at[i] + 32 : at[i]);
	}
	return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct sim_http_req *r = req_of(p);

	if (n >= sizeof(r->value) - r->value_len) {
		r->value_long = true;
		return 0;
	}
	memcpy(r->value + r->value_len, at, n);
	r->value_len += n;
	return 0;
}

/* Does a comma-separated token list contain tok (case-insensitive)? */
static bool has_token(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok), i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && !strncasecmp(v + s, tok, tl))
			return true;
	}
	return false;
}

#define FIELD_IS(r, lit) ((r)->field_len == sizeof(lit) - 1 && !memcmp((r)->field, lit, sizeof(lit) - 1))

static int on_header_value_complete(llhttp_t *p)
{
	struct sim_http_req *r = req_of(p);
	const char *v = r->value;
	size_t n = r->value_len;

	if (r->value_long) {
		r->status = 431;
		r->why = "header value too long";
		return HPE_USER;
	}
	if (FIELD_IS(r, "host")) {
		r->n_host++;
	} else if (FIELD_IS(r, "upgrade")) {
		r->upgrade_ws |= has_token(v, n, "websocket");
	} else if (FIELD_IS(r, "connection")) {
		r->connection_upgrade |= has_token(v, n, "upgrade");
	} else if (FIELD_IS(r, "sec-websocket-version")) {
		r->n_version++;
		r->version_13 = n == 2 && !memcmp(v, "13", 2);
	} else if (r->need_header && r->field_len == strlen(r->need_header) &&
		   !memcmp(r->field, r->need_header, r->field_len)) {
		r->has_header |= n > 0;
	} else if (FIELD_IS(r, "sec-websocket-key")) {
		r->n_key++;
		r->key_len = n < sizeof(r->key) ? n : sizeof(r->key) - 1;
		memcpy(r->key, v, r->key_len);
		r->key[r->key_len] = 0;
	}
	r->field_len = 0;
	r->value_len = 0;
	return 0;
}

/* Stop at the end of the request head: what follows is WebSocket data. */
static int on_message_complete(llhttp_t *p)
{
	(void)p;
	return HPE_PAUSED;
}

static const llhttp_settings_t req_settings = {
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_header_value_complete = on_header_value_complete,
	.on_message_complete = on_message_complete,
};

void sim_http_req__init(struct sim_http_req *r)
{
	memset(r, 0, sizeof(*r));
	llhttp_init(&r->parser, HTTP_REQUEST, &req_settings);
	r->parser.data = r;
}

/* A Sec-WebSocket-Key is the base64 of exactly 16 bytes. */
static bool key_valid(const char *k, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	if (n != WS_KEY_LEN || k[22] != '=' || k[23] != '=')
		return false;
	for (int i = 0; i < 22; i++)
		if (!k[i] || !strchr(b64, k[i]))
			return false;
	/* the last character carries 2 bits: its low 4 bits must be zero */
	return strchr("AQgw", k[21]) != NULL;
}

static int req_check(struct sim_http_req *r)
{
	struct sim_http_target t;
	int st;

	if (llhttp_get_method(&r->parser) != HTTP_GET) {
		r->why = "method must be GET";
		return 400;
	}
	if (r->map_target) {
		r->target_len = r->map_target(r->target, r->target_len, sizeof(r->target));
		if (!r->target_len) {
			r->why = "request-target too long";
			return 414;
		}
	}
	st = sim_http_target_parse(r->target, r->target_len, &t, &r->why);
	if (st)
		return st;
	if (llhttp_get_http_major(&r->parser) != 1 || llhttp_get_http_minor(&r->parser) < 1) {
		r->why = "HTTP/1.1 required";
		return 400;
	}
	if (r->n_host != 1) {
		r->why = "exactly one Host header required";
		return 400;
	}
	if (!r->upgrade_ws || !r->connection_upgrade) {
		r->why = "not a WebSocket upgrade (Upgrade: websocket, Connection: Upgrade)";
		return 400;
	}
	if (r->n_version != 1) {
		r->why = "exactly one Sec-WebSocket-Version header required";
		return 400;
	}
	if (!r->version_13) {
		r->why = "Sec-WebSocket-Version must be 13";
		return 426;
	}
	if (r->n_key != 1 || !key_valid(r->key, r->key_len)) {
		r->why = "Sec-WebSocket-Key must be one base64 16-byte nonce";
		return 400;
	}
	if (r->need_header && !r->has_header) {
		r->why = "API key header required";
		return 401;
	}
	return 101;
}

size_t sim_http_req__feed(struct sim_http_req *r, const char *buf, size_t len)
{
	size_t n = len;
	llhttp_errno_t err;

	if (r->done)
		return 0;
	if (n > SIM_HTTP_REQ_MAX - r->total)
		n = SIM_HTTP_REQ_MAX - r->total;
	if (n == 0) {
		r->done = true;
		r->status = 431;
		r->why = "request head too long";
		return 0;
	}
	err = llhttp_execute(&r->parser, buf, n);
	if (err == HPE_OK) {
		r->total += n;
		return n;
	}
	r->done = true;
	if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
		size_t used = (size_t)(llhttp_get_error_pos(&r->parser) - buf);

		r->total += used;
		r->status = req_check(r);
		return used;
	}
	if (!r->status) {
		r->status = 400;
		r->why = "malformed HTTP request";
	}
	return n;
}

/* Percent-decode s[0..n) into out as one stream name and check it. */
static int add_stream(struct sim_http_target *t, size_t *off, const char *s, size_t n,
		      const char **why)
{
	char *out = t->names + *off;
	size_t k = 0;
	enum feedgen_kind kind;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
			int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;

			if (lo < 0) {
				*why = "bad percent-encoding";
				return 400;
			}
			out[k++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	if (feedgen_stream_parse(out, k, &kind)) {
		*why = "invalid stream name";
		return 400;
	}
	if (t->nstreams == FEEDGEN_MAX_STREAMS) {
		*why = "too many streams";
		return 400;
	}
	out[k] = 0;
	*off += k + 1;
	t->nstreams++;
	return 0;
}

/* --venue: the paths another venue's dialect serves (sim_dialect.h). */
static const char *const *sim_http__paths;

void sim_http_set_paths(const char *const *paths)
{
	sim_http__paths = paths;
}

int sim_http_target_parse(const char *target, size_t len, struct sim_http_target *t,
			  const char **why)
{
	const char *q = memchr(target, '?', len);
	size_t plen = q ? (size_t)(q - target) : len, off = 0;
	int st;

	memset(t, 0, offsetof(struct sim_http_target, names));
	t->names[0] = 0;
	if (len >= sizeof(t->names)) {
		*why = "request target too long";
		return 414;
	}
	if (sim_http__paths) { /* the dialect's paths, no streams in them */
		for (const char *const *p = sim_http__paths; *p; p++)
			if (strlen(*p) == plen && !memcmp(*p, target, plen))
				return 0;
		*why = "unknown path for this venue";
		return 404;
	}
	/* timeUnit, in any path's query (case as Binance documents it) */
	for (const char *p = q ? q + 1 : target + len, *end = target + len; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;

		if (pe - p == 20 && !memcmp(p, "timeUnit=MICROSECOND", 20))
			t->time_us = true;
		p = pe + 1;
	}
	if ((plen == 3 && !memcmp(target, "/ws", 3)) || (plen == 4 && !memcmp(target, "/ws/", 4)))
		return 0;
	if (plen > 4 && !memcmp(target, "/ws/", 4))
		return add_stream(t, &off, target + 4, plen - 4, why);
	if (!((plen == 7 && !memcmp(target, "/stream", 7)) ||
	      (plen == 8 && !memcmp(target, "/stream/", 8)))) {
		*why = "unknown path (use /ws/<stream> or /stream?streams=<a>/<b>)";
		return 404;
	}
	t->combined = true;
	for (const char *p = q ? q + 1 : target + len, *end = target + len; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;

		if (pe - p >= 8 && !memcmp(p, "streams=", 8)) {
			for (const char *s = p + 8; s < pe;) {
				const char *sl = memchr(s, '/', (size_t)(pe - s));
				const char *se = sl ? sl : pe;

				if (se > s && (st = add_stream(t, &off, s, (size_t)(se - s), why)))
					return st;
				s = se + 1;
			}
		}
		p = pe + 1;
	}
	return 0;
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 101:
		return "Switching Protocols";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 414:
		return "URI Too Long";
	case 426:
		return "Upgrade Required";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

size_t sim_http_too_many(char *out, size_t cap, unsigned retry_after)
{
	static const char why[] = "too many connection attempts";
	int n = snprintf(out, cap,
			 "HTTP/1.1 429 Too Many Requests\r\n"
			 "Content-Type: text/plain\r\n"
			 "Content-Length: %zu\r\n"
			 "Retry-After: %u\r\n"
			 "Connection: close\r\n\r\n%s\n",
			 sizeof(why), retry_after, why);

	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t sim_http_response(char *out, size_t cap, int status, const char *key, size_t key_len,
			 const char *why)
{
	char accept[WS_ACCEPT_LEN + 1];
	int n;

	if (status == 101) {
		if (ws_accept_compute(key, key_len, accept))
			return 0;
		n = snprintf(out, cap,
			     "HTTP/1.1 101 Switching Protocols\r\n"
			     "Upgrade: websocket\r\n"
			     "Connection: Upgrade\r\n"
			     "Sec-WebSocket-Accept: %s\r\n\r\n",
			     accept);
	} else {
		why = why ? why : reason_phrase(status);
		n = snprintf(out, cap,
			     "HTTP/1.1 %d %s\r\n"
			     "Content-Type: text/plain\r\n"
			     "Content-Length: %zu\r\n"
			     "%s"
			     "Connection: close\r\n\r\n%s\n",
			     status, reason_phrase(status), strlen(why) + 1,
			     status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "", why);
	}
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

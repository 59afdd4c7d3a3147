/* http_upgrade — WebSocket opening handshake, client side (see http_upgrade.h). */
#include "http_upgrade.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int http_upgrade__init(struct http_upgrade *u, const char *key)
{
	int r;

	memset(u, 0, offsetof(struct http_upgrade, detail));
	u->detail[0] = 0;
	http_response__init(&u->resp);
	if (key) {
		if (strlen(key) != WS_KEY_LEN)
			return -EINVAL;
		memcpy(u->key, key, WS_KEY_LEN + 1);
	} else if ((r = ws_handshake_new_key(u->key))) {
		return r;
	}
	return ws_accept_compute(u->key, WS_KEY_LEN, u->accept);
}

int http_upgrade__request(const struct http_upgrade *u, const struct url *url, char *out,
			  size_t cap)
{
	return http_upgrade__request_with(u, url, NULL, 0, out, cap);
}

/* RFC 9110 §5.6.2 token characters */
static bool http_upgrade__token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || strchr("!#$%&'*+-.^_`|~", *s)))
			return false;
	return true;
}

int http_upgrade__request_with(const struct http_upgrade *u, const struct url *url,
			       const struct http_header *extra, size_t n_extra, char *out,
			       size_t cap)
{
	char host[URL_HOST_MAX + 16];
	size_t len;
	int n;

	if (url_authority(url, false, host, sizeof(host)) < 0)
		return -ENOSPC;
	n = snprintf(out, cap,
		     "GET %s HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "Upgrade: websocket\r\n"
		     "Connection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\n"
		     "Sec-WebSocket-Version: 13\r\n"
		     "User-Agent: feedrx\r\n",
		     url->path, host, u->key);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	len = (size_t)n;
	for (size_t i = 0; i < n_extra; i++) {
		const struct http_header *h = &extra[i];
		size_t nl = strlen(h->name);

		if (!http_upgrade__token(h->name))
			return -EINVAL;
		for (size_t k = 0; k < h->value_len; k++)
			if ((unsigned char)h->value[k] < 0x20 || h->value[k] == 0x7f)
				return -EINVAL;
		if (nl + 2 + h->value_len + 2 >= cap - len)
			return -ENOSPC;
		memcpy(out + len, h->name, nl);
		memcpy(out + len + nl, ": ", 2);
		memcpy(out + len + nl + 2, h->value, h->value_len);
		memcpy(out + len + nl + 2 + h->value_len, "\r\n", 2);
		len += nl + 2 + h->value_len + 2;
	}
	if (cap - len < 3)
		return -ENOSPC;
	memcpy(out + len, "\r\n", 3);
	return (int)len + 2;
}

__attribute__((format(printf, 3, 4))) static int http_upgrade__fail(struct http_upgrade *u, int err,
								    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->detail, sizeof(u->detail), fmt, ap);
	va_end(ap);
	u->err = err;
	return err;
}

/* Copy at most cap-1 bytes of s into out, printable ASCII only. */
static void http_upgrade__printable(char *out, size_t cap, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < cap; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = 0;
}

static int http_upgrade__verify(struct http_upgrade *u)
{
	const struct http_response *r = &u->resp;
	const char *v;
	size_t n;
	char buf[80];

	if (r->status != 101) {
		char ra[24] = "";
		size_t ran;
		const char *rav = http_response__header(r, "retry-after", &ran);

		/* a rate limit's wait, for whoever reconnects (feed_set) */
		if (rav)
			http_upgrade__printable(ra, sizeof(ra), rav, ran);
		v = http_response__reason(r, &n);
		http_upgrade__printable(buf, sizeof(buf), v, n);
		return http_upgrade__fail(u, -ECONNREFUSED,
					  "server answered %d%s%s (expected 101)%s%s%s", r->status,
					  n ? " " : "", buf, ra[0] ? " (Retry-After: " : "", ra,
					  ra[0] ? ")" : "");
	}
	if (!http_response__has_token(r, "upgrade", "websocket"))
		return http_upgrade__fail(u, -EPROTO, "101 answer without 'Upgrade: websocket'");
	if (!http_response__has_token(r, "connection", "upgrade"))
		return http_upgrade__fail(u, -EPROTO, "101 answer without 'Connection: Upgrade'");
	v = http_response__header(r, "sec-websocket-accept", &n);
	if (!v)
		return http_upgrade__fail(u, -EACCES, "101 answer without Sec-WebSocket-Accept");
	if (n != WS_ACCEPT_LEN || memcmp(v, u->accept, n) != 0)
		return http_upgrade__fail(u, -EACCES,
					  "Sec-WebSocket-Accept does not match our key");
	/* we asked for none: RFC 6455 §4.1 says fail if one comes back */
	if (http_response__header(r, "sec-websocket-extensions", &n))
		return http_upgrade__fail(u, -EPROTO, "server chose an extension we did not offer");
	if (http_response__header(r, "sec-websocket-protocol", &n))
		return http_upgrade__fail(u, -EPROTO,
					  "server chose a subprotocol we did not offer");
	u->done = true;
	return 0;
}

ssize_t http_upgrade__feed(struct http_upgrade *u, const char *p, size_t len)
{
	ssize_t used;
	int r;

	if (u->err)
		return u->err;
	if (u->done)
		return 0;
	used = http_response__feed(&u->resp, p, len);
	if (used < 0)
		return http_upgrade__fail(u, (int)used, "bad HTTP answer to the upgrade: %s",
					  http_response__error(&u->resp));
	if (u->resp.done && (r = http_upgrade__verify(u)))
		return r;
	return used;
}

const char *http_upgrade__error(const struct http_upgrade *u)
{
	return u->detail[0] ? u->detail : "no error";
}

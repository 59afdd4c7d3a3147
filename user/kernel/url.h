/* url — parse the two URL shapes feedrx takes on its command line: the feed
 * (wss://host[:port]/path?query) and the proxy (http://host:port). The
 * result is a fixed-size struct of NUL-terminated fields, ready for
 * getaddrinfo(), SNI, the Host header and the HTTP request line. */
#ifndef FEEDRX_URL_H
#define FEEDRX_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/fx_err.h"

#define URL_HOST_MAX 255  /* DNS name limit; IPv6 literals fit easily */
#define URL_PATH_MAX 4096 /* path + query, as sent on the request line */

enum url_scheme {
	URL_WSS,   /* wss://, default port 443 */
	URL_WS,	   /* ws://, default port 80 (parsed, not served by feedrx) */
	URL_HTTP,  /* http://, default port 80 (the proxy) */
	URL_HTTPS, /* https://, default port 443 */
};

struct url {
	enum url_scheme scheme;
	char host[URL_HOST_MAX + 1]; /* without brackets for IPv6 literals */
	char port_str[6];	     /* decimal, always set (default or given) */
	uint16_t port;
	bool port_given;	     /* an explicit :port was in the URL */
	bool default_port;	     /* port equals the scheme's default */
	bool ipv6_literal;	     /* host was written as [v6addr] */
	bool ip_literal;	     /* host is an IPv4 or IPv6 address */
	char path[URL_PATH_MAX + 1]; /* "/" when absent; query kept, fragment dropped */
};

/* Parse s into u. Returns 0, or a negative code (fx_strerror() has its text):
 * -FX_E_URL_SCHEME (unknown or missing scheme), -FX_E_URL_NO_HOST,
 * -FX_E_URL_PORT (bad port), -FX_E_URL_MALFORMED (bad IPv6 literal,
 * userinfo, forbidden characters), -FX_E_URL_TOO_LONG (host or path). */
int url_parse(const char *s, struct url *u);

/* Scheme name ("wss", "http", ...). */
const char *url_scheme_name(enum url_scheme s);

/* Write "host" or "host:port" (brackets around IPv6 literals) as used in the
 * Host header (port only when not the default) or, with force_port, in a
 * CONNECT request target. Returns the length, or -ENOSPC. */
int url_authority(const struct url *u, bool force_port, char *out, size_t cap);

#endif

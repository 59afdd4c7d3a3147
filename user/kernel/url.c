/* url — wss:// and http:// URL parsing into fixed-size fields (see url.h). */
#include "url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

static const struct {
	const char *name;
	enum url_scheme scheme;
	uint16_t port;
} url_schemes[] = {
    {"wss", URL_WSS, 443},
    {"ws", URL_WS, 80},
    {"http", URL_HTTP, 80},
    {"https", URL_HTTPS, 443},
};

const char *url_scheme_name(enum url_scheme s)
{
	for (size_t i = 0; i < ARRAY_SIZE(url_schemes); i++)
		if (url_schemes[i].scheme == s)
			return url_schemes[i].name;
	return "?";
}

static bool url__host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* Request-target bytes: printable ASCII except space (no header injection). */
static bool url__path_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

int url_parse(const char *s, struct url *u)
{
	const char *sep, *auth, *auth_end, *host, *host_end, *port = NULL;
	size_t i, n;
	uint16_t def_port = 0;

	memset(u, 0, sizeof(*u));
	sep = strstr(s, "://");
	if (!sep)
		return -FX_E_URL_SCHEME;
	n = (size_t)(sep - s);
	for (i = 0; i < ARRAY_SIZE(url_schemes); i++) {
		if (strlen(url_schemes[i].name) == n &&
		    strncasecmp(s, url_schemes[i].name, n) == 0) {
			u->scheme = url_schemes[i].scheme;
			def_port = url_schemes[i].port;
			break;
		}
	}
	if (!def_port)
		return -FX_E_URL_SCHEME;

	auth = sep + 3;
	auth_end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(auth_end - auth)))
		return -FX_E_URL_MALFORMED; /* userinfo: never sent, so refuse it */

	if (*auth == '[') {
		const char *close = memchr(auth, ']', (size_t)(auth_end - auth));
		if (!close)
			return -FX_E_URL_MALFORMED;
		host = auth + 1;
		host_end = close;
		if (close + 1 < auth_end) {
			if (close[1] != ':')
				return -FX_E_URL_MALFORMED;
			port = close + 2;
		}
		u->ipv6_literal = true;
	} else {
		host = auth;
		host_end = memchr(auth, ':', (size_t)(auth_end - auth));
		if (host_end)
			port = host_end + 1;
		else
			host_end = auth_end;
	}
	n = (size_t)(host_end - host);
	if (n == 0)
		return -FX_E_URL_NO_HOST;
	if (n > URL_HOST_MAX)
		return -FX_E_URL_TOO_LONG;
	memcpy(u->host, host, n);
	u->host[n] = 0;
	if (u->ipv6_literal) {
		struct in6_addr a6;
		if (inet_pton(AF_INET6, u->host, &a6) != 1)
			return -FX_E_URL_MALFORMED;
		u->ip_literal = true;
	} else {
		struct in_addr a4;
		for (i = 0; i < n; i++)
			if (!url__host_char(u->host[i]))
				return -FX_E_URL_MALFORMED;
		u->ip_literal = inet_pton(AF_INET, u->host, &a4) == 1;
	}

	if (port) {
		unsigned long v = 0;
		const char *p;
		if (port == auth_end)
			return -FX_E_URL_PORT;
		for (p = port; p < auth_end; p++) {
			if (*p < '0' || *p > '9')
				return -FX_E_URL_PORT;
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > 65535)
				return -FX_E_URL_PORT;
		}
		if (v == 0)
			return -FX_E_URL_PORT;
		u->port = (uint16_t)v;
		u->port_given = true;
	} else {
		u->port = def_port;
	}
	u->default_port = u->port == def_port;
	snprintf(u->port_str, sizeof(u->port_str), "%u", u->port);

	/* path and query up to the fragment, which never goes on the wire */
	n = strcspn(auth_end, "#");
	if (n == 0 || auth_end[0] == '?') {
		u->path[0] = '/';
		if (n + 1 > URL_PATH_MAX)
			return -FX_E_URL_TOO_LONG;
		memcpy(u->path + 1, auth_end, n);
		u->path[n + 1] = 0;
	} else {
		if (n > URL_PATH_MAX)
			return -FX_E_URL_TOO_LONG;
		memcpy(u->path, auth_end, n);
		u->path[n] = 0;
	}
	for (i = 0; u->path[i]; i++)
		if (!url__path_char((unsigned char)u->path[i]))
			return -FX_E_URL_MALFORMED;
	return 0;
}

int url_authority(const struct url *u, bool force_port, char *out, size_t cap)
{
	const char *lb = u->ipv6_literal ? "[" : "";
	const char *rb = u->ipv6_literal ? "]" : "";
	int n;

	if (force_port || !u->default_port)
		n = snprintf(out, cap, "%s%s%s:%u", lb, u->host, rb, u->port);
	else
		n = snprintf(out, cap, "%s%s%s", lb, u->host, rb);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}


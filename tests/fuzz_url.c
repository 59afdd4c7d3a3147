/* Fuzz target: url. Input: one byte for the size of the authority buffer,
 * then the URL text (made NUL-terminated in an exactly-sized block). A URL
 * that parses must print back (scheme://authority path) into one that
 * parses to the same fields; authorities never overrun their buffer. */
#include "fuzz.h"

#include <errno.h>

#include "core/fx_err.h"
#include "kernel/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct url u, v;
	static char again[URL_HOST_MAX + URL_PATH_MAX + 64];
	struct fz f = { data, size };
	size_t cap = fz_u8(&f), n;
	const uint8_t *p = fz_bytes(&f, f.n, &n);
	char *s = malloc(n + 1), *out;
	int rc, a;

	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = 0;
	rc = url_parse(s, &u);
	FUZZ_ASSERT(fx_strerror(rc) != NULL);
	FUZZ_ASSERT(rc == 0 || fx_err_module(rc) == FX_MOD_URL); /* url's own codes only */
	if (rc == 0) {
		FUZZ_ASSERT(u.host[0] && strlen(u.host) <= URL_HOST_MAX);
		FUZZ_ASSERT(u.path[0] == '/' && strlen(u.path) <= URL_PATH_MAX);
		FUZZ_ASSERT(u.port > 0 && (unsigned)atoi(u.port_str) == u.port);
		FUZZ_ASSERT(!strchr(u.path, '#') && !strchr(u.path, ' '));

		out = malloc(cap ? cap : 1);
		if (!out)
			abort();
		for (int force = 0; force < 2; force++) {
			a = url_authority(&u, force, out, cap);
			FUZZ_ASSERT(a == -ENOSPC || (a > 0 && (size_t)a < cap && strlen(out) == (size_t)a));
		}
		free(out);

		char auth[URL_HOST_MAX + 16];
		a = url_authority(&u, true, auth, sizeof(auth));
		FUZZ_ASSERT(a > 0);
		snprintf(again, sizeof(again), "%s://%s%s", url_scheme_name(u.scheme), auth, u.path);
		rc = url_parse(again, &v);
		FUZZ_ASSERT(rc == 0);
		FUZZ_ASSERT(v.scheme == u.scheme && v.port == u.port && v.default_port == u.default_port);
		FUZZ_ASSERT(!strcmp(v.host, u.host) && !strcmp(v.path, u.path));
		FUZZ_ASSERT(v.ipv6_literal == u.ipv6_literal && v.ip_literal == u.ip_literal);
	}
	free(s);
	return 0;
}

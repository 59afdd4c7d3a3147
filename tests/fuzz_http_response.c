/* Fuzz target: http_response (the head parser on llhttp), through both of
 * its users: the WebSocket upgrade check (http_upgrade) and the proxy's
 * CONNECT answer (net_connect_proxy_check). Input: a mode byte, a split
 * seed, then the server's bytes. The bytes are fed whole and in pieces
 * (each piece an exactly-sized heap copy); both must end the same way:
 * same error, same status, same head length, same header values. */
#include "fuzz.h"

#include <errno.h>

#include "kernel/http_response.h"
#include "kernel/http_upgrade.h"
#include "kernel/net_connect.h"

#define KEY "dGhlIHNhbXBsZSBub25jZQ==" /* RFC 6455 §1.3's example key */

struct outcome {
	int err;
	bool done;
	size_t used;
};

static const char *names[] = { "upgrade", "connection", "sec-websocket-accept",
			       "content-length", "server", "" };

/* Feed all of p[0, n) in pieces; stop at the first error or once done. */
static struct outcome feed(struct http_upgrade *u, int upgrade, const uint8_t *p, size_t n,
			   uint8_t mode, uint8_t seed)
{
	struct outcome o = { 0, false, 0 };
	struct fz_split sp;
	size_t off = 0;

	fz_split_init(&sp, mode, seed);
	while (off < n) {
		size_t k = fz_split_next(&sp, n - off);
		char *c = (char *)fz_dup(p + off, k);
		ssize_t r = upgrade ? http_upgrade__feed(u, c, k)
				    : http_response__feed(&u->resp, c, k);

		free(c);
		if (r < 0) {
			o.err = (int)r;
			break;
		}
		FUZZ_ASSERT((size_t)r <= k);
		o.used += (size_t)r;
		if (u->resp.done) {
			/* the head ends inside this piece: the rest is not its */
			FUZZ_ASSERT((size_t)r <= k);
			break;
		}
		FUZZ_ASSERT((size_t)r == k);
		off += k;
	}
	o.done = u->resp.done;
	return o;
}

static void check_views(const struct http_response *r)
{
	const char *lo = r->arena, *hi = r->arena + sizeof(r->arena);
	const char *v;
	size_t n;

	v = http_response__reason(r, &n);
	FUZZ_ASSERT(v >= lo && v + n <= hi);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = http_response__header(r, names[i], &n);
		if (v)
			FUZZ_ASSERT(v >= lo && v + n <= hi);
		(void)http_response__has_token(r, names[i], "upgrade");
	}
	FUZZ_ASSERT(r->n_headers <= HTTP_RESPONSE_MAX_HEADERS);
	FUZZ_ASSERT(r->head_bytes <= HTTP_RESPONSE_MAX_HEAD);
	FUZZ_ASSERT(http_response__error(r) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_upgrade whole, split;
	struct fz f = { data, size };
	uint8_t mode = fz_u8(&f), seed = fz_u8(&f);
	int upgrade = mode & 0x80;
	size_t n;
	const uint8_t *p = fz_bytes(&f, f.n, &n);
	struct outcome a, b;

	FUZZ_ASSERT(http_upgrade__init(&whole, KEY) == 0);
	FUZZ_ASSERT(http_upgrade__init(&split, KEY) == 0);
	a = feed(&whole, upgrade, p, n, 0, 0);
	b = feed(&split, upgrade, p, n, mode, seed);

	/* llhttp hands a header name to its callback when the name ends or
	 * the piece does: a split can meet the header limit before the bad
	 * byte that whole input stops at. Both refuse; the reason may differ. */
	FUZZ_ASSERT(!a.err == !b.err && a.done == b.done);
	if (a.err != b.err)
		FUZZ_ASSERT(a.err == -ENOBUFS || b.err == -ENOBUFS || a.err == -E2BIG ||
			    b.err == -E2BIG);
	FUZZ_ASSERT(a.used <= n);
	if (a.done && !a.err) {
		FUZZ_ASSERT(a.used == b.used && whole.resp.head_bytes == a.used);
		FUZZ_ASSERT(whole.resp.status == split.resp.status);
		/* llhttp takes 1-3 digits ("HTTP/1.1 4 x" is status 4): no 101, no 2xx */
		FUZZ_ASSERT(whole.resp.status >= 0 && whole.resp.status <= 999);
		FUZZ_ASSERT(whole.resp.n_headers == split.resp.n_headers);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			size_t la = 0, lb = 0;
			const char *va = http_response__header(&whole.resp, names[i], &la);
			const char *vb = http_response__header(&split.resp, names[i], &lb);

			FUZZ_ASSERT(!va == !vb);
			if (va)
				FUZZ_ASSERT(la == lb && !memcmp(va, vb, la));
		}
		/* the head ends with its blank line */
		FUZZ_ASSERT(a.used >= 2 && p[a.used - 1] == '\n');
	}
	if (upgrade) {
		FUZZ_ASSERT(whole.done == split.done);
		FUZZ_ASSERT(http_upgrade__error(&whole) != NULL);
		if (whole.done)
			FUZZ_ASSERT(whole.resp.status == 101);
	} else if (a.done && !a.err) {
		struct fx_error detail;
		int rc = net_connect_proxy_check(&whole.resp, &detail);

		FUZZ_ASSERT(rc == 0 || rc == -ECONNREFUSED);
		FUZZ_ASSERT(rc == -ECONNREFUSED || whole.resp.status / 100 == 2);
	}
	check_views(&whole.resp);
	check_views(&split.resp);
	return 0;
}

/* Fuzz target: rest_h2 (the REST client's HTTP/2 side on an nghttp2 client
 * session) fed a server's bytes after two GETs, whole or in pieces. Each
 * stream ends at most once; a stream that ends well has a final status and
 * a complete body within the limit; a body over the limit is refused; the
 * session never hands out more bytes than it holds. Input: a split mode
 * byte, a seed, then the server's bytes (its SETTINGS first). */
#include "fuzz.h"

#include <errno.h>

#include "rest/rest_h2.h"

#define FZ_MAX_BODY 2048

static struct rest_resp resp[2];
static int ends[2];

static void on_done(void *user, struct rest_resp *r, int err, const char *why)
{
	int i = r == &resp[0] ? 0 : 1;

	(void)user;
	FUZZ_ASSERT(r == &resp[0] || r == &resp[1]);
	FUZZ_ASSERT(why != NULL);
	ends[i]++;
	FUZZ_ASSERT(ends[i] == 1);
	FUZZ_ASSERT(r->body_len <= FZ_MAX_BODY);
	if (!err)
		FUZZ_ASSERT(r->complete && r->status >= 200 && r->status <= 999);
	if (r->err == -EFBIG)
		FUZZ_ASSERT(err == -EFBIG);
}

static void drain(struct rest_h2 *h)
{
	const uint8_t *p;
	size_t n;

	while ((n = rest_h2__pending(h, &p)) > 0) {
		FUZZ_ASSERT(p != NULL);
		/* "write" it in two halves, as a short TLS write would */
		rest_h2__consume(h, n / 2);
		rest_h2__consume(h, n - n / 2);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	uint8_t mode = fz_u8(&f), seed = fz_u8(&f);
	struct rest_h2 h;
	struct fz_split sp;
	size_t n, off = 0;
	const uint8_t *p = fz_bytes(&f, f.n, &n);

	ends[0] = ends[1] = 0;
	rest_resp__reset(&resp[0], FZ_MAX_BODY);
	rest_resp__reset(&resp[1], FZ_MAX_BODY);
	FUZZ_ASSERT(rest_h2__init(&h, on_done, NULL) == 0);
	FUZZ_ASSERT(rest_h2__get(&h, "example.test", "/api/v3/depth?limit=5", &resp[0]) == 1);
	FUZZ_ASSERT(rest_h2__get(&h, "example.test", "/x", &resp[1]) == 3);
	drain(&h);
	fz_split_init(&sp, mode, seed);
	while (off < n) {
		size_t k = fz_split_next(&sp, n - off);
		uint8_t *c = fz_dup(p + off, k);
		int r = rest_h2__feed(&h, c, k);

		free(c);
		off += k;
		if (r) {
			FUZZ_ASSERT(r == -EPROTO && h.why[0]);
			break;
		}
		drain(&h);
		if (!rest_h2__alive(&h))
			break;
	}
	rest_h2__free(&h);
	rest_resp__free(&resp[0]);
	rest_resp__free(&resp[1]);
	return 0;
}

/* Fuzz target: rest_h1 (a whole HTTP/1.1 response with its body, on llhttp,
 * into a bounded rest_resp). Input: a split mode byte, a seed, then the
 * server's bytes. Fed whole and in pieces (exact heap copies), both must
 * agree: done or not, same status, same body, same bytes consumed; the
 * body never exceeds its limit, header views stay inside the arena. */
#include "fuzz.h"

#include <errno.h>

#include "rest/rest_h1.h"

#define FZ_MAX_BODY 4096

struct outcome {
	ssize_t err;
	bool done;
	size_t used;
};

static struct outcome feed(struct rest_h1 *h, const uint8_t *p, size_t n, uint8_t mode,
			   uint8_t seed, bool eof)
{
	struct outcome o = {0, false, 0};
	struct fz_split sp;
	size_t off = 0;

	fz_split_init(&sp, mode, seed);
	while (off < n && !h->done) {
		size_t k = fz_split_next(&sp, n - off);
		char *c = (char *)fz_dup(p + off, k);
		ssize_t r = rest_h1__feed(h, c, k);

		free(c);
		if (r < 0) {
			o.err = r;
			break;
		}
		FUZZ_ASSERT((size_t)r <= k);
		if (!h->done)
			FUZZ_ASSERT((size_t)r == k);
		o.used += (size_t)r;
		off += (size_t)r;
	}
	if (!o.err && !h->done && eof)
		o.err = rest_h1__eof(h) ? -ECONNRESET : 0;
	o.done = h->done;
	return o;
}

static void check(const struct rest_resp *r)
{
	static const char *names[] = {"content-length", "retry-after", "x-mbx-used-weight-1m", ""};
	size_t n;

	FUZZ_ASSERT(r->body_len <= FZ_MAX_BODY);
	FUZZ_ASSERT(!r->body || r->body[r->body_len] == 0);
	FUZZ_ASSERT(r->n_headers <= REST_RESP_MAX_HEADERS && r->arena_len <= sizeof(r->arena));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = rest_resp__header(r, names[i], &n);
		if (v)
			FUZZ_ASSERT(v >= r->arena && v + n <= r->arena + sizeof(r->arena));
	}
	(void)rest_resp__retry_after(r, 1e9);
	(void)rest_resp__header_long(r, "x-mbx-used-weight-1m");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rest_resp ra, rb;
	static struct rest_h1 a, b;
	struct fz f = {data, size};
	uint8_t mode = fz_u8(&f), seed = fz_u8(&f);
	size_t n;
	const uint8_t *p = fz_bytes(&f, f.n, &n);
	struct outcome x, y;

	rest_resp__reset(&ra, FZ_MAX_BODY);
	rest_resp__reset(&rb, FZ_MAX_BODY);
	rest_h1__init(&a, &ra);
	rest_h1__init(&b, &rb);
	/* bit 0 of mode: the server closes after the bytes */
	x = feed(&a, p, n, 0, 0, mode & 1);
	y = feed(&b, p, n, mode, seed, mode & 1);
	/* a split can meet a limit before the bad byte whole input stops at */
	FUZZ_ASSERT(!x.err == !y.err || x.err == -E2BIG || y.err == -E2BIG);
	if (!x.err && !y.err) {
		FUZZ_ASSERT(x.done == y.done);
		if (x.done) {
			FUZZ_ASSERT(x.used == y.used && ra.status == rb.status);
			FUZZ_ASSERT(ra.body_len == rb.body_len &&
				    (!ra.body_len || !memcmp(ra.body, rb.body, ra.body_len)));
		}
	}
	FUZZ_ASSERT(rest_h1__error(&a) && rest_h1__error(&b));
	check(&ra);
	check(&rb);
	rest_resp__free(&ra);
	rest_resp__free(&rb);
	return 0;
}

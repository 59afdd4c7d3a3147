/* Tests for rest_h1 and rest_resp: a response fed whole, a byte at a time
 * and in random pieces gives the same status, headers and body
 * (content-length and chunked); the parser stops exactly at the end of a
 * response (kept-alive connections); read-until-close bodies end at EOF;
 * EOF mid-body, oversize bodies and heads, malformed input; Retry-After
 * as seconds and as a date. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "rest/rest_h1.h"

static uint64_t rng = 88172645463325252ull;

static size_t rnd(size_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (size_t)(rng % n);
}

/* Feed s in pieces (mode 0 whole, 1 bytes, 2 random); the bytes the
 * parser took in total, or a negative code. */
static ssize_t feed(struct rest_h1 *h, const char *s, size_t n, int mode)
{
	size_t off = 0;

	while (off < n && !h->done) {
		size_t k = mode == 0 ? n - off : mode == 1 ? 1 : 1 + rnd(n - off);
		ssize_t r = rest_h1__feed(h, s + off, k);
		if (r < 0)
			return r;
		off += (size_t)r;
		if ((size_t)r < k && !h->done)
			return -1000; /* took less without finishing */
	}
	return (ssize_t)off;
}

static void same_at_every_split(void)
{
	static const char cl[] = "HTTP/1.1 200 OK\r\nX-MBX-USED-WEIGHT-1M: 25\r\n"
				 "Content-Length: 11\r\nRetry-After:  3 \r\n\r\nhello worldNEXT";
	static const char ch[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
				 "X-Long-Header-Name-To-Split: v\r\n\r\n"
				 "6\r\nhello \r\n5;x=y\r\nworld\r\n0\r\nTrailer: t\r\n\r\nNEXT";
	const char *cases[] = {cl, ch};
	size_t lens[] = {sizeof(cl) - 1, sizeof(ch) - 1};

	for (int c = 0; c < 2; c++)
		for (int mode = 0; mode < 3; mode++)
			for (int rep = 0; rep < (mode == 2 ? 50 : 1); rep++) {
				struct rest_resp r = {0};
				struct rest_h1 h;
				ssize_t used;

				rest_resp__reset(&r, 1024);
				rest_h1__init(&h, &r);
				used = feed(&h, cases[c], lens[c], mode);
				CHECKF(used == (ssize_t)lens[c] - 4, "case %d mode %d used %zd", c,
				       mode, used);
				CHECK(h.done && h.keep_alive && r.complete && r.status == 200);
				CHECKF(r.body_len == 11 && !strcmp(r.body, "hello world"),
				       "case %d mode %d body %s", c, mode, r.body);
				if (c == 0) {
					CHECK(rest_resp__header_long(&r, "x-mbx-used-weight-1m") ==
					      25);
					CHECK(rest_resp__retry_after(&r, 0) == 3);
				} else {
					size_t n;
					const char *v = rest_resp__header(
					    &r, "x-long-header-name-to-split", &n);
					CHECK(v && n == 1 && *v == 'v');
				}
				rest_resp__free(&r);
			}
}

static void until_close_and_cut(void)
{
	static const char eof[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it";
	static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart";
	struct rest_resp r = {0};
	struct rest_h1 h;

	rest_resp__reset(&r, 1024);
	rest_h1__init(&h, &r);
	CHECK(rest_h1__feed(&h, eof, sizeof(eof) - 1) == (ssize_t)sizeof(eof) - 1 && !h.done);
	CHECK(rest_h1__eof(&h) == 0 && h.done && !strcmp(r.body, "all of it"));
	CHECK(!h.keep_alive);

	rest_resp__reset(&r, 1024);
	rest_h1__init(&h, &r);
	CHECK(rest_h1__feed(&h, cut, sizeof(cut) - 1) == (ssize_t)sizeof(cut) - 1);
	CHECK(rest_h1__eof(&h) == -ECONNRESET &&
	      !strcmp(rest_h1__error(&h), "server closed the connection mid-body"));

	rest_resp__reset(&r, 1024);
	rest_h1__init(&h, &r);
	CHECK(rest_h1__eof(&h) == -ECONNRESET &&
	      !strcmp(rest_h1__error(&h), "server closed the connection before answering"));
	rest_resp__free(&r);
}

static void limits_and_garbage(void)
{
	static const char big[] =
	    "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789abcdefghij";
	static const char bigch[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				    "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n";
	struct rest_resp r = {0};
	struct rest_h1 h;
	char head[REST_RESP_HEAD_ARENA + 200];
	int n;

	rest_resp__reset(&r, 16);
	rest_h1__init(&h, &r);
	CHECK(rest_h1__feed(&h, big, sizeof(big) - 1) == -EFBIG &&
	      !strcmp(rest_h1__error(&h), "response body over 16 bytes"));
	rest_resp__reset(&r, 16);
	rest_h1__init(&h, &r);
	CHECK(feed(&h, bigch, sizeof(bigch) - 1, 1) == -EFBIG);
	/* the body buffer never grew past the limit */
	CHECK(r.body_cap <= 17);

	rest_resp__reset(&r, 16);
	rest_h1__init(&h, &r);
	n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nX-Big: %0*d\r\n\r\n",
		     REST_RESP_HEAD_ARENA, 0);
	CHECK(rest_h1__feed(&h, head, (size_t)n) == -E2BIG);

	rest_resp__reset(&r, 16);
	rest_h1__init(&h, &r);
	CHECK(rest_h1__feed(&h, "SSH-2.0-OpenSSH\r\n", 17) == -EBADMSG &&
	      !strncmp(rest_h1__error(&h), "malformed HTTP response: ", 25));
	rest_resp__free(&r);
}

static void retry_after_date(void)
{
	struct rest_resp r = {0};

	rest_resp__reset(&r, 16);
	CHECK(rest_resp__retry_after(&r, 0) == -1);
	CHECK(rest_resp__add_header(&r, "Retry-After", 11, "Wed, 21 Oct 2015 07:28:00 GMT", 29) ==
	      0);
	/* 1445412480 is that instant */
	CHECK(rest_resp__retry_after(&r, 1445412480 - 30) == 30);
	CHECK(rest_resp__retry_after(&r, 1445412480 + 30) == 0);
	rest_resp__reset(&r, 16);
	CHECK(rest_resp__add_header(&r, "retry-after", 11, "soon", 4) == 0);
	CHECK(rest_resp__retry_after(&r, 0) == -1);
}

int main(void)
{
	RUN(same_at_every_split);
	RUN(until_close_and_cut);
	RUN(limits_and_garbage);
	RUN(retry_after_date);
	return check_exit();
}

/* Tests for http_upgrade (and the http_response head parser under it): the
 * request bytes, and the answer fed whole, byte by byte and in random
 * splits, which must give the same verdict and the same leftover bytes. */
#include <errno.h>

#include "check.h"
#include "kernel/http_upgrade.h"

static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char good[] = "HTTP/1.1 101 Switching Protocols\r\n"
			   "Upgrade: websocket\r\n"
			   "Connection: Upgrade\r\n"
			   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
			   "\r\n";
/* a WebSocket text frame "hi" that arrived in the same read as the head */
static const char tail[] = "\x81\x02hi";

static void request_bytes(void)
{
	struct http_upgrade u;
	struct url url;
	char buf[1024];
	int n;

	REQUIRE(http_upgrade__init(&u, key) == 0);
	REQUIRE(url_parse("wss://feedsim.test:9443/ws/btcusdt@trade?x=1", &url) == 0);
	n = http_upgrade__request(&u, &url, buf, sizeof(buf));
	REQUIRE(n > 0);
	CHECK(strcmp(buf, "GET /ws/btcusdt@trade?x=1 HTTP/1.1\r\n"
			  "Host: feedsim.test:9443\r\n"
			  "Upgrade: websocket\r\n"
			  "Connection: Upgrade\r\n"
			  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			  "Sec-WebSocket-Version: 13\r\n"
			  "User-Agent: feedrx\r\n"
			  "\r\n") == 0);
	CHECK((size_t)n == strlen(buf));

	REQUIRE(url_parse("wss://[fd00:fee0::1]/ws", &url) == 0);
	REQUIRE(http_upgrade__request(&u, &url, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\r\nHost: [fd00:fee0::1]\r\n") != NULL);
	CHECK(http_upgrade__request(&u, &url, buf, 40) == -ENOSPC);
}

/* Extra headers (an API key): after the standard ones, exactly; a name
 * that is not a token or a value with a control byte is refused (no
 * header injection); every cap that is too small is -ENOSPC. */
static void request_extra_headers(void)
{
	struct http_upgrade u;
	struct url url;
	char buf[1024];
	static const char want[] = "GET /ws HTTP/1.1\r\n"
				   "Host: feedsim.test:9443\r\n"
				   "Upgrade: websocket\r\n"
				   "Connection: Upgrade\r\n"
				   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				   "Sec-WebSocket-Version: 13\r\n"
				   "User-Agent: feedrx\r\n"
				   "X-MBX-APIKEY: k3y/+=\r\n"
				   "\r\n";
	struct http_header h = { "X-MBX-APIKEY", "k3y/+=tail", 6 };
	int n;

	REQUIRE(http_upgrade__init(&u, key) == 0);
	REQUIRE(url_parse("wss://feedsim.test:9443/ws", &url) == 0);
	n = http_upgrade__request_with(&u, &url, &h, 1, buf, sizeof(buf));
	REQUIRE(n > 0);
	CHECK((size_t)n == strlen(want) && !strcmp(buf, want));
	for (size_t cap = 1; cap <= strlen(want); cap++)
		CHECKF(http_upgrade__request_with(&u, &url, &h, 1, buf, cap) == -ENOSPC,
		       "cap %zu", cap);
	CHECK(http_upgrade__request_with(&u, &url, &h, 1, buf, strlen(want) + 1) == n);
	h.value = "a\r\nX-Evil: 1";
	h.value_len = strlen(h.value);
	CHECK(http_upgrade__request_with(&u, &url, &h, 1, buf, sizeof(buf)) == -EINVAL);
	h = (struct http_header){ "X MBX", "k", 1 };
	CHECK(http_upgrade__request_with(&u, &url, &h, 1, buf, sizeof(buf)) == -EINVAL);
	h = (struct http_header){ "", "k", 1 };
	CHECK(http_upgrade__request_with(&u, &url, &h, 1, buf, sizeof(buf)) == -EINVAL);
}

static void fresh_keys(void)
{
	struct http_upgrade a, b;

	REQUIRE(http_upgrade__init(&a, NULL) == 0);
	REQUIRE(http_upgrade__init(&b, NULL) == 0);
	CHECK(strlen(a.key) == WS_KEY_LEN);
	CHECK(strcmp(a.key, b.key) != 0);
	CHECK(http_upgrade__init(&a, "short") == -EINVAL);
}

/* Feed msg cut at the given points; returns the final code (0 = done) and
 * copies the leftover bytes to left. */
static int feed_split(struct http_upgrade *u, const char *msg, size_t len, const size_t *cuts,
		      size_t ncuts, char *left, size_t *nleft)
{
	size_t pos = 0;

	*nleft = 0;
	if (http_upgrade__init(u, key))
		return -999;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		const char *p = msg + pos;
		size_t n = end - pos;
		ssize_t r;
		if (end < pos)
			continue;
		r = http_upgrade__feed(u, p, n);
		if (r < 0)
			return (int)r;
		if (u->done) {
			/* everything after the head, this piece and the rest */
			memcpy(left, p + r, n - (size_t)r);
			*nleft = n - (size_t)r;
			memcpy(left + *nleft, msg + end, len - end);
			*nleft += len - end;
			return 0;
		}
		CHECK((size_t)r == n);
		pos = end;
	}
	return -EAGAIN;
}

static void good_answer_all_splits(void)
{
	char msg[512], left[512];
	size_t len, nleft, cuts[8];
	struct http_upgrade u;

	len = (size_t)snprintf(msg, sizeof(msg), "%s%s", good, tail);
	/* whole */
	REQUIRE(feed_split(&u, msg, len, NULL, 0, left, &nleft) == 0);
	CHECK(nleft == 4 && memcmp(left, tail, 4) == 0);
	CHECK(u.resp.status == 101);
	/* every single cut point */
	for (size_t c = 0; c <= len; c++) {
		cuts[0] = c;
		CHECKF(feed_split(&u, msg, len, cuts, 1, left, &nleft) == 0, "cut %zu", c);
		CHECKF(nleft == 4 && memcmp(left, tail, 4) == 0, "cut %zu left %zu", c, nleft);
	}
	/* byte by byte */
	{
		size_t byte_cuts[512];
		for (size_t i = 0; i < len; i++)
			byte_cuts[i] = i + 1;
		CHECK(feed_split(&u, msg, len, byte_cuts, len, left, &nleft) == 0);
		CHECK(nleft == 4 && memcmp(left, tail, 4) == 0);
	}
	/* random splits */
	srand(12345);
	for (int t = 0; t < 2000; t++) {
		size_t k = 1 + (size_t)rand() % 7;
		for (size_t i = 0; i < k; i++)
			cuts[i] = (size_t)rand() % (len + 1);
		/* sorted cut points */
		for (size_t i = 1; i < k; i++)
			for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
				size_t x = cuts[j];
				cuts[j] = cuts[j - 1];
				cuts[j - 1] = x;
			}
		CHECKF(feed_split(&u, msg, len, cuts, k, left, &nleft) == 0, "try %d", t);
		CHECKF(nleft == 4 && memcmp(left, tail, 4) == 0, "try %d", t);
	}
}

/* A 101 ends with its header section whatever Content-Length says (RFC
 * 9112 §6.3: no 1xx response has content): the "body" is the first bytes of
 * the WebSocket stream, for the frame decoder to refuse (it-hostile
 * body-101), never skipped as a body. */
static void content_length_on_101_is_not_a_body(void)
{
	static const char head[] = "HTTP/1.1 101 Switching Protocols\r\n"
				   "Upgrade: websocket\r\n"
				   "Connection: Upgrade\r\n"
				   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
				   "Content-Length: 4\r\n"
				   "\r\n";
	char msg[512], left[512];
	size_t len, nleft, cut;
	struct http_upgrade u;

	len = (size_t)snprintf(msg, sizeof(msg), "%sbody%s", head, tail);
	for (cut = 0; cut <= len; cut++) {
		CHECKF(feed_split(&u, msg, len, &cut, 1, left, &nleft) == 0, "cut %zu", cut);
		CHECKF(nleft == 8 && memcmp(left, "body", 4) == 0, "cut %zu: %zu left", cut, nleft);
	}
	CHECK(u.resp.status == 101);
}

static void header_case_and_lists(void)
{
	static const char msg[] = "HTTP/1.1 101 Switching Protocols\r\n"
				  "server: x\r\n"
				  "UPGRADE:   WebSocket  \r\n"
				  "connection: keep-alive, upgrade\r\n"
				  "sec-websocket-accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
				  "X-Empty:\r\n"
				  "\r\n";
	struct http_upgrade u;
	char left[8];
	size_t nleft;

	REQUIRE(feed_split(&u, msg, sizeof(msg) - 1, NULL, 0, left, &nleft) == 0);
	CHECK(nleft == 0);
	{
		size_t n;
		const char *v = http_response__header(&u.resp, "x-empty", &n);
		CHECK(v != NULL && n == 0);
		v = http_response__header(&u.resp, "Server", &n);
		CHECK(v != NULL && n == 1 && *v == 'x');
	}
}

static void accept_mismatch(void)
{
	static const char msg[] = "HTTP/1.1 101 Switching Protocols\r\n"
				  "Upgrade: websocket\r\n"
				  "Connection: Upgrade\r\n"
				  "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"
				  "\r\n";
	static const char missing[] = "HTTP/1.1 101 Switching Protocols\r\n"
				      "Upgrade: websocket\r\n"
				      "Connection: Upgrade\r\n"
				      "\r\n";
	struct http_upgrade u;
	char left[8];
	size_t nleft;

	CHECK(feed_split(&u, msg, sizeof(msg) - 1, NULL, 0, left, &nleft) == -EACCES);
	CHECK(strstr(http_upgrade__error(&u), "Sec-WebSocket-Accept") != NULL);
	CHECK(feed_split(&u, missing, sizeof(missing) - 1, NULL, 0, left, &nleft) == -EACCES);
}

static void missing_upgrade_headers(void)
{
	static const char no_upgrade[] = "HTTP/1.1 101 Switching Protocols\r\n"
					 "Connection: Upgrade\r\n"
					 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
					 "\r\n";
	static const char no_conn[] = "HTTP/1.1 101 Switching Protocols\r\n"
				      "Upgrade: websocket\r\n"
				      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
				      "\r\n";
	static const char ext[] = "HTTP/1.1 101 Switching Protocols\r\n"
				  "Upgrade: websocket\r\n"
				  "Connection: Upgrade\r\n"
				  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
				  "Sec-WebSocket-Extensions: permessage-deflate\r\n"
				  "\r\n";
	struct http_upgrade u;
	char left[8];
	size_t nleft;

	CHECK(feed_split(&u, no_upgrade, sizeof(no_upgrade) - 1, NULL, 0, left, &nleft) == -EPROTO);
	CHECK(feed_split(&u, no_conn, sizeof(no_conn) - 1, NULL, 0, left, &nleft) == -EPROTO);
	CHECK(feed_split(&u, ext, sizeof(ext) - 1, NULL, 0, left, &nleft) == -EPROTO);
}

static void not_101(void)
{
	static const char msg[] = "HTTP/1.1 404 Not Found\r\n"
				  "Content-Type: text/plain\r\n"
				  "Content-Length: 9\r\n"
				  "\r\n"
				  "not found";
	struct http_upgrade u;
	char left[32];
	size_t nleft, cuts[1];

	for (size_t c = 0; c <= sizeof(msg) - 1; c++) {
		cuts[0] = c;
		CHECK(feed_split(&u, msg, sizeof(msg) - 1, cuts, 1, left, &nleft) == -ECONNREFUSED);
		CHECKF(strcmp(http_upgrade__error(&u),
			      "server answered 404 Not Found (expected 101)") == 0,
		       "got '%s'", http_upgrade__error(&u));
	}
}

static void head_too_large(void)
{
	static char msg[HTTP_RESPONSE_MAX_HEAD + 200];
	struct http_upgrade u;
	char left[8];
	size_t nleft, n;

	n = (size_t)snprintf(msg, sizeof(msg), "HTTP/1.1 101 Switching Protocols\r\nX-Big: ");
	memset(msg + n, 'a', sizeof(msg) - n);
	CHECK(feed_split(&u, msg, sizeof(msg), NULL, 0, left, &nleft) == -E2BIG);
	/* also when it arrives in small pieces */
	REQUIRE(http_upgrade__init(&u, key) == 0);
	{
		ssize_t r = 0;
		for (size_t off = 0; off < sizeof(msg) && r >= 0; off += 100)
			r = http_upgrade__feed(&u, msg + off, 100);
		CHECK(r == -E2BIG);
		CHECK(strstr(http_upgrade__error(&u), "too large") != NULL);
	}
}

static void too_many_headers(void)
{
	static char msg[4096];
	struct http_upgrade u;
	char left[8];
	size_t nleft, n;

	n = (size_t)snprintf(msg, sizeof(msg), "HTTP/1.1 101 Switching Protocols\r\n");
	for (int i = 0; i < HTTP_RESPONSE_MAX_HEADERS + 1; i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "X-%d: v\r\n", i);
	n += (size_t)snprintf(msg + n, sizeof(msg) - n, "\r\n");
	CHECK(feed_split(&u, msg, n, NULL, 0, left, &nleft) == -ENOBUFS);
}

static void not_http(void)
{
	static const char msg[] = "SSH-2.0-OpenSSH_9.2\r\n";
	struct http_upgrade u;
	char left[8];
	size_t nleft;

	CHECK(feed_split(&u, msg, sizeof(msg) - 1, NULL, 0, left, &nleft) == -EBADMSG);
	CHECK(strstr(http_upgrade__error(&u), "bad HTTP answer") != NULL);
}

static void proxy_connect_answer(void)
{
	static const char msg[] = "HTTP/1.0 200 Connection established\r\n"
				  "Proxy-agent: tinyproxy/1.11.1\r\n\r\n";
	struct http_response r;
	size_t n;
	ssize_t used;

	/* (CHECK evaluates its condition twice on failure: no side effects) */
	http_response__init(&r);
	used = http_response__feed(&r, msg, sizeof(msg) - 1);
	CHECK(used == (ssize_t)(sizeof(msg) - 1));
	CHECK(r.done && r.status == 200);
	CHECK(memcmp(http_response__reason(&r, &n), "Connection established", 22) == 0);
	CHECK(n == 22);
	used = http_response__feed(&r, "x", 1);
	CHECK(used == 0);
}

/* A CR that is not followed by LF does not end the head: llhttp's lenient
 * build would end it there and take the next byte from the stream after. */
static void head_ends_with_crlf(void)
{
	static const char bad[] = "HTTP/1.1 200 OK\r\n\r/tunnel bytes";
	static const char good[] = "HTTP/1.1 200 OK\r\n\r\ntunnel";
	struct http_response r;
	ssize_t used;

	for (size_t cut = 1; cut < sizeof(bad) - 1; cut++) {
		http_response__init(&r);
		used = http_response__feed(&r, bad, cut);
		if (used == (ssize_t)cut)
			used = http_response__feed(&r, bad + cut, sizeof(bad) - 1 - cut);
		CHECKF(used == -EBADMSG, "cut %zu: %zd", cut, used);
		CHECK(strstr(http_response__error(&r), "CRLF") != NULL);
	}
	http_response__init(&r);
	used = http_response__feed(&r, good, sizeof(good) - 1);
	CHECK(used == (ssize_t)(sizeof(good) - 1 - 6) && r.done && r.status == 200);
}

int main(void)
{
	RUN(request_bytes);
	RUN(request_extra_headers);
	RUN(fresh_keys);
	RUN(good_answer_all_splits);
	RUN(content_length_on_101_is_not_a_body);
	RUN(header_case_and_lists);
	RUN(accept_mismatch);
	RUN(missing_upgrade_headers);
	RUN(not_101);
	RUN(head_too_large);
	RUN(too_many_headers);
	RUN(not_http);
	RUN(proxy_connect_answer);
	RUN(head_ends_with_crlf);
	return check_exit();
}

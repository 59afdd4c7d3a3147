/* Fuzz target: tls_record with real keys. The input describes a server's
 * stream (fuzz_tls.h: records sealed with known keys, plaintext handshake
 * records, key changes, raw bytes, bit flips) and how it is cut into pieces;
 * the reader follows it from the first byte or from a record boundary.
 * Checked: the plaintext delivered is always a prefix of the application
 * data the builder sealed (never a byte that was not sealed, never twice);
 * a stream of well-formed application records is delivered whole at every
 * split; errors are sticky; feed never claims more bytes than it got. */
#include "fuzz_tls.h"

#include "core/fx_err.h"
#include "fast/tls_record.h"

struct sink {
	struct ft_buf got;
	int pause;
	unsigned calls;
};

static int on_data(void *arg, const uint8_t *p, size_t n)
{
	struct sink *s = arg;

	FUZZ_ASSERT(n > 0 && n <= TLS_RECORD_MAX_PLAINTEXT);
	ft_put(&s->got, p, n);
	s->calls++;
	return s->pause && (s->calls & 1);
}

static void on_event(void *arg, enum tls_record_event ev, unsigned detail)
{
	(void)arg;
	FUZZ_ASSERT(ev <= TLS_RECORD_EV_HANDSHAKE_DONE);
	if (ev == TLS_RECORD_EV_KEY_UPDATE)
		FUZZ_ASSERT(detail <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t cfg = fz_u8(&f), mode = fz_u8(&f), seed = fz_u8(&f);
	int stream = cfg & 0x08;
	uint64_t seq = cfg & 0x20 ? UINT64_MAX - 1 : cfg >> 6;
	struct sink s = { .pause = cfg & 0x10 };
	struct tls_record *r;
	struct fz_split sp;
	struct ft t;
	size_t off = 0;
	ssize_t rc = 0;

	ft_init(&t, cfg & 7, stream, seq);
	ft_build(&t, &f);
	FUZZ_ASSERT(tls_record__new(&r, on_data, on_event, &s) == 0);
	if (stream)
		FUZZ_ASSERT(tls_record__start_stream(r, t.v13 ? &t.hs : NULL, &t.app) == 0);
	else
		FUZZ_ASSERT(tls_record__start(r, &t.app, seq) == 0);

	fz_split_init(&sp, mode, seed);
	while (off < t.out.len && !tls_record__closed(r)) {
		size_t k = fz_split_next(&sp, t.out.len - off), done = 0;
		uint8_t *c = fz_dup(t.out.p + off, k);

		/* a paused reader takes the rest of the piece on the next call */
		while (done < k) {
			rc = tls_record__feed(r, c + done, k - done);
			if (rc < 0 || tls_record__closed(r))
				break;
			FUZZ_ASSERT((size_t)rc <= k - done);
			FUZZ_ASSERT(rc > 0 || k == done);
			done += (size_t)rc;
		}
		free(c);
		if (rc < 0) {
			FUZZ_ASSERT(tls_record__error(r) == rc);
			FUZZ_ASSERT(tls_record__feed(r, t.out.p, 1) == rc); /* sticky */
			break;
		}
		off += k;
	}
	FUZZ_ASSERT(fx_strerror((int)(rc < 0 ? rc : 0)) != NULL);
	FUZZ_ASSERT(s.got.len <= t.app_data.len);
	FUZZ_ASSERT(s.got.len == 0 || memcmp(s.got.p, t.app_data.p, s.got.len) == 0);
	FUZZ_ASSERT(tls_record__stats(r)->app_bytes == s.got.len);
	if (t.clean) {
		FUZZ_ASSERT(rc >= 0 && tls_record__error(r) == 0);
		FUZZ_ASSERT(s.got.len == t.app_data.len && tls_record__buffered(r) == 0);
	}
	int eof = tls_record__eof(r);
	FUZZ_ASSERT(tls_record__closed(r) ? eof == 0 : eof < 0);
	tls_record__free(r);
	ft_free(&t);
	free(s.got.p);
	return 0;
}

/* fuzz_tls.h — builds a server's TLS byte stream from a fuzzer's input for
 * fuzz_tls_record and fuzz_fp_stream: real records sealed with known keys
 * (tls_testlib.h's sealer), so that mutations reach past authentication
 * into record, handshake-message and key-schedule handling.
 *
 * Input after the caller's own header: operations until the input ends,
 *   op % 6 == 0  plaintext record: type, minor version, length, content
 *   op % 6 == 1  sealed application_data: length (filled up from a pattern
 *                beyond the input, so 16 KiB records cost a few bytes; with
 *                0x20 the input's bytes go at the end), pad
 *   op % 6 == 2  sealed record of any inner type, length, content, pad
 *   op % 6 == 3  the builder's keys move on (handshake -> application epoch,
 *                or a TLS 1.3 KeyUpdate) without telling the reader
 *   op % 6 == 4  raw bytes
 *   op % 6 == 5  flip bits in the last sealed record
 * The builder follows the protocol by itself where the reader must: a sealed
 * Finished ends the TLS 1.3 handshake epoch, a sealed KeyUpdate moves to the
 * next secret, a plaintext ChangeCipherSpec starts TLS 1.2 encryption. The
 * application bytes sealed while in the application epoch are kept: the
 * reader may deliver only a prefix of them. Header-only; fuzz targets only. */
#ifndef FEEDRX_TESTS_FUZZ_TLS_H
#define FEEDRX_TESTS_FUZZ_TLS_H

#include "fuzz.h"
#include "tls_testlib.h"

#include "fast/tls_keys.h"

static const enum tls_suite ft_suites[] = {
	TLS_SUITE_13_AES_128_GCM_SHA256, TLS_SUITE_13_AES_256_GCM_SHA384,
	TLS_SUITE_13_CHACHA20_POLY1305_SHA256, TLS_SUITE_12_AES_128_GCM_SHA256,
	TLS_SUITE_12_AES_256_GCM_SHA384, TLS_SUITE_12_CHACHA20_POLY1305,
};
#define FT_NSUITES (sizeof(ft_suites) / sizeof(ft_suites[0]))

enum ft_phase { FT_PLAIN, FT_HS, FT_APP };

struct ft_buf {
	uint8_t *p;
	size_t len, cap;
};

struct ft {
	enum tls_suite suite;
	const struct tls_suite_info *si;
	int v13;
	struct tls_epoch hs, app; /* what the reader is given */
	struct tls_epoch cur;     /* what the builder seals with */
	uint64_t seq;
	int exhausted;            /* seq wrapped in this epoch */
	enum ft_phase phase;
	struct ft_buf out;        /* the stream */
	struct ft_buf app_data;   /* application bytes sealed in the app epoch */
	size_t last, last_len;    /* the last sealed record in out */
	int clean;                /* only well-formed app records so far */
	EVP_CIPHER_CTX *ctx;
	uint8_t *rec;             /* one record's sealing space */
};

static void ft_put(struct ft_buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* Fixed secrets per suite: derived once, as the key log would give them. */
static void ft_epochs(enum tls_suite s, struct tls_epoch *hs, struct tls_epoch *app)
{
	const struct tls_suite_info *si = tls_keys_suite_info(s);
	uint8_t sec[TLS_KEYS_MAX_SECRET];

	memset(hs, 0, sizeof(*hs));
	memset(app, 0, sizeof(*app));
	if (si->version == TLS_VERSION_13) {
		memset(sec, 0x5a, sizeof(sec));
		FUZZ_ASSERT(tls_keys_epoch_13(s, sec, si->hash_len, hs) == 0);
		memset(sec, 0xa5, sizeof(sec));
		FUZZ_ASSERT(tls_keys_epoch_13(s, sec, si->hash_len, app) == 0);
		return;
	}
	app->suite = s;
	app->keys.suite = s;
	app->keys.key_len = si->key_len;
	app->keys.iv_len = si->fixed_iv_len;
	for (int i = 0; i < TLS_KEYS_MAX_KEY; i++)
		app->keys.key[i] = (uint8_t)(0x30 + i);
	for (int i = 0; i < TLS_KEYS_IV_LEN; i++)
		app->keys.iv[i] = (uint8_t)(0x70 + i);
}

/* Set up for suite index i; stream: the reader starts at the first byte of
 * the server's stream (else at a record boundary in the app epoch, seq). */
static void ft_init(struct ft *t, unsigned i, int stream, uint64_t seq)
{
	static struct tls_epoch hs[FT_NSUITES], app[FT_NSUITES];
	static int have[FT_NSUITES];

	memset(t, 0, sizeof(*t));
	i %= FT_NSUITES;
	if (!have[i]) {
		ft_epochs(ft_suites[i], &hs[i], &app[i]);
		have[i] = 1;
	}
	t->suite = ft_suites[i];
	t->si = tls_keys_suite_info(t->suite);
	t->v13 = t->si->version == TLS_VERSION_13;
	t->hs = hs[i];
	t->app = app[i];
	t->cur = stream && t->v13 ? t->hs : t->app;
	t->phase = stream ? FT_PLAIN : FT_APP;
	t->seq = stream ? 0 : seq;
	t->clean = !stream;
	t->ctx = EVP_CIPHER_CTX_new();
	t->rec = malloc(5 + 70000);
	FUZZ_ASSERT(t->ctx && t->rec);
}

static void ft_free(struct ft *t)
{
	EVP_CIPHER_CTX_free(t->ctx);
	free(t->rec);
	free(t->out.p);
	free(t->app_data.p);
}

static void ft_next_secret(struct ft *t)
{
	struct tls_epoch ep = { .suite = t->suite, .secret_len = t->cur.secret_len };

	FUZZ_ASSERT(tls_keys_next_secret_13(t->suite, t->cur.secret, t->cur.secret_len,
					    ep.secret) == 0);
	FUZZ_ASSERT(tls_keys_derive_13(t->suite, ep.secret, ep.secret_len, &ep.keys) == 0);
	t->cur = ep;
	t->seq = 0;
	t->exhausted = 0;
}

static void ft_to_app(struct ft *t)
{
	t->cur = t->app;
	t->seq = 0;
	t->exhausted = 0;
	t->phase = FT_APP;
}

/* Content of n bytes: what the input has, then a pattern; right: the
 * pattern first, the input's bytes at the end. */
static void ft_content(struct fz *f, uint8_t *dst, size_t n, int right)
{
	size_t got, at;
	const uint8_t *p = fz_bytes(f, n, &got);

	at = right ? n - got : 0;
	for (size_t i = 0; i < n; i++)
		dst[i] = (uint8_t)('a' + i % 26);
	memcpy(dst + at, p, got);
}

static void ft_seal(struct ft *t, uint8_t type, const uint8_t *c, size_t n, size_t pad)
{
	size_t len;

	if (t->phase == FT_PLAIN && t->v13)
		t->phase = FT_HS; /* the first protected record */
	len = tl_seal(t->ctx, &t->cur.keys, t->seq, type, c, n, pad, t->rec);
	FUZZ_ASSERT(len > 0);
	t->last = t->out.len;
	t->last_len = len;
	ft_put(&t->out, t->rec, len);
	if (t->exhausted)
		t->clean = 0; /* the reader refuses a 2^64th record per epoch */
	if (++t->seq == 0)
		t->exhausted = 1;
	if (type == 23 && t->phase == FT_APP)
		ft_put(&t->app_data, c, n);
	/* follow the protocol as the reader must */
	if (t->v13 && type == 22 && n >= 4 && c[0] == 20 && t->phase == FT_HS)
		ft_to_app(t);
	else if (t->v13 && type == 22 && n == 5 && c[0] == 24 && t->phase == FT_APP)
		ft_next_secret(t);
}

/* Build the stream from the rest of the input. */
static void ft_build(struct ft *t, struct fz *f)
{
	static uint8_t content[16384 + 512];

	for (int ops = 0; f->n && ops < 64; ops++) {
		uint8_t op = fz_u8(f);
		uint8_t hdr[5];
		size_t n, pad, got;

		switch (op % 6) {
		case 0: /* plaintext record */
			hdr[0] = op & 0x80 ? fz_u8(f) : (uint8_t)(20 + (op >> 3) % 4);
			hdr[1] = 3;
			hdr[2] = op & 0x40 ? 1 : 3;
			n = fz_u16(f) % 1024;
			hdr[3] = (uint8_t)(n >> 8);
			hdr[4] = (uint8_t)n;
			ft_content(f, content, n, 0);
			ft_put(&t->out, hdr, 5);
			ft_put(&t->out, content, n);
			if (hdr[0] == 20 && !t->v13 && t->phase == FT_PLAIN)
				ft_to_app(t); /* TLS 1.2: encryption starts after the CCS */
			t->clean = 0;
			break;
		case 1: /* application data */
			n = op & 0x40 ? fz_u16(f) % (sizeof(content) + 1) : fz_u8(f);
			pad = t->v13 && (op & 0x80) ? fz_u8(f) : 0;
			ft_content(f, content, n, op & 0x20);
			if (t->phase != FT_APP || n + (t->v13 ? 1 + pad : 0) > (size_t)(16384 + t->v13))
				t->clean = 0;
			ft_seal(t, 23, content, n, pad);
			break;
		case 2: /* any inner type */
			hdr[0] = fz_u8(f);
			n = op & 0x40 ? fz_u16(f) % (sizeof(content) + 1) : fz_u8(f) % 64;
			pad = t->v13 && (op & 0x80) ? fz_u8(f) : 0;
			ft_content(f, content, n, 0);
			ft_seal(t, hdr[0], content, n, pad);
			t->clean = 0;
			break;
		case 3: /* keys move on, the reader not told */
			if (t->v13 && (op & 0x40))
				ft_next_secret(t);
			else
				ft_to_app(t);
			t->clean = 0;
			break;
		case 4: { /* raw bytes */
			const uint8_t *p = fz_bytes(f, fz_u8(f), &got);

			ft_put(&t->out, p, got);
			t->clean = 0;
			break;
		}
		case 5: /* flip bits in the last sealed record */
			if (t->last_len) {
				size_t at = t->last + fz_u16(f) % t->last_len;

				t->out.p[at] ^= (uint8_t)(fz_u8(f) | 1);
				t->clean = 0;
			}
			break;
		}
	}
}

#endif

/* bench_tls_record — nanoseconds per 150-byte record through tls_record for
 * each AEAD suite: records fed whole (decrypted from the caller's buffer)
 * and split in two (through the reader's record buffer), next to the bare
 * EVP decrypt of the same records. "zero-copy" and "split" use aes_gcm.c
 * for AES-GCM where the CPU has AES-NI; "OpenSSL" is the zero-copy run
 * with it turned off, and "ratio" zero-copy / OpenSSL.
 *
 *   build/tests/bench_tls_record [records] [rounds]
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fast/tls_keys.h"
#include "fast/tls_record.h"
#include "tls_testlib.h"

#define PAYLOAD 150

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static size_t delivered;

static int on_data(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	delivered += n + p[0] * 0;
	return 0;
}

/* The floor: AEAD open of each record with the same EVP calls, no parsing. */
static double bare_evp(const struct tls_epoch *ep, const uint8_t *buf, size_t nrec,
		       size_t rec_len, int rounds)
{
	const struct tls_suite_info *si = tls_keys_suite_info(ep->suite);
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, si->cipher, NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t out[512], nonce[12], aad[13];
	size_t ex = si->explicit_nonce_len, ct_len = rec_len - 5 - ex - 16;
	uint64_t t0, bad = 0;
	int outl, fl;

	EVP_DecryptInit_ex2(ctx, c, ep->keys.key, NULL, NULL);
	t0 = now_ns();
	for (int r = 0; r < rounds; r++) {
		for (size_t i = 0; i < nrec; i++) {
			const uint8_t *h = buf + i * rec_len, *b = h + 5;

			memcpy(nonce, ep->keys.iv, 12);
			if (ex)
				memcpy(nonce + 4, b, 8);
			else
				for (int k = 0; k < 8; k++)
					nonce[11 - k] ^= (uint8_t)(i >> (8 * k));
			if (si->version == TLS_VERSION_13) {
				memcpy(aad, h, 5);
			} else {
				for (int k = 0; k < 8; k++)
					aad[k] = (uint8_t)((uint64_t)i >> (56 - 8 * k));
				aad[8] = h[0];
				aad[9] = 3;
				aad[10] = 3;
				aad[11] = ct_len >> 8;
				aad[12] = ct_len & 0xff;
			}
			EVP_DecryptInit_ex2(ctx, NULL, NULL, nonce, NULL);
			EVP_DecryptUpdate(ctx, NULL, &outl,
					  aad, si->version == TLS_VERSION_13 ? 5 : 13);
			EVP_DecryptUpdate(ctx, out, &outl, b + ex, ct_len);
			EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16,
					    (void *)(b + ex + ct_len));
			if (EVP_DecryptFinal_ex(ctx, out + outl, &fl) <= 0)
				bad++;
		}
	}
	double ns = (double)(now_ns() - t0) / ((double)rounds * nrec);

	if (bad)
		fprintf(stderr, "bare EVP: %llu tag failures\n", (unsigned long long)bad);
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return ns;
}

static double through_reader(const struct tls_epoch *ep, const uint8_t *buf, size_t len,
			     size_t nrec, size_t rec_len, int rounds, int split, bool own_aes)
{
	struct tls_record *r;
	tls_record__new(&r, on_data, NULL, NULL);
	tls_record__set_own_aes(r, own_aes);
	uint64_t t0, total = 0;

	for (int i = 0; i < rounds; i++) {
		if (tls_record__start(r, ep, 0))
			abort();
		t0 = now_ns();
		if (!split) {
			if (tls_record__feed(r, buf, len) != (ssize_t)len)
				abort();
		} else {
			for (size_t k = 0; k < nrec; k++) {
				const uint8_t *p = buf + k * rec_len;

				if (tls_record__feed(r, p, 60) != 60 ||
				    tls_record__feed(r, p + 60, rec_len - 60) !=
					    (ssize_t)(rec_len - 60))
					abort();
			}
		}
		total += now_ns() - t0;
	}
	tls_record__free(r);
	return (double)total / ((double)rounds * nrec);
}

int main(int argc, char **argv)
{
	size_t nrec = argc > 1 ? strtoul(argv[1], NULL, 0) : 4096;
	int rounds = argc > 2 ? atoi(argv[2]) : 200;
	static const enum tls_suite suites[] = {
		TLS_SUITE_13_AES_128_GCM_SHA256, TLS_SUITE_13_AES_256_GCM_SHA384,
		TLS_SUITE_13_CHACHA20_POLY1305_SHA256, TLS_SUITE_12_AES_128_GCM_SHA256,
		TLS_SUITE_12_AES_256_GCM_SHA384, TLS_SUITE_12_CHACHA20_POLY1305,
	};
	EVP_CIPHER_CTX *sctx = EVP_CIPHER_CTX_new();
	uint8_t payload[PAYLOAD];

	tl_fill(payload, sizeof(payload));
	printf("# %zu records of %d plaintext bytes, %d rounds; ns per record\n", nrec, PAYLOAD,
	       rounds);
	printf("%-32s %10s %10s %10s %10s %8s\n", "suite", "zero-copy", "split", "OpenSSL",
	       "bare-EVP", "ratio");
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		const struct tls_suite_info *si = tls_keys_suite_info(suites[s]);
		struct tls_epoch ep = { 0 };
		uint8_t secret[48], *buf;
		size_t rec_len = 0, len = 0;

		tl_fill(secret, sizeof(secret));
		if (si->version == TLS_VERSION_13) {
			if (tls_keys_epoch_13(suites[s], secret, si->hash_len, &ep))
				return 1;
		} else {
			uint8_t cr[32], sr[32];

			tl_fill(cr, 32);
			tl_fill(sr, 32);
			ep.suite = suites[s];
			if (tls_keys_derive_12(suites[s], secret, cr, sr, &ep.keys, NULL))
				return 1;
		}
		buf = malloc(nrec * (PAYLOAD + 64));
		if (!buf)
			return 1;
		for (size_t i = 0; i < nrec; i++) {
			size_t n = tl_seal(sctx, &ep.keys, i, 23, payload, PAYLOAD, 0, buf + len);

			if (!n || (rec_len && n != rec_len))
				return 1;
			rec_len = n;
			len += n;
		}
		delivered = 0;
		double zc = through_reader(&ep, buf, len, nrec, rec_len, rounds, 0, true);
		double sp = through_reader(&ep, buf, len, nrec, rec_len, rounds, 1, true);
		double ossl = through_reader(&ep, buf, len, nrec, rec_len, rounds, 0, false);
		double bare = bare_evp(&ep, buf, nrec, rec_len, rounds);

		if (delivered != 3ull * rounds * nrec * PAYLOAD) {
			fprintf(stderr, "%s: delivered %zu bytes\n", si->name, delivered);
			return 1;
		}
		printf("%-32s %10.1f %10.1f %10.1f %10.1f %8.2f\n", si->name, zc, sp, ossl, bare,
		       zc / ossl);
		tls_keys_epoch_wipe(&ep);
		free(buf);
	}
	EVP_CIPHER_CTX_free(sctx);
	return 0;
}

/* Tests for aes_gcm against OpenSSL: both key sizes, every plaintext
 * length 0..600 with TLS-sized AADs (5 and 13 bytes) and odd ones, random
 * keys and IVs; opening what OpenSSL sealed and OpenSSL opening what we
 * sealed; a flipped bit in the tag, the ciphertext or the AAD refused with
 * the output wiped; the NIST test vector. Skipped without AES-NI. */
#include "check.h"
#include "fast/aes_gcm.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <errno.h>

#include "core/util.h"

static int ossl_seal(size_t klen, const uint8_t *key, const uint8_t *iv, const uint8_t *aad,
		     size_t alen, const uint8_t *pt, size_t n, uint8_t *ct, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l, ok;

	ok = EVP_EncryptInit_ex(c, klen == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL, key,
				iv) &&
	     EVP_EncryptUpdate(c, NULL, &l, aad, (int)alen) &&
	     (n == 0 || EVP_EncryptUpdate(c, ct, &l, pt, (int)n)) &&
	     EVP_EncryptFinal_ex(c, ct + (n ? l : 0), &l) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static int ossl_open(size_t klen, const uint8_t *key, const uint8_t *iv, const uint8_t *aad,
		     size_t alen, const uint8_t *ct, size_t n, const uint8_t *tag, uint8_t *pt)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l, ok;

	ok = EVP_DecryptInit_ex(c, klen == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL, key,
				iv) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) &&
	     EVP_DecryptUpdate(c, NULL, &l, aad, (int)alen) &&
	     (n == 0 || EVP_DecryptUpdate(c, pt, &l, ct, (int)n)) &&
	     EVP_DecryptFinal_ex(c, pt + (n ? l : 0), &l) > 0;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static void against_openssl(void)
{
	static uint8_t pt[600], ct[600], out[600], ct2[600];
	uint8_t key[32], iv[12], aad[40], tag[16], tag2[16];
	static const size_t alens[] = { 0, 5, 13, 16, 17, 33 };
	struct aes_gcm_key k;
	unsigned cases = 0;

	if (!aes_gcm_available()) {
		SKIP("no AES-NI/PCLMULQDQ on this CPU");
		return;
	}
	for (size_t klen = 16; klen <= 32; klen += 16) {
		for (size_t n = 0; n <= sizeof(pt); n++) {
			size_t alen = alens[n % ARRAY_SIZE(alens)];

			REQUIRE(RAND_bytes(key, sizeof(key)) == 1 && RAND_bytes(iv, 12) == 1 &&
				RAND_bytes(aad, sizeof(aad)) == 1 &&
				(n == 0 || RAND_bytes(pt, (int)n) == 1));
			REQUIRE(aes_gcm_setkey(&k, key, klen) == 0);
			REQUIRE(ossl_seal(klen, key, iv, aad, alen, pt, n, ct, tag) == 0);
			/* we open what OpenSSL sealed */
			CHECKF(aes_gcm_open(&k, iv, aad, alen, ct, n, tag, out) == 0 &&
				       memcmp(out, pt, n) == 0,
			       "open: key %zu, %zu bytes, aad %zu", klen, n, alen);
			/* OpenSSL opens what we sealed, bit for bit the same */
			CHECK(aes_gcm_seal(&k, iv, aad, alen, pt, n, ct2, tag2) == 0);
			CHECKF(memcmp(ct2, ct, n) == 0 && memcmp(tag2, tag, 16) == 0,
			       "seal: key %zu, %zu bytes", klen, n);
			CHECK(ossl_open(klen, key, iv, aad, alen, ct2, n, tag2, out) == 0);
			/* tampering: tag, ciphertext, aad */
			tag[n % 16] ^= 1u << (n % 8);
			memset(out, 0x5a, sizeof(out));
			CHECKF(aes_gcm_open(&k, iv, aad, alen, ct, n, tag, out) == -EBADMSG,
			       "bad tag accepted: %zu bytes", n);
			{
				size_t nz = 0;
				for (size_t i = 0; i < n; i++)
					nz += out[i] != 0;
				CHECKF(nz == 0, "output not wiped after a bad tag: %zu bytes", n);
			}
			tag[n % 16] ^= 1u << (n % 8);
			if (n) {
				ct[n / 2] ^= 0x80;
				CHECK(aes_gcm_open(&k, iv, aad, alen, ct, n, tag, out) == -EBADMSG);
				ct[n / 2] ^= 0x80;
			}
			if (alen) {
				aad[alen - 1] ^= 2;
				CHECK(aes_gcm_open(&k, iv, aad, alen, ct, n, tag, out) == -EBADMSG);
				aad[alen - 1] ^= 2;
			}
			/* in place */
			memcpy(out, ct, n);
			CHECK(aes_gcm_open(&k, iv, aad, alen, out, n, tag, out) == 0 &&
			      memcmp(out, pt, n) == 0);
			cases++;
		}
	}
	aes_gcm_wipe(&k);
	CHECK(k.rounds == 0);
	CHECK(cases == 2 * 601);
}

/* NIST GCM spec test case 4 (AES-128, 60-byte plaintext, 20-byte AAD). */
static void nist_vector(void)
{
	static const uint8_t key[16] = { 0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
					 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08 };
	static const uint8_t iv[12] = { 0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce,
					0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88 };
	static const uint8_t aad[20] = { 0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe,
					 0xef, 0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad,
					 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2 };
	static const uint8_t tag_want[16] = { 0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb,
					      0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47 };
	static const uint8_t pt[60] = {
		0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5,
		0xaf, 0xf5, 0x26, 0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda,
		0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95,
		0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
		0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
	};
	uint8_t ct[60], tag[16];
	struct aes_gcm_key k;

	if (!aes_gcm_available()) {
		SKIP("no AES-NI/PCLMULQDQ on this CPU");
		return;
	}
	REQUIRE(aes_gcm_setkey(&k, key, 16) == 0);
	CHECK(aes_gcm_seal(&k, iv, aad, sizeof(aad), pt, sizeof(pt), ct, tag) == 0);
	CHECK(memcmp(tag, tag_want, 16) == 0);
	CHECK(ct[0] == 0x42 && ct[1] == 0x83 && ct[59] == 0x91);
	CHECK(aes_gcm_setkey(&k, key, 24) == -EINVAL);
}

int main(void)
{
	RUN(against_openssl);
	RUN(nist_vector);
	return check_exit();
}

/* aes_gcm — AES-128/256-GCM decryption of one TLS record, with the CPU's
 * AES and carry-less multiply instructions and no per-record set-up.
 *
 * Why: through OpenSSL's EVP interface a ~180-byte record costs about
 * 300 ns, of which the AES and GHASH work is under half; the rest is
 * setting the IV and tag through the provider's parameter interface and
 * the update/final calls. Here the key schedule and the powers of H are
 * computed once per key (aes_gcm_setkey), and a record is one call.
 *
 * Only on x86-64 CPUs with AES-NI and PCLMULQDQ (aes_gcm_available());
 * tls_record uses OpenSSL everywhere else, and for ChaCha20-Poly1305.
 * Checked against OpenSSL in tests/test_aes_gcm.c (every length 0..600,
 * both key sizes, tampered tags and ciphertexts) and the tls_record tests. */
#ifndef FEEDRX_AES_GCM_H
#define FEEDRX_AES_GCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AES_GCM_TAG_LEN 16
#define AES_GCM_IV_LEN 12

/* The expanded key and H, H^2, H^3, H^4: secret, wipe with aes_gcm_wipe. */
struct aes_gcm_key {
	_Alignas(16) uint8_t rk[15][16]; /* round keys */
	_Alignas(16) uint8_t h[4][16];   /* H^1..H^4, byte-reflected for GHASH */
	int rounds;                      /* 10 or 14 */
};

/* The CPU has the instructions this needs. */
bool aes_gcm_available(void);

/* key_len 16 or 32. 0, or -EINVAL (bad length) / -ENOTSUP (no CPU support). */
int aes_gcm_setkey(struct aes_gcm_key *k, const uint8_t *key, size_t key_len);

/* Authenticate and decrypt: 0 and out[0, ct_len) the plaintext, or -EBADMSG
 * when the tag does not match (out is then wiped). out may equal ct. */
int aes_gcm_open(const struct aes_gcm_key *k, const uint8_t iv[AES_GCM_IV_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
		 const uint8_t tag[AES_GCM_TAG_LEN], uint8_t *out);

/* The encrypting direction, for tests. */
int aes_gcm_seal(const struct aes_gcm_key *k, const uint8_t iv[AES_GCM_IV_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
		 uint8_t *out, uint8_t tag[AES_GCM_TAG_LEN]);

void aes_gcm_wipe(struct aes_gcm_key *k);

#endif

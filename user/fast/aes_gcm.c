/* aes_gcm — AES-GCM (NIST SP 800-38D) with AES-NI and PCLMULQDQ.
 *
 * GHASH works in the byte-reflected representation described in Intel's
 * "Carry-Less Multiplication and Its Usage for Computing the GCM Mode"
 * (Gueron, Kounavis): blocks are byte-swapped into registers, multiplied
 * with four carry-less multiplies, the 256-bit product shifted left by one
 * bit (the bit reflection) and reduced modulo x^128 + x^7 + x^2 + x + 1 in
 * two shift-and-xor phases. Four blocks at a time are folded with H^4..H^1
 * so their multiplies are independent. The tag compare is constant-time,
 * and on a mismatch the output is wiped before the error returns. */
#include "aes_gcm.h"

#include <errno.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define TARGET __attribute__((target("aes,pclmul,ssse3,sse4.1")))

bool aes_gcm_available(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return false;
	return (c & bit_AES) && (c & bit_PCLMUL) && (c & bit_SSSE3) && (c & bit_SSE4_1);
}

TARGET static inline __m128i bswap128(__m128i x)
{
	return _mm_shuffle_epi8(x, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

/* The 256-bit carry-less product a * b, accumulated into hi:lo (products
 * are summed before one reduction). */
TARGET static inline void clmul_acc(__m128i a, __m128i b, __m128i *lo, __m128i *hi, __m128i *mid)
{
	*lo = _mm_xor_si128(*lo, _mm_clmulepi64_si128(a, b, 0x00));
	*hi = _mm_xor_si128(*hi, _mm_clmulepi64_si128(a, b, 0x11));
	*mid = _mm_xor_si128(*mid, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10),
						 _mm_clmulepi64_si128(a, b, 0x01)));
}

/* hi:lo (+ mid at bit 64) reduced to 128 bits, in the reflected domain. */
TARGET static inline __m128i gf_reduce(__m128i lo, __m128i hi, __m128i mid)
{
	lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
	hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));

	/* shift hi:lo left by one bit */
	__m128i lo_c = _mm_srli_epi32(lo, 31), hi_c = _mm_srli_epi32(hi, 31);
	lo = _mm_slli_epi32(lo, 1);
	hi = _mm_slli_epi32(hi, 1);
	hi = _mm_or_si128(hi, _mm_srli_si128(lo_c, 12)); /* lo's top bit into hi */
	hi = _mm_or_si128(hi, _mm_slli_si128(hi_c, 4));
	lo = _mm_or_si128(lo, _mm_slli_si128(lo_c, 4));

	/* reduce: phase one folds lo's words by x^63, x^62, x^57 */
	__m128i t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)),
				  _mm_slli_epi32(lo, 25));
	__m128i carry = _mm_srli_si128(t, 4);
	lo = _mm_xor_si128(lo, _mm_slli_si128(t, 12));
	/* phase two: by x, x^2, x^7 */
	__m128i u = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)),
				  _mm_srli_epi32(lo, 7));
	u = _mm_xor_si128(u, carry);
	lo = _mm_xor_si128(lo, u);
	return _mm_xor_si128(hi, lo);
}

/* a * b in GF(2^128), both byte-reflected. */
TARGET static inline __m128i gf_mul(__m128i a, __m128i b)
{
	__m128i lo = _mm_setzero_si128(), hi = lo, mid = lo;

	clmul_acc(a, b, &lo, &hi, &mid);
	return gf_reduce(lo, hi, mid);
}

#define EXPAND128(i, rcon)                                                              \
	do {                                                                            \
		__m128i g_ = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(k, rcon), 0xff); \
		k = _mm_xor_si128(k, _mm_slli_si128(k, 4));                             \
		k = _mm_xor_si128(k, _mm_slli_si128(k, 4));                             \
		k = _mm_xor_si128(k, _mm_slli_si128(k, 4));                             \
		k = _mm_xor_si128(k, g_);                                               \
		_mm_store_si128((__m128i *)rk[i], k);                                   \
	} while (0)

/* One AES-256 step: the round key two back, folded, xor a word of the
 * previous one (sel 0xff after the S-box and rotation, 0xaa S-box only). */
#define EXPAND256(i, rcon, sel)                                                         \
	do {                                                                            \
		__m128i p_ = _mm_load_si128((const __m128i *)rk[(i) - 2]);              \
		__m128i g_ = _mm_shuffle_epi32(                                         \
			_mm_aeskeygenassist_si128(_mm_load_si128((const __m128i *)rk[(i) - 1]), \
						  rcon),                                \
			sel);                                                           \
		p_ = _mm_xor_si128(p_, _mm_slli_si128(p_, 4));                          \
		p_ = _mm_xor_si128(p_, _mm_slli_si128(p_, 4));                          \
		p_ = _mm_xor_si128(p_, _mm_slli_si128(p_, 4));                          \
		_mm_store_si128((__m128i *)rk[i], _mm_xor_si128(p_, g_));               \
	} while (0)

TARGET static inline __m128i aes_block(const struct aes_gcm_key *key, __m128i x)
{
	const __m128i *rk = (const __m128i *)key->rk;

	x = _mm_xor_si128(x, _mm_load_si128(&rk[0]));
	for (int r = 1; r < key->rounds; r++)
		x = _mm_aesenc_si128(x, _mm_load_si128(&rk[r]));
	return _mm_aesenclast_si128(x, _mm_load_si128(&rk[key->rounds]));
}

TARGET int aes_gcm_setkey(struct aes_gcm_key *key, const uint8_t *kb, size_t key_len)
{
	uint8_t(*rk)[16] = key->rk;
	__m128i k;

	if (key_len != 16 && key_len != 32)
		return -EINVAL;
	if (!aes_gcm_available())
		return -ENOTSUP;
	k = _mm_loadu_si128((const __m128i *)kb);
	_mm_store_si128((__m128i *)rk[0], k);
	if (key_len == 16) {
		key->rounds = 10;
		EXPAND128(1, 0x01);
		EXPAND128(2, 0x02);
		EXPAND128(3, 0x04);
		EXPAND128(4, 0x08);
		EXPAND128(5, 0x10);
		EXPAND128(6, 0x20);
		EXPAND128(7, 0x40);
		EXPAND128(8, 0x80);
		EXPAND128(9, 0x1b);
		EXPAND128(10, 0x36);
	} else {
		key->rounds = 14;
		_mm_store_si128((__m128i *)rk[1], _mm_loadu_si128((const __m128i *)(kb + 16)));
		EXPAND256(2, 0x01, 0xff);
		EXPAND256(3, 0x00, 0xaa);
		EXPAND256(4, 0x02, 0xff);
		EXPAND256(5, 0x00, 0xaa);
		EXPAND256(6, 0x04, 0xff);
		EXPAND256(7, 0x00, 0xaa);
		EXPAND256(8, 0x08, 0xff);
		EXPAND256(9, 0x00, 0xaa);
		EXPAND256(10, 0x10, 0xff);
		EXPAND256(11, 0x00, 0xaa);
		EXPAND256(12, 0x20, 0xff);
		EXPAND256(13, 0x00, 0xaa);
		EXPAND256(14, 0x40, 0xff);
	}
	__m128i h = bswap128(aes_block(key, _mm_setzero_si128())), hn = h;
	_mm_store_si128((__m128i *)key->h[0], h);
	for (int i = 1; i < 4; i++) {
		hn = gf_mul(hn, h);
		_mm_store_si128((__m128i *)key->h[i], hn);
	}
	return 0;
}

/* The last len (< 16) bytes as a zero-padded block. */
TARGET static inline __m128i load_partial(const uint8_t *p, size_t len)
{
	_Alignas(16) uint8_t b[16] = { 0 };

	memcpy(b, p, len);
	return _mm_load_si128((const __m128i *)b);
}

/* Fold four byte-reflected blocks into x: (x + b0)H^4 + b1 H^3 + b2 H^2 +
 * b3 H, one reduction for the four products. */
TARGET static inline __m128i fold4(const struct aes_gcm_key *key, __m128i x, __m128i b0, __m128i b1,
				   __m128i b2, __m128i b3)
{
	const __m128i *h = (const __m128i *)key->h;
	__m128i lo = _mm_setzero_si128(), hi = lo, mid = lo;

	clmul_acc(_mm_xor_si128(x, b0), _mm_load_si128(&h[3]), &lo, &hi, &mid);
	clmul_acc(b1, _mm_load_si128(&h[2]), &lo, &hi, &mid);
	clmul_acc(b2, _mm_load_si128(&h[1]), &lo, &hi, &mid);
	clmul_acc(b3, _mm_load_si128(&h[0]), &lo, &hi, &mid);
	return gf_reduce(lo, hi, mid);
}

TARGET static inline __m128i load_rev(const uint8_t *p)
{
	return bswap128(_mm_loadu_si128((const __m128i *)p));
}

/* Fold n bytes into the GHASH state x (a partial last block zero-padded). */
TARGET static __m128i ghash(const struct aes_gcm_key *key, __m128i x, const uint8_t *p, size_t n)
{
	__m128i h1 = _mm_load_si128((const __m128i *)key->h[0]);

	for (; n >= 64; p += 64, n -= 64)
		x = fold4(key, x, load_rev(p), load_rev(p + 16), load_rev(p + 32), load_rev(p + 48));
	for (; n >= 16; p += 16, n -= 16)
		x = gf_mul(_mm_xor_si128(x, load_rev(p)), h1);
	if (n)
		x = gf_mul(_mm_xor_si128(x, bswap128(load_partial(p, n))), h1);
	return x;
}

/* The counter block IV || ctr (ctr big-endian in the last four bytes). */
TARGET static inline __m128i ctr_block(__m128i iv, uint32_t ctr)
{
	return _mm_insert_epi32(iv, (int)__builtin_bswap32(ctr), 3);
}

/* Four key-stream blocks from counter ctr on, xored into in[0, 64) and
 * written to out; with ghash_in set the four blocks of ghash_in are folded
 * into *x meanwhile (decryption hashes the ciphertext: the two chains are
 * independent, so the CPU overlaps them). */
TARGET static inline void ctr4(const struct aes_gcm_key *key, __m128i iv, uint32_t ctr,
			       const uint8_t *in, uint8_t *out, __m128i *x, bool hash_in)
{
	const __m128i *rk = (const __m128i *)key->rk;
	__m128i c0 = _mm_loadu_si128((const __m128i *)in);
	__m128i c1 = _mm_loadu_si128((const __m128i *)(in + 16));
	__m128i c2 = _mm_loadu_si128((const __m128i *)(in + 32));
	__m128i c3 = _mm_loadu_si128((const __m128i *)(in + 48));
	__m128i r0 = _mm_load_si128(&rk[0]);
	__m128i s0 = _mm_xor_si128(ctr_block(iv, ctr), r0);
	__m128i s1 = _mm_xor_si128(ctr_block(iv, ctr + 1), r0);
	__m128i s2 = _mm_xor_si128(ctr_block(iv, ctr + 2), r0);
	__m128i s3 = _mm_xor_si128(ctr_block(iv, ctr + 3), r0);

	if (hash_in)
		*x = fold4(key, *x, bswap128(c0), bswap128(c1), bswap128(c2), bswap128(c3));
	for (int r = 1; r < key->rounds; r++) {
		__m128i k = _mm_load_si128(&rk[r]);
		s0 = _mm_aesenc_si128(s0, k);
		s1 = _mm_aesenc_si128(s1, k);
		s2 = _mm_aesenc_si128(s2, k);
		s3 = _mm_aesenc_si128(s3, k);
	}
	__m128i kl = _mm_load_si128(&rk[key->rounds]);
	_mm_storeu_si128((__m128i *)out, _mm_xor_si128(_mm_aesenclast_si128(s0, kl), c0));
	_mm_storeu_si128((__m128i *)(out + 16), _mm_xor_si128(_mm_aesenclast_si128(s1, kl), c1));
	_mm_storeu_si128((__m128i *)(out + 32), _mm_xor_si128(_mm_aesenclast_si128(s2, kl), c2));
	_mm_storeu_si128((__m128i *)(out + 48), _mm_xor_si128(_mm_aesenclast_si128(s3, kl), c3));
}

/* in xor the key stream from counter ctr on, into out. */
TARGET static void ctr_xor(const struct aes_gcm_key *key, __m128i iv, uint32_t ctr,
			   const uint8_t *in, size_t n, uint8_t *out)
{
	const __m128i *rk = (const __m128i *)key->rk;

	for (; n >= 64; in += 64, out += 64, n -= 64, ctr += 4) {
		__m128i r0 = _mm_load_si128(&rk[0]);
		__m128i s0 = _mm_xor_si128(ctr_block(iv, ctr), r0);
		__m128i s1 = _mm_xor_si128(ctr_block(iv, ctr + 1), r0);
		__m128i s2 = _mm_xor_si128(ctr_block(iv, ctr + 2), r0);
		__m128i s3 = _mm_xor_si128(ctr_block(iv, ctr + 3), r0);
		for (int r = 1; r < key->rounds; r++) {
			__m128i k = _mm_load_si128(&rk[r]);
			s0 = _mm_aesenc_si128(s0, k);
			s1 = _mm_aesenc_si128(s1, k);
			s2 = _mm_aesenc_si128(s2, k);
			s3 = _mm_aesenc_si128(s3, k);
		}
		__m128i kl = _mm_load_si128(&rk[key->rounds]);
		s0 = _mm_aesenclast_si128(s0, kl);
		s1 = _mm_aesenclast_si128(s1, kl);
		s2 = _mm_aesenclast_si128(s2, kl);
		s3 = _mm_aesenclast_si128(s3, kl);
		_mm_storeu_si128((__m128i *)out,
				 _mm_xor_si128(s0, _mm_loadu_si128((const __m128i *)in)));
		_mm_storeu_si128((__m128i *)(out + 16),
				 _mm_xor_si128(s1, _mm_loadu_si128((const __m128i *)(in + 16))));
		_mm_storeu_si128((__m128i *)(out + 32),
				 _mm_xor_si128(s2, _mm_loadu_si128((const __m128i *)(in + 32))));
		_mm_storeu_si128((__m128i *)(out + 48),
				 _mm_xor_si128(s3, _mm_loadu_si128((const __m128i *)(in + 48))));
	}
	for (; n >= 16; in += 16, out += 16, n -= 16, ctr++)
		_mm_storeu_si128((__m128i *)out,
				 _mm_xor_si128(aes_block(key, ctr_block(iv, ctr)),
					       _mm_loadu_si128((const __m128i *)in)));
	if (n) {
		_Alignas(16) uint8_t ks[16];

		_mm_store_si128((__m128i *)ks, aes_block(key, ctr_block(iv, ctr)));
		for (size_t i = 0; i < n; i++)
			out[i] = in[i] ^ ks[i];
		memset(ks, 0, sizeof(ks));
	}
}

/* The tag from the GHASH state x over aad and ciphertext. */
TARGET static __m128i tag_from(const struct aes_gcm_key *key, __m128i iv, __m128i x,
			       size_t aad_len, size_t ct_len)
{
	x = gf_mul(_mm_xor_si128(x, _mm_set_epi64x((long long)aad_len * 8, (long long)ct_len * 8)),
		   _mm_load_si128((const __m128i *)key->h[0]));
	return _mm_xor_si128(bswap128(x), aes_block(key, ctr_block(iv, 1)));
}

TARGET int aes_gcm_open(const struct aes_gcm_key *key, const uint8_t iv_b[AES_GCM_IV_LEN],
			const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
			const uint8_t tag[AES_GCM_TAG_LEN], uint8_t *out)
{
	_Alignas(16) uint8_t ivb[16] = { 0 };
	__m128i iv, x, diff;
	size_t done = 0;

	memcpy(ivb, iv_b, AES_GCM_IV_LEN);
	iv = _mm_load_si128((const __m128i *)ivb);
	x = ghash(key, _mm_setzero_si128(), aad, aad_len);
	/* decrypt and hash together, four blocks at a time; the rest after */
	for (; ct_len - done >= 64; done += 64)
		ctr4(key, iv, 2 + (uint32_t)(done / 16), ct + done, out + done, &x, true);
	x = ghash(key, x, ct + done, ct_len - done);
	ctr_xor(key, iv, 2 + (uint32_t)(done / 16), ct + done, ct_len - done, out + done);
	diff = _mm_xor_si128(tag_from(key, iv, x, aad_len, ct_len),
			     _mm_loadu_si128((const __m128i *)tag));
	if (!_mm_testz_si128(diff, diff)) { /* every bit compared, no early exit */
		volatile uint8_t *o = out;

		for (size_t i = 0; i < ct_len; i++)
			o[i] = 0;
		return -EBADMSG;
	}
	return 0;
}

TARGET int aes_gcm_seal(const struct aes_gcm_key *key, const uint8_t iv_b[AES_GCM_IV_LEN],
			const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
			uint8_t *out, uint8_t tag[AES_GCM_TAG_LEN])
{
	_Alignas(16) uint8_t ivb[16] = { 0 };
	__m128i iv, x;

	memcpy(ivb, iv_b, AES_GCM_IV_LEN);
	iv = _mm_load_si128((const __m128i *)ivb);
	ctr_xor(key, iv, 2, pt, pt_len, out);
	x = ghash(key, ghash(key, _mm_setzero_si128(), aad, aad_len), out, pt_len);
	_mm_storeu_si128((__m128i *)tag, tag_from(key, iv, x, aad_len, pt_len));
	return 0;
}

#else /* not x86-64: tls_record keeps using OpenSSL */

bool aes_gcm_available(void)
{
	return false;
}

int aes_gcm_setkey(struct aes_gcm_key *key, const uint8_t *kb, size_t key_len)
{
	(void)key;
	(void)kb;
	return key_len == 16 || key_len == 32 ? -ENOTSUP : -EINVAL;
}

int aes_gcm_open(const struct aes_gcm_key *key, const uint8_t iv[AES_GCM_IV_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
		 const uint8_t tag[AES_GCM_TAG_LEN], uint8_t *out)
{
	(void)key, (void)iv, (void)aad, (void)aad_len, (void)ct, (void)ct_len, (void)tag,
		(void)out;
	return -ENOTSUP;
}

int aes_gcm_seal(const struct aes_gcm_key *key, const uint8_t iv[AES_GCM_IV_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
		 uint8_t *out, uint8_t tag[AES_GCM_TAG_LEN])
{
	(void)key, (void)iv, (void)aad, (void)aad_len, (void)pt, (void)pt_len, (void)out,
		(void)tag;
	return -ENOTSUP;
}

#endif

void aes_gcm_wipe(struct aes_gcm_key *key)
{
	volatile uint8_t *p = (volatile uint8_t *)key;

	for (size_t i = 0; i < sizeof(*key); i++)
		p[i] = 0;
}

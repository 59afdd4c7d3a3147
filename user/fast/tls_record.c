/* tls_record — decrypts the server->client TLS record stream (TLS 1.2 and
 * 1.3 AEAD suites) for the fast path. See tls_record.h for the contract. */
#include "tls_record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "aes_gcm.h"
#include "core/secmem.h"

#define HDR TLS_RECORD_HEADER_LEN
#define TAG_LEN 16

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APP_DATA = 23 };
enum {
	HS_NEW_SESSION_TICKET = 4,
	HS_ENCRYPTED_EXTENSIONS = 8,
	HS_CERTIFICATE = 11,
	HS_CERTIFICATE_REQUEST = 13,
	HS_CERTIFICATE_VERIFY = 15,
	HS_FINISHED = 20,
	HS_KEY_UPDATE = 24,
	HS_COMPRESSED_CERTIFICATE = 25,
};
enum { ALERT_CLOSE_NOTIFY = 0, ALERT_USER_CANCELED = 90 };

enum phase {
	PH_IDLE,   /* not started */
	PH_PLAIN,  /* stream mode, before the server encrypts */
	PH_HS,     /* stream mode, TLS 1.3 handshake epoch */
	PH_APP,    /* application epoch */
	PH_CLOSED, /* close_notify seen */
	PH_FAILED,
};

/* Record buffer: header + the largest ciphertext either version allows. */
#define REC_CAP (HDR + TLS_RECORD_MAX_CIPHERTEXT_12)
/* Plaintext buffer: headers reject anything whose plaintext could exceed
 * 2^14 (+1 byte of TLS 1.3 inner content type). */
#define PT_CAP (TLS_RECORD_MAX_PLAINTEXT + 1)

struct tls_record {
	tls_record_data_fn on_data;
	tls_record_event_fn on_event;
	void *user;

	enum phase phase;
	int err;
	int v13;
	const struct tls_suite_info *si;
	enum tls_suite suite;
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *cctx;
	int gcm_iv_inv; /* GCM: per-record IV set through "tlsivinv" */
	/* AES-GCM without OpenSSL's per-record set-up (aes_gcm.h), when the
	 * CPU has AES-NI and PCLMULQDQ and it was not turned off */
	bool own_gcm, no_own_gcm;
	struct aes_gcm_key gk;

	/* current epoch */
	uint8_t iv[TLS_KEYS_IV_LEN];
	uint8_t secret[TLS_KEYS_MAX_SECRET];
	uint8_t secret_len;
	uint64_t seq;
	int seq_exhausted;
	uint32_t generation;

	/* stream mode: epochs still to come */
	struct tls_epoch pend_hs, pend_app;

	/* a record split across feeds */
	uint8_t *rec;
	size_t have, need;
	uint8_t *pt;

	/* handshake message parser (messages may span records) */
	uint8_t hs_hdr[4];
	uint8_t hs_hdr_have;
	uint32_t hs_left;
	uint8_t ku_request;
	int after_key_update, after_finished;

	int last_alert;
	struct tls_record_stats st;
};

static void wipe_keys(struct tls_record *r)
{
	OPENSSL_cleanse(r->iv, sizeof(r->iv));
	OPENSSL_cleanse(r->secret, sizeof(r->secret));
	tls_keys_epoch_wipe(&r->pend_hs);
	tls_keys_epoch_wipe(&r->pend_app);
	aes_gcm_wipe(&r->gk);
	r->own_gcm = false;
	r->secret_len = 0;
}

int tls_record__new(struct tls_record **out, tls_record_data_fn on_data,
		    tls_record_event_fn on_event, void *user)
{
	/* it holds the traffic secret, keys and IVs: out of core dumps */
	struct tls_record *r = secmem_alloc(sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->rec = malloc(REC_CAP);
	if (!r->rec)
		goto free_r;
	r->pt = malloc(PT_CAP);
	if (!r->pt)
		goto free_rec;
	r->cctx = EVP_CIPHER_CTX_new();
	if (!r->cctx)
		goto free_pt;
	r->on_data = on_data;
	r->on_event = on_event;
	r->user = user;
	r->last_alert = -1;
	/* FEEDRX_OPENSSL_AES=1: decrypt AES-GCM through OpenSSL only */
	const char *env = getenv("FEEDRX_OPENSSL_AES");
	r->no_own_gcm = env && *env && strcmp(env, "0") != 0;
	*out = r;
	return 0;

free_pt:
	free(r->pt);
free_rec:
	free(r->rec);
free_r:
	secmem_free(r, sizeof(*r));
	return -ENOMEM;
}

void tls_record__free(struct tls_record *r)
{
	if (!r)
		return;
	wipe_keys(r);
	EVP_CIPHER_CTX_free(r->cctx);
	EVP_CIPHER_free(r->cipher);
	OPENSSL_cleanse(r->pt, PT_CAP);
	free(r->pt);
	free(r->rec);
	secmem_free(r, sizeof(*r));
}

static int fail(struct tls_record *r, int err)
{
	r->phase = PH_FAILED;
	r->err = err;
	wipe_keys(r);
	return err;
}

static void event(struct tls_record *r, enum tls_record_event ev, unsigned detail)
{
	if (r->on_event)
		r->on_event(r->user, ev, detail);
}

/* Select the suite's AEAD on the cipher context (fetched once per suite). */
static int use_suite(struct tls_record *r, enum tls_suite suite)
{
	const struct tls_suite_info *si = tls_keys_suite_info(suite);

	if (!si)
		return TLS_RECORD_E_INVALID;
	if (!r->cipher || !EVP_CIPHER_is_a(r->cipher, si->cipher)) {
		EVP_CIPHER_free(r->cipher);
		r->cipher = EVP_CIPHER_fetch(NULL, si->cipher, NULL);
		if (!r->cipher)
			return TLS_RECORD_E_CRYPTO;
	}
	if (!EVP_DecryptInit_ex2(r->cctx, r->cipher, NULL, NULL, NULL))
		return TLS_RECORD_E_CRYPTO;
	r->si = si;
	r->suite = suite;
	r->v13 = si->version == TLS_VERSION_13;
	return 0;
}

/* Key the cipher context for a new epoch; the sequence number restarts. */
static int use_epoch(struct tls_record *r, const struct tls_epoch *ep, uint64_t seq)
{
	const struct tls_traffic_keys *k = &ep->keys;

	if (ep->suite != r->suite || k->suite != r->suite || k->key_len != r->si->key_len ||
	    k->iv_len != r->si->fixed_iv_len || ep->secret_len > TLS_KEYS_MAX_SECRET ||
	    (r->v13 && ep->secret_len != r->si->hash_len))
		return TLS_RECORD_E_INVALID;
	if (!EVP_DecryptInit_ex2(r->cctx, NULL, k->key, NULL, NULL))
		return TLS_RECORD_E_CRYPTO;
	r->gcm_iv_inv = 0;
	r->own_gcm = r->si->aead == TLS_AEAD_AES_GCM && !r->no_own_gcm &&
		     aes_gcm_setkey(&r->gk, k->key, k->key_len) == 0;
	if (r->si->aead == TLS_AEAD_AES_GCM && !r->own_gcm) {
		/* The 4-byte fixed IV field once per key; each record then sets
		 * only the 8-byte invocation field, which in OpenSSL 3.0 costs
		 * about a third less than re-initialising the IV. */
		OSSL_PARAM p[] = {
			OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
							  (void *)k->iv, 4),
			OSSL_PARAM_construct_end(),
		};

		r->gcm_iv_inv = EVP_CIPHER_CTX_set_params(r->cctx, p) == 1;
	}
	memcpy(r->iv, k->iv, sizeof(r->iv));
	memcpy(r->secret, ep->secret, ep->secret_len);
	r->secret_len = ep->secret_len;
	r->seq = seq;
	r->seq_exhausted = 0;
	return 0;
}

static void reset(struct tls_record *r)
{
	wipe_keys(r);
	r->err = 0;
	r->have = r->need = 0;
	r->hs_hdr_have = 0;
	r->hs_left = 0;
	r->after_key_update = r->after_finished = 0;
	r->generation = 0;
	r->last_alert = -1;
	memset(&r->st, 0, sizeof(r->st));
}

int tls_record__start(struct tls_record *r, const struct tls_epoch *ep, uint64_t seq)
{
	int err;

	if (!r || !ep)
		return TLS_RECORD_E_INVALID;
	reset(r);
	r->phase = PH_IDLE;
	err = use_suite(r, ep->suite);
	if (!err)
		err = use_epoch(r, ep, seq);
	if (err) {
		wipe_keys(r);
		return err;
	}
	r->phase = PH_APP;
	return 0;
}

int tls_record__start_stream(struct tls_record *r, const struct tls_epoch *hs,
			     const struct tls_epoch *app)
{
	int err;

	if (!r || !app)
		return TLS_RECORD_E_INVALID;
	reset(r);
	r->phase = PH_IDLE;
	err = use_suite(r, app->suite);
	if (err)
		return err;
	if (r->v13 && (!hs || hs->suite != app->suite))
		return TLS_RECORD_E_INVALID;
	if (r->v13)
		r->pend_hs = *hs;
	r->pend_app = *app;
	r->phase = PH_PLAIN;
	return 0;
}

/* Validate a record header against the current phase; *body = its length. */
static int check_header(const struct tls_record *r, const uint8_t *h, size_t *body)
{
	unsigned type = h[0], version = (unsigned)h[1] << 8 | h[2];
	size_t len = (size_t)h[3] << 8 | h[4];
	int encrypted;

	if (type < CT_CCS || type > CT_APP_DATA)
		return TLS_RECORD_E_BAD_TYPE;
	*body = len;

	if (r->phase == PH_PLAIN) {
		/* ServerHello flight: any TLS record version; TLS 1.3 encryption
		 * starts with the first application_data record */
		if (h[1] != 3 || h[2] < 1 || h[2] > 3)
			return TLS_RECORD_E_BAD_VERSION;
		if (type == CT_APP_DATA && !r->v13)
			return TLS_RECORD_E_UNEXPECTED;
		encrypted = type == CT_APP_DATA;
		if (!encrypted) {
			if (len > TLS_RECORD_MAX_PLAINTEXT)
				return TLS_RECORD_E_OVERFLOW;
			if (len == 0)
				return TLS_RECORD_E_BAD_LENGTH;
			return 0;
		}
	}
	if (version != TLS_VERSION_12)
		return TLS_RECORD_E_BAD_VERSION;
	if (r->v13) {
		if (type == CT_CCS && r->phase != PH_APP) {
			/* middlebox-compatibility CCS before the server's Finished */
			return len == 1 ? 0 : TLS_RECORD_E_BAD_LENGTH;
		}
		if (type != CT_APP_DATA)
			return TLS_RECORD_E_UNEXPECTED;
		if (len > TLS_RECORD_MAX_CIPHERTEXT_13)
			return TLS_RECORD_E_OVERFLOW;
		if (len < TAG_LEN + 1)
			return TLS_RECORD_E_BAD_LENGTH;
		if (len - TAG_LEN > TLS_RECORD_MAX_PLAINTEXT + 1)
			return TLS_RECORD_E_PLAINTEXT_OVERFLOW;
		return 0;
	}
	/* TLS 1.2, after the server's ChangeCipherSpec */
	if (type == CT_CCS)
		return TLS_RECORD_E_UNEXPECTED;
	if (len > TLS_RECORD_MAX_CIPHERTEXT_12)
		return TLS_RECORD_E_OVERFLOW;
	if (len < (size_t)r->si->explicit_nonce_len + TAG_LEN)
		return TLS_RECORD_E_BAD_LENGTH;
	if (len - r->si->explicit_nonce_len - TAG_LEN > TLS_RECORD_MAX_PLAINTEXT)
		return TLS_RECORD_E_PLAINTEXT_OVERFLOW;
	return 0;
}

/* Decrypt and authenticate; nothing in out may be used unless this returns 0
 * (on a tag failure out is wiped). */
static int aead_open(struct tls_record *r, const uint8_t nonce[TLS_KEYS_IV_LEN],
		     const uint8_t *aad, int aad_len, const uint8_t *ct, int ct_len,
		     const uint8_t *tag, uint8_t *out)
{
	int outl = 0, fl = 0;

	if (r->own_gcm)
		return aes_gcm_open(&r->gk, nonce, aad, (size_t)aad_len, ct, (size_t)ct_len, tag,
				    out) == 0
			       ? 0
			       : TLS_RECORD_E_AUTH;
	if (r->gcm_iv_inv) {
		OSSL_PARAM p[] = {
			OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV,
							  (void *)(nonce + 4), 8),
			OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
							  (void *)tag, TAG_LEN),
			OSSL_PARAM_construct_end(),
		};

		if (EVP_CIPHER_CTX_set_params(r->cctx, p) != 1)
			return TLS_RECORD_E_CRYPTO;
	} else if (!EVP_DecryptInit_ex2(r->cctx, NULL, NULL, nonce, NULL) ||
		   !EVP_CIPHER_CTX_ctrl(r->cctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
					(void *)tag)) {
		return TLS_RECORD_E_CRYPTO;
	}
	if (!EVP_DecryptUpdate(r->cctx, NULL, &outl, aad, aad_len))
		return TLS_RECORD_E_CRYPTO;
	if (ct_len > 0 && !EVP_DecryptUpdate(r->cctx, out, &outl, ct, ct_len))
		return TLS_RECORD_E_CRYPTO;
	if (EVP_DecryptFinal_ex(r->cctx, out + outl, &fl) <= 0) {
		OPENSSL_cleanse(out, ct_len);
		return TLS_RECORD_E_AUTH;
	}
	return 0;
}

static void seq_nonce(const struct tls_record *r, uint8_t nonce[TLS_KEYS_IV_LEN])
{
	memcpy(nonce, r->iv, TLS_KEYS_IV_LEN);
	for (int i = 0; i < 8; i++)
		nonce[TLS_KEYS_IV_LEN - 1 - i] ^= (uint8_t)(r->seq >> (8 * i));
}

/* Open one protected record into r->pt: *type and *n are the (inner) content
 * type and plaintext length. */
static int open_record(struct tls_record *r, const uint8_t *h, const uint8_t *b, size_t len,
		       uint8_t *type, size_t *n)
{
	uint8_t nonce[TLS_KEYS_IV_LEN];
	size_t ct_len;
	int err;

	if (r->seq_exhausted)
		return TLS_RECORD_E_SEQ_EXHAUSTED;
	if (r->v13) {
		/* RFC 8446 §5.2: nonce = iv XOR seq, additional data = header */
		ct_len = len - TAG_LEN;
		seq_nonce(r, nonce);
		err = aead_open(r, nonce, h, HDR, b, ct_len, b + ct_len, r->pt);
		if (err)
			return err;
		/* strip zero padding; the last non-zero byte is the type */
		while (ct_len > 0 && r->pt[ct_len - 1] == 0)
			ct_len--;
		if (ct_len == 0)
			return TLS_RECORD_E_NO_CONTENT_TYPE;
		*type = r->pt[ct_len - 1];
		*n = ct_len - 1;
	} else {
		/* RFC 5246 §6.2.3.3: additional data = seq, type, version,
		 * plaintext length; nonce per RFC 5288 (GCM: salt + explicit)
		 * or RFC 7905 (ChaCha20-Poly1305: iv XOR seq) */
		uint8_t aad[13];
		size_t ex = r->si->explicit_nonce_len;

		ct_len = len - ex - TAG_LEN;
		if (ex) {
			memcpy(nonce, r->iv, 4);
			memcpy(nonce + 4, b, 8);
		} else {
			seq_nonce(r, nonce);
		}
		for (int i = 0; i < 8; i++)
			aad[i] = (uint8_t)(r->seq >> (56 - 8 * i));
		aad[8] = h[0];
		aad[9] = h[1];
		aad[10] = h[2];
		aad[11] = ct_len >> 8;
		aad[12] = ct_len & 0xff;
		err = aead_open(r, nonce, aad, sizeof(aad), b + ex, ct_len, b + ex + ct_len,
				r->pt);
		if (err)
			return err;
		*type = h[0];
		*n = ct_len;
	}
	r->st.records++;
	if (++r->seq == 0)
		r->seq_exhausted = 1;
	return 0;
}

static int hs_in_progress(const struct tls_record *r)
{
	return r->hs_hdr_have > 0 || r->hs_left > 0;
}

/* A complete handshake message header: is this message allowed here? */
static int hs_check(struct tls_record *r, uint8_t type, uint32_t len, uint64_t rec_seq)
{
	if (!r->v13) {
		/* TLS 1.2: only the server's Finished, first in its epoch;
		 * anything later would be renegotiation */
		if (type == HS_FINISHED && rec_seq == 0 && len == 12)
			return 0;
		return TLS_RECORD_E_UNEXPECTED;
	}
	if (r->phase == PH_HS) {
		switch (type) {
		case HS_FINISHED:
			return len == r->si->hash_len ? 0 : TLS_RECORD_E_BAD_MESSAGE;
		case HS_ENCRYPTED_EXTENSIONS:
		case HS_CERTIFICATE:
		case HS_CERTIFICATE_REQUEST:
		case HS_CERTIFICATE_VERIFY:
		case HS_COMPRESSED_CERTIFICATE:
			return 0;
		}
		return TLS_RECORD_E_UNEXPECTED;
	}
	switch (type) {
	case HS_NEW_SESSION_TICKET:
		return len > 0 ? 0 : TLS_RECORD_E_BAD_MESSAGE;
	case HS_KEY_UPDATE:
		return len == 1 ? 0 : TLS_RECORD_E_BAD_MESSAGE;
	}
	/* post-handshake CertificateRequest included: the client never offers it */
	return TLS_RECORD_E_UNEXPECTED;
}

/* A handshake message is complete; more = bytes left in its record. */
static int hs_done(struct tls_record *r, uint8_t type, size_t more)
{
	switch (type) {
	case HS_NEW_SESSION_TICKET:
		r->st.session_tickets++;
		event(r, TLS_RECORD_EV_NEW_SESSION_TICKET, 0);
		return 0;
	case HS_KEY_UPDATE:
		if (r->ku_request > 1)
			return TLS_RECORD_E_BAD_MESSAGE;
		/* RFC 8446 §5.1: a key change must align with a record boundary */
		if (more)
			return TLS_RECORD_E_UNEXPECTED;
		r->after_key_update = 1;
		return 0;
	case HS_FINISHED:
		if (more)
			return TLS_RECORD_E_UNEXPECTED;
		if (r->v13)
			r->after_finished = 1; /* switch keys after this record */
		else
			event(r, TLS_RECORD_EV_HANDSHAKE_DONE, 0);
		return 0;
	}
	return 0;
}

static int hs_feed(struct tls_record *r, const uint8_t *p, size_t n, uint64_t rec_seq)
{
	int err;

	while (n > 0) {
		if (r->hs_hdr_have < 4) {
			size_t t = 4 - r->hs_hdr_have;

			if (t > n)
				t = n;
			memcpy(r->hs_hdr + r->hs_hdr_have, p, t);
			r->hs_hdr_have += t;
			p += t;
			n -= t;
			if (r->hs_hdr_have < 4)
				break;
			r->hs_left = (uint32_t)r->hs_hdr[1] << 16 | r->hs_hdr[2] << 8 |
				     r->hs_hdr[3];
			err = hs_check(r, r->hs_hdr[0], r->hs_left, rec_seq);
			if (err)
				return err;
			if (r->hs_left > 0)
				continue;
		} else {
			size_t t = r->hs_left < n ? r->hs_left : n;

			if (r->hs_hdr[0] == HS_KEY_UPDATE)
				r->ku_request = p[0];
			p += t;
			n -= t;
			r->hs_left -= t;
			if (r->hs_left > 0)
				break;
		}
		r->hs_hdr_have = 0;
		err = hs_done(r, r->hs_hdr[0], n);
		if (err)
			return err;
	}
	return 0;
}

/* After a record: apply the key change its last message asked for. */
static int after_handshake_record(struct tls_record *r)
{
	int err;

	if (r->after_key_update) {
		struct tls_epoch ep = { .suite = r->suite, .secret_len = r->secret_len };
		unsigned requested = r->ku_request;

		r->after_key_update = 0;
		if (tls_keys_next_secret_13(r->suite, r->secret, r->secret_len, ep.secret) ||
		    tls_keys_derive_13(r->suite, ep.secret, ep.secret_len, &ep.keys))
			err = TLS_RECORD_E_CRYPTO;
		else
			err = use_epoch(r, &ep, 0);
		tls_keys_epoch_wipe(&ep);
		if (err)
			return err;
		r->generation++;
		r->st.key_updates++;
		r->st.key_update_requests += requested;
		event(r, TLS_RECORD_EV_KEY_UPDATE, requested);
	}
	if (r->after_finished) {
		r->after_finished = 0;
		err = use_epoch(r, &r->pend_app, 0);
		tls_keys_epoch_wipe(&r->pend_app);
		if (err)
			return err;
		r->phase = PH_APP;
		event(r, TLS_RECORD_EV_HANDSHAKE_DONE, 0);
	}
	return 0;
}

/* Returns 0 to go on, 1 when the stream ended (close_notify). */
static int handle_alert(struct tls_record *r, const uint8_t *p, size_t n)
{
	/* one alert per record, never fragmented (RFC 8446 §5.1) */
	if (n != 2 || p[0] < 1 || p[0] > 2)
		return TLS_RECORD_E_BAD_MESSAGE;
	r->last_alert = p[0] << 8 | p[1];
	if (p[1] == ALERT_CLOSE_NOTIFY) {
		r->phase = PH_CLOSED;
		wipe_keys(r);
		event(r, TLS_RECORD_EV_CLOSE_NOTIFY, 0);
		return 1;
	}
	event(r, TLS_RECORD_EV_ALERT, r->last_alert);
	if (p[1] == ALERT_USER_CANCELED)
		return 0;
	return TLS_RECORD_E_ALERT;
}

/* Plaintext records of the stream's start (stream mode only). */
static int process_plain(struct tls_record *r, const uint8_t *h, const uint8_t *b,
			 size_t len)
{
	int err;

	switch (h[0]) {
	case CT_HANDSHAKE:
		r->st.handshake_records++;
		return 0;
	case CT_ALERT:
		return handle_alert(r, b, len);
	case CT_CCS:
		if (len != 1 || b[0] != 1)
			return TLS_RECORD_E_BAD_MESSAGE;
		if (r->v13)
			return 0;
		/* TLS 1.2: the server's next record is its Finished, seq 0 */
		err = use_epoch(r, &r->pend_app, 0);
		tls_keys_epoch_wipe(&r->pend_app);
		if (err)
			return err;
		r->phase = PH_APP;
		return 0;
	}
	return TLS_RECORD_E_UNEXPECTED;
}

/* One whole record (header h, body b of len bytes). Returns 0 to go on, 1 to
 * stop (paused by the data callback, or close_notify), or an error. */
static int process(struct tls_record *r, const uint8_t *h, const uint8_t *b, size_t len)
{
	uint64_t rec_seq;
	uint8_t type;
	size_t n;
	int err;

	if (r->phase == PH_PLAIN) {
		if (h[0] != CT_APP_DATA)
			return process_plain(r, h, b, len);
		/* TLS 1.3: the first protected record opens the handshake epoch */
		err = use_epoch(r, &r->pend_hs, 0);
		tls_keys_epoch_wipe(&r->pend_hs);
		if (err)
			return err;
		r->phase = PH_HS;
	}
	if (h[0] == CT_CCS)
		return len == 1 && b[0] == 1 ? 0 : TLS_RECORD_E_BAD_MESSAGE;

	rec_seq = r->seq;
	err = open_record(r, h, b, len, &type, &n);
	if (err)
		return err;

	if (hs_in_progress(r) && type != CT_HANDSHAKE)
		return TLS_RECORD_E_UNEXPECTED; /* handshake messages must not interleave */
	switch (type) {
	case CT_APP_DATA:
		if (r->phase != PH_APP)
			return TLS_RECORD_E_UNEXPECTED;
		r->st.app_records++;
		r->st.app_bytes += n;
		if (n > 0 && r->on_data && r->on_data(r->user, r->pt, n))
			return 1;
		return 0;
	case CT_ALERT:
		return handle_alert(r, r->pt, n);
	case CT_HANDSHAKE:
		if (n == 0)
			return TLS_RECORD_E_BAD_LENGTH;
		r->st.handshake_records++;
		err = hs_feed(r, r->pt, n, rec_seq);
		if (err)
			return err;
		return after_handshake_record(r);
	case CT_CCS:
		return TLS_RECORD_E_UNEXPECTED;
	}
	return TLS_RECORD_E_BAD_TYPE;
}

ssize_t tls_record__feed(struct tls_record *r, const uint8_t *buf, size_t len)
{
	size_t off = 0, body;
	int err;

	if (!r || (!buf && len))
		return TLS_RECORD_E_INVALID;
	switch (r->phase) {
	case PH_FAILED:
		return r->err;
	case PH_IDLE:
		return TLS_RECORD_E_INVALID;
	case PH_CLOSED:
		return len ? TLS_RECORD_E_CLOSED : 0;
	default:
		break;
	}

	while (off < len) {
		if (r->have == 0 && len - off >= HDR) {
			err = check_header(r, buf + off, &body);
			if (err)
				return fail(r, err);
			if (len - off >= HDR + body) {
				/* whole record in the caller's buffer: no copy */
				const uint8_t *h = buf + off;

				off += HDR + body;
				err = process(r, h, h + HDR, body);
				if (err < 0)
					return fail(r, err);
				r->st.zero_copy_records++;
				if (err > 0)
					return off;
				continue;
			}
		}
		if (r->have < HDR) {
			size_t t = HDR - r->have;

			if (t > len - off)
				t = len - off;
			memcpy(r->rec + r->have, buf + off, t);
			r->have += t;
			off += t;
			if (r->have < HDR)
				break;
			err = check_header(r, r->rec, &body);
			if (err)
				return fail(r, err);
			r->need = HDR + body;
		}
		size_t t = r->need - r->have;

		if (t > len - off)
			t = len - off;
		memcpy(r->rec + r->have, buf + off, t);
		r->have += t;
		off += t;
		if (r->have < r->need)
			break;
		r->have = 0;
		err = process(r, r->rec, r->rec + HDR, r->need - HDR);
		if (err < 0)
			return fail(r, err);
		if (err > 0)
			return off;
	}
	return off;
}

int tls_record__eof(struct tls_record *r)
{
	if (r->phase == PH_CLOSED)
		return 0;
	if (r->phase == PH_FAILED)
		return r->err;
	return TLS_RECORD_E_TRUNCATED;
}

int tls_record__closed(const struct tls_record *r)
{
	return r->phase == PH_CLOSED;
}

int tls_record__error(const struct tls_record *r)
{
	return r->phase == PH_FAILED ? r->err : 0;
}

int tls_record__last_alert(const struct tls_record *r)
{
	return r->last_alert;
}

uint64_t tls_record__seq(const struct tls_record *r)
{
	return r->seq;
}

uint32_t tls_record__generation(const struct tls_record *r)
{
	return r->generation;
}

size_t tls_record__buffered(const struct tls_record *r)
{
	return r->have;
}

const struct tls_record_stats *tls_record__stats(const struct tls_record *r)
{
	return &r->st;
}

void tls_record__set_own_aes(struct tls_record *r, bool on)
{
	r->no_own_gcm = !on;
}

bool tls_record__own_aes(const struct tls_record *r)
{
	return r->own_gcm;
}

/* Tests for tls_record: RFC 8448 §3 records, real OpenSSL sessions for every
 * suite (hand-off and from the first byte; fed whole, byte by byte and in
 * random pieces; KeyUpdate, tickets, padding, close_notify), and hostile
 * input: bit flips, limits, types, versions, truncation, alerts, handshake
 * message rules, guard-page reads. */
#include "check.h"
#include "fast/tls_keys.h"
#include "fast/aes_gcm.h"
#include "fast/tls_record.h"
#include "tls_testlib.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

/* --- sink: what the reader delivers ------------------------------------- */

struct sink {
	uint8_t *buf;
	size_t len, cap;
	unsigned ev[5];
	unsigned ku_requested;
	unsigned last_alert;
	unsigned data_calls;
	int pause; /* pause after every data record */
};

static int on_data(void *arg, const uint8_t *p, size_t n)
{
	struct sink *s = arg;

	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		uint8_t *b;

		while (cap < s->len + n)
			cap *= 2;
		b = realloc(s->buf, cap);
		if (!b)
			abort();
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->data_calls++;
	return s->pause;
}

static void on_event(void *arg, enum tls_record_event ev, unsigned detail)
{
	struct sink *s = arg;

	s->ev[ev]++;
	if (ev == TLS_RECORD_EV_KEY_UPDATE)
		s->ku_requested += detail;
	if (ev == TLS_RECORD_EV_ALERT)
		s->last_alert = detail;
}

static void sink_reset(struct sink *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

enum split { SPLIT_WHOLE, SPLIT_BYTES, SPLIT_RANDOM, SPLIT__COUNT };
static const char *split_name[] = { "whole", "byte-by-byte", "random" };

/* Feed n bytes in the given pieces; re-feeds after a pause. Returns 0, or
 * the reader's error. *used = bytes consumed (stops at close_notify). */
static int feed_all(struct tls_record *r, const uint8_t *p, size_t n, enum split mode,
		    size_t *used)
{
	size_t off = 0;

	while (off < n) {
		size_t chunk = n - off;

		if (mode == SPLIT_BYTES) {
			chunk = 1;
		} else if (mode == SPLIT_RANDOM) {
			/* mostly small pieces, sometimes several records at once */
			size_t max = tl_rand() % 4 == 0 ? 40000 : 700;

			chunk = 1 + tl_rand() % max;
			if (chunk > n - off)
				chunk = n - off;
		}
		ssize_t rc = tls_record__feed(r, p + off, chunk);

		if (rc < 0) {
			if (used)
				*used = off;
			return (int)rc;
		}
		off += rc;
		if ((size_t)rc < chunk && tls_record__closed(r))
			break;
	}
	if (used)
		*used = off;
	return 0;
}

/* --- synthetic streams, sealed with known keys ------------------------- */

struct synth {
	struct tls_epoch ep, start;
	EVP_CIPHER_CTX *ctx;
	uint64_t seq;
	uint8_t *buf;
	size_t len, cap;
};

static int synth_init(struct synth *s, enum tls_suite suite)
{
	const struct tls_suite_info *si = tls_keys_suite_info(suite);

	memset(s, 0, sizeof(*s));
	s->ctx = EVP_CIPHER_CTX_new();
	s->cap = 1 << 20;
	s->buf = malloc(s->cap);
	if (!s->ctx || !s->buf)
		return -1;
	if (si->version == TLS_VERSION_13) {
		uint8_t sec[48];

		tl_fill(sec, si->hash_len);
		if (tls_keys_epoch_13(suite, sec, si->hash_len, &s->ep))
			return -1;
	} else {
		uint8_t master[48], cr[32], sr[32];

		tl_fill(master, 48);
		tl_fill(cr, 32);
		tl_fill(sr, 32);
		s->ep.suite = suite;
		if (tls_keys_derive_12(suite, master, cr, sr, &s->ep.keys, NULL))
			return -1;
	}
	s->start = s->ep;
	return 0;
}

static void synth_free(struct synth *s)
{
	EVP_CIPHER_CTX_free(s->ctx);
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* Seal one record at the end of the stream; returns its offset. */
static size_t synth_add(struct synth *s, uint8_t type, const void *content, size_t len,
			size_t pad)
{
	size_t off = s->len, n;

	if (off + len + pad + 64 > s->cap)
		abort();
	n = tl_seal(s->ctx, &s->ep.keys, s->seq++, type, content, len, pad, s->buf + off);
	if (!n)
		abort();
	s->len += n;
	return off;
}

/* The sender switches to its next traffic secret (after sending KeyUpdate). */
static void synth_key_update(struct synth *s)
{
	if (tls_keys_next_secret_13(s->ep.suite, s->ep.secret, s->ep.secret_len, s->ep.secret) ||
	    tls_keys_derive_13(s->ep.suite, s->ep.secret, s->ep.secret_len, &s->ep.keys))
		abort();
	s->seq = 0;
}

/* Append raw bytes (a forged header, say). */
static void synth_raw(struct synth *s, const void *p, size_t n)
{
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static const enum tls_suite all_suites[] = {
	TLS_SUITE_13_AES_128_GCM_SHA256, TLS_SUITE_13_AES_256_GCM_SHA384,
	TLS_SUITE_13_CHACHA20_POLY1305_SHA256, TLS_SUITE_12_AES_128_GCM_SHA256,
	TLS_SUITE_12_AES_256_GCM_SHA384, TLS_SUITE_12_CHACHA20_POLY1305,
};
#define NSUITES (sizeof(all_suites) / sizeof(all_suites[0]))

static int is13(enum tls_suite s)
{
	return tls_keys_suite_info(s)->version == TLS_VERSION_13;
}

/* Run a synthetic stream through a fresh reader started at the synth's
 * first epoch and seq 0. */
static int run_synth(struct synth *s, enum split mode, struct sink *sk, struct tls_record **out)
{
	struct tls_record *r;
	tls_record__new(&r, on_data, on_event, sk);
	int err;

	if (!r)
		return TLS_RECORD_E_NOMEM;
	err = tls_record__start(r, &s->start, 0);
	if (!err)
		err = feed_all(r, s->buf, s->len, mode, NULL);
	if (out)
		*out = r;
	else
		tls_record__free(r);
	return err;
}

/* --- RFC 8448 §3 ------------------------------------------------------- */

/* The server's records of the Simple 1-RTT Handshake. */
static const char rfc8448_sh_rec[] =
	"16 03 03 00 5a 02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c"
	"d3 4c 95 93 0c 8a c5 cb 14 34 da c1 55 77 2e d3 e2 69 28 00 13 01 00 00"
	"2e 00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72"
	"e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04";
static const char rfc8448_flight_rec[] =
	"17 03 03 02 a2 d1 ff 33 4a 56 f5 bf f6 59 4a 07 cc 87 b5 80 23 3f 50 0f"
	"45 e4 89 e7 f3 3a f3 5e df 78 69 fc f4 0a a4 0a a2 b8 ea 73 f8 48 a7 ca"
	"07 61 2e f9 f9 45 cb 96 0b 40 68 90 51 23 ea 78 b1 11 b4 29 ba 91 91 cd"
	"05 d2 a3 89 28 0f 52 61 34 aa dc 7f c7 8c 4b 72 9d f8 28 b5 ec f7 b1 3b"
	"d9 ae fb 0e 57 f2 71 58 5b 8e a9 bb 35 5c 7c 79 02 07 16 cf b9 b1 18 3e"
	"f3 ab 20 e3 7d 57 a6 b9 d7 47 76 09 ae e6 e1 22 a4 cf 51 42 73 25 25 0c"
	"7d 0e 50 92 89 44 4c 9b 3a 64 8f 1d 71 03 5d 2e d6 5b 0e 3c dd 0c ba e8"
	"bf 2d 0b 22 78 12 cb b3 60 98 72 55 cc 74 41 10 c4 53 ba a4 fc d6 10 92"
	"8d 80 98 10 e4 b7 ed 1a 8f d9 91 f0 6a a6 24 82 04 79 7e 36 a6 a7 3b 70"
	"a2 55 9c 09 ea d6 86 94 5b a2 46 ab 66 e5 ed d8 04 4b 4c 6d e3 fc f2 a8"
	"94 41 ac 66 27 2f d8 fb 33 0e f8 19 05 79 b3 68 45 96 c9 60 bd 59 6e ea"
	"52 0a 56 a8 d6 50 f5 63 aa d2 74 09 96 0d ca 63 d3 e6 88 61 1e a5 e2 2f"
	"44 15 cf 95 38 d5 1a 20 0c 27 03 42 72 96 8a 26 4e d6 54 0c 84 83 8d 89"
	"f7 2c 24 46 1a ad 6d 26 f5 9e ca ba 9a cb bb 31 7b 66 d9 02 f4 f2 92 a3"
	"6a c1 b6 39 c6 37 ce 34 31 17 b6 59 62 22 45 31 7b 49 ee da 0c 62 58 f1"
	"00 d7 d9 61 ff b1 38 64 7e 92 ea 33 0f ae ea 6d fa 31 c7 a8 4d c3 bd 7e"
	"1b 7a 6c 71 78 af 36 87 90 18 e3 f2 52 10 7f 24 3d 24 3d c7 33 9d 56 84"
	"c8 b0 37 8b f3 02 44 da 8c 87 c8 43 f5 e5 6e b4 c5 e8 28 0a 2b 48 05 2c"
	"f9 3b 16 49 9a 66 db 7c ca 71 e4 59 94 26 f7 d4 61 e6 6f 99 88 2b d8 9f"
	"c5 08 00 be cc a6 2d 6c 74 11 6d bd 29 72 fd a1 fa 80 f8 5d f8 81 ed be"
	"5a 37 66 89 36 b3 35 58 3b 59 91 86 dc 5c 69 18 a3 96 fa 48 a1 81 d6 b6"
	"fa 4f 9d 62 d5 13 af bb 99 2f 2b 99 2f 67 f8 af e6 7f 76 91 3f a3 88 cb"
	"56 30 c8 ca 01 e0 c6 5d 11 c6 6a 1e 2a c4 c8 59 77 b7 c7 a6 99 9b bf 10"
	"dc 35 ae 69 f5 51 56 14 63 6c 0b 9b 68 c1 9e d2 e3 1c 0b 3b 66 76 30 38"
	"eb ba 42 f3 b3 8e dc 03 99 f3 a9 f2 3f aa 63 97 8c 31 7f c9 fa 66 a7 3f"
	"60 f0 50 4d e9 3b 5b 84 5e 27 55 92 c1 23 35 ee 34 0b bc 4f dd d5 02 78"
	"40 16 e4 b3 be 7e f0 4d da 49 f4 b4 40 a3 0c b5 d2 af 93 98 28 fd 4a e3"
	"79 4e 44 f9 4d f5 a6 31 ed e4 2c 17 19 bf da bf 02 53 fe 51 75 be 89 8e"
	"75 0e dc 53 37 0d 2b";
static const char rfc8448_nst_rec[] =
	"17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34 87 68 0d e5 13 4a 2b 24"
	"0e 6c ff ac 11 6e 95 d4 1d 6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db 28 9a"
	"01 59 40 25 2f 55 71 3e 06 1d c1 3e 07 88 91 a3 8e fb cf 57 53 ad 8e f1"
	"70 ad 3c 73 53 d1 6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3 d0 3f 75 e0"
	"9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43 9b 29 99 ce 13 06 46 15"
	"13 98 91 d5 e4 c5 b4 06 f1 6e 3f c1 81 a7 7c a4 75 84 00 25 db 2f 0a 77"
	"f8 1b 5a b0 5b 94 c0 13 46 75 5f 69 23 2c 86 51 9d 86 cb ee ac 87 aa c3"
	"47 d1 43 f9 60 5d 64 f6 50 db 4d 02 3e 70 e9 52 ca 49 fe 51 37 12 1c 74"
	"bc 26 97 68 7e 24 87 46 d6 df 35 30 05 f3 bc e1 86 96 12 9c 81 53 55 6b"
	"3b 6c 67 79 b3 7b f1 59 85 68 4f";
static const char rfc8448_app_rec[] =
	"17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc"
	"32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8"
	"fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d";
static const char rfc8448_alert_rec[] =
	"17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9";
static const char rfc8448_s_hs_secret[] =
	"b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4"
	"e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38";
static const char rfc8448_s_ap_secret[] =
	"a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32"
	"82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43";

static size_t rfc8448_stream(uint8_t *out, size_t cap, int from_first_byte)
{
	size_t n = 0;

	if (from_first_byte) {
		n += tl_unhex(rfc8448_sh_rec, out + n, cap - n);
		n += tl_unhex(rfc8448_flight_rec, out + n, cap - n);
	}
	n += tl_unhex(rfc8448_nst_rec, out + n, cap - n);
	n += tl_unhex(rfc8448_app_rec, out + n, cap - n);
	n += tl_unhex(rfc8448_alert_rec, out + n, cap - n);
	return n;
}

static void check_rfc8448_result(struct tls_record *r, struct sink *sk)
{
	CHECKF(sk->len == 50, "got %zu bytes", sk->len);
	for (size_t i = 0; i < sk->len && i < 50; i++)
		CHECKF(sk->buf[i] == i, "byte %zu", i);
	CHECK(sk->ev[TLS_RECORD_EV_NEW_SESSION_TICKET] == 1);
	CHECK(sk->ev[TLS_RECORD_EV_CLOSE_NOTIFY] == 1);
	CHECK(tls_record__closed(r));
	CHECK(tls_record__eof(r) == 0);
}

/* Start at the application epoch (seq 0 = the NewSessionTicket). */
static void rfc8448_handoff_records(void)
{
	uint8_t stream[2048], sec[32];
	struct tls_epoch ep;
	size_t n = rfc8448_stream(stream, sizeof(stream), 0);

	tl_unhex(rfc8448_s_ap_secret, sec, sizeof(sec));
	REQUIRE(tls_keys_epoch_13(TLS_SUITE_13_AES_128_GCM_SHA256, sec, 32, &ep) == 0);
	for (int mode = 0; mode < SPLIT__COUNT; mode++) {
		struct sink sk = { 0 };
		struct tls_record *r;
		tls_record__new(&r, on_data, on_event, &sk);

		REQUIRE(r);
		REQUIRE(tls_record__start(r, &ep, 0) == 0);
		int err = feed_all(r, stream, n, mode, NULL);

		CHECKF(err == 0, "%s: %s", split_name[mode], fx_strerror(err));
		check_rfc8448_result(r, &sk);
		CHECK(tls_record__seq(r) == 3);
		tls_record__free(r);
		sink_reset(&sk);
	}
	tls_keys_epoch_wipe(&ep);
}

/* From ServerHello: the handshake epoch is decrypted with the handshake
 * secret and skipped up to Finished. */
static void rfc8448_from_first_byte(void)
{
	uint8_t stream[2048], sec[32];
	struct tls_epoch hs, app;
	size_t n = rfc8448_stream(stream, sizeof(stream), 1);

	tl_unhex(rfc8448_s_hs_secret, sec, sizeof(sec));
	REQUIRE(tls_keys_epoch_13(TLS_SUITE_13_AES_128_GCM_SHA256, sec, 32, &hs) == 0);
	tl_unhex(rfc8448_s_ap_secret, sec, sizeof(sec));
	REQUIRE(tls_keys_epoch_13(TLS_SUITE_13_AES_128_GCM_SHA256, sec, 32, &app) == 0);
	for (int mode = 0; mode < SPLIT__COUNT; mode++) {
		struct sink sk = { 0 };
		struct tls_record *r;
		tls_record__new(&r, on_data, on_event, &sk);

		REQUIRE(r);
		REQUIRE(tls_record__start_stream(r, &hs, &app) == 0);
		int err = feed_all(r, stream, n, mode, NULL);

		CHECKF(err == 0, "%s: %s", split_name[mode], fx_strerror(err));
		CHECK(sk.ev[TLS_RECORD_EV_HANDSHAKE_DONE] == 1);
		check_rfc8448_result(r, &sk);
		tls_record__free(r);
		sink_reset(&sk);
	}
	/* swapped secrets: the first protected record fails authentication */
	struct sink sk = { 0 };
	struct tls_record *r;
	tls_record__new(&r, on_data, on_event, &sk);

	REQUIRE(r);
	REQUIRE(tls_record__start_stream(r, &app, &app) == 0);
	CHECK(feed_all(r, stream, n, SPLIT_WHOLE, NULL) == TLS_RECORD_E_AUTH);
	CHECK(sk.len == 0);
	tls_record__free(r);
	sink_reset(&sk);
	tls_keys_epoch_wipe(&hs);
	tls_keys_epoch_wipe(&app);
}

/* --- real sessions ------------------------------------------------------ */

struct script {
	uint8_t *want; /* application data the server wrote after the hand-off */
	size_t want_len, want_cap;
	unsigned key_updates, key_update_requests;
};

static void want_add(struct script *sc, const uint8_t *p, size_t n)
{
	if (sc->want_len + n > sc->want_cap) {
		sc->want_cap = (sc->want_len + n) * 2;
		sc->want = realloc(sc->want, sc->want_cap);
		if (!sc->want)
			abort();
	}
	memcpy(sc->want + sc->want_len, p, n);
	sc->want_len += n;
}

/* The server's side after the hand-off: writes of many sizes (records split
 * at 16 KiB), TLS 1.3 KeyUpdates with and without request, record padding,
 * and close_notify. */
static int server_script(struct tl_session *t, int v13, struct script *sc)
{
	static const size_t fixed[] = { 1, 2, 5, 150, 1000, 4096, 16383, 16384, 16385, 40000 };
	static uint8_t data[40000];

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 60; i++) {
		size_t n = i < sizeof(fixed) / sizeof(fixed[0]) ? fixed[i] : 1 + tl_rand() % 3000;

		tl_fill(data, n);
		if (tl_server_write(t, data, n))
			return -1;
		want_add(sc, data, n);
		if (v13 && (i == 4 || i == 30)) {
			int req = i == 30;

			if (!SSL_key_update(t->s, req ? SSL_KEY_UPDATE_REQUESTED
						      : SSL_KEY_UPDATE_NOT_REQUESTED))
				return -1;
			sc->key_updates++;
			sc->key_update_requests += req;
		}
		if (v13 && i == 40 && !SSL_set_block_padding(t->s, 512))
			return -1;
	}
	if (SSL_shutdown(t->s) < 0)
		return -1;
	return tl_pump(t) < 0 ? -1 : 0;
}

/* Feed the server's bytes from `from` through fresh readers, in every split
 * mode; compare with the script. start_stream: follow from byte 0. */
static void check_reader_on_session(const struct tl_case *cs, struct tl_session *t,
				    const char *what, const struct tls_handoff *h,
				    const struct tls_epoch *hs, const struct tls_epoch *app,
				    const struct script *sc, unsigned want_tickets)
{
	for (int mode = 0; mode < SPLIT__COUNT; mode++) {
		struct sink sk = { 0 };
		struct tls_record *r;
		tls_record__new(&r, on_data, on_event, &sk);
		size_t from = h ? h->stream_offset : 0, used = 0;
		int err;

		REQUIRE(r);
		if (h)
			err = tls_record__start(r, &h->epoch, h->seq);
		else
			err = tls_record__start_stream(r, hs, app);
		REQUIRE(err == 0);
		err = feed_all(r, t->s2c + from, t->s2c_len - from, mode, &used);
		CHECKF(err == 0, "%s %s %s: %s at +%zu", cs->name, what, split_name[mode],
		       fx_strerror(err), used);
		CHECKF(sk.len == sc->want_len && memcmp(sk.buf, sc->want, sk.len) == 0,
		       "%s %s %s: plaintext differs (%zu of %zu bytes)", cs->name, what,
		       split_name[mode], sk.len, sc->want_len);
		CHECKF(used == t->s2c_len - from, "%s %s: stopped at %zu", cs->name, what, used);
		CHECKF(tls_record__closed(r) && sk.ev[TLS_RECORD_EV_CLOSE_NOTIFY] == 1,
		       "%s %s: no close_notify", cs->name, what);
		CHECKF(sk.ev[TLS_RECORD_EV_KEY_UPDATE] == sc->key_updates &&
			       sk.ku_requested == sc->key_update_requests,
		       "%s %s: key updates %u/%u", cs->name, what, sk.ev[TLS_RECORD_EV_KEY_UPDATE],
		       sk.ku_requested);
		CHECKF(tls_record__generation(r) == sc->key_updates, "%s %s: generation",
		       cs->name, what);
		CHECKF(sk.ev[TLS_RECORD_EV_NEW_SESSION_TICKET] == want_tickets,
		       "%s %s: %u tickets, want %u", cs->name, what,
		       sk.ev[TLS_RECORD_EV_NEW_SESSION_TICKET], want_tickets);
		CHECKF(sk.ev[TLS_RECORD_EV_HANDSHAKE_DONE] == (h ? 0u : 1u), "%s %s: hs done",
		       cs->name, what);
		CHECK(sk.ev[TLS_RECORD_EV_ALERT] == 0);
		const struct tls_record_stats *st = tls_record__stats(r);

		CHECK(st->app_bytes == sc->want_len);
		if (mode == SPLIT_BYTES)
			CHECK(st->zero_copy_records == 0);
		if (mode == SPLIT_WHOLE)
			CHECK(st->zero_copy_records >= st->records);
		tls_record__free(r);
		sink_reset(&sk);
	}
}

/* Hand-off right after the handshake (TLS 1.3 tickets still unread by
 * OpenSSL, so the reader skips them), and the same bytes from byte 0. */
static void real_session_handoff_after_handshake(void)
{
	for (size_t i = 0; i < TL_NCASES; i++) {
		const struct tl_case *cs = &tl_cases[i];
		struct tls_keys *k;
		tls_keys__new(&k);
		struct script sc = { 0 };
		struct tl_session t;
		struct tls_handoff h;
		struct tls_epoch hs, app;

		REQUIRE(k);
		REQUIRE(tl_session_new(&t, cs, k) == 0);
		REQUIRE(tl_handshake(&t) == 0);
		REQUIRE(tls_keys__handoff(k, t.c, &h) == 0);
		REQUIRE(tls_keys__stream_epochs(k, t.c, &hs, &app) == 0);
		CHECK(h.generation == 0);
		REQUIRE(server_script(&t, cs->v13, &sc) == 0);
		check_reader_on_session(cs, &t, "handoff", &h, NULL, NULL, &sc, cs->v13 ? 2 : 0);
		check_reader_on_session(cs, &t, "stream", NULL, &hs, &app, &sc, cs->v13 ? 2 : 0);
		tls_keys_epoch_wipe(&h.epoch);
		tls_keys_epoch_wipe(&hs);
		tls_keys_epoch_wipe(&app);
		free(sc.want);
		tl_session_free(&t);
		tls_keys__free(k);
	}
}

/* From the first byte through a HelloRetryRequest: the server's first
 * ServerHello is an HRR, then CCS, ServerHello and the protected flight. */
static void real_session_hello_retry_stream(void)
{
	const struct tl_case *cs = &tl_cases[2];
	struct tls_keys *k;
	tls_keys__new(&k);
	struct script sc = { 0 };
	struct tl_session t;
	struct tls_epoch hs, app;

	REQUIRE(k);
	REQUIRE(tl_session_new(&t, cs, k) == 0);
	/* the client's key share (first group) is one the server refuses */
	REQUIRE(SSL_set1_groups_list(t.c, "P-256:X25519") == 1);
	REQUIRE(SSL_set1_groups_list(t.s, "X25519") == 1);
	REQUIRE(tl_handshake(&t) == 0);
	/* an HRR is a ServerHello with this fixed random (RFC 8446 §4.1.3) */
	static const uint8_t hrr_random[4] = { 0xcf, 0x21, 0xad, 0x74 };

	CHECKF(t.s2c_len > 15 && memcmp(t.s2c + 11, hrr_random, 4) == 0,
	       "no HelloRetryRequest in the trace");
	REQUIRE(tls_keys__stream_epochs(k, t.c, &hs, &app) == 0);
	REQUIRE(server_script(&t, cs->v13, &sc) == 0);
	check_reader_on_session(cs, &t, "hrr-stream", NULL, &hs, &app, &sc, 2);
	tls_keys_epoch_wipe(&hs);
	tls_keys_epoch_wipe(&app);
	free(sc.want);
	tl_session_free(&t);
	tls_keys__free(k);
}

/* OpenSSL reads the first response (and tickets, and a KeyUpdate in TLS
 * 1.3) before the hand-off: the reader starts mid-epoch. */
static void real_session_handoff_after_reads(void)
{
	static const uint8_t resp[] = "HTTP/1.1 101 Switching Protocols\r\n\r\n";

	for (size_t i = 0; i < TL_NCASES; i++) {
		const struct tl_case *cs = &tl_cases[i];
		struct tls_keys *k;
		tls_keys__new(&k);
		struct script sc = { 0 };
		struct tl_session t;
		struct tls_handoff h;
		uint8_t got[64];

		REQUIRE(k);
		REQUIRE(tl_session_new(&t, cs, k) == 0);
		REQUIRE(tl_handshake(&t) == 0);
		REQUIRE(tl_server_write(&t, resp, sizeof(resp) - 1) == 0);
		REQUIRE(tl_client_read(&t, got, sizeof(resp) - 1) == 0);
		if (cs->v13) {
			REQUIRE(SSL_key_update(t.s, SSL_KEY_UPDATE_NOT_REQUESTED) == 1);
			REQUIRE(tl_server_write(&t, resp, 3) == 0);
			REQUIRE(tl_client_read(&t, got, 3) == 0);
		}
		REQUIRE(tls_keys__handoff(k, t.c, &h) == 0);
		CHECKF(h.stream_offset == t.s2c_len, "%s: offset", cs->name);
		CHECKF(h.generation == (cs->v13 ? 1u : 0u), "%s: generation %u", cs->name,
		       h.generation);
		CHECKF(h.seq == (cs->v13 ? 1u : 2u), "%s: seq %llu", cs->name,
		       (unsigned long long)h.seq);
		REQUIRE(server_script(&t, cs->v13, &sc) == 0);
		check_reader_on_session(cs, &t, "after-reads", &h, NULL, NULL, &sc, 0);
		tls_keys_epoch_wipe(&h.epoch);
		free(sc.want);
		tl_session_free(&t);
		tls_keys__free(k);
	}
}

/* --- hostile input ------------------------------------------------------- */

static void bit_flips_fail_authentication(void)
{
	for (size_t si = 0; si < NSUITES; si++) {
		for (int where = 0; where < 3; where++) {
			for (int mode = 0; mode < SPLIT__COUNT; mode++) {
				struct synth s;
				struct sink sk = { 0 };
				static const char a[] = "first record", b[] = "second record";
				size_t off_b;
				int err;

				REQUIRE(synth_init(&s, all_suites[si]) == 0);
				synth_add(&s, 23, a, sizeof(a), 0);
				off_b = synth_add(&s, 23, b, sizeof(b), 0);
				synth_add(&s, 23, a, sizeof(a), 0);
				size_t len_b = (size_t)s.buf[off_b + 3] << 8 | s.buf[off_b + 4];

				if (where == 0) /* ciphertext */
					s.buf[off_b + 5 + len_b / 2] ^= 0x10;
				else if (where == 1) /* tag */
					s.buf[off_b + 5 + len_b - 1] ^= 0x01;
				else /* explicit nonce (1.2 GCM) or first ciphertext byte */
					s.buf[off_b + 5] ^= 0x80;
				err = run_synth(&s, mode, &sk, NULL);
				CHECKF(err == TLS_RECORD_E_AUTH, "suite %zu where %d %s: %s", si,
				       where, split_name[mode], fx_strerror(err));
				/* the first record only: nothing of the forged one */
				CHECKF(sk.len == sizeof(a) && memcmp(sk.buf, a, sizeof(a)) == 0,
				       "suite %zu where %d: delivered %zu bytes", si, where,
				       sk.len);
				sink_reset(&sk);
				synth_free(&s);
			}
		}
	}
}

/* AES-GCM goes through aes_gcm.c where the CPU has AES-NI (ChaCha20 and
 * FEEDRX_OPENSSL_AES=1 through OpenSSL), and both give the same records
 * and refuse the same forgeries. */
static void own_aes_and_openssl_agree(void)
{
	for (size_t si = 0; si < NSUITES; si++) {
		const struct tls_suite_info *info = tls_keys_suite_info(all_suites[si]);
		struct sink sk[2] = { 0 };

		for (int own = 0; own < 2; own++) {
			struct synth s;
			struct tls_record *r = NULL;
			char msg[300];

			REQUIRE(synth_init(&s, all_suites[si]) == 0);
			for (size_t n = 0; n < sizeof(msg); n += 37) {
				memset(msg, 'a' + (int)(n % 26), n);
				synth_add(&s, 23, msg, n, 0);
			}
			if (own)
				unsetenv("FEEDRX_OPENSSL_AES");
			else
				setenv("FEEDRX_OPENSSL_AES", "1", 1);
			CHECK(run_synth(&s, SPLIT_WHOLE, &sk[own], &r) == 0);
			bool want = own && info->aead == TLS_AEAD_AES_GCM && aes_gcm_available();
			CHECKF(r && tls_record__own_aes(r) == want, "suite %s own %d", info->name, own);
			tls_record__free(r);
			synth_free(&s);
		}
		unsetenv("FEEDRX_OPENSSL_AES");
		CHECKF(sk[0].len > 0 && sk[0].len == sk[1].len &&
			       memcmp(sk[0].buf, sk[1].buf, sk[0].len) == 0,
		       "suite %s: %zu vs %zu bytes", info->name, sk[0].len, sk[1].len);
		sink_reset(&sk[0]);
		sink_reset(&sk[1]);
	}
	/* the forgeries, through OpenSSL this time (bit_flips ran the default) */
	setenv("FEEDRX_OPENSSL_AES", "1", 1);
	bit_flips_fail_authentication();
	unsetenv("FEEDRX_OPENSSL_AES");
}

/* Wrong starting sequence number or wrong key: the first record fails. */
static void wrong_seq_or_key_fails(void)
{
	for (size_t si = 0; si < NSUITES; si++) {
		struct synth s;
		struct sink sk = { 0 };
		struct tls_record *r;
		tls_record__new(&r, on_data, on_event, &sk);
		static const char a[] = "payload";

		REQUIRE(r);
		REQUIRE(synth_init(&s, all_suites[si]) == 0);
		s.seq = 7;
		synth_add(&s, 23, a, sizeof(a), 0);
		REQUIRE(tls_record__start(r, &s.start, 6) == 0);
		CHECK(tls_record__feed(r, s.buf, s.len) == TLS_RECORD_E_AUTH);
		CHECK(tls_record__error(r) == TLS_RECORD_E_AUTH);
		/* sticky */
		CHECK(tls_record__feed(r, s.buf, s.len) == TLS_RECORD_E_AUTH);
		CHECK(tls_record__eof(r) == TLS_RECORD_E_AUTH);
		REQUIRE(tls_record__start(r, &s.start, 7) == 0);
		CHECK(tls_record__feed(r, s.buf, s.len) == (ssize_t)s.len);
		CHECK(sk.len == sizeof(a));
		struct tls_epoch bad = s.start;

		bad.keys.key[0] ^= 1;
		REQUIRE(tls_record__start(r, &bad, 7) == 0);
		CHECK(tls_record__feed(r, s.buf, s.len) == TLS_RECORD_E_AUTH);
		tls_keys_epoch_wipe(&bad);
		tls_record__free(r);
		sink_reset(&sk);
		synth_free(&s);
	}
}

/* A header alone is enough to reject a bad record. */
static int header_error(enum tls_suite suite, uint8_t type, uint16_t version, uint16_t len)
{
	struct synth s;
	struct tls_record *r;
	uint8_t h[5] = { type, version >> 8, version & 0xff, len >> 8, len & 0xff };
	int err;

	if (synth_init(&s, suite))
		return 1;
	tls_record__new(&r, NULL, NULL, NULL);
	if (!r || tls_record__start(r, &s.start, 0))
		abort();
	err = (int)tls_record__feed(r, h, sizeof(h));
	if (err == (int)sizeof(h))
		err = 0;
	tls_record__free(r);
	synth_free(&s);
	return err;
}

static void header_limits_13(void)
{
	enum tls_suite s = TLS_SUITE_13_AES_128_GCM_SHA256;

	CHECK(header_error(s, 23, 0x0303, 16384 + 256 + 1) == TLS_RECORD_E_OVERFLOW);
	CHECK(header_error(s, 23, 0x0303, 0xffff) == TLS_RECORD_E_OVERFLOW);
	/* under the ciphertext limit, but the plaintext would exceed 2^14 + 1 */
	CHECK(header_error(s, 23, 0x0303, 16384 + 256) == TLS_RECORD_E_PLAINTEXT_OVERFLOW);
	CHECK(header_error(s, 23, 0x0303, 16384 + 1 + 16 + 1) == TLS_RECORD_E_PLAINTEXT_OVERFLOW);
	CHECK(header_error(s, 23, 0x0303, 16384 + 1 + 16) == 0);
	CHECK(header_error(s, 23, 0x0303, 0) == TLS_RECORD_E_BAD_LENGTH);
	CHECK(header_error(s, 23, 0x0303, 16) == TLS_RECORD_E_BAD_LENGTH);
	CHECK(header_error(s, 23, 0x0303, 17) == 0);
	CHECK(header_error(s, 23, 0x0301, 100) == TLS_RECORD_E_BAD_VERSION);
	CHECK(header_error(s, 23, 0x0304, 100) == TLS_RECORD_E_BAD_VERSION);
	CHECK(header_error(s, 23, 0x0203, 100) == TLS_RECORD_E_BAD_VERSION);
	CHECK(header_error(s, 24, 0x0303, 100) == TLS_RECORD_E_BAD_TYPE);
	CHECK(header_error(s, 0, 0x0303, 100) == TLS_RECORD_E_BAD_TYPE);
	CHECK(header_error(s, 255, 0x0303, 100) == TLS_RECORD_E_BAD_TYPE);
	CHECK(header_error(s, 22, 0x0303, 100) == TLS_RECORD_E_UNEXPECTED);
	CHECK(header_error(s, 21, 0x0303, 2) == TLS_RECORD_E_UNEXPECTED);
	CHECK(header_error(s, 20, 0x0303, 1) == TLS_RECORD_E_UNEXPECTED); /* CCS after Finished */
}

static void header_limits_12(void)
{
	enum tls_suite g = TLS_SUITE_12_AES_128_GCM_SHA256, c = TLS_SUITE_12_CHACHA20_POLY1305;

	CHECK(header_error(g, 23, 0x0303, 16384 + 2048 + 1) == TLS_RECORD_E_OVERFLOW);
	CHECK(header_error(g, 23, 0x0303, 16384 + 2048) == TLS_RECORD_E_PLAINTEXT_OVERFLOW);
	CHECK(header_error(g, 23, 0x0303, 16384 + 24 + 1) == TLS_RECORD_E_PLAINTEXT_OVERFLOW);
	CHECK(header_error(g, 23, 0x0303, 16384 + 24) == 0);
	CHECK(header_error(c, 23, 0x0303, 16384 + 16) == 0);
	CHECK(header_error(c, 23, 0x0303, 16384 + 17) == TLS_RECORD_E_PLAINTEXT_OVERFLOW);
	CHECK(header_error(g, 23, 0x0303, 23) == TLS_RECORD_E_BAD_LENGTH);
	CHECK(header_error(g, 23, 0x0303, 24) == 0); /* empty application data */
	CHECK(header_error(c, 23, 0x0303, 15) == TLS_RECORD_E_BAD_LENGTH);
	CHECK(header_error(c, 21, 0x0303, 0) == TLS_RECORD_E_BAD_LENGTH);
	CHECK(header_error(g, 23, 0x0302, 100) == TLS_RECORD_E_BAD_VERSION);
	CHECK(header_error(g, 20, 0x0303, 1) == TLS_RECORD_E_UNEXPECTED);
	CHECK(header_error(g, 19, 0x0303, 100) == TLS_RECORD_E_BAD_TYPE);
}

/* Largest legal records pass, in both versions, zero-copy and buffered. */
static void maximum_records_pass(void)
{
	static uint8_t big[16384];

	for (size_t si = 0; si < NSUITES; si++) {
		for (int mode = 0; mode < SPLIT__COUNT; mode++) {
			struct synth s;
			struct sink sk = { 0 };
			int err;

			REQUIRE(synth_init(&s, all_suites[si]) == 0);
			tl_fill(big, sizeof(big));
			synth_add(&s, 23, big, sizeof(big), 0);
			synth_add(&s, 23, big, 0, 0); /* empty application data */
			if (is13(all_suites[si]))
				synth_add(&s, 23, big, 100, 16384 - 100); /* padded to the max */
			err = run_synth(&s, mode, &sk, NULL);
			CHECKF(err == 0, "suite %zu %s: %s", si, split_name[mode],
			       fx_strerror(err));
			CHECK(sk.len == sizeof(big) + (is13(all_suites[si]) ? 100 : 0));
			CHECK(memcmp(sk.buf, big, sizeof(big)) == 0);
			sink_reset(&sk);
			synth_free(&s);
		}
	}
}

/* TLS 1.3 inner plaintext rules. */
static void inner_content_rules_13(void)
{
	static const struct {
		uint8_t type;
		size_t len, pad;
		int want;
	} cases[] = {
		{ 0, 0, 40, TLS_RECORD_E_NO_CONTENT_TYPE }, /* all zeros */
		{ 24, 5, 0, TLS_RECORD_E_BAD_TYPE },        /* heartbeat */
		{ 99, 5, 3, TLS_RECORD_E_BAD_TYPE },
		{ 20, 1, 0, TLS_RECORD_E_UNEXPECTED },      /* CCS inside protection */
		{ 22, 0, 0, TLS_RECORD_E_BAD_LENGTH },      /* empty handshake */
		{ 21, 3, 0, TLS_RECORD_E_BAD_MESSAGE },     /* alert of 3 bytes */
		{ 21, 1, 0, TLS_RECORD_E_BAD_MESSAGE },
		{ 23, 0, 7, 0 },                            /* empty app data: fine */
	};
	uint8_t content[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct synth s;
		struct sink sk = { 0 };
		int err;

		REQUIRE(synth_init(&s, TLS_SUITE_13_CHACHA20_POLY1305_SHA256) == 0);
		synth_add(&s, cases[i].type, content, cases[i].len, cases[i].pad);
		err = run_synth(&s, SPLIT_WHOLE, &sk, NULL);
		CHECKF(err == cases[i].want, "case %zu: %s", i, fx_strerror(err));
		CHECK(sk.len == 0);
		sink_reset(&sk);
		synth_free(&s);
	}
}

static void truncated_record_needs_more(void)
{
	for (size_t si = 0; si < NSUITES; si++) {
		struct synth s;
		struct sink sk = { 0 };
		struct tls_record *r;
		tls_record__new(&r, on_data, on_event, &sk);
		static const char a[] = "truncated at the end";
		static const uint8_t close[2] = { 1, 0 };

		REQUIRE(r);
		REQUIRE(synth_init(&s, all_suites[si]) == 0);
		synth_add(&s, 23, a, sizeof(a), 0);
		size_t first = s.len;

		synth_add(&s, 21, close, 2, 0);
		REQUIRE(tls_record__start(r, &s.start, 0) == 0);
		/* all but the last byte: consumed and held, no error, no data */
		CHECK(tls_record__feed(r, s.buf, first - 1) == (ssize_t)(first - 1));
		CHECK(tls_record__error(r) == 0 && sk.len == 0);
		CHECK(tls_record__buffered(r) == first - 1);
		CHECK(tls_record__eof(r) == TLS_RECORD_E_TRUNCATED);
		/* only a partial header of the next one */
		CHECK(tls_record__feed(r, s.buf + first - 1, 3) == 3);
		CHECK(sk.len == sizeof(a) && tls_record__buffered(r) == 2);
		CHECK(tls_record__eof(r) == TLS_RECORD_E_TRUNCATED);
		CHECK(tls_record__feed(r, s.buf + first + 2, s.len - first - 2) ==
		      (ssize_t)(s.len - first - 2));
		CHECK(tls_record__closed(r) && tls_record__eof(r) == 0);
		CHECK(tls_record__feed(r, s.buf, 1) == TLS_RECORD_E_CLOSED);
		CHECK(tls_record__feed(r, s.buf, 0) == 0);
		tls_record__free(r);
		sink_reset(&sk);
		synth_free(&s);
	}
}

static void alerts(void)
{
	for (size_t si = 0; si < NSUITES; si++) {
		static const uint8_t user_canceled[2] = { 1, 90 }, fatal[2] = { 2, 40 },
				     close[2] = { 1, 0 }, bad_level[2] = { 3, 0 };
		static const char a[] = "data";
		struct synth s;
		struct sink sk = { 0 };
		struct tls_record *r;
		int err;

		/* user_canceled surfaced, then close_notify ends; trailing ignored */
		REQUIRE(synth_init(&s, all_suites[si]) == 0);
		synth_add(&s, 23, a, sizeof(a), 0);
		synth_add(&s, 21, user_canceled, 2, 0);
		synth_add(&s, 23, a, sizeof(a), 0);
		size_t close_end = s.len;

		synth_add(&s, 21, close, 2, 0);
		close_end = s.len;
		synth_add(&s, 23, a, sizeof(a), 0);
		tls_record__new(&r, on_data, on_event, &sk);
		REQUIRE(r && tls_record__start(r, &s.start, 0) == 0);
		CHECK(tls_record__feed(r, s.buf, s.len) == (ssize_t)close_end);
		CHECK(sk.len == 2 * sizeof(a));
		CHECK(sk.ev[TLS_RECORD_EV_ALERT] == 1 && sk.last_alert == 0x015a);
		CHECK(sk.ev[TLS_RECORD_EV_CLOSE_NOTIFY] == 1 && tls_record__closed(r));
		CHECK(tls_record__last_alert(r) == 0x0100);
		tls_record__free(r);
		sink_reset(&sk);
		synth_free(&s);

		/* fatal alert: error with the code */
		REQUIRE(synth_init(&s, all_suites[si]) == 0);
		synth_add(&s, 23, a, sizeof(a), 0);
		synth_add(&s, 21, fatal, 2, 0);
		synth_add(&s, 23, a, sizeof(a), 0);
		err = run_synth(&s, SPLIT_RANDOM, &sk, &r);
		CHECK(err == TLS_RECORD_E_ALERT);
		CHECK(tls_record__last_alert(r) == 0x0228 && sk.last_alert == 0x0228);
		CHECK(sk.len == sizeof(a));
		tls_record__free(r);
		sink_reset(&sk);
		synth_free(&s);

		REQUIRE(synth_init(&s, all_suites[si]) == 0);
		synth_add(&s, 21, bad_level, 2, 0);
		CHECK(run_synth(&s, SPLIT_WHOLE, &sk, NULL) == TLS_RECORD_E_BAD_MESSAGE);
		sink_reset(&sk);
		synth_free(&s);

		/* two alerts coalesced into one record */
		uint8_t two[4] = { 1, 90, 1, 0 };

		REQUIRE(synth_init(&s, all_suites[si]) == 0);
		synth_add(&s, 21, two, 4, 0);
		CHECK(run_synth(&s, SPLIT_WHOLE, &sk, NULL) == TLS_RECORD_E_BAD_MESSAGE);
		sink_reset(&sk);
		synth_free(&s);
	}
}

static size_t hs_msg(uint8_t *out, uint8_t type, size_t len, uint8_t fill)
{
	out[0] = type;
	out[1] = len >> 16;
	out[2] = len >> 8;
	out[3] = len;
	memset(out + 4, fill, len);
	return 4 + len;
}

/* TLS 1.3 post-handshake messages: tickets skipped across records,
 * KeyUpdate followed, and what RFC 8446 forbids rejected. */
static void post_handshake_messages_13(void)
{
	static uint8_t m[70000];
	static const char a[] = "after";
	struct synth s;
	struct sink sk = { 0 };
	struct tls_record *r;
	size_t n;
	int err;

	for (int mode = 0; mode < SPLIT__COUNT; mode++) {
		REQUIRE(synth_init(&s, TLS_SUITE_13_AES_256_GCM_SHA384) == 0);
		/* a 40000-byte ticket in three records, two small ones coalesced */
		n = hs_msg(m, 4, 40000 - 4, 0xab);
		synth_add(&s, 22, m, 10000, 0);
		synth_add(&s, 22, m + 10000, 16000, 5);
		synth_add(&s, 22, m + 26000, n - 26000, 0);
		n = hs_msg(m, 4, 100, 1);
		n += hs_msg(m + n, 4, 200, 2);
		synth_add(&s, 22, m, n, 0);
		synth_add(&s, 23, a, sizeof(a), 0);
		/* KeyUpdate(update_requested), then the new keys */
		n = hs_msg(m, 24, 1, 1);
		synth_add(&s, 22, m, n, 0);
		synth_key_update(&s);
		synth_add(&s, 23, a, sizeof(a), 0);
		n = hs_msg(m, 24, 1, 0);
		synth_add(&s, 22, m, n, 0);
		synth_key_update(&s);
		synth_add(&s, 23, a, sizeof(a), 0);
		err = run_synth(&s, mode, &sk, &r);
		CHECKF(err == 0, "%s: %s", split_name[mode], fx_strerror(err));
		CHECK(sk.ev[TLS_RECORD_EV_NEW_SESSION_TICKET] == 3);
		CHECK(sk.ev[TLS_RECORD_EV_KEY_UPDATE] == 2 && sk.ku_requested == 1);
		CHECK(sk.len == 3 * sizeof(a));
		CHECK(tls_record__generation(r) == 2 && tls_record__seq(r) == 1);
		CHECK(tls_record__stats(r)->key_update_requests == 1);
		tls_record__free(r);
		sink_reset(&sk);
		synth_free(&s);
	}

	static const struct {
		const char *what;
		int want;
	} bad[] = {
		{ "ticket interleaved with data", TLS_RECORD_E_UNEXPECTED },
		{ "KeyUpdate not last in record", TLS_RECORD_E_UNEXPECTED },
		{ "KeyUpdate value 2", TLS_RECORD_E_BAD_MESSAGE },
		{ "KeyUpdate of 2 bytes", TLS_RECORD_E_BAD_MESSAGE },
		{ "post-handshake CertificateRequest", TLS_RECORD_E_UNEXPECTED },
		{ "Finished after the handshake", TLS_RECORD_E_UNEXPECTED },
		{ "empty ticket", TLS_RECORD_E_BAD_MESSAGE },
		{ "KeyUpdate split, then data", TLS_RECORD_E_UNEXPECTED },
		{ "old keys after KeyUpdate", TLS_RECORD_E_AUTH },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		REQUIRE(synth_init(&s, TLS_SUITE_13_AES_128_GCM_SHA256) == 0);
		switch (i) {
		case 0:
			n = hs_msg(m, 4, 300, 1);
			synth_add(&s, 22, m, 100, 0);
			synth_add(&s, 23, a, sizeof(a), 0);
			synth_add(&s, 22, m + 100, n - 100, 0);
			break;
		case 1:
			n = hs_msg(m, 24, 1, 0);
			n += hs_msg(m + n, 4, 10, 0);
			synth_add(&s, 22, m, n, 0);
			break;
		case 2:
			n = hs_msg(m, 24, 1, 2);
			synth_add(&s, 22, m, n, 0);
			break;
		case 3:
			n = hs_msg(m, 24, 2, 0);
			synth_add(&s, 22, m, n, 0);
			break;
		case 4:
			n = hs_msg(m, 13, 20, 0);
			synth_add(&s, 22, m, n, 0);
			break;
		case 5:
			n = hs_msg(m, 20, 32, 0);
			synth_add(&s, 22, m, n, 0);
			break;
		case 6:
			n = hs_msg(m, 4, 0, 0);
			synth_add(&s, 22, m, n, 0);
			break;
		case 7:
			n = hs_msg(m, 24, 1, 0);
			synth_add(&s, 22, m, 3, 0);
			synth_add(&s, 23, a, sizeof(a), 0);
			break;
		case 8:
			n = hs_msg(m, 24, 1, 0);
			synth_add(&s, 22, m, n, 0);
			synth_add(&s, 23, a, sizeof(a), 0); /* sender forgot to rekey */
			break;
		}
		err = run_synth(&s, SPLIT_WHOLE, &sk, NULL);
		CHECKF(err == bad[i].want, "%s: %s", bad[i].what, fx_strerror(err));
		CHECKF(sk.len == 0, "%s: data delivered", bad[i].what);
		sink_reset(&sk);
		synth_free(&s);
	}
}

/* TLS 1.2: the server's Finished (seq 0) is skipped; later handshake
 * messages (renegotiation) are refused. */
static void handshake_rules_12(void)
{
	uint8_t m[64];
	static const char a[] = "data";

	for (size_t si = 3; si < NSUITES; si++) {
		struct synth s;
		struct sink sk = { 0 };
		size_t n;

		REQUIRE(synth_init(&s, all_suites[si]) == 0);
		n = hs_msg(m, 20, 12, 7);
		synth_add(&s, 22, m, n, 0);
		synth_add(&s, 23, a, sizeof(a), 0);
		n = hs_msg(m, 0, 0, 0); /* HelloRequest */
		synth_add(&s, 22, m, n, 0);
		CHECK(run_synth(&s, SPLIT_BYTES, &sk, NULL) == TLS_RECORD_E_UNEXPECTED);
		CHECK(sk.len == sizeof(a));
		sink_reset(&sk);
		synth_free(&s);

		REQUIRE(synth_init(&s, all_suites[si]) == 0);
		synth_add(&s, 23, a, sizeof(a), 0);
		n = hs_msg(m, 20, 12, 7); /* Finished, but not first */
		synth_add(&s, 22, m, n, 0);
		CHECK(run_synth(&s, SPLIT_WHOLE, &sk, NULL) == TLS_RECORD_E_UNEXPECTED);
		sink_reset(&sk);
		synth_free(&s);

		REQUIRE(synth_init(&s, all_suites[si]) == 0);
		synth_add(&s, 22, m, 0, 0); /* empty handshake record */
		CHECK(run_synth(&s, SPLIT_WHOLE, &sk, NULL) == TLS_RECORD_E_BAD_LENGTH);
		sink_reset(&sk);
		synth_free(&s);
	}
}

/* The data callback can pause the reader after any record. */
static void pause_and_resume(void)
{
	struct synth s;
	struct sink sk = { 0 };
	struct tls_record *r;
	uint8_t m[300];
	size_t off = 0, calls = 0;

	REQUIRE(synth_init(&s, TLS_SUITE_13_AES_128_GCM_SHA256) == 0);
	for (int i = 0; i < 10; i++) {
		tl_fill(m, sizeof(m));
		synth_add(&s, 23, m, 1 + i * 29, 0);
	}
	sk.pause = 1;
	tls_record__new(&r, on_data, on_event, &sk);
	REQUIRE(r && tls_record__start(r, &s.start, 0) == 0);
	while (off < s.len) {
		ssize_t rc = tls_record__feed(r, s.buf + off, s.len - off);

		REQUIRE(rc > 0);
		off += rc;
		calls++;
	}
	CHECK(calls == 10 && sk.data_calls == 10);
	tls_record__free(r);
	sink_reset(&sk);
	synth_free(&s);
}

static void sequence_number_exhaustion(void)
{
	struct synth s;
	struct sink sk = { 0 };
	struct tls_record *r;
	static const char a[] = "last";

	REQUIRE(synth_init(&s, TLS_SUITE_12_AES_256_GCM_SHA384) == 0);
	s.seq = UINT64_MAX;
	synth_add(&s, 23, a, sizeof(a), 0);
	synth_add(&s, 23, a, sizeof(a), 0); /* seq wrapped to 0 */
	tls_record__new(&r, on_data, on_event, &sk);
	REQUIRE(r && tls_record__start(r, &s.start, UINT64_MAX) == 0);
	CHECK(tls_record__feed(r, s.buf, s.len) == TLS_RECORD_E_SEQ_EXHAUSTED);
	CHECK(sk.len == sizeof(a));
	tls_record__free(r);
	sink_reset(&sk);
	synth_free(&s);
}

static void api_misuse(void)
{
	struct synth s;
	struct tls_record *r;
	tls_record__new(&r, NULL, NULL, NULL);
	uint8_t b[5] = { 23, 3, 3, 0, 20 };

	REQUIRE(r);
	CHECK(tls_record__feed(r, b, sizeof(b)) == TLS_RECORD_E_INVALID);
	REQUIRE(synth_init(&s, TLS_SUITE_13_AES_128_GCM_SHA256) == 0);
	struct tls_epoch bad = s.start;

	bad.keys.key_len = 32;
	CHECK(tls_record__start(r, &bad, 0) == TLS_RECORD_E_INVALID);
	bad = s.start;
	bad.secret_len = 0;
	CHECK(tls_record__start(r, &bad, 0) == TLS_RECORD_E_INVALID);
	bad = s.start;
	bad.suite = TLS_SUITE_NONE;
	CHECK(tls_record__start(r, &bad, 0) == TLS_RECORD_E_INVALID);
	CHECK(tls_record__start_stream(r, NULL, &s.start) == TLS_RECORD_E_INVALID);
	CHECK(tls_record__start(r, &s.start, 0) == 0);
	CHECK(tls_record__feed(r, NULL, 0) == 0);
	CHECK(tls_record__feed(r, NULL, 5) == TLS_RECORD_E_INVALID);
	tls_keys_epoch_wipe(&bad);
	tls_record__free(r);
	tls_record__free(NULL);
	synth_free(&s);

	/* every error has its own text */
	for (int e = TLS_RECORD_E_TRUNCATED; e <= TLS_RECORD_E_INVALID; e++) {
		CHECK(strcmp(fx_strerror(e), fx_strerror(-999)) != 0);
		for (int f = e + 1; f <= TLS_RECORD_E_INVALID; f++)
			CHECK(strcmp(fx_strerror(e), fx_strerror(f)) != 0);
	}
}

/* Records that end exactly at an unmapped page: no read past the input. */
static void guard_page_reads(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);

	REQUIRE(map != MAP_FAILED);
	REQUIRE(mprotect(map + pg, pg, PROT_NONE) == 0);
	for (size_t si = 0; si < NSUITES; si++) {
		for (int mode = 0; mode < SPLIT__COUNT; mode++) {
			struct synth s;
			struct sink sk = { 0 };
			struct tls_record *r;
			tls_record__new(&r, on_data, on_event, &sk);
			static const char a[] = "edge";
			uint8_t *p;

			REQUIRE(r);
			REQUIRE(synth_init(&s, all_suites[si]) == 0);
			synth_add(&s, 23, a, sizeof(a), 3);
			synth_add(&s, 23, a, sizeof(a), 0);
			p = map + pg - s.len;
			memcpy(p, s.buf, s.len);
			REQUIRE(tls_record__start(r, &s.start, 0) == 0);
			CHECK(feed_all(r, p, s.len, mode, NULL) == 0);
			CHECK(sk.len == 2 * sizeof(a));
			/* a lone header at the very end */
			memcpy(map + pg - 5, s.buf, 5);
			CHECK(tls_record__feed(r, map + pg - 5, 5) == 5);
			tls_record__free(r);
			sink_reset(&sk);
			synth_free(&s);
		}
	}
	munmap(map, 2 * pg);
}

/* Stream mode rules before the application epoch. */
static void stream_mode_rules(void)
{
	uint8_t sh[] = { 22, 3, 3, 0, 4, 2, 0, 0, 0 };
	uint8_t ccs[] = { 20, 3, 3, 0, 1, 1 };
	uint8_t bad_ccs[] = { 20, 3, 3, 0, 1, 2 };
	uint8_t alert[] = { 21, 3, 3, 0, 2, 2, 40 };
	uint8_t appdata[] = { 23, 3, 3, 0, 20 };
	static const char a[] = "app";
	struct synth s;
	struct sink sk = { 0 };
	struct tls_record *r;

	/* TLS 1.2: plaintext handshake, CCS, then Finished + data encrypted */
	REQUIRE(synth_init(&s, TLS_SUITE_12_CHACHA20_POLY1305) == 0);
	synth_raw(&s, sh, sizeof(sh));
	synth_raw(&s, ccs, sizeof(ccs));
	uint8_t fin[16];
	size_t n = hs_msg(fin, 20, 12, 3);

	synth_add(&s, 22, fin, n, 0);
	synth_add(&s, 23, a, sizeof(a), 0);
	tls_record__new(&r, on_data, on_event, &sk);
	REQUIRE(r && tls_record__start_stream(r, NULL, &s.start) == 0);
	CHECK(feed_all(r, s.buf, s.len, SPLIT_BYTES, NULL) == 0);
	CHECK(sk.len == sizeof(a));
	/* application data before the CCS */
	REQUIRE(tls_record__start_stream(r, NULL, &s.start) == 0);
	CHECK(tls_record__feed(r, appdata, sizeof(appdata)) == TLS_RECORD_E_UNEXPECTED);
	REQUIRE(tls_record__start_stream(r, NULL, &s.start) == 0);
	CHECK(tls_record__feed(r, bad_ccs, sizeof(bad_ccs)) == TLS_RECORD_E_BAD_MESSAGE);
	REQUIRE(tls_record__start_stream(r, NULL, &s.start) == 0);
	CHECK(tls_record__feed(r, alert, sizeof(alert)) == TLS_RECORD_E_ALERT);
	CHECK(tls_record__last_alert(r) == 0x0228);
	tls_record__free(r);
	sink_reset(&sk);
	synth_free(&s);
}

int main(void)
{
	RUN(rfc8448_handoff_records);
	RUN(rfc8448_from_first_byte);
	RUN(real_session_handoff_after_handshake);
	RUN(real_session_handoff_after_reads);
	RUN(real_session_hello_retry_stream);
	RUN(bit_flips_fail_authentication);
	RUN(own_aes_and_openssl_agree);
	RUN(wrong_seq_or_key_fails);
	RUN(header_limits_13);
	RUN(header_limits_12);
	RUN(maximum_records_pass);
	RUN(inner_content_rules_13);
	RUN(truncated_record_needs_more);
	RUN(alerts);
	RUN(post_handshake_messages_13);
	RUN(handshake_rules_12);
	RUN(pause_and_resume);
	RUN(sequence_number_exhaustion);
	RUN(api_misuse);
	RUN(guard_page_reads);
	RUN(stream_mode_rules);
	tl_identity_free();
	return check_exit();
}

/* Tests for tls_keys: RFC 8448 §3 key schedule vectors, the TLS 1.2 PRF
 * vector, KeyUpdate derivation, suite mapping, key-log line parsing, and
 * capture from real in-process OpenSSL sessions (secrets equal to the
 * server's own key log, hand-off refused while OpenSSL is mid-record). */
#include "check.h"
#include "fast/tls_keys.h"
#include "tls_testlib.h"

#include <errno.h>

#include <openssl/hmac.h>

/* RFC 8448 §3 (Simple 1-RTT Handshake), TLS_AES_128_GCM_SHA256. */
static const char rfc8448_s_hs_secret[] =
	"b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4"
	"e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38";
static const char rfc8448_s_hs_key[] = "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc";
static const char rfc8448_s_hs_iv[] = "5d 31 3e b2 67 12 76 ee 13 00 0b 30";
static const char rfc8448_s_ap_secret[] =
	"a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32"
	"82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43";
static const char rfc8448_s_ap_key[] = "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56";
static const char rfc8448_s_ap_iv[] = "cf 78 2b 88 dd 83 54 9a ad f1 e9 84";
static const char rfc8448_c_ap_secret[] =
	"9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52"
	"87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5";
static const char rfc8448_c_ap_key[] = "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51";
static const char rfc8448_c_ap_iv[] = "5b 78 92 3d ee 08 57 90 33 e5 23 d9";

static void check_13_keys(const char *secret_hex, const char *key_hex, const char *iv_hex)
{
	uint8_t secret[32], key[16], iv[12];
	struct tls_traffic_keys k;

	REQUIRE(tl_unhex(secret_hex, secret, sizeof(secret)) == 32);
	REQUIRE(tl_unhex(key_hex, key, sizeof(key)) == 16);
	REQUIRE(tl_unhex(iv_hex, iv, sizeof(iv)) == 12);
	REQUIRE(tls_keys_derive_13(TLS_SUITE_13_AES_128_GCM_SHA256, secret, 32, &k) == 0);
	CHECK(k.key_len == 16 && k.iv_len == 12);
	CHECKF(memcmp(k.key, key, 16) == 0, "key differs from RFC 8448");
	CHECKF(memcmp(k.iv, iv, 12) == 0, "iv differs from RFC 8448");
}

static void rfc8448_server_app_keys(void)
{
	check_13_keys(rfc8448_s_ap_secret, rfc8448_s_ap_key, rfc8448_s_ap_iv);
}

static void rfc8448_server_handshake_keys(void)
{
	check_13_keys(rfc8448_s_hs_secret, rfc8448_s_hs_key, rfc8448_s_hs_iv);
}

static void rfc8448_client_app_keys(void)
{
	check_13_keys(rfc8448_c_ap_secret, rfc8448_c_ap_key, rfc8448_c_ap_iv);
}

/* The "tls13 traffic upd" step equals a hand-built HKDF-Expand with the
 * RFC 8446 §7.1 HkdfLabel (00 20 | 12 "tls13 traffic upd" | 00). */
static void key_update_matches_hkdf_label(void)
{
	uint8_t secret[32], next[32], manual[32], info[64];
	const char label[] = "tls13 traffic upd";
	size_t n = 0;

	tl_unhex(rfc8448_s_ap_secret, secret, sizeof(secret));
	REQUIRE(tls_keys_next_secret_13(TLS_SUITE_13_AES_128_GCM_SHA256, secret, 32, next) == 0);
	CHECK(memcmp(next, secret, 32) != 0);

	info[n++] = 0;
	info[n++] = 32;
	info[n++] = sizeof(label) - 1;
	memcpy(info + n, label, sizeof(label) - 1);
	n += sizeof(label) - 1;
	info[n++] = 0;
	/* HKDF-Expand for one block: T(1) = HMAC(PRK, info | 0x01) */
	info[n++] = 1;
	unsigned int mlen = 0;
	REQUIRE(HMAC(EVP_sha256(), secret, 32, info, n, manual, &mlen) != NULL);
	CHECK(mlen == 32);
	CHECKF(memcmp(next, manual, 32) == 0, "traffic upd != HKDF-Expand-Label by hand");

	/* in place, and SHA-384 suites produce 48 bytes */
	REQUIRE(tls_keys_next_secret_13(TLS_SUITE_13_AES_128_GCM_SHA256, secret, 32, secret) == 0);
	CHECKF(memcmp(next, secret, 32) == 0, "%02x%02x %02x%02x", next[0], next[1], secret[0], secret[1]);
	CHECK(tls_keys_next_secret_13(TLS_SUITE_13_AES_256_GCM_SHA384, secret, 32, next) ==
	      -EINVAL);
}

static void prf12_ietf_vector(void)
{
	uint8_t secret[16], seed[16], want[100], out[100];

	tl_unhex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35", secret, sizeof(secret));
	tl_unhex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c", seed, sizeof(seed));
	REQUIRE(tl_unhex("e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53"
			 "c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a"
			 "6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af"
			 "0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab"
			 "4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba"
			 "a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01"
			 "87 34 7b 66", want, sizeof(want)) == 100);
	REQUIRE(tls_keys_prf12("SHA256", secret, 16, "test label", seed, 16, out, 100) == 0);
	CHECKF(memcmp(out, want, 100) == 0, "TLS 1.2 PRF differs from the IETF vector");
}

/* Key block layout: the client/server split follows RFC 5246 §6.3. */
static void derive12_key_block_layout(void)
{
	uint8_t master[48], cr[32], sr[32], seed[64], block[2 * 16 + 2 * 4];
	struct tls_traffic_keys s, c;

	tl_fill(master, 48);
	tl_fill(cr, 32);
	tl_fill(sr, 32);
	memcpy(seed, sr, 32);
	memcpy(seed + 32, cr, 32);
	REQUIRE(tls_keys_prf12("SHA256", master, 48, "key expansion", seed, 64, block,
			       sizeof(block)) == 0);
	REQUIRE(tls_keys_derive_12(TLS_SUITE_12_AES_128_GCM_SHA256, master, cr, sr, &s, &c) == 0);
	CHECK(c.key_len == 16 && c.iv_len == 4 && s.key_len == 16 && s.iv_len == 4);
	CHECK(memcmp(c.key, block, 16) == 0);
	CHECK(memcmp(s.key, block + 16, 16) == 0);
	CHECK(memcmp(c.iv, block + 32, 4) == 0);
	CHECK(memcmp(s.iv, block + 36, 4) == 0);

	REQUIRE(tls_keys_derive_12(TLS_SUITE_12_CHACHA20_POLY1305, master, cr, sr, &s, NULL) == 0);
	CHECK(s.key_len == 32 && s.iv_len == 12);
	CHECK(tls_keys_derive_12(TLS_SUITE_13_AES_128_GCM_SHA256, master, cr, sr, &s, NULL) ==
	      -EINVAL);
}

static void suite_mapping(void)
{
	CHECK(tls_keys_suite_from_id(0x1301, TLS_VERSION_13) == TLS_SUITE_13_AES_128_GCM_SHA256);
	CHECK(tls_keys_suite_from_id(0x1302, TLS_VERSION_13) == TLS_SUITE_13_AES_256_GCM_SHA384);
	CHECK(tls_keys_suite_from_id(0x1303, TLS_VERSION_13) ==
	      TLS_SUITE_13_CHACHA20_POLY1305_SHA256);
	CHECK(tls_keys_suite_from_id(0x1304, TLS_VERSION_13) == TLS_SUITE_NONE); /* CCM */
	CHECK(tls_keys_suite_from_id(0xc02f, TLS_VERSION_12) == TLS_SUITE_12_AES_128_GCM_SHA256);
	CHECK(tls_keys_suite_from_id(0xc030, TLS_VERSION_12) == TLS_SUITE_12_AES_256_GCM_SHA384);
	CHECK(tls_keys_suite_from_id(0xcca9, TLS_VERSION_12) == TLS_SUITE_12_CHACHA20_POLY1305);
	CHECK(tls_keys_suite_from_id(0xc027, TLS_VERSION_12) == TLS_SUITE_NONE); /* CBC */
	CHECK(tls_keys_suite_from_id(0x1301, TLS_VERSION_12) == TLS_SUITE_NONE);
	CHECK(tls_keys_suite_info(TLS_SUITE_NONE) == NULL);
	CHECK(tls_keys_suite_info(TLS_SUITE__COUNT) == NULL);
	CHECK(tls_keys_suite_info(TLS_SUITE_12_AES_256_GCM_SHA384)->explicit_nonce_len == 8);
}

static void hexstr(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void log_line_parsing(void)
{
	struct tls_keys *k;
	tls_keys__new(&k);
	uint8_t cr[32], other[32], sec[48];
	char line[256], crhex[65], sechex[97];

	REQUIRE(k);
	tl_fill(cr, 32);
	tl_fill(other, 32);
	tl_fill(sec, 48);
	hexstr(crhex, cr, 32);
	hexstr(sechex, sec, 48);

	snprintf(line, sizeof(line), "SERVER_TRAFFIC_SECRET_0 %s %.64s", crhex, sechex);
	CHECK(tls_keys__log_line(k, cr, line) == 0);
	CHECK(tls_keys__have(k) == TLS_KEYS_HAVE_SERVER_APP);
	snprintf(line, sizeof(line), "SERVER_HANDSHAKE_TRAFFIC_SECRET %s %s", crhex, sechex);
	CHECK(tls_keys__log_line(k, cr, line) == 0);
	CHECK(tls_keys__have(k) & TLS_KEYS_HAVE_SERVER_HS);
	snprintf(line, sizeof(line), "CLIENT_RANDOM %s %s", crhex, sechex);
	CHECK(tls_keys__log_line(k, cr, line) == 0);
	CHECK(tls_keys__have(k) & TLS_KEYS_HAVE_MASTER);
	/* another connection's line is ignored and counted */
	snprintf(line, sizeof(line), "CLIENT_RANDOM %s %s", crhex, sechex);
	CHECK(tls_keys__log_line(k, other, line) == 0);
	CHECKF(tls_keys__foreign_lines(k) == 1, "foreign %u", tls_keys__foreign_lines(k));
	/* labels not needed are ignored */
	snprintf(line, sizeof(line), "EXPORTER_SECRET %s %.64s", crhex, sechex);
	CHECK(tls_keys__log_line(k, cr, line) == 0);
	/* malformed lines */
	CHECK(tls_keys__log_line(k, cr, "CLIENT_RANDOM") == -EINVAL);
	snprintf(line, sizeof(line), "CLIENT_RANDOM %.63s %s", crhex, sechex);
	CHECK(tls_keys__log_line(k, cr, line) == -EINVAL);
	snprintf(line, sizeof(line), "CLIENT_RANDOM %s %.64s", crhex, sechex); /* 32 != 48 */
	CHECK(tls_keys__log_line(k, cr, line) == -EINVAL);
	snprintf(line, sizeof(line), "CLIENT_RANDOM %s %.95s", crhex, sechex); /* odd */
	CHECK(tls_keys__log_line(k, cr, line) == -EINVAL);
	snprintf(line, sizeof(line), "CLIENT_RANDOM %s %sab", crhex, sechex); /* too long */
	CHECK(tls_keys__log_line(k, cr, line) == -EINVAL);
	sechex[10] = 'x';
	snprintf(line, sizeof(line), "CLIENT_RANDOM %s %s", crhex, sechex);
	CHECK(tls_keys__log_line(k, cr, line) == -EINVAL);
	tls_keys__free(k);
}

/* Server-side key log, to compare with what the client captured. */
static char server_log[16][256];
static int server_log_n;

static void server_keylog(const SSL *ssl, const char *line)
{
	(void)ssl;
	if (server_log_n < 16)
		snprintf(server_log[server_log_n++], sizeof(server_log[0]), "%s", line);
}

static const char *server_secret(const char *label)
{
	size_t n = strlen(label);

	for (int i = 0; i < server_log_n; i++)
		if (strncmp(server_log[i], label, n) == 0 && server_log[i][n] == ' ')
			return server_log[i] + n + 1 + 64 + 1;
	return NULL;
}

static int chained_calls;

static void previous_keylog(const SSL *ssl, const char *line)
{
	(void)ssl, (void)line;
	chained_calls++;
}

/* For every suite: the secrets the client captured are the ones the server
 * logged, the previous key-log callback still runs, and the derived epoch
 * matches. */
static void capture_matches_server_log(void)
{
	for (size_t i = 0; i < TL_NCASES; i++) {
		const struct tl_case *cs = &tl_cases[i];
		struct tls_keys *k;
		tls_keys__new(&k);
		struct tl_session t;
		struct tls_epoch hs, app;
		const char *want;
		uint8_t sec[48];

		REQUIRE(k);
		server_log_n = 0;
		chained_calls = 0;
		REQUIRE(tl_session_new(&t, cs, NULL) == 0);
		/* a callback set before ours keeps being called */
		SSL_CTX_set_keylog_callback(t.cctx, previous_keylog);
		REQUIRE(tls_keys_install(t.cctx) == 0);
		REQUIRE(tls_keys_install(t.cctx) == 0); /* idempotent */
		SSL_CTX_set_keylog_callback(t.sctx, server_keylog);
		REQUIRE(tls_keys__attach(k, t.c) == 0);
		CHECKF(tls_keys__handoff(k, t.c, &(struct tls_handoff){0}) == -EPROTO,
		       "%s: hand-off before the handshake", cs->name);
		REQUIRE(tl_handshake(&t) == 0);
		CHECKF(chained_calls > 0, "%s: previous key-log callback not called", cs->name);
		CHECKF(tls_keys_suite_from_ssl(t.c) == cs->suite, "%s: suite", cs->name);

		int rc_ = tls_keys__stream_epochs(k, t.c, &hs, &app);
		CHECKF(rc_ == 0, "%s: stream_epochs %d", cs->name, rc_);
		if (rc_) return;
		if (cs->v13) {
			CHECK(tls_keys__have(k) ==
			      (TLS_KEYS_HAVE_SERVER_HS | TLS_KEYS_HAVE_SERVER_APP));
			want = server_secret("SERVER_TRAFFIC_SECRET_0");
			REQUIRE(want);
			CHECK(tl_unhex(want, sec, sizeof(sec)) == app.secret_len);
			CHECKF(memcmp(sec, app.secret, app.secret_len) == 0,
			       "%s: app secret differs from the server's", cs->name);
			want = server_secret("SERVER_HANDSHAKE_TRAFFIC_SECRET");
			REQUIRE(want);
			CHECK(tl_unhex(want, sec, sizeof(sec)) == hs.secret_len);
			CHECKF(memcmp(sec, hs.secret, hs.secret_len) == 0,
			       "%s: hs secret differs from the server's", cs->name);
		} else {
			CHECK(tls_keys__have(k) == TLS_KEYS_HAVE_MASTER);
			CHECK(app.secret_len == 0 && hs.suite == TLS_SUITE_NONE);
		}
		CHECK(app.suite == cs->suite && app.keys.suite == cs->suite);
		CHECK(app.keys.key_len == tls_keys_suite_info(cs->suite)->key_len);
		tls_keys_epoch_wipe(&hs);
		tls_keys_epoch_wipe(&app);
		tl_session_free(&t);
		tls_keys__free(k);
	}
}

/* Two connections on one SSL_CTX: each capture object keeps its own. */
static void capture_two_connections_one_ctx(void)
{
	struct tls_keys *k1, *k2;
	tls_keys__new(&k1);
	tls_keys__new(&k2);
	struct tl_session t1, t2;
	struct tls_epoch a1, a2;

	REQUIRE(k1 && k2);
	REQUIRE(tl_session_new(&t1, &tl_cases[0], k1) == 0);
	REQUIRE(tl_session_new(&t2, &tl_cases[0], NULL) == 0);
	/* move t2's client onto t1's context */
	SSL_free(t2.c);
	t2.c = SSL_new(t1.cctx);
	t2.c_in = tl_mem_bio();
	t2.c_out = tl_mem_bio();
	REQUIRE(t2.c && t2.c_in && t2.c_out);
	SSL_set_bio(t2.c, t2.c_in, t2.c_out);
	SSL_set_connect_state(t2.c);
	REQUIRE(tls_keys__attach(k2, t2.c) == 0);
	REQUIRE(tl_handshake(&t1) == 0);
	REQUIRE(tl_handshake(&t2) == 0);
	REQUIRE(tls_keys__stream_epochs(k1, t1.c, NULL, &a1) == 0);
	REQUIRE(tls_keys__stream_epochs(k2, t2.c, NULL, &a2) == 0);
	CHECK(memcmp(a1.secret, a2.secret, a1.secret_len) != 0);
	CHECK(tls_keys__foreign_lines(k1) == 0 && tls_keys__foreign_lines(k2) == 0);
	tls_keys_epoch_wipe(&a1);
	tls_keys_epoch_wipe(&a2);
	tl_session_free(&t1);
	tl_session_free(&t2);
	tls_keys__free(k1);
	tls_keys__free(k2);
}

/* The hand-off is refused while OpenSSL sits inside a record or holds
 * undelivered plaintext, and then gives the exact stream offset. */
static int client_read_would_block(struct tl_session *t)
{
	uint8_t b;
	int rc = SSL_read(t->c, &b, 1);

	return rc <= 0 && SSL_get_error(t->c, rc) == SSL_ERROR_WANT_READ;
}

static void handoff_only_at_clean_boundary(void)
{
	for (size_t i = 0; i < TL_NCASES; i += 3) {
		const struct tl_case *cs = &tl_cases[i];
		struct tls_keys *k;
		tls_keys__new(&k);
		struct tl_session t;
		struct tls_handoff h;
		uint8_t msg[300], got[300];

		REQUIRE(k);
		REQUIRE(tl_session_new(&t, cs, k) == 0);
		REQUIRE(tl_handshake(&t) == 0);
		/* right after the handshake, at a boundary (TLS 1.3 tickets unread) */
		REQUIRE(tls_keys__handoff(k, t.c, &h) == 0);
		CHECKF(h.stream_offset == BIO_number_read(t.c_in), "%s: offset", cs->name);
		CHECKF(h.seq == (cs->v13 ? 0 : 1), "%s: seq %llu", cs->name,
		       (unsigned long long)h.seq);
		tls_keys_epoch_wipe(&h.epoch);

		/* the client drains what it has (tickets): still a boundary */
		t.hold = 1;
		tl_fill(msg, sizeof(msg));
		REQUIRE(tl_server_write(&t, msg, sizeof(msg)) == 0);
		REQUIRE(client_read_would_block(&t));
		REQUIRE(tls_keys__handoff(k, t.c, &h) == 0);
		CHECKF(h.seq == (cs->v13 ? 2 : 1), "%s: seq after tickets %llu", cs->name,
		       (unsigned long long)h.seq);
		tls_keys_epoch_wipe(&h.epoch);

		/* one record trickles in: 3 header bytes, 5, 5 + 10 */
		tl_give(&t, 3);
		REQUIRE(client_read_would_block(&t));
		CHECKF(tls_keys__handoff(k, t.c, &h) == -EAGAIN, "%s: partial header", cs->name);
		tl_give(&t, 2);
		REQUIRE(client_read_would_block(&t));
		CHECKF(tls_keys__handoff(k, t.c, &h) == -EAGAIN, "%s: header only", cs->name);
		tl_give(&t, 10);
		REQUIRE(client_read_would_block(&t));
		CHECKF(tls_keys__handoff(k, t.c, &h) == -EAGAIN, "%s: partial body", cs->name);
		/* whole record, one byte read: 299 bytes wait inside OpenSSL */
		tl_give(&t, t.s2c_len);
		REQUIRE(tl_client_read(&t, got, 1) == 0);
		CHECKF(tls_keys__handoff(k, t.c, &h) == -EAGAIN, "%s: pending plaintext",
		       cs->name);
		REQUIRE(tl_client_read(&t, got + 1, sizeof(got) - 1) == 0);
		CHECK(memcmp(got, msg, sizeof(msg)) == 0);
		REQUIRE(tls_keys__handoff(k, t.c, &h) == 0);
		CHECKF(h.stream_offset == t.s2c_len, "%s: offset %llu != %zu", cs->name,
		       (unsigned long long)h.stream_offset, t.s2c_len);
		CHECKF(h.seq == (cs->v13 ? 3 : 2), "%s: seq at end %llu", cs->name,
		       (unsigned long long)h.seq);
		tls_keys_epoch_wipe(&h.epoch);
		tl_session_free(&t);
		tls_keys__free(k);
	}
}

/* A restricted client negotiates only suites the reader implements, and a
 * server offering none of them fails the handshake. */
static void restricted_client_ctx(void)
{
	static const struct {
		int max_version;
		const char *server_12; /* server cipher list for TLS 1.2 */
		int want_ok;
	} cases[] = {
		{ TLS1_3_VERSION, "ALL", 1 },
		{ TLS1_2_VERSION, "ALL", 1 },
		{ TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tls_keys *k;
		tls_keys__new(&k);
		struct tl_session t;
		struct tls_handoff h;

		REQUIRE(k);
		REQUIRE(tl_session_new(&t, &tl_cases[3], NULL) == 0);
		REQUIRE(SSL_CTX_set_max_proto_version(t.cctx, 0) == 1);
		REQUIRE(SSL_CTX_set_cipher_list(t.cctx, "ALL") == 1);
		REQUIRE(tls_keys_restrict_ctx(t.cctx) == 0);
		REQUIRE(tls_keys_install(t.cctx) == 0);
		REQUIRE(SSL_set_max_proto_version(t.c, cases[i].max_version) == 1);
		REQUIRE(SSL_set_cipher_list(t.s, cases[i].server_12) == 1);
		REQUIRE(tls_keys__attach(k, t.c) == 0);
		int rc = tl_handshake(&t);

		CHECKF((rc == 0) == cases[i].want_ok, "case %zu: handshake %d", i, rc);
		if (rc == 0) {
			CHECKF(tls_keys_suite_from_ssl(t.c) != TLS_SUITE_NONE, "case %zu: %s", i,
			       SSL_get_cipher_name(t.c));
			REQUIRE(tls_keys__handoff(k, t.c, &h) == 0);
			tls_keys_epoch_wipe(&h.epoch);
			/* read_ahead would let OpenSSL read past any boundary */
			SSL_set_read_ahead(t.c, 1);
			CHECK(tls_keys__handoff(k, t.c, &h) == -EINVAL);
		}
		ERR_clear_error();
		tl_session_free(&t);
		tls_keys__free(k);
	}
}

int main(void)
{
	RUN(rfc8448_server_app_keys);
	RUN(rfc8448_server_handshake_keys);
	RUN(rfc8448_client_app_keys);
	RUN(key_update_matches_hkdf_label);
	RUN(prf12_ietf_vector);
	RUN(derive12_key_block_layout);
	RUN(suite_mapping);
	RUN(log_line_parsing);
	RUN(capture_matches_server_log);
	RUN(capture_two_connections_one_ctx);
	RUN(handoff_only_at_clean_boundary);
	RUN(restricted_client_ctx);
	tl_identity_free();
	return check_exit();
}

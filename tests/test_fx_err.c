/* Tests for core/fx_err: every module's codes sit in its own block, clear of
 * errno and of each other; every code has a text; fx_error_set is safe. */
#include <errno.h>
#include <limits.h>

#include "check.h"
#include "core/fx_err.h"
#include "fast/fp_stream.h"
#include "fast/pkt_parse.h"
#include "fast/tls_record.h"
#include "fast/tun_inject.h"
#include "fast/ws_frame.h"
#include "venue/binance_parse.h"

struct code {
	int code;
	enum fx_err_module mod;
	const char *name;
};

#define C(x, m) {x, m, #x}

/* Every named code of the library, by the name its module uses. */
static const struct code codes[] = {
	C(-FX_E_URL_SCHEME, FX_MOD_URL),
	C(-FX_E_URL_NO_HOST, FX_MOD_URL),
	C(-FX_E_URL_PORT, FX_MOD_URL),
	C(-FX_E_URL_MALFORMED, FX_MOD_URL),
	C(-FX_E_URL_TOO_LONG, FX_MOD_URL),
	C(PKT_E_TRUNCATED, FX_MOD_PKT_PARSE),
	C(PKT_E_NOT_IP, FX_MOD_PKT_PARSE),
	C(PKT_E_NOT_TCP, FX_MOD_PKT_PARSE),
	C(PKT_E_MALFORMED, FX_MOD_PKT_PARSE),
	C(TLS_RECORD_E_INVALID, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_NOMEM, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_CRYPTO, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_BAD_TYPE, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_BAD_VERSION, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_OVERFLOW, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_PLAINTEXT_OVERFLOW, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_BAD_LENGTH, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_AUTH, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_NO_CONTENT_TYPE, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_UNEXPECTED, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_BAD_MESSAGE, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_ALERT, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_SEQ_EXHAUSTED, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_CLOSED, FX_MOD_TLS_RECORD),
	C(TLS_RECORD_E_TRUNCATED, FX_MOD_TLS_RECORD),
	C(WS_FRAME_E_MASKED, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_RSV, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_OPCODE, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_CTRL_FRAGMENTED, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_CTRL_TOO_LONG, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_CLOSE_LEN, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_CLOSE_CODE, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_CONT_UNEXPECTED, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_DATA_IN_FRAGMENT, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_LEN_MSB, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_LEN_NONMINIMAL, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_AFTER_CLOSE, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_TOO_BIG, FX_MOD_WS_FRAME),
	C(WS_FRAME_E_UTF8, FX_MOD_WS_FRAME),
	C(FP_E_HOLD_FULL, FX_MOD_FP_STREAM),
	C(FP_E_HTTP_STATUS, FX_MOD_FP_STREAM),
	C(FP_E_HTTP_TOO_LONG, FX_MOD_FP_STREAM),
	C(FP_E_GAP, FX_MOD_FP_STREAM),
	C(FP_E_ENDED, FX_MOD_FP_STREAM),
	C(TUN_INJECT_E_RPF, FX_MOD_TUN_INJECT),
	C(BINANCE_E_TRUNCATED, FX_MOD_FEED_PARSE),
	C(BINANCE_E_SYNTAX, FX_MOD_FEED_PARSE),
	C(BINANCE_E_STRING, FX_MOD_FEED_PARSE),
	C(BINANCE_E_ESCAPE, FX_MOD_FEED_PARSE),
	C(BINANCE_E_NUMBER, FX_MOD_FEED_PARSE),
	C(BINANCE_E_TRAILING, FX_MOD_FEED_PARSE),
	C(BINANCE_E_DEPTH, FX_MOD_FEED_PARSE),
	C(BINANCE_E_TOKENS, FX_MOD_FEED_PARSE),
	C(BINANCE_E_LEVELS, FX_MOD_FEED_PARSE),
	C(BINANCE_E_TOO_LONG, FX_MOD_FEED_PARSE),
	C(BINANCE_E_NOT_OBJECT, FX_MOD_FEED_PARSE),
	C(BINANCE_E_TYPE, FX_MOD_FEED_PARSE),
	C(BINANCE_E_MISSING, FX_MOD_FEED_PARSE),
	C(BINANCE_E_RANGE, FX_MOD_FEED_PARSE),
	C(BINANCE_E_DECIMAL, FX_MOD_FEED_PARSE),
};

#define NCODES (sizeof(codes) / sizeof(codes[0]))

/* Each code is in its module's block, above every errno, and unique. */
static void codes_disjoint(void)
{
	for (size_t i = 0; i < NCODES; i++) {
		int c = codes[i].code;

		CHECKF(c < -FX_ERRNO_MAX, "%s = %d overlaps errno", codes[i].name, c);
		CHECKF(fx_err_module(c) == codes[i].mod, "%s = %d in module %s", codes[i].name, c,
		       fx_err_module_name(fx_err_module(c)));
		CHECKF(-c > FX_E_MODULE_BASE(codes[i].mod) &&
			       -c < FX_E_MODULE_BASE(codes[i].mod) + FX_E_BLOCK,
		       "%s outside its block", codes[i].name);
		for (size_t j = i + 1; j < NCODES; j++)
			CHECKF(c != codes[j].code, "%s == %s", codes[i].name, codes[j].name);
	}
}

/* Every code has its own text, never the generic one. */
static void every_code_has_text(void)
{
	for (size_t i = 0; i < NCODES; i++) {
		const char *t = fx_strerror(codes[i].code);

		CHECKF(t && *t && !strstr(t, "unknown error"), "%s: '%s'", codes[i].name,
		       t ? t : "(null)");
		/* texts of one module differ from each other */
		for (size_t j = i + 1; j < NCODES; j++)
			if (codes[j].mod == codes[i].mod)
				CHECKF(strcmp(t, fx_strerror(codes[j].code)) != 0, "%s and %s: '%s'",
				       codes[i].name, codes[j].name, t);
	}
	/* and the blocks hold no code without a text of its own or the generic one */
	for (int m = FX_MOD_URL; m < FX_MOD__COUNT; m++)
		for (int o = 0; o < FX_E_BLOCK; o++) {
			const char *t = fx_strerror(-(FX_E_MODULE_BASE(m) + o));

			CHECKF(t && *t, "module %d offset %d", m, o);
		}
}

/* errno keeps the system's texts; anything else gets a generic text. */
static void errno_and_unknown(void)
{
	char want[64];

	CHECK(strcmp(fx_strerror(0), "success") == 0);
	CHECK(strcmp(fx_strerror(-ENOMEM), strerror(ENOMEM)) == 0);
	CHECK(strcmp(fx_strerror(-EPERM), strerror(EPERM)) == 0);
	CHECK(fx_err_module(-EPERM) == FX_MOD_ERRNO);
	CHECK(fx_err_module(-FX_ERRNO_MAX) == FX_MOD_ERRNO);
	CHECK(fx_err_module(-FX_E_BASE) == FX_MOD_URL);
	CHECK(fx_err_module(0) == FX_MOD_NONE && fx_err_module(7) == FX_MOD_NONE);
	CHECK(fx_err_module(-FX_E_END) == FX_MOD_UNKNOWN);
	CHECK(fx_err_module(INT_MIN) == FX_MOD_UNKNOWN);
	CHECK(strcmp(fx_err_module_name(FX_MOD_WS_FRAME), "ws_frame") == 0);
	CHECK(strcmp(fx_err_module_name(FX_MOD_UNKNOWN), "unknown") == 0);

	const int odd[] = {-4000, -FX_E_END, -FX_E_END - 1, INT_MIN, 5, -(FX_E_WS_BASE + 200)};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		snprintf(want, sizeof(want), "unknown error %d", odd[i]);
		CHECKF(strcmp(fx_strerror(odd[i]), want) == 0, "%d: '%s'", odd[i],
		       fx_strerror(odd[i]));
	}
}

static void error_set_formats_and_truncates(void)
{
	struct fx_error e = {0};
	char longer[600];

	CHECK(fx_error_set(&e, -ENOENT, "no %s on %s", "route", "eth0") == -ENOENT);
	CHECK(e.code == -ENOENT && strcmp(e.msg, "no route on eth0") == 0);
	/* one line: a trailing newline is not kept */
	fx_error_set(&e, -EIO, "broken\n");
	CHECK(strcmp(e.msg, "broken") == 0);
	/* longer than the buffer: truncated, terminated */
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	memset(e.msg, 0x55, sizeof(e.msg));
	CHECK(fx_error_set(&e, BINANCE_E_SYNTAX, "%s", longer) == BINANCE_E_SYNTAX);
	CHECK(strlen(e.msg) == sizeof(e.msg) - 1 && e.code == BINANCE_E_SYNTAX);
	/* NULL-safe: still returns the code */
	CHECK(fx_error_set(NULL, -EAGAIN, "ignored %d", 1) == -EAGAIN);
	fx_error_set(&e, 0, "%s", "");
	CHECK(e.code == 0 && e.msg[0] == 0);
}

int main(void)
{
	RUN(codes_disjoint);
	RUN(every_code_has_text);
	RUN(errno_and_unknown);
	RUN(error_set_formats_and_truncates);
	return check_exit();
}

/* fx_err — the one error convention of the feedrx library.
 *
 * Every function that can fail returns 0 (or a non-negative count) on
 * success and a negative code on failure. A code is either
 *   -errno     (1 .. FX_ERRNO_MAX), the system's meaning, or
 *   -FX_E_*    feedrx's own codes, in disjoint blocks of FX_E_BLOCK values,
 *              one block per module, starting at FX_E_BASE (above every errno).
 * So the module that produced a code follows from its value alone
 * (fx_err_module), and fx_strerror() has a text for every code.
 *
 * Constructors are `int x__new(struct x **out, ...)`: 0 and *out, or a
 * negative code and *out == NULL. Where a person needs context (a host, an
 * interface, a file) a function also fills a caller's struct fx_error with a
 * one-line message; the code is returned as well.
 *
 * Modules keep their own names for their codes (PKT_E_TRUNCATED ==
 * -FX_E_PKT_TRUNCATED), defined from the FX_E_* values below so that every
 * code and its text live here. A new module takes the next free block. */
#ifndef FEEDRX_FX_ERR_H
#define FEEDRX_FX_ERR_H

#include <stddef.h>

#define FX_ERRNO_MAX 4095 /* -1 .. -4095 are -errno (the kernel's MAX_ERRNO) */
#define FX_E_BASE 4096
#define FX_E_BLOCK 256

/* One block per module that has its own codes, in this order. */
enum fx_err_module {
	FX_MOD_NONE = -2,    /* 0 or a non-negative value: no error */
	FX_MOD_UNKNOWN = -1, /* negative, but in no range below */
	FX_MOD_ERRNO = 0,    /* -errno */
	FX_MOD_URL = 1,
	FX_MOD_PKT_PARSE,
	FX_MOD_TLS_RECORD,
	FX_MOD_WS_FRAME,
	FX_MOD_FP_STREAM,
	FX_MOD_TUN_INJECT,
	FX_MOD_FEED_PARSE,
	FX_MOD__COUNT /* first free block */
};

/* First code of module m's block (m >= FX_MOD_URL). */
#define FX_E_MODULE_BASE(m) (FX_E_BASE + ((m)-FX_MOD_URL) * FX_E_BLOCK)

enum fx_err_code {
	/* url: url_parse() */
	FX_E_URL_BASE = FX_E_MODULE_BASE(FX_MOD_URL),
	FX_E_URL_SCHEME,    /* unknown or missing scheme */
	FX_E_URL_NO_HOST,   /* no host */
	FX_E_URL_PORT,	    /* bad port */
	FX_E_URL_MALFORMED, /* bad IPv6 literal, userinfo, forbidden characters */
	FX_E_URL_TOO_LONG,  /* host or path too long */

	/* pkt_parse */
	FX_E_PKT_BASE = FX_E_MODULE_BASE(FX_MOD_PKT_PARSE),
	FX_E_PKT_TRUNCATED,
	FX_E_PKT_NOT_IP,
	FX_E_PKT_NOT_TCP,
	FX_E_PKT_MALFORMED,

	/* tls_record */
	FX_E_TLS_BASE = FX_E_MODULE_BASE(FX_MOD_TLS_RECORD),
	FX_E_TLS_INVALID,
	FX_E_TLS_NOMEM,
	FX_E_TLS_CRYPTO,
	FX_E_TLS_BAD_TYPE,
	FX_E_TLS_BAD_VERSION,
	FX_E_TLS_OVERFLOW,
	FX_E_TLS_PLAINTEXT_OVERFLOW,
	FX_E_TLS_BAD_LENGTH,
	FX_E_TLS_AUTH,
	FX_E_TLS_NO_CONTENT_TYPE,
	FX_E_TLS_UNEXPECTED,
	FX_E_TLS_BAD_MESSAGE,
	FX_E_TLS_ALERT,
	FX_E_TLS_SEQ_EXHAUSTED,
	FX_E_TLS_CLOSED,
	FX_E_TLS_TRUNCATED,

	/* ws_frame: offsets grouped by the close code they call for */
	FX_E_WS_BASE = FX_E_MODULE_BASE(FX_MOD_WS_FRAME),
	FX_E_WS_MASKED = FX_E_WS_BASE + 1, /* 1..12: protocol errors (1002) */
	FX_E_WS_RSV,
	FX_E_WS_OPCODE,
	FX_E_WS_CTRL_FRAGMENTED,
	FX_E_WS_CTRL_TOO_LONG,
	FX_E_WS_CLOSE_LEN,
	FX_E_WS_CLOSE_CODE,
	FX_E_WS_CONT_UNEXPECTED,
	FX_E_WS_DATA_IN_FRAGMENT,
	FX_E_WS_LEN_MSB,
	FX_E_WS_LEN_NONMINIMAL,
	FX_E_WS_AFTER_CLOSE,
	FX_E_WS_TOO_BIG = FX_E_WS_BASE + 20, /* 1009 */
	FX_E_WS_UTF8 = FX_E_WS_BASE + 30,    /* 1007 */

	/* fp_stream */
	FX_E_FP_BASE = FX_E_MODULE_BASE(FX_MOD_FP_STREAM),
	FX_E_FP_HOLD_FULL,
	FX_E_FP_HTTP_STATUS,
	FX_E_FP_HTTP_TOO_LONG,
	FX_E_FP_GAP,
	FX_E_FP_ENDED,

	/* tun_inject */
	FX_E_TUN_BASE = FX_E_MODULE_BASE(FX_MOD_TUN_INJECT),
	FX_E_TUN_RPF,

	/* feed_parse: offsets grouped by class */
	FX_E_FEED_BASE = FX_E_MODULE_BASE(FX_MOD_FEED_PARSE),
	FX_E_FEED_TRUNCATED = FX_E_FEED_BASE + 1, /* 1..6: not valid JSON */
	FX_E_FEED_SYNTAX,
	FX_E_FEED_STRING,
	FX_E_FEED_ESCAPE,
	FX_E_FEED_NUMBER,
	FX_E_FEED_TRAILING,
	FX_E_FEED_DEPTH = FX_E_FEED_BASE + 10, /* 10..13: limits */
	FX_E_FEED_TOKENS,
	FX_E_FEED_LEVELS,
	FX_E_FEED_TOO_LONG,
	FX_E_FEED_NOT_OBJECT = FX_E_FEED_BASE + 20, /* 20..24: not a valid message */
	FX_E_FEED_TYPE,
	FX_E_FEED_MISSING,
	FX_E_FEED_RANGE,
	FX_E_FEED_DECIMAL,
	FX_E_FEED_TRADES, /* more trades in one message than the parser holds */
	/* 40..49: a binary (SBE) message that does not fit its schema */
	FX_E_FEED_SBE_SHORT = FX_E_FEED_BASE + 40, /* a length runs past the message */
	FX_E_FEED_SBE_SCHEMA,   /* not schema id 1 */
	FX_E_FEED_SBE_BLOCK,    /* a block length shorter than the fields it must hold */
	FX_E_FEED_SBE_EXPONENT, /* mantissa x 10^exponent not exact in 1e-8 units */
	FX_E_FEED_SBE_SYMBOL,   /* a control byte in the symbol */

	FX_E_END = FX_E_MODULE_BASE(FX_MOD__COUNT) /* one past the last block */
};

/* Which block a code falls in (FX_MOD_NONE for code >= 0). */
enum fx_err_module fx_err_module(int code);
/* Short name of a module ("url", "ws_frame", "errno"). */
const char *fx_err_module_name(enum fx_err_module m);

/* Text for any code: "success" for 0, the system's text for -errno, ours for
 * -FX_E_*, and "unknown error -N" for anything else. Never NULL; the pointer
 * is to a static string except for unknown codes (a thread-local buffer). */
const char *fx_strerror(int code);

/* A code with a one-line message for a person (no trailing newline). */
struct fx_error {
	int code;
	char msg[256];
};

/* Fill e (if not NULL) with code and the formatted message, truncated to
 * fit. Returns code, so `return fx_error_set(err, -ENOMEM, "...");` works. */
int fx_error_set(struct fx_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

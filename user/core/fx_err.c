/* fx_err — texts for every error code of the library, and struct fx_error. */
#include "core/fx_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Texts by offset inside each module's block; NULL = no such code. */
static const char *const url_text[] = {
    [FX_E_URL_SCHEME - FX_E_URL_BASE] = "unknown or missing scheme",
    [FX_E_URL_NO_HOST - FX_E_URL_BASE] = "missing host",
    [FX_E_URL_PORT - FX_E_URL_BASE] = "bad port (1-65535)",
    [FX_E_URL_MALFORMED - FX_E_URL_BASE] = "malformed URL",
    [FX_E_URL_TOO_LONG - FX_E_URL_BASE] = "host or path too long",
};

static const char *const pkt_text[] = {
    [FX_E_PKT_TRUNCATED - FX_E_PKT_BASE] = "truncated packet",
    [FX_E_PKT_NOT_IP - FX_E_PKT_BASE] = "not an IP packet",
    [FX_E_PKT_NOT_TCP - FX_E_PKT_BASE] = "not a TCP segment",
    [FX_E_PKT_MALFORMED - FX_E_PKT_BASE] = "malformed header",
};

static const char *const tls_text[] = {
    [FX_E_TLS_INVALID - FX_E_TLS_BASE] = "invalid argument or reader not started",
    [FX_E_TLS_NOMEM - FX_E_TLS_BASE] = "out of memory",
    [FX_E_TLS_CRYPTO - FX_E_TLS_BASE] = "cipher or KDF failure in OpenSSL",
    [FX_E_TLS_BAD_TYPE - FX_E_TLS_BASE] = "unknown or forbidden record content type",
    [FX_E_TLS_BAD_VERSION - FX_E_TLS_BASE] = "record version is not 0x0303",
    [FX_E_TLS_OVERFLOW - FX_E_TLS_BASE] = "record length over the protocol limit",
    [FX_E_TLS_PLAINTEXT_OVERFLOW - FX_E_TLS_BASE] = "record plaintext would exceed 2^14 bytes",
    [FX_E_TLS_BAD_LENGTH - FX_E_TLS_BASE] = "record too short or forbidden empty record",
    [FX_E_TLS_AUTH - FX_E_TLS_BASE] = "record authentication failed (out of sync)",
    [FX_E_TLS_NO_CONTENT_TYPE - FX_E_TLS_BASE] = "TLS 1.3 record has no content type",
    [FX_E_TLS_UNEXPECTED - FX_E_TLS_BASE] = "unexpected message",
    [FX_E_TLS_BAD_MESSAGE - FX_E_TLS_BASE] = "malformed alert or handshake message",
    [FX_E_TLS_ALERT - FX_E_TLS_BASE] = "server sent a fatal alert",
    [FX_E_TLS_SEQ_EXHAUSTED - FX_E_TLS_BASE] = "record sequence number exhausted",
    [FX_E_TLS_CLOSED - FX_E_TLS_BASE] = "data after close_notify",
    [FX_E_TLS_TRUNCATED - FX_E_TLS_BASE] = "stream ended without close_notify",
};

static const char *const ws_text[] = {
    [FX_E_WS_MASKED - FX_E_WS_BASE] = "masked frame from the server",
    [FX_E_WS_RSV - FX_E_WS_BASE] = "reserved bits set (no extension negotiated)",
    [FX_E_WS_OPCODE - FX_E_WS_BASE] = "reserved opcode",
    [FX_E_WS_CTRL_FRAGMENTED - FX_E_WS_BASE] = "fragmented control frame",
    [FX_E_WS_CTRL_TOO_LONG - FX_E_WS_BASE] = "control frame payload over 125 bytes",
    [FX_E_WS_CLOSE_LEN - FX_E_WS_BASE] = "close frame with a 1-byte payload",
    [FX_E_WS_CLOSE_CODE - FX_E_WS_BASE] = "close code not valid on the wire",
    [FX_E_WS_CONT_UNEXPECTED - FX_E_WS_BASE] = "continuation frame outside a message",
    [FX_E_WS_DATA_IN_FRAGMENT - FX_E_WS_BASE] = "new data frame inside a fragmented message",
    [FX_E_WS_LEN_MSB - FX_E_WS_BASE] = "64-bit payload length with the top bit set",
    [FX_E_WS_LEN_NONMINIMAL - FX_E_WS_BASE] = "payload length not minimally encoded",
    [FX_E_WS_AFTER_CLOSE - FX_E_WS_BASE] = "data after the close frame",
    [FX_E_WS_TOO_BIG - FX_E_WS_BASE] = "message larger than the maximum size",
    [FX_E_WS_UTF8 - FX_E_WS_BASE] = "invalid UTF-8 in a text message or close reason",
};

static const char *const fp_text[] = {
    [FX_E_FP_HOLD_FULL - FX_E_FP_BASE] = "stream bytes arrived too long before the TLS secrets",
    [FX_E_FP_HTTP_STATUS - FX_E_FP_BASE] = "unexpected HTTP status",
    [FX_E_FP_HTTP_TOO_LONG - FX_E_FP_BASE] = "HTTP response head too long",
    [FX_E_FP_GAP - FX_E_FP_BASE] = "bytes missing from the reassembled stream",
    [FX_E_FP_ENDED - FX_E_FP_BASE] = "stream ended early",
};

static const char *const tun_text[] = {
    [FX_E_TUN_RPF - FX_E_TUN_BASE] =
	"the reverse-path filter on the TUN device would drop re-injected packets",
};

static const char *const feed_text[] = {
    [FX_E_FEED_TRUNCATED - FX_E_FEED_BASE] = "JSON truncated: input ends inside a value",
    [FX_E_FEED_SYNTAX - FX_E_FEED_BASE] = "JSON syntax error: unexpected character",
    [FX_E_FEED_STRING - FX_E_FEED_BASE] = "JSON string holds a raw control character",
    [FX_E_FEED_ESCAPE - FX_E_FEED_BASE] = "JSON string holds an invalid escape",
    [FX_E_FEED_NUMBER - FX_E_FEED_BASE] = "malformed JSON number",
    [FX_E_FEED_TRAILING - FX_E_FEED_BASE] = "data after the JSON value",
    [FX_E_FEED_DEPTH - FX_E_FEED_BASE] = "JSON nested too deeply",
    [FX_E_FEED_TOKENS - FX_E_FEED_BASE] = "too many JSON tokens for the parser's token array",
    [FX_E_FEED_LEVELS - FX_E_FEED_BASE] = "more depth levels than the parser's level array holds",
    [FX_E_FEED_TOO_LONG - FX_E_FEED_BASE] = "message too long",
    [FX_E_FEED_NOT_OBJECT - FX_E_FEED_BASE] = "message, data or error is not a JSON object",
    [FX_E_FEED_TYPE - FX_E_FEED_BASE] = "field has the wrong JSON type",
    [FX_E_FEED_MISSING - FX_E_FEED_BASE] = "required field missing",
    [FX_E_FEED_RANGE - FX_E_FEED_BASE] = "integer field out of range",
    [FX_E_FEED_DECIMAL - FX_E_FEED_BASE] = "price or quantity not a decimal with at most 8 places",
    [FX_E_FEED_TRADES - FX_E_FEED_BASE] = "more trades in one message than the parser's trade array holds",
    [FX_E_FEED_SBE_SHORT - FX_E_FEED_BASE] = "SBE message truncated: a length runs past its end",
    [FX_E_FEED_SBE_SCHEMA - FX_E_FEED_BASE] = "SBE message of another schema (expected id 1)",
    [FX_E_FEED_SBE_BLOCK - FX_E_FEED_BASE] = "SBE block length shorter than the schema's fields",
    [FX_E_FEED_SBE_EXPONENT - FX_E_FEED_BASE] = "SBE price or quantity not exact in units of 1e-8 (exponent out of range)",
    [FX_E_FEED_SBE_SYMBOL - FX_E_FEED_BASE] = "SBE symbol holds a control character",
};

#define TABLE(t)                                                                                   \
	{                                                                                          \
		t, sizeof(t) / sizeof(t[0])                                                        \
	}

static const struct {
	const char *const *text;
	size_t n;
} fx_err_tables[FX_MOD__COUNT] = {
    [FX_MOD_URL] = TABLE(url_text),	    [FX_MOD_PKT_PARSE] = TABLE(pkt_text),
    [FX_MOD_TLS_RECORD] = TABLE(tls_text),  [FX_MOD_WS_FRAME] = TABLE(ws_text),
    [FX_MOD_FP_STREAM] = TABLE(fp_text),    [FX_MOD_TUN_INJECT] = TABLE(tun_text),
    [FX_MOD_FEED_PARSE] = TABLE(feed_text),
};

static const char *const fx_err_names[FX_MOD__COUNT] = {
    [FX_MOD_ERRNO] = "errno",		[FX_MOD_URL] = "url",
    [FX_MOD_PKT_PARSE] = "pkt_parse",	[FX_MOD_TLS_RECORD] = "tls_record",
    [FX_MOD_WS_FRAME] = "ws_frame",	[FX_MOD_FP_STREAM] = "fp_stream",
    [FX_MOD_TUN_INJECT] = "tun_inject", [FX_MOD_FEED_PARSE] = "feed_parse",
};

enum fx_err_module fx_err_module(int code)
{
	long c = -(long)code; /* -INT_MIN fits in a long */

	if (code >= 0)
		return FX_MOD_NONE;
	if (c <= FX_ERRNO_MAX)
		return FX_MOD_ERRNO;
	if (c >= FX_E_END)
		return FX_MOD_UNKNOWN;
	return (enum fx_err_module)(FX_MOD_URL + (c - FX_E_BASE) / FX_E_BLOCK);
}

const char *fx_err_module_name(enum fx_err_module m)
{
	if (m >= FX_MOD_ERRNO && m < FX_MOD__COUNT)
		return fx_err_names[m];
	return m == FX_MOD_NONE ? "none" : "unknown";
}

const char *fx_strerror(int code)
{
	static __thread char unknown[32];
	enum fx_err_module m = fx_err_module(code);
	const char *s = NULL;

	if (code == 0)
		return "success";
	if (m == FX_MOD_ERRNO) {
		s = strerrordesc_np(-code); /* thread-safe, NULL when unknown */
	} else if (m > FX_MOD_ERRNO) {
		size_t off = (size_t)(-(long)code - FX_E_MODULE_BASE(m));

		if (off < fx_err_tables[m].n)
			s = fx_err_tables[m].text[off];
	}
	if (s)
		return s;
	snprintf(unknown, sizeof(unknown), "unknown error %d", code);
	return unknown;
}

int fx_error_set(struct fx_error *e, int code, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	/* one line: a trailing newline from a caller's format is dropped */
	n = strlen(e->msg);
	while (n && e->msg[n - 1] == '\n')
		e->msg[--n] = 0;
	return code;
}

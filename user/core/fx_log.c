/* fx_log — level filter, handler and prefix for every library message. */
#include "core/fx_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#define FX_LOG_PREFIX_MAX 32

static fx_log_fn fx_log_handler;
static void *fx_log_user;
static enum fx_log_level fx_log_max = FX_LOG_WARN;
static char fx_log_prefix[FX_LOG_PREFIX_MAX] = "feedrx";

/* "<prefix>: <msg>\n" in one write(2): lines of processes sharing stderr do
 * not interleave, and nothing waits in a stdio buffer. */
static void fx_log_default(void *user, enum fx_log_level level, const char *msg)
{
	char line[FX_LOG_PREFIX_MAX + 2 + FX_LOG_MSG_MAX + 1];
	size_t off = 0, n;
	ssize_t r;

	(void)user, (void)level;
	n = strlen(fx_log_prefix);
	memcpy(line, fx_log_prefix, n);
	off = n;
	line[off++] = ':';
	line[off++] = ' ';
	n = strnlen(msg, FX_LOG_MSG_MAX - 1);
	memcpy(line + off, msg, n);
	off += n;
	line[off++] = '\n';
	do
		r = write(STDERR_FILENO, line, off);
	while (r < 0 && errno == EINTR);
}

void fx_log_set_handler(fx_log_fn fn, void *user)
{
	fx_log_handler = fn;
	fx_log_user = fn ? user : NULL;
}

void fx_log_set_level(enum fx_log_level max)
{
	fx_log_max = max;
}

void fx_log_set_prefix(const char *prog)
{
	snprintf(fx_log_prefix, sizeof(fx_log_prefix), "%s", prog ? prog : "feedrx");
}

bool fx_log_enabled(enum fx_log_level level)
{
	return level <= fx_log_max;
}

static void fx_log_emit(enum fx_log_level level, const char *fmt, va_list ap)
{
	char msg[FX_LOG_MSG_MAX];
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	/* one line: a trailing newline (libbpf ends its lines with one) goes */
	for (size_t len = strnlen(msg, sizeof(msg)); len && msg[len - 1] == '\n';)
		msg[--len] = 0;
	if (fx_log_handler)
		fx_log_handler(fx_log_user, level, msg);
	else
		fx_log_default(NULL, level, msg);
}

void fx_log(enum fx_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > fx_log_max)
		return;
	va_start(ap, fmt);
	fx_log_emit(level, fmt, ap);
	va_end(ap);
}

/* ---- libbpf and libxdp ---- */

static int fx_log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (FX_LOG_DEBUG <= fx_log_max)
		fx_log_emit(FX_LOG_DEBUG, fmt, ap);
	return 0;
}

/* libxdp says why it attached without its dispatcher only in an info line;
 * keep that reason for the one line feedrx prints about the attachment. */
static char fx_log_dispatcher_why[128];

static void fx_log_libxdp_keep(const char *fmt, va_list ap)
{
	static const char pre[] = "Compatibility check for dispatcher program failed: ";
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (strncmp(msg, pre, sizeof(pre) - 1) != 0)
		return;
	n = strnlen(msg + sizeof(pre) - 1, sizeof(fx_log_dispatcher_why) - 1);
	memcpy(fx_log_dispatcher_why, msg + sizeof(pre) - 1, n);
	fx_log_dispatcher_why[n] = 0;
	n = strlen(fx_log_dispatcher_why);
	while (n && fx_log_dispatcher_why[n - 1] == '\n')
		fx_log_dispatcher_why[--n] = 0;
}

static int fx_log_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	va_list aq;

	(void)level;
	va_copy(aq, ap);
	fx_log_libxdp_keep(fmt, aq);
	va_end(aq);
	if (FX_LOG_DEBUG <= fx_log_max)
		fx_log_emit(FX_LOG_DEBUG, fmt, ap);
	return 0;
}

const char *fx_log_libxdp_dispatcher_why(void)
{
	return fx_log_dispatcher_why[0] ? fx_log_dispatcher_why : NULL;
}

void fx_log_route_bpf(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	libbpf_set_print(fx_log_libbpf);
	libxdp_set_print(fx_log_libxdp);
}

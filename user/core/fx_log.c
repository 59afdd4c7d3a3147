/* fx_log — TEMPORARY stand-in (see fx_log.h). */
#include "fx_log.h"

#include <stdarg.h>
#include <stdio.h>

static enum fx_log_level fx_log__max = FX_LOG_WARN;
static const char *fx_log__prefix = "feedrx";
static fx_log_fn fx_log__fn;
static void *fx_log__user;

void fx_log_set_handler(fx_log_fn fn, void *user) { fx_log__fn = fn; fx_log__user = user; }
void fx_log_set_level(enum fx_log_level max) { fx_log__max = max; }
void fx_log_set_prefix(const char *prog) { fx_log__prefix = prog; }
bool fx_log_enabled(enum fx_log_level level) { return level <= fx_log__max; }

void fx_log(enum fx_log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (level > fx_log__max)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (fx_log__fn)
		fx_log__fn(fx_log__user, level, buf);
	else
		fprintf(stderr, "%s: %s\n", fx_log__prefix, buf);
}

/* fx_log — the one place the library's messages leave through.
 *
 * Every module logs with fx_log(level, fmt, ...) instead of writing to
 * stderr, so a program linking the library can route (fx_log_set_handler),
 * filter (fx_log_set_level) or silence everything. libbpf's and libxdp's own
 * messages come the same way, at FX_LOG_DEBUG (fx_log_route_bpf).
 *
 * The default handler writes "<prefix>: <msg>\n" to stderr in one write for
 * each message whose level is enabled. A message is one line without its
 * trailing newline; it is formatted into a bounded stack buffer
 * (FX_LOG_MSG_MAX, longer ones are cut), and a disabled level costs one
 * comparison. Set the handler, level and prefix at start-up, before other
 * threads log. */
#ifndef FEEDRX_FX_LOG_H
#define FEEDRX_FX_LOG_H

#include <stdbool.h>

enum fx_log_level { FX_LOG_ERROR, FX_LOG_WARN, FX_LOG_INFO, FX_LOG_DEBUG };

typedef void (*fx_log_fn)(void *user, enum fx_log_level level, const char *msg);

#define FX_LOG_MSG_MAX 1024 /* bytes a message is cut to, with its NUL */

void fx_log_set_handler(fx_log_fn fn, void *user); /* NULL: the default handler */
void fx_log_set_level(enum fx_log_level max);	   /* default FX_LOG_WARN */
void fx_log_set_prefix(const char *prog);	   /* default "feedrx" */
bool fx_log_enabled(enum fx_log_level level);
void fx_log(enum fx_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Send libbpf's and libxdp's messages through fx_log at FX_LOG_DEBUG (once;
 * the modules that call into them do it). A program that installs its own
 * libbpf/libxdp print function afterwards keeps it. */
void fx_log_route_bpf(void);
/* Once routed: why libxdp's last dispatcher compatibility check failed (its
 * own words, e.g. "Operation not permitted"), or NULL. */
const char *fx_log_libxdp_dispatcher_why(void);

#endif

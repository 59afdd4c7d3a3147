/* fx_log — TEMPORARY stand-in with the interface of the errlog branch's
 * fx_log; replaced by it at merge. */
#ifndef FEEDRX_FX_LOG_H
#define FEEDRX_FX_LOG_H

#include <stdbool.h>

enum fx_log_level { FX_LOG_ERROR, FX_LOG_WARN, FX_LOG_INFO, FX_LOG_DEBUG };
typedef void (*fx_log_fn)(void *user, enum fx_log_level level, const char *msg);
void fx_log_set_handler(fx_log_fn fn, void *user);
void fx_log_set_level(enum fx_log_level max);
void fx_log_set_prefix(const char *prog);
bool fx_log_enabled(enum fx_log_level level);
void fx_log(enum fx_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

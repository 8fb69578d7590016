/* The one logging sink of vsock-sshd: stderr (foreground/debug, -e) or syslog.
 * libssh's own log is routed here too (vs_log_attach_libssh). */
#ifndef VS_LOG_H
#define VS_LOG_H

#include "fdutil.h" /* vs_printable(), for peer-supplied text */

#include <stdbool.h>
#include <stddef.h>

enum vs_log_level {
    VS_LOG_QUIET = 0,
    VS_LOG_FATAL,
    VS_LOG_ERROR,
    VS_LOG_INFO,
    VS_LOG_VERBOSE,
    VS_LOG_DEBUG1,
    VS_LOG_DEBUG2,
    VS_LOG_DEBUG3,
};

/* Names as sshd_config spells them; "DEBUG" is DEBUG1. Returns 0 or -EINVAL. */
int vs_log_level_parse(const char *name, enum vs_log_level *out);
const char *vs_log_level_name(enum vs_log_level level);

/* Opens the sink. ident is the syslog identifier. */
void vs_log_open(const char *ident, bool to_stderr, enum vs_log_level level);
void vs_log_set_level(enum vs_log_level level);
/* Prefix put before every message of this process, e.g. "conn 12" (copied). */
void vs_log_set_prefix(const char *prefix);
/* Routes libssh's log into this sink at a verbosity derived from the level. */
void vs_log_attach_libssh(void);

void vs_log_msg(enum vs_log_level level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(...) vs_log_msg(VS_LOG_ERROR, __func__, __VA_ARGS__)
#define log_info(...) vs_log_msg(VS_LOG_INFO, __func__, __VA_ARGS__)
#define log_verbose(...) vs_log_msg(VS_LOG_VERBOSE, __func__, __VA_ARGS__)
#define log_debug(...) vs_log_msg(VS_LOG_DEBUG1, __func__, __VA_ARGS__)

/* Logs "<message>: <strerror(-err)>" at error level and returns err, so that
 * call sites read: return log_error_errno(r, "Failed to ...");
 * err must be a negative errno value. */
int vs_log_errno(enum vs_log_level level, const char *func, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define log_error_errno(err, ...) vs_log_errno(VS_LOG_ERROR, __func__, (err), __VA_ARGS__)

#endif

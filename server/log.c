#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

static struct {
    bool to_stderr;
    enum vs_log_level level;
    char prefix[64];
} sink = {.to_stderr = true, .level = VS_LOG_INFO};

static const char *const level_names[] = {
    [VS_LOG_QUIET] = "QUIET",   [VS_LOG_FATAL] = "FATAL",     [VS_LOG_ERROR] = "ERROR",
    [VS_LOG_INFO] = "INFO",     [VS_LOG_VERBOSE] = "VERBOSE", [VS_LOG_DEBUG1] = "DEBUG1",
    [VS_LOG_DEBUG2] = "DEBUG2", [VS_LOG_DEBUG3] = "DEBUG3",
};

int vs_log_level_parse(const char *name, enum vs_log_level *out)
{
    if (strcasecmp(name, "DEBUG") == 0) {
        *out = VS_LOG_DEBUG1;
        return 0;
    }
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *out = (enum vs_log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *vs_log_level_name(enum vs_log_level level)
{
    return level <= VS_LOG_DEBUG3 ? level_names[level] : "?";
}

void vs_log_open(const char *ident, bool to_stderr, enum vs_log_level level)
{
    sink.to_stderr = to_stderr;
    sink.level = level;
    if (!to_stderr)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_AUTH);
}

void vs_log_set_level(enum vs_log_level level)
{
    sink.level = level;
}

void vs_log_set_prefix(const char *prefix)
{
    snprintf(sink.prefix, sizeof(sink.prefix), "%s", prefix ? prefix : "");
}

static int syslog_priority(enum vs_log_level level)
{
    switch (level) {
    case VS_LOG_FATAL:
        return LOG_CRIT;
    case VS_LOG_ERROR:
        return LOG_ERR;
    case VS_LOG_INFO:
    case VS_LOG_VERBOSE:
        return LOG_INFO;
    default:
        return LOG_DEBUG;
    }
}

/* Every message passes here, so this is the one place where what a client
 * sent (a user or subsystem name, an address, a variable, libssh's view of
 * the client's banner) is made harmless: control characters and DEL become
 * \n, \r, \t or \xNN and a backslash \\, so nothing can end a log line early
 * or forge another, nor drive a terminal that displays the log. */
static void escape_controls(char *out, size_t len, const char *in)
{
    size_t n = 0;
    for (; *in != '\0'; in++) {
        unsigned char c = (unsigned char)*in;
        char esc[5];
        size_t k;
        if (c >= 0x20 && c != 0x7f && c != '\\') {
            esc[0] = (char)c;
            k = 1;
        } else if (c == '\n' || c == '\r' || c == '\t' || c == '\\') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : '\\';
            k = 2;
        } else {
            snprintf(esc, sizeof(esc), "\\x%02x", c);
            k = 4;
        }
        if (n + k >= len)
            break;
        memcpy(out + n, esc, k);
        n += k;
    }
    out[n] = '\0';
}

static void vs_log_vmsg(enum vs_log_level level, const char *func, const char *fmt, va_list ap,
                        const char *suffix) __attribute__((format(printf, 3, 0)));
static void vs_log_vmsg(enum vs_log_level level, const char *func, const char *fmt, va_list ap,
                        const char *suffix)
{
    char raw[1024], msg[2048];
    int saved = errno;

    if (level == VS_LOG_QUIET || level > sink.level) {
        errno = saved;
        return;
    }
    int n = vsnprintf(raw, sizeof(raw), fmt, ap);
    if (suffix != NULL && n >= 0 && (size_t)n < sizeof(raw))
        snprintf(raw + n, sizeof(raw) - (size_t)n, ": %s", suffix);
    escape_controls(msg, sizeof(msg), raw);
    /* Debug output carries the function name; ordinary lines stay readable. */
    bool with_func = sink.level >= VS_LOG_DEBUG1 && func != NULL;
    const char *sep = sink.prefix[0] ? ": " : "";
    if (sink.to_stderr) {
        fprintf(stderr, "vsock-sshd[%ld]: %s%s%s%s%s\n", (long)getpid(), sink.prefix, sep,
                with_func ? func : "", with_func ? ": " : "", msg);
    } else {
        syslog(syslog_priority(level), "%s%s%s%s%s", sink.prefix, sep, with_func ? func : "",
               with_func ? ": " : "", msg);
    }
    errno = saved;
}

void vs_log_msg(enum vs_log_level level, const char *func, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vs_log_vmsg(level, func, fmt, ap, NULL);
    va_end(ap);
}

int vs_log_errno(enum vs_log_level level, const char *func, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vs_log_vmsg(level, func, fmt, ap, strerror(err < 0 ? -err : err));
    va_end(ap);
    return err;
}

static void libssh_log_cb(int priority, const char *function, const char *buffer, void *userdata)
{
    (void)userdata;
    enum vs_log_level level;

    switch (priority) {
    case SSH_LOG_WARN:
        level = VS_LOG_VERBOSE;
        break;
    case SSH_LOG_INFO:
        level = VS_LOG_DEBUG1;
        break;
    case SSH_LOG_DEBUG:
        level = VS_LOG_DEBUG2;
        break;
    default:
        level = VS_LOG_DEBUG3;
        break;
    }
    vs_log_msg(level, function, "libssh: %s", buffer);
}

void vs_log_attach_libssh(void)
{
    int verbosity = SSH_LOG_NOLOG;

    if (sink.level >= VS_LOG_DEBUG3)
        verbosity = SSH_LOG_TRACE;
    else if (sink.level >= VS_LOG_DEBUG2)
        verbosity = SSH_LOG_DEBUG;
    else if (sink.level >= VS_LOG_DEBUG1)
        verbosity = SSH_LOG_INFO;
    else if (sink.level >= VS_LOG_VERBOSE)
        verbosity = SSH_LOG_WARN;
    ssh_set_log_callback(libssh_log_cb);
    ssh_set_log_level(verbosity);
}

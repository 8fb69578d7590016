#include "loginrec.h"

#include <errno.h>
#include <fcntl.h>
#include <lastlog.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utmpx.h>

#include "log.h"

#define LASTLOG_PATH "/var/log/lastlog"

/* ---- the monitor's side: write them, as root ------------------------------ */

/* utmp's fixed fields need no NUL when full (dst is zeroed). */
static void field(char *dst, size_t size, const char *src)
{
    memcpy(dst, src, strnlen(src, size));
}

static void utmp_write(const char *user, const char *line, const char *host, pid_t pid, bool start)
{
    struct utmpx ut;
    struct timespec now;
    size_t n = strlen(line);

    memset(&ut, 0, sizeof(ut));
    clock_gettime(CLOCK_REALTIME, &now);
    ut.ut_type = start ? USER_PROCESS : DEAD_PROCESS;
    ut.ut_pid = pid;
    field(ut.ut_line, sizeof(ut.ut_line), line);
    /* The id is the line's last characters, as login(1) and sshd make it. */
    field(ut.ut_id, sizeof(ut.ut_id), n > sizeof(ut.ut_id) ? line + n - sizeof(ut.ut_id) : line);
    if (start) {
        field(ut.ut_user, sizeof(ut.ut_user), user);
        field(ut.ut_host, sizeof(ut.ut_host), host);
    }
    ut.ut_tv.tv_sec = (int32_t)now.tv_sec;
    ut.ut_tv.tv_usec = (int32_t)(now.tv_nsec / 1000);
    setutxent();
    if (pututxline(&ut) == NULL)
        log_verbose("utmp: %s", strerror(errno));
    endutxent();
    updwtmpx(_PATH_WTMP, &ut);
}

static void lastlog_write(uid_t uid, const char *line, const char *host)
{
    struct lastlog ll;
    int fd = open(LASTLOG_PATH, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0)
        return; /* none on this system (Debian 13 has lastlog2, through PAM) */
    memset(&ll, 0, sizeof(ll));
    ll.ll_time = (int32_t)time(NULL);
    field(ll.ll_line, sizeof(ll.ll_line), line);
    field(ll.ll_host, sizeof(ll.ll_host), host);
    if (pwrite(fd, &ll, sizeof(ll), (off_t)uid * (off_t)sizeof(ll)) != (ssize_t)sizeof(ll))
        log_verbose("lastlog: %s", strerror(errno));
    close(fd);
}

void vs_loginrec_write(const struct vs_user *u, const char *line, const char *host, pid_t pid,
                       bool start)
{
    utmp_write(u->name, line, host, pid, start);
    if (start)
        lastlog_write(u->uid, line, host);
}

bool vs_loginrec_line_ours(const char *line, const char *user, pid_t pid)
{
    struct utmpx key, *ut;
    bool ours = true;

    memset(&key, 0, sizeof(key));
    field(key.ut_line, sizeof(key.ut_line), line);
    setutxent();
    ut = getutxline(&key);
    if (ut != NULL && ut->ut_type == USER_PROCESS &&
        (ut->ut_pid != pid || strncmp(ut->ut_user, user, sizeof(ut->ut_user)) != 0))
        ours = false;
    endutxent();
    return ours;
}

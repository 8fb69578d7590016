/* Login records: the utmp, wtmp and lastlog records of PTY sessions, and
 * nothing else writes them.  Only the root monitor (monitor.h) calls this,
 * once it has checked a session's claim (vs_monitor_record_start and
 * vs_monitor_record_end are how a session asks): it writes them
 * (vs_loginrec_write) and asks whose utmp's record for a line is
 * (vs_loginrec_line_ours). */
#ifndef VS_LOGINREC_H
#define VS_LOGINREC_H

#include <stdbool.h>
#include <sys/types.h>

#include "user.h"

/* In the monitor, as root, once the claim is checked: a login (utmp, wtmp
 * and lastlog) or a logout (utmp and wtmp) of user u on line ("pts/N") by
 * process pid, from host. */
void vs_loginrec_write(const struct vs_user *u, const char *line, const char *host, pid_t pid,
                       bool start);

/* Whether utmp's record for line, if it has one, is the login of user by
 * process pid: not another login's, which a logout record would erase. */
bool vs_loginrec_line_ours(const char *line, const char *user, pid_t pid);

#endif

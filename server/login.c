#include "login.h"

#include <errno.h>
#include <fcntl.h>
#include <lastlog.h>
#include <poll.h>
#include <shadow.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utmpx.h>

#ifdef VS_HAVE_PAM
#include <security/pam_appl.h>
#endif

#include "fdutil.h"
#include "log.h"
#include "policy.h"
#include "signals.h"
#include "util.h"

#define NOLOGIN_PATH "/etc/nologin"
#define LASTLOG_PATH "/var/log/lastlog"
/* How long a PTY session waits for its utmp record. */
#define VS_LOGIN_RECORD_WAIT_MS 2000
/* Descriptors the monitor needs besides one pidfd per session process. */
#define VS_LOGIN_MONITOR_FDS 64

/* Linux 5.1 and 5.3; musl and older C libraries may lack the names (the
 * numbers are the same on every architecture). */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* What the child tells the monitor, and the only thing it may: a message
 * of exactly this size, one of these kinds (tests/integration/liar.py
 * sends it too).  A TTY start alone comes with a descriptor, the channel
 * for its answer. */
enum { MSG_TTY_END = 0, MSG_TTY_START = 1, MSG_PROC_START = 2, MSG_PROC_END = 3 };
struct mon_msg {
    uint32_t op; /* MSG_* */
    int32_t pid;
    char line[32]; /* "pts/N", NUL-terminated (MSG_TTY_*) */
};

static void set_why(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t len, const char *fmt, ...)
{
    char raw[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    vs_printable(why, len, raw);
}

/* ---- account checks ---------------------------------------------------- */

/* The account's shadow entry, its strings in buf.  shadow is readable by
 * root only; a server that is not root has no view of it (and runs
 * sessions only as itself), nor has an account shadow does not list. */
static void shadow_facts(const struct vs_user *u, struct vs_account_facts *f, char *buf, size_t len)
{
    struct spwd sp, *res = NULL;

    *f = (struct vs_account_facts){
        .uid = u->uid, .expire_day = -1, .today = (long)(time(NULL) / 86400)};
    if (getspnam_r(u->name, &sp, buf, len, &res) == 0 && res != NULL) {
        f->password = sp.sp_pwdp;
        f->expire_day = sp.sp_expire;
    }
}

/* A locked password refuses the login with PAM and without: null
 * authentication runs no auth stack, where pam_unix would see the lock,
 * and pam_unix's account stack does not look.  The reason says how an
 * account that merely has no password ("!" is what useradd gives it) is
 * made one that may log in without one. */
static int account_locked(const struct vs_user *u, const struct vs_account_facts *all, char *why,
                          size_t len)
{
    struct vs_account_facts f = {
        .uid = all->uid, .password = all->password, .expire_day = -1, .today = all->today};
    const char *reason;

    if (vs_account_usable(&f, &reason))
        return 0;
    set_why(why, len,
            "%s (its password field starts with '%s'; for an account without a password use "
            "'*': usermod -p '*' %s)",
            reason, f.password != NULL && f.password[0] == '!' ? "!" : "*LK*", u->name);
    return -EACCES;
}

#ifdef VS_HAVE_PAM
struct conv_state {
    char text[1024]; /* what modules said (pam_nologin's file, expiry notes) */
};

/* No one to ask: prompts fail; messages are kept for the refusal. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct conv_state *st = data;

    if (n <= 0 || n > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    for (int i = 0; i < n; i++) {
        int style = msg[i]->msg_style;
        if (style != PAM_ERROR_MSG && style != PAM_TEXT_INFO)
            return PAM_CONV_ERR;
        if (st != NULL && msg[i]->msg != NULL) {
            size_t used = strlen(st->text);
            snprintf(st->text + used, sizeof(st->text) - used, "%s%s", used ? " " : "",
                     msg[i]->msg);
        }
    }
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    *resp = r;
    return PAM_SUCCESS;
}

static struct conv_state conv_state;
static const struct pam_conv pam_conv = {conv, &conv_state};

static int account_with_pam(struct vs_login *l, const struct vs_user *u, char *why, size_t len)
{
    pam_handle_t *pamh = NULL;
    int rc = pam_start(VS_PAM_SERVICE, u->name, &pam_conv, &pamh);

    if (rc != PAM_SUCCESS) {
        set_why(why, len, "PAM: %s", pam_strerror(pamh, rc));
        return -EIO;
    }
    l->pam = pamh;
    conv_state.text[0] = '\0';
    /* PAM_TTY "ssh" until a PTY exists, as OpenSSH's sshd has it. */
    if ((rc = pam_set_item(pamh, PAM_RHOST, l->host)) != PAM_SUCCESS ||
        (rc = pam_set_item(pamh, PAM_TTY, "ssh")) != PAM_SUCCESS) {
        set_why(why, len, "PAM: %s", pam_strerror(pamh, rc));
        return -EIO;
    }
    rc = pam_acct_mgmt(pamh, 0);
    if (rc == PAM_SUCCESS)
        return 0;
    if (rc == PAM_NEW_AUTHTOK_REQD)
        set_why(why, len,
                "the account's password has expired and must be changed, which null "
                "authentication cannot do%s%s",
                conv_state.text[0] ? ": " : "", conv_state.text);
    else
        set_why(why, len, "PAM account check: %s%s%s", pam_strerror(pamh, rc),
                conv_state.text[0] ? ": " : "", conv_state.text);
    return -EACCES;
}
#endif

int vs_login_pam_check(char *why, size_t len)
{
    static const char *const dirs[] = {"/etc/pam.d", "/usr/lib/pam.d", "/lib/pam.d"};
    char path[128];

    for (size_t i = 0; i < VS_ARRAY_SIZE(dirs); i++) {
        snprintf(path, sizeof(path), "%s/%s", dirs[i], VS_PAM_SERVICE);
        if (access(path, R_OK) == 0)
            return 0;
    }
    snprintf(why, len,
             "UsePAM yes, but there is no PAM service '%s' (looked in /etc/pam.d, "
             "/usr/lib/pam.d, /lib/pam.d): install the one vsock-ssh ships, or set UsePAM no",
             VS_PAM_SERVICE);
    return -ENOENT;
}

int vs_login_account(struct vs_login *l, const struct vs_config *cfg, const struct vs_user *u,
                     const char *host, char *why, size_t len)
{
    struct vs_account_facts f;
    char buf[4096];
    const char *reason;

    snprintf(l->host, sizeof(l->host), "%s", host);
    l->monitor_fd = -1;
    l->pam_cred = l->pam_session = false;
    shadow_facts(u, &f, buf, sizeof(buf));
    int r = account_locked(u, &f, why, len);
    if (r < 0)
        return r;
#ifdef VS_HAVE_PAM
    if (cfg->use_pam && geteuid() == 0)
        return account_with_pam(l, u, why, len);
#else
    (void)cfg;
#endif
    /* Without PAM: OpenSSH's expiry and /etc/nologin rules. */
    f.nologin = access(NOLOGIN_PATH, F_OK) == 0;
    if (vs_account_usable(&f, &reason))
        return 0;
    set_why(why, len, "%s", reason);
    return -EACCES;
}

/* ---- utmp, wtmp, lastlog ------------------------------------------------- */

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

/* ---- the monitor ----------------------------------------------------------- */

/* A PTY the monitor recorded, and the terminal as it was then: an end
 * record is written only while /dev/pts/N is still that terminal. */
struct mon_tty {
    char line[32]; /* "pts/N" */
    pid_t pid;     /* the session's process: utmp's ut_pid */
    dev_t rdev;    /* /dev/pts/N's device number, */
    dev_t dev;     /* and its devpts instance and inode */
    ino_t ino;
};

/* A session's process, held by a pidfd: that process, whoever may take
 * its pid once it is gone. */
struct mon_proc {
    pid_t pid;
    int pidfd;
};

struct monitor {
    const struct vs_user *user;
    const char *host;
    pid_t child;
    unsigned max; /* the size of each table: the connection's MaxSessions */
    struct mon_tty *ttys;
    unsigned n_ttys;
    struct mon_proc *procs;
    unsigned n_procs;
};

static int pidfd_open_pid(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0); /* musl has no wrapper */
}

static int pidfd_signal(int pidfd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* The child runs as the user: a message is a claim to check, not a fact.
 * A start names a PTY of ours the user owns, or a process of the user's
 * whose parent is the child; an end, one we recorded. */

/* Reads /proc/PID/NAME into buf, NUL-terminated.  Returns its length or
 * -errno. */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return -EIO;
    buf[n] = '\0';
    return n;
}

/* The parent of pid, from /proc; -1 if unknown. */
static pid_t parent_of(pid_t pid)
{
    char buf[1024];
    if (read_proc(pid, "stat", buf, sizeof(buf)) < 0)
        return -1;
    const char *p = strrchr(buf, ')'); /* the command name may hold anything */
    int ppid;
    return p != NULL && sscanf(p, ") %*c %d", &ppid) == 1 ? ppid : -1;
}

/* The real uid of pid, from /proc (a set-ID program keeps it); -1 if unknown. */
static long real_uid_of(pid_t pid)
{
    char buf[2048];
    if (read_proc(pid, "status", buf, sizeof(buf)) < 0)
        return -1;
    const char *p = strstr(buf, "\nUid:");
    unsigned long uid;
    return p != NULL && sscanf(p, "\nUid: %lu", &uid) == 1 ? (long)uid : -1;
}

/* A session's process, started or reaped by the child.  A start is
 * believed for a process of the user's whose parent is the child.  Its
 * pidfd is taken before the checks, and the process found alive through
 * it after them: so the checks read the process the pidfd holds, not one
 * that took over its pid in between. */
static void monitor_proc(struct monitor *m, const struct mon_msg *msg)
{
    if (msg->pid <= 0)
        return;
    for (unsigned i = 0; i < m->n_procs; i++) {
        if (m->procs[i].pid != msg->pid)
            continue;
        /* A start for a process held and still there: told twice.  Else
         * an end, or a start for a pid that a process of ours held until
         * it went unreported (the child need not tell). */
        if (msg->op == MSG_PROC_START && pidfd_signal(m->procs[i].pidfd, 0) == 0)
            return;
        vs_close(m->procs[i].pidfd);
        m->procs[i] = m->procs[--m->n_procs];
        break;
    }
    if (msg->op != MSG_PROC_START || m->n_procs >= m->max)
        return;
    int pidfd = pidfd_open_pid(msg->pid);
    if (pidfd < 0) {
        if (errno != ESRCH)
            log_verbose("pidfd_open: %s", strerror(errno));
        return;
    }
    if (parent_of(msg->pid) != m->child || real_uid_of(msg->pid) != (long)m->user->uid ||
        pidfd_signal(pidfd, 0) < 0) {
        vs_close(pidfd);
        return;
    }
    m->procs[m->n_procs++] = (struct mon_proc){.pid = msg->pid, .pidfd = pidfd};
}

/* The child died without hanging up its sessions (killed, crashed): each
 * session's process gets the SIGHUP it would have sent.  PR_SET_PDEATHSIG
 * does the same from the kernel, but a command that executes a set-ID
 * program loses it.  Only a process still the user's is signalled, and
 * through its pidfd: if the signal lands, the process was alive across the
 * read of its uid, so the read was of it. */
static void monitor_hang_up(const struct monitor *m)
{
    for (unsigned i = 0; i < m->n_procs; i++)
        if (real_uid_of(m->procs[i].pid) == (long)m->user->uid)
            pidfd_signal(m->procs[i].pidfd, SIGHUP);
}

/* Whether utmp's record for line, if it has one, is the one written for
 * pid: not another login's, which an end record would erase. */
static bool utmp_line_ours(const struct monitor *m, const char *line, pid_t pid)
{
    struct utmpx key, *ut;
    bool ours = true;

    memset(&key, 0, sizeof(key));
    field(key.ut_line, sizeof(key.ut_line), line);
    setutxent();
    ut = getutxline(&key);
    if (ut != NULL && ut->ut_type == USER_PROCESS &&
        (ut->ut_pid != pid || strncmp(ut->ut_user, m->user->name, sizeof(ut->ut_user)) != 0))
        ours = false;
    endutxent();
    return ours;
}

/* Whether the end record of t may be written: /dev/pts/N is still the
 * terminal recorded (device, devpts instance and inode) and still the
 * user's, or gone with the last process that had it open; and utmp's
 * record for the line is not another login's.  The child may lie: an end
 * for a terminal freed since and handed to another login must not erase
 * that login's record, nor may the last records when the child dies. */
static bool tty_still_ours(const struct monitor *m, const struct mon_tty *t)
{
    char dev[64];
    struct stat st;

    snprintf(dev, sizeof(dev), "/dev/%s", t->line);
    if (lstat(dev, &st) == 0) {
        if (!S_ISCHR(st.st_mode) || st.st_rdev != t->rdev || st.st_dev != t->dev ||
            st.st_ino != t->ino || st.st_uid != m->user->uid)
            return false;
    } else if (errno != ENOENT) {
        return false;
    }
    return utmp_line_ours(m, t->line, t->pid);
}

/* Ends the record of m->ttys[i] and forgets it. */
static void tty_end(struct monitor *m, unsigned i)
{
    struct mon_tty *t = &m->ttys[i];

    if (tty_still_ours(m, t))
        utmp_write(m->user->name, t->line, m->host, t->pid, false);
    else
        log_info("no logout record for user %s on %s: the terminal is no longer this login's",
                 m->user->name, t->line);
    m->ttys[i] = m->ttys[--m->n_ttys];
}

static void monitor_tty(struct monitor *m, const struct mon_msg *msg)
{
    char line[sizeof(msg->line)], dev[64];
    struct stat st;
    unsigned num;
    int end = 0;

    memcpy(line, msg->line, sizeof(line));
    line[sizeof(line) - 1] = '\0';
    if (sscanf(line, "pts/%u%n", &num, &end) != 1 || line[end] != '\0' || msg->pid <= 0)
        return;
    for (unsigned i = 0; i < m->n_ttys; i++)
        if (strcmp(m->ttys[i].line, line) == 0) {
            if (msg->op == MSG_TTY_END)
                tty_end(m, i);
            return;
        }
    if (msg->op != MSG_TTY_START)
        return;
    /* A session's process (the connection's child) on a PTY the user owns. */
    snprintf(dev, sizeof(dev), "/dev/%s", line);
    if (m->n_ttys >= m->max || lstat(dev, &st) < 0 || !S_ISCHR(st.st_mode) ||
        st.st_uid != m->user->uid || parent_of(msg->pid) != m->child)
        return;
    struct mon_tty *t = &m->ttys[m->n_ttys++];
    *t = (struct mon_tty){.pid = msg->pid, .rdev = st.st_rdev, .dev = st.st_dev, .ino = st.st_ino};
    snprintf(t->line, sizeof(t->line), "%s", line);
    utmp_write(m->user->name, line, m->host, msg->pid, true);
    lastlog_write(m->user->uid, line, m->host);
}

/* Whether fd is a channel the monitor may answer on: a Unix stream
 * socket, where a send() that does not wait reaches nothing but its
 * reader.  getsockopt first: on anything but a socket it fails without
 * involving the file's driver (fstat on a FUSE file asks its daemon). */
static bool answer_channel(int fd)
{
    int v;
    socklen_t vlen = sizeof(v);
    struct stat st;

    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &vlen) < 0 || v != AF_UNIX)
        return false;
    vlen = sizeof(v);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vlen) < 0 || v != SOCK_STREAM)
        return false;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Takes one message off the child's socket and acts on it.  Returns 0, or
 * -1 once the socket is done with (its end, an error).  The message is
 * looked at first with no room for descriptors: those sent with anything
 * but a TTY start are dropped by the kernel and never installed here (a
 * close() can wait on whatever serves a file).  A TTY start's one
 * descriptor gets the answer only if it is a Unix stream socket, and is
 * closed untouched otherwise.  Nothing here waits. */
static int monitor_read(struct monitor *m, int sock)
{
    struct mon_msg msg;
    int reply = -1;
    long n = recv(sock, &msg, sizeof(msg), MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);

    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    if (n == (long)sizeof(msg) && msg.op == MSG_TTY_START) {
        n = vs_recv_with_fd(sock, &msg, sizeof(msg), &reply, MSG_DONTWAIT | MSG_TRUNC);
    } else {
        n = recv(sock, &msg, sizeof(msg), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0)
            n = -errno;
    }
    bool whole = n == (long)sizeof(msg);
    if (whole && (msg.op == MSG_PROC_START || msg.op == MSG_PROC_END))
        monitor_proc(m, &msg);
    else if (whole && (msg.op == MSG_TTY_START || msg.op == MSG_TTY_END))
        monitor_tty(m, &msg);
    if (reply >= 0) {
        /* Done (or refused): the session may go on. */
        if (whole && msg.op == MSG_TTY_START && answer_channel(reply))
            (void)!send(reply, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        close(reply);
    }
    return n == 0 || (n < 0 && n != -EAGAIN && n != -EWOULDBLOCK && n != -EINTR) ? -1 : 0;
}

/* Waits for the child, forwarding the signals meant for the connection;
 * records what it reports.  Returns its wait status.  Nothing in the loop
 * waits but poll(), which SIGCHLD ends: the child's death is seen at once,
 * whatever it sent before. */
static int monitor_wait(struct monitor *m, int fd)
{
    int status = 0;

    for (;;) {
        struct pollfd p[2] = {{vs_signals_fd(), POLLIN, 0}, {fd, POLLIN, 0}};
        if (poll(p, fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR) {
            /* Cannot watch: still never close the login under the child. */
            while (waitpid(m->child, &status, 0) < 0 && errno == EINTR)
                ;
            return status;
        }
        unsigned sigs = (p[0].revents & POLLIN) ? vs_signals_take() : 0;
        for (int sig = 1; sig < 32; sig++)
            if (sig != SIGCHLD && (sigs & VS_SIGBIT(sig)))
                kill(m->child, sig);
        if (fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) && monitor_read(m, fd) < 0)
            fd = vs_close(fd);
        pid_t pid = waitpid(m->child, &status, WNOHANG);
        if (pid == m->child)
            return status;
    }
}

/* The monitor holds a pidfd per session process: room for MaxSessions of
 * them whatever the limit it has (pam_limits set the user's on it). */
static void monitor_fd_limit(unsigned max)
{
    rlim_t need = (rlim_t)max + VS_LOGIN_MONITOR_FDS;
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return;
    rl.rlim_cur = need;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        rl.rlim_max = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        log_verbose("cannot raise the monitor's descriptor limit to %llu: %s",
                    (unsigned long long)need, strerror(errno));
}

#ifdef VS_HAVE_PAM
/* OpenSSH's sshd's order: credentials, then the session, both on the
 * handle that deletes and closes them at the end (the monitor's). */
static int pam_login_open(struct vs_login *l, char *why, size_t len)
{
    pam_handle_t *pamh = l->pam;
    int rc = pam_setcred(pamh, PAM_ESTABLISH_CRED | PAM_SILENT);

    if (rc != PAM_SUCCESS) {
        set_why(why, len, "PAM credentials: %s%s%s", pam_strerror(pamh, rc),
                conv_state.text[0] ? ": " : "", conv_state.text);
        return -EACCES;
    }
    l->pam_cred = true;
    rc = pam_open_session(pamh, PAM_SILENT);
    if (rc != PAM_SUCCESS) {
        set_why(why, len, "PAM session: %s%s%s", pam_strerror(pamh, rc),
                conv_state.text[0] ? ": " : "", conv_state.text);
        return -EACCES;
    }
    l->pam_session = true;
    return 0;
}

/* Closes what pam_login_open opened, in reverse, and ends the handle. */
static void pam_login_close(struct vs_login *l)
{
    pam_handle_t *pamh = l->pam;
    int rc = PAM_SUCCESS;

    if (l->pam_session && (rc = pam_close_session(pamh, PAM_SILENT)) != PAM_SUCCESS)
        log_error("PAM: closing the session: %s", pam_strerror(pamh, rc));
    if (l->pam_cred)
        pam_setcred(pamh, PAM_DELETE_CRED | PAM_SILENT);
    pam_end(pamh, rc);
    l->pam = NULL;
    l->pam_cred = l->pam_session = false;
}
#endif

int vs_login_open(struct vs_login *l, const struct vs_user *u, unsigned max_sessions,
                  const int *close_fds, char *why, size_t len)
{
    int sv[2], r = -EIO;

    if (geteuid() != 0)
        return 0;
    /* The monitor's tables, made before the fork so that a failure still
     * refuses the login: MaxSessions entries each (one at least). */
    size_t slots = max_sessions > 0 ? max_sessions : 1;
    struct monitor m = {.user = u,
                        .host = l->host,
                        .max = max_sessions,
                        .ttys = calloc(slots, sizeof(struct mon_tty)),
                        .procs = calloc(slots, sizeof(struct mon_proc))};
    if (m.ttys == NULL || m.procs == NULL) {
        set_why(why, len, "%s", strerror(ENOMEM));
        goto fail;
    }
#ifdef VS_HAVE_PAM
    if (l->pam != NULL && (r = pam_login_open(l, why, len)) < 0)
        goto fail;
    r = -EIO;
#endif
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        set_why(why, len, "socketpair: %s", strerror(errno));
        goto fail;
    }
    pid_t pid = fork();
    if (pid < 0) {
        set_why(why, len, "fork: %s", strerror(errno));
        vs_close(sv[0]);
        vs_close(sv[1]);
        goto fail;
    }
    if (pid == 0) {
        free(m.ttys);
        free(m.procs);
        vs_close(sv[0]);
        l->monitor_fd = sv[1];
        l->monitor_pid = getppid();
        vs_set_nonblock(sv[1]);
        return 0;
    }

    /* The monitor: root, holding the PAM session, and nothing of the
     * connection (its socket, the listener's notice pipe) or of stdio. */
    vs_close(sv[1]);
    for (const int *fd = close_fds; *fd >= 0; fd++)
        close(*fd);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    alarm(0);
    vs_signals_init(); /* a pipe of its own: the child keeps the old one */
    monitor_fd_limit(max_sessions);
    m.child = pid;
    int status = monitor_wait(&m, sv[0]);
    if (WIFSIGNALED(status)) {
        log_error("connection process for user %s died of signal %d", u->name, WTERMSIG(status));
        monitor_hang_up(&m);
    }
    while (m.n_ttys > 0)
        tty_end(&m, m.n_ttys - 1);
#ifdef VS_HAVE_PAM
    if (l->pam != NULL)
        pam_login_close(l);
#endif
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);

fail:
    free(m.ttys);
    free(m.procs);
#ifdef VS_HAVE_PAM
    if (l->pam != NULL)
        pam_login_close(l);
#endif
    return r;
}

int vs_login_setcred(struct vs_login *l)
{
#ifdef VS_HAVE_PAM
    pam_handle_t *pamh = l->pam;
    if (pamh == NULL)
        return 0;
    /* Again, in this process: initgroups wiped the supplementary groups
     * the monitor's pam_setcred may have given (pam_group), as OpenSSH's
     * sshd re-establishes them in its session's process. */
    int rc = pam_setcred(pamh, PAM_ESTABLISH_CRED | PAM_SILENT);
    if (rc == PAM_SUCCESS)
        l->env = pam_getenvlist(pamh); /* with what setcred added (KRB5CCNAME, pam_env) */
    else
        log_error("PAM: setting credentials: %s", pam_strerror(pamh, rc));
    /* The monitor owns the credentials and the session: let go without
     * deleting or closing anything. */
    pam_end(pamh, rc | PAM_DATA_SILENT);
    l->pam = NULL;
    l->pam_cred = l->pam_session = false;
    return rc == PAM_SUCCESS ? 0 : -EACCES;
#else
    (void)l;
    return 0;
#endif
}

void vs_login_proc(struct vs_login *l, pid_t pid, bool start)
{
    struct mon_msg msg = {.op = start ? MSG_PROC_START : MSG_PROC_END, .pid = pid};

    if (l->monitor_fd >= 0)
        vs_send_with_fd(l->monitor_fd, &msg, sizeof(msg), -1);
}

void vs_login_tty(struct vs_login *l, pid_t pid, const char *tty, bool start)
{
    struct mon_msg msg = {.op = start ? MSG_TTY_START : MSG_TTY_END, .pid = pid};
    int sv[2] = {-1, -1};

    if (l->monitor_fd < 0 || strncmp(tty, "/dev/", 5) != 0)
        return;
    snprintf(msg.line, sizeof(msg.line), "%s", tty + 5);
    /* A start waits (briefly) for the record, so that the session's first
     * command already finds itself in utmp; the answer comes on a Unix
     * stream socket of its own (the only channel the monitor answers on),
     * as sessions may start at once. */
    if (start && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return;
    if (vs_send_with_fd(l->monitor_fd, &msg, sizeof(msg), sv[1]) == 0 && start) {
        struct pollfd p = {sv[0], POLLIN, 0};
        char c;
        if (poll(&p, 1, VS_LOGIN_RECORD_WAIT_MS) == 1)
            (void)!read(sv[0], &c, 1);
    }
    vs_close(sv[0]);
    vs_close(sv[1]);
}

void vs_login_free(struct vs_login *l)
{
#ifdef VS_HAVE_PAM
    if (l->pam != NULL) /* refused before a session: nothing was opened */
        pam_end(l->pam, PAM_SUCCESS);
    l->pam = NULL;
    l->pam_cred = l->pam_session = false;
#endif
    if (l->env != NULL) {
        for (char **e = l->env; *e != NULL; e++)
            free(*e);
        free(l->env);
        l->env = NULL;
    }
    l->monitor_fd = vs_close(l->monitor_fd);
}

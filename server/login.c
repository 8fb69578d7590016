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
#include <sys/socket.h>
#include <sys/stat.h>
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

/* What the child tells the monitor; nothing else crosses. */
enum { MSG_TTY_END = 0, MSG_TTY_START = 1, MSG_PROC_START = 2, MSG_PROC_END = 3 };
struct tty_msg {
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

static int account_without_pam(const struct vs_user *u, char *why, size_t len)
{
    struct vs_account_facts f = {.uid = u->uid, .expire_day = -1};
    struct spwd sp, *res = NULL;
    char buf[4096];
    const char *reason;

    /* shadow is readable by root only; a server that is not root has no
     * view of it (and runs sessions only as itself). */
    if (getspnam_r(u->name, &sp, buf, sizeof(buf), &res) == 0 && res != NULL) {
        f.password = sp.sp_pwdp;
        f.expire_day = sp.sp_expire;
    }
    f.today = (long)(time(NULL) / 86400);
    f.nologin = access(NOLOGIN_PATH, F_OK) == 0;
    if (vs_account_usable(&f, &reason))
        return 0;
    set_why(why, len, "%s", reason);
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
    snprintf(l->host, sizeof(l->host), "%s", host);
    l->monitor_fd = -1;
#ifdef VS_HAVE_PAM
    if (cfg->use_pam && geteuid() == 0)
        return account_with_pam(l, u, why, len);
#else
    (void)cfg;
#endif
    return account_without_pam(u, why, len);
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

struct monitor {
    const struct vs_user *user;
    const char *host;
    pid_t child;
    struct {
        char line[32];
        pid_t pid;
    } ttys[VS_LOGIN_MAX_TTYS];
    unsigned n_ttys;
    struct proc_id {
        pid_t pid;
        unsigned long long start; /* since boot, in clock ticks: pid reuse shows */
    } procs[VS_LOGIN_MAX_PROCS];
    unsigned n_procs;
};

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

/* A process's parent and start time, from /proc.  Returns 0 or -errno. */
static int proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start)
{
    char buf[1024];
    ssize_t n = read_proc(pid, "stat", buf, sizeof(buf));
    if (n < 0)
        return (int)n;
    const char *p = strrchr(buf, ')'); /* the command name may hold anything */
    int pp;
    /* Fields 3 (state) to 22 (starttime) follow the name; those skipped are
     * not stored, so their width does not matter. */
    if (p == NULL || sscanf(p,
                            ") %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
                            "%*d %*d %*d %*d %llu",
                            &pp, start) != 2)
        return -EIO;
    *ppid = pp;
    return 0;
}

/* The parent of pid, from /proc; -1 if unknown. */
static pid_t parent_of(pid_t pid)
{
    pid_t ppid;
    unsigned long long start;
    return proc_stat(pid, &ppid, &start) == 0 ? ppid : -1;
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

/* pid's parent and start time, if it is a process of the user's (its real
 * uid: a set-ID program keeps that). */
static bool users_proc(const struct monitor *m, pid_t pid, pid_t *ppid, unsigned long long *start)
{
    return proc_stat(pid, ppid, start) == 0 && real_uid_of(pid) == (long)m->user->uid;
}

/* A session's process, started or reaped by the child. */
static void monitor_proc(struct monitor *m, const struct tty_msg *msg)
{
    struct proc_id id = {.pid = msg->pid};
    pid_t ppid;

    if (msg->pid <= 0)
        return;
    if (msg->op == MSG_PROC_END) {
        for (unsigned i = 0; i < m->n_procs; i++)
            if (m->procs[i].pid == msg->pid) {
                m->procs[i] = m->procs[--m->n_procs];
                return;
            }
        return;
    }
    if (m->n_procs >= VS_LOGIN_MAX_PROCS || !users_proc(m, msg->pid, &ppid, &id.start) ||
        ppid != m->child)
        return;
    m->procs[m->n_procs++] = id;
}

/* The child died without hanging up its sessions (killed, crashed): each
 * session's process gets the SIGHUP it would have sent.  PR_SET_PDEATHSIG
 * does the same from the kernel, but a command that executes a set-ID
 * program loses it.  Only a process still the one reported (same start
 * time, still the user's) is signalled. */
static void monitor_hang_up(const struct monitor *m)
{
    for (unsigned i = 0; i < m->n_procs; i++) {
        pid_t ppid;
        unsigned long long start;
        if (users_proc(m, m->procs[i].pid, &ppid, &start) && start == m->procs[i].start)
            kill(m->procs[i].pid, SIGHUP);
    }
}

static void monitor_msg(struct monitor *m, const struct tty_msg *msg)
{
    char line[sizeof(msg->line)], dev[64];
    struct stat st;
    unsigned num;
    int end = 0;

    if (msg->op == MSG_PROC_START || msg->op == MSG_PROC_END) {
        monitor_proc(m, msg);
        return;
    }
    if (msg->op != MSG_TTY_START && msg->op != MSG_TTY_END)
        return;
    memcpy(line, msg->line, sizeof(line));
    line[sizeof(line) - 1] = '\0';
    if (sscanf(line, "pts/%u%n", &num, &end) != 1 || line[end] != '\0' || msg->pid <= 0)
        return;
    snprintf(dev, sizeof(dev), "/dev/%s", line);
    if (msg->op == MSG_TTY_START) {
        /* A session's process (the connection's child) on a PTY the user owns. */
        if (m->n_ttys >= VS_LOGIN_MAX_TTYS || lstat(dev, &st) < 0 || !S_ISCHR(st.st_mode) ||
            st.st_uid != m->user->uid || parent_of(msg->pid) != m->child)
            return;
        for (unsigned i = 0; i < m->n_ttys; i++)
            if (strcmp(m->ttys[i].line, line) == 0)
                return;
        snprintf(m->ttys[m->n_ttys].line, sizeof(m->ttys[0].line), "%s", line);
        m->ttys[m->n_ttys++].pid = msg->pid;
        utmp_write(m->user->name, line, m->host, msg->pid, true);
        lastlog_write(m->user->uid, line, m->host);
        return;
    }
    for (unsigned i = 0; i < m->n_ttys; i++)
        if (strcmp(m->ttys[i].line, line) == 0) {
            utmp_write(m->user->name, line, m->host, m->ttys[i].pid, false);
            m->ttys[i] = m->ttys[--m->n_ttys];
            return;
        }
}

/* Waits for the child, forwarding the signals meant for the connection;
 * records what it reports.  Returns its wait status. */
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
        if (fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            struct tty_msg msg;
            int reply = -1;
            long n = vs_recv_with_fd(fd, &msg, sizeof(msg), &reply, MSG_DONTWAIT);
            if (n == (long)sizeof(msg))
                monitor_msg(m, &msg);
            if (reply >= 0) { /* done (or refused): the session may go on */
                (void)!write(reply, "", 1);
                close(reply);
            }
            if (n == 0 || (n < 0 && n != -EAGAIN))
                fd = vs_close(fd);
        }
        pid_t pid = waitpid(m->child, &status, WNOHANG);
        if (pid == m->child)
            return status;
    }
}

#ifdef VS_HAVE_PAM
static int pam_session_open(struct vs_login *l, char *why, size_t len)
{
    pam_handle_t *pamh = l->pam;
    int rc = pam_open_session(pamh, PAM_SILENT);

    if (rc != PAM_SUCCESS) {
        set_why(why, len, "PAM session: %s%s%s", pam_strerror(pamh, rc),
                conv_state.text[0] ? ": " : "", conv_state.text);
        return -EACCES;
    }
    l->env = pam_getenvlist(pamh);
    return 0;
}

static void pam_session_close(struct vs_login *l)
{
    pam_handle_t *pamh = l->pam;
    int rc = pam_close_session(pamh, PAM_SILENT);

    if (rc != PAM_SUCCESS)
        log_error("PAM: closing the session: %s", pam_strerror(pamh, rc));
    pam_setcred(pamh, PAM_DELETE_CRED | PAM_SILENT);
    pam_end(pamh, rc);
    l->pam = NULL;
}
#endif

int vs_login_open(struct vs_login *l, const struct vs_user *u, const int *close_fds, char *why,
                  size_t len)
{
    int sv[2];

    if (geteuid() != 0)
        return 0;
#ifdef VS_HAVE_PAM
    if (l->pam != NULL) {
        int r = pam_session_open(l, why, len);
        if (r < 0)
            return r;
    }
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
    struct monitor m = {.user = u, .host = l->host, .child = pid};
    int status = monitor_wait(&m, sv[0]);
    if (WIFSIGNALED(status)) {
        log_error("connection process for user %s died of signal %d", u->name, WTERMSIG(status));
        monitor_hang_up(&m);
    }
    for (unsigned i = 0; i < m.n_ttys; i++)
        utmp_write(u->name, m.ttys[i].line, l->host, m.ttys[i].pid, false);
#ifdef VS_HAVE_PAM
    if (l->pam != NULL)
        pam_session_close(l);
#endif
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);

fail:
#ifdef VS_HAVE_PAM
    if (l->pam != NULL)
        pam_session_close(l);
#endif
    return -EIO;
}

int vs_login_setcred(struct vs_login *l)
{
#ifdef VS_HAVE_PAM
    pam_handle_t *pamh = l->pam;
    if (pamh == NULL)
        return 0;
    int rc = pam_setcred(pamh, PAM_ESTABLISH_CRED | PAM_SILENT);
    if (rc != PAM_SUCCESS)
        log_error("PAM: setting credentials: %s", pam_strerror(pamh, rc));
    /* The monitor owns the session: let go without closing anything. */
    pam_end(pamh, rc | PAM_DATA_SILENT);
    l->pam = NULL;
    return rc == PAM_SUCCESS ? 0 : -EACCES;
#else
    (void)l;
    return 0;
#endif
}

void vs_login_proc(struct vs_login *l, pid_t pid, bool start)
{
    struct tty_msg msg = {.op = start ? MSG_PROC_START : MSG_PROC_END, .pid = pid};

    if (l->monitor_fd >= 0)
        vs_send_with_fd(l->monitor_fd, &msg, sizeof(msg), -1);
}

void vs_login_tty(struct vs_login *l, pid_t pid, const char *tty, bool start)
{
    struct tty_msg msg = {.op = start ? MSG_TTY_START : MSG_TTY_END, .pid = pid};
    int sv[2] = {-1, -1};

    if (l->monitor_fd < 0 || strncmp(tty, "/dev/", 5) != 0)
        return;
    snprintf(msg.line, sizeof(msg.line), "%s", tty + 5);
    /* A start waits (briefly) for the record, so that the session's first
     * command already finds itself in utmp; the answer comes on a socket
     * of its own, as sessions may start at once. */
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
#endif
    if (l->env != NULL) {
        for (char **e = l->env; *e != NULL; e++)
            free(*e);
        free(l->env);
        l->env = NULL;
    }
    l->monitor_fd = vs_close(l->monitor_fd);
}

#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdutil.h"
#include "log.h"
#include "login.h"
#include "loginrec.h"
#include "pam.h"
#include "signals.h"
#include "user.h"
#include "util.h"

/* How long a session waits for the answer to an operation answered (its
 * utmp record). */
#define MON_ANSWER_WAIT_MS 2000
/* How long the connection waits for the check of its entry (monitor.h). */
#define MON_CONFIRM_WAIT_MS 10000
/* Descriptors the monitor needs besides one pidfd per session process. */
#define MON_SPARE_FDS 64

/* Linux 5.1 and 5.3; musl and older C libraries may lack the names (the
 * numbers are the same on every architecture). */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

_Static_assert(sizeof(struct vs_mon_msg) == 40, "the wire format of liar.py and older builds");

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
    /* What the caller said (records, the container's fields): it lives
     * as long as the monitor, which never returns to it. */
    const struct vs_monitor_params *p;
    char answer; /* the byte an answered operation's handler says */
    pid_t child;
    unsigned max; /* the size of each table: the connection's MaxSessions */
    struct mon_tty *ttys;
    unsigned n_ttys;
    struct mon_proc *procs;
    unsigned n_procs;
};

/* ---- the child's claims, checked against the system ---------------------- */

static int pidfd_open_pid(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0); /* musl has no wrapper */
}

static int pidfd_signal(int pidfd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

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
    return vs_loginrec_line_ours(t->line, m->user->name, t->pid);
}

/* Ends the record of m->ttys[i] and forgets it. */
static void tty_end(struct monitor *m, unsigned i)
{
    struct mon_tty *t = &m->ttys[i];

    if (tty_still_ours(m, t))
        vs_loginrec_write(m->user, t->line, m->host, t->pid, false);
    else
        log_info("no logout record for user %s on %s: the terminal is no longer this login's",
                 m->user->name, t->line);
    m->ttys[i] = m->ttys[--m->n_ttys];
}

/* The index of the recorded PTY on line, or -1. */
static int tty_find(const struct monitor *m, const char *line)
{
    for (unsigned i = 0; i < m->n_ttys; i++)
        if (strcmp(m->ttys[i].line, line) == 0)
            return (int)i;
    return -1;
}

/* Forgets the session process pid, if held: its pidfd goes. */
static void proc_forget(struct monitor *m, pid_t pid)
{
    for (unsigned i = 0; i < m->n_procs; i++)
        if (m->procs[i].pid == pid) {
            vs_close(m->procs[i].pidfd);
            m->procs[i] = m->procs[--m->n_procs];
            return;
        }
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

/* ---- the operations: validators (pure) and handlers ------------------------ */

/* A session's process: a pid that can be one. */
static bool valid_proc(const struct vs_mon_msg *msg)
{
    return msg->pid > 0;
}

/* A PTY session's record: a process, and a line that is "pts/N" (N plain
 * decimal), NUL-terminated within its field. */
static bool valid_record(const struct vs_mon_msg *msg)
{
    size_t n = strnlen(msg->line, sizeof(msg->line));
    uint32_t num;

    return msg->pid > 0 && n < sizeof(msg->line) && strncmp(msg->line, "pts/", 4) == 0 &&
           vs_parse_u32(msg->line + 4, UINT32_MAX, &num) == 0;
}

/* A start is believed for a PTY the user owns, from a session's process
 * (the child's child); the records are written before the answer goes. */
static void record_start(struct monitor *m, const struct vs_mon_msg *msg)
{
    char dev[64];
    struct stat st;

    if (!m->p->records || tty_find(m, msg->line) >= 0)
        return;
    snprintf(dev, sizeof(dev), "/dev/%s", msg->line);
    if (m->n_ttys >= m->max || lstat(dev, &st) < 0 || !S_ISCHR(st.st_mode) ||
        st.st_uid != m->user->uid || parent_of(msg->pid) != m->child)
        return;
    struct mon_tty *t = &m->ttys[m->n_ttys++];
    *t = (struct mon_tty){.pid = msg->pid, .rdev = st.st_rdev, .dev = st.st_dev, .ino = st.st_ino};
    snprintf(t->line, sizeof(t->line), "%s", msg->line);
    vs_loginrec_write(m->user, t->line, m->host, t->pid, true);
}

/* An end, for a PTY recorded (tty_end checks the terminal is still it). */
static void record_end(struct monitor *m, const struct vs_mon_msg *msg)
{
    int i = tty_find(m, msg->line);
    if (i >= 0)
        tty_end(m, (unsigned)i);
}

/* A start is believed for a process of the user's whose parent is the
 * child.  Its pidfd is taken before the checks, and the process found
 * alive through it after them: so the checks read the process the pidfd
 * holds, not one that took over its pid in between. */
static void proc_start(struct monitor *m, const struct vs_mon_msg *msg)
{
    for (unsigned i = 0; i < m->n_procs; i++)
        /* Held and still there: told twice.  Else a pid that a process of
         * ours held until it went unreported (the child need not tell). */
        if (m->procs[i].pid == msg->pid && pidfd_signal(m->procs[i].pidfd, 0) == 0)
            return;
    proc_forget(m, msg->pid);
    if (m->n_procs >= m->max)
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

static void proc_end(struct monitor *m, const struct vs_mon_msg *msg)
{
    proc_forget(m, msg->pid);
}

static int cmp_gid(const void *a, const void *b)
{
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
    return x < y ? -1 : x > y;
}

/* The 4 ids of a status "Uid:" or "Gid:" line all equal want. */
static bool ids_are(const char *status, const char *key, unsigned long want)
{
    const char *p = strstr(status, key);
    unsigned long v[4];
    return p != NULL &&
           sscanf(p + strlen(key), "%lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3]) == 4 &&
           v[0] == want && v[1] == want && v[2] == want && v[3] == want;
}

static bool cap_of(const char *status, const char *key, unsigned long long *out)
{
    const char *p = strstr(status, key);
    return p != NULL && sscanf(p + strlen(key), "%llx", out) == 1;
}

/* The connection's process, as the guest's /proc shows it, is the account
 * and holds no capability beyond what its exec in the container would. */
static bool entered_as_claimed(const struct monitor *m)
{
    char path[64], status[8192], *g;
    unsigned long long inh, prm, eff, bnd, amb;
    gid_t have[VS_MON_MAX_GROUPS], want[VS_MON_MAX_GROUPS];
    unsigned n = 0;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)m->child);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t k = fd >= 0 ? read(fd, status, sizeof(status) - 1) : -1;
    vs_close(fd);
    if (k <= 0 || m->p->n_groups > VS_MON_MAX_GROUPS)
        return false;
    status[k] = '\0';
    if (!ids_are(status, "\nUid:", m->user->uid) || !ids_are(status, "\nGid:", m->p->gid) ||
        !cap_of(status, "\nCapInh:", &inh) || !cap_of(status, "\nCapPrm:", &prm) ||
        !cap_of(status, "\nCapEff:", &eff) || !cap_of(status, "\nCapBnd:", &bnd) ||
        !cap_of(status, "\nCapAmb:", &amb) || (g = strstr(status, "\nGroups:")) == NULL)
        return false;
    if (inh != 0 || amb != 0 || (prm & ~bnd) != 0 || (eff & ~prm) != 0 ||
        (!m->p->container_root && prm != 0))
        return false;
    for (char *s = g + 8, *end; n <= VS_MON_MAX_GROUPS; s = end) {
        unsigned long v = strtoul(s, &end, 10);
        if (end == s)
            break;
        if (n == VS_MON_MAX_GROUPS)
            return false;
        have[n++] = (gid_t)v;
    }
    if (n != m->p->n_groups)
        return false;
    memcpy(want, m->p->groups, n * sizeof(*want));
    qsort(have, n, sizeof(*have), cmp_gid);
    qsort(want, n, sizeof(*want), cmp_gid);
    return memcmp(have, want, n * sizeof(*want)) == 0;
}

/* Answered 'Y' when the check holds; otherwise the connection's process is
 * killed before it could read any answer. */
static void entered(struct monitor *m, const struct vs_mon_msg *msg)
{
    (void)msg;
    if (!m->p->container)
        return;
    if (entered_as_claimed(m)) {
        m->answer = 'Y';
        return;
    }
    log_error("the connection's process (%d) is not what entering the container must leave: "
              "killed",
              (int)m->child);
    kill(m->child, SIGKILL);
}

/* What the monitor answers, and nothing else: a new operation is one entry
 * here, with its validator.  size is the message's exact size (at most
 * sizeof(struct vs_mon_msg), the reader's buffer); answered: the message
 * brings one descriptor, a Unix stream socket, on which the monitor
 * answers once the handler is done, or refused (the sender waits for it).
 * valid sees only the message's bytes; handle checks the claim against
 * the system and acts. */
struct mon_op {
    uint32_t code;
    size_t size;
    bool answered;
    bool (*valid)(const struct vs_mon_msg *msg);
    void (*handle)(struct monitor *m, const struct vs_mon_msg *msg);
};

static const struct mon_op mon_ops[] = {
    {VS_MON_RECORD_END, sizeof(struct vs_mon_msg), false, valid_record, record_end},
    {VS_MON_RECORD_START, sizeof(struct vs_mon_msg), true, valid_record, record_start},
    {VS_MON_PROC_START, sizeof(struct vs_mon_msg), false, valid_proc, proc_start},
    {VS_MON_PROC_END, sizeof(struct vs_mon_msg), false, valid_proc, proc_end},
    {VS_MON_ENTERED, sizeof(struct vs_mon_msg), true, valid_proc, entered},
};

/* The entry for code; NULL for a code the table does not have. */
static const struct mon_op *op_find(uint32_t code)
{
    for (size_t i = 0; i < VS_ARRAY_SIZE(mon_ops); i++)
        if (mon_ops[i].code == code)
            return &mon_ops[i];
    return NULL;
}

bool vs_monitor_msg_acceptable(const void *buf, size_t len, bool with_fd)
{
    struct vs_mon_msg msg;

    if (len < sizeof(msg.op) || len > sizeof(msg))
        return false;
    memset(&msg, 0, sizeof(msg));
    memcpy(&msg, buf, len);
    const struct mon_op *op = op_find(msg.op);
    return op != NULL && len == op->size && (op->answered || !with_fd) && op->valid(&msg);
}

/* ---- the monitor's loop ------------------------------------------------------ */

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
 * looked at first with no room for descriptors: only a whole message of an
 * operation answered is read with room for one, and those sent with
 * anything else are dropped by the kernel and never installed here (a
 * close() can wait on whatever serves a file).  That descriptor gets the
 * answer only if it is a Unix stream socket, and is closed untouched
 * otherwise.  Nothing here waits. */
static int monitor_read(struct monitor *m, int sock)
{
    struct vs_mon_msg msg;
    int reply = -1;
    long n = recv(sock, &msg, sizeof(msg), MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);

    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    const struct mon_op *op = n >= (long)sizeof(msg.op) ? op_find(msg.op) : NULL;
    if (op != NULL && op->answered && n == (long)op->size) {
        n = vs_recv_with_fd(sock, &msg, sizeof(msg), &reply, MSG_DONTWAIT | MSG_TRUNC);
    } else {
        n = recv(sock, &msg, sizeof(msg), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0)
            n = -errno;
    }
    /* What was read is what was peeked (the monitor is this end's only
     * reader); its operation is looked up again all the same, and the
     * gate is the one the unit tests try. */
    bool whole = op != NULL && n == (long)op->size && op_find(msg.op) == op;
    m->answer = '\0';
    if (whole && vs_monitor_msg_acceptable(&msg, (size_t)n, reply >= 0))
        op->handle(m, &msg);
    if (reply >= 0) {
        /* Done (or refused): the session may go on. */
        if (whole && answer_channel(reply))
            (void)!send(reply, &m->answer, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        close(reply);
    }
    return n == 0 || (n < 0 && n != -EAGAIN && n != -EWOULDBLOCK && n != -EINTR) ? -1 : 0;
}

/* Waits for the child, forwarding the signals meant for the connection;
 * answers what it sends.  Returns its wait status.  Nothing in the loop
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
    rlim_t need = (rlim_t)max + MON_SPARE_FDS;
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

/* The parent after the fork: root, holding the PAM session, and nothing of
 * the connection (its socket, the listener's notice pipe) or of stdio.
 * Runs until the child ends, then ends the login and exits. */
static void monitor_run(struct monitor *m, const struct vs_monitor_params *p, int sock)
    __attribute__((noreturn));
static void monitor_run(struct monitor *m, const struct vs_monitor_params *p, int sock)
{
    for (const int *fd = p->close_fds; *fd >= 0; fd++)
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
    monitor_fd_limit(m->max);
    int status = monitor_wait(m, sock);
    if (WIFSIGNALED(status)) {
        log_error("connection process for user %s died of signal %d", m->user->name,
                  WTERMSIG(status));
        monitor_hang_up(m);
    }
    while (m->n_ttys > 0)
        tty_end(m, m->n_ttys - 1);
    vs_pam_close(p->login);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

int vs_monitor_start_as_parent(const struct vs_monitor_params *p, char *why, size_t len)
{
    int sv[2], r;

    if (geteuid() != 0)
        return 0;
    /* The monitor's tables, made before the fork so that a failure still
     * refuses the login: MaxSessions entries each (one at least). */
    size_t slots = p->max_sessions > 0 ? p->max_sessions : 1;
    struct monitor m = {.user = p->user,
                        .host = p->login->host,
                        .p = p,
                        .max = p->max_sessions,
                        .ttys = calloc(slots, sizeof(struct mon_tty)),
                        .procs = calloc(slots, sizeof(struct mon_proc))};
    if (m.ttys == NULL || m.procs == NULL) {
        r = -ENOMEM;
        vs_login_why(why, len, "%s", strerror(ENOMEM));
        goto fail;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        r = -errno;
        vs_login_why(why, len, "socketpair: %s", strerror(errno));
        goto fail;
    }
    pid_t pid = fork();
    if (pid < 0) {
        r = -errno;
        vs_login_why(why, len, "fork: %s", strerror(errno));
        vs_close(sv[0]);
        vs_close(sv[1]);
        goto fail;
    }
    if (pid > 0) {
        vs_close(sv[1]);
        m.child = pid;
        monitor_run(&m, p, sv[0]);
    }
    /* The child: the connection, from here on below its monitor. */
    free(m.ttys);
    free(m.procs);
    vs_close(sv[0]);
    p->login->monitor_fd = sv[1];
    p->login->monitor_pid = getppid();
    vs_set_nonblock(sv[1]);
    return 0;

fail:
    free(m.ttys);
    free(m.procs);
    return r;
}

/* ---- the connection's side ------------------------------------------------ */

void vs_monitor_tell(const struct vs_login *l, enum vs_mon_op code, pid_t pid, const char *line)
{
    const struct mon_op *op = op_find(code);
    struct vs_mon_msg msg = {.op = code, .pid = pid};
    int sv[2] = {-1, -1};

    if (l == NULL || l->monitor_fd < 0 || op == NULL)
        return;
    if (line != NULL)
        snprintf(msg.line, sizeof(msg.line), "%s", line);
    /* The answer comes on a Unix stream socket of the message's own (the
     * only channel the monitor answers on), as sessions may start at once. */
    if (op->answered && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return;
    if (vs_send_with_fd(l->monitor_fd, &msg, op->size, sv[1]) == 0 && op->answered) {
        struct pollfd p = {sv[0], POLLIN, 0};
        char c;
        if (poll(&p, 1, MON_ANSWER_WAIT_MS) == 1)
            (void)!read(sv[0], &c, 1);
    }
    vs_close(sv[0]);
    vs_close(sv[1]);
}

/* The line ("pts/N") of tty, or NULL if tty is not under /dev. */
static const char *line_of(const char *tty)
{
    return tty != NULL && strncmp(tty, "/dev/", 5) == 0 ? tty + 5 : NULL;
}

int vs_monitor_confirm_entered(const struct vs_login *l)
{
    struct vs_mon_msg msg = {.op = VS_MON_ENTERED, .pid = getpid()};
    int sv[2] = {-1, -1}, r = -EPERM;
    char c = 0;

    if (l == NULL || l->monitor_fd < 0)
        return -EPERM;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    if (vs_send_with_fd(l->monitor_fd, &msg, sizeof(msg), sv[1]) == 0) {
        struct pollfd p = {sv[0], POLLIN, 0};
        vs_close(sv[1]);
        sv[1] = -1;
        if (poll(&p, 1, MON_CONFIRM_WAIT_MS) == 1 && read(sv[0], &c, 1) == 1 && c == 'Y')
            r = 0;
    }
    vs_close(sv[0]);
    vs_close(sv[1]);
    return r;
}

void vs_monitor_record_start(const struct vs_login *l, pid_t pid, const char *tty)
{
    const char *line = line_of(tty);
    if (line != NULL && !l->no_records)
        vs_monitor_tell(l, VS_MON_RECORD_START, pid, line);
}

void vs_monitor_record_end(const struct vs_login *l, pid_t pid, const char *tty)
{
    const char *line = line_of(tty);
    if (line != NULL && !l->no_records)
        vs_monitor_tell(l, VS_MON_RECORD_END, pid, line);
}

void vs_monitor_proc_started(const struct vs_login *l, pid_t pid)
{
    vs_monitor_tell(l, VS_MON_PROC_START, pid, NULL);
}

void vs_monitor_proc_reaped(const struct vs_login *l, pid_t pid)
{
    vs_monitor_tell(l, VS_MON_PROC_END, pid, NULL);
}

#include "container.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdutil.h"
#include "log.h"
#include "login.h"
#include "util.h"

/* ---- the login name ------------------------------------------------------ */

bool vs_container_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > VS_CONTAINER_NAME_MAX || !isalnum((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!(ch < 0x80 && (isalnum(ch) || ch == '_' || ch == '.' || ch == '-')))
            return false;
    }
    return true;
}

int vs_login_name_split(const char *login, char *user, size_t ulen, char *container, size_t clen,
                        const char **why)
{
    const char *plus = strchr(login, '+');
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    if (plus == NULL) {
        if (snprintf(user, ulen, "%s", login) >= (int)ulen) {
            *why = "the user name is too long";
            return -EINVAL;
        }
        if (clen > 0)
            container[0] = '\0';
        return 0;
    }
    size_t un = (size_t)(plus - login);
    if (un == 0) {
        *why = "USER+CONTAINER needs a user before the '+'";
        return -EINVAL;
    }
    if (strchr(plus + 1, '+') != NULL) {
        *why = "a login name has at most one '+' (USER+CONTAINER)";
        return -EINVAL;
    }
    if (!vs_container_name_valid(plus + 1)) {
        *why = "not a container name (1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter or "
               "digit)";
        return -EINVAL;
    }
    if (un >= ulen || strlen(plus + 1) >= clen) {
        *why = "the user name is too long";
        return -EINVAL;
    }
    memcpy(user, login, un);
    user[un] = '\0';
    strcpy(container, plus + 1);
    return 0;
}

int vs_parse_cap_mask(const char *hex, unsigned long long *out)
{
    char *end;
    while (*hex == ' ' || *hex == '\t')
        hex++;
    if (*hex == '\0')
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(hex, &end, 16);
    if (errno != 0 || (*end != '\0' && *end != '\n'))
        return -EINVAL;
    *out = v;
    return 0;
}

int vs_cgroup_unified_path(const char *text, char *path, size_t len)
{
    unsigned unified = 0;
    const char *line = text;
    while (*line != '\0') {
        const char *nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) : strlen(line);
        if (ll >= 4 && strncmp(line, "0::/", 4) == 0) {
            if (++unified > 1 || ll - 3 >= len)
                return -EINVAL;
            memcpy(path, line + 3, ll - 3);
            path[ll - 3] = '\0';
        } else {
            /* "N:name=NAME:/path", a named hierarchy without controllers
             * (systemd-nspawn's for a payload that is not systemd): nothing
             * of the container's is controlled there. */
            const char *c1 = memchr(line, ':', ll);
            if (c1 == NULL || c1 == line || strncmp(c1 + 1, "name=", 5) != 0 ||
                memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - line)) == NULL)
                return -EOPNOTSUPP;
            for (const char *d = line; d < c1; d++)
                if (*d < '0' || *d > '9')
                    return -EINVAL;
        }
        line += ll + (nl ? 1 : 0);
    }
    return unified == 1 ? 0 : -EINVAL;
}

/* ---- running a runtime's tool -------------------------------------------- */

static const char *const tool_dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                        "/usr/bin",        "/sbin",          "/bin"};

/* The tool's path in the fixed directories above (never the caller's
 * PATH), or false when it is not installed. */
static bool find_tool(const char *tool, char *path, size_t len)
{
    for (size_t i = 0; i < VS_ARRAY_SIZE(tool_dirs); i++) {
        snprintf(path, len, "%s/%s", tool_dirs[i], tool);
        if (access(path, X_OK) == 0)
            return true;
    }
    return false;
}

/* Runs argv (argv[0] a path), with nothing of ours but a pipe for its
 * stdout, an empty stdin, stderr to /dev/null and a fixed environment;
 * reads at most len-1 bytes of its output into out (NUL-terminated).
 * Returns its exit status (0-255), or -errno; -ETIMEDOUT (killed) after
 * VS_CONTAINER_TOOL_TIMEOUT_MS. */
static int run_tool(char *const argv[], char *out, size_t len)
{
    static char *const envp[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
        "HOME=/root", NULL};
    int p[2];
    size_t got = 0;
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        vs_close(p[0]);
        vs_close(p[1]);
        return -e;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(null, 2) < 0)
            _exit(126);
        if (syscall(SYS_close_range, 3, ~0U, 0) < 0)
            for (int fd = 3; fd < 1024; fd++)
                close(fd);
        signal(SIGPIPE, SIG_DFL);
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* not past a connection that died */
        execve(argv[0], argv, envp);
        _exit(127);
    }
    vs_close(p[1]);
    int64_t deadline = vs_now_ms() + VS_CONTAINER_TOOL_TIMEOUT_MS;
    int r = 0;
    for (;;) {
        int64_t left = deadline - vs_now_ms();
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        if (left <= 0) {
            r = -ETIMEDOUT;
            break;
        }
        int n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = n < 0 ? -errno : -ETIMEDOUT;
            break;
        }
        char buf[1024];
        ssize_t k = read(p[0], buf, sizeof(buf));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        size_t take = (size_t)k < len - 1 - got ? (size_t)k : len - 1 - got;
        memcpy(out + got, buf, take);
        got += take;
    }
    out[got] = '\0';
    vs_close(p[0]);
    /* Its output ended (or the time did): it exits by the deadline or is
     * killed; never an unbounded wait. */
    int st;
    for (;;) {
        pid_t w = r < 0 ? 0 : waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            r = -errno;
            break;
        }
        if (r < 0 || vs_now_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            return r < 0 ? r : -ETIMEDOUT;
        }
        poll(NULL, 0, 10);
    }
    if (r < 0)
        return r;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- runtimes ------------------------------------------------------------ */

/* Each runtime's answer: 0 and *leader (running), -ENOENT (it has no such
 * container), -ESRCH (it has, not running), -ENOSYS (the runtime is not
 * installed), or another -errno with why. */
typedef int leader_fn(const char *name, pid_t *leader, char *why, size_t len);

static int parse_pid(const char *s, pid_t *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || v < 0 || v > INT_MAX)
        return -EINVAL;
    *out = (pid_t)v;
    return 0;
}

/* systemd-nspawn containers, as systemd-machined registers them: its
 * state file (what sd-login's sd_machine_* read) has LEADER and CLASS.
 * A machine that is a VM (CLASS=vm) is no container to enter.  An image
 * or .nspawn file of that name without a registered machine: not
 * running. */
static int nspawn_leader(const char *name, pid_t *leader, char *why, size_t len)
{
    char path[256], line[512];
    bool is_container = false, have_leader = false, owned = false;

    if (access("/run/systemd/machines", F_OK) < 0 && access("/usr/bin/systemd-nspawn", X_OK) < 0)
        return -ENOSYS;
    snprintf(path, sizeof(path), "/run/systemd/machines/%s", name);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        /* An image or a settings file of that name: a machine that is not
         * running. */
        static const char *const images[][2] = {{"/var/lib/machines/", ""},
                                                {"/var/lib/machines/", ".raw"},
                                                {"/etc/systemd/nspawn/", ".nspawn"},
                                                {"/run/systemd/nspawn/", ".nspawn"}};
        for (size_t i = 0; i < VS_ARRAY_SIZE(images); i++) {
            snprintf(path, sizeof(path), "%s%s%s", images[i][0], name, images[i][1]);
            if (access(path, F_OK) == 0)
                return -ESRCH;
        }
        return -ENOENT;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "LEADER=", 7) == 0)
            have_leader = parse_pid(line + 7, leader) == 0;
        else if (strncmp(line, "UID=", 4) == 0 && strcmp(line, "UID=0") != 0)
            owned = true; /* a user's own machine (systemd 258's rootless nspawn) */
        else if (strcmp(line, "CLASS=container") == 0)
            is_container = true;
    }
    fclose(f);
    if (owned) {
        vs_login_why(why, len, "%s is a machine an ordinary user registered, not the system's",
                     name);
        return -EPERM;
    }
    if (!is_container) {
        vs_login_why(why, len, "%s is a virtual machine of systemd-machined, not a container",
                     name);
        return -EMEDIUMTYPE;
    }
    return have_leader && *leader > 0 ? 0 : -ESRCH;
}

/* Podman (rootful): "podman container inspect", whose answer for a name it
 * does not know is an error. */
static int podman_leader(const char *name, pid_t *leader, char *why, size_t len)
{
    char tool[128], out[256], state[64] = "", real[VS_CONTAINER_NAME_MAX + 2] = "";
    if (!find_tool("podman", tool, sizeof(tool)))
        return -ENOSYS;
    /* With its name: podman also takes an ID or a unique prefix of one,
     * which is not the name that policy and the log go by. */
    char *const argv[] = {tool,
                          "container",
                          "inspect",
                          "--format",
                          "{{.State.Pid}} {{.State.Status}} {{.Name}}",
                          (char *)name,
                          NULL};
    int r = run_tool(argv, out, sizeof(out));
    if (r < 0) {
        vs_login_why(why, len, "podman container inspect: %s", strerror(-r));
        return r;
    }
    if (r != 0)
        return -ENOENT;
    if (sscanf(out, "%d %63s %65s", leader, state, real) != 3) {
        vs_login_why(why, len, "podman container inspect: unexpected answer");
        return -EPROTO;
    }
    if (strcmp(real, name) != 0)
        return -ENOENT;
    return strcmp(state, "running") == 0 && *leader > 0 ? 0 : -ESRCH;
}

/* LXC (lxc-info on the default lxcpath).  Incus and LXD keep their
 * containers in their own daemon: not (yet) asked. */
static int lxc_leader(const char *name, pid_t *leader, char *why, size_t len)
{
    char tool[128], out[256], state[64] = "";
    if (!find_tool("lxc-info", tool, sizeof(tool)))
        return -ENOSYS;
    char *const argv[] = {tool, "-n", (char *)name, "-s", "-p", "-H", NULL};
    int r = run_tool(argv, out, sizeof(out));
    if (r < 0) {
        vs_login_why(why, len, "lxc-info: %s", strerror(-r));
        return r;
    }
    if (r != 0)
        return -ENOENT;
    /* Its state's name and its pid (when running), each on a line of its
     * own, labelled ("State:   RUNNING", "PID:   42"), in lxc-info's
     * order, not ours. */
    *leader = 0;
    char *save;
    for (char *tok = strtok_r(out, " \t\n", &save); tok != NULL;
         tok = strtok_r(NULL, " \t\n", &save)) {
        pid_t p;
        if (isdigit((unsigned char)tok[0]) && parse_pid(tok, &p) == 0)
            *leader = p;
        else if (tok[strlen(tok) - 1] != ':') /* not a label ("State:", "PID:") */
            snprintf(state, sizeof(state), "%s", tok);
    }
    if (state[0] == '\0') {
        vs_login_why(why, len, "lxc-info: unexpected answer");
        return -EPROTO;
    }
    return strcmp(state, "RUNNING") == 0 && *leader > 0 ? 0 : -ESRCH;
}

static const struct runtime {
    const char *name;
    leader_fn *leader;
} runtimes[] = {
    {"nspawn", nspawn_leader},
    {"podman", podman_leader},
    {"lxc", lxc_leader},
};

/* The leader's NSpid line ends in 1 (it is PID 1 of its innermost PID
 * namespace) and that namespace is not ours: a pid reused, between the
 * runtime's answer and the pidfd, by a process of the guest is no
 * container's leader.  Read before the pidfd is checked alive again. */
static bool is_namespace_init(pid_t pid)
{
    char path[64], line[256];
    struct stat ours, theirs;
    bool init = false;

    snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
    if (stat("/proc/self/ns/pid", &ours) < 0 || stat(path, &theirs) < 0 ||
        ours.st_ino == theirs.st_ino)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return false;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "NSpid:", 6) == 0) {
            char *last = strrchr(line, '\t');
            init = last != NULL && strtol(last + 1, NULL, 10) == 1 && last != line + 6;
        }
    fclose(f);
    return init;
}

/* Whether the leader is still the runtime's own process, setting the
 * container up (systemd-machined registers a machine before its payload
 * runs, with neither its capabilities nor its seccomp filters yet): its
 * executable is the runtime's. */
static bool still_starting(pid_t pid)
{
    static const char *const own[] = {"systemd-nspawn", "lxc-start", "crun", "runc", "conmon"};
    char path[64], exe[4096];
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, exe, sizeof(exe) - 1);
    if (n < 0)
        return false; /* a kernel thread or gone: the checks around decide */
    exe[n] = '\0';
    const char *base = strrchr(exe, '/');
    base = base ? base + 1 : exe;
    for (size_t i = 0; i < VS_ARRAY_SIZE(own); i++)
        if (strcmp(base, own[i]) == 0)
            return true;
    return false;
}

int vs_container_find(const struct vs_config *cfg, const char *name, struct vs_container *out,
                      char *why, size_t len)
{
    int r = -ENOENT;
    bool stopped = false;
    const char *stopped_in = NULL;

    *out = (struct vs_container){.pidfd = -1, .root_fd = -1};
    if (!vs_container_name_valid(name)) {
        vs_login_why(why, len, "not a container name");
        return -EINVAL;
    }
    snprintf(out->name, sizeof(out->name), "%s", name);
    if (cfg->n_container_runtimes == 0 || strcmp(cfg->container_runtimes[0], "none") == 0) {
        vs_login_why(why, len, "container logins are off (ContainerRuntimes none)");
        return -EPERM;
    }
    for (unsigned i = 0; i < cfg->n_container_runtimes; i++) {
        const struct runtime *rt = NULL;
        for (size_t j = 0; j < VS_ARRAY_SIZE(runtimes); j++)
            if (strcmp(cfg->container_runtimes[i], runtimes[j].name) == 0)
                rt = &runtimes[j];
        if (rt == NULL)
            continue; /* config.c accepts only known names */
        why[0] = '\0';
        pid_t leader = 0;
        r = rt->leader(name, &leader, why, len);
        if (r == -ENOSYS || r == -ENOENT)
            continue;
        if (r == -ESRCH) {
            stopped = true;
            stopped_in = rt->name;
            continue;
        }
        if (r < 0)
            return r;
        out->runtime = rt->name;
        out->leader = leader;
        out->pidfd = (int)syscall(SYS_pidfd_open, leader, 0);
        if (out->pidfd < 0) {
            r = -errno;
            vs_login_why(why, len, "container %s (%s): its leader %d: %s", name, rt->name,
                         (int)leader, strerror(-r));
            return r == -ESRCH ? -ESRCH : r;
        }
        char root[64];
        snprintf(root, sizeof(root), "/proc/%d/root", (int)leader);
        out->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (out->root_fd >= 0 && still_starting(leader)) {
            vs_container_close(out);
            vs_login_why(why, len, "container %s (%s) is still starting", name, rt->name);
            return -EAGAIN;
        }
        if (out->root_fd < 0 || !is_namespace_init(leader) ||
            syscall(SYS_pidfd_send_signal, out->pidfd, 0, NULL, 0) < 0) {
            vs_container_close(out);
            vs_login_why(why, len, "container %s (%s): its leader %d is gone or is not one", name,
                         rt->name, (int)leader);
            return -ESRCH;
        }
        return 0;
    }
    if (stopped) {
        vs_login_why(why, len, "container %s (%s) is not running", name, stopped_in);
        return -ESRCH;
    }
    vs_login_why(why, len, "no such container %s", name);
    return -ENOENT;
}

void vs_container_close(struct vs_container *c)
{
    c->pidfd = vs_close(c->pidfd);
    c->root_fd = vs_close(c->root_fd);
    free(c->gids);
    c->gids = NULL;
    c->n_gids = 0;
    for (unsigned i = 0; i < c->n_group_names; i++)
        free(c->group_names[i]);
    free(c->group_names);
    c->group_names = NULL;
    c->n_group_names = 0;
}

/* ---- the container's account files --------------------------------------- */

/* Reads path inside the container's root (symbolic links resolved as in
 * it, never out of it): a regular file, at most VS_CONTAINER_FILE_MAX
 * bytes, into *text (allocated, NUL-terminated).  Returns 0 or -errno. */
static int read_in_root(const struct vs_container *c, const char *path, char **text, size_t *len)
{
    /* O_PATH first: a device node or FIFO in its place is never opened
     * (from the guest's cgroup, whose device rules are not the
     * container's), only a regular file, through the same inode. */
    struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    struct stat st = {0};
    char self[64];
    int pfd = (int)syscall(SYS_openat2, c->root_fd, path, &how, sizeof(how));
    if (pfd < 0)
        return -errno;
    if (fstat(pfd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > VS_CONTAINER_FILE_MAX) {
        int e = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
        vs_close(pfd);
        return e;
    }
    snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
    int fd = open(self, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    vs_close(pfd);
    if (fd < 0)
        return -errno;
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    if (buf == NULL) {
        vs_close(fd);
        return -ENOMEM;
    }
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    vs_close(fd);
    buf[got] = '\0';
    *text = buf;
    *len = got;
    return 0;
}

/* The next line of text (at *pos, len bytes in all) split at ':' into at
 * most max fields, in the caller's copy line (size bytes); false at the
 * end.  A line too long for the copy is skipped whole. */
static bool next_fields(const char *text, size_t len, size_t *pos, char *line, size_t size,
                        char **field, unsigned max, unsigned *n)
{
    while (*pos < len) {
        const char *start = text + *pos;
        const char *nl = memchr(start, '\n', len - *pos);
        size_t ll = nl ? (size_t)(nl - start) : len - *pos;
        *pos += ll + (nl ? 1 : 0);
        if (ll >= size || memchr(start, '\0', ll) != NULL)
            continue;
        memcpy(line, start, ll);
        line[ll] = '\0';
        *n = 0; /* every field, though only max are kept */
        char *s = line;
        for (;;) {
            if (*n < max)
                field[*n] = s;
            (*n)++;
            char *colon = strchr(s, ':');
            if (colon == NULL)
                break;
            *colon = '\0';
            s = colon + 1;
        }
        return true;
    }
    return false;
}

static int parse_id(const char *s, unsigned *out)
{
    char *end;
    if (*s == '\0' || !isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v >= UINT32_MAX)
        return -EINVAL;
    *out = (unsigned)v;
    return 0;
}

int vs_passwd_find(const char *text, size_t len, const char *name, struct vs_user *out)
{
    char line[4096], *f[7];
    unsigned n, uid, gid;
    size_t pos = 0;

    while (next_fields(text, len, &pos, line, sizeof(line), f, 7, &n)) {
        if (n != 7 || strcmp(f[0], name) != 0)
            continue;
        if (parse_id(f[2], &uid) < 0 || parse_id(f[3], &gid) < 0)
            return -EINVAL; /* the account's entry, broken: not another one */
        struct vs_user u = {.name = strdup(f[0]),
                            .home = strdup(*f[5] ? f[5] : "/"),
                            .shell = strdup(*f[6] ? f[6] : "/bin/sh"),
                            .uid = uid,
                            .gid = gid};
        if (u.name == NULL || u.home == NULL || u.shell == NULL) {
            vs_user_free(&u);
            return -ENOMEM;
        }
        *out = u;
        return 0;
    }
    return -ENOENT;
}

static bool member_of(char *members, const char *name)
{
    char *save;
    for (char *m = strtok_r(members, ",", &save); m != NULL; m = strtok_r(NULL, ",", &save))
        if (strcmp(m, name) == 0)
            return true;
    return false;
}

int vs_group_find(const char *text, size_t len, const char *name, gid_t primary, gid_t **gids,
                  unsigned *n_gids, char ***names, unsigned *n_names)
{
    long lmax = sysconf(_SC_NGROUPS_MAX);
    unsigned max = lmax > 0 && lmax < 65536 ? (unsigned)lmax : 65536;
    unsigned ng = 1, nn = 0, cap = 16;
    gid_t *g = malloc(cap * sizeof(*g));
    char **nm = calloc(cap + 1, sizeof(*nm));
    char *line = malloc(1u << 20), *f[4];
    size_t pos = 0;
    unsigned n, gid;
    int r = 0;

    if (g == NULL || nm == NULL || line == NULL) {
        r = -ENOMEM;
        goto out;
    }
    g[0] = primary;
    while (r == 0 && next_fields(text, len, &pos, line, 1u << 20, f, 4, &n)) {
        if (n != 4 || parse_id(f[2], &gid) < 0)
            continue;
        bool is_primary = (gid_t)gid == primary;
        if (!is_primary && !member_of(f[3], name))
            continue;
        bool seen = false;
        for (unsigned i = 1; i < ng; i++)
            seen = seen || g[i] == (gid_t)gid;
        if (!is_primary && seen)
            continue;
        if (ng >= max) {
            r = -E2BIG;
            break;
        }
        if (ng >= cap || nn >= cap) {
            cap *= 2;
            gid_t *g2 = realloc(g, cap * sizeof(*g));
            char **nm2 = g2 ? realloc(nm, (cap + 1) * sizeof(*nm)) : NULL;
            if (g2 != NULL)
                g = g2;
            if (nm2 == NULL) {
                r = -ENOMEM;
                break;
            }
            nm = nm2;
        }
        if (!is_primary)
            g[ng++] = (gid_t)gid;
        bool named = false;
        for (unsigned i = 0; i < nn; i++)
            named = named || strcmp(nm[i], f[0]) == 0;
        if (!named && (nm[nn++] = strdup(f[0])) == NULL)
            r = -ENOMEM;
    }
out:
    free(line);
    if (r < 0) {
        for (unsigned i = 0; nm != NULL && i < nn; i++)
            free(nm[i]);
        free(nm);
        free(g);
        return r;
    }
    *gids = g;
    *n_gids = ng;
    *names = nm;
    *n_names = nn;
    return 0;
}

int vs_container_user_lookup(struct vs_container *c, const char *name, struct vs_user *out)
{
    char *text;
    size_t len;
    int r = read_in_root(c, "/etc/passwd", &text, &len);
    if (r < 0)
        return r == -ENOENT ? -ENOENT : r;
    r = vs_passwd_find(text, len, name, out);
    free(text);
    if (r < 0)
        return r;
    if ((r = read_in_root(c, "/etc/group", &text, &len)) < 0) {
        if (r != -ENOENT) {
            vs_user_free(out);
            return r;
        }
        text = NULL;
        len = 0;
    }
    r = vs_group_find(text ? text : "", len, name, out->gid, &c->gids, &c->n_gids, &c->group_names,
                      &c->n_group_names);
    free(text);
    if (r < 0)
        vs_user_free(out);
    return r;
}

/* id through the leader's uid_map or gid_map (which). */
static int guest_id(const struct vs_container *c, const char *which, unsigned id, unsigned *out)
{
    char path[64];
    unsigned long in, guest, count;
    int r = -ERANGE;
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)c->leader, which);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -errno;
    while (r < 0 && fscanf(f, "%lu %lu %lu", &in, &guest, &count) == 3)
        if (id >= in && id - in < count) {
            *out = (unsigned)(guest + (id - in));
            r = 0;
        }
    fclose(f);
    return r;
}

int vs_container_guest_uid(const struct vs_container *c, uid_t uid, uid_t *out)
{
    return guest_id(c, "uid_map", uid, out);
}

int vs_container_guest_gid(const struct vs_container *c, gid_t gid, gid_t *out)
{
    return guest_id(c, "gid_map", gid, out);
}

bool vs_container_shell_listed(const struct vs_container *c, const char *shell)
{
    char *text;
    size_t len, pos = 0;
    bool found = false;
    if (read_in_root(c, "/etc/shells", &text, &len) < 0)
        return false;
    while (pos < len && !found) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - start) : len - pos;
        pos += ll + 1;
        found = ll == strlen(shell) && memcmp(start, shell, ll) == 0;
    }
    free(text);
    return found;
}

void vs_user_facts_of(const struct vs_user *u, const struct vs_container *c, uid_t euid,
                      struct vs_user_facts *out)
{
    uid_t guest;
    *out = (struct vs_user_facts){.name = u->name,
                                  .container = c != NULL ? c->name : NULL,
                                  .uid = u->uid,
                                  .shell_valid = c != NULL ? vs_container_shell_listed(c, u->shell)
                                                           : vs_shell_listed(u->shell),
                                  .server_euid = euid};
    /* An account that is the guest's root through the container's uid map
     * (podman --uidmap 1000:0:1, say) is root to PermitRootLogin. */
    if (c != NULL && (vs_container_guest_uid(c, u->uid, &guest) < 0 || guest == 0))
        out->uid = 0;
}

void vs_container_account_facts(const struct vs_container *c, const struct vs_user *u,
                                struct vs_account_facts *f, char **buf)
{
    char *text, line[4096], *fl[9];
    size_t len, pos = 0;
    unsigned n;

    *f = (struct vs_account_facts){
        .uid = u->uid, .expire_day = -1, .today = (long)(time(NULL) / 86400)};
    *buf = NULL;
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
    int fd = (int)syscall(SYS_openat2, c->root_fd, "/etc/nologin", &how, sizeof(how));
    f->nologin = fd >= 0;
    vs_close(fd);
    if (read_in_root(c, "/etc/shadow", &text, &len) < 0)
        return;
    while (next_fields(text, len, &pos, line, sizeof(line), fl, 9, &n)) {
        if (n != 9 || strcmp(fl[0], u->name) != 0)
            continue;
        *buf = strdup(fl[1]);
        f->password = *buf;
        if (*fl[7] != '\0') {
            unsigned day;
            f->expire_day = parse_id(fl[7], &day) == 0 ? (long)day : 0;
        }
        break;
    }
    free(text);
}

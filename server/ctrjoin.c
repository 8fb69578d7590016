#include "ctrjoin.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdutil.h"
#include "log.h"
#include "login.h"
#include "util.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#ifndef PTRACE_SECCOMP_GET_METADATA
#define PTRACE_SECCOMP_GET_METADATA 0x420d
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* The most seccomp filters a leader's stack may have that are copied. */
#define MAX_FILTERS 64
/* The largest filter the kernel takes (BPF_MAXINSNS). */
#define MAX_FILTER_INSNS 4096

struct seccomp_md {
    uint64_t filter_off;
    uint64_t flags;
};

/* What is read of the leader before anything changes. */
struct leader_facts {
    unsigned long long cap_bnd;
    bool no_new_privs;
    int seccomp_mode; /* 0, 1 (strict), 2 (filter) */
    char cgroup[4096];
    char label[512]; /* its AppArmor label, its mode cut off; "" none */
    int ns_flags;    /* the namespaces of it that are not ours */
    int last_cap;    /* the kernel's, read in the guest: the container may
                      * mount over its /proc/sys */
};

/* Reads a /proc file of pid (or "self") into buf, NUL-terminated; the
 * length, or -errno. */
static ssize_t read_proc(const char *who, const char *what, char *buf, size_t len)
{
    char path[128];
    snprintf(path, sizeof(path), "/proc/%s/%s", who, what);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t got = 0;
    while (got < len - 1) {
        ssize_t k = read(fd, buf + got, len - 1 - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            vs_close(fd);
            return -e;
        }
        if (k == 0)
            break;
        got += (size_t)k;
    }
    vs_close(fd);
    buf[got] = '\0';
    return (ssize_t)got;
}

static int status_field(const char *status, const char *key, char *out, size_t len)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "\n%s:", key);
    const char *p = strstr(status, pat);
    if (p == NULL)
        return -ENOENT;
    p += strlen(pat);
    while (*p == '\t' || *p == ' ')
        p++;
    size_t n = strcspn(p, "\n");
    if (n >= len)
        return -E2BIG;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* The AppArmor label of who, its " (mode)" cut off, or "" where AppArmor
 * is not in use; -EPERM for another LSM's label (not ours to reproduce). */
static int lsm_label(const char *who, char *label, size_t len)
{
    ssize_t n = read_proc(who, "attr/apparmor/current", label, len);
    if (n < 0 && n != -ENOENT && n != -EINVAL)
        return (int)n;
    if (n < 0) {
        /* Not AppArmor: any label another LSM gives is a refusal unless
         * the caller finds it equal to ours. */
        n = read_proc(who, "attr/current", label, len);
        if (n == -ENOENT || n == -EINVAL) {
            label[0] = '\0';
            return 0; /* no LSM with labels */
        }
        if (n < 0)
            return (int)n;
        label[strcspn(label, "\n")] = '\0';
        return -EPERM;
    }
    label[strcspn(label, "\n")] = '\0';
    char *mode = strrchr(label, ' ');
    if (mode != NULL && mode[1] == '(' && mode[strlen(mode) - 1] == ')')
        *mode = '\0';
    return 0;
}

static int namespaces_not_ours(pid_t pid)
{
    static const struct {
        const char *name;
        int flag;
    } ns[] = {{"user", CLONE_NEWUSER},     {"mnt", CLONE_NEWNS},   {"pid", CLONE_NEWPID},
              {"net", CLONE_NEWNET},       {"ipc", CLONE_NEWIPC},  {"uts", CLONE_NEWUTS},
              {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
    int flags = 0;
    for (size_t i = 0; i < VS_ARRAY_SIZE(ns); i++) {
        char path[64], self[64];
        struct stat a, b;
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns[i].name);
        snprintf(self, sizeof(self), "/proc/self/ns/%s", ns[i].name);
        if (stat(path, &a) < 0 || stat(self, &b) < 0) {
            if (errno == ENOENT)
                continue; /* a kernel without it */
            return -errno;
        }
        if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
            flags |= ns[i].flag;
    }
    return flags;
}

static int read_facts(const struct vs_container *c, struct leader_facts *f, char *why, size_t len)
{
    char who[16], status[8192], val[64];
    ssize_t n;
    int r;
    snprintf(who, sizeof(who), "%d", (int)c->leader);
    memset(f, 0, sizeof(*f));
    if ((n = read_proc(who, "status", status, sizeof(status))) < 0 ||
        status_field(status, "CapBnd", val, sizeof(val)) < 0 ||
        vs_parse_cap_mask(val, &f->cap_bnd) < 0) {
        vs_login_why(why, len, "the container's leader: cannot read its capabilities");
        return n < 0 ? (int)n : -EINVAL;
    }
    f->no_new_privs =
        status_field(status, "NoNewPrivs", val, sizeof(val)) == 0 && strcmp(val, "1") == 0;
    f->seccomp_mode =
        status_field(status, "Seccomp", val, sizeof(val)) == 0 ? (int)strtol(val, NULL, 10) : -1;
    if (f->seccomp_mode < 0 || f->seccomp_mode > 2) {
        vs_login_why(why, len, "the container's leader: cannot read its seccomp mode");
        return -EINVAL;
    }
    struct statfs sf;
    if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC) {
        vs_login_why(why, len, "container logins need the unified cgroup hierarchy (cgroup v2)");
        return -EOPNOTSUPP;
    }
    char cg[sizeof(f->cgroup)];
    n = read_proc(who, "cgroup", cg, sizeof(cg));
    if (n < 0 || (r = vs_cgroup_unified_path(cg, f->cgroup, sizeof(f->cgroup))) < 0) {
        vs_login_why(why, len, "the container's leader: %s",
                     n < 0 || r != -EOPNOTSUPP ? "cannot read its cgroup"
                                               : "it is in a cgroup v1 controller's hierarchy");
        return n < 0 ? (int)n : r;
    }
    char ours[512];
    r = lsm_label(who, f->label, sizeof(f->label));
    if (r == -EPERM) {
        if (lsm_label("self", ours, sizeof(ours)) != -EPERM || strcmp(ours, f->label) != 0) {
            vs_login_why(why, len,
                         "the container runs under a security label (%s) that only AppArmor's "
                         "is taken from",
                         f->label);
            return -EPERM;
        }
        f->label[0] = '\0';
    } else if (r < 0) {
        vs_login_why(why, len, "the container's leader: its security label: %s", strerror(-r));
        return r;
    } else if (r == 0 &&
               (strcmp(f->label, "unconfined") == 0 ||
                (lsm_label("self", ours, sizeof(ours)) == 0 && strcmp(ours, f->label) == 0))) {
        f->label[0] = '\0';
    }
    if ((r = namespaces_not_ours(c->leader)) < 0) {
        vs_login_why(why, len, "the container's leader: its namespaces: %s", strerror(-r));
        return r;
    }
    f->ns_flags = r;
    char last[16];
    if (read_proc("sys", "kernel/cap_last_cap", last, sizeof(last)) <= 0 ||
        (f->last_cap = (int)strtol(last, NULL, 10)) < 0 || f->last_cap > 63) {
        vs_login_why(why, len, "cannot read the kernel's last capability");
        return -EINVAL;
    }
    /* Everything above was read of the pid: it was still the leader. */
    if (syscall(SYS_pidfd_send_signal, c->pidfd, 0, NULL, 0) < 0) {
        vs_login_why(why, len, "the container stopped");
        return -ESRCH;
    }
    return 0;
}

/* ---- seccomp ------------------------------------------------------------- */

struct filters {
    struct sock_fprog prog[MAX_FILTERS];
    unsigned flags[MAX_FILTERS];
    unsigned n; /* index 0 the newest, as the kernel numbers them */
};

static void filters_free(struct filters *fl)
{
    for (unsigned i = 0; i < fl->n; i++)
        free(fl->prog[i].filter);
    fl->n = 0;
}

/* Copies the leader's filters: it is seized and interrupted, so in a
 * ptrace stop for as long as the reads take, then let go (a signal that
 * arrived meanwhile is delivered then). */
static int copy_filters(pid_t pid, struct filters *fl, char *why, size_t len)
{
    int st, r = 0, inject = 0;

    fl->n = 0;
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0 || ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0) {
        r = -errno;
        vs_login_why(why, len, "reading the container's seccomp filters: ptrace: %s", strerror(-r));
        ptrace(PTRACE_DETACH, pid, 0, 0);
        return r;
    }
    for (;;) {
        if (waitpid(pid, &st, __WALL) < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            break;
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            vs_login_why(why, len, "the container stopped");
            return -ESRCH;
        }
        if (WIFSTOPPED(st)) {
            if ((st >> 16) != PTRACE_EVENT_STOP)
                inject = WSTOPSIG(st); /* a signal's delivery stop: it goes on */
            break;
        }
    }
    for (unsigned i = 0; r == 0; i++) {
        long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)(uintptr_t)i, NULL);
        if (n < 0 && errno == ENOENT)
            break;
        if (n <= 0 || n > MAX_FILTER_INSNS || i >= MAX_FILTERS) {
            r = n < 0 ? -errno : -E2BIG;
            break;
        }
        struct sock_filter *insns = calloc((size_t)n, sizeof(*insns));
        struct seccomp_md md = {.filter_off = i};
        if (insns == NULL) {
            r = -ENOMEM;
            break;
        }
        if (ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)(uintptr_t)i, insns) != n ||
            ptrace(PTRACE_SECCOMP_GET_METADATA, pid, (void *)sizeof(md), &md) < 0) {
            r = -errno;
            free(insns);
            break;
        }
        fl->prog[i] = (struct sock_fprog){.len = (unsigned short)n, .filter = insns};
        fl->flags[i] = (unsigned)md.flags;
        fl->n = i + 1;
    }
    ptrace(PTRACE_DETACH, pid, 0, (void *)(uintptr_t)inject);
    if (r < 0) {
        filters_free(fl);
        vs_login_why(why, len, "reading the container's seccomp filters: %s", strerror(-r));
    }
    return r;
}

/* The copies, oldest first, with the flags that can be given again. */
static int install_filters(const struct filters *fl)
{
    for (unsigned i = fl->n; i-- > 0;) {
        unsigned flags = fl->flags[i] & (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fl->prog[i]) < 0)
            return -errno;
    }
    return 0;
}

/* ---- the rest ------------------------------------------------------------ */

static int join_cgroup(const char *path, char *why, size_t len)
{
    struct open_how how = {.flags = O_WRONLY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                      RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
    char rel[4200], pid[32];
    int n = snprintf(rel, sizeof(rel), "%s/cgroup.procs", path[1] ? path + 1 : ".");
    if (n < 0 || (size_t)n >= sizeof(rel)) {
        vs_login_why(why, len, "the container's cgroup path is too long");
        return -ENAMETOOLONG;
    }
    int root = open("/sys/fs/cgroup", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return -errno;
    int fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
    int r = fd < 0 ? -errno : 0;
    vs_close(root);
    n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    if (r == 0 && write(fd, pid, (size_t)n) != n)
        r = -errno;
    vs_close(fd);
    if (r < 0)
        vs_login_why(why, len, "joining the container's cgroup %s: %s", path, strerror(-r));
    return r;
}

/* Every capability up to the kernel's last that keep does not have. */
static int drop_bounding_set(unsigned long long keep, int last)
{
    for (int cap = 0; cap <= last && cap < 64; cap++)
        if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            return -errno;
    return 0;
}

/* glibc loads an NSS module once, on first use, from the file system the
 * process then has: the guest's modules for passwd and group (the SFTP
 * server's names for ls -l), loaded here, then read the container's files.
 * Once the root has changed glibc never reads nsswitch.conf again.  The
 * answers do not matter. */
static void nss_preload(void)
{
    gid_t gids[1];
    int n = 1;
    char buf[4096];
    struct passwd pw, *res;
    (void)getgrouplist("root", 0, gids, &n);
    (void)getpwuid_r(0, &pw, buf, sizeof(buf), &res);
}

int vs_container_enter(const struct vs_container *c, char *why, size_t len)
{
    struct leader_facts f;
    struct filters fl = {.n = 0};
    int r = read_facts(c, &f, why, len), lsm_fd = -1;
    if (r < 0)
        return r;
    nss_preload();
    if (f.seccomp_mode == 1) {
        vs_login_why(why, len, "the container's leader runs in strict seccomp mode");
        return -EPERM;
    }
    if (f.seccomp_mode == 2 && (r = copy_filters(c->leader, &fl, why, len)) < 0)
        return r;
    if ((r = join_cgroup(f.cgroup, why, len)) < 0)
        goto out;
    /* /proc/self of the guest: the container's /proc has no "self" for a
     * process outside its PID namespace. */
    if (f.label[0] != '\0' &&
        (lsm_fd = open("/proc/self/attr/apparmor/current", O_WRONLY | O_CLOEXEC)) < 0) {
        r = -errno;
        vs_login_why(why, len, "AppArmor: %s", strerror(-r));
        goto out;
    }
    if (f.ns_flags != 0 && setns(c->pidfd, f.ns_flags) < 0) {
        r = -errno;
        vs_login_why(why, len, "entering the container's namespaces: %s", strerror(-r));
        goto out;
    }
    if ((r = drop_bounding_set(f.cap_bnd, f.last_cap)) < 0) {
        vs_login_why(why, len, "the container's capability bounding set: %s", strerror(-r));
        goto out;
    }
    if (lsm_fd >= 0) {
        char cmd[600];
        int n = snprintf(cmd, sizeof(cmd), "changeprofile %s", f.label);
        if (write(lsm_fd, cmd, (size_t)n) != n) {
            r = -errno;
            vs_login_why(why, len, "AppArmor profile %s: %s", f.label, strerror(-r));
            goto out;
        }
    }
    if (f.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        r = -errno;
        vs_login_why(why, len, "no_new_privs: %s", strerror(-r));
        goto out;
    }
    if ((r = install_filters(&fl)) < 0) {
        vs_login_why(why, len, "the container's seccomp filters: %s", strerror(-r));
        goto out;
    }
    if (setgroups(c->n_gids, c->gids) < 0) {
        r = -errno;
        vs_login_why(why, len, "setgroups: %s", strerror(-r));
        goto out;
    }
    log_verbose("entered container %s (%s, leader %d): namespaces 0x%x, %u seccomp filters%s%s",
                c->name, c->runtime, (int)c->leader, (unsigned)f.ns_flags, fl.n,
                f.label[0] ? ", AppArmor " : "", f.label);
out:
    vs_close(lsm_fd);
    filters_free(&fl);
    return r;
}

/* Permitted and effective cut to keep, inheritable and ambient cleared. */
static int cut_caps(unsigned long long keep)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) < 0)
        return -errno;
    for (int i = 0; i < 2; i++) {
        uint32_t k = (uint32_t)(keep >> (32 * i));
        d[i].permitted &= k;
        d[i].effective &= k;
        d[i].inheritable = 0;
    }
    if (syscall(SYS_capset, &h, d) < 0)
        return -errno;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return -errno;
    return 0;
}

int vs_container_drop(const struct vs_user *u)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    unsigned long long bounding = 0;
    /* Explicitly, whatever geteuid() says: in a user namespace that does
     * not map the guest's root, root's ids read as the overflow id, yet it
     * still is the guest's uid 0 until these calls.  Nor does the kernel
     * clear the capabilities on this change (it does when the ids leave
     * the namespace's own root, which the guest's root is not): they are
     * cut here, to the bounding set for the container's root, as its exec
     * gets them, and to none for any other account. */
    if (setresgid(u->gid, u->gid, u->gid) < 0 || setresuid(u->uid, u->uid, u->uid) < 0)
        return -errno;
    if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
        return -errno;
    if (ru != u->uid || eu != u->uid || su != u->uid || rg != u->gid || eg != u->gid ||
        sg != u->gid)
        return -EPERM;
    for (int cap = 0; cap < 64 && u->uid == 0; cap++)
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) > 0)
            bounding |= 1ULL << cap;
    int r = cut_caps(bounding);
    if (r < 0)
        return r;
    if (u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        return -EPERM;
    return 0;
}

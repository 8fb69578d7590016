/* vsock-sshd: an SSH server for virtual machines, reached over vsock, with
 * null authentication (vsock identifies the peer). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "activation.h"
#include "config.h"
#include "container.h"
#include "conn.h"
#include "hostkey.h"
#include "login.h"
#include "pam.h"
#include "listener.h"
#include "log.h"
#include "match.h"
#include "peer.h"
#include "signals.h"
#include "user.h"
#include "util.h"

#ifndef VS_VERSION
#define VS_VERSION "unknown"
#endif

#define MAX_CMDLINE_OPTIONS 64

struct options {
    const char *config_path;
    bool config_explicit;
    const char *lines[MAX_CMDLINE_OPTIONS]; /* -o, -l, -h, -d as config lines */
    char *owned[MAX_CMDLINE_OPTIONS];
    char flag[MAX_CMDLINE_OPTIONS];      /* the option each line came from */
    unsigned index[MAX_CMDLINE_OPTIONS]; /* its count among that option's */
    unsigned n_lines;
    bool foreground, to_stderr, inetd, test, dump;
    const char *match_spec; /* -C user=NAME,peer=PEER for -T */
    int debug;
};

static void options_free(struct options *o)
{
    for (unsigned i = 0; i < o->n_lines; i++)
        free(o->owned[i]);
    o->n_lines = 0;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: vsock-sshd [-DdeitTV] [-f config_file] [-h host_key_file]\n"
        "                  [-l vsock:PORT | vsock:CID:PORT | unix:PATH]... [-o option]...\n"
        "\n"
        "An SSH server for virtual machines, reached over vsock with null authentication.\n"
        "  -D        stay in the foreground          -d   debug: foreground, stderr (-dd, -ddd)\n"
        "  -e        log to stderr, not syslog       -i   inetd mode: the connection is stdin\n"
        "  -t        check the configuration         -T   print the effective configuration\n"
        "  -f FILE   configuration file (default " VS_DEFAULT_CONFIG_PATH ")\n"
        "  -h FILE   host key (HostKey)              -l ADDR  listen address (Listen)\n"
        "  -o 'Keyword value'   any configuration keyword; the command line wins\n"
        "  -V        version                         --help   this text\n"
        "See vsock-sshd(8) and vsock-sshd_config(5).\n");
}

static int add_line(struct options *o, char flag, char *line)
{
    if (line == NULL)
        return -ENOMEM;
    if (o->n_lines >= MAX_CMDLINE_OPTIONS) {
        free(line);
        fprintf(stderr, "vsock-sshd: too many command-line options\n");
        return -E2BIG;
    }
    unsigned same = 0;
    for (unsigned i = 0; i < o->n_lines; i++)
        same += o->flag[i] == flag;
    o->flag[o->n_lines] = flag;
    o->index[o->n_lines] = same + 1;
    o->owned[o->n_lines] = line;
    o->lines[o->n_lines++] = line;
    return 0;
}

static int add_keyword(struct options *o, char flag, const char *kw, const char *value)
{
    char *line;
    if (asprintf(&line, "%s \"%s\"", kw, value) < 0)
        return -ENOMEM;
    return add_line(o, flag, line);
}

/* Prints each line of a configuration message, errors and warnings alike
 * (configuration problems go to stderr whatever the log sink will be), or
 * logs them when the daemon is running (reload). */
static void report(const char *msgs, bool running)
{
    char copy[4096], *save;
    snprintf(copy, sizeof(copy), "%.*s", (int)sizeof(copy) - 1, msgs);
    for (char *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
        if (!running)
            fprintf(stderr, "vsock-sshd: %s\n", l);
        else if (strncmp(l, "warning: ", 9) == 0)
            log_info("%s", l);
        else
            log_error("%s", l);
    }
}

/* Loads the configuration: command-line options first (they win), then the
 * file, then defaults.  Every error and warning is reported (see report());
 * returns 0 or a negative errno. */
static int load_config(const struct options *o, struct vs_config *c, bool running)
{
    char msg[4096];
    int r = 0;

    vs_config_init(c);
    for (unsigned i = 0; i < o->n_lines; i++) {
        char origin[16];
        snprintf(origin, sizeof(origin), "-%c option", o->flag[i]);
        int k = vs_config_apply_line(c, o->lines[i], VS_SRC_CMDLINE, origin, o->index[i], msg,
                                     sizeof(msg));
        if (k != 0) {
            char line[4200];
            snprintf(line, sizeof(line), "%s%s", k > 0 ? "warning: " : "", msg);
            report(line, running);
        }
        if (k < 0)
            r = k;
    }
    int k = vs_config_load_file(c, o->config_path, msg, sizeof(msg));
    if (k == -ENOENT && !o->config_explicit)
        k = 0; /* no file at the default place: defaults it is */
    else
        report(msg, running);
    if (r == 0)
        r = k;
    if (r < 0) {
        vs_config_free(c);
        return r;
    }
    vs_config_finish(c);
    /* PAM falls back to its "other" service when ours is missing, which on
     * Debian admits anyone: refuse to start instead. */
    if (c->use_pam && geteuid() == 0 && vs_pam_service_check(msg, sizeof(msg)) < 0) {
        report(msg, running);
        vs_config_free(c);
        return -ENOENT;
    }
    return 0;
}

/* Appends name to the comma-separated list if libssh accepts it. */
static void kex_add(char *list, size_t size, ssh_bind probe, const char *name)
{
    if (ssh_bind_options_set(probe, SSH_BIND_OPTIONS_KEY_EXCHANGE, name) == SSH_OK)
        snprintf(list + strlen(list), size - strlen(list), "%s%s", list[0] ? "," : "", name);
}

/* Key exchange methods, most preferred first: the post-quantum hybrids
 * (libssh 0.12 and later; OpenSSH 10 picks mlkem768x25519-sha256, and 10.1+
 * warns on every connection without one), then the classic ones.  Where the
 * linked libssh knows a post-quantum method, the server offers what of this
 * list libssh accepts, each name checked on its own, so that -T shows what
 * is offered; where it knows none (0.10, 0.11), libssh's defaults stay.
 * Returns the list to set, or "" to keep libssh's defaults. */
static const char *kex_preference(void)
{
    static const char *const pq[] = {
        "mlkem768x25519-sha256",   "sntrup761x25519-sha512",   "sntrup761x25519-sha512@openssh.com",
        "mlkem768nistp256-sha256", "mlkem1024nistp384-sha384",
    };
    static const char *const classic[] = {
        "curve25519-sha256",
        "curve25519-sha256@libssh.org",
        "ecdh-sha2-nistp256",
        "ecdh-sha2-nistp384",
        "ecdh-sha2-nistp521",
        "diffie-hellman-group18-sha512",
        "diffie-hellman-group16-sha512",
        "diffie-hellman-group14-sha256",
    };
    static char list[1024];
    static bool done;

    if (done)
        return list;
    done = true;
    /* An unknown method is an error libssh logs; here it is the answer. */
    int level = ssh_get_log_level();
    ssh_set_log_level(SSH_LOG_NONE);
    ssh_bind probe = ssh_bind_new();
    for (size_t i = 0; probe != NULL && i < VS_ARRAY_SIZE(pq); i++)
        kex_add(list, sizeof(list), probe, pq[i]);
    /* With a post-quantum method, the classic ones follow it. */
    for (size_t i = 0; list[0] != '\0' && i < VS_ARRAY_SIZE(classic); i++)
        kex_add(list, sizeof(list), probe, classic[i]);
    ssh_bind_free(probe);
    ssh_set_log_level(level);
    return list;
}

/* -T's line about it. */
static void dump_kex(FILE *out)
{
    const char *kex = kex_preference();
    if (*kex != '\0')
        fprintf(out, "kexalgorithms %s\n", kex);
    else
        fprintf(out, "# kexalgorithms: libssh %.*s's defaults (it has no post-quantum method)\n",
                (int)strcspn(ssh_version(0), "/"), ssh_version(0));
}

static ssh_bind new_bind(const struct vs_config *c, bool generate_keys)
{
    ssh_bind b = ssh_bind_new();
    bool no = false;

    if (b == NULL)
        return NULL;
    /* Only our own configuration counts; not libssh's system-wide file. */
    ssh_bind_options_set(b, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no);
    ssh_bind_options_set(b, SSH_BIND_OPTIONS_BANNER, "vsock_sshd_" VS_VERSION);
    const char *kex = kex_preference();
    if (*kex != '\0' && ssh_bind_options_set(b, SSH_BIND_OPTIONS_KEY_EXCHANGE, kex) != SSH_OK) {
        log_error("cannot set the key exchange methods: %s", ssh_get_error(b));
        ssh_bind_free(b);
        return NULL;
    }
    if (vs_hostkey_load(c, b, generate_keys) < 0) {
        ssh_bind_free(b);
        return NULL;
    }
    return b;
}

struct reload_ctx {
    const struct options *o;
};

static int reload(struct vs_config *cfg, ssh_bind *bind, void *userdata)
{
    struct reload_ctx *rc = userdata;
    struct vs_config fresh;

    if (load_config(rc->o, &fresh, true) < 0) {
        log_error("configuration errors: keeping the previous configuration");
        return -EINVAL;
    }
    ssh_bind b = new_bind(&fresh, true);
    if (b == NULL) {
        vs_config_free(&fresh);
        log_error("keeping the previous configuration");
        return -EINVAL;
    }
    /* Listeners stay as they are; keep the old Listen so -T and logs match. */
    memcpy(fresh.listen, cfg->listen, sizeof(cfg->listen));
    fresh.n_listen = cfg->n_listen;
    vs_config_free(cfg);
    *cfg = fresh;
    ssh_bind_free(*bind);
    *bind = b;
    vs_log_set_level((enum vs_log_level)cfg->log_level);
    vs_log_attach_libssh();
    return 0;
}

/* Written as root: never through a symbolic link, never into anything but
 * a regular file (a planted link would otherwise truncate its target). */
static int write_pid_file(const char *path)
{
    char line[32];
    struct stat st;

    if (path == NULL || strcmp(path, "none") == 0)
        return 0;
    VS_CLEANUP_CLOSE int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ELOOP)
        return log_error_errno(-ELOOP, "Cannot write PidFile %s: it is a symbolic link", path);
    if (fd < 0)
        return log_error_errno(-errno, "Cannot write PidFile %s", path);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return log_error_errno(-EINVAL, "Cannot write PidFile %s: not a regular file", path);
    int n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, line, (size_t)n) != n)
        return log_error_errno(-errno, "Cannot write PidFile %s", path);
    return 0;
}

static int daemonize(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return -errno;
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        vs_close(fd);
    }
    return chdir("/") < 0 ? -errno : 0;
}

/* Ends a connection's process (inetd mode: the connection, or a start-up
 * that ended before the monitor's fork) once vs_conn_run() is done and
 * logged.  _exit(), not exit(): libc's and OpenSSL's atexit work (freeing
 * the library's tables and error strings) and our own frees write to pages
 * the process shares with its monitor since the fork, each write a
 * copy-on-write fault, only for the kernel to throw the copies away.
 * Nothing is lost: the DISCONNECT has gone, stderr is unbuffered and
 * syslog() sends each line.  ASan builds return from main() instead, so
 * that LeakSanitizer still checks the connection. */
static void exit_now(int status) __attribute__((noreturn, unused));
static void exit_now(int status)
{
    fflush(NULL);
    _exit(status);
}

/* inetd mode: fd 0 is a connected socket (systemd Accept=yes).  Takes it
 * and admits its peer; returns the connection's fd, or a negative errno
 * (logged).  This comes before the host key is loaded: a refused peer
 * (a flood from inside the guest, say) costs no more than this. */
static int inetd_admit(const struct vs_config *cfg, struct vs_peer *peer, const char **refusal)
{
    char peer_str[64];
    int fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);

    if (fd < 0)
        return log_error_errno(-errno, "inetd mode: no connection on standard input");
    /* stdin and stdout must not stay the connection: user code gets its own. */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        vs_close(null);
    }
    int r = vs_peer_admit(cfg, fd, peer, peer_str, sizeof(peer_str), refusal);
    if (r < 0) {
        vs_close(fd);
        return r;
    }
    return fd;
}

/* The peer of -C peer=PEER (common/address.h): CID (a privileged process
 * of it, from port VS_LAST_RESERVED_PORT), CID:PORT, or unix:UID, as a
 * connection from it would have it.  Returns 0 or -EINVAL. */
static int parse_peer_spec(const char *spec, struct vs_peer *out)
{
    struct vs_peer_address a;

    if (vs_address_parse_peer(spec, VS_LAST_RESERVED_PORT, &a) < 0)
        return -EINVAL;
    if (a.kind == VS_ADDRESS_UNIX)
        *out = (struct vs_peer){.kind = VS_PEER_UNIX, .uid = (uid_t)a.uid, .pid = -1};
    else
        *out =
            (struct vs_peer){.kind = VS_PEER_VSOCK, .cid = a.cid, .port = a.port, .local_port = 22};
    return 0;
}

/* -T -C user=NAME,peer=PEER: the configuration a connection of that user
 * from that peer gets, with Match applied, as sshd -T -C prints it; first
 * whether AllowPeers admits that peer at all.  Returns the exit status. */
static int dump_matched(const struct vs_config *cfg, const char *spec)
{
    char copy[512], *save, user[256] = "";
    struct vs_peer peer = {.kind = VS_PEER_VSOCK,
                           .cid = VS_VMADDR_CID_HOST,
                           .port = VS_LAST_RESERVED_PORT,
                           .local_port = 22};
    snprintf(copy, sizeof(copy), "%s", spec);
    for (char *kv = strtok_r(copy, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
        if (strncmp(kv, "user=", 5) == 0) {
            snprintf(user, sizeof(user), "%s", kv + 5);
        } else if (strncmp(kv, "peer=", 5) == 0) {
            if (parse_peer_spec(kv + 5, &peer) < 0) {
                fprintf(stderr, "vsock-sshd: -C: '%s': expected peer=CID, CID:PORT or unix:UID\n",
                        kv);
                return 1;
            }
        } else {
            fprintf(stderr, "vsock-sshd: -C: '%s': expected user=NAME or peer=PEER\n", kv);
            return 1;
        }
    }
    /* USER+CONTAINER: the container's account, the container running. */
    char name[256], ctr_name[VS_CONTAINER_NAME_MAX + 1], why_buf[512];
    const char *bad = NULL;
    struct vs_container ctr = {.pidfd = -1, .root_fd = -1};
    struct vs_user u;
    if (vs_login_name_split(user, name, sizeof(name), ctr_name, sizeof(ctr_name), &bad) < 0) {
        fprintf(stderr, "vsock-sshd: -C: '%s': %s\n", user, bad);
        return 1;
    }
    if (ctr_name[0] != '\0' &&
        vs_container_find(cfg, ctr_name, &ctr, why_buf, sizeof(why_buf)) < 0) {
        fprintf(stderr, "vsock-sshd: -C: %s\n", why_buf);
        return 1;
    }
    const struct vs_container *in = ctr_name[0] != '\0' ? &ctr : NULL;
    if (name[0] == '\0' ||
        (in != NULL ? vs_container_user_lookup(&ctr, name, &u) : vs_user_lookup(name, &u)) < 0) {
        fprintf(stderr, "vsock-sshd: -C: no such user '%s'%s%s\n", name,
                in != NULL ? " in container " : "", in != NULL ? ctr_name : "");
        vs_container_close(&ctr);
        return 1;
    }
    if (in != NULL)
        printf("# container: %s (%s, leader %d)\n", ctr.name, ctr.runtime, (int)ctr.leader);
    /* Our own CID is unknown here: say the guest's is 3, as a peer the
     * host would see. */
    peer.local_cid = peer.cid == 3 ? 4 : 3;
    const char *why = NULL;
    switch (vs_peer_check(cfg, &peer, &why)) {
    case VS_PEER_ADMIT:
        printf("# peer: admitted\n");
        break;
    case VS_PEER_EXPLAIN:
    case VS_PEER_REFUSE:
        printf("# peer: refused: %s\n", why);
        break;
    }
    struct vs_match_ctx ctx;
    int r = vs_match_ctx_build(&ctx, &u, in, &peer, vs_config_uses_groups(cfg));
    if (r < 0) {
        fprintf(stderr, "vsock-sshd: -C: the groups of '%s' cannot be read: %s\n", user,
                strerror(-r));
        vs_user_free(&u);
        vs_container_close(&ctr);
        return 1;
    }
    struct vs_config matched, vals;
    r = vs_config_match(cfg, &ctx, &matched, &vals);
    if (r == 0) {
        struct vs_user_facts facts;
        vs_user_facts_of(&u, in, 0, &facts);
        if (in != NULL && vs_config_group_without_container(cfg))
            printf("# user: refused: a Match block with a Group criterion and no Container one "
                   "cannot decide a container's login\n");
        else if (vs_user_allowed(&matched, &facts, &why))
            printf("# user: allowed\n");
        else
            printf("# user: refused: %s\n", why);
    }
    vs_config_dump(&matched, stdout);
    vs_config_free(&vals);
    vs_match_ctx_free(&ctx);
    vs_user_free(&u);
    vs_container_close(&ctr);
    return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"help", no_argument, NULL, 'H'},
        {"version", no_argument, NULL, 'V'},
        {0},
    };
    struct options o = {.config_path = VS_DEFAULT_CONFIG_PATH};
    struct vs_config cfg;
    bool have_cfg = false;
    ssh_bind bind = NULL;
    int c, r = 1;

    while ((c = getopt_long(argc, argv, "DdeitTVf:h:l:o:C:", long_options, NULL)) != -1) {
        switch (c) {
        case 'D':
            o.foreground = true;
            break;
        case 'd':
            o.debug++;
            o.foreground = o.to_stderr = true;
            break;
        case 'e':
            o.to_stderr = true;
            break;
        case 'i':
            o.inetd = true;
            break;
        case 't':
            o.test = true;
            break;
        case 'T':
            o.dump = true;
            break;
        case 'V':
            printf("vsock-sshd %s (libssh %s)\n", VS_VERSION, ssh_version(0));
            r = 0;
            goto out;
        case 'H':
            usage(stdout);
            r = 0;
            goto out;
        case 'C':
            o.match_spec = optarg;
            break;
        case 'f':
            o.config_path = optarg;
            o.config_explicit = true;
            break;
        case 'h':
            if (add_keyword(&o, 'h', "HostKey", optarg) < 0)
                goto out;
            break;
        case 'l':
            if (add_keyword(&o, 'l', "Listen", optarg) < 0)
                goto out;
            break;
        case 'o':
            if (add_line(&o, 'o', strdup(optarg)) < 0)
                goto out;
            break;
        default:
            usage(stderr);
            goto out;
        }
    }
    if (optind != argc) {
        usage(stderr);
        goto out;
    }
    if (o.debug > 0) {
        /* -d, -dd, -ddd: after any -o LogLevel, which then wins. */
        char level[] = "LogLevel DEBUGn";
        level[sizeof(level) - 2] = (char)('0' + (o.debug > 3 ? 3 : o.debug));
        if (add_line(&o, 'd', strdup(level)) < 0)
            goto out;
    }
    if (load_config(&o, &cfg, false) < 0)
        goto out;
    have_cfg = true;
    if (o.dump) {
        if (o.match_spec != NULL) {
            r = dump_matched(&cfg, o.match_spec);
            goto out;
        }
        vs_config_dump(&cfg, stdout);
        dump_kex(stdout);
        r = 0;
        goto out;
    }
    bool to_stderr = o.to_stderr || o.test;
    vs_log_open("vsock-sshd", to_stderr, (enum vs_log_level)cfg.log_level);
    vs_log_attach_libssh();
    ssh_init();

    struct vs_peer peer;
    const char *refusal = NULL;
    int inetd_fd = -1;
    if (o.inetd && !o.test && (inetd_fd = inetd_admit(&cfg, &peer, &refusal)) < 0) {
        r = 1;
        goto out_ssh;
    }
    bind = new_bind(&cfg, !o.test);
    if (o.test || bind == NULL) {
        vs_close(inetd_fd);
        r = bind == NULL ? 1 : 0;
        goto out_ssh;
    }
    r = vs_signals_init();
    if (r < 0) {
        log_error_errno(r, "Cannot set up signal handling");
        vs_close(inetd_fd);
        r = 1;
        goto out_ssh;
    }
    if (o.inetd) {
        struct vs_conn_params cp = {.cfg = &cfg,
                                    .bind = bind,
                                    .fd = inetd_fd,
                                    .peer = peer,
                                    .refusal = refusal,
                                    .auth_notify_fd = -1};
        r = vs_conn_run(&cp) < 0 ? 1 : 0;
#ifndef VS_SANITIZE
        exit_now(r);
#endif
        goto out_ssh; /* LeakSanitizer checks the connection too */
    }
    /* Sockets systemd passed (vsock-sshd.socket starting vsock-sshd.service)
     * are taken before daemonize() changes the process ID they name. */
    int activated[VS_MAX_LISTEN];
    int n_activated = vs_activation_take(activated, VS_MAX_LISTEN);
    if (n_activated < 0) {
        r = 1;
        goto out_ssh;
    }
    if (!o.foreground && (r = daemonize()) < 0) {
        log_error_errno(r, "Cannot daemonize");
        r = 1;
        goto out_ssh;
    }
    write_pid_file(cfg.pid_file);
    struct reload_ctx rc = {.o = &o};
    struct vs_listener_params lp = {.cfg = &cfg,
                                    .bind = &bind,
                                    .reload = reload,
                                    .reload_userdata = &rc,
                                    .activated = activated,
                                    .n_activated = (unsigned)n_activated};
    r = vs_listener_run(&lp) < 0 ? 1 : 0;
    if (cfg.pid_file != NULL && strcmp(cfg.pid_file, "none") != 0)
        unlink(cfg.pid_file);
out_ssh:
    if (bind != NULL)
        ssh_bind_free(bind);
    ssh_finalize();
out:
    if (have_cfg)
        vs_config_free(&cfg);
    options_free(&o);
    return r;
}

/* Starting a session's command: the fork, the session's login record
 * (started here, in the session's own process, before anything of the
 * user's runs: loginrec.h), the check that the process is the user (the
 * drop itself happened once, in the connection's process: become.h), the
 * login environment, and the exec (or the built-in SFTP server). */
#ifndef VS_CHILD_H
#define VS_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "login.h"
#include "user.h"

/* Upper bounds of what a client may add to a session's environment. */
#define VS_MAX_ENV 64
#define VS_MAX_ENV_BYTES 8192
/* Most PAM environment variables a session gets. */
#define VS_MAX_PAM_ENV 64

struct vs_spawn_req {
    const struct vs_user *user;
    const char *command;  /* NULL: a login shell */
    bool internal_sftp;   /* run the built-in SFTP server instead of a shell */
    int pty_slave;        /* -1: three pipes */
    const char *tty_name; /* SSH_TTY, with a PTY */
    const char *term;     /* TERM, with a PTY */
    char *const *env;     /* accepted "NAME=value" strings */
    unsigned n_env;
    const char *ssh_connection, *ssh_client;
    const char *auth_sock;        /* SSH_AUTH_SOCK with agent forwarding, else NULL */
    const char *original_command; /* SSH_ORIGINAL_COMMAND under ForceCommand, or NULL */
    char *const *pam_env;         /* the PAM session's environment, NULL-terminated, or NULL */
    struct vs_login *login;       /* for a PTY session's login record (loginrec.h), or NULL */
    /* Where the connection's process keeps the host keys: its libssh
     * session (the server keys copied from the bind) and the listener's
     * ssh_bind (NULL where the connection has none).  The built-in SFTP
     * server's process frees both before it reads anything (below). */
    ssh_session ssh;
    ssh_bind bind;
};

struct vs_spawned {
    pid_t pid;
    int in_fd, out_fd, err_fd; /* our ends, non-blocking; -1 with a PTY */
};

/* Forks and execs the user's shell (login shell, or "-c command") in a new
 * session, as the user (initgroups, setgid, setuid, each checked), or runs
 * the built-in SFTP server in the child after the same drop.  That child
 * runs no exec, so it first frees every copy of the host keys it inherited
 * (r->ssh and r->bind, whose keys libssh burns as it frees them); the
 * connection's process keeps its own.  Returns
 * 0 or -errno; failures after the fork are reported on the child's stderr
 * and by exit status 127 (exec) or 1 (setup). */
int vs_child_spawn(const struct vs_spawn_req *r, struct vs_spawned *out);

#endif

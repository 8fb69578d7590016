#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/server.h>

#include "channel.h"
#include "child.h"
#include "fdutil.h"
#include "forward.h"
#include "log.h"
#include "monitor.h"
#include "policy.h"
#include "ttymodes.h"
#include "util.h"

struct vs_session {
    struct vs_channel *c; /* the channel: its libssh side, pumps, id, context (channel.h) */
    int64_t started_ms;

    /* Requests before the start. */
    bool started_child;
    char *term;
    int pty_master, pty_slave;
    char tty_name[64];
    char *env[VS_MAX_ENV];
    unsigned n_env;
    size_t env_bytes;
    char what[160];      /* for the log: shell, exec '...', subsystem NAME */
    char auth_sock[108]; /* ssh -A: the agent socket, or "" */

    /* The child and its fds.  Client input goes to the channel's in_fd;
     * with a PTY, in_fd and out_fd are the master.  Output that libssh did
     * not take (window, key re-exchange) waits in the channel's out[0]
     * (stdout) and out[1] (stderr), not lost. */
    pid_t pid;
    bool reaped;
    bool tty_recorded; /* utmp has a record of this PTY (monitor.h) */
    int status;
    int out_fd, err_fd;
    bool out_eof, err_eof;

    /* The end. */
    bool hung_up; /* SIGHUP sent; SIGKILL at kill_at_ms */
    int64_t kill_at_ms;
    bool kill_sent;
    bool finished;

    int poll_in, poll_out, poll_err; /* indices into the round's pollfds, or -1 */
};

/* RFC 4254 section 6.10 signal names. */
static const struct {
    const char *name;
    int sig;
} signals[] = {
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"FPE", SIGFPE},   {"HUP", SIGHUP},   {"ILL", SIGILL},
    {"INT", SIGINT},   {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},
    {"TERM", SIGTERM}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
};

static int signal_from_name(const char *name)
{
    for (size_t i = 0; i < VS_ARRAY_SIZE(signals); i++)
        if (strcmp(signals[i].name, name) == 0)
            return signals[i].sig;
    return -1;
}

static const char *signal_name(int sig)
{
    for (size_t i = 0; i < VS_ARRAY_SIZE(signals); i++)
        if (signals[i].sig == sig)
            return signals[i].name;
#ifdef __GLIBC__
    const char *abbrev = sigabbrev_np(sig);
#else /* musl (the static build) */
    static const struct {
        int sig;
        const char *name;
    } more[] = {{SIGBUS, "BUS"},   {SIGSYS, "SYS"},   {SIGTRAP, "TRAP"},     {SIGXCPU, "XCPU"},
                {SIGXFSZ, "XFSZ"}, {SIGPROF, "PROF"}, {SIGVTALRM, "VTALRM"}, {SIGSTKFLT, "STKFLT"}};
    const char *abbrev = NULL;
    for (size_t i = 0; i < VS_ARRAY_SIZE(more) && abbrev == NULL; i++)
        if (more[i].sig == sig)
            abbrev = more[i].name;
#endif
    return abbrev ? abbrev : "UNKNOWN";
}

static bool child_running(const struct vs_session *s)
{
    return s->pid > 0 && !s->reaped;
}

/* Signals the whole process group: the child is a session leader. */
static void signal_child(struct vs_session *s, int sig)
{
    if (child_running(s) && kill(-s->pid, sig) < 0 && errno == ESRCH)
        kill(s->pid, sig);
}

static void close_input(struct vs_session *s)
{
    if (s->c->in.closed)
        return;
    vs_chan_in_close(&s->c->in);
    if (s->pty_master < 0)
        s->c->in_fd = vs_close(s->c->in_fd);
}

static void close_output(struct vs_session *s, bool is_err)
{
    vs_chan_out_drop(&s->c->out[is_err]);
    if (is_err) {
        s->err_eof = true;
        s->err_fd = vs_close(s->err_fd);
        return;
    }
    s->out_eof = true;
    if (s->pty_master >= 0) {
        /* The master carries both directions. */
        vs_chan_in_close(&s->c->in);
        s->pty_master = s->c->in_fd = s->out_fd = vs_close(s->pty_master);
    } else {
        s->out_fd = vs_close(s->out_fd);
    }
}

/* ---- client input -> child stdin ---------------------------------------- */

/* Client EOF reaches the child once everything before it has. With a PTY
 * there is no half-close: like sshd, the terminal stays open. */
static void maybe_close_stdin(struct vs_session *s)
{
    if (s->c->client_eof && !vs_chan_in_pending(&s->c->in) && s->pty_master < 0 && s->started_child)
        close_input(s);
}

static void log_input_closed(const struct vs_session *s)
{
    log_debug("session %u: the command stopped reading its input (%s); the rest is dropped",
              s->c->id, strerror(s->c->in.write_errno));
}

static struct vs_session *session_of(struct vs_channel *ch)
{
    return ch->priv;
}

static void input_failed(struct vs_channel *ch)
{
    log_input_closed(session_of(ch));
}

static void client_eof(struct vs_channel *ch)
{
    maybe_close_stdin(session_of(ch));
}

/* ---- child output -> client -------------------------------------------- */

/* Moves one stream's output from the child to the client, within one
 * buffer per stream and the client's window. */
static void pump_output(struct vs_session *s, bool is_err)
{
    int fd = is_err ? s->err_fd : s->out_fd;

    if (fd < 0 || s->c->remote_closed)
        return;
    int r = vs_chan_out_pump(&s->c->out[is_err], s->c->ch, fd);
    if (r == -EPIPE)
        log_debug("session %u: channel write failed: %s", s->c->id, ssh_get_error(s->c->ctx->ssh));
    /* A PTY's master never reports EOF while a background job holds the
     * terminal: once the shell has exited and the master is drained, the
     * session is over (as sshd does). */
    if (r == 1 || r == -EPIPE || (r == -EAGAIN && s->pty_master >= 0 && s->reaped))
        close_output(s, is_err);
}

/* ---- requests --------------------------------------------------------- */

static int pty_request(struct vs_session *s, const char *term, int cols, int rows, int px_w,
                       int px_h)
{
    struct winsize ws = {.ws_row = (unsigned short)rows,
                         .ws_col = (unsigned short)cols,
                         .ws_xpixel = (unsigned short)px_w,
                         .ws_ypixel = (unsigned short)px_h};
    struct termios t;

    if (s->started_child || s->pty_master >= 0)
        return -EALREADY;
    if (s->c->ctx->cfg->permit_tty == 0) {
        log_info("session %u: refused a pty: PermitTTY is no", s->c->id);
        return -EPERM;
    }
    if (rows < 0 || cols < 0 || rows > 65535 || cols > 65535)
        return -EINVAL;
    if (openpty(&s->pty_master, &s->pty_slave, s->tty_name, NULL, &ws) < 0) {
        int r = log_error_errno(-errno, "session %u: openpty", s->c->id);
        s->pty_master = s->pty_slave = -1;
        return r;
    }
    /* libssh does not expose the client's encoded modes; see ttymodes.h. */
    if (tcgetattr(s->pty_slave, &t) == 0) {
        vs_ttymodes_defaults(&t);
        tcsetattr(s->pty_slave, TCSANOW, &t);
    }
    fcntl(s->pty_master, F_SETFD, FD_CLOEXEC);
    fcntl(s->pty_slave, F_SETFD, FD_CLOEXEC);
    vs_set_nonblock(s->pty_master);
    free(s->term);
    s->term = strndup(term ? term : "", 256);
    log_debug("session %u: pty %s term %s %dx%d", s->c->id, s->tty_name, s->term, cols, rows);
    return 0;
}

static int window_change(struct vs_session *s, int cols, int rows, int px_w, int px_h)
{
    struct winsize ws = {.ws_row = (unsigned short)rows,
                         .ws_col = (unsigned short)cols,
                         .ws_xpixel = (unsigned short)px_w,
                         .ws_ypixel = (unsigned short)px_h};
    if (s->pty_master < 0)
        return -ENOTTY;
    if (rows < 0 || cols < 0 || rows > 65535 || cols > 65535)
        return -EINVAL;
    /* The kernel sends SIGWINCH to the terminal's foreground process group. */
    return ioctl(s->pty_master, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

static int env_request(struct vs_session *s, const char *name, const char *value)
{
    const struct vs_config *cfg = s->c->ctx->cfg;

    size_t bytes = strlen(name) + strlen(value) + 2;
    if (s->started_child || !vs_env_accepted(cfg, name) || s->n_env >= VS_MAX_ENV ||
        s->env_bytes + bytes > VS_MAX_ENV_BYTES) {
        log_verbose("session %u: refused environment variable %.64s", s->c->id, name);
        return -EPERM;
    }
    if (asprintf(&s->env[s->n_env], "%s=%s", name, value) < 0)
        return -ENOMEM;
    s->n_env++;
    s->env_bytes += bytes;
    return 0;
}

static void on_signal_request(ssh_session session, ssh_channel channel, const char *signal,
                              void *userdata)
{
    struct vs_session *s = session_of(userdata);
    (void)session;
    (void)channel;
    int sig = signal_from_name(signal);
    if (sig < 0) {
        log_verbose("session %u: ignored unknown signal %.32s", s->c->id, signal);
        return;
    }
    log_debug("session %u: delivering SIG%s", s->c->id, signal);
    signal_child(s, sig);
}

/* What the session runs, for the log: kind, then the quoted, printable argument. */
static void describe(char *buf, size_t len, const char *kind, const char *arg)
{
    char printable[128];
    if (arg == NULL) {
        snprintf(buf, len, "%s", kind);
        return;
    }
    vs_printable(printable, sizeof(printable), arg);
    snprintf(buf, len, "%s '%s'", kind, printable);
}

static int start(struct vs_session *s, const char *command, bool internal_sftp,
                 const char *original)
{
    const struct vs_chan_ctx *ctx = s->c->ctx;
    struct vs_spawned sp;
    struct vs_spawn_req req = {
        .user = ctx->user,
        .command = command,
        .internal_sftp = internal_sftp,
        .pty_slave = s->pty_slave,
        .tty_name = s->tty_name,
        .term = s->term,
        .env = s->env,
        .n_env = s->n_env,
        .ssh_connection = ctx->ssh_connection,
        .ssh_client = ctx->ssh_client,
        .auth_sock = s->auth_sock[0] ? s->auth_sock : NULL,
        .original_command = original,
        .pam_env = ctx->login->env,
        .login = ctx->login,
        .ssh = ctx->ssh,
        .bind = ctx->bind,
    };

    if (s->started_child)
        return -EALREADY;
    int r = vs_child_spawn(&req, &sp);
    if (r < 0)
        return log_error_errno(r, "session %u: cannot start %s", s->c->id, s->what);
    s->started_child = true;
    s->pid = sp.pid;
    vs_monitor_proc_started(ctx->login, sp.pid); /* hung up by the monitor if we die */
    if (s->pty_master >= 0) {
        s->pty_slave = vs_close(s->pty_slave);         /* the child has it now */
        s->tty_recorded = ctx->login->monitor_fd >= 0; /* the child asked for it */
        s->c->in_fd = s->out_fd = s->pty_master;
        s->err_eof = true;
    } else {
        s->c->in_fd = sp.in_fd;
        s->out_fd = sp.out_fd;
        s->err_fd = sp.err_fd;
    }
    s->started_ms = vs_now_ms();
    log_info("session %u: user %s %s%s started", s->c->id, ctx->user->name, s->what,
             s->pty_master >= 0 ? " with pty" : "");
    /* Input that arrived with the request (or EOF) goes through now. */
    if (vs_chan_in_pump(&s->c->in, s->c->ch, s->c->in_fd) == -EPIPE)
        log_input_closed(s);
    maybe_close_stdin(s);
    return 0;
}

/* exec, shell and subsystem requests: the first one starts the child. */
static int start_request(struct vs_session *s, const char *kind, const char *arg,
                         const char *command)
{
    if (s->started_child)
        return -EALREADY;
    describe(s->what, sizeof(s->what), kind, arg);
    /* ForceCommand (a Match block's, usually) replaces whatever was asked;
     * what was asked goes to SSH_ORIGINAL_COMMAND. */
    const char *forced = s->c->ctx->cfg->force_command;
    if (forced != NULL && strcmp(forced, "none") != 0) {
        log_verbose("session %u: ForceCommand replaces %s", s->c->id, s->what);
        if (vs_subsystem_is_internal(forced))
            return start(s, NULL, true, arg);
        return start(s, forced, false, arg);
    }
    bool internal =
        command != NULL && strcmp(kind, "subsystem") == 0 && vs_subsystem_is_internal(command);
    if (internal && !vs_shell_unrestricted(s->c->ctx->user->shell)) {
        /* The built-in server would bypass a restricted shell (rbash,
         * git-shell): let the shell decide, as sshd's sftp-server does. */
        log_info("session %u: %s has the restricted shell %s: the SFTP subsystem runs through it",
                 s->c->id, s->c->ctx->user->name, s->c->ctx->user->shell);
        return start(s, VS_SFTP_SERVER_PATH, false, NULL);
    }
    return start(s, internal ? NULL : command, internal, NULL);
}

static int subsystem_request(struct vs_session *s, const char *name)
{
    const char *cmd = vs_config_subsystem(s->c->ctx->cfg, name);
    if (cmd == NULL && !s->started_child) {
        log_info("session %u: refused unknown subsystem %.64s", s->c->id, name);
        return -ENOENT;
    }
    return start_request(s, "subsystem", name, cmd);
}

/* ssh -A: the session's commands reach the client's agent through a socket
 * of their own (SSH_AUTH_SOCK), removed when the session ends. */
static void on_agent_request(ssh_session session, ssh_channel channel, void *userdata)
{
    struct vs_session *s = session_of(userdata);
    (void)session;
    (void)channel;
    if (s->started_child || s->auth_sock[0] != '\0')
        return;
    int r = vs_fwd_agent_start(s->c->ctx->fwd, s->c->id, s->auth_sock, sizeof(s->auth_sock));
    if (r < 0) {
        s->auth_sock[0] = '\0';
        if (r == -EPERM)
            log_info("session %u: refused agent forwarding: AllowAgentForwarding is no", s->c->id);
        else
            log_error_errno(r, "session %u: cannot create the agent socket", s->c->id);
    }
}

/* libssh marks its pty getters deprecated in favour of the callback API,
 * which we cannot use (see handle_message() in conn.c); they are still the
 * only way to read a queued pty-req or window-change. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static int request(struct vs_channel *ch, ssh_message msg)
{
    struct vs_session *s = session_of(ch);

    switch (ssh_message_subtype(msg)) {
    case SSH_CHANNEL_REQUEST_PTY:
        return pty_request(s, ssh_message_channel_request_pty_term(msg),
                           ssh_message_channel_request_pty_width(msg),
                           ssh_message_channel_request_pty_height(msg),
                           ssh_message_channel_request_pty_pxwidth(msg),
                           ssh_message_channel_request_pty_pxheight(msg));
    case SSH_CHANNEL_REQUEST_WINDOW_CHANGE:
        return window_change(s, ssh_message_channel_request_pty_width(msg),
                             ssh_message_channel_request_pty_height(msg),
                             ssh_message_channel_request_pty_pxwidth(msg),
                             ssh_message_channel_request_pty_pxheight(msg));
    case SSH_CHANNEL_REQUEST_ENV:
        return env_request(s, ssh_message_channel_request_env_name(msg),
                           ssh_message_channel_request_env_value(msg));
    case SSH_CHANNEL_REQUEST_SHELL:
        return start_request(s, "shell", NULL, NULL);
    case SSH_CHANNEL_REQUEST_EXEC: {
        const char *cmd = ssh_message_channel_request_command(msg);
        return start_request(s, "exec", cmd ? cmd : "", cmd ? cmd : "");
    }
    case SSH_CHANNEL_REQUEST_SUBSYSTEM: {
        const char *name = ssh_message_channel_request_subsystem(msg);
        return subsystem_request(s, name ? name : "");
    }
    default:
        log_verbose("session %u: refused an unsupported channel request (X11 or unknown)",
                    s->c->id);
        return -EOPNOTSUPP;
    }
}
#pragma GCC diagnostic pop

/* ---- life cycle -------------------------------------------------------- */

static void set_callbacks(struct ssh_channel_callbacks_struct *cb)
{
    cb->channel_signal_function = on_signal_request;
    cb->channel_auth_agent_req_function = on_agent_request;
}

static int open_session(struct vs_channel *ch, ssh_message msg)
{
    struct vs_session *s = calloc(1, sizeof(*s));
    ssh_channel sc = s ? ssh_channel_new(ch->ctx->ssh) : NULL;
    if (sc == NULL) {
        free(s);
        ssh_message_reply_default(msg);
        ssh_message_free(msg);
        return -ENOMEM;
    }
    s->c = ch;
    s->pty_master = s->pty_slave = s->out_fd = s->err_fd = -1;
    ch->priv = s;
    vs_channel_attach(ch, sc);
    int r = ssh_message_channel_request_open_reply_accept_channel(msg, sc) == SSH_OK ? 0 : -EIO;
    if (r < 0)
        ssh_message_reply_default(msg);
    ssh_message_free(msg);
    return r;
}

static int poll_prepare(struct vs_channel *ch, struct pollfd *p)
{
    struct vs_session *s = session_of(ch);
    int n = 0;
    /* Output waiting for libssh is retried by vs_session_step(); the fds
     * are not read meanwhile. */
    bool can_send = !s->c->remote_closed && !s->c->conn_gone &&
                    ssh_channel_window_size(s->c->ch) > 0 && !vs_chan_out_pending(&s->c->out[0]) &&
                    !vs_chan_out_pending(&s->c->out[1]);
    /* Input waiting in the buffer or still in libssh: wake when the child
     * can take more, or libssh's share would never move again. */
    bool have_input = vs_chan_in_pending(&s->c->in);

    s->poll_in = s->poll_out = s->poll_err = -1;
    if (s->pty_master >= 0) {
        short ev = (short)((can_send ? POLLIN : 0) | (have_input ? POLLOUT : 0));
        if (ev != 0) {
            p[n] = (struct pollfd){.fd = s->pty_master, .events = ev};
            s->poll_in = s->poll_out = n++;
        }
        return n;
    }
    if (s->c->in_fd >= 0 && have_input) {
        p[n] = (struct pollfd){.fd = s->c->in_fd, .events = POLLOUT};
        s->poll_in = n++;
    }
    if (s->out_fd >= 0 && can_send) {
        p[n] = (struct pollfd){.fd = s->out_fd, .events = POLLIN};
        s->poll_out = n++;
    }
    if (s->err_fd >= 0 && can_send) {
        p[n] = (struct pollfd){.fd = s->err_fd, .events = POLLIN};
        s->poll_err = n++;
    }
    return n;
}

static void poll_handle(struct vs_channel *ch, const struct pollfd *p, int n)
{
    struct vs_session *s = session_of(ch);

    if (s->poll_in >= 0 && s->poll_in < n && (p[s->poll_in].revents & (POLLOUT | POLLERR))) {
        if (vs_chan_in_pump(&s->c->in, s->c->ch, s->c->in_fd) == -EPIPE)
            log_input_closed(s);
        maybe_close_stdin(s);
    }
    /* pump_output looks its fd up again: the input pump may have closed it. */
    if (s->poll_out >= 0 && s->poll_out < n &&
        (p[s->poll_out].revents & (POLLIN | POLLHUP | POLLERR)))
        pump_output(s, false);
    if (s->poll_err >= 0 && s->poll_err < n &&
        (p[s->poll_err].revents & (POLLIN | POLLHUP | POLLERR)))
        pump_output(s, true);
}

static bool reaped(struct vs_channel *ch, pid_t pid, int status)
{
    struct vs_session *s = session_of(ch);

    if (s->pid != pid || s->reaped)
        return false;
    s->reaped = true;
    s->status = status;
    vs_monitor_proc_reaped(s->c->ctx->login, pid);
    if (s->tty_recorded)
        vs_monitor_record_end(s->c->ctx->login, pid, s->tty_name);
    s->tty_recorded = false;
    return true;
}

static void log_end(const struct vs_session *s)
{
    char result[64];
    if (!s->reaped)
        snprintf(result, sizeof(result), "not started");
    else if (WIFEXITED(s->status))
        snprintf(result, sizeof(result), "exit %d", WEXITSTATUS(s->status));
    else
        snprintf(result, sizeof(result), "signal %s%s", signal_name(WTERMSIG(s->status)),
                 WCOREDUMP(s->status) ? " (core dumped)" : "");
    log_info("session %u: user %s %s: %s%s, in %llu out %llu err %llu bytes, %.3f s", s->c->id,
             s->c->ctx->user->name ? s->c->ctx->user->name : "-",
             s->what[0] ? s->what : "no command", result, s->hung_up ? " (client gone first)" : "",
             (unsigned long long)s->c->in.bytes, (unsigned long long)s->c->out[0].bytes,
             (unsigned long long)s->c->out[1].bytes,
             s->started_child ? (double)(vs_now_ms() - s->started_ms) / 1000.0 : 0.0);
}

/* The end, in the order clients need: all data was written before this is
 * called; then exit-status or exit-signal, EOF, CLOSE. */
static void send_end(struct vs_session *s)
{
    if (WIFEXITED(s->status)) {
        ssh_channel_request_send_exit_status(s->c->ch, WEXITSTATUS(s->status));
    } else if (WIFSIGNALED(s->status)) {
        int sig = WTERMSIG(s->status);
        ssh_channel_request_send_exit_signal(s->c->ch, signal_name(sig),
                                             WCOREDUMP(s->status) ? 1 : 0, "", "");
    }
    ssh_channel_send_eof(s->c->ch);
    ssh_channel_close(s->c->ch);
}

static void hangup(struct vs_session *s)
{
    if (s->hung_up)
        return;
    s->hung_up = true;
    s->kill_at_ms = vs_now_ms() + VS_HANGUP_GRACE_MS;
    /* Nobody is left to read the output or write the input. */
    close_input(s);
    close_output(s, false);
    close_output(s, true);
    if (child_running(s)) {
        log_verbose("session %u: client gone, sending SIGHUP", s->c->id);
        signal_child(s, SIGHUP);
    }
}

static void hangup_channel(struct vs_channel *ch)
{
    hangup(session_of(ch));
}

static int step(struct vs_channel *ch, int *timeout_ms)
{
    struct vs_session *s = session_of(ch);

    if (s->finished)
        return VS_CHAN_DONE;
    if ((s->c->remote_closed || s->c->conn_gone) && !s->hung_up)
        hangup(s);

    if (s->hung_up) {
        if (!child_running(s)) {
            if (!s->c->conn_gone)
                ssh_channel_close(s->c->ch); /* answer the client's CLOSE */
            s->finished = true;
            log_end(s);
            return VS_CHAN_DONE;
        }
        int64_t ms = s->kill_at_ms - vs_now_ms();
        if (ms > 0) {
            vs_timeout_min(timeout_ms, (int)ms);
            return VS_CHAN_LIVE;
        }
        if (!s->kill_sent) {
            log_verbose("session %u: still running after SIGHUP, sending SIGKILL", s->c->id);
            signal_child(s, SIGKILL);
            s->kill_sent = true;
        }
        return VS_CHAN_LIVE; /* SIGCHLD wakes us */
    }

    if (!s->started_child)
        return VS_CHAN_LIVE;
    /* A client that ignores the window: drop it (chanio.h). */
    if (s->c->in.overflow) {
        log_info("session %u: the client sent more than the channel window allows; disconnecting",
                 s->c->id);
        return -ECONNABORTED;
    }
    /* Output that libssh did not take last time (window, key re-exchange):
     * every packet the client sends brings us here again. */
    for (int e = 0; e < 2; e++)
        if (vs_chan_out_pending(&s->c->out[e]) &&
            vs_chan_out_flush(&s->c->out[e], s->c->ch) == -EPIPE)
            close_output(s, e);
    /* A PTY whose shell has exited: read what is left, then stop (see pump_output). */
    if (s->reaped && !s->out_eof && s->pty_master >= 0)
        pump_output(s, false);
    if (s->reaped && s->out_eof && s->err_eof) {
        close_input(s);
        send_end(s);
        s->finished = true;
        log_end(s);
        return VS_CHAN_DONE;
    }
    return VS_CHAN_LIVE;
}

static void free_session(struct vs_channel *ch)
{
    struct vs_session *s = session_of(ch);
    if (s == NULL)
        return;
    vs_close(s->pty_slave);
    if (s->pty_master >= 0) {
        vs_close(s->pty_master); /* also in_fd and out_fd */
    } else {
        vs_close(s->c->in_fd);
        vs_close(s->out_fd);
    }
    vs_close(s->err_fd);
    s->c->in_fd = -1;
    for (unsigned i = 0; i < s->n_env; i++)
        free(s->env[i]);
    free(s->term);
    if (s->auth_sock[0])
        vs_fwd_agent_stop(s->c->ctx->fwd, s->c->id);
    free(s);
    ch->priv = NULL;
}

const struct vs_chan_type vs_chan_session = {
    .name = "session",
    .client_open = SSH_CHANNEL_SESSION,
    .pool = VS_POOL_SESSION,
    .in_cap = VS_STDIN_BUF,
    .out_cap = VS_OUTPUT_CHUNK,
    .n_out = 2,
    .open = open_session,
    .callbacks = set_callbacks,
    .request = request,
    .eof = client_eof,
    .input_failed = input_failed,
    .max_pollfds = VS_SESSION_MAX_POLLFDS,
    .poll_prepare = poll_prepare,
    .poll_handle = poll_handle,
    .step = step,
    .reaped = reaped,
    .hangup = hangup_channel,
    .free = free_session,
};

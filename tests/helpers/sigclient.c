/* A libssh client for what OpenSSH's ssh cannot send: "signal" channel
 * requests.  Connects to a vsock-sshd Unix socket, runs COMMAND, waits for a
 * line "ready" on its stdout, sends the signal SIG (a name without "SIG"),
 * then prints the command's remaining stdout and how it ended:
 * "status N" or "signal NAME core 0|1".
 * usage: sigclient SOCKET USER SIG COMMAND */
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char exit_signal[32];
static int exit_core;

static void on_exit_signal(ssh_session session, ssh_channel channel, const char *signal, int core,
                           const char *errmsg, const char *lang, void *userdata)
{
    (void)session, (void)channel, (void)errmsg, (void)lang, (void)userdata;
    snprintf(exit_signal, sizeof(exit_signal), "%s", signal);
    exit_core = core;
}

static int die(const char *what, ssh_session s)
{
    fprintf(stderr, "sigclient: %s: %s\n", what, s ? ssh_get_error(s) : "failed");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: sigclient SOCKET USER SIG COMMAND\n");
        return 2;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[1]);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return die("connect", NULL);

    ssh_session s = ssh_new();
    socket_t sfd = fd;
    ssh_options_set(s, SSH_OPTIONS_FD, &sfd);
    ssh_options_set(s, SSH_OPTIONS_HOST, "vsock-ssh-test");
    ssh_options_set(s, SSH_OPTIONS_USER, argv[2]);
    if (ssh_connect(s) != SSH_OK)
        return die("ssh_connect", s);
    if (ssh_userauth_none(s, NULL) != SSH_AUTH_SUCCESS)
        return die("auth none", s);
    ssh_channel ch = ssh_channel_new(s);
    struct ssh_channel_callbacks_struct cb = {.channel_exit_signal_function = on_exit_signal};
    ssh_callbacks_init(&cb);
    ssh_set_channel_callbacks(ch, &cb);
    if (ssh_channel_open_session(ch) != SSH_OK || ssh_channel_request_exec(ch, argv[4]) != SSH_OK)
        return die("exec", s);

    char buf[4096], seen[8192] = "";
    size_t used = 0;
    int n;
    while (strstr(seen, "ready\n") == NULL) {
        n = ssh_channel_read(ch, buf, sizeof(buf), 0);
        if (n <= 0)
            return die("command ended before 'ready'", s);
        if (used + (size_t)n < sizeof(seen) - 1) {
            memcpy(seen + used, buf, (size_t)n);
            used += (size_t)n;
            seen[used] = '\0';
        }
    }
    if (ssh_channel_request_send_signal(ch, argv[3]) != SSH_OK)
        return die("signal", s);
    while ((n = ssh_channel_read(ch, buf, sizeof(buf), 0)) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    /* exit-status / exit-signal come before EOF and CLOSE. */
    while (!ssh_channel_is_closed(ch) && !ssh_channel_is_eof(ch))
        if (ssh_channel_read(ch, buf, sizeof(buf), 1) < 0) /* stderr: discarded */
            break;
#if LIBSSH_VERSION_INT >= SSH_VERSION_INT(0, 11, 0)
    uint32_t exit_code = 0;
    int status =
        ssh_channel_get_exit_state(ch, &exit_code, NULL, NULL) == SSH_OK ? (int)exit_code : -1;
#else
    int status = ssh_channel_get_exit_status(ch);
#endif
    if (exit_signal[0] != '\0')
        printf("signal %s core %d\n", exit_signal, exit_core);
    else
        printf("status %d\n", status);
    ssh_channel_close(ch);
    ssh_channel_free(ch);
    ssh_disconnect(s);
    ssh_free(s);
    return 0;
}

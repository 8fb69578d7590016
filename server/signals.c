#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static int sig_pipe[2] = {-1, -1};
static const int handled[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    (void)!write(sig_pipe[1], &b, 1); /* a full pipe already says "look" */
    errno = saved;
}

int vs_signals_init(void)
{
    struct sigaction sa;

    vs_close(sig_pipe[0]);
    vs_close(sig_pipe[1]);
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return -errno;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < VS_ARRAY_SIZE(handled); i++)
        if (sigaction(handled[i], &sa, NULL) < 0)
            return -errno;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int vs_signals_fd(void)
{
    return sig_pipe[0];
}

unsigned vs_signals_take(void)
{
    unsigned char buf[64];
    unsigned mask = 0;
    ssize_t n;

    while ((n = read(sig_pipe[0], buf, sizeof(buf))) > 0)
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] < 32)
                mask |= VS_SIGBIT(buf[i]);
    return mask;
}

void vs_signals_reset_for_exec(void)
{
    sigset_t none;

    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    sig_pipe[0] = vs_close(sig_pipe[0]);
    sig_pipe[1] = vs_close(sig_pipe[1]);
}

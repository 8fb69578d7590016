/* Signals as events: handlers only write the signal number to a self-pipe
 * (restoring errno); main loops poll its read end. */
#ifndef VS_SIGNALS_H
#define VS_SIGNALS_H

/* Creates the pipe and installs handlers for SIGCHLD, SIGTERM, SIGINT and
 * SIGHUP; ignores SIGPIPE. Returns 0 or -errno. Safe to call again in a
 * forked child: it then makes a fresh pipe of its own. */
int vs_signals_init(void);
int vs_signals_fd(void);
/* Drains the pipe. Returns a bit mask, bit N set when signal N arrived. */
unsigned vs_signals_take(void);
/* Before exec of user code: default dispositions, nothing blocked, pipe closed. */
void vs_signals_reset_for_exec(void);

#define VS_SIGBIT(sig) (1u << (sig))

#endif

/* systemd's socket activation for the daemon (a socket unit with Accept=no
 * whose service runs vsock-sshd -D starts it at the first connection and
 * passes it the listening socket; the packaged vsock-sshd.socket has
 * Accept=yes instead): the protocol of sd_listen_fds(3), without
 * libsystemd.  LISTEN_PID names the process the sockets are for, LISTEN_FDS
 * counts them, passed from descriptor 3 on.  Only listening stream sockets
 * of the families vsock-sshd serves (AF_VSOCK, AF_UNIX) are taken; anything
 * else refuses the start. */
#ifndef VS_ACTIVATION_H
#define VS_ACTIVATION_H

#include <sys/types.h>

#define VS_LISTEN_FDS_START 3

/* Pure: the number of sockets passed to process self, from the values of
 * LISTEN_PID and LISTEN_FDS (NULL when unset).  0 when LISTEN_PID is unset
 * or names another process (the variables are not for us); -EINVAL with a
 * static reason in *why when a value is not a decimal number, LISTEN_FDS
 * is missing or 0, or it is above max. */
int vs_activation_parse(const char *listen_pid, const char *listen_fds, pid_t self, unsigned max,
                        const char **why);

/* Takes the sockets systemd passed to this process into fds[0..n-1]: each
 * checked (a socket, listening, SOCK_STREAM, AF_VSOCK or AF_UNIX), made
 * non-blocking and close-on-exec.  LISTEN_PID, LISTEN_FDS and
 * LISTEN_FDNAMES are removed from the environment either way.  Returns n,
 * 0 when this process was not socket-activated, or a negative errno after
 * logging why. */
int vs_activation_take(int *fds, unsigned max);

#endif

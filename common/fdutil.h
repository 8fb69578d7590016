/* Small system helpers used by both vsock-sshd and vsock-proxy.  Each
 * returns 0 or a negative errno unless it says otherwise. */
#ifndef VS_FDUTIL_H
#define VS_FDUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Sets O_NONBLOCK on fd. */
int vs_set_nonblock(int fd);

/* CLOCK_MONOTONIC in milliseconds: for timeouts and durations. */
int64_t vs_now_ms(void);

/* Sends len bytes of data on a Unix socket, with fd attached (SCM_RIGHTS)
 * when fd >= 0; EINTR is retried, SIGPIPE never raised. */
int vs_send_with_fd(int sock, const void *data, size_t len, int fd);

/* Receives up to len bytes with at most one fd attached (*fd, -1 if none;
 * close-on-exec; any more the kernel discards).  flags as recvmsg's.
 * Returns the bytes received (0 at EOF) or a negative errno. */
long vs_recv_with_fd(int sock, void *data, size_t len, int *fd, int flags);

/* Copies in to out (size len) for a log line or a message on a terminal:
 * bytes that are not printable ASCII become '?', and "..." marks
 * truncation.  Text from a peer goes through this. */
void vs_printable(char *out, size_t len, const char *in);

#endif

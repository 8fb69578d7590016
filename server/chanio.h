/* The channel pump: moves bytes between an SSH channel and a file
 * descriptor, with bounded buffers and the channel window as flow control.
 * Sessions (a child's stdin, stdout, stderr) and forwarded tunnels (a
 * socket) both use it; they keep what differs (what a failure closes).
 *
 * Inbound (client -> fd): libssh's data callback offers everything libssh
 * holds for the channel; vs_chan_in_take() keeps what fits in the buffer and
 * leaves the rest in libssh, which then keeps that much of the window
 * closed.  When the fd drains, vs_chan_in_pump() writes the buffer and takes
 * the rest back with ssh_channel_read_nonblocking().
 *
 * Re-entrancy: libssh 0.11 processes packets (and so runs data callbacks of
 * any channel) inside ssh_channel_write(), ssh_channel_read_nonblocking(),
 * ssh_channel_send_eof() and others; 0.10 mostly did not.  So the rule
 * here: a callback only appends to a buffer and writes to an fd, and no
 * state computed before a libssh call is used after it.  The one read that
 * fills a buffer from libssh runs with `reading` set, during which the
 * callback takes nothing (it only notes how much libssh holds), so the
 * buffer cannot move underneath the read.
 *
 * Every function returns 0 or a negative errno unless it says otherwise. */
#ifndef VS_CHANIO_H
#define VS_CHANIO_H

#include <stdbool.h>
#include <stdint.h>

#include <libssh/libssh.h>

/* The most a client may make libssh hold for one channel: the largest
 * window libssh advertises (2 MiB in 0.11, 1.28 MB in 0.10) plus one
 * packet.  libssh 0.10 accepts data beyond the window and keeps it; a
 * client that sends more is dropped (vs_chan_in.overflow). */
#define VS_CHAN_MAX_HELD (2u * 1024 * 1024 + 64 * 1024)

struct vs_chan_in {
    char *buf;
    uint32_t cap, off, len; /* buf[off, off + len) waits for the fd */
    uint32_t held;          /* bytes libssh holds for us beyond buf */
    uint64_t bytes;         /* taken from the client in all */
    bool is_socket;         /* write with send(MSG_NOSIGNAL) */
    bool reading;           /* inside ssh_channel_read_nonblocking(): take nothing */
    bool closed;            /* the fd refused more or was closed: input is dropped */
    bool overflow;          /* the client ignored the window: drop the connection */
    int write_errno;        /* why the fd refused, for the log */
};

struct vs_chan_out {
    char *buf;
    uint32_t cap, off, len; /* read from the fd, not yet taken by libssh */
    uint64_t bytes;         /* handed to libssh in all */
    bool is_stderr;         /* extended data (a session's stderr) */
    bool is_socket;         /* read with recv() */
    bool eof;               /* the fd reached EOF or failed */
    int read_errno;         /* 0 for a plain EOF */
};

/* Allocates the buffer (cap bytes, more for the inbound side with libssh
 * 0.10: see chanio.c; pages are touched only when used). */
int vs_chan_in_init(struct vs_chan_in *in, uint32_t cap, bool is_socket);
int vs_chan_out_init(struct vs_chan_out *out, uint32_t cap, bool is_stderr, bool is_socket);
void vs_chan_in_free(struct vs_chan_in *in);
void vs_chan_out_free(struct vs_chan_out *out);

/* For the data callback: offers the len bytes libssh holds.  Keeps what
 * fits (writing to fd as it goes when fd >= 0), and returns how many bytes
 * libssh may forget.  Never calls libssh. */
uint32_t vs_chan_in_take(struct vs_chan_in *in, int fd, const void *data, uint32_t len);

/* When fd is writable: writes the buffer, then takes back from libssh what
 * it held.  Returns 0, or -EPIPE once the fd refused more (in->closed is
 * set, in->write_errno says why; later input is dropped). */
int vs_chan_in_pump(struct vs_chan_in *in, ssh_channel ch, int fd);

/* Stops writing: what is buffered is dropped, and what libssh still holds
 * is consumed by the next callback. */
void vs_chan_in_close(struct vs_chan_in *in);

/* Whether input waits for the fd (in the buffer or in libssh). */
bool vs_chan_in_pending(const struct vs_chan_in *in);

/* Hands the buffered output to libssh as far as the client's window and a
 * key re-exchange allow.  Returns 0 when all of it went, -EAGAIN when some
 * must wait, -EPIPE if the channel failed. */
int vs_chan_out_flush(struct vs_chan_out *out, ssh_channel ch);

/* Reads from fd at most what the window admits, only when nothing is
 * waiting, then flushes.  Returns 0 after progress, -EAGAIN when there is
 * nothing to do now, 1 when the fd is finished (out->eof: EOF, EIO from a
 * PTY whose slave closed, or a read error in out->read_errno), -EPIPE if
 * the channel failed. */
int vs_chan_out_pump(struct vs_chan_out *out, ssh_channel ch, int fd);

/* Drops what waits for libssh (nobody is left to read it). */
void vs_chan_out_drop(struct vs_chan_out *out);

/* Whether output waits for libssh. */
bool vs_chan_out_pending(const struct vs_chan_out *out);

/* Whether reading more output makes sense now: nothing waiting, and the
 * client's window open. */
bool vs_chan_out_wants_input(const struct vs_chan_out *out, ssh_channel ch);

#endif

#include "chanio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* libssh 0.10's ssh_channel_read*() reopens a full window (1.28 MB) after
 * every read while the window is below half, whatever libssh still buffers;
 * partial reads from a slow reader's channel would let its buffer grow
 * without bound.  With 0.10 the pump therefore reads only when all that
 * libssh holds fits, and the buffer is made big enough for the most 0.10
 * can hold legitimately (half a window of leftover plus a whole window, about
 * 1.9 MB: within VS_CHAN_MAX_HELD), so that the read always comes.  0.11
 * grows the window by what it no longer buffers: partial reads are fine. */
#if LIBSSH_VERSION_INT < SSH_VERSION_INT(0, 11, 0)
#define READ_ALL_OR_NOTHING 1
#else
#define READ_ALL_OR_NOTHING 0
#endif

int vs_chan_in_init(struct vs_chan_in *in, uint32_t cap, bool is_socket)
{
    if (READ_ALL_OR_NOTHING && cap < VS_CHAN_MAX_HELD)
        cap = VS_CHAN_MAX_HELD; /* only touched as far as a slow reader fills it */
    *in = (struct vs_chan_in){.cap = cap, .is_socket = is_socket};
    in->buf = malloc(cap);
    return in->buf ? 0 : -ENOMEM;
}

int vs_chan_out_init(struct vs_chan_out *out, uint32_t cap, bool is_stderr, bool is_socket)
{
    *out = (struct vs_chan_out){.cap = cap, .is_stderr = is_stderr, .is_socket = is_socket};
    out->buf = malloc(cap);
    return out->buf ? 0 : -ENOMEM;
}

void vs_chan_in_free(struct vs_chan_in *in)
{
    free(in->buf);
    in->buf = NULL;
}

void vs_chan_out_free(struct vs_chan_out *out)
{
    free(out->buf);
    out->buf = NULL;
}

/* ---- inbound: client -> fd ------------------------------------------------ */

/* Writes up to len bytes of p to fd.  Returns how many went (0 when the fd
 * is full), or -EPIPE once the fd refused more: the reader is gone (EPIPE
 * and the like), later input is dropped, as sshd does. */
static int64_t write_in(struct vs_chan_in *in, int fd, const char *p, uint32_t len)
{
    for (;;) {
        ssize_t n = in->is_socket ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
        if (n >= 0)
            return n;
        if (errno == EAGAIN)
            return 0;
        if (errno != EINTR) {
            in->write_errno = errno;
            vs_chan_in_close(in);
            return -EPIPE;
        }
    }
}

/* Writes what the buffer holds.  Returns 0 (all written, or the fd is full
 * for now), or -EPIPE once the fd refused more. */
static int flush_in(struct vs_chan_in *in, int fd)
{
    if (fd < 0 || in->closed)
        return in->closed ? -EPIPE : 0; /* no fd yet (a session not started): hold it */
    while (in->len > 0) {
        int64_t n = write_in(in, fd, in->buf + in->off, in->len);
        if (n < 0)
            return -EPIPE;
        if (n == 0)
            break;
        in->off += (uint32_t)n;
        in->len -= (uint32_t)n;
    }
    if (in->len == 0)
        in->off = 0;
    return 0;
}

/* Room at the end of the buffer for up to `need` new bytes.  What is
 * waiting moves to the front only when appending needs the space, and only
 * once at least as much has been written since (off >= len): so each byte
 * is moved at most once per byte written, however little the fd takes at a
 * time.  (Moving whenever the end was short could copy 60 KiB for every
 * 4 KiB a full pipe took.) */
static uint32_t room(struct vs_chan_in *in, uint32_t need)
{
    if (in->off > 0 && in->off >= in->len && in->cap - in->off - in->len < need) {
        memmove(in->buf, in->buf + in->off, in->len);
        in->off = 0;
    }
    return in->cap - in->off - in->len;
}

uint32_t vs_chan_in_take(struct vs_chan_in *in, int fd, const void *data, uint32_t len)
{
    if (len > VS_CHAN_MAX_HELD)
        in->overflow = true; /* the caller drops the connection */
    if (in->closed) {
        in->held = 0;
        return len; /* nobody will read it: consume so the window keeps moving */
    }
    if (in->reading) {
        /* Inside our own read from libssh: the buffer is spoken for. */
        in->held = len;
        return 0;
    }
    uint32_t used = 0;
    /* Nothing waiting: straight from libssh's buffer to the fd, without a copy. */
    while (in->len == 0 && fd >= 0 && used < len) {
        int64_t n = write_in(in, fd, (const char *)data + used, len - used);
        if (n < 0) {
            in->held = 0;
            return len; /* the fd refused: drop the rest */
        }
        if (n == 0)
            break;
        used += (uint32_t)n;
        in->bytes += (uint64_t)n;
    }
    while (used < len) {
        uint32_t take = room(in, len - used);
        if (take == 0)
            break;
        if (take > len - used)
            take = len - used;
        memcpy(in->buf + in->off + in->len, (const char *)data + used, take);
        in->len += take;
        in->bytes += take;
        used += take;
        uint32_t before = in->len;
        if (flush_in(in, fd) < 0) {
            in->held = 0;
            return len; /* the fd refused: drop the rest */
        }
        if (in->len == before)
            break; /* the fd is full: the rest waits in libssh */
    }
    in->held = len - used;
    return used;
}

int vs_chan_in_pump(struct vs_chan_in *in, ssh_channel ch, int fd)
{
    if (flush_in(in, fd) < 0)
        return -EPIPE;
    while (in->held > 0 && !in->closed) {
        uint32_t want = room(in, in->held);
        if (want == 0)
            break;
        if (READ_ALL_OR_NOTHING && want < in->held)
            break; /* see READ_ALL_OR_NOTHING: wait until all of it fits */
        if (want > in->held)
            want = in->held;
        /* libssh may run this channel's data callback inside the read; with
         * `reading` set it takes nothing, so buf and len stay as they are
         * and the callback only updates held. */
        in->reading = true;
        int n = ssh_channel_read_nonblocking(ch, in->buf + in->off + in->len, want, 0);
        in->reading = false;
        if (n <= 0) {
            /* Nothing after all (or the channel failed): the next callback
             * offers whatever libssh holds again. */
            in->held = 0;
            break;
        }
        in->len += (uint32_t)n;
        in->bytes += (uint64_t)n;
        in->held = in->held > (uint32_t)n ? in->held - (uint32_t)n : 0;
        if (flush_in(in, fd) < 0)
            return -EPIPE;
        if (in->len > 0)
            break; /* the fd is full again */
    }
    return 0;
}

void vs_chan_in_close(struct vs_chan_in *in)
{
    in->closed = true;
    in->off = in->len = 0;
}

bool vs_chan_in_pending(const struct vs_chan_in *in)
{
    return !in->closed && (in->len > 0 || in->held > 0);
}

/* ---- outbound: fd -> client ------------------------------------------------ */

int vs_chan_out_flush(struct vs_chan_out *out, ssh_channel ch)
{
    while (out->off < out->len) {
        uint32_t win = ssh_channel_window_size(ch);
        uint32_t n = out->len - out->off < win ? out->len - out->off : win;
        if (n == 0)
            return -EAGAIN;
        int w = out->is_stderr ? ssh_channel_write_stderr(ch, out->buf + out->off, n)
                               : ssh_channel_write(ch, out->buf + out->off, n);
        if (w < 0)
            return -EPIPE;
        if (w == 0)
            return -EAGAIN; /* key re-exchange in progress */
        out->off += (uint32_t)w;
        out->bytes += (uint64_t)w;
    }
    out->off = out->len = 0;
    return 0;
}

int vs_chan_out_pump(struct vs_chan_out *out, ssh_channel ch, int fd)
{
    if (out->eof)
        return 1;
    int r = vs_chan_out_flush(out, ch);
    if (r < 0)
        return r;
    uint32_t win = ssh_channel_window_size(ch);
    uint32_t want = win < out->cap ? win : out->cap;
    if (want == 0)
        return -EAGAIN;
    ssize_t n = out->is_socket ? recv(fd, out->buf, want, 0) : read(fd, out->buf, want);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return -EAGAIN;
    if (n <= 0) {
        /* EOF; EIO from a PTY master whose slave is closed (all output
         * read); or a real error, kept for the caller. */
        out->eof = true;
        out->read_errno = n < 0 && errno != EIO ? errno : 0;
        return 1;
    }
    out->off = 0;
    out->len = (uint32_t)n;
    r = vs_chan_out_flush(out, ch);
    return r == -EPIPE ? r : 0;
}

bool vs_chan_out_pending(const struct vs_chan_out *out)
{
    return out->off < out->len;
}

bool vs_chan_out_wants_input(const struct vs_chan_out *out, ssh_channel ch)
{
    return !out->eof && !vs_chan_out_pending(out) && ssh_channel_window_size(ch) > 0;
}

void vs_chan_out_drop(struct vs_chan_out *out)
{
    out->off = out->len = 0;
}

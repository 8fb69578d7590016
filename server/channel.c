#include "channel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* ---- libssh's callbacks: record, and move bytes into the buffer ---------- */

static int on_data(ssh_session session, ssh_channel channel, void *data, uint32_t len,
                   int is_stderr, void *userdata)
{
    struct vs_channel *c = userdata;
    (void)session;
    (void)channel;

    /* A client's extended data has no reader in any of our channels (as
     * with sshd): consume it so the window keeps moving. */
    if (is_stderr)
        return (int)len;
    bool was_closed = c->in.closed;
    uint32_t used = vs_chan_in_take(&c->in, c->in_fd, data, len);
    if (c->in.closed && !was_closed && c->type->input_failed != NULL)
        c->type->input_failed(c);
    return (int)used;
}

static void on_eof(ssh_session session, ssh_channel channel, void *userdata)
{
    struct vs_channel *c = userdata;
    (void)session;
    (void)channel;
    c->client_eof = true;
    if (c->type->eof != NULL)
        c->type->eof(c);
}

static void on_close(ssh_session session, ssh_channel channel, void *userdata)
{
    struct vs_channel *c = userdata;
    (void)session;
    (void)channel;
    c->remote_closed = true;
}

/* ---- life cycle --------------------------------------------------------- */

static void free_pumps(struct vs_channel *c)
{
    vs_chan_in_free(&c->in);
    for (unsigned i = 0; i < 2; i++)
        vs_chan_out_free(&c->out[i]);
}

struct vs_channel *vs_channel_new(const struct vs_chan_type *type, const struct vs_chan_ctx *ctx,
                                  unsigned id)
{
    struct vs_channel *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->type = type;
    c->ctx = ctx;
    c->id = id;
    c->in_fd = -1;
    int r = vs_chan_in_init(&c->in, type->in_cap, type->sockets);
    for (unsigned i = 0; r == 0 && i < type->n_out && i < 2; i++)
        r = vs_chan_out_init(&c->out[i], type->out_cap, i == 1, type->sockets);
    if (r < 0) {
        free_pumps(c);
        free(c);
        return NULL;
    }
    return c;
}

void vs_channel_attach(struct vs_channel *c, ssh_channel ch)
{
    c->ch = ch;
    c->cb = (struct ssh_channel_callbacks_struct){
        .userdata = c,
        .channel_data_function = on_data,
        .channel_eof_function = on_eof,
        .channel_close_function = on_close,
    };
    if (c->type->callbacks != NULL)
        c->type->callbacks(&c->cb);
    ssh_callbacks_init(&c->cb);
    ssh_set_channel_callbacks(ch, &c->cb);
}

void vs_channel_free(struct vs_channel *c)
{
    if (c == NULL)
        return;
    /* No callback may reach the type's state once it is freed. */
    if (c->ch != NULL)
        ssh_remove_channel_callbacks(c->ch, &c->cb);
    if (c->type->free != NULL)
        c->type->free(c);
    if (c->ch != NULL)
        ssh_channel_free(c->ch); /* sends CLOSE if the channel is still open */
    free_pumps(c);
    free(c);
}

void vs_channel_hangup(struct vs_channel *c)
{
    if (c->conn_gone)
        return;
    c->conn_gone = true;
    if (c->type->hangup != NULL)
        c->type->hangup(c);
}

/* ---- dispatch ----------------------------------------------------------- */

int vs_channel_request(struct vs_channel *c, ssh_message msg)
{
    if (c->type->request == NULL) {
        log_verbose("%s %u: refused a channel request", c->type->name, c->id);
        return -EOPNOTSUPP;
    }
    return c->type->request(c, msg);
}

int vs_channel_poll_prepare(struct vs_channel *c, struct pollfd *p)
{
    return c->type->poll_prepare(c, p);
}

void vs_channel_poll_handle(struct vs_channel *c, const struct pollfd *p, int n)
{
    c->type->poll_handle(c, p, n);
}

int vs_channel_step(struct vs_channel *c, int *timeout_ms)
{
    return c->type->step(c, timeout_ms);
}

bool vs_channel_reaped(struct vs_channel *c, pid_t pid, int status)
{
    return c->type->reaped != NULL && c->type->reaped(c, pid, status);
}

uint64_t vs_channel_bytes_in(const struct vs_channel *c)
{
    return c->in.bytes;
}

uint64_t vs_channel_bytes_out(const struct vs_channel *c)
{
    return c->out[0].bytes + c->out[1].bytes;
}

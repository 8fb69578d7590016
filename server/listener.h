/* The listening process: one fork per accepted connection, peer policy and
 * MaxStartups decided before the fork, children reaped, SIGHUP re-reads the
 * configuration for new connections, SIGTERM stops it cleanly. */
#ifndef VS_LISTENER_H
#define VS_LISTENER_H

#include <stdbool.h>

#include <libssh/server.h>

#include "config.h"

/* Reloads the configuration into *cfg and a fresh bind into *bind; returns
 * 0, or a negative errno after logging why (the old ones stay in force). */
typedef int (*vs_reload_fn)(struct vs_config *cfg, ssh_bind *bind, void *userdata);

struct vs_listener_params {
    struct vs_config *cfg;
    ssh_bind *bind;
    vs_reload_fn reload;
    void *reload_userdata;
    /* Listening sockets systemd passed (activation.h): served instead of
     * the configuration's Listen addresses when n_activated > 0. */
    const int *activated;
    unsigned n_activated;
};

/* Opens the configured listeners (or takes the activated ones) and serves until SIGTERM or SIGINT.
 * Returns 0 or a negative errno. */
int vs_listener_run(const struct vs_listener_params *p);

#endif

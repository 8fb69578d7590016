/* Host keys: loaded once by the listener and shared with every connection
 * through the ssh_bind, so that a connection does not read key files. */
#ifndef VS_HOSTKEY_H
#define VS_HOSTKEY_H

#include <stdbool.h>

#include <libssh/server.h>

#include "config.h"

/* Loads every configured host key into bind. When the only key configured is
 * the default one and it does not exist, generates it (ed25519, mode 0600,
 * in a child process) if generate is true; otherwise reports that it will
 * be. A key file's text is cleared after use, and so is what libssh leaves
 * of it in freed memory: every connection's process, and the built-in SFTP
 * server forked from it without exec, inherits the caller's memory. Returns
 * 0 or a negative errno, after logging the reason. */
int vs_hostkey_load(const struct vs_config *c, ssh_bind bind, bool generate);

#endif

/* The built-in SFTP server ("Subsystem sftp internal").  It runs in the
 * session's child process after the privilege drop, on the same pipes an
 * external sftp-server would get, so the kernel checks every file access
 * against the session user's rights and the guest needs no helper binary. */
#ifndef VS_SFTP_SERVER_H
#define VS_SFTP_SERVER_H

#include "sftp_codec.h"

/* Buffers: input holds up to two maximum packets, output up to four maximum
 * replies.  A request is processed only when a maximum reply still fits, and
 * input is read only while it has room, so memory stays bounded whatever the
 * client sends or however slowly it reads. */
#define VS_SFTP_IN_BUF (2 * (VS_SFTP_MAX_PACKET + 4))
#define VS_SFTP_OUT_BUF (4 * (VS_SFTP_MAX_PACKET + 4))

/* Serves SFTP version 3 on in_fd (requests) and out_fd (replies) until the
 * client closes its end.  home is where "~" leads.  Returns the process exit
 * status: 0 after a clean end, 1 after a protocol error (a packet too long,
 * undecodable framing, a request before INIT), 2 after an I/O error. */
int vs_sftp_serve(int in_fd, int out_fd, const char *home);

#endif

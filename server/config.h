/* vsock-sshd configuration: sshd_config syntax, keyword table, first value
 * wins (command line before file), defaults filled in last. */
#ifndef VS_CONFIG_H
#define VS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "address.h"
#include "log.h"

#define VS_DEFAULT_CONFIG_PATH "/etc/vsock-ssh/vsock-sshd_config"
#define VS_DEFAULT_HOSTKEY_PATH "/var/lib/vsock-ssh/ssh_host_ed25519_key"
/* UsePAM's default: yes where built with libpam, as Debian's sshd. */
#ifdef VS_HAVE_PAM
#define VS_PAM_DEFAULT 1
#else
#define VS_PAM_DEFAULT 0
#endif

/* Explicit limits on what a configuration may hold. */
#define VS_MAX_LISTEN 16
#define VS_MAX_HOSTKEYS 8
#define VS_MAX_PATTERNS 256
#define VS_MAX_PEERS 64
#define VS_MAX_SUBSYSTEMS 16
#define VS_CONFIG_MAX_LINE 4096
#define VS_CONFIG_MAX_KEYWORDS 48 /* entries of config.c's keyword table */

/* Hard upper bounds for numeric keywords, so a typo cannot ask for absurd sizes. */
#define VS_MAX_SESSIONS_LIMIT 1024
#define VS_MAX_STARTUPS_LIMIT 10000
#define VS_MAX_FORWARDS_LIMIT 1024
#define VS_MAX_FORWARD_CHANNELS_LIMIT 4096
#define VS_MAX_PERMITS 64
#define VS_MAX_MATCH 32       /* Match blocks */
#define VS_MAX_MATCH_LINES 64 /* keyword lines in one block */

#define VS_VMADDR_CID_LOCAL 1u
#define VS_VMADDR_CID_HOST 2u
/* Linux's LAST_RESERVED_PORT: binding a vsock port at or below it takes
 * CAP_NET_BIND_SERVICE in the initial user namespace (a peer's host
 * kernel enforces it, and fills in the source port we see). */
#define VS_LAST_RESERVED_PORT 1023u

/* Directions of AllowTcpForwarding and AllowStreamLocalForwarding. */
enum { VS_FWD_NONE = 0, VS_FWD_LOCAL = 1, VS_FWD_REMOTE = 2, VS_FWD_ALL = 3 };
enum vs_gateway_ports { VS_GW_NO, VS_GW_YES, VS_GW_CLIENTSPECIFIED };

/* Listen addresses are common/address.h's (vsock-proxy reads Unix paths by
 * the same rule); the server's older names for them stay usable. */
#define vs_listen_addr vs_address
#define vs_listen_kind vs_address_kind
#define VS_LISTEN_VSOCK VS_ADDRESS_VSOCK
#define VS_LISTEN_UNIX VS_ADDRESS_UNIX
#define vs_listen_parse vs_address_parse
#define vs_listen_format vs_address_format

/* A Match block: its criteria and its lines, applied to the connections it
 * matches once the user is known (vs_config_match).  criteria[i] holds the
 * patterns (comma-separated, "!" negates) of config.c's criterion i (User,
 * Group, Peer...), NULL when the block does not test it. */
#define VS_MAX_MATCH_CRITERIA 8
struct vs_match {
    char *criteria[VS_MAX_MATCH_CRITERIA];
    char *lines[VS_MAX_MATCH_LINES];
    unsigned lineno[VS_MAX_MATCH_LINES];
    unsigned n_lines;
};

/* What a Match block is matched against (built by vs_match_ctx_build(),
 * match.h).  The peer has several names, and a criterion holds when a
 * pattern matches one of them and no negated pattern matches any of them,
 * as OpenSSH's Match Group has it for the account's groups. */
#define VS_MATCH_PEER_NAMES 2
struct vs_match_ctx {
    /* The account's name for Match User: USER, or USER+CONTAINER for a
     * container's ("User root" is the guest's root, "User root+*" root in
     * every container). */
    const char *users[2];
    unsigned n_users;
    char login_buf[336];   /* USER (255 at most) + CONTAINER */
    const char *container; /* its name; NULL for the guest (no Container matches) */
    char **groups;         /* the account's group names */
    unsigned n_groups;
    /* A vsock peer: its CID ("2") and "CID:privileged" (a reserved source
     * port) or "CID:unprivileged"; a Unix-socket peer: "unix:UID". */
    const char *peers[VS_MATCH_PEER_NAMES];
    unsigned n_peers;
    char peer_buf[VS_MATCH_PEER_NAMES][32]; /* where vs_match_ctx_build() puts them */
};

struct vs_subsystem {
    char *name;
    char *command;
};

struct vs_config {
    struct vs_listen_addr listen[VS_MAX_LISTEN];
    unsigned n_listen;
    char *hostkeys[VS_MAX_HOSTKEYS];
    unsigned n_hostkeys;
    char *allow_users[VS_MAX_PATTERNS];
    unsigned n_allow_users;
    char *deny_users[VS_MAX_PATTERNS];
    unsigned n_deny_users;
    int permit_root_login; /* -1 unset, 0 no, 1 yes */
    /* AllowPeers: CIDs, each from a reserved source port only (a
     * privileged process) unless written CID:any. */
    struct vs_allow_peer {
        uint32_t cid;
        bool any_port;
    } allow_peers[VS_MAX_PEERS];
    unsigned n_allow_peers;
    bool allow_peers_any, allow_peers_any_port; /* "any", "any:any" */
    bool allow_peers_default; /* the list is the default (the host), not written */
    /* Unix-socket peers that may log in as any account: unix:UID, unix:any. */
    bool allow_unix_any;
    uint32_t allow_unix_uids[VS_MAX_PEERS];
    unsigned n_allow_unix_uids;
    char *accept_env[VS_MAX_PATTERNS];
    unsigned n_accept_env;
    struct vs_subsystem subsystems[VS_MAX_SUBSYSTEMS];
    unsigned n_subsystems;
    int max_sessions; /* -1 unset */
    /* Forwarding.  Directions are VS_FWD_* bits; -1 unset everywhere. */
    int allow_tcp_forwarding;
    int allow_streamlocal_forwarding;
    int allow_agent_forwarding;        /* 0 no, 1 yes */
    int gateway_ports;                 /* enum vs_gateway_ports */
    char *permit_open[VS_MAX_PERMITS]; /* empty: any */
    unsigned n_permit_open;
    char *permit_listen[VS_MAX_PERMITS]; /* empty: any */
    unsigned n_permit_listen;
    int max_forwards;          /* listeners (ssh -R) per connection */
    int max_forward_channels;  /* forwarded connections open at once per connection */
    int client_alive_interval; /* seconds, 0 = off */
    int client_alive_count_max;
    int max_startups;     /* -1 unset */
    int login_grace_time; /* seconds, 0 = none, -1 unset */
    int log_level;        /* enum vs_log_level, -1 unset */
    char *pid_file;       /* NULL unset; "none" disables */
    /* Per-user restrictions (also in Match blocks). */
    char *force_command;    /* NULL unset; "internal-sftp" the built-in SFTP server */
    int permit_tty;         /* -1 unset, 0 no, 1 yes */
    char *chroot_directory; /* NULL unset; "none" */
    int use_pam;            /* -1 unset, 0 no, 1 yes (only where built with PAM) */
    /* ContainerRuntimes: which runtimes a USER+CONTAINER login's container
     * is looked up in, in order (container.h); "none" alone: no container
     * logins. */
    char *container_runtimes[4];
    unsigned n_container_runtimes;
    struct vs_match matches[VS_MAX_MATCH];
    unsigned n_matches;
    bool in_match; /* while parsing: lines go to the last Match block */

    /* Which source set each list keyword (by its place in config.c's
     * keyword table), so that a later source (the file, a later Match
     * block) does not add to a list an earlier one (the command line, an
     * earlier block) already set. */
    unsigned char list_source[VS_CONFIG_MAX_KEYWORDS];
};

/* Sources, in order of precedence: the earliest to set a value wins.  The
 * Match blocks that apply to a connection are sources of their own, block
 * i being VS_SRC_MATCH + i, so a list one block set is never added to by
 * a later block (sshd's rule: the first obtained value wins). */
enum vs_config_source { VS_SRC_NONE = 0, VS_SRC_CMDLINE = 1, VS_SRC_FILE = 2, VS_SRC_MATCH = 3 };

void vs_config_init(struct vs_config *c);
void vs_config_free(struct vs_config *c);

/* Applies one "Keyword value" or "Keyword=value" line. Blank lines and
 * comments are accepted.  Returns 0; 1 when the line is accepted but
 * ignored, with a warning in err (an sshd keyword that means nothing with
 * null authentication); or -EINVAL with the error in err.  Messages read
 * "<origin> line N: ..." for a file, "<origin> N: ..." for the command line
 * (origin "-o option"). */
int vs_config_apply_line(struct vs_config *c, const char *line, enum vs_config_source src,
                         const char *origin, unsigned lineno, char *err, size_t errlen);

/* Reads a whole file, reporting every error and warning in err, one per
 * line (warnings start with "warning: "; err is "" when there is nothing to
 * say).  A missing file is -ENOENT (the caller decides whether that is
 * fine); any error in it -EINVAL, a read error -EIO. */
int vs_config_load_file(struct vs_config *c, const char *path, char *err, size_t errlen);

/* The configuration for one connection: base with the Match blocks that
 * ctx matches applied on top (the first matching value of a keyword wins,
 * as in sshd).  out becomes a copy of base that borrows from base and from
 * *scratch, which holds the matched values: free scratch with
 * vs_config_free() after out, and never free out itself.  Returns 0 or
 * -EINVAL (a block's line failed, which -t has already reported). */
int vs_config_match(const struct vs_config *base, const struct vs_match_ctx *ctx,
                    struct vs_config *out, struct vs_config *scratch);

/* Whether any Match block has a Group criterion (only then are the
 * account's groups worth reading). */
/* Whether a Match block has a Group criterion without a Container one.
 * Such a block cannot decide a container's login (a container's groups are
 * its root's to make up, and skipping the block could drop a restriction):
 * the login is refused (conn.c). */
bool vs_config_group_without_container(const struct vs_config *c);
bool vs_config_uses_groups(const struct vs_config *c);

/* Fills every unset field with its default. */
void vs_config_finish(struct vs_config *c);

/* Writes the effective configuration in the file syntax (sshd -T style). */
void vs_config_dump(const struct vs_config *c, FILE *out);

/* The command of a subsystem, or NULL if none is configured.  "sftp" is the
 * built-in server unless the configuration names another. */
const char *vs_config_subsystem(const struct vs_config *c, const char *name);

/* The subsystem command that selects the built-in SFTP server; OpenSSH's
 * spelling "internal-sftp" is accepted too. */
#define VS_SUBSYSTEM_INTERNAL "internal"
bool vs_subsystem_is_internal(const char *command);

#endif

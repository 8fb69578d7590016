/* Which users a session may start as, which variables and forwards it may
 * have: with the peer's admission (peer.h), the security boundary of null
 * authentication. Pure decisions, no I/O, so they are unit-tested as
 * tables. */
#ifndef VS_POLICY_H
#define VS_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

struct vs_user_facts {
    const char *name;
    const char *container; /* a container's account (USER+CONTAINER); NULL: the guest's */
    uid_t uid;
    bool shell_valid;  /* the account's shell is listed in /etc/shells */
    uid_t server_euid; /* the server's effective uid */
};

/* Returns true if a session may start as this user; *why gets a static reason
 * when refused. Order: the server's own identity, then PermitRootLogin, then
 * DenyUsers, then AllowUsers, then the shell.  A user is "listed" in
 * DenyUsers or AllowUsers by vs_pattern_match() over all of its entries:
 * "DenyUsers adm* !admin-ro" refuses the adm accounts but admin-ro.  A
 * container's account is USER+CONTAINER to AllowUsers ("alice+penguin",
 * "alice+*", "*": never plain "alice", written for the guest's account),
 * and both USER and USER+CONTAINER to DenyUsers (so "DenyUsers root"
 * refuses root in every container too, "*+*" every container login). */
bool vs_user_allowed(const struct vs_config *c, const struct vs_user_facts *u, const char **why);

/* What an account's login depends on without PAM (shadow(5)). */
struct vs_account_facts {
    uid_t uid;
    const char *password; /* shadow's password field; NULL when unknown */
    long expire_day;      /* sp_expire: days since the epoch, -1 never */
    long today;           /* days since the epoch */
    bool nologin;         /* /etc/nologin exists */
};

/* OpenSSH's allowed_user() without PAM: refuses a locked account (password
 * starting with '!' or "*LK*"), an expired one (today past sp_expire; 0
 * is "expired" as chage -E 0 sets it), and anyone but root while
 * /etc/nologin exists.  *why gets a static reason when refused. */
bool vs_account_usable(const struct vs_account_facts *f, const char **why);

/* Whether shell is a standard, unrestricted shell (sh, bash, dash, zsh, ksh,
 * mksh, ash, yash, fish, csh, tcsh by file name).  Only such accounts get
 * the built-in SFTP server, which runs without their shell: for any other
 * (rbash, git-shell, scponly, ...) the subsystem runs through the shell, as
 * with OpenSSH's sftp-server, and the shell decides. */
bool vs_shell_unrestricted(const char *shell);

/* The SFTP server run through a restricted account's shell (OpenSSH's). */
#define VS_SFTP_SERVER_PATH "/usr/lib/openssh/sftp-server"

/* Returns true if an "env" request for this variable name is accepted: the
 * name is a valid shell name and matches an AcceptEnv pattern. */
bool vs_env_accepted(const struct vs_config *c, const char *name);

/* PermitOpen and PermitListen: may a direct-tcpip open reach host:port, may
 * a tcpip-forward listen on host:port (host as the client sent it)? */
bool vs_permit_open_allowed(const struct vs_config *c, const char *host, uint32_t port);
bool vs_permit_listen_allowed(const struct vs_config *c, const char *host, uint32_t port);

#endif

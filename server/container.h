/* Logins into a container inside the guest (docs/containers.md): the login
 * name that names one, finding it through its runtime, and its accounts.
 * Entering it is ctrjoin.h's.
 *
 * A client asks for a container with the login name USER+CONTAINER: '+' is
 * in no account name that useradd or adduser accept, nor in a container
 * name of systemd-nspawn, Podman or LXC; scp, sftp and rsync split at ':',
 * '@' and '/', never at '+'; and ssh_config's %-expansion of User leaves it
 * alone.  The container's runtime is found by its own name (ContainerRuntimes
 * says which runtimes are asked, in order); its leader (the container's
 * PID 1) is then held by a pidfd.  Its accounts are its own files
 * (/etc/passwd, /etc/group, /etc/shadow, /etc/shells, read inside its root,
 * parsed here: never NSS, whose modules the container's nsswitch.conf could
 * name). */
#ifndef VS_CONTAINER_H
#define VS_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "policy.h"
#include "user.h"

#define VS_CONTAINER_NAME_MAX 64
/* The largest account file of a container that is read. */
#define VS_CONTAINER_FILE_MAX (16u << 20)
/* How long a runtime's tool may take to answer. */
#define VS_CONTAINER_TOOL_TIMEOUT_MS 20000

/* Splits a login name: "USER+CONTAINER" into its parts, or "USER" into
 * itself and "" (the guest).  Refuses (-EINVAL, *why static) a second '+',
 * an empty part, or a container name that is not 1-64 of [A-Za-z0-9_.-]
 * starting with a letter or digit.  Pure; unit-tested. */
int vs_login_name_split(const char *login, char *user, size_t ulen, char *container, size_t clen,
                        const char **why);

/* Whether name is a container name as above. */
bool vs_container_name_valid(const char *name);

struct vs_container {
    char name[VS_CONTAINER_NAME_MAX + 1];
    const char *runtime; /* "nspawn", "podman", "lxc" */
    pid_t leader;        /* the container's PID 1, as the guest sees it */
    int pidfd;           /* on the leader; -1 when closed */
    int root_fd;         /* O_PATH of its root directory (/proc/LEADER/root) */
    /* The account's groups, from the container's /etc/group (set by
     * vs_container_user_lookup). */
    gid_t *gids;
    unsigned n_gids;
    char **group_names;
    unsigned n_group_names;
};

/* Finds the running container name in the runtimes cfg->container_runtimes
 * lists, the first that knows it: its leader held by a pidfd, checked to
 * be PID 1 of a PID namespace that is not ours.  Returns 0; -ENOENT (no
 * such container), -ESRCH (it exists but is not running) or another
 * -errno, with why (printable) saying which. */
int vs_container_find(const struct vs_config *cfg, const char *name, struct vs_container *out,
                      char *why, size_t len);
void vs_container_close(struct vs_container *c);

/* The account name in the container's /etc/passwd, with its groups from
 * the container's /etc/group (c->gids, c->group_names).  Returns 0,
 * -ENOENT or -errno. */
int vs_container_user_lookup(struct vs_container *c, const char *name, struct vs_user *out);

/* The uid that uid of the container's user namespace is in the guest's
 * (what the guest's /proc shows of its processes): 0, or -ERANGE when it
 * is not mapped. */
int vs_container_guest_uid(const struct vs_container *c, uid_t uid, uid_t *out);
/* The same for a gid (gid_map). */
int vs_container_guest_gid(const struct vs_container *c, gid_t gid, gid_t *out);

/* Whether shell is listed in the container's /etc/shells. */
bool vs_container_shell_listed(const struct vs_container *c, const char *shell);

/* The facts policy.h's vs_user_allowed decides on, of the account u of
 * the guest (c NULL) or of the container c, for a server of euid. */
void vs_user_facts_of(const struct vs_user *u, const struct vs_container *c, uid_t euid,
                      struct vs_user_facts *out);

/* What the container's /etc/shadow and /etc/nologin say of the account
 * (policy.h's vs_account_usable decides), its strings kept in *buf, which
 * the caller frees. */
void vs_container_account_facts(const struct vs_container *c, const struct vs_user *u,
                                struct vs_account_facts *f, char **buf);

/* Parsers of the account files, on their text (pure; unit-tested): the
 * entry of name, into out (strings allocated); 0 or -ENOENT. */
int vs_passwd_find(const char *text, size_t len, const char *name, struct vs_user *out);
/* name's groups in /etc/group text: the primary gid first, then each
 * group listing name as a member, into *gids (allocated, *n_gids of them,
 * at most NGROUPS_MAX); the names of those that have one into *names
 * (allocated, *n_names).  Returns 0 or -errno (never a partial list). */
int vs_group_find(const char *text, size_t len, const char *name, gid_t primary, gid_t **gids,
                  unsigned *n_gids, char ***names, unsigned *n_names);
/* The unified hierarchy's path ("/machine.slice/...") in the text of a
 * /proc/PID/cgroup, into path: exactly one "0::/" line, besides which only
 * named hierarchies without controllers ("1:name=systemd:/...") may be.
 * Returns 0, -EOPNOTSUPP (a v1 controller's hierarchy) or -EINVAL. Pure. */
int vs_cgroup_unified_path(const char *text, char *path, size_t len);

/* The capability mask of a /proc status "CapBnd:" value (hex); pure. */
int vs_parse_cap_mask(const char *hex, unsigned long long *out);

#endif

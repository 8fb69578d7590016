/* Accounts: looking one up, and becoming it (the privilege drop, done
 * exactly once, checked, before any user code or user-owned path). */
#ifndef VS_USER_H
#define VS_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vs_user {
    char *name, *home, *shell;
    uid_t uid;
    gid_t gid;
};

/* Looks up an account. Returns 0, -ENOENT if there is none, or -errno. An
 * empty shell is /bin/sh, as login(1) has it. */
int vs_user_lookup(const char *name, struct vs_user *out);
void vs_user_free(struct vs_user *u);
/* True if shell is listed in /etc/shells. */
bool vs_shell_listed(const char *shell);

/* The names of all the account's groups (its primary group and the others,
 * up to NGROUPS_MAX), however long their entries: *names is an allocated
 * array of allocated names, which the caller frees.  A gid without a group
 * entry has no name and is left out, as OpenSSH does.  Returns how many,
 * or a negative errno when the list or an entry cannot be read (never a
 * partial list). */
int vs_user_group_names(const struct vs_user *u, char ***names);

/* spec with %h (the account's home), %u (its name) and %% ('%') expanded,
 * as OpenSSH's ChrootDirectory has them, into out; any other '%' stays.
 * Returns 0, or -ENAMETOOLONG when the result does not fit (never a
 * truncated path, which could name another directory). */
int vs_user_expand(const struct vs_user *u, const char *spec, char *out, size_t size);

/* Becomes the user: initgroups (unless groups_set: the caller did it, and
 * PAM's setcred may have added to it), setgid, setuid, each checked, then
 * proves root cannot be regained. A process that already is the user (and
 * not root) passes unchanged. Returns 0 or -errno. */
int vs_privileges_drop(const struct vs_user *u, bool groups_set);

#endif

#include "hostkey.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "log.h"
#include "util.h"

static int mkdir_parents(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *p = dir + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return 0;
}

/* Writes a new ed25519 key to path atomically: a temporary file made with
 * mode 0600, then rename(), so a crash never leaves a half-written key. */
static int generate(const char *path)
{
    ssh_key key = NULL;
    char tmp[PATH_MAX], pub[PATH_MAX];
    int r;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp) ||
        (size_t)snprintf(pub, sizeof(pub), "%s.pub", path) >= sizeof(pub))
        return log_error_errno(-ENAMETOOLONG, "host key path %s", path);
    r = mkdir_parents(path);
    if (r < 0)
        return log_error_errno(r, "Failed to create the directory of %s", path);
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK)
        return log_error_errno(-EIO, "Failed to generate an ed25519 host key");
    mode_t old = umask(0077);
    r = ssh_pki_export_privkey_file(key, NULL, NULL, NULL, tmp) == SSH_OK ? 0 : -EIO;
    umask(0022);
    if (r == 0)
        r = ssh_pki_export_pubkey_file(key, pub) == SSH_OK ? 0 : -EIO; /* for the admin */
    umask(old);
    if (r == 0 && chmod(tmp, 0600) < 0)
        r = -errno;
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    ssh_key_free(key);
    if (r < 0) {
        unlink(tmp);
        return log_error_errno(r, "Failed to write host key %s", path);
    }
    log_info("generated host key %s", path);
    return 0;
}

/* As OpenSSH refuses a private key others can read: the file must be a
 * regular file, owned by root or by us, with no access for group or others. */
static int check_protected(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return log_error_errno(-errno, "Failed to load host key %s", path);
    if (!S_ISREG(st.st_mode))
        return log_error_errno(-EINVAL, "Host key %s is not a regular file", path);
    if ((st.st_mode & 077) != 0 || (st.st_uid != 0 && st.st_uid != geteuid())) {
        log_error("UNPROTECTED PRIVATE KEY FILE: host key %s has mode %04o and owner uid %ld; "
                  "it must be owned by root (or the server's user) and accessible by nobody "
                  "else (chmod 600)",
                  path, (unsigned)(st.st_mode & 07777), (long)st.st_uid);
        return -EPERM;
    }
    return 0;
}

int vs_hostkey_load(const struct vs_config *c, ssh_bind bind, bool generate_missing)
{
    for (unsigned i = 0; i < c->n_hostkeys; i++) {
        const char *path = c->hostkeys[i];
        ssh_key key = NULL;

        if (access(path, F_OK) < 0 && errno == ENOENT && c->n_hostkeys == 1 &&
            strcmp(path, VS_DEFAULT_HOSTKEY_PATH) == 0) {
            if (!generate_missing) {
                log_info("host key %s does not exist yet; it will be generated at start", path);
                continue;
            }
            int g = generate(path);
            if (g < 0)
                return g;
        }
        int r = check_protected(path);
        if (r < 0)
            return r;
        if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK) {
            int err = access(path, R_OK) < 0 ? -errno : -EINVAL;
            return log_error_errno(err, "Failed to load host key %s", path);
        }
        if (bind != NULL &&
            ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) != SSH_OK) {
            ssh_key_free(key);
            return log_error_errno(-EINVAL, "Host key %s: %s", path, ssh_get_error(bind));
        }
        if (bind == NULL)
            ssh_key_free(key);
    }
    return 0;
}

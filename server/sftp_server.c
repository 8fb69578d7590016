#include "sftp_server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "fdutil.h"
#include "util.h"

/* Largest reply any request produces: a READ's data or a directory batch. */
#define MAX_REPLY (VS_SFTP_MAX_PACKET + 4)
/* A READDIR reply stops at this many entries or when less than
 * DIR_ENTRY_ROOM bytes of its budget are left. */
#define DIR_BATCH 128
#define DIR_BUDGET (64 * 1024)
#define DIR_ENTRY_ROOM 2048
/* Names longer than this come back empty from users-groups-by-id. */
#define MAX_NAME 255
/* copy-data moves data through a buffer of this size. */
#define COPY_CHUNK (64 * 1024)

struct handle {
    bool used, append;
    int fd;   /* a file, or -1 */
    DIR *dir; /* a directory, or NULL */
    uint32_t gen;
};

struct name_cache {
    bool valid, found;
    unsigned id;
    char name[MAX_NAME + 1];
};

struct srv {
    int in_fd, out_fd;
    const char *home;
    uint8_t *in, *out;
    size_t in_len, out_off, out_len;
    bool in_eof, init_done;
    struct vs_sftp_wr w; /* the reply being written, inside out */
    struct handle h[VS_SFTP_MAX_HANDLES];
    struct name_cache user, group;
    struct vs_sftp_req req;
    char path_buf[PATH_MAX + 1];
};

/* ---- replies ----------------------------------------------------------------- */

static const char *status_text(enum vs_fx_status st)
{
    static const char *const text[] = {
        "Success",     "End of file",   "No such file",    "Permission denied",     "Failure",
        "Bad message", "No connection", "Connection lost", "Operation unsupported",
    };
    return (unsigned)st < VS_ARRAY_SIZE(text) ? text[st] : "Unknown error";
}

static void send_status(struct srv *s, uint32_t id, enum vs_fx_status st, const char *msg)
{
    size_t p = vs_sftp_begin_packet(&s->w, VS_FXP_STATUS);
    vs_sftp_put_u32(&s->w, id);
    vs_sftp_put_u32(&s->w, st);
    vs_sftp_put_str(&s->w, msg ? msg : status_text(st));
    vs_sftp_put_str(&s->w, "");
    vs_sftp_end_packet(&s->w, p);
}

/* A status for a negative errno value (0 is OK). */
static void send_errno(struct srv *s, uint32_t id, int r)
{
    int err = r < 0 ? -r : 0;
    send_status(s, id, vs_sftp_status_from_errno(err), err ? strerror(err) : NULL);
}

static void send_handle(struct srv *s, uint32_t id, unsigned idx)
{
    uint8_t hb[VS_SFTP_HANDLE_LEN];
    vs_sftp_store_u32(hb, idx);
    vs_sftp_store_u32(hb + 4, s->h[idx].gen);
    size_t p = vs_sftp_begin_packet(&s->w, VS_FXP_HANDLE);
    vs_sftp_put_u32(&s->w, id);
    vs_sftp_put_u32(&s->w, sizeof(hb));
    vs_sftp_put_bytes(&s->w, hb, sizeof(hb));
    vs_sftp_end_packet(&s->w, p);
}

static void send_attrs(struct srv *s, uint32_t id, const struct stat *st)
{
    struct vs_sftp_attrs a;
    vs_sftp_attrs_from_stat(st, &a);
    size_t p = vs_sftp_begin_packet(&s->w, VS_FXP_ATTRS);
    vs_sftp_put_u32(&s->w, id);
    vs_sftp_put_attrs(&s->w, &a);
    vs_sftp_end_packet(&s->w, p);
}

/* A NAME reply with one entry and no attributes (realpath, readlink...). */
static void send_one_name(struct srv *s, uint32_t id, const char *name)
{
    struct vs_sftp_attrs none = {0};
    size_t p = vs_sftp_begin_packet(&s->w, VS_FXP_NAME);
    vs_sftp_put_u32(&s->w, id);
    vs_sftp_put_u32(&s->w, 1);
    vs_sftp_put_str(&s->w, name);
    vs_sftp_put_str(&s->w, name);
    vs_sftp_put_attrs(&s->w, &none);
    vs_sftp_end_packet(&s->w, p);
}

/* ---- handles ----------------------------------------------------------------- */

/* Gives an open file (fd) or directory (dir) a handle and replies with it;
 * with every handle in use, closes it and replies with a failure. */
static void reply_new_handle(struct srv *s, uint32_t id, int fd, DIR *dir, bool append)
{
    for (unsigned i = 0; i < VS_SFTP_MAX_HANDLES; i++) {
        struct handle *h = &s->h[i];
        if (!h->used) {
            h->used = true;
            h->fd = fd;
            h->dir = dir;
            h->append = append;
            h->gen++;
            return send_handle(s, id, i);
        }
    }
    if (dir != NULL)
        closedir(dir);
    else
        close(fd);
    send_status(s, id, VS_FX_FAILURE, "Too many open handles");
}

static struct handle *handle_get(struct srv *s, struct vs_sftp_bytes b)
{
    if (b.len != VS_SFTP_HANDLE_LEN)
        return NULL;
    uint32_t idx = vs_sftp_id_at(b, 0), gen = vs_sftp_id_at(b, 1);
    if (idx >= VS_SFTP_MAX_HANDLES || !s->h[idx].used || s->h[idx].gen != gen)
        return NULL;
    return &s->h[idx];
}

static int handle_close(struct handle *h)
{
    int r = 0;
    if (h->dir != NULL)
        r = closedir(h->dir);
    else if (h->fd >= 0)
        r = close(h->fd);
    h->used = false;
    h->fd = -1;
    h->dir = NULL;
    return r < 0 ? -errno : 0;
}

/* The fd behind a handle (a directory's too), or -1. */
static int handle_fd(const struct handle *h)
{
    return h->dir != NULL ? dirfd(h->dir) : h->fd;
}

static void send_bad_handle(struct srv *s, uint32_t id)
{
    send_status(s, id, VS_FX_FAILURE, "Invalid handle");
}

/* ---- paths ------------------------------------------------------------------- */

/* Canonical absolute path of path into s->path_buf.  As OpenSSH's server
 * does, the last component need not exist (a client asks before creating
 * it).  Returns 0 or -errno. */
static int resolve(struct srv *s, const char *path)
{
    char dir[PATH_MAX + 1];

    if (*path == '\0')
        path = ".";
    if (realpath(path, s->path_buf) != NULL)
        return 0;
    if (errno != ENOENT)
        return -errno;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return -ENOENT;
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if (realpath(dir, s->path_buf) == NULL)
        return -errno;
    size_t n = strlen(s->path_buf);
    const char *sep = (n > 0 && s->path_buf[n - 1] == '/') ? "" : "/";
    if (n + strlen(sep) + strlen(base) > PATH_MAX)
        return -ENAMETOOLONG;
    strcat(s->path_buf, sep);
    strcat(s->path_buf, base);
    return 0;
}

/* The home directory of a user name ("" is the session user). */
static int home_of(struct srv *s, const char *user, char *out, size_t size)
{
    struct passwd pw, *res = NULL;
    char buf[4096];

    const char *home = s->home;
    if (*user != '\0') {
        if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
            return -ENOENT;
        home = pw.pw_dir;
    }
    /* An account without a home directory has "/", as login(1) gives it. */
    snprintf(out, size, "%s", home != NULL && *home != '\0' ? home : "/");
    return 0;
}

/* "~", "~/x", "~user/x" as a shell expands them; other paths unchanged.
 * Returns 0 with the result in s->path_buf, or -errno. */
static int expand_tilde(struct srv *s, const char *path)
{
    char user[MAX_NAME + 1], home[PATH_MAX + 1];

    if (path[0] != '~') {
        snprintf(s->path_buf, sizeof(s->path_buf), "%s", path);
        return 0;
    }
    const char *rest = strchr(path, '/');
    size_t ulen = rest ? (size_t)(rest - path - 1) : strlen(path + 1);
    if (ulen > MAX_NAME)
        return -ENOENT;
    memcpy(user, path + 1, ulen);
    user[ulen] = '\0';
    int r = home_of(s, user, home, sizeof(home));
    if (r < 0)
        return r;
    if (rest == NULL)
        rest = "";
    else
        while (*rest == '/')
            rest++;
    if ((size_t)snprintf(s->path_buf, sizeof(s->path_buf), "%s%s%s", home,
                         *rest && home[strlen(home) - 1] != '/' ? "/" : "",
                         rest) >= sizeof(s->path_buf))
        return -ENAMETOOLONG;
    return 0;
}

/* ---- attributes -------------------------------------------------------------- */

enum target { BY_PATH, BY_PATH_NOFOLLOW, BY_FD };

/* Applies setstat attributes in OpenSSH's order: size, mode, times, owner. */
static int apply_attrs(const char *path, int fd, enum target how, const struct vs_sftp_attrs *a)
{
    int flag = how == BY_PATH_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0;

    if (a->flags & VS_FILEXFER_ATTR_SIZE) {
        if (a->size > INT64_MAX)
            return -EINVAL;
        if (how == BY_PATH_NOFOLLOW)
            return -EOPNOTSUPP; /* truncate has no no-follow form */
        if ((how == BY_FD ? ftruncate(fd, (off_t)a->size) : truncate(path, (off_t)a->size)) < 0)
            return -errno;
    }
    if (a->flags & VS_FILEXFER_ATTR_PERMISSIONS) {
        mode_t m = a->perm & 07777;
        if ((how == BY_FD ? fchmod(fd, m) : fchmodat(AT_FDCWD, path, m, flag)) < 0)
            return -errno;
    }
    if (a->flags & VS_FILEXFER_ATTR_ACMODTIME) {
        struct timespec ts[2] = {{.tv_sec = a->atime}, {.tv_sec = a->mtime}};
        if ((how == BY_FD ? futimens(fd, ts) : utimensat(AT_FDCWD, path, ts, flag)) < 0)
            return -errno;
    }
    if (a->flags & VS_FILEXFER_ATTR_UIDGID) {
        if ((how == BY_FD ? fchown(fd, a->uid, a->gid)
                          : fchownat(AT_FDCWD, path, a->uid, a->gid, flag)) < 0)
            return -errno;
    }
    return 0;
}

/* A user or group name for a directory listing, from a one-entry cache
 * (listings are mostly one owner).  NULL if there is none. */
static const char *cached_name(struct name_cache *c, unsigned id, bool is_user)
{
    char buf[4096];

    if (!c->valid || c->id != id) {
        c->valid = true;
        c->id = id;
        c->found = false;
        if (is_user) {
            struct passwd pw, *res = NULL;
            if (getpwuid_r(id, &pw, buf, sizeof(buf), &res) == 0 && res != NULL &&
                strlen(pw.pw_name) <= MAX_NAME) {
                strcpy(c->name, pw.pw_name);
                c->found = true;
            }
        } else {
            struct group gr, *res = NULL;
            if (getgrgid_r(id, &gr, buf, sizeof(buf), &res) == 0 && res != NULL &&
                strlen(gr.gr_name) <= MAX_NAME) {
                strcpy(c->name, gr.gr_name);
                c->found = true;
            }
        }
    }
    return c->found ? c->name : NULL;
}

/* ---- requests ---------------------------------------------------------------- */

static void do_open(struct srv *s, const struct vs_sftp_req *q)
{
    int flags = O_CLOEXEC | O_NOCTTY | O_NONBLOCK; /* a FIFO must not hang us */
    uint32_t pf = q->pflags;

    if ((pf & VS_FXF_READ) && (pf & VS_FXF_WRITE))
        flags |= O_RDWR;
    else if (pf & VS_FXF_WRITE)
        flags |= O_WRONLY;
    else
        flags |= O_RDONLY;
    if (pf & VS_FXF_APPEND)
        flags |= O_APPEND;
    if (pf & VS_FXF_CREAT)
        flags |= O_CREAT;
    if (pf & VS_FXF_TRUNC)
        flags |= O_TRUNC;
    if (pf & VS_FXF_EXCL)
        flags |= O_EXCL;
    mode_t mode = (q->attrs.flags & VS_FILEXFER_ATTR_PERMISSIONS) ? q->attrs.perm & 07777 : 0666;
    int fd = open(q->path, flags, mode);
    if (fd < 0)
        return send_errno(s, q->id, -errno);
    reply_new_handle(s, q->id, fd, NULL, (pf & VS_FXF_APPEND) != 0);
}

static void do_opendir(struct srv *s, const struct vs_sftp_req *q)
{
    DIR *d = opendir(q->path);
    if (d == NULL)
        return send_errno(s, q->id, -errno);
    reply_new_handle(s, q->id, -1, d, false);
}

static void do_read(struct srv *s, const struct vs_sftp_req *q)
{
    struct handle *h = handle_get(s, q->handle);
    if (h == NULL || h->fd < 0)
        return send_bad_handle(s, q->id);
    if (q->offset > INT64_MAX)
        return send_errno(s, q->id, -EINVAL);
    uint32_t len = q->len < VS_SFTP_MAX_RW ? q->len : VS_SFTP_MAX_RW;

    /* The data goes straight into the reply: type, id, length, bytes. */
    size_t p = vs_sftp_begin_packet(&s->w, VS_FXP_DATA);
    vs_sftp_put_u32(&s->w, q->id);
    vs_sftp_put_u32(&s->w, 0);
    if (s->w.overflow || s->w.cap - s->w.len < len) {
        s->w.overflow = true;
        return;
    }
    ssize_t n;
    do
        n = pread(h->fd, s->w.buf + s->w.len, len, (off_t)q->offset);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        int err = n < 0 ? errno : 0;
        s->w.len = p; /* drop the DATA reply begun above */
        if (n == 0)
            return send_status(s, q->id, VS_FX_EOF, NULL);
        return send_errno(s, q->id, -err);
    }
    vs_sftp_store_u32(s->w.buf + s->w.len - 4, (uint32_t)n);
    s->w.len += (size_t)n;
    vs_sftp_end_packet(&s->w, p);
}

static int write_all(int fd, const uint8_t *p, size_t n, uint64_t off, bool append)
{
    while (n > 0) {
        ssize_t w = append ? write(fd, p, n) : pwrite(fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

static void do_write(struct srv *s, const struct vs_sftp_req *q)
{
    struct handle *h = handle_get(s, q->handle);
    if (h == NULL || h->fd < 0)
        return send_bad_handle(s, q->id);
    if (q->offset > (uint64_t)INT64_MAX - q->data.len)
        return send_errno(s, q->id, -EINVAL);
    send_errno(s, q->id, write_all(h->fd, q->data.p, q->data.len, q->offset, h->append));
}

static void do_readdir(struct srv *s, const struct vs_sftp_req *q)
{
    struct handle *h = handle_get(s, q->handle);
    if (h == NULL || h->dir == NULL)
        return send_bad_handle(s, q->id);

    size_t p = vs_sftp_begin_packet(&s->w, VS_FXP_NAME);
    vs_sftp_put_u32(&s->w, q->id);
    size_t count_at = s->w.len;
    vs_sftp_put_u32(&s->w, 0);
    uint32_t count = 0;
    time_t now = time(NULL);
    char longname[1024];

    while (count < DIR_BATCH && s->w.len - p < DIR_BUDGET - DIR_ENTRY_ROOM) {
        long pos = telldir(h->dir);
        errno = 0;
        struct dirent *de = readdir(h->dir);
        if (de == NULL) {
            if (errno != 0 && count == 0) {
                s->w.len = p;
                return send_errno(s, q->id, -errno);
            }
            break;
        }
        struct stat st;
        if (fstatat(dirfd(h->dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* removed meanwhile */
        struct vs_sftp_attrs a;
        vs_sftp_attrs_from_stat(&st, &a);
        vs_sftp_longname(longname, sizeof(longname), de->d_name, &st,
                         cached_name(&s->user, st.st_uid, true),
                         cached_name(&s->group, st.st_gid, false), now);
        size_t before = s->w.len;
        vs_sftp_put_str(&s->w, de->d_name);
        vs_sftp_put_str(&s->w, longname);
        vs_sftp_put_attrs(&s->w, &a);
        if (s->w.overflow) { /* cannot happen within the budget; be safe */
            s->w.overflow = false;
            s->w.len = before;
            seekdir(h->dir, pos);
            break;
        }
        count++;
    }
    if (count == 0) {
        s->w.len = p;
        return send_status(s, q->id, VS_FX_EOF, NULL);
    }
    vs_sftp_store_u32(s->w.buf + count_at, count);
    vs_sftp_end_packet(&s->w, p);
}

static void do_stat(struct srv *s, const struct vs_sftp_req *q)
{
    struct stat st;
    int r;

    if (q->type == VS_FXP_FSTAT) {
        struct handle *h = handle_get(s, q->handle);
        if (h == NULL)
            return send_bad_handle(s, q->id);
        r = fstat(handle_fd(h), &st);
    } else if (q->type == VS_FXP_LSTAT) {
        r = lstat(q->path, &st);
    } else {
        r = stat(q->path, &st);
    }
    if (r < 0)
        return send_errno(s, q->id, -errno);
    send_attrs(s, q->id, &st);
}

static void do_setstat(struct srv *s, const struct vs_sftp_req *q, enum target how)
{
    if (how == BY_FD) {
        struct handle *h = handle_get(s, q->handle);
        if (h == NULL)
            return send_bad_handle(s, q->id);
        return send_errno(s, q->id, apply_attrs(NULL, handle_fd(h), BY_FD, &q->attrs));
    }
    send_errno(s, q->id, apply_attrs(q->path, -1, how, &q->attrs));
}

/* RENAME in SFTP version 3 never replaces an existing target.  The system
 * call itself: musl (the static build) has no renameat2() wrapper. */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
static int rename_noreplace(const char *from, const char *to)
{
    if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return -errno;
    /* A filesystem without RENAME_NOREPLACE: check, then rename (racy, as
     * OpenSSH's fallback is). */
    struct stat st;
    if (lstat(to, &st) == 0)
        return -EEXIST;
    return rename(from, to) < 0 ? -errno : 0;
}

static void do_realpath(struct srv *s, const struct vs_sftp_req *q, bool expand)
{
    const char *path = q->path;
    int r = 0;
    char expanded[PATH_MAX + 1];

    if (expand) {
        r = expand_tilde(s, q->path);
        if (r < 0)
            return send_errno(s, q->id, r);
        snprintf(expanded, sizeof(expanded), "%s", s->path_buf);
        path = expanded;
    }
    r = resolve(s, path);
    if (r < 0)
        return send_errno(s, q->id, r);
    send_one_name(s, q->id, s->path_buf);
}

static void do_readlink(struct srv *s, const struct vs_sftp_req *q)
{
    ssize_t n = readlink(q->path, s->path_buf, sizeof(s->path_buf) - 1);
    if (n < 0)
        return send_errno(s, q->id, -errno);
    s->path_buf[n] = '\0';
    send_one_name(s, q->id, s->path_buf);
}

static void put_statvfs(struct srv *s, uint32_t id, const struct statvfs *v)
{
    uint64_t flag = ((v->f_flag & ST_RDONLY) ? VS_FXE_STATVFS_ST_RDONLY : 0) |
                    ((v->f_flag & ST_NOSUID) ? VS_FXE_STATVFS_ST_NOSUID : 0);
    uint64_t vals[] = {v->f_bsize, v->f_frsize, v->f_blocks, v->f_bfree, v->f_bavail, v->f_files,
                       v->f_ffree, v->f_favail, v->f_fsid,   flag,       v->f_namemax};
    size_t p = vs_sftp_begin_packet(&s->w, VS_FXP_EXTENDED_REPLY);
    vs_sftp_put_u32(&s->w, id);
    for (unsigned i = 0; i < VS_ARRAY_SIZE(vals); i++)
        vs_sftp_put_u64(&s->w, vals[i]);
    vs_sftp_end_packet(&s->w, p);
}

static void do_copy_data(struct srv *s, const struct vs_sftp_req *q)
{
    static uint8_t buf[COPY_CHUNK];
    struct handle *in = handle_get(s, q->handle), *out = handle_get(s, q->handle2);

    if (in == NULL || out == NULL || in->fd < 0 || out->fd < 0)
        return send_bad_handle(s, q->id);
    if (q->offset > INT64_MAX || q->offset2 > INT64_MAX || q->length > INT64_MAX)
        return send_errno(s, q->id, -EINVAL);
    /* As OpenSSH: no overlapping copy within one file. */
    if (in == out && q->offset2 < q->offset + (q->length ? q->length : (uint64_t)INT64_MAX) &&
        q->offset < q->offset2 + (q->length ? q->length : (uint64_t)INT64_MAX))
        return send_status(s, q->id, VS_FX_FAILURE, "Overlapping copy within one file");

    uint64_t left = q->length, roff = q->offset, woff = q->offset2;
    bool to_eof = q->length == 0;
    while (to_eof || left > 0) {
        size_t want = sizeof(buf);
        if (!to_eof && left < want)
            want = (size_t)left;
        ssize_t n = pread(in->fd, buf, want, (off_t)roff);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return send_errno(s, q->id, -errno);
        if (n == 0) {
            if (!to_eof)
                return send_status(s, q->id, VS_FX_EOF, NULL);
            break;
        }
        int r = write_all(out->fd, buf, (size_t)n, woff, out->append);
        if (r < 0)
            return send_errno(s, q->id, r);
        roff += (uint64_t)n;
        woff += (uint64_t)n;
        if (!to_eof)
            left -= (uint64_t)n;
    }
    send_status(s, q->id, VS_FX_OK, NULL);
}

/* A string made of strings: usernames or group names for a list of ids. */
static void put_names(struct srv *s, struct vs_sftp_bytes ids, uint32_t n, bool users)
{
    size_t at = s->w.len;
    vs_sftp_put_u32(&s->w, 0);
    for (uint32_t i = 0; i < n; i++) {
        const char *name = cached_name(users ? &s->user : &s->group, vs_sftp_id_at(ids, i), users);
        vs_sftp_put_str(&s->w, name ? name : "");
    }
    if (!s->w.overflow)
        vs_sftp_store_u32(s->w.buf + at, (uint32_t)(s->w.len - at - 4));
}

static void do_extended(struct srv *s, const struct vs_sftp_req *q)
{
    struct handle *h;
    struct statvfs v;
    char home[PATH_MAX + 1];
    size_t p;

    switch (q->ext) {
    case VS_EXT_POSIX_RENAME:
        return send_errno(s, q->id, rename(q->path, q->path2) < 0 ? -errno : 0);
    case VS_EXT_HARDLINK:
        return send_errno(s, q->id, link(q->path, q->path2) < 0 ? -errno : 0);
    case VS_EXT_STATVFS:
        if (statvfs(q->path, &v) < 0)
            return send_errno(s, q->id, -errno);
        return put_statvfs(s, q->id, &v);
    case VS_EXT_FSTATVFS:
        if ((h = handle_get(s, q->handle)) == NULL)
            return send_bad_handle(s, q->id);
        if (fstatvfs(handle_fd(h), &v) < 0)
            return send_errno(s, q->id, -errno);
        return put_statvfs(s, q->id, &v);
    case VS_EXT_FSYNC:
        if ((h = handle_get(s, q->handle)) == NULL || h->fd < 0)
            return send_bad_handle(s, q->id);
        return send_errno(s, q->id, fsync(h->fd) < 0 ? -errno : 0);
    case VS_EXT_LSETSTAT:
        return do_setstat(s, q, BY_PATH_NOFOLLOW);
    case VS_EXT_LIMITS:
        p = vs_sftp_begin_packet(&s->w, VS_FXP_EXTENDED_REPLY);
        vs_sftp_put_u32(&s->w, q->id);
        vs_sftp_put_u64(&s->w, VS_SFTP_MAX_PACKET);
        vs_sftp_put_u64(&s->w, VS_SFTP_MAX_RW);
        vs_sftp_put_u64(&s->w, VS_SFTP_MAX_RW);
        vs_sftp_put_u64(&s->w, VS_SFTP_MAX_HANDLES);
        return vs_sftp_end_packet(&s->w, p);
    case VS_EXT_EXPAND_PATH:
        return do_realpath(s, q, true);
    case VS_EXT_COPY_DATA:
        return do_copy_data(s, q);
    case VS_EXT_HOME_DIRECTORY: {
        int r = home_of(s, q->path, home, sizeof(home));
        if (r < 0)
            return send_errno(s, q->id, r);
        return send_one_name(s, q->id, home);
    }
    case VS_EXT_USERS_GROUPS:
        p = vs_sftp_begin_packet(&s->w, VS_FXP_EXTENDED_REPLY);
        vs_sftp_put_u32(&s->w, q->id);
        put_names(s, q->uids, q->n_uids, true);
        put_names(s, q->gids, q->n_gids, false);
        return vs_sftp_end_packet(&s->w, p);
    case VS_EXT_UNKNOWN:
        break;
    }
    send_status(s, q->id, VS_FX_OP_UNSUPPORTED, "Unsupported extension");
}

static void send_version(struct srv *s)
{
    size_t p = vs_sftp_begin_packet(&s->w, VS_FXP_VERSION);
    vs_sftp_put_u32(&s->w, 3);
    for (unsigned i = 0; i < vs_sftp_n_extensions; i++) {
        vs_sftp_put_str(&s->w, vs_sftp_extensions[i].name);
        vs_sftp_put_str(&s->w, vs_sftp_extensions[i].version);
    }
    vs_sftp_end_packet(&s->w, p);
}

/* Handles one packet body; the reply goes to s->w.  Returns 0, or -EPROTO
 * when the session must end (the client broke the protocol's framing). */
static int handle_packet(struct srv *s, const uint8_t *pkt, size_t len)
{
    struct vs_sftp_req *q = &s->req;
    int r = vs_sftp_decode(pkt, len, q);

    if (!s->init_done) {
        if (r < 0 || q->type != VS_FXP_INIT)
            return -EPROTO;
        s->init_done = true;
        send_version(s);
        return 0;
    }
    if (r < 0) {
        if (!q->id_decoded)
            return -EPROTO;
        if (r == -EOPNOTSUPP)
            send_status(s, q->id, VS_FX_OP_UNSUPPORTED, "Unsupported request");
        else if (r == -EBADMSG)
            send_status(s, q->id, VS_FX_BAD_MESSAGE, "Malformed request");
        else
            send_errno(s, q->id, r);
        return 0;
    }
    switch (q->type) {
    case VS_FXP_INIT:
        return -EPROTO; /* a second INIT */
    case VS_FXP_OPEN:
        do_open(s, q);
        break;
    case VS_FXP_CLOSE: {
        struct handle *h = handle_get(s, q->handle);
        if (h == NULL)
            send_bad_handle(s, q->id);
        else
            send_errno(s, q->id, handle_close(h));
        break;
    }
    case VS_FXP_READ:
        do_read(s, q);
        break;
    case VS_FXP_WRITE:
        do_write(s, q);
        break;
    case VS_FXP_LSTAT:
    case VS_FXP_FSTAT:
    case VS_FXP_STAT:
        do_stat(s, q);
        break;
    case VS_FXP_SETSTAT:
        do_setstat(s, q, BY_PATH);
        break;
    case VS_FXP_FSETSTAT:
        do_setstat(s, q, BY_FD);
        break;
    case VS_FXP_OPENDIR:
        do_opendir(s, q);
        break;
    case VS_FXP_READDIR:
        do_readdir(s, q);
        break;
    case VS_FXP_REMOVE:
        send_errno(s, q->id, unlink(q->path) < 0 ? -errno : 0);
        break;
    case VS_FXP_MKDIR: {
        mode_t m = (q->attrs.flags & VS_FILEXFER_ATTR_PERMISSIONS) ? q->attrs.perm & 07777 : 0777;
        send_errno(s, q->id, mkdir(q->path, m) < 0 ? -errno : 0);
        break;
    }
    case VS_FXP_RMDIR:
        send_errno(s, q->id, rmdir(q->path) < 0 ? -errno : 0);
        break;
    case VS_FXP_REALPATH:
        do_realpath(s, q, false);
        break;
    case VS_FXP_RENAME:
        send_errno(s, q->id, rename_noreplace(q->path, q->path2));
        break;
    case VS_FXP_READLINK:
        do_readlink(s, q);
        break;
    case VS_FXP_SYMLINK:
        /* OpenSSH sends the target first and the new link second, the
         * reverse of the draft; every client follows OpenSSH. */
        send_errno(s, q->id, symlink(q->path, q->path2) < 0 ? -errno : 0);
        break;
    case VS_FXP_EXTENDED:
        do_extended(s, q);
        break;
    default:
        send_status(s, q->id, VS_FX_OP_UNSUPPORTED, "Unsupported request");
        break;
    }
    return 0;
}

/* ---- the loop ---------------------------------------------------------------- */

/* Handles every complete packet in the input for which a maximum reply still
 * fits in the output.  Returns 0 or -EPROTO. */
static int process_input(struct srv *s)
{
    size_t off = 0;
    int r = 0;

    while (s->in_len - off >= 4) {
        uint32_t plen = vs_sftp_load_u32(s->in + off);
        if (plen == 0 || plen > VS_SFTP_MAX_PACKET) {
            r = -EPROTO;
            break;
        }
        if (s->in_len - off - 4 < plen)
            break;
        /* Compact only when no more bytes move than were written since,
         * so that each reply byte is copied at most once. */
        size_t pending = s->out_len - s->out_off;
        if (VS_SFTP_OUT_BUF - s->out_len < MAX_REPLY && s->out_off >= pending) {
            memmove(s->out, s->out + s->out_off, pending);
            s->out_len = pending;
            s->out_off = 0;
        }
        if (VS_SFTP_OUT_BUF - s->out_len < MAX_REPLY)
            break; /* the client must read replies first */
        s->w = (struct vs_sftp_wr){s->out, s->out_len, s->out_len + MAX_REPLY, false};
        r = handle_packet(s, s->in + off + 4, plen);
        if (r < 0)
            break;
        if (s->w.overflow) { /* a bug, not the client's fault: end cleanly */
            r = -EPROTO;
            break;
        }
        s->out_len = s->w.len;
        off += 4 + plen;
    }
    if (off > 0) {
        memmove(s->in, s->in + off, s->in_len - off);
        s->in_len -= off;
    }
    return r;
}

/* One poll round: reads requests while there is room, writes replies.
 * Returns 0, 1 at the end of input with nothing left to do, or -errno. */
static int pump(struct srv *s)
{
    struct pollfd p[2] = {{.fd = -1}, {.fd = -1}};

    if (!s->in_eof && s->in_len < VS_SFTP_IN_BUF)
        p[0] = (struct pollfd){.fd = s->in_fd, .events = POLLIN};
    if (s->out_len > s->out_off)
        p[1] = (struct pollfd){.fd = s->out_fd, .events = POLLOUT};
    if (p[0].fd < 0 && p[1].fd < 0)
        return 1;
    if (poll(p, 2, -1) < 0)
        return errno == EINTR ? 0 : -errno;
    if (p[1].revents) {
        ssize_t n = write(s->out_fd, s->out + s->out_off, s->out_len - s->out_off);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -errno;
        if (n > 0)
            s->out_off += (size_t)n;
        if (s->out_off == s->out_len)
            s->out_off = s->out_len = 0;
    }
    if (p[0].revents) {
        ssize_t n = read(s->in_fd, s->in + s->in_len, VS_SFTP_IN_BUF - s->in_len);
        if (n == 0)
            s->in_eof = true;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -errno;
        else if (n > 0)
            s->in_len += (size_t)n;
    }
    return 0;
}

int vs_sftp_serve(int in_fd, int out_fd, const char *home)
{
    struct srv *s = calloc(1, sizeof(*s));
    int status = 2;

    if (s == NULL)
        return 2;
    *s = (struct srv){.in_fd = in_fd, .out_fd = out_fd, .home = home};
    for (unsigned i = 0; i < VS_SFTP_MAX_HANDLES; i++)
        s->h[i].fd = -1;
    s->in = malloc(VS_SFTP_IN_BUF);
    s->out = malloc(VS_SFTP_OUT_BUF);
    if (s->in == NULL || s->out == NULL || vs_set_nonblock(in_fd) < 0 ||
        vs_set_nonblock(out_fd) < 0)
        goto out;
    signal(SIGPIPE, SIG_IGN);

    for (;;) {
        if (process_input(s) < 0) {
            status = 1;
            break;
        }
        int r = pump(s);
        if (r < 0) {
            status = 2;
            break;
        }
        if (r == 1) {
            /* End of input: a partial packet left over is the client's
             * error, anything else a clean end. */
            status = s->in_len == 0 ? 0 : 1;
            break;
        }
    }
out:
    for (unsigned i = 0; i < VS_SFTP_MAX_HANDLES; i++)
        if (s->h[i].used)
            handle_close(&s->h[i]);
    free(s->in);
    free(s->out);
    free(s);
    return status;
}

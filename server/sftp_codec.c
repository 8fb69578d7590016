#include "sftp_codec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

const struct vs_sftp_ext_info vs_sftp_extensions[] = {
    {"posix-rename@openssh.com", "1", VS_EXT_POSIX_RENAME},
    {"statvfs@openssh.com", "2", VS_EXT_STATVFS},
    {"fstatvfs@openssh.com", "2", VS_EXT_FSTATVFS},
    {"hardlink@openssh.com", "1", VS_EXT_HARDLINK},
    {"fsync@openssh.com", "1", VS_EXT_FSYNC},
    {"lsetstat@openssh.com", "1", VS_EXT_LSETSTAT},
    {"limits@openssh.com", "1", VS_EXT_LIMITS},
    {"expand-path@openssh.com", "1", VS_EXT_EXPAND_PATH},
    {"copy-data", "1", VS_EXT_COPY_DATA},
    {"home-directory", "1", VS_EXT_HOME_DIRECTORY},
    {"users-groups-by-id@openssh.com", "1", VS_EXT_USERS_GROUPS},
};
const unsigned vs_sftp_n_extensions = VS_ARRAY_SIZE(vs_sftp_extensions);

/* ---- decoding ---------------------------------------------------------------- */

/* A reader over one packet.  Every get fails (and keeps failing) once the
 * packet is exhausted, so a decoder checks ok once per request. */
struct rd {
    const uint8_t *p;
    size_t len, off;
    int err; /* 0, -EBADMSG or -ENAMETOOLONG */
};

static bool avail(struct rd *r, size_t n)
{
    if (r->err == 0 && r->len - r->off >= n)
        return true;
    if (r->err == 0)
        r->err = -EBADMSG;
    return false;
}

static uint8_t get_u8(struct rd *r)
{
    return avail(r, 1) ? r->p[r->off++] : 0;
}

static uint32_t get_u32(struct rd *r)
{
    if (!avail(r, 4))
        return 0;
    uint32_t v = vs_sftp_load_u32(r->p + r->off);
    r->off += 4;
    return v;
}

static uint64_t get_u64(struct rd *r)
{
    uint64_t hi = get_u32(r);
    return hi << 32 | get_u32(r);
}

static struct vs_sftp_bytes get_bytes(struct rd *r)
{
    struct vs_sftp_bytes b = {NULL, 0};
    uint32_t n = get_u32(r);
    if (avail(r, n)) {
        b.p = r->p + r->off;
        b.len = n;
        r->off += n;
    }
    return b;
}

/* A path: copied into out (VS_SFTP_PATH_MAX + 1 bytes) and NUL-terminated. */
static void get_path(struct rd *r, char *out)
{
    struct vs_sftp_bytes b = get_bytes(r);
    out[0] = '\0';
    if (r->err != 0)
        return;
    if (b.len > VS_SFTP_PATH_MAX) {
        r->err = -ENAMETOOLONG;
        return;
    }
    if (memchr(b.p, '\0', b.len) != NULL) {
        r->err = -EBADMSG;
        return;
    }
    memcpy(out, b.p, b.len);
    out[b.len] = '\0';
}

static void get_attrs(struct rd *r, struct vs_sftp_attrs *a)
{
    uint32_t flags = get_u32(r);

    *a = (struct vs_sftp_attrs){.flags = flags & ~VS_FILEXFER_ATTR_EXTENDED};
    if (flags & VS_FILEXFER_ATTR_SIZE)
        a->size = get_u64(r);
    if (flags & VS_FILEXFER_ATTR_UIDGID) {
        a->uid = get_u32(r);
        a->gid = get_u32(r);
    }
    if (flags & VS_FILEXFER_ATTR_PERMISSIONS)
        a->perm = get_u32(r);
    if (flags & VS_FILEXFER_ATTR_ACMODTIME) {
        a->atime = get_u32(r);
        a->mtime = get_u32(r);
    }
    if (flags & VS_FILEXFER_ATTR_EXTENDED) {
        /* Each pair takes at least 8 bytes, so a huge count fails on the
         * packet's end instead of looping for long. */
        uint32_t n = get_u32(r);
        for (uint32_t i = 0; i < n && r->err == 0; i++) {
            get_bytes(r);
            get_bytes(r);
        }
    }
}

static struct vs_sftp_bytes get_id_list(struct rd *r, uint32_t *count)
{
    struct vs_sftp_bytes b = get_bytes(r);
    *count = 0;
    if (r->err == 0 && (b.len % 4 != 0 || b.len / 4 > VS_SFTP_MAX_IDS))
        r->err = -EBADMSG;
    else
        *count = b.len / 4;
    return b;
}

uint32_t vs_sftp_id_at(struct vs_sftp_bytes list, uint32_t i)
{
    return vs_sftp_load_u32(list.p + 4 * (size_t)i);
}

static bool bytes_eq(struct vs_sftp_bytes b, const char *s)
{
    size_t n = strlen(s);
    return b.len == n && memcmp(b.p, s, n) == 0;
}

static void decode_extended(struct rd *r, struct vs_sftp_req *q)
{
    q->ext_name = get_bytes(r);
    q->ext = VS_EXT_UNKNOWN;
    if (r->err != 0)
        return;
    for (unsigned i = 0; i < vs_sftp_n_extensions; i++)
        if (bytes_eq(q->ext_name, vs_sftp_extensions[i].name))
            q->ext = vs_sftp_extensions[i].ext;
    switch (q->ext) {
    case VS_EXT_POSIX_RENAME:
    case VS_EXT_HARDLINK:
        get_path(r, q->path);
        get_path(r, q->path2);
        break;
    case VS_EXT_STATVFS:
    case VS_EXT_EXPAND_PATH:
    case VS_EXT_HOME_DIRECTORY:
        get_path(r, q->path);
        break;
    case VS_EXT_FSTATVFS:
    case VS_EXT_FSYNC:
        q->handle = get_bytes(r);
        break;
    case VS_EXT_LSETSTAT:
        get_path(r, q->path);
        get_attrs(r, &q->attrs);
        break;
    case VS_EXT_COPY_DATA:
        q->handle = get_bytes(r);
        q->offset = get_u64(r);
        q->length = get_u64(r);
        q->handle2 = get_bytes(r);
        q->offset2 = get_u64(r);
        break;
    case VS_EXT_USERS_GROUPS:
        q->uids = get_id_list(r, &q->n_uids);
        q->gids = get_id_list(r, &q->n_gids);
        break;
    case VS_EXT_LIMITS:
    case VS_EXT_UNKNOWN:
        break;
    }
}

int vs_sftp_decode(const uint8_t *pkt, size_t len, struct vs_sftp_req *q)
{
    struct rd r = {pkt, len, 0, 0};

    /* Nothing of a previous request may survive (the paths' bytes past
     * their first are never read, so clearing those would only cost). */
    const struct vs_sftp_bytes none = {NULL, 0};
    q->handle = q->handle2 = q->data = q->ext_name = q->uids = q->gids = none;
    q->pflags = q->len = q->n_uids = q->n_gids = 0;
    q->offset = q->offset2 = q->length = 0;
    q->attrs = (struct vs_sftp_attrs){0};
    q->ext = VS_EXT_UNKNOWN;
    q->path[0] = q->path2[0] = '\0';
    q->type = get_u8(&r);
    q->id = get_u32(&r);
    q->id_decoded = r.err == 0;
    if (r.err != 0)
        return r.err;

    switch (q->type) {
    case VS_FXP_INIT:
        break; /* id is the version; extension pairs after it are ignored */
    case VS_FXP_OPEN:
        get_path(&r, q->path);
        q->pflags = get_u32(&r);
        get_attrs(&r, &q->attrs);
        break;
    case VS_FXP_CLOSE:
    case VS_FXP_FSTAT:
    case VS_FXP_READDIR:
        q->handle = get_bytes(&r);
        break;
    case VS_FXP_READ:
        q->handle = get_bytes(&r);
        q->offset = get_u64(&r);
        q->len = get_u32(&r);
        break;
    case VS_FXP_WRITE:
        q->handle = get_bytes(&r);
        q->offset = get_u64(&r);
        q->data = get_bytes(&r);
        break;
    case VS_FXP_LSTAT:
    case VS_FXP_STAT:
    case VS_FXP_OPENDIR:
    case VS_FXP_REMOVE:
    case VS_FXP_RMDIR:
    case VS_FXP_REALPATH:
    case VS_FXP_READLINK:
        get_path(&r, q->path);
        break;
    case VS_FXP_SETSTAT:
    case VS_FXP_MKDIR:
        get_path(&r, q->path);
        get_attrs(&r, &q->attrs);
        break;
    case VS_FXP_FSETSTAT:
        q->handle = get_bytes(&r);
        get_attrs(&r, &q->attrs);
        break;
    case VS_FXP_RENAME:
    case VS_FXP_SYMLINK:
        get_path(&r, q->path);
        get_path(&r, q->path2);
        break;
    case VS_FXP_EXTENDED:
        decode_extended(&r, q);
        break;
    default:
        return -EOPNOTSUPP;
    }
    return r.err;
}

/* ---- encoding ---------------------------------------------------------------- */

void vs_sftp_put_bytes(struct vs_sftp_wr *w, const void *p, size_t n)
{
    if (w->overflow || w->cap - w->len < n) {
        w->overflow = true;
        return;
    }
    if (n > 0)
        memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void vs_sftp_store_u32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

uint32_t vs_sftp_load_u32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void vs_sftp_put_u8(struct vs_sftp_wr *w, uint8_t v)
{
    vs_sftp_put_bytes(w, &v, 1);
}

void vs_sftp_put_u32(struct vs_sftp_wr *w, uint32_t v)
{
    uint8_t b[4];
    vs_sftp_store_u32(b, v);
    vs_sftp_put_bytes(w, b, 4);
}

void vs_sftp_put_u64(struct vs_sftp_wr *w, uint64_t v)
{
    vs_sftp_put_u32(w, (uint32_t)(v >> 32));
    vs_sftp_put_u32(w, (uint32_t)v);
}

void vs_sftp_put_str(struct vs_sftp_wr *w, const char *s)
{
    size_t n = strlen(s);
    vs_sftp_put_u32(w, (uint32_t)n);
    vs_sftp_put_bytes(w, s, n);
}

void vs_sftp_put_attrs(struct vs_sftp_wr *w, const struct vs_sftp_attrs *a)
{
    uint32_t f = a->flags & ~VS_FILEXFER_ATTR_EXTENDED;

    vs_sftp_put_u32(w, f);
    if (f & VS_FILEXFER_ATTR_SIZE)
        vs_sftp_put_u64(w, a->size);
    if (f & VS_FILEXFER_ATTR_UIDGID) {
        vs_sftp_put_u32(w, a->uid);
        vs_sftp_put_u32(w, a->gid);
    }
    if (f & VS_FILEXFER_ATTR_PERMISSIONS)
        vs_sftp_put_u32(w, a->perm);
    if (f & VS_FILEXFER_ATTR_ACMODTIME) {
        vs_sftp_put_u32(w, a->atime);
        vs_sftp_put_u32(w, a->mtime);
    }
}

size_t vs_sftp_begin_packet(struct vs_sftp_wr *w, uint8_t type)
{
    size_t start = w->len;
    vs_sftp_put_u32(w, 0);
    vs_sftp_put_u8(w, type);
    return start;
}

void vs_sftp_end_packet(struct vs_sftp_wr *w, size_t start)
{
    if (!w->overflow)
        vs_sftp_store_u32(w->buf + start, (uint32_t)(w->len - start - 4));
}

static uint32_t clamp_time(time_t t)
{
    return t < 0 ? 0 : t > (time_t)UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

void vs_sftp_attrs_from_stat(const struct stat *st, struct vs_sftp_attrs *a)
{
    *a = (struct vs_sftp_attrs){
        .flags = VS_FILEXFER_ATTR_SIZE | VS_FILEXFER_ATTR_UIDGID | VS_FILEXFER_ATTR_PERMISSIONS |
                 VS_FILEXFER_ATTR_ACMODTIME,
        .size = (uint64_t)st->st_size,
        .uid = st->st_uid,
        .gid = st->st_gid,
        .perm = st->st_mode,
        .atime = clamp_time(st->st_atime),
        .mtime = clamp_time(st->st_mtime),
    };
}

enum vs_fx_status vs_sftp_status_from_errno(int err)
{
    switch (err) {
    case 0:
        return VS_FX_OK;
    case ENOENT:
    case ENOTDIR:
    case EBADF:
    case ELOOP:
        return VS_FX_NO_SUCH_FILE;
    case EPERM:
    case EACCES:
    case EFAULT:
    case EROFS:
        return VS_FX_PERMISSION_DENIED;
    case ENAMETOOLONG:
    case EINVAL:
        return VS_FX_BAD_MESSAGE;
    case ENOSYS:
    case EOPNOTSUPP:
        return VS_FX_OP_UNSUPPORTED;
    default:
        return VS_FX_FAILURE;
    }
}

static char type_char(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFDIR:
        return 'd';
    case S_IFLNK:
        return 'l';
    case S_IFCHR:
        return 'c';
    case S_IFBLK:
        return 'b';
    case S_IFIFO:
        return 'p';
    case S_IFSOCK:
        return 's';
    default:
        return '-';
    }
}

static void mode_string(mode_t m, char out[11])
{
    static const char rwx[] = "rwxrwxrwx";
    out[0] = type_char(m);
    for (int i = 0; i < 9; i++)
        out[i + 1] = (m & (0400 >> i)) ? rwx[i] : '-';
    if (m & S_ISUID)
        out[3] = (m & S_IXUSR) ? 's' : 'S';
    if (m & S_ISGID)
        out[6] = (m & S_IXGRP) ? 's' : 'S';
    if (m & S_ISVTX)
        out[9] = (m & S_IXOTH) ? 't' : 'T';
    out[10] = '\0';
}

void vs_sftp_longname(char *buf, size_t size, const char *name, const struct stat *st,
                      const char *user, const char *group, time_t now)
{
    char mode[11], ubuf[16], gbuf[16], date[32] = "";
    struct tm tm;

    mode_string(st->st_mode, mode);
    if (user == NULL) {
        snprintf(ubuf, sizeof(ubuf), "%u", (unsigned)st->st_uid);
        user = ubuf;
    }
    if (group == NULL) {
        snprintf(gbuf, sizeof(gbuf), "%u", (unsigned)st->st_gid);
        group = gbuf;
    }
    /* As ls(1): time of day for the last six months, else the year. */
    time_t six_months = 365 * 24 * 3600 / 2;
    if (localtime_r(&st->st_mtime, &tm) != NULL) {
        bool recent = st->st_mtime <= now && st->st_mtime > now - six_months;
        strftime(date, sizeof(date), recent ? "%b %e %H:%M" : "%b %e  %Y", &tm);
    }
    snprintf(buf, size, "%s %3u %-8.32s %-8.32s %8llu %s %s", mode, (unsigned)st->st_nlink, user,
             group, (unsigned long long)st->st_size, date, name);
}

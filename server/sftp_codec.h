/* The SFTP protocol, version 3 (draft-ietf-secsh-filexfer-02, the version
 * OpenSSH speaks) plus the OpenSSH extensions its clients use: constants, a
 * bounds-checked decoder that turns one request packet into a struct, and a
 * bounded encoder for replies.  Pure code: no I/O, no allocation, so it is
 * unit-tested and fuzzed on its own. */
#ifndef VS_SFTP_CODEC_H
#define VS_SFTP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* ---- limits (announced by limits@openssh.com) ----------------------------- */

/* Largest packet either side may send, as OpenSSH's SFTP_MAX_MSG_LENGTH. */
#define VS_SFTP_MAX_PACKET (256 * 1024)
/* Largest READ served and WRITE accepted: a whole reply fits in a packet. */
#define VS_SFTP_MAX_RW (VS_SFTP_MAX_PACKET - 1024)
/* Longest path accepted in a request (PATH_MAX, without the NUL). */
#define VS_SFTP_PATH_MAX 4095
/* Open file and directory handles per SFTP session. */
#define VS_SFTP_MAX_HANDLES 256
/* Ids in one users-groups-by-id@openssh.com request (each list). */
#define VS_SFTP_MAX_IDS 256
/* A handle on the wire: slot index and generation, 4 bytes each. */
#define VS_SFTP_HANDLE_LEN 8

/* ---- packet types ---------------------------------------------------------- */

enum {
    VS_FXP_INIT = 1,
    VS_FXP_VERSION = 2,
    VS_FXP_OPEN = 3,
    VS_FXP_CLOSE = 4,
    VS_FXP_READ = 5,
    VS_FXP_WRITE = 6,
    VS_FXP_LSTAT = 7,
    VS_FXP_FSTAT = 8,
    VS_FXP_SETSTAT = 9,
    VS_FXP_FSETSTAT = 10,
    VS_FXP_OPENDIR = 11,
    VS_FXP_READDIR = 12,
    VS_FXP_REMOVE = 13,
    VS_FXP_MKDIR = 14,
    VS_FXP_RMDIR = 15,
    VS_FXP_REALPATH = 16,
    VS_FXP_STAT = 17,
    VS_FXP_RENAME = 18,
    VS_FXP_READLINK = 19,
    VS_FXP_SYMLINK = 20,
    VS_FXP_STATUS = 101,
    VS_FXP_HANDLE = 102,
    VS_FXP_DATA = 103,
    VS_FXP_NAME = 104,
    VS_FXP_ATTRS = 105,
    VS_FXP_EXTENDED = 200,
    VS_FXP_EXTENDED_REPLY = 201,
};

enum vs_fx_status {
    VS_FX_OK = 0,
    VS_FX_EOF = 1,
    VS_FX_NO_SUCH_FILE = 2,
    VS_FX_PERMISSION_DENIED = 3,
    VS_FX_FAILURE = 4,
    VS_FX_BAD_MESSAGE = 5,
    VS_FX_NO_CONNECTION = 6,
    VS_FX_CONNECTION_LOST = 7,
    VS_FX_OP_UNSUPPORTED = 8,
};

/* OPEN pflags */
#define VS_FXF_READ 0x01
#define VS_FXF_WRITE 0x02
#define VS_FXF_APPEND 0x04
#define VS_FXF_CREAT 0x08
#define VS_FXF_TRUNC 0x10
#define VS_FXF_EXCL 0x20

/* attribute flags */
#define VS_FILEXFER_ATTR_SIZE 0x01
#define VS_FILEXFER_ATTR_UIDGID 0x02
#define VS_FILEXFER_ATTR_PERMISSIONS 0x04
#define VS_FILEXFER_ATTR_ACMODTIME 0x08
#define VS_FILEXFER_ATTR_EXTENDED 0x80000000u

/* statvfs@openssh.com flag bits */
#define VS_FXE_STATVFS_ST_RDONLY 0x1
#define VS_FXE_STATVFS_ST_NOSUID 0x2

/* Extended requests we serve; the decoder maps names to these. */
enum vs_sftp_ext {
    VS_EXT_UNKNOWN = 0,
    VS_EXT_POSIX_RENAME,   /* posix-rename@openssh.com: path, path2 */
    VS_EXT_STATVFS,        /* statvfs@openssh.com: path */
    VS_EXT_FSTATVFS,       /* fstatvfs@openssh.com: handle */
    VS_EXT_HARDLINK,       /* hardlink@openssh.com: path (old), path2 (new) */
    VS_EXT_FSYNC,          /* fsync@openssh.com: handle */
    VS_EXT_LSETSTAT,       /* lsetstat@openssh.com: path, attrs */
    VS_EXT_LIMITS,         /* limits@openssh.com */
    VS_EXT_EXPAND_PATH,    /* expand-path@openssh.com: path */
    VS_EXT_COPY_DATA,      /* copy-data: handle, offset, length, handle2, offset2 */
    VS_EXT_HOME_DIRECTORY, /* home-directory: path (a user name) */
    VS_EXT_USERS_GROUPS,   /* users-groups-by-id@openssh.com: uids, gids */
};

/* The extensions announced in VERSION, in order: name and version string. */
struct vs_sftp_ext_info {
    const char *name, *version;
    enum vs_sftp_ext ext;
};
extern const struct vs_sftp_ext_info vs_sftp_extensions[];
extern const unsigned vs_sftp_n_extensions;

struct vs_sftp_attrs {
    uint32_t flags; /* VS_FILEXFER_ATTR_*, without EXTENDED (those are skipped) */
    uint64_t size;
    uint32_t uid, gid, perm, atime, mtime;
};

/* A byte string inside the packet: not NUL-terminated, valid as long as the
 * packet is. */
struct vs_sftp_bytes {
    const uint8_t *p;
    uint32_t len;
};

/* One decoded request.  Which fields are set depends on type (and ext).
 * Paths are copied and NUL-terminated; a path with an embedded NUL or longer
 * than VS_SFTP_PATH_MAX is refused by the decoder. */
struct vs_sftp_req {
    uint8_t type;
    uint32_t id;     /* INIT: the client's version */
    bool id_decoded; /* false if the packet ended before the id */
    enum vs_sftp_ext ext;
    char path[VS_SFTP_PATH_MAX + 1], path2[VS_SFTP_PATH_MAX + 1];
    struct vs_sftp_bytes handle, handle2, data, ext_name;
    uint32_t pflags, len;
    uint64_t offset, offset2, length;
    struct vs_sftp_attrs attrs;
    uint32_t n_uids, n_gids; /* users-groups-by-id: packed big-endian ids */
    struct vs_sftp_bytes uids, gids;
};

/* Decodes one packet body (type byte onward, without the length word).
 * Returns 0; -EBADMSG if it is truncated or malformed; -ENAMETOOLONG for a
 * path longer than VS_SFTP_PATH_MAX; -EOPNOTSUPP for an unknown packet type.
 * For EXTENDED requests with a name we do not serve, returns 0 with
 * ext == VS_EXT_UNKNOWN.  On error, req->id_decoded says whether req->id
 * may be used to answer with a status. */
int vs_sftp_decode(const uint8_t *pkt, size_t len, struct vs_sftp_req *req);

/* Reads the i-th id of a users-groups-by-id list (i < count). */
uint32_t vs_sftp_id_at(struct vs_sftp_bytes list, uint32_t i);

/* ---- encoding ----------------------------------------------------------------- */

/* A bounded writer.  Writing past cap sets overflow and writes nothing more;
 * callers check it once at the end. */
struct vs_sftp_wr {
    uint8_t *buf;
    size_t len, cap;
    bool overflow;
};

void vs_sftp_put_u8(struct vs_sftp_wr *w, uint8_t v);
void vs_sftp_put_u32(struct vs_sftp_wr *w, uint32_t v);
void vs_sftp_put_u64(struct vs_sftp_wr *w, uint64_t v);
void vs_sftp_put_bytes(struct vs_sftp_wr *w, const void *p, size_t n);
void vs_sftp_put_str(struct vs_sftp_wr *w, const char *s);
void vs_sftp_put_attrs(struct vs_sftp_wr *w, const struct vs_sftp_attrs *a);
/* Stores v big-endian at buf (for patching a length word). */
void vs_sftp_store_u32(uint8_t *buf, uint32_t v);
/* Reads the big-endian 32-bit value at buf (4 bytes the caller checked). */
uint32_t vs_sftp_load_u32(const uint8_t *buf);

/* Starts a packet: reserves the length word and writes the type.  Returns
 * the offset to give vs_sftp_end_packet. */
size_t vs_sftp_begin_packet(struct vs_sftp_wr *w, uint8_t type);
/* Fills in the length word of the packet begun at start. */
void vs_sftp_end_packet(struct vs_sftp_wr *w, size_t start);

/* SFTP attributes of a struct stat (times clamped to 32 bits). */
void vs_sftp_attrs_from_stat(const struct stat *st, struct vs_sftp_attrs *a);
/* The status code for an errno value. */
enum vs_fx_status vs_sftp_status_from_errno(int err);
/* The "ls -l" line OpenSSH's clients show for a directory entry.  user and
 * group are names, or NULL to print the numbers; now is the current time. */
void vs_sftp_longname(char *buf, size_t size, const char *name, const struct stat *st,
                      const char *user, const char *group, time_t now);

#endif

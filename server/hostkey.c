#include "hostkey.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "log.h"
#include "util.h"

/* Largest host key file read (OpenSSH's 16384-bit RSA keys are 12 KiB). */
#define VS_HOSTKEY_MAX_BYTES (64 * 1024)

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

/* In a child process: writes a new ed25519 key to tmp (mode 0600) and its
 * public half to pub.  Returns 0 or a negative errno (logged). */
static int generate_here(const char *tmp, const char *pub)
{
    ssh_key key = NULL;
    unsigned char b;
    int r;

    /* A strong draw reseeds libssh's generator from the kernel (mbedTLS's
     * ctr_drbg would otherwise go on from the state this process inherited,
     * the same in every child of the listener); OpenSSL reseeds after a
     * fork by itself. */
    if (ssh_get_random(&b, 1, 1) != 1)
        return log_error_errno(-EIO, "No randomness for a host key");
#if LIBSSH_VERSION_INT >= SSH_VERSION_INT(0, 12, 0)
    /* ssh_pki_generate is deprecated there; no context: the defaults. */
    if (ssh_pki_generate_key(SSH_KEYTYPE_ED25519, NULL, &key) != SSH_OK)
#else
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK)
#endif
        return log_error_errno(-EIO, "Failed to generate an ed25519 host key");
    umask(0077);
    r = ssh_pki_export_privkey_file(key, NULL, NULL, NULL, tmp) == SSH_OK ? 0 : -EIO;
    umask(0022);
    if (r == 0)
        r = ssh_pki_export_pubkey_file(key, pub) == SSH_OK ? 0 : -EIO; /* for the admin */
    if (r == 0 && chmod(tmp, 0600) < 0)
        r = -errno;
    ssh_key_free(key);
    if (r < 0)
        return log_error_errno(r, "Failed to write host key %s", tmp);
    return 0;
}

/* Writes a new ed25519 key to path atomically: a temporary file made with
 * mode 0600, then rename(), so a crash never leaves a half-written key.
 * The key is made and written by a child process: libssh leaves what it
 * exports in memory it frees without clearing it, and every connection's
 * process (and the built-in SFTP server, which has no exec) is forked from
 * this one. The key is then loaded from its file, as any other. */
static int generate(const char *path)
{
    char tmp[PATH_MAX], pub[PATH_MAX];
    int r, status;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp) ||
        (size_t)snprintf(pub, sizeof(pub), "%s.pub", path) >= sizeof(pub))
        return log_error_errno(-ENAMETOOLONG, "host key path %s", path);
    r = mkdir_parents(path);
    if (r < 0)
        return log_error_errno(r, "Failed to create the directory of %s", path);
    pid_t pid = fork();
    if (pid < 0)
        return log_error_errno(-errno, "Failed to generate host key %s: fork", path);
    if (pid == 0)
        _exit(generate_here(tmp, pub) < 0 ? 1 : 0);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return log_error_errno(-errno, "Failed to generate host key %s: waitpid", path);
    r = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        return log_error_errno(r, "Failed to write host key %s", path);
    }
    log_info("generated host key %s", path);
    return 0;
}

/* As OpenSSH refuses a private key others can read: the file must be a
 * regular file, owned by root or by us, with no access for group or others. */
static int check_protected(int fd, const char *path, struct stat *st)
{
    if (fstat(fd, st) < 0)
        return log_error_errno(-errno, "Failed to load host key %s", path);
    if (!S_ISREG(st->st_mode))
        return log_error_errno(-EINVAL, "Host key %s is not a regular file", path);
    if ((st->st_mode & 077) != 0 || (st->st_uid != 0 && st->st_uid != geteuid())) {
        log_error("UNPROTECTED PRIVATE KEY FILE: host key %s has mode %04o and owner uid %ld; "
                  "it must be owned by root (or the server's user) and accessible by nobody "
                  "else (chmod 600)",
                  path, (unsigned)(st->st_mode & 07777), (long)st->st_uid);
        return -EPERM;
    }
    if (st->st_size > VS_HOSTKEY_MAX_BYTES)
        return log_error_errno(-EFBIG, "Failed to load host key %s", path);
    return 0;
}

/* ---- what libssh leaves of a key's text --------------------------------
 *
 * libssh (0.10 and 0.11) parses a key's text through copies it frees without
 * clearing them: ssh_pki_openssh_import()'s base64 without whitespace,
 * base64_to_bin()'s copy of that, and the decoded private section (for a PEM
 * key, the crypto library's own copies, if it leaves any).  They would stay
 * in this process's free memory, which every connection's process, and the
 * built-in SFTP server forked from it without exec, inherit.  So once a key
 * is loaded, its text's base64 and the private bytes it encodes are looked
 * for in our own writable memory, through /proc/self/mem (which reads freed
 * memory without the sanitizers minding), and every run of them is
 * cleared.  A run of decoded bytes is cleared only if longer than 64 bytes:
 * the live key holds at most that much in one piece (an ed25519 seed and
 * public key) and must never be what this finds. */

#define SCRUB_WIN 32     /* bytes compared at once: any run of WIN+7 is found */
#define SCRUB_MIN_RAW 72 /* shortest run of decoded bytes cleared */
#define SCRUB_CHUNK (64u << 10)

struct scrub {
    unsigned char *region; /* one private mapping, never scanned, burned */
    size_t region_len;
    char *text;            /* the key file, NUL-terminated */
    unsigned char *pat[2]; /* 0: the base64, 1: the private bytes */
    size_t len[2], min[2];
    uint32_t *table; /* 1 + window number, by its first 8 bytes */
    size_t mask;
    unsigned char *buf, *tmp;
    int mem;
    size_t cleared;
};

static size_t round_up_pow2(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

/* Maps the region for a key file of size bytes: the text, both patterns,
 * the window table, the read buffers. */
static int scrub_init(struct scrub *sc, size_t size)
{
    size_t nwin = 2 * (size + 1), slots = round_up_pow2(2 * nwin);
    size_t text = size + 1, pat = size + 1, table = slots * sizeof(uint32_t);
    size_t buf = SCRUB_CHUNK + SCRUB_WIN, tmp = size + 1;

    *sc = (struct scrub){.mem = -1};
    sc->region_len = text + 2 * pat + table + buf + tmp + 64;
    void *m =
        mmap(NULL, sc->region_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -errno;
    sc->region = m;
    sc->table = (uint32_t *)(void *)sc->region; /* aligned: first */
    sc->mask = slots - 1;
    sc->text = (char *)sc->region + table;
    sc->pat[0] = (unsigned char *)sc->text + text;
    sc->pat[1] = sc->pat[0] + pat;
    sc->buf = sc->pat[1] + pat;
    sc->tmp = sc->buf + buf;
    return 0;
}

static void scrub_free(struct scrub *sc)
{
    if (sc->region != NULL) {
        explicit_bzero(sc->region, sc->region_len);
        munmap(sc->region, sc->region_len);
    }
    vs_close(sc->mem);
}

/* The base64 of a PEM or OpenSSH key file: what is between its BEGIN and END
 * lines, without whitespace or header lines ("Name: value"). */
static size_t pem_body(const char *text, unsigned char *out)
{
    const char *p = strstr(text, "-----BEGIN "), *end;
    size_t n = 0;

    if (p == NULL || (p = strchr(p, '\n')) == NULL || (end = strstr(++p, "-----END ")) == NULL)
        return 0;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        if (memchr(p, ':', (size_t)(eol - p)) == NULL)
            for (; p < eol; p++)
                if (!isspace((unsigned char)*p))
                    out[n++] = (unsigned char)*p;
        p = eol < end ? eol + 1 : end;
    }
    return n;
}

static size_t base64_decode(const unsigned char *in, size_t n, unsigned char *out)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;

    for (size_t i = 0; i < n && in[i] != '='; i++) {
        const char *d = in[i] != '\0' ? strchr(digits, in[i]) : NULL;
        if (d == NULL)
            continue;
        acc = acc << 6 | (uint32_t)(d - digits);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    explicit_bzero(&acc, sizeof(acc));
    return o;
}

/* The next SSH string of d (n bytes) from *p: its offset and length. */
static bool next_string(const unsigned char *d, size_t n, size_t *p, size_t *off, size_t *len)
{
    if (n - *p < 4)
        return false;
    size_t v = (size_t)d[*p] << 24 | (size_t)d[*p + 1] << 16 | (size_t)d[*p + 2] << 8 | d[*p + 3];
    if (v > n - *p - 4)
        return false;
    *off = *p + 4;
    *len = v;
    *p = *off + v;
    return true;
}

/* The part of a key's decoded bytes that is secret: an OpenSSH key's private
 * section (magic, cipher, KDF and its options, the number of keys, their
 * public keys, then that), or all of a PEM key. */
static void private_part(const unsigned char *d, size_t n, size_t *off, size_t *len)
{
    static const char magic[] = "openssh-key-v1"; /* with its NUL */
    size_t p = sizeof(magic), o, l, keys;

    *off = 0;
    *len = n;
    if (n < p || memcmp(d, magic, p) != 0)
        return;
    for (int i = 0; i < 3; i++)
        if (!next_string(d, n, &p, &o, &l))
            return;
    if (n - p < 4)
        return;
    keys = (size_t)d[p] << 24 | (size_t)d[p + 1] << 16 | (size_t)d[p + 2] << 8 | d[p + 3];
    p += 4;
    for (size_t i = 0; i < keys && i < 64; i++)
        if (!next_string(d, n, &p, &o, &l))
            return;
    if (keys <= 64 && next_string(d, n, &p, &o, &l)) {
        *off = o;
        *len = l;
    }
}

static uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static size_t slot_of(const struct scrub *sc, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & sc->mask;
}

/* Window w: pattern w % 2 (so that both share one numbering), offset w / 2. */
static void table_add(struct scrub *sc, size_t w)
{
    const unsigned char *at = sc->pat[w % 2] + w / 2;
    size_t s = slot_of(sc, load64(at));
    while (sc->table[s] != 0)
        s = (s + 1) & sc->mask;
    sc->table[s] = (uint32_t)(w + 1);
}

/* A window of pattern i at offset k was seen at addr, in the mapping [lo,
 * hi): clears the whole run of the pattern around it if long enough. */
static void clear_run(struct scrub *sc, int i, size_t k, uintptr_t addr, uintptr_t lo, uintptr_t hi)
{
    uintptr_t base = addr - k, from = base > lo ? base : lo;
    uintptr_t to = base + sc->len[i] < hi ? base + sc->len[i] : hi;
    if (base > addr || to <= from)
        return;
    ssize_t n = pread(sc->mem, sc->tmp, to - from, (off_t)from);
    if (n < 0 || (uintptr_t)n < addr + SCRUB_WIN - from)
        return;
    const unsigned char *p = sc->pat[i] + (from - base);
    size_t l = addr - from, r = l;
    while (l > 0 && sc->tmp[l - 1] == p[l - 1])
        l--;
    while (r < (size_t)n && sc->tmp[r] == p[r])
        r++;
    if (r - l < sc->min[i])
        return;
    explicit_bzero(sc->tmp, (size_t)n);
    if (pwrite(sc->mem, sc->tmp, r - l, (off_t)(from + l)) == (ssize_t)(r - l))
        sc->cleared += r - l;
}

static void scan_range(struct scrub *sc, uintptr_t lo, uintptr_t hi)
{
    for (uintptr_t a = lo; a < hi; a += SCRUB_CHUNK) {
        size_t want = hi - a < SCRUB_CHUNK + SCRUB_WIN - 1 ? hi - a : SCRUB_CHUNK + SCRUB_WIN - 1;
        ssize_t n = pread(sc->mem, sc->buf, want, (off_t)a);
        if (n < SCRUB_WIN)
            continue;
        for (size_t i = 0; i + SCRUB_WIN <= (size_t)n; i += 8) {
            uint64_t key = load64(sc->buf + i);
            for (size_t s = slot_of(sc, key); sc->table[s] != 0; s = (s + 1) & sc->mask) {
                size_t w = sc->table[s] - 1;
                const unsigned char *at = sc->pat[w % 2] + w / 2;
                if (load64(at) == key && memcmp(at, sc->buf + i, SCRUB_WIN) == 0)
                    clear_run(sc, (int)(w % 2), w / 2, a + i, lo, hi);
            }
        }
    }
}

/* /proc/self/maps, NUL-terminated (malloc'd), or NULL. */
static char *read_maps(void)
{
    char *maps = NULL;
    size_t len = 0, cap = 0;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

    while (fd >= 0) {
        if (len + 4096 + 1 > cap) {
            char *m = realloc(maps, 2 * cap + 8192);
            if (m == NULL)
                break;
            maps = m;
            cap = 2 * cap + 8192;
        }
        ssize_t got = read(fd, maps + len, cap - len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            free(maps);
            maps = NULL;
        }
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    vs_close(fd);
    if (maps != NULL)
        maps[len] = '\0';
    return maps;
}

/* After sc->text was parsed: clears what libssh left of it (above). */
static void scrub_leftovers(struct scrub *sc, const char *path)
{
    size_t off, len;

    sc->len[0] = pem_body(sc->text, sc->pat[0]);
    sc->min[0] = SCRUB_WIN;
    len = base64_decode(sc->pat[0], sc->len[0], sc->tmp);
    private_part(sc->tmp, len, &off, &len);
    memcpy(sc->pat[1], sc->tmp + off, len);
    sc->len[1] = len;
    sc->min[1] = SCRUB_MIN_RAW;
    if (sc->len[0] < SCRUB_WIN)
        return; /* not a PEM or OpenSSH file: nothing known to look for */
    for (int i = 0; i < 2; i++)
        for (size_t k = 0; k + SCRUB_WIN <= sc->len[i]; k++)
            table_add(sc, 2 * k + (size_t)i);

    char *maps = read_maps();
    sc->mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
    if (maps == NULL || sc->mem < 0) {
        log_verbose("host key %s: cannot read this process's memory (/proc): what libssh left "
                    "of the key's text in freed memory is not cleared",
                    path);
        free(maps);
        return;
    }
    uintptr_t rlo = (uintptr_t)sc->region, rhi = rlo + sc->region_len;
    for (char *line = maps; line != NULL && *line != '\0';) {
        char *next = strchr(line, '\n');
        unsigned long lo, hi;
        char perms[5];
        if (next != NULL)
            *next++ = '\0';
        /* Private writable mappings, but not the sanitizers' shadow
         * (terabytes, never the program's data). */
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && perms[0] == 'r' &&
            perms[1] == 'w' && perms[3] == 'p' && (uint64_t)(hi - lo) <= (UINT64_C(1) << 32)) {
            if (rlo > lo)
                scan_range(sc, lo, rlo < hi ? rlo : hi);
            if (rhi < hi)
                scan_range(sc, rhi > lo ? rhi : lo, hi);
        }
        line = next;
    }
    free(maps);
    log_debug("host key %s: cleared %zu bytes of its text that libssh left in freed memory", path,
              sc->cleared);
}

/* Reads the private key at path into *key.  The file's text is read into
 * memory of ours (never through stdio's buffers), cleared with what libssh
 * left of it once libssh has parsed it: every connection's process, and the
 * built-in SFTP server forked from it without exec, inherit this process's
 * memory, freed parts included.  Returns 0 or a negative errno (logged). */
static int import_key(const char *path, ssh_key *key)
{
    struct stat st;
    struct scrub sc = {.mem = -1};
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return log_error_errno(-errno, "Failed to load host key %s", path);
    int r = check_protected(fd, path, &st); /* logs why */
    if (r < 0) {
        vs_close(fd);
        return r;
    }
    size_t size = (size_t)st.st_size, n = 0;
    r = scrub_init(&sc, size);
    while (r == 0 && n < size) {
        ssize_t got = read(fd, sc.text + n, size - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            r = -errno;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    vs_close(fd);
    if (r == 0) {
        if (ssh_pki_import_privkey_base64(sc.text, NULL, NULL, NULL, key) != SSH_OK)
            r = -EINVAL;
        scrub_leftovers(&sc, path); /* a failed parse leaves copies too */
    }
    scrub_free(&sc);
    if (r < 0)
        return log_error_errno(r, "Failed to load host key %s", path);
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
        int r = import_key(path, &key);
        if (r < 0)
            return r;
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

/* Small helpers shared by vsock-sshd and vsock-proxy (header-only; the
 * ones with a body of their own are in fdutil.h). */
#ifndef VS_UTIL_H
#define VS_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define VS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parses a plain decimal number (no sign, no spaces, no leading "0x") that
 * fits in uint32_t and is at most max. Returns 0 and stores it in *out, or
 * -EINVAL (not a number) / -ERANGE (too large). *out is written only on
 * success. */
static inline int vs_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;

    if (s == NULL || *s == '\0')
        return -EINVAL;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > max)
            return -ERANGE;
    }
    *out = (uint32_t)v;
    return 0;
}

/* close() that keeps errno and accepts -1; returns -1 for "fd = vs_close(fd)". */
static inline int vs_close(int fd)
{
    if (fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return -1;
}

static inline void vs_freep(void *p)
{
    free(*(void **)p);
}

static inline void vs_closep(int *fd)
{
    vs_close(*fd);
}

#define VS_CLEANUP_FREE __attribute__((cleanup(vs_freep)))
#define VS_CLEANUP_CLOSE __attribute__((cleanup(vs_closep)))

/* Takes ownership out of a cleanup variable. */
#define VS_TAKE_FD(fd)                                                                             \
    ({                                                                                             \
        int _t = (fd);                                                                             \
        (fd) = -1;                                                                                 \
        _t;                                                                                        \
    })

#endif

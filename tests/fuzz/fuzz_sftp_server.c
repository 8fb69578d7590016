/* libFuzzer target: the SFTP server end to end.  Each input is a stream of
 * SFTP packets (an INIT first, to get past it, unless the input's first
 * byte says otherwise) served by vs_sftp_serve() in a fresh scratch
 * directory, replies to /dev/null.
 *
 * The sandbox: an input can name any path to remove, rename or overwrite,
 * and fuzzing runs as root in CI.  So before the first input the target
 * hands its corpus and artifact directories to the uid "nobody" owns and
 * becomes that uid (groups, gid, uid: checked), which owns nothing outside
 * the scratch directory; it refuses to run unless it starts as root, since
 * as an ordinary user it would put that user's own files at stake. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sftp_codec.h"
#include "sftp_server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[64];
static int devnull = -1;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_sftp_server: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void remove_scratch(void)
{
    (void)rmdir(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct passwd *pw = getpwnam("nobody");
    if (geteuid() != 0 || pw == NULL) {
        fprintf(stderr, "fuzz_sftp_server: must start as root (it then becomes nobody)\n");
        exit(1);
    }
    /* What libFuzzer writes: corpus directories and the artifact prefix,
     * which it opens after this, from the scratch directory: absolute. */
    for (int i = 1; i < *argc; i++) {
        char *a = (*argv)[i], abs[4096];
        if (strncmp(a, "-artifact_prefix=", 17) == 0) {
            char *slash = strrchr(a, '/');
            if (slash != NULL && slash > a + 17) {
                *slash = '\0';
                if (realpath(a + 17, abs) != NULL) {
                    (void)chown(abs, pw->pw_uid, pw->pw_gid);
                    if (asprintf(&(*argv)[i], "-artifact_prefix=%s/%s", abs, slash + 1) < 0)
                        die("asprintf");
                }
                *slash = '/';
            }
        } else if (a[0] != '-' && realpath(a, abs) != NULL) {
            struct stat st;
            if (stat(abs, &st) == 0 && S_ISDIR(st.st_mode))
                (void)chown(abs, pw->pw_uid, pw->pw_gid);
            (*argv)[i] = strdup(abs);
        }
    }
    /* A coverage build writes its profile at exit, as nobody by then. */
    const char *prof = getenv("LLVM_PROFILE_FILE");
    if (prof != NULL)
        (void)chown(prof, pw->pw_uid, pw->pw_gid);
    snprintf(scratch, sizeof(scratch), "/tmp/vs-sftp-fuzz.XXXXXX");
    if (mkdtemp(scratch) == NULL || chown(scratch, pw->pw_uid, pw->pw_gid) < 0)
        die("scratch directory");
    devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
        die("becoming nobody");
    if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid || setuid(0) == 0)
        die("still privileged");
    if (chdir(scratch) < 0)
        die("chdir");
    atexit(remove_scratch);
    return 0;
}

/* nftw(): empties the scratch directory. */
static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag;
    if (ftw->level > 0)
        remove(path);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t init[] = {0, 0, 0, 5, VS_FXP_INIT, 0, 0, 0, 3};
    int fd = memfd_create("sftp-input", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (size == 0 || data[0] != 0xff) /* 0xff: no INIT, as a hostile client might */
        (void)!write(fd, init, sizeof(init));
    (void)!write(fd, data, size);
    lseek(fd, 0, SEEK_SET);
    (void)vs_sftp_serve(fd, devnull, scratch);
    close(fd);
    /* Every input starts from an empty directory. */
    nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    chmod(scratch, 0700);
    return 0;
}

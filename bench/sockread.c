/* The benchmark's plumbing-floor reader: reads a Unix socket (or stdin) to
 * its end through a 1 MiB buffer, as any efficient consumer would, and
 * prints the byte count.  usage: vs-sockread [SOCKET_PATH] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static char buf[1 << 20];
    int fd = STDIN_FILENO;
    unsigned long long total = 0;

    if (argc > 1) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        if (strlen(argv[1]) >= sizeof(a.sun_path)) {
            fprintf(stderr, "vs-sockread: path too long\n");
            return 1;
        }
        strcpy(a.sun_path, argv[1]);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
            fprintf(stderr, "vs-sockread: %s: %s\n", argv[1], strerror(errno));
            return 1;
        }
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "vs-sockread: read: %s\n", strerror(errno));
            return 1;
        }
        if (n == 0)
            break;
        total += (unsigned long long)n;
    }
    printf("%llu\n", total);
    return 0;
}

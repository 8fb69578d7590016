/* The benchmark's per-connection wrapper: runs argv as a child and stays
 * until every process descended from it is gone, reaping them all as a
 * child subreaper.  A server whose processes do not all wait for their
 * children (OpenSSH's privsep monitor may exit before its session process)
 * would otherwise hand them to init, and their CPU time would be missing
 * from the rusage wait4() reports for this process.  Exits with the
 * child's status.  usage: vs-reap PROGRAM [ARG...] */
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int status, rc = 1;
    pid_t child, pid;

    if (argc < 2) {
        fprintf(stderr, "usage: vs-reap PROGRAM [ARG...]\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        perror("vs-reap: PR_SET_CHILD_SUBREAPER");
        return 1;
    }
    child = fork();
    if (child < 0) {
        perror("vs-reap: fork");
        return 1;
    }
    if (child == 0) {
        execv(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    while ((pid = wait(&status)) > 0 || (pid < 0 && errno == EINTR))
        if (pid == child)
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return rc;
}

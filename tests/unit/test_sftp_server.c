/* The built-in SFTP server, driven packet by packet through a socket pair:
 * what no well-behaved client sends (requests before INIT, oversized and
 * truncated packets, unknown handles, floods of requests never read), plus
 * the file operations' status codes.  The server runs in a forked child in a
 * scratch directory, as it does in a session. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sftp_server.h"

struct peer {
    pid_t pid;
    int fd;
    char dir[64];
    const char *home; /* the session user's home; NULL: dir */
};

static uint8_t pkt[VS_SFTP_MAX_PACKET + 64];
static uint8_t reply[VS_SFTP_MAX_PACKET + 64];
static size_t reply_len;

static void start(struct peer *p)
{
    int sv[2];
    snprintf(p->dir, sizeof(p->dir), "/tmp/vs-sftp-unit.XXXXXX");
    assert_non_null(mkdtemp(p->dir));
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        close(sv[0]);
        if (chdir(p->dir) < 0)
            _exit(99);
        /* exit(), not _exit(): in the sanitizer build LeakSanitizer then
         * checks that the server freed everything it allocated. */
        exit(vs_sftp_serve(sv[1], sv[1], p->home ? p->home : p->dir));
    }
    close(sv[1]);
    p->fd = sv[0];
}

/* Closes our end and returns the server's exit status. */
static int finish(struct peer *p)
{
    int status;
    char cmd[128];
    close(p->fd);
    assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", p->dir);
    assert_int_equal(system(cmd), 0);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void write_all(int fd, const void *b, size_t n)
{
    const uint8_t *c = b;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        assert_true(w > 0);
        c += w;
        n -= (size_t)w;
    }
}

static bool read_all(int fd, void *b, size_t n)
{
    uint8_t *c = b;
    while (n > 0) {
        ssize_t r = read(fd, c, n);
        if (r <= 0)
            return false;
        c += r;
        n -= (size_t)r;
    }
    return true;
}

static uint32_t get32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Reads one reply into reply[] (type byte first); returns its type, or -1
 * at end of stream. */
static int recv_reply(struct peer *p)
{
    uint8_t len[4];
    if (!read_all(p->fd, len, 4))
        return -1;
    reply_len = get32(len);
    assert_true(reply_len >= 1 && reply_len <= sizeof(reply));
    assert_true(read_all(p->fd, reply, reply_len));
    return reply[0];
}

/* Builds a request in pkt: length word, type, id. */
static struct vs_sftp_wr req(uint8_t type, uint32_t id)
{
    struct vs_sftp_wr w = {pkt, 0, sizeof(pkt), false};
    vs_sftp_begin_packet(&w, type);
    vs_sftp_put_u32(&w, id);
    return w;
}

static void send_req(struct peer *p, struct vs_sftp_wr *w)
{
    vs_sftp_end_packet(w, 0);
    assert_false(w->overflow);
    write_all(p->fd, w->buf, w->len);
}

/* Sends a request and expects a STATUS with this id and code. */
static void expect_status(struct peer *p, struct vs_sftp_wr *w, uint32_t id, uint32_t code)
{
    send_req(p, w);
    assert_int_equal(recv_reply(p), VS_FXP_STATUS);
    assert_int_equal(get32(reply + 1), id);
    assert_int_equal(get32(reply + 5), code);
}

static void init(struct peer *p)
{
    struct vs_sftp_wr w = req(VS_FXP_INIT, 3);
    send_req(p, &w);
    assert_int_equal(recv_reply(p), VS_FXP_VERSION);
    assert_int_equal(get32(reply + 1), 3);
}

/* Opens path and returns the handle (VS_SFTP_HANDLE_LEN bytes) in h. */
static void open_file(struct peer *p, const char *path, uint32_t pflags, uint8_t *h)
{
    struct vs_sftp_wr w = req(VS_FXP_OPEN, 100);
    vs_sftp_put_str(&w, path);
    vs_sftp_put_u32(&w, pflags);
    vs_sftp_put_u32(&w, 0);
    send_req(p, &w);
    assert_int_equal(recv_reply(p), VS_FXP_HANDLE);
    assert_int_equal(get32(reply + 5), VS_SFTP_HANDLE_LEN);
    memcpy(h, reply + 9, VS_SFTP_HANDLE_LEN);
}

/* An account whose home directory is empty: "~" is "/" (ASan saw a read
 * before the string, index SIZE_MAX, in expand-path). */
static void test_expand_path_empty_home(void **state)
{
    (void)state;
    struct peer p = {.home = ""};
    start(&p);
    init(&p);
    struct vs_sftp_wr w = req(VS_FXP_EXTENDED, 7);
    vs_sftp_put_str(&w, "expand-path@openssh.com");
    vs_sftp_put_str(&w, "~/tmp");
    send_req(&p, &w);
    assert_int_equal(recv_reply(&p), VS_FXP_NAME);
    assert_int_equal(get32(reply + 1), 7);
    assert_int_equal(get32(reply + 5), 1);
    assert_int_equal(get32(reply + 9), 4);
    assert_memory_equal(reply + 13, "/tmp", 4);
    w = req(VS_FXP_EXTENDED, 8);
    vs_sftp_put_str(&w, "expand-path@openssh.com");
    vs_sftp_put_str(&w, "~");
    send_req(&p, &w);
    assert_int_equal(recv_reply(&p), VS_FXP_NAME);
    assert_int_equal(get32(reply + 9), 1);
    assert_memory_equal(reply + 13, "/", 1);
    assert_int_equal(finish(&p), 0);
}

static void test_version_lists_extensions(void **state)
{
    (void)state;
    struct peer p;
    start(&p);
    init(&p);
    for (unsigned i = 0; i < vs_sftp_n_extensions; i++)
        assert_non_null(memmem(reply, reply_len, vs_sftp_extensions[i].name,
                               strlen(vs_sftp_extensions[i].name)));
    assert_int_equal(finish(&p), 0);
}

static void test_request_before_init(void **state)
{
    (void)state;
    struct peer p;
    start(&p);
    struct vs_sftp_wr w = req(VS_FXP_STAT, 1);
    vs_sftp_put_str(&w, ".");
    send_req(&p, &w);
    assert_int_equal(recv_reply(&p), -1); /* closed without a reply */
    assert_int_equal(finish(&p), 1);
}

static void test_oversized_packet(void **state)
{
    (void)state;
    struct peer p;
    start(&p);
    init(&p);
    /* Announces 1 GiB and sends a little: refused at once, nothing kept. */
    write_all(p.fd, "\x40\0\0\0\x11\0\0\0\1", 9);
    assert_int_equal(recv_reply(&p), -1);
    assert_int_equal(finish(&p), 1);
}

static void test_zero_length_packet(void **state)
{
    (void)state;
    struct peer p;
    start(&p);
    init(&p);
    write_all(p.fd, "\0\0\0\0", 4);
    assert_int_equal(recv_reply(&p), -1);
    assert_int_equal(finish(&p), 1);
}

static void test_truncated_at_eof(void **state)
{
    (void)state;
    struct peer p;
    start(&p);
    init(&p);
    write_all(p.fd, "\0\0\0\x20\x11\0\0", 7); /* a partial packet, then EOF */
    shutdown(p.fd, SHUT_WR);
    assert_int_equal(recv_reply(&p), -1);
    assert_int_equal(finish(&p), 1);
}

static void test_malformed_requests_answered(void **state)
{
    (void)state;
    struct peer p;
    start(&p);
    init(&p);

    /* A string length past the end of the packet. */
    struct vs_sftp_wr w = req(VS_FXP_OPEN, 5);
    vs_sftp_put_u32(&w, 1000);
    vs_sftp_put_bytes(&w, "abc", 3);
    expect_status(&p, &w, 5, VS_FX_BAD_MESSAGE);

    /* An unknown request type. */
    w = req(77, 6);
    expect_status(&p, &w, 6, VS_FX_OP_UNSUPPORTED);

    /* An unknown extension. */
    w = req(VS_FXP_EXTENDED, 7);
    vs_sftp_put_str(&w, "nonsense@example.com");
    expect_status(&p, &w, 7, VS_FX_OP_UNSUPPORTED);

    /* A path with a NUL inside. */
    w = req(VS_FXP_REMOVE, 8);
    vs_sftp_put_u32(&w, 3);
    vs_sftp_put_bytes(&w, "a\0b", 3);
    expect_status(&p, &w, 8, VS_FX_BAD_MESSAGE);

    /* Unknown, wrong-length and stale handles. */
    w = req(VS_FXP_READ, 9);
    vs_sftp_put_u32(&w, VS_SFTP_HANDLE_LEN);
    vs_sftp_put_bytes(&w, "\0\0\0\7\0\0\0\1", VS_SFTP_HANDLE_LEN);
    vs_sftp_put_u64(&w, 0);
    vs_sftp_put_u32(&w, 10);
    expect_status(&p, &w, 9, VS_FX_FAILURE);
    w = req(VS_FXP_CLOSE, 10);
    vs_sftp_put_str(&w, "x");
    expect_status(&p, &w, 10, VS_FX_FAILURE);
    w = req(VS_FXP_CLOSE, 11);
    vs_sftp_put_u32(&w, VS_SFTP_HANDLE_LEN);
    vs_sftp_put_bytes(&w, "\xff\xff\xff\xff\0\0\0\1", VS_SFTP_HANDLE_LEN);
    expect_status(&p, &w, 11, VS_FX_FAILURE);

    uint8_t h[VS_SFTP_HANDLE_LEN];
    open_file(&p, "f", VS_FXF_WRITE | VS_FXF_CREAT, h);
    w = req(VS_FXP_CLOSE, 12);
    vs_sftp_put_u32(&w, VS_SFTP_HANDLE_LEN);
    vs_sftp_put_bytes(&w, h, VS_SFTP_HANDLE_LEN);
    expect_status(&p, &w, 12, VS_FX_OK);
    w = req(VS_FXP_CLOSE, 13); /* the same handle again */
    vs_sftp_put_u32(&w, VS_SFTP_HANDLE_LEN);
    vs_sftp_put_bytes(&w, h, VS_SFTP_HANDLE_LEN);
    expect_status(&p, &w, 13, VS_FX_FAILURE);

    /* A second INIT ends the session. */
    w = req(VS_FXP_INIT, 3);
    send_req(&p, &w);
    assert_int_equal(recv_reply(&p), -1);
    assert_int_equal(finish(&p), 1);
}

static void test_file_round_trip(void **state)
{
    (void)state;
    struct peer p;
    uint8_t h[VS_SFTP_HANDLE_LEN];
    start(&p);
    init(&p);

    open_file(&p, "data", VS_FXF_READ | VS_FXF_WRITE | VS_FXF_CREAT | VS_FXF_EXCL, h);
    struct vs_sftp_wr w = req(VS_FXP_WRITE, 20);
    vs_sftp_put_u32(&w, VS_SFTP_HANDLE_LEN);
    vs_sftp_put_bytes(&w, h, VS_SFTP_HANDLE_LEN);
    vs_sftp_put_u64(&w, 3);
    vs_sftp_put_str(&w, "hello");
    expect_status(&p, &w, 20, VS_FX_OK);

    /* Read past the hole at 0..3 and to the end; then EOF. */
    w = req(VS_FXP_READ, 21);
    vs_sftp_put_u32(&w, VS_SFTP_HANDLE_LEN);
    vs_sftp_put_bytes(&w, h, VS_SFTP_HANDLE_LEN);
    vs_sftp_put_u64(&w, 0);
    vs_sftp_put_u32(&w, 0xffffffff); /* capped to the announced limit */
    send_req(&p, &w);
    assert_int_equal(recv_reply(&p), VS_FXP_DATA);
    assert_int_equal(get32(reply + 5), 8);
    assert_memory_equal(reply + 9, "\0\0\0hello", 8);
    w = req(VS_FXP_READ, 22);
    vs_sftp_put_u32(&w, VS_SFTP_HANDLE_LEN);
    vs_sftp_put_bytes(&w, h, VS_SFTP_HANDLE_LEN);
    vs_sftp_put_u64(&w, 8);
    vs_sftp_put_u32(&w, 100);
    expect_status(&p, &w, 22, VS_FX_EOF);

    /* O_EXCL on an existing file, a missing file, a missing directory. */
    w = req(VS_FXP_OPEN, 23);
    vs_sftp_put_str(&w, "data");
    vs_sftp_put_u32(&w, VS_FXF_WRITE | VS_FXF_CREAT | VS_FXF_EXCL);
    vs_sftp_put_u32(&w, 0);
    expect_status(&p, &w, 23, VS_FX_FAILURE);
    w = req(VS_FXP_OPEN, 24);
    vs_sftp_put_str(&w, "missing");
    vs_sftp_put_u32(&w, VS_FXF_READ);
    vs_sftp_put_u32(&w, 0);
    expect_status(&p, &w, 24, VS_FX_NO_SUCH_FILE);
    w = req(VS_FXP_RMDIR, 25);
    vs_sftp_put_str(&w, "missing");
    expect_status(&p, &w, 25, VS_FX_NO_SUCH_FILE);

    /* RENAME never replaces; posix-rename does. */
    open_file(&p, "other", VS_FXF_WRITE | VS_FXF_CREAT, h);
    w = req(VS_FXP_RENAME, 26);
    vs_sftp_put_str(&w, "other");
    vs_sftp_put_str(&w, "data");
    expect_status(&p, &w, 26, VS_FX_FAILURE);
    w = req(VS_FXP_EXTENDED, 27);
    vs_sftp_put_str(&w, "posix-rename@openssh.com");
    vs_sftp_put_str(&w, "other");
    vs_sftp_put_str(&w, "data");
    expect_status(&p, &w, 27, VS_FX_OK);
    struct stat st;
    char path[128];
    snprintf(path, sizeof(path), "%s/data", p.dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(finish(&p), 0);
}

static void test_handle_limit(void **state)
{
    (void)state;
    struct peer p;
    uint8_t h[VS_SFTP_HANDLE_LEN];
    start(&p);
    init(&p);
    for (unsigned i = 0; i < VS_SFTP_MAX_HANDLES; i++)
        open_file(&p, ".", VS_FXF_READ, h);
    struct vs_sftp_wr w = req(VS_FXP_OPENDIR, 30);
    vs_sftp_put_str(&w, ".");
    expect_status(&p, &w, 30, VS_FX_FAILURE);
    assert_non_null(memmem(reply, reply_len, "Too many open handles", 21));
    assert_int_equal(finish(&p), 0);
}

/* A client that sends requests and never reads replies: the server stops
 * reading once its buffers are full (bounded memory), then answers every
 * request once the client reads. */
static void test_flood_without_reading(void **state)
{
    (void)state;
    struct peer p;
    start(&p);
    init(&p);
    int sz = 64 * 1024;
    setsockopt(p.fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    assert_int_equal(fcntl(p.fd, F_SETFL, O_NONBLOCK), 0);

    /* 4 KiB READs: replies much bigger than requests. */
    uint8_t h[VS_SFTP_HANDLE_LEN];
    assert_int_equal(fcntl(p.fd, F_SETFL, 0), 0);
    open_file(&p, "/dev/zero", VS_FXF_READ, h);
    assert_int_equal(fcntl(p.fd, F_SETFL, O_NONBLOCK), 0);
    unsigned sent = 0;
    for (;;) {
        struct vs_sftp_wr w = req(VS_FXP_READ, 1000 + sent);
        vs_sftp_put_u32(&w, VS_SFTP_HANDLE_LEN);
        vs_sftp_put_bytes(&w, h, VS_SFTP_HANDLE_LEN);
        vs_sftp_put_u64(&w, 0);
        vs_sftp_put_u32(&w, 4096);
        vs_sftp_end_packet(&w, 0);
        struct pollfd pf = {.fd = p.fd, .events = POLLOUT};
        if (poll(&pf, 1, 500) == 0)
            break; /* the server stopped reading */
        ssize_t n = write(p.fd, w.buf, w.len);
        assert_int_equal(n, (ssize_t)w.len); /* small packets go whole */
        sent++;
        assert_true(sent < 100000); /* it must stop long before */
    }
    assert_true(sent > 4);
    assert_int_equal(fcntl(p.fd, F_SETFL, 0), 0);
    for (unsigned i = 0; i < sent; i++) {
        assert_int_equal(recv_reply(&p), VS_FXP_DATA);
        assert_int_equal(get32(reply + 1), 1000 + i);
        assert_int_equal(get32(reply + 5), 4096);
    }
    assert_int_equal(finish(&p), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_path_empty_home),
        cmocka_unit_test(test_version_lists_extensions),
        cmocka_unit_test(test_request_before_init),
        cmocka_unit_test(test_oversized_packet),
        cmocka_unit_test(test_zero_length_packet),
        cmocka_unit_test(test_truncated_at_eof),
        cmocka_unit_test(test_malformed_requests_answered),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_handle_limit),
        cmocka_unit_test(test_flood_without_reading),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

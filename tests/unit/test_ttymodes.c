#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "ttymodes.h"

#define OP(op, v)                                                                                  \
    (op), (uint8_t)((v) >> 24), (uint8_t)((v) >> 16), (uint8_t)((v) >> 8), (uint8_t)(v)

static struct termios base(void)
{
    struct termios t;
    memset(&t, 0, sizeof(t));
    t.c_iflag = ICRNL | IXON;
    t.c_oflag = OPOST | ONLCR;
    t.c_cflag = CS8 | CREAD;
    t.c_lflag = ISIG | ICANON | ECHO;
    t.c_cc[VINTR] = 3;
    return t;
}

static void test_typical(void **state)
{
    (void)state;
    /* What an OpenSSH client sends for a raw-ish terminal. */
    const uint8_t modes[] = {OP(1, 0x7f), OP(53, 0), OP(51, 0),     OP(42, 1),
                             OP(72, 0),   OP(90, 1), OP(129, 9600), 0};
    struct termios t = base();
    assert_int_equal(vs_ttymodes_apply(modes, sizeof(modes), &t), 0);
    assert_int_equal(t.c_cc[VINTR], 0x7f);
    assert_false(t.c_lflag & ECHO);
    assert_false(t.c_lflag & ICANON);
    assert_true(t.c_lflag & ISIG);
    assert_true(t.c_iflag & IUTF8);
    assert_false(t.c_oflag & ONLCR);
    assert_int_equal(t.c_cflag & CSIZE, CS7);
    assert_int_equal(cfgetospeed(&t), B9600);
    const uint8_t ispeed[] = {OP(128, 38400), 0};
    assert_int_equal(vs_ttymodes_apply(ispeed, sizeof(ispeed), &t), 0);
    assert_int_equal(cfgetispeed(&t), B38400);
}

static void test_disabled_char(void **state)
{
    (void)state;
    const uint8_t modes[] = {OP(2, 255), 0};
    struct termios t = base();
    t.c_cc[VQUIT] = 28;
    assert_int_equal(vs_ttymodes_apply(modes, sizeof(modes), &t), 0);
    assert_int_equal(t.c_cc[VQUIT], 0);
}

static void test_end_and_undefined(void **state)
{
    (void)state;
    /* Parsing stops at TTY_OP_END and at opcodes >= 160; trailing bytes are ignored. */
    const uint8_t end[] = {0, OP(53, 0)};
    const uint8_t undefined[] = {200, 1, 2, OP(53, 0)};
    const uint8_t unknown[] = {OP(99, 1), OP(53, 0), 0}; /* 99: unknown, skipped */
    struct termios t = base();
    assert_int_equal(vs_ttymodes_apply(end, sizeof(end), &t), 0);
    assert_true(t.c_lflag & ECHO);
    assert_int_equal(vs_ttymodes_apply(undefined, sizeof(undefined), &t), 0);
    assert_true(t.c_lflag & ECHO);
    assert_int_equal(vs_ttymodes_apply(unknown, sizeof(unknown), &t), 0);
    assert_false(t.c_lflag & ECHO);
    assert_int_equal(vs_ttymodes_apply(NULL, 0, &t), 0);
}

static void test_truncated(void **state)
{
    (void)state;
    const uint8_t truncated[] = {OP(53, 0), 51, 0, 0};
    struct termios t = base();
    struct termios before = t;
    assert_int_equal(vs_ttymodes_apply(truncated, sizeof(truncated), &t), -EINVAL);
    assert_memory_equal(&t, &before, sizeof(t)); /* all or nothing */
    const uint8_t just_op[] = {1};
    assert_int_equal(vs_ttymodes_apply(just_op, sizeof(just_op), &t), -EINVAL);
}

static void test_unknown_speed(void **state)
{
    (void)state;
    const uint8_t modes[] = {OP(128, 12345), 0};
    struct termios t = base();
    cfsetispeed(&t, B9600);
    assert_int_equal(vs_ttymodes_apply(modes, sizeof(modes), &t), 0);
    assert_int_equal(cfgetispeed(&t), B9600);
}

static void test_defaults(void **state)
{
    (void)state;
    struct termios t = base();
    vs_ttymodes_defaults(&t);
    assert_true(t.c_iflag & IUTF8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typical),           cmocka_unit_test(test_disabled_char),
        cmocka_unit_test(test_end_and_undefined), cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_unknown_speed),     cmocka_unit_test(test_defaults)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

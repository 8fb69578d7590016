#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "monitor.h"

/* What the root monitor acts on, from a message's bytes alone: the
 * connection runs as the user, and anything it sends is a claim. */
struct msg_case {
    uint32_t op;
    size_t len; /* bytes as received; 0: the whole message */
    bool with_fd;
    int32_t pid;
    const char *line; /* NULL: 32 bytes of 'x', no NUL */
    bool acts;
};

#define WHOLE 0
#define SIZE sizeof(struct vs_mon_msg)

static void test_msg_table(void **state)
{
    (void)state;
    static const struct msg_case cases[] = {
        /* A record start, the one operation answered: with its answer
         * channel or without. */
        {VS_MON_RECORD_START, WHOLE, true, 5, "pts/3", true},
        {VS_MON_RECORD_START, WHOLE, false, 5, "pts/3", true},
        {VS_MON_RECORD_START, WHOLE, true, 5, "pts/0", true},
        {VS_MON_RECORD_START, WHOLE, true, 5, "pts/4294967295", true},
        /* Exactly its size. */
        {VS_MON_RECORD_START, SIZE - 1, true, 5, "pts/3", false},
        {VS_MON_RECORD_START, SIZE + 1, true, 5, "pts/3", false},
        {VS_MON_RECORD_START, 4, true, 5, "pts/3", false},
        {VS_MON_RECORD_START, 3, true, 5, "pts/3", false},
        {VS_MON_RECORD_START, 1, false, 5, "pts/3", false},
        /* A line that is "pts/N", N plain decimal, and NUL-terminated. */
        {VS_MON_RECORD_START, WHOLE, true, 5, "pts/", false},
        {VS_MON_RECORD_START, WHOLE, true, 5, "pts/x", false},
        {VS_MON_RECORD_START, WHOLE, true, 5, "pts/+1", false},
        {VS_MON_RECORD_START, WHOLE, true, 5, "pts/-1", false},
        {VS_MON_RECORD_START, WHOLE, true, 5, "pts/ 1", false},
        {VS_MON_RECORD_START, WHOLE, true, 5, "pts/1 ", false},
        {VS_MON_RECORD_START, WHOLE, true, 5, "pts/1/../../tty1", false},
        {VS_MON_RECORD_START, WHOLE, true, 5, "../pts/1", false},
        {VS_MON_RECORD_START, WHOLE, true, 5, "tty1", false},
        {VS_MON_RECORD_START, WHOLE, true, 5, "", false},
        {VS_MON_RECORD_START, WHOLE, true, 5, "pts/4294967296", false},
        {VS_MON_RECORD_START, WHOLE, true, 5, NULL, false},
        /* A process. */
        {VS_MON_RECORD_START, WHOLE, true, 0, "pts/3", false},
        {VS_MON_RECORD_START, WHOLE, true, -1, "pts/3", false},
        /* A record end: the same message, never with a descriptor. */
        {VS_MON_RECORD_END, WHOLE, false, 5, "pts/3", true},
        {VS_MON_RECORD_END, WHOLE, true, 5, "pts/3", false},
        {VS_MON_RECORD_END, WHOLE, false, 5, "pts/x", false},
        {VS_MON_RECORD_END, WHOLE, false, 5, NULL, false},
        {VS_MON_RECORD_END, WHOLE, false, 0, "pts/3", false},
        {VS_MON_RECORD_END, SIZE - 1, false, 5, "pts/3", false},
        /* Session processes: a pid, no descriptor; the line is not read. */
        {VS_MON_PROC_START, WHOLE, false, 7, "", true},
        {VS_MON_PROC_START, WHOLE, false, 7, NULL, true},
        {VS_MON_PROC_START, WHOLE, false, 7, "pts/999999", true},
        {VS_MON_PROC_START, WHOLE, true, 7, "", false},
        {VS_MON_PROC_START, WHOLE, false, 0, "", false},
        {VS_MON_PROC_START, WHOLE, false, INT32_MIN, "", false},
        {VS_MON_PROC_START, SIZE + 1, false, 7, "", false},
        {VS_MON_PROC_END, WHOLE, false, 7, "", true},
        {VS_MON_PROC_END, WHOLE, true, 7, "", false},
        {VS_MON_PROC_END, WHOLE, false, -7, "", false},
        {VS_MON_PROC_END, 8, false, 7, "", false},
        /* The check of an entry into a container: a pid, an answer channel
         * (without one it is checked all the same, and nobody waits). */
        {VS_MON_ENTERED, WHOLE, true, 7, "", true},
        {VS_MON_ENTERED, WHOLE, false, 7, "", true},
        {VS_MON_ENTERED, WHOLE, true, 0, "", false},
        {VS_MON_ENTERED, SIZE - 1, true, 7, "", false},
        /* Operations the table does not have. */
        {5, WHOLE, false, 7, "pts/3", false},
        {99, WHOLE, true, 7, "pts/3", false},
        {UINT32_MAX, WHOLE, false, 7, "pts/3", false},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct msg_case *c = &cases[i];
        unsigned char buf[SIZE + 8];
        struct vs_mon_msg msg = {.op = c->op, .pid = c->pid};

        if (c->line != NULL)
            memcpy(msg.line, c->line, strlen(c->line) + 1);
        else
            memset(msg.line, 'x', sizeof(msg.line));
        memset(buf, 0, sizeof(buf));
        memcpy(buf, &msg, sizeof(msg));
        size_t len = c->len == WHOLE ? SIZE : c->len;
        bool acts = vs_monitor_msg_acceptable(buf, len, c->with_fd);
        if (acts != c->acts)
            fail_msg("case %zu (op %u, %zu bytes, %s, pid %d, line %s): %s, expected %s", i,
                     (unsigned)c->op, len, c->with_fd ? "fd" : "no fd", (int)c->pid,
                     c->line != NULL ? c->line : "(unterminated)", acts ? "acts" : "ignores",
                     c->acts ? "acts" : "ignores");
    }
}

/* The wire is fixed: tests/integration/liar.py and a monitor of another
 * build read it the same way. */
static void test_wire_layout(void **state)
{
    (void)state;
    assert_int_equal(sizeof(struct vs_mon_msg), 40);
    assert_int_equal(offsetof(struct vs_mon_msg, pid), 4);
    assert_int_equal(offsetof(struct vs_mon_msg, line), 8);
    assert_int_equal(VS_MON_RECORD_END, 0);
    assert_int_equal(VS_MON_RECORD_START, 1);
    assert_int_equal(VS_MON_PROC_START, 2);
    assert_int_equal(VS_MON_PROC_END, 3);
    assert_int_equal(VS_MON_ENTERED, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_table),
        cmocka_unit_test(test_wire_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

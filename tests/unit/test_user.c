#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "user.h"

/* ChrootDirectory's expansion: %h, %u and %% as OpenSSH has them, and a
 * path that does not fit refused, never cut short. */
struct expand_case {
    const char *spec;
    size_t size; /* of the output buffer; 0: 64 */
    int rc;
    const char *out;
};

static void test_expand_table(void **state)
{
    (void)state;
    struct vs_user u = {.name = "ann", .home = "/home/ann", .shell = "/bin/sh"};
    static const struct expand_case cases[] = {
        {"/srv/jail", 0, 0, "/srv/jail"},
        {"%h", 0, 0, "/home/ann"},
        {"/jail/%u", 0, 0, "/jail/ann"},
        {"%h/%u/%%/x", 0, 0, "/home/ann/ann/%/x"},
        {"/a%", 0, 0, "/a%"},
        {"/a%x%", 0, 0, "/a%x%"},
        {"%%h", 0, 0, "%h"},
        {"", 0, 0, ""},
        /* Exactly full (with its NUL), then one byte over. */
        {"/jail/%u", 10, 0, "/jail/ann"},
        {"/jail/%u", 9, -ENAMETOOLONG, ""},
        {"/jail/xyz", 9, -ENAMETOOLONG, ""},
        {"%h%h%h%h%h%h%h%h", 64, -ENAMETOOLONG, ""},
        {"/", 1, -ENAMETOOLONG, ""},
        {"", 1, 0, ""},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct expand_case *c = &cases[i];
        char out[64];
        int rc = vs_user_expand(&u, c->spec, out, c->size ? c->size : sizeof(out));
        if (rc != c->rc || strcmp(out, c->out) != 0)
            fail_msg("case %zu (%s, %zu bytes): %d \"%s\", expected %d \"%s\"", i, c->spec, c->size,
                     rc, out, c->rc, c->out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* libFuzzer target: the encoded terminal modes of a pty-req (RFC 4254
 * section 8), applied to a termios.  Any bytes: stay inside them, end. */
#include <stdint.h>
#include <termios.h>

#include "ttymodes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct termios t;
    vs_ttymodes_defaults(&t);
    (void)vs_ttymodes_apply(data, size, &t);
    return 0;
}

/* Encoded terminal modes of a "pty-req" (RFC 4254 section 8, RFC 8160). */
#ifndef VS_TTYMODES_H
#define VS_TTYMODES_H

#include <stddef.h>
#include <stdint.h>
#include <termios.h>

/* Applies the encoded modes to *t. Opcodes 1..159 carry a uint32 argument;
 * unknown ones among them are skipped; TTY_OP_END or an opcode of 160 or more
 * ends the list (RFC 4254). Returns 0, or -EINVAL when an argument is
 * truncated, in which case *t is left unchanged. */
int vs_ttymodes_apply(const uint8_t *data, size_t len, struct termios *t);

/* What a new session's terminal gets on top of the kernel's defaults when the
 * client's modes are not available: UTF-8 aware line editing. */
void vs_ttymodes_defaults(struct termios *t);

#endif

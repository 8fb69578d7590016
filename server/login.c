#include "login.h"

#include <stdarg.h>
#include <stdio.h>

#include "fdutil.h"

void vs_login_why(char *why, size_t len, const char *fmt, ...)
{
    char raw[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    vs_printable(why, len, raw);
}

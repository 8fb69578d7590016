#include "pattern.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest single pattern (a configuration line is at most 4096 bytes). */
#define VS_PATTERN_MAX 4096

/* Whether one pattern (no commas) matches one of the names. */
static bool glob_any(const char *pat, const char *const *names, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (fnmatch(pat, names[i], 0) == 0)
            return true;
    return false;
}

bool vs_pattern_match(char *const *lists, unsigned n_lists, const char *const *names, unsigned n)
{
    char pat[VS_PATTERN_MAX];
    bool yes = false;

    for (unsigned l = 0; l < n_lists; l++) {
        for (const char *s = lists[l]; *s != '\0';) {
            size_t len = strcspn(s, ",");
            const char *next = s + len + (s[len] == ',');
            if (len == 0 || len >= sizeof(pat)) { /* empty items are skipped, as strtok does */
                s = next;
                continue;
            }
            memcpy(pat, s, len);
            pat[len] = '\0';
            s = next;
            bool neg = pat[0] == '!';
            if (!glob_any(neg ? pat + 1 : pat, names, n))
                continue;
            if (neg)
                return false; /* a negated match decides, wherever it stands */
            yes = true;
        }
    }
    return yes;
}

/* Splits "host:port", "[v6]:port" or (host optional) "port" into its parts.
 * host is "" when absent. Returns false with *why on a malformed entry. */
bool vs_permit_split(const char *spec, bool host_optional, char *host, size_t hostlen, char *port,
                     size_t portlen, const char **why)
{
    const char *colon, *h = spec, *hend;

    if (spec[0] == '[') {
        hend = strchr(spec, ']');
        if (hend == NULL || hend[1] != ':') {
            *why = "expected [address]:port";
            return false;
        }
        h = spec + 1;
        colon = hend + 1;
    } else {
        colon = strrchr(spec, ':');
        if (colon != NULL && memchr(spec, ':', (size_t)(colon - spec)) != NULL) {
            *why = "write IPv6 addresses in brackets: [address]:port";
            return false;
        }
        hend = colon;
    }
    if (colon == NULL) {
        if (!host_optional) {
            *why = "expected host:port";
            return false;
        }
        h = hend = spec;
        colon = spec - 1;
    }
    size_t hl = (size_t)(hend - h), pl = strlen(colon + 1);
    if (hl >= hostlen || pl >= portlen || pl == 0 || (hl == 0 && !host_optional)) {
        *why = "expected host:port";
        return false;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    memcpy(port, colon + 1, pl + 1);
    return true;
}

static bool port_ok(const char *port)
{
    if (strcmp(port, "*") == 0)
        return true;
    for (const char *p = port; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return strlen(port) <= 5 && atoi(port) <= 65535;
}

bool vs_permit_valid(const char *spec, bool host_optional, const char **why)
{
    char host[256], port[16];
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    if (strcasecmp(spec, "any") == 0 || strcasecmp(spec, "none") == 0)
        return true;
    if (!vs_permit_split(spec, host_optional, host, sizeof(host), port, sizeof(port), why))
        return false;
    if (!port_ok(port)) {
        *why = "the port must be a number from 0 to 65535 or *";
        return false;
    }
    return true;
}

/* The syntax the configuration's patterns and permits share with the
 * decisions made from them (policy.h): one pattern matcher, and the
 * PermitOpen / PermitListen entry syntax.  Pure functions, unit-tested;
 * they know nothing of struct vs_config, so both config.c (to check a
 * value) and policy.c (to decide) use them without needing each other. */
#ifndef VS_PATTERN_H
#define VS_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

/* The one pattern matcher of the configuration (AllowUsers, DenyUsers,
 * AcceptEnv and every Match criterion), OpenSSH's match_pattern_list over a
 * set of names: each of the n_lists strings is a comma-separated list of
 * fnmatch(3) globs, and the lists together are one list.  True when some
 * pattern matches some name and no pattern written "!glob" matches any
 * name (OpenSSH's rule for Match Group): so "* !bob" is everyone but bob,
 * and negated patterns alone match nothing.  Empty items are skipped. */
bool vs_pattern_match(char *const *lists, unsigned n_lists, const char *const *names, unsigned n);

/* True if spec is a valid PermitOpen entry ("host:port", "[v6]:port",
 * "any", "none"; port may be *), or with host_optional a PermitListen entry
 * ("[host:]port"). *why gets a static reason when not. */
bool vs_permit_valid(const char *spec, bool host_optional, const char **why);
/* Splits "host:port", "[v6]:port" or (host optional) "port" into its
 * parts; host is "" when absent.  Returns false with *why on a malformed
 * entry. */
bool vs_permit_split(const char *spec, bool host_optional, char *host, size_t hostlen, char *port,
                     size_t portlen, const char **why);

#endif

/* The configuration is driven by one table of keyword descriptors
 * (keywords[] below): each keyword's name, type, field, default, whether a
 * Match block may set it, and how -T prints it.  Parsing, vs_config_init,
 * vs_config_finish (defaults), vs_config_match (Match values on top of the
 * base), vs_config_dump (-T) and vs_config_free all walk that table, so a
 * keyword is added, made Match-able or given a default in one place.
 *
 * Merging, by type: a scalar or string keyword keeps the first value
 * obtained (command line, then file; in a connection, the first matching
 * Match block, then the global value); a list keyword belongs to the first
 * source that sets it (list_source), within which its lines add up. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pattern.h"
#include "util.h"

/* ---- parsing helpers -------------------------------------------------- */

struct parse_ctx {
    struct vs_config *c;
    enum vs_config_source src;
    char *err;
    size_t errlen;
    const char *origin;
    unsigned lineno;
    unsigned slot; /* the keyword's place in keywords[] (list_source) */
};

/* "FILE line N: msg" for a file, "-o option N: msg" for the command line. */
static void where(const struct parse_ctx *p, char *buf, size_t len, const char *msg)
{
    if (p->src == VS_SRC_CMDLINE)
        snprintf(buf, len, "%s %u: %s", p->origin, p->lineno, msg);
    else
        snprintf(buf, len, "%s line %u: %s", p->origin, p->lineno, msg);
}

static int fail(struct parse_ctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse_ctx *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    where(p, p->err, p->errlen, msg);
    return -EINVAL;
}

/* Splits value into whitespace-separated tokens in place; double quotes
 * group a token. Returns the count, or -EINVAL on an unterminated quote or
 * more than max tokens. */
static int tokenize(char *value, char **tok, int max)
{
    int n = 0;
    char *s = value;

    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '\0')
            return n;
        if (n == max)
            return -E2BIG;
        if (*s == '"') {
            char *end = strchr(++s, '"');
            if (end == NULL)
                return -EINVAL;
            *end = '\0';
            tok[n++] = s;
            s = end + 1;
            continue;
        }
        tok[n++] = s;
        while (*s != '\0' && !isspace((unsigned char)*s))
            s++;
        if (*s != '\0')
            *s++ = '\0';
    }
}

/* Decides whether this source may add to the current list keyword: 1 yes,
 * 0 ignore (an earlier source set it). */
static int list_take(struct parse_ctx *p)
{
    unsigned char *s = &p->c->list_source[p->slot];
    if (*s == VS_SRC_NONE)
        *s = (unsigned char)p->src;
    return *s == p->src;
}

/* ---- keyword descriptors ---------------------------------------------- */

enum kw_type {
    KW_INT,    /* int, -1 unset: a whole number from min to max */
    KW_TIME,   /* int, -1 unset: sshd's time format, in seconds */
    KW_ENUM,   /* int, -1 unset: one of values[], case-insensitive */
    KW_LEVEL,  /* int, -1 unset: a LogLevel (enum vs_log_level) */
    KW_STRING, /* char *, NULL unset: the rest of the line as written */
    KW_LIST,   /* char *[max] and its unsigned count: words, quotes group */
    KW_CUSTOM, /* parse and the hooks below do it all */
};

enum {
    KW_MATCH = 1u << 0,      /* a Match block may set it */
    KW_DUMP_LINES = 1u << 1, /* KW_LIST: -T prints a line per entry */
    KW_DUMP_ANY = 1u << 2,   /* KW_LIST: -T prints "any" for no entries */
};

struct kw_value {
    const char *name;
    int value;
};

struct keyword {
    const char *name; /* as documented; -T prints it in lower case */
    enum kw_type type;
    unsigned flags;
    size_t field;                  /* offsetof(struct vs_config, ...), except KW_CUSTOM */
    size_t count;                  /* KW_LIST: offsetof its count */
    unsigned min, max;             /* KW_INT: the range; KW_LIST: capacity */
    int dflt;                      /* KW_INT, KW_TIME, KW_ENUM, KW_LEVEL: the default */
    const char *const *dflt_list;  /* KW_LIST: default entries, NULL-terminated */
    const struct kw_value *values; /* KW_ENUM: NULL-terminated; -T prints a
                                    * value's first name */
    const char *expected;          /* what an error says is expected */
    const char *note;              /* -T: a comment line after the keyword */
    /* Further checks of a value (of each new entry of a list, once added):
     * 0 or fail(). */
    int (*check)(struct parse_ctx *p, const struct keyword *k, const char *value);
    /* KW_CUSTOM.  Such a keyword is Match-able only with a merge hook. */
    int (*parse)(struct parse_ctx *p, const struct keyword *k, char *value);
    void (*finish)(struct vs_config *c);
    void (*dump)(const struct vs_config *c, FILE *out);
    void (*release)(struct vs_config *c);
    void (*merge)(struct vs_config *out, const struct vs_config *vals);
};

#define FIELD(f) .field = offsetof(struct vs_config, f)
/* A list's capacity is its array's: vs_config_match copies it whole. */
#define LIST(f)                                                                                    \
    FIELD(f), .count = offsetof(struct vs_config, n_##f),                                          \
              .max = VS_ARRAY_SIZE(((struct vs_config *)NULL)->f)

/* A keyword's field in c; const or not as the caller's c is. */
static int *int_field(const struct keyword *k, const struct vs_config *c)
{
    return (int *)((char *)c + k->field);
}

static char **string_field(const struct keyword *k, const struct vs_config *c)
{
    return (char **)((char *)c + k->field);
}

static unsigned *count_field(const struct keyword *k, const struct vs_config *c)
{
    return (unsigned *)((char *)c + k->count);
}

static bool is_scalar(const struct keyword *k)
{
    return k->type == KW_INT || k->type == KW_TIME || k->type == KW_ENUM || k->type == KW_LEVEL;
}

static const struct kw_value yes_no[] = {{"yes", 1}, {"no", 0}, {NULL, 0}};
/* OpenSSH's AllowTcpForwarding values; -T says "yes" for all. */
static const struct kw_value directions[] = {
    {"yes", VS_FWD_ALL},     {"all", VS_FWD_ALL},       {"no", VS_FWD_NONE},
    {"local", VS_FWD_LOCAL}, {"remote", VS_FWD_REMOTE}, {NULL, 0},
};
static const struct kw_value gateway_ports[] = {
    {"yes", VS_GW_YES}, {"no", VS_GW_NO}, {"clientspecified", VS_GW_CLIENTSPECIFIED}, {NULL, 0}};

/* sshd time format: a number with an optional unit (s, m, h), or a sum of
 * them ("1m30s"). 0 means no limit. Capped at one day. */
static int parse_time(const char *s, int *out)
{
    long total = 0;
    if (*s == '\0')
        return -EINVAL;
    while (*s != '\0') {
        long v = 0;
        if (!isdigit((unsigned char)*s))
            return -EINVAL;
        while (isdigit((unsigned char)*s)) {
            v = v * 10 + (*s++ - '0');
            if (v > 86400)
                return -ERANGE;
        }
        switch (tolower((unsigned char)*s)) {
        case '\0':
            break;
        case 's':
            s++;
            break;
        case 'm':
            v *= 60;
            s++;
            break;
        case 'h':
            v *= 3600;
            s++;
            break;
        default:
            return -EINVAL;
        }
        total += v;
        if (total > 86400)
            return -ERANGE;
    }
    *out = (int)total;
    return 0;
}

/* A scalar keyword's value; errors read "Keyword: 'value': expected ...". */
static int parse_scalar(struct parse_ctx *p, const struct keyword *k, const char *value, int *out)
{
    uint32_t u;
    enum vs_log_level l;

    switch (k->type) {
    case KW_INT:
        if (vs_parse_u32(value, k->max, &u) < 0 || u < k->min)
            return fail(p, "%s: '%s': expected a whole number from %u to %u", k->name, value,
                        k->min, k->max);
        *out = (int)u;
        return 0;
    case KW_TIME:
        if (parse_time(value, out) == 0)
            return 0;
        break;
    case KW_ENUM:
        for (const struct kw_value *v = k->values; v->name != NULL; v++)
            if (strcasecmp(value, v->name) == 0) {
                *out = v->value;
                return 0;
            }
        break;
    case KW_LEVEL:
        if (vs_log_level_parse(value, &l) == 0) {
            *out = (int)l;
            return 0;
        }
        break;
    default:
        break;
    }
    return fail(p, "%s: '%s': expected %s", k->name, value, k->expected);
}

/* Words into a list keyword's array, if this source owns the list. */
static int add_list(struct parse_ctx *p, const struct keyword *k, char *value)
{
    char *tok[VS_MAX_PATTERNS];
    char **arr = string_field(k, p->c);
    unsigned *n = count_field(k, p->c), before = *n;
    int words = tokenize(value, tok, VS_MAX_PATTERNS);

    if (words < 0)
        return fail(p, "%s: bad quoting or too many values", k->name);
    if (words == 0)
        return fail(p, "%s: missing argument", k->name);
    if (!list_take(p))
        return 0;
    for (int i = 0; i < words; i++) {
        if (*n >= k->max)
            return fail(p, "%s: too many values (at most %u)", k->name, k->max);
        if ((arr[*n] = strdup(tok[i])) == NULL)
            return -ENOMEM;
        (*n)++;
    }
    for (unsigned i = before; k->check != NULL && i < *n; i++) {
        int r = k->check(p, k, arr[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

/* One line of a keyword: its value checked, and kept unless an earlier
 * value wins. */
static int apply_keyword(struct parse_ctx *p, const struct keyword *k, char *value)
{
    int v = -1, r;

    if (k->type == KW_CUSTOM)
        return k->parse(p, k, value);
    if (k->type == KW_LIST)
        return add_list(p, k, value);
    if (k->check != NULL && (r = k->check(p, k, value)) < 0)
        return r;
    if (k->type == KW_STRING) {
        char **f = string_field(k, p->c);
        if (*f == NULL && (*f = strdup(value)) == NULL)
            return -ENOMEM;
        return 0;
    }
    if ((r = parse_scalar(p, k, value, &v)) < 0)
        return r;
    if (*int_field(k, p->c) < 0)
        *int_field(k, p->c) = v;
    return 0;
}

/* ---- checks beyond a keyword's type ------------------------------------ */

/* AllowUsers, DenyUsers and AcceptEnv take one fnmatch(3) glob per word,
 * as OpenSSH's do: no comma lists, no '!'.  Both are refused rather than
 * read as the pattern-list syntax of Match: a '!' in a deny list would
 * narrow it (DenyUsers * !root would admit root), and neither has ever
 * meant anything here but a literal character no name contains. */
static int check_glob_word(struct parse_ctx *p, const struct keyword *k, const char *value)
{
    if (value[0] == '!' || strchr(value, ',') != NULL)
        return fail(p,
                    "%s: '%s': one pattern per word, without '!' or commas (list the names to "
                    "match; Match blocks take negated lists)",
                    k->name, value);
    return 0;
}

/* User patterns are fnmatch(3) globs on the user name. A "user@host" form
 * would suggest host-based filtering that vsock peers do not have. */
static int check_user_pattern(struct parse_ctx *p, const struct keyword *k, const char *value)
{
    if (strchr(value, '@') != NULL)
        return fail(p, "%s: '%s': user@host patterns are not supported; use AllowPeers", k->name,
                    value);
    return check_glob_word(p, k, value);
}

/* ContainerRuntimes: the runtimes container.c knows, or "none" alone. */
static int check_container_runtime(struct parse_ctx *p, const struct keyword *k, const char *value)
{
    static const char *const known[] = {"nspawn", "podman", "lxc"};
    const struct vs_config *c = p->c;
    bool none = strcmp(value, "none") == 0;
    /* The value is the list's last entry already (checks run once added). */
    for (unsigned i = 0; i + 1 < c->n_container_runtimes; i++)
        if (none || strcmp(c->container_runtimes[i], "none") == 0)
            return fail(p, "%s: 'none' cannot be listed with runtimes", k->name);
    for (size_t i = 0; i < VS_ARRAY_SIZE(known) && !none; i++)
        if (strcmp(value, known[i]) == 0)
            return 0;
    return none ? 0 : fail(p, "%s: '%s': expected nspawn, podman, lxc, or none", k->name, value);
}

/* PermitOpen host:port and PermitListen [host:]port entries, checked here
 * so that a typo is a start-up error, not a silent refusal later. */
static int check_permit(struct parse_ctx *p, const struct keyword *k, const char *value,
                        bool host_optional)
{
    const char *why = NULL;
    if (!vs_permit_valid(value, host_optional, &why))
        return fail(p, "%s: '%s': %s", k->name, value, why);
    return 0;
}

static int check_permit_open(struct parse_ctx *p, const struct keyword *k, const char *value)
{
    return check_permit(p, k, value, false);
}

static int check_permit_listen(struct parse_ctx *p, const struct keyword *k, const char *value)
{
    return check_permit(p, k, value, true);
}

static int check_max_startups(struct parse_ctx *p, const struct keyword *k, const char *value)
{
    (void)k;
    if (strchr(value, ':') != NULL)
        return fail(p,
                    "MaxStartups: '%s': the start:rate:full form is not supported; give "
                    "the hard limit as one number",
                    value);
    return 0;
}

static int check_use_pam(struct parse_ctx *p, const struct keyword *k, const char *value)
{
    (void)k;
#ifndef VS_HAVE_PAM
    if (strcasecmp(value, "yes") == 0)
        return fail(p, "UsePAM yes: this vsock-sshd was built without PAM (libpam0g-dev)");
#else
    (void)p;
    (void)value;
#endif
    return 0;
}

static int check_chroot_directory(struct parse_ctx *p, const struct keyword *k, const char *value)
{
    (void)k;
    if (strcmp(value, "none") != 0 && value[0] != '/' && strncmp(value, "%h", 2) != 0)
        return fail(p,
                    "ChrootDirectory: '%s': expected an absolute path (%%h and %%u "
                    "allowed) or none",
                    value);
    return 0;
}

static int check_pid_file(struct parse_ctx *p, const struct keyword *k, const char *value)
{
    (void)k;
    if (strcasecmp(value, "none") != 0 && value[0] != '/')
        return fail(p, "PidFile: '%s': expected an absolute path or none", value);
    return 0;
}

/* ---- keywords of their own kind: Listen, AllowPeers, Subsystem ---------- */

static int kw_listen(struct parse_ctx *p, const struct keyword *k, char *value)
{
    char *tok[VS_MAX_LISTEN + 1];
    int n = tokenize(value, tok, VS_MAX_LISTEN + 1);

    (void)k;
    if (n <= 0)
        return fail(p, "Listen: missing or bad argument");
    if (!list_take(p))
        return 0;
    for (int i = 0; i < n; i++) {
        const char *why;
        if (p->c->n_listen >= VS_MAX_LISTEN)
            return fail(p, "Listen: too many addresses (at most %d)", VS_MAX_LISTEN);
        if (vs_address_parse(tok[i], &p->c->listen[p->c->n_listen], &why) < 0)
            return fail(p, "Listen: '%s': %s", tok[i], why);
        p->c->n_listen++;
    }
    return 0;
}

static void finish_listen(struct vs_config *c)
{
    if (c->n_listen == 0) {
        c->listen[0] =
            (struct vs_address){.kind = VS_ADDRESS_VSOCK, .cid = VS_VMADDR_CID_ANY, .port = 22};
        c->n_listen = 1;
    }
}

static void dump_listen(const struct vs_config *c, FILE *out)
{
    char buf[160];
    for (unsigned i = 0; i < c->n_listen; i++) {
        vs_address_format(&c->listen[i], buf, sizeof(buf));
        fprintf(out, "listen %s\n", buf);
    }
}

/* One AllowPeers CID entry: CID, host or local, then ":any" to admit any
 * source port.  Returns 0 or -EINVAL. */
static int parse_peer_cid(const char *tok, uint32_t *cid, bool *any_port)
{
    char word[16];
    const char *colon = strchr(tok, ':');
    size_t len = colon ? (size_t)(colon - tok) : strlen(tok);

    if (len >= sizeof(word) || (colon != NULL && strcasecmp(colon + 1, "any") != 0))
        return -EINVAL;
    memcpy(word, tok, len);
    word[len] = '\0';
    *any_port = colon != NULL;
    if (strcasecmp(word, "host") == 0)
        *cid = VS_VMADDR_CID_HOST;
    else if (strcasecmp(word, "local") == 0)
        *cid = VS_VMADDR_CID_LOCAL;
    else if (strcasecmp(word, "any") == 0)
        *cid = VS_VMADDR_CID_ANY;
    else if (vs_parse_u32(word, UINT32_MAX - 1, cid) < 0)
        return -EINVAL;
    return 0;
}

static int kw_allow_peers(struct parse_ctx *p, const struct keyword *kw, char *value)
{
    struct vs_config *c = p->c;
    char *tok[VS_MAX_PEERS + 1];
    int k = tokenize(value, tok, VS_MAX_PEERS + 1);

    (void)kw;
    if (k < 0)
        return fail(p, "AllowPeers: too many values (at most %d)", VS_MAX_PEERS);
    if (k == 0)
        return fail(p, "AllowPeers: missing argument");
    if (!list_take(p))
        return 0;
    for (int i = 0; i < k; i++) {
        uint32_t cid;
        bool any_port;
        if (strncasecmp(tok[i], "unix:", 5) == 0) {
            uint32_t uid;
            if (strcasecmp(tok[i] + 5, "any") == 0) {
                c->allow_unix_any = true;
                continue;
            }
            if (vs_parse_u32(tok[i] + 5, UINT32_MAX - 1, &uid) < 0)
                return fail(p, "AllowPeers: '%s': expected unix:UID (a number) or unix:any",
                            tok[i]);
            if (c->n_allow_unix_uids >= VS_MAX_PEERS)
                return fail(p, "AllowPeers: too many values (at most %d)", VS_MAX_PEERS);
            c->allow_unix_uids[c->n_allow_unix_uids++] = uid;
            continue;
        }
        if (parse_peer_cid(tok[i], &cid, &any_port) < 0)
            return fail(p,
                        "AllowPeers: '%s': expected a CID number, host, local or any, each "
                        "optionally followed by :any (any source port), or unix:UID",
                        tok[i]);
        if (cid == VS_VMADDR_CID_ANY) {
            c->allow_peers_any = true;
            c->allow_peers_any_port |= any_port;
            continue;
        }
        if (c->n_allow_peers >= VS_MAX_PEERS)
            return fail(p, "AllowPeers: too many values (at most %d)", VS_MAX_PEERS);
        c->allow_peers[c->n_allow_peers++] = (struct vs_allow_peer){cid, any_port};
    }
    return 0;
}

static void finish_allow_peers(struct vs_config *c)
{
    if (c->n_allow_peers == 0 && !c->allow_peers_any) {
        c->allow_peers[c->n_allow_peers++] = (struct vs_allow_peer){VS_VMADDR_CID_HOST, false};
        c->allow_peers_default = true;
    }
}

static void dump_allow_peers(const struct vs_config *c, FILE *out)
{
    fprintf(out, "allowpeers");
    if (c->allow_peers_any)
        fprintf(out, " any%s", c->allow_peers_any_port ? ":any" : "");
    for (unsigned i = 0; i < c->n_allow_peers; i++)
        fprintf(out, " %u%s", c->allow_peers[i].cid, c->allow_peers[i].any_port ? ":any" : "");
    if (c->allow_unix_any)
        fprintf(out, " unix:any");
    for (unsigned i = 0; i < c->n_allow_unix_uids; i++)
        fprintf(out, " unix:%u", c->allow_unix_uids[i]);
    fputc('\n', out);
    fprintf(out,
            "# allowpeers: a CID without :any admits only privileged processes of that "
            "peer (a vsock source port <= %u)\n",
            VS_LAST_RESERVED_PORT);
}

static int kw_subsystem(struct parse_ctx *p, const struct keyword *k, char *value)
{
    struct vs_config *c = p->c;
    char *name = value, *cmd = value;

    (void)k;

    while (*cmd != '\0' && !isspace((unsigned char)*cmd))
        cmd++;
    if (*cmd != '\0')
        *cmd++ = '\0';
    while (isspace((unsigned char)*cmd))
        cmd++;
    if (*cmd == '\0')
        return fail(p, "Subsystem: expected a name and a command");
    size_t word = strcspn(cmd, " \t");
    if (cmd[word] != '\0') {
        char first[32];
        snprintf(first, sizeof(first), "%.*s", (int)(word < 31 ? word : 31), cmd);
        if (vs_subsystem_is_internal(first))
            return fail(p, "Subsystem: %s takes no arguments", first);
    }
    for (unsigned i = 0; i < c->n_subsystems; i++) {
        if (strcmp(c->subsystems[i].name, name) == 0)
            return 0; /* first definition wins, as with every other keyword */
    }
    if (c->n_subsystems >= VS_MAX_SUBSYSTEMS)
        return fail(p, "Subsystem: too many subsystems (at most %d)", VS_MAX_SUBSYSTEMS);
    struct vs_subsystem *s = &c->subsystems[c->n_subsystems];
    s->name = strdup(name);
    s->command = strdup(cmd);
    if (s->name == NULL || s->command == NULL) {
        free(s->name);
        free(s->command);
        return -ENOMEM;
    }
    c->n_subsystems++;
    return 0;
}

static void finish_subsystems(struct vs_config *c)
{
    if (vs_config_subsystem(c, "sftp") == NULL && c->n_subsystems < VS_MAX_SUBSYSTEMS) {
        struct vs_subsystem *s = &c->subsystems[c->n_subsystems];
        s->name = strdup("sftp");
        s->command = strdup(VS_SUBSYSTEM_INTERNAL);
        if (s->name != NULL && s->command != NULL) {
            c->n_subsystems++;
        } else {
            free(s->name);
            free(s->command);
            *s = (struct vs_subsystem){NULL, NULL};
        }
    }
}

static void dump_subsystems(const struct vs_config *c, FILE *out)
{
    for (unsigned i = 0; i < c->n_subsystems; i++)
        fprintf(out, "subsystem %s %s\n", c->subsystems[i].name, c->subsystems[i].command);
}

static void release_subsystems(struct vs_config *c)
{
    for (unsigned i = 0; i < c->n_subsystems; i++) {
        free(c->subsystems[i].name);
        free(c->subsystems[i].command);
    }
}

/* ---- the keyword table ------------------------------------------------- */

static const char *const default_hostkeys[] = {VS_DEFAULT_HOSTKEY_PATH, NULL};
static const char *const default_accept_env[] = {"LANG", "LC_*", NULL};
static const char *const default_container_runtimes[] = {"nspawn", "podman", "lxc", NULL};

/* In the order -T prints them.  KW_MATCH: who may log in, and what
 * restricts a user's session. */
static const struct keyword keywords[] = {
    {"Listen", KW_CUSTOM, .parse = kw_listen, .finish = finish_listen, .dump = dump_listen},
    {"HostKey", KW_LIST, KW_DUMP_LINES, LIST(hostkeys), .dflt_list = default_hostkeys},
    {"AllowUsers", KW_LIST, KW_MATCH, LIST(allow_users), .check = check_user_pattern},
    {"DenyUsers", KW_LIST, KW_MATCH, LIST(deny_users), .check = check_user_pattern},
    {"PermitRootLogin", KW_ENUM, KW_MATCH, FIELD(permit_root_login), .dflt = 1, .values = yes_no,
     .expected = "yes or no (there are no passwords or keys to tell apart under null "
                 "authentication)"},
    {"AllowPeers", KW_CUSTOM, .parse = kw_allow_peers, .finish = finish_allow_peers,
     .dump = dump_allow_peers},
    {"AcceptEnv", KW_LIST, 0, LIST(accept_env), .dflt_list = default_accept_env,
     .check = check_glob_word},
    {"Subsystem", KW_CUSTOM, .parse = kw_subsystem, .finish = finish_subsystems,
     .dump = dump_subsystems, .release = release_subsystems},
    {"MaxSessions", KW_INT, 0, FIELD(max_sessions), .max = VS_MAX_SESSIONS_LIMIT, .dflt = 10},
    {"MaxStartups", KW_INT, 0, FIELD(max_startups), .min = 1, .max = VS_MAX_STARTUPS_LIMIT,
     .dflt = 100, .check = check_max_startups},
    {"AllowTcpForwarding", KW_ENUM, KW_MATCH, FIELD(allow_tcp_forwarding), .dflt = VS_FWD_ALL,
     .values = directions, .expected = "yes, all, no, local or remote"},
    {"AllowStreamLocalForwarding", KW_ENUM, 0, FIELD(allow_streamlocal_forwarding),
     .dflt = VS_FWD_ALL, .values = directions, .expected = "yes, all, no, local or remote",
     .note = "allowstreamlocalforwarding has no effect: Unix-socket forwarding is refused "
             "whatever it says (libssh does not pass those requests' arguments to servers)"},
    {"AllowAgentForwarding", KW_ENUM, KW_MATCH, FIELD(allow_agent_forwarding), .dflt = 1,
     .values = yes_no, .expected = "yes or no"},
    {"GatewayPorts", KW_ENUM, KW_MATCH, FIELD(gateway_ports), .dflt = VS_GW_NO,
     .values = gateway_ports, .expected = "yes, no or clientspecified"},
    {"PermitOpen", KW_LIST, KW_MATCH | KW_DUMP_ANY, LIST(permit_open), .check = check_permit_open},
    {"PermitListen", KW_LIST, KW_MATCH | KW_DUMP_ANY, LIST(permit_listen),
     .check = check_permit_listen},
    {"MaxForwards", KW_INT, 0, FIELD(max_forwards), .max = VS_MAX_FORWARDS_LIMIT, .dflt = 16},
    {"MaxForwardChannels", KW_INT, 0, FIELD(max_forward_channels),
     .max = VS_MAX_FORWARD_CHANNELS_LIMIT, .dflt = 64},
    {"ClientAliveInterval", KW_TIME, 0, FIELD(client_alive_interval), .dflt = 0,
     .expected = "a time such as 0, 30 or 1m"},
    {"ClientAliveCountMax", KW_INT, 0, FIELD(client_alive_count_max), .max = 1000, .dflt = 3},
    {"LoginGraceTime", KW_TIME, 0, FIELD(login_grace_time), .dflt = 120,
     .expected = "a time such as 120, 90s or 2m (at most 1 day)"},
    {"LogLevel", KW_LEVEL, 0, FIELD(log_level), .dflt = VS_LOG_INFO,
     .expected = "QUIET, FATAL, ERROR, INFO, VERBOSE, DEBUG, DEBUG1, DEBUG2 or DEBUG3"},
    {"PidFile", KW_STRING, 0, FIELD(pid_file), .check = check_pid_file},
    {"PermitTTY", KW_ENUM, KW_MATCH, FIELD(permit_tty), .dflt = 1, .values = yes_no,
     .expected = "yes or no"},
    {"UsePAM", KW_ENUM, 0, FIELD(use_pam), .dflt = VS_PAM_DEFAULT, .values = yes_no,
     .expected = "yes or no", .check = check_use_pam},
    {"ContainerRuntimes", KW_LIST, 0, LIST(container_runtimes),
     .dflt_list = default_container_runtimes, .check = check_container_runtime},
    {"ForceCommand", KW_STRING, KW_MATCH, FIELD(force_command)},
    {"ChrootDirectory", KW_STRING, KW_MATCH, FIELD(chroot_directory),
     .check = check_chroot_directory},
};

_Static_assert(VS_ARRAY_SIZE(keywords) <= VS_CONFIG_MAX_KEYWORDS,
               "list_source has a slot per keyword");

static const struct keyword *find_keyword(const char *name)
{
    for (size_t i = 0; i < VS_ARRAY_SIZE(keywords); i++)
        if (strcasecmp(name, keywords[i].name) == 0)
            return &keywords[i];
    return NULL;
}

/* ---- what the table drives --------------------------------------------- */

void vs_config_init(struct vs_config *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < VS_ARRAY_SIZE(keywords); i++)
        if (is_scalar(&keywords[i]))
            *int_field(&keywords[i], c) = -1;
}

static void free_strings(char **arr, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free(arr[i]);
}

void vs_config_free(struct vs_config *c)
{
    for (size_t i = 0; i < VS_ARRAY_SIZE(keywords); i++) {
        const struct keyword *k = &keywords[i];
        if (k->type == KW_STRING)
            free(*string_field(k, c));
        else if (k->type == KW_LIST)
            free_strings(string_field(k, c), *count_field(k, c));
        else if (k->release != NULL)
            k->release(c);
    }
    for (unsigned i = 0; i < c->n_matches; i++) {
        struct vs_match *m = &c->matches[i];
        free_strings(m->criteria, VS_MAX_MATCH_CRITERIA);
        free_strings(m->lines, m->n_lines);
    }
    vs_config_init(c);
}

/* A list keyword's default entries, when no source has set it. */
static void finish_list(const struct keyword *k, struct vs_config *c, unsigned slot)
{
    char **arr = string_field(k, c);
    unsigned *n = count_field(k, c);

    if (*n > 0 || c->list_source[slot] != VS_SRC_NONE)
        return;
    for (const char *const *d = k->dflt_list; d != NULL && *d != NULL && *n < k->max; d++)
        if ((arr[*n] = strdup(*d)) != NULL)
            (*n)++;
}

void vs_config_finish(struct vs_config *c)
{
    for (size_t i = 0; i < VS_ARRAY_SIZE(keywords); i++) {
        const struct keyword *k = &keywords[i];
        if (is_scalar(k) && *int_field(k, c) < 0)
            *int_field(k, c) = k->dflt;
        else if (k->type == KW_LIST)
            finish_list(k, c, (unsigned)i);
        else if (k->finish != NULL)
            k->finish(c);
    }
}

static void dump_name(const struct keyword *k, FILE *out)
{
    for (const char *s = k->name; *s != '\0'; s++)
        fputc(tolower((unsigned char)*s), out);
}

static void dump_list(const struct keyword *k, const struct vs_config *c, FILE *out)
{
    char *const *arr = string_field(k, c);
    unsigned n = *count_field(k, c);

    if (n == 0 && (k->flags & KW_DUMP_ANY)) {
        dump_name(k, out);
        fputs(" any\n", out);
    }
    for (unsigned i = 0; i < n; i++) {
        if (i == 0 || (k->flags & KW_DUMP_LINES))
            dump_name(k, out);
        fprintf(out, " %s", arr[i]);
        if (i + 1 == n || (k->flags & KW_DUMP_LINES))
            fputc('\n', out);
    }
}

static void dump_scalar(const struct keyword *k, const struct vs_config *c, FILE *out)
{
    int v = *int_field(k, c);
    const char *name = NULL;

    if (k->type == KW_ENUM)
        for (const struct kw_value *e = k->values; name == NULL && e->name != NULL; e++)
            if (e->value == v)
                name = e->name;
    if (k->type == KW_LEVEL)
        name = vs_log_level_name((enum vs_log_level)v);
    dump_name(k, out);
    if (name != NULL)
        fprintf(out, " %s\n", name);
    else
        fprintf(out, " %d\n", v);
}

void vs_config_dump(const struct vs_config *c, FILE *out)
{
    for (size_t i = 0; i < VS_ARRAY_SIZE(keywords); i++) {
        const struct keyword *k = &keywords[i];
        if (k->type == KW_CUSTOM) {
            k->dump(c, out);
        } else if (k->type == KW_LIST) {
            dump_list(k, c, out);
        } else if (k->type == KW_STRING) {
            const char *s = *string_field(k, c);
            dump_name(k, out);
            fprintf(out, " %s\n", s != NULL ? s : "none");
        } else {
            dump_scalar(k, c, out);
        }
        if (k->note != NULL)
            fprintf(out, "# %s\n", k->note);
    }
}

/* What the matching blocks set (vals) on top of out: each Match-able
 * keyword that vals has a value for.  out borrows vals' strings. */
static void merge_matched(struct vs_config *out, const struct vs_config *vals)
{
    for (size_t i = 0; i < VS_ARRAY_SIZE(keywords); i++) {
        const struct keyword *k = &keywords[i];
        if (!(k->flags & KW_MATCH))
            continue;
        if (is_scalar(k) && *int_field(k, vals) >= 0) {
            *int_field(k, out) = *int_field(k, vals);
        } else if (k->type == KW_STRING && *string_field(k, vals) != NULL) {
            *string_field(k, out) = *string_field(k, vals);
        } else if (k->type == KW_LIST && *count_field(k, vals) > 0) {
            /* A list the blocks set replaces base's. */
            memcpy(string_field(k, out), string_field(k, vals), k->max * sizeof(char *));
            *count_field(k, out) = *count_field(k, vals);
        } else if (k->type == KW_CUSTOM && k->merge != NULL) {
            k->merge(out, vals);
        }
    }
}

/* ---- Match blocks ------------------------------------------------------- */

static unsigned user_names(const struct vs_match_ctx *ctx, const char *const **names)
{
    *names = ctx->users;
    return ctx->n_users;
}

static unsigned container_names(const struct vs_match_ctx *ctx, const char *const **names)
{
    *names = &ctx->container;
    return ctx->container != NULL ? 1 : 0;
}

static unsigned group_names(const struct vs_match_ctx *ctx, const char *const **names)
{
    *names = (const char *const *)ctx->groups;
    return ctx->n_groups;
}

static unsigned peer_names(const struct vs_match_ctx *ctx, const char *const **names)
{
    *names = ctx->peers;
    return ctx->n_peers;
}

/* The Match criteria.  A block's criterion i keeps its patterns, as
 * written, in vs_match.criteria[i]; it holds for a connection when
 * vs_pattern_match() finds them in the names that names() gives of it
 * (filled in by vs_match_ctx_build(), match.c).  A new criterion is an
 * entry here, its names() and the vs_match_ctx field it reads. */
static const struct criterion {
    const char *name;  /* as written after Match */
    const char *what;  /* its argument, in messages */
    bool reads_groups; /* needs the account's groups (vs_config_uses_groups) */
    unsigned (*names)(const struct vs_match_ctx *ctx, const char *const **names);
} criteria[] = {
    {"User", "NAMES", false, user_names},
    {"Group", "NAMES", true, group_names},
    {"Peer", "PEERS", false, peer_names},
    {"Container", "NAMES", false, container_names},
};

_Static_assert(VS_ARRAY_SIZE(criteria) <= VS_MAX_MATCH_CRITERIA,
               "vs_match has a slot per criterion");
/* Their places in criteria[], for the rule in match_applies(). */
enum { CRITERION_GROUP = 1, CRITERION_CONTAINER = 3 };

/* "User, Group, Peer", or with_what "User NAMES, Group NAMES, Peer PEERS". */
static void criteria_list(char *buf, size_t len, bool with_what)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < VS_ARRAY_SIZE(criteria) && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s%s%s", i > 0 ? ", " : "", criteria[i].name,
                         with_what ? " " : "", with_what ? criteria[i].what : "");
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int find_criterion(const char *name)
{
    for (size_t i = 0; i < VS_ARRAY_SIZE(criteria); i++)
        if (strcasecmp(name, criteria[i].name) == 0)
            return (int)i;
    return -1;
}

/* "Match User a,b Group g Peer 2,unix:0" or "Match All". */
static int start_match(struct parse_ctx *p, char *value)
{
    struct vs_config *c = p->c;
    char *tok[2 * VS_MAX_MATCH_CRITERIA];
    char names[256];
    int k = tokenize(value, tok, (int)VS_ARRAY_SIZE(tok));

    if (p->src != VS_SRC_FILE)
        return fail(p, "Match: only in a configuration file");
    criteria_list(names, sizeof(names), false);
    if (k <= 0)
        return fail(p, "Match: missing criteria (%s, All)", names);
    if (c->n_matches >= VS_MAX_MATCH)
        return fail(p, "Match: too many blocks (at most %d)", VS_MAX_MATCH);
    struct vs_match m = {0};
    int r = 0;
    if (k == 1 && strcasecmp(tok[0], "All") == 0)
        goto done;
    if (k % 2 != 0) {
        criteria_list(names, sizeof(names), true);
        r = fail(p, "Match: criteria come in pairs (%s) or All", names);
        goto bad;
    }
    for (int i = 0; i < k; i += 2) {
        int id = find_criterion(tok[i]);
        if (id < 0) {
            r = fail(p, "Match: unknown criterion '%s' (%s or All)", tok[i], names);
            goto bad;
        }
        if (m.criteria[id] != NULL) {
            r = fail(p, "Match: %s given twice", tok[i]);
            goto bad;
        }
        if ((m.criteria[id] = strdup(tok[i + 1])) == NULL) {
            r = -ENOMEM;
            goto bad;
        }
    }
done:
    c->matches[c->n_matches++] = m;
    c->in_match = true;
    return 0;
bad:
    free_strings(m.criteria, VS_MAX_MATCH_CRITERIA);
    return r;
}

/* A line inside a Match block: checked now (so -t reports it), kept for
 * the connections the block matches. */
static int add_match_line(struct parse_ctx *p, const struct keyword *k, const char *line)
{
    struct vs_match *m = &p->c->matches[p->c->n_matches - 1];
    if (!(k->flags & KW_MATCH))
        return fail(p, "%s is not allowed in a Match block", k->name);
    if (m->n_lines >= VS_MAX_MATCH_LINES)
        return fail(p, "Match: too many lines in one block (at most %d)", VS_MAX_MATCH_LINES);
    struct vs_config scratch;
    vs_config_init(&scratch);
    int r = vs_config_apply_line(&scratch, line, VS_SRC_CMDLINE, p->origin, p->lineno, p->err,
                                 p->errlen);
    vs_config_free(&scratch);
    if (r < 0) {
        /* Say "file line N", not "-o option N". */
        char msg[512];
        const char *colon = strstr(p->err, ": ");
        snprintf(msg, sizeof(msg), "%s", colon ? colon + 2 : p->err);
        return fail(p, "%s", msg);
    }
    if ((m->lines[m->n_lines] = strdup(line)) == NULL)
        return -ENOMEM;
    m->lineno[m->n_lines++] = p->lineno;
    return 0;
}

/* Whether the block holds for this connection: every criterion it has. */
static bool match_applies(const struct vs_match *m, const struct vs_match_ctx *ctx)
{
    for (size_t i = 0; i < VS_ARRAY_SIZE(criteria); i++) {
        const char *const *names;
        if (m->criteria[i] == NULL)
            continue;
        unsigned n = criteria[i].names(ctx, &names);
        if (!vs_pattern_match(&m->criteria[i], 1, names, n))
            return false;
    }
    return true;
}

bool vs_config_group_without_container(const struct vs_config *c)
{
    for (unsigned i = 0; i < c->n_matches; i++)
        if (c->matches[i].criteria[CRITERION_GROUP] != NULL &&
            c->matches[i].criteria[CRITERION_CONTAINER] == NULL)
            return true;
    return false;
}

bool vs_config_uses_groups(const struct vs_config *c)
{
    for (unsigned i = 0; i < c->n_matches; i++)
        for (size_t j = 0; j < VS_ARRAY_SIZE(criteria); j++)
            if (criteria[j].reads_groups && c->matches[i].criteria[j] != NULL)
                return true;
    return false;
}

int vs_config_match(const struct vs_config *base, const struct vs_match_ctx *ctx,
                    struct vs_config *out, struct vs_config *scratch)
{
    char err[600];
    int r = 0;

    vs_config_init(scratch);
    for (unsigned i = 0; i < base->n_matches; i++) {
        const struct vs_match *m = &base->matches[i];
        if (!match_applies(m, ctx))
            continue;
        /* Each block a source of its own: a later block never adds to a
         * list an earlier one set. */
        enum vs_config_source src = (enum vs_config_source)(VS_SRC_MATCH + i);
        for (unsigned j = 0; j < m->n_lines; j++)
            if (vs_config_apply_line(scratch, m->lines[j], src, "Match", m->lineno[j], err,
                                     sizeof(err)) < 0)
                r = -EINVAL;
    }
    /* A copy of base with what the blocks set on top; it borrows. */
    *out = *base;
    out->n_matches = 0;
    merge_matched(out, scratch);
    return r;
}

/* OpenSSH sshd keywords about keys and passwords, which people copy from
 * an sshd_config: accepted with a warning, as sshd does for deprecated ones. */
static const char *const auth_keywords[] = {
    "AuthenticationMethods",       "AuthorizedKeysCommand",
    "AuthorizedKeysCommandUser",   "AuthorizedKeysFile",
    "AuthorizedPrincipalsCommand", "AuthorizedPrincipalsCommandUser",
    "AuthorizedPrincipalsFile",    "ChallengeResponseAuthentication",
    "GSSAPIAuthentication",        "HostbasedAcceptedAlgorithms",
    "HostbasedAuthentication",     "KbdInteractiveAuthentication",
    "KerberosAuthentication",      "PasswordAuthentication",
    "PermitEmptyPasswords",        "PubkeyAcceptedAlgorithms",
    "PubkeyAcceptedKeyTypes",      "PubkeyAuthentication",
    "TrustedUserCAKeys",
};

int vs_config_apply_line(struct vs_config *c, const char *line, enum vs_config_source src,
                         const char *origin, unsigned lineno, char *err, size_t errlen)
{
    struct parse_ctx p = {c, src, err, errlen, origin, lineno, 0};
    char buf[VS_CONFIG_MAX_LINE];
    char *s, *kw, *value, *end;

    if (strlen(line) >= sizeof(buf))
        return fail(&p, "line too long (at most %d characters)", VS_CONFIG_MAX_LINE - 1);
    strcpy(buf, line);
    s = buf;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0' || *s == '#')
        return 0;
    /* Trailing white space (including a newline) is not part of the value. */
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';

    kw = s;
    while (*s != '\0' && !isspace((unsigned char)*s) && *s != '=')
        s++;
    if (*s != '\0') {
        bool seen_eq = *s == '=';
        *s++ = '\0';
        while (isspace((unsigned char)*s) || (*s == '=' && !seen_eq)) {
            if (*s == '=')
                seen_eq = true;
            s++;
        }
    }
    value = s;

    if (strcasecmp(kw, "Match") == 0)
        return start_match(&p, value);
    const struct keyword *k = find_keyword(kw);
    if (k != NULL) {
        if (*value == '\0')
            return fail(&p, "%s: missing argument", k->name);
        if (c->in_match && src == VS_SRC_FILE)
            return add_match_line(&p, k, line);
        p.slot = (unsigned)(k - keywords);
        return apply_keyword(&p, k, value);
    }
    for (size_t i = 0; i < VS_ARRAY_SIZE(auth_keywords); i++) {
        if (strcasecmp(kw, auth_keywords[i]) != 0)
            continue;
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "%s has no meaning with null authentication (vsock identifies the peer; "
                 "AllowPeers and AllowUsers decide who logs in): ignored",
                 auth_keywords[i]);
        where(&p, err, errlen, msg);
        return 1;
    }
    char printable[64];
    vs_printable(printable, sizeof(printable), kw);
    return fail(&p, "unknown keyword '%s'", printable);
}

/* Appends one message line to err, within errlen. */
static void append_msg(char *err, size_t errlen, const char *msg)
{
    size_t used = strnlen(err, errlen);
    if (used + 1 < errlen)
        snprintf(err + used, errlen - used, "%s%s", used > 0 ? "\n" : "", msg);
}

int vs_config_load_file(struct vs_config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    char line[VS_CONFIG_MAX_LINE + 2], msg[600];
    unsigned lineno = 0;
    int r = 0;

    err[0] = '\0';
    if (f == NULL) {
        r = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return r;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            snprintf(msg, sizeof(msg), "%s line %u: line too long (at most %d characters)", path,
                     lineno, VS_CONFIG_MAX_LINE - 1);
            append_msg(err, errlen, msg);
            r = -EINVAL;
            /* The rest of the long line is not a line of its own. */
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n')
                ;
            continue;
        }
        int k = vs_config_apply_line(c, line, VS_SRC_FILE, path, lineno, msg, sizeof(msg));
        if (k != 0) {
            if (k > 0) {
                char w[620];
                snprintf(w, sizeof(w), "warning: %s", msg);
                append_msg(err, errlen, w);
            } else {
                append_msg(err, errlen, msg);
                r = -EINVAL;
            }
        }
    }
    if (ferror(f)) {
        r = -EIO;
        append_msg(err, errlen, "read error");
    }
    fclose(f);
    return r;
}

bool vs_subsystem_is_internal(const char *command)
{
    return strcmp(command, VS_SUBSYSTEM_INTERNAL) == 0 || strcmp(command, "internal-sftp") == 0;
}

const char *vs_config_subsystem(const struct vs_config *c, const char *name)
{
    for (unsigned i = 0; i < c->n_subsystems; i++)
        if (strcmp(c->subsystems[i].name, name) == 0)
            return c->subsystems[i].command;
    return NULL;
}

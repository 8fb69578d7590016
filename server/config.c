#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "util.h"

/* ---- listen addresses ------------------------------------------------- */

int vs_listen_parse(const char *s, struct vs_listen_addr *out, const char **why)
{
    struct vs_listen_addr a = {0};
    const char *why_dummy;

    if (why == NULL)
        why = &why_dummy;
    if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "unix/", 5) == 0) {
        /* vsock-proxy's spelling unix/PATH implies the leading '/' (and
         * unix//PATH has it). */
        const char *path = s + 5;
        if (s[4] == '/' && path[0] != '/')
            path = s + 4;
        if (path[0] != '/') {
            *why = "unix socket path must be absolute";
            return -EINVAL;
        }
        if (strlen(path) >= sizeof(a.path)) {
            *why = "unix socket path too long";
            return -EINVAL;
        }
        a.kind = VS_LISTEN_UNIX;
        strcpy(a.path, path);
    } else if (strncmp(s, "vsock:", 6) == 0) {
        const char *rest = s + 6;
        const char *colon = strchr(rest, ':');
        a.kind = VS_LISTEN_VSOCK;
        a.cid = VS_VMADDR_CID_ANY;
        if (colon != NULL) {
            char cid[16];
            size_t n = (size_t)(colon - rest);
            if (n == 0 || n >= sizeof(cid) ||
                (memcpy(cid, rest, n), cid[n] = '\0', vs_parse_u32(cid, UINT32_MAX - 1, &a.cid)) <
                    0) {
                *why = "bad vsock CID";
                return -EINVAL;
            }
            rest = colon + 1;
        }
        /* VMADDR_PORT_ANY (2^32-1) asks the kernel to choose: not useful here. */
        if (vs_parse_u32(rest, UINT32_MAX - 1, &a.port) < 0) {
            *why = "bad vsock port";
            return -EINVAL;
        }
    } else {
        *why = "expected vsock:PORT, vsock:CID:PORT, unix:PATH or unix/PATH";
        return -EINVAL;
    }
    *out = a;
    return 0;
}

void vs_listen_format(const struct vs_listen_addr *a, char *buf, size_t len)
{
    if (a->kind == VS_LISTEN_UNIX)
        snprintf(buf, len, "unix:%s", a->path);
    else if (a->cid == VS_VMADDR_CID_ANY)
        snprintf(buf, len, "vsock:%u", a->port);
    else
        snprintf(buf, len, "vsock:%u:%u", a->cid, a->port);
}

/* ---- keyword handlers ----------------------------------------------- */

struct parse_ctx {
    struct vs_config *c;
    enum vs_config_source src;
    char *err;
    size_t errlen;
    const char *origin;
    unsigned lineno;
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

enum list_id {
    L_LISTEN,
    L_HOSTKEY,
    L_ALLOW_USERS,
    L_DENY_USERS,
    L_ALLOW_PEERS,
    L_ACCEPT_ENV,
    L_PERMIT_OPEN,
    L_PERMIT_LISTEN
};

/* Decides whether this source may add to list id: 1 yes, 0 ignore. */
static int list_take(struct parse_ctx *p, enum list_id id)
{
    unsigned char *s = &p->c->list_source[id];
    if (*s == VS_SRC_NONE)
        *s = (unsigned char)p->src;
    return *s == p->src;
}

static int add_strings(struct parse_ctx *p, enum list_id id, char *value, char **arr, unsigned *n,
                       unsigned max, const char *kw)
{
    char *tok[VS_MAX_PATTERNS];
    int k = tokenize(value, tok, VS_MAX_PATTERNS);

    if (k < 0)
        return fail(p, "%s: bad quoting or too many values", kw);
    if (k == 0)
        return fail(p, "%s: missing argument", kw);
    if (!list_take(p, id))
        return 0;
    for (int i = 0; i < k; i++) {
        if (*n >= max)
            return fail(p, "%s: too many values (at most %u)", kw, max);
        arr[*n] = strdup(tok[i]);
        if (arr[*n] == NULL)
            return -ENOMEM;
        (*n)++;
    }
    return 0;
}

static int kw_listen(struct parse_ctx *p, char *value)
{
    char *tok[VS_MAX_LISTEN + 1];
    int k = tokenize(value, tok, VS_MAX_LISTEN + 1);

    if (k <= 0)
        return fail(p, "Listen: missing or bad argument");
    if (!list_take(p, L_LISTEN))
        return 0;
    for (int i = 0; i < k; i++) {
        const char *why;
        if (p->c->n_listen >= VS_MAX_LISTEN)
            return fail(p, "Listen: too many addresses (at most %d)", VS_MAX_LISTEN);
        if (vs_listen_parse(tok[i], &p->c->listen[p->c->n_listen], &why) < 0)
            return fail(p, "Listen: '%s': %s", tok[i], why);
        p->c->n_listen++;
    }
    return 0;
}

static int kw_hostkey(struct parse_ctx *p, char *value)
{
    struct vs_config *c = p->c;
    return add_strings(p, L_HOSTKEY, value, c->hostkeys, &c->n_hostkeys, VS_MAX_HOSTKEYS,
                       "HostKey");
}

/* User patterns are fnmatch(3) globs on the user name. A "user@host" form
 * would suggest host-based filtering that vsock peers do not have. */
static int check_user_patterns(struct parse_ctx *p, char **arr, unsigned from, unsigned to,
                               const char *kw)
{
    for (unsigned i = from; i < to; i++)
        if (strchr(arr[i], '@') != NULL)
            return fail(p, "%s: '%s': user@host patterns are not supported; use AllowPeers", kw,
                        arr[i]);
    return 0;
}

static int kw_allow_users(struct parse_ctx *p, char *value)
{
    struct vs_config *c = p->c;
    unsigned before = c->n_allow_users;
    int r = add_strings(p, L_ALLOW_USERS, value, c->allow_users, &c->n_allow_users, VS_MAX_PATTERNS,
                        "AllowUsers");
    return r < 0 ? r
                 : check_user_patterns(p, c->allow_users, before, c->n_allow_users, "AllowUsers");
}

static int kw_deny_users(struct parse_ctx *p, char *value)
{
    struct vs_config *c = p->c;
    unsigned before = c->n_deny_users;
    int r = add_strings(p, L_DENY_USERS, value, c->deny_users, &c->n_deny_users, VS_MAX_PATTERNS,
                        "DenyUsers");
    return r < 0 ? r : check_user_patterns(p, c->deny_users, before, c->n_deny_users, "DenyUsers");
}

static int kw_accept_env(struct parse_ctx *p, char *value)
{
    struct vs_config *c = p->c;
    return add_strings(p, L_ACCEPT_ENV, value, c->accept_env, &c->n_accept_env, VS_MAX_PATTERNS,
                       "AcceptEnv");
}

static int parse_yes_no(const char *v)
{
    if (strcasecmp(v, "yes") == 0)
        return 1;
    if (strcasecmp(v, "no") == 0)
        return 0;
    return -EINVAL;
}

static int kw_permit_root_login(struct parse_ctx *p, char *value)
{
    int v = parse_yes_no(value);
    if (v < 0)
        return fail(p,
                    "PermitRootLogin: '%s': expected yes or no (there are no passwords or "
                    "keys to tell apart under null authentication)",
                    value);
    if (p->c->permit_root_login < 0)
        p->c->permit_root_login = v;
    return 0;
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

static int kw_allow_peers(struct parse_ctx *p, char *value)
{
    struct vs_config *c = p->c;
    char *tok[VS_MAX_PEERS + 1];
    int k = tokenize(value, tok, VS_MAX_PEERS + 1);

    if (k < 0)
        return fail(p, "AllowPeers: too many values (at most %d)", VS_MAX_PEERS);
    if (k == 0)
        return fail(p, "AllowPeers: missing argument");
    if (!list_take(p, L_ALLOW_PEERS))
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

static int kw_subsystem(struct parse_ctx *p, char *value)
{
    struct vs_config *c = p->c;
    char *name = value, *cmd = value;

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

static int set_int(struct parse_ctx *p, const char *kw, const char *value, uint32_t min,
                   uint32_t max, int *field)
{
    uint32_t v;
    if (vs_parse_u32(value, max, &v) < 0 || v < min)
        return fail(p, "%s: '%s': expected a whole number from %u to %u", kw, value, min, max);
    if (*field < 0)
        *field = (int)v;
    return 0;
}

static int kw_max_sessions(struct parse_ctx *p, char *value)
{
    return set_int(p, "MaxSessions", value, 0, VS_MAX_SESSIONS_LIMIT, &p->c->max_sessions);
}

static int kw_max_forwards(struct parse_ctx *p, char *value)
{
    return set_int(p, "MaxForwards", value, 0, VS_MAX_FORWARDS_LIMIT, &p->c->max_forwards);
}

static int kw_max_forward_channels(struct parse_ctx *p, char *value)
{
    return set_int(p, "MaxForwardChannels", value, 0, VS_MAX_FORWARD_CHANNELS_LIMIT,
                   &p->c->max_forward_channels);
}

static int kw_client_alive_count_max(struct parse_ctx *p, char *value)
{
    return set_int(p, "ClientAliveCountMax", value, 0, 1000, &p->c->client_alive_count_max);
}

/* yes, all, no, local, remote: OpenSSH's AllowTcpForwarding values. */
static int set_directions(struct parse_ctx *p, const char *kw, const char *value, int *field)
{
    static const struct {
        const char *name;
        int bits;
    } v[] = {{"yes", VS_FWD_ALL},
             {"all", VS_FWD_ALL},
             {"no", VS_FWD_NONE},
             {"local", VS_FWD_LOCAL},
             {"remote", VS_FWD_REMOTE}};
    for (size_t i = 0; i < VS_ARRAY_SIZE(v); i++)
        if (strcasecmp(value, v[i].name) == 0) {
            if (*field < 0)
                *field = v[i].bits;
            return 0;
        }
    return fail(p, "%s: '%s': expected yes, all, no, local or remote", kw, value);
}

static int kw_allow_tcp_forwarding(struct parse_ctx *p, char *value)
{
    return set_directions(p, "AllowTcpForwarding", value, &p->c->allow_tcp_forwarding);
}

static int kw_allow_streamlocal_forwarding(struct parse_ctx *p, char *value)
{
    return set_directions(p, "AllowStreamLocalForwarding", value,
                          &p->c->allow_streamlocal_forwarding);
}

/* A yes/no keyword: the first value wins. */
static int set_yes_no(struct parse_ctx *p, const char *kw, const char *value, int *field)
{
    int v = parse_yes_no(value);
    if (v < 0)
        return fail(p, "%s: '%s': expected yes or no", kw, value);
    if (*field < 0)
        *field = v;
    return 0;
}

static int kw_allow_agent_forwarding(struct parse_ctx *p, char *value)
{
    return set_yes_no(p, "AllowAgentForwarding", value, &p->c->allow_agent_forwarding);
}

static int kw_gateway_ports(struct parse_ctx *p, char *value)
{
    int v = parse_yes_no(value);
    if (v < 0 && strcasecmp(value, "clientspecified") == 0)
        v = VS_GW_CLIENTSPECIFIED;
    if (v < 0)
        return fail(p, "GatewayPorts: '%s': expected yes, no or clientspecified", value);
    if (p->c->gateway_ports < 0)
        p->c->gateway_ports = v;
    return 0;
}

/* PermitOpen host:port and PermitListen [host:]port entries, checked here
 * so that a typo is a start-up error, not a silent refusal later. */
static int check_permits(struct parse_ctx *p, const char *kw, char **arr, unsigned from,
                         unsigned to, bool host_optional)
{
    for (unsigned i = from; i < to; i++) {
        const char *why = NULL;
        if (!vs_permit_valid(arr[i], host_optional, &why))
            return fail(p, "%s: '%s': %s", kw, arr[i], why);
    }
    return 0;
}

static int kw_permit_open(struct parse_ctx *p, char *value)
{
    struct vs_config *c = p->c;
    unsigned before = c->n_permit_open;
    int r = add_strings(p, L_PERMIT_OPEN, value, c->permit_open, &c->n_permit_open, VS_MAX_PERMITS,
                        "PermitOpen");
    return r < 0 ? r
                 : check_permits(p, "PermitOpen", c->permit_open, before, c->n_permit_open, false);
}

static int kw_permit_listen(struct parse_ctx *p, char *value)
{
    struct vs_config *c = p->c;
    unsigned before = c->n_permit_listen;
    int r = add_strings(p, L_PERMIT_LISTEN, value, c->permit_listen, &c->n_permit_listen,
                        VS_MAX_PERMITS, "PermitListen");
    return r < 0 ? r
                 : check_permits(p, "PermitListen", c->permit_listen, before, c->n_permit_listen,
                                 true);
}

static int kw_max_startups(struct parse_ctx *p, char *value)
{
    if (strchr(value, ':') != NULL)
        return fail(p,
                    "MaxStartups: '%s': the start:rate:full form is not supported; give "
                    "the hard limit as one number",
                    value);
    return set_int(p, "MaxStartups", value, 1, VS_MAX_STARTUPS_LIMIT, &p->c->max_startups);
}

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

static int kw_login_grace_time(struct parse_ctx *p, char *value)
{
    int v;
    if (parse_time(value, &v) < 0)
        return fail(p,
                    "LoginGraceTime: '%s': expected a time such as 120, 90s or 2m (at most "
                    "1 day)",
                    value);
    if (p->c->login_grace_time < 0)
        p->c->login_grace_time = v;
    return 0;
}

static int kw_client_alive_interval(struct parse_ctx *p, char *value)
{
    int v;
    if (parse_time(value, &v) < 0)
        return fail(p, "ClientAliveInterval: '%s': expected a time such as 0, 30 or 1m", value);
    if (p->c->client_alive_interval < 0)
        p->c->client_alive_interval = v;
    return 0;
}

static int kw_log_level(struct parse_ctx *p, char *value)
{
    enum vs_log_level l;
    if (vs_log_level_parse(value, &l) < 0)
        return fail(p,
                    "LogLevel: '%s': expected QUIET, FATAL, ERROR, INFO, VERBOSE, DEBUG, "
                    "DEBUG1, DEBUG2 or DEBUG3",
                    value);
    if (p->c->log_level < 0)
        p->c->log_level = (int)l;
    return 0;
}

static int set_string(struct parse_ctx *p, char **field, const char *value)
{
    if (*field == NULL && (*field = strdup(value)) == NULL)
        return -ENOMEM;
    (void)p;
    return 0;
}

static int kw_force_command(struct parse_ctx *p, char *value)
{
    return set_string(p, &p->c->force_command, value);
}

static int kw_permit_tty(struct parse_ctx *p, char *value)
{
    return set_yes_no(p, "PermitTTY", value, &p->c->permit_tty);
}

static int kw_use_pam(struct parse_ctx *p, char *value)
{
#ifndef VS_HAVE_PAM
    if (parse_yes_no(value) == 1)
        return fail(p, "UsePAM yes: this vsock-sshd was built without PAM (libpam0g-dev)");
#endif
    return set_yes_no(p, "UsePAM", value, &p->c->use_pam);
}

static int kw_chroot_directory(struct parse_ctx *p, char *value)
{
    if (strcmp(value, "none") != 0 && value[0] != '/' && strncmp(value, "%h", 2) != 0)
        return fail(p,
                    "ChrootDirectory: '%s': expected an absolute path (%%h and %%u "
                    "allowed) or none",
                    value);
    return set_string(p, &p->c->chroot_directory, value);
}

static int kw_pid_file(struct parse_ctx *p, char *value)
{
    if (strcasecmp(value, "none") != 0 && value[0] != '/')
        return fail(p, "PidFile: '%s': expected an absolute path or none", value);
    if (p->c->pid_file == NULL) {
        p->c->pid_file = strdup(value);
        if (p->c->pid_file == NULL)
            return -ENOMEM;
    }
    return 0;
}

static const struct keyword {
    const char *name;
    int (*handler)(struct parse_ctx *p, char *value);
} keywords[] = {
    {"AcceptEnv", kw_accept_env},
    {"AllowAgentForwarding", kw_allow_agent_forwarding},
    {"AllowPeers", kw_allow_peers},
    {"AllowStreamLocalForwarding", kw_allow_streamlocal_forwarding},
    {"AllowTcpForwarding", kw_allow_tcp_forwarding},
    {"AllowUsers", kw_allow_users},
    {"ChrootDirectory", kw_chroot_directory},
    {"ClientAliveCountMax", kw_client_alive_count_max},
    {"ClientAliveInterval", kw_client_alive_interval},
    {"DenyUsers", kw_deny_users},
    {"ForceCommand", kw_force_command},
    {"GatewayPorts", kw_gateway_ports},
    {"HostKey", kw_hostkey},
    {"Listen", kw_listen},
    {"LogLevel", kw_log_level},
    {"LoginGraceTime", kw_login_grace_time},
    {"MaxForwardChannels", kw_max_forward_channels},
    {"MaxForwards", kw_max_forwards},
    {"MaxSessions", kw_max_sessions},
    {"MaxStartups", kw_max_startups},
    {"PermitListen", kw_permit_listen},
    {"PermitOpen", kw_permit_open},
    {"PermitRootLogin", kw_permit_root_login},
    {"PermitTTY", kw_permit_tty},
    {"PidFile", kw_pid_file},
    {"Subsystem", kw_subsystem},
    {"UsePAM", kw_use_pam},
};

/* ---- public API ------------------------------------------------------ */

void vs_config_init(struct vs_config *c)
{
    memset(c, 0, sizeof(*c));
    c->permit_root_login = -1;
    c->max_sessions = -1;
    c->allow_tcp_forwarding = -1;
    c->allow_streamlocal_forwarding = -1;
    c->allow_agent_forwarding = -1;
    c->gateway_ports = -1;
    c->max_forwards = -1;
    c->max_forward_channels = -1;
    c->client_alive_interval = -1;
    c->client_alive_count_max = -1;
    c->max_startups = -1;
    c->login_grace_time = -1;
    c->log_level = -1;
    c->permit_tty = -1;
    c->use_pam = -1;
}

static void free_strings(char **arr, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free(arr[i]);
}

void vs_config_free(struct vs_config *c)
{
    free_strings(c->hostkeys, c->n_hostkeys);
    free_strings(c->allow_users, c->n_allow_users);
    free_strings(c->deny_users, c->n_deny_users);
    free_strings(c->accept_env, c->n_accept_env);
    free_strings(c->permit_open, c->n_permit_open);
    free_strings(c->permit_listen, c->n_permit_listen);
    for (unsigned i = 0; i < c->n_subsystems; i++) {
        free(c->subsystems[i].name);
        free(c->subsystems[i].command);
    }
    free(c->pid_file);
    free(c->force_command);
    free(c->chroot_directory);
    for (unsigned i = 0; i < c->n_matches; i++) {
        struct vs_match *m = &c->matches[i];
        free(m->users);
        free(m->groups);
        free(m->peers);
        free_strings(m->lines, m->n_lines);
    }
    vs_config_init(c);
}

/* ---- Match blocks ------------------------------------------------------- */

/* Keywords a Match block may set: who may log in, and what restricts a
 * user's session. */
static const char *const match_keywords[] = {
    "AllowAgentForwarding", "AllowTcpForwarding", "AllowUsers",
    "ChrootDirectory",      "DenyUsers",          "ForceCommand",
    "GatewayPorts",         "PermitListen",       "PermitOpen",
    "PermitRootLogin",      "PermitTTY",
};

/* "Match User a,b Group g Peer 2,unix:0" or "Match All". */
static int start_match(struct parse_ctx *p, char *value)
{
    struct vs_config *c = p->c;
    char *tok[16];
    int k = tokenize(value, tok, 16);

    if (p->src != VS_SRC_FILE)
        return fail(p, "Match: only in a configuration file");
    if (k <= 0)
        return fail(p, "Match: missing criteria (User, Group, Peer, All)");
    if (c->n_matches >= VS_MAX_MATCH)
        return fail(p, "Match: too many blocks (at most %d)", VS_MAX_MATCH);
    struct vs_match m = {0};
    int r = 0;
    if (k == 1 && strcasecmp(tok[0], "All") == 0)
        goto done;
    if (k % 2 != 0) {
        r = fail(p, "Match: criteria come in pairs (User NAMES, Group NAMES, Peer PEERS) or All");
        goto bad;
    }
    for (int i = 0; i < k; i += 2) {
        char **field = strcasecmp(tok[i], "User") == 0    ? &m.users
                       : strcasecmp(tok[i], "Group") == 0 ? &m.groups
                       : strcasecmp(tok[i], "Peer") == 0  ? &m.peers
                                                          : NULL;
        if (field == NULL) {
            r = fail(p, "Match: unknown criterion '%s' (User, Group, Peer or All)", tok[i]);
            goto bad;
        }
        if (*field != NULL) {
            r = fail(p, "Match: %s given twice", tok[i]);
            goto bad;
        }
        if ((*field = strdup(tok[i + 1])) == NULL) {
            r = -ENOMEM;
            goto bad;
        }
    }
done:
    c->matches[c->n_matches++] = m;
    c->in_match = true;
    return 0;
bad:
    free(m.users);
    free(m.groups);
    free(m.peers);
    return r;
}

/* A line inside a Match block: checked now (so -t reports it), kept for
 * the connections the block matches. */
static int add_match_line(struct parse_ctx *p, const char *kw, const char *line)
{
    struct vs_match *m = &p->c->matches[p->c->n_matches - 1];
    bool allowed = false;
    for (size_t i = 0; i < VS_ARRAY_SIZE(match_keywords); i++)
        allowed |= strcasecmp(kw, match_keywords[i]) == 0;
    if (!allowed)
        return fail(p, "%s is not allowed in a Match block", kw);
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

int vs_pattern_list_match(const char *list, const char *const *names, unsigned n)
{
    char copy[VS_CONFIG_MAX_LINE], *save;
    int yes = 0;
    snprintf(copy, sizeof(copy), "%s", list);
    for (char *pat = strtok_r(copy, ",", &save); pat != NULL; pat = strtok_r(NULL, ",", &save)) {
        bool neg = pat[0] == '!';
        for (unsigned i = 0; i < n; i++) {
            if (fnmatch(neg ? pat + 1 : pat, names[i], 0) != 0)
                continue;
            if (neg)
                return 0;
            yes = 1;
        }
    }
    return yes;
}

static bool match_applies(const struct vs_match *m, const struct vs_match_ctx *ctx)
{
    if (m->users != NULL && !vs_pattern_list_match(m->users, &ctx->user, 1))
        return false;
    if (m->peers != NULL && !vs_pattern_list_match(m->peers, ctx->peers, ctx->n_peers))
        return false;
    if (m->groups != NULL &&
        !vs_pattern_list_match(m->groups, (const char *const *)ctx->groups, ctx->n_groups))
        return false;
    return true;
}

bool vs_config_uses_groups(const struct vs_config *c)
{
    for (unsigned i = 0; i < c->n_matches; i++)
        if (c->matches[i].groups != NULL)
            return true;
    return false;
}

/* A list the blocks set replaces base's. */
#define TAKE_LIST(out, scratch, field, n_field)                                                    \
    do {                                                                                           \
        if ((scratch)->n_field > 0) {                                                              \
            memcpy((out)->field, (scratch)->field, sizeof((out)->field));                          \
            (out)->n_field = (scratch)->n_field;                                                   \
        }                                                                                          \
    } while (0)

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
    if (scratch->force_command != NULL)
        out->force_command = scratch->force_command;
    if (scratch->chroot_directory != NULL)
        out->chroot_directory = scratch->chroot_directory;
    if (scratch->permit_tty >= 0)
        out->permit_tty = scratch->permit_tty;
    if (scratch->permit_root_login >= 0)
        out->permit_root_login = scratch->permit_root_login;
    if (scratch->allow_tcp_forwarding >= 0)
        out->allow_tcp_forwarding = scratch->allow_tcp_forwarding;
    if (scratch->allow_agent_forwarding >= 0)
        out->allow_agent_forwarding = scratch->allow_agent_forwarding;
    if (scratch->gateway_ports >= 0)
        out->gateway_ports = scratch->gateway_ports;
    TAKE_LIST(out, scratch, permit_open, n_permit_open);
    TAKE_LIST(out, scratch, permit_listen, n_permit_listen);
    TAKE_LIST(out, scratch, allow_users, n_allow_users);
    TAKE_LIST(out, scratch, deny_users, n_deny_users);
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
    struct parse_ctx p = {c, src, err, errlen, origin, lineno};
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
    for (size_t i = 0; i < VS_ARRAY_SIZE(keywords); i++) {
        if (strcasecmp(kw, keywords[i].name) != 0)
            continue;
        if (*value == '\0')
            return fail(&p, "%s: missing argument", keywords[i].name);
        if (c->in_match && src == VS_SRC_FILE)
            return add_match_line(&p, keywords[i].name, line);
        return keywords[i].handler(&p, value);
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

void vs_config_finish(struct vs_config *c)
{
    if (c->permit_tty < 0)
        c->permit_tty = 1;
    if (c->use_pam < 0)
        c->use_pam = VS_PAM_DEFAULT;
    if (c->n_listen == 0) {
        c->listen[0] =
            (struct vs_listen_addr){.kind = VS_LISTEN_VSOCK, .cid = VS_VMADDR_CID_ANY, .port = 22};
        c->n_listen = 1;
    }
    if (c->n_hostkeys == 0)
        c->hostkeys[c->n_hostkeys++] = strdup(VS_DEFAULT_HOSTKEY_PATH);
    if (c->permit_root_login < 0)
        c->permit_root_login = 1;
    if (c->n_allow_peers == 0 && !c->allow_peers_any) {
        c->allow_peers[c->n_allow_peers++] = (struct vs_allow_peer){VS_VMADDR_CID_HOST, false};
        c->allow_peers_default = true;
    }
    if (c->n_accept_env == 0 && c->list_source[L_ACCEPT_ENV] == VS_SRC_NONE) {
        c->accept_env[c->n_accept_env++] = strdup("LANG");
        c->accept_env[c->n_accept_env++] = strdup("LC_*");
    }
    if (c->max_sessions < 0)
        c->max_sessions = 10;
    if (c->max_startups < 0)
        c->max_startups = 100;
    if (c->allow_tcp_forwarding < 0)
        c->allow_tcp_forwarding = VS_FWD_ALL;
    if (c->allow_streamlocal_forwarding < 0)
        c->allow_streamlocal_forwarding = VS_FWD_ALL;
    if (c->allow_agent_forwarding < 0)
        c->allow_agent_forwarding = 1;
    if (c->gateway_ports < 0)
        c->gateway_ports = VS_GW_NO;
    if (c->max_forwards < 0)
        c->max_forwards = 16;
    if (c->max_forward_channels < 0)
        c->max_forward_channels = 64;
    if (c->client_alive_interval < 0)
        c->client_alive_interval = 0;
    if (c->client_alive_count_max < 0)
        c->client_alive_count_max = 3;
    if (c->login_grace_time < 0)
        c->login_grace_time = 120;
    if (c->log_level < 0)
        c->log_level = VS_LOG_INFO;
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

static const char *directions_name(int bits)
{
    static const char *const names[] = {"no", "local", "remote", "yes"};
    return names[bits & VS_FWD_ALL];
}

static void dump_list(FILE *out, const char *kw, char *const *arr, unsigned n)
{
    if (n == 0)
        return;
    fprintf(out, "%s", kw);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, " %s", arr[i]);
    fputc('\n', out);
}

void vs_config_dump(const struct vs_config *c, FILE *out)
{
    char buf[160];

    for (unsigned i = 0; i < c->n_listen; i++) {
        vs_listen_format(&c->listen[i], buf, sizeof(buf));
        fprintf(out, "listen %s\n", buf);
    }
    for (unsigned i = 0; i < c->n_hostkeys; i++)
        fprintf(out, "hostkey %s\n", c->hostkeys[i]);
    dump_list(out, "allowusers", c->allow_users, c->n_allow_users);
    dump_list(out, "denyusers", c->deny_users, c->n_deny_users);
    fprintf(out, "permitrootlogin %s\n", c->permit_root_login ? "yes" : "no");
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
    dump_list(out, "acceptenv", c->accept_env, c->n_accept_env);
    for (unsigned i = 0; i < c->n_subsystems; i++)
        fprintf(out, "subsystem %s %s\n", c->subsystems[i].name, c->subsystems[i].command);
    fprintf(out, "maxsessions %d\n", c->max_sessions);
    fprintf(out, "maxstartups %d\n", c->max_startups);
    fprintf(out, "allowtcpforwarding %s\n", directions_name(c->allow_tcp_forwarding));
    fprintf(out, "allowstreamlocalforwarding %s\n",
            directions_name(c->allow_streamlocal_forwarding));
    fprintf(out, "# allowstreamlocalforwarding has no effect: Unix-socket forwarding is refused "
                 "whatever it says (libssh does not pass those requests' arguments to servers)\n");
    fprintf(out, "allowagentforwarding %s\n", c->allow_agent_forwarding ? "yes" : "no");
    fprintf(out, "gatewayports %s\n",
            c->gateway_ports == VS_GW_YES               ? "yes"
            : c->gateway_ports == VS_GW_CLIENTSPECIFIED ? "clientspecified"
                                                        : "no");
    if (c->n_permit_open == 0)
        fprintf(out, "permitopen any\n");
    dump_list(out, "permitopen", c->permit_open, c->n_permit_open);
    if (c->n_permit_listen == 0)
        fprintf(out, "permitlisten any\n");
    dump_list(out, "permitlisten", c->permit_listen, c->n_permit_listen);
    fprintf(out, "maxforwards %d\n", c->max_forwards);
    fprintf(out, "maxforwardchannels %d\n", c->max_forward_channels);
    fprintf(out, "clientaliveinterval %d\n", c->client_alive_interval);
    fprintf(out, "clientalivecountmax %d\n", c->client_alive_count_max);
    fprintf(out, "logingracetime %d\n", c->login_grace_time);
    fprintf(out, "loglevel %s\n", vs_log_level_name((enum vs_log_level)c->log_level));
    fprintf(out, "pidfile %s\n", c->pid_file ? c->pid_file : "none");
    fprintf(out, "permittty %s\n", c->permit_tty ? "yes" : "no");
    fprintf(out, "usepam %s\n", c->use_pam ? "yes" : "no");
    fprintf(out, "forcecommand %s\n", c->force_command ? c->force_command : "none");
    fprintf(out, "chrootdirectory %s\n", c->chroot_directory ? c->chroot_directory : "none");
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

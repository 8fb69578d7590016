#include "names.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

/* Largest names file or domain definition read. */
#define MAX_FILE (1024 * 1024)

int vp_names_file_lookup(FILE *f, const char *origin, const char *name, struct vp_target *out,
                         char *why, size_t whylen)
{
    char line[512];
    unsigned lineno = 0;
    int found = 0;

    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            snprintf(why, whylen, "%s line %u: line too long", origin, lineno);
            return -EINVAL;
        }
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *save, *n = strtok_r(line, " \t\r\n", &save);
        if (n == NULL)
            continue;
        char *target = strtok_r(NULL, " \t\r\n", &save);
        char *port = target ? strtok_r(NULL, " \t\r\n", &save) : NULL;
        if (target == NULL || (port && strtok_r(NULL, " \t\r\n", &save) != NULL)) {
            snprintf(why, whylen, "%s line %u: expected \"NAME TARGET [PORT]\"", origin, lineno);
            return -EINVAL;
        }
        if (!vp_name_valid(n)) {
            snprintf(why, whylen, "%s line %u: '%.64s' is not a VM name", origin, lineno, n);
            return -EINVAL;
        }
        struct vp_target t;
        const char *twhy;
        if (vp_target_parse(target, NULL, &t, &twhy) < 0) {
            snprintf(why, whylen, "%s line %u: '%.64s': %s", origin, lineno, target, twhy);
            return -EINVAL;
        }
        if (t.kind == VP_TARGET_NAME) {
            snprintf(why, whylen,
                     "%s line %u: '%.64s' is a name; expected a CID, unix/PATH or vsock-mux/PATH",
                     origin, lineno, target);
            return -EINVAL;
        }
        t.port = 0;
        if (port != NULL && (vs_parse_u32(port, UINT32_MAX - 1, &t.port) < 0 || t.port == 0)) {
            snprintf(why, whylen, "%s line %u: '%.32s' is not a port", origin, lineno, port);
            return -EINVAL;
        }
        /* The first entry wins, but the rest of the file is still checked:
         * a typo further down should not wait for the day it matters. */
        if (!found && strcmp(n, name) == 0) {
            *out = t;
            found = 1;
        }
    }
    return found;
}

/* ---- libvirt domain XML --------------------------------------------------- */

/* Copies the value of attribute attr of the tag starting at tag (just after
 * "<name") into out.  Returns true if present. */
static bool attribute(const char *tag, const char *end, const char *attr, char *out, size_t len)
{
    size_t an = strlen(attr);
    for (const char *p = tag; p + an + 2 < end; p++) {
        if (!isspace((unsigned char)p[0]) || strncmp(p + 1, attr, an) != 0)
            continue;
        const char *q = p + 1 + an;
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q >= end || *q != '=')
            continue;
        q++;
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q >= end || (*q != '\'' && *q != '"'))
            continue;
        char quote = *q++;
        const char *v = q;
        while (q < end && *q != quote)
            q++;
        if (q >= end || (size_t)(q - v) >= len)
            return false;
        memcpy(out, v, (size_t)(q - v));
        out[q - v] = '\0';
        return true;
    }
    return false;
}

int vp_libvirt_domain_cid(const char *xml, char *name, size_t namelen, uint32_t *cid)
{
    char stack[16][32];
    int depth = 0, domain_depth = -1;
    bool have_name = false, have_cid = false, seen_root = false;
    uint32_t value = 0;
    const char *p = xml;

    name[0] = '\0';
    while ((p = strchr(p, '<')) != NULL) {
        if (strncmp(p, "<!--", 4) == 0) {
            const char *e = strstr(p + 4, "-->");
            if (e == NULL)
                return -EINVAL;
            p = e + 3;
            continue;
        }
        const char *end = strchr(p, '>');
        if (end == NULL)
            return -EINVAL;
        if (p[1] == '?' || p[1] == '!') { /* declaration, doctype */
            p = end + 1;
            continue;
        }
        if (p[1] == '/') { /* a closing tag */
            if (--depth < 0)
                return -EINVAL;
            p = end + 1;
            continue;
        }
        /* An opening tag: its element name. */
        size_t n = strcspn(p + 1, " \t\r\n/>");
        char el[32];
        if (n == 0 || n >= sizeof(el))
            n = 0;
        snprintf(el, sizeof(el), "%.*s", (int)n, p + 1);
        bool self_closing = end > p && end[-1] == '/';
        /* A persistent definition is a <domain>; a running domain's live
         * state (/run/libvirt/qemu) wraps it in <domstatus>. */
        if (!seen_root) {
            if (strcmp(el, "domain") != 0 && strcmp(el, "domstatus") != 0)
                return -EINVAL;
            seen_root = true;
        }
        if (domain_depth < 0 && strcmp(el, "domain") == 0)
            domain_depth = depth;
        if (domain_depth >= 0 && depth == domain_depth + 1 && strcmp(el, "name") == 0 &&
            !have_name && !self_closing) {
            const char *t = end + 1, *te = strchr(t, '<');
            if (te == NULL || (size_t)(te - t) >= namelen)
                return -EINVAL;
            memcpy(name, t, (size_t)(te - t));
            name[te - t] = '\0';
            have_name = true;
        }
        if (strcmp(el, "cid") == 0 && depth >= 3 && strcmp(stack[depth - 1], "vsock") == 0 &&
            strcmp(stack[depth - 2], "devices") == 0) {
            char addr[16];
            if (attribute(p + 1 + n, end, "address", addr, sizeof(addr)) &&
                vs_parse_u32(addr, UINT32_MAX - 1, &value) == 0 && value >= 3)
                have_cid = true;
        }
        if (!self_closing) {
            if (depth >= (int)VS_ARRAY_SIZE(stack))
                return -EINVAL;
            snprintf(stack[depth], sizeof(stack[depth]), "%s", el);
            depth++;
        }
        p = end + 1;
    }
    if (!seen_root || !have_name)
        return -EINVAL;
    if (!have_cid)
        return 0;
    *cid = value;
    return 1;
}

/* ---- resolution ------------------------------------------------------------- */

static char *read_small_file(const char *path)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return NULL;
    char *buf = malloc(MAX_FILE + 1);
    size_t n = buf ? fread(buf, 1, MAX_FILE, f) : 0;
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    return buf;
}

/* Looks name up among the domain definitions in dir.  Returns 1 with *cid,
 * or 0: not there, or no such directory (no libvirt here).  *auto_cid is set
 * when the domain exists but has no fixed CID yet. */
static int libvirt_lookup(const char *dir, const char *name, uint32_t *cid, bool *auto_cid)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int found = 0;

    if (d == NULL)
        return 0;
    while (!found && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".xml") != 0)
            continue;
        char path[4096], dom[VP_NAME_MAX * 4];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        char *xml = read_small_file(path);
        if (xml == NULL)
            continue;
        uint32_t v;
        int r = vp_libvirt_domain_cid(xml, dom, sizeof(dom), &v);
        if (r >= 0 && strcmp(dom, name) == 0) {
            if (r == 1) {
                *cid = v;
                found = 1;
            } else if (strstr(xml, "<vsock") != NULL) {
                *auto_cid = true;
            }
        }
        free(xml);
    }
    closedir(d);
    return found;
}

int vp_names_resolve(const char *name, struct vp_target *out, char *why, size_t whylen)
{
    const char *file = getenv(VP_NAMES_ENV);
    const char *dirs = getenv("VSOCK_SSH_LIBVIRT_DIRS");
    bool auto_cid = false;
    uint32_t cid;

    if (file == NULL || *file == '\0')
        file = getenv(VP_NAMES_ENV_OLD);
    if (file == NULL || *file == '\0')
        file = VP_NAMES_FILE;
    if (dirs == NULL)
        dirs = VP_LIBVIRT_DIRS;
    if (!vp_name_valid(name)) {
        snprintf(why, whylen, "'%.64s' is not a VM name (letters, digits, '.', '_', '-')", name);
        return -EINVAL;
    }
    FILE *f = fopen(file, "re");
    if (f != NULL) {
        int r = vp_names_file_lookup(f, file, name, out, why, whylen);
        fclose(f);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    char list[1024];
    snprintf(list, sizeof(list), "%s", dirs);
    char *save;
    for (char *d = strtok_r(list, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save))
        if (libvirt_lookup(d, name, &cid, &auto_cid) == 1) {
            *out = (struct vp_target){.kind = VP_TARGET_VSOCK, .cid = cid};
            return 0;
        }
    if (auto_cid)
        snprintf(why, whylen,
                 "VM '%s' gets its vsock CID from libvirt when it starts: start it first, or "
                 "give it a fixed one (<cid auto='no' address='N'/>) or a line in %s",
                 name, file);
    else
        snprintf(why, whylen, "unknown VM name '%s': not in %s nor among libvirt's domains", name,
                 file);
    return -ENOENT;
}

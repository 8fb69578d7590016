#include "names.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef VP_HAVE_DLOPEN
#include <dlfcn.h>
#endif

#include "fdutil.h"
#include "util.h"

/* The longest piece of libvirt's text (an error message) shown. */
#define LIBVIRT_TEXT_MAX 240

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

/* ---- libvirt: the pure parts ------------------------------------------------- */

int vp_libvirt_uri_local(const char *uri)
{
    /* scheme "://" authority path: the authority (user, host, port) must
     * be empty.  Anything else (an alias) is checked once opened. */
    size_t n = strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    if (n == 0 || strncmp(uri + n, "://", 3) != 0)
        return 1;
    return uri[n + 3] == '/';
}

enum vp_libvirt_verdict vp_libvirt_verdict(const struct vp_libvirt_domain *d, uint32_t *cid)
{
    /* (Comparisons written so that NaN, "no such node", fails them.) */
    if (!(d->vsock >= 1))
        return VP_LIBVIRT_NO_VSOCK;
    if (!d->active)
        return d->auto_yes >= 1 ? VP_LIBVIRT_AUTO_STOPPED : VP_LIBVIRT_STOPPED;
    if (d->address >= 3 && d->address <= (double)(UINT32_MAX - 1)) {
        uint32_t v = (uint32_t)d->address;
        if ((double)v == d->address) {
            *cid = v;
            return VP_LIBVIRT_CID;
        }
    }
    return VP_LIBVIRT_NO_CID;
}

/* ---- libvirt: its API, loaded when a name needs it --------------------------- */

/* The lookup in one libvirt connection (shown: uri made printable, for
 * messages).  Returns 0 with *cid; -ENOENT when
 * the name is not there (why empty); -EHOSTDOWN when it is but has no CID to
 * connect to; -ECONNREFUSED when the connection could not be opened or the
 * domain not read; -EINVAL when the URI is not on this machine; -ENOSYS
 * without libvirt; why says which. */
static int ask_libvirt(const char *uri, const char *shown, const char *name, uint32_t *cid,
                       char *why, size_t whylen);

#ifdef VP_HAVE_DLOPEN

/* What vsock-proxy uses of libvirt's and libxml2's public APIs, declared
 * here (no headers at build time): their types are opaque to us. */
struct lv_conn;
struct lv_dom;
struct lv_xml_doc;
struct lv_xpath_ctx;
struct lv_xpath_obj;

static struct {
    struct lv_conn *(*open_ro)(const char *uri);
    int (*close)(struct lv_conn *conn);
    char *(*get_uri)(struct lv_conn *conn);
    struct lv_dom *(*by_name)(struct lv_conn *conn, const char *name);
    struct lv_dom *(*by_uuid)(struct lv_conn *conn, const char *uuid);
    struct lv_dom *(*by_id)(struct lv_conn *conn, int id);
    int (*dom_free)(struct lv_dom *dom);
    int (*is_active)(struct lv_dom *dom);
    char *(*xml_desc)(struct lv_dom *dom, unsigned int flags);
    const char *(*last_error)(void);
    void (*set_error_func)(void *data, void (*handler)(void *data, void *error));
    void (*set_xml_error_func)(void *data, void (*handler)(void *data, const char *fmt, ...));
    struct lv_xml_doc *(*read_memory)(const char *buf, int size, const char *url,
                                      const char *encoding, int options);
    void (*free_doc)(struct lv_xml_doc *doc);
    struct lv_xpath_ctx *(*xpath_new)(struct lv_xml_doc *doc);
    void (*xpath_free)(struct lv_xpath_ctx *ctx);
    struct lv_xpath_obj *(*xpath_eval)(const unsigned char *expr, struct lv_xpath_ctx *ctx);
    void (*xpath_free_object)(struct lv_xpath_obj *obj);
    double (*xpath_number)(struct lv_xpath_obj *obj);
} lv;

/* libxml2's xmlParserOption: no network, no messages on stderr. */
#define XML_PARSE_NOERROR (1 << 5)
#define XML_PARSE_NOWARNING (1 << 6)
#define XML_PARSE_NONET (1 << 11)

/* libvirt prints every error on stderr unless given a handler, and libxml2
 * some of its own (a test:/// file that is missing): we say what went
 * wrong ourselves, once, with the text made printable. */
static void quiet(void *data, void *error)
{
    (void)data;
    (void)error;
}

static void quiet_xml(void *data, const char *fmt, ...)
{
    (void)data;
    (void)fmt;
}

#define LOAD(lib, field, symbol)                                                                   \
    ((lv.field = (__typeof__(lv.field))dlsym(lib, symbol)) != NULL || (missing = symbol, false))

/* Loads libvirt (and so the libxml2 it links) once.  Returns 0, or -ENOENT
 * with why saying what is missing. */
static int load_libvirt(char *why, size_t whylen)
{
    static bool loaded;
    const char *missing = NULL;
    char text[LIBVIRT_TEXT_MAX];

    if (loaded)
        return 0;
    /* Never closed: libvirt is not made to be unloaded. */
    void *virt = dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL);
    if (virt == NULL) {
        const char *e = dlerror();
        vs_printable(text, sizeof(text), e != NULL ? e : "libvirt.so.0 not found");
        snprintf(why, whylen, "libvirt is not installed (%s)", text);
        return -ENOENT;
    }
    /* libxml2 is libvirt's own: dlsym() on libvirt's handle searches the
     * libraries it brought in too, whatever libxml2's soname (2 until
     * libxml2 2.13, 16 since 2.14). */
    void *xml = virt;
    if (!(LOAD(virt, open_ro, "virConnectOpenReadOnly") && LOAD(virt, close, "virConnectClose") &&
          LOAD(virt, get_uri, "virConnectGetURI") && LOAD(virt, by_name, "virDomainLookupByName") &&
          LOAD(virt, by_uuid, "virDomainLookupByUUIDString") &&
          LOAD(virt, by_id, "virDomainLookupByID") && LOAD(virt, dom_free, "virDomainFree") &&
          LOAD(virt, is_active, "virDomainIsActive") &&
          LOAD(virt, xml_desc, "virDomainGetXMLDesc") &&
          LOAD(virt, last_error, "virGetLastErrorMessage") &&
          LOAD(virt, set_error_func, "virSetErrorFunc") &&
          LOAD(xml, set_xml_error_func, "xmlSetGenericErrorFunc") &&
          LOAD(xml, read_memory, "xmlReadMemory") && LOAD(xml, free_doc, "xmlFreeDoc") &&
          LOAD(xml, xpath_new, "xmlXPathNewContext") &&
          LOAD(xml, xpath_free, "xmlXPathFreeContext") &&
          LOAD(xml, xpath_eval, "xmlXPathEvalExpression") &&
          LOAD(xml, xpath_free_object, "xmlXPathFreeObject") &&
          LOAD(xml, xpath_number, "xmlXPathCastToNumber"))) {
        snprintf(why, whylen, "this libvirt lacks %s (4.5 or later needed)", missing);
        return -ENOENT;
    }
    lv.set_error_func(NULL, quiet);
    lv.set_xml_error_func(NULL, quiet_xml);
    /* A read-only lookup should not leave a session daemon behind (one
     * whose VMs run is running anyway); the user may say otherwise. */
    setenv("LIBVIRT_AUTOSTART", "0", 0);
    loaded = true;
    return 0;
}

static void libvirt_error(char *out, size_t len)
{
    const char *m = lv.last_error();
    vs_printable(out, len, m != NULL ? m : "unknown error");
}

static double xpath_number(struct lv_xpath_ctx *ctx, const char *expr)
{
    struct lv_xpath_obj *o = lv.xpath_eval((const unsigned char *)expr, ctx);
    if (o == NULL)
        return NAN;
    double v = lv.xpath_number(o);
    lv.xpath_free_object(o);
    return v;
}

/* Reads what matters of dom: running or not, and its vsock device from
 * the XML libvirt gives (the live one when it runs).  Returns 0 or -EIO. */
static int read_domain(struct lv_dom *dom, struct vp_libvirt_domain *out)
{
    int active = lv.is_active(dom);
    char *text = active >= 0 ? lv.xml_desc(dom, 0) : NULL;
    if (text == NULL)
        return -EIO;
    size_t len = strlen(text);
    struct lv_xml_doc *doc =
        len <= INT_MAX ? lv.read_memory(text, (int)len, "domain.xml", NULL,
                                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
                       : NULL;
    free(text);
    if (doc == NULL)
        return -EIO;
    struct lv_xpath_ctx *ctx = lv.xpath_new(doc);
    int r = -EIO;
    if (ctx != NULL && xpath_number(ctx, "count(/domain)") == 1) {
        out->active = active > 0;
        out->vsock = xpath_number(ctx, "count(/domain/devices/vsock)");
        out->auto_yes = xpath_number(ctx, "count(/domain/devices/vsock/cid[@auto='yes'])");
        out->address = xpath_number(ctx, "number(/domain/devices/vsock/cid/@address)");
        r = 0;
    }
    if (ctx != NULL)
        lv.xpath_free(ctx);
    lv.free_doc(doc);
    return r;
}

/* By name, UUID, then ID, as libvirt's own ssh proxy does. */
static struct lv_dom *lookup(struct lv_conn *conn, const char *name)
{
    struct lv_dom *dom = lv.by_name(conn, name);
    uint32_t id;
    if (dom == NULL)
        dom = lv.by_uuid(conn, name);
    if (dom == NULL && vs_parse_u32(name, INT_MAX, &id) == 0)
        dom = lv.by_id(conn, (int)id);
    return dom;
}

static int ask_libvirt(const char *uri, const char *shown, const char *name, uint32_t *cid,
                       char *why, size_t whylen)
{
    char text[LIBVIRT_TEXT_MAX];
    int r = load_libvirt(why, whylen);
    if (r < 0)
        return -ENOSYS;
    struct lv_conn *conn = lv.open_ro(uri);
    if (conn == NULL) {
        libvirt_error(text, sizeof(text));
        snprintf(why, whylen, "cannot ask %s (%s)", shown, text);
        return -ECONNREFUSED;
    }
    /* An alias (libvirt.conf) may have led elsewhere. */
    char *opened = lv.get_uri(conn);
    if (opened != NULL && !vp_libvirt_uri_local(opened)) {
        vs_printable(text, sizeof(text), opened);
        snprintf(why, whylen, "%s is libvirt on another machine (%s), whose CIDs mean nothing here",
                 shown, text);
        free(opened);
        lv.close(conn);
        return -EINVAL;
    }
    free(opened);

    struct lv_dom *dom = lookup(conn, name);
    struct vp_libvirt_domain d;
    if (dom == NULL) {
        why[0] = '\0';
        r = -ENOENT;
    } else if (read_domain(dom, &d) < 0) {
        libvirt_error(text, sizeof(text));
        snprintf(why, whylen, "cannot read VM '%s' of %s (%s)", name, shown, text);
        r = -ECONNREFUSED;
    } else {
        r = -EHOSTDOWN;
        switch (vp_libvirt_verdict(&d, cid)) {
        case VP_LIBVIRT_CID:
            r = 0;
            break;
        case VP_LIBVIRT_NO_VSOCK:
            snprintf(why, whylen,
                     "VM '%s' (%s) has no vsock device: add <vsock model='virtio'><cid "
                     "auto='yes'/></vsock> to its <devices> (virsh -c %s edit %s)",
                     name, shown, shown, name);
            break;
        case VP_LIBVIRT_AUTO_STOPPED:
            snprintf(why, whylen,
                     "VM '%s' (%s) is not running, and libvirt gives it a vsock CID when it "
                     "starts: start it first (virsh -c %s start %s)",
                     name, shown, shown, name);
            break;
        case VP_LIBVIRT_STOPPED:
            snprintf(why, whylen,
                     "VM '%s' (%s) is not running: start it first (virsh -c %s start %s)", name,
                     shown, shown, name);
            break;
        case VP_LIBVIRT_NO_CID:
            snprintf(why, whylen, "VM '%s' (%s) runs, but libvirt gives no guest CID for its vsock",
                     name, shown);
            break;
        }
    }
    if (dom != NULL)
        lv.dom_free(dom);
    lv.close(conn);
    return r;
}

#else /* no dlopen (a static build) */

static int ask_libvirt(const char *uri, const char *shown, const char *name, uint32_t *cid,
                       char *why, size_t whylen)
{
    (void)uri;
    (void)shown;
    (void)name;
    (void)cid;
    snprintf(why, whylen, "this vsock-proxy is built without libvirt support (no dlopen)");
    return -ENOSYS;
}

#endif

/* ---- resolution ------------------------------------------------------------- */

static void append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;
    if (used + 1 >= len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* The libvirt connections to ask for scope, in order.  Returns how many,
 * or -EINVAL with why. */
static int libvirt_uris(enum vp_name_scope scope, const char *uris[2], char *why, size_t whylen)
{
    const char *env = getenv(VP_LIBVIRT_URI_ENV);
    if (scope == VP_SCOPE_SYSTEM || scope == VP_SCOPE_SESSION) {
        uris[0] = scope == VP_SCOPE_SYSTEM ? VP_LIBVIRT_SYSTEM : VP_LIBVIRT_SESSION;
        return 1;
    }
    if (env != NULL && *env != '\0') {
        if (!vp_libvirt_uri_local(env)) {
            char text[LIBVIRT_TEXT_MAX];
            vs_printable(text, sizeof(text), env);
            snprintf(why, whylen,
                     "%s=%s is libvirt on another machine, whose CIDs mean nothing here: unset it, "
                     "or name a local one (qemu:///system)",
                     VP_LIBVIRT_URI_ENV, text);
            return -EINVAL;
        }
        uris[0] = env;
        return 1;
    }
    /* As libvirt's ssh proxy: root has no session VMs of its own to find. */
    uris[0] = VP_LIBVIRT_SYSTEM;
    uris[1] = VP_LIBVIRT_SESSION;
    return geteuid() == 0 ? 1 : 2;
}

int vp_names_resolve(const char *name_in, enum vp_name_scope scope, struct vp_target *out,
                     char *why, size_t whylen)
{
    const char *file = getenv(VP_NAMES_ENV);
    char name[VP_NAME_MAX + 1], first_why[1024] = "", one[1024];
    const char *uris[2];
    int first = 0;

    if (file == NULL || *file == '\0')
        file = getenv(VP_NAMES_ENV_OLD);
    if (file == NULL || *file == '\0')
        file = VP_NAMES_FILE;
    /* (name_in may be out->name.) */
    if (strlen(name_in) >= sizeof(name)) {
        snprintf(why, whylen, "'%.64s...' is not a VM name (at most %d characters)", name_in,
                 VP_NAME_MAX);
        return -EINVAL;
    }
    snprintf(name, sizeof(name), "%s", name_in);
    why[0] = '\0';
    if (!vp_name_or_id_valid(name)) {
        snprintf(why, whylen, "'%.64s' is not a VM name (letters, digits, '.', '_', '-')", name);
        return -EINVAL;
    }
    if (scope == VP_SCOPE_ALL) {
        FILE *f = fopen(file, "re");
        if (f != NULL) {
            int r = vp_names_file_lookup(f, file, name, out, why, whylen);
            fclose(f);
            if (r != 0)
                return r < 0 ? r : 0;
        }
    }

    int n = libvirt_uris(scope, uris, why, whylen);
    if (n < 0)
        return n;
    /* The first connection with a CID wins; else the first that knows the
     * VM says why it has none; else the name is unknown. */
    snprintf(why, whylen, "unknown VM name '%s'", name);
    const char *sep = ": ";
    if (scope == VP_SCOPE_ALL) {
        append(why, whylen, ": not in %s", file);
        sep = "; ";
    }
    for (int i = 0; i < n; i++) {
        uint32_t cid;
        char shown[LIBVIRT_TEXT_MAX];
        vs_printable(shown, sizeof(shown), uris[i]);
        int r = ask_libvirt(uris[i], shown, name, &cid, one, sizeof(one));
        if (r == 0) {
            *out = (struct vp_target){.kind = VP_TARGET_VSOCK, .cid = cid};
            return 0;
        }
        if ((r == -EHOSTDOWN || r == -EINVAL) && first == 0) {
            first = r;
            snprintf(first_why, sizeof(first_why), "%s", one);
        }
        if (r == -ENOENT)
            append(why, whylen, "%snot under libvirt's %s", sep, shown);
        else if (r == -ECONNREFUSED || r == -ENOSYS)
            append(why, whylen, "%s%s", sep, one);
        sep = "; ";
        if (r == -ENOSYS)
            break; /* no libvirt: the same for every URI */
    }
    if (first != 0) {
        snprintf(why, whylen, "%s", first_why);
        return first;
    }
    return -ENOENT;
}

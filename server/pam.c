#include "pam.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef VS_HAVE_PAM
#include <security/pam_appl.h>
#endif

#include "log.h"
#include "login.h"
#include "util.h"

int vs_pam_service_check(char *why, size_t len)
{
    static const char *const dirs[] = {"/etc/pam.d", "/usr/lib/pam.d", "/lib/pam.d"};
    char path[128];

    for (size_t i = 0; i < VS_ARRAY_SIZE(dirs); i++) {
        snprintf(path, sizeof(path), "%s/%s", dirs[i], VS_PAM_SERVICE);
        if (access(path, R_OK) == 0)
            return 0;
    }
    snprintf(why, len,
             "UsePAM yes, but there is no PAM service '%s' (looked in /etc/pam.d, "
             "/usr/lib/pam.d, /lib/pam.d): install the one vsock-ssh ships, or set UsePAM no",
             VS_PAM_SERVICE);
    return -ENOENT;
}

#ifdef VS_HAVE_PAM
struct conv_state {
    char text[1024]; /* what modules said (pam_nologin's file, expiry notes) */
};

/* No one to ask: prompts fail; messages are kept for the refusal. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct conv_state *st = data;

    if (n <= 0 || n > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    for (int i = 0; i < n; i++) {
        int style = msg[i]->msg_style;
        if (style != PAM_ERROR_MSG && style != PAM_TEXT_INFO)
            return PAM_CONV_ERR;
        if (st != NULL && msg[i]->msg != NULL) {
            size_t used = strlen(st->text);
            snprintf(st->text + used, sizeof(st->text) - used, "%s%s", used ? " " : "",
                     msg[i]->msg);
        }
    }
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    *resp = r;
    return PAM_SUCCESS;
}

static struct conv_state conv_state;
static const struct pam_conv pam_conv = {conv, &conv_state};

/* ": what modules said", or "" when they said nothing. */
static const char *said_sep(void)
{
    return conv_state.text[0] ? ": " : "";
}

int vs_pam_account(struct vs_login *l, const char *user, char *why, size_t len)
{
    pam_handle_t *pamh = NULL;
    int rc = pam_start(VS_PAM_SERVICE, user, &pam_conv, &pamh);

    if (rc != PAM_SUCCESS) {
        vs_login_why(why, len, "PAM: %s", pam_strerror(pamh, rc));
        return -EIO;
    }
    l->pam = pamh;
    conv_state.text[0] = '\0';
    /* PAM_TTY "ssh" until a PTY exists, as OpenSSH's sshd has it. */
    if ((rc = pam_set_item(pamh, PAM_RHOST, l->host)) != PAM_SUCCESS ||
        (rc = pam_set_item(pamh, PAM_TTY, "ssh")) != PAM_SUCCESS) {
        vs_login_why(why, len, "PAM: %s", pam_strerror(pamh, rc));
        return -EIO;
    }
    rc = pam_acct_mgmt(pamh, 0);
    if (rc == PAM_SUCCESS)
        return 0;
    if (rc == PAM_NEW_AUTHTOK_REQD)
        vs_login_why(why, len,
                     "the account's password has expired and must be changed, which null "
                     "authentication cannot do%s%s",
                     said_sep(), conv_state.text);
    else
        vs_login_why(why, len, "PAM account check: %s%s%s", pam_strerror(pamh, rc), said_sep(),
                     conv_state.text);
    return -EACCES;
}

int vs_pam_open(struct vs_login *l, char *why, size_t len)
{
    pam_handle_t *pamh = l->pam;
    if (pamh == NULL)
        return 0;
    int rc = pam_setcred(pamh, PAM_ESTABLISH_CRED | PAM_SILENT);
    if (rc != PAM_SUCCESS) {
        vs_login_why(why, len, "PAM credentials: %s%s%s", pam_strerror(pamh, rc), said_sep(),
                     conv_state.text);
        return -EACCES;
    }
    l->pam_cred = true;
    rc = pam_open_session(pamh, PAM_SILENT);
    if (rc != PAM_SUCCESS) {
        vs_login_why(why, len, "PAM session: %s%s%s", pam_strerror(pamh, rc), said_sep(),
                     conv_state.text);
        return -EACCES;
    }
    l->pam_session = true;
    return 0;
}

int vs_pam_reestablish(struct vs_login *l, char *why, size_t len)
{
    pam_handle_t *pamh = l->pam;
    if (pamh == NULL)
        return 0;
    int rc = pam_setcred(pamh, PAM_ESTABLISH_CRED | PAM_SILENT);
    if (rc == PAM_SUCCESS)
        l->env = pam_getenvlist(pamh); /* with what setcred added (KRB5CCNAME, pam_env) */
    else
        vs_login_why(why, len, "PAM: setting credentials: %s", pam_strerror(pamh, rc));
    /* The monitor owns the credentials and the session: let go without
     * deleting or closing anything. */
    pam_end(pamh, rc | PAM_DATA_SILENT);
    l->pam = NULL;
    l->pam_cred = l->pam_session = false;
    return rc == PAM_SUCCESS ? 0 : -EACCES;
}

void vs_pam_close(struct vs_login *l)
{
    pam_handle_t *pamh = l->pam;
    int rc = PAM_SUCCESS;

    if (pamh == NULL)
        return;
    if (l->pam_session && (rc = pam_close_session(pamh, PAM_SILENT)) != PAM_SUCCESS)
        log_error("PAM: closing the session: %s", pam_strerror(pamh, rc));
    if (l->pam_cred)
        pam_setcred(pamh, PAM_DELETE_CRED | PAM_SILENT);
    pam_end(pamh, rc);
    l->pam = NULL;
    l->pam_cred = l->pam_session = false;
}

void vs_pam_end(struct vs_login *l)
{
    if (l->pam != NULL)
        pam_end(l->pam, PAM_SUCCESS);
    l->pam = NULL;
    l->pam_cred = l->pam_session = false;
}

#else /* no libpam: UsePAM is always no, and there is never a handle */

/* Unreachable (the configuration refuses UsePAM yes here), and a refusal
 * should it ever be reached: no account check passes unchecked. */
int vs_pam_account(struct vs_login *l, const char *user, char *why, size_t len)
{
    (void)l, (void)user;
    vs_login_why(why, len, "UsePAM yes, but this vsock-sshd was built without PAM");
    return -EACCES;
}

int vs_pam_open(struct vs_login *l, char *why, size_t len)
{
    (void)l, (void)why, (void)len;
    return 0;
}

int vs_pam_reestablish(struct vs_login *l, char *why, size_t len)
{
    (void)l, (void)why, (void)len;
    return 0;
}

void vs_pam_close(struct vs_login *l)
{
    (void)l;
}

void vs_pam_end(struct vs_login *l)
{
    (void)l;
}
#endif

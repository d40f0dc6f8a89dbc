/* HTTP calls to the masters, with libcurl (blocking, one easy handle per attempt).
 *
 * Happy path: the master that answered last gets the request first; curl follows 307s to the
 * leader (POST body kept) and a 200 ends the search, remembering that master.
 * Failure modes: a transport error or any other HTTP status moves on to the next master; when all
 * have failed, the error lists each one with its reason, reasons kept short (and cut when they
 * must) so that every master appears within ERRMSG_SIZE. A 200 whose body is not an envelope is
 * reported by http_client_call as a bad answer from that master (not retried elsewhere: the
 * master did answer). */
#define LOG_TAG "http"

#include "common/http_client.h"

#include "common/errors.h"
#include "common/log.h"
#include "common/url.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TIMEOUT_MS         30000u
#define DEFAULT_CONNECT_TIMEOUT_MS 3000u
#define MAX_REDIRECTS              5
#define SNIPPET_LEN                60 /* of a malformed body, in messages */

#define MASTER_SIZE sizeof(((struct http_response *)0)->master)

struct http_client {
    struct http_client_options opts;
    size_t n;
    _Atomic size_t last_good; /* index of the master that answered last */
    char (*masters)[MASTER_SIZE];
};

int http_client_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

void http_client_options_default(struct http_client_options *o)
{
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    o->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
}

static const char *strip_scheme(const char *addr)
{
    return strncmp(addr, "http://", 7) == 0 ? addr + 7 : addr;
}

int http_client_new(const char *const *masters, size_t n, const struct http_client_options *o,
                    struct http_client **out, char *errmsg)
{
    struct http_client *c;

    if (n == 0) {
        errors_set(errmsg, "no master address");
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        const char *addr = strip_scheme(masters[i]);
        if (addr[0] == '\0' || strlen(addr) >= MASTER_SIZE) {
            errors_set(errmsg, "bad master address \"%s\"", masters[i]);
            return -EINVAL;
        }
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || (c->masters = calloc(n, sizeof(*c->masters))) == NULL) {
        free(c);
        errors_set(errmsg, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        strcpy(c->masters[i], strip_scheme(masters[i]));
    }
    c->n = n;
    http_client_options_default(&c->opts);
    if (o != NULL && o->timeout_ms != 0) {
        c->opts.timeout_ms = o->timeout_ms;
    }
    if (o != NULL && o->connect_timeout_ms != 0) {
        c->opts.connect_timeout_ms = o->connect_timeout_ms;
    }
    atomic_init(&c->last_good, 0);
    *out = c;
    return 0;
}

void http_client_free(struct http_client *c)
{
    if (c == NULL) {
        return;
    }
    free(c->masters);
    free(c);
}

size_t http_body_write(char *ptr, size_t size, size_t nmemb, void *body)
{
    struct http_body *b = body;
    size_t n = size * nmemb;

    if (b->max != 0 && b->len + n > b->max) {
        b->too_big = true;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap == 0 ? 4096 : b->cap;
        char *p;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        p = realloc(b->data, cap);
        if (p == NULL) {
            return 0; /* curl aborts the transfer with CURLE_WRITE_ERROR */
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

bool http_header_value(const char *line, size_t n, const char *name, char *dst, size_t size)
{
    size_t k = strlen(name);

    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':') {
        return false;
    }
    for (k++; k < n && line[k] == ' '; k++) {
    }
    snprintf(dst, size, "%.*s", (int)(n - k), line + k);
    dst[strcspn(dst, "\r\n")] = '\0';
    return true;
}

/* Why a transfer failed, in a few words, so that every master's reason fits one message: the
 * system's error where there is one ("Connection refused", "No route to host"), else a short
 * name for the curl code (curl's own texts run to 50 characters). */
static void transport_reason(CURL *curl, CURLcode cc, char *reason, size_t reason_size)
{
    long os_errno = 0;
    const char *text;

    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        text = "timed out";
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        text = "unknown host";
        break;
    case CURLE_GOT_NOTHING:
        text = "empty reply";
        break;
    case CURLE_TOO_MANY_REDIRECTS:
        text = "redirect loop";
        break;
    case CURLE_WRITE_ERROR: /* http_body_write: no memory for the body */
        text = "out of memory";
        break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        if (curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno != 0) {
            text = strerror((int)os_errno);
        } else {
            text = cc == CURLE_COULDNT_CONNECT ? "cannot connect" : "connection lost";
        }
        break;
    default:
        text = curl_easy_strerror(cc);
        break;
    }
    snprintf(reason, reason_size, "%s", text);
}

/* One attempt against one master. 0 with the body in b when it answered 200; otherwise a negative
 * code and the reason in reason (without the master's name). */
static int try_master(const struct http_client *c, const char *master, const char *method,
                      const char *path, const void *body, size_t len, const char *content_type,
                      struct http_body *b, char *reason, size_t reason_size)
{
    char url[MASTER_SIZE + 2048];
    char header[256];
    struct curl_slist *headers = NULL, *h;
    CURL *curl;
    CURLcode cc;
    long status = 0;
    int rv = -ENOMEM;

    if ((size_t)snprintf(url, sizeof(url), "http://%s%s", master, path) >= sizeof(url)) {
        snprintf(reason, reason_size, "URL too long");
        return -ENAMETOOLONG;
    }
    curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(reason, reason_size, "out of memory");
        return -ENOMEM;
    }
    /* "Expect:" turns off 100-continue, which would cost a round trip on larger bodies. */
    h = curl_slist_append(NULL, "Expect:");
    if (h == NULL) {
        goto out;
    }
    headers = h;
    if (content_type != NULL) {
        snprintf(header, sizeof(header), "Content-Type: %s", content_type);
        h = curl_slist_append(headers, header);
        if (h == NULL) {
            goto out;
        }
        headers = h;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* timeouts without SIGALRM: threads */
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)c->opts.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)c->opts.connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
    /* 307/308 keep the method and body anyway; this keeps them on 301/302/303 too. */
    curl_easy_setopt(curl, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_body_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body != NULL ? (const char *)body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body != NULL ? len : 0));
    }
    cc = curl_easy_perform(curl);
    if (cc != CURLE_OK) {
        transport_reason(curl, cc, reason, reason_size);
        rv = cc == CURLE_OPERATION_TIMEDOUT ? CFS_ETIMEDOUT : -EIO;
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        snprintf(reason, reason_size, "HTTP %ld", status);
        rv = CFS_EREMOTE;
        goto out;
    }
    /* An empty body still comes back as a (NUL-terminated) allocation. */
    if (b->data == NULL && (b->data = calloc(1, 1)) == NULL) {
        goto out;
    }
    rv = 0;
out:
    if (rv == -ENOMEM && reason[0] == '\0') {
        snprintf(reason, reason_size, "out of memory");
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return rv;
}

#define REASON_SIZE     48 /* a reason longer than this is cut */
#define REASON_MIN_KEEP 8  /* shorter cuts leave a reason out rather than show a fragment */

struct failure {
    const char *master;
    char reason[REASON_SIZE];
};

/* The length of the list of n failures with each reason cut to keep characters (0: no reasons). */
static size_t failures_len(const struct failure *f, size_t n, size_t keep)
{
    size_t len = 0;

    for (size_t i = 0; i < n; i++) {
        size_t r = strlen(f[i].reason);
        len += (i > 0 ? 2 : 0) + strlen(f[i].master) + (keep > 0 ? 3 + (r < keep ? r : keep) : 0);
    }
    return len;
}

/* "a (why), b (why)" into buf: every master, with its reason cut as little as size allows, and
 * without reasons when they cannot fit. */
static void list_failures(const struct failure *f, size_t n, char *buf, size_t size)
{
    size_t keep = REASON_SIZE;
    size_t used = 0;

    while (keep > 0 && failures_len(f, n, keep) >= size) {
        keep = keep > REASON_MIN_KEEP ? keep - 1 : 0;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "", f[i].master);
        if (keep > 0 && used < size) {
            used += (size_t)snprintf(buf + used, size - used, " (%.*s)", (int)keep, f[i].reason);
        }
    }
}

int http_client_request(struct http_client *c, const char *method, const char *path,
                        const void *body, size_t len, const char *content_type,
                        struct http_response *out, char *errmsg)
{
    static const char prefix[] = "no master answered: ";
    size_t start = atomic_load(&c->last_good);
    struct failure *failed = calloc(c->n, sizeof(*failed));
    size_t nfailed = 0;

    for (size_t i = 0; i < c->n; i++) {
        size_t idx = (start + i) % c->n;
        struct http_body b = {0};
        char reason[REASON_SIZE] = "";
        int rv;

        rv = try_master(c, c->masters[idx], method, path, body, len, content_type, &b, reason,
                        sizeof(reason));
        if (rv == 0) {
            atomic_store(&c->last_good, idx);
            memset(out, 0, sizeof(*out));
            out->status = 200;
            out->body = b.data;
            out->len = b.len;
            strcpy(out->master, c->masters[idx]);
            free(failed);
            return 0;
        }
        free(b.data);
        log_debug("%s %s on %s: %s", method, path, c->masters[idx], reason);
        if (failed != NULL) {
            failed[nfailed].master = c->masters[idx];
            memcpy(failed[nfailed++].reason, reason, sizeof(reason));
        }
    }
    if (failed == NULL) {
        errors_set(errmsg, "no master answered (out of memory for the reasons)");
    } else if (errmsg != NULL) {
        memcpy(errmsg, prefix, sizeof(prefix));
        list_failures(failed, nfailed, errmsg + sizeof(prefix) - 1,
                      ERRMSG_SIZE - (sizeof(prefix) - 1));
    }
    free(failed);
    return CFS_ENOLEADER;
}

void http_response_free(struct http_response *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

int http_envelope_parse(const char *body, size_t len, int *code, char *msg, size_t msg_size,
                        json_t **data, char *errmsg)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
    json_t *jcode, *jmsg, *jdata;
    int rv;

    if (root == NULL) {
        errors_set(errmsg, "response is not JSON (%s): \"%.*s\"", jerr.text,
                   (int)(len < SNIPPET_LEN ? len : SNIPPET_LEN), body);
        return CFS_EBADJSON;
    }
    jcode = json_object_get(root, "code");
    jmsg = json_object_get(root, "msg");
    jdata = json_object_get(root, "data");
    if (!json_is_object(root)) {
        errors_set(errmsg, "response is not a JSON object: \"%.*s\"",
                   (int)(len < SNIPPET_LEN ? len : SNIPPET_LEN), body);
        rv = CFS_ETYPE;
    } else if (jcode == NULL) {
        errors_set(errmsg, "response has no \"code\"");
        rv = CFS_EMISSING;
    } else if (!json_is_integer(jcode) || json_integer_value(jcode) < INT32_MIN ||
               json_integer_value(jcode) > INT32_MAX) {
        errors_set(errmsg, "response \"code\" is not an integer");
        rv = CFS_ETYPE;
    } else if (jmsg != NULL && !json_is_string(jmsg)) {
        errors_set(errmsg, "response \"msg\" is not a string");
        rv = CFS_ETYPE;
    } else {
        *code = (int)json_integer_value(jcode);
        if (msg != NULL && msg_size > 0) {
            snprintf(msg, msg_size, "%s", jmsg != NULL ? json_string_value(jmsg) : "");
        }
        if (data != NULL) {
            *data = json_is_null(jdata) ? NULL : json_incref(jdata);
        }
        rv = 0;
    }
    json_decref(root);
    return rv;
}

int http_client_call(struct http_client *c, const char *method, const char *path, const void *body,
                     size_t len, int *api_code, json_t **data, char *errmsg)
{
    struct http_response resp;
    char msg[ERRMSG_SIZE];
    json_t *d = NULL;
    int code;
    int rv;

    rv = http_client_request(c, method, path, body, len, body != NULL ? "application/json" : NULL,
                             &resp, errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = http_envelope_parse(resp.body, resp.len, &code, msg, sizeof(msg), &d, errmsg);
    if (rv != 0) {
        errors_prefix(errmsg, "%s %s on %s", method, path, resp.master);
    } else if (code != 0) {
        errors_set(errmsg, "%s", msg);
        if (api_code != NULL) {
            *api_code = code;
        }
        json_decref(d);
        rv = CFS_EREMOTE;
    } else {
        if (api_code != NULL) {
            *api_code = 0;
        }
        if (data != NULL) {
            *data = d;
        } else {
            json_decref(d);
        }
    }
    http_response_free(&resp);
    return rv;
}

char *http_escape(const char *value, char *buf, size_t size)
{
    return url_escape(value, buf, size);
}

#define LOG_TAG "http"

#include "master/http/http_internal.h"

#include "common/errors.h"
#include "common/log.h"
#include "common/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

uint64_t http_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void guard_dispose(void *p)
{
    struct http_guard *g = p;

    if (g->r != NULL) {
        g->r->req = NULL;
        g->r->guard = NULL;
    }
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void peer_ip(h2o_req_t *req, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);

    buf[0] = '\0';
    if (len == 0) {
        return;
    }
    if (ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)size);
    } else if (ss.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, (socklen_t)size);
    }
}

struct http_req *http_req_new(struct http_server *s, h2o_req_t *req, size_t route)
{
    struct http_req *r = calloc(1, sizeof(*r));
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;

    if (r == NULL) {
        return NULL;
    }
    r->server = s;
    r->route = route;
    r->start_us = http_now_us();
    snprintf(r->method, sizeof(r->method), "%.*s", (int)req->method.len, req->method.base);
    r->path = dup_n(req->path.base, plen);
    r->query = req->query_at != SIZE_MAX
                   ? dup_n(req->path.base + plen + 1, req->path.len - plen - 1)
                   : dup_n("", 0);
    r->body = dup_n(req->entity.base != NULL ? req->entity.base : "", req->entity.len);
    r->body_len = req->entity.len;
    r->guard = h2o_mem_alloc_shared(&req->pool, sizeof(*r->guard), guard_dispose);
    if (r->path == NULL || r->query == NULL || r->body == NULL) {
        r->guard->r = NULL;
        free(r->path);
        free(r->query);
        free(r->body);
        free(r);
        return NULL;
    }
    r->guard->r = r;
    r->req = req;
    peer_ip(req, r->remote_ip, sizeof(r->remote_ip));
    return r;
}

static void req_free(struct http_req *r)
{
    if (r->guard != NULL) {
        r->guard->r = NULL;
    }
    for (size_t i = 0; i < r->nparams; i++) {
        free(r->params[i].name);
        free(r->params[i].value);
    }
    free(r->params);
    free(r->path);
    free(r->query);
    free(r->body);
    free(r);
}

/* The n bytes at s decoded into a malloc'd string (see url_decode). */
static char *decode_dup(const char *s, size_t n)
{
    char *out = malloc(n + 1);

    if (out != NULL) {
        url_decode(s, n, out, n + 1);
    }
    return out;
}

static int add_params(struct http_req *r, const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t end = i, eq;
        struct http_param *grown;
        while (end < n && s[end] != '&') {
            end++;
        }
        for (eq = i; eq < end && s[eq] != '='; eq++) {
        }
        if (end > i) {
            grown = realloc(r->params, (r->nparams + 1) * sizeof(*grown));
            if (grown == NULL) {
                return -1;
            }
            r->params = grown;
            r->params[r->nparams].name = decode_dup(s + i, eq - i);
            r->params[r->nparams].value =
                eq < end ? decode_dup(s + eq + 1, end - eq - 1) : decode_dup("", 0);
            if (r->params[r->nparams].name == NULL || r->params[r->nparams].value == NULL) {
                free(r->params[r->nparams].name);
                free(r->params[r->nparams].value);
                return -1;
            }
            r->nparams++;
        }
        i = end + 1;
    }
    return 0;
}

static bool body_is_form(const struct http_req *r)
{
    const char *ct;

    if (strcmp(r->method, "POST") != 0 || r->body_len == 0) {
        return false;
    }
    ct = http_req_header(r, "content-type");
    return ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

const char *http_req_param(struct http_req *r, const char *name)
{
    if (!r->parsed) {
        r->parsed = true;
        if (add_params(r, r->query, strlen(r->query)) != 0 ||
            (body_is_form(r) && add_params(r, r->body, r->body_len) != 0)) {
            log_error("out of memory parsing parameters of %s", r->path);
        }
    }
    for (size_t i = 0; i < r->nparams; i++) {
        if (strcmp(r->params[i].name, name) == 0) {
            return r->params[i].value;
        }
    }
    return NULL;
}

const char *http_req_method(const struct http_req *r)
{
    return r->method;
}

const char *http_req_path(const struct http_req *r)
{
    return r->path;
}

const char *http_req_query(const struct http_req *r)
{
    return r->query;
}

const char *http_req_body(const struct http_req *r, size_t *len)
{
    if (len != NULL) {
        *len = r->body_len;
    }
    return r->body;
}

const char *http_req_header(const struct http_req *r, const char *name)
{
    if (r->req == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < r->req->headers.size; i++) {
        const h2o_header_t *h = r->req->headers.entries + i;
        if (h->name->len == strlen(name) && strncasecmp(h->name->base, name, h->name->len) == 0) {
            /* A NUL-terminated copy in the request's pool, alive until the answer. */
            return h2o_strdup(&r->req->pool, h->value.base, h->value.len).base;
        }
    }
    return NULL;
}

const char *http_req_remote_ip(const struct http_req *r)
{
    return r->remote_ip;
}

bool http_req_gone(const struct http_req *r)
{
    return r->req == NULL;
}

void http_req_reply_raw(struct http_req *r, int status, const char *reason,
                        const char *content_type, const char *body, size_t len,
                        const char *extra_name, const char *extra_value)
{
    h2o_req_t *req = r->req;

    http_server_account(r->server, r->route, r->start_us);
    if (req != NULL) {
        req->res.status = status;
        req->res.reason = reason;
        /* h2o_send_inline does not set it; without it HTTP/1.1 falls back to chunked. */
        req->res.content_length = len;
        if (content_type != NULL) {
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                           content_type, strlen(content_type));
        }
        if (extra_name != NULL) {
            /* h2o keeps header pointers: the value must live in the request's pool. */
            h2o_iovec_t v = h2o_strdup(&req->pool, extra_value, strlen(extra_value));
            h2o_add_header_by_str(&req->pool, &req->res.headers, extra_name, strlen(extra_name), 1,
                                  NULL, v.base, v.len);
        }
        h2o_send_inline(req, body, len);
    }
    req_free(r);
}

static void reply_envelope(struct http_req *r, int code, const char *msg, json_t *data, int status,
                           const char *reason, const char *extra_name, const char *extra_value)
{
    json_t *env = json_object();
    char *text = NULL;

    if (env != NULL) {
        json_object_set_new(env, "code", json_integer(code));
        json_object_set_new(env, "msg", json_string(msg));
        json_object_set_new(env, "data", data != NULL ? data : json_null());
        data = NULL;
        text = json_dumps(env, JSON_COMPACT | JSON_REAL_PRECISION(15));
        json_decref(env);
    }
    json_decref(data);
    if (text == NULL) {
        static const char oom[] = "{\"code\":1,\"msg\":\"internal error\",\"data\":null}";
        http_req_reply_raw(r, 200, "OK", "application/json", oom, sizeof(oom) - 1, NULL, NULL);
        return;
    }
    http_req_reply_raw(r, status, reason, "application/json", text, strlen(text), extra_name,
                       extra_value);
    free(text);
}

void http_req_reply_ok(struct http_req *r, json_t *data)
{
    reply_envelope(r, 0, "success", data, 200, "OK", NULL, NULL);
}

void http_req_reply_error(struct http_req *r, int code, const char *fmt, ...)
{
    char msg[ERRMSG_SIZE * 2];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* json_string refuses invalid UTF-8; echoed user input could hold some. */
    for (char *p = msg; *p != '\0'; p++) {
        if ((unsigned char)*p >= 0x80) {
            *p = '?';
        }
    }
    reply_envelope(r, code, msg, NULL, 200, "OK", NULL, NULL);
}

void http_req_reply_envelope(struct http_req *r, const char *body, size_t len)
{
    http_req_reply_raw(r, 200, "OK", "application/json", body, len, NULL, NULL);
}

void http_req_redirect(struct http_req *r, const char *url, int code, const char *msg)
{
    reply_envelope(r, code, msg, NULL, 307, "Temporary Redirect", "location", url);
}

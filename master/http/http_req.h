/* One HTTP request to the master: its parameters and the ways to answer it.
 *
 * Parameters come from the query string and, for POSTs with an urlencoded body, from the body,
 * with CubeFS's "form value" rule: the first occurrence wins and the query comes first. Values
 * are percent- and '+'-decoded.
 *
 * A handler answers exactly once, now or later, from the loop thread. If the client went away
 * in between, the late answer is dropped and the request released; h2o never sees a dangling
 * request (see the guard in http_req.c). */
#ifndef CFS_MASTER_HTTP_HTTP_REQ_H
#define CFS_MASTER_HTTP_HTTP_REQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct http_req;

const char *http_req_method(const struct http_req *r);
const char *http_req_path(const struct http_req *r);  /* without the query */
const char *http_req_query(const struct http_req *r); /* after '?', "" when none */

/* The decoded value of a parameter, or NULL when absent. */
const char *http_req_param(struct http_req *r, const char *name);

/* The raw body (not NUL-terminated copy semantics: it is NUL-terminated) and its length. */
const char *http_req_body(const struct http_req *r, size_t *len);

/* A request header's value, or NULL (name is case-insensitive). */
const char *http_req_header(const struct http_req *r, const char *name);

/* The client's IP address as text. */
const char *http_req_remote_ip(const struct http_req *r);

/* True once the client has disconnected; answering is then a no-op. */
bool http_req_gone(const struct http_req *r);

/* {"code":0,"msg":"success","data":<data>}; takes the reference (NULL means null). */
void http_req_reply_ok(struct http_req *r, json_t *data);

/* {"code":code,"msg":"...","data":null} with HTTP 200, as CubeFS answers handled errors. */
void http_req_reply_error(struct http_req *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A ready-made envelope (cached views), copied. */
void http_req_reply_envelope(struct http_req *r, const char *body, size_t len);

/* Any status and body (404, 405, 503, /metrics); extra_name/extra_value add one header (may be
 * NULL). */
void http_req_reply_raw(struct http_req *r, int status, const char *reason,
                        const char *content_type, const char *body, size_t len,
                        const char *extra_name, const char *extra_value);

/* 307 Temporary Redirect to url (copied) with the envelope as body. */
void http_req_redirect(struct http_req *r, const char *url, int code, const char *msg);

#endif

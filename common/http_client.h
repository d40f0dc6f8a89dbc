/* HTTP calls to the masters, with libcurl.
 *
 * A client holds the list of master addresses. Each request tries the master that answered last,
 * then the others in turn; a transport error or any HTTP status other than 200 means "try the next
 * one" (a follower without a leader answers 503). 307 redirects to the leader are followed, POST
 * bodies included. When no master answers, the error names every master tried and why, e.g.
 * "no master answered: 127.0.0.1:17010 (Connection refused), 127.0.0.2:17010 (HTTP 503)"; the
 * reasons are short (cut when they must be) so that five masters fit in ERRMSG_SIZE.
 *
 * Requests may be issued from several threads at once (each uses its own curl handle); call
 * http_client_global_init() once from main() before starting threads. */
#ifndef CFS_COMMON_HTTP_CLIENT_H
#define CFS_COMMON_HTTP_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_client;

struct http_client_options {
    uint32_t timeout_ms;         /* whole request, per master; default 30 s */
    uint32_t connect_timeout_ms; /* default 3 s */
};

struct http_response {
    long status; /* 200 when the call returned 0 */
    char *body;  /* malloc'd, NUL-terminated */
    size_t len;
    char master[128]; /* the master from the list that answered (before redirects) */
};

int http_client_global_init(void);

void http_client_options_default(struct http_client_options *o);

/* masters are "host:port" (an "http://" prefix is accepted). */
int http_client_new(const char *const *masters, size_t n, const struct http_client_options *o,
                    struct http_client **out, char *errmsg);
void http_client_free(struct http_client *c);

/* method "GET" or "POST"; path includes the query string ("/dataNode/add?addr=..."); body may be
 * NULL. Returns CFS_ENOLEADER, with every master and its reason in errmsg, when none answered
 * 200. */
int http_client_request(struct http_client *c, const char *method, const char *path,
                        const void *body, size_t len, const char *content_type,
                        struct http_response *out, char *errmsg);

void http_response_free(struct http_response *r);

/* Parse a {"code","msg","data"} envelope. *data (may be NULL) gets a new reference. */
int http_envelope_parse(const char *body, size_t len, int *code, char *msg, size_t msg_size,
                        json_t **data, char *errmsg);

/* request + envelope: 0 with *data (new reference, may be NULL) when code is 0; CFS_EREMOTE with
 * errmsg = the envelope's msg and *api_code set when the master answered with an error code. */
int http_client_call(struct http_client *c, const char *method, const char *path, const void *body,
                     size_t len, int *api_code, json_t **data, char *errmsg);

/* A response body growing as libcurl delivers it (CURLOPT_WRITEFUNCTION http_body_write,
 * CURLOPT_WRITEDATA a zeroed struct http_body), NUL-terminated; free(data) when done. Out of
 * memory, or a body longer than max (when max is set; too_big says so), aborts the transfer
 * (CURLE_WRITE_ERROR). */
struct http_body {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* 0: no bound */
    bool too_big;
};
size_t http_body_write(char *ptr, size_t size, size_t nmemb, void *body);

/* For CURLOPT_HEADERFUNCTION callbacks: true, with the value (spaces and CRLF trimmed) in dst,
 * when the header line of n bytes is "name: value" (name case-insensitive). */
bool http_header_value(const char *line, size_t n, const char *name, char *dst, size_t size);

/* Percent-encode a query value into buf; the same as url_escape() in common/url.h. */
char *http_escape(const char *value, char *buf, size_t size);

#endif

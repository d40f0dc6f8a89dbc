/* Shared by http_server.c and http_req.c only. */
#ifndef CFS_MASTER_HTTP_HTTP_INTERNAL_H
#define CFS_MASTER_HTTP_HTTP_INTERNAL_H

#include "master/http/http_server.h"

#include <h2o.h>

struct http_param {
    char *name;
    char *value;
};

/* Lives in the h2o request pool; h2o disposes it when the request goes away, which tells a
 * pending http_req that its client is gone. Detached (r = NULL) once we answered. */
struct http_guard {
    struct http_req *r;
};

struct http_req {
    h2o_req_t *req; /* NULL once the client is gone */
    struct http_guard *guard;
    struct http_server *server;
    size_t route; /* index into the server's routes, or SIZE_MAX */
    uint64_t start_us;
    char method[8];
    char *path;
    char *query;
    char *body;
    size_t body_len;
    char remote_ip[64];
    struct http_param *params;
    size_t nparams;
    bool parsed;
};

/* Build the request wrapper for an h2o request (route resolved by the caller). */
struct http_req *http_req_new(struct http_server *s, h2o_req_t *req, size_t route);

/* Account a finished request to its route (called once per answer). */
void http_server_account(struct http_server *s, size_t route, uint64_t start_us);

uint64_t http_now_us(void);

#endif

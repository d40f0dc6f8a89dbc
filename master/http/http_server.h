/* The master's HTTP server: h2o on the master's libuv loop.
 *
 * Routes are matched on the exact path (CubeFS's router does not match prefixes): an unknown path
 * answers 404 "404 page not found", a known path with a method it does not take answers 405 with
 * an empty body. Before a route's handler runs, the interceptor may answer instead (leader
 * redirect, no leader). Request counts and latencies are kept per route for /metrics. */
#ifndef CFS_MASTER_HTTP_HTTP_SERVER_H
#define CFS_MASTER_HTTP_HTTP_SERVER_H

#include "master/http/http_req.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

enum { HTTP_GET = 1u << 0, HTTP_POST = 1u << 1 };

typedef void (*http_handler_fn)(struct http_req *r, void *arg);

struct http_route {
    const char *path;
    unsigned methods; /* HTTP_GET | HTTP_POST */
    unsigned flags;   /* the interceptor's business (follower-served routes, ...) */
    http_handler_fn fn;
};

/* Return true when the interceptor answered r itself; the handler then does not run. */
typedef bool (*http_intercept_fn)(struct http_req *r, const struct http_route *route, void *arg);

#define HTTP_LATENCY_BUCKETS 10

struct http_route_stats {
    const char *path;
    uint64_t count;
    uint64_t sum_us;
    uint64_t buckets[HTTP_LATENCY_BUCKETS]; /* cumulative counts for http_latency_bounds_us */
};

extern const uint64_t http_latency_bounds_us[HTTP_LATENCY_BUCKETS];

struct http_server;

/* routes must stay valid while the server runs. */
int http_server_start(uv_loop_t *loop, const char *ip, uint16_t port,
                      const struct http_route *routes, size_t nroutes, http_intercept_fn intercept,
                      void *arg, struct http_server **out, char *errmsg);

uint16_t http_server_port(const struct http_server *s);

/* Stop accepting and close idle connections; done fires once the listener is closed. Requests
 * still pending are answered or dropped by their owners. */
void http_server_stop(struct http_server *s, void (*done)(void *arg), void *arg);

/* Teardown at exit, after http_server_stop and the loop's last run: dispose closes h2o's own
 * handles (call it before closing whatever else is left on the loop); free releases the memory
 * once the loop has finished those closes. A server with client connections still open cannot
 * be disposed by h2o 2.2 and is left to the process exit. */
void http_server_dispose(struct http_server *s);
void http_server_free(struct http_server *s);

/* Per-route counters (array of nroutes, in route order). */
const struct http_route_stats *http_server_stats(const struct http_server *s, size_t *n);

#endif

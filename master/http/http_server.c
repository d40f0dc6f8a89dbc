#define LOG_TAG "http"

#include "master/http/http_internal.h"

#include "common/errors.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Happy path: the listener accepts, h2o parses, on_req finds the route by exact path, checks the
 * method, lets the interceptor decide, and calls the handler, which answers through http_req.
 * Failure modes: unknown path 404, wrong method 405, no memory for the request wrapper 503.
 * h2o 2.2 cannot dispose a context while client connections still reference it, so the server
 * is freed only after the loop has closed every handle, connections included. */

const uint64_t http_latency_bounds_us[HTTP_LATENCY_BUCKETS] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 500000, 1000000};

struct route_handler {
    h2o_handler_t super;
    struct http_server *server;
};

struct http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    const struct http_route *routes;
    size_t nroutes;
    struct http_route_stats *stats;
    http_intercept_fn intercept;
    void *arg;
    uint16_t port;
    bool closing;
    bool disposed;
    size_t nconns; /* client connections whose handle is not closed yet */
    void (*done)(void *arg);
    void *done_arg;
};

/* An accepted connection's handle, and the server that counts it. */
struct conn {
    uv_tcp_t tcp; /* first: h2o hands this pointer to the close callback */
    struct http_server *server;
};

static void conn_closed_cb(uv_handle_t *h)
{
    struct conn *c = (struct conn *)h;

    c->server->nconns--;
    free(c);
}

static size_t find_route(const struct http_server *s, const char *path, size_t len)
{
    for (size_t i = 0; i < s->nroutes; i++) {
        if (strlen(s->routes[i].path) == len && memcmp(s->routes[i].path, path, len) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

static unsigned method_bit(const h2o_iovec_t *m)
{
    if (h2o_memis(m->base, m->len, H2O_STRLIT("GET"))) {
        return HTTP_GET;
    }
    if (h2o_memis(m->base, m->len, H2O_STRLIT("POST"))) {
        return HTTP_POST;
    }
    return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    static const char not_found[] = "404 page not found\n";
    struct http_server *s = ((struct route_handler *)self)->server;
    /* Match the raw path, not h2o's normalised one: CubeFS's router does not clean paths. */
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    size_t route = find_route(s, req->path.base, plen);
    struct http_req *r = http_req_new(s, req, route);

    if (r == NULL) {
        h2o_send_error_503(req, "Service Unavailable", "out of memory", 0);
        return 0;
    }
    if (route == SIZE_MAX) {
        http_req_reply_raw(r, 404, "Not Found", "text/plain; charset=utf-8", not_found,
                           sizeof(not_found) - 1, NULL, NULL);
        return 0;
    }
    if ((method_bit(&req->method) & s->routes[route].methods) == 0) {
        http_req_reply_raw(r, 405, "Method Not Allowed", NULL, "", 0, NULL, NULL);
        return 0;
    }
    if (s->intercept != NULL && s->intercept(r, &s->routes[route], s->arg)) {
        return 0;
    }
    s->routes[route].fn(r, s->arg);
    return 0;
}

static void on_accept(uv_stream_t *listener, int status)
{
    struct http_server *s = listener->data;
    struct conn *conn;
    h2o_socket_t *sock;

    if (status != 0 || s->closing) {
        return;
    }
    conn = malloc(sizeof(*conn));
    if (conn == NULL) {
        return;
    }
    conn->server = s;
    s->nconns++;
    uv_tcp_init(listener->loop, &conn->tcp);
    if (uv_accept(listener, (uv_stream_t *)&conn->tcp) != 0) {
        uv_close((uv_handle_t *)&conn->tcp, conn_closed_cb);
        return;
    }
    uv_tcp_nodelay(&conn->tcp, 1);
    sock = h2o_uv_socket_create((uv_stream_t *)&conn->tcp, conn_closed_cb);
    h2o_accept(&s->accept_ctx, sock);
}

void http_server_account(struct http_server *s, size_t route, uint64_t start_us)
{
    struct http_route_stats *st;
    uint64_t us;

    if (route >= s->nroutes) {
        return;
    }
    st = &s->stats[route];
    us = http_now_us() - start_us;
    st->count++;
    st->sum_us += us;
    for (int i = 0; i < HTTP_LATENCY_BUCKETS; i++) {
        if (us <= http_latency_bounds_us[i]) {
            st->buckets[i]++;
        }
    }
}

static void failed_listener_closed_cb(uv_handle_t *h)
{
    struct http_server *s = h->data;

    free(s->stats);
    free(s);
}

int http_server_start(uv_loop_t *loop, const char *ip, uint16_t port,
                      const struct http_route *routes, size_t nroutes, http_intercept_fn intercept,
                      void *arg, struct http_server **out, char *errmsg)
{
    struct http_server *s = calloc(1, sizeof(*s));
    struct route_handler *h;
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    int rv;

    if (s == NULL) {
        return -ENOMEM;
    }
    s->stats = calloc(nroutes, sizeof(*s->stats));
    if (s->stats == NULL) {
        free(s);
        return -ENOMEM;
    }
    for (size_t i = 0; i < nroutes; i++) {
        s->stats[i].path = routes[i].path;
    }
    s->loop = loop;
    s->routes = routes;
    s->nroutes = nroutes;
    s->intercept = intercept;
    s->arg = arg;
    rv = uv_ip4_addr(ip, port, &addr);
    if (rv != 0) {
        errors_set(errmsg, "listen address %s:%u: %s", ip, port, uv_strerror(rv));
        goto fail;
    }
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    rv = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0);
    if (rv == 0) {
        rv = uv_listen((uv_stream_t *)&s->listener, 1024, on_accept);
    }
    if (rv != 0) {
        errors_set(errmsg, "listen on %s:%u: %s", ip, port, uv_strerror(rv));
        /* The handle closes on the next loop turn; s goes with it. */
        uv_close((uv_handle_t *)&s->listener, failed_listener_closed_cb);
        return rv;
    }
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
    s->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    h2o_config_init(&s->config);
    s->config.server_name = h2o_iovec_init(H2O_STRLIT("cfs-master"));
    h = (struct route_handler *)h2o_create_handler(
        h2o_config_register_path(
            h2o_config_register_host(&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535), "/",
            0),
        sizeof(*h));
    h->super.on_req = on_req;
    h->server = s;
    h2o_context_init(&s->ctx, loop, &s->config);
    s->accept_ctx.ctx = &s->ctx;
    s->accept_ctx.hosts = s->config.hosts;
    *out = s;
    return 0;
fail:
    free(s->stats);
    free(s);
    return rv;
}

uint16_t http_server_port(const struct http_server *s)
{
    return s->port;
}

static void listener_closed_cb(uv_handle_t *h)
{
    struct http_server *s = h->data;

    if (s->done != NULL) {
        s->done(s->done_arg);
    }
}

void http_server_stop(struct http_server *s, void (*done)(void *arg), void *arg)
{
    if (s->closing) {
        return;
    }
    s->closing = true;
    s->done = done;
    s->done_arg = arg;
    uv_close((uv_handle_t *)&s->listener, listener_closed_cb);
}

void http_server_dispose(struct http_server *s)
{
    if (s == NULL || s->disposed) {
        return;
    }
    if (s->nconns > 0) {
        /* h2o 2.2 cannot dispose a context that live connections still use; the process is
         * ending, so its memory is simply left to the exit. */
        log_warn("%zu client connections still open at exit", s->nconns);
        return;
    }
    h2o_context_dispose(&s->ctx);
    h2o_config_dispose(&s->config);
    s->disposed = true;
}

void http_server_free(struct http_server *s)
{
    if (s == NULL || !s->disposed) {
        return;
    }
    free(s->stats);
    free(s);
}

const struct http_route_stats *http_server_stats(const struct http_server *s, size_t *n)
{
    *n = s->nroutes;
    return s->stats;
}

/* A stand-in for cfs-master: h2o (libuv flavour) on its own loop thread.
 *
 * Happy path: mock_master_start binds and listens on the caller's thread (so a bad address fails
 * synchronously), then a thread runs the loop; every request is answered at once on the loop
 * thread, and what tests read (counters, queries, posted bodies) sits behind one mutex, with a
 * condition variable for mock_master_take_post. Every response closes its connection
 * (http1_is_persistent = 0), so no keep-alive connection outlives a test.
 * Stop: a uv_async wakes the loop thread, which closes the listener and the async, then waits for
 * the open connections to close (a connection that never sends a request is closed by h2o's
 * request timeout, set to REQ_TIMEOUT_MS here), disposes the h2o context, closes the loop and
 * exits; mock_master_stop joins it.
 * Failure modes: bind/listen errors return from start with nothing left running; a request the
 * mock cannot build an answer for (out of memory, a body that is not UTF-8 for /echo) gets 500.
 *
 * h2o traps followed here (reference/deps-field-notes.md): Content-Length is set on every answer;
 * header values and the redirect URL live in req->pool; a wrong method gets an explicit 405. */
#include "tests/support/mock_master.h"

#include "common/url.h"

#include <errno.h>
#include <h2o.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#define REQ_TIMEOUT_MS   1000
#define FIRST_NODE_ID    2  /* CubeFS's common ID allocator starts above 1 */
#define POOL_RECYCLE_MAX 16 /* h2o 2.2.5 lib/common/memory.c: mempool_allocator = {16} */

struct path_stat {
    char *path;
    size_t count;
    char *last_query;
    struct path_stat *next;
};

struct post {
    char *path;
    char *body;
    struct post *next;
};

struct node {
    char addr[64];
    uint64_t id;
    struct node *next;
};

struct mock_master {
    /* Loop thread only. */
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_async_t stop_async;
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    size_t live_conns;
    bool closing;
    /* Set before the thread starts, read-only afterwards. */
    pthread_t thread;
    uint16_t port;
    /* Shared with test threads, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t posted;
    int fail_registrations;
    char *leader;
    struct path_stat *stats;
    struct post *posts_head, **posts_tail;
    struct node *nodes;
    uint64_t next_node_id;
};

struct mock_handler {
    h2o_handler_t super;
    struct mock_master *m;
};

typedef void (*route_fn)(struct mock_master *m, h2o_req_t *req);

/* ------------------------------------------------------------------------------------------ */
/* Responses                                                                                  */

static void send_text(h2o_req_t *req, int status, const char *reason, const char *body)
{
    h2o_send_error_generic(req, status, reason, body, H2O_SEND_ERROR_HTTP1_CLOSE_CONNECTION);
}

/* Answer the envelope {"code","msg","data"}; steals data (which may be NULL for null). */
static void send_envelope(h2o_req_t *req, int code, const char *msg, json_t *data)
{
    json_t *env = json_pack("{s:i,s:s,s:o*}", "code", code, "msg", msg, "data", data);
    char *text = env != NULL ? json_dumps(env, JSON_COMPACT) : NULL;

    json_decref(env);
    if (text == NULL) {
        send_text(req, 500, "Internal Server Error", "out of memory");
        return;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = strlen(text);
    req->http1_is_persistent = 0;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
    h2o_send_inline(req, text, req->res.content_length);
    free(text);
}

static void send_success(h2o_req_t *req, json_t *data)
{
    if (data == NULL) {
        send_text(req, 500, "Internal Server Error", "out of memory");
        return;
    }
    send_envelope(req, 0, "success", data);
}

/* ------------------------------------------------------------------------------------------ */
/* Requests                                                                                   */

static h2o_iovec_t query_of(const h2o_req_t *req)
{
    if (req->query_at == SIZE_MAX) {
        return h2o_iovec_init("", 0);
    }
    return h2o_iovec_init(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1);
}

/* The decoded value of query parameter name into out; false when absent or too long. */
static bool query_param(const h2o_req_t *req, const char *name, char *out, size_t size)
{
    h2o_iovec_t q = query_of(req);
    size_t name_len = strlen(name);
    size_t i = 0;

    while (i < q.len) {
        size_t end = i;
        while (end < q.len && q.base[end] != '&') {
            end++;
        }
        if (end - i > name_len && memcmp(q.base + i, name, name_len) == 0 &&
            q.base[i + name_len] == '=') {
            return url_decode(q.base + i + name_len + 1, end - i - name_len - 1, out, size) == 0;
        }
        i = end + 1;
    }
    return false;
}

static bool path_is(const h2o_req_t *req, const char *path)
{
    return h2o_memis(req->path_normalized.base, req->path_normalized.len, path, strlen(path));
}

/* ------------------------------------------------------------------------------------------ */
/* Routes                                                                                     */

static void route_get_ip(struct mock_master *m, h2o_req_t *req)
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    char ip[1025] = ""; /* NI_MAXHOST, which h2o_socket_getnumerichost assumes */

    (void)m;
    if (len != 0 && h2o_socket_getnumerichost((struct sockaddr *)&ss, len, ip) == SIZE_MAX) {
        ip[0] = '\0';
    }
    send_success(req, json_pack("{s:s,s:s,s:i,s:i,s:i,s:i}", "Cluster", "mockcluster", "Ip", ip,
                                "MetaNodeDeleteBatchCount", 0, "MetaNodeDeleteWorkerSleepMs", 0,
                                "DataNodeDeleteLimitRate", 0, "DataNodeAutoRepairLimitRate", 0));
}

/* The node ID for addr, allocating one for a new address; 0 when out of memory. Under mu. */
static uint64_t node_id_locked(struct mock_master *m, const char *addr)
{
    struct node *n;

    for (n = m->nodes; n != NULL; n = n->next) {
        if (strcmp(n->addr, addr) == 0) {
            return n->id;
        }
    }
    n = calloc(1, sizeof(*n));
    if (n == NULL) {
        return 0;
    }
    snprintf(n->addr, sizeof(n->addr), "%s", addr);
    n->id = m->next_node_id++;
    n->next = m->nodes;
    m->nodes = n;
    return n->id;
}

static void route_add_node(struct mock_master *m, h2o_req_t *req)
{
    char addr[64];
    bool fail;
    uint64_t id = 0;

    if (!query_param(req, "addr", addr, sizeof(addr))) {
        send_envelope(req, 2, "parameter addr not found", NULL);
        return;
    }
    pthread_mutex_lock(&m->mu);
    fail = m->fail_registrations > 0;
    if (fail) {
        m->fail_registrations--;
    } else {
        id = node_id_locked(m, addr);
    }
    pthread_mutex_unlock(&m->mu);
    if (fail) {
        send_text(req, 503, "Service Unavailable", "no leader");
        return;
    }
    send_success(req, id != 0 ? json_integer((json_int_t)id) : NULL);
}

static void route_response(struct mock_master *m, h2o_req_t *req)
{
    struct post *p = calloc(1, sizeof(*p));

    if (p != NULL) {
        p->path = strndup(req->path_normalized.base, req->path_normalized.len);
        p->body = strndup(req->entity.base != NULL ? req->entity.base : "", req->entity.len);
    }
    if (p == NULL || p->path == NULL || p->body == NULL) {
        if (p != NULL) {
            free(p->path);
            free(p->body);
            free(p);
        }
        send_text(req, 500, "Internal Server Error", "out of memory");
        return;
    }
    pthread_mutex_lock(&m->mu);
    *m->posts_tail = p;
    m->posts_tail = &p->next;
    pthread_cond_broadcast(&m->posted);
    pthread_mutex_unlock(&m->mu);
    send_success(req, json_string("200"));
}

static void route_echo(struct mock_master *m, h2o_req_t *req)
{
    h2o_iovec_t q = query_of(req);

    (void)m;
    send_success(req, json_pack("{s:s%,s:s%,s:s%,s:s%}", "method", req->method.base,
                                req->method.len, "path", req->path_normalized.base,
                                req->path_normalized.len, "query", q.base, q.len, "body",
                                req->entity.base != NULL ? req->entity.base : "", req->entity.len));
}

static const struct {
    const char *path;
    const char *method; /* NULL: any */
    route_fn fn;
} routes[] = {
    {"/admin/getIp", "GET", route_get_ip},          {"/dataNode/add", "GET", route_add_node},
    {"/metaNode/add", "GET", route_add_node},       {"/dataNode/response", "POST", route_response},
    {"/metaNode/response", "POST", route_response}, {"/echo", NULL, route_echo},
};

/* Count the request and, when redirecting, copy the leader into the request pool. Under mu. */
static int record_locked(struct mock_master *m, h2o_req_t *req, h2o_iovec_t *leader)
{
    h2o_iovec_t q = query_of(req);
    struct path_stat *s;
    char *query;

    for (s = m->stats; s != NULL; s = s->next) {
        if (path_is(req, s->path)) {
            break;
        }
    }
    if (s == NULL) {
        s = calloc(1, sizeof(*s));
        if (s == NULL ||
            (s->path = strndup(req->path_normalized.base, req->path_normalized.len)) == NULL) {
            free(s);
            return -ENOMEM;
        }
        s->next = m->stats;
        m->stats = s;
    }
    query = strndup(q.base, q.len);
    if (query == NULL) {
        return -ENOMEM;
    }
    free(s->last_query);
    s->last_query = query;
    s->count++;
    *leader = m->leader != NULL && !path_is(req, "/admin/getIp")
                  ? h2o_strdup(&req->pool, m->leader, SIZE_MAX)
                  : h2o_iovec_init(NULL, 0);
    return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct mock_master *m = ((struct mock_handler *)self)->m;
    h2o_iovec_t leader;
    int rv;

    pthread_mutex_lock(&m->mu);
    rv = record_locked(m, req, &leader);
    pthread_mutex_unlock(&m->mu);
    if (rv != 0) {
        send_text(req, 500, "Internal Server Error", "out of memory");
        return 0;
    }
    if (leader.base != NULL) {
        /* req->path keeps the query; the URL must outlive this call, hence the pool. */
        h2o_iovec_t url =
            h2o_concat(&req->pool, h2o_iovec_init(H2O_STRLIT("http://")), leader, req->path);
        req->http1_is_persistent = 0;
        h2o_send_redirect(req, 307, "Temporary Redirect", url.base, url.len);
        return 0;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!path_is(req, routes[i].path)) {
            continue;
        }
        if (routes[i].method != NULL && !h2o_memis(req->method.base, req->method.len,
                                                   routes[i].method, strlen(routes[i].method))) {
            send_text(req, 405, "Method Not Allowed", "");
        } else {
            routes[i].fn(m, req);
        }
        return 0;
    }
    send_text(req, 404, "Not Found", "404 page not found");
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Loop thread                                                                                */

static void free_handle_cb(uv_handle_t *h)
{
    free(h);
}

/* h2o closes the connection's uv handle with this callback. */
static void conn_closed_cb(uv_handle_t *h)
{
    struct mock_master *m = h->loop->data;

    free(h);
    m->live_conns--;
    if (m->closing && m->live_conns == 0) {
        uv_stop(&m->loop);
    }
}

static void on_accept(uv_stream_t *listener, int status)
{
    struct mock_master *m = listener->loop->data;
    uv_tcp_t *conn;

    if (m->closing || status != 0) {
        return;
    }
    conn = malloc(sizeof(*conn));
    if (conn == NULL) {
        return;
    }
    uv_tcp_init(&m->loop, conn);
    if (uv_accept(listener, (uv_stream_t *)conn) != 0) {
        uv_close((uv_handle_t *)conn, free_handle_cb);
        return;
    }
    m->live_conns++;
    h2o_accept(&m->accept_ctx, h2o_uv_socket_create((uv_stream_t *)conn, conn_closed_cb));
}

static void stop_cb(uv_async_t *async)
{
    struct mock_master *m = async->loop->data;

    if (m->closing) {
        return;
    }
    m->closing = true;
    uv_close((uv_handle_t *)&m->listener, NULL);
    uv_close((uv_handle_t *)&m->stop_async, NULL);
    /* No h2o_context_request_shutdown(): every answer already closes its connection, and in
     * 2.2.5 it links an HTTP/2 GOAWAY timer into one_sec_timeout that must fire (a second later)
     * before h2o_context_dispose, which asserts that no timer is pending.
     * h2o's own async handle keeps the loop alive, so the loop is stopped explicitly once the
     * last connection has closed (conn_closed_cb). */
    if (m->live_conns == 0) {
        uv_stop(&m->loop);
    }
}

/* h2o 2.2.5 keeps freed memory in per-thread lists that die with the thread, which LeakSanitizer
 * rightly reports: socket buffers (h2o_socket_buffer_prototype, public) and up to
 * POOL_RECYCLE_MAX request-pool chunks (a static list in memory.c that no API empties). A pool
 * given one small allocation takes exactly one chunk, from that list while it has any, and the
 * chunk is a plain malloc block at pool.chunks; freeing it directly, instead of clearing the pool
 * (which would put it back), empties the list. */
static void release_thread_caches(void)
{
    while (h2o_socket_buffer_prototype.allocator.cnt > 0) {
        free(h2o_mem_alloc_recycle(&h2o_socket_buffer_prototype.allocator, 0));
    }
    for (int i = 0; i < POOL_RECYCLE_MAX; i++) {
        h2o_mem_pool_t pool;
        h2o_mem_init_pool(&pool);
        h2o_mem_alloc_pool(&pool, 1);
        free(pool.chunks);
    }
}

/* Release h2o and the loop; the listener and the async are closed (or were never opened). Runs on
 * the loop thread, or on the starting thread when start fails before the loop thread exists. */
static void teardown(struct mock_master *m)
{
    h2o_context_dispose(&m->ctx);
    h2o_config_dispose(&m->config);
    uv_run(&m->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&m->loop) != 0) {
        fprintf(stderr, "mock_master: loop closed with open handles\n");
    }
    release_thread_caches();
}

static void *loop_thread(void *arg)
{
    struct mock_master *m = arg;

    uv_run(&m->loop, UV_RUN_DEFAULT);
    teardown(m);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* API                                                                                        */

static void destroy_sync(struct mock_master *m)
{
    pthread_cond_destroy(&m->posted);
    pthread_mutex_destroy(&m->mu);
}

static void free_state(struct mock_master *m)
{
    while (m->stats != NULL) {
        struct path_stat *s = m->stats;
        m->stats = s->next;
        free(s->path);
        free(s->last_query);
        free(s);
    }
    while (m->posts_head != NULL) {
        struct post *p = m->posts_head;
        m->posts_head = p->next;
        free(p->path);
        free(p->body);
        free(p);
    }
    while (m->nodes != NULL) {
        struct node *n = m->nodes;
        m->nodes = n->next;
        free(n);
    }
    free(m->leader);
    destroy_sync(m);
    free(m);
}

static int init_sync(struct mock_master *m)
{
    pthread_condattr_t attr;
    int rv;

    rv = pthread_mutex_init(&m->mu, NULL);
    if (rv != 0) {
        return -rv;
    }
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    rv = pthread_cond_init(&m->posted, &attr);
    pthread_condattr_destroy(&attr);
    if (rv != 0) {
        pthread_mutex_destroy(&m->mu);
        return -rv;
    }
    return 0;
}

static void init_h2o(struct mock_master *m)
{
    h2o_hostconf_t *host;
    h2o_pathconf_t *path;
    struct mock_handler *h;

    h2o_config_init(&m->config);
    m->config.http1.req_timeout = REQ_TIMEOUT_MS;
    host = h2o_config_register_host(&m->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    path = h2o_config_register_path(host, "/", 0);
    h = (struct mock_handler *)h2o_create_handler(path, sizeof(*h));
    h->super.on_req = on_req;
    h->m = m;
    h2o_context_init(&m->ctx, &m->loop, &m->config);
    m->accept_ctx.ctx = &m->ctx;
    m->accept_ctx.hosts = m->config.hosts;
}

/* Bind and listen on ip:port and learn the port. */
static int listen_on(struct mock_master *m, const char *ip, uint16_t port)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    int rv;

    rv = uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss);
    if (rv != 0) {
        rv = uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss);
    }
    if (rv == 0) {
        rv = uv_tcp_bind(&m->listener, (const struct sockaddr *)&ss, 0);
    }
    if (rv == 0) {
        rv = uv_listen((uv_stream_t *)&m->listener, 128, on_accept);
    }
    if (rv == 0) {
        rv = uv_tcp_getsockname(&m->listener, (struct sockaddr *)&ss, &len);
    }
    if (rv == 0) {
        m->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return rv;
}

int mock_master_start(const char *ip, uint16_t port, struct mock_master **out)
{
    struct mock_master *m = calloc(1, sizeof(*m));
    int rv;

    if (m == NULL) {
        return -ENOMEM;
    }
    rv = init_sync(m);
    if (rv != 0) {
        goto err_free;
    }
    m->posts_tail = &m->posts_head;
    m->next_node_id = FIRST_NODE_ID;
    /* A client that hangs up while we write must not kill the test process. */
    signal(SIGPIPE, SIG_IGN);
    rv = uv_loop_init(&m->loop);
    if (rv != 0) {
        goto err_sync;
    }
    m->loop.data = m;
    init_h2o(m);
    uv_tcp_init(&m->loop, &m->listener);
    rv = listen_on(m, ip, port);
    if (rv != 0) {
        goto err_listener;
    }
    rv = uv_async_init(&m->loop, &m->stop_async, stop_cb);
    if (rv != 0) {
        goto err_listener;
    }
    rv = -pthread_create(&m->thread, NULL, loop_thread, m);
    if (rv != 0) {
        goto err_async;
    }
    *out = m;
    return 0;

err_async:
    uv_close((uv_handle_t *)&m->stop_async, NULL);
err_listener:
    uv_close((uv_handle_t *)&m->listener, NULL);
    teardown(m);
err_sync:
    destroy_sync(m);
err_free:
    free(m);
    return rv;
}

void mock_master_stop(struct mock_master *m)
{
    if (m == NULL) {
        return;
    }
    uv_async_send(&m->stop_async);
    pthread_join(m->thread, NULL);
    free_state(m);
}

uint16_t mock_master_port(const struct mock_master *m)
{
    return m->port;
}

void mock_master_fail_registrations(struct mock_master *m, int n)
{
    pthread_mutex_lock(&m->mu);
    m->fail_registrations = n;
    pthread_mutex_unlock(&m->mu);
}

void mock_master_redirect_to(struct mock_master *m, const char *leader)
{
    char *copy = leader != NULL ? strdup(leader) : NULL;

    pthread_mutex_lock(&m->mu);
    free(m->leader);
    m->leader = copy;
    pthread_mutex_unlock(&m->mu);
}

static struct path_stat *find_stat_locked(struct mock_master *m, const char *path)
{
    for (struct path_stat *s = m->stats; s != NULL; s = s->next) {
        if (strcmp(s->path, path) == 0) {
            return s;
        }
    }
    return NULL;
}

size_t mock_master_count(struct mock_master *m, const char *path)
{
    struct path_stat *s;
    size_t n;

    pthread_mutex_lock(&m->mu);
    s = find_stat_locked(m, path);
    n = s != NULL ? s->count : 0;
    pthread_mutex_unlock(&m->mu);
    return n;
}

char *mock_master_last_query(struct mock_master *m, const char *path)
{
    struct path_stat *s;
    char *q = NULL;

    pthread_mutex_lock(&m->mu);
    s = find_stat_locked(m, path);
    if (s != NULL && s->last_query != NULL) {
        q = strdup(s->last_query);
    }
    pthread_mutex_unlock(&m->mu);
    return q;
}

/* Unlink and return the oldest post to path, or NULL. Under mu. */
static struct post *take_post_locked(struct mock_master *m, const char *path)
{
    for (struct post **pp = &m->posts_head; *pp != NULL; pp = &(*pp)->next) {
        struct post *p = *pp;
        if (strcmp(p->path, path) == 0) {
            *pp = p->next;
            if (m->posts_tail == &p->next) {
                m->posts_tail = pp;
            }
            return p;
        }
    }
    return NULL;
}

char *mock_master_take_post(struct mock_master *m, const char *path, uint32_t timeout_ms)
{
    struct timespec deadline;
    struct post *p;
    char *body = NULL;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000u;
    deadline.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&m->mu);
    while ((p = take_post_locked(m, path)) == NULL) {
        if (pthread_cond_timedwait(&m->posted, &m->mu, &deadline) == ETIMEDOUT) {
            p = take_post_locked(m, path);
            break;
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (p != NULL) {
        body = p->body;
        free(p->path);
        free(p);
    }
    return body;
}

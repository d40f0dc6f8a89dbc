/* The runtime both node agents share.
 *
 * Threads: the caller's thread runs the uv loop (packet server, signals, two asyncs) and calls
 * every ops callback; one worker thread does all HTTP (blocking libcurl): first registration,
 * then the queue of task responses to POST.
 *
 * Happy path: the packet server listens; the worker calls /admin/getIp and /<role>/add until a
 * master answers code 0, stores the node ID and wakes the loop (registered_async) to call
 * ops->registered. Each packet is decoded as an AdminTask, handed to ops->handle, answered, and
 * when the handler left a Response, the task (Status and Response set) is queued for the worker,
 * which POSTs it to /<role>/response.
 * Shutdown (SIGTERM, SIGINT or node_agent_request_stop): on the loop thread, stop the packet
 * server, call ops->shutdown, tell the worker to stop (it gives up registering, posts what is
 * queued until DRAIN_MS have passed, drops the rest with a log line, and exits), and close the
 * signal and async handles; uv_run returns once every handle is closed; then the worker is joined.
 * Failure modes: a packet that is not an AdminTask is dropped with its connection; a handler that
 * answers nothing gets OpErr "unhandled opcode"; a master that fails moves registration or a POST
 * on to the next one (http_client); a POST no master takes is logged and dropped, the master
 * resends the task; a full queue drops the new response with a log line. */
#define LOG_TAG "agent"

#include "admin_task/node_agent.h"

#include "admin_task/packet_server.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/http_client.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#define DEFAULT_RETRY_MS 2000u
#define DRAIN_MS         5000u /* bound on posting queued responses at shutdown */
#define HTTP_TIMEOUT_MS  10000u
#define MAX_QUEUED       1024u
#define ADDR_SIZE        (TASK_ADDR_SIZE + 8)
#define PATH_SIZE        512

struct post {
    char id[TASK_ID_SIZE];
    char *body;
    size_t len;
    struct post *next;
};

struct node_agent {
    const struct node_agent_config *cfg;
    const struct node_agent_ops *ops;
    void *arg;
    char addr[ADDR_SIZE];
    _Atomic uint64_t node_id;
    struct http_client *http;
    pthread_t worker;

    /* Loop thread only. */
    uv_loop_t loop;
    uv_signal_t sigterm, sigint;
    uv_async_t stop_async;       /* node_agent_request_stop */
    uv_async_t registered_async; /* the worker registered */
    struct packet_server *server;
    bool shutting_down;
    char master_addr[TASK_ADDR_SIZE];

    /* Shared with the worker and with node_agent_request_stop, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;        /* the worker should finish */
    bool asyncs_closed;   /* no more uv_async_send */
    uint64_t drain_until; /* clock_mono_ms() deadline for posting at shutdown */
    struct post *head, **tail;
    size_t nqueued;
};

/* ------------------------------------------------------------------------------------------ */
/* Configuration                                                                              */

void node_agent_config_default(struct node_agent_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->local_ip, sizeof(c->local_ip), "127.0.0.1");
    snprintf(c->zone_name, sizeof(c->zone_name), "default");
    snprintf(c->log_level, sizeof(c->log_level), "info");
    c->register_retry_ms = DEFAULT_RETRY_MS;
    c->max_body = PACKET_DEFAULT_MAX_BODY;
}

/* "host:port" with a non-empty host and a port in 1-65535. */
static bool is_host_port(const char *s)
{
    const char *colon = strrchr(s, ':');
    char *end;
    unsigned long port;

    if (colon == NULL || colon == s || colon[1] == '\0') {
        return false;
    }
    port = strtoul(colon + 1, &end, 10);
    return *end == '\0' && colon[1] >= '0' && colon[1] <= '9' && port >= 1 && port <= 65535;
}

int node_agent_config_check(const struct node_agent_config *c, char *errmsg)
{
    struct in6_addr ip6;
    struct in_addr ip4;
    enum log_level level;

    if (c->listen < 1 || c->listen > 65535) {
        errors_set(errmsg, "listen: port %" PRIu32 " is out of range 1-65535", c->listen);
        return -EINVAL;
    }
    if (inet_pton(AF_INET, c->local_ip, &ip4) != 1 && inet_pton(AF_INET6, c->local_ip, &ip6) != 1) {
        errors_set(errmsg, "localIP: \"%s\" is not an IP address", c->local_ip);
        return -EINVAL;
    }
    if (c->nmasters == 0 || c->nmasters > NODE_AGENT_MAX_MASTERS) {
        errors_set(errmsg, "masterAddr: %" PRIu32 " addresses, expected 1 to %d", c->nmasters,
                   NODE_AGENT_MAX_MASTERS);
        return -EINVAL;
    }
    for (uint32_t i = 0; i < c->nmasters; i++) {
        if (!is_host_port(c->masters[i])) {
            errors_set(errmsg, "masterAddr[%" PRIu32 "]: \"%s\" is not host:port", i,
                       c->masters[i]);
            return -EINVAL;
        }
    }
    if (log_level_parse(c->log_level, &level) != 0) {
        errors_set(errmsg, "logLevel: unknown level \"%s\" (debug, info, warn, error)",
                   c->log_level);
        return -EINVAL;
    }
    if (c->zone_name[0] == '\0') {
        errors_set(errmsg, "zoneName: must not be empty");
        return -EINVAL;
    }
    if (c->register_retry_ms == 0) {
        errors_set(errmsg, "registerRetryMs: must be positive");
        return -EINVAL;
    }
    if (c->max_body < PACKET_HEADER_MAX_SIZE) {
        errors_set(errmsg, "maxPacketBytes: %" PRIu32 " is below %d", c->max_body,
                   PACKET_HEADER_MAX_SIZE);
        return -EINVAL;
    }
    return 0;
}

static void usage(FILE *out, const char *program)
{
    fprintf(out, "usage: %s -c CONFIG_FILE\n", program);
}

void node_agent_main_init(int argc, char **argv, const char *program, const struct jc_field *fields,
                          void *cfg, struct node_agent_config *agent_cfg)
{
    const char *path = NULL;
    char errmsg[ERRMSG_SIZE] = "";
    enum log_level level = LOG_LEVEL_INFO;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout, program);
            exit(0);
        }
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc && path == NULL) {
            path = argv[++i];
            continue;
        }
        fprintf(stderr, "%s: unexpected argument \"%s\"\n", program, argv[i]);
        usage(stderr, program);
        exit(2);
    }
    if (path == NULL) {
        usage(stderr, program);
        exit(2);
    }
    /* config_load's messages name the file; the check's name only the key. */
    if (config_load(path, fields, cfg, errmsg) == 0 &&
        node_agent_config_check(agent_cfg, errmsg) != 0) {
        errors_prefix(errmsg, "config %s", path);
    }
    if (errmsg[0] == '\0') {
        log_level_parse(agent_cfg->log_level, &level);
        log_level_from_env(level);
        log_open(agent_cfg->log_dir, program, errmsg);
    }
    if (errmsg[0] == '\0' && http_client_global_init() != 0) {
        errors_set(errmsg, "libcurl initialisation failed");
    }
    if (errmsg[0] != '\0') {
        fprintf(stderr, "%s: %s\n", program, errmsg);
        exit(1);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Worker thread: registration and posts                                                      */

static struct timespec deadline_in(uint32_t ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000u;
    ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Sleep ms unless a stop comes first; true when stopping. */
static bool wait_or_stop(struct node_agent *a, uint32_t ms)
{
    struct timespec until = deadline_in(ms);
    bool stopping;

    pthread_mutex_lock(&a->mu);
    while (!a->stopping && pthread_cond_timedwait(&a->cv, &a->mu, &until) != ETIMEDOUT) {
    }
    stopping = a->stopping;
    pthread_mutex_unlock(&a->mu);
    return stopping;
}

/* One registration attempt: 0 with *id, or an error described in errmsg. */
static int register_once(struct node_agent *a, uint64_t *id, char *errmsg)
{
    char path[PATH_SIZE], addr_q[3 * ADDR_SIZE], zone_q[3 * TASK_NAME_SIZE];
    json_t *data = NULL;
    int rv;

    rv = http_client_call(a->http, "GET", "/admin/getIp", NULL, 0, NULL, &data, errmsg);
    if (rv != 0) {
        errors_prefix(errmsg, "/admin/getIp");
        return rv;
    }
    if (json_is_string(json_object_get(data, "Cluster")) &&
        json_is_string(json_object_get(data, "Ip"))) {
        log_debug("cluster %s, seen from the master as %s",
                  json_string_value(json_object_get(data, "Cluster")),
                  json_string_value(json_object_get(data, "Ip")));
    }
    json_decref(data);
    data = NULL;
    snprintf(path, sizeof(path), "/%s/add?addr=%s&zoneName=%s", a->ops->role,
             http_escape(a->addr, addr_q, sizeof(addr_q)),
             http_escape(a->cfg->zone_name, zone_q, sizeof(zone_q)));
    rv = http_client_call(a->http, "GET", path, NULL, 0, NULL, &data, errmsg);
    if (rv == 0 && (!json_is_integer(data) || json_integer_value(data) <= 0)) {
        errors_set(errmsg, "the answer is not a node ID");
        rv = CFS_ETYPE;
    }
    if (rv == 0) {
        *id = (uint64_t)json_integer_value(data);
    } else {
        errors_prefix(errmsg, "/%s/add", a->ops->role);
    }
    json_decref(data);
    return rv;
}

/* Wake async on the loop thread, unless shutdown has closed it. */
static void wake_loop(struct node_agent *a, uv_async_t *async)
{
    pthread_mutex_lock(&a->mu);
    if (!a->asyncs_closed) {
        uv_async_send(async);
    }
    pthread_mutex_unlock(&a->mu);
}

static void register_until_done(struct node_agent *a)
{
    char errmsg[ERRMSG_SIZE];
    uint64_t id = 0;

    if (wait_or_stop(a, 0)) {
        return; /* stopped before the first attempt */
    }
    for (unsigned attempt = 1; register_once(a, &id, errmsg) != 0; attempt++) {
        log_warn("register %s (attempt %u): %s", a->addr, attempt, errmsg);
        if (wait_or_stop(a, a->cfg->register_retry_ms)) {
            return;
        }
    }
    atomic_store(&a->node_id, id);
    log_info("registered %s as %s %" PRIu64 " in zone %s", a->addr, a->ops->role, id,
             a->cfg->zone_name);
    wake_loop(a, &a->registered_async);
}

static void post_one(struct node_agent *a, struct post *p, const char *path)
{
    char errmsg[ERRMSG_SIZE];

    if (http_client_call(a->http, "POST", path, p->body, p->len, NULL, NULL, errmsg) != 0) {
        log_warn("POST %s for task %s dropped: %s", path, p->id, errmsg);
    } else {
        log_debug("POST %s for task %s done", path, p->id);
    }
}

static void post_free(struct post *p)
{
    free(p->body);
    free(p);
}

static void *worker_main(void *arg)
{
    struct node_agent *a = arg;
    char path[PATH_SIZE];

    snprintf(path, sizeof(path), "/%s/response", a->ops->role);
    register_until_done(a);
    for (;;) {
        struct post *p;
        bool late;

        pthread_mutex_lock(&a->mu);
        while (a->head == NULL && !a->stopping) {
            pthread_cond_wait(&a->cv, &a->mu);
        }
        p = a->head;
        if (p != NULL) {
            a->head = p->next;
            if (a->head == NULL) {
                a->tail = &a->head;
            }
            a->nqueued--;
        }
        late = a->stopping && clock_mono_ms() > a->drain_until;
        pthread_mutex_unlock(&a->mu);
        if (p == NULL) {
            break;
        }
        if (late) {
            log_warn("shutting down: response for task %s not posted", p->id);
        } else {
            post_one(a, p, path);
        }
        post_free(p);
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Loop thread: packets                                                                       */

/* Queue the task with its Response for the worker; takes the response reference. */
static void queue_response(struct node_agent *a, struct admin_task *task, json_t *response)
{
    json_t *status = json_object_get(response, "Status");
    struct post *p = calloc(1, sizeof(*p));
    int rv = p != NULL ? 0 : -ENOMEM;

    json_decref(task->response);
    task->response = response;
    if (a->ops->post_null_request) {
        json_decref(task->request);
        task->request = NULL;
    }
    task->status = json_is_integer(status) ? (int8_t)json_integer_value(status) : TASK_SUCCEEDS;
    if (rv == 0) {
        rv = admin_task_encode(task, &p->body, &p->len);
    }
    if (rv != 0) {
        log_error("task %s: response not queued: %s", task->id, errors_strerror(rv));
        free(p);
        return;
    }
    snprintf(p->id, sizeof(p->id), "%s", task->id);
    pthread_mutex_lock(&a->mu);
    if (a->nqueued < MAX_QUEUED) {
        *a->tail = p;
        a->tail = &p->next;
        a->nqueued++;
        pthread_cond_signal(&a->cv);
        p = NULL;
    }
    pthread_mutex_unlock(&a->mu);
    if (p != NULL) {
        log_warn("task %s: %u responses already waiting to be posted, dropped", p->id, MAX_QUEUED);
        post_free(p);
    }
}

static void remember_master(struct node_agent *a, const struct admin_task *task)
{
    struct heartbeat_req hb = {0};
    char errmsg[ERRMSG_SIZE];

    if (task->opcode != OP_DATA_NODE_HEARTBEAT && task->opcode != OP_META_NODE_HEARTBEAT) {
        return;
    }
    if (task->request == NULL || jc_decode(task->request, heartbeat_req_fields, &hb, errmsg) != 0) {
        log_debug("task %s: no MasterAddr in the heartbeat", task->id);
        return;
    }
    if (hb.master_addr[0] != '\0' && strcmp(hb.master_addr, a->master_addr) != 0) {
        log_info("leader is %s", hb.master_addr);
        snprintf(a->master_addr, sizeof(a->master_addr), "%s", hb.master_addr);
    }
}

static void on_packet(struct packet_server_req *req, const struct packet *p, void *arg)
{
    struct node_agent *a = arg;
    struct node_agent_reply reply = {0};
    struct admin_task task;
    char errmsg[ERRMSG_SIZE], text[ERRMSG_SIZE + 32];

    if (admin_task_decode(p->data != NULL ? (const char *)p->data : "", p->size, &task, errmsg) !=
        0) {
        snprintf(text, sizeof(text), "not an AdminTask: %s", errmsg);
        packet_server_drop(req, text);
        return;
    }
    remember_master(a, &task);
    a->ops->handle(a->arg, a, &task, &reply);
    if (reply.result == OP_INIT_RESULT_CODE) {
        int n = snprintf(text, sizeof(text), "unhandled opcode 0x%02x (%s)", task.opcode,
                         packet_opcode_name(task.opcode));
        log_warn("task %s: %s", task.id, text);
        free(reply.data);
        json_decref(reply.response);
        reply = (struct node_agent_reply){OP_ERR, NULL, 0, NULL};
        packet_server_reply(req, OP_ERR, text, (uint32_t)n);
    } else {
        packet_server_reply(req, reply.result, reply.data, reply.size);
        free(reply.data);
    }
    if (reply.response != NULL) {
        queue_response(a, &task, reply.response);
    }
    admin_task_clear(&task);
}

/* ------------------------------------------------------------------------------------------ */
/* Answering tasks, for the agents' handlers                                                 */

int node_agent_reply_text(struct node_agent_reply *r, uint8_t result, const char *text)
{
    char *copy = strdup(text);

    if (copy == NULL) {
        return -ENOMEM;
    }
    r->result = result;
    r->data = copy;
    r->size = (uint32_t)strlen(copy);
    return 0;
}

int node_agent_decode_request(const struct admin_task *t, const struct jc_field *f, void *out,
                              char *errmsg)
{
    int rv = jc_decode(t->request, f, out, errmsg);

    if (rv != 0) {
        errors_prefix(errmsg, "Request");
    }
    return rv;
}

int node_agent_set_response(struct node_agent_reply *r, const struct jc_field *f, const void *body,
                            char *errmsg)
{
    r->response = jc_encode(f, body);
    if (r->response == NULL) {
        errors_set(errmsg, "encode response: out of memory");
        return -ENOMEM;
    }
    return 0;
}

void node_agent_dispatch(const struct node_agent_handler *table, size_t n, void *arg,
                         struct node_agent *a, const struct admin_task *t,
                         struct node_agent_reply *reply)
{
    const struct node_agent_handler *h = NULL;
    char errmsg[ERRMSG_SIZE] = "";
    char text[ERRMSG_SIZE + 64];

    for (size_t i = 0; i < n && h == NULL; i++) {
        if (table[i].opcode == t->opcode) {
            h = &table[i];
        }
    }
    if (h != NULL && h->fn(arg, a, t, reply, errmsg) == 0) {
        if (reply->result == OP_INIT_RESULT_CODE) {
            reply->result = OP_OK;
        }
        return;
    }
    if (h == NULL) {
        snprintf(text, sizeof(text), "unknown opcode 0x%02x (%s)", t->opcode,
                 packet_opcode_name(t->opcode));
    } else if (h->action != NULL) {
        snprintf(text, sizeof(text), "%s_%s", h->action, errmsg);
    } else {
        snprintf(text, sizeof(text), "%s", errmsg);
    }
    log_warn("task %s: %s", t->id, text);
    /* Without memory for the text the master still sees OpErr, only without the reason. */
    if (node_agent_reply_text(reply, OP_ERR, text) != 0) {
        reply->result = OP_ERR;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Loop thread: lifecycle                                                                     */

/* Stop serving, tell the worker to finish and close our handles, so that uv_run returns. */
static void close_all(struct node_agent *a)
{
    a->shutting_down = true;
    packet_server_stop(a->server, NULL, NULL);
    pthread_mutex_lock(&a->mu);
    a->stopping = true;
    a->asyncs_closed = true;
    a->drain_until = clock_mono_ms() + DRAIN_MS;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->stop_async, NULL);
    uv_close((uv_handle_t *)&a->registered_async, NULL);
}

static void begin_shutdown(struct node_agent *a)
{
    log_info("%s %s: shutting down", a->ops->role, a->addr);
    /* Stopping the server first means no handler runs during or after ops->shutdown. */
    close_all(a);
    if (a->ops->shutdown != NULL) {
        a->ops->shutdown(a->arg, a);
    }
}

static void signal_cb(uv_signal_t *h, int signum)
{
    struct node_agent *a = h->data;

    if (a->shutting_down) {
        return;
    }
    log_info("signal %d", signum);
    begin_shutdown(a);
}

static void stop_cb(uv_async_t *h)
{
    struct node_agent *a = h->data;

    if (a->shutting_down) {
        return;
    }
    begin_shutdown(a);
}

static void registered_cb(uv_async_t *h)
{
    struct node_agent *a = h->data;

    if (a->shutting_down) {
        return;
    }
    if (a->ops->registered != NULL) {
        a->ops->registered(a->arg, a, atomic_load(&a->node_id));
    }
}

static void free_agent(struct node_agent *a)
{
    while (a->head != NULL) {
        struct post *p = a->head;
        a->head = p->next;
        post_free(p);
    }
    http_client_free(a->http);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

static int agent_new(const struct node_agent_config *cfg, const struct node_agent_ops *ops,
                     void *arg, struct node_agent **out, char *errmsg)
{
    struct http_client_options o = {.timeout_ms = HTTP_TIMEOUT_MS};
    const char *masters[NODE_AGENT_MAX_MASTERS];
    struct node_agent *a = calloc(1, sizeof(*a));
    pthread_condattr_t attr;
    int rv;

    if (a == NULL) {
        errors_set(errmsg, "out of memory");
        return -ENOMEM;
    }
    a->cfg = cfg;
    a->ops = ops;
    a->arg = arg;
    a->tail = &a->head;
    snprintf(a->addr, sizeof(a->addr), "%s:%" PRIu32, cfg->local_ip, cfg->listen);
    pthread_mutex_init(&a->mu, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&a->cv, &attr);
    pthread_condattr_destroy(&attr);
    for (uint32_t i = 0; i < cfg->nmasters; i++) {
        masters[i] = cfg->masters[i];
    }
    rv = http_client_new(masters, cfg->nmasters, &o, &a->http, errmsg);
    if (rv == 0) {
        rv = uv_loop_init(&a->loop);
        if (rv != 0) {
            errors_set(errmsg, "uv_loop_init: %s", uv_strerror(rv));
        }
    }
    if (rv != 0) {
        free_agent(a);
        return rv;
    }
    *out = a;
    return 0;
}

/* The loop's handles; on error the ones opened so far are closed (the loop must still run). */
static int open_handles(struct node_agent *a, char *errmsg)
{
    int rv;

    rv = packet_server_start(&a->loop, a->cfg->local_ip, (uint16_t)a->cfg->listen, a->cfg->max_body,
                             on_packet, a, &a->server, errmsg);
    if (rv != 0) {
        return rv;
    }
    uv_signal_init(&a->loop, &a->sigterm);
    uv_signal_init(&a->loop, &a->sigint);
    uv_async_init(&a->loop, &a->stop_async, stop_cb);
    uv_async_init(&a->loop, &a->registered_async, registered_cb);
    a->sigterm.data = a->sigint.data = a->stop_async.data = a->registered_async.data = a;
    rv = uv_signal_start(&a->sigterm, signal_cb, SIGTERM);
    if (rv == 0) {
        rv = uv_signal_start(&a->sigint, signal_cb, SIGINT);
    }
    if (rv == 0) {
        rv = -pthread_create(&a->worker, NULL, worker_main, a);
    }
    if (rv != 0) {
        errors_set(errmsg, "start: %s", errors_strerror(rv));
        close_all(a);
    }
    return rv;
}

int node_agent_run(const struct node_agent_config *cfg, const struct node_agent_ops *ops, void *arg,
                   char *errmsg)
{
    struct node_agent *a;
    int rv;

    rv = node_agent_config_check(cfg, errmsg);
    if (rv == 0) {
        rv = agent_new(cfg, ops, arg, &a, errmsg);
    }
    if (rv != 0) {
        return rv;
    }
    rv = open_handles(a, errmsg);
    if (rv == 0) {
        log_info("%s %s: serving, registering with %" PRIu32 " master(s)", ops->role, a->addr,
                 cfg->nmasters);
    }
    uv_run(&a->loop, UV_RUN_DEFAULT);
    if (rv == 0) {
        pthread_join(a->worker, NULL);
    }
    if (uv_loop_close(&a->loop) != 0) {
        log_error("loop closed with handles still open");
    }
    free_agent(a);
    return rv;
}

void node_agent_request_stop(struct node_agent *a)
{
    wake_loop(a, &a->stop_async);
}

uint64_t node_agent_node_id(const struct node_agent *a)
{
    return atomic_load(&((struct node_agent *)a)->node_id);
}

const char *node_agent_addr(const struct node_agent *a)
{
    return a->addr;
}

const char *node_agent_zone(const struct node_agent *a)
{
    return a->cfg->zone_name;
}

const char *node_agent_master_addr(const struct node_agent *a)
{
    return a->master_addr;
}

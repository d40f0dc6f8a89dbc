#include "tests/support/cluster_env.h"

#include "common/clock.h"
#include "common/http_client.h"
#include "tests/support/proc.h"
#include "tests/support/test_support.h"

#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Intervals short enough that liveness, status and failover happen within a test's patience. */
static const char master_timing[] =
    "\"tickInterval\":\"50\",\"electionTick\":\"10\",\"heartbeatIntervalMs\":\"500\","
    "\"nodeTimeoutMs\":\"3000\",\"dataPartitionTimeOutMs\":\"3000\","
    "\"metaPartitionTimeOutMs\":\"3000\",\"partitionCheckIntervalMs\":\"500\","
    "\"taskTickMs\":\"200\",\"taskResendMs\":\"1000\",\"syncTaskTimeoutMs\":\"5000\","
    "\"dialTimeoutMs\":\"2000\",\"autoCreateDelayMs\":\"2000\"";

static bool port_taken(const struct cenv *e, uint16_t port)
{
    for (size_t i = 0; i < CENV_MAX_MASTERS; i++) {
        if (e->masters[i].port == port || e->raft_ports[i] == port) {
            return true;
        }
    }
    for (size_t i = 0; i < CENV_MAX_NODES; i++) {
        if (e->datanodes[i].port == port || e->metanodes[i].port == port) {
            return true;
        }
    }
    return false;
}

/* A port nothing listens on now and that this cluster has not handed out yet: the kernel may
 * offer a port it gave before once its probe socket is closed, and two masters with one Raft
 * address make libraft refuse the second ("server address already in use"). */
static uint16_t free_port(const struct cenv *e)
{
    for (int tries = 0; tries < 100; tries++) {
        struct sockaddr_in a = {.sin_family = AF_INET};
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        uint16_t port = 0;

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
            getsockname(fd, (struct sockaddr *)&a, &len) == 0) {
            port = ntohs(a.sin_port);
        }
        if (fd >= 0) {
            close(fd);
        }
        if (port != 0 && !port_taken(e, port)) {
            return port;
        }
    }
    return 0;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (f == NULL) {
        return -errno;
    }
    fputs(text, f);
    return fclose(f) == 0 ? 0 : -EIO;
}

static void proc_paths(struct cenv_proc *p, const char *root, const char *name)
{
    snprintf(p->dir, sizeof(p->dir), "%s/%s", root, name);
    snprintf(p->config, sizeof(p->config), "%s/%s.json", root, name);
    snprintf(p->log, sizeof(p->log), "%s/%s.log", root, name);
    mkdir(p->dir, 0755);
}

int cenv_init(struct cenv *e, const char *name, size_t nmasters)
{
    memset(e, 0, sizeof(*e));
    if (nmasters == 0 || nmasters > CENV_MAX_MASTERS ||
        test_mkdtemp(e->root, sizeof(e->root), name) != 0) {
        return -EINVAL;
    }
    e->nmasters = nmasters;
    for (size_t i = 0; i < nmasters; i++) {
        char n[32];
        snprintf(n, sizeof(n), "master%zu", i + 1);
        e->master_ids[i] = i + 1;
        e->masters[i].port = free_port(e);
        e->raft_ports[i] = free_port(e);
        snprintf(e->masters[i].addr, sizeof(e->masters[i].addr), "127.0.0.1:%u",
                 e->masters[i].port);
        proc_paths(&e->masters[i], e->root, n);
    }
    return 0;
}

static int write_master_config(struct cenv *e, size_t i)
{
    char peers[1024] = "";
    char text[4096];
    size_t off = 0;

    for (size_t k = 0; k < e->nmasters; k++) {
        off += (size_t)snprintf(peers + off, sizeof(peers) - off, "%s%llu:127.0.0.1:%u:%u",
                                k > 0 ? "," : "", (unsigned long long)e->master_ids[k],
                                e->masters[k].port, e->raft_ports[k]);
    }
    snprintf(text, sizeof(text),
             "{\"clusterName\":\"cenv\",\"id\":\"%llu\",\"ip\":\"127.0.0.1\",\"listen\":\"%u\","
             "\"raftPort\":\"%u\",\"peers\":\"%s\",\"dataDir\":\"%s\",\"logLevel\":\"debug\","
             "%s%s%s}\n",
             (unsigned long long)e->master_ids[i], e->masters[i].port, e->raft_ports[i], peers,
             e->masters[i].dir, master_timing, e->master_extra[0] != '\0' ? "," : "",
             e->master_extra);
    return write_text(e->masters[i].config, text);
}

static int spawn(struct cenv_proc *p, const char *binary)
{
    char *argv[] = {(char *)proc_binary(binary), "-c", p->config, NULL};

    p->pid = proc_spawn(argv, p->log);
    return p->pid > 0 ? 0 : -1;
}

int cenv_start_master(struct cenv *e, size_t i)
{
    struct stat st;

    if (stat(e->masters[i].config, &st) != 0 && write_master_config(e, i) != 0) {
        return -1;
    }
    return spawn(&e->masters[i], "master/cfs-master");
}

int cenv_start_masters(struct cenv *e)
{
    for (size_t i = 0; i < e->nmasters; i++) {
        if (cenv_start_master(e, i) != 0) {
            return -1;
        }
    }
    return 0;
}

int cenv_stop_master(struct cenv *e, size_t i, int sig)
{
    int status = 0;

    if (e->masters[i].pid > 0) {
        status = proc_stop(e->masters[i].pid, sig, 10000);
        e->masters[i].pid = 0;
    }
    return status;
}

static void master_list(const struct cenv *e, char *buf, size_t size)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t k = 0; k < e->nmasters && off < size; k++) {
        off += (size_t)snprintf(buf + off, size - off, "%s\"%s\"", k > 0 ? "," : "",
                                e->masters[k].addr);
    }
}

static int add_nodes(struct cenv *e, bool data, size_t n)
{
    size_t *count = data ? &e->ndatanodes : &e->nmetanodes;
    struct cenv_proc *procs = data ? e->datanodes : e->metanodes;
    char masters[512];
    char text[2048];

    master_list(e, masters, sizeof(masters));
    for (size_t k = 0; k < n; k++) {
        struct cenv_proc *p;
        char name[32];
        if (*count == CENV_MAX_NODES) {
            return -E2BIG;
        }
        p = &procs[*count];
        snprintf(name, sizeof(name), "%s%zu", data ? "datanode" : "metanode", *count + 1);
        proc_paths(p, e->root, name);
        p->port = free_port(e);
        snprintf(p->addr, sizeof(p->addr), "127.0.0.1:%u", p->port);
        if (data) {
            snprintf(text, sizeof(text),
                     "{\"listen\":\"%u\",\"localIP\":\"127.0.0.1\",\"masterAddr\":[%s],"
                     "\"registerRetryMs\":\"200\",\"logLevel\":\"debug\",\"disks\":[\"%s:0\"]}\n",
                     p->port, masters, p->dir);
        } else {
            snprintf(text, sizeof(text),
                     "{\"listen\":\"%u\",\"localIP\":\"127.0.0.1\",\"masterAddr\":[%s],"
                     "\"registerRetryMs\":\"200\",\"logLevel\":\"debug\","
                     "\"totalMem\":\"8589934592\",\"metadataDir\":\"%s\"}\n",
                     p->port, masters, p->dir);
        }
        if (write_text(p->config, text) != 0) {
            return -EIO;
        }
        (*count)++;
        if (cenv_start_node(e, data, *count - 1) != 0) {
            return -1;
        }
    }
    return 0;
}

int cenv_add_datanodes(struct cenv *e, size_t n)
{
    return add_nodes(e, true, n);
}

int cenv_add_metanodes(struct cenv *e, size_t n)
{
    return add_nodes(e, false, n);
}

int cenv_start_node(struct cenv *e, bool data, size_t i)
{
    struct cenv_proc *p = data ? &e->datanodes[i] : &e->metanodes[i];

    return spawn(p, data ? "datanode_proto/cfs-datanode" : "metanode_proto/cfs-metanode");
}

int cenv_stop_node(struct cenv *e, bool data, size_t i, int sig)
{
    struct cenv_proc *p = data ? &e->datanodes[i] : &e->metanodes[i];
    int status = 0;

    if (p->pid > 0) {
        status = proc_stop(p->pid, sig, 10000);
        p->pid = 0;
    }
    return status;
}

static size_t header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct cenv_reply *r = arg;
    size_t n = size * nmemb;

    /* With redirects followed, the last response's headers win. */
    if (!http_header_value(ptr, n, "location", r->location, sizeof(r->location)) &&
        !http_header_value(ptr, n, "retry-after", r->retry_after, sizeof(r->retry_after))) {
        http_header_value(ptr, n, "content-type", r->ctype, sizeof(r->ctype));
    }
    return n;
}

long cenv_request(const char *addr, const char *path, const char *body, const char *ctype,
                  bool follow, struct cenv_reply *out)
{
    CURL *c = curl_easy_init();
    struct curl_slist *headers = NULL;
    struct http_body b = {0};
    char url[2048], line[160];

    memset(out, 0, sizeof(*out));
    out->status = -1;
    out->code = -1;
    if (c == NULL) {
        return -1;
    }
    snprintf(url, sizeof(url), "http://%s%s", addr, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        if (ctype != NULL) {
            snprintf(line, sizeof(line), "Content-Type: %s", ctype);
            headers = curl_slist_append(headers, line);
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        }
    }
    out->curl_code = (int)curl_easy_perform(c);
    out->body = b.data;
    out->len = b.len;
    if (out->curl_code == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        curl_easy_getinfo(c, CURLINFO_REDIRECT_COUNT, &out->redirects);
        if (out->body != NULL && http_envelope_parse(out->body, out->len, &out->code, out->msg,
                                                     sizeof(out->msg), &out->data, NULL) != 0) {
            out->code = -1;
        }
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return out->status;
}

void cenv_reply_clear(struct cenv_reply *r)
{
    json_decref(r->data);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static long http_at(const char *addr, const char *path, const char *body, bool follow, int *code,
                    char *msg, size_t msg_size, json_t **data)
{
    struct cenv_reply r;
    long status = cenv_request(addr, path, body, NULL, follow, &r);

    if (code != NULL) {
        *code = r.code;
    }
    if (msg != NULL && r.code >= 0) {
        snprintf(msg, msg_size, "%s", r.msg);
    }
    if (data != NULL) {
        *data = r.data;
        r.data = NULL;
    }
    cenv_reply_clear(&r);
    return status;
}

long cenv_http(struct cenv *e, size_t master, const char *path, const char *body, int *code,
               char *msg, size_t msg_size, json_t **data)
{
    return http_at(e->masters[master].addr, path, body, false, code, msg, msg_size, data);
}

int cenv_wait_leader(struct cenv *e, uint32_t timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;

    do {
        for (size_t i = 0; i < e->nmasters; i++) {
            json_t *data = NULL;
            int code = -1;
            bool leads;
            if (e->masters[i].pid <= 0) {
                continue;
            }
            /* A proxying follower answers 200 too: the leader is the one naming itself. */
            leads = cenv_http(e, i, "/admin/getCluster", NULL, &code, NULL, 0, &data) == 200 &&
                    code == 0 && json_is_string(json_object_get(data, "LeaderAddr")) &&
                    strcmp(json_string_value(json_object_get(data, "LeaderAddr")),
                           e->masters[i].addr) == 0;
            json_decref(data);
            if (leads) {
                return (int)i;
            }
        }
        clock_sleep_ms(50);
    } while (clock_mono_ms() < deadline);
    return -1;
}

int cenv_call(struct cenv *e, const char *path, json_t **data, char *msg, size_t msg_size)
{
    int leader = cenv_wait_leader(e, 15000);
    int code = -1;
    long status;

    if (leader < 0) {
        if (msg != NULL) {
            snprintf(msg, msg_size, "no leader");
        }
        return -ETIMEDOUT;
    }
    status = http_at(e->masters[leader].addr, path, NULL, true, &code, msg, msg_size, data);
    if (status != 200) {
        return -EIO;
    }
    return code;
}

int cenv_up(struct cenv *e, size_t ndata, size_t nmeta, uint32_t timeout_ms)
{
    if (cenv_start_masters(e) != 0 || cenv_wait_leader(e, timeout_ms) < 0 ||
        cenv_add_datanodes(e, ndata) != 0 || cenv_add_metanodes(e, nmeta) != 0 ||
        !cenv_wait_nodes_active(e, timeout_ms)) {
        return -1;
    }
    return 0;
}

static int vcall(struct cenv *e, json_t **data, char *msg, size_t msg_size, const char *fmt,
                 va_list ap)
{
    char path[2048];

    vsnprintf(path, sizeof(path), fmt, ap);
    return cenv_call(e, path, data, msg, msg_size);
}

json_t *cenv_ok(struct cenv *e, const char *fmt, ...)
{
    char msg[512] = "";
    json_t *data = NULL;
    va_list ap;
    int code;

    va_start(ap, fmt);
    code = vcall(e, &data, msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (code != 0) {
        fprintf(stderr, "%s: code %d: %s\n", fmt, code, msg);
        json_decref(data);
        data = NULL;
    }
    CU_ASSERT_EQUAL(code, 0);
    return data;
}

static bool text_matches(const char *got, const char *want, bool exact)
{
    return got != NULL && (exact ? strcmp(got, want) == 0 : strstr(got, want) != NULL);
}

void cenv_expect(struct cenv *e, int code, const char *msg, bool exact, const char *fmt, ...)
{
    char got[512] = "";
    json_t *data = NULL;
    va_list ap;
    int rv;
    bool match;

    va_start(ap, fmt);
    rv = vcall(e, &data, got, sizeof(got), fmt, ap);
    va_end(ap);
    match = text_matches(got, msg, exact);
    if (rv != code || !match) {
        fprintf(stderr, "%s: got %d \"%s\", want %d \"%s\"\n", fmt, rv, got, code, msg);
    }
    CU_ASSERT_EQUAL(rv, code);
    CU_ASSERT_TRUE(match);
    CU_ASSERT_PTR_NULL(data);
    json_decref(data);
}

void cenv_expect_text(struct cenv *e, const char *want, bool exact, const char *fmt, ...)
{
    char msg[512] = "";
    json_t *data = NULL;
    va_list ap;
    int rv;
    bool match;

    va_start(ap, fmt);
    rv = vcall(e, &data, msg, sizeof(msg), fmt, ap);
    va_end(ap);
    match = text_matches(json_string_value(data), want, exact);
    if (rv != 0 || !match) {
        fprintf(stderr, "%s: got %d \"%s\" %s, want \"%s\"\n", fmt, rv, msg,
                json_is_string(data) ? json_string_value(data) : "(no text)", want);
    }
    CU_ASSERT_EQUAL(rv, 0);
    CU_ASSERT_TRUE(match);
    json_decref(data);
}

uint64_t cenv_u64(const json_t *obj, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(obj, key));
}

const char *cenv_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s != NULL ? s : "";
}

bool cenv_wait(struct cenv *e, bool (*fn)(struct cenv *e, void *arg), void *arg,
               uint32_t timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;

    for (;;) {
        if (fn(e, arg)) {
            return true;
        }
        if (clock_mono_ms() >= deadline) {
            return false;
        }
        clock_sleep_ms(50);
    }
}

static size_t running(const struct cenv_proc *p, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        k += p[i].pid > 0;
    }
    return k;
}

/* Every running node of one kind appears in the list and is active. */
static bool kind_active(struct cenv *e, const char *path, const struct cenv_proc *procs, size_t n)
{
    json_t *data = NULL;
    size_t active = 0, i;
    json_t *v;
    bool ok;

    if (cenv_call(e, path, &data, NULL, 0) != 0 || !json_is_array(data)) {
        json_decref(data);
        return false;
    }
    json_array_foreach(data, i, v)
    {
        const char *addr = json_string_value(json_object_get(v, "Addr"));
        for (size_t k = 0; addr != NULL && k < n; k++) {
            if (procs[k].pid > 0 && strcmp(procs[k].addr, addr) == 0 &&
                json_is_true(json_object_get(v, "Status"))) {
                active++;
            }
        }
    }
    ok = active == running(procs, n);
    json_decref(data);
    return ok;
}

static bool nodes_active(struct cenv *e, void *arg)
{
    (void)arg;
    return kind_active(e, "/admin/cluster/getAllDataNodes", e->datanodes, e->ndatanodes) &&
           kind_active(e, "/admin/cluster/getAllMetaNodes", e->metanodes, e->nmetanodes);
}

bool cenv_wait_nodes_active(struct cenv *e, uint32_t timeout_ms)
{
    return cenv_wait(e, nodes_active, NULL, timeout_ms);
}

void cenv_close(struct cenv *e)
{
    for (size_t i = 0; i < e->ndatanodes; i++) {
        cenv_stop_node(e, true, i, SIGTERM);
    }
    for (size_t i = 0; i < e->nmetanodes; i++) {
        cenv_stop_node(e, false, i, SIGTERM);
    }
    for (size_t i = 0; i < e->nmasters; i++) {
        cenv_stop_master(e, i, SIGTERM);
    }
    if (CU_get_number_of_failures() > 0) {
        fprintf(stderr, "cluster_env: keeping %s for inspection\n", e->root);
        return;
    }
    test_rmtree(e->root);
}

#define LOG_TAG "api"

#include "master/api/api.h"

#include "common/clock.h"
#include "common/errors.h"
#include "common/http_client.h"
#include "common/log.h"
#include "master/api/api_internal.h"
#include "master/cluster/pstate.h"
#include "master/core/master.h"
#include "master/core/views.h"
#include "master/core/workers.h"
#include "master/raft/raft_node.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every route group contributes a table; they are joined once at start. */
static const struct api_group *const groups[] = {
    &api_cluster_group, &api_node_group,    &api_vol_group,  &api_partition_group,
    &api_user_group,    &api_metrics_group, &api_raft_group,
};

struct api_state {
    struct http_route *routes;
    size_t nroutes;
};

static struct api_state state;

/* Proxy mode: a follower forwards the request to the leader from a worker thread and relays
 * the leader's status, content type and body unchanged. Everything the worker needs is copied
 * on the loop first; the request itself is only touched again on the loop, to answer. */
struct proxy_job {
    struct http_req *r;
    char url[2048];
    bool post;
    char *body;
    size_t len;
    char ctype[128];
    char skip_owner[16]; /* Skip-Owner-Validation, which /client/vol reads */
    long status;
    struct http_body resp;
    char resp_ctype[128];
    char error[CURL_ERROR_SIZE];
};

static size_t proxy_header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct proxy_job *j = arg;
    size_t n = size * nmemb;

    http_header_value(ptr, n, "content-type", j->resp_ctype, sizeof(j->resp_ctype));
    return n;
}

static void proxy_run(void *arg)
{
    struct proxy_job *j = arg;
    struct curl_slist *headers = NULL;
    CURL *c = curl_easy_init();
    char ct[160];

    if (c == NULL) {
        snprintf(j->error, sizeof(j->error), "out of memory");
        return;
    }
    curl_easy_setopt(c, CURLOPT_URL, j->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, j->error);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &j->resp);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, proxy_header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, j);
    /* A leader that lost its place in between redirects to the new one: follow it here, so the
     * client gets an answer and not a redirect it was not asked to handle. */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    if (j->post) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)j->len);
        if (j->ctype[0] != '\0') {
            snprintf(ct, sizeof(ct), "Content-Type: %s", j->ctype);
            headers = curl_slist_append(headers, ct);
        }
    }
    if (j->skip_owner[0] != '\0') {
        snprintf(ct, sizeof(ct), "Skip-Owner-Validation: %s", j->skip_owner);
        headers = curl_slist_append(headers, ct);
    }
    if (headers != NULL) {
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    }
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &j->status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
}

static const char *reason_of(long status)
{
    switch (status) {
    case 200:
        return "OK";
    case 307:
        return "Temporary Redirect";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 503:
        return "Service Unavailable";
    default:
        return "Response";
    }
}

static void proxy_done(void *arg)
{
    struct proxy_job *j = arg;

    if (j->status > 0) {
        http_req_reply_raw(j->r, (int)j->status, reason_of(j->status),
                           j->resp_ctype[0] != '\0' ? j->resp_ctype : NULL,
                           j->resp.data != NULL ? j->resp.data : "", j->resp.len, NULL, NULL);
    } else {
        static const char body[] = "{\"code\":1,\"msg\":\"leader unreachable\",\"data\":null}";
        http_req_reply_raw(j->r, 502, "Bad Gateway", "application/json", body, sizeof(body) - 1,
                           NULL, NULL);
    }
    free(j->body);
    free(j->resp.data);
    free(j);
}

static void proxy(struct master *m, struct http_req *r, const char *leader)
{
    struct proxy_job *j = calloc(1, sizeof(*j));
    const char *body, *ctype = http_req_header(r, "content-type");
    const char *skip_owner = http_req_header(r, "skip-owner-validation");
    size_t len;

    if (j == NULL) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "out of memory");
        return;
    }
    body = http_req_body(r, &len);
    j->r = r;
    j->post = strcmp(http_req_method(r), "POST") == 0;
    snprintf(j->url, sizeof(j->url), "http://%s%s%s%s", leader, http_req_path(r),
             http_req_query(r)[0] != '\0' ? "?" : "", http_req_query(r));
    snprintf(j->ctype, sizeof(j->ctype), "%s", ctype != NULL ? ctype : "");
    snprintf(j->skip_owner, sizeof(j->skip_owner), "%s", skip_owner != NULL ? skip_owner : "");
    j->body = malloc(len + 1);
    if (j->body == NULL) {
        free(j);
        http_req_reply_error(r, API_INTERNAL_ERROR, "out of memory");
        return;
    }
    memcpy(j->body, body, len);
    j->body[len] = '\0';
    j->len = len;
    if (workers_submit(m->workers, proxy_run, proxy_done, j) != 0) {
        free(j->body);
        free(j);
        http_req_reply_error(r, API_INTERNAL_ERROR, "cannot forward to the leader");
    }
}

/* A follower answers a client read from its copy of the leader's views (master/core/views.h)
 * while the copy is fresh and knows the volume; otherwise the leader answers it. A request without
 * a name is answered here: the handler only has the parameter error to say. */
static bool follower_reads(struct master *m, struct http_req *r)
{
    const char *name = http_req_param(r, "name");

    return m->cfg.follower_read && views_fresh(m->views, clock_mono_ms()) &&
           (name == NULL || pstate_has_vol(m->pstate, name));
}

/* The leader interceptor. The ready leader serves everything. A follower serves routes marked
 * for any master, and client reads when followerRead is on and its copy serves them; otherwise it
 * sends the client to the leader (307 with Location, POST bodies survive it), or, with no leader
 * known or the leader not yet caught up, answers 503 with Retry-After and the NoLeader code. A
 * master never redirects to itself. */
static bool intercept(struct http_req *r, const struct http_route *route, void *arg)
{
    struct master *m = arg;
    char leader[MASTER_ADDR_SIZE];
    char url[2048];

    if (m->ready) {
        /* Statuses and views must show every change a client was told succeeded. */
        if (!(route->flags & ROUTE_NO_STATUS)) {
            master_refresh_pending(m);
        }
        return false;
    }
    if ((route->flags & ROUTE_ANY_MASTER) ||
        ((route->flags & ROUTE_FOLLOWER_READ) && follower_reads(m, r))) {
        return false;
    }
    master_leader_http_addr(m, leader, sizeof(leader));
    if (m->leader || leader[0] == '\0' || m->leader_id == m->cfg.id) {
        static const char body[] = "{\"code\":33,\"msg\":\"no leader\",\"data\":null}";
        http_req_reply_raw(r, 503, "Service Unavailable", "application/json", body,
                           sizeof(body) - 1, "retry-after", "1");
        return true;
    }
    if (strcmp(m->cfg.leader_forward, "proxy") == 0) {
        proxy(m, r, leader);
        return true;
    }
    snprintf(url, sizeof(url), "http://%s%s%s%s", leader, http_req_path(r),
             http_req_query(r)[0] != '\0' ? "?" : "", http_req_query(r));
    http_req_redirect(r, url, API_SUCCESS, leader);
    return true;
}

int api_init(struct master *m, char *errmsg)
{
    size_t n = 0, k = 0;

    (void)m;
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        n += groups[g]->nroutes;
    }
    state.routes = calloc(n, sizeof(*state.routes));
    if (state.routes == NULL) {
        errors_set(errmsg, "out of memory");
        return -1;
    }
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        for (size_t i = 0; i < groups[g]->nroutes; i++) {
            state.routes[k++] = groups[g]->routes[i];
        }
    }
    state.nroutes = n;
    return 0;
}

int api_http_start(struct master *m, char *errmsg)
{
    return http_server_start(m->loop, m->cfg.ip, (uint16_t)m->cfg.listen, state.routes,
                             state.nroutes, intercept, m, &m->http, errmsg);
}

void api_free(struct master *m)
{
    (void)m;
    free(state.routes);
    state.routes = NULL;
}

int api_leader_start(struct master *m, char *errmsg)
{
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        if (groups[g]->leader_start != NULL && groups[g]->leader_start(m, errmsg) != 0) {
            return -1;
        }
    }
    return 0;
}

void api_leader_stop(struct master *m)
{
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        if (groups[g]->leader_stop != NULL) {
            groups[g]->leader_stop(m);
        }
    }
}

const struct http_route_stats *api_route_stats(struct master *m, size_t *n)
{
    return http_server_stats(m->http, n);
}

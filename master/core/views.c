#define LOG_TAG "views"

#include "master/core/views.h"

#include "common/clock.h"
#include "common/errors.h"
#include "common/http_client.h"
#include "common/log.h"
#include "master/cluster/pstate.h"
#include "master/core/master.h"
#include "master/core/workers.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* A copy larger than this is refused (the leader's whole pstate; about 200 bytes a partition). */
#define VIEWS_MAX_BYTES (256u << 20)

struct views {
    struct master *m;
    uv_timer_t timer;
    bool stopped;
    bool in_flight;
    uint64_t copied_ms;
    uint64_t copied_index; /* the leader's applied index when it sent the copy */
};

struct fetch {
    struct views *v;
    uint64_t leader_id;
    char url[MASTER_ADDR_SIZE + 64];
    uint32_t timeout_ms;
    long status;
    struct http_body body;
    uint64_t applied; /* the VIEWS_APPLIED_HEADER of the answer */
    char error[CURL_ERROR_SIZE];
};

static size_t header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct fetch *f = arg;
    size_t n = size * nmemb;
    char value[32];

    if (http_header_value(ptr, n, VIEWS_APPLIED_HEADER, value, sizeof(value))) {
        f->applied = strtoull(value, NULL, 10);
    }
    return n;
}

/* On a worker: one GET, no redirects. */
static void fetch_run(void *arg)
{
    struct fetch *f = arg;
    CURL *c = curl_easy_init();

    if (c == NULL) {
        snprintf(f->error, sizeof(f->error), "out of memory");
        return;
    }
    curl_easy_setopt(c, CURLOPT_URL, f->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)f->timeout_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->error);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &f->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
    }
    curl_easy_cleanup(c);
}

/* On the loop: install the copy if this master still follows the leader it came from. */
static void fetch_done(void *arg)
{
    struct fetch *f = arg;
    struct views *v = f->v;
    struct master *m = v->m;
    char errmsg[ERRMSG_SIZE] = "";

    v->in_flight = false;
    if (v->stopped || m->ready || m->leader_id != f->leader_id) {
        goto out;
    }
    if (f->status != 200 || f->applied == 0) {
        log_debug("copying client views from %s: %s", f->url,
                  f->body.too_big ? "copy too large"
                  : f->status > 0 ? "not answered by a ready leader"
                                  : f->error);
        goto out;
    }
    if (pstate_import(m->pstate, f->body.data, f->body.len, errmsg) != 0) {
        log_warn("copying client views from %s: %s", f->url, errmsg);
        goto out;
    }
    v->copied_ms = clock_mono_ms();
    v->copied_index = f->applied;
out:
    free(f->body.data);
    free(f);
}

static void tick_cb(uv_timer_t *h)
{
    struct views *v = h->data;
    struct master *m = v->m;
    char leader[MASTER_ADDR_SIZE] = "";
    struct fetch *f;

    /* The leader computes its own; a follower without a known leader has nobody to copy. */
    if (v->stopped || v->in_flight || m->ready || m->leader || m->leader_id == 0 ||
        m->leader_id == m->cfg.id) {
        return;
    }
    master_leader_http_addr(m, leader, sizeof(leader));
    if (leader[0] == '\0') {
        return;
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return;
    }
    f->v = v;
    f->leader_id = m->leader_id;
    f->body.max = VIEWS_MAX_BYTES;
    snprintf(f->url, sizeof(f->url), "http://%s/internal/clientViews", leader);
    /* A copy that takes longer than a check interval is late anyway; 1 s is the floor. */
    f->timeout_ms = m->cfg.partition_check_ms > 1000 ? m->cfg.partition_check_ms : 1000;
    if (workers_submit(m->workers, fetch_run, fetch_done, f) != 0) {
        free(f);
        return;
    }
    v->in_flight = true;
}

int views_start(struct master *m, struct views **out)
{
    struct views *v = calloc(1, sizeof(*v));

    if (v == NULL) {
        return -ENOMEM;
    }
    v->m = m;
    uv_timer_init(m->loop, &v->timer);
    v->timer.data = v;
    uv_timer_start(&v->timer, tick_cb, m->cfg.partition_check_ms, m->cfg.partition_check_ms);
    *out = v;
    return 0;
}

void views_stop(struct views *v)
{
    if (v == NULL || v->stopped) {
        return;
    }
    v->stopped = true;
    uv_close((uv_handle_t *)&v->timer, NULL);
}

void views_free(struct views *v)
{
    free(v);
}

bool views_fresh(const struct views *v, uint64_t now_ms)
{
    uint64_t bound = (uint64_t)VIEWS_STALE_CHECKS * v->m->cfg.partition_check_ms;

    /* The copy is combined with this master's own records (/client/vol lists them): it serves
     * once they include everything the leader had when it sent the copy. */
    return v->copied_ms != 0 && now_ms >= v->copied_ms && now_ms - v->copied_ms <= bound &&
           store_applied_index(v->m->store) >= v->copied_index;
}

uint64_t views_copied_ms(const struct views *v)
{
    return v->copied_ms;
}

void views_forget(struct views *v)
{
    v->copied_ms = 0;
}

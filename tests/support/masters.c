#include "tests/support/masters.h"

#include "common/clock.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIEW_WAIT_MS 20000

/* --- state ------------------------------------------------------------------------------------ */

json_t *mm_status(struct cenv *e, size_t i)
{
    struct cenv_reply r = {0};
    json_t *data = NULL;

    if (e->masters[i].pid > 0 &&
        cenv_request(e->masters[i].addr, "/raftNode/status", NULL, NULL, false, &r) == 200 &&
        r.code == 0) {
        data = json_incref(r.data);
    }
    cenv_reply_clear(&r);
    return data;
}

bool mm_same_state(struct cenv *e, int *leader)
{
    uint64_t applied = 0, crc = 0, leader_id = 0;
    bool first = true, same = true;

    *leader = -1;
    for (size_t i = 0; i < e->nmasters && same; i++) {
        json_t *s;
        if (e->masters[i].pid <= 0) {
            continue;
        }
        s = mm_status(e, i);
        if (s == NULL || cenv_u64(s, "LeaderID") == 0) {
            same = false;
        } else if (first) {
            applied = cenv_u64(s, "StoreApplied");
            crc = cenv_u64(s, "StoreCRC");
            leader_id = cenv_u64(s, "LeaderID");
            first = false;
        } else {
            same = applied == cenv_u64(s, "StoreApplied") && crc == cenv_u64(s, "StoreCRC") &&
                   leader_id == cenv_u64(s, "LeaderID");
        }
        if (s != NULL && json_is_true(json_object_get(s, "Ready"))) {
            *leader = (int)i;
        }
        json_decref(s);
    }
    return same && !first && *leader >= 0;
}

bool mm_wait_same_state(struct cenv *e, uint32_t timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    int leader;

    for (;;) {
        if (mm_same_state(e, &leader)) {
            return true;
        }
        if (clock_mono_ms() >= deadline) {
            return false;
        }
        clock_sleep_ms(100);
    }
}

int mm_wait_new_leader(struct cenv *e, int skip, uint32_t timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;

    for (;;) {
        for (size_t i = 0; i < e->nmasters; i++) {
            json_t *s;
            bool ready;
            if ((int)i == skip || e->masters[i].pid <= 0) {
                continue;
            }
            s = mm_status(e, i);
            ready = s != NULL && json_is_true(json_object_get(s, "Ready"));
            json_decref(s);
            if (ready) {
                return (int)i;
            }
        }
        if (clock_mono_ms() >= deadline) {
            return -1;
        }
        clock_sleep_ms(20);
    }
}

size_t mm_count_in_file(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    size_t n = 0;

    if (f == NULL) {
        return 0;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        n += strstr(line, needle) != NULL;
    }
    fclose(f);
    return n;
}

/* --- the writer ------------------------------------------------------------------------------- */

enum call_kind { CALL_READ, CALL_WRITE };

/* Send path to the masters in turn from *rot, following redirects. A write is only sent again
 * elsewhere when nothing was done: no connection, or 503 (no leader). Returns the envelope code,
 * or -1 when no master answered. */
static int call(struct mm_writer *w, size_t *rot, enum call_kind kind, const char *path,
                json_t **data, char *err, size_t err_size)
{
    int code = -1;

    if (data != NULL) {
        *data = NULL;
    }
    for (size_t tries = 0; tries < w->naddrs; tries++) {
        struct cenv_reply r;
        const char *addr = w->addrs[(*rot)++ % w->naddrs];
        long status = cenv_request(addr, path, NULL, NULL, true, &r);
        bool retry = status == -1 ? kind == CALL_READ || r.curl_code == CURLE_COULDNT_CONNECT
                                  : status == 503;
        if (status == 200 && r.code >= 0) {
            code = r.code;
            if (data != NULL) {
                *data = json_incref(r.data);
            }
            snprintf(err, err_size, "%.200s: %.300s", path, r.msg);
        } else {
            snprintf(err, err_size, "%.200s via %.64s: HTTP %ld", path, addr, status);
        }
        cenv_reply_clear(&r);
        if (code >= 0 || !retry) {
            break;
        }
    }
    return code;
}

/* The PartitionIDs of a view list (DataPartitions of /client/partitions, or the list of
 * /client/metaPartitions). */
static size_t ids_of(const json_t *list, uint64_t *ids, size_t max)
{
    size_t n = 0, i;
    json_t *v;

    json_array_foreach(list, i, v)
    {
        if (n < max) {
            ids[n++] = (uint64_t)json_integer_value(json_object_get(v, "PartitionID"));
        }
    }
    return n;
}

/* The partition IDs of a volume from the client views (0 when the views do not know it). */
static size_t view_ids(struct mm_writer *w, size_t *rot, const char *vol, bool data, uint64_t *ids,
                       char *err, size_t err_size)
{
    char path[128];
    json_t *d = NULL;
    size_t n = 0;

    snprintf(path, sizeof(path), "/client/%s?name=%s", data ? "partitions" : "metaPartitions", vol);
    if (call(w, rot, CALL_READ, path, &d, err, err_size) == 0) {
        n = ids_of(data ? json_object_get(d, "DataPartitions") : d, ids, MM_MAX_PARTS);
    }
    json_decref(d);
    return n;
}

static bool contains(const uint64_t *ids, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == id) {
            return true;
        }
    }
    return false;
}

/* A failed operation (no leader yet, nodes not reported to a new leader yet, ...): noted, and
 * the next one waits a little so a leaderless cluster is not hammered. */
static void note_failure(struct mm_writer *w, const char *err)
{
    pthread_mutex_lock(&w->lock);
    w->failures++;
    snprintf(w->last_error, sizeof(w->last_error), "%s", err);
    pthread_mutex_unlock(&w->lock);
    clock_sleep_ms(20);
}

/* A success whose IDs could not be read is recorded with id 0, which verify reports. */
static void record(struct mm_writer *w, const struct mm_vol *v, size_t slot)
{
    pthread_mutex_lock(&w->lock);
    w->vols[slot] = *v;
    if (slot == w->nvols) {
        w->nvols++;
    }
    w->successes++;
    w->last_success_ms = clock_mono_ms();
    pthread_mutex_unlock(&w->lock);
}

/* Read the IDs of volume v from the views until they include at least what it had plus `more`
 * data partitions. */
static bool read_ids(struct mm_writer *w, size_t *rot, struct mm_vol *v, size_t min_dps, char *err,
                     size_t err_size)
{
    uint64_t deadline = clock_mono_ms() + VIEW_WAIT_MS;
    char path[128];

    snprintf(path, sizeof(path), "/admin/getVol?name=%s", v->name);
    while (clock_mono_ms() < deadline) {
        json_t *d = NULL;
        if (v->id == 0 && call(w, rot, CALL_READ, path, &d, err, err_size) == 0) {
            v->id = (uint64_t)json_integer_value(json_object_get(d, "ID"));
        }
        json_decref(d);
        if (v->id != 0) {
            v->ndps = view_ids(w, rot, v->name, true, v->dps, err, err_size);
            v->nmps = view_ids(w, rot, v->name, false, v->mps, err, err_size);
        }
        if (v->id != 0 && v->ndps >= min_dps && v->nmps > 0) {
            return true;
        }
        clock_sleep_ms(50);
    }
    return false;
}

static void create_vol(struct mm_writer *w, size_t *rot, unsigned seq)
{
    struct mm_vol v = {0};
    char path[256], err[512] = "";

    snprintf(v.name, sizeof(v.name), "%s%u", w->prefix, seq);
    snprintf(path, sizeof(path),
             "/admin/createVol?name=%s&owner=mmowner&capacity=10&mpCount=1&dpCount=1", v.name);
    if (call(w, rot, CALL_WRITE, path, NULL, err, sizeof(err)) != 0) {
        note_failure(w, err);
        return;
    }
    if (!read_ids(w, rot, &v, 1, err, sizeof(err))) {
        v.id = 0;
        snprintf(err + strlen(err), sizeof(err) - strlen(err), " (ids of %s not readable)", v.name);
        note_failure(w, err);
    }
    record(w, &v, w->nvols); /* only this thread adds volumes */
}

static void create_dp(struct mm_writer *w, size_t *rot, unsigned seq)
{
    struct mm_vol v;
    uint64_t before[MM_MAX_PARTS];
    size_t slot, nbefore;
    char path[256], err[512] = "";

    pthread_mutex_lock(&w->lock);
    slot = seq % w->nvols;
    v = w->vols[slot];
    pthread_mutex_unlock(&w->lock);
    if (v.id == 0 || v.ndps + 1 >= MM_MAX_PARTS) {
        return;
    }
    nbefore = view_ids(w, rot, v.name, true, before, err, sizeof(err));
    if (nbefore < v.ndps) {
        memcpy(before, v.dps, v.ndps * sizeof(before[0]));
        nbefore = v.ndps;
    }
    snprintf(path, sizeof(path), "/dataPartition/create?name=%s&count=1", v.name);
    if (call(w, rot, CALL_WRITE, path, NULL, err, sizeof(err)) != 0) {
        note_failure(w, err);
        return;
    }
    /* The new partition: one the views did not list before. */
    for (uint64_t deadline = clock_mono_ms() + VIEW_WAIT_MS;;) {
        size_t n = view_ids(w, rot, v.name, true, v.dps, err, sizeof(err));
        bool found = false;
        for (size_t i = 0; i < n && !found; i++) {
            found = !contains(before, nbefore, v.dps[i]);
        }
        if (found) {
            v.ndps = n;
            break;
        }
        if (clock_mono_ms() >= deadline) {
            v.id = 0;
            snprintf(err, sizeof(err), "the new data partition of %s never showed", v.name);
            note_failure(w, err);
            break;
        }
        clock_sleep_ms(50);
    }
    record(w, &v, slot);
}

static void *writer_main(void *arg)
{
    struct mm_writer *w = arg;
    size_t rot = 0;

    for (unsigned seq = 0; !w->stop; seq++) {
        size_t nvols;
        bool paused;
        pthread_mutex_lock(&w->lock);
        nvols = w->nvols;
        paused = w->paused = w->pause;
        pthread_mutex_unlock(&w->lock);
        if (paused) {
            clock_sleep_ms(10);
            continue;
        }
        if (nvols < MM_MAX_VOLS && (seq % 2 == 0 || nvols == 0)) {
            create_vol(w, &rot, seq);
        } else {
            create_dp(w, &rot, seq);
        }
    }
    return NULL;
}

int mm_writer_start(struct mm_writer *w, struct cenv *e, const char *prefix)
{
    memset(w, 0, sizeof(*w));
    for (size_t i = 0; i < CENV_MAX_MASTERS; i++) {
        if (e->masters[i].port != 0) {
            snprintf(w->addrs[w->naddrs++], sizeof(w->addrs[0]), "%s", e->masters[i].addr);
        }
    }
    snprintf(w->prefix, sizeof(w->prefix), "%s", prefix);
    pthread_mutex_init(&w->lock, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        return -1;
    }
    return 0;
}

void mm_writer_stop(struct mm_writer *w)
{
    w->stop = true;
    pthread_join(w->thread, NULL);
}

void mm_writer_pause(struct mm_writer *w)
{
    bool paused = w->stop; /* a stopped writer does nothing already */

    pthread_mutex_lock(&w->lock);
    w->pause = true;
    pthread_mutex_unlock(&w->lock);
    while (!paused) {
        clock_sleep_ms(10);
        pthread_mutex_lock(&w->lock);
        paused = w->paused;
        pthread_mutex_unlock(&w->lock);
    }
}

void mm_writer_resume(struct mm_writer *w)
{
    pthread_mutex_lock(&w->lock);
    w->pause = false;
    w->paused = false;
    pthread_mutex_unlock(&w->lock);
}

uint64_t mm_writer_successes(struct mm_writer *w, uint64_t *last_ms)
{
    uint64_t n;

    pthread_mutex_lock(&w->lock);
    n = w->successes;
    if (last_ms != NULL) {
        *last_ms = w->last_success_ms;
    }
    pthread_mutex_unlock(&w->lock);
    return n;
}

bool mm_writer_wait_success(struct mm_writer *w, uint64_t since_ms, uint32_t timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    uint64_t last = 0;

    for (;;) {
        mm_writer_successes(w, &last);
        if (last > since_ms) {
            return true;
        }
        if (clock_mono_ms() >= deadline) {
            return false;
        }
        clock_sleep_ms(20);
    }
}

/* --- verification ----------------------------------------------------------------------------- */

struct id_set {
    uint64_t *ids;
    size_t n, cap;
};

/* Add id; false when it was there already. */
static bool id_add(struct id_set *s, uint64_t id)
{
    if (contains(s->ids, s->n, id)) {
        return false;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap > 0 ? 2 * s->cap : 256;
        uint64_t *grown = realloc(s->ids, cap * sizeof(*grown));
        if (grown == NULL) {
            return false;
        }
        s->ids = grown;
        s->cap = cap;
    }
    s->ids[s->n++] = id;
    return true;
}

/* One recorded volume against the views now. */
static bool verify_vol(struct mm_writer *w, size_t *rot, const struct mm_vol *v)
{
    struct mm_vol now = {0};
    char err[512] = "";
    bool ok;

    snprintf(now.name, sizeof(now.name), "%s", v->name);
    ok = v->id != 0 && read_ids(w, rot, &now, v->ndps, err, sizeof(err)) && now.id == v->id;
    for (size_t i = 0; ok && i < v->ndps; i++) {
        ok = contains(now.dps, now.ndps, v->dps[i]);
    }
    for (size_t i = 0; ok && i < v->nmps; i++) {
        ok = contains(now.mps, now.nmps, v->mps[i]);
    }
    if (!ok) {
        fprintf(stderr,
                "vol %s (id %llu, %zu dps, %zu mps recorded): now id %llu, %zu dps, %zu "
                "mps %s\n",
                v->name, (unsigned long long)v->id, v->ndps, v->nmps, (unsigned long long)now.id,
                now.ndps, now.nmps, err);
    }
    return ok;
}

/* No ID twice across every volume the masters know. */
static bool verify_unique(struct mm_writer *w, size_t *rot)
{
    struct id_set vols = {0}, dps = {0}, mps = {0};
    json_t *list = NULL, *item;
    char err[512] = "";
    bool ok = call(w, rot, CALL_READ, "/vol/list", &list, err, sizeof(err)) == 0;
    size_t i;

    json_array_foreach(list, i, item)
    {
        struct mm_vol v = {0};
        snprintf(v.name, sizeof(v.name), "%s", json_string_value(json_object_get(item, "Name")));
        if (!read_ids(w, rot, &v, 1, err, sizeof(err)) || !id_add(&vols, v.id)) {
            fprintf(stderr, "vol %s: id %llu unreadable or used twice\n", v.name,
                    (unsigned long long)v.id);
            ok = false;
        }
        for (size_t k = 0; k < v.ndps; k++) {
            if (!id_add(&dps, v.dps[k])) {
                fprintf(stderr, "data partition %llu listed twice\n", (unsigned long long)v.dps[k]);
                ok = false;
            }
        }
        for (size_t k = 0; k < v.nmps; k++) {
            if (!id_add(&mps, v.mps[k])) {
                fprintf(stderr, "meta partition %llu listed twice\n", (unsigned long long)v.mps[k]);
                ok = false;
            }
        }
    }
    json_decref(list);
    free(vols.ids);
    free(dps.ids);
    free(mps.ids);
    return ok;
}

bool mm_writer_verify(struct mm_writer *w)
{
    size_t rot = 0;
    bool ok = true;

    for (size_t i = 0; i < w->nvols; i++) {
        ok = verify_vol(w, &rot, &w->vols[i]) && ok;
    }
    return verify_unique(w, &rot) && ok;
}

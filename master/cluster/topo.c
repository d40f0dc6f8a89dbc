#include "master/cluster/topo.h"

#include "common/errors.h"
#include "common/hmap.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Data and meta nodes share all the code below; only the report type differs, and both report
 * types start with a struct status_report, so a node keeps its reports as bytes with a stride. */
static const size_t report_size[TOPO_KINDS] = {sizeof(struct status_dp_report),
                                               sizeof(struct status_mp_report)};

struct node {
    struct topo_node view;
    unsigned char *reports; /* nreports reports of report_size[view.kind] bytes */
    size_t nreports;
    struct topo_disk *disks; /* data nodes: the disks of the last heartbeat */
    size_t ndisks;
};

/* Report idx of node, in the index of its partition. */
struct ref {
    struct node *node;
    size_t idx;
};

/* The nodes whose last heartbeat reported one partition. */
struct part {
    size_t n;
    size_t cap;
    struct ref *refs;
};

struct topo {
    pthread_mutex_t mu;
    struct hmap *nodes[TOPO_KINDS]; /* address -> struct node */
    struct hmap *parts[TOPO_KINDS]; /* partition id -> struct part */
    struct hmap *sets;              /* nodeset id -> struct topo_nodeset (counts unused) */
};

const char *topo_kind_name(enum topo_kind kind)
{
    return kind == TOPO_DATA ? "data" : "meta";
}

static const struct status_report *report_at(const struct node *n, size_t i)
{
    return (const struct status_report *)(const void *)(n->reports + i * report_size[n->view.kind]);
}

int topo_new(struct topo **out)
{
    struct topo *t = calloc(1, sizeof(*t));
    int rv = -ENOMEM;

    if (t == NULL) {
        return -ENOMEM;
    }
    for (int k = 0; k < TOPO_KINDS; k++) {
        t->nodes[k] = hmap_new(true);
        t->parts[k] = hmap_new(false);
        if (t->nodes[k] == NULL || t->parts[k] == NULL) {
            goto err;
        }
    }
    t->sets = hmap_new(false);
    if (t->sets == NULL) {
        goto err;
    }
    rv = -pthread_mutex_init(&t->mu, NULL);
    if (rv != 0) {
        goto err;
    }
    *out = t;
    return 0;
err:
    hmap_free(t->sets);
    for (int k = 0; k < TOPO_KINDS; k++) {
        hmap_free(t->parts[k]);
        hmap_free(t->nodes[k]);
    }
    free(t);
    return rv;
}

/* Free every value of a map and empty it. */
static void drain(struct hmap *m, void (*free_value)(void *))
{
    size_t pos = 0;
    uint64_t id;
    const char *key;
    void *value;

    while (hmap_next(m, &pos, &id, &key, &value)) {
        free_value(value);
        if (key != NULL) {
            hmap_del_str(m, key);
        } else {
            hmap_del_u64(m, id);
        }
    }
}

static void free_node(void *value)
{
    struct node *n = value;

    free(n->reports);
    free(n->disks);
    free(n);
}

static void free_part(void *value)
{
    struct part *p = value;

    free(p->refs);
    free(p);
}

static void clear_locked(struct topo *t)
{
    for (int k = 0; k < TOPO_KINDS; k++) {
        drain(t->parts[k], free_part);
        drain(t->nodes[k], free_node);
    }
    drain(t->sets, free);
}

void topo_free(struct topo *t)
{
    if (t == NULL) {
        return;
    }
    clear_locked(t);
    for (int k = 0; k < TOPO_KINDS; k++) {
        hmap_free(t->parts[k]);
        hmap_free(t->nodes[k]);
    }
    hmap_free(t->sets);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

void topo_clear(struct topo *t)
{
    pthread_mutex_lock(&t->mu);
    clear_locked(t);
    pthread_mutex_unlock(&t->mu);
}

/* The nodeset id, created (capacity 0, in zone) when it is not known yet. */
static struct topo_nodeset *get_set_locked(struct topo *t, uint64_t id, const char *zone)
{
    struct topo_nodeset *s = hmap_get_u64(t->sets, id);

    if (s != NULL) {
        return s;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    s->id = id;
    snprintf(s->zone, sizeof(s->zone), "%s", zone);
    if (hmap_put_u64(t->sets, id, s, NULL) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

int topo_put_nodeset(struct topo *t, const struct store_nodeset *ns)
{
    struct topo_nodeset *s;
    int rv = -ENOMEM;

    pthread_mutex_lock(&t->mu);
    s = get_set_locked(t, ns->id, ns->zone_name);
    if (s != NULL) {
        s->capacity = ns->capacity;
        memcpy(s->zone, ns->zone_name, sizeof(s->zone));
        rv = 0;
    }
    pthread_mutex_unlock(&t->mu);
    return rv;
}

int topo_put_node(struct topo *t, enum topo_kind kind, const struct store_node *rec)
{
    struct node *n;
    int rv = -ENOMEM;

    pthread_mutex_lock(&t->mu);
    if (get_set_locked(t, rec->nodeset_id, rec->zone_name) == NULL) {
        goto out;
    }
    n = hmap_get_str(t->nodes[kind], rec->addr);
    if (n == NULL) {
        n = calloc(1, sizeof(*n));
        if (n == NULL) {
            goto out;
        }
        n->view.kind = kind;
        memcpy(n->view.addr, rec->addr, sizeof(n->view.addr));
        if (hmap_put_str(t->nodes[kind], rec->addr, n, NULL) != 0) {
            free(n);
            goto out;
        }
    }
    n->view.id = rec->id;
    n->view.nodeset_id = rec->nodeset_id;
    memcpy(n->view.zone, rec->zone_name, sizeof(n->view.zone));
    n->view.rdonly = rec->rdonly;
    n->view.decommissioning = rec->to_be_offline;
    rv = 0;
out:
    pthread_mutex_unlock(&t->mu);
    return rv;
}

/* Take node n out of the index of every partition it reported. Tolerates a half-built index. */
static void unindex_locked(struct topo *t, struct node *n)
{
    struct hmap *parts = t->parts[n->view.kind];

    for (size_t i = 0; i < n->nreports; i++) {
        uint64_t id = report_at(n, i)->partition_id;
        struct part *p = hmap_get_u64(parts, id);
        if (p == NULL) {
            continue;
        }
        for (size_t j = 0; j < p->n; j++) {
            if (p->refs[j].node == n) {
                memmove(&p->refs[j], &p->refs[j + 1], (p->n - j - 1) * sizeof(*p->refs));
                p->n--;
                break;
            }
        }
        if (p->n == 0) {
            hmap_del_u64(parts, id);
            free_part(p);
        }
    }
}

/* Add node n to the index of every partition it reported; a partition reported twice in one
 * heartbeat keeps its first report. */
static int index_locked(struct topo *t, struct node *n)
{
    struct hmap *parts = t->parts[n->view.kind];

    for (size_t i = 0; i < n->nreports; i++) {
        uint64_t id = report_at(n, i)->partition_id;
        struct part *p = hmap_get_u64(parts, id);
        bool dup = false;
        if (p == NULL) {
            p = calloc(1, sizeof(*p));
            if (p == NULL || hmap_put_u64(parts, id, p, NULL) != 0) {
                free(p);
                return -ENOMEM;
            }
        }
        for (size_t j = 0; j < p->n && !dup; j++) {
            dup = p->refs[j].node == n;
        }
        if (dup) {
            continue;
        }
        if (p->n == p->cap) {
            size_t cap = p->cap > 0 ? p->cap * 2 : 4;
            struct ref *refs = realloc(p->refs, cap * sizeof(*refs));
            if (refs == NULL) {
                return -ENOMEM;
            }
            p->refs = refs;
            p->cap = cap;
        }
        p->refs[p->n].node = n;
        p->refs[p->n].idx = i;
        p->n++;
    }
    return 0;
}

int topo_remove_node(struct topo *t, enum topo_kind kind, const char *addr)
{
    struct node *n;

    pthread_mutex_lock(&t->mu);
    n = hmap_del_str(t->nodes[kind], addr);
    if (n != NULL) {
        unindex_locked(t, n);
        free_node(n);
    }
    pthread_mutex_unlock(&t->mu);
    return n != NULL ? 0 : CFS_ENOTFOUND;
}

/* A heartbeat response of either kind; convert turns its report i into ours. */
struct heartbeat {
    enum topo_kind kind;
    uint8_t status;
    const char *result;
    const char *zone;
    uint64_t total;
    uint64_t used;
    uint64_t available;
    size_t nreports;
    const void *resp;
    void (*convert)(const void *resp, size_t i, void *report);
};

/* Install new reports (owned) on node n and index them. */
static int replace_reports_locked(struct topo *t, struct node *n, unsigned char *reports,
                                  size_t nreports)
{
    int rv;

    unindex_locked(t, n);
    free(n->reports);
    n->reports = reports;
    n->nreports = nreports;
    rv = index_locked(t, n);
    if (rv != 0) {
        /* Better no reports than some: a partition must not look like it lost a replica. */
        unindex_locked(t, n);
        free(n->reports);
        n->reports = NULL;
        n->nreports = 0;
    }
    return rv;
}

static int apply_heartbeat(struct topo *t, const char *addr, const struct heartbeat *hb,
                           uint64_t now_ms, struct topo_hb_result *res, char *errmsg)
{
    const char *kind = topo_kind_name(hb->kind);
    unsigned char *reports = NULL;
    struct node *n;
    int rv;

    if (hb->status != TASK_SUCCEEDS) {
        errors_set(errmsg, "%s node %s: heartbeat failed: %s", kind, addr, hb->result);
        return CFS_EREMOTE;
    }
    /* Converted before taking the lock, which heartbeats of thousands of partitions would hold
     * for long. */
    if (hb->nreports > 0) {
        reports = calloc(hb->nreports, report_size[hb->kind]);
        if (reports == NULL) {
            errors_set(errmsg, "%s node %s: no memory for %zu partition reports", kind, addr,
                       hb->nreports);
            return -ENOMEM;
        }
    }
    for (size_t i = 0; i < hb->nreports; i++) {
        hb->convert(hb->resp, i, reports + i * report_size[hb->kind]);
    }
    pthread_mutex_lock(&t->mu);
    n = hmap_get_str(t->nodes[hb->kind], addr);
    if (n == NULL) {
        pthread_mutex_unlock(&t->mu);
        free(reports);
        errors_set(errmsg, "%s node %s is not registered", kind, addr);
        return CFS_ENOTFOUND;
    }
    rv = replace_reports_locked(t, n, reports, hb->nreports);
    if (rv != 0) {
        errors_set(errmsg, "%s node %s: no memory to index %zu partition reports", kind, addr,
                   hb->nreports);
    }
    if (res != NULL) {
        res->became_active = !n->view.active;
    }
    n->view.total = hb->total;
    n->view.used = hb->used;
    n->view.available = hb->available;
    n->view.partition_count = (uint32_t)n->nreports;
    n->view.reported = true;
    n->view.report_ms = now_ms;
    n->view.active = true;
    snprintf(n->view.reported_zone, sizeof(n->view.reported_zone), "%s",
             hb->zone[0] != '\0' ? hb->zone : TOPO_DEFAULT_ZONE);
    if (res != NULL) {
        res->zone_changed = strcmp(n->view.reported_zone, n->view.zone) != 0;
    }
    pthread_mutex_unlock(&t->mu);
    return rv;
}

static void convert_dp(const void *resp, size_t i, void *report)
{
    const struct dn_partition_report *r = &((const struct dn_heartbeat_resp *)resp)->reports[i];
    struct status_dp_report *out = report;

    out->base.partition_id = r->partition_id;
    out->base.status = r->partition_status;
    out->base.is_leader = r->is_leader;
    out->total = r->total;
    out->used = r->used;
    out->extent_count = r->extent_count;
    snprintf(out->disk_path, sizeof(out->disk_path), "%s", r->disk_path);
}

static void convert_mp(const void *resp, size_t i, void *report)
{
    const struct mn_partition_report *r = &((const struct mn_heartbeat_resp *)resp)->reports[i];
    struct status_mp_report *out = report;

    out->base.partition_id = r->partition_id;
    out->base.status = r->status;
    out->base.is_leader = r->is_leader;
    out->start = r->start;
    out->end = r->end;
    out->max_inode_id = r->max_inode_id;
    out->inode_count = r->inode_cnt;
    out->dentry_count = r->dentry_cnt;
}

int topo_apply_dn_heartbeat(struct topo *t, const char *addr, const struct dn_heartbeat_resp *resp,
                            uint64_t now_ms, struct topo_hb_result *res, char *errmsg)
{
    const struct heartbeat hb = {
        .kind = TOPO_DATA,
        .status = resp->status,
        .result = resp->result,
        .zone = resp->zone_name,
        .total = resp->total,
        .used = resp->used,
        .available = resp->available,
        .nreports = resp->nreports,
        .resp = resp,
        .convert = convert_dp,
    };

    return apply_heartbeat(t, addr, &hb, now_ms, res, errmsg);
}

int topo_apply_mn_heartbeat(struct topo *t, const char *addr, const struct mn_heartbeat_resp *resp,
                            uint64_t now_ms, struct topo_hb_result *res, char *errmsg)
{
    const struct heartbeat hb = {
        .kind = TOPO_META,
        .status = resp->status,
        .result = resp->result,
        .zone = resp->zone_name,
        .total = resp->total,
        .used = resp->used,
        .available = resp->total > resp->used ? resp->total - resp->used : 0,
        .nreports = resp->nreports,
        .resp = resp,
        .convert = convert_mp,
    };

    return apply_heartbeat(t, addr, &hb, now_ms, res, errmsg);
}

int topo_put_disks(struct topo *t, const char *addr, const struct dn_heartbeat_resp *resp)
{
    struct topo_disk *disks = NULL;
    struct node *n;

    if (resp->ndisk_stats > 0) {
        disks = calloc(resp->ndisk_stats, sizeof(*disks));
        if (disks == NULL) {
            return -ENOMEM;
        }
    }
    for (uint32_t i = 0; i < resp->ndisk_stats; i++) {
        const struct dn_disk_stat *st = &resp->disk_stats[i];
        snprintf(disks[i].path, sizeof(disks[i].path), "%s", st->disk_path);
        disks[i].total = st->total;
        disks[i].used = st->used;
        disks[i].available = st->available;
        disks[i].status = st->status;
        for (uint32_t k = 0; k < resp->nbad_disks && !disks[i].bad; k++) {
            disks[i].bad = strcmp(resp->bad_disks[k], st->disk_path) == 0;
        }
    }
    pthread_mutex_lock(&t->mu);
    n = hmap_get_str(t->nodes[TOPO_DATA], addr);
    if (n != NULL) {
        free(n->disks);
        n->disks = disks;
        n->ndisks = resp->ndisk_stats;
        disks = NULL;
    }
    pthread_mutex_unlock(&t->mu);
    free(disks);
    return n != NULL ? 0 : CFS_ENOTFOUND;
}

int topo_copy_disks(struct topo *t, const char *addr, struct topo_disk **out, size_t *n)
{
    struct topo_disk *disks = NULL;
    struct node *node;
    size_t count = 0;
    int rv = CFS_ENOTFOUND;

    pthread_mutex_lock(&t->mu);
    node = hmap_get_str(t->nodes[TOPO_DATA], addr);
    if (node != NULL) {
        rv = 0;
        count = node->ndisks;
        if (count > 0) {
            disks = malloc(count * sizeof(*disks));
            if (disks == NULL) {
                rv = -ENOMEM;
            } else {
                memcpy(disks, node->disks, count * sizeof(*disks));
            }
        }
    }
    pthread_mutex_unlock(&t->mu);
    if (rv == 0) {
        *out = disks;
        *n = count;
    }
    return rv;
}

static size_t count_nodes_locked(const struct topo *t)
{
    return hmap_count(t->nodes[TOPO_DATA]) + hmap_count(t->nodes[TOPO_META]);
}

int topo_check_liveness(struct topo *t, uint64_t now_ms, uint64_t timeout_ms,
                        struct topo_change **out, size_t *n)
{
    struct topo_change *changes;
    size_t nchanges = 0;
    size_t total;

    pthread_mutex_lock(&t->mu);
    total = count_nodes_locked(t);
    /* Room for every node up front, so running out of memory changes no flag. */
    changes = total > 0 ? malloc(total * sizeof(*changes)) : NULL;
    if (total > 0 && changes == NULL) {
        pthread_mutex_unlock(&t->mu);
        return -ENOMEM;
    }
    for (int k = 0; k < TOPO_KINDS; k++) {
        size_t pos = 0;
        void *value;
        while (hmap_next(t->nodes[k], &pos, NULL, NULL, &value)) {
            struct topo_node *v = &((struct node *)value)->view;
            bool active = v->reported && status_is_fresh(v->report_ms, now_ms, timeout_ms);
            if (active != v->active) {
                v->active = active;
                changes[nchanges].kind = v->kind;
                memcpy(changes[nchanges].addr, v->addr, sizeof(v->addr));
                changes[nchanges].active = active;
                nchanges++;
            }
        }
    }
    pthread_mutex_unlock(&t->mu);
    if (nchanges == 0) {
        free(changes);
        changes = NULL;
    }
    *out = changes;
    *n = nchanges;
    return 0;
}

static int cmp_node_addr(const void *a, const void *b)
{
    return strcmp(((const struct topo_node *)a)->addr, ((const struct topo_node *)b)->addr);
}

/* Append the views of every node of kind to out. */
static size_t copy_views_locked(const struct topo *t, enum topo_kind kind, struct topo_node *out)
{
    size_t pos = 0;
    size_t n = 0;
    void *value;

    while (hmap_next(t->nodes[kind], &pos, NULL, NULL, &value)) {
        out[n++] = ((struct node *)value)->view;
    }
    return n;
}

int topo_copy_nodes(struct topo *t, enum topo_kind kind, struct topo_node **out, size_t *n)
{
    struct topo_node *nodes = NULL;
    size_t count;

    pthread_mutex_lock(&t->mu);
    count = hmap_count(t->nodes[kind]);
    if (count > 0) {
        nodes = malloc(count * sizeof(*nodes));
        if (nodes == NULL) {
            pthread_mutex_unlock(&t->mu);
            return -ENOMEM;
        }
        copy_views_locked(t, kind, nodes);
    }
    pthread_mutex_unlock(&t->mu);
    if (count > 1) {
        qsort(nodes, count, sizeof(*nodes), cmp_node_addr);
    }
    *out = nodes;
    *n = count;
    return 0;
}

void topo_put_placement(struct topo *t, enum topo_kind kind, const struct topo_node *nodes,
                        size_t n)
{
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < n; i++) {
        struct node *node = hmap_get_str(t->nodes[kind], nodes[i].addr);
        if (node != NULL) {
            node->view.carry = nodes[i].carry;
            node->view.selected_times = nodes[i].selected_times;
        }
    }
    pthread_mutex_unlock(&t->mu);
}

int topo_get_node(struct topo *t, enum topo_kind kind, const char *addr, struct topo_node *out)
{
    struct node *n;

    pthread_mutex_lock(&t->mu);
    n = hmap_get_str(t->nodes[kind], addr);
    if (n != NULL) {
        *out = n->view;
    }
    pthread_mutex_unlock(&t->mu);
    return n != NULL ? 0 : CFS_ENOTFOUND;
}

static int copy_reports(struct topo *t, enum topo_kind kind, const char *addr, void **out,
                        size_t *n)
{
    struct node *node;
    void *reports = NULL;
    size_t count = 0;
    int rv = CFS_ENOTFOUND;

    pthread_mutex_lock(&t->mu);
    node = hmap_get_str(t->nodes[kind], addr);
    if (node == NULL) {
        goto out;
    }
    rv = 0;
    count = node->nreports;
    if (count > 0) {
        reports = malloc(count * report_size[kind]);
        if (reports == NULL) {
            rv = -ENOMEM;
            goto out;
        }
        memcpy(reports, node->reports, count * report_size[kind]);
    }
    *out = reports;
    *n = count;
out:
    pthread_mutex_unlock(&t->mu);
    return rv;
}

int topo_copy_dp_reports(struct topo *t, const char *addr, struct status_dp_report **out, size_t *n)
{
    void *reports;
    int rv = copy_reports(t, TOPO_DATA, addr, &reports, n);

    if (rv == 0) {
        *out = reports;
    }
    return rv;
}

int topo_copy_mp_reports(struct topo *t, const char *addr, struct status_mp_report **out, size_t *n)
{
    void *reports;
    int rv = copy_reports(t, TOPO_META, addr, &reports, n);

    if (rv == 0) {
        *out = reports;
    }
    return rv;
}

/* Replicas of either kind: a status_source at offset 0 and the report at report_off. */
static size_t copy_replicas(struct topo *t, enum topo_kind kind, uint64_t id, void *out, size_t cap,
                            size_t stride, size_t report_off)
{
    const struct part *p;
    size_t count;

    pthread_mutex_lock(&t->mu);
    p = hmap_get_u64(t->parts[kind], id);
    count = p != NULL ? p->n : 0;
    for (size_t i = 0; i < count && i < cap; i++) {
        const struct node *n = p->refs[i].node;
        unsigned char *dst = (unsigned char *)out + i * stride;
        struct status_source *src = (struct status_source *)(void *)dst;
        memcpy(src->addr, n->view.addr, sizeof(src->addr));
        src->report_ms = n->view.report_ms;
        src->node_active = n->view.active;
        src->node_rdonly = n->view.rdonly;
        memcpy(dst + report_off, report_at(n, p->refs[i].idx), report_size[kind]);
    }
    pthread_mutex_unlock(&t->mu);
    return count;
}

size_t topo_dp_replicas(struct topo *t, uint64_t id, struct status_dp_replica *out, size_t cap)
{
    return copy_replicas(t, TOPO_DATA, id, out, cap, sizeof(*out),
                         offsetof(struct status_dp_replica, report));
}

size_t topo_mp_replicas(struct topo *t, uint64_t id, struct status_mp_replica *out, size_t cap)
{
    return copy_replicas(t, TOPO_META, id, out, cap, sizeof(*out),
                         offsetof(struct status_mp_replica, report));
}

void topo_counts(struct topo *t, struct topo_counts *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&t->mu);
    for (int k = 0; k < TOPO_KINDS; k++) {
        size_t pos = 0;
        void *value;
        while (hmap_next(t->nodes[k], &pos, NULL, NULL, &value)) {
            if (((struct node *)value)->view.active) {
                out->active[k]++;
            } else {
                out->inactive[k]++;
            }
        }
    }
    pthread_mutex_unlock(&t->mu);
}

static int cmp_set_id(const void *a, const void *b)
{
    uint64_t x = ((const struct topo_nodeset *)a)->id;
    uint64_t y = ((const struct topo_nodeset *)b)->id;

    return x < y ? -1 : x > y;
}

/* Every nodeset sorted by id, with the nodes of each kind counted. */
static int copy_sets_locked(const struct topo *t, struct topo_nodeset **out, size_t *n)
{
    size_t count = hmap_count(t->sets);
    struct topo_nodeset *sets = NULL;
    size_t pos = 0;
    size_t i = 0;
    void *value;

    if (count > 0) {
        sets = malloc(count * sizeof(*sets));
        if (sets == NULL) {
            return -ENOMEM;
        }
    }
    while (hmap_next(t->sets, &pos, NULL, NULL, &value)) {
        sets[i] = *(const struct topo_nodeset *)value;
        memset(sets[i].count, 0, sizeof(sets[i].count));
        i++;
    }
    if (count > 1) {
        qsort(sets, count, sizeof(*sets), cmp_set_id);
    }
    for (int k = 0; k < TOPO_KINDS; k++) {
        pos = 0;
        while (hmap_next(t->nodes[k], &pos, NULL, NULL, &value)) {
            struct topo_nodeset key = {.id = ((struct node *)value)->view.nodeset_id};
            struct topo_nodeset *s = bsearch(&key, sets, count, sizeof(*sets), cmp_set_id);
            /* Every node's nodeset exists: topo_put_node creates it. */
            s->count[k]++;
        }
    }
    *out = sets;
    *n = count;
    return 0;
}

int topo_copy_nodesets(struct topo *t, struct topo_nodeset **out, size_t *n)
{
    int rv;

    pthread_mutex_lock(&t->mu);
    rv = copy_sets_locked(t, out, n);
    pthread_mutex_unlock(&t->mu);
    return rv;
}

static int cmp_set_view(const void *a, const void *b)
{
    const struct topo_set_view *x = a;
    const struct topo_set_view *y = b;
    int c = strcmp(x->set.zone, y->set.zone);

    return c != 0 ? c : cmp_set_id(&x->set, &y->set);
}

/* Nodes grouped by nodeset, then kind, then address. */
static int cmp_node_place(const void *a, const void *b)
{
    const struct topo_node *x = a;
    const struct topo_node *y = b;

    if (x->nodeset_id != y->nodeset_id) {
        return x->nodeset_id < y->nodeset_id ? -1 : 1;
    }
    if (x->kind != y->kind) {
        return x->kind < y->kind ? -1 : 1;
    }
    return strcmp(x->addr, y->addr);
}

/* The first node of nodeset id in nodes sorted by cmp_node_place. */
static size_t first_of_set(const struct topo_node *nodes, size_t n, uint64_t id)
{
    size_t lo = 0;
    size_t hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (nodes[mid].nodeset_id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Views over the sorted sets and nodes: each set points at its runs of nodes, each zone at its
 * run of sets. */
static int build_views(struct topo_summary *s, size_t nsets, size_t nnodes)
{
    size_t nzones = 0;

    for (size_t i = 0; i < nsets; i++) {
        struct topo_set_view *v = &s->set_buf[i];
        size_t first = first_of_set(s->node_buf, nnodes, v->set.id);
        v->nodes[TOPO_DATA] = v->set.count[TOPO_DATA] > 0 ? &s->node_buf[first] : NULL;
        v->nodes[TOPO_META] =
            v->set.count[TOPO_META] > 0 ? &s->node_buf[first + v->set.count[TOPO_DATA]] : NULL;
        if (i == 0 || strcmp(v->set.zone, s->set_buf[i - 1].set.zone) != 0) {
            nzones++;
        }
    }
    if (nzones == 0) {
        return 0;
    }
    s->zones = calloc(nzones, sizeof(*s->zones));
    if (s->zones == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < nsets; i++) {
        const char *zone = s->set_buf[i].set.zone;
        struct topo_zone_view *z = s->nzones > 0 ? &s->zones[s->nzones - 1] : NULL;
        if (z != NULL && strcmp(z->name, zone) == 0) {
            z->nsets++;
            continue;
        }
        z = &s->zones[s->nzones++];
        memcpy(z->name, zone, sizeof(z->name));
        z->sets = &s->set_buf[i];
        z->nsets = 1;
    }
    return 0;
}

int topo_summarize(struct topo *t, struct topo_summary *out)
{
    struct topo_summary s = {0};
    struct topo_nodeset *sets = NULL;
    size_t nsets = 0;
    size_t nnodes = 0;
    int rv;

    pthread_mutex_lock(&t->mu);
    rv = copy_sets_locked(t, &sets, &nsets);
    if (rv == 0 && count_nodes_locked(t) > 0) {
        s.node_buf = malloc(count_nodes_locked(t) * sizeof(*s.node_buf));
        if (s.node_buf == NULL) {
            rv = -ENOMEM;
        } else {
            nnodes = copy_views_locked(t, TOPO_DATA, s.node_buf);
            nnodes += copy_views_locked(t, TOPO_META, s.node_buf + nnodes);
        }
    }
    pthread_mutex_unlock(&t->mu);
    if (rv != 0) {
        goto err;
    }
    if (nsets > 0) {
        s.set_buf = calloc(nsets, sizeof(*s.set_buf));
        if (s.set_buf == NULL) {
            rv = -ENOMEM;
            goto err;
        }
        for (size_t i = 0; i < nsets; i++) {
            s.set_buf[i].set = sets[i];
        }
        qsort(s.set_buf, nsets, sizeof(*s.set_buf), cmp_set_view);
    }
    if (nnodes > 1) {
        qsort(s.node_buf, nnodes, sizeof(*s.node_buf), cmp_node_place);
    }
    rv = build_views(&s, nsets, nnodes);
    if (rv != 0) {
        goto err;
    }
    free(sets);
    *out = s;
    return 0;
err:
    free(sets);
    topo_summary_free(&s);
    return rv;
}

void topo_summary_free(struct topo_summary *s)
{
    free(s->zones);
    free(s->set_buf);
    free(s->node_buf);
    memset(s, 0, sizeof(*s));
}

#include "master/cluster/status.h"

#include "datanode_proto/dn_bodies.h"
#include "metanode_proto/mn_bodies.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The survey below serves both kinds with one set of constants. */
_Static_assert((int)DP_STATUS_UNAVAILABLE == (int)MP_STATUS_UNAVAILABLE, "status values differ");
_Static_assert((int)DP_STATUS_READ_ONLY == (int)MP_STATUS_READ_ONLY, "status values differ");
_Static_assert((int)DP_STATUS_READ_WRITE == (int)MP_STATUS_READ_WRITE, "status values differ");
_Static_assert(offsetof(struct status_dp_replica, src) == 0, "source first");
_Static_assert(offsetof(struct status_mp_replica, src) == 0, "source first");
_Static_assert(offsetof(struct status_dp_report, base) == 0, "common report first");
_Static_assert(offsetof(struct status_mp_report, base) == 0, "common report first");

enum {
    STATUS_UNAVAILABLE = DP_STATUS_UNAVAILABLE,
    STATUS_READ_ONLY = DP_STATUS_READ_ONLY,
    STATUS_READ_WRITE = DP_STATUS_READ_WRITE
};

bool status_is_fresh(uint64_t report_ms, uint64_t now_ms, uint64_t timeout_ms)
{
    return report_ms >= now_ms || now_ms - report_ms <= timeout_ms;
}

/* A replica array of either kind, walked with a stride. */
struct replicas {
    const char *base;
    size_t n;
    size_t stride;
    size_t report_off;
};

static const struct status_source *source_at(const struct replicas *r, size_t i)
{
    return (const struct status_source *)(const void *)(r->base + i * r->stride);
}

static const struct status_report *report_at(const struct replicas *r, size_t i)
{
    return (const struct status_report *)(const void *)(r->base + i * r->stride + r->report_off);
}

static void note(struct status_summary *sum, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append one reason; later ones are cut when the buffer is full. */
static void note(struct status_summary *sum, const char *fmt, ...)
{
    size_t len = strlen(sum->reason);
    va_list ap;

    if (len > 0 && len + 2 < sizeof(sum->reason)) {
        memcpy(sum->reason + len, "; ", 3);
        len += 2;
    }
    if (len + 1 >= sizeof(sum->reason)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(sum->reason + len, sizeof(sum->reason) - len, fmt, ap);
    va_end(ap);
}

static bool is_host(const struct status_part *p, const char *addr)
{
    for (uint32_t h = 0; h < p->nhosts; h++) {
        if (strcmp(p->hosts[h], addr) == 0) {
            return true;
        }
    }
    return false;
}

/* The replica index of host h's report, or SIZE_MAX when it sent none. */
static size_t find_replica(const struct status_part *p, const struct replicas *r, uint32_t h)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(source_at(r, i)->addr, p->hosts[h]) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

/* Why the report of replica i does not make it live, or NULL when it is live. */
static const char *not_live_reason(const struct status_part *p, const struct replicas *r, size_t i,
                                   char *buf, size_t size)
{
    const struct status_source *src = source_at(r, i);

    if (!src->node_active) {
        return "node inactive";
    }
    if (!status_is_fresh(src->report_ms, p->now_ms, p->replica_timeout_ms)) {
        snprintf(buf, size, "last report %" PRIu64 " ms ago (timeout %" PRIu64 " ms)",
                 p->now_ms - src->report_ms, p->replica_timeout_ms);
        return buf;
    }
    if (report_at(r, i)->status == STATUS_UNAVAILABLE) {
        return "replica unavailable";
    }
    return NULL;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* A host's replica: the index of its report (SIZE_MAX when none), and whether it is live. */
struct host_rep {
    size_t idx;
    bool live;
};

/* Fill everything but the status: live count, leader, missing and extra replicas, and each
 * host's replica. Returns the leader's replica index, or SIZE_MAX. */
static size_t survey(const struct status_part *p, const struct replicas *r,
                     struct status_summary *sum, struct host_rep hosts[STORE_MAX_HOSTS])
{
    uint32_t nhosts = p->nhosts < STORE_MAX_HOSTS ? p->nhosts : STORE_MAX_HOSTS;
    size_t leader = SIZE_MAX;

    memset(sum, 0, sizeof(*sum));
    for (uint32_t h = 0; h < nhosts; h++) {
        char buf[96];
        size_t i = find_replica(p, r, h);
        const char *why = i == SIZE_MAX ? "no report" : not_live_reason(p, r, i, buf, sizeof(buf));

        hosts[h].idx = i;
        hosts[h].live = why == NULL;
        if (why != NULL) {
            memcpy(sum->missing[sum->nmissing++], p->hosts[h], STORE_ADDR_SIZE);
            note(sum, "%s: %s", p->hosts[h], why);
            continue;
        }
        sum->live++;
        if (report_at(r, i)->is_leader && leader == SIZE_MAX) {
            leader = i;
            memcpy(sum->leader, p->hosts[h], STORE_ADDR_SIZE);
        }
    }
    for (size_t i = 0; i < r->n; i++) {
        const char *addr = source_at(r, i)->addr;
        if (!is_host(p, addr)) {
            if (sum->nextra < STORE_MAX_HOSTS) {
                snprintf(sum->extra[sum->nextra], STORE_ADDR_SIZE, "%s", addr);
            }
            sum->nextra++;
        }
    }
    return leader;
}

void status_dp(const struct status_dp_input *in, struct status_dp_result *out)
{
    const struct status_part *p = &in->part;
    const struct replicas r = {(const char *)in->replicas, in->nreplicas,
                               sizeof(struct status_dp_replica),
                               offsetof(struct status_dp_replica, report)};
    struct host_rep hosts[STORE_MAX_HOSTS];
    struct status_summary *sum = &out->sum;
    bool writable;
    bool reported = false;

    survey(p, &r, sum, hosts);
    writable = sum->nmissing == 0;
    out->total = 0;
    out->used = 0;
    if (p->nhosts < p->replica_num || p->nhosts == 0) {
        note(sum, "%" PRIu32 " hosts for %" PRIu32 " replicas", p->nhosts, p->replica_num);
        writable = false;
    }
    for (uint32_t h = 0; h < p->nhosts && h < STORE_MAX_HOSTS; h++) {
        const struct status_dp_replica *rep;
        if (hosts[h].idx == SIZE_MAX) {
            continue;
        }
        rep = &in->replicas[hosts[h].idx];
        reported = true;
        out->total = max_u64(out->total, rep->report.total);
        out->used = max_u64(out->used, rep->report.used);
        if (!hosts[h].live) {
            continue;
        }
        if (rep->report.base.status != STATUS_READ_WRITE) {
            note(sum, "%s: replica read-only", p->hosts[h]);
            writable = false;
        } else if (rep->src.node_rdonly) {
            note(sum, "%s: node read-only", p->hosts[h]);
            writable = false;
        }
    }
    /* With no report at all the missing hosts already say why. */
    if (reported && (out->total <= out->used || out->total - out->used <= in->min_free)) {
        note(sum, "%" PRIu64 " of %" PRIu64 " bytes used, needs more than %" PRIu64 " free",
             out->used, out->total, in->min_free);
        writable = false;
    }
    if (in->vol_full) {
        note(sum, "volume is full");
        writable = false;
    }
    sum->status = writable ? STATUS_READ_WRITE : STATUS_READ_ONLY;
}

void status_mp(const struct status_mp_input *in, struct status_mp_result *out)
{
    const struct status_part *p = &in->part;
    const struct replicas r = {(const char *)in->replicas, in->nreplicas,
                               sizeof(struct status_mp_replica),
                               offsetof(struct status_mp_replica, report)};
    struct host_rep hosts[STORE_MAX_HOSTS];
    struct status_summary *sum = &out->sum;
    size_t leader = survey(p, &r, sum, hosts);

    out->max_inode_id = 0;
    out->inode_count = 0;
    out->dentry_count = 0;
    for (uint32_t h = 0; h < p->nhosts && h < STORE_MAX_HOSTS; h++) {
        const struct status_mp_report *rep;
        if (hosts[h].idx == SIZE_MAX) {
            continue;
        }
        rep = &in->replicas[hosts[h].idx].report;
        out->max_inode_id = max_u64(out->max_inode_id, rep->max_inode_id);
        out->inode_count = max_u64(out->inode_count, rep->inode_count);
        out->dentry_count = max_u64(out->dentry_count, rep->dentry_count);
    }
    if (sum->live <= p->replica_num / 2) {
        note(sum, "%" PRIu32 " live replicas of %" PRIu32 ", needs more than %" PRIu32, sum->live,
             p->replica_num, p->replica_num / 2);
        sum->status = STATUS_UNAVAILABLE;
        return;
    }
    if (leader == SIZE_MAX) {
        note(sum, "no live replica is leader");
        sum->status = STATUS_UNAVAILABLE;
        return;
    }
    sum->status = (int8_t)in->replicas[leader].report.base.status;
    for (uint32_t h = 0; h < p->nhosts && h < STORE_MAX_HOSTS; h++) {
        if (hosts[h].live && in->replicas[hosts[h].idx].report.base.status == STATUS_READ_ONLY) {
            note(sum, "%s: replica read-only", p->hosts[h]);
            sum->status = STATUS_READ_ONLY;
        }
    }
    /* The last partition's range is open-ended (the split job moves its End), so only the others
     * can run out of inode ids. */
    if (!in->last && out->max_inode_id >= in->end) {
        note(sum, "inode range used up (max inode %" PRIu64 ", end %" PRIu64 ")", out->max_inode_id,
             in->end);
        sum->status = STATUS_READ_ONLY;
    }
}

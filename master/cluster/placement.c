#include "master/cluster/placement.h"

#include "common/errors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CARRY_MAX 10.0 /* CubeFS's cap: a node idle for long does not win many picks in a row */

/* Why a node is not writable; the first that applies, in this order. */
enum why {
    WHY_EXCLUDED,
    WHY_INACTIVE,
    WHY_DECOMMISSIONING,
    WHY_RDONLY,
    WHY_LOW_SPACE,
    WHY_LOW_MEMORY,
    WHY_THRESHOLD,
    WHY_PARTITIONS,
    WHY_COUNT,
    WHY_WRITABLE = WHY_COUNT
};

static const char *const why_text[WHY_COUNT] = {
    "excluded",  "inactive",   "decommissioning",       "rdonly",
    "low space", "low memory", "over memory threshold", "too many partitions",
};

/* Nodes of one nodeset: a run of the sorted candidates. */
struct tally {
    uint64_t nodeset;
    const char *zone;
    size_t first;
    size_t count;
    uint32_t writable;
    uint32_t why[WHY_COUNT];
    double free; /* available bytes of the writable nodes */
};

void placement_policy_default(struct placement_policy *p)
{
    p->data_min_free = PLACEMENT_DATA_MIN_FREE;
    p->meta_reserved_mem = PLACEMENT_META_RESERVED_MEM;
    p->meta_threshold = PLACEMENT_META_THRESHOLD;
    p->meta_max_partitions = PLACEMENT_META_MAX_PARTITIONS;
}

/* splitmix64: small, fast, and any seed (0 included) is fine. */
static uint64_t rand_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rand_unit(uint64_t *state)
{
    return (double)(rand_next(state) >> 11) * 0x1.0p-53;
}

static enum why why_not(const struct topo_node *node, const struct placement_request *req,
                        const struct placement_policy *pol)
{
    for (uint32_t i = 0; i < req->nexclude; i++) {
        if (strcmp(node->addr, req->exclude[i]) == 0) {
            return WHY_EXCLUDED;
        }
    }
    if (!node->active) {
        return WHY_INACTIVE;
    }
    if (node->decommissioning) {
        return WHY_DECOMMISSIONING;
    }
    if (node->rdonly) {
        return WHY_RDONLY;
    }
    if (node->kind == TOPO_DATA) {
        return node->available > pol->data_min_free ? WHY_WRITABLE : WHY_LOW_SPACE;
    }
    if (node->available <= pol->meta_reserved_mem) {
        return WHY_LOW_MEMORY;
    }
    if (node->total == 0 || (double)node->used > pol->meta_threshold * (double)node->total) {
        return WHY_THRESHOLD;
    }
    return node->partition_count < pol->meta_max_partitions ? WHY_WRITABLE : WHY_PARTITIONS;
}

static bool any_zone(const struct placement_request *req)
{
    return req->zone == NULL || req->zone[0] == '\0';
}

static int cmp_by_nodeset(const void *a, const void *b)
{
    const struct topo_node *x = *(const struct topo_node *const *)a;
    const struct topo_node *y = *(const struct topo_node *const *)b;

    if (x->nodeset_id != y->nodeset_id) {
        return x->nodeset_id < y->nodeset_id ? -1 : 1;
    }
    return strcmp(x->addr, y->addr);
}

/* The nodes the request may consider, grouped by nodeset: *out (malloc'd) and their count. */
static int gather(struct topo_node *nodes, size_t n, const struct placement_request *req,
                  struct topo_node ***out, size_t *count)
{
    struct topo_node **sorted = malloc((n > 0 ? n : 1) * sizeof(*sorted));
    size_t m = 0;

    if (sorted == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (nodes[i].kind == req->kind &&
            (any_zone(req) || strcmp(nodes[i].zone, req->zone) == 0)) {
            sorted[m++] = &nodes[i];
        }
    }
    qsort(sorted, m, sizeof(*sorted), cmp_by_nodeset);
    *out = sorted;
    *count = m;
    return 0;
}

/* One tally per nodeset run of sorted; why[i] gets each node's verdict. */
static size_t tally_up(struct topo_node *const *sorted, size_t m,
                       const struct placement_request *req, const struct placement_policy *pol,
                       unsigned char *why, struct tally *tallies)
{
    size_t nt = 0;

    for (size_t i = 0; i < m; i++) {
        struct tally *t = nt > 0 ? &tallies[nt - 1] : NULL;
        if (t == NULL || sorted[i]->nodeset_id != t->nodeset) {
            t = &tallies[nt++];
            memset(t, 0, sizeof(*t));
            t->nodeset = sorted[i]->nodeset_id;
            t->zone = sorted[i]->zone;
            t->first = i;
        }
        t->count++;
        why[i] = (unsigned char)why_not(sorted[i], req, pol);
        if (why[i] == WHY_WRITABLE) {
            t->writable++;
            t->free += (double)sorted[i]->available;
        } else {
            t->why[why[i]]++;
        }
    }
    return nt;
}

enum tier { TIER_PREFERRED, TIER_PREFERRED_ZONE, TIER_ALL, TIER_COUNT };

static bool in_tier(const struct tally *t, enum tier tier, const struct tally *preferred)
{
    switch (tier) {
    case TIER_PREFERRED:
        return t == preferred;
    case TIER_PREFERRED_ZONE:
        return preferred != NULL && strcmp(t->zone, preferred->zone) == 0;
    default:
        return true;
    }
}

/* A nodeset with enough writable nodes, drawn weighted by free space; tiers tried in order. */
static const struct tally *choose_nodeset(const struct tally *tallies, size_t nt, uint32_t need,
                                          uint64_t prefer, uint64_t *rng)
{
    const struct tally *preferred = NULL;

    for (size_t i = 0; i < nt && prefer != 0; i++) {
        if (tallies[i].nodeset == prefer) {
            preferred = &tallies[i];
        }
    }
    for (int tier = preferred != NULL ? TIER_PREFERRED : TIER_ALL; tier < TIER_COUNT; tier++) {
        const struct tally *last = NULL;
        double total = 0;
        double x;
        for (size_t i = 0; i < nt; i++) {
            if (tallies[i].writable >= need && in_tier(&tallies[i], tier, preferred)) {
                total += tallies[i].free;
                last = &tallies[i];
            }
        }
        if (last == NULL) {
            continue;
        }
        x = rand_unit(rng) * total;
        for (size_t i = 0; i < nt; i++) {
            if (tallies[i].writable >= need && in_tier(&tallies[i], tier, preferred)) {
                if (x < tallies[i].free) {
                    return &tallies[i];
                }
                x -= tallies[i].free;
            }
        }
        return last; /* rounding left x just above the sum */
    }
    return NULL;
}

struct candidate {
    struct topo_node *node;
    double weight;
    double need; /* rounds of adding weight until carry reaches 1 */
    uint64_t tie;
};

/* ceil() for x >= 0, without libm. Doubles from 2^52 up are whole numbers already. */
static double ceil_positive(double x)
{
    double whole;

    if (x >= 0x1.0p52) {
        return x;
    }
    whole = (double)(uint64_t)x;
    return whole < x ? whole + 1 : whole;
}

static int cmp_need(const void *a, const void *b)
{
    double x = ((const struct candidate *)a)->need;
    double y = ((const struct candidate *)b)->need;

    return x < y ? -1 : x > y;
}

static int cmp_carry_desc(const void *a, const void *b)
{
    const struct candidate *x = a;
    const struct candidate *y = b;

    if (x->node->carry != y->node->carry) {
        return x->node->carry > y->node->carry ? -1 : 1;
    }
    return x->tie < y->tie ? -1 : x->tie > y->tie;
}

/* CubeFS's carry pick among the writable nodes of one nodeset. Instead of looping "add every
 * weight once" until enough carries reach 1, it adds the number of rounds the need-th candidate
 * needs, in one step: same result, bounded time even for tiny weights. */
static void pick(struct topo_node *const *sorted, const unsigned char *why, const struct tally *t,
                 uint32_t need, uint64_t *rng, struct candidate *cands, struct topo_node **out)
{
    size_t nc = 0;
    double max_total = 0;
    double rounds;

    for (size_t i = t->first; i < t->first + t->count; i++) {
        if (why[i] == WHY_WRITABLE) {
            struct topo_node *node = sorted[i];
            double total = (double)(node->total > node->available ? node->total : node->available);
            cands[nc++].node = node;
            max_total = total > max_total ? total : max_total;
        }
    }
    for (size_t i = 0; i < nc; i++) {
        const struct topo_node *node = cands[i].node;
        cands[i].weight = (double)node->available / max_total;
        cands[i].need =
            node->carry >= 1.0 ? 0 : ceil_positive((1.0 - node->carry) / cands[i].weight);
        cands[i].tie = rand_next(rng);
    }
    qsort(cands, nc, sizeof(*cands), cmp_need);
    rounds = cands[need - 1].need;
    for (size_t i = 0; i < nc; i++) {
        double carry = cands[i].node->carry + rounds * cands[i].weight;
        cands[i].node->carry = carry < CARRY_MAX ? carry : CARRY_MAX;
    }
    qsort(cands, nc, sizeof(*cands), cmp_carry_desc);
    for (uint32_t i = 0; i < need; i++) {
        cands[i].node->carry -= 1.0;
        cands[i].node->selected_times++;
        out[i] = cands[i].node;
    }
    for (uint32_t i = need - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rand_next(rng) % (i + 1));
        struct topo_node *tmp = out[i];
        out[i] = out[j];
        out[j] = tmp;
    }
}

static int cmp_tally_for_message(const void *a, const void *b)
{
    const struct tally *x = a;
    const struct tally *y = b;

    if (x->writable != y->writable) {
        return x->writable > y->writable ? -1 : 1;
    }
    return x->nodeset < y->nodeset ? -1 : x->nodeset > y->nodeset;
}

/* "nodeset 4 (zone z) found 2 of 5 (1 inactive, 2 low space)" */
static void describe(const struct tally *t, bool with_zone, char *buf, size_t size)
{
    size_t len = 0;
    const char *sep = " (";

    len += (size_t)snprintf(buf, size, "nodeset %llu", (unsigned long long)t->nodeset);
    if (with_zone && len < size) {
        len += (size_t)snprintf(buf + len, size - len, " (zone %s)", t->zone);
    }
    if (len < size) {
        len += (size_t)snprintf(buf + len, size - len, " found %u of %zu", t->writable, t->count);
    }
    for (int w = 0; w < WHY_COUNT && len < size; w++) {
        if (t->why[w] > 0) {
            len += (size_t)snprintf(buf + len, size - len, "%s%u %s", sep, t->why[w], why_text[w]);
            sep = ", ";
        }
    }
    if (sep[0] == ',' && len < size) {
        snprintf(buf + len, size - len, ")");
    }
}

/* The failure message: the closest nodesets first, as many as fit, then how many were left out. */
static void explain(const struct placement_request *req, struct tally *tallies, size_t nt,
                    char *errmsg)
{
    static const char more_fmt[] = "%sand %zu more node sets";
    char item[160];
    size_t len;

    if (errmsg == NULL) {
        return;
    }
    qsort(tallies, nt, sizeof(*tallies), cmp_tally_for_message);
    len = (size_t)snprintf(errmsg, ERRMSG_SIZE, "no node set with %u writable %s nodes in %s%s",
                           req->replicas, topo_kind_name(req->kind),
                           any_zone(req) ? "any zone" : "zone ", any_zone(req) ? "" : req->zone);
    for (size_t i = 0; i < nt && len < ERRMSG_SIZE; i++) {
        const char *sep = i == 0 ? ": " : "; ";
        size_t reserve = i + 1 < nt ? sizeof(more_fmt) + 8 : 0;
        describe(&tallies[i], any_zone(req), item, sizeof(item));
        if (len + strlen(sep) + strlen(item) + reserve >= ERRMSG_SIZE) {
            snprintf(errmsg + len, ERRMSG_SIZE - len, more_fmt, sep, nt - i);
            return;
        }
        len += (size_t)snprintf(errmsg + len, ERRMSG_SIZE - len, "%s%s", sep, item);
    }
}

int placement_choose(struct topo_node *nodes, size_t n, const struct placement_request *req,
                     const struct placement_policy *policy, uint64_t *rng, size_t *chosen,
                     char *errmsg)
{
    struct topo_node **sorted = NULL;
    unsigned char *why = NULL;
    struct tally *tallies = NULL;
    struct candidate *cands = NULL;
    struct topo_node *picked[STORE_MAX_HOSTS];
    const struct tally *set;
    size_t m;
    size_t nt;
    int rv;

    if (req->replicas == 0 || req->replicas > STORE_MAX_HOSTS) {
        errors_set(errmsg, "replica count %u is not in 1..%d", req->replicas, STORE_MAX_HOSTS);
        return -EINVAL;
    }
    rv = gather(nodes, n, req, &sorted, &m);
    if (rv != 0) {
        goto nomem;
    }
    if (m == 0) {
        errors_set(errmsg, "no %s nodes in %s%s", topo_kind_name(req->kind),
                   any_zone(req) ? "any zone" : "zone ", any_zone(req) ? "" : req->zone);
        rv = -ENOSPC;
        goto out;
    }
    why = malloc(m);
    tallies = malloc(m * sizeof(*tallies));
    cands = malloc(m * sizeof(*cands));
    if (why == NULL || tallies == NULL || cands == NULL) {
        rv = -ENOMEM;
        goto nomem;
    }
    nt = tally_up(sorted, m, req, policy, why, tallies);
    set = choose_nodeset(tallies, nt, req->replicas, req->prefer_nodeset, rng);
    if (set == NULL) {
        explain(req, tallies, nt, errmsg);
        rv = -ENOSPC;
        goto out;
    }
    pick(sorted, why, set, req->replicas, rng, cands, picked);
    for (uint32_t i = 0; i < req->replicas; i++) {
        chosen[i] = (size_t)(picked[i] - nodes);
    }
    goto out;
nomem:
    errors_set(errmsg, "no memory to place %u %s replicas", req->replicas,
               topo_kind_name(req->kind));
out:
    free(cands);
    free(tallies);
    free(why);
    free(sorted);
    return rv;
}

bool placement_writable(const struct topo_node *node, const struct placement_policy *policy)
{
    const struct placement_request req = {.kind = node->kind};

    return why_not(node, &req, policy) == WHY_WRITABLE;
}

uint32_t placement_nodeset_free(const struct topo_nodeset *set, enum topo_kind kind)
{
    return set->capacity > set->count[kind] ? set->capacity - set->count[kind] : 0;
}

uint64_t placement_pick_nodeset(const struct topo_nodeset *sets, size_t n, const char *zone,
                                enum topo_kind kind)
{
    uint64_t best = 0;
    uint32_t best_free = 0;

    for (size_t i = 0; i < n; i++) {
        const struct topo_nodeset *s = &sets[i];
        uint32_t slots = placement_nodeset_free(s, kind);
        if (strcmp(s->zone, zone) != 0 || slots == 0) {
            continue;
        }
        if (slots > best_free || (slots == best_free && s->id < best)) {
            best = s->id;
            best_free = slots;
        }
    }
    return best;
}

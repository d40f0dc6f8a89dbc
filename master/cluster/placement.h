/* Where replicas go: pure decisions over node views copied from topo.
 *
 * A partition's replicas live in ONE nodeset, on distinct writable nodes. Among the nodesets with
 * enough writable nodes, one is drawn at random weighted by its writable free space (data) or
 * free memory (meta), so bursts spread and emptier nodesets fill first; CubeFS walks nodesets
 * round-robin instead. Inside the nodeset, nodes are picked with CubeFS's carry scheme: every
 * candidate's carry grows by its weight (free / largest total in the nodeset) until enough
 * candidates reach 1, the highest carries win and pay 1 back, so over many picks each node is
 * chosen in proportion to its free space. Randomness (ties, the nodeset draw, host order) comes
 * from a caller-seeded generator, so tests replay exactly.
 *
 * Zones: the request names a zone, or "" for any zone; cross-zone partitions are not made here.
 * Replica moves name the source's nodeset as preferred: it is tried first, then the other
 * nodesets of its zone, then every allowed nodeset (CubeFS's order).
 *
 * Failure answers -ENOSPC with a message naming the zone, the needed count, and for each nodeset
 * how many writable nodes it has and why the others are not writable. */
#ifndef CFS_MASTER_CLUSTER_PLACEMENT_H
#define CFS_MASTER_CLUSTER_PLACEMENT_H

#include "master/cluster/topo.h"

#include <stddef.h>
#include <stdint.h>

#define PLACEMENT_DATA_MIN_FREE       (10ULL << 30)
#define PLACEMENT_META_RESERVED_MEM   (1ULL << 30)
#define PLACEMENT_META_THRESHOLD      0.75
#define PLACEMENT_META_MAX_PARTITIONS 10000

/* What makes a node writable, besides being active, not read-only and not decommissioning. */
struct placement_policy {
    uint64_t data_min_free;       /* data: available bytes must be above this */
    uint64_t meta_reserved_mem;   /* meta: total − used must be above this */
    double meta_threshold;        /* meta: used / total must be at most this */
    uint32_t meta_max_partitions; /* meta: fewer partitions than this */
};

void placement_policy_default(struct placement_policy *p);

struct placement_request {
    enum topo_kind kind;
    uint32_t replicas;       /* distinct nodes wanted, 1..STORE_MAX_HOSTS */
    const char *zone;        /* NULL or "": any zone */
    uint64_t prefer_nodeset; /* 0: none; a replica move passes its source's nodeset */
    const char (*exclude)[STORE_ADDR_SIZE]; /* never chosen: a move passes the current hosts */
    uint32_t nexclude;
};

/* Choose req->replicas nodes among nodes (views of req->kind; others are ignored). On success
 * chosen[0..replicas) holds indexes into nodes in random order (hosts[0] leads a data partition,
 * so the order spreads leaders), and the carry and selected_times of the chosen nodeset's
 * candidates are updated in nodes for topo_put_placement(). rng is the generator state, advanced.
 * -EINVAL for a bad replica count, -ENOSPC when no nodeset qualifies, -ENOMEM; errmsg says why
 * and nodes are untouched on error. */
int placement_choose(struct topo_node *nodes, size_t n, const struct placement_request *req,
                     const struct placement_policy *policy, uint64_t *rng, size_t *chosen,
                     char *errmsg);

/* True when node may take a new replica by the rules above (active, not read-only, not
 * decommissioning, enough free space or memory): what the node views show as IsWriteAble. */
bool placement_writable(const struct topo_node *node, const struct placement_policy *policy);

/* Free slots of a nodeset for nodes of kind: capacity − nodes of kind, 0 when full (or when its
 * capacity is unknown). */
uint32_t placement_nodeset_free(const struct topo_nodeset *set, enum topo_kind kind);

/* Registration: the nodeset of zone with the most free slots (capacity − nodes of kind) for a
 * new node of kind, the lowest id among equals; 0 when every one is full and a new nodeset is
 * needed. */
uint64_t placement_pick_nodeset(const struct topo_nodeset *sets, size_t n, const char *zone,
                                enum topo_kind kind);

#endif

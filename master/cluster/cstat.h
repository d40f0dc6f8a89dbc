/* Cluster space statistics for /admin/getCluster and /cluster/stat: pure sums over node views
 * copied from topo, with CubeFS's units and rounding.
 *
 * Data nodes count disk bytes, meta nodes memory bytes. Where CubeFS recomputes these every two
 * minutes in the background, they are computed per request from the latest heartbeats; so
 * IncreasedGB, CubeFS's growth since its previous background pass, has no meaning here and stays
 * 0. A zone with no capacity reports 0 and a 0 ratio, where CubeFS reports a total of 1. */
#ifndef CFS_MASTER_CLUSTER_CSTAT_H
#define CFS_MASTER_CLUSTER_CSTAT_H

#include "master/cluster/placement.h"
#include "master/cluster/topo.h"

#include <stddef.h>
#include <stdint.h>

#define CSTAT_GB (1ULL << 30)

/* NodeStatInfo: whole GB (rounded down), the used ratio as text with 3 decimals ("" when there
 * is no capacity at all, as CubeFS leaves it). */
struct cstat_total {
    uint64_t total_gb;
    uint64_t used_gb;
    int64_t increased_gb;
    char used_ratio[16];
    uint64_t avail_gb;
};

/* ZoneNodesStat: GB with 2 decimals, available = total − used, the ratio with 2 decimals, and
 * how many nodes there are and how many placement may write to. */
struct cstat_zone {
    double total_gb;
    double used_gb;
    double avail_gb;
    double used_ratio;
    uint32_t total_nodes;
    uint32_t writable_nodes;
};

/* Sum n nodes (one kind). */
void cstat_total(const struct topo_node *nodes, size_t n, struct cstat_total *out);

/* The nodes of one kind in one zone of a topo summary. */
void cstat_zone(const struct topo_zone_view *zone, enum topo_kind kind,
                const struct placement_policy *policy, struct cstat_zone *out);

/* used / total as text with `decimals` decimals, "" when total is 0. */
void cstat_ratio(uint64_t used, uint64_t total, int decimals, char *buf, size_t size);

/* x rounded half away from zero to `decimals` decimals (CubeFS's fixedPoint). */
double cstat_round(double x, int decimals);

#endif

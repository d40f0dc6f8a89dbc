#include "master/cluster/cstat.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void cstat_ratio(uint64_t used, uint64_t total, int decimals, char *buf, size_t size)
{
    if (total == 0) {
        snprintf(buf, size, "%s", "");
        return;
    }
    snprintf(buf, size, "%.*f", decimals, (double)used / (double)total);
}

double cstat_round(double x, int decimals)
{
    double scale = pow(10, decimals);

    return round(x * scale) / scale;
}

void cstat_total(const struct topo_node *nodes, size_t n, struct cstat_total *out)
{
    uint64_t total = 0, used = 0, avail = 0;

    for (size_t i = 0; i < n; i++) {
        total += nodes[i].total;
        used += nodes[i].used;
        avail += nodes[i].available;
    }
    memset(out, 0, sizeof(*out));
    out->total_gb = total / CSTAT_GB;
    out->used_gb = used / CSTAT_GB;
    out->avail_gb = avail / CSTAT_GB;
    cstat_ratio(used, total, 3, out->used_ratio, sizeof(out->used_ratio));
}

void cstat_zone(const struct topo_zone_view *zone, enum topo_kind kind,
                const struct placement_policy *policy, struct cstat_zone *out)
{
    double total = 0, used = 0;

    memset(out, 0, sizeof(*out));
    for (size_t s = 0; s < zone->nsets; s++) {
        const struct topo_set_view *set = &zone->sets[s];
        for (uint32_t i = 0; i < set->set.count[kind]; i++) {
            const struct topo_node *node = &set->nodes[kind][i];
            out->total_nodes++;
            out->writable_nodes += placement_writable(node, policy);
            total += (double)node->total / (double)CSTAT_GB;
            used += (double)node->used / (double)CSTAT_GB;
        }
    }
    out->total_gb = cstat_round(total, 2);
    out->used_gb = cstat_round(used, 2);
    out->avail_gb = cstat_round(out->total_gb - out->used_gb, 2);
    out->used_ratio = out->total_gb > 0 ? cstat_round(out->used_gb / out->total_gb, 2) : 0;
}

/* The leader's view of every partition's status, recomputed from the store and the latest node
 * reports (topo) every partition check, and the cached /client/partitions and
 * /client/metaPartitions envelopes built from it.
 *
 * Nothing is sticky: each refresh recomputes every status from fresh reports (status.h). A
 * replica the master itself created counts as reported ReadWrite at its creation time until the
 * replica timeout passes or its node reports it, as CubeFS records new replicas, so a new volume
 * is writable before the next heartbeat.
 *
 * Refreshes run on the loop thread; lookups may come from any thread (one lock). */
#ifndef CFS_MASTER_CLUSTER_PSTATE_H
#define CFS_MASTER_CLUSTER_PSTATE_H

#include "common/errors.h"
#include "master/cluster/status.h"
#include "storage/records.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct master;
struct pstate;

struct pstate_part {
    uint64_t id;
    uint64_t vol_id;
    int8_t status;                /* DP_STATUS_* / MP_STATUS_*; ReadOnly until first computed */
    uint32_t live;                /* hosts with a live replica */
    char leader[STORE_ADDR_SIZE]; /* "" when none */
    char reason[ERRMSG_SIZE];     /* why it is not ReadWrite (diagnose) */
    uint64_t total, used;         /* data partitions */
    uint64_t max_inode_id;        /* meta partitions */
    uint64_t inode_count;
    uint64_t dentry_count;
};

struct pstate_vol {
    uint64_t id;
    uint32_t dp_count, rw_dp_count;
    uint32_t mp_count, rw_mp_count;
    uint64_t total, used; /* bytes, summed over data partitions */
    uint64_t inode_count, dentry_count;
    uint64_t max_mp_id;
};

struct pstate_counts {
    uint32_t dp[3]; /* Unavailable, ReadOnly, ReadWrite */
    uint32_t mp[3];
    uint64_t refreshes;
    uint64_t last_refresh_us;
};

int pstate_new(struct pstate **out);
void pstate_free(struct pstate *ps);

/* Recompute everything (loop thread). */
int pstate_refresh(struct pstate *ps, struct master *m, uint64_t now_ms, char *errmsg);

/* Forget everything (a new leader starts from fresh reports). */
void pstate_clear(struct pstate *ps);

/* Lookups: 0 or CFS_ENOTFOUND (not computed yet). */
int pstate_dp(struct pstate *ps, uint64_t id, struct pstate_part *out);
int pstate_mp(struct pstate *ps, uint64_t id, struct pstate_part *out);
int pstate_vol(struct pstate *ps, uint64_t vol_id, struct pstate_vol *out);
void pstate_counts(struct pstate *ps, struct pstate_counts *out);

/* Partitions that are not ReadWrite (ids ascending), for /admin/getCluster and diagnose;
 * returns how many there are, copying at most max. */
size_t pstate_bad_dps(struct pstate *ps, uint64_t *ids, size_t max);
size_t pstate_bad_mps(struct pstate *ps, uint64_t *ids, size_t max);

/* The /client/metaPartitions entry (v3.5 MetaPartitionView) of mp with status p, for views that
 * list meta partitions themselves (/client/vol). NULL when out of memory. */
json_t *pstate_mp_view(const struct store_mp *mp, const struct pstate_part *p);

/* The replicas of a partition as every status decision must see them: the nodes' last reports,
 * plus, for a partition created within the replica timeout, a ReadWrite report "now" for each
 * host that has not reported it yet. Returns the count (at most cap). */
size_t pstate_dp_replicas(struct master *m, const struct store_dp *dp, uint64_t now_ms,
                          struct status_dp_replica *out, size_t cap);
size_t pstate_mp_replicas(struct master *m, const struct store_mp *mp, uint64_t now_ms,
                          struct status_mp_replica *out, size_t cap);

/* The cached envelope for /client/partitions or /client/metaPartitions of a volume: a malloc'd
 * copy, or NULL when the volume is unknown (or marked deleted) to the last refresh. */
char *pstate_client_partitions(struct pstate *ps, const char *vol, size_t *len);
char *pstate_client_meta_partitions(struct pstate *ps, const char *vol, size_t *len);

/* True when the last refresh (or import) knows volume vol and it is not marked deleted. */
bool pstate_has_vol(struct pstate *ps, const char *vol);

/* The current generation as a self-checking byte stream (malloc'd), for other masters: followers
 * copy the leader's statuses and client envelopes (master/core/views.h), since only the leader
 * receives heartbeats. */
int pstate_export(struct pstate *ps, void **out, size_t *len);

/* Replace the current generation with an exported one. A stream that fails its checks (magic,
 * version, lengths, CRC) changes nothing and says why. */
int pstate_import(struct pstate *ps, const void *buf, size_t len, char *errmsg);

#endif

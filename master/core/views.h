/* A follower's copy of the leader's partition statuses and client views.
 *
 * Only the leader hears node heartbeats, so only it can compute partition statuses (pstate). A
 * follower copies the leader's whole pstate generation every partitionCheckIntervalMs: a worker
 * GETs /internal/clientViews from the leader (no redirects followed: an answer from a master that
 * no longer leads is not taken) and the loop installs it with pstate_import().
 *
 * The copy serves two purposes:
 * - follower read (followerRead: true): /client/partitions, /client/metaPartitions, /client/vol
 *   and /client/volStat are answered by the follower from the copy, as long as it is fresh;
 * - failover: a new leader keeps its copy until its own first status check after the first
 *   heartbeat round, instead of answering from no reports at all (every partition ReadOnly).
 *
 * Staleness: the leader recomputes every partitionCheckIntervalMs (I) and a follower copies every
 * I, so a copy is normally at most about 2 I old. A copy older than VIEWS_STALE_CHECKS x I is not
 * served: the follower then sends the client to the leader as without followerRead. Nor is a copy
 * served before this master's store has applied what the leader's had when it sent the copy,
 * since /client/vol combines the copy with the follower's own records: a follower never answers
 * "vol not exists" for a volume its copy lists.
 *
 * Failure modes: an unreachable leader, a 307/503 answer or a damaged copy leaves the previous copy
 * in place (and it ages out); one fetch is in flight at a time; shutdown lets an in-flight fetch
 * finish on its worker and drops its result. Loop thread only, except the fetch itself. */
#ifndef CFS_MASTER_CORE_VIEWS_H
#define CFS_MASTER_CORE_VIEWS_H

#include <stdbool.h>
#include <stdint.h>

#define VIEWS_STALE_CHECKS 3

/* The leader's applied index when it answered /internal/clientViews, in this response header. */
#define VIEWS_APPLIED_HEADER "Cfs-Applied-Index"

struct master;
struct views;

int views_start(struct master *m, struct views **out);

/* Stop copying (shutdown); the memory goes with views_free() once the loop has ended. */
void views_stop(struct views *v);
void views_free(struct views *v);

/* True while the copy in pstate came from a leader within the staleness bound. */
bool views_fresh(const struct views *v, uint64_t now_ms);

/* Monotonic ms of the last copy installed (0: none since the last views_forget()). */
uint64_t views_copied_ms(const struct views *v);

/* The copy is gone (pstate cleared, or replaced by this master's own checks). */
void views_forget(struct views *v);

#endif

/* Run independent blocking jobs in parallel and wait for all of them, e.g. the sync create
 * tasks of one partition's replicas: a slow or dead node then costs one deadline, not one per
 * replica. Called from worker threads; spawns one short-lived thread per job beyond the first,
 * which runs on the caller's thread. */
#ifndef CFS_MASTER_CORE_FANOUT_H
#define CFS_MASTER_CORE_FANOUT_H

#include <stddef.h>

#define FANOUT_MAX 64

/* Run fn(arg + i * stride) for i in [0, n) concurrently; returns when all have returned. When a
 * thread cannot be started the job runs on the caller's thread instead, so every job runs
 * exactly once. n is at most FANOUT_MAX. */
void fanout_run(void (*fn)(void *job), void *jobs, size_t stride, size_t n);

#endif

/* Waiting for long operations (--wait on decommissions): poll the master, draw a progress line,
 * and end with the outcome.
 *
 * Happy path: progress_wait() polls every env->poll_interval_ms, turning each answer into a
 * status with a pure decision function, redraws the line, and returns 0 once the status is done.
 * Failure modes: the job failed (its error message is the reason); the deadline (--timeout)
 * passed; the master answered an error. "No master answered" is retried until the deadline, since
 * a leader change during a long decommission is expected.
 *
 * The decision functions read either shape a master may answer: CubeFS v3.5's progress objects
 * (/dataNode/queryDecommissionProgress: StatusMessage, Progress, TotalDpCnt, RemainingDpCnt;
 * /dataPartition/queryDecommissionStatus: Status, Progress, ErrorMessage) and ours
 * (/dataNode/get with a "DecommissionProgress" object: Status, Total, Succeeded, Failed, Running,
 * Remaining, ErrorMessage). */
#ifndef CFS_TOOLS_CFS_CLI_PROGRESS_H
#define CFS_TOOLS_CFS_CLI_PROGRESS_H

#include "tools/cfs_cli/cli.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum progress_state { PROGRESS_RUNNING, PROGRESS_DONE, PROGRESS_FAILED };

struct progress_status {
    enum progress_state state;
    char text[192]; /* "Running 40.00% (3 of 5 partitions left)" */
};

/* A node's decommission, from its info (or CubeFS's progress object). gone: the master no longer
 * knows the node, which is how a node decommission ends once the node is empty. */
void progress_node_status(const json_t *info, bool gone, struct progress_status *out);

/* A data partition's decommission, from its status object; when that says "Initial" (no job, or
 * a finished one forgotten), hosts (the partition's "Hosts", may be NULL) tells whether src left.
 */
void progress_dp_status(const json_t *status, const json_t *hosts, const char *src,
                        struct progress_status *out);

struct progress_job {
    const char *what; /* "decommission of data node 127.0.0.1:17310" */
    /* Query the master once: 0 with *st, or a negative error with ctx->errmsg. */
    int (*poll)(struct cli_ctx *ctx, const void *arg, struct progress_status *st);
    const void *arg;
};

/* Poll until done, failed, or timeout_s seconds (0: no limit). 0 when done; otherwise an error
 * with ctx->errmsg saying why. */
int progress_wait(struct cli_ctx *ctx, const struct progress_job *job, uint64_t timeout_s);

#endif

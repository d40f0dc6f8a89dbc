/* cfs-master configuration: CubeFS master keys plus ours, all with defaults, so that running
 * `cfs-master` with no file starts a single master on 127.0.0.1:17010 with data under
 * ./cfs-data/master1.
 *
 * Intervals are configurable (milliseconds) so tests can run the schedulers fast; the defaults
 * are CubeFS's (heartbeat 6 s, node timeout 18 s, partition check 5 s, task batches 2 s). */
#ifndef CFS_MASTER_CORE_MASTER_CONFIG_H
#define CFS_MASTER_CORE_MASTER_CONFIG_H

#include "common/jcodec.h"

#include <stdbool.h>
#include <stdint.h>

#define MASTER_MAX_PEERS 16
#define MASTER_NAME_SIZE 64
#define MASTER_ADDR_SIZE 64
#define MASTER_IP_SIZE   48 /* leaves room for ":port" in MASTER_ADDR_SIZE */
#define MASTER_PATH_SIZE 512

struct master_peer {
    uint64_t id;
    char ip[MASTER_IP_SIZE];
    uint32_t http_port;
    uint32_t raft_port;
    char http_addr[MASTER_ADDR_SIZE]; /* ip:http_port */
    char raft_addr[MASTER_ADDR_SIZE]; /* ip:raft_port */
};

struct master_config {
    char cluster_name[MASTER_NAME_SIZE]; /* clusterName */
    uint64_t id;                         /* id: this master's Raft id */
    char ip[MASTER_IP_SIZE];             /* ip */
    uint32_t listen;                     /* listen: HTTP port */
    uint32_t raft_port;                  /* raftPort: default listen + MASTER_RAFT_PORT_OFFSET */
    char peers_text[1024];               /* peers: "id:ip:httpPort[:raftPort],..." */
    char data_dir[MASTER_PATH_SIZE];     /* dataDir: default ./cfs-data/master<id> */
    char wal_dir[MASTER_PATH_SIZE];      /* walDir: default <dataDir>/wal */
    char store_dir[MASTER_PATH_SIZE];    /* storeDir: default <dataDir>/store */
    char log_dir[MASTER_PATH_SIZE];      /* logDir: empty logs to stderr */
    char log_level[16];                  /* logLevel */
    uint32_t retain_logs;                /* retainLogs: Raft entries kept behind a snapshot */
    uint32_t snapshot_threshold;         /* snapshotThreshold: entries between snapshots */
    uint32_t tick_interval;              /* tickInterval: Raft heartbeat, ms */
    uint32_t election_tick;              /* electionTick: election timeout in ticks */
    uint32_t node_set_cap;               /* nodeSetCap */
    uint64_t meta_node_reserved_mem;     /* metaNodeReservedMem, bytes */
    uint64_t data_node_min_free;     /* dataNodeMinFreeBytes: a writable data node has more free */
    uint32_t heartbeat_interval_ms;  /* heartbeatIntervalMs: node heartbeats */
    uint32_t node_timeout_ms;        /* nodeTimeoutMs: silent this long = inactive */
    uint32_t dp_timeout_ms;          /* dataPartitionTimeOutSec * 1000: replica liveness */
    uint32_t mp_timeout_ms;          /* metaPartitionTimeOutSec * 1000 */
    uint32_t partition_check_ms;     /* partitionCheckIntervalMs: status recompute */
    uint32_t task_tick_ms;           /* taskTickMs: async task batches */
    uint32_t task_resend_ms;         /* taskResendMs */
    uint32_t task_timeout_ms;        /* taskTimeoutMs */
    uint32_t sync_task_timeout_ms;   /* syncTaskTimeoutMs */
    uint32_t dial_timeout_ms;        /* dialTimeoutMs */
    uint32_t raft_commit_timeout_ms; /* raftCommitTimeoutMs: deadline of one proposal */
    uint32_t worker_threads;         /* workerThreads: mutating operations in parallel */
    uint32_t auto_create_delay_ms;   /* autoCreateDelayMs: first automatic dp creation */
    bool follower_read;              /* followerRead: followers serve client reads */
    char leader_forward[16];         /* leaderForward: "redirect" (307) or "proxy" */
    bool single_node_mode;           /* singleNodeMode: allow fewer hosts than replicas */
    bool join; /* join: never form a group; wait to be added with /raftNode/add */

    /* Derived by master_config_finish(). */
    uint32_t npeers;
    struct master_peer peers[MASTER_MAX_PEERS];
};

#define MASTER_RAFT_PORT_OFFSET 10000

extern const struct jc_field master_config_fields[];

void master_config_default(struct master_config *c);

/* Validate and derive: ports, peers (which must include this id, with this ip and port),
 * directories, the log level, leaderForward. Messages name the key. */
int master_config_finish(struct master_config *c, char *errmsg);

/* Parse a CubeFS peers list "1:10.0.0.1:17010,2:10.0.0.2:17010[:raftPort]". */
int master_config_parse_peers(const char *text, struct master_peer *out, uint32_t max, uint32_t *n,
                              char *errmsg);

/* The peer with this id, or NULL. */
const struct master_peer *master_config_peer(const struct master_config *c, uint64_t id);

#endif

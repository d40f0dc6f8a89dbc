/* AdminTask: the JSON document a master sends to a meta or data node inside a packet, and that a
 * node posts back to /dataNode/response or /metaNode/response with its Response filled in.
 *
 * Field names are CubeFS's Go names (no json tags): ID, PartitionID, Disk, OpCode, OperatorAddr,
 * Status, SendTime, CreateTime, SendCount, Request, Response, RequestID. Request and Response are
 * kept as JSON values here; the typed bodies per opcode live in datanode_proto/dn_bodies.h and
 * metanode_proto/mn_bodies.h.
 *
 * Task IDs follow CubeFS: "addr[<OperatorAddr>]_op[<opcode>]", with "_DataPartitionID[<id>]" for
 * data-partition tasks and "_pid[<id>]" for meta-partition tasks. The ID is stable per node,
 * opcode and partition, which is what de-duplicates queued heartbeats. */
#ifndef CFS_ADMIN_TASK_TASK_H
#define CFS_ADMIN_TASK_TASK_H

#include "common/jcodec.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define TASK_ADDR_SIZE       64 /* "ip:port" and host names, NUL included */
#define TASK_ID_SIZE         160
#define TASK_REQUEST_ID_SIZE 48
#define TASK_PATH_SIZE       256
#define TASK_NAME_SIZE       128 /* volume names, zone names */
#define TASK_MAX_MEMBERS     16  /* bound on Members/Hosts lists in a request */

enum task_status { TASK_START = 0, TASK_SUCCEEDS = 1, TASK_FAILED = 2, TASK_RUNNING = 3 };

struct admin_task {
    char id[TASK_ID_SIZE];                 /* ID */
    uint64_t partition_id;                 /* PartitionID, 0 for node-level tasks */
    char disk[TASK_PATH_SIZE];             /* Disk */
    uint8_t opcode;                        /* OpCode */
    char operator_addr[TASK_ADDR_SIZE];    /* OperatorAddr: the target node */
    int8_t status;                         /* Status (enum task_status) */
    int64_t send_time;                     /* SendTime, unix seconds of the last send */
    int64_t create_time;                   /* CreateTime, unix seconds */
    uint8_t send_count;                    /* SendCount */
    json_t *request;                       /* Request, or NULL for null */
    json_t *response;                      /* Response, or NULL for null */
    char request_id[TASK_REQUEST_ID_SIZE]; /* RequestID: a uuid per task */
};

extern const struct jc_field admin_task_fields[];

/* A new task for opcode at addr. Takes ownership of request (which may be NULL), builds the ID
 * and a fresh RequestID, and stamps create_time = now. On error request is released. */
int admin_task_init(struct admin_task *t, uint8_t opcode, const char *addr, uint64_t partition_id,
                    json_t *request, int64_t now);

/* Release request and response. */
void admin_task_clear(struct admin_task *t);

/* Compact JSON text (malloc'd) as sent in a packet's data. */
int admin_task_encode(const struct admin_task *t, char **out, size_t *len);

/* Parse JSON text; unknown keys are accepted, wrong types rejected with a message. */
int admin_task_decode(const void *buf, size_t len, struct admin_task *t, char *errmsg);

/* The CubeFS task ID for (addr, opcode, partition) into buf. */
void admin_task_format_id(char *buf, size_t size, const char *addr, uint8_t opcode,
                          uint64_t partition_id);

/* A raft peer: the only CubeFS struct with lowercase json tags ("id", "addr"). v3.5 also sends
 * "raftHeartbeat" and "raftReplica" ports as strings, empty here. */
struct task_peer {
    uint64_t id;
    char addr[TASK_ADDR_SIZE];
};

extern const struct jc_field task_peer_fields[];

/* HeartBeatRequest, the same for data and meta nodes. The encoder writes every field CubeFS v3.5
 * sends, zero-valued where we have nothing to say. */
struct heartbeat_req {
    int64_t curr_time;                /* CurrTime */
    char master_addr[TASK_ADDR_SIZE]; /* MasterAddr: the leader's HTTP address */
};

extern const struct jc_field heartbeat_req_fields[];

/* The typed Request and Response bodies of one opcode, so code that dispatches on opcodes
 * (the master's response handlers, the node agents) can decode any of them generically. NULL
 * tables mean the body is null on the wire (TryToLeader requests, sync-only replies). */
struct task_body_desc {
    uint8_t opcode;
    const struct jc_field *request;
    size_t request_size;
    const struct jc_field *response;
    size_t response_size;
};

/* The entry for opcode in a table of n descriptors, or NULL; backs dn_body_desc/mn_body_desc. */
const struct task_body_desc *admin_task_find_body(const struct task_body_desc *table, size_t n,
                                                  uint8_t opcode);

/* Build a heartbeat task for a node. */
int admin_task_init_heartbeat(struct admin_task *t, uint8_t opcode, const char *node_addr,
                              const char *master_addr, int64_t now);

#endif

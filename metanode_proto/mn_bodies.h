/* Request and response bodies of the meta-node opcodes (0x40..0x48), inside AdminTask.Request and
 * AdminTask.Response, with CubeFS v3.5 field names. Same conventions as dn_bodies.h. */
#ifndef CFS_METANODE_PROTO_MN_BODIES_H
#define CFS_METANODE_PROTO_MN_BODIES_H

#include "admin_task/task.h"
#include "common/jcodec.h"

#include <stdbool.h>
#include <stdint.h>

/* Meta partition status as reported by nodes and kept by the master. */
enum { MP_STATUS_UNAVAILABLE = -1, MP_STATUS_READ_ONLY = 1, MP_STATUS_READ_WRITE = 2 };

/* OpCreateMetaPartition (0x40), sync; OpOk with an empty body, or OpErr with the text. */
struct mn_create_mp_req {
    char meta_id[TASK_NAME_SIZE];  /* MetaId */
    char vol_name[TASK_NAME_SIZE]; /* VolName */
    uint64_t start;                /* Start: first inode */
    uint64_t end;                  /* End: last inode */
    uint64_t partition_id;         /* PartitionID */
    uint32_t nmembers;
    struct task_peer members[TASK_MAX_MEMBERS]; /* Members */
    uint64_t ver_seq;                           /* VerSeq */
};
extern const struct jc_field mn_create_mp_req_fields[];

/* OpDeleteMetaPartition (0x42). */
struct mn_delete_mp_req {
    uint64_t partition_id; /* PartitionID */
};
extern const struct jc_field mn_delete_mp_req_fields[];

struct mn_delete_mp_resp {
    uint64_t partition_id;       /* PartitionID */
    uint8_t status;              /* Status: enum task_status */
    char result[TASK_PATH_SIZE]; /* Result */
};
extern const struct jc_field mn_delete_mp_resp_fields[];

/* OpUpdateMetaPartition (0x43), async, to the partition leader: a new End. */
struct mn_update_mp_req {
    uint64_t partition_id;         /* PartitionID */
    char vol_name[TASK_NAME_SIZE]; /* VolName */
    uint64_t start;                /* Start */
    uint64_t end;                  /* End */
};
extern const struct jc_field mn_update_mp_req_fields[];

struct mn_update_mp_resp {
    uint64_t partition_id;         /* PartitionID */
    char vol_name[TASK_NAME_SIZE]; /* VolName */
    uint64_t end;                  /* End */
    uint8_t status;                /* Status */
    char result[TASK_PATH_SIZE];   /* Result */
};
extern const struct jc_field mn_update_mp_resp_fields[];

/* OpLoadMetaPartition (0x44), sync; the OpOk reply's data is the load response JSON. */
struct mn_load_mp_req {
    uint64_t partition_id; /* PartitionID */
};
extern const struct jc_field mn_load_mp_req_fields[];

struct mn_load_mp_resp {
    uint64_t partition_id;     /* PartitionID */
    bool do_compare;           /* DoCompare */
    uint64_t apply_id;         /* ApplyID */
    uint64_t max_inode;        /* MaxInode */
    uint64_t dentry_count;     /* DentryCount */
    uint64_t inode_count;      /* InodeCount */
    char addr[TASK_ADDR_SIZE]; /* Addr */
};
extern const struct jc_field mn_load_mp_resp_fields[];

/* OpAddMetaPartitionRaftMember (0x46) and OpRemoveMetaPartitionRaftMember (0x47), sync. */
struct mn_raft_member_req {
    uint64_t partition_id; /* PartitionId */
    struct task_peer peer; /* AddPeer or RemovePeer */
};
extern const struct jc_field mn_add_raft_member_req_fields[];
extern const struct jc_field mn_remove_raft_member_req_fields[];

/* OpDecommissionMetaPartition (0x45): defined by CubeFS, not sent by its master. */
struct mn_decommission_mp_req {
    uint64_t partition_id;        /* PartitionID */
    struct task_peer remove_peer; /* RemovePeer */
    struct task_peer add_peer;    /* AddPeer */
};
extern const struct jc_field mn_decommission_mp_req_fields[];

/* OpMetaNodeHeartbeat (0x41) response, one report per partition. */
struct mn_partition_report {
    uint64_t partition_id;         /* PartitionID */
    uint64_t start;                /* Start */
    uint64_t end;                  /* End */
    int32_t status;                /* Status: MP_STATUS_* */
    uint64_t size;                 /* Size */
    uint64_t max_inode_id;         /* MaxInodeID */
    bool is_leader;                /* IsLeader */
    char vol_name[TASK_NAME_SIZE]; /* VolName */
    uint64_t inode_cnt;            /* InodeCnt */
    uint64_t dentry_cnt;           /* DentryCnt */
    uint64_t free_list_len;        /* FreeListLen */
};

struct mn_heartbeat_resp {
    char zone_name[TASK_NAME_SIZE];      /* ZoneName */
    uint64_t total;                      /* Total: configured memory, bytes */
    uint64_t used;                       /* Used: process RSS, bytes */
    uint64_t node_mem_total;             /* NodeMemTotal */
    uint64_t node_mem_used;              /* NodeMemUsed */
    struct mn_partition_report *reports; /* MetaPartitionReports */
    uint32_t nreports;
    uint8_t status;              /* Status: enum task_status */
    char result[TASK_PATH_SIZE]; /* Result */
};
extern const struct jc_field mn_heartbeat_resp_fields[];

/* Body tables for a meta-node opcode, or NULL when the opcode is not a meta-node opcode. */
const struct task_body_desc *mn_body_desc(uint8_t opcode);

#endif

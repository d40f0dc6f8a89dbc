/* Request and response bodies of the data-node opcodes (0x60..0x69), inside AdminTask.Request and
 * AdminTask.Response, with CubeFS v3.5 field names. Each body is a struct plus a jcodec table, so
 * decoding is jc_decode(json, dn_create_dp_req_fields, &req, errmsg) and freeing is jc_free().
 * Encoders write every field a CubeFS v3.5 master or node writes, zero-valued where unused. */
#ifndef CFS_DATANODE_PROTO_DN_BODIES_H
#define CFS_DATANODE_PROTO_DN_BODIES_H

#include "admin_task/task.h"
#include "common/jcodec.h"

#include <stdbool.h>
#include <stdint.h>

/* Data partition status as reported by nodes and kept by the master. */
enum { DP_STATUS_UNAVAILABLE = -1, DP_STATUS_READ_ONLY = 1, DP_STATUS_READ_WRITE = 2 };

/* OpCreateDataPartition (0x60), sync; the OpOk reply's data is the chosen disk path. */
struct dn_create_dp_req {
    uint64_t partition_id;          /* PartitionId */
    uint64_t partition_size;        /* PartitionSize, bytes */
    char volume_id[TASK_NAME_SIZE]; /* VolumeId: the volume name */
    bool is_random_write;           /* IsRandomWrite */
    uint32_t nmembers;
    struct task_peer members[TASK_MAX_MEMBERS]; /* Members */
    uint32_t nhosts;
    char hosts[TASK_MAX_MEMBERS][TASK_ADDR_SIZE]; /* Hosts */
    int32_t create_type;                          /* CreateType: 0 new, 1 decommission */
    int32_t partition_type;                       /* PartitionTyp */
    int32_t replica_num;                          /* ReplicaNum */
    int64_t leader_size;                          /* LeaderSize */
    bool is_multi_ver;                            /* IsMultiVer */
    uint64_t ver_seq;                             /* VerSeq */
};
extern const struct jc_field dn_create_dp_req_fields[];

/* OpDeleteDataPartition (0x61). */
struct dn_delete_dp_req {
    uint64_t partition_id;                    /* PartitionId */
    uint64_t partition_size;                  /* PartitionSize */
    char data_partition_type[TASK_NAME_SIZE]; /* DataPartitionType: a string in Go */
};
extern const struct jc_field dn_delete_dp_req_fields[];

struct dn_delete_dp_resp {
    uint64_t partition_id;       /* PartitionId */
    uint8_t status;              /* Status: enum task_status */
    char result[TASK_PATH_SIZE]; /* Result: error text */
};
extern const struct jc_field dn_delete_dp_resp_fields[];

/* OpLoadDataPartition (0x62), async: ack, then a posted response with the file list. */
struct dn_load_dp_req {
    uint64_t partition_id; /* PartitionId */
};
extern const struct jc_field dn_load_dp_req_fields[];

struct dn_file_crc {
    char name[TASK_PATH_SIZE]; /* Name */
    uint32_t crc;              /* Crc */
    uint64_t size;             /* Size */
    int64_t modified;          /* Modified, unix seconds */
};

struct dn_load_dp_resp {
    uint64_t partition_id;     /* PartitionId */
    uint64_t used;             /* Used, bytes */
    struct dn_file_crc *files; /* PartitionSnapshot */
    uint32_t nfiles;
    uint8_t status;                /* Status: enum task_status */
    int32_t partition_status;      /* PartitionStatus */
    char result[TASK_PATH_SIZE];   /* Result */
    char vol_name[TASK_NAME_SIZE]; /* VolName */
};
extern const struct jc_field dn_load_dp_resp_fields[];

/* OpAddDataPartitionRaftMember (0x67) and OpRemoveDataPartitionRaftMember (0x68), sync. */
struct dn_raft_member_req {
    uint64_t partition_id; /* PartitionId */
    struct task_peer peer; /* AddPeer or RemovePeer */
    bool repairing_status; /* RepairingStatus (v3.5 sends it on add and remove) */
};
extern const struct jc_field dn_add_raft_member_req_fields[];
extern const struct jc_field dn_remove_raft_member_req_fields[];

/* OpDecommissionDataPartition (0x66): defined by CubeFS, not sent by its master. */
struct dn_decommission_dp_req {
    uint64_t partition_id;        /* PartitionId */
    struct task_peer remove_peer; /* RemovePeer */
    struct task_peer add_peer;    /* AddPeer */
};
extern const struct jc_field dn_decommission_dp_req_fields[];

/* OpDataNodeHeartbeat (0x63) response, one report per partition. */
struct dn_partition_report {
    char vol_name[TASK_NAME_SIZE];  /* VolName */
    uint64_t partition_id;          /* PartitionID */
    int32_t partition_status;       /* PartitionStatus: DP_STATUS_* */
    uint64_t total;                 /* Total, bytes */
    uint64_t used;                  /* Used, bytes */
    char disk_path[TASK_PATH_SIZE]; /* DiskPath */
    bool is_leader;                 /* IsLeader */
    uint64_t extent_count;          /* ExtentCount */
    bool need_compare;              /* NeedCompare */
    bool is_repairing;              /* IsRepairing */
};

struct dn_disk_stat {
    char disk_path[TASK_PATH_SIZE]; /* DiskPath */
    uint64_t total;                 /* Total, bytes (statvfs) */
    uint64_t used;                  /* Used */
    uint64_t available;             /* Available, above the reserve */
    int32_t status;                 /* Status: 1 ok */
};

struct dn_heartbeat_resp {
    uint64_t total;                      /* Total, bytes over all disks */
    uint64_t used;                       /* Used */
    uint64_t available;                  /* Available */
    uint64_t total_partition_size;       /* TotalPartitionSize */
    uint64_t remaining_capacity;         /* RemainingCapacity */
    uint32_t created_partition_cnt;      /* CreatedPartitionCnt */
    uint64_t max_capacity;               /* MaxCapacity: the most free on one disk */
    int64_t start_time;                  /* StartTime */
    char zone_name[TASK_NAME_SIZE];      /* ZoneName */
    struct dn_partition_report *reports; /* PartitionReports */
    uint32_t nreports;
    uint8_t status;                    /* Status: enum task_status */
    char result[TASK_PATH_SIZE];       /* Result */
    char (*all_disks)[TASK_PATH_SIZE]; /* AllDisks */
    uint32_t nall_disks;
    char (*bad_disks)[TASK_PATH_SIZE]; /* BadDisks */
    uint32_t nbad_disks;
    struct dn_disk_stat *disk_stats; /* DiskStats */
    uint32_t ndisk_stats;
};
extern const struct jc_field dn_heartbeat_resp_fields[];

/* Body tables for a data-node opcode, or NULL when the opcode is not a data-node opcode. */
const struct task_body_desc *dn_body_desc(uint8_t opcode);

#endif

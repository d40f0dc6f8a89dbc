/* Typed records of the cluster state, as stored in LMDB.
 *
 * Each record is a struct plus a jcodec table; the stored value is the record's JSON (Go-style
 * field names, like CubeFS's own keys), so a store dump reads like CubeFS metadata and a newer
 * binary can read older records (unknown keys ignored, missing keys keep defaults). */
#ifndef CFS_STORAGE_RECORDS_H
#define CFS_STORAGE_RECORDS_H

#include "common/jcodec.h"

#include <stdbool.h>
#include <stdint.h>

#define STORE_NAME_SIZE 64  /* volume, owner, user and zone names; 63 characters at most */
#define STORE_ADDR_SIZE 64  /* "ip:port" */
#define STORE_PATH_SIZE 256 /* disk paths */
#define STORE_TEXT_SIZE 256 /* descriptions and messages */
#define STORE_KEY_SIZE  72  /* access and secret keys */
#define STORE_MAX_HOSTS 8   /* replicas of one partition, room for one being added */

enum store_rec_type {
    STORE_REC_CLUSTER = 1,
    STORE_REC_VOL,
    STORE_REC_DP,
    STORE_REC_MP,
    STORE_REC_DATANODE,
    STORE_REC_METANODE,
    STORE_REC_NODESET,
    STORE_REC_USER,
    STORE_REC_JOB,
    STORE_REC_MASTER, /* appended: type numbers are part of stored keys */
    STORE_REC_TYPE_COUNT
};

enum store_counter {
    STORE_COUNTER_COMMON = 0, /* volume, node and nodeset IDs (CubeFS's commonID) */
    STORE_COUNTER_DP,         /* data partition IDs */
    STORE_COUNTER_MP,         /* meta partition IDs */
    STORE_COUNTER_JOB,        /* decommission job IDs */
    STORE_COUNTER_COUNT
};

struct store_peer {
    uint64_t id;                /* id */
    char addr[STORE_ADDR_SIZE]; /* addr */
};

struct store_cluster {
    char name[STORE_NAME_SIZE];                /* Name */
    int64_t create_time;                       /* CreateTime */
    float meta_node_threshold;                 /* Threshold */
    bool disable_auto_alloc;                   /* DisableAutoAllocate */
    uint64_t data_node_delete_limit_rate;      /* DataNodeDeleteLimitRate */
    uint64_t meta_node_delete_batch_count;     /* MetaNodeDeleteBatchCount */
    uint64_t meta_node_delete_worker_sleep_ms; /* MetaNodeDeleteWorkerSleepMs */
    uint64_t data_node_auto_repair_limit_rate; /* DataNodeAutoRepairLimitRate */
    uint64_t max_dp_cnt_limit;                 /* MaxDpCntLimit */
    uint64_t max_mp_cnt_limit;                 /* MaxMpCntLimit */
    float load_factor;                         /* LoadFactor: ClusterLoadFactor */
};

enum { VOL_STATUS_NORMAL = 0, VOL_STATUS_MARK_DELETE = 1 };

struct store_vol {
    uint64_t id;                         /* ID */
    char name[STORE_NAME_SIZE];          /* Name */
    char owner[STORE_NAME_SIZE];         /* Owner */
    char zone_name[STORE_NAME_SIZE];     /* ZoneName */
    char description[STORE_TEXT_SIZE];   /* Description */
    uint8_t dp_replica_num;              /* DpReplicaNum */
    uint8_t mp_replica_num;              /* ReplicaNum */
    uint8_t status;                      /* Status: VOL_STATUS_* */
    uint64_t capacity;                   /* Capacity, GB */
    uint64_t dp_size;                    /* DataPartitionSize, bytes */
    uint32_t mp_count;                   /* MpCount requested at creation */
    uint32_t dp_count;                   /* DpCount: minimum writable data partitions */
    bool follower_read;                  /* FollowerRead */
    bool authenticate;                   /* Authenticate */
    bool cross_zone;                     /* CrossZone */
    int64_t create_time;                 /* CreateTime */
    char oss_access_key[STORE_KEY_SIZE]; /* OSSAccessKey */
    char oss_secret_key[STORE_KEY_SIZE]; /* OSSSecretKey */
};

struct store_dp_replica {
    char addr[STORE_ADDR_SIZE];      /* Addr */
    char disk_path[STORE_PATH_SIZE]; /* DiskPath */
};

struct store_dp {
    uint64_t id;                    /* PartitionID */
    uint64_t vol_id;                /* VolID */
    char vol_name[STORE_NAME_SIZE]; /* VolName */
    uint8_t replica_num;            /* ReplicaNum */
    int8_t status;                  /* Status */
    bool is_recover;                /* IsRecover */
    uint64_t offline_peer_id;       /* OfflinePeerID */
    uint64_t size;                  /* PartitionSize, bytes */
    int64_t create_time;            /* CreateTime */
    uint32_t nhosts;
    char hosts[STORE_MAX_HOSTS][STORE_ADDR_SIZE]; /* Hosts */
    uint32_t npeers;
    struct store_peer peers[STORE_MAX_HOSTS]; /* Peers */
    uint32_t nreplicas;
    struct store_dp_replica replicas[STORE_MAX_HOSTS]; /* Replicas */
};

struct store_mp {
    uint64_t id;                    /* PartitionID */
    uint64_t vol_id;                /* VolID */
    char vol_name[STORE_NAME_SIZE]; /* VolName */
    uint64_t start;                 /* Start */
    uint64_t end;                   /* End */
    uint8_t replica_num;            /* ReplicaNum */
    int8_t status;                  /* Status */
    bool is_recover;                /* IsRecover */
    uint64_t offline_peer_id;       /* OfflinePeerID */
    int64_t create_time;            /* CreateTime */
    uint32_t nhosts;
    char hosts[STORE_MAX_HOSTS][STORE_ADDR_SIZE]; /* Hosts */
    uint32_t npeers;
    struct store_peer peers[STORE_MAX_HOSTS]; /* Peers */
};

/* A data node or a meta node; the two kinds are kept apart by record type. */
struct store_node {
    uint64_t id;                     /* ID */
    uint64_t nodeset_id;             /* NodeSetID */
    char addr[STORE_ADDR_SIZE];      /* Addr */
    char zone_name[STORE_NAME_SIZE]; /* ZoneName */
    bool rdonly;                     /* RdOnly */
    bool to_be_offline;              /* ToBeOffline: being emptied by a decommission job */
    uint32_t heartbeat_port;         /* HeartbeatPort */
    uint32_t replica_port;           /* ReplicaPort */
    uint32_t media_type;             /* MediaType */
    int64_t create_time;             /* CreateTime */
};

struct store_nodeset {
    uint64_t id;                     /* ID */
    uint32_t capacity;               /* Capacity */
    char zone_name[STORE_NAME_SIZE]; /* ZoneName */
};

enum { USER_TYPE_ROOT = 1, USER_TYPE_ADMIN = 2, USER_TYPE_NORMAL = 3 };

struct store_user {
    char user_id[STORE_NAME_SIZE];     /* user_id */
    char access_key[STORE_KEY_SIZE];   /* access_key */
    char secret_key[STORE_KEY_SIZE];   /* secret_key */
    uint8_t user_type;                 /* user_type: USER_TYPE_* */
    int64_t create_time;               /* create_time */
    char description[STORE_TEXT_SIZE]; /* description */
};

enum store_job_kind {
    STORE_JOB_DP = 1,       /* move one replica of a data partition */
    STORE_JOB_MP = 2,       /* move one replica of a meta partition */
    STORE_JOB_DATANODE = 3, /* empty a data node: one child DP job per partition */
    STORE_JOB_METANODE = 4  /* empty a meta node */
};

/* A decommission job; the state machine that drives it lives in master/. */
struct store_job {
    uint64_t id;                    /* ID */
    uint8_t kind;                   /* Kind: enum store_job_kind */
    uint8_t state;                  /* State */
    uint64_t partition_id;          /* PartitionID (partition jobs) */
    uint64_t parent_id;             /* ParentID: the node job that spawned it, 0 none */
    char src_addr[STORE_ADDR_SIZE]; /* SrcAddr */
    char dst_addr[STORE_ADDR_SIZE]; /* DstAddr, chosen by the job */
    uint32_t total;                 /* Total partitions (node jobs) */
    uint32_t done;                  /* Done */
    uint32_t failed;                /* Failed */
    uint32_t attempts;              /* Attempts of the current step */
    int64_t create_time;            /* CreateTime */
    int64_t update_time;            /* UpdateTime */
    char message[STORE_TEXT_SIZE];  /* Message: last error or outcome */
};

/* A master of the Raft group: its id and addresses, replicated so every master can turn the
 * leader's id into the HTTP address it redirects clients to, for masters added later too. */
struct store_master {
    uint64_t id;                     /* ID */
    char http_addr[STORE_ADDR_SIZE]; /* Addr */
    char raft_addr[STORE_ADDR_SIZE]; /* RaftAddr */
    int64_t create_time;             /* CreateTime */
};

extern const struct jc_field store_cluster_fields[];
extern const struct jc_field store_vol_fields[];
extern const struct jc_field store_dp_fields[];
extern const struct jc_field store_mp_fields[];
extern const struct jc_field store_node_fields[];
extern const struct jc_field store_nodeset_fields[];
extern const struct jc_field store_user_fields[];
extern const struct jc_field store_job_fields[];
extern const struct jc_field store_master_fields[];

/* The table and struct size for a record type, or NULL for an unknown type. */
const struct jc_field *records_fields(enum store_rec_type type, size_t *size);

/* "vol", "dp", ... for messages. */
const char *records_type_name(enum store_rec_type type);

#endif

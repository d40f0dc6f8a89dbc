/* Codec tables of the stored records. The JSON keys are CubeFS's Go field names (see records.h);
 * no key is JC_REQUIRED because an older record must still load in a newer binary: the store
 * checks identity fields (IDs, names) itself when a record is applied. */
#include "storage/records.h"

#include <stddef.h>

static const struct jc_field peer_fields[] = {
    JC_F(struct store_peer, id, "id", JC_U64, 0),
    JC_F(struct store_peer, addr, "addr", JC_STR, 0),
    JC_END,
};

static const struct jc_field dp_replica_fields[] = {
    JC_F(struct store_dp_replica, addr, "Addr", JC_STR, 0),
    JC_F(struct store_dp_replica, disk_path, "DiskPath", JC_STR, 0),
    JC_END,
};

const struct jc_field store_cluster_fields[] = {
    JC_F(struct store_cluster, name, "Name", JC_STR, 0),
    JC_F(struct store_cluster, create_time, "CreateTime", JC_I64, 0),
    JC_F(struct store_cluster, meta_node_threshold, "Threshold", JC_DOUBLE, 0),
    JC_F(struct store_cluster, disable_auto_alloc, "DisableAutoAllocate", JC_BOOL, 0),
    JC_F(struct store_cluster, data_node_delete_limit_rate, "DataNodeDeleteLimitRate", JC_U64, 0),
    JC_F(struct store_cluster, meta_node_delete_batch_count, "MetaNodeDeleteBatchCount", JC_U64, 0),
    JC_F(struct store_cluster, meta_node_delete_worker_sleep_ms, "MetaNodeDeleteWorkerSleepMs",
         JC_U64, 0),
    JC_F(struct store_cluster, data_node_auto_repair_limit_rate, "DataNodeAutoRepairLimitRate",
         JC_U64, 0),
    JC_F(struct store_cluster, max_dp_cnt_limit, "MaxDpCntLimit", JC_U64, 0),
    JC_F(struct store_cluster, max_mp_cnt_limit, "MaxMpCntLimit", JC_U64, 0),
    JC_F(struct store_cluster, load_factor, "LoadFactor", JC_DOUBLE, 0),
    JC_END,
};

const struct jc_field store_vol_fields[] = {
    JC_F(struct store_vol, id, "ID", JC_U64, 0),
    JC_F(struct store_vol, name, "Name", JC_STR, 0),
    JC_F(struct store_vol, owner, "Owner", JC_STR, 0),
    JC_F(struct store_vol, zone_name, "ZoneName", JC_STR, 0),
    JC_F(struct store_vol, description, "Description", JC_STR, 0),
    JC_F(struct store_vol, dp_replica_num, "DpReplicaNum", JC_U8, 0),
    JC_F(struct store_vol, mp_replica_num, "ReplicaNum", JC_U8, 0),
    JC_F(struct store_vol, status, "Status", JC_U8, 0),
    JC_F(struct store_vol, capacity, "Capacity", JC_U64, 0),
    JC_F(struct store_vol, dp_size, "DataPartitionSize", JC_U64, 0),
    JC_F(struct store_vol, mp_count, "MpCount", JC_U32, 0),
    JC_F(struct store_vol, dp_count, "DpCount", JC_U32, 0),
    JC_F(struct store_vol, follower_read, "FollowerRead", JC_BOOL, 0),
    JC_F(struct store_vol, authenticate, "Authenticate", JC_BOOL, 0),
    JC_F(struct store_vol, cross_zone, "CrossZone", JC_BOOL, 0),
    JC_F(struct store_vol, create_time, "CreateTime", JC_I64, 0),
    JC_F(struct store_vol, oss_access_key, "OSSAccessKey", JC_STR, 0),
    JC_F(struct store_vol, oss_secret_key, "OSSSecretKey", JC_STR, 0),
    JC_END,
};

const struct jc_field store_dp_fields[] = {
    JC_F(struct store_dp, id, "PartitionID", JC_U64, 0),
    JC_F(struct store_dp, vol_id, "VolID", JC_U64, 0),
    JC_F(struct store_dp, vol_name, "VolName", JC_STR, 0),
    JC_F(struct store_dp, replica_num, "ReplicaNum", JC_U8, 0),
    JC_F(struct store_dp, status, "Status", JC_I8, 0),
    JC_F(struct store_dp, is_recover, "IsRecover", JC_BOOL, 0),
    JC_F(struct store_dp, offline_peer_id, "OfflinePeerID", JC_U64, 0),
    JC_F(struct store_dp, size, "PartitionSize", JC_U64, 0),
    JC_F(struct store_dp, create_time, "CreateTime", JC_I64, 0),
    JC_ARR(struct store_dp, hosts, nhosts, "Hosts", JC_STR, NULL, 0),
    JC_ARR(struct store_dp, peers, npeers, "Peers", JC_OBJECT, peer_fields, 0),
    JC_ARR(struct store_dp, replicas, nreplicas, "Replicas", JC_OBJECT, dp_replica_fields, 0),
    JC_END,
};

const struct jc_field store_mp_fields[] = {
    JC_F(struct store_mp, id, "PartitionID", JC_U64, 0),
    JC_F(struct store_mp, vol_id, "VolID", JC_U64, 0),
    JC_F(struct store_mp, vol_name, "VolName", JC_STR, 0),
    JC_F(struct store_mp, start, "Start", JC_U64, 0),
    JC_F(struct store_mp, end, "End", JC_U64, 0),
    JC_F(struct store_mp, replica_num, "ReplicaNum", JC_U8, 0),
    JC_F(struct store_mp, status, "Status", JC_I8, 0),
    JC_F(struct store_mp, is_recover, "IsRecover", JC_BOOL, 0),
    JC_F(struct store_mp, offline_peer_id, "OfflinePeerID", JC_U64, 0),
    JC_F(struct store_mp, create_time, "CreateTime", JC_I64, 0),
    JC_ARR(struct store_mp, hosts, nhosts, "Hosts", JC_STR, NULL, 0),
    JC_ARR(struct store_mp, peers, npeers, "Peers", JC_OBJECT, peer_fields, 0),
    JC_END,
};

const struct jc_field store_node_fields[] = {
    JC_F(struct store_node, id, "ID", JC_U64, 0),
    JC_F(struct store_node, nodeset_id, "NodeSetID", JC_U64, 0),
    JC_F(struct store_node, addr, "Addr", JC_STR, 0),
    JC_F(struct store_node, zone_name, "ZoneName", JC_STR, 0),
    JC_F(struct store_node, rdonly, "RdOnly", JC_BOOL, 0),
    JC_F(struct store_node, to_be_offline, "ToBeOffline", JC_BOOL, 0),
    JC_F(struct store_node, heartbeat_port, "HeartbeatPort", JC_U32, 0),
    JC_F(struct store_node, replica_port, "ReplicaPort", JC_U32, 0),
    JC_F(struct store_node, media_type, "MediaType", JC_U32, 0),
    JC_F(struct store_node, create_time, "CreateTime", JC_I64, 0),
    JC_END,
};

const struct jc_field store_nodeset_fields[] = {
    JC_F(struct store_nodeset, id, "ID", JC_U64, 0),
    JC_F(struct store_nodeset, capacity, "Capacity", JC_U32, 0),
    JC_F(struct store_nodeset, zone_name, "ZoneName", JC_STR, 0),
    JC_END,
};

const struct jc_field store_user_fields[] = {
    JC_F(struct store_user, user_id, "user_id", JC_STR, 0),
    JC_F(struct store_user, access_key, "access_key", JC_STR, 0),
    JC_F(struct store_user, secret_key, "secret_key", JC_STR, 0),
    JC_F(struct store_user, user_type, "user_type", JC_U8, 0),
    JC_F(struct store_user, create_time, "create_time", JC_I64, 0),
    JC_F(struct store_user, description, "description", JC_STR, 0),
    JC_END,
};

const struct jc_field store_job_fields[] = {
    JC_F(struct store_job, id, "ID", JC_U64, 0),
    JC_F(struct store_job, kind, "Kind", JC_U8, 0),
    JC_F(struct store_job, state, "State", JC_U8, 0),
    JC_F(struct store_job, partition_id, "PartitionID", JC_U64, 0),
    JC_F(struct store_job, parent_id, "ParentID", JC_U64, 0),
    JC_F(struct store_job, src_addr, "SrcAddr", JC_STR, 0),
    JC_F(struct store_job, dst_addr, "DstAddr", JC_STR, 0),
    JC_F(struct store_job, total, "Total", JC_U32, 0),
    JC_F(struct store_job, done, "Done", JC_U32, 0),
    JC_F(struct store_job, failed, "Failed", JC_U32, 0),
    JC_F(struct store_job, attempts, "Attempts", JC_U32, 0),
    JC_F(struct store_job, create_time, "CreateTime", JC_I64, 0),
    JC_F(struct store_job, update_time, "UpdateTime", JC_I64, 0),
    JC_F(struct store_job, message, "Message", JC_STR, 0),
    JC_END,
};

const struct jc_field store_master_fields[] = {
    JC_F(struct store_master, id, "ID", JC_U64, 0),
    JC_F(struct store_master, http_addr, "Addr", JC_STR, 0),
    JC_F(struct store_master, raft_addr, "RaftAddr", JC_STR, 0),
    JC_F(struct store_master, create_time, "CreateTime", JC_I64, 0),
    JC_END,
};

struct record_kind {
    const char *name;
    const struct jc_field *fields;
    size_t size;
};

static const struct record_kind kinds[STORE_REC_TYPE_COUNT] = {
    [STORE_REC_CLUSTER] = {"cluster", store_cluster_fields, sizeof(struct store_cluster)},
    [STORE_REC_VOL] = {"vol", store_vol_fields, sizeof(struct store_vol)},
    [STORE_REC_DP] = {"dp", store_dp_fields, sizeof(struct store_dp)},
    [STORE_REC_MP] = {"mp", store_mp_fields, sizeof(struct store_mp)},
    [STORE_REC_DATANODE] = {"datanode", store_node_fields, sizeof(struct store_node)},
    [STORE_REC_METANODE] = {"metanode", store_node_fields, sizeof(struct store_node)},
    [STORE_REC_NODESET] = {"nodeset", store_nodeset_fields, sizeof(struct store_nodeset)},
    [STORE_REC_USER] = {"user", store_user_fields, sizeof(struct store_user)},
    [STORE_REC_JOB] = {"job", store_job_fields, sizeof(struct store_job)},
    [STORE_REC_MASTER] = {"master", store_master_fields, sizeof(struct store_master)},
};

static const struct record_kind *kind_of(enum store_rec_type type)
{
    if ((int)type <= 0 || type >= STORE_REC_TYPE_COUNT) {
        return NULL;
    }
    return &kinds[type];
}

const struct jc_field *records_fields(enum store_rec_type type, size_t *size)
{
    const struct record_kind *k = kind_of(type);

    if (k == NULL) {
        return NULL;
    }
    if (size != NULL) {
        *size = k->size;
    }
    return k->fields;
}

const char *records_type_name(enum store_rec_type type)
{
    const struct record_kind *k = kind_of(type);

    return k != NULL ? k->name : "unknown";
}

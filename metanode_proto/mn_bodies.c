#include "metanode_proto/mn_bodies.h"

#include "admin_task/packet.h"

#include <stddef.h>

/* Field order is Go's struct order (proto/meta_proto.go and proto/admin_proto.go, v3.5), so
 * encoded text matches what a CubeFS master or node writes. JC_NULL_EMPTY marks slices Go leaves
 * nil until something is appended, which it marshals as null. */

const struct jc_field mn_create_mp_req_fields[] = {
    JC_F(struct mn_create_mp_req, meta_id, "MetaId", JC_STR, 0),
    JC_F(struct mn_create_mp_req, vol_name, "VolName", JC_STR, 0),
    JC_F(struct mn_create_mp_req, start, "Start", JC_U64, 0),
    JC_F(struct mn_create_mp_req, end, "End", JC_U64, 0),
    JC_F(struct mn_create_mp_req, partition_id, "PartitionID", JC_U64, JC_REQUIRED),
    JC_ARR(struct mn_create_mp_req, members, nmembers, "Members", 0, task_peer_fields,
           JC_NULL_EMPTY),
    JC_F(struct mn_create_mp_req, ver_seq, "VerSeq", JC_U64, 0),
    JC_END,
};

const struct jc_field mn_delete_mp_req_fields[] = {
    JC_F(struct mn_delete_mp_req, partition_id, "PartitionID", JC_U64, JC_REQUIRED),
    JC_END,
};

const struct jc_field mn_delete_mp_resp_fields[] = {
    JC_F(struct mn_delete_mp_resp, partition_id, "PartitionID", JC_U64, 0),
    JC_F(struct mn_delete_mp_resp, status, "Status", JC_U8, 0),
    JC_F(struct mn_delete_mp_resp, result, "Result", JC_STR, 0),
    JC_END,
};

const struct jc_field mn_update_mp_req_fields[] = {
    JC_F(struct mn_update_mp_req, partition_id, "PartitionID", JC_U64, JC_REQUIRED),
    JC_F(struct mn_update_mp_req, vol_name, "VolName", JC_STR, 0),
    JC_F(struct mn_update_mp_req, start, "Start", JC_U64, 0),
    JC_F(struct mn_update_mp_req, end, "End", JC_U64, 0),
    JC_END,
};

const struct jc_field mn_update_mp_resp_fields[] = {
    JC_F(struct mn_update_mp_resp, partition_id, "PartitionID", JC_U64, 0),
    JC_F(struct mn_update_mp_resp, vol_name, "VolName", JC_STR, 0),
    JC_F(struct mn_update_mp_resp, end, "End", JC_U64, 0),
    JC_F(struct mn_update_mp_resp, status, "Status", JC_U8, 0),
    JC_F(struct mn_update_mp_resp, result, "Result", JC_STR, 0),
    JC_END,
};

const struct jc_field mn_load_mp_req_fields[] = {
    JC_F(struct mn_load_mp_req, partition_id, "PartitionID", JC_U64, JC_REQUIRED),
    JC_END,
};

/* RaftInfo is a Go struct; null decodes into it as its zero value, which is all we can say. */
const struct jc_field mn_load_mp_resp_fields[] = {
    JC_F(struct mn_load_mp_resp, partition_id, "PartitionID", JC_U64, 0),
    JC_F(struct mn_load_mp_resp, do_compare, "DoCompare", JC_BOOL, 0),
    JC_F(struct mn_load_mp_resp, apply_id, "ApplyID", JC_U64, 0),
    JC_CONST("CommittedID", JC_EMIT_ZERO),
    JC_F(struct mn_load_mp_resp, max_inode, "MaxInode", JC_U64, 0),
    JC_F(struct mn_load_mp_resp, dentry_count, "DentryCount", JC_U64, 0),
    JC_F(struct mn_load_mp_resp, inode_count, "InodeCount", JC_U64, 0),
    JC_F(struct mn_load_mp_resp, addr, "Addr", JC_STR, 0),
    JC_CONST("RaftInfo", JC_EMIT_NULL),
    JC_END,
};

const struct jc_field mn_add_raft_member_req_fields[] = {
    JC_F(struct mn_raft_member_req, partition_id, "PartitionId", JC_U64, JC_REQUIRED),
    JC_OBJ(struct mn_raft_member_req, peer, "AddPeer", task_peer_fields, JC_REQUIRED),
    JC_END,
};

const struct jc_field mn_remove_raft_member_req_fields[] = {
    JC_F(struct mn_raft_member_req, partition_id, "PartitionId", JC_U64, JC_REQUIRED),
    JC_OBJ(struct mn_raft_member_req, peer, "RemovePeer", task_peer_fields, JC_REQUIRED),
    JC_END,
};

const struct jc_field mn_decommission_mp_req_fields[] = {
    JC_F(struct mn_decommission_mp_req, partition_id, "PartitionID", JC_U64, JC_REQUIRED),
    JC_CONST("VolName", JC_EMIT_EMPTY_STR),
    JC_OBJ(struct mn_decommission_mp_req, remove_peer, "RemovePeer", task_peer_fields, 0),
    JC_OBJ(struct mn_decommission_mp_req, add_peer, "AddPeer", task_peer_fields, 0),
    JC_END,
};

static const struct jc_field partition_report_fields[] = {
    JC_F(struct mn_partition_report, partition_id, "PartitionID", JC_U64, 0),
    JC_F(struct mn_partition_report, start, "Start", JC_U64, 0),
    JC_F(struct mn_partition_report, end, "End", JC_U64, 0),
    JC_F(struct mn_partition_report, status, "Status", JC_I32, 0),
    JC_F(struct mn_partition_report, size, "Size", JC_U64, 0),
    JC_F(struct mn_partition_report, max_inode_id, "MaxInodeID", JC_U64, 0),
    JC_F(struct mn_partition_report, is_leader, "IsLeader", JC_BOOL, 0),
    JC_F(struct mn_partition_report, vol_name, "VolName", JC_STR, 0),
    JC_F(struct mn_partition_report, inode_cnt, "InodeCnt", JC_U64, 0),
    JC_F(struct mn_partition_report, dentry_cnt, "DentryCnt", JC_U64, 0),
    JC_CONST("TxCnt", JC_EMIT_ZERO),
    JC_CONST("TxRbInoCnt", JC_EMIT_ZERO),
    JC_CONST("TxRbDenCnt", JC_EMIT_ZERO),
    JC_F(struct mn_partition_report, free_list_len, "FreeListLen", JC_U64, 0),
    JC_CONST("ForbidWriteOpOfProtoVer0", JC_EMIT_FALSE),
    JC_CONST("UidInfo", JC_EMIT_NULL),
    JC_CONST("QuotaReportInfos", JC_EMIT_NULL),
    JC_CONST("StatByStorageClass", JC_EMIT_NULL),
    JC_CONST("StatByMigrateStorageClass", JC_EMIT_NULL),
    JC_CONST("LocalPeers", JC_EMIT_NULL),
    JC_CONST("ReadOnlyReasons", JC_EMIT_ZERO),
    JC_END,
};

const struct jc_field mn_heartbeat_resp_fields[] = {
    JC_F(struct mn_heartbeat_resp, zone_name, "ZoneName", JC_STR, 0),
    JC_F(struct mn_heartbeat_resp, total, "Total", JC_U64, 0),
    JC_F(struct mn_heartbeat_resp, used, "Used", JC_U64, 0),
    JC_F(struct mn_heartbeat_resp, node_mem_total, "NodeMemTotal", JC_U64, 0),
    JC_F(struct mn_heartbeat_resp, node_mem_used, "NodeMemUsed", JC_U64, 0),
    JC_HARR(struct mn_heartbeat_resp, reports, nreports, "MetaPartitionReports", 0,
            partition_report_fields, JC_NULL_EMPTY),
    JC_F(struct mn_heartbeat_resp, status, "Status", JC_U8, 0),
    JC_F(struct mn_heartbeat_resp, result, "Result", JC_STR, 0),
    JC_CONST("cpuUtil", JC_EMIT_ZERO),
    JC_CONST("ReceivedForbidWriteOpOfProtoVer0", JC_EMIT_FALSE),
    JC_END,
};

/* Sync tasks answer in the reply packet: OpLoadMetaPartition's reply data is the load response,
 * the others carry no JSON. */
static const struct task_body_desc bodies[] = {
    {OP_CREATE_META_PARTITION, mn_create_mp_req_fields, sizeof(struct mn_create_mp_req), NULL, 0},
    {OP_META_NODE_HEARTBEAT, heartbeat_req_fields, sizeof(struct heartbeat_req),
     mn_heartbeat_resp_fields, sizeof(struct mn_heartbeat_resp)},
    {OP_DELETE_META_PARTITION, mn_delete_mp_req_fields, sizeof(struct mn_delete_mp_req),
     mn_delete_mp_resp_fields, sizeof(struct mn_delete_mp_resp)},
    {OP_UPDATE_META_PARTITION, mn_update_mp_req_fields, sizeof(struct mn_update_mp_req),
     mn_update_mp_resp_fields, sizeof(struct mn_update_mp_resp)},
    {OP_LOAD_META_PARTITION, mn_load_mp_req_fields, sizeof(struct mn_load_mp_req),
     mn_load_mp_resp_fields, sizeof(struct mn_load_mp_resp)},
    {OP_DECOMMISSION_META_PARTITION, mn_decommission_mp_req_fields,
     sizeof(struct mn_decommission_mp_req), NULL, 0},
    {OP_ADD_META_PARTITION_RAFT_MEMBER, mn_add_raft_member_req_fields,
     sizeof(struct mn_raft_member_req), NULL, 0},
    {OP_REMOVE_META_PARTITION_RAFT_MEMBER, mn_remove_raft_member_req_fields,
     sizeof(struct mn_raft_member_req), NULL, 0},
    {OP_META_PARTITION_TRY_TO_LEADER, NULL, 0, NULL, 0},
};

const struct task_body_desc *mn_body_desc(uint8_t opcode)
{
    return admin_task_find_body(bodies, sizeof(bodies) / sizeof(bodies[0]), opcode);
}

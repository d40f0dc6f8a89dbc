#include "datanode_proto/dn_bodies.h"

#include "admin_task/packet.h"

#include <stddef.h>

/* Field order is Go's struct order (proto/admin_proto.go, v3.5), so encoded text matches what a
 * CubeFS master or node writes. JC_NULL_EMPTY marks slices Go leaves nil until something is
 * appended, which it marshals as null. */

const struct jc_field dn_create_dp_req_fields[] = {
    JC_F(struct dn_create_dp_req, partition_type, "PartitionTyp", JC_I32, 0),
    JC_F(struct dn_create_dp_req, partition_id, "PartitionId", JC_U64, JC_REQUIRED),
    JC_F(struct dn_create_dp_req, partition_size, "PartitionSize", JC_U64, 0),
    JC_F(struct dn_create_dp_req, replica_num, "ReplicaNum", JC_I32, 0),
    JC_F(struct dn_create_dp_req, volume_id, "VolumeId", JC_STR, 0),
    JC_F(struct dn_create_dp_req, is_random_write, "IsRandomWrite", JC_BOOL, 0),
    JC_ARR(struct dn_create_dp_req, members, nmembers, "Members", 0, task_peer_fields,
           JC_NULL_EMPTY),
    JC_ARR(struct dn_create_dp_req, hosts, nhosts, "Hosts", JC_STR, NULL, JC_NULL_EMPTY),
    JC_F(struct dn_create_dp_req, create_type, "CreateType", JC_I32, 0),
    JC_F(struct dn_create_dp_req, leader_size, "LeaderSize", JC_I64, 0),
    JC_CONST("DecommissionedDisks", JC_EMIT_NULL),
    JC_F(struct dn_create_dp_req, is_multi_ver, "IsMultiVer", JC_BOOL, 0),
    JC_F(struct dn_create_dp_req, ver_seq, "VerSeq", JC_U64, 0),
    JC_END,
};

const struct jc_field dn_delete_dp_req_fields[] = {
    JC_F(struct dn_delete_dp_req, data_partition_type, "DataPartitionType", JC_STR, 0),
    JC_F(struct dn_delete_dp_req, partition_id, "PartitionId", JC_U64, JC_REQUIRED),
    JC_F(struct dn_delete_dp_req, partition_size, "PartitionSize", JC_U64, 0),
    JC_CONST("Force", JC_EMIT_FALSE),
    JC_CONST("DecommissionType", JC_EMIT_ZERO),
    JC_END,
};

const struct jc_field dn_delete_dp_resp_fields[] = {
    JC_F(struct dn_delete_dp_resp, status, "Status", JC_U8, 0),
    JC_F(struct dn_delete_dp_resp, result, "Result", JC_STR, 0),
    JC_F(struct dn_delete_dp_resp, partition_id, "PartitionId", JC_U64, 0),
    JC_END,
};

const struct jc_field dn_load_dp_req_fields[] = {
    JC_F(struct dn_load_dp_req, partition_id, "PartitionId", JC_U64, JC_REQUIRED),
    JC_END,
};

static const struct jc_field file_crc_fields[] = {
    JC_F(struct dn_file_crc, name, "Name", JC_STR, 0),
    JC_F(struct dn_file_crc, crc, "Crc", JC_U32, 0),
    JC_F(struct dn_file_crc, size, "Size", JC_U64, 0),
    JC_F(struct dn_file_crc, modified, "Modified", JC_I64, 0),
    JC_CONST("ApplyID", JC_EMIT_ZERO),
    JC_END,
};

const struct jc_field dn_load_dp_resp_fields[] = {
    JC_F(struct dn_load_dp_resp, partition_id, "PartitionId", JC_U64, 0),
    JC_F(struct dn_load_dp_resp, used, "Used", JC_U64, 0),
    JC_HARR(struct dn_load_dp_resp, files, nfiles, "PartitionSnapshot", 0, file_crc_fields, 0),
    JC_F(struct dn_load_dp_resp, status, "Status", JC_U8, 0),
    JC_F(struct dn_load_dp_resp, partition_status, "PartitionStatus", JC_I32, 0),
    JC_F(struct dn_load_dp_resp, result, "Result", JC_STR, 0),
    JC_F(struct dn_load_dp_resp, vol_name, "VolName", JC_STR, 0),
    JC_END,
};

const struct jc_field dn_add_raft_member_req_fields[] = {
    JC_F(struct dn_raft_member_req, partition_id, "PartitionId", JC_U64, JC_REQUIRED),
    JC_OBJ(struct dn_raft_member_req, peer, "AddPeer", task_peer_fields, JC_REQUIRED),
    JC_F(struct dn_raft_member_req, repairing_status, "RepairingStatus", JC_BOOL, 0),
    JC_END,
};

const struct jc_field dn_remove_raft_member_req_fields[] = {
    JC_F(struct dn_raft_member_req, partition_id, "PartitionId", JC_U64, JC_REQUIRED),
    JC_OBJ(struct dn_raft_member_req, peer, "RemovePeer", task_peer_fields, JC_REQUIRED),
    JC_F(struct dn_raft_member_req, repairing_status, "RepairingStatus", JC_BOOL, 0),
    JC_CONST("Force", JC_EMIT_FALSE),
    JC_CONST("AutoRemove", JC_EMIT_FALSE),
    JC_END,
};

const struct jc_field dn_decommission_dp_req_fields[] = {
    JC_F(struct dn_decommission_dp_req, partition_id, "PartitionId", JC_U64, JC_REQUIRED),
    JC_OBJ(struct dn_decommission_dp_req, remove_peer, "RemovePeer", task_peer_fields, 0),
    JC_OBJ(struct dn_decommission_dp_req, add_peer, "AddPeer", task_peer_fields, 0),
    JC_END,
};

static const struct jc_field partition_report_fields[] = {
    JC_F(struct dn_partition_report, vol_name, "VolName", JC_STR, 0),
    JC_F(struct dn_partition_report, partition_id, "PartitionID", JC_U64, 0),
    JC_F(struct dn_partition_report, partition_status, "PartitionStatus", JC_I32, 0),
    JC_F(struct dn_partition_report, total, "Total", JC_U64, 0),
    JC_F(struct dn_partition_report, used, "Used", JC_U64, 0),
    JC_F(struct dn_partition_report, disk_path, "DiskPath", JC_STR, 0),
    JC_F(struct dn_partition_report, is_leader, "IsLeader", JC_BOOL, 0),
    JC_F(struct dn_partition_report, extent_count, "ExtentCount", JC_U64, 0),
    JC_F(struct dn_partition_report, need_compare, "NeedCompare", JC_BOOL, 0),
    JC_CONST("DecommissionRepairProgress", JC_EMIT_ZERO),
    JC_CONST("LocalPeers", JC_EMIT_NULL),
    JC_CONST("TriggerDiskError", JC_EMIT_FALSE),
    JC_CONST("ForbidWriteOpOfProtoVer0", JC_EMIT_FALSE),
    JC_CONST("ReadOnlyReasons", JC_EMIT_ZERO),
    JC_CONST("IsMissingTinyExtent", JC_EMIT_FALSE),
    JC_F(struct dn_partition_report, is_repairing, "IsRepairing", JC_BOOL, 0),
    JC_END,
};

static const struct jc_field disk_stat_fields[] = {
    JC_F(struct dn_disk_stat, status, "Status", JC_I32, 0),
    JC_F(struct dn_disk_stat, disk_path, "DiskPath", JC_STR, 0),
    JC_F(struct dn_disk_stat, total, "Total", JC_U64, 0),
    JC_F(struct dn_disk_stat, used, "Used", JC_U64, 0),
    JC_F(struct dn_disk_stat, available, "Available", JC_U64, 0),
    JC_CONST("IOUtil", JC_EMIT_ZERO),
    JC_CONST("TotalPartitionCnt", JC_EMIT_ZERO),
    JC_CONST("DiskErrPartitionList", JC_EMIT_NULL),
    JC_END,
};

/* A v3.5 data node makes PartitionReports before filling it (so [] when empty) but appends to a
 * nil AllDisks; the golden body shows BadDisks and DiskStats as null too. */
const struct jc_field dn_heartbeat_resp_fields[] = {
    JC_F(struct dn_heartbeat_resp, total, "Total", JC_U64, 0),
    JC_F(struct dn_heartbeat_resp, used, "Used", JC_U64, 0),
    JC_F(struct dn_heartbeat_resp, available, "Available", JC_U64, 0),
    JC_F(struct dn_heartbeat_resp, total_partition_size, "TotalPartitionSize", JC_U64, 0),
    JC_F(struct dn_heartbeat_resp, remaining_capacity, "RemainingCapacity", JC_U64, 0),
    JC_F(struct dn_heartbeat_resp, created_partition_cnt, "CreatedPartitionCnt", JC_U32, 0),
    JC_F(struct dn_heartbeat_resp, max_capacity, "MaxCapacity", JC_U64, 0),
    JC_F(struct dn_heartbeat_resp, start_time, "StartTime", JC_I64, 0),
    JC_F(struct dn_heartbeat_resp, zone_name, "ZoneName", JC_STR, 0),
    JC_HARR(struct dn_heartbeat_resp, reports, nreports, "PartitionReports", 0,
            partition_report_fields, 0),
    JC_F(struct dn_heartbeat_resp, status, "Status", JC_U8, 0),
    JC_F(struct dn_heartbeat_resp, result, "Result", JC_STR, 0),
    JC_HARR(struct dn_heartbeat_resp, all_disks, nall_disks, "AllDisks", JC_STR, NULL,
            JC_NULL_EMPTY),
    JC_HARR(struct dn_heartbeat_resp, disk_stats, ndisk_stats, "DiskStats", 0, disk_stat_fields,
            JC_NULL_EMPTY),
    JC_HARR(struct dn_heartbeat_resp, bad_disks, nbad_disks, "BadDisks", JC_STR, NULL,
            JC_NULL_EMPTY),
    JC_CONST("BadDiskStats", JC_EMIT_NULL),
    JC_CONST("LostDisks", JC_EMIT_NULL),
    JC_CONST("cpuUtil", JC_EMIT_ZERO),
    JC_CONST("ioUtil", JC_EMIT_NULL),
    JC_CONST("BackupDataPartitions", JC_EMIT_NULL),
    JC_CONST("DiskOpLog", JC_EMIT_NULL),
    JC_CONST("DpOpLog", JC_EMIT_NULL),
    JC_CONST("ReceivedForbidWriteOpOfProtoVer0", JC_EMIT_FALSE),
    JC_END,
};

/* Only the data-node task opcodes CubeFS defines bodies for: ReplicateFile and DeleteFile have
 * none, so they get no entry. Sync tasks answer in the reply packet, not in Response. */
static const struct task_body_desc bodies[] = {
    {OP_CREATE_DATA_PARTITION, dn_create_dp_req_fields, sizeof(struct dn_create_dp_req), NULL, 0},
    {OP_DELETE_DATA_PARTITION, dn_delete_dp_req_fields, sizeof(struct dn_delete_dp_req),
     dn_delete_dp_resp_fields, sizeof(struct dn_delete_dp_resp)},
    {OP_LOAD_DATA_PARTITION, dn_load_dp_req_fields, sizeof(struct dn_load_dp_req),
     dn_load_dp_resp_fields, sizeof(struct dn_load_dp_resp)},
    {OP_DATA_NODE_HEARTBEAT, heartbeat_req_fields, sizeof(struct heartbeat_req),
     dn_heartbeat_resp_fields, sizeof(struct dn_heartbeat_resp)},
    {OP_DECOMMISSION_DATA_PARTITION, dn_decommission_dp_req_fields,
     sizeof(struct dn_decommission_dp_req), NULL, 0},
    {OP_ADD_DATA_PARTITION_RAFT_MEMBER, dn_add_raft_member_req_fields,
     sizeof(struct dn_raft_member_req), NULL, 0},
    {OP_REMOVE_DATA_PARTITION_RAFT_MEMBER, dn_remove_raft_member_req_fields,
     sizeof(struct dn_raft_member_req), NULL, 0},
    {OP_DATA_PARTITION_TRY_TO_LEADER, NULL, 0, NULL, 0},
};

const struct task_body_desc *dn_body_desc(uint8_t opcode)
{
    return admin_task_find_body(bodies, sizeof(bodies) / sizeof(bodies[0]), opcode);
}

#include "admin_task/task.h"

#include "admin_task/packet.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Key order is Go's struct order, so our text matches CubeFS's byte for byte. */
const struct jc_field admin_task_fields[] = {
    JC_F(struct admin_task, id, "ID", JC_STR, JC_REQUIRED),
    JC_F(struct admin_task, partition_id, "PartitionID", JC_U64, 0),
    JC_F(struct admin_task, disk, "Disk", JC_STR, 0),
    JC_F(struct admin_task, opcode, "OpCode", JC_U8, JC_REQUIRED),
    JC_F(struct admin_task, operator_addr, "OperatorAddr", JC_STR, JC_REQUIRED),
    JC_F(struct admin_task, status, "Status", JC_I8, 0),
    JC_F(struct admin_task, send_time, "SendTime", JC_I64, 0),
    JC_F(struct admin_task, create_time, "CreateTime", JC_I64, 0),
    JC_F(struct admin_task, send_count, "SendCount", JC_U8, 0),
    JC_F(struct admin_task, request, "Request", JC_JSON, 0),
    JC_F(struct admin_task, response, "Response", JC_JSON, 0),
    JC_F(struct admin_task, request_id, "RequestID", JC_STR, 0),
    JC_END,
};

const struct jc_field task_peer_fields[] = {
    JC_F(struct task_peer, id, "id", JC_U64, 0),
    JC_F(struct task_peer, addr, "addr", JC_STR, 0),
    JC_CONST("raftHeartbeat", JC_EMIT_EMPTY_STR),
    JC_CONST("raftReplica", JC_EMIT_EMPTY_STR),
    JC_END,
};

/* HeartBeatRequest of v3.5, embedded structs (QosToDataNode, UidLimitToMetaNode, TxInfos, ...)
 * flattened the way encoding/json flattens them. */
const struct jc_field heartbeat_req_fields[] = {
    JC_F(struct heartbeat_req, curr_time, "CurrTime", JC_I64, 0),
    JC_F(struct heartbeat_req, master_addr, "MasterAddr", JC_STR, 0),
    JC_CONST("FLReadVols", JC_EMIT_NULL),
    JC_CONST("EnableDiskQos", JC_EMIT_FALSE),
    JC_CONST("QosIopsReadLimit", JC_EMIT_ZERO),
    JC_CONST("QosIopsWriteLimit", JC_EMIT_ZERO),
    JC_CONST("QosFlowReadLimit", JC_EMIT_ZERO),
    JC_CONST("QosFlowWriteLimit", JC_EMIT_ZERO),
    JC_CONST("FileStatsEnable", JC_EMIT_FALSE),
    JC_CONST("FileStatsThresholds", JC_EMIT_NULL),
    JC_CONST("RaftPartitionCanUsingDifferentPortEnabled", JC_EMIT_FALSE),
    JC_CONST("UidLimitInfo", JC_EMIT_NULL),
    JC_CONST("QuotaHbInfos", JC_EMIT_NULL),
    JC_CONST("TxInfo", JC_EMIT_NULL),
    JC_CONST("ForbiddenVols", JC_EMIT_NULL),
    JC_CONST("DisableAuditVols", JC_EMIT_NULL),
    JC_CONST("DecommissionDisks", JC_EMIT_NULL),
    JC_CONST("VolDpRepairBlockSize", JC_EMIT_NULL),
    JC_CONST("DpBackupTimeout", JC_EMIT_EMPTY_STR),
    JC_CONST("NotifyForbidWriteOpOfProtoVer0", JC_EMIT_FALSE),
    JC_CONST("VolsForbidWriteOpOfProtoVer0", JC_EMIT_NULL),
    JC_CONST("DirectReadVols", JC_EMIT_NULL),
    JC_CONST("IgnoreTinyRecoverVols", JC_EMIT_NULL),
    JC_CONST("MetaNodeGOGC", JC_EMIT_ZERO),
    JC_CONST("DataNodeGOGC", JC_EMIT_ZERO),
    JC_CONST("FlashNodeHandleReadTimeout", JC_EMIT_ZERO),
    JC_CONST("FlashNodeReadDataNodeTimeout", JC_EMIT_ZERO),
    JC_CONST("FlashHotKeyMissCount", JC_EMIT_ZERO),
    JC_CONST("FlashReadFlowLimit", JC_EMIT_ZERO),
    JC_CONST("FlashWriteFlowLimit", JC_EMIT_ZERO),
    JC_CONST("FlashKeyFlowLimit", JC_EMIT_ZERO),
    JC_END,
};

/* RequestIDs are uuid-shaped: a random per-process prefix and a counter, unique without a
 * random draw per task. */
static uint64_t request_id_prefix;
static pthread_once_t request_id_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t request_id_counter;

static void request_id_init(void)
{
    struct timespec ts;

    if (getrandom(&request_id_prefix, sizeof(request_id_prefix), 0) ==
        (ssize_t)sizeof(request_id_prefix)) {
        return;
    }
    /* No entropy yet (early boot, seccomp): time and pid still separate processes in practice. */
    clock_gettime(CLOCK_REALTIME, &ts);
    request_id_prefix =
        ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16);
}

static void format_request_id(char *buf, size_t size)
{
    uint64_t n;

    pthread_once(&request_id_once, request_id_init);
    n = atomic_fetch_add(&request_id_counter, 1) + 1;
    /* Version 4 and variant bits where a uuid has them; the counter fills the last 60 bits. */
    snprintf(buf, size, "%08" PRIx32 "-%04" PRIx32 "-4%03" PRIx32 "-%04" PRIx32 "-%012" PRIx64,
             (uint32_t)(request_id_prefix >> 32), (uint32_t)(request_id_prefix >> 16) & 0xFFFFu,
             (uint32_t)(request_id_prefix >> 4) & 0xFFFu, 0x8000u | ((uint32_t)(n >> 48) & 0xFFFu),
             n & 0xFFFFFFFFFFFFu);
}

void admin_task_format_id(char *buf, size_t size, const char *addr, uint8_t opcode,
                          uint64_t partition_id)
{
    const char *suffix = NULL;

    if (opcode >= OP_CREATE_DATA_PARTITION && opcode <= OP_DATA_PARTITION_TRY_TO_LEADER &&
        opcode != OP_DATA_NODE_HEARTBEAT) {
        suffix = "_DataPartitionID";
    } else if (opcode >= OP_CREATE_META_PARTITION && opcode <= OP_META_PARTITION_TRY_TO_LEADER &&
               opcode != OP_META_NODE_HEARTBEAT) {
        suffix = "_pid";
    }
    if (suffix != NULL) {
        snprintf(buf, size, "addr[%s]_op[%u]%s[%" PRIu64 "]", addr, opcode, suffix, partition_id);
    } else {
        snprintf(buf, size, "addr[%s]_op[%u]", addr, opcode);
    }
}

int admin_task_init(struct admin_task *t, uint8_t opcode, const char *addr, uint64_t partition_id,
                    json_t *request, int64_t now)
{
    struct admin_task tmp = {0};
    int rv = -ENAMETOOLONG;

    if (strlen(addr) >= sizeof(tmp.operator_addr)) {
        goto out;
    }
    strcpy(tmp.operator_addr, addr);
    admin_task_format_id(tmp.id, sizeof(tmp.id), addr, opcode, partition_id);
    format_request_id(tmp.request_id, sizeof(tmp.request_id));
    tmp.opcode = opcode;
    tmp.partition_id = partition_id;
    tmp.status = TASK_START;
    tmp.create_time = now;
    tmp.request = request;
    *t = tmp;
    rv = 0;
out:
    if (rv != 0) {
        json_decref(request);
    }
    return rv;
}

int admin_task_init_heartbeat(struct admin_task *t, uint8_t opcode, const char *node_addr,
                              const char *master_addr, int64_t now)
{
    struct heartbeat_req req = {.curr_time = now};
    json_t *request;

    if (opcode != OP_DATA_NODE_HEARTBEAT && opcode != OP_META_NODE_HEARTBEAT) {
        return -EINVAL;
    }
    if (strlen(master_addr) >= sizeof(req.master_addr)) {
        return -ENAMETOOLONG;
    }
    strcpy(req.master_addr, master_addr);
    request = jc_encode(heartbeat_req_fields, &req);
    if (request == NULL) {
        return -ENOMEM;
    }
    return admin_task_init(t, opcode, node_addr, 0, request, now);
}

void admin_task_clear(struct admin_task *t)
{
    jc_free(admin_task_fields, t);
}

int admin_task_encode(const struct admin_task *t, char **out, size_t *len)
{
    return jc_encode_text(admin_task_fields, t, out, len);
}

int admin_task_decode(const void *buf, size_t len, struct admin_task *t, char *errmsg)
{
    struct admin_task tmp = {0};
    int rv;

    rv = jc_decode_text(buf, len, admin_task_fields, &tmp, errmsg);
    if (rv != 0) {
        return rv;
    }
    *t = tmp;
    return 0;
}

const struct task_body_desc *admin_task_find_body(const struct task_body_desc *table, size_t n,
                                                  uint8_t opcode)
{
    for (size_t i = 0; i < n; i++) {
        if (table[i].opcode == opcode) {
            return &table[i];
        }
    }
    return NULL;
}

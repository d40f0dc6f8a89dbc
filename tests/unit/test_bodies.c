#include "admin_task/packet.h"
#include "admin_task/task.h"
#include "common/errors.h"
#include "datanode_proto/dn_bodies.h"
#include "metanode_proto/mn_bodies.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The golden request packets, by name; the posted heartbeat responses are loaded where used. */
enum { G_DN_HB, G_MN_HB, G_DP_CREATE, G_MP_CREATE, G_DP_ADD_MEMBER, NGOLDEN };

static const char *const golden_names[NGOLDEN] = {
    [G_DN_HB] = "dn_heartbeat_req",
    [G_MN_HB] = "mn_heartbeat_req",
    [G_DP_CREATE] = "dp_create_req",
    [G_MP_CREATE] = "mp_create_req",
    [G_DP_ADD_MEMBER] = "dp_add_raft_member_req",
};

struct golden {
    uint8_t *bin;
    size_t len;
    struct admin_task task; /* decoded from the packet's data, exact integers */
    json_t *expect;         /* expect.json, numbers as reals */
};

static struct golden goldens[NGOLDEN];

static int load_goldens(void)
{
    char rel[128];

    for (size_t i = 0; i < NGOLDEN; i++) {
        struct golden *g = &goldens[i];
        snprintf(rel, sizeof(rel), "cubefs-packets/%s.bin", golden_names[i]);
        g->bin = test_read_file(test_data_path(rel), &g->len);
        snprintf(rel, sizeof(rel), "cubefs-packets/%s.expect.json", golden_names[i]);
        /* expect.json prints 2^63-1 (the last meta partition's End) as 9223372036854776000, which
         * jansson refuses as an integer; loaded as reals both sides become the same double. */
        g->expect = json_load_file(test_data_path(rel), JSON_DECODE_INT_AS_REAL, NULL);
        if (g->bin == NULL || g->expect == NULL || g->len < PACKET_HEADER_SIZE ||
            admin_task_decode(g->bin + PACKET_HEADER_SIZE, g->len - PACKET_HEADER_SIZE, &g->task,
                              NULL) != 0) {
            fprintf(stderr, "cannot load golden %s\n", golden_names[i]);
            return -1;
        }
    }
    return 0;
}

static int free_goldens(void)
{
    for (size_t i = 0; i < NGOLDEN; i++) {
        free(goldens[i].bin);
        json_decref(goldens[i].expect);
        admin_task_clear(&goldens[i].task);
    }
    return 0;
}

static const json_t *golden_request_json(size_t i)
{
    return json_object_get(json_object_get(goldens[i].expect, "data_json"), "Request");
}

/* Equal in value with every number as a double, as expect.json needs. */
static int equal_as_reals(const json_t *got, const json_t *want)
{
    char *text = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *reals = text != NULL ? json_loads(text, JSON_DECODE_INT_AS_REAL, NULL) : NULL;
    int eq = reals != NULL && json_equal(reals, want);

    json_decref(reals);
    free(text);
    return eq;
}

/* Equal in value and in key order: the compact texts are identical. */
static int same_text(const json_t *a, const json_t *b)
{
    char *ta = json_dumps(a, JSON_COMPACT);
    char *tb = json_dumps(b, JSON_COMPACT);
    int eq = ta != NULL && tb != NULL && strcmp(ta, tb) == 0;

    free(ta);
    free(tb);
    return eq;
}

/* Encoding the typed request gives CubeFS's Request (exactly, and as expect.json has it); inside
 * a task built by admin_task_init with the golden's times and uuid, the whole packet data is
 * CubeFS's byte for byte. */
static void assert_reencodes(size_t gi, const struct jc_field *fields, const void *typed)
{
    const struct golden *g = &goldens[gi];
    json_t *request = jc_encode(fields, typed);
    struct admin_task t;
    char *text;
    size_t len;

    CU_ASSERT_PTR_NOT_NULL_FATAL(request);
    CU_ASSERT_TRUE(same_text(request, g->task.request));
    CU_ASSERT_TRUE(equal_as_reals(request, golden_request_json(gi)));
    CU_ASSERT_EQUAL_FATAL(admin_task_init(&t, g->task.opcode, g->task.operator_addr,
                                          g->task.partition_id, request, g->task.create_time),
                          0);
    CU_ASSERT_STRING_EQUAL(t.id, g->task.id);
    t.send_time = g->task.send_time;
    t.send_count = g->task.send_count;
    memcpy(t.request_id, g->task.request_id, sizeof(t.request_id));
    CU_ASSERT_EQUAL_FATAL(admin_task_encode(&t, &text, &len), 0);
    CU_ASSERT_EQUAL(len, g->len - PACKET_HEADER_SIZE);
    CU_ASSERT_EQUAL(memcmp(text, g->bin + PACKET_HEADER_SIZE, g->len - PACKET_HEADER_SIZE), 0);
    free(text);
    admin_task_clear(&t);
}

static void assert_peer(const struct task_peer *p, uint64_t id, const char *addr)
{
    CU_ASSERT_EQUAL(p->id, id);
    CU_ASSERT_STRING_EQUAL(p->addr, addr);
}

static void test_dp_create_request(void)
{
    struct dn_create_dp_req req = {0};
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_EQUAL_FATAL(
        jc_decode(goldens[G_DP_CREATE].task.request, dn_create_dp_req_fields, &req, errmsg), 0);
    CU_ASSERT_EQUAL(req.partition_id, 7);
    CU_ASSERT_EQUAL(req.partition_size, 128849018880u);
    CU_ASSERT_STRING_EQUAL(req.volume_id, "vol1");
    CU_ASSERT_FALSE(req.is_random_write);
    CU_ASSERT_EQUAL_FATAL(req.nmembers, 3);
    assert_peer(&req.members[0], 4, "127.0.0.1:17310");
    assert_peer(&req.members[1], 5, "127.0.0.2:17310");
    assert_peer(&req.members[2], 6, "127.0.0.3:17310");
    CU_ASSERT_EQUAL_FATAL(req.nhosts, 3);
    CU_ASSERT_STRING_EQUAL(req.hosts[0], "127.0.0.2:17310");
    CU_ASSERT_STRING_EQUAL(req.hosts[1], "127.0.0.1:17310");
    CU_ASSERT_STRING_EQUAL(req.hosts[2], "127.0.0.3:17310");
    CU_ASSERT_EQUAL(req.create_type, 0);
    CU_ASSERT_EQUAL(req.partition_type, 0);
    CU_ASSERT_EQUAL(req.replica_num, 3);
    CU_ASSERT_EQUAL(req.leader_size, 0);
    CU_ASSERT_FALSE(req.is_multi_ver);
    CU_ASSERT_EQUAL(req.ver_seq, 0);
    assert_reencodes(G_DP_CREATE, dn_create_dp_req_fields, &req);
    jc_free(dn_create_dp_req_fields, &req);
}

static void test_mp_create_request(void)
{
    struct mn_create_mp_req req = {0};

    CU_ASSERT_EQUAL_FATAL(
        jc_decode(goldens[G_MP_CREATE].task.request, mn_create_mp_req_fields, &req, NULL), 0);
    CU_ASSERT_STRING_EQUAL(req.meta_id, "");
    CU_ASSERT_STRING_EQUAL(req.vol_name, "vol1");
    CU_ASSERT_EQUAL(req.start, 16777217);
    /* The .bin holds the exact integer, not expect.json's rounded float. */
    CU_ASSERT_EQUAL(req.end, 9223372036854775807u);
    CU_ASSERT_EQUAL(req.partition_id, 3);
    CU_ASSERT_EQUAL_FATAL(req.nmembers, 3);
    assert_peer(&req.members[0], 1, "127.0.0.1:17210");
    assert_peer(&req.members[1], 2, "127.0.0.2:17210");
    assert_peer(&req.members[2], 3, "127.0.0.3:17210");
    CU_ASSERT_EQUAL(req.ver_seq, 0);
    assert_reencodes(G_MP_CREATE, mn_create_mp_req_fields, &req);
    jc_free(mn_create_mp_req_fields, &req);
}

static void test_dp_add_raft_member_request(void)
{
    struct dn_raft_member_req req = {.repairing_status = true};

    CU_ASSERT_EQUAL_FATAL(
        jc_decode(goldens[G_DP_ADD_MEMBER].task.request, dn_add_raft_member_req_fields, &req, NULL),
        0);
    CU_ASSERT_EQUAL(req.partition_id, 7);
    assert_peer(&req.peer, 9, "127.0.0.4:17310");
    CU_ASSERT_FALSE(req.repairing_status);
    assert_reencodes(G_DP_ADD_MEMBER, dn_add_raft_member_req_fields, &req);
}

static void test_heartbeat_requests(void)
{
    const size_t which[] = {G_DN_HB, G_MN_HB};

    for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
        struct heartbeat_req req = {0};

        CU_ASSERT_EQUAL_FATAL(
            jc_decode(goldens[which[i]].task.request, heartbeat_req_fields, &req, NULL), 0);
        CU_ASSERT_EQUAL(req.curr_time, 1795374000);
        CU_ASSERT_STRING_EQUAL(req.master_addr, "127.0.0.1:17010");
        assert_reencodes(which[i], heartbeat_req_fields, &req);
    }
}

/* The whole posted AdminTask, then its Response with the typed table. */
static json_t *load_posted_response(const char *name, struct admin_task *t)
{
    char rel[128];
    size_t len;
    char *body;
    int rv;

    snprintf(rel, sizeof(rel), "cubefs-packets/%s", name);
    body = test_read_file(test_data_path(rel), &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    rv = admin_task_decode(body, len, t, NULL);
    free(body);
    CU_ASSERT_EQUAL_FATAL(rv, 0);
    CU_ASSERT_TRUE_FATAL(json_is_object(t->response));
    return t->response;
}

static void test_dn_heartbeat_response(void)
{
    struct admin_task t;
    const json_t *response = load_posted_response("dn_heartbeat_response.json", &t);
    /* Sentinels where the golden has zero or empty, so a field left undecoded shows. */
    struct dn_heartbeat_resp r = {.remaining_capacity = 99, .status = 99, .result = "unset"};
    const struct dn_partition_report *p;
    char errmsg[ERRMSG_SIZE] = "";
    json_t *again;

    CU_ASSERT_EQUAL(t.opcode, OP_DATA_NODE_HEARTBEAT);
    CU_ASSERT_STRING_EQUAL(t.operator_addr, "127.0.0.1:17310");
    CU_ASSERT_STRING_EQUAL(t.id, "addr[127.0.0.1:17310]_op[99]");
    CU_ASSERT_EQUAL(t.status, TASK_SUCCEEDS);
    CU_ASSERT_EQUAL_FATAL(jc_decode(response, dn_heartbeat_resp_fields, &r, errmsg), 0);
    CU_ASSERT_EQUAL(r.total, 107374182400u);
    CU_ASSERT_EQUAL(r.used, 21474836480u);
    CU_ASSERT_EQUAL(r.available, 85899345920u);
    CU_ASSERT_EQUAL(r.total_partition_size, 257698037760u);
    CU_ASSERT_EQUAL(r.remaining_capacity, 0);
    CU_ASSERT_EQUAL(r.created_partition_cnt, 2);
    CU_ASSERT_EQUAL(r.max_capacity, 85899345920u);
    CU_ASSERT_EQUAL(r.start_time, 1795370000);
    CU_ASSERT_STRING_EQUAL(r.zone_name, "default");
    CU_ASSERT_EQUAL(r.status, TASK_SUCCEEDS);
    CU_ASSERT_STRING_EQUAL(r.result, "");
    CU_ASSERT_EQUAL_FATAL(r.nall_disks, 2);
    CU_ASSERT_STRING_EQUAL(r.all_disks[0], "/cfs/disk1");
    CU_ASSERT_STRING_EQUAL(r.all_disks[1], "/cfs/disk2");
    CU_ASSERT_EQUAL(r.nbad_disks, 0);
    CU_ASSERT_PTR_NULL(r.bad_disks);
    CU_ASSERT_EQUAL(r.ndisk_stats, 0);
    CU_ASSERT_PTR_NULL(r.disk_stats);
    CU_ASSERT_EQUAL_FATAL(r.nreports, 2);

    p = &r.reports[0];
    CU_ASSERT_STRING_EQUAL(p->vol_name, "vol1");
    CU_ASSERT_EQUAL(p->partition_id, 7);
    CU_ASSERT_EQUAL(p->partition_status, DP_STATUS_READ_WRITE);
    CU_ASSERT_EQUAL(p->total, 128849018880u);
    CU_ASSERT_EQUAL(p->used, 1048576);
    CU_ASSERT_STRING_EQUAL(p->disk_path, "/cfs/disk1");
    CU_ASSERT_TRUE(p->is_leader);
    CU_ASSERT_EQUAL(p->extent_count, 3);
    CU_ASSERT_TRUE(p->need_compare);
    CU_ASSERT_FALSE(p->is_repairing);

    p = &r.reports[1];
    CU_ASSERT_STRING_EQUAL(p->vol_name, "vol1");
    CU_ASSERT_EQUAL(p->partition_id, 8);
    CU_ASSERT_EQUAL(p->partition_status, DP_STATUS_READ_ONLY);
    CU_ASSERT_EQUAL(p->total, 128849018880u);
    CU_ASSERT_EQUAL(p->used, 0);
    CU_ASSERT_STRING_EQUAL(p->disk_path, "/cfs/disk2");
    CU_ASSERT_FALSE(p->is_leader);
    CU_ASSERT_EQUAL(p->extent_count, 0);
    CU_ASSERT_TRUE(p->need_compare);
    CU_ASSERT_FALSE(p->is_repairing);

    /* A data node agent writing this struct sends what the CubeFS node sent. */
    again = jc_encode(dn_heartbeat_resp_fields, &r);
    CU_ASSERT_TRUE(same_text(again, response));
    json_decref(again);
    jc_free(dn_heartbeat_resp_fields, &r);
    CU_ASSERT_PTR_NULL(r.reports);
    CU_ASSERT_EQUAL(r.nreports, 0);
    admin_task_clear(&t);
}

static void test_mn_heartbeat_response(void)
{
    struct admin_task t;
    const json_t *response = load_posted_response("mn_heartbeat_response.json", &t);
    struct mn_heartbeat_resp r = {
        .node_mem_total = 99, .node_mem_used = 99, .status = 99, .result = "unset"};
    const struct mn_partition_report *p;
    json_t *again;

    CU_ASSERT_EQUAL(t.opcode, OP_META_NODE_HEARTBEAT);
    CU_ASSERT_STRING_EQUAL(t.operator_addr, "127.0.0.1:17210");
    CU_ASSERT_STRING_EQUAL(t.id, "addr[127.0.0.1:17210]_op[65]");
    /* The meta node posts Request as null. */
    CU_ASSERT_PTR_NULL(t.request);
    CU_ASSERT_EQUAL_FATAL(jc_decode(response, mn_heartbeat_resp_fields, &r, NULL), 0);
    CU_ASSERT_STRING_EQUAL(r.zone_name, "default");
    CU_ASSERT_EQUAL(r.total, 4294967296u);
    CU_ASSERT_EQUAL(r.used, 134217728);
    CU_ASSERT_EQUAL(r.node_mem_total, 0);
    CU_ASSERT_EQUAL(r.node_mem_used, 0);
    CU_ASSERT_EQUAL(r.status, TASK_SUCCEEDS);
    CU_ASSERT_STRING_EQUAL(r.result, "");
    CU_ASSERT_EQUAL_FATAL(r.nreports, 1);

    p = &r.reports[0];
    CU_ASSERT_EQUAL(p->partition_id, 3);
    CU_ASSERT_EQUAL(p->start, 16777217);
    CU_ASSERT_EQUAL(p->end, 9223372036854775807u);
    CU_ASSERT_EQUAL(p->status, MP_STATUS_READ_WRITE);
    CU_ASSERT_EQUAL(p->size, 0);
    CU_ASSERT_EQUAL(p->max_inode_id, 16777300);
    CU_ASSERT_TRUE(p->is_leader);
    CU_ASSERT_STRING_EQUAL(p->vol_name, "vol1");
    CU_ASSERT_EQUAL(p->inode_cnt, 83);
    CU_ASSERT_EQUAL(p->dentry_cnt, 82);
    CU_ASSERT_EQUAL(p->free_list_len, 0);

    again = jc_encode(mn_heartbeat_resp_fields, &r);
    CU_ASSERT_TRUE(same_text(again, response));
    json_decref(again);
    jc_free(mn_heartbeat_resp_fields, &r);
    admin_task_clear(&t);
}

#define PEER(id, addr) \
    "{\"id\":" #id ",\"addr\":\"" addr "\",\"raftHeartbeat\":\"\",\"raftReplica\":\"\"}"
#define ZERO_PEER PEER(0, "")

/* Every body table: what it writes for a zeroed struct (the v3.5 field set, in Go's order, as a
 * CubeFS peer writes it when it has nothing to say), and a sample that must decode and encode
 * back to the same text. */
static const struct body_case {
    const char *name;
    const struct jc_field *fields;
    size_t size;
    const char *zero;
    const char *sample;
} body_cases[] = {
    {"dn_create_dp_req", dn_create_dp_req_fields, sizeof(struct dn_create_dp_req),
     "{\"PartitionTyp\":0,\"PartitionId\":0,\"PartitionSize\":0,\"ReplicaNum\":0,\"VolumeId\":\"\","
     "\"IsRandomWrite\":false,\"Members\":null,\"Hosts\":null,\"CreateType\":0,\"LeaderSize\":0,"
     "\"DecommissionedDisks\":null,\"IsMultiVer\":false,\"VerSeq\":0}",
     "{\"PartitionTyp\":1,\"PartitionId\":8,\"PartitionSize\":1024,\"ReplicaNum\":1,\"VolumeId\":"
     "\"v\",\"IsRandomWrite\":true,\"Members\":[" PEER(
         1, "a:1") "],\"Hosts\":[\"a:1\"],"
                   "\"CreateType\":1,\"LeaderSize\":5,\"DecommissionedDisks\":null,\"IsMultiVer\":"
                   "true,"
                   "\"VerSeq\":3}"},
    {"dn_delete_dp_req", dn_delete_dp_req_fields, sizeof(struct dn_delete_dp_req),
     "{\"DataPartitionType\":\"\",\"PartitionId\":0,\"PartitionSize\":0,\"Force\":false,"
     "\"DecommissionType\":0}",
     "{\"DataPartitionType\":\"extent\",\"PartitionId\":12,\"PartitionSize\":1024,\"Force\":false,"
     "\"DecommissionType\":0}"},
    {"dn_delete_dp_resp", dn_delete_dp_resp_fields, sizeof(struct dn_delete_dp_resp),
     "{\"Status\":0,\"Result\":\"\",\"PartitionId\":0}",
     "{\"Status\":2,\"Result\":\"no such partition\",\"PartitionId\":12}"},
    {"dn_load_dp_req", dn_load_dp_req_fields, sizeof(struct dn_load_dp_req), "{\"PartitionId\":0}",
     "{\"PartitionId\":12}"},
    {"dn_load_dp_resp", dn_load_dp_resp_fields, sizeof(struct dn_load_dp_resp),
     "{\"PartitionId\":0,\"Used\":0,\"PartitionSnapshot\":[],\"Status\":0,\"PartitionStatus\":0,"
     "\"Result\":\"\",\"VolName\":\"\"}",
     "{\"PartitionId\":12,\"Used\":4096,\"PartitionSnapshot\":[{\"Name\":\"1\",\"Crc\":3405691582,"
     "\"Size\":4096,\"Modified\":1795374000,\"ApplyID\":0},{\"Name\":\"2\",\"Crc\":0,\"Size\":0,"
     "\"Modified\":0,\"ApplyID\":0}],\"Status\":1,\"PartitionStatus\":2,\"Result\":\"\","
     "\"VolName\":\"vol1\"}"},
    {"dn_add_raft_member_req", dn_add_raft_member_req_fields, sizeof(struct dn_raft_member_req),
     "{\"PartitionId\":0,\"AddPeer\":" ZERO_PEER ",\"RepairingStatus\":false}",
     "{\"PartitionId\":12,\"AddPeer\":" PEER(4, "a:1") ",\"RepairingStatus\":true}"},
    {"dn_remove_raft_member_req", dn_remove_raft_member_req_fields,
     sizeof(struct dn_raft_member_req),
     "{\"PartitionId\":0,\"RemovePeer\":" ZERO_PEER ",\"RepairingStatus\":false,\"Force\":false,"
     "\"AutoRemove\":false}",
     "{\"PartitionId\":12,\"RemovePeer\":" PEER(4, "a:1") ",\"RepairingStatus\":true,"
                                                          "\"Force\":false,\"AutoRemove\":false}"},
    {"dn_decommission_dp_req", dn_decommission_dp_req_fields, sizeof(struct dn_decommission_dp_req),
     "{\"PartitionId\":0,\"RemovePeer\":" ZERO_PEER ",\"AddPeer\":" ZERO_PEER "}",
     "{\"PartitionId\":12,\"RemovePeer\":" PEER(4, "a:1") ",\"AddPeer\":" PEER(5, "b:1") "}"},
    {"dn_heartbeat_resp", dn_heartbeat_resp_fields, sizeof(struct dn_heartbeat_resp),
     "{\"Total\":0,\"Used\":0,\"Available\":0,\"TotalPartitionSize\":0,\"RemainingCapacity\":0,"
     "\"CreatedPartitionCnt\":0,\"MaxCapacity\":0,\"StartTime\":0,\"ZoneName\":\"\","
     "\"PartitionReports\":[],\"Status\":0,\"Result\":\"\",\"AllDisks\":null,\"DiskStats\":null,"
     "\"BadDisks\":null,\"BadDiskStats\":null,\"LostDisks\":null,\"cpuUtil\":0,\"ioUtil\":null,"
     "\"BackupDataPartitions\":null,\"DiskOpLog\":null,\"DpOpLog\":null,"
     "\"ReceivedForbidWriteOpOfProtoVer0\":false}",
     "{\"Total\":10,\"Used\":4,\"Available\":6,\"TotalPartitionSize\":8,\"RemainingCapacity\":2,"
     "\"CreatedPartitionCnt\":1,\"MaxCapacity\":6,\"StartTime\":5,\"ZoneName\":\"z\","
     "\"PartitionReports\":[],\"Status\":2,\"Result\":\"disk error\",\"AllDisks\":[\"/d1\","
     "\"/d2\"],\"DiskStats\":[{\"Status\":1,\"DiskPath\":\"/d1\",\"Total\":10,\"Used\":4,"
     "\"Available\":6,\"IOUtil\":0,\"TotalPartitionCnt\":0,\"DiskErrPartitionList\":null}],"
     "\"BadDisks\":[\"/d2\"],\"BadDiskStats\":null,\"LostDisks\":null,\"cpuUtil\":0,"
     "\"ioUtil\":null,\"BackupDataPartitions\":null,\"DiskOpLog\":null,\"DpOpLog\":null,"
     "\"ReceivedForbidWriteOpOfProtoVer0\":false}"},
    {"heartbeat_req", heartbeat_req_fields, sizeof(struct heartbeat_req), NULL, NULL},
    {"task_peer", task_peer_fields, sizeof(struct task_peer), ZERO_PEER, PEER(7, "h:1")},
    {"mn_create_mp_req", mn_create_mp_req_fields, sizeof(struct mn_create_mp_req),
     "{\"MetaId\":\"\",\"VolName\":\"\",\"Start\":0,\"End\":0,\"PartitionID\":0,\"Members\":null,"
     "\"VerSeq\":0}",
     "{\"MetaId\":\"m\",\"VolName\":\"v\",\"Start\":1,\"End\":16777216,\"PartitionID\":1,"
     "\"Members\":[" PEER(1, "a:1") "," PEER(2, "b:1") "],\"VerSeq\":0}"},
    {"mn_delete_mp_req", mn_delete_mp_req_fields, sizeof(struct mn_delete_mp_req),
     "{\"PartitionID\":0}", "{\"PartitionID\":3}"},
    {"mn_delete_mp_resp", mn_delete_mp_resp_fields, sizeof(struct mn_delete_mp_resp),
     "{\"PartitionID\":0,\"Status\":0,\"Result\":\"\"}",
     "{\"PartitionID\":3,\"Status\":1,\"Result\":\"ok\"}"},
    {"mn_update_mp_req", mn_update_mp_req_fields, sizeof(struct mn_update_mp_req),
     "{\"PartitionID\":0,\"VolName\":\"\",\"Start\":0,\"End\":0}",
     "{\"PartitionID\":3,\"VolName\":\"vol1\",\"Start\":1,\"End\":33554432}"},
    {"mn_update_mp_resp", mn_update_mp_resp_fields, sizeof(struct mn_update_mp_resp),
     "{\"PartitionID\":0,\"VolName\":\"\",\"End\":0,\"Status\":0,\"Result\":\"\"}",
     "{\"PartitionID\":3,\"VolName\":\"vol1\",\"End\":33554432,\"Status\":2,\"Result\":\"no\"}"},
    {"mn_load_mp_req", mn_load_mp_req_fields, sizeof(struct mn_load_mp_req), "{\"PartitionID\":0}",
     "{\"PartitionID\":3}"},
    {"mn_load_mp_resp", mn_load_mp_resp_fields, sizeof(struct mn_load_mp_resp),
     "{\"PartitionID\":0,\"DoCompare\":false,\"ApplyID\":0,\"CommittedID\":0,\"MaxInode\":0,"
     "\"DentryCount\":0,\"InodeCount\":0,\"Addr\":\"\",\"RaftInfo\":null}",
     "{\"PartitionID\":3,\"DoCompare\":true,\"ApplyID\":9,\"CommittedID\":0,\"MaxInode\":100,"
     "\"DentryCount\":4,\"InodeCount\":5,\"Addr\":\"a:1\",\"RaftInfo\":null}"},
    {"mn_add_raft_member_req", mn_add_raft_member_req_fields, sizeof(struct mn_raft_member_req),
     "{\"PartitionId\":0,\"AddPeer\":" ZERO_PEER "}",
     "{\"PartitionId\":3,\"AddPeer\":" PEER(4, "a:1") "}"},
    {"mn_remove_raft_member_req", mn_remove_raft_member_req_fields,
     sizeof(struct mn_raft_member_req), "{\"PartitionId\":0,\"RemovePeer\":" ZERO_PEER "}",
     "{\"PartitionId\":3,\"RemovePeer\":" PEER(4, "a:1") "}"},
    {"mn_decommission_mp_req", mn_decommission_mp_req_fields, sizeof(struct mn_decommission_mp_req),
     "{\"PartitionID\":0,\"VolName\":\"\",\"RemovePeer\":" ZERO_PEER ",\"AddPeer\":" ZERO_PEER "}",
     "{\"PartitionID\":3,\"VolName\":\"\",\"RemovePeer\":" PEER(4, "a:1") ",\"AddPeer\":" PEER(
         5, "b:1") "}"},
    {"mn_heartbeat_resp", mn_heartbeat_resp_fields, sizeof(struct mn_heartbeat_resp),
     "{\"ZoneName\":\"\",\"Total\":0,\"Used\":0,\"NodeMemTotal\":0,\"NodeMemUsed\":0,"
     "\"MetaPartitionReports\":null,\"Status\":0,\"Result\":\"\",\"cpuUtil\":0,"
     "\"ReceivedForbidWriteOpOfProtoVer0\":false}",
     "{\"ZoneName\":\"z\",\"Total\":8,\"Used\":2,\"NodeMemTotal\":16,\"NodeMemUsed\":4,"
     "\"MetaPartitionReports\":[{\"PartitionID\":3,\"Start\":1,\"End\":2,\"Status\":-1,\"Size\":0,"
     "\"MaxInodeID\":1,\"IsLeader\":false,\"VolName\":\"v\",\"InodeCnt\":1,\"DentryCnt\":0,"
     "\"TxCnt\":0,\"TxRbInoCnt\":0,\"TxRbDenCnt\":0,\"FreeListLen\":7,"
     "\"ForbidWriteOpOfProtoVer0\":false,\"UidInfo\":null,\"QuotaReportInfos\":null,"
     "\"StatByStorageClass\":null,\"StatByMigrateStorageClass\":null,\"LocalPeers\":null,"
     "\"ReadOnlyReasons\":0}],\"Status\":1,\"Result\":\"\",\"cpuUtil\":0,"
     "\"ReceivedForbidWriteOpOfProtoVer0\":false}"},
};
#define NBODY_CASES (sizeof(body_cases) / sizeof(body_cases[0]))

static void test_tables_are_valid(void)
{
    for (size_t i = 0; i < NBODY_CASES; i++) {
        char errmsg[ERRMSG_SIZE] = "";
        CU_assertImplementation(jc_check_table(body_cases[i].fields, errmsg) == 0, __LINE__,
                                body_cases[i].name, __FILE__, "", CU_FALSE);
        CU_ASSERT_STRING_EQUAL(errmsg, "");
    }
}

static void assert_encodes_to(const struct body_case *c, const void *typed, const char *want)
{
    char *text = NULL;
    size_t len;

    CU_ASSERT_EQUAL_FATAL(jc_encode_text(c->fields, typed, &text, &len), 0);
    CU_assertImplementation(strcmp(text, want) == 0, __LINE__, c->name, __FILE__, "", CU_FALSE);
    if (strcmp(text, want) != 0) {
        fprintf(stderr, "\n%s:\n got %s\nwant %s\n", c->name, text, want);
    }
    free(text);
}

static void test_zero_bodies(void)
{
    for (size_t i = 0; i < NBODY_CASES; i++) {
        const struct body_case *c = &body_cases[i];
        void *typed;

        if (c->zero == NULL) {
            continue;
        }
        typed = calloc(1, c->size);
        CU_ASSERT_PTR_NOT_NULL_FATAL(typed);
        assert_encodes_to(c, typed, c->zero);
        free(typed);
    }
}

static void test_sample_bodies_round_trip(void)
{
    for (size_t i = 0; i < NBODY_CASES; i++) {
        const struct body_case *c = &body_cases[i];
        char errmsg[ERRMSG_SIZE] = "";
        void *typed;

        if (c->sample == NULL) {
            continue;
        }
        typed = calloc(1, c->size);
        CU_ASSERT_PTR_NOT_NULL_FATAL(typed);
        CU_assertImplementation(
            jc_decode_text(c->sample, strlen(c->sample), c->fields, typed, errmsg) == 0, __LINE__,
            c->name, __FILE__, "", CU_FALSE);
        assert_encodes_to(c, typed, c->sample);
        jc_free(c->fields, typed);
        free(typed);
    }
}

static void test_load_dp_response_fields(void)
{
    const struct body_case *c = NULL;
    struct dn_load_dp_resp r = {0};

    for (size_t i = 0; i < NBODY_CASES; i++) {
        if (body_cases[i].fields == dn_load_dp_resp_fields) {
            c = &body_cases[i];
        }
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL_FATAL(jc_decode_text(c->sample, strlen(c->sample), c->fields, &r, NULL), 0);
    CU_ASSERT_EQUAL(r.partition_id, 12);
    CU_ASSERT_EQUAL(r.used, 4096);
    CU_ASSERT_EQUAL(r.status, TASK_SUCCEEDS);
    CU_ASSERT_EQUAL(r.partition_status, DP_STATUS_READ_WRITE);
    CU_ASSERT_STRING_EQUAL(r.vol_name, "vol1");
    CU_ASSERT_EQUAL_FATAL(r.nfiles, 2);
    CU_ASSERT_STRING_EQUAL(r.files[0].name, "1");
    CU_ASSERT_EQUAL(r.files[0].crc, 0xCAFEBABEu);
    CU_ASSERT_EQUAL(r.files[0].size, 4096);
    CU_ASSERT_EQUAL(r.files[0].modified, 1795374000);
    CU_ASSERT_STRING_EQUAL(r.files[1].name, "2");
    jc_free(dn_load_dp_resp_fields, &r);
    CU_ASSERT_PTR_NULL(r.files);
}

static void test_body_desc(void)
{
    const struct {
        const struct task_body_desc *(*find)(uint8_t);
        uint8_t opcode;
        const struct jc_field *request;
        size_t request_size;
        const struct jc_field *response;
        size_t response_size;
    } cases[] = {
        {dn_body_desc, OP_CREATE_DATA_PARTITION, dn_create_dp_req_fields,
         sizeof(struct dn_create_dp_req), NULL, 0},
        {dn_body_desc, OP_DELETE_DATA_PARTITION, dn_delete_dp_req_fields,
         sizeof(struct dn_delete_dp_req), dn_delete_dp_resp_fields,
         sizeof(struct dn_delete_dp_resp)},
        {dn_body_desc, OP_LOAD_DATA_PARTITION, dn_load_dp_req_fields, sizeof(struct dn_load_dp_req),
         dn_load_dp_resp_fields, sizeof(struct dn_load_dp_resp)},
        {dn_body_desc, OP_DATA_NODE_HEARTBEAT, heartbeat_req_fields, sizeof(struct heartbeat_req),
         dn_heartbeat_resp_fields, sizeof(struct dn_heartbeat_resp)},
        {dn_body_desc, OP_DECOMMISSION_DATA_PARTITION, dn_decommission_dp_req_fields,
         sizeof(struct dn_decommission_dp_req), NULL, 0},
        {dn_body_desc, OP_ADD_DATA_PARTITION_RAFT_MEMBER, dn_add_raft_member_req_fields,
         sizeof(struct dn_raft_member_req), NULL, 0},
        {dn_body_desc, OP_REMOVE_DATA_PARTITION_RAFT_MEMBER, dn_remove_raft_member_req_fields,
         sizeof(struct dn_raft_member_req), NULL, 0},
        {dn_body_desc, OP_DATA_PARTITION_TRY_TO_LEADER, NULL, 0, NULL, 0},
        {mn_body_desc, OP_CREATE_META_PARTITION, mn_create_mp_req_fields,
         sizeof(struct mn_create_mp_req), NULL, 0},
        {mn_body_desc, OP_META_NODE_HEARTBEAT, heartbeat_req_fields, sizeof(struct heartbeat_req),
         mn_heartbeat_resp_fields, sizeof(struct mn_heartbeat_resp)},
        {mn_body_desc, OP_DELETE_META_PARTITION, mn_delete_mp_req_fields,
         sizeof(struct mn_delete_mp_req), mn_delete_mp_resp_fields,
         sizeof(struct mn_delete_mp_resp)},
        {mn_body_desc, OP_UPDATE_META_PARTITION, mn_update_mp_req_fields,
         sizeof(struct mn_update_mp_req), mn_update_mp_resp_fields,
         sizeof(struct mn_update_mp_resp)},
        {mn_body_desc, OP_LOAD_META_PARTITION, mn_load_mp_req_fields, sizeof(struct mn_load_mp_req),
         mn_load_mp_resp_fields, sizeof(struct mn_load_mp_resp)},
        {mn_body_desc, OP_DECOMMISSION_META_PARTITION, mn_decommission_mp_req_fields,
         sizeof(struct mn_decommission_mp_req), NULL, 0},
        {mn_body_desc, OP_ADD_META_PARTITION_RAFT_MEMBER, mn_add_raft_member_req_fields,
         sizeof(struct mn_raft_member_req), NULL, 0},
        {mn_body_desc, OP_REMOVE_META_PARTITION_RAFT_MEMBER, mn_remove_raft_member_req_fields,
         sizeof(struct mn_raft_member_req), NULL, 0},
        {mn_body_desc, OP_META_PARTITION_TRY_TO_LEADER, NULL, 0, NULL, 0},
    };
    const struct {
        const struct task_body_desc *(*find)(uint8_t);
        uint8_t opcode;
    } absent[] = {
        {dn_body_desc, OP_CREATE_META_PARTITION},
        {dn_body_desc, OP_REPLICATE_FILE},
        {dn_body_desc, OP_DELETE_FILE},
        {dn_body_desc, OP_PING},
        {mn_body_desc, OP_CREATE_DATA_PARTITION},
        {mn_body_desc, 0x49},
        {mn_body_desc, 0x00},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct task_body_desc *d = cases[i].find(cases[i].opcode);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_EQUAL(d->opcode, cases[i].opcode);
        CU_ASSERT_PTR_EQUAL(d->request, cases[i].request);
        CU_ASSERT_EQUAL(d->request_size, cases[i].request_size);
        CU_ASSERT_PTR_EQUAL(d->response, cases[i].response);
        CU_ASSERT_EQUAL(d->response_size, cases[i].response_size);
    }
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        CU_ASSERT_PTR_NULL(absent[i].find(absent[i].opcode));
    }
}

/* What a node agent does with any task: find the tables by opcode, decode into a buffer of the
 * described size, and get the same Request back on encode. */
static void test_generic_dispatch(void)
{
    for (size_t i = 0; i < NGOLDEN; i++) {
        const struct admin_task *t = &goldens[i].task;
        const struct task_body_desc *d = dn_body_desc(t->opcode);
        void *typed;
        json_t *again;

        if (d == NULL) {
            d = mn_body_desc(t->opcode);
        }
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d->request);
        typed = calloc(1, d->request_size);
        CU_ASSERT_PTR_NOT_NULL_FATAL(typed);
        CU_ASSERT_EQUAL_FATAL(jc_decode(t->request, d->request, typed, NULL), 0);
        again = jc_encode(d->request, typed);
        CU_ASSERT_TRUE(same_text(again, t->request));
        json_decref(again);
        jc_free(d->request, typed);
        free(typed);
    }
}

static void test_wrong_types_name_the_key(void)
{
    const struct {
        const struct jc_field *fields;
        size_t size;
        const char *text;
        int rv;
        const char *path;
    } cases[] = {
        {dn_create_dp_req_fields, sizeof(struct dn_create_dp_req), "{\"PartitionId\":\"x\"}",
         CFS_ETYPE, "PartitionId"},
        {dn_create_dp_req_fields, sizeof(struct dn_create_dp_req),
         "{\"PartitionId\":1,\"Members\":[{\"id\":1},{\"id\":-2}]}", CFS_ETYPE, "Members[1].id"},
        {dn_create_dp_req_fields, sizeof(struct dn_create_dp_req),
         "{\"PartitionId\":1,\"Hosts\":\"a:1\"}", CFS_ETYPE, "Hosts"},
        {dn_create_dp_req_fields, sizeof(struct dn_create_dp_req),
         "{\"PartitionId\":1,\"Members\":[{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}]}",
         CFS_ETYPE, "Members"},
        {dn_load_dp_req_fields, sizeof(struct dn_load_dp_req), "{}", CFS_EMISSING, "PartitionId"},
        {dn_add_raft_member_req_fields, sizeof(struct dn_raft_member_req),
         "{\"PartitionId\":1,\"AddPeer\":{\"id\":1,\"addr\":5}}", CFS_ETYPE, "AddPeer.addr"},
        {dn_heartbeat_resp_fields, sizeof(struct dn_heartbeat_resp),
         "{\"PartitionReports\":[{\"Used\":1},{\"Used\":\"x\"}]}", CFS_ETYPE,
         "PartitionReports[1].Used"},
        {dn_heartbeat_resp_fields, sizeof(struct dn_heartbeat_resp), "{\"AllDisks\":[\"/d\",3]}",
         CFS_ETYPE, "AllDisks[1]"},
        {mn_heartbeat_resp_fields, sizeof(struct mn_heartbeat_resp),
         "{\"MetaPartitionReports\":[{\"Status\":\"2\"}]}", CFS_ETYPE,
         "MetaPartitionReports[0].Status"},
        {mn_create_mp_req_fields, sizeof(struct mn_create_mp_req), "{\"PartitionID\":1,\"End\":-1}",
         CFS_ETYPE, "End"},
        {heartbeat_req_fields, sizeof(struct heartbeat_req), "{\"CurrTime\":true}", CFS_ETYPE,
         "CurrTime"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errmsg[ERRMSG_SIZE] = "";
        void *typed = calloc(1, cases[i].size);

        CU_ASSERT_PTR_NOT_NULL_FATAL(typed);
        CU_ASSERT_EQUAL(
            jc_decode_text(cases[i].text, strlen(cases[i].text), cases[i].fields, typed, errmsg),
            cases[i].rv);
        CU_assertImplementation(strncmp(errmsg, cases[i].path, strlen(cases[i].path)) == 0,
                                __LINE__, cases[i].text, __FILE__, "", CU_FALSE);
        /* Whatever was decoded before the error is freed already. */
        jc_free(cases[i].fields, typed);
        free(typed);
    }
}

/* A typed decode of the Request inside a posted task names the key path the caller sees. */
static void test_request_error_in_task(void)
{
    const char text[] = "{\"ID\":\"x\",\"OpCode\":96,\"OperatorAddr\":\"a:1\","
                        "\"Request\":{\"PartitionId\":\"x\",\"Unknown\":1}}";
    struct dn_create_dp_req req = {0};
    char errmsg[ERRMSG_SIZE] = "";
    struct admin_task t;

    CU_ASSERT_EQUAL_FATAL(admin_task_decode(text, strlen(text), &t, errmsg), 0);
    CU_ASSERT_EQUAL(jc_decode(t.request, dn_body_desc(t.opcode)->request, &req, errmsg), CFS_ETYPE);
    errors_prefix(errmsg, "task %s: Request", t.id);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "task x: Request: PartitionId"));
    admin_task_clear(&t);
}

static const struct test_case cases[] = {
    {"tables_are_valid", test_tables_are_valid},
    {"dp_create_request", test_dp_create_request},
    {"mp_create_request", test_mp_create_request},
    {"dp_add_raft_member_request", test_dp_add_raft_member_request},
    {"heartbeat_requests", test_heartbeat_requests},
    {"dn_heartbeat_response", test_dn_heartbeat_response},
    {"mn_heartbeat_response", test_mn_heartbeat_response},
    {"zero_bodies", test_zero_bodies},
    {"sample_bodies_round_trip", test_sample_bodies_round_trip},
    {"load_dp_response_fields", test_load_dp_response_fields},
    {"body_desc", test_body_desc},
    {"generic_dispatch", test_generic_dispatch},
    {"wrong_types_name_the_key", test_wrong_types_name_the_key},
    {"request_error_in_task", test_request_error_in_task},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"bodies", load_goldens, free_goldens, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

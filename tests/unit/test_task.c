#include "admin_task/packet.h"
#include "admin_task/task.h"
#include "common/errors.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Request packets whose data is an AdminTask, encoded by CubeFS's own Go code. */
static const char *const golden_names[] = {
    "dn_heartbeat_req", "mn_heartbeat_req",       "dp_create_req",
    "mp_create_req",    "dp_add_raft_member_req",
};
#define NGOLDEN (sizeof(golden_names) / sizeof(golden_names[0]))

struct golden {
    uint8_t *bin;
    size_t len;
    const char *text; /* the AdminTask JSON: the packet's data section */
    size_t text_len;
    json_t *want; /* expect.json's data_json */
    json_t *expect;
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
        if (g->bin == NULL || g->expect == NULL || g->len < PACKET_HEADER_SIZE) {
            fprintf(stderr, "cannot load golden %s\n", golden_names[i]);
            return -1;
        }
        g->text = (const char *)g->bin + PACKET_HEADER_SIZE;
        g->text_len = g->len - PACKET_HEADER_SIZE;
        g->want = json_object_get(g->expect, "data_json");
    }
    return 0;
}

static int free_goldens(void)
{
    for (size_t i = 0; i < NGOLDEN; i++) {
        free(goldens[i].bin);
        json_decref(goldens[i].expect);
    }
    return 0;
}

/* JSON equality with every number as a double, the only way to meet expect.json's spelling of
 * 2^63-1; text is compact JSON of our own. */
static int equal_as_reals(const char *text, size_t len, const json_t *want)
{
    json_t *got = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, NULL);
    int eq = got != NULL && json_equal(got, want);

    json_decref(got);
    return eq;
}

static int json_equal_as_reals(const json_t *got, const json_t *want)
{
    char *text = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    int eq = text != NULL && equal_as_reals(text, strlen(text), want);

    free(text);
    return eq;
}

static void test_tables_are_valid(void)
{
    const struct jc_field *const tables[] = {admin_task_fields, task_peer_fields,
                                             heartbeat_req_fields};
    char errmsg[ERRMSG_SIZE];

    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        errmsg[0] = '\0';
        CU_ASSERT_EQUAL(jc_check_table(tables[i], errmsg), 0);
        CU_ASSERT_STRING_EQUAL(errmsg, "");
    }
}

static void test_format_id(void)
{
    const struct {
        uint8_t opcode;
        uint64_t pid;
        const char *want;
    } cases[] = {
        {OP_DATA_NODE_HEARTBEAT, 0, "addr[127.0.0.1:17310]_op[99]"},
        {OP_META_NODE_HEARTBEAT, 0, "addr[127.0.0.1:17310]_op[65]"},
        {OP_CREATE_DATA_PARTITION, 7, "addr[127.0.0.1:17310]_op[96]_DataPartitionID[7]"},
        {OP_ADD_DATA_PARTITION_RAFT_MEMBER, 7, "addr[127.0.0.1:17310]_op[103]_DataPartitionID[7]"},
        {OP_DATA_PARTITION_TRY_TO_LEADER, 12, "addr[127.0.0.1:17310]_op[105]_DataPartitionID[12]"},
        {OP_LOAD_DATA_PARTITION, 0, "addr[127.0.0.1:17310]_op[98]_DataPartitionID[0]"},
        {OP_CREATE_META_PARTITION, 3, "addr[127.0.0.1:17310]_op[64]_pid[3]"},
        {OP_META_PARTITION_TRY_TO_LEADER, 18446744073709551615u,
         "addr[127.0.0.1:17310]_op[72]_pid[18446744073709551615]"},
        {0x49, 3, "addr[127.0.0.1:17310]_op[73]"},
        {0x6A, 3, "addr[127.0.0.1:17310]_op[106]"},
        {OP_PING, 3, "addr[127.0.0.1:17310]_op[255]"},
    };
    char id[TASK_ID_SIZE];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        admin_task_format_id(id, sizeof(id), "127.0.0.1:17310", cases[i].opcode, cases[i].pid);
        CU_ASSERT_STRING_EQUAL(id, cases[i].want);
    }
}

/* Every AdminTask field against data_json. */
static void assert_task_matches(const struct admin_task *t, const json_t *want)
{
    const struct {
        const char *key;
        double value;
    } numbers[] = {
        {"PartitionID", (double)t->partition_id},
        {"OpCode", t->opcode},
        {"Status", t->status},
        {"SendTime", (double)t->send_time},
        {"CreateTime", (double)t->create_time},
        {"SendCount", t->send_count},
    };
    const struct {
        const char *key;
        const char *value;
    } strings[] = {
        {"ID", t->id},
        {"Disk", t->disk},
        {"OperatorAddr", t->operator_addr},
        {"RequestID", t->request_id},
    };

    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        const json_t *v = json_object_get(want, numbers[i].key);
        CU_assertImplementation(json_is_number(v) && json_number_value(v) == numbers[i].value,
                                __LINE__, numbers[i].key, __FILE__, "", CU_FALSE);
    }
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        const char *v = json_string_value(json_object_get(want, strings[i].key));
        CU_assertImplementation(v != NULL && strcmp(v, strings[i].value) == 0, __LINE__,
                                strings[i].key, __FILE__, "", CU_FALSE);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(t->request);
    CU_ASSERT_TRUE(json_equal_as_reals(t->request, json_object_get(want, "Request")));
    CU_ASSERT_TRUE(json_is_null(json_object_get(want, "Response")));
    CU_ASSERT_PTR_NULL(t->response);
}

static void test_golden_tasks_decode(void)
{
    for (size_t i = 0; i < NGOLDEN; i++) {
        char errmsg[ERRMSG_SIZE] = "";
        struct admin_task t;

        CU_ASSERT_EQUAL_FATAL(admin_task_decode(goldens[i].text, goldens[i].text_len, &t, errmsg),
                              0);
        CU_ASSERT_STRING_EQUAL(errmsg, "");
        assert_task_matches(&t, goldens[i].want);
        admin_task_clear(&t);
        CU_ASSERT_PTR_NULL(t.request);
    }
}

/* Our text for a decoded task is CubeFS's text byte for byte (same key order, same numbers), and
 * equal in value to data_json. */
static void test_golden_tasks_reencode(void)
{
    for (size_t i = 0; i < NGOLDEN; i++) {
        struct admin_task t;
        char *text;
        size_t len;

        CU_ASSERT_EQUAL_FATAL(admin_task_decode(goldens[i].text, goldens[i].text_len, &t, NULL), 0);
        CU_ASSERT_EQUAL_FATAL(admin_task_encode(&t, &text, &len), 0);
        CU_ASSERT_EQUAL(len, strlen(text));
        CU_ASSERT_EQUAL(len, goldens[i].text_len);
        CU_ASSERT_EQUAL(memcmp(text, goldens[i].text, goldens[i].text_len), 0);
        CU_ASSERT_TRUE(equal_as_reals(text, len, goldens[i].want));
        free(text);
        admin_task_clear(&t);
    }
}

/* A heartbeat built by admin_task_init_heartbeat is the golden heartbeat once the fields that
 * the sender and the uuid generator set are pinned to the golden values. */
static void test_heartbeat_matches_golden(void)
{
    const struct {
        size_t golden;
        uint8_t opcode;
        const char *node;
        int64_t send_time;
        uint8_t send_count;
    } cases[] = {
        {0, OP_DATA_NODE_HEARTBEAT, "127.0.0.1:17310", 1795374001, 1},
        {1, OP_META_NODE_HEARTBEAT, "127.0.0.1:17210", 0, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct golden *g = &goldens[cases[i].golden];
        struct admin_task t;
        char *text;
        size_t len;

        CU_ASSERT_EQUAL_FATAL(admin_task_init_heartbeat(&t, cases[i].opcode, cases[i].node,
                                                        "127.0.0.1:17010", 1795374000),
                              0);
        CU_ASSERT_EQUAL(t.create_time, 1795374000);
        CU_ASSERT_EQUAL(t.status, TASK_START);
        CU_ASSERT_EQUAL(t.partition_id, 0);
        CU_ASSERT_STRING_EQUAL(t.id, json_string_value(json_object_get(g->want, "ID")));
        t.send_time = cases[i].send_time;
        t.send_count = cases[i].send_count;
        snprintf(t.request_id, sizeof(t.request_id), "%s",
                 json_string_value(json_object_get(g->want, "RequestID")));
        CU_ASSERT_EQUAL_FATAL(admin_task_encode(&t, &text, &len), 0);
        CU_ASSERT_TRUE(equal_as_reals(text, len, g->want));
        CU_ASSERT_EQUAL(len, g->text_len);
        CU_ASSERT_EQUAL(memcmp(text, g->text, g->text_len), 0);
        free(text);
        admin_task_clear(&t);
    }
}

static void test_init_heartbeat_rejects(void)
{
    char long_addr[TASK_ADDR_SIZE + 1];
    struct admin_task t;

    memset(&t, 0x5A, sizeof(t));
    memset(long_addr, 'a', sizeof(long_addr) - 1);
    long_addr[sizeof(long_addr) - 1] = '\0';
    CU_ASSERT_EQUAL(admin_task_init_heartbeat(&t, OP_CREATE_DATA_PARTITION, "127.0.0.1:17310",
                                              "127.0.0.1:17010", 1),
                    -EINVAL);
    CU_ASSERT_EQUAL(
        admin_task_init_heartbeat(&t, OP_DATA_NODE_HEARTBEAT, "127.0.0.1:17310", long_addr, 1),
        -ENAMETOOLONG);
    CU_ASSERT_EQUAL(
        admin_task_init_heartbeat(&t, OP_DATA_NODE_HEARTBEAT, long_addr, "127.0.0.1:17010", 1),
        -ENAMETOOLONG);
    CU_ASSERT_EQUAL(t.opcode, 0x5A);
}

static void test_init_takes_request(void)
{
    char long_addr[TASK_ADDR_SIZE + 1];
    json_t *request = json_pack("{s:I}", "PartitionId", (json_int_t)9);
    struct admin_task t;
    struct admin_task untouched;

    CU_ASSERT_PTR_NOT_NULL_FATAL(request);
    CU_ASSERT_EQUAL_FATAL(
        admin_task_init(&t, OP_DELETE_DATA_PARTITION, "10.0.0.1:17310", 9, request, 1700000000), 0);
    CU_ASSERT_PTR_EQUAL(t.request, request);
    CU_ASSERT_EQUAL(request->refcount, 1);
    CU_ASSERT_PTR_NULL(t.response);
    CU_ASSERT_STRING_EQUAL(t.id, "addr[10.0.0.1:17310]_op[97]_DataPartitionID[9]");
    CU_ASSERT_STRING_EQUAL(t.operator_addr, "10.0.0.1:17310");
    CU_ASSERT_STRING_EQUAL(t.disk, "");
    CU_ASSERT_EQUAL(t.opcode, OP_DELETE_DATA_PARTITION);
    CU_ASSERT_EQUAL(t.partition_id, 9);
    CU_ASSERT_EQUAL(t.create_time, 1700000000);
    CU_ASSERT_EQUAL(t.send_time, 0);
    CU_ASSERT_EQUAL(t.send_count, 0);
    CU_ASSERT_EQUAL(t.status, TASK_START);
    admin_task_clear(&t);

    /* On error the request is released and the task left alone. */
    memset(long_addr, 'a', sizeof(long_addr) - 1);
    long_addr[sizeof(long_addr) - 1] = '\0';
    request = json_object();
    json_incref(request);
    memset(&t, 0x5A, sizeof(t));
    untouched = t;
    CU_ASSERT_EQUAL(admin_task_init(&t, OP_PING, long_addr, 0, request, 1), -ENAMETOOLONG);
    CU_ASSERT_EQUAL(request->refcount, 1);
    CU_ASSERT_EQUAL(memcmp(&t, &untouched, sizeof(t)), 0);
    json_decref(request);

    /* A null request is a null Request on the wire. */
    CU_ASSERT_EQUAL_FATAL(
        admin_task_init(&t, OP_DATA_PARTITION_TRY_TO_LEADER, "10.0.0.1:17310", 4, NULL, 1), 0);
    CU_ASSERT_PTR_NULL(t.request);
    admin_task_clear(&t);
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* 8-4-4-4-12 lowercase hex, version 4, RFC 4122 variant. */
static int is_uuid_v4(const char *s)
{
    if (strlen(s) != 36 || s[14] != '4' || strchr("89ab", s[19]) == NULL) {
        return 0;
    }
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex(s[i])) {
            return 0;
        }
    }
    return 1;
}

static int cmp_request_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_request_ids(void)
{
    enum { N = 2000 };
    static char ids[N][TASK_REQUEST_ID_SIZE];
    struct admin_task t;

    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL_FATAL(admin_task_init(&t, OP_DATA_NODE_HEARTBEAT, "a:1", 0, NULL, 0), 0);
        CU_ASSERT_TRUE(is_uuid_v4(t.request_id));
        memcpy(ids[i], t.request_id, sizeof(ids[i]));
        admin_task_clear(&t);
    }
    qsort(ids, N, sizeof(ids[0]), cmp_request_id);
    for (int i = 1; i < N; i++) {
        if (strcmp(ids[i - 1], ids[i]) == 0) {
            CU_FAIL("duplicate RequestID");
            break;
        }
    }
    CU_ASSERT_FALSE(is_uuid_v4("4f1c2a7e-0000-3000-8000-000000000001"));
    CU_ASSERT_TRUE(is_uuid_v4("4f1c2a7e-0000-4000-8000-000000000001"));
}

static void test_decode_errors(void)
{
    const struct {
        const char *text;
        int rv;
        const char *in_message;
    } cases[] = {
        {"{\"ID\":\"x\",\"OpCode\":", CFS_EBADJSON, "invalid JSON"},
        {"[1,2]", CFS_ETYPE, "expected object"},
        {"{\"ID\":\"x\",\"OpCode\":\"x\",\"OperatorAddr\":\"a\"}", CFS_ETYPE, "OpCode"},
        {"{\"ID\":\"x\",\"OpCode\":300,\"OperatorAddr\":\"a\"}", CFS_ETYPE, "OpCode"},
        {"{\"ID\":\"x\",\"OpCode\":96,\"OperatorAddr\":\"a\",\"PartitionID\":-1}", CFS_ETYPE,
         "PartitionID"},
        {"{\"ID\":\"x\",\"OpCode\":96,\"OperatorAddr\":\"a\",\"SendTime\":\"1\"}", CFS_ETYPE,
         "SendTime"},
        {"{\"ID\":\"x\",\"OpCode\":96,\"OperatorAddr\":7}", CFS_ETYPE, "OperatorAddr"},
        {"{\"OpCode\":96,\"OperatorAddr\":\"a\"}", CFS_EMISSING, "ID"},
        {"{\"ID\":\"x\",\"OpCode\":96,\"OperatorAddr\":null}", CFS_EMISSING, "OperatorAddr"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errmsg[ERRMSG_SIZE] = "";
        struct admin_task t;
        struct admin_task before;

        memset(&t, 0x5A, sizeof(t));
        before = t;
        CU_ASSERT_EQUAL(admin_task_decode(cases[i].text, strlen(cases[i].text), &t, errmsg),
                        cases[i].rv);
        CU_assertImplementation(strstr(errmsg, cases[i].in_message) != NULL, __LINE__,
                                cases[i].text, __FILE__, "", CU_FALSE);
        CU_ASSERT_EQUAL(memcmp(&t, &before, sizeof(t)), 0);
    }
}

static void test_decode_accepts_unknown_keys(void)
{
    const char text[] = "{\"ID\":\"x\",\"OpCode\":99,\"OperatorAddr\":\"a:1\",\"Future\":{\"k\":[1,"
                        "null]},\"Extra\":\"y\",\"Request\":null,\"Response\":{\"Status\":1}}";
    struct admin_task t;

    CU_ASSERT_EQUAL_FATAL(admin_task_decode(text, strlen(text), &t, NULL), 0);
    CU_ASSERT_STRING_EQUAL(t.id, "x");
    CU_ASSERT_EQUAL(t.opcode, OP_DATA_NODE_HEARTBEAT);
    CU_ASSERT_PTR_NULL(t.request);
    CU_ASSERT_TRUE(json_is_object(t.response));
    admin_task_clear(&t);
    CU_ASSERT_PTR_NULL(t.response);
}

/* What a node posts back to /dataNode/response and /metaNode/response survives decode and encode
 * byte for byte, Response included. */
static void test_posted_responses_round_trip(void)
{
    const char *const files[] = {"cubefs-packets/dn_heartbeat_response.json",
                                 "cubefs-packets/mn_heartbeat_response.json"};

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t len;
        char *body = test_read_file(test_data_path(files[i]), &len);
        struct admin_task t;
        char *text;
        size_t out_len;

        CU_ASSERT_PTR_NOT_NULL_FATAL(body);
        CU_ASSERT_EQUAL_FATAL(admin_task_decode(body, len, &t, NULL), 0);
        CU_ASSERT_EQUAL(t.status, TASK_SUCCEEDS);
        CU_ASSERT_TRUE(json_is_object(t.response));
        CU_ASSERT_EQUAL_FATAL(admin_task_encode(&t, &text, &out_len), 0);
        CU_ASSERT_EQUAL(out_len, len);
        CU_ASSERT_STRING_EQUAL(text, body);
        free(text);
        free(body);
        admin_task_clear(&t);
    }
}

static const struct test_case cases[] = {
    {"tables_are_valid", test_tables_are_valid},
    {"format_id", test_format_id},
    {"golden_tasks_decode", test_golden_tasks_decode},
    {"golden_tasks_reencode", test_golden_tasks_reencode},
    {"heartbeat_matches_golden", test_heartbeat_matches_golden},
    {"init_heartbeat_rejects", test_init_heartbeat_rejects},
    {"init_takes_request", test_init_takes_request},
    {"request_ids", test_request_ids},
    {"decode_errors", test_decode_errors},
    {"decode_accepts_unknown_keys", test_decode_accepts_unknown_keys},
    {"posted_responses_round_trip", test_posted_responses_round_trip},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"task", load_goldens, free_goldens, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

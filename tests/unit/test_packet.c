#include "admin_task/packet.h"
#include "common/crc32.h"
#include "common/errors.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Packets encoded by CubeFS's own Go code, each with its decoded fields in NAME.expect.json. */
static const char *const golden_names[] = {
    "dn_heartbeat_req",       "mn_heartbeat_req",   "dp_create_req",       "mp_create_req",
    "dp_add_raft_member_req", "dp_create_reply_ok", "dp_create_reply_err",
};
#define NGOLDEN (sizeof(golden_names) / sizeof(golden_names[0]))

struct golden {
    uint8_t *bin;
    size_t len;
    json_t *expect;
};

static struct golden goldens[NGOLDEN];

/* All goldens back to back, as a node would stream replies on one connection. */
static uint8_t *stream;
static size_t stream_len;

static int load_goldens(void)
{
    char rel[128];

    for (size_t i = 0; i < NGOLDEN; i++) {
        snprintf(rel, sizeof(rel), "cubefs-packets/%s.bin", golden_names[i]);
        goldens[i].bin = test_read_file(test_data_path(rel), &goldens[i].len);
        snprintf(rel, sizeof(rel), "cubefs-packets/%s.expect.json", golden_names[i]);
        /* expect.json prints 2^63-1 (the last meta partition's End) as 9223372036854776000, which
         * jansson refuses as an integer; as reals both sides agree on every value we compare. */
        goldens[i].expect = json_load_file(test_data_path(rel), JSON_DECODE_INT_AS_REAL, NULL);
        if (goldens[i].bin == NULL || goldens[i].expect == NULL) {
            fprintf(stderr, "cannot load golden %s\n", golden_names[i]);
            return -1;
        }
        stream_len += goldens[i].len;
    }
    stream = malloc(stream_len);
    if (stream == NULL) {
        return -1;
    }
    stream_len = 0;
    for (size_t i = 0; i < NGOLDEN; i++) {
        memcpy(stream + stream_len, goldens[i].bin, goldens[i].len);
        stream_len += goldens[i].len;
    }
    return 0;
}

static int free_goldens(void)
{
    for (size_t i = 0; i < NGOLDEN; i++) {
        free(goldens[i].bin);
        json_decref(goldens[i].expect);
    }
    free(stream);
    return 0;
}

static double expect_number(const json_t *expect, const char *key)
{
    const json_t *v = json_object_get(expect, key);

    CU_ASSERT_TRUE_FATAL(json_is_number(v));
    return json_number_value(v);
}

/* Every header field under its expect.json name. */
static void assert_header_matches(const struct packet *p, const json_t *expect)
{
    const struct {
        const char *key;
        double value;
    } fields[] = {
        {"Magic", p->magic},
        {"ExtentType", p->extent_type},
        {"Opcode", p->opcode},
        {"ResultCode", p->result_code},
        {"RemainingFollowers", p->remaining_followers},
        {"CRC", p->crc},
        {"Size", p->size},
        {"ArgLen", p->arg_len},
        {"PartitionID", (double)p->partition_id},
        {"ExtentID", (double)p->extent_id},
        {"ExtentOffset", (double)p->extent_offset},
        {"ReqID", (double)p->req_id},
        {"KernelOffset", (double)p->kernel_offset},
    };

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        /* Named by its key, so a failure says which field differs. */
        CU_assertImplementation(expect_number(expect, fields[i].key) == fields[i].value, __LINE__,
                                fields[i].key, __FILE__, "", CU_FALSE);
    }
}

static void assert_same_packet(const struct packet *a, const struct packet *b)
{
    uint8_t ha[PACKET_HEADER_MAX_SIZE];
    uint8_t hb[PACKET_HEADER_MAX_SIZE];

    CU_ASSERT_EQUAL_FATAL(a->extent_type, b->extent_type);
    packet_header_encode(a, ha);
    packet_header_encode(b, hb);
    CU_ASSERT_EQUAL(memcmp(ha, hb, packet_header_size(a->extent_type)), 0);
    CU_ASSERT_EQUAL_FATAL(a->arg_len, b->arg_len);
    CU_ASSERT_EQUAL_FATAL(a->size, b->size);
    CU_ASSERT_TRUE(a->arg_len == 0 || memcmp(a->arg, b->arg, a->arg_len) == 0);
    CU_ASSERT_TRUE(a->size == 0 || memcmp(a->data, b->data, a->size) == 0);
    CU_ASSERT_TRUE(a->size == 0 || a->data[a->size] == '\0');
}

/* Runs first in the suite: nothing else in this process has taken a ReqID yet. */
static void test_req_id_starts_at_two(void)
{
    CU_ASSERT_EQUAL(packet_next_req_id(), 2);
    CU_ASSERT_EQUAL(packet_next_req_id(), 3);
    CU_ASSERT_EQUAL(packet_next_req_id(), 4);
}

#define REQ_ID_THREADS    4
#define REQ_ID_PER_THREAD 2000

static void *take_req_ids(void *arg)
{
    int64_t *ids = arg;

    for (int i = 0; i < REQ_ID_PER_THREAD; i++) {
        ids[i] = packet_next_req_id();
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

static void test_req_id_unique_across_threads(void)
{
    static int64_t ids[REQ_ID_THREADS * REQ_ID_PER_THREAD];
    pthread_t threads[REQ_ID_THREADS];
    int64_t first = packet_next_req_id();
    size_t n = sizeof(ids) / sizeof(ids[0]);

    for (int i = 0; i < REQ_ID_THREADS; i++) {
        CU_ASSERT_EQUAL_FATAL(
            pthread_create(&threads[i], NULL, take_req_ids, ids + i * REQ_ID_PER_THREAD), 0);
    }
    for (int i = 0; i < REQ_ID_THREADS; i++) {
        pthread_join(threads[i], NULL);
    }
    qsort(ids, n, sizeof(ids[0]), cmp_i64);
    /* Sorted, the IDs are exactly the next n numbers: none lost, none repeated. */
    CU_ASSERT_EQUAL(ids[0], first + 1);
    CU_ASSERT_EQUAL(ids[n - 1], first + (int64_t)n);
    for (size_t i = 1; i < n; i++) {
        if (ids[i] != ids[i - 1] + 1) {
            CU_FAIL("ReqIDs are not consecutive");
            break;
        }
    }
}

static void test_crc32_check_value(void)
{
    CU_ASSERT_EQUAL(crc32_ieee(0, "123456789", 9), 0xCBF43926u);
    /* Continuing over pieces gives the same value as one pass. */
    CU_ASSERT_EQUAL(crc32_ieee(crc32_ieee(0, "1234", 4), "56789", 5), 0xCBF43926u);
    CU_ASSERT_EQUAL(crc32_ieee(0, "", 0), 0u);
}

static void test_golden_headers(void)
{
    for (size_t i = 0; i < NGOLDEN; i++) {
        struct packet p;

        CU_ASSERT_EQUAL_FATAL(
            packet_header_decode(goldens[i].bin, goldens[i].len, PACKET_DEFAULT_MAX_BODY, &p), 0);
        assert_header_matches(&p, goldens[i].expect);
        CU_ASSERT_EQUAL(packet_header_size(p.extent_type), PACKET_HEADER_SIZE);
        CU_ASSERT_PTR_NULL(p.arg);
        CU_ASSERT_PTR_NULL(p.data);
        CU_ASSERT_EQUAL(expect_number(goldens[i].expect, "total_bytes"), (double)goldens[i].len);
        CU_ASSERT_EQUAL(PACKET_HEADER_SIZE + p.arg_len + p.size, goldens[i].len);
    }
}

/* The goldens leave most fields zero; here every field has its own bytes, so a field written at
 * the wrong offset, width or byte order shows. */
static void test_header_layout(void)
{
    static const uint8_t want[PACKET_HEADER_MAX_SIZE] = {
        0xFF, 0x10, 0x60, 0xF0, 0x02,                   /* magic .. remaining followers */
        0x11, 0x12, 0x13, 0x14,                         /* CRC */
        0x00, 0x00, 0x00, 0x03,                         /* Size */
        0x00, 0x00, 0x00, 0x00,                         /* ArgLen */
        0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, /* PartitionID */
        0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, /* ExtentID */
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, /* ExtentOffset -2 */
        0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, /* ReqID */
        0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, /* KernelOffset */
        0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, /* VerSeq */
        0x71, 0x72, 0x73, 0x74,                         /* ProtoVersion */
    };
    const struct packet p = {
        .magic = PACKET_MAGIC,
        .extent_type = PACKET_FLAG_PROTO_VERSION,
        .opcode = OP_CREATE_DATA_PARTITION,
        .result_code = OP_OK,
        .remaining_followers = 2,
        .crc = 0x11121314u,
        .size = 3,
        .partition_id = 0x2122232425262728u,
        .extent_id = 0x3132333435363738u,
        .extent_offset = -2,
        .req_id = 0x4142434445464748,
        .kernel_offset = 0x5152535455565758u,
        .ver_seq = 0x6162636465666768u,
        .proto_version = 0x71727374u,
    };
    uint8_t out[PACKET_HEADER_MAX_SIZE];
    struct packet q;

    packet_header_encode(&p, out);
    CU_ASSERT_EQUAL(memcmp(out, want, sizeof(want)), 0);
    CU_ASSERT_EQUAL_FATAL(packet_header_decode(want, sizeof(want), PACKET_DEFAULT_MAX_BODY, &q), 0);
    CU_ASSERT_EQUAL(q.magic, p.magic);
    CU_ASSERT_EQUAL(q.extent_type, p.extent_type);
    CU_ASSERT_EQUAL(q.opcode, p.opcode);
    CU_ASSERT_EQUAL(q.result_code, p.result_code);
    CU_ASSERT_EQUAL(q.remaining_followers, p.remaining_followers);
    CU_ASSERT_EQUAL(q.crc, p.crc);
    CU_ASSERT_EQUAL(q.size, p.size);
    CU_ASSERT_EQUAL(q.arg_len, p.arg_len);
    CU_ASSERT_EQUAL(q.partition_id, p.partition_id);
    CU_ASSERT_EQUAL(q.extent_id, p.extent_id);
    CU_ASSERT_EQUAL(q.extent_offset, p.extent_offset);
    CU_ASSERT_EQUAL(q.req_id, p.req_id);
    CU_ASSERT_EQUAL(q.kernel_offset, p.kernel_offset);
    CU_ASSERT_EQUAL(q.ver_seq, p.ver_seq);
    CU_ASSERT_EQUAL(q.proto_version, p.proto_version);
}

static void test_golden_reencode(void)
{
    for (size_t i = 0; i < NGOLDEN; i++) {
        uint8_t header[PACKET_HEADER_MAX_SIZE];
        struct packet p;
        uint8_t *out;
        size_t consumed;
        size_t len;

        CU_ASSERT_EQUAL_FATAL(
            packet_decode(goldens[i].bin, goldens[i].len, PACKET_DEFAULT_MAX_BODY, &p, &consumed),
            0);
        CU_ASSERT_EQUAL(consumed, goldens[i].len);
        packet_header_encode(&p, header);
        CU_ASSERT_EQUAL(memcmp(header, goldens[i].bin, PACKET_HEADER_SIZE), 0);
        CU_ASSERT_EQUAL_FATAL(packet_encode(&p, &out, &len), 0);
        CU_ASSERT_EQUAL(len, goldens[i].len);
        CU_ASSERT_EQUAL(memcmp(out, goldens[i].bin, len), 0);
        free(out);
        packet_clear(&p);
    }
}

static void test_golden_data(void)
{
    for (size_t i = 0; i < NGOLDEN; i++) {
        const json_t *text = json_object_get(goldens[i].expect, "data_text");
        const json_t *want = json_object_get(goldens[i].expect, "data_json");
        struct packet p;
        size_t consumed;

        CU_ASSERT_EQUAL_FATAL(
            packet_decode(goldens[i].bin, goldens[i].len, PACKET_DEFAULT_MAX_BODY, &p, &consumed),
            0);
        CU_ASSERT_TRUE_FATAL((text != NULL) != (want != NULL));
        CU_ASSERT_EQUAL(p.arg_len, 0);
        CU_ASSERT_PTR_NULL(p.arg);
        if (text != NULL) {
            CU_ASSERT_EQUAL(p.size, json_string_length(text));
            CU_ASSERT_STRING_EQUAL((const char *)p.data, json_string_value(text));
        } else {
            /* Same flag as expect.json, so End = 2^63-1 meets its float spelling as one double. */
            json_t *got = json_loadb((const char *)p.data, p.size, JSON_DECODE_INT_AS_REAL, NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(got);
            CU_ASSERT_TRUE(json_equal(got, want));
            json_decref(got);
        }
        packet_clear(&p);
    }
}

static void test_truncated(void)
{
    for (size_t i = 0; i < NGOLDEN; i++) {
        struct packet p;
        size_t consumed;

        for (size_t n = 0; n < PACKET_HEADER_SIZE; n++) {
            CU_ASSERT_EQUAL(packet_header_decode(goldens[i].bin, n, PACKET_DEFAULT_MAX_BODY, &p),
                            CFS_ETRUNC);
        }
        for (size_t n = 0; n < goldens[i].len; n++) {
            CU_ASSERT_EQUAL(
                packet_decode(goldens[i].bin, n, PACKET_DEFAULT_MAX_BODY, &p, &consumed),
                CFS_ETRUNC);
        }
    }
}

static void test_bad_magic(void)
{
    uint8_t buf[PACKET_HEADER_SIZE];
    struct packet p;
    size_t consumed;

    memcpy(buf, goldens[0].bin, sizeof(buf));
    buf[0] = 0xFE;
    CU_ASSERT_EQUAL(packet_header_decode(buf, sizeof(buf), PACKET_DEFAULT_MAX_BODY, &p),
                    CFS_EMAGIC);
    CU_ASSERT_EQUAL(packet_decode(buf, sizeof(buf), PACKET_DEFAULT_MAX_BODY, &p, &consumed),
                    CFS_EMAGIC);
    /* One byte is enough to know. */
    CU_ASSERT_EQUAL(packet_header_decode(buf, 1, PACKET_DEFAULT_MAX_BODY, &p), CFS_EMAGIC);
}

static void test_over_bound(void)
{
    const struct golden *g = &goldens[0];
    uint32_t size = (uint32_t)(g->len - PACKET_HEADER_SIZE);
    struct packet p;
    size_t consumed;

    CU_ASSERT_EQUAL(packet_header_decode(g->bin, g->len, size - 1, &p), CFS_ETOOBIG);
    CU_ASSERT_EQUAL(packet_decode(g->bin, g->len, size - 1, &p, &consumed), CFS_ETOOBIG);
    CU_ASSERT_EQUAL_FATAL(packet_decode(g->bin, g->len, size, &p, &consumed), 0);
    packet_clear(&p);
}

/* A header whose body lengths claim arg_len and size, with nothing after it. */
static void make_huge_header(uint8_t *buf, uint32_t arg_len, uint32_t size)
{
    struct packet p = {.magic = PACKET_MAGIC, .opcode = OP_CREATE_DATA_PARTITION};

    p.arg_len = arg_len;
    p.size = size;
    packet_header_encode(&p, buf);
}

static void test_length_4gib(void)
{
    const struct {
        uint32_t arg_len;
        uint32_t size;
        uint32_t bound;
    } cases[] = {
        {0, UINT32_MAX, PACKET_DEFAULT_MAX_BODY},
        {UINT32_MAX, 0, PACKET_DEFAULT_MAX_BODY},
        /* The sum must not wrap under even the largest bound. */
        {UINT32_MAX, UINT32_MAX, UINT32_MAX},
        {1, UINT32_MAX, UINT32_MAX},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t buf[PACKET_HEADER_SIZE];
        struct packet_decoder d;
        struct packet p;
        size_t consumed;

        make_huge_header(buf, cases[i].arg_len, cases[i].size);
        CU_ASSERT_EQUAL(packet_header_decode(buf, sizeof(buf), cases[i].bound, &p), CFS_ETOOBIG);
        CU_ASSERT_EQUAL(packet_decode(buf, sizeof(buf), cases[i].bound, &p, &consumed),
                        CFS_ETOOBIG);
        /* The decoder rejects it on the header alone, with no body buffer behind it. */
        packet_decoder_init(&d, cases[i].bound);
        CU_ASSERT_EQUAL(packet_decoder_feed(&d, buf, sizeof(buf), &consumed, &p), CFS_ETOOBIG);
        CU_ASSERT_EQUAL(consumed, sizeof(buf));
        CU_ASSERT_PTR_NULL(d.cur.arg);
        CU_ASSERT_PTR_NULL(d.cur.data);
        packet_decoder_close(&d);
    }
}

static void test_outputs_untouched_on_error(void)
{
    uint8_t bad[PACKET_HEADER_SIZE];
    struct packet p;
    struct packet before;
    size_t consumed = 12345;

    memcpy(bad, goldens[0].bin, sizeof(bad));
    bad[0] = 0;
    memset(&p, 0xA5, sizeof(p));
    before = p;
    CU_ASSERT_EQUAL(packet_header_decode(bad, sizeof(bad), PACKET_DEFAULT_MAX_BODY, &p),
                    CFS_EMAGIC);
    CU_ASSERT_EQUAL(
        packet_decode(goldens[0].bin, goldens[0].len - 1, PACKET_DEFAULT_MAX_BODY, &p, &consumed),
        CFS_ETRUNC);
    CU_ASSERT_EQUAL(packet_decode(goldens[0].bin, goldens[0].len, 1, &p, &consumed), CFS_ETOOBIG);
    CU_ASSERT_EQUAL(memcmp(&p, &before, sizeof(p)), 0);
    CU_ASSERT_EQUAL(consumed, 12345);
}

/* Extended headers: PACKET_FLAG_PROTO_VERSION adds VerSeq and ProtoVersion, PACKET_FLAG_MULTI_VER
 * adds VerSeq; the first wins when both are set. */
static void test_extended_headers(void)
{
    const struct {
        uint8_t extent_type;
        size_t hsize;
        bool has_proto_version;
    } cases[] = {
        {0, PACKET_HEADER_SIZE, false},
        {PACKET_FLAG_PROTO_VERSION, PACKET_HEADER_SIZE + 12, true},
        {PACKET_FLAG_MULTI_VER, PACKET_HEADER_SIZE + 8, false},
        {PACKET_FLAG_PROTO_VERSION | PACKET_FLAG_MULTI_VER, PACKET_HEADER_SIZE + 12, true},
        {0x40, PACKET_HEADER_SIZE, false},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct packet p = {
            .magic = PACKET_MAGIC,
            .extent_type = cases[i].extent_type,
            .opcode = OP_PING,
            .partition_id = 0x0102030405060708u,
            .req_id = -2,
            .ver_seq = 0x1122334455667788u,
            .proto_version = 0xAABBCCDDu,
            .size = 3,
            .data = (uint8_t *)"abc",
        };
        struct packet q;
        uint8_t *out;
        size_t len;
        size_t consumed;

        CU_ASSERT_EQUAL(packet_header_size(cases[i].extent_type), cases[i].hsize);
        CU_ASSERT_EQUAL_FATAL(packet_encode(&p, &out, &len), 0);
        CU_ASSERT_EQUAL(len, cases[i].hsize + 3);
        CU_ASSERT_EQUAL(memcmp(out + cases[i].hsize, "abc", 3), 0);
        CU_ASSERT_EQUAL(packet_header_decode(out, cases[i].hsize - 1, PACKET_DEFAULT_MAX_BODY, &q),
                        CFS_ETRUNC);
        CU_ASSERT_EQUAL_FATAL(packet_decode(out, len, PACKET_DEFAULT_MAX_BODY, &q, &consumed), 0);
        CU_ASSERT_EQUAL(consumed, len);
        CU_ASSERT_EQUAL(q.partition_id, p.partition_id);
        CU_ASSERT_EQUAL(q.req_id, -2);
        CU_ASSERT_EQUAL(q.ver_seq, cases[i].hsize > PACKET_HEADER_SIZE ? p.ver_seq : 0);
        CU_ASSERT_EQUAL(q.proto_version, cases[i].has_proto_version ? p.proto_version : 0);
        CU_ASSERT_STRING_EQUAL((const char *)q.data, "abc");
        packet_clear(&q);
        free(out);
    }
}

/* Deterministic chunk sizes (xorshift32), so a failure reproduces. */
static uint32_t next_random(uint32_t *state)
{
    uint32_t x = *state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* Feed buf to a fresh decoder in chunks of at most max_chunk bytes (random sizes from seed when
 * seed is not 0) and collect up to max_out packets. Returns the count, or the decoder's error. */
static int feed_chunks(const uint8_t *buf, size_t len, size_t max_chunk, uint32_t seed,
                       struct packet *out, int max_out)
{
    struct packet_decoder d;
    size_t pos = 0;
    int n = 0;
    int rv = 0;

    packet_decoder_init(&d, PACKET_DEFAULT_MAX_BODY);
    while (pos < len) {
        size_t chunk = seed != 0 ? 1 + next_random(&seed) % max_chunk : max_chunk;
        size_t end = pos + (chunk < len - pos ? chunk : len - pos);

        while (pos < end) {
            size_t consumed;
            rv = packet_decoder_feed(&d, buf + pos, end - pos, &consumed, &out[n]);
            pos += consumed;
            if (rv < 0) {
                goto out;
            }
            if (rv == 1 && ++n == max_out) {
                goto out;
            }
        }
    }
    /* Everything was consumed and nothing is half-read. */
    CU_ASSERT_EQUAL(d.have, 0);
out:
    packet_decoder_close(&d);
    return rv < 0 ? rv : n;
}

static void assert_stream_decoded(const struct packet *got, int n)
{
    CU_ASSERT_EQUAL_FATAL(n, (int)NGOLDEN);
    for (size_t i = 0; i < NGOLDEN; i++) {
        struct packet want;
        size_t consumed;

        CU_ASSERT_EQUAL_FATAL(packet_decode(goldens[i].bin, goldens[i].len, PACKET_DEFAULT_MAX_BODY,
                                            &want, &consumed),
                              0);
        assert_same_packet(&got[i], &want);
        assert_header_matches(&got[i], goldens[i].expect);
        packet_clear(&want);
    }
}

static void clear_all(struct packet *p, int n)
{
    for (int i = 0; i < n; i++) {
        packet_clear(&p[i]);
    }
}

static void test_decoder_whole_stream(void)
{
    struct packet got[NGOLDEN];
    int n = feed_chunks(stream, stream_len, stream_len, 0, got, NGOLDEN);

    assert_stream_decoded(got, n);
    clear_all(got, n);
}

static void test_decoder_byte_by_byte(void)
{
    struct packet got[NGOLDEN];
    int n = feed_chunks(stream, stream_len, 1, 0, got, NGOLDEN);

    assert_stream_decoded(got, n);
    clear_all(got, n);
}

static void test_decoder_random_chunks(void)
{
    const size_t max_chunks[] = {3, 17, 64, 200, 1500};

    for (size_t i = 0; i < sizeof(max_chunks) / sizeof(max_chunks[0]); i++) {
        for (uint32_t seed = 1; seed <= 20; seed++) {
            struct packet got[NGOLDEN];
            int n =
                feed_chunks(stream, stream_len, max_chunks[i], seed * 2654435761u, got, NGOLDEN);
            assert_stream_decoded(got, n);
            clear_all(got, n);
        }
    }
}

/* Packets with no body complete on their header; extended headers are read whole first. */
static void test_decoder_empty_and_extended(void)
{
    const uint8_t types[] = {0, PACKET_FLAG_PROTO_VERSION, PACKET_FLAG_MULTI_VER, 0};
    const char *const bodies[] = {"", "x", "", "payload"};
    enum { N = sizeof(types) };
    uint8_t buf[N * (PACKET_HEADER_MAX_SIZE + 8)];
    struct packet want[N];
    struct packet got[N];
    size_t len = 0;

    for (size_t i = 0; i < N; i++) {
        uint8_t *out;
        size_t n;
        want[i] = (struct packet){
            .magic = PACKET_MAGIC,
            .extent_type = types[i],
            .opcode = OP_OK,
            .req_id = (int64_t)i,
            .ver_seq = i + 100,
            .proto_version = 1,
            .size = (uint32_t)strlen(bodies[i]),
            .data = (uint8_t *)bodies[i],
        };
        CU_ASSERT_EQUAL_FATAL(packet_encode(&want[i], &out, &n), 0);
        memcpy(buf + len, out, n);
        len += n;
        free(out);
    }
    for (size_t chunk = 1; chunk <= len; chunk++) {
        int n = feed_chunks(buf, len, chunk, 0, got, N);
        CU_ASSERT_EQUAL_FATAL(n, N);
        for (int i = 0; i < N; i++) {
            assert_same_packet(&got[i], &want[i]);
            CU_ASSERT_EQUAL(got[i].ver_seq, types[i] != 0 ? want[i].ver_seq : 0);
        }
        clear_all(got, n);
    }
}

static void test_decoder_sticky_error(void)
{
    const struct golden *g = &goldens[6]; /* dp_create_reply_err: 45 bytes of data */
    uint8_t buf[2 * 128];
    struct packet_decoder d;
    struct packet p;
    size_t consumed;

    CU_ASSERT_FATAL(g->len < 128);
    memcpy(buf, g->bin, g->len);
    memset(buf + g->len, 0x00, 8);
    packet_decoder_init(&d, PACKET_DEFAULT_MAX_BODY);
    /* The good packet comes out first; the garbage behind it is caught at its first byte. */
    CU_ASSERT_EQUAL_FATAL(packet_decoder_feed(&d, buf, g->len + 8, &consumed, &p), 1);
    CU_ASSERT_EQUAL(consumed, g->len);
    packet_clear(&p);
    CU_ASSERT_EQUAL(packet_decoder_feed(&d, buf + g->len, 8, &consumed, &p), CFS_EMAGIC);
    CU_ASSERT_EQUAL(consumed, 0);
    CU_ASSERT_EQUAL(d.error, CFS_EMAGIC);
    /* A valid packet afterwards does not revive the stream. */
    memset(&p, 0x5A, sizeof(p));
    consumed = 99;
    CU_ASSERT_EQUAL(packet_decoder_feed(&d, g->bin, g->len, &consumed, &p), CFS_EMAGIC);
    CU_ASSERT_EQUAL(consumed, 0);
    CU_ASSERT_EQUAL(p.magic, 0x5A);
    packet_decoder_close(&d);

    /* The same holds for an oversized body, caught once its header is complete. */
    packet_decoder_init(&d, 16);
    CU_ASSERT_EQUAL(packet_decoder_feed(&d, g->bin, 30, &consumed, &p), 0);
    CU_ASSERT_EQUAL(consumed, 30);
    CU_ASSERT_EQUAL(packet_decoder_feed(&d, g->bin + 30, g->len - 30, &consumed, &p), CFS_ETOOBIG);
    CU_ASSERT_EQUAL(packet_decoder_feed(&d, g->bin, g->len, &consumed, &p), CFS_ETOOBIG);
    CU_ASSERT_EQUAL(consumed, 0);
    packet_decoder_close(&d);
}

static void test_init_request_and_reply(void)
{
    const char body[] = "{\"k\":1}";
    const char disk[] = "/cfs/disk1";
    struct packet req;
    struct packet reply;
    struct packet empty;
    int64_t before = packet_next_req_id();

    CU_ASSERT_EQUAL_FATAL(
        packet_init_request(&req, OP_CREATE_DATA_PARTITION, 7, body, (uint32_t)strlen(body)), 0);
    CU_ASSERT_EQUAL(req.magic, PACKET_MAGIC);
    CU_ASSERT_EQUAL(req.opcode, OP_CREATE_DATA_PARTITION);
    CU_ASSERT_EQUAL(req.result_code, OP_INIT_RESULT_CODE);
    CU_ASSERT_EQUAL(req.partition_id, 7);
    CU_ASSERT_EQUAL(req.req_id, before + 1);
    CU_ASSERT_EQUAL(req.size, strlen(body));
    CU_ASSERT_PTR_NOT_EQUAL(req.data, (const uint8_t *)body);
    CU_ASSERT_STRING_EQUAL((const char *)req.data, body);
    CU_ASSERT_EQUAL(req.extent_type, 0);
    CU_ASSERT_EQUAL(req.arg_len, 0);

    CU_ASSERT_EQUAL_FATAL(packet_init_reply(&reply, &req, OP_OK, disk, (uint32_t)strlen(disk)), 0);
    CU_ASSERT_EQUAL(reply.opcode, req.opcode);
    CU_ASSERT_EQUAL(reply.partition_id, req.partition_id);
    CU_ASSERT_EQUAL(reply.req_id, req.req_id);
    CU_ASSERT_EQUAL(reply.result_code, OP_OK);
    CU_ASSERT_STRING_EQUAL((const char *)reply.data, disk);
    CU_ASSERT_PTR_NOT_EQUAL(reply.data, req.data);

    /* An empty reply has no body buffer at all. */
    CU_ASSERT_EQUAL_FATAL(packet_init_reply(&empty, &req, OP_ERR, NULL, 0), 0);
    CU_ASSERT_PTR_NULL(empty.data);
    CU_ASSERT_EQUAL(empty.size, 0);
    packet_clear(&empty);
    packet_clear(&reply);
    packet_clear(&req);
    CU_ASSERT_PTR_NULL(req.data);
    CU_ASSERT_EQUAL(req.size, 0);
}

static void test_encode_rejects_missing_body(void)
{
    struct packet p = {.magic = PACKET_MAGIC, .size = 4};
    struct packet q;
    uint8_t *out = NULL;
    size_t len = 0;

    CU_ASSERT_EQUAL(packet_encode(&p, &out, &len), -EINVAL);
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT_EQUAL(packet_init_request(&q, OP_PING, 0, NULL, 4), -EINVAL);
}

/* An arg travels ahead of the data and both come back separately. */
static void test_arg_round_trip(void)
{
    struct packet p = {
        .magic = PACKET_MAGIC,
        .opcode = OP_PING,
        .arg_len = 4,
        .arg = (uint8_t *)"ARGS",
        .size = 4,
        .data = (uint8_t *)"DATA",
    };
    struct packet q;
    uint8_t *out;
    size_t len;
    size_t consumed;

    CU_ASSERT_EQUAL_FATAL(packet_encode(&p, &out, &len), 0);
    CU_ASSERT_EQUAL(len, PACKET_HEADER_SIZE + 8);
    CU_ASSERT_EQUAL(memcmp(out + PACKET_HEADER_SIZE, "ARGSDATA", 8), 0);
    CU_ASSERT_EQUAL_FATAL(packet_decode(out, len, PACKET_DEFAULT_MAX_BODY, &q, &consumed), 0);
    assert_same_packet(&q, &p);
    packet_clear(&q);
    CU_ASSERT_EQUAL(feed_chunks(out, len, 1, 0, &q, 1), 1);
    assert_same_packet(&q, &p);
    packet_clear(&q);
    free(out);
}

static void test_names(void)
{
    CU_ASSERT_STRING_EQUAL(packet_opcode_name(0x60), "OpCreateDataPartition");
    CU_ASSERT_STRING_EQUAL(packet_opcode_name(OP_META_NODE_HEARTBEAT), "OpMetaNodeHeartbeat");
    CU_ASSERT_STRING_EQUAL(packet_opcode_name(OP_DATA_PARTITION_TRY_TO_LEADER),
                           "OpDataPartitionTryToLeader");
    CU_ASSERT_STRING_EQUAL(packet_opcode_name(OP_PING), "OpPing");
    CU_ASSERT_STRING_EQUAL(packet_opcode_name(0x01), "Unknown");
    CU_ASSERT_STRING_EQUAL(packet_result_name(0xF0), "OpOk");
    CU_ASSERT_STRING_EQUAL(packet_result_name(OP_ERR), "OpErr");
    CU_ASSERT_STRING_EQUAL(packet_result_name(OP_INIT_RESULT_CODE), "OpInitResultCode");
    CU_ASSERT_STRING_EQUAL(packet_result_name(OP_NOT_EMPTY), "OpNotEmpty");
    CU_ASSERT_STRING_EQUAL(packet_result_name(0xF1), "Unknown");
}

static const struct test_case cases[] = {
    {"req_id_starts_at_two", test_req_id_starts_at_two},
    {"req_id_unique_across_threads", test_req_id_unique_across_threads},
    {"crc32_check_value", test_crc32_check_value},
    {"golden_headers", test_golden_headers},
    {"header_layout", test_header_layout},
    {"golden_reencode", test_golden_reencode},
    {"golden_data", test_golden_data},
    {"truncated", test_truncated},
    {"bad_magic", test_bad_magic},
    {"over_bound", test_over_bound},
    {"length_4gib", test_length_4gib},
    {"outputs_untouched_on_error", test_outputs_untouched_on_error},
    {"extended_headers", test_extended_headers},
    {"decoder_whole_stream", test_decoder_whole_stream},
    {"decoder_byte_by_byte", test_decoder_byte_by_byte},
    {"decoder_random_chunks", test_decoder_random_chunks},
    {"decoder_empty_and_extended", test_decoder_empty_and_extended},
    {"decoder_sticky_error", test_decoder_sticky_error},
    {"init_request_and_reply", test_init_request_and_reply},
    {"encode_rejects_missing_body", test_encode_rejects_missing_body},
    {"arg_round_trip", test_arg_round_trip},
    {"names", test_names},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"packet", load_goldens, free_goldens, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

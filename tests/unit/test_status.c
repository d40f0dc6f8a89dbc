#include "datanode_proto/dn_bodies.h"
#include "master/cluster/status.h"
#include "metanode_proto/mn_bodies.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <string.h>

#define GIB     (1ULL << 30)
#define NOW     100000ULL
#define TIMEOUT 30000ULL

static const char hosts[3][STORE_ADDR_SIZE] = {"a:1", "b:1", "c:1"};

/* One replica in a table row; unset fields mean "live, ReadWrite, fresh". */
struct rep {
    const char *addr;
    uint64_t age_ms;
    bool inactive;
    bool rdonly;
    int32_t status; /* 0 means ReadWrite */
    bool leader;
    uint64_t total_gib; /* 0 means 100 */
    uint64_t used_gib;
    uint64_t max_inode;
};

#define MAX_REPS 5

static void fill_source(struct status_source *src, const struct rep *r)
{
    memset(src, 0, sizeof(*src));
    snprintf(src->addr, sizeof(src->addr), "%s", r->addr);
    src->report_ms = NOW - r->age_ms;
    src->node_active = !r->inactive;
    src->node_rdonly = r->rdonly;
}

static void fill_base(struct status_report *b, const struct rep *r)
{
    b->partition_id = 7;
    b->status = r->status != 0 ? r->status : DP_STATUS_READ_WRITE;
    b->is_leader = r->leader;
}

static size_t dp_replicas(const struct rep *reps, struct status_dp_replica *out)
{
    size_t n = 0;

    for (; n < MAX_REPS && reps[n].addr != NULL; n++) {
        memset(&out[n], 0, sizeof(out[n]));
        fill_source(&out[n].src, &reps[n]);
        fill_base(&out[n].report.base, &reps[n]);
        out[n].report.total = (reps[n].total_gib != 0 ? reps[n].total_gib : 100) * GIB;
        out[n].report.used = reps[n].used_gib * GIB;
    }
    return n;
}

static size_t mp_replicas(const struct rep *reps, struct status_mp_replica *out)
{
    size_t n = 0;

    for (; n < MAX_REPS && reps[n].addr != NULL; n++) {
        memset(&out[n], 0, sizeof(out[n]));
        fill_source(&out[n].src, &reps[n]);
        fill_base(&out[n].report.base, &reps[n]);
        out[n].report.max_inode_id = reps[n].max_inode;
        out[n].report.inode_count = reps[n].max_inode / 2;
        out[n].report.dentry_count = reps[n].max_inode / 4;
    }
    return n;
}

static void test_is_fresh(void)
{
    static const struct {
        uint64_t report, now, timeout;
        bool fresh;
    } cases[] = {
        {1000, 1000, 0, true},     {1000, 19000, 18000, true}, {1000, 19001, 18000, false},
        {5000, 4000, 18000, true}, {0, 18000, 18000, true},    {0, UINT64_MAX, 18000, false},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CU_ASSERT_EQUAL(status_is_fresh(cases[i].report, cases[i].now, cases[i].timeout),
                        cases[i].fresh);
    }
}

struct dp_case {
    const char *name;
    uint32_t nhosts;
    uint32_t replica_num;
    struct rep reps[MAX_REPS];
    bool vol_full;
    int8_t status;
    uint32_t live;
    uint32_t nmissing;
    uint32_t nextra;
    const char *leader;
    const char *reason; /* expected text, "" for none */
};

static const struct dp_case dp_cases[] = {
    {"all live",
     3,
     3,
     {{.addr = "a:1", .leader = true}, {.addr = "b:1"}, {.addr = "c:1"}},
     false,
     DP_STATUS_READ_WRITE,
     3,
     0,
     0,
     "a:1",
     ""},
    {"node inactive",
     3,
     3,
     {{.addr = "a:1", .leader = true}, {.addr = "b:1", .inactive = true}, {.addr = "c:1"}},
     false,
     DP_STATUS_READ_ONLY,
     2,
     1,
     0,
     "a:1",
     "b:1: node inactive"},
    {"report too old",
     3,
     3,
     {{.addr = "a:1"}, {.addr = "b:1"}, {.addr = "c:1", .age_ms = TIMEOUT + 1}},
     false,
     DP_STATUS_READ_ONLY,
     2,
     1,
     0,
     "",
     "c:1: last report 30001 ms ago (timeout 30000 ms)"},
    {"report exactly at the timeout",
     3,
     3,
     {{.addr = "a:1"}, {.addr = "b:1"}, {.addr = "c:1", .age_ms = TIMEOUT}},
     false,
     DP_STATUS_READ_WRITE,
     3,
     0,
     0,
     "",
     ""},
    {"host never reported",
     3,
     3,
     {{.addr = "a:1"}, {.addr = "b:1"}},
     false,
     DP_STATUS_READ_ONLY,
     2,
     1,
     0,
     "",
     "c:1: no report"},
    {"replica unavailable",
     3,
     3,
     {{.addr = "a:1"}, {.addr = "b:1", .status = DP_STATUS_UNAVAILABLE}, {.addr = "c:1"}},
     false,
     DP_STATUS_READ_ONLY,
     2,
     1,
     0,
     "",
     "b:1: replica unavailable"},
    {"replica read-only",
     3,
     3,
     {{.addr = "a:1"}, {.addr = "b:1", .status = DP_STATUS_READ_ONLY}, {.addr = "c:1"}},
     false,
     DP_STATUS_READ_ONLY,
     3,
     0,
     0,
     "",
     "b:1: replica read-only"},
    {"node read-only",
     3,
     3,
     {{.addr = "a:1"}, {.addr = "b:1"}, {.addr = "c:1", .rdonly = true}},
     false,
     DP_STATUS_READ_ONLY,
     3,
     0,
     0,
     "",
     "c:1: node read-only"},
    {"no room",
     3,
     3,
     {{.addr = "a:1"}, {.addr = "b:1", .used_gib = 91}, {.addr = "c:1"}},
     false,
     DP_STATUS_READ_ONLY,
     3,
     0,
     0,
     "",
     "97710505984 of 107374182400 bytes used, needs more than 10737418240 free"},
    {"volume full",
     3,
     3,
     {{.addr = "a:1"}, {.addr = "b:1"}, {.addr = "c:1"}},
     true,
     DP_STATUS_READ_ONLY,
     3,
     0,
     0,
     "",
     "volume is full"},
    {"extra replica does not block",
     3,
     3,
     {{.addr = "a:1"}, {.addr = "d:1"}, {.addr = "b:1"}, {.addr = "c:1"}},
     false,
     DP_STATUS_READ_WRITE,
     3,
     0,
     1,
     "",
     ""},
    {"a host short",
     2,
     3,
     {{.addr = "a:1"}, {.addr = "b:1"}},
     false,
     DP_STATUS_READ_ONLY,
     2,
     0,
     0,
     "",
     "2 hosts for 3 replicas"},
    {"stale leader is not the leader",
     3,
     3,
     {{.addr = "a:1", .leader = true, .age_ms = TIMEOUT + 5}, {.addr = "b:1"}, {.addr = "c:1"}},
     false,
     DP_STATUS_READ_ONLY,
     2,
     1,
     0,
     "",
     "a:1: last report 30005 ms ago (timeout 30000 ms)"},
    {"two reasons",
     3,
     3,
     {{.addr = "a:1", .inactive = true}, {.addr = "b:1"}},
     false,
     DP_STATUS_READ_ONLY,
     1,
     2,
     0,
     "",
     "a:1: node inactive; c:1: no report"},
    {"nothing reported",
     3,
     3,
     {{.addr = NULL}},
     false,
     DP_STATUS_READ_ONLY,
     0,
     3,
     0,
     "",
     "a:1: no report; b:1: no report; c:1: no report"},
};

static void run_dp(const struct dp_case *c, struct status_dp_result *res)
{
    struct status_dp_replica reps[MAX_REPS];
    struct status_dp_input in = {
        .part = {hosts, c->nhosts, c->replica_num, NOW, TIMEOUT},
        .replicas = reps,
        .min_free = STATUS_DP_MIN_FREE,
        .vol_full = c->vol_full,
    };

    in.nreplicas = dp_replicas(c->reps, reps);
    status_dp(&in, res);
}

static void test_dp_table(void)
{
    for (size_t i = 0; i < sizeof(dp_cases) / sizeof(dp_cases[0]); i++) {
        const struct dp_case *c = &dp_cases[i];
        struct status_dp_result res;
        run_dp(c, &res);
        if (res.sum.status != c->status || strcmp(res.sum.reason, c->reason) != 0) {
            fprintf(stderr, "\n  case \"%s\": status %d reason \"%s\"\n", c->name, res.sum.status,
                    res.sum.reason);
        }
        CU_ASSERT_EQUAL(res.sum.status, c->status);
        CU_ASSERT_STRING_EQUAL(res.sum.reason, c->reason);
        CU_ASSERT_EQUAL(res.sum.live, c->live);
        CU_ASSERT_EQUAL(res.sum.nmissing, c->nmissing);
        CU_ASSERT_EQUAL(res.sum.nextra, c->nextra);
        CU_ASSERT_STRING_EQUAL(res.sum.leader, c->leader);
    }
}

static void test_dp_details(void)
{
    struct status_dp_result res;

    run_dp(&dp_cases[1], &res); /* b:1 inactive */
    CU_ASSERT_STRING_EQUAL(res.sum.missing[0], "b:1");
    CU_ASSERT_EQUAL(res.total, 100 * GIB);
    run_dp(&dp_cases[8], &res); /* b:1 uses 91 GiB: the largest used wins */
    CU_ASSERT_EQUAL(res.used, 91 * GIB);
    run_dp(&dp_cases[10], &res);
    CU_ASSERT_STRING_EQUAL(res.sum.extra[0], "d:1");
}

/* A host that goes silent turns the partition ReadOnly; its next report turns it back. */
static void test_dp_not_sticky(void)
{
    struct status_dp_replica reps[3];
    struct rep spec[] = {{.addr = "a:1"}, {.addr = "b:1"}, {.addr = "c:1"}, {.addr = NULL}};
    struct status_dp_input in = {
        .part = {hosts, 3, 3, NOW, TIMEOUT},
        .replicas = reps,
        .min_free = STATUS_DP_MIN_FREE,
    };
    struct status_dp_result res;
    static const struct {
        uint64_t now;
        uint64_t c_report; /* when c:1 last reported */
        int8_t status;
    } steps[] = {
        {NOW, NOW, DP_STATUS_READ_WRITE},
        {NOW + TIMEOUT, NOW, DP_STATUS_READ_WRITE},
        {NOW + TIMEOUT + 1, NOW, DP_STATUS_READ_ONLY},
        {NOW + 2 * TIMEOUT, NOW, DP_STATUS_READ_ONLY},
        {NOW + 2 * TIMEOUT + 6000, NOW + 2 * TIMEOUT + 6000, DP_STATUS_READ_WRITE},
    };

    in.nreplicas = dp_replicas(spec, reps);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        in.part.now_ms = steps[i].now;
        reps[0].src.report_ms = steps[i].now; /* a and b keep reporting */
        reps[1].src.report_ms = steps[i].now;
        reps[2].src.report_ms = steps[i].c_report;
        status_dp(&in, &res);
        CU_ASSERT_EQUAL(res.sum.status, steps[i].status);
    }
}

struct mp_case {
    const char *name;
    uint32_t replica_num;
    struct rep reps[MAX_REPS];
    bool last;
    int8_t status;
    uint32_t live;
    const char *leader;
    const char *reason;
};

#define END 1000

static const struct mp_case mp_cases[] = {
    {"all live",
     3,
     {{.addr = "a:1", .leader = true}, {.addr = "b:1"}, {.addr = "c:1"}},
     false,
     MP_STATUS_READ_WRITE,
     3,
     "a:1",
     ""},
    {"a minority down",
     3,
     {{.addr = "a:1"}, {.addr = "b:1", .leader = true}, {.addr = "c:1", .age_ms = 60001}},
     false,
     MP_STATUS_READ_WRITE,
     2,
     "b:1",
     "c:1: last report 60001 ms ago (timeout 60000 ms)"},
    {"a majority down",
     3,
     {{.addr = "a:1", .leader = true},
      {.addr = "b:1", .inactive = true},
      {.addr = "c:1", .status = MP_STATUS_UNAVAILABLE}},
     false,
     MP_STATUS_UNAVAILABLE,
     1,
     "a:1",
     "b:1: node inactive; c:1: replica unavailable; 1 live replicas of 3, needs more than 1"},
    {"no leader",
     3,
     {{.addr = "a:1"}, {.addr = "b:1"}, {.addr = "c:1"}},
     false,
     MP_STATUS_UNAVAILABLE,
     3,
     "",
     "no live replica is leader"},
    {"leader not live",
     3,
     {{.addr = "a:1", .leader = true, .inactive = true}, {.addr = "b:1"}, {.addr = "c:1"}},
     false,
     MP_STATUS_UNAVAILABLE,
     2,
     "",
     "a:1: node inactive; no live replica is leader"},
    {"leader read-only",
     3,
     {{.addr = "a:1", .leader = true, .status = MP_STATUS_READ_ONLY},
      {.addr = "b:1"},
      {.addr = "c:1"}},
     false,
     MP_STATUS_READ_ONLY,
     3,
     "a:1",
     "a:1: replica read-only"},
    {"follower read-only",
     3,
     {{.addr = "a:1", .leader = true},
      {.addr = "b:1"},
      {.addr = "c:1", .status = MP_STATUS_READ_ONLY}},
     false,
     MP_STATUS_READ_ONLY,
     3,
     "a:1",
     "c:1: replica read-only"},
    {"inode range used up",
     3,
     {{.addr = "a:1", .leader = true, .max_inode = END}, {.addr = "b:1"}, {.addr = "c:1"}},
     false,
     MP_STATUS_READ_ONLY,
     3,
     "a:1",
     "inode range used up (max inode 1000, end 1000)"},
    {"last partition is not read-only for its end",
     3,
     {{.addr = "a:1", .leader = true, .max_inode = END}, {.addr = "b:1"}, {.addr = "c:1"}},
     true,
     MP_STATUS_READ_WRITE,
     3,
     "a:1",
     ""},
    {"last partition read-only when a replica says so",
     3,
     {{.addr = "a:1", .leader = true},
      {.addr = "b:1", .status = MP_STATUS_READ_ONLY},
      {.addr = "c:1"}},
     true,
     MP_STATUS_READ_ONLY,
     3,
     "a:1",
     "b:1: replica read-only"},
    {"single replica",
     1,
     {{.addr = "a:1", .leader = true}},
     false,
     MP_STATUS_READ_WRITE,
     1,
     "a:1",
     ""},
    {"extra replica ignored",
     3,
     {{.addr = "x:1", .leader = true}, {.addr = "a:1"}, {.addr = "b:1"}, {.addr = "c:1"}},
     false,
     MP_STATUS_UNAVAILABLE,
     3,
     "",
     "no live replica is leader"},
};

static void run_mp(const struct mp_case *c, struct status_mp_result *res)
{
    struct status_mp_replica reps[MAX_REPS];
    uint32_t nhosts = c->replica_num;
    struct status_mp_input in = {
        .part = {hosts, nhosts, c->replica_num, NOW, STATUS_MP_REPLICA_TIMEOUT_MS},
        .replicas = reps,
        .end = END,
        .last = c->last,
    };

    in.nreplicas = mp_replicas(c->reps, reps);
    status_mp(&in, res);
}

static void test_mp_table(void)
{
    for (size_t i = 0; i < sizeof(mp_cases) / sizeof(mp_cases[0]); i++) {
        const struct mp_case *c = &mp_cases[i];
        struct status_mp_result res;
        run_mp(c, &res);
        if (res.sum.status != c->status || strcmp(res.sum.reason, c->reason) != 0) {
            fprintf(stderr, "\n  case \"%s\": status %d reason \"%s\"\n", c->name, res.sum.status,
                    res.sum.reason);
        }
        CU_ASSERT_EQUAL(res.sum.status, c->status);
        CU_ASSERT_STRING_EQUAL(res.sum.reason, c->reason);
        CU_ASSERT_EQUAL(res.sum.live, c->live);
        CU_ASSERT_STRING_EQUAL(res.sum.leader, c->leader);
    }
}

/* Counts are the largest over the hosts' reports, a silent host's included; extras are not. */
static void test_mp_counts(void)
{
    static const struct mp_case c = {
        "counts",
        3,
        {{.addr = "a:1", .leader = true, .max_inode = 40},
         {.addr = "b:1", .max_inode = 48, .age_ms = 70000},
         {.addr = "c:1", .max_inode = 44},
         {.addr = "x:1", .max_inode = 900}},
        false,
        MP_STATUS_READ_WRITE,
        2,
        "a:1",
        "",
    };
    struct status_mp_result res;

    run_mp(&c, &res);
    CU_ASSERT_EQUAL(res.sum.status, MP_STATUS_READ_WRITE);
    CU_ASSERT_EQUAL(res.max_inode_id, 48);
    CU_ASSERT_EQUAL(res.inode_count, 24);
    CU_ASSERT_EQUAL(res.dentry_count, 12);
    CU_ASSERT_EQUAL(res.sum.nmissing, 1);
    CU_ASSERT_STRING_EQUAL(res.sum.missing[0], "b:1");
    CU_ASSERT_EQUAL(res.sum.nextra, 1);
    CU_ASSERT_STRING_EQUAL(res.sum.extra[0], "x:1");
}

/* A long reason is cut to the buffer, never overrun. */
static void test_reason_truncated(void)
{
    char many[STORE_MAX_HOSTS][STORE_ADDR_SIZE];
    struct status_dp_input in = {
        .part = {many, STORE_MAX_HOSTS, 3, NOW, TIMEOUT},
        .min_free = STATUS_DP_MIN_FREE,
        .vol_full = true,
    };
    struct status_dp_result res;

    for (int i = 0; i < STORE_MAX_HOSTS; i++) {
        snprintf(many[i], sizeof(many[i]), "host-with-a-long-name-%02d.example.com:17310", i);
    }
    status_dp(&in, &res);
    CU_ASSERT_EQUAL(res.sum.status, DP_STATUS_READ_ONLY);
    CU_ASSERT_EQUAL(res.sum.nmissing, STORE_MAX_HOSTS);
    CU_ASSERT_EQUAL(strlen(res.sum.reason), ERRMSG_SIZE - 1);
}

static const struct test_case cases[] = {
    {"is_fresh", test_is_fresh},
    {"dp_table", test_dp_table},
    {"dp_details", test_dp_details},
    {"dp_not_sticky", test_dp_not_sticky},
    {"mp_table", test_mp_table},
    {"mp_counts", test_mp_counts},
    {"reason_truncated", test_reason_truncated},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"status", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

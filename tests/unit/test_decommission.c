/* Pure decommission decisions: the transition table, the next step of partition and node jobs,
 * the removal rules, scheduling and backoff, driven by tables and a fake clock. */
#include "master/cluster/decommission.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <string.h>

#define GIB (1ULL << 30)

/* --- fixtures --------------------------------------------------------------------------------- */

/* A host in a table row. */
struct host_spec {
    const char *addr;
    bool live;
    bool leader;
    uint64_t used;      /* data */
    uint64_t max_inode; /* meta */
};

#define MAX_SPEC 8

struct fixture {
    struct replica_part part;
    struct replica_ops_health health;
};

static void make_part(struct fixture *f, enum topo_kind kind, uint32_t replica_num, bool recover,
                      const struct host_spec *hosts)
{
    memset(f, 0, sizeof(*f));
    f->part.kind = kind;
    REPLICA_PART_FIELD(&f->part, id) = 7;
    REPLICA_PART_FIELD(&f->part, vol_id) = 1;
    REPLICA_PART_FIELD(&f->part, replica_num) = (uint8_t)replica_num;
    REPLICA_PART_FIELD(&f->part, is_recover) = recover;
    f->health.kind = kind;
    for (uint32_t i = 0; hosts[i].addr != NULL; i++) {
        struct replica_ops_host *h = &f->health.hosts[i];
        snprintf(REPLICA_PART_FIELD(&f->part, hosts)[i], STORE_ADDR_SIZE, "%s", hosts[i].addr);
        REPLICA_PART_FIELD(&f->part, nhosts)++;
        snprintf(h->addr, sizeof(h->addr), "%s", hosts[i].addr);
        h->reported = hosts[i].live;
        h->live = hosts[i].live;
        h->leader = hosts[i].leader;
        h->used = hosts[i].used;
        h->max_inode_id = hosts[i].max_inode;
        if (!h->live) {
            snprintf(h->why, sizeof(h->why), "node inactive");
        }
        f->health.nhosts++;
        f->health.live += h->live;
        if (h->leader) {
            snprintf(f->health.leader, sizeof(f->health.leader), "%s", h->addr);
        }
    }
}

static struct store_job part_job(uint8_t state, const char *src, const char *dst)
{
    struct store_job j;

    memset(&j, 0, sizeof(j));
    j.id = 100;
    j.kind = STORE_JOB_DP;
    j.state = state;
    j.partition_id = 7;
    snprintf(j.src_addr, sizeof(j.src_addr), "%s", src);
    snprintf(j.dst_addr, sizeof(j.dst_addr), "%s", dst != NULL ? dst : "");
    return j;
}

static void step(const struct store_job *job, struct fixture *f, bool exists,
                 struct decom_step *out)
{
    struct decom_part_view v = {exists, &f->part, &f->health, 0, true};

    decom_part_step(job, &v, out);
}

static const struct host_spec healthy3[] = {{"a:1", true, true, 0, 0},
                                            {"b:1", true, false, 0, 0},
                                            {"c:1", true, false, 0, 0},
                                            {.addr = NULL}};

/* --- transitions --------------------------------------------------------------------------- */

static void test_transition_table(void)
{
    static const struct {
        uint8_t kind, from, to;
        bool ok;
    } rows[] = {
        {STORE_JOB_DP, DECOM_MARKED, DECOM_TARGET_CHOSEN, true},
        {STORE_JOB_DP, DECOM_TARGET_CHOSEN, DECOM_REPLICA_ADDED, true},
        {STORE_JOB_DP, DECOM_REPLICA_ADDED, DECOM_OLD_REMOVED, true},
        {STORE_JOB_DP, DECOM_OLD_REMOVED, DECOM_SUCCESS, true},
        {STORE_JOB_MP, DECOM_MARKED, DECOM_FAILED, true},
        {STORE_JOB_MP, DECOM_TARGET_CHOSEN, DECOM_FAILED, true},
        {STORE_JOB_DP, DECOM_REPLICA_ADDED, DECOM_FAILED, true},
        {STORE_JOB_DP, DECOM_TARGET_CHOSEN, DECOM_TARGET_CHOSEN, true}, /* a retry */
        /* Skips, backward moves, and leaving a final state are refused. */
        {STORE_JOB_DP, DECOM_MARKED, DECOM_REPLICA_ADDED, false},
        {STORE_JOB_DP, DECOM_MARKED, DECOM_SUCCESS, false},
        {STORE_JOB_DP, DECOM_TARGET_CHOSEN, DECOM_OLD_REMOVED, false},
        {STORE_JOB_DP, DECOM_REPLICA_ADDED, DECOM_TARGET_CHOSEN, false},
        {STORE_JOB_DP, DECOM_OLD_REMOVED, DECOM_FAILED, false}, /* the move is done by then */
        {STORE_JOB_DP, DECOM_SUCCESS, DECOM_MARKED, false},
        {STORE_JOB_DP, DECOM_FAILED, DECOM_FAILED, false},
        {STORE_JOB_DP, DECOM_MARKED, DECOM_RUNNING, false},
        /* Node jobs. */
        {STORE_JOB_DATANODE, DECOM_MARKED, DECOM_RUNNING, true},
        {STORE_JOB_DATANODE, DECOM_MARKED, DECOM_SUCCESS, true}, /* an empty node */
        {STORE_JOB_METANODE, DECOM_RUNNING, DECOM_RUNNING, true},
        {STORE_JOB_METANODE, DECOM_RUNNING, DECOM_FAILED, true},
        {STORE_JOB_DATANODE, DECOM_RUNNING, DECOM_TARGET_CHOSEN, false},
        {STORE_JOB_DATANODE, DECOM_SUCCESS, DECOM_RUNNING, false},
        /* Unknown kinds and states. */
        {0, DECOM_MARKED, DECOM_TARGET_CHOSEN, false},
        {STORE_JOB_DP, 0, DECOM_MARKED, false},
        {STORE_JOB_DP, DECOM_MARKED, 200, false},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        bool ok = decom_transition_ok(rows[i].kind, rows[i].from, rows[i].to);
        if (ok != rows[i].ok) {
            fprintf(stderr, "row %zu: kind %u %u -> %u\n", i, rows[i].kind, rows[i].from,
                    rows[i].to);
        }
        CU_ASSERT_EQUAL(ok, rows[i].ok);
    }
}

static void test_state_names(void)
{
    CU_ASSERT_STRING_EQUAL(decom_status_name(0), "Initial");
    CU_ASSERT_STRING_EQUAL(decom_status_name(DECOM_MARKED), "Marked");
    CU_ASSERT_STRING_EQUAL(decom_status_name(DECOM_TARGET_CHOSEN), "Prepare");
    CU_ASSERT_STRING_EQUAL(decom_status_name(DECOM_REPLICA_ADDED), "Running");
    CU_ASSERT_STRING_EQUAL(decom_status_name(DECOM_OLD_REMOVED), "Running");
    CU_ASSERT_STRING_EQUAL(decom_status_name(DECOM_SUCCESS), "Success");
    CU_ASSERT_STRING_EQUAL(decom_status_name(DECOM_FAILED), "Fail");
    CU_ASSERT_STRING_EQUAL(decom_state_name(DECOM_REPLICA_ADDED), "ReplicaAdded");
    CU_ASSERT_STRING_EQUAL(decom_state_name(99), "Unknown");
    CU_ASSERT_TRUE(decom_is_final(DECOM_SUCCESS));
    CU_ASSERT_TRUE(decom_is_final(DECOM_FAILED));
    CU_ASSERT_FALSE(decom_is_final(DECOM_OLD_REMOVED));
}

/* --- partition steps ------------------------------------------------------------------------- */

/* The happy path, one state after the other, as the partition changes under it. */
static void test_part_happy_path(void)
{
    static const struct host_spec added[] = {{"a:1", true, true, 0, 0},
                                             {"b:1", true, false, 0, 0},
                                             {"c:1", true, false, 0, 0},
                                             {"d:1", true, false, 0, 0},
                                             {.addr = NULL}};
    static const struct host_spec removed[] = {{"b:1", true, false, 0, 0},
                                               {"c:1", true, false, 0, 0},
                                               {"d:1", true, false, 0, 0},
                                               {.addr = NULL}};
    struct fixture f;
    struct decom_step s;
    struct store_job job = part_job(DECOM_MARKED, "a:1", NULL);

    make_part(&f, TOPO_DATA, 3, false, healthy3);
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_CHOOSE_TARGET);
    CU_ASSERT_EQUAL(s.next_state, DECOM_TARGET_CHOSEN);

    job = part_job(DECOM_TARGET_CHOSEN, "a:1", "d:1");
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_ADD_REPLICA);
    CU_ASSERT_EQUAL(s.next_state, DECOM_REPLICA_ADDED);

    job = part_job(DECOM_REPLICA_ADDED, "a:1", "d:1");
    make_part(&f, TOPO_DATA, 3, true, added);
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_REMOVE_OLD);
    CU_ASSERT_EQUAL(s.next_state, DECOM_OLD_REMOVED);

    job = part_job(DECOM_OLD_REMOVED, "a:1", "d:1");
    make_part(&f, TOPO_DATA, 3, true, removed);
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_FINISH);
    CU_ASSERT_EQUAL(s.next_state, DECOM_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.why, "moved from a:1 to d:1"));

    job = part_job(DECOM_SUCCESS, "a:1", "d:1");
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_NONE);
}

/* Re-running a step after a crash converges instead of repeating finished work. */
static void test_part_idempotent_after_crash(void)
{
    static const struct host_spec with_dst[] = {{"a:1", true, true, 0, 0},
                                                {"b:1", true, false, 0, 0},
                                                {"c:1", true, false, 0, 0},
                                                {"d:1", true, false, 0, 0},
                                                {.addr = NULL}};
    static const struct host_spec without_src[] = {{"b:1", true, true, 0, 0},
                                                   {"c:1", true, false, 0, 0},
                                                   {"d:1", true, false, 0, 0},
                                                   {.addr = NULL}};
    struct fixture f;
    struct decom_step s;
    struct store_job job = part_job(DECOM_TARGET_CHOSEN, "a:1", "d:1");

    /* The add was committed by another path (or by us with the job update lost): skip it. */
    make_part(&f, TOPO_DATA, 3, false, with_dst);
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_COMMIT_ADDED);
    CU_ASSERT_EQUAL(s.next_state, DECOM_REPLICA_ADDED);

    /* src already gone: only the state is left to record. */
    job = part_job(DECOM_REPLICA_ADDED, "a:1", "d:1");
    make_part(&f, TOPO_DATA, 3, false, without_src);
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_COMMIT_REMOVED);
    CU_ASSERT_EQUAL(s.next_state, DECOM_OLD_REMOVED);

    /* Finishing works even when the partition vanished after the move. */
    job = part_job(DECOM_OLD_REMOVED, "a:1", "d:1");
    step(&job, &f, false, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_FINISH);
}

static void test_part_waits(void)
{
    static const struct host_spec dst_silent[] = {{"a:1", true, true, 0, 0},
                                                  {"b:1", true, false, 0, 0},
                                                  {"c:1", true, false, 0, 0},
                                                  {"d:1", false, false, 0, 0},
                                                  {.addr = NULL}};
    static const struct host_spec dst_behind[] = {{"a:1", true, true, 5 * GIB, 0},
                                                  {"b:1", true, false, 5 * GIB, 0},
                                                  {"c:1", true, false, 5 * GIB, 0},
                                                  {"d:1", true, false, 1 * GIB, 0},
                                                  {.addr = NULL}};
    static const struct host_spec minority[] = {{"a:1", true, true, 0, 0},
                                                {"b:1", false, false, 0, 0},
                                                {"c:1", false, false, 0, 0},
                                                {"d:1", true, false, 0, 0},
                                                {.addr = NULL}};
    struct fixture f;
    struct decom_step s;
    struct store_job job = part_job(DECOM_REPLICA_ADDED, "a:1", "d:1");

    make_part(&f, TOPO_DATA, 3, true, dst_silent);
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_WAIT);
    CU_ASSERT_EQUAL(s.next_state, DECOM_REPLICA_ADDED);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.why, "new replica on d:1 to report"));

    make_part(&f, TOPO_DATA, 3, true, dst_behind);
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_WAIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.why, "still recovering"));

    /* Without a: d alone is live, a majority of 3 needs 2. */
    make_part(&f, TOPO_DATA, 3, false, minority);
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_WAIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.why, "cannot take the data replica offline"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.why, "b:1: node inactive"));
}

/* A node that held the partition before reports it until its next heartbeat: only a report
 * made after the add lets the old replica go. */
static void test_part_stale_report(void)
{
    static const struct host_spec added[] = {{"a:1", true, true, 0, 0},
                                             {"b:1", true, false, 0, 0},
                                             {"c:1", true, false, 0, 0},
                                             {"d:1", true, false, 0, 0},
                                             {.addr = NULL}};
    struct fixture f;
    struct decom_step s;
    struct store_job job = part_job(DECOM_REPLICA_ADDED, "a:1", "d:1");
    struct decom_part_view v = {true, &f.part, &f.health, 1000, true};

    make_part(&f, TOPO_DATA, 3, true, added);
    f.health.hosts[3].report_ms = 900; /* before the add at 1000 */
    decom_part_step(&job, &v, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_WAIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.why, "made after it was added"));
    f.health.hosts[3].report_ms = 1000;
    decom_part_step(&job, &v, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_WAIT);
    f.health.hosts[3].report_ms = 1500; /* the next heartbeat */
    decom_part_step(&job, &v, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_REMOVE_OLD);
}

/* A target that died or started leaving before the add is replaced, not retried to failure. */
static void test_part_target_gone(void)
{
    struct fixture f;
    struct decom_step s;
    struct store_job job = part_job(DECOM_TARGET_CHOSEN, "a:1", "d:1");
    struct decom_part_view v = {true, &f.part, &f.health, 0, false};

    make_part(&f, TOPO_DATA, 3, false, healthy3);
    decom_part_step(&job, &v, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_CHOOSE_TARGET);
    CU_ASSERT_EQUAL(s.next_state, DECOM_TARGET_CHOSEN);
    CU_ASSERT_TRUE(decom_transition_ok(job.kind, job.state, s.next_state));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.why, "d:1 can no longer take the replica"));
}

static void test_part_failures(void)
{
    struct fixture f;
    struct decom_step s;
    struct store_job job = part_job(DECOM_MARKED, "z:1", NULL);

    make_part(&f, TOPO_DATA, 3, false, healthy3);
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_FAIL);
    CU_ASSERT_EQUAL(s.next_state, DECOM_FAILED);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.why, "z:1 is no longer a host of data partition 7"));

    job = part_job(DECOM_MARKED, "a:1", NULL);
    step(&job, &f, false, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.why, "data partition 7 no longer exists"));

    /* Someone removed src before the target was added. */
    job = part_job(DECOM_TARGET_CHOSEN, "z:1", "d:1");
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_FAIL);

    /* Someone removed the new replica: src must stay. */
    job = part_job(DECOM_REPLICA_ADDED, "a:1", "d:1");
    make_part(&f, TOPO_DATA, 3, false,
              (const struct host_spec[]){
                  {"a:1", true, true, 0, 0}, {"b:1", true, false, 0, 0}, {.addr = NULL}});
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.why, "a:1 stays"));
}

static void test_part_meta(void)
{
    static const struct host_spec inode_gap[] = {{"a:1", true, true, 0, 5000},
                                                 {"b:1", true, false, 0, 5000},
                                                 {"c:1", true, false, 0, 5000},
                                                 {"d:1", true, false, 0, 10},
                                                 {.addr = NULL}};
    struct fixture f;
    struct decom_step s;
    struct store_job job = part_job(DECOM_REPLICA_ADDED, "a:1", "d:1");

    job.kind = STORE_JOB_MP;
    make_part(&f, TOPO_META, 3, true, inode_gap);
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_WAIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.why, "max inode ids"));
    f.health.hosts[3].max_inode_id = 4500; /* within CubeFS's 1000 */
    step(&job, &f, true, &s);
    CU_ASSERT_EQUAL(s.action, DECOM_ACT_REMOVE_OLD);
}

/* --- removal rules ------------------------------------------------------------------------------
 */

static void test_check_remove(void)
{
    static const struct host_spec one_down[] = {{"a:1", true, true, 0, 0},
                                                {"b:1", true, false, 0, 0},
                                                {"c:1", false, false, 0, 0},
                                                {.addr = NULL}};
    static const struct host_spec two[] = {
        {"a:1", true, true, 0, 0}, {"b:1", true, false, 0, 0}, {.addr = NULL}};
    static const struct host_spec diverged[] = {{"a:1", true, true, 3 * GIB, 0},
                                                {"b:1", true, false, 3 * GIB, 0},
                                                {"c:1", true, false, 0, 0},
                                                {.addr = NULL}};
    struct fixture f;
    char msg[ERRMSG_SIZE];

    make_part(&f, TOPO_DATA, 3, false, healthy3);
    CU_ASSERT_EQUAL(replica_ops_check_remove(&f.part, &f.health, "a:1", false, msg), 0);

    /* The dead one may go; a live one may not (b alone would stay). */
    make_part(&f, TOPO_DATA, 3, false, one_down);
    CU_ASSERT_EQUAL(replica_ops_check_remove(&f.part, &f.health, "c:1", false, msg), 0);
    CU_ASSERT_EQUAL(replica_ops_check_remove(&f.part, &f.health, "a:1", false, msg),
                    API_CANNOT_BE_OFFLINE);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "data partition 7 would keep 1 live replica without a:1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "needs 2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "c:1: node inactive"));
    /* force never overrides the majority. */
    CU_ASSERT_EQUAL(replica_ops_check_remove(&f.part, &f.health, "a:1", true, msg),
                    API_CANNOT_BE_OFFLINE);

    /* Two hosts of three: removing one leaves one. */
    make_part(&f, TOPO_DATA, 3, false, two);
    CU_ASSERT_EQUAL(replica_ops_check_remove(&f.part, &f.health, "b:1", false, msg),
                    API_CANNOT_BE_OFFLINE);

    /* Recovering: refused unless force; a diverged partition not flagged is not recovering. */
    make_part(&f, TOPO_DATA, 3, true, diverged);
    CU_ASSERT_EQUAL(replica_ops_check_remove(&f.part, &f.health, "a:1", false, msg),
                    API_CANNOT_BE_OFFLINE);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "is recovering"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "force=true"));
    CU_ASSERT_EQUAL(replica_ops_check_remove(&f.part, &f.health, "a:1", true, msg), 0);
    make_part(&f, TOPO_DATA, 3, false, diverged);
    CU_ASSERT_EQUAL(replica_ops_check_remove(&f.part, &f.health, "a:1", false, msg), 0);
}

static void test_recovered(void)
{
    static const struct host_spec behind[] = {{"a:1", true, true, 2 * GIB, 0},
                                              {"b:1", true, false, 2 * GIB, 0},
                                              {"c:1", true, false, 0, 0},
                                              {.addr = NULL}};
    static const struct host_spec one_down[] = {{"a:1", true, true, 0, 0},
                                                {"b:1", true, false, 0, 0},
                                                {"c:1", false, false, 0, 0},
                                                {.addr = NULL}};
    struct fixture f;

    make_part(&f, TOPO_DATA, 3, true, healthy3);
    CU_ASSERT_TRUE(replica_ops_recovered(&f.part, &f.health));
    make_part(&f, TOPO_DATA, 3, true, behind);
    CU_ASSERT_FALSE(replica_ops_recovered(&f.part, &f.health));
    make_part(&f, TOPO_DATA, 3, true, one_down);
    CU_ASSERT_FALSE(replica_ops_recovered(&f.part, &f.health));
    make_part(&f, TOPO_DATA, 4, true, healthy3); /* lacks a replica */
    CU_ASSERT_FALSE(replica_ops_recovered(&f.part, &f.health));
}

static void test_request_majority(void)
{
    /* 1- and 2-replica partitions add the replacement first; the rest keep CubeFS's majority. */
    CU_ASSERT_EQUAL(decom_request_majority(0), 0);
    CU_ASSERT_EQUAL(decom_request_majority(1), 0);
    CU_ASSERT_EQUAL(decom_request_majority(2), 1);
    CU_ASSERT_EQUAL(decom_request_majority(3), 2);
    CU_ASSERT_EQUAL(decom_request_majority(5), 3);
}

/* --- node steps ----------------------------------------------------------------------------- */

static void test_node_steps(void)
{
    static const struct {
        const char *name;
        uint32_t count; /* job->total */
        struct decom_node_view v;
        enum decom_action action;
        uint8_t next;
        uint32_t spawn;
    } rows[] = {
        /* exists hosted unassigned busy active ok failed */
        {"fresh node", 0, {true, 10, 10, 0, 0, 0, 0}, DECOM_ACT_SPAWN, DECOM_RUNNING, 4},
        {"bounded", 0, {true, 8, 6, 0, 2, 2, 0}, DECOM_ACT_SPAWN, DECOM_RUNNING, 2},
        {"full", 0, {true, 8, 4, 0, 4, 0, 0}, DECOM_ACT_WAIT, DECOM_RUNNING, 0},
        {"last ones", 0, {true, 2, 0, 0, 2, 5, 0}, DECOM_ACT_WAIT, DECOM_RUNNING, 0},
        {"emptied", 0, {true, 0, 0, 0, 0, 7, 0}, DECOM_ACT_REMOVE_NODE, DECOM_SUCCESS, 0},
        {"empty from the start",
         0,
         {true, 0, 0, 0, 0, 0, 0},
         DECOM_ACT_REMOVE_NODE,
         DECOM_SUCCESS,
         0},
        {"other job moving one", 0, {true, 1, 0, 1, 0, 3, 0}, DECOM_ACT_WAIT, DECOM_RUNNING, 0},
        {"a child failed", 0, {true, 1, 0, 0, 0, 3, 1}, DECOM_ACT_FAIL, DECOM_FAILED, 0},
        {"count limits spawning", 3, {true, 10, 10, 0, 0, 0, 0}, DECOM_ACT_SPAWN, DECOM_RUNNING, 3},
        {"count reached", 3, {true, 7, 7, 0, 0, 3, 0}, DECOM_ACT_KEEP_NODE, DECOM_SUCCESS, 0},
        {"count over what it had",
         5,
         {true, 0, 0, 0, 0, 2, 0},
         DECOM_ACT_REMOVE_NODE,
         DECOM_SUCCESS,
         0},
        {"node gone", 0, {false, 3, 3, 0, 0, 0, 0}, DECOM_ACT_FAIL, DECOM_FAILED, 0},
    };
    struct decom_policy p;

    decom_policy_default(&p);
    p.node_parallel = 4;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct store_job job = part_job(i % 2 ? DECOM_RUNNING : DECOM_MARKED, "n:1", NULL);
        struct decom_node_step s;
        job.kind = STORE_JOB_DATANODE;
        job.total = rows[i].count;
        decom_node_step(&job, &rows[i].v, &p, &s);
        if (s.action != rows[i].action || s.spawn != rows[i].spawn) {
            fprintf(stderr, "%s: %s spawn %u (%s)\n", rows[i].name, decom_action_name(s.action),
                    s.spawn, s.why);
        }
        CU_ASSERT_EQUAL(s.action, rows[i].action);
        CU_ASSERT_EQUAL(s.next_state, rows[i].next);
        CU_ASSERT_EQUAL(s.spawn, rows[i].spawn);
        CU_ASSERT_TRUE(decom_transition_ok(job.kind, job.state, s.next_state));
    }
}

/* --- scheduling and backoff (fake clock) ---------------------------------------------------- */

static void test_plan_tick(void)
{
    struct decom_brief jobs[] = {
        {1, STORE_JOB_DATANODE, DECOM_RUNNING, false, 0},
        {2, STORE_JOB_DP, DECOM_TARGET_CHOSEN, true, 0}, /* running */
        {3, STORE_JOB_DP, DECOM_MARKED, false, 5000},    /* backing off until 5000 */
        {4, STORE_JOB_DP, DECOM_SUCCESS, false, 0},      /* final */
        {5, STORE_JOB_MP, DECOM_MARKED, false, 0},
        {6, STORE_JOB_DP, DECOM_MARKED, false, 0},
        {7, STORE_JOB_METANODE, DECOM_MARKED, false, 0},
    };
    struct decom_policy p;
    uint64_t start[8];
    size_t n;

    decom_policy_default(&p);
    p.max_running_parts = 2;
    p.max_running_nodes = 1;
    /* At 1000: node job 1; one partition slot left (2 runs): 5, the oldest ready. */
    n = decom_plan_tick(jobs, 7, 1000, &p, start, 8);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(start[0], 1);
    CU_ASSERT_EQUAL(start[1], 5);
    /* At 6000 job 3's backoff is over and it is older than 5. */
    n = decom_plan_tick(jobs, 7, 6000, &p, start, 8);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(start[1], 3);
    /* Everything busy: nothing more starts. */
    jobs[0].running = true;
    jobs[4].running = true;
    n = decom_plan_tick(jobs, 7, 6000, &p, start, 8);
    CU_ASSERT_EQUAL(n, 0);
    /* max bounds the output. */
    jobs[0].running = false;
    jobs[4].running = false;
    n = decom_plan_tick(jobs, 7, 6000, &p, start, 1);
    CU_ASSERT_EQUAL(n, 1);
}

static void test_backoff(void)
{
    struct decom_policy p;

    decom_policy_default(&p);
    p.backoff_base_ms = 500;
    p.backoff_max_ms = 5000;
    CU_ASSERT_EQUAL(decom_backoff_ms(&p, 0), 0);
    CU_ASSERT_EQUAL(decom_backoff_ms(&p, 1), 500);
    CU_ASSERT_EQUAL(decom_backoff_ms(&p, 2), 1000);
    CU_ASSERT_EQUAL(decom_backoff_ms(&p, 4), 4000);
    CU_ASSERT_EQUAL(decom_backoff_ms(&p, 5), 5000);
    CU_ASSERT_EQUAL(decom_backoff_ms(&p, 1000), 5000);
}

static const struct test_case cases[] = {
    {"transition_table", test_transition_table},
    {"state_names", test_state_names},
    {"part_happy_path", test_part_happy_path},
    {"part_idempotent_after_crash", test_part_idempotent_after_crash},
    {"part_waits", test_part_waits},
    {"part_stale_report", test_part_stale_report},
    {"part_target_gone", test_part_target_gone},
    {"part_failures", test_part_failures},
    {"part_meta", test_part_meta},
    {"check_remove", test_check_remove},
    {"recovered", test_recovered},
    {"request_majority", test_request_majority},
    {"node_steps", test_node_steps},
    {"plan_tick", test_plan_tick},
    {"backoff", test_backoff},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"decommission", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

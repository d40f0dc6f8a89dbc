/* mn_store: the status rule as a table, then the store against a real metadataDir. */
#include "admin_task/node_files.h"
#include "common/errors.h"
#include "common/log.h"
#include "metanode_proto/mn_store.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SELF     "127.0.0.1:17210"
#define OTHER    "127.0.0.2:17210"
#define THIRD    "127.0.0.3:17210"
#define NEW      "127.0.0.4:17210"
#define LAST_END 9223372036854775807ull /* the last partition of a volume ends at 2^63-1 */

static void test_status_table(void)
{
    static const struct {
        const char *name;
        uint64_t start, end, used, total;
        int32_t want;
    } rows[] = {
        {"room for inodes and memory", 1, 1000, 10, 100, MP_STATUS_READ_WRITE},
        {"last partition", 16777217, LAST_END, 10, 100, MP_STATUS_READ_WRITE},
        {"cursor at end", 1000, 1000, 10, 100, MP_STATUS_READ_ONLY},
        {"memory at totalMem", 1, 1000, 100, 100, MP_STATUS_READ_ONLY},
        {"memory over totalMem", 1, 1000, 200, 100, MP_STATUS_READ_ONLY},
        {"just under totalMem", 1, 1000, 99, 100, MP_STATUS_READ_WRITE},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct mn_partition p = {0};
        int32_t got;

        p.start = rows[i].start;
        p.end = rows[i].end;
        got = mn_store_partition_status(&p, rows[i].used, rows[i].total);
        if (got != rows[i].want) {
            fprintf(stderr, "\n%s: got %d, want %d\n", rows[i].name, got, rows[i].want);
        }
        CU_ASSERT_EQUAL(got, rows[i].want);
        CU_ASSERT_EQUAL(mn_store_max_inode(&p), rows[i].start);
    }
}

static char root[128];
static char dir[256];

static void fixture_up(void)
{
    CU_ASSERT_FATAL(test_mkdtemp(root, sizeof(root), "mn_store") == 0);
    /* metadataDir does not exist yet: opening makes it. */
    snprintf(dir, sizeof(dir), "%s/meta/data", root);
}

static void fixture_down(void)
{
    test_rmtree(root);
}

static struct mn_store *open_store(void)
{
    struct mn_store *s = NULL;
    char errmsg[ERRMSG_SIZE] = "";

    if (mn_store_open(dir, &s, errmsg) != 0) {
        fprintf(stderr, "\nmn_store_open: %s\n", errmsg);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

static struct mn_create_mp_req create_req(uint64_t id, uint64_t start, uint64_t end)
{
    struct mn_create_mp_req r = {0};
    const char *addrs[3] = {SELF, OTHER, THIRD};

    r.partition_id = id;
    snprintf(r.vol_name, sizeof(r.vol_name), "vol1");
    r.start = start;
    r.end = end;
    for (uint32_t i = 0; i < 3; i++) {
        r.members[i].id = 1 + i;
        snprintf(r.members[i].addr, sizeof(r.members[i].addr), "%s", addrs[i]);
    }
    r.nmembers = 3;
    return r;
}

static void path_of(char *buf, size_t size, const char *name)
{
    CU_ASSERT_FATAL((size_t)snprintf(buf, size, "%s/%s", dir, name) < size);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static ino_t inode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static void test_create_persists_and_is_idempotent(void)
{
    struct mn_create_mp_req req = create_req(3, 16777217, LAST_END);
    struct mn_create_mp_req conflict = create_req(3, 1, 16777216);
    struct mn_create_mp_req reversed = create_req(4, 100, 99);
    struct mn_partition meta = {0};
    char errmsg[ERRMSG_SIZE] = "";
    char path[PATH_MAX];
    struct mn_store *s;
    ino_t ino;

    fixture_up();
    s = open_store();
    CU_ASSERT_EQUAL(mn_store_create(s, &req, 1795374020, errmsg), 0);
    path_of(path, sizeof(path), "partition_3/meta");
    CU_ASSERT_EQUAL(node_files_read_json(path, mn_partition_fields, &meta, errmsg), 0);
    CU_ASSERT_EQUAL(meta.partition_id, 3);
    CU_ASSERT_STRING_EQUAL(meta.vol_name, "vol1");
    CU_ASSERT_EQUAL(meta.start, 16777217);
    CU_ASSERT_EQUAL(meta.end, LAST_END);
    CU_ASSERT_EQUAL(meta.npeers, 3);
    CU_ASSERT_STRING_EQUAL(meta.peers[2].addr, THIRD);
    CU_ASSERT_EQUAL(meta.create_time, 1795374020);
    path_of(path, sizeof(path), "partition_3.tmp");
    CU_ASSERT_FALSE(exists(path));

    path_of(path, sizeof(path), "partition_3/meta");
    ino = inode_of(path);
    CU_ASSERT_EQUAL(mn_store_create(s, &req, 1795374099, errmsg), 0);
    CU_ASSERT_EQUAL(inode_of(path), ino); /* the same request again changes nothing */
    CU_ASSERT_EQUAL(mn_store_get(s, 3)->create_time, 1795374020);

    CU_ASSERT_EQUAL(mn_store_create(s, &conflict, 1, errmsg), CFS_EEXIST);
    CU_ASSERT_STRING_EQUAL(errmsg, "meta partition 3 exists with volume vol1, range "
                                   "[16777217, 9223372036854775807]");
    CU_ASSERT_EQUAL(mn_store_create(s, &reversed, 1, errmsg), -EINVAL);
    CU_ASSERT_STRING_EQUAL(errmsg, "meta partition 4: start 100 after end 99");
    CU_ASSERT_EQUAL(mn_store_count(s), 1);
    mn_store_close(s);

    s = open_store();
    CU_ASSERT_EQUAL(mn_store_count(s), 1);
    CU_ASSERT_EQUAL(mn_store_get(s, 3)->end, LAST_END);
    mn_store_close(s);
    fixture_down();
}

static void test_delete_is_idempotent(void)
{
    struct mn_create_mp_req req = create_req(3, 1, 1000);
    char errmsg[ERRMSG_SIZE] = "";
    char path[PATH_MAX];
    struct mn_store *s;

    fixture_up();
    s = open_store();
    CU_ASSERT_EQUAL(mn_store_create(s, &req, 1, errmsg), 0);
    CU_ASSERT_EQUAL(mn_store_delete(s, 3, errmsg), 0);
    path_of(path, sizeof(path), "partition_3");
    CU_ASSERT_FALSE(exists(path));
    CU_ASSERT_PTR_NULL(mn_store_get(s, 3));
    CU_ASSERT_EQUAL(mn_store_delete(s, 3, errmsg), 0);
    CU_ASSERT_EQUAL(mn_store_delete(s, 77, errmsg), 0);
    mn_store_close(s);
    s = open_store();
    CU_ASSERT_EQUAL(mn_store_count(s), 0);
    mn_store_close(s);
    fixture_down();
}

static void test_update_end(void)
{
    struct mn_create_mp_req req = create_req(3, 16777217, LAST_END);
    char errmsg[ERRMSG_SIZE] = "";
    struct mn_store *s;

    fixture_up();
    s = open_store();
    CU_ASSERT_EQUAL(mn_store_create(s, &req, 1, errmsg), 0);
    CU_ASSERT_EQUAL(mn_store_update_end(s, 3, 33554432, errmsg), 0);
    CU_ASSERT_EQUAL(mn_store_get(s, 3)->end, 33554432);
    CU_ASSERT_EQUAL(mn_store_update_end(s, 3, 33554432, errmsg), 0);
    CU_ASSERT_EQUAL(mn_store_update_end(s, 3, 16777216, errmsg), -EINVAL);
    CU_ASSERT_STRING_EQUAL(errmsg,
                           "meta partition 3: end 16777216 is below its max inode 16777217");
    CU_ASSERT_EQUAL(mn_store_get(s, 3)->end, 33554432);
    CU_ASSERT_EQUAL(mn_store_update_end(s, 9, 100, errmsg), CFS_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(errmsg, "meta partition 9 not exists");
    mn_store_close(s);
    s = open_store();
    CU_ASSERT_EQUAL(mn_store_get(s, 3)->end, 33554432);
    mn_store_close(s);
    fixture_down();
}

static void test_members_are_idempotent_and_persisted(void)
{
    struct mn_create_mp_req req = create_req(3, 1, 1000);
    struct task_peer added = {9, NEW};
    struct task_peer removed = {1, SELF};
    char errmsg[ERRMSG_SIZE] = "";
    char path[PATH_MAX];
    const struct mn_partition *p;
    struct mn_store *s;
    ino_t ino;

    fixture_up();
    s = open_store();
    CU_ASSERT_EQUAL(mn_store_create(s, &req, 1, errmsg), 0);
    path_of(path, sizeof(path), "partition_3/meta");
    CU_ASSERT_EQUAL(mn_store_add_member(s, 3, &added, errmsg), 0);
    ino = inode_of(path);
    CU_ASSERT_EQUAL(mn_store_add_member(s, 3, &added, errmsg), 0);
    CU_ASSERT_EQUAL(inode_of(path), ino);
    CU_ASSERT_EQUAL(mn_store_remove_member(s, 3, &removed, errmsg), 0);
    CU_ASSERT_EQUAL(mn_store_remove_member(s, 3, &removed, errmsg), 0);
    CU_ASSERT_EQUAL(mn_store_add_member(s, 8, &added, errmsg), CFS_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(errmsg, "meta partition 8 not exists");
    mn_store_close(s);

    s = open_store();
    p = mn_store_get(s, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(p->npeers, 3);
    CU_ASSERT_STRING_EQUAL(p->peers[0].addr, OTHER);
    CU_ASSERT_STRING_EQUAL(p->peers[1].addr, THIRD);
    CU_ASSERT_STRING_EQUAL(p->peers[2].addr, NEW);
    mn_store_close(s);
    fixture_down();
}

static void test_leader_rule_and_heartbeat(void)
{
    struct mn_create_mp_req first = create_req(3, 16777217, LAST_END);
    struct mn_create_mp_req second = create_req(2, 1, 16777216);
    struct mn_heartbeat_resp hb = {0};
    char errmsg[ERRMSG_SIZE] = "";
    struct mn_store *s;

    fixture_up();
    second.members[0] = first.members[1]; /* OTHER leads partition 2 */
    second.members[1] = first.members[0];
    s = open_store();
    CU_ASSERT_EQUAL(mn_store_create(s, &first, 1, errmsg), 0);
    CU_ASSERT_EQUAL(mn_store_create(s, &second, 1, errmsg), 0);
    CU_ASSERT_EQUAL(mn_store_heartbeat(s, SELF, 10, 100, &hb, errmsg), 0);
    CU_ASSERT_EQUAL_FATAL(hb.nreports, 2);
    CU_ASSERT_EQUAL(hb.reports[0].partition_id, 2); /* in id order */
    CU_ASSERT_FALSE(hb.reports[0].is_leader);
    CU_ASSERT_EQUAL(hb.reports[0].start, 1);
    CU_ASSERT_EQUAL(hb.reports[0].end, 16777216);
    CU_ASSERT_EQUAL(hb.reports[0].max_inode_id, 1);
    CU_ASSERT_EQUAL(hb.reports[0].status, MP_STATUS_READ_WRITE);
    CU_ASSERT_STRING_EQUAL(hb.reports[0].vol_name, "vol1");
    CU_ASSERT_EQUAL(hb.reports[1].partition_id, 3);
    CU_ASSERT_TRUE(hb.reports[1].is_leader);
    CU_ASSERT_EQUAL(hb.reports[1].end, LAST_END);
    jc_free(mn_heartbeat_resp_fields, &hb);

    CU_ASSERT_EQUAL(mn_store_mark_leader(s, 2, errmsg), 0);
    CU_ASSERT_EQUAL(mn_store_mark_leader(s, 2, errmsg), 0);
    CU_ASSERT_EQUAL(mn_store_mark_leader(s, 5, errmsg), CFS_ENOTFOUND);
    mn_store_close(s);
    s = open_store();
    /* Memory at totalMem turns every partition ReadOnly. */
    CU_ASSERT_EQUAL(mn_store_heartbeat(s, SELF, 100, 100, &hb, errmsg), 0);
    CU_ASSERT_TRUE(hb.reports[0].is_leader);
    CU_ASSERT_EQUAL(hb.reports[0].status, MP_STATUS_READ_ONLY);
    CU_ASSERT_EQUAL(hb.reports[1].status, MP_STATUS_READ_ONLY);
    jc_free(mn_heartbeat_resp_fields, &hb);
    mn_store_close(s);
    fixture_down();
}

static void test_load_answer(void)
{
    struct mn_create_mp_req req = create_req(3, 16777217, LAST_END);
    struct mn_load_mp_resp r = {0};
    char errmsg[ERRMSG_SIZE] = "";
    struct mn_store *s;

    fixture_up();
    s = open_store();
    CU_ASSERT_EQUAL(mn_store_create(s, &req, 1, errmsg), 0);
    CU_ASSERT_EQUAL(mn_store_load(s, 3, SELF, &r, errmsg), 0);
    CU_ASSERT_EQUAL(r.partition_id, 3);
    CU_ASSERT_TRUE(r.do_compare);
    CU_ASSERT_EQUAL(r.apply_id, 0);
    CU_ASSERT_EQUAL(r.max_inode, 16777217);
    CU_ASSERT_EQUAL(r.inode_count, 0);
    CU_ASSERT_EQUAL(r.dentry_count, 0);
    CU_ASSERT_STRING_EQUAL(r.addr, SELF);
    CU_ASSERT_EQUAL(mn_store_load(s, 4, SELF, &r, errmsg), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(r.partition_id, 3); /* untouched on error */
    mn_store_close(s);
    fixture_down();
}

static void test_reload_skips_corrupt_and_cleans_leftovers(void)
{
    char errmsg[ERRMSG_SIZE] = "";
    char path[PATH_MAX];
    struct mn_store *s;
    char *log_text;

    fixture_up();
    s = open_store();
    for (uint64_t id = 1; id <= 4; id++) {
        struct mn_create_mp_req req = create_req(id, id * 100, id * 100 + 99);
        CU_ASSERT_EQUAL(mn_store_create(s, &req, 1, errmsg), 0);
    }
    mn_store_close(s);
    path_of(path, sizeof(path), "partition_2/meta");
    write_file(path, "{\"partition_id\":2,\"vol_na");
    path_of(path, sizeof(path), "partition_3/meta");
    write_file(path, "{\"partition_id\":33,\"start\":1,\"end\":2}");
    path_of(path, sizeof(path), "partition_4/meta");
    write_file(path, "{\"partition_id\":4,\"start\":\"one\",\"end\":2}");
    path_of(path, sizeof(path), "partition_9.tmp");
    CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
    path_of(path, sizeof(path), "partition_1/meta.tmp");
    write_file(path, "{torn");
    path_of(path, sizeof(path), "partition_");
    CU_ASSERT_EQUAL(mkdir(path, 0755), 0);

    CU_ASSERT_EQUAL(log_open(root, "mn_store", NULL), 0);
    log_set_level(LOG_LEVEL_WARN);
    s = open_store();
    log_close();
    log_level_from_env(LOG_LEVEL_OFF);
    snprintf(path, sizeof(path), "%s/mn_store.log", root);
    log_text = test_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(log_text);
    CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "partition_2/meta: invalid JSON"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "partition_3: its meta describes partition 33"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "partition_4/meta: start: expected"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "partition_9.tmp, left by an interrupted"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "partition_: not a partition_<id> name"));
    free(log_text);

    CU_ASSERT_EQUAL(mn_store_count(s), 1);
    CU_ASSERT_PTR_NOT_NULL(mn_store_get(s, 1));
    path_of(path, sizeof(path), "partition_9.tmp");
    CU_ASSERT_FALSE(exists(path));
    mn_store_close(s);
    fixture_down();
}

static void test_open_needs_a_directory(void)
{
    struct mn_store *s = NULL;
    char errmsg[ERRMSG_SIZE] = "";
    char path[PATH_MAX];

    fixture_up();
    snprintf(path, sizeof(path), "%s/file", root);
    write_file(path, "x");
    CU_ASSERT_EQUAL(mn_store_open(path, &s, errmsg), -ENOTDIR);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "is not a directory"));
    fixture_down();
}

static const struct test_case decision_cases[] = {
    {"status_table", test_status_table},
    {NULL, NULL},
};

static const struct test_case store_cases[] = {
    {"create_persists_and_is_idempotent", test_create_persists_and_is_idempotent},
    {"delete_is_idempotent", test_delete_is_idempotent},
    {"update_end", test_update_end},
    {"members_are_idempotent_and_persisted", test_members_are_idempotent_and_persisted},
    {"leader_rule_and_heartbeat", test_leader_rule_and_heartbeat},
    {"load_answer", test_load_answer},
    {"reload_skips_corrupt_and_cleans_leftovers", test_reload_skips_corrupt_and_cleans_leftovers},
    {"open_needs_a_directory", test_open_needs_a_directory},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"mn_decisions", NULL, NULL, decision_cases},
    {"mn_store", NULL, NULL, store_cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

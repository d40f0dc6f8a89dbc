/* dn_store: disk choice and partition status tables, then the store against real directories
 * (two "disks" in a temp dir; the reserve decides which one has room). */
#include "admin_task/node_files.h"
#include "common/errors.h"
#include "common/log.h"
#include "datanode_proto/dn_store.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define SELF    "127.0.0.1:17310"
#define OTHER   "127.0.0.2:17310"
#define THIRD   "127.0.0.3:17310"
#define NEW     "127.0.0.4:17310"
#define GiB     (1024ull * 1024 * 1024)
#define NO_ROOM (UINT64_MAX / 2) /* a reserve no disk has free */

/* ---- pure decisions ---------------------------------------------------------------------- */

static void test_disk_room(void)
{
    static const struct {
        struct dn_disk_space d;
        uint64_t room;
    } rows[] = {
        {{true, 100, 10, 90, 0}, 90},  {{true, 100, 10, 90, 40}, 50},
        {{true, 100, 10, 90, 90}, 0},                                /* reserve eats it all */
        {{true, 100, 10, 90, 200}, 0}, {{false, 100, 10, 90, 0}, 0}, /* statvfs failed */
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        CU_ASSERT_EQUAL(dn_store_disk_room(&rows[i].d), rows[i].room);
    }
}

static void test_choose_disk_table(void)
{
    static const struct {
        const char *name;
        size_t n;
        struct dn_disk_space d[3];
        int want;
    } rows[] = {
        {"one disk with room", 1, {{true, 100, 0, 50, 0}}, 0},
        {"most room wins",
         3,
         {{true, 100, 0, 50, 0}, {true, 100, 0, 80, 0}, {true, 100, 0, 60, 0}},
         1},
        {"room is above the reserve", 2, {{true, 100, 0, 80, 70}, {true, 100, 0, 50, 0}}, 1},
        {"ties go to the first listed", 2, {{true, 100, 0, 50, 0}, {true, 100, 0, 50, 0}}, 0},
        {"a bad disk is never chosen", 2, {{false, 0, 0, 999, 0}, {true, 100, 0, 1, 0}}, 1},
        {"reserve larger than free everywhere",
         2,
         {{true, 100, 0, 50, 50}, {true, 100, 0, 50, 60}},
         -1},
        {"no disks", 0, {{false, 0, 0, 0, 0}}, -1},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int got = dn_store_choose_disk(rows[i].d, rows[i].n);
        if (got != rows[i].want) {
            fprintf(stderr, "\n%s: got %d, want %d\n", rows[i].name, got, rows[i].want);
        }
        CU_ASSERT_EQUAL(got, rows[i].want);
    }
}

static void test_partition_status_table(void)
{
    struct dn_disk_space roomy = {true, 100, 0, 50, 10};
    struct dn_disk_space full = {true, 100, 0, 50, 50};
    struct dn_disk_space bad = {false, 0, 0, 0, 0};

    CU_ASSERT_EQUAL(dn_store_partition_status(&roomy, true), DP_STATUS_READ_WRITE);
    CU_ASSERT_EQUAL(dn_store_partition_status(&full, true), DP_STATUS_READ_ONLY);
    CU_ASSERT_EQUAL(dn_store_partition_status(&bad, true), DP_STATUS_UNAVAILABLE);
    CU_ASSERT_EQUAL(dn_store_partition_status(&roomy, false), DP_STATUS_UNAVAILABLE);
}

static void test_parse_disk(void)
{
    struct dn_disk_conf c = {{0}, 7};
    char errmsg[ERRMSG_SIZE];

    CU_ASSERT_EQUAL(dn_store_parse_disk("/cfs/disk1:10737418240", &c, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(c.path, "/cfs/disk1");
    CU_ASSERT_EQUAL(c.reserved, 10737418240ull);
    CU_ASSERT_EQUAL(dn_store_parse_disk("/cfs/disk2/:0", &c, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(c.path, "/cfs/disk2");
    CU_ASSERT_EQUAL(c.reserved, 0);
    CU_ASSERT_EQUAL(dn_store_parse_disk("/odd:name:5", &c, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(c.path, "/odd:name");

    CU_ASSERT_EQUAL(dn_store_parse_disk("/cfs/disk3", &c, errmsg), -EINVAL);
    CU_ASSERT_STRING_EQUAL(errmsg, "disk \"/cfs/disk3\": expected path:reservedBytes");
    CU_ASSERT_EQUAL(dn_store_parse_disk("/cfs/disk3:", &c, errmsg), -EINVAL);
    CU_ASSERT_EQUAL(dn_store_parse_disk(":5", &c, errmsg), -EINVAL);
    CU_ASSERT_EQUAL(dn_store_parse_disk("/cfs/disk3:12x", &c, errmsg), -EINVAL);
    CU_ASSERT_STRING_EQUAL(errmsg,
                           "disk \"/cfs/disk3:12x\": reserved bytes \"12x\" is not a number");
    CU_ASSERT_STRING_EQUAL(c.path, "/odd:name"); /* untouched on error */
}

/* ---- the store on real directories ------------------------------------------------------- */

static char root[128];
static struct dn_disk_conf disks[2];

static void fixture_up(uint64_t reserve1, uint64_t reserve2)
{
    CU_ASSERT_FATAL(test_mkdtemp(root, sizeof(root), "dn_store") == 0);
    snprintf(disks[0].path, sizeof(disks[0].path), "%s/disk1", root);
    snprintf(disks[1].path, sizeof(disks[1].path), "%s/disk2", root);
    disks[0].reserved = reserve1;
    disks[1].reserved = reserve2;
    CU_ASSERT_FATAL(mkdir(disks[0].path, 0755) == 0);
    CU_ASSERT_FATAL(mkdir(disks[1].path, 0755) == 0);
}

static void fixture_down(void)
{
    test_rmtree(root);
}

static struct dn_store *open_store(void)
{
    struct dn_store *s = NULL;
    char errmsg[ERRMSG_SIZE] = "";

    if (dn_store_open(disks, 2, &s, errmsg) != 0) {
        fprintf(stderr, "\ndn_store_open: %s\n", errmsg);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

static struct dn_create_dp_req create_req(uint64_t id, uint64_t size, const char *vol)
{
    struct dn_create_dp_req r = {0};
    const char *addrs[3] = {SELF, OTHER, THIRD};

    r.partition_id = id;
    r.partition_size = size;
    snprintf(r.volume_id, sizeof(r.volume_id), "%s", vol);
    r.replica_num = 3;
    for (uint32_t i = 0; i < 3; i++) {
        r.members[i].id = 4 + i;
        snprintf(r.members[i].addr, sizeof(r.members[i].addr), "%s", addrs[i]);
        snprintf(r.hosts[i], sizeof(r.hosts[i]), "%s", addrs[i]);
    }
    r.nmembers = 3;
    r.nhosts = 3;
    return r;
}

static void path_of(char *buf, size_t size, const char *disk, const char *name)
{
    CU_ASSERT_FATAL((size_t)snprintf(buf, size, "%s/%s", disk, name) < size);
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

static void test_create_picks_roomy_disk_and_persists(void)
{
    struct dn_create_dp_req req = create_req(7, 120 * GiB, "vol1");
    struct dn_partition meta = {0};
    char errmsg[ERRMSG_SIZE] = "";
    char path[PATH_MAX];
    const char *disk = NULL;
    struct dn_store *s;

    fixture_up(NO_ROOM, 0); /* only disk2 has room */
    s = open_store();
    CU_ASSERT_EQUAL(dn_store_create(s, &req, 1795374010, &disk, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(disk, disks[1].path);
    path_of(path, sizeof(path), disks[1].path, "datapartition_7_128849018880/META");
    CU_ASSERT_EQUAL(node_files_read_json(path, dn_partition_fields, &meta, errmsg), 0);
    CU_ASSERT_EQUAL(meta.partition_id, 7);
    CU_ASSERT_EQUAL(meta.size, 120 * GiB);
    CU_ASSERT_STRING_EQUAL(meta.vol_name, "vol1");
    CU_ASSERT_EQUAL(meta.replica_num, 3);
    CU_ASSERT_EQUAL(meta.npeers, 3);
    CU_ASSERT_STRING_EQUAL(meta.peers[1].addr, OTHER);
    CU_ASSERT_EQUAL(meta.peers[1].id, 5);
    CU_ASSERT_EQUAL(meta.nhosts, 3);
    CU_ASSERT_STRING_EQUAL(meta.hosts[2], THIRD);
    CU_ASSERT_EQUAL(meta.create_time, 1795374010);
    CU_ASSERT_FALSE(meta.leader_marked);
    /* Nothing staged is left behind. */
    path_of(path, sizeof(path), disks[1].path, "datapartition_7_128849018880.tmp");
    CU_ASSERT_FALSE(exists(path));
    path_of(path, sizeof(path), disks[1].path, "datapartition_7_128849018880/META.tmp");
    CU_ASSERT_FALSE(exists(path));
    CU_ASSERT_EQUAL(dn_store_count(s), 1);
    dn_store_close(s);
    fixture_down();
}

static void test_create_is_idempotent_and_reports_no_space(void)
{
    struct dn_create_dp_req req = create_req(7, 1024, "vol1");
    struct dn_create_dp_req other = create_req(8, 1024, "vol1");
    char errmsg[ERRMSG_SIZE] = "";
    const char *disk = NULL;
    const char *again = NULL;
    const char *untouched = "untouched";
    struct dn_store *s;

    fixture_up(0, NO_ROOM);
    s = open_store();
    CU_ASSERT_EQUAL(dn_store_create(s, &req, 1, &disk, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(disk, disks[0].path);
    dn_store_close(s);

    /* Now no disk has room: a resent create of the same id still answers its disk... */
    disks[0].reserved = NO_ROOM;
    s = open_store();
    CU_ASSERT_EQUAL(dn_store_create(s, &req, 2, &again, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(again, disks[0].path);
    CU_ASSERT_EQUAL(dn_store_get(s, 7, NULL)->create_time, 1); /* not rewritten */
    /* ...and a new one is refused with CubeFS's message. */
    CU_ASSERT_EQUAL(dn_store_create(s, &other, 2, &untouched, errmsg), -ENOSPC);
    CU_ASSERT_STRING_EQUAL(errmsg, "no space left on any disk");
    CU_ASSERT_STRING_EQUAL(untouched, "untouched");
    CU_ASSERT_EQUAL(dn_store_count(s), 1);
    dn_store_close(s);
    fixture_down();
}

static void test_delete_is_idempotent(void)
{
    struct dn_create_dp_req req = create_req(7, 1024, "vol1");
    char errmsg[ERRMSG_SIZE] = "";
    char path[PATH_MAX];
    const char *disk = NULL;
    struct dn_store *s;

    fixture_up(0, NO_ROOM);
    s = open_store();
    CU_ASSERT_EQUAL(dn_store_create(s, &req, 1, &disk, errmsg), 0);
    path_of(path, sizeof(path), disks[0].path, "datapartition_7_1024");
    CU_ASSERT_TRUE(exists(path));
    CU_ASSERT_EQUAL(dn_store_delete(s, 7, errmsg), 0);
    CU_ASSERT_FALSE(exists(path));
    path_of(path, sizeof(path), disks[0].path, "datapartition_7_1024.del");
    CU_ASSERT_FALSE(exists(path));
    CU_ASSERT_EQUAL(dn_store_count(s), 0);
    CU_ASSERT_PTR_NULL(dn_store_get(s, 7, NULL));
    CU_ASSERT_EQUAL(dn_store_delete(s, 7, errmsg), 0);
    CU_ASSERT_EQUAL(dn_store_delete(s, 12345, errmsg), 0);
    dn_store_close(s);
    s = open_store();
    CU_ASSERT_EQUAL(dn_store_count(s), 0);
    dn_store_close(s);
    fixture_down();
}

static void test_members_are_idempotent_and_persisted(void)
{
    struct dn_create_dp_req req = create_req(7, 1024, "vol1");
    struct task_peer added = {9, NEW};
    struct task_peer removed = {5, OTHER};
    struct task_peer extra = {200, "127.0.2.1:17310"};
    char errmsg[ERRMSG_SIZE] = "";
    char want[ERRMSG_SIZE];
    char meta_path[PATH_MAX];
    const struct dn_partition *p;
    const char *disk = NULL;
    struct dn_store *s;
    ino_t ino;

    fixture_up(0, NO_ROOM);
    s = open_store();
    CU_ASSERT_EQUAL(dn_store_create(s, &req, 1, &disk, errmsg), 0);
    path_of(meta_path, sizeof(meta_path), disks[0].path, "datapartition_7_1024/META");

    CU_ASSERT_EQUAL(dn_store_add_member(s, 7, &added, errmsg), 0);
    ino = inode_of(meta_path);
    CU_ASSERT_EQUAL(dn_store_add_member(s, 7, &added, errmsg), 0);
    CU_ASSERT_EQUAL(inode_of(meta_path), ino); /* a resent add rewrites nothing */
    CU_ASSERT_EQUAL(dn_store_remove_member(s, 7, &removed, errmsg), 0);
    ino = inode_of(meta_path);
    CU_ASSERT_EQUAL(dn_store_remove_member(s, 7, &removed, errmsg), 0);
    CU_ASSERT_EQUAL(inode_of(meta_path), ino);

    CU_ASSERT_EQUAL(dn_store_add_member(s, 99, &added, errmsg), CFS_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(errmsg, "data partition 99 not exists");
    CU_ASSERT_EQUAL(dn_store_remove_member(s, 99, &added, errmsg), CFS_ENOTFOUND);
    dn_store_close(s);

    s = open_store();
    p = dn_store_get(s, 7, &disk);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_STRING_EQUAL(disk, disks[0].path);
    CU_ASSERT_EQUAL(p->npeers, 3);
    CU_ASSERT_STRING_EQUAL(p->peers[0].addr, SELF);
    CU_ASSERT_STRING_EQUAL(p->peers[1].addr, THIRD);
    CU_ASSERT_STRING_EQUAL(p->peers[2].addr, NEW);
    CU_ASSERT_EQUAL(p->peers[2].id, 9);
    CU_ASSERT_EQUAL(p->nhosts, 3);
    CU_ASSERT_STRING_EQUAL(p->hosts[0], SELF);
    CU_ASSERT_STRING_EQUAL(p->hosts[1], THIRD);
    CU_ASSERT_STRING_EQUAL(p->hosts[2], NEW);

    /* A full member list refuses one more, and the file keeps what it had. */
    for (uint32_t i = 3; i < TASK_MAX_MEMBERS; i++) {
        struct task_peer more = {100 + i, ""};
        snprintf(more.addr, sizeof(more.addr), "127.0.1.%u:17310", i);
        CU_ASSERT_EQUAL(dn_store_add_member(s, 7, &more, errmsg), 0);
    }
    ino = inode_of(meta_path);
    CU_ASSERT_EQUAL(dn_store_add_member(s, 7, &extra, errmsg), -ENOSPC);
    snprintf(want, sizeof(want), "data partition 7: cannot add %s: %s", extra.addr,
             strerror(ENOSPC));
    CU_ASSERT_STRING_EQUAL(errmsg, want);
    CU_ASSERT_EQUAL(inode_of(meta_path), ino);
    CU_ASSERT_EQUAL(dn_store_get(s, 7, NULL)->npeers, TASK_MAX_MEMBERS);
    dn_store_close(s);
    fixture_down();
}

static const struct dn_partition_report *report_of(const struct dn_heartbeat_resp *r, uint64_t id)
{
    for (uint32_t i = 0; i < r->nreports; i++) {
        if (r->reports[i].partition_id == id) {
            return &r->reports[i];
        }
    }
    return NULL;
}

static void test_leader_rule(void)
{
    struct dn_create_dp_req first = create_req(7, 1024, "vol1");
    struct dn_create_dp_req second = create_req(8, 1024, "vol1");
    struct dn_heartbeat_resp hb = {0};
    char errmsg[ERRMSG_SIZE] = "";
    const char *disk = NULL;
    struct dn_store *s;

    fixture_up(0, NO_ROOM);
    /* Partition 8 lists OTHER first. */
    second.members[0] = first.members[1];
    second.members[1] = first.members[0];
    s = open_store();
    CU_ASSERT_EQUAL(dn_store_create(s, &first, 1, &disk, errmsg), 0);
    CU_ASSERT_EQUAL(dn_store_create(s, &second, 1, &disk, errmsg), 0);
    CU_ASSERT_EQUAL(dn_store_heartbeat(s, SELF, &hb, errmsg), 0);
    CU_ASSERT_TRUE(report_of(&hb, 7)->is_leader);
    CU_ASSERT_FALSE(report_of(&hb, 8)->is_leader);
    jc_free(dn_heartbeat_resp_fields, &hb);

    CU_ASSERT_EQUAL(dn_store_mark_leader(s, 8, errmsg), 0);
    CU_ASSERT_EQUAL(dn_store_mark_leader(s, 8, errmsg), 0);
    CU_ASSERT_EQUAL(dn_store_mark_leader(s, 99, errmsg), CFS_ENOTFOUND);
    dn_store_close(s);
    s = open_store(); /* the mark survives a restart */
    CU_ASSERT_EQUAL(dn_store_heartbeat(s, SELF, &hb, errmsg), 0);
    CU_ASSERT_TRUE(report_of(&hb, 8)->is_leader);
    jc_free(dn_heartbeat_resp_fields, &hb);
    /* The same store seen from the other replica's address. */
    CU_ASSERT_EQUAL(dn_store_heartbeat(s, OTHER, &hb, errmsg), 0);
    CU_ASSERT_FALSE(report_of(&hb, 7)->is_leader);
    jc_free(dn_heartbeat_resp_fields, &hb);
    dn_store_close(s);
    fixture_down();
}

static void test_reload_skips_corrupt_and_cleans_leftovers(void)
{
    struct dn_create_dp_req good = create_req(7, 1024, "vol1");
    struct dn_create_dp_req garbage = create_req(8, 1024, "vol1");
    struct dn_create_dp_req wrong_id = create_req(9, 1024, "vol1");
    struct dn_create_dp_req no_meta = create_req(10, 1024, "vol1");
    char errmsg[ERRMSG_SIZE] = "";
    char path[PATH_MAX];
    char other[PATH_MAX];
    const char *disk = NULL;
    struct dn_store *s;
    char *log_text;

    fixture_up(0, NO_ROOM);
    s = open_store();
    CU_ASSERT_EQUAL(dn_store_create(s, &good, 1, &disk, errmsg), 0);
    CU_ASSERT_EQUAL(dn_store_create(s, &garbage, 1, &disk, errmsg), 0);
    CU_ASSERT_EQUAL(dn_store_create(s, &wrong_id, 1, &disk, errmsg), 0);
    CU_ASSERT_EQUAL(dn_store_create(s, &no_meta, 1, &disk, errmsg), 0);
    dn_store_close(s);

    /* A torn write would look like this if META were written in place. */
    path_of(path, sizeof(path), disks[0].path, "datapartition_8_1024/META");
    write_file(path, "{\"VolumeID\":\"vol1\",\"PartitionID\":8,\"Partit");
    /* A directory whose META belongs to another partition. */
    path_of(path, sizeof(path), disks[0].path, "datapartition_9_1024/META");
    path_of(other, sizeof(other), disks[0].path, "datapartition_7_1024/META");
    CU_ASSERT_EQUAL(unlink(path), 0);
    CU_ASSERT_EQUAL(link(other, path), 0);
    path_of(path, sizeof(path), disks[0].path, "datapartition_10_1024/META");
    CU_ASSERT_EQUAL(unlink(path), 0);
    /* Names that are not partitions, and leftovers of an interrupted create and delete. */
    path_of(path, sizeof(path), disks[0].path, "datapartition_x");
    CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
    path_of(path, sizeof(path), disks[1].path, "lost+found");
    CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
    path_of(path, sizeof(path), disks[1].path, "datapartition_11_1024.tmp");
    CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
    path_of(path, sizeof(path), disks[1].path, "datapartition_12_1024.del");
    CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
    path_of(path, sizeof(path), disks[1].path, "datapartition_12_1024.del/1");
    write_file(path, "extent");
    /* A leftover META.tmp next to a good META. */
    path_of(path, sizeof(path), disks[0].path, "datapartition_7_1024/META.tmp");
    write_file(path, "{torn");

    /* Capture the log to check that every skip says why. */
    CU_ASSERT_EQUAL(log_open(root, "dn_store", NULL), 0);
    log_set_level(LOG_LEVEL_WARN);
    s = open_store();
    log_close();
    log_level_from_env(LOG_LEVEL_OFF);
    path_of(path, sizeof(path), root, "dn_store.log");
    log_text = test_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(log_text);
    CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "datapartition_8_1024/META: invalid JSON"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(log_text, "datapartition_9_1024: its META describes partition 7"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "datapartition_10_1024/META: No such file"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "datapartition_x: not a datapartition_<id>_<size>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "datapartition_11_1024.tmp, left by an interrupted"));
    free(log_text);

    CU_ASSERT_EQUAL(dn_store_count(s), 1);
    CU_ASSERT_PTR_NOT_NULL(dn_store_get(s, 7, NULL));
    CU_ASSERT_PTR_NULL(dn_store_get(s, 8, NULL));
    CU_ASSERT_PTR_NULL(dn_store_get(s, 9, NULL));
    CU_ASSERT_PTR_NULL(dn_store_get(s, 10, NULL));
    path_of(path, sizeof(path), disks[1].path, "datapartition_11_1024.tmp");
    CU_ASSERT_FALSE(exists(path));
    path_of(path, sizeof(path), disks[1].path, "datapartition_12_1024.del");
    CU_ASSERT_FALSE(exists(path));
    path_of(path, sizeof(path), disks[1].path, "lost+found");
    CU_ASSERT_TRUE(exists(path));
    dn_store_close(s);
    fixture_down();
}

/* A child process rewrites META over and over and is killed with SIGKILL after a growing number
 * of commits; every time, the partition must load whole, in one of its two states. */
static void test_kill9_mid_update_leaves_whole_meta(void)
{
    struct dn_create_dp_req req = create_req(7, 1024, "vol1");
    char errmsg[ERRMSG_SIZE] = "";
    const char *disk = NULL;
    struct dn_store *s;

    fixture_up(0, NO_ROOM);
    s = open_store();
    CU_ASSERT_EQUAL_FATAL(dn_store_create(s, &req, 1, &disk, errmsg), 0);
    dn_store_close(s);
    for (int round = 0; round < 20; round++) {
        const struct dn_partition *p;
        int fds[2];
        pid_t pid;
        char c;

        CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
        pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
            struct task_peer peer = {9, NEW};
            struct dn_store *child;
            close(fds[0]);
            if (dn_store_open(disks, 2, &child, NULL) != 0) {
                _exit(1);
            }
            for (unsigned i = 0;; i++) {
                int rv = i % 2 == 0 ? dn_store_add_member(child, 7, &peer, NULL)
                                    : dn_store_remove_member(child, 7, &peer, NULL);
                if (rv != 0 || write(fds[1], "x", 1) != 1) {
                    _exit(1);
                }
            }
        }
        close(fds[1]);
        /* Wait for round + 1 commits, then kill it wherever the next update has got to. */
        for (int k = 0; k <= round; k++) {
            CU_ASSERT_EQUAL(read(fds[0], &c, 1), 1);
        }
        kill(pid, SIGKILL);
        CU_ASSERT_EQUAL(waitpid(pid, NULL, 0), pid);
        close(fds[0]);

        s = open_store();
        p = dn_store_get(s, 7, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT_TRUE(p->npeers == 3 || p->npeers == 4);
        CU_ASSERT_EQUAL(p->nhosts, p->npeers);
        dn_store_close(s);
    }
    fixture_down();
}

static void test_open_rejects_bad_disks(void)
{
    struct dn_store *s = NULL;
    struct dn_disk_conf twice[2];
    char errmsg[ERRMSG_SIZE] = "";

    fixture_up(0, 0);
    twice[0] = disks[0];
    twice[1] = disks[0];
    CU_ASSERT_EQUAL(dn_store_open(twice, 2, &s, errmsg), -EINVAL);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "is listed twice"));
    snprintf(twice[1].path, sizeof(twice[1].path), "%s/missing", root);
    CU_ASSERT_EQUAL(dn_store_open(twice, 2, &s, errmsg), -ENOTDIR);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "/missing: not a directory"));
    CU_ASSERT_EQUAL(dn_store_open(twice, 0, &s, errmsg), -EINVAL);
    CU_ASSERT_PTR_NULL(s);
    fixture_down();
}

static const struct dn_file_crc *file_of(const struct dn_load_dp_resp *r, const char *name)
{
    for (uint32_t i = 0; i < r->nfiles; i++) {
        if (strcmp(r->files[i].name, name) == 0) {
            return &r->files[i];
        }
    }
    return NULL;
}

static void test_used_and_crc_figures(void)
{
    struct dn_create_dp_req req = create_req(7, 1024, "vol1");
    struct dn_load_dp_resp load = {0};
    struct dn_heartbeat_resp hb = {0};
    const struct dn_partition_report *rep;
    char errmsg[ERRMSG_SIZE] = "";
    char path[PATH_MAX];
    const char *disk = NULL;
    struct dn_store *s;
    struct stat st;

    fixture_up(0, NO_ROOM);
    s = open_store();
    CU_ASSERT_EQUAL(dn_store_create(s, &req, 1, &disk, errmsg), 0);
    path_of(path, sizeof(path), disks[0].path, "datapartition_7_1024/1");
    write_file(path, "123456789");
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    path_of(path, sizeof(path), disks[0].path, "datapartition_7_1024/2");
    write_file(path, "");
    path_of(path, sizeof(path), disks[0].path, "datapartition_7_1024/subdir");
    CU_ASSERT_EQUAL(mkdir(path, 0755), 0); /* not a data file */

    CU_ASSERT_EQUAL(dn_store_load(s, 7, &load, errmsg), 0);
    CU_ASSERT_EQUAL(load.partition_id, 7);
    CU_ASSERT_EQUAL(load.used, 9);
    CU_ASSERT_EQUAL(load.nfiles, 2);
    CU_ASSERT_EQUAL(load.status, TASK_SUCCEEDS);
    CU_ASSERT_EQUAL(load.partition_status, DP_STATUS_READ_WRITE);
    CU_ASSERT_STRING_EQUAL(load.vol_name, "vol1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(file_of(&load, "1"));
    CU_ASSERT_EQUAL(file_of(&load, "1")->crc, 0xCBF43926u);
    CU_ASSERT_EQUAL(file_of(&load, "1")->size, 9);
    CU_ASSERT_EQUAL(file_of(&load, "1")->modified, (int64_t)st.st_mtime);
    CU_ASSERT_PTR_NOT_NULL_FATAL(file_of(&load, "2"));
    CU_ASSERT_EQUAL(file_of(&load, "2")->crc, 0);
    CU_ASSERT_PTR_NULL(file_of(&load, "META"));
    jc_free(dn_load_dp_resp_fields, &load);
    CU_ASSERT_EQUAL(dn_store_load(s, 99, &load, errmsg), CFS_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(errmsg, "data partition 99 not exists");

    CU_ASSERT_EQUAL(dn_store_heartbeat(s, SELF, &hb, errmsg), 0);
    rep = report_of(&hb, 7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
    CU_ASSERT_EQUAL(rep->used, 9);
    CU_ASSERT_EQUAL(rep->extent_count, 2);
    CU_ASSERT_EQUAL(rep->total, 1024);
    CU_ASSERT_STRING_EQUAL(rep->disk_path, disks[0].path);
    CU_ASSERT_STRING_EQUAL(rep->vol_name, "vol1");
    CU_ASSERT_EQUAL(rep->partition_status, DP_STATUS_READ_WRITE);
    jc_free(dn_heartbeat_resp_fields, &hb);

    /* A partition whose directory vanished is Unavailable, not fatal. */
    path_of(path, sizeof(path), disks[0].path, "datapartition_7_1024");
    CU_ASSERT_EQUAL(test_rmtree(path), 0);
    CU_ASSERT_EQUAL(dn_store_heartbeat(s, SELF, &hb, errmsg), 0);
    CU_ASSERT_EQUAL(report_of(&hb, 7)->partition_status, DP_STATUS_UNAVAILABLE);
    jc_free(dn_heartbeat_resp_fields, &hb);
    dn_store_close(s);
    fixture_down();
}

static void test_heartbeat_space_figures(void)
{
    struct dn_create_dp_req a = create_req(7, 3000, "vol1");
    struct dn_create_dp_req b = create_req(8, 5000, "vol2");
    struct dn_heartbeat_resp hb = {0};
    char errmsg[ERRMSG_SIZE] = "";
    const char *disk = NULL;
    struct dn_store *s;
    struct statvfs st;
    uint64_t total;
    uint64_t avail;
    const uint64_t tolerance = 64ull * 1024 * 1024;

    fixture_up(0, NO_ROOM);
    s = open_store();
    CU_ASSERT_EQUAL(dn_store_create(s, &a, 1, &disk, errmsg), 0);
    CU_ASSERT_EQUAL(dn_store_create(s, &b, 1, &disk, errmsg), 0);
    CU_ASSERT_EQUAL(dn_store_heartbeat(s, SELF, &hb, errmsg), 0);
    CU_ASSERT_EQUAL_FATAL(statvfs(root, &st), 0);
    total = (uint64_t)st.f_blocks * st.f_frsize;
    avail = (uint64_t)st.f_bavail * st.f_frsize;

    /* Both disks sit on the temp dir's file system; disk2's reserve leaves it no room. */
    CU_ASSERT_EQUAL(hb.total, 2 * total);
    CU_ASSERT_TRUE(hb.available + tolerance >= avail && hb.available <= avail + tolerance);
    CU_ASSERT_EQUAL(hb.max_capacity, hb.available);
    CU_ASSERT_TRUE(hb.used > 0 && hb.used <= hb.total);
    CU_ASSERT_EQUAL(hb.total_partition_size, 8000);
    CU_ASSERT_EQUAL(hb.remaining_capacity, hb.available - 8000);
    CU_ASSERT_EQUAL(hb.created_partition_cnt, 2);
    CU_ASSERT_EQUAL(hb.nreports, 2);
    CU_ASSERT_EQUAL(hb.reports[0].partition_id, 7); /* in id order */
    CU_ASSERT_EQUAL(hb.reports[1].partition_id, 8);
    CU_ASSERT_EQUAL(hb.nall_disks, 2);
    CU_ASSERT_STRING_EQUAL(hb.all_disks[0], disks[0].path);
    CU_ASSERT_STRING_EQUAL(hb.all_disks[1], disks[1].path);
    CU_ASSERT_EQUAL(hb.ndisk_stats, 2);
    CU_ASSERT_EQUAL(hb.disk_stats[0].total, total);
    CU_ASSERT_EQUAL(hb.disk_stats[0].status, DP_STATUS_READ_WRITE);
    CU_ASSERT_EQUAL(hb.disk_stats[1].available, 0);
    CU_ASSERT_EQUAL(hb.disk_stats[1].status, DP_STATUS_READ_ONLY);
    CU_ASSERT_EQUAL(hb.nbad_disks, 0);
    jc_free(dn_heartbeat_resp_fields, &hb);
    dn_store_close(s);

    /* The same partitions on a disk with no room left report ReadOnly. */
    disks[0].reserved = NO_ROOM;
    s = open_store();
    CU_ASSERT_EQUAL(dn_store_heartbeat(s, SELF, &hb, errmsg), 0);
    CU_ASSERT_EQUAL(hb.available, 0);
    CU_ASSERT_EQUAL(hb.max_capacity, 0);
    CU_ASSERT_EQUAL(hb.reports[0].partition_status, DP_STATUS_READ_ONLY);
    CU_ASSERT_EQUAL(hb.reports[1].partition_status, DP_STATUS_READ_ONLY);
    jc_free(dn_heartbeat_resp_fields, &hb);
    dn_store_close(s);
    fixture_down();
}

static const struct test_case decision_cases[] = {
    {"disk_room", test_disk_room},
    {"choose_disk_table", test_choose_disk_table},
    {"partition_status_table", test_partition_status_table},
    {"parse_disk", test_parse_disk},
    {NULL, NULL},
};

static const struct test_case store_cases[] = {
    {"create_picks_roomy_disk_and_persists", test_create_picks_roomy_disk_and_persists},
    {"create_is_idempotent_and_reports_no_space", test_create_is_idempotent_and_reports_no_space},
    {"delete_is_idempotent", test_delete_is_idempotent},
    {"members_are_idempotent_and_persisted", test_members_are_idempotent_and_persisted},
    {"leader_rule", test_leader_rule},
    {"reload_skips_corrupt_and_cleans_leftovers", test_reload_skips_corrupt_and_cleans_leftovers},
    {"kill9_mid_update_leaves_whole_meta", test_kill9_mid_update_leaves_whole_meta},
    {"open_rejects_bad_disks", test_open_rejects_bad_disks},
    {"used_and_crc_figures", test_used_and_crc_figures},
    {"heartbeat_space_figures", test_heartbeat_space_figures},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"dn_decisions", NULL, NULL, decision_cases},
    {"dn_store", NULL, NULL, store_cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

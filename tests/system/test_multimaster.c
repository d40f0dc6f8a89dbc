/* System test of three masters answering through any of them: three cfs-master, three
 * cfs-datanode and three cfs-metanode processes.
 *
 * Suite redirect (followerRead on): one leader is elected and every master agrees on it and on the
 * members' roles; a representative list of routes (reads and writes, GET and POST, form and JSON
 * bodies) sent to a follower answers 307 with the leader's URL, and the same as the leader once
 * the redirect is followed (libcurl, and once the curl binary with -L); the writes took effect.
 * The client reads are answered by the follower itself from its copy of the leader's views, the
 * same as the leader's, and a volume the copy does not know yet goes to the leader. With two of
 * the three masters down, the survivor answers leader routes 503 with Retry-After and code 33,
 * serves its copy only until it is stale, and still serves /admin/getIp and /metrics.
 *
 * Suite proxy (leaderForward proxy, followerRead off): the same routes sent to a follower answer
 * 200 without a redirect, the same as the leader; with no leader, 503 as well. */
#include "tests/support/cluster_env.h"
#include "tests/support/masters.h"
#include "tests/support/test_support.h"

#include "common/clock.h"
#include "common/digest.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 20000
#define OWNER   "mmowner"

static struct cenv env;
static int leader = -1;
static int follower = -1;
static char auth_key[DIGEST_MD5_HEX_SIZE];

/* --- cluster ---------------------------------------------------------------------------------- */

static int start_cluster(const char *name, const char *extra)
{
    if (cenv_init(&env, name, 3) != 0) {
        return -1;
    }
    snprintf(env.master_extra, sizeof(env.master_extra), "%s", extra);
    if (cenv_up(&env, 3, 3, WAIT_MS) != 0 || digest_md5_hex(OWNER, strlen(OWNER), auth_key) != 0) {
        return -1;
    }
    leader = cenv_wait_leader(&env, WAIT_MS);
    follower = (leader + 1) % 3;
    return leader >= 0 && mm_wait_same_state(&env, WAIT_MS) ? 0 : -1;
}

static int redirect_init(void)
{
    return start_cluster("mm_redirect", "\"followerRead\":true");
}

static int proxy_init(void)
{
    return start_cluster("mm_proxy", "\"leaderForward\":\"proxy\"");
}

static int suite_cleanup(void)
{
    cenv_close(&env);
    return 0;
}

/* --- helpers ---------------------------------------------------------------------------------- */

static const char *addr_of(int i)
{
    return env.masters[i].addr;
}

/* A request to master i (GET when body is NULL). */
__attribute__((format(printf, 6, 7))) static long ask(int i, bool follow, const char *body,
                                                      const char *ctype, struct cenv_reply *r,
                                                      const char *fmt, ...)
{
    char path[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    return cenv_request(addr_of(i), path, body, ctype, follow, r);
}

/* GET on the leader; the data of a code-0 answer (asserted). */
__attribute__((format(printf, 1, 2))) static json_t *leader_ok(const char *fmt, ...)
{
    char path[1024];
    struct cenv_reply r;
    json_t *data = NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    cenv_request(addr_of(leader), path, NULL, NULL, false, &r);
    if (r.status != 200 || r.code != 0) {
        fprintf(stderr, "leader %s: HTTP %ld code %d %s\n", path, r.status, r.code, r.msg);
    }
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_EQUAL(r.code, 0);
    if (r.code == 0) {
        data = json_incref(r.data);
    }
    cenv_reply_clear(&r);
    return data;
}

/* --- one leader ------------------------------------------------------------------------------- */

static void test_one_leader(void)
{
    size_t leaders = 0;
    json_t *cluster, *list, *item;
    size_t i;

    for (int m = 0; m < 3; m++) {
        json_t *s = mm_status(&env, (size_t)m);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        leaders += strcmp(cenv_str(s, "State"), "leader") == 0;
        CU_ASSERT_EQUAL(json_is_true(json_object_get(s, "Ready")), m == leader);
        CU_ASSERT_EQUAL(cenv_u64(s, "LeaderID"), env.master_ids[leader]);
        CU_ASSERT_STRING_EQUAL(cenv_str(s, "LeaderAddr"), addr_of(leader));
        list = json_object_get(s, "Members");
        CU_ASSERT_EQUAL(json_array_size(list), 3);
        json_array_foreach(list, i, item)
        {
            CU_ASSERT_STRING_EQUAL(cenv_str(item, "Role"), "voter");
            CU_ASSERT_EQUAL(json_is_true(json_object_get(item, "Leader")),
                            cenv_u64(item, "ID") == env.master_ids[leader]);
            CU_ASSERT_STRING_EQUAL(cenv_str(item, "Addr"), addr_of((int)cenv_u64(item, "ID") - 1));
        }
        json_decref(s);
    }
    CU_ASSERT_EQUAL(leaders, 1);

    /* getCluster names the leader and lists the three masters. */
    cluster = leader_ok("/admin/getCluster");
    CU_ASSERT_STRING_EQUAL(cenv_str(cluster, "LeaderAddr"), addr_of(leader));
    list = json_object_get(cluster, "MasterNodes");
    CU_ASSERT_EQUAL(json_array_size(list), 3);
    json_array_foreach(list, i, item)
    {
        int id = (int)cenv_u64(item, "ID");
        CU_ASSERT_STRING_EQUAL(cenv_str(item, "Addr"), addr_of(id - 1));
        CU_ASSERT_TRUE(json_is_true(json_object_get(item, "Status")));
        CU_ASSERT_STRING_EQUAL(cenv_str(item, "Role"), id - 1 == leader ? "leader" : "follower");
    }
    json_decref(cluster);
}

/* --- the masters' own routes ------------------------------------------------------------------ */

static void expect_leader_error(const char *path, int code, const char *msg)
{
    struct cenv_reply r;

    cenv_request(addr_of(leader), path, NULL, NULL, false, &r);
    if (r.code != code || strcmp(r.msg, msg) != 0) {
        fprintf(stderr, "%s: got %d \"%s\", want %d \"%s\"\n", path, r.code, r.msg, code, msg);
    }
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_EQUAL(r.code, code);
    CU_ASSERT_STRING_EQUAL(r.msg, msg);
    cenv_reply_clear(&r);
}

/* Membership parameters (missing, malformed, unknown member, a member already), and the copy
 * followers take of the leader's views. */
static void test_raft_routes(void)
{
    char path[256], want[160];
    struct cenv_reply r;

    expect_leader_error("/raftNode/add", 2, "parameter id not found");
    expect_leader_error("/raftNode/remove?id=x&addr=127.0.0.1:1", 2,
                        "strconv.ParseUint: parsing \"x\": invalid syntax");
    expect_leader_error("/raftNode/add?id=18446744073709551615&addr=127.0.0.1:1", 2,
                        "strconv.ParseUint: parsing \"18446744073709551615\": value out of range");
    expect_leader_error("/raftNode/add?id=9", 2, "parameter addr not found");
    expect_leader_error("/raftNode/add?id=9&addr=nope", 2, "parameter addr not match");
    expect_leader_error("/raftNode/add?id=9&addr=127.0.0.1:1000&raftAddr=nope", 2,
                        "parameter raftAddr not match");
    expect_leader_error("/raftNode/add?id=9&addr=127.0.0.1:60000", 2,
                        "parameter raftAddr not found (addr's port leaves no room for the default "
                        "raft port)");
    /* A removal needs no Raft address, whatever the HTTP port. */
    expect_leader_error("/raftNode/remove?id=9&addr=127.0.0.1:60000", 2,
                        "raft node id 9 is not a member");
    snprintf(path, sizeof(path), "/raftNode/add?id=%llu&addr=%s&raftAddr=127.0.0.1:%u",
             (unsigned long long)env.master_ids[follower], addr_of(follower),
             env.raft_ports[follower]);
    cenv_request(addr_of(leader), path, NULL, NULL, false, &r);
    CU_ASSERT_EQUAL(r.code, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.msg, "is already a member"));
    cenv_reply_clear(&r);
    /* A new id at a member's Raft address would make two members of one address. */
    snprintf(path, sizeof(path), "/raftNode/add?id=9&addr=127.0.0.1:1000&raftAddr=127.0.0.1:%u",
             env.raft_ports[follower]);
    snprintf(want, sizeof(want), "raftAddr 127.0.0.1:%u is already the address of raft node %llu",
             env.raft_ports[follower], (unsigned long long)env.master_ids[follower]);
    expect_leader_error(path, 2, want);

    /* The copy: from the leader only, binary, with the applied index it goes with. */
    cenv_request(addr_of(leader), "/internal/clientViews", NULL, NULL, false, &r);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.ctype, "application/octet-stream");
    CU_ASSERT_TRUE(r.len > 10);
    cenv_reply_clear(&r);
    cenv_request(addr_of(follower), "/internal/clientViews", NULL, NULL, false, &r);
    CU_ASSERT_EQUAL(r.status, 307);
    cenv_reply_clear(&r);
}

/* --- routes through a follower ---------------------------------------------------------------- */

struct route {
    const char *path; /* %1$s: volume, %2$s: auth key (formatted by expand) */
    const char *body; /* NULL: GET */
    const char *ctype;
    bool client_read; /* a follower-read route */
    bool compare;     /* the data must equal the leader's */
};

static const char *const JSON_TYPE = "application/json";

/* The representative list: reads of every group, then writes (each checked afterwards). */
static const struct route routes[] = {
    {"/admin/getCluster", NULL, NULL, false, false},
    {"/admin/getVol?name=mmvol", NULL, NULL, false, true},
    {"/vol/list", NULL, NULL, false, true},
    {"/client/vol?name=mmvol&authKey=@K", NULL, NULL, true, true},
    {"/client/volStat?name=mmvol", NULL, NULL, true, true},
    {"/client/partitions?name=mmvol", NULL, NULL, true, true},
    {"/client/metaPartitions?name=mmvol", NULL, NULL, true, true},
    {"/dataPartition/get?id=@D", NULL, NULL, false, false},
    {"/metaPartition/get?id=@M", NULL, NULL, false, false},
    {"/dataNode/get?addr=@N", NULL, NULL, false, false},
    {"/admin/cluster/getAllDataNodes", NULL, NULL, false, false},
    {"/admin/cluster/getAllMetaNodes", NULL, NULL, false, false},
    {"/cluster/stat", NULL, NULL, false, false},
    {"/topo/get", NULL, NULL, false, false},
    {"/nodeSet/list", NULL, NULL, false, false},
    {"/admin/getNodeInfo", NULL, NULL, false, false},
    {"/dataPartition/diagnose", NULL, NULL, false, false},
    {"/user/list", NULL, NULL, false, true},
    {"/admin/createVol?name=@Pget&owner=" OWNER "&capacity=10&mpCount=1&dpCount=1", NULL, NULL,
     false, false},
    {"/admin/createVol", "name=@Ppost&owner=" OWNER "&capacity=10&mpCount=1&dpCount=1", NULL, false,
     false},
    {"/dataPartition/create?name=mmvol&count=1", NULL, NULL, false, false},
    {"/vol/update", "name=mmvol&authKey=@K&capacity=10&description=@Pdesc", NULL, false, false},
    {"/vol/expand?name=mmvol&authKey=@K&capacity=@C", NULL, NULL, false, false},
    {"/user/create", "{\"id\":\"@Puser\",\"type\":3,\"description\":\"@Pdesc\"}", JSON_TYPE, false,
     false},
    {"/user/info?user=@Puser", NULL, NULL, false, true},
    {"/cluster/freeze?enable=false", NULL, NULL, false, false},
};

struct fill {
    const char *prefix; /* makes created names unique per pass */
    uint64_t dp, mp;
    unsigned capacity;
};

/* Replace @K (auth key), @D / @M (a data / meta partition id), @N (a data node), @P (prefix)
 * and @C (capacity). */
static void expand(const char *in, const struct fill *f, char *out, size_t size)
{
    size_t o = 0;

    for (const char *p = in; *p != '\0' && o + 1 < size; p++) {
        char piece[128] = "";
        if (*p != '@' || p[1] == '\0') {
            out[o++] = *p;
            continue;
        }
        switch (*++p) {
        case 'K':
            snprintf(piece, sizeof(piece), "%s", auth_key);
            break;
        case 'D':
            snprintf(piece, sizeof(piece), "%llu", (unsigned long long)f->dp);
            break;
        case 'M':
            snprintf(piece, sizeof(piece), "%llu", (unsigned long long)f->mp);
            break;
        case 'N':
            snprintf(piece, sizeof(piece), "%s", env.datanodes[0].addr);
            break;
        case 'P':
            snprintf(piece, sizeof(piece), "%s", f->prefix);
            break;
        default:
            snprintf(piece, sizeof(piece), "%u", f->capacity);
            break;
        }
        o += (size_t)snprintf(out + o, size - o, "%s", piece);
    }
    out[o < size ? o : size - 1] = '\0';
}

/* A read through master `via` answers the same data as the leader. Both are asked again until
 * they agree: a status check may run between the two answers, and a follower's copy of the
 * client views may be one check behind. */
static bool same_as_leader(int via, bool follow, const char *path)
{
    for (int attempt = 0; attempt < 30; attempt++) {
        struct cenv_reply a, b;
        bool same;
        cenv_request(addr_of(via), path, NULL, NULL, follow, &a);
        cenv_request(addr_of(leader), path, NULL, NULL, false, &b);
        same = a.code == 0 && b.code == 0 && json_equal(a.data, b.data);
        cenv_reply_clear(&a);
        cenv_reply_clear(&b);
        if (same) {
            return true;
        }
        clock_sleep_ms(100);
    }
    fprintf(stderr, "%s: the answer through master %d differs from the leader's\n", path, via);
    return false;
}

/* Checks common to both modes: a code-0 answer, and for reads the leader's data. */
static void check_answer(const struct route *rt, const char *path, const char *body, bool follow,
                         const struct cenv_reply *r)
{
    if (r->status != 200 || r->code != 0) {
        fprintf(stderr, "%s %s: HTTP %ld, code %d, %s\n", body != NULL ? "POST" : "GET", path,
                r->status, r->code, r->msg);
    }
    CU_ASSERT_EQUAL(r->status, 200);
    CU_ASSERT_EQUAL(r->code, 0);
    if (rt->compare && body == NULL) {
        CU_ASSERT_TRUE(same_as_leader(follower, follow, path));
    }
}

/* The writes of the list took effect (read back from the leader). */
static void check_writes(const struct fill *f, uint64_t dps_before)
{
    char desc[64], user[64];
    json_t *d;

    snprintf(desc, sizeof(desc), "%sdesc", f->prefix);
    snprintf(user, sizeof(user), "%suser", f->prefix);
    d = leader_ok("/admin/getVol?name=%sget", f->prefix);
    CU_ASSERT_EQUAL(cenv_u64(d, "DpCnt"), 1);
    json_decref(d);
    d = leader_ok("/admin/getVol?name=%spost", f->prefix);
    CU_ASSERT_STRING_EQUAL(cenv_str(d, "Owner"), OWNER);
    json_decref(d);
    d = leader_ok("/admin/getVol?name=mmvol");
    CU_ASSERT_TRUE(cenv_u64(d, "DpCnt") >= dps_before + 1);
    CU_ASSERT_EQUAL(cenv_u64(d, "Capacity"), f->capacity);
    CU_ASSERT_STRING_EQUAL(cenv_str(d, "Description"), desc);
    json_decref(d);
    d = leader_ok("/user/info?user=%suser", f->prefix);
    CU_ASSERT_STRING_EQUAL(cenv_str(d, "user_id"), user);
    CU_ASSERT_STRING_EQUAL(cenv_str(d, "description"), desc);
    json_decref(d);
}

static void setup_volume(struct fill *f)
{
    json_t *d;
    struct cenv_reply r;

    cenv_request(addr_of(leader),
                 "/admin/createVol?name=mmvol&owner=" OWNER "&capacity=10&mpCount=1&dpCount=2",
                 NULL, NULL, false, &r);
    CU_ASSERT_TRUE(r.code == 0 || r.code == 12 || strstr(r.msg, "duplicate") != NULL);
    cenv_reply_clear(&r);
    d = leader_ok("/client/partitions?name=mmvol");
    f->dp = cenv_u64(json_array_get(json_object_get(d, "DataPartitions"), 0), "PartitionID");
    json_decref(d);
    d = leader_ok("/client/metaPartitions?name=mmvol");
    f->mp = cenv_u64(json_array_get(d, 0), "PartitionID");
    json_decref(d);
    CU_ASSERT_TRUE(f->dp != 0 && f->mp != 0);
}

/* Wait until the follower's copy of the client views is fresh and knows mmvol. */
static bool copy_knows(struct cenv *e, void *arg)
{
    struct cenv_reply r;
    bool ok;

    (void)e;
    (void)arg;
    ok = ask(follower, false, NULL, NULL, &r, "/client/partitions?name=mmvol") == 200;
    cenv_reply_clear(&r);
    return ok;
}

static uint64_t dp_count(void)
{
    json_t *d = leader_ok("/admin/getVol?name=mmvol");
    uint64_t n = cenv_u64(d, "DpCnt");

    json_decref(d);
    return n;
}

/* Redirect mode: 307 to the leader's URL with the same path and query, then the leader's answer;
 * client reads are the follower's own. */
static void test_routes_redirected(void)
{
    struct fill f = {.prefix = "mmr", .capacity = 30};
    uint64_t dps_before;

    setup_volume(&f);
    dps_before = dp_count();
    CU_ASSERT_TRUE_FATAL(cenv_wait(&env, copy_knows, NULL, WAIT_MS));
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route *rt = &routes[i];
        char path[1024], body[1024], want[1200];
        struct cenv_reply r;
        expand(rt->path, &f, path, sizeof(path));
        if (rt->body != NULL) {
            expand(rt->body, &f, body, sizeof(body));
        }
        if (rt->client_read) {
            /* Served by the follower itself: no redirect. */
            cenv_request(addr_of(follower), path, NULL, NULL, false, &r);
            CU_ASSERT_EQUAL(r.redirects, 0);
            check_answer(rt, path, NULL, false, &r);
            cenv_reply_clear(&r);
            continue;
        }
        if (rt->body == NULL) {
            /* Not followed: the redirect itself (a POST is not sent twice). */
            cenv_request(addr_of(follower), path, NULL, NULL, false, &r);
            snprintf(want, sizeof(want), "http://%s%s", addr_of(leader), path);
            CU_ASSERT_EQUAL(r.status, 307);
            CU_ASSERT_STRING_EQUAL(r.location, want);
            CU_ASSERT_EQUAL(r.code, 0);
            CU_ASSERT_STRING_EQUAL(r.msg, addr_of(leader));
            cenv_reply_clear(&r);
        }
        cenv_request(addr_of(follower), path, rt->body != NULL ? body : NULL, rt->ctype, true, &r);
        CU_ASSERT_EQUAL(r.redirects, 1);
        check_answer(rt, path, rt->body != NULL ? body : NULL, true, &r);
        cenv_reply_clear(&r);
    }
    check_writes(&f, dps_before);
}

/* The curl binary with -L re-posts a JSON body to the leader after the 307. */
static void test_curl_binary(void)
{
    char cmd[1024], out[4096] = "";
    size_t n;
    FILE *p;
    json_t *d;

    snprintf(cmd, sizeof(cmd),
             "curl -sS -L -X POST -H 'Content-Type: application/json' "
             "-d '{\"id\":\"curluser\",\"type\":3}' 'http://%s/user/create' 2>&1",
             addr_of(follower));
    p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    CU_ASSERT_EQUAL(pclose(p), 0);
    if (strstr(out, "\"code\":0") == NULL) {
        fprintf(stderr, "curl -L: %s\n", out);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"code\":0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"user_id\":\"curluser\""));
    d = leader_ok("/user/info?user=curluser");
    CU_ASSERT_STRING_EQUAL(cenv_str(d, "user_id"), "curluser");
    json_decref(d);
}

/* Proxy mode: the follower answers 200 itself, with the leader's answer. */
static void test_routes_proxied(void)
{
    struct fill f = {.prefix = "mmp", .capacity = 40};
    uint64_t dps_before;

    setup_volume(&f);
    dps_before = dp_count();
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route *rt = &routes[i];
        char path[1024], body[1024];
        struct cenv_reply r;
        expand(rt->path, &f, path, sizeof(path));
        if (rt->body != NULL) {
            expand(rt->body, &f, body, sizeof(body));
        }
        cenv_request(addr_of(follower), path, rt->body != NULL ? body : NULL, rt->ctype, false, &r);
        CU_ASSERT_EQUAL(r.redirects, 0);
        CU_ASSERT_STRING_EQUAL(r.location, "");
        check_answer(rt, path, rt->body != NULL ? body : NULL, false, &r);
        cenv_reply_clear(&r);
    }
    check_writes(&f, dps_before);
}

/* --- follower read ---------------------------------------------------------------------------- */

static bool follower_serves(struct cenv *e, void *arg)
{
    struct cenv_reply r;
    bool ok;

    (void)e;
    ok = ask(follower, false, NULL, NULL, &r, "/client/partitions?name=%s", (const char *)arg) ==
             200 &&
         r.code == 0;
    cenv_reply_clear(&r);
    return ok;
}

/* A new volume is not in the follower's copy yet: the follower sends the client to the leader
 * until its next copy, then answers itself, the same as the leader. Statuses follow the leader's
 * within the staleness bound: a data node going down shows on the follower too. */
static void test_follower_read(void)
{
    struct cenv_reply r;
    json_t *s;

    cenv_request(addr_of(leader),
                 "/admin/createVol?name=mmfresh&owner=" OWNER "&capacity=10&mpCount=1&dpCount=1",
                 NULL, NULL, false, &r);
    CU_ASSERT_EQUAL(r.code, 0);
    cenv_reply_clear(&r);
    ask(follower, false, NULL, NULL, &r, "/client/partitions?name=mmfresh");
    /* Normally not copied yet (copies every 500 ms here); either way it is right. */
    CU_ASSERT_TRUE(r.status == 307 || (r.status == 200 && r.code == 0));
    cenv_reply_clear(&r);
    CU_ASSERT_TRUE(cenv_wait(&env, follower_serves, "mmfresh", WAIT_MS));
    CU_ASSERT_TRUE(same_as_leader(follower, false, "/client/partitions?name=mmfresh"));
    /* Unknown volumes are the leader's to answer. */
    ask(follower, false, NULL, NULL, &r, "/client/partitions?name=nosuchvol");
    CU_ASSERT_EQUAL(r.status, 307);
    cenv_reply_clear(&r);
    ask(follower, true, NULL, NULL, &r, "/client/partitions?name=nosuchvol");
    CU_ASSERT_EQUAL(r.code, 7);
    cenv_reply_clear(&r);
    /* A missing name is answered by the follower itself. */
    ask(follower, false, NULL, NULL, &r, "/client/partitions");
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_EQUAL(r.code, 2);
    cenv_reply_clear(&r);
    s = mm_status(&env, (size_t)follower);
    CU_ASSERT_TRUE(json_integer_value(json_object_get(s, "ClientViewsAgeMs")) >= 0);
    CU_ASSERT_TRUE(json_integer_value(json_object_get(s, "ClientViewsAgeMs")) <= 1500);
    json_decref(s);
}

/* --- no leader -------------------------------------------------------------------------------- */

struct no_leader_wait {
    int survivor;
    const char *path;
};

static bool answers_503(struct cenv *e, void *arg)
{
    struct no_leader_wait *w = arg;
    struct cenv_reply r;
    bool ok;

    (void)e;
    ok = ask(w->survivor, false, NULL, NULL, &r, "%s", w->path) == 503;
    cenv_reply_clear(&r);
    return ok;
}

/* Two of three masters down: no leader can be elected. */
static void check_no_leader(bool follower_read)
{
    struct no_leader_wait w = {.survivor = follower, .path = "/admin/getCluster"};
    struct cenv_reply r;
    const char *routes_503[] = {"/admin/getCluster", "/admin/getVol?name=mmvol",
                                "/admin/createVol?name=mmnone&owner=" OWNER "&capacity=10"};

    for (int i = 0; i < 3; i++) {
        if (i != follower) {
            CU_ASSERT_NOT_EQUAL(cenv_stop_master(&env, (size_t)i, SIGKILL), -1);
        }
    }
    CU_ASSERT_TRUE_FATAL(cenv_wait(&env, answers_503, &w, WAIT_MS));
    for (size_t i = 0; i < sizeof(routes_503) / sizeof(routes_503[0]); i++) {
        ask(follower, false, NULL, NULL, &r, "%s", routes_503[i]);
        CU_ASSERT_EQUAL(r.status, 503);
        CU_ASSERT_STRING_EQUAL(r.retry_after, "1");
        CU_ASSERT_EQUAL(r.code, 33);
        CU_ASSERT_STRING_EQUAL(r.ctype, "application/json");
        cenv_reply_clear(&r);
    }
    /* A POST with a body too. */
    ask(follower, false, "{\"id\":\"nobody\",\"type\":3}", JSON_TYPE, &r, "/user/create");
    CU_ASSERT_EQUAL(r.status, 503);
    CU_ASSERT_EQUAL(r.code, 33);
    cenv_reply_clear(&r);
    /* Served by any master, leader or not. */
    ask(follower, false, NULL, NULL, &r, "/admin/getIp");
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_STRING_EQUAL(cenv_str(r.data, "Cluster"), "cenv");
    cenv_reply_clear(&r);
    ask(follower, false, NULL, NULL, &r, "/metrics");
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_PTR_NOT_NULL(r.body != NULL ? strstr(r.body, "cfs_master_leader_ready 0") : NULL);
    cenv_reply_clear(&r);
    ask(follower, false, NULL, NULL, &r, "/raftNode/status");
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_EQUAL(cenv_u64(r.data, "LeaderID"), 0);
    cenv_reply_clear(&r);
    /* Client reads: the copy serves until it is stale (3 checks of 500 ms), then 503 too. */
    w.path = "/client/partitions?name=mmvol";
    CU_ASSERT_TRUE(cenv_wait(&env, answers_503, &w, follower_read ? 5000 : 1000));
    ask(follower, false, NULL, NULL, &r, "/client/partitions?name=mmvol");
    CU_ASSERT_EQUAL(r.code, 33);
    cenv_reply_clear(&r);

    /* Back to three: a leader again, and the same state everywhere. */
    for (int i = 0; i < 3; i++) {
        if (i != follower) {
            CU_ASSERT_EQUAL(cenv_start_master(&env, (size_t)i), 0);
        }
    }
    CU_ASSERT_TRUE(cenv_wait_leader(&env, WAIT_MS) >= 0);
    CU_ASSERT_TRUE(mm_wait_same_state(&env, WAIT_MS));
}

static void test_no_leader_redirect(void)
{
    check_no_leader(true);
}

static void test_no_leader_proxy(void)
{
    check_no_leader(false);
}

static const struct test_case redirect_cases[] = {
    {"one_leader", test_one_leader},
    {"raft_routes", test_raft_routes},
    {"routes_redirected", test_routes_redirected},
    {"curl_binary", test_curl_binary},
    {"follower_read", test_follower_read},
    {"no_leader", test_no_leader_redirect},
    {NULL, NULL},
};

static const struct test_case proxy_cases[] = {
    {"one_leader", test_one_leader},
    {"routes_proxied", test_routes_proxied},
    {"no_leader", test_no_leader_proxy},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"redirect", redirect_init, suite_cleanup, redirect_cases},
    {"proxy", proxy_init, suite_cleanup, proxy_cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

/* System test of cfs-cli: the built binary against one cfs-master, four cfs-datanode and three
 * cfs-metanode processes, checked the way wrapper scripts written for CubeFS's cli use it: stdout,
 * stderr and the exit status of cluster info, node lists, nodesets, the volume lifecycle, add-dp,
 * users, partition and node decommissions with --wait (one of them failing: its only target is
 * down), and the errors a script meets (unknown volume, bad flag, no master reachable, a missing
 * -y). Every run gets its own HOME, so the real ~/.cfs-cli.json is never touched. Tests run in
 * order and share the cluster. */
#include "tests/support/cluster_env.h"
#include "tests/support/net_fixture.h"
#include "tests/support/proc.h"
#include "tests/support/test_support.h"

#include "common/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS     30000
#define CLI_TIMEOUT 180000 /* one cfs-cli run, --wait included */
#define MAX_ARGS    32

static struct cenv env;
static char home[256];
static char leader[64];

static int suite_init(void)
{
    int i;

    if (cenv_init(&env, "cli", 1) != 0 || cenv_up(&env, 4, 3, WAIT_MS) != 0 ||
        (i = cenv_wait_leader(&env, WAIT_MS)) < 0 ||
        test_mkdtemp(home, sizeof(home), "cfs-cli-sys") != 0) {
        return -1;
    }
    snprintf(leader, sizeof(leader), "%s", env.masters[i].addr);
    return 0;
}

static int suite_cleanup(void)
{
    cenv_close(&env);
    test_rmtree(home);
    return 0;
}

/* --- running the binary --------------------------------------------------------------------- */

struct out {
    int status; /* exit status, or 128 + signal */
    char *out;
    char *err;
};

static void out_free(struct out *o)
{
    free(o->out);
    free(o->err);
    o->out = o->err = NULL;
}

static char *read_all(const char *path)
{
    size_t len = 0;
    char *text = test_read_file(path, &len);

    return text != NULL ? text : strdup("");
}

static void child(char *const argv[], const char *env_addr, const char *in, const char *out,
                  const char *err)
{
    int fd_in = open(in, O_RDONLY);
    int fd_out = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fd_err = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd_in < 0 || fd_out < 0 || fd_err < 0 || dup2(fd_in, 0) < 0 || dup2(fd_out, 1) < 0 ||
        dup2(fd_err, 2) < 0) {
        _exit(126);
    }
    setenv("HOME", home, 1);
    unsetenv("CFS_CLI_LOG");
    if (env_addr != NULL) {
        setenv("CFS_MASTER_ADDR", env_addr, 1);
    } else {
        unsetenv("CFS_MASTER_ADDR");
    }
    execv(argv[0], argv);
    _exit(127);
}

/* Run cfs-cli with args (ending with NULL); stdin is empty (not a terminal). */
static void run_env(struct out *o, const char *env_addr, ...)
{
    char *argv[MAX_ARGS + 2] = {(char *)proc_binary("tools/cfs-cli")};
    char out_path[512], err_path[512];
    uint64_t deadline = clock_mono_ms() + CLI_TIMEOUT;
    int argc = 1, status = 0;
    va_list ap;
    pid_t pid;

    va_start(ap, env_addr);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc <= MAX_ARGS;) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    snprintf(out_path, sizeof(out_path), "%s/stdout", home);
    snprintf(err_path, sizeof(err_path), "%s/stderr", home);
    fflush(NULL);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        child(argv, env_addr, "/dev/null", out_path, err_path);
    }
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            break;
        }
        if (clock_mono_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            CU_FAIL("cfs-cli did not finish in time");
            break;
        }
        clock_sleep_ms(10);
    }
    o->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    o->out = read_all(out_path);
    o->err = read_all(err_path);
}

#define run(o, ...) run_env((o), NULL, __VA_ARGS__, NULL)

static void show(const char *what, const struct out *o)
{
    fprintf(stderr, "%s: exit %d\n--- stdout\n%s--- stderr\n%s---\n", what, o->status, o->out,
            o->err);
}

/* Exit 0 and nothing on stderr. */
static void expect_ok(const char *what, const struct out *o)
{
    if (o->status != 0 || o->err[0] != '\0') {
        show(what, o);
    }
    CU_ASSERT_EQUAL(o->status, 0);
    CU_ASSERT_STRING_EQUAL(o->err, "");
}

/* A non-zero exit, nothing on stdout, and one line on stderr containing want. */
static void expect_fail(const char *what, const struct out *o, int status, const char *want)
{
    const char *nl = strchr(o->err, '\n');

    if (o->status != status || strstr(o->err, want) == NULL) {
        show(what, o);
    }
    CU_ASSERT_EQUAL(o->status, status);
    CU_ASSERT_PTR_NOT_NULL(strstr(o->err, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(o->err, "Error: "));
    if (status != 2) { /* usage errors add a second line with the --help hint */
        CU_ASSERT(nl != NULL && nl[1] == '\0');
    }
}

/* Lines of text containing every one of the words. */
static size_t count_lines(const char *text, const char *a, const char *b)
{
    size_t n = 0;

    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        char buf[1024];
        snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
        n += strstr(buf, a) != NULL && (b == NULL || strstr(buf, b) != NULL);
        line += len + (end != NULL);
    }
    return n;
}

static json_t *json_of(const struct out *o)
{
    json_error_t jerr;
    json_t *v = json_loads(o->out, JSON_DECODE_ANY, &jerr);

    if (v == NULL) {
        show("--json output", o);
    }
    CU_ASSERT_PTR_NOT_NULL(v);
    return v;
}

/* Run until the exit status is 0 (nodes must report before some operations are allowed). */
static void run_until_ok(struct out *o, const char *what, char *const *args)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;

    for (;;) {
        run_env(o, NULL, args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7],
                args[8], args[9], args[10], args[11], NULL);
        if (o->status == 0 || clock_mono_ms() > deadline) {
            break;
        }
        out_free(o);
        clock_sleep_ms(500);
    }
    expect_ok(what, o);
}

/* --- tests ---------------------------------------------------------------------------------- */

static void test_cluster_info(void)
{
    char want[128];
    struct out o;

    run(&o, "cluster", "info", "--addr", leader);
    expect_ok("cluster info", &o);
    snprintf(want, sizeof(want), "  Master leader      : %s\n", leader);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "[Cluster]\n  Cluster name       : "));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "MaxDpCntLimit"));
    out_free(&o);

    run(&o, "cluster", "stat", "--addr", leader);
    expect_ok("cluster stat", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "[Cluster Status]"));
    out_free(&o);

    run(&o, "cluster", "info", "--addr", leader, "--json");
    expect_ok("cluster info --json", &o);
    {
        json_t *cv = json_of(&o);
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(cv, "LeaderAddr")), leader);
        json_decref(cv);
    }
    out_free(&o);
}

static void test_config_precedence(void)
{
    char dead[64];
    struct out o;

    net_fixture_dead_addr(dead, sizeof(dead));
    run(&o, "config", "set", "--addr", leader, "--timeout", "30");
    expect_ok("config set", &o);
    CU_ASSERT_STRING_EQUAL(o.out, "Config has been set successfully!\n");
    out_free(&o);

    /* from the file */
    run(&o, "cluster", "info");
    expect_ok("cluster info (file)", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "Master leader"));
    out_free(&o);

    /* CFS_MASTER_ADDR wins over the file ... */
    run_env(&o, dead, "cluster", "info", NULL);
    expect_fail("cluster info (env)", &o, 1, "no master answered");
    CU_ASSERT_PTR_NOT_NULL(strstr(o.err, dead));
    out_free(&o);

    /* ... and --addr over both */
    run_env(&o, dead, "cluster", "info", "--addr", leader, NULL);
    expect_ok("cluster info (flag)", &o);
    out_free(&o);

    run(&o, "config", "info");
    expect_ok("config info", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, leader));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "Request Timeout [s]: 30"));
    out_free(&o);
}

static bool nodes_listed(const char *kind, size_t want)
{
    struct out o;
    size_t n;

    run(&o, kind, "list");
    n = o.status == 0 ? count_lines(o.out, "Yes", "Active") : 0;
    out_free(&o);
    return n == want;
}

static void test_node_lists(void)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    char addr_line[96];
    struct out o;

    /* CubeFS's CI waits for this: every node "Yes" (writable) and "Active" */
    while (!(nodes_listed("datanode", 4) && nodes_listed("metanode", 3)) &&
           clock_mono_ms() < deadline) {
        clock_sleep_ms(200);
    }
    run(&o, "datanode", "list");
    expect_ok("datanode list", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "[Data nodes]\nID "));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "ADDRESS"));
    CU_ASSERT_EQUAL(count_lines(o.out, "Yes", "Active"), 4);
    out_free(&o);
    run(&o, "metanode", "list", "--filter-status", "Active");
    expect_ok("metanode list", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "[Meta nodes]\n"));
    CU_ASSERT_EQUAL(count_lines(o.out, "Yes", "Active"), 3);
    out_free(&o);
    run(&o, "metanode", "list", "--filter-status", "Inactive");
    CU_ASSERT_EQUAL(count_lines(o.out, "Yes", "Active"), 0);
    out_free(&o);

    run(&o, "datanode", "info", env.datanodes[0].addr);
    expect_ok("datanode info", &o);
    snprintf(addr_line, sizeof(addr_line), "  Address                   : %s\n",
             env.datanodes[0].addr);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "[Data node info]\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, addr_line));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "Status                    : Active"));
    out_free(&o);
    run(&o, "metanode", "info", env.metanodes[0].addr);
    expect_ok("metanode info", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "[Meta node info]\n"));
    out_free(&o);

    /* One nodeset of 18 with 3 meta and 4 data nodes: 15 and 14 free slots. */
    run(&o, "nodeset", "list");
    expect_ok("nodeset list", &o);
    {
        const char *row = strstr(o.out, "\n");
        char zone[64] = "";
        int cap = 0, metas = 0, meta_free = 0, datas = 0, data_free = 0;
        CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "CanAllocMeta"));
        CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "CanAllocData"));
        CU_ASSERT_EQUAL(row != NULL ? sscanf(row, "%*s %d %63s %d %d %d %d", &cap, zone, &metas,
                                             &meta_free, &datas, &data_free)
                                    : 0,
                        6);
        CU_ASSERT_EQUAL(cap, 18);
        CU_ASSERT_STRING_EQUAL(zone, "default");
        CU_ASSERT(metas == 3 && meta_free == 15 && datas == 4 && data_free == 14);
    }
    out_free(&o);
}

static json_t *vol_json(const char *name)
{
    struct out o;
    json_t *v;

    run(&o, "volume", "info", name, "--json");
    expect_ok("volume info --json", &o);
    v = json_of(&o);
    out_free(&o);
    return v;
}

static void test_volume_lifecycle(void)
{
    char *create[] = {"volume",     "create", "clivol1",    "cfs", "--capacity", "20",
                      "--dp-count", "2",      "--mp-count", "1",   "-y",         NULL};
    json_int_t dps;
    struct out o;
    json_t *v;

    run_until_ok(&o, "volume create", create);
    CU_ASSERT_STRING_EQUAL(o.out, "Create volume success.\n");
    out_free(&o);

    run(&o, "volume", "create", "clivol1", "cfs", "-y");
    expect_fail("volume create (again)", &o, 1, "Error: volume create: ");
    CU_ASSERT_STRING_EQUAL(o.out, "");
    out_free(&o);

    run(&o, "volume", "info", "clivol1");
    expect_ok("volume info", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "Summary:\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "  Name                            : clivol1\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "  Capacity                        : 20 GB\n"));
    out_free(&o);

    run(&o, "vol", "list");
    expect_ok("vol list", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "VOLUME"));
    CU_ASSERT_EQUAL(count_lines(o.out, "clivol1", "cfs"), 1);
    out_free(&o);

    v = vol_json("clivol1");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "Name")), "clivol1");
    dps = json_integer_value(json_object_get(v, "DpCnt"));
    json_decref(v);

    run(&o, "vol", "add-dp", "clivol1", "1");
    expect_ok("vol add-dp", &o);
    CU_ASSERT_STRING_EQUAL(o.out, "Add dp success.\n");
    out_free(&o);
    v = vol_json("clivol1");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "DpCnt")), dps + 1);
    json_decref(v);

    run(&o, "volume", "info", "clivol1", "-d", "-m");
    expect_ok("volume info -d -m", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "Data partitions:\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "Meta partitions:\n"));
    out_free(&o);

    run(&o, "volume", "update", "clivol1", "--description", "from cli", "-y");
    expect_ok("volume update", &o);
    out_free(&o);
    run(&o, "volume", "expand", "clivol1", "30");
    expect_ok("volume expand", &o);
    CU_ASSERT_STRING_EQUAL(o.out, "Volume capacity has been set successfully.\n");
    out_free(&o);
    run(&o, "volume", "expand", "clivol1", "25");
    expect_fail("volume expand (smaller)", &o, 1, "Expand capacity must larger than 30");
    out_free(&o);
    v = vol_json("clivol1");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "Description")), "from cli");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "Capacity")), 30);
    json_decref(v);

    /* a script that forgot -y gets a clear refusal, and the volume stays */
    run(&o, "volume", "delete", "clivol1");
    expect_fail("volume delete (no -y)", &o, 1, "stdin is not a terminal");
    out_free(&o);
    run(&o, "volume", "delete", "clivol1", "-y");
    expect_ok("volume delete", &o);
    CU_ASSERT_STRING_EQUAL(o.out, "Volume has been deleted successfully.\n");
    out_free(&o);
}

static void test_users(void)
{
    struct out o;

    run(&o, "user", "create", "clitest", "--user-type", "admin", "-y");
    expect_ok("user create", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "Create user success:\n[Summary]\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "  User ID    : clitest\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "  Type       : admin\n"));
    out_free(&o);

    run(&o, "user", "info", "clitest");
    expect_ok("user info", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "  User ID    : clitest\n"));
    out_free(&o);

    run(&o, "user", "list");
    expect_ok("user list", &o);
    CU_ASSERT_EQUAL(count_lines(o.out, "clitest", "Admin"), 1);
    out_free(&o);

    run(&o, "user", "info", "nosuchuser");
    expect_fail("user info (unknown)", &o, 1, "Error: user info: ");
    out_free(&o);

    /* transfer a volume to the new user */
    {
        char *create[] = {"vol",        "create", "clivol2", "cfs", "--dp-count", "1",
                          "--mp-count", "1",      "-y",      NULL,  NULL,         NULL};
        json_t *v;
        run_until_ok(&o, "vol create clivol2", create);
        out_free(&o);
        run(&o, "volume", "transfer", "clivol2", "clitest", "-y");
        expect_ok("volume transfer", &o);
        CU_ASSERT_STRING_EQUAL(o.out, "Volume has been transferred successfully.\n");
        out_free(&o);
        v = vol_json("clivol2");
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "Owner")), "clitest");
        json_decref(v);
    }
}

static void test_script_errors(void)
{
    char dead1[64], dead2[64], addrs[160];
    struct out o;

    run(&o, "volume", "info", "nosuchvol");
    expect_fail("volume info nosuchvol", &o, 1, "Error: volume info: vol not exists");
    CU_ASSERT_STRING_EQUAL(o.out, "");
    out_free(&o);

    run(&o, "volume", "list", "--bogus");
    expect_fail("bad flag", &o, 2, "unknown flag: --bogus");
    out_free(&o);

    run(&o, "volume", "create", "onlyname");
    expect_fail("missing argument", &o, 2, "requires at least 2 arg(s)");
    out_free(&o);

    run(&o, "datapartition", "info", "987654321");
    expect_fail("unknown partition", &o, 1, "Error: datapartition info: ");
    out_free(&o);

    net_fixture_dead_addr(dead1, sizeof(dead1));
    net_fixture_dead_addr(dead2, sizeof(dead2));
    snprintf(addrs, sizeof(addrs), "%s,%s", dead1, dead2);
    run(&o, "cluster", "info", "--addr", addrs);
    expect_fail("no master", &o, 1, "no master answered: ");
    CU_ASSERT_PTR_NOT_NULL(strstr(o.err, dead1));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.err, dead2));
    CU_ASSERT_STRING_EQUAL(o.out, "");
    out_free(&o);
}

/* --- data partitions ------------------------------------------------------------------------ */

struct dp_hosts {
    uint64_t id;
    char hosts[4][64];
    size_t n;
};

static int cmp_dp_id(const void *a, const void *b)
{
    uint64_t x = ((const struct dp_hosts *)a)->id, y = ((const struct dp_hosts *)b)->id;

    return x < y ? -1 : x > y;
}

/* The data partitions of vol appended to dps (n so far, at most max); returns the new count. */
static size_t add_vol_dps(const char *vol, struct dp_hosts *dps, size_t n, size_t max)
{
    char path[256], msg[256];
    json_t *data = NULL, *dp, *h;
    size_t i, k;

    snprintf(path, sizeof(path), "/client/partitions?name=%s", vol);
    CU_ASSERT_EQUAL_FATAL(cenv_call(&env, path, &data, msg, sizeof(msg)), 0);
    json_array_foreach(json_object_get(data, "DataPartitions"), i, dp)
    {
        if (n == max) {
            break;
        }
        dps[n].id = (uint64_t)json_integer_value(json_object_get(dp, "PartitionID"));
        dps[n].n = 0;
        json_array_foreach(json_object_get(dp, "Hosts"), k, h)
        {
            if (dps[n].n < 4) {
                snprintf(dps[n].hosts[dps[n].n++], 64, "%s", json_string_value(h));
            }
        }
        n++;
    }
    json_decref(data);
    return n;
}

static bool dp_has(const struct dp_hosts *d, const char *addr)
{
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->hosts[i], addr) == 0) {
            return true;
        }
    }
    return false;
}

/* The hosts of the first data partition of vol. */
static uint64_t first_dp(const char *vol, char hosts[][64], size_t max, size_t *n)
{
    struct dp_hosts dp;

    CU_ASSERT_EQUAL_FATAL(add_vol_dps(vol, &dp, 0, 1), 1);
    *n = dp.n < max ? dp.n : max;
    memcpy(hosts, dp.hosts, *n * sizeof(dp.hosts[0]));
    return dp.id;
}

/* --- a node decommission that fails --------------------------------------------------------- */

/* With four data nodes and three replicas a partition can only move to the one node that does
 * not host it. Find a node x and a node k such that, once k is down, x's first m - 1 partitions
 * (by ID, the order a node job takes them) can move and the m-th cannot: x's first partition
 * lists k, and the m-th is the first one that does not. */
static bool pick_failing_move(const struct dp_hosts *dps, size_t n, size_t *x, size_t *k, size_t *m)
{
    for (size_t xi = 0; xi < env.ndatanodes; xi++) {
        const char *xa = env.datanodes[xi].addr;
        for (size_t ki = 0; ki < env.ndatanodes; ki++) {
            const char *ka = env.datanodes[ki].addr;
            size_t count = 0;
            for (size_t i = 0; ki != xi && i < n; i++) {
                if (!dp_has(&dps[i], xa)) {
                    continue;
                }
                count++;
                if (dp_has(&dps[i], ka)) {
                    continue; /* its fourth node, not k, can take it */
                }
                if (count == 1) {
                    break; /* x's first partition would have nowhere to go */
                }
                *x = xi;
                *k = ki;
                *m = count;
                return true;
            }
        }
    }
    return false;
}

static bool data_node_active(struct cenv *e, const char *addr)
{
    char path[128];
    json_t *d = NULL;
    bool active;

    snprintf(path, sizeof(path), "/dataNode/get?addr=%s", addr);
    active = cenv_call(e, path, &d, NULL, 0) == 0 && json_is_true(json_object_get(d, "IsActive"));
    json_decref(d);
    return active;
}

static bool node_down(struct cenv *e, void *arg)
{
    return !data_node_active(e, arg);
}

static bool node_up(struct cenv *e, void *arg)
{
    return data_node_active(e, arg);
}

/* A node job that cannot move one of its partitions (the only possible target is down) ends in
 * Fail, and --wait says so with the job's reason and exit status 1; the node keeps serving. */
static void test_datanode_decommission_fails(void)
{
    struct dp_hosts dps[32];
    char msg[256], count[16];
    size_t n, x = 0, k = 0, m = 0;
    const char *xa;
    json_t *info, *progress, *d = NULL;
    struct out o;

    CU_ASSERT_EQUAL_FATAL(
        cenv_call(&env, "/admin/createVol?name=clivol3&capacity=10&owner=cfs&dpCount=4&mpCount=1",
                  &d, msg, sizeof(msg)),
        0);
    json_decref(d);
    n = add_vol_dps("clivol2", dps, 0, 32);
    n = add_vol_dps("clivol3", dps, n, 32);
    qsort(dps, n, sizeof(dps[0]), cmp_dp_id);
    CU_ASSERT_FATAL(pick_failing_move(dps, n, &x, &k, &m));
    xa = env.datanodes[x].addr;
    snprintf(count, sizeof(count), "%zu", m);

    CU_ASSERT_NOT_EQUAL_FATAL(cenv_stop_node(&env, true, k, SIGKILL), -1);
    CU_ASSERT_FATAL(cenv_wait(&env, node_down, env.datanodes[k].addr, WAIT_MS));
    run(&o, "datanode", "decommission", xa, "--count", count, "--wait", "--timeout", "120");
    expect_fail("datanode decommission --wait (no target)", &o, 1, " failed: Fail ");
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "Decommission data node successfully\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.err, "could not be moved"));
    out_free(&o);

    /* The master's view of it: the failed job, and the node no longer marked. */
    run(&o, "datanode", "info", xa, "--json");
    expect_ok("datanode info --json", &o);
    info = json_of(&o);
    progress = json_object_get(info, "DecommissionProgress");
    CU_ASSERT_TRUE(json_is_false(json_object_get(info, "ToBeOffline")));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(info, "DecommissionStatus")), 6);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(info, "DecommissionLimit")), (json_int_t)m);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(progress, "Status")), "Fail");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(progress, "Failed")), 1);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(progress, "Succeeded")), (json_int_t)m - 1);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(json_string_value(json_object_get(progress, "ErrorMessage")), "could not be moved"));
    json_decref(info);
    out_free(&o);
    run(&o, "datanode", "query-progress", xa);
    expect_ok("datanode query-progress", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "Status     :         Fail "));
    out_free(&o);

    CU_ASSERT_EQUAL(cenv_start_node(&env, true, k), 0);
    CU_ASSERT(cenv_wait(&env, node_up, env.datanodes[k].addr, WAIT_MS));
}

static void test_dp_decommission_wait(void)
{
    char hosts[4][64], id[32];
    char *decommission[] = {"datapartition", "decommission", hosts[0], id,   "--wait", "--timeout",
                            "120",           NULL,           NULL,     NULL, NULL,     NULL};
    size_t n;
    struct out o;
    json_t *dp, *h;

    snprintf(id, sizeof(id), "%llu", (unsigned long long)first_dp("clivol2", hosts, 4, &n));
    CU_ASSERT_EQUAL_FATAL(n, 3);
    /* refused until the replicas have reported; then the move runs to its end */
    run_until_ok(&o, "datapartition decommission --wait", decommission);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "Decommission data partition successfully\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, " succeeded\n"));
    out_free(&o);

    run(&o, "datapartition", "info", id, "--json");
    expect_ok("datapartition info --json", &o);
    dp = json_of(&o);
    h = json_object_get(dp, "Hosts");
    CU_ASSERT_EQUAL(json_array_size(h), 3);
    for (size_t i = 0; i < json_array_size(h); i++) {
        CU_ASSERT_STRING_NOT_EQUAL(json_string_value(json_array_get(h, i)), hosts[0]);
    }
    json_decref(dp);
    out_free(&o);

    run(&o, "datapartition", "query-progress", id);
    expect_ok("datapartition query-progress", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "Status            : Success"));
    out_free(&o);

    run(&o, "datapartition", "info", id);
    expect_ok("datapartition info", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "volume name   : clivol2\n"));
    out_free(&o);
}

static void test_datanode_decommission_wait(void)
{
    char hosts[4][64];
    size_t n;
    struct out o;

    /* a node holding a partition of clivol2 is emptied, then leaves the cluster */
    first_dp("clivol2", hosts, 4, &n);
    CU_ASSERT_FATAL(n > 0);
    run(&o, "datanode", "decommission", hosts[0], "--wait", "--timeout", "120");
    expect_ok("datanode decommission --wait", &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, "Decommission data node successfully\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.out, " succeeded\n"));
    out_free(&o);

    run(&o, "datanode", "list");
    expect_ok("datanode list", &o);
    CU_ASSERT_PTR_NULL(strstr(o.out, hosts[0]));
    out_free(&o);
    run(&o, "datanode", "info", hosts[0]);
    expect_fail("datanode info (gone)", &o, 1, "data node not exists");
    out_free(&o);
}

static const struct test_case cases[] = {
    {"cluster_info", test_cluster_info},
    {"config_precedence", test_config_precedence},
    {"node_lists", test_node_lists},
    {"volume_lifecycle", test_volume_lifecycle},
    {"users", test_users},
    {"script_errors", test_script_errors},
    {"datanode_decommission_fails", test_datanode_decommission_fails},
    {"dp_decommission_wait", test_dp_decommission_wait},
    {"datanode_decommission_wait", test_datanode_decommission_wait},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"cli", suite_init, suite_cleanup, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

/* cfs-cli without a cluster: argument parsing, the command tree, help, the config file and the
 * master precedence, address checks, output formats and tables, the progress decisions and the
 * wait loop (fake clock), and whole commands run in-process (cli_run) with fake streams. */
#include "common/errors.h"
#include "common/http_client.h"
#include "tests/support/test_support.h"
#include "tools/cfs_cli/args.h"
#include "tools/cfs_cli/cli.h"
#include "tools/cfs_cli/client.h"
#include "tools/cfs_cli/config.h"
#include "tools/cfs_cli/output.h"
#include "tools/cfs_cli/progress.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char home[256];

static int suite_init(void)
{
    if (http_client_global_init() != 0) {
        return -1;
    }
    return test_mkdtemp(home, sizeof(home), "cfs-cli-home");
}

static int suite_cleanup(void)
{
    return test_rmtree(home);
}

/* --- helpers ------------------------------------------------------------------------------ */

static uint64_t fake_now;

static uint64_t fake_now_ms(void)
{
    return fake_now;
}

static void fake_sleep_ms(uint64_t ms)
{
    fake_now += ms;
}

/* Everything written to f, as a malloc'd string. */
static char *slurp(FILE *f)
{
    long len;
    char *buf;

    fflush(f);
    len = ftell(f);
    buf = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    rewind(f);
    if (len > 0) {
        CU_ASSERT_EQUAL(fread(buf, 1, (size_t)len, f), (size_t)len);
    }
    return buf;
}

struct run {
    int status;
    char *out;
    char *err;
};

struct run_opts {
    const char *home;
    const char *env_addr;
    bool in_tty;
    const char *input;
};

/* cli_run with fake streams; args end with NULL. */
static void run_with(const struct run_opts *o, struct run *r, ...)
{
    char *argv[32] = {"cfs-cli"};
    int argc = 1;
    FILE *in = tmpfile(), *out = tmpfile(), *err = tmpfile();
    struct cli_env env = {0};
    va_list ap;

    CU_ASSERT_FATAL(in != NULL && out != NULL && err != NULL);
    va_start(ap, r);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 31;) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    if (o->input != NULL) {
        fputs(o->input, in);
        rewind(in);
    }
    env.in = in;
    env.out = out;
    env.err = err;
    env.in_tty = o->in_tty;
    env.home = o->home;
    env.env_addr = o->env_addr;
    env.now_ms = fake_now_ms;
    env.sleep_ms = fake_sleep_ms;
    env.poll_interval_ms = 1000;
    r->status = cli_run(&env, argc, argv);
    r->out = slurp(out);
    r->err = slurp(err);
    fclose(in);
    fclose(out);
    fclose(err);
}

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

static int parse(struct args_result *r, char *errmsg, ...)
{
    char *argv[32] = {"cfs-cli"};
    int argc = 1;
    va_list ap;

    va_start(ap, errmsg);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 31;) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    errmsg[0] = '\0';
    return args_parse(&cli_root_cmd, cli_global_flags, argc, argv, r, errmsg);
}

/* A dead address for "no master answered": a port nothing listens on. */
static const char *dead_addr(void)
{
    return "127.0.0.1:1";
}

/* --- parser ------------------------------------------------------------------------------- */

static void test_tree_is_well_formed(void)
{
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_EQUAL(args_check_tree(&cli_root_cmd, cli_global_flags, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(errmsg, "");
}

static int nop_run(struct cli_ctx *ctx)
{
    (void)ctx;
    return 0;
}

static void test_tree_check_catches_mistakes(void)
{
    static const struct args_flag clash[] = {
        {"yes", 'y', ARGS_BOOL, "false", "a"},
        {"yellow", 'y', ARGS_BOOL, "false", "b"},
        ARGS_FLAG_END,
    };
    static const struct args_flag bad_default[] = {
        {"count", 0, ARGS_INT, "ten", "a"},
        ARGS_FLAG_END,
    };
    static const struct args_flag global_clash[] = {
        {"addr", 0, ARGS_STRING, NULL, "a"},
        ARGS_FLAG_END,
    };
    static const struct args_flag help_clash[] = {
        {"host", 'h', ARGS_STRING, NULL, "a"},
        ARGS_FLAG_END,
    };
    const struct args_flag *tables[] = {clash, bad_default, global_clash, help_clash};
    char errmsg[ERRMSG_SIZE];

    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        struct args_cmd leaf = {
            .name = "leaf", .summary = "s", .max_args = -1, .flags = tables[i], .run = nop_run};
        const struct args_cmd *subs[] = {&leaf, NULL};
        struct args_cmd root = {.name = "root", .summary = "s", .subs = subs};
        errmsg[0] = '\0';
        CU_ASSERT_EQUAL(args_check_tree(&root, cli_global_flags, errmsg), -EINVAL);
        CU_ASSERT_STRING_NOT_EQUAL(errmsg, "");
    }
    {
        struct args_cmd a = {.name = "a", .summary = "s", .run = nop_run};
        struct args_cmd b = {.name = "b",
                             .summary = "s",
                             .run = nop_run,
                             .aliases = (const char *const[]){"a", NULL}};
        const struct args_cmd *subs[] = {&a, &b, NULL};
        struct args_cmd root = {.name = "root", .summary = "s", .subs = subs};
        CU_ASSERT_EQUAL(args_check_tree(&root, cli_global_flags, errmsg), -EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "clash"));
    }
}

static void test_parse_flag_forms(void)
{
    struct args_result r;
    char errmsg[ERRMSG_SIZE];

    CU_ASSERT_EQUAL_FATAL(parse(&r, errmsg, "vol", "create", "--capacity", "20", "v1", "-y",
                                "--dp-count=5", "cfs", "--replica-num", "1", NULL),
                          0);
    CU_ASSERT_STRING_EQUAL(args_command(&r)->name, "create");
    CU_ASSERT_STRING_EQUAL(r.path[1]->name, "volume"); /* reached through the alias */
    CU_ASSERT_EQUAL(r.npos, 2);
    CU_ASSERT_STRING_EQUAL(args_pos(&r, 0), "v1");
    CU_ASSERT_STRING_EQUAL(args_pos(&r, 1), "cfs");
    CU_ASSERT_PTR_NULL(args_pos(&r, 2));
    CU_ASSERT_EQUAL(args_uint(&r, "capacity"), 20);
    CU_ASSERT_EQUAL(args_int(&r, "dp-count"), 5);
    CU_ASSERT_TRUE(args_bool(&r, "yes"));
    CU_ASSERT_STRING_EQUAL(args_str(&r, "replica-num"), "1");
    /* defaults */
    CU_ASSERT_FALSE(args_is_set(&r, "mp-count"));
    CU_ASSERT_EQUAL(args_int(&r, "mp-count"), 3);
    CU_ASSERT_EQUAL(args_int(&r, "dp-size"), 120);
    CU_ASSERT_STRING_EQUAL(args_str(&r, "zone-name"), "");
    CU_ASSERT_STRING_EQUAL(args_str(&r, "addr"), "");

    /* bool with a value, shorthand clusters, global flag before the command, "--" */
    CU_ASSERT_EQUAL_FATAL(parse(&r, errmsg, "--addr", "a:1,b:2", "volume", "info", "-md",
                                "--storage-class=false", "--", "-odd-name", NULL),
                          0);
    CU_ASSERT_STRING_EQUAL(args_str(&r, "addr"), "a:1,b:2");
    CU_ASSERT_TRUE(args_bool(&r, "meta-partition"));
    CU_ASSERT_TRUE(args_bool(&r, "data-partition"));
    CU_ASSERT_TRUE(args_is_set(&r, "storage-class"));
    CU_ASSERT_FALSE(args_bool(&r, "storage-class"));
    CU_ASSERT_STRING_EQUAL(args_pos(&r, 0), "-odd-name");

    /* the last of a repeated flag wins; -r shorthand with a bool */
    CU_ASSERT_EQUAL_FATAL(parse(&r, errmsg, "datanode", "decommission", "127.0.0.1:17310",
                                "--count", "1", "--count", "2", "-r", NULL),
                          0);
    CU_ASSERT_EQUAL(args_int(&r, "count"), 2);
    CU_ASSERT_TRUE(args_bool(&r, "raftForceDel"));
    CU_ASSERT_EQUAL(args_int(&r, "decommissionWeight"), 2);
}

static void test_parse_usage_errors(void)
{
    static const struct {
        const char *args[6];
        const char *want;
    } cases[] = {
        {{"volume", "list", "--bogus"}, "unknown flag: --bogus"},
        {{"volume", "list", "-q"}, "unknown shorthand flag: 'q' in -q"},
        {{"volume", "create", "v", "o", "--capacity"}, "flag needs an argument: --capacity"},
        {{"volume", "create", "v", "o", "--capacity", "abc"},
         "invalid argument \"abc\" for \"--capacity\" flag: expected an unsigned integer"},
        {{"volume", "create", "v", "o", "--capacity=-1"}, "expected an unsigned integer"},
        {{"volume", "create", "v"}, "requires at least 2 arg(s), only received 1"},
        {{"volume", "info", "a", "b"}, "accepts at most 1 arg(s), received 2"},
        {{"volume", "frobnicate"}, "unknown command \"frobnicate\" for \"cfs-cli volume\""},
        {{"nosuch"}, "unknown command \"nosuch\" for \"cfs-cli\""},
        {{"volume", "info", "v", "--json=maybe"}, "expected true or false"},
        {{"cluster", "info", "--yes"}, "unknown flag: --yes"},
        {{"volume", "--capacity", "1", "create"}, "unknown flag: --capacity"},
    };
    char errmsg[ERRMSG_SIZE];
    struct args_result r;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *const *a = cases[i].args;
        int rv = parse(&r, errmsg, a[0], a[1], a[2], a[3], a[4], a[5], NULL);
        CU_ASSERT_EQUAL(rv, -EINVAL);
        if (strstr(errmsg, cases[i].want) == NULL) {
            fprintf(stderr, "case %zu: \"%s\" lacks \"%s\"\n", i, errmsg, cases[i].want);
            CU_FAIL("usage error text");
        }
    }
}

static void test_parse_help_and_groups(void)
{
    struct args_result r;
    char errmsg[ERRMSG_SIZE];

    CU_ASSERT_EQUAL(parse(&r, errmsg, "volume", "create", "--help", NULL), 0);
    CU_ASSERT_TRUE(r.help);
    CU_ASSERT_STRING_EQUAL(args_command(&r)->name, "create"); /* help skips the arity check */
    CU_ASSERT_EQUAL(parse(&r, errmsg, "datanode", NULL), 0);
    CU_ASSERT_PTR_NULL(args_command(&r)->run);
    CU_ASSERT_EQUAL(parse(&r, errmsg, "-h", NULL), 0);
    CU_ASSERT_TRUE(r.help);
}

static void test_parse_bool_values(void)
{
    static const char *const truths[] = {"1", "t", "T", "true", "TRUE", "True"};
    static const char *const falses[] = {"0", "f", "F", "false", "FALSE", "False"};
    static const char *const bad[] = {"", "yes", "no", "tRuE", "2"};
    bool b;

    for (size_t i = 0; i < 6; i++) {
        CU_ASSERT_TRUE(args_parse_bool(truths[i], &b) == 0 && b);
        CU_ASSERT_TRUE(args_parse_bool(falses[i], &b) == 0 && !b);
    }
    for (size_t i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(args_parse_bool(bad[i], &b), -EINVAL);
    }
}

/* Every command's --help names each of its flags and the global --addr. */
static void check_help(const struct args_cmd *c, const char **path, size_t depth)
{
    struct run_opts o = {.home = home};
    struct run r;
    char *argv[8] = {0};

    path[depth] = c->name;
    for (size_t i = 1; i <= depth; i++) {
        argv[i - 1] = (char *)path[i];
    }
    argv[depth] = "--help";
    run_with(&o, &r, argv[0], argv[1], argv[2], argv[3], NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Usage:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "--addr"));
    CU_ASSERT_STRING_EQUAL(r.err, "");
    for (const struct args_flag *f = c->flags; f != NULL && f->name != NULL; f++) {
        char want[80];
        snprintf(want, sizeof(want), "--%s", f->name);
        if (strstr(r.out, want) == NULL) {
            fprintf(stderr, "help of %s lacks %s\n", c->name, want);
            CU_FAIL("flag missing from help");
        }
    }
    for (const struct args_cmd *const *s = c->subs; s != NULL && *s != NULL; s++) {
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, (*s)->name));
        check_help(*s, path, depth + 1);
    }
    run_free(&r);
}

static void test_help_describes_every_flag(void)
{
    const char *path[ARGS_MAX_DEPTH + 1] = {0};

    check_help(&cli_root_cmd, path, 0);
}

/* --- addresses and the config file --------------------------------------------------------- */

static void test_addr_check(void)
{
    static const char *const good[] = {"127.0.0.1:17010", "master.cube.io:80", "[::1]:17010",
                                       "http://a:1", "node_1:65535"};
    static const char *const bad[] = {"",        "host",      ":17010", "host:",     "host:0",
                                      "h:65536", "host:12ab", "a b:1",  "::1:80",    "[]:80",
                                      "[zz]:1",  "host:-1",   "h:1:2x", "[::1]17010"};
    char errmsg[ERRMSG_SIZE];

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CU_ASSERT_EQUAL(config_addr_check(good[i], errmsg), 0);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errmsg[0] = '\0';
        CU_ASSERT_EQUAL(config_addr_check(bad[i], errmsg), -EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "invalid address"));
    }
}

static void test_addr_list(void)
{
    struct config_masters m = {.source = CONFIG_FROM_ENV};
    char errmsg[ERRMSG_SIZE];

    CU_ASSERT_EQUAL_FATAL(config_addr_list_parse(" a:1 ,, b:2,", &m, errmsg), 0);
    CU_ASSERT_EQUAL(m.n, 2);
    CU_ASSERT_STRING_EQUAL(m.addr[0], "a:1");
    CU_ASSERT_STRING_EQUAL(m.addr[1], "b:2");
    CU_ASSERT_EQUAL(m.source, CONFIG_FROM_ENV);
    CU_ASSERT_EQUAL(config_addr_list_parse(" , ", &m, errmsg), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "no master address"));
    CU_ASSERT_EQUAL(m.n, 2); /* untouched on error */
    CU_ASSERT_EQUAL(config_addr_list_parse("a:1,b", &m, errmsg), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "\"b\""));
}

static void test_config_file_round_trip(void)
{
    struct config_file cfg = {0}, back;
    char path[512], errmsg[ERRMSG_SIZE];
    struct stat st;

    snprintf(path, sizeof(path), "%s/rt.json", home);
    CU_ASSERT_EQUAL(config_file_read(path, &back, errmsg), -ENOENT);
    CU_ASSERT_EQUAL(back.nmasters, 0);
    CU_ASSERT_EQUAL(back.timeout, CONFIG_DEFAULT_TIMEOUT);

    cfg.nmasters = 2;
    strcpy(cfg.masters[0], "10.0.0.1:17010");
    strcpy(cfg.masters[1], "10.0.0.2:17010");
    cfg.timeout = 30;
    strcpy(cfg.client_id_key, "k");
    CU_ASSERT_EQUAL_FATAL(config_file_write(path, &cfg, errmsg), 0);
    CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    CU_ASSERT_EQUAL_FATAL(config_file_read(path, &back, errmsg), 0);
    CU_ASSERT_EQUAL(back.nmasters, 2);
    CU_ASSERT_STRING_EQUAL(back.masters[1], "10.0.0.2:17010");
    CU_ASSERT_EQUAL(back.timeout, 30);
    CU_ASSERT_STRING_EQUAL(back.client_id_key, "k");
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static void test_config_file_cubefs_form(void)
{
    struct config_file cfg;
    char path[512], errmsg[ERRMSG_SIZE];

    /* CubeFS's own default file: timeout 0 or absent means 60 */
    snprintf(path, sizeof(path), "%s/cubefs.json", home);
    write_text(path, "{\n  \"masterAddr\": [\n    \"master.cube.io\"\n  ],\n  \"timeout\": 0\n}\n");
    CU_ASSERT_EQUAL_FATAL(config_file_read(path, &cfg, errmsg), 0);
    CU_ASSERT_EQUAL(cfg.nmasters, 1);
    CU_ASSERT_EQUAL(cfg.timeout, CONFIG_DEFAULT_TIMEOUT);

    write_text(path, "{\"masterAddr\": \"a:1\", ");
    CU_ASSERT_EQUAL(config_file_read(path, &cfg, errmsg), CFS_EBADJSON);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, path));
    write_text(path, "{\"timeout\": \"soon\"}");
    CU_ASSERT_NOT_EQUAL(config_file_read(path, &cfg, errmsg), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "timeout"));
}

static void test_master_precedence(void)
{
    struct config_file file = {.nmasters = 1, .timeout = 60};
    struct config_masters m;
    char errmsg[ERRMSG_SIZE];

    strcpy(file.masters[0], "file:1");
    CU_ASSERT_EQUAL_FATAL(config_masters_resolve("flag:1,flag:2", "env:1", &file, &m, errmsg), 0);
    CU_ASSERT_EQUAL(m.source, CONFIG_FROM_FLAG);
    CU_ASSERT_EQUAL(m.n, 2);
    CU_ASSERT_STRING_EQUAL(m.addr[0], "flag:1");
    CU_ASSERT_EQUAL_FATAL(config_masters_resolve("", "env:1", &file, &m, errmsg), 0);
    CU_ASSERT_EQUAL(m.source, CONFIG_FROM_ENV);
    CU_ASSERT_STRING_EQUAL(m.addr[0], "env:1");
    CU_ASSERT_EQUAL_FATAL(config_masters_resolve(NULL, NULL, &file, &m, errmsg), 0);
    CU_ASSERT_EQUAL(m.source, CONFIG_FROM_FILE);
    CU_ASSERT_STRING_EQUAL(m.addr[0], "file:1");
    CU_ASSERT_EQUAL(config_masters_resolve(NULL, "", NULL, &m, errmsg), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "no master address"));
    CU_ASSERT_EQUAL(config_masters_resolve(NULL, "env", &file, &m, errmsg), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "CFS_MASTER_ADDR: invalid address \"env\""));
    strcpy(file.masters[0], "file");
    CU_ASSERT_EQUAL(config_masters_resolve(NULL, NULL, &file, &m, errmsg), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, CONFIG_FILE_NAME));
}

static void test_config_commands(void)
{
    struct run_opts o = {.home = home};
    char path[512];
    struct stat st;
    struct run r;

    snprintf(path, sizeof(path), "%s/%s", home, CONFIG_FILE_NAME);
    unlink(path);
    run_with(&o, &r, "config", "info", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Master  Address    : []"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Request Timeout [s]: 60"));
    run_free(&r);

    run_with(&o, &r, "config", "set", "--addr", "a:17010,b:17010", "--timeout", "30", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_STRING_EQUAL(r.out, "Config has been set successfully!\n");
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    run_free(&r);

    run_with(&o, &r, "config", "info", NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Master  Address    : [a:17010 b:17010]\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Request Timeout [s]: 30\n"));
    run_free(&r);

    /* the environment overrides the file, --addr overrides both */
    o.env_addr = "e:1";
    run_with(&o, &r, "config", "info", NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Masters in use     : [e:1] (from CFS_MASTER_ADDR)"));
    run_free(&r);
    run_with(&o, &r, "config", "info", "--addr", "f:1", "--json", NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "\"masterAddr\": ["));
    run_free(&r);
    o.env_addr = NULL;

    /* only the timeout: the masters stay */
    run_with(&o, &r, "config", "set", "--timeout", "45", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    run_free(&r);
    run_with(&o, &r, "config", "info", NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "[a:17010 b:17010]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Request Timeout [s]: 45"));
    run_free(&r);

    /* bad input: usage errors, and the file is untouched */
    run_with(&o, &r, "config", "set", "--addr", "nohostport", NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "invalid address \"nohostport\""));
    run_free(&r);
    run_with(&o, &r, "config", "set", "--timeout", "70000", NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    run_free(&r);
    run_with(&o, &r, "config", "set", NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    run_free(&r);
    run_with(&o, &r, "config", "info", NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "[a:17010 b:17010]"));
    run_free(&r);
    unlink(path);
}

/* --- cli_run: exits, errors, confirmations ------------------------------------------------- */

static void test_run_usage_errors_exit_2(void)
{
    struct run_opts o = {.home = home};
    struct run r;

    run_with(&o, &r, "volume", "list", "--bogus", NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    CU_ASSERT_STRING_EQUAL(r.out, "");
    CU_ASSERT_STRING_EQUAL(r.err, "Error: unknown flag: --bogus\n"
                                  "Run 'cfs-cli volume list --help' for usage.\n");
    run_free(&r);

    run_with(&o, &r, "datapartition", "decommission", "127.0.0.1:17310", NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "requires at least 2 arg(s)"));
    run_free(&r);

    /* checks made by the commands themselves */
    run_with(&o, &r, "datanode", "info", "not-an-address", "--addr", dead_addr(), NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "invalid address \"not-an-address\""));
    run_free(&r);
    run_with(&o, &r, "datapartition", "info", "x1", "--addr", dead_addr(), NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "invalid ID \"x1\""));
    run_free(&r);
    run_with(&o, &r, "cluster", "threshold", "1.5", "--addr", dead_addr(), NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "Threshold too big"));
    run_free(&r);
    run_with(&o, &r, "cluster", "freeze", "maybe", "--addr", dead_addr(), NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    run_free(&r);
    run_with(&o, &r, "volume", "add-dp", "v", "0", "--addr", dead_addr(), NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "number must be larger than 0"));
    run_free(&r);
    run_with(&o, &r, "cluster", "set", "--dpHeartbeatTimeout", "500ms", "--addr", dead_addr(),
             NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "smaller than 1s"));
    run_free(&r);
    run_with(&o, &r, "user", "create", "u1", "--user-type", "super", "--addr", dead_addr(), NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    run_free(&r);
    run_with(&o, &r, "volume", "list", "--addr", "a:1,oops", NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "--addr: invalid address \"oops\""));
    run_free(&r);
}

static void test_run_help_and_version(void)
{
    struct run_opts o = {.home = home};
    struct run r;

    run_with(&o, &r, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Available Commands:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "datapartition"));
    run_free(&r);
    run_with(&o, &r, "vol", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Aliases:\n  volume, vol\n"));
    run_free(&r);
    run_with(&o, &r, "-v", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "cfs-cli"));
    run_free(&r);
}

static void test_run_no_master(void)
{
    struct run_opts o = {.home = home};
    char path[512];
    struct run r;

    snprintf(path, sizeof(path), "%s/%s", home, CONFIG_FILE_NAME);
    unlink(path);
    run_with(&o, &r, "cluster", "info", NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_FAILURE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no master address"));
    run_free(&r);

    /* nobody answers: one line naming every master tried */
    run_with(&o, &r, "cluster", "info", "--addr", "127.0.0.1:1,127.0.0.1:2", NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_FAILURE);
    CU_ASSERT_STRING_EQUAL(r.out, "");
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "Error: cluster info: no master answered: 127.0.0.1:1 ("));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "127.0.0.1:2 ("));
    CU_ASSERT_PTR_NOT_NULL(strchr(r.err, '\n'));
    CU_ASSERT_EQUAL(strchr(r.err, '\n')[1], '\0');
    run_free(&r);
}

static void test_run_confirmation(void)
{
    struct run_opts o = {.home = home, .env_addr = "127.0.0.1:1"};
    struct run r;

    /* no terminal, no -y: refused before any request */
    run_with(&o, &r, "volume", "delete", "v1", NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_FAILURE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "stdin is not a terminal"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "-y"));
    CU_ASSERT_PTR_NULL(strstr(r.err, "no master answered"));
    run_free(&r);
    run_with(&o, &r, "volume", "create", "v1", "cfs", NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_FAILURE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "stdin is not a terminal"));
    run_free(&r);

    /* a terminal answering "no" */
    o.in_tty = true;
    o.input = "no\n";
    run_with(&o, &r, "volume", "delete", "v1", NULL);
    CU_ASSERT_EQUAL(r.status, CLI_EXIT_FAILURE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Delete volume [v1] (yes/no)[no]: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "aborted by user"));
    run_free(&r);
    /* an empty answer is "no" for deletes ... */
    o.input = "\n";
    run_with(&o, &r, "volume", "delete", "v1", NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "aborted by user"));
    run_free(&r);
    /* ... and "yes" for creates, whose summary is shown first */
    run_with(&o, &r, "volume", "create", "v1", "cfs", "--capacity", "20", NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Create a new volume:\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "  capacity                 : 20 G\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Confirm (yes/no)[yes]: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no master answered")); /* it went ahead */
    run_free(&r);
    o.input = "yes\n";
    run_with(&o, &r, "volume", "delete", "v1", NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no master answered"));
    run_free(&r);
    /* -y skips the question */
    o.input = NULL;
    run_with(&o, &r, "volume", "delete", "v1", "-y", NULL);
    CU_ASSERT_PTR_NULL(strstr(r.out, "(yes/no)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no master answered"));
    run_free(&r);
}

/* --- output ------------------------------------------------------------------------------- */

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    return v;
}

static void test_output_values(void)
{
    static const struct {
        const char *json;
        const char *want;
    } cases[] = {
        {"\"abc\"", "abc"},
        {"42", "42"},
        {"-7", "-7"},
        {"0.75", "0.75"},
        {"2.0", "2"},
        {"246.97", "246.97"},
        {"0.1", "0.1"},
        {"true", "true"},
        {"false", "false"},
        {"null", ""},
        {"[1,\"a\",true]", "[1 a true]"},
        {"[]", "[]"},
        {"{\"k\":1}", "map[k:1]"},
    };
    char buf[OUTPUT_CELL_SIZE];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *v = parse_json(cases[i].json);
        CU_ASSERT_STRING_EQUAL(output_value(v, buf, sizeof(buf)), cases[i].want);
        json_decref(v);
    }
    CU_ASSERT_STRING_EQUAL(output_value(NULL, buf, sizeof(buf)), "");
}

static void test_output_sizes(void)
{
    static const struct {
        uint64_t bytes;
        const char *want;
    } cases[] = {
        {0, "0.00 B"},
        {1023, "1023.00 B"},
        {1024, "1.00 KB"},
        {1536, "1.50 KB"},
        {10737418240ull, "10.00 GB"},
        {128849018880ull, "120.00 GB"},
        {1125899906842624ull * 3, "3.00 PB"},
    };
    char buf[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CU_ASSERT_STRING_EQUAL(output_size(cases[i].bytes, buf, sizeof(buf)), cases[i].want);
    }
}

static void test_output_formats(void)
{
    static const struct {
        const char *key;
        enum output_fmt fmt;
        const char *want;
    } cases[] = {
        {"t", OUTPUT_YES_NO, "Yes"},
        {"f", OUTPUT_YES_NO, "No"},
        {"t", OUTPUT_ACTIVE, "Active"},
        {"missing", OUTPUT_ACTIVE, "Inactive"},
        {"t", OUTPUT_ENABLED, "Enabled"},
        {"t", OUTPUT_NOT_ENABLED, "Disabled"},
        {"t", OUTPUT_TRUE_FALSE, "True"},
        {"t", OUTPUT_FORBID, "forbidden"},
        {"zero", OUTPUT_VOL_STATUS, "Normal"},
        {"one", OUTPUT_VOL_STATUS, "Marked delete"},
        {"minus", OUTPUT_DP_STATUS, "Unavailable"},
        {"zero", OUTPUT_DP_STATUS, "Recovering"},
        {"one", OUTPUT_DP_STATUS, "ReadOnly"},
        {"two", OUTPUT_DP_STATUS, "ReadWrite"},
        {"nine", OUTPUT_DP_STATUS, "Unknown"},
        {"one", OUTPUT_MP_STATUS, "Read only"},
        {"two", OUTPUT_MP_STATUS, "Writable"},
        {"minus", OUTPUT_MP_STATUS, "Unavailable"},
        {"zero", OUTPUT_MEDIA, "Unspecified"},
        {"zero", OUTPUT_NODE_MEDIA, "N/A"},
        {"one", OUTPUT_NODE_MEDIA, "SSD"},
        {"nine", OUTPUT_MEDIA, "InvalidValue(9)"},
        {"one", OUTPUT_STORAGE_CLASS, "ReplicaSSD"},
        {"three", OUTPUT_USER_TYPE, "Normal"},
        {"three", OUTPUT_USER_TYPE_NAME, "normal"},
        {"gb", OUTPUT_GB, "246 GB"},
        {"big", OUTPUT_SIZE, "10.00 GB"},
        {"end", OUTPUT_RANGE_END, "unlimited"},
        {"two", OUTPUT_RANGE_END, "2"},
        {"day", OUTPUT_DURATION_S, "24h0m0s"},
        {"ninety", OUTPUT_DURATION_S, "1m30s"},
        {"zero", OUTPUT_DURATION_S, "0s"},
        {"two", OUTPUT_DURATION_MIN, "2m0s"},
        {"hosts", OUTPUT_JOIN_COMMA, "a:1,b:2"},
        {"hosts", OUTPUT_JOIN_COMMA_SP, "a:1, b:2"},
        {"classes", OUTPUT_STORAGE_CLASSES, "[ReplicaSSD ReplicaHDD]"},
        {"gotime", OUTPUT_GO_TIME, "2026-11-22 19:03:57"},
        {"nested.inner", OUTPUT_RAW, "deep"},
        {"nested.none", OUTPUT_RAW, ""},
        {"Addr", OUTPUT_ADDR, "1.2.3.4:17310(dn1:17310)"},
        {"huge", OUTPUT_RANGE_END, "unlimited"},
        {"huge", OUTPUT_SIZE, "8192.00 PB"},
    };
    json_t *obj = parse_json(
        "{\"t\":true,\"f\":false,\"zero\":0,\"one\":1,\"two\":2,\"three\":3,\"nine\":9,"
        "\"minus\":-1,\"gb\":246,\"big\":10737418240,\"end\":9223372036854775807,"
        "\"day\":86400,\"ninety\":90,\"hosts\":[\"a:1\",\"b:2\"],\"classes\":[1,2],"
        "\"gotime\":\"2026-11-22T19:03:57.123+08:00\",\"nested\":{\"inner\":\"deep\"},"
        "\"Addr\":\"1.2.3.4:17310\",\"DomainAddr\":\"dn1:17310\",\"huge\":1.8446744073709552e19}");
    char buf[OUTPUT_CELL_SIZE];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        output_cell(obj, cases[i].key, cases[i].fmt, buf, sizeof(buf));
        if (strcmp(buf, cases[i].want) != 0) {
            fprintf(stderr, "case %zu (%s): \"%s\", want \"%s\"\n", i, cases[i].key, buf,
                    cases[i].want);
            CU_FAIL("output_cell");
        }
    }
    json_decref(obj);
}

static void test_output_node_table(void)
{
    json_t *rows = parse_json("[{\"ID\":3,\"Addr\":\"127.0.0.1:17310\",\"Status\":true,"
                              "\"IsWritable\":true,\"MediaType\":1},"
                              "{\"ID\":16,\"Addr\":\"127.0.0.1:17999\",\"Status\":false,"
                              "\"IsWritable\":false,\"MediaType\":0}]");
    FILE *f = tmpfile();
    char *text;
    char want[1024];

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    output_table(f, "", &output_node_table, rows);
    text = slurp(f);
    snprintf(want, sizeof(want),
             "%-6s    %-65s    %-8s    %-8s    %-8s    %-12s\n"
             "%-6s    %-65s    %-8s    %-8s    %-8s    %-12s\n"
             "%-6s    %-65s    %-8s    %-8s    %-8s    %-12s\n",
             "ID", "ADDRESS", "WRITABLE", "ACTIVE", "MEDIA", "ForbidWriteOpOfProtoVer0", "3",
             "127.0.0.1:17310", "Yes", "Active", "SSD", "notForbid", "16", "127.0.0.1:17999", "No",
             "Inactive", "N/A", "notForbid");
    CU_ASSERT_STRING_EQUAL(text, want);
    free(text);
    fclose(f);
    json_decref(rows);
}

static void test_output_view_and_sort(void)
{
    static const struct output_field fields[] = {
        {"Cluster name", "Name", OUTPUT_RAW},
        {"Master leader", "LeaderAddr", OUTPUT_RAW},
    };
    static const struct output_view view = OUTPUT_VIEW("  ", 19, fields);
    json_t *obj = parse_json("{\"Name\":\"c1\",\"LeaderAddr\":\"127.0.0.1:17010\"}");
    json_t *arr =
        parse_json("[{\"ID\":5,\"n\":\"a\"},{\"ID\":2,\"n\":\"b\"},{\"ID\":5,\"n\":\"c\"},"
                   "{\"ID\":1,\"n\":\"d\"}]");
    FILE *f = tmpfile();
    char *text;

    output_view(f, &view, obj);
    text = slurp(f);
    CU_ASSERT_STRING_EQUAL(text,
                           "  Cluster name       : c1\n  Master leader      : 127.0.0.1:17010\n");
    free(text);
    fclose(f);
    output_sort(arr, "ID");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(arr, 0), "n")), "d");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(arr, 1), "n")), "b");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(arr, 2), "n")), "a");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(arr, 3), "n")), "c");
    json_decref(obj);
    json_decref(arr);
}

static void test_output_json(void)
{
    json_t *obj = parse_json("{\"b\":1,\"a\":[true]}");
    FILE *f = tmpfile();
    char *text;

    CU_ASSERT_EQUAL(output_json(f, obj), 0);
    CU_ASSERT_EQUAL(output_json(f, NULL), 0);
    text = slurp(f);
    CU_ASSERT_STRING_EQUAL(text, "{\n  \"b\": 1,\n  \"a\": [\n    true\n  ]\n}\nnull\n");
    free(text);
    fclose(f);
    json_decref(obj);
}

static void test_output_progress_line(void)
{
    struct output_progress p;
    FILE *f = tmpfile();
    char *text;

    output_progress_init(&p, f, true);
    output_progress_update(&p, "Running 10%");
    output_progress_update(&p, "Done");
    output_progress_end(&p);
    text = slurp(f);
    CU_ASSERT_STRING_EQUAL(text, "\rRunning 10%\rDone       \n");
    free(text);
    fclose(f);

    f = tmpfile();
    output_progress_init(&p, f, false);
    output_progress_update(&p, "Marked");
    output_progress_update(&p, "Marked");
    output_progress_update(&p, "Running");
    output_progress_end(&p);
    text = slurp(f);
    CU_ASSERT_STRING_EQUAL(text, "Marked\nRunning\n");
    free(text);
    fclose(f);
}

static void test_query_building(void)
{
    struct client_query q;
    char big[CLIENT_QUERY_SIZE];

    client_query_init(&q, "/admin/createVol");
    client_query_add(&q, "name", "v1");
    client_query_add(&q, "description", "a b&c=d");
    client_query_add(&q, "zoneName", "");
    client_query_add(&q, "addr", "127.0.0.1:17310");
    client_query_addf(&q, "capacity", "%d", 20);
    CU_ASSERT_FALSE(q.overflow);
    CU_ASSERT_STRING_EQUAL(q.buf, "/admin/createVol?name=v1&description=a%20b%26c%3Dd&zoneName="
                                  "&addr=127.0.0.1:17310&capacity=20");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    client_query_add(&q, "big", big);
    CU_ASSERT_TRUE(q.overflow);
}

/* --- progress ----------------------------------------------------------------------------- */

static void test_progress_node_decisions(void)
{
    static const struct {
        const char *json;
        bool gone;
        enum progress_state want;
        const char *text;
    } cases[] = {
        {"{}", true, PROGRESS_DONE, "Success (the node has left the cluster)"},
        {"{\"Addr\":\"a:1\"}", false, PROGRESS_RUNNING, "Initial"},
        {"{\"ToBeOffline\":true}", false, PROGRESS_RUNNING, "Running (marked to be offline"},
        {"{\"DecommissionProgress\":{\"Status\":\"Marked\",\"Total\":0}}", false, PROGRESS_RUNNING,
         "Marked 0.00% (0 of 0 partitions moved"},
        {"{\"DecommissionProgress\":{\"Status\":\"Running\",\"Total\":4,\"Succeeded\":1,"
         "\"Failed\":0,\"Remaining\":3}}",
         false, PROGRESS_RUNNING, "Running 25.00% (1 of 4 partitions moved, 0 failed, 3 left"},
        {"{\"DecommissionProgress\":{\"Status\":\"Success\",\"Total\":0}}", false, PROGRESS_DONE,
         "Success 100.00%"},
        {"{\"DecommissionProgress\":{\"Status\":\"Fail\",\"Total\":2,\"Succeeded\":1,"
         "\"ErrorMessage\":\"no target\"}}",
         false, PROGRESS_FAILED,
         "Fail 50.00% (1 of 2 partitions moved, 0 failed, 0 left on the "
         "node): no target"},
        /* CubeFS v3.5's /dataNode/queryDecommissionProgress */
        {"{\"StatusMessage\":\"Running\",\"Progress\":\"40.00%\",\"TotalDpCnt\":5,"
         "\"RemainingDpCnt\":3}",
         false, PROGRESS_RUNNING, "Running 40.00% (3 of 5 partitions left)"},
        {"{\"StatusMessage\":\"Success\",\"Progress\":\"100.00%\"}", false, PROGRESS_DONE,
         "Success 100.00%"},
        {"{\"StatusMessage\":\"Failed\",\"FailedDps\":[{\"PartitionID\":7,\"ErrMsg\":\"disk\"}]}",
         false, PROGRESS_FAILED, "Failed 0.00% (0 of 0 partitions left): disk"},
        {"{\"StatusMessage\":\"DecommissionCancel\"}", false, PROGRESS_FAILED,
         "DecommissionCancel"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *v = parse_json(cases[i].json);
        struct progress_status st;
        progress_node_status(v, cases[i].gone, &st);
        CU_ASSERT_EQUAL(st.state, cases[i].want);
        if (strncmp(st.text, cases[i].text, strlen(cases[i].text)) != 0) {
            fprintf(stderr, "case %zu: \"%s\", want \"%s...\"\n", i, st.text, cases[i].text);
            CU_FAIL("progress_node_status text");
        }
        json_decref(v);
    }
}

static void test_progress_dp_decisions(void)
{
    static const struct {
        const char *status;
        const char *hosts;
        enum progress_state want;
        const char *text;
    } cases[] = {
        {"{\"Status\":\"Marked\",\"SrcAddress\":\"s:1\"}", NULL, PROGRESS_RUNNING, "Marked"},
        {"{\"Status\":\"Running\",\"State\":\"ReplicaAdded\",\"DstAddress\":\"d:1\","
         "\"Message\":\"waiting\"}",
         NULL, PROGRESS_RUNNING, "Running (ReplicaAdded) -> d:1: waiting"},
        {"{\"Status\":\"Success\",\"State\":\"Success\",\"DstAddress\":\"d:1\"}", NULL,
         PROGRESS_DONE, "Success -> d:1"},
        {"{\"Status\":\"Fail\",\"ErrorMessage\":\"no node\"}", NULL, PROGRESS_FAILED,
         "Fail: no node"},
        {"{\"Status\":\"Failed\",\"Progress\":\"0%\",\"ErrorMessage\":\"x\"}", NULL,
         PROGRESS_FAILED, "Failed 0%: x"},
        {"{\"Status\":\"Initial\"}", "[\"a:1\",\"d:1\"]", PROGRESS_DONE,
         "Success (s:1 no longer hosts the partition)"},
        {"{\"Status\":\"Initial\"}", "[\"s:1\",\"a:1\"]", PROGRESS_RUNNING, "Initial"},
        {"{}", NULL, PROGRESS_RUNNING, "Initial"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *s = parse_json(cases[i].status);
        json_t *h = cases[i].hosts != NULL ? parse_json(cases[i].hosts) : NULL;
        struct progress_status st;
        progress_dp_status(s, h, "s:1", &st);
        CU_ASSERT_EQUAL(st.state, cases[i].want);
        if (strcmp(st.text, cases[i].text) != 0) {
            fprintf(stderr, "case %zu: \"%s\", want \"%s\"\n", i, st.text, cases[i].text);
            CU_FAIL("progress_dp_status text");
        }
        json_decref(s);
        json_decref(h);
    }
}

/* A scripted job: one answer per poll; the last repeats. */
struct script {
    const char *const *steps; /* "R:text", "D:text", "F:text", "E" (no master), "X" (error) */
    size_t n, next;
    size_t polls;
};

static int script_poll(struct cli_ctx *ctx, const void *arg, struct progress_status *st)
{
    struct script *s = (struct script *)arg;
    const char *step = s->steps[s->next < s->n ? s->next : s->n - 1];

    s->next++;
    s->polls++;
    if (step[0] == 'E') {
        return CFS_ENOLEADER;
    }
    if (step[0] == 'X') {
        return cli_fail(ctx, CFS_EREMOTE, "data partition not exists");
    }
    st->state = step[0] == 'R'   ? PROGRESS_RUNNING
                : step[0] == 'D' ? PROGRESS_DONE
                                 : PROGRESS_FAILED;
    snprintf(st->text, sizeof(st->text), "%s", step + 2);
    return 0;
}

static int wait_script(const char *const *steps, size_t n, uint64_t timeout_s, bool tty,
                       size_t *polls, char **out, char *errmsg)
{
    struct script s = {steps, n, 0, 0};
    struct progress_job job = {"decommission of x", script_poll, &s};
    struct cli_env env = {0};
    struct cli_ctx ctx = {0};
    FILE *f = tmpfile();
    int rv;

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    env.out = f;
    env.out_tty = tty;
    env.now_ms = fake_now_ms;
    env.sleep_ms = fake_sleep_ms;
    env.poll_interval_ms = 1000;
    ctx.env = &env;
    ctx.out = f;
    fake_now = 1000000;
    rv = progress_wait(&ctx, &job, timeout_s);
    *polls = s.polls;
    *out = slurp(f);
    snprintf(errmsg, ERRMSG_SIZE, "%s", ctx.errmsg);
    fclose(f);
    return rv;
}

static void test_progress_wait(void)
{
    static const char *const ok[] = {"R:Marked", "E", "R:Running 50%", "D:Success"};
    static const char *const failed[] = {"R:Marked", "F:Fail: no target"};
    static const char *const stuck[] = {"R:Running"};
    static const char *const broken[] = {"R:Marked", "X"};
    char errmsg[ERRMSG_SIZE];
    size_t polls;
    char *out;

    CU_ASSERT_EQUAL(wait_script(ok, 4, 60, false, &polls, &out, errmsg), 0);
    CU_ASSERT_EQUAL(polls, 4);
    CU_ASSERT_STRING_EQUAL(out, "decommission of x: Marked\n"
                                "decommission of x: waiting for a master to answer\n"
                                "decommission of x: Running 50%\n"
                                "decommission of x: Success\n"
                                "decommission of x succeeded\n");
    CU_ASSERT_EQUAL(fake_now, 1000000 + 3 * 1000);
    free(out);

    CU_ASSERT_EQUAL(wait_script(ok, 4, 60, true, &polls, &out, errmsg), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\rdecommission of x: Success"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\ndecommission of x succeeded\n"));
    CU_ASSERT_PTR_NULL(strstr(out, "Marked\n"));
    free(out);

    CU_ASSERT_EQUAL(wait_script(failed, 2, 60, false, &polls, &out, errmsg), -EIO);
    CU_ASSERT_STRING_EQUAL(errmsg, "decommission of x failed: Fail: no target");
    free(out);

    /* 10 s with polls every second: 11 polls (t = 0..10 s), then the deadline */
    CU_ASSERT_EQUAL(wait_script(stuck, 1, 10, false, &polls, &out, errmsg), CFS_ETIMEDOUT);
    CU_ASSERT_EQUAL(polls, 11);
    CU_ASSERT_STRING_EQUAL(errmsg,
                           "decommission of x not finished after 10 s (last status: Running)");
    CU_ASSERT_STRING_EQUAL(out, "decommission of x: Running\n"); /* printed once */
    free(out);

    CU_ASSERT_EQUAL(wait_script(broken, 2, 60, false, &polls, &out, errmsg), CFS_EREMOTE);
    CU_ASSERT_STRING_EQUAL(errmsg, "data partition not exists");
    free(out);
}

static const struct test_case parser_cases[] = {
    {"tree_is_well_formed", test_tree_is_well_formed},
    {"tree_check_catches_mistakes", test_tree_check_catches_mistakes},
    {"parse_flag_forms", test_parse_flag_forms},
    {"parse_usage_errors", test_parse_usage_errors},
    {"parse_help_and_groups", test_parse_help_and_groups},
    {"parse_bool_values", test_parse_bool_values},
    {"help_describes_every_flag", test_help_describes_every_flag},
    {NULL, NULL},
};

static const struct test_case config_cases[] = {
    {"addr_check", test_addr_check},
    {"addr_list", test_addr_list},
    {"config_file_round_trip", test_config_file_round_trip},
    {"config_file_cubefs_form", test_config_file_cubefs_form},
    {"master_precedence", test_master_precedence},
    {"config_commands", test_config_commands},
    {NULL, NULL},
};

static const struct test_case run_cases[] = {
    {"usage_errors_exit_2", test_run_usage_errors_exit_2},
    {"help_and_version", test_run_help_and_version},
    {"no_master", test_run_no_master},
    {"confirmation", test_run_confirmation},
    {NULL, NULL},
};

static const struct test_case output_cases[] = {
    {"values", test_output_values},
    {"sizes", test_output_sizes},
    {"formats", test_output_formats},
    {"node_table", test_output_node_table},
    {"view_and_sort", test_output_view_and_sort},
    {"json", test_output_json},
    {"progress_line", test_output_progress_line},
    {"query_building", test_query_building},
    {NULL, NULL},
};

static const struct test_case progress_cases[] = {
    {"node_decisions", test_progress_node_decisions},
    {"dp_decisions", test_progress_dp_decisions},
    {"wait", test_progress_wait},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"parser", suite_init, suite_cleanup, parser_cases},
    {"config", suite_init, suite_cleanup, config_cases},
    {"run", suite_init, suite_cleanup, run_cases},
    {"output", NULL, NULL, output_cases},
    {"progress", NULL, NULL, progress_cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

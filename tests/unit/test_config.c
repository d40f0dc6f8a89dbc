#include "common/config.h"
#include "common/errors.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A config shaped like a node's: required listen/localIP, a master list, optional numbers. */
struct node_cfg {
    uint32_t listen;
    char local_ip[64];
    uint32_t nmasters;
    char masters[4][64];
    uint64_t total_mem;
    bool debug;
    char zone[32];
};

static const struct jc_field node_cfg_fields[] = {
    CONFIG_F(struct node_cfg, listen, "listen", JC_U32, JC_REQUIRED),
    CONFIG_F(struct node_cfg, local_ip, "localIP", JC_STR, JC_REQUIRED),
    CONFIG_LIST(struct node_cfg, masters, nmasters, "masterAddr", JC_STR, JC_REQUIRED),
    CONFIG_F(struct node_cfg, total_mem, "totalMem", JC_U64, 0),
    CONFIG_F(struct node_cfg, debug, "debug", JC_BOOL, 0),
    CONFIG_F(struct node_cfg, zone, "zoneName", JC_STR, 0),
    JC_END,
};

static char dir[256];

static int setup(void)
{
    return test_mkdtemp(dir, sizeof(dir), "cfs-config");
}

static int teardown(void)
{
    return test_rmtree(dir);
}

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void defaults(struct node_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->total_mem = 1024;
    strcpy(c->zone, "default");
}

static void test_cubefs_style_file(void)
{
    const char *path =
        write_file("ok.json", "{\"role\":\"metanode\",\"listen\":\"17210\","
                              "\"localIP\":\"127.0.0.1\",\"totalMem\":\"536870912\","
                              "\"masterAddr\":[\"127.0.0.1:17010\",\"127.0.0.2:17010\"],"
                              "\"debug\":\"true\"}");
    char errmsg[ERRMSG_SIZE] = "";
    struct node_cfg c;

    defaults(&c);
    CU_ASSERT_EQUAL_FATAL(config_load(path, node_cfg_fields, &c, errmsg), 0);
    CU_ASSERT_EQUAL(c.listen, 17210);
    CU_ASSERT_STRING_EQUAL(c.local_ip, "127.0.0.1");
    CU_ASSERT_EQUAL(c.total_mem, 536870912u);
    CU_ASSERT_EQUAL_FATAL(c.nmasters, 2);
    CU_ASSERT_STRING_EQUAL(c.masters[1], "127.0.0.2:17010");
    CU_ASSERT_TRUE(c.debug);
    /* Absent keys keep their defaults. */
    CU_ASSERT_STRING_EQUAL(c.zone, "default");
}

static void test_numbers_and_comma_lists(void)
{
    static const char text[] = "{\"listen\":17210,\"localIP\":\"127.0.0.3\","
                               "\"masterAddr\":\"127.0.0.1:17010,127.0.0.2:17010\"}";
    char errmsg[ERRMSG_SIZE] = "";
    struct node_cfg c;

    defaults(&c);
    CU_ASSERT_EQUAL_FATAL(config_parse("inline", text, strlen(text), node_cfg_fields, &c, errmsg),
                          0);
    CU_ASSERT_EQUAL(c.listen, 17210);
    CU_ASSERT_EQUAL(c.nmasters, 2);
}

static void test_missing_required_key_is_named(void)
{
    const char *path = write_file("missing.json", "{\"listen\":\"17210\",\"masterAddr\":[]}");
    char errmsg[ERRMSG_SIZE] = "";
    char want[600];
    struct node_cfg c;

    defaults(&c);
    CU_ASSERT_EQUAL(config_load(path, node_cfg_fields, &c, errmsg), CFS_EMISSING);
    snprintf(want, sizeof(want), "config %s: localIP: required key missing", path);
    CU_ASSERT_STRING_EQUAL(errmsg, want);
}

static void test_wrong_type_is_named(void)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"{\"listen\":{},\"localIP\":\"a\",\"masterAddr\":[]}",
         "listen: expected unsigned integer"},
        {"{\"listen\":\"abc\",\"localIP\":\"a\",\"masterAddr\":[]}",
         "listen: expected unsigned integer, got \"abc\""},
        {"{\"listen\":1,\"localIP\":[],\"masterAddr\":[]}", "localIP: expected string"},
        {"{\"listen\":1,\"localIP\":\"a\",\"masterAddr\":7}", "masterAddr: expected array"},
        {"{\"listen\":1,\"localIP\":\"a\",\"masterAddr\":[],\"debug\":\"maybe\"}",
         "debug: expected true or false"},
        {"{\"listen\":99999999999,\"localIP\":\"a\",\"masterAddr\":[]}",
         "listen: 99999999999 is over the maximum"},
        {"[]", "top level must be a JSON object"},
    };
    char errmsg[ERRMSG_SIZE];
    struct node_cfg c;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        defaults(&c);
        CU_ASSERT_NOT_EQUAL(config_parse("t.json", cases[i].text, strlen(cases[i].text),
                                         node_cfg_fields, &c, errmsg),
                            0);
        CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, cases[i].message));
        CU_ASSERT_EQUAL(strncmp(errmsg, "config t.json: ", 15), 0);
    }
}

static void test_bad_json_and_missing_file(void)
{
    const char *path = write_file("bad.json", "{\n\"listen\": 1,\n\"localIP\" \"x\"}");
    char errmsg[ERRMSG_SIZE] = "";
    char missing[512];
    struct node_cfg c;

    defaults(&c);
    CU_ASSERT_EQUAL(config_load(path, node_cfg_fields, &c, errmsg), CFS_EBADJSON);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "invalid JSON at line 3"));
    snprintf(missing, sizeof(missing), "%s/nope.json", dir);
    CU_ASSERT_EQUAL(config_load(missing, node_cfg_fields, &c, errmsg), -ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "nope.json"));
}

static const struct test_case cases[] = {
    {"cubefs_style_file", test_cubefs_style_file},
    {"numbers_and_comma_lists", test_numbers_and_comma_lists},
    {"missing_required_key_is_named", test_missing_required_key_is_named},
    {"wrong_type_is_named", test_wrong_type_is_named},
    {"bad_json_and_missing_file", test_bad_json_and_missing_file},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"config", setup, teardown, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

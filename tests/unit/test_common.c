#include "common/clock.h"
#include "common/crc32.h"
#include "common/errors.h"
#include "common/log.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_api_codes_follow_v35_numbering(void)
{
    /* Spot checks against the v3.5 ("HEAD") column and the captured wire samples. */
    CU_ASSERT_STRING_EQUAL(errors_api_message(API_SUCCESS), "success");
    CU_ASSERT_STRING_EQUAL(errors_api_message(API_PARAM_ERROR), "parameter error");
    CU_ASSERT_EQUAL(API_VOL_NOT_EXISTS, 7);
    CU_ASSERT_STRING_EQUAL(errors_api_message(7), "vol not exists");
    CU_ASSERT_EQUAL(API_DATA_PARTITION_NOT_EXISTS, 11);
    CU_ASSERT_STRING_EQUAL(errors_api_message(11), "data partition not exists");
    CU_ASSERT_STRING_EQUAL(errors_api_message(12), "data node not exists");
    CU_ASSERT_STRING_EQUAL(errors_api_message(13), "meta node not exists");
    CU_ASSERT_EQUAL(API_NO_LEADER, 33);
    CU_ASSERT_STRING_EQUAL(errors_api_message(34), "client and server auth key do not match");
    CU_ASSERT_STRING_EQUAL(errors_api_name(API_VOL_AUTH_KEY_NOT_MATCH), "VolAuthKeyNotMatch");
    CU_ASSERT_EQUAL(API_ZONE_NUM_ERROR, 62);
    CU_ASSERT_STRING_EQUAL(errors_api_message(-1), "unknown error");
    CU_ASSERT_STRING_EQUAL(errors_api_message(API_CODE_COUNT), "unknown error");
    for (int code = 0; code < API_CODE_COUNT; code++) {
        CU_ASSERT_PTR_NOT_NULL(errors_api_message(code));
        CU_ASSERT_PTR_NOT_NULL(errors_api_name(code));
    }
}

static void test_internal_codes_have_text(void)
{
    CU_ASSERT_STRING_EQUAL(errors_strerror(0), "success");
    CU_ASSERT_STRING_EQUAL(errors_strerror(CFS_EMAGIC), "bad magic");
    CU_ASSERT_STRING_EQUAL(errors_strerror(CFS_ENOTLEADER), "not the leader");
    CU_ASSERT_STRING_EQUAL(errors_strerror(-ENOENT), strerror(ENOENT));
    CU_ASSERT_STRING_EQUAL(errors_strerror(-5000), "unknown error");
}

static void test_errmsg_prefix(void)
{
    char errmsg[ERRMSG_SIZE];

    errors_set(errmsg, "found %d writable nodes", 2);
    errors_prefix(errmsg, "createVol %s", "v1");
    CU_ASSERT_STRING_EQUAL(errmsg, "createVol v1: found 2 writable nodes");
    errors_set(NULL, "ignored");
    errors_prefix(NULL, "ignored");
}

static void test_log_levels(void)
{
    enum log_level level;

    CU_ASSERT_EQUAL(log_level_parse("debug", &level), 0);
    CU_ASSERT_EQUAL(level, LOG_LEVEL_DEBUG);
    CU_ASSERT_EQUAL(log_level_parse("WARN", &level), 0);
    CU_ASSERT_EQUAL(level, LOG_LEVEL_WARN);
    CU_ASSERT_EQUAL(log_level_parse("loud", &level), -EINVAL);
}

static void test_log_file_gets_tagged_lines(void)
{
    char dir[256];
    char path[512];
    char *text;
    int saved = log_current_level;

    CU_ASSERT_EQUAL_FATAL(test_mkdtemp(dir, sizeof(dir), "cfs-log"), 0);
    CU_ASSERT_EQUAL_FATAL(log_open(dir, "unit", NULL), 0);
    log_set_level(LOG_LEVEL_INFO);
    log_debug("hidden %d", 1);
    log_info("shown %d", 2);
    log_close();
    log_current_level = saved;
    snprintf(path, sizeof(path), "%s/unit.log", dir);
    text = test_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NULL(strstr(text, "hidden"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "INFO  [cfs] test_common.c:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "shown 2\n"));
    free(text);
    test_rmtree(dir);
}

static void test_crc32_ieee(void)
{
    CU_ASSERT_EQUAL(crc32_ieee(0, "123456789", 9), 0xCBF43926u);
    CU_ASSERT_EQUAL(crc32_ieee(0, "", 0), 0u);
    /* Continuing a CRC over two pieces equals one pass. */
    CU_ASSERT_EQUAL(crc32_ieee(crc32_ieee(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

static void test_clock_moves_forward(void)
{
    uint64_t a = clock_mono_ms();

    clock_sleep_ms(5);
    CU_ASSERT_TRUE(clock_mono_ms() >= a + 5);
    CU_ASSERT_TRUE(clock_wall_s() > 1700000000);
}

static const struct test_case cases[] = {
    {"api_codes_follow_v35_numbering", test_api_codes_follow_v35_numbering},
    {"internal_codes_have_text", test_internal_codes_have_text},
    {"errmsg_prefix", test_errmsg_prefix},
    {"log_levels", test_log_levels},
    {"log_file_gets_tagged_lines", test_log_file_gets_tagged_lines},
    {"crc32_ieee", test_crc32_ieee},
    {"clock_moves_forward", test_clock_moves_forward},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"common", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

#include "common/clock.h"
#include "common/crc32.h"
#include "common/errors.h"
#include "common/hmap.h"
#include "common/log.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <stdint.h>
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

static void test_hmap_u64_churn(void)
{
    struct hmap *m = hmap_new(false);
    void *old = &old;
    size_t pos = 0, seen = 0;
    uint64_t key;
    void *value;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (uintptr_t i = 1; i <= 20000; i++) {
        CU_ASSERT_EQUAL(hmap_put_u64(m, i * 7919, (void *)i, NULL), 0);
    }
    CU_ASSERT_EQUAL(hmap_count(m), 20000);
    /* Delete every other key, then re-add half of them with new values: tombstones get reused. */
    for (uintptr_t i = 2; i <= 20000; i += 2) {
        CU_ASSERT_EQUAL((uintptr_t)hmap_del_u64(m, i * 7919), i);
    }
    CU_ASSERT_PTR_NULL(hmap_del_u64(m, 2 * 7919));
    for (uintptr_t i = 2; i <= 10000; i += 2) {
        CU_ASSERT_EQUAL(hmap_put_u64(m, i * 7919, (void *)(i + 1), &old), 0);
        CU_ASSERT_PTR_NULL(old);
    }
    CU_ASSERT_EQUAL(hmap_put_u64(m, 7919, (void *)5, &old), 0);
    CU_ASSERT_EQUAL((uintptr_t)old, 1);
    CU_ASSERT_EQUAL(hmap_count(m), 15000);
    CU_ASSERT_EQUAL((uintptr_t)hmap_get_u64(m, 4 * 7919), 5);
    CU_ASSERT_PTR_NULL(hmap_get_u64(m, 12000 * 7919));
    while (hmap_next(m, &pos, &key, NULL, &value)) {
        CU_ASSERT_EQUAL(key % 7919, 0);
        seen++;
    }
    CU_ASSERT_EQUAL(seen, 15000);
    hmap_free(m);
}

static void test_hmap_strings_are_copied(void)
{
    struct hmap *m = hmap_new(true);
    char key[32];
    const char *k;
    size_t pos = 0;

    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "127.0.0.%d:17310", i);
        CU_ASSERT_EQUAL(hmap_put_str(m, key, (void *)(uintptr_t)(i + 1), NULL), 0);
    }
    strcpy(key, "overwritten");
    CU_ASSERT_EQUAL((uintptr_t)hmap_get_str(m, "127.0.0.42:17310"), 43);
    CU_ASSERT_PTR_NULL(hmap_get_str(m, "127.0.0.42:17311"));
    CU_ASSERT_EQUAL((uintptr_t)hmap_del_str(m, "127.0.0.0:17310"), 1);
    CU_ASSERT_EQUAL(hmap_count(m), 99);
    CU_ASSERT_TRUE(hmap_next(m, &pos, NULL, &k, NULL));
    CU_ASSERT_EQUAL(strncmp(k, "127.0.0.", 8), 0);
    hmap_free(m);
}

static const struct test_case cases[] = {
    {"hmap_u64_churn", test_hmap_u64_churn},
    {"hmap_strings_are_copied", test_hmap_strings_are_copied},
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

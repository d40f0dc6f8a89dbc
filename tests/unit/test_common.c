#include "common/clock.h"
#include "common/crc32.h"
#include "common/errors.h"
#include "common/fsutil.h"
#include "common/hmap.h"
#include "common/log.h"
#include "common/url.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void test_url_decode_table(void)
{
    static const struct {
        const char *in;
        size_t size; /* of the output buffer */
        int rv;
        const char *want;
    } rows[] = {
        {"a+b%20c", 16, 0, "a b c"},
        {"127.0.0.1%3A17310", 32, 0, "127.0.0.1:17310"},
        {"%41%6a%4A", 16, 0, "AjJ"},
        {"%2B+", 16, 0, "+ "},
        {"", 1, 0, ""},
        /* Malformed escapes stay as they are. */
        {"%zz", 16, 0, "%zz"},
        {"100%", 16, 0, "100%"},
        {"%4", 16, 0, "%4"},
        {"%4g%", 16, 0, "%4g%"},
        /* The bound is on the decoded text and its NUL. */
        {"%41%42", 3, 0, "AB"},
        {"abc", 4, 0, "abc"},
        {"abc", 3, -ENOSPC, "untouched"},
        {"", 0, -ENOSPC, "untouched"},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char out[32] = "untouched";
        int rv = url_decode(rows[i].in, strlen(rows[i].in), out, rows[i].size);

        if (rv != rows[i].rv || strcmp(out, rows[i].want) != 0) {
            fprintf(stderr, "\nurl_decode(\"%s\", %zu): %d \"%s\"\n", rows[i].in, rows[i].size, rv,
                    out);
        }
        CU_ASSERT_EQUAL(rv, rows[i].rv);
        CU_ASSERT_STRING_EQUAL(out, rows[i].want);
    }
    /* Only n bytes are read: the rest of the string is not part of the value. */
    {
        char out[8];

        CU_ASSERT_EQUAL(url_decode("a%41&b=c", 4, out, sizeof(out)), 0);
        CU_ASSERT_STRING_EQUAL(out, "aA");
    }
}

static void test_url_escape_round_trip(void)
{
    static const char *const values[] = {"127.0.0.1:17310", "vol 1+2=3&x", "a/\xce\xb1%", ""};
    char esc[64];
    char back[64];

    CU_ASSERT_STRING_EQUAL(url_escape("a b:c/d~", esc, sizeof(esc)), "a%20b:c%2Fd~");
    /* Cut before an escape that would not fit whole. */
    CU_ASSERT_STRING_EQUAL(url_escape("a b c", esc, 5), "a%20");
    CU_ASSERT_STRING_EQUAL(url_escape("a b c", esc, 4), "a");
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        url_escape(values[i], esc, sizeof(esc));
        CU_ASSERT_EQUAL(url_decode(esc, strlen(esc), back, sizeof(back)), 0);
        CU_ASSERT_STRING_EQUAL(back, values[i]);
    }
}

static bool is_dir(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_fsutil_mkdirs(void)
{
    char root[128];
    char path[256];
    char want[512];
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_EQUAL_FATAL(test_mkdtemp(root, sizeof(root), "fsutil"), 0);
    snprintf(path, sizeof(path), "%s/a/b/c", root);
    CU_ASSERT_EQUAL(fsutil_mkdirs(path, errmsg), 0);
    CU_ASSERT_TRUE(is_dir(path));
    CU_ASSERT_EQUAL(fsutil_mkdirs(path, errmsg), 0); /* already there */
    snprintf(path, sizeof(path), "%s/a/d/", root);
    CU_ASSERT_EQUAL(fsutil_mkdirs(path, errmsg), 0);
    CU_ASSERT_TRUE(is_dir(path));

    /* A file in the way, at the end or in the middle. */
    snprintf(path, sizeof(path), "%s/file", root);
    CU_ASSERT_EQUAL_FATAL(fsutil_write_atomic(path, "x", 1, errmsg), 0);
    CU_ASSERT_EQUAL(fsutil_mkdirs(path, errmsg), -ENOTDIR);
    snprintf(want, sizeof(want), "%s is not a directory", path);
    CU_ASSERT_STRING_EQUAL(errmsg, want);
    snprintf(path, sizeof(path), "%s/file/sub", root);
    CU_ASSERT_EQUAL(fsutil_mkdirs(path, errmsg), -ENOTDIR);
    snprintf(want, sizeof(want), "mkdir %s: %s", path, strerror(ENOTDIR));
    CU_ASSERT_STRING_EQUAL(errmsg, want);

    CU_ASSERT_EQUAL(fsutil_mkdirs("", errmsg), -EINVAL);
    CU_ASSERT_EQUAL(fsutil_remove_tree(root, errmsg), 0);
}

static void test_fsutil_write_atomic(void)
{
    char root[128];
    char path[256];
    char tmp[512];
    char want[512];
    char errmsg[ERRMSG_SIZE] = "";
    char *text;
    size_t len;

    CU_ASSERT_EQUAL_FATAL(test_mkdtemp(root, sizeof(root), "fsutil"), 0);
    snprintf(path, sizeof(path), "%s/state.json", root);
    snprintf(tmp, sizeof(tmp), "%s" FSUTIL_TMP_SUFFIX, path);
    CU_ASSERT_EQUAL(fsutil_write_atomic(path, "one", 3, errmsg), 0);
    CU_ASSERT_EQUAL(fsutil_write_atomic(path, "second", 6, errmsg), 0);
    text = test_read_file(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL(len, 6);
    CU_ASSERT_STRING_EQUAL(text, "second");
    free(text);
    CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0);
    CU_ASSERT_EQUAL(fsutil_write_atomic(path, "", 0, errmsg), 0);
    text = test_read_file(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL(len, 0);
    free(text);

    /* No directory to write in: the error names the temporary file. */
    snprintf(path, sizeof(path), "%s/missing/state.json", root);
    CU_ASSERT_EQUAL(fsutil_write_atomic(path, "x", 1, errmsg), -ENOENT);
    snprintf(want, sizeof(want), "create %s" FSUTIL_TMP_SUFFIX ": %s", path, strerror(ENOENT));
    CU_ASSERT_STRING_EQUAL(errmsg, want);
    CU_ASSERT_EQUAL(fsutil_fsync_dir(root, errmsg), 0);
    CU_ASSERT_EQUAL(fsutil_remove_tree(root, errmsg), 0);
}

static mode_t mode_of(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? st.st_mode & 0777 : 0;
}

/* The mode is the file's from its creation on, whatever a crash left behind. */
static void test_fsutil_write_atomic_mode(void)
{
    char root[128], path[256], tmp[512];
    char errmsg[ERRMSG_SIZE] = "";
    mode_t old_mask = umask(022);
    int fd;

    CU_ASSERT_EQUAL_FATAL(test_mkdtemp(root, sizeof(root), "fsutil"), 0);
    snprintf(path, sizeof(path), "%s/secret.json", root);
    snprintf(tmp, sizeof(tmp), "%s" FSUTIL_TMP_SUFFIX, path);
    CU_ASSERT_EQUAL(fsutil_write_atomic_mode(path, "k", 1, 0600, errmsg), 0);
    CU_ASSERT_EQUAL(mode_of(path), 0600);
    CU_ASSERT_EQUAL(fsutil_write_atomic(path, "k", 1, errmsg), 0);
    CU_ASSERT_EQUAL(mode_of(path), 0644);

    fd = open(tmp, O_WRONLY | O_CREAT, 0666);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(fchmod(fd, 0666), 0);
    close(fd);
    CU_ASSERT_EQUAL(fsutil_write_atomic_mode(path, "k2", 2, 0600, errmsg), 0);
    CU_ASSERT_EQUAL(mode_of(path), 0600);
    CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0);
    umask(old_mask);
    CU_ASSERT_EQUAL(fsutil_remove_tree(root, errmsg), 0);
}

static void test_fsutil_remove_tree(void)
{
    char root[128];
    char outside[128];
    char path[256];
    char link[256];
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_EQUAL_FATAL(test_mkdtemp(root, sizeof(root), "fsutil"), 0);
    CU_ASSERT_EQUAL_FATAL(test_mkdtemp(outside, sizeof(outside), "fsutil-keep"), 0);
    snprintf(path, sizeof(path), "%s/a/b", root);
    CU_ASSERT_EQUAL_FATAL(fsutil_mkdirs(path, errmsg), 0);
    snprintf(path, sizeof(path), "%s/a/b/file", root);
    CU_ASSERT_EQUAL_FATAL(fsutil_write_atomic(path, "x", 1, errmsg), 0);
    snprintf(path, sizeof(path), "%s/kept", outside);
    CU_ASSERT_EQUAL_FATAL(fsutil_write_atomic(path, "y", 1, errmsg), 0);
    /* A link out of the tree is removed, not followed. */
    snprintf(link, sizeof(link), "%s/a/out", root);
    CU_ASSERT_EQUAL_FATAL(symlink(outside, link), 0);

    CU_ASSERT_EQUAL(fsutil_remove_tree(root, errmsg), 0);
    CU_ASSERT_NOT_EQUAL(access(root, F_OK), 0);
    CU_ASSERT_EQUAL(access(path, F_OK), 0);
    CU_ASSERT_EQUAL(fsutil_remove_tree(root, errmsg), 0); /* gone already */
    CU_ASSERT_EQUAL(fsutil_remove_tree(outside, NULL), 0);
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
    {"url_decode_table", test_url_decode_table},
    {"url_escape_round_trip", test_url_escape_round_trip},
    {"fsutil_mkdirs", test_fsutil_mkdirs},
    {"fsutil_write_atomic", test_fsutil_write_atomic},
    {"fsutil_write_atomic_mode", test_fsutil_write_atomic_mode},
    {"fsutil_remove_tree", test_fsutil_remove_tree},
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

#define _XOPEN_SOURCE 700 /* nftw */

#include "tests/support/test_support.h"

#include "common/log.h"

#include <CUnit/Basic.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int test_run(int argc, char **argv, const struct test_suite *suites)
{
    struct sigaction ignore = {.sa_handler = SIG_IGN};
    unsigned failures;

    /* libuv and raft write to sockets whose peer may just have gone away (members and nodes
     * are stopped on purpose here); that must be an error return, not a fatal signal. */
    sigaction(SIGPIPE, &ignore, NULL);
    log_level_from_env(LOG_LEVEL_OFF);
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        return 1;
    }
    for (const struct test_suite *s = suites; s->name != NULL; s++) {
        CU_pSuite suite;
        if (argc > 1 && strcmp(argv[1], s->name) != 0) {
            continue;
        }
        suite = CU_add_suite(s->name, s->init, s->cleanup);
        if (suite == NULL) {
            fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
            CU_cleanup_registry();
            return 1;
        }
        for (const struct test_case *c = s->cases; c->name != NULL; c++) {
            if (CU_add_test(suite, c->name, c->fn) == NULL) {
                fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
                CU_cleanup_registry();
                return 1;
            }
        }
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
    CU_cleanup_registry();
    return failures > 0 ? 1 : 0;
}

void *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;

    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        goto out;
    }
    buf = malloc((size_t)size + 1);
    if (buf == NULL) {
        goto out;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[size] = '\0';
    if (len != NULL) {
        *len = (size_t)size;
    }
out:
    fclose(f);
    return buf;
}

const char *test_data_path(const char *relative)
{
    static char path[4096];

    snprintf(path, sizeof(path), "%s/%s", CFS_TESTDATA_DIR, relative);
    return path;
}

int test_mkdtemp(char *buf, size_t size, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");

    if ((size_t)snprintf(buf, size, "%s/%s-XXXXXX", tmp != NULL ? tmp : "/tmp", prefix) >= size) {
        return -1;
    }
    return mkdtemp(buf) != NULL ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int test_rmtree(const char *path)
{
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

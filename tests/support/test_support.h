/* Shared scaffolding for the CUnit programs. */
#ifndef CFS_TESTS_TEST_SUPPORT_H
#define CFS_TESTS_TEST_SUPPORT_H

#include <CUnit/CUnit.h>
#include <stddef.h>

struct test_case {
    const char *name;
    void (*fn)(void);
};

struct test_suite {
    const char *name;
    int (*init)(void);
    int (*cleanup)(void);
    const struct test_case *cases; /* ends with {NULL, NULL} */
};

/* Register the suites (ending with {NULL}), run them verbosely so CUnit prints its Run Summary,
 * and return the process exit status: 1 when any assert or suite setup failed, else 0.
 * (CU_basic_run_tests() itself returns 0 even when asserts fail.) An optional argv[1] runs only
 * the suite of that name. */
int test_run(int argc, char **argv, const struct test_suite *suites);

/* Read a whole file into a malloc'd buffer (NUL-terminated); NULL when it cannot be read. */
void *test_read_file(const char *path, size_t *len);

/* Path of a file under tests/data/ in a static buffer. */
const char *test_data_path(const char *relative);

/* Make a fresh temporary directory (path written to buf) and remove a tree. */
int test_mkdtemp(char *buf, size_t size, const char *prefix);
int test_rmtree(const char *path);

#endif

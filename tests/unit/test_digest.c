#include "common/digest.h"
#include "tests/support/test_support.h"

#include <ctype.h>
#include <string.h>

/* RFC 1321's test suite, and the authKey cfs-cli sends for owner "cfs". */
static void test_md5_vectors(void)
{
    static const struct {
        const char *in;
        const char *hex;
    } cases[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
        {"cfs", "7b2f1bf38b87d32470c4557c7ff02e75"},
    };
    char out[DIGEST_MD5_HEX_SIZE];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CU_ASSERT_EQUAL(digest_md5_hex(cases[i].in, strlen(cases[i].in), out), 0);
        CU_ASSERT_STRING_EQUAL(out, cases[i].hex);
    }
}

static void test_random_key_shape(void)
{
    char a[33], b[33];

    memset(a, 'x', sizeof(a));
    CU_ASSERT_EQUAL(digest_random_key(a, 32), 0);
    CU_ASSERT_EQUAL(strlen(a), 32);
    for (size_t i = 0; i < 32; i++) {
        CU_ASSERT(isalnum((unsigned char)a[i]));
    }
    CU_ASSERT_EQUAL(digest_random_key(b, 32), 0);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    CU_ASSERT_EQUAL(digest_random_key(a, 0), 0);
    CU_ASSERT_STRING_EQUAL(a, "");
}

/* Every one of the 62 characters shows up, none much more often than the others. */
static void test_random_key_spread(void)
{
    static char key[62 * 200 + 1];
    unsigned counts[256] = {0};
    unsigned seen = 0, max = 0;

    CU_ASSERT_EQUAL(digest_random_key(key, sizeof(key) - 1), 0);
    for (size_t i = 0; i + 1 < sizeof(key); i++) {
        counts[(unsigned char)key[i]]++;
    }
    for (int c = 0; c < 256; c++) {
        seen += counts[c] > 0;
        max = counts[c] > max ? counts[c] : max;
    }
    CU_ASSERT_EQUAL(seen, 62);
    CU_ASSERT(max < 400); /* mean 200 */
}

static const struct test_case cases[] = {
    {"md5_vectors", test_md5_vectors},
    {"random_key_shape", test_random_key_shape},
    {"random_key_spread", test_random_key_spread},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"digest", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

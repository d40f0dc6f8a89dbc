/* The followers' copy of the partition statuses: pstate_export() / pstate_import() and the
 * lookups a follower answers from. Streams are built by hand here, byte by byte from the format
 * documented in pstate.c, so the test also pins the format. */
#include "common/crc32.h"
#include "common/errors.h"
#include "master/cluster/pstate.h"
#include "tests/support/test_support.h"

#include <stdlib.h>
#include <string.h>

struct stream {
    uint8_t buf[8192];
    size_t len;
};

static void put(struct stream *s, uint64_t v, size_t width)
{
    for (size_t i = width; i-- > 0;) {
        s->buf[s->len + i] = (uint8_t)v;
        v >>= 8;
    }
    s->len += width;
}

static void put_bytes(struct stream *s, const char *text, size_t width)
{
    size_t n = strlen(text);

    put(s, n, width);
    memcpy(s->buf + s->len, text, n);
    s->len += n;
}

static void put_part(struct stream *s, uint64_t id, uint64_t vol, int8_t status, const char *leader)
{
    put(s, id, 8);
    put(s, vol, 8);
    put(s, (uint8_t)status, 1);
    put(s, 3, 4);                /* live */
    put_bytes(s, leader, 2);     /* leader */
    put_bytes(s, "", 2);         /* reason */
    put(s, 100, 8);              /* total */
    put(s, 40, 8);               /* used */
    put(s, id == 9 ? 77 : 0, 8); /* max inode id */
    put(s, id == 9 ? 5 : 0, 8);  /* inode count */
    put(s, id == 9 ? 6 : 0, 8);  /* dentry count */
}

static void put_vol(struct stream *s, const char *name, uint64_t id, bool deleted)
{
    put_bytes(s, name, 2);
    put(s, deleted, 1);
    put(s, id, 8);
    put(s, 2, 4); /* dp count */
    put(s, 2, 4); /* rw dp count */
    put(s, 1, 4); /* mp count */
    put(s, 1, 4); /* rw mp count */
    put(s, 200, 8);
    put(s, 80, 8);
    put(s, 5, 8);
    put(s, 6, 8);
    put(s, 9, 8);
    put_bytes(s, "{\"code\":0,\"msg\":\"success\",\"data\":{\"DataPartitions\":[]}}", 4);
    put_bytes(s, "{\"code\":0,\"msg\":\"success\",\"data\":[]}", 4);
}

static void seal(struct stream *s)
{
    put(s, crc32_ieee(0, s->buf, s->len), 4);
}

/* Two data partitions and one meta partition of volume "alpha", and a volume being deleted.
 * dup repeats data partition 1. */
static void build(struct stream *s, bool dup)
{
    memset(s, 0, sizeof(*s));
    put(s, 0x43465056, 4);
    put(s, 1, 2);
    for (int i = 0; i < 6; i++) {
        put(s, (uint64_t)i, 4);
    }
    put(s, 42, 8); /* refreshes */
    put(s, 1500, 8);
    put(s, 2, 4);
    put_part(s, 1, 7, 2, "127.0.0.1:1");
    put_part(s, dup ? 1 : 2, 7, 1, "");
    put(s, 1, 4);
    put_part(s, 9, 7, 2, "127.0.0.1:2");
    put(s, 2, 4);
    put_vol(s, "alpha", 7, false);
    put_vol(s, "gone", 8, true);
}

static struct pstate *fresh(void)
{
    struct pstate *ps = NULL;

    CU_ASSERT_EQUAL_FATAL(pstate_new(&ps), 0);
    return ps;
}

static void expect_alpha(struct pstate *ps)
{
    struct pstate_part p;
    struct pstate_vol v;
    size_t len = 0;
    char *env;

    CU_ASSERT_EQUAL(pstate_dp(ps, 1, &p), 0);
    CU_ASSERT_EQUAL(p.status, 2);
    CU_ASSERT_EQUAL(p.live, 3);
    CU_ASSERT_STRING_EQUAL(p.leader, "127.0.0.1:1");
    CU_ASSERT_EQUAL(p.used, 40);
    CU_ASSERT_EQUAL(pstate_dp(ps, 2, &p), 0);
    CU_ASSERT_EQUAL(p.status, 1);
    CU_ASSERT_EQUAL(pstate_mp(ps, 9, &p), 0);
    CU_ASSERT_EQUAL(p.max_inode_id, 77);
    CU_ASSERT_EQUAL(p.dentry_count, 6);
    CU_ASSERT_EQUAL(pstate_dp(ps, 3, &p), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(pstate_vol(ps, 7, &v), 0);
    CU_ASSERT_EQUAL(v.used, 80);
    CU_ASSERT_EQUAL(v.max_mp_id, 9);
    CU_ASSERT_TRUE(pstate_has_vol(ps, "alpha"));
    CU_ASSERT_FALSE(pstate_has_vol(ps, "gone"));
    CU_ASSERT_FALSE(pstate_has_vol(ps, "nosuch"));
    env = pstate_client_partitions(ps, "alpha", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(env);
    CU_ASSERT_EQUAL(len, strlen(env));
    CU_ASSERT_PTR_NOT_NULL(strstr(env, "DataPartitions"));
    free(env);
    CU_ASSERT_PTR_NULL(pstate_client_meta_partitions(ps, "gone", &len));
}

static void test_import_and_lookups(void)
{
    struct pstate *ps = fresh();
    struct pstate_counts c;
    char errmsg[ERRMSG_SIZE] = "";
    struct stream s;

    build(&s, false);
    seal(&s);
    CU_ASSERT_EQUAL_FATAL(pstate_import(ps, s.buf, s.len, errmsg), 0);
    expect_alpha(ps);
    pstate_counts(ps, &c);
    CU_ASSERT_EQUAL(c.refreshes, 42);
    CU_ASSERT_EQUAL(c.mp[2], 5);
    pstate_free(ps);
}

/* A copy of a copy says the same. */
static void test_export_round_trip(void)
{
    struct pstate *a = fresh(), *b = fresh();
    char errmsg[ERRMSG_SIZE] = "";
    struct stream s;
    void *out = NULL;
    size_t len = 0;

    build(&s, false);
    seal(&s);
    CU_ASSERT_EQUAL_FATAL(pstate_import(a, s.buf, s.len, errmsg), 0);
    CU_ASSERT_EQUAL_FATAL(pstate_export(a, &out, &len), 0);
    CU_ASSERT_EQUAL(len, s.len);
    CU_ASSERT_EQUAL_FATAL(pstate_import(b, out, len, errmsg), 0);
    expect_alpha(b);
    free(out);
    /* An empty generation travels too. */
    pstate_clear(a);
    CU_ASSERT_EQUAL_FATAL(pstate_export(a, &out, &len), 0);
    CU_ASSERT_EQUAL(pstate_import(b, out, len, errmsg), 0);
    CU_ASSERT_FALSE(pstate_has_vol(b, "alpha"));
    free(out);
    pstate_free(a);
    pstate_free(b);
}

/* A damaged copy changes nothing and says why. */
static void test_damaged_copies(void)
{
    struct pstate *ps = fresh();
    char errmsg[ERRMSG_SIZE] = "";
    struct stream s, bad;

    build(&s, false);
    seal(&s);
    CU_ASSERT_EQUAL_FATAL(pstate_import(ps, s.buf, s.len, errmsg), 0);

    bad = s;
    bad.buf[20] ^= 1;
    CU_ASSERT_EQUAL(pstate_import(ps, bad.buf, bad.len, errmsg), CFS_ECORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "CRC mismatch"));
    CU_ASSERT_EQUAL(pstate_import(ps, s.buf, 6, errmsg), CFS_ECORRUPT);
    /* Well sealed but with bytes after the last volume, or a partition twice. */
    build(&bad, false);
    put(&bad, 0, 1);
    seal(&bad);
    CU_ASSERT_EQUAL(pstate_import(ps, bad.buf, bad.len, errmsg), CFS_ECORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "malformed"));
    build(&bad, true);
    seal(&bad);
    CU_ASSERT_EQUAL(pstate_import(ps, bad.buf, bad.len, errmsg), CFS_ECORRUPT);
    /* Cut inside a volume, resealed. */
    build(&bad, false);
    bad.len -= 10;
    seal(&bad);
    CU_ASSERT_EQUAL(pstate_import(ps, bad.buf, bad.len, errmsg), CFS_ECORRUPT);
    /* A future version. */
    bad = s;
    bad.buf[5] = 2;
    bad.len -= 4;
    seal(&bad);
    CU_ASSERT_EQUAL(pstate_import(ps, bad.buf, bad.len, errmsg), CFS_ECORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "version"));

    expect_alpha(ps);
    pstate_free(ps);
}

static const struct test_case cases[] = {
    {"import_and_lookups", test_import_and_lookups},
    {"export_round_trip", test_export_round_trip},
    {"damaged_copies", test_damaged_copies},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"pstate_copy", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

#include "master/api/prom.h"
#include "tests/support/prom_parse.h"
#include "tests/support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_values(void)
{
    static const struct {
        double v;
        const char *text;
    } rows[] = {
        {0, "0"},     {3, "3"},           {-7, "-7"},          {0.0005, "0.0005"},
        {0.1, "0.1"}, {2.5, "2.5"},       {1e21, "1e+21"},     {1099511627776.0, "1099511627776"},
        {NAN, "NaN"}, {INFINITY, "+Inf"}, {-INFINITY, "-Inf"}, {1.0 / 3, "0.3333333333333333"},
    };
    char buf[32];

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        prom_format_value(rows[i].v, buf, sizeof(buf));
        CU_ASSERT_STRING_EQUAL(buf, rows[i].text);
    }
}

static void test_exposition(void)
{
    static const char expected[] = "# HELP up Whether the \\\\ target is up.\\nSecond line.\n"
                                   "# TYPE up gauge\n"
                                   "up 1\n"
                                   "# HELP req Requests.\n"
                                   "# TYPE req counter\n"
                                   "req{path=\"/a\\\"b\\\\c\\nd\",code=\"0\"} 12\n";
    const struct prom_label labels[] = {{"path", "/a\"b\\c\nd"}, {"code", "0"}};
    struct prom p;
    const char *text;
    size_t len;

    prom_init(&p);
    prom_family(&p, "up", "gauge", "Whether the \\ target is up.\nSecond line.");
    prom_sample(&p, "up", NULL, 0, 1);
    prom_family(&p, "req", "counter", "Requests.");
    prom_sample(&p, "req", labels, 2, 12);
    text = prom_text(&p, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, expected);
    CU_ASSERT_EQUAL(len, strlen(expected));
    prom_free(&p);
}

static void test_histogram(void)
{
    static const double bounds[] = {0.001, 0.01, 0.1};
    static const uint64_t cumulative[] = {2, 5, 5};
    const struct prom_label path = {"path", "/x"};
    struct prom_parsed *s = NULL;
    char errmsg[256] = "";
    struct prom p;
    size_t n = 0, len;
    double v = 0;

    prom_init(&p);
    prom_family(&p, "lat_seconds", "histogram", "Latency.");
    prom_histogram(&p, "lat_seconds", &path, 1, bounds, cumulative, 3, 0.25, 6);
    CU_ASSERT_EQUAL_FATAL(prom_parse(prom_text(&p, &len), &s, &n, errmsg, sizeof(errmsg)), 0);
    CU_ASSERT_EQUAL(n, 6); /* three buckets, +Inf, _sum, _count */
    CU_ASSERT_TRUE(prom_find(s, n, "lat_seconds_bucket", "path=/x,le=0.01", &v));
    CU_ASSERT_EQUAL(v, 5);
    CU_ASSERT_TRUE(prom_find(s, n, "lat_seconds_bucket", "le=+Inf", &v));
    CU_ASSERT_EQUAL(v, 6);
    CU_ASSERT_TRUE(prom_find(s, n, "lat_seconds_sum", "path=/x", &v));
    CU_ASSERT_EQUAL(v, 0.25);
    CU_ASSERT_TRUE(prom_find(s, n, "lat_seconds_count", NULL, &v));
    CU_ASSERT_EQUAL(v, 6);
    free(s);
    prom_free(&p);
}

static void test_round_trip(void)
{
    const struct prom_label odd = {"addr", "q\"uote\\back\nline"};
    struct prom_parsed *s = NULL;
    char errmsg[256] = "";
    struct prom p;
    size_t n = 0, len;

    prom_init(&p);
    prom_family(&p, "m", "gauge", "Odd labels.");
    prom_sample(&p, "m", &odd, 1, 0.5);
    CU_ASSERT_EQUAL_FATAL(prom_parse(prom_text(&p, &len), &s, &n, errmsg, sizeof(errmsg)), 0);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_STRING_EQUAL(s[0].label_values[0], odd.value);
    CU_ASSERT_EQUAL(s[0].value, 0.5);
    free(s);
    prom_free(&p);
}

/* The parser the system tests rely on must reject what Prometheus rejects. */
static void test_parser_rejects(void)
{
    static const char *const bad[] = {
        "m 1",                    /* no final newline */
        "1m 1\n",                 /* bad metric name */
        "m{a=\"x} 1\n",           /* unterminated value */
        "m{a=\"\\t\"} 1\n",       /* bad escape */
        "m{a=\"1\",a=\"2\"} 1\n", /* label twice */
        "m one\n",                /* bad value */
        "m 1\n# TYPE m gauge\n",  /* TYPE after samples */
        "a 1\nb 1\na 2\n",        /* family split */
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n", /* no +Inf */
        "# HELP m x\n# HELP m y\n",                              /* HELP twice */
    };
    char errmsg[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct prom_parsed *s = NULL;
        size_t n = 0;
        errmsg[0] = '\0';
        CU_ASSERT_EQUAL(prom_parse(bad[i], &s, &n, errmsg, sizeof(errmsg)), -1);
        CU_ASSERT_NOT_EQUAL(errmsg[0], '\0');
    }
}

static const struct test_case cases[] = {
    {"values", test_values},
    {"exposition", test_exposition},
    {"histogram", test_histogram},
    {"round_trip", test_round_trip},
    {"parser_rejects", test_parser_rejects},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"prom", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

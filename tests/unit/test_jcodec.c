#include "common/errors.h"
#include "common/jcodec.h"
#include "tests/support/test_support.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct item {
    char name[8];
    uint32_t weight;
};

struct sample {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int8_t i8;
    int32_t i32;
    int64_t i64;
    bool flag;
    double ratio;
    float threshold;
    char text[16];
    json_t *raw;
    struct item inner;
    uint32_t nitems;
    struct item items[3];
    uint32_t ntags;
    char (*tags)[8];
    uint32_t nempty;
    uint64_t *empty;
};

static const struct jc_field item_fields[] = {
    JC_F(struct item, name, "Name", JC_STR, JC_REQUIRED),
    JC_F(struct item, weight, "Weight", JC_U32, 0),
    JC_END,
};

static const struct jc_field sample_fields[] = {
    JC_F(struct sample, u8, "U8", JC_U8, 0),
    JC_F(struct sample, u16, "U16", JC_U16, 0),
    JC_F(struct sample, u32, "U32", JC_U32, 0),
    JC_F(struct sample, u64, "U64", JC_U64, JC_REQUIRED),
    JC_F(struct sample, i8, "I8", JC_I8, 0),
    JC_F(struct sample, i32, "I32", JC_I32, 0),
    JC_F(struct sample, i64, "I64", JC_I64, 0),
    JC_F(struct sample, flag, "Flag", JC_BOOL, 0),
    JC_F(struct sample, ratio, "Ratio", JC_DOUBLE, 0),
    JC_F(struct sample, threshold, "Threshold", JC_DOUBLE, 0),
    JC_F(struct sample, text, "Text", JC_STR, 0),
    JC_F(struct sample, raw, "Raw", JC_JSON, 0),
    JC_OBJ(struct sample, inner, "Inner", item_fields, 0),
    JC_ARR(struct sample, items, nitems, "Items", 0, item_fields, 0),
    JC_HARR(struct sample, tags, ntags, "Tags", JC_STR, NULL, 0),
    JC_HARR(struct sample, empty, nempty, "Empty", JC_U64, NULL, JC_NULL_EMPTY),
    JC_CONST("Zero", JC_EMIT_ZERO),
    JC_CONST("Nothing", JC_EMIT_NULL),
    JC_CONST("No", JC_EMIT_FALSE),
    JC_CONST("Blank", JC_EMIT_EMPTY_STR),
    JC_END,
};

static const char full_text[] =
    "{\"U8\":255,\"U16\":65535,\"U32\":4294967295,\"U64\":9223372036854775807,\"I8\":-128,"
    "\"I32\":-2147483648,\"I64\":-9223372036854775807,\"Flag\":true,\"Ratio\":0.25,"
    "\"Threshold\":0.8,\"Text\":\"hello\",\"Raw\":{\"k\":[1,2]},"
    "\"Inner\":{\"Name\":\"in\",\"Weight\":7},"
    "\"Items\":[{\"Name\":\"a\",\"Weight\":1},{\"Name\":\"b\",\"Weight\":2}],"
    "\"Tags\":[\"x\",\"yy\",\"zzz\"],\"Unknown\":{\"deep\":[null]}}";

/* Decode over whatever s holds, so tests can check that defaults survive. */
static int decode_into(const char *text, struct sample *s, char *errmsg)
{
    return jc_decode_text(text, strlen(text), sample_fields, s, errmsg);
}

static int decode(const char *text, struct sample *s, char *errmsg)
{
    memset(s, 0, sizeof(*s));
    return decode_into(text, s, errmsg);
}

static void test_table_is_valid(void)
{
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_EQUAL(jc_check_table(sample_fields, errmsg), 0);
}

static void test_check_table_catches_size_mismatch(void)
{
    static const struct jc_field bad[] = {
        {"U8", JC_U64, offsetof(struct sample, u8), 1, 0, 0, NULL, 0, 0},
        JC_END,
    };
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_NOT_EQUAL(jc_check_table(bad, errmsg), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "U8"));
}

static void test_decode_every_type(void)
{
    char errmsg[ERRMSG_SIZE] = "";
    struct sample s;

    CU_ASSERT_EQUAL_FATAL(decode(full_text, &s, errmsg), 0);
    CU_ASSERT_EQUAL(s.u8, 255);
    CU_ASSERT_EQUAL(s.u16, 65535);
    CU_ASSERT_EQUAL(s.u32, 4294967295u);
    CU_ASSERT_EQUAL(s.u64, 9223372036854775807ull);
    CU_ASSERT_EQUAL(s.i8, -128);
    CU_ASSERT_EQUAL(s.i32, INT32_MIN);
    CU_ASSERT_EQUAL(s.i64, -9223372036854775807ll);
    CU_ASSERT_TRUE(s.flag);
    CU_ASSERT_DOUBLE_EQUAL(s.ratio, 0.25, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(s.threshold, 0.8, 1e-6);
    CU_ASSERT_STRING_EQUAL(s.text, "hello");
    CU_ASSERT_TRUE(json_is_object(s.raw));
    CU_ASSERT_STRING_EQUAL(s.inner.name, "in");
    CU_ASSERT_EQUAL(s.inner.weight, 7);
    CU_ASSERT_EQUAL_FATAL(s.nitems, 2);
    CU_ASSERT_STRING_EQUAL(s.items[1].name, "b");
    CU_ASSERT_EQUAL(s.items[1].weight, 2);
    CU_ASSERT_EQUAL_FATAL(s.ntags, 3);
    CU_ASSERT_STRING_EQUAL(s.tags[2], "zzz");
    CU_ASSERT_EQUAL(s.nempty, 0);
    CU_ASSERT_PTR_NULL(s.empty);
    jc_free(sample_fields, &s);
    CU_ASSERT_PTR_NULL(s.tags);
    CU_ASSERT_PTR_NULL(s.raw);
}

static void test_encode_round_trip(void)
{
    char errmsg[ERRMSG_SIZE] = "";
    struct sample s, back;
    char *text = NULL;
    size_t len = 0;
    json_t *obj;

    CU_ASSERT_EQUAL_FATAL(decode(full_text, &s, errmsg), 0);
    CU_ASSERT_EQUAL_FATAL(jc_encode_text(sample_fields, &s, &text, &len), 0);
    CU_ASSERT_EQUAL(len, strlen(text));
    /* Floats print with float precision, and the constants appear. */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"Threshold\":0.8,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"Zero\":0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"Nothing\":null"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"No\":false"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"Blank\":\"\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"Empty\":null"));
    /* Keys come out in table order, as Go writes struct fields. */
    CU_ASSERT_EQUAL(strncmp(text, "{\"U8\":255,\"U16\":65535,", 22), 0);
    CU_ASSERT_EQUAL_FATAL(decode(text, &back, errmsg), 0);
    CU_ASSERT_EQUAL(back.u64, s.u64);
    CU_ASSERT_EQUAL(back.i64, s.i64);
    CU_ASSERT_EQUAL(back.nitems, 2);
    CU_ASSERT_STRING_EQUAL(back.tags[1], "yy");
    obj = jc_encode(sample_fields, &back);
    CU_ASSERT_TRUE(json_equal(json_object_get(obj, "Raw"), s.raw));
    json_decref(obj);
    free(text);
    jc_free(sample_fields, &s);
    jc_free(sample_fields, &back);
}

static void test_missing_and_null(void)
{
    char errmsg[ERRMSG_SIZE] = "";
    struct sample s;

    /* Null is the same as absent: defaults stay. */
    memset(&s, 0, sizeof(s));
    s.u32 = 42;
    CU_ASSERT_EQUAL(decode_into("{\"U64\":1,\"U32\":null}", &s, errmsg), 0);
    CU_ASSERT_EQUAL(s.u32, 42);
    jc_free(sample_fields, &s);

    CU_ASSERT_EQUAL(decode("{\"U8\":1}", &s, errmsg), CFS_EMISSING);
    CU_ASSERT_STRING_EQUAL(errmsg, "U64: required key missing");
    CU_ASSERT_EQUAL(decode("{\"U64\":null}", &s, errmsg), CFS_EMISSING);
    CU_ASSERT_EQUAL(decode("{\"U64\":1,\"Items\":[{\"Weight\":1}]}", &s, errmsg), CFS_EMISSING);
    CU_ASSERT_STRING_EQUAL(errmsg, "Items[0].Name: required key missing");
}

static void test_wrong_types_name_the_path(void)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"{\"U64\":\"12\"}", "U64: expected unsigned integer"},
        {"{\"U64\":-1}", "U64: expected unsigned integer, got -1"},
        {"{\"U64\":1.5}", "U64: expected unsigned integer"},
        {"{\"U64\":1,\"U8\":256}", "U8: 256 is over the maximum 255"},
        {"{\"U64\":1,\"I8\":-129}", "I8: -129 is out of range"},
        {"{\"U64\":1,\"Flag\":1}", "Flag: expected true or false"},
        {"{\"U64\":1,\"Ratio\":\"x\"}", "Ratio: expected number"},
        {"{\"U64\":1,\"Text\":5}", "Text: expected string"},
        {"{\"U64\":1,\"Text\":\"0123456789abcdef\"}", "Text: longer than 15 bytes"},
        {"{\"U64\":1,\"Inner\":[]}", "Inner: expected object"},
        {"{\"U64\":1,\"Items\":{}}", "Items: expected array"},
        {"{\"U64\":1,\"Items\":[{\"Name\":\"a\"},{\"Name\":\"b\",\"Weight\":\"w\"}]}",
         "Items[1].Weight: expected unsigned integer"},
        {"{\"U64\":1,\"Items\":[{\"Name\":\"a\"},{\"Name\":\"b\"},{\"Name\":\"c\"},{\"Name\":\"d\"}"
         "]}",
         "Items: has 4 entries, at most 3 allowed"},
        {"{\"U64\":1,\"Tags\":[\"ok\",7]}", "Tags[1]: expected string"},
        {"[1,2]", "(root): expected object"},
    };
    char errmsg[ERRMSG_SIZE];
    struct sample s;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rv = decode(cases[i].text, &s, errmsg);
        CU_ASSERT_EQUAL(rv, CFS_ETYPE);
        CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, cases[i].message));
        if (strstr(errmsg, cases[i].message) == NULL) {
            fprintf(stderr, "case %zu: got \"%s\", want \"%s\"\n", i, errmsg, cases[i].message);
        }
        /* Heap members decoded before the failure are released. */
        CU_ASSERT_PTR_NULL(s.tags);
        CU_ASSERT_PTR_NULL(s.raw);
    }
}

static void test_invalid_json(void)
{
    char errmsg[ERRMSG_SIZE];
    struct sample s;

    CU_ASSERT_EQUAL(decode("{\"U64\":", &s, errmsg), CFS_EBADJSON);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "invalid JSON at line 1"));
    /* Integers beyond what JSON numbers can carry here are refused, not wrapped. */
    CU_ASSERT_EQUAL(decode("{\"U64\":18446744073709551616}", &s, errmsg), CFS_EBADJSON);
}

static const struct jc_field text_fields[] = {
    JC_F(struct sample, u32, "Listen", JC_U32, JC_TEXT_OK),
    JC_F(struct sample, u64, "Mem", JC_U64, JC_TEXT_OK),
    JC_F(struct sample, i64, "Delta", JC_I64, JC_TEXT_OK),
    JC_F(struct sample, flag, "On", JC_BOOL, JC_TEXT_OK),
    JC_F(struct sample, ratio, "Ratio", JC_DOUBLE, JC_TEXT_OK),
    JC_F(struct sample, text, "Id", JC_STR, JC_TEXT_OK),
    JC_HARR(struct sample, tags, ntags, "Peers", JC_STR, NULL, JC_SPLIT),
    JC_END,
};

static void test_numbers_as_text(void)
{
    static const char text[] = "{\"Listen\":\"17010\",\"Mem\":\"18446744073709551615\","
                               "\"Delta\":\"-5\",\"On\":\"true\",\"Ratio\":\"0.5\",\"Id\":3,"
                               "\"Peers\":\"a:1, b:2,c:3\"}";
    char errmsg[ERRMSG_SIZE] = "";
    struct sample s;

    memset(&s, 0, sizeof(s));
    CU_ASSERT_EQUAL_FATAL(jc_decode_text(text, strlen(text), text_fields, &s, errmsg), 0);
    CU_ASSERT_EQUAL(s.u32, 17010);
    CU_ASSERT_EQUAL(s.u64, UINT64_MAX);
    CU_ASSERT_EQUAL(s.i64, -5);
    CU_ASSERT_TRUE(s.flag);
    CU_ASSERT_DOUBLE_EQUAL(s.ratio, 0.5, 1e-12);
    CU_ASSERT_STRING_EQUAL(s.text, "3");
    CU_ASSERT_EQUAL_FATAL(s.ntags, 3);
    CU_ASSERT_STRING_EQUAL(s.tags[0], "a:1");
    CU_ASSERT_STRING_EQUAL(s.tags[1], "b:2");
    CU_ASSERT_STRING_EQUAL(s.tags[2], "c:3");
    jc_free(text_fields, &s);

    memset(&s, 0, sizeof(s));
    CU_ASSERT_EQUAL(jc_decode_text("{\"Listen\":\"17010x\"}", 19, text_fields, &s, errmsg),
                    CFS_ETYPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "Listen: expected unsigned integer, got \"17010x\""));
    CU_ASSERT_EQUAL(jc_decode_text("{\"Listen\":\" 1\"}", 15, text_fields, &s, errmsg), CFS_ETYPE);
    CU_ASSERT_EQUAL(jc_decode_text("{\"Listen\":\"-1\"}", 15, text_fields, &s, errmsg), CFS_ETYPE);
    CU_ASSERT_EQUAL(jc_decode_text("{\"On\":\"yes\"}", 12, text_fields, &s, errmsg), CFS_ETYPE);
    CU_ASSERT_EQUAL(jc_decode_text("{\"Listen\":{}}", 13, text_fields, &s, errmsg), CFS_ETYPE);
}

static void test_encode_large_u64(void)
{
    struct sample s;
    json_t *obj;

    memset(&s, 0, sizeof(s));
    s.u64 = UINT64_MAX;
    obj = jc_encode(sample_fields, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(obj);
    /* JSON integers here are signed 64-bit; larger values degrade to a real, never wrap. */
    CU_ASSERT_TRUE(json_is_real(json_object_get(obj, "U64")));
    json_decref(obj);
}

static const struct test_case cases[] = {
    {"table_is_valid", test_table_is_valid},
    {"check_table_catches_size_mismatch", test_check_table_catches_size_mismatch},
    {"decode_every_type", test_decode_every_type},
    {"encode_round_trip", test_encode_round_trip},
    {"missing_and_null", test_missing_and_null},
    {"wrong_types_name_the_path", test_wrong_types_name_the_path},
    {"invalid_json", test_invalid_json},
    {"numbers_as_text", test_numbers_as_text},
    {"encode_large_u64", test_encode_large_u64},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"jcodec", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}

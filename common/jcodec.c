#include "common/jcodec.h"

#include "common/errors.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The key path of the value being decoded, kept on the stack and only rendered for messages. */
struct jc_path {
    const struct jc_path *parent;
    const char *key; /* NULL for an array element */
    size_t index;
};

static size_t path_render(const struct jc_path *p, char *buf, size_t size)
{
    size_t n = 0;
    int k;

    if (p == NULL) {
        return 0;
    }
    n = path_render(p->parent, buf, size);
    if (n >= size) {
        return n;
    }
    if (p->key != NULL) {
        k = snprintf(buf + n, size - n, "%s%s", n > 0 ? "." : "", p->key);
    } else {
        k = snprintf(buf + n, size - n, "[%zu]", p->index);
    }
    return k < 0 ? n : n + (size_t)k;
}

__attribute__((format(printf, 4, 5))) static int
fail(char *errmsg, int rv, const struct jc_path *path, const char *fmt, ...)
{
    char where[128] = "";
    char what[160];
    va_list ap;

    path_render(path, where, sizeof(where));
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    errors_set(errmsg, "%s: %s", where[0] ? where : "(root)", what);
    return rv;
}

/* Strict decimal parse: digits only (optional leading '-' when signed), the whole string. */
static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;

    if (*s < '0' || *s > '9') {
        return false;
    }
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0';
}

static bool parse_i64(const char *s, int64_t *out)
{
    const char *digits = *s == '-' ? s + 1 : s;
    char *end;

    if (*digits < '0' || *digits > '9') {
        return false;
    }
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0';
}

static int decode_unsigned(const json_t *v, const struct jc_field *f, enum jc_type t, void *dst,
                           const struct jc_path *path, char *errmsg)
{
    uint64_t max = t == JC_U8    ? UINT8_MAX
                   : t == JC_U16 ? UINT16_MAX
                   : t == JC_U32 ? UINT32_MAX
                                 : UINT64_MAX;
    uint64_t u;

    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0) {
            return fail(errmsg, CFS_ETYPE, path, "expected unsigned integer, got %lld",
                        (long long)i);
        }
        u = (uint64_t)i;
    } else if ((f->flags & JC_TEXT_OK) && json_is_string(v)) {
        if (!parse_u64(json_string_value(v), &u)) {
            return fail(errmsg, CFS_ETYPE, path, "expected unsigned integer, got \"%s\"",
                        json_string_value(v));
        }
    } else {
        return fail(errmsg, CFS_ETYPE, path, "expected unsigned integer");
    }
    if (u > max) {
        return fail(errmsg, CFS_ETYPE, path, "%" PRIu64 " is over the maximum %" PRIu64, u, max);
    }
    switch (t) {
    case JC_U8:
        *(uint8_t *)dst = (uint8_t)u;
        break;
    case JC_U16:
        *(uint16_t *)dst = (uint16_t)u;
        break;
    case JC_U32:
        *(uint32_t *)dst = (uint32_t)u;
        break;
    default:
        *(uint64_t *)dst = u;
        break;
    }
    return 0;
}

static int decode_signed(const json_t *v, const struct jc_field *f, enum jc_type t, void *dst,
                         const struct jc_path *path, char *errmsg)
{
    int64_t lo = t == JC_I8 ? INT8_MIN : t == JC_I32 ? INT32_MIN : INT64_MIN;
    int64_t hi = t == JC_I8 ? INT8_MAX : t == JC_I32 ? INT32_MAX : INT64_MAX;
    int64_t i;

    if (json_is_integer(v)) {
        i = json_integer_value(v);
    } else if ((f->flags & JC_TEXT_OK) && json_is_string(v)) {
        if (!parse_i64(json_string_value(v), &i)) {
            return fail(errmsg, CFS_ETYPE, path, "expected integer, got \"%s\"",
                        json_string_value(v));
        }
    } else {
        return fail(errmsg, CFS_ETYPE, path, "expected integer");
    }
    if (i < lo || i > hi) {
        return fail(errmsg, CFS_ETYPE, path, "%" PRId64 " is out of range", i);
    }
    if (t == JC_I8) {
        *(int8_t *)dst = (int8_t)i;
    } else if (t == JC_I32) {
        *(int32_t *)dst = (int32_t)i;
    } else {
        *(int64_t *)dst = i;
    }
    return 0;
}

static int decode_scalar(const json_t *v, const struct jc_field *f, enum jc_type t, size_t size,
                         void *dst, const struct jc_path *path, char *errmsg)
{
    switch (t) {
    case JC_U8:
    case JC_U16:
    case JC_U32:
    case JC_U64:
        return decode_unsigned(v, f, t, dst, path, errmsg);
    case JC_I8:
    case JC_I32:
    case JC_I64:
        return decode_signed(v, f, t, dst, path, errmsg);
    case JC_BOOL:
        if (json_is_boolean(v)) {
            *(bool *)dst = json_is_true(v);
        } else if ((f->flags & JC_TEXT_OK) && json_is_string(v) &&
                   (strcmp(json_string_value(v), "true") == 0 ||
                    strcmp(json_string_value(v), "false") == 0)) {
            *(bool *)dst = strcmp(json_string_value(v), "true") == 0;
        } else {
            return fail(errmsg, CFS_ETYPE, path, "expected true or false");
        }
        return 0;
    case JC_DOUBLE: {
        double d;
        char *end;
        if (json_is_number(v)) {
            d = json_number_value(v);
        } else if ((f->flags & JC_TEXT_OK) && json_is_string(v) && json_string_length(v) > 0) {
            errno = 0;
            d = strtod(json_string_value(v), &end);
            if (errno != 0 || *end != '\0') {
                return fail(errmsg, CFS_ETYPE, path, "expected number, got \"%s\"",
                            json_string_value(v));
            }
        } else {
            return fail(errmsg, CFS_ETYPE, path, "expected number");
        }
        if (size == sizeof(float)) {
            *(float *)dst = (float)d;
        } else {
            *(double *)dst = d;
        }
        return 0;
    }
    case JC_STR: {
        const char *s;
        size_t n;
        char num[32];
        if (json_is_string(v)) {
            s = json_string_value(v);
            n = json_string_length(v);
            if (strlen(s) != n) {
                return fail(errmsg, CFS_ETYPE, path, "string holds a NUL byte");
            }
        } else if ((f->flags & JC_TEXT_OK) && json_is_integer(v)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
            s = num;
            n = strlen(num);
        } else {
            return fail(errmsg, CFS_ETYPE, path, "expected string");
        }
        if (n >= size) {
            return fail(errmsg, CFS_ETYPE, path, "longer than %zu bytes", size - 1);
        }
        memcpy(dst, s, n + 1);
        return 0;
    }
    default:
        return fail(errmsg, -EINVAL, path, "codec table has a non-scalar element type");
    }
}

static int decode_fields(const json_t *obj, const struct jc_field *fields, char *base,
                         const struct jc_path *parent, char *errmsg);

/* Decode an array value into an inline or heap array member. */
static int decode_array(const json_t *v, const struct jc_field *f, char *dst, char *base,
                        const struct jc_path *path, char *errmsg)
{
    uint32_t *count = (uint32_t *)(base + f->count_offset);
    json_t *split = NULL;
    char *elems;
    size_t n;
    int rv = 0;

    if ((f->flags & JC_SPLIT) && json_is_string(v)) {
        /* "a,b,c" as used by CubeFS config files for address lists. */
        char *copy = strdup(json_string_value(v));
        char *save = NULL;
        split = json_array();
        if (copy == NULL || split == NULL) {
            free(copy);
            json_decref(split);
            return -ENOMEM;
        }
        for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
             tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ') {
                tok++;
            }
            if (*tok != '\0' && json_array_append_new(split, json_string(tok)) != 0) {
                rv = fail(errmsg, CFS_ETYPE, path, "entry is not valid text");
                break;
            }
        }
        free(copy);
        if (rv != 0) {
            json_decref(split);
            return rv;
        }
        v = split;
    }
    if (!json_is_array(v)) {
        return fail(errmsg, CFS_ETYPE, path, "expected array");
    }
    n = json_array_size(v);
    if (f->type == JC_ARRAY) {
        if (n > f->max) {
            rv = fail(errmsg, CFS_ETYPE, path, "has %zu entries, at most %u allowed", n, f->max);
            goto out;
        }
        elems = dst;
        memset(elems, 0, n * f->size);
    } else {
        elems = NULL;
        if (n > 0) {
            elems = calloc(n, f->size);
            if (elems == NULL) {
                rv = -ENOMEM;
                goto out;
            }
        }
        *(void **)dst = elems;
    }
    *count = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        struct jc_path ep = {path, NULL, i};
        if (json_is_null(e)) {
            continue;
        }
        if (f->sub != NULL) {
            rv = decode_fields(e, f->sub, elems + i * f->size, &ep, errmsg);
        } else {
            rv = decode_scalar(e, f, f->elem, f->size, elems + i * f->size, &ep, errmsg);
        }
        if (rv != 0) {
            goto out;
        }
    }
out:
    json_decref(split);
    return rv;
}

static int decode_fields(const json_t *obj, const struct jc_field *fields, char *base,
                         const struct jc_path *parent, char *errmsg)
{
    if (!json_is_object(obj)) {
        return fail(errmsg, CFS_ETYPE, parent, "expected object");
    }
    for (const struct jc_field *f = fields; f->key != NULL; f++) {
        const json_t *v;
        struct jc_path p = {parent, f->key, 0};
        char *dst = base + f->offset;
        int rv;

        if (f->type >= JC_EMIT_NULL) {
            continue;
        }
        v = json_object_get(obj, f->key);
        if (v == NULL || json_is_null(v)) {
            if (f->flags & JC_REQUIRED) {
                return fail(errmsg, CFS_EMISSING, &p, "required key missing");
            }
            continue;
        }
        switch (f->type) {
        case JC_JSON:
            json_decref(*(json_t **)dst);
            *(json_t **)dst = json_incref((json_t *)v);
            rv = 0;
            break;
        case JC_OBJECT:
            rv = decode_fields(v, f->sub, dst, &p, errmsg);
            break;
        case JC_ARRAY:
        case JC_ARRAY_HEAP:
            rv = decode_array(v, f, dst, base, &p, errmsg);
            break;
        default:
            rv = decode_scalar(v, f, f->type, f->size, dst, &p, errmsg);
            break;
        }
        if (rv != 0) {
            return rv;
        }
    }
    return 0;
}

int jc_decode(const json_t *obj, const struct jc_field *fields, void *out, char *errmsg)
{
    int rv = decode_fields(obj, fields, out, NULL, errmsg);

    if (rv == -ENOMEM) {
        errors_set(errmsg, "out of memory");
    }
    if (rv != 0) {
        jc_free(fields, out);
    }
    return rv;
}

int jc_decode_text(const void *buf, size_t len, const struct jc_field *fields, void *out,
                   char *errmsg)
{
    json_error_t jerr;
    json_t *obj = json_loadb(buf, len, 0, &jerr);
    int rv;

    if (obj == NULL) {
        errors_set(errmsg, "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
                   jerr.text);
        return CFS_EBADJSON;
    }
    rv = jc_decode(obj, fields, out, errmsg);
    json_decref(obj);
    return rv;
}

static json_t *encode_scalar(enum jc_type t, size_t size, const void *src)
{
    switch (t) {
    case JC_U8:
        return json_integer(*(const uint8_t *)src);
    case JC_U16:
        return json_integer(*(const uint16_t *)src);
    case JC_U32:
        return json_integer(*(const uint32_t *)src);
    case JC_U64: {
        uint64_t u = *(const uint64_t *)src;
        return u <= INT64_MAX ? json_integer((json_int_t)u) : json_real((double)u);
    }
    case JC_I8:
        return json_integer(*(const int8_t *)src);
    case JC_I32:
        return json_integer(*(const int32_t *)src);
    case JC_I64:
        return json_integer(*(const int64_t *)src);
    case JC_BOOL:
        return json_boolean(*(const bool *)src);
    case JC_DOUBLE:
        if (size == sizeof(float)) {
            /* Print a float with float precision: 0.8f must appear as 0.8, not 0.800000011. */
            char text[32];
            snprintf(text, sizeof(text), "%.7g", (double)*(const float *)src);
            return json_real(strtod(text, NULL));
        }
        return json_real(*(const double *)src);
    case JC_STR:
        return json_string((const char *)src);
    default:
        return NULL;
    }
}

static json_t *encode_fields(const struct jc_field *fields, const char *base);

static json_t *encode_array(const struct jc_field *f, const char *base)
{
    uint32_t n = *(const uint32_t *)(base + f->count_offset);
    const char *elems =
        f->type == JC_ARRAY ? base + f->offset : *(const char *const *)(base + f->offset);
    json_t *arr;

    if (n == 0 && (f->flags & JC_NULL_EMPTY)) {
        return json_null();
    }
    arr = json_array();
    if (arr == NULL) {
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        const char *e = elems + (size_t)i * f->size;
        json_t *ev = f->sub != NULL ? encode_fields(f->sub, e) : encode_scalar(f->elem, f->size, e);
        if (json_array_append_new(arr, ev) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *encode_fields(const struct jc_field *fields, const char *base)
{
    json_t *obj = json_object();

    if (obj == NULL) {
        return NULL;
    }
    for (const struct jc_field *f = fields; f->key != NULL; f++) {
        const char *src = base + f->offset;
        json_t *v;

        switch (f->type) {
        case JC_EMIT_NULL:
            v = json_null();
            break;
        case JC_EMIT_ZERO:
            v = json_integer(0);
            break;
        case JC_EMIT_FALSE:
            v = json_false();
            break;
        case JC_EMIT_EMPTY_STR:
            v = json_string("");
            break;
        case JC_EMIT_EMPTY_ARRAY:
            v = json_array();
            break;
        case JC_EMIT_EMPTY_OBJECT:
            v = json_object();
            break;
        case JC_JSON:
            v = *(json_t *const *)src != NULL ? json_incref(*(json_t *const *)src) : json_null();
            break;
        case JC_OBJECT:
            v = encode_fields(f->sub, src);
            break;
        case JC_ARRAY:
        case JC_ARRAY_HEAP:
            v = encode_array(f, base);
            break;
        default:
            v = encode_scalar(f->type, f->size, src);
            break;
        }
        /* json_object_set_new consumes v and fails on NULL, so one check covers both. */
        if (json_object_set_new(obj, f->key, v) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

json_t *jc_encode(const struct jc_field *fields, const void *in)
{
    return encode_fields(fields, in);
}

int jc_encode_text(const struct jc_field *fields, const void *in, char **out, size_t *len)
{
    json_t *obj = jc_encode(fields, in);
    char *text;

    if (obj == NULL) {
        return -ENOMEM;
    }
    text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(obj);
    if (text == NULL) {
        return -ENOMEM;
    }
    *out = text;
    if (len != NULL) {
        *len = strlen(text);
    }
    return 0;
}

void jc_free(const struct jc_field *fields, void *obj)
{
    char *base = obj;

    for (const struct jc_field *f = fields; f->key != NULL; f++) {
        char *p = base + f->offset;

        switch (f->type) {
        case JC_JSON:
            json_decref(*(json_t **)p);
            *(json_t **)p = NULL;
            break;
        case JC_OBJECT:
            jc_free(f->sub, p);
            break;
        case JC_ARRAY:
        case JC_ARRAY_HEAP: {
            uint32_t *count = (uint32_t *)(base + f->count_offset);
            char *elems = f->type == JC_ARRAY ? p : *(char **)p;
            if (f->sub != NULL && elems != NULL) {
                for (uint32_t i = 0; i < *count; i++) {
                    jc_free(f->sub, elems + (size_t)i * f->size);
                }
            }
            if (f->type == JC_ARRAY_HEAP) {
                free(elems);
                *(char **)p = NULL;
                *count = 0;
            }
            break;
        }
        default:
            break;
        }
    }
}

static size_t scalar_size(enum jc_type t)
{
    switch (t) {
    case JC_U8:
    case JC_I8:
        return 1;
    case JC_U16:
        return 2;
    case JC_U32:
    case JC_I32:
        return 4;
    case JC_U64:
    case JC_I64:
        return 8;
    case JC_BOOL:
        return sizeof(bool);
    default:
        return 0;
    }
}

static int check_scalar(const char *key, enum jc_type t, size_t size, char *errmsg)
{
    size_t want = scalar_size(t);

    if (t == JC_DOUBLE) {
        if (size != sizeof(double) && size != sizeof(float)) {
            errors_set(errmsg, "%s: double member of size %zu", key, size);
            return -EINVAL;
        }
        return 0;
    }
    if (t == JC_STR) {
        return size > 0 ? 0 : -EINVAL;
    }
    if (want == 0 || want != size) {
        errors_set(errmsg, "%s: member size %zu does not match type %d", key, size, (int)t);
        return -EINVAL;
    }
    return 0;
}

int jc_check_table(const struct jc_field *fields, char *errmsg)
{
    for (const struct jc_field *f = fields; f->key != NULL; f++) {
        int rv = 0;

        switch (f->type) {
        case JC_EMIT_NULL:
        case JC_EMIT_ZERO:
        case JC_EMIT_FALSE:
        case JC_EMIT_EMPTY_STR:
        case JC_EMIT_EMPTY_ARRAY:
        case JC_EMIT_EMPTY_OBJECT:
            break;
        case JC_JSON:
            rv = f->size == sizeof(json_t *) ? 0 : -EINVAL;
            break;
        case JC_OBJECT:
            rv = f->sub != NULL ? jc_check_table(f->sub, errmsg) : -EINVAL;
            break;
        case JC_ARRAY:
        case JC_ARRAY_HEAP:
            if (f->type == JC_ARRAY && f->max == 0) {
                rv = -EINVAL;
            } else if (f->sub != NULL) {
                rv = jc_check_table(f->sub, errmsg);
            } else {
                rv = check_scalar(f->key, f->elem, f->size, errmsg);
            }
            break;
        default:
            rv = check_scalar(f->key, f->type, f->size, errmsg);
            break;
        }
        if (rv != 0) {
            if (errmsg != NULL && errmsg[0] == '\0') {
                errors_set(errmsg, "%s: malformed codec table entry", f->key);
            }
            return rv;
        }
    }
    return 0;
}

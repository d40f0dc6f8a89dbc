#include "tools/cfs_cli/output.h"

#include "common/clock.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void append(char *buf, size_t size, size_t *used, const char *text)
{
    if (*used < size) {
        *used += (size_t)snprintf(buf + *used, size - *used, "%s", text);
    }
}

static void format_double(double d, char *buf, size_t size)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            return;
        }
    }
}

char *output_value(const json_t *v, char *buf, size_t size)
{
    char elem[OUTPUT_CELL_SIZE];
    size_t used = 0;
    const char *key;
    json_t *val;
    size_t i;

    buf[0] = '\0';
    switch (v != NULL ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        snprintf(buf, size, "%s", json_string_value(v));
        break;
    case JSON_INTEGER:
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        format_double(json_real_value(v), buf, size);
        break;
    case JSON_TRUE:
        snprintf(buf, size, "true");
        break;
    case JSON_FALSE:
        snprintf(buf, size, "false");
        break;
    case JSON_ARRAY:
        append(buf, size, &used, "[");
        json_array_foreach(v, i, val)
        {
            append(buf, size, &used, i == 0 ? "" : " ");
            append(buf, size, &used, output_value(val, elem, sizeof(elem)));
        }
        append(buf, size, &used, "]");
        break;
    case JSON_OBJECT:
        append(buf, size, &used, "map[");
        i = 0;
        json_object_foreach((json_t *)v, key, val)
        {
            append(buf, size, &used, i++ == 0 ? "" : " ");
            append(buf, size, &used, key);
            append(buf, size, &used, ":");
            append(buf, size, &used, output_value(val, elem, sizeof(elem)));
        }
        append(buf, size, &used, "]");
        break;
    case JSON_NULL:
        break;
    }
    return buf;
}

char *output_size(uint64_t bytes, char *buf, size_t size)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    double v = (double)bytes;
    size_t u = 0;

    while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024;
        u++;
    }
    snprintf(buf, size, "%.2f %s", v, units[u]);
    return buf;
}

static const char *pick(const char *const *names, size_t n, json_int_t i, const char *other)
{
    return i >= 0 && (size_t)i < n ? names[i] : other;
}

static void format_duration(int64_t s, char *buf, size_t size)
{
    int64_t h = s / 3600, m = s % 3600 / 60, sec = s % 60;

    if (h != 0) {
        snprintf(buf, size, "%" PRId64 "h%" PRId64 "m%" PRId64 "s", h, m, sec);
    } else if (m != 0) {
        snprintf(buf, size, "%" PRId64 "m%" PRId64 "s", m, sec);
    } else {
        snprintf(buf, size, "%" PRId64 "s", sec);
    }
}

static void join_as(const json_t *arr, const char *sep, bool storage, char *buf, size_t size)
{
    static const char *const classes[] = {"Unspecified", "ReplicaSSD", "ReplicaHDD", "BlobStore"};
    char elem[OUTPUT_CELL_SIZE];
    size_t used = 0;
    size_t i;
    json_t *v;

    buf[0] = '\0';
    json_array_foreach(arr, i, v)
    {
        append(buf, size, &used, i == 0 ? "" : sep);
        append(buf, size, &used,
               storage ? pick(classes, 4, json_integer_value(v), "InvalidValue")
                       : output_value(v, elem, sizeof(elem)));
    }
}

char *output_join(const json_t *arr, const char *sep, char *buf, size_t size)
{
    join_as(arr, sep, false, buf, size);
    return buf;
}

static void format_time(time_t t, const char *layout, char *buf, size_t size)
{
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || strftime(buf, size, layout, &tm) == 0) {
        buf[0] = '\0';
    }
}

/* An integer view of a number; reals (uint64 values above 2^63 come as reals) are clamped. */
static json_int_t int_value(const json_t *v)
{
    double d;

    if (json_is_integer(v)) {
        return json_integer_value(v);
    }
    d = json_number_value(v);
    return d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (json_int_t)d;
}

const json_t *output_lookup(const json_t *obj, const char *key)
{
    const char *dot;

    while (key != NULL && obj != NULL && (dot = strchr(key, '.')) != NULL) {
        char part[64];
        snprintf(part, sizeof(part), "%.*s", (int)(dot - key), key);
        obj = json_object_get(obj, part);
        key = dot + 1;
    }
    return key != NULL ? json_object_get(obj, key) : NULL;
}

char *output_cell(const json_t *obj, const char *key, enum output_fmt fmt, char *buf, size_t size)
{
    static const char *const dp_status[] = {"Recovering", "ReadOnly", "ReadWrite"};
    static const char *const mp_status[] = {"Unknown", "Read only", "Writable"};
    static const char *const media[] = {"Unspecified", "SSD", "HDD"};
    static const char *const classes[] = {"Unspecified", "ReplicaSSD", "ReplicaHDD", "BlobStore"};
    static const char *const user_types[] = {"Unknown", "Root", "Admin", "Normal"};
    static const char *const user_names[] = {"invalid", "root", "admin", "normal"};
    const json_t *v = output_lookup(obj, key);
    json_int_t i = int_value(v);
    bool b = json_is_true(v);
    char tmp[OUTPUT_CELL_SIZE];
    const char *dom;

    buf[0] = '\0';
    switch (fmt) {
    case OUTPUT_RAW:
        return output_value(v, buf, size);
    case OUTPUT_YES_NO:
        snprintf(buf, size, "%s", b ? "Yes" : "No");
        break;
    case OUTPUT_ENABLED:
    case OUTPUT_NOT_ENABLED:
        snprintf(buf, size, "%s", b == (fmt == OUTPUT_ENABLED) ? "Enabled" : "Disabled");
        break;
    case OUTPUT_TRUE_FALSE:
        snprintf(buf, size, "%s", b ? "True" : "False");
        break;
    case OUTPUT_ACTIVE:
        snprintf(buf, size, "%s", b ? "Active" : "Inactive");
        break;
    case OUTPUT_FORBID:
        snprintf(buf, size, "%s", b ? "forbidden" : "notForbid");
        break;
    case OUTPUT_SIZE:
        return output_size(i > 0 ? (uint64_t)i : 0, buf, size);
    case OUTPUT_GB:
        snprintf(buf, size, "%s GB", output_value(v, tmp, sizeof(tmp)));
        break;
    case OUTPUT_VOL_STATUS:
        snprintf(buf, size, "%s", i == 0 ? "Normal" : i == 1 ? "Marked delete" : "Unknown");
        break;
    case OUTPUT_DP_STATUS:
        snprintf(buf, size, "%s", i == -1 ? "Unavailable" : pick(dp_status, 3, i, "Unknown"));
        break;
    case OUTPUT_MP_STATUS:
        snprintf(buf, size, "%s", i == -1 ? "Unavailable" : pick(mp_status, 3, i, "Unknown"));
        break;
    case OUTPUT_UNIX_TIME:
        clock_format_wall((int64_t)i, buf, size);
        break;
    case OUTPUT_RFC1123_TIME:
        format_time((time_t)i, "%a, %d %b %Y %H:%M:%S %Z", buf, size);
        break;
    case OUTPUT_GO_TIME:
        /* "2026-11-22T19:03:57.123+08:00" -> "2026-11-22 19:03:57" */
        snprintf(buf, size, "%.19s", json_is_string(v) ? json_string_value(v) : "");
        if (strlen(buf) > 10 && buf[10] == 'T') {
            buf[10] = ' ';
        }
        break;
    case OUTPUT_MEDIA:
    case OUTPUT_NODE_MEDIA:
        if (fmt == OUTPUT_NODE_MEDIA && i == 0) {
            snprintf(buf, size, "N/A");
        } else if (i >= 0 && i < 3) {
            snprintf(buf, size, "%s", media[i]);
        } else {
            snprintf(buf, size, "InvalidValue(%" JSON_INTEGER_FORMAT ")", i);
        }
        break;
    case OUTPUT_STORAGE_CLASS:
        snprintf(buf, size, "%s", pick(classes, 4, i, "InvalidValue"));
        break;
    case OUTPUT_USER_TYPE:
        snprintf(buf, size, "%s", pick(user_types, 4, i, "Unknown"));
        break;
    case OUTPUT_USER_TYPE_NAME:
        snprintf(buf, size, "%s", pick(user_names, 4, i, "invalid"));
        break;
    case OUTPUT_ADDR:
        dom = json_string_value(json_object_get(obj, "DomainAddr"));
        output_value(v, tmp, sizeof(tmp));
        if (dom != NULL && dom[0] != '\0') {
            snprintf(buf, size, "%s(%s)", tmp, dom);
        } else {
            snprintf(buf, size, "%s", tmp);
        }
        break;
    case OUTPUT_RANGE_END:
        if (json_is_real(v) || i >= INT64_MAX) {
            snprintf(buf, size, "unlimited");
        } else {
            output_value(v, buf, size);
        }
        break;
    case OUTPUT_DURATION_S:
    case OUTPUT_DURATION_MIN:
        format_duration((int64_t)i * (fmt == OUTPUT_DURATION_MIN ? 60 : 1), buf, size);
        break;
    case OUTPUT_JOIN_COMMA:
    case OUTPUT_JOIN_COMMA_SP:
        output_join(v, fmt == OUTPUT_JOIN_COMMA ? "," : ", ", buf, size);
        break;
    case OUTPUT_STORAGE_CLASSES:
        join_as(v, " ", true, tmp, sizeof(tmp));
        snprintf(buf, size, "[%s]", tmp);
        break;
    }
    return buf;
}

static const struct output_column node_cols[] = {
    {"ID", 6, "ID", OUTPUT_RAW},
    {"ADDRESS", 65, "Addr", OUTPUT_ADDR},
    {"WRITABLE", 8, "IsWritable", OUTPUT_YES_NO},
    {"ACTIVE", 8, "Status", OUTPUT_ACTIVE},
    {"MEDIA", 8, "MediaType", OUTPUT_NODE_MEDIA},
    {"ForbidWriteOpOfProtoVer0", 12, "ForbidWriteOpOfProtoVer0", OUTPUT_FORBID},
};
const struct output_table output_node_table = OUTPUT_TABLE("    ", node_cols);

static const struct output_column storage_class_cols[] = {
    {"STORAGE CLASS", 12, "StorageClass", OUTPUT_STORAGE_CLASS},
    {"INODE COUNT", 12, "InodeCount", OUTPUT_RAW},
    {"USED SIZE", 12, "UsedSizeBytes", OUTPUT_SIZE},
    {"QUOTA", 12, "QuotaGB", OUTPUT_RAW},
};
const struct output_table output_storage_class_table = OUTPUT_TABLE("    ", storage_class_cols);

static const struct output_column partition_cols[] = {
    {"ID", 8, "PartitionID", OUTPUT_RAW},         {"VOLUME", 32, "VolName", OUTPUT_RAW},
    {"REPLICAS", 8, "ReplicaNum", OUTPUT_RAW},    {"STATUS", 12, "Status", OUTPUT_DP_STATUS},
    {"MediaType", 12, "MediaType", OUTPUT_MEDIA}, {"MEMBERS", 18, "Hosts", OUTPUT_JOIN_COMMA_SP},
};
const struct output_table output_partition_table = OUTPUT_TABLE("    ", partition_cols);

void output_row(FILE *f, const char *indent, const struct output_table *t, const char *const *cells)
{
    fputs(indent != NULL ? indent : "", f);
    for (size_t c = 0; c < t->ncols && c < OUTPUT_MAX_COLS; c++) {
        fprintf(f, "%s%-*s", c == 0 ? "" : t->sep, t->cols[c].width,
                cells[c] != NULL ? cells[c] : "");
    }
    fputc('\n', f);
}

void output_header(FILE *f, const char *indent, const struct output_table *t)
{
    const char *cells[OUTPUT_MAX_COLS];

    for (size_t c = 0; c < t->ncols && c < OUTPUT_MAX_COLS; c++) {
        cells[c] = t->cols[c].header;
    }
    output_row(f, indent, t, cells);
}

void output_object_row(FILE *f, const char *indent, const struct output_table *t, const json_t *obj)
{
    char text[OUTPUT_MAX_COLS][OUTPUT_CELL_SIZE];
    const char *cells[OUTPUT_MAX_COLS];

    for (size_t c = 0; c < t->ncols && c < OUTPUT_MAX_COLS; c++) {
        cells[c] = output_cell(obj, t->cols[c].key, t->cols[c].fmt, text[c], sizeof(text[c]));
    }
    output_row(f, indent, t, cells);
}

void output_table(FILE *f, const char *indent, const struct output_table *t, const json_t *rows)
{
    size_t i;
    json_t *row;

    output_header(f, indent, t);
    json_array_foreach(rows, i, row)
    {
        output_object_row(f, indent, t, row);
    }
}

void output_view(FILE *f, const struct output_view *v, const json_t *obj)
{
    char text[OUTPUT_CELL_SIZE];

    for (size_t i = 0; i < v->nfields; i++) {
        const struct output_field *fd = &v->fields[i];
        fprintf(f, "%s%-*s: %s\n", v->indent, v->label_width, fd->label,
                output_cell(obj, fd->key, fd->fmt, text, sizeof(text)));
    }
}

struct sort_item {
    json_t *v;
    double key;
    size_t index;
};

static int sort_cmp(const void *a, const void *b)
{
    const struct sort_item *x = a, *y = b;

    if (x->key != y->key) {
        return x->key < y->key ? -1 : 1;
    }
    return x->index < y->index ? -1 : x->index > y->index;
}

void output_sort(json_t *array, const char *key)
{
    size_t n = json_array_size(array);
    struct sort_item *items = n > 1 ? calloc(n, sizeof(*items)) : NULL;

    if (items == NULL) {
        return; /* nothing to sort, or no memory: leave the master's order */
    }
    for (size_t i = 0; i < n; i++) {
        items[i].v = json_incref(json_array_get(array, i));
        items[i].key = json_number_value(json_object_get(items[i].v, key));
        items[i].index = i;
    }
    qsort(items, n, sizeof(*items), sort_cmp);
    for (size_t i = 0; i < n; i++) {
        json_array_set_new(array, i, items[i].v);
    }
    free(items);
}

int output_json(FILE *f, const json_t *v)
{
    if (v == NULL) {
        fputs("null\n", f);
        return 0;
    }
    if (json_dumpf(v, f, JSON_INDENT(2) | JSON_ENCODE_ANY) != 0) {
        return -1;
    }
    fputc('\n', f);
    return 0;
}

void output_progress_init(struct output_progress *p, FILE *f, bool tty)
{
    memset(p, 0, sizeof(*p));
    p->f = f;
    p->tty = tty;
}

void output_progress_update(struct output_progress *p, const char *text)
{
    size_t len = strlen(text);

    if (p->tty) {
        fprintf(p->f, "\r%s", text);
        for (size_t i = len; i < p->width; i++) {
            fputc(' ', p->f); /* wipe what is left of a longer previous line */
        }
        p->width = len;
        p->drawn = true;
    } else if (!p->drawn || strcmp(p->last, text) != 0) {
        fprintf(p->f, "%s\n", text);
        p->drawn = true;
    }
    snprintf(p->last, sizeof(p->last), "%s", text);
    fflush(p->f);
}

void output_progress_end(struct output_progress *p)
{
    if (p->tty && p->drawn) {
        fputc('\n', p->f);
        fflush(p->f);
    }
    p->drawn = false;
    p->width = 0;
}

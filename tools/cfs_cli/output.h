/* Human output of cfs-cli, in CubeFS's cli layouts: fixed-width tables (Go's "%-Nv" columns,
 * which pad but never cut), "label : value" views, value formats (sizes, Yes/No, Active, partition
 * status...), pretty JSON for --json, and a progress line for long operations.
 *
 * Tables and views are declared as tables of columns or fields that name the JSON key of the
 * master's answer and a format, so each layout is written down once. */
#ifndef CFS_TOOLS_CFS_CLI_OUTPUT_H
#define CFS_TOOLS_CFS_CLI_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OUTPUT_CELL_SIZE 512
#define OUTPUT_MAX_COLS  16 /* columns of a table; more are not printed */

enum output_fmt {
    OUTPUT_RAW,         /* Go's %v of the value */
    OUTPUT_YES_NO,      /* bool: Yes / No */
    OUTPUT_ENABLED,     /* bool: Enabled / Disabled */
    OUTPUT_NOT_ENABLED, /* bool: Disabled / Enabled ("DisableAutoAlloc" shown as "Auto allocate") */
    OUTPUT_TRUE_FALSE,  /* bool: True / False */
    OUTPUT_ACTIVE,      /* bool: Active / Inactive */
    OUTPUT_SIZE,        /* bytes: "1.50 GB" */
    OUTPUT_GB,          /* "<v> GB" */
    OUTPUT_VOL_STATUS,  /* 0 Normal, 1 Marked delete */
    OUTPUT_DP_STATUS,   /* 0 Recovering, 1 ReadOnly, 2 ReadWrite, -1 Unavailable */
    OUTPUT_MP_STATUS,   /* 1 Read only, 2 Writable, -1 Unavailable */
    OUTPUT_UNIX_TIME,   /* unix seconds: "2006-01-02 15:04:05" (local) */
    OUTPUT_RFC1123_TIME,   /* unix seconds: "Mon, 02 Jan 2006 15:04:05 MST" (local) */
    OUTPUT_GO_TIME,        /* Go time.Time text: "2006-01-02 15:04:05" */
    OUTPUT_MEDIA,          /* 0 Unspecified, 1 SSD, 2 HDD */
    OUTPUT_NODE_MEDIA,     /* like OUTPUT_MEDIA, N/A for 0 */
    OUTPUT_STORAGE_CLASS,  /* 0 Unspecified, 1 ReplicaSSD, 2 ReplicaHDD, 3 BlobStore */
    OUTPUT_USER_TYPE,      /* 1 Root, 2 Admin, 3 Normal */
    OUTPUT_USER_TYPE_NAME, /* 1 root, 2 admin, 3 normal */
    OUTPUT_FORBID,         /* bool: forbidden / notForbid */
    OUTPUT_ADDR,           /* "Addr(DomainAddr)" when the object has a DomainAddr */
    OUTPUT_RANGE_END,      /* a meta partition's End: "unlimited" from 2^63-1 on */
    OUTPUT_DURATION_S,     /* seconds as a Go duration: "24h0m0s" */
    OUTPUT_DURATION_MIN,   /* minutes as a Go duration */
    OUTPUT_JOIN_COMMA,     /* array joined with "," */
    OUTPUT_JOIN_COMMA_SP,  /* array joined with ", " */
    OUTPUT_STORAGE_CLASSES /* array of storage classes: "[ReplicaSSD]" */
};

struct output_column {
    const char *header;
    int width;
    const char *key; /* JSON key in each row object ("A.B" for a nested one) */
    enum output_fmt fmt;
};

struct output_table {
    const char *sep; /* between columns; CubeFS mostly uses four spaces */
    const struct output_column *cols;
    size_t ncols;
};

#define OUTPUT_TABLE(sep, cols)                         \
    {                                                   \
        (sep), (cols), sizeof(cols) / sizeof((cols)[0]) \
    }

struct output_field {
    const char *label;
    const char *key;
    enum output_fmt fmt;
};

struct output_view {
    const char *indent;
    int label_width; /* labels are padded to this width, then ": " */
    const struct output_field *fields;
    size_t nfields;
};

#define OUTPUT_VIEW(indent, width, fields)                                \
    {                                                                     \
        (indent), (width), (fields), sizeof(fields) / sizeof((fields)[0]) \
    }

/* Go's %v of a JSON value: strings bare, floats shortest, arrays "[a b]", null "". */
char *output_value(const json_t *v, char *buf, size_t size);

/* obj[key], where "A.B" reads a nested object; NULL when absent. */
const json_t *output_lookup(const json_t *obj, const char *key);

/* The %v texts of an array's elements joined with sep. */
char *output_join(const json_t *arr, const char *sep, char *buf, size_t size);

/* The cell text of obj[key] in format fmt (OUTPUT_ADDR also reads obj.DomainAddr). */
char *output_cell(const json_t *obj, const char *key, enum output_fmt fmt, char *buf, size_t size);

/* Bytes as CubeFS prints them: "0.00 B", "1.50 GB". */
char *output_size(uint64_t bytes, char *buf, size_t size);

/* One table row from strings (NULL cells are empty). */
void output_row(FILE *f, const char *indent, const struct output_table *t,
                const char *const *cells);
void output_header(FILE *f, const char *indent, const struct output_table *t);
/* One row from an object, each column reading its key. */
void output_object_row(FILE *f, const char *indent, const struct output_table *t,
                       const json_t *obj);
/* Header and one row per element of rows (an array; NULL prints the header only). */
void output_table(FILE *f, const char *indent, const struct output_table *t, const json_t *rows);

/* "label : value" lines for obj. */
void output_view(FILE *f, const struct output_view *v, const json_t *obj);

/* Sort an array of objects by an integer key, ascending and stable. */
void output_sort(json_t *array, const char *key);

/* Layouts several commands print. */
extern const struct output_table output_node_table;          /* NodeView: ID ADDRESS WRITABLE ... */
extern const struct output_table output_storage_class_table; /* StatOfStorageClass */
extern const struct output_table output_partition_table;     /* ID VOLUME REPLICAS STATUS ... */

/* Pretty JSON and a newline; NULL prints null. */
int output_json(FILE *f, const json_t *v);

/* A progress line: redrawn in place with a carriage return on a terminal, otherwise one line per
 * change of text. */
struct output_progress {
    FILE *f;
    bool tty;
    bool drawn;
    size_t width; /* of the last line drawn in place */
    char last[256];
};

void output_progress_init(struct output_progress *p, FILE *f, bool tty);
void output_progress_update(struct output_progress *p, const char *text);
/* Finish the line (a newline after in-place drawing). */
void output_progress_end(struct output_progress *p);

#endif

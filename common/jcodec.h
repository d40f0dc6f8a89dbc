/* Table-driven JSON <-> C struct codec.
 *
 * A struct's wire form is declared once as a table of fields (JSON key, type, member offset), and
 * jc_decode()/jc_encode() walk the table. Config files, stored records and every task body use it,
 * so each wire format is written down in exactly one place.
 *
 * Decoding rules, chosen for CubeFS peers:
 * - unknown keys are ignored (CubeFS v3.5 sends many fields we do not use);
 * - a missing key, or a JSON null, leaves the member as the caller initialised it; a JC_REQUIRED
 *   key that is missing or null is an error (CFS_EMISSING) naming the key;
 * - a value of the wrong type or out of the member's range is an error (CFS_ETYPE) naming the key
 *   path, e.g. "Request.Members[1].id: expected unsigned integer";
 * - strings that do not fit their buffer are errors, never silently truncated.
 * On error every heap member decoded so far is freed, so jc_free() on the output is always safe.
 */
#ifndef CFS_COMMON_JCODEC_H
#define CFS_COMMON_JCODEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum jc_type {
    JC_END_TYPE = 0,
    JC_U8,
    JC_U16,
    JC_U32,
    JC_U64,
    JC_I8,
    JC_I32,
    JC_I64,
    JC_BOOL,
    JC_DOUBLE,
    JC_STR,        /* char[size], NUL-terminated */
    JC_JSON,       /* json_t * member holding any value (owned reference), NULL for null */
    JC_OBJECT,     /* nested struct inline, described by sub */
    JC_ARRAY,      /* inline array; element type in elem (or sub for objects); uint32_t count */
    JC_ARRAY_HEAP, /* malloc'd array: pointer member; uint32_t count */
    /* No member: the constant is written on encode and the key is ignored on decode. They let a
     * table reproduce the zero-valued fields CubeFS v3.5 always sends. */
    JC_EMIT_NULL,
    JC_EMIT_ZERO,
    JC_EMIT_FALSE,
    JC_EMIT_EMPTY_STR,
    JC_EMIT_EMPTY_ARRAY,
    JC_EMIT_EMPTY_OBJECT
};

enum {
    JC_REQUIRED = 1u << 0,  /* decode fails when the key is missing or null */
    JC_TEXT_OK = 1u << 1,   /* numbers and bools may come as strings ("17010", "true") */
    JC_SPLIT = 1u << 2,     /* an array may come as one comma-separated string */
    JC_NULL_EMPTY = 1u << 3 /* an empty array is encoded as null, as Go does for nil slices */
};

struct jc_field {
    const char *key;
    enum jc_type type;
    size_t offset;
    size_t size; /* member size; for arrays the size of one element */
    unsigned flags;
    enum jc_type elem;          /* element type of arrays */
    const struct jc_field *sub; /* fields of JC_OBJECT members and of object elements */
    size_t count_offset;        /* arrays: offset of the uint32_t element count */
    uint32_t max;               /* JC_ARRAY: capacity of the inline array */
};

#define JC_MSIZE(T, m) sizeof(((T *)0)->m)

/* A scalar, string or JSON member. */
#define JC_F(T, m, key, type, flags)                                          \
    {                                                                         \
        (key), (type), offsetof(T, m), JC_MSIZE(T, m), (flags), 0, NULL, 0, 0 \
    }

/* A nested struct member. */
#define JC_OBJ(T, m, key, sub, flags)                                             \
    {                                                                             \
        (key), JC_OBJECT, offsetof(T, m), JC_MSIZE(T, m), (flags), 0, (sub), 0, 0 \
    }

/* An inline array member m[N] with a uint32_t count member cnt. */
#define JC_ARR(T, m, cnt, key, elem, sub, flags)                                    \
    {                                                                               \
        (key), JC_ARRAY, offsetof(T, m), JC_MSIZE(T, m[0]), (flags), (elem), (sub), \
            offsetof(T, cnt), (uint32_t)(JC_MSIZE(T, m) / JC_MSIZE(T, m[0]))        \
    }

/* A heap array member (pointer to element) with a uint32_t count member cnt. */
#define JC_HARR(T, m, cnt, key, elem, sub, flags)                                           \
    {                                                                                       \
        (key), JC_ARRAY_HEAP, offsetof(T, m), sizeof(*((T *)0)->m), (flags), (elem), (sub), \
            offsetof(T, cnt), 0                                                             \
    }

#define JC_CONST(key, type)                   \
    {                                         \
        (key), (type), 0, 0, 0, 0, NULL, 0, 0 \
    }

#define JC_END                                    \
    {                                             \
        NULL, JC_END_TYPE, 0, 0, 0, 0, NULL, 0, 0 \
    }

/* Decode a JSON object into out (which the caller has initialised with defaults). */
int jc_decode(const json_t *obj, const struct jc_field *fields, void *out, char *errmsg);

/* Parse JSON text (len bytes, not NUL-terminated) and decode it. */
int jc_decode_text(const void *buf, size_t len, const struct jc_field *fields, void *out,
                   char *errmsg);

/* A new JSON object for in, or NULL when out of memory. */
json_t *jc_encode(const struct jc_field *fields, const void *in);

/* Compact JSON text for in (malloc'd, NUL-terminated, *len excludes the NUL). */
int jc_encode_text(const struct jc_field *fields, const void *in, char **out, size_t *len);

/* Free heap arrays and JSON members, recursively, and reset them to NULL/0. */
void jc_free(const struct jc_field *fields, void *obj);

/* Check that a table is well formed (member sizes match types, arrays have counts). */
int jc_check_table(const struct jc_field *fields, char *errmsg);

#endif

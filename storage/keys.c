/* Key builders and record identities: the one place that knows, per record type, where the id,
 * the indexed name and the owning volume sit in the struct. Everything else in the store is
 * generic over record types. */
#include "storage/store_internal.h"

#include "common/errors.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

_Static_assert(STORE_NAME_SIZE <= STORE_KEY_SIZE, "user ids must fit the longest key");
_Static_assert(STORE_ADDR_SIZE <= STORE_KEY_SIZE, "addresses must fit the longest key");

enum id_kind {
    ID_NONE, /* a single record (cluster) */
    ID_U64,
    ID_STR
};

struct rec_layout {
    enum id_kind id_kind;
    size_t id_off;
    const char *id_key; /* JSON key, for messages */
    size_t name_off;
    size_t name_size; /* 0: the type has no name index */
    const char *name_key;
    bool name_required;
    bool has_vol;
    size_t vol_off;
};

#define ID_FIELD(T, m, key) .id_kind = ID_U64, .id_off = offsetof(T, m), .id_key = (key)
#define NAME_FIELD(T, m, key, required)                                         \
    .name_off = offsetof(T, m), .name_size = JC_MSIZE(T, m), .name_key = (key), \
    .name_required = (required)
#define VOL_FIELD(T, m) .has_vol = true, .vol_off = offsetof(T, m)

static const struct rec_layout layouts[STORE_REC_TYPE_COUNT] = {
    [STORE_REC_CLUSTER] = {.id_kind = ID_NONE},
    [STORE_REC_VOL] = {ID_FIELD(struct store_vol, id, "ID"),
                       NAME_FIELD(struct store_vol, name, "Name", true)},
    [STORE_REC_DP] = {ID_FIELD(struct store_dp, id, "PartitionID"),
                      VOL_FIELD(struct store_dp, vol_id)},
    [STORE_REC_MP] = {ID_FIELD(struct store_mp, id, "PartitionID"),
                      VOL_FIELD(struct store_mp, vol_id)},
    [STORE_REC_DATANODE] = {ID_FIELD(struct store_node, id, "ID"),
                            NAME_FIELD(struct store_node, addr, "Addr", true)},
    [STORE_REC_METANODE] = {ID_FIELD(struct store_node, id, "ID"),
                            NAME_FIELD(struct store_node, addr, "Addr", true)},
    [STORE_REC_NODESET] = {ID_FIELD(struct store_nodeset, id, "ID")},
    /* A user without an access key is legal; it is simply not indexed. */
    [STORE_REC_USER] = {.id_kind = ID_STR,
                        .id_off = offsetof(struct store_user, user_id),
                        .id_key = "user_id",
                        NAME_FIELD(struct store_user, access_key, "access_key", false)},
    [STORE_REC_JOB] = {ID_FIELD(struct store_job, id, "ID")},
    [STORE_REC_MASTER] = {ID_FIELD(struct store_master, id, "ID")},
};

static void key_start(struct store_key *k, uint8_t prefix, uint8_t type)
{
    k->b[0] = prefix;
    k->b[1] = type;
    k->len = 2;
}

static void key_add(struct store_key *k, const void *p, size_t n)
{
    if (n > 0) { /* memcpy must not see the NULL of an id-less key, even for 0 bytes */
        memcpy(k->b + k->len, p, n);
        k->len += n;
    }
}

void store_key_meta(struct store_key *k, const char *name)
{
    k->b[0] = STORE_KP_META;
    k->len = 1;
    key_add(k, name, strlen(name));
}

void store_key_counter(struct store_key *k, enum store_counter c)
{
    key_start(k, STORE_KP_COUNTER, (uint8_t)c);
}

bool store_key_record(struct store_key *k, enum store_rec_type type, const void *id, size_t idlen)
{
    if (idlen > STORE_KEY_MAX - 2) {
        return false;
    }
    key_start(k, STORE_KP_RECORD, (uint8_t)type);
    key_add(k, id, idlen);
    return true;
}

bool store_key_index(struct store_key *k, enum store_rec_type type, const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > STORE_KEY_MAX - 2) {
        return false;
    }
    key_start(k, STORE_KP_INDEX, (uint8_t)type);
    key_add(k, name, n);
    return true;
}

void store_key_child(struct store_key *k, enum store_rec_type type, uint64_t vol_id,
                     const uint8_t *id)
{
    uint8_t vol[8];

    store_be64_put(vol, vol_id);
    key_start(k, STORE_KP_CHILD, (uint8_t)type);
    key_add(k, vol, sizeof(vol));
    if (id != NULL) {
        key_add(k, id, 8);
    }
}

bool store_type_indexed(enum store_rec_type type)
{
    return layouts[type].name_size > 0;
}

bool store_type_has_vol(enum store_rec_type type)
{
    return layouts[type].has_vol;
}

int store_id_check(enum store_rec_type type, const uint8_t *id, size_t len, char *errmsg)
{
    switch (layouts[type].id_kind) {
    case ID_U64:
        if (len != 8) {
            errors_set(errmsg, "%s id of %zu bytes, want 8", records_type_name(type), len);
            return -EINVAL;
        }
        if (store_be64_get(id) == 0) {
            errors_set(errmsg, "%s id is 0", records_type_name(type));
            return -EINVAL;
        }
        return 0;
    case ID_STR:
        if (len == 0 || len >= STORE_NAME_SIZE || memchr(id, '\0', len) != NULL) {
            errors_set(errmsg, "%s id must be 1 to %d bytes without NUL", records_type_name(type),
                       STORE_NAME_SIZE - 1);
            return -EINVAL;
        }
        return 0;
    default:
        errors_set(errmsg, "the %s record has no id", records_type_name(type));
        return -EINVAL;
    }
}

void store_id_format(enum store_rec_type type, const uint8_t *id, size_t len, char *buf,
                     size_t size)
{
    switch (layouts[type].id_kind) {
    case ID_U64:
        snprintf(buf, size, "%s %" PRIu64, records_type_name(type),
                 len == 8 ? store_be64_get(id) : 0);
        break;
    case ID_STR:
        snprintf(buf, size, "%s \"%.*s\"", records_type_name(type), (int)len, (const char *)id);
        break;
    default:
        snprintf(buf, size, "%s", records_type_name(type));
        break;
    }
}

int store_ident_of(enum store_rec_type type, const union store_record *r, struct store_ident *out,
                   char *errmsg)
{
    const struct rec_layout *l = &layouts[type];
    const char *base = (const char *)r;
    struct store_ident id;
    uint64_t u;
    uint8_t be[8];

    memset(&id, 0, sizeof(id));
    switch (l->id_kind) {
    case ID_U64:
        memcpy(&u, base + l->id_off, sizeof(u));
        if (u == 0) {
            errors_set(errmsg, "%s is 0", l->id_key);
            return -EINVAL;
        }
        store_be64_put(be, u);
        store_key_record(&id.key, type, be, sizeof(be));
        break;
    case ID_STR:
        if (base[l->id_off] == '\0') {
            errors_set(errmsg, "%s is empty", l->id_key);
            return -EINVAL;
        }
        /* jcodec bounds the string by its member, which fits a key (asserted above). */
        store_key_record(&id.key, type, base + l->id_off, strlen(base + l->id_off));
        break;
    default:
        store_key_record(&id.key, type, NULL, 0);
        break;
    }
    if (l->name_size > 0) {
        if (l->name_required && base[l->name_off] == '\0') {
            errors_set(errmsg, "%s is empty", l->name_key);
            return -EINVAL;
        }
        memcpy(id.name, base + l->name_off, l->name_size);
    }
    if (l->has_vol) {
        memcpy(&id.vol_id, base + l->vol_off, sizeof(id.vol_id));
        if (id.vol_id == 0) {
            errors_set(errmsg, "VolID is 0");
            return -EINVAL;
        }
    }
    *out = id;
    return 0;
}

int store_record_decode(enum store_rec_type type, const void *json, size_t len,
                        union store_record *r, char *errmsg)
{
    memset(r, 0, sizeof(*r));
    return jc_decode_text(json, len, records_fields(type, NULL), r, errmsg);
}

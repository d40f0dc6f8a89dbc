#include "common/hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Linear probing with tombstones; the table doubles at 70% load (tombstones included) so probe
 * chains stay short and always end at an empty slot. */

enum slot_state { EMPTY = 0, FULL, DELETED };

struct slot {
    uint8_t state;
    uint64_t hash;
    uint64_t key;
    char *skey;
    void *value;
};

struct hmap {
    bool string_keys;
    size_t cap; /* power of two */
    size_t count;
    size_t used; /* FULL + DELETED */
    struct slot *slots;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    while (*s != '\0') {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ULL;
    }
    return mix(h);
}

struct hmap *hmap_new(bool string_keys)
{
    struct hmap *m = calloc(1, sizeof(*m));

    if (m == NULL) {
        return NULL;
    }
    m->string_keys = string_keys;
    m->cap = 16;
    m->slots = calloc(m->cap, sizeof(*m->slots));
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

void hmap_free(struct hmap *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].skey);
    }
    free(m->slots);
    free(m);
}

size_t hmap_count(const struct hmap *m)
{
    return m->count;
}

static bool same_key(const struct hmap *m, const struct slot *s, uint64_t hash, uint64_t key,
                     const char *skey)
{
    if (s->hash != hash) {
        return false;
    }
    return m->string_keys ? strcmp(s->skey, skey) == 0 : s->key == key;
}

/* Index of the key's slot, or of the slot where it would go (first tombstone or empty). */
static size_t find(const struct hmap *m, uint64_t hash, uint64_t key, const char *skey, bool *found)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)hash & mask;
    size_t insert = SIZE_MAX;

    for (;;) {
        const struct slot *s = &m->slots[i];
        if (s->state == EMPTY) {
            *found = false;
            return insert != SIZE_MAX ? insert : i;
        }
        if (s->state == DELETED) {
            if (insert == SIZE_MAX) {
                insert = i;
            }
        } else if (same_key(m, s, hash, key, skey)) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static int grow(struct hmap *m)
{
    struct slot *old = m->slots;
    size_t old_cap = m->cap;
    size_t cap = m->count * 2 >= old_cap ? old_cap * 2 : old_cap;

    m->slots = calloc(cap, sizeof(*m->slots));
    if (m->slots == NULL) {
        m->slots = old;
        return -ENOMEM;
    }
    m->cap = cap;
    m->used = m->count;
    for (size_t i = 0; i < old_cap; i++) {
        bool found;
        if (old[i].state == FULL) {
            m->slots[find(m, old[i].hash, old[i].key, old[i].skey, &found)] = old[i];
        }
    }
    free(old);
    return 0;
}

static int put(struct hmap *m, uint64_t hash, uint64_t key, const char *skey, void *value,
               void **old)
{
    struct slot *s;
    bool found;
    size_t i;

    if ((m->used + 1) * 10 > m->cap * 7 && grow(m) != 0) {
        return -ENOMEM;
    }
    i = find(m, hash, key, skey, &found);
    s = &m->slots[i];
    if (found) {
        if (old != NULL) {
            *old = s->value;
        }
        s->value = value;
        return 0;
    }
    if (skey != NULL) {
        s->skey = strdup(skey);
        if (s->skey == NULL) {
            return -ENOMEM;
        }
    }
    if (s->state == EMPTY) {
        m->used++;
    }
    s->state = FULL;
    s->hash = hash;
    s->key = key;
    s->value = value;
    m->count++;
    if (old != NULL) {
        *old = NULL;
    }
    return 0;
}

static void *del(struct hmap *m, uint64_t hash, uint64_t key, const char *skey)
{
    bool found;
    size_t i = find(m, hash, key, skey, &found);
    void *value;

    if (!found) {
        return NULL;
    }
    value = m->slots[i].value;
    free(m->slots[i].skey);
    m->slots[i].skey = NULL;
    m->slots[i].state = DELETED;
    m->count--;
    return value;
}

int hmap_put_u64(struct hmap *m, uint64_t key, void *value, void **old)
{
    return put(m, mix(key), key, NULL, value, old);
}

int hmap_put_str(struct hmap *m, const char *key, void *value, void **old)
{
    return put(m, hash_str(key), 0, key, value, old);
}

void *hmap_get_u64(const struct hmap *m, uint64_t key)
{
    bool found;
    size_t i = find(m, mix(key), key, NULL, &found);

    return found ? m->slots[i].value : NULL;
}

void *hmap_get_str(const struct hmap *m, const char *key)
{
    bool found;
    size_t i = find(m, hash_str(key), 0, key, &found);

    return found ? m->slots[i].value : NULL;
}

void *hmap_del_u64(struct hmap *m, uint64_t key)
{
    return del(m, mix(key), key, NULL);
}

void *hmap_del_str(struct hmap *m, const char *key)
{
    return del(m, hash_str(key), 0, key);
}

bool hmap_next(const struct hmap *m, size_t *pos, uint64_t *key_u64, const char **key_str,
               void **value)
{
    for (size_t i = *pos; i < m->cap; i++) {
        const struct slot *s = &m->slots[i];
        if (s->state != FULL) {
            continue;
        }
        if (key_u64 != NULL) {
            *key_u64 = s->key;
        }
        if (key_str != NULL) {
            *key_str = s->skey;
        }
        if (value != NULL) {
            *value = s->value;
        }
        *pos = i + 1;
        return true;
    }
    *pos = m->cap;
    return false;
}

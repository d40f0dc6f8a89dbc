/* A small open-addressing hash map from uint64 or string keys to pointers.
 *
 * Keys are copied (strings included); values are the caller's. Not thread-safe: owners lock. */
#ifndef CFS_COMMON_HMAP_H
#define CFS_COMMON_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hmap;

/* string_keys selects the key kind for the map's whole life. */
struct hmap *hmap_new(bool string_keys);
void hmap_free(struct hmap *m);

size_t hmap_count(const struct hmap *m);

/* Insert or replace; *old (may be NULL) gets the replaced value or NULL. -ENOMEM on failure. */
int hmap_put_u64(struct hmap *m, uint64_t key, void *value, void **old);
int hmap_put_str(struct hmap *m, const char *key, void *value, void **old);

void *hmap_get_u64(const struct hmap *m, uint64_t key);
void *hmap_get_str(const struct hmap *m, const char *key);

/* Remove and return the value, or NULL. */
void *hmap_del_u64(struct hmap *m, uint64_t key);
void *hmap_del_str(struct hmap *m, const char *key);

/* Iterate: start with *pos = 0; returns false at the end. Removing the current entry during a
 * walk is allowed; inserting is not. */
bool hmap_next(const struct hmap *m, size_t *pos, uint64_t *key_u64, const char **key_str,
               void **value);

#endif

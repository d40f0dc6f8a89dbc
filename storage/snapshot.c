/* Snapshots: the whole state as one self-checking byte stream.
 *
 * Stream (big-endian):
 *     0  8 bytes  "CFS-SNAP"
 *     8  u32      format version (1)
 *    12  u32      schema version (STORE_SCHEMA_VERSION)
 *    16  u64      applied index
 *    24  u64      entry count
 *    32           entries in key order: u32 key length, u32 value length, key, value
 *   end  u32      CRC-32 (IEEE) of every byte before it
 * The 'm' keys are not entries: the header carries their values, so the applied index can be
 * read without walking the stream. Import checks everything (header, CRC, every entry's bounds
 * and order) before touching the store, then replaces the content in one write transaction, so
 * readers see the old state or the new one. */
#include "storage/store_internal.h"

#include "common/crc32.h"
#include "common/errors.h"
#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAP_MAGIC       "CFS-SNAP"
#define SNAP_MAGIC_SIZE  8
#define SNAP_VERSION     1
#define SNAP_HEADER_SIZE 32
#define SNAP_ENTRY_SIZE  8 /* the two lengths in front of each entry */
#define SNAP_CRC_SIZE    4

struct snap_header {
    uint64_t applied;
    uint64_t count;
};

struct out_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
};

static int out_append(struct out_buf *o, const void *data, size_t n)
{
    if (n > o->cap - o->len) {
        size_t cap = o->cap > 0 ? o->cap : 4096;
        uint8_t *p;
        while (cap - o->len < n) {
            cap *= 2;
        }
        p = realloc(o->p, cap);
        if (p == NULL) {
            return -ENOMEM;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, data, n);
    o->len += n;
    return 0;
}

static int append_entry(struct out_buf *o, const MDB_val *k, const MDB_val *v)
{
    uint8_t lens[SNAP_ENTRY_SIZE];
    int rv;

    if (v->mv_size > UINT32_MAX) {
        return -EFBIG;
    }
    store_be32_put(lens, (uint32_t)k->mv_size);
    store_be32_put(lens + 4, (uint32_t)v->mv_size);
    rv = out_append(o, lens, sizeof(lens));
    if (rv == 0) {
        rv = out_append(o, k->mv_data, k->mv_size);
    }
    if (rv == 0 && v->mv_size > 0) {
        rv = out_append(o, v->mv_data, v->mv_size);
    }
    return rv;
}

int store_snapshot_export_txn(struct store_txn *t, void **out, size_t *len, char *errmsg)
{
    struct out_buf o = {NULL, 0, 0};
    uint8_t head[SNAP_HEADER_SIZE] = {0};
    uint8_t crc[SNAP_CRC_SIZE];
    MDB_cursor *cur = NULL;
    MDB_cursor_op op = MDB_FIRST;
    MDB_val k, v;
    uint64_t applied = 0;
    uint64_t count = 0;
    int rc;
    int rv;

    if (t->txn == NULL) {
        errors_set(errmsg, "snapshot export: the transaction was lost to an earlier error");
        return t->dead != 0 ? t->dead : -EINVAL;
    }
    rv = store_meta_get(t->txn, t->s->dbi, STORE_META_APPLIED, &applied, errmsg);
    if (rv != 0 && rv != CFS_ENOTFOUND) {
        return rv;
    }
    rc = mdb_cursor_open(t->txn, t->s->dbi, &cur);
    if (rc != 0) {
        return store_lmdb_fail(rc, errmsg, "mdb_cursor_open");
    }
    rv = out_append(&o, head, sizeof(head));
    while (rv == 0 && (rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        if (((const uint8_t *)k.mv_data)[0] != STORE_KP_META) {
            rv = append_entry(&o, &k, &v);
            count++;
        }
    }
    if (rv != 0) {
        errors_set(errmsg, "snapshot export: %s", errors_strerror(rv));
        goto out;
    }
    if (rc != MDB_NOTFOUND) {
        rv = store_lmdb_fail(rc, errmsg, "snapshot export: mdb_cursor_get");
        goto out;
    }
    memcpy(o.p, SNAP_MAGIC, SNAP_MAGIC_SIZE);
    store_be32_put(o.p + 8, SNAP_VERSION);
    store_be32_put(o.p + 12, STORE_SCHEMA_VERSION);
    store_be64_put(o.p + 16, applied);
    store_be64_put(o.p + 24, count);
    store_be32_put(crc, crc32_ieee(0, o.p, o.len));
    rv = out_append(&o, crc, sizeof(crc));
    if (rv != 0) {
        errors_set(errmsg, "snapshot export: %s", errors_strerror(rv));
        goto out;
    }
    *out = o.p;
    *len = o.len;
    o.p = NULL;
out:
    mdb_cursor_close(cur);
    free(o.p);
    return rv;
}

int store_snapshot_export(struct store *s, void **out, size_t *len, char *errmsg)
{
    struct store_txn *t;
    int rv = store_read_begin(s, &t);

    if (rv != 0) {
        errors_set(errmsg, "snapshot export: read transaction: %s", errors_strerror(rv));
        return rv;
    }
    rv = store_snapshot_export_txn(t, out, len, errmsg);
    store_txn_end(t);
    return rv;
}

int store_snapshot_export_file(struct store *s, const char *path, char *errmsg)
{
    void *buf = NULL;
    size_t len = 0;
    int rv = store_snapshot_export(s, &buf, &len, errmsg);

    if (rv == 0) {
        /* path holds either the old snapshot or the whole new one. */
        rv = fsutil_write_atomic(path, buf, len, errmsg);
    }
    free(buf);
    return rv;
}

static int header_parse(const uint8_t *p, size_t len, struct snap_header *h, char *errmsg)
{
    if (len < SNAP_HEADER_SIZE + SNAP_CRC_SIZE) {
        errors_set(errmsg, "snapshot of %zu bytes is shorter than its header and checksum", len);
        return CFS_ETRUNC;
    }
    if (memcmp(p, SNAP_MAGIC, SNAP_MAGIC_SIZE) != 0) {
        errors_set(errmsg, "not a store snapshot (bad magic)");
        return CFS_EMAGIC;
    }
    if (store_be32_get(p + 8) != SNAP_VERSION) {
        errors_set(errmsg, "snapshot format version %u, this binary reads %d",
                   store_be32_get(p + 8), SNAP_VERSION);
        return CFS_ESCHEMA;
    }
    if (store_be32_get(p + 12) != STORE_SCHEMA_VERSION) {
        errors_set(errmsg, "snapshot schema version %u, this store uses %d", store_be32_get(p + 12),
                   STORE_SCHEMA_VERSION);
        return CFS_ESCHEMA;
    }
    h->applied = store_be64_get(p + 16);
    h->count = store_be64_get(p + 24);
    return 0;
}

int store_snapshot_applied(const void *buf, size_t len, uint64_t *applied, char *errmsg)
{
    struct snap_header h;
    int rv = header_parse(buf, len, &h, errmsg);

    if (rv == 0) {
        *applied = h.applied;
    }
    return rv;
}

/* LMDB's default order: bytes, then the shorter key first. */
static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    return c != 0 ? c : (alen > blen) - (alen < blen);
}

static bool key_prefix_known(uint8_t prefix)
{
    return prefix == STORE_KP_COUNTER || prefix == STORE_KP_CHILD || prefix == STORE_KP_RECORD ||
           prefix == STORE_KP_INDEX;
}

/* Check every entry: within bounds, a key LMDB accepts, in strictly ascending order (the load
 * appends), and nothing after the last one. */
static int entries_check(const uint8_t *p, size_t len, const struct snap_header *h, size_t max_key,
                         char *errmsg)
{
    size_t end = len - SNAP_CRC_SIZE;
    size_t pos = SNAP_HEADER_SIZE;
    const uint8_t *prev = NULL;
    size_t prev_len = 0;

    for (uint64_t i = 0; i < h->count; i++) {
        uint32_t klen, vlen;
        const uint8_t *key;
        if (end - pos < SNAP_ENTRY_SIZE) {
            errors_set(errmsg, "snapshot entry %" PRIu64 " of %" PRIu64 " runs past the end", i,
                       h->count);
            return CFS_ECORRUPT;
        }
        klen = store_be32_get(p + pos);
        vlen = store_be32_get(p + pos + 4);
        pos += SNAP_ENTRY_SIZE;
        key = p + pos;
        if (klen == 0 || klen > max_key || klen > end - pos || vlen > end - pos - klen) {
            errors_set(errmsg,
                       "snapshot entry %" PRIu64 ": key of %u and value of %u bytes do not fit", i,
                       klen, vlen);
            return CFS_ECORRUPT;
        }
        if (!key_prefix_known(key[0])) {
            errors_set(errmsg, "snapshot entry %" PRIu64 ": unknown key prefix 0x%02x", i, key[0]);
            return CFS_ECORRUPT;
        }
        if (prev != NULL && key_cmp(prev, prev_len, key, klen) >= 0) {
            errors_set(errmsg, "snapshot entry %" PRIu64 ": keys out of order", i);
            return CFS_ECORRUPT;
        }
        prev = key;
        prev_len = klen;
        pos += (size_t)klen + vlen;
    }
    if (pos != end) {
        errors_set(errmsg, "snapshot has %zu bytes after its last entry", end - pos);
        return CFS_ECORRUPT;
    }
    return 0;
}

static int snapshot_check(struct store *s, const uint8_t *p, size_t len, struct snap_header *h,
                          char *errmsg)
{
    uint32_t stored, computed;
    int rv = header_parse(p, len, h, errmsg);

    if (rv != 0) {
        return rv;
    }
    stored = store_be32_get(p + len - SNAP_CRC_SIZE);
    computed = crc32_ieee(0, p, len - SNAP_CRC_SIZE);
    if (stored != computed) {
        errors_set(errmsg, "snapshot checksum mismatch: stored 0x%08x, computed 0x%08x", stored,
                   computed);
        return CFS_ECORRUPT;
    }
    return entries_check(p, len, h, (size_t)mdb_env_get_maxkeysize(s->env), errmsg);
}

int store_snapshot_load(struct store *s, MDB_txn *txn, const void *snap, size_t len, char *errmsg)
{
    const uint8_t *p = snap;
    struct snap_header h;
    size_t pos = SNAP_HEADER_SIZE;
    int rc;
    int rv = header_parse(p, len, &h, errmsg);

    if (rv != 0) {
        return rv;
    }
    rc = mdb_drop(txn, s->dbi, 0);
    if (rc != 0) {
        return store_lmdb_fail(rc, errmsg, "mdb_drop");
    }
    for (uint64_t i = 0; i < h.count; i++) {
        MDB_val k, v;
        k.mv_size = store_be32_get(p + pos);
        v.mv_size = store_be32_get(p + pos + 4);
        k.mv_data = (void *)(p + pos + SNAP_ENTRY_SIZE);
        v.mv_data = (uint8_t *)k.mv_data + k.mv_size;
        pos += SNAP_ENTRY_SIZE + k.mv_size + v.mv_size;
        rc = mdb_put(txn, s->dbi, &k, &v, MDB_APPEND);
        if (rc != 0) {
            return store_lmdb_fail(rc, errmsg, "mdb_put");
        }
    }
    rv = store_meta_put(txn, s->dbi, STORE_META_SCHEMA, STORE_SCHEMA_VERSION, errmsg);
    return rv == 0 ? store_meta_put(txn, s->dbi, STORE_META_APPLIED, h.applied, errmsg) : rv;
}

int store_snapshot_import(struct store *s, const void *buf, size_t len, bool *skipped, char *errmsg)
{
    struct snap_header h;
    struct store_logged step = {NULL, buf, len, 0};
    int rv = snapshot_check(s, buf, len, &h, errmsg);

    if (rv == 0) {
        step.index = h.applied;
        rv = store_run_once(s, &step, skipped, errmsg);
    }
    if (rv != 0) {
        errors_prefix(errmsg, "snapshot import");
    }
    return rv;
}

static int read_file(const char *path, void **out, size_t *len, char *errmsg)
{
    struct stat st;
    uint8_t *buf = NULL;
    size_t got = 0;
    int fd = open(path, O_RDONLY);
    int rv = 0;

    if (fd < 0) {
        rv = -errno;
        errors_set(errmsg, "open %s: %s", path, strerror(errno));
        return rv;
    }
    if (fstat(fd, &st) != 0) {
        rv = -errno;
        goto out;
    }
    buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    if (buf == NULL) {
        rv = -ENOMEM;
        goto out;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            rv = n < 0 ? -errno : CFS_ETRUNC;
            goto out;
        }
        got += (size_t)n;
    }
    *out = buf;
    *len = got;
    buf = NULL;
out:
    if (rv != 0) {
        errors_set(errmsg, "read %s: %s", path, errors_strerror(rv));
    }
    free(buf);
    close(fd);
    return rv;
}

int store_snapshot_import_file(struct store *s, const char *path, bool *skipped, char *errmsg)
{
    void *buf = NULL;
    size_t len = 0;
    int rv = read_file(path, &buf, &len, errmsg);

    if (rv == 0) {
        rv = store_snapshot_import(s, buf, len, skipped, errmsg);
    }
    free(buf);
    return rv;
}

#define LOG_TAG "node_files"

#include "admin_task/node_files.h"

#include "common/errors.h"
#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int node_files_join(char *path, size_t size, const char *a, const char *b, char *errmsg)
{
    if ((size_t)snprintf(path, size, "%s/%s", a, b) >= size) {
        errors_set(errmsg, "path too long: %s/%s", a, b);
        return -ENAMETOOLONG;
    }
    return 0;
}

int node_files_write_json(const char *path, const struct jc_field *fields, const void *obj,
                          char *errmsg)
{
    char *text = NULL;
    size_t len;
    int rv = jc_encode_text(fields, obj, &text, &len);

    if (rv != 0) {
        errors_set(errmsg, "encode %s: %s", path, errors_strerror(rv));
        return rv;
    }
    rv = fsutil_write_atomic(path, text, len, errmsg);
    free(text);
    return rv;
}

int node_files_read_json(const char *path, const struct jc_field *fields, void *out, char *errmsg)
{
    struct stat st;
    char *buf = NULL;
    size_t have = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rv;

    if (fd < 0) {
        rv = -errno;
        errors_set(errmsg, "open %s: %s", path, strerror(errno));
        return rv;
    }
    if (fstat(fd, &st) != 0) {
        rv = -errno;
        errors_set(errmsg, "stat %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > NODE_FILES_MAX_JSON) {
        rv = CFS_ECORRUPT;
        errors_set(errmsg, "%s: not a regular file of at most %u bytes", path, NODE_FILES_MAX_JSON);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        rv = -ENOMEM;
        errors_set(errmsg, "read %s: out of memory", path);
        goto out;
    }
    while (have < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + have, (size_t)st.st_size - have);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            rv = k < 0 ? -errno : CFS_ETRUNC;
            errors_set(errmsg, "read %s: %s", path, k < 0 ? strerror(errno) : "file shrank");
            goto out;
        }
        have += (size_t)k;
    }
    rv = jc_decode_text(buf, have, fields, out, errmsg);
    if (rv != 0) {
        errors_prefix(errmsg, "%s", path);
    }
out:
    free(buf);
    close(fd);
    return rv;
}

/* final = parent/name, and aside = final with suffix: the name it has while being built or
 * deleted. Both buffers hold PATH_MAX bytes. */
static int dir_paths(const char *parent, const char *name, const char *suffix, char *final,
                     char *aside, char *errmsg)
{
    int rv = node_files_join(final, PATH_MAX, parent, name, errmsg);

    if (rv == 0 && (size_t)snprintf(aside, PATH_MAX, "%s%s", final, suffix) >= PATH_MAX) {
        errors_set(errmsg, "path too long: %s", final);
        rv = -ENAMETOOLONG;
    }
    return rv;
}

int node_files_create_dir(const char *parent, const char *name, const char *file_name,
                          const struct jc_field *fields, const void *obj, char *errmsg)
{
    char final[PATH_MAX];
    char staging[PATH_MAX];
    char file[PATH_MAX];
    struct stat st;
    int rv;

    rv = dir_paths(parent, name, NODE_FILES_TMP_SUFFIX, final, staging, errmsg);
    if (rv == 0) {
        rv = node_files_join(file, sizeof(file), staging, file_name, errmsg);
    }
    if (rv != 0) {
        return rv;
    }
    if (lstat(final, &st) == 0) {
        errors_set(errmsg, "%s already exists", final);
        return -EEXIST;
    }
    rv = fsutil_remove_tree(staging, errmsg);
    if (rv != 0) {
        return rv;
    }
    if (mkdir(staging, 0755) != 0) {
        rv = -errno;
        errors_set(errmsg, "mkdir %s: %s", staging, strerror(errno));
        return rv;
    }
    rv = node_files_write_json(file, fields, obj, errmsg);
    if (rv != 0) {
        goto out;
    }
    if (rename(staging, final) != 0) {
        rv = -errno;
        errors_set(errmsg, "rename %s to %s: %s", staging, final, strerror(errno));
        goto out;
    }
    rv = fsutil_fsync_dir(parent, errmsg);
    if (rv != 0) {
        /* Whether the rename is durable is unknown: take it back, so a failed create leaves no
         * partition that a retry would then find in its way. */
        fsutil_remove_tree(final, NULL);
    }
out:
    if (rv != 0) {
        /* Best effort: a leftover is removed by the next scan anyway. */
        fsutil_remove_tree(staging, NULL);
    }
    return rv;
}

int node_files_remove_dir(const char *parent, const char *name, char *errmsg)
{
    char final[PATH_MAX];
    char doomed[PATH_MAX];
    char why[ERRMSG_SIZE];
    int rv;

    rv = dir_paths(parent, name, NODE_FILES_DEL_SUFFIX, final, doomed, errmsg);
    if (rv != 0) {
        return rv;
    }
    if (rename(final, doomed) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        rv = -errno;
        errors_set(errmsg, "rename %s to %s: %s", final, doomed, strerror(errno));
        return rv;
    }
    rv = fsutil_fsync_dir(parent, errmsg);
    if (rv != 0) {
        return rv;
    }
    /* The durable rename is the delete; what remains is garbage the next scan also removes. */
    if (fsutil_remove_tree(doomed, why) != 0) {
        log_warn("%s", why);
    }
    return 0;
}

static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name);
    size_t k = strlen(suffix);

    return n >= k && strcmp(name + n - k, suffix) == 0;
}

int node_files_scan(const char *parent, const char *prefix,
                    int (*cb)(const char *name, void *arg, char *errmsg), void *arg, char *errmsg)
{
    size_t prefix_len = strlen(prefix);
    DIR *d = opendir(parent);
    int rv = 0;

    if (d == NULL) {
        rv = -errno;
        errors_set(errmsg, "open directory %s: %s", parent, strerror(errno));
        return rv;
    }
    for (;;) {
        struct dirent *e;
        char path[PATH_MAX];
        char why[ERRMSG_SIZE];

        errno = 0;
        e = readdir(d);
        if (e == NULL) {
            if (errno != 0) {
                rv = -errno;
                errors_set(errmsg, "read directory %s: %s", parent, strerror(errno));
            }
            break;
        }
        if (strncmp(e->d_name, prefix, prefix_len) != 0) {
            continue;
        }
        if (!has_suffix(e->d_name, NODE_FILES_TMP_SUFFIX) &&
            !has_suffix(e->d_name, NODE_FILES_DEL_SUFFIX)) {
            rv = cb(e->d_name, arg, errmsg);
            if (rv != 0) {
                break;
            }
            continue;
        }
        log_warn("removing %s/%s, left by an interrupted create or delete", parent, e->d_name);
        if (node_files_join(path, sizeof(path), parent, e->d_name, why) != 0 ||
            fsutil_remove_tree(path, why) != 0) {
            log_warn("%s", why);
        }
    }
    closedir(d);
    return rv;
}

/* Index of the first item with an id >= id. */
static size_t lower_bound(const struct node_files_table *t, uint64_t id)
{
    size_t lo = 0;
    size_t hi = t->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t mid_id;
        memcpy(&mid_id, t->items + mid * t->item_size, sizeof(mid_id));
        if (mid_id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

void *node_files_table_at(const struct node_files_table *t, size_t i)
{
    return t->items + i * t->item_size;
}

void *node_files_table_find(const struct node_files_table *t, uint64_t id)
{
    size_t i = lower_bound(t, id);
    uint64_t found;

    if (i == t->n) {
        return NULL;
    }
    memcpy(&found, node_files_table_at(t, i), sizeof(found));
    return found == id ? node_files_table_at(t, i) : NULL;
}

int node_files_table_insert(struct node_files_table *t, const void *item)
{
    uint64_t id;
    size_t i;

    memcpy(&id, item, sizeof(id));
    i = lower_bound(t, id);
    if (t->n == t->cap) {
        size_t cap = t->cap > 0 ? t->cap * 2 : 16;
        char *items = realloc(t->items, cap * t->item_size);
        if (items == NULL) {
            return -ENOMEM;
        }
        t->items = items;
        t->cap = cap;
    }
    memmove(t->items + (i + 1) * t->item_size, t->items + i * t->item_size,
            (t->n - i) * t->item_size);
    memcpy(t->items + i * t->item_size, item, t->item_size);
    t->n++;
    return 0;
}

void node_files_table_remove(struct node_files_table *t, const void *item)
{
    size_t i = (size_t)((const char *)item - t->items) / t->item_size;

    memmove(t->items + i * t->item_size, t->items + (i + 1) * t->item_size,
            (t->n - i - 1) * t->item_size);
    t->n--;
}

void node_files_table_free(struct node_files_table *t)
{
    free(t->items);
    t->items = NULL;
    t->n = 0;
    t->cap = 0;
}

int node_files_peer_add(struct task_peer *peers, uint32_t *n, const struct task_peer *peer)
{
    for (uint32_t i = 0; i < *n; i++) {
        if (strcmp(peers[i].addr, peer->addr) == 0) {
            return 0;
        }
    }
    if (*n >= TASK_MAX_MEMBERS) {
        return -ENOSPC;
    }
    peers[(*n)++] = *peer;
    return 1;
}

int node_files_peer_remove(struct task_peer *peers, uint32_t *n, const char *addr)
{
    for (uint32_t i = 0; i < *n; i++) {
        if (strcmp(peers[i].addr, addr) == 0) {
            /* Keep the order: the first member decides the leader. */
            memmove(&peers[i], &peers[i + 1], (*n - i - 1) * sizeof(peers[0]));
            (*n)--;
            return 1;
        }
    }
    return 0;
}

int node_files_host_add(char (*hosts)[TASK_ADDR_SIZE], uint32_t *n, const char *addr)
{
    for (uint32_t i = 0; i < *n; i++) {
        if (strcmp(hosts[i], addr) == 0) {
            return 0;
        }
    }
    if (*n >= TASK_MAX_MEMBERS) {
        return -ENOSPC;
    }
    if (strlen(addr) >= TASK_ADDR_SIZE) {
        return -ENAMETOOLONG;
    }
    strcpy(hosts[(*n)++], addr);
    return 1;
}

int node_files_host_remove(char (*hosts)[TASK_ADDR_SIZE], uint32_t *n, const char *addr)
{
    for (uint32_t i = 0; i < *n; i++) {
        if (strcmp(hosts[i], addr) == 0) {
            memmove(hosts[i], hosts[i + 1], (*n - i - 1) * sizeof(hosts[0]));
            (*n)--;
            return 1;
        }
    }
    return 0;
}

bool node_files_is_leader(const struct task_peer *peers, uint32_t n, const char *self_addr,
                          bool marked)
{
    return marked || (n > 0 && strcmp(peers[0].addr, self_addr) == 0);
}

int node_files_not_exists(const struct node_files_table *t, uint64_t id, char *errmsg)
{
    errors_set(errmsg, "%s %" PRIu64 " not exists", t->kind->name, id);
    return CFS_ENOTFOUND;
}

static void *meta_of(const struct node_files_table *t, void *item)
{
    return (char *)item + t->kind->meta_offset;
}

/* The path of item's metadata file. */
static int meta_path(const struct node_files_table *t, const void *item, char *path, size_t size,
                     char *errmsg)
{
    char name[NAME_MAX + 1];
    char dir[PATH_MAX];
    const char *parent = t->kind->locate(t->owner, item, name, sizeof(name));
    int rv = node_files_join(dir, sizeof(dir), parent, name, errmsg);

    if (rv == 0) {
        rv = node_files_join(path, size, dir, t->kind->file_name, errmsg);
    }
    return rv;
}

int node_files_part_create(struct node_files_table *t, const void *item, char *errmsg)
{
    char name[NAME_MAX + 1];
    const char *parent = t->kind->locate(t->owner, item, name, sizeof(name));
    int rv = node_files_create_dir(parent, name, t->kind->file_name, t->kind->fields,
                                   (const char *)item + t->kind->meta_offset, errmsg);

    if (rv != 0) {
        return rv;
    }
    rv = node_files_table_insert(t, item);
    if (rv != 0) {
        /* A failed undo is healed by the next load. */
        node_files_remove_dir(parent, name, NULL);
        errors_set(errmsg, "out of memory");
    }
    return rv;
}

int node_files_part_delete(struct node_files_table *t, uint64_t id, char *errmsg)
{
    void *item = node_files_table_find(t, id);
    char name[NAME_MAX + 1];
    const char *parent;
    int rv;

    if (item == NULL) {
        return 0;
    }
    parent = t->kind->locate(t->owner, item, name, sizeof(name));
    rv = node_files_remove_dir(parent, name, errmsg);
    if (rv == 0) {
        node_files_table_remove(t, item);
    }
    return rv;
}

int node_files_part_commit(struct node_files_table *t, void *item, const void *next, char *errmsg)
{
    char path[PATH_MAX];
    int rv = meta_path(t, item, path, sizeof(path), errmsg);

    if (rv == 0) {
        rv = node_files_write_json(path, t->kind->fields, next, errmsg);
    }
    if (rv == 0) {
        memcpy(meta_of(t, item), next, t->kind->meta_size);
    }
    return rv;
}

/* Apply fn to a copy of partition id's metadata and commit the copy when fn changed it. fn
 * returns 1 when it did, 0 when the partition already is so (nothing is written: a resent task
 * is a no-op), or a negative error with errmsg filled. */
static int edit(struct node_files_table *t, uint64_t id,
                int (*fn)(struct node_files_replicas *r, const void *arg, char *errmsg),
                const void *arg, char *errmsg)
{
    struct node_files_replicas r;
    void *item = node_files_table_find(t, id);
    void *next;
    int rv;

    if (item == NULL) {
        return node_files_not_exists(t, id, errmsg);
    }
    next = malloc(t->kind->meta_size);
    if (next == NULL) {
        errors_set(errmsg, "%s %" PRIu64 ": out of memory", t->kind->name, id);
        return -ENOMEM;
    }
    memcpy(next, meta_of(t, item), t->kind->meta_size);
    t->kind->replicas(next, &r);
    rv = fn(&r, arg, errmsg);
    if (rv < 0) {
        errors_prefix(errmsg, "%s %" PRIu64, t->kind->name, id);
    } else if (rv > 0) {
        rv = node_files_part_commit(t, item, next, errmsg);
    }
    free(next);
    return rv;
}

struct member_change {
    const struct task_peer *peer;
    bool add;
};

/* Peers and, when the kind keeps them, hosts. */
static int change_member(struct node_files_replicas *r, const void *arg, char *errmsg)
{
    const struct member_change *c = arg;
    int peers = c->add ? node_files_peer_add(r->peers, r->npeers, c->peer)
                       : node_files_peer_remove(r->peers, r->npeers, c->peer->addr);
    int hosts = 0;

    if (peers >= 0 && r->hosts != NULL) {
        hosts = c->add ? node_files_host_add(r->hosts, r->nhosts, c->peer->addr)
                       : node_files_host_remove(r->hosts, r->nhosts, c->peer->addr);
    }
    if (peers < 0 || hosts < 0) {
        errors_set(errmsg, "cannot add %s: %s", c->peer->addr,
                   strerror(-(peers < 0 ? peers : hosts)));
        return peers < 0 ? peers : hosts;
    }
    return peers > 0 || hosts > 0;
}

int node_files_part_change_member(struct node_files_table *t, uint64_t id,
                                  const struct task_peer *peer, bool add, char *errmsg)
{
    struct member_change c = {peer, add};
    int rv = edit(t, id, change_member, &c, errmsg);

    if (rv == 0) {
        log_info("%s %" PRIu64 ": %s member %s", t->kind->name, id, add ? "added" : "removed",
                 peer->addr);
    }
    return rv;
}

static int mark_leader(struct node_files_replicas *r, const void *arg, char *errmsg)
{
    (void)arg;
    (void)errmsg;
    if (*r->leader_marked) {
        return 0;
    }
    *r->leader_marked = true;
    return 1;
}

int node_files_part_mark_leader(struct node_files_table *t, uint64_t id, char *errmsg)
{
    return edit(t, id, mark_leader, NULL, errmsg);
}

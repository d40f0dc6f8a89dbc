#define _XOPEN_SOURCE 700 /* nftw */
#define LOG_TAG       "node_files"

#include "admin_task/node_files.h"

#include "common/errors.h"
#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

static int fsync_dir(const char *dir, char *errmsg)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rv = 0;

    if (fd < 0) {
        rv = -errno;
        errors_set(errmsg, "open directory %s: %s", dir, strerror(errno));
        return rv;
    }
    if (fsync(fd) != 0) {
        rv = -errno;
        errors_set(errmsg, "fsync directory %s: %s", dir, strerror(errno));
    }
    close(fd);
    return rv;
}

/* The directory holding path, so a rename inside it can be made durable. */
static int fsync_parent(const char *path, char *errmsg)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t n;

    if (slash == NULL) {
        return fsync_dir(".", errmsg);
    }
    n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= sizeof(dir)) {
        errors_set(errmsg, "path too long: %s", path);
        return -ENAMETOOLONG;
    }
    memcpy(dir, path, n);
    dir[n] = '\0';
    return fsync_dir(dir, errmsg);
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t k = write(fd, buf, len);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        buf += k;
        len -= (size_t)k;
    }
    return 0;
}

static int write_atomic(const char *path, const char *text, size_t len, char *errmsg)
{
    char tmp[PATH_MAX];
    int fd = -1;
    int rv;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s%s", path, NODE_FILES_TMP_SUFFIX) >= sizeof(tmp)) {
        errors_set(errmsg, "path too long: %s", path);
        return -ENAMETOOLONG;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rv = -errno;
        errors_set(errmsg, "create %s: %s", tmp, strerror(errno));
        goto out;
    }
    rv = write_all(fd, text, len);
    if (rv != 0) {
        errors_set(errmsg, "write %s: %s", tmp, strerror(-rv));
        goto out;
    }
    if (fsync(fd) != 0) {
        rv = -errno;
        errors_set(errmsg, "fsync %s: %s", tmp, strerror(errno));
        goto out;
    }
    rv = close(fd) == 0 ? 0 : -errno;
    fd = -1;
    if (rv != 0) {
        errors_set(errmsg, "close %s: %s", tmp, strerror(-rv));
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rv = -errno;
        errors_set(errmsg, "rename %s to %s: %s", tmp, path, strerror(errno));
        goto out;
    }
    rv = fsync_parent(path, errmsg);
out:
    if (fd >= 0) {
        close(fd);
    }
    if (rv != 0) {
        unlink(tmp);
    }
    return rv;
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
    rv = write_atomic(path, text, len, errmsg);
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

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int remove_tree(const char *path, char *errmsg)
{
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT) {
        int rv = errno != 0 ? -errno : -EIO;
        errors_set(errmsg, "remove %s: %s", path, strerror(-rv));
        return rv;
    }
    return 0;
}

int node_files_create_dir(const char *parent, const char *name, const char *file_name,
                          const struct jc_field *fields, const void *obj, char *errmsg)
{
    char final[PATH_MAX];
    char staging[PATH_MAX];
    char file[PATH_MAX];
    struct stat st;
    int rv;

    rv = node_files_join(final, sizeof(final), parent, name, errmsg);
    if (rv != 0) {
        return rv;
    }
    if ((size_t)snprintf(staging, sizeof(staging), "%s%s", final, NODE_FILES_TMP_SUFFIX) >=
        sizeof(staging)) {
        errors_set(errmsg, "path too long: %s", final);
        return -ENAMETOOLONG;
    }
    rv = node_files_join(file, sizeof(file), staging, file_name, errmsg);
    if (rv != 0) {
        return rv;
    }
    if (lstat(final, &st) == 0) {
        errors_set(errmsg, "%s already exists", final);
        return -EEXIST;
    }
    rv = remove_tree(staging, errmsg);
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
    rv = fsync_dir(parent, errmsg);
    if (rv != 0) {
        /* Whether the rename is durable is unknown: take it back, so a failed create leaves no
         * partition that a retry would then find in its way. */
        remove_tree(final, NULL);
    }
out:
    if (rv != 0) {
        /* Best effort: a leftover is removed by the next scan anyway. */
        remove_tree(staging, NULL);
    }
    return rv;
}

int node_files_remove_dir(const char *parent, const char *name, char *errmsg)
{
    char final[PATH_MAX];
    char doomed[PATH_MAX];
    char why[ERRMSG_SIZE];
    int rv;

    rv = node_files_join(final, sizeof(final), parent, name, errmsg);
    if (rv != 0) {
        return rv;
    }
    if ((size_t)snprintf(doomed, sizeof(doomed), "%s%s", final, NODE_FILES_DEL_SUFFIX) >=
        sizeof(doomed)) {
        errors_set(errmsg, "path too long: %s", final);
        return -ENAMETOOLONG;
    }
    if (rename(final, doomed) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        rv = -errno;
        errors_set(errmsg, "rename %s to %s: %s", final, doomed, strerror(errno));
        return rv;
    }
    rv = fsync_dir(parent, errmsg);
    if (rv != 0) {
        return rv;
    }
    /* The durable rename is the delete; what remains is garbage the next scan also removes. */
    if (remove_tree(doomed, why) != 0) {
        log_warn("%s", why);
    }
    return 0;
}

int node_files_mkdirs(const char *dir, char *errmsg)
{
    char path[PATH_MAX];
    struct stat st;
    size_t len = strlen(dir);

    if (len == 0 || len >= sizeof(path)) {
        errors_set(errmsg, "bad directory path \"%s\"", dir);
        return -EINVAL;
    }
    memcpy(path, dir, len + 1);
    /* Each prefix ending before a '/', then the whole path. */
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0') {
            continue;
        }
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            int rv = -errno;
            errors_set(errmsg, "mkdir %s: %s", path, strerror(errno));
            return rv;
        }
        path[i] = dir[i];
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errors_set(errmsg, "%s is not a directory", dir);
        return -ENOTDIR;
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
            remove_tree(path, why) != 0) {
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

int node_files_reply_text(struct node_agent_reply *reply, uint8_t result, const char *text)
{
    char *copy = strdup(text);

    if (copy == NULL) {
        return -ENOMEM;
    }
    reply->result = result;
    reply->data = copy;
    reply->size = (uint32_t)strlen(copy);
    return 0;
}

int node_files_decode_request(const struct admin_task *t, const struct jc_field *fields, void *out,
                              char *errmsg)
{
    int rv = jc_decode(t->request, fields, out, errmsg);

    if (rv != 0) {
        errors_prefix(errmsg, "Request");
    }
    return rv;
}

int node_files_set_response(struct node_agent_reply *reply, const struct jc_field *fields,
                            const void *body, char *errmsg)
{
    reply->response = jc_encode(fields, body);
    if (reply->response == NULL) {
        errors_set(errmsg, "encode response: out of memory");
        return -ENOMEM;
    }
    return 0;
}

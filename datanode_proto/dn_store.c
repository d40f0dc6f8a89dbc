#define LOG_TAG "dn_store"

#include "datanode_proto/dn_store.h"

#include "admin_task/node_files.h"
#include "common/crc32.h"
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
#include <sys/statvfs.h>
#include <unistd.h>

/* Keys follow CubeFS's data partition metadata file where it has one. */
const struct jc_field dn_partition_fields[] = {
    JC_F(struct dn_partition, vol_name, "VolumeID", JC_STR, 0),
    JC_F(struct dn_partition, partition_id, "PartitionID", JC_U64, JC_REQUIRED),
    JC_F(struct dn_partition, size, "PartitionSize", JC_U64, JC_REQUIRED),
    JC_F(struct dn_partition, partition_type, "PartitionType", JC_I32, 0),
    JC_F(struct dn_partition, replica_num, "ReplicaNum", JC_I32, 0),
    JC_ARR(struct dn_partition, peers, npeers, "Peers", 0, task_peer_fields, 0),
    JC_ARR(struct dn_partition, hosts, nhosts, "Hosts", JC_STR, NULL, 0),
    JC_F(struct dn_partition, create_time, "CreateTime", JC_I64, 0),
    JC_F(struct dn_partition, create_type, "DataPartitionCreateType", JC_I32, 0),
    JC_F(struct dn_partition, leader_marked, "IsLeader", JC_BOOL, 0),
    JC_END,
};

struct entry {
    uint64_t id; /* first, as node_files_table wants */
    size_t disk; /* index into disks */
    struct dn_partition meta;
};

struct dn_store {
    struct dn_disk_conf disks[DN_STORE_MAX_DISKS];
    size_t ndisks;
    struct node_files_table parts; /* of struct entry */
};

int dn_store_parse_disk(const char *spec, struct dn_disk_conf *out, char *errmsg)
{
    const char *colon = strrchr(spec, ':');
    struct dn_disk_conf tmp = {0};
    size_t len;
    char *end;

    if (colon == NULL || colon == spec || colon[1] < '0' || colon[1] > '9') {
        errors_set(errmsg, "disk \"%s\": expected path:reservedBytes", spec);
        return -EINVAL;
    }
    len = (size_t)(colon - spec);
    if (len >= sizeof(tmp.path)) {
        errors_set(errmsg, "disk \"%s\": path longer than %zu bytes", spec, sizeof(tmp.path) - 1);
        return -ENAMETOOLONG;
    }
    errno = 0;
    tmp.reserved = strtoull(colon + 1, &end, 10);
    if (errno != 0 || *end != '\0') {
        errors_set(errmsg, "disk \"%s\": reserved bytes \"%s\" is not a number", spec, colon + 1);
        return -EINVAL;
    }
    memcpy(tmp.path, spec, len);
    /* "/data/" and "/data" are the same disk; keep one spelling for replies and reports. */
    while (len > 1 && tmp.path[len - 1] == '/') {
        tmp.path[--len] = '\0';
    }
    *out = tmp;
    return 0;
}

void dn_store_disk_space(const struct dn_disk_conf *conf, struct dn_disk_space *out)
{
    struct statvfs st;
    struct dn_disk_space tmp = {.reserved = conf->reserved};

    if (statvfs(conf->path, &st) == 0) {
        tmp.ok = true;
        tmp.total = (uint64_t)st.f_blocks * st.f_frsize;
        tmp.used = (uint64_t)(st.f_blocks - st.f_bfree) * st.f_frsize;
        tmp.avail = (uint64_t)st.f_bavail * st.f_frsize;
    } else {
        log_warn("disk %s: statvfs: %s", conf->path, strerror(errno));
    }
    *out = tmp;
}

uint64_t dn_store_disk_room(const struct dn_disk_space *d)
{
    return d->ok && d->avail > d->reserved ? d->avail - d->reserved : 0;
}

int dn_store_choose_disk(const struct dn_disk_space *disks, size_t n)
{
    int best = -1;
    uint64_t best_room = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t room = dn_store_disk_room(&disks[i]);
        if (room > best_room) {
            best = (int)i;
            best_room = room;
        }
    }
    return best;
}

int32_t dn_store_partition_status(const struct dn_disk_space *disk, bool dir_ok)
{
    if (!disk->ok || !dir_ok) {
        return DP_STATUS_UNAVAILABLE;
    }
    return dn_store_disk_room(disk) > 0 ? DP_STATUS_READ_WRITE : DP_STATUS_READ_ONLY;
}

/* Where an entry's directory is: <disk>/datapartition_<id>_<size>. */
static const char *locate(const void *owner, const void *item, char *name, size_t size)
{
    const struct dn_store *s = owner;
    const struct entry *e = item;

    snprintf(name, size, DN_STORE_DIR_PREFIX "%" PRIu64 "_%" PRIu64, e->meta.partition_id,
             e->meta.size);
    return s->disks[e->disk].path;
}

static void replicas(void *meta, struct node_files_replicas *out)
{
    struct dn_partition *p = meta;

    *out =
        (struct node_files_replicas){p->peers, &p->npeers, p->hosts, &p->nhosts, &p->leader_marked};
}

static const struct node_files_kind kind = {
    .name = "data partition",
    .file_name = DN_STORE_META_FILE,
    .fields = dn_partition_fields,
    .meta_offset = offsetof(struct entry, meta),
    .meta_size = sizeof(struct dn_partition),
    .replicas = replicas,
    .locate = locate,
};

static int partition_dir(const struct dn_store *s, const struct entry *e, char *buf, size_t size,
                         char *errmsg)
{
    char name[64];
    const char *disk = locate(s, e, name, sizeof(name));

    return node_files_join(buf, size, disk, name, errmsg);
}

static struct entry *find(const struct dn_store *s, uint64_t id)
{
    return node_files_table_find(&s->parts, id);
}

static struct entry *at(const struct dn_store *s, size_t i)
{
    return node_files_table_at(&s->parts, i);
}

static int insert(struct dn_store *s, const struct dn_partition *meta, size_t disk)
{
    struct entry e = {meta->partition_id, disk, *meta};

    return node_files_table_insert(&s->parts, &e);
}

/* "datapartition_<id>_<size>", digits only, nothing after. */
static bool parse_dir_name(const char *name, uint64_t *id, uint64_t *size)
{
    const char *p = name + strlen(DN_STORE_DIR_PREFIX);
    char *end;

    if (*p < '0' || *p > '9') {
        return false;
    }
    errno = 0;
    *id = strtoull(p, &end, 10);
    if (errno != 0 || *end != '_' || end[1] < '0' || end[1] > '9') {
        return false;
    }
    *size = strtoull(end + 1, &end, 10);
    return errno == 0 && *end == '\0';
}

struct load_ctx {
    struct dn_store *s;
    size_t disk;
};

/* One directory found on a disk. Anything that is not a whole, consistent partition is skipped
 * with the reason logged: a node that refused to start over one bad directory would take every
 * good partition down with it. */
static int load_one(const char *name, void *arg, char *errmsg)
{
    struct load_ctx *ctx = arg;
    const char *disk = ctx->s->disks[ctx->disk].path;
    struct dn_partition meta = {0};
    char dir[PATH_MAX];
    char path[PATH_MAX];
    char why[ERRMSG_SIZE];
    uint64_t id;
    uint64_t size;
    const struct entry *dup;
    int rv;

    if (!parse_dir_name(name, &id, &size)) {
        log_warn("skipping %s/%s: not a datapartition_<id>_<size> name", disk, name);
        return 0;
    }
    if (node_files_join(dir, sizeof(dir), disk, name, why) != 0 ||
        node_files_join(path, sizeof(path), dir, DN_STORE_META_FILE, why) != 0 ||
        node_files_read_json(path, dn_partition_fields, &meta, why) != 0) {
        log_warn("skipping %s: %s", dir, why);
        return 0;
    }
    if (meta.partition_id != id || meta.size != size) {
        log_warn("skipping %s: its %s describes partition %" PRIu64 " of %" PRIu64 " bytes", dir,
                 DN_STORE_META_FILE, meta.partition_id, meta.size);
        return 0;
    }
    dup = find(ctx->s, id);
    if (dup != NULL) {
        log_warn("skipping %s: partition %" PRIu64 " is already loaded from %s", dir, id,
                 ctx->s->disks[dup->disk].path);
        return 0;
    }
    rv = insert(ctx->s, &meta, ctx->disk);
    if (rv != 0) {
        errors_set(errmsg, "load %s: out of memory", dir);
        return rv;
    }
    log_info("loaded data partition %" PRIu64 " (%s) from %s", id, meta.vol_name, dir);
    return 0;
}

int dn_store_open(const struct dn_disk_conf *disks, size_t ndisks, struct dn_store **out,
                  char *errmsg)
{
    struct dn_store *s;
    int rv = -EINVAL;

    if (ndisks == 0 || ndisks > DN_STORE_MAX_DISKS) {
        errors_set(errmsg, "need 1 to %d disks, got %zu", DN_STORE_MAX_DISKS, ndisks);
        return -EINVAL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        errors_set(errmsg, "out of memory");
        return -ENOMEM;
    }
    s->ndisks = ndisks;
    s->parts =
        (struct node_files_table){.item_size = sizeof(struct entry), .kind = &kind, .owner = s};
    for (size_t i = 0; i < ndisks; i++) {
        struct stat st;
        s->disks[i] = disks[i];
        for (size_t j = 0; j < i; j++) {
            if (strcmp(disks[j].path, disks[i].path) == 0) {
                errors_set(errmsg, "disk %s is listed twice", disks[i].path);
                rv = -EINVAL;
                goto fail;
            }
        }
        if (stat(disks[i].path, &st) != 0 || !S_ISDIR(st.st_mode)) {
            rv = -ENOTDIR;
            errors_set(errmsg, "disk %s: not a directory", disks[i].path);
            goto fail;
        }
    }
    for (size_t i = 0; i < ndisks; i++) {
        struct load_ctx ctx = {s, i};
        rv = node_files_scan(s->disks[i].path, DN_STORE_DIR_PREFIX, load_one, &ctx, errmsg);
        if (rv != 0) {
            goto fail;
        }
    }
    *out = s;
    return 0;
fail:
    dn_store_close(s);
    return rv;
}

void dn_store_close(struct dn_store *s)
{
    if (s == NULL) {
        return;
    }
    node_files_table_free(&s->parts);
    free(s);
}

size_t dn_store_count(const struct dn_store *s)
{
    return s->parts.n;
}

const struct dn_partition *dn_store_get(const struct dn_store *s, uint64_t id,
                                        const char **disk_path)
{
    const struct entry *e = find(s, id);

    if (e == NULL) {
        return NULL;
    }
    if (disk_path != NULL) {
        *disk_path = s->disks[e->disk].path;
    }
    return &e->meta;
}

static int meta_from_request(const struct dn_create_dp_req *req, int64_t now,
                             struct dn_partition *out, char *errmsg)
{
    struct dn_partition m = {0};

    if (strlen(req->volume_id) >= sizeof(m.vol_name)) {
        errors_set(errmsg, "volume name too long");
        return -ENAMETOOLONG;
    }
    strcpy(m.vol_name, req->volume_id);
    m.partition_id = req->partition_id;
    m.size = req->partition_size;
    m.partition_type = req->partition_type;
    m.replica_num = req->replica_num;
    m.npeers = req->nmembers;
    memcpy(m.peers, req->members, sizeof(m.peers));
    m.nhosts = req->nhosts;
    memcpy(m.hosts, req->hosts, sizeof(m.hosts));
    m.create_time = now;
    m.create_type = req->create_type;
    *out = m;
    return 0;
}

int dn_store_create(struct dn_store *s, const struct dn_create_dp_req *req, int64_t now,
                    const char **disk_path, char *errmsg)
{
    struct dn_disk_space space[DN_STORE_MAX_DISKS];
    struct dn_partition meta;
    const struct entry *existing = find(s, req->partition_id);
    struct entry e;
    int disk;
    int rv;

    if (existing != NULL) {
        *disk_path = s->disks[existing->disk].path;
        return 0;
    }
    rv = meta_from_request(req, now, &meta, errmsg);
    if (rv != 0) {
        return rv;
    }
    for (size_t i = 0; i < s->ndisks; i++) {
        dn_store_disk_space(&s->disks[i], &space[i]);
    }
    disk = dn_store_choose_disk(space, s->ndisks);
    if (disk < 0) {
        errors_set(errmsg, "no space left on any disk");
        return -ENOSPC;
    }
    e = (struct entry){meta.partition_id, (size_t)disk, meta};
    rv = node_files_part_create(&s->parts, &e, errmsg);
    if (rv == 0) {
        *disk_path = s->disks[disk].path;
    }
    return rv;
}

int dn_store_delete(struct dn_store *s, uint64_t id, char *errmsg)
{
    return node_files_part_delete(&s->parts, id, errmsg);
}

int dn_store_add_member(struct dn_store *s, uint64_t id, const struct task_peer *peer, char *errmsg)
{
    return node_files_part_change_member(&s->parts, id, peer, true, errmsg);
}

int dn_store_remove_member(struct dn_store *s, uint64_t id, const struct task_peer *peer,
                           char *errmsg)
{
    return node_files_part_change_member(&s->parts, id, peer, false, errmsg);
}

int dn_store_mark_leader(struct dn_store *s, uint64_t id, char *errmsg)
{
    return node_files_part_mark_leader(&s->parts, id, errmsg);
}

static bool is_data_file(const char *name)
{
    return strcmp(name, DN_STORE_META_FILE) != 0 &&
           strcmp(name, DN_STORE_META_FILE NODE_FILES_TMP_SUFFIX) != 0;
}

static int file_crc(int dirfd, const char *name, uint32_t *crc, char *errmsg)
{
    unsigned char buf[65536];
    uint32_t c = 0;
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    int rv = 0;

    if (fd < 0) {
        rv = -errno;
        errors_set(errmsg, "open %s: %s", name, strerror(errno));
        return rv;
    }
    for (;;) {
        ssize_t k = read(fd, buf, sizeof(buf));
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0) {
            rv = -errno;
            errors_set(errmsg, "read %s: %s", name, strerror(errno));
            break;
        }
        if (k == 0) {
            *crc = c;
            break;
        }
        c = crc32_ieee(c, buf, (size_t)k);
    }
    close(fd);
    return rv;
}

struct usage {
    uint64_t used;
    uint32_t count;
    struct dn_file_crc *files; /* malloc'd, count entries, or NULL */
};

/* The data files of a partition directory (regular files at its top level, META excepted):
 * their count and total size, and with with_files each one's name, size, CRC and mtime. */
static int scan_files(const char *dir, bool with_files, struct usage *out, char *errmsg)
{
    struct usage u = {0, 0, NULL};
    uint32_t cap = 0;
    DIR *d = opendir(dir);
    int rv = 0;

    if (d == NULL) {
        rv = -errno;
        errors_set(errmsg, "open directory %s: %s", dir, strerror(errno));
        return rv;
    }
    for (;;) {
        struct dirent *e;
        struct stat st;
        struct dn_file_crc *f;

        errno = 0;
        e = readdir(d);
        if (e == NULL) {
            if (errno != 0) {
                rv = -errno;
                errors_set(errmsg, "read directory %s: %s", dir, strerror(errno));
            }
            break;
        }
        if (!is_data_file(e->d_name) ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        u.used += (uint64_t)st.st_size;
        u.count++;
        if (!with_files) {
            continue;
        }
        if (u.count > cap) {
            cap = cap > 0 ? cap * 2 : 16;
            f = realloc(u.files, cap * sizeof(*f));
            if (f == NULL) {
                rv = -ENOMEM;
                errors_set(errmsg, "list %s: out of memory", dir);
                break;
            }
            u.files = f;
        }
        f = &u.files[u.count - 1];
        memset(f, 0, sizeof(*f));
        snprintf(f->name, sizeof(f->name), "%s", e->d_name);
        f->size = (uint64_t)st.st_size;
        f->modified = (int64_t)st.st_mtime;
        rv = file_crc(dirfd(d), e->d_name, &f->crc, errmsg);
        if (rv != 0) {
            errors_prefix(errmsg, "%s", dir);
            break;
        }
    }
    closedir(d);
    if (rv != 0) {
        free(u.files);
        return rv;
    }
    *out = u;
    return 0;
}

int dn_store_load(const struct dn_store *s, uint64_t id, struct dn_load_dp_resp *out, char *errmsg)
{
    const struct entry *e = find(s, id);
    struct dn_load_dp_resp r = {0};
    struct dn_disk_space space;
    struct usage u;
    char dir[PATH_MAX];
    int rv;

    if (e == NULL) {
        return node_files_not_exists(&s->parts, id, errmsg);
    }
    rv = partition_dir(s, e, dir, sizeof(dir), errmsg);
    if (rv == 0) {
        rv = scan_files(dir, true, &u, errmsg);
    }
    if (rv != 0) {
        return rv;
    }
    dn_store_disk_space(&s->disks[e->disk], &space);
    r.partition_id = id;
    r.used = u.used;
    r.files = u.files;
    r.nfiles = u.count;
    r.status = TASK_SUCCEEDS;
    r.partition_status = dn_store_partition_status(&space, true);
    strcpy(r.vol_name, e->meta.vol_name);
    *out = r;
    return 0;
}

/* Per disk: statvfs figures, then room still not promised to the partitions placed on it. */
static void fill_disks(const struct dn_store *s, const struct dn_disk_space *space,
                       const uint64_t *allocated, struct dn_heartbeat_resp *r)
{
    for (size_t i = 0; i < s->ndisks; i++) {
        uint64_t room = dn_store_disk_room(&space[i]);
        struct dn_disk_stat *st = &r->disk_stats[i];

        strcpy(r->all_disks[i], s->disks[i].path);
        strcpy(st->disk_path, s->disks[i].path);
        /* CubeFS reports a disk's status on the partition scale (2 RW, 1 RO, -1 bad). */
        st->status = dn_store_partition_status(&space[i], true);
        if (!space[i].ok) {
            strcpy(r->bad_disks[r->nbad_disks++], s->disks[i].path);
            continue;
        }
        st->total = space[i].total;
        st->used = space[i].used;
        st->available = room;
        r->total += space[i].total;
        r->used += space[i].used;
        r->available += room;
        if (room > r->max_capacity) {
            r->max_capacity = room;
        }
        r->remaining_capacity += room > allocated[i] ? room - allocated[i] : 0;
    }
}

int dn_store_heartbeat(const struct dn_store *s, const char *self_addr,
                       struct dn_heartbeat_resp *out, char *errmsg)
{
    struct dn_heartbeat_resp r = {0};
    struct dn_disk_space space[DN_STORE_MAX_DISKS];
    uint64_t allocated[DN_STORE_MAX_DISKS] = {0};
    int rv = -ENOMEM;

    r.all_disks = calloc(s->ndisks, sizeof(r.all_disks[0]));
    r.bad_disks = calloc(s->ndisks, sizeof(r.bad_disks[0]));
    r.disk_stats = calloc(s->ndisks, sizeof(r.disk_stats[0]));
    r.reports = calloc(s->parts.n > 0 ? s->parts.n : 1, sizeof(r.reports[0]));
    if (r.all_disks == NULL || r.bad_disks == NULL || r.disk_stats == NULL || r.reports == NULL) {
        errors_set(errmsg, "heartbeat: out of memory");
        goto out;
    }
    r.nall_disks = (uint32_t)s->ndisks;
    r.ndisk_stats = (uint32_t)s->ndisks;
    for (size_t i = 0; i < s->ndisks; i++) {
        dn_store_disk_space(&s->disks[i], &space[i]);
    }
    for (size_t i = 0; i < s->parts.n; i++) {
        const struct entry *e = at(s, i);
        struct dn_partition_report *rep = &r.reports[i];
        struct usage u = {0, 0, NULL};
        char dir[PATH_MAX];
        char why[ERRMSG_SIZE];
        bool dir_ok =
            partition_dir(s, e, dir, sizeof(dir), why) == 0 && scan_files(dir, false, &u, why) == 0;

        if (!dir_ok) {
            log_warn("data partition %" PRIu64 ": %s", e->meta.partition_id, why);
        }
        strcpy(rep->vol_name, e->meta.vol_name);
        rep->partition_id = e->meta.partition_id;
        rep->partition_status = dn_store_partition_status(&space[e->disk], dir_ok);
        rep->total = e->meta.size;
        rep->used = u.used;
        strcpy(rep->disk_path, s->disks[e->disk].path);
        rep->is_leader =
            node_files_is_leader(e->meta.peers, e->meta.npeers, self_addr, e->meta.leader_marked);
        rep->extent_count = u.count;
        /* CubeFS nodes always ask the master to compare replicas' files. */
        rep->need_compare = true;
        allocated[e->disk] += e->meta.size;
        r.total_partition_size += e->meta.size;
    }
    r.nreports = (uint32_t)s->parts.n;
    r.created_partition_cnt = (uint32_t)s->parts.n;
    fill_disks(s, space, allocated, &r);
    *out = r;
    rv = 0;
out:
    if (rv != 0) {
        jc_free(dn_heartbeat_resp_fields, &r);
    }
    return rv;
}

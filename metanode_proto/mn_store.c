#define LOG_TAG "mn_store"

#include "metanode_proto/mn_store.h"

#include "admin_task/node_files.h"
#include "common/errors.h"
#include "common/fsutil.h"
#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CubeFS's MetaPartitionConfig json tags, plus our leader mark. */
const struct jc_field mn_partition_fields[] = {
    JC_F(struct mn_partition, partition_id, "partition_id", JC_U64, JC_REQUIRED),
    JC_F(struct mn_partition, vol_name, "vol_name", JC_STR, 0),
    JC_F(struct mn_partition, start, "start", JC_U64, JC_REQUIRED),
    JC_F(struct mn_partition, end, "end", JC_U64, JC_REQUIRED),
    JC_ARR(struct mn_partition, peers, npeers, "peers", 0, task_peer_fields, 0),
    JC_F(struct mn_partition, create_time, "create_time", JC_I64, 0),
    JC_F(struct mn_partition, leader_marked, "leader_marked", JC_BOOL, 0),
    JC_END,
};

struct entry {
    uint64_t id; /* first, as node_files_table wants */
    struct mn_partition meta;
};

struct mn_store {
    char dir[PATH_MAX];
    struct node_files_table parts; /* of struct entry */
};

uint64_t mn_store_max_inode(const struct mn_partition *p)
{
    return p->start;
}

int32_t mn_store_partition_status(const struct mn_partition *p, uint64_t mem_used,
                                  uint64_t mem_total)
{
    if (mn_store_max_inode(p) >= p->end || mem_used >= mem_total) {
        return MP_STATUS_READ_ONLY;
    }
    return MP_STATUS_READ_WRITE;
}

static struct entry *find(const struct mn_store *s, uint64_t id)
{
    return node_files_table_find(&s->parts, id);
}

/* Where an entry's directory is: <metadataDir>/partition_<id>. */
static const char *locate(const void *owner, const void *item, char *name, size_t size)
{
    const struct mn_store *s = owner;
    const struct entry *e = item;

    snprintf(name, size, MN_STORE_DIR_PREFIX "%" PRIu64, e->id);
    return s->dir;
}

static void replicas(void *meta, struct node_files_replicas *out)
{
    struct mn_partition *p = meta;

    *out = (struct node_files_replicas){p->peers, &p->npeers, NULL, NULL, &p->leader_marked};
}

static const struct node_files_kind kind = {
    .name = "meta partition",
    .file_name = MN_STORE_META_FILE,
    .fields = mn_partition_fields,
    .meta_offset = offsetof(struct entry, meta),
    .meta_size = sizeof(struct mn_partition),
    .replicas = replicas,
    .locate = locate,
};

/* "partition_<id>", digits only. */
static bool parse_dir_name(const char *name, uint64_t *id)
{
    const char *p = name + strlen(MN_STORE_DIR_PREFIX);
    char *end;

    if (*p < '0' || *p > '9') {
        return false;
    }
    errno = 0;
    *id = strtoull(p, &end, 10);
    return errno == 0 && *end == '\0';
}

/* One directory found in metadataDir; anything but a whole, consistent partition is skipped
 * with the reason logged, so one bad directory never keeps the good ones from loading. */
static int load_one(const char *name, void *arg, char *errmsg)
{
    struct mn_store *s = arg;
    struct entry e = {0};
    char dir[PATH_MAX];
    char path[PATH_MAX];
    char why[ERRMSG_SIZE];
    int rv;

    if (!parse_dir_name(name, &e.id)) {
        log_warn("skipping %s/%s: not a partition_<id> name", s->dir, name);
        return 0;
    }
    if (node_files_join(dir, sizeof(dir), s->dir, name, why) != 0 ||
        node_files_join(path, sizeof(path), dir, MN_STORE_META_FILE, why) != 0 ||
        node_files_read_json(path, mn_partition_fields, &e.meta, why) != 0) {
        log_warn("skipping %s: %s", dir, why);
        return 0;
    }
    if (e.meta.partition_id != e.id) {
        log_warn("skipping %s: its %s describes partition %" PRIu64, dir, MN_STORE_META_FILE,
                 e.meta.partition_id);
        return 0;
    }
    rv = node_files_table_insert(&s->parts, &e);
    if (rv != 0) {
        errors_set(errmsg, "load %s: out of memory", dir);
        return rv;
    }
    log_info("loaded meta partition %" PRIu64 " (%s) from %s", e.id, e.meta.vol_name, dir);
    return 0;
}

int mn_store_open(const char *dir, struct mn_store **out, char *errmsg)
{
    struct mn_store *s;
    int rv;

    if (strlen(dir) >= sizeof(s->dir)) {
        errors_set(errmsg, "metadataDir too long: %s", dir);
        return -ENAMETOOLONG;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        errors_set(errmsg, "out of memory");
        return -ENOMEM;
    }
    strcpy(s->dir, dir);
    s->parts =
        (struct node_files_table){.item_size = sizeof(struct entry), .kind = &kind, .owner = s};
    rv = fsutil_mkdirs(dir, errmsg);
    if (rv == 0) {
        rv = node_files_scan(dir, MN_STORE_DIR_PREFIX, load_one, s, errmsg);
    }
    if (rv != 0) {
        mn_store_close(s);
        return rv;
    }
    *out = s;
    return 0;
}

void mn_store_close(struct mn_store *s)
{
    if (s == NULL) {
        return;
    }
    node_files_table_free(&s->parts);
    free(s);
}

size_t mn_store_count(const struct mn_store *s)
{
    return s->parts.n;
}

const struct mn_partition *mn_store_get(const struct mn_store *s, uint64_t id)
{
    const struct entry *e = find(s, id);

    return e != NULL ? &e->meta : NULL;
}

int mn_store_create(struct mn_store *s, const struct mn_create_mp_req *req, int64_t now,
                    char *errmsg)
{
    const struct entry *old = find(s, req->partition_id);
    struct entry e = {0};

    if (old != NULL) {
        if (strcmp(old->meta.vol_name, req->vol_name) == 0 && old->meta.start == req->start &&
            old->meta.end == req->end) {
            return 0;
        }
        errors_set(errmsg,
                   "meta partition %" PRIu64 " exists with volume %s, range [%" PRIu64 ", %" PRIu64
                   "]",
                   req->partition_id, old->meta.vol_name, old->meta.start, old->meta.end);
        return CFS_EEXIST;
    }
    if (req->start > req->end) {
        errors_set(errmsg, "meta partition %" PRIu64 ": start %" PRIu64 " after end %" PRIu64,
                   req->partition_id, req->start, req->end);
        return -EINVAL;
    }
    e.id = req->partition_id;
    e.meta.partition_id = req->partition_id;
    strcpy(e.meta.vol_name, req->vol_name);
    e.meta.start = req->start;
    e.meta.end = req->end;
    e.meta.npeers = req->nmembers;
    memcpy(e.meta.peers, req->members, sizeof(e.meta.peers));
    e.meta.create_time = now;
    return node_files_part_create(&s->parts, &e, errmsg);
}

int mn_store_delete(struct mn_store *s, uint64_t id, char *errmsg)
{
    return node_files_part_delete(&s->parts, id, errmsg);
}

int mn_store_update_end(struct mn_store *s, uint64_t id, uint64_t end, char *errmsg)
{
    struct entry *e = find(s, id);
    struct mn_partition next;

    if (e == NULL) {
        return node_files_not_exists(&s->parts, id, errmsg);
    }
    if (end < mn_store_max_inode(&e->meta)) {
        errors_set(errmsg,
                   "meta partition %" PRIu64 ": end %" PRIu64 " is below its max inode %" PRIu64,
                   id, end, mn_store_max_inode(&e->meta));
        return -EINVAL;
    }
    if (end == e->meta.end) {
        return 0;
    }
    next = e->meta;
    next.end = end;
    return node_files_part_commit(&s->parts, e, &next, errmsg);
}

int mn_store_add_member(struct mn_store *s, uint64_t id, const struct task_peer *peer, char *errmsg)
{
    return node_files_part_change_member(&s->parts, id, peer, true, errmsg);
}

int mn_store_remove_member(struct mn_store *s, uint64_t id, const struct task_peer *peer,
                           char *errmsg)
{
    return node_files_part_change_member(&s->parts, id, peer, false, errmsg);
}

int mn_store_mark_leader(struct mn_store *s, uint64_t id, char *errmsg)
{
    return node_files_part_mark_leader(&s->parts, id, errmsg);
}

int mn_store_load(const struct mn_store *s, uint64_t id, const char *self_addr,
                  struct mn_load_mp_resp *out, char *errmsg)
{
    const struct entry *e = find(s, id);
    struct mn_load_mp_resp r = {0};

    if (e == NULL) {
        return node_files_not_exists(&s->parts, id, errmsg);
    }
    if (strlen(self_addr) >= sizeof(r.addr)) {
        errors_set(errmsg, "address too long: %s", self_addr);
        return -ENAMETOOLONG;
    }
    r.partition_id = id;
    /* CubeFS always asks the master to compare the replicas' answers. */
    r.do_compare = true;
    r.max_inode = mn_store_max_inode(&e->meta);
    strcpy(r.addr, self_addr);
    *out = r;
    return 0;
}

int mn_store_heartbeat(const struct mn_store *s, const char *self_addr, uint64_t mem_used,
                       uint64_t mem_total, struct mn_heartbeat_resp *out, char *errmsg)
{
    struct mn_partition_report *reports = NULL;

    if (s->parts.n > 0) {
        reports = calloc(s->parts.n, sizeof(*reports));
        if (reports == NULL) {
            errors_set(errmsg, "heartbeat: out of memory");
            return -ENOMEM;
        }
    }
    for (size_t i = 0; i < s->parts.n; i++) {
        const struct entry *e = node_files_table_at(&s->parts, i);
        struct mn_partition_report *rep = &reports[i];

        rep->partition_id = e->id;
        rep->start = e->meta.start;
        rep->end = e->meta.end;
        rep->status = mn_store_partition_status(&e->meta, mem_used, mem_total);
        rep->max_inode_id = mn_store_max_inode(&e->meta);
        rep->is_leader =
            node_files_is_leader(e->meta.peers, e->meta.npeers, self_addr, e->meta.leader_marked);
        strcpy(rep->vol_name, e->meta.vol_name);
    }
    out->reports = reports;
    out->nreports = (uint32_t)s->parts.n;
    return 0;
}

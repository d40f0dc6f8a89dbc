#include "master/core/master_config.h"

#include "common/config.h"
#include "common/errors.h"
#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(m, key, type) CONFIG_F(struct master_config, m, key, type, 0)

const struct jc_field master_config_fields[] = {
    F(cluster_name, "clusterName", JC_STR),
    F(id, "id", JC_U64),
    F(ip, "ip", JC_STR),
    F(listen, "listen", JC_U32),
    F(raft_port, "raftPort", JC_U32),
    F(peers_text, "peers", JC_STR),
    F(data_dir, "dataDir", JC_STR),
    F(wal_dir, "walDir", JC_STR),
    F(store_dir, "storeDir", JC_STR),
    F(log_dir, "logDir", JC_STR),
    F(log_level, "logLevel", JC_STR),
    F(retain_logs, "retainLogs", JC_U32),
    F(snapshot_threshold, "snapshotThreshold", JC_U32),
    F(tick_interval, "tickInterval", JC_U32),
    F(election_tick, "electionTick", JC_U32),
    F(node_set_cap, "nodeSetCap", JC_U32),
    F(meta_node_reserved_mem, "metaNodeReservedMem", JC_U64),
    F(data_node_min_free, "dataNodeMinFreeBytes", JC_U64),
    F(heartbeat_interval_ms, "heartbeatIntervalMs", JC_U32),
    F(node_timeout_ms, "nodeTimeoutMs", JC_U32),
    F(dp_timeout_ms, "dataPartitionTimeOutMs", JC_U32),
    F(mp_timeout_ms, "metaPartitionTimeOutMs", JC_U32),
    F(partition_check_ms, "partitionCheckIntervalMs", JC_U32),
    F(task_tick_ms, "taskTickMs", JC_U32),
    F(task_resend_ms, "taskResendMs", JC_U32),
    F(task_timeout_ms, "taskTimeoutMs", JC_U32),
    F(sync_task_timeout_ms, "syncTaskTimeoutMs", JC_U32),
    F(dial_timeout_ms, "dialTimeoutMs", JC_U32),
    F(raft_commit_timeout_ms, "raftCommitTimeoutMs", JC_U32),
    F(worker_threads, "workerThreads", JC_U32),
    F(auto_create_delay_ms, "autoCreateDelayMs", JC_U32),
    F(follower_read, "followerRead", JC_BOOL),
    F(leader_forward, "leaderForward", JC_STR),
    F(single_node_mode, "singleNodeMode", JC_BOOL),
    F(join, "join", JC_BOOL),
    /* CubeFS keys we accept and ignore, so a CubeFS master.json loads without warnings. */
    JC_CONST("role", JC_EMIT_NULL),
    JC_CONST("prof", JC_EMIT_NULL),
    JC_CONST("consulAddr", JC_EMIT_NULL),
    JC_CONST("exporterPort", JC_EMIT_NULL),
    JC_CONST("warnLogDir", JC_EMIT_NULL),
    JC_CONST("enableFollowerCache", JC_EMIT_NULL),
    JC_CONST("defaultStorageClass", JC_EMIT_NULL),
    JC_END,
};

void master_config_default(struct master_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->cluster_name, sizeof(c->cluster_name), "cfs-local");
    c->id = 1;
    snprintf(c->ip, sizeof(c->ip), "127.0.0.1");
    c->listen = 17010;
    snprintf(c->log_level, sizeof(c->log_level), "info");
    c->retain_logs = 20000;
    /* Taking a snapshot stalls appends for a moment (libraft closes its open segments): every
     * 8192 entries that was the p99 of /vol/update under load (60 ms against 35 ms at 64
     * connections). The log behind costs disk and start-up reading, not correctness. */
    c->snapshot_threshold = 65536;
    /* Raft timing for a LAN: libraft's failover takes about two election timeouts (leader
     * stickiness plus randomised timeouts), so 50 ms heartbeats and a 500 ms election timeout
     * fail over in about 1 s; CubeFS's floor (500 ms x 5) would take 3-4 s here. */
    c->tick_interval = 50;
    c->election_tick = 10;
    c->node_set_cap = 18;
    c->meta_node_reserved_mem = 1ull << 30;
    c->data_node_min_free = 10ull << 30; /* CubeFS's writable data node: more than 10 GiB free */
    c->heartbeat_interval_ms = 6000;
    c->node_timeout_ms = 18000;
    c->dp_timeout_ms = 30000;
    c->mp_timeout_ms = 60000;
    c->partition_check_ms = 5000;
    c->task_tick_ms = 2000;
    c->task_resend_ms = 5000;
    c->task_timeout_ms = 100000;
    c->sync_task_timeout_ms = 20000;
    c->dial_timeout_ms = 10000;
    c->raft_commit_timeout_ms = 10000;
    /* A mutation holds its worker while it waits for its Raft commit, so the workers bound how
     * many commits are in flight; 4 capped /vol/update at about 900/s where 32 reach etcd's
     * throughput at 64 connections (BENCHMARKS.md). Idle workers cost only their stacks. */
    c->worker_threads = 32;
    c->auto_create_delay_ms = 120000;
    snprintf(c->leader_forward, sizeof(c->leader_forward), "redirect");
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    unsigned long v;

    if (*s < '0' || *s > '9') {
        return -EINVAL;
    }
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
        return -EINVAL;
    }
    *out = (uint32_t)v;
    return 0;
}

int master_config_parse_peers(const char *text, struct master_peer *out, uint32_t max, uint32_t *n,
                              char *errmsg)
{
    char buf[1024];
    char *save = NULL;
    uint32_t count = 0;

    if (snprintf(buf, sizeof(buf), "%s", text) >= (int)sizeof(buf)) {
        errors_set(errmsg, "peers: too long");
        return -EINVAL;
    }
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        struct master_peer p = {0};
        char *fields[4] = {NULL};
        char *fsave = NULL;
        int nf = 0;
        uint32_t id32;

        while (*tok == ' ') {
            tok++;
        }
        for (char *f = strtok_r(tok, ":", &fsave); f != NULL && nf < 4;
             f = strtok_r(NULL, ":", &fsave)) {
            fields[nf++] = f;
        }
        if (nf < 3 || strtok_r(NULL, ":", &fsave) != NULL) {
            errors_set(errmsg, "peers: \"%s\" is not id:ip:port[:raftPort]", tok);
            return -EINVAL;
        }
        if (parse_u32(fields[0], 1, UINT32_MAX, &id32) != 0 ||
            parse_u32(fields[2], 1, 65535, &p.http_port) != 0 ||
            (nf == 4 && parse_u32(fields[3], 1, 65535, &p.raft_port) != 0) ||
            strlen(fields[1]) == 0 || strlen(fields[1]) >= sizeof(p.ip)) {
            errors_set(errmsg, "peers: bad id, ip or port in entry %u", count + 1);
            return -EINVAL;
        }
        p.id = id32;
        snprintf(p.ip, sizeof(p.ip), "%s", fields[1]);
        if (nf < 4) {
            if (p.http_port + MASTER_RAFT_PORT_OFFSET > 65535) {
                errors_set(errmsg, "peers: http port %u leaves no room for the derived raft port",
                           p.http_port);
                return -EINVAL;
            }
            p.raft_port = p.http_port + MASTER_RAFT_PORT_OFFSET;
        }
        snprintf(p.http_addr, sizeof(p.http_addr), "%s:%u", p.ip, p.http_port);
        snprintf(p.raft_addr, sizeof(p.raft_addr), "%s:%u", p.ip, p.raft_port);
        for (uint32_t i = 0; i < count; i++) {
            if (out[i].id == p.id) {
                errors_set(errmsg, "peers: id %" PRIu64 " appears twice", p.id);
                return -EINVAL;
            }
        }
        if (count == max) {
            errors_set(errmsg, "peers: more than %u masters", max);
            return -EINVAL;
        }
        out[count++] = p;
    }
    if (count == 0) {
        errors_set(errmsg, "peers: empty");
        return -EINVAL;
    }
    *n = count;
    return 0;
}

const struct master_peer *master_config_peer(const struct master_config *c, uint64_t id)
{
    for (uint32_t i = 0; i < c->npeers; i++) {
        if (c->peers[i].id == id) {
            return &c->peers[i];
        }
    }
    return NULL;
}

static int derive_dir(char *dst, size_t size, const char *base, const char *leaf, const char *key,
                      char *errmsg)
{
    if (dst[0] != '\0') {
        return 0;
    }
    if ((size_t)snprintf(dst, size, "%s/%s", base, leaf) >= size) {
        errors_set(errmsg, "%s: derived path too long", key);
        return -ENAMETOOLONG;
    }
    return 0;
}

int master_config_finish(struct master_config *c, char *errmsg)
{
    enum log_level level;
    struct master_peer *self = NULL;
    char self_text[128];
    int rv;

    if (c->cluster_name[0] == '\0') {
        errors_set(errmsg, "clusterName: must not be empty");
        return -EINVAL;
    }
    if (c->id == 0 || c->id > UINT32_MAX) {
        errors_set(errmsg, "id: must be between 1 and %u", UINT32_MAX);
        return -EINVAL;
    }
    if (c->listen == 0 || c->listen > 65535) {
        errors_set(errmsg, "listen: %u is not a port", c->listen);
        return -EINVAL;
    }
    if (log_level_parse(c->log_level, &level) != 0) {
        errors_set(errmsg, "logLevel: \"%s\" is not debug, info, warn or error", c->log_level);
        return -EINVAL;
    }
    if (strcmp(c->leader_forward, "redirect") != 0 && strcmp(c->leader_forward, "proxy") != 0) {
        errors_set(errmsg, "leaderForward: \"%s\" is not redirect or proxy", c->leader_forward);
        return -EINVAL;
    }
    if (c->tick_interval == 0 || c->election_tick < 2) {
        errors_set(errmsg, "tickInterval and electionTick: need tickInterval > 0 and "
                           "electionTick >= 2");
        return -EINVAL;
    }
    /* With no raftPort, a peers entry naming this master's Raft port decides; otherwise the
     * port derives from listen like every peer's. */
    if (c->raft_port == 0 && c->peers_text[0] == '\0') {
        if (c->listen + MASTER_RAFT_PORT_OFFSET > 65535) {
            errors_set(errmsg, "raftPort: set it; listen + %d is not a port",
                       MASTER_RAFT_PORT_OFFSET);
            return -EINVAL;
        }
        c->raft_port = c->listen + MASTER_RAFT_PORT_OFFSET;
    }
    if (c->peers_text[0] == '\0') {
        snprintf(c->peers_text, sizeof(c->peers_text), "%" PRIu64 ":%s:%u:%u", c->id, c->ip,
                 c->listen, c->raft_port);
    }
    rv = master_config_parse_peers(c->peers_text, c->peers, MASTER_MAX_PEERS, &c->npeers, errmsg);
    if (rv != 0) {
        return rv;
    }
    for (uint32_t i = 0; i < c->npeers; i++) {
        if (c->peers[i].id == c->id) {
            self = &c->peers[i];
        }
    }
    snprintf(self_text, sizeof(self_text), "%s:%u", c->ip, c->listen);
    if (self == NULL || strcmp(self->http_addr, self_text) != 0) {
        errors_set(errmsg, "peers: must list this master as %" PRIu64 ":%s", c->id, self_text);
        return -EINVAL;
    }
    if (c->raft_port != 0) {
        /* raftPort is this master's own; peers only derive the others'. */
        self->raft_port = c->raft_port;
        snprintf(self->raft_addr, sizeof(self->raft_addr), "%s:%u", self->ip, self->raft_port);
    }
    c->raft_port = self->raft_port;
    if (c->data_dir[0] == '\0') {
        snprintf(c->data_dir, sizeof(c->data_dir), "./cfs-data/master%" PRIu64, c->id);
    }
    rv = derive_dir(c->wal_dir, sizeof(c->wal_dir), c->data_dir, "wal", "walDir", errmsg);
    if (rv == 0) {
        rv = derive_dir(c->store_dir, sizeof(c->store_dir), c->data_dir, "store", "storeDir",
                        errmsg);
    }
    return rv;
}

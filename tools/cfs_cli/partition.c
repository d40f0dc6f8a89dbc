#include "tools/cfs_cli/partition.h"

#include "tools/cfs_cli/client.h"
#include "tools/cfs_cli/output.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const struct output_column node_detail_cols[] = {
    {"ID", 6, "ID", OUTPUT_RAW},
    {"ZONE", 10, "Zone", OUTPUT_RAW},
    {"ADDRESS", 65, "Addr", OUTPUT_ADDR},
    {"USED", 10, "UsedWeight", OUTPUT_SIZE},
    {"TOTAL", 10, "TotalWeight", OUTPUT_SIZE},
    {"STATUS", 10, "IsActive", OUTPUT_ACTIVE},
    {"REPORT TIME", 10, "ReportTime", OUTPUT_GO_TIME},
};
static const struct output_table node_detail_table = OUTPUT_TABLE("    ", node_detail_cols);

static const struct output_column bad_cols[] = {
    {"PATH", 50, NULL, OUTPUT_RAW},
    {"PARTITION ID", 10, NULL, OUTPUT_RAW},
};
static const struct output_table bad_table = OUTPUT_TABLE("    ", bad_cols);

static const struct output_column peer_cols[] = {
    {"ID", 6, "id", OUTPUT_RAW},
    {"ADDR", 18, "addr", OUTPUT_RAW},
    {"HEARTBEATPORT", 12, "raftHeartbeat", OUTPUT_RAW},
    {"REPLICAPORT", 12, "raftReplica", OUTPUT_RAW},
};
static const struct output_table peer_table = OUTPUT_TABLE("    ", peer_cols);

int partition_op_args(struct cli_ctx *ctx, const char **addr, uint64_t *id)
{
    int rv = cli_arg_addr(ctx, 0, addr);

    return rv == 0 ? cli_arg_id(ctx, 1, id) : rv;
}

int partition_op_run(struct cli_ctx *ctx)
{
    const struct partition_op *op = args_command(&ctx->args)->data;
    struct client_query q;
    const char *addr;
    uint64_t id;
    int rv = partition_op_args(ctx, &addr, &id);

    if (rv != 0) {
        return rv;
    }
    client_query_init(&q, op->path);
    client_query_addf(&q, "id", "%" PRIu64, id);
    client_query_add(&q, "addr", addr);
    client_query_add(&q, "clientIDKey", cli_client_id_key(ctx));
    if (op->raft_force) {
        client_query_add(&q, "raftForceDel",
                         args_bool(&ctx->args, "raftForceDel") ? "true" : "false");
    }
    return client_action(ctx, &q, op->done);
}

/* GET path?key=value and print the answer as one row of t. */
static int print_item(struct cli_ctx *ctx, const char *path, const char *key, const json_t *value,
                      const struct output_table *t)
{
    char text[OUTPUT_CELL_SIZE];
    struct client_query q;
    json_t *item = NULL;
    int rv;

    client_query_init(&q, path);
    client_query_add(&q, key, output_value(value, text, sizeof(text)));
    rv = client_get(ctx, &q, &item);
    if (rv != 0) {
        errors_prefix(ctx->errmsg, "%s %s", key, text);
        return rv;
    }
    output_object_row(ctx->out, "", t, item);
    json_decref(item);
    return 0;
}

static int print_bad(struct cli_ctx *ctx, const json_t *list)
{
    char path[OUTPUT_CELL_SIZE], id[32];
    const char *cells[2];
    size_t i, j;
    json_t *e, *p;

    output_header(ctx->out, "", &bad_table);
    json_array_foreach(list, i, e)
    {
        const json_t *ids = json_object_get(e, "PartitionIDs");
        const json_t *infos = json_object_get(e, "PartitionInfos");
        output_value(json_object_get(e, "Path"), path, sizeof(path));
        cells[0] = path;
        cells[1] = id;
        json_array_foreach(ids != NULL ? ids : infos, j, p)
        {
            output_value(ids != NULL ? p : json_object_get(p, "PartitionID"), id, sizeof(id));
            output_row(ctx->out, "", &bad_table, cells);
        }
    }
    return 0;
}

static size_t bad_count(const json_t *list)
{
    size_t i, n = 0;
    json_t *e;

    json_array_foreach(list, i, e)
    {
        const json_t *ids = json_object_get(e, "PartitionIDs");
        n += json_array_size(ids != NULL ? ids : json_object_get(e, "PartitionInfos"));
    }
    return n;
}

static int print_section(struct cli_ctx *ctx, const struct partition_check *c,
                         const struct partition_check_section *s, json_t *list)
{
    size_t i;
    json_t *v;
    int rv = 0;

    fprintf(ctx->out, "[%s]:\n", s->title);
    switch (s->kind) {
    case PARTITION_CHECK_NODES:
        output_header(ctx->out, "", &node_detail_table);
        json_array_foreach(list, i, v)
        {
            if ((rv = print_item(ctx, c->node_path, "addr", v, &node_detail_table)) != 0) {
                return rv;
            }
        }
        break;
    case PARTITION_CHECK_PARTITIONS:
        output_header(ctx->out, "", &output_partition_table);
        json_array_foreach(list, i, v)
        {
            if ((rv = print_item(ctx, c->partition_path, "id", v, &output_partition_table)) != 0) {
                return rv;
            }
        }
        break;
    case PARTITION_CHECK_BAD:
        rv = print_bad(ctx, list);
        break;
    }
    return rv;
}

static int id_cmp(const void *a, const void *b)
{
    json_int_t x = json_integer_value(*(json_t *const *)a);
    json_int_t y = json_integer_value(*(json_t *const *)b);

    return x < y ? -1 : x > y;
}

/* A copy of the ID list sorted ascending, as CubeFS prints them; NULL keeps the master's order. */
static json_t *sorted_ids(const json_t *list)
{
    size_t n = json_array_size(list);
    json_t **v = n > 1 ? calloc(n, sizeof(*v)) : NULL;
    json_t *out = NULL;

    if (v == NULL || (out = json_array()) == NULL) {
        free(v);
        return json_incref((json_t *)list);
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = json_array_get(list, i);
    }
    qsort(v, n, sizeof(*v), id_cmp);
    for (size_t i = 0; i < n; i++) {
        json_array_append(out, v[i]);
    }
    free(v);
    return out;
}

int partition_check_run(struct cli_ctx *ctx)
{
    const struct partition_check *c = args_command(&ctx->args)->data;
    bool simplified = args_bool(&ctx->args, "showSimplified");
    bool any = false;
    struct client_query q;
    json_t *diag = NULL;
    int rv;

    client_query_init(&q, c->diagnose_path);
    rv = client_get(ctx, &q, &diag);
    if (rv != 0 || cli_json(ctx)) {
        rv = rv != 0 ? rv : cli_print_json(ctx, diag);
        json_decref(diag);
        return rv;
    }
    for (size_t i = 0; i < c->nsections; i++) {
        any = any || (c->sections[i].flag != NULL && args_bool(&ctx->args, c->sections[i].flag));
    }
    for (size_t i = 0; rv == 0 && i < c->nsections; i++) {
        const struct partition_check_section *s = &c->sections[i];
        json_t *list = json_object_get(diag, s->key);
        bool full = !simplified &&
                    (s->flag == NULL || args_bool(&ctx->args, s->flag) || (!any && s->in_default));

        if (i > 0) {
            fputc('\n', ctx->out);
        }
        if (!full) {
            fprintf(ctx->out, "[%s count]: %zu\n", s->title,
                    s->kind == PARTITION_CHECK_BAD ? bad_count(list) : json_array_size(list));
            continue;
        }
        list = s->kind == PARTITION_CHECK_PARTITIONS ? sorted_ids(list) : json_incref(list);
        rv = print_section(ctx, c, s, list);
        json_decref(list);
    }
    json_decref(diag);
    return rv;
}

static void print_list(FILE *out, const char *title, const json_t *list)
{
    char text[OUTPUT_CELL_SIZE];
    size_t i;
    json_t *v;

    fprintf(out, "%s :\n", title);
    json_array_foreach(list, i, v)
    {
        fprintf(out, "  [%s]", output_value(v, text, sizeof(text)));
    }
    fputc('\n', out);
}

void partition_print_members(FILE *out, const json_t *p, const char *missing_key)
{
    char text[OUTPUT_CELL_SIZE];
    const char *key;
    json_t *v;

    fprintf(out, "\nPeers :\n");
    output_table(out, "", &peer_table, json_object_get(p, "Peers"));
    fputc('\n', out);
    print_list(out, "Hosts", json_object_get(p, "Hosts"));
    print_list(out, "Zones", json_object_get(p, "Zones"));
    print_list(out, "NodeSets", json_object_get(p, "NodeSets"));
    fprintf(out, "\nMissingNodes :\n");
    json_object_foreach(json_object_get(p, missing_key), key, v)
    {
        fprintf(out, "  [%s, %s]\n", key, output_value(v, text, sizeof(text)));
    }
}

#include "tools/cfs_cli/zone.h"

#include "tools/cfs_cli/cli.h"
#include "tools/cfs_cli/client.h"
#include "tools/cfs_cli/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct output_column zone_cols[] = {
    {"ZONE", 8, "Name", OUTPUT_RAW},
    {"STATUS", 10, "Status", OUTPUT_RAW},
};
static const struct output_table zone_table = OUTPUT_TABLE("    ", zone_cols);

static const struct output_field zone_fields[] = {
    {"Zone Name", "Name", OUTPUT_RAW},
    {"Status", "Status", OUTPUT_RAW},
    {"DataMediaType", "DataMediaType", OUTPUT_RAW},
    {"Data nodeset selector", "DataNodesetSelector", OUTPUT_RAW},
    {"Meta nodeset selector", "MetaNodesetSelector", OUTPUT_RAW},
};
static const struct output_view zone_view = OUTPUT_VIEW("", 22, zone_fields);

static int list_run(struct cli_ctx *ctx)
{
    struct client_query q;
    json_t *zones = NULL;
    int rv;

    client_query_init(&q, "/zone/list");
    rv = client_get(ctx, &q, &zones);
    if (rv == 0) {
        if (cli_json(ctx)) {
            rv = cli_print_json(ctx, zones);
        } else {
            output_table(ctx->out, "", &zone_table, zones);
        }
    }
    json_decref(zones);
    return rv;
}

static int key_cmp(const void *a, const void *b)
{
    unsigned long long x = strtoull(*(const char *const *)a, NULL, 10);
    unsigned long long y = strtoull(*(const char *const *)b, NULL, 10);

    return x < y ? -1 : x > y;
}

static void print_nodes(FILE *out, const char *title, const json_t *set, const char *len_key,
                        const char *nodes_key)
{
    char len[32];

    fprintf(out, "  %s[%s]:\n", title, output_cell(set, len_key, OUTPUT_RAW, len, sizeof(len)));
    output_table(out, "    ", &output_node_table, json_object_get(set, nodes_key));
}

/* The zone's node sets, by ascending ID. */
static int print_sets(struct cli_ctx *ctx, json_t *sets)
{
    size_t n = json_object_size(sets), i = 0;
    const char **keys = n > 0 ? calloc(n, sizeof(*keys)) : NULL;
    const char *key;
    json_t *set;

    if (n > 0 && keys == NULL) {
        return cli_fail(ctx, -ENOMEM, "out of memory");
    }
    json_object_foreach(sets, key, set)
    {
        keys[i++] = key;
    }
    qsort(keys, n, sizeof(*keys), key_cmp);
    for (i = 0; i < n; i++) {
        set = json_object_get(sets, keys[i]);
        fprintf(ctx->out, "\nNodeSet-%s:\n", keys[i]);
        print_nodes(ctx->out, "DataNodes", set, "DataNodeLen", "DataNodes");
        fputc('\n', ctx->out);
        print_nodes(ctx->out, "MetaNodes", set, "MetaNodeLen", "MetaNodes");
    }
    free(keys);
    return 0;
}

static int info_run(struct cli_ctx *ctx)
{
    const char *name = args_pos(&ctx->args, 0);
    struct client_query q;
    json_t *topo = NULL, *zone, *found = NULL;
    size_t i;
    int rv;

    client_query_init(&q, "/topo/get");
    rv = client_get(ctx, &q, &topo);
    if (rv != 0) {
        return rv;
    }
    json_array_foreach(json_object_get(topo, "Zones"), i, zone)
    {
        const char *zn = json_string_value(json_object_get(zone, "Name"));
        if (zn != NULL && strcmp(zn, name) == 0) {
            found = zone;
        }
    }
    if (found == NULL) {
        rv = cli_fail(ctx, -ENOENT, "Zone[%s] not exists in cluster", name);
    } else if (cli_json(ctx)) {
        rv = cli_print_json(ctx, found);
    } else {
        output_view(ctx->out, &zone_view, found);
        rv = print_sets(ctx, json_object_get(found, "NodeSet"));
    }
    json_decref(topo);
    return rv;
}

static const struct args_flag json_flags[] = {CLI_FLAG_JSON, ARGS_FLAG_END};

static const struct args_cmd list_cmd = {
    .name = "list",
    .summary = "List cluster zones",
    .max_args = 0,
    .flags = json_flags,
    .run = list_run,
};

static const struct args_cmd info_cmd = {
    .name = "info",
    .usage = "[NAME]",
    .summary = "Show zone information",
    .min_args = 1,
    .max_args = 1,
    .flags = json_flags,
    .run = info_run,
};

static const struct args_cmd *const subs[] = {&list_cmd, &info_cmd, NULL};

const struct args_cmd zone_cmd = {
    .name = "zone",
    .summary = "Manage zone",
    .subs = subs,
};

#include "tools/cfs_cli/nodeset.h"

#include "tools/cfs_cli/cli.h"
#include "tools/cfs_cli/client.h"
#include "tools/cfs_cli/output.h"

#include <inttypes.h>
#include <string.h>

static const struct output_column set_cols[] = {
    {"ID", 6, "ID", OUTPUT_RAW},
    {"Cap", 6, "Capacity", OUTPUT_RAW},
    {"Zone", 12, "Zone", OUTPUT_RAW},
    {"MetaNum", 10, "MetaNodeNum", OUTPUT_RAW},
    {"CanAllocMeta", 12, "CanAllocMetaNodeCnt", OUTPUT_RAW},
    {"DataNum", 10, "DataNodeNum", OUTPUT_RAW},
    {"CanAllocData", 12, "CanAllocDataNodeCnt", OUTPUT_RAW},
};
static const struct output_table set_table = OUTPUT_TABLE(" ", set_cols);

static const struct output_field set_fields[] = {
    {"NodeSet ID", "ID", OUTPUT_RAW},
    {"Capacity", "Capacity", OUTPUT_RAW},
    {"Zone", "Zone", OUTPUT_RAW},
    {"CanAllocDataNode", "CanAllocDataNodeCnt", OUTPUT_RAW},
    {"CanAllocMetaNode", "CanAllocMetaNodeCnt", OUTPUT_RAW},
    {"DataNodeSelector", "DataNodeSelector", OUTPUT_RAW},
    {"MetaNodeSelector", "MetaNodeSelector", OUTPUT_RAW},
};
static const struct output_view set_view = OUTPUT_VIEW("", 17, set_fields);

static const struct output_column stat_cols[] = {
    {"ID", 6, "ID", OUTPUT_RAW},
    {"ADDRESS", 65, "Addr", OUTPUT_ADDR},
    {"WRITABLE", 8, "IsWritable", OUTPUT_YES_NO},
    {"STATUS", 8, "Status", OUTPUT_ACTIVE},
    {"TOTAL", 10, "Total", OUTPUT_SIZE},
    {"USED", 10, "Used", OUTPUT_SIZE},
    {"AVAIL", 10, "Avail", OUTPUT_SIZE},
};
static const struct output_table stat_table = OUTPUT_TABLE("    ", stat_cols);

static int list_run(struct cli_ctx *ctx)
{
    const char *zone = args_str(&ctx->args, "zone-name");
    struct client_query q;
    json_t *sets = NULL;
    int rv;

    client_query_init(&q, "/nodeSet/list");
    if (zone[0] != '\0') {
        client_query_add(&q, "zoneName", zone);
    }
    rv = client_get(ctx, &q, &sets);
    if (rv == 0) {
        if (cli_json(ctx)) {
            rv = cli_print_json(ctx, sets);
        } else {
            output_table(ctx->out, "", &set_table, sets);
        }
    }
    json_decref(sets);
    return rv;
}

/* Total, used and available bytes of a list of NodeStatViews. */
static void print_sums(FILE *out, const char *prefix, const json_t *nodes)
{
    static const char *const keys[] = {"Total", "Used", "Avail"};
    static const char *const labels[] = {"Total", "Used", "Avail"};
    char text[64];
    size_t i;
    json_t *n;

    for (size_t k = 0; k < 3; k++) {
        uint64_t sum = 0;
        json_array_foreach(nodes, i, n)
        {
            sum += (uint64_t)json_integer_value(json_object_get(n, keys[k]));
        }
        fprintf(out, "%s%-*s: %s\n", prefix, (int)(17 - strlen(prefix)), labels[k],
                output_size(sum, text, sizeof(text)));
    }
}

static int info_run(struct cli_ctx *ctx)
{
    struct client_query q;
    json_t *set = NULL;
    uint64_t id;
    int rv = cli_arg_id(ctx, 0, &id);

    if (rv == 0) {
        client_query_init(&q, "/nodeSet/get");
        client_query_addf(&q, "nodesetId", "%" PRIu64, id);
        rv = client_get(ctx, &q, &set);
    }
    if (rv != 0 || cli_json(ctx)) {
        rv = rv != 0 ? rv : cli_print_json(ctx, set);
        json_decref(set);
        return rv;
    }
    output_view(ctx->out, &set_view, set);
    print_sums(ctx->out, "Data", json_object_get(set, "DataNodes"));
    print_sums(ctx->out, "Meta", json_object_get(set, "MetaNodes"));
    fprintf(ctx->out, "\nDataNodes[%zu]:\n", json_array_size(json_object_get(set, "DataNodes")));
    output_table(ctx->out, "  ", &stat_table, json_object_get(set, "DataNodes"));
    fprintf(ctx->out, "\nMetaNodes[%zu]:\n", json_array_size(json_object_get(set, "MetaNodes")));
    output_table(ctx->out, "  ", &stat_table, json_object_get(set, "MetaNodes"));
    json_decref(set);
    return 0;
}

static const struct args_flag list_flags[] = {
    {"zone-name", 0, ARGS_STRING, NULL, "List nodeSets in the specified zone"},
    CLI_FLAG_JSON,
    ARGS_FLAG_END,
};

static const struct args_flag json_flags[] = {CLI_FLAG_JSON, ARGS_FLAG_END};

static const struct args_cmd list_cmd = {
    .name = "list",
    .summary = "List cluster nodeSets",
    .max_args = 0,
    .flags = list_flags,
    .run = list_run,
};

static const struct args_cmd info_cmd = {
    .name = "info",
    .usage = "[NODESET ID]",
    .summary = "Show nodeSet information",
    .min_args = 1,
    .max_args = 1,
    .flags = json_flags,
    .run = info_run,
};

static const struct args_cmd *const subs[] = {&list_cmd, &info_cmd, NULL};

const struct args_cmd nodeset_cmd = {
    .name = "nodeset",
    .summary = "Manage nodeset",
    .subs = subs,
};

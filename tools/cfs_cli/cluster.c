#include "tools/cfs_cli/cluster.h"

#include "tools/cfs_cli/cli.h"
#include "tools/cfs_cli/client.h"
#include "tools/cfs_cli/output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S INT64_C(1000000000)

/* --- info -------------------------------------------------------------------------------- */

static const struct output_field head_fields[] = {
    {"Cluster name", "Name", OUTPUT_RAW},
    {"Master leader", "LeaderAddr", OUTPUT_RAW},
};
static const struct output_view head_view = OUTPUT_VIEW("  ", 19, head_fields);

static const struct output_field body_fields[] = {
    {"MetaNode used", "MetaNodeStatInfo.UsedGB", OUTPUT_GB},
    {"MetaNode available", "MetaNodeStatInfo.AvailGB", OUTPUT_GB},
    {"MetaNode total", "MetaNodeStatInfo.TotalGB", OUTPUT_GB},
};
static const struct output_view meta_view = OUTPUT_VIEW("  ", 41, body_fields);

static const struct output_field data_fields[] = {
    {"DataNode used", "DataNodeStatInfo.UsedGB", OUTPUT_GB},
    {"DataNode available", "DataNodeStatInfo.AvailGB", OUTPUT_GB},
    {"DataNode total", "DataNodeStatInfo.TotalGB", OUTPUT_GB},
};
static const struct output_view data_view = OUTPUT_VIEW("  ", 41, data_fields);

static const struct output_field tail_fields[] = {
    {"Allow Mp Decomm", "ForbidMpDecommission", OUTPUT_NOT_ENABLED},
    {"DpRepairTimeout", "DpRepairTimeout", OUTPUT_RAW},
    {"DataPartitionTimeout", "DpTimeout", OUTPUT_RAW},
    {"MetaPartitionTimeout", "MpTimeout", OUTPUT_RAW},
    {"volDeletionDelayTime", "VolDeletionDelayTimeHour", OUTPUT_RAW},
    {"MetaNodeGOGC", "MetaNodeGOGC", OUTPUT_RAW},
    {"DataNodeGOGC", "DataNodeGOGC", OUTPUT_RAW},
    {"EnableAutoDecommission", "EnableAutoDecommission", OUTPUT_RAW},
    {"AutoDecommissionDiskInterval", "AutoDecommissionDiskInterval", OUTPUT_RAW},
    {"EnableAutoDpMetaRepair", "EnableAutoDpMetaRepair", OUTPUT_RAW},
    {"AutoDpMetaRepairParallelCnt", "AutoDpMetaRepairParallelCnt", OUTPUT_RAW},
    {"MarkDiskBrokenThreshold", "MarkDiskBrokenThreshold", OUTPUT_RAW},
    {"DecommissionDpLimit", "DecommissionLimit", OUTPUT_RAW},
    {"DecommissionDiskLimit", "DecommissionDiskLimit", OUTPUT_RAW},
    {"DpBackupTimeout", "DpBackupTimeout", OUTPUT_RAW},
    {"ForbidWriteOpOfProtoVersion0", "ForbidWriteOpOfProtoVer0", OUTPUT_RAW},
    {"LegacyDataMediaType", "LegacyDataMediaType", OUTPUT_RAW},
    {"MetaNodeThreshold", "MetaNodeThreshold", OUTPUT_RAW},
};
static const struct output_view tail_view = OUTPUT_VIEW("  ", 41, tail_fields);

/* /admin/getNodeInfo, as CubeFS prints it after the view. */
static const struct output_field paras_fields[] = {
    {"LoadFactor", "loadFactor", OUTPUT_RAW},
    {"BatchCount", "batchCount", OUTPUT_RAW},
    {"MarkDeleteRate", "markDeleteRate", OUTPUT_RAW},
    {"DeleteWorkerSleepMs", "deleteWorkerSleepMs", OUTPUT_RAW},
    {"AutoRepairRate", "autoRepairRate", OUTPUT_RAW},
    {"MaxDpCntLimit", "maxDpCntLimit", OUTPUT_RAW},
    {"MaxMpCntLimit", "maxMpCntLimit", OUTPUT_RAW},
};
static const struct output_view paras_view = OUTPUT_VIEW("  ", 19, paras_fields);

static void print_count(FILE *out, const char *what, const json_t *nodes)
{
    size_t i, active = 0;
    json_t *n;

    json_array_foreach(nodes, i, n)
    {
        active += json_is_true(json_object_get(n, "Status"));
    }
    fprintf(out, "  %-41s: %zu/%zu\n", what, active, json_array_size(nodes));
}

static void print_view(FILE *out, const json_t *cv)
{
    char text[OUTPUT_CELL_SIZE];
    size_t i;
    json_t *m;

    fprintf(out, "[Cluster]\n");
    output_view(out, &head_view, cv);
    json_array_foreach(json_object_get(cv, "MasterNodes"), i, m)
    {
        char label[32];
        snprintf(label, sizeof(label), "Master-%s",
                 output_cell(m, "ID", OUTPUT_RAW, text, sizeof(text)));
        fprintf(out, "  %-19s: %s\n", label,
                output_cell(m, "Addr", OUTPUT_RAW, text, sizeof(text)));
    }
    fprintf(out, "  %-19s: %s\n", "Auto allocate",
            output_cell(cv, "DisableAutoAlloc", OUTPUT_NOT_ENABLED, text, sizeof(text)));
    print_count(out, "MetaNode count (active/total)", json_object_get(cv, "MetaNodes"));
    output_view(out, &meta_view, cv);
    print_count(out, "DataNode count (active/total)", json_object_get(cv, "DataNodes"));
    output_view(out, &data_view, cv);
    fprintf(out, "  %-41s: %zu\n", "Volume count",
            json_array_size(json_object_get(cv, "VolStatInfo")));
    output_view(out, &tail_view, cv);
}

static int info_run(struct cli_ctx *ctx)
{
    struct client_query q;
    json_t *cv = NULL, *paras = NULL;
    int rv;

    client_query_init(&q, "/admin/getCluster");
    client_query_add(&q, "volStorageClass",
                     args_bool(&ctx->args, "storage-class") ? "true" : "false");
    rv = client_get(ctx, &q, &cv);
    if (rv != 0 || cli_json(ctx)) {
        rv = rv != 0 ? rv : cli_print_json(ctx, cv);
        json_decref(cv);
        return rv;
    }
    /* The view first: scripts wait for its "Master leader" line even if what follows fails. */
    print_view(ctx->out, cv);
    fflush(ctx->out);
    client_query_init(&q, "/admin/getNodeInfo");
    rv = client_get(ctx, &q, &paras);
    if (rv == 0) {
        output_view(ctx->out, &paras_view, paras);
        fputc('\n', ctx->out);
    }
    if (rv == 0 && args_bool(&ctx->args, "storage-class")) {
        fprintf(ctx->out, "Usage by storage class:\n");
        output_table(ctx->out, "", &output_storage_class_table,
                     json_object_get(cv, "StatOfStorageClass"));
        fprintf(ctx->out, "\nMigration Usage by storage class:\n");
        output_table(ctx->out, "", &output_storage_class_table,
                     json_object_get(cv, "StatMigrateStorageClass"));
    }
    json_decref(paras);
    json_decref(cv);
    return rv;
}

/* --- stat -------------------------------------------------------------------------------- */

static const struct output_column total_cols[] = {
    {"TOTAL/GB", 15, "TotalGB", OUTPUT_RAW},
    {"USED/GB", 15, "UsedGB", OUTPUT_RAW},
    {"INCREASED/GB", 15, "IncreasedGB", OUTPUT_RAW},
    {"USED RATIO", 15, "UsedRatio", OUTPUT_RAW},
};
static const struct output_table total_table = OUTPUT_TABLE("    ", total_cols);

static const struct output_column zone_cols[] = {
    {"ZONE NAME", 10, NULL, OUTPUT_RAW},
    {"ROLE", 10, NULL, OUTPUT_RAW},
    {"TOTAL/GB", 15, "TotalGB", OUTPUT_RAW},
    {"USED/GB", 15, "UsedGB", OUTPUT_RAW},
    {"AVAILABLE/GB", 15, "AvailGB", OUTPUT_RAW},
    {"USED RATIO", 15, "UsedRatio", OUTPUT_RAW},
    {"TOTAL NODES", 10, "TotalNodes", OUTPUT_RAW},
    {"WRITEBLE NODES", 10, "WritableNodes", OUTPUT_RAW},
};
static const struct output_table zone_table = OUTPUT_TABLE("    ", zone_cols);

static void print_zone_row(FILE *out, const char *zone, const char *role, const json_t *stat)
{
    char text[8][OUTPUT_CELL_SIZE];
    const char *cells[8] = {zone, role};

    for (size_t c = 2; c < zone_table.ncols; c++) {
        cells[c] = output_cell(stat, zone_cols[c].key, OUTPUT_RAW, text[c], sizeof(text[c]));
    }
    output_row(out, "    ", &zone_table, cells);
}

static int stat_run(struct cli_ctx *ctx)
{
    struct client_query q;
    json_t *cs = NULL, *zone;
    const char *name;
    int rv;

    client_query_init(&q, "/cluster/stat");
    rv = client_get(ctx, &q, &cs);
    if (rv != 0 || cli_json(ctx)) {
        rv = rv != 0 ? rv : cli_print_json(ctx, cs);
        json_decref(cs);
        return rv;
    }
    fprintf(ctx->out, "[Cluster Status]\n\nDataNode Status:\n");
    output_header(ctx->out, "    ", &total_table);
    output_object_row(ctx->out, "    ", &total_table, json_object_get(cs, "DataNodeStatInfo"));
    fprintf(ctx->out, "\nMetaNode Status:\n");
    output_header(ctx->out, "    ", &total_table);
    output_object_row(ctx->out, "    ", &total_table, json_object_get(cs, "MetaNodeStatInfo"));
    fprintf(ctx->out, "\nZone List:\n");
    output_header(ctx->out, "    ", &zone_table);
    json_object_foreach(json_object_get(cs, "ZoneStatInfo"), name, zone)
    {
        print_zone_row(ctx->out, name, "DATANODE", json_object_get(zone, "DataNodeStat"));
        print_zone_row(ctx->out, "", "METANODE", json_object_get(zone, "MetaNodeStat"));
    }
    fputc('\n', ctx->out);
    json_decref(cs);
    return 0;
}

/* --- freeze, threshold ------------------------------------------------------------------- */

static int freeze_run(struct cli_ctx *ctx)
{
    const char *text = args_pos(&ctx->args, 0);
    struct client_query q;
    bool enable;

    if (args_parse_bool(text, &enable) != 0) {
        return cli_usage(ctx, "Parse bool fail: \"%s\" is not true or false", text);
    }
    client_query_init(&q, "/cluster/freeze");
    client_query_add(&q, "enable", enable ? "true" : "false");
    client_query_add(&q, "clientIDKey", cli_client_id_key(ctx));
    return client_action(ctx, &q,
                         enable ? "Freeze cluster successful!" : "Unfreeze cluster successful!");
}

static int threshold_run(struct cli_ctx *ctx)
{
    const char *text = args_pos(&ctx->args, 0);
    char why[ERRMSG_SIZE], done[128];
    struct client_query q;
    double threshold;

    if (args_check_value(ARGS_FLOAT, text, why) != 0) {
        return cli_usage(ctx, "Parse Float fail: \"%s\": %s", text, why);
    }
    threshold = strtod(text, NULL);
    if (threshold > 1.0) {
        return cli_usage(ctx, "Threshold too big");
    }
    client_query_init(&q, "/threshold/set");
    client_query_addf(&q, "threshold", "%.6f", threshold);
    client_query_add(&q, "clientIDKey", cli_client_id_key(ctx));
    snprintf(done, sizeof(done), "MetaNode threshold is set to %s!", text);
    return client_action(ctx, &q, done);
}

/* --- set ---------------------------------------------------------------------------------- */

/* Go's time.ParseDuration for what cluster settings use: "1h30m", "10s", "500ms". */
static int parse_duration(const char *text, int64_t *ns)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    const char *p = text;
    double total = 0;

    if (*p == '\0') {
        return -EINVAL;
    }
    while (*p != '\0') {
        char *end;
        double v = strtod(p, &end);
        size_t best = 0, best_len = 0;
        if (end == p || *p == '-' || *p == '+') {
            return -EINVAL;
        }
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t len = strlen(units[i].unit);
            if (strncmp(end, units[i].unit, len) == 0 && len > best_len) {
                best = i;
                best_len = len;
            }
        }
        if (best_len == 0) {
            return -EINVAL;
        }
        total += v * units[best].ns;
        p = end + best_len;
    }
    *ns = (int64_t)total;
    return 0;
}

enum set_conv {
    SET_RAW,    /* sent as given */
    SET_BOOL,   /* must be true or false */
    SET_INT,    /* must be an integer */
    SET_DUR_NS, /* a duration, sent in nanoseconds */
    SET_DUR_SEC /* a duration, sent in seconds */
};

struct set_param {
    const char *flag;
    const char *param;
    enum set_conv conv;
    bool always;    /* sent even when empty, as CubeFS's cli does */
    int64_t min_ns; /* durations: the smallest accepted */
};

static const struct set_param set_params[] = {
    {"batchCount", "batchCount", SET_RAW, true, 0},
    {"markDeleteRate", "markDeleteRate", SET_RAW, true, 0},
    {"deleteWorkerSleepMs", "deleteWorkerSleepMs", SET_RAW, true, 0},
    {"autoRepairRate", "autoRepairRate", SET_RAW, true, 0},
    {"loadFactor", "loadFactor", SET_RAW, true, 0},
    {"maxDpCntLimit", "maxDpCntLimit", SET_RAW, true, 0},
    {"maxMpCntLimit", "maxMpCntLimit", SET_RAW, true, 0},
    {"autoDecommissionDisk", "autoDecommissionDisk", SET_BOOL, false, 0},
    {"autoDecommissionDiskInterval", "autoDecommissionDiskInterval", SET_DUR_NS, false, NS_PER_S},
    {"autoDpMetaRepair", "autoDpMetaRepair", SET_BOOL, false, 0},
    {"autoDpMetaRepairParallelCnt", "autoDpMetaRepairParallelCnt", SET_INT, false, 0},
    {"dpRepairTimeout", "dpRepairTimeOut", SET_DUR_NS, false, NS_PER_S},
    {"dpHeartbeatTimeout", "dpTimeout", SET_DUR_SEC, false, NS_PER_S},
    {"mpHeartbeatTimeout", "mpTimeout", SET_DUR_SEC, false, NS_PER_S},
    {"dpBackupTimeout", "dpBackupTimeout", SET_DUR_NS, false, 7 * 24 * 3600 * NS_PER_S},
    {"decommissionDpLimit", "decommissionLimit", SET_RAW, false, 0},
    {"decommissionDiskLimit", "decommissionDiskLimit", SET_RAW, false, 0},
    {"forbidWriteOpOfProtoVersion0", "forbidWriteOpOfProtoVersion0", SET_BOOL, false, 0},
};

static int set_one(struct cli_ctx *ctx, const struct set_param *p, struct client_query *q)
{
    const char *text = args_str(&ctx->args, p->flag);
    char why[ERRMSG_SIZE];
    int64_t ns;
    bool b;

    if (text[0] == '\0') {
        if (p->always) {
            client_query_add(q, p->param, "");
        }
        return 0;
    }
    switch (p->conv) {
    case SET_RAW:
        break;
    case SET_BOOL:
        if (args_parse_bool(text, &b) != 0) {
            return cli_usage(ctx, "--%s: \"%s\" should be true or false", p->flag, text);
        }
        break;
    case SET_INT:
        if (args_check_value(ARGS_INT, text, why) != 0) {
            return cli_usage(ctx, "--%s: \"%s\": %s", p->flag, text, why);
        }
        break;
    case SET_DUR_NS:
    case SET_DUR_SEC:
        if (parse_duration(text, &ns) != 0) {
            return cli_usage(ctx, "--%s: invalid duration \"%s\" (example: 10s, 1h)", p->flag,
                             text);
        }
        if (ns < p->min_ns) {
            return cli_usage(ctx, "--%s: %s is smaller than %" PRId64 "s", p->flag, text,
                             p->min_ns / NS_PER_S);
        }
        client_query_addf(q, p->param, "%" PRId64, p->conv == SET_DUR_NS ? ns : ns / NS_PER_S);
        return 0;
    }
    client_query_add(q, p->param, text);
    return 0;
}

static int set_run(struct cli_ctx *ctx)
{
    struct client_query q;
    int rv = 0;

    client_query_init(&q, "/admin/setNodeInfo");
    for (size_t i = 0; rv == 0 && i < sizeof(set_params) / sizeof(set_params[0]); i++) {
        rv = set_one(ctx, &set_params[i], &q);
    }
    if (rv != 0) {
        return rv;
    }
    client_query_add(&q, "clientIDKey", cli_client_id_key(ctx));
    return client_action(ctx, &q, "Cluster parameters has been set successfully. ");
}

/* --- the command tree -------------------------------------------------------------------- */

static const struct args_flag info_flags[] = {
    {"storage-class", 's', ARGS_BOOL, "false", "Display hybrid cloud storage info"},
    CLI_FLAG_JSON,
    ARGS_FLAG_END,
};

static const struct args_flag json_flags[] = {CLI_FLAG_JSON, ARGS_FLAG_END};

static const struct args_flag change_flags[] = {CLI_FLAG_CLIENT_ID_KEY, CLI_FLAG_YES,
                                                ARGS_FLAG_END};

static const struct args_flag set_flags[] = {
    {"batchCount", 0, ARGS_STRING, NULL, "MetaNode delete batch count"},
    {"loadFactor", 0, ARGS_STRING, NULL, "Load Factor"},
    {"markDeleteRate", 0, ARGS_STRING, NULL,
     "DataNode batch mark delete limit rate. if 0 for no infinity limit"},
    {"autoRepairRate", 0, ARGS_STRING, NULL, "DataNode auto repair rate"},
    {"deleteWorkerSleepMs", 0, ARGS_STRING, NULL,
     "MetaNode delete worker sleep time with millisecond. if 0 for no sleep"},
    {"maxDpCntLimit", 0, ARGS_STRING, NULL,
     "Maximum number of dp on each datanode, default 3000, 0 represents setting to default"},
    {"maxMpCntLimit", 0, ARGS_STRING, NULL,
     "Maximum number of mp on each metanode, default 300, 0 represents setting to default"},
    CLI_FLAG_CLIENT_ID_KEY,
    {"autoDpMetaRepair", 0, ARGS_STRING, NULL, "Enable or disable auto data partition meta repair"},
    {"autoDpMetaRepairParallelCnt", 0, ARGS_STRING, NULL,
     "Parallel count of auto data partition meta repair"},
    {"dpRepairTimeout", 0, ARGS_STRING, NULL, "Data partition repair timeout(example: 1h)"},
    {"dpHeartbeatTimeout", 0, ARGS_STRING, NULL, "Data partition heartbeat timeout(example: 10s)"},
    {"mpHeartbeatTimeout", 0, ARGS_STRING, NULL, "Meta partition heartbeat timeout(example: 10s)"},
    {"autoDecommissionDisk", 0, ARGS_STRING, NULL, "Enable or disable auto decommission disk"},
    {"autoDecommissionDiskInterval", 0, ARGS_STRING, NULL,
     "Interval of auto decommission disk(example: 10s)"},
    {"dpBackupTimeout", 0, ARGS_STRING, NULL,
     "Data partition backup directory timeout(example: 1h)"},
    {"decommissionDpLimit", 0, ARGS_STRING, NULL, "Limit for parallel  decommission dp"},
    {"decommissionDiskLimit", 0, ARGS_STRING, NULL, "Limit for parallel decommission disk"},
    {"forbidWriteOpOfProtoVersion0", 0, ARGS_STRING, NULL,
     "set datanode and metanode whether forbid write operate of packet whose protocol version is "
     "version-0: [true | false]"},
    CLI_FLAG_YES,
    ARGS_FLAG_END,
};

static const struct args_cmd info_cmd = {
    .name = "info",
    .summary = "Show cluster summary information",
    .max_args = 0,
    .flags = info_flags,
    .run = info_run,
};

static const struct args_cmd stat_cmd = {
    .name = "stat",
    .summary = "Show cluster status information",
    .max_args = 0,
    .flags = json_flags,
    .run = stat_run,
};

static const struct args_cmd freeze_cmd = {
    .name = "freeze",
    .usage = "[ENABLE]",
    .summary = "Freeze cluster",
    .details = "Turn on or off the automatic allocation of the data partitions.\n"
               "If 'cluster freeze false', CubeFS WILL automatically allocate new data partitions "
               "for the volume when:\n"
               "  1. the used space is below the max capacity,\n"
               "  2. and the number of r&w data partition is less than 20.\n\n"
               "If 'cluster freeze true', CubeFS WILL NOT automatically allocate new data "
               "partitions",
    .min_args = 1,
    .max_args = 1,
    .flags = change_flags,
    .run = freeze_run,
};

static const struct args_cmd threshold_cmd = {
    .name = "threshold",
    .usage = "[THRESHOLD]",
    .summary = "Set memory threshold of metanodes",
    .details = "Set the threshold of memory on each meta node.\n"
               "If the memory usage reaches this threshold, all the meta partition will be "
               "readOnly.",
    .min_args = 1,
    .max_args = 1,
    .flags = change_flags,
    .run = threshold_run,
};

static const struct args_cmd set_cmd = {
    .name = "set",
    .summary = "Set cluster parameters",
    .max_args = 0,
    .flags = set_flags,
    .run = set_run,
};

static const struct args_cmd *const subs[] = {&info_cmd,      &stat_cmd, &freeze_cmd,
                                              &threshold_cmd, &set_cmd,  NULL};

const struct args_cmd cluster_cmd = {
    .name = "cluster",
    .summary = "Manage cluster components",
    .subs = subs,
};

#include "tools/cfs_cli/node.h"

#include "tools/cfs_cli/client.h"
#include "tools/cfs_cli/progress.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define DN_PROGRESS_PATH "/dataNode/queryDecommissionProgress" /* CubeFS v3.5 masters */

static const struct node_kind *kind_of(const struct cli_ctx *ctx)
{
    return args_command(&ctx->args)->data;
}

static bool passes(const char *filter, const char *text)
{
    return filter[0] == '\0' || strstr(text, filter) != NULL;
}

int node_list_run(struct cli_ctx *ctx)
{
    const struct node_kind *k = kind_of(ctx);
    const char *fw = args_str(&ctx->args, "filter-writable");
    const char *fs = args_str(&ctx->args, "filter-status");
    struct client_query q;
    json_t *nodes = NULL, *node;
    size_t i;
    int rv;

    client_query_init(&q, k->list_path);
    rv = client_get(ctx, &q, &nodes);
    if (rv != 0) {
        return rv;
    }
    output_sort(nodes, "ID");
    if (cli_json(ctx)) {
        rv = cli_print_json(ctx, nodes);
        json_decref(nodes);
        return rv;
    }
    fprintf(ctx->out, "%s\n", k->list_title);
    output_header(ctx->out, "", &output_node_table);
    json_array_foreach(nodes, i, node)
    {
        char w[16], s[16];
        output_cell(node, "IsWritable", OUTPUT_YES_NO, w, sizeof(w));
        output_cell(node, "Status", OUTPUT_ACTIVE, s, sizeof(s));
        if (passes(fw, w) && passes(fs, s)) {
            output_object_row(ctx->out, "", &output_node_table, node);
        }
    }
    json_decref(nodes);
    return 0;
}

static int get_node(struct cli_ctx *ctx, const struct node_kind *k, const char *addr, json_t **info)
{
    struct client_query q;

    client_query_init(&q, k->get_path);
    client_query_add(&q, "addr", addr);
    return client_get(ctx, &q, info);
}

/* The decommission progress of a node as our master puts it in the node's info, or CubeFS's
 * progress object when the info has none (a v3.5 master); *progress is a new reference. */
static int get_progress(struct cli_ctx *ctx, const struct node_kind *k, const char *addr,
                        bool *gone, json_t **progress)
{
    struct client_query q;
    json_t *info = NULL, *other = NULL;
    int rv = get_node(ctx, k, addr, &info);

    *gone = rv == CFS_EREMOTE && ctx->api_code == k->gone_code;
    if (*gone) {
        *progress = NULL;
        return 0;
    }
    if (rv != 0) {
        return rv;
    }
    if (json_object_get(info, "DecommissionProgress") == NULL && k->raft_force_weight) {
        client_query_init(&q, DN_PROGRESS_PATH);
        client_query_add(&q, "addr", addr);
        if (client_get(ctx, &q, &other) == 0 && json_is_object(other)) {
            json_decref(info);
            info = other;
        } else {
            json_decref(other);
        }
    }
    *progress = info;
    return 0;
}

int node_info_run(struct cli_ctx *ctx)
{
    const struct node_kind *k = kind_of(ctx);
    struct progress_status st;
    const char *addr;
    json_t *info = NULL;
    int rv = cli_arg_addr(ctx, 0, &addr);

    if (rv == 0) {
        rv = get_node(ctx, k, addr, &info);
    }
    if (rv != 0) {
        return rv;
    }
    if (cli_json(ctx)) {
        rv = cli_print_json(ctx, info);
    } else {
        fprintf(ctx->out, "%s\n", k->info_title);
        output_view(ctx->out, k->info_view, info);
        if (json_object_get(info, "DecommissionProgress") != NULL) {
            progress_node_status(info, false, &st);
            fprintf(ctx->out, "%s%-*s: %s\n", k->info_view->indent, k->info_view->label_width,
                    "Decommission", st.text);
        }
    }
    json_decref(info);
    return rv;
}

struct node_poll {
    const struct node_kind *k;
    const char *addr;
};

static int poll_node(struct cli_ctx *ctx, const void *arg, struct progress_status *st)
{
    const struct node_poll *p = arg;
    json_t *progress = NULL;
    bool gone;
    int rv = get_progress(ctx, p->k, p->addr, &gone, &progress);

    if (rv == 0) {
        progress_node_status(progress, gone, st);
    }
    json_decref(progress);
    return rv;
}

int node_decommission_run(struct cli_ctx *ctx)
{
    const struct node_kind *k = kind_of(ctx);
    int64_t count = args_int(&ctx->args, "count");
    char what[192];
    struct client_query q;
    struct node_poll poll;
    struct progress_job job;
    const char *addr;
    int rv = cli_arg_addr(ctx, 0, &addr);

    if (rv != 0) {
        return rv;
    }
    if (count < 0) {
        return cli_usage(ctx, "--count must be >= 0");
    }
    client_query_init(&q, k->decommission_path);
    client_query_add(&q, "addr", addr);
    client_query_addf(&q, "count", "%" PRId64, count);
    client_query_add(&q, "clientIDKey", cli_client_id_key(ctx));
    if (k->raft_force_weight) {
        client_query_add(&q, "raftForceDel",
                         args_bool(&ctx->args, "raftForceDel") ? "true" : "false");
        client_query_addf(&q, "weight", "%" PRId64, args_int(&ctx->args, "decommissionWeight"));
    }
    rv = client_action(ctx, &q, k->decommission_done);
    if (rv != 0 || !args_bool(&ctx->args, "wait")) {
        return rv;
    }
    snprintf(what, sizeof(what), "decommission of %s %s", k->noun, addr);
    poll.k = k;
    poll.addr = addr;
    job.what = what;
    job.poll = poll_node;
    job.arg = &poll;
    return progress_wait(ctx, &job, args_uint(&ctx->args, "timeout"));
}

int node_query_progress_run(struct cli_ctx *ctx)
{
    const struct node_kind *k = kind_of(ctx);
    struct progress_status st;
    json_t *progress = NULL;
    const char *addr;
    bool gone;
    int rv = cli_arg_addr(ctx, 0, &addr);

    if (rv == 0) {
        rv = get_progress(ctx, k, addr, &gone, &progress);
    }
    if (rv == 0 && gone) {
        rv = cli_fail(ctx, -ENOENT, "%s %s is not in the cluster", k->noun, addr);
    }
    if (rv != 0) {
        return rv;
    }
    if (cli_json(ctx)) {
        const json_t *p = json_object_get(progress, "DecommissionProgress");
        rv = cli_print_json(ctx, p != NULL ? p : progress);
    } else {
        progress_node_status(progress, false, &st);
        fprintf(ctx->out, "Status     :         %s\n", st.text);
    }
    json_decref(progress);
    return rv;
}

#include "tools/cfs_cli/cli.h"

#include "tools/cfs_cli/client.h"
#include "tools/cfs_cli/cluster.h"
#include "tools/cfs_cli/datanode.h"
#include "tools/cfs_cli/datapartition.h"
#include "tools/cfs_cli/metanode.h"
#include "tools/cfs_cli/metapartition.h"
#include "tools/cfs_cli/nodeset.h"
#include "tools/cfs_cli/output.h"
#include "tools/cfs_cli/user.h"
#include "tools/cfs_cli/vol.h"
#include "tools/cfs_cli/zone.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CLI_VERSION "cfs-cli 0.1.0 (CubeFS v3.5 compatible)"

const struct args_flag cli_global_flags[] = {
    {"addr", 0, ARGS_STRING, NULL,
     "Master addresses {HOST}:{PORT}[,{HOST}:{PORT}] (overrides CFS_MASTER_ADDR and "
     "~/" CONFIG_FILE_NAME ")"},
    ARGS_FLAG_END,
};

static const struct args_flag root_flags[] = {
    {"version", 'v', ARGS_BOOL, "false", "Show version information"},
    ARGS_FLAG_END,
};

static const struct args_cmd *const root_subs[] = {
    &cluster_cmd,       &vol_cmd,    &user_cmd, &metanode_cmd, &datanode_cmd, &datapartition_cmd,
    &metapartition_cmd, &config_cmd, &zone_cmd, &nodeset_cmd,  NULL,
};

const struct args_cmd cli_root_cmd = {
    .name = "cfs-cli",
    .summary = "CubeFS Command Line Interface (CLI)",
    .flags = root_flags,
    .subs = root_subs,
};

int cli_config(struct cli_ctx *ctx, const struct config_file **out)
{
    char path[512];
    int rv;

    if (!ctx->cfg_loaded) {
        rv = config_file_path(ctx->env->home, path, sizeof(path), ctx->errmsg);
        if (rv == 0) {
            rv = config_file_read(path, &ctx->cfg, ctx->errmsg);
        }
        if (rv != 0 && rv != -ENOENT) {
            return rv;
        }
        ctx->errmsg[0] = '\0';
        ctx->cfg_loaded = true;
    }
    *out = &ctx->cfg;
    return 0;
}

const char *cli_client_id_key(struct cli_ctx *ctx)
{
    const struct config_file *cfg;

    if (args_is_set(&ctx->args, "clientIDKey") || cli_config(ctx, &cfg) != 0) {
        return args_str(&ctx->args, "clientIDKey");
    }
    return cfg->client_id_key;
}

static void vfail(struct cli_ctx *ctx, const char *fmt, va_list ap)
{
    vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
}

int cli_usage(struct cli_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(ctx, fmt, ap);
    va_end(ap);
    ctx->usage_error = true;
    return -EINVAL;
}

int cli_fail(struct cli_ctx *ctx, int rv, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(ctx, fmt, ap);
    va_end(ap);
    return rv;
}

int cli_confirm(struct cli_ctx *ctx, const char *summary, const char *question, bool default_yes)
{
    char line[64] = "";
    size_t len;
    char *p = line;

    if (args_bool(&ctx->args, "yes")) {
        return 0;
    }
    if (!ctx->env->in_tty) {
        return cli_fail(ctx, -ECANCELED,
                        "confirmation needed but stdin is not a terminal: pass -y (--yes) to go "
                        "ahead");
    }
    fprintf(ctx->out, "%s%s (yes/no)[%s]: ", summary != NULL ? summary : "", question,
            default_yes ? "yes" : "no");
    fflush(ctx->out);
    if (fgets(line, sizeof(line), ctx->env->in) == NULL) {
        line[0] = '\0';
    }
    while (isspace((unsigned char)*p)) {
        p++;
    }
    len = strlen(p);
    while (len > 0 && isspace((unsigned char)p[len - 1])) {
        p[--len] = '\0';
    }
    if (strcmp(p, "yes") == 0 || (default_yes && p[0] == '\0')) {
        return 0;
    }
    return cli_fail(ctx, -ECANCELED, "aborted by user");
}

bool cli_json(const struct cli_ctx *ctx)
{
    return args_bool(&ctx->args, "json");
}

int cli_print_json(struct cli_ctx *ctx, const json_t *v)
{
    if (output_json(ctx->out, v) != 0) {
        return cli_fail(ctx, -EIO, "cannot write JSON output");
    }
    return 0;
}

int cli_arg_id(struct cli_ctx *ctx, size_t i, uint64_t *out)
{
    const char *text = args_pos(&ctx->args, i);
    char why[ERRMSG_SIZE];

    if (text == NULL || args_check_value(ARGS_UINT, text, why) != 0) {
        return cli_usage(ctx, "invalid ID \"%s\": %s", text != NULL ? text : "", why);
    }
    *out = strtoull(text, NULL, 10);
    return 0;
}

int cli_arg_addr(struct cli_ctx *ctx, size_t i, const char **out)
{
    const char *text = args_pos(&ctx->args, i);

    if (text == NULL || config_addr_check(text, ctx->errmsg) != 0) {
        ctx->usage_error = true;
        return -EINVAL;
    }
    *out = text;
    return 0;
}

static int usage_failure(struct cli_ctx *ctx)
{
    char path[256];

    args_command_path(&ctx->args, path, sizeof(path));
    fprintf(ctx->err, "Error: %s\nRun '%s --help' for usage.\n", ctx->errmsg, path);
    return CLI_EXIT_USAGE;
}

int cli_run(const struct cli_env *env, int argc, char **argv)
{
    struct cli_ctx *ctx = calloc(1, sizeof(*ctx));
    const struct args_cmd *cmd;
    char path[256];
    int status = CLI_EXIT_OK;
    int rv;

    if (ctx == NULL) {
        fprintf(env->err, "Error: out of memory\n");
        return CLI_EXIT_FAILURE;
    }
    ctx->env = env;
    ctx->out = env->out;
    ctx->err = env->err;
    rv = args_parse(&cli_root_cmd, cli_global_flags, argc, argv, &ctx->args, ctx->errmsg);
    cmd = args_command(&ctx->args);
    if (rv != 0) {
        status = usage_failure(ctx);
    } else if (ctx->args.help || (cmd->run == NULL && !args_bool(&ctx->args, "version"))) {
        args_help(ctx->out, &ctx->args);
    } else if (cmd->run == NULL) {
        fprintf(ctx->out, "%s\n", CLI_VERSION);
    } else if ((rv = cmd->run(ctx)) != 0) {
        fflush(ctx->out);
        if (ctx->usage_error) {
            status = usage_failure(ctx);
        } else {
            /* "cfs-cli volume info" -> "volume info: <why>" */
            args_command_path(&ctx->args, path, sizeof(path));
            fprintf(ctx->err, "Error: %s: %s\n", path + strlen(cli_root_cmd.name) + 1,
                    ctx->errmsg[0] != '\0' ? ctx->errmsg : errors_strerror(rv));
            status = CLI_EXIT_FAILURE;
        }
    }
    fflush(ctx->out);
    fflush(ctx->err);
    client_close(ctx);
    free(ctx);
    return status;
}

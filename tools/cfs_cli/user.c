#include "tools/cfs_cli/user.h"

#include "tools/cfs_cli/cli.h"
#include "tools/cfs_cli/client.h"
#include "tools/cfs_cli/output.h"

#include <errno.h>
#include <string.h>

static const struct output_field summary_fields[] = {
    {"User ID", "user_id", OUTPUT_RAW},         {"Access Key", "access_key", OUTPUT_RAW},
    {"Secret Key", "secret_key", OUTPUT_RAW},   {"Type", "user_type", OUTPUT_USER_TYPE_NAME},
    {"Create Time", "create_time", OUTPUT_RAW},
};
static const struct output_view summary_view = OUTPUT_VIEW("  ", 11, summary_fields);

static const struct output_column user_cols[] = {
    {"ID", 20, "user_id", OUTPUT_RAW},
    {"TYPE", 6, "user_type", OUTPUT_USER_TYPE},
    {"ACCESS KEY", 16, "access_key", OUTPUT_RAW},
    {"SECRET KEY", 32, "secret_key", OUTPUT_RAW},
    {"CREATE TIME", 10, "create_time", OUTPUT_RAW},
};
static const struct output_table user_table = OUTPUT_TABLE("    ", user_cols);

/* CubeFS's printUserInfo: the summary, then the volumes the user owns or may use. */
static void print_user(FILE *out, const json_t *user)
{
    const json_t *policy = json_object_get(user, "policy");
    char perms[OUTPUT_CELL_SIZE];
    const char *vol;
    json_t *v;
    size_t i;

    fprintf(out, "[Summary]\n");
    output_view(out, &summary_view, user);
    if (!json_is_object(policy)) {
        return;
    }
    fprintf(out, "[Volumes]\n%-20s    %-12s\n", "VOLUME", "PERMISSION");
    json_array_foreach(json_object_get(policy, "own_vols"), i, v)
    {
        fprintf(out, "%-20s    %-12s\n", json_is_string(v) ? json_string_value(v) : "", "Owner");
    }
    json_object_foreach(json_object_get(policy, "authorized_vols"), vol, v)
    {
        fprintf(out, "%-20s    %-12s\n", vol, output_join(v, ",", perms, sizeof(perms)));
    }
}

static int user_type_code(const char *name)
{
    static const char *const names[] = {"root", "admin", "normal"};

    for (int i = 0; i < 3; i++) {
        if (strcmp(name, names[i]) == 0) {
            return i + 1;
        }
    }
    return 0;
}

static int create_run(struct cli_ctx *ctx)
{
    const char *id = args_pos(&ctx->args, 0);
    const char *pwd = args_str(&ctx->args, "password");
    const char *ak = args_str(&ctx->args, "access-key");
    const char *sk = args_str(&ctx->args, "secret-key");
    const char *type = args_str(&ctx->args, "user-type");
    int code = user_type_code(type);
    struct client_query q;
    json_t *body = NULL, *user = NULL;
    char summary[1024];
    int rv;

    if (code == 0) {
        return cli_usage(ctx, "Invalid user type \"%s\": expected normal, admin or root", type);
    }
    snprintf(summary, sizeof(summary),
             "Create a new CubeFS cluster user\n  User ID   : %s\n  Password  : %s\n"
             "  Access Key: %s\n  Secret Key: %s\n  Type      : %s\n\n",
             id, pwd[0] ? pwd : "[default]", ak[0] ? ak : "[auto generate]",
             sk[0] ? sk : "[auto generate]", type);
    rv = cli_confirm(ctx, summary, "Confirm", true);
    if (rv != 0) {
        return rv;
    }
    body = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s}", "id", id, "pwd", pwd, "ak", ak, "sk", sk, "type",
                     code, "description", "");
    if (body == NULL) {
        return cli_fail(ctx, -ENOMEM, "out of memory");
    }
    client_query_init(&q, "/user/create");
    client_query_add(&q, "clientIDKey", cli_client_id_key(ctx));
    rv = client_post(ctx, &q, body, &user);
    if (rv == 0) {
        fprintf(ctx->out, "Create user success:\n");
        print_user(ctx->out, user);
    }
    json_decref(body);
    json_decref(user);
    return rv;
}

static int info_run(struct cli_ctx *ctx)
{
    struct client_query q;
    json_t *user = NULL;
    int rv;

    client_query_init(&q, "/user/info");
    client_query_add(&q, "user", args_pos(&ctx->args, 0));
    rv = client_get(ctx, &q, &user);
    if (rv == 0) {
        if (cli_json(ctx)) {
            rv = cli_print_json(ctx, user);
        } else {
            print_user(ctx->out, user);
        }
    }
    json_decref(user);
    return rv;
}

static int list_run(struct cli_ctx *ctx)
{
    struct client_query q;
    json_t *users = NULL;
    int rv;

    client_query_init(&q, "/user/list");
    client_query_add(&q, "keywords", args_str(&ctx->args, "keyword"));
    rv = client_get(ctx, &q, &users);
    if (rv == 0) {
        if (cli_json(ctx)) {
            rv = cli_print_json(ctx, users);
        } else {
            output_table(ctx->out, "", &user_table, users);
        }
    }
    json_decref(users);
    return rv;
}

static const struct args_flag create_flags[] = {
    {"password", 0, ARGS_STRING, NULL, "Specify user password"},
    {"access-key", 0, ARGS_STRING, NULL,
     "Specify user access key for object storage interface authentication [16 digits & letters]"},
    {"secret-key", 0, ARGS_STRING, NULL,
     "Specify user secret key for object storage interface authentication [32 digits & letters]"},
    {"user-type", 0, ARGS_STRING, "normal", "Specify user type [normal | admin]"},
    CLI_FLAG_CLIENT_ID_KEY,
    CLI_FLAG_YES,
    ARGS_FLAG_END,
};

static const struct args_flag info_flags[] = {CLI_FLAG_JSON, ARGS_FLAG_END};

static const struct args_flag list_flags[] = {
    {"keyword", 0, ARGS_STRING, NULL, "Specify keyword of user name to filter"},
    CLI_FLAG_JSON,
    ARGS_FLAG_END,
};

static const struct args_cmd create_cmd = {
    .name = "create",
    .usage = "[USER ID]",
    .summary = "Create a new user",
    .min_args = 1,
    .max_args = 1,
    .flags = create_flags,
    .run = create_run,
};

static const struct args_cmd info_cmd = {
    .name = "info",
    .usage = "[USER ID]",
    .summary = "Show detail information about a user",
    .min_args = 1,
    .max_args = 1,
    .flags = info_flags,
    .run = info_run,
};

static const char *const list_aliases[] = {"ls", NULL};

static const struct args_cmd list_cmd = {
    .name = "list",
    .aliases = list_aliases,
    .summary = "List cluster users",
    .max_args = 0,
    .flags = list_flags,
    .run = list_run,
};

static const struct args_cmd *const subs[] = {&create_cmd, &info_cmd, &list_cmd, NULL};

const struct args_cmd user_cmd = {
    .name = "user",
    .summary = "Manage cluster users",
    .subs = subs,
};

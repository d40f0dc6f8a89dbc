/* cfs-cli: the command tree, global flags, and what every command's run callback gets.
 *
 * cli_run() parses the arguments, prints help or usage errors, runs the command and turns its
 * result into an exit status: 0 on success, 2 on a usage error, 1 on any other failure. Errors
 * are one line on stderr, "Error: <what failed>: <why>". Human output goes to stdout.
 *
 * Everything the process provides (streams, terminal checks, $HOME, $CFS_MASTER_ADDR, clocks)
 * comes in through struct cli_env, so tests run commands in-process with fakes. */
#ifndef CFS_TOOLS_CFS_CLI_CLI_H
#define CFS_TOOLS_CFS_CLI_CLI_H

#include "common/errors.h"
#include "tools/cfs_cli/args.h"
#include "tools/cfs_cli/config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_EXIT_OK      0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE   2

struct http_client;

struct cli_env {
    FILE *in;
    FILE *out;
    FILE *err;
    bool in_tty;          /* stdin is a terminal: confirmations may be asked */
    bool out_tty;         /* stdout is a terminal: progress lines are redrawn in place */
    const char *home;     /* where .cfs-cli.json lives */
    const char *env_addr; /* $CFS_MASTER_ADDR, or NULL */
    uint64_t (*now_ms)(void);
    void (*sleep_ms)(uint64_t ms);
    uint32_t poll_interval_ms; /* between progress queries (--wait) */
};

struct cli_ctx {
    const struct cli_env *env;
    FILE *out;
    FILE *err;
    struct args_result args;
    char errmsg[ERRMSG_SIZE];
    int api_code;     /* envelope code of the last failed call (CFS_EREMOTE), else 0 */
    bool usage_error; /* the failure is the caller's mistake: exit 2 with a usage hint */
    struct config_file cfg;
    bool cfg_loaded;
    struct config_masters masters;
    struct http_client *http;
};

extern const struct args_cmd cli_root_cmd;
extern const struct args_flag cli_global_flags[];

/* Shared flags, so every command spells them the same way. */
#define CLI_FLAG_YES                                                   \
    {                                                                  \
        "yes", 'y', ARGS_BOOL, "false", "Answer yes for all questions" \
    }
#define CLI_FLAG_JSON                                                    \
    {                                                                    \
        "json", 0, ARGS_BOOL, "false", "Print the master's data as JSON" \
    }
#define CLI_FLAG_CLIENT_ID_KEY                                      \
    {                                                               \
        "clientIDKey", 0, ARGS_STRING, NULL,                        \
            "needed if cluster authentication is on (default from " \
            "the config file)"                                      \
    }

int cli_run(const struct cli_env *env, int argc, char **argv);

/* Load ~/.cfs-cli.json once (a missing file gives the defaults). */
int cli_config(struct cli_ctx *ctx, const struct config_file **out);

/* --clientIDKey, or the config file's clientIDKey. */
const char *cli_client_id_key(struct cli_ctx *ctx);

/* Unless -y was given, print summary (may be NULL) and "question (yes/no)[...]: " and read the
 * answer from stdin. default_yes: an empty answer means yes (CubeFS's "(yes/no)[yes]"). Without a
 * terminal on stdin the command is refused. 0 to go ahead, -ECANCELED (errmsg set) otherwise. */
int cli_confirm(struct cli_ctx *ctx, const char *summary, const char *question, bool default_yes);

/* A usage error found by the command itself (bad address, bad number): -EINVAL, exit 2. */
int cli_usage(struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A failure: returns rv (negative) with errmsg set from fmt. */
int cli_fail(struct cli_ctx *ctx, int rv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True when --json was given; cli_print_json prints v (pretty) and returns 0. */
bool cli_json(const struct cli_ctx *ctx);
int cli_print_json(struct cli_ctx *ctx, const json_t *v);

/* Positional argument i as a partition ID or a node address, with a usage error otherwise. */
int cli_arg_id(struct cli_ctx *ctx, size_t i, uint64_t *out);
int cli_arg_addr(struct cli_ctx *ctx, size_t i, const char **out);

#endif

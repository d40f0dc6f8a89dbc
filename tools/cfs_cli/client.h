/* cfs-cli's calls to the masters: query strings built the way CubeFS's SDK sends them, and GET /
 * POST requests through common/http_client (every master tried in turn, 307s followed to the
 * leader). The HTTP client is made on the first call, from the masters chosen by config.h.
 *
 * Failures land in ctx->errmsg as one line: the master's msg for an envelope error ("vol not
 * exists"), or "no master answered: a:17010 (Connection refused), b:17010 (HTTP 503)". */
#ifndef CFS_TOOLS_CFS_CLI_CLIENT_H
#define CFS_TOOLS_CFS_CLI_CLIENT_H

#include "tools/cfs_cli/cli.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CLIENT_QUERY_SIZE 8192

struct client_query {
    char buf[CLIENT_QUERY_SIZE]; /* "/path?k=v&k2=v2" */
    size_t len;
    bool has_params;
    bool overflow;
};

void client_query_init(struct client_query *q, const char *path);
/* Append key=value, the value percent-encoded. */
void client_query_add(struct client_query *q, const char *key, const char *value);
void client_query_addf(struct client_query *q, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* GET; 0 with *data (new reference, may be NULL) when the master answered code 0. data may be
 * NULL when the caller does not need it. */
int client_get(struct cli_ctx *ctx, const struct client_query *q, json_t **data);

/* POST body as JSON, otherwise as client_get. */
int client_post(struct cli_ctx *ctx, const struct client_query *q, const json_t *body,
                json_t **data);

/* GET a mutating route and print done_text and a newline on success. */
int client_action(struct cli_ctx *ctx, const struct client_query *q, const char *done_text);

/* Free the HTTP client. */
void client_close(struct cli_ctx *ctx);

#endif

#include "tools/cfs_cli/client.h"

#include "common/http_client.h"
#include "common/url.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void client_query_init(struct client_query *q, const char *path)
{
    memset(q, 0, sizeof(*q));
    q->len = (size_t)snprintf(q->buf, sizeof(q->buf), "%s", path);
    q->overflow = q->len >= sizeof(q->buf);
}

void client_query_add(struct client_query *q, const char *key, const char *value)
{
    char escaped[CLIENT_QUERY_SIZE];
    size_t room;
    int n;

    if (q->overflow) {
        return;
    }
    url_escape(value != NULL ? value : "", escaped, sizeof(escaped));
    room = sizeof(q->buf) - q->len;
    n = snprintf(q->buf + q->len, room, "%c%s=%s", q->has_params ? '&' : '?', key, escaped);
    if (n < 0 || (size_t)n >= room || strlen(escaped) + 1 >= sizeof(escaped)) {
        q->overflow = true;
        return;
    }
    q->len += (size_t)n;
    q->has_params = true;
}

void client_query_addf(struct client_query *q, const char *key, const char *fmt, ...)
{
    char value[CLIENT_QUERY_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    client_query_add(q, key, value);
}

static int connect_masters(struct cli_ctx *ctx)
{
    const struct config_file *cfg = NULL;
    const char *flag_addr = args_str(&ctx->args, "addr");
    struct http_client_options opts;
    const char *list[CONFIG_MAX_MASTERS];
    int rv;

    if (ctx->http != NULL) {
        return 0;
    }
    /* The file only matters when neither --addr nor CFS_MASTER_ADDR names the masters. */
    rv = cli_config(ctx, &cfg);
    if (rv != 0 && flag_addr[0] == '\0' && (ctx->env->env_addr == NULL || !ctx->env->env_addr[0])) {
        return rv;
    }
    rv = config_masters_resolve(flag_addr, ctx->env->env_addr, rv == 0 ? cfg : NULL, &ctx->masters,
                                ctx->errmsg);
    if (rv != 0) {
        ctx->usage_error = flag_addr[0] != '\0';
        return rv;
    }
    for (size_t i = 0; i < ctx->masters.n; i++) {
        list[i] = ctx->masters.addr[i];
    }
    http_client_options_default(&opts);
    opts.timeout_ms = (uint32_t)(cfg != NULL ? cfg->timeout : CONFIG_DEFAULT_TIMEOUT) * 1000u;
    return http_client_new(list, ctx->masters.n, &opts, &ctx->http, ctx->errmsg);
}

static int call(struct cli_ctx *ctx, const char *method, const struct client_query *q,
                const json_t *body, json_t **data)
{
    char *text = NULL;
    json_t *d = NULL;
    int code = 0;
    int rv;

    ctx->api_code = 0;
    if (q->overflow) {
        errors_set(ctx->errmsg, "request too long");
        return -E2BIG;
    }
    rv = connect_masters(ctx);
    if (rv != 0) {
        return rv;
    }
    if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL) {
        errors_set(ctx->errmsg, "out of memory");
        return -ENOMEM;
    }
    rv = http_client_call(ctx->http, method, q->buf, text, text != NULL ? strlen(text) : 0, &code,
                          &d, ctx->errmsg);
    free(text);
    ctx->api_code = rv == CFS_EREMOTE ? code : 0;
    if (rv == 0 && data != NULL) {
        *data = d;
    } else {
        json_decref(d);
    }
    return rv;
}

int client_get(struct cli_ctx *ctx, const struct client_query *q, json_t **data)
{
    return call(ctx, "GET", q, NULL, data);
}

int client_post(struct cli_ctx *ctx, const struct client_query *q, const json_t *body,
                json_t **data)
{
    return call(ctx, "POST", q, body, data);
}

int client_action(struct cli_ctx *ctx, const struct client_query *q, const char *done_text)
{
    int rv = client_get(ctx, q, NULL);

    if (rv == 0) {
        fprintf(ctx->out, "%s\n", done_text);
    }
    return rv;
}

void client_close(struct cli_ctx *ctx)
{
    http_client_free(ctx->http);
    ctx->http = NULL;
}

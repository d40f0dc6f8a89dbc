#include "tools/cfs_cli/config.h"

#include "common/config.h"
#include "common/errors.h"
#include "common/fsutil.h"
#include "tools/cfs_cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct jc_field file_fields[] = {
    CONFIG_LIST(struct config_file, masters, nmasters, "masterAddr", JC_STR, 0),
    CONFIG_F(struct config_file, timeout, "timeout", JC_U16, 0),
    CONFIG_F(struct config_file, client_id_key, "clientIDKey", JC_STR, 0),
    JC_END,
};

const char *config_source_name(enum config_source s)
{
    switch (s) {
    case CONFIG_FROM_FLAG:
        return "--addr";
    case CONFIG_FROM_ENV:
        return "CFS_MASTER_ADDR";
    case CONFIG_FROM_FILE:
        break;
    }
    return "~/" CONFIG_FILE_NAME;
}

static bool host_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

int config_addr_check(const char *addr, char *errmsg)
{
    const char *a = strncmp(addr, "http://", 7) == 0 ? addr + 7 : addr;
    const char *colon, *p;
    unsigned long port;
    char *end;

    if (a[0] == '[') {
        const char *close = strchr(a, ']');
        colon = close != NULL && close[1] == ':' ? close + 1 : NULL;
        for (p = a + 1; colon != NULL && p < close; p++) {
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.') {
                colon = NULL;
            }
        }
        if (colon != NULL && close == a + 1) {
            colon = NULL;
        }
    } else {
        colon = strrchr(a, ':');
        for (p = a; colon != NULL && p < colon; p++) {
            if (!host_char(*p)) {
                colon = NULL;
            }
        }
        if (colon == a) {
            colon = NULL;
        }
    }
    if (colon == NULL) {
        errors_set(errmsg, "invalid address \"%s\": expected host:port", addr);
        return -EINVAL;
    }
    errno = 0;
    port = strtoul(colon + 1, &end, 10);
    if (!isdigit((unsigned char)colon[1]) || *end != '\0' || errno != 0 || port == 0 ||
        port > 65535) {
        errors_set(errmsg, "invalid address \"%s\": the port must be a number from 1 to 65535",
                   addr);
        return -EINVAL;
    }
    return 0;
}

int config_addr_list_parse(const char *text, struct config_masters *out, char *errmsg)
{
    struct config_masters list = {0};
    const char *p = text;

    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        const char *next = p[len] == ',' ? p + len + 1 : p + len;
        while (len > 0 && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        while (len > 0 && isspace((unsigned char)p[len - 1])) {
            len--;
        }
        if (len > 0) {
            if (list.n == CONFIG_MAX_MASTERS || len >= CONFIG_ADDR_SIZE) {
                errors_set(errmsg, "too many or too long master addresses (at most %d)",
                           CONFIG_MAX_MASTERS);
                return -EINVAL;
            }
            memcpy(list.addr[list.n], p, len);
            list.addr[list.n][len] = '\0';
            if (config_addr_check(list.addr[list.n], errmsg) != 0) {
                return -EINVAL;
            }
            list.n++;
        }
        p = next;
    }
    if (list.n == 0) {
        errors_set(errmsg, "no master address in \"%s\"", text);
        return -EINVAL;
    }
    list.source = out->source;
    *out = list;
    return 0;
}

int config_file_path(const char *home, char *path, size_t size, char *errmsg)
{
    if (home == NULL || home[0] == '\0') {
        errors_set(errmsg, "cannot find the config file: $HOME is not set");
        return -ENOENT;
    }
    if ((size_t)snprintf(path, size, "%s/%s", home, CONFIG_FILE_NAME) >= size) {
        errors_set(errmsg, "config file path too long");
        return -ENAMETOOLONG;
    }
    return 0;
}

static void file_defaults(struct config_file *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->timeout = CONFIG_DEFAULT_TIMEOUT;
}

int config_file_read(const char *path, struct config_file *out, char *errmsg)
{
    struct config_file cfg;
    int rv;

    file_defaults(&cfg);
    rv = config_load(path, file_fields, &cfg, errmsg);
    if (rv != 0) {
        file_defaults(out);
        return rv;
    }
    if (cfg.timeout == 0) {
        cfg.timeout = CONFIG_DEFAULT_TIMEOUT;
    }
    *out = cfg;
    return 0;
}

int config_file_write(const char *path, const struct config_file *cfg, char *errmsg)
{
    json_t *obj = jc_encode(file_fields, cfg);
    char *text = obj != NULL ? json_dumps(obj, JSON_INDENT(2)) : NULL;
    char *line = text != NULL ? malloc(strlen(text) + 2) : NULL;
    int rv;

    if (line == NULL) {
        errors_set(errmsg, "out of memory");
        rv = -ENOMEM;
        goto out;
    }
    strcpy(line, text);
    strcat(line, "\n");
    /* The file may hold a clientIDKey: only its owner reads it. */
    rv = fsutil_write_atomic_mode(path, line, strlen(line), 0600, errmsg);
out:
    free(line);
    free(text);
    json_decref(obj);
    return rv;
}

int config_masters_resolve(const char *flag_addr, const char *env_addr,
                           const struct config_file *file, struct config_masters *out, char *errmsg)
{
    struct config_masters m = {0};
    int rv;

    if (flag_addr != NULL && flag_addr[0] != '\0') {
        m.source = CONFIG_FROM_FLAG;
        rv = config_addr_list_parse(flag_addr, &m, errmsg);
    } else if (env_addr != NULL && env_addr[0] != '\0') {
        m.source = CONFIG_FROM_ENV;
        rv = config_addr_list_parse(env_addr, &m, errmsg);
    } else if (file != NULL && file->nmasters > 0) {
        m.source = CONFIG_FROM_FILE;
        rv = 0;
        for (uint32_t i = 0; rv == 0 && i < file->nmasters; i++) {
            snprintf(m.addr[m.n++], CONFIG_ADDR_SIZE, "%s", file->masters[i]);
            rv = config_addr_check(file->masters[i], errmsg);
        }
    } else {
        errors_set(errmsg, "no master address: use --addr, CFS_MASTER_ADDR or "
                           "'cfs-cli config set --addr host:port'");
        return -EINVAL;
    }
    if (rv != 0) {
        errors_prefix(errmsg, "%s", config_source_name(m.source));
        return rv;
    }
    *out = m;
    return 0;
}

static int config_set_run(struct cli_ctx *ctx)
{
    const struct config_file *cur;
    struct config_file cfg;
    struct config_masters m = {0};
    uint64_t timeout = args_uint(&ctx->args, "timeout");
    char path[512];
    int rv;

    if (!args_is_set(&ctx->args, "addr") && !args_is_set(&ctx->args, "timeout")) {
        return cli_usage(ctx, "config set: give --addr and/or --timeout");
    }
    if (args_is_set(&ctx->args, "addr") &&
        config_addr_list_parse(args_str(&ctx->args, "addr"), &m, ctx->errmsg) != 0) {
        ctx->usage_error = true;
        return -EINVAL;
    }
    if (timeout == 0 || timeout > UINT16_MAX) {
        return cli_usage(ctx, "config set: --timeout must be from 1 to %u seconds", UINT16_MAX);
    }
    rv = cli_config(ctx, &cur);
    if (rv == 0) {
        rv = config_file_path(ctx->env->home, path, sizeof(path), ctx->errmsg);
    }
    if (rv != 0) {
        return rv;
    }
    cfg = *cur;
    if (m.n > 0) {
        cfg.nmasters = (uint32_t)m.n;
        for (size_t i = 0; i < m.n; i++) {
            snprintf(cfg.masters[i], CONFIG_ADDR_SIZE, "%s", m.addr[i]);
        }
    }
    cfg.timeout = (uint16_t)timeout;
    rv = config_file_write(path, &cfg, ctx->errmsg);
    if (rv != 0) {
        return rv;
    }
    ctx->cfg = cfg;
    fprintf(ctx->out, "Config has been set successfully!\n");
    return 0;
}

static void print_list(FILE *out, const char (*addrs)[CONFIG_ADDR_SIZE], size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s%s", i == 0 ? "" : " ", addrs[i]);
    }
    fputc(']', out);
}

static int config_info_run(struct cli_ctx *ctx)
{
    const struct config_file *cfg;
    struct config_masters m;
    char path[512] = "";
    char why[ERRMSG_SIZE];
    int rv = cli_config(ctx, &cfg);

    if (rv != 0) {
        return rv;
    }
    if (cli_json(ctx)) {
        json_t *obj = jc_encode(file_fields, cfg);
        rv = cli_print_json(ctx, obj);
        json_decref(obj);
        return rv;
    }
    (void)config_file_path(ctx->env->home, path, sizeof(path), why);
    fprintf(ctx->out, "Config info:\n  Master  Address    : ");
    print_list(ctx->out, cfg->masters, cfg->nmasters);
    fprintf(ctx->out, "\n  Request Timeout [s]: %u\n", cfg->timeout);
    fprintf(ctx->out, "  Config file        : %s\n", path);
    if (config_masters_resolve(args_str(&ctx->args, "addr"), ctx->env->env_addr, cfg, &m, why) ==
            0 &&
        m.source != CONFIG_FROM_FILE) {
        fprintf(ctx->out, "  Masters in use     : ");
        print_list(ctx->out, (const char(*)[CONFIG_ADDR_SIZE])m.addr, m.n);
        fprintf(ctx->out, " (from %s)\n", config_source_name(m.source));
    }
    return 0;
}

/* --addr is the global flag: "config set --addr a:17010,b:17010" stores what it names. */
static const struct args_flag config_set_flags[] = {
    {"timeout", 0, ARGS_UINT, "60", "Specify timeout for requests [Unit: s]"},
    ARGS_FLAG_END,
};

static const struct args_flag config_info_flags[] = {
    CLI_FLAG_JSON,
    ARGS_FLAG_END,
};

static const struct args_cmd config_set_cmd = {
    .name = "set",
    .summary = "set value of config file",
    .details = "Set the config file (~/" CONFIG_FILE_NAME ")",
    .max_args = 0,
    .flags = config_set_flags,
    .run = config_set_run,
};

static const struct args_cmd config_info_cmd = {
    .name = "info",
    .summary = "show info of config file",
    .max_args = 0,
    .flags = config_info_flags,
    .run = config_info_run,
};

static const struct args_cmd *const config_subs[] = {&config_set_cmd, &config_info_cmd, NULL};

const struct args_cmd config_cmd = {
    .name = "config",
    .summary = "Manage global config file",
    .subs = config_subs,
};

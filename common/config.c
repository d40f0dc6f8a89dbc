#define LOG_TAG "config"

#include "common/config.h"

#include "common/errors.h"
#include "common/log.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool known_key(const struct jc_field *fields, const char *key)
{
    for (const struct jc_field *f = fields; f->key != NULL; f++) {
        if (strcmp(f->key, key) == 0) {
            return true;
        }
    }
    return false;
}

static int decode_root(const char *name, json_t *root, const struct jc_field *fields, void *out,
                       char *errmsg)
{
    const char *key;
    json_t *value;
    int rv;

    if (!json_is_object(root)) {
        errors_set(errmsg, "config %s: top level must be a JSON object", name);
        return CFS_ETYPE;
    }
    json_object_foreach(root, key, value)
    {
        if (!known_key(fields, key)) {
            log_warn("config %s: unknown key \"%s\" ignored", name, key);
        }
    }
    rv = jc_decode(root, fields, out, errmsg);
    if (rv != 0) {
        errors_prefix(errmsg, "config %s", name);
    }
    return rv;
}

int config_parse(const char *name, const char *text, size_t len, const struct jc_field *fields,
                 void *out, char *errmsg)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    int rv;

    if (root == NULL) {
        errors_set(errmsg, "config %s: invalid JSON at line %d column %d: %s", name, jerr.line,
                   jerr.column, jerr.text);
        return CFS_EBADJSON;
    }
    rv = decode_root(name, root, fields, out, errmsg);
    json_decref(root);
    return rv;
}

int config_load(const char *path, const struct jc_field *fields, void *out, char *errmsg)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    int rv;

    if (root == NULL) {
        if (jerr.line < 0) {
            errors_set(errmsg, "config %s: %s", path, jerr.text);
            return -ENOENT;
        }
        errors_set(errmsg, "config %s: invalid JSON at line %d column %d: %s", path, jerr.line,
                   jerr.column, jerr.text);
        return CFS_EBADJSON;
    }
    rv = decode_root(path, root, fields, out, errmsg);
    json_decref(root);
    return rv;
}

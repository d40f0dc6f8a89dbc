#include "master/api/params.h"

#include "common/errors.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int missing(struct http_req *r, const char *name)
{
    http_req_reply_error(r, API_PARAM_ERROR, "parameter %s not found", name);
    return -1;
}

static int mismatch(struct http_req *r, const char *name)
{
    http_req_reply_error(r, API_PARAM_ERROR, "parameter %s not match", name);
    return -1;
}

int params_str(struct http_req *r, const char *name, bool required, const char **out)
{
    const char *v = http_req_param(r, name);

    if (v == NULL || (required && v[0] == '\0')) {
        return required ? missing(r, name) : 0;
    }
    *out = v;
    return 0;
}

bool params_parse_uint(const char *v, uint64_t *out)
{
    char *end;
    unsigned long long u;

    if (!isdigit((unsigned char)v[0])) {
        return false;
    }
    errno = 0;
    u = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0' || u > INT64_MAX) {
        return false;
    }
    *out = u;
    return true;
}

int params_u64(struct http_req *r, const char *name, bool required, uint64_t *out)
{
    const char *v = http_req_param(r, name);

    if (v == NULL || v[0] == '\0') {
        return required ? missing(r, name) : 0;
    }
    return params_parse_uint(v, out) ? 0 : mismatch(r, name);
}

int params_bool(struct http_req *r, const char *name, bool required, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    const char *v = http_req_param(r, name);

    if (v == NULL || v[0] == '\0') {
        return required ? missing(r, name) : 0;
    }
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return mismatch(r, name);
}

int params_double(struct http_req *r, const char *name, bool required, double *out)
{
    const char *v = http_req_param(r, name);
    char *end;
    double d;

    if (v == NULL || v[0] == '\0') {
        return required ? missing(r, name) : 0;
    }
    errno = 0;
    d = strtod(v, &end);
    if (errno != 0 || *end != '\0' || d != d) {
        return mismatch(r, name);
    }
    *out = d;
    return 0;
}

bool params_valid_vol_name(const char *s)
{
    size_t n = strlen(s);

    if (n < 3 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1])) {
        return false;
    }
    for (size_t i = 1; i + 1 < n; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-') {
            return false;
        }
    }
    return true;
}

bool params_valid_owner(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n > 21 || !isalpha((unsigned char)s[0])) {
        return false;
    }
    for (size_t i = 1; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '_') {
            return false;
        }
    }
    return true;
}

bool params_valid_addr(const char *s)
{
    unsigned octets[4];
    unsigned port;
    char tail;

    if (sscanf(s, "%3u.%3u.%3u.%3u:%5u%c", &octets[0], &octets[1], &octets[2], &octets[3], &port,
               &tail) != 5) {
        return false;
    }
    if (octets[0] < 1 || octets[0] > 255 || octets[1] > 255 || octets[2] > 255 || octets[3] > 255) {
        return false;
    }
    return port >= 1024 && port <= 65535;
}

int params_vol_name(struct http_req *r, const char **out)
{
    const char *v;

    if (params_str(r, "name", true, &v) != 0) {
        return -1;
    }
    if (!params_valid_vol_name(v)) {
        http_req_reply_error(r, API_PARAM_ERROR, "name can only be number and letters");
        return -1;
    }
    *out = v;
    return 0;
}

int params_owner(struct http_req *r, const char *name, const char **out)
{
    const char *v;

    if (params_str(r, name, true, &v) != 0) {
        return -1;
    }
    if (!params_valid_owner(v)) {
        http_req_reply_error(r, API_PARAM_ERROR, "owner can only be number and letters");
        return -1;
    }
    *out = v;
    return 0;
}

int params_addr(struct http_req *r, const char *name, const char **out)
{
    const char *v;

    if (params_str(r, name, true, &v) != 0) {
        return -1;
    }
    if (!params_valid_addr(v)) {
        return mismatch(r, name);
    }
    *out = v;
    return 0;
}

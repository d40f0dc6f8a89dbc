/* Request parameters with CubeFS's rules and messages. Every parser answers the request itself
 * (code 2, ParamError) and returns -1 when the parameter is missing or malformed, so a handler
 * reads:  if (params_u64(r, "id", true, &id) != 0) return;
 * Messages: "parameter <name> not found", "parameter <name> not match", and the name/owner rules
 * "name can only be number and letters" / "owner can only be number and letters". */
#ifndef CFS_MASTER_API_PARAMS_H
#define CFS_MASTER_API_PARAMS_H

#include "master/http/http_req.h"

#include <stdbool.h>
#include <stdint.h>

/* A string; optional ones leave *out untouched when absent. */
int params_str(struct http_req *r, const char *name, bool required, const char **out);

/* True with *out when v is an unsigned decimal up to INT64_MAX: the store keeps numbers as JSON
 * integers (int64), so a larger one could never be committed. */
bool params_parse_uint(const char *v, uint64_t *out);

/* Unsigned decimal (params_parse_uint()); a value that is not one answers "parameter <name> not
 * match". */
int params_u64(struct http_req *r, const char *name, bool required, uint64_t *out);

/* Go's strconv.ParseBool spellings: 1 t T TRUE true True, 0 f F FALSE false False. */
int params_bool(struct http_req *r, const char *name, bool required, bool *out);

int params_double(struct http_req *r, const char *name, bool required, double *out);

/* The volume name parameter ("name"): ^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,61}[a-zA-Z0-9]$. */
int params_vol_name(struct http_req *r, const char **out);

/* The owner parameter: ^[A-Za-z][A-Za-z0-9_]{0,20}$. */
int params_owner(struct http_req *r, const char *name, const char **out);

/* A node address "ip:port" (IPv4, port 1024..65535). */
int params_addr(struct http_req *r, const char *name, const char **out);

/* Pure checks, for reuse (body JSON, CLI). */
bool params_valid_vol_name(const char *s);
bool params_valid_owner(const char *s);
bool params_valid_addr(const char *s);

#endif

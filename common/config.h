/* CubeFS-style JSON configuration files.
 *
 * A binary declares its keys as a jcodec table (use CONFIG_F so numbers and bools may be written
 * as strings, as CubeFS configs do: "listen": "17010"). Loading rejects a value of the wrong type
 * and a missing required key with a message naming the file and the key, and logs a warning for
 * keys the table does not know, which are usually typos. */
#ifndef CFS_COMMON_CONFIG_H
#define CFS_COMMON_CONFIG_H

#include "common/jcodec.h"

#include <stddef.h>

#define CONFIG_F(T, m, key, type, flags) JC_F(T, m, key, type, (flags) | JC_TEXT_OK)
#define CONFIG_LIST(T, m, cnt, key, elem, flags) \
    JC_ARR(T, m, cnt, key, elem, NULL, (flags) | JC_TEXT_OK | JC_SPLIT)

/* Decode the file at path into out, which holds the defaults on entry. */
int config_load(const char *path, const struct jc_field *fields, void *out, char *errmsg);

/* The same for text already in memory; name is used in messages. */
int config_parse(const char *name, const char *text, size_t len, const struct jc_field *fields,
                 void *out, char *errmsg);

#endif

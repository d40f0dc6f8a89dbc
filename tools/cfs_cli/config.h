/* cfs-cli's configuration: the file ~/.cfs-cli.json ({"masterAddr":[...],"timeout":60,
 * "clientIDKey":""}, as CubeFS's cli writes it), the master list and where it comes from, and the
 * `config set|info` commands.
 *
 * Masters are taken from the first of: the --addr flag, the CFS_MASTER_ADDR environment variable
 * (both comma-separated), the file. Every address must be host:port. */
#ifndef CFS_TOOLS_CFS_CLI_CONFIG_H
#define CFS_TOOLS_CFS_CLI_CONFIG_H

#include "tools/cfs_cli/args.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_FILE_NAME       ".cfs-cli.json"
#define CONFIG_MAX_MASTERS     16
#define CONFIG_ADDR_SIZE       128
#define CONFIG_DEFAULT_TIMEOUT 60 /* seconds per request */

struct config_file {
    uint32_t nmasters;
    char masters[CONFIG_MAX_MASTERS][CONFIG_ADDR_SIZE];
    uint16_t timeout; /* seconds; 0 in the file means the default */
    char client_id_key[128];
};

enum config_source { CONFIG_FROM_FLAG, CONFIG_FROM_ENV, CONFIG_FROM_FILE };

struct config_masters {
    size_t n;
    char addr[CONFIG_MAX_MASTERS][CONFIG_ADDR_SIZE];
    enum config_source source;
};

extern const struct args_cmd config_cmd;

/* 0 when addr is host:port (host a name, an IPv4 address or [IPv6], port 1..65535). */
int config_addr_check(const char *addr, char *errmsg);

/* Split "a:1,b:2" into out (spaces around entries are ignored), checking each address. */
int config_addr_list_parse(const char *text, struct config_masters *out, char *errmsg);

/* path = <home>/.cfs-cli.json. */
int config_file_path(const char *home, char *path, size_t size, char *errmsg);

/* Read the file into out (defaults first). -ENOENT, with out holding the defaults, when the file
 * does not exist; other errors name the file and the problem. */
int config_file_read(const char *path, struct config_file *out, char *errmsg);

/* Write the file atomically with mode 0600. */
int config_file_write(const char *path, const struct config_file *cfg, char *errmsg);

/* Pick the masters by precedence: flag_addr (--addr), then env_addr (CFS_MASTER_ADDR), then the
 * file. NULL or empty text means "not given". -EINVAL when none names a master. */
int config_masters_resolve(const char *flag_addr, const char *env_addr,
                           const struct config_file *file, struct config_masters *out,
                           char *errmsg);

const char *config_source_name(enum config_source s);

#endif

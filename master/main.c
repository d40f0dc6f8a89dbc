/* cfs-master [-c FILE]: with no file, a single master on 127.0.0.1:17010 with data under
 * ./cfs-data/master1. */
#include "common/config.h"
#include "common/errors.h"
#include "common/http_client.h"
#include "common/log.h"
#include "master/core/master.h"
#include "master/core/master_config.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: cfs-master [-c FILE]\n"
               "  -c FILE   CubeFS-style master config (JSON). Without it: one master on\n"
               "            127.0.0.1:17010, cluster cfs-local, data under ./cfs-data/master1.\n"
               "Keys are listed in README.md (Configuration reference).\n");
}

int main(int argc, char **argv)
{
    struct master_config cfg;
    char errmsg[ERRMSG_SIZE] = "";
    enum log_level level;
    const char *path = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "cfs-master: unknown argument \"%s\"\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    master_config_default(&cfg);
    if (path != NULL && config_load(path, master_config_fields, &cfg, errmsg) != 0) {
        fprintf(stderr, "cfs-master: %s\n", errmsg);
        return 2;
    }
    if (master_config_finish(&cfg, errmsg) != 0) {
        fprintf(stderr, "cfs-master: config%s%s: %s\n", path != NULL ? " " : "",
                path != NULL ? path : "", errmsg);
        return 2;
    }
    log_level_parse(cfg.log_level, &level);
    log_set_level(level);
    if (log_open(cfg.log_dir, "master", errmsg) != 0) {
        fprintf(stderr, "cfs-master: %s\n", errmsg);
        return 2;
    }
    http_client_global_init();
    return master_run(&cfg);
}

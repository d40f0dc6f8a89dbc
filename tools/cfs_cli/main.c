/* cfs-cli: the process edge. Everything else is in the cfs_cli_lib library (cli.h). */
#include "common/clock.h"
#include "common/http_client.h"
#include "common/log.h"
#include "tools/cfs_cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define POLL_INTERVAL_MS 1000

int main(int argc, char **argv)
{
    struct cli_env env = {
        .in = stdin,
        .out = stdout,
        .err = stderr,
        .in_tty = isatty(STDIN_FILENO) == 1,
        .out_tty = isatty(STDOUT_FILENO) == 1,
        .home = getenv("HOME"),
        .env_addr = getenv("CFS_MASTER_ADDR"),
        .now_ms = clock_mono_ms,
        .sleep_ms = clock_sleep_ms,
        .poll_interval_ms = POLL_INTERVAL_MS,
    };
    const char *level = getenv("CFS_CLI_LOG");
    enum log_level lv = LOG_LEVEL_OFF;

    /* Quiet unless asked: stdout and stderr belong to the command's output. */
    if (level != NULL) {
        (void)log_level_parse(level, &lv);
    }
    log_set_level(lv);
    if (http_client_global_init() != 0) {
        fprintf(stderr, "Error: cannot initialise libcurl\n");
        return CLI_EXIT_FAILURE;
    }
    return cli_run(&env, argc, argv);
}

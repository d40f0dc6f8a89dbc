/* Levelled logging with module tags.
 *
 * Each .c file may define LOG_TAG before including this header; lines carry the tag, file and
 * line. The level is checked before any formatting happens. Processes log at "info" to stderr or
 * to <logDir>/<name>.log; tests stay silent unless the environment variable CFS_LOG names a level
 * (CFS_LOG=debug ctest -V). */
#ifndef CFS_COMMON_LOG_H
#define CFS_COMMON_LOG_H

#ifndef LOG_TAG
#define LOG_TAG "cfs"
#endif

enum log_level {
    LOG_LEVEL_DEBUG = 0,
    LOG_LEVEL_INFO = 1,
    LOG_LEVEL_WARN = 2,
    LOG_LEVEL_ERROR = 3,
    LOG_LEVEL_OFF = 4
};

extern volatile int log_current_level;

/* Send logs to <dir>/<name>.log (appending), or to stderr when dir is NULL or empty. */
int log_open(const char *dir, const char *name, char *errmsg);
void log_close(void);
void log_set_level(enum log_level level);

/* "debug", "info", "warn"/"warning", "error", "off"/"none"; case-insensitive. */
int log_level_parse(const char *text, enum log_level *out);

/* Level from CFS_LOG when it is set and valid, otherwise fallback. */
void log_level_from_env(enum log_level fallback);

void log_write(enum log_level level, const char *tag, const char *file, int line, const char *fmt,
               ...) __attribute__((format(printf, 5, 6)));

#define LOG_AT(level, ...)                                                \
    do {                                                                  \
        if ((int)(level) >= log_current_level) {                          \
            log_write((level), LOG_TAG, __FILE__, __LINE__, __VA_ARGS__); \
        }                                                                 \
    } while (0)

#define log_debug(...) LOG_AT(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)  LOG_AT(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...)  LOG_AT(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) LOG_AT(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif

#include "common/log.h"

#include "common/errors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

volatile int log_current_level = LOG_LEVEL_INFO;

static int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

int log_open(const char *dir, const char *name, char *errmsg)
{
    char path[4096];
    int fd;

    if (dir == NULL || dir[0] == '\0') {
        log_close();
        return 0;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/%s.log", dir, name) >= sizeof(path)) {
        errors_set(errmsg, "log path too long: %s/%s.log", dir, name);
        return -ENAMETOOLONG;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rv = -errno;
        errors_set(errmsg, "cannot open log file %s: %s", path, strerror(errno));
        return rv;
    }
    log_close();
    log_fd = fd;
    return 0;
}

void log_close(void)
{
    if (log_fd != STDERR_FILENO) {
        close(log_fd);
        log_fd = STDERR_FILENO;
    }
}

void log_set_level(enum log_level level)
{
    log_current_level = (int)level;
}

int log_level_parse(const char *text, enum log_level *out)
{
    static const struct {
        const char *name;
        enum log_level level;
    } names[] = {{"debug", LOG_LEVEL_DEBUG},  {"info", LOG_LEVEL_INFO},   {"warn", LOG_LEVEL_WARN},
                 {"warning", LOG_LEVEL_WARN}, {"error", LOG_LEVEL_ERROR}, {"off", LOG_LEVEL_OFF},
                 {"none", LOG_LEVEL_OFF}};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(text, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    }
    return -EINVAL;
}

void log_level_from_env(enum log_level fallback)
{
    const char *env = getenv("CFS_LOG");
    enum log_level level;

    if (env == NULL || log_level_parse(env, &level) != 0) {
        level = fallback;
    }
    log_set_level(level);
}

void log_write(enum log_level level, const char *tag, const char *file, int line, const char *fmt,
               ...)
{
    char buf[4096];
    struct timeval tv;
    struct tm tm;
    const char *base = strrchr(file, '/');
    size_t n;
    int k;
    va_list ap;

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    n = strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    k = snprintf(buf + n, sizeof(buf) - n, ".%03ld %-5s [%s] %s:%d ", (long)(tv.tv_usec / 1000),
                 level_names[level > LOG_LEVEL_ERROR ? LOG_LEVEL_ERROR : level], tag,
                 base != NULL ? base + 1 : file, line);
    if (k > 0) {
        n += (size_t)k < sizeof(buf) - n ? (size_t)k : sizeof(buf) - n - 1;
    }
    va_start(ap, fmt);
    k = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
    va_end(ap);
    if (k > 0) {
        n += (size_t)k < sizeof(buf) - n ? (size_t)k : sizeof(buf) - n - 1;
    }
    if (n >= sizeof(buf) - 1) {
        n = sizeof(buf) - 2;
    }
    buf[n++] = '\n';
    /* One write per line keeps lines whole when threads or processes share the file. */
    while (write(log_fd, buf, n) < 0 && errno == EINTR) {
    }
}

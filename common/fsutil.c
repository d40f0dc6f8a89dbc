#define _XOPEN_SOURCE 700 /* nftw */

#include "common/fsutil.h"

#include "common/errors.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fsutil_mkdirs(const char *dir, char *errmsg)
{
    char path[PATH_MAX];
    struct stat st;
    size_t len = strlen(dir);

    if (len == 0) {
        errors_set(errmsg, "bad directory path \"\"");
        return -EINVAL;
    }
    if (len >= sizeof(path)) {
        errors_set(errmsg, "path too long: %s", dir);
        return -ENAMETOOLONG;
    }
    memcpy(path, dir, len + 1);
    /* Each prefix ending before a '/', then the whole path. */
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0') {
            continue;
        }
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            int rv = -errno;
            errors_set(errmsg, "mkdir %s: %s", path, strerror(-rv));
            return rv;
        }
        path[i] = dir[i];
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errors_set(errmsg, "%s is not a directory", dir);
        return -ENOTDIR;
    }
    return 0;
}

int fsutil_fsync_dir(const char *dir, char *errmsg)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rv = 0;

    if (fd < 0) {
        rv = -errno;
        errors_set(errmsg, "open directory %s: %s", dir, strerror(-rv));
        return rv;
    }
    if (fsync(fd) != 0) {
        rv = -errno;
        errors_set(errmsg, "fsync directory %s: %s", dir, strerror(-rv));
    }
    close(fd);
    return rv;
}

/* The directory holding path, so a rename inside it can be made durable. */
static int fsync_parent(const char *path, char *errmsg)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t n;

    if (slash == NULL) {
        return fsutil_fsync_dir(".", errmsg);
    }
    n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= sizeof(dir)) {
        errors_set(errmsg, "path too long: %s", path);
        return -ENAMETOOLONG;
    }
    memcpy(dir, path, n);
    dir[n] = '\0';
    return fsutil_fsync_dir(dir, errmsg);
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t k = write(fd, buf, len);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        buf += k;
        len -= (size_t)k;
    }
    return 0;
}

int fsutil_write_atomic(const char *path, const void *data, size_t len, char *errmsg)
{
    return fsutil_write_atomic_mode(path, data, len, 0644, errmsg);
}

int fsutil_write_atomic_mode(const char *path, const void *data, size_t len, mode_t mode,
                             char *errmsg)
{
    char tmp[PATH_MAX];
    int fd = -1;
    int rv;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s%s", path, FSUTIL_TMP_SUFFIX) >= sizeof(tmp)) {
        errors_set(errmsg, "path too long: %s", path);
        return -ENAMETOOLONG;
    }
    /* A temporary file left by a crash keeps its mode through O_TRUNC: start from a new one. */
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        rv = -errno;
        errors_set(errmsg, "create %s: %s", tmp, strerror(-rv));
        goto out;
    }
    rv = write_all(fd, data, len);
    if (rv != 0) {
        errors_set(errmsg, "write %s: %s", tmp, strerror(-rv));
        goto out;
    }
    if (fsync(fd) != 0) {
        rv = -errno;
        errors_set(errmsg, "fsync %s: %s", tmp, strerror(-rv));
        goto out;
    }
    rv = close(fd) == 0 ? 0 : -errno;
    fd = -1;
    if (rv != 0) {
        errors_set(errmsg, "close %s: %s", tmp, strerror(-rv));
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rv = -errno;
        errors_set(errmsg, "rename %s to %s: %s", tmp, path, strerror(-rv));
        goto out;
    }
    rv = fsync_parent(path, errmsg);
out:
    if (fd >= 0) {
        close(fd);
    }
    if (rv != 0) {
        unlink(tmp);
    }
    return rv;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int fsutil_remove_tree(const char *path, char *errmsg)
{
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT) {
        int rv = errno != 0 ? -errno : -EIO;
        errors_set(errmsg, "remove %s: %s", path, strerror(-rv));
        return rv;
    }
    return 0;
}

/* Small file-system helpers the stores and the master share: making directory trees, replacing a
 * file so a crash leaves either the old or the new content, and removing a tree.
 *
 * Crash safety of fsutil_write_atomic (kill -9 or power loss at any instruction): the bytes go to
 * <path>.tmp, which is fsynced, renamed over <path>, and the directory is fsynced, so <path> holds
 * either its old content or the whole new one; a leftover <path>.tmp is garbage the caller may
 * remove. Every error fills errmsg with the operation and the path ("mkdir /a/b: Permission
 * denied"). */
#ifndef CFS_COMMON_FSUTIL_H
#define CFS_COMMON_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#define FSUTIL_TMP_SUFFIX ".tmp"

/* Make dir, and its missing parents, directories (mode 0755). An existing directory is fine; an
 * existing non-directory is -ENOTDIR. */
int fsutil_mkdirs(const char *dir, char *errmsg);

/* Replace path with the len bytes at data, as described above, as a file of mode 0644. On error
 * <path>.tmp is removed. */
int fsutil_write_atomic(const char *path, const void *data, size_t len, char *errmsg);

/* The same with the file's mode (less the process umask), e.g. 0600 for a file holding a secret:
 * the file has that mode from its creation on, never a wider one. */
int fsutil_write_atomic_mode(const char *path, const void *data, size_t len, mode_t mode,
                             char *errmsg);

/* fsync the directory dir, so that a rename or create inside it is durable. */
int fsutil_fsync_dir(const char *dir, char *errmsg);

/* Remove path and everything below it, without following symbolic links. A missing path is not
 * an error. errmsg may be NULL. */
int fsutil_remove_tree(const char *path, char *errmsg);

#endif

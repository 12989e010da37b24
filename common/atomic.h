#ifndef MESH_ATOMIC_H
#define MESH_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

/* Replace path with data so that a crash leaves the old file or the new one,
 * never a mix: write a temporary beside it, fsync, rename, fsync the folder.
 * 0, or -errno (a full disk is -ENOSPC, and the old file is untouched). */
int atomic_write(const char *path, const void *data, size_t len, mode_t mode);

/* The same, and the new file gets uid:gid with fchown on the open
 * temporary, before the rename: never chown by path, which follows a
 * symlink the directory's owner may have planted there in the meantime.
 * (uid_t)-1 and (gid_t)-1 leave the owner as created, as fchown does.  The
 * temporary is created with O_EXCL, so nothing planted at its name is
 * followed or reused either. */
int atomic_write_owned(const char *path, const void *data, size_t len,
    mode_t mode, uid_t uid, gid_t gid);

/* The owner atomic_write_owned should give a file root writes in dir:
 * dir's owner and group when running as root (meshctl run by an admin,
 * in the state directory the packages make mesh:mesh, so that meshd can
 * read the keys), else -1 and -1.  0 or -errno (stat of dir). */
int atomic_owner_like_dir(const char *dir, uid_t *uid, gid_t *gid);

/* Read a whole small file (at most max bytes) into buf; length or -errno
 * (-EFBIG when larger than max). */
ssize_t read_small_file(const char *path, void *buf, size_t max);

#endif

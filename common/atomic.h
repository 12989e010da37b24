#ifndef MESH_ATOMIC_H
#define MESH_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

/* Replace path with data so that a crash leaves the old file or the new one,
 * never a mix: write a temporary beside it, fsync, rename, fsync the folder.
 * 0, or -errno (a full disk is -ENOSPC, and the old file is untouched). */
int atomic_write(const char *path, const void *data, size_t len, mode_t mode);

/* Read a whole small file (at most max bytes) into buf; length or -errno
 * (-EFBIG when larger than max). */
ssize_t read_small_file(const char *path, void *buf, size_t max);

#endif

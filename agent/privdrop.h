/*
 * meshd started as root becomes an unprivileged user once its sockets are
 * open, as the packaged unit (User=mesh) would have started it.
 */
#ifndef MESH_PRIVDROP_H
#define MESH_PRIVDROP_H

#include <stdbool.h>

/* If running as root, become user (meshd.conf "user", default mesh):
 * supplementary groups, gid and uid, all three ids each, and check that
 * root cannot be regained and that state_dir is writable.  Nothing to do,
 * and 0, when not root, when user is "root", or when user is the default
 * (!user_set) and no such user exists.  0, or -errno after one log line
 * saying what is wrong. */
int privdrop(const char *user, bool user_set, const char *state_dir);

#endif

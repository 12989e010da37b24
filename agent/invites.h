/*
 * The invite store's file in the state directory, on the CA holder:
 *   invites        0600  the store's bytes (overlay/invite.c), secrets inside
 *   invites.lock   0600  empty; flock'd while a store is open
 * overlay/invite.h keeps the store in memory and calls its save hook on
 * every change; this opens the file into a store and gives it a hook that
 * writes the file with atomic_write_owned.  So "the invite is on disk
 * before the token exists" and "a redeem is on disk before the certificate
 * is issued" hold as before.  The names keep the invite_store_ prefix of
 * the calls they were split from.
 */
#ifndef MESH_AGENT_INVITES_H
#define MESH_AGENT_INVITES_H

#include <sys/types.h>

#include "overlay/invite.h"

#define INVITE_FILE	"invites"	/* in the state directory */
#define INVITE_LOCK_SUFFIX	".lock"	/* beside it */

/* Open the invite file at path (none yet is fine) as a store that saves
 * back to it.  0, or -errno: -EINVAL when the file is damaged (it is our
 * own private file, so a damaged one is not guessed at: move it away to
 * start over).  The store holds an exclusive flock on path.lock from
 * before the read until invite_store_free, so meshctl invite and meshd's
 * redeem never lose each other's change (open waits for the other).
 * invite_store_free closes it. */
int invite_store_open(const char *path, struct invite_store **out);
/* The same, and every save gives the file uid:gid, on the open file before
 * the rename (atomic_write_owned); -1 leaves it as created. */
int invite_store_open_owned(const char *path, uid_t uid, gid_t gid,
    struct invite_store **out);

#endif

/*
 * The record set's daemon side: its file in the state directory (the
 * format is recset_serialize's, overlay/recset.h) and its export to the
 * name store.  overlay/ holds no file and no store; this does.
 */
#ifndef MESH_AGENT_RECORDS_H
#define MESH_AGENT_RECORDS_H

#include <sys/types.h>

#include "overlay/recset.h"
#include "store.h"

#define RECORDS_STALE_TTL 30	/* s: the TTL of an answer from a stale record */

/* Fill out[0..max) with one entry per held record, in name order, for
 * store_replace(SRC_PEER, ...): "label.mesh" -> the overlay address
 * (stale records too, flagged, for RECSET_STALE_MAX after their expiry
 * at unix time now: a member off for a night still resolves).
 * Returns how many were filled (at most max). */
size_t recset_export(const struct recset *s, struct store_rec *out,
    size_t max, uint32_t ttl, uint64_t now);
/* Write the set to path atomically (mode 0644: records are public).
 * 0 or -errno; on failure the old file and the set are unchanged. */
int recset_save(const struct recset *s, const char *path);
/* The same, the file owned by uid:gid (set on the open file, see
 * atomic_write_owned; -1 leaves it as created). */
int recset_save_owned(const struct recset *s, const char *path, uid_t uid,
    gid_t gid);
/* Read path into the set.  0, -ENOENT when there is no file yet, -EINVAL
 * for a file that is not a record set of this network, other -errno. */
int recset_load(struct recset *s, const char *path, uint64_t now,
    struct recset_load_report *rep);

#endif

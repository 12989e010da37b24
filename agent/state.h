/*
 * The state directory files of the overlay (beside agent/keys.h's):
 *   node.cert   0644  this node's certificate, the 204 bytes of its wire form
 *   peers       0644  bootstrap peers learned from join, one HOST:PORT a line
 *   revocations 0644  revocations made on the CA holder (meshctl revoke)
 * (the keys are keys.h's, the invites invites.h's, the records records.h's.)
 */
#ifndef MESH_STATE_H
#define MESH_STATE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "overlay/cert.h"

#define STATE_CERT_FILE		"node.cert"
#define STATE_PEERS_FILE	"peers"
#define STATE_PEERS_MAX		64
/* Revocations made here by `meshctl revoke`, wire form back to back;
 * meshd reads it when it changes. */
#define STATE_REVOCATIONS_FILE	"revocations"
#define STATE_REVOCATIONS_MAX	1024

/* Remove the temporaries that atomic_write leaves when its writer dies
 * (FILE.tmp.PID, FILE one of this directory's own files) once they are
 * older than STATE_TMP_AGE seconds or their pid is not running; nothing
 * else, and never through a symlink.  How many went. */
#define STATE_TMP_AGE		60
size_t state_clean_tmp(const char *dir, time_t now);

/* dir/file into out: 0 or -ENAMETOOLONG. */
int state_path(char *out, size_t len, const char *dir, const char *file);

/* atomic_write of dir/file; as root (meshctl run by an admin) the file
 * gets the owner and group of dir, as agent/keys.c does for the keys:
 * meshd runs as the mesh user and must read (invites: rewrite) what
 * meshctl wrote.  The owner is set on the open file before the rename
 * (atomic_write_owned), never by path.  0 or -errno. */
int state_write_owned(const char *dir, const char *file, const void *data,
    size_t len, mode_t mode);

/* 0, -ENOENT, -EINVAL (not a certificate), or -errno. */
int state_read_cert(const char *dir, struct mesh_cert *c);
int state_write_cert(const char *dir, const struct mesh_cert *c);

/* Fill hosts[0..max) with the peers file's lines (each at most
 * hostlen-1 bytes; longer ones are skipped).  Count, or -errno (-ENOENT:
 * no file). */
int state_read_peers(const char *dir, char (*hosts)[80], size_t max);
int state_write_peers(const char *dir, char (*hosts)[80], size_t n);

#endif

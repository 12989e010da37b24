/*
 * The node's keys and name in the state directory (default /var/lib/mesh):
 *   node.key      0600  base64 Ed25519 seed of this node
 *   node.pub      0644  base64 Ed25519 public key of this node
 *   node.name     0644  this node's name (one DNS label)
 *   network.key   0600  base64 seed of the network CA (on the node that made it)
 *   network.pub   0644  base64 public key of the network CA
 *
 * The daemon side of overlay/identity.h: that header keeps struct
 * mesh_identity and what is pure (identity_free, the fingerprint); this
 * one reads and writes the files.  Secrets (seeds, the text of key files,
 * the secret keys handed back) live only in sodium_malloc memory.  As
 * root (meshctl run by an admin) each new file gets the owner and group of
 * the state directory (state_write_owned): meshd, running as mesh, must
 * read the 0600 keys.
 */
#ifndef MESH_AGENT_KEYS_H
#define MESH_AGENT_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "overlay/identity.h"

/* Make a new node and a new network in dir (created 0750 if missing).
 * Refuses (-EEXIST) when dir already holds a node key.  0 or -errno, with a
 * message in err. */
int identity_create(const char *dir, const char *name, char *err, size_t errlen);

/* Node key and name only, for `meshctl join` (no network key); keeps a
 * node key left by an unfinished join.  -EEXIST when network.pub exists. */
int identity_create_node(const char *dir, const char *name, char *err,
    size_t errlen);
/* node.pub and node.key only (pk and sk; the rest zero), for a joiner
 * that has no network.pub yet. */
int identity_load_node_key(const char *dir, struct mesh_identity *id,
    char *err, size_t errlen);
/* network.pub, written by a join once the member sent it. */
int identity_write_ca_pub(const char *dir, const uint8_t ca_pk[static 32]);
/* The CA's 64-byte secret key from network.key, in sodium_malloc memory
 * (sodium_free it).  -ENOENT on a node that does not hold it. */
int identity_load_ca_secret(const char *dir, unsigned char **ca_sk,
    char *err, size_t errlen);

/* Read the public parts (no secret needed): 0 or -errno with err set;
 * -ENOENT when the node was never initialised. */
int identity_load_public(const char *dir, struct mesh_identity *id,
    char *err, size_t errlen);
/* Read the node's secret key too, and check it matches node.pub.  Free
 * with identity_free (overlay/identity.h). */
int identity_load_secret(const char *dir, struct mesh_identity *id,
    char *err, size_t errlen);

#endif

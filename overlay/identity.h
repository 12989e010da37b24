/*
 * Node identity: the Ed25519 node key, the network (CA) key, the node's name,
 * and what follows from them (network prefix, overlay address, fingerprint).
 *
 * State directory (default /var/lib/mesh):
 *   node.key      0600  base64 Ed25519 seed of this node
 *   node.pub      0644  base64 Ed25519 public key of this node
 *   node.name     0644  this node's name (one DNS label)
 *   network.key   0600  base64 seed of the network CA (on the node that made it)
 *   network.pub   0644  base64 public key of the network CA
 */
#ifndef MESH_IDENTITY_H
#define MESH_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "mesh/nss_wire.h"

#define IDENTITY_FP_LEN 40	/* "xxxx:xxxx:..." 8 groups of 4 hex + NUL */

struct mesh_identity {
	char name[MESH_LABEL_MAX + 1];
	uint8_t pk[32];
	uint8_t ca_pk[32];
	uint8_t prefix[MESH_PREFIX_LEN];
	uint8_t addr[16];
	unsigned char *sk;	/* 64 bytes in sodium_malloc memory, or NULL */
};

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
/* Read the node's secret key too, and check it matches node.pub. */
int identity_load_secret(const char *dir, struct mesh_identity *id,
    char *err, size_t errlen);
/* Wipe and free the secret; NULL-safe. */
void identity_free(struct mesh_identity *id);

void identity_fingerprint(const uint8_t pk[static 32], char out[static IDENTITY_FP_LEN]);

#endif

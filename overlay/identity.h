/*
 * Node identity: the Ed25519 node key, the network (CA) key, the node's name,
 * and what follows from them (network prefix and overlay address, addr.h;
 * the fingerprint).  Pure: the files they are kept in (node.key, node.pub,
 * node.name, network.key, network.pub) are agent/keys.h's.
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

/* Wipe and free the secret; NULL-safe. */
void identity_free(struct mesh_identity *id);

void identity_fingerprint(const uint8_t pk[static 32], char out[static IDENTITY_FP_LEN]);

#endif

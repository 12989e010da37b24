/*
 * Overlay addresses.  A network's prefix is a /48 inside fd6d::/16, taken
 * from a hash of the network's CA public key; a node's address is that
 * prefix followed by 80 bits of a hash of the node's public key.  Never a
 * truncation of a key: the hash mixes every key bit into every address bit,
 * so nobody can grind a key for a chosen address cheaper than 2^80 tries.
 *
 *   prefix = fd 6d || BLAKE2b-256("nss-mesh net-prefix v1" || ca_pk)[0..4)
 *   addr   = prefix || BLAKE2b-256("nss-mesh node-addr v1" || prefix || node_pk)[0..10)
 *
 * BLAKE2b is libsodium's crypto_generichash; the strings are domain
 * separators, without a NUL.  tests/check_addr.c pins vectors.
 */
#ifndef MESH_ADDR_H
#define MESH_ADDR_H

#include <stdint.h>

#define MESH_PREFIX_LEN 6	/* bytes: a /48 */

void mesh_net_prefix(const uint8_t ca_pk[static 32],
    uint8_t prefix[static MESH_PREFIX_LEN]);
void mesh_node_addr(const uint8_t prefix[static MESH_PREFIX_LEN],
    const uint8_t node_pk[static 32], uint8_t addr[static 16]);

#endif

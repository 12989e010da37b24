#include "config.h"

#include <string.h>
#include <sodium.h>

#include "addr.h"
#include "mesh/nss_wire.h"

#define NET_DOMAIN "nss-mesh net-prefix v1"
#define NODE_DOMAIN "nss-mesh node-addr v1"

void
mesh_net_prefix(const uint8_t ca_pk[static 32],
    uint8_t prefix[static MESH_PREFIX_LEN])
{
	crypto_generichash_state st;
	uint8_t h[32];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)NET_DOMAIN,
	    sizeof(NET_DOMAIN) - 1);
	crypto_generichash_update(&st, ca_pk, 32);
	crypto_generichash_final(&st, h, sizeof(h));
	prefix[0] = MESH_PREFIX_BYTE0;
	prefix[1] = MESH_PREFIX_BYTE1;
	memcpy(prefix + 2, h, 4);
}

void
mesh_node_addr(const uint8_t prefix[static MESH_PREFIX_LEN],
    const uint8_t node_pk[static 32], uint8_t addr[static 16])
{
	crypto_generichash_state st;
	uint8_t h[32];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)NODE_DOMAIN,
	    sizeof(NODE_DOMAIN) - 1);
	crypto_generichash_update(&st, prefix, MESH_PREFIX_LEN);
	crypto_generichash_update(&st, node_pk, 32);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(addr, prefix, MESH_PREFIX_LEN);
	memcpy(addr + MESH_PREFIX_LEN, h, 16 - MESH_PREFIX_LEN);
}

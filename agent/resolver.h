#ifndef MESH_RESOLVER_H
#define MESH_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "mesh/nss_wire.h"
#include "store.h"

/* Answer one request datagram of len bytes from any local user.  prefix is
 * this network's /48 (6 bytes), or NULL when the node has no identity yet.
 * Pure: no I/O, no allocation; tests and the fuzzer call it directly. */
void resolve(const struct store *s, const uint8_t *prefix, const void *msg,
    size_t len, struct mesh_resp *resp);

#endif

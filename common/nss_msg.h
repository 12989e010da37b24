/* Building and checking NSS protocol messages: libc only, no state. */
#ifndef MESH_COMMON_NSS_MSG_H
#define MESH_COMMON_NSS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/nss_wire.h"

/* Fill req for a lookup of name[0..len); false if it does not fit. */
bool mesh_req_byname(struct mesh_req *req, const char *name, size_t len);
/* Fill req for a reverse lookup; family is AF_INET or AF_INET6. */
bool mesh_req_byaddr(struct mesh_req *req, int family, const void *addr);

/* Check a received request of got bytes: MESH_ST_OK or MESH_ST_BADREQ. */
enum mesh_status mesh_req_check(const struct mesh_req *req, size_t got);

/* Start an answer of the given status to req (name and addresses empty). */
void mesh_resp_init(struct mesh_resp *resp, enum mesh_status status);

/* Check a received answer of got bytes; false when it is malformed. */
bool mesh_resp_check(const struct mesh_resp *resp, size_t got);

/* Is addr (family AF_INET6, 16 bytes) inside fd6d::/16? */
bool mesh_addr6_maybe_mesh(const uint8_t addr[16]);

#endif

/* Private to libnss_mesh.so.2; nothing here is exported (see nss-mesh.sym). */
#ifndef NSS_MESH_H
#define NSS_MESH_H

#include <netdb.h>
#include <nss.h>
#include <stddef.h>

#include "mesh/nss_wire.h"

/* How long one lookup may wait for a hung agent, in milliseconds, from
 * socket() to the answer.  A dead agent fails at once (ENOENT or
 * ECONNREFUSED from connect); only a live-but-stuck one costs this much. */
#define MESH_NSS_TIMEOUT_MS 250

/* query.c: one request, one answer.  0, or -errno: -ENOENT/-ECONNREFUSED
 * (agent down), -ETIMEDOUT (agent hung), -EPROTO (garbled answer). */
int mesh_query(const struct mesh_req *req, struct mesh_resp *resp);
/* The same against another socket (meshctl uses the configured one). */
int mesh_query_at(const char *path, const struct mesh_req *req,
    struct mesh_resp *resp);

/* fill.c: lay an answer into the caller's buffer.  0, -ERANGE when buflen is
 * too small (nothing written past buflen), -ENODATA when the name has no
 * address of the family asked for. */
int mesh_fill_hostent(const char *name, size_t name_len, int af,
    const void *addrs, size_t naddr, struct hostent *h,
    char *buf, size_t buflen);
int mesh_fill_gaih(const struct mesh_resp *r, struct gaih_addrtuple **pat,
    char *buf, size_t buflen);

#endif

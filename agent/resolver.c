#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "common/name.h"
#include "common/nss_msg.h"
#include "resolver.h"

static void
answer(struct mesh_resp *resp, const struct store_rec *r)
{
	mesh_resp_init(resp, MESH_ST_OK);
	resp->ttl = r->ttl;
	resp->name_len = r->name_len;
	memcpy(resp->name, r->name, r->name_len);
	resp->n4 = r->n4;
	resp->n6 = r->n6;
	memcpy(resp->addr4, r->addr4, (size_t)r->n4 * 4);
	memcpy(resp->addr6, r->addr6, (size_t)r->n6 * 16);
}

void
resolve(const struct store *s, const uint8_t *prefix, const void *msg,
    size_t len, struct mesh_resp *resp)
{
	const struct store_rec *r;
	struct mesh_req req;
	char canon[MESH_NAME_MAX + 1];
	int n;

	if (len != sizeof(req)) {
		mesh_resp_init(resp, MESH_ST_BADREQ);
		return;
	}
	memcpy(&req, msg, sizeof(req));	/* msg may be unaligned */
	if (mesh_req_check(&req, len) != MESH_ST_OK) {
		mesh_resp_init(resp, MESH_ST_BADREQ);
		return;
	}
	if (req.type == MESH_REQ_BYNAME) {
		size_t stem;
		if (!mesh_name_is_mesh(req.name, req.name_len, &stem)) {
			mesh_resp_init(resp, MESH_ST_NOTMINE);
			return;
		}
		n = mesh_name_canon(req.name, req.name_len, canon);
		r = n < 0 ? NULL : store_by_name(s, canon, (size_t)n);
	} else {
		r = store_by_addr(s, req.family, req.addr);
		if (r == NULL && (req.family != AF_INET6 || prefix == NULL ||
		    memcmp(req.addr, prefix, 6) != 0)) {
			/* Outside our /48: maybe another mesh's, or a home
			 * router's ULA that happens to start fd6d. */
			mesh_resp_init(resp, MESH_ST_NOTMINE);
			return;
		}
	}
	if (r == NULL)
		mesh_resp_init(resp, MESH_ST_NOTFOUND);
	else
		answer(resp, r);
}

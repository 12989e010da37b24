#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "nss_msg.h"

bool
mesh_req_byname(struct mesh_req *req, const char *name, size_t len)
{
	memset(req, 0, sizeof(*req));
	if (len == 0 || len > MESH_NAME_MAX)
		return false;
	req->magic = MESH_PROTO_MAGIC;
	req->version = MESH_PROTO_VERSION;
	req->type = MESH_REQ_BYNAME;
	req->name_len = (uint16_t)len;
	memcpy(req->name, name, len);
	return true;
}

bool
mesh_req_byaddr(struct mesh_req *req, int family, const void *addr)
{
	memset(req, 0, sizeof(*req));
	if (family != AF_INET && family != AF_INET6)
		return false;
	req->magic = MESH_PROTO_MAGIC;
	req->version = MESH_PROTO_VERSION;
	req->type = MESH_REQ_BYADDR;
	req->family = (uint16_t)family;
	memcpy(req->addr, addr, family == AF_INET ? 4 : 16);
	return true;
}

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	unsigned char acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= c[i];
	return acc == 0;
}

enum mesh_status
mesh_req_check(const struct mesh_req *req, size_t got)
{
	if (got != sizeof(*req) || req->magic != MESH_PROTO_MAGIC ||
	    req->version != MESH_PROTO_VERSION || req->reserved != 0)
		return MESH_ST_BADREQ;
	switch (req->type) {
	case MESH_REQ_BYNAME:
		if (req->family != 0 || req->name_len == 0 ||
		    req->name_len > MESH_NAME_MAX ||
		    memchr(req->name, '\0', req->name_len) != NULL ||
		    !all_zero(req->name + req->name_len,
		    sizeof(req->name) - req->name_len) ||
		    !all_zero(req->addr, sizeof(req->addr)))
			return MESH_ST_BADREQ;
		return MESH_ST_OK;
	case MESH_REQ_BYADDR:
		if ((req->family != AF_INET && req->family != AF_INET6) ||
		    req->name_len != 0 || !all_zero(req->name, sizeof(req->name)) ||
		    (req->family == AF_INET && !all_zero(req->addr + 4, 12)))
			return MESH_ST_BADREQ;
		return MESH_ST_OK;
	default:
		return MESH_ST_BADREQ;
	}
}

void
mesh_resp_init(struct mesh_resp *resp, enum mesh_status status)
{
	memset(resp, 0, sizeof(*resp));
	resp->magic = MESH_PROTO_MAGIC;
	resp->version = MESH_PROTO_VERSION;
	resp->status = (uint16_t)status;
}

bool
mesh_resp_check(const struct mesh_resp *resp, size_t got)
{
	/* As strict as mesh_req_check: a nonzero reserved field or bytes
	 * after the name mean the other end speaks another layout. */
	if (got != sizeof(*resp) || resp->magic != MESH_PROTO_MAGIC ||
	    resp->version != MESH_PROTO_VERSION || resp->reserved != 0)
		return false;
	switch (resp->status) {
	case MESH_ST_OK:
		return resp->name_len > 0 && resp->name_len <= MESH_NAME_MAX &&
		    memchr(resp->name, '\0', resp->name_len) == NULL &&
		    all_zero(resp->name + resp->name_len,
		    sizeof(resp->name) - resp->name_len) &&
		    resp->n4 <= MESH_ADDR4_MAX && resp->n6 <= MESH_ADDR6_MAX;
	case MESH_ST_NOTFOUND:
	case MESH_ST_NOTMINE:
	case MESH_ST_BADREQ:
	case MESH_ST_NOTREADY:
		return true;
	default:
		return false;
	}
}

bool
mesh_addr6_maybe_mesh(const uint8_t addr[16])
{
	return addr[0] == MESH_PREFIX_BYTE0 &&
	    addr[1] == MESH_PREFIX_BYTE1;
}

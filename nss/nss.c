/*
 * The six glibc entry points.  This file only maps: names and addresses that
 * are not ours are turned away before any syscall, the agent's answer is
 * turned into NSS statuses here and nowhere else.
 *
 * Status policy (documented in README and nss-mesh(8)), for the line
 *     hosts: files mesh [!UNAVAIL=return] dns
 *   not a .mesh name / not a mesh address   -> UNAVAIL   (continue to dns)
 *   a .mesh name nobody holds               -> NOTFOUND  (return: no DNS leak)
 *   a .mesh name with no address of family  -> NOTFOUND, h_errno NO_DATA
 *   agent down, hung, starting or garbled   -> TRYAGAIN, h_errno TRY_AGAIN
 *   caller's buffer too small               -> TRYAGAIN, ERANGE, NETDB_INTERNAL
 * UNAVAIL is reserved for "not ours" because it is the one status the line
 * lets through: were "not ours" NOTFOUND, no action could tell it from "ours
 * and absent", and a mistyped .mesh name would go out to DNS.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common/name.h"
#include "common/nss_msg.h"
#include "nss-mesh.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT enum nss_status _nss_mesh_gethostbyname4_r(const char *,
    struct gaih_addrtuple **, char *, size_t, int *, int *, int32_t *);
EXPORT enum nss_status _nss_mesh_gethostbyname3_r(const char *, int,
    struct hostent *, char *, size_t, int *, int *, int32_t *, char **);
EXPORT enum nss_status _nss_mesh_gethostbyname2_r(const char *, int,
    struct hostent *, char *, size_t, int *, int *);
EXPORT enum nss_status _nss_mesh_gethostbyname_r(const char *,
    struct hostent *, char *, size_t, int *, int *);
EXPORT enum nss_status _nss_mesh_gethostbyaddr2_r(const void *, socklen_t,
    int, struct hostent *, char *, size_t, int *, int *, int32_t *);
EXPORT enum nss_status _nss_mesh_gethostbyaddr_r(const void *, socklen_t,
    int, struct hostent *, char *, size_t, int *, int *);

static enum nss_status
not_ours(int *errnop, int *h_errnop)
{
	*errnop = ENOENT;
	*h_errnop = HOST_NOT_FOUND;
	return NSS_STATUS_UNAVAIL;
}

static enum nss_status
not_found(int *errnop, int *h_errnop, int herr)
{
	*errnop = ENOENT;
	*h_errnop = herr;
	return NSS_STATUS_NOTFOUND;
}

static enum nss_status
try_again(int *errnop, int *h_errnop, int err)
{
	*errnop = err;
	*h_errnop = TRY_AGAIN;
	return NSS_STATUS_TRYAGAIN;
}

static enum nss_status
too_small(int *errnop, int *h_errnop)
{
	*errnop = ERANGE;
	*h_errnop = NETDB_INTERNAL;
	return NSS_STATUS_TRYAGAIN;
}

/* Ask the agent and map everything but MESH_ST_OK to a status. */
static enum nss_status
ask(const struct mesh_req *req, struct mesh_resp *resp, int *errnop,
    int *h_errnop)
{
	int rc = mesh_query(req, resp);

	if (rc < 0)
		return try_again(errnop, h_errnop, -rc);
	switch (resp->status) {
	case MESH_ST_OK:
		return NSS_STATUS_SUCCESS;
	case MESH_ST_NOTFOUND:
		return not_found(errnop, h_errnop, HOST_NOT_FOUND);
	case MESH_ST_NOTMINE:
		return not_ours(errnop, h_errnop);
	case MESH_ST_NOTREADY:
		return try_again(errnop, h_errnop, EAGAIN);
	default:
		return try_again(errnop, h_errnop, EPROTO);
	}
}

static enum nss_status
ask_name(const char *name, struct mesh_resp *resp, int *errnop, int *h_errnop)
{
	struct mesh_req req;
	size_t len, stem;

	if (name == NULL)
		return not_ours(errnop, h_errnop);
	len = strnlen(name, MESH_NAME_MAX + 2);
	if (!mesh_name_is_mesh(name, len, &stem))
		return not_ours(errnop, h_errnop);
	if (name[len - 1] == '.')
		len--;
	if (!mesh_req_byname(&req, name, len))
		return not_found(errnop, h_errnop, HOST_NOT_FOUND);
	return ask(&req, resp, errnop, h_errnop);
}

enum nss_status
_nss_mesh_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat,
    char *buffer, size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp)
{
	struct mesh_resp resp;
	enum nss_status st;
	int rc;

	st = ask_name(name, &resp, errnop, h_errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	rc = mesh_fill_gaih(&resp, pat, buffer, buflen);
	if (rc == -ERANGE)
		return too_small(errnop, h_errnop);
	if (rc < 0)
		return not_found(errnop, h_errnop, NO_DATA);
	if (ttlp != NULL)
		*ttlp = (int32_t)resp.ttl;
	return NSS_STATUS_SUCCESS;
}

enum nss_status
_nss_mesh_gethostbyname3_r(const char *name, int af, struct hostent *result,
    char *buffer, size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp,
    char **canonp)
{
	struct mesh_resp resp;
	enum nss_status st;
	const void *addrs;
	size_t naddr;
	int rc;

	if (af == AF_UNSPEC)
		af = AF_INET;
	if (af != AF_INET && af != AF_INET6) {
		*errnop = EAFNOSUPPORT;
		*h_errnop = NO_RECOVERY;
		return NSS_STATUS_UNAVAIL;
	}
	st = ask_name(name, &resp, errnop, h_errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	addrs = af == AF_INET ? (const void *)resp.addr4 : (const void *)resp.addr6;
	naddr = af == AF_INET ? resp.n4 : resp.n6;
	rc = mesh_fill_hostent(resp.name, resp.name_len, af, addrs, naddr,
	    result, buffer, buflen);
	if (rc == -ERANGE)
		return too_small(errnop, h_errnop);
	if (rc < 0)
		return not_found(errnop, h_errnop, NO_DATA);
	if (ttlp != NULL)
		*ttlp = (int32_t)resp.ttl;
	if (canonp != NULL)
		*canonp = result->h_name;
	return NSS_STATUS_SUCCESS;
}

enum nss_status
_nss_mesh_gethostbyname2_r(const char *name, int af, struct hostent *result,
    char *buffer, size_t buflen, int *errnop, int *h_errnop)
{
	return _nss_mesh_gethostbyname3_r(name, af, result, buffer, buflen,
	    errnop, h_errnop, NULL, NULL);
}

enum nss_status
_nss_mesh_gethostbyname_r(const char *name, struct hostent *result,
    char *buffer, size_t buflen, int *errnop, int *h_errnop)
{
	return _nss_mesh_gethostbyname3_r(name, AF_INET, result, buffer, buflen,
	    errnop, h_errnop, NULL, NULL);
}

enum nss_status
_nss_mesh_gethostbyaddr2_r(const void *addr, socklen_t len, int af,
    struct hostent *result, char *buffer, size_t buflen, int *errnop,
    int *h_errnop, int32_t *ttlp)
{
	struct mesh_resp resp;
	struct mesh_req req;
	enum nss_status st;
	int rc;

	/* Only IPv6 addresses in the mesh range are ours: IPv4 addresses of
	 * static host records answer forward lookups only. */
	if (addr == NULL || af != AF_INET6 || len != 16 ||
	    !mesh_addr6_maybe_mesh(addr))
		return not_ours(errnop, h_errnop);
	mesh_req_byaddr(&req, af, addr);
	st = ask(&req, &resp, errnop, h_errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	rc = mesh_fill_hostent(resp.name, resp.name_len, af, addr, 1,
	    result, buffer, buflen);
	if (rc < 0)
		return too_small(errnop, h_errnop);
	if (ttlp != NULL)
		*ttlp = (int32_t)resp.ttl;
	return NSS_STATUS_SUCCESS;
}

enum nss_status
_nss_mesh_gethostbyaddr_r(const void *addr, socklen_t len, int af,
    struct hostent *result, char *buffer, size_t buflen, int *errnop,
    int *h_errnop)
{
	return _nss_mesh_gethostbyaddr2_r(addr, len, af, result, buffer, buflen,
	    errnop, h_errnop, NULL);
}

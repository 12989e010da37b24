/*
 * The NSS <-> meshd wire protocol.
 *
 * libnss_mesh.so.2 and meshd talk over an AF_UNIX SOCK_SEQPACKET socket
 * (MESH_NSS_SOCKET, fixed at build time).  SOCK_SEQPACKET keeps message
 * boundaries, so a request is exactly one datagram of sizeof(struct
 * mesh_req) bytes and its answer exactly one datagram of sizeof(struct
 * mesh_resp) bytes: a short or long datagram is detectable and rejected.
 *
 * Both ends sit on the same host, so integers are in host byte order.  The
 * layout is pinned by the _Static_asserts below; any change to it bumps
 * MESH_PROTO_VERSION.  A connection carries one request and its one answer,
 * after which meshd hangs up; one answer carries the addresses of both
 * families (one round trip serves getaddrinfo(AF_UNSPEC)).
 */
#ifndef MESH_NSS_WIRE_H
#define MESH_NSS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define MESH_PROTO_MAGIC	0x3148534du	/* "MSH1" in memory on LE */
#define MESH_PROTO_VERSION	1

#define MESH_SUFFIX		"mesh"		/* names are LABEL.mesh */
#define MESH_NAME_MAX		253		/* full name, no trailing dot */
#define MESH_LABEL_MAX		63
#define MESH_ADDR4_MAX		16		/* addresses per name, per family */
#define MESH_ADDR6_MAX		16

/* Every mesh address lies in fd6d::/16; a network's own /48 lies in it
 * (see overlay/addr.c).  The module uses this cheap test to decide, without
 * a syscall, whether a reverse lookup might be ours. */
#define MESH_PREFIX_BYTE0	0xfd
#define MESH_PREFIX_BYTE1	0x6d

enum mesh_req_type {
	MESH_REQ_BYNAME = 1,	/* name -> addresses of both families */
	MESH_REQ_BYADDR = 2,	/* address -> name */
};

enum mesh_status {
	MESH_ST_OK = 0,		/* answer holds the name and its addresses */
	MESH_ST_NOTFOUND = 1,	/* a mesh name/address that nobody holds */
	MESH_ST_NOTMINE = 2,	/* not in this mesh: let other sources answer */
	MESH_ST_BADREQ = 3,	/* malformed request */
	MESH_ST_NOTREADY = 4,	/* agent is starting; try again */
};

struct mesh_req {
	uint32_t magic;
	uint16_t version;
	uint16_t type;		/* enum mesh_req_type */
	uint16_t family;	/* BYADDR: AF_INET or AF_INET6; BYNAME: 0 */
	uint16_t name_len;	/* BYNAME: bytes used in name[], no NUL */
	uint32_t reserved;	/* zero */
	uint8_t addr[16];	/* BYADDR: 4 or 16 bytes used */
	char name[256];		/* BYNAME: the name, zero padded */
};

struct mesh_resp {
	uint32_t magic;
	uint16_t version;
	uint16_t status;	/* enum mesh_status */
	uint32_t ttl;		/* seconds the answer may be cached */
	uint16_t n4;		/* addresses used in addr4[] */
	uint16_t n6;		/* addresses used in addr6[] */
	uint16_t name_len;	/* canonical name, lower case, no NUL */
	uint16_t reserved;	/* zero */
	char name[256];		/* zero padded */
	uint8_t addr4[MESH_ADDR4_MAX][4];
	uint8_t addr6[MESH_ADDR6_MAX][16];
};

_Static_assert(sizeof(struct mesh_req) == 288, "mesh_req layout changed");
_Static_assert(offsetof(struct mesh_req, addr) == 16, "mesh_req layout changed");
_Static_assert(offsetof(struct mesh_req, name) == 32, "mesh_req layout changed");
_Static_assert(sizeof(struct mesh_resp) == 596, "mesh_resp layout changed");
_Static_assert(offsetof(struct mesh_resp, name) == 20, "mesh_resp layout changed");
_Static_assert(offsetof(struct mesh_resp, addr4) == 276, "mesh_resp layout changed");
_Static_assert(offsetof(struct mesh_resp, addr6) == 340, "mesh_resp layout changed");
_Static_assert(MESH_NAME_MAX < sizeof(((struct mesh_req *)0)->name), "name too long");

#endif

/*
 * Wire formats of the overlay's signed objects: certificates, revocations,
 * node records, and the invite token.
 *
 * These cross the network between hosts of any byte order, so unlike
 * mesh/nss_wire.h nothing here is a C integer: every wire struct is made of
 * uint8_t arrays only (alignment 1, no padding, pinned by the
 * _Static_asserts below), integers are little-endian and are read and
 * written with the mesh_get_le and mesh_put_le helpers.  The in-memory
 * forms with native integers live in overlay/cert.h and overlay/record.h;
 * the encode and decode functions convert, and decode accepts only the
 * canonical encoding (reserved and padding bytes zero), so a decoded object
 * re-encodes to the same bytes and a signature over the bytes is a
 * signature over the meaning.
 *
 * Every object starts with a kind byte and a version byte, and carries the
 * network id:
 *
 *   network id = BLAKE2b-128("nss-mesh network-id v1" || ca_pk)
 *
 * Signatures are Ed25519 (crypto_sign_detached) over
 *   domain string || every byte of the object before its sig field,
 * with a domain string per kind (below), so a signature made for one kind
 * of object, or by other code with the same key, never verifies as another.
 *
 * Any change to a layout bumps that object's version byte.
 */
#ifndef MESH_RECORD_H
#define MESH_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define MESH_NETID_LEN		16
#define MESH_KEY_LEN		32	/* Ed25519 public key */
#define MESH_SIG_LEN		64	/* Ed25519 signature */
#define MESH_EP_MAX		8	/* underlay endpoints per record */

enum mesh_kind {
	MESH_KIND_CERT = 0x43,		/* 'C' */
	MESH_KIND_REVOCATION = 0x52,	/* 'R' */
	MESH_KIND_RECORD = 0x4e,	/* 'N' */
};

#define MESH_CERT_VERSION	1
#define MESH_REV_VERSION	1
#define MESH_RECORD_VERSION	1
#define MESH_INVITE_VERSION	1

#define MESH_CERT_DOMAIN	"nss-mesh cert v1"
#define MESH_REV_DOMAIN		"nss-mesh revocation v1"
#define MESH_RECORD_DOMAIN	"nss-mesh node-record v1"
#define MESH_NETID_DOMAIN	"nss-mesh network-id v1"

/* Certificate: the CA binds a name to a node key for a time. */
struct mesh_cert_wire {
	uint8_t kind;			/* MESH_KIND_CERT */
	uint8_t version;		/* MESH_CERT_VERSION */
	uint8_t name_len;		/* 1..63 */
	uint8_t reserved;		/* 0 */
	uint8_t net_id[MESH_NETID_LEN];
	uint8_t name[64];		/* one lower-case DNS label, 0-padded */
	uint8_t node_pk[MESH_KEY_LEN];
	uint8_t not_before[8];		/* unix seconds */
	uint8_t not_after[8];		/* unix seconds, exclusive */
	uint8_t serial[8];
	uint8_t sig[MESH_SIG_LEN];	/* by the CA key */
};

/* Revocation: the CA withdraws one certificate (by serial) or every
 * certificate of one node key.  `until` is when the revocation may be
 * forgotten: the latest not_after of what it revokes (UINT64_MAX: never). */
enum mesh_rev_target {
	MESH_REV_SERIAL = 1,
	MESH_REV_KEY = 2,
};

struct mesh_rev_wire {
	uint8_t kind;			/* MESH_KIND_REVOCATION */
	uint8_t version;		/* MESH_REV_VERSION */
	uint8_t target;			/* enum mesh_rev_target */
	uint8_t reserved;		/* 0 */
	uint8_t net_id[MESH_NETID_LEN];
	uint8_t what[32];		/* SERIAL: 8 bytes LE then 0s; KEY: the key */
	uint8_t revoked_at[8];
	uint8_t until[8];
	uint8_t sig[MESH_SIG_LEN];	/* by the CA key */
};

/* One underlay endpoint.  IPv4 uses addr[0..4) and leaves the rest 0. */
enum mesh_ep_family {
	MESH_EP_IPV4 = 4,
	MESH_EP_IPV6 = 6,
};

struct mesh_ep_wire {
	uint8_t family;			/* enum mesh_ep_family; 0 = unused slot */
	uint8_t port[2];		/* LE like everything else here */
	uint8_t addr[16];
};

/* Node record: what a node says about itself, signed by its own key.
 * Stores keep the record with the highest seq per key, so seq must grow
 * even across a restart that lost state: a node should use
 * max(last seq + 1, unix time in microseconds). */
struct mesh_record_wire {
	uint8_t kind;			/* MESH_KIND_RECORD */
	uint8_t version;		/* MESH_RECORD_VERSION */
	uint8_t n_ep;			/* 0..MESH_EP_MAX, used slots first */
	uint8_t reserved;		/* 0 */
	uint8_t net_id[MESH_NETID_LEN];
	struct mesh_cert_wire cert;
	uint8_t addr[16];		/* = mesh_node_addr(prefix, cert.node_pk) */
	uint8_t seq[8];			/* strictly grows per node key */
	uint8_t expires[8];		/* unix seconds, exclusive */
	struct mesh_ep_wire ep[MESH_EP_MAX];
	uint8_t sig[MESH_SIG_LEN];	/* by cert.node_pk */
};

/*
 * Invite token, the bytes behind the "mesh1-" text (base64url, no padding).
 * Unlike the objects above it is not fixed-size: a fixed 64-byte host and
 * 64-byte name would double the length of a token that people paste, so
 * the head is fixed and the two strings follow with a length byte each;
 * a 4-byte BLAKE2b check closes it so a mangled paste is refused at once
 * instead of looking like a wrong secret later.
 *
 *   head | host_len | host | name_len | name | check[4]
 *   check = BLAKE2b-32("nss-mesh invite-check v1" || everything before)
 */
#define MESH_INVITE_SECRET_LEN	16
#define MESH_INVITE_HOST_MAX	64	/* "host:port", "[v6]:port" */
#define MESH_INVITE_CHECK_LEN	4
#define MESH_INVITE_PREFIX	"mesh1-"

struct mesh_invite_head_wire {
	uint8_t version;		/* MESH_INVITE_VERSION */
	uint8_t expires[8];		/* unix seconds */
	uint8_t net_id[MESH_NETID_LEN];
	uint8_t member_pk[MESH_KEY_LEN];	/* the member to contact */
	uint8_t secret[MESH_INVITE_SECRET_LEN];
};

#define MESH_INVITE_WIRE_MIN (sizeof(struct mesh_invite_head_wire) + 1 + 1 + \
	1 + 1 + MESH_INVITE_CHECK_LEN)
#define MESH_INVITE_WIRE_MAX (sizeof(struct mesh_invite_head_wire) + 1 + \
	MESH_INVITE_HOST_MAX + 1 + 63 + MESH_INVITE_CHECK_LEN)

_Static_assert(sizeof(struct mesh_cert_wire) == 204, "cert layout changed");
_Static_assert(offsetof(struct mesh_cert_wire, node_pk) == 84, "cert layout changed");
_Static_assert(offsetof(struct mesh_cert_wire, sig) == 140, "cert layout changed");
_Static_assert(sizeof(struct mesh_rev_wire) == 132, "revocation layout changed");
_Static_assert(offsetof(struct mesh_rev_wire, sig) == 68, "revocation layout changed");
_Static_assert(sizeof(struct mesh_ep_wire) == 19, "endpoint layout changed");
_Static_assert(sizeof(struct mesh_record_wire) == 472, "record layout changed");
_Static_assert(offsetof(struct mesh_record_wire, addr) == 224, "record layout changed");
_Static_assert(offsetof(struct mesh_record_wire, ep) == 256, "record layout changed");
_Static_assert(offsetof(struct mesh_record_wire, sig) == 408, "record layout changed");
_Static_assert(sizeof(struct mesh_invite_head_wire) == 73, "invite layout changed");

/* Little-endian helpers: the only way integers enter or leave the wire. */
static inline void
mesh_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
mesh_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t
mesh_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint64_t
mesh_get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#endif

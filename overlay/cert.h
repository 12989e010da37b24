/*
 * The network CA: certificates that bind a name to a node key, and
 * revocations that take them back.  Pure code: no files, no clock (callers
 * pass `now`), no sockets.  Wire layouts are in mesh/signed_wire.h.
 *
 * The CA is the Ed25519 key in network.key (agent/keys.h); whoever
 * holds network.pub can verify.  A certificate is valid at time t when
 * not_before <= t < not_after.  cert_issue() backdates not_before by
 * CERT_SKEW so a member whose clock is a little behind the CA's accepts a
 * fresh certificate.
 */
#ifndef MESH_CERT_H
#define MESH_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/nss_wire.h"
#include "mesh/signed_wire.h"

#define CERT_SKEW	300		/* seconds */

/*
 * Why an object was refused.  Shared by cert.c, record.c and recset.c so
 * that one counter array (struct recset_counters) names every reason.
 * 0 is success; the functions below return these values, never -errno.
 */
enum vr {
	VR_OK = 0,
	VR_FORMAT,	/* wrong length, kind, or non-canonical bytes */
	VR_VERSION,	/* a version this code does not know */
	VR_NETWORK,	/* another network's id */
	VR_NAME,	/* not one lower-case DNS label */
	VR_SIG,		/* a signature does not verify */
	VR_NOTYET,	/* certificate not valid yet */
	VR_EXPIRED,	/* certificate or record past its end */
	VR_REVOKED,	/* certificate serial or node key revoked */
	VR_ADDR,	/* overlay address is not the node key's */
	VR_ENDPOINT,	/* malformed endpoint list */
	VR_STALE,	/* sequence older than the one held */
	VR_DUP,		/* sequence equal to the one held */
	VR_NAMECLASH,	/* name held by another key with a newer certificate */
	VR_FULL,	/* the set holds as many records as it may */
	VR_MAX
};

/* Short identifier ("bad_signature"), for counters in JSON, and a
 * sentence fragment ("signature does not verify") for messages. */
const char *vr_id(enum vr v);
const char *vr_str(enum vr v);

struct mesh_cert {
	uint8_t net_id[MESH_NETID_LEN];
	char name[MESH_LABEL_MAX + 1];		/* NUL-terminated */
	uint8_t node_pk[MESH_KEY_LEN];
	uint64_t not_before, not_after, serial;
	uint8_t sig[MESH_SIG_LEN];
};

struct mesh_revocation {
	uint8_t net_id[MESH_NETID_LEN];
	enum mesh_rev_target target;
	uint64_t serial;			/* target == MESH_REV_SERIAL */
	uint8_t node_pk[MESH_KEY_LEN];		/* target == MESH_REV_KEY */
	uint64_t revoked_at, until;
	uint8_t sig[MESH_SIG_LEN];
};

/* The network id of a CA key (see mesh/signed_wire.h). */
void cert_net_id(const uint8_t ca_pk[static MESH_KEY_LEN],
    uint8_t net_id[static MESH_NETID_LEN]);

/* Issue a certificate for name (any case; stored lower-case) and node_pk,
 * valid from now - CERT_SKEW for lifetime seconds, with a random serial.
 * ca_sk is the 64-byte libsodium secret key.  VR_OK or VR_NAME. */
enum vr cert_issue(struct mesh_cert *c, const unsigned char *ca_sk,
    const char *name, const uint8_t node_pk[static MESH_KEY_LEN],
    uint64_t now, uint64_t lifetime);

/* Is c a certificate of ca_pk's network, valid at now?  Checks in order of
 * cost: network id, name, validity time, then the CA signature.  The
 * revocation check is the caller's (revset_check), as it needs the set. */
enum vr cert_verify(const struct mesh_cert *c,
    const uint8_t ca_pk[static MESH_KEY_LEN], uint64_t now);

void cert_encode(const struct mesh_cert *c, struct mesh_cert_wire *w);
enum vr cert_decode(const struct mesh_cert_wire *w, struct mesh_cert *c);

/* Revocations. */
enum vr rev_make(struct mesh_revocation *r, const unsigned char *ca_sk,
    const uint8_t ca_pk[static MESH_KEY_LEN], enum mesh_rev_target target,
    uint64_t serial, const uint8_t *node_pk, uint64_t now, uint64_t until);
enum vr rev_verify(const struct mesh_revocation *r,
    const uint8_t ca_pk[static MESH_KEY_LEN]);
void rev_encode(const struct mesh_revocation *r, struct mesh_rev_wire *w);
enum vr rev_decode(const struct mesh_rev_wire *w, struct mesh_revocation *r);

/* A set of verified revocations.  Small (a network revokes rarely), so a
 * plain array.  Zero-initialise before use. */
struct revset {
	struct mesh_revocation *v;
	size_t n, cap;
};

/* Verify r and keep it.  VR_OK (also when already held), a refusal, or
 * VR_FULL when memory runs out. */
enum vr revset_add(struct revset *rs, const struct mesh_revocation *r,
    const uint8_t ca_pk[static MESH_KEY_LEN]);
/* Does a held revocation cover c?  NULL rs revokes nothing. */
bool revset_check(const struct revset *rs, const struct mesh_cert *c);
/* Forget revocations whose `until` has passed; how many went. */
size_t revset_expire(struct revset *rs, uint64_t now);
void revset_free(struct revset *rs);

#endif

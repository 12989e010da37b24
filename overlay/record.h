/*
 * Node records: what a node publishes about itself (certificate, overlay
 * address, underlay endpoints), with a sequence number and an expiry,
 * signed by the node's own key.  Pure code; wire layout in mesh/signed_wire.h.
 */
#ifndef MESH_RECORD_H_OVERLAY
#define MESH_RECORD_H_OVERLAY

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "mesh/signed_wire.h"

#define RECORD_WIRE_LEN sizeof(struct mesh_record_wire)

struct mesh_endpoint {
	enum mesh_ep_family family;
	uint8_t addr[16];		/* IPv4: addr[0..4), rest 0 */
	uint16_t port;			/* host order here; LE on the wire */
};

struct mesh_record {
	uint8_t net_id[MESH_NETID_LEN];
	struct mesh_cert cert;
	uint8_t addr[16];
	uint64_t seq, expires;
	uint8_t n_ep;
	struct mesh_endpoint ep[MESH_EP_MAX];
	uint8_t sig[MESH_SIG_LEN];
};

/* May e go in a record?  A known family, port != 0, and a unicast
 * address that needs no scope: not 0.0.0.0/8, 224/4 and up (multicast,
 * reserved, 255.255.255.255), ::, ff00::/8, fe80::/10, nor an IPv4-mapped
 * address of the IPv4 kinds refused.  Loopback may (a mesh on one host);
 * record_ep_loopback says whether e is 127/8, ::ffff:127/104 or ::1. */
bool record_ep_ok(const struct mesh_endpoint *e);
bool record_ep_loopback(const struct mesh_endpoint *e);

/* Fill r for this node: its certificate, the overlay address derived from
 * the certificate's network and key, the endpoints, seq and expiry, and
 * sign it with node_sk (64-byte libsodium secret key, whose public half
 * must be cert->node_pk).  ca_pk gives the prefix.  VR_OK, VR_ENDPOINT
 * (more than MESH_EP_MAX or a bad one) or VR_FORMAT (key mismatch). */
enum vr record_make(struct mesh_record *r, const struct mesh_cert *cert,
    const uint8_t ca_pk[static MESH_KEY_LEN], const unsigned char *node_sk,
    const struct mesh_endpoint *ep, size_t n_ep, uint64_t seq,
    uint64_t expires);

/* Is r a record of ca_pk's network that may be believed at now?  Checks,
 * cheapest first: network id, endpoints, address, record expiry, the
 * certificate (network, name, time, CA signature), revocation, then the
 * node's signature.  revs may be NULL. */
enum vr record_verify(const struct mesh_record *r,
    const uint8_t ca_pk[static MESH_KEY_LEN], const struct revset *revs,
    uint64_t now);

/* Wire form.  decode refuses anything but exactly RECORD_WIRE_LEN bytes of
 * canonical encoding; it checks form only, not signatures. */
void record_encode(const struct mesh_record *r, uint8_t out[static RECORD_WIRE_LEN]);
enum vr record_decode(const uint8_t *buf, size_t len, struct mesh_record *r);

#endif

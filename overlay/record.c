#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <sodium.h>

#include "addr.h"
#include "record.h"

static const uint8_t zero16[16];

/* An IPv4 address (4 bytes) a packet can be sent to: not 0.0.0.0/8
 * ("this network"), not multicast 224/4, not 240/4 (reserved, with the
 * limited broadcast 255.255.255.255).  Loopback is a unicast address and
 * the caller decides (record_ep_loopback). */
static bool
v4_unicast(const uint8_t *a)
{
	return a[0] != 0 && a[0] < 224;
}

bool
record_ep_loopback(const struct mesh_endpoint *e)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (e->family == MESH_EP_IPV4)
		return e->addr[0] == 127;
	if (e->family != MESH_EP_IPV6)
		return false;
	if (memcmp(e->addr, mapped, 12) == 0)
		return e->addr[12] == 127;
	return memcmp(e->addr, zero16, 15) == 0 && e->addr[15] == 1;
}

/* An endpoint is a family we know, a non-zero port, and a unicast address
 * a packet can go to without a scope: IPv4 as v4_unicast with its unused
 * bytes zero; IPv6 not ::, not multicast ff00::/8, not link-local
 * fe80::/10, and an IPv4-mapped one (::ffff:a.b.c.d) as its IPv4 address.
 * Anything else in a record would aim every member's handshakes at no one
 * or at everyone on a segment. */
bool
record_ep_ok(const struct mesh_endpoint *e)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (e->port == 0)
		return false;
	if (e->family == MESH_EP_IPV4)
		return memcmp(e->addr + 4, zero16, 12) == 0 &&
		    v4_unicast(e->addr);
	if (e->family != MESH_EP_IPV6)
		return false;
	if (memcmp(e->addr, mapped, 12) == 0)
		return v4_unicast(e->addr + 12);
	return memcmp(e->addr, zero16, 16) != 0 && e->addr[0] != 0xff &&
	    !(e->addr[0] == 0xfe && (e->addr[1] & 0xc0) == 0x80);
}

static bool
ep_ok(const struct mesh_endpoint *e)
{
	return record_ep_ok(e);
}

void
record_encode(const struct mesh_record *r, uint8_t out[static RECORD_WIRE_LEN])
{
	struct mesh_record_wire w;
	size_t n = r->n_ep > MESH_EP_MAX ? MESH_EP_MAX : r->n_ep;

	memset(&w, 0, sizeof(w));
	w.kind = MESH_KIND_RECORD;
	w.version = MESH_RECORD_VERSION;
	w.n_ep = (uint8_t)n;
	memcpy(w.net_id, r->net_id, MESH_NETID_LEN);
	cert_encode(&r->cert, &w.cert);
	memcpy(w.addr, r->addr, 16);
	mesh_put_le64(w.seq, r->seq);
	mesh_put_le64(w.expires, r->expires);
	for (size_t i = 0; i < n; i++) {
		w.ep[i].family = (uint8_t)r->ep[i].family;
		mesh_put_le16(w.ep[i].port, r->ep[i].port);
		memcpy(w.ep[i].addr, r->ep[i].addr, 16);
	}
	memcpy(w.sig, r->sig, MESH_SIG_LEN);
	memcpy(out, &w, sizeof(w));
}

enum vr
record_decode(const uint8_t *buf, size_t len, struct mesh_record *r)
{
	struct mesh_record_wire w;
	enum vr v;

	memset(r, 0, sizeof(*r));
	if (len != sizeof(w))
		return VR_FORMAT;
	memcpy(&w, buf, sizeof(w));
	if (w.kind != MESH_KIND_RECORD)
		return VR_FORMAT;
	if (w.version != MESH_RECORD_VERSION)
		return VR_VERSION;
	if (w.reserved != 0 || w.n_ep > MESH_EP_MAX)
		return VR_FORMAT;
	if ((v = cert_decode(&w.cert, &r->cert)) != VR_OK)
		return v;
	memcpy(r->net_id, w.net_id, MESH_NETID_LEN);
	memcpy(r->addr, w.addr, 16);
	r->seq = mesh_get_le64(w.seq);
	r->expires = mesh_get_le64(w.expires);
	r->n_ep = w.n_ep;
	for (size_t i = 0; i < MESH_EP_MAX; i++) {
		const struct mesh_ep_wire *e = &w.ep[i];
		if (i >= w.n_ep) {
			/* Unused slots are zero: one encoding per record. */
			static const struct mesh_ep_wire zero;
			if (memcmp(e, &zero, sizeof(zero)) != 0)
				return VR_FORMAT;
			continue;
		}
		r->ep[i].family = (enum mesh_ep_family)e->family;
		r->ep[i].port = mesh_get_le16(e->port);
		memcpy(r->ep[i].addr, e->addr, 16);
		if (!ep_ok(&r->ep[i]))
			return VR_ENDPOINT;
	}
	memcpy(r->sig, w.sig, MESH_SIG_LEN);
	return VR_OK;
}

/* The bytes a node signs: domain || encoding before the sig field. */
static void
record_msg(const struct mesh_record *r,
    uint8_t msg[static sizeof(MESH_RECORD_DOMAIN) + RECORD_WIRE_LEN],
    size_t *ml)
{
	uint8_t wire[RECORD_WIRE_LEN];
	size_t dl = sizeof(MESH_RECORD_DOMAIN) - 1;

	record_encode(r, wire);
	memcpy(msg, MESH_RECORD_DOMAIN, dl);
	memcpy(msg + dl, wire, offsetof(struct mesh_record_wire, sig));
	*ml = dl + offsetof(struct mesh_record_wire, sig);
}

enum vr
record_make(struct mesh_record *r, const struct mesh_cert *cert,
    const uint8_t ca_pk[static MESH_KEY_LEN], const unsigned char *node_sk,
    const struct mesh_endpoint *ep, size_t n_ep, uint64_t seq,
    uint64_t expires)
{
	uint8_t msg[sizeof(MESH_RECORD_DOMAIN) + RECORD_WIRE_LEN];
	uint8_t prefix[MESH_PREFIX_LEN];
	size_t ml;

	memset(r, 0, sizeof(*r));
	if (n_ep > MESH_EP_MAX)
		return VR_ENDPOINT;
	for (size_t i = 0; i < n_ep; i++) {
		if (!ep_ok(&ep[i]))
			return VR_ENDPOINT;
		r->ep[i] = ep[i];
	}
	/* A libsodium secret key ends with its public key. */
	if (memcmp(node_sk + 32, cert->node_pk, MESH_KEY_LEN) != 0)
		return VR_FORMAT;
	r->n_ep = (uint8_t)n_ep;
	r->cert = *cert;
	cert_net_id(ca_pk, r->net_id);
	mesh_net_prefix(ca_pk, prefix);
	mesh_node_addr(prefix, cert->node_pk, r->addr);
	r->seq = seq;
	r->expires = expires;
	record_msg(r, msg, &ml);
	crypto_sign_detached(r->sig, NULL, msg, ml, node_sk);
	return VR_OK;
}

enum vr
record_verify(const struct mesh_record *r,
    const uint8_t ca_pk[static MESH_KEY_LEN], const struct revset *revs,
    uint64_t now)
{
	uint8_t msg[sizeof(MESH_RECORD_DOMAIN) + RECORD_WIRE_LEN];
	uint8_t net_id[MESH_NETID_LEN], prefix[MESH_PREFIX_LEN], addr[16];
	size_t ml;
	enum vr v;

	cert_net_id(ca_pk, net_id);
	if (memcmp(net_id, r->net_id, MESH_NETID_LEN) != 0)
		return VR_NETWORK;
	if (r->n_ep > MESH_EP_MAX)
		return VR_ENDPOINT;
	for (size_t i = 0; i < r->n_ep; i++)
		if (!ep_ok(&r->ep[i]))
			return VR_ENDPOINT;
	mesh_net_prefix(ca_pk, prefix);
	mesh_node_addr(prefix, r->cert.node_pk, addr);
	if (memcmp(addr, r->addr, 16) != 0)
		return VR_ADDR;
	if (now >= r->expires)
		return VR_EXPIRED;
	if ((v = cert_verify(&r->cert, ca_pk, now)) != VR_OK)
		return v;
	if (revset_check(revs, &r->cert))
		return VR_REVOKED;
	record_msg(r, msg, &ml);
	if (crypto_sign_verify_detached(r->sig, msg, ml, r->cert.node_pk) != 0)
		return VR_SIG;
	return VR_OK;
}

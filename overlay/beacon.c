/*
 * LAN beacons: make, parse, verify (the layout and what a forged one can
 * do are in beacon.h).  The parser checks every length before it reads;
 * the verifier goes cheapest first, so a stranger's beacon costs a
 * memcmp and another network's costs nothing more.
 */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "beacon.h"

#define OFF_NETID	4
#define OFF_CERT	(OFF_NETID + MESH_NETID_LEN)
#define OFF_PORT	(OFF_CERT + sizeof(struct mesh_cert_wire))
#define OFF_STAMP	(OFF_PORT + 2)

_Static_assert(OFF_STAMP + 8 == BEACON_SIGNED_LEN, "beacon offsets");

static void
sign_input(uint8_t out[static sizeof(BEACON_DOMAIN) - 1 + BEACON_SIGNED_LEN],
    const uint8_t *signed_bytes)
{
	memcpy(out, BEACON_DOMAIN, sizeof(BEACON_DOMAIN) - 1);
	memcpy(out + sizeof(BEACON_DOMAIN) - 1, signed_bytes, BEACON_SIGNED_LEN);
}

size_t
beacon_make(uint8_t out[static BEACON_LEN], const struct mesh_cert *cert,
    const unsigned char *sk, uint16_t port, uint64_t stamp)
{
	uint8_t in[sizeof(BEACON_DOMAIN) - 1 + BEACON_SIGNED_LEN];
	struct mesh_cert_wire w;

	memcpy(out, BEACON_MAGIC, 4);
	memcpy(out + OFF_NETID, cert->net_id, MESH_NETID_LEN);
	cert_encode(cert, &w);
	memcpy(out + OFF_CERT, &w, sizeof(w));
	out[OFF_PORT] = (uint8_t)port;
	out[OFF_PORT + 1] = (uint8_t)(port >> 8);
	for (int i = 0; i < 8; i++)
		out[OFF_STAMP + i] = (uint8_t)(stamp >> (8 * i));
	sign_input(in, out);
	crypto_sign_detached(out + BEACON_SIGNED_LEN, NULL, in, sizeof(in), sk);
	return BEACON_LEN;
}

enum vr
beacon_parse(const uint8_t *buf, size_t len, struct beacon *b)
{
	struct mesh_cert_wire w;
	enum vr v;

	if (len != BEACON_LEN || memcmp(buf, BEACON_MAGIC, 4) != 0)
		return VR_FORMAT;
	memcpy(b->net_id, buf + OFF_NETID, MESH_NETID_LEN);
	memcpy(&w, buf + OFF_CERT, sizeof(w));
	if ((v = cert_decode(&w, &b->cert)) != VR_OK)
		return v;
	b->port = (uint16_t)(buf[OFF_PORT] | buf[OFF_PORT + 1] << 8);
	if (b->port == 0)
		return VR_FORMAT;
	b->stamp = 0;
	for (int i = 0; i < 8; i++)
		b->stamp |= (uint64_t)buf[OFF_STAMP + i] << (8 * i);
	memcpy(b->signed_bytes, buf, BEACON_SIGNED_LEN);
	memcpy(b->sig, buf + BEACON_SIGNED_LEN, MESH_SIG_LEN);
	return VR_OK;
}

enum vr
beacon_verify(const struct beacon *b, const uint8_t ca_pk[static MESH_KEY_LEN],
    uint64_t now_ms)
{
	uint8_t in[sizeof(BEACON_DOMAIN) - 1 + BEACON_SIGNED_LEN];
	uint8_t net_id[MESH_NETID_LEN];
	uint64_t skew = (uint64_t)BEACON_SKEW * 1000;
	enum vr v;

	cert_net_id(ca_pk, net_id);
	if (memcmp(b->net_id, net_id, MESH_NETID_LEN) != 0)
		return VR_NETWORK;
	if (b->stamp > now_ms + skew)
		return VR_NOTYET;
	if (b->stamp + skew < now_ms)
		return VR_EXPIRED;
	if ((v = cert_verify(&b->cert, ca_pk, now_ms / 1000)) != VR_OK)
		return v;
	sign_input(in, b->signed_bytes);
	if (crypto_sign_verify_detached(b->sig, in, sizeof(in),
	    b->cert.node_pk) != 0)
		return VR_SIG;
	return VR_OK;
}

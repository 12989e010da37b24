/*
 * LAN beacons: how a member says "I am here, on this link" to every other
 * member on the same LAN, without the internet and without either having
 * seen the other's record (two members that joined by invite and never
 * met).  The agent multicasts one on each interface every few seconds
 * (agent/lan.c); the engine takes the ones that verify as a candidate
 * endpoint (overlay/lan.c).  Pure code: bytes in, verdicts out; the caller
 * passes the time.
 *
 * Wire layout (fixed, BEACON_LEN bytes; integers little-endian as in
 * mesh/wire.h):
 *
 *   magic[4]     "nmb1"
 *   net_id[16]   cert_net_id(CA key): another network's beacon is dropped
 *                before any signature is checked
 *   cert[204]    the sender's certificate (mesh/signed_wire.h), so a
 *                receiver can tell a member from anyone with only the CA
 *                key it holds
 *   port[2]      the sender's overlay UDP port (the beacon goes out from a
 *                socket of its own; the address is the datagram's source)
 *   stamp[8]     unix milliseconds, strictly growing per sender: a
 *                receiver keeps the newest it took from each key and takes
 *                only newer ones, and refuses one more than BEACON_SKEW
 *                from its own clock
 *   sig[64]      Ed25519 by the certificate's node key over
 *                BEACON_DOMAIN || every byte above
 *
 * What a forged or replayed beacon can do: nothing it cannot do with a
 * real one.  Only the source address is unauthenticated (UDP), so a copy
 * re-sent from elsewhere makes the receiver send one handshake initiation
 * there (the engine allows one per member per NODE_LAN_RETRY_MS); the
 * handshake itself proves the key.
 */
#ifndef MESH_BEACON_H
#define MESH_BEACON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"

#define BEACON_MAGIC		"nmb1"
#define BEACON_DOMAIN		"nss-mesh beacon v1"
#define BEACON_SKEW		CERT_SKEW	/* seconds */
#define BEACON_SIGNED_LEN	(4 + MESH_NETID_LEN + \
	sizeof(struct mesh_cert_wire) + 2 + 8)
#define BEACON_LEN		(BEACON_SIGNED_LEN + MESH_SIG_LEN)

_Static_assert(BEACON_LEN == 298, "beacon layout changed");

struct beacon {
	uint8_t net_id[MESH_NETID_LEN];
	struct mesh_cert cert;
	uint16_t port;
	uint64_t stamp;			/* unix ms */
	uint8_t sig[MESH_SIG_LEN];
	uint8_t signed_bytes[BEACON_SIGNED_LEN];	/* as received */
};

/* A beacon for cert (whose key is sk's public half: 64-byte libsodium
 * secret key) at stamp; BEACON_LEN written. */
size_t beacon_make(uint8_t out[static BEACON_LEN],
    const struct mesh_cert *cert, const unsigned char *sk, uint16_t port,
    uint64_t stamp);

/* The format alone: exact length, magic, a certificate that decodes, a
 * non-zero port.  VR_OK or VR_FORMAT / VR_VERSION (from cert_decode). */
enum vr beacon_parse(const uint8_t *buf, size_t len, struct beacon *b);

/* Is b a member's of ca_pk's network at unix ms now_ms?  Network id (of
 * the beacon and of its certificate), stamp within BEACON_SKEW, the
 * certificate (cert_verify), then the node's signature.  Revocations are
 * the caller's (revset_check). */
enum vr beacon_verify(const struct beacon *b,
    const uint8_t ca_pk[static MESH_KEY_LEN], uint64_t now_ms);

#endif

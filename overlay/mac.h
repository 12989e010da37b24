/*
 * mac1 and mac2: the cheap pre-checks on handshake messages (WireGuard's
 * idea).  A handshake message ends in struct wire_tail { mac1, mac2 }.
 *
 * mac1 is a keyed BLAKE2b-128 of everything before it, keyed by
 * HASH(WIRE_LABEL_MAC1 || receiver's Ed25519 public key).  Anyone who
 * knows whom they are talking to can compute it, so it proves nothing
 * about the sender; what it buys is that junk, and packets meant for
 * another key, cost the receiver one hash and no Diffie-Hellman.
 *
 * mac2 is a keyed BLAKE2b-128 of everything before it (mac1 included),
 * keyed by a cookie the receiver handed to the sender's address
 * (overlay/cookie.h), or all zero.  A valid one proves that the sender
 * can receive at the address it sends from.
 */
#ifndef MESH_MAC_H
#define MESH_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/wire.h"

/* key = HASH(WIRE_LABEL_MAC1 || pk) */
void mac_key(uint8_t key[static WIRE_KEY_LEN],
    const uint8_t pk[static WIRE_KEY_LEN]);
/* key = HASH(WIRE_LABEL_COOKIE || pk): seals cookie replies from pk. */
void mac_cookie_key(uint8_t key[static WIRE_KEY_LEN],
    const uint8_t pk[static WIRE_KEY_LEN]);
/* msg[0 .. len) is a whole handshake message ending in struct wire_tail:
 * write mac1 over msg[0 .. len - sizeof(wire_tail)) into its place and
 * zero mac2. */
void mac_seal(const uint8_t key[static WIRE_KEY_LEN], uint8_t *msg, size_t len);
/* Constant-time check of mac1 of a whole message. */
bool mac_check(const uint8_t key[static WIRE_KEY_LEN], const uint8_t *msg,
    size_t len) __attribute__((warn_unused_result));
/* mac2 over msg[0 .. len - WIRE_MAC_LEN), keyed by a cookie. */
void mac2_seal(const uint8_t cookie[static WIRE_MAC_LEN], uint8_t *msg,
    size_t len);
bool mac2_check(const uint8_t cookie[static WIRE_MAC_LEN], const uint8_t *msg,
    size_t len) __attribute__((warn_unused_result));
/* Where mac1 of a whole message sits. */
static inline const uint8_t *
mac1_of(const uint8_t *msg, size_t len)
{
	return msg + len - sizeof(struct wire_tail);
}

#endif

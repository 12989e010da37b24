/*
 * mac1: the cheap pre-check on handshake messages (WireGuard's idea).  A
 * handshake message ends in a keyed BLAKE2b-128 of everything before it,
 * keyed by HASH(WIRE_LABEL_MAC1 || receiver's Ed25519 public key).  Anyone
 * who knows whom they are talking to can compute it, so it proves nothing
 * about the sender; what it buys is that junk, and packets meant for
 * another key, cost the receiver one hash and no Diffie-Hellman.
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
/* Write mac1 over msg[0 .. len - WIRE_MAC_LEN) into its last 16 bytes. */
void mac_seal(const uint8_t key[static WIRE_KEY_LEN], uint8_t *msg, size_t len);
/* Constant-time check of the last 16 bytes of msg. */
bool mac_check(const uint8_t key[static WIRE_KEY_LEN], const uint8_t *msg,
    size_t len) __attribute__((warn_unused_result));

#endif

/*
 * The transport AEAD: one key of a session's keypair, ready to seal or
 * open packets with the cipher its handshake chose (WIRE_FLAG_AES256GCM in
 * include/mesh/wire.h).  AES-256-GCM keeps libsodium's precomputed state
 * (the expanded key and the GHASH table), so no packet pays for the key
 * schedule; ChaCha20-Poly1305 needs nothing precomputed.  The nonce is the
 * packet counter, little-endian, after four zero bytes, for both.
 *
 * A key is plain data (no pointers): keypairs are copied by value.  It
 * holds key material; wipe it with sodium_memzero.
 */
#ifndef MESH_AEAD_H
#define MESH_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sodium.h>

#include "mesh/wire.h"

struct aead_key {
	crypto_aead_aes256gcm_state aes_st;	/* when aes */
	uint8_t k[WIRE_KEY_LEN];		/* ChaCha's key */
	bool aes;
};

/* This CPU has the instructions libsodium's AES-256-GCM needs. */
bool aead_aes_available(void);
/* The cipher's name as meshctl shows it. */
const char *aead_name(bool aes);
void aead_key_init(struct aead_key *key, const uint8_t k[static WIRE_KEY_LEN],
    bool aes);
/* c[mlen + WIRE_TAG_LEN] = AEAD(m) with ad. */
void aead_seal(const struct aead_key *key, uint8_t *c, const uint8_t *m,
    size_t mlen, const uint8_t *ad, size_t adlen, uint64_t counter);
/* m[clen - WIRE_TAG_LEN]; false when the tag is wrong or clen too short. */
bool aead_open(const struct aead_key *key, uint8_t *m, const uint8_t *c,
    size_t clen, const uint8_t *ad, size_t adlen, uint64_t counter);

#endif

/*
 * Cookies: how a responder under load makes an initiator prove its
 * address before paying any Diffie-Hellman for it (WireGuard's cookie
 * reply, whitepaper section 5.4.7).
 *
 *   cookie   = BLAKE2b-128(key = secret, source address bytes)
 *   secret   : 32 random bytes, replaced every WIRE_COOKIE_SECRET_AGE
 *   reply    : struct wire_cookie, XChaCha20-Poly1305 under
 *              HASH(WIRE_LABEL_COOKIE || responder's Ed25519 pk), random
 *              nonce, AD = the initiation's mac1
 *   initiator: mac2 = BLAKE2b-128(key = cookie, message up to mac2) on its
 *              initiations while the cookie is younger than
 *              WIRE_COOKIE_SECRET_AGE - WIRE_COOKIE_LATENCY
 *
 * The responder keeps no state per initiator: a cookie is recomputed from
 * the address when mac2 is checked.  Binding the AD to mac1 means only who
 * sent (or saw) that initiation can open the reply.
 */
#ifndef MESH_COOKIE_H
#define MESH_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/wire.h"

/* Responder side; keep it in sodium_malloc memory. */
struct cookie_checker {
	uint8_t secret[WIRE_KEY_LEN];
	uint64_t birth;			/* now when made; 0: none yet */
};

/* The cookie for src as of now (making or rotating the secret first). */
void cookie_make(struct cookie_checker *c, uint64_t now, const uint8_t *src,
    size_t srclen, uint8_t cookie[static WIRE_MAC_LEN]);
/* Does the handshake message msg[0 .. len) carry mac2 under src's cookie? */
bool cookie_check_mac2(struct cookie_checker *c, uint64_t now,
    const uint8_t *src, size_t srclen, const uint8_t *msg, size_t len)
    __attribute__((warn_unused_result));
/* Fill out[WIRE_COOKIE_LEN] with a reply to an initiation whose sender
 * index is receiver and whose mac1 is mac1; key is our cookie_key. */
void cookie_reply(uint8_t out[static WIRE_COOKIE_LEN],
    const uint8_t key[static WIRE_KEY_LEN], uint32_t receiver,
    const uint8_t mac1[static WIRE_MAC_LEN],
    const uint8_t cookie[static WIRE_MAC_LEN]);
/* Initiator: open a reply (length already checked) with the responder's
 * cookie_key and the mac1 of the initiation we sent. */
bool cookie_open(uint8_t cookie[static WIRE_MAC_LEN],
    const uint8_t key[static WIRE_KEY_LEN], const uint8_t *msg,
    const uint8_t mac1[static WIRE_MAC_LEN])
    __attribute__((warn_unused_result));

#endif

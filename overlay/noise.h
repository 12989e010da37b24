/*
 * The overlay handshake: Noise IK over X25519, ChaCha20-Poly1305 and
 * BLAKE2b, in the manner of WireGuard.  Pure functions over caller-owned
 * state; no I/O, no clock, no allocation.  overlay/session.c drives them.
 * Message layouts are in include/mesh/wire.h, the design in noise.c.
 *
 * Every struct here holds secrets: keep them in sodium_malloc memory.
 */
#ifndef MESH_NOISE_H
#define MESH_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/wire.h"

/* This node's long-term keys. */
struct noise_static {
	uint8_t ed_pk[WIRE_KEY_LEN];	/* identity, as sent to peers */
	uint8_t x_sk[WIRE_KEY_LEN];	/* X25519 from the Ed25519 secret */
	uint8_t x_pk[WIRE_KEY_LEN];
	uint8_t mac_key[WIRE_KEY_LEN];	/* checks mac1 of messages to us */
	uint8_t cookie_key[WIRE_KEY_LEN];	/* seals our cookie replies */
	bool aes;			/* we offer / accept AES-256-GCM */
};

/* A peer's public keys. */
struct noise_peer {
	uint8_t ed_pk[WIRE_KEY_LEN];
	uint8_t x_pk[WIRE_KEY_LEN];
	uint8_t mac_key[WIRE_KEY_LEN];	/* seals mac1 of messages to it */
	uint8_t cookie_key[WIRE_KEY_LEN];	/* opens its cookie replies */
};

enum noise_state {
	NOISE_NONE = 0,
	NOISE_INIT_SENT,	/* initiator, awaiting the response */
	NOISE_INIT_RECEIVED,	/* responder, initiation consumed */
	NOISE_DONE,		/* both messages done: call noise_derive */
};

struct noise_handshake {
	enum noise_state state;
	uint32_t local_index;
	uint32_t remote_index;
	uint8_t e_sk[WIRE_KEY_LEN];	/* our ephemeral */
	uint8_t re_pk[WIRE_KEY_LEN];	/* the peer's ephemeral */
	uint8_t h[WIRE_KEY_LEN];	/* handshake hash */
	uint8_t ck[WIRE_KEY_LEN];	/* chaining key */
	/* Initiator: what it offered, then what the response chose.
	 * Responder: what the initiation offered, then what it chose. */
	uint8_t flags;			/* WIRE_FLAG_* */
};

struct noise_keys {
	uint8_t send[WIRE_KEY_LEN];
	uint8_t recv[WIRE_KEY_LEN];
	bool aes;			/* AES-256-GCM, else ChaCha20-Poly1305 */
};

/* Why a received handshake message was dropped. */
enum noise_err {
	NOISE_OK = 0,
	NOISE_ELEN,		/* bad length, type or reserved bytes */
	NOISE_EMAC,		/* mac1 wrong: junk, or meant for another key */
	NOISE_ECRYPTO,		/* DH or AEAD failed: forged or damaged */
};

/* 0, or -EINVAL when the Ed25519 key has no X25519 twin. */
int noise_static_init(struct noise_static *st,
    const uint8_t ed_pk[static WIRE_KEY_LEN], const uint8_t *ed_sk64);
int noise_peer_init(struct noise_peer *p,
    const uint8_t ed_pk[static WIRE_KEY_LEN]);

/* Initiator: fill out[WIRE_INITIATION_MAX] with message 1, return its
 * length, or 0 if the peer's key is unusable (low order).  hs becomes
 * NOISE_INIT_SENT. */
size_t noise_create_initiation(struct noise_handshake *hs,
    const struct noise_static *st, const struct noise_peer *peer,
    uint32_t local_index, const uint8_t ts[static WIRE_TAI64N_LEN],
    const uint8_t *payload, size_t plen, uint8_t *out);

/* Responder: check and open message 1.  On NOISE_OK, hs (state
 * NOISE_INIT_RECEIVED), peer, ts and payload[0 .. *plen) are filled;
 * payload must hold WIRE_HS_PAYLOAD_MAX bytes.  On error nothing is. */
enum noise_err noise_consume_initiation(const struct noise_static *st,
    const uint8_t *msg, size_t len, struct noise_handshake *hs,
    struct noise_peer *peer, uint8_t ts[static WIRE_TAI64N_LEN],
    uint8_t *payload, size_t *plen) __attribute__((warn_unused_result));

/* Responder: the checks of noise_consume_initiation that cost no DH
 * (length, type, reserved bytes, mac1).  NOISE_OK, NOISE_ELEN or
 * NOISE_EMAC. */
enum noise_err noise_check_initiation(const struct noise_static *st,
    const uint8_t *msg, size_t len) __attribute__((warn_unused_result));
/* noise_consume_initiation of a message noise_check_initiation passed
 * (its checks are not repeated); *dh counts the X25519 operations done. */
enum noise_err noise_consume_checked_initiation(const struct noise_static *st,
    const uint8_t *msg, size_t len, struct noise_handshake *hs,
    struct noise_peer *peer, uint8_t ts[static WIRE_TAI64N_LEN],
    uint8_t *payload, size_t *plen, unsigned *dh)
    __attribute__((warn_unused_result));

/* Responder: fill out[WIRE_RESPONSE_MAX] with message 2 for the hs that
 * noise_consume_initiation made; 0 on failure.  hs becomes NOISE_DONE. */
size_t noise_create_response(struct noise_handshake *hs,
    const struct noise_static *st, const struct noise_peer *peer,
    uint32_t local_index, const uint8_t *payload, size_t plen, uint8_t *out);

/* Initiator: the receiver index of a response (for the dispatcher). */
uint32_t noise_response_receiver(const uint8_t *msg, size_t len);

/* Initiator: check and open message 2 against hs (NOISE_INIT_SENT).  On
 * NOISE_OK hs becomes NOISE_DONE and payload is filled; on error hs is
 * unchanged, so the genuine response may still arrive. */
enum noise_err noise_consume_response(struct noise_handshake *hs,
    const struct noise_static *st, const uint8_t *msg, size_t len,
    uint8_t *payload, size_t *plen) __attribute__((warn_unused_result));

/* Split a NOISE_DONE handshake into transport keys and wipe hs. */
void noise_derive(struct noise_handshake *hs, bool initiator,
    struct noise_keys *keys);

/* TAI64N of a wall-clock time, its low bits blurred as WireGuard does so
 * that it leaks no fine timing. */
void noise_tai64n(uint8_t out[static WIRE_TAI64N_LEN], uint64_t unix_sec,
    uint32_t nsec);

/* AEAD for transport messages: nonce = 32 zero bits || LE64 counter. */
void noise_seal(uint8_t *c, const uint8_t *m, size_t mlen,
    const uint8_t *ad, size_t adlen, uint64_t counter,
    const uint8_t key[static WIRE_KEY_LEN]);
bool noise_open(uint8_t *m, const uint8_t *c, size_t clen,
    const uint8_t *ad, size_t adlen, uint64_t counter,
    const uint8_t key[static WIRE_KEY_LEN]) __attribute__((warn_unused_result));

static inline uint32_t
noise_le32(const uint8_t b[static 4])
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static inline void
noise_put_le32(uint8_t b[static 4], uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

#endif

/*
 * Hole punching through a common peer: the PUNCH message ("call me
 * maybe") and its limits.  Pure encode/decode here; what a node does with
 * it is in overlay/punch.c (see there for the design).
 *
 *   PUNCH      type | flags u8 | n u8 | n * endpoint wire (19)
 *              "these are my endpoints; I am probing yours now"
 *              flags bit 0: an answer to the peer's PUNCH (answers get
 *              no answer, so two nodes cannot ping-pong); the other bits
 *              are zero.  1 <= n <= PUNCH_CANDS_MAX.
 *
 * The endpoints are the sender's word about itself -- its interface
 * addresses and what two members agreed they see it at -- exactly what
 * its record may carry (record_ep_ok), so they are capped like record
 * endpoints where they are probed.
 */
#ifndef MESH_PUNCH_H
#define MESH_PUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define MSG_PUNCH		0x1d
#define PUNCH_CANDS_MAX		8	/* endpoints in one PUNCH */
#define PUNCH_HEAD		3
#define PUNCH_LEN(k)		(PUNCH_HEAD + (k) * sizeof(struct mesh_ep_wire))
#define PUNCH_LEN_MAX		PUNCH_LEN(PUNCH_CANDS_MAX)
#define PUNCH_F_ANSWER		0x01

/* Timing (punch.c).  A round is PUNCH_TRIES probes to every target,
 * PUNCH_TRY_MS apart; an answer up to PUNCH_WAIT_MS after the last try
 * still counts.  Rounds a node starts itself, for a peer it reaches only
 * through a relay: PUNCH_BACKOFF_MIN_MS after the path went relayed,
 * doubling to PUNCH_BACKOFF_MAX_MS while none succeeds (with jitter).
 * PUNCHes taken from one peer: one per PUNCH_RX_GAP_MS.  Probes of all
 * rounds together: a bucket of PUNCH_PROBE_BURST refilled at
 * PUNCH_PROBE_RATE a second (on top of the per-address cap of node.c). */
#define PUNCH_TRIES		5
#define PUNCH_TRY_MS		200
#define PUNCH_WAIT_MS		2000
#define PUNCH_BACKOFF_MIN_MS	2000
#define PUNCH_BACKOFF_MAX_MS	16000
#define PUNCH_RX_GAP_MS		1000
#define PUNCH_TARGETS_MAX	12	/* its PUNCH and its record, merged */
#define PUNCH_PROBE_BURST	200
#define PUNCH_PROBE_RATE	100

struct punch_msg {
	uint8_t flags;
	size_t n;
	struct mesh_endpoint ep[PUNCH_CANDS_MAX];
};

/* The message into out (at least PUNCH_LEN_MAX bytes); its length.  n is
 * capped at PUNCH_CANDS_MAX; n == 0 writes nothing and returns 0. */
size_t punch_encode(const struct punch_msg *m, uint8_t *out);
/* True when buf is exactly one well-formed PUNCH: known flags, 1..max
 * endpoints, each a known family with a port and, for IPv4, zero
 * padding. */
bool punch_decode(const uint8_t *buf, size_t len, struct punch_msg *m);

#endif

/*
 * Sliding replay window over 64-bit transport counters (RFC 6479 style, as
 * WireGuard's): remembers the last WIRE_REPLAY_WINDOW_BITS - 64 counters
 * below the greatest one seen, drops anything older or seen before.
 *
 * Check with replay_seen() before decrypting (cheap, changes nothing);
 * record with replay_accept() only after the packet authenticated, so a
 * forged packet can never move the window.
 */
#ifndef MESH_REPLAY_H
#define MESH_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh/wire.h"

#define REPLAY_WORD_BITS 64
#define REPLAY_WORDS (WIRE_REPLAY_WINDOW_BITS / REPLAY_WORD_BITS)
/* How far below the greatest counter a late packet is still taken. */
#define REPLAY_WINDOW (WIRE_REPLAY_WINDOW_BITS - REPLAY_WORD_BITS)

struct replay_window {
	uint64_t next;			/* greatest counter seen + 1; 0: none */
	uint64_t bitmap[REPLAY_WORDS];
};

void replay_init(struct replay_window *w);
/* True when counter must be dropped: seen, too old, or >= limit. */
bool replay_seen(const struct replay_window *w, uint64_t counter,
    uint64_t limit);
/* Record counter; false (and nothing changed) when it must be dropped. */
bool replay_accept(struct replay_window *w, uint64_t counter, uint64_t limit);

#endif

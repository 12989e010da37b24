/*
 * A hostile member, for tests only: a node of the simulator that says
 * what an honest engine never would, over its real session.  These reach
 * into the engine's insides (overlay/node-int.h) and are linked into
 * tests/sim/check_hostile alone.
 */
#ifndef SIM_SIM_HOSTILE_H
#define SIM_SIM_HOSTILE_H

#include "sim.h"

/* Node i sends the plaintext msg to node j over their session: 0 or
 * -errno (no such peer, session not up). */
int sim_inject(struct sim *sim, int i, int j, const uint8_t *msg, size_t len);
/* Node i sends node j a hop datagram over their session saying anything:
 * ttl, src and dst keys, and the inner packet (inner, len).  0 or -errno. */
int sim_inject_hop(struct sim *sim, int i, int j, uint8_t ttl,
    const uint8_t src[static MESH_KEY_LEN],
    const uint8_t dst[static MESH_KEY_LEN], const uint8_t *inner, size_t len);
/* A RECORD message for node i, signed with its key: endpoints ep[0..k),
 * seq; an hour to live.  Its length (1 + RECORD_WIRE_LEN). */
size_t sim_record_msg(struct sim *sim, int i, const struct mesh_endpoint *ep,
    size_t k, uint64_t seq, uint8_t *out);

#endif

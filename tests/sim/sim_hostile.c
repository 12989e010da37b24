/*
 * A hostile member's mouth (sim-hostile.h): plaintext straight into a
 * node's session, and records signed with its key saying anything.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/node-int.h"
#include "sim-hostile.h"
#include "sim-int.h"

int
sim_inject(struct sim *sim, int i, int j, const uint8_t *msg, size_t len)
{
	struct node *n = sim_node(sim, i);
	struct peer *p;
	int rc;

	if (n == NULL || (p = peer_find(n, sim_pk(sim, j))) == NULL)
		return -ENOENT;
	n->now = sim_now(sim);
	rc = node_send_msg(n, p, msg, len);
	sim_kick(sim, i);
	return rc;
}

int
sim_inject_hop(struct sim *sim, int i, int j, uint8_t ttl,
    const uint8_t src[static MESH_KEY_LEN],
    const uint8_t dst[static MESH_KEY_LEN], const uint8_t *inner, size_t len)
{
	struct node *n = sim_node(sim, i);
	uint8_t buf[WIRE_PACKET_MAX];
	struct peer *p;
	int rc;

	if (n == NULL || (p = peer_find(n, sim_pk(sim, j))) == NULL ||
	    p->s == NULL)
		return -ENOENT;
	if (len > WIRE_HOP_INNER_MAX)
		return -EMSGSIZE;
	memcpy(buf + SESSION_HOP_HEAD, inner, len);
	n->now = sim_now(sim);
	rc = session_send_hop(p->s, n->now, buf, len, ttl, src, dst);
	sim_kick(sim, i);
	return rc;
}

size_t
sim_record_msg(struct sim *sim, int i, const struct mesh_endpoint *ep,
    size_t k, uint64_t seq, uint8_t *out)
{
	struct sim_node *sn = sim_at(sim, i);
	struct mesh_record r;

	if (record_make(&r, &sn->cert, sim->ca_pk, sn->sk, ep, k, seq,
	    SIM_EPOCH + sim_now(sim) / 1000 + 3600) != VR_OK)
		abort();
	out[0] = MSG_RECORD;
	record_encode(&r, out + 1);
	return 1 + RECORD_WIRE_LEN;
}

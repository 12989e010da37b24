/*
 * The simulator's LAN: beacons handed from one engine to another as
 * meshd's agent/lan.c would multicast them, and a host that changes its
 * address as a laptop does when it moves (sim.h).  The fake network has
 * no multicast; a scenario says who hears whom.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sim-int.h"

static void
ep_of_host(const struct sim *sim, int i, struct mesh_endpoint *ep)
{
	uint32_t ip[NET_ADDRS_MAX];

	if (net_host_addrs(sim->net, sim_host(sim, i), ip, NET_ADDRS_MAX) == 0)
		abort();
	memset(ep, 0, sizeof(*ep));
	ep->family = MESH_EP_IPV4;
	ep->addr[0] = (uint8_t)(ip[0] >> 24);
	ep->addr[1] = (uint8_t)(ip[0] >> 16);
	ep->addr[2] = (uint8_t)(ip[0] >> 8);
	ep->addr[3] = (uint8_t)ip[0];
	ep->port = 40000;	/* the beacon socket's: never used */
}

enum vr
sim_lan_beacon(struct sim *sim, int i, int j)
{
	struct sim_node *a = sim_at(sim, i), *b = sim_at(sim, j);
	uint8_t buf[BEACON_LEN];
	struct mesh_endpoint from;
	uint64_t now = net_now(sim->net);
	enum vr v;

	if (a->n == NULL || b->n == NULL)
		return VR_FORMAT;
	if (node_lan_beacon(a->n, now, SIM_PORT, buf) != BEACON_LEN)
		abort();
	sim_kick(sim, i);
	ep_of_host(sim, i, &from);
	v = node_lan_recv(b->n, now, buf, sizeof(buf), &from);
	sim_kick(sim, j);
	return v;
}

void
sim_move(struct sim *sim, int i, uint32_t ip, bool notice)
{
	struct sim_node *sn = sim_at(sim, i);

	net_host_set_addr(sim->net, sn->host, 0, ip);
	if (notice && sn->n != NULL) {
		node_net_changed(sn->n, net_now(sim->net));
		sim_kick(sim, i);
	}
}

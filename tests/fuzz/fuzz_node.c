/*
 * libFuzzer target: whatever a member may send another over its session
 * -- every control message the node engine dispatches (records, digests,
 * wants, SEEN, LEAVE, link records, probes,
 * renewal, joins), IP packets and hop datagrams to relay or to take in --
 * and whatever a local program may write
 * to the TUN.  A three-node mesh runs in the simulator (tests/sim/), set
 * up once; each input is sent by node 1 to node 0 over their real,
 * encrypted session (first byte 0), handed to node 0 as a packet read
 * from its TUN (first byte 1), or sent by node 1 to node 0 as a hop
 * datagram (first byte 2: then ttl, who the source and the destination
 * claim to be -- 0, 1, 2: that node's key, anything else a stranger's --
 * and the inner packet, which node 0 relays or takes in), and the mesh
 * then runs for 30 virtual ms.
 * Nothing may crash, leak or trip a sanitizer, and node 0 must go on
 * answering node 2.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/lsan_interface.h>

#include "overlay/node-int.h"
#include "tests/sim/sim.h"

static struct sim *S;

/* The mesh lives for the whole run.  Its session tables are sodium_malloc
 * (mmap) memory, which LeakSanitizer does not scan for pointers, so what
 * they point to would look leaked: the setup is not counted. */
static void
setup(void)
{
	__lsan_disable();
	S = sim_new(42, 8, 4000);
	sim_add(S, -1, true);
	sim_start(S, 0);
	sim_add_many(S, 2, -1, 0);
	sim_run_for(S, 3000);
	if (!sim_converged(S, NULL))
		abort();
	__lsan_enable();
}

static const uint8_t *
key_of(uint8_t who)
{
	static const uint8_t stranger[MESH_KEY_LEN] = { 0x5a, 0xa5 };

	return who < 3 ? sim_pk(S, who) : stranger;
}

/* Node 1 sends node 0 a hop datagram: ttl, src, dst, inner packet. */
static void
send_hop(struct node *n1, struct peer *p, const uint8_t *d, size_t len)
{
	static uint8_t buf[WIRE_PACKET_MAX];

	if (len < 3 || len - 3 > WIRE_HOP_INNER_MAX)
		return;
	memcpy(buf + SESSION_HOP_HEAD, d + 3, len - 3);
	(void)session_send_hop(p->s, n1->now, buf, len - 3, d[0],
	    key_of(d[1]), key_of(d[2]));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct node *n1;
	struct peer *p;

	if (S == NULL)
		setup();
	if (len < 1 || len > MSG_MAX + 1)
		return 0;
	n1 = sim_node(S, 1);
	if (data[0] == 2) {
		p = peer_find(n1, sim_pk(S, 0));
		if (p == NULL || p->s == NULL)
			abort();
		n1->now = sim_now(S);
		send_hop(n1, p, data + 1, len - 1);
		node_tick(n1, sim_now(S));
	} else if (data[0] == 0) {
		p = peer_find(n1, sim_pk(S, 0));
		if (p == NULL || p->s == NULL)
			abort();
		n1->now = sim_now(S);
		node_send_msg(n1, p, data + 1, len - 1);
		node_tick(n1, sim_now(S));
	} else {
		node_send_ip(sim_node(S, 0), sim_now(S), data + 1, len - 1);
	}
	sim_run_for(S, 30);
	/* Still a mesh: node 0 keeps node 2 alive. */
	if (!sim_state_is(S, 0, 2, MEMBER_ALIVE) &&
	    !sim_state_is(S, 0, 2, MEMBER_SUSPECT))
		abort();
	return 0;
}

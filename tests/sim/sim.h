/*
 * The mesh simulator: N overlay/node.c engines on the fake network of
 * net.h, in one process, on a virtual clock.
 *
 * Each simulated node is a host on the network (public, or behind a NAT
 * made with sim_nat) listening on SIM_PORT at each of its addresses, and
 * an engine wired to it:
 *   send            -> net_send from the host's first address (through its
 *                      NAT, if any); IPv6 destinations are counted and
 *                      dropped (the fake network is IPv4)
 *   wallclock       -> SIM_EPOCH + virtual ms
 *   random          -> a per-node splitmix64 seeded from the sim seed,
 *                      the node and its incarnation
 *   local_endpoints -> the host's own (inside) addresses, SIM_PORT
 *   event           -> struct sim_obs, so scenarios can ask what a node
 *                      saw and when ("node 7 saw node3 DEAD at t")
 *   redeem          -> sim_ca.c: an invite table and cert_issue
 * Deadlines: after every call into an engine the sim takes node_tick()'s
 * answer and queues a network timer for it; a timer that no longer
 * matches the node's deadline is ignored when it fires.  After a datagram
 * the tick is queued for the same ms, behind the other datagrams due
 * then, so a node ticks once per ms of traffic (meshd: once per batch).
 *
 * Everything is deterministic for a seed: node keys, the CA key,
 * certificate serials and the session layer's own randomness (ephemeral
 * keys, indices, jitter) come from a seeded stream that the sim installs
 * as libsodium's randombytes implementation -- test code only, never a
 * real key.  Nodes are named "node<i>".  Time starts at NET_T0.
 *
 * Restart (sim_stop + sim_start) is node_free + node_new on the same host,
 * keeping the record set as recset_serialize() bytes, as meshd keeps its
 * records file.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "overlay/node.h"

#define SIM_PORT		51830
#define SIM_EPOCH		1800000000ULL	/* unix seconds at t = 0 */
#define SIM_CERT_LIFETIME	(365 * 86400ULL)
#define SIM_DEAD_MS		4000

/* What one node's engine reported, for assertions. */
struct sim_seen {
	enum member_state state;	/* last NODE_EV_MEMBER_STATE */
	uint64_t state_at;		/* ms of it; 0: none yet */
	uint64_t new_at;		/* ms of NODE_EV_MEMBER_NEW; 0: none */
	uint64_t changes;		/* state events about this member */
};

struct sim_obs {
	uint64_t events[NODE_EV_PUBLISH_FAILED + 1];	/* by kind */
	struct sim_seen *seen;		/* [sim_max], by node index */
	int last_join_err;		/* of the last NODE_EV_JOIN */
	char last_join[MESH_LABEL_MAX + 1];
	uint64_t sent_v6;		/* datagrams to IPv6: dropped */
	/* The node's TUN (the data plane is on in every node): what the
	 * engine wrote to it. */
	uint64_t tun_pkts, tun_unreach;	/* packets; ICMPv6 unreachables */
	uint32_t tun_too_big_mtu;	/* of the last Packet Too Big */
	uint64_t tun_last_at;		/* ms of the last packet */
	uint8_t tun_last_src[16];	/* its source address */
	uint32_t tun_last_seq;		/* sim_send_ip's sequence in it */
	size_t tun_last_len;		/* its length */
	uint64_t tun_corrupt;		/* sim_send_ip packets whose payload
					 * was not what was sent */
	uint64_t sent_watch;		/* datagrams to sim_watch's address */
};

struct sim;

/* A simulator for at most max nodes; dead_ms for every node (0:
 * SIM_DEAD_MS).  Installs the seeded randombytes (see above). */
struct sim *sim_new(uint64_t seed, size_t max, uint64_t dead_ms);
void sim_free(struct sim *sim);
struct net *sim_net(struct sim *sim);
uint64_t sim_now(const struct sim *sim);
size_t sim_count(const struct sim *sim);

/* A NAT with its own external address; its id for sim_add. */
int sim_nat(struct sim *sim, enum net_nat_kind kind);
/* A node (not started) on a new host behind nat (-1: public): its index.
 * Public hosts get 10.1.x.y, hosts behind NAT k 192.168.k.x.  can_redeem:
 * the node holds the CA key and admits joiners. */
int sim_add(struct sim *sim, int nat, bool can_redeem);
/* node_new (with the saved records, if any) and its first tick. */
void sim_start(struct sim *sim, int i);
/* Crash (clean: node_leave first), keep the records, node_free; the host
 * goes down, so packets to it vanish. */
void sim_stop(struct sim *sim, int i, bool clean);
/* Seed slot (< 4) of node i: node j's addresses, as a `peer =` line
 * would, and j's record, as the answer to i's join would have left it
 * (the engine tries seeds only for members it holds a record of).  Kept
 * across restarts; on a stopped node, given at its next sim_start. */
void sim_seed(struct sim *sim, int i, int j, size_t slot);
/* sim_add + sim_start + seed slot 0 with node `seed` (-1: none), n times;
 * the first index. */
int sim_add_many(struct sim *sim, size_t n, int nat, int seed);

void sim_run_until(struct sim *sim, uint64_t t);
void sim_run_for(struct sim *sim, uint64_t ms);
/* Run until pred holds (checked every step_ms) or limit (absolute):
 * the first time it held, or UINT64_MAX. */
uint64_t sim_run_until_pred(struct sim *sim,
    bool (*pred)(struct sim *, void *), void *arg, uint64_t step_ms,
    uint64_t limit);

struct node *sim_node(struct sim *sim, int i);		/* NULL: stopped */
bool sim_up(const struct sim *sim, int i);
int sim_host(const struct sim *sim, int i);
const uint8_t *sim_pk(const struct sim *sim, int i);
const char *sim_name(const struct sim *sim, int i);
const struct sim_obs *sim_obs(const struct sim *sim, int i);

/* Does node i hold j's record / see j alive now (node_peer)? */
bool sim_has_record(struct sim *sim, int i, int j);
bool sim_state_is(struct sim *sim, int i, int j, enum member_state st);
/* Every running node holds every running node's record and sees it
 * alive. */
bool sim_converged(struct sim *sim, void *unused);
/* Every running node holds the record of j. */
bool sim_all_have(struct sim *sim, void *j);

/* The usual start of a scenario: a simulator for at most max nodes and n
 * public nodes, node 0 the CA holder, every other seeded with node 0. */
struct sim *sim_mesh(uint64_t seed, size_t max, size_t n, uint64_t dead_ms);
/* Run until sim_converged, at most within_ms: how long it took, or
 * UINT64_MAX after a dump of every node to stderr. */
uint64_t sim_converge(struct sim *sim, uint64_t within_ms);

/* The data plane.  Node i's overlay address. */
void sim_addr(const struct sim *sim, int i, uint8_t addr[static 16]);
/* Hand node i's engine, as if read from its TUN, an IPv6/UDP packet of
 * len bytes (>= 48) to dst, carrying seq and after it a pattern of seq
 * (tun_corrupt counts those that do not come out so). */
void sim_send_ip_to(struct sim *sim, int i, const uint8_t dst[static 16],
    size_t len, uint32_t seq);
/* The same to node j's address. */
void sim_send_ip(struct sim *sim, int i, int j, size_t len, uint32_t seq);

/* Count, in every node's sent_watch, datagrams it sends to ip. */
void sim_watch(struct sim *sim, uint32_t ip);
/* Called with every datagram before it reaches a node's engine: true
 * drops it.  NULL: none.  (Hostile scenarios: tests/sim/sim-hostile.h.) */
typedef bool (*sim_tap_fn)(struct sim *sim, int i, const struct net_addr *from,
    const uint8_t *pkt, size_t len, void *arg);
void sim_set_tap(struct sim *sim, sim_tap_fn fn, void *arg);
/* Hand node i's engine a datagram as if from ip:port (a forged source). */
void sim_deliver_as(struct sim *sim, int i, uint32_t ip, uint16_t port,
    const uint8_t *pkt, size_t len);

/* Every node's records, peers and counters, and the network's. */
void sim_dump(struct sim *sim, FILE *f);

/* The CA (sim_ca.c). */
void sim_revoke_key(struct sim *sim, int i, struct mesh_revocation *rv);
/* An invite for name: the joiner's proof for pk is
 * sim_invite_proof(sim, name, pk, proof). */
void sim_invite(struct sim *sim, const char *name);
void sim_invite_proof(struct sim *sim, const char *name,
    const uint8_t pk[static MESH_KEY_LEN], uint8_t proof[static 32]);

/* Joiners (sim_join.c).  Node i (added, not started) asks member for a
 * certificate under name (NULL: its own), with a proof from the invite
 * of that name when proof, else with zeros.  sim_join_done: the answer
 * came (err: 0 or the member's -errno); on 0, sim_start(i) runs it with
 * the new certificate. */
void sim_join(struct sim *sim, int i, int member, const char *name,
    bool proof);
/* The same, as someone who is not really joining: SILENT opens the
 * session and holds it with a keepalive a second, never asking; CHATTY
 * sends JOIN_REQ every 500 ms forever, answered or not. */
enum sim_join_mode { SIM_JOIN_NORMAL, SIM_JOIN_SILENT, SIM_JOIN_CHATTY };
void sim_join_as(struct sim *sim, int i, int member, const char *name,
    bool proof, enum sim_join_mode mode);
bool sim_join_done(const struct sim *sim, int i, int *err);

/* LAN discovery and roaming (sim_lan.c).  Node i's beacon, handed to
 * node j's engine at once as if multicast on their LAN (from i's first
 * address): node_lan_recv's verdict. */
enum vr sim_lan_beacon(struct sim *sim, int i, int j);
/* Node i's host takes address ip in place of its first (the old one is
 * gone: packets to it vanish); with notice, its engine hears of it at
 * once (node_net_changed, as meshd's rtnetlink watch calls it). */
void sim_move(struct sim *sim, int i, uint32_t ip, bool notice);

#endif

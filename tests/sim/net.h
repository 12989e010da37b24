/*
 * A fake IPv4 network on a virtual clock, for the mesh simulator.
 *
 * Nothing here touches a socket or a real clock, and nothing here knows
 * about the mesh: hosts, addresses, links, NATs and one event queue.  The
 * mesh layer (sim.c) sits on top and turns deliveries into node_recv()
 * and timers into node_tick().
 *
 *   hosts      have one or more IPv4 addresses and may be down (packets to
 *              them vanish).  A host is public or behind one NAT.
 *   links      delay + jitter (uniform) + loss, a default for every pair
 *              and per-pair overrides.  Loss and jitter come from one
 *              seeded PRNG: the same seed and the same calls give the same
 *              run, packet for packet.
 *   partitions each host has a side (0 by default); a packet between
 *              hosts on different sides is dropped at delivery.  net_heal()
 *              puts everyone back on side 0.
 *   NATs       one external address in front of a group of hosts.  Both
 *              kinds filter by address and port (only replies to a flow
 *              the inside opened pass) and forget a flow after timeout_ms
 *              without outbound traffic:
 *                NET_NAT_PRESERVE   one external port per inside endpoint,
 *                                   the inside port itself when free
 *                                   (Linux masquerade);
 *                NET_NAT_SYMMETRIC  a new external port for every
 *                                   destination (the next free one);
 *                NET_NAT_RANDOM     the same with a random free port
 *                                   (masquerade random,fully-random):
 *                                   no port can be predicted.
 *              Hosts behind the same NAT reach each other on their inside
 *              addresses directly; a packet to the NAT's own external
 *              address hairpins through the filter like any other.
 *              Inside addresses are private to their NAT: two NATs may use
 *              the same 192.168.1.0/24.
 *   clock      milliseconds, starting at NET_T0 (non-zero, as the engine
 *              wants).  Events (deliveries and timers) run in time order,
 *              ties in the order they were queued.
 */
#ifndef SIM_NET_H
#define SIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_T0			1000	/* ms: the clock's first value */
#define NET_ADDRS_MAX		4	/* addresses per host */
#define NET_NAT_TIMEOUT_MS	30000
#define NET_PKT_MAX		65535

#define NET_IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	    (uint32_t)(d))

struct net_addr {
	uint32_t ip;			/* host order */
	uint16_t port;
};

enum net_nat_kind {
	NET_NAT_PRESERVE,
	NET_NAT_SYMMETRIC,
	NET_NAT_RANDOM,
};

struct net_link {
	uint32_t delay_ms;
	uint32_t jitter_ms;		/* + uniform [0, jitter_ms] */
	uint32_t loss_ppm;		/* dropped per million */
};

struct net_cb {
	void *ctx;
	/* A datagram arrives at host `host`, addressed to `to` (one of its
	 * own addresses), seen as coming from `from` (after any NAT). */
	void (*recv)(void *ctx, int host, const struct net_addr *to,
	    const struct net_addr *from, const uint8_t *pkt, size_t len);
	/* A timer set with net_timer() is due. */
	void (*timer)(void *ctx, int host, uint64_t at);
};

/* Why packets did not arrive; all counted once, where they fell. */
struct net_stats {
	uint64_t sent, delivered, bytes_sent;
	uint64_t lost;			/* link loss */
	uint64_t no_route;		/* no host or NAT has that address */
	uint64_t filtered;		/* a NAT had no flow for it */
	uint64_t partitioned;		/* sender and receiver on two sides */
	uint64_t down;			/* receiver down on arrival */
	uint64_t timers;
};

struct net;

struct net *net_new(uint64_t seed, const struct net_cb *cb);
void net_free(struct net *net);
uint64_t net_now(const struct net *net);
const struct net_stats *net_stats(const struct net *net);

/* A NAT with external address ext_ip; its id (>= 0). */
int net_nat_new(struct net *net, enum net_nat_kind kind, uint32_t ext_ip);
void net_nat_set_timeout(struct net *net, int nat, uint64_t timeout_ms);
/* The NAT forgets every flow (a reboot, a carrier NAT rebinding): the
 * next packets out get new flows and, unless preserved, new ports. */
void net_nat_reset(struct net *net, int nat);
/* Live flows through the NAT now (expired ones do not count). */
size_t net_nat_flows(struct net *net, int nat);

/* A host behind nat (-1: public) with its first address; its id (>= 0).
 * Aborts on misuse (an address already taken in that scope). */
int net_host_new(struct net *net, int nat, uint32_t ip);
void net_host_add_addr(struct net *net, int host, uint32_t ip);
/* The host's k-th address becomes ip (it moved: DHCP, another network);
 * packets to the old one find no route from then on. */
void net_host_set_addr(struct net *net, int host, size_t k, uint32_t ip);
size_t net_host_addrs(const struct net *net, int host, uint32_t *ip,
    size_t max);
int net_host_nat(const struct net *net, int host);
void net_host_set_up(struct net *net, int host, bool up);
bool net_host_up(const struct net *net, int host);
/* Datagrams and bytes this host sent and received. */
void net_host_traffic(const struct net *net, int host, uint64_t *tx_pkts,
    uint64_t *tx_bytes, uint64_t *rx_pkts, uint64_t *rx_bytes);

void net_set_default_link(struct net *net, const struct net_link *l);
/* Both directions between hosts a and b. */
void net_set_link(struct net *net, int a, int b, const struct net_link *l);

/* Put the hosts on side `side` (non-zero); net_heal: all back on 0. */
void net_partition(struct net *net, const int *hosts, size_t n, int side);
void net_heal(struct net *net);

/* Send from host's own address `from` (must be one of its addresses). */
void net_send(struct net *net, int host, const struct net_addr *from,
    const struct net_addr *to, const uint8_t *pkt, size_t len);
/* Call cb.timer(host, at) at time at (>= now). */
void net_timer(struct net *net, int host, uint64_t at);

/* Run the next event; false when there is none. */
bool net_step(struct net *net);
/* Run every event due at or before t, then set the clock to t. */
void net_run_until(struct net *net, uint64_t t);
/* The time of the next event, UINT64_MAX when none. */
uint64_t net_next(const struct net *net);

#endif

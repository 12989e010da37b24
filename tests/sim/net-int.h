/*
 * The fake network's insides, shared by net.c and net_nat.c only.
 */
#ifndef SIM_NET_INT_H
#define SIM_NET_INT_H

#include "evq.h"
#include "net.h"

#define PORT_FIRST	20000		/* where NATs start handing out ports */

struct host {
	int nat;			/* -1: public */
	uint32_t ip[NET_ADDRS_MAX];
	size_t n_ip;
	bool up;
	int side;
	uint64_t tx_pkts, tx_bytes, rx_pkts, rx_bytes;
};

struct flow {
	struct net_addr in, remote;	/* inside endpoint, who it talks to */
	uint16_t ext_port;
	uint64_t last_out;		/* ms of the last outbound packet */
};

struct nat {
	enum net_nat_kind kind;
	uint32_t ext_ip;
	uint64_t timeout_ms;
	struct flow *f;
	size_t n, cap;
	uint32_t next_port;
	uint64_t rng;			/* NET_NAT_RANDOM's ports */
};

struct link_ovr {
	int a, b;			/* a < b */
	struct net_link l;
};

/* Open addressing, linear probing; value >= 0 a host, <= -2 a NAT. */
struct slot {
	uint64_t key;			/* scope << 32 | ip; 0 = empty */
	int val;
};

enum ev_kind { EV_PKT, EV_TIMER };

struct ev {
	enum ev_kind kind;
	int host, src;
	struct net_addr to, from;
	size_t len;
	uint8_t pkt[];
};

struct net {
	struct net_cb cb;
	uint64_t now, rng;
	struct evq q;
	struct host *h;
	size_t n_h, cap_h;
	struct nat *nat;
	size_t n_nat;
	struct link_ovr *ovr;
	size_t n_ovr;
	struct net_link dflt;
	struct slot *tab;
	size_t tab_cap, tab_n;
	struct net_stats st;
};

/* net.c */
void *net_xrealloc(void *p, size_t n);	/* aborts when out of memory */

/* net_nat.c: the external port for a packet from inside `in` to remote
 * (opens or refreshes a flow); the inside endpoint for a packet from
 * remote to ext_port, false when no live flow matches. */
uint16_t net_nat_out(struct net *net, struct nat *x,
    const struct net_addr *in, const struct net_addr *remote);
bool net_nat_in(const struct net *net, const struct nat *x,
    uint16_t ext_port, const struct net_addr *remote, struct net_addr *in);

#endif

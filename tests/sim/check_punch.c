/*
 * Direct paths through NATs (issue 10, items 1 and 2): two members behind
 * NATs that reach each other only through a relay punch a direct path
 * (overlay/punch.c) where the NAT types allow one, and stay relayed,
 * quietly, where they do not:
 *
 *   separate port-preserving NATs, two public members   direct
 *   the same, one public member only                    relayed: its word
 *                                                       alone is not taken
 *   port-randomising NATs on both sides                 relayed
 *   preserving on one side, randomising on the other    relayed (both
 *                                                       filter by address
 *                                                       and port)
 *   both behind one NAT                                 direct, LAN
 *
 * and a member cannot aim others' probes: a false SEEN alone is not
 * believed, a PUNCH flood is capped.  Virtual time, fixed seeds; how long
 * punching took is printed (for doc/overlay.md), never asserted tightly.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/msg.h"
#include "overlay/punch.h"
#include "sim-hostile.h"

#define DEAD	SIM_DEAD_MS

static struct sim *S;

static void
teardown(void)
{
	sim_free(S);
	S = NULL;
}

static const struct node_counters *
ctr(int i)
{
	return node_counters(sim_node(S, i));
}

static bool
info(int i, int j, struct node_peer_info *pi)
{
	return node_peer(sim_node(S, i), sim_now(S), sim_pk(S, j), pi);
}

/* Is i's path to j its own UDP path now? */
static bool
direct(int i, int j)
{
	struct node_peer_info pi;

	return info(i, j, &pi) && pi.direct;
}

static bool
relayed(int i, int j)
{
	struct node_peer_info pi;

	return info(i, j, &pi) && pi.relayed;
}

struct pair { int a, b; };

static bool
both_direct(struct sim *sim, void *arg)
{
	struct pair *p = arg;

	(void)sim;
	return direct(p->a, p->b) && direct(p->b, p->a);
}

static bool
both_relayed(struct sim *sim, void *arg)
{
	struct pair *p = arg;

	(void)sim;
	return relayed(p->a, p->b) && relayed(p->b, p->a);
}

/* npub public members (node 0 the CA), then a behind a new NAT of kind
 * ka and b behind one of kind kb (-1: a's NAT), both seeded with 0. */
static struct pair
topo(uint64_t seed, size_t npub, int ka, int kb)
{
	struct pair p;
	int na, nb;

	S = sim_mesh(seed, 16, npub, DEAD);
	na = sim_nat(S, (enum net_nat_kind)ka);
	nb = kb < 0 ? na : sim_nat(S, (enum net_nat_kind)kb);
	p.a = sim_add(S, na, false);
	p.b = sim_add(S, nb, false);
	sim_seed(S, p.a, 0, 0);
	sim_seed(S, p.b, 0, 0);
	sim_start(S, p.a);
	sim_start(S, p.b);
	return p;
}

/* Send from i to j every 10 ms for ms; how many of them j's TUN got. */
static unsigned
stream(int i, int j, uint64_t ms, uint32_t *seq)
{
	uint64_t before = sim_obs(S, j)->tun_pkts;

	for (uint64_t t = 0; t < ms; t += 10) {
		sim_send_ip(S, i, j, 200, ++*seq);
		sim_run_for(S, 10);
	}
	sim_run_for(S, 200);	/* in flight */
	return (unsigned)(sim_obs(S, j)->tun_pkts - before);
}

static uint64_t
relays(size_t npub)
{
	uint64_t k = 0;

	for (size_t i = 0; i < npub; i++)
		k += ctr((int)i)->hops_relayed;
	return k;
}

/* Watch i's path to j for ms, once a second: how often it changed
 * between direct and not. */
static unsigned
flaps(int i, int j, uint64_t ms)
{
	bool was = direct(i, j);
	unsigned k = 0;

	for (uint64_t t = 0; t < ms; t += 1000) {
		sim_run_for(S, 1000);
		if (direct(i, j) != was) {
			was = !was;
			k++;
		}
	}
	return k;
}

/* --- where a direct path can exist ---------------------------------------- */

START_TEST(preserving)
{
	struct pair p = topo(21, 2, NET_NAT_PRESERVE, NET_NAT_PRESERVE);
	uint64_t t0 = sim_now(S), t, up, before;
	struct node_peer_info pi;
	uint32_t seq = 0;
	unsigned got = 0, sent = 0;

	/* Relayed first: both NATs drop what the other sends unasked. */
	up = sim_run_until_pred(S, both_relayed, &p, 10, t0 + 30000);
	ck_assert_uint_ne(up, UINT64_MAX);
	/* Traffic from then on, through the move to the direct path: none
	 * of it may be lost. */
	while (!both_direct(S, &p) && sim_now(S) < up + 60000) {
		got += stream(p.a, p.b, 100, &seq);
		sent += 10;
	}
	t = sim_now(S);
	ck_assert(both_direct(S, &p));
	fprintf(stderr, "punch preserving: relayed at %llu ms, direct %llu ms "
	    "later (%llu ms from start); %u/%u packets over the move\n",
	    (unsigned long long)(up - t0), (unsigned long long)(t - up),
	    (unsigned long long)(t - t0), got, sent);
	ck_assert_uint_eq(got, sent);
	ck_assert_uint_ge(ctr(p.a)->punch_direct + ctr(p.b)->punch_direct, 1);
	/* Direct: the relays carry none of it. */
	before = relays(2);
	ck_assert_uint_eq(stream(p.a, p.b, 1000, &seq), 100);
	ck_assert_uint_eq(stream(p.b, p.a, 1000, &seq), 100);
	ck_assert_uint_eq(relays(2), before);
	ck_assert(info(p.a, p.b, &pi));
	ck_assert_uint_gt(pi.tx_direct_bytes, 0);
	/* Kept open well past the NATs' 30 s, idle. */
	ck_assert_uint_eq(flaps(p.a, p.b, 90000), 0);
	ck_assert(both_direct(S, &p));
	/* The direct path dies: back to the relay, losing what went out
	 * before probe.c called it dead (about 400 ms). */
	{
		struct net_link l = { .delay_ms = 1, .loss_ppm = 1000000 };
		net_set_link(sim_net(S), sim_host(S, p.a), sim_host(S, p.b), &l);
	}
	got = stream(p.a, p.b, 3000, &seq);
	fprintf(stderr, "punch preserving: direct path cut, %u/300 packets "
	    "arrived\n", got);
	ck_assert_uint_ge(got, 240);
	ck_assert(relayed(p.a, p.b));
	ck_assert_uint_gt(relays(2), before);
	/* Stays cut for a minute (the rounds back off to their cap), then
	 * opens again: punched again within a round or two. */
	sim_run_for(S, 60000);
	ck_assert(!direct(p.a, p.b));
	net_set_link(sim_net(S), sim_host(S, p.a), sim_host(S, p.b),
	    &(struct net_link){ .delay_ms = 10 });
	t0 = sim_now(S);
	t = sim_run_until_pred(S, both_direct, &p, 10, t0 + 60000);
	ck_assert_uint_ne(t, UINT64_MAX);
	fprintf(stderr, "punch preserving: path open again, direct %llu ms "
	    "later\n", (unsigned long long)(t - t0));
}
END_TEST

/* Both behind one NAT: their records carry their LAN addresses. */
START_TEST(same_nat)
{
	struct pair p = topo(22, 1, NET_NAT_RANDOM, -1);
	struct node_peer_info pi;
	uint64_t t0 = sim_now(S), t;

	t = sim_run_until_pred(S, both_direct, &p, 10, t0 + 30000);
	ck_assert_uint_ne(t, UINT64_MAX);
	fprintf(stderr, "punch same_nat: direct %llu ms from start\n",
	    (unsigned long long)(t - t0));
	ck_assert(info(p.a, p.b, &pi));
	ck_assert_uint_eq(pi.ep.addr[0], 192);	/* the LAN address */
	ck_assert_uint_eq(pi.ep.addr[1], 168);
	ck_assert_uint_eq(flaps(p.a, p.b, 60000), 0);
}
END_TEST

/* --- where none can ------------------------------------------------------- */

/* Stays relayed, never flaps, and punching costs little: a few rounds
 * in the first minute, then one every 16-20 s. */
static void
stays_relayed(struct pair *p, const char *what)
{
	uint64_t probes;
	uint32_t seq = 0;

	ck_assert_uint_ne(sim_run_until_pred(S, both_relayed, p, 10,
	    sim_now(S) + 30000), UINT64_MAX);
	ck_assert_uint_eq(flaps(p->a, p->b, 600000), 0);
	ck_assert(both_relayed(S, p));
	ck_assert_uint_ge(stream(p->a, p->b, 500, &seq), 48);
	probes = ctr(p->a)->punch_probes + ctr(p->b)->punch_probes;
	fprintf(stderr, "punch %s: relayed after 10 min, %llu punch probes, "
	    "%llu rounds, %llu PUNCHes sent by the two\n", what,
	    (unsigned long long)probes,
	    (unsigned long long)(ctr(p->a)->punch_rounds +
	    ctr(p->b)->punch_rounds),
	    (unsigned long long)(ctr(p->a)->punch_sent +
	    ctr(p->b)->punch_sent));
	ck_assert_uint_gt(probes, 0);
	ck_assert_uint_le(probes, 1000);
	/* (punch_direct may count their paths to a public member: a
	 * session that came up through a relay first.) */
}

START_TEST(random_both)
{
	struct pair p = topo(23, 2, NET_NAT_RANDOM, NET_NAT_RANDOM);

	stays_relayed(&p, "random_both");
}
END_TEST

START_TEST(symmetric_both)
{
	struct pair p = topo(24, 2, NET_NAT_SYMMETRIC, NET_NAT_SYMMETRIC);

	stays_relayed(&p, "symmetric_both");
}
END_TEST

/* Preserving on a's side, randomising on b's: b's probes come from a
 * port a never sent to, which a's NAT filters, and b has no port to
 * tell a.  (A NAT that filtered by address only would let them in.) */
START_TEST(mixed)
{
	struct pair p = topo(25, 2, NET_NAT_PRESERVE, NET_NAT_RANDOM);

	stays_relayed(&p, "mixed");
}
END_TEST

/* One public member: the only one that sees where a and b come from.
 * One member's word is not enough to publish or hand on. */
START_TEST(one_witness)
{
	struct pair p = topo(26, 1, NET_NAT_PRESERVE, NET_NAT_PRESERVE);

	stays_relayed(&p, "one_witness");
}
END_TEST

/* --- what a member cannot make others do ---------------------------------- */

static struct mesh_endpoint
v4(uint32_t ip, uint16_t port)
{
	struct mesh_endpoint e;

	memset(&e, 0, sizeof(e));
	e.family = MESH_EP_IPV4;
	e.addr[0] = (uint8_t)(ip >> 24);
	e.addr[1] = (uint8_t)(ip >> 16);
	e.addr[2] = (uint8_t)(ip >> 8);
	e.addr[3] = (uint8_t)ip;
	e.port = port;
	return e;
}

#define VICTIM	NET_IP(203, 0, 113, 9)

/* Public node 1 tells a (behind NAT) it sees a at the victim's address,
 * again and again: a publishes it not, hands it on in no PUNCH, and
 * nobody sends the victim anything. */
START_TEST(liar_alone)
{
	struct pair p = topo(27, 2, NET_NAT_PRESERVE, NET_NAT_PRESERVE);
	struct mesh_endpoint lie = v4(VICTIM, 4444);
	uint8_t m[MSG_MAX];
	const struct mesh_record *r;

	sim_watch(S, VICTIM);
	ck_assert_uint_ne(sim_run_until_pred(S, both_direct, &p, 10,
	    sim_now(S) + 60000), UINT64_MAX);
	/* Make the pair relayed again, so that they punch while the lie
	 * stands. */
	{
		struct net_link l = { .delay_ms = 1, .loss_ppm = 1000000 };
		net_set_link(sim_net(S), sim_host(S, p.a), sim_host(S, p.b), &l);
	}
	for (int k = 0; k < 60; k++) {
		ck_assert_int_eq(sim_inject(S, 1, p.a, m, msg_seen_encode(&lie,
		    m)), 0);
		sim_run_for(S, 1000);
	}
	r = node_self(sim_node(S, p.a));
	for (size_t e = 0; e < r->n_ep; e++)
		ck_assert(memcmp(&r->ep[e], &lie, sizeof(lie)) != 0);
	ck_assert_uint_gt(ctr(p.a)->punch_sent + ctr(p.b)->punch_sent, 0);
	for (int i = 0; i < (int)sim_count(S); i++)
		ck_assert_uint_eq(sim_obs(S, i)->sent_watch, 0);
}
END_TEST

/* b floods a with PUNCHes aimed at the victim (eight ports a message,
 * ten messages a second) and junk: one a second is taken, the victim
 * gets a handful of probes a second from a at most, the junk is counted
 * and dropped, and a and b still talk through the relay. */
START_TEST(punch_flood)
{
	struct pair p = topo(28, 2, NET_NAT_RANDOM, NET_NAT_RANDOM);
	struct punch_msg pm;
	uint8_t m[MSG_MAX];
	size_t len;
	uint32_t seq = 0;
	uint64_t t0;

	ck_assert_uint_ne(sim_run_until_pred(S, both_relayed, &p, 10,
	    sim_now(S) + 30000), UINT64_MAX);
	sim_watch(S, VICTIM);
	memset(&pm, 0, sizeof(pm));
	pm.n = PUNCH_CANDS_MAX;
	for (size_t i = 0; i < pm.n; i++)
		pm.ep[i] = v4(VICTIM, (uint16_t)(1000 + i));
	len = punch_encode(&pm, m);
	ck_assert_uint_eq(len, PUNCH_LEN_MAX);
	t0 = sim_now(S);
	for (int k = 0; k < 100; k++) {
		ck_assert_int_eq(sim_inject(S, p.b, p.a, m, len), 0);
		sim_run_for(S, 100);
	}
	fprintf(stderr, "punch flood: %llu PUNCHes taken, %llu refused, %llu "
	    "datagrams to the victim in %llu ms\n",
	    (unsigned long long)ctr(p.a)->punch_rx,
	    (unsigned long long)ctr(p.a)->drop_punch_rate,
	    (unsigned long long)sim_obs(S, p.a)->sent_watch,
	    (unsigned long long)(sim_now(S) - t0));
	ck_assert_uint_ge(ctr(p.a)->drop_punch_rate, 80);
	/* Per address: a burst of 4, then 2 a second (node.c). */
	ck_assert_uint_le(sim_obs(S, p.a)->sent_watch, 4 + 2 * 11);
	/* Junk: an empty list, an unknown family, a flag, a short one. */
	m[2] = 0;
	ck_assert_int_eq(sim_inject(S, p.b, p.a, m, PUNCH_HEAD), 0);
	len = punch_encode(&pm, m);
	m[PUNCH_HEAD] = 9;
	ck_assert_int_eq(sim_inject(S, p.b, p.a, m, len), 0);
	len = punch_encode(&pm, m);
	m[1] = 0x80;
	ck_assert_int_eq(sim_inject(S, p.b, p.a, m, len), 0);
	len = punch_encode(&pm, m);
	ck_assert_int_eq(sim_inject(S, p.b, p.a, m, len - 1), 0);
	sim_run_for(S, 100);
	ck_assert_uint_ge(ctr(p.a)->drop_punch + ctr(p.a)->drop_badmsg, 4);
	ck_assert_uint_ge(stream(p.a, p.b, 500, &seq), 48);
	ck_assert_uint_ge(stream(p.b, p.a, 500, &seq), 48);
}
END_TEST

/* A PUNCH that lists loopback would aim a's probes at a's own services:
 * not one goes there. */
START_TEST(punch_loopback)
{
	struct pair p = topo(29, 2, NET_NAT_RANDOM, NET_NAT_RANDOM);
	struct punch_msg pm;
	uint8_t m[MSG_MAX];

	ck_assert_uint_ne(sim_run_until_pred(S, both_relayed, &p, 10,
	    sim_now(S) + 30000), UINT64_MAX);
	sim_watch(S, NET_IP(127, 0, 0, 1));
	memset(&pm, 0, sizeof(pm));
	pm.n = 2;
	pm.ep[0] = v4(NET_IP(127, 0, 0, 1), 53);
	pm.ep[1] = v4(NET_IP(127, 0, 0, 1), 51830);
	for (int k = 0; k < 5; k++) {
		ck_assert_int_eq(sim_inject(S, p.b, p.a, m, punch_encode(&pm, m)),
		    0);
		sim_run_for(S, 1500);
	}
	ck_assert_uint_ge(ctr(p.a)->punch_rx, 5);
	ck_assert_uint_eq(sim_obs(S, p.a)->sent_watch, 0);
}
END_TEST

/* The parser alone: what it takes and what it refuses. */
START_TEST(codec)
{
	struct punch_msg pm, out;
	uint8_t m[PUNCH_LEN_MAX + 8];
	size_t len;

	memset(&pm, 0, sizeof(pm));
	ck_assert_uint_eq(punch_encode(&pm, m), 0);
	pm.n = 2;
	pm.flags = PUNCH_F_ANSWER;
	pm.ep[0] = v4(NET_IP(198, 51, 100, 1), 51830);
	pm.ep[1] = v4(NET_IP(192, 168, 1, 2), 51830);
	pm.ep[1].family = MESH_EP_IPV6;
	pm.ep[1].addr[15] = 1;
	len = punch_encode(&pm, m);
	ck_assert_uint_eq(len, PUNCH_LEN(2));
	ck_assert(punch_decode(m, len, &out));
	ck_assert_uint_eq(out.n, 2);
	ck_assert_uint_eq(out.flags, PUNCH_F_ANSWER);
	ck_assert(memcmp(&out.ep[0], &pm.ep[0], sizeof(pm.ep[0])) == 0);
	ck_assert(memcmp(&out.ep[1], &pm.ep[1], sizeof(pm.ep[1])) == 0);
	ck_assert(!punch_decode(m, len - 1, &out));
	ck_assert(!punch_decode(m, len + 1, &out));
	m[2] = 3;
	ck_assert(!punch_decode(m, len, &out));	/* n says more */
	m[2] = 2;
	m[PUNCH_HEAD + 1] = m[PUNCH_HEAD + 2] = 0;	/* port 0 */
	ck_assert(!punch_decode(m, len, &out));
	len = punch_encode(&pm, m);
	m[PUNCH_HEAD + 3 + 5] = 1;		/* IPv4 padding */
	ck_assert(!punch_decode(m, len, &out));
	pm.n = PUNCH_CANDS_MAX + 3;		/* capped */
	ck_assert_uint_eq(punch_encode(&pm, m), PUNCH_LEN_MAX);
	m[2] = PUNCH_CANDS_MAX + 1;
	ck_assert(!punch_decode(m, PUNCH_LEN(PUNCH_CANDS_MAX + 1), &out));
}
END_TEST

static Suite *
punch_suite(void)
{
	Suite *s = suite_create("punch");
	TCase *tc = tcase_create("sim");

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, codec);
	tcase_add_test(tc, preserving);
	tcase_add_test(tc, same_nat);
	tcase_add_test(tc, random_both);
	tcase_add_test(tc, symmetric_both);
	tcase_add_test(tc, mixed);
	tcase_add_test(tc, one_witness);
	tcase_add_test(tc, liar_alone);
	tcase_add_test(tc, punch_flood);
	tcase_add_test(tc, punch_loopback);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(punch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * The data plane on the simulator: IP packets handed to one engine as if
 * read from its TUN must come out of the destination's TUN -- directly,
 * or through a relay when the two have no path of their own -- and a
 * destination nobody can reach must get an ICMPv6 unreachable at once.
 * Virtual time, fixed seeds: a failure replays exactly.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define DEAD	SIM_DEAD_MS

static struct sim *S;

static void
teardown(void)
{
	sim_free(S);
	S = NULL;
}

static void
mesh(uint64_t seed, size_t n)
{
	S = sim_mesh(seed, 64, n, DEAD);
}

static void
converge(uint64_t within_ms)
{
	ck_assert_msg(sim_converge(S, within_ms) != UINT64_MAX,
	    "no convergence");
}

/* No packet between the hosts of nodes a and b, either way. */
static void
cut(int a, int b)
{
	struct net_link l = { .delay_ms = 1, .loss_ppm = 1000000 };

	net_set_link(sim_net(S), sim_host(S, a), sim_host(S, b), &l);
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

static const struct node_counters *
ctr(int i)
{
	return node_counters(sim_node(S, i));
}

static const struct session_stats *
sst(int i)
{
	return node_session_stats(sim_node(S, i));
}

/* Every datagram node i's session table dropped, whatever the reason. */
static uint64_t
drops(int i)
{
	const struct session_stats *st = sst(i);

	return st->drop_malformed + st->drop_mac + st->drop_crypto +
	    st->drop_refused + st->drop_replay_hs + st->drop_flood +
	    st->drop_collision + st->drop_index + st->drop_stale +
	    st->drop_auth + st->drop_replay + st->drop_nomem +
	    st->drop_hs_seen + st->drop_ratelimit + st->drop_cookie +
	    st->drop_hs_stale;
}

/* 0 and 2 cannot reach each other; 1 reaches both and relays. */
static void
relay_mesh(uint64_t seed)
{
	mesh(seed, 3);
	cut(0, 2);
	sim_seed(S, 2, 1, 1);	/* a peer line that works */
}

/* Hop datagrams arriving at the relay (node 1) from node 0 for node 2. */
struct hop_tap {
	unsigned initiations, responses, transports;	/* inner types seen */
	size_t want_len;	/* capture one of this length (0: none) */
	bool drop;		/* ... and keep it from the relay */
	bool got;
	struct net_addr from;
	uint8_t pkt[WIRE_PACKET_MAX];
	size_t len;
};

static bool
hop_tap(struct sim *sim, int i, const struct net_addr *from,
    const uint8_t *pkt, size_t len, void *arg)
{
	const struct wire_hop *h = (const struct wire_hop *)pkt;
	struct hop_tap *ht = arg;

	if (i != 1 || len < WIRE_HOP_MIN || pkt[0] != WIRE_HOP ||
	    memcmp(h->src, sim_pk(sim, 0), MESH_KEY_LEN) != 0 ||
	    memcmp(h->dst, sim_pk(sim, 2), MESH_KEY_LEN) != 0)
		return false;
	switch (pkt[sizeof(*h)]) {
	case WIRE_INITIATION:
		ht->initiations++;
		break;
	case WIRE_RESPONSE:
		ht->responses++;
		break;
	case WIRE_TRANSPORT:
		ht->transports++;
		break;
	}
	if (ht->got || ht->want_len == 0 || len != ht->want_len)
		return false;
	ht->got = true;
	ht->from = *from;
	memcpy(ht->pkt, pkt, len);
	ht->len = len;
	return ht->drop;
}

START_TEST(direct)
{
	uint8_t a1[16];
	uint32_t seq = 0;
	unsigned got;

	mesh(11, 3);
	converge(10000);
	got = stream(0, 2, 1000, &seq);
	ck_assert_uint_eq(got, 100);
	sim_addr(S, 0, a1);
	ck_assert_mem_eq(sim_obs(S, 2)->tun_last_src, a1, 16);
	ck_assert_uint_eq(sim_obs(S, 2)->tun_last_seq, seq);
	ck_assert_uint_eq(ctr(1)->hops_relayed, 0);
	ck_assert_uint_eq(ctr(0)->ip_out, 100);
	ck_assert_uint_eq(ctr(2)->ip_in, 100);
	/* A full-MTU packet fits a member's own path; one larger does not
	 * come from a TUN of that MTU, and is answered as too big. */
	sim_send_ip(S, 0, 2, NODE_IP_MTU, ++seq);
	sim_run_for(S, 200);
	ck_assert_uint_eq(sim_obs(S, 2)->tun_last_seq, seq);
	sim_send_ip(S, 0, 2, NODE_IP_MTU + 1, ++seq);
	ck_assert_uint_eq(sim_obs(S, 0)->tun_too_big_mtu, NODE_IP_MTU);
	ck_assert_uint_eq(ctr(0)->ip_too_big, 1);
}
END_TEST

/* 0 and 2 cannot reach each other; 1 reaches both. */
START_TEST(relayed)
{
	struct node_peer_info pi;
	uint32_t seq = 0;
	unsigned got;

	mesh(12, 3);
	cut(0, 2);
	sim_seed(S, 2, 1, 1);	/* a peer line that works */
	sim_run_for(S, 10000);
	got = stream(0, 2, 1000, &seq);
	ck_assert_uint_ge(got, 95);
	ck_assert_uint_gt(ctr(1)->hops_relayed, 0);
	/* The end-to-end session exists, and goes through node1. */
	ck_assert(node_peer(sim_node(S, 0), sim_now(S), sim_pk(S, 2), &pi));
	ck_assert(pi.up);
	ck_assert(!pi.direct);
	ck_assert(pi.relayed);
	ck_assert_str_eq(pi.relay_name, "node1");
	/* And back. */
	ck_assert_uint_ge(stream(2, 0, 500, &seq), 45);
	/* Both see each other alive, through the relay. */
	ck_assert(sim_state_is(S, 0, 2, MEMBER_ALIVE));
	ck_assert(sim_state_is(S, 2, 0, MEMBER_ALIVE));

	/* Path MTU: a relayed packet has 1,302 bytes; a bigger one gets a
	 * Packet Too Big saying so, and one that fits goes through. */
	sim_send_ip(S, 0, 2, NODE_IP_MTU, ++seq);
	ck_assert_uint_eq(sim_obs(S, 0)->tun_too_big_mtu, NODE_IP_MTU_RELAYED);
	ck_assert_uint_eq(ctr(0)->ip_too_big, 1);
	got = (unsigned)sim_obs(S, 2)->tun_pkts;
	sim_send_ip(S, 0, 2, NODE_IP_MTU_RELAYED, ++seq);
	sim_run_for(S, 200);
	ck_assert_uint_eq(sim_obs(S, 2)->tun_pkts, got + 1);
	ck_assert_uint_eq(sim_obs(S, 2)->tun_last_seq, seq);
}
END_TEST

/* Node 0 sends node 2 one packet of the relayed MTU (seq); the relay's
 * copy of its hop datagram (want_len bytes) is kept in ht, not relayed. */
static void
capture_hop(struct hop_tap *ht, size_t want_len, uint32_t seq)
{
	memset(ht, 0, sizeof(*ht));
	ht->want_len = want_len;
	ht->drop = true;
	sim_set_tap(S, hop_tap, ht);
	sim_send_ip(S, 0, 2, NODE_IP_MTU_RELAYED, seq);
	sim_run_for(S, 50);
	ck_assert(ht->got);
	sim_set_tap(S, NULL, NULL);
}

/* Every size up to the relayed MTU arrives intact, both ways; the
 * end-to-end handshake went through the relay too, in hop datagrams. */
START_TEST(relayed_sizes)
{
	static struct hop_tap ht;
	uint32_t seq = 0;

	memset(&ht, 0, sizeof(ht));
	relay_mesh(17);
	sim_set_tap(S, hop_tap, &ht);
	sim_run_for(S, 10000);
	ck_assert(sim_state_is(S, 0, 2, MEMBER_ALIVE));
	/* Which end initiates depends on timing; through the relay went
	 * some handshake either way, and data. */
	ck_assert_uint_gt(ht.initiations + ht.responses, 0);
	for (int dir = 0; dir < 2; dir++) {
		int from = dir == 0 ? 0 : 2, to = 2 - from;

		for (size_t len = 48; len <= NODE_IP_MTU_RELAYED; len++) {
			uint64_t before = sim_obs(S, to)->tun_pkts;

			sim_send_ip(S, from, to, len, ++seq);
			sim_run_for(S, 20);
			ck_assert_uint_eq(sim_obs(S, to)->tun_pkts, before + 1);
			ck_assert_uint_eq(sim_obs(S, to)->tun_last_len, len);
			ck_assert_uint_eq(sim_obs(S, to)->tun_last_seq, seq);
		}
		ck_assert_uint_eq(sim_obs(S, to)->tun_corrupt, 0);
	}
	ck_assert_uint_gt(ht.transports, NODE_IP_MTU_RELAYED - 48);
	ck_assert_uint_ge(ctr(1)->hops_relayed, 2 * (NODE_IP_MTU_RELAYED - 47));
	ck_assert_uint_ge(sst(1)->rx_hops, ctr(1)->hops_relayed);
	ck_assert_uint_eq(sst(2)->drop_auth, 0);
	ck_assert_uint_eq(sst(1)->drop_auth, 0);
	ck_assert_uint_eq(ctr(1)->drop_hop, 0);
	sim_set_tap(S, NULL, NULL);
}
END_TEST

/* A hop datagram with any authenticated byte changed dies at the relay,
 * counted; the real one then passes, once: its copy is a replay.  Bytes
 * of the inner ciphertext are the end-to-end session's to check: the
 * relay passes them on and the receiver drops them. */
START_TEST(hop_tampered)
{
	static struct hop_tap ht;
	static uint8_t bad[WIRE_PACKET_MAX];
	const size_t ilen = NODE_IP_MTU_RELAYED + WIRE_TRANSPORT_MIN;
	const size_t head = sizeof(struct wire_hop);
	uint64_t passed, d1, rx1, tun2, auth2;
	uint32_t seq = 0;
	size_t checked = 0;

	relay_mesh(18);
	sim_run_for(S, 10000);
	ck_assert_uint_ge(stream(0, 2, 200, &seq), 18);
	capture_hop(&ht, head + ilen + WIRE_TAG_LEN, ++seq);

	passed = ctr(1)->hops_relayed;
	rx1 = sst(1)->rx_packets;
	tun2 = sim_obs(S, 2)->tun_pkts;
	for (size_t k = 0; k < ht.len; k++) {
		bool inner_mid = k >= head + WIRE_HOP_AD_EDGE &&
		    k < head + ilen - WIRE_HOP_AD_EDGE;

		if (inner_mid)
			continue;
		memcpy(bad, ht.pkt, ht.len);
		bad[k] ^= k % 2 ? 0x01 : 0x80;
		d1 = drops(1);
		sim_deliver_as(S, 1, ht.from.ip, ht.from.port, bad, ht.len);
		ck_assert_msg(drops(1) == d1 + 1, "byte %zu not dropped", k);
		checked++;
	}
	ck_assert_uint_eq(checked, head + 2 * WIRE_HOP_AD_EDGE + WIRE_TAG_LEN);
	/* Shorter, longer: the length is in the AD. */
	d1 = drops(1);
	sim_deliver_as(S, 1, ht.from.ip, ht.from.port, ht.pkt, ht.len - 1);
	memcpy(bad, ht.pkt, ht.len);
	bad[ht.len] = 0;
	sim_deliver_as(S, 1, ht.from.ip, ht.from.port, bad, ht.len + 1);
	ck_assert_uint_eq(drops(1), d1 + 2);
	/* A stranger's datagram of the type: no session, nothing relayed. */
	memset(bad, 0x5a, ht.len);
	bad[0] = WIRE_HOP;
	bad[1] = bad[2] = bad[3] = 0;
	bad[head] = WIRE_TRANSPORT;
	d1 = drops(1);
	sim_deliver_as(S, 1, NET_IP(10, 250, 0, 9), 4444, bad, ht.len);
	ck_assert_uint_eq(drops(1), d1 + 1);
	ck_assert_uint_eq(ctr(1)->hops_relayed, passed);
	ck_assert_uint_eq(sst(1)->rx_packets, rx1);
	sim_run_for(S, 50);
	ck_assert_uint_eq(sim_obs(S, 2)->tun_pkts, tun2);

	/* The real one passes, and arrives. */
	sim_deliver_as(S, 1, ht.from.ip, ht.from.port, ht.pkt, ht.len);
	ck_assert_uint_eq(ctr(1)->hops_relayed, passed + 1);
	sim_run_for(S, 50);
	ck_assert_uint_eq(sim_obs(S, 2)->tun_pkts, tun2 + 1);
	ck_assert_uint_eq(sim_obs(S, 2)->tun_last_seq, seq);
	/* Its copy is a replay, in the hop session's window. */
	d1 = sst(1)->drop_replay;
	sim_deliver_as(S, 1, ht.from.ip, ht.from.port, ht.pkt, ht.len);
	ck_assert_uint_eq(sst(1)->drop_replay, d1 + 1);
	ck_assert_uint_eq(ctr(1)->hops_relayed, passed + 1);

	/* The inner ciphertext: passed on, refused at the end. */
	capture_hop(&ht, head + ilen + WIRE_TAG_LEN, ++seq);
	ht.pkt[head + ilen / 2] ^= 0x10;
	tun2 = sim_obs(S, 2)->tun_pkts;
	auth2 = sst(2)->drop_auth;
	sim_deliver_as(S, 1, ht.from.ip, ht.from.port, ht.pkt, ht.len);
	ck_assert_uint_eq(ctr(1)->hops_relayed, passed + 2);
	sim_run_for(S, 50);
	ck_assert_uint_eq(sst(2)->drop_auth, auth2 + 1);
	ck_assert_uint_eq(sim_obs(S, 2)->tun_pkts, tun2);
	/* And the path still works. */
	ck_assert_uint_ge(stream(0, 2, 200, &seq), 18);
	ck_assert_uint_eq(sim_obs(S, 2)->tun_corrupt, 0);
}
END_TEST

/* Two relays; the one in use dies; traffic moves to the other. */
START_TEST(relay_dies)
{
	struct node_peer_info pi;
	uint32_t seq = 0;
	uint64_t t0, last, gap = 0;
	int relay, other;

	mesh(13, 4);
	cut(0, 3);
	sim_seed(S, 3, 1, 1);
	sim_seed(S, 3, 2, 2);
	sim_run_for(S, 10000);
	ck_assert_uint_ge(stream(0, 3, 500, &seq), 45);
	ck_assert(node_peer(sim_node(S, 0), sim_now(S), sim_pk(S, 3), &pi));
	ck_assert(pi.relayed);
	relay = strcmp(pi.relay_name, "node1") == 0 ? 1 : 2;
	other = 3 - relay;
	sim_stop(S, relay, false);	/* a crash: no goodbye */
	t0 = last = sim_now(S);
	for (int k = 0; k < 1500; k++) {
		uint64_t before = sim_obs(S, 3)->tun_pkts;
		sim_send_ip(S, 0, 3, 200, ++seq);
		sim_run_for(S, 10);
		if (sim_obs(S, 3)->tun_pkts > before) {
			if (sim_now(S) - last > gap)
				gap = sim_now(S) - last;
			last = sim_now(S);
		}
	}
	fprintf(stderr, "relay_dies: %llu ms without packets after the relay "
	    "died (dead_after %d ms)\n", (unsigned long long)gap, DEAD);
	ck_assert_msg(last > t0 + 10000, "traffic did not resume");
	ck_assert(node_peer(sim_node(S, 0), sim_now(S), sim_pk(S, 3), &pi));
	ck_assert(pi.relayed);
	ck_assert_str_eq(pi.relay_name, sim_name(S, other));
	/* The path in use is probed every 100 ms while it carries
	 * traffic: the issue asks for under a second. */
	ck_assert_uint_lt(gap, 1000);
}
END_TEST

/* Traffic on a direct path that dies moves to a relay in under a second,
 * and back when the direct path works again. */
START_TEST(direct_path_dies)
{
	struct node_peer_info pi;
	uint32_t seq = 0;
	uint64_t last, gap = 0;

	mesh(16, 3);
	converge(10000);
	ck_assert_uint_eq(stream(0, 2, 500, &seq), 50);
	ck_assert(node_peer(sim_node(S, 0), sim_now(S), sim_pk(S, 2), &pi));
	ck_assert(pi.direct);
	cut(0, 2);
	last = sim_now(S);
	for (int k = 0; k < 300; k++) {
		uint64_t before = sim_obs(S, 2)->tun_pkts;
		sim_send_ip(S, 0, 2, 200, ++seq);
		sim_run_for(S, 10);
		if (sim_obs(S, 2)->tun_pkts > before) {
			if (sim_now(S) - last > gap)
				gap = sim_now(S) - last;
			last = sim_now(S);
		}
	}
	fprintf(stderr, "direct_path_dies: %llu ms without packets\n",
	    (unsigned long long)gap);
	ck_assert_uint_lt(gap, 1000);
	ck_assert(node_peer(sim_node(S, 0), sim_now(S), sim_pk(S, 2), &pi));
	ck_assert(pi.relayed);
	ck_assert_uint_gt(ctr(1)->hops_relayed, 0);
}
END_TEST

START_TEST(unreachable)
{
	uint8_t nobody[16];
	uint32_t seq = 0;

	mesh(14, 3);
	converge(10000);
	sim_addr(S, 1, nobody);
	nobody[15] ^= 0x5a;		/* in the /48, owned by no key */
	sim_send_ip_to(S, 0, nobody, 100, 1);
	ck_assert_uint_eq(sim_obs(S, 0)->tun_unreach, 1);	/* at once */
	/* A member that is gone, with no path: at once too. */
	sim_stop(S, 2, false);
	sim_run_for(S, DEAD + 2000);
	sim_send_ip(S, 0, 2, 100, ++seq);
	if (sim_obs(S, 0)->tun_unreach != 2)
		sim_dump(S, stderr);
	ck_assert_uint_eq(sim_obs(S, 0)->tun_unreach, 2);
	/* A member alive is not unreachable. */
	ck_assert_uint_eq(stream(0, 1, 200, &seq), 20);
	ck_assert_uint_eq(sim_obs(S, 0)->tun_unreach, 2);
}
END_TEST

/* Two nodes behind symmetric NATs of their own: no direct path can
 * exist, a public node relays. */
START_TEST(behind_two_nats)
{
	uint32_t seq = 0;
	int a, b;

	S = sim_new(15, 16, DEAD);
	sim_add(S, -1, true);
	sim_start(S, 0);
	a = sim_add(S, sim_nat(S, NET_NAT_SYMMETRIC), false);
	b = sim_add(S, sim_nat(S, NET_NAT_SYMMETRIC), false);
	sim_seed(S, a, 0, 0);
	sim_seed(S, b, 0, 0);
	sim_start(S, a);
	sim_start(S, b);
	sim_run_for(S, 15000);
	ck_assert_uint_ge(stream(a, b, 500, &seq), 45);
	ck_assert_uint_ge(stream(b, a, 500, &seq), 45);
	ck_assert_uint_gt(ctr(0)->hops_relayed, 0);
}
END_TEST

static Suite *
dataplane_suite(void)
{
	Suite *s = suite_create("dataplane");
	TCase *tc = tcase_create("sim");

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, direct);
	tcase_add_test(tc, relayed);
	tcase_add_test(tc, relayed_sizes);
	tcase_add_test(tc, hop_tampered);
	tcase_add_test(tc, relay_dies);
	tcase_add_test(tc, direct_path_dies);
	tcase_add_test(tc, unreachable);
	tcase_add_test(tc, behind_two_nats);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dataplane_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

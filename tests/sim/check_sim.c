/*
 * Mesh scenarios on the simulator (tests/sim/sim.h): whole overlay/node.c
 * engines on a fake network and a virtual clock.  Each test builds a small
 * mesh, does one thing to it (a join, a crash, a restart, a revocation, a
 * partition, a flood of joiners, NATs) and asserts what every node must
 * then know, within bounds in virtual time.  Seeds are fixed: a failure
 * here replays exactly.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define N	8
#define DEAD	SIM_DEAD_MS

static struct sim *S;

static void
teardown(void)
{
	sim_free(S);
	S = NULL;
}

/* n public nodes, node 0 the CA holder, everyone seeded with node 0. */
static void
mesh(uint64_t seed, size_t n)
{
	S = sim_mesh(seed, 128, n, DEAD);
}

static uint64_t
converge(uint64_t within_ms)
{
	uint64_t t = sim_converge(S, within_ms);

	ck_assert_msg(t != UINT64_MAX, "no convergence within %llu ms",
	    (unsigned long long)within_ms);
	return t;
}

static bool
sees_all(struct sim *sim, int i, enum member_state st, const int *who,
    size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (who[k] != i && !sim_state_is(sim, i, who[k], st))
			return false;
	return true;
}

/* --- a join converges ---------------------------------------------------- */

START_TEST(join_converges)
{
	uint64_t t;
	int i, j;

	mesh(1, N);
	t = converge(10000);
	/* Every node learned every other from its records, not by luck. */
	for (i = 0; i < N; i++) {
		const struct sim_obs *o = sim_obs(S, i);

		/* (node 0's record came with the seed, not by gossip) */
		for (j = 1; j < N; j++)
			if (i != j) {
				ck_assert_uint_ne(o->seen[j].new_at, 0);
				ck_assert_uint_le(o->seen[j].new_at,
				    NET_T0 + t);
			}
		ck_assert_uint_eq(o->sent_v6, 0);
	}
	ck_assert_uint_lt(t, 10000);
}
END_TEST

START_TEST(join_by_invite)
{
	int k, err;
	uint64_t t;

	mesh(2, 4);
	converge(10000);
	k = sim_add(S, -1, false);
	sim_invite(S, sim_name(S, k));
	sim_join(S, k, 0, NULL, true);
	t = sim_now(S);
	while (!sim_join_done(S, k, &err) && sim_now(S) < t + 5000)
		sim_run_for(S, 10);
	ck_assert(sim_join_done(S, k, &err));
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(node_counters(sim_node(S, 0))->joins_ok, 1);
	ck_assert_str_eq(sim_obs(S, 0)->last_join, sim_name(S, k));
	/* With the certificate it got, it runs as a member. */
	sim_seed(S, k, 0, 0);
	sim_start(S, k);
	converge(10000);
}
END_TEST

/* --- a death is seen by all within dead_after ---------------------------- */

START_TEST(death_seen_within_dead_after)
{
	const int victim = 3;
	uint64_t t_kill;
	int i;

	mesh(3, N);
	converge(10000);
	sim_run_for(S, 5000);		/* at rest */
	t_kill = sim_now(S);
	sim_stop(S, victim, false);	/* a crash: no goodbye */
	sim_run_for(S, DEAD + 1000);
	for (i = 0; i < N; i++) {
		const struct sim_seen *s = &sim_obs(S, i)->seen[victim];

		if (i == victim)
			continue;
		ck_assert_int_eq(s->state, MEMBER_DEAD);
		/* dead_after from the last packet it sent, which may still
		 * have been on the wire (10 ms) at the crash */
		ck_assert_uint_le(s->state_at, t_kill + DEAD + 10);
		ck_assert_uint_gt(s->state_at, t_kill + DEAD / 2);
		ck_assert(sim_state_is(S, i, victim, MEMBER_DEAD));
	}
	/* The others are still alive to each other. */
	for (i = 0; i < N; i++)
		if (i != victim)
			ck_assert(sim_state_is(S, i, (i + 1) % N == victim ?
			    (i + 2) % N : (i + 1) % N, MEMBER_ALIVE));
}
END_TEST

START_TEST(leave_is_not_death)
{
	int i;

	mesh(4, N);
	converge(10000);
	sim_stop(S, 5, true);		/* clean shutdown: goodbye */
	sim_run_for(S, DEAD + 1000);
	for (i = 0; i < N; i++)
		if (i != 5)
			ck_assert_int_eq(sim_obs(S, i)->seen[5].state,
			    MEMBER_LEFT);
}
END_TEST

START_TEST(crash_and_return)
{
	const int v = 2;
	uint64_t t_back, t;
	int i;

	mesh(13, N);
	converge(10000);
	sim_stop(S, v, false);
	sim_run_for(S, DEAD + 1000);
	for (i = 0; i < N; i++)
		if (i != v)
			ck_assert(sim_state_is(S, i, v, MEMBER_DEAD));
	/* Back with its saved records: everyone has it alive again within
	 * the longest retry backoff (and a handshake) of its return. */
	sim_start(S, v);
	t_back = sim_now(S);
	t = converge(NODE_BACKOFF_MAX_MS + 2000);
	ck_assert_uint_le(t, NODE_BACKOFF_MAX_MS + 2000);
	for (i = 0; i < N; i++)
		if (i != v)
			ck_assert_uint_ge(sim_obs(S, i)->seen[v].state_at,
			    t_back);
}
END_TEST

START_TEST(lossy_links_converge)
{
	int k;
	uint64_t t;

	S = sim_new(14, 128, DEAD);
	net_set_default_link(sim_net(S), &(struct net_link){ .delay_ms = 40,
	    .jitter_ms = 60, .loss_ppm = 200000 });	/* 20 % lost */
	sim_add(S, -1, true);
	sim_start(S, 0);
	sim_add_many(S, N - 1, -1, 0);
	converge(30000);
	/* News still reaches everyone, if not in one push: a node that
	 * lost the push gets it by anti-entropy, one random digest every
	 * NODE_AE_MS, each of whose three legs (digest, want, record) a
	 * link loses one time in five -- some rounds, not one. */
	k = sim_add_many(S, 1, -1, 0);
	t = sim_run_until_pred(S, sim_all_have, &k, 10,
	    sim_now(S) + 8 * NODE_AE_MS + 2000);
	ck_assert_uint_ne(t, UINT64_MAX);
	ck_assert_uint_gt(net_stats(sim_net(S))->lost, 0);
}
END_TEST

/* --- a restart answers from saved records -------------------------------- */

START_TEST(restart_answers_from_saved)
{
	const int r = 6;
	int alone[] = { r };
	uint64_t seq;
	int j;

	mesh(5, N);
	converge(10000);
	seq = node_self(sim_node(S, r))->seq;
	sim_stop(S, r, true);
	sim_run_for(S, 2000);
	/* Cut off from everyone, it still knows every name at once. */
	net_partition(sim_net(S), alone, 1, 1);
	sim_start(S, r);
	for (j = 0; j < N; j++)
		ck_assert(sim_has_record(S, r, j));
	sim_run_for(S, 3000);
	for (j = 0; j < N; j++)
		ck_assert(sim_has_record(S, r, j));
	/* Its new record follows the saved one. */
	ck_assert_ptr_nonnull(node_self(sim_node(S, r)));
	ck_assert_uint_gt(node_self(sim_node(S, r))->seq, seq);
	net_heal(sim_net(S));
	converge(10000);
}
END_TEST

/* --- a revocation spreads ------------------------------------------------ */

static bool
lacks_revoked(struct sim *sim, void *arg)
{
	int bad = *(int *)arg;

	for (int i = 0; i < (int)sim_count(sim); i++)
		if (i != bad && sim_up(sim, i) && sim_has_record(sim, i, bad))
			return false;
	return true;
}

START_TEST(revocation_spreads)
{
	static const struct net_link cut = { .delay_ms = 10,
	    .loss_ppm = 1000000 }, ok = { .delay_ms = 10 };
	const int bad = 4, away = 7;
	struct mesh_revocation rv;
	int i, b = bad;
	uint64_t t;

	mesh(6, N);
	converge(10000);
	sim_stop(S, away, true);
	/* Node 1 reaches only node 2: the rest must get it second-hand,
	 * by push, in a few hops' time (anti-entropy would take seconds). */
	for (i = 0; i < N; i++)
		if (i != 1 && i != 2)
			net_set_link(sim_net(S), 1, i, &cut);
	sim_revoke_key(S, bad, &rv);
	ck_assert(node_offer_revocation(sim_node(S, 1), &rv));
	ck_assert(!node_offer_revocation(sim_node(S, 1), &rv));	/* known */
	sim_run_for(S, 200);
	for (i = 0; i < N; i++) {
		if (i == bad || i == away)
			continue;
		ck_assert_msg(!sim_has_record(S, i, bad),
		    "node%d still holds the revoked record", i);
		ck_assert_uint_eq(sim_obs(S, i)->events[NODE_EV_REVOCATION],
		    1);
		ck_assert_uint_eq(recset_counters(
		    node_records(sim_node(S, i)))->revocations, 1);
	}
	/* A member that was away comes back with the revoked record in its
	 * saved set: anti-entropy brings it the revocation. */
	for (i = 0; i < N; i++)
		net_set_link(sim_net(S), 1, i, &ok);
	sim_start(S, away);
	ck_assert(sim_has_record(S, away, bad));
	t = sim_run_until_pred(S, lacks_revoked, &b, 100,
	    sim_now(S) + 6 * NODE_AE_MS);
	ck_assert_uint_ne(t, UINT64_MAX);
	/* And it stays out: nobody takes it back from the revoked node. */
	sim_run_for(S, 3 * NODE_AE_MS);
	ck_assert(lacks_revoked(S, &b));
}
END_TEST

/* --- a partition heals --------------------------------------------------- */

START_TEST(partition_heals)
{
	int a[] = { 0, 1, 2, 3 }, b[] = { 4, 5, 6, 7 };
	int i, late;

	mesh(7, N);
	converge(10000);
	net_partition(sim_net(S), b, 4, 1);
	sim_run_for(S, DEAD + 1000);
	for (i = 0; i < 4; i++) {
		ck_assert(sees_all(S, a[i], MEMBER_DEAD, b, 4));
		ck_assert(sees_all(S, a[i], MEMBER_ALIVE, a, 4));
		ck_assert(sees_all(S, b[i], MEMBER_DEAD, a, 4));
		ck_assert(sees_all(S, b[i], MEMBER_ALIVE, b, 4));
	}
	/* News on one side during the cut: a new member. */
	late = sim_add(S, -1, false);
	sim_seed(S, late, 0, 0);
	sim_start(S, late);
	sim_run_for(S, 3000);
	ck_assert(sim_has_record(S, 1, late));
	ck_assert(!sim_has_record(S, 5, late));
	net_heal(sim_net(S));
	converge(20000);
}
END_TEST

/* --- joiner limits hold -------------------------------------------------- */

START_TEST(joiner_limits_hold)
{
	const int flood = NODE_JOINERS_MAX + 8;
	int first, i, answered = 0, err, k;
	const struct node_counters *c;

	mesh(8, 2);
	converge(10000);
	first = (int)sim_count(S);
	for (i = 0; i < flood; i++) {
		k = sim_add(S, -1, false);
		sim_join(S, k, 0, NULL, false);		/* no invite */
	}
	sim_run_for(S, 3000);
	c = node_counters(sim_node(S, 0));
	for (i = 0; i < flood; i++)
		if (sim_join_done(S, first + i, &err)) {
			answered++;
			ck_assert_int_eq(err, -ENOENT);
		}
	/* All from one /24: the source's bucket answers its burst and one
	 * a second; the rest get nothing (and make no log line). */
	ck_assert_int_eq(answered, (int)c->joins_refused);
	ck_assert_int_ge(answered, NODE_JOIN_SRC_BURST);
	ck_assert_int_le(answered, NODE_JOIN_SRC_BURST +
	    3 * NODE_JOIN_SRC_RATE + 1);
	ck_assert_uint_ge(c->drop_join_limit, flood - answered);
	ck_assert_uint_eq(c->joins_ok, 0);
	/* Slots: never more than NODE_JOINERS_MAX; the oldest made room. */
	ck_assert_uint_le(node_joiners(sim_node(S, 0)), NODE_JOINERS_MAX);
	ck_assert_uint_eq(c->joiners_evicted, flood - NODE_JOINERS_MAX);
	/* Members are not crowded out. */
	ck_assert(sim_state_is(S, 0, 1, MEMBER_ALIVE));

	/* Join sessions end; then a real invite gets through. */
	sim_run_for(S, 31000);
	ck_assert_uint_eq(node_joiners(sim_node(S, 0)), 0);
	k = sim_add(S, -1, false);
	sim_invite(S, sim_name(S, k));
	sim_join(S, k, 0, NULL, true);
	sim_run_for(S, 3000);
	ck_assert(sim_join_done(S, k, &err));
	ck_assert_int_eq(err, 0);
}
END_TEST

/* Every slot held by a joiner that never asks: a real `meshctl join`
 * still gets its certificate, at once, and the oldest holder goes. */
START_TEST(joiner_slots_full_real_join)
{
	int i, k, err;
	const struct node_counters *c;

	mesh(9, 2);
	converge(10000);
	for (i = 0; i < NODE_JOINERS_MAX; i++) {
		k = sim_add(S, -1, false);
		sim_join_as(S, k, 0, NULL, false, SIM_JOIN_SILENT);
	}
	sim_run_for(S, 2000);
	c = node_counters(sim_node(S, 0));
	ck_assert_uint_eq(node_joiners(sim_node(S, 0)), NODE_JOINERS_MAX);
	ck_assert_uint_eq(c->joiners_evicted, 0);
	k = sim_add(S, -1, false);
	sim_invite(S, sim_name(S, k));
	sim_join(S, k, 0, NULL, true);
	sim_run_for(S, 2000);
	ck_assert(sim_join_done(S, k, &err));
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(c->joins_ok, 1);
	ck_assert_uint_eq(c->joiners_evicted, 1);
	ck_assert_uint_le(node_joiners(sim_node(S, 0)), NODE_JOINERS_MAX);
	/* And it becomes a member. */
	sim_start(S, k);
	sim_run_until_pred(S, sim_all_have, &k, 50,
	    sim_now(S) + 10000);
	ck_assert(sim_has_record(S, 1, k));
}
END_TEST

/* A joiner session ends a fixed time after admission whatever it sends:
 * keepalives do not hold it past JOINER_MAX_MS (30 s), and a joiner that
 * asks again and again is answered NODE_JOIN_REQS_MAX times. */
START_TEST(joiner_sessions_end)
{
	const struct node_counters *c;
	uint64_t t0;
	int quiet, chatty;

	mesh(10, 2);
	converge(10000);
	c = node_counters(sim_node(S, 0));
	quiet = sim_add(S, -1, false);
	chatty = sim_add(S, -1, false);
	t0 = sim_now(S);
	sim_join_as(S, quiet, 0, NULL, false, SIM_JOIN_SILENT);
	sim_join_as(S, chatty, 0, NULL, false, SIM_JOIN_CHATTY);
	sim_run_for(S, 10000);
	/* 20 requests in 10 s: 3 answered, the rest dropped. */
	ck_assert_uint_eq(c->joins_refused, NODE_JOIN_REQS_MAX);
	ck_assert_uint_ge(c->drop_join_limit, 10);
	ck_assert_uint_eq(node_joiners(sim_node(S, 0)), 2);
	/* The chatty one: 15 s after its first answer. */
	sim_run_until(S, t0 + 17000);
	ck_assert_uint_eq(c->joiners_ended, 1);
	ck_assert_uint_eq(node_joiners(sim_node(S, 0)), 1);
	/* The quiet one, kept alive, never answered: 30 s after it was let
	 * in, not later. */
	sim_run_until(S, t0 + 29000);
	ck_assert_uint_eq(c->joiners_ended, 1);
	sim_run_until(S, t0 + 32000);
	ck_assert_uint_eq(c->joiners_ended, 2);
	ck_assert(sim_state_is(S, 0, 1, MEMBER_ALIVE));
}
END_TEST

/* --- nodes behind NATs take part ----------------------------------------- */

static bool
has_ep(const struct mesh_record *r, uint32_t ip, uint16_t port)
{
	for (size_t i = 0; i < r->n_ep; i++)
		if (r->ep[i].family == MESH_EP_IPV4 && r->ep[i].port == port &&
		    r->ep[i].addr[0] == (ip >> 24) &&
		    r->ep[i].addr[1] == ((ip >> 16) & 255) &&
		    r->ep[i].addr[2] == ((ip >> 8) & 255) &&
		    r->ep[i].addr[3] == (ip & 255))
			return true;
	return false;
}

static void
nat_mesh(uint64_t seed, enum net_nat_kind kind)
{
	int nat, k, pub[4] = { 0, 1, 2, 3 }, i;
	const struct mesh_record *r;

	mesh(seed, 4);
	nat = sim_nat(S, kind);
	k = sim_add_many(S, 1, nat, 0);
	converge(10000);
	/* Well past the NAT's 30 s: keepalives hold the mapping open. */
	sim_run_for(S, 120000);
	ck_assert(sim_converged(S, NULL));
	for (i = 0; i < 4; i++)
		ck_assert_uint_le(sim_obs(S, i)->seen[k].changes, 1);
	ck_assert(sees_all(S, k, MEMBER_ALIVE, pub, 4));
	ck_assert_uint_ge(net_nat_flows(sim_net(S), nat), 4);
	/* What it publishes: its LAN address, and where the public nodes
	 * saw it come from -- the same port behind a port-preserving NAT,
	 * the per-destination ports of a symmetric one. */
	r = node_self(sim_node(S, k));
	ck_assert_ptr_nonnull(r);
	ck_assert(has_ep(r, NET_IP(192, 168, nat, 2), SIM_PORT));
	ck_assert(has_ep(r, NET_IP(198, 51, 100, nat + 1), SIM_PORT) ==
	    (kind == NET_NAT_PRESERVE));
}

START_TEST(nat_port_preserving)
{
	nat_mesh(9, NET_NAT_PRESERVE);
}
END_TEST

START_TEST(nat_symmetric)
{
	nat_mesh(10, NET_NAT_SYMMETRIC);
}
END_TEST

START_TEST(nat_same_lan)
{
	int nat, a, b;

	mesh(11, 3);
	nat = sim_nat(S, NET_NAT_SYMMETRIC);
	a = sim_add_many(S, 1, nat, 0);
	b = sim_add_many(S, 1, nat, 0);
	/* Two nodes behind one NAT find each other on their LAN addresses
	 * (their records carry them), while the NAT lets neither be
	 * reached from outside. */
	converge(15000);
	ck_assert(sim_state_is(S, a, b, MEMBER_ALIVE));
	ck_assert(sim_state_is(S, b, a, MEMBER_ALIVE));
}
END_TEST

START_TEST(nat_rebinding)
{
	uint64_t before[4];
	int nat, k, i, pub[4] = { 0, 1, 2, 3 };

	mesh(15, 4);
	nat = sim_nat(S, NET_NAT_SYMMETRIC);
	k = sim_add_many(S, 1, nat, 0);
	converge(10000);
	sim_run_for(S, 5000);
	for (i = 0; i < 4; i++)
		before[i] = sim_obs(S, i)->seen[k].changes;
	/* The NAT forgets every flow: the node's next packets come from new
	 * ports, and the public nodes follow them without losing it. */
	net_nat_reset(sim_net(S), nat);
	sim_run_for(S, 3 * DEAD);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(sim_obs(S, i)->seen[k].changes, before[i]);
		ck_assert(sim_state_is(S, i, k, MEMBER_ALIVE));
	}
	ck_assert(sees_all(S, k, MEMBER_ALIVE, pub, 4));
}
END_TEST

static bool
all_know_ep(struct sim *sim, void *arg)
{
	int k = *(int *)arg;
	uint32_t ip;

	net_host_addrs(sim_net(sim), sim_host(sim, k), &ip, 1);
	for (int i = 0; i < (int)sim_count(sim); i++) {
		const struct mesh_record *r;

		if (!sim_up(sim, i))
			continue;
		r = recset_by_key(node_records(sim_node(sim, i)), sim_pk(sim, k));
		if (r == NULL || !has_ep(r, ip, SIM_PORT))
			return false;
	}
	return true;
}

START_TEST(host_moves)
{
	const int m = 3;
	uint64_t before[N], t;
	int i, mm = m;

	mesh(16, N);
	converge(10000);
	for (i = 0; i < N; i++)
		before[i] = sim_obs(S, i)->seen[m].changes;
	/* A new address (another network, a new DHCP lease): its sessions
	 * follow its packets, and its record follows its interfaces. */
	net_host_set_addr(sim_net(S), sim_host(S, m), 0, NET_IP(10, 200, 0, 3));
	t = sim_run_until_pred(S, all_know_ep, &mm, 10,
	    sim_now(S) + 2 * NODE_MAINT_MS + 1000);
	ck_assert_uint_ne(t, UINT64_MAX);
	sim_run_for(S, 2 * DEAD);
	for (i = 0; i < N; i++) {
		if (i == m)
			continue;
		ck_assert(sim_state_is(S, i, m, MEMBER_ALIVE));
		ck_assert_uint_eq(sim_obs(S, i)->seen[m].changes, before[i]);
	}
	ck_assert(sim_converged(S, NULL));
}
END_TEST

/* --- the simulator itself ------------------------------------------------ */

static uint64_t
run_once(uint64_t seed, uint64_t *delivered)
{
	uint64_t t;

	mesh(seed, 6);
	net_set_default_link(sim_net(S), &(struct net_link){ .delay_ms = 20,
	    .jitter_ms = 30, .loss_ppm = 50000 });
	t = converge(20000);
	*delivered = net_stats(sim_net(S))->delivered;
	sim_free(S);
	S = NULL;
	return t;
}

START_TEST(same_seed_same_run)
{
	uint64_t d1, d2, t1, t2;

	t1 = run_once(12, &d1);
	t2 = run_once(12, &d2);
	ck_assert_uint_eq(t1, t2);
	ck_assert_uint_eq(d1, d2);
}
END_TEST

static Suite *
sim_suite(void)
{
	Suite *s = suite_create("sim");
	TCase *tc = tcase_create("mesh");

	/* Virtual time costs wall time: under ASan on a busy 2-core
	 * machine a scenario takes seconds, past Check's 4 s default. */
	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, join_converges);
	tcase_add_test(tc, join_by_invite);
	tcase_add_test(tc, death_seen_within_dead_after);
	tcase_add_test(tc, leave_is_not_death);
	tcase_add_test(tc, crash_and_return);
	tcase_add_test(tc, restart_answers_from_saved);
	tcase_add_test(tc, revocation_spreads);
	tcase_add_test(tc, partition_heals);
	tcase_add_test(tc, joiner_limits_hold);
	tcase_add_test(tc, joiner_slots_full_real_join);
	tcase_add_test(tc, joiner_sessions_end);
	tcase_add_test(tc, nat_port_preserving);
	tcase_add_test(tc, nat_symmetric);
	tcase_add_test(tc, nat_same_lan);
	tcase_add_test(tc, nat_rebinding);
	tcase_add_test(tc, host_moves);
	tcase_add_test(tc, lossy_links_converge);
	tcase_add_test(tc, same_seed_same_run);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sim_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

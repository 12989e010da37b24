/*
 * Unit tests for the simulator's fake network (tests/sim/net.c): delay,
 * jitter and loss at a seed, partitions, down hosts, timers, and both NAT
 * kinds (port preservation vs a port per destination, unsolicited inbound
 * dropped, flows timing out, hosts on one LAN, hairpin).  Virtual time
 * only.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

#define LOG_MAX 64
#define PORT 51830

struct arrival {
	uint64_t at;
	int host;
	struct net_addr to, from;
	char data[32];
};

static struct net *NET;
static struct arrival LOG[LOG_MAX];
static size_t NLOG, NRECV, NTIMER;
static uint64_t HASH;		/* of every arrival, for determinism */
static int TIMERS[LOG_MAX];

static void
cb_recv(void *ctx, int host, const struct net_addr *to,
    const struct net_addr *from, const uint8_t *pkt, size_t len)
{
	(void)ctx;
	NRECV++;
	HASH = HASH * 1000003 + net_now(NET) * 31 + (uint64_t)host;
	if (NLOG == LOG_MAX)
		return;
	LOG[NLOG] = (struct arrival){ .at = net_now(NET), .host = host,
	    .to = *to, .from = *from };
	memcpy(LOG[NLOG].data, pkt, len < 31 ? len : 31);
	NLOG++;
}

static void
cb_timer(void *ctx, int host, uint64_t at)
{
	(void)ctx;
	ck_assert_uint_eq(at, net_now(NET));
	if (NTIMER < LOG_MAX)
		TIMERS[NTIMER] = host;
	NTIMER++;
}

static struct net *
mknet(uint64_t seed)
{
	struct net_cb cb = { .recv = cb_recv, .timer = cb_timer };

	NLOG = NRECV = NTIMER = 0;
	HASH = 0;
	return net_new(seed, &cb);
}

static void
setup(void)
{
	NET = mknet(1);
}

static void
teardown(void)
{
	net_free(NET);
	NET = NULL;
}

static void
send(int host, uint32_t fip, uint16_t fport, uint32_t tip, uint16_t tport,
    const char *s)
{
	struct net_addr from = { fip, fport }, to = { tip, tport };

	net_send(NET, host, &from, &to, (const uint8_t *)s, strlen(s) + 1);
}

/* --- links ----------------------------------------------------------- */

START_TEST(delay_delivers_on_time)
{
	struct net_link l = { .delay_ms = 25 };
	int a = net_host_new(NET, -1, NET_IP(10, 0, 0, 1));
	int b = net_host_new(NET, -1, NET_IP(10, 0, 0, 2));

	net_set_default_link(NET, &l);
	ck_assert_uint_eq(net_now(NET), NET_T0);
	send(a, NET_IP(10, 0, 0, 1), PORT, NET_IP(10, 0, 0, 2), PORT, "hi");
	net_run_until(NET, NET_T0 + 24);
	ck_assert_uint_eq(NLOG, 0);
	ck_assert_uint_eq(net_now(NET), NET_T0 + 24);
	net_run_until(NET, NET_T0 + 25);
	ck_assert_uint_eq(NLOG, 1);
	ck_assert_int_eq(LOG[0].host, b);
	ck_assert_uint_eq(LOG[0].at, NET_T0 + 25);
	ck_assert_uint_eq(LOG[0].from.ip, NET_IP(10, 0, 0, 1));
	ck_assert_uint_eq(LOG[0].from.port, PORT);
	ck_assert_uint_eq(LOG[0].to.ip, NET_IP(10, 0, 0, 2));
	ck_assert_str_eq(LOG[0].data, "hi");
	ck_assert_uint_eq(net_stats(NET)->delivered, 1);
}
END_TEST

START_TEST(per_link_override_and_jitter)
{
	struct net_link slow = { .delay_ms = 100, .jitter_ms = 20 };
	int a = net_host_new(NET, -1, NET_IP(10, 0, 0, 1));
	int b = net_host_new(NET, -1, NET_IP(10, 0, 0, 2));
	int c = net_host_new(NET, -1, NET_IP(10, 0, 0, 3));
	size_t i;

	(void)c;
	net_set_link(NET, b, a, &slow);
	for (i = 0; i < 20; i++)
		send(a, NET_IP(10, 0, 0, 1), PORT, NET_IP(10, 0, 0, 2), PORT,
		    "x");
	send(a, NET_IP(10, 0, 0, 1), PORT, NET_IP(10, 0, 0, 3), PORT, "c");
	net_run_until(NET, NET_T0 + 1000);
	ck_assert_uint_eq(NLOG, 21);
	ck_assert_int_eq(LOG[0].host, c);	/* default 10 ms: first */
	ck_assert_uint_eq(LOG[0].at, NET_T0 + 10);
	for (i = 1; i < 21; i++) {
		ck_assert_int_eq(LOG[i].host, b);
		ck_assert_uint_ge(LOG[i].at, NET_T0 + 100);
		ck_assert_uint_le(LOG[i].at, NET_T0 + 120);
		ck_assert_uint_ge(LOG[i].at, LOG[i - 1].at);
	}
	ck_assert_uint_ne(LOG[1].at, LOG[20].at);	/* it did jitter */
}
END_TEST

static uint64_t
lossy_run(uint64_t seed, uint64_t *lost)
{
	struct net_link l = { .delay_ms = 5, .jitter_ms = 3,
	    .loss_ppm = 100000 };
	int a, i;

	net_free(NET);
	NET = mknet(seed);
	net_set_default_link(NET, &l);
	a = net_host_new(NET, -1, NET_IP(10, 0, 0, 1));
	net_host_new(NET, -1, NET_IP(10, 0, 0, 2));
	for (i = 0; i < 10000; i++) {
		send(a, NET_IP(10, 0, 0, 1), PORT, NET_IP(10, 0, 0, 2), PORT,
		    "p");
		if (i % 100 == 99)
			net_run_until(NET, net_now(NET) + 1);
	}
	net_run_until(NET, net_now(NET) + 100);
	*lost = net_stats(NET)->lost;
	ck_assert_uint_eq(*lost + NRECV, 10000);
	return HASH;
}

START_TEST(loss_ratio_is_seeded)
{
	uint64_t lost1, lost2, lost3, h1, h2, h3;

	h1 = lossy_run(42, &lost1);
	h2 = lossy_run(42, &lost2);
	h3 = lossy_run(43, &lost3);
	/* 10% of 10,000: well inside 4 standard deviations (30). */
	ck_assert_uint_ge(lost1, 880);
	ck_assert_uint_le(lost1, 1120);
	ck_assert_uint_eq(lost1, lost2);
	ck_assert_uint_eq(h1, h2);		/* the same run, exactly */
	ck_assert_uint_ne(h1, h3);
	(void)lost3;
}
END_TEST

START_TEST(partition_and_heal)
{
	int a = net_host_new(NET, -1, NET_IP(10, 0, 0, 1));
	int b = net_host_new(NET, -1, NET_IP(10, 0, 0, 2));
	int c = net_host_new(NET, -1, NET_IP(10, 0, 0, 3));
	int side[] = { a, b };

	net_partition(NET, side, 2, 1);
	send(a, NET_IP(10, 0, 0, 1), PORT, NET_IP(10, 0, 0, 2), PORT, "ab");
	send(a, NET_IP(10, 0, 0, 1), PORT, NET_IP(10, 0, 0, 3), PORT, "ac");
	send(c, NET_IP(10, 0, 0, 3), PORT, NET_IP(10, 0, 0, 1), PORT, "ca");
	net_run_until(NET, NET_T0 + 100);
	ck_assert_uint_eq(NLOG, 1);
	ck_assert_str_eq(LOG[0].data, "ab");
	ck_assert_uint_eq(net_stats(NET)->partitioned, 2);

	/* In flight when the cut comes: lost. */
	send(c, NET_IP(10, 0, 0, 3), PORT, NET_IP(10, 0, 0, 1), PORT, "late");
	net_heal(NET);
	send(c, NET_IP(10, 0, 0, 3), PORT, NET_IP(10, 0, 0, 1), PORT, "ca2");
	net_partition(NET, side, 1, 2);
	net_run_until(NET, NET_T0 + 200);
	ck_assert_uint_eq(NLOG, 1);
	net_heal(NET);
	send(c, NET_IP(10, 0, 0, 3), PORT, NET_IP(10, 0, 0, 1), PORT, "ca3");
	net_run_until(NET, NET_T0 + 300);
	ck_assert_uint_eq(NLOG, 2);
	ck_assert_str_eq(LOG[1].data, "ca3");
}
END_TEST

START_TEST(down_host_and_no_route)
{
	int a = net_host_new(NET, -1, NET_IP(10, 0, 0, 1));
	int b = net_host_new(NET, -1, NET_IP(10, 0, 0, 2));

	net_host_add_addr(NET, b, NET_IP(10, 1, 0, 2));
	net_host_set_up(NET, b, false);
	send(a, NET_IP(10, 0, 0, 1), PORT, NET_IP(10, 0, 0, 2), PORT, "1");
	send(a, NET_IP(10, 0, 0, 1), PORT, NET_IP(10, 9, 9, 9), PORT, "2");
	net_run_until(NET, NET_T0 + 100);
	ck_assert_uint_eq(net_stats(NET)->down, 1);
	ck_assert_uint_eq(net_stats(NET)->no_route, 1);
	net_host_set_up(NET, b, true);
	send(a, NET_IP(10, 0, 0, 1), PORT, NET_IP(10, 1, 0, 2), PORT, "3");
	net_run_until(NET, NET_T0 + 200);
	ck_assert_uint_eq(NLOG, 1);
	ck_assert_uint_eq(LOG[0].to.ip, NET_IP(10, 1, 0, 2)); /* 2nd addr */
}
END_TEST

START_TEST(timers_in_order)
{
	int a = net_host_new(NET, -1, NET_IP(10, 0, 0, 1));
	int b = net_host_new(NET, -1, NET_IP(10, 0, 0, 2));

	net_timer(NET, b, NET_T0 + 50);
	net_timer(NET, a, NET_T0 + 20);
	net_timer(NET, a, NET_T0 + 50);		/* same time: after b's */
	ck_assert_uint_eq(net_next(NET), NET_T0 + 20);
	net_run_until(NET, NET_T0 + 49);
	ck_assert_uint_eq(NTIMER, 1);
	net_run_until(NET, NET_T0 + 50);
	ck_assert_uint_eq(NTIMER, 3);
	ck_assert_int_eq(TIMERS[0], a);
	ck_assert_int_eq(TIMERS[1], b);
	ck_assert_int_eq(TIMERS[2], a);
	ck_assert(!net_step(NET));
	ck_assert_uint_eq(net_next(NET), UINT64_MAX);
}
END_TEST

/* --- NATs ------------------------------------------------------------ */

#define EXT NET_IP(198, 51, 100, 1)
#define IN1 NET_IP(192, 168, 1, 2)
#define IN2 NET_IP(192, 168, 1, 3)
#define PUB1 NET_IP(10, 0, 0, 1)
#define PUB2 NET_IP(10, 0, 0, 2)

START_TEST(nat_preserve_keeps_port)
{
	int nat = net_nat_new(NET, NET_NAT_PRESERVE, EXT);
	int in1 = net_host_new(NET, nat, IN1);
	int in2 = net_host_new(NET, nat, IN2);
	int p1 = net_host_new(NET, -1, PUB1);
	int p2 = net_host_new(NET, -1, PUB2);

	send(in1, IN1, PORT, PUB1, PORT, "a");
	send(in1, IN1, PORT, PUB2, PORT, "b");	/* same port to another */
	send(in2, IN2, PORT, PUB1, PORT, "c");	/* 51830 taken: another */
	net_run_until(NET, NET_T0 + 100);
	ck_assert_uint_eq(NLOG, 3);
	ck_assert_int_eq(LOG[0].host, p1);
	ck_assert_uint_eq(LOG[0].from.ip, EXT);
	ck_assert_uint_eq(LOG[0].from.port, PORT);
	ck_assert_int_eq(LOG[1].host, p2);
	ck_assert_uint_eq(LOG[1].from.port, PORT);
	ck_assert_uint_eq(LOG[2].from.ip, EXT);
	ck_assert_uint_ne(LOG[2].from.port, PORT);
	ck_assert_uint_eq(net_nat_flows(NET, nat), 3);

	/* Replies pass, to the right inside host. */
	send(p1, PUB1, PORT, EXT, PORT, "r1");
	send(p1, PUB1, PORT, EXT, LOG[2].from.port, "r2");
	send(p2, PUB2, PORT, EXT, PORT, "r3");
	net_run_until(NET, NET_T0 + 200);
	ck_assert_uint_eq(NLOG, 6);
	ck_assert_int_eq(LOG[3].host, in1);
	ck_assert_uint_eq(LOG[3].to.ip, IN1);
	ck_assert_uint_eq(LOG[3].to.port, PORT);
	ck_assert_uint_eq(LOG[3].from.ip, PUB1);
	ck_assert_int_eq(LOG[4].host, in2);
	ck_assert_uint_eq(LOG[4].to.ip, IN2);
	ck_assert_int_eq(LOG[5].host, in1);
}
END_TEST

START_TEST(nat_unsolicited_dropped)
{
	int nat = net_nat_new(NET, NET_NAT_PRESERVE, EXT);
	int in1 = net_host_new(NET, nat, IN1);
	int p1 = net_host_new(NET, -1, PUB1);
	int p2 = net_host_new(NET, -1, PUB2);

	send(p1, PUB1, PORT, EXT, PORT, "cold");	/* no flow at all */
	send(p1, PUB1, PORT, IN1, PORT, "private");	/* not routable */
	net_run_until(NET, NET_T0 + 100);
	ck_assert_uint_eq(NLOG, 0);
	ck_assert_uint_eq(net_stats(NET)->filtered, 1);
	ck_assert_uint_eq(net_stats(NET)->no_route, 1);

	send(in1, IN1, PORT, PUB1, PORT, "open");
	net_run_until(NET, NET_T0 + 200);
	/* The mapping exists, but p2 is not who it was opened to, nor is
	 * another port of p1. */
	send(p2, PUB2, PORT, EXT, PORT, "other host");
	send(p1, PUB1, PORT + 1, EXT, PORT, "other port");
	net_run_until(NET, NET_T0 + 300);
	ck_assert_uint_eq(NLOG, 1);
	ck_assert_uint_eq(net_stats(NET)->filtered, 3);
}
END_TEST

START_TEST(nat_symmetric_port_per_destination)
{
	int nat = net_nat_new(NET, NET_NAT_SYMMETRIC, EXT);
	int in1 = net_host_new(NET, nat, IN1);
	int p1 = net_host_new(NET, -1, PUB1);
	int p2 = net_host_new(NET, -1, PUB2);
	uint16_t port1, port2;

	send(in1, IN1, PORT, PUB1, PORT, "a");
	send(in1, IN1, PORT, PUB2, PORT, "b");
	send(in1, IN1, PORT, PUB1, PORT, "a again");
	net_run_until(NET, NET_T0 + 100);
	ck_assert_uint_eq(NLOG, 3);
	port1 = LOG[0].from.port;
	port2 = LOG[1].from.port;
	ck_assert_uint_ne(port1, port2);
	ck_assert_uint_eq(LOG[2].from.port, port1);	/* flow reused */
	ck_assert_uint_eq(net_nat_flows(NET, nat), 2);

	/* Each destination gets back only through its own port. */
	send(p1, PUB1, PORT, EXT, port1, "r1");
	send(p2, PUB2, PORT, EXT, port2, "r2");
	send(p2, PUB2, PORT, EXT, port1, "cross");
	net_run_until(NET, NET_T0 + 200);
	ck_assert_uint_eq(NLOG, 5);
	ck_assert_int_eq(LOG[3].host, in1);
	ck_assert_int_eq(LOG[4].host, in1);
	ck_assert_uint_eq(LOG[4].from.ip, PUB2);
	ck_assert_uint_eq(net_stats(NET)->filtered, 1);
}
END_TEST

START_TEST(nat_flow_times_out)
{
	int nat = net_nat_new(NET, NET_NAT_PRESERVE, EXT);
	int in1 = net_host_new(NET, nat, IN1);
	int p1 = net_host_new(NET, -1, PUB1);
	uint64_t t;

	(void)in1;
	net_set_default_link(NET, &(struct net_link){ .delay_ms = 0 });
	send(in1, IN1, PORT, PUB1, PORT, "open");
	t = net_now(NET);
	net_run_until(NET, t + NET_NAT_TIMEOUT_MS - 1);
	send(p1, PUB1, PORT, EXT, PORT, "just in time");
	net_run_until(NET, t + NET_NAT_TIMEOUT_MS);
	ck_assert_uint_eq(NLOG, 2);
	/* Inbound traffic does not keep a flow: it is gone now. */
	ck_assert_uint_eq(net_nat_flows(NET, nat), 0);
	send(p1, PUB1, PORT, EXT, PORT, "too late");
	net_run_until(NET, t + NET_NAT_TIMEOUT_MS + 10);
	ck_assert_uint_eq(NLOG, 2);
	ck_assert_uint_eq(net_stats(NET)->filtered, 1);

	/* A shorter timeout, and outbound traffic keeps the flow alive. */
	net_nat_set_timeout(NET, nat, 1000);
	t = net_now(NET);
	send(in1, IN1, PORT, PUB1, PORT, "open");
	net_run_until(NET, t + 900);
	send(in1, IN1, PORT, PUB1, PORT, "keep");
	net_run_until(NET, t + 1800);
	send(p1, PUB1, PORT, EXT, PORT, "still open");
	net_run_until(NET, t + 1900);
	ck_assert_uint_eq(NLOG, 5);
	ck_assert_int_eq(LOG[4].host, in1);
}
END_TEST

START_TEST(nat_lan_and_hairpin)
{
	int nat = net_nat_new(NET, NET_NAT_PRESERVE, EXT);
	int in1 = net_host_new(NET, nat, IN1);
	int in2 = net_host_new(NET, nat, IN2);
	int nat2 = net_nat_new(NET, NET_NAT_PRESERVE, NET_IP(203, 0, 113, 1));
	int other = net_host_new(NET, nat2, IN1);	/* same inside ip */

	/* Same LAN: inside addresses, no NAT flow. */
	send(in1, IN1, PORT, IN2, PORT + 1, "lan");
	net_run_until(NET, NET_T0 + 100);
	ck_assert_uint_eq(NLOG, 1);
	ck_assert_int_eq(LOG[0].host, in2);
	ck_assert_uint_eq(LOG[0].from.ip, IN1);
	ck_assert_uint_eq(net_nat_flows(NET, nat), 0);

	/* Behind another NAT, 192.168.1.2 is that LAN's host. */
	send(other, IN1, PORT, IN1, PORT, "to myself");
	net_run_until(NET, NET_T0 + 200);
	ck_assert_uint_eq(NLOG, 2);
	ck_assert_int_eq(LOG[1].host, other);

	/* Hairpin: through the external address, filtered like any other
	 * inbound until the receiver has sent to the sender's mapping. */
	send(in1, IN1, PORT, EXT, PORT + 1, "hp1");
	net_run_until(NET, NET_T0 + 300);
	ck_assert_uint_eq(NLOG, 2);
	ck_assert_uint_eq(net_stats(NET)->filtered, 1);
	send(in2, IN2, PORT + 1, EXT, PORT, "hp2");	/* in1 opened it */
	net_run_until(NET, NET_T0 + 400);
	ck_assert_uint_eq(NLOG, 3);
	ck_assert_int_eq(LOG[2].host, in1);
	ck_assert_uint_eq(LOG[2].from.ip, EXT);
	ck_assert_uint_eq(LOG[2].from.port, PORT + 1);
	send(in1, IN1, PORT, EXT, PORT + 1, "hp3");
	net_run_until(NET, NET_T0 + 500);
	ck_assert_uint_eq(NLOG, 4);
	ck_assert_int_eq(LOG[3].host, in2);
	ck_assert_uint_eq(LOG[3].from.ip, EXT);
	ck_assert_uint_eq(LOG[3].from.port, PORT);
	ck_assert_uint_eq(LOG[3].to.ip, IN2);
	ck_assert_uint_eq(LOG[3].to.port, PORT + 1);
	(void)nat2;
}
END_TEST

START_TEST(host_moves)
{
	int a = net_host_new(NET, -1, NET_IP(10, 0, 0, 1));
	int b = net_host_new(NET, -1, NET_IP(10, 0, 0, 2));
	uint32_t ip;

	net_host_set_addr(NET, b, 0, NET_IP(10, 9, 0, 2));
	ck_assert_uint_eq(net_host_addrs(NET, b, &ip, 1), 1);
	ck_assert_uint_eq(ip, NET_IP(10, 9, 0, 2));
	send(a, NET_IP(10, 0, 0, 1), PORT, NET_IP(10, 0, 0, 2), PORT, "old");
	send(a, NET_IP(10, 0, 0, 1), PORT, NET_IP(10, 9, 0, 2), PORT, "new");
	send(b, NET_IP(10, 9, 0, 2), PORT, NET_IP(10, 0, 0, 1), PORT, "back");
	net_run_until(NET, NET_T0 + 100);
	ck_assert_uint_eq(net_stats(NET)->no_route, 1);
	ck_assert_uint_eq(NLOG, 2);
	ck_assert_str_eq(LOG[0].data, "new");
	ck_assert_int_eq(LOG[1].host, a);
	ck_assert_uint_eq(LOG[1].from.ip, NET_IP(10, 9, 0, 2));
}
END_TEST

START_TEST(nat_reset_rebinds)
{
	int nat = net_nat_new(NET, NET_NAT_SYMMETRIC, EXT);
	int in1 = net_host_new(NET, nat, IN1);
	int p1 = net_host_new(NET, -1, PUB1);
	uint16_t port;

	send(in1, IN1, PORT, PUB1, PORT, "a");
	net_run_until(NET, NET_T0 + 100);
	port = LOG[0].from.port;
	net_nat_reset(NET, nat);
	ck_assert_uint_eq(net_nat_flows(NET, nat), 0);
	send(p1, PUB1, PORT, EXT, port, "to the old flow");
	send(in1, IN1, PORT, PUB1, PORT, "b");
	net_run_until(NET, NET_T0 + 200);
	ck_assert_uint_eq(NLOG, 2);
	ck_assert_uint_eq(net_stats(NET)->filtered, 1);
	ck_assert_uint_ne(LOG[1].from.port, port);
}
END_TEST

static Suite *
net_suite(void)
{
	Suite *s = suite_create("sim_net");
	TCase *tc = tcase_create("net");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, delay_delivers_on_time);
	tcase_add_test(tc, per_link_override_and_jitter);
	tcase_add_test(tc, loss_ratio_is_seeded);
	tcase_add_test(tc, partition_and_heal);
	tcase_add_test(tc, down_host_and_no_route);
	tcase_add_test(tc, timers_in_order);
	tcase_add_test(tc, nat_preserve_keeps_port);
	tcase_add_test(tc, nat_unsolicited_dropped);
	tcase_add_test(tc, nat_symmetric_port_per_destination);
	tcase_add_test(tc, nat_flow_times_out);
	tcase_add_test(tc, nat_lan_and_hairpin);
	tcase_add_test(tc, host_moves);
	tcase_add_test(tc, nat_reset_rebinds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(net_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

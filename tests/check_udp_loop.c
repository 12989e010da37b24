/*
 * agent/udp.c on real sockets over loopback: datagrams queued with
 * udp_send() and flushed in batches (GSO runs and plain ones), received
 * with and without UDP_GRO, must all arrive intact and in order, whatever
 * mix of runs, sizes and receivers the queue held; a GSO send the kernel
 * refuses falls back to plain datagrams and loses none; an address the
 * kernel refuses costs its own datagrams only.
 *
 * No root needed.  Exits 77 (skip) only when the kernel lacks UDP_SEGMENT
 * or UDP_GRO (Linux before 4.18 / 5.0).  Nothing here measures time: the
 * poll() timeout only keeps a lost datagram from hanging the test.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/udp.h"

#define HDR 8		/* seq (4 bytes), length (4 bytes), then a pattern */
#define NRX 2

struct dg {
	size_t len;
	int to;		/* 0, 1: that receiver; -1: port 0, refused */
};

/* What one receiver saw. */
struct seen {
	uint32_t next;		/* the seq it expects */
	size_t n;
	int bad;
	char why[160];
};

static struct udp tx, rx[NRX];
static struct mesh_endpoint rx_ep[NRX];
static uint32_t sent_seq[NRX];

static uint8_t
pattern(uint32_t seq, size_t i)
{
	return (uint8_t)(seq * 7 + i * 13 + 1);
}

static void
make(uint8_t *buf, uint32_t seq, size_t len)
{
	uint32_t l = (uint32_t)len;

	memcpy(buf, &seq, 4);
	memcpy(buf + 4, &l, 4);
	for (size_t i = HDR; i < len; i++)
		buf[i] = pattern(seq, i);
}

static void
on_dgram(void *ctx, const uint8_t *p, size_t len,
    const struct mesh_endpoint *from)
{
	struct seen *s = ctx;
	uint32_t seq, l;

	(void)from;
	s->n++;
	if (s->bad)
		return;
	if (len < HDR) {
		s->bad = 1;
		snprintf(s->why, sizeof(s->why), "a datagram of %zu bytes", len);
		return;
	}
	memcpy(&seq, p, 4);
	memcpy(&l, p + 4, 4);
	if (seq != s->next || l != len) {
		s->bad = 1;
		snprintf(s->why, sizeof(s->why), "got seq %u (%u bytes, "
		    "arrived as %zu), expected seq %u", seq, l, len, s->next);
		return;
	}
	for (size_t i = HDR; i < len; i++)
		if (p[i] != pattern(seq, i)) {
			s->bad = 1;
			snprintf(s->why, sizeof(s->why), "seq %u: byte %zu "
			    "differs", seq, i);
			return;
		}
	s->next++;
}

/* A UDP port free now on host's family. */
static uint16_t
free_port(int family)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = socket(family, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	close(fd);
	return ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int
open_at(struct udp *u, const char *host, bool gso, bool gro)
{
	char hp[80];
	int rc = -EADDRINUSE;

	for (int tries = 0; tries < 20 && rc == -EADDRINUSE; tries++) {
		snprintf(hp, sizeof(hp), "%s:%u", host, free_port(host[0] ==
		    '[' ? AF_INET6 : AF_INET));
		rc = udp_open(u, hp, gso, gro);
	}
	return rc;
}

/* tx at txhost, two receivers on 127.0.0.1. */
static void
open_all(const char *txhost, bool gso, bool gro)
{
	ck_assert_int_eq(open_at(&tx, txhost, gso, false), 0);
	ck_assert_int_eq(tx.gso, gso);
	for (int i = 0; i < NRX; i++) {
		ck_assert_int_eq(open_at(&rx[i], "127.0.0.1", false, gro), 0);
		ck_assert_int_eq(rx[i].gro, gro);
		memset(&rx_ep[i], 0, sizeof(rx_ep[i]));
		rx_ep[i].family = MESH_EP_IPV4;
		rx_ep[i].addr[0] = 127;
		rx_ep[i].addr[3] = 1;
		rx_ep[i].port = rx[i].port;
		sent_seq[i] = 0;
	}
}

static void
close_all(void)
{
	udp_close(&tx);
	for (int i = 0; i < NRX; i++)
		udp_close(&rx[i]);
}

/* Queue these datagrams (one buffer, rewritten for each: udp_send must
 * have copied it), flush unless told not to. */
static void
queue(const struct dg *d, size_t n, bool flush)
{
	static uint8_t buf[65536];

	for (size_t i = 0; i < n; i++) {
		struct mesh_endpoint to;
		if (d[i].to < 0) {
			to = rx_ep[0];
			to.port = 0;
			make(buf, UINT32_MAX, d[i].len);
		} else {
			to = rx_ep[d[i].to];
			make(buf, sent_seq[d[i].to]++, d[i].len);
		}
		udp_send(&tx, &to, buf, d[i].len);
		memset(buf, 0xa5, d[i].len);
	}
	if (flush)
		udp_flush(&tx);
}

/* Every receiver gets what was sent to it, in order, intact. */
static void
drain(struct seen *s)
{
	for (int i = 0; i < NRX; i++) {
		while (s[i].next < sent_seq[i] && !s[i].bad) {
			struct pollfd p = { .fd = rx[i].fd, .events = POLLIN };
			int n = poll(&p, 1, 5000);
			ck_assert_msg(n > 0, "receiver %d: %u of %u datagrams came",
			    i, s[i].next, sent_seq[i]);
			udp_recv(&rx[i], 8, on_dgram, &s[i]);
		}
		ck_assert_msg(!s[i].bad, "receiver %d: %s", i, s[i].why);
		ck_assert_uint_eq(s[i].next, sent_seq[i]);
		ck_assert_uint_eq(s[i].n, sent_seq[i]);
		ck_assert_uint_eq(rx[i].st.rx_datagrams, sent_seq[i]);
	}
}

/* Rounds of a TCP-like stream and its odds and ends: long runs (past the
 * 64-segment and 65,000-byte caps), short tails, runs cut by the other
 * receiver, the smallest and the largest datagram. */
static void
send_mix(struct seen *s)
{
	struct dg d[UDP_SENDQ];
	size_t n = 0;

	for (int i = 0; i < 70; i++)
		d[n++] = (struct dg){ 1300, 0 };
	d[n++] = (struct dg){ 500, 0 };
	for (int i = 0; i < 3; i++)
		d[n++] = (struct dg){ 1000, 0 };
	queue(d, n, true);
	drain(s);
	n = 0;
	for (int i = 0; i < 10; i++)
		d[n++] = (struct dg){ 1200, i % 2 };
	d[n++] = (struct dg){ HDR, 1 };
	d[n++] = (struct dg){ WIRE_PACKET_MAX, 1 };
	for (int i = 0; i < 30; i++)
		d[n++] = (struct dg){ WIRE_PACKET_MAX, i < 15 ? 0 : 1 };
	for (int i = 0; i < 20; i++)
		d[n++] = (struct dg){ 1300 - (size_t)i * 40, 0 };
	queue(d, n, true);
	drain(s);
}

START_TEST(gso_to_gro)
{
	struct seen s[NRX] = { 0 };

	open_all("127.0.0.1", true, true);
	send_mix(s);
	ck_assert(tx.gso);
	ck_assert_uint_gt(tx.st.tx_gso, 0);
	ck_assert_uint_eq(tx.st.tx_datagrams, sent_seq[0] + sent_seq[1]);
	ck_assert_uint_eq(tx.st.tx_calls, 2);		/* one per flush */
	ck_assert_uint_eq(tx.st.send_errors, 0);
	/* over loopback a GSO message reaches a GRO socket whole */
	ck_assert_uint_gt(rx[0].st.rx_gro, 0);
	ck_assert_uint_lt(rx[0].st.rx_calls, rx[0].st.rx_datagrams);
	close_all();
}
END_TEST

/* A socket without UDP_GRO gets a GSO message cut by the kernel. */
START_TEST(gso_to_plain)
{
	struct seen s[NRX] = { 0 };

	open_all("127.0.0.1", true, false);
	send_mix(s);
	ck_assert_uint_gt(tx.st.tx_gso, 0);
	ck_assert_uint_eq(rx[0].st.rx_gro, 0);
	close_all();
}
END_TEST

START_TEST(plain_to_gro)
{
	struct seen s[NRX] = { 0 };

	open_all("127.0.0.1", false, true);
	ck_assert_int_eq(tx.gso_off, UDP_OFF_CONF);
	send_mix(s);
	ck_assert_uint_eq(tx.st.tx_gso, 0);
	ck_assert_uint_eq(tx.st.tx_calls, 2);		/* sendmmsg all the same */
	ck_assert_uint_eq(tx.st.tx_datagrams, sent_seq[0] + sent_seq[1]);
	close_all();
}
END_TEST

/* An IPv6 socket (the default listen, [::]) reaching IPv4 receivers
 * through mapped addresses. */
START_TEST(gso_mapped_v4)
{
	struct seen s[NRX] = { 0 };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	if (fd < 0)
		return;		/* no IPv6 here: nothing to test */
	close(fd);
	open_all("[::]", true, true);
	send_mix(s);
	ck_assert_uint_gt(tx.st.tx_gso, 0);
	ck_assert_uint_eq(tx.st.send_errors, 0);
	close_all();
}
END_TEST

/* A socket without UDP checksums (SO_NO_CHECK) cannot do GSO: the kernel
 * refuses the first GSO message (EINVAL).  Nothing is lost, GSO goes off
 * for good, and the next flushes are plain. */
START_TEST(gso_refused_falls_back)
{
	struct seen s[NRX] = { 0 };
	int one = 1;
	uint64_t calls;

	open_all("127.0.0.1", true, true);
	ck_assert_int_eq(setsockopt(tx.fd, SOL_SOCKET, SO_NO_CHECK, &one,
	    sizeof(one)), 0);
	send_mix(s);
	ck_assert(!tx.gso);
	ck_assert_int_eq(tx.gso_off, UDP_OFF_SEND);
	ck_assert_uint_eq(tx.st.tx_gso, 0);
	ck_assert_uint_eq(tx.st.send_errors, 0);
	ck_assert_uint_eq(tx.st.tx_datagrams, sent_seq[0] + sent_seq[1]);
	calls = tx.st.tx_calls;
	send_mix(s);
	ck_assert_uint_eq(tx.st.tx_calls, calls + 2);	/* no more refusals */
	close_all();
}
END_TEST

/* A run to an address the kernel refuses (port 0: EINVAL) in the middle
 * of a flush: its three datagrams are counted and dropped, everything
 * around them arrives, and GSO stays on (the address, not GSO, was at
 * fault). */
START_TEST(refused_address_costs_its_own)
{
	struct seen s[NRX] = { 0 };
	struct dg d[] = {
		{ 1300, 0 }, { 1300, 0 }, { 1300, 0 },
		{ 1300, -1 }, { 1300, -1 }, { 1300, -1 },
		{ 1300, 0 }, { 1300, 0 }, { 900, 0 },
		{ 1300, -1 },
		{ 1300, 1 }, { 1300, 1 },
	};

	open_all("127.0.0.1", true, true);
	queue(d, sizeof(d) / sizeof(d[0]), true);
	drain(s);
	ck_assert_uint_eq(tx.st.send_errors, 4);
	ck_assert_uint_eq(tx.st.tx_datagrams, 8);
	ck_assert(tx.gso);
	ck_assert_uint_eq(tx.st.tx_gso, 3);
	close_all();
}
END_TEST

/* A full queue flushes itself: UDP_SENDQ datagrams, then the next one
 * starts a new queue. */
START_TEST(full_queue_flushes)
{
	struct seen s[NRX] = { 0 };
	struct dg d[UDP_SENDQ + 1];

	open_all("127.0.0.1", true, true);
	for (size_t i = 0; i < UDP_SENDQ + 1; i++)
		d[i] = (struct dg){ 16 + i % 3, (int)(i % 2) };
	queue(d, UDP_SENDQ + 1, false);
	ck_assert_uint_eq(tx.st.tx_calls, 1);
	ck_assert_uint_eq(tx.st.tx_datagrams, UDP_SENDQ);
	ck_assert_uint_eq(tx.nq, 1);
	udp_flush(&tx);
	ck_assert_uint_eq(tx.nq, 0);
	drain(s);
	close_all();
}
END_TEST

/* Datagrams built in place (udp_send_buf, then udp_send of that pointer)
 * mixed with copied ones, past a full queue: all arrive, in order, as GSO
 * runs as before; and a buffer given out for an address the socket cannot
 * reach is NULL. */
START_TEST(in_place_and_copied)
{
	struct seen s[NRX] = { 0 };
	struct mesh_endpoint v6 = { .family = MESH_EP_IPV6 };
	static uint8_t buf[65536];

	open_all("127.0.0.1", true, true);
	for (size_t i = 0; i < UDP_SENDQ + 40; i++) {
		int to = (int)(i / 40 % 2);
		size_t len = 1000;
		uint8_t *p = i % 3 == 2 ? buf :
		    udp_send_buf(&tx, &rx_ep[to], len);

		ck_assert_ptr_nonnull(p);
		make(p, sent_seq[to]++, len);
		udp_send(&tx, &rx_ep[to], p, len);
	}
	udp_flush(&tx);
	ck_assert_uint_eq(tx.st.tx_datagrams, UDP_SENDQ + 40);
	ck_assert_uint_gt(tx.st.tx_gso, 0);
	drain(s);
	ck_assert_ptr_null(udp_send_buf(&tx, &v6, 100));
	close_all();
}
END_TEST

/* An empty flush makes no system call. */
START_TEST(empty_flush_is_free)
{
	open_all("127.0.0.1", true, true);
	udp_flush(&tx);
	ck_assert_uint_eq(tx.st.tx_calls, 0);
	close_all();
}
END_TEST

/* UDP_SEGMENT and UDP_GRO exist in this kernel? */
static bool
kernel_has_offloads(const char **what)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, v = 0;
	socklen_t l = sizeof(v);
	bool ok = true;

	if (fd < 0) {
		*what = "no UDP socket";
		return false;
	}
	if (getsockopt(fd, SOL_UDP, UDP_SEGMENT, &v, &l) < 0) {
		*what = "UDP_SEGMENT (GSO, Linux 4.18)";
		ok = false;
	} else if (setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) < 0) {
		*what = "UDP_GRO (Linux 5.0)";
		ok = false;
	}
	close(fd);
	return ok;
}

int
main(void)
{
	const char *what = NULL;
	Suite *s;
	TCase *tc;
	SRunner *sr;
	int failed;

	if (!kernel_has_offloads(&what)) {
		printf("SKIP: this kernel lacks %s\n", what);
		return 77;
	}
	s = suite_create("udp_loop");
	tc = tcase_create("loopback");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, gso_to_gro);
	tcase_add_test(tc, gso_to_plain);
	tcase_add_test(tc, plain_to_gro);
	tcase_add_test(tc, gso_mapped_v4);
	tcase_add_test(tc, gso_refused_falls_back);
	tcase_add_test(tc, refused_address_costs_its_own);
	tcase_add_test(tc, full_queue_flushes);
	tcase_add_test(tc, empty_flush_is_free);
	tcase_add_test(tc, in_place_and_copied);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

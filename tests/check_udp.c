/*
 * agent/udp.c, the pure part: which queued datagrams go as one GSO
 * message (udp_gso_run).  A run is datagrams to one endpoint, back to back
 * in the queue, all as long as the first but the last, which may be
 * shorter; capped in datagrams and bytes.  The sockets themselves are
 * tests/check_udp_loop.c.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "agent/udp.h"

static struct mesh_endpoint
ep4(uint8_t last, uint16_t port)
{
	struct mesh_endpoint e;

	memset(&e, 0, sizeof(e));
	e.family = MESH_EP_IPV4;
	e.addr[0] = 10;
	e.addr[3] = last;
	e.port = port;
	return e;
}

/* q[0..n) with these lengths, back to back, all to `to`. */
static void
fill(struct udp_out *q, const size_t *len, size_t n,
    const struct mesh_endpoint *to)
{
	uint32_t off = 0;

	for (size_t i = 0; i < n; i++) {
		q[i].to = *to;
		q[i].off = off;
		q[i].len = (uint32_t)len[i];
		off += (uint32_t)len[i];
	}
}

START_TEST(empty_and_one)
{
	struct udp_out q[1];
	struct mesh_endpoint a = ep4(1, 51830);
	size_t len[] = { 1300 };

	fill(q, len, 1, &a);
	ck_assert_uint_eq(udp_gso_run(q, 0, 64, 65000), 0);
	ck_assert_uint_eq(udp_gso_run(q, 1, 64, 65000), 1);
}
END_TEST

START_TEST(equal_sizes_one_run)
{
	struct udp_out q[5];
	struct mesh_endpoint a = ep4(1, 51830);
	size_t len[] = { 1300, 1300, 1300, 1300, 1300 };

	fill(q, len, 5, &a);
	ck_assert_uint_eq(udp_gso_run(q, 5, 64, 65000), 5);
}
END_TEST

/* The last of a run may be shorter, and ends it; a longer one never
 * joins (the kernel cuts at the first one's size). */
START_TEST(shorter_ends_longer_breaks)
{
	struct udp_out q[6];
	struct mesh_endpoint a = ep4(1, 51830);
	size_t len[] = { 1300, 1300, 700, 1300, 1300, 1400 };

	fill(q, len, 6, &a);
	ck_assert_uint_eq(udp_gso_run(q, 6, 64, 65000), 3);
	ck_assert_uint_eq(udp_gso_run(q + 3, 3, 64, 65000), 2);
	ck_assert_uint_eq(udp_gso_run(q + 5, 1, 64, 65000), 1);
}
END_TEST

START_TEST(short_first_alone)
{
	struct udp_out q[3];
	struct mesh_endpoint a = ep4(1, 51830);
	size_t len[] = { 100, 1300, 1300 };

	fill(q, len, 3, &a);
	ck_assert_uint_eq(udp_gso_run(q, 3, 64, 65000), 1);
	ck_assert_uint_eq(udp_gso_run(q + 1, 2, 64, 65000), 2);
}
END_TEST

/* Another endpoint ends a run: another address, another port, another
 * family; the datagrams after it to the first endpoint start their own. */
START_TEST(endpoint_breaks)
{
	struct udp_out q[8];
	struct mesh_endpoint a = ep4(1, 51830), b = ep4(2, 51830),
	    ap = ep4(1, 51831), v6;
	size_t len[] = { 1300, 1300, 1300, 1300, 1300, 1300, 1300, 1300 };

	memset(&v6, 0, sizeof(v6));
	v6.family = MESH_EP_IPV6;
	v6.addr[0] = 10;
	v6.addr[3] = 1;		/* the same first bytes as a */
	v6.port = 51830;
	fill(q, len, 8, &a);
	q[2].to = b;
	q[4].to = ap;
	q[6].to = v6;
	ck_assert_uint_eq(udp_gso_run(q, 8, 64, 65000), 2);
	ck_assert_uint_eq(udp_gso_run(q + 2, 6, 64, 65000), 1);
	ck_assert_uint_eq(udp_gso_run(q + 3, 5, 64, 65000), 1);
	ck_assert_uint_eq(udp_gso_run(q + 4, 4, 64, 65000), 1);
	ck_assert_uint_eq(udp_gso_run(q + 5, 3, 64, 65000), 1);
	ck_assert_uint_eq(udp_gso_run(q + 6, 2, 64, 65000), 1);
}
END_TEST

START_TEST(ep_equal_ignores_ipv4_padding)
{
	struct mesh_endpoint a = ep4(1, 51830), b = ep4(1, 51830);

	b.addr[8] = 0xee;	/* past the 4 bytes of an IPv4 address */
	ck_assert(udp_ep_equal(&a, &b));
	b.addr[3] = 9;
	ck_assert(!udp_ep_equal(&a, &b));
}
END_TEST

START_TEST(caps_segments_and_bytes)
{
	struct udp_out q[100];
	struct mesh_endpoint a = ep4(1, 51830);
	size_t len[100];

	for (size_t i = 0; i < 100; i++)
		len[i] = 1000;
	fill(q, len, 100, &a);
	ck_assert_uint_eq(udp_gso_run(q, 100, 64, 65000), 64);
	ck_assert_uint_eq(udp_gso_run(q + 64, 36, 64, 65000), 36);
	for (size_t i = 0; i < 100; i++)
		len[i] = 1300;
	fill(q, len, 100, &a);
	/* 50 x 1300 is 65000 exactly: in; the 51st would not be */
	ck_assert_uint_eq(udp_gso_run(q, 100, 64, 65000), 50);
	ck_assert_uint_eq(udp_gso_run(q, 100, 64, 64999), 49);
	ck_assert_uint_eq(udp_gso_run(q, 100, 1, 65000), 1);
}
END_TEST

/* Only bytes that follow each other can be one iovec. */
START_TEST(gap_in_buffer_breaks)
{
	struct udp_out q[4];
	struct mesh_endpoint a = ep4(1, 51830);
	size_t len[] = { 1300, 1300, 1300, 1300 };

	fill(q, len, 4, &a);
	q[2].off += 1;
	q[3].off += 1;
	ck_assert_uint_eq(udp_gso_run(q, 4, 64, 65000), 2);
	ck_assert_uint_eq(udp_gso_run(q + 2, 2, 64, 65000), 2);
}
END_TEST

START_TEST(empty_datagrams_alone)
{
	struct udp_out q[3];
	struct mesh_endpoint a = ep4(1, 51830);
	size_t len[] = { 0, 0, 1300 };

	fill(q, len, 3, &a);
	ck_assert_uint_eq(udp_gso_run(q, 3, 64, 65000), 1);
	ck_assert_uint_eq(udp_gso_run(q + 1, 2, 64, 65000), 1);
	len[0] = 1300;
	len[1] = 0;
	fill(q, len, 3, &a);
	ck_assert_uint_eq(udp_gso_run(q, 3, 64, 65000), 1);
}
END_TEST

/* Random queues cut into runs: every datagram in exactly one run, each run
 * well formed, and as long as it can be (the next datagram breaks a rule). */
START_TEST(random_queues)
{
	struct mesh_endpoint eps[3] = { ep4(1, 1), ep4(2, 1), ep4(1, 2) };
	struct udp_out q[UDP_SENDQ];
	unsigned seed = 11;

	for (int round = 0; round < 2000; round++) {
		size_t n = 1 + (size_t)rand_r(&seed) % UDP_SENDQ, i = 0, covered = 0;
		size_t max_segs = 1 + (size_t)rand_r(&seed) % 64;
		uint32_t off = 0;

		for (size_t j = 0; j < n; j++) {
			int r = rand_r(&seed) % 10;
			/* mostly full-size runs to one endpoint, as TCP makes */
			q[j].len = r < 7 ? 1300 : r < 9 ? 1 + (uint32_t)rand_r(&seed) % 1416 : 0;
			q[j].to = eps[rand_r(&seed) % 8 == 0 ? rand_r(&seed) % 3 : 0];
			q[j].off = off;
			off += q[j].len;
		}
		while (i < n) {
			size_t k = udp_gso_run(q + i, n - i, max_segs, 65000), bytes = 0;

			ck_assert_uint_ge(k, 1);
			ck_assert_uint_le(k, max_segs);
			ck_assert_uint_le(i + k, n);
			for (size_t j = i; j < i + k; j++) {
				bytes += q[j].len;
				ck_assert(udp_ep_equal(&q[j].to, &q[i].to));
				if (j > i) {
					ck_assert_uint_gt(q[j].len, 0);
					ck_assert_uint_le(q[j].len, q[i].len);
				}
				if (j > i && j < i + k - 1)
					ck_assert_uint_eq(q[j].len, q[i].len);
			}
			ck_assert_uint_le(bytes, 65000);
			if (k > 1 || q[i].len > 0) {
				size_t e = i + k;
				/* maximal: the next one could not have joined */
				ck_assert(e == n || k == max_segs ||
				    q[e - 1].len < q[i].len || q[e].len > q[i].len ||
				    q[e].len == 0 || bytes + q[e].len > 65000 ||
				    !udp_ep_equal(&q[e].to, &q[i].to));
			}
			covered += k;
			i += k;
		}
		ck_assert_uint_eq(covered, n);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("udp");
	TCase *tc = tcase_create("gso_run");

	tcase_add_test(tc, empty_and_one);
	tcase_add_test(tc, equal_sizes_one_run);
	tcase_add_test(tc, shorter_ends_longer_breaks);
	tcase_add_test(tc, short_first_alone);
	tcase_add_test(tc, endpoint_breaks);
	tcase_add_test(tc, ep_equal_ignores_ipv4_padding);
	tcase_add_test(tc, caps_segments_and_bytes);
	tcase_add_test(tc, gap_in_buffer_breaks);
	tcase_add_test(tc, empty_datagrams_alone);
	tcase_add_test(tc, random_queues);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

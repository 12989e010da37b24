/*
 * LAN beacons (overlay/beacon.c): a beacon made by a member verifies;
 * every length but the one is refused, every flipped byte is refused (by
 * the parser or the verifier), and so are another network's, a
 * stranger's (certificate from another CA), an old or a future one.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "records_fixture.h"
#include "overlay/beacon.h"

#define NOW_MS	(NOW * 1000)

static struct key ca, nk;
static struct mesh_cert cert;

static void
setup(void)
{
	key_new(&ca);
	key_new(&nk);
	ck_assert_int_eq(cert_issue(&cert, ca.sk, "laptop", nk.pk, NOW,
	    30 * DAY), VR_OK);
}

START_TEST(roundtrip)
{
	uint8_t buf[BEACON_LEN];
	struct beacon b;

	ck_assert_uint_eq(beacon_make(buf, &cert, nk.sk, 51830, NOW_MS + 7),
	    BEACON_LEN);
	ck_assert_int_eq(beacon_parse(buf, sizeof(buf), &b), VR_OK);
	ck_assert_uint_eq(b.port, 51830);
	ck_assert_uint_eq(b.stamp, NOW_MS + 7);
	ck_assert_str_eq(b.cert.name, "laptop");
	ck_assert_mem_eq(b.cert.node_pk, nk.pk, 32);
	ck_assert_int_eq(beacon_verify(&b, ca.pk, NOW_MS), VR_OK);
}
END_TEST

START_TEST(lengths)
{
	uint8_t buf[BEACON_LEN + 1];
	struct beacon b;

	beacon_make(buf, &cert, nk.sk, 1, NOW_MS);
	buf[BEACON_LEN] = 0;
	for (size_t len = 0; len <= sizeof(buf); len++)
		ck_assert_int_eq(beacon_parse(buf, len, &b) == VR_OK,
		    len == BEACON_LEN);
}
END_TEST

/* Every byte flipped: refused by the parser or by the verifier. */
START_TEST(every_byte)
{
	uint8_t buf[BEACON_LEN], bad[BEACON_LEN];
	struct beacon b;

	beacon_make(buf, &cert, nk.sk, 51830, NOW_MS);
	for (size_t i = 0; i < BEACON_LEN; i++) {
		memcpy(bad, buf, sizeof(bad));
		bad[i] ^= 0x01;
		ck_assert_msg(beacon_parse(bad, sizeof(bad), &b) != VR_OK ||
		    beacon_verify(&b, ca.pk, NOW_MS) != VR_OK,
		    "byte %zu flipped and still taken", i);
	}
}
END_TEST

START_TEST(zero_port)
{
	uint8_t buf[BEACON_LEN];
	struct beacon b;

	beacon_make(buf, &cert, nk.sk, 0, NOW_MS);
	ck_assert_int_eq(beacon_parse(buf, sizeof(buf), &b), VR_FORMAT);
}
END_TEST

START_TEST(time_window)
{
	uint64_t skew = (uint64_t)BEACON_SKEW * 1000;
	uint8_t buf[BEACON_LEN];
	struct beacon b;

	beacon_make(buf, &cert, nk.sk, 51830, NOW_MS);
	ck_assert_int_eq(beacon_parse(buf, sizeof(buf), &b), VR_OK);
	ck_assert_int_eq(beacon_verify(&b, ca.pk, NOW_MS + skew), VR_OK);
	ck_assert_int_eq(beacon_verify(&b, ca.pk, NOW_MS + skew + 1),
	    VR_EXPIRED);
	ck_assert_int_eq(beacon_verify(&b, ca.pk, NOW_MS - skew), VR_OK);
	ck_assert_int_eq(beacon_verify(&b, ca.pk, NOW_MS - skew - 1),
	    VR_NOTYET);
	/* A stamp near the end of time does not wrap the window. */
	beacon_make(buf, &cert, nk.sk, 51830, UINT64_MAX);
	ck_assert_int_eq(beacon_parse(buf, sizeof(buf), &b), VR_OK);
	ck_assert_int_ne(beacon_verify(&b, ca.pk, NOW_MS), VR_OK);
}
END_TEST

/* Another network's beacon, and a beacon with a certificate of another
 * CA in ours: neither is a member's. */
START_TEST(strangers)
{
	struct key ca2, k2;
	struct mesh_cert c2;
	uint8_t buf[BEACON_LEN];
	struct beacon b;

	key_new(&ca2);
	key_new(&k2);
	cert_issue(&c2, ca2.sk, "intruder", k2.pk, NOW, DAY);
	beacon_make(buf, &c2, k2.sk, 51830, NOW_MS);
	ck_assert_int_eq(beacon_parse(buf, sizeof(buf), &b), VR_OK);
	ck_assert_int_eq(beacon_verify(&b, ca.pk, NOW_MS), VR_NETWORK);
	ck_assert_int_eq(beacon_verify(&b, ca2.pk, NOW_MS), VR_OK);
	/* Our network's id on the outside, their certificate inside. */
	cert_net_id(ca.pk, buf + 4);
	ck_assert_int_eq(beacon_parse(buf, sizeof(buf), &b), VR_OK);
	ck_assert_int_ne(beacon_verify(&b, ca.pk, NOW_MS), VR_OK);
	/* A member's certificate, signed by someone else's key. */
	beacon_make(buf, &cert, k2.sk, 51830, NOW_MS);
	ck_assert_int_eq(beacon_parse(buf, sizeof(buf), &b), VR_OK);
	ck_assert_int_eq(beacon_verify(&b, ca.pk, NOW_MS), VR_SIG);
	/* An expired certificate. */
	cert_issue(&c2, ca.sk, "old", nk.pk, NOW - 10 * DAY, DAY);
	beacon_make(buf, &c2, nk.sk, 51830, NOW_MS);
	ck_assert_int_eq(beacon_parse(buf, sizeof(buf), &b), VR_OK);
	ck_assert_int_eq(beacon_verify(&b, ca.pk, NOW_MS), VR_EXPIRED);
}
END_TEST

static Suite *
beacon_suite(void)
{
	Suite *s = suite_create("beacon");
	TCase *tc = tcase_create("beacon");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, lengths);
	tcase_add_test(tc, every_byte);
	tcase_add_test(tc, zero_port);
	tcase_add_test(tc, time_window);
	tcase_add_test(tc, strangers);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(beacon_suite());
}

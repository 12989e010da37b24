/*
 * overlay/msg.c and overlay/member.c: the messages meshd nodes send inside
 * sessions, and the membership states.  Every encoder round-trips; every
 * decoder refuses a wrong type, a wrong length and each malformed field.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/member.h"
#include "overlay/msg.h"

static uint8_t buf[MSG_MAX + 64];

static void
key_of(uint8_t k[MESH_KEY_LEN], uint8_t first)
{
	memset(k, 0x11, MESH_KEY_LEN);
	k[0] = first;
}

static struct msg_digest
digest3(void)
{
	struct msg_digest d;

	memset(&d, 0, sizeof(d));
	memset(d.hi, 0xff, sizeof(d.hi));
	d.n = 3;
	for (size_t i = 0; i < 3; i++) {
		key_of(d.key[i], (uint8_t)(0x10 * (i + 1)));
		d.seq[i] = 1000 + i;
	}
	return d;
}

START_TEST(digest_roundtrip)
{
	struct msg_digest d = digest3(), e;
	size_t n = msg_digest_encode(&d, buf);

	ck_assert_uint_eq(n, MSG_DIGEST_HEAD + 3 * MSG_DIGEST_ENT);
	ck_assert_uint_eq(buf[0], MSG_DIGEST);
	ck_assert(msg_digest_decode(buf, n, &e));
	ck_assert_uint_eq(e.n, 3);
	ck_assert_mem_eq(e.key, d.key, 3 * MESH_KEY_LEN);
	ck_assert_uint_eq(e.seq[2], 1002);
	/* little-endian seq on the wire */
	ck_assert_uint_eq(buf[MSG_DIGEST_HEAD + MESH_KEY_LEN], 1000 & 0xff);
	ck_assert_uint_eq(buf[MSG_DIGEST_HEAD + MESH_KEY_LEN + 1], 1000 >> 8);
	/* an empty digest covers a range too */
	d.n = 0;
	n = msg_digest_encode(&d, buf);
	ck_assert_uint_eq(n, MSG_DIGEST_HEAD);
	ck_assert(msg_digest_decode(buf, n, &e));
	ck_assert_uint_eq(e.n, 0);
	/* the largest fits a transport message */
	ck_assert_uint_le(MSG_DIGEST_HEAD + MSG_DIGEST_MAX * MSG_DIGEST_ENT,
	    MSG_MAX);
}
END_TEST

START_TEST(digest_refused)
{
	struct msg_digest d = digest3(), e;
	size_t n = msg_digest_encode(&d, buf);

	ck_assert(!msg_digest_decode(buf, n - 1, &e));
	ck_assert(!msg_digest_decode(buf, n + 1, &e));
	ck_assert(!msg_digest_decode(buf, 1, &e));
	buf[0] = MSG_WANT;
	ck_assert(!msg_digest_decode(buf, n, &e));
	buf[0] = MSG_DIGEST;
	buf[1] = MSG_DIGEST_MAX + 1;
	ck_assert(!msg_digest_decode(buf, MSG_DIGEST_HEAD +
	    (MSG_DIGEST_MAX + 1) * MSG_DIGEST_ENT, &e));
	/* keys out of order */
	d = digest3();
	memcpy(d.key[0], d.key[2], MESH_KEY_LEN);
	n = msg_digest_encode(&d, buf);
	ck_assert(!msg_digest_decode(buf, n, &e));
	/* a duplicate key */
	d = digest3();
	memcpy(d.key[1], d.key[0], MESH_KEY_LEN);
	n = msg_digest_encode(&d, buf);
	ck_assert(!msg_digest_decode(buf, n, &e));
	/* a key outside [lo, hi] */
	d = digest3();
	key_of(d.lo, 0x20);
	n = msg_digest_encode(&d, buf);
	ck_assert(!msg_digest_decode(buf, n, &e));
	/* lo above hi */
	d = digest3();
	d.n = 0;
	memset(d.lo, 0xff, MESH_KEY_LEN);
	memset(d.hi, 0x00, MESH_KEY_LEN);
	n = msg_digest_encode(&d, buf);
	ck_assert(!msg_digest_decode(buf, n, &e));
}
END_TEST

START_TEST(key_range)
{
	uint8_t lo[MESH_KEY_LEN], hi[MESH_KEY_LEN], k[MESH_KEY_LEN];

	key_of(lo, 0x10);
	key_of(hi, 0x30);
	key_of(k, 0x10);
	ck_assert(msg_key_in(k, lo, hi));
	key_of(k, 0x30);
	ck_assert(msg_key_in(k, lo, hi));
	key_of(k, 0x31);
	ck_assert(!msg_key_in(k, lo, hi));
	key_of(k, 0x0f);
	ck_assert(!msg_key_in(k, lo, hi));
}
END_TEST

START_TEST(want_roundtrip_and_refused)
{
	struct msg_want w, v;
	size_t n;

	memset(&w, 0, sizeof(w));
	w.n = 2;
	key_of(w.key[0], 1);
	key_of(w.key[1], 2);
	n = msg_want_encode(&w, buf);
	ck_assert_uint_eq(n, 2 + 2 * MESH_KEY_LEN);
	ck_assert(msg_want_decode(buf, n, &v));
	ck_assert_uint_eq(v.n, 2);
	ck_assert_mem_eq(v.key, w.key, 2 * MESH_KEY_LEN);
	ck_assert(!msg_want_decode(buf, n - 1, &v));
	ck_assert(!msg_want_decode(buf, n + MESH_KEY_LEN, &v));
	buf[1] = 0;
	ck_assert(!msg_want_decode(buf, 2, &v));	/* an empty WANT is junk */
	buf[1] = MSG_WANT_MAX + 1;
	ck_assert(!msg_want_decode(buf, 2 + (MSG_WANT_MAX + 1) * MESH_KEY_LEN, &v));
	ck_assert_uint_le(2 + MSG_WANT_MAX * MESH_KEY_LEN, MSG_MAX);
}
END_TEST

START_TEST(seen_roundtrip_and_refused)
{
	struct mesh_endpoint ep, got;
	size_t n;

	memset(&ep, 0, sizeof(ep));
	ep.family = MESH_EP_IPV4;
	ep.addr[0] = 192;
	ep.addr[1] = 0;
	ep.addr[2] = 2;
	ep.addr[3] = 7;
	ep.port = 51830;
	n = msg_seen_encode(&ep, buf);
	ck_assert_uint_eq(n, 1 + sizeof(struct mesh_ep_wire));
	ck_assert(msg_seen_decode(buf, n, &got));
	ck_assert_mem_eq(&got, &ep, sizeof(ep));
	ck_assert(!msg_seen_decode(buf, n - 1, &got));
	buf[2 + 2 + 5] = 1;	/* a byte of the unused v4 tail */
	ck_assert(!msg_seen_decode(buf, n, &got));
	ep.family = MESH_EP_IPV6;
	memset(ep.addr, 0x20, 16);
	n = msg_seen_encode(&ep, buf);
	ck_assert(msg_seen_decode(buf, n, &got));
	ck_assert_uint_eq(got.family, MESH_EP_IPV6);
	ck_assert_mem_eq(got.addr, ep.addr, 16);
	buf[1] = 5;	/* no such family */
	ck_assert(!msg_seen_decode(buf, n, &got));
	ep.port = 0;
	n = msg_seen_encode(&ep, buf);
	ck_assert(!msg_seen_decode(buf, n, &got));
}
END_TEST

START_TEST(join_req_roundtrip_and_refused)
{
	struct msg_join_req r, g;
	size_t n;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "laptop-2");
	memset(r.proof, 0xab, sizeof(r.proof));
	n = msg_join_req_encode(&r, buf);
	ck_assert_uint_eq(n, 2 + INVITE_PROOF_LEN + 8);
	ck_assert(msg_join_req_decode(buf, n, &g));
	ck_assert_str_eq(g.name, "laptop-2");
	ck_assert_mem_eq(g.proof, r.proof, INVITE_PROOF_LEN);
	ck_assert(!msg_join_req_decode(buf, n - 1, &g));
	ck_assert(!msg_join_req_decode(buf, n + 1, &g));
	buf[2 + INVITE_PROOF_LEN] = '-';	/* "-aptop-2": not a label */
	ck_assert(!msg_join_req_decode(buf, n, &g));
	buf[2 + INVITE_PROOF_LEN] = '.';
	ck_assert(!msg_join_req_decode(buf, n, &g));
	buf[2 + INVITE_PROOF_LEN] = 'l';
	buf[0] = MSG_JOIN_OK;
	ck_assert(!msg_join_req_decode(buf, n, &g));
	buf[0] = MSG_JOIN_REQ;
	buf[1] = 0;
	ck_assert(!msg_join_req_decode(buf, 2 + INVITE_PROOF_LEN, &g));
}
END_TEST

START_TEST(join_ok_and_err)
{
	struct msg_join_ok ok, got;
	size_t n;
	int err = 0;

	memset(&ok, 0x5a, sizeof(ok));
	n = msg_join_ok_encode(&ok, buf);
	ck_assert_uint_eq(n, MSG_JOIN_OK_LEN);
	ck_assert_uint_le(n, MSG_MAX);
	ck_assert(msg_join_ok_decode(buf, n, &got));
	ck_assert_mem_eq(&got, &ok, sizeof(ok));
	ck_assert(!msg_join_ok_decode(buf, n - 1, &got));
	ck_assert(!msg_join_err_decode(buf, n, &err));

	n = msg_join_err_encode(-13, buf);
	ck_assert_uint_eq(n, 2);
	ck_assert(msg_join_err_decode(buf, n, &err));
	ck_assert_int_eq(err, -13);
	buf[1] = 0;	/* "refused for no reason" is not an answer */
	ck_assert(!msg_join_err_decode(buf, n, &err));
	ck_assert(!msg_join_ok_decode(buf, n, &got));
}
END_TEST

START_TEST(member_states)
{
	const uint64_t S = 10000, D = 30000, T = 1000000;

	ck_assert_int_eq(member_state(T, 0, false, S, D), MEMBER_DEAD);
	ck_assert_int_eq(member_state(T, T, false, S, D), MEMBER_ALIVE);
	ck_assert_int_eq(member_state(T, T - S + 1, false, S, D), MEMBER_ALIVE);
	ck_assert_int_eq(member_state(T, T - S, false, S, D), MEMBER_SUSPECT);
	ck_assert_int_eq(member_state(T, T - D + 1, false, S, D), MEMBER_SUSPECT);
	ck_assert_int_eq(member_state(T, T - D, false, S, D), MEMBER_DEAD);
	ck_assert_int_eq(member_state(T, T + 5, false, S, D), MEMBER_ALIVE);
	/* a goodbye wins over every timer, until the member speaks again */
	ck_assert_int_eq(member_state(T, T, true, S, D), MEMBER_LEFT);
	ck_assert_int_eq(member_state(T, 0, true, S, D), MEMBER_LEFT);
	/* the next change is exactly where member_state flips */
	ck_assert_uint_eq(member_next_change(T, T, false, S, D), T + S);
	ck_assert_int_eq(member_state(T + S - 1, T, false, S, D), MEMBER_ALIVE);
	ck_assert_int_eq(member_state(T + S, T, false, S, D), MEMBER_SUSPECT);
	ck_assert_uint_eq(member_next_change(T, T - S, false, S, D), T - S + D);
	ck_assert_int_eq(member_state(T - S + D, T - S, false, S, D), MEMBER_DEAD);
	ck_assert_uint_eq(member_next_change(T, T + 5, false, S, D), T + 5 + S);
	ck_assert_uint_eq(member_next_change(T, T - D, false, S, D), UINT64_MAX);
	ck_assert_uint_eq(member_next_change(T, 0, false, S, D), UINT64_MAX);
	ck_assert_uint_eq(member_next_change(T, T, true, S, D), UINT64_MAX);
	ck_assert_str_eq(member_state_name(MEMBER_ALIVE), "alive");
	ck_assert_str_eq(member_state_name(MEMBER_SUSPECT), "suspect");
	ck_assert_str_eq(member_state_name(MEMBER_DEAD), "dead");
	ck_assert_str_eq(member_state_name(MEMBER_LEFT), "left");
}
END_TEST

static Suite *
msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("messages");

	tcase_add_test(tc, digest_roundtrip);
	tcase_add_test(tc, digest_refused);
	tcase_add_test(tc, key_range);
	tcase_add_test(tc, want_roundtrip_and_refused);
	tcase_add_test(tc, seen_roundtrip_and_refused);
	tcase_add_test(tc, join_req_roundtrip_and_refused);
	tcase_add_test(tc, join_ok_and_err);
	suite_add_tcase(s, tc);
	tc = tcase_create("membership");
	tcase_add_test(tc, member_states);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(msg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

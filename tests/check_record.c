#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "records_fixture.h"
#include "overlay/addr.h"
#include "overlay/record.h"

START_TEST(make_verify)
{
	struct key ca, n;
	struct mesh_record r;
	uint8_t prefix[MESH_PREFIX_LEN], addr[16];

	key_new(&ca);
	key_new(&n);
	record_for(&r, &ca, &n, "alpha", 1);
	mesh_net_prefix(ca.pk, prefix);
	mesh_node_addr(prefix, n.pk, addr);
	ck_assert_mem_eq(r.addr, addr, 16);
	ck_assert_int_eq(record_verify(&r, ca.pk, NULL, NOW), VR_OK);
	ck_assert_int_eq(record_verify(&r, ca.pk, NULL, NOW + DAY - 1), VR_OK);
	ck_assert_int_eq(record_verify(&r, ca.pk, NULL, NOW + DAY), VR_EXPIRED);
}
END_TEST

START_TEST(wire_roundtrip)
{
	struct key ca, n;
	struct mesh_record r, d;
	struct mesh_endpoint ep[MESH_EP_MAX];
	struct mesh_cert c;
	uint8_t w[RECORD_WIRE_LEN], w2[RECORD_WIRE_LEN];

	key_new(&ca);
	key_new(&n);
	memset(ep, 0, sizeof(ep));
	for (size_t i = 0; i < MESH_EP_MAX; i++) {
		ep[i].family = i % 2 ? MESH_EP_IPV6 : MESH_EP_IPV4;
		ep[i].addr[0] = (uint8_t)(10 + i);
		ep[i].addr[3] = 1;
		if (ep[i].family == MESH_EP_IPV6)
			ep[i].addr[15] = 9;
		ep[i].port = (uint16_t)(0x1234 + i);
	}
	cert_issue(&c, ca.sk, "many", n.pk, NOW, DAY);
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, MESH_EP_MAX,
	    0x0102030405060708ull, NOW + 60), VR_OK);
	record_encode(&r, w);
	ck_assert_int_eq(record_decode(w, sizeof(w), &d), VR_OK);
	ck_assert_int_eq(record_verify(&d, ca.pk, NULL, NOW), VR_OK);
	record_encode(&d, w2);
	ck_assert_mem_eq(w, w2, sizeof(w));
	/* Pinned little-endian fields. */
	ck_assert_uint_eq(w[offsetof(struct mesh_record_wire, seq)], 0x08);
	ck_assert_uint_eq(w[offsetof(struct mesh_record_wire, seq) + 7], 0x01);
	ck_assert_uint_eq(w[offsetof(struct mesh_record_wire, ep) +
	    offsetof(struct mesh_ep_wire, port)], 0x34);
	ck_assert_uint_eq(w[offsetof(struct mesh_record_wire, ep) +
	    offsetof(struct mesh_ep_wire, port) + 1], 0x12);
	/* Wrong lengths. */
	ck_assert_int_eq(record_decode(w, sizeof(w) - 1, &d), VR_FORMAT);
	ck_assert_int_eq(record_decode(w, 0, &d), VR_FORMAT);
}
END_TEST

START_TEST(noncanonical)
{
	struct key ca, n;
	struct mesh_record r, d;
	uint8_t w[RECORD_WIRE_LEN], t[RECORD_WIRE_LEN];
	size_t ep0 = offsetof(struct mesh_record_wire, ep);
	size_t ep1 = ep0 + sizeof(struct mesh_ep_wire);

	key_new(&ca);
	key_new(&n);
	record_for(&r, &ca, &n, "alpha", 1);
	record_encode(&r, w);
	memcpy(t, w, sizeof(t));
	t[ep1 + 5] = 1;			/* an unused slot not zero */
	ck_assert_int_eq(record_decode(t, sizeof(t), &d), VR_FORMAT);
	memcpy(t, w, sizeof(t));
	t[2] = MESH_EP_MAX + 1;		/* n_ep */
	ck_assert_int_eq(record_decode(t, sizeof(t), &d), VR_FORMAT);
	memcpy(t, w, sizeof(t));
	t[3] = 1;			/* reserved */
	ck_assert_int_eq(record_decode(t, sizeof(t), &d), VR_FORMAT);
	memcpy(t, w, sizeof(t));
	t[1] = 9;			/* version */
	ck_assert_int_eq(record_decode(t, sizeof(t), &d), VR_VERSION);
	memcpy(t, w, sizeof(t));
	t[0] = MESH_KIND_CERT;
	ck_assert_int_eq(record_decode(t, sizeof(t), &d), VR_FORMAT);
	memcpy(t, w, sizeof(t));
	t[ep0 + 3 + 10] = 1;		/* IPv4 with bytes beyond the 4th */
	ck_assert_int_eq(record_decode(t, sizeof(t), &d), VR_ENDPOINT);
	memcpy(t, w, sizeof(t));
	t[ep0] = 5;			/* family */
	ck_assert_int_eq(record_decode(t, sizeof(t), &d), VR_ENDPOINT);
	memcpy(t, w, sizeof(t));
	t[ep0 + 1] = t[ep0 + 2] = 0;	/* port 0 */
	ck_assert_int_eq(record_decode(t, sizeof(t), &d), VR_ENDPOINT);
}
END_TEST

/* Forged: every bit of every byte flipped, one at a time. */
START_TEST(every_byte_flipped)
{
	struct key ca, n;
	struct mesh_record r, d;
	uint8_t w[RECORD_WIRE_LEN], t[RECORD_WIRE_LEN];
	size_t refused = 0;

	key_new(&ca);
	key_new(&n);
	record_for(&r, &ca, &n, "flip", 7);
	record_encode(&r, w);
	for (size_t i = 0; i < sizeof(w); i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(t, w, sizeof(t));
			t[i] ^= (uint8_t)(1u << bit);
			if (record_decode(t, sizeof(t), &d) == VR_OK)
				ck_assert_msg(record_verify(&d, ca.pk, NULL,
				    NOW) != VR_OK, "byte %zu bit %d flipped "
				    "still verifies", i, bit);
			refused++;
		}
	}
	ck_assert_uint_eq(refused, 8 * sizeof(w));
}
END_TEST

START_TEST(foreign_ca)
{
	struct key ca, other, n;
	struct mesh_record r;

	key_new(&ca);
	key_new(&other);
	key_new(&n);
	record_for(&r, &other, &n, "alpha", 1);
	ck_assert_int_eq(record_verify(&r, ca.pk, NULL, NOW), VR_NETWORK);
	/* Relabelled as our network: the address is the other network's. */
	cert_net_id(ca.pk, r.net_id);
	ck_assert_int_eq(record_verify(&r, ca.pk, NULL, NOW), VR_ADDR);
	/* And with our address too, the certificate is still foreign. */
	{
		uint8_t prefix[MESH_PREFIX_LEN];
		mesh_net_prefix(ca.pk, prefix);
		mesh_node_addr(prefix, n.pk, r.addr);
	}
	ck_assert_int_eq(record_verify(&r, ca.pk, NULL, NOW), VR_NETWORK);
}
END_TEST

START_TEST(wrong_signer)
{
	struct key ca, n, m;
	struct mesh_record rn, rm, t;
	struct mesh_cert c;

	key_new(&ca);
	key_new(&n);
	key_new(&m);
	record_for(&rn, &ca, &n, "nnn", 5);
	record_for(&rm, &ca, &m, "mmm", 5);
	/* n's certificate and address with m's signature. */
	t = rm;
	t.cert = rn.cert;
	memcpy(t.addr, rn.addr, 16);
	ck_assert_int_eq(record_verify(&t, ca.pk, NULL, NOW), VR_SIG);
	/* record_make refuses a key that is not the certificate's. */
	cert_issue(&c, ca.sk, "nnn", n.pk, NOW, DAY);
	ck_assert_int_eq(record_make(&t, &c, ca.pk, m.sk, NULL, 0, 1,
	    NOW + DAY), VR_FORMAT);
	/* Any field changed after signing. */
	t = rn;
	t.seq++;
	ck_assert_int_eq(record_verify(&t, ca.pk, NULL, NOW), VR_SIG);
	t = rn;
	t.expires++;
	ck_assert_int_eq(record_verify(&t, ca.pk, NULL, NOW), VR_SIG);
	t = rn;
	t.ep[0].port++;
	ck_assert_int_eq(record_verify(&t, ca.pk, NULL, NOW), VR_SIG);
	t = rn;
	t.n_ep = 0;
	ck_assert_int_eq(record_verify(&t, ca.pk, NULL, NOW), VR_SIG);
}
END_TEST

START_TEST(times)
{
	struct key ca, n;
	struct mesh_cert c;
	struct mesh_record r;

	key_new(&ca);
	key_new(&n);
	/* A certificate issued in the future (CA clock ahead). */
	cert_issue(&c, ca.sk, "later", n.pk, NOW + 3600, DAY);
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, NULL, 0, 1,
	    NOW + 2 * DAY), VR_OK);
	ck_assert_int_eq(record_verify(&r, ca.pk, NULL, NOW), VR_NOTYET);
	ck_assert_int_eq(record_verify(&r, ca.pk, NULL, NOW + 3600), VR_OK);
	/* The certificate ends before the record does. */
	ck_assert_int_eq(record_verify(&r, ca.pk, NULL, NOW + 3600 + DAY),
	    VR_EXPIRED);
	/* The record ends first. */
	record_for(&r, &ca, &n, "x", 1);
	ck_assert_int_eq(record_verify(&r, ca.pk, NULL, r.expires), VR_EXPIRED);
}
END_TEST

START_TEST(revoked)
{
	struct key ca, n;
	struct mesh_record r;
	struct mesh_revocation rv;
	struct revset rs = { 0 };

	key_new(&ca);
	key_new(&n);
	record_for(&r, &ca, &n, "gone", 1);
	ck_assert_int_eq(record_verify(&r, ca.pk, &rs, NOW), VR_OK);
	rev_make(&rv, ca.sk, ca.pk, MESH_REV_SERIAL, r.cert.serial, NULL, NOW,
	    r.cert.not_after);
	ck_assert_int_eq(revset_add(&rs, &rv, ca.pk), VR_OK);
	ck_assert_int_eq(record_verify(&r, ca.pk, &rs, NOW), VR_REVOKED);
	revset_free(&rs);
	rev_make(&rv, ca.sk, ca.pk, MESH_REV_KEY, 0, n.pk, NOW, UINT64_MAX);
	ck_assert_int_eq(revset_add(&rs, &rv, ca.pk), VR_OK);
	ck_assert_int_eq(record_verify(&r, ca.pk, &rs, NOW), VR_REVOKED);
	revset_free(&rs);
}
END_TEST

START_TEST(wrong_address)
{
	struct key ca, n;
	struct mesh_record r, t;

	key_new(&ca);
	key_new(&n);
	record_for(&r, &ca, &n, "addr", 1);
	for (size_t i = 0; i < 16; i++) {
		t = r;
		t.addr[i] ^= 0x80;
		ck_assert_int_eq(record_verify(&t, ca.pk, NULL, NOW), VR_ADDR);
	}
}
END_TEST

START_TEST(bad_endpoints)
{
	struct key ca, n;
	struct mesh_cert c;
	struct mesh_record r;
	struct mesh_endpoint ep[MESH_EP_MAX + 1];

	key_new(&ca);
	key_new(&n);
	cert_issue(&c, ca.sk, "ep", n.pk, NOW, DAY);
	memset(ep, 0, sizeof(ep));
	for (size_t i = 0; i <= MESH_EP_MAX; i++) {
		ep[i].family = MESH_EP_IPV4;
		ep[i].addr[0] = 10;
		ep[i].port = 1;
	}
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, MESH_EP_MAX + 1,
	    1, NOW + 1), VR_ENDPOINT);
	ep[0].port = 0;
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, 1, 1, NOW + 1),
	    VR_ENDPOINT);
	ep[0].port = 1;
	ep[0].addr[0] = 0;		/* 0.0.0.0 */
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, 1, 1, NOW + 1),
	    VR_ENDPOINT);
	ep[0].family = MESH_EP_IPV6;	/* :: */
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, 1, 1, NOW + 1),
	    VR_ENDPOINT);
	ep[0].addr[15] = 1;		/* ::1 */
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, 1, 1, NOW + 1),
	    VR_OK);
	/* Not unicast, or needing a scope (issue 12): ff02::1, fe80::1,
	 * ::ffff:0.0.0.0, ::ffff:224.0.0.1, 224.0.0.1, 255.255.255.255,
	 * 0.1.2.3. */
	memset(ep[0].addr, 0, 16);
	ep[0].addr[0] = 0xff;
	ep[0].addr[1] = 0x02;
	ep[0].addr[15] = 1;
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, 1, 1, NOW + 1),
	    VR_ENDPOINT);
	ep[0].addr[0] = 0xfe;
	ep[0].addr[1] = 0x80;
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, 1, 1, NOW + 1),
	    VR_ENDPOINT);
	memset(ep[0].addr, 0, 16);
	ep[0].addr[10] = ep[0].addr[11] = 0xff;
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, 1, 1, NOW + 1),
	    VR_ENDPOINT);
	ep[0].addr[12] = 224;
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, 1, 1, NOW + 1),
	    VR_ENDPOINT);
	ep[0].addr[12] = 198;		/* ::ffff:198.0.0.0 is fine */
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, 1, 1, NOW + 1),
	    VR_OK);
	ep[0].family = MESH_EP_IPV4;
	memset(ep[0].addr, 0, 16);
	ep[0].addr[0] = 224;
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, 1, 1, NOW + 1),
	    VR_ENDPOINT);
	memset(ep[0].addr, 255, 4);
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, 1, 1, NOW + 1),
	    VR_ENDPOINT);
	memset(ep[0].addr, 0, 4);
	ep[0].addr[1] = 1;
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, ep, 1, 1, NOW + 1),
	    VR_ENDPOINT);
	/* No endpoints at all is fine: a node behind NAT may know none. */
	ck_assert_int_eq(record_make(&r, &c, ca.pk, n.sk, NULL, 0, 1, NOW + 1),
	    VR_OK);
	ck_assert_int_eq(record_verify(&r, ca.pk, NULL, NOW), VR_OK);
	r.n_ep = MESH_EP_MAX + 1;
	ck_assert_int_eq(record_verify(&r, ca.pk, NULL, NOW), VR_ENDPOINT);
}
END_TEST

static Suite *
record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("record");

	tcase_add_test(tc, make_verify);
	tcase_add_test(tc, wire_roundtrip);
	tcase_add_test(tc, noncanonical);
	tcase_add_test(tc, every_byte_flipped);
	tcase_add_test(tc, foreign_ca);
	tcase_add_test(tc, wrong_signer);
	tcase_add_test(tc, times);
	tcase_add_test(tc, revoked);
	tcase_add_test(tc, wrong_address);
	tcase_add_test(tc, bad_endpoints);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(record_suite());
}

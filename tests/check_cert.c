#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "records_fixture.h"
#include "overlay/cert.h"

START_TEST(issue_verify)
{
	struct key ca, n;
	struct mesh_cert c;
	uint8_t id[MESH_NETID_LEN];

	key_new(&ca);
	key_new(&n);
	ck_assert_int_eq(cert_issue(&c, ca.sk, "Laptop-2", n.pk, NOW, DAY),
	    VR_OK);
	ck_assert_str_eq(c.name, "laptop-2");	/* canonical: lower case */
	ck_assert_mem_eq(c.node_pk, n.pk, 32);
	cert_net_id(ca.pk, id);
	ck_assert_mem_eq(c.net_id, id, MESH_NETID_LEN);
	ck_assert_uint_eq(c.not_before, NOW - CERT_SKEW);
	ck_assert_uint_eq(c.not_after, NOW + DAY);
	ck_assert_int_eq(cert_verify(&c, ca.pk, NOW), VR_OK);
}
END_TEST

START_TEST(validity_edges)
{
	struct key ca, n;
	struct mesh_cert c;

	key_new(&ca);
	key_new(&n);
	cert_issue(&c, ca.sk, "a", n.pk, NOW, DAY);
	ck_assert_int_eq(cert_verify(&c, ca.pk, c.not_before - 1), VR_NOTYET);
	ck_assert_int_eq(cert_verify(&c, ca.pk, c.not_before), VR_OK);
	ck_assert_int_eq(cert_verify(&c, ca.pk, c.not_after - 1), VR_OK);
	ck_assert_int_eq(cert_verify(&c, ca.pk, c.not_after), VR_EXPIRED);
	ck_assert_int_eq(cert_verify(&c, ca.pk, UINT64_MAX), VR_EXPIRED);
	ck_assert_int_eq(cert_verify(&c, ca.pk, 0), VR_NOTYET);
	/* A lifetime that overflows saturates instead of wrapping. */
	cert_issue(&c, ca.sk, "a", n.pk, NOW, UINT64_MAX);
	ck_assert_uint_eq(c.not_after, UINT64_MAX);
	ck_assert_int_eq(cert_verify(&c, ca.pk, NOW + 100 * 365 * DAY), VR_OK);
	/* Issued at time 0: not_before does not wrap below zero. */
	cert_issue(&c, ca.sk, "a", n.pk, 10, DAY);
	ck_assert_uint_eq(c.not_before, 0);
}
END_TEST

START_TEST(bad_names)
{
	static const char *bad[] = { "", "-a", "a-", "a_b", "a.b", "a b",
	    "1234567890123456789012345678901234567890123456789012345678901234" };
	struct key ca, n;
	struct mesh_cert c;

	key_new(&ca);
	key_new(&n);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(cert_issue(&c, ca.sk, bad[i], n.pk, NOW, DAY),
		    VR_NAME);
	ck_assert_int_eq(cert_issue(&c, ca.sk,
	    "123456789012345678901234567890123456789012345678901234567890123",
	    n.pk, NOW, DAY), VR_OK);
	/* An upper-case name in a certificate is not canonical. */
	cert_issue(&c, ca.sk, "abc", n.pk, NOW, DAY);
	c.name[0] = 'A';
	ck_assert_int_eq(cert_verify(&c, ca.pk, NOW), VR_NAME);
}
END_TEST

START_TEST(foreign_ca)
{
	struct key ca, other, n;
	struct mesh_cert c;

	key_new(&ca);
	key_new(&other);
	key_new(&n);
	cert_issue(&c, ca.sk, "a", n.pk, NOW, DAY);
	ck_assert_int_eq(cert_verify(&c, other.pk, NOW), VR_NETWORK);
	/* Relabelled as the other network: the signature gives it away. */
	cert_net_id(other.pk, c.net_id);
	ck_assert_int_eq(cert_verify(&c, other.pk, NOW), VR_SIG);
	ck_assert_int_eq(cert_verify(&c, ca.pk, NOW), VR_NETWORK);
}
END_TEST

START_TEST(tampered_fields)
{
	struct key ca, n, m;
	struct mesh_cert c, t;

	key_new(&ca);
	key_new(&n);
	key_new(&m);
	cert_issue(&c, ca.sk, "alpha", n.pk, NOW, DAY);
	t = c;
	snprintf(t.name, sizeof(t.name), "beta");
	ck_assert_int_eq(cert_verify(&t, ca.pk, NOW), VR_SIG);
	t = c;
	memcpy(t.node_pk, m.pk, 32);
	ck_assert_int_eq(cert_verify(&t, ca.pk, NOW), VR_SIG);
	t = c;
	t.not_after += 1;
	ck_assert_int_eq(cert_verify(&t, ca.pk, NOW), VR_SIG);
	t = c;
	t.serial ^= 1;
	ck_assert_int_eq(cert_verify(&t, ca.pk, NOW), VR_SIG);
	/* A node signing its own certificate is not the CA. */
	t = c;
	cert_issue(&t, n.sk, "alpha", n.pk, NOW, DAY);
	ck_assert_int_eq(cert_verify(&t, ca.pk, NOW), VR_NETWORK);
}
END_TEST

START_TEST(wire_roundtrip)
{
	struct key ca, n;
	struct mesh_cert c, d;
	struct mesh_cert_wire w, w2;
	uint8_t *b = (uint8_t *)&w;

	key_new(&ca);
	key_new(&n);
	cert_issue(&c, ca.sk, "node-1", n.pk, NOW, DAY);
	cert_encode(&c, &w);
	ck_assert_int_eq(cert_decode(&w, &d), VR_OK);
	ck_assert_int_eq(memcmp(&c, &d, sizeof(c)), 0);
	cert_encode(&d, &w2);
	ck_assert_mem_eq(&w, &w2, sizeof(w));
	/* Little-endian on the wire, whatever the host. */
	ck_assert_uint_eq(b[offsetof(struct mesh_cert_wire, not_after)],
	    (c.not_after & 0xff));
	ck_assert_uint_eq(b[offsetof(struct mesh_cert_wire, not_after) + 7],
	    (c.not_after >> 56));
	/* Non-canonical forms. */
	w2 = w;
	w2.kind = MESH_KIND_RECORD;
	ck_assert_int_eq(cert_decode(&w2, &d), VR_FORMAT);
	w2 = w;
	w2.version = 2;
	ck_assert_int_eq(cert_decode(&w2, &d), VR_VERSION);
	w2 = w;
	w2.reserved = 1;
	ck_assert_int_eq(cert_decode(&w2, &d), VR_FORMAT);
	w2 = w;
	w2.name[63] = 'x';
	ck_assert_int_eq(cert_decode(&w2, &d), VR_FORMAT);
	w2 = w;
	w2.name_len = 0;
	ck_assert_int_eq(cert_decode(&w2, &d), VR_FORMAT);
	w2 = w;
	w2.name_len = 64;
	ck_assert_int_eq(cert_decode(&w2, &d), VR_FORMAT);
	w2 = w;
	w2.name[0] = '_';
	ck_assert_int_eq(cert_decode(&w2, &d), VR_NAME);
}
END_TEST

/* Flip every bit of every byte: nothing but the original verifies. */
START_TEST(every_byte_flipped)
{
	struct key ca, n;
	struct mesh_cert c, d;
	struct mesh_cert_wire w, t;

	key_new(&ca);
	key_new(&n);
	cert_issue(&c, ca.sk, "flip", n.pk, NOW, DAY);
	cert_encode(&c, &w);
	for (size_t i = 0; i < sizeof(w); i++) {
		for (int bit = 0; bit < 8; bit++) {
			t = w;
			((uint8_t *)&t)[i] ^= (uint8_t)(1u << bit);
			if (cert_decode(&t, &d) != VR_OK)
				continue;
			ck_assert_msg(cert_verify(&d, ca.pk, NOW) != VR_OK,
			    "byte %zu bit %d flipped still verifies", i, bit);
		}
	}
}
END_TEST

START_TEST(revocations)
{
	struct key ca, other, n, m;
	struct mesh_cert c, c2, cm;
	struct mesh_revocation r, k, t, d;
	struct mesh_rev_wire w;
	struct revset rs = { 0 };

	key_new(&ca);
	key_new(&other);
	key_new(&n);
	key_new(&m);
	cert_issue(&c, ca.sk, "n", n.pk, NOW, DAY);
	cert_issue(&c2, ca.sk, "n", n.pk, NOW, DAY);	/* another serial */
	cert_issue(&cm, ca.sk, "m", m.pk, NOW, DAY);
	ck_assert_int_eq(rev_make(&r, ca.sk, ca.pk, MESH_REV_SERIAL, c.serial,
	    NULL, NOW, c.not_after), VR_OK);
	ck_assert_int_eq(rev_verify(&r, ca.pk), VR_OK);
	ck_assert_int_eq(rev_verify(&r, other.pk), VR_NETWORK);
	ck_assert_int_eq(rev_make(&t, ca.sk, ca.pk, MESH_REV_KEY, 0, NULL, NOW,
	    0), VR_FORMAT);

	/* Wire round trip and every flipped byte. */
	rev_encode(&r, &w);
	ck_assert_int_eq(rev_decode(&w, &d), VR_OK);
	{
		struct mesh_rev_wire w2;
		rev_encode(&d, &w2);
		ck_assert_mem_eq(&w, &w2, sizeof(w));
	}
	ck_assert_uint_eq(d.serial, r.serial);
	for (size_t i = 0; i < sizeof(w); i++) {
		struct mesh_rev_wire f = w;
		((uint8_t *)&f)[i] ^= 0x5a;
		if (rev_decode(&f, &d) == VR_OK)
			ck_assert_msg(rev_verify(&d, ca.pk) != VR_OK,
			    "byte %zu flipped still verifies", i);
	}
	/* Signed by a node, not the CA. */
	rev_make(&t, n.sk, ca.pk, MESH_REV_SERIAL, c.serial, NULL, NOW,
	    UINT64_MAX);
	ck_assert_int_eq(revset_add(&rs, &t, ca.pk), VR_SIG);

	ck_assert_int_eq(revset_add(&rs, &r, ca.pk), VR_OK);
	ck_assert_int_eq(revset_add(&rs, &r, ca.pk), VR_OK);	/* once */
	ck_assert_uint_eq(rs.n, 1);
	ck_assert(revset_check(&rs, &c));
	ck_assert(!revset_check(&rs, &c2));
	ck_assert(!revset_check(&rs, &cm));
	ck_assert(!revset_check(NULL, &c));

	rev_make(&k, ca.sk, ca.pk, MESH_REV_KEY, 0, m.pk, NOW, UINT64_MAX);
	ck_assert_int_eq(revset_add(&rs, &k, ca.pk), VR_OK);
	ck_assert(revset_check(&rs, &cm));
	ck_assert_uint_eq(revset_expire(&rs, c.not_after - 1), 0);
	ck_assert_uint_eq(revset_expire(&rs, c.not_after), 1);
	ck_assert(!revset_check(&rs, &c));
	ck_assert(revset_check(&rs, &cm));
	revset_free(&rs);
	revset_free(&rs);
}
END_TEST

START_TEST(net_id_and_text)
{
	struct key a, b;
	uint8_t ia[MESH_NETID_LEN], ia2[MESH_NETID_LEN], ib[MESH_NETID_LEN];

	key_new(&a);
	key_new(&b);
	cert_net_id(a.pk, ia);
	cert_net_id(a.pk, ia2);
	cert_net_id(b.pk, ib);
	ck_assert_mem_eq(ia, ia2, sizeof(ia));
	ck_assert(memcmp(ia, ib, sizeof(ia)) != 0);
	for (int v = 0; v <= VR_MAX; v++) {
		ck_assert_ptr_nonnull(vr_id((enum vr)v));
		ck_assert_ptr_nonnull(vr_str((enum vr)v));
	}
	ck_assert_str_eq(vr_id(VR_SIG), "bad_signature");
}
END_TEST

static Suite *
cert_suite(void)
{
	Suite *s = suite_create("cert");
	TCase *tc = tcase_create("cert");

	tcase_add_test(tc, issue_verify);
	tcase_add_test(tc, validity_edges);
	tcase_add_test(tc, bad_names);
	tcase_add_test(tc, foreign_ca);
	tcase_add_test(tc, tampered_fields);
	tcase_add_test(tc, wire_roundtrip);
	tcase_add_test(tc, every_byte_flipped);
	tcase_add_test(tc, revocations);
	tcase_add_test(tc, net_id_and_text);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(cert_suite());
}

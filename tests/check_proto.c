/*
 * common/nss_msg.c: building and checking the NSS wire messages.  Every
 * field of a good message is spoiled in turn and must be refused.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/nss_msg.h"

static const uint8_t v4[4] = { 10, 1, 2, 3 };
static const uint8_t v6[16] = { 0xfd, 0x6d, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	11, 12, 13, 14 };

static void
good_byname(struct mesh_req *r)
{
	ck_assert(mesh_req_byname(r, "nas.mesh", 8));
	ck_assert_int_eq(mesh_req_check(r, sizeof(*r)), MESH_ST_OK);
}

static void
good_byaddr(struct mesh_req *r, int family)
{
	ck_assert(mesh_req_byaddr(r, family, family == AF_INET ?
	    (const void *)v4 : (const void *)v6));
	ck_assert_int_eq(mesh_req_check(r, sizeof(*r)), MESH_ST_OK);
}

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != 0)
			return false;
	return true;
}

#define BAD(r) ck_assert_int_eq(mesh_req_check(&(r), sizeof(r)), MESH_ST_BADREQ)

START_TEST(req_byname_build)
{
	struct mesh_req r;
	char name[MESH_NAME_MAX + 1];

	memset(&r, 0xaa, sizeof(r));
	ck_assert(mesh_req_byname(&r, "Nas.Mesh.", 9));
	ck_assert_uint_eq(r.magic, MESH_PROTO_MAGIC);
	ck_assert_uint_eq(r.version, MESH_PROTO_VERSION);
	ck_assert_uint_eq(r.type, MESH_REQ_BYNAME);
	ck_assert_uint_eq(r.family, 0);
	ck_assert_uint_eq(r.reserved, 0);
	ck_assert_uint_eq(r.name_len, 9);
	ck_assert(memcmp(r.name, "Nas.Mesh.", 9) == 0);
	ck_assert(all_zero(r.name + 9, sizeof(r.name) - 9));
	ck_assert(all_zero(r.addr, sizeof(r.addr)));
	ck_assert_int_eq(mesh_req_check(&r, sizeof(r)), MESH_ST_OK);

	/* The longest name fits; one more byte does not, nor does none. */
	memset(name, 'a', sizeof(name));
	ck_assert(mesh_req_byname(&r, name, MESH_NAME_MAX));
	ck_assert_int_eq(mesh_req_check(&r, sizeof(r)), MESH_ST_OK);
	memset(&r, 0xaa, sizeof(r));
	ck_assert(!mesh_req_byname(&r, name, MESH_NAME_MAX + 1));
	ck_assert(all_zero(&r, sizeof(r)));
	ck_assert(!mesh_req_byname(&r, name, 0));
	ck_assert(!mesh_req_byname(&r, name, 65536 + 8));
}
END_TEST

START_TEST(req_byaddr_build)
{
	struct mesh_req r;

	memset(&r, 0xaa, sizeof(r));
	good_byaddr(&r, AF_INET);
	ck_assert_uint_eq(r.type, MESH_REQ_BYADDR);
	ck_assert_uint_eq(r.family, AF_INET);
	ck_assert_uint_eq(r.name_len, 0);
	ck_assert(memcmp(r.addr, v4, 4) == 0);
	ck_assert(all_zero(r.addr + 4, 12));
	ck_assert(all_zero(r.name, sizeof(r.name)));

	memset(&r, 0xaa, sizeof(r));
	good_byaddr(&r, AF_INET6);
	ck_assert_uint_eq(r.family, AF_INET6);
	ck_assert(memcmp(r.addr, v6, 16) == 0);

	memset(&r, 0xaa, sizeof(r));
	ck_assert(!mesh_req_byaddr(&r, AF_UNIX, v6));
	ck_assert(all_zero(&r, sizeof(r)));
	ck_assert(!mesh_req_byaddr(&r, AF_UNSPEC, v6));
	ck_assert(!mesh_req_byaddr(&r, -1, v6));
}
END_TEST

START_TEST(req_sizes)
{
	struct mesh_req r[2];

	good_byname(&r[0]);
	for (size_t got = 0; got <= sizeof(r); got++)
		if (got != sizeof(r[0]))
			ck_assert_int_eq(mesh_req_check(&r[0], got),
			    MESH_ST_BADREQ);
	ck_assert_int_eq(mesh_req_check(&r[0], (size_t)-1), MESH_ST_BADREQ);
}
END_TEST

START_TEST(req_header_fields)
{
	static const uint32_t magics[] = { 0, MESH_PROTO_MAGIC ^ 1,
		MESH_PROTO_MAGIC ^ 0x80000000u, 0x4d534831u, UINT32_MAX };
	static const uint16_t versions[] = { 0, MESH_PROTO_VERSION + 1,
		0x100, UINT16_MAX };
	struct mesh_req r;

	for (int kind = 0; kind < 3; kind++) {
		struct mesh_req g;
		if (kind == 0)
			good_byname(&g);
		else
			good_byaddr(&g, kind == 1 ? AF_INET : AF_INET6);
		for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
			r = g;
			r.magic = magics[i];
			BAD(r);
		}
		for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
			r = g;
			r.version = versions[i];
			BAD(r);
		}
		for (unsigned bit = 0; bit < 32; bit++) {
			r = g;
			r.reserved = 1u << bit;
			BAD(r);
		}
		for (unsigned t = 0; t < 16; t++) {
			if (t == MESH_REQ_BYNAME || t == MESH_REQ_BYADDR)
				continue;
			r = g;
			r.type = (uint16_t)t;
			BAD(r);
		}
		r = g;
		r.type = UINT16_MAX;
		BAD(r);
	}
}
END_TEST

START_TEST(req_byname_fields)
{
	struct mesh_req g, r;

	good_byname(&g);
	/* A name lookup names no family and no address. */
	for (unsigned f = 1; f < 64; f++) {
		r = g;
		r.family = (uint16_t)f;
		BAD(r);
	}
	for (size_t i = 0; i < sizeof(g.addr); i++) {
		r = g;
		r.addr[i] = 1;
		BAD(r);
	}
	/* name_len: zero, past the limit, past the array. */
	r = g;
	r.name_len = 0;
	BAD(r);
	for (unsigned l = MESH_NAME_MAX + 1; l < 300; l++) {
		r = g;
		memset(r.name, 'a', sizeof(r.name));
		r.name_len = (uint16_t)l;
		BAD(r);
	}
	r = g;
	r.name_len = UINT16_MAX;
	BAD(r);
	/* name_len shorter than the name: the rest is junk. */
	r = g;
	r.name_len = 3;
	BAD(r);
	/* name_len longer than the name: a NUL inside. */
	r = g;
	r.name_len = 9;
	BAD(r);
	/* A NUL anywhere inside the name. */
	for (size_t i = 0; i < 8; i++) {
		r = g;
		r.name[i] = '\0';
		BAD(r);
	}
	/* Junk anywhere after the name. */
	for (size_t i = 8; i < sizeof(g.name); i++) {
		r = g;
		r.name[i] = 'x';
		BAD(r);
	}
}
END_TEST

START_TEST(req_byaddr_fields)
{
	static const int families[] = { AF_INET, AF_INET6 };
	static const uint8_t zero[16];
	struct mesh_req g, r;

	for (size_t k = 0; k < 2; k++) {
		good_byaddr(&g, families[k]);
		for (unsigned f = 0; f < 64; f++) {
			if (f == AF_INET || f == AF_INET6)
				continue;
			r = g;
			r.family = (uint16_t)f;
			BAD(r);
		}
		r = g;
		r.family = UINT16_MAX;
		BAD(r);
		r = g;
		r.name_len = 1;
		BAD(r);
		r = g;
		r.name_len = UINT16_MAX;
		BAD(r);
		for (size_t i = 0; i < sizeof(g.name); i++) {
			r = g;
			r.name[i] = 'x';
			BAD(r);
		}
	}
	/* An IPv4 address uses 4 bytes; the other 12 must stay zero. */
	good_byaddr(&g, AF_INET);
	for (size_t i = 4; i < sizeof(g.addr); i++) {
		r = g;
		r.addr[i] = 0x80;
		BAD(r);
	}
	/* Every IPv6 address is a good request, even ::. */
	ck_assert(mesh_req_byaddr(&g, AF_INET6, zero));
	ck_assert_int_eq(mesh_req_check(&g, sizeof(g)), MESH_ST_OK);
}
END_TEST

START_TEST(req_names_any_bytes)
{
	struct mesh_req r;
	char name[3] = { 'a', 0, 'b' };

	/* The check is about framing, not name policy: any non-NUL byte
	 * passes, and the resolver decides what the name means. */
	for (int c = 1; c < 256; c++) {
		name[1] = (char)c;
		ck_assert(mesh_req_byname(&r, name, 3));
		ck_assert_int_eq(mesh_req_check(&r, sizeof(r)), MESH_ST_OK);
	}
	/* mesh_req_byname copies a NUL blindly; the check catches it. */
	name[1] = '\0';
	ck_assert(mesh_req_byname(&r, name, 3));
	BAD(r);
}
END_TEST

static void
good_resp(struct mesh_resp *r)
{
	mesh_resp_init(r, MESH_ST_OK);
	r->ttl = 60;
	r->name_len = 8;
	memcpy(r->name, "nas.mesh", 8);
	r->n4 = 1;
	memcpy(r->addr4[0], v4, 4);
	r->n6 = 1;
	memcpy(r->addr6[0], v6, 16);
	ck_assert(mesh_resp_check(r, sizeof(*r)));
}

START_TEST(resp_init)
{
	struct mesh_resp r;
	static const enum mesh_status st[] = { MESH_ST_OK, MESH_ST_NOTFOUND,
		MESH_ST_NOTMINE, MESH_ST_BADREQ, MESH_ST_NOTREADY };

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		memset(&r, 0xaa, sizeof(r));
		mesh_resp_init(&r, st[i]);
		ck_assert_uint_eq(r.magic, MESH_PROTO_MAGIC);
		ck_assert_uint_eq(r.version, MESH_PROTO_VERSION);
		ck_assert_uint_eq(r.status, st[i]);
		ck_assert(all_zero(&r.ttl, sizeof(r) -
		    offsetof(struct mesh_resp, ttl)));
		/* An OK answer without a name is not an answer. */
		ck_assert(mesh_resp_check(&r, sizeof(r)) == (st[i] != MESH_ST_OK));
	}
}
END_TEST

START_TEST(resp_good)
{
	struct mesh_resp r;

	good_resp(&r);
	r.n4 = MESH_ADDR4_MAX;
	r.n6 = MESH_ADDR6_MAX;
	ck_assert(mesh_resp_check(&r, sizeof(r)));
	r.n4 = r.n6 = 0;	/* a name without addresses: NO_DATA later */
	ck_assert(mesh_resp_check(&r, sizeof(r)));
	memset(r.name, 'a', MESH_NAME_MAX);
	r.name_len = MESH_NAME_MAX;
	ck_assert(mesh_resp_check(&r, sizeof(r)));
}
END_TEST

START_TEST(resp_sizes)
{
	struct mesh_resp r[2];

	good_resp(&r[0]);
	for (size_t got = 0; got <= sizeof(r); got++)
		if (got != sizeof(r[0]))
			ck_assert(!mesh_resp_check(&r[0], got));
}
END_TEST

START_TEST(resp_fields)
{
	struct mesh_resp g, r;

	good_resp(&g);
	r = g;
	r.magic = 0;
	ck_assert(!mesh_resp_check(&r, sizeof(r)));
	r = g;
	r.magic = MESH_PROTO_MAGIC ^ 0x100;
	ck_assert(!mesh_resp_check(&r, sizeof(r)));
	r = g;
	r.version = MESH_PROTO_VERSION + 1;
	ck_assert(!mesh_resp_check(&r, sizeof(r)));
	r = g;
	r.version = 0;
	ck_assert(!mesh_resp_check(&r, sizeof(r)));
	for (unsigned s = MESH_ST_NOTREADY + 1; s < 64; s++) {
		r = g;
		r.status = (uint16_t)s;
		ck_assert(!mesh_resp_check(&r, sizeof(r)));
	}
	r = g;
	r.status = UINT16_MAX;
	ck_assert(!mesh_resp_check(&r, sizeof(r)));
	for (unsigned bit = 0; bit < 16; bit++) {
		r = g;
		r.reserved = (uint16_t)(1u << bit);
		ck_assert_msg(!mesh_resp_check(&r, sizeof(r)), "bit %u", bit);
	}
	/* name_len: zero, past the limit, a NUL inside, junk after. */
	r = g;
	r.name_len = 0;
	ck_assert(!mesh_resp_check(&r, sizeof(r)));
	r = g;
	memset(r.name, 'a', sizeof(r.name));
	r.name_len = MESH_NAME_MAX + 1;
	ck_assert(!mesh_resp_check(&r, sizeof(r)));
	r.name_len = UINT16_MAX;
	ck_assert(!mesh_resp_check(&r, sizeof(r)));
	for (size_t i = 0; i < 8; i++) {
		r = g;
		r.name[i] = '\0';
		ck_assert(!mesh_resp_check(&r, sizeof(r)));
	}
	for (size_t i = 8; i < sizeof(g.name); i++) {
		r = g;
		r.name[i] = 'x';
		ck_assert_msg(!mesh_resp_check(&r, sizeof(r)), "junk at %zu", i);
	}
	/* Address counts past the arrays. */
	r = g;
	r.n4 = MESH_ADDR4_MAX + 1;
	ck_assert(!mesh_resp_check(&r, sizeof(r)));
	r = g;
	r.n6 = MESH_ADDR6_MAX + 1;
	ck_assert(!mesh_resp_check(&r, sizeof(r)));
	r = g;
	r.n4 = r.n6 = UINT16_MAX;
	ck_assert(!mesh_resp_check(&r, sizeof(r)));
}
END_TEST

START_TEST(resp_error_statuses)
{
	struct mesh_resp r;

	/* Error answers carry nothing but their status. */
	for (unsigned s = MESH_ST_NOTFOUND; s <= MESH_ST_NOTREADY; s++) {
		mesh_resp_init(&r, (enum mesh_status)s);
		ck_assert(mesh_resp_check(&r, sizeof(r)));
		r.reserved = 1;
		ck_assert(!mesh_resp_check(&r, sizeof(r)));
		mesh_resp_init(&r, (enum mesh_status)s);
		r.magic = 0;
		ck_assert(!mesh_resp_check(&r, sizeof(r)));
		ck_assert(!mesh_resp_check(&r, sizeof(r) - 1));
	}
}
END_TEST

START_TEST(addr6_prefix)
{
	uint8_t a[16] = { 0xfd, 0x6d };

	ck_assert(mesh_addr6_maybe_mesh(a));
	a[15] = 0xff;
	ck_assert(mesh_addr6_maybe_mesh(a));
	a[1] = 0x6c;
	ck_assert(!mesh_addr6_maybe_mesh(a));
	a[0] = 0xfc;
	a[1] = 0x6d;
	ck_assert(!mesh_addr6_maybe_mesh(a));
	memset(a, 0, sizeof(a));
	ck_assert(!mesh_addr6_maybe_mesh(a));
}
END_TEST

static Suite *
proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("request");
	tcase_add_test(tc, req_byname_build);
	tcase_add_test(tc, req_byaddr_build);
	tcase_add_test(tc, req_sizes);
	tcase_add_test(tc, req_header_fields);
	tcase_add_test(tc, req_byname_fields);
	tcase_add_test(tc, req_byaddr_fields);
	tcase_add_test(tc, req_names_any_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("answer");
	tcase_add_test(tc, resp_init);
	tcase_add_test(tc, resp_good);
	tcase_add_test(tc, resp_sizes);
	tcase_add_test(tc, resp_fields);
	tcase_add_test(tc, resp_error_statuses);
	tcase_add_test(tc, addr6_prefix);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

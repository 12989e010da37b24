/*
 * nss/fill.c: laying answers into glibc's buffers.  The core is nss-mdns's
 * "smallest buffer eventually works" loop: grow buflen from 0 with the
 * buffer and the bytes around it poisoned; every failure must be exactly
 * -ERANGE having written nothing, and success must come, right, without a
 * byte written outside [buf, buf + buflen).  Each case runs at every start
 * offset 0..15, so odd buffer addresses are covered too.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nss/nss-mesh.h"

#define POISON	0xa7
#define GUARD	64		/* poisoned bytes on each side of the buffer */
#define MAXBUF	8192		/* success must come before this */
#define OFFSETS	16

struct arena {
	unsigned char *mem;
	char *buf;
	size_t buflen;
	size_t total;
};

static void
arena_set(struct arena *a, size_t off, size_t buflen)
{
	a->total = GUARD + off + buflen + GUARD;
	a->mem = realloc(a->mem, a->total);
	ck_assert_ptr_nonnull(a->mem);
	memset(a->mem, POISON, a->total);
	a->buf = (char *)a->mem + GUARD + off;
	a->buflen = buflen;
}

/* Index of the first byte of p[0..n) that is not poison, or n. */
static size_t
first_written(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n && c[i] == POISON; i++)
		;
	return i;
}

static bool
poisoned(const void *p, size_t n)
{
	return first_written(p, n) == n;
}

/* Every byte outside [buf, buf + buflen) still poisoned; with whole, the
 * buffer itself too.  (One assertion per region: each passing Check
 * assertion costs a write to the parent.) */
static void
arena_untouched(const struct arena *a, bool whole)
{
	size_t before = (size_t)(a->buf - (char *)a->mem);
	size_t after = a->total - before - a->buflen;
	size_t i;

	i = first_written(a->mem, before);
	ck_assert_msg(i == before, "written %zu bytes before buf", before - i);
	i = first_written(a->buf + a->buflen, after);
	ck_assert_msg(i == after, "byte %zu past buflen %zu written", i,
	    a->buflen);
	if (whole) {
		i = first_written(a->buf, a->buflen);
		ck_assert_msg(i == a->buflen,
		    "short buffer (%zu) written at %zu", a->buflen, i);
	}
}

static void
inside(const struct arena *a, const void *p, size_t len)
{
	uintptr_t x = (uintptr_t)p, lo = (uintptr_t)a->buf;

	ck_assert_msg(x >= lo && x + len <= lo + a->buflen,
	    "pointer %p (+%zu) outside the buffer", p, len);
}

/* ---- hostent ----------------------------------------------------------- */

struct hcase {
	const char *name;
	int af;
	size_t naddr;
	uint8_t addrs[MESH_ADDR6_MAX][16];	/* packed: naddr * alen bytes */
};

static void
hostent_verify(const struct arena *a, const struct hcase *c,
    const struct hostent *h)
{
	size_t alen = c->af == AF_INET ? 4 : 16;

	inside(a, h->h_name, strlen(c->name) + 1);
	ck_assert_str_eq(h->h_name, c->name);
	ck_assert_int_eq(h->h_addrtype, c->af);
	ck_assert_int_eq(h->h_length, (int)alen);
	inside(a, h->h_aliases, sizeof(char *));
	ck_assert_uint_eq((uintptr_t)h->h_aliases % alignof(char *), 0);
	ck_assert_ptr_null(h->h_aliases[0]);
	inside(a, h->h_addr_list, (c->naddr + 1) * sizeof(char *));
	ck_assert_uint_eq((uintptr_t)h->h_addr_list % alignof(char *), 0);
	for (size_t i = 0; i < c->naddr; i++) {
		inside(a, h->h_addr_list[i], alen);
		/* Callers read these as struct in_addr / in6_addr. */
		ck_assert_uint_eq((uintptr_t)h->h_addr_list[i] %
		    alignof(struct in6_addr), 0);
		ck_assert(memcmp(h->h_addr_list[i],
		    (const uint8_t *)c->addrs + i * alen, alen) == 0);
	}
	ck_assert_ptr_null(h->h_addr_list[c->naddr]);
}

/* Bytes the answer needs at the least, alignment aside. */
static size_t
hostent_need(const struct hcase *c)
{
	size_t alen = c->af == AF_INET ? 4 : 16;

	return sizeof(char *) + (c->naddr + 1) * sizeof(char *) +
	    c->naddr * alen + strlen(c->name) + 1;
}

static void
hostent_loop(const struct hcase *c)
{
	struct arena a = { 0 };
	struct hostent h;

	for (size_t off = 0; off < OFFSETS; off++) {
		size_t buflen;
		int rc = -ERANGE;

		for (buflen = 0; buflen <= MAXBUF; buflen++) {
			arena_set(&a, off, buflen);
			memset(&h, POISON, sizeof(h));
			rc = mesh_fill_hostent(c->name, strlen(c->name), c->af,
			    c->addrs, c->naddr, &h, a.buf, a.buflen);
			if (rc != -ERANGE)
				break;
			arena_untouched(&a, true);
			ck_assert(poisoned(&h, sizeof(h)));
		}
		ck_assert_msg(rc == 0, "rc %d at offset %zu", rc, off);
		arena_untouched(&a, false);
		hostent_verify(&a, c, &h);
		/* No more than alignment padding beyond what is needed. */
		ck_assert_uint_le(buflen, hostent_need(c) + 2 * alignof(char *));
		/* And every bigger buffer works as well. */
		for (size_t more = buflen + 1; more < buflen + 64; more++) {
			arena_set(&a, off, more);
			ck_assert_int_eq(mesh_fill_hostent(c->name,
			    strlen(c->name), c->af, c->addrs, c->naddr, &h,
			    a.buf, a.buflen), 0);
			arena_untouched(&a, false);
			hostent_verify(&a, c, &h);
		}
	}
	free(a.mem);
}

static void
hcase_init(struct hcase *c, const char *name, int af, size_t naddr)
{
	size_t alen = af == AF_INET ? 4 : 16;
	uint8_t *p = (uint8_t *)c->addrs;

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->af = af;
	c->naddr = naddr;
	for (size_t i = 0; i < naddr; i++) {
		if (af == AF_INET) {
			p[i * alen] = 10;
			p[i * alen + 3] = (uint8_t)(i + 1);
		} else {
			p[i * alen] = 0xfd;
			p[i * alen + 1] = 0x6d;
			p[i * alen + 15] = (uint8_t)(i + 1);
		}
	}
}

START_TEST(hostent_v4_one)
{
	struct hcase c;

	hcase_init(&c, "nas.mesh", AF_INET, 1);
	hostent_loop(&c);
}
END_TEST

START_TEST(hostent_v4_several)
{
	struct hcase c;

	hcase_init(&c, "nas.mesh", AF_INET, 3);
	hostent_loop(&c);
}
END_TEST

START_TEST(hostent_v6)
{
	struct hcase c;

	hcase_init(&c, "web-01.mesh", AF_INET6, 2);
	hostent_loop(&c);
}
END_TEST

START_TEST(hostent_max)
{
	static char longname[MESH_NAME_MAX + 1];
	struct hcase c;

	memset(longname, 'a', MESH_NAME_MAX - 5);
	memcpy(longname + MESH_NAME_MAX - 5, ".mesh", 6);
	hcase_init(&c, longname, AF_INET, MESH_ADDR4_MAX);
	hostent_loop(&c);
	hcase_init(&c, longname, AF_INET6, MESH_ADDR6_MAX);
	hostent_loop(&c);
}
END_TEST

START_TEST(hostent_nodata)
{
	struct arena a = { 0 };
	struct hostent h;

	/* No address of the family: -ENODATA whatever the buffer, so glibc
	 * does not keep doubling it, and nothing written. */
	for (size_t buflen = 0; buflen < 1024; buflen += 97) {
		arena_set(&a, 1, buflen);
		memset(&h, POISON, sizeof(h));
		ck_assert_int_eq(mesh_fill_hostent("nas.mesh", 8, AF_INET6,
		    NULL, 0, &h, a.buf, a.buflen), -ENODATA);
		arena_untouched(&a, true);
		ck_assert(poisoned(&h, sizeof(h)));
	}
	free(a.mem);
}
END_TEST

/* ---- gaih_addrtuple ------------------------------------------------------ */

static void
resp_init(struct mesh_resp *r, const char *name, size_t n6, size_t n4)
{
	memset(r, 0, sizeof(*r));
	r->magic = MESH_PROTO_MAGIC;
	r->version = MESH_PROTO_VERSION;
	r->status = MESH_ST_OK;
	r->name_len = (uint16_t)strlen(name);
	memcpy(r->name, name, r->name_len);
	r->n6 = (uint16_t)n6;
	r->n4 = (uint16_t)n4;
	for (size_t i = 0; i < n6; i++) {
		r->addr6[i][0] = 0xfd;
		r->addr6[i][1] = 0x6d;
		r->addr6[i][2] = 0xee;
		r->addr6[i][15] = (uint8_t)(i + 1);
	}
	for (size_t i = 0; i < n4; i++) {
		r->addr4[i][0] = 192;
		r->addr4[i][1] = 168;
		r->addr4[i][3] = (uint8_t)(i + 1);
	}
}

/* The chain from first on: n6 IPv6 tuples, then n4 IPv4 ones. */
static void
gaih_verify(const struct arena *a, const struct mesh_resp *r,
    const struct gaih_addrtuple *first, bool first_in_buf)
{
	const struct gaih_addrtuple *t = first;
	size_t n = (size_t)r->n6 + r->n4, i;

	for (i = 0; i < n && t != NULL; i++, t = t->next) {
		if (i > 0 || first_in_buf) {
			inside(a, t, sizeof(*t));
			ck_assert_uint_eq((uintptr_t)t %
			    alignof(struct gaih_addrtuple), 0);
		}
		inside(a, t->name, (size_t)r->name_len + 1);
		ck_assert(memcmp(t->name, r->name, r->name_len) == 0);
		ck_assert_int_eq(t->name[r->name_len], '\0');
		ck_assert_uint_eq(t->scopeid, 0);
		if (i < r->n6) {
			ck_assert_int_eq(t->family, AF_INET6);
			ck_assert(memcmp(t->addr, r->addr6[i], 16) == 0);
		} else {
			uint8_t want[16] = { 0 };
			memcpy(want, r->addr4[i - r->n6], 4);
			ck_assert_int_eq(t->family, AF_INET);
			ck_assert(memcmp(t->addr, want, 16) == 0);
		}
	}
	ck_assert_uint_eq(i, n);
	ck_assert_ptr_null(t);
}

/* nscd presets *pat to a tuple of its own (nscd/aicache.c): with nscd set,
 * the loop runs that way. */
static void
gaih_loop(const struct mesh_resp *r, bool nscd)
{
	struct arena a = { 0 };
	struct gaih_addrtuple mine, *pat;
	size_t need = ((size_t)r->n6 + r->n4) * sizeof(struct gaih_addrtuple) +
	    r->name_len + 1;

	for (size_t off = 0; off < OFFSETS; off++) {
		size_t buflen;
		int rc = -ERANGE;

		for (buflen = 0; buflen <= MAXBUF; buflen++) {
			arena_set(&a, off, buflen);
			memset(&mine, POISON, sizeof(mine));
			pat = nscd ? &mine : NULL;
			rc = mesh_fill_gaih(r, &pat, a.buf, a.buflen);
			if (rc != -ERANGE)
				break;
			arena_untouched(&a, true);
			ck_assert(poisoned(&mine, sizeof(mine)));
			ck_assert_ptr_eq(pat, nscd ? &mine : NULL);
		}
		ck_assert_msg(rc == 0, "rc %d at offset %zu", rc, off);
		arena_untouched(&a, false);
		ck_assert_uint_le(buflen, need + alignof(struct gaih_addrtuple));
		if (nscd) {
			/* Filled in place, the rest of the chain in buf. */
			ck_assert_ptr_eq(pat, &mine);
			gaih_verify(&a, r, &mine, false);
		} else {
			ck_assert_ptr_nonnull(pat);
			gaih_verify(&a, r, pat, true);
		}
		for (size_t more = buflen + 1; more < buflen + 64; more++) {
			arena_set(&a, off, more);
			pat = nscd ? &mine : NULL;
			ck_assert_int_eq(mesh_fill_gaih(r, &pat, a.buf, a.buflen), 0);
			arena_untouched(&a, false);
			gaih_verify(&a, r, pat, !nscd);
		}
	}
	free(a.mem);
}

START_TEST(gaih_both)
{
	struct mesh_resp r;

	resp_init(&r, "nas.mesh", 1, 2);
	gaih_loop(&r, _i != 0);
}
END_TEST

START_TEST(gaih_one)
{
	struct mesh_resp r;

	resp_init(&r, "a.mesh", 0, 1);
	gaih_loop(&r, _i != 0);
	resp_init(&r, "a.mesh", 1, 0);
	gaih_loop(&r, _i != 0);
}
END_TEST

START_TEST(gaih_max)
{
	struct mesh_resp r;
	char name[MESH_NAME_MAX + 1];

	memset(name, 'z', MESH_NAME_MAX - 5);
	memcpy(name + MESH_NAME_MAX - 5, ".mesh", 6);
	resp_init(&r, name, MESH_ADDR6_MAX, MESH_ADDR4_MAX);
	gaih_loop(&r, _i != 0);
}
END_TEST

START_TEST(gaih_nodata)
{
	struct arena a = { 0 };
	struct gaih_addrtuple mine, *pat;
	struct mesh_resp r;

	resp_init(&r, "nas.mesh", 0, 0);
	for (size_t buflen = 0; buflen < 1024; buflen += 97) {
		arena_set(&a, 3, buflen);
		pat = NULL;
		ck_assert_int_eq(mesh_fill_gaih(&r, &pat, a.buf, a.buflen),
		    -ENODATA);
		ck_assert_ptr_null(pat);
		arena_untouched(&a, true);
		memset(&mine, POISON, sizeof(mine));
		pat = &mine;
		ck_assert_int_eq(mesh_fill_gaih(&r, &pat, a.buf, a.buflen),
		    -ENODATA);
		ck_assert_ptr_eq(pat, &mine);
		ck_assert(poisoned(&mine, sizeof(mine)));
		arena_untouched(&a, true);
	}
	free(a.mem);
}
END_TEST

static Suite *
fill_suite(void)
{
	Suite *s = suite_create("fill");
	TCase *tc;

	tc = tcase_create("hostent");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, hostent_v4_one);
	tcase_add_test(tc, hostent_v4_several);
	tcase_add_test(tc, hostent_v6);
	tcase_add_test(tc, hostent_max);
	tcase_add_test(tc, hostent_nodata);
	suite_add_tcase(s, tc);

	/* Each gaih test runs twice: _i == 1 is the nscd case. */
	tc = tcase_create("gaih");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, gaih_both, 0, 2);
	tcase_add_loop_test(tc, gaih_one, 0, 2);
	tcase_add_loop_test(tc, gaih_max, 0, 2);
	tcase_add_test(tc, gaih_nodata);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fill_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

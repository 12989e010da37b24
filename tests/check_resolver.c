/*
 * agent/store.c + agent/resolver.c: the answers meshd gives.  Lookups by
 * name and address, which source wins a name, what is ours and what is
 * not, malformed requests, allocation failure, and a big store.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/resolver.h"
#include "agent/store.h"
#include "common/nss_msg.h"

/* Linked with -Wl,--wrap=malloc: fail_in = n makes the (n+1)th malloc
 * from now fail; -1 never. */
void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);
static long fail_in = -1;
static unsigned long mallocs;

void *
__wrap_malloc(size_t size)
{
	mallocs++;
	if (fail_in == 0) {
		fail_in = -1;
		return NULL;
	}
	if (fail_in > 0)
		fail_in--;
	return __real_malloc(size);
}

/* This network's /48: fd6d:1:2::/48. */
static const uint8_t prefix[6] = { 0xfd, 0x6d, 0x00, 0x01, 0x00, 0x02 };
static struct store *st;

/* A record from "name" and a space-separated address list. */
static struct store_rec
rec(const char *name, const char *addrs, uint32_t ttl)
{
	struct store_rec r;
	char buf[1024], *tok, *save = NULL;

	memset(&r, 0, sizeof(r));
	r.name_len = (uint16_t)strlen(name);
	memcpy(r.name, name, r.name_len);
	r.ttl = ttl;
	snprintf(buf, sizeof(buf), "%s", addrs);
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (inet_pton(AF_INET, tok, r.addr4[r.n4]) == 1)
			r.n4++;
		else if (inet_pton(AF_INET6, tok, r.addr6[r.n6]) == 1)
			r.n6++;
		else
			ck_abort_msg("bad test address %s", tok);
	}
	return r;
}

static void
load_self(void)
{
	struct store_rec r = rec("me.mesh", "fd6d:1:2::1", 10);

	ck_assert_int_eq(store_replace(st, SRC_SELF, &r, 1, NULL), 0);
}

static void
load_peers(void)
{
	struct store_rec r[] = {
		rec("web.mesh", "fd6d:1:2::80", 20),
		rec("peer1.mesh", "fd6d:1:2::81 10.1.1.1", 20),
	};

	ck_assert_int_eq(store_replace(st, SRC_PEER, r, 2, NULL), 0);
}

static size_t
load_static(void)
{
	struct store_rec r[] = {
		rec("nas.mesh", "192.168.1.10 192.168.1.11 fd00::10", 30),
		rec("printer.mesh", "10.0.0.7", 30),
		rec("me.mesh", "10.9.9.9", 30),		/* SELF's name */
		rec("web.mesh", "10.0.0.8", 30),	/* a PEER's name */
		rec("twin-a.mesh", "10.7.7.7", 30),
		rec("twin-b.mesh", "10.7.7.7", 30),
	};
	size_t shadowed = 0;

	ck_assert_int_eq(store_replace(st, SRC_STATIC, r, 6, &shadowed), 0);
	return shadowed;
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(st = store_new());
	load_self();
	load_peers();
	ck_assert_uint_eq(load_static(), 2);
}

static void
teardown(void)
{
	store_free(st);
	st = NULL;
}

static enum mesh_status
ask_name_at(const uint8_t *pfx, const char *name, struct mesh_resp *r)
{
	struct mesh_req q;

	ck_assert(mesh_req_byname(&q, name, strlen(name)));
	memset(r, 0xaa, sizeof(*r));
	resolve(st, pfx, &q, sizeof(q), r);
	ck_assert(mesh_resp_check(r, sizeof(*r)));
	return (enum mesh_status)r->status;
}

static enum mesh_status
ask_name(const char *name, struct mesh_resp *r)
{
	return ask_name_at(prefix, name, r);
}

static enum mesh_status
ask_addr_at(const uint8_t *pfx, const char *text, struct mesh_resp *r)
{
	struct mesh_req q;
	uint8_t a[16];
	int af = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;

	ck_assert_int_eq(inet_pton(af, text, a), 1);
	ck_assert(mesh_req_byaddr(&q, af, a));
	memset(r, 0xaa, sizeof(*r));
	resolve(st, pfx, &q, sizeof(q), r);
	ck_assert(mesh_resp_check(r, sizeof(*r)));
	return (enum mesh_status)r->status;
}

static enum mesh_status
ask_addr(const char *text, struct mesh_resp *r)
{
	return ask_addr_at(prefix, text, r);
}

/* An OK answer for name. */
static void
is_answer(const struct mesh_resp *r, const char *name)
{
	ck_assert_uint_eq(r->status, MESH_ST_OK);
	ck_assert_uint_eq(r->name_len, strlen(name));
	ck_assert(memcmp(r->name, name, r->name_len) == 0);
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

/* ---- by name ---------------------------------------------------------------- */

START_TEST(name_found)
{
	struct mesh_resp r;
	char a[INET6_ADDRSTRLEN];

	ck_assert_int_eq(ask_name("nas.mesh", &r), MESH_ST_OK);
	is_answer(&r, "nas.mesh");
	ck_assert_uint_eq(r.ttl, 30);
	ck_assert_uint_eq(r.n4, 2);
	ck_assert_uint_eq(r.n6, 1);
	ck_assert_str_eq(inet_ntop(AF_INET, r.addr4[0], a, sizeof(a)),
	    "192.168.1.10");
	ck_assert_str_eq(inet_ntop(AF_INET, r.addr4[1], a, sizeof(a)),
	    "192.168.1.11");
	ck_assert_str_eq(inet_ntop(AF_INET6, r.addr6[0], a, sizeof(a)),
	    "fd00::10");
	/* Unused slots stay zero: nothing of other records leaks. */
	ck_assert(all_zero(r.addr4[2], sizeof(r.addr4) - 2 * 4));
	ck_assert(all_zero(r.addr6[1], sizeof(r.addr6) - 16));
}
END_TEST

START_TEST(name_case_and_dot)
{
	static const char *spellings[] = {
		"NAS.MESH", "Nas.Mesh", "nas.mesh.", "nAS.mESH.",
	};
	struct mesh_resp r;

	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		ck_assert_int_eq(ask_name(spellings[i], &r), MESH_ST_OK);
		/* The answer carries the canonical name. */
		is_answer(&r, "nas.mesh");
		ck_assert_uint_eq(r.n4, 2);
	}
}
END_TEST

START_TEST(name_notmine)
{
	static const char *names[] = {
		"example.com", "mesh", ".mesh", "nas.mesh.com", "nas", "localhost",
		"nas.mesh..", "nas.meshx", "x",
	};
	struct mesh_resp r;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(ask_name(names[i], &r) == MESH_ST_NOTMINE, "%s",
		    names[i]);
}
END_TEST

START_TEST(name_notfound)
{
	static const char *names[] = {
		"nobody.mesh", "NOBODY.MESH.", "a.b.mesh", "-x.mesh", "x_y.mesh",
		"nas.mesh.mesh", "na.mesh", "nass.mesh", "..mesh",
	};
	struct mesh_resp r;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_msg(ask_name(names[i], &r) == MESH_ST_NOTFOUND, "%s",
		    names[i]);
		ck_assert_uint_eq(r.n4 + r.n6 + r.name_len, 0);
	}
}
END_TEST

START_TEST(name_max_addresses)
{
	struct store_rec big;
	struct mesh_resp r;

	memset(&big, 0, sizeof(big));
	big = rec("big.mesh", "", 5);
	for (int i = 0; i < MESH_ADDR4_MAX; i++) {
		big.addr4[i][0] = 10;
		big.addr4[i][3] = (uint8_t)i;
	}
	for (int i = 0; i < MESH_ADDR6_MAX; i++) {
		memcpy(big.addr6[i], prefix, 6);
		big.addr6[i][15] = (uint8_t)(0x40 + i);
	}
	big.n4 = MESH_ADDR4_MAX;
	big.n6 = MESH_ADDR6_MAX;
	ck_assert_int_eq(store_replace(st, SRC_PEER, &big, 1, NULL), 0);
	ck_assert_int_eq(ask_name("big.mesh", &r), MESH_ST_OK);
	ck_assert_uint_eq(r.n4, MESH_ADDR4_MAX);
	ck_assert_uint_eq(r.n6, MESH_ADDR6_MAX);
	ck_assert(memcmp(r.addr4, big.addr4, sizeof(r.addr4)) == 0);
	ck_assert(memcmp(r.addr6, big.addr6, sizeof(r.addr6)) == 0);
	ck_assert_int_eq(ask_addr("fd6d:1:2::4f", &r), MESH_ST_OK);
	is_answer(&r, "big.mesh");
}
END_TEST

/* ---- by address --------------------------------------------------------------- */

START_TEST(addr_found)
{
	struct mesh_resp r;

	ck_assert_int_eq(ask_addr("192.168.1.11", &r), MESH_ST_OK);
	is_answer(&r, "nas.mesh");
	ck_assert_uint_eq(r.n4, 2);	/* the whole record comes back */
	ck_assert_uint_eq(r.n6, 1);
	/* A record's address need not be in the mesh prefix. */
	ck_assert_int_eq(ask_addr("fd00::10", &r), MESH_ST_OK);
	is_answer(&r, "nas.mesh");
	ck_assert_int_eq(ask_addr("fd6d:1:2::1", &r), MESH_ST_OK);
	is_answer(&r, "me.mesh");
	ck_assert_uint_eq(r.ttl, 10);
	ck_assert_int_eq(ask_addr("10.1.1.1", &r), MESH_ST_OK);
	is_answer(&r, "peer1.mesh");
}
END_TEST

START_TEST(addr_notmine)
{
	static const char *addrs[] = {
		"8.8.8.8", "10.0.0.99", "127.0.0.1", "2001:db8::1",
		"fd6d:ffff::1",		/* another mesh's /48 */
		"fd6d:1:3::1",		/* next door */
		"fd6d:1::1",
		"fd00::11", "::", "::ffff:10.0.0.7", "fe80::1",
	};
	struct mesh_resp r;

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		ck_assert_msg(ask_addr(addrs[i], &r) == MESH_ST_NOTMINE, "%s",
		    addrs[i]);
}
END_TEST

START_TEST(addr_notfound_in_prefix)
{
	static const char *addrs[] = {
		"fd6d:1:2::dead", "fd6d:1:2::", "fd6d:1:2:ffff:ffff:ffff:ffff:ffff",
		"fd6d:1:2::2",
	};
	struct mesh_resp r;

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		ck_assert_msg(ask_addr(addrs[i], &r) == MESH_ST_NOTFOUND, "%s",
		    addrs[i]);
}
END_TEST

START_TEST(addr_no_identity)
{
	struct mesh_resp r;

	/* Without an identity the node has no /48: nothing is NOTFOUND by
	 * address, but records still answer. */
	ck_assert_int_eq(ask_addr_at(NULL, "fd6d:1:2::dead", &r),
	    MESH_ST_NOTMINE);
	ck_assert_int_eq(ask_addr_at(NULL, "10.0.0.7", &r), MESH_ST_OK);
	is_answer(&r, "printer.mesh");
	ck_assert_int_eq(ask_name_at(NULL, "printer.mesh", &r), MESH_ST_OK);
	ck_assert_int_eq(ask_name_at(NULL, "nobody.mesh", &r),
	    MESH_ST_NOTFOUND);
}
END_TEST

START_TEST(addr_shared)
{
	struct mesh_resp r;

	/* Two names claim one address: the first in name order answers. */
	ck_assert_int_eq(ask_addr("10.7.7.7", &r), MESH_ST_OK);
	is_answer(&r, "twin-a.mesh");
	ck_assert_int_eq(ask_name("twin-b.mesh", &r), MESH_ST_OK);
}
END_TEST

START_TEST(addr_v4_not_v6)
{
	struct mesh_req q;
	struct mesh_resp r;
	uint8_t a[16] = { 0 };

	/* 10.0.0.7's bytes asked as IPv6 are another address entirely. */
	a[0] = 10;
	a[3] = 7;
	ck_assert(mesh_req_byaddr(&q, AF_INET6, a));
	resolve(st, prefix, &q, sizeof(q), &r);
	ck_assert_uint_eq(r.status, MESH_ST_NOTMINE);
	ck_assert(mesh_req_byaddr(&q, AF_INET, a));
	resolve(st, prefix, &q, sizeof(q), &r);
	is_answer(&r, "printer.mesh");
}
END_TEST

/* ---- shadowing: SELF > PEER > STATIC -------------------------------------------- */

START_TEST(shadow_order)
{
	struct mesh_resp r;

	ck_assert_int_eq(ask_name("me.mesh", &r), MESH_ST_OK);
	ck_assert_uint_eq(r.n6, 1);
	ck_assert_uint_eq(r.n4, 0);	/* not the static 10.9.9.9 */
	ck_assert_uint_eq(r.ttl, 10);
	ck_assert_int_eq(ask_name("web.mesh", &r), MESH_ST_OK);
	ck_assert_uint_eq(r.n6, 1);	/* the peer's, not the static one */
	ck_assert_uint_eq(r.n4, 0);
	ck_assert_uint_eq(r.ttl, 20);
	/* A losing record's addresses answer nothing. */
	ck_assert_int_eq(ask_addr("10.9.9.9", &r), MESH_ST_NOTMINE);
	ck_assert_int_eq(ask_addr("10.0.0.8", &r), MESH_ST_NOTMINE);

	/* Drop SELF: the static me.mesh shows; drop PEER: the static web. */
	ck_assert_int_eq(store_replace(st, SRC_SELF, NULL, 0, NULL), 0);
	ck_assert_int_eq(ask_name("me.mesh", &r), MESH_ST_OK);
	ck_assert_uint_eq(r.n4, 1);
	ck_assert_uint_eq(r.ttl, 30);
	ck_assert_int_eq(ask_addr("10.9.9.9", &r), MESH_ST_OK);
	is_answer(&r, "me.mesh");
	ck_assert_int_eq(ask_addr("fd6d:1:2::1", &r), MESH_ST_NOTFOUND);
	ck_assert_int_eq(store_replace(st, SRC_PEER, NULL, 0, NULL), 0);
	ck_assert_int_eq(ask_name("web.mesh", &r), MESH_ST_OK);
	ck_assert_uint_eq(r.n4, 1);
	ck_assert_int_eq(ask_addr("10.0.0.8", &r), MESH_ST_OK);
	ck_assert_int_eq(ask_name("peer1.mesh", &r), MESH_ST_NOTFOUND);
}
END_TEST

START_TEST(shadow_any_load_order)
{
	struct mesh_resp r;

	/* The same three sources loaded in reverse: the same winners. */
	store_free(st);
	ck_assert_ptr_nonnull(st = store_new());
	load_static();
	load_peers();
	load_self();
	ck_assert_int_eq(ask_name("me.mesh", &r), MESH_ST_OK);
	ck_assert_uint_eq(r.ttl, 10);
	ck_assert_int_eq(ask_name("web.mesh", &r), MESH_ST_OK);
	ck_assert_uint_eq(r.ttl, 20);
	ck_assert_int_eq(ask_addr("10.9.9.9", &r), MESH_ST_NOTMINE);
	/* PEER over STATIC, with no SELF at all. */
	ck_assert_int_eq(store_replace(st, SRC_SELF, NULL, 0, NULL), 0);
	ck_assert_int_eq(ask_name("web.mesh", &r), MESH_ST_OK);
	ck_assert_uint_eq(r.ttl, 20);
}
END_TEST

START_TEST(shadow_count)
{
	size_t shadowed = 0;
	struct store_rec r = rec("nas.mesh", "fd6d:1:2::99", 1);

	/* A peer claiming a static name shadows it. */
	ck_assert_int_eq(store_replace(st, SRC_PEER, &r, 1, &shadowed), 0);
	ck_assert_uint_ge(shadowed, 1);
	ck_assert_uint_eq(store_count(st), 6);	/* me nas printer twin-a twin-b web */
}
END_TEST

START_TEST(listing_in_name_order)
{
	static const char *want[] = {
		"me.mesh", "nas.mesh", "peer1.mesh", "printer.mesh",
		"twin-a.mesh", "twin-b.mesh", "web.mesh",
	};

	ck_assert_uint_eq(store_count(st), 7);
	for (size_t i = 0; i < 7; i++) {
		const struct store_rec *r = store_at(st, i);
		ck_assert_ptr_nonnull(r);
		ck_assert_str_eq(r->name, want[i]);
	}
	ck_assert_ptr_null(store_at(st, 7));
	ck_assert_ptr_null(store_at(st, (size_t)-1));
}
END_TEST

START_TEST(empty_store)
{
	struct mesh_resp r;

	store_free(st);
	ck_assert_ptr_nonnull(st = store_new());
	ck_assert_uint_eq(store_count(st), 0);
	ck_assert_ptr_null(store_at(st, 0));
	ck_assert_int_eq(ask_name("nas.mesh", &r), MESH_ST_NOTFOUND);
	ck_assert_int_eq(ask_addr("fd6d:1:2::1", &r), MESH_ST_NOTFOUND);
	ck_assert_int_eq(ask_addr("10.0.0.1", &r), MESH_ST_NOTMINE);
	ck_assert_ptr_null(store_by_addr(st, AF_UNIX, prefix));
	/* Emptied again after use. */
	load_static();
	ck_assert_int_eq(store_replace(st, SRC_STATIC, NULL, 0, NULL), 0);
	ck_assert_uint_eq(store_count(st), 0);
	ck_assert_int_eq(ask_name("nas.mesh", &r), MESH_ST_NOTFOUND);
}
END_TEST

/* ---- malformed datagrams ------------------------------------------------------- */

START_TEST(badreq_every_size)
{
	/* A good request inside a bigger buffer, cut at every length: only
	 * the exact size is a request; the rest are BADREQ, and resolve
	 * reads no byte past len (ASan checks with the exact-size copy). */
	struct mesh_req q;
	struct mesh_resp r;

	ck_assert(mesh_req_byname(&q, "nas.mesh", 8));
	for (size_t len = 0; len <= sizeof(q) + 1; len++) {
		unsigned char *msg = malloc(len ? len : 1);
		ck_assert_ptr_nonnull(msg);
		memcpy(msg, &q, len < sizeof(q) ? len : sizeof(q));
		if (len > sizeof(q))
			msg[sizeof(q)] = 0;
		memset(&r, 0xaa, sizeof(r));
		resolve(st, prefix, msg, len, &r);
		ck_assert(mesh_resp_check(&r, sizeof(r)));
		if (len == sizeof(q))
			ck_assert_uint_eq(r.status, MESH_ST_OK);
		else
			ck_assert_msg(r.status == MESH_ST_BADREQ, "len %zu", len);
		free(msg);
	}
}
END_TEST

START_TEST(badreq_unaligned)
{
	struct mesh_req q;
	struct mesh_resp r;
	unsigned char *buf = malloc(sizeof(q) + 8);

	ck_assert_ptr_nonnull(buf);
	ck_assert(mesh_req_byname(&q, "printer.mesh", 12));
	for (size_t off = 0; off < 8; off++) {
		memcpy(buf + off, &q, sizeof(q));
		resolve(st, prefix, buf + off, sizeof(q), &r);
		is_answer(&r, "printer.mesh");
	}
	free(buf);
}
END_TEST

START_TEST(badreq_fields)
{
	struct mesh_req q, g;
	struct mesh_resp r;

	ck_assert(mesh_req_byname(&g, "nas.mesh", 8));
	q = g;
	q.magic ^= 1;
	resolve(st, prefix, &q, sizeof(q), &r);
	ck_assert_uint_eq(r.status, MESH_ST_BADREQ);
	q = g;
	q.version = 2;
	resolve(st, prefix, &q, sizeof(q), &r);
	ck_assert_uint_eq(r.status, MESH_ST_BADREQ);
	q = g;
	q.type = 3;
	resolve(st, prefix, &q, sizeof(q), &r);
	ck_assert_uint_eq(r.status, MESH_ST_BADREQ);
	q = g;
	q.name[200] = 'x';
	resolve(st, prefix, &q, sizeof(q), &r);
	ck_assert_uint_eq(r.status, MESH_ST_BADREQ);
	/* Every answer to a bad request is bare. */
	ck_assert_uint_eq(r.n4 + r.n6 + r.name_len + r.ttl, 0);
}
END_TEST

START_TEST(badreq_garbage)
{
	unsigned char msg[sizeof(struct mesh_req)];
	struct mesh_resp r;
	unsigned seed = 1;

	for (int i = 0; i < 2000; i++) {
		for (size_t k = 0; k < sizeof(msg); k++)
			msg[k] = (unsigned char)(rand_r(&seed) >> 7);
		resolve(st, prefix, msg, sizeof(msg), &r);
		if (r.status != MESH_ST_BADREQ)
			ck_abort_msg("garbage %d answered %u", i, r.status);
	}
}
END_TEST

/* ---- allocation failure ------------------------------------------------------------ */

/* Everything a lookup can see, as text, to compare before and after. */
static char *
snapshot(void)
{
	size_t cap = 1 << 16, n = 0;
	char *s = malloc(cap);
	static const char *probe[] = {
		"me.mesh", "nas.mesh", "web.mesh", "peer1.mesh", "printer.mesh",
		"twin-a.mesh", "new1.mesh", "new2.mesh", "10.9.9.9", "10.0.0.8",
		"10.50.0.1", "fd6d:1:2::80", "fd6d:1:2::1", "fd6d:1:2::50",
	};
	struct mesh_resp r;

	ck_assert_ptr_nonnull(s);
	n += (size_t)snprintf(s + n, cap - n, "count %zu\n", store_count(st));
	for (size_t i = 0; i < store_count(st); i++)
		n += (size_t)snprintf(s + n, cap - n, "at %s\n",
		    store_at(st, i)->name);
	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		if (strstr(probe[i], ".mesh") != NULL)
			ask_name(probe[i], &r);
		else
			ask_addr(probe[i], &r);
		n += (size_t)snprintf(s + n, cap - n, "%s -> %u %.*s %u %u %u\n",
		    probe[i], r.status, (int)r.name_len, r.name, r.n4, r.n6,
		    r.ttl);
	}
	return s;
}

static void
replace_under_failure(enum store_source src, const struct store_rec *recs,
    size_t n)
{
	char *before = snapshot(), *after;
	long k;
	int rc = -ENOMEM;

	/* Fail the 1st, 2nd, ... allocation until none fails. */
	for (k = 0; k < 64; k++) {
		unsigned long start = mallocs;
		fail_in = k;
		rc = store_replace(st, src, recs, n, NULL);
		fail_in = -1;
		if (mallocs - start <= (unsigned long)k) {
			ck_assert_int_eq(rc, 0);	/* nothing failed */
			break;
		}
		ck_assert_msg(rc == -ENOMEM, "rc %d failing malloc %ld", rc, k);
		/* Rebuild from what the store kept per source (SELF holds
		 * me.mesh throughout), so a source left half-replaced
		 * shows up, not only the merged table. */
		load_self();
		after = snapshot();
		ck_assert_msg(strcmp(before, after) == 0,
		    "store changed by a failed replace (malloc %ld):\n%s---\n%s",
		    k, before, after);
		free(after);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_ge(k, 2);	/* at least two allocations were hit */
	free(before);
}

START_TEST(replace_failure_keeps_store)
{
	struct store_rec recs[] = {
		rec("new1.mesh", "10.50.0.1 fd6d:1:2::50", 40),
		rec("new2.mesh", "10.50.0.2", 40),
		rec("web.mesh", "10.0.0.80", 40),
	};

	replace_under_failure(SRC_STATIC, recs, 3);
	replace_under_failure(SRC_PEER, recs, 3);
	/* Emptying a source allocates too (the rebuilt index). */
	replace_under_failure(SRC_PEER, NULL, 0);
	replace_under_failure(SRC_SELF, NULL, 0);
}
END_TEST

/* ---- a big store -------------------------------------------------------------------- */

START_TEST(many_records)
{
	enum { N = 10000 };
	struct store_rec *recs = calloc(N, sizeof(*recs));
	struct mesh_req q;
	struct mesh_resp r;
	size_t bad = 0, first_bad = 0;

	ck_assert_ptr_nonnull(recs);
	for (size_t i = 0; i < N; i++) {
		struct store_rec *x = &recs[i];
		x->name_len = (uint16_t)snprintf(x->name, sizeof(x->name),
		    "host%05zu.mesh", i);
		x->n4 = 1;
		x->addr4[0][0] = 10;
		x->addr4[0][1] = 200;
		x->addr4[0][2] = (uint8_t)(i >> 8);
		x->addr4[0][3] = (uint8_t)i;
		x->n6 = 1;
		memcpy(x->addr6[0], prefix, 6);
		x->addr6[0][8] = 0x10;
		x->addr6[0][14] = (uint8_t)(i >> 8);
		x->addr6[0][15] = (uint8_t)i;
		x->ttl = (uint32_t)i;
	}
	ck_assert_int_eq(store_replace(st, SRC_PEER, recs, N, NULL), 0);
	ck_assert_uint_eq(store_count(st), N + 6);

	/* One assertion at the end: each passing one costs a pipe write. */
	for (size_t i = 0; i < N; i++) {
		char name[32];
		int ok = 1;
		snprintf(name, sizeof(name), "HOST%05zu.MESH.", i);
		mesh_req_byname(&q, name, strlen(name));
		resolve(st, prefix, &q, sizeof(q), &r);
		ok &= r.status == MESH_ST_OK && r.ttl == (uint32_t)i &&
		    r.name_len == recs[i].name_len &&
		    memcmp(r.name, recs[i].name, r.name_len) == 0;
		mesh_req_byaddr(&q, AF_INET, recs[i].addr4[0]);
		resolve(st, prefix, &q, sizeof(q), &r);
		ok &= r.status == MESH_ST_OK && r.ttl == (uint32_t)i;
		mesh_req_byaddr(&q, AF_INET6, recs[i].addr6[0]);
		resolve(st, prefix, &q, sizeof(q), &r);
		ok &= r.status == MESH_ST_OK && r.ttl == (uint32_t)i;
		if (!ok && bad++ == 0)
			first_bad = i;
	}
	ck_assert_msg(bad == 0, "%zu records not found, first %zu", bad,
	    first_bad);
	/* Names in order, strictly. */
	for (size_t i = 1; i < store_count(st); i++)
		if (strcmp(store_at(st, i - 1)->name, store_at(st, i)->name) >= 0)
			ck_abort_msg("listing out of order at %zu", i);
	/* And the old records are still there. */
	ck_assert_int_eq(ask_name("nas.mesh", &r), MESH_ST_OK);
	ck_assert_int_eq(ask_name("host10000.mesh", &r), MESH_ST_NOTFOUND);
	free(recs);
}
END_TEST

static Suite *
resolver_suite(void)
{
	Suite *s = suite_create("resolver");
	TCase *tc;

	tc = tcase_create("name");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, name_found);
	tcase_add_test(tc, name_case_and_dot);
	tcase_add_test(tc, name_notmine);
	tcase_add_test(tc, name_notfound);
	tcase_add_test(tc, name_max_addresses);
	suite_add_tcase(s, tc);

	tc = tcase_create("address");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, addr_found);
	tcase_add_test(tc, addr_notmine);
	tcase_add_test(tc, addr_notfound_in_prefix);
	tcase_add_test(tc, addr_no_identity);
	tcase_add_test(tc, addr_shared);
	tcase_add_test(tc, addr_v4_not_v6);
	suite_add_tcase(s, tc);

	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, shadow_order);
	tcase_add_test(tc, shadow_any_load_order);
	tcase_add_test(tc, shadow_count);
	tcase_add_test(tc, listing_in_name_order);
	tcase_add_test(tc, empty_store);
	tcase_add_test(tc, replace_failure_keeps_store);
	tcase_add_test(tc, many_records);
	suite_add_tcase(s, tc);

	tc = tcase_create("badreq");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, badreq_every_size);
	tcase_add_test(tc, badreq_unaligned);
	tcase_add_test(tc, badreq_fields);
	tcase_add_test(tc, badreq_garbage);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(resolver_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

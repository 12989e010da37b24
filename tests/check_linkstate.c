/*
 * Unit tests for overlay/linkstate.c: the link record's bytes, the graph,
 * shortest paths, hysteresis and dot output.
 *
 * Node keys are K(i): bytes 0-1 are i (big-endian), the rest fixed, so
 * key order is index order and a tie goes to the smaller index.  Costs are in microseconds.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/linkstate.h"

#define NKEYS 1024
static uint8_t keys[NKEYS][LINKSTATE_KEY_LEN];
#define K(i) (keys[(i)])
/* The index a key was made from. */
#define IDX(key) ((key)[0] << 8 | (key)[1])

static struct linkstate_record rec;
static struct linkstate *ls;

static void
setup(void)
{
	for (int i = 0; i < NKEYS; i++) {
		memset(keys[i], 0, LINKSTATE_KEY_LEN);
		keys[i][0] = (uint8_t)(i >> 8);
		keys[i][1] = (uint8_t)i;
		keys[i][31] = 0x5a;
	}
	ls = linkstate_new(K(0));
	ck_assert_ptr_nonnull(ls);
}

static void
teardown(void)
{
	linkstate_free(ls);
	ls = NULL;
}

/* Node `node` at seq reports links: pairs (neighbour, cost), ending -1. */
static int
report(struct linkstate *g, int node, uint64_t seq, ...)
{
	va_list ap;
	int nb;

	memset(&rec, 0, sizeof(rec));
	memcpy(rec.node, K(node), LINKSTATE_KEY_LEN);
	rec.seq = seq;
	va_start(ap, seq);
	while ((nb = va_arg(ap, int)) >= 0) {
		memcpy(rec.link[rec.n].key, K(nb), LINKSTATE_KEY_LEN);
		rec.link[rec.n].cost = va_arg(ap, uint32_t);
		rec.n++;
	}
	va_end(ap);
	linkstate_record_sort(&rec);
	return linkstate_update(g, &rec);
}

/* Both ends of a-b report cost c (each node's record holds all its
 * links, so this is for building records one edge at a time). */
struct edge {
	int a, b;
	uint32_t c;
};

static void
build(struct linkstate *g, const struct edge *e, size_t ne, int nodes,
    uint64_t seq)
{
	for (int u = 0; u < nodes; u++) {
		memset(&rec, 0, sizeof(rec));
		memcpy(rec.node, K(u), LINKSTATE_KEY_LEN);
		rec.seq = seq;
		for (size_t i = 0; i < ne; i++) {
			int v = e[i].a == u ? e[i].b : e[i].b == u ? e[i].a : -1;

			if (v < 0)
				continue;
			memcpy(rec.link[rec.n].key, K(v), LINKSTATE_KEY_LEN);
			rec.link[rec.n].cost = e[i].c;
			rec.n++;
		}
		linkstate_record_sort(&rec);
		ck_assert_int_eq(linkstate_update(g, &rec), 1);
	}
}

static void
expect(struct linkstate *g, int dst, int hop, uint64_t cost, uint32_t hops)
{
	struct linkstate_route r;

	ck_assert_int_eq(linkstate_route(g, K(dst), &r), 0);
	ck_assert_mem_eq(r.dst, K(dst), LINKSTATE_KEY_LEN);
	ck_assert_int_eq(IDX(r.hop), hop);
	ck_assert_uint_eq(r.cost, cost);
	ck_assert_uint_eq(r.hops, hops);
}

static void
unreachable(struct linkstate *g, int dst)
{
	struct linkstate_route r;

	ck_assert_int_eq(linkstate_route(g, K(dst), &r), -ENOENT);
}

START_TEST(wire_roundtrip)
{
	static struct linkstate_record back;
	static uint8_t buf[LINKSTATE_WIRE_MAX + 1];
	size_t n;

	report(ls, 7, 0x0102030405060708ull, 3, 1000u, 1, 0x11223344u, -1);
	n = linkstate_encode(&rec, buf, sizeof(buf));
	ck_assert_uint_eq(n, LINKSTATE_WIRE_LEN(2));
	ck_assert_uint_eq(n, 43 + 72);
	/* kind, version, key, seq LE, n, then (key, cost LE) by key. */
	ck_assert_uint_eq(buf[0], 0x4c);
	ck_assert_uint_eq(buf[1], 1);
	ck_assert_mem_eq(buf + 2, K(7), 32);
	ck_assert_uint_eq(buf[34], 0x08);
	ck_assert_uint_eq(buf[41], 0x01);
	ck_assert_uint_eq(buf[42], 2);
	ck_assert_mem_eq(buf + 43, K(1), 32);
	ck_assert_uint_eq(buf[75], 0x44);
	ck_assert_uint_eq(buf[78], 0x11);
	ck_assert_mem_eq(buf + 79, K(3), 32);
	ck_assert_uint_eq(buf[111] | buf[112] << 8, 1000);
	ck_assert_uint_eq(linkstate_wire_len(buf, n), n);
	ck_assert_int_eq(linkstate_decode(buf, n, &back), 0);
	ck_assert_mem_eq(back.node, rec.node, 32);
	ck_assert_uint_eq(back.seq, rec.seq);
	ck_assert_uint_eq(back.n, 2);
	ck_assert_mem_eq(back.link, rec.link, 2 * sizeof(rec.link[0]));
	/* Exactly its length: not one byte less or more. */
	ck_assert_int_eq(linkstate_decode(buf, n - 1, &back), -EINVAL);
	ck_assert_int_eq(linkstate_decode(buf, n + 1, &back), -EINVAL);
	for (size_t i = 0; i < LINKSTATE_HEAD_LEN; i++)
		ck_assert_uint_eq(linkstate_wire_len(buf, i), 0);
	/* Output too short. */
	ck_assert_uint_eq(linkstate_encode(&rec, buf, n - 1), 0);
	/* Kind and version. */
	buf[0] = 'N';
	ck_assert_int_eq(linkstate_decode(buf, n, &back), -EINVAL);
	buf[0] = 'L';
	buf[1] = 2;
	ck_assert_int_eq(linkstate_decode(buf, n, &back), -EINVAL);
	buf[1] = 1;
	/* Not canonical: out of order, a duplicate, a self-link, INF. */
	memcpy(buf + 43, K(4), 32);
	ck_assert_int_eq(linkstate_decode(buf, n, &back), -EINVAL);
	memcpy(buf + 43, K(3), 32);
	ck_assert_int_eq(linkstate_decode(buf, n, &back), -EINVAL);
	memcpy(buf + 43, K(7), 32);
	memcpy(buf + 79, K(8), 32);
	ck_assert_int_eq(linkstate_decode(buf, n, &back), -EINVAL);
	memcpy(buf + 43, K(1), 32);
	ck_assert_int_eq(linkstate_decode(buf, n, &back), 0);
	memset(buf + 75, 0xff, 4);
	ck_assert_int_eq(linkstate_decode(buf, n, &back), -EINVAL);
	/* The encoder refuses what the decoder would. */
	rec.link[0].cost = LINKSTATE_COST_INF;
	ck_assert_uint_eq(linkstate_encode(&rec, buf, sizeof(buf)), 0);
	ck_assert_int_eq(linkstate_update(ls, &rec), -EINVAL);
	/* A full record. */
	memset(&rec, 0, sizeof(rec));
	memcpy(rec.node, K(0), 32);
	rec.n = LINKSTATE_MAX_LINKS;
	for (int i = 0; i < LINKSTATE_MAX_LINKS; i++) {
		memcpy(rec.link[i].key, K(i + 1), 32);
		rec.link[i].cost = (uint32_t)i;
	}
	ck_assert_uint_eq(linkstate_encode(&rec, buf, sizeof(buf)),
	    LINKSTATE_WIRE_MAX);
	ck_assert_int_eq(linkstate_decode(buf, LINKSTATE_WIRE_MAX, &back), 0);
	ck_assert_uint_eq(back.n, LINKSTATE_MAX_LINKS);
}
END_TEST

START_TEST(link_cost)
{
	ck_assert_uint_eq(linkstate_link_cost(1000, 0), 1000);
	/* Half lost: twice the RTT plus half the penalty. */
	ck_assert_uint_eq(linkstate_link_cost(1000, 500000),
	    2000 + LINKSTATE_LOSS_PENALTY_US / 2);
	/* 1 % loss on a 300 us LAN still beats a clean 5 ms path... */
	ck_assert_uint_lt(linkstate_link_cost(300, 10000), 5000);
	/* ...but not 10 %. */
	ck_assert_uint_gt(linkstate_link_cost(300, 100000), 5000);
	ck_assert_uint_eq(linkstate_link_cost(1000, 1000000),
	    LINKSTATE_COST_INF - 1);
	ck_assert_uint_eq(linkstate_link_cost(UINT32_MAX, 999999),
	    LINKSTATE_COST_INF - 1);
}
END_TEST

START_TEST(seq_newest_wins)
{
	ck_assert_int_eq(report(ls, 1, 5, 2, 100u, -1), 1);
	ck_assert_int_eq(report(ls, 1, 5, 3, 100u, -1), 0);
	ck_assert_int_eq(report(ls, 1, 4, 3, 100u, -1), 0);
	ck_assert_int_eq(report(ls, 1, 6, 3, 100u, -1), 1);
	ck_assert_uint_eq(linkstate_count(ls), 1);
	ck_assert_int_eq(linkstate_remove(ls, K(1)), 0);
	ck_assert_int_eq(linkstate_remove(ls, K(1)), -ENOENT);
	ck_assert_uint_eq(linkstate_count(ls), 0);
	/* Forgotten, its seq too. */
	ck_assert_int_eq(report(ls, 1, 1, -1), 1);
}
END_TEST

START_TEST(line)
{
	static const struct edge e[] = {
		{ 0, 1, 1000 }, { 1, 2, 2000 }, { 2, 3, 3000 },
	};

	build(ls, e, 3, 4, 1);
	expect(ls, 0, 0, 0, 0);
	expect(ls, 1, 1, 1000, 1);
	expect(ls, 2, 1, 3000, 2);
	expect(ls, 3, 1, 6000, 3);
	unreachable(ls, 4);
}
END_TEST

/* From every node to every other by each node's own next hop: the
 * destination is reached within n hops, so no loop. */
static void
loop_free(const struct edge *e, size_t ne, int n)
{
	struct linkstate *g[16];
	struct linkstate_route r;

	for (int i = 0; i < n; i++) {
		g[i] = linkstate_new(K(i));
		build(g[i], e, ne, n, 1);
	}
	for (int s = 0; s < n; s++) {
		for (int d = 0; d < n; d++) {
			int at = s, steps = 0;
			uint64_t want;

			if (s == d)
				continue;
			ck_assert_int_eq(linkstate_route(g[s], K(d), &r), 0);
			want = r.cost;
			while (at != d) {
				ck_assert_int_eq(linkstate_route(g[at], K(d),
				    &r), 0);
				ck_assert_int_ne(IDX(r.hop), at);
				at = IDX(r.hop);
				ck_assert_int_le(++steps, n);
			}
			ck_assert_uint_gt(want, 0);
		}
	}
	for (int i = 0; i < n; i++)
		linkstate_free(g[i]);
}

START_TEST(ring)
{
	/* Six nodes, equal costs: node 3 is as far one way as the other,
	 * and the tie goes to the smaller next hop. */
	static const struct edge e[] = {
		{ 0, 1, 1000 }, { 1, 2, 1000 }, { 2, 3, 1000 },
		{ 3, 4, 1000 }, { 4, 5, 1000 }, { 5, 0, 1000 },
	};
	static const struct edge w[] = {
		{ 0, 1, 1000 }, { 1, 2, 1700 }, { 2, 3, 900 },
		{ 3, 4, 1000 }, { 4, 5, 2500 }, { 5, 0, 1000 },
		{ 1, 4, 4000 },
	};

	build(ls, e, 6, 6, 1);
	expect(ls, 1, 1, 1000, 1);
	expect(ls, 2, 1, 2000, 2);
	expect(ls, 3, 1, 3000, 3);
	expect(ls, 4, 5, 2000, 2);
	expect(ls, 5, 5, 1000, 1);
	loop_free(e, 6, 6);
	loop_free(w, 7, 6);
}
END_TEST

START_TEST(one_sided_ignored)
{
	/* 0 claims a 1 us link to 2, which 2 does not report: the route to
	 * 2 goes through 1. */
	report(ls, 0, 1, 1, 1000u, 2, 1u, -1);
	report(ls, 1, 1, 0, 1000u, 2, 1000u, -1);
	report(ls, 2, 1, 1, 1000u, -1);
	expect(ls, 2, 1, 2000, 2);
	/* A liar cannot make a real link cheaper than its other end says:
	 * 2 now lists 0 at 9 ms, 0 says 1 us; the edge costs 9 ms. */
	report(ls, 2, 2, 0, 9000u, 1, 1000u, -1);
	expect(ls, 2, 1, 2000, 2);
	report(ls, 2, 3, 0, 1500u, 1, 1000u, -1);
	expect(ls, 2, 2, 1500, 1);
	/* A link to a node with no record is no edge either. */
	report(ls, 0, 2, 1, 1000u, 2, 1u, 9, 1u, -1);
	unreachable(ls, 9);
}
END_TEST

START_TEST(removed_edge_reroutes)
{
	static const struct edge e[] = {
		{ 0, 1, 1000 }, { 1, 2, 1000 }, { 0, 3, 3000 }, { 3, 2, 3000 },
	};

	build(ls, e, 4, 4, 1);
	expect(ls, 2, 1, 2000, 2);
	/* 1 loses its link to 2: one side dropping it is enough. */
	report(ls, 1, 2, 0, 1000u, -1);
	expect(ls, 2, 3, 6000, 2);
	expect(ls, 1, 1, 1000, 1);
	/* The link comes back, then node 1 goes away altogether. */
	report(ls, 1, 3, 0, 1000u, 2, 1000u, -1);
	expect(ls, 2, 1, 2000, 2);
	ck_assert_int_eq(linkstate_remove(ls, K(1)), 0);
	expect(ls, 2, 3, 6000, 2);
	unreachable(ls, 1);
	/* And 3 too: nothing left. */
	ck_assert_int_eq(linkstate_remove(ls, K(3)), 0);
	unreachable(ls, 2);
	/* Without its own record, self reaches nothing. */
	ck_assert_int_eq(linkstate_remove(ls, K(0)), 0);
	unreachable(ls, 0);
	unreachable(ls, 2);
}
END_TEST

static void
choose(int dst, const uint8_t *cur, int hop, uint64_t cost)
{
	struct linkstate_route r;

	ck_assert_int_eq(linkstate_choose(ls, K(dst), cur, &r), 0);
	ck_assert_int_eq(IDX(r.hop), hop);
	ck_assert_uint_eq(r.cost, cost);
}

START_TEST(hysteresis)
{
	uint64_t c;

	/* The rule alone: 10 %, at least 1 ms. */
	ck_assert(linkstate_should_switch(UINT64_MAX, UINT64_MAX - 1));
	ck_assert(!linkstate_should_switch(5000, 5000));
	ck_assert(!linkstate_should_switch(5000, 6000));
	ck_assert(!linkstate_should_switch(5000, 4000));
	ck_assert(linkstate_should_switch(5000, 3999));
	ck_assert(!linkstate_should_switch(100000, 90000));
	ck_assert(linkstate_should_switch(100000, 89999));
	ck_assert(!linkstate_should_switch(UINT64_MAX - 1, UINT64_MAX / 10 * 9 + 10));

	/* 0 reaches 3 through 1 (10 ms) or 2 (9.5 ms). */
	report(ls, 0, 1, 1, 5000u, 2, 5000u, -1);
	report(ls, 1, 1, 0, 5000u, 3, 5000u, -1);
	report(ls, 2, 1, 0, 5000u, 3, 4500u, -1);
	report(ls, 3, 1, 1, 5000u, 2, 4500u, -1);
	expect(ls, 3, 2, 9500, 2);
	ck_assert_int_eq(linkstate_cost_via(ls, K(1), K(3), &c), 0);
	ck_assert_uint_eq(c, 10000);
	ck_assert_int_eq(linkstate_cost_via(ls, K(3), K(1), &c), -ENOENT);
	/* No hop in use, or the best one: the best. */
	choose(3, NULL, 2, 9500);
	choose(3, K(2), 2, 9500);
	/* Through 1 now: 0.5 ms better is not enough; it holds. */
	choose(3, K(1), 1, 10000);
	/* 2's path gets 1.9 ms better than 1's (10 ms vs 8.1 ms), more
	 * than max(10 % of 10 ms, 1 ms): it releases. */
	report(ls, 2, 2, 0, 5000u, 3, 3100u, -1);
	report(ls, 3, 2, 1, 5000u, 2, 3100u, -1);
	choose(3, K(1), 2, 8100);
	/* 1's path gets cheaper than 2's by less than the margin: a node
	 * on 2 stays on 2. */
	report(ls, 1, 2, 0, 5000u, 3, 2500u, -1);
	report(ls, 3, 3, 1, 2500u, 2, 3100u, -1);
	expect(ls, 3, 1, 7500, 2);
	choose(3, K(2), 2, 8100);
	/* 2 goes away: the hop in use is gone, the best takes over. */
	report(ls, 0, 2, 1, 5000u, -1);
	choose(3, K(2), 1, 7500);
	/* The hop in use is direct to the destination itself. */
	choose(1, K(1), 1, 5000);
}
END_TEST

static const char *
names(const uint8_t key[LINKSTATE_KEY_LEN], void *arg)
{
	static const char *n[] = { "self", "b", "c\"\\\n" };

	(void)arg;
	return IDX(key) < 3 ? n[IDX(key)] : NULL;
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

START_TEST(dot)
{
	static char buf[4096], small[100];
	size_t n, quotes = 0;

	/* 0-1 two-way (1.5 ms, the larger of 1.5 and 1.2), 1-2 two-way,
	 * 0 -> 2 only one way; 1 -> 7 unknown and left out. */
	report(ls, 0, 1, 1, 1500u, 2, 100u, -1);
	report(ls, 1, 1, 0, 1200u, 2, 2001u, 7, 1u, -1);
	report(ls, 2, 1, 1, 2001u, -1);
	n = linkstate_dot(ls, buf, sizeof(buf), names, NULL);
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_msg(strncmp(buf, "graph mesh {\n", 13) == 0, "%s", buf);
	ck_assert_str_eq(buf + n - 2, "}\n");
	ck_assert_uint_eq(count(buf, " -- "), 3);
	ck_assert_uint_eq(count(buf, "[label=\"1.500 ms\"]"), 1);
	ck_assert_uint_eq(count(buf, "[label=\"2.001 ms\"]"), 1);
	ck_assert_uint_eq(count(buf, "[style=dotted]"), 1);
	ck_assert_uint_eq(count(buf, "[label=\"self\", peripheries=2]"), 1);
	ck_assert_uint_eq(count(buf, "[label=\"c\\\"\\\\?\"]"), 1);
	ck_assert_uint_eq(count(buf, ";\n"), 1 + 3 + 3);
	/* Quotes balance once the escaped ones are skipped. */
	for (const char *p = buf; *p; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			quotes++;
	}
	ck_assert_uint_eq(quotes % 2, 0);
	/* Without names, the key's first 8 bytes in hex. */
	n = linkstate_dot(ls, buf, sizeof(buf), NULL, NULL);
	ck_assert_uint_eq(count(buf, "[label=\"0000000000000000\", "), 1);
	ck_assert_uint_eq(count(buf, "[label=\"0001000000000000\"]"), 1);
	/* A short buffer: the same length said, truncated, terminated. */
	memset(small, 'x', sizeof(small));
	ck_assert_uint_eq(linkstate_dot(ls, small, sizeof(small), NULL, NULL),
	    n);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(strncmp(small, buf, sizeof(small) - 1), 0);
	ck_assert_uint_eq(linkstate_dot(ls, NULL, 0, NULL, NULL), n);
}
END_TEST

START_TEST(tie_and_big_graph)
{
	static struct edge e[4000];
	struct linkstate *g;
	struct linkstate_route r, r2;
	size_t ne = 0;
	uint32_t x = 12345;
	int n = 1000;

	/* Square 0-1-3, 0-2-3, equal: the smaller next hop, 1. */
	report(ls, 0, 1, 1, 10u, 2, 10u, -1);
	report(ls, 1, 1, 0, 10u, 3, 10u, -1);
	report(ls, 2, 1, 0, 10u, 3, 10u, -1);
	report(ls, 3, 1, 1, 10u, 2, 10u, -1);
	expect(ls, 3, 1, 20, 2);
	/* Same records, other arrival order, same answer. */
	g = linkstate_new(K(0));
	report(g, 3, 1, 1, 10u, 2, 10u, -1);
	report(g, 2, 1, 0, 10u, 3, 10u, -1);
	report(g, 1, 1, 0, 10u, 3, 10u, -1);
	report(g, 0, 1, 1, 10u, 2, 10u, -1);
	expect(g, 3, 1, 20, 2);
	linkstate_free(g);

	/* 1,000 nodes, a ring plus 3,000 random chords.  The costs are
	 * shortest: no edge offers a shortcut (dist[v] <= dist[u] + c(u, v))
	 * and each is the cost of a real path (the one through its next
	 * hop).  Records fed in the other order give the same routes. */
	for (int i = 0; i < n; i++)
		e[ne++] = (struct edge){ i, (i + 1) % n, 1000 + (uint32_t)i };
	while (ne < sizeof(e) / sizeof(e[0])) {
		int a, b;

		x = x * 1103515245 + 12345;
		a = (int)((x >> 8) % (uint32_t)n);
		x = x * 1103515245 + 12345;
		b = (int)((x >> 8) % (uint32_t)n);
		if (a == b)
			continue;
		for (size_t k = 0; k < ne; k++)
			if ((e[k].a == a && e[k].b == b) ||
			    (e[k].a == b && e[k].b == a))
				goto next;
		x = x * 1103515245 + 12345;
		e[ne++] = (struct edge){ a, b, 500 + (x >> 8) % 50000 };
next:
		;
	}
	build(ls, e, ne, n, 2);
	ck_assert_uint_eq(linkstate_count(ls), (size_t)n);
	for (size_t k = 0; k < ne; k++) {
		struct linkstate_route ra, rb;

		ck_assert_int_eq(linkstate_route(ls, K(e[k].a), &ra), 0);
		ck_assert_int_eq(linkstate_route(ls, K(e[k].b), &rb), 0);
		ck_assert_uint_le(ra.cost, rb.cost + e[k].c);
		ck_assert_uint_le(rb.cost, ra.cost + e[k].c);
	}
	for (int d = 1; d < n; d += 7) {
		uint64_t via;

		ck_assert_int_eq(linkstate_route(ls, K(d), &r), 0);
		ck_assert_int_eq(linkstate_cost_via(ls, r.hop, K(d), &via), 0);
		ck_assert_uint_eq(via, r.cost);
	}
	g = linkstate_new(K(0));
	for (int u = n - 1; u >= 0; u--) {
		memset(&rec, 0, sizeof(rec));
		memcpy(rec.node, K(u), LINKSTATE_KEY_LEN);
		for (size_t i = ne; i-- > 0;) {
			int v = e[i].a == u ? e[i].b : e[i].b == u ? e[i].a : -1;

			if (v < 0)
				continue;
			memcpy(rec.link[rec.n].key, K(v), LINKSTATE_KEY_LEN);
			rec.link[rec.n].cost = e[i].c;
			rec.n++;
		}
		linkstate_record_sort(&rec);
		ck_assert_int_eq(linkstate_update(g, &rec), 1);
	}
	for (int d = 0; d < n; d++) {
		ck_assert_int_eq(linkstate_route(ls, K(d), &r), 0);
		ck_assert_int_eq(linkstate_route(g, K(d), &r2), 0);
		ck_assert_mem_eq(r.hop, r2.hop, LINKSTATE_KEY_LEN);
		ck_assert_uint_eq(r.cost, r2.cost);
		ck_assert_uint_eq(r.hops, r2.hops);
	}
	linkstate_free(g);
}
END_TEST

/* Every node of one graph choosing with a hop it holds from before: the
 * hops they hand a packet on to must reach dst, never loop.  g[u] is
 * u's own view (the same records, self = u); cur[u] its hop in use. */
static int
walk(struct linkstate **g, const int *cur, int n, int src, int dst)
{
	int u = src, steps = 0;

	while (u != dst) {
		struct linkstate_route r;

		if (steps++ > n)
			return -1;	/* a loop */
		ck_assert_int_eq(linkstate_choose(g[u], K(dst),
		    cur[u] >= 0 ? K(cur[u]) : NULL, &r), 0);
		u = IDX(r.hop);
	}
	return steps;
}

static void
views(struct linkstate **g, const struct edge *e, size_t ne, int n)
{
	for (int u = 0; u < n; u++) {
		ck_assert_ptr_nonnull(g[u] = linkstate_new(K(u)));
		build(g[u], e, ne, n, 1);
	}
}

/* The seeds.sh failure: server-a (0), the laptop (1) and server-b (2) on
 * one LAN, server-c (3) outside, reachable through server-b only.  When
 * a's and the laptop's own paths to c died, the laptop's path was still
 * in a's graph and a's in the laptop's, so each took the other as its
 * relay to c; within the hysteresis margin of the best (through b),
 * both held on, and the laptop, never sending a packet back where it
 * came from, dropped all of a's.  A hop is held only while it is closer
 * to dst than we are. */
START_TEST(held_hops_do_not_loop)
{
	static const struct edge e[] = {
		{ 0, 1, 300 }, { 0, 2, 300 }, { 1, 2, 300 }, { 2, 3, 300 },
	};
	struct linkstate *g[4];
	int cur[4] = { 1, 0, -1, -1 };

	views(g, e, 4, 4);
	ck_assert_int_eq(walk(g, cur, 4, 0, 3), 2);
	ck_assert_int_eq(walk(g, cur, 4, 1, 3), 2);
	for (int u = 0; u < 4; u++)
		linkstate_free(g[u]);
	/* Held where it is closer: with a link 1-3 of its own, 0 stays on
	 * 1 (0.7 ms) though 2 is 0.1 ms better, and 1 goes straight to 3. */
	views(g, (const struct edge[]){ { 0, 1, 300 }, { 0, 2, 300 },
	    { 1, 2, 300 }, { 2, 3, 300 }, { 1, 3, 400 } }, 5, 4);
	{
		struct linkstate_route r;

		ck_assert_int_eq(linkstate_choose(g[0], K(3), K(1), &r), 0);
		ck_assert_int_eq(IDX(r.hop), 1);
		ck_assert_uint_eq(r.cost, 700);
	}
	ck_assert_int_eq(walk(g, cur, 4, 0, 3), 2);
	ck_assert_int_eq(walk(g, cur, 4, 1, 3), 1);
	for (int u = 0; u < 4; u++)
		linkstate_free(g[u]);
}
END_TEST

/* The same, for random graphs and random held hops. */
START_TEST(held_hops_random)
{
	enum { N = 24, NE = 60 };
	struct edge e[NE];
	struct linkstate *g[N];
	int cur[N];
	uint32_t x = 777;

	for (int round = 0; round < 40; round++) {
		size_t ne = 0;

		for (int i = 0; i < N; i++) {	/* a ring: connected */
			x = x * 1103515245 + 12345;
			e[ne++] = (struct edge){ i, (i + 1) % N,
			    100 + (x >> 8) % 1500 };
		}
		while (ne < NE) {
			int a, b;
			bool dup = false;

			x = x * 1103515245 + 12345;
			a = (int)((x >> 8) % N);
			x = x * 1103515245 + 12345;
			b = (int)((x >> 8) % N);
			for (size_t k = 0; k < ne; k++)
				dup |= (e[k].a == a && e[k].b == b) ||
				    (e[k].a == b && e[k].b == a);
			if (a == b || dup)
				continue;
			x = x * 1103515245 + 12345;
			e[ne++] = (struct edge){ a, b, 100 + (x >> 8) % 1500 };
		}
		views(g, e, ne, N);
		for (int dst = 0; dst < N; dst += 5) {
			/* Each holds a random neighbour (or nothing). */
			for (int u = 0; u < N; u++) {
				int nb[N], k = 0;

				for (size_t i = 0; i < ne; i++)
					if (e[i].a == u || e[i].b == u)
						nb[k++] = e[i].a == u ? e[i].b :
						    e[i].a;
				x = x * 1103515245 + 12345;
				cur[u] = (int)((x >> 8) % (uint32_t)(k + 1)) - 1;
				if (cur[u] >= 0)
					cur[u] = nb[cur[u]];
			}
			for (int src = 0; src < N; src++)
				ck_assert_int_ge(walk(g, cur, N, src, dst), 0);
		}
		for (int u = 0; u < N; u++)
			linkstate_free(g[u]);
	}
}
END_TEST

static void
count_cb(const struct linkstate_route *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
}

START_TEST(routes_iterates)
{
	static const struct edge e[] = { { 0, 1, 1 }, { 1, 2, 1 } };
	int seen = 0;

	build(ls, e, 2, 3, 1);
	report(ls, 5, 1, -1);
	ck_assert_int_eq(linkstate_routes(ls, count_cb, &seen), 2);
	ck_assert_int_eq(seen, 2);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("linkstate");
	TCase *tc = tcase_create("linkstate");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wire_roundtrip);
	tcase_add_test(tc, link_cost);
	tcase_add_test(tc, seq_newest_wins);
	tcase_add_test(tc, line);
	tcase_add_test(tc, ring);
	tcase_add_test(tc, one_sided_ignored);
	tcase_add_test(tc, removed_edge_reroutes);
	tcase_add_test(tc, hysteresis);
	tcase_add_test(tc, held_hops_do_not_loop);
	tcase_add_test(tc, held_hops_random);
	tcase_add_test(tc, dot);
	tcase_add_test(tc, tie_and_big_graph);
	tcase_add_test(tc, routes_iterates);
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

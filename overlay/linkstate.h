/*
 * The routing graph: every node's measured links, and the shortest path
 * from this node to every other.  Pure code: records come in (already
 * verified by the caller), routes go out; no clock, no socket.
 *
 * Records.  A node publishes one link record: its key, a sequence number,
 * and for each neighbour it has a live session with, the neighbour's key
 * and a cost in microseconds (measured RTT plus a loss penalty, see
 * linkstate_link_cost()).  The caller signs and verifies it; this file
 * only defines its bytes (little-endian, like mesh/signed_wire.h):
 *
 *   kind 'L' u8 | version u8 | node key[32] | seq u64 | n u8 |
 *   n * (neighbour key[32] | cost u32)
 *
 * Canonical form, refused otherwise: neighbours in strictly ascending key
 * order (so no duplicates), none equal to the node itself, no cost equal
 * to LINKSTATE_COST_INF.  A graph keeps one record per node, the one with
 * the greatest seq; forgetting a node (linkstate_remove) forgets its seq
 * too, so tombstones, if wanted, are the record store's business.
 *
 * Edges.  An edge u-v is used only when u's record lists v and v's record
 * lists u, and it costs the larger of the two reported costs (at least 1).
 * So one node cannot invent a link to another, nor make a real link look
 * cheaper than its other end measured: a liar can only make its own links
 * worse.  The graph is therefore undirected.
 *
 * Paths.  Dijkstra from self over at most LINKSTATE_MAX_NODES nodes, run
 * again only after the graph changed.  Ties are broken by key bytes, so
 * every node computes the same answer from the same records: among
 * shortest paths the next hop with the smallest key wins, then the fewest
 * hops.  Each route says the next hop (a direct neighbour of self), the
 * total cost and the hop count.
 *
 * Hysteresis.  linkstate_choose() keeps the next hop in use unless it is
 * gone, or the best path is cheaper than the one through it by more than
 * max(10 %, 1 ms) (linkstate_should_switch() is that rule alone), or it
 * is no closer to the destination than self: its own path there, not
 * through self, must cost less than self's best.  Without that, two
 * nodes could each hold the other as the hop within the margin and make
 * a loop; with it, every hop a packet takes is strictly closer, as in
 * Babel's feasibility condition.
 *
 * linkstate_dot() writes the graph as Graphviz dot, names by callback and
 * costs in ms, for `meshctl graph`.
 */
#ifndef MESH_LINKSTATE_H
#define MESH_LINKSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINKSTATE_KEY_LEN	32
#define LINKSTATE_KIND		0x4c	/* 'L'; next to enum mesh_kind */
#define LINKSTATE_VERSION	1
#define LINKSTATE_MAX_LINKS	255	/* n is a u8 */
#define LINKSTATE_MAX_NODES	16384
#define LINKSTATE_HEAD_LEN	(1 + 1 + LINKSTATE_KEY_LEN + 8 + 1)
#define LINKSTATE_LINK_LEN	(LINKSTATE_KEY_LEN + 4)
#define LINKSTATE_WIRE_LEN(n)	(LINKSTATE_HEAD_LEN + (size_t)(n) * \
	LINKSTATE_LINK_LEN)
#define LINKSTATE_WIRE_MAX	LINKSTATE_WIRE_LEN(LINKSTATE_MAX_LINKS)
#define LINKSTATE_COST_INF	UINT32_MAX	/* never on the wire */
/* Hysteresis: a new path must be cheaper by more than both. */
#define LINKSTATE_HYST_PERCENT	10
#define LINKSTATE_HYST_MIN_US	1000
/* What losing every packet would add to a link's cost (linkstate_link_cost). */
#define LINKSTATE_LOSS_PENALTY_US	100000

struct linkstate_link {
	uint8_t key[LINKSTATE_KEY_LEN];
	uint32_t cost;			/* microseconds */
};

struct linkstate_record {
	uint8_t node[LINKSTATE_KEY_LEN];
	uint64_t seq;
	size_t n;
	struct linkstate_link link[LINKSTATE_MAX_LINKS];
};

struct linkstate_route {
	uint8_t dst[LINKSTATE_KEY_LEN];
	uint8_t hop[LINKSTATE_KEY_LEN];	/* == dst when direct; self for self */
	uint64_t cost;			/* sum of edge costs, microseconds */
	uint32_t hops;			/* 0 for self */
};

/* --- the record's bytes --------------------------------------------------- */

/* Cost of a link measured at rtt_us round trip with loss_ppm parts per
 * million of probes lost: rtt / (1 - loss) + loss * LOSS_PENALTY, so a
 * lossy link costs more than its RTT says; COST_INF - 1 at most. */
uint32_t linkstate_link_cost(uint32_t rtt_us, uint32_t loss_ppm);
/* Sort r's links into canonical order (ascending key). */
void linkstate_record_sort(struct linkstate_record *r);
bool linkstate_record_valid(const struct linkstate_record *r);
/* The length written, or 0 when r is not canonical or out is too short. */
size_t linkstate_encode(const struct linkstate_record *r, uint8_t *out,
    size_t outlen);
/* The length the record at buf says it has (so a caller can split record
 * from signature), or 0 when buf does not start like one. */
size_t linkstate_wire_len(const uint8_t *buf, size_t len);
/* 0 with *r filled, or -EINVAL: len must be exactly the record's length
 * and the record canonical. */
int linkstate_decode(const uint8_t *buf, size_t len,
    struct linkstate_record *r);

/* --- the graph ------------------------------------------------------------ */

struct linkstate;

struct linkstate *linkstate_new(const uint8_t self[static LINKSTATE_KEY_LEN]);
void linkstate_free(struct linkstate *ls);	/* NULL is fine */

/* Keep r as its node's record: 1 when taken, 0 when not newer than the one
 * held, -EINVAL when not canonical, -ENOSPC when the graph is full,
 * -ENOMEM. */
int linkstate_update(struct linkstate *ls, const struct linkstate_record *r);
/* Forget a node's record: 0, or -ENOENT. */
int linkstate_remove(struct linkstate *ls,
    const uint8_t key[static LINKSTATE_KEY_LEN]);
size_t linkstate_count(const struct linkstate *ls);

/* Recompute the paths if the graph changed since: 0 or -ENOMEM.  The
 * route functions call it themselves; call it to choose when it runs. */
int linkstate_compute(struct linkstate *ls);
/* The best route to dst: 0, -ENOENT (no record, or no path), -ENOMEM. */
int linkstate_route(struct linkstate *ls,
    const uint8_t dst[static LINKSTATE_KEY_LEN], struct linkstate_route *r);
/* Every reachable node but self, in key order; the number reported, or
 * -ENOMEM. */
int linkstate_routes(struct linkstate *ls,
    void (*cb)(const struct linkstate_route *r, void *arg), void *arg);
/* Cost of the best path to dst whose first hop is hop (a direct neighbour
 * of self) and that does not come back through self: 0 with *cost, or
 * -ENOENT when there is none, -ENOMEM.  It runs Dijkstra from hop, and
 * keeps the result for one hop until the graph changes: ask about the
 * destinations of one hop together (after a change, those whose best hop
 * moved away from the one in use mostly share it). */
int linkstate_cost_via(struct linkstate *ls,
    const uint8_t hop[static LINKSTATE_KEY_LEN],
    const uint8_t dst[static LINKSTATE_KEY_LEN], uint64_t *cost);

/* The hysteresis rule: move from a path costing cur (UINT64_MAX: gone) to
 * one costing best? */
bool linkstate_should_switch(uint64_t cur, uint64_t best);
/* The route to use to dst given the next hop in use now (NULL: none):
 * the best route, unless cur is still usable and the rule says stay, in
 * which case the route through cur.  0, -ENOENT, -ENOMEM. */
int linkstate_choose(struct linkstate *ls,
    const uint8_t dst[static LINKSTATE_KEY_LEN],
    const uint8_t *cur, struct linkstate_route *r);

/* Graphviz dot of the graph into buf (NUL-terminated, truncated to len):
 * the length the whole text needs, without the NUL, as snprintf.  name()
 * gives a node's label, or NULL for a hex prefix of its key.  Two-way
 * edges are solid, labelled with their cost in ms; links only one side
 * reports are dotted and unlabelled; self is drawn double. */
size_t linkstate_dot(struct linkstate *ls, char *buf, size_t len,
    const char *(*name)(const uint8_t key[LINKSTATE_KEY_LEN], void *arg),
    void *arg);

#endif

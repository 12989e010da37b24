/*
 * The routing graph and its shortest paths: see linkstate.h for the
 * contract.
 *
 * Nodes sit in one array sorted by key, found by binary search; each holds
 * its record's links, also sorted by key, so "does v list u?" is a binary
 * search too.  linkstate_compute() numbers the nodes by their place in the
 * array and builds the usable (two-way) edges into one compressed
 * adjacency array, then runs Dijkstra from self with a binary heap
 * (O((V + E) log V); a thousand nodes with tens of links each is well
 * under a millisecond).  Numbering by key order is what makes the tie
 * breaks deterministic: comparing indices compares keys.
 *
 * Every array is reallocated only when the graph changed, on the control
 * path; nothing here is on the per-packet path.  The costs of a path are
 * summed in 64 bits: 16384 hops of UINT32_MAX cannot overflow them.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkstate.h"

#define NONE		UINT32_MAX
#define DIST_INF	UINT64_MAX

struct node {
	uint8_t key[LINKSTATE_KEY_LEN];
	uint64_t seq;
	size_t n;
	struct linkstate_link *link;	/* n of them, ascending key */
};

struct heap_ent {
	uint64_t d;
	uint32_t i;
};

/* Shortest paths from one source, by node index. */
struct paths {
	uint64_t *dist;
	uint32_t *hop;		/* first hop from the source */
	uint32_t *hops;
};

struct linkstate {
	uint8_t self[LINKSTATE_KEY_LEN];
	struct node **node;		/* ascending key */
	size_t n, cap;
	bool dirty;			/* changed since the last compute */

	/* Built by compute, for the n nodes of that moment. */
	uint32_t *off;			/* n + 1: edges of i at off[i].. */
	uint32_t *to, *cost;		/* the two-way edges, both ways */
	uint8_t *done;
	struct heap_ent *heap;
	size_t heap_len;
	uint32_t self_i;		/* NONE when self has no record */
	struct paths best;		/* from self */
	struct paths via;		/* from via_src, not through self */
	uint32_t via_src;		/* NONE: via holds nothing */
};

/* --- bytes ------------------------------------------------------------------- */

static void
put_le32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static void
put_le64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get_le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static uint64_t
get_le64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static int
keycmp(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, LINKSTATE_KEY_LEN);
}

uint32_t
linkstate_link_cost(uint32_t rtt_us, uint32_t loss_ppm)
{
	uint64_t c;

	if (loss_ppm >= 1000000)
		return LINKSTATE_COST_INF - 1;
	c = (uint64_t)rtt_us * 1000000 / (1000000 - loss_ppm) +
	    (uint64_t)loss_ppm * LINKSTATE_LOSS_PENALTY_US / 1000000;
	return c >= LINKSTATE_COST_INF ? LINKSTATE_COST_INF - 1 : (uint32_t)c;
}

static int
link_order(const void *a, const void *b)
{
	return keycmp(((const struct linkstate_link *)a)->key,
	    ((const struct linkstate_link *)b)->key);
}

void
linkstate_record_sort(struct linkstate_record *r)
{
	if (r->n > 1 && r->n <= LINKSTATE_MAX_LINKS)
		qsort(r->link, r->n, sizeof(r->link[0]), link_order);
}

static bool
links_valid(const uint8_t *node, const struct linkstate_link *l, size_t n)
{
	if (n > LINKSTATE_MAX_LINKS)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (l[i].cost == LINKSTATE_COST_INF ||
		    keycmp(l[i].key, node) == 0 ||
		    (i > 0 && keycmp(l[i - 1].key, l[i].key) >= 0))
			return false;
	}
	return true;
}

bool
linkstate_record_valid(const struct linkstate_record *r)
{
	return links_valid(r->node, r->link, r->n);
}

size_t
linkstate_encode(const struct linkstate_record *r, uint8_t *out,
    size_t outlen)
{
	uint8_t *p = out;

	if (!linkstate_record_valid(r) || outlen < LINKSTATE_WIRE_LEN(r->n))
		return 0;
	*p++ = LINKSTATE_KIND;
	*p++ = LINKSTATE_VERSION;
	memcpy(p, r->node, LINKSTATE_KEY_LEN);
	p += LINKSTATE_KEY_LEN;
	put_le64(p, r->seq);
	p += 8;
	*p++ = (uint8_t)r->n;
	for (size_t i = 0; i < r->n; i++) {
		memcpy(p, r->link[i].key, LINKSTATE_KEY_LEN);
		put_le32(p + LINKSTATE_KEY_LEN, r->link[i].cost);
		p += LINKSTATE_LINK_LEN;
	}
	return (size_t)(p - out);
}

size_t
linkstate_wire_len(const uint8_t *buf, size_t len)
{
	if (len < LINKSTATE_HEAD_LEN || buf[0] != LINKSTATE_KIND ||
	    buf[1] != LINKSTATE_VERSION)
		return 0;
	return LINKSTATE_WIRE_LEN(buf[LINKSTATE_HEAD_LEN - 1]);
}

int
linkstate_decode(const uint8_t *buf, size_t len, struct linkstate_record *r)
{
	const uint8_t *p;
	size_t want = linkstate_wire_len(buf, len);

	if (want == 0 || len != want)
		return -EINVAL;
	memcpy(r->node, buf + 2, LINKSTATE_KEY_LEN);
	r->seq = get_le64(buf + 2 + LINKSTATE_KEY_LEN);
	r->n = buf[LINKSTATE_HEAD_LEN - 1];
	p = buf + LINKSTATE_HEAD_LEN;
	for (size_t i = 0; i < r->n; i++) {
		memcpy(r->link[i].key, p, LINKSTATE_KEY_LEN);
		r->link[i].cost = get_le32(p + LINKSTATE_KEY_LEN);
		p += LINKSTATE_LINK_LEN;
	}
	return linkstate_record_valid(r) ? 0 : -EINVAL;
}

/* --- the node table ---------------------------------------------------------- */

/* The index of key, or where it would go (*found false). */
static size_t
find_pos(const struct linkstate *ls, const uint8_t *key, bool *found)
{
	size_t lo = 0, hi = ls->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = keycmp(ls->node[mid]->key, key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static uint32_t
find(const struct linkstate *ls, const uint8_t *key)
{
	bool found;
	size_t i = find_pos(ls, key, &found);

	return found ? (uint32_t)i : NONE;
}

/* Whether node lists key, and at what cost. */
static bool
lists(const struct node *node, const uint8_t *key, uint32_t *cost)
{
	size_t lo = 0, hi = node->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = keycmp(node->link[mid].key, key);
		if (c == 0) {
			*cost = node->link[mid].cost;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

struct linkstate *
linkstate_new(const uint8_t self[static LINKSTATE_KEY_LEN])
{
	struct linkstate *ls = calloc(1, sizeof(*ls));

	if (ls == NULL)
		return NULL;
	memcpy(ls->self, self, LINKSTATE_KEY_LEN);
	ls->dirty = true;
	ls->self_i = NONE;
	ls->via_src = NONE;
	return ls;
}

static void
paths_free(struct paths *p)
{
	free(p->dist);
	free(p->hop);
	free(p->hops);
}

void
linkstate_free(struct linkstate *ls)
{
	if (ls == NULL)
		return;
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->node[i]->link);
		free(ls->node[i]);
	}
	free(ls->node);
	free(ls->off);
	free(ls->to);
	free(ls->cost);
	free(ls->done);
	free(ls->heap);
	paths_free(&ls->best);
	paths_free(&ls->via);
	free(ls);
}

size_t
linkstate_count(const struct linkstate *ls)
{
	return ls->n;
}

int
linkstate_update(struct linkstate *ls, const struct linkstate_record *r)
{
	struct linkstate_link *link;
	struct node *node, **grown;
	bool found;
	size_t i, cap;

	if (!linkstate_record_valid(r))
		return -EINVAL;
	i = find_pos(ls, r->node, &found);
	if (found && r->seq <= ls->node[i]->seq)
		return 0;
	if (!found && ls->n >= LINKSTATE_MAX_NODES)
		return -ENOSPC;
	link = malloc((r->n ? r->n : 1) * sizeof(*link));
	if (link == NULL)
		return -ENOMEM;
	memcpy(link, r->link, r->n * sizeof(*link));
	if (found) {
		node = ls->node[i];
		free(node->link);
	} else {
		if (ls->n == ls->cap) {
			cap = ls->cap ? 2 * ls->cap : 16;
			grown = realloc(ls->node, cap * sizeof(*grown));
			if (grown == NULL)
				goto nomem;
			ls->node = grown;
			ls->cap = cap;
		}
		node = calloc(1, sizeof(*node));
		if (node == NULL)
			goto nomem;
		memcpy(node->key, r->node, LINKSTATE_KEY_LEN);
		memmove(ls->node + i + 1, ls->node + i,
		    (ls->n - i) * sizeof(*ls->node));
		ls->node[i] = node;
		ls->n++;
	}
	node->seq = r->seq;
	node->n = r->n;
	node->link = link;
	ls->dirty = true;
	return 1;
nomem:
	free(link);
	return -ENOMEM;
}

int
linkstate_remove(struct linkstate *ls,
    const uint8_t key[static LINKSTATE_KEY_LEN])
{
	bool found;
	size_t i = find_pos(ls, key, &found);

	if (!found)
		return -ENOENT;
	free(ls->node[i]->link);
	free(ls->node[i]);
	memmove(ls->node + i, ls->node + i + 1,
	    (ls->n - i - 1) * sizeof(*ls->node));
	ls->n--;
	ls->dirty = true;
	return 0;
}

/* --- shortest paths ---------------------------------------------------------- */

static bool
heap_less(const struct heap_ent *a, const struct heap_ent *b)
{
	return a->d < b->d || (a->d == b->d && a->i < b->i);
}

static void
heap_push(struct linkstate *ls, uint64_t d, uint32_t i)
{
	struct heap_ent e = { d, i }, *h = ls->heap;
	size_t k = ls->heap_len++, parent;

	while (k > 0) {
		parent = (k - 1) / 2;
		if (!heap_less(&e, &h[parent]))
			break;
		h[k] = h[parent];
		k = parent;
	}
	h[k] = e;
}

static bool
heap_pop(struct linkstate *ls, struct heap_ent *out)
{
	struct heap_ent *h = ls->heap, last;
	size_t k = 0, c, n;

	if (ls->heap_len == 0)
		return false;
	*out = h[0];
	last = h[--ls->heap_len];
	n = ls->heap_len;
	while ((c = 2 * k + 1) < n) {
		if (c + 1 < n && heap_less(&h[c + 1], &h[c]))
			c++;
		if (!heap_less(&h[c], &last))
			break;
		h[k] = h[c];
		k = c;
	}
	if (n > 0)
		h[k] = last;
	return true;
}

/* Dijkstra from src, never entering skip (NONE: none).  Among equal
 * costs the smaller first hop, then the fewer hops: all of v's
 * predecessors on shortest paths are final before v (edge costs are at
 * least 1), so the choice does not depend on the order of the heap. */
static void
dijkstra(struct linkstate *ls, uint32_t src, uint32_t skip, struct paths *p)
{
	struct heap_ent e;
	uint64_t nd;
	uint32_t u, v, nh, nhops;

	for (size_t i = 0; i < ls->n; i++) {
		p->dist[i] = DIST_INF;
		p->hop[i] = NONE;
		p->hops[i] = 0;
		ls->done[i] = 0;
	}
	ls->heap_len = 0;
	p->dist[src] = 0;
	p->hop[src] = src;
	heap_push(ls, 0, src);
	while (heap_pop(ls, &e)) {
		u = e.i;
		if (ls->done[u] || e.d != p->dist[u])
			continue;
		ls->done[u] = 1;
		for (uint32_t k = ls->off[u]; k < ls->off[u + 1]; k++) {
			v = ls->to[k];
			if (v == skip || ls->done[v])
				continue;
			nd = e.d + ls->cost[k];
			nh = u == src ? v : p->hop[u];
			nhops = p->hops[u] + 1;
			if (nd < p->dist[v]) {
				p->dist[v] = nd;
				p->hop[v] = nh;
				p->hops[v] = nhops;
				heap_push(ls, nd, v);
			} else if (nd == p->dist[v] && (nh < p->hop[v] ||
			    (nh == p->hop[v] && nhops < p->hops[v]))) {
				p->hop[v] = nh;
				p->hops[v] = nhops;
			}
		}
	}
}

/* realloc p to n elements (at least one); false, p untouched, on failure. */
#define RESIZE(p, n) \
	((tmp = realloc((p), ((n) ? (n) : 1) * sizeof(*(p)))) != NULL ? \
	    ((p) = tmp, true) : false)

static bool
paths_resize(struct paths *p, size_t n)
{
	void *tmp;

	return RESIZE(p->dist, n) && RESIZE(p->hop, n) && RESIZE(p->hops, n);
}

/* The cost of the two-way edge u-v, or LINKSTATE_COST_INF. */
static uint32_t
edge_cost(const struct linkstate *ls, uint32_t u, const struct linkstate_link *l,
    uint32_t *v)
{
	uint32_t back;

	*v = find(ls, l->key);
	if (*v == NONE || !lists(ls->node[*v], ls->node[u]->key, &back))
		return LINKSTATE_COST_INF;
	back = back > l->cost ? back : l->cost;
	return back ? back : 1;
}

int
linkstate_compute(struct linkstate *ls)
{
	size_t n = ls->n, e = 0;
	uint32_t u, v, c;
	void *tmp;

	if (!ls->dirty)
		return 0;
	for (u = 0; u < n; u++)
		for (size_t k = 0; k < ls->node[u]->n; k++)
			if (edge_cost(ls, u, &ls->node[u]->link[k], &v) !=
			    LINKSTATE_COST_INF)
				e++;
	if (!RESIZE(ls->off, n + 1) || !RESIZE(ls->to, e) ||
	    !RESIZE(ls->cost, e) || !RESIZE(ls->done, n) ||
	    !RESIZE(ls->heap, e + 1) ||
	    !paths_resize(&ls->best, n) || !paths_resize(&ls->via, n))
		return -ENOMEM;
	e = 0;
	for (u = 0; u < n; u++) {
		ls->off[u] = (uint32_t)e;
		for (size_t k = 0; k < ls->node[u]->n; k++) {
			c = edge_cost(ls, u, &ls->node[u]->link[k], &v);
			if (c == LINKSTATE_COST_INF)
				continue;
			ls->to[e] = v;
			ls->cost[e] = c;
			e++;
		}
	}
	ls->off[n] = (uint32_t)e;
	ls->self_i = find(ls, ls->self);
	if (ls->self_i != NONE)
		dijkstra(ls, ls->self_i, NONE, &ls->best);
	ls->via_src = NONE;
	ls->dirty = false;
	return 0;
}

static void
fill_route(const struct linkstate *ls, uint32_t d, uint32_t hop,
    uint64_t cost, uint32_t hops, struct linkstate_route *r)
{
	memcpy(r->dst, ls->node[d]->key, LINKSTATE_KEY_LEN);
	memcpy(r->hop, ls->node[hop]->key, LINKSTATE_KEY_LEN);
	r->cost = cost;
	r->hops = hops;
}

int
linkstate_route(struct linkstate *ls,
    const uint8_t dst[static LINKSTATE_KEY_LEN], struct linkstate_route *r)
{
	uint32_t d;
	int rc = linkstate_compute(ls);

	if (rc != 0)
		return rc;
	d = find(ls, dst);
	if (d == NONE || ls->self_i == NONE || ls->best.dist[d] == DIST_INF)
		return -ENOENT;
	fill_route(ls, d, ls->best.hop[d], ls->best.dist[d], ls->best.hops[d],
	    r);
	return 0;
}

int
linkstate_routes(struct linkstate *ls,
    void (*cb)(const struct linkstate_route *r, void *arg), void *arg)
{
	struct linkstate_route r;
	int rc = linkstate_compute(ls), count = 0;

	if (rc != 0)
		return rc;
	if (ls->self_i == NONE)
		return 0;
	for (uint32_t d = 0; d < ls->n; d++) {
		if (d == ls->self_i || ls->best.dist[d] == DIST_INF)
			continue;
		fill_route(ls, d, ls->best.hop[d], ls->best.dist[d],
		    ls->best.hops[d], &r);
		cb(&r, arg);
		count++;
	}
	return count;
}

/* The cost of self's two-way edge to h, or LINKSTATE_COST_INF. */
static uint32_t
self_edge(const struct linkstate *ls, uint32_t h)
{
	uint32_t s = ls->self_i;

	for (uint32_t k = ls->off[s]; k < ls->off[s + 1]; k++)
		if (ls->to[k] == h)
			return ls->cost[k];
	return LINKSTATE_COST_INF;
}

/* Paths from hop h, avoiding self, into ls->via: the edge self-h, or
 * LINKSTATE_COST_INF when it does not exist. */
static uint32_t
via(struct linkstate *ls, uint32_t h)
{
	uint32_t c;

	if (ls->self_i == NONE || h == NONE || h == ls->self_i)
		return LINKSTATE_COST_INF;
	c = self_edge(ls, h);
	if (c != LINKSTATE_COST_INF && ls->via_src != h) {
		dijkstra(ls, h, ls->self_i, &ls->via);
		ls->via_src = h;
	}
	return c;
}

int
linkstate_cost_via(struct linkstate *ls,
    const uint8_t hop[static LINKSTATE_KEY_LEN],
    const uint8_t dst[static LINKSTATE_KEY_LEN], uint64_t *cost)
{
	uint32_t c, d;
	int rc = linkstate_compute(ls);

	if (rc != 0)
		return rc;
	c = via(ls, find(ls, hop));
	d = find(ls, dst);
	if (c == LINKSTATE_COST_INF || d == NONE || d == ls->self_i ||
	    ls->via.dist[d] == DIST_INF)
		return -ENOENT;
	*cost = c + ls->via.dist[d];
	return 0;
}

bool
linkstate_should_switch(uint64_t cur, uint64_t best)
{
	uint64_t margin;

	if (cur == UINT64_MAX)
		return true;
	if (best >= cur)
		return false;
	margin = cur / 100 * LINKSTATE_HYST_PERCENT +
	    cur % 100 * LINKSTATE_HYST_PERCENT / 100;
	if (margin < LINKSTATE_HYST_MIN_US)
		margin = LINKSTATE_HYST_MIN_US;
	return cur - best > margin;
}

int
linkstate_choose(struct linkstate *ls,
    const uint8_t dst[static LINKSTATE_KEY_LEN],
    const uint8_t *cur, struct linkstate_route *r)
{
	uint64_t cost;
	uint32_t h, d;
	int rc = linkstate_route(ls, dst, r);

	if (rc != 0 || cur == NULL || keycmp(cur, r->hop) == 0)
		return rc;
	/* The hop in use is gone, or reaches dst no more, or is no closer
	 * to it than we are: take the best.  (Held only while strictly
	 * closer: two nodes holding each other within the margin would be
	 * a loop, and a hop closer to dst at every step cannot make one.) */
	if (linkstate_cost_via(ls, cur, dst, &cost) != 0 ||
	    linkstate_should_switch(cost, r->cost))
		return 0;
	h = find(ls, cur);
	d = find(ls, dst);
	if (ls->via.dist[d] >= r->cost)
		return 0;
	fill_route(ls, d, h, cost, ls->via.hops[d] + 1, r);
	return 0;
}

/* --- dot --------------------------------------------------------------------- */

struct out {
	char *buf;
	size_t len, used;
};

static void __attribute__((format(printf, 2, 3)))
emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->used < o->len ? o->len - o->used : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static void
emit_id(struct out *o, const uint8_t *key)
{
	emit(o, "\"");
	for (size_t i = 0; i < LINKSTATE_KEY_LEN; i++)
		emit(o, "%02x", key[i]);
	emit(o, "\"");
}

/* A label as a dot string: quotes and backslashes escaped, control
 * characters replaced, so no name can break out of it. */
static void
emit_label(struct out *o, const char *s)
{
	emit(o, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			emit(o, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			emit(o, "?");
		else
			emit(o, "%c", *s);
	}
	emit(o, "\"");
}

size_t
linkstate_dot(struct linkstate *ls, char *buf, size_t len,
    const char *(*name)(const uint8_t key[LINKSTATE_KEY_LEN], void *arg),
    void *arg)
{
	struct out o = { buf, len, 0 };
	const struct node *u;
	const char *label;
	char hex[17];
	uint32_t back, v, c;

	if (len > 0)
		buf[0] = '\0';
	emit(&o, "graph mesh {\n\tnode [shape=ellipse];\n");
	for (size_t i = 0; i < ls->n; i++) {
		u = ls->node[i];
		label = name ? name(u->key, arg) : NULL;
		if (label == NULL) {
			for (int k = 0; k < 8; k++)
				snprintf(hex + 2 * k, 3, "%02x", u->key[k]);
			label = hex;
		}
		emit(&o, "\t");
		emit_id(&o, u->key);
		emit(&o, " [label=");
		emit_label(&o, label);
		emit(&o, "%s];\n", keycmp(u->key, ls->self) == 0 ?
		    ", peripheries=2" : "");
	}
	for (uint32_t i = 0; i < ls->n; i++) {
		u = ls->node[i];
		for (size_t k = 0; k < u->n; k++) {
			v = find(ls, u->link[k].key);
			if (v == NONE)
				continue;
			if (lists(ls->node[v], u->key, &back)) {
				/* Two-way: once, from the smaller key. */
				if (v < i)
					continue;
				c = edge_cost(ls, i, &u->link[k], &v);
				emit(&o, "\t");
				emit_id(&o, u->key);
				emit(&o, " -- ");
				emit_id(&o, ls->node[v]->key);
				emit(&o, " [label=\"%" PRIu32 ".%03" PRIu32
				    " ms\"];\n", c / 1000, c % 1000);
			} else {
				emit(&o, "\t");
				emit_id(&o, u->key);
				emit(&o, " -- ");
				emit_id(&o, ls->node[v]->key);
				emit(&o, " [style=dotted];\n");
			}
		}
	}
	emit(&o, "}\n");
	return o.used;
}

/*
 * The one peer table: every key this node has a session with or wants one
 * with, members and joiners alike.  A vector for iteration (the order is
 * of no meaning; a drop moves the last entry into the hole) and a chained
 * hash on the first bytes of the key, which are uniformly random, for
 * lookups.  Nothing here looks at a session or a packet.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node-int.h"
#include "session.h"

static size_t
bucket(const struct node *n, const uint8_t pk[static 32])
{
	uint64_t h;

	memcpy(&h, pk, sizeof(h));
	return (size_t)h & n->hmask;
}

struct peer *
peer_find(const struct node *n, const uint8_t pk[static 32])
{
	if (n->hash == NULL)
		return NULL;
	for (struct peer *p = n->hash[bucket(n, pk)]; p != NULL; p = p->hnext)
		if (memcmp(p->pk, pk, MESH_KEY_LEN) == 0)
			return p;
	return NULL;
}

/* Twice as many buckets, at a load of one. */
static int
grow(struct node *n)
{
	size_t cap = n->cap ? n->cap * 2 : 16;
	struct peer **v = realloc(n->peers, cap * sizeof(*v));
	struct peer **h;

	if (v == NULL)
		return -ENOMEM;
	n->peers = v;
	if ((h = calloc(cap, sizeof(*h))) == NULL)
		return -ENOMEM;
	free(n->hash);
	n->hash = h;
	n->hmask = cap - 1;
	n->cap = cap;
	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];
		size_t b = bucket(n, p->pk);
		p->hnext = h[b];
		h[b] = p;
	}
	return 0;
}

struct peer *
peer_get(struct node *n, const uint8_t pk[static 32])
{
	struct peer *p = peer_find(n, pk);
	size_t b;

	if (p != NULL)
		return p;
	if (n->npeers == n->cap && grow(n) < 0)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	memcpy(p->pk, pk, MESH_KEY_LEN);
	p->backoff = NODE_BACKOFF_MIN_MS;
	p->shown = MEMBER_DEAD;		/* never heard: its first word is news */
	p->slot = n->npeers;
	n->peers[n->npeers++] = p;
	b = bucket(n, pk);
	p->hnext = n->hash[b];
	n->hash[b] = p;
	return p;
}

void
peer_drop(struct node *n, struct peer *p)
{
	struct peer **pp = &n->hash[bucket(n, p->pk)];

	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	n->peers[p->slot] = n->peers[--n->npeers];
	n->peers[p->slot]->slot = p->slot;
	if (p->s != NULL)
		session_free(p->s);
	free(p);
}

size_t
peer_joiners(const struct node *n)
{
	size_t k = 0;

	for (size_t i = 0; i < n->npeers; i++)
		k += n->peers[i]->joiner && !n->peers[i]->evicted;
	return k;
}

void
peers_free_all(struct node *n)
{
	while (n->npeers > 0)
		peer_drop(n, n->peers[0]);
	free(n->peers);
	free(n->hash);
	n->peers = n->hash = NULL;
	n->cap = n->npeers = 0;
}

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sodium.h>

#include "store.h"

#define EMPTY UINT32_MAX

struct index {
	uint32_t *slot;		/* record numbers, EMPTY when free */
	size_t mask;		/* slots - 1, a power of two minus one */
};

struct store {
	struct store_rec *src[SRC_MAX];	/* records as given, per source */
	size_t nsrc[SRC_MAX];
	struct store_rec *rec;		/* merged, sorted by name */
	size_t nrec;
	struct index by_name;
	struct index by_addr;
	/* SipHash key: lookup keys come from any local user, so the table
	 * layout must not be predictable. */
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

static uint64_t
hash(const struct store *s, const void *p, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, p, len, s->hkey);
	memcpy(&h, out, sizeof(h));
	return h;
}

struct store *
store_new(void)
{
	struct store *s;

	if (sodium_init() < 0)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	crypto_shorthash_keygen(s->hkey);
	return s;
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < SRC_MAX; i++)
		free(s->src[i]);
	free(s->rec);
	free(s->by_name.slot);
	free(s->by_addr.slot);
	free(s);
}

static int
rank(enum store_source src)
{
	return src == SRC_SELF ? 0 : src == SRC_PEER ? 1 : 2;
}

static int
cmp_rec(const void *a, const void *b)
{
	const struct store_rec *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : rank(x->source) - rank(y->source);
}

/* Address keys are family byte + address bytes. */
static size_t
addr_key(uint8_t key[17], int family, const uint8_t *addr)
{
	key[0] = (uint8_t)family;
	memcpy(key + 1, addr, family == AF_INET ? 4 : 16);
	return family == AF_INET ? 5 : 17;
}

static int
index_alloc(struct index *ix, size_t n)
{
	size_t slots = 16;

	while (slots < n * 2)
		slots *= 2;
	ix->slot = malloc(slots * sizeof(*ix->slot));
	if (ix->slot == NULL)
		return -ENOMEM;
	memset(ix->slot, 0xff, slots * sizeof(*ix->slot));
	ix->mask = slots - 1;
	return 0;
}

static void
index_put(struct index *ix, uint64_t h, uint32_t recno)
{
	size_t i = (size_t)h & ix->mask;

	while (ix->slot[i] != EMPTY)
		i = (i + 1) & ix->mask;
	ix->slot[i] = recno;
}

static int
rebuild(struct store *s, size_t *shadowed)
{
	struct index by_name = { 0 }, by_addr = { 0 };
	struct store_rec *rec;
	size_t total = 0, n = 0, naddr = 0;

	for (int i = 0; i < SRC_MAX; i++)
		total += s->nsrc[i];
	rec = malloc((total ? total : 1) * sizeof(*rec));
	if (rec == NULL)
		return -ENOMEM;
	for (int i = 0; i < SRC_MAX; i++) {
		/* An empty source has src[i] == NULL, and memcpy from NULL is
		 * undefined even for 0 bytes. */
		if (s->nsrc[i] == 0)
			continue;
		memcpy(rec + n, s->src[i], s->nsrc[i] * sizeof(*rec));
		n += s->nsrc[i];
	}
	qsort(rec, n, sizeof(*rec), cmp_rec);
	/* Keep the first (best ranked) record of each name. */
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && strcmp(rec[out - 1].name, rec[i].name) == 0) {
			(*shadowed)++;
			continue;
		}
		rec[out++] = rec[i];
		naddr += rec[i].n4 + rec[i].n6;
	}
	n = out;
	if (index_alloc(&by_name, n) < 0 || index_alloc(&by_addr, naddr) < 0) {
		free(by_name.slot);
		free(rec);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t key[17];
		index_put(&by_name, hash(s, rec[i].name, rec[i].name_len),
		    (uint32_t)i);
		/* An address claimed by two names answers with the name
		 * first in order: probing finds the earlier entry first. */
		for (size_t a = 0; a < rec[i].n4; a++)
			index_put(&by_addr, hash(s, key,
			    addr_key(key, AF_INET, rec[i].addr4[a])), (uint32_t)i);
		for (size_t a = 0; a < rec[i].n6; a++)
			index_put(&by_addr, hash(s, key,
			    addr_key(key, AF_INET6, rec[i].addr6[a])), (uint32_t)i);
	}
	free(s->rec);
	free(s->by_name.slot);
	free(s->by_addr.slot);
	s->rec = rec;
	s->nrec = n;
	s->by_name = by_name;
	s->by_addr = by_addr;
	return 0;
}

int
store_replace(struct store *s, enum store_source src,
    const struct store_rec *recs, size_t n, size_t *shadowed)
{
	struct store_rec *copy = NULL, *old = s->src[src];
	size_t oldn = s->nsrc[src], dummy = 0;

	if (n > 0) {
		if ((copy = malloc(n * sizeof(*copy))) == NULL)
			return -ENOMEM;
		memcpy(copy, recs, n * sizeof(*copy));
		for (size_t i = 0; i < n; i++)
			copy[i].source = src;
	}
	s->src[src] = copy;
	s->nsrc[src] = n;
	if (rebuild(s, shadowed ? shadowed : &dummy) < 0) {
		s->src[src] = old;
		s->nsrc[src] = oldn;
		free(copy);
		return -ENOMEM;
	}
	free(old);
	return 0;
}

const struct store_rec *
store_by_name(const struct store *s, const char *canon, size_t len)
{
	size_t i;

	if (s->by_name.slot == NULL)
		return NULL;
	for (i = (size_t)hash(s, canon, len) & s->by_name.mask;
	    s->by_name.slot[i] != EMPTY; i = (i + 1) & s->by_name.mask) {
		const struct store_rec *r = &s->rec[s->by_name.slot[i]];
		if (r->name_len == len && memcmp(r->name, canon, len) == 0)
			return r;
	}
	return NULL;
}

const struct store_rec *
store_by_addr(const struct store *s, int family, const uint8_t *addr)
{
	uint8_t key[17];
	size_t klen, alen = family == AF_INET ? 4 : 16, i;

	if (s->by_addr.slot == NULL || (family != AF_INET && family != AF_INET6))
		return NULL;
	klen = addr_key(key, family, addr);
	for (i = (size_t)hash(s, key, klen) & s->by_addr.mask;
	    s->by_addr.slot[i] != EMPTY; i = (i + 1) & s->by_addr.mask) {
		const struct store_rec *r = &s->rec[s->by_addr.slot[i]];
		size_t n = family == AF_INET ? r->n4 : r->n6;
		for (size_t a = 0; a < n; a++)
			if (memcmp(family == AF_INET ? r->addr4[a] : r->addr6[a],
			    addr, alen) == 0)
				return r;
	}
	return NULL;
}

size_t
store_count(const struct store *s)
{
	return s->nrec;
}

const struct store_rec *
store_at(const struct store *s, size_t i)
{
	return i < s->nrec ? &s->rec[i] : NULL;
}

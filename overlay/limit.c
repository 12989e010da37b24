#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "limit.h"

#define WAYS 4
#define MILLI 1000		/* tokens are kept in thousandths */

struct rl_bucket {
	uint64_t tag;			/* SipHash of the key | 1; 0: free */
	uint64_t last;			/* now of the last refill */
	uint64_t tokens;		/* thousandths of an initiation */
};

struct seen_entry {
	uint8_t mac1[WIRE_MAC_LEN];
	uint8_t used;
};

/* Sets are allocated WAYS entries at a time, plus one round-robin byte
 * per set for the seen set. */
static size_t
sets_for(size_t slots)
{
	size_t n = 1;

	while (n * WAYS < slots)
		n *= 2;
	return n;
}

static uint64_t
siphash(const uint8_t key[static 16], const uint8_t *in, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(out, in, len, key);
	for (int i = 0; i < 8; i++)
		v = v << 8 | out[i];
	return v;
}

int
ratelimit_init(struct ratelimit *rl, size_t slots)
{
	rl->nsets = sets_for(slots);
	rl->v = calloc(rl->nsets * WAYS, sizeof(*rl->v));
	if (rl->v == NULL)
		return -ENOMEM;
	randombytes_buf(rl->key, sizeof(rl->key));
	return 0;
}

void
ratelimit_free(struct ratelimit *rl)
{
	free(rl->v);
	rl->v = NULL;
}

bool
ratelimit_allow(struct ratelimit *rl, uint64_t now, const uint8_t *key,
    size_t keylen, uint32_t rate, uint32_t burst)
{
	uint64_t h = siphash(rl->key, key, keylen), tag = h | 1, cap;
	struct rl_bucket *set = rl->v + (h >> 8 & (rl->nsets - 1)) * WAYS;
	struct rl_bucket *b = NULL, *lru = &set[0];

	for (int i = 0; i < WAYS && b == NULL; i++) {
		if (set[i].tag == tag)
			b = &set[i];
		else if (set[i].tag == 0) {
			if (lru->tag != 0)
				lru = &set[i];		/* a free one first */
		} else if (lru->tag != 0 && set[i].last < lru->last)
			lru = &set[i];
	}
	cap = (uint64_t)burst * MILLI;
	if (b == NULL) {
		b = lru;
		b->tag = tag;
		b->last = now;
		b->tokens = cap;
	} else if (now > b->last) {
		uint64_t add = (now - b->last) * rate;	/* ms x per s */

		b->tokens = add >= cap - b->tokens ? cap : b->tokens + add;
		b->last = now;
	}
	if (b->tokens < MILLI)
		return false;
	b->tokens -= MILLI;
	return true;
}

int
seen_init(struct seen_set *s, size_t slots)
{
	s->nsets = sets_for(slots);
	s->v = calloc(s->nsets * (WAYS + 1), sizeof(*s->v));
	if (s->v == NULL)
		return -ENOMEM;
	randombytes_buf(s->key, sizeof(s->key));
	return 0;
}

void
seen_free(struct seen_set *s)
{
	free(s->v);
	s->v = NULL;
}

/* A set is WAYS entries and one more whose used byte is the next victim. */
static struct seen_entry *
seen_set_of(const struct seen_set *s, const uint8_t mac1[static WIRE_MAC_LEN])
{
	uint64_t h = siphash(s->key, mac1, WIRE_MAC_LEN);

	return s->v + (h & (s->nsets - 1)) * (WAYS + 1);
}

bool
seen_has(const struct seen_set *s, const uint8_t mac1[static WIRE_MAC_LEN])
{
	const struct seen_entry *set = seen_set_of(s, mac1);

	for (int i = 0; i < WAYS; i++)
		if (set[i].used && memcmp(set[i].mac1, mac1, WIRE_MAC_LEN) == 0)
			return true;
	return false;
}

void
seen_add(struct seen_set *s, const uint8_t mac1[static WIRE_MAC_LEN])
{
	struct seen_entry *set = seen_set_of(s, mac1), *e;

	if (seen_has(s, mac1))
		return;
	e = &set[set[WAYS].used % WAYS];
	set[WAYS].used = (uint8_t)((set[WAYS].used + 1) % WAYS);
	memcpy(e->mac1, mac1, WIRE_MAC_LEN);
	e->used = 1;
}

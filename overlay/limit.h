/*
 * Two bounded, O(1) tables that keep handshake floods cheap
 * (overlay/dispatch.c says where each is consulted):
 *
 * - ratelimit: a token bucket per key (a source prefix or address, as
 *   bytes).  Buckets sit in a 4-way set-associative table of fixed size
 *   indexed by a keyed SipHash of the key, so an attacker cannot aim its
 *   keys at one set; a new key takes the least recently used of its set's
 *   four buckets (and starts full: forgetting a bucket can only be
 *   generous, never refuse a stranger).
 * - seen: the mac1s of initiations already refused or consumed.  mac1 is
 *   a BLAKE2b of the whole initiation before its tail, checked before we
 *   get here, so it names the initiation (ephemeral, encrypted static and
 *   timestamp): a replayed copy costs the one hash every packet pays plus
 *   a SipHash, and no DH.  Same layout, oldest entry of a set replaced.
 *
 * Neither holds secrets but their SipHash keys.
 */
#ifndef MESH_LIMIT_H
#define MESH_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/wire.h"

struct rl_bucket;
struct seen_entry;

struct ratelimit {
	uint8_t key[16];		/* SipHash */
	struct rl_bucket *v;
	size_t nsets;			/* power of two; 4 buckets each */
};

struct seen_set {
	uint8_t key[16];
	struct seen_entry *v;
	size_t nsets;
};

/* slots: at least 4, rounded to a power of two.  0 or -ENOMEM. */
int ratelimit_init(struct ratelimit *rl, size_t slots);
void ratelimit_free(struct ratelimit *rl);
/* Take one token from key's bucket (rate per second, up to burst): false
 * when there is none. */
bool ratelimit_allow(struct ratelimit *rl, uint64_t now, const uint8_t *key,
    size_t keylen, uint32_t rate, uint32_t burst);

int seen_init(struct seen_set *s, size_t slots);
void seen_free(struct seen_set *s);
bool seen_has(const struct seen_set *s, const uint8_t mac1[static WIRE_MAC_LEN]);
void seen_add(struct seen_set *s, const uint8_t mac1[static WIRE_MAC_LEN]);

#endif

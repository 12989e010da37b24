/*
 * The receiver-index hash: local index (the 32-bit number a peer puts in
 * the receiver field of responses, cookie replies and transport packets)
 * to the session that chose it.  Open addressing with linear probing and
 * backward-shift deletion (no tombstones), kept at most half full, so a
 * lookup is O(1) whatever the packet says.  Indexes are random, and the
 * slot is a multiply by a random odd salt, so no peer can pick where its
 * guesses land.  The caller reserves room (index_map_reserve) before it
 * can need it, so index_map_put never allocates.
 */
#ifndef MESH_INDEX_H
#define MESH_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct index_ent {
	uint32_t idx;			/* 0: empty (no index is 0) */
	void *p;
};

struct index_map {
	struct index_ent *v;
	size_t cap;			/* power of two, or 0 */
	size_t n;
	uint32_t salt;			/* odd */
};

/* Room for n entries at most half full: 0 or -ENOMEM. */
int index_map_reserve(struct index_map *m, size_t n);
void index_map_free(struct index_map *m);
void *index_map_get(const struct index_map *m, uint32_t idx);
/* idx must be free; aborts when no room was reserved (a caller bug). */
void index_map_put(struct index_map *m, uint32_t idx, void *p);
/* Remove idx if it maps to p. */
void index_map_del(struct index_map *m, uint32_t idx, const void *p);

#endif

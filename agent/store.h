/*
 * The record store: every name meshd answers for.  Records come from
 * sources (this node, static host lines, later the overlay's peers); a
 * source's records are replaced as a whole and the lookup index is rebuilt,
 * so lookups (the hot path) read a settled table and never the network.
 */
#ifndef MESH_STORE_H
#define MESH_STORE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "mesh/nss_wire.h"

enum store_source { SRC_SELF = 0, SRC_STATIC = 1, SRC_PEER = 2, SRC_MAX };

struct store_rec {
	char name[MESH_NAME_MAX + 1];	/* canonical "label.mesh" */
	uint16_t name_len;
	uint16_t n4, n6;
	uint8_t addr4[MESH_ADDR4_MAX][4];
	uint8_t addr6[MESH_ADDR6_MAX][16];
	uint32_t ttl;
	enum store_source source;
	bool stale;			/* the member's record has expired */
};

struct store;

struct store *store_new(void);
void store_free(struct store *s);

/* Replace every record of src by recs[0..n).  A name held by a source of
 * higher rank (SELF > PEER > STATIC) keeps that record; the loser is
 * counted in *shadowed.  0 or -ENOMEM (the store is then unchanged). */
int store_replace(struct store *s, enum store_source src,
    const struct store_rec *recs, size_t n, size_t *shadowed);

const struct store_rec *store_by_name(const struct store *s, const char *canon,
    size_t len);
const struct store_rec *store_by_addr(const struct store *s, int family,
    const uint8_t *addr);

size_t store_count(const struct store *s);
/* Records in name order, for listings; i < store_count(). */
const struct store_rec *store_at(const struct store *s, size_t i);

#endif

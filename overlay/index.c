#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sodium.h>

#include "index.h"

static size_t
slot(const struct index_map *m, uint32_t idx)
{
	uint32_t x = idx * m->salt;

	x ^= x >> 16;
	return (size_t)x & (m->cap - 1);
}

static void
insert(struct index_map *m, uint32_t idx, void *p)
{
	size_t i = slot(m, idx);

	while (m->v[i].idx != 0)
		i = (i + 1) & (m->cap - 1);
	m->v[i].idx = idx;
	m->v[i].p = p;
	m->n++;
}

int
index_map_reserve(struct index_map *m, size_t n)
{
	struct index_ent *old = m->v;
	size_t oldcap = m->cap, cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	if (cap <= m->cap)
		return 0;
	if ((m->v = calloc(cap, sizeof(*m->v))) == NULL) {
		m->v = old;
		return -ENOMEM;
	}
	if (m->salt == 0)
		m->salt = randombytes_random() | 1;
	m->cap = cap;
	m->n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].idx != 0)
			insert(m, old[i].idx, old[i].p);
	free(old);
	return 0;
}

void
index_map_free(struct index_map *m)
{
	free(m->v);
	m->v = NULL;
	m->cap = m->n = 0;
}

void *
index_map_get(const struct index_map *m, uint32_t idx)
{
	if (m->cap == 0 || idx == 0)
		return NULL;
	for (size_t i = slot(m, idx); m->v[i].idx != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->v[i].idx == idx)
			return m->v[i].p;
	return NULL;
}

void
index_map_put(struct index_map *m, uint32_t idx, void *p)
{
	if (idx == 0 || 2 * (m->n + 1) > m->cap)
		abort();	/* not reserved: a caller bug */
	insert(m, idx, p);
}

void
index_map_del(struct index_map *m, uint32_t idx, const void *p)
{
	size_t i, j, k, mask = m->cap - 1;

	if (m->cap == 0 || idx == 0)
		return;
	for (i = slot(m, idx); m->v[i].idx != idx; i = (i + 1) & mask)
		if (m->v[i].idx == 0)
			return;
	if (m->v[i].p != p)
		return;
	/* Backward shift: move up every later entry of the run that may
	 * sit in the hole (its home is not cyclically in (i, j]). */
	m->v[i].idx = 0;
	m->v[i].p = NULL;
	m->n--;
	for (j = (i + 1) & mask; m->v[j].idx != 0; j = (j + 1) & mask) {
		k = slot(m, m->v[j].idx);
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && (k <= i && k > j))) {
			m->v[i] = m->v[j];
			m->v[j].idx = 0;
			m->v[j].p = NULL;
			i = j;
		}
	}
}

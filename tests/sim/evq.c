/*
 * Binary min-heap over (at, seq): see evq.h.
 */
#include "config.h"

#include <stdlib.h>

#include "evq.h"

static bool
before(const struct evq_ent *a, const struct evq_ent *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void
swap(struct evq_ent *a, struct evq_ent *b)
{
	struct evq_ent t = *a;

	*a = *b;
	*b = t;
}

void
evq_push(struct evq *q, uint64_t at, void *item)
{
	size_t i;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		struct evq_ent *v = realloc(q->v, cap * sizeof(*v));

		if (v == NULL)
			abort();
		q->v = v;
		q->cap = cap;
	}
	i = q->n++;
	q->v[i] = (struct evq_ent){ .at = at, .seq = q->seq++, .item = item };
	while (i > 0 && before(&q->v[i], &q->v[(i - 1) / 2])) {
		swap(&q->v[i], &q->v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

bool
evq_pop(struct evq *q, uint64_t *at, void **item)
{
	size_t i = 0;

	if (q->n == 0)
		return false;
	*at = q->v[0].at;
	*item = q->v[0].item;
	q->v[0] = q->v[--q->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < q->n && before(&q->v[l], &q->v[m]))
			m = l;
		if (r < q->n && before(&q->v[r], &q->v[m]))
			m = r;
		if (m == i)
			break;
		swap(&q->v[i], &q->v[m]);
		i = m;
	}
	return true;
}

uint64_t
evq_peek(const struct evq *q)
{
	return q->n ? q->v[0].at : UINT64_MAX;
}

void
evq_free(struct evq *q)
{
	free(q->v);
	*q = (struct evq){ 0 };
}

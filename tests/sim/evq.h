/*
 * A min-heap of timed items: the simulator's event queue.  Items come out
 * by time, and items due at the same time in the order they went in (a
 * sequence number breaks ties), so a run never depends on heap layout.
 * The queue holds pointers; what they point to is the caller's.
 */
#ifndef SIM_EVQ_H
#define SIM_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evq_ent {
	uint64_t at, seq;
	void *item;
};

struct evq {
	struct evq_ent *v;
	size_t n, cap;
	uint64_t seq;
};

/* Aborts when memory runs out (a test harness has no better answer). */
void evq_push(struct evq *q, uint64_t at, void *item);
/* The earliest item and its time; false when empty. */
bool evq_pop(struct evq *q, uint64_t *at, void **item);
/* Time of the earliest item, UINT64_MAX when empty. */
uint64_t evq_peek(const struct evq *q);
/* Frees the array only, not the items. */
void evq_free(struct evq *q);

#endif

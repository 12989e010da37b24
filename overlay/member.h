/*
 * Membership states, as a pure function of what a node has heard.
 *
 * The detector is keepalive-based (see agent/members.c for why): a member
 * is alive while it was heard from within suspect_ms, suspect until
 * dead_ms, dead after that or when never heard from.  A member that said
 * goodbye (MSG_LEAVE, on a clean shutdown) is "left" until it speaks
 * again, so a planned restart is not mistaken for a crash.
 */
#ifndef MESH_MEMBER_H
#define MESH_MEMBER_H

#include <stdbool.h>
#include <stdint.h>

enum member_state {
	MEMBER_ALIVE,
	MEMBER_SUSPECT,
	MEMBER_DEAD,
	MEMBER_LEFT,
};

/* last_rx: ms (same clock as now) of the last authenticated packet, 0 if
 * none; left: its last word was a goodbye. */
enum member_state member_state(uint64_t now, uint64_t last_rx, bool left,
    uint64_t suspect_ms, uint64_t dead_ms);
/* When member_state will next change with nothing heard: the ms of the
 * next threshold, or UINT64_MAX if none is ahead (dead, left). */
uint64_t member_next_change(uint64_t now, uint64_t last_rx, bool left,
    uint64_t suspect_ms, uint64_t dead_ms);
/* "alive", "suspect", "dead", "left". */
const char *member_state_name(enum member_state st);

#endif

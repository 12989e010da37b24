#include "config.h"

#include "member.h"

enum member_state
member_state(uint64_t now, uint64_t last_rx, bool left, uint64_t suspect_ms,
    uint64_t dead_ms)
{
	if (left)
		return MEMBER_LEFT;
	/* A clock reading before last_rx (a caller's bug) counts as fresh. */
	if (last_rx == 0)
		return MEMBER_DEAD;
	if (now <= last_rx || now - last_rx < suspect_ms)
		return MEMBER_ALIVE;
	if (now - last_rx < dead_ms)
		return MEMBER_SUSPECT;
	return MEMBER_DEAD;
}

uint64_t
member_next_change(uint64_t now, uint64_t last_rx, bool left,
    uint64_t suspect_ms, uint64_t dead_ms)
{
	switch (member_state(now, last_rx, left, suspect_ms, dead_ms)) {
	case MEMBER_ALIVE:
		/* now <= last_rx is alive too: its threshold is still ahead */
		return last_rx + suspect_ms;
	case MEMBER_SUSPECT:
		return last_rx + dead_ms;
	case MEMBER_DEAD:
	case MEMBER_LEFT:
	default:
		return UINT64_MAX;
	}
}

const char *
member_state_name(enum member_state st)
{
	switch (st) {
	case MEMBER_ALIVE:
		return "alive";
	case MEMBER_SUSPECT:
		return "suspect";
	case MEMBER_LEFT:
		return "left";
	case MEMBER_DEAD:
	default:
		return "dead";
	}
}

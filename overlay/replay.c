#include "config.h"

#include <string.h>

#include "replay.h"

_Static_assert((REPLAY_WORDS & (REPLAY_WORDS - 1)) == 0,
    "the bitmap is a ring indexed by masking");

void
replay_init(struct replay_window *w)
{
	memset(w, 0, sizeof(*w));
}

/* Counters are stored shifted by one so that next == 0 means "nothing
 * yet" and counter 0 is still a valid first packet. */
static bool
too_old(const struct replay_window *w, uint64_t c1)
{
	return w->next > REPLAY_WINDOW && c1 <= w->next - REPLAY_WINDOW;
}

static bool
bit_set(const struct replay_window *w, uint64_t c1)
{
	uint64_t word = (c1 / REPLAY_WORD_BITS) & (REPLAY_WORDS - 1);

	return (w->bitmap[word] >> (c1 % REPLAY_WORD_BITS)) & 1;
}

bool
replay_seen(const struct replay_window *w, uint64_t counter, uint64_t limit)
{
	uint64_t c1;

	if (counter >= limit || counter == UINT64_MAX)
		return true;
	c1 = counter + 1;
	if (c1 > w->next)
		return false;	/* ahead of everything: new */
	return too_old(w, c1) || bit_set(w, c1);
}

bool
replay_accept(struct replay_window *w, uint64_t counter, uint64_t limit)
{
	uint64_t c1, word, cur, i, n;

	if (replay_seen(w, counter, limit))
		return false;
	c1 = counter + 1;
	word = c1 / REPLAY_WORD_BITS;
	if (c1 > w->next) {
		/* Slide: clear the words between the old top and the new
		 * one (all of them when the jump exceeds the window). */
		cur = w->next / REPLAY_WORD_BITS;
		n = word - cur;
		if (n > REPLAY_WORDS)
			n = REPLAY_WORDS;
		for (i = 1; i <= n; i++)
			w->bitmap[(cur + i) & (REPLAY_WORDS - 1)] = 0;
		w->next = c1;
	}
	w->bitmap[word & (REPLAY_WORDS - 1)] |=
	    UINT64_C(1) << (c1 % REPLAY_WORD_BITS);
	return true;
}

/* Unit tests for overlay/replay.c: the sliding replay window. */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "overlay/replay.h"

#define LIM UINT64_C(1000000)

static struct replay_window w;

static void
setup(void)
{
	replay_init(&w);
}

START_TEST(first_is_zero)
{
	ck_assert(!replay_seen(&w, 0, LIM));
	ck_assert(replay_accept(&w, 0, LIM));
	ck_assert(replay_seen(&w, 0, LIM));
	ck_assert(!replay_accept(&w, 0, LIM));
	ck_assert(replay_accept(&w, 1, LIM));
}
END_TEST

START_TEST(duplicates_dropped)
{
	for (uint64_t i = 0; i < 5000; i++)
		ck_assert(replay_accept(&w, i, LIM));
	for (uint64_t i = 5000 - REPLAY_WINDOW; i < 5000; i++)
		ck_assert(!replay_accept(&w, i, LIM));
}
END_TEST

START_TEST(out_of_order_in_window)
{
	ck_assert(replay_accept(&w, 100, LIM));
	for (uint64_t i = 99; i > 0; i--)
		ck_assert(replay_accept(&w, i, LIM));
	ck_assert(replay_accept(&w, 0, LIM));
	for (uint64_t i = 0; i <= 100; i++)
		ck_assert(!replay_accept(&w, i, LIM));
}
END_TEST

START_TEST(window_edge)
{
	uint64_t top = 10000;

	ck_assert(replay_accept(&w, top, LIM));
	/* The oldest one still inside, and the first one outside. */
	ck_assert(!replay_seen(&w, top - REPLAY_WINDOW + 1, LIM));
	ck_assert(replay_seen(&w, top - REPLAY_WINDOW, LIM));
	ck_assert(!replay_accept(&w, top - REPLAY_WINDOW, LIM));
	ck_assert(replay_accept(&w, top - REPLAY_WINDOW + 1, LIM));
	ck_assert(!replay_accept(&w, top - REPLAY_WINDOW + 1, LIM));
	/* Moving up by one pushes that one out. */
	ck_assert(replay_accept(&w, top + 1, LIM));
	ck_assert(replay_seen(&w, top - REPLAY_WINDOW + 1, LIM));
	ck_assert(!replay_seen(&w, top - REPLAY_WINDOW + 2, LIM));
}
END_TEST

START_TEST(big_jump_clears)
{
	for (uint64_t i = 0; i < 3000; i++)
		ck_assert(replay_accept(&w, i, LIM));
	ck_assert(replay_accept(&w, 500000, LIM));
	/* Old bits must not alias into the new window. */
	for (uint64_t i = 500000 - REPLAY_WINDOW + 1; i < 500000; i++)
		ck_assert(replay_accept(&w, i, LIM));
	ck_assert(!replay_accept(&w, 2999, LIM));
}
END_TEST

START_TEST(word_boundaries)
{
	/* Slide one word at a time; every counter exactly once. */
	for (uint64_t i = 0; i < 4096; i += 2)
		ck_assert(replay_accept(&w, i, LIM));
	for (uint64_t i = 4096 - REPLAY_WINDOW + 1; i < 4096; i += 2)
		ck_assert(replay_accept(&w, i, LIM));
	for (uint64_t i = 4096 - REPLAY_WINDOW + 1; i < 4096; i++)
		ck_assert(!replay_accept(&w, i, LIM));
	ck_assert(replay_accept(&w, 4096 + 63, LIM));
	ck_assert(replay_accept(&w, 4096 + 64, LIM));
	ck_assert(replay_accept(&w, 4096, LIM));
}
END_TEST

START_TEST(limit)
{
	ck_assert(replay_seen(&w, LIM, LIM));
	ck_assert(!replay_accept(&w, LIM, LIM));
	ck_assert(replay_accept(&w, LIM - 1, LIM));
	ck_assert(!replay_accept(&w, UINT64_MAX, UINT64_MAX));
	replay_init(&w);
	ck_assert(replay_accept(&w, UINT64_MAX - 1, UINT64_MAX));
	ck_assert(!replay_accept(&w, UINT64_MAX - 1, UINT64_MAX));
	ck_assert(replay_accept(&w, UINT64_MAX - 2, UINT64_MAX));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("window");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, first_is_zero);
	tcase_add_test(tc, duplicates_dropped);
	tcase_add_test(tc, out_of_order_in_window);
	tcase_add_test(tc, window_edge);
	tcase_add_test(tc, big_jump_clears);
	tcase_add_test(tc, word_boundaries);
	tcase_add_test(tc, limit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

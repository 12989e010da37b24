/* agent/log.c's rate limit for lines that strangers can cause. */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "agent/log.h"

START_TEST(one_a_second_and_a_count)
{
	struct log_rl rl = { 0 };
	uint64_t more, said = 0, t;

	/* 100 a second for 3 s: one line a second, and every suppressed one
	 * counted in the next line or in the timer's summary. */
	for (t = 1000; t < 4000; t += 10)
		if (log_rl_allow(&rl, t, &more)) {
			said++;
			ck_assert_uint_eq(more, t == 1000 ? 0 : 99);
		}
	ck_assert_uint_eq(said, 3);
	ck_assert_uint_eq(log_rl_flush(&rl, 3995), 0);	/* not yet due */
	ck_assert_uint_eq(log_rl_flush(&rl, 4000), 99);
	ck_assert_uint_eq(log_rl_flush(&rl, 6000), 0);	/* nothing more */
	/* Quiet since: the next one is said at once, with nothing owed. */
	ck_assert(log_rl_allow(&rl, 6001, &more));
	ck_assert_uint_eq(more, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("ratelimit");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, one_a_second_and_a_count);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

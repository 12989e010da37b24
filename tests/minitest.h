/* The counting CHECK of the integration test programs (nss_dlopen,
 * hostile), which end with Automake's "N passed, N failed" line. */
#ifndef MESH_MINITEST_H
#define MESH_MINITEST_H

#include <stdio.h>

static int checks, failures;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
	}								\
} while (0)

/* Print the closing line; the exit status for main. */
static inline int
checks_done(void)
{
	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures ? 1 : 0;
}

#endif

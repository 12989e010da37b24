/*
 * bench/lookup: getaddrinfo() latency in-process, as an application sees it.
 *
 *     lookup [-n N] [-w N] [-f inet|inet6|unspec] [-e ADDR | -x] [-l LABEL] NAME
 *
 * Runs N warm-up calls (which also load the NSS modules and fill glibc's
 * caches of nsswitch.conf and resolv.conf), then N timed calls, each timed
 * alone with CLOCK_MONOTONIC, sorts the samples and prints one line:
 *
 *     LABEL FAMILY N MEDIAN_US P99_US MIN_US MEAN_US
 *
 * bench/lookup.sh builds the table from these lines.  The first answer is
 * checked before timing starts: -e ADDR demands that ADDR is among the
 * results (so a row is known to be answered by the source it claims), -x
 * demands that the name is not found.  Not a test: run by hand or by
 * `make bench`.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SAMPLES_MAX 1000000

struct opts {
	long n, warm;
	int family;
	const char *fname;
	const char *expect;
	int expect_fail;
	const char *label;
	const char *name;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: lookup [-n N] [-w N] [-f inet|inet6|unspec] "
	    "[-e ADDR | -x] [-l LABEL] NAME\n");
}

static int
parse_count(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < 0 || v > SAMPLES_MAX)
		return -1;
	*out = v;
	return 0;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->n = 2000;
	o->warm = -1;
	o->family = AF_UNSPEC;
	o->fname = "unspec";
	while ((c = getopt(argc, argv, "n:w:f:e:xl:h")) != -1) {
		switch (c) {
		case 'n':
			if (parse_count(optarg, &o->n) < 0 || o->n == 0)
				return -1;
			break;
		case 'w':
			if (parse_count(optarg, &o->warm) < 0)
				return -1;
			break;
		case 'f':
			if (strcmp(optarg, "inet") == 0)
				o->family = AF_INET;
			else if (strcmp(optarg, "inet6") == 0)
				o->family = AF_INET6;
			else if (strcmp(optarg, "unspec") == 0)
				o->family = AF_UNSPEC;
			else
				return -1;
			o->fname = optarg;
			break;
		case 'e': o->expect = optarg; break;
		case 'x': o->expect_fail = 1; break;
		case 'l': o->label = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (optind + 1 != argc)
		return -1;
	o->name = argv[optind];
	if (o->label == NULL)
		o->label = o->name;
	if (o->warm < 0)
		o->warm = o->n;
	return 0;
}

/* Is the address `want` (text) among the results? */
static int
has_addr(const struct addrinfo *res, const char *want)
{
	char buf[INET6_ADDRSTRLEN];

	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		const void *a;
		if (ai->ai_family == AF_INET)
			a = &((const struct sockaddr_in *)(const void *)
			    ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			a = &((const struct sockaddr_in6 *)(const void *)
			    ai->ai_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(ai->ai_family, a, buf, sizeof(buf)) != NULL &&
		    strcmp(buf, want) == 0)
			return 1;
	}
	return 0;
}

/* One call whose answer we look at, before any timing. */
static int
check_first(const struct opts *o, const struct addrinfo *hints)
{
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(o->name, NULL, hints, &res);

	if (o->expect_fail) {
		if (rc == 0) {
			fprintf(stderr, "lookup: %s (%s): found, expected "
			    "not found\n", o->name, o->fname);
			freeaddrinfo(res);
			return -1;
		}
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr, "lookup: %s (%s): %s\n", o->name, o->fname,
		    gai_strerror(rc));
		return -1;
	}
	if (o->expect != NULL && !has_addr(res, o->expect)) {
		fprintf(stderr, "lookup: %s (%s): %s is not among the "
		    "answers\n", o->name, o->fname, o->expect);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return 0;
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The timed call; a changed outcome mid-run is an error, not a sample. */
static int
one(const struct opts *o, const struct addrinfo *hints, long long *ns)
{
	struct addrinfo *res = NULL;
	long long t0 = now_ns();
	int rc = getaddrinfo(o->name, NULL, hints, &res);

	*ns = now_ns() - t0;
	if (rc == 0)
		freeaddrinfo(res);
	if ((rc == 0) == (o->expect_fail != 0)) {
		fprintf(stderr, "lookup: %s (%s): answer changed during the "
		    "run: %s\n", o->name, o->fname,
		    rc == 0 ? "found" : gai_strerror(rc));
		return -1;
	}
	return 0;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct addrinfo hints;
	struct opts o;
	long long *t, sum = 0;
	size_t p99;

	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	/* One socket type: otherwise every address comes back three times
	 * (stream, datagram, raw) and the rows measure glibc's list
	 * building rather than the source. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = o.family;
	hints.ai_socktype = SOCK_STREAM;
	if (check_first(&o, &hints) < 0)
		return 1;
	if ((t = calloc((size_t)o.n, sizeof(*t))) == NULL) {
		perror("lookup: calloc");
		return 1;
	}
	for (long i = 0; i < o.warm; i++) {
		long long ns;
		if (one(&o, &hints, &ns) < 0)
			goto fail;
	}
	for (long i = 0; i < o.n; i++) {
		if (one(&o, &hints, &t[i]) < 0)
			goto fail;
		sum += t[i];
	}
	qsort(t, (size_t)o.n, sizeof(*t), cmp_ll);
	/* Nearest rank: the smallest sample with at least 99% at or below. */
	p99 = (size_t)((o.n * 99 + 99) / 100) - 1;
	printf("%s %s %ld %.2f %.2f %.2f %.2f\n", o.label, o.fname, o.n,
	    (o.n % 2 ? (double)t[o.n / 2] :
	    ((double)t[o.n / 2 - 1] + (double)t[o.n / 2]) / 2) / 1e3,
	    (double)t[p99] / 1e3, (double)t[0] / 1e3,
	    (double)sum / (double)o.n / 1e3);
	free(t);
	return 0;
fail:
	free(t);
	return 1;
}

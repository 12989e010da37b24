/*
 * bench_sim: how the engine scales, on the simulator (`make bench-sim`).
 *
 * For each N on the command line (default 10 100 300): N public nodes
 * seeded with node 0 on 10 ms links; then, all in virtual time,
 *   converge   from the first start until every node holds every record
 *              and sees every member alive;
 *   rest       datagrams and bytes each node sends per second over
 *              REST_MS once converged (keepalives, anti-entropy);
 *   new        a new node starts (seeded with node 0, as after its join):
 *              until every node holds its record;
 *   dead       a node crashes: until every other node has it dead;
 *   change     one member republishes its record (an address added):
 *              RECORD messages sent mesh-wide in the 5 s after, for
 *              any reason (push, anti-entropy answers) -- O(N) wanted;
 * and the wall time of the whole run for that N.  Prints one markdown
 * table row per N.  Not a test: nothing is asserted, and it is the one
 * place in tests/sim that reads a real clock (for the wall time column).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim.h"

#define REST_MS		20000
#define LIMIT_MS	600000		/* give up: virtual */

static double
wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool
all_see_dead(struct sim *sim, void *arg)
{
	int v = *(int *)arg;

	for (int i = 0; i < (int)sim_count(sim); i++)
		if (i != v && sim_up(sim, i) &&
		    !sim_state_is(sim, i, v, MEMBER_DEAD))
			return false;
	return true;
}

static void
traffic(struct sim *sim, uint64_t *pkts, uint64_t *bytes)
{
	uint64_t tp, tb, rp, rb;

	*pkts = *bytes = 0;
	for (int i = 0; i < (int)sim_count(sim); i++) {
		net_host_traffic(sim_net(sim), sim_host(sim, i), &tp, &tb, &rp,
		    &rb);
		*pkts += tp;
		*bytes += tb;
	}
}

static uint64_t
records_sent(struct sim *sim)
{
	uint64_t k = 0;

	for (int i = 0; i < (int)sim_count(sim); i++)
		if (sim_node(sim, i) != NULL)
			k += node_counters(sim_node(sim, i))->records_sent;
	return k;
}

static const char *
ms(uint64_t t, char *buf, size_t len)
{
	if (t == UINT64_MAX)
		snprintf(buf, len, "> %d s", LIMIT_MS / 1000);
	else
		snprintf(buf, len, "%llu ms", (unsigned long long)t);
	return buf;
}

static void
run(size_t n)
{
	struct sim *sim = sim_new(1, n + 1, SIM_DEAD_MS);
	double w0 = wall_s();
	uint64_t t0, t_conv, t_new, t_dead, p0, b0, p1, b1, r0, r1;
	int k, victim = (int)n / 2;
	char a[32], b[32], c[32];

	sim_add(sim, -1, true);
	sim_start(sim, 0);
	sim_add_many(sim, n - 1, -1, 0);
	t0 = sim_now(sim);
	t_conv = sim_run_until_pred(sim, sim_converged, NULL, 10,
	    t0 + LIMIT_MS);
	if (t_conv != UINT64_MAX)
		t_conv -= t0;

	sim_run_for(sim, 5000);
	traffic(sim, &p0, &b0);
	sim_run_for(sim, REST_MS);
	traffic(sim, &p1, &b1);

	k = sim_add_many(sim, 1, -1, 0);
	t0 = sim_now(sim);
	t_new = sim_run_until_pred(sim, sim_all_have, &k, 1, t0 + LIMIT_MS);
	if (t_new != UINT64_MAX)
		t_new -= t0;

	sim_run_for(sim, 5000);
	r0 = records_sent(sim);
	net_host_add_addr(sim_net(sim), sim_host(sim, 1), NET_IP(10, 222, 0, 1));
	sim_run_for(sim, 5000);
	r1 = records_sent(sim);

	sim_stop(sim, victim, false);
	t0 = sim_now(sim);
	t_dead = sim_run_until_pred(sim, all_see_dead, &victim, 1,
	    t0 + LIMIT_MS);
	if (t_dead != UINT64_MAX)
		t_dead -= t0;

	printf("| %zu | %s | %s | %s | %llu | %.1f | %.0f | %.1f s |\n", n,
	    ms(t_conv, a, sizeof(a)), ms(t_new, b, sizeof(b)),
	    ms(t_dead, c, sizeof(c)), (unsigned long long)(r1 - r0),
	    (double)(p1 - p0) / (double)n / (REST_MS / 1000.0),
	    (double)(b1 - b0) / (double)n / (REST_MS / 1000.0),
	    wall_s() - w0);
	fflush(stdout);
	sim_free(sim);
}

int
main(int argc, char **argv)
{
	static const size_t dflt[] = { 10, 100, 300 };

	printf("| N | converge | new record on all | death seen by all "
	    "| RECORDs per change | datagrams/node/s at rest "
	    "| bytes/node/s at rest | wall |\n"
	    "|---|---|---|---|---|---|---|---|\n");
	if (argc < 2)
		for (size_t i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++)
			run(dflt[i]);
	for (int i = 1; i < argc; i++)
		run((size_t)strtoul(argv[i], NULL, 10));
	return 0;
}

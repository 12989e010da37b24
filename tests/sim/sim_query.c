/*
 * The questions scenarios ask of the simulated mesh: who holds whose
 * record, who sees whom in which state, is everyone converged; and a dump
 * of it all for a failing test.  Read-only: node getters and the network's
 * counters.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sim-int.h"

struct node *
sim_node(struct sim *sim, int i)
{
	return sim_at(sim, i)->n;
}

bool
sim_up(const struct sim *sim, int i)
{
	return sim_at(sim, i)->n != NULL;
}

int
sim_host(const struct sim *sim, int i)
{
	return sim_at(sim, i)->host;
}

const uint8_t *
sim_pk(const struct sim *sim, int i)
{
	return sim_at(sim, i)->pk;
}

const char *
sim_name(const struct sim *sim, int i)
{
	return sim_at(sim, i)->name;
}

const struct sim_obs *
sim_obs(const struct sim *sim, int i)
{
	return &sim_at(sim, i)->obs;
}

bool
sim_has_record(struct sim *sim, int i, int j)
{
	struct sim_node *sn = sim_at(sim, i);

	return sn->n != NULL &&
	    recset_by_key(node_records(sn->n), sim_at(sim, j)->pk) != NULL;
}

bool
sim_state_is(struct sim *sim, int i, int j, enum member_state st)
{
	struct sim_node *sn = sim_at(sim, i);
	struct node_peer_info pi;

	return sn->n != NULL &&
	    node_peer(sn->n, net_now(sim->net), sim_at(sim, j)->pk, &pi) &&
	    pi.state == st;
}

bool
sim_converged(struct sim *sim, void *unused)
{
	size_t i, j;

	(void)unused;
	for (i = 0; i < sim->n; i++) {
		if (sim->nodes[i].n == NULL)
			continue;
		for (j = 0; j < sim->n; j++) {
			if (sim->nodes[j].n == NULL)
				continue;
			if (!sim_has_record(sim, (int)i, (int)j))
				return false;
			if (i != j && !sim_state_is(sim, (int)i, (int)j,
			    MEMBER_ALIVE))
				return false;
		}
	}
	return true;
}

bool
sim_all_have(struct sim *sim, void *jp)
{
	int j = *(int *)jp;
	size_t i;

	for (i = 0; i < sim->n; i++)
		if (sim->nodes[i].n != NULL && !sim_has_record(sim, (int)i, j))
			return false;
	return true;
}

/* A one-screen picture of the mesh, for a failing scenario. */
void
sim_dump(struct sim *sim, FILE *f)
{
	const struct net_stats *ns = net_stats(sim->net);
	size_t i, j;

	fprintf(f, "t=%llu sent=%llu delivered=%llu lost=%llu no_route=%llu "
	    "filtered=%llu partitioned=%llu down=%llu\n",
	    (unsigned long long)net_now(sim->net),
	    (unsigned long long)ns->sent, (unsigned long long)ns->delivered,
	    (unsigned long long)ns->lost, (unsigned long long)ns->no_route,
	    (unsigned long long)ns->filtered,
	    (unsigned long long)ns->partitioned,
	    (unsigned long long)ns->down);
	for (i = 0; i < sim->n; i++) {
		struct sim_node *sn = &sim->nodes[i];
		const struct node_counters *c;

		if (sn->n == NULL) {
			fprintf(f, "  %s: stopped\n", sn->name);
			continue;
		}
		c = node_counters(sn->n);
		fprintf(f, "  %s: records=%zu self=%s rx=%llu tx=%llu "
		    "badmsg=%llu refused_cert=%llu peers:", sn->name,
		    recset_count(node_records(sn->n)),
		    node_self(sn->n) ? "yes" : "no",
		    (unsigned long long)c->rx_datagrams,
		    (unsigned long long)c->tx_datagrams,
		    (unsigned long long)c->drop_badmsg,
		    (unsigned long long)c->refused_cert);
		for (j = 0; j < sim->n; j++) {
			struct node_peer_info pi;

			if (j == i || !node_peer(sn->n, net_now(sim->net),
			    sim->nodes[j].pk, &pi))
				continue;
			fprintf(f, " %zu:%c%s", j,
			    member_state_name(pi.state)[0], pi.up ? "+" : "");
		}
		fputc('\n', f);
	}
}

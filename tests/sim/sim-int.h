/*
 * What sim.c and sim_ca.c share: the simulator's own structs.  Nothing
 * outside tests/sim/ includes this.
 */
#ifndef SIM_SIM_INT_H
#define SIM_SIM_INT_H

#include "overlay/invite.h"
#include "sim.h"

#define SIM_INVITES_MAX	128
#define SIM_NATS_MAX	250
#define SIM_SEEDS_MAX	4		/* seed slots the sim remembers */

struct sim_node {
	struct sim *sim;
	int idx, host;
	struct node *n;			/* NULL while stopped */
	bool can_redeem;
	char name[MESH_LABEL_MAX + 1];
	uint8_t pk[MESH_KEY_LEN];
	uint8_t sk[64];
	struct mesh_cert cert;
	uint64_t rng;
	unsigned incarnation;
	uint8_t *saved;			/* recset_serialize() at the stop */
	size_t saved_len;
	uint64_t deadline;		/* node_tick()'s last answer */
	struct sim_obs obs;
	struct sim_joiner *joiner;	/* sim_join() until sim_start() */
	uint8_t join_record[RECORD_WIRE_LEN];	/* from JOIN_OK */
	bool have_join_record;
	int seed[SIM_SEEDS_MAX];	/* node index + 1; 0: none */
};

struct sim_invite {
	char name[MESH_LABEL_MAX + 1];
	uint8_t secret[MESH_INVITE_SECRET_LEN];
	bool used;
	uint8_t pk[MESH_KEY_LEN];	/* who used it */
};

struct sim {
	struct net *net;
	uint64_t seed, dead_ms;
	size_t max, n;
	struct sim_node *nodes;
	uint8_t ca_pk[MESH_KEY_LEN];
	uint8_t ca_sk[64];
	uint8_t net_id[MESH_NETID_LEN];
	struct sim_invite inv[SIM_INVITES_MAX];
	size_t n_inv;
	int n_nat;
	int nat_hosts[SIM_NATS_MAX];
	uint32_t watch_ip;		/* sim_watch; 0: none */
	sim_tap_fn tap;
	void *tap_arg;
};

/* sim.c: node i, aborting when there is none. */
struct sim_node *sim_at(const struct sim *sim, int i);
/* sim.c: tick node i in this ms, as after a datagram. */
void sim_kick(struct sim *sim, int i);

/* sim_join.c */
struct sim_joiner;
void sim_joiner_tick(struct sim_node *sn, uint64_t now);
void sim_joiner_recv(struct sim_node *sn, uint64_t now, const uint8_t *pkt,
    size_t len, const struct net_addr *from);
void sim_joiner_free(struct sim_node *sn);

/* sim_ca.c */
uint64_t sim_splitmix(uint64_t *state);
void sim_rng_install(uint64_t seed);
void sim_ca_init(struct sim *sim);
void sim_ca_issue(struct sim *sim, struct sim_node *sn);
int sim_ca_redeem(void *ctx, const uint8_t pk[static MESH_KEY_LEN],
    const char *name, const uint8_t *proof, struct mesh_cert *cert);

#endif

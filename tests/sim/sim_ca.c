/*
 * The simulator's trust side: a seeded randomness source for the whole
 * process, the network CA, node certificates, and an invite table that
 * answers node_cb.redeem as `meshctl invite` files would.
 *
 * randombytes: libsodium lets a program replace its generator.  The sim
 * installs splitmix64 behind it, reseeded by every sim_new(), so session
 * ephemerals, receiver indices, rekey jitter and certificate serials are
 * the same on every run of a seed.  This is for tests only: splitmix64 is
 * not a cryptographic generator.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "sim-int.h"

static uint64_t rng_state;

uint64_t
sim_splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const char *
rb_name(void)
{
	return "nss-mesh-sim-splitmix64";
}

static uint32_t
rb_random(void)
{
	return (uint32_t)(sim_splitmix(&rng_state) >> 32);
}

static void
rb_buf(void *const buf, const size_t size)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < size; i += 8) {
		uint64_t v = sim_splitmix(&rng_state);
		size_t k = size - i < 8 ? size - i : 8;

		memcpy(p + i, &v, k);
	}
}

static randombytes_implementation rb_impl = {
	.implementation_name = rb_name,
	.random = rb_random,
	.buf = rb_buf,
};

void
sim_rng_install(uint64_t seed)
{
	static bool installed;

	if (!installed) {
		randombytes_set_implementation(&rb_impl);
		installed = true;
	}
	if (sodium_init() < 0)
		abort();
	rng_state = seed ^ 0x5eed5eed5eed5eedULL;
}

void
sim_ca_init(struct sim *sim)
{
	uint64_t st = sim->seed ^ 0xca;
	uint8_t seed[32];
	size_t i;

	for (i = 0; i < 4; i++) {
		uint64_t v = sim_splitmix(&st);

		memcpy(seed + 8 * i, &v, 8);
	}
	crypto_sign_seed_keypair(sim->ca_pk, sim->ca_sk, seed);
	cert_net_id(sim->ca_pk, sim->net_id);
}

/* The node's key from (seed, index): the same whatever order nodes are
 * made in; and its certificate from the CA. */
void
sim_ca_issue(struct sim *sim, struct sim_node *sn)
{
	uint64_t st = sim->seed * 1000003 + (uint64_t)sn->idx;
	uint8_t seed[32];
	size_t i;

	for (i = 0; i < 4; i++) {
		uint64_t v = sim_splitmix(&st);

		memcpy(seed + 8 * i, &v, 8);
	}
	crypto_sign_seed_keypair(sn->pk, sn->sk, seed);
	if (cert_issue(&sn->cert, sim->ca_sk, sn->name, sn->pk, SIM_EPOCH,
	    SIM_CERT_LIFETIME) != VR_OK)
		abort();
}

void
sim_invite(struct sim *sim, const char *name)
{
	struct sim_invite *iv;

	if (sim->n_inv == SIM_INVITES_MAX)
		abort();
	iv = &sim->inv[sim->n_inv++];
	memset(iv, 0, sizeof(*iv));
	snprintf(iv->name, sizeof(iv->name), "%s", name);
	randombytes_buf(iv->secret, sizeof(iv->secret));
}

static struct sim_invite *
invite_find(struct sim *sim, const char *name)
{
	size_t i;

	for (i = 0; i < sim->n_inv; i++)
		if (strcmp(sim->inv[i].name, name) == 0)
			return &sim->inv[i];
	return NULL;
}

void
sim_invite_proof(struct sim *sim, const char *name,
    const uint8_t pk[static MESH_KEY_LEN], uint8_t proof[static 32])
{
	struct sim_invite *iv = invite_find(sim, name);

	if (iv == NULL)
		abort();
	invite_proof(iv->secret, sim->net_id, pk, proof);
}

/* node_cb.redeem, for the node that holds the CA key (ctx: its node). */
int
sim_ca_redeem(void *ctx, const uint8_t pk[static MESH_KEY_LEN],
    const char *name, const uint8_t *proof, struct mesh_cert *cert)
{
	struct sim_node *sn = ctx;
	struct sim *sim = sn->sim;
	struct sim_invite *iv = invite_find(sim, name);
	uint8_t want[INVITE_PROOF_LEN];

	if (iv == NULL)
		return -ENOENT;
	invite_proof(iv->secret, sim->net_id, pk, want);
	if (sodium_memcmp(want, proof, sizeof(want)) != 0)
		return -EACCES;
	if (iv->used && memcmp(iv->pk, pk, MESH_KEY_LEN) != 0)
		return -EACCES;		/* single use: one key */
	iv->used = true;
	memcpy(iv->pk, pk, MESH_KEY_LEN);
	if (cert_issue(cert, sim->ca_sk, name, pk,
	    SIM_EPOCH + net_now(sim->net) / 1000, SIM_CERT_LIFETIME) != VR_OK)
		return -EINVAL;
	return 0;
}

/* A revocation of node i's key, signed by the CA. */
void
sim_revoke_key(struct sim *sim, int i, struct mesh_revocation *rv)
{
	uint64_t now = SIM_EPOCH + net_now(sim->net) / 1000;

	if (rev_make(rv, sim->ca_sk, sim->ca_pk, MESH_REV_KEY, 0,
	    sim_pk(sim, i), now, now + SIM_CERT_LIFETIME) != VR_OK)
		abort();
}

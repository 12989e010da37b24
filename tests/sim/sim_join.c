/*
 * The joiner's half of an invite, in the simulator: what `meshctl join`
 * does (agent/cmd_join.c), on the fake network.  A joiner is a node slot
 * that is not running an engine yet: it opens a session to a member with
 * the handshake payload MSG_JOIN_HELLO, sends JOIN_REQ (name and invite
 * proof) every SIM_JOIN_RESEND_MS until the member answers, and keeps the
 * answer.  On JOIN_OK the slot's certificate becomes the issued one, so
 * sim_start() then runs it as a member, as meshd would after the join.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "overlay/msg.h"
#include "overlay/session.h"
#include "sim-int.h"

#define SIM_JOIN_RESEND_MS	2000

struct sim_joiner {
	struct sim_node *sn;
	struct session_table *t;
	struct session *s;
	uint8_t member_pk[MESH_KEY_LEN];
	struct net_addr to;
	uint8_t msg[MSG_MAX];
	size_t mlen;
	uint64_t last_sent;
	enum sim_join_mode mode;
	uint64_t resend_ms;
	bool done;
	int err;
};

static void
j_send(void *ctx, struct session *s, const uint8_t *pkt, size_t len)
{
	struct sim_joiner *j = ctx;
	struct net *net = j->sn->sim->net;
	struct net_addr from;
	uint32_t ip;

	(void)s;
	net_host_addrs(net, j->sn->host, &ip, 1);
	from = (struct net_addr){ ip, SIM_PORT };
	net_send(net, j->sn->host, &from, &j->to, pkt, len);
}

static void
j_recv(void *ctx, struct session *s, const uint8_t *d, size_t len)
{
	struct sim_joiner *j = ctx;
	struct msg_join_ok ok;
	struct mesh_cert cert;

	(void)s;
	if (j->done && j->mode != SIM_JOIN_CHATTY)
		return;
	if (msg_join_ok_decode(d, len, &ok)) {
		j->done = true;
		j->err = 0;
		if (memcmp(ok.ca_pk, j->sn->sim->ca_pk, MESH_KEY_LEN) != 0 ||
		    cert_decode(&ok.cert, &cert) != VR_OK ||
		    memcmp(cert.node_pk, j->sn->pk, MESH_KEY_LEN) != 0)
			j->err = -EBADMSG;
		else {
			j->sn->cert = cert;
			memcpy(j->sn->join_record, ok.record, RECORD_WIRE_LEN);
			j->sn->have_join_record = true;
		}
	} else if (msg_join_err_decode(d, len, &j->err)) {
		j->done = true;
	}
}

static bool
j_admit(void *ctx, struct session *s, const uint8_t pk[static WIRE_KEY_LEN],
    const uint8_t *payload, size_t len, void **user)
{
	struct sim_joiner *j = ctx;

	(void)s;
	(void)payload;
	(void)len;
	(void)user;
	return memcmp(pk, j->member_pk, MESH_KEY_LEN) == 0;
}

static void
j_wallclock(void *ctx, uint64_t *sec, uint32_t *nsec)
{
	struct sim_joiner *j = ctx;
	uint64_t now = net_now(j->sn->sim->net);

	*sec = SIM_EPOCH + now / 1000;
	*nsec = (uint32_t)(now % 1000) * 1000000;
}

static void
j_schedule(struct sim_joiner *j, uint64_t now)
{
	uint64_t next;

	if (j->done && j->mode != SIM_JOIN_CHATTY)
		return;
	next = session_table_tick(j->t, now);
	if (j->mode != SIM_JOIN_SILENT && next > j->last_sent + j->resend_ms)
		next = j->last_sent + j->resend_ms;
	if (next <= now)
		next = now + 1;
	if (next != j->sn->deadline) {	/* as sim.c does for engines */
		j->sn->deadline = next;
		net_timer(j->sn->sim->net, j->sn->host, next);
	}
}

void
sim_joiner_tick(struct sim_node *sn, uint64_t now)
{
	struct sim_joiner *j = sn->joiner;

	if ((j->done && j->mode != SIM_JOIN_CHATTY) || now < sn->deadline)
		return;
	if (j->mode != SIM_JOIN_SILENT && now >= j->last_sent + j->resend_ms) {
		session_send(j->s, now, j->msg, j->mlen);
		j->last_sent = now;
	}
	j_schedule(j, now);
}

void
sim_joiner_recv(struct sim_node *sn, uint64_t now, const uint8_t *pkt,
    size_t len, const struct net_addr *from)
{
	struct sim_joiner *j = sn->joiner;

	session_table_recv(j->t, now, pkt, len, from);
	j_schedule(j, now);
}

void
sim_join(struct sim *sim, int i, int member, const char *name, bool proof)
{
	sim_join_as(sim, i, member, name, proof, SIM_JOIN_NORMAL);
}

void
sim_join_as(struct sim *sim, int i, int member, const char *name, bool proof,
    enum sim_join_mode mode)
{
	struct sim_node *sn = &sim->nodes[i], *m = &sim->nodes[member];
	struct session_cb cb = { .send = j_send, .recv = j_recv,
	    .admit = j_admit, .wallclock = j_wallclock };
	struct sim_joiner *j;
	struct msg_join_req req;
	uint32_t ip;
	uint64_t now = net_now(sim->net);

	if (sn->n != NULL || sn->joiner != NULL)
		abort();
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		abort();
	j->sn = sn;
	j->mode = mode;
	j->resend_ms = mode == SIM_JOIN_CHATTY ? 500 : SIM_JOIN_RESEND_MS;
	cb.ctx = j;
	memcpy(j->member_pk, m->pk, MESH_KEY_LEN);
	net_host_addrs(sim->net, m->host, &ip, 1);
	j->to = (struct net_addr){ ip, SIM_PORT };
	j->t = session_table_new(sn->pk, sn->sk, &cb);
	if (j->t == NULL || session_table_set_payload(j->t,
	    (const uint8_t *)MSG_JOIN_HELLO, sizeof(MSG_JOIN_HELLO) - 1) != 0)
		abort();
	j->s = session_new(j->t, j->member_pk);
	if (j->s == NULL)
		abort();
	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name ? name : sn->name);
	if (proof)
		sim_invite_proof(sim, req.name, sn->pk, req.proof);
	j->mlen = msg_join_req_encode(&req, j->msg);
	sn->joiner = j;
	net_host_set_up(sim->net, sn->host, true);
	if (mode == SIM_JOIN_SILENT) {
		/* A slot held with keepalives, and never a request. */
		session_set_keepalive(j->s, 1000);
		session_connect(j->s, now);
	} else {
		session_send(j->s, now, j->msg, j->mlen);
	}
	j->last_sent = now;
	j_schedule(j, now);
}

bool
sim_join_done(const struct sim *sim, int i, int *err)
{
	const struct sim_joiner *j = sim->nodes[i].joiner;

	if (j == NULL || !j->done)
		return false;
	if (err != NULL)
		*err = j->err;
	return true;
}

void
sim_joiner_free(struct sim_node *sn)
{
	struct sim_joiner *j = sn->joiner;

	if (j == NULL)
		return;
	session_table_free(j->t);
	sodium_memzero(j->msg, sizeof(j->msg));
	free(j);
	sn->joiner = NULL;
}

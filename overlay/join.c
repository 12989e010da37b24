/*
 * The member's half of `meshctl join`: a joiner (admitted by node.c only
 * because its handshake said MSG_JOIN_HELLO) sends JOIN_REQ with the
 * invite proof; cb.redeem checks it against the invites and issues the
 * certificate (the daemon holds the files and the CA key), and we answer
 * with the certificate, the CA public key and our own record, from which
 * the joiner learns how to reach us.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "node-int.h"

void
join_on_req(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	struct msg_join_req req;
	struct msg_join_ok ok;
	struct mesh_cert cert;
	uint8_t out[MSG_MAX];
	int rc;

	if (!p->joiner || !msg_join_req_decode(m, len, &req)) {
		n->c.drop_badmsg++;
		return;
	}
	if (!n->have_self)
		rc = -EAGAIN;
	else if (n->cb.redeem == NULL || !n->cfg.can_redeem)
		rc = -EPERM;
	else
		rc = n->cb.redeem(n->cb.ctx, p->pk, req.name, req.proof, &cert);
	p->join_answered = n->now;
	if (rc == 0) {
		n->c.joins_ok++;
		memcpy(ok.ca_pk, n->cfg.ca_pk, MESH_KEY_LEN);
		cert_encode(&cert, &ok.cert);
		record_encode(&n->self, ok.record);
		node_send_msg(n, p, out, msg_join_ok_encode(&ok, out));
	} else {
		n->c.joins_refused++;
		node_send_msg(n, p, out, msg_join_err_encode(rc, out));
	}
	struct node_event ev = { .kind = NODE_EV_JOIN, .name = req.name,
	    .err = rc };
	node_emit(n, &ev);
	sodium_memzero(&req, sizeof(req));
}

/*
 * The member's half of `meshctl join`: a joiner (admitted by overlay.c
 * only because its handshake said MSG_JOIN_HELLO) sends JOIN_REQ with the
 * invite proof; we read the invites file afresh (meshctl invite wrote it
 * while we ran), redeem, and answer with the certificate, the CA public
 * key and our own record, from which the joiner learns how to reach us.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "agent.h"
#include "log.h"
#include "overlay.h"
#include "overlay/invite.h"
#include "state.h"

bool
redeem_possible(const struct overlay *ov)
{
	char path[4096];

	return state_path(path, sizeof(path), ov->a->conf.state_dir,
	    "network.key") == 0 && access(path, R_OK) == 0;
}

static int
redeem(struct overlay *ov, struct peer *p, const struct msg_join_req *req,
    struct msg_join_ok *ok)
{
	struct invite_store *st = NULL;
	unsigned char *ca_sk = NULL;
	struct mesh_cert cert;
	char path[4096], err[512];
	int rc;

	if (!ov->have_self)
		return -EAGAIN;
	if ((rc = state_path(path, sizeof(path), ov->a->conf.state_dir,
	    INVITE_FILE)) < 0)
		return rc;
	if ((rc = invite_store_open(path, &st)) < 0) {
		log_warnx("%s: cannot read the invites: %s", path, strerror(-rc));
		return rc;
	}
	if ((rc = identity_load_ca_secret(ov->a->conf.state_dir, &ca_sk, err,
	    sizeof(err))) < 0) {
		log_warnx("%s", err);
		goto out;
	}
	rc = invite_redeem(st, req->proof, req->name, p->pk,
	    (uint64_t)time(NULL), ca_sk, OV_CERT_LIFETIME, &cert);
	if (rc == 0) {
		memcpy(ok->ca_pk, ov->id.ca_pk, MESH_KEY_LEN);
		cert_encode(&cert, &ok->cert);
		record_encode(&ov->self, ok->record);
	}
out:
	sodium_free(ca_sk);
	invite_store_free(st);
	return rc;
}

void
redeem_recv(struct overlay *ov, struct peer *p, const uint8_t *m, size_t len)
{
	struct msg_join_req req;
	struct msg_join_ok ok;
	uint8_t out[MSG_MAX];
	int rc;

	if (m[0] != MSG_JOIN_REQ || !p->joiner ||
	    !msg_join_req_decode(m, len, &req)) {
		ov->c.drop_badmsg++;
		return;
	}
	rc = redeem(ov, p, &req, &ok);
	p->join_answered = overlay_now();
	if (rc == 0) {
		ov->c.joins_ok++;
		log_info("invite for %s.mesh redeemed", req.name);
		overlay_send(ov, p, out, msg_join_ok_encode(&ok, out));
	} else {
		ov->c.joins_refused++;
		log_warnx("invite for %s.mesh refused: %s", req.name,
		    strerror(-rc));
		overlay_send(ov, p, out, msg_join_err_encode(rc, out));
	}
	sodium_memzero(&req, sizeof(req));
}

/*
 * meshctl join TOKEN: make this machine a member.
 *
 * Creates the node key (node.key, node.name; no network key), opens an
 * encrypted session to the member named in the token, authenticating it
 * by the key the token carries, and sends the invite proof.  Our handshake
 * payload is MSG_JOIN_HELLO: we have no certificate yet.  The member
 * answers with our certificate, the CA key and its own record; all three
 * are checked against the token (network id, member key, our key and
 * name) before anything is written: node.cert, peers (the token's host),
 * records (the member's record, so meshd knows at once whom to connect
 * to), and network.pub last.  network.pub is the commit marker: until it
 * exists this machine is not a node of a network, so a join that failed
 * half way (a full disk) is simply run again with the same token.  The
 * node key made by the first attempt is kept (identity_create_node), and
 * the member gives that key the certificate it issued the first time.
 * Works whether meshd runs or not: it uses its own socket on an
 * ephemeral port.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "meshctl/meshctl.h"
#include "agent/keys.h"
#include "agent/records.h"
#include "agent/state.h"
#include "overlay/invite.h"
#include "overlay/msg.h"
#include "overlay/recset.h"
#include "overlay/session.h"
#include "common/atomic.h"

#define JOIN_TIMEOUT_MS		20000
#define JOIN_RESEND_MS		2000

struct joiner {
	int fd;
	struct sockaddr_storage to;
	socklen_t tolen;
	const uint8_t *member_pk;
	bool done;
	int err;
	struct msg_join_ok ok;
};

static void
j_send(void *ctx, struct session *s, const uint8_t *pkt, size_t len)
{
	struct joiner *j = ctx;

	(void)s;
	sendto(j->fd, pkt, len, 0, (struct sockaddr *)&j->to, j->tolen);
}

static void
j_recv(void *ctx, struct session *s, const uint8_t *d, size_t len)
{
	struct joiner *j = ctx;

	(void)s;
	if (j->done)
		return;
	if (msg_join_ok_decode(d, len, &j->ok)) {
		j->done = true;
		j->err = 0;
	} else if (msg_join_err_decode(d, len, &j->err)) {
		j->done = true;
	}
}

static bool
j_admit(void *ctx, struct session *s, const uint8_t pk[static WIRE_KEY_LEN],
    const uint8_t *payload, size_t len, void **user)
{
	(void)user;
	struct joiner *j = ctx;

	(void)s;
	(void)payload;
	(void)len;
	/* The member's certificate is checked once the CA key arrives. */
	return memcmp(pk, j->member_pk, WIRE_KEY_LEN) == 0;
}

static void
j_wallclock(void *ctx, uint64_t *sec, uint32_t *nsec)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = (uint64_t)ts.tv_sec;
	*nsec = (uint32_t)ts.tv_nsec;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	uint64_t n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	return n ? n : 1;
}

/* Talk to the member until it answers or the time is up. */
static int
exchange(struct joiner *j, const struct mesh_identity *id,
    const struct invite_token *tok)
{
	struct session_cb cb = {
		.ctx = j, .send = j_send, .recv = j_recv, .admit = j_admit,
		.wallclock = j_wallclock,
	};
	struct session_table *t;
	struct session *s;
	struct msg_join_req req;
	uint8_t msg[MSG_MAX], buf[WIRE_PACKET_MAX];
	uint64_t start = now_ms(), last = 0;
	size_t mlen;
	int rc = -ETIMEDOUT;

	if ((t = session_table_new(id->pk, id->sk, &cb)) == NULL)
		return -ENOMEM;
	session_table_set_payload(t, (const uint8_t *)MSG_JOIN_HELLO,
	    sizeof(MSG_JOIN_HELLO) - 1);
	if ((s = session_new(t, tok->member_pk)) == NULL) {
		session_table_free(t);
		return -EINVAL;
	}
	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", tok->name);
	invite_proof(tok->secret, tok->net_id, id->pk, req.proof);
	mlen = msg_join_req_encode(&req, msg);
	sodium_memzero(&req, sizeof(req));
	while (!j->done) {
		uint64_t now = now_ms(), next;
		struct pollfd pfd = { .fd = j->fd, .events = POLLIN };
		ssize_t n;

		if (now - start >= JOIN_TIMEOUT_MS)
			break;
		if (last == 0 || now - last >= JOIN_RESEND_MS) {
			session_send(s, now, msg, mlen);
			last = now;
		}
		next = session_table_tick(t, now);
		if (next > now + 200)
			next = now + 200;
		if (poll(&pfd, 1, (int)(next > now ? next - now : 0)) > 0) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			n = recvfrom(j->fd, buf, sizeof(buf), 0,
			    (struct sockaddr *)&from, &fl);
			if (n > 0)
				session_table_recv(t, now_ms(), buf, (size_t)n,
				    &from);
		}
	}
	if (j->done)
		rc = j->err;
	sodium_memzero(msg, sizeof(msg));
	session_table_free(t);
	return rc;
}

static int
resolve(const char *hostport, struct joiner *j)
{
	char host[CONF_HOSTPORT_MAX], port[8];
	struct addrinfo hints, *res = NULL;
	uint16_t p;
	int rc;

	if (!conf_hostport_split(hostport, host, sizeof(host), &p))
		return -EINVAL;
	snprintf(port, sizeof(port), "%u", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "meshctl: %s: %s\n", hostport, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	memcpy(&j->to, res->ai_addr, res->ai_addrlen);
	j->tolen = res->ai_addrlen;
	j->fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	freeaddrinfo(res);
	return j->fd < 0 ? -errno : 0;
}

/* Check the answer against the token, then write the state files. */
static int
accept_answer(struct ctl *ctl, const struct mesh_identity *id,
    const struct invite_token *tok, const struct msg_join_ok *ok)
{
	uint8_t net_id[MESH_NETID_LEN];
	char hosts[1][80], path[4096];
	struct mesh_record member;
	struct mesh_cert cert;
	struct recset *rs;
	uint64_t now = (uint64_t)time(NULL);
	uid_t uid;
	gid_t gid;
	int rc;

	cert_net_id(ok->ca_pk, net_id);
	if (memcmp(net_id, tok->net_id, MESH_NETID_LEN) != 0) {
		fprintf(stderr, "meshctl: the member answered for another "
		    "network than the token's\n");
		return -EPROTO;
	}
	if (cert_decode(&ok->cert, &cert) != VR_OK ||
	    cert_verify(&cert, ok->ca_pk, now) != VR_OK ||
	    memcmp(cert.node_pk, id->pk, MESH_KEY_LEN) != 0 ||
	    strcmp(cert.name, tok->name) != 0) {
		fprintf(stderr, "meshctl: the certificate the member sent is "
		    "not valid for this node\n");
		return -EPROTO;
	}
	if (record_decode(ok->record, RECORD_WIRE_LEN, &member) != VR_OK ||
	    record_verify(&member, ok->ca_pk, NULL, now) != VR_OK ||
	    memcmp(member.cert.node_pk, tok->member_pk, MESH_KEY_LEN) != 0) {
		fprintf(stderr, "meshctl: the member's own record is not valid\n");
		return -EPROTO;
	}
	if ((rc = state_write_cert(ctl->conf.state_dir, &cert)) < 0)
		return rc;
	snprintf(hosts[0], sizeof(hosts[0]), "%s", tok->host);
	if ((rc = state_write_peers(ctl->conf.state_dir, hosts, 1)) < 0)
		return rc;
	if ((rs = recset_new(ok->ca_pk, 0)) == NULL)
		return -ENOMEM;
	if ((rc = state_path(path, sizeof(path), ctl->conf.state_dir,
	    RECSET_FILE)) == 0) {
		recset_load(rs, path, now, NULL);
		recset_add(rs, &member, now);
		if ((rc = atomic_owner_like_dir(ctl->conf.state_dir, &uid,
		    &gid)) == 0)
			rc = recset_save_owned(rs, path, uid, gid);
	}
	recset_free(rs);
	/* The commit marker, last (see the top). */
	if (rc == 0)
		rc = identity_write_ca_pub(ctl->conf.state_dir, ok->ca_pk);
	return rc;
}

int
cmd_join(struct ctl *ctl, int argc, char **argv)
{
	struct invite_token tok;
	struct mesh_identity id;
	struct joiner j;
	const char *why = NULL;
	char err[512];
	int rc, ret = EXIT_ERR;

	if (argc != 2) {
		fprintf(stderr, "usage: meshctl join TOKEN\n");
		return EXIT_USAGE;
	}
	if (sodium_init() < 0)
		return EXIT_ERR;
	if (invite_token_decode(argv[1], &tok, &why) < 0) {
		fprintf(stderr, "meshctl: not an invite token: %s\n",
		    why ? why : "malformed");
		return EXIT_USAGE;
	}
	memset(&j, 0, sizeof(j));
	j.fd = -1;
	j.member_pk = tok.member_pk;
	memset(&id, 0, sizeof(id));
	if (identity_create_node(ctl->conf.state_dir, tok.name, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "meshctl: %s\n", err);
		goto out;
	}
	/* identity_load_secret wants network.pub, which we get only now. */
	if ((rc = identity_load_node_key(ctl->conf.state_dir, &id, err,
	    sizeof(err))) < 0) {
		fprintf(stderr, "meshctl: %s\n", err);
		goto out;
	}
	if ((rc = resolve(tok.host, &j)) < 0)
		goto out;
	rc = exchange(&j, &id, &tok);
	if (rc == 0 && (rc = accept_answer(ctl, &id, &tok, &j.ok)) < 0 &&
	    rc != -EPROTO) {
		errno = -rc;
		fprintf(stderr, "meshctl: cannot write the node's files in %s: "
		    "%s (fix that and run the same join again)\n",
		    ctl->conf.state_dir, strerror(errno));
		rc = -EPROTO;	/* said */
	}
	if (rc == 0) {
		printf("joined as %s.mesh; (re)start meshd to take part\n",
		    tok.name);
		ret = EXIT_OK;
	} else if (rc == -ETIMEDOUT) {
		fprintf(stderr, "meshctl: no answer from %s\n", tok.host);
	} else if (rc != -EPROTO) {
		fprintf(stderr, "meshctl: the invite was refused: %s\n",
		    rc == -EACCES ? "no such invite (wrong or used token)" :
		    rc == -EKEYEXPIRED ? "the invite expired" :
		    rc == -EALREADY ? "the invite was already used" :
		    rc == -EPERM ? "the invite is for another name" :
		    strerror(-rc));
	}
out:
	if (j.fd >= 0)
		close(j.fd);
	identity_free(&id);
	invite_token_wipe(&tok);
	sodium_memzero(&j.ok, sizeof(j.ok));
	return ret;
}

/*
 * Certificate renewal (overlay/renew.c) between real node engines: A holds
 * the CA key (can_redeem, cb.renew), B is a member.  A tiny fake network
 * carries their datagrams by endpoint, and a fake clock moves both the
 * engines' milliseconds and their wall clock.  Hostile peers are bare
 * session tables ("raw") that can send any message over a session they
 * set up themselves.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "overlay/msg.h"
#include "overlay/node.h"
#include "overlay/session.h"

#define DAY		86400ull
#define T0		1700000000ull	/* when the certificates were made */
#define LIFE		(30 * DAY)
#define QMAX		512

struct key {
	uint8_t pk[32];
	unsigned char sk[64];
};

struct eng {
	struct key k;
	struct mesh_endpoint ep;
	struct mesh_cert cert;		/* as issued */
	struct node *n;
	int renewed;			/* NODE_EV_CERT_RENEWED seen */
	int issued;			/* NODE_EV_CERT_ISSUED with err 0 */
	int64_t skew;			/* s its wall clock is off by */
};

struct raw {
	struct key k;
	struct mesh_endpoint ep;
	struct session_table *t;
	struct session *s;
	uint8_t last[MSG_MAX];		/* the last message it got */
	size_t lastlen;
	int got;
};

struct dgram {
	struct mesh_endpoint to, from;
	size_t len;
	uint8_t data[WIRE_PACKET_MAX];
};

static struct key CA;
static struct eng A, B;
static struct raw R;
static struct dgram Q[QMAX];
static size_t QN;
static uint64_t NOW, WALL;		/* ms; unix s at NOW == 1000 */
static int RENEW_CALLS;

static uint64_t
wall(void)
{
	return WALL + NOW / 1000;
}

static void
enqueue(const struct mesh_endpoint *to, const struct mesh_endpoint *from,
    const uint8_t *pkt, size_t len)
{
	if (QN == QMAX)
		return;		/* a full network drops */
	Q[QN].to = *to;
	Q[QN].from = *from;
	Q[QN].len = len;
	memcpy(Q[QN].data, pkt, len);
	QN++;
}

/* --- engine callbacks ----------------------------------------------------- */

static void
e_send(void *ctx, const struct mesh_endpoint *to, const uint8_t *pkt,
    size_t len)
{
	struct eng *e = ctx;

	enqueue(to, &e->ep, pkt, len);
}

static void
e_wallclock(void *ctx, uint64_t *sec, uint32_t *nsec)
{
	const struct eng *e = ctx;

	*sec = wall() + (uint64_t)(e != NULL ? e->skew : 0);
	*nsec = (uint32_t)(NOW % 1000) * 1000000;
}

static uint32_t
e_random(void *ctx, uint32_t upper)
{
	(void)ctx;
	return randombytes_uniform(upper);
}

static size_t
e_local(void *ctx, struct mesh_endpoint *ep, size_t max)
{
	struct eng *e = ctx;

	if (max == 0)
		return 0;
	ep[0] = e->ep;
	return 1;
}

static int
e_redeem(void *ctx, const uint8_t pk[static MESH_KEY_LEN], const char *name,
    const uint8_t *proof, struct mesh_cert *cert)
{
	(void)ctx, (void)pk, (void)name, (void)proof, (void)cert;
	return -EPERM;
}

static int
e_renew(void *ctx, const struct mesh_cert *old, struct mesh_cert *out)
{
	(void)ctx;
	RENEW_CALLS++;
	return cert_issue(out, CA.sk, old->name, old->node_pk, wall(), LIFE) ==
	    VR_OK ? 0 : -EINVAL;
}

static void
e_event(void *ctx, const struct node_event *ev)
{
	struct eng *e = ctx;

	if (ev->kind == NODE_EV_CERT_RENEWED) {
		ck_assert_ptr_nonnull(ev->cert);
		ck_assert_mem_eq(ev->cert->node_pk, e->k.pk, 32);
		e->renewed++;
	} else if (ev->kind == NODE_EV_CERT_ISSUED && ev->err == 0) {
		e->issued++;
	}
}

/* --- raw peers ------------------------------------------------------------ */

static void
r_send(void *ctx, struct session *s, const uint8_t *pkt, size_t len)
{
	struct raw *r = ctx;

	(void)s;
	enqueue(&A.ep, &r->ep, pkt, len);	/* raw peers talk to A only */
}

static void
r_recv(void *ctx, struct session *s, const uint8_t *data, size_t len)
{
	struct raw *r = ctx;

	(void)s;
	if (data[0] != MSG_RENEW_OK && data[0] != MSG_RENEW_ERR)
		return;		/* gossip */
	memcpy(r->last, data, len);
	r->lastlen = len;
	r->got++;
}

static void
r_wallclock(void *ctx, uint64_t *sec, uint32_t *nsec)
{
	(void)ctx;
	e_wallclock(NULL, sec, nsec);
}

static void
key_new(struct key *k)
{
	crypto_sign_keypair(k->pk, k->sk);
}

static void
cert_for(struct mesh_cert *c, const struct key *ca, const char *name,
    const struct key *k)
{
	ck_assert_int_eq(cert_issue(c, ca->sk, name, k->pk, T0, LIFE), VR_OK);
}

/* A raw peer with key k whose handshake payload is payload. */
static void
raw_init(struct raw *r, const uint8_t *payload, size_t plen)
{
	struct session_cb cb = {
		.ctx = r, .send = r_send, .recv = r_recv,
		.wallclock = r_wallclock,
	};

	r->t = session_table_new(r->k.pk, r->k.sk, &cb);
	ck_assert_ptr_nonnull(r->t);
	ck_assert_int_eq(session_table_set_payload(r->t, payload, plen), 0);
	r->s = session_new(r->t, A.k.pk);
	ck_assert_ptr_nonnull(r->s);
	ck_assert_int_eq(session_connect(r->s, NOW), 0);
}

/* A raw peer presenting certificate c. */
static void
raw_with_cert(struct raw *r, const struct mesh_cert *c)
{
	struct mesh_cert_wire w;

	cert_encode(c, &w);
	raw_init(r, (const uint8_t *)&w, sizeof(w));
}

/* --- the network ---------------------------------------------------------- */

static void
deliver(void)
{
	for (size_t i = 0; i < QN; i++) {
		struct dgram *d = &Q[i];
		if (memcmp(&d->to, &A.ep, sizeof(d->to)) == 0 && A.n)
			node_recv(A.n, NOW, d->data, d->len, &d->from);
		else if (memcmp(&d->to, &B.ep, sizeof(d->to)) == 0 && B.n)
			node_recv(B.n, NOW, d->data, d->len, &d->from);
		else if (memcmp(&d->to, &R.ep, sizeof(d->to)) == 0 && R.t)
			session_table_recv(R.t, NOW, d->data, d->len, &d->from);
	}
	QN = 0;
}

/* ms of simulated time in 10 ms steps.  Packets sent within one step
 * arrive in the next, and a reply to the raw peer goes to R.ep: A sends
 * to where the raw peer spoke from. */
static void
run(uint64_t ms)
{
	for (uint64_t end = NOW + ms; NOW < end; NOW += 10) {
		if (A.n != NULL)
			node_tick(A.n, NOW);
		if (B.n != NULL)
			node_tick(B.n, NOW);
		if (R.t != NULL)
			session_table_tick(R.t, NOW);
		/* Replies may be sent while delivering: a few rounds. */
		for (int i = 0; i < 4 && QN > 0; i++) {
			struct dgram held[QMAX];
			size_t n = QN;
			memcpy(held, Q, n * sizeof(Q[0]));
			QN = 0;
			for (size_t j = 0; j < n; j++) {
				Q[0] = held[j];
				QN = 1;
				deliver();
			}
		}
	}
}

static void
eng_start(struct eng *e, bool issuer)
{
	struct node_cb cb = {
		.ctx = e, .send = e_send, .wallclock = e_wallclock,
		.random = e_random, .local_endpoints = e_local,
		.redeem = e_redeem, .renew = e_renew, .event = e_event,
	};
	struct node_cfg cfg = { .sk = e->k.sk, .dead_ms = 5000,
	    .ipv4_only = true, .can_redeem = issuer };

	memcpy(cfg.pk, e->k.pk, 32);
	memcpy(cfg.ca_pk, CA.pk, 32);
	cfg.cert = e->cert;
	e->n = node_new(&cfg, &cb);
	ck_assert_ptr_nonnull(e->n);
}

/* Each engine holds the other's record, so that it tries to connect. */
static void
introduce(struct eng *x, const struct eng *y)
{
	struct mesh_record r;

	ck_assert_int_eq(record_make(&r, &y->cert, CA.pk, y->k.sk, &y->ep, 1,
	    1, wall() + 3600), VR_OK);
	ck_assert_int_eq(recset_add(node_records(x->n), &r, wall()), VR_OK);
}

static void
ep_set(struct mesh_endpoint *ep, uint8_t last)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = MESH_EP_IPV4;
	ep->addr[0] = 10;
	ep->addr[3] = last;
	ep->port = 51830;
}

static void
setup(void)
{
	ck_assert_int_ge(sodium_init(), 0);
	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	memset(&R, 0, sizeof(R));
	QN = 0;
	RENEW_CALLS = 0;
	NOW = 1000;
	/* 25 of 30 days gone: less than a third is left, renewal is due. */
	WALL = T0 + 25 * DAY;
	key_new(&CA);
	key_new(&A.k);
	key_new(&B.k);
	key_new(&R.k);
	ep_set(&A.ep, 1);
	ep_set(&B.ep, 2);
	ep_set(&R.ep, 9);
	cert_for(&A.cert, &CA, "alpha", &A.k);
	cert_for(&B.cert, &CA, "beta", &B.k);
}

static void
teardown(void)
{
	node_free(A.n);
	node_free(B.n);
	if (R.t != NULL)
		session_table_free(R.t);
}

static void
pair(void)
{
	eng_start(&A, true);
	eng_start(&B, false);
	introduce(&A, &B);
	introduce(&B, &A);
}

static bool
raw_up(void)
{
	return session_state(R.s, NOW) == SESSION_UP;
}

/* The raw peer asks A to renew c and waits for the answer. */
static void
raw_ask(const struct mesh_cert *c)
{
	uint8_t m[MSG_MAX];

	R.got = 0;
	ck_assert_int_eq(session_send(R.s, NOW, m, msg_renew_encode(
	    MSG_RENEW_REQ, c, m)), 0);
	run(200);
}

/* --- the tests ------------------------------------------------------------ */

START_TEST(test_due)
{
	struct mesh_cert c = { .not_before = 1000, .not_after = 1000 + 3000 };

	ck_assert(!node_cert_due(&c, 1000));
	ck_assert(!node_cert_due(&c, 2999));
	ck_assert(!node_cert_due(&c, 3000));	/* exactly a third left */
	ck_assert(node_cert_due(&c, 3001));
	ck_assert(node_cert_due(&c, 4000));		/* expired */
	ck_assert(node_cert_due(&c, 9000));
}
END_TEST

START_TEST(test_member_renewed)
{
	const struct mesh_record *r;
	struct mesh_cert now_b;

	pair();
	run(5000);
	now_b = *node_cert(B.n);
	/* B: a new certificate, for its key and name, ending later. */
	ck_assert_int_eq(B.renewed, 1);
	ck_assert_uint_eq(node_counters(B.n)->renewed, 1);
	ck_assert_uint_eq(node_counters(B.n)->renew_asked, 1);
	ck_assert_mem_eq(now_b.node_pk, B.k.pk, 32);
	ck_assert_str_eq(now_b.name, "beta");
	ck_assert_uint_gt(now_b.not_after, B.cert.not_after);
	ck_assert_uint_ne(now_b.serial, B.cert.serial);
	ck_assert_int_eq(cert_verify(&now_b, CA.pk, wall()), VR_OK);
	ck_assert(!node_cert_due(&now_b, wall()));
	/* A issued it, and renewed its own certificate locally. */
	ck_assert_int_eq(A.issued, 1);
	ck_assert_int_eq(A.renewed, 1);
	ck_assert_uint_eq(node_counters(A.n)->renew_issued, 1);
	ck_assert_uint_eq(node_counters(A.n)->renew_asked, 0);
	ck_assert_uint_gt(node_cert(A.n)->not_after, A.cert.not_after);
	ck_assert_int_eq(RENEW_CALLS, 2);
	/* B's new record carries it, and A holds that record. */
	ck_assert_uint_eq(node_self(B.n)->cert.serial, now_b.serial);
	r = recset_by_key(node_records(A.n), B.k.pk);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->cert.serial, now_b.serial);
	r = recset_by_key(node_records(B.n), A.k.pk);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->cert.serial, node_cert(A.n)->serial);
	/* Nothing more is asked or issued later on. */
	run(20000);
	ck_assert_int_eq(RENEW_CALLS, 2);
	ck_assert_uint_eq(node_counters(B.n)->renew_asked, 1);

	/* Past the old certificate's end both still talk: they use the new
	 * ones for every new handshake. */
	WALL += 6 * DAY;
	run(15000);
	{
		struct node_peer_info pi;
		ck_assert(node_peer(A.n, NOW, B.k.pk, &pi));
		ck_assert(pi.up);
		ck_assert_int_eq(pi.state, MEMBER_ALIVE);
	}
}
END_TEST

/* B's clock runs ahead: it is due by its clock, not by the issuer's, and
 * is refused (EALREADY).  Once the two agree it must not wait the hour
 * it waits after a plain refusal: renewed within seconds. */
START_TEST(test_clock_skew)
{
	WALL = T0 + 10 * DAY;		/* two thirds of B's left */
	pair();
	run(3000);			/* the session up, nobody due */
	ck_assert_uint_eq(node_counters(B.n)->renew_asked, 0);
	B.skew = 12 * DAY;		/* B: day 22, due; A: day 10 */
	run(3000);
	ck_assert_int_eq(B.renewed, 0);
	ck_assert_uint_ge(node_counters(A.n)->renew_refused, 1);
	ck_assert_uint_ge(node_counters(B.n)->renew_asked, 1);
	/* The clocks agree again: day 22 for both. */
	WALL = T0 + 22 * DAY;
	B.skew = 0;
	run(30000);
	ck_assert_int_eq(B.renewed, 1);
	ck_assert_uint_gt(node_cert(B.n)->not_after, B.cert.not_after);
}
END_TEST

START_TEST(test_not_due)
{
	WALL = T0 + 10 * DAY;		/* two thirds left */
	pair();
	run(10000);
	ck_assert_uint_eq(node_counters(B.n)->renew_asked, 0);
	ck_assert_int_eq(RENEW_CALLS, 0);
	ck_assert_uint_eq(node_cert(B.n)->serial, B.cert.serial);
}
END_TEST

/* No issuer among the members: one request each per hour, no more. */
START_TEST(test_bounded)
{
	eng_start(&A, false);
	eng_start(&B, false);
	introduce(&A, &B);
	introduce(&B, &A);
	run(60000);
	ck_assert_uint_eq(node_counters(B.n)->renew_asked, 1);
	ck_assert_uint_eq(node_counters(A.n)->renew_asked, 1);
	ck_assert_uint_eq(node_counters(A.n)->renew_refused, 1);
	ck_assert_int_eq(RENEW_CALLS, 0);
	ck_assert_uint_eq(node_cert(B.n)->serial, B.cert.serial);
}
END_TEST

START_TEST(test_revoked_member)
{
	struct mesh_revocation rv;
	struct mesh_cert c;
	int err;

	eng_start(&A, true);
	/* A raw member with a valid certificate connects... */
	cert_for(&c, &CA, "gamma", &R.k);
	raw_with_cert(&R, &c);
	run(500);
	ck_assert(raw_up());
	/* ...and is revoked while its session is up. */
	ck_assert_int_eq(rev_make(&rv, CA.sk, CA.pk, MESH_REV_SERIAL, c.serial,
	    NULL, wall(), wall() + 60 * DAY), VR_OK);
	ck_assert(node_offer_revocation(A.n, &rv));
	RENEW_CALLS = 0;
	raw_ask(&c);
	ck_assert_int_eq(R.got, 1);
	ck_assert(msg_renew_err_decode(R.last, R.lastlen, &err));
	ck_assert_int_eq(err, -EACCES);
	ck_assert_int_eq(RENEW_CALLS, 0);
	ck_assert_uint_eq(node_counters(A.n)->renew_issued, 0);
}
END_TEST

/* A revoked engine member: never admitted, never renewed. */
START_TEST(test_revoked_engine)
{
	struct mesh_revocation rv;

	pair();
	ck_assert_int_eq(rev_make(&rv, CA.sk, CA.pk, MESH_REV_KEY, 0, B.k.pk,
	    wall(), wall() + 60 * DAY), VR_OK);
	ck_assert(node_offer_revocation(A.n, &rv));
	run(10000);
	ck_assert_int_eq(B.renewed, 0);
	ck_assert_uint_eq(node_cert(B.n)->serial, B.cert.serial);
	ck_assert_uint_eq(node_counters(A.n)->renew_issued, 0);
}
END_TEST

START_TEST(test_other_key)
{
	struct mesh_cert c, got;
	int err;

	eng_start(&A, true);
	cert_for(&c, &CA, "gamma", &R.k);
	raw_with_cert(&R, &c);
	run(500);
	ck_assert(raw_up());
	RENEW_CALLS = 0;
	/* B's certificate over R's session: refused. */
	raw_ask(&B.cert);
	ck_assert_int_eq(R.got, 1);
	ck_assert(msg_renew_err_decode(R.last, R.lastlen, &err));
	ck_assert_int_eq(err, -EPERM);
	ck_assert_int_eq(RENEW_CALLS, 0);
	/* Its own: renewed (the refusal above was for the key alone). */
	raw_ask(&c);
	ck_assert_int_eq(R.got, 1);
	ck_assert(msg_renew_decode(R.last, R.lastlen, MSG_RENEW_OK, &got));
	ck_assert_mem_eq(got.node_pk, R.k.pk, 32);
	ck_assert_str_eq(got.name, "gamma");
	ck_assert_int_eq(RENEW_CALLS, 1);
	/* Asked again within the hour: the same one, no new issue. */
	raw_ask(&c);
	ck_assert_int_eq(R.got, 1);
	ck_assert(msg_renew_decode(R.last, R.lastlen, MSG_RENEW_OK, &c));
	ck_assert_uint_eq(c.serial, got.serial);
	ck_assert_int_eq(RENEW_CALLS, 1);
}
END_TEST

/* A joiner (anyone with a fresh key) may not ask; nor may a key with
 * another network's certificate, which gets no session at all. */
START_TEST(test_stranger)
{
	struct key other;
	struct mesh_cert c;
	uint64_t dropped;

	eng_start(&A, true);
	raw_init(&R, (const uint8_t *)MSG_JOIN_HELLO,
	    sizeof(MSG_JOIN_HELLO) - 1);
	run(500);
	ck_assert(raw_up());
	RENEW_CALLS = 0;	/* A has renewed its own by now */
	dropped = node_counters(A.n)->drop_joiner;
	cert_for(&c, &CA, "delta", &R.k);	/* even a real one */
	raw_ask(&c);
	ck_assert_int_eq(R.got, 0);
	ck_assert_uint_eq(node_counters(A.n)->drop_joiner, dropped + 1);
	ck_assert_int_eq(RENEW_CALLS, 0);
	session_table_free(R.t);
	R.t = NULL;

	key_new(&other);
	cert_for(&c, &other, "delta", &R.k);
	raw_with_cert(&R, &c);
	run(2000);
	ck_assert(!raw_up());
	ck_assert_uint_gt(node_counters(A.n)->refused_cert, 0);
	ck_assert_int_eq(RENEW_CALLS, 0);
}
END_TEST

/* A renewal nobody asked for, or one for the wrong name, is not taken. */
START_TEST(test_unsolicited)
{
	struct mesh_cert c;
	uint8_t m[MSG_MAX];

	eng_start(&A, true);
	WALL = T0 + 1 * DAY;		/* A's own is not due */
	cert_for(&c, &CA, "gamma", &R.k);
	raw_with_cert(&R, &c);
	run(500);
	ck_assert(raw_up());
	/* A valid, later certificate of A's key and name: not asked for. */
	ck_assert_int_eq(cert_issue(&c, CA.sk, "alpha", A.k.pk, wall(), LIFE),
	    VR_OK);
	ck_assert_int_eq(session_send(R.s, NOW, m, msg_renew_encode(
	    MSG_RENEW_OK, &c, m)), 0);
	run(200);
	ck_assert_int_eq(A.renewed, 0);
	ck_assert_uint_eq(node_cert(A.n)->serial, A.cert.serial);
}
END_TEST

static Suite *
renew_suite(void)
{
	Suite *s = suite_create("renew");
	TCase *tc = tcase_create("renew");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_due);
	tcase_add_test(tc, test_member_renewed);
	tcase_add_test(tc, test_clock_skew);
	tcase_add_test(tc, test_not_due);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_revoked_member);
	tcase_add_test(tc, test_revoked_engine);
	tcase_add_test(tc, test_other_key);
	tcase_add_test(tc, test_stranger);
	tcase_add_test(tc, test_unsolicited);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(renew_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

/*
 * Handshake floods (issue 12 item 1) and the receiver-index hash, against
 * overlay/dispatch.c through a fake network whose datagrams carry source
 * address bytes (session_table_recv2) and a fake clock (NOW).  DH is
 * counted by stats.dh_ops and stats.initiations_processed; no test looks
 * at wall time.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "overlay/cookie.h"
#include "overlay/mac.h"
#include "overlay/session-int.h"
#include "overlay/session.h"

#define OUTBOX 512

struct node;

struct pkt {
	const struct node *to;		/* NULL: to the session's peer */
	size_t len;
	uint8_t data[WIRE_PACKET_MAX];
};

struct node {
	const char *name;
	uint8_t pk[32];
	uint8_t sk[64];
	uint8_t addr[SESSION_SRC_MAX];	/* what recv2 is told */
	size_t addrlen;
	int64_t clock_skew;		/* s, added to the wall clock */
	struct session_table *t;	/* NULL: an attacker, no engine */
	struct pkt out[OUTBOX];
	int nout;
	int nrx, established;
	bool refuse;
};

static struct node A, B, C, E;		/* E: the flooder */
static uint64_t NOW;

static void
push(struct node *n, const struct node *to, const uint8_t *pkt, size_t len)
{
	if (n->nout == OUTBOX)
		return;			/* the network drops it */
	n->out[n->nout].to = to;
	memcpy(n->out[n->nout].data, pkt, len);
	n->out[n->nout++].len = len;
}

static void
cb_send(void *ctx, struct session *s, const uint8_t *pkt, size_t len)
{
	(void)s;
	push(ctx, NULL, pkt, len);
}

static void
cb_send_to(void *ctx, const void *src, const uint8_t *pkt, size_t len)
{
	push(ctx, src, pkt, len);
}

static void
cb_recv(void *ctx, struct session *s, const uint8_t *data, size_t len)
{
	struct node *n = ctx;

	(void)s;
	(void)data;
	(void)len;
	n->nrx++;
}

static bool
cb_admit(void *ctx, struct session *s, const uint8_t pk[static 32],
    const uint8_t *payload, size_t len, void **user)
{
	struct node *n = ctx;

	(void)s, (void)pk, (void)payload, (void)len, (void)user;
	return !n->refuse;
}

static void
cb_established(void *ctx, struct session *s)
{
	struct node *n = ctx;

	(void)s;
	n->established++;
}

static void
cb_wallclock(void *ctx, uint64_t *sec, uint32_t *nsec)
{
	struct node *n = ctx;

	*sec = (uint64_t)(1700000000 + n->clock_skew + (int64_t)(NOW / 1000));
	*nsec = (uint32_t)(NOW % 1000) * 1000000;
}

static void
ip4(struct node *n, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t v[6] = { a, b, c, d, 0xca, 0x36 };	/* :51766 */

	memcpy(n->addr, v, sizeof(v));
	n->addrlen = sizeof(v);
}

/* 2001:db8:0:NET::HOST, port 51766 */
static void
ip6(struct node *n, uint8_t net, uint8_t host)
{
	memset(n->addr, 0, 18);
	n->addr[0] = 0x20, n->addr[1] = 0x01;
	n->addr[2] = 0x0d, n->addr[3] = 0xb8;
	n->addr[7] = net;
	n->addr[15] = host;
	n->addr[16] = 0xca, n->addr[17] = 0x36;
	n->addrlen = 18;
}

static void
node_init(struct node *n, const char *name, uint8_t seedbyte, bool engine)
{
	struct session_cb cb = {
		.ctx = n, .send = cb_send, .recv = cb_recv, .admit = cb_admit,
		.established = cb_established, .wallclock = cb_wallclock,
		.send_to = cb_send_to,
	};
	uint8_t seed[32];

	memset(n, 0, sizeof(*n));
	n->name = name;
	memset(seed, seedbyte, sizeof(seed));
	crypto_sign_seed_keypair(n->pk, n->sk, seed);
	if (engine) {
		n->t = session_table_new(n->pk, n->sk, &cb);
		ck_assert_ptr_nonnull(n->t);
	}
}

static void
setup(void)
{
	ck_assert_int_ge(sodium_init(), 0);
	NOW = 1000000;
	node_init(&A, "A", 1, true);
	node_init(&B, "B", 2, true);
	node_init(&C, "C", 3, true);
	node_init(&E, "E", 4, false);
	ip4(&A, 10, 0, 1, 5);
	ip4(&B, 10, 0, 2, 1);
	ip4(&C, 10, 0, 3, 7);
	ip4(&E, 10, 0, 3, 66);		/* C's /24 */
}

static void
teardown(void)
{
	session_table_free(A.t);
	session_table_free(B.t);
	session_table_free(C.t);
}

static const struct session_stats *
st(const struct node *n)
{
	return session_table_stats(n->t);
}

/* rx_packets and every drop_*: each packet moves exactly one. */
static uint64_t
total(const struct session_stats *s)
{
	return s->rx_packets + s->drop_malformed + s->drop_mac +
	    s->drop_crypto + s->drop_refused + s->drop_replay_hs +
	    s->drop_flood + s->drop_collision + s->drop_index +
	    s->drop_stale + s->drop_auth + s->drop_replay + s->drop_nomem +
	    s->drop_hs_seen + s->drop_ratelimit + s->drop_cookie +
	    s->drop_hs_stale;
}

static int
recv_from(struct node *to, const struct node *from, const uint8_t *p,
    size_t len)
{
	uint64_t before = total(st(to));
	int rc = session_table_recv2(to->t, NOW, p, len, from, from->addr,
	    from->addrlen);

	ck_assert_uint_eq(total(st(to)), before + 1);
	return rc;
}

/* Deliver what from sent to to (and what it sent nowhere else). */
static int
deliver(struct node *from, struct node *to)
{
	static struct pkt q[OUTBOX];
	int n = 0, keep = 0;

	for (int i = 0; i < from->nout; i++) {
		if (from->out[i].to == NULL || from->out[i].to == to)
			q[n++] = from->out[i];
		else
			from->out[keep++] = from->out[i];
	}
	from->nout = keep;
	for (int i = 0; i < n; i++)
		recv_from(to, from, q[i].data, q[i].len);
	return n;
}

static void
pump(struct node *x, struct node *y)
{
	while (deliver(x, y) + deliver(y, x) > 0)
		;
}

static struct session *
connect_to(struct node *x, struct node *y)
{
	struct session *s = session_table_find(x->t, y->pk);

	if (s == NULL)
		s = session_new(x->t, y->pk);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(session_connect(s, NOW), 0);
	return s;
}

static void
assert_up(struct node *x, struct node *y)
{
	struct session *sx = session_table_find(x->t, y->pk);
	struct session *sy = session_table_find(y->t, x->pk);

	ck_assert_ptr_nonnull(sx);
	ck_assert_ptr_nonnull(sy);
	ck_assert_int_eq(session_state(sx, NOW), SESSION_UP);
	ck_assert_int_eq(session_state(sy, NOW), SESSION_UP);
}

/* An initiation anyone who knows to's key can make: valid mac1, garbage
 * behind it, so it costs DH before it fails. */
static size_t
junk_initiation(uint8_t *buf, const struct node *to)
{
	uint8_t key[WIRE_KEY_LEN];
	size_t len = WIRE_INITIATION_MIN;

	randombytes_buf(buf, len);
	buf[0] = WIRE_INITIATION;
	buf[1] = buf[2] = buf[3] = 0;
	mac_key(key, to->pk);
	mac_seal(key, buf, len);
	return len;
}

static uint64_t
dh_of(const struct node *n)
{
	return st(n)->dh_ops;
}

/* --- replays ------------------------------------------------------------ */

/* One captured initiation replayed 50,000 times, from the flooder and
 * spoofed from its real sender, over one second: the victim pays DH for
 * none of them (before: two X25519 each, 100,000 in all), and its peer
 * still completes a new handshake during the flood. */
START_TEST(replayed_flood_costs_no_dh)
{
	struct session *sa = connect_to(&A, &B);
	struct pkt init = A.out[0];
	uint64_t dh0, proc0;

	(void)sa;
	pump(&A, &B);
	assert_up(&A, &B);
	dh0 = dh_of(&B);
	proc0 = st(&B)->initiations_processed;
	for (int i = 0; i < 50000; i++) {
		if (i % 50 == 0)
			NOW++;
		ck_assert_int_eq(recv_from(&B, i % 2 ? &E : &A, init.data,
		    init.len), -EBADMSG);
		if (i == 25000) {
			/* A rekeys in the middle of it. */
			session_free(session_table_find(A.t, B.pk));
			connect_to(&A, &B);
			pump(&A, &B);
			assert_up(&A, &B);
		}
	}
	ck_assert_uint_eq(st(&B)->drop_hs_seen, 50000);
	/* A's second handshake: 1 initiation, 2 + 2 DH. */
	ck_assert_uint_eq(st(&B)->initiations_processed - proc0, 1);
	ck_assert_uint_le(dh_of(&B) - dh0, 4);
	ck_assert_uint_eq(st(&B)->drop_cookie, 0);	/* no load */
	ck_assert_int_eq(B.nout, 0);
}
END_TEST

/* A refused initiation, replayed: DH once, then one hash a copy. */
START_TEST(refused_initiation_remembered)
{
	struct pkt init;
	uint64_t dh0 = dh_of(&B);

	B.refuse = true;
	connect_to(&A, &B);
	init = A.out[0];
	A.nout = 0;
	for (int i = 0; i < 50000; i++) {
		if (i % 50 == 0)
			NOW++;
		ck_assert_int_eq(recv_from(&B, &E, init.data, init.len),
		    -EBADMSG);
	}
	ck_assert_uint_eq(st(&B)->drop_refused, 1);
	ck_assert_uint_eq(st(&B)->drop_hs_seen, 49999);
	ck_assert_uint_eq(st(&B)->initiations_processed, 1);
	ck_assert_uint_le(dh_of(&B) - dh0, 2);
	ck_assert_int_eq(B.nout, 0);
}
END_TEST

/* --- fresh junk: load and cookies --------------------------------------- */

/* 50,000 distinct junk initiations over one second from spoofed sources
 * (the flooder never sees the cookie replies): once under load nothing
 * costs DH, and A, on the flooder's prefix, gets in by a cookie round
 * trip. */
START_TEST(junk_flood_under_load)
{
	static uint8_t buf[WIRE_INITIATION_MAX];
	uint64_t dh0 = dh_of(&B), proc;
	struct session *sa;

	ip4(&A, 10, 0, 3, 5);		/* the flooder's /24 */
	for (int i = 0; i < 50000; i++) {
		size_t len = junk_initiation(buf, &B);

		if (i % 50 == 0)
			NOW++;
		E.addr[3] = (uint8_t)i;	/* spoofed all over the /24 */
		E.addr[2] = (uint8_t)(i >> 8);
		ck_assert_int_eq(recv_from(&B, &E, buf, len), -EBADMSG);
		B.nout = 0;		/* cookie replies to nobody */
		if (i == 20000) {
			sa = connect_to(&A, &B);
			/* A's initiation: a cookie comes back ... */
			deliver(&A, &B);
			ck_assert_int_eq(B.nout, 1);
			ck_assert_uint_eq(B.out[0].len, WIRE_COOKIE_LEN);
			ck_assert_ptr_eq(B.out[0].to, &A);
			/* ... A resends at once with mac2, and gets in. */
			pump(&A, &B);
			ck_assert_uint_eq(st(&A)->cookies_received, 1);
			assert_up(&A, &B);
		}
	}
	proc = st(&B)->initiations_processed;
	/* The first WIRE_LOAD_INITIATIONS, before the load is noticed, and
	 * A's. */
	ck_assert_uint_le(proc, WIRE_LOAD_INITIATIONS + 1);
	ck_assert_uint_le(dh_of(&B) - dh0, 2 * proc + 2);
	ck_assert_uint_ge(st(&B)->drop_cookie, 50000 - WIRE_LOAD_INITIATIONS -
	    WIRE_RATELIMIT_BURST);
	ck_assert_uint_eq(st(&B)->drop_crypto, proc - 1);
	ck_assert_int_eq(A.established, 1);
	ck_assert_int_eq(B.established, 1);
	(void)sa;
}
END_TEST

/* A flooder that does open its cookie replies and sends with mac2: the
 * per-address bucket holds it to WIRE_RATELIMIT_RATE a second. */
START_TEST(cookie_holder_rate_limited)
{
	static uint8_t buf[WIRE_INITIATION_MAX];
	uint8_t ckey[WIRE_KEY_LEN], cookie[WIRE_MAC_LEN];
	bool have = false;
	uint64_t proc0;

	mac_cookie_key(ckey, B.pk);
	/* Load first, from elsewhere. */
	for (int i = 0; i < 2 * WIRE_LOAD_INITIATIONS; i++) {
		size_t len = junk_initiation(buf, &B);

		E.addr[3] = (uint8_t)i;
		recv_from(&B, &E, buf, len);
	}
	B.nout = 0;
	E.addr[3] = 66;
	proc0 = st(&B)->initiations_processed;
	for (int i = 0; i < 10000; i++) {	/* 2 s */
		size_t len = junk_initiation(buf, &B);

		if (i % 5 == 0)
			NOW++;
		if (have)
			mac2_seal(cookie, buf, len);
		recv_from(&B, &E, buf, len);
		if (B.nout > 0) {
			ck_assert_uint_eq(B.out[0].len, WIRE_COOKIE_LEN);
			ck_assert(cookie_open(cookie, ckey, B.out[0].data,
			    mac1_of(buf, len)));
			have = true;
			B.nout = 0;
		}
	}
	ck_assert(have);
	/* A burst, then the rate: 32 + 2 s x 32. */
	ck_assert_uint_le(st(&B)->initiations_processed - proc0,
	    WIRE_RATELIMIT_BURST + 2 * WIRE_RATELIMIT_RATE + 1);
	ck_assert_uint_gt(st(&B)->drop_ratelimit, 9000);
}
END_TEST

/* The cookie secret turns over every two minutes: an old cookie is
 * refused and a new one given; the handshake still completes. */
START_TEST(cookie_rotation)
{
	struct session_flood_limits fl = {
		.load_initiations = 0,	/* always under load */
		.rate = WIRE_RATELIMIT_RATE, .burst = WIRE_RATELIMIT_BURST,
		.hs_max_age = WIRE_HS_MAX_AGE,
	};
	struct session *sa;

	session_table_set_flood_limits(B.t, &fl);
	sa = connect_to(&A, &B);
	pump(&A, &B);
	assert_up(&A, &B);
	ck_assert_uint_eq(st(&A)->cookies_received, 1);
	ck_assert_uint_eq(st(&B)->drop_cookie, 1);
	/* A new handshake within the cookie's life (B forgot A, A kept its
	 * session and cookie): mac2 at once, no cookie. */
	NOW += WIRE_COOKIE_SECRET_AGE - WIRE_COOKIE_LATENCY - 1000;
	session_free(session_table_find(B.t, A.pk));
	session_connect(sa, NOW);
	pump(&A, &B);
	assert_up(&A, &B);
	ck_assert_uint_eq(st(&B)->drop_cookie, 1);
	/* Past the secret's age: a cookie again. */
	NOW += WIRE_COOKIE_SECRET_AGE;
	session_free(session_table_find(B.t, A.pk));
	session_connect(sa, NOW);
	pump(&A, &B);
	assert_up(&A, &B);
	ck_assert_uint_eq(st(&B)->drop_cookie, 2);
	ck_assert_uint_eq(st(&A)->cookies_received, 2);
}
END_TEST

/* A cookie reply is only good for the initiation it answers. */
START_TEST(forged_cookie_reply)
{
	struct session_flood_limits fl = {
		.load_initiations = 0, .rate = 32, .burst = 32,
		.hs_max_age = WIRE_HS_MAX_AGE,
	};
	struct pkt reply;
	uint8_t other[WIRE_MAC_LEN];

	session_table_set_flood_limits(B.t, &fl);
	connect_to(&A, &B);
	deliver(&A, &B);
	ck_assert_int_eq(B.nout, 1);
	reply = B.out[0];
	B.nout = 0;
	/* Bound to another mac1 (E's guess): does not open. */
	memset(other, 0x5a, sizeof(other));
	cookie_reply(reply.data, B.t->st.cookie_key,
	    noise_le32(((struct wire_cookie *)reply.data)->receiver), other,
	    other);
	ck_assert_int_eq(recv_from(&A, &E, reply.data, reply.len), -EBADMSG);
	ck_assert_uint_eq(st(&A)->drop_crypto, 1);
	ck_assert_int_eq(A.nout, 0);
	/* Wrong length, unknown index. */
	ck_assert_int_eq(recv_from(&A, &E, reply.data, reply.len - 1),
	    -EBADMSG);
	ck_assert_uint_eq(st(&A)->drop_malformed, 1);
	reply.data[4] ^= 1;
	ck_assert_int_eq(recv_from(&A, &E, reply.data, reply.len), -EBADMSG);
	ck_assert_uint_eq(st(&A)->drop_index, 1);
}
END_TEST

/* --- the prefix limiter ------------------------------------------------- */

static void
no_load(struct node *n)
{
	struct session_flood_limits fl = {
		.load_initiations = UINT32_MAX - 1,
		.rate = WIRE_RATELIMIT_RATE, .burst = WIRE_RATELIMIT_BURST,
		.hs_max_age = WIRE_HS_MAX_AGE,
	};

	session_table_set_flood_limits(n->t, &fl);
}

/* With the load threshold out of the way: the flooder's prefix is
 * refused (C on it too, until the bucket refills), another is not. */
START_TEST(prefix_limiter)
{
	static uint8_t buf[WIRE_INITIATION_MAX];
	int v6 = _i;

	no_load(&B);
	if (v6) {
		ip6(&A, 2, 5);
		ip6(&C, 1, 7);
		ip6(&E, 1, 66);
	}
	for (int i = 0; i < 1000; i++) {
		size_t len = junk_initiation(buf, &B);

		E.addr[v6 ? 15 : 3] = (uint8_t)i;	/* all over its prefix */
		recv_from(&B, &E, buf, len);
	}
	ck_assert_uint_eq(st(&B)->initiations_processed,
	    WIRE_RATELIMIT_BURST);
	ck_assert_uint_eq(st(&B)->drop_ratelimit,
	    1000 - WIRE_RATELIMIT_BURST);
	/* Another prefix: in at once. */
	connect_to(&A, &B);
	pump(&A, &B);
	assert_up(&A, &B);
	/* The same prefix: refused, and in after the refill. */
	connect_to(&C, &B);
	deliver(&C, &B);
	ck_assert_int_eq(B.nout, 0);
	ck_assert_uint_eq(st(&B)->drop_ratelimit, 1000 - WIRE_RATELIMIT_BURST +
	    1);
	NOW += 1400;			/* past the jittered retransmit */
	session_tick(session_table_find(C.t, B.pk), NOW);
	pump(&C, &B);
	assert_up(&C, &B);
	ck_assert_uint_eq(st(&B)->drop_cookie, 0);
}
END_TEST

/* An IPv4-mapped IPv6 source is limited by its IPv4 /24. */
START_TEST(mapped_prefix)
{
	static uint8_t buf[WIRE_INITIATION_MAX];
	struct node M;

	no_load(&B);
	memset(&M, 0, sizeof(M));
	M.addr[10] = M.addr[11] = 0xff;
	memcpy(M.addr + 12, C.addr, 4);	/* ::ffff:10.0.3.7 */
	M.addrlen = 18;
	for (int i = 0; i < 100; i++) {
		size_t len = junk_initiation(buf, &B);

		recv_from(&B, &E, buf, len);	/* 10.0.3.66 */
	}
	ck_assert_uint_eq(st(&B)->drop_ratelimit, 100 - WIRE_RATELIMIT_BURST);
	recv_from(&B, &M, buf, junk_initiation(buf, &B));
	ck_assert_uint_eq(st(&B)->drop_ratelimit, 101 - WIRE_RATELIMIT_BURST);
}
END_TEST

/* Without source bytes (session_table_recv), all sources share one
 * bucket and there are no cookies: the old call still works, and holds. */
START_TEST(old_call)
{
	static uint8_t buf[WIRE_INITIATION_MAX];

	for (int i = 0; i < 1000; i++) {
		size_t len = junk_initiation(buf, &B);

		ck_assert_int_eq(session_table_recv(B.t, NOW, buf, len, NULL),
		    -EBADMSG);
	}
	ck_assert_uint_eq(st(&B)->initiations_processed,
	    WIRE_RATELIMIT_BURST);
	ck_assert_uint_eq(st(&B)->drop_cookie, 0);
	ck_assert_int_eq(B.nout, 0);
	NOW += 2000;			/* refilled, load gone */
	connect_to(&A, &B);
	ck_assert_int_eq(session_table_recv(B.t, NOW, A.out[0].data,
	    A.out[0].len, &A), 0);
}
END_TEST

/* --- stale timestamps --------------------------------------------------- */

START_TEST(stale_timestamp_new_session)
{
	struct pkt init;
	struct node *fresh;

	/* A's clock 5 minutes behind: refused, although B has never seen
	 * it; 1 minute behind is fine. */
	A.clock_skew = -300;
	connect_to(&A, &B);
	deliver(&A, &B);
	ck_assert_uint_eq(st(&B)->drop_hs_stale, 1);
	ck_assert_ptr_null(session_table_find(B.t, A.pk));
	A.clock_skew = -60;
	NOW += 1500;
	session_tick(session_table_find(A.t, B.pk), NOW);
	pump(&A, &B);
	assert_up(&A, &B);

	/* Across a restart of B: A's initiation, captured, replayed to the
	 * new B later than WIRE_HS_MAX_AGE. */
	A.clock_skew = 0;
	session_free(session_table_find(A.t, B.pk));
	connect_to(&A, &B);
	init = A.out[0];
	A.nout = 0;
	session_table_free(B.t);
	fresh = &B;
	node_init(fresh, "B", 2, true);
	ip4(&B, 10, 0, 2, 1);
	NOW += WIRE_HS_MAX_AGE + 1000;
	ck_assert_int_eq(recv_from(&B, &A, init.data, init.len), -EBADMSG);
	ck_assert_uint_eq(st(&B)->drop_hs_stale, 1);
	ck_assert_ptr_null(session_table_find(B.t, A.pk));
}
END_TEST

/* --- the receiver-index hash -------------------------------------------- */

static size_t
live_indexes(const struct session_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct session *s = t->v[i];

		n += (s->hs.state == NOISE_INIT_SENT) + s->cur.valid +
		    s->prev.valid + s->next.valid;
	}
	return n;
}

static size_t
mapped_indexes(const struct session_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->index.cap; i++)
		n += t->index.v[i].idx != 0;
	ck_assert_uint_eq(n, t->index.n);
	return n;
}

/* Every live index of every session is in the map, and pointing to it. */
static void
assert_index(const struct session_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct session *s = t->v[i];
		const struct keypair *kps[3] = { &s->cur, &s->prev, &s->next };

		if (s->hs.state == NOISE_INIT_SENT)
			ck_assert_ptr_eq(index_map_get(&t->index,
			    s->hs.local_index), s);
		for (int k = 0; k < 3; k++)
			if (kps[k]->valid)
				ck_assert_ptr_eq(index_map_get(&t->index,
				    kps[k]->local_index), s);
	}
	/* And little else: at most SESS_MAPPED per session, dead ones
	 * included. */
	ck_assert_uint_le(mapped_indexes(t), SESS_MAPPED * t->n);
}

START_TEST(index_after_rekeys_and_free)
{
	struct session *sa, *sb;
	uint8_t pk[32], sk[64];
	int rx;

	no_load(&B);
	no_load(&A);
	/* Many peers in A's table, so a scan would show. */
	for (int i = 0; i < 200; i++) {
		crypto_sign_keypair(pk, sk);
		session_connect(session_new(A.t, pk), NOW);
	}
	A.nout = 0;
	sa = connect_to(&A, &B);
	pump(&A, &B);
	assert_up(&A, &B);
	sb = session_table_find(B.t, A.pk);
	for (int r = 0; r < 20; r++) {
		NOW += WIRE_REKEY_AFTER_TIME;
		session_tick(sa, NOW);
		session_tick(sb, NOW);
		rx = B.nrx;
		/* Old keys, then the rekey, then the new keys both ways. */
		ck_assert_int_eq(session_send(sa, NOW, (const uint8_t *)"x", 1),
		    0);
		pump(&A, &B);
		ck_assert_int_eq(B.nrx, rx + 1);
		ck_assert_int_eq(session_send(sb, NOW, (const uint8_t *)"y", 1),
		    0);
		ck_assert_int_eq(session_send(sa, NOW, (const uint8_t *)"z", 1),
		    0);
		pump(&A, &B);
		ck_assert_int_eq(B.nrx, rx + 2);
		assert_up(&A, &B);
		assert_index(A.t);
		assert_index(B.t);
		ck_assert_uint_le(mapped_indexes(B.t), live_indexes(B.t) + 4);
	}
	ck_assert_uint_ge(st(&A)->handshakes, 20);
	ck_assert_uint_eq(st(&B)->drop_index, 0);
	ck_assert_uint_eq(st(&A)->drop_index, 0);

	/* Freed on B: its indexes are gone, A's packets find nothing ... */
	session_free(sb);
	ck_assert_uint_eq(mapped_indexes(B.t), 0);
	ck_assert_int_eq(session_send(sa, NOW, (const uint8_t *)"w", 1), 0);
	deliver(&A, &B);
	ck_assert_uint_eq(st(&B)->drop_index, 1);
	/* ... until A handshakes again; expiry empties the map too. */
	session_free(sa);
	sa = connect_to(&A, &B);
	pump(&A, &B);
	assert_up(&A, &B);
	assert_index(B.t);
	NOW += WIRE_REJECT_AFTER_TIME + 1;
	session_table_tick(B.t, NOW);
	ck_assert_uint_eq(mapped_indexes(B.t), 0);
	session_table_tick(A.t, NOW);
	assert_index(A.t);
}
END_TEST

static Suite *
flood_suite(void)
{
	Suite *s = suite_create("flood");
	TCase *tc = tcase_create("flood");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, replayed_flood_costs_no_dh);
	tcase_add_test(tc, refused_initiation_remembered);
	tcase_add_test(tc, junk_flood_under_load);
	tcase_add_test(tc, cookie_holder_rate_limited);
	tcase_add_test(tc, cookie_rotation);
	tcase_add_test(tc, forged_cookie_reply);
	tcase_add_loop_test(tc, prefix_limiter, 0, 2);
	tcase_add_test(tc, mapped_prefix);
	tcase_add_test(tc, old_call);
	tcase_add_test(tc, stale_timestamp_new_session);
	tcase_add_test(tc, index_after_rekeys_and_free);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(flood_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

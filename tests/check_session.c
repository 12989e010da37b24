/*
 * Unit tests for overlay/session.c: the per-peer state machine and the
 * dispatcher, driven through a fake network (outboxes we deliver by hand)
 * and a fake clock (NOW).  No sockets, no sleeping.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "overlay/aead.h"
#include "overlay/session.h"

#define OUTBOX 256

struct pkt {
	size_t len;
	uint8_t data[WIRE_PACKET_MAX];
};

struct node {
	const char *name;
	uint8_t pk[32];
	uint8_t sk[64];
	struct session_table *t;
	struct pkt out[OUTBOX];
	int nout;
	int nrx;			/* data packets delivered up */
	uint8_t rx[WIRE_MAX_PLAINTEXT];
	size_t rxlen;
	int established;
	int admits;
	bool refuse;
	uint8_t payload[WIRE_HS_PAYLOAD_MAX];	/* last one admitted */
	size_t plen;
	const void *seen_src;
	int nhop;			/* hop datagrams delivered up */
	uint8_t hop[WIRE_PACKET_MAX];	/* the last one's inner packet */
	size_t hoplen;
	uint8_t hop_ttl, hop_src[32], hop_dst[32];
};

static struct node A, B, C;
static uint64_t NOW;

static void
cb_send(void *ctx, struct session *s, const uint8_t *pkt, size_t len)
{
	struct node *n = ctx;

	(void)s;
	ck_assert_int_lt(n->nout, OUTBOX);
	ck_assert_uint_le(len, WIRE_PACKET_MAX);
	memcpy(n->out[n->nout].data, pkt, len);
	n->out[n->nout++].len = len;
}

static void
cb_recv(void *ctx, struct session *s, const uint8_t *data, size_t len)
{
	struct node *n = ctx;

	(void)s;
	ck_assert_uint_gt(len, 0);
	memcpy(n->rx, data, len);
	n->rxlen = len;
	n->nrx++;
}

static bool
cb_admit(void *ctx, struct session *s, const uint8_t pk[static 32],
    const uint8_t *payload, size_t len, void **user)
{
	(void)user;
	struct node *n = ctx;

	(void)s;
	(void)pk;
	n->admits++;
	memcpy(n->payload, payload, len);
	n->plen = len;
	return !n->refuse;
}

static void
cb_seen(void *ctx, struct session *s, const void *src)
{
	struct node *n = ctx;

	(void)s;
	n->seen_src = src;
}

static void
cb_hop(void *ctx, struct session *s, const struct session_hop *h)
{
	struct node *n = ctx;

	(void)s;
	memcpy(n->hop, h->pkt, h->len);
	n->hoplen = h->len;
	n->hop_ttl = h->ttl;
	memcpy(n->hop_src, h->src, 32);
	memcpy(n->hop_dst, h->dst, 32);
	n->nhop++;
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
	(void)ctx;
	*sec = 1700000000 + NOW / 1000;
	*nsec = (uint32_t)(NOW % 1000) * 1000000;
}

static void
node_init(struct node *n, const char *name, uint8_t seedbyte)
{
	struct session_cb cb = {
		.ctx = n, .send = cb_send, .recv = cb_recv, .admit = cb_admit,
		.seen = cb_seen, .established = cb_established,
		.wallclock = cb_wallclock, .hop = cb_hop,
	};
	uint8_t seed[32];
	char payload[64];

	memset(n, 0, sizeof(*n));
	n->name = name;
	memset(seed, seedbyte, sizeof(seed));
	crypto_sign_seed_keypair(n->pk, n->sk, seed);
	n->t = session_table_new(n->pk, n->sk, &cb);
	ck_assert_ptr_nonnull(n->t);
	snprintf(payload, sizeof(payload), "certificate of %s", name);
	ck_assert_int_eq(session_table_set_payload(n->t,
	    (const uint8_t *)payload, strlen(payload)), 0);
}

static void
setup(void)
{
	ck_assert_int_ge(sodium_init(), 0);
	NOW = 1000000;
	node_init(&A, "A", 1);
	node_init(&B, "B", 2);
	node_init(&C, "C", 3);
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

/* Deliver everything in from's outbox to to; returns how many. */
static int
deliver(struct node *from, struct node *to)
{
	static struct pkt q[OUTBOX];
	int n = from->nout;

	memcpy(q, from->out, sizeof(q[0]) * (size_t)n);
	from->nout = 0;
	for (int i = 0; i < n; i++)
		session_table_recv(to->t, NOW, q[i].data, q[i].len, from);
	return n;
}

static void
pump(struct node *x, struct node *y)
{
	while (deliver(x, y) + deliver(y, x) > 0)
		;
}

/* Take the one packet x has sent. */
static struct pkt
take(struct node *x)
{
	struct pkt p;

	ck_assert_int_eq(x->nout, 1);
	p = x->out[0];
	x->nout = 0;
	return p;
}

static int
recv_pkt(struct node *to, const struct pkt *p)
{
	return session_table_recv(to->t, NOW, p->data, p->len, NULL);
}

/* x initiates to y; both end up with working keys. */
static struct session *
establish(struct node *x, struct node *y)
{
	struct session *s = session_table_find(x->t, y->pk);

	if (s == NULL)
		s = session_new(x->t, y->pk);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(session_connect(s, NOW), 0);
	pump(x, y);
	ck_assert_int_eq(session_state(s, NOW), SESSION_UP);
	ck_assert_ptr_nonnull(session_table_find(y->t, x->pk));
	ck_assert_int_eq(session_state(session_table_find(y->t, x->pk), NOW),
	    SESSION_UP);
	return s;
}

static void
send_str(struct session *s, const char *str)
{
	ck_assert_int_eq(session_send(s, NOW, (const uint8_t *)str,
	    strlen(str)), 0);
}

static void
assert_rx(const struct node *n, const char *str)
{
	ck_assert_uint_eq(n->rxlen, strlen(str));
	ck_assert_mem_eq(n->rx, str, n->rxlen);
}

/* --- happy paths -------------------------------------------------------- */

START_TEST(happy_path_both_ways)
{
	struct node *x = _i == 0 ? &A : &B, *y = _i == 0 ? &B : &A;
	struct session *sx, *sy;

	sx = session_new(x->t, y->pk);
	ck_assert_ptr_nonnull(sx);
	/* Data sent before any handshake waits for the keys. */
	send_str(sx, "hello");
	ck_assert_int_eq(session_state(sx, NOW), SESSION_HANDSHAKE);
	pump(x, y);
	ck_assert_int_eq(y->nrx, 1);
	assert_rx(y, "hello");
	ck_assert_ptr_eq(y->seen_src, x);
	/* Each end saw the other's payload. */
	ck_assert_uint_eq(y->plen, strlen("certificate of ") + 1);
	ck_assert_mem_eq(y->payload, "certificate of ", 15);
	ck_assert_int_eq(y->payload[15], x->name[0]);
	ck_assert_int_eq(x->payload[15], y->name[0]);
	ck_assert_int_eq(x->established, 1);
	ck_assert_int_eq(y->established, 1);

	sy = session_table_find(y->t, x->pk);
	ck_assert_ptr_nonnull(sy);
	send_str(sy, "world");
	pump(x, y);
	ck_assert_int_eq(x->nrx, 1);
	assert_rx(x, "world");
	for (int i = 0; i < 100; i++) {
		send_str(sx, "ping");
		send_str(sy, "pong");
	}
	pump(x, y);
	ck_assert_int_eq(x->nrx, 101);
	ck_assert_int_eq(y->nrx, 101);
	ck_assert_uint_eq(st(x)->handshakes, 1);
	ck_assert_uint_eq(st(y)->handshakes, 1);
	/* AES-256-GCM where the CPU has it, the same at both ends. */
	ck_assert_str_eq(session_cipher(sx, NOW), session_cipher(sy, NOW));
	ck_assert_str_eq(session_cipher(sx, NOW),
	    crypto_aead_aes256gcm_is_available() ? "aes-256-gcm" :
	    "chacha20-poly1305");
}
END_TEST

/* One end says cipher = chacha20-poly1305: the session uses ChaCha, and
 * data flows; the next handshake after allowing AES again takes it. */
START_TEST(cipher_chacha_only)
{
	struct session *s;

	ck_assert(!session_table_set_aes(B.t, false));
	s = establish(&A, &B);
	ck_assert_str_eq(session_cipher(s, NOW), "chacha20-poly1305");
	send_str(s, "hello");
	pump(&A, &B);
	assert_rx(&B, "hello");
	ck_assert(session_table_set_aes(B.t, true) ==
	    (crypto_aead_aes256gcm_is_available() != 0));
	ck_assert_str_eq(session_cipher(s, NOW), "chacha20-poly1305");
}
END_TEST

START_TEST(queue_limit)
{
	struct session *s = session_new(A.t, B.pk);
	char msg[16];

	for (int i = 0; i < 4; i++) {
		snprintf(msg, sizeof(msg), "m%d", i);
		send_str(s, msg);
	}
	ck_assert_int_eq(session_send(s, NOW, (const uint8_t *)"x", 1),
	    -ENOBUFS);
	ck_assert_int_eq(session_send(s, NOW, NULL, WIRE_MAX_PLAINTEXT + 1),
	    -EMSGSIZE);
	pump(&A, &B);
	ck_assert_int_eq(B.nrx, 4);
	assert_rx(&B, "m3");
}
END_TEST

/* --- tampering ---------------------------------------------------------- */

START_TEST(tamper_initiation)
{
	struct session *s = session_new(A.t, B.pk);
	struct pkt p, q;

	session_connect(s, NOW);
	p = take(&A);
	/* Every bit but mac2's, which counts only under load (flood tests). */
	for (size_t i = 0; i < p.len - WIRE_MAC_LEN; i++)
		for (int bit = 0; bit < 8; bit++) {
			q = p;
			q.data[i] ^= (uint8_t)(1u << bit);
			ck_assert_int_eq(recv_pkt(&B, &q), -EBADMSG);
		}
	for (size_t l = 0; l < p.len; l++) {
		q = p;
		q.len = l;
		ck_assert_int_eq(recv_pkt(&B, &q), -EBADMSG);
	}
	ck_assert_int_eq(B.nout, 0);
	ck_assert_ptr_null(session_table_find(B.t, A.pk));
	ck_assert_int_eq(B.admits, 0);
	ck_assert_uint_eq(st(&B)->rx_packets, 0);
	ck_assert_int_eq(recv_pkt(&B, &p), 0);
	ck_assert_int_eq(B.nout, 1);
}
END_TEST

START_TEST(tamper_response)
{
	struct session *s = session_new(A.t, B.pk);
	struct pkt p, q;

	session_connect(s, NOW);
	deliver(&A, &B);
	p = take(&B);
	for (size_t i = 0; i < p.len - WIRE_MAC_LEN; i++)	/* not mac2 */
		for (int bit = 0; bit < 8; bit++) {
			q = p;
			q.data[i] ^= (uint8_t)(1u << bit);
			ck_assert_int_eq(recv_pkt(&A, &q), -EBADMSG);
		}
	for (size_t l = 0; l < p.len; l++) {
		q = p;
		q.len = l;
		ck_assert_int_eq(recv_pkt(&A, &q), -EBADMSG);
	}
	ck_assert_int_eq(A.nout, 0);
	ck_assert_int_eq(session_state(s, NOW), SESSION_HANDSHAKE);
	ck_assert_int_eq(recv_pkt(&A, &p), 0);
	ck_assert_int_eq(session_state(s, NOW), SESSION_UP);
}
END_TEST

START_TEST(tamper_transport)
{
	struct session *s = establish(&A, &B);
	struct pkt p, q;
	uint64_t drops;

	send_str(s, "secret data");
	p = take(&A);
	drops = st(&B)->drop_auth + st(&B)->drop_index +
	    st(&B)->drop_malformed + st(&B)->drop_replay + st(&B)->drop_stale;
	for (size_t i = 0; i < p.len; i++)
		for (int bit = 0; bit < 8; bit++) {
			q = p;
			q.data[i] ^= (uint8_t)(1u << bit);
			ck_assert_int_eq(recv_pkt(&B, &q), -EBADMSG);
		}
	for (size_t l = 0; l < p.len; l++) {
		q = p;
		q.len = l;
		ck_assert_int_eq(recv_pkt(&B, &q), -EBADMSG);
	}
	ck_assert_uint_eq(st(&B)->drop_auth + st(&B)->drop_index +
	    st(&B)->drop_malformed + st(&B)->drop_replay + st(&B)->drop_stale,
	    drops + p.len * 8 + p.len);
	ck_assert_int_eq(B.nrx, 0);
	ck_assert_int_eq(recv_pkt(&B, &p), 0);
	ck_assert_int_eq(B.nrx, 1);
	assert_rx(&B, "secret data");
}
END_TEST

/* Hop datagrams, under either cipher, with a transport packet inside (the
 * tag covers its header, its tag and its length) and a handshake inside
 * (all of it): every covered bit, and every length, is refused; the real
 * one comes up as sent, once. */
START_TEST(hop_datagram)
{
	static uint8_t buf[WIRE_PACKET_MAX];
	const bool transport = _i & 1, chacha = _i & 2;
	const size_t ilen = transport ? 1334 : 148;
	const size_t head = SESSION_HOP_HEAD;
	struct session *s;
	struct pkt p, q;
	uint64_t drops, auth;

	if (chacha)
		session_table_set_aes(B.t, false);
	s = establish(&A, &B);
	ck_assert_str_eq(session_cipher(s, NOW), chacha ? "chacha20-poly1305" :
	    aead_name(crypto_aead_aes256gcm_is_available() != 0));
	for (size_t k = 0; k < ilen; k++)
		buf[head + k] = (uint8_t)(k * 13 + 5);
	buf[head] = transport ? WIRE_TRANSPORT : WIRE_INITIATION;
	ck_assert_int_eq(session_send_hop(s, NOW, buf, ilen, 5, A.pk, C.pk), 0);
	p = take(&A);
	ck_assert_uint_eq(p.len, head + ilen + WIRE_TAG_LEN);
	ck_assert_uint_eq(p.data[0], WIRE_HOP);
	ck_assert_mem_eq(p.data + head, buf + head, ilen);	/* as is */
	drops = st(&B)->drop_auth + st(&B)->drop_index +
	    st(&B)->drop_malformed + st(&B)->drop_replay + st(&B)->drop_stale +
	    st(&B)->drop_mac;
	for (size_t i = 0; i < p.len; i++) {
		if (transport && i >= head + WIRE_HOP_AD_EDGE &&
		    i < head + ilen - WIRE_HOP_AD_EDGE)
			continue;	/* the end-to-end session's to check */
		for (int bit = 0; bit < 8; bit++) {
			q = p;
			q.data[i] ^= (uint8_t)(1u << bit);
			ck_assert_int_eq(recv_pkt(&B, &q), -EBADMSG);
		}
	}
	for (size_t l = 0; l < p.len; l++) {
		q = p;
		q.len = l;
		ck_assert_int_eq(recv_pkt(&B, &q), -EBADMSG);
	}
	ck_assert_int_eq(B.nhop, 0);
	ck_assert_uint_eq(st(&B)->drop_auth + st(&B)->drop_index +
	    st(&B)->drop_malformed + st(&B)->drop_replay + st(&B)->drop_stale +
	    st(&B)->drop_mac,
	    drops + (transport ? head + 2 * WIRE_HOP_AD_EDGE + WIRE_TAG_LEN :
	    p.len) * 8 + p.len);
	ck_assert_int_eq(recv_pkt(&B, &p), 0);
	ck_assert_int_eq(B.nhop, 1);
	ck_assert_uint_eq(B.hoplen, ilen);
	ck_assert_mem_eq(B.hop, buf + head, ilen);
	ck_assert_uint_eq(B.hop_ttl, 5);
	ck_assert_mem_eq(B.hop_src, A.pk, 32);
	ck_assert_mem_eq(B.hop_dst, C.pk, 32);
	ck_assert_uint_eq(st(&B)->rx_hops, 1);
	ck_assert_uint_eq(st(&A)->tx_hops, 1);
	/* A copy: the hop session's replay window. */
	auth = st(&B)->drop_replay;
	ck_assert_int_eq(recv_pkt(&B, &p), -EBADMSG);
	ck_assert_uint_eq(st(&B)->drop_replay, auth + 1);
	ck_assert_int_eq(B.nhop, 1);
	/* Transport packets and hop datagrams share the counter. */
	send_str(s, "after");
	pump(&A, &B);
	assert_rx(&B, "after");
	if (transport) {
		/* The middle of the inner packet: passed up (the end-to-end
		 * session refuses it, not this one). */
		ck_assert_int_eq(session_send_hop(s, NOW, buf, ilen, 5, A.pk,
		    C.pk), 0);
		p = take(&A);
		p.data[head + ilen / 2] ^= 1;
		ck_assert_int_eq(recv_pkt(&B, &p), 0);
		ck_assert_int_eq(B.nhop, 2);
	}
	/* Sizes: 4 to WIRE_HOP_INNER_MAX, nothing outside. */
	ck_assert_int_eq(session_send_hop(s, NOW, buf, 3, 5, A.pk, C.pk),
	    -EMSGSIZE);
	ck_assert_int_eq(session_send_hop(s, NOW, buf, WIRE_HOP_INNER_MAX + 1,
	    5, A.pk, C.pk), -EMSGSIZE);
	ck_assert_int_eq(session_send_hop(s, NOW, buf, WIRE_HOP_INNER_MAX, 5,
	    A.pk, C.pk), 0);
	p = take(&A);
	ck_assert_uint_eq(p.len, WIRE_PACKET_MAX);
	ck_assert_int_eq(recv_pkt(&B, &p), 0);
}
END_TEST

/* --- replay ------------------------------------------------------------- */

START_TEST(replay_initiation)
{
	struct session *s = session_new(A.t, B.pk);
	struct pkt init, resp;

	session_connect(s, NOW);
	init = take(&A);
	ck_assert_int_eq(recv_pkt(&B, &init), 0);
	resp = take(&B);
	ck_assert_int_eq(recv_pkt(&A, &resp), 0);
	pump(&A, &B);

	NOW += 1000;
	/* A copy of one taken: one hash, no DH. */
	ck_assert_int_eq(recv_pkt(&B, &init), -EBADMSG);
	ck_assert_uint_eq(st(&B)->drop_hs_seen, 1);
	ck_assert_uint_eq(st(&B)->initiations_processed, 1);
	ck_assert_int_eq(B.nout, 0);
	ck_assert_int_eq(B.admits, 1);
	/* The response, replayed, finds no handshake waiting for it. */
	ck_assert_int_eq(recv_pkt(&A, &resp), -EBADMSG);
	ck_assert_uint_eq(st(&A)->drop_index, 1);
	ck_assert_int_eq(A.nout, 0);
	ck_assert_uint_eq(st(&A)->handshakes, 1);
}
END_TEST

/* An initiation B never saw, but older than one it took: DH, then
 * refused by timestamp, and remembered. */
START_TEST(replay_older_initiation)
{
	struct session *s = session_new(A.t, B.pk);
	struct pkt old, cur;

	session_connect(s, NOW);
	old = take(&A);			/* lost */
	NOW += 1500;
	session_tick(s, NOW);		/* the retransmit */
	cur = take(&A);
	ck_assert_int_eq(recv_pkt(&B, &cur), 0);
	B.nout = 0;
	NOW += 1000;
	ck_assert_int_eq(recv_pkt(&B, &old), -EBADMSG);
	ck_assert_uint_eq(st(&B)->drop_replay_hs, 1);
	ck_assert_uint_eq(st(&B)->initiations_processed, 2);
	ck_assert_int_eq(recv_pkt(&B, &old), -EBADMSG);
	ck_assert_uint_eq(st(&B)->drop_hs_seen, 1);
	ck_assert_uint_eq(st(&B)->initiations_processed, 2);
	ck_assert_int_eq(B.nout, 0);
}
END_TEST

START_TEST(replay_transport)
{
	struct session *s = establish(&A, &B);
	struct pkt p1, p2;

	send_str(s, "one");
	p1 = take(&A);
	send_str(s, "two");
	p2 = take(&A);
	ck_assert_int_eq(recv_pkt(&B, &p2), 0);
	ck_assert_int_eq(recv_pkt(&B, &p1), 0);	/* late but new */
	ck_assert_int_eq(recv_pkt(&B, &p1), -EBADMSG);
	ck_assert_int_eq(recv_pkt(&B, &p2), -EBADMSG);
	ck_assert_uint_eq(st(&B)->drop_replay, 2);
	ck_assert_int_eq(B.nrx, 2);
	assert_rx(&B, "one");
}
END_TEST

/* --- keys and admission ------------------------------------------------- */

START_TEST(wrong_responder_key)
{
	/* A thinks B's endpoint belongs to C. */
	struct session *s = session_new(A.t, C.pk);

	session_connect(s, NOW);
	ck_assert_int_eq(deliver(&A, &B), 1);
	ck_assert_uint_eq(st(&B)->drop_mac, 1);
	ck_assert_int_eq(B.nout, 0);
	ck_assert_int_eq(B.admits, 0);
}
END_TEST

START_TEST(refused_by_responder)
{
	struct session *s = session_new(A.t, B.pk);

	B.refuse = true;
	session_connect(s, NOW);
	deliver(&A, &B);
	ck_assert_int_eq(B.admits, 1);
	ck_assert_uint_eq(st(&B)->drop_refused, 1);
	ck_assert_int_eq(B.nout, 0);
	ck_assert_ptr_null(session_table_find(B.t, A.pk));
	ck_assert_int_eq(B.plen, strlen("certificate of A"));
}
END_TEST

START_TEST(refused_by_initiator)
{
	struct session *s = session_new(A.t, B.pk);

	A.refuse = true;
	session_connect(s, NOW);
	pump(&A, &B);
	ck_assert_uint_eq(st(&A)->drop_refused, 1);
	ck_assert_int_ne(session_state(s, NOW), SESSION_UP);
	ck_assert_int_eq(A.established, 0);
	ck_assert_int_eq(B.established, 0);
}
END_TEST

START_TEST(bad_peer_keys)
{
	uint8_t bad[32];

	memset(bad, 0xff, sizeof(bad));
	ck_assert_ptr_null(session_new(A.t, bad));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(session_new(A.t, A.pk));
	ck_assert_ptr_nonnull(session_new(A.t, B.pk));
	ck_assert_ptr_null(session_new(A.t, B.pk));
	ck_assert_int_eq(errno, EEXIST);
}
END_TEST

START_TEST(junk_is_counted)
{
	static uint8_t buf[WIRE_PACKET_MAX + 64];
	const struct session_stats *s = st(&B);
	uint64_t total;

	establish(&A, &B);
	total = s->drop_malformed + s->drop_mac + s->drop_crypto +
	    s->drop_index + s->drop_auth + s->drop_replay + s->drop_stale;
	for (int i = 0; i < 20000; i++) {
		size_t len = randombytes_uniform(sizeof(buf));

		randombytes_buf(buf, len);
		if (i % 2 == 0 && len > 0)	/* a plausible type byte */
			buf[0] = (uint8_t)(1 + randombytes_uniform(4));
		if (i % 4 == 0 && len > 4)
			buf[1] = buf[2] = buf[3] = 0;
		ck_assert_int_eq(session_table_recv(B.t, NOW, buf, len, NULL),
		    -EBADMSG);
	}
	ck_assert_uint_eq(s->drop_malformed + s->drop_mac + s->drop_crypto +
	    s->drop_index + s->drop_auth + s->drop_replay + s->drop_stale,
	    total + 20000);
	ck_assert_int_eq(B.nout, 0);
	ck_assert_int_eq(B.nrx, 0);
}
END_TEST

/* --- timers ------------------------------------------------------------- */

START_TEST(rekey_after_time)
{
	struct session *s = establish(&A, &B);
	struct session *sb = session_table_find(B.t, A.pk);
	struct pkt old;

	send_str(s, "before");
	old = take(&A);			/* in flight across the rekey */
	NOW += WIRE_REKEY_AFTER_TIME;
	send_str(s, "after");		/* sent on the old keys, then rekey */
	ck_assert_int_eq(A.nout, 2);
	pump(&A, &B);
	ck_assert_uint_eq(st(&A)->handshakes, 2);
	ck_assert_uint_eq(st(&B)->handshakes, 2);
	assert_rx(&B, "after");
	ck_assert_int_eq(recv_pkt(&B, &old), 0);	/* previous keys */
	assert_rx(&B, "before");
	send_str(sb, "new keys");
	pump(&A, &B);
	assert_rx(&A, "new keys");
	ck_assert_uint_eq(session_last_handshake(s), NOW);
}
END_TEST

START_TEST(expiry)
{
	struct session *s = establish(&A, &B);
	struct session *sb = session_table_find(B.t, A.pk);
	struct pkt old;
	uint64_t d;

	send_str(s, "x");
	old = take(&A);
	d = session_table_tick(A.t, NOW);
	ck_assert_uint_le(d, NOW + WIRE_REJECT_AFTER_TIME);
	NOW += WIRE_REJECT_AFTER_TIME;
	ck_assert_int_eq(session_state(s, NOW), SESSION_IDLE);
	ck_assert_int_eq(session_state(sb, NOW), SESSION_IDLE);
	/* Dead keys open nothing, even before the tick wipes them. */
	ck_assert_int_eq(recv_pkt(&B, &old), -EBADMSG);
	ck_assert_uint_eq(st(&B)->drop_stale, 1);
	session_table_tick(A.t, NOW);
	session_table_tick(B.t, NOW);
	ck_assert_int_eq(recv_pkt(&B, &old), -EBADMSG);
	ck_assert_uint_eq(st(&B)->drop_index, 1);
	ck_assert_uint_eq(session_table_tick(B.t, NOW), UINT64_MAX);
	/* Sending again brings a new session, from either end. */
	send_str(sb, "back");
	pump(&A, &B);
	assert_rx(&A, "back");
}
END_TEST

/* The protocol's times with other packet counts. */
static struct session_limits
count_limits(uint64_t rekey, uint64_t reject, uint64_t aes_rekey,
    uint64_t aes_reject)
{
	struct session_limits lim = {
		.rekey_after_messages = rekey, .reject_after_messages = reject,
		.aes_rekey_after_messages = aes_rekey,
		.aes_reject_after_messages = aes_reject,
		.rekey_after_time = WIRE_REKEY_AFTER_TIME,
		.reject_after_time = WIRE_REJECT_AFTER_TIME,
		.rekey_attempt_time = WIRE_REKEY_ATTEMPT_TIME,
		.rekey_timeout = WIRE_REKEY_TIMEOUT,
		.keepalive_timeout = WIRE_KEEPALIVE_TIMEOUT,
	};

	return lim;
}

/* With lim, B's keys rekey at 10 packets and stop at 20 until the new
 * handshake is done; what waited then goes. */
static void
rekeys_at_10_stops_at_20(const struct session_limits *lim)
{
	struct session *s, *sb;

	session_table_set_limits(A.t, lim);
	session_table_set_limits(B.t, lim);
	s = establish(&A, &B);		/* A sent 1: the confirmation */
	sb = session_table_find(B.t, A.pk);
	/* B, the responder, rekeys on count too. */
	for (int i = 0; i < 9; i++)
		send_str(sb, "m");
	ck_assert_int_eq(B.nout, 9);
	send_str(sb, "m");
	ck_assert_int_eq(B.nout, 11);	/* the 10th, then an initiation */
	/* Keys never serve past the hard limit: the rest waits. */
	for (int i = 0; i < 10; i++)
		send_str(sb, "m");
	ck_assert_int_eq(B.nout, 21);
	ck_assert_int_eq(session_send(sb, NOW, (const uint8_t *)"q", 1), 0);
	ck_assert_int_eq(B.nout, 21);
	ck_assert_int_eq(session_state(sb, NOW), SESSION_HANDSHAKE);
	pump(&A, &B);
	ck_assert_int_eq(A.nrx, 21);
	assert_rx(&A, "q");
	ck_assert_uint_eq(st(&A)->handshakes, 2);
	ck_assert_int_eq(session_state(s, NOW), SESSION_UP);
	ck_assert_int_eq(session_state(sb, NOW), SESSION_UP);
}

START_TEST(rekey_after_messages)
{
	struct session_limits lim = count_limits(10, 20, 0, 0);

	rekeys_at_10_stops_at_20(&lim);
}
END_TEST

/* AES-256-GCM keys rekey and stop at their own, lower counts
 * (WIRE_AES_REKEY_AFTER_MESSAGES); ChaCha20-Poly1305 keys ignore them. */
START_TEST(aes_rekey_after_messages)
{
	struct session_limits lim = count_limits(UINT64_C(1) << 40,
	    UINT64_C(1) << 41, 10, 20);

	ck_assert_msg(crypto_aead_aes256gcm_is_available(),
	    "this CPU has no AES-256-GCM: the case cannot run");
	rekeys_at_10_stops_at_20(&lim);
	ck_assert_str_eq(session_cipher(session_table_find(B.t, A.pk), NOW),
	    "aes-256-gcm");
}
END_TEST

START_TEST(chacha_ignores_aes_counts)
{
	struct session_limits aes_lim = count_limits(UINT64_C(1) << 40,
	    UINT64_C(1) << 41, 10, 20);
	struct session *s, *sb;

	session_table_set_limits(A.t, &aes_lim);
	session_table_set_limits(B.t, &aes_lim);
	session_table_set_aes(B.t, false);
	s = establish(&A, &B);
	ck_assert_str_eq(session_cipher(s, NOW), "chacha20-poly1305");
	sb = session_table_find(B.t, A.pk);
	for (int i = 0; i < 30; i++)
		send_str(sb, "m");
	ck_assert_int_eq(B.nout, 30);	/* no initiation, nothing held */
	ck_assert_int_eq(session_state(sb, NOW), SESSION_UP);
}
END_TEST

START_TEST(retransmit_backoff)
{
	struct session *s = session_new(A.t, B.pk);
	uint64_t start = NOW, d, prev_gap = 0;
	struct pkt first;
	int sent = 1;

	session_connect(s, NOW);
	first = take(&A);
	for (;;) {
		d = session_table_tick(A.t, NOW);
		if (d == UINT64_MAX)
			break;
		ck_assert_uint_gt(d, NOW);
		/* Gaps grow to rekey_timeout (plus jitter), never shrink
		 * much below the previous one. */
		ck_assert_uint_ge(d - NOW + WIRE_REKEY_JITTER, prev_gap);
		ck_assert_uint_lt(d - NOW, WIRE_REKEY_TIMEOUT + WIRE_REKEY_JITTER);
		prev_gap = d - NOW;
		NOW = d;
		session_table_tick(A.t, NOW);
		if (A.nout == 0)
			break;
		A.nout = 0;
		sent++;
	}
	ck_assert_uint_ge(NOW - start, WIRE_REKEY_ATTEMPT_TIME);
	ck_assert_uint_le(NOW - start, WIRE_REKEY_ATTEMPT_TIME +
	    WIRE_REKEY_TIMEOUT + WIRE_REKEY_JITTER);
	ck_assert_int_gt(sent, 15);
	ck_assert_int_lt(sent, 25);
	ck_assert_uint_eq(st(&A)->initiations_sent, (uint64_t)sent);
	ck_assert_uint_eq(st(&A)->handshake_timeouts, 1);
	ck_assert_int_eq(session_state(s, NOW), SESSION_IDLE);
	/* The first initiation reaches B late: its answer finds nothing. */
	ck_assert_int_eq(recv_pkt(&B, &first), 0);
	deliver(&B, &A);
	ck_assert_uint_eq(st(&A)->drop_index, 1);
}
END_TEST

START_TEST(lost_initiation_retried)
{
	struct session *s = session_new(A.t, B.pk);

	send_str(s, "eventually");
	A.nout = 0;			/* lost */
	NOW = session_table_tick(A.t, NOW);
	session_table_tick(A.t, NOW);
	ck_assert_int_eq(A.nout, 1);
	pump(&A, &B);
	assert_rx(&B, "eventually");
}
END_TEST

START_TEST(passive_keepalive)
{
	struct session *s = establish(&A, &B);
	uint64_t rx = st(&A)->rx_packets;

	send_str(s, "need an answer");
	deliver(&A, &B);
	ck_assert_int_eq(B.nout, 0);
	ck_assert_uint_le(session_table_tick(B.t, NOW),
	    NOW + WIRE_KEEPALIVE_TIMEOUT);
	NOW += WIRE_KEEPALIVE_TIMEOUT;
	session_table_tick(B.t, NOW);
	ck_assert_int_eq(B.nout, 1);
	deliver(&B, &A);
	ck_assert_uint_eq(st(&A)->rx_packets, rx + 1);
	ck_assert_int_eq(A.nrx, 0);	/* keepalives are not passed up */
	/* A heard back: no new handshake after the reply deadline. */
	NOW += WIRE_REKEY_TIMEOUT + 1;
	session_table_tick(A.t, NOW);
	ck_assert_int_eq(A.nout, 0);
}
END_TEST

START_TEST(persistent_keepalive)
{
	struct session *s = establish(&A, &B);

	session_set_keepalive(s, 25000);
	ck_assert_uint_le(session_table_tick(A.t, NOW), NOW + 25000);
	NOW += 25000;
	session_table_tick(A.t, NOW);
	ck_assert_int_eq(A.nout, 1);
	deliver(&A, &B);
	ck_assert_int_eq(B.nrx, 0);
}
END_TEST

START_TEST(peer_restart)
{
	struct session *s = establish(&A, &B);

	/* B restarts: same key, no state. */
	session_table_free(B.t);
	node_init(&B, "B", 2);
	send_str(s, "lost");
	deliver(&A, &B);
	ck_assert_uint_eq(st(&B)->drop_index, 1);
	/* No answer within keepalive + rekey timeout: handshake again. */
	NOW += WIRE_KEEPALIVE_TIMEOUT + WIRE_REKEY_TIMEOUT;
	session_table_tick(A.t, NOW);
	ck_assert_int_eq(A.nout, 1);
	pump(&A, &B);
	send_str(s, "found");
	pump(&A, &B);
	assert_rx(&B, "found");
}
END_TEST

START_TEST(simultaneous_initiation)
{
	struct session *sa = session_new(A.t, B.pk);
	struct session *sb = session_new(B.t, A.pk);

	send_str(sa, "from A");
	send_str(sb, "from B");
	ck_assert_int_eq(A.nout, 1);
	ck_assert_int_eq(B.nout, 1);
	/* Crossed on the wire: each receives the other's initiation. */
	struct pkt ia = take(&A), ib = take(&B);
	recv_pkt(&B, &ia);
	recv_pkt(&A, &ib);
	ck_assert_uint_eq(st(&A)->drop_collision + st(&B)->drop_collision, 1);
	pump(&A, &B);
	ck_assert_uint_eq(st(&A)->handshakes, 1);
	ck_assert_uint_eq(st(&B)->handshakes, 1);
	ck_assert_int_eq(session_state(sa, NOW), SESSION_UP);
	ck_assert_int_eq(session_state(sb, NOW), SESSION_UP);
	assert_rx(&A, "from B");
	assert_rx(&B, "from A");
	send_str(sa, "again A");
	send_str(sb, "again B");
	pump(&A, &B);
	assert_rx(&A, "again B");
	assert_rx(&B, "again A");
	/* And it stays settled: nothing more on the timers. */
	NOW += WIRE_REKEY_TIMEOUT * 2;
	session_table_tick(A.t, NOW);
	session_table_tick(B.t, NOW);
	pump(&A, &B);
	ck_assert_uint_eq(st(&A)->handshakes, 1);
	ck_assert_uint_eq(st(&B)->handshakes, 1);
}
END_TEST

/* The end with the greater key cannot reach the other (NAT), and keeps
 * trying; the other's initiations still get answered after a while. */
START_TEST(unreachable_larger_key)
{
	bool a_larger = memcmp(A.pk, B.pk, 32) > 0;
	struct node *L = a_larger ? &A : &B, *S = a_larger ? &B : &A;
	struct session *sl = session_new(L->t, S->pk);
	struct session *ss = session_new(S->t, L->pk);
	uint64_t start = NOW;
	int i;

	send_str(sl, "from L");
	for (i = 0; i < 100 && session_state(ss, NOW) != SESSION_UP; i++) {
		L->nout = 0;		/* L's packets never arrive */
		if (i % 3 == 0) {
			/* Queued while S has no keys; once the queue is full
			 * (how soon depends on which key is larger, i.e. on
			 * the run's keys) the newest is dropped, as meant. */
			int rc = session_send(ss, NOW,
			    (const uint8_t *)"from S", 6);
			ck_assert(rc == 0 || rc == -ENOBUFS);
		} else
			session_table_tick(S->t, NOW);
		deliver(S, L);
		deliver(L, S);
		deliver(S, L);
		NOW += 500;
		session_table_tick(L->t, NOW);
	}
	ck_assert_int_eq(session_state(ss, NOW), SESSION_UP);
	ck_assert_uint_le(NOW - start, WIRE_REKEY_TIMEOUT * 3);
	ck_assert_uint_gt(st(L)->drop_collision, 0);
	pump(L, S);
	ck_assert_int_eq(session_state(sl, NOW), SESSION_UP);
	ck_assert_int_gt(L->nrx, 0);
	assert_rx(L, "from S");
	send_str(sl, "now L gets through");
	pump(L, S);
	assert_rx(S, "now L gets through");
}
END_TEST

START_TEST(three_nodes)
{
	struct session *ab = establish(&A, &B);
	struct session *cb = establish(&C, &B);

	send_str(ab, "to B from A");
	deliver(&A, &B);
	assert_rx(&B, "to B from A");
	send_str(cb, "to B from C");
	deliver(&C, &B);
	assert_rx(&B, "to B from C");
	/* A packet of A's session fed to C is dropped (no such index). */
	send_str(ab, "misrouted");
	ck_assert_int_eq(deliver(&A, &C), 1);
	ck_assert_int_eq(C.nrx, 0);
	ck_assert_uint_eq(st(&C)->drop_index, 1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("session");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, happy_path_both_ways, 0, 2);
	tcase_add_test(tc, cipher_chacha_only);
	tcase_add_test(tc, queue_limit);
	tcase_add_test(tc, tamper_initiation);
	tcase_add_test(tc, tamper_response);
	tcase_add_test(tc, tamper_transport);
	tcase_add_loop_test(tc, hop_datagram, 0, 4);
	tcase_add_test(tc, replay_initiation);
	tcase_add_test(tc, replay_older_initiation);
	tcase_add_test(tc, replay_transport);
	tcase_add_test(tc, wrong_responder_key);
	tcase_add_test(tc, refused_by_responder);
	tcase_add_test(tc, refused_by_initiator);
	tcase_add_test(tc, bad_peer_keys);
	tcase_add_test(tc, junk_is_counted);
	tcase_add_test(tc, rekey_after_time);
	tcase_add_test(tc, expiry);
	tcase_add_test(tc, rekey_after_messages);
	tcase_add_test(tc, aes_rekey_after_messages);
	tcase_add_test(tc, chacha_ignores_aes_counts);
	tcase_add_test(tc, retransmit_backoff);
	tcase_add_test(tc, lost_initiation_retried);
	tcase_add_test(tc, passive_keepalive);
	tcase_add_test(tc, persistent_keepalive);
	tcase_add_test(tc, peer_restart);
	tcase_add_test(tc, simultaneous_initiation);
	tcase_add_test(tc, unreachable_larger_key);
	tcase_add_test(tc, three_nodes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * libFuzzer target for the session engine (overlay/session.c, noise.c,
 * mac.c, replay.c).  Build and run with tests/fuzz/build-session.sh.
 *
 * The input is a script played on two nodes, A and B, joined by a fake
 * network with a fake clock: send data, deliver queued packets (possibly
 * mutated, dropped, duplicated or replayed), feed raw bytes with or
 * without a valid mac1 (so that the fuzzer also gets past the cheap
 * check), send hop datagrams (WIRE_HOP) with any inner packet, move the
 * clock, tick timers, shrink limits.  Besides the sanitizers it checks
 * invariants: every received packet is accepted or counted as dropped,
 * what B delivers up is something A sent, and a hop datagram that comes up
 * carries the keys it was sent with and the bytes its tag covers as sent.
 *
 * randombytes is replaced by a deterministic generator reset per input,
 * so a crash reproduces from its input alone.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "overlay/mac.h"
#include "overlay/session.h"

#define RING 16
#define HOP_TTL 7

struct pkt {
	size_t len;
	uint8_t data[WIRE_PACKET_MAX];
};

struct node {
	uint8_t pk[32], sk[64];
	struct session_table *t;
	struct session *s;
	struct pkt out[RING];		/* outbox, oldest first */
	int nout;
	uint64_t nrx;
	uint64_t nrecv_calls;
	uint64_t nhop_calls;
};

static struct node A, B;
static struct pkt history[RING];	/* delivered packets, for replays */
static int nhist;
static uint64_t NOW;
static uint64_t rng_state[4];
static uint8_t D[WIRE_MAX_PLAINTEXT + 1];	/* what nodes send */

/* --- deterministic randombytes ------------------------------------------ */

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint32_t
rng_random(void)
{
	/* xoshiro256** */
	uint64_t *s = rng_state, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return (uint32_t)(r >> 32);
}

static void
rng_buf(void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rng_random();
}

static uint32_t
rng_uniform(uint32_t upper)
{
	return upper < 2 ? 0 : rng_random() % upper;
}

static const char *
rng_name(void)
{
	return "fuzz";
}

static void
rng_stir(void)
{
}

static struct randombytes_implementation rng_impl = {
	.implementation_name = rng_name,
	.random = rng_random,
	.stir = rng_stir,
	.uniform = rng_uniform,
	.buf = rng_buf,
	.close = NULL,
};

/* --- fake network ------------------------------------------------------- */

static void
cb_send(void *ctx, struct session *s, const uint8_t *pkt, size_t len)
{
	struct node *n = ctx;

	(void)s;
	if (len > WIRE_PACKET_MAX)
		abort();
	if (n->nout == RING) {
		memmove(&n->out[0], &n->out[1], sizeof(n->out[0]) * (RING - 1));
		n->nout--;
	}
	memcpy(n->out[n->nout].data, pkt, len);
	n->out[n->nout++].len = len;
}

static void
cb_recv(void *ctx, struct session *s, const uint8_t *data, size_t len)
{
	struct node *n = ctx;

	(void)s;
	/* The fuzzer's data is all 'D' bytes: anything else was forged. */
	for (size_t i = 0; i < len; i++)
		if (data[i] != 'D')
			abort();
	if (len == 0 || len > WIRE_MAX_PLAINTEXT)
		abort();
	n->nrecv_calls++;
}

/* Hop datagrams carry an inner packet of its type byte and then 'H'
 * bytes; the tag covers all of it, or for a transport packet its first
 * and last WIRE_HOP_AD_EDGE bytes: those must come up as sent. */
static void
cb_hop(void *ctx, struct session *s, const struct session_hop *h)
{
	struct node *n = ctx, *peer = n == &A ? &B : &A;
	size_t lo = 1, hi = h->len;

	(void)s;
	if (memcmp(h->src, peer->pk, 32) != 0 || memcmp(h->dst, n->pk, 32) != 0 ||
	    h->ttl != HOP_TTL || h->len < sizeof(struct wire_header) ||
	    h->len > WIRE_HOP_INNER_MAX || h->pkt[0] < WIRE_INITIATION ||
	    h->pkt[0] > WIRE_HOP)
		abort();
	if (h->pkt[0] == WIRE_TRANSPORT && h->len >= WIRE_TRANSPORT_MIN) {
		for (size_t i = lo; i < WIRE_HOP_AD_EDGE; i++)
			if (h->pkt[i] != 'H')
				abort();
		lo = h->len - WIRE_HOP_AD_EDGE;
	}
	for (size_t i = lo; i < hi; i++)
		if (h->pkt[i] != 'H')
			abort();
	n->nhop_calls++;
}

static bool
cb_admit(void *ctx, struct session *s, const uint8_t pk[static 32],
    const uint8_t *payload, size_t len, void **user)
{
	(void)ctx;
	(void)s;
	(void)payload;
	(void)user;
	/* Only the two real nodes exist. */
	if (memcmp(pk, A.pk, 32) != 0 && memcmp(pk, B.pk, 32) != 0)
		abort();
	return len <= WIRE_HS_PAYLOAD_MAX;
}

static void
cb_wallclock(void *ctx, uint64_t *sec, uint32_t *nsec)
{
	(void)ctx;
	*sec = 1700000000 + NOW / 1000;
	*nsec = (uint32_t)(NOW % 1000) * 1000000;
}

static void
node_init(struct node *n, uint8_t seedbyte, const char *payload)
{
	struct session_cb cb = {
		.ctx = n, .send = cb_send, .recv = cb_recv, .admit = cb_admit,
		.wallclock = cb_wallclock, .hop = cb_hop,
	};
	uint8_t seed[32];

	n->nout = 0;
	n->nrx = 0;
	n->nrecv_calls = 0;
	n->nhop_calls = 0;
	if (n->pk[0] == 0 && n->pk[1] == 0) {	/* once: keys are fixed */
		memset(seed, seedbyte, sizeof(seed));
		crypto_sign_seed_keypair(n->pk, n->sk, seed);
	}
	n->t = session_table_new(n->pk, n->sk, &cb);
	if (n->t == NULL)
		abort();
	session_table_set_payload(n->t, (const uint8_t *)payload,
	    strlen(payload));
}

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

static void
feed(struct node *to, const uint8_t *p, size_t len)
{
	uint64_t before = total(session_table_stats(to->t));
	int rc = session_table_recv(to->t, NOW, p, len, NULL);

	to->nrx++;
	/* Exactly one counter moves per packet. */
	if (total(session_table_stats(to->t)) != before + 1)
		abort();
	if (rc != 0 && rc != -EBADMSG)
		abort();
}

/* --- the script --------------------------------------------------------- */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t
next(struct input *in)
{
	uint8_t b;

	if (in->n == 0)
		return 0;
	b = *in->p++;
	in->n--;
	return b;
}

static void
op_send(struct node *n, struct input *in)
{
	size_t len = (size_t)next(in) * 6;

	if (len > WIRE_MAX_PLAINTEXT + 1)
		len = WIRE_MAX_PLAINTEXT + 1;
	if (n->s == NULL)
		return;
	(void)session_send(n->s, NOW, D, len);
}

/* A hop datagram: the inner packet's type (initiation .. hop), then its
 * length / 6, up to just past the largest. */
static void
op_send_hop(struct node *n, struct input *in)
{
	static uint8_t buf[WIRE_PACKET_MAX + 8];
	uint8_t type = (uint8_t)(WIRE_INITIATION + next(in) % 5);
	size_t len = (size_t)next(in) * 6;
	struct node *peer = n == &A ? &B : &A;
	int rc;

	if (len > WIRE_HOP_INNER_MAX + 1)
		len = WIRE_HOP_INNER_MAX + 1;
	if (n->s == NULL)
		return;
	memset(buf, 'H', sizeof(buf));
	buf[SESSION_HOP_HEAD] = type;
	rc = session_send_hop(n->s, NOW, buf, len, HOP_TTL, n->pk, peer->pk);
	if (rc != 0 && rc != -EMSGSIZE && rc != -ENOKEY)
		abort();
	if ((rc == -EMSGSIZE) != (len < sizeof(struct wire_header) ||
	    len > WIRE_HOP_INNER_MAX))
		abort();
}

static void
op_deliver(struct node *from, struct node *to, struct input *in)
{
	uint8_t how = next(in), pos = next(in), x = next(in);
	struct pkt p;

	if (from->nout == 0)
		return;
	p = from->out[0];
	memmove(&from->out[0], &from->out[1],
	    sizeof(from->out[0]) * (size_t)(from->nout - 1));
	from->nout--;
	switch (how % 6) {
	case 0:		/* lost */
		return;
	case 1:		/* one byte changed */
		if (p.len > 0)
			p.data[pos % p.len] ^= x ? x : 1;
		break;
	case 2:		/* truncated */
		p.len = p.len * pos / 256;
		break;
	case 3:		/* duplicated */
		feed(to, p.data, p.len);
		break;
	default:	/* as sent */
		break;
	}
	history[nhist % RING] = p;
	nhist++;
	feed(to, p.data, p.len);
}

static void
op_replay(struct node *to, struct input *in)
{
	uint8_t i = next(in);

	if (nhist == 0)
		return;
	feed(to, history[i % RING % (nhist < RING ? nhist : RING)].data,
	    history[i % RING % (nhist < RING ? nhist : RING)].len);
}

static void
op_raw(struct node *to, struct input *in)
{
	static uint8_t buf[WIRE_PACKET_MAX + 16];
	uint8_t flags = next(in);
	size_t len = (size_t)next(in) * 6 + next(in) % 6;

	if (len > sizeof(buf))
		len = sizeof(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = next(in);
	if (len > 0 && (flags & 1))
		buf[0] = (uint8_t)(1 + (flags >> 1) % 5);	/* .. WIRE_HOP */
	if (len > 3 && (flags & 8))
		buf[1] = buf[2] = buf[3] = 0;
	if (len >= sizeof(struct wire_tail) && (flags & 16)) {
		uint8_t key[WIRE_KEY_LEN];

		mac_key(key, to->pk);
		mac_seal(key, buf, len);
	}
	feed(to, buf, len);
}

static void
op_clock(struct input *in)
{
	static const uint64_t scale[4] = { 1, 100, 1000, 10000 };
	uint8_t b = next(in);

	NOW += (uint64_t)next(in) * scale[b % 4];
}

static void
op_limits(struct input *in)
{
	struct session_limits lim = {
		.rekey_after_messages = 1 + next(in) % 16,
		.reject_after_messages = 0,
		.rekey_after_time = WIRE_REKEY_AFTER_TIME,
		.reject_after_time = WIRE_REJECT_AFTER_TIME,
		.rekey_attempt_time = WIRE_REKEY_ATTEMPT_TIME,
		.rekey_timeout = WIRE_REKEY_TIMEOUT,
		.keepalive_timeout = WIRE_KEEPALIVE_TIMEOUT,
	};

	lim.reject_after_messages = lim.rekey_after_messages + next(in) % 16;
	session_table_set_limits(A.t, &lim);
	session_table_set_limits(B.t, &lim);
}

static void
op_tick(void)
{
	uint64_t da = session_table_tick(A.t, NOW);
	uint64_t db = session_table_tick(B.t, NOW);

	/* A deadline is never in the past after a tick. */
	if (da <= NOW || db <= NOW)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memset(D, 'D', sizeof(D));
	randombytes_set_implementation(&rng_impl);
	if (sodium_init() < 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	rng_state[0] = 0x9e3779b97f4a7c15u;
	rng_state[1] = 0xbf58476d1ce4e5b9u;
	rng_state[2] = 0x94d049bb133111ebu;
	rng_state[3] = 0x2545f4914f6cdd1du;
	NOW = 1000000;
	nhist = 0;
	node_init(&A, 1, "certificate of A");
	node_init(&B, 2, "certificate of B");
	A.s = session_new(A.t, B.pk);
	B.s = NULL;

	while (in.n > 0) {
		uint8_t op = next(&in);

		switch (op % 16) {
		case 0: op_send(&A, &in); break;
		case 1: op_send(&B, &in); break;
		case 2: op_deliver(&A, &B, &in); break;
		case 3: op_deliver(&B, &A, &in); break;
		case 4: op_replay(&B, &in); break;
		case 5: op_replay(&A, &in); break;
		case 6: op_raw(&B, &in); break;
		case 7: op_raw(&A, &in); break;
		case 8: op_clock(&in); break;
		case 9: op_tick(); break;
		case 10: if (A.s) session_connect(A.s, NOW); break;
		case 11:
			if (B.s == NULL)
				B.s = session_table_find(B.t, A.pk);
			if (B.s == NULL)
				B.s = session_new(B.t, A.pk);
			break;
		case 12: op_limits(&in); break;
		case 13:
			if (A.s)
				session_set_keepalive(A.s, (uint64_t)next(&in) * 1000);
			break;
		case 14: op_send_hop(&A, &in); break;
		case 15: op_send_hop(&B, &in); break;
		}
		if (B.s == NULL)
			B.s = session_table_find(B.t, A.pk);
	}
	if (getenv("FUZZ_SESSION_DEBUG") != NULL)
		fprintf(stderr, "A got %llu, B got %llu data packets, "
		    "%llu/%llu hop datagrams; handshakes %llu/%llu\n",
		    (unsigned long long)A.nrecv_calls,
		    (unsigned long long)B.nrecv_calls,
		    (unsigned long long)A.nhop_calls,
		    (unsigned long long)B.nhop_calls,
		    (unsigned long long)session_table_stats(A.t)->handshakes,
		    (unsigned long long)session_table_stats(B.t)->handshakes);
	session_table_free(A.t);
	session_table_free(B.t);
	return 0;
}

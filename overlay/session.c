/*
 * Per-peer session state machine: keys, sending, timers, the public API.
 * The receive side (the dispatcher that maps a packet to its session) is
 * overlay/dispatch.c; the handshake itself is overlay/noise.c; the
 * timers follow WireGuard's (whitepaper section 6):
 *
 * - Keypairs.  cur is used to send.  A responder's new keypair waits in
 *   next until the initiator's first packet under it arrives (so both ends
 *   surely hold it); an initiator's goes straight to cur, and it sends a
 *   keepalive at once when it has nothing queued, to confirm it.  The one
 *   replaced moves to prev, kept for packets still in flight.  Keys die at
 *   reject_after_time or reject_after_messages.
 * - Rekey.  After sending under a keypair older than rekey_after_time that
 *   we initiated, or past rekey_after_messages, start a handshake; also
 *   when receiving under one we initiated that is close to dying.
 * - Retransmit.  An initiation without answer is sent again (fresh) after
 *   1 s, 2 s, 4 s, then every rekey_timeout, each plus jitter, until
 *   rekey_attempt_time has passed; then the attempt is dropped.
 * - Keepalive.  After receiving data, if we send nothing back within
 *   keepalive_timeout, send an empty packet; after sending data, if nothing
 *   comes back within keepalive_timeout + rekey_timeout, handshake again
 *   (this is how a restarted peer gets a new session).  Optionally, a
 *   persistent keepalive for NAT.
 * - Crossed initiations.  When both ends initiate at once, the end with
 *   the greater public key drops the other's initiation (it is answered
 *   when the other end answers ours), so one handshake completes in one
 *   round trip instead of both failing and retrying.  Only for
 *   rekey_timeout after our attempt began: a peer that our packets cannot
 *   reach (behind NAT) still gets its initiation answered after that.
 *
 * Lookup.  Every local index a session holds (its handshake's, and each
 * keypair's) is in the table's index map (overlay/index.h) from the moment
 * sess_new_index() makes it; sess_index_sync() drops the ones that died,
 * after every packet and tick that touched the session, and
 * session_free() all of them.  Responses, cookie replies and transport
 * packets find their session in O(1).  (Initiations find theirs by the
 * decrypted static key, a scan, but only after the flood defences of
 * overlay/dispatch.c let them through to DH.)
 *
 * All session and table state is in sodium_malloc memory (sodium_free
 * wipes it); keys that die are sodium_memzero'd at once.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sodium.h>

#include "mac.h"
#include "session-int.h"

static const struct session_limits default_limits = {
	.rekey_after_messages = WIRE_REKEY_AFTER_MESSAGES,
	.reject_after_messages = WIRE_REJECT_AFTER_MESSAGES,
	.aes_rekey_after_messages = WIRE_AES_REKEY_AFTER_MESSAGES,
	.aes_reject_after_messages = WIRE_AES_REJECT_AFTER_MESSAGES,
	.rekey_after_time = WIRE_REKEY_AFTER_TIME,
	.reject_after_time = WIRE_REJECT_AFTER_TIME,
	.rekey_attempt_time = WIRE_REKEY_ATTEMPT_TIME,
	.rekey_timeout = WIRE_REKEY_TIMEOUT,
	.keepalive_timeout = WIRE_KEEPALIVE_TIMEOUT,
};

static const struct session_flood_limits default_flood = {
	.load_initiations = WIRE_LOAD_INITIATIONS,
	.rate = WIRE_RATELIMIT_RATE,
	.burst = WIRE_RATELIMIT_BURST,
	.hs_max_age = WIRE_HS_MAX_AGE,
};

static void send_initiation(struct session *s, uint64_t now);

/* --- small helpers ------------------------------------------------------ */

static void
put_le64(uint8_t b[static 8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static void
min_deadline(uint64_t *d, uint64_t t)
{
	if (t < *d)
		*d = t;
}

static bool
index_live(const struct session *s, uint32_t idx)
{
	return (s->hs.state != NOISE_NONE && s->hs.local_index == idx) ||
	    (s->cur.valid && s->cur.local_index == idx) ||
	    (s->prev.valid && s->prev.local_index == idx) ||
	    (s->next.valid && s->next.local_index == idx);
}

void
sess_index_sync(struct session *s)
{
	for (int i = 0; i < SESS_MAPPED; i++)
		if (s->mapped[i] != 0 && !index_live(s, s->mapped[i])) {
			index_map_del(&s->t->index, s->mapped[i], s);
			s->mapped[i] = 0;
		}
}

static int
free_mapped_slot(const struct session *s)
{
	for (int i = 0; i < SESS_MAPPED; i++)
		if (s->mapped[i] == 0)
			return i;
	return -1;
}

uint32_t
sess_new_index(struct session *s)
{
	struct session_table *t = s->t;
	uint32_t idx;
	int slot;

	if ((slot = free_mapped_slot(s)) < 0) {
		sess_index_sync(s);
		/* At most 4 are live: a free slot is certain now. */
		if ((slot = free_mapped_slot(s)) < 0)
			abort();
	}
	do
		idx = randombytes_random();
	while (idx == 0 || index_map_get(&t->index, idx) != NULL);
	/* session_new reserved SESS_MAPPED entries for each session. */
	index_map_put(&t->index, idx, s);
	s->mapped[slot] = idx;
	return idx;
}

void
sess_emit(struct session *s, uint64_t now, const uint8_t *pkt, size_t len)
{
	s->last_tx = now;
	s->t->cb.send(s->t->cb.ctx, s, pkt, len);
}
/* --- sending ------------------------------------------------------------ */

/* Start a handshake unless one is running or a confirmation is coming. */
void
sess_maybe_initiate(struct session *s, uint64_t now)
{
	if (s->hs.state == NOISE_INIT_SENT)
		return;
	if (s->next.valid && now - s->next.birth < s->t->lim.rekey_timeout)
		return;
	send_initiation(s, now);
}

/* After a packet went out under kp: counters, timers, and a rekey when
 * the keys are due one.  data: it carried something (not a keepalive). */
static void
sent(struct session *s, uint64_t now, struct keypair *kp, const uint8_t *pkt,
    size_t len, bool data)
{
	struct session_table *t = s->t;
	uint64_t age;

	kp->send_counter++;
	t->stats.tx_packets++;
	s->ka_due_since = 0;
	if (data && s->reply_due_since == 0)
		s->reply_due_since = now;
	sess_emit(s, now, pkt, len);

	/* Keep the key fresh: the initiator rekeys on age, either end on
	 * count. */
	age = now - kp->birth;
	if ((kp->initiator && age >= t->lim.rekey_after_time) ||
	    kp->send_counter >= sess_kp_limit(kp, t->lim.rekey_after_messages,
	    t->lim.aes_rekey_after_messages))
		sess_maybe_initiate(s, now);
}

int
sess_send_transport(struct session *s, uint64_t now, const uint8_t *data,
    size_t len)
{
	struct session_table *t = s->t;
	struct keypair *kp = &s->cur;
	struct wire_transport *h;
	size_t olen = sizeof(*h) + len + WIRE_TAG_LEN;
	uint8_t *out = NULL;

	if (!sess_kp_usable(s, kp, now))
		return -ENOKEY;
	/* Sealed where the datagram is to go, when the caller can say
	 * (one copy of every packet fewer); in t->out otherwise. */
	if (t->cb.out_buf != NULL)
		out = t->cb.out_buf(t->cb.ctx, s, olen);
	if (out == NULL)
		out = t->out;
	h = (struct wire_transport *)out;
	memset(h, 0, sizeof(*h));
	h->h.type = WIRE_TRANSPORT;
	noise_put_le32(h->receiver, kp->remote_index);
	put_le64(h->counter, kp->send_counter);
	aead_seal(&kp->send, out + sizeof(*h), data, len, out,
	    sizeof(*h), kp->send_counter);
	t->stats.tx_bytes += len;
	sent(s, now, kp, out, olen, len > 0);
	return 0;
}

size_t
sess_hop_ad(const uint8_t *dgram, size_t inner_len,
    uint8_t ad[static WIRE_HOP_AD_MAX])
{
	const uint8_t *inner = dgram + sizeof(struct wire_hop);
	size_t n = sizeof(struct wire_hop);

	memcpy(ad, dgram, n);
	if (inner[0] == WIRE_TRANSPORT && inner_len >= WIRE_TRANSPORT_MIN) {
		/* Its header, and its tag: that covers its ciphertext. */
		memcpy(ad + n, inner, WIRE_HOP_AD_EDGE);
		n += WIRE_HOP_AD_EDGE;
		memcpy(ad + n, inner + inner_len - WIRE_HOP_AD_EDGE,
		    WIRE_HOP_AD_EDGE);
		n += WIRE_HOP_AD_EDGE;
	} else {
		memcpy(ad + n, inner, inner_len);
		n += inner_len;
	}
	ad[n++] = (uint8_t)inner_len;
	ad[n++] = (uint8_t)(inner_len >> 8);
	return n;
}

int
session_send_hop(struct session *s, uint64_t now, uint8_t *buf,
    size_t inner_len, uint8_t ttl, const uint8_t src[static WIRE_KEY_LEN],
    const uint8_t dst[static WIRE_KEY_LEN])
{
	struct session_table *t = s->t;
	struct keypair *kp = &s->cur;
	struct wire_hop *h = (struct wire_hop *)buf;
	uint8_t ad[WIRE_HOP_AD_MAX];
	size_t adlen;

	if (inner_len < sizeof(struct wire_header) ||
	    inner_len > WIRE_HOP_INNER_MAX)
		return -EMSGSIZE;
	if (!sess_kp_usable(s, kp, now)) {
		sess_maybe_initiate(s, now);
		return -ENOKEY;
	}
	memset(h, 0, sizeof(*h));
	h->h.type = WIRE_HOP;
	noise_put_le32(h->receiver, kp->remote_index);
	put_le64(h->counter, kp->send_counter);
	h->ttl = ttl;
	memcpy(h->src, src, WIRE_KEY_LEN);
	memcpy(h->dst, dst, WIRE_KEY_LEN);
	adlen = sess_hop_ad(buf, inner_len, ad);
	/* An empty plaintext: the tag alone, a MAC under the hop's key. */
	aead_seal(&kp->send, buf + sizeof(*h) + inner_len, NULL, 0, ad, adlen,
	    kp->send_counter);
	t->stats.tx_hops++;
	sent(s, now, kp, buf, sizeof(*h) + inner_len + WIRE_TAG_LEN, true);
	return 0;
}

void
sess_flush_queue(struct session *s, uint64_t now)
{
	while (s->qlen > 0 && sess_kp_usable(s, &s->cur, now)) {
		struct queued *q = &s->q[s->qhead];

		if (sess_send_transport(s, now, q->data, q->len) != 0)
			break;
		sodium_memzero(q->data, q->len);
		s->qhead = (s->qhead + 1) % QUEUE_LEN;
		s->qlen--;
	}
}

static void
clear_queue(struct session *s)
{
	sodium_memzero(s->q, sizeof(s->q));
	s->qhead = s->qlen = 0;
}

static uint64_t
backoff(const struct session *s)
{
	uint64_t d = WIRE_REKEY_TIMEOUT_FIRST;

	for (unsigned i = 0; i < s->retries && d < s->t->lim.rekey_timeout; i++)
		d *= 2;
	if (d > s->t->lim.rekey_timeout)
		d = s->t->lim.rekey_timeout;
	return d + randombytes_uniform(WIRE_REKEY_JITTER);
}

static void
send_initiation(struct session *s, uint64_t now)
{
	struct session_table *t = s->t;
	uint8_t ts[WIRE_TAI64N_LEN];
	uint64_t sec = 0;
	uint32_t nsec = 0;
	size_t len;

	if (s->hs.state != NOISE_INIT_SENT) {
		s->hs_first = now;
		s->retries = 0;
		s->cookie_resent = false;
	}
	t->cb.wallclock(t->cb.ctx, &sec, &nsec);
	noise_tai64n(ts, sec, nsec);
	/* A fresh ephemeral and index each time: answers to an earlier
	 * initiation then find nothing and are dropped. */
	sodium_memzero(&s->hs, sizeof(s->hs));
	len = noise_create_initiation(&s->hs, &t->st, &s->peer,
	    sess_new_index(s), ts, t->payload, t->plen, t->out);
	s->hs_sent = now;
	s->retransmit_at = now + backoff(s);
	s->retries++;
	if (len == 0)
		return;		/* the peer's key is low order: never works */
	/* A cookie reply to this initiation will be bound to its mac1. */
	memcpy(s->last_mac1, mac1_of(t->out, len), WIRE_MAC_LEN);
	if (s->cookie_birth != 0 && now - s->cookie_birth <
	    WIRE_COOKIE_SECRET_AGE - WIRE_COOKIE_LATENCY)
		mac2_seal(s->cookie, t->out, len);
	t->stats.initiations_sent++;
	sess_emit(s, now, t->out, len);
}

void
sess_send_initiation(struct session *s, uint64_t now)
{
	send_initiation(s, now);
}

/* --- timers ------------------------------------------------------------- */

uint64_t
session_tick(struct session *s, uint64_t now)
{
	const struct session_limits *lim = &s->t->lim;
	struct keypair *kps[3] = { &s->cur, &s->prev, &s->next };
	uint64_t d = UINT64_MAX;

	for (int i = 0; i < 3; i++)
		if (kps[i]->valid && !sess_kp_alive(s, kps[i], now))
			sess_kp_clear(kps[i]);

	if (s->hs.state == NOISE_INIT_SENT && now >= s->retransmit_at) {
		if (now - s->hs_first >= lim->rekey_attempt_time) {
			sodium_memzero(&s->hs, sizeof(s->hs));
			s->hs_first = 0;
			clear_queue(s);
			s->t->stats.handshake_timeouts++;
		} else {
			send_initiation(s, now);
		}
	}
	if (s->reply_due_since != 0 && now >= s->reply_due_since +
	    lim->keepalive_timeout + lim->rekey_timeout) {
		s->reply_due_since = 0;
		sess_maybe_initiate(s, now);
	}
	if (s->ka_due_since != 0 && now >= s->ka_due_since +
	    lim->keepalive_timeout) {
		s->ka_due_since = 0;
		sess_send_transport(s, now, NULL, 0);
	}
	if (s->keepalive != 0 && now >= s->last_tx + s->keepalive) {
		if (sess_kp_usable(s, &s->cur, now))
			sess_send_transport(s, now, NULL, 0);
		else
			sess_maybe_initiate(s, now);
		s->last_tx = now;	/* even if nothing went: no busy loop */
	}
	if (s->qlen > 0 && !sess_kp_usable(s, &s->cur, now))
		sess_maybe_initiate(s, now);

	if (s->hs.state == NOISE_INIT_SENT)
		min_deadline(&d, s->retransmit_at);
	for (int i = 0; i < 3; i++)
		if (kps[i]->valid)
			min_deadline(&d, kps[i]->birth + lim->reject_after_time);
	if (s->reply_due_since != 0)
		min_deadline(&d, s->reply_due_since + lim->keepalive_timeout +
		    lim->rekey_timeout);
	if (s->ka_due_since != 0)
		min_deadline(&d, s->ka_due_since + lim->keepalive_timeout);
	if (s->keepalive != 0)
		min_deadline(&d, s->last_tx + s->keepalive);
	if (s->qlen > 0 && s->next.valid &&
	    now - s->next.birth < lim->rekey_timeout)
		min_deadline(&d, s->next.birth + lim->rekey_timeout);
	sess_index_sync(s);
	return d;
}

uint64_t
session_table_tick(struct session_table *t, uint64_t now)
{
	uint64_t d = UINT64_MAX;

	for (size_t i = 0; i < t->n; i++)
		min_deadline(&d, session_tick(t->v[i], now));
	return d;
}

/* --- public API --------------------------------------------------------- */

int
session_connect(struct session *s, uint64_t now)
{
	if (s->hs.state != NOISE_INIT_SENT)
		send_initiation(s, now);
	return 0;
}

int
session_connect_now(struct session *s, uint64_t now)
{
	send_initiation(s, now);
	return 0;
}

int
session_send(struct session *s, uint64_t now, const uint8_t *data,
    size_t len)
{
	struct queued *q;

	if (len > WIRE_MAX_PLAINTEXT)
		return -EMSGSIZE;
	if (s->qlen == 0 && sess_kp_usable(s, &s->cur, now))
		return sess_send_transport(s, now, data, len);
	if (s->qlen == QUEUE_LEN) {
		s->t->stats.queue_dropped++;
		sess_maybe_initiate(s, now);
		return -ENOBUFS;
	}
	q = &s->q[(s->qhead + s->qlen) % QUEUE_LEN];
	memcpy(q->data, data, len);
	q->len = len;
	s->qlen++;
	if (sess_kp_usable(s, &s->cur, now))
		sess_flush_queue(s, now);
	else
		sess_maybe_initiate(s, now);
	return 0;
}

void
session_set_keepalive(struct session *s, uint64_t interval)
{
	s->keepalive = interval;
}

enum session_state
session_state(const struct session *s, uint64_t now)
{
	if (sess_kp_usable(s, &s->cur, now))
		return SESSION_UP;
	if (s->hs.state == NOISE_INIT_SENT || s->next.valid)
		return SESSION_HANDSHAKE;
	return SESSION_IDLE;
}

const uint8_t *
session_peer_pk(const struct session *s)
{
	return s->peer.ed_pk;
}

void
session_set_user(struct session *s, void *user)
{
	s->user = user;
}

void *
session_user(const struct session *s)
{
	return s->user;
}

uint64_t
session_last_handshake(const struct session *s)
{
	return s->last_handshake;
}

struct session *
session_table_find(struct session_table *t,
    const uint8_t pk[static WIRE_KEY_LEN])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->v[i]->peer.ed_pk, pk, WIRE_KEY_LEN) == 0)
			return t->v[i];
	return NULL;
}

struct session *
session_new(struct session_table *t, const uint8_t pk[static WIRE_KEY_LEN])
{
	struct session *s, **v;

	if (session_table_find(t, pk) != NULL ||
	    memcmp(pk, t->st.ed_pk, WIRE_KEY_LEN) == 0) {
		errno = EEXIST;
		return NULL;
	}
	if (index_map_reserve(&t->index, SESS_MAPPED * (t->n + 1)) != 0)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;

		if ((v = realloc(t->v, cap * sizeof(*v))) == NULL)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	if ((s = sodium_malloc(sizeof(*s))) == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->t = t;
	if (noise_peer_init(&s->peer, pk) != 0) {
		sodium_free(s);
		errno = EINVAL;
		return NULL;
	}
	t->v[t->n++] = s;
	return s;
}

void
session_free(struct session *s)
{
	struct session_table *t;

	if (s == NULL)
		return;
	t = s->t;
	for (int i = 0; i < SESS_MAPPED; i++)
		index_map_del(&t->index, s->mapped[i], s);
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] == s) {
			t->v[i] = t->v[--t->n];
			break;
		}
	sodium_free(s);		/* wipes */
}

struct session_table *
session_table_new(const uint8_t ed_pk[static WIRE_KEY_LEN],
    const uint8_t *ed_sk64, const struct session_cb *cb)
{
	struct session_table *t;

	if (cb->send == NULL || cb->recv == NULL || cb->wallclock == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((t = sodium_malloc(sizeof(*t))) == NULL)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->cb = *cb;
	t->lim = default_limits;
	t->fl = default_flood;
	if (noise_static_init(&t->st, ed_pk, ed_sk64) != 0) {
		sodium_free(t);
		errno = EINVAL;
		return NULL;
	}
	if (ratelimit_init(&t->rl, WIRE_RATELIMIT_SLOTS) != 0 ||
	    seen_init(&t->seen, WIRE_REFUSED_SLOTS) != 0 ||
	    index_map_reserve(&t->index, SESS_MAPPED) != 0) {
		session_table_free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

bool
session_table_set_aes(struct session_table *t, bool on)
{
	t->st.aes = on && aead_aes_available();
	return t->st.aes;
}

const char *
session_cipher(const struct session *s, uint64_t now)
{
	if (!sess_kp_usable(s, &s->cur, now))
		return NULL;
	return aead_name(s->cur.send.aes);
}

void
session_table_free(struct session_table *t)
{
	if (t == NULL)
		return;
	while (t->n > 0)
		session_free(t->v[0]);
	free(t->v);
	index_map_free(&t->index);
	ratelimit_free(&t->rl);
	seen_free(&t->seen);
	sodium_free(t);
}

int
session_table_set_payload(struct session_table *t, const uint8_t *p,
    size_t len)
{
	if (len > WIRE_HS_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (len > 0)
		memcpy(t->payload, p, len);
	t->plen = len;
	return 0;
}

void
session_table_set_limits(struct session_table *t,
    const struct session_limits *lim)
{
	t->lim = *lim;
}

void
session_table_set_flood_limits(struct session_table *t,
    const struct session_flood_limits *fl)
{
	t->fl = *fl;
}

size_t
session_src_bytes(const struct sockaddr *sa, uint8_t out[static SESSION_SRC_MAX])
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)
		    (const void *)sa;

		memcpy(out, &in->sin_addr, 4);
		memcpy(out + 4, &in->sin_port, 2);
		return 6;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)
		    (const void *)sa;

		memcpy(out, &in6->sin6_addr, 16);
		memcpy(out + 16, &in6->sin6_port, 2);
		return 18;
	}
	return 0;
}

const struct session_stats *
session_table_stats(const struct session_table *t)
{
	return &t->stats;
}


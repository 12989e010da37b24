/*
 * The receive side of the session engine: map a datagram to its session
 * (by receiver index, through the index hash, for responses, cookie
 * replies, transport messages and hop datagrams; by the initiator's
 * decrypted static key for initiations), check it, and move the state
 * machine (overlay/session.c) along.  The order of checks keeps junk cheap:
 * length and type, then mac1 (one hash), then DH or AEAD.  Every packet
 * ends in exactly one counter of struct session_stats.
 *
 * Initiations are the one message that costs DH before we know who sent
 * it, so they pass these gates first, cheapest first (thresholds in
 * include/mesh/wire.h, the reasoning in doc/overlay.md "Floods"):
 *   1. length, type, mac1                       drop_malformed, drop_mac
 *   2. its mac1 is in the seen set: an initiation already refused or
 *      consumed, replayed                       drop_hs_seen
 *   3. it counts towards the load: more than load_initiations in this
 *      second or the last one and we are under load.  Under load, with
 *      the source's bytes and a send_to callback, an initiation without a
 *      valid mac2 gets a cookie reply instead  drop_cookie
 *   4. a token bucket: per source address when mac2 proved it, else per
 *      /24 or /64 prefix (all sources share one without source bytes)
 *                                               drop_ratelimit
 *   5. DH (noise_consume_checked_initiation)    drop_crypto
 *   6. timestamp: not newer than the peer's last drop_replay_hs, older than
 *      the wall clock by hs_max_age drop_hs_stale; then the per-peer
 *      interval, crossed initiations and admit() as before.
 * Whatever happens after step 5, refused or taken, the initiation's mac1
 * goes into the seen set, so no copy of it costs DH again.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "mac.h"
#include "session-int.h"

/* Where a datagram came from, as given to session_table_recv2. */
struct src {
	const void *opaque;
	const uint8_t *b;		/* NULL: unknown */
	size_t len;
};

/* Turn the finished handshake into a keypair; the caller sets its
 * indexes (read them from hs first: this wipes it). */
static void
install_keypair(struct session *s, uint64_t now, bool initiator)
{
	struct keypair kp;
	struct noise_keys keys;

	memset(&kp, 0, sizeof(kp));
	noise_derive(&s->hs, initiator, &keys);		/* wipes hs */
	aead_key_init(&kp.send, keys.send, keys.aes);
	aead_key_init(&kp.recv, keys.recv, keys.aes);
	sodium_memzero(&keys, sizeof(keys));
	kp.valid = true;
	kp.initiator = initiator;
	kp.birth = now;
	replay_init(&kp.replay);
	s->t->stats.handshakes++;
	s->last_handshake = now;
	if (initiator) {
		sess_kp_clear(&s->prev);
		if (s->next.valid) {
			s->prev = s->next;
			sess_kp_clear(&s->next);
			sess_kp_clear(&s->cur);
		} else {
			s->prev = s->cur;
		}
		s->cur = kp;
	} else {
		/* Unconfirmed until the initiator uses it. */
		sess_kp_clear(&s->next);
		sess_kp_clear(&s->prev);
		s->next = kp;
	}
	sodium_memzero(&kp, sizeof(kp));
}

/* Count a handshake message the noise layer refused, by reason; true when
 * it was refused (the caller drops it). */
static bool
refused(struct session_table *t, enum noise_err e)
{
	switch (e) {
	case NOISE_OK:
		return false;
	case NOISE_ELEN:
		t->stats.drop_malformed++;
		break;
	case NOISE_EMAC:
		t->stats.drop_mac++;
		break;
	case NOISE_ECRYPTO:
	default:
		t->stats.drop_crypto++;
		break;
	}
	return true;
}

/* The limiter key of a source: a class byte, then the /24 or /64 prefix
 * (exact: the whole address) or the opaque bytes. */
static size_t
limit_key(const struct src *src, bool exact, uint8_t key[static 1 + SESSION_SRC_MAX])
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *a = src->b;
	size_t alen;

	if (src->b == NULL) {
		key[0] = 0;		/* every unknown source: one bucket */
		return 1;
	}
	if (src->len == 4 || src->len == 6) {
		alen = 4;
	} else if ((src->len == 16 || src->len == 18) &&
	    memcmp(a, mapped, sizeof(mapped)) == 0) {
		a += sizeof(mapped);
		alen = 4;
	} else if (src->len == 16 || src->len == 18) {
		alen = 16;
	} else {
		key[0] = 3;		/* opaque */
		memcpy(key + 1, src->b, src->len);
		return 1 + src->len;
	}
	key[0] = (uint8_t)((alen == 4 ? 4 : 6) | (exact ? 0x80 : 0));
	if (!exact)
		alen = alen == 4 ? 3 : 8;
	memcpy(key + 1, a, alen);
	return 1 + alen;
}

/* Count one initiation; true when the table is under load. */
static bool
count_load(struct session_table *t, uint64_t now)
{
	uint64_t w = now / 1000;

	if (w != t->load_window) {
		t->load_prev = w == t->load_window + 1 ? t->load_cur : 0;
		t->load_cur = 0;
		t->load_window = w;
	}
	if (t->load_cur < UINT32_MAX)
		t->load_cur++;
	return t->load_cur > t->fl.load_initiations ||
	    t->load_prev > t->fl.load_initiations;
}

/* An initiation's timestamp older than the wall clock by hs_max_age. */
static bool
stale(struct session_table *t, const uint8_t ts[static WIRE_TAI64N_LEN])
{
	uint64_t sec = 0, tsec = 0;
	uint32_t nsec = 0;

	if (t->fl.hs_max_age == 0)
		return false;
	t->cb.wallclock(t->cb.ctx, &sec, &nsec);
	for (int i = 0; i < 8; i++)
		tsec = tsec << 8 | ts[i];
	tsec -= UINT64_C(1) << 62;	/* TAI64 label of unix time 0 */
	return tsec < sec && (sec - tsec) * 1000 > t->fl.hs_max_age;
}

static void
send_cookie(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len, const struct src *src)
{
	const struct wire_initiation *m = (const struct wire_initiation *)pkt;
	uint8_t cookie[WIRE_MAC_LEN];

	cookie_make(&t->cookie, now, src->b, src->len, cookie);
	cookie_reply(t->out, t->st.cookie_key, noise_le32(m->sender),
	    mac1_of(pkt, len), cookie);
	sodium_memzero(cookie, sizeof(cookie));
	t->cb.send_to(t->cb.ctx, src->opaque, t->out, WIRE_COOKIE_LEN);
}

/* Steps 2 to 4 of the comment at the top: false when the initiation was
 * dropped (and counted) before any DH. */
static bool
initiation_gates(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len, const struct src *src)
{
	uint8_t key[1 + SESSION_SRC_MAX];
	size_t klen;
	bool proven = false;

	if (seen_has(&t->seen, mac1_of(pkt, len))) {
		t->stats.drop_hs_seen++;
		return false;
	}
	if (count_load(t, now)) {
		t->stats.under_load++;
		if (src->b != NULL && t->cb.send_to != NULL) {
			if (!cookie_check_mac2(&t->cookie, now, src->b,
			    src->len, pkt, len)) {
				send_cookie(t, now, pkt, len, src);
				t->stats.drop_cookie++;
				return false;
			}
			proven = true;
		}
	}
	klen = limit_key(src, proven, key);
	if (!ratelimit_allow(&t->rl, now, key, klen, t->fl.rate,
	    t->fl.burst)) {
		t->stats.drop_ratelimit++;
		return false;
	}
	return true;
}

static int
recv_initiation(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len, const struct src *src)
{
	struct session *s;
	void *user;
	uint8_t ts[WIRE_TAI64N_LEN];
	uint32_t local_index, remote_index;
	size_t plen = 0, n;
	unsigned dh = 0;
	enum noise_err e;
	int rc = -EBADMSG;

	if (refused(t, noise_check_initiation(&t->st, pkt, len)))
		return rc;
	if (!initiation_gates(t, now, pkt, len, src))
		return rc;
	t->stats.initiations_processed++;
	e = noise_consume_checked_initiation(&t->st, pkt, len, &t->hs,
	    &t->peer, ts, t->rpayload, &plen, &dh);
	t->stats.dh_ops += dh;
	if (refused(t, e))
		goto out;
	s = session_table_find(t, t->peer.ed_pk);
	if (s != NULL && memcmp(ts, s->last_ts, sizeof(ts)) <= 0) {
		t->stats.drop_replay_hs++;
		goto out;
	}
	if (stale(t, ts)) {
		t->stats.drop_hs_stale++;
		goto out;
	}
	if (s != NULL) {
		if (s->last_init_rx != 0 &&
		    now - s->last_init_rx < WIRE_INITIATION_MIN_INTERVAL) {
			t->stats.drop_flood++;
			goto out;
		}
		if (s->hs.state == NOISE_INIT_SENT &&
		    now - s->hs_first < t->lim.rekey_timeout &&
		    memcmp(t->st.ed_pk, s->peer.ed_pk, WIRE_KEY_LEN) > 0) {
			/* Crossed: the peer will answer ours.  Only while
			 * our attempt is young: if ours cannot reach the
			 * peer (it is behind NAT), we answer its next one. */
			memcpy(s->last_ts, ts, sizeof(ts));
			s->last_init_rx = now;
			t->stats.drop_collision++;
			goto out;
		}
	}
	user = s != NULL ? s->user : NULL;
	if (t->cb.admit != NULL && !t->cb.admit(t->cb.ctx, s, t->peer.ed_pk,
	    t->rpayload, plen, &user)) {
		t->stats.drop_refused++;
		goto out;
	}
	if (s == NULL && (s = session_new(t, t->peer.ed_pk)) == NULL) {
		t->stats.drop_nomem++;
		goto out;
	}
	s->user = user;
	memcpy(s->last_ts, ts, sizeof(ts));
	s->last_init_rx = now;
	/* Their initiation replaces ours, if we had one. */
	s->hs = t->hs;
	s->hs_first = 0;
	remote_index = s->hs.remote_index;
	t->stats.rx_packets++;
	if (t->cb.seen != NULL)
		t->cb.seen(t->cb.ctx, s, src->opaque);

	local_index = sess_new_index(s);
	n = noise_create_response(&s->hs, &t->st, &s->peer, local_index,
	    t->payload, t->plen, t->out);
	if (n == 0) {
		sodium_memzero(&s->hs, sizeof(s->hs));
		sess_index_sync(s);
		goto out;
	}
	t->stats.dh_ops += 2;		/* ee, se */
	install_keypair(s, now, false);
	s->next.local_index = local_index;
	s->next.remote_index = remote_index;
	sess_index_sync(s);
	sess_emit(s, now, t->out, n);
	rc = 0;
out:
	/* Refused or taken: no copy of it costs DH again. */
	seen_add(&t->seen, mac1_of(pkt, len));
	sodium_memzero(&t->hs, sizeof(t->hs));
	sodium_memzero(t->rpayload, plen);
	return rc;
}

/* The session whose handshake in flight has local index idx. */
static struct session *
find_handshake(struct session_table *t, uint32_t idx)
{
	struct session *s = index_map_get(&t->index, idx);

	if (s != NULL && s->hs.state == NOISE_INIT_SENT &&
	    s->hs.local_index == idx)
		return s;
	return NULL;
}

static int
recv_cookie(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len)
{
	const struct wire_cookie *m = (const struct wire_cookie *)pkt;
	struct session *s;
	uint8_t cookie[WIRE_MAC_LEN];

	if (len != WIRE_COOKIE_LEN ||
	    (m->h.reserved[0] | m->h.reserved[1] | m->h.reserved[2]) != 0) {
		t->stats.drop_malformed++;
		return -EBADMSG;
	}
	if ((s = find_handshake(t, noise_le32(m->receiver))) == NULL) {
		t->stats.drop_index++;
		return -EBADMSG;
	}
	if (!cookie_open(cookie, s->peer.cookie_key, pkt, s->last_mac1)) {
		t->stats.drop_crypto++;
		return -EBADMSG;
	}
	memcpy(s->cookie, cookie, sizeof(cookie));
	sodium_memzero(cookie, sizeof(cookie));
	s->cookie_birth = now;
	t->stats.rx_packets++;
	t->stats.cookies_received++;
	/* Not seen(): the reply proves nothing about the peer's address.
	 * Resend at once, with mac2, but once per attempt, so that replies
	 * (which anyone who saw our initiation can make) cannot make us
	 * send in a loop; later retransmits carry mac2 anyway. */
	if (!s->cookie_resent) {
		s->cookie_resent = true;
		sess_send_initiation(s, now);
		sess_index_sync(s);
	}
	return 0;
}

static int
recv_response(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len, const void *src)
{
	struct session *s = NULL;
	uint32_t idx, local_index, remote_index;
	size_t plen = 0;
	enum noise_err e;
	int rc = -EBADMSG;

	if (len < WIRE_RESPONSE_MIN || len > WIRE_RESPONSE_MAX) {
		t->stats.drop_malformed++;
		return rc;
	}
	idx = noise_response_receiver(pkt, len);
	s = find_handshake(t, idx);
	if (s == NULL) {
		t->stats.drop_index++;	/* stale, or a replay */
		return rc;
	}
	e = noise_consume_response(&s->hs, &t->st, pkt, len, t->rpayload,
	    &plen);
	if (e == NOISE_OK || e == NOISE_ECRYPTO)
		t->stats.dh_ops += 2;	/* ee, se (at most) */
	if (refused(t, e))
		return rc;
	if (t->cb.admit != NULL && !t->cb.admit(t->cb.ctx, s, s->peer.ed_pk,
	    t->rpayload, plen, &s->user)) {
		t->stats.drop_refused++;
		sodium_memzero(&s->hs, sizeof(s->hs));
		s->hs_first = 0;
		sess_index_sync(s);
		goto out;
	}
	local_index = s->hs.local_index;
	remote_index = s->hs.remote_index;
	t->stats.rx_packets++;
	if (t->cb.seen != NULL)
		t->cb.seen(t->cb.ctx, s, src);
	install_keypair(s, now, true);
	s->cur.local_index = local_index;
	s->cur.remote_index = remote_index;
	sess_index_sync(s);
	s->hs_first = 0;
	s->reply_due_since = 0;
	if (s->qlen > 0)
		sess_flush_queue(s, now);
	else
		sess_send_transport(s, now, NULL, 0);	/* confirm the keys */
	if (t->cb.established != NULL)
		t->cb.established(t->cb.ctx, s);
	rc = 0;
out:
	sodium_memzero(t->rpayload, plen);
	return rc;
}

/* The keypair of s that local index idx names, alive: NULL when there is
 * none (counted). */
static struct keypair *
find_keypair(struct session_table *t, uint64_t now, uint32_t idx,
    struct session **sp)
{
	struct session *s;
	struct keypair *kp = NULL;

	if ((s = index_map_get(&t->index, idx)) != NULL) {
		if (s->cur.valid && s->cur.local_index == idx)
			kp = &s->cur;
		else if (s->next.valid && s->next.local_index == idx)
			kp = &s->next;
		else if (s->prev.valid && s->prev.local_index == idx)
			kp = &s->prev;
	}
	if (kp == NULL) {
		t->stats.drop_index++;
		return NULL;
	}
	if (!sess_kp_alive(s, kp, now)) {
		t->stats.drop_stale++;
		return NULL;
	}
	*sp = s;
	return kp;
}

/* A transport or hop packet under kp authenticated and passed the replay
 * window: the session moves on as for any packet from its peer.  data: it
 * carried something (not a keepalive), so it is owed a reply. */
static void
accepted(struct session_table *t, uint64_t now, struct session *s,
    struct keypair *kp, bool data, const void *src)
{
	uint64_t margin;
	bool promoted = false;

	t->stats.rx_packets++;
	if (t->cb.seen != NULL)
		t->cb.seen(t->cb.ctx, s, src);
	if (kp == &s->next) {
		/* The initiator used the new keys: they are confirmed. */
		sess_kp_clear(&s->prev);
		s->prev = s->cur;
		s->cur = s->next;
		sess_kp_clear(&s->next);
		kp = &s->cur;
		promoted = true;
		sess_index_sync(s);
	}
	s->reply_due_since = 0;
	if (data && s->ka_due_since == 0)
		s->ka_due_since = now;
	/* Keys we initiated that are near death: rekey before they die. */
	margin = t->lim.keepalive_timeout + t->lim.rekey_timeout;
	if (kp == &s->cur && kp->initiator && (margin >=
	    t->lim.reject_after_time ||
	    now - kp->birth >= t->lim.reject_after_time - margin))
		sess_maybe_initiate(s, now);
	if (promoted) {
		sess_flush_queue(s, now);
		if (t->cb.established != NULL)
			t->cb.established(t->cb.ctx, s);
	}
}

/* The keypair a transport or hop datagram names (receiver), if its
 * counter is not one already taken (a replay: counted).  NULL: drop it. */
static struct keypair *
fresh_keypair(struct session_table *t, uint64_t now,
    const uint8_t receiver[static 4], const uint8_t ctr[static 8],
    struct session **s, uint64_t *counter)
{
	struct keypair *kp = find_keypair(t, now, noise_le32(receiver), s);

	if (kp == NULL)
		return NULL;
	*counter = sess_le64(ctr);
	if (replay_seen(&kp->replay, *counter, t->lim.reject_after_messages)) {
		t->stats.drop_replay++;
		return NULL;
	}
	return kp;
}

static int
recv_transport(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len, const void *src)
{
	const struct wire_transport *h = (const struct wire_transport *)pkt;
	struct session *s = NULL;
	struct keypair *kp;
	uint64_t counter;
	size_t plen;

	if (len < WIRE_TRANSPORT_MIN || len > WIRE_TRANSPORT_MAX ||
	    (h->h.reserved[0] | h->h.reserved[1] | h->h.reserved[2]) != 0) {
		t->stats.drop_malformed++;
		return -EBADMSG;
	}
	if ((kp = fresh_keypair(t, now, h->receiver, h->counter, &s,
	    &counter)) == NULL)
		return -EBADMSG;
	plen = len - sizeof(*h) - WIRE_TAG_LEN;
	if (!aead_open(&kp->recv, t->plain, pkt + sizeof(*h), len - sizeof(*h),
	    pkt, sizeof(*h), counter)) {
		t->stats.drop_auth++;
		return -EBADMSG;
	}
	if (!replay_accept(&kp->replay, counter, t->lim.reject_after_messages)) {
		t->stats.drop_replay++;
		return -EBADMSG;
	}
	accepted(t, now, s, kp, plen > 0, src);
	if (plen > 0) {
		t->stats.rx_bytes += plen;
		t->cb.recv(t->cb.ctx, s, t->plain, plen);
	}
	/* Control messages may carry secrets (an invite's, in a join):
	 * wiped.  An IP packet (version 4 or 6 in its first nibble; msg.h
	 * keeps control types below 0x40) is not wiped: its bytes have gone
	 * to the TUN and wait, unwiped, in the coalescer anyway, and the
	 * next packet overwrites them -- the wipe was 1.5% of a receiver's
	 * time for nothing. */
	if (plen > 0 && t->plain[0] >> 4 != 4 && t->plain[0] >> 4 != 6)
		sodium_memzero(t->plain, plen);
	sess_index_sync(s);
	return 0;
}

/* A hop datagram (include/mesh/wire.h, wire_hop): the hop session's
 * keypair, replay window and tag, as for a transport packet, but the tag
 * is a MAC over a constant-size AD for a transport inner packet -- nothing
 * is decrypted, and the inner packet goes up as it came. */
static int
recv_hop(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len, const void *src)
{
	const struct wire_hop *h = (const struct wire_hop *)pkt;
	const uint8_t *inner = pkt + sizeof(*h);
	struct session *s = NULL;
	struct keypair *kp;
	struct session_hop hop;
	uint8_t ad[WIRE_HOP_AD_MAX], none[1];
	uint64_t counter;
	size_t ilen, adlen;

	if (t->cb.hop == NULL || len < WIRE_HOP_MIN || len > WIRE_PACKET_MAX ||
	    (h->h.reserved[0] | h->h.reserved[1] | h->h.reserved[2]) != 0 ||
	    inner[0] < WIRE_INITIATION || inner[0] > WIRE_HOP) {
		t->stats.drop_malformed++;
		return -EBADMSG;
	}
	ilen = len - sizeof(*h) - WIRE_TAG_LEN;
	if ((kp = fresh_keypair(t, now, h->receiver, h->counter, &s,
	    &counter)) == NULL)
		return -EBADMSG;
	adlen = sess_hop_ad(pkt, ilen, ad);
	if (!aead_open(&kp->recv, none, inner + ilen, WIRE_TAG_LEN, ad, adlen,
	    counter)) {
		t->stats.drop_auth++;
		return -EBADMSG;
	}
	if (!replay_accept(&kp->replay, counter, t->lim.reject_after_messages)) {
		t->stats.drop_replay++;
		return -EBADMSG;
	}
	t->stats.rx_hops++;
	accepted(t, now, s, kp, true, src);
	hop.ttl = h->ttl;
	hop.src = h->src;
	hop.dst = h->dst;
	hop.pkt = inner;
	hop.len = ilen;
	t->cb.hop(t->cb.ctx, s, &hop);
	sess_index_sync(s);
	return 0;
}

int
session_table_recv2(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len, const void *src, const uint8_t *src_bytes, size_t src_len)
{
	struct src from = { src, src_bytes, src_len };

	if (src_len > SESSION_SRC_MAX)
		abort();	/* caller bug */
	if (src_bytes == NULL || src_len == 0)
		from.b = NULL, from.len = 0;
	if (len < sizeof(struct wire_header)) {
		t->stats.drop_malformed++;
		return -EBADMSG;
	}
	switch (pkt[0]) {
	case WIRE_INITIATION:
		return recv_initiation(t, now, pkt, len, &from);
	case WIRE_RESPONSE:
		return recv_response(t, now, pkt, len, src);
	case WIRE_COOKIE:
		return recv_cookie(t, now, pkt, len);
	case WIRE_TRANSPORT:
		return recv_transport(t, now, pkt, len, src);
	case WIRE_HOP:
		return recv_hop(t, now, pkt, len, src);
	default:
		t->stats.drop_malformed++;
		return -EBADMSG;
	}
}


int
session_table_recv(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len, const void *src)
{
	return session_table_recv2(t, now, pkt, len, src, NULL, 0);
}

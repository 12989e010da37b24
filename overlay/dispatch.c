/*
 * The receive side of the session engine: map a datagram to its session
 * (by receiver index for responses and transport messages, by the
 * initiator's decrypted static key for initiations), check it, and move
 * the state machine (overlay/session.c) along.  The order of checks keeps
 * junk cheap: length and type, then mac1 (one hash), then DH or AEAD.
 * Every packet ends in exactly one counter of struct session_stats.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "session-int.h"

/* Turn the finished handshake into a keypair; the caller sets its
 * indexes (read them from hs first: this wipes it). */
static void
install_keypair(struct session *s, uint64_t now, bool initiator)
{
	struct keypair kp;

	memset(&kp, 0, sizeof(kp));
	noise_derive(&s->hs, initiator, &kp.keys);	/* wipes hs */
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

static int
recv_initiation(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len, const void *src)
{
	struct session *s;
	void *user;
	uint8_t ts[WIRE_TAI64N_LEN];
	uint32_t local_index, remote_index;
	size_t plen = 0, n;
	int rc = -EBADMSG;

	if (refused(t, noise_consume_initiation(&t->st, pkt, len, &t->hs,
	    &t->peer, ts, t->rpayload, &plen)))
		return rc;
	s = session_table_find(t, t->peer.ed_pk);
	if (s != NULL) {
		if (memcmp(ts, s->last_ts, sizeof(ts)) <= 0) {
			t->stats.drop_replay_hs++;
			goto out;
		}
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
		t->cb.seen(t->cb.ctx, s, src);

	local_index = sess_new_index(t);
	n = noise_create_response(&s->hs, &t->st, &s->peer, local_index,
	    t->payload, t->plen, t->out);
	if (n == 0) {
		sodium_memzero(&s->hs, sizeof(s->hs));
		goto out;
	}
	install_keypair(s, now, false);
	s->next.local_index = local_index;
	s->next.remote_index = remote_index;
	sess_emit(s, now, t->out, n);
	rc = 0;
out:
	sodium_memzero(&t->hs, sizeof(t->hs));
	sodium_memzero(t->rpayload, plen);
	return rc;
}

static int
recv_response(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len, const void *src)
{
	struct session *s = NULL;
	uint32_t idx, local_index, remote_index;
	size_t plen = 0;
	int rc = -EBADMSG;

	if (len < WIRE_RESPONSE_MIN || len > WIRE_RESPONSE_MAX) {
		t->stats.drop_malformed++;
		return rc;
	}
	idx = noise_response_receiver(pkt, len);
	for (size_t i = 0; i < t->n && s == NULL; i++)
		if (t->v[i]->hs.state == NOISE_INIT_SENT &&
		    t->v[i]->hs.local_index == idx)
			s = t->v[i];
	if (s != NULL && refused(t, noise_consume_response(&s->hs, &t->st,
	    pkt, len, t->rpayload, &plen)))
		return rc;
	if (s == NULL) {
		t->stats.drop_index++;	/* stale, or a replay */
		return rc;
	}
	if (t->cb.admit != NULL && !t->cb.admit(t->cb.ctx, s, s->peer.ed_pk,
	    t->rpayload, plen, &s->user)) {
		t->stats.drop_refused++;
		sodium_memzero(&s->hs, sizeof(s->hs));
		s->hs_first = 0;
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

static int
recv_transport(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len, const void *src)
{
	const struct wire_transport *h = (const struct wire_transport *)pkt;
	struct session *s = NULL;
	struct keypair *kp = NULL;
	uint32_t idx;
	uint64_t counter, margin;
	size_t plen;
	bool promoted = false;

	if (len < WIRE_TRANSPORT_MIN || len > WIRE_TRANSPORT_MAX ||
	    (h->h.reserved[0] | h->h.reserved[1] | h->h.reserved[2]) != 0) {
		t->stats.drop_malformed++;
		return -EBADMSG;
	}
	idx = noise_le32(h->receiver);
	for (size_t i = 0; i < t->n && kp == NULL; i++) {
		s = t->v[i];
		if (s->cur.valid && s->cur.local_index == idx)
			kp = &s->cur;
		else if (s->next.valid && s->next.local_index == idx)
			kp = &s->next;
		else if (s->prev.valid && s->prev.local_index == idx)
			kp = &s->prev;
	}
	if (kp == NULL) {
		t->stats.drop_index++;
		return -EBADMSG;
	}
	if (!sess_kp_alive(s, kp, now)) {
		t->stats.drop_stale++;
		return -EBADMSG;
	}
	counter = sess_le64(h->counter);
	if (replay_seen(&kp->replay, counter, t->lim.reject_after_messages)) {
		t->stats.drop_replay++;
		return -EBADMSG;
	}
	plen = len - sizeof(*h) - WIRE_TAG_LEN;
	if (!noise_open(t->plain, pkt + sizeof(*h), len - sizeof(*h), pkt,
	    sizeof(*h), counter, kp->keys.recv)) {
		t->stats.drop_auth++;
		return -EBADMSG;
	}
	if (!replay_accept(&kp->replay, counter, t->lim.reject_after_messages)) {
		t->stats.drop_replay++;
		return -EBADMSG;
	}
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
	}
	s->reply_due_since = 0;
	if (plen > 0 && s->ka_due_since == 0)
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
	if (plen > 0) {
		t->stats.rx_bytes += plen;
		t->cb.recv(t->cb.ctx, s, t->plain, plen);
	}
	sodium_memzero(t->plain, plen);
	return 0;
}

int
session_table_recv(struct session_table *t, uint64_t now, const uint8_t *pkt,
    size_t len, const void *src)
{
	if (len < sizeof(struct wire_header)) {
		t->stats.drop_malformed++;
		return -EBADMSG;
	}
	switch (pkt[0]) {
	case WIRE_INITIATION:
		return recv_initiation(t, now, pkt, len, src);
	case WIRE_RESPONSE:
		return recv_response(t, now, pkt, len, src);
	case WIRE_TRANSPORT:
		return recv_transport(t, now, pkt, len, src);
	default:
		t->stats.drop_malformed++;
		return -EBADMSG;
	}
}


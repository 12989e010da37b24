/*
 * Encrypted peer sessions: a transport-free state machine.
 *
 * A session_table is this node's end of the overlay: its identity, its
 * handshake payload (its certificate, later), the sessions with each peer
 * and the drop counters.  Bytes come in through session_table_recv() and go
 * out through the send callback; plaintext comes out through recv.  There
 * are no sockets, no threads and no clock: every call takes "now", in
 * milliseconds of a clock that never goes backwards (CLOCK_MONOTONIC), and
 * must be non-zero.  Only TAI64N timestamps need wall time, which the
 * wallclock callback gives.
 *
 * Wiring into a UDP socket:
 *     t = session_table_new(id->pk, id->sk, &cb);
 *     session_table_set_payload(t, cert, certlen);
 *     s = session_new(t, peer_pk);          (a peer we connect to)
 *     session_connect(s, now);              (or just session_send)
 *   on a datagram:  len = session_src_bytes(&from_addr, sb);
 *                   session_table_recv2(t, now, buf, n, &from_addr,
 *                       sb, len);
 *   in seen():      remember from_addr as the endpoint of s
 *   in send():      sendto(endpoint of s)
 *   in send_to():   sendto(*src)   (cookie replies, to no session)
 *   in the loop:    timeout = session_table_tick(t, now) - now;
 * Peers we do not know yet arrive through admit(s == NULL); accepting
 * creates their session.
 *
 * Relays: a session also carries hop datagrams (WIRE_HOP): another
 * session's packet, authenticated by this one but not encrypted again.
 * session_send_hop() sends one; the hop callback gets what arrives.
 *
 * Only the recv, hop and established callbacks may call session_send(),
 * session_send_hop() and session_connect(); any callback may call the getters; none may call
 * anything else of this module (no recv, tick or free from inside).
 */
#ifndef MESH_SESSION_H
#define MESH_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/wire.h"

struct session;
struct session_table;
struct sockaddr;

/* A hop datagram that authenticated (include/mesh/wire.h, wire_hop): its
 * fields point into the received packet. */
struct session_hop {
	uint8_t ttl;
	const uint8_t *src, *dst;	/* WIRE_KEY_LEN each */
	const uint8_t *pkt;		/* the inner session packet */
	size_t len;
};

struct session_cb {
	void *ctx;
	/* Send one packet to the peer of s.  Required. */
	void (*send)(void *ctx, struct session *s, const uint8_t *pkt,
	    size_t len);
	/* Plaintext of a transport message from s (keepalives are not
	 * passed up).  Required. */
	void (*recv)(void *ctx, struct session *s, const uint8_t *data,
	    size_t len);
	/* The peer proved that it holds pk, and sent payload with its
	 * handshake: may it talk to us?  A responder asks before answering,
	 * an initiator before using the keys.  s is NULL for a peer without
	 * a session yet; true then creates one.  *user is the session's user
	 * pointer (NULL for a new one): what admit() leaves there is the new
	 * session's, so the verdict travels with the session it let in.  NULL
	 * admits everyone. */
	bool (*admit)(void *ctx, struct session *s,
	    const uint8_t pk[static WIRE_KEY_LEN], const uint8_t *payload,
	    size_t len, void **user);
	/* An authenticated packet of s came from src (whatever the caller
	 * passed to session_table_recv).  Called before any answer is sent,
	 * so the caller can update the endpoint first.  Optional. */
	void (*seen)(void *ctx, struct session *s, const void *src);
	/* New keys are in use: the initiator got the response, or the
	 * responder got the first packet under the new keys.  Optional. */
	void (*established)(void *ctx, struct session *s);
	/* Wall-clock time, for handshake timestamps.  Required. */
	void (*wallclock)(void *ctx, uint64_t *sec, uint32_t *nsec);
	/* Send pkt to src, the address a datagram came from (what the caller
	 * passed to session_table_recv2): a cookie reply to an initiation
	 * that came under load, from a peer that may have no session.
	 * Optional; without it (or without source bytes) there are no
	 * cookies, and under load only the rate limits hold. */
	void (*send_to)(void *ctx, const void *src, const uint8_t *pkt,
	    size_t len);
	/* Where to seal a transport message of len bytes for s, so that
	 * send() gets it where it is to go (a UDP queue's next slot) rather
	 * than copying it there; NULL: the table's own buffer.  What it
	 * returns must stay valid, untouched, until the send() that follows.
	 * Optional. */
	uint8_t *(*out_buf)(void *ctx, struct session *s, size_t len);
	/* A hop datagram from the peer of s, authenticated as its transport
	 * packets are (after seen()); what is in h lives until the callback
	 * returns.  Optional; without it hop datagrams are dropped
	 * (drop_malformed). */
	void (*hop)(void *ctx, struct session *s, const struct session_hop *h);
};

/* WIRE_* by default; tests shrink them.  Keys of AES-256-GCM also stop
 * at the aes_* counts when those are lower (0: no count of their own). */
struct session_limits {
	uint64_t rekey_after_messages;
	uint64_t reject_after_messages;
	uint64_t aes_rekey_after_messages;
	uint64_t aes_reject_after_messages;
	uint64_t rekey_after_time;
	uint64_t reject_after_time;
	uint64_t rekey_attempt_time;
	uint64_t rekey_timeout;
	uint64_t keepalive_timeout;
};

/* Counters for `meshctl status`.  Every packet given to
 * session_table_recv() lands in rx_packets or in exactly one drop_*. */
struct session_stats {
	uint64_t rx_packets;		/* authenticated, accepted */
	uint64_t rx_bytes;		/* plaintext delivered */
	uint64_t tx_packets;
	uint64_t tx_bytes;		/* plaintext sent */
	uint64_t initiations_sent;
	uint64_t handshakes;		/* new keypairs, either role */
	uint64_t handshake_timeouts;	/* gave up after rekey_attempt_time */
	uint64_t queue_dropped;		/* queued while keyless, overflowed */
	uint64_t drop_malformed;	/* length, type or reserved bytes */
	uint64_t drop_mac;		/* mac1: junk or meant for another key */
	uint64_t drop_crypto;		/* handshake did not open: forged */
	uint64_t drop_refused;		/* admit() said no */
	uint64_t drop_replay_hs;	/* initiation not newer than the last */
	uint64_t drop_flood;		/* initiations too close together */
	uint64_t drop_collision;	/* crossed initiation: peer answers ours */
	uint64_t drop_index;		/* unknown receiver (stale, replayed) */
	uint64_t drop_stale;		/* keys past reject_after_time/msgs */
	uint64_t drop_auth;		/* transport AEAD failed: forged */
	uint64_t drop_replay;		/* transport counter seen or too old */
	uint64_t drop_nomem;		/* admitted peer, no room for it */
	/* Floods (doc/overlay.md): refused before any DH. */
	uint64_t drop_hs_seen;		/* initiation already refused/taken */
	uint64_t drop_ratelimit;	/* source prefix (address) over rate */
	uint64_t drop_cookie;		/* under load, no valid mac2: we sent
					 * a cookie reply instead of DH */
	uint64_t drop_hs_stale;		/* timestamp older than WIRE_HS_MAX_AGE */
	uint64_t cookies_received;	/* cookie replies taken (rx_packets) */
	uint64_t initiations_processed;	/* received initiations given DH */
	uint64_t dh_ops;		/* X25519 on received handshakes */
	uint64_t under_load;		/* initiations that found us under load */
	uint64_t rx_hops;		/* hop datagrams taken (in rx_packets) */
	uint64_t tx_hops;		/* ... sent (in tx_packets) */
};

/* Flood thresholds, WIRE_* by default (include/mesh/wire.h); tests move
 * them. */
struct session_flood_limits {
	uint32_t load_initiations;	/* per second; more: under load */
	uint32_t rate;			/* per prefix/address, per second */
	uint32_t burst;
	uint64_t hs_max_age;		/* ms; 0: no staleness check */
};

enum session_state {
	SESSION_IDLE,			/* no usable keys, no handshake */
	SESSION_HANDSHAKE,		/* initiation sent, no keys yet */
	SESSION_UP,			/* keys usable for sending */
};

/* ed_sk64 as in struct mesh_identity (copied; the caller keeps its own).
 * NULL with errno set on failure. */
struct session_table *session_table_new(const uint8_t ed_pk[static WIRE_KEY_LEN],
    const uint8_t *ed_sk64, const struct session_cb *cb);
void session_table_free(struct session_table *t);
/* Our handshake payload, sent to every peer: 0 or -EMSGSIZE. */
int session_table_set_payload(struct session_table *t, const uint8_t *p,
    size_t len);
void session_table_set_limits(struct session_table *t,
    const struct session_limits *lim);
const struct session_stats *session_table_stats(const struct session_table *t);

void session_table_set_flood_limits(struct session_table *t,
    const struct session_flood_limits *fl);
/* Offer AES-256-GCM in our handshakes and take it in theirs (the default
 * when this CPU has AES instructions); false: ChaCha20-Poly1305 always.
 * Whether it is offered now.  Sessions keep the cipher they have until
 * their next handshake. */
bool session_table_set_aes(struct session_table *t, bool on);

/* Handle one received datagram.  0 if it was accepted, -EBADMSG if it
 * was dropped (and counted).  The same as session_table_recv2 without
 * source bytes: every source then shares one rate limit, and nobody gets
 * a cookie. */
int session_table_recv(struct session_table *t, uint64_t now,
    const uint8_t *pkt, size_t len, const void *src);
/* src stays opaque (it goes back to seen() and send_to()); src_bytes
 * [0 .. src_len) says where the datagram came from, for the flood
 * defences: the address (4 bytes IPv4 or 16 IPv6, network order; an
 * IPv4-mapped IPv6 address counts as IPv4) then the port (2 bytes,
 * network order), as session_src_bytes() writes them.  Other lengths up
 * to SESSION_SRC_MAX are taken as opaque: the whole is both the prefix
 * and the address; a longer one is a caller bug (abort).  NULL or 0: as
 * session_table_recv.  Cookies are bound to all of it; the rate limit is
 * per /24 (IPv4) or /64 (IPv6) prefix, and per address once a cookie
 * proved the address. */
#define SESSION_SRC_MAX 32
int session_table_recv2(struct session_table *t, uint64_t now,
    const uint8_t *pkt, size_t len, const void *src,
    const uint8_t *src_bytes, size_t src_len);
/* src_bytes of an AF_INET or AF_INET6 address: 6 or 18, 0 for another
 * family. */
size_t session_src_bytes(const struct sockaddr *sa,
    uint8_t out[static SESSION_SRC_MAX]);
/* Run every session's timers; returns the next deadline (absolute ms),
 * UINT64_MAX when none. */
uint64_t session_table_tick(struct session_table *t, uint64_t now);
struct session *session_table_find(struct session_table *t,
    const uint8_t pk[static WIRE_KEY_LEN]);

/* A session with the peer whose Ed25519 key is pk: NULL with errno
 * (EEXIST, EINVAL for a key with no X25519 twin, ENOMEM). */
struct session *session_new(struct session_table *t,
    const uint8_t pk[static WIRE_KEY_LEN]);
void session_free(struct session *s);

/* Start a handshake unless one is under way. */
int session_connect(struct session *s, uint64_t now);
/* A new initiation now, even with one in flight (whose answer is then
 * dropped): for when where the peer may be has just changed (a local
 * address came or went, a LAN beacon).  The attempt's time limit runs on
 * from the first initiation. */
int session_connect_now(struct session *s, uint64_t now);
/* Encrypt and send; while there are no keys, queue a few packets and
 * start a handshake.  0, -EMSGSIZE, or -ENOBUFS (queue full: dropped). */
int session_send(struct session *s, uint64_t now, const uint8_t *data,
    size_t len);
/* Send a hop datagram to the peer of s: the inner packet, inner_len
 * bytes, is already at buf + SESSION_HOP_HEAD; this writes the header
 * before it and the tag after it (buf holds SESSION_HOP_HEAD + inner_len
 * + WIRE_TAG_LEN bytes) and sends buf, so a relay re-wraps in place.
 * 0; -EMSGSIZE (inner_len outside [4, WIRE_HOP_INNER_MAX]); -ENOKEY
 * (no keys now: not queued, a handshake is started). */
#define SESSION_HOP_HEAD sizeof(struct wire_hop)
int session_send_hop(struct session *s, uint64_t now, uint8_t *buf,
    size_t inner_len, uint8_t ttl, const uint8_t src[static WIRE_KEY_LEN],
    const uint8_t dst[static WIRE_KEY_LEN]);
/* Run this session's timers; next deadline or UINT64_MAX. */
uint64_t session_tick(struct session *s, uint64_t now);
/* Send a keepalive whenever nothing was sent for interval ms (0: off);
 * for peers behind NAT.  Also restarts handshakes that gave up. */
void session_set_keepalive(struct session *s, uint64_t interval);

enum session_state session_state(const struct session *s, uint64_t now);
const uint8_t *session_peer_pk(const struct session *s);
void session_set_user(struct session *s, void *user);
void *session_user(const struct session *s);
/* The cipher of the keys s sends with now ("aes-256-gcm",
 * "chacha20-poly1305"), NULL while it has none. */
const char *session_cipher(const struct session *s, uint64_t now);
/* now of the last completed handshake, 0 if none. */
uint64_t session_last_handshake(const struct session *s);

#endif

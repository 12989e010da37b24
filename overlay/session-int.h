/*
 * Internals shared by overlay/session.c (per-peer state, sending, timers)
 * and overlay/dispatch.c (receiving).  Nothing outside these two files
 * includes this.
 */
#ifndef MESH_SESSION_INT_H
#define MESH_SESSION_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sodium.h>

#include "aead.h"
#include "cookie.h"
#include "index.h"
#include "limit.h"
#include "noise.h"
#include "replay.h"
#include "session.h"

#define QUEUE_LEN 4
/* Indexes a session has in the table's index map: its live ones (hs,
 * cur, prev, next) and a few that died since the last sess_index_sync. */
#define SESS_MAPPED 8

struct keypair {
	bool valid;
	bool initiator;
	uint64_t birth;
	uint32_t local_index;
	uint32_t remote_index;
	uint64_t send_counter;
	struct replay_window replay;
	struct aead_key send, recv;	/* the cipher its handshake chose */
};

struct queued {
	size_t len;
	uint8_t data[WIRE_MAX_PLAINTEXT];
};

struct session {
	struct session_table *t;
	void *user;
	struct noise_peer peer;
	struct noise_handshake hs;
	uint8_t last_ts[WIRE_TAI64N_LEN];	/* newest initiation taken */
	uint64_t last_init_rx;
	struct keypair cur, prev, next;
	uint64_t hs_first;		/* start of this attempt; 0: none */
	uint64_t hs_sent;		/* last initiation sent */
	uint64_t retransmit_at;
	unsigned retries;
	uint64_t last_tx;		/* any packet sent */
	uint64_t last_handshake;
	uint64_t ka_due_since;		/* data received, nothing sent since */
	uint64_t reply_due_since;	/* data sent, nothing received since */
	uint64_t keepalive;		/* persistent keepalive interval */
	unsigned qhead, qlen;
	struct queued q[QUEUE_LEN];
	uint32_t mapped[SESS_MAPPED];	/* in t->index; 0: free */
	/* Initiator side of cookies (overlay/cookie.h). */
	uint8_t last_mac1[WIRE_MAC_LEN];	/* of our last initiation */
	uint8_t cookie[WIRE_MAC_LEN];
	uint64_t cookie_birth;		/* 0: none */
	bool cookie_resent;		/* this attempt already resent for one */
};

struct session_table {
	struct session_cb cb;
	struct session_limits lim;
	struct noise_static st;
	struct session **v;
	size_t n, cap;
	uint8_t payload[WIRE_HS_PAYLOAD_MAX];
	size_t plen;
	struct session_stats stats;
	/* Floods (overlay/dispatch.c). */
	struct session_flood_limits fl;
	struct index_map index;		/* local index -> session */
	struct cookie_checker cookie;
	struct ratelimit rl;
	struct seen_set seen;
	uint64_t load_window;		/* now / 1000 of load_cur */
	uint32_t load_cur, load_prev;	/* initiations in it, the one before */
	/* Scratch, so that no packet costs an allocation. */
	struct noise_handshake hs;
	struct noise_peer peer;
	uint8_t rpayload[WIRE_HS_PAYLOAD_MAX];
	uint8_t out[WIRE_PACKET_MAX];
	uint8_t plain[WIRE_PACKET_MAX];
};

static inline uint64_t
sess_le64(const uint8_t b[static 8])
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static inline void
sess_kp_clear(struct keypair *kp)
{
	sodium_memzero(kp, sizeof(*kp));
}

static inline bool
sess_kp_alive(const struct session *s, const struct keypair *kp, uint64_t now)
{
	return kp->valid && now - kp->birth < s->t->lim.reject_after_time;
}

/* A count limit for kp's keys: any cipher's, or AES-256-GCM's when it is
 * lower (see WIRE_AES_REKEY_AFTER_MESSAGES). */
static inline uint64_t
sess_kp_limit(const struct keypair *kp, uint64_t any, uint64_t aes)
{
	return kp->send.aes && aes != 0 && aes < any ? aes : any;
}

static inline bool
sess_kp_usable(const struct session *s, const struct keypair *kp,
    uint64_t now)
{
	return sess_kp_alive(s, kp, now) &&
	    kp->send_counter < sess_kp_limit(kp,
	    s->t->lim.reject_after_messages, s->t->lim.aes_reject_after_messages);
}

/* session.c */
/* A fresh local index for s, entered in the index map at once. */
uint32_t sess_new_index(struct session *s);
/* Drop the map entries of s that none of its hs, cur, prev, next uses
 * any more.  O(1); called after anything that may retire an index. */
void sess_index_sync(struct session *s);
void sess_send_initiation(struct session *s, uint64_t now);
void sess_emit(struct session *s, uint64_t now, const uint8_t *pkt,
    size_t len);
void sess_maybe_initiate(struct session *s, uint64_t now);
int sess_send_transport(struct session *s, uint64_t now, const uint8_t *data,
    size_t len);
/* The AD of a hop datagram's tag (include/mesh/wire.h, wire_hop): dgram
 * is its header, followed by the inner packet of inner_len bytes. */
size_t sess_hop_ad(const uint8_t *dgram, size_t inner_len,
    uint8_t ad[static WIRE_HOP_AD_MAX]);
void sess_flush_queue(struct session *s, uint64_t now);

#endif

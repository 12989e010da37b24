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

#include "noise.h"
#include "replay.h"
#include "session.h"

#define QUEUE_LEN 4

struct keypair {
	bool valid;
	bool initiator;
	uint64_t birth;
	uint32_t local_index;
	uint32_t remote_index;
	uint64_t send_counter;
	struct replay_window replay;
	struct noise_keys keys;
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

static inline bool
sess_kp_usable(const struct session *s, const struct keypair *kp,
    uint64_t now)
{
	return sess_kp_alive(s, kp, now) &&
	    kp->send_counter < s->t->lim.reject_after_messages;
}

/* session.c */
uint32_t sess_new_index(const struct session_table *t);
void sess_emit(struct session *s, uint64_t now, const uint8_t *pkt,
    size_t len);
void sess_maybe_initiate(struct session *s, uint64_t now);
int sess_send_transport(struct session *s, uint64_t now, const uint8_t *data,
    size_t len);
void sess_flush_queue(struct session *s, uint64_t now);

#endif

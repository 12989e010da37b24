/*
 * The node engine's insides, shared by its files and by nothing else:
 *
 *   node.c     node_new/recv/tick, session callbacks, admission, the
 *              plaintext dispatch table, membership events
 *   peer.c     the one peer table, hashed by key
 *   gossip.c   our record, push gossip, anti-entropy, revocations
 *   paths.c    seeds, candidate endpoints, probing, backoff; which
 *              sessions to keep
 *   join.c     the member's half of `meshctl join`
 *   renew.c    certificate renewal, both halves
 *   punch.c    hole punching through a common peer (PUNCH rounds)
 *   lan.c      LAN beacons in and out, roaming (node_net_changed)
 */
#ifndef MESH_NODE_INT_H
#define MESH_NODE_INT_H

#include "node.h"
#include "addr.h"
#include "ippkt.h"
#include "limit.h"
#include "linkstate.h"
#include "msg.h"
#include "punch.h"

struct peer {
	struct peer *hnext;		/* hash chain (peer.c) */
	size_t slot;			/* index in n->peers */
	struct session *s;
	uint8_t pk[MESH_KEY_LEN];
	char name[MESH_LABEL_MAX + 1];	/* from its certificate or record */
	struct mesh_cert cert;		/* from its handshake */
	bool have_cert;
	bool joiner;			/* may only redeem an invite */
	bool keepalive_on;		/* its session sends keepalives */
	bool left;			/* said goodbye, silent since */
	uint64_t admitted;		/* ms: a joiner was let in */
	uint64_t join_answered;		/* ms: a joiner got its first answer */
	unsigned join_reqs;		/* JOIN_REQs it sent (join.c) */
	bool evicted;			/* a joiner made room: drop it */
	bool tell_pending;		/* owe it a SEEN message */
	struct mesh_endpoint ep;	/* where packets go */
	bool have_ep;
	bool ep_observed;		/* ep is where it last spoke from */
	uint64_t last_rx;		/* ms; 0: never */
	enum member_state shown;	/* as last reported */
	uint64_t up_since;
	uint64_t next_try, backoff;	/* connection attempts */
	/* Not yet heard where it is: its handshake initiations go to all of
	 * these at once, and the first answer decides (cb_seen). */
	struct mesh_endpoint probe[NODE_PROBE_MAX];
	size_t nprobe;
	uint16_t probe_capped;		/* bit k: probe[k] came from a record
					 * (capped per address, cb_send) */
	/* A new address it spoke from (a transport packet): probed, and
	 * moved to when the answer comes from there (node.c). */
	struct mesh_endpoint cand_ep;
	bool cand_due;			/* the PROBE is still to be sent */
	uint64_t cand_sent;		/* ms; 0: none in flight */
	uint64_t cand_nonce;
	const struct mesh_endpoint *send_to;	/* cb_send: only there */
	/* gossip.c */
	uint64_t record_at;		/* ms: a new seq of its record taken */
	uint64_t ae_mtokens;		/* DIGEST/WANT budget, 1/1000 token */
	uint64_t ae_at;			/* ms of the last refill; 0: never */
	/* renew.c */
	uint64_t renew_asked;		/* ms we last asked it; 0: never */
	uint64_t renew_wait;		/* ms: after an EALREADY (clock skew) */
	bool issuer;			/* it renewed ours once */
	uint64_t renew_issued;		/* ms we last issued it one; 0: never */
	struct mesh_cert renewed;	/* what we issued then */
	/* the data plane */
	uint64_t direct_rx;		/* ms: last packet over its own UDP path */
	uint64_t hs_sent;		/* ms: our initiation went out (RTT) */
	uint32_t rtt_us;
	bool have_relay;		/* the hop in use, when not direct */
	uint8_t relay[MESH_KEY_LEN];
	uint64_t tx_bytes, rx_bytes;
	/* Probing its own path (probe.c): fast while it carries traffic. */
	uint64_t busy_until;		/* ms: carried packets until then */
	uint64_t probe_at;		/* ms of the probe in flight; 0: none */
	uint64_t probe_nonce;
	uint64_t next_probe;
	unsigned probe_misses;		/* probes unanswered in a row */
	uint32_t probes_sent, probes_lost;	/* for the loss estimate */
	/* Hole punching (punch.c). */
	uint64_t tx_direct_bytes;	/* of tx_bytes, over its own path */
	bool punch_relayed;		/* alive through a relay, at last look */
	bool punch_active;		/* a round is under way */
	uint64_t punch_next, punch_backoff;	/* our own next PUNCH */
	uint64_t punch_rx_at;		/* ms: its last PUNCH taken; 0 */
	struct mesh_endpoint punch_cand[PUNCH_CANDS_MAX];	/* its word */
	size_t npunch_cand;
	struct mesh_endpoint punch_to[PUNCH_TARGETS_MAX];	/* the round's */
	size_t npunch_to;
	uint64_t punch_nonce;
	unsigned punch_tries;
	uint64_t punch_try_at;		/* ms: the round's next try */
	uint64_t punch_last;		/* ms of its last try; 0: none yet */
	/* LAN discovery (lan.c) */
	struct mesh_endpoint lan_ep;	/* from its last beacon */
	uint64_t lan_at;		/* ms it came; 0: none (or forgotten) */
	uint64_t lan_stamp;		/* the beacon's stamp: only newer */
	uint64_t lan_tried;		/* ms of our last handshake there */
};

/* Work that may not happen inside a session callback (no session call
 * from send(), no table recv from recv()): done once the call returns. */
enum deferred_kind {
	DEFER_HOP,			/* send msg over the session of `to` */
	DEFER_DELIVER,			/* a relayed packet for us, from `to` */
};

struct deferred {
	enum deferred_kind kind;
	uint8_t to[MESH_KEY_LEN];
	/* DEFER_HOP: the hop datagram's fields; its inner packet is at
	 * msg + SESSION_HOP_HEAD, room left before and after for the header
	 * and tag that session_send_hop writes in place.  DEFER_DELIVER:
	 * the session packet at msg. */
	uint8_t ttl;
	uint8_t src[MESH_KEY_LEN], dst[MESH_KEY_LEN];
	size_t len;			/* of the (inner) session packet */
	uint8_t msg[WIRE_PACKET_MAX];
};

#define NODE_DEFER_MAX	32
/* The endpoint family of "through a relay": never on the wire, only the
 * src of a session packet that came in a hop datagram (addr = the
 * relay's key, its first 16 bytes). */
#define EP_RELAY	((enum mesh_ep_family)0x52)

struct held_links;

/* Overlay address -> member key, rebuilt when the record set changes. */
struct addr_ent {
	uint8_t addr[16];
	uint8_t pk[MESH_KEY_LEN];
	bool used;
};

struct seed {
	struct mesh_endpoint ep[NODE_SEED_ADDRS];
	size_t n;
};

/* What members told us they see us at (gossip.c). */
struct seen_report {
	struct mesh_endpoint ep;
	uint8_t who[NODE_SEEN_WHO][MESH_KEY_LEN];
	size_t nwho;
	uint64_t at;			/* ms of the last report */
	uint64_t agreed_at;		/* ms it reached NODE_SEEN_AGREE; 0 */
};

/* Initiations to one address (node.c). */
struct probe_bucket {
	uint8_t addr[16];
	uint8_t family;
	bool used;
	uint32_t mtokens;		/* 1/1000 initiation */
	uint64_t at;			/* ms of the last refill */
};

struct node {
	struct node_cfg cfg;		/* cfg.sk points at sk below */
	uint8_t *sk;			/* sodium_malloc'd */
	struct node_cb cb;
	struct session_table *t;
	uint64_t now;			/* of the call in progress */
	uint64_t keepalive_ms, suspect_ms, dead_ms;

	struct peer **peers;		/* peer.c */
	size_t npeers, cap;
	struct peer **hash;
	size_t hmask;
	bool evicted_any;		/* a peer marked evicted: join_reap */

	struct recset *rs;
	uint64_t reported_gen;		/* recset generation last reported */
	struct mesh_record self;
	bool have_self;
	uint64_t self_refresh;		/* unix s: republish by then */
	struct mesh_endpoint observed[NODE_OBSERVED_MAX];
	size_t nobserved;		/* agreed: what we publish */
	struct seen_report reports[NODE_SEEN_TRACK];
	size_t nreports;
	bool endpoints_changed;
	uint64_t published_at;		/* ms of our last publish; 0: none */
	uint64_t publish_due;		/* ms: a deferred publish; 0: none */
	bool publish_force;

	/* node.c: the packet being received, for cb_seen and probes */
	const struct mesh_endpoint *rx_from;
	uint8_t rx_type;
	bool cand_any;			/* some peer has cand_due */
	struct probe_bucket probe_rl[NODE_PROBE_ADDR_SLOTS];
	uint64_t punch_mtokens, punch_at;	/* punch.c: all rounds' probes */
	uint8_t probe_rl_key[16];	/* for the bucket hash */

	struct seed seeds[NODE_SEED_SLOTS];
	struct ratelimit join_rl;	/* JOIN_REQs per source prefix */
	uint64_t next_maint, next_ae;
	uint64_t renew_next;		/* ms: the next RENEW_REQ may go */
	uint64_t renew_local_next;	/* unix s: the next local try */
	struct node_counters c;
	uint64_t lan_stamp;		/* lan.c: our last beacon's */

	/* the data plane (forward.c, links.c) */
	uint8_t addr[16];		/* our overlay address */
	uint8_t prefix[MESH_PREFIX_LEN];
	struct addr_ent *addrs;		/* open addressing, power of two */
	size_t addrs_cap;
	uint64_t addrs_gen;		/* recset generation it was built at */
	struct ippkt_ratelimit icmp_rl;
	struct linkstate *ls;
	struct linkstate_record mine;	/* as last published */
	struct held_links *held_links;	/* links.c */
	size_t nheld_links;
	uint64_t links_at;		/* ms of the last publish */
	struct deferred *defer;
	size_t ndefer;
	bool in_flush;
};

/* node.c */
uint64_t node_unix(struct node *n);
void node_emit(struct node *n, const struct node_event *ev);
int node_send_msg(struct node *n, struct peer *p, const uint8_t *msg,
    size_t len);
bool peer_up(const struct node *n, const struct peer *p);
/* A PROBE_ACK with nonce from p: true when it answered our probe of a
 * new address (and then the session moved there, if it came from it). */
bool node_cand_answer(struct node *n, struct peer *p, uint64_t nonce);
/* One initiation or probe to ep's address, under its per-address cap:
 * false when the bucket is empty. */
bool node_probe_addr_take(struct node *n, const struct mesh_endpoint *ep);

/* peer.c */
struct peer *peer_find(const struct node *n, const uint8_t pk[static 32]);
struct peer *peer_get(struct node *n, const uint8_t pk[static 32]);
void peer_drop(struct node *n, struct peer *p);
size_t peer_joiners(const struct node *n);
void peers_free_all(struct node *n);

/* gossip.c */
void gossip_publish(struct node *n, bool force);
void gossip_established(struct node *n, struct peer *p);
void gossip_antientropy(struct node *n);
void gossip_observed(struct node *n, const struct peer *from,
    const struct mesh_endpoint *ep);
/* A member's word about where we are goes with it (dropped, revoked). */
void gossip_forget_reporter(struct node *n, const uint8_t pk[static 32]);
/* A publish deferred by NODE_PUBLISH_GAP_MS, when due. */
void gossip_publish_due(struct node *n);
void gossip_on_record(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
void gossip_on_revoke(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
void gossip_on_digest(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
void gossip_on_want(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
bool gossip_revoke(struct node *n, struct peer *from,
    const struct mesh_revocation *rv);

/* paths.c */
void paths_maint(struct node *n);
/* A handshake to every candidate of p now, a fresh one even with one in
 * flight (the backoff goes on). */
void paths_connect(struct node *n, struct peer *p);
/* A fresh beacon endpoint of p (lan.c), false if none. */
bool lan_candidate(const struct node *n, const struct peer *p,
    struct mesh_endpoint *ep);

/* links.c */
int links_init(struct node *n);
void links_free(struct node *n);
void links_maint(struct node *n);
void links_established(struct node *n, struct peer *p);
void links_forget(struct node *n, const uint8_t pk[static MESH_KEY_LEN]);
void links_on_msg(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
/* The member to hand a packet for dst to: dst itself when its own path
 * works, a relay when the graph has a path, NULL when nothing does. */
struct peer *links_next_hop(struct node *n, struct peer *dst);
/* Heard over its own UDP path within suspect_ms (path_direct), and a
 * session up too (peer_direct: a link, for our link record). */
bool path_direct(const struct node *n, const struct peer *p);
bool peer_direct(const struct node *n, const struct peer *p);

/* probe.c */
void probe_busy(struct node *n, struct peer *p);
/* Send due probes, notice dead paths; the next time anything is due. */
uint64_t probe_tick(struct node *n);
void probe_on_msg(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
uint32_t probe_loss_ppm(const struct peer *p);

/* punch.c */
void punch_maint(struct node *n, struct peer *p);
void punch_reset(struct node *n);
uint64_t punch_tick(struct node *n);
void punch_on_msg(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
/* A PROBE_ACK with nonce from p: true when it answers one of our rounds
 * (and then, from one of the round's targets, the path is direct). */
bool punch_answer(struct node *n, struct peer *p, uint64_t nonce);

/* forward.c */
int forward_init(struct node *n);
void forward_free(struct node *n);
void forward_on_ip(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
/* A hop datagram from p (cb_hop): delivered here, passed on, or dropped. */
void forward_on_hop(struct node *n, struct peer *p,
    const struct session_hop *h);
/* A session packet for p that its own path cannot carry: through relay r. */
void forward_via(struct node *n, struct peer *r, struct peer *p,
    const uint8_t *pkt, size_t len);
void forward_flush(struct node *n);

/* join.c */
int join_init(struct node *n);
void join_free(struct node *n);
void join_on_req(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
/* A new joiner wants a slot and all NODE_JOINERS_MAX are taken: mark the
 * oldest (answered ones first) evicted, never `keep`.  From admit(), so
 * it only marks; join_reap() drops once the session call returns. */
void join_make_room(struct node *n, const struct peer *keep);
void join_reap(struct node *n);

/* renew.c */
void renew_maint(struct node *n);
void renew_on_req(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
void renew_on_ok(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
void renew_on_err(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);

#endif

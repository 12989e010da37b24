/*
 * The mesh node as a transport-free engine: what overlay/session.h is for
 * one session, this is for the whole node -- the peer table, admission,
 * gossip, candidate endpoints and probing, membership.
 *
 * Bytes come in through node_recv(), packets go out through cb.send, and
 * node_tick() runs every timer and returns the next deadline.  There are no
 * sockets, files, threads or clocks here: `now` is milliseconds of a clock
 * that never goes backwards (non-zero), wall time and randomness come from
 * callbacks, and so do this node's interface endpoints.  The engine never
 * logs: it reports what happened through cb.event, and the daemon turns
 * that into log lines, store exports and saves (agent/overlayd.c).  The
 * simulator (tests/sim/) drives hundreds of these in one process.
 *
 * Wiring:
 *     n = node_new(&cfg, &cb);
 *     recset_parse(node_records(n), ...)     saved records, before the first tick
 *     node_set_seeds(n, slot, eps, k)        a `peer =` line, once resolved
 *   on a datagram:  node_recv(n, now, buf, len, &from);
 *   after a batch:  deadline = node_tick(n, now);   (a datagram can bring
 *                   the next deadline forward: tick after receiving)
 *   on shutdown:    node_leave(n, now); node_free(n);
 * No callback may call back into the node except the getters.
 *
 * Randomness: cb.random drives every choice the engine makes (gossip
 * targets, jitter, probe nonces).  Key material and session indices come
 * from libsodium's randombytes in the session layer; a simulator that
 * wants repeatable runs replaces that (tests/sim/ does, for tests only).
 * A node that holds no record cannot use a seed (a seed carries no key):
 * it needs the record of one member first, as `meshctl join` leaves it.
 */
#ifndef MESH_NODE_H
#define MESH_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beacon.h"
#include "cert.h"
#include "member.h"
#include "record.h"
#include "recset.h"
#include "session.h"

#define NODE_FANOUT		3	/* second-hand news goes this far */
#define NODE_MAINT_MS		1000	/* connection manager period */
#define NODE_AE_MS		3000	/* anti-entropy period (+-500 ms) */
#define NODE_RECORD_LIFETIME	3600	/* seconds a record of ours lives */
#define NODE_RECORD_REFRESH	1200	/* republish when this little is left */
#define NODE_BACKOFF_MIN_MS	1000
#define NODE_BACKOFF_MAX_MS	8000
#define NODE_PROBE_MAX		12	/* endpoints one handshake goes to */
#define NODE_OBSERVED_MAX	2	/* observed endpoints we publish */
/* What members say they see us at (SEEN): an endpoint goes in our record
 * only once NODE_SEEN_AGREE distinct members said it.  NODE_SEEN_TRACK
 * endpoints are tracked, each with up to NODE_SEEN_WHO reporters, and a
 * member's newer word replaces its older. */
#define NODE_SEEN_AGREE		2
#define NODE_SEEN_TRACK		8
#define NODE_SEEN_WHO		4
/* Our own record goes out at most once per NODE_PUBLISH_GAP_MS (a change
 * sooner waits); a member's record with a new seq accepted within
 * NODE_RECORD_GAP_MS of its previous one is refused (drop_record_rate).
 * The gap between the two leaves room for paths of different delays. */
#define NODE_PUBLISH_GAP_MS	1500
#define NODE_RECORD_GAP_MS	1000
/* Answers to one peer's DIGEST and WANT (one token per message and per
 * record sent): a bucket of recset_count + NODE_AE_SLACK tokens, refilled
 * that many per NODE_AE_MS.  So at most about one record set per
 * anti-entropy period goes to any one peer, whatever it asks. */
#define NODE_AE_SLACK		64
/* Handshake initiations to candidate endpoints taken from records (not
 * seeds, not where a peer spoke from): per IP address, whatever the port
 * and the peer, a bucket of NODE_PROBE_ADDR_BURST refilled at
 * NODE_PROBE_ADDR_RATE a second, in a table of NODE_PROBE_ADDR_SLOTS
 * (4-way, keyed hash; least recently used replaced). */
#define NODE_PROBE_ADDR_BURST	4
#define NODE_PROBE_ADDR_RATE	2
#define NODE_PROBE_ADDR_SLOTS	256
/* A session's endpoint moves on a transport packet from elsewhere only
 * once a PROBE sent there is answered from there; one such probe per
 * peer per NODE_CAND_GAP_MS. */
#define NODE_CAND_GAP_MS	250
#define NODE_CAND_WAIT_MS	5000	/* an answer later than this is late */
#define NODE_JOINERS_MAX	64	/* join sessions at once; then the
					 * oldest goes for a new one */
/* JOIN_REQ limits (join.c): answered at most this often per joiner
 * session, and per source prefix (/24, /64) a token bucket of
 * NODE_JOIN_SRC_RATE a second up to NODE_JOIN_SRC_BURST, in a bounded
 * table of NODE_JOIN_SRC_SLOTS buckets.  Past either: no answer. */
#define NODE_JOIN_REQS_MAX	3
#define NODE_JOIN_SRC_RATE	1
#define NODE_JOIN_SRC_BURST	8
#define NODE_JOIN_SRC_SLOTS	1024
#define NODE_SEED_SLOTS		64	/* `peer =` lines and the peers file */
#define NODE_SEED_ADDRS		4	/* addresses kept per seed */
/* Certificate renewal (overlay/renew.c): asked for when less than a third
 * of the lifetime is left; one request per member per NODE_RENEW_RETRY
 * (and one local try on the CA holder), NODE_RENEW_GAP_MS between
 * requests to different members. */
#define NODE_RENEW_RETRY	3600	/* seconds */
#define NODE_RENEW_GAP_MS	10000
/* LAN discovery (overlay/lan.c): a beacon's endpoint stays a member's
 * first candidate for NODE_LAN_FRESH_MS; at most one handshake to it per
 * member per NODE_LAN_RETRY_MS. */
#define NODE_LAN_FRESH_MS	15000
#define NODE_LAN_RETRY_MS	2000

/* The largest IP packet node_send_ip takes, the TUN's MTU: over a
 * member's own path it fills one datagram (1,400 bytes of payload, 1,480
 * on the wire with UDP and IPv6: any 1,500-byte underlay).  Through a
 * relay, the hop datagram's header and tag (include/mesh/wire.h) take 97
 * bytes of those 1,400 (98 when a relayed packet went inside the hop's
 * session: one byte is spare now): a larger packet for a relayed member
 * gets an ICMPv6 Packet Too Big announcing NODE_IP_MTU_RELAYED, which
 * the kernel keeps for that destination, so TCP sends smaller segments
 * there and nowhere else. */
#define NODE_IP_MTU		1400
#define NODE_IP_MTU_RELAYED	1302

struct node;

struct node_cfg {
	uint8_t pk[MESH_KEY_LEN];	/* this node's Ed25519 key */
	const uint8_t *sk;		/* 64 bytes; copied into sodium memory */
	uint8_t ca_pk[MESH_KEY_LEN];	/* the network's */
	struct mesh_cert cert;		/* this node's, from the CA */
	uint64_t dead_ms;		/* dead_after: suspect at half, a
					 * keepalive at a fifth (1 to 10 s) */
	bool ipv4_only;			/* the transport cannot reach IPv6 */
	bool can_redeem;		/* holds the CA key: admit joiners */
	bool data_plane;		/* carry IP packets (cb.tun_write) */
	bool chacha_only;		/* never offer AES-256-GCM */
};

enum node_event_kind {
	NODE_EV_MEMBER_NEW,		/* name: its first record came in by
					 * gossip (not those loaded through
					 * node_records()) */
	NODE_EV_MEMBER_STATE,		/* name, state, silent_ms */
	NODE_EV_RECORDS_CHANGED,	/* export and save the record set */
	NODE_EV_REVOCATION,		/* a new revocation was accepted */
	NODE_EV_JOIN,			/* name, err (0: redeemed) */
	NODE_EV_PUBLISH_FAILED,		/* vr: our own record was not made */
	NODE_EV_CERT_RENEWED,		/* cert: ours, now in use; write it */
	NODE_EV_CERT_ISSUED,		/* name, err (0: a member's renewal
					 * was issued here; our own local
					 * renewal failed with err) */
};

struct node_event {
	enum node_event_kind kind;
	const char *name;
	enum member_state state;
	uint64_t silent_ms;
	int err;
	enum vr vr;
	const struct mesh_cert *cert;
};

struct node_cb {
	void *ctx;
	/* One datagram to an endpoint.  Required. */
	void (*send)(void *ctx, const struct mesh_endpoint *to,
	    const uint8_t *pkt, size_t len);
	/* Room for the next datagram of len bytes to `to`, where send()
	 * would copy it: the engine seals a packet there and then calls
	 * send() with that pointer, which must then take it without a copy.
	 * NULL: no room (the engine uses its own buffer).  Optional. */
	uint8_t *(*send_buf)(void *ctx, const struct mesh_endpoint *to,
	    size_t len);
	/* Unix time.  Required. */
	void (*wallclock)(void *ctx, uint64_t *sec, uint32_t *nsec);
	/* Uniform in [0, upper), upper > 0.  Required (seeded in tests). */
	uint32_t (*random)(void *ctx, uint32_t upper);
	/* This node's own endpoints (interface addresses with the listen
	 * port, or the one address it is bound to); how many were written.
	 * Required. */
	size_t (*local_endpoints)(void *ctx, struct mesh_endpoint *ep,
	    size_t max);
	/* Redeem an invite for a joiner with key pk: 0 and *cert, or
	 * -errno.  Only called when cfg.can_redeem.  Optional. */
	int (*redeem)(void *ctx, const uint8_t pk[static MESH_KEY_LEN],
	    const char *name, const uint8_t *proof, struct mesh_cert *cert);
	/* Renew a member's certificate: a new one into *out for old's name
	 * and key, 0, or -errno.  old verified, is unrevoked and came over
	 * the session of its key (or is this node's own).  Only called when
	 * cfg.can_redeem.  Optional. */
	int (*renew)(void *ctx, const struct mesh_cert *old,
	    struct mesh_cert *out);
	/* Something happened (above).  Optional. */
	void (*event)(void *ctx, const struct node_event *ev);
	/* An IP packet for this node (from a member, or an ICMPv6 error
	 * the engine made): write it to the TUN.  Required when
	 * cfg.data_plane. */
	void (*tun_write)(void *ctx, const uint8_t *pkt, size_t len);
};

/* Everything dropped above the session engine, by reason, and the gossip
 * that was sent. */
struct node_counters {
	uint64_t rx_datagrams;
	uint64_t drop_oversize;		/* larger than any overlay packet */
	uint64_t drop_badmsg;		/* a message that does not decode */
	uint64_t drop_joiner;		/* a joiner's session sent gossip */
	uint64_t refused_cert;		/* handshake payload not a valid cert */
	uint64_t refused_join;		/* join hello refused */
	uint64_t joiners_evicted;	/* oldest joiner dropped for a new one */
	uint64_t joiners_ended;		/* joiner sessions ended (time up) */
	uint64_t drop_join_limit;	/* JOIN_REQ past its session's or its
					 * source's limit: no answer */
	uint64_t joins_ok, joins_refused;
	uint64_t records_pushed, digests_sent, wants_sent;
	uint64_t renew_asked;		/* RENEW_REQs we sent */
	uint64_t renewed;		/* new certificates of ours taken */
	uint64_t renew_issued, renew_refused;	/* as the issuer */
	uint64_t tx_datagrams, tx_bytes;
	/* the data plane */
	uint64_t ip_out, ip_in;		/* packets from / to the TUN */
	uint64_t ip_unreach;		/* ICMPv6 unreachable written back */
	uint64_t ip_too_big;		/* ICMPv6 Packet Too Big written back */
	uint64_t drop_ip_bad;		/* not IPv6, or does not parse */
	uint64_t drop_ip_src;		/* source not the sender's address */
	uint64_t drop_ip_nopath;	/* queued for a member, then lost */
	uint64_t hops_relayed;		/* hop datagrams passed on for others */
	uint64_t drop_hop;		/* hop refused: ttl, member, no path */
	uint64_t links_published, drop_links;
	/* what one member may say (issue 12) */
	uint64_t records_sent;		/* RECORD messages, for any reason */
	uint64_t drop_seen;		/* SEEN not a unicast endpoint */
	uint64_t drop_record_rate;	/* a member's next seq under 1 s */
	uint64_t drop_ae_rate;		/* DIGEST/WANT over the peer's budget */
	uint64_t probe_capped;		/* initiations not sent: per address */
	uint64_t ep_probes;		/* PROBEs to a peer's new address */
	uint64_t ep_moves;		/* a session endpoint moved (answered) */
	/* hole punching (overlay/punch.c) */
	uint64_t punch_sent, punch_rx;	/* PUNCH messages */
	uint64_t punch_rounds;		/* rounds of probes started */
	uint64_t punch_probes;		/* their PROBEs sent */
	uint64_t punch_capped;		/* not sent: per address or in all */
	uint64_t punch_direct;		/* a round's probe answered: direct */
	uint64_t drop_punch;		/* a PUNCH that does not decode */
	uint64_t drop_punch_rate;	/* a peer's PUNCH within 1 s of its last */
	/* LAN discovery and roaming (issue 10) */
	uint64_t lan_beacons;		/* beacons taken (verified, newer) */
	uint64_t drop_beacon;		/* beacons refused: format, network,
					 * time, certificate, signature */
	uint64_t lan_handshakes;	/* initiations to a beacon's endpoint */
	uint64_t net_changes;		/* node_net_changed calls */
};

/* What `meshctl members` shows of one member. */
struct node_peer_info {
	char name[MESH_LABEL_MAX + 1];
	enum member_state state;
	bool up;			/* a session with keys */
	bool have_ep;
	struct mesh_endpoint ep;	/* where its packets go now */
	uint64_t last_rx;		/* ms; 0: never heard */
	bool direct;			/* heard over its own UDP path lately */
	bool relayed;			/* packets to it go through relay */
	uint8_t relay[MESH_KEY_LEN];
	char relay_name[MESH_LABEL_MAX + 1];
	uint32_t rtt_us;		/* last measured, 0: not yet */
	uint32_t loss_ppm;		/* of probes lately */
	uint64_t tx_bytes, rx_bytes;	/* IP packets, either way */
	const char *cipher;		/* of its session's keys; NULL: none */
	uint64_t tx_direct_bytes;	/* of tx_bytes: sent over its own path */
	uint64_t tx_relayed_bytes;	/* the rest: handed to a relay */
};

/* NULL with errno on failure. */
struct node *node_new(const struct node_cfg *cfg, const struct node_cb *cb);
void node_free(struct node *n);

/* One received datagram from `from`. */
void node_recv(struct node *n, uint64_t now, const uint8_t *pkt, size_t len,
    const struct mesh_endpoint *from);
/* Run every timer that is due; the next deadline (absolute ms). */
uint64_t node_tick(struct node *n, uint64_t now);
/* Say goodbye to every member that is up (clean shutdown). */
void node_leave(struct node *n, uint64_t now);

/* Where seed `slot` (< NODE_SEED_SLOTS) is now: tried for every member
 * not yet reached, since a seed carries no key. */
void node_set_seeds(struct node *n, size_t slot,
    const struct mesh_endpoint *ep, size_t count);
/* A revocation from outside the mesh (`meshctl revoke`): true when it is
 * new, and then it spreads. */
bool node_offer_revocation(struct node *n, const struct mesh_revocation *rv);

/* The record set: the daemon loads saved records into it before the first
 * tick, exports and saves it on NODE_EV_RECORDS_CHANGED. */
struct recset *node_records(struct node *n);
/* Should c be renewed at unix time now?  When less than a third of its
 * lifetime is left (or it has ended). */
bool node_cert_due(const struct mesh_cert *c, uint64_t now);
/* This node's certificate as used now (renewals replace it). */
const struct mesh_cert *node_cert(const struct node *n);
/* This node's current record, NULL before the first publish. */
const struct mesh_record *node_self(const struct node *n);
const struct node_counters *node_counters(const struct node *n);
const struct session_stats *node_session_stats(const struct node *n);
/* The state of the member with key pk; false if it is not a peer. */
bool node_peer(const struct node *n, uint64_t now,
    const uint8_t pk[static MESH_KEY_LEN], struct node_peer_info *out);
/* A packet read from the TUN: to the member that owns its destination,
 * directly or through a relay, or an ICMPv6 unreachable back into the
 * TUN at once when no member owns it or none can be reached. */
void node_send_ip(struct node *n, uint64_t now, const uint8_t *pkt,
    size_t len);
/* The mesh as Graphviz dot (linkstate_dot): length as snprintf. */
size_t node_graph_dot(struct node *n, char *buf, size_t len);
/* Joiner sessions held now. */
size_t node_joiners(const struct node *n);
uint64_t node_suspect_ms(const struct node *n);
uint64_t node_dead_ms(const struct node *n);

/* LAN discovery (overlay/lan.c).  Our beacon, to multicast on every
 * interface: BEACON_LEN bytes, `port` our overlay UDP port; 0 when it
 * cannot be made. */
size_t node_lan_beacon(struct node *n, uint64_t now, uint16_t port,
    uint8_t out[static BEACON_LEN]);
/* A datagram from the beacon socket, sent from `from` (its port is
 * ignored: the beacon names the overlay port).  VR_OK when it was a
 * member's, newer than the last taken from it: its endpoint becomes that
 * member's first candidate and a handshake goes there (a member never
 * seen before gets a session).  VR_DUP for our own, VR_STALE for one not
 * newer, else why it was refused (counted in drop_beacon). */
enum vr node_lan_recv(struct node *n, uint64_t now, const uint8_t *pkt,
    size_t len, const struct mesh_endpoint *from);
/* A local address came or went (rtnetlink): every member's candidates are
 * handshaken now, without backoff and without the "where it last spoke
 * from" preference; paths in use are probed at once, so a dead one is
 * left within PROBE_MISSES probes; our record is republished (within
 * NODE_PUBLISH_GAP_MS); LAN endpoints heard before are forgotten. */
void node_net_changed(struct node *n, uint64_t now);

#endif

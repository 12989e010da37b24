/*
 * meshd's overlay: one UDP socket, the session table fed from it, the
 * peers we talk to, the record set they share, and who is alive.
 *
 *   overlay.c   socket, session callbacks, admission, message dispatch
 *   peers.c     which sessions to keep and where to send them: configured
 *               peers (resolved off the loop), record endpoints, backoff
 *   gossip.c    our own record, push gossip, anti-entropy, persistence
 *   redeem.c    the member's half of `meshctl join`
 *   members.c   alive/suspect/dead, GET /v1/members
 *
 * Topology: every member keeps a session with every other member it can
 * reach (a full mesh).  Up to a few hundred nodes that costs one keepalive
 * per peer every few seconds, and it makes both gossip and failure
 * detection direct; a node behind NAT is part of it through the sessions
 * it opens itself.
 */
#ifndef MESH_OVERLAY_H
#define MESH_OVERLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <jansson.h>

#include "event.h"
#include "overlay/identity.h"
#include "overlay/member.h"
#include "overlay/cert.h"
#include "overlay/msg.h"
#include "overlay/record.h"
#include "overlay/recset.h"
#include "overlay/session.h"

struct agent;
struct cpeer;

#define OV_FANOUT		3	/* second-hand news goes this far */
#define OV_SAVE_MS		1000	/* at most one records save this often */
#define OV_MAINT_MS		1000	/* connection manager period */
#define OV_AE_MS		3000	/* anti-entropy period */
#define OV_RECORD_LIFETIME	3600	/* seconds a record of ours lives */
#define OV_RECORD_REFRESH	1200	/* republish when this little is left */
#define OV_BACKOFF_MIN_MS	1000
#define OV_BACKOFF_MAX_MS	8000
#define OV_PROBE_MAX		12	/* endpoints one handshake goes to */
#define OV_OBSERVED_MAX		2
#define OV_CERT_LIFETIME	(365 * 86400ULL)
#define OV_JOINERS_MAX		64	/* join sessions at once */

/* Everything dropped above the session engine, by reason. */
struct ov_counters {
	uint64_t rx_datagrams;
	uint64_t drop_oversize;		/* larger than any overlay packet */
	uint64_t drop_badmsg;		/* a message that does not decode */
	uint64_t drop_joiner;		/* a joiner's session sent gossip */
	uint64_t refused_cert;		/* handshake payload not a valid cert */
	uint64_t refused_join;		/* join hello on a node without CA key */
	uint64_t send_errors;
	uint64_t joins_ok, joins_refused;
	uint64_t records_pushed, digests_sent, wants_sent;
};

struct peer {
	struct overlay *ov;
	struct session *s;
	uint8_t pk[MESH_KEY_LEN];
	char name[MESH_LABEL_MAX + 1];	/* from its certificate */
	struct mesh_cert cert;		/* from its handshake */
	bool have_cert;
	bool joiner;			/* may only redeem an invite */
	bool left;			/* said goodbye, silent since */
	uint64_t join_answered;		/* ms: a joiner got its answer */
	bool tell_pending;		/* owe it a SEEN message */
	struct sockaddr_storage ep;	/* where packets go */
	socklen_t eplen;
	bool ep_observed;		/* ep is where it last spoke from */
	uint64_t last_rx;		/* ms; 0: never */
	enum member_state shown;	/* as last logged */
	uint64_t up_since;
	uint64_t next_try, backoff;	/* connection attempts */
	/* Not yet heard where it is: its handshake initiations go to all of
	 * these at once, and the first answer decides (cb_seen). */
	struct sockaddr_storage probe[OV_PROBE_MAX];
	size_t nprobe;
};

struct overlay {
	struct agent *a;
	/* Our own copy (sk in sodium_malloc memory): a failed SIGHUP reload
	 * clears the agent's, and the overlay keeps running on this one. */
	struct mesh_identity id;
	int fd, family;
	uint16_t port;
	/* listen names one address: that is the only one to advertise */
	bool bound_one;
	struct mesh_endpoint bound;
	struct session_table *t;
	/* The failure detector, from dead_after (conf.h): by default a
	 * keepalive after 1 s of silence, suspect at 2.5 s, dead at 5 s. */
	uint64_t keepalive_ms, suspect_ms, dead_ms;
	struct ev_timer tick, maint, ae;
	struct mesh_cert cert;
	struct peer **peers;
	size_t npeers, cap;
	/* admit() -> seen() hand-over for a session created by admission */
	bool admit_pending, admit_joiner;
	uint8_t admit_pk[MESH_KEY_LEN];
	struct mesh_cert admit_cert;
	/* the revocations file, as last read */
	int64_t rev_mtime_ns;
	int64_t rev_size;
	uint64_t rev_checked;		/* ms of the last look at the file */

	struct recset *rs;
	uint64_t saved_gen, exported_gen;
	uint64_t saved_at;		/* ms of the last records save */
	/* members whose first record came in since the last export */
	char (*fresh)[MESH_LABEL_MAX + 1];
	size_t nfresh;
	struct mesh_record self;
	bool have_self;
	uint64_t self_refresh;		/* unix s: republish by then */
	struct mesh_endpoint observed[OV_OBSERVED_MAX];
	size_t nobserved;
	bool endpoints_changed;

	struct cpeer *cpeers;
	size_t ncpeers;
	int resolve_pipe[2];

	struct ov_counters c;
};

/* overlay.c */
struct overlay *overlay_new(struct agent *a);
void overlay_free(struct overlay *ov);
uint64_t overlay_now(void);
/* Re-arm the session timer after anything that may have sent. */
void overlay_kick(struct overlay *ov);
int overlay_send(struct overlay *ov, struct peer *p, const uint8_t *msg,
    size_t len);
struct peer *overlay_peer(struct overlay *ov, const uint8_t pk[static 32],
    bool create);
void overlay_peer_drop(struct overlay *ov, struct peer *p);
bool overlay_peer_up(const struct peer *p);
json_t *overlay_counters_json(struct overlay *ov);
/* The length of an AF_INET or AF_INET6 address, for sendto(). */
socklen_t overlay_sa_len(const struct sockaddr_storage *sa);
/* sockaddr <-> record endpoint, for the socket's family. */
bool overlay_sa_to_ep(const struct sockaddr_storage *sa, struct mesh_endpoint *ep);
socklen_t overlay_ep_to_sa(const struct overlay *ov, const struct mesh_endpoint *ep,
    struct sockaddr_storage *sa);

/* peers.c */
int peers_init(struct overlay *ov);
void peers_free(struct overlay *ov);
void peers_maint(struct overlay *ov, uint64_t now);

/* gossip.c */
int gossip_init(struct overlay *ov);
void gossip_free(struct overlay *ov);
void gossip_recv(struct overlay *ov, struct peer *p, const uint8_t *m,
    size_t len);
void gossip_established(struct overlay *ov, struct peer *p);
void gossip_publish(struct overlay *ov, bool force);
void gossip_antientropy(struct overlay *ov);
/* Export new records to the name store at once; save them to the state
 * directory at most every OV_SAVE_MS, or now if flush. */
void gossip_maint(struct overlay *ov, bool flush);
void gossip_observed(struct overlay *ov, const struct mesh_endpoint *ep);

/* redeem.c */
void redeem_recv(struct overlay *ov, struct peer *p, const uint8_t *m,
    size_t len);
bool redeem_possible(const struct overlay *ov);

/* members.c */
json_t *members_json(struct overlay *ov);
/* Log every member whose state changed; the ms of the next change due. */
uint64_t members_scan(struct overlay *ov, uint64_t now);

#endif

/*
 * The overlay's UDP wire format: every packet one meshd sends another, and
 * the protocol limits that go with them, in one place (as WireGuard's
 * messages.h).  The session engine (overlay/session.c, overlay/noise.c)
 * builds and checks these; see the design note atop overlay/noise.c.
 *
 * Integers on the wire are little-endian.  Structs hold only byte arrays,
 * so they have alignment 1 and no padding: a received buffer may be cast
 * to one once its length has been checked.  The layouts are pinned by the
 * _Static_asserts below; changing one means a new WIRE_VERSION label.
 *
 * Every packet starts with a type byte and three reserved bytes that must
 * be zero, but for the cipher flag of the two handshake messages
 * (WIRE_FLAG_AES256GCM below).  Handshake messages carry an encrypted payload of 0 to
 * WIRE_HS_PAYLOAD_MAX bytes, so they have a fixed head, a variable AEAD
 * body and a fixed tail (mac1, mac2): their length gives the payload
 * length.
 */
#ifndef MESH_WIRE_H
#define MESH_WIRE_H

#include <stdint.h>

/* Mixed into the first hash of every handshake: a peer speaking another
 * version derives other keys and fails cleanly. */
#define WIRE_CONSTRUCTION	"nss-mesh Noise_IK_25519_ChaChaPoly_BLAKE2b"
#define WIRE_IDENTIFIER		"nss-mesh overlay v2"	/* v2: mac2, cookies */
#define WIRE_LABEL_MAC1		"mac1----"
#define WIRE_LABEL_COOKIE	"cookie--"

enum wire_type {
	WIRE_INITIATION = 1,
	WIRE_RESPONSE = 2,
	WIRE_COOKIE = 3,
	WIRE_TRANSPORT = 4,
	WIRE_HOP = 5,
};

enum wire_sizes {
	WIRE_KEY_LEN = 32,		/* X25519 / Ed25519 public, symmetric */
	WIRE_TAG_LEN = 16,		/* Poly1305 */
	WIRE_MAC_LEN = 16,		/* mac1: keyed BLAKE2b-128 */
	WIRE_TAI64N_LEN = 12,
	WIRE_COOKIE_NONCE_LEN = 24,	/* XChaCha20-Poly1305 */
	WIRE_HS_PAYLOAD_MAX = 1024,	/* caller's handshake payload (cert) */
	WIRE_MAX_PLAINTEXT = 1400,	/* transport payload: fits any UDP path */
};

/* The transport cipher.  In an initiation's reserved[0]: "I can use
 * AES-256-GCM" (both ends have AES instructions and allow it).  In a
 * response's: "this session's transport keys use AES-256-GCM", set only
 * when the initiation offered it.  Without it (either end lacks AES, or
 * says cipher = chacha20poly1305): ChaCha20-Poly1305.  The header is mixed
 * into the handshake hash (overlay/noise.c), so a changed flag fails the
 * handshake: nobody on the path can choose the cipher.  Same key, same
 * 96-bit counter nonce either way; the handshake itself is always ChaCha. */
#define WIRE_FLAG_AES256GCM	0x01

/* Common first word. */
struct wire_header {
	uint8_t type;			/* enum wire_type */
	uint8_t reserved[3];		/* zero */
};

/* Initiator -> responder.  Followed by
 *   body[WIRE_TAI64N_LEN + payload_len + WIRE_TAG_LEN]  AEAD(timestamp || payload)
 *   struct wire_tail                                      mac1, mac2 */
struct wire_initiation {
	struct wire_header h;
	uint8_t sender[4];		/* initiator's index for this handshake */
	uint8_t ephemeral[WIRE_KEY_LEN];
	uint8_t enc_static[WIRE_KEY_LEN + WIRE_TAG_LEN];	/* Ed25519 pk */
};

/* Responder -> initiator.  Followed by
 *   body[payload_len + WIRE_TAG_LEN]                      AEAD(payload)
 *   struct wire_tail                                      mac1, mac2 */
struct wire_response {
	struct wire_header h;
	uint8_t sender[4];		/* responder's index */
	uint8_t receiver[4];		/* initiator's index, echoed */
	uint8_t ephemeral[WIRE_KEY_LEN];
};

/* Last bytes of each handshake message (overlay/mac.h).  mac1: keyed
 * BLAKE2b-128 over everything before it, keyed by HASH(WIRE_LABEL_MAC1 ||
 * receiver's Ed25519 pk).  mac2: keyed BLAKE2b-128 over everything before
 * it (mac1 too), keyed by the cookie the receiver last gave this sender's
 * address, or zero without one (overlay/cookie.h).  Only initiations'
 * mac2 is checked, and only while the receiver is under load. */
struct wire_tail {
	uint8_t mac1[WIRE_MAC_LEN];
	uint8_t mac2[WIRE_MAC_LEN];
};

/* Responder under load -> initiator, instead of a response: a cookie bound
 * to the initiator's address, XChaCha20-Poly1305-sealed under
 * HASH(WIRE_LABEL_COOKIE || responder's Ed25519 pk) with the initiation's
 * mac1 as AD, so only who sent that initiation (or saw it) can open it. */
struct wire_cookie {
	struct wire_header h;
	uint8_t receiver[4];		/* the initiation's sender index */
	uint8_t nonce[WIRE_COOKIE_NONCE_LEN];
	uint8_t enc_cookie[WIRE_MAC_LEN + WIRE_TAG_LEN];
};

/* Data (or an empty keepalive).  Followed by
 *   ciphertext[plaintext_len + WIRE_TAG_LEN], AD = this header. */
struct wire_transport {
	struct wire_header h;
	uint8_t receiver[4];		/* the receiver's index of the keypair */
	uint8_t counter[8];		/* nonce; never reused under one key */
};

/* A session packet of src's session with dst, relayed by members
 * (overlay/forward.c): authenticated by the session of the two members on
 * this hop, not encrypted again (the inner packet is already end-to-end
 * encrypted; a relay learns src, dst and its length, never what is in
 * it).  Followed by
 *   inner[inner_len]   the session packet as src's session sent it
 *   tag[WIRE_TAG_LEN]  the hop session's AEAD over an empty plaintext,
 *                      nonce = counter, AD (WIRE_HOP_AD_*):
 *     inner a transport packet (WIRE_TRANSPORT, at least
 *     WIRE_TRANSPORT_MIN bytes):
 *       this header || inner[0 .. 16) || inner[inner_len - 16 ..) ||
 *       inner_len (u16)
 *     -- its own header and its tag, which authenticates all of its
 *     ciphertext under the end-to-end key, so the cost per hop does not
 *     grow with the packet; anything else (handshakes, cookie replies:
 *     rare, small):
 *       this header || inner || inner_len (u16)
 *     The inner type byte is in the AD either way, so the rule cannot be
 *     switched.
 * receiver and counter are the hop session's, as in wire_transport: they
 * share its keypairs, its counters and its replay window, so a replayed
 * hop datagram is refused as a replayed transport packet is.  inner is a
 * handshake, cookie, transport or hop packet (the last only when the hop
 * itself is reached through a relay) of at least a wire_header; ttl
 * counts down at each relay (WIRE_HOP_TTL). */
struct wire_hop {
	struct wire_header h;
	uint8_t receiver[4];		/* the hop receiver's keypair index */
	uint8_t counter[8];		/* the hop session's nonce */
	uint8_t ttl;			/* relays it may still pass */
	uint8_t src[WIRE_KEY_LEN];	/* Ed25519 key of the inner's sender */
	uint8_t dst[WIRE_KEY_LEN];	/* ... and of its receiver */
};

_Static_assert(sizeof(struct wire_header) == 4, "wire_header");
_Static_assert(sizeof(struct wire_initiation) == 88, "wire_initiation");
_Static_assert(sizeof(struct wire_response) == 44, "wire_response");
_Static_assert(sizeof(struct wire_tail) == 32, "wire_tail");
_Static_assert(sizeof(struct wire_cookie) == 64, "wire_cookie");
_Static_assert(sizeof(struct wire_transport) == 16, "wire_transport");
_Static_assert(sizeof(struct wire_hop) == 81, "wire_hop");

#define WIRE_INITIATION_MIN (sizeof(struct wire_initiation) + \
	WIRE_TAI64N_LEN + WIRE_TAG_LEN + sizeof(struct wire_tail))
#define WIRE_INITIATION_MAX (WIRE_INITIATION_MIN + WIRE_HS_PAYLOAD_MAX)
#define WIRE_RESPONSE_MIN (sizeof(struct wire_response) + WIRE_TAG_LEN + \
	sizeof(struct wire_tail))
#define WIRE_RESPONSE_MAX (WIRE_RESPONSE_MIN + WIRE_HS_PAYLOAD_MAX)
#define WIRE_TRANSPORT_MIN (sizeof(struct wire_transport) + WIRE_TAG_LEN)
#define WIRE_TRANSPORT_MAX (WIRE_TRANSPORT_MIN + WIRE_MAX_PLAINTEXT)
/* The largest packet the overlay ever sends or accepts. */
#define WIRE_PACKET_MAX WIRE_TRANSPORT_MAX

#define WIRE_COOKIE_LEN sizeof(struct wire_cookie)

/* Hop datagrams: the inner packet at most fills WIRE_PACKET_MAX. */
#define WIRE_HOP_TTL		8	/* relays a hop datagram may pass */
#define WIRE_HOP_MIN (sizeof(struct wire_hop) + sizeof(struct wire_header) + \
	WIRE_TAG_LEN)
#define WIRE_HOP_INNER_MAX (WIRE_PACKET_MAX - sizeof(struct wire_hop) - \
	WIRE_TAG_LEN)
/* The inner bytes a transport inner packet puts in the AD, each end. */
#define WIRE_HOP_AD_EDGE	16
#define WIRE_HOP_AD_MAX (sizeof(struct wire_hop) + WIRE_HOP_INNER_MAX + 2)
_Static_assert(WIRE_HOP_AD_EDGE == sizeof(struct wire_transport) &&
    WIRE_HOP_AD_EDGE == WIRE_TAG_LEN, "a transport packet's header, tag");
_Static_assert(WIRE_HOP_INNER_MAX >= WIRE_INITIATION_MAX, "handshakes relay");

_Static_assert(WIRE_INITIATION_MIN == 148, "initiation size");
_Static_assert(WIRE_RESPONSE_MIN == 92, "response size");
_Static_assert(WIRE_INITIATION_MAX <= WIRE_PACKET_MAX, "handshake fits");

/* Protocol limits, times in milliseconds.  The values are WireGuard's,
 * whose reasoning (whitepaper section 6) holds here unchanged. */
#define WIRE_REKEY_AFTER_MESSAGES	(UINT64_C(1) << 60)
#define WIRE_REJECT_AFTER_MESSAGES	(UINT64_MAX - (UINT64_C(1) << 13))
/* AES-256-GCM's own bound is far lower than its nonce space: after s
 * blocks under one key an attacker tells it from random with advantage
 * about s^2 / 2^129 (draft-irtf-cfrg-aead-limits).  2^28 packets of at
 * most 88 blocks are 2^34.5 blocks, TLS 1.3's limit for AES-GCM
 * (advantage 2^-60); keys are refused at twice that.  At 3 Gb/s that is
 * about 1,000 s of traffic, so the 120 s rekey comes first unless a link
 * runs at tens of Gb/s. */
#define WIRE_AES_REKEY_AFTER_MESSAGES	(UINT64_C(1) << 28)
#define WIRE_AES_REJECT_AFTER_MESSAGES	(UINT64_C(1) << 29)
#define WIRE_REKEY_AFTER_TIME		(120 * 1000)
#define WIRE_REJECT_AFTER_TIME		(180 * 1000)
#define WIRE_REKEY_ATTEMPT_TIME		(90 * 1000)	/* give up a handshake */
#define WIRE_REKEY_TIMEOUT		(5 * 1000)	/* retransmit, at most */
#define WIRE_REKEY_TIMEOUT_FIRST	(1 * 1000)	/* first retransmit */
#define WIRE_REKEY_JITTER		333		/* added to retransmits */
#define WIRE_KEEPALIVE_TIMEOUT		(10 * 1000)
#define WIRE_INITIATION_MIN_INTERVAL	20	/* per peer, flood limit */
#define WIRE_REPLAY_WINDOW_BITS		2048

/* Handshake floods (doc/overlay.md, "Floods"; overlay/dispatch.c).  An
 * initiation that passes mac1 and is not a known replay counts towards
 * the load; past WIRE_LOAD_INITIATIONS of them in one second the table is
 * "under load" for the rest of that second and the next, and answers
 * initiations without a valid mac2 with a cookie instead of doing DH. */
#define WIRE_LOAD_INITIATIONS		32	/* per second */
/* Token buckets before any DH: per source prefix (/24, /64) when not under
 * load, per source address when its mac2 proved it under load. */
#define WIRE_RATELIMIT_RATE		32	/* initiations per second */
#define WIRE_RATELIMIT_BURST		32
#define WIRE_RATELIMIT_SLOTS		4096	/* buckets kept, bounded */
#define WIRE_REFUSED_SLOTS		4096	/* initiations remembered */
#define WIRE_COOKIE_SECRET_AGE		(120 * 1000)	/* rotated this often */
#define WIRE_COOKIE_LATENCY		(5 * 1000)	/* initiator: stop using
							 * a cookie this early */
/* An initiation whose timestamp is older than the responder's wall clock
 * by more than this is refused, even from a peer without a session (a
 * restarted node forgot the last timestamps).  It is also the clock skew
 * members tolerate: two minutes (REKEY_AFTER_TIME) + REKEY_ATTEMPT_TIME. */
#define WIRE_HS_MAX_AGE			(210 * 1000)

#endif

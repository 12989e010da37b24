/*
 * Messages that meshd nodes send each other inside a session (the
 * plaintext of transport packets).  Pure encode/decode, no I/O.
 *
 * Every message starts with a type byte; integers are little-endian; a
 * decoder takes exactly the length the type implies and refuses the rest
 * (a message never grows silently: a new layout is a new type).
 *
 *   RECORD     type | record wire (472)                 push gossip
 *   REVOKE     type | revocation wire (132)             push gossip
 *   DIGEST     type | n u8 | lo[32] | hi[32] | n * (key[32] | seq u64)
 *              "for node keys in [lo, hi] I hold these": the receiver sends
 *              back what it holds newer in that range and asks for what it
 *              lacks (WANT).  A whole digest is a run of ranges that cover
 *              the key space, so it needs no state between messages.
 *   WANT       type | n u8 | n * key[32]                send me these
 *   SEEN       type | endpoint wire (19)                "you came from here"
 *   LEAVE      type                                     "shutting down, bye"
 *   LINKS      type | link record (overlay/linkstate.h) | sig[64]
 *              the sender's direct links, signed by the record's node
 *   PROBE      type | nonce u64       "still there?" (a path in use)
 *   PROBE_ACK  type | nonce u64       "yes", at once, same session
 *   JOIN_REQ   type | name_len u8 | proof[32] | name    joiner -> member
 *   JOIN_OK    type | ca_pk[32] | cert wire | record wire   member -> joiner
 *   JOIN_ERR   type | errno u8                          member -> joiner
 *   RENEW_REQ  type | cert wire                         member -> issuer
 *              "here is my certificate, it ends soon" (overlay/renew.c)
 *   RENEW_OK   type | cert wire                         issuer -> member
 *   RENEW_ERR  type | errno u8                          "not from me"
 */
#ifndef MESH_MSG_H
#define MESH_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "invite.h"
#include "record.h"

enum msg_type {
	MSG_RECORD = 0x10,
	MSG_REVOKE = 0x11,
	MSG_DIGEST = 0x12,
	MSG_WANT = 0x13,
	MSG_SEEN = 0x14,
	MSG_LEAVE = 0x15,
	MSG_RENEW_REQ = 0x16,
	MSG_RENEW_OK = 0x17,
	MSG_LINKS = 0x18,
	/* 0x19: was HOP, a relayed packet in the hop's session; now a
	 * datagram of its own (WIRE_HOP, include/mesh/wire.h). */
	MSG_PROBE = 0x1a,
	MSG_PROBE_ACK = 0x1b,
	MSG_RENEW_ERR = 0x1c,
	/* MSG_PUNCH = 0x1d: overlay/punch.h */
	MSG_JOIN_REQ = 0x20,
	MSG_JOIN_OK = 0x21,
	MSG_JOIN_ERR = 0x22,
};

#define MSG_MAX			1400	/* = WIRE_MAX_PLAINTEXT */
/* Control messages have types below this; a plaintext whose first byte
 * is 0x40 or more is not one (IPv4 packets start 0x4_, IPv6 0x6_). */
#define MSG_TYPE_SPACE		0x40
_Static_assert(MSG_JOIN_ERR < MSG_TYPE_SPACE && MSG_RECORD < MSG_TYPE_SPACE,
    "control message types must stay clear of IP version nibbles");
#define MSG_DIGEST_ENT		(MESH_KEY_LEN + 8)
#define MSG_DIGEST_MAX		32	/* entries per DIGEST */
#define MSG_DIGEST_HEAD		(1 + 1 + 2 * MESH_KEY_LEN)
#define MSG_WANT_MAX		40	/* keys per WANT */
#define MSG_LINKS_SIG		64
#define MSG_PROBE_LEN		9
#define MSG_RENEW_LEN		(1 + sizeof(struct mesh_cert_wire))
#define MSG_JOIN_OK_LEN		(1 + MESH_KEY_LEN + \
	sizeof(struct mesh_cert_wire) + RECORD_WIRE_LEN)
/* What a handshake payload says when the sender has no certificate yet. */
#define MSG_JOIN_HELLO		"nss-mesh join v1"

struct msg_digest {
	uint8_t lo[MESH_KEY_LEN], hi[MESH_KEY_LEN];
	size_t n;
	uint8_t key[MSG_DIGEST_MAX][MESH_KEY_LEN];
	uint64_t seq[MSG_DIGEST_MAX];
};

struct msg_want {
	size_t n;
	uint8_t key[MSG_WANT_MAX][MESH_KEY_LEN];
};

struct msg_join_req {
	char name[MESH_LABEL_MAX + 1];
	uint8_t proof[INVITE_PROOF_LEN];
};

struct msg_join_ok {
	uint8_t ca_pk[MESH_KEY_LEN];
	struct mesh_cert_wire cert;
	uint8_t record[RECORD_WIRE_LEN];
};

/* Encoders return the length written to out (at least MSG_MAX bytes). */
size_t msg_digest_encode(const struct msg_digest *d, uint8_t *out);
size_t msg_want_encode(const struct msg_want *w, uint8_t *out);
size_t msg_seen_encode(const struct mesh_endpoint *ep, uint8_t *out);
size_t msg_join_req_encode(const struct msg_join_req *r, uint8_t *out);
size_t msg_join_ok_encode(const struct msg_join_ok *r, uint8_t *out);
size_t msg_join_err_encode(int err, uint8_t *out);
/* RENEW_REQ or RENEW_OK (type) with a certificate; RENEW_ERR. */
size_t msg_renew_encode(enum msg_type type, const struct mesh_cert *c,
    uint8_t *out);
size_t msg_renew_err_encode(int err, uint8_t *out);

/* Decoders: true when buf is exactly one well-formed message of the type. */
bool msg_digest_decode(const uint8_t *buf, size_t len, struct msg_digest *d);
bool msg_want_decode(const uint8_t *buf, size_t len, struct msg_want *w);
bool msg_seen_decode(const uint8_t *buf, size_t len, struct mesh_endpoint *ep);
bool msg_join_req_decode(const uint8_t *buf, size_t len, struct msg_join_req *r);
bool msg_join_ok_decode(const uint8_t *buf, size_t len, struct msg_join_ok *r);
bool msg_join_err_decode(const uint8_t *buf, size_t len, int *err);
/* A RENEW_REQ or RENEW_OK of exactly that type whose certificate decodes
 * (it is not verified here). */
bool msg_renew_decode(const uint8_t *buf, size_t len, enum msg_type type,
    struct mesh_cert *c);
bool msg_renew_err_decode(const uint8_t *buf, size_t len, int *err);

/* Is key within [lo, hi] (byte order)? */
bool msg_key_in(const uint8_t key[static MESH_KEY_LEN],
    const uint8_t lo[static MESH_KEY_LEN], const uint8_t hi[static MESH_KEY_LEN]);

#endif

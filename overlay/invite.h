/*
 * Invites: how a new machine gets a certificate (the tinc 1.1 idea).
 *
 * On the CA holder, `meshctl invite NAME` calls invite_create(): it draws a
 * random secret, remembers (name, secret, expiry) in the store, which
 * saves itself (on the CA holder: the invite file, agent/invites.h) and
 * prints a token "mesh1-<base64url>" carrying the secret, the name, the
 * network id, this member's key and a host:port to reach it.  Layout in
 * mesh/signed_wire.h.
 *
 * The joiner opens an encrypted session to that member, authenticating it
 * by the key in the token (and the network id against the CA key it is
 * then given), and sends its name, its new public key and
 *
 *   proof = BLAKE2b-256(key = secret,
 *                       "nss-mesh invite proof v1" || net_id || joiner_pk)
 *
 * so the secret itself never travels, not even inside the session, and a
 * proof is worth nothing for another key.  invite_redeem() finds the
 * invite whose secret gives that proof (compared in constant time against
 * every outstanding invite), checks it is unused, unexpired and for that
 * name, issues the certificate, marks the invite used with that
 * certificate in it and saves the store, and only then hands the
 * certificate out: a crash can lose an invite, never let one be used
 * twice.
 *
 * Single use means one key: the same joiner key asking again (its first
 * answer was lost, or its disk filled before it wrote everything) gets
 * the certificate it was issued then, kept in the store with the entry;
 * any other key is refused.
 * A new invite for a name replaces that name's unused one.
 */
#ifndef MESH_INVITE_H
#define MESH_INVITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "mesh/nss_wire.h"
#include "mesh/signed_wire.h"

#define INVITE_MAX		256	/* invites held, used ones included */
#define INVITE_PROOF_LEN	32
#define INVITE_LIFETIME_DEFAULT	(7 * 86400)
#define INVITE_KEEP_USED	86400	/* keep spent invites past expiry */
/* The most bytes a store serialises to (header + INVITE_MAX entries of
 * 128 bytes and the issued certificate's wire bytes). */
#define INVITE_ENT_BYTES	(128 + sizeof(struct mesh_cert_wire))
#define INVITE_STORE_BYTES_MAX	(16 + INVITE_MAX * INVITE_ENT_BYTES)
/* Text length including the NUL: prefix + base64 of the largest token. */
#define INVITE_TEXT_MAX		(sizeof(MESH_INVITE_PREFIX) - 1 + \
	((MESH_INVITE_WIRE_MAX * 4 + 2) / 3) + 1)

struct invite_token {
	uint64_t expires;
	uint8_t net_id[MESH_NETID_LEN];
	uint8_t member_pk[MESH_KEY_LEN];
	uint8_t secret[MESH_INVITE_SECRET_LEN];
	char host[MESH_INVITE_HOST_MAX + 1];	/* "host:port", NUL-terminated */
	char name[MESH_LABEL_MAX + 1];
};

/* Token text <-> struct.  encode: length of the text, or -EINVAL (bad name
 * or host) / -ENOSPC.  decode: 0, or -EINVAL with *why (may be NULL) set to
 * what is wrong.  Both leave the secret in t: wipe with invite_token_wipe. */
int invite_token_encode(const struct invite_token *t, char *out, size_t outlen);
int invite_token_decode(const char *text, struct invite_token *t,
    const char **why);
void invite_token_wipe(struct invite_token *t);

/* The joiner's side. */
void invite_proof(const uint8_t secret[static MESH_INVITE_SECRET_LEN],
    const uint8_t net_id[static MESH_NETID_LEN],
    const uint8_t joiner_pk[static MESH_KEY_LEN],
    uint8_t proof[static INVITE_PROOF_LEN]);

/* The CA holder's side: the store, in memory, kept in sodium_malloc
 * memory because it holds the secrets. */
struct invite_store;

/* Where the store keeps itself.  Every change (a new invite, an invite
 * marked used) serialises the whole store and calls save(ctx, data, len)
 * before anything depends on it: before invite_create writes the token,
 * before invite_redeem issues the certificate.  save returns 0 only once
 * the bytes are durable (the agent: atomic_write_owned of the invite
 * file); on an error the change is undone in memory and the call fails
 * with it.  data holds the secrets and is wiped after the call.  release,
 * if not NULL, is called with ctx by invite_store_free.  (A hook rather
 * than a "change, then the caller saves" pair, so the order and the undo
 * stay in the one function that makes the token or the certificate.) */
struct invite_store_io {
	int (*save)(void *ctx, const uint8_t *data, size_t len);
	void (*release)(void *ctx);
	void *ctx;
};

/* A new, empty store that saves through io (copied; NULL: memory only,
 * every save succeeds).  0, or -ENOMEM / -EIO, and then ctx is not
 * released: it is still the caller's. */
int invite_store_new(const struct invite_store_io *io,
    struct invite_store **out);
/* Replace the store's invites with the ones serialised in b (what save was
 * given).  0, or -EINVAL when b is not such bytes (the store is then in
 * an unspecified but valid state: free it). */
int invite_store_parse(struct invite_store *st, const uint8_t *b, size_t len);
/* Release the hook's ctx, wipe and free; NULL-safe. */
void invite_store_free(struct invite_store *st);
size_t invite_store_count(const struct invite_store *st);

/* Make an invite for name, valid for lifetime seconds, to be redeemed at
 * host (this member, key member_pk) and write its token text to out.
 * The invite is saved (io.save returned 0) before the token exists.  Length
 * of the text, or -EINVAL (name, host), -ENOSPC (INVITE_MAX held), -errno
 * from save. */
int invite_create(struct invite_store *st, const char *name, const char *host,
    const uint8_t member_pk[static MESH_KEY_LEN],
    const uint8_t ca_pk[static MESH_KEY_LEN], uint64_t now, uint64_t lifetime,
    char *out, size_t outlen);

/* Redeem: 0 and a certificate for joiner_pk in *cert, or
 *   -EACCES       no outstanding invite has this secret
 *   -EPERM        the invite is for another name
 *   -EKEYEXPIRED  the invite expired
 *   -EALREADY     the invite was used by another key
 * The same key asking again gets the certificate issued the first time
 * (even once the invite has expired, until it is pruned). 
 *   -errno        from save: the use could not be recorded (nothing issued). */
int invite_redeem(struct invite_store *st,
    const uint8_t proof[static INVITE_PROOF_LEN], const char *name,
    const uint8_t joiner_pk[static MESH_KEY_LEN], uint64_t now,
    const unsigned char *ca_sk, uint64_t cert_lifetime, struct mesh_cert *cert);

#endif

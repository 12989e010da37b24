/*
 * The overlay handshake.  Design note (read with include/mesh/wire.h).
 *
 * Pattern: Noise IK, as in WireGuard (no preshared key; the cookie reply
 * is overlay/cookie.c):
 *     <- s
 *     ...
 *     -> e, es, s, ss      (message 1, "initiation")
 *     <- e, ee, se         (message 2, "response")
 * The initiator must know the responder's key in advance; the responder
 * learns the initiator's from message 1, where it travels encrypted.
 * Nothing but ephemeral keys and indexes crosses the wire in clear.
 *
 * Keys.  A node's identity is an Ed25519 key (overlay/identity.h).  Its
 * X25519 static is the birationally equivalent key
 * (crypto_sign_ed25519_{pk,sk}_to_curve25519), so one key file serves both
 * signatures and DH.  The identity sent in message 1 and mixed into the
 * hash is the Ed25519 public key, the one certificates name.
 *
 * Primitives.  HASH = BLAKE2b-256; AEAD = ChaCha20-Poly1305 (IETF) with a
 * 96-bit nonce of 32 zero bits and a little-endian 64-bit counter (the
 * transport may use AES-256-GCM instead, same key and nonce: see
 * WIRE_FLAG_AES256GCM and overlay/aead.c); DH =
 * X25519, an all-zero result refused.  KDFn(ck, in): an HKDF whose PRF is
 * keyed BLAKE2b (a PRF on its own, so no HMAC around it):
 *     prk = BLAKE2b(key = ck, in)
 *     T1 = BLAKE2b(key = prk, 0x01); Ti = BLAKE2b(key = prk, T(i-1) || i)
 *
 * Key schedule (S = static, E = ephemeral, i/r = initiator/responder):
 *     ck = HASH(CONSTRUCTION); h = HASH(ck || IDENTIFIER); h = HASH(h || Ed_r)
 *   message 1
 *         h = HASH(h || type, reserved, sender)
 *     e:  h = HASH(h || E_i.pub); ck = KDF1(ck, E_i.pub)
 *     es: (ck, k) = KDF2(ck, DH(E_i, S_r))
 *     s:  enc_static = AEAD(k, 0, Ed_i, h); h = HASH(h || enc_static)
 *     ss: (ck, k) = KDF2(ck, DH(S_i, S_r))
 *         body = AEAD(k, 0, TAI64N || payload, h); h = HASH(h || body)
 *   message 2
 *         h = HASH(h || type, reserved, sender, receiver)
 *     e:  h = HASH(h || E_r.pub); ck = KDF1(ck, E_r.pub)
 *     ee: ck = KDF1(ck, DH(E_r, E_i))
 *     se: (ck, k) = KDF2(ck, DH(E_r, S_i))
 *         body = AEAD(k, 0, payload, h); h = HASH(h || body)
 *   transport
 *     (T1, T2) = KDF2(ck, ""); initiator sends with T1, responder with T2.
 *
 * Mixing the clear header into h puts every byte of both messages under
 * the AEAD tags, not only under mac1 (which anyone can compute): a changed
 * index is refused, not answered to the wrong place.
 *
 * Each message ends in mac1 (overlay/mac.h), keyed by its receiver's
 * public key and checked before any DH.  Message 1's payload is protected
 * by es and ss only, so it has no forward secrecy against a later theft of
 * the responder's key (as in any IK); message 2's has.  The TAI64N
 * timestamp lets the responder drop a replayed initiation: it must grow
 * per peer (overlay/session.c keeps the last one).
 *
 * Every function that derives keys wipes its stack at one out: label.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sodium.h>

#include "aead.h"
#include "mac.h"
#include "noise.h"

#define KEY WIRE_KEY_LEN

static void
hash_init(uint8_t ck[static KEY], uint8_t h[static KEY],
    const uint8_t responder_ed[static KEY])
{
	crypto_generichash_state st;

	crypto_generichash(ck, KEY, (const uint8_t *)WIRE_CONSTRUCTION,
	    sizeof(WIRE_CONSTRUCTION) - 1, NULL, 0);
	crypto_generichash_init(&st, NULL, 0, KEY);
	crypto_generichash_update(&st, ck, KEY);
	crypto_generichash_update(&st, (const uint8_t *)WIRE_IDENTIFIER,
	    sizeof(WIRE_IDENTIFIER) - 1);
	crypto_generichash_final(&st, h, KEY);
	crypto_generichash_init(&st, NULL, 0, KEY);
	crypto_generichash_update(&st, h, KEY);
	crypto_generichash_update(&st, responder_ed, KEY);
	crypto_generichash_final(&st, h, KEY);
}

/* h = HASH(h || data) */
static void
mix_hash(uint8_t h[static KEY], const uint8_t *data, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, KEY);
	crypto_generichash_update(&st, h, KEY);
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, h, KEY);
}

/* (t1, t2) = KDF2(ck, in); either output may be NULL; t1 may alias ck. */
static void
kdf(uint8_t *t1, uint8_t *t2, const uint8_t ck[static KEY],
    const uint8_t *in, size_t inlen)
{
	uint8_t prk[KEY], a[KEY + 1], b[KEY];

	crypto_generichash(prk, KEY, in, inlen, ck, KEY);
	a[0] = 1;
	crypto_generichash(b, KEY, a, 1, prk, KEY);		/* T1 */
	if (t2 != NULL) {
		memcpy(a, b, KEY);
		a[KEY] = 2;
		crypto_generichash(t2, KEY, a, KEY + 1, prk, KEY);
	}
	if (t1 != NULL)
		memcpy(t1, b, KEY);
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(a, sizeof(a));
	sodium_memzero(b, sizeof(b));
}

/* (ck, k) = KDF2(ck, DH(sk, pk)); k may be NULL (KDF1).  False when the
 * DH result is all zero (a low-order point). */
static bool
mix_dh(uint8_t ck[static KEY], uint8_t *k, const uint8_t sk[static KEY],
    const uint8_t pk[static KEY])
{
	uint8_t dh[KEY];
	bool ok = false;

	if (crypto_scalarmult(dh, sk, pk) != 0)
		goto out;
	kdf(ck, k, ck, dh, KEY);
	ok = true;
out:
	sodium_memzero(dh, sizeof(dh));
	return ok;
}

static void
nonce_of(uint8_t n[static crypto_aead_chacha20poly1305_ietf_NPUBBYTES],
    uint64_t counter)
{
	memset(n, 0, 4);
	for (int i = 0; i < 8; i++)
		n[4 + i] = (uint8_t)(counter >> (8 * i));
}

void
noise_seal(uint8_t *c, const uint8_t *m, size_t mlen, const uint8_t *ad,
    size_t adlen, uint64_t counter, const uint8_t key[static KEY])
{
	uint8_t n[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

	nonce_of(n, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt(c, NULL, m, mlen, ad, adlen,
	    NULL, n, key);
}

bool
noise_open(uint8_t *m, const uint8_t *c, size_t clen, const uint8_t *ad,
    size_t adlen, uint64_t counter, const uint8_t key[static KEY])
{
	uint8_t n[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

	if (clen < WIRE_TAG_LEN)
		return false;
	nonce_of(n, counter);
	return crypto_aead_chacha20poly1305_ietf_decrypt(m, NULL, NULL, c,
	    clen, ad, adlen, n, key) == 0;
}

/* out = AEAD(k, 0, in, h); h = HASH(h || out).  in may equal out. */
static void
encrypt_and_hash(uint8_t *out, const uint8_t *in, size_t len,
    const uint8_t k[static KEY], uint8_t h[static KEY])
{
	noise_seal(out, in, len, h, KEY, 0, k);
	mix_hash(h, out, len + WIRE_TAG_LEN);
}

static bool
decrypt_and_hash(uint8_t *out, const uint8_t *in, size_t clen,
    const uint8_t k[static KEY], uint8_t h[static KEY])
{
	if (!noise_open(out, in, clen, h, KEY, 0, k))
		return false;
	mix_hash(h, in, clen);
	return true;
}

int
noise_static_init(struct noise_static *st, const uint8_t ed_pk[static KEY],
    const uint8_t *ed_sk64)
{
	memcpy(st->ed_pk, ed_pk, KEY);
	if (crypto_sign_ed25519_pk_to_curve25519(st->x_pk, ed_pk) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(st->x_sk, ed_sk64) != 0) {
		sodium_memzero(st, sizeof(*st));
		return -EINVAL;
	}
	mac_key(st->mac_key, ed_pk);
	mac_cookie_key(st->cookie_key, ed_pk);
	st->aes = aead_aes_available();
	return 0;
}

int
noise_peer_init(struct noise_peer *p, const uint8_t ed_pk[static KEY])
{
	memcpy(p->ed_pk, ed_pk, KEY);
	if (crypto_sign_ed25519_pk_to_curve25519(p->x_pk, ed_pk) != 0) {
		memset(p, 0, sizeof(*p));
		return -EINVAL;
	}
	mac_key(p->mac_key, ed_pk);
	mac_cookie_key(p->cookie_key, ed_pk);
	return 0;
}

/* The type, and reserved bytes zero but for the cipher flag. */
static bool
header_ok(const uint8_t *msg, uint8_t type)
{
	const struct wire_header *h = (const struct wire_header *)msg;

	return h->type == type && (h->reserved[0] & ~WIRE_FLAG_AES256GCM) == 0 &&
	    (h->reserved[1] | h->reserved[2]) == 0;
}

size_t
noise_create_initiation(struct noise_handshake *hs,
    const struct noise_static *st, const struct noise_peer *peer,
    uint32_t local_index, const uint8_t ts[static WIRE_TAI64N_LEN],
    const uint8_t *payload, size_t plen, uint8_t *out)
{
	struct wire_initiation *m = (struct wire_initiation *)out;
	uint8_t *body = out + sizeof(*m);
	uint8_t e_pk[KEY], k[KEY];
	size_t len = 0;

	if (plen > WIRE_HS_PAYLOAD_MAX)
		goto out;
	memset(hs, 0, sizeof(*hs));
	memset(m, 0, sizeof(*m));
	m->h.type = WIRE_INITIATION;
	m->h.reserved[0] = st->aes ? WIRE_FLAG_AES256GCM : 0;
	hs->flags = m->h.reserved[0];
	noise_put_le32(m->sender, local_index);
	hash_init(hs->ck, hs->h, peer->ed_pk);
	mix_hash(hs->h, out, offsetof(struct wire_initiation, ephemeral));

	/* e */
	crypto_box_keypair(e_pk, hs->e_sk);
	memcpy(m->ephemeral, e_pk, KEY);
	mix_hash(hs->h, e_pk, KEY);
	kdf(hs->ck, NULL, hs->ck, e_pk, KEY);

	/* es */
	if (!mix_dh(hs->ck, k, hs->e_sk, peer->x_pk))
		goto out;

	/* s */
	encrypt_and_hash(m->enc_static, st->ed_pk, KEY, k, hs->h);

	/* ss */
	if (!mix_dh(hs->ck, k, st->x_sk, peer->x_pk))
		goto out;

	/* {timestamp || payload}, encrypted in place */
	memcpy(body, ts, WIRE_TAI64N_LEN);
	if (plen > 0)
		memcpy(body + WIRE_TAI64N_LEN, payload, plen);
	encrypt_and_hash(body, body, WIRE_TAI64N_LEN + plen, k, hs->h);

	len = WIRE_INITIATION_MIN + plen;
	mac_seal(peer->mac_key, out, len);
	hs->local_index = local_index;
	hs->state = NOISE_INIT_SENT;
out:
	if (len == 0)
		sodium_memzero(hs, sizeof(*hs));
	sodium_memzero(k, sizeof(k));
	return len;
}

enum noise_err
noise_check_initiation(const struct noise_static *st, const uint8_t *msg,
    size_t len)
{
	if (len < WIRE_INITIATION_MIN || len > WIRE_INITIATION_MAX ||
	    !header_ok(msg, WIRE_INITIATION))
		return NOISE_ELEN;
	if (!mac_check(st->mac_key, msg, len))
		return NOISE_EMAC;
	return NOISE_OK;
}

enum noise_err
noise_consume_initiation(const struct noise_static *st, const uint8_t *msg,
    size_t len, struct noise_handshake *hs, struct noise_peer *peer,
    uint8_t ts[static WIRE_TAI64N_LEN], uint8_t *payload, size_t *plen)
{
	unsigned dh = 0;
	enum noise_err rc;

	if ((rc = noise_check_initiation(st, msg, len)) != NOISE_OK)
		return rc;
	return noise_consume_checked_initiation(st, msg, len, hs, peer, ts,
	    payload, plen, &dh);
}

enum noise_err
noise_consume_checked_initiation(const struct noise_static *st,
    const uint8_t *msg, size_t len, struct noise_handshake *hs,
    struct noise_peer *peer, uint8_t ts[static WIRE_TAI64N_LEN],
    uint8_t *payload, size_t *plen, unsigned *dh)
{
	const struct wire_initiation *m = (const struct wire_initiation *)msg;
	uint8_t plain[WIRE_TAI64N_LEN + WIRE_HS_PAYLOAD_MAX];
	uint8_t ck[KEY], h[KEY], k[KEY], ed[KEY];
	size_t blen;
	enum noise_err rc = NOISE_ECRYPTO;

	blen = len - sizeof(*m) - sizeof(struct wire_tail);
	hash_init(ck, h, st->ed_pk);
	mix_hash(h, msg, offsetof(struct wire_initiation, ephemeral));

	/* e */
	mix_hash(h, m->ephemeral, KEY);
	kdf(ck, NULL, ck, m->ephemeral, KEY);

	/* es */
	++*dh;
	if (!mix_dh(ck, k, st->x_sk, m->ephemeral))
		goto out;

	/* s */
	if (!decrypt_and_hash(ed, m->enc_static, sizeof(m->enc_static), k, h))
		goto out;
	if (noise_peer_init(peer, ed) != 0)
		goto out;

	/* ss */
	++*dh;
	if (!mix_dh(ck, k, st->x_sk, peer->x_pk))
		goto out;

	/* {timestamp || payload} */
	if (!decrypt_and_hash(plain, msg + sizeof(*m), blen, k, h))
		goto out;

	memset(hs, 0, sizeof(*hs));
	hs->state = NOISE_INIT_RECEIVED;
	hs->flags = m->h.reserved[0];	/* what the initiator offers */
	hs->remote_index = noise_le32(m->sender);
	memcpy(hs->re_pk, m->ephemeral, KEY);
	memcpy(hs->h, h, KEY);
	memcpy(hs->ck, ck, KEY);
	memcpy(ts, plain, WIRE_TAI64N_LEN);
	*plen = blen - WIRE_TAG_LEN - WIRE_TAI64N_LEN;
	if (*plen > 0)
		memcpy(payload, plain + WIRE_TAI64N_LEN, *plen);
	rc = NOISE_OK;
out:
	sodium_memzero(plain, sizeof(plain));
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(h, sizeof(h));
	sodium_memzero(k, sizeof(k));
	return rc;
}

size_t
noise_create_response(struct noise_handshake *hs,
    const struct noise_static *st, const struct noise_peer *peer,
    uint32_t local_index, const uint8_t *payload, size_t plen, uint8_t *out)
{
	struct wire_response *m = (struct wire_response *)out;
	uint8_t *body = out + sizeof(*m);
	uint8_t e_pk[KEY], k[KEY];
	size_t len = 0;

	if (hs->state != NOISE_INIT_RECEIVED || plen > WIRE_HS_PAYLOAD_MAX)
		goto out;
	memset(m, 0, sizeof(*m));
	m->h.type = WIRE_RESPONSE;
	/* AES-256-GCM when both can; the initiator's offer decides nothing
	 * on its own. */
	hs->flags = st->aes ? hs->flags & WIRE_FLAG_AES256GCM : 0;
	m->h.reserved[0] = hs->flags;
	noise_put_le32(m->sender, local_index);
	noise_put_le32(m->receiver, hs->remote_index);
	mix_hash(hs->h, out, offsetof(struct wire_response, ephemeral));

	/* e */
	crypto_box_keypair(e_pk, hs->e_sk);
	memcpy(m->ephemeral, e_pk, KEY);
	mix_hash(hs->h, e_pk, KEY);
	kdf(hs->ck, NULL, hs->ck, e_pk, KEY);

	/* ee */
	if (!mix_dh(hs->ck, NULL, hs->e_sk, hs->re_pk))
		goto out;

	/* se */
	if (!mix_dh(hs->ck, k, hs->e_sk, peer->x_pk))
		goto out;

	/* {payload} */
	if (plen > 0)
		memcpy(body, payload, plen);
	encrypt_and_hash(body, body, plen, k, hs->h);

	len = WIRE_RESPONSE_MIN + plen;
	mac_seal(peer->mac_key, out, len);
	hs->local_index = local_index;
	hs->state = NOISE_DONE;
out:
	if (len == 0)
		sodium_memzero(hs, sizeof(*hs));
	sodium_memzero(k, sizeof(k));
	return len;
}

uint32_t
noise_response_receiver(const uint8_t *msg, size_t len)
{
	if (len < sizeof(struct wire_response))
		return 0;
	return noise_le32(((const struct wire_response *)msg)->receiver);
}

enum noise_err
noise_consume_response(struct noise_handshake *hs,
    const struct noise_static *st, const uint8_t *msg, size_t len,
    uint8_t *payload, size_t *plen)
{
	const struct wire_response *m = (const struct wire_response *)msg;
	uint8_t ck[KEY], h[KEY], k[KEY];
	size_t blen;
	enum noise_err rc;

	if (len < WIRE_RESPONSE_MIN || len > WIRE_RESPONSE_MAX ||
	    !header_ok(msg, WIRE_RESPONSE))
		return NOISE_ELEN;
	if (!mac_check(st->mac_key, msg, len))
		return NOISE_EMAC;
	if (hs->state != NOISE_INIT_SENT ||
	    noise_le32(m->receiver) != hs->local_index)
		return NOISE_ECRYPTO;
	/* A cipher we did not offer is not chosen. */
	if ((m->h.reserved[0] & ~hs->flags) != 0)
		return NOISE_ELEN;
	rc = NOISE_ECRYPTO;
	blen = len - sizeof(*m) - sizeof(struct wire_tail);
	/* Work on copies: a forged response must leave hs as it was. */
	memcpy(ck, hs->ck, KEY);
	memcpy(h, hs->h, KEY);
	mix_hash(h, msg, offsetof(struct wire_response, ephemeral));

	/* e */
	mix_hash(h, m->ephemeral, KEY);
	kdf(ck, NULL, ck, m->ephemeral, KEY);

	/* ee */
	if (!mix_dh(ck, NULL, hs->e_sk, m->ephemeral))
		goto out;

	/* se */
	if (!mix_dh(ck, k, st->x_sk, m->ephemeral))
		goto out;

	/* {payload}: into the caller's scratch buffer, which means
	 * nothing unless we return NOISE_OK. */
	if (!decrypt_and_hash(payload, msg + sizeof(*m), blen, k, h))
		goto out;
	*plen = blen - WIRE_TAG_LEN;

	hs->remote_index = noise_le32(m->sender);
	memcpy(hs->re_pk, m->ephemeral, KEY);
	memcpy(hs->ck, ck, KEY);
	memcpy(hs->h, h, KEY);
	hs->flags = m->h.reserved[0];
	hs->state = NOISE_DONE;
	rc = NOISE_OK;
out:
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(h, sizeof(h));
	sodium_memzero(k, sizeof(k));
	return rc;
}

void
noise_derive(struct noise_handshake *hs, bool initiator,
    struct noise_keys *keys)
{
	uint8_t t1[KEY], t2[KEY];

	kdf(t1, t2, hs->ck, NULL, 0);
	memcpy(keys->send, initiator ? t1 : t2, KEY);
	memcpy(keys->recv, initiator ? t2 : t1, KEY);
	keys->aes = (hs->flags & WIRE_FLAG_AES256GCM) != 0;
	sodium_memzero(t1, sizeof(t1));
	sodium_memzero(t2, sizeof(t2));
	sodium_memzero(hs, sizeof(*hs));
}

void
noise_tai64n(uint8_t out[static WIRE_TAI64N_LEN], uint64_t unix_sec,
    uint32_t nsec)
{
	uint64_t s = (UINT64_C(1) << 62) + unix_sec;

	/* Round down to ~16 ms (2^24 ns), as WireGuard does. */
	nsec &= ~((UINT32_C(1) << 24) - 1);
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(s >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(nsec >> (24 - 8 * i));
}

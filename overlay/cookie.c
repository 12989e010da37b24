#include "config.h"

#include <string.h>
#include <sodium.h>

#include "cookie.h"
#include "mac.h"
#include "noise.h"

void
cookie_make(struct cookie_checker *c, uint64_t now, const uint8_t *src,
    size_t srclen, uint8_t cookie[static WIRE_MAC_LEN])
{
	if (c->birth == 0 || now - c->birth >= WIRE_COOKIE_SECRET_AGE) {
		randombytes_buf(c->secret, sizeof(c->secret));
		c->birth = now;
	}
	crypto_generichash(cookie, WIRE_MAC_LEN, src, srclen, c->secret,
	    sizeof(c->secret));
}

bool
cookie_check_mac2(struct cookie_checker *c, uint64_t now, const uint8_t *src,
    size_t srclen, const uint8_t *msg, size_t len)
{
	uint8_t cookie[WIRE_MAC_LEN];
	bool ok;

	cookie_make(c, now, src, srclen, cookie);
	ok = mac2_check(cookie, msg, len);
	sodium_memzero(cookie, sizeof(cookie));
	return ok;
}

void
cookie_reply(uint8_t out[static WIRE_COOKIE_LEN],
    const uint8_t key[static WIRE_KEY_LEN], uint32_t receiver,
    const uint8_t mac1[static WIRE_MAC_LEN],
    const uint8_t cookie[static WIRE_MAC_LEN])
{
	struct wire_cookie *m = (struct wire_cookie *)out;

	memset(m, 0, sizeof(*m));
	m->h.type = WIRE_COOKIE;
	noise_put_le32(m->receiver, receiver);
	randombytes_buf(m->nonce, sizeof(m->nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(m->enc_cookie, NULL, cookie,
	    WIRE_MAC_LEN, mac1, WIRE_MAC_LEN, NULL, m->nonce, key);
}

bool
cookie_open(uint8_t cookie[static WIRE_MAC_LEN],
    const uint8_t key[static WIRE_KEY_LEN], const uint8_t *msg,
    const uint8_t mac1[static WIRE_MAC_LEN])
{
	const struct wire_cookie *m = (const struct wire_cookie *)msg;

	return crypto_aead_xchacha20poly1305_ietf_decrypt(cookie, NULL, NULL,
	    m->enc_cookie, sizeof(m->enc_cookie), mac1, WIRE_MAC_LEN,
	    m->nonce, key) == 0;
}

_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ==
    WIRE_COOKIE_NONCE_LEN, "cookie nonce");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == WIRE_TAG_LEN,
    "cookie tag");

/* The transport AEAD (aead.h). */
#include "config.h"

#include <string.h>

#include "aead.h"

_Static_assert(crypto_aead_aes256gcm_KEYBYTES == WIRE_KEY_LEN, "AES key");
_Static_assert(crypto_aead_aes256gcm_ABYTES == WIRE_TAG_LEN, "AES tag");
_Static_assert(crypto_aead_aes256gcm_NPUBBYTES ==
    crypto_aead_chacha20poly1305_ietf_NPUBBYTES, "one nonce for both");

bool
aead_aes_available(void)
{
	return crypto_aead_aes256gcm_is_available() != 0;
}

const char *
aead_name(bool aes)
{
	return aes ? "aes-256-gcm" : "chacha20-poly1305";
}

void
aead_key_init(struct aead_key *key, const uint8_t k[static WIRE_KEY_LEN],
    bool aes)
{
	sodium_memzero(key, sizeof(*key));
	key->aes = aes && aead_aes_available();
	if (key->aes)
		crypto_aead_aes256gcm_beforenm(&key->aes_st, k);
	else
		memcpy(key->k, k, WIRE_KEY_LEN);
}

static void
nonce_of(uint8_t n[static crypto_aead_aes256gcm_NPUBBYTES], uint64_t counter)
{
	memset(n, 0, 4);
	for (int i = 0; i < 8; i++)
		n[4 + i] = (uint8_t)(counter >> (8 * i));
}

void
aead_seal(const struct aead_key *key, uint8_t *c, const uint8_t *m,
    size_t mlen, const uint8_t *ad, size_t adlen, uint64_t counter)
{
	uint8_t n[crypto_aead_aes256gcm_NPUBBYTES];

	nonce_of(n, counter);
	if (key->aes)
		crypto_aead_aes256gcm_encrypt_afternm(c, NULL, m, mlen, ad,
		    adlen, NULL, n, &key->aes_st);
	else
		crypto_aead_chacha20poly1305_ietf_encrypt(c, NULL, m, mlen, ad,
		    adlen, NULL, n, key->k);
}

bool
aead_open(const struct aead_key *key, uint8_t *m, const uint8_t *c,
    size_t clen, const uint8_t *ad, size_t adlen, uint64_t counter)
{
	uint8_t n[crypto_aead_aes256gcm_NPUBBYTES];

	if (clen < WIRE_TAG_LEN)
		return false;
	nonce_of(n, counter);
	if (key->aes)
		return crypto_aead_aes256gcm_decrypt_afternm(m, NULL, NULL, c,
		    clen, ad, adlen, n, &key->aes_st) == 0;
	return crypto_aead_chacha20poly1305_ietf_decrypt(m, NULL, NULL, c,
	    clen, ad, adlen, n, key->k) == 0;
}

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "mac.h"

#define TAIL sizeof(struct wire_tail)

static void
labelled_key(uint8_t key[static WIRE_KEY_LEN], const char *label,
    const uint8_t pk[static WIRE_KEY_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, WIRE_KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&st, pk, WIRE_KEY_LEN);
	crypto_generichash_final(&st, key, WIRE_KEY_LEN);
}

void
mac_key(uint8_t key[static WIRE_KEY_LEN], const uint8_t pk[static WIRE_KEY_LEN])
{
	labelled_key(key, WIRE_LABEL_MAC1, pk);
}

void
mac_cookie_key(uint8_t key[static WIRE_KEY_LEN],
    const uint8_t pk[static WIRE_KEY_LEN])
{
	labelled_key(key, WIRE_LABEL_COOKIE, pk);
}

static void
compute(uint8_t out[static WIRE_MAC_LEN], const uint8_t *key, size_t keylen,
    const uint8_t *msg, size_t len)
{
	crypto_generichash(out, WIRE_MAC_LEN, msg, len, key, keylen);
}

void
mac_seal(const uint8_t key[static WIRE_KEY_LEN], uint8_t *msg, size_t len)
{
	if (len < TAIL)
		abort();	/* caller bug, as sodium_misuse() */
	compute(msg + len - TAIL, key, WIRE_KEY_LEN, msg, len - TAIL);
	memset(msg + len - WIRE_MAC_LEN, 0, WIRE_MAC_LEN);
}

bool
mac_check(const uint8_t key[static WIRE_KEY_LEN], const uint8_t *msg,
    size_t len)
{
	uint8_t want[WIRE_MAC_LEN];

	if (len < TAIL)
		return false;
	compute(want, key, WIRE_KEY_LEN, msg, len - TAIL);
	return sodium_memcmp(want, msg + len - TAIL, WIRE_MAC_LEN) == 0;
}

void
mac2_seal(const uint8_t cookie[static WIRE_MAC_LEN], uint8_t *msg, size_t len)
{
	if (len < TAIL)
		abort();
	compute(msg + len - WIRE_MAC_LEN, cookie, WIRE_MAC_LEN, msg,
	    len - WIRE_MAC_LEN);
}

bool
mac2_check(const uint8_t cookie[static WIRE_MAC_LEN], const uint8_t *msg,
    size_t len)
{
	uint8_t want[WIRE_MAC_LEN];

	if (len < TAIL)
		return false;
	compute(want, cookie, WIRE_MAC_LEN, msg, len - WIRE_MAC_LEN);
	return sodium_memcmp(want, msg + len - WIRE_MAC_LEN, WIRE_MAC_LEN) == 0;
}
